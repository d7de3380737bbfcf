//! STS AssumeRole hops (REFERENCE 6), with the parameters of [`crate::session`]; STS errors
//! mapped to one sentence naming the likely fix, their kind and STS's code kept.
//!
//! A hop takes its caller credentials from the cell before it (the source, or an earlier hop),
//! asking that cell for one fresh enough to chain from, and calls AssumeRole with the SDK's own
//! retries off: the cache's backoff is the only retry loop.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

use crate::arn::RoleArn;
use crate::cache::Cell;
use crate::credentials::{Credentials, Secret};
use crate::fetch::{Fetch, FetchError, FetchErrorKind, FetchFuture};
use crate::metrics::AssumeRoleTimes;
use crate::readable;
use crate::session::{CHAINED_MAX_DURATION_SECS, SessionName, SessionOptions, Tag};

/// Timeouts for one STS call; the cache retries with backoff.
pub const STS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const STS_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything one AssumeRole call needs besides the caller's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub role_arn: RoleArn,
    pub external_id: Option<Secret>,
    pub session_name: SessionName,
    pub duration_secs: u32,
    pub options: SessionOptions,
}

/// The STS client settings every hop shares: region, endpoint, HTTP client, timeouts, no
/// retries, no identity cache (the cells are the cache).
pub fn sts_config(sdk: &aws_config::SdkConfig) -> aws_sdk_sts::Config {
    aws_sdk_sts::config::Builder::from(sdk)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .identity_cache(aws_config::identity::IdentityCache::no_cache())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(STS_CONNECT_TIMEOUT)
                .operation_attempt_timeout(STS_ATTEMPT_TIMEOUT)
                .build(),
        )
        .build()
}

/// An STS client on [`sts_config`]'s settings, signing with `caller`: every STS call rolehop
/// makes (AssumeRole, and `check`'s GetCallerIdentity) goes through one.
pub fn sts_client(sts: &aws_sdk_sts::Config, caller: &Credentials) -> aws_sdk_sts::Client {
    let config = sts
        .to_builder()
        .credentials_provider(caller.to_sdk("rolehop"))
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// A hop as a [`Fetch`]: caller credentials from `upstream`, then AssumeRole.
pub struct AssumeRole {
    hop: Hop,
    upstream: Arc<Cell>,
    upstream_desc: String,
    sts: aws_sdk_sts::Config,
    times: &'static AssumeRoleTimes,
}

impl AssumeRole {
    /// `times` records each AssumeRole round trip ([`crate::metrics::STS_ASSUME_ROLE`] when
    /// serving).
    pub fn new(
        hop: Hop,
        upstream: Arc<Cell>,
        upstream_desc: String,
        sts: aws_sdk_sts::Config,
        times: &'static AssumeRoleTimes,
    ) -> Self {
        Self {
            hop,
            upstream,
            upstream_desc,
            sts,
            times,
        }
    }

    async fn assume(&self) -> Result<Credentials, FetchError> {
        let hop = &self.hop;
        let caller = self.upstream.get_for_chaining().await.map_err(|e| {
            FetchError::new(
                FetchErrorKind::Upstream,
                format!(
                    "cannot assume {} because its source is unavailable: {e}",
                    hop.role_arn
                ),
            )
            .caused_by(e)
        })?;
        assume(hop, &caller, &self.sts, Some(self.times))
            .await
            .map_err(FetchError::from)
    }
}

/// A failed AssumeRole: its kind, STS's own code when it answered, the sentence to show, and
/// the SDK's error it failed from ([`std::error::Error::source`]). `Debug` is by hand, as
/// [`FetchError`]'s: the SDK's error keeps the raw response, which can hold a credential.
#[derive(Clone)]
pub struct AssumeError {
    pub kind: FetchErrorKind,
    /// STS's error code as it answered it (`AccessDenied`, `ValidationError`, ...), for logs.
    pub code: Option<String>,
    /// The same code, as the case rolehop tells apart.
    pub sts_code: Option<StsCode>,
    pub message: String,
    pub cause: Option<Arc<SdkError<AssumeRoleError, HttpResponse>>>,
}

impl std::fmt::Debug for AssumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeError")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("sts_code", &self.sts_code)
            .field("message", &self.message)
            .field(
                "cause",
                &format_args!("{}", crate::fetch::cause_debug(self.cause.as_deref())),
            )
            .finish()
    }
}

