//! Puts the git revision into `rolehop --version`, so a running sidecar says what it was built
//! from. Outside a git checkout (a container build without `.git`) it says so.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    // Watch the files git reads for HEAD, wherever they are: in a worktree `.git` is a file,
    // and a watched path that does not exist would rebuild rolehop on every cargo command.
    match (
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "refs"]),
    ) {
        (Some(head), Some(refs)) => {
            println!("cargo:rerun-if-changed={head}");
            println!("cargo:rerun-if-changed={refs}");
            if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"])
                && std::path::Path::new(&packed).exists()
            {
                println!("cargo:rerun-if-changed={packed}");
            }
        }
        _ => println!("cargo:rerun-if-changed=build.rs"),
    }
    let revision =
        git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown revision".to_owned());
    println!(
        "cargo:rustc-env=ROLEHOP_VERSION={} ({revision})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
}
