//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks, in order: formatting, lints, docs, tests (the tidy tests
//!   of [`tidy`] among them), unreferenced snapshots, conformance, schemathesis against
//!   every OpenAPI document, a short fuzzing run.
//! - `conformance`: replays `fixtures/conformance/` against a live server.
//! - `fuzz`: builds the fuzz targets of `fuzz/` and runs each for a while (`cargo xtask
//!   fuzz --help`).
//! - `bench`: clientele against a bare hyper server answering the same bytes
//!   (`cargo xtask bench --help`); never part of `ci`.
//! - `gen`: a deterministic NDJSON data set in the import format (`cargo xtask gen --help`).
//! - `schemathesis`: every dialect's OpenAPI document validated and fuzzed against a live
//!   server (`cargo xtask schemathesis --help`).

mod bench;
mod conformance;
mod fuzz;
mod r#gen;
mod schemathesis;
mod tidy;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    match task.as_deref() {
        Some("bench") => bench::main(args),
        Some("ci") => ci(),
        Some("conformance") => conformance::main(args),
        Some("fuzz") => fuzz::main(args),
        Some("gen") => r#gen::run(args),
        Some("schemathesis") => schemathesis::main(args),
        _ => {
            eprintln!(
                "usage: cargo xtask bench [--quick] [--large] [--json FILE] | ci \
                 | conformance [--dialect SLUG] [--backend sqlite|postgres] [--against URL] [--update] \
                 | fuzz [--seconds N] [--target T] | gen | schemathesis [--dialect SLUG] [--max-time SECONDS]"
            );
            ExitCode::from(2)
        }
    }
}

/// How long CI runs each fuzz target: long enough to run every seed and mutate them
/// for a while, short enough that the whole CI run stays well under its 30 minutes.
const CI_FUZZ_SECONDS: u32 = 8;

/// How long CI runs schemathesis per dialect: with the server's start and the venv's
/// install, about three minutes for the six documents on a 2-core machine.
const CI_SCHEMATHESIS_SECONDS: u32 = 12;

/// One CI step: a name, cargo's arguments, and extra environment.
type Step = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// Runs the checks CI runs, stopping at the first failure.
fn ci() -> ExitCode {
    // insta writes the path of every snapshot a test asserts to this file, so that
    // snapshots no test uses any more are found (what `cargo insta test
    // --unreferenced=reject` does).
    let scratch = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("==> cannot make a scratch folder: {error}");
            return ExitCode::FAILURE;
        }
    };
    let references = scratch.path().join("snapshot-references.txt");
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
        let mut command = Command::new(env!("CARGO"));
        command.args(args).envs(env.iter().copied());
        if name == "tests" {
            command.env("INSTA_SNAPSHOT_REFERENCES_FILE", &references);
        }
        let status = command.status();
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
    eprintln!("==> snapshots: every committed snapshot is asserted by a test");
    let unreferenced = unreferenced_snapshots(&conformance::workspace_root(), &references);
    if !unreferenced.is_empty() {
        eprintln!("==> snapshots no test asserts (delete them or restore their tests):");
        for path in unreferenced {
            eprintln!("    {}", path.display());
        }
        return ExitCode::FAILURE;
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
    eprintln!("==> schemathesis: cargo xtask schemathesis --max-time {CI_SCHEMATHESIS_SECONDS}");
    let contracts = schemathesis::Options {
        max_time: CI_SCHEMATHESIS_SECONDS,
        ..schemathesis::Options::default()
    };
    match schemathesis::run(&contracts) {
        Ok(true) => {}
        Ok(false) => {
            eprintln!("==> schemathesis found failures");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("==> schemathesis could not run: {error:#}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("==> fuzz: cargo xtask fuzz --seconds {CI_FUZZ_SECONDS}");
    let fuzzing = fuzz::Options {
        seconds: CI_FUZZ_SECONDS,
        target: None,
    };
    if let Err(error) = fuzz::run(&fuzzing) {
        eprintln!("==> fuzz failed: {error:#}");
        return ExitCode::FAILURE;
    }
    eprintln!("==> all checks passed");
    ExitCode::SUCCESS
}

/// The `.snap` files under `crates/` that no test asserted, by the references file insta
/// wrote during the tests.
fn unreferenced_snapshots(root: &Path, references: &Path) -> Vec<PathBuf> {
    let asserted: BTreeSet<PathBuf> = std::fs::read_to_string(references)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| std::fs::canonicalize(line).ok())
        .collect();
    let mut unreferenced = Vec::new();
    let mut pending = vec![root.join("crates")];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != "target" {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "snap") {
                let known = std::fs::canonicalize(&path).is_ok_and(|path| asserted.contains(&path));
                if !known {
                    unreferenced.push(path.strip_prefix(root).unwrap_or(&path).to_owned());
                }
            }
        }
    }
    unreferenced.sort();
    unreferenced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_without_a_reference_are_listed() {
        let root = tempfile::tempdir().unwrap();
        let snapshots = root.path().join("crates/a/tests/snapshots");
        std::fs::create_dir_all(&snapshots).unwrap();
        for name in ["used.snap", "stale.snap", "notes.txt"] {
            std::fs::write(snapshots.join(name), "").unwrap();
        }
        let references = root.path().join("references.txt");
        std::fs::write(
            &references,
            format!("{}\n", snapshots.join("used.snap").display()),
        )
        .unwrap();
        assert_eq!(
            unreferenced_snapshots(root.path(), &references),
            [PathBuf::from("crates/a/tests/snapshots/stale.snap")]
        );
    }
}
