//! Faults on real processes over loopback, each bounded in time (REFERENCE 5, issue 5).
//!
//! Time is compressed: the proxy rewrites every AssumeRole answer to live [`LIFE`] seconds and
//! the stand-in agent serves source credentials that live as long, while rolehop runs with
//! `ROLEHOP_TEST_TIME_SCALE=60` (its 5-minute serving minimum becomes 5 s, its backoff cap 1 s).
//! Each fault starts right after the first refresh and lasts past the next scheduled refresh
//! (at about half-life); throughout, a client polls rolehop and must never get an error or an
//! expired credential, and `/readyz` must stay ready.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::ecs_agent::AgentFaults;
use crate::support::rolehop::Rolehop;
use crate::support::sts_proxy::Faults;
use crate::support::{DESTINATION_ROLE_ARN, Stack, http};

/// Lifetime of every credential in these tests, in seconds.
const LIFE: i64 = 90;
/// From the first refresh: faults start here...
const FAULT_FROM: Duration = Duration::from_secs(2);
/// ...and end here, after the refresh scheduled at 45–55 % of LIFE has failed at least once.
const FAULT_UNTIL: Duration = Duration::from_secs(62);
/// Then recovery must happen before the first credential runs out (LIFE − 5 s).
const RECOVERED_BY: Duration = Duration::from_secs(82);

struct Faulted {
    stack: Stack,
    rolehop: Rolehop,
    token: String,
    started: Instant,
}

async fn start(env_extra: &[(&str, &str)]) -> Faulted {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        expiration_in: Some(LIFE),
        ..Faults::default()
    });
    stack.agent.set_faults(AgentFaults {
        lifetime: Some(Duration::from_secs(LIFE as u64)),
        ..AgentFaults::default()
    });
    let mut env = vec![("ROLEHOP_TEST_TIME_SCALE", "60")];
    env.extend_from_slice(env_extra);
    let rolehop = stack.serve_env(&[], &env).await;
    rolehop.wait_ready().await;
    let token = stack.token();
    Faulted {
        stack,
        rolehop,
        token,
        started: Instant::now(),
    }
}

fn epoch_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

