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

/// `rolehop exec ARGS -- sh -c 'cd / && env >FILE && exec python3 -c WHOAMI'` run from `cwd`:
/// (the child's environment, boto3's identity or the failure).
async fn exec_child(
    cwd: &std::path::Path,
    args: &[&str],
    env: &[(String, String)],
) -> (Vec<(String, String)>, Result<serde_json::Value, String>) {
    let python = crate::support::require_tool("python3");
    let seen = cwd.join("child-env");
    let script = format!(
        "cd / && env > '{}' && exec '{}' -c \"$0\"",
        seen.display(),
        python.display()
    );
    let mut argv: Vec<&str> = vec!["exec"];
    argv.extend_from_slice(args);
    argv.extend([
        "--",
        "sh",
        "-c",
        &script,
        include_str!("../examples/app/whoami.py"),
    ]);
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(crate::support::rolehop::BIN)
            .args(&argv)
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().cloned())
            .stdin(std::process::Stdio::null())
            .output(),
    )
    .await
    .expect("exec finished")
    .expect("run rolehop exec");
    let child_env = std::fs::read_to_string(&seen)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let identity = if out.status.success() {
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    };
    (child_env, identity)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_hands_the_child_only_what_an_sdk_needs() {
    let stack = crate::support::Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let token_file = stack.token_file();
    let mut parent = stack.base_env();
    parent.extend([
        ("AWS_ENDPOINT_URL".to_owned(), stack.proxy.url.clone()),
        ("ROLEHOP_ENDPOINT".to_owned(), rolehop.base.clone()),
        ("ROLEHOP_LOG".to_owned(), "debug".to_owned()),
    ]);
    let value_of = |env: &[(String, String)], name: &str| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };

    // Token-file mode, the file named relative to where exec starts; the child moves to `/`.
    let mut file_mode = parent.clone();
    file_mode.extend([
        ("ROLEHOP_TOKEN_FILE".to_owned(), "token".to_owned()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_owned(),
            "stale-inherited-token-0123456789".to_owned(),
        ),
    ]);
    let (child, identity) = exec_child(stack.work.dir.path(), &[], &file_mode).await;
    let identity = identity.expect("boto3 in the child, after cd /");
    assert_eq!(identity["Account"], "555566667777", "{identity}");
    assert_eq!(
        value_of(&child, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").as_deref(),
        Some(token_file.to_str().unwrap()),
        "the token file, as an absolute path"
    );
    assert_eq!(
        value_of(&child, "AWS_CONTAINER_AUTHORIZATION_TOKEN").as_deref(),
        Some(token.as_str()),
        "with a token file the variable carries the token too (not the inherited one), for the clients that read only the variable"
    );
    let own: Vec<&String> = child
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("ROLEHOP_"))
        .collect();
    assert!(
        own.is_empty(),
        "rolehop's variables reached the child: {own:?}"
    );

    // --no-token-variable: the file alone, and the token nowhere in the child's environment.
    let (child, identity) =
        exec_child(stack.work.dir.path(), &["--no-token-variable"], &file_mode).await;
    let identity = identity.expect("boto3 in the child, token from the file alone");
    assert_eq!(identity["Account"], "555566667777", "{identity}");
    assert_eq!(
        value_of(&child, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        None,
        "--no-token-variable keeps the token out of the child's environment"
    );
    assert!(
        child.iter().all(|(_, v)| !v.contains(&token)),
        "the token leaked"
    );

    // ROLEHOP_TOKEN mode: the variable is the one way to pass it; an inherited file is dropped.
    let mut value_mode = parent.clone();
    value_mode.extend([
        ("ROLEHOP_TOKEN".to_owned(), token.clone()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".to_owned(),
            "/nonexistent/token".to_owned(),
        ),
    ]);
    let (child, identity) = exec_child(stack.work.dir.path(), &[], &value_mode).await;
    let identity = identity.expect("boto3 in the child, token from the variable");
    assert_eq!(identity["Account"], "555566667777", "{identity}");
    assert_eq!(
        value_of(&child, "AWS_CONTAINER_AUTHORIZATION_TOKEN").as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        value_of(&child, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        None
    );
    assert_eq!(value_of(&child, "ROLEHOP_TOKEN"), None);

    // `env` prints the same settings for a shell.
    let (code, exports, stderr) = Rolehop::run(
        &["env", "--token-file", token_file.to_str().unwrap()],
        &parent,
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        exports.contains("unset AWS_CONTAINER_AUTHORIZATION_TOKEN\n"),
        "{exports}"
    );
    assert!(!exports.contains(&token), "{exports}");
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_cache_trusts_only_what_this_user_wrote() {
    use std::os::unix::fs::PermissionsExt;
    let stack = crate::support::Stack::start().await;
    let cache = stack.work.path("cache");
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_CACHE_DIR".into(), cache.display().to_string()));
    let args = [
        "credential-process",
        "--role-arn",
        crate::support::DESTINATION_ROLE_ARN,
        "--session-name",
        "laptop",
    ];
    let run = |env: Vec<(String, String)>| async move {
        let (code, stdout, stderr) = Rolehop::run(&args, &env).await;
        assert_eq!(code, 0, "{stderr}");
        (stdout, stderr)
    };
    let (first, _) = run(env.clone()).await;
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
    let file = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let with_key = |body: &str, key: &str| {
        let mut json: serde_json::Value = serde_json::from_str(body).unwrap();
        json["AccessKeyId"] = key.into();
        json.to_string()
    };

    // Another credential in the file, private and this user's, but expiring in 2030: no STS
    // session lasts that long, so it was not rolehop's.
    let mut planted: serde_json::Value = serde_json::from_str(&first).unwrap();
    planted["AccessKeyId"] = "ASIAPLANTEDFAR2030XX".into();
    planted["Expiration"] = "2030-01-01T00:00:00Z".into();
    std::fs::write(&file, planted.to_string()).unwrap();
    let (second, _) = run(env.clone()).await;
    assert!(!second.contains("ASIAPLANTEDFAR2030XX"), "{second}");
    assert_eq!(
        stack.proxy.count("AssumeRole"),
        2,
        "the planted file was refreshed"
    );
    assert!(!std::fs::read_to_string(&file).unwrap().contains("PLANTED"));

    // A link in the file's place, to a believable credential: not followed.
    let elsewhere = stack.work.path("elsewhere.json");
    std::fs::write(&elsewhere, with_key(&second, "ASIALINKEDELSEWHERE0")).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    let (third, _) = run(env.clone()).await;
    assert!(!third.contains("ASIALINKEDELSEWHERE0"), "{third}");
    assert_eq!(
        stack.proxy.count("AssumeRole"),
        3,
        "the link was not followed"
    );
    assert!(!std::fs::symlink_metadata(&file).unwrap().is_symlink());

    // A file others could have written (0666): ignored.
    std::fs::write(&file, with_key(&third, "ASIAWORLDWRITABLE000")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (fourth, _) = run(env.clone()).await;
    assert!(!fourth.contains("ASIAWORLDWRITABLE000"), "{fourth}");
    assert_eq!(stack.proxy.count("AssumeRole"), 4);

    // The directory open to others (the 0777): not used at all, with the fix on stderr.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = std::fs::read_to_string(&file).unwrap();
    let (_, stderr) = run(env.clone()).await;
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("writable by group or others (mode 0777)")
            && stderr.contains(&format!("chmod 700 {}", cache.display())),
        "{stderr}"
    );
    assert_eq!(stack.proxy.count("AssumeRole"), 5);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "nothing written there"
    );

    // A directory another user owns: root's (when the tests do not run as root), else one
    // handed to `nobody`.
    let theirs = if rustix::process::geteuid().is_root() {
        let dir = stack.work.path("nobodys");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        dir
    } else {
        std::path::PathBuf::from("/")
    };
    let mut others = stack.rolehop_env();
    others.push(("ROLEHOP_CACHE_DIR".into(), theirs.display().to_string()));
    let (_, stderr) = run(others).await;
    assert!(
        stderr.contains("is owned by uid") && stderr.contains("not by you"),
        "{stderr}"
    );
    assert_eq!(stack.proxy.count("AssumeRole"), 6);
}
