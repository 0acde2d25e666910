//! `cargo xtask bench`: clientele against a bare hyper server that answers the same bytes.
//!
//! Both servers are release builds. clientele serves the demo store (and, with `--large`,
//! a generated store cached between runs); `bare-baseline` serves the answers recorded
//! from clientele for every benchmarked request, so the two send the very same bytes.
//! The load generator is `wrk` (installed from the distribution's packages when missing).
//! Every path runs at every connection count against both servers, interleaved, for
//! several rounds; the median round is reported with the ratio to the bare server.

mod report;
mod wrk;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use clap::Parser;
use serde_json::{Value, json};

pub(crate) use report::{Measurement, Row};

/// Benchmark clientele against a bare hyper server answering the same bytes.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask bench")]
struct BenchArgs {
    /// Only the small (demo) store, short runs: under two minutes.
    #[arg(long)]
    quick: bool,
    /// Also the generated store of `--customers` customers and `--orders` orders.
    #[arg(long, conflicts_with = "quick")]
    large: bool,
    /// Customers of the generated store.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Orders of the generated store.
    #[arg(long, default_value_t = 5_000_000)]
    orders: u64,
    /// Folder for the generated store, kept between runs (default: target/bench-cache).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Seconds per measurement (default: 2 with --quick, 5 otherwise).
    #[arg(long)]
    duration: Option<u64>,
    /// Rounds; each reported figure is the median round (default: 1 with --quick, 3).
    #[arg(long)]
    rounds: Option<usize>,
    /// Connection counts (default: 1,4,50,256).
    #[arg(long, value_delimiter = ',')]
    connections: Option<Vec<u32>>,
    /// Only paths whose name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Measure this clientele executable instead of building one (e.g. an earlier build,
    /// to compare); `bare-baseline` is taken from the same folder.
    #[arg(long)]
    clientele: Option<PathBuf>,
    /// Write every measurement as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `bench` with the arguments after the task name.
pub(crate) fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let args = BenchArgs::parse_from(std::iter::once("bench".to_owned()).chain(args));
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// One benchmarked request.
#[derive(Debug, Clone)]
struct BenchPath {
    /// Short name for the tables.
    name: String,
    /// Path and query.
    target: String,
    headers: Vec<(String, String)>,
    /// A JSON body template for `POST`: `{n}` becomes a number unique to the request.
    post: Option<String>,
}

/// The keys a store was given, one of each kind.
struct Keys {
    basic: String,
    edd_key: String,
    edd_token: String,
    bearer: String,
}

fn run(args: &BenchArgs) -> Result<()> {
    let root = crate::conformance::workspace_root();
    let wrk = wrk::ensure_installed()?;
    let binaries = match &args.clientele {
        Some(clientele) => prebuilt(clientele)?,
        None => build(&root)?,
    };
    let duration = args.duration.unwrap_or(if args.quick { 2 } else { 5 });
    let rounds = args.rounds.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let connections = args
        .connections
        .clone()
        .unwrap_or_else(|| vec![1, 4, 50, 256]);
    let scratch = tempfile::Builder::new().prefix("bench-").tempdir()?;
    let mut rows = Vec::new();

    let small_db = scratch.path().join("small.sqlite3");
    let keys = create_keys(&binaries.clientele, &small_db)?;
    let small = small_paths(&keys);
    rows.extend(measure_store(
        &binaries,
        &wrk,
        &small_db,
        true,
        "demo",
        &select(&small, args.only.as_deref()),
        &connections,
        duration,
        rounds,
        scratch.path(),
    )?);

    if args.large {
        let cache = args
            .cache
            .clone()
            .unwrap_or_else(|| root.join("target/bench-cache"));
        let large_db = prepare_large(&binaries.clientele, &cache, args.customers, args.orders)?;
        let keys = create_keys(&binaries.clientele, &large_db)?;
        let large = large_paths(&keys);
        rows.extend(measure_store(
            &binaries,
            &wrk,
            &large_db,
            false,
            &format!("{}k", args.customers / 1000),
            &select(&large, args.only.as_deref()),
            &connections,
            duration,
            rounds,
            scratch.path(),
        )?);
    }

    let machine = machine();
    println!();
    println!("{}", report::table(&rows));
    println!(
        "{machine}; wrk -t2 (one thread for 1 connection) -d{duration}s --latency; \
         median of {rounds} interleaved round(s)"
    );
    if let Some(path) = &args.json {
        let document = json!({
            "machine": machine,
            "duration_secs": duration,
            "rounds": rounds,
            "rows": rows,
        });
        fs::write(path, serde_json::to_string_pretty(&document)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("==> results written to {}", path.display());
    }
    Ok(())
}

fn select(paths: &[BenchPath], only: Option<&str>) -> Vec<BenchPath> {
    paths
        .iter()
        .filter(|path| only.is_none_or(|only| path.name.contains(only)))
        .cloned()
        .collect()
}

/// Release executables, copied so that a rebuild elsewhere cannot change them mid-run.
struct Binaries {
    clientele: PathBuf,
    bare: PathBuf,
    _dir: tempfile::TempDir,
}

fn build(root: &Path) -> Result<Binaries> {
    eprintln!("==> building clientele and bare-baseline (release)");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--package",
            "clientele",
            "--package",
            "bare-baseline",
        ])
        .current_dir(root)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("release");
    let dir = tempfile::Builder::new().prefix("bench-bin-").tempdir()?;
    let copy = |name: &str| -> Result<PathBuf> {
        let to = dir.path().join(name);
        fs::copy(target.join(name), &to)
            .with_context(|| format!("cannot copy {}", target.join(name).display()))?;
        Ok(to)
    };
    Ok(Binaries {
        clientele: copy("clientele")?,
        bare: copy("bare-baseline")?,
        _dir: dir,
    })
}

