//! The credential value rolehop hands out, and its wire forms.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` never show the value. The ECS
//! container-credentials JSON (REFERENCE 2) is produced here; timestamps are always whole-second
//! UTC with a `Z` suffix so the strictest client parsers (botocore's IMDS provider) accept them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

const REDACTED: &str = "** redacted **";

/// A string that must never be printed: secret keys, session tokens, auth tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the few places that must send it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// So flags and variables that carry a secret (`--external-id`, `ROLEHOP_CONFIG_TEXT`) are
/// parsed straight into one and never sit in a `String` that `Debug` would print.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// One set of AWS credentials, as fetched from the source or returned by STS.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// `None` only for long-lived keys from a laptop's default chain; STS always sets it.
    pub expiration: Option<SystemTime>,
    /// The role these credentials act as, when known.
    pub role_arn: Option<String>,
    pub account_id: Option<String>,
    /// When rolehop received them (IMDS `LastUpdated`).
    pub fetched_at: Option<SystemTime>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &REDACTED)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration.map(format_utc))
            .field("role_arn", &self.role_arn)
            .field("account_id", &self.account_id)
            .field("fetched_at", &self.fetched_at.map(format_utc))
            .finish()
    }
}

impl Credentials {
    /// Time left before expiry at `now`; `None` for credentials that never expire.
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expiration
            .map(|exp| exp.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// True when these credentials stay valid for more than `min_left` after `now`.
    pub fn valid_for(&self, now: SystemTime, min_left: Duration) -> bool {
        self.remaining(now).is_none_or(|left| left > min_left)
    }

    /// The ECS container-credentials response body (REFERENCE 2).
    /// [`Credentials::to_ecs_json`] as the ECS route's body (a cell's [`crate::cache::Render`]).
    pub fn ecs_body(&self) -> bytes::Bytes {
        bytes::Bytes::from(self.to_ecs_json())
    }

    pub fn to_ecs_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Ecs<'a> {
            access_key_id: &'a str,
            secret_access_key: &'a str,
            token: &'a str,
            expiration: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            role_arn: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            account_id: Option<&'a str>,
        }
        let body = Ecs {
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            token: self.session_token.as_ref().map_or("", Secret::expose),
            expiration: self.expiration.map(format_utc).unwrap_or_default(),
            role_arn: self.role_arn.as_deref(),
            account_id: self.account_id.as_deref(),
        };
        serde_json::to_vec(&body).expect("serialising plain strings cannot fail")
    }

    /// The IMDS `security-credentials/{role}` body (REFERENCE 3); timestamps strictly
    /// `%Y-%m-%dT%H:%M:%SZ`, as botocore parses them.
    pub fn to_imds_json(&self, now: SystemTime) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Imds<'a> {
            code: &'a str,
            last_updated: String,
            #[serde(rename = "Type")]
            kind: &'a str,
            access_key_id: &'a str,
            secret_access_key: &'a str,
            token: &'a str,
            expiration: String,
        }
        let body = Imds {
            code: "Success",
            last_updated: format_utc(self.fetched_at.unwrap_or(now)),
            kind: "AWS-HMAC",
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            token: self.session_token.as_ref().map_or("", Secret::expose),
            expiration: self.expiration.map(format_utc).unwrap_or_default(),
        };
        serde_json::to_vec(&body).expect("serialising plain strings cannot fail")
    }

    /// The `credential_process` output (REFERENCE 4): Version 1 with `Expiration`.
    pub fn to_process_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Process<'a> {
            version: u8,
            access_key_id: &'a str,
            secret_access_key: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            session_token: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            expiration: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            account_id: Option<&'a str>,
        }
        let body = Process {
            version: 1,
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            session_token: self.session_token.as_ref().map(Secret::expose),
            expiration: self.expiration.map(format_utc),
            account_id: self.account_id.as_deref(),
        };
        serde_json::to_vec(&body).expect("serialising plain strings cannot fail")
    }

    /// Reads an ECS container-credentials body (what rolehop itself serves) or a
    /// `credential_process` body (the standalone cache): keys matched case-insensitively,
    /// `Token` or `SessionToken`, as aws-config does.
    pub fn from_json(body: &[u8]) -> Result<Self, CredentialsJsonError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(CredentialsJsonError::NotJson)?;
        let object = value.as_object().ok_or(CredentialsJsonError::NotAnObject)?;
        let field = |name: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let access_key_id =
            field("AccessKeyId").ok_or(CredentialsJsonError::Missing("AccessKeyId"))?;
        let secret =
            field("SecretAccessKey").ok_or(CredentialsJsonError::Missing("SecretAccessKey"))?;
        let expiration = match field("Expiration") {
            Some(raw) => Some(
                parse_utc(&raw).ok_or_else(|| CredentialsJsonError::BadExpiration(raw.clone()))?,
            ),
            None => None,
        };
        Ok(Self {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: field("Token")
                .or_else(|| field("SessionToken"))
                .map(Secret::new),
            expiration,
            role_arn: field("RoleArn"),
            account_id: field("AccountId"),
            fetched_at: None,
        })
    }

    pub fn from_sdk(creds: &aws_credential_types::Credentials) -> Self {
        Self {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: Secret::new(creds.secret_access_key()),
            session_token: creds.session_token().map(Secret::new),
            expiration: creds.expiry(),
            role_arn: None,
            account_id: creds.account_id().map(|id| id.as_str().to_owned()),
            fetched_at: None,
        }
    }

    pub fn to_sdk(&self, provider_name: &'static str) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_owned(),
            self.session_token.as_ref().map(|t| t.expose().to_owned()),
            self.expiration,
            provider_name,
        )
    }
}

