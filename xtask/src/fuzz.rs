//! `cargo xtask fuzz [--seconds N] [--target T]`: builds the fuzz targets of `fuzz/`
//! (cargo-fuzz, libFuzzer, on the stable toolchain) and runs each for `N` seconds.
//!
//! - cargo-fuzz is installed from crates.io when missing (`cargo install --locked`, once
//!   per machine). The stable compiler builds the targets with `RUSTC_BOOTSTRAP=1` (the
//!   coverage flags cargo-fuzz passes are unstable) and without a sanitizer: the targets
//!   are safe Rust, and an address sanitizer would double the build for nothing.
//! - Each target starts from a corpus written fresh under `fuzz/corpus/<target>/`: every
//!   request of the conformance fixtures in the target's dialect (as the small HTTP
//!   message `customer_wire::fuzz_targets::Exchange` reads), and the kept inputs of
//!   `fixtures/fuzz/<target>/`.
//! - libFuzzer stops at the first failing input: a panic, a stack overflow, a single
//!   allocation over [`MALLOC_LIMIT_MB`], a process over [`RSS_LIMIT_MB`] or an input
//!   taking longer than [`INPUT_TIMEOUT_SECONDS`]. The input is copied to
//!   `fixtures/fuzz/<target>/`, where the ordinary tests replay it, and the task fails.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use conformance::case::CaseFile;
use conformance::replay::{BuiltRequest, DialectRun, build_request};
use conformance::vars::Variables;

/// The cargo-fuzz release installed when the machine has none.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The largest single allocation a target may make.
const MALLOC_LIMIT_MB: u32 = 256;
/// The largest the fuzzing process may grow.
const RSS_LIMIT_MB: u32 = 1024;
/// The longest one input may take.
const INPUT_TIMEOUT_SECONDS: u32 = 10;
/// The longest input libFuzzer makes (the kept inputs are longer, and are replayed whole
/// by the tests).
const MAX_INPUT_BYTES: u32 = 16 * 1024;

/// The targets (as in `fuzz/Cargo.toml`) and the conformance folders their seeds come
/// from (`php_vars` and `oauth` take the queries and requests of every folder).
const TARGETS: [(&str, &[&str]); 7] = [
    ("php_vars", &[]),
    ("oauth", &["wc-v2", "wc-v3", "wc-legacy-v3"]),
    ("wc_rest", &["wc-v2", "wc-v3"]),
    ("wc_legacy", &["wc-legacy-v3"]),
    ("edd", &["edd-v1", "edd-v2"]),
    ("easycart", &["easycart-v1"]),
    ("import", &[]),
];

/// Runs the fuzz targets.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask fuzz")]
pub(crate) struct Options {
    /// How long each target runs, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u32,
    /// Run only this target (default: all).
    #[arg(long)]
    pub target: Option<String>,
}

pub(crate) fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let options = Options::parse_from(std::iter::once("cargo xtask fuzz".to_owned()).chain(args));
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("==> fuzz: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Builds every target and runs the chosen ones; fails on the first failing input.
pub(crate) fn run(options: &Options) -> Result<()> {
    let root = crate::conformance::workspace_root();
    let targets: Vec<_> = TARGETS
        .iter()
        .filter(|(name, _)| {
            options
                .target
                .as_deref()
                .is_none_or(|chosen| chosen == *name)
        })
        .collect();
    if targets.is_empty() {
        let names: Vec<_> = TARGETS.iter().map(|(name, _)| *name).collect();
        bail!("no target named so; the targets: {}", names.join(", "));
    }
    ensure_cargo_fuzz()?;
    let started = Instant::now();
    let mut build = cargo_fuzz(&root);
    build.args(["build", "--sanitizer", "none", "--debug-assertions"]);
    if let [(only, _)] = targets.as_slice() {
        build.arg(only);
    }
    check(build.status(), "cargo fuzz build")?;
    eprintln!("==> fuzz: built in {:.0?}", started.elapsed());
    for (name, folders) in targets {
        let corpus = write_corpus(&root, name, folders)?;
        run_target(&root, name, &corpus, options.seconds)?;
    }
    Ok(())
}

/// Installs cargo-fuzz unless `cargo fuzz` already runs.
fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        eprintln!("==> fuzz: installing cargo-fuzz {CARGO_FUZZ_VERSION}");
        let status = Command::new(env!("CARGO"))
            .args([
                "install",
                "--locked",
                "cargo-fuzz",
                "--version",
                CARGO_FUZZ_VERSION,
            ])
            .status();
        check(status, "cargo install cargo-fuzz")?;
    }
    Ok(())
}

