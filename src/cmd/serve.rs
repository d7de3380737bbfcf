//! `rolehop serve`: source → chain → cache → serve, until SIGTERM or SIGINT.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use tokio::net::TcpListener;

use super::CmdError;
use crate::cache::{Cell, Timing};
use crate::chain::{self, AssumeRole, Hop, SessionName};
use crate::cli::ServeArgs;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{RoleSource, ServeConfig};
use crate::serve::{self, App};
use crate::source::{Source, SourceKind};
use crate::task_metadata::{self, ENV_METADATA_URI_V4};
use crate::token::{AuthToken, ENV_ROLEHOP_TOKEN};

pub fn main(args: &ServeArgs) -> Result<(), CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServeConfig::from_args(args, &env).map_err(|errors| CmdError {
        code: crate::cli::exit::USAGE,
        messages: errors.0,
    })?;
    crate::logging::init(config.log_format);
    let token = AuthToken::load(&config.token, env(ENV_ROLEHOP_TOKEN))
        .map_err(|e| CmdError::usage(e.to_string()))?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CmdError::failure(format!("cannot start the async runtime: {e}")))?
        .block_on(run(config, token))
}

async fn run(config: ServeConfig, token: AuthToken) -> Result<(), CmdError> {
    // Region from the environment or the shared config file only: asking instance metadata
    // would be a network call (and a slow one outside EC2) before anything is validated.
    let region = aws_config::meta::region::RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(aws_config::profile::ProfileFileRegionProvider::new())
    .region()
    .await
    .ok_or_else(|| {
        CmdError::usage(
            "no AWS region is configured; set AWS_REGION (ECS sets it in tasks) so rolehop calls the regional STS endpoint",
        )
    })?;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await;
    let clock: SharedClock = Arc::new(SystemClock);
    let timing = Timing::default();

    // One cell per distinct source, shared by every chain rooted in it.
    let mut sources: BTreeMap<SourceKind, Arc<Cell>> = BTreeMap::new();
    for role in &config.roles {
        if let RoleSource::Credentials(kind) = &role.source
            && !sources.contains_key(kind)
        {
            let source =
                Source::new(kind.clone(), sdk.credentials_provider()).map_err(CmdError::usage)?;
            let cell = Cell::new(
                format!("source:{}", kind.short_name()),
                Box::new(source),
                clock.clone(),
                timing.clone(),
            );
            sources.insert(kind.clone(), cell);
        }
    }

    let listener = TcpListener::bind(config.listen).await.map_err(|e| {
        CmdError::failure(format!(
            "cannot listen on {}: {e}; choose another address with --listen",
            config.listen
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| CmdError::failure(e.to_string()))?;
    let described: Vec<String> = sources.keys().map(SourceKind::describe).collect();
    tracing::info!(addr = %local, source = %described.join("; "), roles = config.roles.len(), "listening");
    for cell in sources.values() {
        cell.spawn();
    }

    let default_session = default_session_name().await;
    let sts = chain::sts_config(&sdk);
    // Roles arrive ordered so that a chained role's source profile already has its cell.
    let mut roles: BTreeMap<String, Arc<Cell>> = BTreeMap::new();
    for role in &config.roles {
        let (upstream, upstream_desc) = match &role.source {
            RoleSource::Credentials(kind) => (sources[kind].clone(), kind.describe()),
            RoleSource::Profile(name) => (roles[name].clone(), format!("profile {name}")),
        };
        let hop = Hop {
            role_arn: role.role_arn.clone(),
            external_id: role.external_id.clone(),
            session_name: role
                .session_name
                .clone()
                .unwrap_or_else(|| default_session.clone()),
            duration_secs: role.duration_secs,
            options: role.options.clone(),
        };
        let fetch = AssumeRole::new(hop, upstream, upstream_desc, sts.clone());
        let cell = Cell::new(
            role.name.clone(),
            Box::new(fetch),
            clock.clone(),
            timing.clone(),
        );
        cell.spawn();
        roles.insert(role.name.clone(), cell);
    }

    let app = Arc::new(App {
        roles,
        token,
        allow_remote: config.allow_remote,
    });
    serve::run(listener, app, shutdown_signal(), config.shutdown_grace).await;
    tracing::info!("stopped");
    Ok(())
}

/// The ECS task id when running in a task, else `rolehop-HOSTNAME`, else `rolehop`.
async fn default_session_name() -> SessionName {
    if let Ok(uri) = std::env::var(ENV_METADATA_URI_V4) {
        match task_metadata::task_id(&uri).await {
            Ok(id) => return SessionName::sanitised(&id),
            Err(e) => tracing::warn!(error = %e, "using the host name as the session name"),
        }
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => SessionName::sanitised(&format!("rolehop-{h}")),
        None => SessionName::sanitised("rolehop"),
    }
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
