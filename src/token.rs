//! The auth token every ECS-style credential request must carry in `Authorization`.
//!
//! It comes from `ROLEHOP_TOKEN` (an ECS `secrets` entry; deliberately no argv flag, since argv is
//! readable by other processes) or from `--token-file`: read if the file exists, else 256 random
//! bits are written there atomically (mode 0600, no trailing newline: no AWS SDK trims the file,
//! docs/SDKS.md). Comparison is constant-time.
//!
//! An existing token file is trusted only if no one but rolehop's user could have written it:
//! it is opened without following a symbolic link, and refused when it is not a regular file,
//! is writable by group or others, or is owned by another user (whoever planted it would know
//! the token every client is asked for). At most [`MAX_TOKEN_FILE_LEN`] bytes are read; a longer
//! file is refused.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::credentials::Secret;
use crate::files::{self, Untrusted};

pub mod client_tokens;

pub const ENV_ROLEHOP_TOKEN: &str = "ROLEHOP_TOKEN";
/// Shortest token accepted from a user; generated tokens are 64 hex characters.
pub const MIN_TOKEN_LEN: usize = 16;
/// Most of a token file read: client files are re-read every few seconds, and a huge file must
/// not grow rolehop's memory by its size.
pub const MAX_TOKEN_FILE_LEN: u64 = 4096;

#[derive(Clone, Debug)]
pub struct AuthToken(Secret);

/// What the credentials route accepts: the one token, or each client's own ([`clients`]).
#[derive(Debug)]
pub enum Auth {
    Token(AuthToken),
    Clients(std::sync::Arc<client_tokens::Clients>),
}

impl From<AuthToken> for Auth {
    fn from(token: AuthToken) -> Self {
        Self::Token(token)
    }
}

/// Where the token comes from, as configured (nothing read yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    File(PathBuf),
    Env,
}

/// Which of `--token-file` and `ROLEHOP_TOKEN` is given: the one rule for the server and its
/// clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChoice {
    File(PathBuf),
    /// `ROLEHOP_TOKEN`'s value.
    Env(Secret),
}

/// Not exactly one of `--token-file` and `ROLEHOP_TOKEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenChoiceError {
    #[error("both --token-file (ROLEHOP_TOKEN_FILE) and {ENV_ROLEHOP_TOKEN} are set; keep one")]
    Both,
    /// The server and the clients each say what the token is for.
    #[error("neither --token-file (ROLEHOP_TOKEN_FILE) nor {ENV_ROLEHOP_TOKEN} is set")]
    Neither,
}

/// Exactly one of `--token-file` and `ROLEHOP_TOKEN` (its value from `env_value`).
pub fn choose(
    token_file: Option<&Path>,
    env_value: Option<String>,
) -> Result<TokenChoice, TokenChoiceError> {
    match (token_file, env_value) {
        (Some(path), None) => Ok(TokenChoice::File(path.to_owned())),
        (None, Some(value)) => Ok(TokenChoice::Env(Secret::new(value))),
        (Some(_), Some(_)) => Err(TokenChoiceError::Both),
        (None, None) => Err(TokenChoiceError::Neither),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "cannot read token file {path}: {source}; make it readable by rolehop or point --token-file at a new path so rolehop creates it"
    )]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "cannot create token file {path}: {source}; make its directory writable or create the file yourself (no trailing newline)"
    )]
    Write { path: PathBuf, source: io::Error },
    #[error("token file {path} {problem}")]
    Untrusted { path: PathBuf, problem: String },
    #[error("{origin} {problem}")]
    Invalid {
        origin: String,
        problem: &'static str,
    },
}

