//! moto's server (PyPI `moto[server]`) as STS and IAM, on a free loopback port, killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Self {
        let exe = super::require_tool("moto_server");
        let port = super::free_port();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
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
