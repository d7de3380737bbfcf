//! What the tests of `rolehop check` online share: the walkthrough's roles and a chain of two
//! hops in moto, Organizations in moto, and check run in the stand-in task with every AWS call
//! through the counting proxy.

use aws_sdk_sts::config::{BehaviorVersion, Region};

use super::moto::{act_in, iam_in};
use super::rolehop::Rolehop;
use super::sts_proxy::Faults;
use super::{DESTINATION_ROLE_ARN, REGION, Stack, TASK_ROLE_ARN};

/// The chain's first hop, assumed with the task role's credentials.
pub const HUB_ARN: &str = "arn:aws:iam::444455556666:role/hub";
/// The chain's second hop, assumed with the hub session's credentials.
pub const AUDIT_ARN: &str = "arn:aws:iam::999988887777:role/audit";

/// The walkthrough's two roles in moto; `trusted` is the principal the destination trusts.
pub async fn create_roles(moto: &str, trusted: &str) {
    let a = iam_in(moto, "111122223333").await;
    let task_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    a.create_role()
        .role_name("my-ECS-task-role")
        .assume_role_policy_document(task_trust)
        .send()
        .await
        .unwrap();
    let identity = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{DESTINATION_ROLE_ARN}"}}]}}"#
    );
    a.put_role_policy()
        .role_name("my-ECS-task-role")
        .policy_name("assume-destination")
        .policy_document(identity)
        .send()
        .await
        .unwrap();
    let b = iam_in(moto, "555566667777").await;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{trusted}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    b.create_role()
        .role_name("destination-account-role")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
}

/// task role -> hub -> audit in moto, beside [`create_roles`]' roles: the task role and the hub
/// are allowed `allowed_actions` on the next role; the hub trusts the task role with
/// `hub_trusts` and the audit role trusts the hub with sts:AssumeRole alone. Actions are JSON
/// (`"sts:AssumeRole"` or a list).
pub async fn create_chain(moto: &str, hub_trusts: &str, allowed_actions: &str) {
    let trusting = |principal: &str, actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":{actions}}}]}}"#
        )
    };
    let allowing = |resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{allowed_actions},"Resource":"{resource}"}}]}}"#
        )
    };
    let a = iam_in(moto, "111122223333").await;
    a.put_role_policy()
        .role_name("my-ECS-task-role")
        .policy_name("assume-hub")
        .policy_document(allowing(HUB_ARN))
        .send()
        .await
        .unwrap();
    let hub = iam_in(moto, "444455556666").await;
    hub.create_role()
        .role_name("hub")
        .assume_role_policy_document(trusting(TASK_ROLE_ARN, hub_trusts))
        .send()
        .await
        .unwrap();
    hub.put_role_policy()
        .role_name("hub")
        .policy_name("assume-audit")
        .policy_document(allowing(AUDIT_ARN))
        .send()
        .await
        .unwrap();
    iam_in(moto, "999988887777")
        .await
        .create_role()
        .role_name("audit")
        .assume_role_policy_document(trusting(HUB_ARN, r#""sts:AssumeRole""#))
        .send()
        .await
        .unwrap();
}

/// `rolehop check ARGS --format json` in the stand-in task, every AWS call through the proxy,
/// with `extra_env` added: (exit, report).
pub async fn check_json(
    stack: &Stack,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> (i32, serde_json::Value) {
    let mut env = stack.rolehop_env();
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut argv = vec!["check"];
    argv.extend(args);
    argv.extend(["--format", "json"]);
    let (code, stdout, stderr) = Rolehop::run(&argv, &env).await;
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no report ({e}): {stdout}\n{stderr}"));
    (code, report)
}

/// `rolehop check --role-arn DEST ARGS --format json` in the stand-in task: (exit, report).
pub async fn check_destination(stack: &Stack, args: &[&str]) -> (i32, serde_json::Value) {
    let mut argv = vec!["--role-arn", DESTINATION_ROLE_ARN];
    argv.extend(args);
    check_json(stack, &argv, &[]).await
}

/// Replaces the destination role's trust policy.
pub async fn trust_destination(moto: &str, policy: String) {
    iam_in(moto, "555566667777")
        .await
        .update_assume_role_policy()
        .role_name("destination-account-role")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
}

/// [`check_json`] on the chain's config: profile hub (from the task role, with `hub_lines`
/// added) and profile audit (from hub).
pub async fn check_chain(stack: &Stack, hub_lines: &str) -> (i32, serde_json::Value) {
    let config = stack.work.path("chain.config");
    std::fs::write(
        &config,
        format!(
            "[profile hub]\nrole_arn = {HUB_ARN}\ncredential_source = EcsContainer\n{hub_lines}\n[profile audit]\nrole_arn = {AUDIT_ARN}\nsource_profile = hub\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    check_json(stack, &["--config", &config], &[]).await
}

/// From now on the proxy refuses Organizations' `action` (`DescribeOrganization`, say) with
/// AccessDenied, as Organizations refuses a member account.
pub fn refuse_organizations(stack: &Stack, action: &str) {
    stack.proxy.set_faults(Faults {
        fail_actions: vec![(
            action.to_owned(),
            400,
            "AccessDeniedException".to_owned(),
            format!("not authorized to perform: organizations:{action}"),
        )],
        ..Faults::default()
    });
}

/// The messages of the report's findings with `id` and `status`.
pub fn finding<'a>(report: &'a serde_json::Value, id: &str, status: &str) -> Vec<&'a str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id && f["status"] == status)
        .map(|f| f["message"].as_str().unwrap())
        .collect()
}

/// A new organization managed from the account `org` acts in: its id.
pub async fn create_organization(org: &aws_sdk_organizations::Client) -> String {
    org.create_organization()
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap()
}

/// An organization made by account 111122223333, which is moved from the root into a new OU
/// `workloads`: (its Organizations client, the organization id, the root id, the OU id).
pub async fn organization_with_an_ou(
    moto: &str,
) -> (aws_sdk_organizations::Client, String, String, String) {
    let org = organizations_in(moto, "111122223333").await;
    let org_id = create_organization(&org).await;
    let root = org.list_roots().send().await.unwrap().roots.unwrap()[0]
        .id
        .clone()
        .unwrap();
    let ou = org
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit
        .unwrap()
        .id
        .unwrap();
    org.move_account()
        .account_id("111122223333")
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await
        .unwrap();
    (org, org_id, root, ou)
}

/// Organizations in moto acting as `account` (which becomes the management account of the
/// organization it creates).
pub async fn organizations_in(moto: &str, account: &str) -> aws_sdk_organizations::Client {
    let config = aws_sdk_organizations::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(moto)
        .credentials_provider(act_in(moto, account).await)
        .build();
    aws_sdk_organizations::Client::from_conf(config)
}