impl AuthToken {
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Constant-time comparison with the `Authorization` header a client sent: the time taken
    /// depends on the lengths only. Compared eight bytes at a time with `subtle`'s word
    /// comparison (a byte at a time was 4 % of a request's instructions).
    pub fn matches(&self, presented: &[u8]) -> bool {
        let expected = self.0.expose().as_bytes();
        if expected.len() != presented.len() {
            return false;
        }
        let (words, rest) = expected.as_chunks::<8>();
        let (theirs, their_rest) = presented.as_chunks::<8>();
        let mut equal = rest.ct_eq(their_rest);
        for (a, b) in words.iter().zip(theirs) {
            equal &= u64::from_ne_bytes(*a).ct_eq(&u64::from_ne_bytes(*b));
        }
        equal.into()
    }

    pub fn load(source: &TokenSource, env_value: Option<String>) -> Result<Self, TokenError> {
        match source {
            TokenSource::Env => {
                let value = env_value.unwrap_or_default();
                Self::validated(value, ENV_ROLEHOP_TOKEN.to_owned())
            }
            TokenSource::File(path) => match Self::read_existing(path) {
                Err(TokenError::Read { source, .. })
                    if source.kind() == io::ErrorKind::NotFound =>
                {
                    Self::create(path)
                }
                read => read,
            },
        }
    }

    /// The token in an existing file (never created here): how a rotated file is re-read.
    pub fn read_existing(path: &Path) -> Result<Self, TokenError> {
        let bytes = read_trusted(path)?;
        let value = String::from_utf8(bytes).map_err(|_| TokenError::Invalid {
            origin: format!("token file {}", path.display()),
            problem: "is not UTF-8 text; delete it so rolehop writes a new token, or write printable ASCII",
        })?;
        Self::validated(value, format!("token file {}", path.display()))
    }

    /// A token from the variable `name`, whose value is `value` (a client's `token_env`).
    pub fn from_env_var(name: &str, value: Option<String>) -> Result<Self, TokenError> {
        match value {
            Some(value) => Self::validated(value, name.to_owned()),
            None => Err(TokenError::Invalid {
                origin: name.to_owned(),
                problem: "is not set; give the sidecar container this variable (an ECS `secrets` entry)",
            }),
        }
    }

    fn validated(value: String, origin: String) -> Result<Self, TokenError> {
        let problem = if value.ends_with('\n') || value.ends_with('\r') {
            Some(
                "ends with a newline, which no AWS SDK trims (botocore and the Rust SDK fail on it, the JavaScript SDK sends no token); write it without one (printf '%s' TOKEN > FILE)",
            )
        } else if value.len() < MIN_TOKEN_LEN {
            Some("is shorter than 16 characters; use a long random value (openssl rand -hex 32)")
        } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
            Some(
                "contains spaces or non-printable characters, which cannot travel in an HTTP header; use printable ASCII (openssl rand -hex 32)",
            )
        } else {
            None
        };
        match problem {
            Some(problem) => Err(TokenError::Invalid { origin, problem }),
            None => Ok(Self(Secret::new(value))),
        }
    }

    fn create(path: &Path) -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let value: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        crate::files::write_atomically(path, value.as_bytes()).map_err(|source| {
            TokenError::Write {
                path: path.to_owned(),
                source,
            }
        })?;
        Ok(Self(Secret::new(value)))
    }
}

