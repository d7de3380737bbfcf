//! Logs go to stderr through `tracing`: human lines on a terminal, JSON lines otherwise (container
//! log drivers), or either by `--log-format`. `ROLEHOP_LOG` sets the filter (default: rolehop at info, every dependency at warn).
//! Nothing logged anywhere in rolehop carries a secret key, session token or auth token.
//!
//! Whatever `ROLEHOP_LOG` says, a dependency never logs above warn: the AWS SDK's debug lines
//! print the source credential's access key id and the AssumeRole form (with the ExternalId),
//! hyper's print request heads. The cap is a second filter every event must also pass, so no
//! directive can lift it.

use std::io::IsTerminal;

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

use crate::cli::LogFormat;

pub const ENV_LOG: &str = "ROLEHOP_LOG";
const DEFAULT_FILTER: &str = "warn,rolehop=info";
/// The most verbose level any target outside rolehop may log at.
const DEPENDENCY_CEILING: Level = Level::WARN;

/// True for events and spans of rolehop's own modules.
fn is_rolehop(target: &str) -> bool {
    target == "rolehop" || target.starts_with("rolehop::")
}

/// The format `format` means when stderr is (or is not) a terminal: `auto` is text for a person
/// at a terminal, JSON for a log driver.
pub fn resolve(format: LogFormat, terminal: bool) -> LogFormat {
    match format {
        LogFormat::Auto if terminal => LogFormat::Text,
        LogFormat::Auto => LogFormat::Json,
        chosen => chosen,
    }
}

pub fn init(format: LogFormat) {
    let filter = std::env::var(ENV_LOG)
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let cap = filter_fn(|meta| is_rolehop(meta.target()) || *meta.level() <= DEPENDENCY_CEILING);
    let filter = filter.and(cap);
    let ansi = std::io::stderr().is_terminal();
    let layer = fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let layer = match resolve(format, ansi) {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        _ => layer.json().flatten_event(true).with_filter(filter).boxed(),
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rolehop_targets_are_rolehop() {
        assert!(is_rolehop("rolehop"));
        assert!(is_rolehop("rolehop::serve"));
        assert!(!is_rolehop("rolehop_fake::x"));
        assert!(!is_rolehop("aws_smithy_runtime::client"));
        assert!(Level::DEBUG > DEPENDENCY_CEILING && Level::ERROR < DEPENDENCY_CEILING);
    }

    #[test]
    fn auto_is_text_on_a_terminal_and_json_otherwise_and_a_choice_is_kept() {
        assert_eq!(resolve(LogFormat::Auto, true), LogFormat::Text);
        assert_eq!(resolve(LogFormat::Auto, false), LogFormat::Json);
        assert_eq!(resolve(LogFormat::Json, true), LogFormat::Json);
        assert_eq!(resolve(LogFormat::Text, false), LogFormat::Text);
    }
}