impl Faulted {
    /// Polls `/v1/credentials` and `/readyz` every 250 ms until `until` (from start): every
    /// answer must be 200 with an unexpired credential. Returns the access keys seen, in order.
    async fn serve_until(&self, until: Duration) -> Vec<String> {
        let client = http::client();
        let url = format!("{}/v1/credentials", self.rolehop.base);
        let ready = format!("{}/readyz", self.rolehop.base);
        let mut keys: Vec<String> = Vec::new();
        while self.started.elapsed() < until {
            let reply =
                http::request(&client, "GET", &url, &[("Authorization", &self.token)], "").await;
            assert_eq!(
                reply.status,
                200,
                "at {:?}: {}\n{}",
                self.started.elapsed(),
                reply.body,
                self.rolehop.logs()
            );
            let creds = reply.json();
            let expires = aws_smithy_types::DateTime::from_str(
                creds["Expiration"].as_str().unwrap(),
                aws_smithy_types::date_time::Format::DateTime,
            )
            .unwrap();
            assert!(
                expires.secs() > epoch_secs(SystemTime::now()),
                "an expired credential was served: {creds}"
            );
            let key = creds["AccessKeyId"].as_str().unwrap().to_owned();
            if keys.last() != Some(&key) {
                keys.push(key);
            }
            let r = http::request(&client, "GET", &ready, &[], "").await;
            assert_eq!(
                r.status,
                200,
                "not ready at {:?}: {}",
                self.started.elapsed(),
                r.body
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        keys
    }

    async fn wait_until(&self, at: Duration) {
        tokio::time::sleep(at.saturating_sub(self.started.elapsed())).await;
    }

    fn failures(&self) -> Vec<serde_json::Value> {
        self.rolehop.log_events("credential refresh failed")
    }
}

/// Runs one STS fault through a refresh cycle and checks rolehop rides it out.
async fn sts_fault_is_ridden_out(fault: Faults, expect_in_log: &str) {
    let f = start(&[]).await;
    f.wait_until(FAULT_FROM).await;
    f.stack.proxy.set_faults(Faults {
        expiration_in: fault.expiration_in.or(Some(LIFE)),
        ..fault
    });
    let during = f.serve_until(FAULT_UNTIL).await;
    assert_eq!(
        during.len(),
        1,
        "the first credential is served throughout the fault"
    );
    f.stack.proxy.set_faults(Faults {
        expiration_in: Some(LIFE),
        ..Faults::default()
    });
    let after = f.serve_until(RECOVERED_BY).await;
    assert!(
        after.len() == 2 && after[0] == during[0],
        "recovered without restart: {after:?}\n{}",
        f.rolehop.logs()
    );

    let failures = f.failures();
    let role_failures: Vec<_> = failures.iter().filter(|e| e["role"] == "default").collect();
    assert!(role_failures.len() >= 2, "retried: {failures:#?}");
    assert!(
        role_failures
            .iter()
            .any(|e| e["error"].as_str().unwrap().contains(expect_in_log)),
        "{expect_in_log:?} in {role_failures:#?}"
    );
    assert!(role_failures.iter().all(|e| e["still_serving"] == true));
    let delays: std::collections::HashSet<u64> = role_failures
        .iter()
        .map(|e| e["retry_in_ms"].as_u64().unwrap())
        .collect();
    assert!(delays.len() > 1, "backoff with jitter: {delays:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_unreachable() {
    sts_fault_is_ridden_out(
        Faults {
            refuse_connections: true,
            ..Faults::default()
        },
        "cannot reach STS",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_slower_than_the_client_timeout() {
    sts_fault_is_ridden_out(
        Faults {
            delay_assume: Duration::from_secs(12),
            ..Faults::default()
        },
        "did not answer",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_answering_500() {
    let fault = Faults {
        fail_assume: Some((
            500,
            "InternalFailure".into(),
            "We encountered an internal error.".into(),
        )),
        ..Faults::default()
    };
    sts_fault_is_ridden_out(fault, "InternalFailure").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_throttling() {
    let fault = Faults {
        fail_assume: Some((400, "Throttling".into(), "Rate exceeded".into())),
        ..Faults::default()
    };
    sts_fault_is_ridden_out(fault, "backs off and retries").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_returning_already_expired_credentials() {
    sts_fault_is_ridden_out(
        Faults {
            expiration_in: Some(-60),
            ..Faults::default()
        },
        "will not serve it",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_returned_expiration_is_trusted_over_the_requested_duration() {
    // DurationSeconds asks for 3600; STS (the proxy) says LIFE. rolehop must refresh at about
    // half of LIFE, not of an hour.
    let f = start(&[]).await;
    let keys = f
        .serve_until(Duration::from_secs(LIFE as u64 * 60 / 100 + 2))
        .await;
    assert_eq!(
        keys.len(),
        2,
        "refreshed by 60 % of the returned lifetime: {keys:?}"
    );
    let calls = f.stack.proxy.calls("AssumeRole");
    assert!(
        calls
            .iter()
            .all(|c| c.param("DurationSeconds") == Some("3600"))
    );
}

/// Runs one source fault through the source's refresh and checks the role keeps being served,
/// and that the failure is logged (and counted in /metrics) with `reason`.
async fn source_fault_is_ridden_out(fault: AgentFaults, expect_in_log: &str, reason: &str) {
    let f = start(&[]).await;
    f.wait_until(FAULT_FROM).await;
    let lifetime = Some(Duration::from_secs(LIFE as u64));
    f.stack.agent.set_faults(AgentFaults { lifetime, ..fault });
    f.serve_until(FAULT_UNTIL).await;
    f.stack.agent.set_faults(AgentFaults {
        lifetime,
        ..AgentFaults::default()
    });
    f.serve_until(RECOVERED_BY).await;
    let failures = f.failures();
    let source_failures: Vec<_> = failures
        .iter()
        .filter(|e| e["role"] == "source:EcsContainer")
        .collect();
    assert!(
        source_failures
            .iter()
            .any(|e| e["error"].as_str().unwrap().contains(expect_in_log) && e["reason"] == reason),
        "{expect_in_log:?} with reason {reason} in {failures:#?}"
    );
    let refreshed = f.rolehop.log_events("credentials refreshed");
    let last_source_failure = source_failures.last().unwrap()["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        refreshed.iter().any(|e| e["role"] == "source:EcsContainer"
            && e["timestamp"].as_str().unwrap() > last_source_failure.as_str()),
        "the source recovered without restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_endpoint_down() {
    source_fault_is_ridden_out(
        AgentFaults {
            refuse_connections: true,
            ..AgentFaults::default()
        },
        "cannot get the task's own credentials",
        "source",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_endpoint_slow() {
    source_fault_is_ridden_out(
        AgentFaults {
            delay: Duration::from_secs(8),
            ..AgentFaults::default()
        },
        "cannot get the task's own credentials",
        // The agent not answering in time is a timeout, not a broken source.
        "timed_out",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_endpoint_answering_garbage() {
    source_fault_is_ridden_out(
        AgentFaults {
            garbage: true,
            ..AgentFaults::default()
        },
        "cannot get the task's own credentials",
        "source",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_file_missing_then_rotated() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        expiration_in: Some(LIFE),
        ..Faults::default()
    });
    let lifetime = Some(Duration::from_secs(LIFE as u64));
    stack.agent.set_faults(AgentFaults {
        lifetime,
        ..AgentFaults::default()
    });
    let token_file = stack.work.path("agent-token");
    std::fs::write(&token_file, crate::support::ecs_agent::AGENT_TOKEN).unwrap();
    let mut env: Vec<(String, String)> = stack
        .rolehop_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .collect();
    env.push((
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".into(),
        token_file.display().to_string(),
    ));
    env.push(("ROLEHOP_TEST_TIME_SCALE".into(), "60".into()));
    let token_arg = stack.token_file().display().to_string();
    let rolehop = Rolehop::spawn(
        &[
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &token_arg,
        ],
        &env,
    )
    .await;
    rolehop.wait_ready().await;
    let f = Faulted {
        token: stack.token(),
        stack,
        rolehop,
        started: Instant::now(),
    };
    f.wait_until(FAULT_FROM).await;
    std::fs::remove_file(&token_file).unwrap();
    f.serve_until(FAULT_UNTIL).await;
    // The task's token rotates while the file is away; the new file carries the new token.
    f.stack.agent.rotate_token("rotated-agent-token-9876543210");
    std::fs::write(&token_file, "rotated-agent-token-9876543210").unwrap();
    f.serve_until(RECOVERED_BY).await;
    let failures = f.failures();
    assert!(
        failures.iter().any(|e| e["role"] == "source:EcsContainer"),
        "the source refresh failed while the file was missing: {failures:#?}"
    );
    let refreshed = f.rolehop.log_events("credentials refreshed");
    assert!(
        refreshed
            .iter()
            .filter(|e| e["role"] == "source:EcsContainer")
            .count()
            >= 2,
        "the source refreshed again with the rotated token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_finishes_in_flight_requests() {
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        delay_assume: Duration::from_millis(800),
        ..Faults::default()
    });
    let mut rolehop = stack.serve(&["--shutdown-grace", "5"]).await;
    let token = stack.token();
    let url = format!("{}/v1/credentials", rolehop.base);
    let client = http::client();
    let burst: Vec<_> = (0..50)
        .map(|_| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                http::request(&client, "GET", &url, &[("Authorization", &token)], "").await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    let status = rolehop.terminate(Duration::from_secs(7)).await;
    assert_eq!(status.code(), Some(0), "{}", rolehop.logs());
    assert!(
        stopping.elapsed() < Duration::from_secs(6),
        "exit within the grace period"
    );
    for request in burst {
        let reply = request.await.unwrap();
        assert_eq!(
            reply.status, 200,
            "in-flight requests complete: {}",
            reply.body
        );
    }
}
