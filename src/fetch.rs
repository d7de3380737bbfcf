//! The fetch contract: the [`Fetch`] trait the source (`source`) and the AssumeRole hops
//! (`chain`) implement and a cache cell refreshes from, and the typed error a fetch fails
//! with. It sits below all three, so the flow source → chain → cache reads top-down.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::credentials::Credentials;

pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, FetchError>> + Send + 'a>>;

/// Something that produces a fresh credential: the task's source, or an AssumeRole hop.
pub trait Fetch: Send + Sync + 'static {
    fn fetch(&self) -> FetchFuture<'_>;
    /// What is fetched, for logs: role ARN, session name, source. Never a secret.
    fn describe(&self) -> String;
}

/// What kind of failure a fetch met: what the logs and `/metrics` tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum FetchErrorKind {
    /// The service answered no: denied, invalid, expired caller (STS's code says which).
    Refused,
    /// The service is throttling this account.
    Throttled,
    /// No answer: connection refused, DNS, timeout, or a server-side fault.
    Unreachable,
    /// An answer that holds no usable credential.
    Malformed,
    /// The cell this one chains from has no credential to give.
    Upstream,
    /// The task's own credentials could not be had.
    Source,
    /// A credential that would expire too soon to be served.
    Expiring,
    /// The fetch did not finish in time.
    TimedOut,
    /// The fetch panicked (a rolehop bug).
    Crashed,
}

impl FetchErrorKind {
    pub const ALL: [FetchErrorKind; 9] = [
        FetchErrorKind::Refused,
        FetchErrorKind::Throttled,
        FetchErrorKind::Unreachable,
        FetchErrorKind::Malformed,
        FetchErrorKind::Upstream,
        FetchErrorKind::Source,
        FetchErrorKind::Expiring,
        FetchErrorKind::TimedOut,
        FetchErrorKind::Crashed,
    ];

    /// The kind as a log field and metric label.
    pub fn label(self) -> &'static str {
        match self {
            FetchErrorKind::Refused => "refused",
            FetchErrorKind::Throttled => "throttled",
            FetchErrorKind::Unreachable => "unreachable",
            FetchErrorKind::Malformed => "malformed",
            FetchErrorKind::Upstream => "upstream",
            FetchErrorKind::Source => "source",
            FetchErrorKind::Expiring => "expiring",
            FetchErrorKind::TimedOut => "timed_out",
            FetchErrorKind::Crashed => "crashed",
        }
    }
}

/// What a fetch failed from underneath: the SDK's or the provider's own error, kept so a log or
/// a test can follow `source()` down to it. Shared, so a cell can hand the same failure to every
/// waiter.
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A failed fetch: its kind, the service's own error code when it answered, the sentence for
/// the user (what failed and what to do), and the error it failed from ([`Error::source`]).
/// `Debug` is by hand: see [`cause_debug`].
#[derive(Clone)]
pub struct FetchError {
    pub kind: FetchErrorKind,
    /// The service's error code (STS's `AccessDenied`, `Throttling`, ...), when it answered.
    pub code: Option<String>,
    pub message: String,
    /// The error underneath, when the failure came from one.
    pub cause: Option<Cause>,
}

/// How a cause shows in `Debug`: its type only. An SDK error keeps the raw HTTP response, and
/// when a 200 answer fails to deserialize its body holds the credential (SecretAccessKey,
/// SessionToken), which the response's derived `Debug` prints; `source()` still reaches it.
pub fn cause_debug<E: ?Sized>(cause: Option<&E>) -> &'static str {
    match cause {
        Some(_) => "Some(<the underlying error: see source()>)",
        None => "None",
    }
}

impl std::fmt::Debug for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchError")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field(
                "cause",
                &format_args!("{}", cause_debug(self.cause.as_deref())),
            )
            .finish()
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// By hand rather than derived: the source is the error inside the `Arc`, so a caller can
/// downcast it to the SDK's or the provider's own type.
impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

impl FetchError {
    pub fn new(kind: FetchErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
            cause: None,
        }
    }

    /// The same failure, keeping `cause` as its [`Error::source`].
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    pub fn kind(&self) -> FetchErrorKind {
        self.kind
    }
}

/// Two failures are equal when they say the same: kind, code and sentence (a cause has no
/// equality of its own).
impl PartialEq for FetchError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.code == other.code && self.message == other.message
    }
}

impl Eq for FetchError {}

/// Compares the sentence.
impl PartialEq<str> for FetchError {
    fn eq(&self, other: &str) -> bool {
        self.message == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn a_fetch_failure_keeps_the_error_it_failed_from() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = FetchError::new(FetchErrorKind::Unreachable, "cannot reach STS").caused_by(io);
        let below = err.source().expect("a cause");
        assert_eq!(
            below.downcast_ref::<std::io::Error>().map(|e| e.kind()),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        assert_eq!(err.to_string(), "cannot reach STS");
        assert_eq!(err.clone(), err);
    }
}
