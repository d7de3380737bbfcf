//! `rolehop check --task-definition` for per-container roles: which app container can get which
//! role. The `[client NAME]` sections of the rolehop container's `ROLEHOP_CONFIG_TEXT` grant
//! each client's token (`token_env = VAR`, one of rolehop's `secrets`; or `token_file`) a list
//! of profiles (`profiles = a, b` or `*`). An app container holds a client's token when one of
//! its `secrets` reads the same Secrets Manager value as rolehop's `VAR`. A container holding
//! two clients' tokens, a token held by two containers, and a container named after one client
//! holding another's all fail: each is a container given another container's token. Nothing
//! is reported for a task without `[client]` sections (one shared token, as before).
//!
//! The sections are read as `serve` reads them (`config::file::client_sections`), without the
//! tokens; the full config (roles, chains, token sources) is checked where `serve` reads it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::container_def::{self, plain_env, secrets};
use super::findings::{Finding, FindingId, Status};
use crate::config::file::{ClientSection as Client, client_sections};

const ID: FindingId = FindingId::EcsClientRoles;

fn granted(client: &Client) -> String {
    match client.profiles.as_slice() {
        [] => "no profile".to_owned(),
        [all] if all == "*" => "every profile".to_owned(),
        list => list.join(", "),
    }
}

/// A config text that does not parse: `serve` refuses to start, and no client can be checked.
fn unparsable(file: &str, rolehop_name: &str) -> Finding {
    Finding::new(
        ID,
        Status::Fail,
        format!(
            "{file}: {rolehop_name}'s ROLEHOP_CONFIG_TEXT is not valid config file syntax, so rolehop will not start and its clients cannot be checked; `rolehop serve --config FILE` with the text in FILE names the line to fix"
        ),
    )
}

/// The per-container findings for a task definition's text (already known to be JSON or not).
pub fn task_definition(file: &str, text: &str) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports invalid JSON.
    };
    let containers = container_def::containers(&td);
    let Some((rolehop, config)) = container_def::rolehop_with_config(&containers) else {
        return Vec::new();
    };
    let rolehop_name = rolehop["name"].as_str().unwrap_or("rolehop");
    let Some(clients) = client_sections(config) else {
        return vec![unparsable(file, rolehop_name)];
    };
    if clients.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let source_of = token_sources(file, rolehop, rolehop_name, &clients, &mut out);
    let apps = container_def::apps(&containers, rolehop);
    for app in &apps {
        out.push(holder_finding(file, app, &apps, &clients, &source_of));
    }
    out
}

/// Each client's token as the Secrets Manager value rolehop reads it from; a client whose token
/// comes from nowhere an app container's secret can match is a finding in `out`.
fn token_sources<'a>(
    file: &str,
    rolehop: &'a Value,
    rolehop_name: &str,
    clients: &'a [Client],
    out: &mut Vec<Finding>,
) -> Vec<(&'a Client, &'a str)> {
    let rolehop_secrets: BTreeMap<&str, &str> = secrets(rolehop).into_iter().collect();
    let mut source_of = Vec::new();
    for client in clients {
        match (&client.token_env, &client.token_file) {
            (Some(var), _) => match rolehop_secrets.get(var.as_str()) {
                Some(source) => source_of.push((client, *source)),
                None if plain_env(rolehop, var).is_some() => out.push(Finding::new(
                    ID,
                    Status::Fail,
                    format!("{file}: client {}'s token {var} is in {rolehop_name}'s plain environment; move it to `secrets` (a Secrets Manager secret)", client.name),
                )),
                None => out.push(Finding::new(
                    ID,
                    Status::Fail,
                    format!("{file}: client {}'s token_env {var} is not among {rolehop_name}'s secrets; add {{\"name\": \"{var}\", \"valueFrom\": \"<the client's secret>\"}}", client.name),
                )),
            },
            (None, Some(path)) => out.push(Finding::new(
                ID,
                Status::Warn,
                format!("{file}: client {} reads its token from {path}; which container holds that file is not visible in a task definition, so check it by hand", client.name),
            )),
            (None, None) => out.push(Finding::new(
                ID,
                Status::Fail,
                format!("{file}: client {} has neither token_env nor token_file; add token_env = VAR (one of {rolehop_name}'s secrets)", client.name),
            )),
        }
    }
    source_of
}

/// The clients whose token `app` holds: one of its secrets reads the client's source.
fn held_by<'a>(app: &Value, source_of: &[(&'a Client, &str)]) -> Vec<&'a Client> {
    let theirs = secrets(app);
    source_of
        .iter()
        .filter(|(_, source)| theirs.iter().any(|(_, from)| from == source))
        .map(|(client, _)| *client)
        .collect()
}

