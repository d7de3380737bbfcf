//! STS AssumeRole hops (REFERENCE 6): session name, external id, duration; STS errors mapped to
//! one sentence naming the likely fix.
//!
//! A hop takes its caller credentials from the cell before it (the source, or an earlier hop),
//! asking that cell for one fresh enough to chain from, and calls AssumeRole with the SDK's own
//! retries off: the cache's backoff is the only retry loop.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::arn::{RoleArn, is_iam_name_char, policy_arn_problem};
use crate::cache::{Cell, Fetch, FetchError, FetchErrorKind, FetchFuture};
use crate::credentials::{Credentials, Secret};
use crate::metrics::AssumeRoleTimes;

pub const MIN_DURATION_SECS: u32 = 900;
pub const MAX_DURATION_SECS: u32 = 43_200;
/// STS's cap on sessions assumed with role credentials ("role chaining").
pub const CHAINED_MAX_DURATION_SECS: u32 = 3600;
pub const DEFAULT_DURATION_SECS: u32 = 3600;
/// Timeouts for one STS call; the cache retries with backoff.
pub const STS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const STS_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// An STS `RoleSessionName`: 2–64 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionName(String);

impl SessionName {
    /// Validates a name the user chose; their choice is never rewritten silently.
    pub fn parse(name: &str) -> Result<Self, String> {
        let problem = if !(2..=64).contains(&name.chars().count()) {
            Some(format!("is {} characters long", name.chars().count()))
        } else {
            name.chars()
                .find(|&c| !is_iam_name_char(c))
                .map(|c| format!("contains `{}`", c.escape_default()))
        };
        match problem {
            Some(p) => Err(format!(
                "session name `{name}` {p}; STS accepts 2 to 64 characters of letters, digits and + = , . @ _ -"
            )),
            None => Ok(Self(name.to_owned())),
        }
    }

