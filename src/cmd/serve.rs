//! `rolehop serve`: source → chain → cache → serve, until SIGTERM or SIGINT.

use std::sync::Arc;

use tokio::net::TcpListener;

use super::CmdError;
use crate::cache::Timing;
use crate::cli::ServeArgs;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{ENV_TEST_TIME_SCALE, ServeConfig};
use crate::roles::Roles;
use crate::serve::{self, App, Imds};
use crate::token::client_tokens::Clients;
use crate::token::{Auth, AuthToken, ENV_ROLEHOP_TOKEN};

pub fn main(args: &ServeArgs) -> Result<(), CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    let runtime = super::runtime()?;
    // The region (environment or shared config file, no network) is one more thing a user can
    // get wrong: reported with the flags' problems, all at once.
    let sdk = runtime.block_on(crate::source::sdk_config());
    let (config, sdk) = match (ServeConfig::from_args(args, &env), sdk) {
        (Ok(config), Ok(sdk)) => (config, sdk),
        (config, sdk) => {
            let mut messages = config.err().map(|e| e.0).unwrap_or_default();
            if let Err(e) = sdk {
                messages.push(crate::readable::sentence(&e));
            }
            return Err(CmdError {
                code: crate::cli::exit::USAGE,
                messages,
            });
        }
    };
    crate::logging::init(config.log_format);
    let token = match &config.token {
        Some(source) => Auth::Token(
            AuthToken::load(source, env(ENV_ROLEHOP_TOKEN)).map_err(|e| CmdError::usage_of(&e))?,
        ),
        None => Auth::Clients(Arc::new(Clients::load(&config.clients, &env).map_err(
            |messages| CmdError {
                code: crate::cli::exit::USAGE,
                messages,
            },
        )?)),
    };
    runtime.block_on(run(config, token, sdk))
}

async fn bind(addr: std::net::SocketAddr, flag: &str) -> Result<TcpListener, CmdError> {
    TcpListener::bind(addr).await.map_err(|e| {
        CmdError::failure(format!(
            "cannot listen on {addr}: {e}; choose another address with {flag}"
        ))
    })
}

async fn run(config: ServeConfig, token: Auth, sdk: aws_config::SdkConfig) -> Result<(), CmdError> {
    let clock: SharedClock = Arc::new(SystemClock);
    let default_session = crate::task_metadata::default_session_name().await;
    let scale = config.test_time_scale;
    if scale > 1 {
        tracing::warn!(
            scale,
            "{ENV_TEST_TIME_SCALE} is set: refresh timing is compressed for testing; never use it in production"
        );
    }
    let base = Timing::default().scaled(scale);
    let imds_min = crate::serve::imds::MIN_REMAINING / scale;
    let imds_role = config.imds.as_ref().map(|c| c.role.clone());
    // The IMDS role is never served with `sdk::IMDS_MIN_REMAINING` or less left, so it is
    // refreshed by then.
    let timing_of = |cell: &str| Timing {
        min_remaining: if imds_role.as_deref() == Some(cell) {
            imds_min
        } else {
            base.min_remaining
        },
        ..base.clone()
    };
    let cells = Roles::new(&config.roles, &sdk, &default_session, &clock, &timing_of)
        .map_err(|e| CmdError::usage_of(&e))?;

    let listener = bind(config.listen, "--listen").await?;
    let imds_listener = match &config.imds {
        Some(imds) => Some(bind(imds.listen, "--imds-listen").await?),
        None => None,
    };
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(bind(addr, "--metrics-listen").await?),
        None => None,
    };
    if let Some(l) = &metrics_listener {
        let addr = l.local_addr().map_err(|e| CmdError::failure_of(&e))?;
        tracing::info!(addr = %addr, "metrics listening");
    }
    // The IMDS address is logged first: `listening` is the line that says rolehop is up.
    if let (Some(imds), Some(l)) = (&config.imds, &imds_listener) {
        let addr = l.local_addr().map_err(|e| CmdError::failure_of(&e))?;
        tracing::info!(addr = %addr, role = %imds.role, allow_v1 = imds.allow_v1, "imds listening");
        tracing::warn!(
            addr = %addr,
            role = %imds.role,
            "the IMDS listener serves its role without rolehop's token to any local process (an IMDSv2 session token is free to get); use it only where every process in the task may hold this role"
        );
    }
    let local = listener
        .local_addr()
        .map_err(|e| CmdError::failure_of(&e))?;
    tracing::info!(addr = %local, source = %cells.describe_sources(), roles = config.roles.len(), "listening");
    cells.spawn();
    if let Auth::Clients(clients) = &token {
        let names: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
        tracing::info!(clients = %names.join(", "), "serving each client only its granted profiles");
        if clients.any_file() {
            tokio::spawn(Arc::clone(clients).watch());
        }
    }

    let app = Arc::new(App {
        sources: cells.sources.values().cloned().collect(),
        requests: Default::default(),
        roles: cells.roles,
        token,
        allow_remote: config.allow_remote,
        imds: config
            .imds
            .as_ref()
            .map(|c| Imds::new(c.role.clone(), c.allow_v1, imds_min, clock.clone())),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut servers = tokio::task::JoinSet::new();
    servers.spawn(serve::run(
        listener,
        app.clone(),
        serve::Kind::Credentials,
        stopped(stop_rx.clone()),
        config.shutdown_grace,
    ));
    for (listener, kind) in [
        (imds_listener, serve::Kind::Imds),
        (metrics_listener, serve::Kind::Metrics),
    ] {
        if let Some(listener) = listener {
            servers.spawn(serve::run(
                listener,
                app.clone(),
                kind,
                stopped(stop_rx.clone()),
                config.shutdown_grace,
            ));
        }
    }
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    while servers.join_next().await.is_some() {}
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot watch SIGTERM; stop rolehop with SIGINT");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down");
}
