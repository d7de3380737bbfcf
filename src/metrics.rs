//! `GET /metrics`: Prometheus text exposition (format 0.0.4), kept in plain atomics so the
//! request path takes no lock and allocates nothing for it.
//!
//! - `rolehop_http_requests_total{listener,route,status}`: every answer rolehop's handlers gave
//!   (hyper's own answers to broken requests, 400/408/431, happen before routing and are not
//!   counted). Routes are the fixed route patterns, never the path a client sent.
//! - `rolehop_credential_refreshes_total{role}`, `rolehop_credential_refresh_failures_total{role}`,
//!   `rolehop_credential_expiry_seconds{role}` (seconds until the held credential expires,
//!   negative once it has) and `rolehop_credential_ready{role}`, for every cell: each served
//!   role and each source (`source:ecs`, ...).
//! - `rolehop_credential_refresh_failures_by_reason_total{role,reason}`: the failures by kind
//!   (`throttled` apart from `refused`, ...), a series only once that kind has happened.
//! - `rolehop_sts_assume_role_duration_seconds{outcome}`: a histogram of AssumeRole round trips.
//! - With `[client]` sections: `rolehop_client_requests_total{client,outcome}` (`served`, or
//!   `refused` a profile not granted) and `rolehop_client_token_rotations_total{client}`.
//!
//! Nothing here is secret: role and client names, counts and times only.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::cache::{Cell, FetchErrorKind};
use crate::token::client_tokens::Clients;

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implicit).
const BOUNDS_SECS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A fixed-bucket latency histogram.
#[derive(Debug)]
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last slot is `+Inf`.
    buckets: [AtomicU64; BOUNDS_SECS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    pub const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; BOUNDS_SECS.len() + 1],
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = BOUNDS_SECS
            .iter()
            .position(|&bound| secs <= bound)
            .unwrap_or(BOUNDS_SECS.len());
        self.buckets[slot].fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let le = BOUNDS_SECS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), f64::to_string);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count.load(Relaxed));
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// AssumeRole round trips, by outcome (answered with credentials or not). The hops record
/// into the one they are handed ([`STS_ASSUME_ROLE`] in a running rolehop).
#[derive(Debug, Default)]
pub struct AssumeRoleTimes([Histogram; 2]);

const OUTCOMES: [&str; 2] = ["ok", "error"];

impl AssumeRoleTimes {
    pub const fn new() -> Self {
        Self([Histogram::new(), Histogram::new()])
    }

    /// Records one AssumeRole round trip.
    pub fn observe(&self, took: Duration, ok: bool) {
        self.0[usize::from(!ok)].observe(took);
    }
}

/// This process's AssumeRole round trips, as `/metrics` shows them.
pub static STS_ASSUME_ROLE: AssumeRoleTimes = AssumeRoleTimes::new();

/// The routes rolehop answers, as metric labels: `(listener, route pattern)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Route {
    Credentials,
    CredentialsRole,
    Healthz,
    Readyz,
    Metrics,
    CredentialsOther,
    ImdsToken,
    ImdsCredentials,
    ImdsOther,
    MetricsOther,
}

impl Route {
    const ALL: [Route; 10] = [
        Route::Credentials,
        Route::CredentialsRole,
        Route::Healthz,
        Route::Readyz,
        Route::Metrics,
        Route::CredentialsOther,
        Route::ImdsToken,
        Route::ImdsCredentials,
        Route::ImdsOther,
        Route::MetricsOther,
    ];

    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Route::Credentials => ("credentials", "/v1/credentials"),
            Route::CredentialsRole => ("credentials", "/v1/credentials/{role}"),
            Route::Healthz => ("credentials", "/healthz"),
            Route::Readyz => ("credentials", "/readyz"),
            Route::Metrics => ("credentials", "/metrics"),
            Route::CredentialsOther => ("credentials", "other"),
            Route::ImdsToken => ("imds", "/latest/api/token"),
            Route::ImdsCredentials => ("imds", "/latest/meta-data/iam/security-credentials/"),
            Route::ImdsOther => ("imds", "other"),
            Route::MetricsOther => ("metrics", "other"),
        }
    }
}

/// HTTP status codes 100–599, one counter each.
const STATUSES: usize = 500;

/// Answers given, per route and status code.
pub struct Requests {
    counts: Box<[[AtomicU64; STATUSES]; Route::ALL.len()]>,
}

impl Default for Requests {
    fn default() -> Self {
        Self {
            counts: Box::new([const { [const { AtomicU64::new(0) }; STATUSES] }; Route::ALL.len()]),
        }
    }
}

impl std::fmt::Debug for Requests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total: u64 = self.counts.iter().flatten().map(|c| c.load(Relaxed)).sum();
        f.debug_struct("Requests").field("total", &total).finish()
    }
}

impl Requests {
    pub fn record(&self, route: Route, status: u16) {
        if let Some(slot) = usize::from(status)
            .checked_sub(100)
            .filter(|&s| s < STATUSES)
        {
            self.counts[route as usize][slot].fetch_add(1, Relaxed);
        }
    }

