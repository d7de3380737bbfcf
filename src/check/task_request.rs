//! `--task-definition` as a source of the request: the AssumeRole rolehop's container would
//! make, read from the definition as `serve` reads it there. The container's `ROLEHOP_*`
//! variables go through `serve`'s own flag definitions (`RoleArgs::from_vars`) and config
//! reader (`config::file_from_args`, for `ROLEHOP_CONFIG_TEXT` too), so tags, transitive keys,
//! source identity, external id, session name, duration and chain are what `serve` would use.
//! A variable from `secrets` is in the container but its value is not in the definition: an
//! external id from a secret is present with an unknown value (a condition testing the value
//! is UNKNOWN; `Null` is decided). The source is the definition's `taskRoleArn` (ECS sets
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` for it), or for a chained hop the role before.
//! Flags given on the command line win; `ecs.request` says which field came from where.

use serde_json::Value;

use super::container_def::{self, plain_env, secrets, variables};
use super::findings::{Finding, FindingId, Status};
use super::inputs::Inputs;
use crate::cli::RoleArgs;
use crate::config::{RoleConfig, RoleSource};
use crate::credentials::Secret;
use crate::source::ENV_RELATIVE_URI;

/// The variables that name rolehop's roles; a container with one of them is rolehop's.
const ROLE_VARIABLES: [&str; 3] = ["ROLEHOP_ROLE_ARN", "ROLEHOP_CONFIG_TEXT", "ROLEHOP_CONFIG"];
const EXTERNAL_ID: &str = "ROLEHOP_EXTERNAL_ID";
/// What `from_vars` is handed for a variable whose value is a secret (a valid external id, so
/// validation passes; never evaluated as a value).
const SECRET_PLACEHOLDER: &str = "value-from-a-secret";

fn info(message: String) -> Finding {
    Finding::new(FindingId::EcsRequest, Status::Pass, message)
}

/// Fills what the flags left open in `inputs` from rolehop's container in the task
/// definition `text`, and says where each field came from. Only when there is an AssumeRole
/// to evaluate: a trust policy given, or `--role-arn` (a definition checked alone is linted).
pub fn apply(file: &str, text: &str, inputs: &mut Inputs) -> Vec<Finding> {
    if inputs.trust_policy.is_none() && inputs.role_arn.is_none() {
        return Vec::new();
    }
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports invalid JSON.
    };
    let Some(rolehop) = container_def::containers(&td).into_iter().find(|c| {
        let all = variables(c);
        ROLE_VARIABLES.iter().any(|v| all.contains(v))
    }) else {
        return Vec::new();
    };
    let container = rolehop["name"].as_str().unwrap_or("rolehop");
    let secrets: Vec<&str> = secrets(rolehop).into_iter().map(|(name, _)| name).collect();
    let at = format!("{file}: container {container}");
    if let Some(var) = ["ROLEHOP_CONFIG_TEXT", "ROLEHOP_CONFIG"]
        .into_iter()
        .find(|v| {
            secrets.contains(v) || (*v == "ROLEHOP_CONFIG" && plain_env(rolehop, v).is_some())
        })
    {
        return vec![Finding::new(
            FindingId::EcsRequest,
            Status::Unknown,
            format!(
                "{at} reads its roles from {var}, whose content is not in the definition (a secret or a file in the container), so the request is only what the flags say; give --role-arn and the others, or run rolehop check in the task"
            ),
        )];
    }
    let task_role = td["taskRoleArn"].as_str();
    let (roles, from_text) = match serve_roles(rolehop, &secrets, task_role, &at) {
        Ok(read) => read,
        Err(refused) => return vec![*refused],
    };
    let hop = match (&inputs.role_arn, roles.as_slice()) {
        (Some(arn), _) => match roles.iter().find(|r| r.role_arn.as_str() == arn) {
            Some(r) => r,
            None => {
                return vec![Finding::new(
                    FindingId::EcsRequest,
                    Status::Warn,
                    format!(
                        "{at} does not assume --role-arn {arn} (its roles: {}), so the request is only what the flags say",
                        list_roles(&roles)
                    ),
                )];
            }
        },
        (None, [one]) => one,
        (None, []) => return Vec::new(),
        (None, several) => {
            return vec![Finding::new(
                FindingId::EcsRequest,
                Status::Unknown,
                format!(
                    "{at} assumes several roles ({}); give --role-arn to say which hop the policies are of",
                    list_roles(several)
                ),
            )];
        }
    };
    vec![info(fill(
        inputs, hop, &roles, task_role, &at, from_text, &secrets,
    ))]
}

/// The roles `serve` would read in rolehop's container (through its own flag definitions and
/// config reader), and whether they come from `ROLEHOP_CONFIG_TEXT`; or the FAIL saying why
/// `serve` would refuse them.
fn serve_roles(
    rolehop: &Value,
    secrets: &[&str],
    task_role: Option<&str>,
    at: &str,
) -> Result<(Vec<RoleConfig>, bool), Box<Finding>> {
    // The container's environment as ECS gives it: its variables, its secrets (values unknown)
    // and the agent's credentials endpoint when the task has a role.
    let var = |name: &str| -> Option<String> {
        plain_env(rolehop, name).map(str::to_owned).or_else(|| {
            secrets
                .contains(&name)
                .then(|| SECRET_PLACEHOLDER.to_owned())
        })
    };
    let env = |name: &str| -> Option<String> {
        var(name).or_else(|| {
            (name == ENV_RELATIVE_URI && task_role.is_some())
                .then(|| "/v2/credentials/task-role".to_owned())
        })
    };
    let args = match RoleArgs::from_vars(&var) {
        Ok(args) => args,
        Err(e) => {
            return Err(Box::new(Finding::new(
                FindingId::EcsRequest,
                Status::Fail,
                format!(
                    "{at}: rolehop serve would refuse its ROLEHOP_* variables: {}",
                    e.render().to_string().lines().next().unwrap_or_default()
                ),
            )));
        }
    };
    let mut errors = Vec::new();
    let roles = crate::config::file_from_args(&args, &env, &mut errors).roles;
    if !errors.is_empty() {
        return Err(Box::new(Finding::new(
            FindingId::EcsRequest,
            Status::Fail,
            format!(
                "{at}: rolehop serve would not start with this configuration: {}",
                errors.join("; ")
            ),
        )));
    }
    Ok((roles, args.config_text.is_some()))
}

fn list_roles(roles: &[RoleConfig]) -> String {
    roles
        .iter()
        .map(|r| format!("{} ({})", r.role_arn, r.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sets each field of `inputs` the flags left open from `hop`; returns the sentence saying
/// where each came from.
fn fill(
    inputs: &mut Inputs,
    hop: &RoleConfig,
    roles: &[RoleConfig],
    task_role: Option<&str>,
    at: &str,
    from_text: bool,
    secrets: &[&str],
) -> String {
    let previous = match &hop.source {
        RoleSource::Profile(p) => roles.iter().find(|r| r.name == *p),
        RoleSource::Credentials(_) => None,
    };
    let mut filling = Filling {
        inputs,
        hop,
        from_text,
        said: Vec::new(),
        flags: Vec::new(),
    };
    filling.role();
    filling.source(previous, task_role);
    if let Some(previous) = previous {
        filling.inherited_from(previous);
    }
    filling.external_id(secrets);
    filling.session_name();
    filling.options();
    filling.duration();
    filling.sentence(at)
}

/// `fill` under way: the fields set so far, each with where it came from, and the flags that
/// won over the container.
struct Filling<'a> {
    inputs: &'a mut Inputs,
    hop: &'a RoleConfig,
    /// The roles come from `ROLEHOP_CONFIG_TEXT`, not from the single-role variables.
    from_text: bool,
    said: Vec<String>,
    flags: Vec<&'static str>,
}

impl Filling<'_> {
    /// Where a field of the hop was written: `var`, or the hop's profile in the config text.
    fn origin(&self, var: &str) -> String {
        if self.from_text {
            format!("ROLEHOP_CONFIG_TEXT, profile {}", self.hop.name)
        } else {
            var.to_owned()
        }
    }

    fn role(&mut self) {
        match &self.inputs.role_arn {
            Some(_) => self.flags.push("--role-arn"),
            None => {
                self.inputs.role_arn = Some(self.hop.role_arn.to_string());
                self.said.push(format!(
                    "role {} ({})",
                    self.hop.role_arn,
                    self.origin("ROLEHOP_ROLE_ARN")
                ));
            }
        }
    }

    /// The caller: the hop before in a chain, else the task role.
    fn source(&mut self, previous: Option<&RoleConfig>, task_role: Option<&str>) {
        match (&self.inputs.source_role_arn, previous, task_role) {
            (Some(_), _, _) => self.flags.push("--source-role-arn"),
            (None, Some(p), _) => {
                self.inputs.source_role_arn = Some(p.role_arn.to_string());
                self.said.push(format!(
                    "source {} (the hop before, profile {})",
                    p.role_arn, p.name
                ));
            }
            (None, None, Some(arn)) => {
                self.inputs.source_role_arn = Some(arn.to_owned());
                self.said.push(format!("source {arn} (taskRoleArn)"));
            }
            (None, None, None) => self.said.push("no source role (no taskRoleArn)".into()),
        }
    }

    /// What the session of the hop before carries into this call: its transitive tags and
    /// its session policy.
    fn inherited_from(&mut self, previous: &RoleConfig) {
        let inherited = previous.options.inherited_context();
        if !inherited.is_empty() {
            let keys: Vec<&str> = inherited.iter().map(|(k, _)| k.as_str()).collect();
            self.said.push(format!(
                "{} (transitive tags of profile {})",
                keys.join(", "),
                previous.name
            ));
            add_context(self.inputs, inherited);
        }
        if self.inputs.session_policy.is_none()
            && let Some(policy) = &previous.options.policy
        {
            self.inputs.session_policy = Some((
                format!("the session policy of the {} session", previous.name),
                policy.clone(),
            ));
            self.said
                .push(format!("session policy (profile {})", previous.name));
        }
    }

    /// The external id: its value when the definition shows it, present but unknown when a
    /// secret holds it.
    fn external_id(&mut self, secrets: &[&str]) {
        match (&self.inputs.external_id, &self.hop.external_id) {
            (Some(_), _) => self.flags.push("--external-id"),
            (None, None) => self.said.push("no external id".into()),
            (None, Some(_))
                if self
                    .inputs
                    .context
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("sts:ExternalId")) =>
            {
                self.flags.push("--context sts:ExternalId");
            }
            (None, Some(_)) if !self.from_text && secrets.contains(&EXTERNAL_ID) => {
                self.inputs.hidden.push((
                    "sts:ExternalId".into(),
                    format!("the secret {EXTERNAL_ID} of the task definition"),
                ));
                self.said.push(format!(
                    "an external id whose value is a secret ({EXTERNAL_ID}; a condition testing its value is unknown)"
                ));
            }
            (None, Some(id)) => {
                self.inputs.external_id = Some(Secret::new(id.expose().to_owned()));
                self.said
                    .push(format!("external id ({})", self.origin(EXTERNAL_ID)));
            }
        }
    }

    fn session_name(&mut self) {
        match (&self.inputs.session_name, &self.hop.session_name) {
            (Some(_), _) => self.flags.push("--session-name"),
            (None, Some(name)) => {
                self.inputs.session_name = Some(name.as_str().to_owned());
                self.said.push(format!(
                    "session name {} ({})",
                    name.as_str(),
                    self.origin("ROLEHOP_SESSION_NAME")
                ));
            }
            (None, None) => self.said.push(
                "session name: the ECS task id, known only when the task runs (sts:RoleSessionName unknown)"
                    .into(),
            ),
        }
    }

    /// Session tags, transitive tag keys, source identity and the request context they make.
    fn options(&mut self) {
        let options = &self.hop.options;
        if !options.tags.is_empty() {
            let keys: Vec<&str> = options.tags.iter().map(|t| t.key.as_str()).collect();
            if self.inputs.session_tags {
                self.flags.push("--session-tags");
            }
            self.inputs.session_tags = true;
            self.said.push(format!(
                "session tags {} ({})",
                keys.join(", "),
                self.origin("ROLEHOP_TAGS")
            ));
        }
        if !options.transitive_tag_keys.is_empty() {
            self.said.push(format!(
                "transitive tag keys {} ({})",
                options.transitive_tag_keys.join(", "),
                self.origin("ROLEHOP_TRANSITIVE_TAG_KEYS")
            ));
        }
        if options.source_identity.is_some() {
            if self.inputs.source_identity {
                self.flags.push("--source-identity");
            }
            self.inputs.source_identity = true;
            self.said.push(format!(
                "source identity ({})",
                self.origin("ROLEHOP_SOURCE_IDENTITY")
            ));
        }
        add_context(self.inputs, options.request_context());
    }

    fn duration(&mut self) {
        match self.inputs.duration {
            Some(_) => self.flags.push("--duration"),
            None => {
                self.inputs.duration = Some(self.hop.duration_secs);
                self.said.push(format!(
                    "duration {} s ({})",
                    self.hop.duration_secs,
                    self.origin("ROLEHOP_DURATION, or its default")
                ));
            }
        }
    }

    /// The sentence of `ecs.request`: each field and where it came from, then the flags.
    fn sentence(self, at: &str) -> String {
        let flags = if self.flags.is_empty() {
            String::new()
        } else {
            format!("; the flags given win: {}", self.flags.join(", "))
        };
        format!(
            "{at}: the AssumeRole evaluated is the one it makes: {}{flags}",
            self.said.join("; ")
        )
    }
}

/// Adds the keys `--context` does not already give.
fn add_context(inputs: &mut Inputs, pairs: Vec<(String, String)>) {
    let given: Vec<String> = inputs
        .context
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    inputs.context.extend(
        pairs
            .into_iter()
            .filter(|(k, _)| !given.contains(&k.to_ascii_lowercase())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn td(environment: Value, secrets: Value) -> String {
        json!({"taskRoleArn": "arn:aws:iam::111122223333:role/my-ECS-task-role",
               "containerDefinitions": [
                   {"name": "app", "image": "app"},
                   {"name": "rolehop", "command": ["serve"], "environment": environment, "secrets": secrets}]})
        .to_string()
    }

    #[test]
    fn the_containers_variables_are_the_request() {
        let text = td(
            json!([{"name": "ROLEHOP_ROLE_ARN", "value": "arn:aws:iam::555566667777:role/destination-account-role"},
                   {"name": "ROLEHOP_TAGS", "value": "Team=payments"},
                   {"name": "ROLEHOP_SOURCE_IDENTITY", "value": "alice"}]),
            json!([]),
        );
        let mut inputs = Inputs {
            trust_policy: Some(("trust.json".into(), "{}".into())),
            ..Inputs::default()
        };
        let found = apply("td.json", &text, &mut inputs);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].id, found[0].status),
            (FindingId::EcsRequest, Status::Pass)
        );
        assert!(
            found[0]
                .message
                .contains("session tags Team (ROLEHOP_TAGS)"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .message
                .contains("source arn:aws:iam::111122223333:role/my-ECS-task-role (taskRoleArn)")
        );
        assert!(inputs.session_tags && inputs.source_identity);
        assert_eq!(
            inputs.role_arn.as_deref(),
            Some("arn:aws:iam::555566667777:role/destination-account-role")
        );
        assert!(
            inputs
                .context
                .contains(&("aws:RequestTag/Team".into(), "payments".into()))
        );
        assert_eq!(inputs.duration, Some(3600));
    }

    #[test]
    fn an_external_id_from_a_secret_is_present_with_an_unknown_value() {
        let text = td(
            json!([{"name": "ROLEHOP_ROLE_ARN", "value": "arn:aws:iam::555566667777:role/d"}]),
            json!([{"name": "ROLEHOP_EXTERNAL_ID", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x"}]),
        );
        let mut inputs = Inputs {
            trust_policy: Some(("trust.json".into(), "{}".into())),
            ..Inputs::default()
        };
        apply("td.json", &text, &mut inputs);
        assert!(inputs.external_id.is_none());
        assert_eq!(inputs.hidden[0].0, "sts:ExternalId");
    }

    #[test]
    fn a_chain_in_the_config_text_gives_the_hop_its_source_and_transitive_tags() {
        let config = "[profile hub]\nrole_arn = arn:aws:iam::444455556666:role/hub\ncredential_source = EcsContainer\nrolehop_session_tags = Team=payments\nrolehop_transitive_tag_keys = Team\n\n[profile audit]\nrole_arn = arn:aws:iam::999988887777:role/audit\nsource_profile = hub\n";
        let text = td(
            json!([{"name": "ROLEHOP_CONFIG_TEXT", "value": config}]),
            json!([]),
        );
        let mut inputs = Inputs {
            role_arn: Some("arn:aws:iam::999988887777:role/audit".into()),
            ..Inputs::default()
        };
        let found = apply("td.json", &text, &mut inputs);
        assert_eq!(
            inputs.source_role_arn.as_deref(),
            Some("arn:aws:iam::444455556666:role/hub"),
            "{found:?}"
        );
        assert!(
            inputs
                .context
                .contains(&("aws:PrincipalTag/Team".into(), "payments".into()))
        );
        assert!(found[0].message.contains("the flags given win: --role-arn"));
    }

    #[test]
    fn a_definition_checked_alone_asks_about_no_assume_role() {
        let text = r#"{"containerDefinitions": [{"name": "rolehop", "environment": [{"name": "ROLEHOP_ROLE_ARN", "value": "arn:aws:iam::555566667777:role/d"}]}]}"#;
        let mut inputs = Inputs::default();
        assert!(apply("td.json", text, &mut inputs).is_empty());
        assert!(inputs.role_arn.is_none());
    }
}
