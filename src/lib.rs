//! rolehop: a credentials sidecar for Amazon ECS tasks that need a role in another account.
//!
//! Data flows one way, **source → chain → cache → serve**:
//!
//! - [`source`]: the task's own credentials (the ECS container credentials endpoint, or the SDK
//!   default chain outside ECS).
//! - [`chain`]: STS AssumeRole hops into the destination role, with STS errors explained.
//! - [`cache`]: one self-refreshing [`cache::Cell`] per credential; single flight, backoff,
//!   never serves a credential about to expire.
//! - [`serve`]: the HTTP listener with the ECS-compatible credentials route and health routes.
//!
//! Around them: [`cli`] and [`config`] (flags, environment and an AWS-syntax config file into
//! one validated config),
//! [`credentials`] (the value and its wire forms, secrets redacted), [`arn`], [`token`] (the
//! clients' auth token), [`task_metadata`], [`clock`] (wall time through one seam for tests),
//! [`logging`], [`metrics`] (`/metrics`), [`setup`] (writes a whole cross-account setup, proven
//! by [`check`]), and [`cmd`] (one module per subcommand). `fuzzing` (hidden) holds the fuzz
//! targets' entry points.

pub mod arn;
pub mod cache;
pub mod chain;
pub mod check;
pub mod cli;
pub mod client;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod credentials;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod metrics;
pub mod role_name;
pub mod roles;
pub mod serve;
pub mod setup;
pub mod source;
pub mod suggest;
pub mod task_metadata;
pub mod token;
