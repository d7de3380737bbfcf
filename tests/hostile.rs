//! Hostile and broken clients on every listener: each gets a quick, correct status and no
//! secret, slow clients are cut, remote peers refused, memory stays bounded.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::rolehop::Rolehop;
use crate::support::{Stack, http};

/// Writes `raw` and returns the status code of the answer (0 when the server just closes).
async fn raw_status(addr: std::net::SocketAddr, raw: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before it has read everything we send.
    let _ = stream.write_all(raw).await;
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf))
        .await
        .expect("an answer within 3 s")
        .unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_bodies_odd_methods_and_hammering_get_quick_answers() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--imds-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let imds: std::net::SocketAddr = rolehop
        .imds_base()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let big = "x".repeat(20 * 1024);
    let long_role = "r".repeat(10 * 1024);
    let cases: Vec<(std::net::SocketAddr, String, u16)> = vec![
        (
            rolehop.addr,
            format!("GET /v1/credentials HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\n\r\n"),
            431,
        ),
        (
            imds,
            format!("PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {big}\r\n\r\n"),
            431,
        ),
        (
            rolehop.addr,
            format!(
                "GET /v1/credentials/{long_role} HTTP/1.1\r\nHost: a\r\nAuthorization: {token}\r\n\r\n"
            ),
            404,
        ),
        (
            rolehop.addr,
            "BREW /v1/credentials HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            405,
        ),
        (
            rolehop.addr,
            "GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            404,
        ),
        (
            rolehop.addr,
            "GET /v1/credentials/%2e%2e HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\n\r\n".into(),
            403,
        ),
        (rolehop.addr, "this is not http\r\n\r\n".into(), 400),
        (
            imds,
            "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                .into(),
            401,
        ),
    ];
    for (addr, raw, expected) in cases {
        let started = Instant::now();
        let status = raw_status(addr, raw.as_bytes()).await;
        assert_eq!(status, expected, "{}", &raw[..raw.len().min(60)]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "quick: {:?}",
            started.elapsed()
        );
    }
    let client = http::client();
    let body = "b".repeat(1 << 20);
    let post = http::request(
        &client,
        "POST",
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &token)],
        &body,
    )
    .await;
    assert_eq!(post.status, 405);

    // A wrong token hammered: every answer 403, memory flat, the right token still served.
    // A client of its own: the POST above leaves its connection half-read and closed.
    let client = http::client();
    let before = rss_kib(rolehop.pid());
    let url = format!("{}/v1/credentials", rolehop.base);
    for _round in 0..40 {
        let batch: Vec<_> = (0..50)
            .map(|i| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let wrong = format!("wrong-token-{i:032}");
                    http::request(&client, "GET", &url, &[("Authorization", &wrong)], "")
                        .await
                        .status
                })
            })
            .collect();
        for r in batch {
            assert_eq!(r.await.unwrap(), 403);
        }
    }
    let after = rss_kib(rolehop.pid());
    assert!(
        after < before + 20 * 1024,
        "RSS grew from {before} KiB to {after} KiB over 2,000 refused requests"
    );
    let ok = http::get(&url, &[("Authorization", &token)]).await;
    assert_eq!(ok.status, 200);
    assert!(!rolehop.logs().contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_and_do_not_delay_real_ones() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    // 300 connections that send their request head one byte a second.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(rolehop.addr).await.unwrap();
        stream
            .write_all(b"GET /v1/credentials HTTP/1.1\r\n")
            .await
            .unwrap();
        slow.push(tokio::spawn(async move {
            let started = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if stream.write_all(b"X").await.is_err() {
                    return started.elapsed();
                }
                let mut probe = [0u8; 64];
                match tokio::time::timeout(Duration::from_millis(10), stream.read(&mut probe)).await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
                    Ok(Ok(_)) => return started.elapsed(),
                    Err(_) => {}
                }
                if started.elapsed() > Duration::from_secs(20) {
                    return started.elapsed();
                }
            }
        }));
    }
    let token = stack.token();
    let started = Instant::now();
    let reply = http::get(
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a real request waited {:?}",
        started.elapsed()
    );

    // An idle kept-alive connection is closed too.
    let mut idle = TcpStream::connect(rolehop.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(idle.read(&mut buf).await.unwrap() > 0);

    for handle in slow {
        let cut_after = handle.await.unwrap();
        assert!(
            cut_after < Duration::from_secs(10),
            "a slow client was kept for {cut_after:?}"
        );
    }
    let closed = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the idle connection was closed: {closed:?}"
    );
}

/// A network namespace with a veth pair: a peer that is not on rolehop's loopback.
pub struct RemotePeer {
    pub ns: String,
    host_if: String,
    pub host_ip: String,
}

