//! A fuzzing harness that builds on stable Rust, for machines without a nightly toolchain or
//! cargo-fuzz: random mutations of the seed corpus (`fuzz/seeds/TARGET/`) fed to the same
//! entry points as the cargo-fuzz targets (`rolehop::fuzzing`). No coverage feedback, so it
//! finds less than libFuzzer; scripts/fuzz prefers libFuzzer and says which one ran.
//!
//! `cargo run --example fuzz_stable -- TARGET SECONDS [SEED_DIR]`; a panicking input is
//! written to `fuzz/artifacts/TARGET/` and the exit code is 1.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::seq::IndexedRandom;

/// Fragments that matter to the parsers, spliced in now and then.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b": ",
    b"GET ",
    b"PUT ",
    b" HTTP/1.1",
    b"Authorization: ",
    b"Host: 127.0.0.1",
    b"Transfer-Encoding: chunked",
    b"Content-Length: ",
    b"/v1/credentials/",
    b"/latest/api/token",
    b"/latest/meta-data/iam/security-credentials/",
    b"X-aws-ec2-metadata-token: ",
    b"X-Forwarded-For: ",
    b"%2F",
    b"[profile ",
    b"]\n",
    b" = ",
    b"\n  ",
    b"role_arn",
    b"source_profile",
    b"credential_source = EcsContainer",
    b"arn:aws:iam::",
    b":role/",
    b"\0",
    b"\"Statement\"",
    b"\"Principal\"",
    b"\"Condition\"",
    b"{\"StringEquals\": {",
    b"[",
    b"]",
    b"{",
    b"}",
    b"*",
    b"\xff",
    b"\xc3\xa9",
];

fn mutate(rng: &mut impl Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    for _ in 0..rng.random_range(1..=8) {
        let len = input.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                input[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                input.insert(i, rng.random());
            }
            2 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 64));
                input.drain(start..end);
            }
            3 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 64));
                let copy = input[start..end].to_vec();
                let at = rng.random_range(0..=len);
                input.splice(at..at, copy);
            }
            4 => {
                let token = TOKENS.choose(rng).expect("tokens");
                let at = rng.random_range(0..=len);
                input.splice(at..at, token.iter().copied());
            }
            5 => {
                let other = seeds.choose(rng).expect("seeds");
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    let at = rng.random_range(0..=len);
                    input.truncate(at);
                    input.extend_from_slice(&other[from..]);
                }
            }
            _ if len > 0 => {
                let i = rng.random_range(0..len);
                input[i] = *b"09azAZ:/=[]{}\"\r\n \0".choose(rng).expect("bytes");
            }
            _ => {}
        }
    }
    input.truncate(64 * 1024);
}

fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    let mut seeds: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(target), Some(seconds)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: fuzz_stable TARGET SECONDS [SEED_DIR]   (TARGET: http, config_file, check)"
        );
        return ExitCode::from(64);
    };
    let run: fn(&[u8]) = match target.as_str() {
        "http" => rolehop::fuzzing::http,
        "config_file" => rolehop::fuzzing::config_file,
        "check" => rolehop::fuzzing::check,
        other => {
            eprintln!(
                "fuzz_stable: unknown target `{other}`; the targets are http, config_file, check"
            );
            return ExitCode::from(64);
        }
    };
    let Ok(seconds) = seconds.parse::<u64>() else {
        eprintln!("fuzz_stable: SECONDS `{seconds}` is not a whole number");
        return ExitCode::from(64);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed_dir = args
        .get(2)
        .map_or_else(|| root.join("fuzz/seeds").join(target), PathBuf::from);
    let seeds = seeds(&seed_dir);
    // Panics are the findings: report them here, once, with the input.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = rand::rng();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs: u64 = 0;
    while Instant::now() < deadline {
        let mut input = seeds.choose(&mut rng).expect("seeds").clone();
        // The seeds themselves first, then mutants.
        if runs >= seeds.len() as u64 {
            mutate(&mut rng, &mut input, &seeds);
        } else {
            input = seeds[runs as usize].clone();
        }
        runs += 1;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&input))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic without a message");
            let dir = root.join("fuzz/artifacts").join(target);
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("crash-stable-{runs}"));
            let _ = std::fs::write(&file, &input);
            eprintln!(
                "fuzz_stable {target}: run {runs} panicked: {message}\n  input ({} bytes) saved to {}",
                input.len(),
                file.display()
            );
            return ExitCode::from(1);
        }
    }
    println!(
        "fuzz_stable {target}: {runs} runs in {seconds} s from {} seeds, no panic",
        seeds.len()
    );
    ExitCode::SUCCESS
}
