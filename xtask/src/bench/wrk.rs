//! The load generator: `wrk`, its request scripts and its report.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::{BenchPath, Measurement};

/// The `wrk` executable: from `PATH`, or installed from the distribution's packages.
pub(crate) fn ensure_installed() -> Result<PathBuf> {
    if let Some(found) = find_in_path("wrk") {
        return Ok(found);
    }
    eprintln!("==> wrk is missing: installing it with apt-get");
    let status = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .status()
        .context("cannot run apt-get (install wrk by hand)")?;
    if !status.success() {
        bail!("apt-get install -y wrk failed ({status}); install wrk by hand");
    }
    find_in_path("wrk").context("wrk is still not on PATH")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Writes the Lua script of `path` for one run, when it needs one: a `POST` whose body
/// carries a number unique to the request (per round, connection count and thread).
pub(crate) fn script(
    folder: &Path,
    path: &BenchPath,
    round: usize,
    connections: u32,
) -> Result<Option<PathBuf>> {
    let Some(template) = &path.post else {
        return Ok(None);
    };
    let file = folder.join(format!("post-{round}-{connections}.lua"));
    let unique = format!("{}-r{round}c{connections}", std::process::id());
    fs::write(
        &file,
        format!(
            r#"local template = [[{template}]]
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local n = "{unique}t" .. tid .. "n" .. counter
  local body = string.gsub(template, "{{n}}", n)
  return wrk.format("POST", nil, nil, body)
end
"#
        ),
    )?;
    Ok(Some(file))
}

/// Runs `wrk` against `base_url` and reads its report.
pub(crate) fn run(
    wrk: &Path,
    base_url: &str,
    path: &BenchPath,
    script: &Option<PathBuf>,
    connections: u32,
    seconds: u64,
) -> Result<Measurement> {
    let threads = connections.clamp(1, 2);
    let mut command = Command::new(wrk);
    command
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg("--timeout")
        .arg("10s");
    for (name, value) in &path.headers {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    command.arg(format!("{base_url}{}", path.target));
    let output = command
        .stdin(Stdio::null())
        .output()
        .context("cannot run wrk")?;
    let report = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {report}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&report).with_context(|| format!("cannot read the report of wrk:\n{report}"))
}

/// A duration of wrk's report (`560.00us`, `1.23ms`, `2.00s`, `1.00m`) in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(number * factor)
}

/// Reads requests per second, the 50th and 99th latency percentiles and the failed
/// requests (non-2xx/3xx answers and socket errors) from a `wrk --latency` report.
pub(crate) fn parse(report: &str) -> Option<Measurement> {
    let mut measurement = Measurement::default();
    let mut seen_rate = false;
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => measurement.p50_ms = millis(value)?,
            ["99%", value] => measurement.p99_ms = millis(value)?,
            ["Requests/sec:", value] => {
                measurement.requests_per_sec = value.parse().ok()?;
                seen_rate = true;
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                measurement.errors += count.parse::<u64>().ok()?;
            }
            ["Socket", "errors:", rest @ ..] => {
                measurement.errors += rest
                    .iter()
                    .filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    seen_rate.then_some(measurement)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 2s test @ http://127.0.0.1:41000/wp-json/wc/v3/customers/2
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms    2.00ms  30.00ms   90.00%
    Req/Sec    20.00k     1.00k   22.00k    70.00%
  Latency Distribution
     50%  560.00us
     75%    1.00ms
     90%    2.00ms
     99%    1.05s
  80000 requests in 2.00s, 100.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  40000.50
Transfer/sec:     50.00MB
";

    #[test]
    fn a_report_is_read() {
        let measurement = parse(REPORT).unwrap();
        assert_eq!(measurement.requests_per_sec, 40000.5);
        assert!((measurement.p50_ms - 0.56).abs() < 1e-9);
        assert_eq!(measurement.p99_ms, 1050.0);
        assert_eq!(measurement.errors, 12);
    }

    #[test]
    fn a_report_without_a_rate_is_refused() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused\n").is_none());
        assert!(parse(&REPORT.replace("99%    1.05s", "99%    1.05parsecs")).is_none());
    }

    #[test]
    fn post_scripts_number_every_request() {
        let folder = tempfile::tempdir().unwrap();
        let mut path = BenchPath {
            name: "create".into(),
            target: "/c".into(),
            headers: Vec::new(),
            post: None,
        };
        assert!(script(folder.path(), &path, 0, 4).unwrap().is_none());
        path.post = Some(r#"{"email":"b-{n}@example.com"}"#.into());
        let file = script(folder.path(), &path, 1, 4).unwrap().unwrap();
        let lua = fs::read_to_string(file).unwrap();
        assert!(lua.contains(r#"local template = [[{"email":"b-{n}@example.com"}]]"#));
        assert!(lua.contains(r#"string.gsub(template, "{n}", n)"#));
        assert!(lua.contains("-r1c4t"));
    }
}