/// Why a body holds no credential [`Credentials::from_json`] can read. Never holds a value of
/// the body but the expiration's.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsJsonError {
    #[error("the body is not JSON ({0})")]
    NotJson(#[source] serde_json::Error),
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("Expiration `{0}` is not an RFC 3339 time")]
    BadExpiration(String),
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ` in UTC, truncated to whole seconds.
pub fn format_utc(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64) - i64::from(e.duration().subsec_nanos() > 0),
    };
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Parses an RFC 3339 timestamp (as the SDKs accept it).
pub fn parse_utc(raw: &str) -> Option<SystemTime> {
    let parsed =
        aws_smithy_types::DateTime::from_str(raw, aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
    SystemTime::try_from(parsed).ok()
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLEKEYID".into(),
            secret_access_key: Secret::new("secret-marker-value"),
            session_token: Some(Secret::new("token-marker-value")),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(1_795_363_445)),
            role_arn: Some("arn:aws:iam::555566667777:role/destination-account-role".into()),
            account_id: Some("555566667777".into()),
            fetched_at: Some(UNIX_EPOCH + Duration::from_secs(1_795_361_645)),
        }
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_millis(951_782_400_999)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(1_795_363_445)),
            "2026-11-22T16:04:05Z"
        );
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59Z"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let shown = format!("{:?} {}", sample(), sample().secret_access_key);
        assert!(!shown.contains("marker"), "{shown}");
        assert!(!shown.contains("ASIAEXAMPLEKEYID"), "{shown}");
        assert!(shown.contains("2026-11-22T16:04:05Z"));
    }

    /// The secret every value below holds; no `Debug` of them may show it.
    const LEAK_MARKER: &str = "debug-leak-marker-7f3a";

    /// What was shown: (which type, its text).
    type Shown = Vec<(&'static str, String)>;

    /// `value` printed with `{:?}` and `{:#?}`.
    fn debug_forms(what: &'static str, value: &impl fmt::Debug) -> Shown {
        vec![(what, format!("{value:?}")), (what, format!("{value:#?}"))]
    }

    /// A config file whose profile passes the marker as its external id.
    fn config_with_marker() -> String {
        format!(
            "[default]\nrole_arn = arn:aws:iam::555566667777:role/r\ncredential_source = EcsContainer\nexternal_id = {LEAK_MARKER}\n"
        )
    }

    /// Every type that holds a secret key, session token, auth token, IMDS key or external id,
    /// built the way rolehop builds it, printed with `{:?}` and `{:#?}`.
    #[test]
    fn every_type_holding_a_secret_debugs_redacted() {
        let shown = [
            secret_and_credentials(),
            tokens_and_server(),
            role_configs(),
            parsed_flags(),
        ]
        .concat();
        for (what, text) in &shown {
            assert!(!text.contains(LEAK_MARKER), "{what} shows a secret: {text}");
        }
        assert_eq!(shown.len(), 28, "every type was shown");
    }

    fn secret_and_credentials() -> Shown {
        let secret = Secret::new(LEAK_MARKER);
        let mut shown = debug_forms("Secret", &secret);
        shown.push(("Secret (Display)", secret.to_string()));
        shown.push(("Secret (Display)", format!("{secret:>40}")));
        // The access key id is not a secret (the SDK's own Debug shows it); rolehop's hides it
        // anyway (`debug_never_shows_secrets`).
        let creds = Credentials {
            secret_access_key: Secret::new(LEAK_MARKER),
            session_token: Some(Secret::new(LEAK_MARKER)),
            ..sample()
        };
        shown.extend(debug_forms("Credentials", &creds));
        shown.extend(debug_forms(
            "aws_credential_types::Credentials",
            &creds.to_sdk("test"),
        ));
        shown
    }

    fn tokens_and_server() -> Shown {
        let token = crate::token::AuthToken::load(
            &crate::token::TokenSource::Env,
            Some(format!("{LEAK_MARKER}-long-enough")),
        )
        .unwrap();
        let mut shown = debug_forms("AuthToken", &token);
        let imds = crate::serve::Imds::new(
            "default".into(),
            false,
            Duration::from_secs(1),
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        let key = imds.key_hex();
        assert!(!format!("{imds:?} {imds:#?}").contains(&key), "Imds key");
        let app = crate::serve::App {
            roles: Default::default(),
            token: token.clone().into(),
            allow_remote: false,
            imds: Some(imds),
            sources: Vec::new(),
            requests: Default::default(),
        };
        shown.extend(debug_forms("App", &app));
        shown
    }

    fn role_configs() -> Shown {
        let in_a_task = |name: &str| {
            (name == crate::source::ENV_RELATIVE_URI).then(|| "/v2/credentials/x".to_owned())
        };
        let roles = crate::config::file::parse(
            &config_with_marker(),
            std::path::Path::new("c"),
            &in_a_task,
        )
        .expect("a valid config");
        let session = crate::session::SessionName::parse("s1").unwrap();
        [
            debug_forms("RoleConfig", &roles),
            debug_forms("Hop", &roles[0].hop(&session)),
        ]
        .concat()
    }

    fn parsed_flags() -> Shown {
        use clap::Parser;
        let parse = |args: &[&str]| crate::cli::Cli::try_parse_from(args).unwrap();
        const ROLE: &str = "arn:aws:iam::555566667777:role/r";
        let serve = parse(&[
            "rolehop",
            "serve",
            "--role-arn",
            ROLE,
            "--external-id",
            LEAK_MARKER,
            "--token-file",
            "/t",
        ]);
        let mut shown = debug_forms("Cli (serve --external-id)", &serve);
        let crate::cli::Command::Serve(args) = &serve.command else {
            panic!("serve parses as serve")
        };
        shown.extend(debug_forms(
            "ServeConfig",
            &crate::config::ServeConfig::from_args(args, &|_| None).unwrap(),
        ));
        let config = config_with_marker();
        let with_text = parse(&[
            "rolehop",
            "serve",
            "--config-text",
            &config,
            "--token-file",
            "/t",
        ]);
        shown.extend(debug_forms("Cli (serve --config-text)", &with_text));
        let check = parse(&[
            "rolehop",
            "check",
            "--role-arn",
            ROLE,
            "--external-id",
            LEAK_MARKER,
        ]);
        shown.extend(debug_forms("Cli (check --external-id)", &check));
        let inputs = crate::check::Inputs {
            external_id: Some(Secret::new(LEAK_MARKER)),
            ..Default::default()
        };
        shown.extend(debug_forms("check::Inputs", &inputs));
        let client = parse(&[
            "rolehop",
            "credential-process",
            "--endpoint",
            "http://127.0.0.1:9911",
        ]);
        let crate::cli::Command::CredentialProcess(args) = &client.command else {
            panic!("credential-process parses as credential-process")
        };
        let env =
            |name: &str| (name == crate::token::ENV_ROLEHOP_TOKEN).then(|| LEAK_MARKER.to_owned());
        let client = crate::client::ClientConfig::from_args(&args.client, &env).unwrap();
        assert!(matches!(client.token, crate::client::ClientToken::Value(_)));
        shown.extend(debug_forms("ClientConfig (ROLEHOP_TOKEN)", &client));
        shown
    }

    #[test]
    fn ecs_json_has_the_fields_botocore_needs() {
        let v: serde_json::Value = serde_json::from_slice(&sample().to_ecs_json()).unwrap();
        assert_eq!(v["AccessKeyId"], "ASIAEXAMPLEKEYID");
        assert_eq!(v["SecretAccessKey"], "secret-marker-value");
        assert_eq!(v["Token"], "token-marker-value");
        assert_eq!(v["Expiration"], "2026-11-22T16:04:05Z");
        assert_eq!(
            v["RoleArn"],
            "arn:aws:iam::555566667777:role/destination-account-role"
        );
        assert_eq!(v["AccountId"], "555566667777");
    }

    #[test]
    fn imds_and_process_json_have_their_exact_fields() {
        let c = sample();
        let imds: serde_json::Value = serde_json::from_slice(&c.to_imds_json(UNIX_EPOCH)).unwrap();
        assert_eq!(
            imds,
            serde_json::json!({
                "Code": "Success", "LastUpdated": "2026-11-22T15:34:05Z", "Type": "AWS-HMAC",
                "AccessKeyId": "ASIAEXAMPLEKEYID", "SecretAccessKey": "secret-marker-value",
                "Token": "token-marker-value", "Expiration": "2026-11-22T16:04:05Z"
            })
        );
        let process: serde_json::Value = serde_json::from_slice(&c.to_process_json()).unwrap();
        assert_eq!(
            process,
            serde_json::json!({
                "Version": 1, "AccessKeyId": "ASIAEXAMPLEKEYID", "SecretAccessKey": "secret-marker-value",
                "SessionToken": "token-marker-value", "Expiration": "2026-11-22T16:04:05Z",
                "AccountId": "555566667777"
            })
        );
    }

    #[test]
    fn json_round_trips_through_both_wire_forms() {
        let c = sample();
        let from_ecs = Credentials::from_json(&c.to_ecs_json()).unwrap();
        let from_process = Credentials::from_json(&c.to_process_json()).unwrap();
        for back in [&from_ecs, &from_process] {
            assert_eq!(back.access_key_id, c.access_key_id);
            assert_eq!(back.secret_access_key, c.secret_access_key);
            assert_eq!(back.session_token, c.session_token);
            assert_eq!(back.expiration, c.expiration);
        }
        assert_eq!(from_ecs.role_arn, c.role_arn);
        let lower = br#"{"accesskeyid":"A","secretaccesskey":"S","sessiontoken":"T","expiration":"2026-11-22T16:04:05.123Z"}"#;
        let parsed = Credentials::from_json(lower).unwrap();
        assert_eq!(parsed.session_token.as_ref().map(Secret::expose), Some("T"));
        assert!(matches!(
            Credentials::from_json(br#"{"AccessKeyId":"A"}"#),
            Err(CredentialsJsonError::Missing("SecretAccessKey"))
        ));
        assert!(matches!(
            Credentials::from_json(
                br#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"}"#
            ),
            Err(CredentialsJsonError::BadExpiration(raw)) if raw == "soon"
        ));
        assert!(matches!(
            Credentials::from_json(b"<html>"),
            Err(CredentialsJsonError::NotJson(_))
        ));
        assert!(matches!(
            Credentials::from_json(b"[]"),
            Err(CredentialsJsonError::NotAnObject)
        ));
    }

    #[test]
    fn validity_is_strictly_more_than_the_minimum() {
        let c = sample();
        let exp = c.expiration.unwrap();
        let min = Duration::from_secs(300);
        assert!(c.valid_for(exp - Duration::from_secs(301), min));
        assert!(!c.valid_for(exp - Duration::from_secs(300), min));
        assert!(!c.valid_for(exp + Duration::from_secs(1), min));
    }
}
