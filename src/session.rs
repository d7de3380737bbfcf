//! AssumeRole's parameters as STS defines them (REFERENCE 6): session name, external id,
//! duration limits, session tags, source identity and session policies, each validated against
//! STS's rules before any call. The config, `setup` and the AssumeRole hops share this
//! vocabulary.

use crate::arn::{is_iam_name_char, policy_arn_problem};

pub const MIN_DURATION_SECS: u32 = 900;
pub const MAX_DURATION_SECS: u32 = 43_200;
/// STS's cap on sessions assumed with role credentials ("role chaining").
pub const CHAINED_MAX_DURATION_SECS: u32 = 3600;
pub const DEFAULT_DURATION_SECS: u32 = 3600;

/// A value that breaks STS's rules for an AssumeRole parameter, found before any call: which
/// rule, and the sentence naming what STS accepts.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error(
        "session name `{name}` {problem}; STS accepts 2 to 64 characters of letters, digits and + = , . @ _ -"
    )]
    SessionName { name: String, problem: TextProblem },
    #[error("external id is {0} characters long; STS accepts 2 to 1224")]
    ExternalIdLength(usize),
    #[error(
        "external id contains `{}`; STS accepts letters, digits and + = , . @ : / _ -",
        .0.escape_default()
    )]
    ExternalIdChar(char),
    #[error("the session policy is not valid JSON ({0})")]
    PolicyJson(#[source] serde_json::Error),
    #[error("the session policy must be a JSON object with Version and Statement")]
    PolicyNotObject,
    #[error("session tag `{0}` is not KEY=VALUE")]
    TagNotKeyValue(String),
}

/// What is wrong with a name's text, as the tail of a sentence naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("is {0} characters long")]
    Length(usize),
    #[error("contains `{}`", .0.escape_default())]
    Char(char),
}
/// An STS `RoleSessionName`: 2–64 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionName(String);

impl SessionName {
    /// Validates a name the user chose; their choice is never rewritten silently.
    pub fn parse(name: &str) -> Result<Self, ParamError> {
        let problem = if !(2..=64).contains(&name.chars().count()) {
            Some(TextProblem::Length(name.chars().count()))
        } else {
            name.chars()
                .find(|&c| !is_iam_name_char(c))
                .map(TextProblem::Char)
        };
        match problem {
            Some(problem) => Err(ParamError::SessionName {
                name: name.to_owned(),
                problem,
            }),
            None => Ok(Self(name.to_owned())),
        }
    }

    /// Turns a derived value (a task id, a host name) into a valid name: other characters
    /// become `-`, long values keep their last 64 characters (where ids differ), short ones
    /// get a `rolehop-` prefix.
    pub fn sanitised(raw: &str) -> Self {
        let mapped: Vec<char> = raw
            .chars()
            .map(|c| if is_iam_name_char(c) { c } else { '-' })
            .collect();
        let tail: String = mapped[mapped.len().saturating_sub(64)..].iter().collect();
        if tail.chars().count() < 2 {
            return Self(format!("rolehop-{tail}").trim_end_matches('-').to_owned());
        }
        Self(tail)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates an `ExternalId`: 2–1224 characters of `[\w+=,.@:/-]`.
pub fn validate_external_id(id: &str) -> Result<(), ParamError> {
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(ParamError::ExternalIdLength(len));
    }
    if let Some(c) = id
        .chars()
        .find(|&c| !is_iam_name_char(c) && c != ':' && c != '/')
    {
        return Err(ParamError::ExternalIdChar(c));
    }
    Ok(())
}

/// A session tag (`Tags.member.N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// AssumeRole's optional session parameters, validated against STS's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Inline session policy, compact JSON.
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

pub const MAX_TAGS: usize = 50;
pub const MAX_POLICY_ARNS: usize = 10;
/// STS limit on the plaintext of inline and managed session policies together.
pub const MAX_POLICY_CHARS: usize = 2048;

impl SessionOptions {
    /// The request keys these options put in the AssumeRole (IAM User Guide, "Passing session
    /// tags in AWS STS"; "sts:SourceIdentity"): each tag as `aws:RequestTag/KEY` and
    /// `aws:TagKeys`, the transitive keys as `sts:TransitiveTagKeys`, the source identity.
    /// `check` evaluates the same keys online (each hop) and for a task definition.
    pub fn request_context(&self) -> Vec<(String, String)> {
        let mut context = Vec::new();
        for tag in &self.tags {
            context.push((format!("aws:RequestTag/{}", tag.key), tag.value.clone()));
            context.push(("aws:TagKeys".into(), tag.key.clone()));
        }
        for key in &self.transitive_tag_keys {
            context.push(("sts:TransitiveTagKeys".into(), key.clone()));
        }
        if let Some(id) = &self.source_identity {
            context.push(("sts:SourceIdentity".into(), id.clone()));
        }
        context
    }