/// Which client's token app container `app` holds, and whether that is its own alone.
fn holder_finding(
    file: &str,
    app: &Value,
    apps: &[&Value],
    clients: &[Client],
    source_of: &[(&Client, &str)],
) -> Finding {
    let name = app["name"].as_str().unwrap_or("?");
    match held_by(app, source_of).as_slice() {
        [] => Finding::new(
            ID,
            Status::Pass,
            format!("{file}: container {name} holds no client token and gets no role from rolehop"),
        ),
        [client] => {
            let named_for_other = clients
                .iter()
                .any(|c| c.name == name && c.name != client.name);
            let shared: Vec<&str> = apps
                .iter()
                .filter(|other| other["name"] != app["name"])
                .filter(|other| {
                    held_by(other, source_of)
                        .iter()
                        .any(|c| c.name == client.name)
                })
                .filter_map(|other| other["name"].as_str())
                .collect();
            if named_for_other {
                Finding::new(
                    ID,
                    Status::Fail,
                    format!(
                        "{file}: container {name} is given client {}'s token, not its own client {name}'s; give it the secret of token_env for client {name}",
                        client.name
                    ),
                )
            } else if !shared.is_empty() && client.name != name {
                Finding::new(
                    ID,
                    Status::Fail,
                    format!(
                        "{file}: container {name} is given client {}'s token, which container {} also holds; give each container its own client and secret",
                        client.name,
                        shared.join(", ")
                    ),
                )
            } else {
                Finding::new(
                    ID,
                    Status::Pass,
                    format!(
                        "{file}: container {name} can get {} (client {})",
                        granted(client),
                        client.name
                    ),
                )
            }
        }
        several => Finding::new(
            ID,
            Status::Fail,
            format!(
                "{file}: container {name} holds the tokens of clients {}, so it can get all their roles; give it only its own client's secret",
                several
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[profile orders]\nrole_arn = arn:aws:iam::555566667777:role/orders\n\n[client web]\ntoken_env = ROLEHOP_TOKEN_WEB      # an ECS `secrets` entry\nprofiles = orders\n\n[client batch]\ntoken_env = ROLEHOP_TOKEN_BATCH\nprofiles = reports, audit\n";

    fn td(web_secret: &str, batch_secrets: &[&str]) -> String {
        let batch: Vec<Value> = batch_secrets
            .iter()
            .map(|s| serde_json::json!({"name": "ROLEHOP_TOKEN", "valueFrom": s}))
            .collect();
        serde_json::json!({"containerDefinitions": [
            {"name": "rolehop",
             "environment": [{"name": "ROLEHOP_CONFIG_TEXT", "value": CONFIG}],
             "secrets": [{"name": "ROLEHOP_TOKEN_WEB", "valueFrom": "arn:web"},
                         {"name": "ROLEHOP_TOKEN_BATCH", "valueFrom": "arn:batch"}]},
            {"name": "web", "secrets": [{"name": "ROLEHOP_TOKEN", "valueFrom": web_secret}]},
            {"name": "batch", "secrets": batch},
        ]})
        .to_string()
    }

    fn report(text: &str) -> Vec<(Status, String)> {
        task_definition("td.json", text)
            .into_iter()
            .map(|f| (f.status, f.message))
            .collect()
    }

    #[test]
    fn each_container_is_reported_with_its_own_roles() {
        let r = report(&td("arn:web", &["arn:batch"]));
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].0, Status::Pass);
        assert!(
            r[0].1
                .ends_with("container web can get orders (client web)"),
            "{r:?}"
        );
        assert!(
            r[1].1
                .ends_with("container batch can get reports, audit (client batch)"),
            "{r:?}"
        );
    }

    #[test]
    fn another_containers_token_fails() {
        let r = report(&td("arn:web", &["arn:web"]));
        assert_eq!(r[0].0, Status::Pass, "{r:?}");
        assert_eq!(r[1].0, Status::Fail, "{r:?}");
        assert!(
            r[1].1
                .contains("container batch is given client web's token"),
            "{r:?}"
        );

        let r = report(&td("arn:batch", &["arn:batch"]));
        assert_eq!(r[0].0, Status::Fail, "{r:?}");
        assert!(
            r[0].1
                .contains("container web is given client batch's token"),
            "{r:?}"
        );

        let r = report(&td("arn:web", &["arn:batch", "arn:web"]));
        assert_eq!(r[1].0, Status::Fail, "{r:?}");
        assert!(r[1].1.contains("clients web and batch"), "{r:?}");
    }

    #[test]
    fn tokens_rolehop_does_not_read_from_a_secret_fail_and_no_clients_say_nothing() {
        let text = td("arn:web", &["arn:batch"]).replace("ROLEHOP_TOKEN_BATCH\",", "OTHER\",");
        let r = report(&text);
        assert!(
            r.iter().any(|(s, m)| *s == Status::Fail
                && m.contains("token_env ROLEHOP_TOKEN_BATCH is not among rolehop's secrets")),
            "{r:?}"
        );
        let single = td("arn:web", &[]).replace("[client", "[other");
        assert!(report(&single).is_empty());
        assert!(report("not json").is_empty());
    }

    #[test]
    fn a_config_text_that_does_not_parse_fails() {
        let broken = td("arn:web", &["arn:batch"]).replace("[client batch]", "[client batch");
        let r = report(&broken);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, Status::Fail, "{r:?}");
        assert!(r[0].1.contains("not valid config file syntax"), "{r:?}");
    }
}
