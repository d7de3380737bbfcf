//! The fetch contract: the [`Fetch`] trait the source (`source`) and the AssumeRole hops
//! (`chain`) implement and a cache cell refreshes from, and the typed error a fetch fails
//! with. It sits below all three, so the flow source → chain → cache reads top-down.

use std::future::Future;
use std::pin::Pin;

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

/// A failed fetch: its kind, the service's own error code when it answered, and the sentence
/// for the user (what failed and what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub kind: FetchErrorKind,
    /// The service's error code (STS's `AccessDenied`, `Throttling`, ...), when it answered.
    pub code: Option<String>,
    pub message: String,
}

impl FetchError {
    pub fn new(kind: FetchErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
        }
    }
}

/// Compares the sentence.
impl PartialEq<str> for FetchError {
    fn eq(&self, other: &str) -> bool {
        self.message == other
    }
}