    /// The transitive tags a session with these options carries into the next hop, as that
    /// hop's `aws:PrincipalTag/KEY` keys.
    pub fn inherited_context(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter(|t| self.transitive_tag_keys.contains(&t.key))
            .map(|t| (format!("aws:PrincipalTag/{}", t.key), t.value.clone()))
            .collect()
    }

    /// Every way these options break STS's rules, one sentence each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.tags.len() > MAX_TAGS {
            out.push(format!(
                "{} session tags is more than STS's {MAX_TAGS}",
                self.tags.len()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for tag in &self.tags {
            if let Some(p) = tag_text_problem(&tag.key, 1, 128) {
                out.push(format!("session tag key `{}` {p}", tag.key));
            } else if tag.key.to_ascii_lowercase().starts_with("aws:") {
                out.push(format!(
                    "session tag key `{}` starts with `aws:`, which is reserved",
                    tag.key
                ));
            }
            if let Some(p) = tag_text_problem(&tag.value, 0, 256) {
                out.push(format!("the value of session tag `{}` {p}", tag.key));
            }
            if !seen.insert(tag.key.to_lowercase()) {
                out.push(format!(
                    "session tag key `{}` appears twice (STS compares tag keys ignoring case)",
                    tag.key
                ));
            }
        }
        for key in &self.transitive_tag_keys {
            if !self.tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
                out.push(format!("transitive tag key `{key}` is not one of the session tags; add a tag with that key or drop it"));
            }
        }
        if let Some(id) = &self.source_identity {
            let ok_chars = id.chars().all(is_iam_name_char);
            if !(2..=64).contains(&id.chars().count()) || !ok_chars {
                out.push(format!("source identity `{id}` must be 2 to 64 characters of letters, digits and + = , . @ _ -"));
            } else if id.to_ascii_lowercase().starts_with("aws:") {
                out.push(format!(
                    "source identity `{id}` starts with `aws:`, which is reserved"
                ));
            }
        }
        if self.policy_arns.len() > MAX_POLICY_ARNS {
            out.push(format!(
                "{} session policy ARNs is more than STS's {MAX_POLICY_ARNS}",
                self.policy_arns.len()
            ));
        }
        for arn in &self.policy_arns {
            if let Some(p) = policy_arn_problem(arn) {
                out.push(format!("session policy ARN `{arn}` {p}; a managed policy ARN looks like arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/NAME"));
            }
        }
        let policy_chars = self.policy.as_ref().map_or(0, |p| p.chars().count())
            + self.policy_arns.iter().map(|a| a.len()).sum::<usize>();
        if policy_chars > MAX_POLICY_CHARS {
            out.push(format!("the session policies come to {policy_chars} characters, over STS's {MAX_POLICY_CHARS}; shorten the inline policy or use fewer managed policies"));
        }
        out
    }

    /// Parses an inline session policy and returns it compacted (STS counts its characters).
    pub fn compact_policy(json: &str) -> Result<String, ParamError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(ParamError::PolicyJson)?;
        if !value.is_object() {
            return Err(ParamError::PolicyNotObject);
        }
        Ok(value.to_string())
    }
}

/// Parses `KEY=VALUE` (the value may contain `=`).
pub fn parse_tag(raw: &str) -> Result<Tag, ParamError> {
    match raw.split_once('=') {
        Some((key, value)) => Ok(Tag {
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
        }),
        None => Err(ParamError::TagNotKeyValue(raw.to_owned())),
    }
}

