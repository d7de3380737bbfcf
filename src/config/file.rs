//! Roles from a file in the AWS shared config syntax users already write (the syntax of
//! `~/.aws/config`): `[profile NAME]` (or `[default]`) sections with `role_arn`, `external_id`,
//! `role_session_name`, `duration_seconds`, `source_profile` and `credential_source`, plus
//! rolehop's own keys for what that syntax lacks:
//!
//! | key | value |
//! |---|---|
//! | `rolehop_session_tags` | `Key=Value, Key2=Value2` |
//! | `rolehop_transitive_tag_keys` | `Key, Key2` |
//! | `rolehop_source_identity` | a name |
//! | `rolehop_policy` | inline session policy JSON (may continue on indented lines) |
//! | `rolehop_policy_file` | a JSON file, relative to this file's directory |
//! | `rolehop_policy_arns` | `arn:aws:iam::aws:policy/NAME, ...` |
//! | `rolehop_imds_shared` | `true`: the IMDS listener may serve this profile although a client is granted it |
//! | `rolehop_external_id_env` | the environment variable holding the profile's external id (instead of `external_id`, so the value is in no config text) |
//!
//! `[client NAME]` sections give each app container its own token and profiles ([`clients`]).
//!
//! Every profile with a `role_arn` is served at `/v1/credentials/{profile}`. Other AWS keys
//! (`region`, `sso_*`, `s3 = ...` blocks) and other sections are ignored; a key that looks like
//! a misspelt role or rolehop key is refused with its line. All problems are reported at once.
//!
//! Here: profiles into roles, and the checks across profiles (chains, cycles, duplicates). The
//! lines and sections are `ini`'s, the key allow-list `keys`', each role's parameters are
//! checked by [`super::role::RawRole::validate`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::role::{Field, Origin, PolicyInput, RawRole, RoleOrigin, split_list};
use super::{RoleConfig, RoleSource};
use crate::credentials::Secret;
use crate::role_name;
use crate::source::SourceKind;
use crate::token::client_tokens::ClientConfig;
use ini::{Section, sections};
use keys::*;

mod client_sections;
pub use client_sections::ClientSection;
mod ini;
mod keys;

/// Everything a config file says: its roles, its clients, and the profiles IMDS may share.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    pub roles: Vec<RoleConfig>,
    /// Empty: the single-token mode.
    pub clients: Vec<ClientConfig>,
    /// Profiles with `rolehop_imds_shared = true`.
    pub imds_shared: Vec<String>,
}

/// A profile as written, with the line of each key for error messages.
struct Profile {
    name: String,
    line: usize,
    keys: BTreeMap<&'static str, (String, usize)>,
}

impl Profile {
    fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|(v, _)| v.as_str())
    }

    fn line_of(&self, key: &str) -> usize {
        self.keys.get(key).map_or(self.line, |(_, l)| *l)
    }

    /// The value of `key` with where it was written.
    fn field(&self, key: &'static str) -> Option<Field<String>> {
        let (value, line) = self.keys.get(key)?;
        Some(Field::new(value.clone(), Origin::Key { key, line: *line }))
    }
}

/// The `[client NAME]` sections of config `text` as written, without validating them or
/// reading any token; `None` when the text is not valid config syntax.
pub fn client_sections(text: &str) -> Option<Vec<ClientSection>> {
    let sections = sections(text).ok()?;
    let named: Vec<(String, Section)> = sections
        .into_iter()
        .filter_map(|s| Some((client_sections::client_header(&s.header)?.to_owned(), s)))
        .collect();
    Some(client_sections::as_written(&named))
}

/// The `key = value` lines of section `[header]` of an AWS config or credentials file `text`,
/// keys lowercased, as the INI layer reads them; `None` when the text has no such section or is
/// not valid config syntax. For `check`'s view of which profile an SDK would use; values may be
/// secrets and are never shown.
pub fn section_keys(text: &str, header: &str) -> Option<Vec<(String, String)>> {
    let sections = sections(text).ok()?;
    let section = sections.into_iter().find(|s| s.header == header)?;
    Some(
        section
            .entries
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect(),
    )
}

/// A profile as written: its name and its `key = value` lines.
pub type ProfileSection = (String, Vec<(String, String)>);

