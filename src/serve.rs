//! The HTTP/1.1 listener: connection limits and timeouts ([`connections`]), loopback-only peers
//! unless allowed, routing, refusals logged ([`throttle`]), and graceful shutdown.
//!
//! Three kinds of listener share one [`App`]: the credentials listener (`/v1/credentials[/{role}]`,
//! ECS JSON, token required, [`ecs`]; `/healthz`, `/readyz` and `/metrics`, no token, no secrets,
//! only for a `Host` that is an address, [`health`], [`crate::metrics`]; errors as ECS-style JSON
//! `{"code","message"}`), the optional IMDS listener ([`imds`]) and the optional metrics listener
//! (`/metrics` and `/healthz` only, any `Host`, for a scraper that must not reach the credentials).

pub mod connections;
pub mod ecs;
pub mod health;
pub mod imds;
pub mod throttle;

pub use imds::Imds;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cache::Cell;
use crate::metrics::{self, Requests, Route};
use crate::token::Auth;
use connections::{Table, WriteTimeout};
use throttle::Throttle;

pub use connections::MAX_CONNECTIONS;
/// A client must send its whole request head within this time.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest request head accepted (hyper answers 431 beyond it).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

pub type Body = Full<Bytes>;

/// What the handlers share.
#[derive(Debug)]
pub struct App {
    /// Served roles by name.
    pub roles: BTreeMap<String, Arc<Cell>>,
    pub token: Auth,
    pub allow_remote: bool,
    /// The IMDS listener's settings, when one is configured.
    pub imds: Option<Imds>,
    /// The source cells the roles chain from, for `/metrics`.
    pub sources: Vec<Arc<Cell>>,
    /// Answers given, for `/metrics`.
    pub requests: Requests,
}

/// Which routes a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Credentials,
    Imds,
    /// `/metrics` and `/healthz` only, from any peer that can reach the address: nothing there
    /// is secret, and a scraper usually runs elsewhere.
    Metrics,
}

impl App {
    /// Answers one request from `peer`. No route reads a body, so any body type will do: the
    /// fuzz targets drive this directly, without a socket.
    pub async fn handle<B>(&self, req: Request<B>, peer: SocketAddr, kind: Kind) -> Response<Body> {
        let (route, response) = self.route(&req, peer, kind).await;
        self.requests.record(route, response.status().as_u16());
        let client = response
            .extensions()
            .get::<ecs::ClientName>()
            .map(|c| &*c.0);
        if let Some(Refusal(reason)) = response.extensions().get::<Refusal>() {
            log_refusal(route, reason, response.status(), peer, client);
        }
        tracing::debug!(method = %req.method(), path = %truncate(req.uri().path(), 128), status = response.status().as_u16(), ?kind, client, "request");
        response
    }

