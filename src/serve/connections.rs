//! One listener's connections: whatever clients without the token hold, a request with the right
//! token is answered at once.
//!
//! - At most [`MAX_CONNECTIONS`] at once. When the table is full (or the process is out of file
//!   descriptors), a new connection takes the place of the oldest *idle, untrusted* one: a
//!   connection that has never carried the right token and has no request in hand. Only when
//!   every connection is trusted or busy is a new one closed.
//! - A write that makes no progress for [`WRITE_TIMEOUT`] (a client that stopped reading its
//!   answers) ends the connection. After [`MAX_REQUESTS`] requests, or once older than
//!   [`LIFETIME`], the next answer carries `Connection: close` (a client reconnects without an
//!   error); one still open [`CLOSE_GRACE`] after its lifetime is dropped. Idle and slow request
//!   heads are hyper's `header_read_timeout`.
//! - A peer this listener refuses (beyond loopback) never enters the table: it gets its 403
//!   through one of [`MAX_REFUSING`] short-lived connections, or is closed.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Sleep;

use super::throttle::{INTERVAL, Throttle};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// A write that moves no byte for this long ends the connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// After this, a connection's next answer closes it.
pub const LIFETIME: Duration = Duration::from_secs(30);
/// After [`LIFETIME`], the time left for one more answer (longer than any wait for a refresh)
/// before the connection is dropped.
pub const CLOSE_GRACE: Duration = Duration::from_secs(10);
/// Requests answered on one connection before it is closed.
pub const MAX_REQUESTS: u32 = 100;
/// Refused (non-loopback) peers answered at once; more are closed without an answer.
pub const MAX_REFUSING: usize = 32;
/// A refused peer must send its request head within this time.
pub const REFUSING_HEAD_TIMEOUT: Duration = Duration::from_secs(1);

static WARNINGS: Throttle<&'static str> = Throttle::new(INTERVAL);

/// Logs `message` at warn, at most once per [`INTERVAL`], with the number of times it happened
/// (and the latest `error`, if any).
pub fn warn_throttled(message: &'static str, error: Option<&io::Error>) {
    if let Some(count) = WARNINGS.hit(message) {
        tracing::warn!(
            count,
            interval_secs = INTERVAL.as_secs(),
            limit = MAX_CONNECTIONS,
            error = error.map(tracing::field::display),
            "{message}"
        );
    }
}

/// What the table knows of one connection.
#[derive(Debug, Default)]
pub struct Conn {
    /// Has carried a request with the right token: never evicted.
    trusted: AtomicBool,
    /// Requests in hand (being answered): not evicted while above zero.
    busy: AtomicUsize,
    requests: AtomicU32,
    /// Past its [`LIFETIME`]: the next answer closes it.
    expired: AtomicBool,
    evicted: Notify,
}

impl Conn {
    pub fn trust(&self) {
        self.trusted.store(true, Ordering::Relaxed);
    }

    /// Counts a request in; the guard counts it out. Returns the request's number on this
    /// connection (1 for the first).
    pub fn begin(self: &Arc<Self>) -> (Busy, u32) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        (Busy(Arc::clone(self)), n)
    }

    pub fn expire(&self) {
        self.expired.store(true, Ordering::Relaxed);
    }

    /// Whether the answer to request number `number` should close the connection.
    pub fn closes_after(&self, number: u32) -> bool {
        number >= MAX_REQUESTS || self.expired.load(Ordering::Relaxed)
    }

    fn evictable(&self) -> bool {
        !self.trusted.load(Ordering::Relaxed) && self.busy.load(Ordering::Acquire) == 0
    }

    /// Resolves when the table has given this connection's place to another.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

/// A request in hand; see [`Conn::begin`].
pub struct Busy(Arc<Conn>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections of one listener, oldest first.
#[derive(Debug, Default)]
pub struct Table {
    open: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    drained: Notify,
}

/// A place in the [`Table`]; leaving it (drop) frees the place.
pub struct Place {
    table: Arc<Table>,
    id: u64,
    pub conn: Arc<Conn>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.table.lock();
        open.remove(&self.id);
        if open.is_empty() {
            self.table.drained.notify_waiters();
        }
    }
}

impl Table {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection, evicting the oldest idle untrusted one when full. `None`
    /// when every connection is trusted or busy.
    pub fn admit(self: &Arc<Self>) -> Option<Place> {
        let mut open = self.lock();
        if open.len() >= MAX_CONNECTIONS {
            if !Self::evict_oldest_idle(&mut open) {
                drop(open);
                warn_throttled(
                    "every connection is busy or trusted; closed a new connection",
                    None,
                );
                return None;
            }
            warn_throttled(
                "connection table full; closed the oldest idle connection without the token to admit a new one",
                None,
            );
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::default());
        open.insert(id, Arc::clone(&conn));
        Some(Place {
            table: Arc::clone(self),
            id,
            conn,
        })
    }

    /// Frees a file descriptor when accept fails for want of one: true when a connection was
    /// evicted (its socket closes as soon as its task runs).
    pub fn make_room(&self) -> bool {
        Self::evict_oldest_idle(&mut self.lock())
    }

    fn evict_oldest_idle(open: &mut BTreeMap<u64, Arc<Conn>>) -> bool {
        let Some(id) = open
            .iter()
            .find(|(_, conn)| conn.evictable())
            .map(|(id, _)| *id)
        else {
            return false;
        };
        if let Some(conn) = open.remove(&id) {
            conn.evicted.notify_one();
        }
        true
    }

    /// Resolves once no connection is open.
    pub async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            if self.lock().is_empty() {
                return;
            }
            notified.await;
        }
    }
}

/// True for accept errors that mean "out of file descriptors".
pub fn out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE (this process) and ENFILE (the system).
    matches!(e.raw_os_error(), Some(24 | 23))
}

/// A stream whose writes fail with `TimedOut` when they make no progress for a while: hyper has
/// no write timeout of its own.
pub struct WriteTimeout<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteTimeout<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_ready() {
                    self.stalled = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client read nothing of its answer",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_times_out() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut stream = WriteTimeout::new(ours, WRITE_TIMEOUT);
        let started = tokio::time::Instant::now();
        let err = stream.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), WRITE_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_but_steady_reader_is_not_cut_by_the_write_timeout() {
        use tokio::io::AsyncReadExt;
        let (ours, mut theirs) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let mut total = 0;
            while total < 1024 {
                tokio::time::sleep(WRITE_TIMEOUT / 2).await;
                total += theirs.read(&mut buf).await.unwrap();
            }
        });
        let mut stream = WriteTimeout::new(ours, WRITE_TIMEOUT);
        stream.write_all(&[0u8; 1024]).await.unwrap();
        reader.await.unwrap();
    }

    #[test]
    fn the_oldest_idle_untrusted_connection_makes_room() {
        let table = Arc::new(Table::default());
        let mut places: Vec<Place> = (0..MAX_CONNECTIONS)
            .map(|_| table.admit().unwrap())
            .collect();
        places[0].conn.trust();
        let (_busy, _) = places[1].conn.begin();
        // The first two are trusted and busy: the third is the one to go.
        let third = Arc::clone(&places[2].conn);
        let _new = table.admit().expect("room made");
        assert!(!table.lock().values().any(|c| Arc::ptr_eq(c, &third)));
        assert_eq!(table.lock().len(), MAX_CONNECTIONS);
        // With every connection trusted, nothing is evicted.
        for conn in table.lock().values() {
            conn.trust();
        }
        assert!(table.admit().is_none());
        assert!(!table.make_room());
        places.clear();
    }
}
