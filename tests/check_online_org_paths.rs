//! `rolehop check` online reads the caller's account's place in its organization
//! (`organizations:ListParents` up to the root) as `aws:PrincipalOrgPaths`, and says which flag
//! states it when Organizations refuses. Against moto, which enforces no policy: the model's
//! decision is what these tests read (`hops[].model`).

use crate::support::check_online::{
    check_destination, create_roles, finding, organization_with_an_ou, refuse_organizations,
    trust_destination,
};
use crate::support::{Stack, TASK_ROLE_ARN};

/// The destination trusts the task role from accounts attached directly to the OU `path`
/// ends with (`ForAnyValue:StringEquals`, as the IAM User Guide's example writes it).
fn trust_from_ou(path: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{TASK_ROLE_ARN}"}},"Action":"sts:AssumeRole","Condition":{{"ForAnyValue:StringEquals":{{"aws:PrincipalOrgPaths":"{path}"}}}}}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_ou_path_is_read_and_decides_a_trust_policy_on_it() {
    let stack = Stack::start().await;
    create_roles(&stack.moto.url, TASK_ROLE_ARN).await;
    // The task's account, in an OU under the root.
    let (_, org_id, root, ou) = organization_with_an_ou(&stack.moto.url).await;
    let path = format!("{org_id}/{root}/{ou}/");
    // The path read decides a trust policy that names the OU, and one that names another.
    trust_destination(&stack.moto.url, trust_from_ou(&path)).await;
    let (_, report) = check_destination(&stack, &[]).await;
    assert_eq!(report["hops"][0]["model"], "allowed", "{report:#}");
    let filled = finding(&report, "online.context", "pass");
    assert!(
        filled[0].contains(&format!(
            "aws:PrincipalOrgPaths={path} (from organizations:ListParents"
        )),
        "{filled:?}"
    );
    // Read once for the hop, for the SCPs and the context both: the account's OU, then the
    // root, and one DescribeOrganization.
    assert_eq!(stack.proxy.count("ListParents"), 2);
    assert_eq!(stack.proxy.count("DescribeOrganization"), 1);
    trust_destination(&stack.moto.url, trust_from_ou(&format!("{org_id}/{root}/"))).await;
    let (_, report) = check_destination(&stack, &[]).await;
    assert_eq!(report["hops"][0]["model"], "denied", "{report:#}");

    // Refused, as a member account's ListParents is: unknown, and the flag that states it.
    refuse_organizations(&stack, "ListParents");
    trust_destination(&stack.moto.url, trust_from_ou(&path)).await;
    let (_, report) = check_destination(&stack, &[]).await;
    assert_eq!(report["hops"][0]["model"], "unknown", "{report:#}");
    let unknown = finding(&report, "online.context", "unknown");
    assert!(
        unknown.len() == 1
            && unknown[0].contains("organizations:ListParents")
            && unknown[0].contains("--context aws:PrincipalOrgPaths=o-.../r-.../ou-.../"),
        "{report:#}"
    );
    // Given by the operator, it decides again.
    let given = format!("aws:PrincipalOrgPaths={path}");
    let (_, report) = check_destination(&stack, &["--context", &given]).await;
    assert_eq!(report["hops"][0]["model"], "allowed", "{report:#}");
}
