//! Per-container clients: each `[client NAME]` of the config file has its own token, from a
//! variable (`token_env`) or a file (`token_file`), and the profiles it is granted. With clients
//! configured, only their tokens are accepted.
//!
//! - Lookup takes the same time whichever client matches, or none: the presented header is
//!   hashed (SHA-256, so every token compares as 32 bytes whatever its length) and the hash is
//!   compared with every client's, in constant time, with no early exit.
//! - A token file is re-read every [`RELOAD_INTERVAL`]: a changed token takes effect then and
//!   the old one stops working. A file that cannot be read (or holds a bad token) keeps the
//!   token read before, with a warning naming the client and the fix.
//! - Logs and `/metrics` name the client, never its token.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use super::AuthToken;
use crate::role_name::DEFAULT_ROLE;

/// Most clients one rolehop serves.
pub const MAX_CLIENTS: usize = 64;
/// How often token files are re-read (a rotation takes effect within this plus a read).
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// Where a client's token comes from: a variable's name, or a file. Never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTokenSource {
    Env(String),
    File(PathBuf),
}

impl std::fmt::Display for ClientTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env(name) => write!(f, "token_env = {name}"),
            Self::File(path) => write!(f, "token_file = {}", path.display()),
        }
    }
}

/// The profiles a client may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// `profiles = *`.
    All,
    /// In the order written; never empty.
    Profiles(Vec<String>),
}

impl Grant {
    pub fn allows(&self, profile: &str) -> bool {
        match self {
            Self::All => true,
            Self::Profiles(names) => names.iter().any(|n| n == profile),
        }
    }

    /// The profile `GET /v1/credentials` serves: the first one granted (`default` for `*`).
    pub fn first(&self) -> &str {
        match self {
            Self::All => DEFAULT_ROLE,
            Self::Profiles(names) => names.first().map_or(DEFAULT_ROLE, String::as_str),
        }
    }
}

/// One `[client NAME]` section, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub name: String,
    pub token: ClientTokenSource,
    pub grant: Grant,
}

type TokenDigest = [u8; 32];

fn digest(token: &[u8]) -> TokenDigest {
    Sha256::digest(token).into()
}

/// A client at run time: its grant and its counters (the token's digest is in [`Clients`]).
#[derive(Debug)]
pub struct Client {
    pub name: String,
    pub grant: Grant,
    source: ClientTokenSource,
    /// Answers with credentials.
    pub served: AtomicU64,
    /// 403s for a profile not granted.
    pub refused: AtomicU64,
    /// Token file changes taken up.
    pub rotations: AtomicU64,
    /// The last re-read problem, so a broken file warns once per change, not every interval.
    last_problem: Mutex<Option<String>>,
}

/// Every client and its current token digest (same index).
pub struct Clients {
    clients: Vec<Client>,
    digests: RwLock<Vec<TokenDigest>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("clients", &self.clients)
            .field("digests", &"** redacted **")
            .finish()
    }
}