/// The profiles (`[default]`, `[profile NAME]`) of config `text` as written: each name with its
/// `key = value` lines, keys lowercased; `None` when the text is not valid config syntax.
/// Nothing is validated and no variable is read; values may be secrets and are never shown.
pub fn profile_sections(text: &str) -> Option<Vec<ProfileSection>> {
    let sections = sections(text).ok()?;
    Some(
        sections
            .into_iter()
            .filter_map(|s| {
                let name = profile_name(&s.header).ok()??;
                Some((
                    name,
                    s.entries.into_iter().map(|e| (e.key, e.value)).collect(),
                ))
            })
            .collect(),
    )
}

/// Reads and validates `path`; roles come back ordered so each follows its source profile.
pub fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<RoleConfig>, Vec<String>> {
    load_file(path, env).map(|f| f.roles)
}

/// [`load`] with the clients and IMDS settings too.
pub fn load_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<FileConfig, Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![format!(
            "cannot read config file {}: {e}; check --config (ROLEHOP_CONFIG)",
            path.display()
        )]
    })?;
    parse_file(&text, path, env)
}

/// Parses config text; `path` names the file in errors and anchors relative policy files.
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<RoleConfig>, Vec<String>> {
    parse_file(text, path, env).map(|f| f.roles)
}

/// [`parse`] with the clients and IMDS settings too.
pub fn parse_file(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<FileConfig, Vec<String>> {
    let at = |line: usize, msg: String| format!("{}:{line}: {msg}", path.display());
    // Each problem with its line, rendered once sorted; the whole file's own at the end.
    let mut errors: Vec<(usize, String)> = Vec::new();
    let sections =
        sections(text).map_err(|e| e.into_iter().map(|(l, m)| at(l, m)).collect::<Vec<_>>())?;

    let (profiles, client_sections) = profiles_and_clients(sections, &mut errors);

    // Profiles without role_arn are not rolehop's (a region-only [default], an SSO profile)
    // unless they carry role keys, or a served profile chains from them.
    let served: HashMap<&str, &Profile> = profiles
        .iter()
        .filter(|p| p.get(ROLE_ARN).is_some())
        .map(|p| (p.name.as_str(), p))
        .collect();
    for p in profiles.iter().filter(|p| p.get(ROLE_ARN).is_none()) {
        if let Some(key) = p.keys.keys().next() {
            errors.push((
                p.line_of(key),
                format!(
                    "profile {} sets {key} but has no role_arn; add the role_arn to assume",
                    p.name
                ),
            ));
        }
    }

    let mut roles = BTreeMap::new();
    for p in served.values() {
        if let Some(role) = profile_role(p, path, env, &served, &mut |line, msg| {
            errors.push((line, msg))
        }) {
            roles.insert(p.name.clone(), role);
        }
    }
    chain_problems(&served, &mut |line, msg| errors.push((line, msg)));
    let clients = client_sections::clients(
        &client_sections,
        &|name| served.contains_key(name),
        &mut |line, msg| errors.push((line, msg)),
    );
    let imds_shared = imds_shared(&served, &mut errors);
    if served.is_empty() && errors.is_empty() {
        errors.push((usize::MAX, "no profile has a role_arn; add a [profile NAME] section with role_arn and credential_source".into()));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(line, _)| *line);
        errors.dedup();
        return Err(errors
            .into_iter()
            .map(|(line, msg)| match line {
                usize::MAX => format!("{}: {msg}", path.display()),
                line => at(line, msg),
            })
            .collect());
    }
    Ok(FileConfig {
        roles: in_chain_order(roles),
        clients,
        imds_shared,
    })
}

