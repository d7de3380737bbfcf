//! `rolehop serve` end to end: the stand-in ECS agent as the source, moto (behind the counting
//! proxy) as STS, and the real AWS CLI, boto3 and Rust SDK as clients.

use std::time::{Duration, Instant};

use crate::support::ecs_agent::{AgentCredentials, TASK_ID};
use crate::support::sts_proxy::Faults;
use crate::support::{DESTINATION_ROLE_ARN, Stack, clients, http, moto::Moto};

const DESTINATION_ACCOUNT: &str = "555566667777";

fn assert_destination(identity: &serde_json::Value, client: &str) {
    assert_eq!(
        identity["Account"], DESTINATION_ACCOUNT,
        "{client}: {identity}"
    );
    assert_eq!(
        identity["Arn"],
        format!(
            "arn:aws:sts::{DESTINATION_ACCOUNT}:assumed-role/destination-account-role/{TASK_ID}"
        ),
        "{client}: {identity}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_boto3_and_rust_sdk_reach_the_destination_account_through_rolehop() {
    let stack = Stack::start().await;

    // Before rolehop: the task's own identity, straight from the (stand-in) ECS agent.
    let mut direct = stack.base_env();
    direct.extend(stack.agent.env());
    direct.push(("AWS_ENDPOINT_URL".into(), stack.moto.url.clone()));
    let task = clients::aws_cli_caller_identity(&direct).await;
    assert_eq!(task["Account"], "111122223333", "{task}");

    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let env = stack.client_env(&rolehop, "/v1/credentials");
    assert_destination(&clients::aws_cli_caller_identity(&env).await, "aws cli");
    assert_destination(&clients::boto3_caller_identity(&env).await, "boto3");
    assert_destination(&clients::rust_sdk_caller_identity(&env).await, "rust sdk");
    let named = stack.client_env(&rolehop, "/v1/credentials/default");
    assert_destination(
        &clients::boto3_caller_identity(&named).await,
        "boto3 via /v1/credentials/default",
    );

    // Four clients, one AssumeRole: only rolehop talks to STS for the role.
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
    let call = &stack.proxy.calls("AssumeRole")[0];
    assert_eq!(call.param("RoleArn"), Some(DESTINATION_ROLE_ARN));
    assert_eq!(
        call.param("RoleSessionName"),
        Some(TASK_ID),
        "session name from task metadata"
    );
    assert_eq!(call.param("DurationSeconds"), Some("3600"));
    assert_eq!(call.param("ExternalId"), None);

    let refreshed = rolehop.log_events("credentials refreshed");
    let role_refresh = refreshed
        .iter()
        .find(|e| e["role"] == "default")
        .expect("refresh logged");
    // What a cell fetches is static: logged once when it starts, not on every refresh line.
    assert!(role_refresh.get("fetched").is_none(), "{role_refresh}");
    let starts = rolehop.log_events("refreshing");
    let role_start = starts
        .iter()
        .find(|e| e["role"] == "default")
        .expect("what the role fetches is logged once");
    assert_eq!(
        starts.iter().filter(|e| e["role"] == "default").count(),
        1,
        "{starts:?}"
    );
    assert!(
        role_start["fetched"]
            .as_str()
            .unwrap()
            .contains(DESTINATION_ROLE_ARN),
        "{role_start}"
    );
    assert!(
        role_start["fetched"]
            .as_str()
            .unwrap()
            .contains("EcsContainer"),
        "{role_start}"
    );
    assert!(
        role_refresh["expiration"].as_str().unwrap().ends_with('Z'),
        "{role_refresh}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_parameters_are_passed_exactly() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults::default());
    let rolehop = stack
        .serve(&[
            "--external-id",
            "Partner-7:a/b",
            "--session-name",
            "billing@prod",
            "--duration",
            "900",
        ])
        .await;
    rolehop.wait_ready().await;
    let calls = stack.proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].param("ExternalId"), Some("Partner-7:a/b"));
    assert_eq!(calls[0].param("RoleSessionName"), Some("billing@prod"));
    assert_eq!(calls[0].param("DurationSeconds"), Some("900"));
    let reply = http::get(
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &stack.token())],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        !rolehop.logs().contains("Partner-7"),
        "the external id is not logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_during_a_slow_assume_role_shares_one_sts_call() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        delay_assume: Duration::from_millis(900),
        ..Faults::default()
    });
    let rolehop = stack.serve(&[]).await;
    let token = stack.token();
    let url = format!("{}/v1/credentials", rolehop.base);
    let client = http::client();
    let requests: Vec<_> = (0..200)
        .map(|_| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let sent = Instant::now();
                (
                    sent,
                    http::request(&client, "GET", &url, &[("Authorization", &token)], "").await,
                )
            })
        })
        .collect();
    let mut keys = std::collections::HashSet::new();
    let mut last_sent = None;
    for r in requests {
        let (sent, reply) = r.await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        keys.insert(reply.json()["AccessKeyId"].as_str().unwrap().to_owned());
        last_sent = last_sent.max(Some(sent));
    }
    let calls = stack.proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1, "one AssumeRole for the whole burst");
    assert!(
        last_sent.unwrap() < calls[0].completed_at,
        "every request of the burst was sent while the AssumeRole was held in flight"
    );
    assert_eq!(keys.len(), 1, "every client got the same credential");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_answer_with_the_right_status_and_ecs_style_json() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let base = &rolehop.base;
    let client = http::client();
    let cases: [(&str, &str, Option<&str>, u16, &str); 10] = [
        ("GET", "/v1/credentials", None, 401, "MissingToken"),
        (
            "GET",
            "/v1/credentials",
            Some("wrong-token-0123456789"),
            403,
            "InvalidToken",
        ),
        (
            "GET",
            "/v1/credentials/default",
            Some(""),
            403,
            "InvalidToken",
        ),
        (
            "GET",
            "/v1/credentials/other",
            Some(&token),
            404,
            "UnknownRole",
        ),
        ("GET", "/v1/credentials/", Some(&token), 404, "UnknownRole"),
        (
            "GET",
            "/v1/credentials/../default",
            Some(&token),
            404,
            "UnknownRole",
        ),
        (
            "GET",
            "/v1/credentials/default%2F",
            Some(&token),
            404,
            "UnknownRole",
        ),
        (
            "POST",
            "/v1/credentials",
            Some(&token),
            405,
            "MethodNotAllowed",
        ),
        ("GET", "/latest/meta-data/", Some(&token), 404, "NotFound"),
        ("DELETE", "/healthz", None, 405, "MethodNotAllowed"),
    ];
    for (method, path, auth, status, code) in cases {
        let headers: Vec<(&str, &str)> = auth.map(|t| ("Authorization", t)).into_iter().collect();
        let reply = http::request(&client, method, &format!("{base}{path}"), &headers, "").await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        let body = reply.json();
        assert_eq!(body["code"], code, "{method} {path}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(!reply.body.contains(&token));
    }
    let ok = http::get(
        &format!("{base}/v1/credentials"),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["content-type"], "application/json");
    assert_eq!(ok.headers["cache-control"], "no-store");
    let creds = ok.json();
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
        "RoleArn",
        "AccountId",
    ] {
        assert!(
            creds[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {creds}"
        );
    }
    assert_eq!(creds["RoleArn"], DESTINATION_ROLE_ARN);
    assert_eq!(creds["AccountId"], DESTINATION_ACCOUNT);
    let expiration = creds["Expiration"].as_str().unwrap();
    assert_eq!(expiration.len(), 20, "whole seconds with Z: {expiration}");
    assert!(expiration.ends_with('Z'));
    let expires = aws_smithy_types::DateTime::from_str(
        expiration,
        aws_smithy_types::date_time::Format::DateTime,
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        expires.secs() - now > 25 * 60,
        "a fresh credential has more than 25 minutes left: {expiration}"
    );

    for path in ["/healthz", "/readyz"] {
        let reply = http::get(&format!("{base}{path}"), &[]).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            !reply
                .body
                .contains(creds["SecretAccessKey"].as_str().unwrap())
        );
    }
}

