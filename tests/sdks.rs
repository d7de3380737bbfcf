//! What each AWS SDK does with the interfaces rolehop offers, measured: every cell of the
//! measured rows of the client table (`::rolehop::sdk::TABLE`, which docs/SDKS.md renders) is
//! checked against real clients, so the table cannot drift from what the clients do. Every run
//! is also checked against the table's prediction (`::rolehop::sdk::predict`, what `rolehop check
//! --clients` reports): the source the client used and the token it sent must be the ones
//! predicted for that environment.
//!
//! Each client runs inside a network namespace this test creates (`ip netns add`, as root; CI
//! runs as root), where 169.254.170.2, 169.254.170.23, fd00:ec2::23 and 192.0.2.10 are
//! addresses of the namespace's own loopback device and `examples/sdk_recorder` listens on all
//! of them (see `tests/support/recorder.rs`). Nothing leaves the namespace: a client that tries
//! a real AWS endpoint finds no route.
//!
//! The clients (installed by scripts/tools.sh and scripts/sdk-tools.sh): the AWS CLI v1 and
//! boto3 in `.tools/venv`, boto3 from 2023 in `.tools/venv-boto3-2023`, the JavaScript SDK v3
//! current and from 2023 in `.tools/sdk-js`, Debian's Ruby SDK, and the Rust SDK (aws-config,
//! through `examples/caller_identity`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{REGION, require_tool, rolehop, run_process, wait_for_async};

const TOOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools");
/// Where the recorder listens inside the namespace: every FULL_URI host the table probes.
const LISTEN: [&str; 8] = [
    "127.0.0.1:80",
    "127.0.0.2:80",
    "169.254.170.2:80",
    "169.254.170.23:80",
    "192.0.2.10:80",
    "[::1]:80",
    "[fd00:ec2::23]:80",
    "127.0.0.1:8080",
];
/// The FULL_URI hosts probed over plain http, in the table's order.
const HOSTS: [&str; 8] = [
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "[::1]",
    "169.254.170.2",
    "169.254.170.23",
    "[fd00:ec2::23]",
    "192.0.2.10",
];
/// Where the clients send STS calls: the recorder, inside the namespace.
const STS: &str = "http://127.0.0.1:8080";

/// Every client measured.
const CLIENTS: [Client; 9] = [
    Client::AwsCli,
    Client::Boto3,
    Client::Boto3From2023,
    Client::Rust,
    Client::Js,
    Client::JsFrom2023,
    Client::Ruby,
    Client::GoV1,
    Client::GoV2,
];

#[derive(Clone, Copy, Debug)]
enum Client {
    AwsCli,
    Boto3,
    Boto3From2023,
    Rust,
    Js,
    JsFrom2023,
    Ruby,
    GoV1,
    GoV2,
}

