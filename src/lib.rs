//! rolehop: a credentials sidecar for Amazon ECS tasks that need a role in another account.
//!
//! Data flows one way, **source → chain → cache → serve**. Every module, lowest first within
//! each group; a module imports only modules above it in the flow or beside it, never one that
//! imports it back.
//!
//! The flow:
//! - [`fetch`]: the contract every step of the flow implements ([`fetch::Fetch`]) and the
//!   typed error a fetch fails with.
//! - [`source`]: the task's own credentials (the ECS container credentials endpoint, or the SDK
//!   default chain outside ECS), and the SDK settings they come with.
//! - [`session`]: AssumeRole's parameters (session name, external id, duration, tags,
//!   policies) validated against STS's rules; shared by the config, `setup` and the hops.
//! - [`chain`]: STS AssumeRole hops into the destination role, with STS errors explained and
//!   their codes kept.
//! - [`cache`]: one self-refreshing [`cache::Cell`] per credential; single flight, backoff,
//!   never serves a credential about to expire; failures keep their kind.
//! - [`roles`]: the running set of cells for a validated list of roles.
//! - [`serve`]: the HTTP listeners: the ECS-compatible credentials route, the health routes,
//!   the IMDSv2-compatible listener (`serve::imds`) and `/metrics`.
//!
//! Values and rules the flow shares:
//! - [`credentials`]: the credential value and its wire forms, secrets redacted.
//! - [`arn`]: role and managed-policy ARNs.
//! - [`role_name`]: the names roles are served under.
//! - [`token`]: the clients' auth token, and the choice between its file and its variable;
//!   per-container clients, each with its own token and profiles (`token::client_tokens`).
//! - [`clock`]: wall time through one seam, so expiry is tested without sleeping.
//! - [`metrics`]: the Prometheus exposition of `/metrics`.
//! - [`task_metadata`]: the ECS task metadata endpoint (the task id that names sessions).
//! - [`ecs_exec`]: the rules of ECS Exec and its SSM agent, each with its source.
//! - [`platform`]: the platforms (CPU architectures) rolehop's image is built for.
//! - [`files`]: files holding secrets, written whole and private.
//! - [`suggest`]: "did you mean" for misspelt keys and policy words.
//! - [`logging`]: tracing to stderr, JSON or text.
//! - [`readable`]: an error as a person reads it: its sentence, then its causes, never `Debug`.
//!
//! Configuration and commands:
//! - [`cli`]: the flags, each with its `ROLEHOP_*` twin.
//! - [`config`]: flags, environment and an AWS-syntax config file into one validated config,
//!   every problem reported at once.
//! - [`client`]: the client side of the helper commands (`credential-process`, `exec`, `env`).
//! - [`check`]: the diagnosis engine of `rolehop check`: parse, evaluate, explain, on values.
//! - [`probe`]: `rolehop check --online`, in an app's container and `--clients`: reads STS, IAM,
//!   Organizations, the environment and the container's files and hands what it read to
//!   [`check`].
//! - [`sdk`]: the client table: what each AWS SDK does with the container credential
//!   variables, measured or read, and what it would do in a given environment.
//! - [`setup`]: writes a whole cross-account setup, proven by [`check`].
//! - [`cmd`]: one module per subcommand.
//! - `fuzzing` (hidden, with the `fuzzing` feature): the fuzz targets' entry points.

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
pub mod ecs_exec;
pub mod fetch;
pub mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod metrics;
pub mod platform;
pub mod probe;
pub mod readable;
pub mod regions;
pub mod role_name;
pub mod roles;
pub mod sdk;
pub mod serve;
pub mod session;
pub mod setup;
pub mod source;
pub mod suggest;
pub mod task_metadata;
pub mod token;
