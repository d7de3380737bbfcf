//! Grants computed over chains. A profile with `source_profile = P` is assumed with P's
//! credentials, so whoever holds P's credentials can make that AssumeRole call itself, without
//! rolehop, unless the chained role's trust policy requires something P's holder lacks: here,
//! the profile's `external_id`, which only rolehop's container holds. So a client granted P
//! effectively holds every profile reachable from P through chains without an external id, and
//! so does every local process when P is the IMDS listener's role. A profile reachable that way
//! but not granted is refused at start (and reported by `check`), with the ways out. A profile
//! marked `rolehop_imds_shared = true` counts as granted to every local process.

use super::{RoleConfig, RoleSource};
use crate::token::client_tokens::ClientConfig;

/// The profiles reachable from `held` through chains a source profile's credentials alone can
/// follow (no `external_id`), `held` excluded, in the roles' order.
pub fn reachable<'a>(roles: &'a [RoleConfig], held: &dyn Fn(&str) -> bool) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    // Roles come ordered so each follows its source: one pass sees every chain to its end.
    for role in roles {
        let RoleSource::Profile(source) = &role.source else {
            continue;
        };
        let source_held = held(source) || out.contains(&source.as_str());
        if source_held && role.external_id.is_none() && !held(&role.name) {
            out.push(&role.name);
        }
    }
    out
}

/// One sentence per profile a client or the IMDS listener reaches through a chain without
/// being granted it.
pub fn problems(
    roles: &[RoleConfig],
    clients: &[ClientConfig],
    imds_role: Option<&str>,
    imds_shared: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let fix = |name: &str| {
        format!(
            "give [profile {name}] an external_id that its role's trust policy requires (only rolehop's container holds it)"
        )
    };
    for client in clients {
        for name in reachable(roles, &|p| client.grant.allows(p)) {
            out.push(format!(
                "client {} can get profile {name} without being granted it: its chain starts at a profile the client is granted, and whoever holds that role's credentials can assume {name}'s role itself; grant {name} to client {} too, or {}",
                client.name,
                client.name,
                fix(name)
            ));
        }
    }
    if let Some(imds) = imds_role {
        // A profile marked rolehop_imds_shared is served to every local process on purpose.
        for name in reachable(roles, &|p| p == imds || imds_shared.iter().any(|s| s == p)) {
            out.push(format!(
                "the IMDS listener serves profile {imds} to every local process without a token, and profile {name} chains from it, so any local process can assume {name}'s role itself; give --imds-role a profile no chain starts from, or {}",
                fix(name)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::client_tokens::{ClientTokenSource, Grant};

    fn role(name: &str, source: Option<&str>, external_id: bool) -> RoleConfig {
        RoleConfig {
            name: name.into(),
            role_arn: format!("arn:aws:iam::555566667777:role/{name}")
                .parse()
                .unwrap(),
            external_id: external_id.then(|| crate::credentials::Secret::new("x".repeat(16))),
            session_name: None,
            duration_secs: 3600,
            options: Default::default(),
            source: match source {
                Some(p) => RoleSource::Profile(p.into()),
                None => RoleSource::Credentials(crate::source::SourceKind::EcsRelative),
            },
        }
    }

    fn client(name: &str, profiles: &[&str]) -> ClientConfig {
        ClientConfig {
            name: name.into(),
            token: ClientTokenSource::Env("T".into()),
            grant: Grant::Profiles(profiles.iter().map(|p| p.to_string()).collect()),
        }
    }

    #[test]
    fn a_grant_reaches_along_chains_without_an_external_id() {
        let roles = [
            role("hub", None, false),
            role("orders", Some("hub"), false),
            role("ledger", Some("orders"), false),
            role("vault", Some("hub"), true),
        ];
        assert_eq!(reachable(&roles, &|p| p == "hub"), ["orders", "ledger"]);
        assert_eq!(reachable(&roles, &|p| p == "orders"), ["ledger"]);
        assert!(reachable(&roles, &|p| p == "ledger").is_empty());
        let all_three = |p: &str| ["hub", "orders", "ledger"].contains(&p);
        assert!(reachable(&roles, &all_three).is_empty());

        let p = problems(&roles, &[client("web", &["hub", "orders"])], None, &[]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("client web can get profile ledger"),
            "{p:?}"
        );
        let p = problems(&roles, &[client("web", &["ledger"])], Some("hub"), &[]);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("profile orders chains from it"), "{p:?}");
        assert!(p[1].contains("--imds-role"), "{p:?}");
        assert!(problems(&roles, &[client("web", &["vault"])], Some("vault"), &[]).is_empty());
        let shared = ["orders".to_owned(), "ledger".to_owned()];
        assert!(problems(&roles, &[], Some("hub"), &shared).is_empty());
    }
}
