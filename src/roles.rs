//! The running set of cells for a validated list of roles: one cell per distinct source, one
//! per role, each role's cell fed by its source's cell or its source profile's cell. `serve`
//! and standalone `credential-process` both build it. The SDK settings come from
//! [`crate::source::sdk_config`], the default session name from
//! [`crate::task_metadata::default_session_name`].

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::SdkConfig;

use crate::cache::{Cell, Timing};
use crate::chain::{self, AssumeRole};
use crate::clock::SharedClock;
use crate::config::{RoleConfig, RoleSource};
use crate::credentials::Credentials;
use crate::session::SessionName;
use crate::source::{Source, SourceError, SourceKind};

/// Every cell, not yet refreshing: call [`Roles::spawn`].
pub struct Roles {
    pub sources: BTreeMap<SourceKind, Arc<Cell>>,
    pub roles: BTreeMap<String, Arc<Cell>>,
}

impl Roles {
    /// `roles` must come in chain order (as [`crate::config`] produces them). `timing_of`
    /// gives each cell's timing by name (`source:KIND` for sources; the IMDS role's serving
    /// minimum is longer).
    pub fn new(
        roles: &[RoleConfig],
        sdk: &SdkConfig,
        default_session: &SessionName,
        clock: &SharedClock,
        timing_of: &dyn Fn(&str) -> Timing,
    ) -> Result<Self, SourceError> {
        let mut sources: BTreeMap<SourceKind, Arc<Cell>> = BTreeMap::new();
        for role in roles {
            if let RoleSource::Credentials(kind) = &role.source
                && !sources.contains_key(kind)
            {
                let source = Source::new(kind.clone(), sdk.credentials_provider())?;
                let name = format!("source:{}", kind.short_name());
                let timing = timing_of(&name);
                let cell = Cell::new(
                    name,
                    Box::new(source),
                    clock.clone(),
                    timing,
                    Credentials::ecs_body,
                );
                sources.insert(kind.clone(), cell);
            }
        }
        let sts = chain::sts_config(sdk);
        let mut cells: BTreeMap<String, Arc<Cell>> = BTreeMap::new();
        for role in roles {
            let (upstream, upstream_desc) = match &role.source {
                RoleSource::Credentials(kind) => (sources[kind].clone(), kind.describe()),
                RoleSource::Profile(name) => (cells[name].clone(), format!("profile {name}")),
            };
            let fetch = AssumeRole::new(
                role.hop(default_session),
                upstream,
                upstream_desc,
                sts.clone(),
                &crate::metrics::STS_ASSUME_ROLE,
            );
            let cell = Cell::new(
                role.name.clone(),
                Box::new(fetch),
                clock.clone(),
                timing_of(&role.name),
                Credentials::ecs_body,
            );
            cells.insert(role.name.clone(), cell);
        }
        Ok(Self {
            sources,
            roles: cells,
        })
    }

    pub fn spawn(&self) {
        for cell in self.sources.values().chain(self.roles.values()) {
            cell.spawn();
        }
    }

    pub fn describe_sources(&self) -> String {
        let described: Vec<String> = self.sources.keys().map(SourceKind::describe).collect();
        described.join("; ")
    }
}
