//! `check --task-definition`: the platform a definition runs on (`runtimePlatform`) against the
//! platforms rolehop's own image is built for ([`crate::platform`]). A task on a platform the
//! image lacks never starts its rolehop container ("exec format error", or no matching
//! manifest), so every app waiting for it to be `HEALTHY` waits forever.

use super::container_def;
use super::findings::{Finding, FindingId, Status};
use crate::platform::{self, Arch};

/// One finding per container that runs rolehop's own image: PASS when the image is built for
/// the definition's platform, WARN when it is not. Containers of other images are not judged.
pub fn task_definition(file: &str, text: &str) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports invalid JSON.
    };
    let field = |name: &str| td["runtimePlatform"][name].as_str();
    let arch = field("cpuArchitecture").unwrap_or(platform::DEFAULT_ARCH.ecs_name());
    let os = field("operatingSystemFamily").unwrap_or(platform::DEFAULT_OS_FAMILY);
    let built = Arch::from_ecs_name(arch).filter(|_| os == platform::OS_FAMILY);
    let built_for = Arch::ALL
        .iter()
        .map(|a| a.ecs_name())
        .collect::<Vec<_>>()
        .join(" and ");
    container_def::containers(&td)
        .into_iter()
        .filter_map(|c| Some((c["name"].as_str()?, c["image"].as_str()?)))
        .filter(|(_, image)| platform::is_rolehop_image(image))
        .map(|(name, image)| match built {
            Some(arch) => Finding::new(
                FindingId::EcsImagePlatform,
                Status::Pass,
                format!(
                    "{file}: container `{name}` runs rolehop's image for linux/{} ({os} on {})",
                    arch.docker_name(),
                    arch.ecs_name()
                ),
            ),
            None => Finding::new(
                FindingId::EcsImagePlatform,
                Status::Warn,
                format!(
                    "{file}: container `{name}` runs {image} on {os} {arch} (runtimePlatform), for which rolehop's image is not built, so it will not start; set runtimePlatform to {{\"cpuArchitecture\": \"X86_64\" or \"ARM64\", \"operatingSystemFamily\": \"{}\"}} (built for {built_for})",
                    platform::OS_FAMILY
                ),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(td: &str) -> Vec<Status> {
        task_definition("td.json", td)
            .iter()
            .map(|f| f.status)
            .collect()
    }

    const CONTAINERS: &str = r#""containerDefinitions": [
        {"name": "rolehop", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/rolehop:0.1.0"},
        {"name": "app", "image": "public.ecr.aws/aws-cli/aws-cli:latest"}]"#;

    #[test]
    fn a_platform_the_image_is_built_for_passes() {
        for platform in [
            "",
            r#""runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},"#,
            r#""runtimePlatform": {"cpuArchitecture": "X86_64"},"#,
            r#""runtimePlatform": {"cpuArchitecture": "ARM64"},"#,
        ] {
            let td = format!("{{{platform} {CONTAINERS}}}");
            assert_eq!(statuses(&td), [Status::Pass], "{td}");
        }
        let described = format!(
            r#"{{"taskDefinition": {{"runtimePlatform": {{"cpuArchitecture": "ARM64"}}, {CONTAINERS}}}}}"#
        );
        let f = task_definition("td.json", &described);
        assert!(f[0].message.contains("linux/arm64"), "{}", f[0].message);
    }

    #[test]
    fn a_platform_the_image_lacks_warns_naming_the_fix() {
        for platform in [
            r#""runtimePlatform": {"cpuArchitecture": "arm64"},"#,
            r#""runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},"#,
        ] {
            let td = format!("{{{platform} {CONTAINERS}}}");
            let f = task_definition("td.json", &td);
            assert_eq!(f.len(), 1, "{td}");
            assert_eq!(f[0].status, Status::Warn, "{td}");
            assert!(
                f[0].message.contains("`rolehop`")
                    && f[0].message.contains("\"ARM64\"")
                    && f[0].message.contains("built for X86_64 and ARM64"),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn other_images_are_not_judged() {
        let td = r#"{"runtimePlatform": {"cpuArchitecture": "RISCV"}, "containerDefinitions": [
            {"name": "app", "image": "my-app-with-rolehop:1"}]}"#;
        assert!(task_definition("td.json", td).is_empty());
        assert!(task_definition("td.json", "not json").is_empty());
    }
}
