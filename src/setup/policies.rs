//! The IAM documents of a setup, each least privilege: a hop's trust policy names exactly the
//! role before it, requires the external id when one is given, and allows `sts:TagSession` /
//! `sts:SetSourceIdentity` only when rolehop passes tags / a source identity; a service role
//! trusts its one service principal, guarded by `aws:SourceAccount` (confused deputy).

use serde_json::{Value, json};

use super::{ServiceRole, Setup, TokenSecret};
use crate::arn::RoleArn;
use crate::check::action::{StsAction, action_element};
use crate::check::fix::assume_policy_name;
use crate::check::service_role::ServiceRoleKind;

pub const TASK_ROLE_TRUST_FILE: &str = "task-role-trust-policy.json";
pub const EXECUTION_ROLE_POLICY_FILE: &str = "execution-role-policy.json";
/// The execution role's inline policy that lets it read the token secret.
pub const EXECUTION_ROLE_POLICY_NAME: &str = "rolehop-read-token";

/// Hop `index` (0-based)'s suffix: none for the first, `-hop2`, `-hop3`... after it.
fn suffix(index: usize) -> String {
    if index == 0 {
        String::new()
    } else {
        format!("-hop{}", index + 1)
    }
}

/// The trust policy attached to hop `index`.
pub fn trust_file(index: usize) -> String {
    format!("trust-policy{}.json", suffix(index))
}

/// The identity policy attached to the role hop `index` is assumed from.
pub fn identity_file(index: usize) -> String {
    format!("identity-policy{}.json", suffix(index))
}

/// The inline policy name under which an identity policy is put on its role.
pub fn identity_policy_name(hop: &RoleArn) -> String {
    assume_policy_name(hop.name())
}

pub fn service_trust_file(role: &ServiceRole) -> String {
    format!("{}-role-trust-policy.json", role.file_stem)
}

fn actions(setup: &Setup) -> Value {
    action_element(&StsAction::of_call(
        setup.session_tags,
        setup.source_identity.is_some(),
    ))
}

/// What a per-container role's trust policy file holds where the external id goes
/// (`check::isolation` knows it too).
pub use crate::check::isolation::EXTERNAL_ID_PLACEHOLDER;

/// Lets `caller` (exactly that role) assume the role it is attached to, with `external_id` when
/// given.
pub fn trust_policy(setup: &Setup, caller: &RoleArn, external_id: Option<String>) -> Value {
    let mut statement = json!({
        "Sid": "RolehopTrustSourceRole",
        "Effect": "Allow",
        "Principal": {"AWS": caller.as_str()},
        "Action": actions(setup),
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// Lets the role it is attached to assume `hop` (and tag it / set its source identity).
pub fn identity_policy(setup: &Setup, hop: &RoleArn) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RolehopAssumeNextRole",
            "Effect": "Allow",
            "Action": actions(setup),
            "Resource": hop.as_str(),
        }],
    })
}

/// The identity policy of hop `index` (file `identity_file(index)`): the first, which the task
/// role gets, also holds ECS Exec's statement ([`crate::ecs_exec::task_role_statement`]) unless
/// `--no-ecs-exec`, so a session into the task can connect. `commands.sh` and the
/// CloudFormation template both put this document on the role.
pub fn hop_identity_policy(setup: &Setup, index: usize, hop: &RoleArn) -> Value {
    let mut policy = identity_policy(setup, hop);
    if index == 0
        && setup.ecs_exec
        && let Some(statements) = policy["Statement"].as_array_mut()
    {
        statements.push(crate::ecs_exec::task_role_statement());
    }
    policy
}

/// Lets `service` assume the role on behalf of the source account only.
pub fn service_trust_policy(setup: &Setup, service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TrustTheServiceForThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": setup.account()}},
        }],
    })
}

/// Lets the execution role read the token secret, which ECS injects into both containers.
pub fn read_token_policy(setup: &Setup) -> Value {
    let arn = setup.token_secret_arn();
    // Secrets Manager appends `-` and six random characters to a new secret's ARN.
    let resources = match &setup.token_secret {
        _ if setup.per_container() => json!(
            (0..setup.containers.len())
                .flat_map(|i| {
                    [
                        format!("{}-??????", setup.container_secret_arn(i)),
                        format!("{}-??????", setup.external_id_secret_arn(i)),
                    ]
                })
                .collect::<Vec<_>>()
        ),
        TokenSecret::Create { .. } => json!(format!("{arn}-??????")),
        TokenSecret::Existing { .. } => json!([arn.clone(), format!("{arn}-??????")]),
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadTheRolehopToken",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": resources,
        }],
    })
}

/// Lets CodeDeploy pass the task's roles to ECS tasks during a blue/green deployment.
pub fn pass_role_policy(setup: &Setup) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PassTheTaskRolesToEcsTasks",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [setup.source_role.as_str(), setup.execution_role.as_str()],
            "Condition": {"StringEquals": {"iam:PassedToService": ServiceRoleKind::Task.service_principal()}},
        }],
    })
}
