//! Logs go to stderr through `tracing`: JSON lines by default (container log drivers), text on
//! request. `ROLEHOP_LOG` sets the filter (default: rolehop at info, dependencies at warn).
//! Nothing logged anywhere in rolehop carries a secret key, session token or auth token.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub const ENV_LOG: &str = "ROLEHOP_LOG";
const DEFAULT_FILTER: &str = "warn,rolehop=info";
/// Ceilings for dependencies whose most verbose levels print request bodies or signing
/// material (the AssumeRole form carries the ExternalId), whatever `ROLEHOP_LOG` asks for.
const CEILINGS: [&str; 6] = [
    "aws_smithy_runtime=debug",
    "aws_smithy_http_client=debug",
    "aws_sigv4=info",
    "aws_runtime=debug",
    "hyper=debug",
    "hyper_util=debug",
];

pub fn init(format: LogFormat) {
    let filter = std::env::var(ENV_LOG)
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let filter = CEILINGS.iter().fold(filter, |f, d| {
        f.add_directive(d.parse().expect("valid directive"))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
