//! `[client NAME]` sections: who may read which profile, each client with its own token.
//!
//! ```ini
//! [client web]
//! token_env = ROLEHOP_TOKEN_WEB      # a variable of rolehop's container (an ECS `secrets` entry)
//! profiles = orders
//!
//! [client batch]
//! token_file = /run/rolehop/batch    # or an absolute path to a file
//! profiles = reports, audit          # or `*` for every profile
//! ```
//!
//! A token is never written in the config text: a key that would hold one is refused. A `#`
//! after a space starts a comment in these sections (the AWS syntax has none in values).

use std::path::PathBuf;

use super::ini::Section;
use super::role_name;
use super::split_list;
use crate::suggest::edit_distance;
use crate::token::client_tokens::{ClientConfig, ClientTokenSource, Grant, MAX_CLIENTS};

pub(super) const TOKEN_ENV: &str = "token_env";
pub(super) const TOKEN_FILE: &str = "token_file";
pub(super) const PROFILES: &str = "profiles";
const CLIENT_KEYS: [&str; 3] = [TOKEN_ENV, TOKEN_FILE, PROFILES];

/// A `[client NAME]` section as written, unvalidated: for readers that see the config text
/// but not the tokens (`check --task-definition` reads a task definition's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSection {
    pub name: String,
    pub token_env: Option<String>,
    pub token_file: Option<String>,
    pub profiles: Vec<String>,
}

/// The client sections among `sections`, in order, read with the same keys and comment rule
/// as [`clients`] but without checking them.
pub(super) fn as_written(sections: &[(String, Section)]) -> Vec<ClientSection> {
    sections
        .iter()
        .map(|(name, section)| {
            let value = |key: &str| {
                section
                    .entries
                    .iter()
                    .find(|e| e.key == key)
                    .map(|e| without_comment(&e.value).to_owned())
            };
            ClientSection {
                name: name.clone(),
                token_env: value(TOKEN_ENV),
                token_file: value(TOKEN_FILE),
                profiles: value(PROFILES).map(|v| split_list(&v)).unwrap_or_default(),
            }
        })
        .collect()
}

/// `Some(name)` when `header` is a `[client NAME]` section.
pub(super) fn client_header(header: &str) -> Option<&str> {
    let rest = header.strip_prefix("client")?;
    rest.starts_with(char::is_whitespace).then(|| rest.trim())
}

/// Validates every client section against the served profiles; problems go to `report` with
/// their lines.
pub(super) fn clients(
    sections: &[(String, Section)],
    served: &dyn Fn(&str) -> bool,
    report: &mut dyn FnMut(usize, String),
) -> Vec<ClientConfig> {
    let mut out: Vec<(ClientConfig, usize)> = Vec::new();
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut sources: Vec<(&str, ClientTokenSource)> = Vec::new();
    for (name, section) in sections {
        if !role_name::is_servable(name) {
            report(
                section.line,
                format!(
                    "client name `{name}` is not usable in logs and metrics; use 1 to 64 letters, digits and + = , . @ _ -"
                ),
            );
            continue;
        }
        let name = name.as_str();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            report(
                section.line,
                format!(
                    "client {name} is defined again (first at line {first}); merge the two sections"
                ),
            );
            continue;
        }
        seen.push((name, section.line));
        // Compared as written, even when the section has other problems.
        if let Some(source) = declared_source(section) {
            if let Some((other, _)) = sources.iter().find(|(_, s)| *s == source) {
                report(
                    section.line,
                    format!(
                        "clients {other} and {name} both read {source}; give each client its own token source"
                    ),
                );
            }
            sources.push((name, source));
        }
        if let Some(client) = client(name, section, served, report) {
            out.push((client, section.line));
        }
    }
    if let Some((_, line)) = out.get(MAX_CLIENTS) {
        report(
            *line,
            format!(
                "there are {} clients; rolehop serves at most {MAX_CLIENTS}, so split the task's containers across sidecars",
                out.len()
            ),
        );
    }
    out.into_iter().map(|(c, _)| c).collect()
}

/// The first token source a section names, before any other check.
fn declared_source(section: &Section) -> Option<ClientTokenSource> {
    section.entries.iter().find_map(|e| match e.key.as_str() {
        TOKEN_ENV => Some(ClientTokenSource::Env(without_comment(&e.value).to_owned())),
        TOKEN_FILE => Some(ClientTokenSource::File(without_comment(&e.value).into())),
        _ => None,
    })
}

/// Reports a problem at a line of the file.
type Fail<'a> = dyn FnMut(usize, String) + 'a;

/// A key's value as written (comment cut) and its line.
type Value<'s> = Option<(&'s str, usize)>;

/// One section as a client, or `None` after reporting its problems.
fn client(
    name: &str,
    section: &Section,
    served: &dyn Fn(&str) -> bool,
    report: &mut dyn FnMut(usize, String),
) -> Option<ClientConfig> {
    let mut ok = true;
    let mut fail = |line: usize, msg: String| {
        ok = false;
        report(line, msg);
    };
    let keys = known_keys(name, section, &mut fail);
    let get = |key: &str| {
        keys.iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, l)| (*v, *l))
    };
    let token = token_source(
        name,
        section.line,
        get(TOKEN_ENV),
        get(TOKEN_FILE),
        &mut fail,
    );
    let grant = granted(name, section.line, get(PROFILES), served, &mut fail);
    match (token, grant) {
        (Some(token), Some(grant)) if ok => Some(ClientConfig {
            name: name.to_owned(),
            token,
            grant,
        }),
        _ => None,
    }
}

