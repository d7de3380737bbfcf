//! moto's server (PyPI `moto[server]`) as STS and IAM, on a free loopback port, killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