impl Client {
    /// The name in the first column of the table.
    fn name(self) -> &'static str {
        match self {
            Client::AwsCli => "AWS CLI v1",
            Client::Boto3 => "boto3",
            Client::Boto3From2023 => "boto3 (2023)",
            Client::Rust => "Rust SDK",
            Client::Js => "JavaScript SDK v3",
            Client::JsFrom2023 => "JavaScript SDK v3 (2023)",
            Client::Ruby => "Ruby SDK (Debian 12)",
            Client::GoV1 => "Go SDK v1 (Debian 12)",
            Client::GoV2 => "Go SDK v2 (Debian 12)",
        }
    }

    fn tool(path: &str, installer: &str) -> PathBuf {
        let p = Path::new(TOOLS).join(path);
        assert!(
            p.exists(),
            "{} is missing: run `source {installer}` first (scripts/test does)",
            p.display()
        );
        p
    }

    fn python(self) -> PathBuf {
        match self {
            Client::Boto3From2023 => {
                Self::tool("venv-boto3-2023/bin/python3", "scripts/sdk-tools.sh")
            }
            _ => Self::tool("venv/bin/python3", "scripts/tools.sh"),
        }
    }

    fn js_module(self) -> PathBuf {
        let alias = match self {
            Client::JsFrom2023 => "sts-2023",
            _ => "sts-current",
        };
        Self::tool(
            &format!("sdk-js/node_modules/{alias}"),
            "scripts/sdk-tools.sh",
        )
    }

    fn ruby() -> PathBuf {
        let ruby = require_tool("ruby");
        assert!(
            std::process::Command::new(&ruby)
                .args(["-e", "require 'aws-sdk-core'"])
                .status()
                .is_ok_and(|s| s.success()),
            "Debian's ruby-aws-sdk-core is missing: run `source scripts/sdk-tools.sh` first (scripts/test does)"
        );
        ruby
    }

    /// The program and arguments that make `calls` GetCallerIdentity calls `apart` seconds
    /// apart through the client's default credentials chain, printing each ARN on a line.
    fn command(self, calls: u32, apart: u32) -> (PathBuf, Vec<String>) {
        self.command_at(STS, calls, apart)
    }

    /// [`Client::command`] with STS at `sts` (the Rust SDK reads it from `AWS_ENDPOINT_URL`).
    fn command_at(self, sts: &str, calls: u32, apart: u32) -> (PathBuf, Vec<String>) {
        let (calls, apart) = (calls.to_string(), apart.to_string());
        match self {
            Client::AwsCli => {
                assert_eq!(calls, "1", "the AWS CLI makes one call per process");
                (
                    Self::tool("venv/bin/aws", "scripts/tools.sh"),
                    ["sts", "get-caller-identity", "--endpoint-url", sts]
                        .into_iter()
                        .chain(["--query", "Arn", "--output", "text"])
                        .map(String::from)
                        .collect(),
                )
            }
            Client::Boto3 | Client::Boto3From2023 => {
                let script = "import sys, time, boto3\nsts = boto3.client('sts', endpoint_url=sys.argv[1])\nfor i in range(int(sys.argv[2])):\n    if i: time.sleep(int(sys.argv[3]))\n    print(sts.get_caller_identity()['Arn'], flush=True)";
                (
                    self.python(),
                    vec!["-c".into(), script.into(), sts.into(), calls, apart],
                )
            }
            Client::Rust => {
                let exe = Path::new(rolehop::BIN)
                    .parent()
                    .expect("target dir")
                    .join("examples/caller_identity");
                assert!(
                    exe.is_file(),
                    "{} is missing; build it with `cargo build --examples` (scripts/test does)",
                    exe.display()
                );
                (exe, vec![calls, apart])
            }
            Client::Js | Client::JsFrom2023 => (
                require_tool("node"),
                vec![
                    concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/sdk-js/caller-identity.cjs"
                    )
                    .into(),
                    self.js_module().display().to_string(),
                    sts.into(),
                    calls,
                    apart,
                ],
            ),
            Client::GoV1 | Client::GoV2 => {
                let exe = match self {
                    Client::GoV1 => "sdk-go/v1",
                    _ => "sdk-go/v2",
                };
                (
                    Self::tool(exe, "scripts/sdk-tools.sh"),
                    vec![sts.into(), calls, apart],
                )
            }
            Client::Ruby => {
                let script = "require 'aws-sdk-core'\nsts = Aws::STS::Client.new(endpoint: ARGV[0])\nARGV[1].to_i.times do |i|\n  sleep ARGV[2].to_i if i > 0\n  puts sts.get_caller_identity.arn\n  $stdout.flush\nend";
                (
                    Self::ruby(),
                    vec!["-e".into(), script.into(), sts.into(), calls, apart],
                )
            }
        }
    }

    /// The release measured, for the table's second column.
    async fn version(self) -> String {
        let run = |program: PathBuf, args: Vec<&'static str>| async move {
            let (code, out, err) = run_process(&program, &args, &[], Duration::from_secs(60)).await;
            assert_eq!(code, 0, "{} {args:?}: {err}", program.display());
            out.trim().to_owned()
        };
        match self {
            Client::AwsCli => {
                let out = run(Self::tool("venv/bin/aws", "scripts/tools.sh"), vec!["--version"])
                    .await;
                // aws-cli/1.45.11 Python/3.11.7 Linux/... botocore/1.43.11
                let word = |prefix: &str| {
                    out.split_whitespace()
                        .find_map(|w| w.strip_prefix(prefix))
                        .unwrap_or("?")
                        .to_owned()
                };
                format!(
                    "awscli {} (botocore {})",
                    word("aws-cli/"),
                    word("botocore/")
                )
            }
            Client::Boto3 | Client::Boto3From2023 => {
                run(
                    self.python(),
                    vec![
                        "-c",
                        "import boto3, botocore; print(f'boto3 {boto3.__version__} (botocore {botocore.__version__})')",
                    ],
                )
                .await
            }
            Client::Rust => {
                let lock = include_str!("../Cargo.lock");
                let version = lock
                    .split("[[package]]")
                    .find(|p| p.contains("name = \"aws-config\""))
                    .and_then(|p| p.split("version = \"").nth(1))
                    .and_then(|v| v.split('"').next())
                    .expect("aws-config in Cargo.lock");
                format!("aws-config {version}")
            }
            Client::Js | Client::JsFrom2023 => {
                let version = |manifest: &Path| -> Option<String> {
                    let text = std::fs::read_to_string(manifest).ok()?;
                    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
                    v["version"].as_str().map(str::to_owned)
                };
                let module = self.js_module();
                let client = version(&module.join("package.json")).expect("package.json");
                // The default chain the client resolves: its own copy, else the hoisted one.
                let chain = "node_modules/@aws-sdk/credential-provider-node/package.json";
                let chain = version(&module.join(chain))
                    .or_else(|| version(&module.join("../..").join(chain)))
                    .expect("@aws-sdk/credential-provider-node beside the client");
                format!("@aws-sdk/client-sts {client} (credential-provider-node {chain})")
            }
            Client::GoV1 | Client::GoV2 => {
                // The release compiled in: Debian's sources under GOPATH, as scripts/sdk-tools.sh
                // builds them.
                let (file, marker, name) = match self {
                    Client::GoV1 => (
                        "/usr/share/gocode/src/github.com/aws/aws-sdk-go/aws/version.go",
                        "const SDKVersion = \"",
                        "aws-sdk-go",
                    ),
                    _ => (
                        "/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/config/go_module_metadata.go",
                        "const goModuleVersion = \"",
                        "aws-sdk-go-v2 config",
                    ),
                };
                let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
                    panic!("{file}: {e}: run `source scripts/sdk-tools.sh` first (scripts/test does)")
                });
                let version = text
                    .split(marker)
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .expect("a version in the source");
                format!("{name} {version}")
            }
            Client::Ruby => {
                run(
                    Self::ruby(),
                    vec!["-e", "require 'aws-sdk-core'; puts \"aws-sdk-core #{Aws::CORE_GEM_VERSION}\""],
                )
                .await
            }
        }
    }
}

/// A network namespace of the test's own with the recorder listening inside it.
struct Lab {
    ns: String,
    ip: PathBuf,
    _recorder: tokio::process::Child,
    log: Arc<Mutex<Vec<serde_json::Value>>>,
    dir: tempfile::TempDir,
    /// Runs whose outcome differs from `::rolehop::sdk::predict`'s, described.
    mispredicted: Mutex<Vec<String>>,
}

