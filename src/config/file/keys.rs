//! The keys of a config-file profile: the ones rolehop reads, the AWS ones it leaves alone, and
//! "did you mean" for the rest.

use crate::suggest::edit_distance;

pub(super) const ROLE_ARN: &str = "role_arn";
pub(super) const SOURCE_PROFILE: &str = "source_profile";
pub(super) const CREDENTIAL_SOURCE: &str = "credential_source";
pub(super) const EXTERNAL_ID: &str = "external_id";
pub(super) const EXTERNAL_ID_ENV: &str = "rolehop_external_id_env";
pub(super) const SESSION_NAME: &str = "role_session_name";
pub(super) const DURATION: &str = "duration_seconds";
pub(super) const TAGS: &str = "rolehop_session_tags";
pub(super) const TRANSITIVE: &str = "rolehop_transitive_tag_keys";
pub(super) const SOURCE_IDENTITY: &str = "rolehop_source_identity";
pub(super) const POLICY: &str = "rolehop_policy";
pub(super) const POLICY_FILE: &str = "rolehop_policy_file";
pub(super) const POLICY_ARNS: &str = "rolehop_policy_arns";
pub(super) const IMDS_SHARED: &str = "rolehop_imds_shared";

/// The keys rolehop reads.
pub(super) const KNOWN: [&str; 14] = [
    ROLE_ARN,
    SOURCE_PROFILE,
    CREDENTIAL_SOURCE,
    EXTERNAL_ID,
    EXTERNAL_ID_ENV,
    SESSION_NAME,
    DURATION,
    TAGS,
    TRANSITIVE,
    SOURCE_IDENTITY,
    POLICY,
    POLICY_FILE,
    POLICY_ARNS,
    IMDS_SHARED,
];

/// Keys of the AWS config syntax that rolehop leaves alone, even when they look like its own.
pub(super) const AWS_KEYS: &[&str] = &[
    "region",
    "output",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_account_id",
    "mfa_serial",
    "credential_process",
    "web_identity_token_file",
    "ca_bundle",
    "endpoint_url",
    "services",
    "s3",
    "sts_regional_endpoints",
    "retry_mode",
    "max_attempts",
    "parameter_validation",
    "tcp_keepalive",
    "use_fips_endpoint",
    "use_dualstack_endpoint",
    "metadata_service_timeout",
    "metadata_service_num_attempts",
    "ec2_metadata_service_endpoint",
    "ec2_metadata_service_endpoint_mode",
    "ec2_metadata_v1_disabled",
    "api_versions",
    "defaults_mode",
    "endpoint_discovery_enabled",
    "ignore_configured_endpoint_urls",
    "sdk_ua_app_id",
    "request_min_compression_size_bytes",
    "disable_request_compression",
    "account_id_endpoint_mode",
    "sigv4a_signing_region_set",
    "auth_scheme_preference",
    "request_checksum_calculation",
    "response_checksum_validation",
    "login_session",
];

/// A key rolehop does not read: `None` to ignore it, or why it looks like a mistake.
pub(super) fn unknown_key_problem(key: &str) -> Option<String> {
    if AWS_KEYS.contains(&key) || key.starts_with("sso_") || key.starts_with("cli_") {
        return None;
    }
    let closest = KNOWN
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .min()
        .filter(|(d, k)| *d <= 2 || (key.starts_with("rolehop") && k.starts_with("rolehop")));
    let key = shown(key);
    match closest {
        Some((_, known)) => Some(format!("unknown key `{key}`; did you mean `{known}`?")),
        None if key.starts_with("rolehop") => Some(format!(
            "unknown rolehop key `{key}`; rolehop's keys are {}",
            KNOWN
                .iter()
                .filter(|k| k.starts_with("rolehop"))
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => None,
    }
}

/// A key as errors show it: at most 64 characters, so a runaway line cannot flood the log.
pub(super) fn shown(key: &str) -> String {
    match key.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &key[..cut]),
        None => key.to_owned(),
    }
}
