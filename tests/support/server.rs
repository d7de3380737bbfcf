//! The loop the stand-ins (ECS agent, STS proxy) serve with: HTTP/1.1 on a bound loopback
//! listener, and a "down" switch that closes new and kept-alive connections alike.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves `listener` until the runtime ends: `handler(state, request)` answers, and while
/// `down(state)` holds every connection is closed without an answer.
pub fn spawn<S, D, F, Fut>(listener: TcpListener, state: Arc<S>, down: D, handler: F)
where
    S: Send + Sync + 'static,
    D: Fn(&S) -> bool + Copy + Send + Sync + 'static,
    F: Fn(Arc<S>, Request<Incoming>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            if down(&state) {
                drop(stream);
                continue;
            }
            let state = state.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move {
                        if down(&state) {
                            return Err(std::io::Error::other("down"));
                        }
                        Ok(handler(state, req).await)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
