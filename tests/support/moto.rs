//! moto's server (PyPI `moto[server]`) as STS and IAM, on a free loopback port, killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_sts::config::{BehaviorVersion, Credentials as SdkCredentials, Region};

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// moto with the AWS-managed IAM policies loaded, so `attach-role-policy` can attach
    /// `arn:aws:iam::aws:policy/...` (moto leaves them out unless asked: they are large).
    pub fn start_with_managed_policies() -> Self {
        Self::start_with_env(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")])
    }

    fn start_with_env(env: &[(&str, &str)]) -> Self {
        let exe = super::require_tool("moto_server");
        let port = super::free_port();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let probe = format!("127.0.0.1:{port}");
        super::wait_for(
            "moto_server to accept connections",
            Duration::from_secs(60),
            || std::net::TcpStream::connect(&probe).ok(),
        );
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credentials that act in `account` in moto (any keys may assume any role there).
pub async fn act_in(moto: &str, account: &str) -> SdkCredentials {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(super::REGION))
        .endpoint_url(moto)
        .credentials_provider(SdkCredentials::new(
            "AKIDSETUP0000000000",
            "setup",
            None,
            None,
            "setup",
        ))
        .build();
    let c = aws_sdk_sts::Client::from_conf(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/setup-admin"))
        .role_session_name("setup")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    SdkCredentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "setup",
    )
}

/// moto's IAM as `account`.
pub async fn iam_in(moto: &str, account: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(super::REGION))
        .endpoint_url(moto)
        .credentials_provider(act_in(moto, account).await)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}
