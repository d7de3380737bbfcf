//! `rolehop check --clients`: "which account will each client here be in?", asked in an app's
//! container. For every client of the client table ([`crate::sdk`]) it predicts, from this
//! process's environment and this container's files (the `AWS_*` variables, the config and
//! credentials files, the token file), the source the client would use and what it would send
//! ([`crate::sdk::predict`], which tests/sdks.rs holds to the measured clients), then asks that
//! source, where it is a container endpoint, which role it serves. A client that would land
//! anywhere but the role rolehop serves at `AWS_CONTAINER_CREDENTIALS_FULL_URI` is flagged
//! with the fix.
//!
//! Where cheap it finds the releases installed (Python distributions in the usual
//! site-packages places, `node_modules` under the working directory, and `--app PATH`: a
//! directory searched the same way, or a Go executable whose embedded module list names its
//! SDK) and says which row each falls in; a client found installed that lands elsewhere fails,
//! the rest warn only when nothing was found installed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::check::findings::{Finding, FindingId, Status};
use crate::sdk::{self, Prediction, Sends, Source};
use crate::source::{ENV_AUTHORIZATION_TOKEN, ENV_AUTHORIZATION_TOKEN_FILE, ENV_FULL_URI};

const ID: FindingId = FindingId::ClientsAccount;
/// How long a container endpoint may take to answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A release found installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub package: String,
    pub version: String,
    pub at: String,
}

/// The report: findings for the clients that land elsewhere, and the `"clients"` list.
pub struct Answer {
    pub findings: Vec<Finding>,
    pub clients: Value,
    pub text: String,
}

/// What a container endpoint answered.
#[derive(Debug, Clone)]
enum Asked {
    Role {
        role_arn: Option<String>,
        account: Option<String>,
    },
    Refused(String),
    Unreachable(AskError),
}

/// Why a container endpoint gave no HTTP answer (or was not asked). Its I/O errors are shared
/// so an answer can be kept for the report and for the verdict.
#[derive(Debug, Clone, thiserror::Error)]
enum AskError {
    #[error("not asked: only plain-http endpoints are asked")]
    NotPlainHttp,
    #[error("cannot resolve {authority}: {source}")]
    Resolve {
        authority: String,
        source: Arc<std::io::Error>,
    },
    #[error("no address")]
    NoAddress,
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: std::net::SocketAddr,
        source: Arc<std::io::Error>,
    },
    #[error("cannot send to {authority}: {source}")]
    Send {
        authority: String,
        source: Arc<std::io::Error>,
    },
    #[error("no answer from {authority}: {source}")]
    NoAnswer {
        authority: String,
        source: Arc<std::io::Error>,
    },
    #[error("{authority} sent no HTTP answer")]
    NotHttp { authority: String },
}

impl Asked {
    fn account(&self) -> Option<&str> {
        match self {
            Asked::Role { account, .. } => account.as_deref(),
            _ => None,
        }
    }
}

