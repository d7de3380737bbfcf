//! The ECS container-credentials route (REFERENCE 2): `GET /v1/credentials` serves the
//! `default` role, `GET /v1/credentials/{role}` a named one. The `Authorization` header must
//! carry rolehop's token: 401 when missing (naming, from the client table, the clients that
//! send none when given only the token file or only the variable), 403 when wrong (compared in
//! constant time).
//!
//! With `[client]` sections the header must carry a client's token instead: that client is
//! served only its granted profiles (`/v1/credentials` alone is its first one), and any other
//! gets 403 naming the client and the profile.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use hyper::{Method, Request, Response, StatusCode};

use super::{App, Body, error, json, method_not_allowed};
use crate::role_name::{DEFAULT_ROLE, is_servable};
use crate::token::Auth;
use crate::token::client_tokens::Client;

/// The 401's message, built once from the client table: which clients send no token when.
static MISSING_TOKEN: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(crate::sdk::missing_token_message);

pub const ROUTE: &str = "/v1/credentials";
pub const ROLE_ROUTE_PREFIX: &str = "/v1/credentials/";

pub async fn handle<B>(app: &App, req: &Request<B>) -> Response<Body> {
    if req.method() != Method::GET {
        return method_not_allowed();
    }
    let Some(presented) = req.headers().get(hyper::header::AUTHORIZATION) else {
        return error(StatusCode::UNAUTHORIZED, "MissingToken", &MISSING_TOKEN);
    };
    let client = match &app.token {
        Auth::Token(token) if token.matches(presented.as_bytes()) => None,
        Auth::Clients(clients) if let Some(client) = clients.find(presented.as_bytes()) => {
            Some(client)
        }
        Auth::Token(_) => {
            return error(
                StatusCode::FORBIDDEN,
                "InvalidToken",
                "the Authorization header does not match rolehop's token; check the client's token file or variable",
            );
        }
        Auth::Clients(_) => {
            return error(
                StatusCode::FORBIDDEN,
                "InvalidToken",
                "the Authorization header matches no client's token; check the container's token file or variable against its [client] section",
            );
        }
    };
    let path = req.uri().path();
    let name = match (path.strip_prefix(ROLE_ROUTE_PREFIX), client) {
        (Some(name), _) => name,
        (None, Some(client)) => client.grant.first(),
        (None, None) => DEFAULT_ROLE,
    };
    let mut response = match client {
        Some(client) if !client.grant.allows(name) => not_granted(client, name),
        _ => role(app, name).await,
    };
    if let Some(client) = client {
        if response.status() == StatusCode::OK {
            client.served.fetch_add(1, Relaxed);
        }
        response
            .extensions_mut()
            .insert(ClientName(Arc::from(client.name.as_str())));
    }
    response.extensions_mut().insert(Authorized);
    response
}

/// The client a request's token belongs to, for the log line of its answer.
#[derive(Debug, Clone)]
pub struct ClientName(pub Arc<str>);

fn not_granted(client: &Client, profile: &str) -> Response<Body> {
    client.refused.fetch_add(1, Relaxed);
    // The name comes from the request path: echoed only when it could be a profile's.
    let shown = if is_servable(profile) {
        profile
    } else {
        "(not a profile name)"
    };
    error(
        StatusCode::FORBIDDEN,
        "ProfileNotGranted",
        &format!(
            "client {} is not granted profile {shown}; grant it in the client's profiles in rolehop's config, or ask for a profile the client is granted",
            client.name
        ),
    )
}

/// Marks an answer to a request that carried the right token.
#[derive(Debug, Clone, Copy)]
pub struct Authorized;

async fn role(app: &App, name: &str) -> Response<Body> {
    let Some(cell) = app.roles.get(name) else {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownRole",
            "no role of that name is configured; list the names in rolehop's configuration",
        );
    };
    if let Some(body) = cell.rendered_now() {
        return json(StatusCode::OK, body);
    }
    // Boxed: the waiting path's state stays out of every request's future.
    match Box::pin(cell.get_rendered()).await {
        Ok(body) => json(StatusCode::OK, body),
        Err(why) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "CredentialsUnavailable",
            &why.to_string(),
        ),
    }
}
