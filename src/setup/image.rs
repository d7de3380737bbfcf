//! How the image the task definition names gets there: rolehop publishes no image, so `setup`'s
//! `Next:` says how to build rolehop's (docker/Dockerfile, from rolehop's source) and push it to
//! the repository `--image` names, with the ECR commands when it is the default (the task role's
//! account's ECR in the task's region). The build names the task's platform (`--arch`): the
//! machine that runs it is not known here, and a plain `docker build` makes an image for that
//! machine's platform only, which ECS would refuse to start on another `runtimePlatform`. The
//! Dockerfile cross-compiles in a stage on the build machine's platform, so this needs no
//! emulation and no builder beyond Docker's default.

use super::Setup;

/// The registry host and repository of an ECR image reference
/// (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`), or `None` for any other registry.
fn ecr(image: &str) -> Option<(&str, &str)> {
    let (host, rest) = image.split_once('/')?;
    let repository = rest.split([':', '@']).next()?;
    (host.contains(".dkr.ecr.") && !repository.is_empty()).then_some((host, repository))
}

/// The lines of `Next:` that build and push rolehop's image.
pub fn next_steps(setup: &Setup) -> String {
    let image = &setup.image;
    let mut s = format!(
        "The task definition runs rolehop from {image}; rolehop publishes no image, so build it from rolehop's source and push it there before the task starts:\n"
    );
    if let Some((host, repository)) = ecr(image) {
        let region = &setup.region;
        s.push_str(&format!(
            "  aws ecr create-repository --repository-name {repository} --region {region}   (once)\n\
             \x20 aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {host}\n"
        ));
    }
    let platform = setup.arch.docker_name();
    s.push_str(&format!(
        "  docker buildx build -f docker/Dockerfile --platform linux/{platform} -t {image} --push .\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::ecr;

    #[test]
    fn an_ecr_reference_gives_its_host_and_repository() {
        assert_eq!(
            ecr("111122223333.dkr.ecr.us-east-1.amazonaws.com/team/rolehop:0.1.0"),
            Some((
                "111122223333.dkr.ecr.us-east-1.amazonaws.com",
                "team/rolehop"
            ))
        );
        assert_eq!(ecr("ghcr.io/example/rolehop:1"), None);
        assert_eq!(ecr("rolehop:1"), None);
    }
}