impl RemotePeer {
    pub fn new() -> Self {
        // Several tests of one process may each want a peer: a sequence number keeps them apart.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 8;
        let id = std::process::id() % 10_000;
        let ns = format!("rolehop-test-{id}-{n}");
        let host_if = format!("rh{id}{n}a");
        let peer_if = format!("rh{id}{n}b");
        let octet = id % 250 + 1;
        let host_ip = format!("10.{}.{octet}.1", 231 + n);
        let peer_ip = format!("10.{}.{octet}.2", 231 + n);
        let run = |args: &[&str]| {
            let status = std::process::Command::new("ip")
                .args(args)
                .status()
                .expect("run ip (iproute2)");
            assert!(status.success(), "ip {args:?} failed");
        };
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &ns])
            .status();
        run(&["netns", "add", &ns]);
        run(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", &peer_if,
        ]);
        run(&["link", "set", &peer_if, "netns", &ns]);
        run(&["addr", "add", &format!("{host_ip}/30"), "dev", &host_if]);
        run(&["link", "set", &host_if, "up"]);
        run(&[
            "netns",
            "exec",
            &ns,
            "ip",
            "addr",
            "add",
            &format!("{peer_ip}/30"),
            "dev",
            &peer_if,
        ]);
        run(&["netns", "exec", &ns, "ip", "link", "set", &peer_if, "up"]);
        Self {
            ns,
            host_if,
            host_ip,
        }
    }

    /// GET `url` from inside the namespace: (status, body).
    async fn get(&self, url: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let python = crate::support::require_tool("python3");
        let script = "import json, sys, urllib.request, urllib.error\n\
            req = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))\n\
            try:\n    r = urllib.request.urlopen(req, timeout=5); print(r.status); print(r.read().decode())\n\
            except urllib.error.HTTPError as e:\n    print(e.code); print(e.read().decode())";
        let headers: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        let out = tokio::process::Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(python)
            .args([
                "-c",
                script,
                url,
                &serde_json::Value::Object(headers).to_string(),
            ])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let (status, body) = stdout
            .split_once('\n')
            .unwrap_or_else(|| panic!("no answer: {}", String::from_utf8_lossy(&out.stderr)));
        (status.trim().parse().unwrap(), body.to_owned())
    }
}

impl Drop for RemotePeer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.host_if])
            .status();
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.ns])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_peers_are_refused_unless_allowed_and_never_on_imds() {
    let peer = RemotePeer::new();
    let stack = Stack::start().await;
    let token_file = stack.token_file().display().to_string();
    let spawn = |extra: &'static [&'static str]| {
        let mut args = vec!["serve", "--role-arn", crate::support::DESTINATION_ROLE_ARN];
        args.extend([
            "--token-file",
            &token_file,
            "--listen",
            "0.0.0.0:0",
            "--imds-listen",
            "0.0.0.0:0",
        ]);
        args.extend_from_slice(extra);
        let env = stack.rolehop_env();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Rolehop::spawn(&args, &env).await
        }
    };
    let url_of = |rolehop: &Rolehop, path: &str| {
        format!("http://{}:{}{path}", peer.host_ip, rolehop.addr.port())
    };
    let imds_url_of = |rolehop: &Rolehop, path: &str| {
        let port = rolehop.imds_base().rsplit(':').next().unwrap().to_owned();
        format!("http://{}:{port}{path}", peer.host_ip)
    };
    let ttl = [("X-aws-ec2-metadata-token-ttl-seconds", "60")];

    let closed = spawn(&[]).await;
    closed.wait_ready().await;
    let token = stack.token();
    let (status, body) = peer
        .get(
            &url_of(&closed, "/v1/credentials"),
            &[("Authorization", &token)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("RemoteClientRefused") && body.contains("--allow-remote"),
        "{body}"
    );
    let (status, _) = peer
        .get(&imds_url_of(&closed, "/latest/api/token"), &ttl)
        .await;
    assert_eq!(status, 403);
    drop(closed);

    let open = spawn(&["--allow-remote"]).await;
    open.wait_ready().await;
    let (status, body) = peer
        .get(
            &url_of(&open, "/v1/credentials"),
            &[("Authorization", &token)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = peer.get(&url_of(&open, "/v1/credentials"), &[]).await;
    assert_eq!(status, 401, "remote clients still need the token");
    let (status, _) = peer
        .get(&imds_url_of(&open, "/latest/api/token"), &ttl)
        .await;
    assert_eq!(
        status, 403,
        "IMDS refuses remote peers even with --allow-remote"
    );
}