impl Lab {
    async fn start() -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
        let ip = require_tool("ip");
        let ns = format!(
            "rolehop-sdks-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::SeqCst)
        );
        let sh = |args: &[&str]| {
            let out = std::process::Command::new(&ip)
                .args(args)
                .output()
                .expect("run ip");
            assert!(
                out.status.success(),
                "ip {args:?} failed: {} (these tests need root for network namespaces; CI runs as root)",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        };
        sh(&["netns", "add", &ns]);
        // From here on, Drop deletes the namespace even if a later step panics.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lab = Self {
            ns: ns.clone(),
            ip: ip.clone(),
            _recorder: tokio::process::Command::new("true").spawn().expect("true"),
            log: Arc::default(),
            dir,
            mispredicted: Mutex::default(),
        };
        sh(&["-n", &ns, "link", "set", "lo", "up"]);
        for addr in [
            "169.254.170.2/32",
            "169.254.170.23/32",
            "192.0.2.10/32",
            "fd00:ec2::23/128",
        ] {
            // nodad: the address is usable at once, not "tentative" for a second.
            sh(&["-n", &ns, "addr", "add", addr, "dev", "lo", "nodad"]);
        }
        let recorder = Path::new(rolehop::BIN)
            .parent()
            .expect("target dir")
            .join("examples/sdk_recorder");
        assert!(
            recorder.is_file(),
            "{} is missing; build it with `cargo build --examples` (scripts/test does)",
            recorder.display()
        );
        let mut child = tokio::process::Command::new(&ip)
            .args(["netns", "exec", &ns])
            .arg(&recorder)
            .args(LISTEN)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the recorder");
        let stdout = child.stdout.take().unwrap();
        lab._recorder = child;
        let log = lab.log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(v) = serde_json::from_str(&line) {
                    log.lock().unwrap().push(v);
                }
            }
        });
        let log = lab.log.clone();
        wait_for_async("the recorder to listen", Duration::from_secs(10), || {
            let ready = !log.lock().unwrap().is_empty();
            async move { ready.then_some(()) }
        })
        .await;
        lab
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The environment every run starts from: no config files, no IMDS, STS at the recorder.
    fn base_env(&self) -> Vec<(String, String)> {
        let mut env = rolehop::base_env(self.dir.path());
        env.retain(|(k, _)| k != "PATH");
        env.push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
        env.push(("AWS_ENDPOINT_URL".into(), STS.into()));
        assert!(env.iter().any(|(k, v)| k == "AWS_REGION" && v == REGION));
        env
    }

    /// Runs `client` once in the namespace with the base environment plus `extra` (a value of
    /// `None` removes the variable).
    async fn run(&self, client: Client, extra: &[(&str, Option<&str>)]) -> Run {
        self.run_calls(client, extra, 1, 0).await
    }

    async fn run_calls(
        &self,
        client: Client,
        extra: &[(&str, Option<&str>)],
        calls: u32,
        apart: u32,
    ) -> Run {
        let mut env = self.base_env();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            if let Some(v) = v {
                env.push((k.to_string(), v.to_string()));
            }
        }
        let predicted = predict(client, &env);
        let (program, args) = client.command(calls, apart);
        let mut argv: Vec<String> = vec!["netns".into(), "exec".into(), self.ns.clone()];
        argv.push(program.display().to_string());
        argv.extend(args);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        // At most three short runs at once across all clients: their start-up is what costs CPU
        // (the AWS CLI's most of all), and the rest of the suite has timed tests beside this one.
        // The long refresh runs mostly sleep and are not counted.
        static STARTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(3);
        let _permit = if calls == 1 {
            Some(STARTING.acquire().await.expect("never closed"))
        } else {
            None
        };
        let first = self.log.lock().unwrap().len();
        let limit = Duration::from_secs(60 + u64::from(calls * apart));
        let (code, stdout, stderr) = run_process(&self.ip, &argv, &env, limit).await;
        // The recorder prints a request before answering it, so its line is out by the time
        // the client has its answer; the reader task may need a moment to pick it up.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let requests = self.log.lock().unwrap()[first..].to_vec();
        let run = Run {
            code,
            stdout,
            stderr,
            requests,
        };
        let did = observed(&env, &run);
        if did != predicted {
            let extra: Vec<String> = extra
                .iter()
                .map(|(k, v)| format!("{k}={}", v.unwrap_or("(unset)")))
                .collect();
            self.mispredicted.lock().unwrap().push(format!(
                "with {}: predicted {predicted:?}, the client did {did:?}",
                extra.join(" ")
            ));
        }
        run
    }
}

/// What `::rolehop::sdk::predict` says `client` does in `env`: the source and the token sent.
fn predict(
    client: Client,
    env: &[(String, String)],
) -> (&'static str, Option<::rolehop::sdk::Sends>) {
    let row = ::rolehop::sdk::row(client.name()).expect("every measured client has a row");
    let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let p = ::rolehop::sdk::predict(row, &lookup);
    assert!(
        !p.unread,
        "{}: a measured row must decide every prediction: {}",
        client.name(),
        p.why
    );
    (p.source.as_str(), p.sends)
}

