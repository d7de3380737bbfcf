//! Why a read of IAM or Organizations gave the probe nothing it can use: what kind of failure,
//! the sentence naming the call and what AWS answered (`iam:GetPolicy ARN: AccessDenied`), and
//! the SDK's error kept as [`std::error::Error::source`]. The sentence is the reason an
//! `unknown` finding shows.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use aws_sdk_sts::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure a read met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(crate) enum ReadErrorKind {
    /// The service answered with an error, whose code the sentence shows: denied, throttled...
    Refused,
    /// The entity asked for does not exist (IAM's `NoSuchEntityException`).
    NoSuchEntity,
    /// No answer: no connection, a timeout, or a response the SDK could not read.
    Failed,
    /// An answer without what was asked for.
    Empty,
    /// No credentials at hand may read it.
    NoCredentials,
    /// This rolehop was built without its IAM and Organizations clients.
    #[cfg_attr(feature = "iam", allow(dead_code))]
    NotBuilt,
}

/// A failed read: its kind, the sentence, and the SDK's error underneath when there is one.
#[derive(Debug, Clone)]
pub(crate) struct ReadError {
    #[allow(dead_code)] // read by `kind`
    kind: ReadErrorKind,
    message: String,
    cause: Option<Arc<dyn Error + Send + Sync + 'static>>,
}

/// Without the `iam` feature (the fuzz build leaves out the large IAM client), the reads fail
/// with this reason.
#[cfg_attr(feature = "iam", allow(dead_code))]
const NOT_BUILT: &str = "this rolehop was built without its IAM client (the `iam` feature)";

#[cfg_attr(not(feature = "iam"), allow(dead_code))]
impl ReadError {
    pub(crate) fn new(kind: ReadErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    /// The call `call` (`iam:GetPolicy ARN`) failed with the SDK's `err`: the service's code
    /// when it answered (`Refused`), else the SDK's sentence and causes (`Failed`).
    pub(crate) fn sdk<E, R>(call: impl fmt::Display, err: SdkError<E, R>) -> Self
    where
        E: Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let (kind, answer) = match &err {
            SdkError::ServiceError(s) => (
                ReadErrorKind::Refused,
                s.err().meta().code().unwrap_or("Error").to_owned(),
            ),
            other => (ReadErrorKind::Failed, crate::readable::sentence(other)),
        };
        Self {
            kind,
            message: format!("{call}: {answer}"),
            cause: Some(Arc::new(err)),
        }
    }

    /// An answer without what was asked for.
    pub(crate) fn empty(message: impl Into<String>) -> Self {
        Self::new(ReadErrorKind::Empty, message)
    }

    #[cfg_attr(feature = "iam", allow(dead_code))]
    pub(crate) fn not_built() -> Self {
        Self::new(ReadErrorKind::NotBuilt, NOT_BUILT)
    }

    /// The same failure as another kind (a refusal the SDK models as `NoSuchEntityException`).
    pub(crate) fn of_kind(self, kind: ReadErrorKind) -> Self {
        Self { kind, ..self }
    }

    /// Every try failed (one call with each set of credentials at hand): each sentence, in
    /// order; the first's kind and cause.
    pub(crate) fn every(tries: Vec<ReadError>) -> Self {
        let message = tries
            .iter()
            .map(|t| t.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        match tries.into_iter().next() {
            Some(first) => Self { message, ..first },
            None => Self::new(
                ReadErrorKind::NoCredentials,
                "no credentials to read it with",
            ),
        }
    }

    // The findings show the sentence alone today; the kind is for the tests and for a caller
    // that must tell a missing role from a refusal.
    #[allow(dead_code)]
    pub(crate) fn kind(&self) -> ReadErrorKind {
        self.kind
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// By hand: the source is the SDK's error inside the `Arc`, which a caller can downcast.
impl Error for ReadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_shows_the_code_and_keeps_the_sdks_error() {
        let refused: SdkError<
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
            (),
        > = SdkError::service_error(
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .build(),
            ),
            (),
        );
        let err = ReadError::sdk("iam:GetRole r", refused);
        assert_eq!(err.kind(), ReadErrorKind::Refused);
        assert_eq!(err.to_string(), "iam:GetRole r: AccessDenied");
        assert!(err.source().is_some_and(|e| {
            e.is::<SdkError<
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
            (),
        >>()
        }));
        let both = ReadError::every(vec![
            err,
            ReadError::empty("GetRole returned no role").of_kind(ReadErrorKind::NoSuchEntity),
        ]);
        assert_eq!(
            both.to_string(),
            "iam:GetRole r: AccessDenied; GetRole returned no role"
        );
        assert_eq!(both.kind(), ReadErrorKind::Refused);
    }
}