    /// Turns a derived value (a task id, a host name) into a valid name: other characters
    /// become `-`, long values keep their last 64 characters (where ids differ), short ones
    /// get a `rolehop-` prefix.
    pub fn sanitised(raw: &str) -> Self {
        let mapped: Vec<char> = raw
            .chars()
            .map(|c| if is_iam_name_char(c) { c } else { '-' })
            .collect();
        let tail: String = mapped[mapped.len().saturating_sub(64)..].iter().collect();
        if tail.chars().count() < 2 {
            return Self(format!("rolehop-{tail}").trim_end_matches('-').to_owned());
        }
        Self(tail)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates an `ExternalId`: 2–1224 characters of `[\w+=,.@:/-]`.
pub fn validate_external_id(id: &str) -> Result<(), String> {
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(format!(
            "external id is {len} characters long; STS accepts 2 to 1224"
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|&c| !is_iam_name_char(c) && c != ':' && c != '/')
    {
        return Err(format!(
            "external id contains `{}`; STS accepts letters, digits and + = , . @ : / _ -",
            c.escape_default()
        ));
    }
    Ok(())
}

/// A session tag (`Tags.member.N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// AssumeRole's optional session parameters, validated against STS's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Inline session policy, compact JSON.
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

pub const MAX_TAGS: usize = 50;
pub const MAX_POLICY_ARNS: usize = 10;
/// STS limit on the plaintext of inline and managed session policies together.
pub const MAX_POLICY_CHARS: usize = 2048;

impl SessionOptions {
    /// Every way these options break STS's rules, one sentence each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.tags.len() > MAX_TAGS {
            out.push(format!(
                "{} session tags is more than STS's {MAX_TAGS}",
                self.tags.len()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for tag in &self.tags {
            if let Some(p) = tag_text_problem(&tag.key, 1, 128) {
                out.push(format!("session tag key `{}` {p}", tag.key));
            } else if tag.key.to_ascii_lowercase().starts_with("aws:") {
                out.push(format!(
                    "session tag key `{}` starts with `aws:`, which is reserved",
                    tag.key
                ));
            }
            if let Some(p) = tag_text_problem(&tag.value, 0, 256) {
                out.push(format!("the value of session tag `{}` {p}", tag.key));
            }
            if !seen.insert(tag.key.to_lowercase()) {
                out.push(format!(
                    "session tag key `{}` appears twice (STS compares tag keys ignoring case)",
                    tag.key
                ));
            }
        }
        for key in &self.transitive_tag_keys {
            if !self.tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
                out.push(format!("transitive tag key `{key}` is not one of the session tags; add a tag with that key or drop it"));
            }
        }
        if let Some(id) = &self.source_identity {
            let ok_chars = id.chars().all(is_iam_name_char);
            if !(2..=64).contains(&id.chars().count()) || !ok_chars {
                out.push(format!("source identity `{id}` must be 2 to 64 characters of letters, digits and + = , . @ _ -"));
            } else if id.to_ascii_lowercase().starts_with("aws:") {
                out.push(format!(
                    "source identity `{id}` starts with `aws:`, which is reserved"
                ));
            }
        }
        if self.policy_arns.len() > MAX_POLICY_ARNS {
            out.push(format!(
                "{} session policy ARNs is more than STS's {MAX_POLICY_ARNS}",
                self.policy_arns.len()
            ));
        }
        for arn in &self.policy_arns {
            if let Some(p) = policy_arn_problem(arn) {
                out.push(format!("session policy ARN `{arn}` {p}; a managed policy ARN looks like arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/NAME"));
            }
        }
        let policy_chars = self.policy.as_ref().map_or(0, |p| p.chars().count())
            + self.policy_arns.iter().map(|a| a.len()).sum::<usize>();
        if policy_chars > MAX_POLICY_CHARS {
            out.push(format!("the session policies come to {policy_chars} characters, over STS's {MAX_POLICY_CHARS}; shorten the inline policy or use fewer managed policies"));
        }
        out
    }

    /// Parses an inline session policy and returns it compacted (STS counts its characters).
    pub fn compact_policy(json: &str) -> Result<String, String> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| format!("the session policy is not valid JSON ({e})"))?;
        if !value.is_object() {
            return Err(
                "the session policy must be a JSON object with Version and Statement".into(),
            );
        }
        Ok(value.to_string())
    }
}

/// Parses `KEY=VALUE` (the value may contain `=`).
pub fn parse_tag(raw: &str) -> Result<Tag, String> {
    match raw.split_once('=') {
        Some((key, value)) => Ok(Tag {
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
        }),
        None => Err(format!("session tag `{raw}` is not KEY=VALUE")),
    }
}

fn tag_text_problem(text: &str, min: usize, max: usize) -> Option<String> {
    let len = text.chars().count();
    if !(min..=max).contains(&len) {
        return Some(format!(
            "is {len} characters long; STS accepts {min} to {max}"
        ));
    }
    text.chars()
        .find(|&c| !(c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)))
        .map(|c| {
            format!(
                "contains `{}`, which STS does not allow in tags",
                c.escape_default()
            )
        })
}

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
        })?;
        assume(hop, &caller, &self.sts, Some(self.times))
            .await
            .map_err(FetchError::from)
    }
}

/// A failed AssumeRole: its kind, STS's own code when it answered, and the sentence to show.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AssumeError {
    pub kind: FetchErrorKind,
    /// STS's error code (`AccessDenied`, `ValidationError`, ...), when STS answered.
    pub code: Option<String>,
    pub message: String,
}

impl From<AssumeError> for FetchError {
    fn from(e: AssumeError) -> Self {
        FetchError {
            kind: e.kind,
            code: e.code,
            message: e.message,
        }
    }
}

/// STS's error codes for throttling.
const THROTTLING_CODES: [&str; 3] = ["Throttling", "ThrottlingException", "RequestLimitExceeded"];
/// STS's error codes for a fault on its side.
const SERVER_FAULT_CODES: [&str; 3] = ["InternalFailure", "InternalError", "ServiceUnavailable"];