impl std::fmt::Display for AssumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// By hand: the source is the SDK's error inside the `Arc`, which a caller can downcast.
impl std::error::Error for AssumeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

impl From<AssumeError> for FetchError {
    fn from(e: AssumeError) -> Self {
        FetchError {
            kind: e.kind,
            code: e.code,
            message: e.message,
            cause: e.cause.map(|c| c as crate::fetch::Cause),
        }
    }
}

/// An STS error code rolehop tells apart. The SDK models four of AssumeRole's errors as variants
/// of [`AssumeRoleError`] (ExpiredTokenException, MalformedPolicyDocument, PackedPolicyTooLarge,
/// RegionDisabledException), read from those; the rest (AccessDenied, ValidationError,
/// throttling, a rejected signature, STS's own faults) are errors common to every AWS query API
/// that the SDK leaves unmodelled, so they arrive only as the code string, parsed here, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsCode {
    AccessDenied,
    ValidationError,
    ExpiredToken,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    RegionDisabled,
    /// `Throttling`, `ThrottlingException`, `RequestLimitExceeded`.
    Throttling,
    /// `InvalidClientTokenId`, `SignatureDoesNotMatch`: the caller's credentials were rejected.
    RejectedCredentials,
    /// `InternalFailure`, `InternalError`, `ServiceUnavailable`.
    ServerFault,
    /// A code rolehop has no case for.
    Other,
}

impl StsCode {
    /// The case of AssumeRole's error `err`: the SDK's variant where it models one, else the
    /// code STS answered.
    pub fn of(err: &AssumeRoleError) -> Option<Self> {
        Some(match err {
            AssumeRoleError::ExpiredTokenException(_) => Self::ExpiredToken,
            AssumeRoleError::MalformedPolicyDocumentException(_) => Self::MalformedPolicyDocument,
            AssumeRoleError::PackedPolicyTooLargeException(_) => Self::PackedPolicyTooLarge,
            AssumeRoleError::RegionDisabledException(_) => Self::RegionDisabled,
            _ => Self::parse(aws_smithy_types::error::metadata::ProvideErrorMetadata::code(err)?),
        })
    }

    /// The case of an unmodelled code string.
    pub fn parse(code: &str) -> Self {
        match code {
            "AccessDenied" => Self::AccessDenied,
            "ValidationError" => Self::ValidationError,
            "ExpiredToken" | "ExpiredTokenException" => Self::ExpiredToken,
            "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => {
                Self::MalformedPolicyDocument
            }
            "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => Self::PackedPolicyTooLarge,
            "RegionDisabledException" => Self::RegionDisabled,
            "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => Self::Throttling,
            "InvalidClientTokenId" | "SignatureDoesNotMatch" => Self::RejectedCredentials,
            "InternalFailure" | "InternalError" | "ServiceUnavailable" => Self::ServerFault,
            _ => Self::Other,
        }
    }
}

/// The kind of a failed AssumeRole call, with STS's code and its case when STS answered.
fn kind_of(err: &SdkError<AssumeRoleError>) -> (FetchErrorKind, Option<String>, Option<StsCode>) {
    match err {
        SdkError::ServiceError(s) => {
            let code = aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s.err());
            let sts_code = StsCode::of(s.err());
            let kind = match sts_code {
                Some(StsCode::Throttling) => FetchErrorKind::Throttled,
                Some(StsCode::ServerFault) => FetchErrorKind::Unreachable,
                _ if s.raw().status().is_server_error() => FetchErrorKind::Unreachable,
                _ => FetchErrorKind::Refused,
            };
            (kind, code.map(str::to_owned), sts_code)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            (FetchErrorKind::Unreachable, None, None)
        }
        _ => (FetchErrorKind::Malformed, None, None),
    }
}

