//! A pass-through proxy in front of moto that counts each STS/IAM `Action=`, records the
//! parameters, and on command delays or fails AssumeRole (moto can do neither; REFERENCE 9).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Hold each AssumeRole this long before forwarding it.
    pub delay_assume: Duration,
    /// Answer AssumeRole with this (status, code, message) instead of forwarding it.
    pub fail_assume: Option<(u16, String, String)>,
    /// Answer these other actions (an IAM `GetRole`, say) with (action, status, code, message).
    pub fail_actions: Vec<(String, u16, String, String)>,
    /// Close every new connection at once, as if STS were unreachable.
    pub refuse_connections: bool,
    /// Rewrite the `Expiration` of each AssumeRole answer to now + this many seconds
    /// (negative: already expired), whatever DurationSeconds asked for.
    pub expiration_in: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub action: String,
    /// The access key id that signed the request (from its SigV4 `Authorization` header).
    pub access_key: String,
    pub params: Vec<(String, String)>,
    pub completed_at: Instant,
}

impl Call {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    upstream: String,
    faults: Mutex<Faults>,
    calls: Mutex<Vec<Call>>,
    client: super::http::HttpClient,
}

pub struct StsProxy {
    pub url: String,
    state: Arc<State>,
}

impl StsProxy {
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            upstream: upstream.to_owned(),
            faults: Mutex::new(Faults::default()),
            calls: Mutex::new(Vec::new()),
            client: super::http::client(),
        });
        super::server::spawn(
            listener,
            state.clone(),
            |s: &State| s.faults.lock().unwrap().refuse_connections,
            |state: Arc<State>, req| async move { forward(&state, req).await },
        );
        Self { url, state }
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().unwrap() = faults;
    }

    pub fn calls(&self, action: &str) -> Vec<Call> {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.action == action)
            .cloned()
            .collect()
    }

    /// The AssumeRole calls for one role ARN.
    pub fn assume_calls(&self, role_arn: &str) -> Vec<Call> {
        self.calls("AssumeRole")
            .into_iter()
            .filter(|c| c.param("RoleArn") == Some(role_arn))
            .collect()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls(action).len()
    }
}

async fn forward(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let params = parse_form(&String::from_utf8_lossy(&body));
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .or_else(|| {
            parts
                .headers
                .get("x-amz-target")
                .and_then(|t| t.to_str().ok())
                .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned())
        })
        .unwrap_or_default();
    let faults = state.faults.lock().unwrap().clone();
    let response = if action == "AssumeRole" {
        tokio::time::sleep(faults.delay_assume).await;
        faults
            .fail_assume
            .clone()
            .map(|(status, code, message)| sts_error(status, &code, &message))
    } else {
        faults
            .fail_actions
            .iter()
            .find(|(a, ..)| *a == action)
            .map(|(_, status, code, message)| sts_error(*status, code, message))
    };
    let response = match response {
        Some(r) => r,
        None => {
            let uri = format!(
                "{}{}",
                state.upstream,
                parts.uri.path_and_query().map_or("/", |p| p.as_str())
            );
            let mut upstream = Request::builder().method(parts.method.clone()).uri(uri);
            for (k, v) in &parts.headers {
                if k != hyper::header::HOST {
                    upstream = upstream.header(k, v);
                }
            }
            let upstream = upstream.body(Full::new(body)).unwrap();
            match state.client.request(upstream).await {
                Ok(r) => {
                    let (mut p, b) = r.into_parts();
                    let mut b = b.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    if action == "AssumeRole" && p.status.is_success() {
                        b = mark_secrets(&b);
                        if let Some(offset) = faults.expiration_in {
                            b = rewrite_expiration(&b, offset);
                        }
                        p.headers.remove(hyper::header::CONTENT_LENGTH);
                    }
                    Response::from_parts(p, Full::new(b))
                }
                Err(e) => {
                    let mut r = Response::new(Full::new(Bytes::from(format!(
                        "proxy: upstream failed: {e}"
                    ))));
                    *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                    r
                }
            }
        }
    };
    let access_key = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').next())
        .unwrap_or_default()
        .to_owned();
    state.calls.lock().unwrap().push(Call {
        action,
        access_key,
        params,
        completed_at: Instant::now(),
    });
    response
}

/// Prefixes the secret key and session token with the leak marker (moto checks neither), so a
/// grep of the logs finds them.
fn mark_secrets(body: &Bytes) -> Bytes {
    let text = String::from_utf8_lossy(body);
    let marked = text
        .replace(
            "<SecretAccessKey>",
            &format!("<SecretAccessKey>{}-sts-secret-", super::LEAK_MARKER),
        )
        .replace(
            "<SessionToken>",
            &format!("<SessionToken>{}-sts-token-", super::LEAK_MARKER),
        );
    Bytes::from(marked)
}

/// Replaces the text of `<Expiration>` with now + `offset` seconds.
fn rewrite_expiration(body: &Bytes, offset: i64) -> Bytes {
    let text = String::from_utf8_lossy(body);
    let (Some(start), Some(end)) = (text.find("<Expiration>"), text.find("</Expiration>")) else {
        return body.clone();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = aws_smithy_types::DateTime::from_secs(now + offset)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    let rewritten = format!("{}<Expiration>{at}{}", &text[..start], &text[end..]);
    Bytes::from(rewritten)
}

fn sts_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    );
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, "text/xml".parse().unwrap());
    r
}

fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