/// Copies of a prebuilt `clientele` and the `bare-baseline` beside it.
fn prebuilt(clientele: &Path) -> Result<Binaries> {
    let folder = clientele.parent().context("the executable has no folder")?;
    let dir = tempfile::Builder::new().prefix("bench-bin-").tempdir()?;
    let copy = |from: &Path, name: &str| -> Result<PathBuf> {
        let to = dir.path().join(name);
        fs::copy(from, &to).with_context(|| format!("cannot copy {}", from.display()))?;
        Ok(to)
    };
    Ok(Binaries {
        clientele: copy(clientele, "clientele")?,
        bare: copy(&folder.join("bare-baseline"), "bare-baseline")?,
        _dir: dir,
    })
}

/// Creates one key of each kind in the database at `db` (creating it when missing).
fn create_keys(clientele: &Path, db: &Path) -> Result<Keys> {
    let create = |kind: &str| -> Result<Value> {
        let output = Command::new(clientele)
            .args(["keys", "create", "--kind", kind, "--description", "bench"])
            .arg("--db")
            .arg(db)
            .stdin(Stdio::null())
            .output()
            .context("cannot run clientele keys create")?;
        if !output.status.success() {
            bail!(
                "clientele keys create --kind {kind} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let text = |value: &Value, field: &str| -> Result<String> {
        value[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no `{field}` in {value}"))
    };
    let woo = create("woocommerce")?;
    let edd = create("edd")?;
    let bearer = create("bearer")?;
    let credentials = format!(
        "{}:{}",
        text(&woo, "consumer_key")?,
        text(&woo, "consumer_secret")?
    );
    Ok(Keys {
        basic: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        ),
        edd_key: text(&edd, "key")?,
        edd_token: text(&edd, "token")?,
        bearer: text(&bearer, "token")?,
    })
}

fn woo_headers(keys: &Keys) -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), keys.basic.clone()),
        // Basic auth is accepted over https only; the server trusts the proxy header.
        ("X-Forwarded-Proto".into(), "https".into()),
    ]
}

fn path(name: &str, target: String, headers: Vec<(String, String)>) -> BenchPath {
    BenchPath {
        name: name.into(),
        target,
        headers,
        post: None,
    }
}

