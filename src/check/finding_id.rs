//! The stable ids of `check`'s findings: each id names one rule, documented in `docs/CHECK.md`
//! (a unit test holds that list to this one), and is what scripts match in the JSON report.
//! Code compares these variants, never the strings.

use std::fmt;

use serde::{Serialize, Serializer};

/// Declares the ids once: each variant with its string, `as_str`, `ALL` and `FromStr`.
macro_rules! finding_ids {
    ($($variant:ident => $id:literal,)+) => {
        /// One rule of `check`; its string is the id in the reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FindingId {
            $($variant,)+
        }

        impl FindingId {
            /// Every id, in the order declared.
            pub const ALL: &[FindingId] = &[$(FindingId::$variant,)+];

            /// The id as reports print it (`trust.allows`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingId::$variant => $id,)+
                }
            }
        }

        impl std::str::FromStr for FindingId {
            type Err = UnknownFindingId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($id => Ok(FindingId::$variant),)+
                    _ => Err(UnknownFindingId(s.to_owned())),
                }
            }
        }
    };
}

finding_ids! {
    PolicyJson => "policy.json",
    PolicyVersion => "policy.version",
    PolicyElement => "policy.element",
    PolicyEffect => "policy.effect",
    PolicyAction => "policy.action",
    PolicyCondition => "policy.condition",
    PolicySid => "policy.sid",
    FilesSwapped => "files.swapped",
    TrustNotPrincipal => "trust.not-principal",
    TrustResource => "trust.resource",
    TrustPrincipalForm => "trust.principal-form",
    TrustOpen => "trust.open",
    ArnSyntax => "arn.syntax",
    ArnCase => "arn.case",
    ScpAllows => "scp.allows",
    RcpAllows => "rcp.allows",
    BoundaryAllows => "boundary.allows",
    SessionPolicyAllows => "session-policy.allows",
    IdentityAssumeRole => "identity.assume-role",
    IdentityTagSession => "identity.tag-session",
    IdentitySetSourceIdentity => "identity.set-source-identity",
    TrustAllows => "trust.allows",
    TrustTagSession => "trust.tag-session",
    TrustSetSourceIdentity => "trust.set-source-identity",
    TrustSelfAssume => "trust.self-assume",
    TrustExternalId => "trust.external-id",
    TrustSourceCondition => "trust.source-condition",
    IdentityPassRole => "identity.pass-role",
    RequestDuration => "request.duration",
    ChainInherited => "chain.inherited",
    ManagedPolicyPath => "managed-policy.path",
    EnvRelativeUri => "env.relative-uri",
    EnvFullUri => "env.full-uri",
    EnvFullUriHost => "env.full-uri-host",
    EnvImds => "env.imds",
    EnvStaticKeys => "env.static-keys",
    EnvTokenFile => "env.token-file",
    ConfigValid => "config.valid",
    OnlineRegion => "online.region",
    OnlineSource => "online.source",
    OnlineAssume => "online.assume",
    OnlineMaxSessionDuration => "online.max-session-duration",
    OnlineTrustPolicy => "online.trust-policy",
    OnlineIdentityPolicy => "online.identity-policy",
    OnlineBoundary => "online.boundary",
    OnlineScp => "online.scp",
    OnlineModel => "online.model",
    OnlineContext => "online.context",
    EcsTaskDefinition => "ecs.task-definition",
    EcsRequest => "ecs.request",
    EcsClientRoles => "ecs.client-roles",
    EcsContainerIsolation => "ecs.container-isolation",
    EcsPublishedVolume => "ecs.published-volume",
    EcsLogPermissions => "ecs.log-permissions",
    EcsImagePlatform => "ecs.image-platform",
    EcsExecCredentials => "ecs-exec.credentials",
    EcsExecStaticKeys => "ecs-exec.static-keys",
    EcsExecReadOnlyRoot => "ecs-exec.read-only-root",
    EcsExecInitProcess => "ecs-exec.init-process",
    EcsExecTaskRole => "ecs-exec.task-role",
    EcsExecTarget => "ecs-exec.target",
    EcsExecCommand => "ecs-exec.command",
    AppWiring => "app.wiring",
    AppIdentity => "app.identity",
    ClientsAccount => "clients.account",
    AwsDenied => "aws.denied",
    AwsLimit => "aws.limit",
    AwsEncoded => "aws.encoded",
    AwsStatement => "aws.statement",
    EcsServicePrincipal => "ecs.service-principal",
    EcsConfusedDeputy => "ecs.confused-deputy",
}