    async fn route<B>(
        &self,
        req: &Request<B>,
        peer: SocketAddr,
        kind: Kind,
    ) -> (Route, Response<Body>) {
        let path = req.uri().path();
        let route = match kind {
            Kind::Credentials => match path {
                ecs::ROUTE => Route::Credentials,
                _ if path.starts_with(ecs::ROLE_ROUTE_PREFIX) => Route::CredentialsRole,
                "/healthz" => Route::Healthz,
                "/readyz" => Route::Readyz,
                "/metrics" => Route::Metrics,
                _ => Route::CredentialsOther,
            },
            Kind::Imds => match path {
                imds::TOKEN_PATH => Route::ImdsToken,
                _ if path.starts_with(imds::CREDENTIALS_PATH.trim_end_matches('/')) => {
                    Route::ImdsCredentials
                }
                _ => Route::ImdsOther,
            },
            Kind::Metrics => match path {
                "/metrics" => Route::Metrics,
                "/healthz" => Route::Healthz,
                _ => Route::MetricsOther,
            },
        };
        if !self.remote_allowed(kind) && !is_loopback(peer) {
            return (
                route,
                error(
                    StatusCode::FORBIDDEN,
                    "RemoteClientRefused",
                    "rolehop answers only clients on this host's loopback; start it with --allow-remote to serve others",
                ),
            );
        }
        let response = match (kind, route) {
            (Kind::Imds, _) => match &self.imds {
                Some(imds) => Box::pin(imds::handle(self, imds, req)).await,
                None => error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "no IMDS endpoint is configured",
                ),
            },
            (_, Route::Credentials | Route::CredentialsRole) => ecs::handle(self, req).await,
            // A web page in the task could rebind its DNS name to loopback and read these: the
            // IMDS listener's Host rule. The metrics listener is for scrapers and stays open.
            (Kind::Credentials, Route::Healthz | Route::Readyz | Route::Metrics)
                if !imds::host_is_an_address(req) =>
            {
                error(
                    StatusCode::FORBIDDEN,
                    "HostRefused",
                    "the Host header must name this listener by IP address or localhost; a scraper should use --metrics-listen",
                )
            }
            (_, Route::Healthz) => only_get(req, health::healthz),
            (_, Route::Readyz) => only_get(req, || health::readyz(self)),
            (_, Route::Metrics) => only_get(req, || self.metrics()),
            (Kind::Metrics, _) => error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "no such path; this listener serves /metrics and /healthz",
            ),
            _ => error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "no such path; credentials are at /v1/credentials",
            ),
        };
        (route, response)
    }

    /// Whether `kind`'s listener serves peers beyond loopback. IMDS has no secret to ask for
    /// (anyone may PUT for a token), so it is loopback only, whatever --allow-remote says. The
    /// metrics listener has nothing secret at all.
    fn remote_allowed(&self, kind: Kind) -> bool {
        match kind {
            Kind::Credentials => self.allow_remote,
            Kind::Imds => false,
            Kind::Metrics => true,
        }
    }

    /// The Prometheus exposition of every cell and request counter.
    fn metrics(&self) -> Response<Body> {
        let cells = self.sources.iter().chain(self.roles.values()).map(|c| &**c);
        let mut text = metrics::render(cells, &self.requests);
        if let crate::token::Auth::Clients(clients) = &self.token {
            metrics::render_clients(&mut text, clients);
        }
        let mut response = Response::new(Full::new(Bytes::from(text)));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        );
        response
    }
}

fn only_get<B>(req: &Request<B>, handler: impl FnOnce() -> Response<Body>) -> Response<Body> {
    if req.method() == hyper::Method::GET {
        handler()
    } else {
        method_not_allowed()
    }
}

pub(crate) fn method_not_allowed() -> Response<Body> {
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "only GET is supported on this path",
    );
    r.headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static("GET"));
    r
}

fn is_loopback(peer: SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A JSON response that must not be cached by anything in between.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An ECS-style error body: `{"code": ..., "message": ...}`. A 401, 403 or 404 carries its
/// code as the [`Refusal`] reason.
pub(crate) fn error(status: StatusCode, code: &'static str, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "code": code, "message": message });
    let response = json(status, body.to_string().into_bytes());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
            refused(response, code)
        }
        _ => response,
    }
}

/// Why a request was refused, attached to its response for [`App::handle`] to log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal(pub &'static str);

pub(crate) fn refused(mut response: Response<Body>, reason: &'static str) -> Response<Body> {
    response.extensions_mut().insert(Refusal(reason));
    response
}

/// Refusals an operator needs to see to tell why a client fails: every 401 and 403, and a 404
/// on the credentials route (an unknown role name). Never the token the client sent.
fn log_refusal(
    route: Route,
    reason: &'static str,
    status: StatusCode,
    peer: SocketAddr,
    client: Option<&str>,
) {
    // Per client too (at most 64): one client's refusals must not hide another's.
    static REFUSALS: Throttle<(usize, &'static str, Option<String>)> =
        Throttle::new(throttle::INTERVAL);
    let logged = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => true,
        StatusCode::NOT_FOUND => matches!(route, Route::Credentials | Route::CredentialsRole),
        _ => false,
    };
    if !logged {
        return;
    }
    if let Some(count) = REFUSALS.hit((route as usize, reason, client.map(str::to_owned))) {
        tracing::warn!(
            route = ?route,
            reason,
            status = status.as_u16(),
            peer = %peer.ip(),
            client,
            count,
            interval_secs = throttle::INTERVAL.as_secs(),
            "refused a request"
        );
    }
}

