use super::*;
use crate::check::policy::{Condition, Kind, Policy, parse};

const SOURCE: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";
const ROLE: &str = "arn:aws:iam::555566667777:role/destination-account-role";

fn policy(kind: Kind, statements: &str) -> Policy {
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#);
    let (policy, findings) = parse(&text, "p.json", kind);
    assert!(findings.is_empty(), "{findings:?}");
    policy.unwrap()
}

const TRUST_SOURCE: &str = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/my-ECS-task-role"}, "Action": "sts:AssumeRole"}"#;
const IDENTITY_ROLE: &str = r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::555566667777:role/destination-account-role"}"#;

struct Setup {
    trust: Policy,
    identity: Policy,
    boundary: Option<Policy>,
    session: Option<Policy>,
    scps: Vec<Vec<Policy>>,
    rcps: Vec<Vec<Policy>>,
    external_id: Option<&'static str>,
    context: Vec<(String, String)>,
}

impl Setup {
    fn new(trust: &str, identity: &str) -> Self {
        Setup {
            trust: policy(Kind::Trust, trust),
            identity: policy(Kind::Identity, identity),
            boundary: None,
            session: None,
            scps: Vec::new(),
            rcps: Vec::new(),
            external_id: None,
            context: Vec::new(),
        }
    }

    fn decide(&self) -> ActionDecision {
        let caller = Caller::of_role(SOURCE);
        let call = AssumeRole {
            role_arn: ROLE.into(),
            external_id: self.external_id.map(str::to_owned),
            ..AssumeRole::default()
        };
        let context = Context::assume_role(Some(&caller), &call, &self.context);
        let set = PolicySet {
            unreadable: &[],
            identity: Some(vec![&self.identity]),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
            scps: self.scps.iter().map(|l| Some(l.iter().collect())).collect(),
            rcps: self.rcps.iter().map(|l| Some(l.iter().collect())).collect(),
            trust: Some(&self.trust),
        };
        decide(&set, Some(&caller), &call, StsAction::AssumeRole, &context)
    }
}

#[test]
fn globs_follow_iam() {
    assert!(glob("sts:Assume*", "sts:AssumeRole", true));
    assert!(glob("sts:AssumeRol?", "STS:assumerole", true));
    assert!(!glob("sts:AssumeRol?", "sts:AssumeRoles", true));
    assert!(arn_like(
        "arn:aws:iam::*:role/destination-account-rol?",
        ROLE
    ));
    assert!(arn_like("arn:aws:iam::555566667777:role/*", ROLE));
    assert!(!arn_like("arn:aws:iam::5555666677?:role/*", ROLE));
    // A field's `*` stays in its field; the last field holds the rest.
    assert!(!arn_like("arn:aws:iam::*7777:role/x*", ROLE));
    assert!(arn_like("arn:aws:iam::555566667777:*", ROLE));
}

#[test]
fn the_issue_examples_are_allowed() {
    // `?` in an identity Resource.
    let s = Setup::new(
        TRUST_SOURCE,
        &IDENTITY_ROLE.replace("destination-account-role", "destination-account-rol?"),
    );
    assert_eq!(s.decide().decision, Tri::True);
    // sts:* unconditionally, beside a statement that needs an external id.
    let s = Setup::new(
        &format!(
            "{}, {}",
            TRUST_SOURCE.replace("sts:AssumeRole", "sts:*"),
            r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/my-ECS-task-role"}, "Action": "sts:AssumeRole", "Condition": {"Null": {"sts:ExternalId": "false"}}}"#
        ),
        IDENTITY_ROLE,
    );
    assert_eq!(s.decide().decision, Tri::True);
    // Principal * beside a statement that requires aws:SourceAccount.
    let s = Setup::new(
        r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"}, {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}"#,
        IDENTITY_ROLE,
    );
    assert_eq!(s.decide().decision, Tri::True);
}

#[test]
fn every_scp_level_must_allow_and_documents_of_a_level_combine() {
    let full = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
    let s3_only = r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#;
    let mut s = Setup::new(TRUST_SOURCE, IDENTITY_ROLE);
    s.scps = vec![
        vec![policy(Kind::Scp, full)],
        vec![policy(Kind::Scp, s3_only), policy(Kind::Scp, full)],
    ];
    assert_eq!(s.decide().decision, Tri::True);
    s.scps.push(vec![policy(Kind::Scp, s3_only)]);
    let d = s.decide();
    assert_eq!(d.decision, Tri::False);
    assert_eq!(d.part(&Part::Scp(3)).unwrap().passes, Tri::False);
    assert_eq!(d.part(&Part::Scp(1)).unwrap().passes, Tri::True);
}

