//! A cell's timing policy: when to refresh, how to back off, how long clients wait.

use std::time::{Duration, SystemTime};

/// The longest the refresher sleeps before looking at the wall clock again.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The timing policy of a cell. [`Timing::default`] is the production policy.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Never hand out a credential with this little time left, or less.
    pub min_remaining: Duration,
    /// Refresh when this fraction of the credential's lifetime has passed, drawn uniformly.
    pub refresh_fraction: (f64, f64),
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// How long a client request waits for a refresh in flight before answering 503: shorter
    /// than the SDKs' own timeouts (botocore 2 s), so they get the 503 that says why.
    pub client_wait: Duration,
    /// A fetch that takes longer is abandoned and counted as failed.
    pub fetch_timeout: Duration,
    /// A later hop chains only from an earlier one with at least this much left; else it asks
    /// the earlier hop to refresh first.
    pub chain_min_remaining: Duration,
    /// How long a later hop waits for such a refresh.
    pub chain_wait: Duration,
    /// Re-read interval for credentials that carry no expiry (a laptop's long-lived keys).
    pub no_expiry_refresh: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            min_remaining: Duration::from_secs(5 * 60),
            refresh_fraction: (0.45, 0.55),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            client_wait: Duration::from_millis(1500),
            fetch_timeout: Duration::from_secs(60),
            chain_min_remaining: Duration::from_secs(15 * 60),
            chain_wait: Duration::from_secs(30),
            no_expiry_refresh: Duration::from_secs(3600),
        }
    }
}

impl Timing {
    /// The same policy with every credential-lifetime span divided by `factor`, so tests run
    /// many refresh cycles of two-minute credentials in minutes (`ROLEHOP_TEST_TIME_SCALE`).
    /// Client and STS waits are not scaled: they are about network round trips, not lifetimes.
    pub fn scaled(self, factor: u32) -> Self {
        let factor = factor.max(1);
        Self {
            min_remaining: self.min_remaining / factor,
            chain_min_remaining: self.chain_min_remaining / factor,
            backoff_initial: self.backoff_initial / factor,
            backoff_max: self.backoff_max / factor,
            no_expiry_refresh: self.no_expiry_refresh / factor,
            ..self
        }
    }

    /// Delay from `now` until the refresh of a credential that expires at `expiration`.
    /// `draw` in `[0, 1)` picks the point within [`Timing::refresh_fraction`].
    pub fn refresh_delay(
        &self,
        now: SystemTime,
        expiration: Option<SystemTime>,
        draw: f64,
    ) -> Duration {
        let Some(expiration) = expiration else {
            return self.no_expiry_refresh;
        };
        let lifetime = expiration.duration_since(now).unwrap_or(Duration::ZERO);
        let (lo, hi) = self.refresh_fraction;
        let at_fraction = lifetime.mul_f64(lo + (hi - lo) * draw);
        // Short credentials: still refresh while twice the serving minimum is left...
        let latest = lifetime.saturating_sub(self.min_remaining * 2);
        // ...but never spin: at least a tenth of the lifetime, and at least a second.
        let floor = (lifetime / 10).max(Duration::from_secs(1));
        at_fraction.min(latest).max(floor)
    }

    /// Delay before retry number `failures` (1 for the first retry); `draw` in `[0, 1)`.
    /// Exponential with a cap; the jitter spreads each delay over its upper half.
    pub fn backoff_delay(&self, failures: u32, draw: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        let ceiling = self
            .backoff_initial
            .saturating_mul(1u32 << exp)
            .min(self.backoff_max);
        ceiling.mul_f64(0.5 + 0.5 * draw)
    }
}
