//! What IAM shows about the roles of a probed hop: a role's trust policy, MaxSessionDuration,
//! ARN (with its path) and permissions boundary (`iam:GetRole`), and the calling role's inline
//! and attached managed policies, read with the first credentials allowed to. IAM returns
//! documents URL-encoded. Without the `iam` feature (the fuzz build) nothing is read and each
//! read says why.

use aws_config::SdkConfig;

use super::File;
use super::read_error::ReadError;
#[cfg(feature = "iam")]
use super::read_error::ReadErrorKind;
use crate::credentials::Credentials;

#[cfg_attr(not(feature = "iam"), allow(dead_code))]
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// IAM returns policy documents URL-encoded.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(super) fn policy_text(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        raw.to_owned()
    } else {
        percent_decode(raw)
    }
}

#[cfg(feature = "iam")]
fn iam(sdk: &SdkConfig, creds: &Credentials) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::config::Builder::from(sdk)
        .credentials_provider(creds.to_sdk("rolehop-check"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// What `iam:GetRole` tells about a role.
#[derive(Debug, Clone)]
pub(super) struct RoleInfo {
    pub trust: String,
    pub max_session_duration: Option<i32>,
    /// With its path, as `aws:PrincipalArn` holds it.
    pub arn: String,
    pub boundary_arn: Option<String>,
}

#[cfg(feature = "iam")]
/// A role's trust policy, MaxSessionDuration, ARN and boundary, read with the first credentials
/// allowed to.
pub(super) async fn read_role(
    sdk: &SdkConfig,
    name: &str,
    tries: &[(&str, &Credentials)],
) -> Result<RoleInfo, ReadError> {
    let mut refusals = Vec::new();
    for (who, creds) in tries {
        match iam(sdk, creds).get_role().role_name(name).send().await {
            Ok(out) => {
                let role = out
                    .role
                    .ok_or_else(|| ReadError::empty("GetRole returned no role"))?;
                let trust = role
                    .assume_role_policy_document
                    .map(|d| policy_text(&d))
                    .ok_or_else(|| ReadError::empty("the role has no trust policy"))?;
                return Ok(RoleInfo {
                    trust,
                    max_session_duration: role.max_session_duration,
                    arn: role.arn,
                    boundary_arn: role
                        .permissions_boundary
                        .and_then(|b| b.permissions_boundary_arn),
                });
            }
            Err(e) => {
                let missing = e
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception());
                let refused =
                    ReadError::sdk(format_args!("iam:GetRole with the {who} credentials"), e);
                refusals.push(if missing {
                    refused.of_kind(ReadErrorKind::NoSuchEntity)
                } else {
                    refused
                });
            }
        }
    }
    Err(ReadError::every(refusals))
}

#[cfg(feature = "iam")]
/// A managed policy's default version.
async fn read_managed(client: &aws_sdk_iam::Client, arn: &str) -> Result<String, ReadError> {
    let meta = client
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| ReadError::sdk(format_args!("iam:GetPolicy {arn}"), e))?;
    let version = meta
        .policy
        .and_then(|p| p.default_version_id)
        .unwrap_or_else(|| "v1".into());
    let doc = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| ReadError::sdk(format_args!("iam:GetPolicyVersion {arn}"), e))?;
    doc.policy_version
        .and_then(|v| v.document)
        .map(|d| policy_text(&d))
        .ok_or_else(|| ReadError::empty(format!("iam:GetPolicyVersion {arn} returned no document")))
}

#[cfg(feature = "iam")]
pub(super) async fn read_boundary(
    sdk: &SdkConfig,
    creds: &Credentials,
    arn: &str,
) -> Result<String, ReadError> {
    read_managed(&iam(sdk, creds), arn).await
}

#[cfg(feature = "iam")]
/// The source role's inline and attached managed policies, one file each.
pub(super) async fn read_identity_policies(
    sdk: &SdkConfig,
    creds: &Credentials,
    role_name: &str,
) -> Result<Vec<File>, ReadError> {
    let client = iam(sdk, creds);
    let mut files = Vec::new();
    let inline = client
        .list_role_policies()
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| ReadError::sdk("iam:ListRolePolicies", e))?;
    for name in inline.policy_names {
        let p = client
            .get_role_policy()
            .role_name(role_name)
            .policy_name(&name)
            .send()
            .await
            .map_err(|e| ReadError::sdk(format_args!("iam:GetRolePolicy {name}"), e))?;
        files.push((
            format!("inline policy {name} of {role_name}"),
            policy_text(&p.policy_document),
        ));
    }
    let attached = client
        .list_attached_role_policies()
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| ReadError::sdk("iam:ListAttachedRolePolicies", e))?;
    for policy in attached.attached_policies.unwrap_or_default() {
        let Some(arn) = policy.policy_arn else {
            continue;
        };
        files.push((
            format!("managed policy {arn}"),
            read_managed(&client, &arn).await?,
        ));
    }
    Ok(files)
}

#[cfg(feature = "iam")]
/// A role's IAM tags (`iam:ListRoleTags`, every page): what `aws:PrincipalTag/*` holds for its
/// sessions, under their session tags.
pub(super) async fn read_role_tags(
    sdk: &SdkConfig,
    creds: &Credentials,
    role_name: &str,
) -> Result<Vec<(String, String)>, ReadError> {
    let client = iam(sdk, creds);
    let mut tags = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .list_role_tags()
            .role_name(role_name)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| ReadError::sdk(format_args!("iam:ListRoleTags {role_name}"), e))?;
        tags.extend(page.tags.into_iter().map(|t| (t.key, t.value)));
        match page.marker {
            Some(next) if page.is_truncated => marker = Some(next),
            _ => break,
        }
    }
    Ok(tags)
}

#[cfg(not(feature = "iam"))]
pub(super) async fn read_role(
    _sdk: &SdkConfig,
    _name: &str,
    _tries: &[(&str, &Credentials)],
) -> Result<RoleInfo, ReadError> {
    Err(ReadError::not_built())
}

#[cfg(not(feature = "iam"))]
pub(super) async fn read_identity_policies(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _role_name: &str,
) -> Result<Vec<File>, ReadError> {
    Err(ReadError::not_built())
}

#[cfg(not(feature = "iam"))]
pub(super) async fn read_role_tags(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _role_name: &str,
) -> Result<Vec<(String, String)>, ReadError> {
    Err(ReadError::not_built())
}

#[cfg(not(feature = "iam"))]
pub(super) async fn read_boundary(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _arn: &str,
) -> Result<String, ReadError> {
    Err(ReadError::not_built())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_documents_are_url_decoded() {
        assert_eq!(policy_text("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(policy_text("{\"a\": 1}"), "{\"a\": 1}");
    }
}
