//! One role as written, by the role flags or by a config-file profile, and the one validation
//! both go through. Each field remembers where it was written, so a problem names the flag, or
//! the line of the key.

use std::path::{Path, PathBuf};

use super::{RoleConfig, RoleSource};
use crate::arn::RoleArn;
use crate::credentials::Secret;
use crate::session::{
    self, CHAINED_MAX_DURATION_SECS, DEFAULT_DURATION_SECS, MAX_DURATION_SECS, MIN_DURATION_SECS,
    SessionName, SessionOptions,
};

/// Where a field was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A flag or its `ROLEHOP_*` twin: problems start with the flag.
    Flag(&'static str),
    /// A key of a config-file profile: problems carry its line.
    Key { key: &'static str, line: usize },
}

impl Origin {
    /// The flag or the key, as a sentence names it.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Flag(flag) => flag,
            Origin::Key { key, .. } => key,
        }
    }

    pub fn line(self) -> Option<usize> {
        match self {
            Origin::Flag(_) => None,
            Origin::Key { line, .. } => Some(line),
        }
    }

    /// A sentence that names the value's own problem: after the flag (`--tag: ...`), or at the
    /// key's line.
    fn about(self, message: String) -> Problem {
        match self {
            Origin::Flag(flag) => Problem {
                line: None,
                message: format!("{flag}: {message}"),
            },
            Origin::Key { line, .. } => Problem {
                line: Some(line),
                message,
            },
        }
    }

    /// A sentence that names the flag or key itself, or needs no name.
    fn says(self, message: String) -> Problem {
        Problem {
            line: self.line(),
            message,
        }
    }
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Field<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}

/// An inline session policy as written, or a file holding one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyInput {
    Inline(String),
    File(PathBuf),
}

/// Where the role as a whole was written: problems of all its options together name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleOrigin {
    Flags,
    /// A `[profile NAME]` section starting at this line.
    Profile {
        line: usize,
    },
}

/// One role's parameters as written, before validation.
#[derive(Debug, Clone)]
pub struct RawRole {
    /// The name it is served under.
    pub name: String,
    pub origin: RoleOrigin,
    pub role_arn: Option<Field<String>>,
    pub external_id: Option<Field<Secret>>,
    pub session_name: Option<Field<String>>,
    /// Whole seconds, as text (a config file may hold anything there).
    pub duration: Option<Field<String>>,
    /// `KEY=VALUE` items.
    pub tags: Option<Field<Vec<String>>>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    pub policy: Option<Field<PolicyInput>>,
    pub policy_arns: Vec<String>,
}

/// One problem of a role: the line of a config file it is on (`None` for flags), and the
/// sentence that names it and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

impl RawRole {
    /// The validated role, or every problem found. `source` is `None` when the caller has
    /// already reported why the role has none: then the fields are still checked, and the
    /// problems (perhaps none) come back without a role.
    pub fn validate(self, source: Option<RoleSource>) -> Result<RoleConfig, Vec<Problem>> {
        let mut problems = Vec::new();
        let role_arn = match &self.role_arn {
            None => {
                problems.push(Problem {
                    line: None,
                    message: "--role-arn (or ROLEHOP_ROLE_ARN) is required: the ARN of the role to assume in the destination account; or give --config FILE".into(),
                });
                None
            }
            Some(raw) => raw
                .value
                .parse::<RoleArn>()
                .map_err(|e| problems.push(raw.origin.says(e.to_string())))
                .ok(),
        };
        if let Some(id) = &self.external_id
            && let Err(e) = session::validate_external_id(id.value.expose())
        {
            problems.push(id.origin.about(e.to_string()));
        }
        let session_name = self.session_name.as_ref().and_then(|s| {
            SessionName::parse(&s.value)
                .map_err(|e| problems.push(s.origin.about(e.to_string())))
                .ok()
        });
        let duration_secs = match &self.duration {
            None => DEFAULT_DURATION_SECS,
            Some(raw) => match raw.value.parse::<u32>() {
                Ok(secs) => {
                    if let Some(p) = source.as_ref().and_then(|s| duration_problem(secs, s)) {
                        problems.push(raw.origin.says(format!("{} {p}", raw.origin.name())));
                    }
                    secs
                }
                Err(_) => {
                    problems.push(raw.origin.says(format!(
                        "{} `{}` is not a whole number of seconds",
                        raw.origin.name(),
                        raw.value
                    )));
                    DEFAULT_DURATION_SECS
                }
            },
        };
        let mut options = SessionOptions {
            transitive_tag_keys: self.transitive_tag_keys.clone(),
            source_identity: self.source_identity.clone(),
            policy_arns: self.policy_arns.clone(),
            ..SessionOptions::default()
        };
        for raw in self
            .tags
            .iter()
            .flat_map(|t| t.value.iter().map(|v| (v, t.origin)))
        {
            match session::parse_tag(raw.0) {
                Ok(tag) => options.tags.push(tag),
                Err(e) => problems.push(raw.1.about(e.to_string())),
            }
        }
        options.policy = self.policy.as_ref().and_then(|p| {
            match &p.value {
                PolicyInput::Inline(json) => {
                    SessionOptions::compact_policy(json).map_err(|e| e.to_string())
                }
                PolicyInput::File(path) => read_policy_file(path).map_err(|e| e.to_string()),
            }
            .map_err(|e| problems.push(p.origin.about(e)))
            .ok()
        });
        for problem in options.problems() {
            problems.push(match self.origin {
                RoleOrigin::Flags => Problem {
                    line: None,
                    message: problem,
                },
                RoleOrigin::Profile { line } => Problem {
                    line: Some(line),
                    message: format!("profile {}: {problem}", self.name),
                },
            });
        }
        match (role_arn, source) {
            (Some(role_arn), Some(source)) if problems.is_empty() => Ok(RoleConfig {
                name: self.name,
                role_arn,
                external_id: self.external_id.map(|f| f.value),
                session_name,
                duration_secs,
                options,
                source,
            }),
            _ => Err(problems),
        }
    }
}

/// Why a session policy file gives no policy: unreadable, or not a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Invalid {
        path: PathBuf,
        source: session::ParamError,
    },
}

/// Reads and compacts an inline session policy file.
pub fn read_policy_file(path: &Path) -> Result<String, PolicyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    SessionOptions::compact_policy(&text).map_err(|source| PolicyFileError::Invalid {
        path: path.to_owned(),
        source,
    })
}

/// What is wrong with `secs` as the duration of a role with this source, as the tail of a
/// sentence that starts with the flag or key.
pub fn duration_problem(secs: u32, source: &RoleSource) -> Option<String> {
    if !(MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(&secs) {
        return Some(format!(
            "{secs} is out of range; STS accepts {MIN_DURATION_SECS} to {MAX_DURATION_SECS} seconds"
        ));
    }
    if secs <= CHAINED_MAX_DURATION_SECS {
        return None;
    }
    let caller = match source {
        RoleSource::Credentials(kind) if kind.is_role_session() => kind.describe(),
        RoleSource::Credentials(_) => return None,
        RoleSource::Profile(name) => format!("profile {name}"),
    };
    Some(format!(
        "{secs} is over STS's one-hour limit for role chaining: the source ({caller}) is a role session, so use {CHAINED_MAX_DURATION_SECS} or less"
    ))
}

/// A comma-separated list as rolehop reads one (`Key=Value, Key2=Value2`): items trimmed,
/// empty ones dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
