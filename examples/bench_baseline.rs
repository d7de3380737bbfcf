//! The practical ceiling for rolehop's credentials endpoint on this machine: a minimal hyper 1
//! HTTP/1.1 server on the same multi-threaded tokio runtime, answering every request with a fixed
//! body of the size rolehop's answer has. `benches/endpoint` loads both with the same tool and
//! reports rolehop as a ratio of this one.
//!
//! ```sh
//! cargo run --release --example bench_baseline -- 127.0.0.1:9990 1234
//! ```
//!
//! It prints `listening ADDR` once bound, and serves until killed.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_baseline ADDR BODY_BYTES";
    let addr: SocketAddr = args.next().ok_or(usage)?.parse()?;
    let size: usize = args.next().ok_or(usage)?.parse()?;
    let body = Bytes::from(vec![b'x'; size]);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(addr, body))
}

async fn serve(addr: SocketAddr, body: Bytes) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        let service = hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
            let mut response = Response::new(Full::new(body.clone()));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            async move { Ok::<_, Infallible>(response) }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