/// `cargo fuzz` in the repository, on the stable toolchain.
fn cargo_fuzz(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .arg("fuzz")
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1");
    command
}

fn check(status: std::io::Result<std::process::ExitStatus>, what: &str) -> Result<()> {
    let status = status.with_context(|| format!("{what} could not start"))?;
    anyhow::ensure!(status.success(), "{what} failed ({status})");
    Ok(())
}

/// Runs one target for `seconds`; on a failing input, keeps it and fails.
fn run_target(root: &Path, name: &str, corpus: &Path, seconds: u32) -> Result<()> {
    let artifacts = root.join("fuzz/artifacts").join(name);
    std::fs::create_dir_all(&artifacts)?;
    let output = cargo_fuzz(root)
        .args(["run", "--sanitizer", "none", "--debug-assertions", name])
        .arg(corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-malloc_limit_mb={MALLOC_LIMIT_MB}"))
        .arg(format!("-max_len={MAX_INPUT_BYTES}"))
        .arg("-print_final_stats=1")
        .stderr(Stdio::piped())
        .output()
        .context("cargo fuzz run could not start")?;
    let log = String::from_utf8_lossy(&output.stderr);
    let stat = |key: &str| {
        log.lines()
            .find_map(|line| line.strip_prefix(&format!("stat::{key}:")))
            .map_or("?", str::trim)
            .to_owned()
    };
    eprintln!(
        "==> fuzz: {name}: {} runs, {} new inputs, corpus {} files, peak {} MB",
        stat("number_of_executed_units"),
        stat("new_units_added"),
        files_in(corpus).len(),
        stat("peak_rss_mb"),
    );
    if output.status.success() {
        return Ok(());
    }
    eprintln!("{log}");
    let kept = root.join("fixtures/fuzz").join(name);
    std::fs::create_dir_all(&kept)?;
    let mut copied = Vec::new();
    // libFuzzer names the input it stopped at: "Test unit written to <path>".
    for found in log.lines().filter_map(|line| {
        line.split_once("Test unit written to ")
            .map(|(_, path)| path.trim())
    }) {
        let found = Path::new(found);
        let destination = kept.join(found.file_name().unwrap_or_default());
        std::fs::copy(found, &destination)?;
        copied.push(
            destination
                .strip_prefix(root)
                .unwrap_or(&destination)
                .to_owned(),
        );
    }
    bail!(
        "{name} failed ({}); kept for the regression tests: {copied:?}",
        output.status
    )
}

/// Writes the corpus of `name` afresh: conformance requests of `folders` (every folder
/// for `php_vars`: their query strings and form bodies), small generated data sets for
/// `import` (NDJSON and the same as one document), and the kept inputs.
fn write_corpus(root: &Path, name: &str, folders: &[&str]) -> Result<PathBuf> {
    let corpus = root.join("fuzz/corpus").join(name);
    if corpus.exists() {
        std::fs::remove_dir_all(&corpus)?;
    }
    std::fs::create_dir_all(&corpus)?;
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let conformance = root.join("fixtures/conformance");
    match name {
        "php_vars" => {
            for folder in dialect_folders(&conformance)? {
                for (_, request) in requests(&folder)? {
                    seeds.push(request.query.clone().into_bytes());
                    if let Some(body) = request.body.filter(|body| !body.starts_with(b"{")) {
                        seeds.push(body);
                    }
                }
            }
        }
        "import" => {
            for seed in 1..=3 {
                let ndjson = crate::r#gen::sample(3, 4, seed);
                seeds.push(as_document(&ndjson)?);
                seeds.push(ndjson);
            }
        }
        _ => {
            for folder in folders {
                for (method, request) in requests(&conformance.join(folder))? {
                    seeds.push(exchange(&method, &request));
                }
            }
        }
    }
    for file in files_in(&root.join("fixtures/fuzz").join(name)) {
        seeds.push(std::fs::read(file)?);
    }
    seeds.sort();
    seeds.dedup();
    for (index, seed) in seeds.iter().enumerate() {
        std::fs::write(corpus.join(format!("seed-{index:04}")), seed)?;
    }
    Ok(corpus)
}

fn dialect_folders(conformance: &Path) -> Result<Vec<PathBuf>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(conformance)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    Ok(folders)
}

