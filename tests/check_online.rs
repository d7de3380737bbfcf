//! `rolehop check` online, as in an ECS Exec shell: against moto through the counting proxy for
//! the passing paths (moto enforces no trust, so the proxy plays STS's refusals with STS's real
//! error bodies), and on fixture task definitions and service-role trust policies.

use crate::support::check_online::{
    AUDIT_ARN, HUB_ARN, check_chain, check_json, create_chain, create_roles, finding,
    organization_with_an_ou, refuse_organizations,
};
use crate::support::moto::iam_in;
use crate::support::rolehop::Rolehop;
use crate::support::sts_proxy::Faults;
use crate::support::{DESTINATION_ROLE_ARN, Stack, TASK_ROLE_ARN};

/// `rolehop check --role-arn DEST --format json` in the stand-in task: (exit, report).
async fn check_online(stack: &Stack, extra_env: &[(&str, &str)]) -> (i32, serde_json::Value) {
    let (code, report) = check_json(stack, &["--role-arn", DESTINATION_ROLE_ARN], extra_env).await;
    let off_schema = crate::check_report_schema::violations(&report);
    assert!(
        off_schema.is_empty(),
        "against docs/check-report.schema.json: {off_schema:#?}"
    );
    (code, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sound_setup_passes_every_probe_and_policy_check() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let (code, report) = check_online(&stack, &[]).await;
    assert_eq!(code, 0, "{report:#}");
    let source = finding(&report, "online.source", "pass");
    assert!(
        source[0].contains("assumed-role/my-ECS-task-role"),
        "{source:?}"
    );
    let assumed = finding(&report, "online.assume", "pass");
    assert!(assumed[0].contains("account 555566667777"), "{assumed:?}");
    assert_eq!(
        finding(&report, "trust.allows", "pass").len(),
        1,
        "{report:#}"
    );
    assert_eq!(
        finding(&report, "identity.assume-role", "pass").len(),
        1,
        "{report:#}"
    );
    assert!(
        stack.proxy.count("GetRole") >= 1,
        "the trust policy was read from IAM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_is_traced_to_the_trust_policy_with_its_fix() {
    let stack = Stack::start().await;
    let typo = "arn:aws:iam::111122223333:role/my-ECS-task-rol";
    create_roles(&stack.moto.url, typo).await;
    stack.proxy.set_faults(Faults {
        fail_assume: Some((403, "AccessDenied".into(), format!("User: arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/x is not authorized to perform: sts:AssumeRole on resource: {DESTINATION_ROLE_ARN}"))),
        ..Faults::default()
    });
    // From inside the task: the probe fails, the other account's trust policy cannot be read,
    // the task role's own side is read and passes.
    let (code, report) = check_online(&stack, &[]).await;
    assert_eq!(code, 1);
    let denied = finding(&report, "online.assume", "fail");
    assert!(
        denied[0].contains("AccessDenied") && denied[0].contains("likely causes"),
        "{denied:?}"
    );
    let unknown = finding(&report, "online.trust-policy", "unknown");
    assert!(
        unknown[0].contains("only credentials of account 555566667777 can read it"),
        "{unknown:?}"
    );
    assert_eq!(
        finding(&report, "identity.assume-role", "pass").len(),
        1,
        "the identity side is fine: {report:#}"
    );

    // With the trust policy its owner sent, the same command names the cause and the fix.
    let trust_file = stack.work.path("trust.json");
    std::fs::write(&trust_file, format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{typo}"}},"Action":"sts:AssumeRole"}}]}}"#)).unwrap();
    let trust_arg = trust_file.display().to_string();
    let (code, report) = check_json(
        &stack,
        &[
            "--online",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--trust-policy",
            &trust_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(code, 1);
    let trust = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "trust.allows")
        .expect("evaluated");
    assert_eq!(trust["status"], "fail");
    assert!(
        trust["message"]
            .as_str()
            .unwrap()
            .contains("my-ECS-task-rol`"),
        "{trust}"
    );
    assert_eq!(trust["fix"]["statement"]["Principal"]["AWS"], TASK_ROLE_ARN);
    assert!(
        trust["fix"]["command"]
            .as_str()
            .unwrap()
            .starts_with("aws iam update-assume-role-policy --role-name destination-account-role")
    );
    assert_eq!(finding(&report, "online.assume", "fail").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sts_failure_class_is_mapped_to_its_cause() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    type Class<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);
    let classes: [Class; 4] = [
        (
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            &[],
            "MaxSessionDuration",
        ),
        (
            "ExpiredToken",
            "The security token included in the request is expired",
            &[],
            "this host's clock",
        ),
        (
            "RegionDisabledException",
            "STS is not activated in this region for account:111122223333.",
            &[],
            "activate it",
        ),
        (
            "AccessDenied",
            "User: x is not authorized to perform: sts:TagSession on resource: y",
            &[("ROLEHOP_TAGS", "Project=blue")],
            "sts:TagSession",
        ),
    ];
    for (code, message, env, expected) in classes {
        stack.proxy.set_faults(Faults {
            fail_assume: Some((400, code.into(), message.into())),
            ..Faults::default()
        });
        let (exit, report) = check_online(&stack, env).await;
        assert_eq!(exit, 1, "{code}");
        let failed = finding(&report, "online.assume", "fail");
        assert!(
            failed.len() == 1 && failed[0].contains(code) && failed[0].contains(expected),
            "{code}: {failed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_policies_are_unknown_never_pass() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let denied = |action: &str| {
        (
            action.to_owned(),
            403,
            "AccessDenied".to_owned(),
            format!("not authorized to perform: iam:{action}"),
        )
    };
    stack.proxy.set_faults(Faults {
        fail_actions: vec![denied("GetRole"), denied("ListRolePolicies")],
        ..Faults::default()
    });
    let (code, report) = check_online(&stack, &[("AWS_ACCESS_KEY_ID", "AKIDSTATIC")]).await;
    assert_eq!(code, 2, "a warning (static keys), no failure: {report:#}");
    assert_eq!(finding(&report, "env.static-keys", "warn").len(), 1);
    assert_eq!(finding(&report, "online.assume", "pass").len(), 1);
    let unknown = finding(&report, "online.trust-policy", "unknown");
    assert!(
        unknown[0].contains("iam:GetRole with the destination credentials: AccessDenied"),
        "{unknown:?}"
    );
    assert_eq!(
        finding(&report, "online.identity-policy", "unknown").len(),
        1
    );
    assert!(
        finding(&report, "trust.allows", "pass").is_empty(),
        "never pass what could not be read"
    );
}

#[tokio::test]
async fn ecs_service_roles_and_task_definitions_are_checked() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecs");
    let path = |f: &str| dir.join(f).display().to_string();
    let work = crate::support::rolehop::Workdir::new();
    let env = crate::support::rolehop::base_env(work.dir.path());
    let (code, stdout, _) = Rolehop::run(
        &[
            "check",
            "--format",
            "json",
            "--task-definition",
            &path("task-definition-typo.json"),
            "--service-role-trust",
            &format!("execution={}", path("trust-ecs-service.json")),
            "--service-role-trust",
            &format!("codedeploy={}", path("trust-codedeploy-unguarded.json")),
            "--managed-policy-arn",
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let td = finding(&report, "ecs.task-definition", "fail");
    assert!(
        td.len() == 1 && td[0].contains("taskRoleArn") && td[0].contains("12 digits"),
        "{td:?}"
    );
    let principal = finding(&report, "ecs.service-principal", "fail");
    assert!(
        principal.len() == 1 && principal[0].contains("ecs-tasks.amazonaws.com"),
        "{principal:?}"
    );
    assert_eq!(finding(&report, "ecs.service-principal", "pass").len(), 1);
    assert_eq!(finding(&report, "ecs.confused-deputy", "warn").len(), 1);
    let path = finding(&report, "managed-policy.path", "fail");
    assert!(
        path.len() == 1 && path[0].contains("arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"),
        "{path:?}"
    );
}

/// The task role's allow comes from an attached managed policy and its permissions boundary
/// lacks sts:AssumeRole (moto does not enforce boundaries, so the real call succeeds): check
/// reads both from IAM, its model says "denied", and the observed success stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observed_success_outranks_a_model_that_says_denied() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let a = iam_in(&stack.moto.url, "111122223333").await;
    a.delete_role_policy()
        .role_name("my-ECS-task-role")
        .policy_name("assume-destination")
        .send()
        .await
        .unwrap();
    let create = |name: &str, doc: String| {
        a.create_policy()
            .policy_name(name)
            .policy_document(doc)
            .send()
    };
    let managed = create(
        "assume-destination",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{DESTINATION_ROLE_ARN}"}}]}}"#
        ),
    )
    .await
    .unwrap()
    .policy
    .unwrap()
    .arn
    .unwrap();
    a.attach_role_policy()
        .role_name("my-ECS-task-role")
        .policy_arn(&managed)
        .send()
        .await
        .unwrap();
    let boundary = create(
        "app-boundary",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","logs:*"],"Resource":"*"}]}"#.into(),
    )
    .await
    .unwrap()
    .policy
    .unwrap()
    .arn
    .unwrap();
    a.put_role_permissions_boundary()
        .role_name("my-ECS-task-role")
        .permissions_boundary(&boundary)
        .send()
        .await
        .unwrap();

    let (code, report) = check_online(&stack, &[]).await;
    assert_ne!(
        code, 1,
        "never exit 1 when the real AssumeRole succeeded: {report:#}"
    );
    assert_eq!(report["decision"], "allowed", "{report:#}");
    assert_eq!(report["hops"][0]["observed"], "allowed");
    assert_eq!(report["hops"][0]["model"], "denied");
    let identity = finding(&report, "identity.assume-role", "pass");
    assert!(
        identity.len() == 1 && identity[0].contains(&format!("managed policy {managed}")),
        "the attached managed policy was read: {identity:?}"
    );
    let capped = finding(&report, "boundary.allows", "warn");
    assert!(
        capped.len() == 1
            && capped[0].contains("the real AssumeRole succeeded")
            && capped[0].contains(&boundary),
        "the boundary was read and its verdict demoted: {capped:?}"
    );
    assert_eq!(finding(&report, "online.model", "warn").len(), 1);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] != "fail"),
        "{report:#}"
    );
}

/// A two-hop chain (task role -> hub -> audit) whose first hop carries a session policy
/// without sts:AssumeRole: the second hop is evaluated with the hub's session as principal and
/// that session policy, and the real (moto, unenforced) success still stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hop_of_a_chain_is_evaluated_from_the_session_before_it() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    create_chain(
        &stack.moto.url,
        r#""sts:AssumeRole""#,
        r#""sts:AssumeRole""#,
    )
    .await;
    let (code, report) = check_chain(
        &stack,
        "rolehop_policy = {\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}\n",
    )
    .await;
    assert_ne!(code, 1, "{report:#}");
    assert_eq!(
        finding(&report, "online.assume", "pass").len(),
        2,
        "{report:#}"
    );
    let hops = report["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2, "{report:#}");
    assert_eq!(hops[0]["principal"], TASK_ROLE_ARN);
    assert_eq!(hops[0]["model"], "allowed", "{report:#}");
    assert_eq!(hops[1]["principal"], HUB_ARN);
    assert_eq!(hops[1]["role_arn"], AUDIT_ARN);
    assert_eq!(hops[1]["model"], "denied", "{report:#}");
    assert_eq!(hops[1]["observed"], "allowed");
    assert_eq!(report["decision"], "allowed");
    let session = finding(&report, "session-policy.allows", "warn");
    assert!(
        session.len() == 1
            && session[0].starts_with("role audit:")
            && session[0].contains("the session policy of the hub session"),
        "{session:?}"
    );
}

/// The task role's account is the management account of an organization whose OU above it
/// has an SCP denying sts:AssumeRole: check reads the three levels (root, OU, account) with the
/// task's own credentials, the model says denied, and moto's real (unenforced) success stands,
/// with the SCP named in a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scps_read_from_organizations_are_evaluated_and_an_observed_success_outranks_them() {
    use aws_sdk_organizations::types::PolicyType;
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let (org, _, _, ou) = organization_with_an_ou(&stack.moto.url).await;
    let deny = org
        .create_policy()
        .name("deny-assume-role")
        .description("no cross-account roles")
        .r#type(PolicyType::ServiceControlPolicy)
        .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .policy_summary
        .unwrap()
        .id
        .unwrap();
    org.attach_policy()
        .policy_id(&deny)
        .target_id(&ou)
        .send()
        .await
        .unwrap();

    let (code, report) = check_online(&stack, &[]).await;
    assert_ne!(
        code, 1,
        "never exit 1 when the real AssumeRole succeeded: {report:#}"
    );
    assert_eq!(report["decision"], "allowed", "{report:#}");
    assert_eq!(report["hops"][0]["observed"], "allowed");
    assert_eq!(report["hops"][0]["model"], "denied", "{report:#}");
    let read = finding(&report, "online.scp", "pass");
    assert!(
        read.len() == 1 && read[0].contains("3 levels"),
        "root, OU and account were read: {report:#}"
    );
    let warned: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["status"] == "warn"
                && f["message"].as_str().unwrap().contains("deny-assume-role")
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("the real AssumeRole succeeded")
        })
        .collect();
    assert_eq!(warned.len(), 1, "the SCP is named in a warning: {report:#}");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] != "fail"),
        "{report:#}"
    );
}

