//! What a run prints: one table row per dialect, then every failed step with its
//! differences, and `--update`'s rewriting of expectations.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use conformance::ordered::Value;
use conformance::replay::CaseReport;

/// The result of one dialect folder.
#[derive(Debug)]
pub(crate) struct DialectResult {
    pub(crate) slug: String,
    pub(crate) cases: Vec<CaseReport>,
    /// Why the cases could not run (bad case file, server did not start).
    pub(crate) error: Option<String>,
    /// Cases that exist but could not run because of `error`; they count as failed.
    pub(crate) not_run: usize,
    /// The end of our server's log, kept when a step failed on the server's side.
    pub(crate) server_log: Option<String>,
}

impl DialectResult {
    pub(crate) fn passed(&self) -> usize {
        self.cases.iter().filter(|case| case.passed()).count()
    }

    pub(crate) fn total(&self) -> usize {
        self.cases.len() + self.not_run
    }

    pub(crate) fn failed(&self) -> usize {
        self.total() - self.passed()
    }

    pub(crate) fn ok(&self) -> bool {
        self.error.is_none() && self.failed() == 0
    }
}

/// `dialect | cases | passed | failed`, one row per dialect and a total.
pub(crate) fn table(results: &[DialectResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.slug.len())
        .chain([7])
        .max()
        .unwrap_or(7);
    let mut out = String::new();
    let _ = writeln!(out, "{:<width$} | cases | passed | failed", "dialect");
    let _ = writeln!(out, "{}-|-------|--------|-------", "-".repeat(width));
    for result in results {
        let _ = write!(
            out,
            "{:<width$} | {:>5} | {:>6} | {:>6}",
            result.slug,
            result.total(),
            result.passed(),
            result.failed()
        );
        if result.error.is_some() {
            out.push_str("  (could not run: see below)");
        }
        out.push('\n');
    }
    let total = |f: fn(&DialectResult) -> usize| results.iter().map(f).sum::<usize>();
    let _ = writeln!(
        out,
        "{:<width$} | {:>5} | {:>6} | {:>6}",
        "total",
        total(DialectResult::total),
        total(DialectResult::passed),
        total(DialectResult::failed)
    );
    out
}

/// The closing line, in the plain form test-result readers recognise:
/// `conformance: N passed, N failed`.
pub(crate) fn summary_line(results: &[DialectResult]) -> String {
    let passed: usize = results.iter().map(DialectResult::passed).sum();
    let failed: usize = results.iter().map(DialectResult::failed).sum();
    format!("conformance: {passed} passed, {failed} failed")
}

/// Every dialect error and failed step, readable on a terminal.
pub(crate) fn failures(results: &[DialectResult]) -> String {
    let mut out = String::new();
    for result in results {
        if let Some(error) = &result.error {
            let _ = writeln!(
                out,
                "\nERROR {}: {}",
                result.slug,
                indent(error, "  ").trim_start()
            );
        }
        for case in result.cases.iter().filter(|case| !case.passed()) {
            let _ = writeln!(
                out,
                "\nFAIL {}: {}",
                short_path(&case.path),
                case.description
            );
            if let Some(source) = &case.source {
                let _ = writeln!(out, "  source: {source}");
            }
            for (index, step) in case.steps.iter().enumerate() {
                let Some(failure) = &step.failure else {
                    continue;
                };
                let _ = writeln!(out, "  step {}: {}", index + 1, step.request_line);
                if let Some(error) = &failure.error {
                    let _ = writeln!(out, "    error: {error}");
                }
                for mismatch in &failure.mismatches {
                    let _ = writeln!(out, "    {mismatch}");
                }
                if let Some(diff) = &failure.diff {
                    out.push_str(&indent(diff, "    "));
                }
                if let Some(body) = &failure.body_excerpt {
                    let _ = writeln!(out, "    actual body:");
                    out.push_str(&indent(body, "      "));
                }
            }
            if case.skipped > 0 {
                let _ = writeln!(out, "  ({} later step(s) not run)", case.skipped);
            }
        }
        if let Some(log) = &result.server_log {
            let _ = writeln!(out, "\nserver log of {} (last lines):", result.slug);
            out.push_str(&indent(log, "  "));
        }
    }
    out
}

/// `<slug>/<file>` of a case path.
fn short_path(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path.parent().and_then(Path::file_name) {
        Some(folder) => format!("{}/{file}", folder.to_string_lossy()),
        None => file,
    }
}

fn indent(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let _ = writeln!(out, "{prefix}{line}");
    }
    out
}

/// Writes the `--update` expectations of failed steps into their case files. Returns how
/// many steps were rewritten.
pub(crate) fn apply_updates(results: &[DialectResult]) -> Result<usize> {
    let mut rewritten = 0;
    for case in results.iter().flat_map(|result| &result.cases) {
        let updates: Vec<(usize, &Value)> = case
            .steps
            .iter()
            .enumerate()
            .filter_map(|(index, step)| {
                Some((index, step.failure.as_ref()?.updated_json.as_ref()?))
            })
            .collect();
        if updates.is_empty() {
            continue;
        }
        let text = fs::read_to_string(&case.path)?;
        let mut document = Value::parse(&text)
            .with_context(|| format!("cannot re-read {}", case.path.display()))?;
        for (index, json) in &updates {
            let Some(Value::Array(steps)) = document.get_mut("steps") else {
                anyhow::bail!("{} has no steps any more", case.path.display());
            };
            let expect = steps
                .get_mut(*index)
                .and_then(|step| step.get_mut("expect"))
                .and_then(|expect| expect.get_mut("json"))
                .with_context(|| {
                    format!(
                        "{}: step {} changed during the run",
                        case.path.display(),
                        index + 1
                    )
                })?;
            *expect = (*json).clone();
        }
        fs::write(&case.path, document.to_pretty())?;
        eprintln!(
            "updated {} step(s) of {}",
            updates.len(),
            short_path(&case.path)
        );
        rewritten += updates.len();
    }
    Ok(rewritten)
}