/// The paths measured on the demo store (200 customers).
fn small_paths(keys: &Keys) -> Vec<BenchPath> {
    let woo = woo_headers(keys);
    let bearer = vec![("Authorization".into(), format!("Bearer {}", keys.bearer))];
    let edd = format!("key={}&token={}", keys.edd_key, keys.edd_token);
    let mut create = path("wc/v3 POST create", "/wp-json/wc/v3/customers".into(), {
        let mut headers = woo.clone();
        headers.push(("Content-Type".into(), "application/json".into()));
        headers
    });
    create.post = Some(r#"{"email":"bench-{n}@example.com","first_name":"Bench"}"#.into());
    vec![
        path(
            "wc/v3 GET one",
            "/wp-json/wc/v3/customers/2".into(),
            woo.clone(),
        ),
        path(
            "wc/v3 list 10",
            "/wp-json/wc/v3/customers?per_page=10".into(),
            woo.clone(),
        ),
        path(
            "wc/v3 search",
            "/wp-json/wc/v3/customers?search=smith&per_page=10".into(),
            woo.clone(),
        ),
        path(
            "wc-api/v3 list 10",
            "/wc-api/v3/customers?filter%5Blimit%5D=10".into(),
            woo.clone(),
        ),
        path(
            "edd v2 list 10",
            format!("/edd-api/v2/customers/?{edd}&number=10"),
            Vec::new(),
        ),
        path(
            "easycart list 20",
            "/api/v1/customers?currency=usd&per_page=20".into(),
            bearer,
        ),
        // Last: it grows the store the other paths read.
        create,
    ]
}

/// The paths measured on the generated store.
fn large_paths(keys: &Keys) -> Vec<BenchPath> {
    let woo = woo_headers(keys);
    let bearer = vec![("Authorization".into(), format!("Bearer {}", keys.bearer))];
    let edd = format!("key={}&token={}", keys.edd_key, keys.edd_token);
    vec![
        // A registered customer of the generated data: every fifth is a guest (500,000
        // among them), which wc/v3 answers 404 as WooCommerce does.
        path(
            "1M wc/v3 GET one",
            "/wp-json/wc/v3/customers/500001".into(),
            woo.clone(),
        ),
        path(
            "1M wc/v3 list 100",
            "/wp-json/wc/v3/customers?per_page=100".into(),
            woo.clone(),
        ),
        path(
            "1M wc/v3 search common",
            "/wp-json/wc/v3/customers?search=smith".into(),
            woo.clone(),
        ),
        path(
            "1M wc/v3 search rare",
            "/wp-json/wc/v3/customers?search=xqzw".into(),
            woo.clone(),
        ),
        path(
            "1M wc-api/v3 list",
            "/wc-api/v3/customers?filter%5Blimit%5D=10".into(),
            woo,
        ),
        path(
            "1M edd v2 list 10",
            format!("/edd-api/v2/customers/?{edd}&number=10"),
            Vec::new(),
        ),
        path(
            "1M easycart window",
            "/api/v1/customers?currency=usd&created_from=2024-01-01&created_to=2024-12-31".into(),
            bearer,
        ),
    ]
}

/// A running server, killed when dropped.
struct Running {
    child: Child,
    base_url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Resident memory of the server process, KiB (Linux; 0 elsewhere).
    fn rss_kib(&self) -> u64 {
        let status =
            fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn wait_ready(server: &mut Running, probe: &str) -> Result<()> {
    let agent = agent();
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited ({status}) before answering");
        }
        if let Ok(response) = agent.get(format!("{}{probe}", server.base_url)).call()
            && response.status().as_u16() < 500
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the server does not answer {probe}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start_clientele(clientele: &Path, db: &Path, demo: bool, log: &Path) -> Result<Running> {
    let port = free_port()?;
    let log = fs::File::create(log)?;
    let mut command = Command::new(clientele);
    command
        .args([
            "serve",
            "--trust-proxy",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if demo {
        command.arg("--demo");
    }
    let mut server = Running {
        child: command.spawn().context("cannot start clientele serve")?,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&mut server, "/healthz")?;
    Ok(server)
}

fn start_bare(bare: &Path, responses: &Path) -> Result<Running> {
    let port = free_port()?;
    let mut server = Running {
        child: Command::new(bare)
            .arg(format!("127.0.0.1:{port}"))
            .arg(responses)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start bare-baseline")?,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&mut server, "/")?;
    Ok(server)
}

/// Records clientele's answer to every path, for the bare server to repeat.
fn record(server: &Running, paths: &[BenchPath]) -> Result<Value> {
    let agent = agent();
    let mut recorded = Vec::new();
    for path in paths {
        let url = format!("{}{}", server.base_url, path.target);
        let method = if path.post.is_some() { "POST" } else { "GET" };
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in &path.headers {
            builder = builder.header(name, value);
        }
        let mut response = match &path.post {
            Some(body) => agent.run(builder.body(body.replace("{n}", "recorded"))?)?,
            None => agent.run(builder.body(())?)?,
        };
        let status = response.status().as_u16();
        if status >= 400 {
            bail!("{method} {} answers {status}", path.target);
        }
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            // hyper writes these itself.
            .filter(|(name, _)| {
                !matches!(
                    name.as_str(),
                    "date" | "content-length" | "transfer-encoding" | "connection"
                )
            })
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.body_mut().read_to_string()?;
        recorded.push(json!({
            "target": path.target,
            "status": status,
            "headers": headers,
            "body": body,
        }));
    }
    Ok(Value::Array(recorded))
}

#[allow(clippy::too_many_arguments)]
fn measure_store(
    binaries: &Binaries,
    wrk: &Path,
    db: &Path,
    demo: bool,
    store: &str,
    paths: &[BenchPath],
    connections: &[u32],
    duration: u64,
    rounds: usize,
    scratch: &Path,
) -> Result<Vec<Row>> {
    eprintln!("==> starting clientele on the {store} store");
    let clientele = start_clientele(
        &binaries.clientele,
        db,
        demo,
        &scratch.join(format!("{store}.log")),
    )?;
    let responses = scratch.join(format!("{store}-responses.json"));
    fs::write(&responses, serde_json::to_vec(&record(&clientele, paths)?)?)?;
    let bare = start_bare(&binaries.bare, &responses)?;
    let scripts = scratch.join("scripts");
    fs::create_dir_all(&scripts)?;

    // (path, connections) -> rounds of (clientele, bare).
    let mut samples: BTreeMap<(usize, u32), Vec<(Measurement, Measurement)>> = BTreeMap::new();
    for round in 0..rounds {
        for (index, path) in paths.iter().enumerate() {
            for &conns in connections {
                let script = wrk::script(&scripts, path, round, conns)?;
                let ours = wrk::run(wrk, &clientele.base_url, path, &script, conns, duration)?;
                let ours = Measurement {
                    rss_kib: clientele.rss_kib(),
                    ..ours
                };
                let theirs = wrk::run(wrk, &bare.base_url, path, &script, conns, duration)?;
                eprintln!(
                    "    round {} {:<24} c={conns:<4} clientele {:>9.0} req/s p99 {:>8.2} ms | bare {:>9.0} req/s",
                    round + 1,
                    path.name,
                    ours.requests_per_sec,
                    ours.p99_ms,
                    theirs.requests_per_sec
                );
                samples
                    .entry((index, conns))
                    .or_default()
                    .push((ours, theirs));
            }
        }
    }
    Ok(samples
        .into_iter()
        .map(|((index, conns), rounds)| Row::median(store, &paths[index].name, conns, rounds))
        .collect())
}

/// Generates (once) and imports (once) the large store into `cache`.
fn prepare_large(clientele: &Path, cache: &Path, customers: u64, orders: u64) -> Result<PathBuf> {
    fs::create_dir_all(cache)?;
    let db = cache.join(format!("store-{customers}-{orders}.sqlite3"));
    if db.exists() {
        eprintln!("==> using the cached store {}", db.display());
        return Ok(db);
    }
    let data = cache.join(format!("data-{customers}-{orders}.ndjson"));
    if !data.exists() {
        eprintln!("==> generating {customers} customers and {orders} orders");
        let partial = data.with_extension("partial");
        let status = Command::new(env!("CARGO"))
            .args(["xtask", "gen", "--customers"])
            .arg(customers.to_string())
            .arg("--orders")
            .arg(orders.to_string())
            .arg("--out")
            .arg(&partial)
            .status()?;
        if !status.success() {
            bail!("cargo xtask gen failed ({status})");
        }
        fs::rename(&partial, &data)?;
    }
    eprintln!("==> importing {} (once; cached)", data.display());
    let partial = cache.join("store.partial.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let started = Instant::now();
    let mut child = Command::new(clientele)
        .arg("import")
        .arg("--db")
        .arg(&partial)
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            eprintln!("    {}", line?);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("clientele import failed ({status})");
    }
    eprintln!("    imported in {:.0?}", started.elapsed());
    fs::rename(&partial, &db)?;
    for suffix in ["-wal", "-shm"] {
        let from = format!("{}{suffix}", partial.display());
        if Path::new(&from).exists() {
            fs::rename(&from, format!("{}{suffix}", db.display()))?;
        }
    }
    Ok(db)
}

/// The machine, in one line: CPU model, cores, memory.
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    format!("{model}, {cores} cores, {mem_gib} GiB")
}
