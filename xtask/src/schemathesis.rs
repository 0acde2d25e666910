//! `cargo xtask schemathesis`: every dialect's OpenAPI document, validated with
//! `openapi-spec-validator` and then run by schemathesis against a live server with
//! every phase and the checks of [`CHECKS`].
//!
//! Both tools come from PyPI at pinned versions, installed by the task into a virtual
//! environment under `target/` (python3 with `venv` and pip is all it needs). Each
//! dialect gets the server `cargo xtask conformance` starts for its folder (the README's
//! keys, `setup.json` imported, `--trust-proxy`), and schemathesis authenticates the way
//! the document's security schemes say: WooCommerce with HTTP Basic and
//! `X-Forwarded-Proto: https`, EDD with `key` and `token`, easycart with a bearer token.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use conformance::SLUGS;
use conformance::vars::Variables;

use crate::conformance::server;

/// The tools, pinned so that a run is repeatable.
const PACKAGES: [&str; 2] = ["schemathesis==4.32.5", "openapi-spec-validator==0.9.0"];

/// Every phase schemathesis has.
const PHASES: &str = "examples,coverage,fuzzing,stateful";

/// The checks every answer goes through.
pub(crate) const CHECKS: [&str; 8] = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
];

/// The hooks module: `positive_data_acceptance` with the originals' refusals of valid
/// requests that depend on stored data or on a rule between two parameters let through
/// (`clientele_positive_data_acceptance`), and `negative_data_rejection` without the
/// queries that repeat a key, of which PHP reads the last value only
/// (`clientele_negative_data_rejection`).
const HOOKS: &str = include_str!("../schemathesis/clientele_hooks.py");

/// The checks run for `slug`: [`CHECKS`], with `positive_data_acceptance` and
/// `negative_data_rejection` as the hooks module refines them, and without
/// `unsupported_method` where the original answers a method it does not serve otherwise
/// than with 405 (WordPress `404 rest_no_route`, wc-api/v3 `400
/// woocommerce_api_unsupported_method`, EDD the same answer to any method; each dialect's
/// page lists this).
pub(crate) fn checks_for(slug: &str) -> Vec<&'static str> {
    CHECKS
        .iter()
        .filter(|check| **check != "unsupported_method" || slug == "easycart-v1")
        .map(|check| match *check {
            "positive_data_acceptance" => "clientele_positive_data_acceptance",
            "negative_data_rejection" => "clientele_negative_data_rejection",
            other => other,
        })
        .collect()
}

/// Runs schemathesis against every dialect's document.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask schemathesis")]
pub(crate) struct Options {
    /// Only this dialect (wc-v3, wc-v2, wc-legacy-v3, edd-v1, edd-v2, easycart-v1).
    #[arg(long, value_name = "SLUG")]
    pub(crate) dialect: Option<String>,
    /// Seconds of testing per dialect (fuzzing and stateful testing repeat until spent).
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub(crate) max_time: u32,
    /// The random seed, for a repeatable run.
    #[arg(long, default_value_t = 17)]
    pub(crate) seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self::parse_from(["cargo xtask schemathesis"])
    }
}