/// What the client did, in the prediction's terms: the container endpoint it asked last (and
/// the token it sent there), else the source of the key it signed with.
fn observed(env: &[(String, String)], run: &Run) -> (&'static str, Option<::rolehop::sdk::Sends>) {
    use ::rolehop::sdk::Sends;
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let asked = run.requests.iter().rfind(|r| {
        r["method"] == "GET"
            && !r["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/latest/")
    });
    if let Some(r) = asked {
        let path = r["path"].as_str().unwrap_or_default();
        let relative = var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some_and(|rel| {
            r["local"] == "169.254.170.2:80" && (path == rel || (rel.is_empty() && path == "/"))
        });
        let sent = Run::header(r, "authorization");
        let file = var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
            .and_then(|f| std::fs::read_to_string(f).ok());
        let sends = match sent {
            None => Sends::NoToken,
            Some(t) if Some(t) == var("AWS_CONTAINER_AUTHORIZATION_TOKEN") => Sends::TokenVariable,
            Some(t) if file.as_deref().is_some_and(|f| f.trim_end() == t || f == t) => {
                Sends::TokenFile
            }
            Some(other) => {
                panic!("sent a token that is neither the file nor the variable: {other}")
            }
        };
        let source = if relative {
            "container-relative"
        } else {
            "container-full"
        };
        return (source, Some(sends));
    }
    match run.used().as_deref() {
        Some("ASIAPROCESS") => ("profile", None),
        Some("ASIAIMDS") => ("imds", None),
        Some(other) => panic!("signed with {other}, which no request served"),
        None => ("none", None),
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self._recorder.start_kill();
        let _ = std::process::Command::new(&self.ip)
            .args(["netns", "del", &self.ns])
            .status();
    }
}

/// One client run: its exit and output, and the requests the recorder saw meanwhile.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    requests: Vec<serde_json::Value>,
}

impl Run {
    /// The access key id the client signed its last STS call with, from its own output.
    fn used(&self) -> Option<String> {
        if self.code != 0 {
            return None;
        }
        self.stdout
            .lines()
            .filter_map(|l| l.split("assumed-role/recorded/").nth(1))
            .map(|k| k.chars().take_while(char::is_ascii_alphanumeric).collect())
            .next_back()
    }

    /// The credential requests (not STS, not IMDS) to `path`.
    fn fetches(&self, path: &str) -> Vec<&serde_json::Value> {
        self.requests
            .iter()
            .filter(|r| r["method"] == "GET" && r["path"] == path)
            .collect()
    }

    fn header<'a>(request: &'a serde_json::Value, name: &str) -> Option<&'a str> {
        request["headers"]
            .as_array()?
            .iter()
            .find(|h| h[0] == name)
            .and_then(|h| h[1].as_str())
    }

    fn describe(&self) -> String {
        format!(
            "exit {}\nstdout: {}\nstderr: {}\nrequests: {:#?}",
            self.code,
            self.stdout,
            self.stderr.chars().take(3000).collect::<String>(),
            self.requests
        )
    }
}

