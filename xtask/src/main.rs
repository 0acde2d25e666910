//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks, in order: formatting, lints, docs, tests, conformance.
//! - `conformance`: replays `fixtures/conformance/` against a live server.
//! - `gen`: a deterministic NDJSON data set in the import format (`cargo xtask gen --help`).

mod conformance;
mod r#gen;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    match task.as_deref() {
        Some("ci") => ci(),
        Some("conformance") => conformance::main(args),
        Some("gen") => r#gen::run(args),
        _ => {
            eprintln!(
                "usage: cargo xtask ci | conformance [--dialect SLUG] [--backend sqlite|postgres] [--against URL] [--update] | gen"
            );
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
    for backend in [
        conformance::server::Backend::Sqlite,
        conformance::server::Backend::Postgres,
    ] {
        eprintln!("==> conformance: cargo xtask conformance --backend {backend:?}");
        let options = conformance::Options {
            backend,
            ..conformance::Options::default()
        };
        match conformance::run(&options) {
            Ok(true) => {}
            Ok(false) => {
                eprintln!("==> conformance on {backend:?} failed");
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("==> conformance on {backend:?} could not run: {error:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("==> all checks passed");
    ExitCode::SUCCESS
}