/// The file's sections as profiles (keys read, each once) and `[client NAME]` sections, with
/// the problems of each.
fn profiles_and_clients(
    sections: Vec<Section>,
    errors: &mut Vec<(usize, String)>,
) -> (Vec<Profile>, Vec<(String, Section)>) {
    let mut profiles: Vec<Profile> = Vec::new();
    let mut client_sections = Vec::new();
    for section in sections {
        if let Some(name) = client_sections::client_header(&section.header) {
            client_sections.push((name.to_owned(), section));
            continue;
        }
        let name = match profile_name(&section.header) {
            Ok(Some(name)) => name,
            Ok(None) => {
                if let Some(e) = section.entries.iter().find(|e| e.key == ROLE_ARN) {
                    errors.push((e.line, format!(
                        "[{}] has a role_arn but is not a profile section; in the config file syntax write [profile {}]",
                        section.header, section.header
                    )));
                }
                continue;
            }
            Err(e) => {
                errors.push((section.line, e.to_string()));
                continue;
            }
        };
        if let Some(earlier) = profiles.iter().find(|p| p.name == name) {
            errors.push((
                section.line,
                format!(
                    "profile {name} is defined again (first at line {}); merge the two sections",
                    earlier.line
                ),
            ));
            continue;
        }
        let mut keys = BTreeMap::new();
        for entry in section.entries {
            if let Some(known) = KNOWN.iter().find(|k| **k == entry.key) {
                if let Some((_, first)) = keys.insert(*known, (entry.value, entry.line)) {
                    errors.push((
                        entry.line,
                        format!(
                            "{} is set twice in profile {name} (first at line {first}); keep one",
                            entry.key
                        ),
                    ));
                }
            } else if let Some(msg) = unknown_key_problem(&entry.key) {
                errors.push((entry.line, msg));
            }
        }
        profiles.push(Profile {
            name,
            line: section.line,
            keys,
        });
    }
    (profiles, client_sections)
}

/// The served profiles marked `rolehop_imds_shared = true`, sorted.
fn imds_shared(served: &HashMap<&str, &Profile>, errors: &mut Vec<(usize, String)>) -> Vec<String> {
    let mut imds_shared = Vec::new();
    for p in served.values() {
        match p.get(IMDS_SHARED) {
            None | Some("false") => {}
            Some("true") => imds_shared.push(p.name.clone()),
            Some(_) => errors.push((
                p.line_of(IMDS_SHARED),
                format!(
                    "rolehop_imds_shared of profile {} is neither true nor false",
                    p.name
                ),
            )),
        }
    }
    imds_shared.sort();
    imds_shared
}

/// One profile's role, or `None` after reporting its problems.
fn profile_role(
    p: &Profile,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    served: &HashMap<&str, &Profile>,
    report: &mut dyn FnMut(usize, String),
) -> Option<RoleConfig> {
    let reported = std::cell::Cell::new(false);
    let mut fail = |line: usize, msg: String| {
        reported.set(true);
        report(line, msg);
    };
    let name = &p.name;
    let source = match (p.get(CREDENTIAL_SOURCE), p.get(SOURCE_PROFILE)) {
        (Some(_), Some(_)) => {
            fail(
                p.line_of(SOURCE_PROFILE),
                format!(
                    "profile {name} sets both credential_source and source_profile; keep credential_source at the root of a chain and source_profile on the hops after it"
                ),
            );
            None
        }
        (Some(cs), None) => SourceKind::from_credential_source(cs, env)
            .map(RoleSource::Credentials)
            .map_err(|e| fail(p.line_of(CREDENTIAL_SOURCE), e.to_string()))
            .ok(),
        (None, Some(sp)) if !served.contains_key(sp) => {
            fail(
                p.line_of(SOURCE_PROFILE),
                format!(
                    "source_profile {sp} of profile {name} is not a profile with a role_arn in this file; rolehop chains only roles, never stored keys"
                ),
            );
            None
        }
        (None, Some(sp)) => Some(RoleSource::Profile(sp.to_owned())),
        // Reported by chain_problems, which sees the whole chain.
        (None, None) => None,
    };
    let policy = match (p.field(POLICY), p.field(POLICY_FILE)) {
        (Some(_), Some(file)) => {
            fail(
                file.origin.line().unwrap_or(p.line),
                format!(
                    "profile {name} sets both rolehop_policy and rolehop_policy_file; keep one"
                ),
            );
            None
        }
        (Some(json), None) => Some(Field::new(PolicyInput::Inline(json.value), json.origin)),
        (None, Some(file)) => Some(Field::new(
            PolicyInput::File(relative_to(path, &file.value)),
            file.origin,
        )),
        (None, None) => None,
    };
    let external_id = match (p.field(EXTERNAL_ID), p.field(EXTERNAL_ID_ENV)) {
        (Some(_), Some(var)) => {
            fail(
                var.origin.line().unwrap_or(p.line),
                format!(
                    "profile {name} sets both external_id and rolehop_external_id_env; keep one (rolehop_external_id_env keeps the value out of the config text)"
                ),
            );
            None
        }
        (Some(id), None) => Some(Field::new(Secret::new(id.value), id.origin)),
        (None, Some(var)) => external_id_from_env(name, var, env)
            .map_err(|e| fail(p.line_of(EXTERNAL_ID_ENV), e.to_string()))
            .ok(),
        (None, None) => None,
    };
    let raw = RawRole {
        name: name.clone(),
        origin: RoleOrigin::Profile { line: p.line },
        role_arn: p.field(ROLE_ARN),
        external_id,
        session_name: p.field(SESSION_NAME),
        duration: p.field(DURATION),
        tags: p
            .field(TAGS)
            .map(|f| Field::new(split_list(&f.value), f.origin)),
        transitive_tag_keys: split_list(p.get(TRANSITIVE).unwrap_or_default()),
        source_identity: p.get(SOURCE_IDENTITY).map(str::to_owned),
        policy,
        policy_arns: split_list(p.get(POLICY_ARNS).unwrap_or_default()),
    };
    match raw.validate(source) {
        Ok(role) if !reported.get() => Some(role),
        Ok(_) => None,
        Err(problems) => {
            for problem in problems {
                fail(problem.line.unwrap_or(p.line), problem.message);
            }
            None
        }
    }
}