/// The key id the recorder serves for a credentials path (see tests/support/recorder.rs).
fn key_for(path: &str) -> String {
    let letters: String = path
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    format!("ASIA{letters}")
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// Measures every column of the table for `client`, in the table's order.
async fn measure(client: Client) -> (Vec<String>, Lab) {
    let lab = Lab::start().await;
    let mut row = vec![client.version().await];

    // RELATIVE_URI alone: GET http://169.254.170.2<relative>.
    let run = lab
        .run(
            client,
            &[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/rel"))],
        )
        .await;
    row.push(yes_no(run.used() == Some(key_for("/rel"))));

    // FULL_URI alone, with the token in the variable.
    let run = lab
        .run(
            client,
            &[
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    Some("http://127.0.0.1/full"),
                ),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", Some("token-var")),
            ],
        )
        .await;
    let full = run.used() == Some(key_for("/full"));
    row.push(yes_no(full));
    row.push(match run.fetches("/full").first() {
        None => "-".into(),
        Some(r) => yes_no(Run::header(r, "authorization") == Some("token-var")),
    });

    // Both URIs: which one the client asks.
    let run = lab
        .run(
            client,
            &[
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/both/rel")),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    Some("http://127.0.0.1/both/full"),
                ),
            ],
        )
        .await;
    row.push(match run.used() {
        Some(k) if k == key_for("/both/rel") => "RELATIVE_URI".into(),
        Some(k) if k == key_for("/both/full") => "FULL_URI".into(),
        _ => panic!("{}: neither URI served: {}", client.name(), run.describe()),
    });

    // RELATIVE_URI set but empty, beside FULL_URI: set-ness or content?
    let run = lab
        .run(
            client,
            &[
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("")),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    Some("http://127.0.0.1/emptyrel"),
                ),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", Some("token-var")),
            ],
        )
        .await;
    let asked_agent = run
        .requests
        .iter()
        .any(|r| r["local"] == "169.254.170.2:80" && r["method"] == "GET");
    row.push(match run.used() {
        Some(k) if k == key_for("/emptyrel") => "FULL_URI".into(),
        _ if asked_agent => "RELATIVE_URI (http://169.254.170.2 with an empty path)".into(),
        None if run.requests.is_empty() => "neither (the client fails)".into(),
        _ => panic!("{}: empty RELATIVE_URI: {}", client.name(), run.describe()),
    });

    // The token variable beside RELATIVE_URI: is it sent to the agent's address?
    let run = lab
        .run(
            client,
            &[
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/reltoken")),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", Some("token-var")),
            ],
        )
        .await;
    row.push(match run.fetches("/reltoken").first() {
        Some(r) => yes_no(Run::header(r, "authorization") == Some("token-var")),
        None => panic!(
            "{}: RELATIVE_URI with a token: {}",
            client.name(),
            run.describe()
        ),
    });

    // The token file, alone, with the variable, and ending in a newline.
    let file = lab.path("token");
    let file_str = file.display().to_string();
    std::fs::write(&file, "token-file").unwrap();
    let token_env = |path: &'static str, var: Option<&'static str>| {
        vec![
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Some(path)),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Some(&*file_str)),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", var),
        ]
    };
    let sent = |run: &Run, path: &str| {
        run.fetches(&format!("/{path}"))
            .first()
            .map(|r| Run::header(r, "authorization").map(str::to_owned))
    };
    if full {
        let run = lab
            .run(client, &token_env("http://127.0.0.1/file", None))
            .await;
        row.push(match sent(&run, "file") {
            Some(Some(t)) if t == "token-file" => "yes".into(),
            Some(None) => "no".into(),
            other => panic!(
                "{}: token file: {other:?}: {}",
                client.name(),
                run.describe()
            ),
        });
        let run = lab
            .run(
                client,
                &token_env("http://127.0.0.1/filevar", Some("token-var")),
            )
            .await;
        row.push(match sent(&run, "filevar") {
            Some(Some(t)) if t == "token-file" => "file".into(),
            Some(Some(t)) if t == "token-var" => "variable".into(),
            other => panic!(
                "{}: file and variable: {other:?}: {}",
                client.name(),
                run.describe()
            ),
        });
        std::fs::write(&file, "token-newline\n").unwrap();
        let run = lab
            .run(client, &token_env("http://127.0.0.1/newline", None))
            .await;
        // The cells so far end with "Token file read" and "File and variable: sends".
        let file_read = row[row.len() - 2] == "yes";
        let cell = match sent(&run, "newline").as_ref().map(Option::as_deref) {
            Some(Some("token-newline")) => "trimmed".into(),
            Some(Some("token-newline\n")) => "sent as is".into(),
            Some(None) if !file_read => "the file is not read".into(),
            Some(None) => {
                // Without the token: does it fall back to a provider that sends the variable?
                let run = lab
                    .run(
                        client,
                        &token_env("http://127.0.0.1/newlinevar", Some("token-var")),
                    )
                    .await;
                match sent(&run, "newlinevar") {
                    Some(Some(t)) if t == "token-var" => {
                        "falls back: sends the variable, or no token when it is unset".into()
                    }
                    _ => "sent without the token".into(),
                }
            }
            None if run.code != 0 => "refused (the client fails)".into(),
            other => panic!("{}: newline: {other:?}: {}", client.name(), run.describe()),
        };
        row.push(cell);
        std::fs::write(&file, "token-file").unwrap();
    } else {
        row.extend(["-".into(), "-".into(), "-".into()]);
    }

    // Plain-http FULL_URI hosts the client accepts.
    let mut accepted = Vec::new();
    for (i, host) in HOSTS.iter().enumerate() {
        let path = format!("/host{i}");
        let url = format!("http://{host}{path}");
        let run = lab
            .run(
                client,
                &[
                    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Some(&url)),
                    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", Some("token-var")),
                ],
            )
            .await;
        if run.used() == Some(key_for(&path)) {
            accepted.push(host.trim_matches(['[', ']']));
        } else {
            assert!(
                run.fetches(&path).is_empty(),
                "{}: asked {url} but did not use it: {}",
                client.name(),
                run.describe()
            );
        }
    }
    row.push(if accepted.is_empty() {
        "none".into()
    } else {
        accepted.join(", ")
    });

    // A profile's credential_process against the container provider.
    let config_str = process_profile(&lab, "config", "profile app");
    let run = lab
        .run(
            client,
            &[
                ("AWS_CONFIG_FILE", Some(&config_str)),
                ("AWS_PROFILE", Some("app")),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/profile")),
            ],
        )
        .await;
    row.push(match run.used().as_deref() {
        Some("ASIAPROCESS") => "profile".into(),
        Some("ASIAPROFILE") => "container".into(),
        _ => panic!("{}: profile: {}", client.name(), run.describe()),
    });

    // The same through the `[default]` profile, with no AWS_PROFILE: a task definition then
    // needs only AWS_CONFIG_FILE.
    let default_config = process_profile(&lab, "config-default", "default");
    let run = lab
        .run(
            client,
            &[
                ("AWS_CONFIG_FILE", Some(&default_config)),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/default")),
            ],
        )
        .await;
    row.push(match run.used().as_deref() {
        Some("ASIAPROCESS") => "profile".into(),
        Some("ASIADEFAULT") => "container".into(),
        _ => panic!("{}: default profile: {}", client.name(), run.describe()),
    });

    // IMDS at AWS_EC2_METADATA_SERVICE_ENDPOINT.
    let run = lab
        .run(
            client,
            &[
                ("AWS_EC2_METADATA_DISABLED", None),
                (
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                    Some("http://127.0.0.1:80"),
                ),
            ],
        )
        .await;
    let put = run
        .requests
        .iter()
        .find(|r| r["method"] == "PUT" && r["path"] == "/latest/api/token");
    row.push(match (run.used().as_deref(), put) {
        (Some("ASIAIMDS"), Some(put)) => format!(
            "IMDSv2, token TTL {} s",
            Run::header(put, "x-aws-ec2-metadata-token-ttl-seconds").unwrap_or("?")
        ),
        (Some("ASIAIMDS"), None) => "IMDSv1".into(),
        (_, _) if run.requests.is_empty() => "not read".into(),
        _ => panic!("{}: IMDS: {}", client.name(), run.describe()),
    });

    (row, lab)
}

/// A config file `name` in the lab whose section `header` runs a `credential_process` that
/// answers the key `ASIAPROCESS`; its path.
fn process_profile(lab: &Lab, name: &str, header: &str) -> String {
    let process = lab.path("credential-process");
    let expiration = aws_smithy_types::DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            + 3600,
    )
    .fmt(aws_smithy_types::date_time::Format::DateTime)
    .unwrap();
    std::fs::write(
        &process,
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"Version\":1,\"AccessKeyId\":\"ASIAPROCESS\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"{expiration}\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &process,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = lab.path(name);
    std::fs::write(
        &config,
        format!(
            "[{header}]\nregion = {REGION}\ncredential_process = {}\n",
            process.display()
        ),
    )
    .unwrap();
    config.display().to_string()
}