fn tag_text_problem(text: &str, min: usize, max: usize) -> Option<String> {
    let len = text.chars().count();
    if !(min..=max).contains(&len) {
        return Some(format!(
            "is {len} characters long; STS accepts {min} to {max}"
        ));
    }
    text.chars()
        .find(|&c| !(c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)))
        .map(|c| {
            format!(
                "contains `{}`, which STS does not allow in tags",
                c.escape_default()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_validated_not_rewritten() {
        assert!(SessionName::parse("ok").is_ok());
        assert!(SessionName::parse("team.app@prod-1_a+b=c,d").is_ok());
        assert!(SessionName::parse(&"a".repeat(64)).is_ok());
        for (bad, problem, expected) in [
            ("x", TextProblem::Length(1), "is 1 characters long"),
            (
                &*"a".repeat(65),
                TextProblem::Length(65),
                "is 65 characters long",
            ),
            ("has space", TextProblem::Char(' '), "contains ` `"),
            ("slash/no", TextProblem::Char('/'), "contains `/`"),
        ] {
            let err = SessionName::parse(bad).unwrap_err();
            assert!(
                matches!(&err, ParamError::SessionName { name, problem: p } if name == bad && *p == problem),
                "{bad}: {err:?}"
            );
            // The sentence the user reads.
            let shown = err.to_string();
            assert!(shown.contains(expected), "{bad}: {shown}");
            assert!(shown.contains("2 to 64"), "{shown}");
        }
    }

    #[test]
    fn derived_names_are_sanitised_into_range() {
        assert_eq!(
            SessionName::sanitised("f0e1d2c3b4a5968778695a4b3c2d1e0f").as_str(),
            "f0e1d2c3b4a5968778695a4b3c2d1e0f"
        );
        assert_eq!(
            SessionName::sanitised("my host:1/2").as_str(),
            "my-host-1-2"
        );
        assert_eq!(SessionName::sanitised("x").as_str(), "rolehop-x");
        assert_eq!(SessionName::sanitised("").as_str(), "rolehop");
        let long = format!("{}{}", "a".repeat(70), "tail");
        let s = SessionName::sanitised(&long);
        assert_eq!(s.as_str().len(), 64);
        assert!(s.as_str().ends_with("tail"));
        for raw in ["é", "日本語のホスト名", "a\nb", &"é".repeat(100)] {
            let s = SessionName::sanitised(raw);
            assert!(SessionName::parse(s.as_str()).is_ok(), "{raw:?} -> {s:?}");
        }
    }

    fn options() -> SessionOptions {
        SessionOptions {
            tags: vec![
                parse_tag("Project=blue").unwrap(),
                parse_tag("Expr=a=b").unwrap(),
            ],
            transitive_tag_keys: vec!["project".into()],
            source_identity: Some("alice@example.com".into()),
            policy: Some(
                SessionOptions::compact_policy(
                    "{\n \"Version\": \"2012-10-17\", \"Statement\": []\n}",
                )
                .unwrap(),
            ),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        }
    }

    #[test]
    fn valid_session_options_pass() {
        let o = options();
        assert_eq!(o.problems(), Vec::<String>::new());
        assert_eq!(o.tags[1].value, "a=b");
        let policy: serde_json::Value = serde_json::from_str(o.policy.as_ref().unwrap()).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"Version": "2012-10-17", "Statement": []})
        );
        assert!(!o.policy.as_ref().unwrap().contains('\n'));
    }

    #[test]
    fn session_options_over_sts_limits_are_named() {
        let mut o = options();
        o.tags.extend((0..50).map(|i| Tag {
            key: format!("k{i}"),
            value: "v".into(),
        }));
        o.tags.push(Tag {
            key: "aws:reserved".into(),
            value: "v".into(),
        });
        o.tags.push(Tag {
            key: "bad!key".into(),
            value: "v".into(),
        });
        o.tags.push(Tag {
            key: "PROJECT".into(),
            value: "x".repeat(257),
        });
        o.transitive_tag_keys.push("Missing".into());
        o.source_identity = Some("x".into());
        o.policy_arns = vec![
            "arn:aws:iam:aws:policy/X".into(),
            "arn:aws:iam::aws:role/X".into(),
        ];
        let problems = o.problems().join("\n");
        for expected in [
            "55 session tags is more than STS's 50",
            "`aws:reserved` starts with `aws:`",
            "`bad!key` contains `!`",
            "the value of session tag `PROJECT` is 257 characters long",
            "`PROJECT` appears twice",
            "transitive tag key `Missing` is not one of the session tags",
            "source identity `x` must be 2 to 64",
            "`arn:aws:iam:aws:policy/X` has 5 colon-separated fields instead of 6",
            "`arn:aws:iam::aws:role/X` has resource `role/X`, which is not policy/NAME",
        ] {
            assert!(
                problems.contains(expected),
                "missing {expected:?} in:\n{problems}"
            );
        }
        let big = SessionOptions {
            policy: Some("x".repeat(2049)),
            ..SessionOptions::default()
        };
        assert!(big.problems()[0].contains("2049 characters, over STS's 2048"));
        assert!(matches!(
            SessionOptions::compact_policy("{oops"),
            Err(ParamError::PolicyJson(_))
        ));
        assert!(matches!(
            SessionOptions::compact_policy("[]"),
            Err(ParamError::PolicyNotObject)
        ));
        assert!(matches!(
            parse_tag("novalue"),
            Err(ParamError::TagNotKeyValue(raw)) if raw == "novalue"
        ));
    }

    #[test]
    fn external_ids_follow_sts() {
        assert!(validate_external_id("Unique-ID:123/abc").is_ok());
        let short = validate_external_id("x").unwrap_err();
        assert!(
            matches!(short, ParamError::ExternalIdLength(1)),
            "{short:?}"
        );
        assert!(short.to_string().contains("2 to 1224"), "{short}");
        let spaced = validate_external_id("has space").unwrap_err();
        assert!(
            matches!(spaced, ParamError::ExternalIdChar(' ')),
            "{spaced:?}"
        );
        assert!(spaced.to_string().contains("contains ` `"), "{spaced}");
        assert!(matches!(
            validate_external_id(&"a".repeat(1225)),
            Err(ParamError::ExternalIdLength(1225))
        ));
    }
}