/// The external id in rolehop's environment variable `var.value` (`rolehop_external_id_env`):
/// the config text names the variable, never the value, so a per-container role's external id
/// is held by rolehop's container alone (ECS injects it from a secret there). Errors name the
/// variable, never its value.
fn external_id_from_env(
    profile: &str,
    var: Field<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Field<Secret>, ExternalIdEnvError> {
    let name = var.value.as_str();
    let valid_name = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(ExternalIdEnvError::NotAName {
            profile: profile.to_owned(),
            shown: keys::shown(name),
        });
    }
    match env(name) {
        Some(value) if !value.is_empty() => Ok(Field::new(Secret::new(value), var.origin)),
        _ => Err(ExternalIdEnvError::Unset {
            profile: profile.to_owned(),
            name: name.to_owned(),
        }),
    }
}

/// Why a profile's `rolehop_external_id_env` gives no external id. Names the variable, never
/// its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ExternalIdEnvError {
    #[error(
        "rolehop_external_id_env of profile {profile} is `{shown}`, not an environment variable name; use letters, digits and _ (e.g. ROLEHOP_EXTERNAL_ID_WEB)"
    )]
    NotAName { profile: String, shown: String },
    #[error(
        "profile {profile} takes its external id from {name} (rolehop_external_id_env), which is not set in rolehop's environment; give rolehop's container {name} (rolehop setup's task definition reads it from the secret commands.sh creates)"
    )]
    Unset { profile: String, name: String },
}

/// Cycles, and chains that never reach a `credential_source`.
fn chain_problems(served: &HashMap<&str, &Profile>, report: &mut dyn FnMut(usize, String)) {
    let mut reported_cycles: Vec<Vec<String>> = Vec::new();
    let mut names: Vec<&&str> = served.keys().collect();
    names.sort();
    for start in names {
        let mut path: Vec<&str> = vec![start];
        let mut current = served[*start];
        loop {
            if current.get(CREDENTIAL_SOURCE).is_some() {
                break;
            }
            let Some(next) = current.get(SOURCE_PROFILE) else {
                if current.name == *start {
                    report(
                        current.line,
                        format!(
                            "profile {} has neither credential_source nor source_profile; the root of a chain needs credential_source = EcsContainer (or Environment, Ec2InstanceMetadata)",
                            current.name
                        ),
                    );
                }
                break;
            };
            let Some(next_profile) = served.get(next) else {
                break;
            };
            if let Some(pos) = path.iter().position(|n| *n == next) {
                let mut cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
                let shown = format!("{} -> {next}", cycle.join(" -> "));
                cycle.sort();
                if !reported_cycles.contains(&cycle) {
                    reported_cycles.push(cycle);
                    let closing = served[path[path.len() - 1]];
                    report(
                        closing.line_of(SOURCE_PROFILE),
                        format!(
                            "source_profile makes a cycle ({shown}); one profile of a chain must use credential_source instead"
                        ),
                    );
                }
                break;
            }
            path.push(next);
            current = next_profile;
        }
    }
}

