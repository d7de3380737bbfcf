//! A stand-in for the ECS agent: the container credentials endpoint (`FULL_URI` + token, as
//! the agent serves it to rolehop) and the task metadata endpoint v4 (`/task` with a TaskARN).
//! Nothing real can play the agent outside ECS, so this is one of the two fakes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_sts::config::{BehaviorVersion, Credentials as SdkCredentials, Region};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;

pub const CREDENTIALS_PATH: &str = "/v2/credentials/7b6f3b4e-task-credentials-id";
pub const METADATA_PATH: &str = "/v4/container-0";
pub const TASK_ID: &str = "0123456789abcdef0123456789abcdef";
/// Every secret the stand-ins hand out starts with this (the agent's keys and token, the
/// STS keys as the test proxy passes them on), so a grep of the logs finds any that leaked.
pub const LEAK_MARKER: &str = "leakcanary";
pub const AGENT_TOKEN: &str = "leakcanary-agent-token-0123456789";

/// The credentials the agent hands out (wire form, as the real agent sends them).
#[derive(Debug, Clone)]
pub struct AgentCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: String,
    pub expiration: String,
    pub role_arn: String,
}

impl AgentCredentials {
    /// Account A's task-role credentials, issued by moto's AssumeRole (any keys may call it).
    pub async fn task_role_from_moto(moto_url: &str) -> Self {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(super::REGION))
            .endpoint_url(moto_url)
            .credentials_provider(SdkCredentials::new(
                "AKIDSTANDINAGENT0000",
                "standin-agent-secret",
                None,
                None,
                "standin",
            ))
            .build();
        let out = aws_sdk_sts::Client::from_conf(config)
            .assume_role()
            .role_arn(super::TASK_ROLE_ARN)
            .role_session_name(TASK_ID)
            .duration_seconds(6 * 3600)
            .send()
            .await
            .expect("moto AssumeRole for the task role");
        let c = out.credentials.expect("credentials");
        // moto checks no signature: the keys may carry the marker the log grep looks for.
        Self {
            access_key_id: c.access_key_id,
            secret_access_key: format!("{}-agent-secret-{}", LEAK_MARKER, c.secret_access_key),
            token: format!("{}-agent-token-{}", LEAK_MARKER, c.session_token),
            expiration: c
                .expiration
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap(),
            role_arn: super::TASK_ROLE_ARN.to_owned(),
        }
    }
}

/// How the stand-in agent misbehaves, on command.
#[derive(Debug, Clone, Default)]
pub struct AgentFaults {
    /// Close every new connection at once (the agent is down).
    pub refuse_connections: bool,
    /// Answer after this long.
    pub delay: std::time::Duration,
    /// Answer 200 with a body that is not JSON.
    pub garbage: bool,
    /// Serve `Expiration` as now + this, instead of the credentials' own.
    pub lifetime: Option<std::time::Duration>,
}

struct State {
    creds: Mutex<AgentCredentials>,
    fail_with: Mutex<Option<u16>>,
    faults: Mutex<AgentFaults>,
    token: Mutex<String>,
    credential_requests: AtomicUsize,
}

pub struct EcsAgent {
    pub origin: String,
    state: Arc<State>,
}

impl EcsAgent {
    pub async fn start(creds: AgentCredentials) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind agent");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            creds: Mutex::new(creds),
            fail_with: Mutex::new(None),
            faults: Mutex::new(AgentFaults::default()),
            token: Mutex::new(AGENT_TOKEN.to_owned()),
            credential_requests: AtomicUsize::new(0),
        });
        super::server::spawn(
            listener,
            state.clone(),
            |s: &State| s.faults.lock().unwrap().refuse_connections,
            |state: Arc<State>, req| async move {
                let delay = state.faults.lock().unwrap().delay;
                tokio::time::sleep(delay).await;
                handle(&state, req)
            },
        );
        Self { origin, state }
    }

    pub fn full_uri(&self) -> String {
        format!("{}{CREDENTIALS_PATH}", self.origin)
    }

    pub fn metadata_uri(&self) -> String {
        format!("{}{METADATA_PATH}", self.origin)
    }

    /// Environment that makes a process see this agent the way rolehop sees the real one.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI".into(), self.full_uri()),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN".into(),
                AGENT_TOKEN.into(),
            ),
            ("ECS_CONTAINER_METADATA_URI_V4".into(), self.metadata_uri()),
        ]
    }

    pub fn credentials(&self) -> AgentCredentials {
        self.state.creds.lock().unwrap().clone()
    }

    pub fn set_faults(&self, faults: AgentFaults) {
        *self.state.faults.lock().unwrap() = faults;
    }

    /// Expect a new `Authorization` token from now on (the task's token rotated).
    pub fn rotate_token(&self, token: &str) {
        *self.state.token.lock().unwrap() = token.to_owned();
    }

    /// Answer credential requests with this status (and an ECS-style error) until cleared.
    pub fn fail_with(&self, status: Option<u16>) {
        *self.state.fail_with.lock().unwrap() = status;
    }

    pub fn credential_requests(&self) -> usize {
        self.state.credential_requests.load(Ordering::SeqCst)
    }
}

fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    if path == format!("{METADATA_PATH}/task") {
        let body = serde_json::json!({
            "Cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/demo",
            "TaskARN": format!("arn:aws:ecs:us-east-1:111122223333:task/demo/{TASK_ID}"),
            "Family": "rolehop-demo",
            "Revision": "1",
        });
        return reply(StatusCode::OK, body);
    }
    if path != CREDENTIALS_PATH {
        return reply(
            StatusCode::NOT_FOUND,
            serde_json::json!({"code": "NotFound", "message": "no such path"}),
        );
    }
    state.credential_requests.fetch_add(1, Ordering::SeqCst);
    let expected = state.token.lock().unwrap().clone();
    let authorized = req
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    if !authorized {
        return reply(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"code": "Unauthorized", "message": "bad token"}),
        );
    }
    if let Some(status) = *state.fail_with.lock().unwrap() {
        return reply(
            StatusCode::from_u16(status).unwrap(),
            serde_json::json!({"code": "InternalError", "message": "stand-in agent told to fail"}),
        );
    }
    let faults = state.faults.lock().unwrap().clone();
    if faults.garbage {
        let mut r = Response::new(Full::new(Bytes::from_static(
            b"<html>502 Bad Gateway</html>",
        )));
        r.headers_mut()
            .insert(hyper::header::CONTENT_TYPE, "text/html".parse().unwrap());
        return r;
    }
    let mut c = state.creds.lock().unwrap().clone();
    if let Some(lifetime) = faults.lifetime {
        let at = std::time::SystemTime::now() + lifetime;
        c.expiration = aws_smithy_types::DateTime::from(at)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap();
    }
    reply(
        StatusCode::OK,
        serde_json::json!({
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "Token": c.token,
            "Expiration": c.expiration,
            "RoleArn": c.role_arn,
        }),
    )
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    r
}
