//! `rolehop credential-process`: the `credential_process` contract (REFERENCE 4). Prints
//! Version 1 JSON with `Expiration` on stdout and exits 0; on failure, exits non-zero with one
//! line on stderr and nothing on stdout.
//!
//! Fast path: ask the running rolehop (the CLI runs this for every `aws` call, so it must be
//! quick and must not call STS). Standalone (`--standalone`, or role flags / `--config` instead
//! of `--endpoint`): source → chain in this process, with a per-user cache file (mode 0600,
//! written atomically, keyed by every parameter of the role's chain) reused while more than
//! 15 minutes remain. The cache is trusted only as far as no one else could have written it:
//! a directory another user owns or can write is not used (one warning line on stderr, the
//! credential is still assumed and printed), and a file that is a link, not private, not this
//! user's, or expires further away than any STS session is ignored and replaced.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::CmdError;
use crate::cache::Timing;
use crate::cli::CredentialProcessArgs;
use crate::client::ClientConfig;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{self, RoleConfig, RoleSource};
use crate::credentials::Credentials;
use crate::roles::Roles;
use crate::session::{MAX_DURATION_SECS, SessionName};

/// A cached standalone credential is reused while it has more than this left.
pub const CACHE_MIN_REMAINING: Duration = Duration::from_secs(15 * 60);
pub const ENV_CACHE_DIR: &str = "ROLEHOP_CACHE_DIR";
/// No STS session lasts longer (REFERENCE 6): a cached expiration further away was not written
/// by rolehop from STS's answer.
pub const MAX_CACHED_LIFETIME: Duration = Duration::from_secs(MAX_DURATION_SECS as u64);
/// A cache file is one credential_process body, well under this.
const MAX_CACHE_FILE: u64 = 64 * 1024;
/// How long a standalone run may take to assume the whole chain.
const STANDALONE_LIMIT: Duration = Duration::from_secs(60);

pub fn main(args: &CredentialProcessArgs) -> Result<(), CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    let standalone =
        args.standalone || args.roles.config.is_some() || config::role_flags_given(&args.roles);
    let creds = if standalone {
        if args.client.endpoint.is_some() {
            return Err(CmdError::usage(
                "--endpoint asks a running rolehop, while --standalone, --config and the role flags assume the role in this process; choose one",
            ));
        }
        let mut errors = Vec::new();
        let roles = config::roles_from_args(&args.roles, &env, &mut errors);
        if !errors.is_empty() {
            return Err(CmdError {
                code: crate::cli::exit::USAGE,
                messages: errors,
            });
        }
        let clock: SharedClock = Arc::new(SystemClock);
        super::runtime()?.block_on(standalone_credentials(roles, &args.client.role, clock))?
    } else {
        // The fast path: one blocking GET, no async runtime (see `client`).
        let client = ClientConfig::from_args(&args.client, &env).map_err(|errors| CmdError {
            code: crate::cli::exit::USAGE,
            messages: errors,
        })?;
        client.fetch().map_err(|e| CmdError::failure_of(&e))?
    };
    print(&creds)
}

fn print(creds: &Credentials) -> Result<(), CmdError> {
    use std::io::Write;
    let mut body = creds.to_process_json();
    body.push(b'\n');
    std::io::stdout()
        .write_all(&body)
        .map_err(|e| CmdError::failure(format!("cannot write to stdout: {e}")))
}

/// The target role and the profiles it chains from, target last.
fn chain_of<'a>(roles: &'a [RoleConfig], target: &str) -> Option<Vec<&'a RoleConfig>> {
    let mut chain = Vec::new();
    let mut name = target;
    loop {
        let role = roles.iter().find(|r| r.name == name)?;
        chain.push(role);
        match &role.source {
            RoleSource::Profile(next) => name = next,
            RoleSource::Credentials(_) => break,
        }
    }
    chain.reverse();
    Some(chain)
}

async fn standalone_credentials(
    roles: Vec<RoleConfig>,
    target: &str,
    clock: SharedClock,
) -> Result<Credentials, CmdError> {
    let Some(chain) = chain_of(&roles, target) else {
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        return Err(CmdError::usage(format!(
            "--role {target} is not a configured role; choose one of: {}",
            names.join(", ")
        )));
    };
    let default_session = crate::task_metadata::default_session_name().await;
    let cache_file = cache_dir()
        .filter(|dir| match trusted_dir(dir) {
            Ok(()) => true,
            Err(problem) => {
                eprintln!("rolehop: warning: {problem}");
                false
            }
        })
        .map(|dir| dir.join(format!("{}.json", cache_key(&chain, &default_session))));
    if let Some(creds) = cache_file.as_ref().and_then(|f| read_cache(f, clock.now())) {
        return Ok(creds);
    }
    let sdk = crate::source::sdk_config()
        .await
        .map_err(|e| CmdError::usage_of(&e))?;
    let needed: Vec<RoleConfig> = chain.iter().map(|r| (*r).clone()).collect();
    let cells = Roles::new(&needed, &sdk, &default_session, &clock, &|_| {
        Timing::default()
    })
    .map_err(|e| CmdError::usage_of(&e))?;
    cells.spawn();
    let creds = cells.roles[target]
        .get_within(STANDALONE_LIMIT)
        .await
        .map_err(|e| CmdError::failure_of(&e))?;
    if let Some((file, dir)) = cache_file.as_ref().and_then(|f| Some((f, f.parent()?))) {
        // A cache that cannot be written costs speed, not correctness. The directory is checked
        // again once it exists: another user may have made it first.
        if crate::files::private_dir(dir).is_ok() && trusted_dir(dir).is_ok() {
            let _ = crate::files::write_atomically(file, &creds.to_process_json());
        }
    }
    Ok((*creds).clone())
}

