//! The request context of one probed hop, each key with where it came from:
//!
//! - what rolehop's configuration fixes for the call: its session tags (`aws:RequestTag/*`,
//!   `aws:TagKeys`), transitive keys, source identity and session name;
//! - what the hop inherits from the sessions before it in a chain (`chain.inherited`): the
//!   calling session's session tags are its `aws:PrincipalTag/*`; transitive tags and a source
//!   identity pass to every later session, so this hop's call carries them too and its trust
//!   policy must allow `sts:TagSession` / `sts:SetSourceIdentity` (IAM User Guide, "Chaining
//!   roles with session tags"; "Monitor and control actions taken with assumed roles": a
//!   source identity, once set, persists across chained sessions and cannot be changed);
//! - what the task can read (`online.context`): the calling role's IAM tags
//!   (`iam:ListRoleTags`, under the session tags: a session tag wins over a role tag of the
//!   same key; IAM User Guide, "Pass session tags in AWS STS"), after which every other
//!   `aws:PrincipalTag/*` is absent; the caller's organization (`DescribeOrganization`:
//!   `aws:PrincipalOrgID`, and outside any organization both organization keys absent); the
//!   region of rolehop's STS endpoint (`aws:RequestedRegion`).
//!
//! A key the operator gives with `--context` or states with `--absent` replaces what was
//! filled. What could not be read stays unknown, with why and the flag that states it.

use std::net::IpAddr;

use crate::chain::Hop;
use crate::check::findings::{Finding, FindingId, Status};
use crate::config::{RoleConfig, RoleSource};

use super::organizations::{Organization, org_path};
use super::read_error::ReadError;

/// Why the STS endpoint's host did not resolve here.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}")]
    Lookup(#[source] std::io::Error),
    #[error("no answer within {} s", crate::chain::STS_CONNECT_TIMEOUT.as_secs())]
    TimedOut,
}

/// What a hop's call inherits from the sessions before it in the chain.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Inherited {
    /// The calling session's session tags (its own and the transitive ones it inherited).
    pub session_tags: Vec<(String, String)>,
    /// Transitive tags that pass into this hop's session.
    pub transitive: Vec<(String, String)>,
    /// A source identity set earlier in the chain, and the role whose hop set it.
    pub source_identity: Option<(String, String)>,
}

/// What `role`'s hop inherits, walking its `source_profile` chain in `roles`.
pub(super) fn inherited(roles: &[RoleConfig], role: &RoleConfig) -> Inherited {
    // The roles before this one, the first hop first.
    let mut before = Vec::new();
    let mut at = role;
    while let RoleSource::Profile(p) = &at.source {
        match roles.iter().find(|r| r.name == *p) {
            Some(prev) if before.len() < roles.len() => {
                before.push(prev);
                at = prev;
            }
            _ => break,
        }
    }
    before.reverse();
    let mut out = Inherited::default();
    for r in before {
        let mut tags = out.transitive.clone();
        tags.extend(
            r.options
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone())),
        );
        out.transitive.extend(
            r.options
                .tags
                .iter()
                .filter(|t| {
                    r.options
                        .transitive_tag_keys
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&t.key))
                })
                .map(|t| (t.key.clone(), t.value.clone())),
        );
        out.session_tags = tags;
        if out.source_identity.is_none() {
            out.source_identity = r
                .options
                .source_identity
                .clone()
                .map(|id| (id, r.name.clone()));
        }
    }
    out
}

impl Inherited {
    /// The `chain.inherited` finding for `role`'s hop, when it inherits anything its trust
    /// policy must allow.
    pub fn finding(&self, role: &RoleConfig) -> Option<Finding> {
        let mut what = Vec::new();
        let mut actions = Vec::new();
        if !self.transitive.is_empty() {
            let keys: Vec<&str> = self.transitive.iter().map(|(k, _)| k.as_str()).collect();
            what.push(format!("the transitive session tags {}", keys.join(", ")));
            actions.push("sts:TagSession (trust.tag-session)");
        }
        if let Some((id, by)) = &self.source_identity
            && role.options.source_identity.is_none()
        {
            what.push(format!("the source identity `{id}` set by role {by}"));
            actions.push("sts:SetSourceIdentity (trust.set-source-identity)");
        }
        (!what.is_empty()).then(|| {
            Finding::new(
                FindingId::ChainInherited,
                Status::Pass,
                format!(
                    "role {}: the session it is called from carries {}, which pass to every later session of the chain, so the trust policy of {} must also allow {}",
                    role.name,
                    what.join(" and "),
                    role.role_arn,
                    actions.join(" and ")
                ),
            )
        })
    }
}

