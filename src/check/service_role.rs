//! ECS's own service roles (REFERENCE 8) and the one service principal each must trust:
//! `check --service-role-trust KIND=FILE` names them by kind, and `setup` writes their trust
//! policies from the same table.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceRoleKind {
    /// A task role (the source role of rolehop's hops).
    Task,
    /// The task execution role (pulls images, reads secrets).
    Execution,
    /// The infrastructure role (volumes, Service Connect TLS, VPC Lattice, load balancers).
    Infrastructure,
    /// The CodeDeploy role for blue/green deployments.
    CodeDeploy,
    /// The container instance role (EC2 launch type).
    Instance,
}

impl ServiceRoleKind {
    pub const ALL: [ServiceRoleKind; 5] = [
        ServiceRoleKind::Task,
        ServiceRoleKind::Execution,
        ServiceRoleKind::Infrastructure,
        ServiceRoleKind::CodeDeploy,
        ServiceRoleKind::Instance,
    ];

    /// The kind as `--service-role-trust` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRoleKind::Task => "task",
            ServiceRoleKind::Execution => "execution",
            ServiceRoleKind::Infrastructure => "infrastructure",
            ServiceRoleKind::CodeDeploy => "codedeploy",
            ServiceRoleKind::Instance => "instance",
        }
    }

    /// The service principal the role's trust policy must let call sts:AssumeRole.
    pub fn service_principal(self) -> &'static str {
        match self {
            ServiceRoleKind::Task | ServiceRoleKind::Execution => "ecs-tasks.amazonaws.com",
            ServiceRoleKind::Infrastructure => "ecs.amazonaws.com",
            ServiceRoleKind::CodeDeploy => "codedeploy.amazonaws.com",
            ServiceRoleKind::Instance => "ec2.amazonaws.com",
        }
    }
}

impl fmt::Display for ServiceRoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind `--service-role-trust` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--service-role-trust kind `{0}` is not one of task, execution, infrastructure, codedeploy, instance; use one of them, e.g. execution=trust.json"
)]
pub struct UnknownServiceRoleKind(pub String);

impl FromStr for ServiceRoleKind {
    type Err = UnknownServiceRoleKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceRoleKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownServiceRoleKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_and_unknown_ones_are_refused() {
        for kind in ServiceRoleKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!(
            "lambda".parse::<ServiceRoleKind>(),
            Err(UnknownServiceRoleKind("lambda".into()))
        );
    }
}
