//! Soak: rolehop through many refresh cycles under continuous load from several client
//! processes, on real parts (moto behind the proxy, the stand-in agent, the rolehop binary,
//! Python clients in `tests/soak_client.py`).
//!
//! Credentials live [`lifetime`] seconds (the proxy rewrites STS's `Expiration`; the agent
//! serves source credentials as short) and rolehop runs with `ROLEHOP_TEST_TIME_SCALE=60`, so
//! both the source and the role refresh about every lifetime / 2. Checked:
//! - every client answer is 200, valid JSON, with keys and an unexpired `Expiration`;
//! - rolehop's RSS (VmRSS, sampled each second) stays flat: after a warm-up of a quarter of the
//!   run (at most 2 minutes), the last quarter's peak is within [`RSS_SLACK_KIB`] of the first
//!   quarter's;
//! - STS AssumeRole calls counted by the proxy equal the refreshes rolehop logged for the role,
//!   and the agent's credential requests those for the source: no refresh failed, none was
//!   made twice.
//!
//! scripts/test runs it for [`DEFAULT_SECS`]; `scripts/soak --minutes N` runs it longer
//! (`ROLEHOP_SOAK_SECS`) and writes the figures to `ROLEHOP_SOAK_REPORT`.

use std::time::{Duration, Instant};

use crate::support::ecs_agent::AgentFaults;
use crate::support::sts_proxy::Faults;
use crate::support::{DESTINATION_ROLE_ARN, Stack, require_tool};

/// The CI variant's length.
const DEFAULT_SECS: u64 = 150;
/// Allowed growth of the peak RSS from the first to the last quarter after warm-up.
const RSS_SLACK_KIB: u64 = 4 * 1024;
const CLIENT_MODES: [&str; 4] = ["ecs", "ecs", "ecs-keepalive", "imds"];
/// Pause between one client's requests: about 4 × 60 requests a second in all.
const CLIENT_INTERVAL: &str = "0.015";

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} `{v}` is not seconds"))
        })
        .unwrap_or(default)
}