/// The keys rolehop's configuration fixes for this hop's call, with what it inherits.
pub(super) fn call_keys(hop: &Hop, inherited: &Inherited) -> Vec<(String, String)> {
    let mut context = Vec::new();
    let mut tag_keys: Vec<&String> = Vec::new();
    let own = hop.options.tags.iter().map(|t| (&t.key, &t.value));
    let carried = inherited.transitive.iter().map(|(k, v)| (k, v));
    for (key, value) in carried.chain(own) {
        if !tag_keys.contains(&key) {
            context.push((format!("aws:RequestTag/{key}"), value.clone()));
            context.push(("aws:TagKeys".into(), key.clone()));
            tag_keys.push(key);
        }
    }
    for key in &hop.options.transitive_tag_keys {
        context.push(("sts:TransitiveTagKeys".into(), key.clone()));
    }
    let source_identity = hop
        .options
        .source_identity
        .clone()
        .or_else(|| inherited.source_identity.as_ref().map(|(id, _)| id.clone()));
    if let Some(id) = source_identity {
        context.push(("sts:SourceIdentity".into(), id));
    }
    context.push((
        "sts:RoleSessionName".into(),
        hop.session_name.as_str().to_owned(),
    ));
    context
}

/// One key filled from what the task read: its value (`None`: absent) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FilledKey {
    key: String,
    value: Option<String>,
    from: String,
}

/// The keys filled from what the task can read, for one hop.
#[derive(Debug, Default)]
pub(super) struct Filled {
    keys: Vec<FilledKey>,
    /// Lower-cased prefixes under which every key not filled is absent (`aws:PrincipalTag/*`).
    absent_prefixes: Vec<(String, String)>,
    /// What stays unknown: the key, and why with the flags that state it.
    unknown: Vec<(String, String)>,
}

impl Filled {
    fn put(&mut self, key: &str, value: Option<String>, from: &str) {
        self.keys.push(FilledKey {
            key: key.to_owned(),
            value,
            from: from.to_owned(),
        });
    }

    /// `aws:RequestedRegion` from the region rolehop's STS client calls.
    pub fn region(&mut self, region: Option<&str>) {
        match region {
            Some(r) => self.put(
                "aws:RequestedRegion",
                Some(r.to_owned()),
                "the region of rolehop's STS endpoint (AWS_REGION)",
            ),
            None => self.unknown.push((
                "aws:RequestedRegion".into(),
                "aws:RequestedRegion: no region is set; give --context aws:RequestedRegion=REGION"
                    .into(),
            )),
        }
    }

    /// The calling session's `aws:PrincipalTag/*`: its session tags over its role's IAM tags
    /// (`role_tags`, or why they could not be read). Once the role's tags are known, every
    /// other `aws:PrincipalTag/*` is absent.
    pub fn principal_tags(
        &mut self,
        role: &str,
        role_tags: Result<Vec<(String, String)>, ReadError>,
        session_tags: &[(String, String)],
    ) {
        let from_session = "the calling session's session tags (rolehop's configuration)";
        for (k, v) in session_tags {
            self.put(
                &format!("aws:PrincipalTag/{k}"),
                Some(v.clone()),
                from_session,
            );
        }
        match role_tags {
            Ok(tags) => {
                let from = format!("the tags of {role} (iam:ListRoleTags)");
                for (k, v) in tags {
                    if !session_tags.iter().any(|(s, _)| s.eq_ignore_ascii_case(&k)) {
                        self.put(&format!("aws:PrincipalTag/{k}"), Some(v), &from);
                    }
                }
                self.absent_prefixes.push(("aws:PrincipalTag/*".into(), from));
            }
            Err(why) => self.unknown.push((
                "aws:PrincipalTag/*".into(),
                format!(
                    "aws:PrincipalTag/* of {role}: its tags cannot be read ({why}); give --context aws:PrincipalTag/KEY=VALUE for each, or --absent 'aws:PrincipalTag/*' when it has none"
                ),
            )),
        }
    }

