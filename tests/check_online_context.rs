//! `rolehop check` online fills request keys from what the task can read (`online.context`):
//! the calling role's tags, its organization, the region; the operator's `--context` replaces
//! them. And a hop of a chain inherits the transitive session tags and the source identity of
//! the hops before it (`chain.inherited`). Against moto, which enforces no policy: the model's
//! decision is what these tests read (`hops[].model`).

use crate::check_online::{create_roles, finding, organizations_in};
use crate::support::moto::iam_in;
use crate::support::rolehop::Rolehop;
use crate::support::{DESTINATION_ROLE_ARN, Stack, TASK_ROLE_ARN};

/// `rolehop check --role-arn DEST ARGS --format json` in the stand-in task: (exit, report).
pub(crate) async fn check_with(stack: &Stack, args: &[&str]) -> (i32, serde_json::Value) {
    let mut env = stack.rolehop_env();
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    let mut argv = vec!["check", "--role-arn", DESTINATION_ROLE_ARN];
    argv.extend(args);
    argv.extend(["--format", "json"]);
    let (code, stdout, stderr) = Rolehop::run(&argv, &env).await;
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no report ({e}): {stdout}\n{stderr}"));
    (code, report)
}

/// The destination trusts the task role only when it carries the tag team=platform, and only
/// from inside organization `org` (`None`: the condition on the organization is left out).
fn conditional_trust(org: Option<&str>) -> String {
    let org = org
        .map(|o| format!(r#","aws:PrincipalOrgID":"{o}""#))
        .unwrap_or_default();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{TASK_ROLE_ARN}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"platform"{org}}},"Null":{{"aws:PrincipalTag/exempt":"true"}}}}}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_tags_and_organization_are_read_and_context_replaces_them() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let a = iam_in(&stack.moto.url, "111122223333").await;
    a.tag_role()
        .role_name("my-ECS-task-role")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let b = iam_in(&stack.moto.url, "555566667777").await;
    b.update_assume_role_policy()
        .role_name("destination-account-role")
        .policy_document(conditional_trust(None))
        .send()
        .await
        .unwrap();

    // The tag read from IAM decides the trust policy; the untagged `exempt` is absent.
    let (_, report) = check_with(&stack, &[]).await;
    assert_eq!(report["hops"][0]["model"], "allowed", "{report:#}");
    let filled = finding(&report, "online.context", "pass");
    assert!(
        filled.len() == 1
            && filled[0].contains("aws:PrincipalTag/team=platform (from the tags of my-ECS-task-role (iam:ListRoleTags))")
            && filled[0].contains("every other aws:PrincipalTag/* absent")
            && filled[0].contains("aws:PrincipalOrgID absent")
            && filled[0].contains("aws:RequestedRegion=us-east-1"),
        "{report:#}"
    );
    assert!(stack.proxy.count("ListRoleTags") >= 1);

    // The operator's value replaces what was read, and the model follows it.
    let (_, report) = check_with(&stack, &["--context", "aws:PrincipalTag/team=data"]).await;
    assert_eq!(report["hops"][0]["model"], "denied", "{report:#}");
    let filled = finding(&report, "online.context", "pass");
    assert!(
        filled[0].contains("instead of what was read: aws:PrincipalTag/team"),
        "{filled:?}"
    );

    // In an organization its id is read and decides a trust policy that names it.
    let org = organizations_in(&stack.moto.url, "111122223333").await;
    let id = org
        .create_organization()
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap();
    b.update_assume_role_policy()
        .role_name("destination-account-role")
        .policy_document(conditional_trust(Some(&id)))
        .send()
        .await
        .unwrap();
    let (_, report) = check_with(&stack, &[]).await;
    assert_eq!(report["hops"][0]["model"], "allowed", "{report:#}");
    let filled = finding(&report, "online.context", "pass");
    assert!(
        filled[0].contains(&format!("aws:PrincipalOrgID={id}")),
        "{filled:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_organization_stays_unknown_and_names_the_flag() {
    use crate::support::sts_proxy::Faults;
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    stack.proxy.set_faults(Faults {
        fail_actions: vec![(
            "DescribeOrganization".to_owned(),
            400,
            "AccessDeniedException".to_owned(),
            "not authorized to perform: organizations:DescribeOrganization".to_owned(),
        )],
        ..Faults::default()
    });
    let (_, report) = check_with(&stack, &[]).await;
    // The fault proxy answers in STS's XML, which the Organizations client cannot parse, so
    // the message names the call that failed rather than AWS's error code.
    let unknown = finding(&report, "online.context", "unknown");
    assert!(
        unknown.len() == 1
            && unknown[0].contains("aws:PrincipalOrgID")
            && unknown[0].contains("organizations:DescribeOrganization")
            && unknown[0].contains("--absent aws:PrincipalOrgID"),
        "{report:#}"
    );
    // Stated by the operator, it is no longer unknown.
    let (_, report) = check_with(&stack, &["--absent", "aws:PrincipalOrgID"]).await;
    assert!(
        finding(&report, "online.context", "unknown").is_empty(),
        "{report:#}"
    );
}