/// The refresh column. A run must last about as long as the window it looks for, so the window
/// the table states (`N s before expiry`, or `A–B s before expiry` for a jittered one) sets up
/// the run, and the cell comes back unchanged only when the measured refetch falls inside it.
/// Every fetch serves the same absolute expiry, so the first fetch after the first marks the
/// moment the client entered its refresh window.
async fn measure_refresh(lab: &Lab, client: Client, documented: &str) -> String {
    if let Client::AwsCli = client {
        let path = "/refresh/cli";
        let env = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some(path))];
        let first = lab.run(client, &env).await;
        let second = lab.run(client, &env).await;
        let fetches = first.fetches(path).len() + second.fetches(path).len();
        return if fetches == 2 && second.used() == Some(key_for(path)) {
            "every process fetches".into()
        } else {
            format!("{fetches} fetches in two processes")
        };
    }
    let window =
        documented
            .strip_suffix(" s before expiry")
            .and_then(|w| match w.split_once('–') {
                Some((lo, hi)) => Some((lo.parse::<u64>().ok()?, hi.parse::<u64>().ok()?)),
                None => w.parse::<u64>().ok().map(|n| (n, n)),
            });
    let Some((lo, hi)) = window else {
        panic!(
            "{}: state the refresh window as `N s before expiry` or `A–B s before expiry`, not `{documented}`",
            client.name()
        );
    };
    // The recorder fixes the expiry at the first fetch (`winN`: N seconds after it) and serves
    // the same one after, so a slow start of the client does not eat into the run. The run ends
    // about lo - 3 s before the expiry, so no call ever signs with expired credentials.
    let path = format!("/refresh/win{}", hi + 10);
    let calls = u32::try_from(hi - lo + 13).unwrap();
    let run = lab
        .run_calls(
            client,
            &[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some(&path))],
            calls,
            1,
        )
        .await;
    assert_eq!(
        run.code,
        0,
        "{}: refresh run: {}",
        client.name(),
        run.describe()
    );
    let fetches = run.fetches(&path);
    let Some(refetch) = fetches.get(1) else {
        return format!("no second fetch in {calls} s");
    };
    let expiry = fetches[0]["expires"]
        .as_u64()
        .expect("the recorder logs the expiry");
    let before = (expiry * 1000).saturating_sub(refetch["ms"].as_u64().unwrap()) as f64 / 1000.0;
    // Calls are a second apart (plus the call itself, and some clients count whole seconds),
    // so the refetch comes up to a few seconds into the window.
    if before >= lo as f64 - 4.0 && before <= hi as f64 + 0.5 {
        documented.to_owned()
    } else {
        let gap = refetch["ms"].as_u64().unwrap() - fetches[0]["ms"].as_u64().unwrap();
        format!(
            "{before:.1} s before expiry ({:.1} s after the first fetch)",
            gap as f64 / 1000.0
        )
    }
}

/// The table's row for `client`: the cells after the name.
fn documented(client: Client) -> Vec<String> {
    let row = ::rolehop::sdk::row(client.name())
        .unwrap_or_else(|| panic!("src/sdk.rs has no row named `{}`", client.name()));
    assert_eq!(
        row.evidence,
        ::rolehop::sdk::Evidence::Measured,
        "{}: a measured client's row must say it is measured",
        client.name()
    );
    row.cells()
}