/// Answers for every client of the table in the environment `env` gives.
pub fn answer(env: &dyn Fn(&str) -> Option<String>, apps: &[PathBuf]) -> Answer {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let installed = installed(env, &cwd, apps);
    let token = |sends: Sends| match sends {
        Sends::TokenFile => env(ENV_AUTHORIZATION_TOKEN_FILE)
            .and_then(|f| std::fs::read_to_string(f).ok())
            .map(|t| t.trim_end_matches(['\r', '\n']).to_owned()),
        Sends::TokenVariable => env(ENV_AUTHORIZATION_TOKEN),
        Sends::NoToken => None,
    };
    // The role rolehop serves here: FULL_URI asked with the token the container holds.
    let intended = env(ENV_FULL_URI).map(|url| {
        let held = token(Sends::TokenFile).or_else(|| token(Sends::TokenVariable));
        (url.clone(), ask(&url, held.as_deref()))
    });
    let mut asked: Vec<((String, Sends), Asked)> = Vec::new();
    let mut clients = Vec::new();
    let mut findings = Vec::new();
    let mut text = String::from("\nclients: which account each client here would be in\n");
    let found_any = !installed.is_empty();
    for row in sdk::TABLE {
        let p = sdk::predict(row, env);
        let here: Vec<&Installed> = installed
            .iter()
            .filter(|i| {
                sdk::row_for(&i.package, &i.version).is_some_and(|(r, _)| r.name == row.name)
            })
            .collect();
        let reached = match (&p.url, p.sends) {
            (Some(url), Some(sends)) => {
                let key = (url.clone(), sends);
                let known = asked
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, a)| a.clone());
                Some(known.unwrap_or_else(|| {
                    let a = ask(url, token(sends).as_deref());
                    asked.push((key, a.clone()));
                    a
                }))
            }
            _ => None,
        };
        let verdict = verdict(&p, reached.as_ref(), intended.as_ref().map(|(_, a)| a));
        let account = reached.as_ref().and_then(Asked::account).map(str::to_owned);
        text.push_str(&format!(
            "  {:<34} {:<18} {}{}\n",
            row.name,
            p.source.as_str(),
            account
                .as_deref()
                .map_or(String::new(), |a| format!("account {a}; ")),
            verdict.as_ref().map_or("as intended", |(_, m)| m.as_str())
        ));
        if let Some((status, message)) = &verdict {
            let status = if !here.is_empty() {
                Some(*status)
            } else if !found_any {
                Some(Status::Warn)
            } else {
                None
            };
            if let Some(status) = status {
                findings.push(Finding::new(ID, status, format!("{}: {message}", row.name)));
            }
        }
        clients.push(json!({
            "client": row.name,
            "release": row.release,
            "evidence": match row.evidence { sdk::Evidence::Measured => "measured", sdk::Evidence::Read(_) => "read", sdk::Evidence::Probed => "probed" },
            "source": p.source.as_str(),
            "url": p.url,
            "sends": p.sends,
            "account": account,
            "role_arn": match &reached { Some(Asked::Role { role_arn, .. }) => role_arn.clone(), _ => None },
            "why": p.why,
            "unsure": p.unread,
            "as_intended": verdict.is_none(),
            "problem": verdict.as_ref().map(|(_, m)| m.clone()),
            "installed": here.iter().map(|i| json!({"package": i.package, "version": i.version, "at": i.at})).collect::<Vec<_>>(),
        }));
    }
    for i in &installed {
        let row = sdk::row_for(&i.package, &i.version);
        text.push_str(&format!(
            "  installed: {} {} at {}: {}\n",
            i.package,
            i.version,
            i.at,
            match row {
                Some((r, true)) => format!("row {}", r.name),
                Some((r, false)) => format!("older than every row; nearest {}", r.name),
                None => "no row".into(),
            }
        ));
    }
    Answer {
        findings,
        clients: Value::Array(clients),
        text,
    }
}