/// `ROLEHOP_CACHE_DIR`, else `$XDG_CACHE_HOME/rolehop`, else `~/.cache/rolehop`.
fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(ENV_CACHE_DIR)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("rolehop")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("rolehop")))
}

/// A digest of every parameter that shapes the chain's credentials (secrets included, which
/// is why it is hashed).
fn cache_key(chain: &[&RoleConfig], default_session: &SessionName) -> String {
    let mut hash = Sha256::new();
    for role in chain {
        let o = &role.options;
        let source = match &role.source {
            RoleSource::Credentials(kind) => kind.describe(),
            RoleSource::Profile(p) => format!("profile {p}"),
        };
        let fields = [
            role.role_arn.to_string(),
            role.external_id
                .as_ref()
                .map(|e| e.expose().to_owned())
                .unwrap_or_default(),
            role.session_name
                .as_ref()
                .unwrap_or(default_session)
                .as_str()
                .to_owned(),
            role.duration_secs.to_string(),
            o.tags
                .iter()
                .map(|t| format!("{}={}", t.key, t.value))
                .collect::<Vec<_>>()
                .join(","),
            o.transitive_tag_keys.join(","),
            o.source_identity.clone().unwrap_or_default(),
            o.policy.clone().unwrap_or_default(),
            o.policy_arns.join(","),
            source,
        ];
        for field in fields {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field.as_bytes());
        }
    }
    hex::encode(hash.finalize())
}

/// The directory is used only when no one but this user can write in it (or it does not exist
/// yet, so [`crate::files::private_dir`] makes it 0700): else another user could plant a
/// credential file in it. The sentence says why and how to fix it.
fn trusted_dir(dir: &Path) -> Result<(), UntrustedDir> {
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(UntrustedDir::Unreadable {
                dir: dir.to_owned(),
                source,
            });
        }
    };
    let dir = dir.to_owned();
    let me = rustix::process::geteuid().as_raw();
    if !meta.is_dir() {
        Err(UntrustedDir::NotADirectory { dir })
    } else if meta.uid() != me {
        Err(UntrustedDir::NotYours {
            dir,
            owner: meta.uid(),
            me,
        })
    } else if meta.mode() & 0o022 != 0 {
        Err(UntrustedDir::Writable {
            dir,
            mode: meta.mode() & 0o7777,
        })
    } else {
        Ok(())
    }
}

/// Why the credential cache directory is not used; the sentence says how to fix it.
#[derive(Debug, thiserror::Error)]
enum UntrustedDir {
    #[error(
        "the credential cache {} cannot be read ({source}), so it is not used; fix it or point {ENV_CACHE_DIR} elsewhere",
        dir.display()
    )]
    Unreadable {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the credential cache {} is not a directory, so it is not used; point {ENV_CACHE_DIR} at a directory of your own",
        dir.display()
    )]
    NotADirectory { dir: PathBuf },
    #[error(
        "the credential cache {} is owned by uid {owner}, not by you (uid {me}), so it is not used: its owner could plant credentials there; point {ENV_CACHE_DIR} at a directory of your own",
        dir.display()
    )]
    NotYours { dir: PathBuf, owner: u32, me: u32 },
    #[error(
        "the credential cache {} is writable by group or others (mode {mode:04o}), so it is not used: anyone could plant credentials there; run chmod 700 {}",
        dir.display(),
        dir.display()
    )]
    Writable { dir: PathBuf, mode: u32 },
}

/// A cached credential, if this user wrote it and it is still good at `now`: opened without
/// following a link, a regular file of this user's with no access for group or others (rolehop
/// writes it 0600), whose `Expiration` is more than [`CACHE_MIN_REMAINING`] and at most
/// [`MAX_CACHED_LIFETIME`] away. Anything else is ignored, and replaced by the fresh credential.
fn read_cache(file: &Path, now: SystemTime) -> Option<Credentials> {
    let file = crate::files::open_owned(file, 0o077).ok()?;
    let mut body = Vec::new();
    file.take(MAX_CACHE_FILE).read_to_end(&mut body).ok()?;
    let creds = Credentials::from_json(&body).ok()?;
    let expiration = creds.expiration?;
    let believable = expiration <= now + MAX_CACHED_LIFETIME;
    (believable && creds.valid_for(now, CACHE_MIN_REMAINING)).then_some(creds)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn a_cached_credential_is_used_only_between_15_minutes_and_12_hours_from_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.json");
        let expiry = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let body = format!(
            r#"{{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s","SessionToken":"t","Expiration":"{}"}}"#,
            crate::credentials::format_utc(expiry)
        );
        std::fs::write(&file, body).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let hours = |h: f64| Duration::from_secs_f64(h * 3600.0);
        assert!(read_cache(&file, expiry - hours(1.0)).is_some());
        assert!(read_cache(&file, expiry - hours(12.0)).is_some());
        assert!(
            read_cache(&file, expiry - hours(12.01)).is_none(),
            "too far away"
        );
        assert!(
            read_cache(&file, expiry - hours(0.2)).is_none(),
            "too close"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(
            read_cache(&file, expiry - hours(1.0)).is_none(),
            "not private"
        );
    }
}