    /// Answers counted so far for `route` with `status`.
    pub fn count(&self, route: Route, status: u16) -> u64 {
        usize::from(status)
            .checked_sub(100)
            .filter(|&s| s < STATUSES)
            .map_or(0, |slot| self.counts[route as usize][slot].load(Relaxed))
    }
}

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The whole exposition for `cells` (every source and role) and `requests`.
pub fn render<'a>(
    cells: impl IntoIterator<Item = &'a Cell> + Clone,
    requests: &Requests,
) -> String {
    let mut out = String::with_capacity(4096);
    let _ = writeln!(
        out,
        "# HELP rolehop_build_info rolehop's version.\n# TYPE rolehop_build_info gauge\nrolehop_build_info{{version=\"{}\"}} 1",
        escape(env!("ROLEHOP_VERSION"))
    );

    header(
        &mut out,
        "rolehop_http_requests_total",
        "counter",
        "Requests answered, by listener, route pattern and status.",
    );
    for route in Route::ALL {
        let (listener, pattern) = route.labels();
        for (slot, counter) in requests.counts[route as usize].iter().enumerate() {
            let n = counter.load(Relaxed);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "rolehop_http_requests_total{{listener=\"{listener}\",route=\"{pattern}\",status=\"{}\"}} {n}",
                    slot + 100
                );
            }
        }
    }

    let per_cell: [PerCell; 4] = [
        (
            "rolehop_credential_refreshes_total",
            "counter",
            "Successful fetches of each credential (the source's, and each role's AssumeRole).",
            |c| Some(c.stats().refreshes.to_string()),
        ),
        (
            "rolehop_credential_refresh_failures_total",
            "counter",
            "Failed fetches of each credential.",
            |c| Some(c.stats().failures.to_string()),
        ),
        (
            "rolehop_credential_expiry_seconds",
            "gauge",
            "Seconds until the held credential expires (negative once it has); absent while none is held or it never expires.",
            |c| c.seconds_to_expiry().map(|s| format!("{s:.3}")),
        ),
        (
            "rolehop_credential_ready",
            "gauge",
            "1 while the credential can be served (it has more than the serving minimum left), else 0.",
            |c| Some(u8::from(c.is_ready()).to_string()),
        ),
    ];
    for (name, kind, help, value) in per_cell {
        header(&mut out, name, kind, help);
        for cell in cells.clone() {
            if let Some(v) = value(cell) {
                let _ = writeln!(out, "{name}{{role=\"{}\"}} {v}", escape(cell.name()));
            }
        }
    }

    let name = "rolehop_credential_refresh_failures_by_reason_total";
    header(
        &mut out,
        name,
        "counter",
        "Failed fetches of each credential, by reason: refused, throttled, unreachable, malformed, upstream, source, expiring, timed_out, crashed.",
    );
    for cell in cells.clone() {
        let by_kind = cell.stats().failures_by_kind;
        for (kind, n) in FetchErrorKind::ALL.iter().zip(by_kind) {
            if n > 0 {
                let _ = writeln!(
                    out,
                    "{name}{{role=\"{}\",reason=\"{}\"}} {n}",
                    escape(cell.name()),
                    kind.label()
                );
            }
        }
    }

    let name = "rolehop_sts_assume_role_duration_seconds";
    header(
        &mut out,
        name,
        "histogram",
        "AssumeRole round trips to STS, by outcome.",
    );
    for (histogram, outcome) in STS_ASSUME_ROLE.0.iter().zip(OUTCOMES) {
        histogram.render(&mut out, name, &format!("outcome=\"{outcome}\""));
    }
    out
}

/// A per-cell series: name, type, help, and the value of one cell (`None`: no sample).
type PerCell = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Cell) -> Option<String>,
);

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The per-client series (module docs), appended to `out`.
pub fn render_clients(out: &mut String, clients: &Clients) {
    header(
        out,
        "rolehop_client_requests_total",
        "counter",
        "Credential requests by client (named, never its token): served, or refused a profile the client is not granted.",
    );
    for client in clients.iter() {
        let name = escape(&client.name);
        for (outcome, n) in [("served", &client.served), ("refused", &client.refused)] {
            let _ = writeln!(
                out,
                "rolehop_client_requests_total{{client=\"{name}\",outcome=\"{outcome}\"}} {}",
                n.load(Relaxed)
            );
        }
    }
    header(
        out,
        "rolehop_client_token_rotations_total",
        "counter",
        "Changes of a client's token file taken up.",
    );
    for client in clients.iter() {
        let _ = writeln!(
            out,
            "rolehop_client_token_rotations_total{{client=\"{}\"}} {}",
            escape(&client.name),
            client.rotations.load(Relaxed)
        );
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        let h = Histogram::new();
        for ms in [1, 7, 7, 400, 60_000] {
            h.observe(Duration::from_millis(ms));
        }
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.01\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.5\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"30\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 5\n"), "{out}");
        assert!(out.contains("x_sum{a=\"b\"} 60.415\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 5\n"), "{out}");
    }

    #[test]
    fn requests_count_by_route_and_status_and_ignore_impossible_codes() {
        let r = Requests::default();
        r.record(Route::Credentials, 200);
        r.record(Route::Credentials, 200);
        r.record(Route::ImdsToken, 401);
        r.record(Route::Credentials, 42);
        r.record(Route::Credentials, 600);
        assert_eq!(r.count(Route::Credentials, 200), 2);
        assert_eq!(r.count(Route::ImdsToken, 401), 1);
        assert_eq!(r.count(Route::ImdsToken, 200), 0);
        let text = render(std::iter::empty(), &r);
        assert!(text.contains(
            "rolehop_http_requests_total{listener=\"credentials\",route=\"/v1/credentials\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "rolehop_http_requests_total{listener=\"imds\",route=\"/latest/api/token\",status=\"401\"} 1\n"
        ));
        assert_eq!(text.matches("rolehop_http_requests_total{").count(), 2);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
