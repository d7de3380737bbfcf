//! The ECS container-credentials route (REFERENCE 2): `GET /v1/credentials` serves the
//! `default` role, `GET /v1/credentials/{role}` a named one. The `Authorization` header must
//! carry rolehop's token: 401 when missing, 403 when wrong (compared in constant time).

use hyper::{Method, Request, Response, StatusCode};

use super::{App, Body, error, json, method_not_allowed};
use crate::role_name::DEFAULT_ROLE;

pub const ROUTE: &str = "/v1/credentials";
pub const ROLE_ROUTE_PREFIX: &str = "/v1/credentials/";

pub async fn handle<B>(app: &App, req: &Request<B>) -> Response<Body> {
    if req.method() != Method::GET {
        return method_not_allowed();
    }
    match req.headers().get(hyper::header::AUTHORIZATION) {
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "MissingToken",
                "send rolehop's token in the Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE)",
            );
        }
        Some(presented) if !app.token.matches(presented.as_bytes()) => {
            return error(
                StatusCode::FORBIDDEN,
                "InvalidToken",
                "the Authorization header does not match rolehop's token; check the client's token file or variable",
            );
        }
        Some(_) => {}
    }
    let mut response = role(app, req).await;
    response.extensions_mut().insert(Authorized);
    response
}

/// Marks an answer to a request that carried the right token.
#[derive(Debug, Clone, Copy)]
pub struct Authorized;

async fn role<B>(app: &App, req: &Request<B>) -> Response<Body> {
    let path = req.uri().path();
    let name = path.strip_prefix(ROLE_ROUTE_PREFIX).unwrap_or(DEFAULT_ROLE);
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
