//! Prints `sts get-caller-identity` as JSON, using nothing but the Rust SDK's default
//! credentials chain and the process environment: what any unmodified Rust app would see.
//!
//! ```sh
//! AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9911/v1/credentials \
//! AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/rolehop/token \
//! cargo run --example caller_identity
//! ```
//!
//! With `CALLS SECONDS_APART` it makes that many calls through one client, printing a line
//! each (tests/sdks.rs watches when the SDK fetches credentials again).

use aws_config::BehaviorVersion;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let calls = args.next().transpose()?.unwrap_or(1);
    let apart = std::time::Duration::from_secs(args.next().transpose()?.unwrap_or(0));
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = aws_sdk_sts::Client::new(&config);
    for call in 0..calls {
        if call > 0 {
            tokio::time::sleep(apart).await;
        }
        let identity = client.get_caller_identity().send().await?;
        let json = serde_json::json!({
            "Account": identity.account(),
            "Arn": identity.arn(),
            "UserId": identity.user_id(),
        });
        println!("{json}");
    }
    Ok(())
}