#[cfg(test)]
thread_local! {
    /// Token comparisons made by [`Clients::find`] on this thread, for the test that every
    /// token is compared whichever matches.
    static COMPARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Clients {
    /// Reads every client's token (`env` gives variables); every problem is reported at once,
    /// each naming the client and never a token.
    pub fn load(
        configs: &[ClientConfig],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let mut clients = Vec::new();
        let mut digests: Vec<TokenDigest> = Vec::new();
        for config in configs {
            let token = match &config.token {
                ClientTokenSource::Env(name) => AuthToken::from_env_var(name, env(name)),
                ClientTokenSource::File(path) => {
                    AuthToken::load(&super::TokenSource::File(path.clone()), None)
                }
            };
            match token {
                Ok(token) => {
                    let d = digest(token.expose().as_bytes());
                    if let Some(other) = digests.iter().position(|o| *o == d) {
                        errors.push(format!(
                            "clients {} and {} have the same token; give each client its own (openssl rand -hex 32)",
                            clients_name(&clients, other),
                            config.name
                        ));
                    }
                    digests.push(d);
                }
                Err(e) => {
                    errors.push(format!("client {}: {e}", config.name));
                    digests.push([0; 32]);
                }
            }
            clients.push(Client {
                name: config.name.clone(),
                grant: config.grant.clone(),
                source: config.token.clone(),
                served: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                rotations: AtomicU64::new(0),
                last_problem: Mutex::new(None),
            });
        }
        if errors.is_empty() {
            Ok(Self {
                clients,
                digests: RwLock::new(digests),
            })
        } else {
            Err(errors)
        }
    }

    /// The client whose token is `presented`. Every token is compared, in constant time,
    /// whichever matches (module docs).
    pub fn find(&self, presented: &[u8]) -> Option<&Client> {
        let wanted = digest(presented);
        let digests = self.digests.read().unwrap_or_else(PoisonError::into_inner);
        let mut index = 0u32;
        let mut found = Choice::from(0);
        for (i, d) in digests.iter().enumerate() {
            let equal = d.ct_eq(&wanted);
            index.conditional_assign(&u32::try_from(i).unwrap_or(u32::MAX), equal);
            found |= equal;
            #[cfg(test)]
            COMPARED.with(|c| c.set(c.get() + 1));
        }
        drop(digests);
        if bool::from(found) {
            self.clients.get(index as usize)
        } else {
            None
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter()
    }

    /// True when some client's token comes from a file (so there is something to re-read).
    pub fn any_file(&self) -> bool {
        self.clients
            .iter()
            .any(|c| matches!(c.source, ClientTokenSource::File(_)))
    }

    /// Re-reads every token file; a changed token replaces the old one at once.
    pub fn reload(&self) {
        for (i, client) in self.clients.iter().enumerate() {
            let ClientTokenSource::File(path) = &client.source else {
                continue;
            };
            let problem = match AuthToken::read_existing(path) {
                Ok(token) => {
                    let new = digest(token.expose().as_bytes());
                    let mut digests = self.digests.write().unwrap_or_else(PoisonError::into_inner);
                    match digests.iter().position(|d| *d == new) {
                        Some(same) if same == i => None,
                        Some(other) => Some(format!(
                            "client {}'s new token is client {}'s; keeping its previous token until the file holds one of its own",
                            client.name, self.clients[other].name
                        )),
                        None => {
                            digests[i] = new;
                            drop(digests);
                            client.rotations.fetch_add(1, Relaxed);
                            tracing::info!(client = %client.name, path = %path.display(), "client token changed; the previous token no longer works");
                            None
                        }
                    }
                }
                Err(e) => Some(format!(
                    "cannot re-read client {}'s token: {e}; keeping its previous token",
                    client.name
                )),
            };
            let mut last = client
                .last_problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(problem) = &problem
                && last.as_ref() != Some(problem)
            {
                tracing::warn!(client = %client.name, "{problem}");
            }
            *last = problem;
        }
    }

    /// Re-reads token files every [`RELOAD_INTERVAL`], for as long as the process runs.
    pub async fn watch(self: std::sync::Arc<Self>) {
        let mut tick = tokio::time::interval(RELOAD_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let clients = std::sync::Arc::clone(&self);
            // File reads block: keep them off the request threads.
            let _ = tokio::task::spawn_blocking(move || clients.reload()).await;
        }
    }
}

fn clients_name(clients: &[Client], index: usize) -> &str {
    clients.get(index).map_or("?", |c| c.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_client(name: &str, var: &str, grant: Grant) -> ClientConfig {
        ClientConfig {
            name: name.into(),
            token: ClientTokenSource::Env(var.into()),
            grant,
        }
    }

    fn token_of(i: usize) -> String {
        format!("token-{i:02}-0123456789abcdef")
    }

    #[test]
    fn lookup_compares_every_token_whichever_matches() {
        let configs: Vec<ClientConfig> = (0..MAX_CLIENTS)
            .map(|i| env_client(&format!("c{i}"), &format!("T{i}"), Grant::All))
            .collect();
        let env = |k: &str| k.strip_prefix('T').map(|i| token_of(i.parse().unwrap()));
        let clients = Clients::load(&configs, &env).unwrap();
        let compared = |presented: &[u8]| {
            COMPARED.with(|c| c.set(0));
            let found = clients.find(presented).map(|c| c.name.clone());
            (found, COMPARED.with(std::cell::Cell::get))
        };
        for i in [0, 1, 31, MAX_CLIENTS - 1] {
            assert_eq!(
                compared(token_of(i).as_bytes()),
                (Some(format!("c{i}")), MAX_CLIENTS)
            );
        }
        // No match, a prefix of a token, a longer value: still every token, no match.
        for wrong in [&b"nope"[..], b"token-00-0123456789abcde", b""] {
            assert_eq!(compared(wrong), (None, MAX_CLIENTS));
        }
        let mut longer = token_of(5).into_bytes();
        longer.push(b'x');
        assert_eq!(compared(&longer), (None, MAX_CLIENTS));
    }

    #[test]
    fn problems_name_the_client_never_the_token() {
        let configs = [
            env_client("web", "TW", Grant::All),
            env_client("batch", "TB", Grant::All),
            env_client("missing", "TM", Grant::All),
            env_client("short", "TS", Grant::All),
        ];
        let env = |k: &str| match k {
            "TW" | "TB" => Some("same-token-0123456789".to_owned()),
            "TS" => Some("tiny".to_owned()),
            _ => None,
        };
        let errs = Clients::load(&configs, &env).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert!(errs[0].starts_with("clients web and batch have the same token"));
        assert!(
            errs[1].starts_with("client missing: TM is not set"),
            "{errs:?}"
        );
        assert!(
            errs[2].starts_with("client short: TS is shorter"),
            "{errs:?}"
        );
        let all = errs.join("\n");
        assert!(
            !all.contains("same-token") && !all.contains("tiny"),
            "{all}"
        );
    }

    #[test]
    fn a_rotated_file_replaces_the_old_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch");
        crate::files::write_atomically(&path, b"first-token-0123456789").unwrap();
        let configs = [
            ClientConfig {
                name: "batch".into(),
                token: ClientTokenSource::File(path.clone()),
                grant: Grant::Profiles(vec!["reports".into(), "audit".into()]),
            },
            env_client("web", "TW", Grant::Profiles(vec!["orders".into()])),
        ];
        let env = |k: &str| (k == "TW").then(|| "web-token-0123456789".to_owned());
        let clients = Clients::load(&configs, &env).unwrap();
        let name = |t: &str| clients.find(t.as_bytes()).map(|c| c.name.clone());
        assert_eq!(name("first-token-0123456789").as_deref(), Some("batch"));
        crate::files::write_atomically(&path, b"second-token-0123456789").unwrap();
        clients.reload();
        assert_eq!(name("first-token-0123456789"), None);
        assert_eq!(name("second-token-0123456789").as_deref(), Some("batch"));
        assert_eq!(name("web-token-0123456789").as_deref(), Some("web"));
        assert_eq!(clients.iter().next().unwrap().rotations.load(Relaxed), 1);
        // Another client's token, or a broken file, keeps the previous one.
        crate::files::write_atomically(&path, b"web-token-0123456789").unwrap();
        clients.reload();
        crate::files::write_atomically(&path, b"short").unwrap();
        clients.reload();
        assert_eq!(name("second-token-0123456789").as_deref(), Some("batch"));
        assert_eq!(name("web-token-0123456789").as_deref(), Some("web"));
        assert_eq!(clients.iter().next().unwrap().grant.first(), "reports");
        assert!(!format!("{clients:?}").contains("second-token"));
    }
}