fn lifetime() -> u64 {
    env_secs("ROLEHOP_SOAK_LIFETIME", 120)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn many_refresh_cycles_under_load_keep_answers_valid_memory_flat_and_sts_calls_equal_to_refreshes()
 {
    let secs = env_secs("ROLEHOP_SOAK_SECS", DEFAULT_SECS);
    let life = lifetime();
    let stack = Stack::start().await;
    stack.proxy.set_faults(Faults {
        expiration_in: Some(life as i64),
        ..Faults::default()
    });
    stack.agent.set_faults(AgentFaults {
        lifetime: Some(Duration::from_secs(life)),
        ..AgentFaults::default()
    });
    let mut rolehop = stack
        .serve_env(
            &["--imds-listen", "127.0.0.1:0"],
            &[("ROLEHOP_TEST_TIME_SCALE", "60")],
        )
        .await;
    rolehop.wait_ready().await;
    let pid = rolehop.pid();
    let ecs_addr = rolehop.addr.to_string();
    let imds_addr = rolehop.imds_base().trim_start_matches("http://").to_owned();
    let token_file = stack.token_file().display().to_string();

    let python = require_tool("python3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/soak_client.py");
    let started = Instant::now();
    let clients: Vec<_> = CLIENT_MODES
        .iter()
        .map(|mode| {
            let addr = if *mode == "imds" {
                &imds_addr
            } else {
                &ecs_addr
            };
            let args = [
                script,
                mode,
                addr.as_str(),
                token_file.as_str(),
                &secs.to_string(),
                CLIENT_INTERVAL,
            ]
            .map(str::to_owned);
            let env = stack.base_env();
            let python = python.clone();
            tokio::spawn(async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                crate::support::run_process(&python, &args, &env, Duration::from_secs(secs + 60))
                    .await
            })
        })
        .collect();

    let mut rss: Vec<(u64, u64)> = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        if let Some(kib) = rss_kib(pid) {
            rss.push((started.elapsed().as_secs(), kib));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut summaries = Vec::new();
    for client in clients {
        let (code, stdout, stderr) = client.await.expect("client task");
        assert_eq!(code, 0, "a soak client failed: {stdout}\n{stderr}");
        let summary: serde_json::Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("a soak client printed no summary ({e}): {stdout}"));
        summaries.push(summary);
    }
    let status = rolehop.terminate(Duration::from_secs(15)).await;
    assert!(status.success(), "rolehop exited with {status}");

    // Answers.
    let requests: u64 = summaries
        .iter()
        .map(|s| s["requests"].as_u64().unwrap())
        .sum();
    let ok: u64 = summaries.iter().map(|s| s["ok"].as_u64().unwrap()).sum();
    let min_left = summaries
        .iter()
        .filter_map(|s| s["min_left_secs"].as_f64())
        .fold(f64::INFINITY, f64::min);

    // Memory, after warm-up.
    let warm_up = (secs / 4).min(120);
    let steady: Vec<u64> = rss
        .iter()
        .filter(|(t, _)| *t >= warm_up)
        .map(|(_, k)| *k)
        .collect();
    let quarter = (steady.len() / 4).max(1);
    let first_peak = steady[..quarter].iter().max().copied().unwrap_or(0);
    let last_peak = steady[steady.len() - quarter..]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    let overall_peak = rss.iter().map(|(_, k)| *k).max().unwrap_or(0);

    // STS calls and source fetches against refreshes.
    let refreshes = rolehop.log_events("credentials refreshed");
    let role_refreshes = refreshes.iter().filter(|e| e["role"] == "default").count();
    let source_refreshes = refreshes
        .iter()
        .filter(|e| e["role"].as_str().is_some_and(|r| r.starts_with("source:")))
        .count();
    let failures = rolehop.log_events("credential refresh failed").len();
    let assume_calls = stack.proxy.assume_calls(DESTINATION_ROLE_ARN).len();
    let agent_requests = stack.agent.credential_requests();

    let report = serde_json::json!({
        "seconds": secs,
        "credential_lifetime_secs": life,
        "clients": CLIENT_MODES,
        "requests": requests,
        "ok": ok,
        "requests_per_sec": requests as f64 / secs as f64,
        "min_credential_left_secs": min_left,
        "role_refreshes": role_refreshes,
        "source_refreshes": source_refreshes,
        "refresh_failures": failures,
        "sts_assume_role_calls": assume_calls,
        "agent_credential_requests": agent_requests,
        "rss_kib": {
            "warm_up_secs": warm_up,
            "first_quarter_peak": first_peak,
            "last_quarter_peak": last_peak,
            "overall_peak": overall_peak,
            "start": rss.first().map(|(_, k)| *k),
            "end": rss.last().map(|(_, k)| *k),
            "samples": rss.len(),
        },
        "client_summaries": summaries,
    });
    let shown = serde_json::to_string_pretty(&report).unwrap();
    eprintln!("soak report:\n{shown}");
    if let Ok(path) = std::env::var("ROLEHOP_SOAK_REPORT") {
        std::fs::write(&path, &shown).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }

    for s in &summaries {
        assert!(
            s["errors"].as_array().unwrap().is_empty() && s["requests"] == s["ok"],
            "a client got an invalid or expired answer: {s}\n{}",
            rolehop.logs()
        );
    }
    assert!(
        requests >= secs * 20,
        "too little load to call this a soak: {requests} requests in {secs} s"
    );
    // Refresh at 45–55 % of the lifetime: at least one cycle per 0.55 lifetimes, less the last.
    let expected = (secs as f64 / (life as f64 * 0.55)).floor() as usize;
    assert!(
        role_refreshes > expected,
        "{role_refreshes} role refreshes in {secs} s of {life} s credentials; expected more than {expected}\n{}",
        rolehop.logs()
    );
    assert_eq!(
        failures,
        0,
        "no refresh may fail on a healthy stack:\n{}",
        rolehop.logs()
    );
    assert_eq!(
        assume_calls, role_refreshes,
        "one AssumeRole per role refresh"
    );
    assert_eq!(
        agent_requests, source_refreshes,
        "one agent request per source refresh"
    );
    assert!(
        last_peak <= first_peak + RSS_SLACK_KIB,
        "RSS grew: first quarter peak {first_peak} KiB, last quarter peak {last_peak} KiB (after {warm_up} s of warm-up)"
    );
    // More than two clients saw the role change keys: the refreshes reached them.
    assert!(
        summaries
            .iter()
            .filter(|s| s["keys"].as_u64().unwrap() > 1)
            .count()
            >= 2,
        "the clients never saw a refreshed credential: {summaries:?}"
    );
}