/// The HTTP/1 settings of every listener: the head size limit and the time to send a head
/// (also the keep-alive idle limit).
pub fn http1_builder() -> hyper::server::conn::http1::Builder {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES);
    http
}

/// Serves `listener` until `shutdown` resolves, then lets in-flight requests finish for up to
/// `grace`. Takes a bound listener so callers (and tests) choose the port. Connection limits
/// and timeouts: [`connections`].
pub async fn run(
    listener: TcpListener,
    app: Arc<App>,
    kind: Kind,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let http = http1_builder();
    let mut refusing_http = http1_builder();
    refusing_http
        .keep_alive(false)
        .header_read_timeout(connections::REFUSING_HEAD_TIMEOUT);
    let table = Arc::new(Table::default());
    let refusing = Arc::new(Semaphore::new(connections::MAX_REFUSING));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if connections::out_of_descriptors(&e) && table.make_room() => {
                    connections::warn_throttled("out of file descriptors; closed the oldest idle connection without the token", None);
                    tokio::task::yield_now().await;
                    continue;
                }
                Err(e) => {
                    // Usually EMFILE with every connection busy: back off instead of spinning.
                    connections::warn_throttled("accept failed", Some(&e));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // No network hops: a packet to anyone beyond the local link dies on the way.
        let _ = stream.set_ttl(1);
        let _ = stream.set_nodelay(true);
        if !app.remote_allowed(kind) && !is_loopback(peer) {
            // Refused peers never take a place in the table: a short connection answers 403.
            let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() else {
                connections::warn_throttled(
                    "too many refused peers at once; closed a new connection from beyond loopback",
                    None,
                );
                continue;
            };
            let app = Arc::clone(&app);
            let service = hyper::service::service_fn(move |req| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(app.handle(req, peer, kind).await) }
            });
            let io = TokioIo::new(WriteTimeout::new(stream, connections::WRITE_TIMEOUT));
            let connection = refusing_http.serve_connection(io, service);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(connections::WRITE_TIMEOUT, connection).await;
                drop(permit);
            });
            continue;
        }
        let Some(place) = table.admit() else {
            continue;
        };
        let listening = Listening {
            app: Arc::clone(&app),
            kind,
            http: http.clone(),
            stop: stop.clone(),
        };
        tokio::spawn(serve_connection(listening, stream, peer, place));
    }
    drop(listener);
    tracing::info!(
        grace_secs = grace.as_secs(),
        "stopped accepting; finishing in-flight requests"
    );
    let _ = stop_tx.send(true);
    tokio::select! {
        () = table.drained() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
}

/// What every connection of one listener shares: the app, the listener's kind, its HTTP/1
/// settings and the signal that it stops.
struct Listening {
    app: Arc<App>,
    kind: Kind,
    http: hyper::server::conn::http1::Builder,
    stop: tokio::sync::watch::Receiver<bool>,
}

/// Serves one admitted connection until it ends, is evicted, outlives its lifetime (see
/// [`connections`]) or the listener stops (gracefully: the request in hand is answered first).
async fn serve_connection(
    listening: Listening,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    place: connections::Place,
) {
    let Listening {
        app,
        kind,
        http,
        mut stop,
    } = listening;
    let conn = Arc::clone(&place.conn);
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let (app, conn) = (Arc::clone(&app), Arc::clone(&conn));
        async move {
            let (_busy, number) = conn.begin();
            let mut response = app.handle(req, peer, kind).await;
            if response.extensions().get::<ecs::Authorized>().is_some() {
                conn.trust();
            }
            if conn.closes_after(number) {
                response
                    .headers_mut()
                    .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response)
        }
    });
    let io = TokioIo::new(WriteTimeout::new(stream, connections::WRITE_TIMEOUT));
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let deadline = tokio::time::sleep(connections::LIFETIME);
    tokio::pin!(deadline);
    let (mut expired, mut closing) = (false, false);
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            () = place.conn.evicted() => break,
            () = &mut deadline => {
                if expired {
                    break;
                }
                place.conn.expire();
                expired = true;
                deadline.as_mut().reset(tokio::time::Instant::now() + connections::CLOSE_GRACE);
            }
            _ = stop.wait_for(|stop| *stop), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
    drop(place);
}