/// Reads an existing token file that only rolehop's user could have written (module docs).
fn read_trusted(path: &Path) -> Result<Vec<u8>, TokenError> {
    let untrusted = |problem: String| TokenError::Untrusted {
        path: path.to_owned(),
        problem,
    };
    let read_error = |source: io::Error| TokenError::Read {
        path: path.to_owned(),
        source,
    };
    let shown = path.display();
    let file = match files::open_owned(path, 0o022) {
        Ok(file) => file,
        Err(Untrusted::Link) => {
            return Err(untrusted(
                "is a symbolic link, which rolehop does not follow (whoever can change the link chooses the token); point --token-file at the file itself".into(),
            ));
        }
        Err(Untrusted::NotRegular) => {
            return Err(untrusted(
                "is not a regular file; point --token-file at a file, or at a new path so rolehop creates one".into(),
            ));
        }
        Err(Untrusted::Mode(mode)) => {
            return Err(untrusted(format!(
                "is writable by group or others (mode {mode:04o}), so anyone could have chosen the token; run chmod 600 {shown}, or delete it so rolehop writes a new one"
            )));
        }
        Err(Untrusted::Owner { uid, me }) => {
            return Err(untrusted(format!(
                "is owned by uid {uid}, not by rolehop's user (uid {me}), so another user chose the token; run chown {me} {shown}, or delete it so rolehop writes a new one"
            )));
        }
        Err(Untrusted::Io(e)) => return Err(read_error(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_TOKEN_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_TOKEN_FILE_LEN {
        return Err(untrusted(format!(
            "is longer than {MAX_TOKEN_FILE_LEN} bytes, which no token is; write the token alone into it (openssl rand -hex 32)"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_a_random_token_without_newline_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let token = AuthToken::load(&TokenSource::File(path.clone()), None).unwrap();
        let on_disk = fs::read_to_string(&path).unwrap();
        assert_eq!(on_disk, token.expose());
        assert_eq!(on_disk.len(), 64);
        assert!(on_disk.bytes().all(|b| b.is_ascii_hexdigit()));
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A second start reuses the same token, so app containers keep working.
        let again = AuthToken::load(&TokenSource::File(path.clone()), None).unwrap();
        assert_eq!(again.expose(), token.expose());
        let other = AuthToken::load(&TokenSource::File(dir.path().join("t2")), None).unwrap();
        assert_ne!(other.expose(), token.expose());
    }

    #[test]
    fn refuses_tokens_the_sdks_would_mangle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        fs::write(&path, "0123456789abcdef0123\n").unwrap();
        let err = AuthToken::load(&TokenSource::File(path), None).unwrap_err();
        assert!(err.to_string().contains("newline"), "{err}");
        let err = AuthToken::load(&TokenSource::Env, Some("short".into())).unwrap_err();
        assert!(
            err.to_string().contains("ROLEHOP_TOKEN is shorter"),
            "{err}"
        );
        let err = AuthToken::load(&TokenSource::Env, Some("has a space in the middle".into()))
            .unwrap_err();
        assert!(err.to_string().contains("printable"), "{err}");
        assert!(
            !err.to_string().contains("has a space"),
            "the token itself leaked: {err}"
        );
    }

    #[test]
    fn a_token_file_is_read_up_to_its_cap_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let limit = usize::try_from(MAX_TOKEN_FILE_LEN).unwrap();
        fs::write(&path, "a".repeat(limit)).unwrap();
        assert!(AuthToken::read_existing(&path).is_ok());
        fs::write(&path, "a".repeat(limit + 1)).unwrap();
        let err = AuthToken::read_existing(&path).unwrap_err();
        assert!(err.to_string().contains("longer than 4096 bytes"), "{err}");
        // A sparse gigabyte is refused without being read.
        let file = fs::File::create(&path).unwrap();
        file.set_len(1 << 30).unwrap();
        let err = AuthToken::read_existing(&path).unwrap_err();
        assert!(err.to_string().contains("longer than 4096 bytes"), "{err}");
    }

    #[test]
    fn unreadable_parent_is_a_clear_error() {
        let err = AuthToken::load(
            &TokenSource::File(PathBuf::from("/nonexistent-dir/rolehop/token")),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot create token file /nonexistent-dir"),
            "{err}"
        );
    }

    #[test]
    fn matching_is_exact() {
        let token =
            AuthToken::load(&TokenSource::Env, Some("0123456789abcdef-token".into())).unwrap();
        assert!(token.matches(b"0123456789abcdef-token"));
        assert!(!token.matches(b"0123456789abcdef-toke"));
        assert!(!token.matches(b"0123456789abcdef-token "));
        assert!(!token.matches(b""));
        // Every single-byte difference, in the words and in the tail, fails.
        let good = b"0123456789abcdef-token";
        for i in 0..good.len() {
            let mut bad = *good;
            bad[i] ^= 0x01;
            assert!(!token.matches(&bad), "byte {i}");
        }
    }
}