/// Outside any organization no SCP applies, and check says so instead of UNKNOWN; where
/// Organizations refuses, the SCPs stay UNKNOWN with the administrator's command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_organization_means_no_scp_and_a_refusal_stays_unknown() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let (_, report) = check_online(&stack, &[]).await;
    let none = finding(&report, "online.scp", "pass");
    assert!(
        none.len() == 1 && none[0].contains("in no organization"),
        "{report:#}"
    );
    assert!(finding(&report, "online.scp", "unknown").is_empty());

    refuse_organizations(&stack, "DescribeOrganization");
    let (_, report) = check_online(&stack, &[]).await;
    let unknown = finding(&report, "online.scp", "unknown");
    assert!(
        unknown.len() == 1
            && unknown[0].contains("organizations:DescribeOrganization")
            && unknown[0].contains("aws organizations list-parents --child-id 111122223333"),
        "{report:#}"
    );
}

/// STS's own refusal, as the proxy hands it back with a chosen body: the policy type and the
/// policy's ARN AWS named stand next to the model's decision (which, on the policies moto
/// holds, says allowed), and the hop's decision is STS's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sts_denial_names_its_policy_type_and_arn_next_to_the_model() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let scp = "arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/service_control_policy/p-examplescp1";
    stack.proxy.set_faults(Faults {
        fail_assume: Some((
            403,
            "AccessDenied".into(),
            format!("User: arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/abc is not authorized to perform: sts:AssumeRole on resource: {DESTINATION_ROLE_ARN} with an explicit deny in a service control policy: {scp}"),
        )),
        ..Faults::default()
    });
    let (exit, report) = check_online(&stack, &[]).await;
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["decision"], "denied", "{report:#}");
    let said = finding(&report, "aws.denied", "fail");
    assert!(
        said.len() == 1
            && said[0].contains("service control policy")
            && said[0].contains("organization of account 111122223333")
            && said[0].contains(scp),
        "{said:?}"
    );
    let hop = report["hops"].as_array().unwrap().last().unwrap();
    assert_eq!(hop["aws"]["policy"], "service-control-policy", "{hop:#}");
    assert_eq!(hop["aws"]["policy_arn"], scp, "{hop:#}");
    assert_eq!(hop["observed"], "denied", "{hop:#}");
}
