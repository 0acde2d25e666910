//! A `clientele serve` of our own for one dialect: a fresh database in a temporary
//! folder, the keys of the README table, `setup.json` imported, a free loopback port.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use conformance::setup::{KEYS, SERVE_ARGS, server_args};
use conformance::vars::Variables;

use super::client::Client;

/// How long a server may take to answer `/healthz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A private copy of the `clientele` executable.
///
/// Worktrees that share one cargo target directory rebuild the same executable path, so
/// the runner copies it right after building: every server of a run is the same build.
pub(crate) struct Clientele {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Clientele {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Builds `clientele` and takes a private copy of the executable.
pub(crate) fn build_clientele(workspace: &Path) -> Result<Clientele> {
    eprintln!("==> building clientele");
    let mut child = Command::new(env!("CARGO"))
        .args([
            "build",
            "--package",
            "clientele",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(workspace)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run cargo build")?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let message: serde_json::Value = serde_json::from_str(&line?).unwrap_or_default();
        let is_clientele =
            message["reason"] == "compiler-artifact" && message["target"]["name"] == "clientele";
        if let (true, Some(path)) = (is_clientele, message["executable"].as_str()) {
            executable = Some(PathBuf::from(path));
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("cargo build --package clientele failed ({status})");
    }
    let built = executable.context("cargo build reported no clientele executable")?;
    let dir = tempfile::Builder::new()
        .prefix("conformance-bin-")
        .tempdir()?;
    let path = dir
        .path()
        .join(built.file_name().context("an executable has a file name")?);
    fs::copy(&built, &path).with_context(|| format!("cannot copy {}", built.display()))?;
    Ok(Clientele { path, _dir: dir })
}

/// The store a local server runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Backend {
    /// A SQLite file in the server's temporary folder.
    #[default]
    Sqlite,
    /// A fresh database on a throwaway PostgreSQL cluster (see `pg-test-cluster`).
    Postgres,
}

/// A running server; dropping it stops the server and removes its database.
pub(crate) struct LocalServer {
    child: Child,
    base_url: String,
    log: PathBuf,
    // Dropped after the server: the PostgreSQL database, if the server runs on one.
    _database: Option<pg_test_cluster::TestDatabase>,
    // Dropped last: the SQLite database and the log live here.
    _dir: tempfile::TempDir,
}

impl LocalServer {
    /// Where requests go: `http://127.0.0.1:<port>`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The server's log so far (its stderr and stdout), for failure reports.
    pub(crate) fn log_tail(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prepares a database for the cases of `folder` and starts a server on it. Returns the
/// server and the key variables.
pub(crate) fn start(
    clientele: &Path,
    folder: &Path,
    backend: Backend,
) -> Result<(LocalServer, Variables)> {
    let dir = tempfile::Builder::new().prefix("conformance-").tempdir()?;
    let (db, database) = match backend {
        Backend::Sqlite => {
            let db = dir.path().join("db.sqlite3");
            let db = db
                .to_str()
                .context("the temporary path is not UTF-8")?
                .to_owned();
            (db, None)
        }
        Backend::Postgres => {
            let database = pg_test_cluster::cluster()
                .and_then(pg_test_cluster::Cluster::create_database)
                .context("no PostgreSQL for the conformance run")?;
            (database.url().to_owned(), Some(database))
        }
    };
    let mut vars = Variables::default();
    for recipe in KEYS {
        let mut args = vec!["--kind", recipe.kind];
        if let Some(permissions) = recipe.permissions {
            args.extend(["--permissions", permissions]);
        }
        let mut command = Command::new(clientele);
        command.args(["keys", "create"]).args(&args).args([
            "--description",
            "conformance",
            "--db",
            &db,
        ]);
        let stdout = run(&mut command)?;
        let created: serde_json::Value =
            serde_json::from_str(stdout.trim()).with_context(|| {
                format!(
                    "`clientele keys create {}` printed no JSON object: {stdout:?}",
                    args.join(" ")
                )
            })?;
        for (field, variable) in recipe.fields {
            let value = created
                .get(field)
                .and_then(|v| v.as_str())
                .with_context(|| {
                    format!(
                        "`clientele keys create {}` printed no `{field}`: {created}",
                        args.join(" ")
                    )
                })?;
            vars.set(variable, serde_json::Value::String(value.to_owned()));
        }
    }
    let setup = folder.join("setup.json");
    if setup.exists() {
        let setup = setup.to_str().context("the fixtures path is not UTF-8")?;
        run(Command::new(clientele).args(["import", "--db", &db, setup]))?;
    }
    let extra = server_args(folder)?;
    let port = free_port()?;
    let log = dir.path().join("server.log");
    let log_file = fs::File::create(&log)?;
    let child = Command::new(clientele)
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(SERVE_ARGS)
        .args(&extra)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .context("cannot start clientele serve")?;
    let mut server = LocalServer {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        log,
        _database: database,
        _dir: dir,
    };
    wait_until_ready(&mut server)?;
    Ok((server, vars))
}

/// Runs a short command and returns its stdout, or an error with its stderr.
fn run(command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_until_ready(server: &mut LocalServer) -> Result<()> {
    let probe = Client::new(&server.base_url);
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "clientele serve exited ({status}) before answering:\n{}",
                server.log_tail()
            );
        }
        match probe.get_status("/healthz") {
            Ok(200) => return Ok(()),
            Ok(_) | Err(_) if started.elapsed() < READY_TIMEOUT => {
                thread::sleep(Duration::from_millis(50))
            }
            Ok(status) => bail!(
                "/healthz still answers {status} after {READY_TIMEOUT:?}:\n{}",
                server.log_tail()
            ),
            Err(error) => bail!(
                "/healthz unreachable after {READY_TIMEOUT:?} ({error}):\n{}",
                server.log_tail()
            ),
        }
    }
}

/// The last 40 lines of a log file.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
