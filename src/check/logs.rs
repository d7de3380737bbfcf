//! What a task definition's log configuration needs from its execution role, decided against
//! the execution role's policies (`check --task-definition FILE --execution-role-policy FILE`).
//!
//! The platform rule, as data in [`NEEDS`] with its source: with the awslogs driver and
//! `awslogs-create-group` set to `true`, the execution role must be allowed
//! `logs:CreateLogGroup`, or the task stops with an access denial on the log group unless the
//! group already exists. The Service Authorization Reference gives the log-group resource as
//! `arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME`, while AWS's own policies commonly grant it
//! on `...:log-group:NAME:*`; the two disagree, so a grant on either form passes.

use serde_json::Value;

use super::container_def;
use super::eval::{self, Context, Request, Tri};
use super::findings::{Finding, FindingId, Status};
use super::policy::{self, Kind, Policy};
use super::role_policies::RolePolicies;

/// (log driver, option, value that needs it, action, source).
pub const NEEDS: &[(&str, &str, &str, &str, &str)] = &[(
    "awslogs",
    "awslogs-create-group",
    "true",
    "logs:CreateLogGroup",
    "Amazon ECS Developer Guide, \"Send Amazon ECS logs to CloudWatch\" (using_awslogs.html): awslogs-create-group requires the logs:CreateLogGroup permission",
)];

/// The log group ARN (`arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME`) of an awslogs group.
pub fn log_group_arn(partition: &str, region: &str, account: &str, group: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{group}")
}

/// (container name, log driver, options) of every container with a log configuration.
fn log_configurations(td: &Value) -> Vec<(String, String, Value)> {
    container_def::containers(td)
        .into_iter()
        .filter_map(|c| {
            let config = c.get("logConfiguration")?;
            Some((
                c.get("name")?.as_str()?.to_owned(),
                config.get("logDriver")?.as_str()?.to_owned(),
                config.get("options").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect()
}

/// Whether `policies` allow `action` on any of `resources` (an explicit deny wins).
fn allowed(policies: &[&Policy], action: &str, resources: &[String]) -> Tri {
    let context = Context::default();
    let mut result = Tri::False;
    for resource in resources {
        let request = Request {
            action,
            resource,
            caller: None,
            context: &context,
        };
        let group = eval::evaluate_group(policies, &request);
        let one = group.deny.negate().and(group.allow);
        result = result.or(one);
    }
    result
}

/// One finding per container whose log configuration needs a permission: PASS when the
/// execution role's `policies` (given, or read from IAM) grant it, FAIL when they do not,
/// UNKNOWN when they were not read.
pub fn execution_role_permissions(file: &str, text: &str, policies: &RolePolicies) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports the broken JSON.
    };
    let execution_role = td
        .get("executionRoleArn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let partition = execution_role.split(':').nth(1).unwrap_or("aws");
    let account = eval::account_of(execution_role);
    let mut out = Vec::new();
    let origin = policies.origin();
    let parsed: Vec<Policy> = policies
        .files()
        .iter()
        .filter_map(|(name, text)| {
            let (p, findings) = policy::parse(text, name, Kind::Identity);
            out.extend(findings);
            p
        })
        .collect();
    let refs: Vec<&Policy> = parsed.iter().collect();
    for (container, driver, options) in log_configurations(&td) {
        for (need_driver, option, value, action, source) in NEEDS {
            if driver != *need_driver || options.get(option).and_then(Value::as_str) != Some(value)
            {
                continue;
            }
            let group = options
                .get("awslogs-group")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let region = options
                .get("awslogs-region")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let arn = log_group_arn(partition, region, account, group);
            let why = format!(
                "{file}: container {container} sets {option}: {value}, so its execution role {execution_role} needs {action} on {arn} ({source})"
            );
            let (status, message) = if let Some(unread) = policies.unread() {
                (Status::Unknown, format!("{why}; {unread}"))
            } else if parsed.len() < policies.files().len() {
                (
                    Status::Unknown,
                    format!("{why}; not every one of {origin} is a policy rolehop can read"),
                )
            } else {
                match allowed(&refs, action, &[arn.clone(), format!("{arn}:*")]) {
                    Tri::True => (Status::Pass, format!("{why}, and {origin} allow it")),
                    Tri::Unknown => (
                        Status::Unknown,
                        format!(
                            "{why}; {origin} allow it only under conditions rolehop cannot decide offline"
                        ),
                    ),
                    Tri::False => (
                        Status::Fail,
                        format!(
                            "{why}, and {origin} do not allow it; add an Allow of {action} on {arn} to the execution role (rolehop setup writes it as execution-role-logs-policy.json), or create the log group first and drop {option}"
                        ),
                    ),
                }
            };
            out.push(Finding::new(FindingId::EcsLogPermissions, status, message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = r#"{"executionRoleArn": "arn:aws:iam::111122223333:role/ecsTaskExecutionRole",
      "containerDefinitions": [{"name": "rolehop", "logConfiguration": {"logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/x", "awslogs-region": "us-east-1",
                    "awslogs-create-group": "true", "awslogs-stream-prefix": "rolehop"}}}]}"#;

    fn statuses(policies: &[&str]) -> Vec<Status> {
        let given: Vec<(String, String)> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{i}.json"), (*p).to_owned()))
            .collect();
        let given = RolePolicies::given("--execution-role-policy", given);
        execution_role_permissions("td.json", TD, &given)
            .iter()
            .filter(|f| f.id == FindingId::EcsLogPermissions)
            .map(|f| f.status)
            .collect()
    }

    #[test]
    fn create_group_needs_create_log_group_from_the_execution_role() {
        let read_only = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#;
        let scoped = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "logs:CreateLogGroup",
            "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/x:*"}]}"#;
        let denied = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Action": "logs:*", "Resource": "*"}]}"#;
        assert_eq!(statuses(&[]), [Status::Unknown]);
        assert_eq!(statuses(&[read_only]), [Status::Fail]);
        assert_eq!(statuses(&[read_only, scoped]), [Status::Pass]);
        assert_eq!(statuses(&[scoped, denied]), [Status::Fail]);
        let other_group = scoped.replace("/ecs/x", "/ecs/y");
        assert_eq!(statuses(&[&other_group]), [Status::Fail]);
        // A policy rolehop cannot read (IAM's document as moto's CloudFormation stores it)
        // leaves the decision open rather than failing on the others alone.
        assert_eq!(
            statuses(&[read_only, "{'Version': '2012-10-17'}"]),
            [Status::Unknown]
        );
    }

    #[test]
    fn the_message_says_where_the_policies_came_from() {
        let read = RolePolicies::FromIam {
            role: "ecsTaskExecutionRole".into(),
            files: Vec::new(),
        };
        let f = execution_role_permissions("td.json", TD, &read);
        assert_eq!(f[0].status, Status::Fail);
        assert!(
            f[0].message
                .contains("the policies IAM shows on ecsTaskExecutionRole (none) do not allow it"),
            "{}",
            f[0].message
        );
    }
}
