//! A recording endpoint for measuring what AWS SDKs send (docs/SDKS.md, tests/sdks.rs): it
//! answers the ECS container-credentials JSON, IMDSv2 and STS `GetCallerIdentity`, and prints
//! one JSON line per request on stdout with the request's raw header values (a trailing newline
//! in a token shows up as sent). It runs as its own process (`examples/sdk_recorder.rs`) because
//! the tests start it inside a network namespace of their own, where 169.254.170.2 is local.
//!
//! What it serves:
//! - `PUT /latest/api/token`: an IMDSv2 session token, echoing the TTL header.
//! - `GET /latest/meta-data/iam/security-credentials/`: the one role name `recorded`, and under
//!   that name IMDS credentials whose key id is `ASIAIMDS`. Other `/latest/` paths: 404.
//! - a signed `POST` (STS): `GetCallerIdentity` whose ARN ends with the access key id the
//!   request was signed with, so the client's own output says which credentials it used.
//! - any other `GET`: ECS container credentials whose key id is `ASIA` + the path's letters and
//!   digits in upper case (`/rel/a1` → `ASIARELA1`), expiring N seconds after the first fetch of
//!   the path for a `winN` path segment (the same expiry for every fetch), N seconds after each
//!   fetch for `ttlN`, or in one hour.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Binds every address, prints `{"listening": [...]}`, then serves until killed.
pub fn run(addrs: &[String]) -> std::io::Result<()> {
    let out: &'static Mutex<std::io::Stdout> = Box::leak(Box::new(Mutex::new(std::io::stdout())));
    let mut listeners = Vec::new();
    for addr in addrs {
        listeners.push(
            TcpListener::bind(addr.as_str()).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
            })?,
        );
    }
    print_line(out, &serde_json::json!({ "listening": addrs }));
    let mut threads = Vec::new();
    for listener in listeners {
        threads.push(std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream, out));
            }
        }));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

fn print_line(out: &Mutex<std::io::Stdout>, value: &serde_json::Value) {
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn rfc3339(secs: u64) -> String {
    aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// One request per connection (`Connection: close`).
fn serve(stream: TcpStream, out: &Mutex<std::io::Stdout>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut reader = BufReader::new(&stream);
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // Only CRLF ends a line here, so a bare LF inside a header value stays in the value.
        if line == b"\r\n" {
            break;
        }
        while !line.ends_with(b"\r\n") {
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        line.truncate(line.len() - 2);
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    let Some((method, target)) = lines.first().and_then(|l| {
        let mut parts = l.split(' ');
        Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
    }) else {
        return;
    };
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_start_matches(' ').to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let path = target.split('?').next().unwrap_or_default().to_owned();

    let mut record = serde_json::json!({
        "ms": now().as_millis() as u64,
        "local": local,
        "method": method,
        "path": target,
        "headers": headers,
    });
    let (status, content_type, extra, mut reply) = answer(&method, &path, &header, &body);
    if let Some(key) = reply.served.take() {
        record["served"] = key.into();
    }
    if let Some(key) = reply.signed_with.take() {
        record["signed_with"] = key.into();
    }
    if let Some(expires) = reply.expires {
        record["expires"] = expires.into();
    }
    print_line(out, &record);
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
}

struct Reply {
    body: String,
    served: Option<String>,
    signed_with: Option<String>,
    expires: Option<u64>,
}

impl Reply {
    fn text(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            served: None,
            signed_with: None,
            expires: None,
        }
    }
}

type Answer = (&'static str, &'static str, Vec<(String, String)>, Reply);

fn answer(method: &str, path: &str, header: &dyn Fn(&str) -> Option<String>, body: &str) -> Answer {
    const ROLE: &str = "recorded";
    let creds_path = "/latest/meta-data/iam/security-credentials/";
    if method == "PUT" && path == "/latest/api/token" {
        let ttl = header("x-aws-ec2-metadata-token-ttl-seconds").unwrap_or_default();
        let echo = vec![("X-aws-ec2-metadata-token-ttl-seconds".to_owned(), ttl)];
        return (
            "200 OK",
            "text/plain",
            echo,
            Reply::text("recorded-imds-token"),
        );
    }
    if method == "GET" && path == creds_path {
        return ("200 OK", "text/plain", vec![], Reply::text(ROLE));
    }
    if method == "GET" && path == format!("{creds_path}{ROLE}") {
        let now = now().as_secs();
        let json = serde_json::json!({
            "Code": "Success",
            "LastUpdated": rfc3339(now),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAIMDS",
            "SecretAccessKey": "recorded-secret",
            "Token": "recorded-session-token",
            "Expiration": rfc3339(now + 3600),
        });
        let mut reply = Reply::text(json.to_string());
        reply.served = Some("ASIAIMDS".into());
        return ("200 OK", "application/json", vec![], reply);
    }
    if path.starts_with("/latest/") {
        return (
            "404 Not Found",
            "text/plain",
            vec![],
            Reply::text("Not Found"),
        );
    }
    if method == "POST" {
        let signed_with = header("authorization")
            .and_then(|a| {
                let rest = a.split("Credential=").nth(1)?;
                Some(rest.split('/').next()?.to_owned())
            })
            .unwrap_or_default();
        if !body.contains("GetCallerIdentity") {
            return (
                "400 Bad Request",
                "text/plain",
                vec![],
                Reply::text("only GetCallerIdentity"),
            );
        }
        let xml = format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/recorded/{signed_with}</Arn><UserId>AROARECORDED:{signed_with}</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
        let mut reply = Reply::text(xml);
        reply.signed_with = Some(signed_with);
        return ("200 OK", "text/xml", vec![], reply);
    }
    let key: String = path
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let key = format!("ASIA{key}");
    let now_secs = now().as_secs();
    let segment = |prefix: &str| {
        path.split('/')
            .find_map(|s| s.strip_prefix(prefix)?.parse::<u64>().ok())
    };
    let expires = match segment("win") {
        // The first fetch of this path fixes the expiry; later fetches serve the same one.
        Some(window) => {
            static FIXED: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
            let mut fixed = FIXED.lock().unwrap_or_else(|e| e.into_inner());
            match fixed.iter().find(|(p, _)| p == path) {
                Some((_, expiry)) => *expiry,
                None => {
                    fixed.push((path.to_owned(), now_secs + window));
                    now_secs + window
                }
            }
        }
        None => now_secs + segment("ttl").unwrap_or(3600),
    };
    let json = serde_json::json!({
        "AccessKeyId": key,
        "SecretAccessKey": "recorded-secret",
        "Token": "recorded-session-token",
        "Expiration": rfc3339(expires),
        "RoleArn": "arn:aws:iam::123456789012:role/recorded",
    });
    let mut reply = Reply::text(json.to_string());
    reply.served = Some(key);
    reply.expires = Some(expires);
    ("200 OK", "application/json", vec![], reply)
}