/// Entry point for `cargo xtask schemathesis [ARGS]`.
pub(crate) fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let options =
        Options::parse_from(std::iter::once("cargo xtask schemathesis".to_owned()).chain(args));
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("schemathesis: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Validates and runs the documents; `Ok(false)` when schemathesis found anything.
pub(crate) fn run(options: &Options) -> Result<bool> {
    let root = crate::conformance::workspace_root();
    let slugs: Vec<&str> = match &options.dialect {
        Some(slug) if SLUGS.contains(&slug.as_str()) => vec![slug.as_str()],
        Some(slug) => bail!(
            "unknown dialect `{slug}`; the dialects are {}",
            SLUGS.join(", ")
        ),
        None => SLUGS.to_vec(),
    };
    let venv = install_tools(&root)?;
    let clientele = server::build_clientele(&root)?;
    let scratch = tempfile::Builder::new().prefix("schemathesis-").tempdir()?;
    fs::write(scratch.path().join("clientele_hooks.py"), HOOKS)?;
    let mut all_passed = true;
    let mut summary = Vec::new();
    for slug in slugs {
        let started = Instant::now();
        let folder = root.join("fixtures").join("conformance").join(slug);
        let (server, vars) = server::start(clientele.path(), &folder, server::Backend::Sqlite)?;
        let base = server.base_url().to_owned();
        let document = scratch.path().join(format!("{slug}.json"));
        let text = ureq::get(&format!("{base}/openapi/{slug}.json"))
            .call()
            .with_context(|| format!("GET /openapi/{slug}.json"))?
            .body_mut()
            .read_to_string()?;
        fs::write(&document, text)?;
        eprintln!("==> {slug}: openapi-spec-validator");
        let validated = Command::new(venv.join("bin").join("openapi-spec-validator"))
            .arg(&document)
            .status()
            .context("cannot run openapi-spec-validator")?;
        if !validated.success() {
            all_passed = false;
            summary.push(format!("{slug}: the document is not valid OpenAPI"));
            continue;
        }
        let config = scratch.path().join(format!("{slug}.toml"));
        fs::write(&config, config_file(slug, &vars)?)?;
        eprintln!(
            "==> {slug}: schemathesis, {PHASES}, {} seconds",
            options.max_time
        );
        let mut command = Command::new(venv.join("bin").join("schemathesis"));
        command
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(format!("{base}/openapi/{slug}.json"))
            .args(["--url", &base, "--phases", PHASES])
            .args(["--checks", &checks_for(slug).join(",")])
            .args(["--max-time", &options.max_time.to_string()])
            .args(["--seed", &options.seed.to_string()])
            .args(["--report", "ndjson", "--report-dir"])
            .arg(scratch.path().join(slug))
            .args(["--warnings", "off", "--no-color"])
            .current_dir(scratch.path())
            .env("SCHEMATHESIS_HOOKS", "clientele_hooks")
            .env("PYTHONPATH", scratch.path())
            .stdin(Stdio::null());
        if slug.starts_with("wc-") {
            command.args(["--header", "X-Forwarded-Proto: https"]);
        }
        let output = command.output().context("cannot run schemathesis")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = summary_line(&stdout);
        print!("{}", summary_section(&stdout));
        let seconds = started.elapsed().as_secs();
        if output.status.success() {
            summary.push(format!("{slug}: passed, {line} ({seconds} s)"));
        } else {
            all_passed = false;
            print!("{stdout}");
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            eprintln!("server log:\n{}", server.log_tail());
            summary.push(format!("{slug}: FAILED, {line} ({seconds} s)"));
        }
    }
    for line in &summary {
        println!("{line}");
    }
    Ok(all_passed)
}

/// The venv with the pinned tools, installed when missing or at other versions.
fn install_tools(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target").join("schemathesis-venv");
    let python = venv.join("bin").join("python");
    let installed = Command::new(&python)
        .args(["-m", "pip", "freeze"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).to_lowercase())
        .unwrap_or_default();
    if PACKAGES.iter().all(|package| installed.contains(package)) {
        return Ok(venv);
    }
    eprintln!(
        "==> installing {} into {}",
        PACKAGES.join(" "),
        venv.display()
    );
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("cannot run python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv failed ({status})");
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES)
        .status()
        .context("cannot run pip")?;
    if !status.success() {
        bail!("pip install {} failed ({status})", PACKAGES.join(" "));
    }
    Ok(venv)
}

/// schemathesis's configuration: the credentials of the dialect's security schemes, and
/// the statuses the originals answer that a check must take (WooCommerce's 501 to a
/// `DELETE` without `force=true` is its own answer, not a server error).
fn config_file(slug: &str, vars: &Variables) -> Result<String> {
    let mut text = auth_config(slug, vars)?;
    if slug == "wc-v3" || slug == "wc-v2" {
        // WooCommerce answers a delete without `force=true` with 501: neither customers
        // nor webhooks have a trash.
        for operation in ["deleteCustomer", "deleteWebhook"] {
            text.push_str(&format!(
                "\n[[operations]]\ninclude-operation-id = \"{operation}\"\n\
                 checks.not_a_server_error.expected-statuses = [\"2xx\", \"3xx\", \"4xx\", \"501\"]\n"
            ));
        }
    }
    Ok(text)
}

/// The `[auth]` section: the credentials of the dialect's security schemes.
fn auth_config(slug: &str, vars: &Variables) -> Result<String> {
    let text = |name: &str| vars.text(name).map_err(anyhow::Error::msg);
    Ok(match slug {
        "wc-v3" | "wc-v2" | "wc-legacy-v3" => format!(
            "[auth.openapi.basic]\nusername = \"{}\"\npassword = \"{}\"\n",
            text("wc_ck")?,
            text("wc_cs")?
        ),
        "edd-v1" | "edd-v2" => format!(
            "[auth.openapi.key]\napi_key = \"{}\"\n\n[auth.openapi.token]\napi_key = \"{}\"\n",
            text("edd_key")?,
            text("edd_token")?
        ),
        _ => format!(
            "[auth.openapi.bearer]\nbearer = \"{}\"\n",
            text("bearer_token")?
        ),
    })
}

/// schemathesis's summary section, from its `SUMMARY` heading on.
fn summary_section(stdout: &str) -> &str {
    stdout.find("SUMMARY").map_or("", |start| {
        &stdout[stdout[..start].rfind('\n').map_or(0, |i| i + 1)..]
    })
}

/// schemathesis's last summary lines (test cases and failures), in one line.
fn summary_line(stdout: &str) -> String {
    let lines: Vec<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|line| {
            line.starts_with("Test cases:")
                || line.starts_with("Operations:")
                || line.contains("passed in")
                || line.contains("failed in")
        })
        .collect();
    if lines.is_empty() {
        "no summary".to_owned()
    } else {
        lines.join("; ")
    }
}