/// The kind of a failed AssumeRole call.
fn kind_of(err: &SdkError<AssumeRoleError>) -> (FetchErrorKind, Option<String>) {
    match err {
        SdkError::ServiceError(s) => {
            let code = aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s.err());
            let kind = match code {
                Some(c) if THROTTLING_CODES.contains(&c) => FetchErrorKind::Throttled,
                Some(c) if SERVER_FAULT_CODES.contains(&c) => FetchErrorKind::Unreachable,
                _ if s.raw().status().is_server_error() => FetchErrorKind::Unreachable,
                _ => FetchErrorKind::Refused,
            };
            (kind, code.map(str::to_owned))
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            (FetchErrorKind::Unreachable, None)
        }
        _ => (FetchErrorKind::Malformed, None),
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
        let (kind, code) = kind_of(&e);
        AssumeError {
            kind,
            code,
            message: describe_sts_error(hop, &e),
        }
    })?;
    let fail = |message: String| AssumeError {
        kind: FetchErrorKind::Malformed,
        code: None,
        message,
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
            format!(
                "STS refused AssumeRole into {role}: {code}: {message}; {}",
                sts_error_hint(code, message, hop)
            )
        }
        SdkError::TimeoutError(_) => format!(
            "STS did not answer AssumeRole into {role} within {}s; check that this task can reach STS (security groups, NAT or a VPC endpoint, AWS_ENDPOINT_URL_STS)",
            STS_ATTEMPT_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(_) => format!(
            "cannot reach STS for AssumeRole into {role}: {}; check that this task can reach STS (security groups, NAT or a VPC endpoint, AWS_ENDPOINT_URL_STS)",
            DisplayErrorContext(err)
        ),
        _ => format!(
            "AssumeRole into {role} failed: {}",
            DisplayErrorContext(err)
        ),
    }
}