/// Measures `client`'s row; `Err` with the measured row when it differs from the table.
async fn check(client: Client) -> Result<(), String> {
    let documented = documented(client);
    let refresh = documented.last().cloned().unwrap_or_default();
    // The refresh run mostly waits: it runs beside the rest, in a namespace of its own.
    let refresh = async move {
        let lab = Lab::start().await;
        let cell = measure_refresh(&lab, client, &refresh).await;
        let mispredicted = std::mem::take(&mut *lab.mispredicted.lock().unwrap());
        (cell, mispredicted)
    };
    let ((mut measured, lab), (refresh, mut mispredicted)) = tokio::join!(measure(client), refresh);
    measured.push(refresh);
    mispredicted.extend(std::mem::take(&mut *lab.mispredicted.lock().unwrap()));
    let mut problems = Vec::new();
    if documented != measured {
        problems.push(format!(
            "| {} | {} |\n  (src/sdk.rs says: | {} | {} |)",
            client.name(),
            measured.join(" | "),
            client.name(),
            documented.join(" | ")
        ));
    }
    if !mispredicted.is_empty() {
        problems.push(format!(
            "::rolehop::sdk::predict got these runs wrong:\n  {}",
            mispredicted.join("\n  ")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Every client at once (each in its own namespaces): the runs mostly wait on processes and on
/// refresh windows, so side by side the whole table takes about as long as its slowest row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_matches_the_table() {
    let mut tasks = tokio::task::JoinSet::new();
    for client in CLIENTS {
        tasks.spawn(async move { (client, check(client).await) });
    }
    let mut mismatches = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((_, Ok(()))) => {}
            Ok((client, Err(row))) => mismatches.push(format!("{}:\n{row}", client.name())),
            Err(panic) => std::panic::resume_unwind(panic.into_panic()),
        }
    }
    assert!(
        mismatches.is_empty(),
        "the client table (src/sdk.rs) disagrees with what the clients did; the measured rows:\n{}",
        mismatches.join("\n")
    );
}

/// `rolehop exec --token-file` serves every measured client that reads FULL_URI: each runs under
/// exec (the task's RELATIVE_URI inherited, as in an app container) against a real rolehop and
/// moto, and lands in the destination account. With the token file alone, as exec gave it
/// before, boto3 1.28 and the JavaScript SDK 3.350 sent no token and got rolehop's 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_a_token_file_serves_every_client_that_reads_full_uri() {
    let stack = crate::support::Stack::start().await;
    let server = stack.serve(&[]).await;
    server.wait_ready().await;
    let token_file = stack.token_file().display().to_string();
    let mut env = stack.base_env();
    env.retain(|(k, _)| k != "PATH");
    env.extend([
        ("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ("AWS_ENDPOINT_URL".to_owned(), stack.proxy.url.clone()),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".to_owned(),
            "/v2/credentials/task-role".to_owned(),
        ),
    ]);
    let account = crate::support::DESTINATION_ROLE_ARN
        .split(':')
        .nth(4)
        .expect("an account in the ARN");
    let mut failed = Vec::new();
    for client in CLIENTS {
        let row = ::rolehop::sdk::row(client.name()).expect("a row");
        if row.full_uri != Some(true) {
            // Debian 12's Ruby SDK reads no FULL_URI: no wrapper can point it at rolehop.
            continue;
        }
        let (program, args) = client.command_at(&stack.proxy.url, 1, 0);
        let program = program.display().to_string();
        let mut argv = vec![
            "exec",
            "--endpoint",
            &server.base,
            "--token-file",
            &token_file,
            "--",
            &program,
        ];
        argv.extend(args.iter().map(String::as_str));
        let (code, out, err) = run_process(
            Path::new(rolehop::BIN),
            &argv,
            &env,
            Duration::from_secs(60),
        )
        .await;
        if code != 0 || !out.contains(&format!(":{account}:")) {
            failed.push(format!("{}: exit {code}: {out} {err}", client.name()));
        }
    }
    assert!(
        failed.is_empty(),
        "clients under `rolehop exec --token-file` not in the destination account:\n{}",
        failed.join("\n")
    );

    // With the token kept out of the environment, a client that reads only the variable sends
    // none, and rolehop's 401 (which botocore shows) names that cause.
    let (program, args) = Client::Boto3From2023.command_at(&stack.proxy.url, 1, 0);
    let program = program.display().to_string();
    let mut argv = vec![
        "exec",
        "--no-token-variable",
        "--endpoint",
        &server.base,
        "--token-file",
        &token_file,
        "--",
        &program,
    ];
    argv.extend(args.iter().map(String::as_str));
    let (code, _, err) = run_process(
        Path::new(rolehop::BIN),
        &argv,
        &env,
        Duration::from_secs(60),
    )
    .await;
    assert_ne!(code, 0, "boto3 1.28 got credentials without a token");
    assert!(
        err.contains("401")
            && err.contains("reads only AWS_CONTAINER_AUTHORIZATION_TOKEN (")
            && err.contains("boto3 (2023)"),
        "the 401 should name the cause: {err}"
    );
}

/// Runs a probe of tests/sdk-probe/ in a network namespace of its own (it listens on port 80 of
/// every probed host): `botocore_probe.py` with `args`, with `release` (a directory of
/// `.tools/releases`) first on the Python path or else `.tools/venv`'s current botocore; or, for
/// a release of the JavaScript SDK's default chain, `js_probe.cjs` against it.
async fn probe(release: Option<&Path>, args: &[&str]) -> serde_json::Value {
    let js = release.is_some_and(|r| {
        r.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("credential-provider-node-"))
    });
    let (program, script) = if js {
        (
            require_tool("node").display().to_string(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk-probe/js_probe.cjs"),
        )
    } else {
        (
            Client::tool("venv/bin/python3", "scripts/tools.sh")
                .display()
                .to_string(),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/sdk-probe/botocore_probe.py"
            ),
        )
    };
    let setup = "ip link set lo up && ip addr add 169.254.170.2/32 dev lo && ip addr add 169.254.170.23/32 dev lo && ip addr add 192.0.2.10/32 dev lo && ip -6 addr add fd00:ec2::23/128 dev lo && exec \"$@\"";
    let dir = release.map(|r| r.display().to_string());
    let mut argv = vec!["-n", "sh", "-c", setup, "sh", &program, script];
    if js {
        argv.extend(dir.as_deref());
    }
    argv.extend(args);
    let mut env = vec![(
        "PATH".to_owned(),
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
    )];
    if let (false, Some(dir)) = (js, &dir) {
        env.push(("PYTHONPATH".to_owned(), dir.clone()));
    }
    let (code, out, err) = run_process(
        &require_tool("unshare"),
        &argv,
        &env,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(
        code, 0,
        "the probe failed (it needs root for unshare -n): {err}"
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("probe output {out:?}: {e}"))
}

