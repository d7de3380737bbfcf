//! A stand-in for the ECS agent's credentials endpoint, for running rolehop on a laptop.
//!
//! It asks STS (moto, or whatever `--sts-endpoint` points at) for account 111122223333's task
//! role `my-ECS-task-role`, serves those credentials the way the ECS agent does (with an
//! `Authorization` token) plus a task metadata endpoint, prints the variables a container in
//! that task would see as `export` lines, and serves until killed. `scripts/demo` uses it; the
//! integration tests use the same code from `tests/support/ecs_agent.rs`.
//!
//! ```sh
//! cargo run --example ecs_agent_standin -- --sts-endpoint http://127.0.0.1:5000
//! ```

#[allow(dead_code)]
#[path = "../tests/support/ecs_agent.rs"]
mod ecs_agent;
#[path = "../tests/support/server.rs"]
mod server;

pub const REGION: &str = "us-east-1";
pub const TASK_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let endpoint = match (args.next().as_deref(), args.next()) {
        (Some("--sts-endpoint"), Some(url)) => url,
        _ => {
            eprintln!("usage: ecs_agent_standin --sts-endpoint URL");
            std::process::exit(64);
        }
    };
    let creds = ecs_agent::AgentCredentials::task_role_from_moto(&endpoint).await;
    let agent = ecs_agent::EcsAgent::start(creds).await;
    for (name, value) in agent.env() {
        println!("export {name}={value}");
    }
    // A closed stdout tells the reader everything is printed.
    drop(std::io::Write::flush(&mut std::io::stdout()));
    std::future::pending::<()>().await;
}