    /// `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` from the caller's organization.
    pub fn organization(&mut self, org: &Organization) {
        let from = "organizations:DescribeOrganization with the caller's credentials";
        match org {
            Organization::Member { id, parents } => {
                self.put("aws:PrincipalOrgID", Some(id.clone()), from);
                match parents {
                    Ok(parents) => self.put(
                        "aws:PrincipalOrgPaths",
                        Some(org_path(id, parents)),
                        "organizations:ListParents up to the root with the caller's credentials",
                    ),
                    Err(why) => self.unknown.push((
                        "aws:PrincipalOrgPaths".into(),
                        format!(
                            "aws:PrincipalOrgPaths: the caller's account's place in its organization cannot be read ({why}; only the management account or a delegated administrator may call ListParents); give --context aws:PrincipalOrgPaths=o-.../r-.../ou-.../ (the OUs down to the one the account is attached to, each followed by /)"
                        ),
                    )),
                }
            }
            Organization::None => {
                let from = format!("{from} (AWSOrganizationsNotInUseException: in no organization)");
                self.put("aws:PrincipalOrgID", None, &from);
                self.put("aws:PrincipalOrgPaths", None, &from);
            }
            Organization::Unread(why) => self.unknown.push((
                "aws:PrincipalOrgID".into(),
                format!(
                    "aws:PrincipalOrgID: the caller's organization cannot be read ({why}); give --context aws:PrincipalOrgID=o-... or --absent aws:PrincipalOrgID"
                ),
            )),
        }
    }

    /// The network path of the STS call, from the endpoint host rolehop calls (`None`: an
    /// endpoint the operator chose, which says nothing) and what it resolves to.
    pub fn network(&mut self, host: Option<&str>, resolved: Result<Vec<IpAddr>, ResolveError>) {
        let Some(host) = host else { return };
        let addrs = match resolved {
            Ok(addrs) => addrs,
            Err(why) => {
                self.unknown.push((
                    "aws:SourceVpce".into(),
                    format!(
                        "aws:SourceVpce / aws:SourceIp: {host} does not resolve here ({why}), so whether STS is reached through a VPC endpoint is not known; give --context aws:SourceVpce=vpce-... or --absent aws:SourceVpce"
                    ),
                ));
                return;
            }
        };
        match sts_path(host, &addrs) {
            StsPath::Endpoint(id) => {
                let from = format!("the VPC endpoint's own DNS name {host}");
                self.put("aws:SourceVpce", Some(id), &from);
                self.put("aws:SourceIp", None, &from);
            }
            StsPath::PrivateDns => self.put(
                "aws:SourceIp",
                None,
                &format!("{host} resolves to private addresses only: an interface VPC endpoint with private DNS"),
            ),
            StsPath::Internet => {
                let from = format!("{host} resolves to public addresses only: no VPC endpoint");
                for k in ["aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp"] {
                    self.put(k, None, &from);
                }
            }
            StsPath::Mixed => {}
        }
    }

    /// Adds the filled keys to `context` and `absent`, except those the operator gave
    /// (`given`, `stated`), and says what was filled, replaced and left unknown for `role`.
    pub fn apply(
        self,
        role: &str,
        given: &[(String, String)],
        stated: &[String],
        context: &mut Vec<(String, String)>,
        absent: &mut Vec<String>,
        out: &mut Vec<Finding>,
    ) {
        let operator_has = |key: &str| {
            given.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
                || stated.iter().any(|k| k.eq_ignore_ascii_case(key))
        };
        let mut filled = Vec::new();
        let mut replaced = Vec::new();
        for k in self.keys {
            if operator_has(&k.key) {
                replaced.push(k.key);
                continue;
            }
            match &k.value {
                Some(v) => {
                    filled.push(format!("{}={v} (from {})", k.key, k.from));
                    context.push((k.key, v.clone()));
                }
                None => {
                    filled.push(format!("{} absent (from {})", k.key, k.from));
                    absent.push(k.key);
                }
            }
        }
        for (prefix, from) in self.absent_prefixes {
            if !operator_has(&prefix) {
                filled.push(format!("every other {prefix} absent (from {from})"));
                absent.push(prefix);
            }
        }
        replaced.dedup();
        if !filled.is_empty() || !replaced.is_empty() {
            let mut message = format!(
                "role {role}: request keys filled from what the task reads: {}",
                if filled.is_empty() {
                    "none".to_owned()
                } else {
                    filled.join("; ")
                }
            );
            if !replaced.is_empty() {
                message.push_str(&format!(
                    "; given with --context or --absent instead of what was read: {}",
                    replaced.join(", ")
                ));
            }
            out.push(Finding::new(
                FindingId::OnlineContext,
                Status::Pass,
                message,
            ));
        }
        for (key, why) in self.unknown {
            if !operator_has(&key) {
                out.push(Finding::new(
                    FindingId::OnlineContext,
                    Status::Unknown,
                    format!("role {role}: {why}"),
                ));
            }
        }
    }
}

