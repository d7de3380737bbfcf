//! One cell per credential (the source and every role): fetched once, refreshed in the
//! background, shared by every client.
//!
//! - **Refresh** at about half-life with jitter (REFERENCE 5): a one-hour credential is renewed
//!   when 27–33 minutes are left, so everything handed out in steady state has more than 25.
//! - **Single flight**: only the cell's own refresher task calls the fetcher. Clients read the
//!   current value through a `watch` channel; a client that finds no valid credential waits for
//!   the refresh in flight instead of starting another.
//! - **Wall clock**: expiry is wall time, sleeping is monotonic time. The refresher sleeps in
//!   slices of at most [`MAX_SLEEP`] and re-reads the wall clock, so a suspended VM or a stepped
//!   clock cannot leave it asleep past a refresh; a client finding nothing servable after such a
//!   jump asks for a refresh at once.
//! - **Isolation**: each fetch runs as its own task with a timeout, so a hung or panicking
//!   source fails one attempt instead of stopping the cell.
//! - **Failure**: capped exponential backoff with jitter. The last credential keeps being served
//!   while it has more than [`Timing::min_remaining`] left, and never after (callers answer 503).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rand::Rng;
use tokio::sync::{Notify, watch};

use crate::clock::SharedClock;
use crate::credentials::{Credentials, format_utc};

mod timing;

pub use crate::fetch::{Fetch, FetchError, FetchErrorKind, FetchFuture};
pub use timing::{MAX_SLEEP, Timing};

/// Why a cell has no credential to hand out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("no valid credential for `{cell}` yet; the last attempt failed: {error}")]
    Failed { cell: String, error: FetchError },
    #[error("no valid credential for `{cell}`: still waiting for the first refresh to finish")]
    Waiting { cell: String },
}

#[derive(Debug, Clone, Default)]
struct State {
    creds: Option<Arc<Credentials>>,
    /// `creds` as the cell's [`Render`] makes it, once per refresh rather than per request
    /// (serialising the session token was most of a request's cost: docs/BENCHMARKS.md).
    rendered: Option<Bytes>,
    /// Expiry minus fetch time of `creds`.
    lifetime: Option<Duration>,
    refreshing: bool,
    /// A client or a later hop asked for a refresh before the scheduled one.
    requested: bool,
    /// Completed fetch attempts, successful or not.
    attempts: u64,
    last_error: Option<FetchError>,
}

/// How a cell's owner serves its credential (the ECS route's JSON body): made once per
/// refresh, so serving copies a reference instead of serialising.
pub type Render = fn(&Credentials) -> Bytes;

/// A cached, self-refreshing credential.
pub struct Cell {
    name: String,
    fetcher: Box<dyn Fetch>,
    clock: SharedClock,
    timing: Timing,
    state: watch::Sender<State>,
    wake: Notify,
    counters: CellCounters,
    render: Render,
}

