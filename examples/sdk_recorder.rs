//! The recording endpoint tests/sdks.rs runs inside a network namespace of its own, to measure
//! what each AWS SDK asks for (see `tests/support/recorder.rs`). It listens on every address
//! given and prints one JSON line per request.
//!
//! ```sh
//! cargo run --example sdk_recorder -- 127.0.0.1:8080
//! ```

#[path = "../tests/support/recorder.rs"]
mod recorder;

fn main() {
    let addrs: Vec<String> = std::env::args().skip(1).collect();
    if addrs.is_empty() {
        eprintln!("usage: sdk_recorder ADDR:PORT...");
        std::process::exit(64);
    }
    if let Err(e) = recorder::run(&addrs) {
        eprintln!("sdk_recorder: {e}");
        std::process::exit(1);
    }
}