#[test]
fn rcps_allow_implicitly_and_deny_outside_the_organization() {
    let perimeter = r#"{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}"#;
    let mut s = Setup::new(TRUST_SOURCE, IDENTITY_ROLE);
    s.rcps = vec![vec![policy(Kind::Rcp, perimeter)]];
    let d = s.decide();
    assert_eq!(d.decision, Tri::Unknown);
    assert!(
        d.unknown_keys()
            .iter()
            .any(|k| k.starts_with("aws:PrincipalOrgID (from the source account's organization")),
        "{:?}",
        d.unknown_keys()
    );
    s.context = vec![("aws:PrincipalOrgID".into(), "o-a1b2c3d4e5".into())];
    assert_eq!(s.decide().decision, Tri::True);
    s.context = vec![("aws:principalorgid".into(), "o-zzzzzzzzzz".into())];
    assert_eq!(s.decide().decision, Tri::False);
}

#[test]
fn boundary_and_session_policy_cap_the_identity_policies() {
    let mut s = Setup::new(TRUST_SOURCE, IDENTITY_ROLE);
    s.boundary = Some(policy(
        Kind::Boundary,
        r#"{"Effect": "Allow", "Action": ["s3:*", "logs:*"], "Resource": "*"}"#,
    ));
    let d = s.decide();
    assert_eq!(d.decision, Tri::False);
    assert_eq!(
        d.part(&Part::PermissionsBoundary).unwrap().passes,
        Tri::False
    );
    s.boundary = Some(policy(
        Kind::Boundary,
        r#"{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}"#,
    ));
    assert_eq!(s.decide().decision, Tri::True);
    s.session = Some(policy(
        Kind::Session,
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#,
    ));
    assert_eq!(s.decide().decision, Tri::False);
}

