//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks, in order: formatting, lints, docs, tests.
//! - `gen`: a deterministic NDJSON data set in the import format (`cargo xtask gen --help`).

mod r#gen;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("ci") => ci(),
        Some("gen") => r#gen::run(std::env::args().skip(2)),
        _ => {
            eprintln!("usage: cargo xtask ci | gen");
            ExitCode::from(2)
        }
    }
}

/// One CI step: a name, cargo's arguments, and extra environment.
type Step = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// Runs the checks CI runs, stopping at the first failure.
fn ci() -> ExitCode {
    let steps: [Step; 4] = [
        ("format", &["fmt", "--all", "--check"], &[]),
        (
            "lints",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        ),
        (
            "docs",
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        ),
        ("tests", &["test", "--workspace", "--all-features"], &[]),
    ];
    for (name, args, env) in steps {
        eprintln!("==> {name}: cargo {}", args.join(" "));
        let status = Command::new(env!("CARGO"))
            .args(args)
            .envs(env.iter().copied())
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("==> {name} failed ({status})");
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("==> {name} could not start: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("==> all checks passed");
    ExitCode::SUCCESS
}