fn sts_error_hint(code: &str, message: &str, hop: &Hop) -> String {
    let role = &hop.role_arn;
    match code {
        "AccessDenied" if !hop.options.tags.is_empty() && message.contains("TagSession") => format!(
            "the trust policy of {role} must also allow sts:TagSession for the source role, because session tags are configured"
        ),
        "AccessDenied" if hop.options.source_identity.is_some() && message.contains("SetSourceIdentity") => format!(
            "the trust policy of {role} (and, across accounts, the source role's policy) must also allow sts:SetSourceIdentity"
        ),
        "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => {
            "the session policies and tags packed too large for STS; shorten the inline policy, use fewer managed policy ARNs or fewer tags".into()
        }
        "AccessDenied" => format!(
            "either {role} does not exist (check the ARN's account, name and case), its trust policy does not allow the source role, or the source role's policy does not allow sts:AssumeRole on it; `rolehop check` tells which"
        ),
        "ValidationError" if message.contains("role chaining") => format!(
            "lower --duration to {CHAINED_MAX_DURATION_SECS} or less: sessions assumed with role credentials last at most one hour"
        ),
        "ValidationError" if message.contains("MaxSessionDuration") => format!(
            "lower --duration, or raise MaxSessionDuration on {role}"
        ),
        "ValidationError" => "fix the parameter STS names above".into(),
        "ExpiredToken" | "ExpiredTokenException" => {
            "the source credentials expired before the call; check this host's clock and the source".into()
        }
        "RegionDisabledException" => {
            "activate STS for this region in the account, or set AWS_REGION to a region where it is active".into()
        }
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            "STS is throttling this account; rolehop backs off and retries".into()
        }
        "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
            "the source credentials were rejected; check the source and this host's clock".into()
        }
        _ => "see the STS message for the cause".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_validated_not_rewritten() {
        assert!(SessionName::parse("ok").is_ok());
        assert!(SessionName::parse("team.app@prod-1_a+b=c,d").is_ok());
        assert!(SessionName::parse(&"a".repeat(64)).is_ok());
        for (bad, expected) in [
            ("x", "is 1 characters long"),
            (&*"a".repeat(65), "is 65 characters long"),
            ("has space", "contains ` `"),
            ("slash/no", "contains `/`"),
        ] {
            let err = SessionName::parse(bad).unwrap_err();
            assert!(err.contains(expected), "{bad}: {err}");
            assert!(err.contains("2 to 64"), "{err}");
        }
    }

    #[test]
    fn derived_names_are_sanitised_into_range() {
        assert_eq!(
            SessionName::sanitised("f0e1d2c3b4a5968778695a4b3c2d1e0f").as_str(),
            "f0e1d2c3b4a5968778695a4b3c2d1e0f"
        );
        assert_eq!(
            SessionName::sanitised("my host:1/2").as_str(),
            "my-host-1-2"
        );
        assert_eq!(SessionName::sanitised("x").as_str(), "rolehop-x");
        assert_eq!(SessionName::sanitised("").as_str(), "rolehop");
        let long = format!("{}{}", "a".repeat(70), "tail");
        let s = SessionName::sanitised(&long);
        assert_eq!(s.as_str().len(), 64);
        assert!(s.as_str().ends_with("tail"));
        for raw in ["é", "日本語のホスト名", "a\nb", &"é".repeat(100)] {
            let s = SessionName::sanitised(raw);
            assert!(SessionName::parse(s.as_str()).is_ok(), "{raw:?} -> {s:?}");
        }
    }

    fn options() -> SessionOptions {
        SessionOptions {
            tags: vec![
                parse_tag("Project=blue").unwrap(),
                parse_tag("Expr=a=b").unwrap(),
            ],
            transitive_tag_keys: vec!["project".into()],
            source_identity: Some("alice@example.com".into()),
            policy: Some(
                SessionOptions::compact_policy(
                    "{\n \"Version\": \"2012-10-17\", \"Statement\": []\n}",
                )
                .unwrap(),
            ),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        }
    }

    #[test]
    fn valid_session_options_pass() {
        let o = options();
        assert_eq!(o.problems(), Vec::<String>::new());
        assert_eq!(o.tags[1].value, "a=b");
        let policy: serde_json::Value = serde_json::from_str(o.policy.as_ref().unwrap()).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"Version": "2012-10-17", "Statement": []})
        );
        assert!(!o.policy.as_ref().unwrap().contains('\n'));
    }

    #[test]
    fn session_options_over_sts_limits_are_named() {
        let mut o = options();
        o.tags.extend((0..50).map(|i| Tag {
            key: format!("k{i}"),
            value: "v".into(),
        }));
        o.tags.push(Tag {
            key: "aws:reserved".into(),
            value: "v".into(),
        });
        o.tags.push(Tag {
            key: "bad!key".into(),
            value: "v".into(),
        });
        o.tags.push(Tag {
            key: "PROJECT".into(),
            value: "x".repeat(257),
        });
        o.transitive_tag_keys.push("Missing".into());
        o.source_identity = Some("x".into());
        o.policy_arns = vec![
            "arn:aws:iam:aws:policy/X".into(),
            "arn:aws:iam::aws:role/X".into(),
        ];
        let problems = o.problems().join("\n");
        for expected in [
            "55 session tags is more than STS's 50",
            "`aws:reserved` starts with `aws:`",
            "`bad!key` contains `!`",
            "the value of session tag `PROJECT` is 257 characters long",
            "`PROJECT` appears twice",
            "transitive tag key `Missing` is not one of the session tags",
            "source identity `x` must be 2 to 64",
            "`arn:aws:iam:aws:policy/X` has 5 colon-separated fields instead of 6",
            "`arn:aws:iam::aws:role/X` has resource `role/X`, which is not policy/NAME",
        ] {
            assert!(
                problems.contains(expected),
                "missing {expected:?} in:\n{problems}"
            );
        }
        let big = SessionOptions {
            policy: Some("x".repeat(2049)),
            ..SessionOptions::default()
        };
        assert!(big.problems()[0].contains("2049 characters, over STS's 2048"));
        assert!(
            SessionOptions::compact_policy("{oops")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_tag("novalue").is_err());
    }

    #[test]
    fn external_ids_follow_sts() {
        assert!(validate_external_id("Unique-ID:123/abc").is_ok());
        assert!(validate_external_id("x").unwrap_err().contains("2 to 1224"));
        assert!(
            validate_external_id("has space")
                .unwrap_err()
                .contains("contains ` `")
        );
        assert!(validate_external_id(&"a".repeat(1225)).is_err());
    }
}
