//! Where the task's own credentials come from (REFERENCE 1).
//!
//! In ECS: the container credentials endpoint, through aws-config's own provider so the SDKs'
//! exact rules apply (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` wins over `..._FULL_URI`; the
//! token file is re-read on every fetch and wins over the token variable; plain-http FULL_URI
//! hosts limited to loopback and the ECS/EKS link-local addresses). Outside ECS: the SDK's default
//! chain, so the same binary works on a laptop. Either way the result feeds a [`crate::cache::Cell`].

use std::net::IpAddr;

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::SdkError;

use crate::credentials::Credentials;
use crate::fetch::{Fetch, FetchError, FetchErrorKind, FetchFuture};
use crate::readable;

pub const ENV_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
pub const ENV_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const ENV_AUTHORIZATION_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
pub const ENV_AUTHORIZATION_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
/// The ECS agent's credentials host, which RELATIVE_URI is appended to.
pub const ECS_AGENT_HOST: &str = "http://169.254.170.2";

/// Why the configured source cannot be used, found before any network call: the kind a caller
/// tells apart, and the one sentence with the fix as its `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is one every SDK would refuse.
    #[error(
        "{ENV_FULL_URI} {0}; use http://127.0.0.1:PORT/..., http://169.254.170.2/..., http://169.254.170.23/... or an https URL"
    )]
    FullUri(FullUriProblem),
    /// `credential_source = EcsContainer` without the ECS variables.
    #[error(
        "credential_source = EcsContainer, but neither {ENV_RELATIVE_URI} nor {ENV_FULL_URI} is set; run rolehop in the ECS task (the agent sets them), or use credential_source = Environment on a laptop"
    )]
    NoContainerEndpoint,
    /// `credential_source = Environment` without both keys.
    #[error(
        "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
    )]
    NoEnvironmentKeys,
    /// A `credential_source` value rolehop does not know.
    #[error(
        "credential_source = {0} is not one rolehop knows; use EcsContainer, Environment or Ec2InstanceMetadata (spelt exactly so)"
    )]
    UnknownCredentialSource(String),
    /// Outside ECS, and the SDK's default chain found nothing.
    #[error(
        "no AWS credentials source: outside ECS rolehop uses the SDK default chain, and none was found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run inside an ECS task"
    )]
    NoDefaultChain,
    /// Neither the environment nor the shared config names a region.
    #[error(
        "no AWS region is configured; set AWS_REGION (ECS sets it in tasks) so rolehop calls the regional STS endpoint"
    )]
    NoRegion,
}

/// What is wrong with a `FULL_URI`. Never holds the URI's path, query or user information,
/// which may be secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FullUriProblem {
    #[error("is not an http or https URL")]
    NotHttp,
    #[error("carries user information, which the SDKs do not send")]
    UserInfo,
    #[error("has no host")]
    NoHost,
    #[error(
        "points at {0} over plain http, which the AWS SDKs refuse (only loopback and the ECS/EKS agent addresses are allowed)"
    )]
    PlainHttpHost(String),
}

