//! The SCPs of an account as AWS Organizations shows them to the caller's credentials:
//! DescribeOrganization (refused with AWSOrganizationsNotInUseException outside any
//! organization), ListParents up to the root, then ListPoliciesForTarget and DescribePolicy
//! for the root, each OU and the account, one level each, as `--scp` files hold them. The
//! calls have STS's bounds (no retries, its timeouts). Where they are refused, the command an
//! administrator of the organization runs instead.

use aws_config::SdkConfig;

use super::File;
use super::read_error::ReadError;
#[cfg(feature = "iam")]
use crate::chain;
use crate::credentials::Credentials;

/// What Organizations says about the SCPs of an account.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(super) enum Scps {
    /// One level per step of the account's path, the root first and the account last.
    Levels(Vec<File>),
    /// The account is in no organization, so no SCP applies.
    NoOrganization,
    /// A call was refused or failed: why.
    Unread(ReadError),
}

#[cfg(feature = "iam")]
fn organizations(sdk: &SdkConfig, creds: &Credentials) -> aws_sdk_organizations::Client {
    // STS's bounds (no retries, connect and attempt timeouts): a refusal answers fast, and a
    // silent endpoint does not hold the check.
    let config = aws_sdk_organizations::config::Builder::from(sdk)
        .credentials_provider(creds.to_sdk("rolehop-check"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(chain::STS_CONNECT_TIMEOUT)
                .operation_attempt_timeout(chain::STS_ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    aws_sdk_organizations::Client::from_conf(config)
}

/// The organization of the caller's account, for `aws:PrincipalOrgID`
/// (`organizations:DescribeOrganization`, which any member account may call) and
/// `aws:PrincipalOrgPaths` (`organizations:ListParents` up to the root, which only the
/// management account or a delegated administrator may call: Organizations API Reference,
/// ListParents).
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(super) enum Organization {
    Member {
        id: String,
        /// The account's parents from the OU it is attached to up to the root, or why
        /// ListParents could not be walked.
        parents: Result<Vec<Parent>, ReadError>,
    },
    /// AWSOrganizationsNotInUseException: the account is in no organization.
    None,
    /// The call was refused or failed: why.
    Unread(ReadError),
}

/// `aws:PrincipalOrgPaths` of an account in organization `org` under `parents`, nearest first
/// (as ListParents walks them: the OU the account is attached to, ..., the root): the
/// organization, root and OUs down to that OU, each followed by `/` (`o-ID/r-ROOT/ou-A/ou-B/`):
/// IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgPaths, whose
/// `StringEquals` example matches "principals in accounts that are attached directly to" the
/// OU the path ends with.
pub(super) fn org_path(org: &str, parents: &[Parent]) -> String {
    let mut path = format!("{org}/");
    for parent in parents.iter().rev() {
        path.push_str(&parent.id);
        path.push('/');
    }
    path
}

/// One step of an account's way up to its root.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(super) struct Parent {
    pub(super) id: String,
    pub(super) is_root: bool,
}

#[cfg_attr(not(feature = "iam"), allow(dead_code))]
impl Parent {
    fn label(&self) -> String {
        if self.is_root {
            format!("root {}", self.id)
        } else {
            format!("OU {}", self.id)
        }
    }
}

#[cfg(feature = "iam")]
/// The parents of `account` from the one it is attached to up to the root
/// (`organizations:ListParents`, once per level; an OU path is at most five deep).
async fn parents(
    client: &aws_sdk_organizations::Client,
    account: &str,
) -> Result<Vec<Parent>, ReadError> {
    use aws_sdk_organizations::types::ParentType;
    let mut parents: Vec<Parent> = Vec::new();
    let mut child = account.to_owned();
    for _ in 0..8 {
        let listed = match client.list_parents().child_id(&child).send().await {
            Ok(out) => out.parents.unwrap_or_default(),
            Err(e) => {
                return Err(ReadError::sdk(
                    format_args!("organizations:ListParents {child}"),
                    e,
                ));
            }
        };
        let Some(parent) = listed.into_iter().next() else {
            return Err(ReadError::empty(format!(
                "organizations:ListParents {child} named no parent"
            )));
        };
        let parent = Parent {
            id: parent.id.unwrap_or_default(),
            is_root: parent.r#type == Some(ParentType::Root),
        };
        let done = parent.is_root;
        child = parent.id.clone();
        parents.push(parent);
        if done {
            return Ok(parents);
        }
    }
    Err(ReadError::empty(format!(
        "organizations:ListParents did not reach the root from account {account}"
    )))
}

#[cfg(feature = "iam")]
/// The organization `creds` act in, and the path of their `account` in it.
pub(super) async fn describe_organization(
    sdk: &SdkConfig,
    creds: &Credentials,
    account: &str,
) -> Organization {
    let client = organizations(sdk, creds);
    match client.describe_organization().send().await {
        Ok(out) => match out.organization.and_then(|o| o.id) {
            Some(id) => Organization::Member {
                id,
                parents: parents(&client, account).await,
            },
            None => Organization::Unread(ReadError::empty(
                "organizations:DescribeOrganization returned no organization id",
            )),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_aws_organizations_not_in_use_exception()) =>
        {
            Organization::None
        }
        Err(e) => Organization::Unread(ReadError::sdk("organizations:DescribeOrganization", e)),
    }
}

#[cfg(not(feature = "iam"))]
pub(super) async fn describe_organization(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _account: &str,
) -> Organization {
    Organization::Unread(ReadError::not_built())
}

#[cfg(feature = "iam")]
/// The SCPs of `account` in `org` (its organization and parents, as [`describe_organization`]
/// read them once for the hop), with `creds`: ListPoliciesForTarget and DescribePolicy for
/// the root, each OU and the account.
pub(super) async fn read_scps(
    sdk: &SdkConfig,
    creds: &Credentials,
    account: &str,
    org: &Organization,
) -> Scps {
    use aws_sdk_organizations::types::PolicyType;
    let parents = match org {
        Organization::None => return Scps::NoOrganization,
        Organization::Unread(why)
        | Organization::Member {
            parents: Err(why), ..
        } => {
            return Scps::Unread(why.clone());
        }
        Organization::Member {
            parents: Ok(parents),
            ..
        } => parents,
    };
    let client = organizations(sdk, creds);
    // The account's path, the account first.
    let mut path = vec![(format!("account {account}"), account.to_owned())];
    path.extend(parents.iter().map(|p| (p.label(), p.id.clone())));
    let mut levels = Vec::new();
    for (label, target) in path.iter().rev() {
        let mut summaries = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .set_next_token(token.take())
                .send()
                .await;
            match page {
                Ok(out) => {
                    summaries.extend(out.policies.unwrap_or_default());
                    token = out.next_token;
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    return Scps::Unread(ReadError::sdk(
                        format_args!("organizations:ListPoliciesForTarget {target}"),
                        e,
                    ));
                }
            }
        }
        let mut names = Vec::new();
        let mut documents = Vec::new();
        for summary in summaries {
            let id = summary.id.unwrap_or_default();
            let described = match client.describe_policy().policy_id(&id).send().await {
                Ok(out) => out.policy,
                Err(e) => {
                    return Scps::Unread(ReadError::sdk(
                        format_args!("organizations:DescribePolicy {id}"),
                        e,
                    ));
                }
            };
            let Some(content) = described.and_then(|p| p.content) else {
                return Scps::Unread(ReadError::empty(format!(
                    "organizations:DescribePolicy {id} returned no content"
                )));
            };
            names.push(format!("{} ({id})", summary.name.unwrap_or_default()));
            documents.push(content);
        }
        // Within a level the documents combine as one policy: a JSON array of them, as an
        // `--scp` file holds them.
        levels.push((
            format!(
                "the SCPs of {label} read from Organizations: [{}]",
                names.join(", ")
            ),
            format!("[{}]", documents.join(",")),
        ));
    }
    Scps::Levels(levels)
}

#[cfg(not(feature = "iam"))]
pub(super) async fn read_scps(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _account: &str,
    _org: &Organization,
) -> Scps {
    Scps::Unread(ReadError::not_built())
}

/// The command an administrator of the organization runs to hand `check` the SCPs of an
/// account, one file per level of its path.
pub(super) fn scp_command(account: &str) -> String {
    format!(
        "for T in $(aws organizations list-parents --child-id {account} --query 'Parents[].Id' --output text) {account}; do aws organizations list-policies-for-target --target-id $T --filter SERVICE_CONTROL_POLICY --query 'Policies[].Id' --output text; done, then aws organizations describe-policy --policy-id P --query Policy.Content --output text > scp-LEVEL.json for each (the root first, the account last), and rerun with --scp scp-1.json --scp scp-2.json ..."
    )
}
