//! `rolehop credential-process`: the `credential_process` contract (REFERENCE 4). Prints
//! Version 1 JSON with `Expiration` on stdout and exits 0; on failure, exits non-zero with one
//! line on stderr and nothing on stdout.
//!
//! Fast path: ask the running rolehop (the CLI runs this for every `aws` call, so it must be
//! quick and must not call STS). Standalone (`--standalone`, or role flags / `--config` instead
//! of `--endpoint`): source → chain in this process, with a per-user cache file (mode 0600,
//! written atomically, keyed by every parameter of the role's chain) reused while more than
//! 15 minutes remain.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::CmdError;
use crate::cache::Timing;
use crate::chain::SessionName;
use crate::cli::CredentialProcessArgs;
use crate::client::ClientConfig;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{self, RoleConfig, RoleSource};
use crate::credentials::Credentials;
use crate::roles::{self, Roles};

/// A cached standalone credential is reused while it has more than this left.
pub const CACHE_MIN_REMAINING: Duration = Duration::from_secs(15 * 60);
pub const ENV_CACHE_DIR: &str = "ROLEHOP_CACHE_DIR";
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
        client.fetch().map_err(CmdError::failure)?
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
    let default_session = roles::default_session_name().await;
    let cache_file =
        cache_dir().map(|dir| dir.join(format!("{}.json", cache_key(&chain, &default_session))));
    if let Some(creds) = cache_file.as_ref().and_then(|f| read_cache(f, clock.now())) {
        return Ok(creds);
    }
    let sdk = roles::sdk_config().await.map_err(CmdError::usage)?;
    let needed: Vec<RoleConfig> = chain.iter().map(|r| (*r).clone()).collect();
    let cells = Roles::new(&needed, &sdk, &default_session, &clock, &|_| {
        Timing::default()
    })
    .map_err(CmdError::usage)?;
    cells.spawn();
    let creds = cells.roles[target]
        .get_within(STANDALONE_LIMIT)
        .await
        .map_err(|e| CmdError::failure(e.to_string()))?;
    if let Some(file) = &cache_file {
        // A cache that cannot be written costs speed, not correctness.
        let _ = file.parent().map(crate::files::private_dir);
        let _ = crate::files::write_atomically(file, &creds.to_process_json());
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

fn read_cache(file: &std::path::Path, now: SystemTime) -> Option<Credentials> {
    let creds = Credentials::from_json(&std::fs::read(file).ok()?).ok()?;
    creds.expiration?;
    creds.valid_for(now, CACHE_MIN_REMAINING).then_some(creds)
}
