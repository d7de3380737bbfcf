//! Hardening round 2, the server (issue 16; docs/RELIABILITY.md): what a local process without
//! the token can no longer do, what rolehop logs when it refuses, which files it trusts.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::http::raw_exchange as raw;
use crate::support::rolehop::{Rolehop, Workdir, base_env};
use crate::support::sts_proxy::Faults;
use crate::support::{DESTINATION_ROLE_ARN, Stack, http};

fn get(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

fn addr_of(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_log_at_warn_at_most_and_each_refusal_is_one_line_without_the_token() {
    let stack = Stack::start().await;
    let source_key = stack.agent.credentials().access_key_id;
    let token = stack.token_file();
    let mut runs = Vec::new();
    // The default filter, then the most verbose one a user can ask for.
    for log in [None, Some("trace")] {
        let env: Vec<(&str, &str)> = log.map(|l| ("ROLEHOP_LOG", l)).into_iter().collect();
        let rolehop = stack
            .serve_env(&["--imds-listen", "127.0.0.1:0"], &env)
            .await;
        rolehop.wait_ready().await;
        let token = std::fs::read_to_string(&token).unwrap();
        let url = format!("{}/v1/credentials", rolehop.base);
        assert_eq!(
            http::get(&url, &[("Authorization", &token)]).await.status,
            200
        );
        runs.push((log, rolehop));
    }
    for (log, rolehop) in &runs {
        let lines: Vec<serde_json::Value> = rolehop
            .logs()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(!lines.is_empty());
        for line in &lines {
            let level = line["level"].as_str().unwrap();
            let target = line["target"].as_str().unwrap();
            if log.is_none() {
                assert!(
                    matches!(level, "INFO" | "WARN" | "ERROR"),
                    "the default run logged at {level}: {line}"
                );
            }
            assert!(
                target.starts_with("rolehop") || matches!(level, "WARN" | "ERROR"),
                "ROLEHOP_LOG={log:?}: {target} logged at {level}: {line}"
            );
        }
        assert!(
            !rolehop.logs().contains(&source_key),
            "ROLEHOP_LOG={log:?}: the source's access key id is in the log"
        );
    }

    // Refusals: one warn line per kind, with route, reason and peer; never the token sent.
    let (_, rolehop) = &runs[0];
    let url = format!("{}/v1/credentials", rolehop.base);
    assert_eq!(http::get(&url, &[]).await.status, 401);
    for i in 0..20 {
        let wrong = format!("MARKER-wrong-token-{i:04}-0123456789");
        assert_eq!(
            http::get(&url, &[("Authorization", &wrong)]).await.status,
            403
        );
    }
    let token = stack.token();
    let unknown = format!("{}/v1/credentials/no-such-role", rolehop.base);
    assert_eq!(
        http::get(&unknown, &[("Authorization", &token)])
            .await
            .status,
        404
    );
    let imds = addr_of(&rolehop.imds_base());
    let (status, _) = raw(
        imds,
        "PUT /latest/api/token HTTP/1.1\r\nHost: rebound.example\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403);
    let refused = crate::support::wait_for("the refusal lines", Duration::from_secs(5), || {
        let events = rolehop.log_events("refused a request");
        (events.len() >= 4).then_some(events)
    });
    let find = |reason: &str| -> Vec<&serde_json::Value> {
        refused.iter().filter(|e| e["reason"] == reason).collect()
    };
    for (reason, route, status) in [
        ("MissingToken", "Credentials", 401),
        ("InvalidToken", "Credentials", 403),
        ("UnknownRole", "CredentialsRole", 404),
        ("HostRefused", "ImdsToken", 403),
    ] {
        let lines = find(reason);
        assert_eq!(
            lines.len(),
            1,
            "{reason}: one line per interval: {refused:#?}"
        );
        let line = lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["route"], route, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["peer"], "127.0.0.1", "{line}");
        assert_eq!(line["count"], 1, "{line}");
    }
    let logs = rolehop.logs();
    assert!(
        !logs.contains("MARKER-wrong-token"),
        "a sent token was logged"
    );
    assert!(!logs.contains(&token));

    // --imds-listen says at start that any local process gets the role (issue 16 item 10).
    let warned = rolehop
        .log_events("the IMDS listener serves its role without rolehop's token to any local process (an IMDSv2 session token is free to get); use it only where every process in the task may hold this role");
    assert_eq!(warned.len(), 1, "{logs}");
    assert_eq!(warned[0]["level"], "WARN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_answers_a_failed_refresh_with_a_static_summary() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        fail_assume: Some((
            403,
            "AccessDenied".into(),
            format!("User is not authorized to perform: sts:AssumeRole on resource: {DESTINATION_ROLE_ARN}"),
        )),
        ..Faults::default()
    });
    let rolehop = stack.serve(&["--imds-listen", "127.0.0.1:0"]).await;
    let readyz = format!("{}/readyz", rolehop.base);
    crate::support::wait_for_async("the failed refresh", Duration::from_secs(20), || {
        let readyz = readyz.clone();
        async move {
            let r = http::get(&readyz, &[]).await;
            r.body.contains("the last refresh failed").then_some(())
        }
    })
    .await;
    let imds = addr_of(&rolehop.imds_base());
    let (status, answer) = raw(
        imds,
        "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let imds_token = answer.rsplit("\r\n\r\n").next().unwrap().to_owned();
    let (status, answer) = raw(
        imds,
        &get(
            "/latest/meta-data/iam/security-credentials/default",
            "127.0.0.1",
            &format!("X-aws-ec2-metadata-token: {imds_token}\r\n"),
        ),
    )
    .await;
    assert_eq!(status, 503, "{answer}");
    let body = answer.rsplit("\r\n\r\n").next().unwrap();
    for sts_text in [
        "555566667777",
        "destination-account-role",
        "AccessDenied",
        "authorized",
        &stack.proxy.url,
        "127.0.0.1",
    ] {
        assert!(
            !body.contains(sts_text),
            "{sts_text} in the IMDS 503: {body}"
        );
    }
    assert!(body.contains("the last refresh failed"), "{body}");
    // The credentials route, behind the token, still says why.
    let token = stack.token();
    let why = http::get(
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(why.status, 503);
    assert!(why.body.contains("AccessDenied"), "{}", why.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_less_routes_refuse_a_dns_name_in_host_except_on_the_metrics_listener() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--metrics-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let metrics = rolehop.log_events("metrics listening")[0]["addr"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for path in ["/readyz", "/metrics", "/healthz"] {
        let (status, body) = raw(rolehop.addr, &get(path, "rebound.example", "")).await;
        assert_eq!(status, 403, "{path} with a DNS name: {body}");
        assert!(body.contains("HostRefused"), "{body}");
        assert!(!body.contains("destination-account-role"), "{body}");
        let (status, body) = raw(rolehop.addr, &get(path, "rebound.example:9911", "")).await;
        assert_eq!(status, 403, "{path} with a DNS name and port: {body}");
        for host in [
            rolehop.addr.to_string(),
            "localhost".to_owned(),
            "[::1]:9911".to_owned(),
        ] {
            let (status, body) = raw(rolehop.addr, &get(path, &host, "")).await;
            assert_eq!(status, 200, "{path} with Host {host}: {body}");
        }
    }
    for path in ["/metrics", "/healthz"] {
        let (status, body) = raw(metrics, &get(path, "prometheus.internal", "")).await;
        assert_eq!(
            status, 200,
            "the metrics listener stays open: {path}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_another_user_could_have_written_is_refused() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let serve = |file: &std::path::Path| {
        let file = file.display().to_string();
        let env = env.clone();
        async move {
            Rolehop::run(
                &[
                    "serve",
                    "--role-arn",
                    DESTINATION_ROLE_ARN,
                    "--listen",
                    "127.0.0.1:0",
                    "--token-file",
                    &file,
                ],
                &env,
            )
            .await
        }
    };
    let planted = "planted-token-0123456789abcdef";
    crate::support::record_secret(planted);
    let writable = work.path("writable");
    std::fs::write(&writable, planted).unwrap();
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o666)).unwrap();
    let foreign = work.path("foreign");
    std::fs::write(&foreign, planted).unwrap();
    std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The tests run as root: nobody (65534) is "another user".
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    let good = work.path("good");
    std::fs::write(&good, planted).unwrap();
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = work.path("link");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let fifo = work.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());

    for (file, says) in [
        (&writable, "is writable by group or others (mode 0666)"),
        (&writable, "chmod 600"),
        (&foreign, "is owned by uid 65534"),
        (&foreign, "chown"),
        (&link, "is a symbolic link"),
        (&fifo, "is not a regular file"),
    ] {
        let (code, _, stderr) = serve(file).await;
        assert_eq!(code, 64, "{}: {stderr}", file.display());
        assert!(
            stderr.contains(&format!("token file {}", file.display())) && stderr.contains(says),
            "{}: {stderr}",
            file.display()
        );
        assert!(!stderr.contains(planted), "the planted token was printed");
    }
}

/// Raises this process's open-file limit to its hard limit: the tests below hold over a
/// thousand sockets (rolehop inherits the limit).
fn raise_open_file_limit(needed: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    assert!(
        hard >= needed,
        "these tests need {needed} open files; the hard limit is {hard} (raise it with ulimit -Hn)"
    );
    if limit.current.is_some_and(|soft| soft < needed) {
        setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(hard.min(65_536).max(needed)),
                maximum: limit.maximum,
            },
        )
        .expect("raise RLIMIT_NOFILE");
    }
}

