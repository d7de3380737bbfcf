//! ECS's own roles (REFERENCE 8): which service each must trust, the confused-deputy guard on
//! service principals, and the role ARNs a task definition names.

use serde_json::Value;

use super::arns;
use super::container_def;
use super::findings::{Finding, FindingId, Status};
use super::policy::{self, Effect, Kind, Principal};
use super::service_role::ServiceRoleKind;

/// Checks a service role's trust policy against the principal its kind needs.
pub fn service_role_trust(kind: ServiceRoleKind, file: &str, text: &str) -> Vec<Finding> {
    let expected = kind.service_principal();
    let (policy, mut out) = policy::parse(text, file, Kind::Trust);
    let Some(policy) = policy else {
        return out;
    };
    let mut trusted = Vec::new();
    let mut guarded = false;
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Some(Effect::Allow) && !s.not_principal)
    {
        let assumes = s.actions.as_ref().is_some_and(|a| {
            !a.negated
                && a.items
                    .iter()
                    .any(|p| super::eval::glob(p, "sts:AssumeRole", true))
        });
        let services: Vec<String> = match &s.principal {
            Some(Principal::Named(m)) => m.service.clone().unwrap_or_default(),
            Some(Principal::Anyone) => vec!["*".into()],
            None => Vec::new(),
        };
        if assumes && services.iter().any(|p| p == expected) {
            guarded |= s.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                k == "aws:sourceaccount" || k == "aws:sourcearn"
            });
            trusted.push(expected.to_owned());
        } else if assumes {
            trusted.extend(services);
        }
    }
    if trusted.iter().any(|p| p == expected) {
        out.push(Finding::new(
            FindingId::EcsServicePrincipal,
            Status::Pass,
            format!("{file}: the {kind} role trusts {expected}"),
        ));
        if !guarded {
            out.push(Finding::new(
                FindingId::EcsConfusedDeputy,
                Status::Warn,
                format!("{file}: the {kind} role trusts {expected} without an aws:SourceAccount or aws:SourceArn condition, so any account's use of the service could pass it; add \"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"YOUR_ACCOUNT_ID\"}}}}"),
            ));
        }
    } else {
        let also = if trusted.is_empty() {
            String::new()
        } else {
            format!(" (it trusts {})", trusted.join(", "))
        };
        out.push(Finding::new(
            FindingId::EcsServicePrincipal,
            Status::Fail,
            format!("{file}: a {kind} role must trust the service principal {expected} for sts:AssumeRole{also}; add {{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": \"{expected}\"}}, \"Action\": \"sts:AssumeRole\"}}"),
        ));
    }
    out
}

/// Lints the role ARNs a registered-form task definition names.
pub fn task_definition(file: &str, text: &str) -> Vec<Finding> {
    let td = match container_def::parse(text) {
        Ok(td) => td,
        Err(e) => {
            return vec![Finding::new(
                FindingId::PolicyJson,
                Status::Fail,
                format!("{file} is not valid JSON: {e}"),
            )];
        }
    };
    let mut out = Vec::new();
    for field in ["taskRoleArn", "executionRoleArn"] {
        match td.get(field).and_then(Value::as_str) {
            Some(arn) => match arns::role_arn_problem(arn) {
                Some(problem) => out.push(Finding::new(FindingId::EcsTaskDefinition, Status::Fail, format!("{file}: {field}: {problem}"))),
                None => out.push(Finding::new(FindingId::EcsTaskDefinition, Status::Pass, format!("{file}: {field} is well formed"))),
            },
            None if field == "taskRoleArn" => out.push(Finding::new(
                FindingId::EcsTaskDefinition,
                Status::Warn,
                format!("{file} has no taskRoleArn, so its containers have no role to start a cross-account hop from"),
            )),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(findings: &[Finding]) -> Vec<(&str, Status)> {
        findings.iter().map(|f| (f.id.as_str(), f.status)).collect()
    }

    #[test]
    fn service_roles_need_their_own_principal() {
        let ecs_tasks = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}"#;
        assert_eq!(
            ids(&service_role_trust(
                ServiceRoleKind::Execution,
                "t.json",
                ecs_tasks
            )),
            [("ecs.service-principal", Status::Pass)]
        );
        let wrong = service_role_trust(ServiceRoleKind::CodeDeploy, "t.json", ecs_tasks);
        assert_eq!(ids(&wrong), [("ecs.service-principal", Status::Fail)]);
        assert!(
            wrong[0].message.contains("codedeploy.amazonaws.com")
                && wrong[0]
                    .message
                    .contains("it trusts ecs-tasks.amazonaws.com")
        );
        let unguarded = ecs_tasks.replace(
            r#","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            "",
        );
        assert_eq!(
            ids(&service_role_trust(
                ServiceRoleKind::Task,
                "t.json",
                &unguarded
            )),
            [
                ("ecs.service-principal", Status::Pass),
                ("ecs.confused-deputy", Status::Warn)
            ]
        );
    }

    #[test]
    fn task_definition_arns_are_linted() {
        let td = r#"{"taskDefinition": {"family": "x", "taskRoleArn": "arn:aws:iam::1111222233334444:role/ecsTaskRole", "executionRoleArn": "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"}}"#;
        let f = task_definition("td.json", td);
        assert_eq!(
            ids(&f),
            [
                ("ecs.task-definition", Status::Fail),
                ("ecs.task-definition", Status::Pass)
            ]
        );
        assert!(f[0].message.contains("exactly 12 digits"));
        assert_eq!(
            ids(&task_definition("td.json", r#"{"family": "x"}"#)),
            [("ecs.task-definition", Status::Warn)]
        );
    }
}
