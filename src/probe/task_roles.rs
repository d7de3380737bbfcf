//! `check --task-definition FILE --online`: the policies of the definition's task role and
//! execution role as IAM shows them, for the checks that decide on them (ECS Exec's
//! `ssmmessages` actions, `logs:CreateLogGroup` for `awslogs-create-group`) when no
//! `--identity-policy` or `--execution-role-policy` is given. Read with this environment's own
//! credentials (the same source `serve` would use: the task role in a task, the SDK's default
//! chain elsewhere): `iam:GetRole` (the role exists, in the account these credentials see),
//! then `iam:ListRolePolicies`/`GetRolePolicy` and `ListAttachedRolePolicies`/`GetPolicy`/
//! `GetPolicyVersion`. IAM answers only about roles of the caller's own account; what it
//! refuses is [`RolePolicies::Unread`] with IAM's error code, never a guess.

use serde_json::Value;

use super::StartError;
use super::iam::{read_identity_policies, read_role};
use crate::check::role_policies::RolePolicies;
use crate::source::{Source, SourceKind};

/// The task role's and the execution role's policies of the task definition `text`, read from
/// IAM; `None` for a role the definition does not name.
pub async fn read(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<RolePolicies>, Option<RolePolicies>) {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return (None, None); // ecs::task_definition reports the broken JSON
    };
    let td = value.get("taskDefinition").unwrap_or(&value);
    let arn_of = |field: &str| {
        td.get(field)
            .and_then(Value::as_str)
            .filter(|arn| crate::check::arns::role_arn_problem(arn).is_none())
            .map(str::to_owned)
    };
    let (task, execution) = (arn_of("taskRoleArn"), arn_of("executionRoleArn"));
    if task.is_none() && execution.is_none() {
        return (None, None);
    }
    let reader = match Reader::new(env).await {
        Ok(r) => r,
        Err(why) => {
            let unread = |arn: &Option<String>| {
                arn.as_ref().map(|_| {
                    RolePolicies::Unread(format!(
                        "rolehop could not read IAM ({why}); give the policies as files"
                    ))
                })
            };
            return (unread(&task), unread(&execution));
        }
    };
    let task_policies = match &task {
        Some(arn) => Some(reader.policies(arn, "--identity-policy").await),
        None => None,
    };
    let execution_policies = match &execution {
        Some(arn) => Some(reader.policies(arn, "--execution-role-policy").await),
        None => None,
    };
    (task_policies, execution_policies)
}

/// This environment's credentials and the SDK settings to call IAM with.
struct Reader {
    sdk: aws_config::SdkConfig,
    creds: crate::credentials::Credentials,
    /// GetCallerIdentity's ARN, for messages.
    who: String,
}

impl Reader {
    async fn new(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, StartError> {
        let sdk = crate::source::sdk_config().await?;
        let kind = SourceKind::detect(env)?;
        let source = Source::new(kind, sdk.credentials_provider())?;
        let creds = crate::fetch::Fetch::fetch(&source).await?;
        let who = super::whoami(&sdk, &creds)
            .await
            .map_err(StartError::Identity)?;
        Ok(Self { sdk, creds, who })
    }

    /// One role's policies, or IAM's refusal with the flag that gives them instead.
    async fn policies(&self, arn: &str, flag: &str) -> RolePolicies {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let unread = |why: super::read_error::ReadError| {
            RolePolicies::Unread(format!(
                "IAM would not show them to {} ({why}); give them with {flag}",
                self.who
            ))
        };
        let account = crate::arn::account_field(arn).unwrap_or_default();
        if crate::arn::account_field(&self.who) != Some(account) {
            return RolePolicies::Unread(format!(
                "this environment's credentials act as {}, and IAM shows only the roles of their own account, not {account}'s; give them with {flag}, or run with credentials of {account}",
                self.who
            ));
        }
        if let Err(why) = read_role(&self.sdk, name, &[("this environment's", &self.creds)]).await {
            return unread(why);
        }
        match read_identity_policies(&self.sdk, &self.creds, name).await {
            Ok(files) => RolePolicies::FromIam {
                role: name.to_owned(),
                files,
            },
            Err(why) => unread(why),
        }
    }
}
