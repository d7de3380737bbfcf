//! Puts the git revision into `rolehop --version`, so a running sidecar says what it was built
//! from. Outside a git checkout (a container build without `.git`) it says so.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown revision".to_owned());
    println!(
        "cargo:rustc-env=ROLEHOP_VERSION={} ({revision})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
}