#[test]
fn conditions_are_three_valued() {
    let cases: [(&str, Option<&str>, Tri); 14] = [
        (
            r#"{"StringEquals": {"sts:ExternalId": "x"}}"#,
            None,
            Tri::False,
        ),
        (
            r#"{"StringEquals": {"sts:ExternalId": ["y", "x"]}}"#,
            Some("x"),
            Tri::True,
        ),
        (
            r#"{"StringNotEquals": {"sts:ExternalId": "x"}}"#,
            None,
            Tri::True,
        ),
        (
            r#"{"StringEqualsIfExists": {"sts:ExternalId": "x"}}"#,
            None,
            Tri::True,
        ),
        (r#"{"Null": {"sts:ExternalId": "true"}}"#, None, Tri::True),
        (
            r#"{"Null": {"sts:ExternalId": "false"}}"#,
            Some("x"),
            Tri::True,
        ),
        (
            r#"{"Bool": {"aws:SecureTransport": "true"}}"#,
            None,
            Tri::True,
        ),
        (
            r#"{"ForAnyValue:StringEquals": {"sts:ExternalId": "x"}}"#,
            None,
            Tri::False,
        ),
        (
            r#"{"ForAllValues:StringEquals": {"sts:ExternalId": "x"}}"#,
            None,
            Tri::True,
        ),
        (
            r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/my-ECS-*"}}"#,
            None,
            Tri::True,
        ),
        (
            r#"{"StringEquals": {"aws:SourceAccount": "111122223333"}}"#,
            None,
            Tri::False,
        ),
        (
            r#"{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#,
            None,
            Tri::Unknown,
        ),
        (
            r#"{"StringLike": {"aws:PrincipalTag/team": "pay*"}}"#,
            None,
            Tri::Unknown,
        ),
        (
            r#"{"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}"#,
            None,
            Tri::False,
        ),
    ];
    for (condition, external_id, expected) in cases {
        let mut s = Setup::new(
            &TRUST_SOURCE.replace('}', &format!(r#", "Condition": {condition}}}"#)),
            IDENTITY_ROLE,
        );
        s.external_id = external_id;
        assert_eq!(s.decide().decision, expected, "{condition}");
    }
}

#[test]
fn typed_operators_compare_by_type() {
    let context = Context::assume_role(
        None,
        &AssumeRole::default(),
        &[
            ("aws:SourceIp".into(), "10.1.2.3".into()),
            ("aws:CurrentTime".into(), "2026-12-02T04:00:00Z".into()),
            ("aws:MultiValued".into(), "a".into()),
            ("aws:MultiValued".into(), "b".into()),
        ],
    );
    let check = |op: &str, key: &str, values: &[&str]| {
        condition(
            &Condition {
                operator: op.into(),
                key: key.into(),
                values: values.iter().map(|v| v.to_string()).collect(),
            },
            &context,
            &mut Vec::new(),
        )
    };
    assert_eq!(
        check("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]),
        Tri::True
    );
    assert_eq!(
        check("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"]),
        Tri::False
    );
    assert_eq!(
        check("IpAddress", "aws:SourceIp", &["192.168.0.0/16"]),
        Tri::False
    );
    assert_eq!(
        check("DateLessThan", "aws:CurrentTime", &["2027-01-01"]),
        Tri::True
    );
    assert_eq!(
        check(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2027-01-01T00:00:00Z"]
        ),
        Tri::False
    );
    assert_eq!(
        check("NumericLessThan", "aws:MultiFactorAuthAge", &["3600"]),
        Tri::False
    );
    assert_eq!(
        check(
            "ForAllValues:StringEquals",
            "aws:MultiValued",
            &["a", "b", "c"]
        ),
        Tri::True
    );
    assert_eq!(
        check("ForAllValues:StringEquals", "aws:MultiValued", &["a"]),
        Tri::False
    );
    assert_eq!(
        check("ForAnyValue:StringNotEquals", "aws:MultiValued", &["a"]),
        Tri::True
    );
    assert_eq!(
        check("ForAllValues:StringNotEquals", "aws:MultiValued", &["a"]),
        Tri::False
    );
    assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    assert_eq!(epoch("2026-12-02T04:00:00Z"), Some(1_796_184_000));
}

#[test]
fn one_account_trust_naming_the_role_needs_no_identity_allow() {
    let caller = Caller::of_role(SOURCE);
    let call = AssumeRole {
        role_arn: "arn:aws:iam::111122223333:role/reader".into(),
        ..AssumeRole::default()
    };
    let context = Context::assume_role(Some(&caller), &call, &[]);
    let empty = policy(
        Kind::Identity,
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
    );
    for (trust, expected) in [
        (TRUST_SOURCE.to_owned(), Tri::True),
        (
            TRUST_SOURCE.replace(
                "arn:aws:iam::111122223333:role/my-ECS-task-role",
                "111122223333",
            ),
            Tri::False,
        ),
    ] {
        let trust = policy(Kind::Trust, &trust);
        let set = PolicySet {
            unreadable: &[],
            identity: Some(vec![&empty]),
            trust: Some(&trust),
            ..PolicySet::default()
        };
        assert_eq!(
            decide(&set, Some(&caller), &call, StsAction::AssumeRole, &context).decision,
            expected
        );
    }
}

#[test]
fn one_account_a_session_principal_is_not_capped_by_the_boundary() {
    let caller = Caller {
        session_name: Some("task-1".into()),
        ..Caller::of_role(SOURCE)
    };
    let call = AssumeRole {
        role_arn: "arn:aws:iam::111122223333:role/reader".into(),
        ..AssumeRole::default()
    };
    let context = Context::assume_role(Some(&caller), &call, &[]);
    let identity = policy(
        Kind::Identity,
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
    );
    let boundary = policy(
        Kind::Boundary,
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
    );
    let session_arn = "arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/task-1";
    for (principal, expected) in [(session_arn, Tri::True), (SOURCE, Tri::False)] {
        let trust = policy(Kind::Trust, &TRUST_SOURCE.replace(SOURCE, principal));
        let set = PolicySet {
            unreadable: &[],
            identity: Some(vec![&identity]),
            boundary: Some(&boundary),
            trust: Some(&trust),
            ..PolicySet::default()
        };
        let d = decide(&set, Some(&caller), &call, StsAction::AssumeRole, &context);
        assert_eq!(d.decision, expected, "{principal}");
    }
}

#[test]
fn policy_variables_need_version_2012_10_17() {
    let caller = Caller::of_role(SOURCE);
    let call = AssumeRole {
        role_arn: ROLE.into(),
        ..AssumeRole::default()
    };
    let context = Context::assume_role(Some(&caller), &call, &[]);
    let statement = r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::${aws:ResourceAccount}:role/destination-account-role"}"#;
    for (version, expected) in [("2012-10-17", Tri::True), ("2008-10-17", Tri::False)] {
        let text = format!(r#"{{"Version": "{version}", "Statement": [{statement}]}}"#);
        let (identity, _) = parse(&text, "id.json", Kind::Identity);
        let identity = identity.unwrap();
        let trust = policy(Kind::Trust, TRUST_SOURCE);
        let set = PolicySet {
            unreadable: &[],
            identity: Some(vec![&identity]),
            trust: Some(&trust),
            ..PolicySet::default()
        };
        let d = decide(&set, Some(&caller), &call, StsAction::AssumeRole, &context);
        assert_eq!(d.decision, expected, "{version}");
    }
}