/// How the STS call leaves the task, as its endpoint's name and addresses tell. IAM User
/// Guide, "AWS global condition context keys": a request through a VPC endpoint carries
/// `aws:SourceVpce` (and `aws:SourceVpc`, `aws:VpcSourceIp`) and no `aws:SourceIp`; one over
/// the internet the reverse (`check::infer` holds the same rule for given keys). AWS
/// PrivateLink guide, "Access an AWS service using an interface VPC endpoint": an endpoint's
/// own DNS names are `vpce-ID-SUFFIX.SERVICE.REGION.vpce.amazonaws.com`, and with private DNS
/// the service's default name resolves to the endpoint's private addresses in the VPC.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StsPath {
    /// Through the interface endpoint of this id, named by its own DNS name.
    Endpoint(String),
    /// Through an interface endpoint whose private DNS answers for STS's default name.
    PrivateDns,
    /// Over the internet (or NAT): no VPC endpoint.
    Internet,
    /// Private and public addresses both: not known.
    Mixed,
}

pub(super) fn sts_path(host: &str, addrs: &[IpAddr]) -> StsPath {
    let host = host.to_ascii_lowercase();
    if host.ends_with(".vpce.amazonaws.com")
        && let Some(first) = host.split('.').next()
        && let Some(rest) = first.strip_prefix("vpce-")
    {
        let id = rest.split('-').next().unwrap_or_default();
        return StsPath::Endpoint(format!("vpce-{id}"));
    }
    let private = |a: &IpAddr| match a {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    };
    match (addrs.iter().all(private), addrs.iter().any(private)) {
        _ if addrs.is_empty() => StsPath::Mixed,
        (true, _) => StsPath::PrivateDns,
        (false, false) => StsPath::Internet,
        (false, true) => StsPath::Mixed,
    }
}