/// One AssumeRole call for `hop` signed with `caller`, outside any cache and unrecorded
/// (`check`'s online probe).
pub async fn assume_once(
    hop: &Hop,
    caller: &Credentials,
    sts: &aws_sdk_sts::Config,
) -> Result<Credentials, AssumeError> {
    assume(hop, caller, sts, None).await
}

/// One AssumeRole call, its round trip recorded in `times` when given.
async fn assume(
    hop: &Hop,
    caller: &Credentials,
    sts: &aws_sdk_sts::Config,
    times: Option<&AssumeRoleTimes>,
) -> Result<Credentials, AssumeError> {
    let started = std::time::Instant::now();
    let sent = sts_client(sts, caller)
        .assume_role()
        .role_arn(hop.role_arn.as_str())
        .role_session_name(hop.session_name.as_str())
        .duration_seconds(hop.duration_secs as i32)
        .set_external_id(hop.external_id.as_ref().map(|e| e.expose().to_owned()))
        .set_tags(sdk_tags(&hop.options.tags))
        .set_transitive_tag_keys(non_empty(&hop.options.transitive_tag_keys))
        .set_source_identity(hop.options.source_identity.clone())
        .set_policy(hop.options.policy.clone())
        .set_policy_arns(sdk_policy_arns(&hop.options.policy_arns))
        .send()
        .await;
    if let Some(times) = times {
        times.observe(started.elapsed(), sent.is_ok());
    }
    let output = sent.map_err(|e| {
        let (kind, code, sts_code) = kind_of(&e);
        AssumeError {
            kind,
            code,
            sts_code,
            message: describe_sts_error(hop, &e),
            cause: Some(Arc::new(e)),
        }
    })?;
    let fail = |message: String| AssumeError {
        kind: FetchErrorKind::Malformed,
        code: None,
        sts_code: None,
        message,
        cause: None,
    };
    let Some(c) = output.credentials else {
        return Err(fail(format!(
            "STS answered AssumeRole into {} without credentials; this is an STS or endpoint fault, check AWS_ENDPOINT_URL_STS",
            hop.role_arn
        )));
    };
    let expiration = SystemTime::try_from(c.expiration).map_err(|_| {
        fail(format!(
            "STS returned an unreadable expiration for {}",
            hop.role_arn
        ))
    })?;
    Ok(Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: Secret::new(c.secret_access_key),
        session_token: Some(Secret::new(c.session_token)),
        expiration: Some(expiration),
        role_arn: Some(hop.role_arn.to_string()),
        account_id: Some(hop.role_arn.account_id().to_owned()),
        fetched_at: None,
    })
}

fn non_empty(items: &[String]) -> Option<Vec<String>> {
    (!items.is_empty()).then(|| items.to_vec())
}

fn sdk_tags(tags: &[Tag]) -> Option<Vec<aws_sdk_sts::types::Tag>> {
    let tags: Vec<_> = tags
        .iter()
        .filter_map(|t| {
            aws_sdk_sts::types::Tag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .ok()
        })
        .collect();
    (!tags.is_empty()).then_some(tags)
}

fn sdk_policy_arns(arns: &[String]) -> Option<Vec<aws_sdk_sts::types::PolicyDescriptorType>> {
    let arns: Vec<_> = arns
        .iter()
        .map(|a| {
            aws_sdk_sts::types::PolicyDescriptorType::builder()
                .arn(a)
                .build()
        })
        .collect();
    (!arns.is_empty()).then_some(arns)
}

impl Fetch for AssumeRole {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(self.assume())
    }

    fn describe(&self) -> String {
        format!(
            "AssumeRole {} as session {} for {}s from {}",
            self.hop.role_arn,
            self.hop.session_name.as_str(),
            self.hop.duration_secs,
            self.upstream_desc
        )
    }
}

