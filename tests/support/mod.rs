//! Real parts for the integration tests: moto (STS/IAM) behind a counting, fault-injecting proxy,
//! a stand-in for the ECS agent's credentials endpoint, the rolehop binary, and the real AWS
//! clients. The stand-in agent and the proxy are the only fakes: nothing real can play them.

#![allow(dead_code)]

pub mod check_online;
pub mod clients;
pub mod ecs_agent;
pub mod http;
pub mod iam_oracle;
pub mod moto;
pub mod rolehop;
pub mod server;
pub mod sts_proxy;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

pub const REGION: &str = "us-east-1";
pub const TASK_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";
pub const DESTINATION_ROLE_ARN: &str = "arn:aws:iam::555566667777:role/destination-account-role";

pub use ecs_agent::LEAK_MARKER;
/// Where each rolehop process's log goes, one file per process, for scripts/test's grep of the
/// whole suite's logs (`scripts/leak-check`). Unset: logs stay in memory only.
pub const ENV_LOG_DIR: &str = "ROLEHOP_TEST_LOG_DIR";

/// A secret this test run used that carries no [`LEAK_MARKER`] (rolehop's generated token, an
/// external id): appended to `markers` in the log directory, for the same grep.
pub fn record_secret(secret: &str) {
    let Some(dir) = std::env::var_os(ENV_LOG_DIR) else {
        return;
    };
    // Short values would match innocent text; tokens are at least 16 characters anyway.
    if secret.len() < 16 || secret.contains('\n') {
        return;
    }
    use std::io::Write;
    let path = std::path::Path::new(&dir).join("markers");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        // One write per line: `writeln!` on a bare File is two writes (the value, then the
        // newline), and tests running at once interleave them into a merged line and an
        // empty one, and an empty pattern matches every log.
        let _ = f.write_all(format!("{secret}\n").as_bytes());
    }
}

/// A new log file in the log directory for one rolehop process, when one is configured.
pub fn log_file(what: &str) -> Option<std::fs::File> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::var_os(ENV_LOG_DIR)?;
    std::fs::create_dir_all(&dir).ok()?;
    let test = std::thread::current()
        .name()
        .unwrap_or("test")
        .replace("::", "-");
    let name = format!(
        "{}-{:04}-{test}-{what}.log",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::SeqCst)
    );
    std::fs::File::create(std::path::Path::new(&dir).join(name)).ok()
}

/// A port that was free a moment ago, for servers that cannot be handed a bound socket.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a: SocketAddr| a.port())
        .expect("bind an ephemeral port")
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `limit` naming `what`.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls the async `check` every 100 ms until it returns `Some`, or panics after `limit`.
pub async fn wait_for_async<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `program ARGS` with exactly `env` and no stdin, bounded by `limit`:
/// (exit code, or -1 when killed by a signal; stdout; stderr).
pub async fn run_process(
    program: &std::path::Path,
    args: &[&str],
    env: &[(String, String)],
    limit: Duration,
) -> (i32, String, String) {
    let out = tokio::time::timeout(
        limit,
        tokio::process::Command::new(program)
            .args(args)
            .env_clear()
            .envs(env.iter().cloned())
            .stdin(std::process::Stdio::null())
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{} did not finish in {limit:?}", program.display()))
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A program the tests need from PATH, or a loud failure saying how to get it. Never a skip.
pub fn require_tool(name: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "`{name}` is not on PATH; run the tests with scripts/test, which installs moto, the AWS CLI and boto3 from tests/requirements.txt into .tools/venv"
    );
}

/// moto behind the proxy, a stand-in ECS agent holding account A's task-role credentials, and
/// a private work directory: everything rolehop needs around it.
pub struct Stack {
    pub moto: moto::Moto,
    pub proxy: sts_proxy::StsProxy,
    pub agent: ecs_agent::EcsAgent,
    pub work: rolehop::Workdir,
}

impl Stack {
    pub async fn start() -> Self {
        let moto = tokio::task::spawn_blocking(moto::Moto::start)
            .await
            .expect("moto thread");
        let creds = ecs_agent::AgentCredentials::task_role_from_moto(&moto.url).await;
        Self::with_agent_credentials(moto, creds).await
    }

    pub async fn with_agent_credentials(
        moto: moto::Moto,
        creds: ecs_agent::AgentCredentials,
    ) -> Self {
        let proxy = sts_proxy::StsProxy::start(&moto.url).await;
        let agent = ecs_agent::EcsAgent::start(creds).await;
        Self {
            moto,
            proxy,
            agent,
            work: rolehop::Workdir::new(),
        }
    }

    pub fn base_env(&self) -> Vec<(String, String)> {
        rolehop::base_env(self.work.dir.path())
    }

    /// rolehop's environment: the stand-in agent as its source, STS through the proxy.
    pub fn rolehop_env(&self) -> Vec<(String, String)> {
        let mut env = self.base_env();
        env.extend(self.agent.env());
        env.push(("AWS_ENDPOINT_URL_STS".into(), self.proxy.url.clone()));
        env
    }

    pub fn token_file(&self) -> std::path::PathBuf {
        self.work.path("token")
    }

    /// `rolehop serve` into the destination role on an ephemeral port, plus `extra` flags.
    pub async fn serve(&self, extra: &[&str]) -> rolehop::Rolehop {
        self.serve_env(extra, &[]).await
    }

    /// [`Stack::serve`] with extra environment variables.
    pub async fn serve_env(&self, extra: &[&str], env: &[(&str, &str)]) -> rolehop::Rolehop {
        self.serve_as(&[rolehop::BIN], extra, env).await
    }

    /// [`Stack::serve_env`] of another rolehop binary (see [`rolehop::Rolehop::spawn_as`]).
    pub async fn serve_as(
        &self,
        program: &[&str],
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> rolehop::Rolehop {
        let token = self.token_file().display().to_string();
        let mut args = vec![
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &token,
        ];
        args.extend_from_slice(extra);
        let mut full_env = self.rolehop_env();
        full_env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        rolehop::Rolehop::spawn_as(program, &args, &full_env).await
    }

    /// A client's environment pointing its container provider at `rolehop`.
    pub fn client_env(&self, rolehop: &rolehop::Rolehop, role_path: &str) -> Vec<(String, String)> {
        clients::via_rolehop(
            &self.base_env(),
            &rolehop.base,
            role_path,
            &self.token_file(),
            &self.proxy.url,
        )
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.token_file()).expect("token file")
    }
}
