//! Warnings a client can trigger at will (a refused request, a full connection table) are
//! written at most once per [`INTERVAL`] for each kind, with the number of events since the
//! last line: the log stays readable, and its size bounded, however hard a client hammers.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one line per kind of warning in this time.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Counts events per key and says when one is due a log line.
#[derive(Debug)]
pub struct Throttle<K> {
    interval: Duration,
    windows: Mutex<Option<HashMap<K, Window>>>,
}

#[derive(Debug)]
struct Window {
    logged_at: Instant,
    unlogged: u64,
}

impl<K: Eq + Hash> Throttle<K> {
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            windows: Mutex::new(None),
        }
    }

    /// Counts one event of kind `key`. `Some(n)` when a line is due now (the first event of a
    /// kind, then the first one after each interval): `n` events happened since the last line
    /// of that kind, this one included. Keys come from a small fixed set, so memory is bounded.
    pub fn hit(&self, key: K) -> Option<u64> {
        self.hit_at(key, Instant::now())
    }

    fn hit_at(&self, key: K, now: Instant) -> Option<u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let windows = windows.get_or_insert_with(HashMap::new);
        match windows.get_mut(&key) {
            None => {
                windows.insert(
                    key,
                    Window {
                        logged_at: now,
                        unlogged: 0,
                    },
                );
                Some(1)
            }
            Some(window) => {
                window.unlogged += 1;
                if now.saturating_duration_since(window.logged_at) < self.interval {
                    return None;
                }
                let count = window.unlogged;
                window.logged_at = now;
                window.unlogged = 0;
                Some(count)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_per_kind_with_the_count() {
        let throttle = Throttle::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(throttle.hit_at("a", t0), Some(1));
        for i in 1..=99 {
            assert_eq!(throttle.hit_at("a", t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(throttle.hit_at("b", t0), Some(1), "kinds are counted apart");
        assert_eq!(
            throttle.hit_at("a", t0 + Duration::from_secs(10)),
            Some(100),
            "99 held back and this one"
        );
        assert_eq!(throttle.hit_at("a", t0 + Duration::from_secs(11)), None);
        assert_eq!(throttle.hit_at("a", t0 + Duration::from_secs(20)), Some(2));
    }
}