/// Orders roles so each comes after the profile it chains from.
fn in_chain_order(mut roles: BTreeMap<String, RoleConfig>) -> Vec<RoleConfig> {
    let mut ordered: Vec<RoleConfig> = Vec::new();
    while !roles.is_empty() {
        let ready: Vec<String> = roles
            .iter()
            .filter(|(_, r)| match &r.source {
                RoleSource::Credentials(_) => true,
                RoleSource::Profile(p) => ordered.iter().any(|o| &o.name == p),
            })
            .map(|(n, _)| n.clone())
            .collect();
        assert!(!ready.is_empty(), "cycles are rejected before ordering");
        for name in ready {
            ordered.push(roles.remove(&name).expect("present"));
        }
    }
    ordered
}

fn relative_to(config: &Path, file: &str) -> PathBuf {
    let file = Path::new(file);
    if file.is_absolute() {
        return file.to_owned();
    }
    config.parent().unwrap_or(Path::new(".")).join(file)
}

/// `[default]` and `[profile NAME]` are profiles; `[sso-session x]`, `[services x]` and the
/// rest are not rolehop's.
fn profile_name(header: &str) -> Result<Option<String>, UnservableName> {
    let name = if header == "default" {
        "default"
    } else if let Some(rest) = header.strip_prefix("profile") {
        if !rest.starts_with(char::is_whitespace) {
            return Ok(None);
        }
        rest.trim()
    } else {
        return Ok(None);
    };
    if !role_name::is_servable(name) {
        return Err(UnservableName(name.to_owned()));
    }
    Ok(Some(name.to_owned()))
}

