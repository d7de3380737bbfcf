//! The rolehop binary as a subprocess with its own environment (never `set_var` in tests):
//! stderr captured line by line, the bound address read from its "listening" log line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_rolehop");

/// Environment every rolehop and every client in the tests starts from: nothing inherited
/// but PATH, no shared config files, no instance metadata lookups.
pub fn base_env(home: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.display().to_string()),
        ("AWS_REGION".into(), super::REGION.into()),
        ("AWS_DEFAULT_REGION".into(), super::REGION.into()),
        (
            "AWS_CONFIG_FILE".into(),
            home.join("no-aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            home.join("no-aws-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]
}

pub struct Rolehop {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    pub addr: SocketAddr,
    pub base: String,
}

impl Rolehop {
    /// Starts `rolehop ARGS` and waits for it to listen.
    pub async fn spawn(args: &[&str], env: &[(String, String)]) -> Self {
        Self::spawn_as(&[BIN], args, env).await
    }

    /// [`Rolehop::spawn`] of another rolehop binary: `program` is the command line that runs
    /// it (e.g. an emulator and the binary), ARGS follow.
    pub async fn spawn_as(program: &[&str], args: &[&str], env: &[(String, String)]) -> Self {
        let mut child = Command::new(program[0])
            .args(&program[1..])
            .args(args)
            .env_clear()
            .envs(env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start rolehop");
        record_secrets(args, env);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let file = Arc::new(Mutex::new(super::log_file(
            args.first().unwrap_or(&"rolehop"),
        )));
        let (addr_tx, mut addr_rx) = tokio::sync::mpsc::unbounded_channel();
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let sink = logs.clone();
        let stdout_file = file.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                write_line(&stdout_file, &format!("stdout| {line}"));
            }
        });
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("rolehop| {line}");
                write_line(&file, &line);
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && v["message"] == "listening"
                {
                    let _ = addr_tx.send(v["addr"].as_str().unwrap_or_default().to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = tokio::select! {
            addr = addr_rx.recv() => addr,
            status = child.wait() => panic!("rolehop exited before listening ({:?}):\n{}", status, logs.lock().unwrap().join("\n")),
            () = tokio::time::sleep(Duration::from_secs(30)) => None,
        };
        if let Some(path) = flag(args, "--token-file")
            && let Ok(token) = std::fs::read_to_string(path)
        {
            super::record_secret(&token);
        }
        let addr: SocketAddr = addr
            .unwrap_or_else(|| {
                panic!(
                    "rolehop did not log `listening`:\n{}",
                    logs.lock().unwrap().join("\n")
                )
            })
            .parse()
            .expect("listening addr");
        Self {
            child,
            logs,
            base: format!("http://{addr}"),
            addr,
        }
    }

    /// Runs `rolehop ARGS` to completion: (exit code, stdout, stderr). Its stderr goes to the
    /// log directory; its stdout does not (credential-process and env print secrets by design).
    pub async fn run(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
        record_secrets(args, env);
        let out = super::run_process(
            std::path::Path::new(BIN),
            args,
            env,
            Duration::from_secs(30),
        )
        .await;
        if let Some(mut f) = super::log_file(args.first().unwrap_or(&"rolehop")) {
            use std::io::Write;
            let _ = f.write_all(out.2.as_bytes());
        }
        out
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Parsed JSON log lines whose `message` is `message`.
    pub fn log_events(&self, message: &str) -> Vec<serde_json::Value> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == message)
            .collect()
    }

    /// The IMDS listener's base URL (logged before `listening`).
    pub fn imds_base(&self) -> String {
        let events = self.log_events("imds listening");
        let addr = events
            .first()
            .and_then(|e| e["addr"].as_str())
            .expect("rolehop was started with --imds-listen");
        format!("http://{addr}")
    }

    /// Polls `/readyz` until it answers 200.
    pub async fn wait_ready(&self) {
        let url = format!("{}/readyz", self.base);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if super::http::get(&url, &[]).await.status == 200 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "rolehop not ready after 30 s:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub async fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("rolehop did not exit within {limit:?} of SIGTERM"))
            .expect("wait")
    }
}

fn flag<'a>(args: &[&'a str], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| *a == name)
        .and_then(|i| args.get(i + 1))
        .copied()
}

/// The secrets given to rolehop that carry no leak marker: the token, the external id.
fn record_secrets(args: &[&str], env: &[(String, String)]) {
    for name in ["--external-id"] {
        if let Some(value) = flag(args, name) {
            super::record_secret(value);
        }
    }
    for (key, value) in env {
        if matches!(
            key.as_str(),
            "ROLEHOP_TOKEN" | "ROLEHOP_EXTERNAL_ID" | "AWS_CONTAINER_AUTHORIZATION_TOKEN"
        ) {
            super::record_secret(value);
        }
    }
}

fn write_line(file: &Mutex<Option<std::fs::File>>, line: &str) {
    use std::io::Write;
    if let Some(f) = file.lock().unwrap().as_mut() {
        let _ = writeln!(f, "{line}");
    }
}

/// A private directory with a path for rolehop's token file.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}