/// The section's client keys with their values and lines; a key set twice, a key that looks
/// like a token, and an unknown key are reported.
fn known_keys<'s>(
    name: &str,
    section: &'s Section,
    fail: &mut Fail<'_>,
) -> Vec<(&'static str, &'s str, usize)> {
    let mut keys: Vec<(&'static str, &str, usize)> = Vec::new();
    for entry in &section.entries {
        let key = entry.key.as_str();
        if let Some(known) = CLIENT_KEYS.iter().find(|k| **k == key) {
            if let Some((_, _, first)) = keys.iter().find(|(k, _, _)| k == known) {
                fail(
                    entry.line,
                    format!(
                        "{key} is set twice in client {name} (first at line {first}); keep one"
                    ),
                );
            } else {
                keys.push((known, without_comment(&entry.value), entry.line));
            }
        } else if key.contains("token") || key.contains("secret") || key.contains("password") {
            // Never echo the value: it is likely the token itself.
            fail(
                entry.line,
                format!(
                    "client {name} sets `{}` in the config text, which rolehop never reads a token from; put the token in a variable or a file and write token_env = VARIABLE or token_file = /absolute/path",
                    super::keys::shown(key)
                ),
            );
        } else {
            let hint = CLIENT_KEYS
                .iter()
                .map(|k| (edit_distance(key, k), *k))
                .min()
                .filter(|(d, _)| *d <= 2)
                .map_or(String::new(), |(_, k)| format!("did you mean `{k}`? "));
            fail(
                entry.line,
                format!(
                    "unknown key `{}` in client {name}; {hint}a client's keys are token_env, token_file and profiles",
                    super::keys::shown(key)
                ),
            );
        }
    }
    keys
}

/// The client's token source: exactly one of `token_env` (a variable name) and `token_file`
/// (an absolute path).
fn token_source(
    name: &str,
    section_line: usize,
    env: Value<'_>,
    file: Value<'_>,
    fail: &mut Fail<'_>,
) -> Option<ClientTokenSource> {
    match (env, file) {
        (Some(_), Some((_, line))) => {
            fail(
                line,
                format!("client {name} sets both token_env and token_file; keep one"),
            );
            None
        }
        (None, None) => {
            fail(
                section_line,
                format!(
                    "client {name} has no token source; add token_env = VARIABLE or token_file = /absolute/path"
                ),
            );
            None
        }
        (Some((var, line)), None) => {
            let valid = var
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid {
                Some(ClientTokenSource::Env(var.to_owned()))
            } else {
                fail(
                    line,
                    format!(
                        "token_env of client {name} is not a variable name; write the name of the variable holding the token (letters, digits and _), never the token"
                    ),
                );
                None
            }
        }
        (None, Some((path, line))) => {
            let path = PathBuf::from(path);
            if path.is_absolute() {
                Some(ClientTokenSource::File(path))
            } else {
                fail(
                    line,
                    format!(
                        "token_file {} of client {name} is not an absolute path; write the full path, such as /run/rolehop/{name}",
                        path.display()
                    ),
                );
                None
            }
        }
    }
}

/// The profiles `profiles` grants: `*` alone, or names each served by this file, once.
fn granted(
    name: &str,
    section_line: usize,
    profiles: Value<'_>,
    served: &dyn Fn(&str) -> bool,
    fail: &mut Fail<'_>,
) -> Option<Grant> {
    match profiles {
        None => {
            fail(
                section_line,
                format!(
                    "client {name} has no profiles; add profiles = NAME, NAME2 (or * for every profile)"
                ),
            );
            None
        }
        Some((value, line)) => {
            let names = split_list(value);
            if names.is_empty() {
                fail(
                    line,
                    format!("client {name} grants no profile; list one or more, or *"),
                );
                None
            } else if names.iter().any(|n| n == "*") {
                if names.len() == 1 {
                    Some(Grant::All)
                } else {
                    fail(
                        line,
                        format!(
                            "client {name} lists * with other profiles; write * alone, or only names"
                        ),
                    );
                    None
                }
            } else {
                for (i, profile) in names.iter().enumerate() {
                    if names[..i].contains(profile) {
                        fail(
                            line,
                            format!("client {name} lists profile {profile} twice; keep one"),
                        );
                    } else if !served(profile) {
                        fail(
                            line,
                            format!(
                                "client {name} is granted profile {profile}, which is not a profile with a role_arn in this file; fix the name or add the profile"
                            ),
                        );
                    }
                }
                Some(Grant::Profiles(names))
            }
        }
    }
}

/// `value` up to a ` #` comment.
fn without_comment(value: &str) -> &str {
    let cut = [" #", "\t#"]
        .iter()
        .filter_map(|mark| value.find(mark))
        .min()
        .unwrap_or(value.len());
    value[..cut].trim_end()
}