/// `None` when the client lands in the role rolehop serves; else how bad and the fix.
fn verdict(
    p: &Prediction,
    reached: Option<&Asked>,
    intended: Option<&Asked>,
) -> Option<(Status, String)> {
    let unsure = if p.unread {
        " (the table has cells not read for this client: the prediction may be wrong)"
    } else {
        ""
    };
    let fail = |m: String| Some((Status::Fail, format!("{m}{unsure}")));
    match p.source {
        Source::ContainerFull => match (reached, intended) {
            (Some(Asked::Role { account, .. }), Some(Asked::Role { account: want, .. }))
                if account == want =>
            {
                None
            }
            (Some(Asked::Role { .. }), _) => fail(format!(
                "asks {} and gets a role other than the one rolehop serves with this container's token; check the token it sends ({})",
                p.url.as_deref().unwrap_or_default(),
                p.why
            )),
            (Some(Asked::Refused(why)), _) if p.sends == Some(Sends::NoToken) => fail(format!(
                "sends no token and is refused ({why}); {}; set both {ENV_AUTHORIZATION_TOKEN_FILE} and {ENV_AUTHORIZATION_TOKEN} (rolehop exec --token-file does)",
                p.why
            )),
            (Some(Asked::Refused(why)), _) => fail(format!("is refused ({why}); {}", p.why)),
            (Some(Asked::Unreachable(why)), _) => fail(format!(
                "cannot reach {}: {why}",
                p.url.as_deref().unwrap_or_default()
            )),
            (None, _) => fail(p.why.clone()),
        },
        Source::ContainerRelative => fail(format!(
            "gets the task role from the ECS agent ({}){}; run the app under `rolehop exec` (which unsets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) or give it a profile whose credential_process is rolehop's",
            p.why,
            if p.sends == Some(Sends::TokenVariable) {
                ", and sends the token in AWS_CONTAINER_AUTHORIZATION_TOKEN to it"
            } else {
                ""
            }
        )),
        Source::Profile => {
            // A profile whose credential_process runs rolehop is the intended wiring.
            if profile_runs_rolehop(p) {
                None
            } else {
                Some((
                    Status::Warn,
                    format!(
                        "uses a profile ({}); its account was not asked: make the profile's credential_process `rolehop credential-process`, or remove the profile",
                        p.why
                    ),
                ))
            }
        }
        Source::Environment => fail(format!(
            "{}; remove them from the app's environment (rolehop exec does)",
            p.why
        )),
        Source::Imds => fail(format!(
            "{}: the instance's role, not rolehop's; point the app at rolehop ({ENV_FULL_URI}, rolehop exec, or a profile)",
            p.why
        )),
        Source::None => fail(format!("gets no credentials: {}", p.why)),
    }
}

/// Whether the predicted profile's `credential_process` is rolehop's.
fn profile_runs_rolehop(p: &Prediction) -> bool {
    p.profile_process.as_deref().is_some_and(|c| {
        c.split_whitespace()
            .next()
            .is_some_and(|exe| exe.ends_with("rolehop"))
    })
}

/// GET `url` with `token` as `Authorization`: which role the endpoint serves, or why not.
fn ask(url: &str, token: Option<&str>) -> Asked {
    match http_get(url, token) {
        Err(why) => Asked::Unreachable(why),
        Ok((200, body)) => match crate::credentials::Credentials::from_json(&body) {
            Ok(c) => {
                let account = c.account_id.clone().or_else(|| {
                    c.role_arn
                        .as_deref()
                        .and_then(crate::arn::account_field)
                        .map(str::to_owned)
                });
                Asked::Role {
                    role_arn: c.role_arn.clone(),
                    account,
                }
            }
            Err(e) => Asked::Refused(format!("unusable credentials: {e}")),
        },
        Ok((status, body)) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            Asked::Refused(format!(
                "{status} {}",
                v["code"].as_str().unwrap_or("(no code)")
            ))
        }
    }
}

/// A plain-http GET (container endpoints speak nothing else); https is not asked.
fn http_get(url: &str, token: Option<&str>) -> Result<(u16, Vec<u8>), AskError> {
    let rest = url.strip_prefix("http://").ok_or(AskError::NotPlainHttp)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.starts_with('[') && !authority.contains("]:")
        || !authority.starts_with('[') && !authority.contains(':')
    {
        format!("{authority}:80")
    } else {
        authority.to_owned()
    };
    let addrs: Vec<std::net::SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .map_err(|e| AskError::Resolve {
            authority: authority.to_owned(),
            source: Arc::new(e),
        })?
        .collect();
    let mut last = AskError::NoAddress;
    for a in addrs {
        match std::net::TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(TIMEOUT)).ok();
                stream.set_write_timeout(Some(TIMEOUT)).ok();
                let auth = token.map_or(String::new(), |t| format!("Authorization: {t}\r\n"));
                let request = format!(
                    "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{auth}Connection: close\r\n\r\n"
                );
                stream
                    .write_all(request.as_bytes())
                    .map_err(|e| AskError::Send {
                        authority: authority.to_owned(),
                        source: Arc::new(e),
                    })?;
                let mut raw = Vec::new();
                stream
                    .take(1 << 20)
                    .read_to_end(&mut raw)
                    .map_err(|e| AskError::NoAnswer {
                        authority: authority.to_owned(),
                        source: Arc::new(e),
                    })?;
                return parse_response(&raw).ok_or_else(|| AskError::NotHttp {
                    authority: authority.to_owned(),
                });
            }
            Err(e) => {
                last = AskError::Connect {
                    addr: a,
                    source: Arc::new(e),
                }
            }
        }
    }
    Err(last)
}