impl std::fmt::Debug for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cell")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Cell {
    /// A cell whose first fetch counts as in flight from the start, so clients arriving before
    /// [`Cell::spawn`] runs wait for it rather than failing. `render` makes the served form of
    /// each credential it fetches.
    pub fn new(
        name: impl Into<String>,
        fetcher: Box<dyn Fetch>,
        clock: SharedClock,
        timing: Timing,
        render: Render,
    ) -> Arc<Self> {
        let (state, _) = watch::channel(State {
            refreshing: true,
            ..State::default()
        });
        Arc::new(Self {
            name: name.into(),
            fetcher,
            clock,
            timing,
            state,
            wake: Notify::new(),
            counters: CellCounters::default(),
            render,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts the background refresher; it runs until the runtime stops.
    /// Starts refreshing. What the cell fetches is logged here, once: the refresh lines that
    /// follow name only the cell.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        tracing::info!(role = %self.name, fetched = %self.fetcher.describe(), "refreshing");
        tokio::spawn(Arc::clone(self).run())
    }

    /// The current credential if it has more than the serving minimum left; otherwise waits
    /// (bounded) for the refresh in flight.
    pub async fn get(&self) -> Result<Arc<Credentials>, Unavailable> {
        self.get_within(self.timing.client_wait).await
    }

    /// The served form of the held credential, when it is servable right now: the hot path,
    /// with nothing to wait for.
    pub fn rendered_now(&self) -> Option<Bytes> {
        let now = self.clock.now();
        let s = self.state.borrow();
        match (&s.creds, &s.rendered) {
            (Some(creds), Some(body)) if creds.valid_for(now, self.timing.min_remaining) => {
                Some(body.clone())
            }
            _ => None,
        }
    }

    /// [`Cell::get`] in its served form, made once per refresh.
    pub async fn get_rendered(&self) -> Result<Bytes, Unavailable> {
        let creds = self.get().await?;
        let s = self.state.borrow();
        match (&s.creds, &s.rendered) {
            (Some(held), Some(body)) if Arc::ptr_eq(held, &creds) => Ok(body.clone()),
            // Refreshed in between: render the one `get` judged servable.
            _ => Ok((self.render)(&creds)),
        }
    }

    /// Like [`Cell::get`], waiting up to `limit` for the refresh in flight (a one-shot command
    /// has nothing to serve until the chain is assumed; an IMDS client gives up sooner).
    pub async fn get_within(&self, limit: Duration) -> Result<Arc<Credentials>, Unavailable> {
        if let Some(creds) = self.current(self.timing.min_remaining) {
            return Ok(creds);
        }
        // Nothing servable, yet no refresh running and the last one succeeded: the wall clock
        // jumped. Ask for one now rather than wait for the schedule.
        let (attempts, pending) = self.pending();
        if pending || self.request_refresh() {
            return self.wait(Some(attempts), limit).await;
        }
        // In backoff after a failure: say so at once.
        self.wait(None, limit).await
    }

    /// For a later hop: a credential with at least [`Timing::chain_min_remaining`] left (or half
    /// its lifetime, for short sessions), asking for an early refresh when the held one is older.
    /// A hop in backoff is not woken: its still-servable credential is used instead.
    pub async fn get_for_chaining(&self) -> Result<Arc<Credentials>, Unavailable> {
        let lifetime = self.state.borrow().lifetime;
        let min_left = lifetime.map_or(self.timing.chain_min_remaining, |l| {
            self.timing.chain_min_remaining.min(l / 2)
        });
        if let Some(creds) = self.current(min_left) {
            return Ok(creds);
        }
        let (attempts, pending) = self.pending();
        if pending || self.request_refresh() {
            return self.wait(Some(attempts), self.timing.chain_wait).await;
        }
        self.current(self.timing.min_remaining)
            .ok_or_else(|| self.unavailable(&self.state.borrow()))
    }

    /// Completed attempts so far, and whether a refresh is running or asked for.
    fn pending(&self) -> (u64, bool) {
        let s = self.state.borrow();
        (s.attempts, s.refreshing || s.requested)
    }

    /// Asks the refresher for an early refresh, unless one is running or already asked for, or
    /// the last attempt failed (backoff stands). True when this call made the request.
    fn request_refresh(&self) -> bool {
        let requested = self.state.send_if_modified(|s| {
            if s.refreshing || s.requested || s.last_error.is_some() {
                return false;
            }
            s.requested = true;
            true
        });
        if requested {
            self.wake.notify_one();
        }
        requested
    }

    /// Refreshes and failures so far (for `/metrics`).
    pub fn stats(&self) -> CellStats {
        self.counters.snapshot()
    }

    /// Seconds until the held credential expires, negative once it has; `None` while none is
    /// held or it never expires.
    pub fn seconds_to_expiry(&self) -> Option<f64> {
        let expiration = self.state.borrow().creds.as_ref()?.expiration?;
        let now = self.clock.now();
        Some(match expiration.duration_since(now) {
            Ok(left) => left.as_secs_f64(),
            Err(past) => -past.duration().as_secs_f64(),
        })
    }

    /// True when a credential with more than the serving minimum left is held.
    pub fn is_ready(&self) -> bool {
        self.current(self.timing.min_remaining).is_some()
    }

    /// Why the cell is not ready, or `None` when it is.
    pub fn unready_reason(&self) -> Option<Unavailable> {
        if self.is_ready() {
            return None;
        }
        Some(self.unavailable(&self.state.borrow()))
    }

    fn current(&self, min_left: Duration) -> Option<Arc<Credentials>> {
        let now = self.clock.now();
        self.state
            .borrow()
            .creds
            .as_ref()
            .filter(|c| c.valid_for(now, min_left))
            .cloned()
    }

    fn unavailable(&self, s: &State) -> Unavailable {
        match &s.last_error {
            Some(error) => Unavailable::Failed {
                cell: self.name.clone(),
                error: error.clone(),
            },
            None => Unavailable::Waiting {
                cell: self.name.clone(),
            },
        }
    }

    /// Waits until an attempt after `after_attempt` (or any attempt, if `None`) has completed
    /// and judges the result against the serving minimum.
    async fn wait(
        &self,
        after_attempt: Option<u64>,
        limit: Duration,
    ) -> Result<Arc<Credentials>, Unavailable> {
        let mut rx = self.state.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            {
                let s = rx.borrow_and_update();
                let settled = after_attempt.is_none_or(|a| s.attempts > a);
                if settled {
                    let now = self.clock.now();
                    if let Some(c) = s
                        .creds
                        .as_ref()
                        .filter(|c| c.valid_for(now, self.timing.min_remaining))
                    {
                        return Ok(Arc::clone(c));
                    }
                    if !s.refreshing {
                        return Err(self.unavailable(&s));
                    }
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Err(self.unavailable(&self.state.borrow())),
            }
        }
    }

    async fn run(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            self.state.send_modify(|s| {
                s.refreshing = true;
                s.requested = false;
            });
            let outcome = self.fetch_isolated().await;
            let now = self.clock.now();
            let delay = match outcome.and_then(|c| self.accept(c, now)) {
                Ok(mut creds) => {
                    creds.fetched_at = Some(now);
                    failures = 0;
                    self.counters.refreshes.fetch_add(1, Relaxed);
                    let delay =
                        self.timing
                            .refresh_delay(now, creds.expiration, rand::rng().random());
                    tracing::info!(
                        role = %self.name,
                        expiration = %creds.expiration.map(format_utc).unwrap_or_else(|| "never".into()),
                        next_refresh_in_secs = delay.as_secs(),
                        "credentials refreshed"
                    );
                    let lifetime = creds.remaining(now);
                    let rendered = (self.render)(&creds);
                    self.state.send_modify(|s| {
                        s.lifetime = lifetime;
                        s.rendered = Some(rendered);
                        s.creds = Some(Arc::new(creds));
                        s.refreshing = false;
                        s.attempts += 1;
                        s.last_error = None;
                    });
                    delay
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    self.counters.failures.fetch_add(1, Relaxed);
                    self.counters.failures_by_kind[error.kind as usize].fetch_add(1, Relaxed);
                    let delay = self.timing.backoff_delay(failures, rand::rng().random());
                    let still_serving = self.is_ready();
                    tracing::warn!(
                        role = %self.name,
                        error = %error,
                        reason = error.kind.label(),
                        code = error.code.as_deref(),
                        consecutive_failures = failures,
                        retry_in_ms = delay.as_millis() as u64,
                        still_serving,
                        "credential refresh failed"
                    );
                    self.state.send_modify(|s| {
                        s.refreshing = false;
                        s.attempts += 1;
                        s.last_error = Some(error);
                    });
                    delay
                }
            };
            let refresh_at = now + delay;
            self.sleep_until(refresh_at).await;
        }
    }

    /// Sleeps until the wall clock reaches `at`, in slices of at most [`MAX_SLEEP`], or until a
    /// refresh is requested.
    async fn sleep_until(&self, at: SystemTime) {
        loop {
            let left = at
                .duration_since(self.clock.now())
                .unwrap_or(Duration::ZERO);
            if left.is_zero() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(left.min(MAX_SLEEP)) => {}
                () = self.wake.notified() => {
                    if self.state.borrow().requested {
                        return;
                    }
                }
            }
        }
    }

    /// Runs one fetch as its own task, bounded by [`Timing::fetch_timeout`]: a panic or a hang
    /// costs one attempt, never the cell.
    async fn fetch_isolated(self: &Arc<Self>) -> Result<Credentials, FetchError> {
        let me = Arc::clone(self);
        let mut task = tokio::spawn(async move { me.fetcher.fetch().await });
        match tokio::time::timeout(self.timing.fetch_timeout, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(crashed)) => Err(FetchError::new(
                FetchErrorKind::Crashed,
                format!(
                    "the refresh crashed ({crashed}); this is a rolehop bug, please report it with the log"
                ),
            )),
            Err(_) => {
                task.abort();
                Err(FetchError::new(
                    FetchErrorKind::TimedOut,
                    format!(
                        "the refresh did not finish within {} s; check that the source and STS answer",
                        self.timing.fetch_timeout.as_secs()
                    ),
                ))
            }
        }
    }

    /// Refuses a credential that would be unservable at once (expired, or about to be).
    fn accept(&self, creds: Credentials, now: SystemTime) -> Result<Credentials, FetchError> {
        if creds.valid_for(now, self.timing.min_remaining) {
            return Ok(creds);
        }
        let expiration = creds.expiration.map(format_utc).unwrap_or_default();
        Err(FetchError::new(
            FetchErrorKind::Expiring,
            format!(
                "the credential received expires at {expiration}, less than {} seconds from now; rolehop will not serve it and retries (check the clock of this host and the session duration)",
                self.timing.min_remaining.as_secs()
            ),
        ))
    }
}