/// A release of `package` installed by scripts/sdk-releases.sh; with `install`, installs it
/// (through that script, so it is cached in .tools/releases like the rest).
async fn release_dir(package: &str, version: &str, install: bool) -> PathBuf {
    let dir = Path::new(TOOLS).join(format!("releases/{package}-{version}"));
    if install && !dir.join(".installed").exists() {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sdk-releases.sh");
        let (code, _, err) = run_process(
            &require_tool("bash"),
            &[
                "-c",
                "source \"$0\" && rolehop_sdk_release \"$1\" \"$2\"",
                script,
                package,
                version,
            ],
            &[("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned())],
            Duration::from_secs(300),
        )
        .await;
        assert_eq!(
            code, 0,
            "scripts/sdk-releases.sh could not install {package} {version}: {err}"
        );
    }
    assert!(
        dir.join(".installed").exists(),
        "{} is missing: run `source scripts/sdk-tools.sh` first (scripts/test does)",
        dir.display()
    );
    dir
}

/// The cells of `row` the botocore probe measures, in its words.
fn probed_cells(row: &::rolehop::sdk::Sdk) -> serde_json::Value {
    use ::rolehop::sdk::{EmptyRelative, Newline};
    serde_json::json!({
        "token_file": if row.token_file == Some(true) { "read" } else { "not read" },
        "newline": match (row.token_file, row.newline) {
            (Some(false), _) => "not read",
            (_, Some(Newline::Refused)) => "refused",
            (_, Some(Newline::Trimmed)) => "trimmed",
            (_, Some(Newline::FallsBackToVariable)) => "falls back",
            _ => "?",
        },
        "hosts": row.hosts.unwrap_or_default(),
        "empty_relative": match row.empty_relative {
            Some(EmptyRelative::CountsAsSet) => "relative",
            Some(EmptyRelative::CountsAsUnset) => "full",
            _ => "fails",
        },
    })
}

/// The release boundaries of the client table (`::rolehop::sdk::BOUNDARIES`) hold: the releases
/// either side of botocore's measure as the rows before and after it say. The AWS CLI v1 and
/// JavaScript SDK pairs (installed here on demand through scripts/sdk-releases.sh, about a minute
/// of npm when cold) only with `ROLEHOP_SDK_BOUNDARIES=all`.
#[tokio::test]
async fn release_boundaries_hold() {
    let all = std::env::var("ROLEHOP_SDK_BOUNDARIES").is_ok_and(|v| v == "all");
    let mut wrong = Vec::new();
    for b in ::rolehop::sdk::BOUNDARIES {
        if b.package != "botocore" && !all {
            continue;
        }
        for (version, row_name) in [(b.last_before, b.before), (b.from, b.after)] {
            // scripts/sdk-releases.sh names an npm package without its scope.
            let dir = release_dir(b.package.trim_start_matches("@aws-sdk/"), version, all).await;
            let measured = probe(Some(&dir), &[]).await;
            let row = ::rolehop::sdk::row(row_name).expect("a row the boundary names");
            let expected = probed_cells(row);
            if measured != expected {
                wrong.push(format!(
                    "{} {version}: measured {measured}, but the row {row_name} says {expected}",
                    b.package
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a release boundary of src/sdk.rs does not hold (bisect again with scripts/sdk-bisect.sh):\n{}",
        wrong.join("\n")
    );
}

/// rolehop's IMDS floor (`::rolehop::sdk::IMDS_MIN_REMAINING`) is botocore's largest stretch plus
/// the margin, measured against the installed botocore with its jitter pinned to the largest
/// draw: a credential one second short of the stretch is stretched, one second past it is not,
/// and the jitter's bounds are the ones the table holds.
#[tokio::test]
async fn imds_floor_outlasts_botocores_stretch() {
    use ::rolehop::sdk::{
        BOTOCORE_IMDS_JITTER_MAX_SECS, BOTOCORE_IMDS_REFRESH_WINDOW_SECS, IMDS_MARGIN_SECS,
        IMDS_MIN_REMAINING,
    };
    let stretch = IMDS_MIN_REMAINING.as_secs() - IMDS_MARGIN_SECS;
    assert_eq!(
        stretch,
        BOTOCORE_IMDS_REFRESH_WINDOW_SECS + BOTOCORE_IMDS_JITTER_MAX_SECS
    );
    for (left, stretched) in [(stretch - 1, true), (stretch + 1, false)] {
        let left = left.to_string();
        let measured = probe(None, &["imds-stretch", &left]).await;
        assert_eq!(
            measured["stretched"], stretched,
            "botocore with {left} s left: {measured}"
        );
        assert_eq!(
            measured["jitter"],
            serde_json::json!([120, BOTOCORE_IMDS_JITTER_MAX_SECS]),
            "botocore's IMDS jitter bounds changed: {measured}"
        );
    }
}

/// Debian 12's Go SDK v1 reads `AWS_CONFIG_FILE` only with `AWS_SDK_LOAD_CONFIG` set to a true
/// value (the row's `config_file_needs`): with it, a named and a `[default]` profile's
/// `credential_process` win over RELATIVE_URI, as in the other clients; without it, the
/// container provider does (the row's profile cells, measured by `every_client_matches_the_table`).
/// Each run is checked against `::rolehop::sdk::predict` too.
#[tokio::test]
async fn go_v1_reads_profiles_with_sdk_load_config() {
    let client = Client::GoV1;
    let row = ::rolehop::sdk::row(client.name()).expect("a row");
    let var = row
        .config_file_needs
        .expect("the Go v1 row names the variable");
    let lab = Lab::start().await;
    let named = process_profile(&lab, "config", "profile app");
    let default = process_profile(&lab, "config-default", "default");
    for (config, profile) in [(&named, Some("app")), (&default, None)] {
        let run = lab
            .run(
                client,
                &[
                    (var, Some("1")),
                    ("AWS_CONFIG_FILE", Some(config)),
                    ("AWS_PROFILE", profile),
                    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Some("/rel")),
                ],
            )
            .await;
        assert_eq!(
            run.used().as_deref(),
            Some("ASIAPROCESS"),
            "Go SDK v1 with {var}=1 and profile {profile:?}: {}",
            run.describe()
        );
    }
    let mispredicted = std::mem::take(&mut *lab.mispredicted.lock().unwrap());
    assert!(
        mispredicted.is_empty(),
        "::rolehop::sdk::predict got these runs wrong:\n  {}",
        mispredicted.join("\n  ")
    );
}
