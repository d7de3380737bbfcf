//! `rolehop publish DIR`: the wiring for an app image that has an AWS SDK or the CLI and nothing
//! of rolehop's. Run once at task start (an init container the app waits for with `dependsOn`
//! SUCCESS), it copies this very binary to `DIR/rolehop` (mode 0755) and writes `DIR/config`
//! (mode 0644), an AWS config file whose profiles' `credential_process` runs
//! `DIR/rolehop credential-process` against the sidecar. The app container mounts DIR and sets
//! `AWS_CONFIG_FILE=DIR/config` (and `AWS_PROFILE`): every SDK measured in docs/SDKS.md consults
//! a profile's `credential_process` before the container provider that ECS's
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` would select, so nothing needs unsetting.
//!
//! Nothing published is secret: the token stays in the app's own `ROLEHOP_TOKEN` (an ECS
//! `secrets` entry) or the token file named by `--token-file`, read when the command runs. Both
//! files are replaced atomically ([`crate::files::replace_atomically`]), so an app that starts
//! early sees the old file or the new one, never half of one.

use std::io;
use std::path::{Path, PathBuf};

use super::CmdError;
use crate::cli::PublishArgs;
use crate::client::Endpoint;
use crate::role_name::{self, DEFAULT_ROLE};

/// The published binary's and config file's names inside DIR.
pub const BINARY: &str = "rolehop";
pub const CONFIG: &str = "config";

pub fn main(args: &PublishArgs) -> Result<(), CmdError> {
    let plan = Plan::from_args(args).map_err(|errors| CmdError {
        code: crate::cli::exit::USAGE,
        messages: errors,
    })?;
    if let Some(mode) = writable_by_others(&plan.dir) {
        eprintln!(
            "rolehop publish: warning: {} is writable by group or others (mode {mode:04o}), so another user could replace the published binary the apps run; make it writable by this container's user only (chmod go-w)",
            plan.dir.display()
        );
    }
    let exe = std::env::current_exe()
        .map_err(|e| CmdError::failure(format!("cannot find rolehop's own binary to copy: {e}")))?;
    let binary = plan.dir.join(BINARY);
    crate::files::replace_atomically(&binary, 0o755, |file| {
        io::copy(&mut std::fs::File::open(&exe)?, file).map(drop)
    })
    .map_err(|e| write_error(&binary, &e))?;
    let config = plan.dir.join(CONFIG);
    crate::files::replace_atomically(&config, 0o644, |file| {
        io::Write::write_all(file, plan.config_text().as_bytes())
    })
    .map_err(|e| write_error(&config, &e))?;
    println!(
        "published {} and {} (profiles: {})",
        binary.display(),
        config.display(),
        plan.profiles.join(", ")
    );
    Ok(())
}

fn write_error(path: &Path, e: &io::Error) -> CmdError {
    let hint = if e.kind() == io::ErrorKind::PermissionDenied {
        "; the directory must be writable by this container's user (on Fargate a task volume is owned by root: see docs/WIRING.md)"
    } else {
        ""
    };
    CmdError::failure(format!("cannot write {}: {e}{hint}", path.display()))
}

/// What `publish` writes, checked before anything is.
#[derive(Debug)]
struct Plan {
    dir: PathBuf,
    endpoint: String,
    profiles: Vec<String>,
    token_file: Option<PathBuf>,
}

impl Plan {
    fn from_args(args: &PublishArgs) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        if !plain_absolute(&args.dir) {
            errors.push(format!(
                "DIR `{}` must be an absolute path of letters, digits and / . _ - only: the published profiles name DIR/rolehop on a command line the SDKs split at spaces",
                args.dir.display()
            ));
        } else if !args.dir.is_dir() {
            errors.push(format!(
                "DIR `{}` is not a directory: mount the task volume the app shares at that containerPath",
                args.dir.display()
            ));
        }
        if let Some(file) = &args.token_file
            && !plain_absolute(file)
        {
            errors.push(format!(
                "--token-file `{}` must be an absolute path of letters, digits and / . _ - only, as the app container sees it",
                file.display()
            ));
        }
        let endpoint = match Endpoint::parse(&args.endpoint) {
            Ok(_) if !plain_url(&args.endpoint) => {
                errors.push(format!(
                    "--endpoint `{}` must be a URL of letters, digits and : / . _ - [ ] only: the published profiles copy it onto a command line some SDKs run through a shell",
                    args.endpoint
                ));
                String::new()
            }
            Ok(endpoint) => endpoint.base().to_owned(),
            Err(e) => {
                errors.push(e.to_string());
                String::new()
            }
        };
        for (i, name) in args.profiles.iter().enumerate() {
            if !role_name::is_servable(name) {
                errors.push(format!(
                    "--profile `{name}` is not a rolehop role name: 1 to {} letters, digits and + = , . @ _ -",
                    role_name::MAX_LEN
                ));
            } else if args.profiles[..i].contains(name) {
                errors.push(format!("--profile {name} is given twice; give it once"));
            } else if name == DEFAULT_ROLE && i > 0 {
                errors.push(format!(
                    "--profile {DEFAULT_ROLE} must come first: the first profile is published as [default]"
                ));
            }
        }
        if args.profiles.is_empty() {
            errors.push("give at least one --profile".to_owned());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            dir: args.dir.clone(),
            endpoint,
            profiles: args.profiles.clone(),
            token_file: args.token_file.clone(),
        })
    }

    /// The AWS config file: `[default]` for the first profile, `[profile NAME]` for the others.
    fn config_text(&self) -> String {
        let mut out = format!(
            "# Written by `rolehop publish`: each profile's credentials come from the rolehop sidecar at\n# {}. No secret here: the token is {}.\n",
            self.endpoint,
            match &self.token_file {
                Some(file) => format!("read from {} when the command runs", file.display()),
                None => "the app container's ROLEHOP_TOKEN (an ECS secret)".to_owned(),
            }
        );
        let token = match &self.token_file {
            Some(file) => format!(" --token-file {}", file.display()),
            None => String::new(),
        };
        let section = |header: &str, name: &str| {
            format!(
                "\n{header}\ncredential_process = {} credential-process --endpoint {} --role {name}{token}\n",
                self.dir.join(BINARY).display(),
                self.endpoint,
            )
        };
        for (i, name) in self.profiles.iter().enumerate() {
            if i == 0 {
                out.push_str(&section("[default]", name));
            }
            if name != DEFAULT_ROLE {
                out.push_str(&section(&format!("[profile {name}]"), name));
            }
        }
        out
    }
}

/// An absolute path that survives the SDKs' splitting of `credential_process` at whitespace
/// (some also honour quotes and backslashes): `/` and letters, digits, `.`, `_`, `-`.
fn plain_absolute(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    text.starts_with('/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
}

/// A URL that survives the same splitting as [`plain_absolute`]: its characters, plus the
/// `:`, `[` and `]` of a scheme, a port and an IPv6 literal.
fn plain_url(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ':' | '[' | ']'))
}

/// Group- or world-writable mode bits of DIR: anyone with them could replace the published
/// binary that every app container runs through `credential_process`.
fn writable_by_others(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let mode = std::fs::metadata(dir).ok()?.mode() & 0o7777;
    (mode & 0o022 != 0).then_some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &str, profiles: &[&str], token_file: Option<&str>) -> PublishArgs {
        PublishArgs {
            dir: dir.into(),
            endpoint: "http://127.0.0.1:9911".into(),
            profiles: profiles.iter().map(|p| p.to_string()).collect(),
            token_file: token_file.map(PathBuf::from),
        }
    }

    #[test]
    fn the_first_profile_is_also_default_and_no_token_is_written() {
        let plan = Plan::from_args(&args("/", &["orders", "audit"], None)).unwrap();
        let text = plan.config_text();
        let cp =
            "credential_process = /rolehop credential-process --endpoint http://127.0.0.1:9911";
        assert!(
            text.contains(&format!("[default]\n{cp} --role orders\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("[profile orders]\n{cp} --role orders\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("[profile audit]\n{cp} --role audit\n")),
            "{text}"
        );
        assert!(!text.contains("--token-file"), "{text}");

        let plan = Plan::from_args(&args("/", &["default"], Some("/run/token"))).unwrap();
        let text = plan.config_text();
        assert!(
            text.contains("--role default --token-file /run/token\n"),
            "{text}"
        );
        assert!(!text.contains("[profile default]"), "{text}");
    }

    #[test]
    fn bad_input_is_one_sentence_each() {
        let errors = Plan::from_args(&args(
            "rel/dir",
            &["a b", "x", "x", "default"],
            Some("/has space"),
        ))
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("absolute path"), "{errors:?}");
        assert!(errors[1].contains("--token-file"), "{errors:?}");
        assert!(errors[2].contains("`a b`"), "{errors:?}");
        assert!(errors[3].contains("given twice"), "{errors:?}");
        assert!(errors[4].contains("must come first"), "{errors:?}");
        let errors =
            Plan::from_args(&args("/no/such/rolehop-dir", &["default"], None)).unwrap_err();
        assert!(errors[0].contains("is not a directory"), "{errors:?}");
        let mut off = args("/", &["default"], None);
        off.endpoint = "http://10.0.0.1:9911".into();
        assert!(Plan::from_args(&off).is_err());
    }

    #[test]
    fn an_endpoint_a_shell_would_read_is_refused() {
        for hostile in [
            "http://127.0.0.1:9911/$(id)",
            "http://127.0.0.1:9911/a;id",
            "http://127.0.0.1:9911/'x'",
            "http://127.0.0.1:9911/#x",
            "http://127.0.0.1:9911/a`id`",
            "http://127.0.0.1:9911/a\"b",
        ] {
            let mut a = args("/", &["default"], None);
            a.endpoint = hostile.into();
            // Refused by the character rule, or before it as no URL at all.
            let errors = Plan::from_args(&a).unwrap_err();
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("some SDKs run through a shell")
                        || e.contains("is not an http URL")),
                "{hostile}: {errors:?}"
            );
        }
        for fine in [
            "http://127.0.0.1:9911",
            "http://[::1]:9911/",
            "http://localhost:9911/base_1-x.y",
        ] {
            let mut a = args("/", &["default"], None);
            a.endpoint = fine.into();
            assert!(Plan::from_args(&a).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_directory_others_can_write_is_seen() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(writable_by_others(dir.path()), None);
        for mode in [0o775, 0o757, 0o1777] {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(writable_by_others(dir.path()), Some(mode), "{mode:o}");
        }
    }
}