/// One sentence: what STS said and the likely fix.
pub fn describe_sts_error(hop: &Hop, err: &SdkError<AssumeRoleError>) -> String {
    let role = &hop.role_arn;
    match err {
        SdkError::ServiceError(service) => {
            let meta = aws_smithy_types::error::metadata::ProvideErrorMetadata::meta(service.err());
            let code = meta.code().unwrap_or("UnknownError");
            let message = meta.message().unwrap_or("(no message)");
            let case = StsCode::of(service.err()).unwrap_or(StsCode::Other);
            format!(
                "STS refused AssumeRole into {role}: {code}: {message}; {}",
                sts_error_hint(case, message, hop)
            )
        }
        SdkError::TimeoutError(_) => format!(
            "STS did not answer AssumeRole into {role} within {}s; check that this task can reach STS (security groups, NAT or a VPC endpoint, AWS_ENDPOINT_URL_STS)",
            STS_ATTEMPT_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(_) => readable::with_causes(
            &format!(
                "cannot reach STS for AssumeRole into {role}; check that this task can reach STS (security groups, NAT or a VPC endpoint, AWS_ENDPOINT_URL_STS)"
            ),
            Some(err),
        ),
        _ => readable::with_causes(&format!("AssumeRole into {role} failed"), Some(err)),
    }
}

/// The likely fix for STS's error `code` (with its `message`) on `hop`: the one table of STS
/// hints, for the cells' errors and for `check`'s online probe.
pub fn sts_error_hint(code: StsCode, message: &str, hop: &Hop) -> String {
    let role = &hop.role_arn;
    match code {
        StsCode::AccessDenied if !hop.options.tags.is_empty() && message.contains("TagSession") => format!(
            "the trust policy of {role} must also allow sts:TagSession for the source role, because session tags are configured"
        ),
        StsCode::AccessDenied if hop.options.source_identity.is_some() && message.contains("SetSourceIdentity") => format!(
            "the trust policy of {role} (and, across accounts, the source role's policy) must also allow sts:SetSourceIdentity"
        ),
        StsCode::PackedPolicyTooLarge => {
            "the session policies and tags packed too large for STS; shorten the inline policy, use fewer managed policy ARNs or fewer tags".into()
        }
        StsCode::AccessDenied => format!(
            "likely causes, most common first: (1) the trust policy of {role} does not name the source role exactly (a typo, a wrong-case name, a role deleted and re-created); (2) the source role's policies do not allow sts:AssumeRole on it; (3) the role ARN is wrong (STS says the same for a role that does not exist: check its account, name and case); (4) a required sts:ExternalId is missing or different; (5) an SCP, RCP or permissions boundary denies it; `rolehop check` tells which"
        ),
        StsCode::ValidationError if message.contains("role chaining") => format!(
            "lower --duration to {CHAINED_MAX_DURATION_SECS} or less: sessions assumed with role credentials last at most one hour"
        ),
        StsCode::ValidationError if message.contains("MaxSessionDuration") => format!(
            "lower --duration, or raise MaxSessionDuration on {role}"
        ),
        StsCode::ValidationError => "fix the parameter STS names above".into(),
        StsCode::ExpiredToken => {
            "the source credentials expired before the call; check this host's clock and the source".into()
        }
        StsCode::RegionDisabled => {
            "STS is not activated in this region for the account: activate it (IAM, Account settings), or set AWS_REGION to a region where it is active".into()
        }
        StsCode::Throttling => {
            "STS is throttling this account; rolehop backs off and retries".into()
        }
        StsCode::RejectedCredentials => {
            "the source credentials were rejected; check the source and this host's clock".into()
        }
        StsCode::MalformedPolicyDocument | StsCode::ServerFault | StsCode::Other => {
            "see the STS message for the cause".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_codes_are_read_from_the_sdks_variants_and_parsed_once_otherwise() {
        let modelled = AssumeRoleError::PackedPolicyTooLargeException(
            aws_sdk_sts::types::error::PackedPolicyTooLargeException::builder().build(),
        );
        assert_eq!(StsCode::of(&modelled), Some(StsCode::PackedPolicyTooLarge));
        let unmodelled = AssumeRoleError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDenied")
                .build(),
        );
        assert_eq!(StsCode::of(&unmodelled), Some(StsCode::AccessDenied));
        assert_eq!(StsCode::parse("RequestLimitExceeded"), StsCode::Throttling);
        assert_eq!(StsCode::parse("ExpiredToken"), StsCode::ExpiredToken);
        assert_eq!(StsCode::parse("SomethingNew"), StsCode::Other);
    }

    #[test]
    fn sts_answers_are_kinds_by_their_code_and_status() {
        let answered = |status: u16, code: &str| {
            let err = AssumeRoleError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code(code)
                    .build(),
            );
            let raw = HttpResponse::new(
                status.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::empty(),
            );
            kind_of(&SdkError::service_error(err, raw))
        };
        assert_eq!(
            answered(400, "Throttling"),
            (
                FetchErrorKind::Throttled,
                Some("Throttling".into()),
                Some(StsCode::Throttling)
            )
        );
        assert_eq!(
            answered(500, "InternalFailure").0,
            FetchErrorKind::Unreachable
        );
        assert_eq!(answered(503, "SomethingNew").0, FetchErrorKind::Unreachable);
        assert_eq!(
            answered(403, "AccessDenied"),
            (
                FetchErrorKind::Refused,
                Some("AccessDenied".into()),
                Some(StsCode::AccessDenied)
            )
        );
    }

    #[test]
    fn a_failed_assume_role_keeps_the_sdks_error_down_to_the_fetch_failure() {
        let sdk: SdkError<AssumeRoleError, HttpResponse> =
            SdkError::timeout_error("read timed out");
        let (kind, code, sts_code) = kind_of(&sdk);
        let failed = AssumeError {
            kind,
            code,
            sts_code,
            message: "STS did not answer".into(),
            cause: Some(Arc::new(sdk)),
        };
        let fetch = FetchError::from(failed);
        assert_eq!(fetch.kind(), FetchErrorKind::Unreachable);
        let below = std::error::Error::source(&fetch).expect("the SDK's error");
        assert!(matches!(
            below.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>(),
            Some(SdkError::TimeoutError(_))
        ));
    }

    /// A 200 whose body did not deserialize keeps that body in the SDK's error; the body holds
    /// the credential, and the derived `Debug` of the response would print it.
    #[test]
    fn the_debug_of_a_failed_assume_role_never_shows_the_raw_response() {
        use aws_smithy_types::body::SdkBody;
        let body =
            "<AssumeRoleResponse><SecretAccessKey>leakcanary-raw-body-secret</SecretAccessKey>";
        let raw = HttpResponse::new(200u16.try_into().unwrap(), SdkBody::from(body));
        let sdk: SdkError<AssumeRoleError, HttpResponse> = SdkError::service_error(
            AssumeRoleError::unhandled("the response did not deserialize"),
            raw,
        );
        assert!(
            format!("{sdk:?}").contains("leakcanary"),
            "the SDK's own Debug shows the body"
        );
        let failed = AssumeError {
            kind: FetchErrorKind::Malformed,
            code: None,
            sts_code: None,
            message: "STS's answer holds no credential".into(),
            cause: Some(Arc::new(sdk)),
        };
        let shown = format!("{failed:?}");
        assert!(
            !shown.contains("leakcanary") && shown.contains("see source()"),
            "{shown}"
        );
        let fetch = FetchError::from(failed.clone());
        let unavailable = crate::cache::Unavailable::Failed {
            cell: "default".into(),
            error: fetch.clone(),
        };
        for shown in [
            format!("{fetch:?}"),
            format!("{unavailable:?}"),
            format!("{unavailable}"),
        ] {
            assert!(!shown.contains("leakcanary"), "{shown}");
        }
        assert!(std::error::Error::source(&fetch).is_some());
    }
}