/// Every request of the cases of `folder` that can be built without a server: keys are
/// made up, and values captured from earlier answers are a plausible id.
fn requests(folder: &Path) -> Result<Vec<(String, BuiltRequest)>> {
    let mut built = Vec::new();
    for file in CaseFile::load_dir(folder)? {
        let text = std::fs::read_to_string(&file.path)?;
        let mut vars = Variables::default();
        for name in text
            .split("{{$")
            .skip(1)
            .filter_map(|rest| rest.split_once("}}"))
        {
            vars.set(name.0, serde_json::json!(7));
        }
        for (name, value) in [
            ("wc_ck", "ck_0123456789abcdef0123456789abcdef01234567"),
            ("wc_cs", "cs_0123456789abcdef0123456789abcdef01234567"),
            ("wc_read_ck", "ck_1123456789abcdef0123456789abcdef01234567"),
            ("wc_read_cs", "cs_1123456789abcdef0123456789abcdef01234567"),
            ("wc_write_ck", "ck_2123456789abcdef0123456789abcdef01234567"),
            ("wc_write_cs", "cs_2123456789abcdef0123456789abcdef01234567"),
            ("edd_key", "0123456789abcdef0123456789abcdef"),
            ("edd_token", "fedcba9876543210fedcba9876543210"),
            ("bearer_token", "ec_0123456789abcdef"),
        ] {
            vars.set(name, serde_json::json!(value));
        }
        let run = DialectRun::new("https://shop.example.com", vars);
        for step in &file.case.steps {
            let method = &step.request.method;
            if let Ok(request) = build_request(&run, method, &step.request) {
                built.push((method.clone(), request));
            }
        }
    }
    Ok(built)
}

/// A built request as the small HTTP message the request targets read.
fn exchange(method: &str, request: &BuiltRequest) -> Vec<u8> {
    let mut bytes = format!("{method} {}\n", request.target()).into_bytes();
    for (name, value) in &request.headers {
        bytes.extend_from_slice(format!("{}: {value}\n", name.to_ascii_lowercase()).as_bytes());
    }
    bytes.push(b'\n');
    bytes.extend_from_slice(request.body.as_deref().unwrap_or_default());
    bytes
}

/// An NDJSON data set as one JSON document: `{"products": […], "customers": […], …}`.
fn as_document(ndjson: &[u8]) -> Result<Vec<u8>> {
    let mut document = serde_json::Map::new();
    for line in ndjson
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
    {
        let mut record: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line)?;
        let kind = record
            .remove("type")
            .and_then(|kind| kind.as_str().map(str::to_owned))
            .context("an NDJSON record without a type")?;
        let list = document
            .entry(format!("{kind}s"))
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(items) = list {
            items.push(serde_json::Value::Object(record));
        }
    }
    Ok(serde_json::to_vec(&document)?)
}

fn files_and_folders(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect()
}

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = files_and_folders(folder)
        .into_iter()
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}
