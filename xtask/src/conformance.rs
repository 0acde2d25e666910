//! `cargo xtask conformance`: replays `fixtures/conformance/<slug>/*.case.json` against a
//! live server and prints, per dialect, how many cases passed.
//!
//! Without `--against`, each dialect folder with cases gets its own `clientele serve` on a
//! fresh database (see [`server`]); with `--against URL`, the cases go to that server and
//! the keys come from `CONFORMANCE_*` environment variables. The case format is
//! `fixtures/conformance/README.md`.

mod client;
mod report;
#[cfg(test)]
mod self_test;
pub(crate) mod server;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use client::Client;
use conformance::SLUGS;
use conformance::case::CaseFile;
use conformance::replay::{self, DialectRun, replay_case};
use conformance::vars::{KEY_VARIABLES, Variables, env_name};
use report::DialectResult;

/// Replays the conformance cases against a live server.
#[derive(Debug, Default, Parser)]
#[command(name = "cargo xtask conformance")]
pub(crate) struct Options {
    /// Only this dialect folder (wc-v3, wc-v2, wc-legacy-v3, edd-v1, edd-v2, easycart-v1).
    #[arg(long, value_name = "SLUG")]
    pub(crate) dialect: Option<String>,
    /// Use the server at this URL instead of starting clientele. Keys come from
    /// CONFORMANCE_WC_CK, CONFORMANCE_WC_CS, … (see docs/testing.md); OAuth is signed for
    /// CONFORMANCE_SITE_URL, or this URL when that is unset.
    #[arg(long, value_name = "URL")]
    pub(crate) against: Option<String>,
    /// Rewrite the expected `json` of failing steps with the actual bodies, keeping the
    /// matchers the actual values still satisfy.
    #[arg(long)]
    pub(crate) update: bool,
    /// The store our own servers run on: a SQLite file, or a fresh database of a
    /// throwaway PostgreSQL cluster (or of the server CLIENTELE_TEST_PG_URL names).
    #[arg(long, value_enum, default_value = "sqlite")]
    pub(crate) backend: server::Backend,
}

/// Entry point for `cargo xtask conformance [ARGS]`.
pub(crate) fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let options =
        Options::parse_from(std::iter::once("cargo xtask conformance".to_owned()).chain(args));
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("conformance: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// Runs the cases and prints the results. `Ok(false)` when anything failed.
pub(crate) fn run(options: &Options) -> Result<bool> {
    let root = workspace_root();
    let fixtures = root.join("fixtures").join("conformance");
    let slugs: Vec<&str> = match &options.dialect {
        Some(slug) => {
            anyhow::ensure!(
                SLUGS.contains(&slug.as_str()),
                "unknown dialect `{slug}`; the dialects are {}",
                SLUGS.join(", ")
            );
            vec![slug.as_str()]
        }
        None => SLUGS.to_vec(),
    };
    let mut clientele: Option<server::Clientele> = None;
    let mut results = Vec::new();
    for slug in slugs {
        let folder = fixtures.join(slug);
        let mut result = DialectResult {
            slug: slug.to_owned(),
            cases: Vec::new(),
            error: None,
            not_run: 0,
            server_log: None,
        };
        let cases = if folder.is_dir() {
            CaseFile::load_dir(&folder)
        } else {
            Ok(Vec::new())
        };
        match cases {
            Ok(cases) if cases.is_empty() => {}
            Ok(cases) => {
                if let Err(error) =
                    run_dialect(options, &root, &folder, &cases, &mut clientele, &mut result)
                {
                    result.error = Some(format!("{error:#}"));
                    result.not_run = cases.len() - result.cases.len();
                }
            }
            Err(error) => result.error = Some(format!("{error:#}")),
        }
        results.push(result);
    }
    if options.update {
        report::apply_updates(&results)?;
    }
    print!("{}", report::table(&results));
    print!("{}", report::failures(&results));
    println!("{}", report::summary_line(&results));
    Ok(results.iter().all(DialectResult::ok))
}

fn run_dialect(
    options: &Options,
    root: &Path,
    folder: &Path,
    cases: &[CaseFile],
    clientele: &mut Option<server::Clientele>,
    result: &mut DialectResult,
) -> Result<()> {
    if options.against.is_none() && clientele.is_none() {
        *clientele = Some(server::build_clientele(root)?);
    }
    let started = std::time::Instant::now();
    // Our server, kept alive until the cases are done.
    let mut server = None;
    let (mut dialect_run, mut client) = match &options.against {
        Some(url) => {
            let mut vars = Variables::default();
            for name in KEY_VARIABLES {
                if let Ok(value) = std::env::var(env_name(name)) {
                    vars.set(name, serde_json::Value::String(value));
                }
            }
            let site_url = std::env::var("CONFORMANCE_SITE_URL").unwrap_or_else(|_| url.clone());
            (DialectRun::new(&site_url, vars), Client::new(url))
        }
        None => {
            let binary = clientele.as_ref().expect("built above");
            let (started, vars) = server::start(binary.path(), folder, options.backend)?;
            let pair = (
                DialectRun::new(conformance::setup::SITE_URL, vars),
                Client::new(started.base_url()),
            );
            server = Some(started);
            pair
        }
    };
    for case in cases {
        result
            .cases
            .push(replay_case(&mut dialect_run, &mut client, case));
    }
    eprintln!(
        "==> {} on {:?}: {} case(s) in {:.2} s (server start included)",
        result.slug,
        options.backend,
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    let server_side_failure = result
        .cases
        .iter()
        .flat_map(|case| &case.steps)
        .filter_map(|step| step.failure.as_ref())
        .any(replay::Failure::server_side);
    if let (Some(server), true) = (&server, server_side_failure) {
        result.server_log = Some(server.log_tail());
    }
    Ok(())
}