/// A profile name rolehop cannot serve a route under.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "profile name `{0}` cannot be served at /v1/credentials/{0}; use 1 to 64 letters, digits and + = , . @ _ -"
)]
struct UnservableName(String);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionName;

    const ECS_ENV: &[(&str, &str)] = &[(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/x",
    )];

    fn parse_with(
        text: &str,
        vars: &'static [(&'static str, &'static str)],
    ) -> Result<Vec<RoleConfig>, Vec<String>> {
        parse(text, Path::new("/etc/rolehop/config"), &|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    const THREE: &str = r#"
# ignored: not a role
[default]
region = us-east-1
output = json

[profile reports]
role_arn = arn:aws:iam::555566667777:role/destination-account-role
credential_source = EcsContainer
external_id = Partner-7
rolehop_session_tags = Project=blue, CostCenter=42
rolehop_transitive_tag_keys = Project
rolehop_source_identity = billing-service
rolehop_policy = {"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
rolehop_policy_arns = arn:aws:iam::aws:policy/ReadOnlyAccess
s3 =
    max_concurrent_requests = 10

[profile hub]
role_arn = arn:aws:iam::444455556666:role/hub
credential_source = EcsContainer
role_session_name = hub-session
duration_seconds = 900

[profile audit]
role_arn = arn:aws:iam::999988887777:role/audit
source_profile = hub

[sso-session corp]
sso_region = us-east-1
"#;

    #[test]
    fn three_profiles_with_every_parameter() {
        let roles = parse_with(THREE, ECS_ENV).unwrap();
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["hub", "reports", "audit"],
            "hops come before the profiles chained from them"
        );
        let reports = &roles[1];
        assert_eq!(reports.role_arn.account_id(), "555566667777");
        assert_eq!(
            reports.external_id.as_ref().map(Secret::expose),
            Some("Partner-7")
        );
        assert_eq!(reports.options.tags.len(), 2);
        assert_eq!(reports.options.tags[1].key, "CostCenter");
        assert_eq!(reports.options.tags[1].value, "42");
        assert_eq!(reports.options.transitive_tag_keys, ["Project"]);
        assert_eq!(
            reports.options.source_identity.as_deref(),
            Some("billing-service")
        );
        let policy: serde_json::Value =
            serde_json::from_str(reports.options.policy.as_ref().unwrap()).unwrap();
        assert_eq!(policy["Statement"][0]["Action"], "s3:GetObject");
        assert_eq!(
            reports.options.policy_arns,
            ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        );
        assert_eq!(
            reports.source,
            RoleSource::Credentials(SourceKind::EcsRelative)
        );
        assert_eq!(reports.duration_secs, 3600);
        let hub = &roles[0];
        assert_eq!(
            hub.session_name.as_ref().map(SessionName::as_str),
            Some("hub-session")
        );
        assert_eq!(hub.duration_secs, 900);
        assert_eq!(roles[2].source, RoleSource::Profile("hub".into()));
    }

    #[test]
    fn policy_files_are_read_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("session.json"),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n",
        )
        .unwrap();
        let config = dir.path().join("config");
        let text = "[profile a]\nrole_arn = arn:aws:iam::555566667777:role/a\ncredential_source = EcsContainer\nrolehop_policy_file = session.json\n";
        let env =
            |k: &str| (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/x".to_owned());
        let roles = parse(text, &config, &env).unwrap();
        assert_eq!(
            roles[0].options.policy.as_deref(),
            Some(r#"{"Version":"2012-10-17","Statement":[]}"#)
        );
        let missing = text.replace("session.json", "nope.json");
        let errs = parse(&missing, &config, &env).unwrap_err();
        assert!(
            errs[0].contains(":4: cannot read") && errs[0].contains("nope.json"),
            "{errs:?}"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "\
[profile a]
role_arn = arn:aws:iam::55556666777:role/a
credential_source = EcsContainer
duration_seconds = 7200
role_sesion_name = typo
rolehop_tags = x=y

[profile b]
role_arn = arn:aws:iam::555566667777:role/b
source_profile = nowhere

[profile c]
role_arn = arn:aws:iam::555566667777:role/c
source_profile = d

[profile d]
role_arn = arn:aws:iam::555566667777:role/d
source_profile = c

[profile e]
role_arn = arn:aws:iam::555566667777:role/e

[profile f]
role_arn = arn:aws:iam::555566667777:role/f
credential_source = EcsContainer
role_session_name = has space
rolehop_session_tags = aws:x=1
mfa_serial = arn:aws:iam::555566667777:mfa/me
region = eu-west-1

[g]
role_arn = arn:aws:iam::555566667777:role/g
";
        let errs = parse_with(text, ECS_ENV).unwrap_err();
        let expect = [
            ":2: role ARN `arn:aws:iam::55556666777:role/a` has account id",
            ":4: duration_seconds 7200 is over STS's one-hour limit",
            ":5: unknown key `role_sesion_name`; did you mean `role_session_name`?",
            ":6: unknown rolehop key `rolehop_tags`",
            ":10: source_profile nowhere of profile b is not a profile",
            ":18: source_profile makes a cycle (c -> d -> c)",
            ":20: profile e has neither credential_source nor source_profile",
            ":23: profile f: session tag key `aws:x` starts with `aws:`",
            ":26: session name `has space` contains ` `",
            ":32: [g] has a role_arn but is not a profile section; in the config file syntax write [profile g]",
        ];
        for (err, expected) in errs.iter().zip(expect) {
            assert!(err.starts_with("/etc/rolehop/config:"), "{err}");
            assert!(
                err.contains(expected),
                "expected {expected:?}, got {err:?}\nall: {errs:#?}"
            );
        }
        assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    }

    #[test]
    fn syntax_errors_name_their_lines() {
        let errs = parse_with(
            "role_arn = x\n[profile a\n[profile b]\njust words\n  \n",
            ECS_ENV,
        )
        .unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains(":1: `role_arn` comes before any [profile NAME] section"));
        assert!(errs[1].contains(":2: section header is missing its closing `]`"));
        assert!(errs[2].contains(":4: expected `key = value`"));
        assert!(!errs[2].contains("just words"), "{errs:?}");
    }

    #[test]
    fn duplicates_and_conflicts_are_refused() {
        let text = "\
[profile a]
role_arn = arn:aws:iam::555566667777:role/a
role_arn = arn:aws:iam::555566667777:role/b
credential_source = EcsContainer
source_profile = a
[profile a]
region = us-east-1
";
        let errs = parse_with(text, ECS_ENV).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains(":3: role_arn is set twice in profile a (first at line 2)")),
            "{errs:#?}"
        );
        assert!(errs.iter().any(|e| e.contains(":5: profile a sets both credential_source and source_profile")), "{errs:#?}");
        assert!(
            errs.iter()
                .any(|e| e.contains(":6: profile a is defined again (first at line 1)")),
            "{errs:#?}"
        );
    }

    #[test]
    fn environment_source_allows_long_sessions_and_ecs_needs_its_variables() {
        let text = "[profile a]\nrole_arn = arn:aws:iam::555566667777:role/a\ncredential_source = Environment\nduration_seconds = 43200\n";
        let roles = parse_with(
            text,
            &[
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ],
        )
        .unwrap();
        assert_eq!(roles[0].duration_secs, 43200);
        let ecs = text
            .replace("Environment", "EcsContainer")
            .replace("43200", "3600");
        let errs = parse_with(&ecs, &[]).unwrap_err();
        assert!(
            errs[0].contains(":3: credential_source = EcsContainer, but neither"),
            "{errs:?}"
        );
    }

    #[test]
    fn a_file_without_roles_says_so() {
        let errs = parse_with("[default]\nregion = us-east-1\n", ECS_ENV).unwrap_err();
        assert!(errs[0].contains("no profile has a role_arn"), "{errs:?}");
    }

    #[test]
    fn an_external_id_comes_from_the_variable_a_profile_names_never_from_the_text() {
        const SECRET_VALUE: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
        let text = "[profile web]\nrole_arn = arn:aws:iam::555566667777:role/orders\ncredential_source = EcsContainer\nrolehop_external_id_env = ROLEHOP_EXTERNAL_ID_WEB\n";
        const HELD: &[(&str, &str)] = &[
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/x",
            ),
            ("ROLEHOP_EXTERNAL_ID_WEB", SECRET_VALUE),
        ];
        let roles = parse_with(text, HELD).unwrap();
        assert_eq!(
            roles[0].external_id.as_ref().map(Secret::expose),
            Some(SECRET_VALUE)
        );

        let missing = parse_with(text, ECS_ENV).unwrap_err();
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            missing[0].starts_with("/etc/rolehop/config:4: profile web takes its external id from ROLEHOP_EXTERNAL_ID_WEB (rolehop_external_id_env), which is not set"),
            "{missing:?}"
        );

        let both = text.replace("[profile web]", "[profile web]\nexternal_id = x-1");
        let errs = parse_with(&both, HELD).unwrap_err();
        assert!(
            errs[0].contains("sets both external_id and rolehop_external_id_env"),
            "{errs:?}"
        );

        let bad_name = text.replace("= ROLEHOP_EXTERNAL_ID_WEB", "= $(id)");
        let errs = parse_with(&bad_name, ECS_ENV).unwrap_err();
        assert!(
            errs[0].contains("not an environment variable name"),
            "{errs:?}"
        );

        // A value STS would refuse: the error is at the key's line, without the value.
        let errs = parse_with(
            text,
            &[
                (
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/x",
                ),
                ("ROLEHOP_EXTERNAL_ID_WEB", "has space in it"),
            ],
        )
        .unwrap_err();
        assert!(!errs.iter().any(|e| e.contains("has space")), "{errs:?}");
        assert!(
            errs.iter()
                .any(|e| e.starts_with("/etc/rolehop/config:4: external id")),
            "{errs:?}"
        );
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;
    use crate::token::client_tokens::{ClientTokenSource, Grant};

    const PROFILES: &str = "\
[profile orders]
role_arn = arn:aws:iam::555566667777:role/orders
credential_source = EcsContainer

