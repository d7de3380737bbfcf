//! One integration-test binary: the real rolehop binary against moto, the real AWS CLI, boto3
//! and the Rust SDK. See `support/` for the parts.

mod support;

mod check_cases;
mod check_clients;
mod check_differential;
mod check_explain;
mod check_online;
mod check_online_context;
mod check_online_org_paths;
mod check_report_schema;
mod check_task_roles;
mod cli;
mod client_commands;
mod clients_roles;
mod emulated;
mod examples;
mod faults;
mod hardening;
mod hardening3;
mod hostile;
mod interfaces;
mod profiles;
mod sdks;
mod serve;
mod setup;
mod soak;
mod task_definitions;
mod wiring;
