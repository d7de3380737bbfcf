//! The task's log group and what the execution role needs for it: the task definition's
//! containers log with awslogs to `/ecs/FAMILY` and set `awslogs-create-group`, so the execution
//! role gets `logs:CreateLogGroup` on exactly that group (the rule is
//! [`crate::check::logs::NEEDS`]; `verify` holds the written files to it).

use serde_json::{Value, json};

use super::Setup;
use super::shell::quote;
use crate::check::logs::log_group_arn;

pub const LOGS_POLICY_FILE: &str = "execution-role-logs-policy.json";
/// The execution role's inline policy that lets it create the task's log group.
pub const LOGS_POLICY_NAME: &str = "rolehop-create-log-group";

/// The awslogs group every container of the task logs to.
pub fn log_group(setup: &Setup) -> String {
    format!("/ecs/{}", setup.family)
}

/// Lets the execution role create the task's log group (and no other).
pub fn create_log_group_policy(setup: &Setup) -> Value {
    let arn = log_group_arn(
        setup.partition(),
        &setup.region,
        setup.account(),
        &log_group(setup),
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CreateTheTaskLogGroup",
            "Effect": "Allow",
            "Action": "logs:CreateLogGroup",
            "Resource": [arn.clone(), format!("{arn}:*")],
        }],
    })
}

/// The `commands.sh` line that puts it on the execution role.
pub fn put_line(setup: &Setup) -> String {
    format!(
        "    put_policy \"$SOURCE_PROFILE\" {} {} {LOGS_POLICY_FILE}\n",
        quote(setup.execution_role.name()),
        quote(LOGS_POLICY_NAME)
    )
}
