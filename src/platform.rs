//! The platforms rolehop's image is built for, in ECS's words (`runtimePlatform` of a task
//! definition) and Docker's (`--platform linux/ARCH`): `docker/Dockerfile` builds, and
//! `scripts/image-check` builds and checks, exactly these (a test holds the script to this
//! list). `setup --arch` writes them; `check --task-definition` compares a definition's with them.

use clap::ValueEnum;

/// A CPU architecture rolehop's image is built for (as a flag value: ECS's name in lower case,
/// or Docker's or Rust's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Arch {
    /// x86_64 (amd64): what a task definition without `runtimePlatform` runs on.
    #[value(name = "x86_64", alias = "amd64")]
    X86_64,
    /// 64-bit ARM (AWS Graviton).
    #[value(name = "arm64", alias = "aarch64")]
    Arm64,
}

impl Arch {
    /// Every architecture the image is built for.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Arm64];

    /// ECS's `runtimePlatform.cpuArchitecture` value (ECS API Reference, `RuntimePlatform`:
    /// valid values `X86_64 | ARM64`).
    pub fn ecs_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "X86_64",
            Arch::Arm64 => "ARM64",
        }
    }

    /// The architecture in Docker's and the OCI image index's words (`linux/amd64`).
    pub fn docker_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The architecture named by an ECS `cpuArchitecture` value, if the image is built for it.
    pub fn from_ecs_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.ecs_name() == name)
    }
}

/// ECS's `runtimePlatform.operatingSystemFamily` of every image rolehop builds (ECS API
/// Reference, `RuntimePlatform`: `LINUX` or one of the `WINDOWS_SERVER_*` families).
pub const OS_FAMILY: &str = "LINUX";

/// What a task definition without `runtimePlatform` (or without one of its fields) runs on. The
/// ECS API Reference states no default; the ECS Developer Guide's "task definitions for 64-bit
/// ARM workloads" has ARM64 set explicitly, and AWS Batch's `RuntimePlatform` reference (the same
/// structure, for Batch on Fargate) gives `X86_64` and `LINUX` as the defaults.
pub const DEFAULT_ARCH: Arch = Arch::X86_64;
pub const DEFAULT_OS_FAMILY: &str = "LINUX";

/// Whether a container image reference names rolehop's own image: its repository's last path
/// segment is `rolehop` (`rolehop:0.1.0`, `111122223333.dkr.ecr.us-east-1.amazonaws.com/rolehop@sha256:…`).
pub fn is_rolehop_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or_default();
    let last = without_digest.rsplit('/').next().unwrap_or_default();
    let repository = last.split(':').next().unwrap_or_default();
    repository == "rolehop"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolehops_image_is_told_by_its_repository_name() {
        for image in [
            "rolehop",
            "rolehop:0.1.0",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/rolehop:0.1.0",
            "registry.example:5000/team/rolehop@sha256:0123abcd",
        ] {
            assert!(is_rolehop_image(image), "{image}");
        }
        for image in [
            "public.ecr.aws/aws-cli/aws-cli:latest",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/my-app-with-rolehop:1",
            "rolehop/app:1",
            "registry.example:5000/rolehop-fork:2",
        ] {
            assert!(!is_rolehop_image(image), "{image}");
        }
    }

    #[test]
    fn the_image_scripts_build_exactly_these_architectures() {
        let image_check = include_str!("../scripts/image-check");
        let names = Arch::ALL.map(Arch::docker_name).join(" ");
        assert_eq!(
            image_check
                .matches(&format!("for arch in {names}; do"))
                .count(),
            3,
            "scripts/image-check builds, indexes and checks {names}"
        );
        let musl_build = include_str!("../scripts/musl-build");
        for arch in Arch::ALL {
            assert!(
                musl_build.contains(&format!("\n    {}) machine=", arch.docker_name())),
                "scripts/musl-build builds {arch:?}"
            );
        }
    }

    #[test]
    fn ecs_names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(Arch::from_ecs_name(arch.ecs_name()), Some(arch));
        }
        assert_eq!(
            Arch::from_ecs_name("arm64"),
            None,
            "ECS's values are upper case"
        );
    }
}