/// Counters a cell keeps about itself (for `/metrics`).
#[derive(Debug, Default)]
pub struct CellCounters {
    pub refreshes: AtomicU64,
    pub failures: AtomicU64,
    /// Failures by [`FetchErrorKind`].
    pub failures_by_kind: [AtomicU64; FetchErrorKind::ALL.len()],
}

/// A snapshot of [`CellCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellStats {
    pub refreshes: u64,
    pub failures: u64,
    /// Failures by [`FetchErrorKind`], in the order of [`FetchErrorKind::ALL`].
    pub failures_by_kind: [u64; FetchErrorKind::ALL.len()],
}

impl CellCounters {
    pub fn snapshot(&self) -> CellStats {
        CellStats {
            refreshes: self.refreshes.load(Relaxed),
            failures: self.failures.load(Relaxed),
            failures_by_kind: std::array::from_fn(|i| self.failures_by_kind[i].load(Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;
    use crate::credentials::Secret;
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::UNIX_EPOCH;

    const HOUR: Duration = Duration::from_secs(3600);
    const MIN: Duration = Duration::from_secs(60);

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    /// Plays a script of outcomes; each success lives `lifetime` from the moment it is fetched.
    struct Scripted {
        clock: SharedClock,
        script: Mutex<VecDeque<Result<Duration, &'static str>>>,
        delay: Duration,
        calls: Arc<AtomicUsize>,
    }

    impl Fetch for Scripted {
        fn fetch(&self) -> FetchFuture<'_> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                let peek = self.script.lock().unwrap().front().cloned();
                match peek {
                    Some(Err("panic")) => {
                        self.script.lock().unwrap().pop_front();
                        panic!("scripted panic");
                    }
                    Some(Err("hang")) => {
                        self.script.lock().unwrap().pop_front();
                        std::future::pending::<()>().await;
                    }
                    _ => {}
                }
                let next = self
                    .script
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or(Err("script ended"));
                let lifetime = next.map_err(|e| FetchError::new(FetchErrorKind::Refused, e))?;
                Ok(Credentials {
                    access_key_id: format!("AKID{}", self.calls.load(Ordering::SeqCst)),
                    secret_access_key: Secret::new("s"),
                    session_token: None,
                    expiration: Some(self.clock.now() + lifetime),
                    role_arn: None,
                    account_id: None,
                    fetched_at: None,
                })
            })
        }
        fn describe(&self) -> String {
            "scripted".into()
        }
    }

    fn cell(
        script: Vec<Result<Duration, &'static str>>,
        delay: Duration,
    ) -> (Arc<Cell>, Arc<AtomicUsize>, SharedClock) {
        cell_with(script, delay, Timing::default())
    }

    fn cell_with(
        script: Vec<Result<Duration, &'static str>>,
        delay: Duration,
        timing: Timing,
    ) -> (Arc<Cell>, Arc<AtomicUsize>, SharedClock) {
        cell_on(
            Arc::new(TokioClock::starting_at(t0())),
            script,
            delay,
            timing,
        )
    }

    fn cell_on(
        clock: SharedClock,
        script: Vec<Result<Duration, &'static str>>,
        delay: Duration,
        timing: Timing,
    ) -> (Arc<Cell>, Arc<AtomicUsize>, SharedClock) {
        let calls = Arc::new(AtomicUsize::new(0));
        let fetcher = Scripted {
            clock: clock.clone(),
            script: Mutex::new(script.into()),
            delay,
            calls: calls.clone(),
        };
        (
            Cell::new(
                "default",
                Box::new(fetcher),
                clock.clone(),
                timing,
                Credentials::ecs_body,
            ),
            calls,
            clock,
        )
    }

    #[test]
    fn one_hour_credentials_refresh_near_half_life_leaving_over_25_minutes() {
        let timing = Timing::default();
        for draw in [0.0, 0.25, 0.5, 0.999_999] {
            let delay = timing.refresh_delay(t0(), Some(t0() + HOUR), draw);
            assert!(delay >= MIN * 27 && delay <= MIN * 33, "{delay:?}");
            assert!(HOUR - delay > MIN * 25);
        }
        assert_eq!(timing.refresh_delay(t0(), Some(t0() + HOUR), 0.5), MIN * 30);
    }

    #[test]
    fn short_credentials_refresh_early_but_never_spin() {
        let timing = Timing::default();
        // 15 minutes: refresh while 10 are left, not at 7.5.
        assert_eq!(
            timing.refresh_delay(t0(), Some(t0() + MIN * 15), 0.5),
            MIN * 5
        );
        // 2 minutes: a tenth of the lifetime.
        assert_eq!(
            timing.refresh_delay(t0(), Some(t0() + MIN * 2), 0.5),
            Duration::from_secs(12)
        );
        // Already expired: one second, not zero.
        assert_eq!(
            timing.refresh_delay(t0() + HOUR, Some(t0()), 0.5),
            Duration::from_secs(1)
        );
        assert_eq!(timing.refresh_delay(t0(), None, 0.5), HOUR);
    }

    #[test]
    fn backoff_grows_jittered_and_capped() {
        let timing = Timing::default();
        assert_eq!(timing.backoff_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(timing.backoff_delay(1, 0.999_999).as_millis(), 999);
        assert_eq!(timing.backoff_delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(timing.backoff_delay(30, 0.0), Duration::from_secs(30));
        assert!(timing.backoff_delay(u32::MAX, 0.999) <= Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_at_start_up_shares_one_fetch() {
        let (cell, calls, _) = cell(vec![Ok(HOUR)], Duration::from_secs(1));
        cell.spawn();
        let gets = (0..200).map(|_| {
            let cell = cell.clone();
            tokio::spawn(async move { cell.get().await })
        });
        let results = futures_join(gets).await;
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().is_ok_and(|c| c.access_key_id == "AKID1"))
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_in_background_and_serves_stale_but_valid_through_failures() {
        let mut script = vec![Ok(HOUR)];
        script.extend(std::iter::repeat_n(Err("sts down"), 20));
        script.push(Ok(HOUR));
        let (cell, calls, _) = cell(script, Duration::ZERO);
        cell.spawn();
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID1");
        // Past the refresh point: refreshes fail, but the first credential has ~27 min left.
        tokio::time::sleep(MIN * 33 + Duration::from_secs(5)).await;
        let failed_so_far = calls.load(Ordering::SeqCst) - 1;
        assert!((1..20).contains(&failed_so_far), "{failed_so_far}");
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID1");
        assert!(cell.is_ready());
        // Backoff (capped) then recovery without any client asking.
        tokio::time::sleep(MIN * 17).await;
        assert_eq!(calls.load(Ordering::SeqCst), 22);
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID22");
    }

    #[tokio::test(start_paused = true)]
    async fn the_ecs_body_is_rendered_once_per_refresh_and_follows_it() {
        let (cell, _, _) = cell(vec![Ok(HOUR), Ok(HOUR)], Duration::ZERO);
        cell.spawn();
        let first = cell.get_rendered().await.unwrap();
        assert_eq!(first, cell.get().await.unwrap().to_ecs_json());
        assert_eq!(cell.rendered_now(), Some(first.clone()));
        let again = cell.get_rendered().await.unwrap();
        assert_eq!(first.as_ptr(), again.as_ptr(), "the same rendered bytes");
        tokio::time::sleep(MIN * 33 + Duration::from_secs(5)).await;
        let next = cell.get_rendered().await.unwrap();
        assert_eq!(next, cell.get().await.unwrap().to_ecs_json());
        assert!(String::from_utf8_lossy(&next).contains("AKID2"));
        assert_eq!(cell.stats().refreshes, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn never_serves_a_credential_with_five_minutes_or_less_left() {
        let mut script = vec![Ok(HOUR)];
        script.extend(std::iter::repeat_n(Err("sts down"), 200));
        let (cell, _, _) = cell(script, Duration::ZERO);
        cell.spawn();
        assert!(cell.get().await.is_ok());
        tokio::time::sleep(MIN * 54 + Duration::from_secs(59)).await;
        assert!(cell.get().await.is_ok(), "5m01s left is still served");
        assert!(cell.rendered_now().is_some());
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            cell.rendered_now().is_none(),
            "nor by the ECS route's fast path"
        );
        assert!(cell.get_rendered().await.is_err());
        let err = cell.get().await.unwrap_err();
        assert!(
            matches!(&err, Unavailable::Failed { error, .. } if error == "sts down"),
            "{err}"
        );
        assert!(!cell.is_ready());
        assert!(cell.unready_reason().is_some());
        let stats = cell.stats();
        assert!(stats.failures > 0);
        assert_eq!(
            stats.failures_by_kind[FetchErrorKind::Refused as usize],
            stats.failures,
            "each failure counted by its kind"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refuses_credentials_that_arrive_nearly_expired() {
        let (cell, calls, _) = cell(vec![Ok(MIN * 4), Ok(HOUR)], Duration::ZERO);
        cell.spawn();
        let err = cell.get().await.unwrap_err();
        assert!(
            matches!(&err, Unavailable::Failed { error, .. } if error.kind() == FetchErrorKind::Expiring),
            "{err:?}"
        );
        assert!(err.to_string().contains("will not serve it"), "{err}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn chaining_asks_for_an_early_refresh_of_an_old_hop() {
        // A late refresh schedule, so the hop is still on its first credential when a later
        // hop wants one with 15 minutes left.
        let timing = Timing {
            refresh_fraction: (0.9, 0.9),
            ..Timing::default()
        };
        let (cell, calls, _) = cell_with(
            vec![Ok(MIN * 40), Ok(HOUR)],
            Duration::from_millis(10),
            timing,
        );
        cell.spawn();
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID1");
        tokio::time::sleep(MIN * 26).await;
        assert_eq!(
            cell.get().await.unwrap().access_key_id,
            "AKID1",
            "14 min left: servable"
        );
        assert_eq!(
            cell.get_for_chaining().await.unwrap().access_key_id,
            "AKID2"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn short_hops_are_chained_from_without_forcing_refreshes() {
        let (cell, calls, _) = cell(vec![Ok(MIN * 15), Ok(MIN * 15)], Duration::ZERO);
        cell.spawn();
        assert_eq!(
            cell.get_for_chaining().await.unwrap().access_key_id,
            "AKID1"
        );
        // 15-minute sessions can never have 15 minutes left; half their life is enough.
        tokio::time::sleep(MIN * 4).await;
        assert_eq!(
            cell.get_for_chaining().await.unwrap().access_key_id,
            "AKID1"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// Wall time that moves with tokio's clock and can also jump (a suspended VM, an NTP step).
    struct JumpClock {
        inner: TokioClock,
        offset: Mutex<Duration>,
    }

    impl crate::clock::Clock for JumpClock {
        fn now(&self) -> SystemTime {
            self.inner.now() + *self.offset.lock().unwrap()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_wall_clock_jump_is_noticed_by_clients_and_by_the_refresher() {
        let clock = Arc::new(JumpClock {
            inner: TokioClock::starting_at(t0()),
            offset: Mutex::new(Duration::ZERO),
        });
        let (cell, calls, _) = cell_on(
            clock.clone(),
            vec![Ok(HOUR), Ok(HOUR), Ok(HOUR)],
            Duration::ZERO,
            Timing::default(),
        );
        cell.spawn();
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID1");
        *clock.offset.lock().unwrap() += HOUR * 2;
        assert_eq!(
            cell.get().await.unwrap().access_key_id,
            "AKID2",
            "a client asks for the refresh"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        *clock.offset.lock().unwrap() += HOUR * 2;
        tokio::time::sleep(MAX_SLEEP + Duration::from_secs(1)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "the refresher saw the jump on its own"
        );
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID3");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_chaining_requests_make_one_refresh() {
        let timing = Timing {
            refresh_fraction: (0.9, 0.9),
            ..Timing::default()
        };
        let (cell, calls, _) = cell_with(
            vec![Ok(MIN * 40), Ok(HOUR), Ok(HOUR)],
            Duration::from_millis(10),
            timing,
        );
        cell.spawn();
        cell.get().await.unwrap();
        tokio::time::sleep(MIN * 26).await;
        let (a, b) = tokio::join!(cell.get_for_chaining(), cell.get_for_chaining());
        assert_eq!(a.unwrap().access_key_id, "AKID2");
        assert_eq!(b.unwrap().access_key_id, "AKID2");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "no second refresh from a spare wake-up"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_hop_in_backoff_is_not_woken_by_later_hops() {
        let mut script = vec![Ok(HOUR)];
        script.extend(std::iter::repeat_n(Err("sts throttling"), 100));
        let (cell, calls, _) = cell(script, Duration::ZERO);
        cell.spawn();
        cell.get().await.unwrap();
        tokio::time::sleep(MIN * 50).await;
        let before = calls.load(Ordering::SeqCst);
        assert!(before > 1);
        let creds = cell.get_for_chaining().await.unwrap();
        assert_eq!(
            creds.access_key_id, "AKID1",
            "still servable: used as it is"
        );
        tokio::task::yield_now().await;
        assert_eq!(calls.load(Ordering::SeqCst), before, "backoff stands");
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_or_hung_fetch_costs_one_attempt_not_the_cell() {
        let (cell, calls, _) = cell(vec![Err("panic"), Err("hang"), Ok(HOUR)], Duration::ZERO);
        cell.spawn();
        let err = cell.get().await.unwrap_err();
        assert!(err.to_string().contains("crashed"), "{err}");
        tokio::time::sleep(Timing::default().fetch_timeout + Duration::from_secs(5)).await;
        assert_eq!(cell.get().await.unwrap().access_key_id, "AKID3");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    async fn futures_join<T: Send + 'static>(
        handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for h in handles.collect::<Vec<_>>() {
            out.push(h.await.unwrap());
        }
        out
    }
}