/// A client without the token that keeps a connection alive: `GET /healthz` every 3 s, and a
/// new connection whenever rolehop closes one. Counts the connections it opened.
fn hold_a_connection(
    addr: SocketAddr,
    opened: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut buf = [0u8; 1024];
            loop {
                let sent = stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .await;
                if sent.is_err() || matches!(stream.read(&mut buf).await, Ok(0) | Err(_)) {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// One request with the token on a new connection: (status, time to the status line).
async fn timed_token_request(addr: SocketAddr, token: &str) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = raw(
        addr,
        &get(
            "/v1/credentials",
            "127.0.0.1",
            &format!("Authorization: {token}\r\n"),
        ),
    )
    .await;
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_answered_beside_1100_token_less_keep_alive_connections() {
    const HOLDERS: usize = 1_100;
    raise_open_file_limit(2 * HOLDERS as u64 + 512);
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holders: Vec<_> = (0..HOLDERS)
        .map(|_| hold_a_connection(rolehop.addr, opened.clone()))
        .collect();
    crate::support::wait_for("the holders to connect", Duration::from_secs(30), || {
        (opened.load(std::sync::atomic::Ordering::Relaxed) >= HOLDERS).then_some(())
    });
    // Let them settle into their 3 s rhythm, every place in the table taken.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut waits = Vec::new();
    for _ in 0..10 {
        let (status, took) = timed_token_request(rolehop.addr, &token).await;
        assert_eq!(
            status, 200,
            "a request with the token was refused after {took:?}"
        );
        waits.push(took);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    waits.sort();
    eprintln!(
        "token-bearing requests beside {HOLDERS} token-less keep-alive connections: median {:?}, worst {:?}",
        waits[waits.len() / 2],
        waits[waits.len() - 1]
    );
    // The requirement is 1 s; one outlier is allowed on a loaded 2-core machine.
    assert!(
        waits[waits.len() - 2] < Duration::from_secs(1),
        "waits: {waits:?}"
    );
    for holder in holders {
        holder.abort();
    }
    let full = rolehop.log_events(
        "connection table full; closed the oldest idle connection without the token to admit a new one",
    );
    assert!(!full.is_empty(), "the table was full: {}", rolehop.logs());
    assert!(
        full.len() <= 3,
        "rate-limited: one line per 10 s, with a count: {full:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_makes_room_for_the_token() {
    raise_open_file_limit(1_024);
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    // A process allowed 256 files: its sockets run out long before the table does.
    let status = std::process::Command::new(crate::support::require_tool("prlimit"))
        .args(["--pid", &rolehop.pid().to_string(), "--nofile=256:256"])
        .status()
        .unwrap();
    assert!(status.success());
    let token = stack.token();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holders: Vec<_> = (0..400)
        .map(|_| hold_a_connection(rolehop.addr, opened.clone()))
        .collect();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut waits = Vec::new();
    for _ in 0..5 {
        let (status, took) = timed_token_request(rolehop.addr, &token).await;
        assert_eq!(
            status, 200,
            "a request with the token was refused after {took:?}"
        );
        waits.push(took);
    }
    waits.sort();
    assert!(
        waits[waits.len() - 2] < Duration::from_secs(1),
        "waits: {waits:?}"
    );
    for holder in holders {
        holder.abort();
    }
    assert!(
        !rolehop
            .log_events(
                "out of file descriptors; closed the oldest idle connection without the token"
            )
            .is_empty(),
        "{}",
        rolehop.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_is_cut() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    // 1,000 pipelined requests whose answers are never read.
    let mut stream = TcpStream::connect(rolehop.addr).await.unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(1_000);
    let _ = stream.write_all(request.as_bytes()).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    // By now rolehop has closed it: reading drains what was sent, then ends.
    let mut answers = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answers.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let answered = String::from_utf8_lossy(&answers)
        .matches("HTTP/1.1 200")
        .count();
    assert!(
        ended.is_ok(),
        "the connection was still open after 17 s ({answered} answers read)"
    );
    assert!(
        answered <= 100,
        "at most 100 requests per connection: {answered}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_peers_never_take_a_place_and_are_cut_within_a_second() {
    let peer = crate::hostile::RemotePeer::new();
    let stack = Stack::start().await;
    let token_file = stack.token_file().display().to_string();
    let rolehop = Rolehop::spawn(
        &[
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            "0.0.0.0:0",
            "--token-file",
            &token_file,
        ],
        &stack.rolehop_env(),
    )
    .await;
    rolehop.wait_ready().await;
    // 40 connections from beyond loopback that never send a request: 32 wait for their head
    // outside the table (1 s), the rest are closed at once. In the table they would stay 5 s.
    let python = crate::support::require_tool("python3");
    let script = "import socket, sys, time\n\
        socks = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) for _ in range(40)]\n\
        start = time.monotonic(); worst = 0.0\n\
        for s in socks:\n    try:\n        s.recv(1)\n    except OSError:\n        pass\n    worst = max(worst, time.monotonic() - start)\n\
        print(worst)";
    let out = tokio::process::Command::new("ip")
        .args(["netns", "exec", &peer.ns])
        .arg(python)
        .args([
            "-c",
            script,
            &peer.host_ip,
            &rolehop.addr.port().to_string(),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let worst: f64 = stdout.trim().parse().unwrap_or_else(|_| {
        panic!(
            "no answer: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    eprintln!("the last of 40 silent peers beyond loopback was cut after {worst:.2} s");
    assert!(
        worst < 3.0,
        "a silent peer beyond loopback was kept {worst:.1} s (the table's head timeout is 5 s)"
    );
    // Meanwhile the token is served on loopback.
    let token = stack.token();
    let (status, _) = timed_token_request(
        SocketAddr::from(([127, 0, 0, 1], rolehop.addr.port())),
        &token,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_connection_is_closed_cleanly_after_its_lifetime() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let mut stream = TcpStream::connect(rolehop.addr).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 2048];
    let closed_at = loop {
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "a connection in use was kept past 45 s"
        );
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let n = stream.read(&mut buf).await.unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 200"), "{answer}");
        if answer.contains("connection: close") {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(
        closed_at >= Duration::from_secs(29),
        "closed after {closed_at:?}, before its 30 s lifetime"
    );
    // The answer said so; then the connection ends, with nothing lost.
    let end = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    assert!(matches!(end, Ok(Ok(0))), "{end:?}");
}
