//! Wall-clock time through one seam, so refresh and expiry logic is tested without sleeping.
//!
//! Expiry is wall time (`SystemTime`), sleeping is tokio time (`Instant`). `tokio::time::pause()`
//! moves only the latter, so tests use [`TokioClock`], whose wall time advances with tokio's.

use std::sync::Arc;
use std::time::SystemTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;
}

pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Wall time that starts at `base` and advances exactly as tokio's clock does (paused or not).
#[derive(Debug, Clone)]
pub struct TokioClock {
    base: SystemTime,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(base: SystemTime) -> Self {
        Self {
            base,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        self.base + self.start.elapsed()
    }
}
