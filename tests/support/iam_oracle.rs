//! The independent IAM evaluator the differential test compares `rolehop check` against:
//! `@cloud-copilot/iam-simulate` (AGPL, test-only: installed under `.tools/iam-oracle` by
//! `scripts/oracle-tools.sh`, which `scripts/tools.sh` sources; never linked into or shipped
//! with rolehop), driven by `iam_oracle/oracle.js` as one node process per test that answers
//! one JSON line per question.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// Where `scripts/oracle-tools.sh` says the oracle's node_modules are.
pub const ENV_ORACLE: &str = "ROLEHOP_IAM_ORACLE";

/// What the oracle decided, in its own words (`Allowed`, `ImplicitlyDenied`,
/// `ExplicitlyDenied`), or why it refused the question.
pub type Answer = Result<String, String>;

pub struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

fn node_modules() -> PathBuf {
    let installed = std::env::var_os(ENV_ORACLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/iam-oracle/node_modules")
        });
    assert!(
        installed.join("@cloud-copilot/iam-simulate").is_dir(),
        "the IAM oracle is not installed at {}; run `source scripts/tools.sh` (it installs \
         @cloud-copilot/iam-simulate from tests/support/iam_oracle/package-lock.json into \
         .tools/iam-oracle with npm)",
        installed.display()
    );
    installed
}

/// `node` from PATH, or a loud failure saying how to get it. Never a skip.
fn node() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
        .expect("`node` is not on PATH; the differential test's IAM oracle needs it (apt-get install nodejs npm)")
}

impl Oracle {
    /// Starts `node oracle.js`; panics with the fix when node or the package is missing.
    pub fn start() -> Self {
        let modules = node_modules();
        let node = node();
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/iam_oracle/oracle.js");
        let mut child = Command::new(node)
            .arg(script)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NODE_PATH", &modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node for the IAM oracle");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
            next_id: 0,
        }
    }

    /// Answers for many simulations (the package's `Simulation` shape), in order: all
    /// questions are written by a second thread while this one reads, so no pipe fills up.
    pub fn ask_all(&mut self, simulations: &[Value]) -> Vec<Answer> {
        let first = self.next_id;
        self.next_id += simulations.len() as u64;
        let stdin = &mut self.stdin;
        let stdout = &mut self.stdout;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut out = std::io::BufWriter::new(stdin);
                for (i, simulation) in simulations.iter().enumerate() {
                    let line = json!({"id": first + i as u64, "simulation": simulation});
                    writeln!(out, "{line}").expect("write to the IAM oracle");
                }
                out.flush().expect("write to the IAM oracle");
            });
            (0..simulations.len())
                .map(|i| read_answer(stdout, first + i as u64))
                .collect()
        })
    }

    pub fn ask(&mut self, simulation: &Value) -> Answer {
        self.ask_all(std::slice::from_ref(simulation)).remove(0)
    }
}

fn read_answer(stdout: &mut BufReader<ChildStdout>, id: u64) -> Answer {
    let mut line = String::new();
    let n = stdout
        .read_line(&mut line)
        .expect("read from the IAM oracle");
    assert!(
        n > 0,
        "the IAM oracle (node oracle.js) exited early; see its stderr above"
    );
    let answer: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the IAM oracle wrote {line:?}, not JSON: {e}"));
    assert_eq!(answer["id"], id, "the IAM oracle answered out of order");
    match (answer["result"].as_str(), answer["error"].as_str()) {
        (Some(result), _) => Ok(result.to_owned()),
        (None, Some(error)) => Err(error.to_owned()),
        _ => Err(format!("no result in {line}")),
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
