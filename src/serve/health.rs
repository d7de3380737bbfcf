//! `/healthz` (the process answers) and `/readyz` (every served role holds a credential with
//! more than the serving minimum left). Neither needs the token; neither reveals a secret.

use hyper::{Response, StatusCode};

use super::{App, Body, json};
use crate::cache::Unavailable;

pub fn healthz() -> Response<Body> {
    json(StatusCode::OK, br#"{"status":"ok"}"#.to_vec())
}

/// No STS text here: it names accounts, roles and endpoints, and this route (like IMDS, whose
/// tokens are free to get) needs no rolehop token.
pub(crate) fn summary(why: &Unavailable) -> &'static str {
    match why {
        Unavailable::Failed { .. } => {
            "the last refresh failed; rolehop's log and /v1/credentials say why"
        }
        Unavailable::Waiting { .. } => "waiting for the first refresh",
    }
}

pub fn readyz(app: &App) -> Response<Body> {
    let waiting: serde_json::Map<String, serde_json::Value> = app
        .roles
        .iter()
        .filter_map(|(name, cell)| {
            cell.unready_reason()
                .map(|why| (name.clone(), summary(&why).into()))
        })
        .collect();
    if waiting.is_empty() {
        json(StatusCode::OK, br#"{"status":"ready"}"#.to_vec())
    } else {
        let body = serde_json::json!({ "status": "not ready", "roles": waiting });
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            body.to_string().into_bytes(),
        )
    }
}