/// task role -> hub (session tags, one transitive, and a source identity) -> audit, whose
/// trust policy allows only sts:AssumeRole: the audit hop inherits the transitive tag and the
/// source identity, so its trust policy also needs sts:TagSession and sts:SetSourceIdentity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_hop_inherits_transitive_tags_and_the_source_identity() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    let hub_arn = "arn:aws:iam::444455556666:role/hub";
    let audit_arn = "arn:aws:iam::999988887777:role/audit";
    let trusting = |principal: &str, actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":{actions}}}]}}"#
        )
    };
    let allowing = |resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"{resource}"}}]}}"#
        )
    };
    let a = iam_in(&stack.moto.url, "111122223333").await;
    a.put_role_policy()
        .role_name("my-ECS-task-role")
        .policy_name("assume-hub")
        .policy_document(allowing(hub_arn))
        .send()
        .await
        .unwrap();
    let hub = iam_in(&stack.moto.url, "444455556666").await;
    hub.create_role()
        .role_name("hub")
        .assume_role_policy_document(trusting(
            TASK_ROLE_ARN,
            r#"["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]"#,
        ))
        .send()
        .await
        .unwrap();
    hub.put_role_policy()
        .role_name("hub")
        .policy_name("assume-audit")
        .policy_document(allowing(audit_arn))
        .send()
        .await
        .unwrap();
    iam_in(&stack.moto.url, "999988887777")
        .await
        .create_role()
        .role_name("audit")
        .assume_role_policy_document(trusting(hub_arn, r#""sts:AssumeRole""#))
        .send()
        .await
        .unwrap();
    let config = stack.work.path("chain.config");
    std::fs::write(
        &config,
        format!(
            "[profile hub]\nrole_arn = {hub_arn}\ncredential_source = EcsContainer\nrolehop_session_tags = Project=blue, Team=data\nrolehop_transitive_tag_keys = Project\nrolehop_source_identity = alice\n\n[profile audit]\nrole_arn = {audit_arn}\nsource_profile = hub\n"
        ),
    )
    .unwrap();
    let mut env = stack.rolehop_env();
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    let config = config.display().to_string();
    let (_, stdout, stderr) =
        Rolehop::run(&["check", "--config", &config, "--format", "json"], &env).await;
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no report ({e}): {stdout}\n{stderr}"));
    let hops = report["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2, "{report:#}");
    assert_eq!(hops[0]["model"], "allowed", "{report:#}");
    assert_eq!(hops[1]["model"], "denied", "{report:#}");
    let inherited = finding(&report, "chain.inherited", "pass");
    assert!(
        inherited.len() == 1
            && inherited[0].starts_with("role audit:")
            && inherited[0].contains("Project")
            && inherited[0].contains("`alice`"),
        "{report:#}"
    );
    // moto let both hops through, so the model's failures are warnings naming the action.
    for id in ["trust.tag-session", "trust.set-source-identity"] {
        let warned = finding(&report, id, "warn");
        assert!(
            warned.iter().any(|m| m.starts_with("role audit:")),
            "{id}: {report:#}"
        );
    }
    // The hub session's session tags are the audit hop's principal tags.
    let filled = finding(&report, "online.context", "pass");
    assert!(
        filled
            .iter()
            .any(|m| m.starts_with("role audit:") && m.contains("aws:PrincipalTag/Team=data")),
        "{filled:?}"
    );
}