[profile reports]
role_arn = arn:aws:iam::999988887777:role/reports
credential_source = EcsContainer
";

    fn parse_clients(clients: &str) -> Result<FileConfig, Vec<String>> {
        parse_file(
            &format!("{PROFILES}{clients}"),
            Path::new("/etc/rolehop/config"),
            &|k| (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/v2/x".to_owned()),
        )
    }

    #[test]
    fn clients_as_the_issue_writes_them() {
        let file = parse_clients(
            "
[client web]
token_env = ROLEHOP_TOKEN_WEB      # an ECS `secrets` entry
profiles = orders

[client batch]
token_file = /run/rolehop/batch
profiles = reports, orders

[client ops]
token_env = OPS
profiles = *
",
        )
        .unwrap();
        assert_eq!(file.roles.len(), 2);
        let [web, batch, ops] = &file.clients[..] else {
            panic!("{:?}", file.clients)
        };
        assert_eq!(web.name, "web");
        assert_eq!(
            web.token,
            ClientTokenSource::Env("ROLEHOP_TOKEN_WEB".into()),
            "the comment is not part of the value"
        );
        assert_eq!(web.grant, Grant::Profiles(vec!["orders".into()]));
        assert_eq!(
            batch.token,
            ClientTokenSource::File("/run/rolehop/batch".into())
        );
        assert_eq!(batch.grant.first(), "reports");
        assert_eq!(ops.grant, Grant::All);
        assert!(file.imds_shared.is_empty());
    }

    /// One configuration error per client rule, each with its line, all reported at once.
    #[test]
    fn every_client_problem_is_reported_with_its_line() {
        let errs = parse_clients(
            "
[client web]
token = s3cr3t-value-never-echoed
token_env = WEB
profiles = orders, nope

[client batch]
token_env = WEB
profiles = reports

[client none]
profiles = orders

[client both]
token_env = BOTH
token_file = /run/both
profiles = orders

[client relative]
token_file = run/rel
profiles =

[client star]
token_env = STAR
profiles = *, orders
profile = orders

[client web]
token_env = WEB2
profiles = orders

[client bad name!]
token_env = X
profiles = orders

[client varname]
token_env = not a name
profiles = orders, orders
",
        )
        .unwrap_err();
        let expect = [
            ":10: client web sets `token` in the config text, which rolehop never reads a token from; put the token in a variable or a file and write token_env = VARIABLE or token_file = /absolute/path",
            ":12: client web is granted profile nope, which is not a profile with a role_arn in this file",
            ":14: clients web and batch both read token_env = WEB; give each client its own token source",
            ":18: client none has no token source",
            ":23: client both sets both token_env and token_file; keep one",
            ":27: token_file run/rel of client relative is not an absolute path",
            ":28: client relative grants no profile",
            ":32: client star lists * with other profiles",
            ":33: unknown key `profile` in client star; did you mean `profiles`? ",
            ":35: client web is defined again (first at line 9)",
            ":39: client name `bad name!` is not usable",
            ":44: token_env of client varname is not a variable name",
            ":45: client varname lists profile orders twice",
        ];
        for (err, expected) in errs.iter().zip(expect) {
            assert!(
                err.contains(expected),
                "expected {expected:?}, got {err:?}\nall: {errs:#?}"
            );
        }
        assert_eq!(errs.len(), expect.len(), "{errs:#?}");
        assert!(!errs.join("\n").contains("s3cr3t"), "{errs:#?}");
    }

    #[test]
    fn the_per_container_example_parses() {
        let file = parse_file(
            include_str!("../../examples/rolehop-per-container.config"),
            Path::new("examples/rolehop-per-container.config"),
            &|k| (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/v2/x".to_owned()),
        )
        .unwrap();
        let names: Vec<&str> = file.clients.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["web", "batch"]);
        assert_eq!(file.clients[1].grant.first(), "reports");
        assert_eq!(file.imds_shared, ["audit"]);
        // The README's client block, as the issue writes it, says what the example says.
        let readme = include_str!("../../README.md");
        let block = readme
            .split("```ini\n")
            .filter_map(|rest| rest.split("```").next())
            .find(|block| block.starts_with("[client web]"))
            .expect("README shows the [client] sections as an ini block");
        let profiles = format!(
            "{PROFILES}[profile audit]\nrole_arn = arn:aws:iam::999988887777:role/audit\ncredential_source = EcsContainer\n{block}"
        );
        let shown = parse_file(&profiles, Path::new("README.md"), &|k| {
            (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/v2/x".to_owned())
        })
        .unwrap();
        assert_eq!(shown.clients, file.clients);
    }

    #[test]
    fn imds_sharing_is_a_profile_key() {
        let text = PROFILES.replace(
            "[profile reports]",
            "[profile reports]\nrolehop_imds_shared = true",
        );
        let env = |k: &str| (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/x".into());
        let file = parse_file(&text, Path::new("c"), &env).unwrap();
        assert_eq!(file.imds_shared, ["reports"]);
        let errs = parse_file(&text.replace("= true", "= yes"), Path::new("c"), &env).unwrap_err();
        assert_eq!(
            errs,
            ["c:6: rolehop_imds_shared of profile reports is neither true nor false"]
        );
    }
}
