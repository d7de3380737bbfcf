//! `rolehop check --task-definition` for per-container roles: can an app container assume
//! another container's role with what it holds, bypassing rolehop's clients?
//!
//! What every app container holds: the task role's credentials. ECS injects
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` into every container of a task with a task role, and
//! the ECS agent's endpoint (169.254.170.2) answers any of them; unsetting the variable does not
//! stop code that reads it elsewhere (`/proc/1/environ`) or asks the endpoint directly. So a
//! profile rolehop assumes with the task role's credentials (`credential_source`) is a boundary
//! between containers only when its role requires something no app container holds: an external
//! id that rolehop's container alone receives. That is `rolehop_external_id_env = VAR` in the
//! profile, `VAR` one of rolehop's `secrets` whose secret no app container's `secrets` reads,
//! and, when the role's trust policy is given, a trust policy that refuses the task role without
//! an external id ([`super::run`] on it, the task role's own policies taken to allow the call).
//! A profile chained from another (`source_profile`) is reachable only with that profile's
//! credentials, so it is open when its source is open and it requires no such external id.
//!
//! Reported for a task with `[client NAME]` sections only (each app container its own roles);
//! one finding per profile. No external id's value is read or shown: only variable and secret
//! names.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::container_def::{self, plain_env, secrets};
use super::findings::{Finding, FindingId, Status};
use super::report::Verdict;
use super::{File, Inputs};
use crate::config::file::{ClientSection, client_sections, profile_sections};

const ID: FindingId = FindingId::EcsContainerIsolation;

/// What a per-container role's trust policy file from `rolehop setup` holds where the external
/// id goes, followed by the name of the secret holding the value: `commands.sh` puts the policy
/// on the role with the secret's value in its place. A valid external id (so the files pass
/// `check`), but one anybody can read: on a role it is a FAIL here.
pub const EXTERNAL_ID_PLACEHOLDER: &str = "rolehop-placeholder:filled-by-commands.sh-from-secret:";
/// The profile key naming rolehop's variable that holds the external id.
const EXTERNAL_ID_ENV: &str = "rolehop_external_id_env";

/// What keeps app containers from assuming one profile's role themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Guard {
    /// An external id in rolehop's variable `var`, from a secret no app container reads.
    Secret { var: String },
    /// The trust policy refuses the task role without an external id, which rolehop's config
    /// does not pass either (rolehop cannot assume it: `check` online says why).
    TrustOnly,
    /// Nothing: whoever holds the caller's credentials can assume it.
    Open { why: String },
    /// An external id everyone who can read the task definition knows.
    Plain { why: String },
}

/// A policy allowing every `sts:` action on `role`: the question is the trust policy's alone,
/// so the caller's own policies are taken to allow the call (the worst case).
fn worst_case_identity(role: &str) -> File {
    (
        "(the task role's policies, taken to allow the call)".into(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": role}]})
            .to_string(),
    )
}

/// The per-profile findings. `trusts` holds (role ARN, trust policy file) for the roles whose
/// trust policies are given; `setup_files` says they are `rolehop setup`'s own files, whose
/// external id is the placeholder `commands.sh` fills in (elsewhere that placeholder is a FAIL:
/// anybody can read it).
pub fn task_definition(
    file: &str,
    text: &str,
    trusts: &[(String, File)],
    setup_files: bool,
) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports invalid JSON.
    };
    let containers = container_def::containers(&td);
    let Some((rolehop, config)) = container_def::rolehop_with_config(&containers) else {
        return Vec::new();
    };
    // A text that does not parse is clients.rs' FAIL; without clients there is no per-container
    // boundary to check.
    let (Some(clients), Some(profiles)) = (client_sections(config), profile_sections(config))
    else {
        return Vec::new();
    };
    if clients.is_empty() {
        return Vec::new();
    }
    let Some(task_role) = td["taskRoleArn"].as_str() else {
        return vec![Finding::new(
            ID,
            Status::Pass,
            format!(
                "{file}: the task has no task role, so the ECS agent gives its app containers no credentials to assume a role with"
            ),
        )];
    };
    let task = Task {
        file,
        rolehop,
        rolehop_name: rolehop["name"].as_str().unwrap_or("rolehop"),
        rolehop_secrets: secrets(rolehop).into_iter().collect(),
        apps: container_def::apps(&containers, rolehop),
        profiles: profiles
            .iter()
            .map(|(name, kv)| {
                (
                    name.as_str(),
                    kv.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                )
            })
            .collect(),
        clients: &clients,
    };
    let guards = task.guards(task_role, trusts, setup_files);
    guards
        .iter()
        .map(|(name, guard)| task.finding(name, guard, &guards))
        .collect()
}

/// What the checks of one task read: its rolehop container and config, and its app containers.
struct Task<'a> {
    file: &'a str,
    rolehop: &'a Value,
    rolehop_name: &'a str,
    /// rolehop's `secrets`: variable name → `valueFrom`.
    rolehop_secrets: BTreeMap<&'a str, &'a str>,
    /// Every container but rolehop's.
    apps: Vec<&'a Value>,
    /// The config's profiles: name → key → value.
    profiles: BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>,
    clients: &'a [ClientSection],
}

impl<'a> Task<'a> {
    fn role_of(&self, profile: &str) -> Option<&'a str> {
        self.profiles
            .get(profile)
            .and_then(|k| k.get("role_arn").copied())
    }

    /// Each profile's own guard: its config, then its trust policy when given.
    fn guards(
        &self,
        task_role: &'a str,
        trusts: &[(String, File)],
        setup_files: bool,
    ) -> BTreeMap<&'a str, Guard> {
        let mut guards = BTreeMap::new();
        for (name, kv) in &self.profiles {
            let Some(role) = kv.get("role_arn").copied() else {
                continue;
            };
            let caller = match kv.get("source_profile") {
                Some(source) => self.role_of(source).unwrap_or(task_role),
                None => task_role,
            };
            let mut guard = self.config_guard(kv);
            if let Some((_, trust)) = trusts.iter().find(|(arn, _)| arn == role) {
                guard = trust_guard(guard, role, caller, trust, setup_files);
            }
            guards.insert(*name, guard);
        }
        guards
    }

    /// The guard a profile's config gives it: the external id it passes, and where from.
    fn config_guard(&self, profile: &BTreeMap<&str, &str>) -> Guard {
        let rolehop_name = self.rolehop_name;
        match (profile.get(EXTERNAL_ID_ENV), profile.get("external_id")) {
            (Some(var), _) => match self.rolehop_secrets.get(var) {
                Some(from) => match self.apps.iter().find(|app| secrets(app).iter().any(|(_, f)| f == from)) {
                    Some(app) => Guard::Open {
                        why: format!(
                            "its external id ({var}, secret {from}) is also given to container {}",
                            app["name"].as_str().unwrap_or("?")
                        ),
                    },
                    None => Guard::Secret { var: (*var).to_owned() },
                },
                None if plain_env(self.rolehop, var).is_some() => Guard::Plain {
                    why: format!("its external id {var} is in {rolehop_name}'s plain environment, in the task definition's text"),
                },
                None => Guard::Open {
                    why: format!("its external id variable {var} is not among {rolehop_name}'s secrets (rolehop would not start)"),
                },
            },
            (None, Some(_)) => Guard::Plain {
                why: "its external_id is written in ROLEHOP_CONFIG_TEXT, in the task definition's text".into(),
            },
            (None, None) => Guard::Open {
                why: "its profile passes no external id".into(),
            },
        }
    }

    /// The profiles reachable with the task role's credentials on the way to `name`: along a
    /// chain until a guarded profile (`None` when one guards it).
    fn open_path(&self, guards: &BTreeMap<&str, Guard>, name: &str) -> Option<Vec<String>> {
        let mut path = Vec::new();
        let mut current = name;
        loop {
            if path.len() > self.profiles.len() {
                return None; // a cycle: config.valid reports it.
            }
            match guards.get(current)? {
                Guard::Open { .. } | Guard::Plain { .. } => path.push(current.to_owned()),
                _ => return None,
            }
            match self
                .profiles
                .get(current)
                .and_then(|k| k.get("source_profile"))
            {
                Some(source) => current = source,
                None => return Some(path),
            }
        }
    }

    fn granted_to(&self, profile: &str) -> String {
        let names: Vec<&str> = self
            .clients
            .iter()
            .filter(|c| c.profiles.iter().any(|p| p == profile || p == "*"))
            .map(|c| c.name.as_str())
            .collect();
        if names.is_empty() {
            "no client".into()
        } else {
            format!("client {}", names.join(", client "))
        }
    }

    /// The finding for profile `name`, whose own guard is `guard`.
    fn finding(&self, name: &str, guard: &Guard, guards: &BTreeMap<&str, Guard>) -> Finding {
        let (file, rolehop_name) = (self.file, self.rolehop_name);
        let role = self.role_of(name).unwrap_or("?");
        let who = format!(
            "{file}: profile {name} ({role}, granted to {})",
            self.granted_to(name)
        );
        match (self.open_path(guards, name), guard) {
            (Some(path), Guard::Open { why } | Guard::Plain { why }) => {
                let reach = if path.len() > 1 {
                    format!(
                        " through profiles {}",
                        path.iter().rev().cloned().collect::<Vec<_>>().join(" -> ")
                    )
                } else {
                    String::new()
                };
                let status = if matches!(guard, Guard::Plain { .. }) && path.len() == 1 {
                    Status::Warn
                } else {
                    Status::Fail
                };
                Finding::new(
                    ID,
                    status,
                    format!(
                        "{who}: every app container can assume it itself{reach}, bypassing rolehop's clients: {why}, and each app container can fetch the task role's credentials from the ECS agent (169.254.170.2), unset variable or not; give the profile rolehop_external_id_env = VAR, VAR one of {rolehop_name}'s secrets that no app container gets, and require sts:ExternalId in the role's trust policy (rolehop setup --container writes both)"
                    ),
                )
            }
            (_, Guard::Secret { var }) => Finding::new(
                ID,
                Status::Pass,
                format!(
                    "{who}: only rolehop can assume it: its role requires the external id {var}, which only {rolehop_name} receives (a secret no app container gets)"
                ),
            ),
            (_, Guard::TrustOnly) => Finding::new(
                ID,
                Status::Pass,
                format!(
                    "{who}: no app container can assume it with the task role's credentials: its trust policy requires an external id no container holds (nor rolehop's config: rolehop check online tells whether rolehop can)"
                ),
            ),
            (None, _) => Finding::new(
                ID,
                Status::Pass,
                format!(
                    "{who}: no app container can assume it itself: it chains from a profile whose role requires an external id only {rolehop_name} receives"
                ),
            ),
        }
    }
}

/// The guard once the role's trust policy is read: [`super::run`] on it decides whether
/// `caller` can assume `role` without an external id.
fn trust_guard(
    guard: Guard,
    role: &str,
    caller: &str,
    (trust_file, trust_text): &File,
    setup_files: bool,
) -> Guard {
    let placeholder = trust_text.contains(EXTERNAL_ID_PLACEHOLDER);
    let inputs = Inputs {
        trust_policy: Some((trust_file.clone(), trust_text.clone())),
        identity_policies: vec![worst_case_identity(role)],
        role_arn: Some(role.to_owned()),
        source_role_arn: Some(caller.to_owned()),
        ..Inputs::default()
    };
    match super::run(&inputs).decision {
        Some(Verdict::Allowed) => Guard::Open {
            why: format!(
                "its trust policy {trust_file} lets {caller} assume it without an external id"
            ),
        },
        Some(Verdict::Denied) if placeholder && !setup_files => Guard::Open {
            why: format!(
                "its trust policy {trust_file} requires rolehop setup's placeholder as the external id, which anybody can read (put the policy on the role with commands.sh, which fills in the secret's value)"
            ),
        },
        Some(Verdict::Denied) => match guard {
            Guard::Open { .. } => Guard::TrustOnly,
            other => other,
        },
        _ => Guard::Plain {
            why: format!(
                "whether its trust policy {trust_file} lets {caller} assume it without an external id is unknown; check it with rolehop check --trust-policy"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "arn:aws:iam::111122223333:role/task";
    const ORDERS: &str = "arn:aws:iam::555566667777:role/orders";
    const REPORTS: &str = "arn:aws:iam::444455556666:role/reports";

    fn config(web_guard: &str) -> String {
        format!(
            "[profile web]\nrole_arn = {ORDERS}\ncredential_source = EcsContainer\n{web_guard}\n\n[profile batch]\nrole_arn = {REPORTS}\ncredential_source = EcsContainer\nrolehop_external_id_env = ROLEHOP_EXTERNAL_ID_BATCH\n\n[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = web\n\n[client batch]\ntoken_env = ROLEHOP_TOKEN_BATCH\nprofiles = batch\n"
        )
    }

    fn td(config: &str, batch_secrets: Value) -> String {
        json!({"taskRoleArn": TASK, "containerDefinitions": [
            {"name": "rolehop",
             "environment": [{"name": "ROLEHOP_CONFIG_TEXT", "value": config}],
             "secrets": [{"name": "ROLEHOP_TOKEN_WEB", "valueFrom": "arn:token-web"},
                         {"name": "ROLEHOP_TOKEN_BATCH", "valueFrom": "arn:token-batch"},
                         {"name": "ROLEHOP_EXTERNAL_ID_WEB", "valueFrom": "arn:id-web"},
                         {"name": "ROLEHOP_EXTERNAL_ID_BATCH", "valueFrom": "arn:id-batch"}]},
            {"name": "web", "secrets": [{"name": "ROLEHOP_TOKEN", "valueFrom": "arn:token-web"}]},
            {"name": "batch", "secrets": batch_secrets},
        ]})
        .to_string()
    }

    fn batch_token() -> Value {
        json!([{"name": "ROLEHOP_TOKEN", "valueFrom": "arn:token-batch"}])
    }

    fn report(text: &str, trusts: &[(String, File)]) -> Vec<(Status, String)> {
        task_definition("td.json", text, trusts, false)
            .into_iter()
            .map(|f| (f.status, f.message))
            .collect()
    }

    fn status_of<'a>(r: &'a [(Status, String)], profile: &str) -> &'a (Status, String) {
        r.iter()
            .find(|(_, m)| m.contains(&format!("profile {profile} (")))
            .unwrap_or_else(|| panic!("{profile}: {r:?}"))
    }

    #[test]
    fn a_profile_without_an_external_id_only_rolehop_holds_fails_and_says_why() {
        let r = report(&td(&config(""), batch_token()), &[]);
        let (status, message) = status_of(&r, "web");
        assert_eq!(*status, Status::Fail, "{r:?}");
        assert!(
            message.contains("every app container can assume it itself"),
            "{message}"
        );
        assert!(message.contains("169.254.170.2"), "{message}");
        assert!(
            message.contains("its profile passes no external id"),
            "{message}"
        );
        assert_eq!(status_of(&r, "batch").0, Status::Pass, "{r:?}");

        // Held by rolehop only: pass.
        let guarded = config("rolehop_external_id_env = ROLEHOP_EXTERNAL_ID_WEB");
        let r = report(&td(&guarded, batch_token()), &[]);
        assert!(r.iter().all(|(s, _)| *s == Status::Pass), "{r:?}");
        assert!(
            status_of(&r, "web")
                .1
                .contains("only rolehop can assume it"),
            "{r:?}"
        );

        // batch's container also gets web's external id: web is open to it.
        let leaked = json!([{"name": "ROLEHOP_TOKEN", "valueFrom": "arn:token-batch"},
                            {"name": "X", "valueFrom": "arn:id-web"}]);
        let r = report(&td(&guarded, leaked), &[]);
        let (status, message) = status_of(&r, "web");
        assert_eq!(*status, Status::Fail, "{r:?}");
        assert!(
            message.contains("is also given to container batch"),
            "{message}"
        );
    }

    #[test]
    fn an_external_id_in_the_text_warns_without_its_value() {
        let r = report(
            &td(&config("external_id = Partner-7-secret"), batch_token()),
            &[],
        );
        let (status, message) = status_of(&r, "web");
        assert_eq!(*status, Status::Warn, "{r:?}");
        assert!(
            message.contains("written in ROLEHOP_CONFIG_TEXT"),
            "{message}"
        );
        assert!(
            r.iter().all(|(_, m)| !m.contains("Partner-7-secret")),
            "{r:?}"
        );
    }

    #[test]
    fn the_trust_policy_when_given_decides_and_chains_inherit_their_source() {
        let guarded = config("rolehop_external_id_env = ROLEHOP_EXTERNAL_ID_WEB");
        let open_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": TASK}, "Action": "sts:AssumeRole"}]}).to_string();
        let r = report(
            &td(&guarded, batch_token()),
            &[(ORDERS.into(), ("trust.json".into(), open_trust.clone()))],
        );
        let (status, message) = status_of(&r, "web");
        assert_eq!(*status, Status::Fail, "{r:?}");
        assert!(message.contains("its trust policy trust.json lets arn:aws:iam::111122223333:role/task assume it without an external id"), "{message}");

        let with_id = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": TASK}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "abcdef0123"}}}]}).to_string();
        let r = report(
            &td(&guarded, batch_token()),
            &[(ORDERS.into(), ("trust.json".into(), with_id.clone()))],
        );
        assert_eq!(status_of(&r, "web").0, Status::Pass, "{r:?}");
        assert!(r.iter().all(|(_, m)| !m.contains("abcdef0123")), "{r:?}");

        // setup's placeholder on a role: anybody can read it.
        let placeholder = with_id.replace(
            "abcdef0123",
            &format!("{}rolehop/token-web-external-id", EXTERNAL_ID_PLACEHOLDER),
        );
        let r = report(
            &td(&guarded, batch_token()),
            &[(ORDERS.into(), ("trust.json".into(), placeholder.clone()))],
        );
        assert_eq!(status_of(&r, "web").0, Status::Fail, "{r:?}");
        assert!(status_of(&r, "web").1.contains("placeholder"), "{r:?}");
        let setup_files = task_definition(
            "td.json",
            &td(&guarded, batch_token()),
            &[(ORDERS.into(), ("trust.json".into(), placeholder))],
            true,
        );
        assert!(
            setup_files.iter().all(|f| f.status == Status::Pass),
            "{setup_files:?}"
        );

        // A profile chained from an open one, itself without an external id: open too; from
        // a guarded one: not reachable.
        let chained = format!(
            "{}\n[profile ledger]\nrole_arn = arn:aws:iam::999988887777:role/ledger\nsource_profile = web\n",
            config("")
        );
        let r = report(&td(&chained, batch_token()), &[]);
        let (status, message) = status_of(&r, "ledger");
        assert_eq!(*status, Status::Fail, "{r:?}");
        assert!(
            message.contains("through profiles web -> ledger"),
            "{message}"
        );
        let chained = chained.replace("source_profile = web", "source_profile = batch");
        let r = report(&td(&chained, batch_token()), &[]);
        assert_eq!(status_of(&r, "ledger").0, Status::Pass, "{r:?}");
    }

    #[test]
    fn nothing_is_said_without_clients() {
        let single = config("").replace("[client", "[other");
        assert!(report(&td(&single, batch_token()), &[]).is_empty());
        assert!(report("not json", &[]).is_empty());
    }
}