/// Rust's `Debug` form, as the SDK's error context used to print it: never in what a person
/// reads.
fn holds_debug_dump(text: &str) -> bool {
    ["DispatchFailure(", "ConnectorError", " { ", "Some("]
        .iter()
        .any(|m| text.contains(m))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_unreachable_is_one_readable_sentence_in_the_log_and_the_503() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let rolehop = stack.serve(&[]).await;
    let token = stack.token();
    let url = format!("{}/v1/credentials", rolehop.base);
    let message = crate::support::wait_for_async(
        "the unreachable STS to be reported",
        Duration::from_secs(20),
        || async {
            let reply = http::get(&url, &[("Authorization", &token)]).await;
            assert_eq!(reply.status, 503, "{}", reply.body);
            let message = reply.json()["message"].as_str().unwrap().to_owned();
            message.contains("attempt failed").then_some(message)
        },
    )
    .await;
    assert!(
        message.starts_with("no valid credential for `default` yet; the last attempt failed: cannot reach STS for AssumeRole into"),
        "{message}"
    );
    assert!(!holds_debug_dump(&message), "{message}");
    assert!(message.contains("(cause: "), "the cause follows: {message}");
    assert!(
        message.len() < 600,
        "short: {} chars: {message}",
        message.len()
    );

    let failures = rolehop.log_events("credential refresh failed");
    let failure = failures
        .iter()
        .find(|e| e["role"] == "default")
        .expect("the failure is logged");
    let error = failure["error"].as_str().unwrap();
    assert!(error.starts_with("cannot reach STS"), "{error}");
    assert!(!holds_debug_dump(error), "{error}");
    let logs = rolehop.logs();
    let warn = logs
        .lines()
        .find(|l| l.contains("credential refresh failed"))
        .unwrap();
    assert!(!holds_debug_dump(warn), "{warn}");
    assert!(warn.len() < 700, "{} chars: {warn}", warn.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_denial_is_a_503_that_names_the_fix_and_recovers_without_restart() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        fail_assume: Some((
            403,
            "AccessDenied".into(),
            format!("User: arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/{TASK_ID} is not authorized to perform: sts:AssumeRole on resource: {DESTINATION_ROLE_ARN}"),
        )),
        ..Faults::default()
    });
    let rolehop = stack.serve(&[]).await;
    let token = stack.token();
    let reply = http::get(
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("AccessDenied"), "{message}");
    assert!(
        message.contains("trust policy") && message.contains("rolehop check"),
        "{message}"
    );
    let ready = http::get(&format!("{}/readyz", rolehop.base), &[]).await;
    assert_eq!(ready.status, 503);
    let reason = ready.json()["roles"]["default"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("the last refresh failed"), "{reason}");
    assert!(
        !ready.body.contains("AccessDenied") && !ready.body.contains("555566667777"),
        "the token-less /readyz names no account, role or STS text: {}",
        ready.body
    );
    let health = ["healthcheck", "--endpoint", rolehop.base.as_str()];
    let (code, _, stderr) = crate::support::rolehop::Rolehop::run(&health, &stack.base_env()).await;
    assert_eq!(
        code, 1,
        "the container health check fails while not ready: {stderr}"
    );
    assert!(stderr.contains("is not ready (503)"), "{stderr}");

    // Backoff, then recovery once STS answers again.
    stack.proxy.set_faults(Faults::default());
    rolehop.wait_ready().await;
    let (code, stdout, _) = crate::support::rolehop::Rolehop::run(&health, &stack.base_env()).await;
    assert_eq!((code, stdout.as_str()), (0, "ready\n"));
    let reply = http::get(
        &format!("{}/v1/credentials", rolehop.base),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(reply.status, 200);
    let failures = rolehop.log_events("credential refresh failed");
    assert!(!failures.is_empty());
    assert!(
        failures.iter().all(|f| f["retry_in_ms"].as_u64().is_some()),
        "backoff is logged"
    );
    // /metrics agrees with the log: every failure counted, and each denied call timed.
    let m = prometheus_samples(
        &http::get(&format!("{}/metrics", rolehop.base), &[])
            .await
            .body,
    );
    assert_eq!(
        m["rolehop_credential_refresh_failures_total{role=\"default\"}"],
        failures.len() as f64
    );
    assert_eq!(
        m["rolehop_credential_refreshes_total{role=\"default\"}"],
        1.0
    );
    assert_eq!(
        m["rolehop_sts_assume_role_duration_seconds_count{outcome=\"error\"}"],
        failures.len() as f64
    );
    assert_eq!(
        m["rolehop_http_requests_total{listener=\"credentials\",route=\"/v1/credentials\",status=\"503\"}"],
        1.0
    );
    // The kind and STS's code travel with the failure, to the log and to /metrics.
    assert!(
        failures
            .iter()
            .all(|f| f["reason"] == "refused" && f["code"] == "AccessDenied"),
        "{failures:#?}"
    );
    assert_eq!(
        m["rolehop_credential_refresh_failures_by_reason_total{role=\"default\",reason=\"refused\"}"],
        failures.len() as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_source_keeps_rolehop_up_and_says_why() {
    let stack = Stack::start().await;
    stack.agent.fail_with(Some(500));
    let rolehop = stack.serve(&[]).await;
    let token = stack.token();
    let url = format!("{}/v1/credentials", rolehop.base);
    // aws-config's ECS provider retries the 500s itself before the first attempt fails.
    let message = crate::support::wait_for_async(
        "the source failure to be reported",
        Duration::from_secs(20),
        || async {
            let reply = http::get(&url, &[("Authorization", &token)]).await;
            assert_eq!(reply.status, 503);
            let message = reply.json()["message"].as_str().unwrap().to_owned();
            message.contains("attempt failed").then_some(message)
        },
    )
    .await;
    assert!(
        message.contains("cannot get the task's own credentials from EcsContainer"),
        "{message}"
    );
    let ready = http::get(&format!("{}/readyz", rolehop.base), &[]).await;
    assert_eq!(ready.status, 503);
    assert_eq!(
        stack.proxy.count("AssumeRole"),
        0,
        "no STS call without source credentials"
    );
    stack.agent.fail_with(None);
    rolehop.wait_ready().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero() {
    let stack = Stack::start().await;
    let mut rolehop = stack.serve(&["--shutdown-grace", "3"]).await;
    rolehop.wait_ready().await;
    let status = rolehop.terminate(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(0), "{}", rolehop.logs());
    assert!(!rolehop.log_events("shutting down").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let markers = AgentCredentials {
        access_key_id: "ASIAMARKERSOURCEKEY0".into(),
        secret_access_key: "leakcanary-source-secret-access-key".into(),
        token: "leakcanary-source-session-token".into(),
        expiration: "2099-01-01T00:00:00Z".into(),
        role_arn: crate::support::TASK_ROLE_ARN.into(),
    };
    let stack = Stack::with_agent_credentials(moto, markers).await;
    // The most verbose level rolehop allows: everything it and its dependencies would log.
    let mut rolehop = stack
        .serve_env(
            &[
                "--external-id",
                "MARKER-external-id-value",
                "--shutdown-grace",
                "2",
                "--imds-listen",
                "127.0.0.1:0",
            ],
            &[("ROLEHOP_LOG", "trace")],
        )
        .await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let url = format!("{}/v1/credentials", rolehop.base);
    let served = http::get(&url, &[("Authorization", &token)]).await.json();
    http::get(&url, &[("Authorization", "MARKER-wrong-token-attempt")]).await;
    http::get(
        &format!("{}/v1/credentials/MARKER-role", rolehop.base),
        &[("Authorization", &token)],
    )
    .await;
    // IMDS and the health routes too; their bodies must not carry secrets either.
    let imds = rolehop.imds_base();
    let client = http::client();
    let imds_token = http::request(
        &client,
        "PUT",
        &format!("{imds}/latest/api/token"),
        &[("x-aws-ec2-metadata-token-ttl-seconds", "60")],
        "",
    )
    .await
    .body;
    let via_imds = http::request(
        &client,
        "GET",
        &format!("{imds}/latest/meta-data/iam/security-credentials/default"),
        &[("x-aws-ec2-metadata-token", &imds_token)],
        "",
    )
    .await;
    assert_eq!(via_imds.status, 200);
    for path in ["/readyz", "/healthz"] {
        let body = http::get(&format!("{}{path}", rolehop.base), &[])
            .await
            .body;
        assert!(!body.contains("MARKER"), "{path}: {body}");
    }
    rolehop.terminate(Duration::from_secs(5)).await;

    let logs = rolehop.logs();
    assert!(
        logs.contains("credentials refreshed"),
        "the run did log: {logs}"
    );
    let secrets = [
        "leakcanary-source-secret-access-key",
        "leakcanary-source-session-token",
        "MARKER-external-id-value",
        "MARKER-wrong-token-attempt",
        token.as_str(),
        served["SecretAccessKey"].as_str().unwrap(),
        served["Token"].as_str().unwrap(),
        crate::support::ecs_agent::AGENT_TOKEN,
        imds_token.as_str(),
    ];
    for secret in secrets {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret}"
        );
    }
}

/// The Prometheus text lines of `body` as (series, value), checking each line's shape.
fn prometheus_samples(body: &str) -> std::collections::BTreeMap<String, f64> {
    let mut samples = std::collections::BTreeMap::new();
    for line in body.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "metric name in {line:?}"
        );
        assert!(
            name_end == series.len() || series.ends_with('}'),
            "labels in {line:?}"
        );
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value in {line:?}")),
        };
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "duplicate series {series}"
        );
    }
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_answers_refreshes_and_sts_latency_and_hold_no_secret() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--metrics-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    let base = &rolehop.base;
    let mut secrets = vec![token.clone()];
    for _ in 0..3 {
        let ok = http::get(
            &format!("{base}/v1/credentials"),
            &[("Authorization", &token)],
        )
        .await;
        assert_eq!(ok.status, 200);
        let creds = ok.json();
        secrets.push(creds["SecretAccessKey"].as_str().unwrap().to_owned());
        secrets.push(creds["Token"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        http::get(&format!("{base}/v1/credentials"), &[])
            .await
            .status,
        401
    );
    assert_eq!(http::get(&format!("{base}/nowhere"), &[]).await.status, 404);

    let reply = http::get(&format!("{base}/metrics"), &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    for secret in &secrets {
        assert!(
            !reply.body.contains(secret.as_str()),
            "a secret in /metrics"
        );
    }
    let m = prometheus_samples(&reply.body);
    let requests = |route: &str, status: u16| {
        m.get(&format!(
            "rolehop_http_requests_total{{listener=\"credentials\",route=\"{route}\",status=\"{status}\"}}"
        ))
        .copied()
    };
    assert_eq!(
        requests("/v1/credentials", 200),
        Some(3.0),
        "{}",
        reply.body
    );
    assert_eq!(requests("/v1/credentials", 401), Some(1.0));
    assert_eq!(requests("other", 404), Some(1.0));
    assert!(requests("/readyz", 200).is_some_and(|n| n >= 1.0));
    assert_eq!(
        requests("/v1/credentials", 403),
        None,
        "only answers given appear"
    );
    for role in ["default", "source:EcsContainer"] {
        assert_eq!(
            m[&format!("rolehop_credential_refreshes_total{{role=\"{role}\"}}")],
            1.0,
            "{role}"
        );
        assert_eq!(
            m[&format!("rolehop_credential_refresh_failures_total{{role=\"{role}\"}}")],
            0.0
        );
        assert_eq!(
            m[&format!("rolehop_credential_ready{{role=\"{role}\"}}")],
            1.0
        );
    }
    let left = m["rolehop_credential_expiry_seconds{role=\"default\"}"];
    assert!((25.0 * 60.0..=3600.0).contains(&left), "{left}");
    let assumed = stack.proxy.count("AssumeRole") as f64;
    assert_eq!(assumed, 1.0);
    assert_eq!(
        m["rolehop_sts_assume_role_duration_seconds_count{outcome=\"ok\"}"],
        assumed
    );
    assert_eq!(
        m["rolehop_sts_assume_role_duration_seconds_bucket{outcome=\"ok\",le=\"+Inf\"}"],
        assumed
    );
    assert_eq!(
        m["rolehop_sts_assume_role_duration_seconds_count{outcome=\"error\"}"],
        0.0
    );

    // The separate listener: metrics and liveness, never credentials.
    let addr = rolehop.log_events("metrics listening")[0]["addr"]
        .as_str()
        .unwrap()
        .to_owned();
    let scraped = http::get(&format!("http://{addr}/metrics"), &[]).await;
    assert_eq!(scraped.status, 200);
    assert!(
        scraped
            .body
            .contains("rolehop_credential_expiry_seconds{role=\"default\"}")
    );
    assert_eq!(
        http::get(&format!("http://{addr}/healthz"), &[])
            .await
            .status,
        200
    );
    let refused = http::get(
        &format!("http://{addr}/v1/credentials"),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    for secret in &secrets {
        assert!(!refused.body.contains(secret.as_str()));
    }
    let again = prometheus_samples(&http::get(&format!("{base}/metrics"), &[]).await.body);
    assert_eq!(
        again["rolehop_http_requests_total{listener=\"metrics\",route=\"other\",status=\"404\"}"],
        1.0
    );
}