impl FindingId {
    /// The findings about the AssumeRole decision itself (every `trust.*` and `identity.*`
    /// rule and each part's verdict): online, STS's own answer outranks them. Exhaustive, so
    /// a new id must be placed.
    pub fn is_about_the_decision(self) -> bool {
        use FindingId::*;
        match self {
            TrustNotPrincipal
            | TrustResource
            | TrustPrincipalForm
            | TrustOpen
            | TrustAllows
            | TrustTagSession
            | TrustSetSourceIdentity
            | TrustSelfAssume
            | TrustExternalId
            | TrustSourceCondition
            | IdentityAssumeRole
            | IdentityTagSession
            | IdentitySetSourceIdentity
            | IdentityPassRole
            | ScpAllows
            | RcpAllows
            | BoundaryAllows
            | SessionPolicyAllows => true,
            PolicyJson
            | PolicyVersion
            | PolicyElement
            | PolicyEffect
            | PolicyAction
            | PolicyCondition
            | PolicySid
            | FilesSwapped
            | ArnSyntax
            | ArnCase
            | RequestDuration
            | ChainInherited
            | ManagedPolicyPath
            | EnvRelativeUri
            | EnvFullUri
            | EnvFullUriHost
            | EnvImds
            | EnvStaticKeys
            | EnvTokenFile
            | ConfigValid
            | OnlineRegion
            | OnlineSource
            | OnlineAssume
            | OnlineMaxSessionDuration
            | OnlineTrustPolicy
            | OnlineIdentityPolicy
            | OnlineBoundary
            | OnlineScp
            | OnlineModel
            | OnlineContext
            | EcsTaskDefinition
            | EcsRequest
            | EcsClientRoles
            | EcsContainerIsolation
            | EcsPublishedVolume
            | EcsLogPermissions
            | EcsImagePlatform
            | EcsExecCredentials
            | EcsExecStaticKeys
            | EcsExecReadOnlyRoot
            | EcsExecInitProcess
            | EcsExecTaskRole
            | EcsExecTarget
            | EcsExecCommand
            | AppWiring
            | AppIdentity
            | ClientsAccount
            | AwsDenied
            | AwsLimit
            | AwsEncoded
            | AwsStatement
            | EcsServicePrincipal
            | EcsConfusedDeputy => false,
        }
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A string that names no finding of `check`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a check id (docs/CHECK.md lists them)")]
pub struct UnknownFindingId(pub String);

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The ids in the first column of docs/CHECK.md's tables (`| `a.b`, `c.d` | ...`).
    fn documented() -> BTreeSet<String> {
        let doc = include_str!("../../docs/CHECK.md");
        doc.lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split(" |").next())
            .flat_map(|cell| cell.split(", "))
            .map(|id| id.trim_matches('`').to_owned())
            .filter(|id| id.contains('.'))
            .collect()
    }

    #[test]
    fn docs_list_exactly_the_ids_of_the_type() {
        let typed: BTreeSet<String> = FindingId::ALL
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect();
        let documented = documented();
        assert_eq!(
            typed.difference(&documented).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "ids missing from docs/CHECK.md"
        );
        assert_eq!(
            documented.difference(&typed).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "ids in docs/CHECK.md that FindingId lacks"
        );
    }

    #[test]
    fn the_decision_ids_are_the_trust_identity_and_part_rules() {
        for id in FindingId::ALL {
            let s = id.as_str();
            let by_name =
                s.starts_with("trust.") || s.starts_with("identity.") || s.ends_with(".allows");
            assert_eq!(id.is_about_the_decision(), by_name, "{s}");
        }
    }

    #[test]
    fn every_id_reads_back_as_itself() {
        for id in FindingId::ALL {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(*id));
        }
        assert!("trust.json".parse::<FindingId>().is_err());
    }
}