/// Which source is configured, decided from the environment before any network call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// The ECS agent, through `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
    EcsRelative,
    /// A container credentials endpoint through `AWS_CONTAINER_CREDENTIALS_FULL_URI`;
    /// `origin` is its scheme, host and port only (the path may be a capability).
    EcsFull { origin: String },
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`).
    Environment,
    /// The EC2 instance metadata service (the container instance's role).
    Ec2InstanceMetadata,
    /// The SDK's default chain: environment, shared profile, web identity, IMDS.
    DefaultChain,
}

impl SourceKind {
    /// Reads the ECS variables; refuses a FULL_URI every SDK would refuse. Neither set: the
    /// default chain.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, SourceError> {
        Ok(Self::detect_ecs(env)?.unwrap_or(Self::DefaultChain))
    }

    /// The ECS container endpoint configured in `env`, if any.
    pub fn detect_ecs(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, SourceError> {
        if env(ENV_RELATIVE_URI).is_some_and(|v| !v.is_empty()) {
            return Ok(Some(Self::EcsRelative));
        }
        match env(ENV_FULL_URI).filter(|v| !v.is_empty()) {
            Some(full) => Ok(Some(Self::EcsFull {
                origin: validate_full_uri(&full).map_err(SourceError::FullUri)?,
            })),
            None => Ok(None),
        }
    }

    /// A profile's `credential_source` value, checked against `env` (REFERENCE 1).
    pub fn from_credential_source(
        value: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SourceError> {
        match value {
            "EcsContainer" => Self::detect_ecs(env)?.ok_or(SourceError::NoContainerEndpoint),
            "Environment" => {
                if env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some() {
                    Ok(Self::Environment)
                } else {
                    Err(SourceError::NoEnvironmentKeys)
                }
            }
            "Ec2InstanceMetadata" => Ok(Self::Ec2InstanceMetadata),
            other => Err(SourceError::UnknownCredentialSource(other.to_owned())),
        }
    }

    /// True when the source is role credentials, so STS caps chained sessions at one hour.
    /// (The default chain may or may not be; STS's own answer covers that case.)
    pub fn is_role_session(&self) -> bool {
        matches!(
            self,
            Self::EcsRelative | Self::EcsFull { .. } | Self::Ec2InstanceMetadata
        )
    }

    /// The `credential_source` spelling of this kind, for cell names.
    pub fn short_name(&self) -> &'static str {
        match self {
            Self::EcsRelative | Self::EcsFull { .. } => "EcsContainer",
            Self::Environment => "Environment",
            Self::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Self::DefaultChain => "DefaultChain",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::EcsRelative => format!("EcsContainer ({ENV_RELATIVE_URI} on {ECS_AGENT_HOST})"),
            Self::EcsFull { origin } => format!("EcsContainer ({ENV_FULL_URI} on {origin})"),
            Self::Environment => "Environment (AWS_ACCESS_KEY_ID)".into(),
            Self::Ec2InstanceMetadata => "Ec2InstanceMetadata (the instance role)".into(),
            Self::DefaultChain => {
                "the SDK default chain (environment, profile, web identity, instance metadata)"
                    .into()
            }
        }
    }
}

/// Checks a FULL_URI the way the SDKs do (plain http only to loopback or the ECS/EKS agent
/// addresses) and returns its origin for logs.
fn validate_full_uri(uri: &str) -> Result<String, FullUriProblem> {
    let (scheme, rest) = match uri.split_once("://") {
        Some((s, r)) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {
            (s.to_ascii_lowercase(), r)
        }
        _ => return Err(FullUriProblem::NotHttp),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(FullUriProblem::UserInfo);
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.is_empty() {
        return Err(FullUriProblem::NoHost);
    }
    if scheme == "http" {
        let allowed = match host.parse::<IpAddr>() {
            Ok(ip) => is_allowed_container_ip(ip),
            // Names are resolved by the SDK at fetch time; every address must then be allowed.
            Err(_) => true,
        };
        if !allowed {
            return Err(FullUriProblem::PlainHttpHost(host.to_owned()));
        }
    }
    Ok(format!("{scheme}://{authority}"))
}

/// Plain-http container credential hosts the SDKs accept (REFERENCE 1).
pub fn is_allowed_container_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.octets() == [169, 254, 170, 2]
                || v4.octets() == [169, 254, 170, 23]
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6
                    == "fd00:ec2::23"
                        .parse::<std::net::Ipv6Addr>()
                        .expect("valid literal")
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_allowed_container_ip(IpAddr::V4(v4)))
        }
    }
}

/// The configured source, ready to fetch.
pub struct Source {
    kind: SourceKind,
    provider: SharedCredentialsProvider,
}

impl Source {
    /// `default_chain` is used only when the kind is [`SourceKind::DefaultChain`].
    pub fn new(
        kind: SourceKind,
        default_chain: Option<SharedCredentialsProvider>,
    ) -> Result<Self, SourceError> {
        let provider = match (&kind, default_chain) {
            (SourceKind::DefaultChain, Some(chain)) => chain,
            (SourceKind::DefaultChain, None) => return Err(SourceError::NoDefaultChain),
            (SourceKind::Environment, _) => SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ),
            (SourceKind::Ec2InstanceMetadata, _) => SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
            (SourceKind::EcsRelative | SourceKind::EcsFull { .. }, _) => {
                SharedCredentialsProvider::new(EcsCredentialsProvider::builder().build())
            }
        };
        Ok(Self { kind, provider })
    }

    pub fn kind(&self) -> &SourceKind {
        &self.kind
    }

    fn hint(&self) -> &'static str {
        match self.kind {
            SourceKind::EcsRelative => {
                "check that the task definition has a taskRoleArn and that the ECS agent is healthy"
            }
            SourceKind::EcsFull { .. } => {
                "check that the endpoint is up and that AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) holds its token"
            }
            SourceKind::Environment => {
                "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
            }
            SourceKind::Ec2InstanceMetadata => {
                "check that the instance has a role and that IMDS is reachable from this container (hop limit 2 for containers)"
            }
            SourceKind::DefaultChain => {
                "check AWS_PROFILE, the environment keys, or run inside an ECS task with a task role"
            }
        }
    }
}

impl Fetch for Source {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            match self.provider.provide_credentials().await {
                Ok(creds) => Ok(Credentials::from_sdk(&creds)),
                Err(err) => Err(FetchError::new(
                    failure_kind(&err),
                    readable::with_causes(
                        &format!(
                            "cannot get the task's own credentials from {}; {}",
                            self.kind.describe(),
                            self.hint()
                        ),
                        Some(&err),
                    ),
                )
                .caused_by(err)),
            }
        })
    }

    fn describe(&self) -> String {
        self.kind.describe()
    }
}

/// What kind of failure a provider's error is, for the logs and `/metrics`, by the variants
/// aws-config draws:
/// - `ProviderTimedOut` (the SDK's own bound) is `TimedOut`, and so is a `ProviderError` or
///   `Unhandled` with an SDK timeout below it: the ECS agent's or IMDS's HTTP call timing out,
///   which the providers hand back as the SDK error they met;
/// - `CredentialsNotLoaded` (no source configured), `InvalidConfiguration` (a source configured
///   wrongly), and every other `ProviderError` or `Unhandled` (the agent refused the connection,
///   answered an error status or a body that is not credentials) are `Source`: the task's own
///   credentials could not be had, which the source's hint says how to fix.
fn failure_kind(err: &CredentialsError) -> FetchErrorKind {
    match err {
        CredentialsError::ProviderTimedOut(_) => FetchErrorKind::TimedOut,
        CredentialsError::CredentialsNotLoaded(_) | CredentialsError::InvalidConfiguration(_) => {
            FetchErrorKind::Source
        }
        CredentialsError::ProviderError(_) | CredentialsError::Unhandled(_) if timed_out(err) => {
            FetchErrorKind::TimedOut
        }
        // `CredentialsError` is non-exhaustive: a variant added later is a source failure too.
        _ => FetchErrorKind::Source,
    }
}

/// True when an SDK error in `err`'s `source()` chain is a timeout.
fn timed_out(err: &CredentialsError) -> bool {
    let mut cause = std::error::Error::source(err);
    while let Some(e) = cause {
        if let Some(sdk) = e.downcast_ref::<SdkError<CredentialsError, HttpResponse>>() {
            match sdk {
                SdkError::TimeoutError(_) => return true,
                SdkError::DispatchFailure(d) if d.is_timeout() => return true,
                _ => {}
            }
        }
        cause = e.source();
    }
    false
}

/// Loads the SDK settings (region, endpoints, HTTP client). The region comes from the
/// environment or the shared config file only: asking instance metadata would be a network call
/// (and a slow one outside EC2) before anything is validated.
pub async fn sdk_config() -> Result<SdkConfig, SourceError> {
    let region = aws_config::meta::region::RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(aws_config::profile::ProfileFileRegionProvider::new())
    .region()
    .await
    .ok_or(SourceError::NoRegion)?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider that fails with `err`.
    #[derive(Debug)]
    struct Failing(fn() -> CredentialsError);

    impl ProvideCredentials for Failing {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err((self.0)()))
        }
    }

    async fn failure(err: fn() -> CredentialsError) -> FetchError {
        let source = Source::new(
            SourceKind::DefaultChain,
            Some(SharedCredentialsProvider::new(Failing(err))),
        )
        .unwrap();
        source.fetch().await.unwrap_err()
    }

    async fn kind_of(err: fn() -> CredentialsError) -> FetchErrorKind {
        failure(err).await.kind()
    }

    #[tokio::test]
    async fn a_source_failure_keeps_the_providers_error_as_its_cause() {
        let err = failure(|| {
            CredentialsError::unhandled(SdkError::<CredentialsError, HttpResponse>::timeout_error(
                "read timed out",
            ))
        })
        .await;
        let mut chain = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = next {
            chain.push(e);
            next = e.source();
        }
        assert!(
            chain[1].downcast_ref::<CredentialsError>().is_some(),
            "the provider's error right below"
        );
        assert!(
            chain.iter().any(|e| e
                .downcast_ref::<SdkError<CredentialsError, HttpResponse>>()
                .is_some_and(|s| matches!(s, SdkError::TimeoutError(_)))),
            "the SDK's timeout at the bottom"
        );
    }

    #[test]
    fn a_source_that_cannot_be_used_is_refused_by_kind() {
        assert_eq!(
            Source::new(SourceKind::DefaultChain, None).err(),
            Some(SourceError::NoDefaultChain)
        );
    }

    #[tokio::test]
    async fn a_source_that_timed_out_is_counted_as_a_timeout() {
        assert_eq!(
            kind_of(|| CredentialsError::provider_timed_out(std::time::Duration::from_secs(5)))
                .await,
            FetchErrorKind::TimedOut
        );
        // What aws-config's ECS provider hands back when the agent does not answer in time.
        assert_eq!(
            kind_of(|| CredentialsError::unhandled(
                SdkError::<CredentialsError, HttpResponse>::timeout_error("read timed out")
            ))
            .await,
            FetchErrorKind::TimedOut
        );
        // The same timeout as an error the provider reports, and a connect timeout.
        assert_eq!(
            kind_of(|| CredentialsError::provider_error(
                SdkError::<CredentialsError, HttpResponse>::timeout_error("read timed out")
            ))
            .await,
            FetchErrorKind::TimedOut
        );
        assert_eq!(
            kind_of(|| CredentialsError::unhandled(
                SdkError::<CredentialsError, HttpResponse>::dispatch_failure(
                    aws_sdk_sts::error::ConnectorError::timeout("connect timed out".into())
                )
            ))
            .await,
            FetchErrorKind::TimedOut
        );
        assert_eq!(
            kind_of(|| CredentialsError::invalid_configuration("bad token file")).await,
            FetchErrorKind::Source
        );
        assert_eq!(
            kind_of(|| CredentialsError::not_loaded("no ECS variables")).await,
            FetchErrorKind::Source
        );
        assert_eq!(
            kind_of(|| CredentialsError::provider_error("HTTP 500 from the agent")).await,
            FetchErrorKind::Source
        );
    }

    fn detect(vars: &[(&str, &str)]) -> Result<SourceKind, SourceError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SourceKind::detect(&move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn relative_uri_wins_over_full_uri() {
        let kind = detect(&[
            (ENV_RELATIVE_URI, "/v2/credentials/x"),
            (ENV_FULL_URI, "http://10.0.0.1/x"),
        ])
        .unwrap();
        assert_eq!(kind, SourceKind::EcsRelative);
        assert!(kind.is_role_session());
    }

    #[test]
    fn full_uri_hosts_follow_the_sdk_rules() {
        for ok in [
            "http://127.0.0.1:9911/v1/credentials",
            "http://localhost/creds",
            "http://169.254.170.2/v2/credentials",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://[::1]:80/x",
            "https://creds.example.com/x",
        ] {
            assert!(
                matches!(
                    detect(&[(ENV_FULL_URI, ok)]),
                    Ok(SourceKind::EcsFull { .. })
                ),
                "{ok}"
            );
        }
        for bad in [
            "http://172.17.0.2:9911/v1/credentials",
            "http://10.0.0.5/x",
            "ftp://127.0.0.1/x",
            "http://user:pw@127.0.0.1/x",
        ] {
            let err = detect(&[(ENV_FULL_URI, bad)]).unwrap_err();
            assert!(matches!(err, SourceError::FullUri(_)), "{err}");
            let shown = err.to_string();
            assert!(shown.starts_with(ENV_FULL_URI), "{shown}");
            assert!(!shown.contains("pw"), "{shown}");
        }
        let full = detect(&[(
            ENV_FULL_URI,
            "http://127.0.0.1:9911/v1/credentials?secret=1",
        )])
        .unwrap();
        assert_eq!(
            full.describe(),
            format!("EcsContainer ({ENV_FULL_URI} on http://127.0.0.1:9911)")
        );
    }

    #[test]
    fn credential_source_values_are_checked_against_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let ecs = env(&[(ENV_RELATIVE_URI, "/v2/x")]);
        assert_eq!(
            SourceKind::from_credential_source("EcsContainer", &ecs),
            Ok(SourceKind::EcsRelative)
        );
        let none = env(&[]);
        assert_eq!(
            SourceKind::from_credential_source("EcsContainer", &none),
            Err(SourceError::NoContainerEndpoint)
        );
        assert_eq!(
            SourceKind::from_credential_source("Environment", &none),
            Err(SourceError::NoEnvironmentKeys)
        );
        let keys = env(&[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")]);
        assert_eq!(
            SourceKind::from_credential_source("Environment", &keys),
            Ok(SourceKind::Environment)
        );
        assert_eq!(
            SourceKind::from_credential_source("Ec2InstanceMetadata", &none),
            Ok(SourceKind::Ec2InstanceMetadata)
        );
        let unknown = SourceKind::from_credential_source("ecscontainer", &ecs).unwrap_err();
        assert_eq!(
            unknown,
            SourceError::UnknownCredentialSource("ecscontainer".into())
        );
        assert!(unknown.to_string().contains("spelt exactly"), "{unknown}");
    }

    #[test]
    fn nothing_set_means_the_default_chain() {
        let kind = detect(&[]).unwrap();
        assert_eq!(kind, SourceKind::DefaultChain);
        assert!(!kind.is_role_session());
    }
}