/// The host of STS's default regional endpoint, when rolehop calls it: `None` when the
/// operator set an endpoint (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`: a VPC endpoint's own
/// name is read from it) or FIPS / dual-stack endpoints.
pub(super) fn sts_host(
    region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    for var in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env(var).filter(|u| !u.is_empty()) {
            let host = url
                .split("://")
                .nth(1)
                .unwrap_or(&url)
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_owned();
            return host.ends_with(".vpce.amazonaws.com").then_some(host);
        }
    }
    if ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"]
        .iter()
        .any(|v| env(v).is_some_and(|x| x.eq_ignore_ascii_case("true")))
    {
        return None;
    }
    let region = region?;
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Some(format!("sts.{region}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Vec<RoleConfig> {
        let env = |k: &str| {
            (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/v2/credentials/x".to_owned())
        };
        crate::config::file::parse(
            "[profile hub]\nrole_arn = arn:aws:iam::444455556666:role/hub\ncredential_source = EcsContainer\nrolehop_session_tags = Project=blue, Team=data\nrolehop_transitive_tag_keys = Project\nrolehop_source_identity = alice\n\n[profile audit]\nrole_arn = arn:aws:iam::999988887777:role/audit\nsource_profile = hub\n\n[profile vault]\nrole_arn = arn:aws:iam::999988887777:role/vault\nsource_profile = audit\n",
            std::path::Path::new("/etc/rolehop/config"),
            &env,
        )
        .unwrap()
    }

    #[test]
    fn transitive_tags_and_a_source_identity_pass_to_every_later_hop() {
        let roles = chain();
        let hub = inherited(&roles, &roles[0]);
        assert_eq!(hub, Inherited::default());
        assert!(hub.finding(&roles[0]).is_none());
        let audit = inherited(&roles, &roles[1]);
        assert_eq!(
            audit.session_tags,
            [
                ("Project".into(), "blue".into()),
                ("Team".into(), "data".into())
            ]
        );
        assert_eq!(audit.transitive, [("Project".into(), "blue".into())]);
        assert_eq!(audit.source_identity, Some(("alice".into(), "hub".into())));
        // Two hops on: only the transitive tag is left, and the source identity stays.
        let vault = inherited(&roles, &roles[2]);
        assert_eq!(vault.session_tags, [("Project".into(), "blue".into())]);
        assert_eq!(vault.transitive, [("Project".into(), "blue".into())]);
        let f = vault.finding(&roles[2]).expect("chain.inherited");
        assert!(
            f.message.contains("sts:TagSession") && f.message.contains("sts:SetSourceIdentity"),
            "{}",
            f.message
        );
    }

    #[test]
    fn the_sts_endpoint_tells_whether_the_call_goes_through_a_vpc_endpoint() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            sts_path(
                "vpce-0a1b2c3d4e5f67890-abcdefgh.sts.eu-west-1.vpce.amazonaws.com",
                &[]
            ),
            StsPath::Endpoint("vpce-0a1b2c3d4e5f67890".into())
        );
        let host = "sts.eu-west-1.amazonaws.com";
        assert_eq!(
            sts_path(host, &[ip("10.1.2.3"), ip("10.1.9.9")]),
            StsPath::PrivateDns
        );
        assert_eq!(sts_path(host, &[ip("52.94.1.1")]), StsPath::Internet);
        assert_eq!(
            sts_path(host, &[ip("10.1.2.3"), ip("52.94.1.1")]),
            StsPath::Mixed
        );

        let mut filled = Filled::default();
        filled.network(Some(host), Ok(vec![ip("10.1.2.3")]));
        let (mut context, mut absent, mut out) = (Vec::new(), Vec::new(), Vec::new());
        filled.apply("r", &[], &[], &mut context, &mut absent, &mut out);
        assert_eq!(absent, ["aws:SourceIp"]);

        let env =
            |k: &str| (k == "AWS_ENDPOINT_URL_STS").then(|| "http://127.0.0.1:5000".to_owned());
        assert_eq!(sts_host(Some("eu-west-1"), &env), None);
        assert_eq!(
            sts_host(Some("eu-west-1"), &|_| None).as_deref(),
            Some("sts.eu-west-1.amazonaws.com")
        );
    }

    #[test]
    fn the_org_path_runs_from_the_organization_down_to_the_accounts_ou() {
        use super::super::organizations::Parent;
        let parent = |id: &str, is_root| Parent {
            id: id.into(),
            is_root,
        };
        // ListParents walks up: the account's OU first, the root last.
        let walked = [
            parent("ou-ab12-22222222", false),
            parent("ou-ab12-11111111", false),
            parent("r-ab12", true),
        ];
        let mut filled = Filled::default();
        filled.organization(&Organization::Member {
            id: "o-a1b2c3d4e5".into(),
            parents: Ok(walked.into()),
        });
        let (mut context, mut absent, mut out) = (Vec::new(), Vec::new(), Vec::new());
        filled.apply("r", &[], &[], &mut context, &mut absent, &mut out);
        assert_eq!(
            context,
            [
                ("aws:PrincipalOrgID".into(), "o-a1b2c3d4e5".into()),
                (
                    "aws:PrincipalOrgPaths".into(),
                    "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/".into()
                ),
            ]
        );
        // An account attached to the root.
        assert_eq!(
            org_path("o-a1b2c3d4e5", &[parent("r-ab12", true)]),
            "o-a1b2c3d4e5/r-ab12/"
        );

        // Refused (a member account's ListParents): the id stays, the path is unknown.
        let mut filled = Filled::default();
        filled.organization(&Organization::Member {
            id: "o-a1b2c3d4e5".into(),
            parents: Err(ReadError::new(
                crate::probe::read_error::ReadErrorKind::Refused,
                "organizations:ListParents: AccessDenied",
            )),
        });
        let (mut context, mut absent, mut out) = (Vec::new(), Vec::new(), Vec::new());
        filled.apply("r", &[], &[], &mut context, &mut absent, &mut out);
        assert_eq!(context.len(), 1);
        assert!(
            out[1].status == Status::Unknown
                && out[1]
                    .message
                    .contains("--context aws:PrincipalOrgPaths=o-.../r-.../ou-.../"),
            "{}",
            out[1].message
        );
    }

    #[test]
    fn the_operator_replaces_filled_keys_and_unread_keys_name_their_flag() {
        let mut filled = Filled::default();
        filled.region(Some("eu-west-1"));
        filled.principal_tags("hub", Ok(vec![("team".into(), "platform".into())]), &[]);
        filled.organization(&Organization::Unread(ReadError::new(
            crate::probe::read_error::ReadErrorKind::Refused,
            "AccessDenied",
        )));
        let (mut context, mut absent, mut out) = (Vec::new(), Vec::new(), Vec::new());
        filled.apply(
            "audit",
            &[("aws:RequestedRegion".into(), "us-east-1".into())],
            &[],
            &mut context,
            &mut absent,
            &mut out,
        );
        assert_eq!(
            context,
            [("aws:PrincipalTag/team".into(), "platform".into())]
        );
        assert_eq!(absent, ["aws:PrincipalTag/*"]);
        let pass = &out[0];
        assert!(
            pass.status == Status::Pass
                && pass.message.contains("iam:ListRoleTags")
                && pass
                    .message
                    .contains("instead of what was read: aws:RequestedRegion"),
            "{}",
            pass.message
        );
        assert!(
            out[1].status == Status::Unknown
                && out[1].message.contains("--absent aws:PrincipalOrgID"),
            "{}",
            out[1].message
        );
    }
}