/// Status and body of an HTTP/1.1 response (plain or chunked).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &raw[split + 4..];
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    });
    if !chunked {
        return Some((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Installed releases.

/// The Python distributions that name a row's package.
const PYTHON_PACKAGES: [&str; 2] = ["botocore", "awscli"];
/// Go modules whose embedded version names a row.
const GO_MODULES: [&str; 2] = [
    "github.com/aws/aws-sdk-go",
    "github.com/aws/aws-sdk-go-v2/config",
];

fn installed(env: &dyn Fn(&str) -> Option<String>, cwd: &Path, apps: &[PathBuf]) -> Vec<Installed> {
    let mut out = Vec::new();
    let mut places: Vec<PathBuf> = vec![PathBuf::from("/usr/lib/python3/dist-packages")];
    for base in ["/usr/local/lib", "/usr/lib"] {
        for entry in read_dir(Path::new(base)) {
            if entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python3"))
            {
                places.push(entry.join("site-packages"));
                places.push(entry.join("dist-packages"));
            }
        }
    }
    for var in ["VIRTUAL_ENV", "HOME"] {
        if let Some(root) = env(var) {
            places.extend(site_packages_under(Path::new(&root), 5));
        }
    }
    for place in &places {
        python_in(place, &mut out);
    }
    node_in(cwd, &mut out);
    for app in apps {
        if app.is_dir() {
            for place in site_packages_under(app, 5) {
                python_in(&place, &mut out);
            }
            node_in(app, &mut out);
        } else if let Ok(bytes) = std::fs::read(app) {
            go_in(&bytes, &app.display().to_string(), &mut out);
        }
    }
    out.sort_by(|a, b| (&a.package, &a.version, &a.at).cmp(&(&b.package, &b.version, &b.at)));
    out.dedup();
    out
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// `site-packages` and `dist-packages` directories under `root`, `depth` levels down at most.
fn site_packages_under(root: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == "site-packages" || name == "dist-packages" {
        out.push(root.to_owned());
        return out;
    }
    if depth == 0 || name == "node_modules" || name.starts_with('.') && depth < 5 {
        return out;
    }
    for entry in read_dir(root) {
        if entry.is_dir() && !entry.is_symlink() {
            out.extend(site_packages_under(&entry, depth - 1));
        }
    }
    out
}

/// `NAME-VERSION.dist-info` / `.egg-info` entries of a site-packages directory.
fn python_in(place: &Path, out: &mut Vec<Installed>) {
    for entry in read_dir(place) {
        let file = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(stem) = file
            .strip_suffix(".dist-info")
            .or_else(|| file.strip_suffix(".egg-info"))
        else {
            continue;
        };
        let Some((name, version)) = stem.split_once('-') else {
            continue;
        };
        let version = version.split('-').next().unwrap_or(version);
        if PYTHON_PACKAGES.contains(&name.to_ascii_lowercase().as_str()) {
            out.push(Installed {
                package: name.to_ascii_lowercase(),
                version: version.to_owned(),
                at: place.display().to_string(),
            });
        }
    }
}

/// The JavaScript SDK v3's default credential chain in `dir/node_modules`: every
/// `@aws-sdk/credential-provider-node` there, hoisted (`node_modules/@aws-sdk/...`) or nested
/// under a package (`node_modules/PKG/node_modules/@aws-sdk/...`, as an aliased client has it).
/// Its release, not the client's (they part after 3.7xx), decides the table's row.
fn node_in(dir: &Path, out: &mut Vec<Installed>) {
    const CHAIN: &str = "@aws-sdk/credential-provider-node";
    let modules = dir.join("node_modules");
    let mut manifests = vec![modules.join(CHAIN).join("package.json")];
    for entry in read_dir(&modules) {
        let packages = if entry.file_name().is_some_and(|n| n == "@aws-sdk") {
            read_dir(&entry)
        } else {
            vec![entry]
        };
        for package in packages {
            manifests.push(
                package
                    .join("node_modules")
                    .join(CHAIN)
                    .join("package.json"),
            );
        }
    }
    for manifest in manifests {
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let (Some(CHAIN), Some(version)) = (v["name"].as_str(), v["version"].as_str()) else {
            continue;
        };
        out.push(Installed {
            package: CHAIN.into(),
            version: version.into(),
            at: manifest.parent().unwrap_or(&manifest).display().to_string(),
        });
    }
}

/// The Go SDK modules a Go executable's embedded build information lists (`dep\tPATH\tVERSION`
/// lines of its module list).
fn go_in(bytes: &[u8], at: &str, out: &mut Vec<Installed>) {
    for module in GO_MODULES {
        let needle = format!("dep\t{module}\t");
        let Some(i) = bytes
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        else {
            continue;
        };
        let rest = &bytes[i + needle.len()..];
        let end = rest
            .iter()
            .position(|b| matches!(b, b'\t' | b'\n'))
            .unwrap_or(rest.len().min(40));
        if let Ok(version) = std::str::from_utf8(&rest[..end]) {
            out.push(Installed {
                package: module.into(),
                version: version.into(),
                at: at.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_build_info_names_the_sdk_modules() {
        // The module list as `go version -m` prints it and the linker embeds it.
        let info = b"\x00path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/aws/aws-sdk-go-v2/config\tv1.27.34\th1:abc=\ndep\tgithub.com/aws/aws-sdk-go\tv1.55.5\th1:def=\n";
        let mut out = Vec::new();
        go_in(info, "app", &mut out);
        let found: Vec<(&str, &str)> = out
            .iter()
            .map(|i| (i.package.as_str(), i.version.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("github.com/aws/aws-sdk-go", "v1.55.5"),
                ("github.com/aws/aws-sdk-go-v2/config", "v1.27.34")
            ]
        );
    }

    #[test]
    fn node_modules_name_the_default_chains_release() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, name: &str, version: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(
                path.join("package.json"),
                format!(r#"{{"name": "{name}", "version": "{version}"}}"#),
            )
            .unwrap();
        };
        write(
            "node_modules/@aws-sdk/credential-provider-node",
            "@aws-sdk/credential-provider-node",
            "3.503.1",
        );
        write(
            "node_modules/@aws-sdk/client-sts",
            "@aws-sdk/client-sts",
            "3.1177.0",
        );
        // An aliased client with its own copy of the chain.
        write(
            "node_modules/sts-current/node_modules/@aws-sdk/credential-provider-node",
            "@aws-sdk/credential-provider-node",
            "3.972.99",
        );
        let mut out = Vec::new();
        node_in(dir.path(), &mut out);
        let mut found: Vec<(&str, &str)> = out
            .iter()
            .map(|i| (i.package.as_str(), i.version.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("@aws-sdk/credential-provider-node", "3.503.1"),
                ("@aws-sdk/credential-provider-node", "3.972.99")
            ]
        );
    }

    #[test]
    fn responses_plain_and_chunked() {
        assert_eq!(
            parse_response(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}"),
            Some((401, b"{}".to_vec()))
        );
        assert_eq!(
            parse_response(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
            ),
            Some((200, b"{}".to_vec()))
        );
    }
}
