//! The client commands (`credential-process`, `exec`, `env`, `healthcheck`) against hostile
//! surroundings (issue 16, round 2): an endpoint off this machine, rolehop's own variables in
//! `exec`'s child, a credential cache that others could have written.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::rolehop::{Rolehop, Workdir, base_env};

const TOKEN_MARKER: &str = "leakcanary-client-token-0123456789";

/// A non-loopback IPv4 address of this machine (from iproute2), so a listener there is a real
/// socket that a client would reach over the network.
fn non_loopback_address() -> String {
    let ip = crate::support::require_tool("ip");
    let out = std::process::Command::new(ip)
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .expect("run ip (iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("this machine has no global IPv4 address to test with: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_command_refuses_an_endpoint_off_this_machine() {
    let work = Workdir::new();
    let address = non_loopback_address();
    // A real listener on that address: whatever connects to it would have sent the token.
    let listener = TcpListener::bind((address.as_str(), 0)).unwrap();
    let remote = format!("http://{address}:{}", listener.local_addr().unwrap().port());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream.unwrap();
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read(&mut [0u8; 4096]);
        }
    });
    let mut env = base_env(work.dir.path());
    env.push(("ROLEHOP_TOKEN".into(), TOKEN_MARKER.into()));
    let commands: [&[&str]; 4] = [
        &["credential-process", "--endpoint", &remote],
        &["exec", "--endpoint", &remote, "--", "true"],
        &["env", "--endpoint", &remote],
        &["healthcheck", "--endpoint", &remote],
    ];
    for argv in commands {
        let (code, stdout, stderr) = Rolehop::run(argv, &env).await;
        assert_eq!(code, 64, "{argv:?}: {stderr}");
        assert!(stdout.is_empty(), "{argv:?}: {stdout}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{argv:?}: one line, got {stderr}"
        );
        assert!(
            stderr.contains("is not on this machine") && stderr.contains("loopback"),
            "{argv:?}: {stderr}"
        );
        assert!(!stderr.contains(TOKEN_MARKER), "{stderr}");
    }
    // Loopback under each spelling is the one thing allowed: a closed port there is a failure
    // to reach (exit 1), not a refusal.
    let port = crate::support::free_port();
    for local in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://[::1]:{port}/"),
    ] {
        let (code, _, stderr) =
            Rolehop::run(&["credential-process", "--endpoint", &local], &env).await;
        assert_eq!(code, 1, "{local}: {stderr}");
        assert!(
            stderr.contains("cannot reach rolehop at"),
            "{local}: {stderr}"
        );
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a client command connected to {remote}, which would have carried the token off this machine"
    );
}
