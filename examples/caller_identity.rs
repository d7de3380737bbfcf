//! Prints `sts get-caller-identity` as JSON, using nothing but the Rust SDK's default
//! credentials chain and the process environment: what any unmodified Rust app would see.
//!
//! ```sh
//! AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9911/v1/credentials \
//! AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/rolehop/token \
//! cargo run --example caller_identity
//! ```

use aws_config::BehaviorVersion;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await?;
    let json = serde_json::json!({
        "Account": identity.account(),
        "Arn": identity.arn(),
        "UserId": identity.user_id(),
    });
    println!("{json}");
    Ok(())
}
