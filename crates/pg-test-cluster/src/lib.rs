//! A throwaway PostgreSQL cluster for tests, so that the PostgreSQL tests need no manual
//! step: one cluster per test process, a fresh database per test.
//!
//! [`cluster`] starts the cluster the first time it is called: `initdb` into a temporary
//! folder, the server on a free loopback port with its Unix socket in that folder, and
//! settings that trade durability for speed (`fsync = off`). The binaries come from
//! Debian's packages (`/usr/lib/postgresql/<version>/bin`, the newest version found).
//! `initdb` refuses to run as root, so as root the folder is handed to the `postgres`
//! user and the server runs as that user. A watchdog process stops the server and
//! removes the folder when the test process exits, however it exits.
//!
//! When `CLIENTELE_TEST_PG_URL` is set (`postgres://user:password@host:port/db`), no
//! cluster is started: the databases are created on that server, whose user must be
//! allowed to create databases, and dropped after the test.
//!
//! Without the binaries and without the variable, [`cluster`] fails with the command
//! that installs them: the PostgreSQL tests then fail, they are never skipped.

use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that names an existing server to use instead of a throwaway cluster.
pub const URL_VARIABLE: &str = "CLIENTELE_TEST_PG_URL";

/// What to do when the PostgreSQL binaries are missing.
pub const INSTALL_HINT: &str = "install PostgreSQL with `apt-get install -y postgresql postgresql-contrib` \
     (Debian/Ubuntu), or set CLIENTELE_TEST_PG_URL=postgres://user:password@host:port/postgres \
     to a server whose user may create databases";

/// Why a cluster or a database could not be had.
#[derive(Debug, Clone)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn error(message: impl Into<String>) -> Error {
    Error(message.into())
}

/// A PostgreSQL server that tests may create databases on.
#[derive(Debug)]
pub struct Cluster {
    /// Connection URL of the maintenance database (`postgres`), with the user in it.
    admin_url: String,
    /// The temporary folder of a cluster of our own; `None` for `CLIENTELE_TEST_PG_URL`.
    folder: Option<PathBuf>,
    /// How to stop and start a cluster of our own.
    control: Option<Control>,
    next_database: AtomicU64,
}

/// What `pg_ctl` needs to stop and start a cluster again.
#[derive(Debug)]
struct Control {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    options: String,
    as_root: bool,
}

impl Control {
    fn pg_ctl(&self) -> Command {
        let path = self.bin.join("pg_ctl");
        let mut command = if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.arg("-D").arg(&self.data);
        command
    }

    fn start(&self) -> Result<(), Error> {
        run(self.pg_ctl().arg("-l").arg(&self.log).args([
            "-w",
            "-t",
            "60",
            "-o",
            &self.options,
            "start",
        ]))
        .map_err(|e| {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            error(format!("{e}\nserver log:\n{log}"))
        })
    }
}

/// The process's cluster, started on first use.
pub fn cluster() -> Result<&'static Cluster, Error> {
    static CLUSTER: OnceLock<Result<Cluster, Error>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => Ok(Cluster {
                admin_url: url,
                folder: None,
                control: None,
                next_database: AtomicU64::new(0),
            }),
            _ => Cluster::start(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A fresh, empty database on the process's cluster, dropped when the value is dropped.
/// Panics with the install hint when no cluster can be had: for tests.
pub fn database() -> TestDatabase {
    cluster()
        .and_then(Cluster::create_database)
        .unwrap_or_else(|e| panic!("no PostgreSQL for this test: {e}"))
}

/// A database of a test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    /// Its connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL statements on it, as the superuser of a cluster of our own.
    pub fn execute(&self, sql: &str) -> Result<(), Error> {
        admin_statement(&self.url, sql.to_owned())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: a throwaway cluster goes whole anyway.
        let _ = admin_statement(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
    }
}

impl Cluster {
    /// A cluster of the caller's own, for a test that stops and starts its server
    /// (whatever `CLIENTELE_TEST_PG_URL` says). Removed when dropped, or when the
    /// process exits.
    pub fn private() -> Result<Self, Error> {
        Self::start()
    }

    /// Stops the server as an administrator's restart does (`pg_ctl stop -m fast`):
    /// open connections are closed, committed work is kept. (A crash, `-m immediate`,
    /// would lose recent commits here: the cluster runs without `fsync` for speed.)
    pub fn stop(&self) -> Result<(), Error> {
        let control = self.own()?;
        run(control.pg_ctl().args(["-m", "fast", "-w", "stop"]))
    }

    /// Starts a stopped server again, on the same port.
    pub fn restart(&self) -> Result<(), Error> {
        self.own()?.start()
    }

    fn own(&self) -> Result<&Control, Error> {
        self.control
            .as_ref()
            .ok_or_else(|| error("only a cluster of our own can be stopped and started"))
    }

    /// The folder of a cluster of our own (data, socket, log).
    pub fn folder(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// Creates a fresh database and returns it.
    pub fn create_database(&self) -> Result<TestDatabase, Error> {
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        let name = format!("clientele_test_{}_{n}", std::process::id());
        admin_statement(&self.admin_url, format!("CREATE DATABASE \"{name}\""))?;
        Ok(TestDatabase {
            url: with_database(&self.admin_url, &name),
            name,
            admin_url: self.admin_url.clone(),
        })
    }

    fn start() -> Result<Self, Error> {
        let bin = binaries()?;
        let as_root = is_root();
        let folder = tempfile::Builder::new()
            .prefix("clientele-pg-")
            .tempdir()
            .map_err(|e| error(format!("cannot create a temporary folder: {e}")))?
            .keep();
        if as_root {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&folder))?;
        }
        let data = folder.join("data");
        let log = folder.join("server.log");
        let port = free_port()?;
        let command = |program: &str| {
            let path = bin.join(program);
            if as_root {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(path);
                command
            } else {
                Command::new(path)
            }
        };
        run(command("initdb")
            .args([
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
            ])
            .args(["--locale", "C.UTF-8", "--no-sync", "-D"])
            .arg(&data))?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300 -c shared_buffers=128MB",
            folder.display()
        );
        watchdog(&folder, &bin.join("pg_ctl"), &data, as_root)?;
        let control = Control {
            bin,
            data,
            log,
            options,
            as_root,
        };
        control.start()?;
        Ok(Self {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            folder: Some(folder),
            control: Some(control),
            next_database: AtomicU64::new(0),
        })
    }
}

/// A private cluster goes with its value; the process's shared one (a static) is
/// stopped by its watchdog when the process exits.
impl Drop for Cluster {
    fn drop(&mut self) {
        if let (Some(control), Some(folder)) = (&self.control, &self.folder) {
            let _ = run(control.pg_ctl().args(["-m", "immediate", "stop"]));
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

/// The folder of the newest PostgreSQL server binaries installed.
fn binaries() -> Result<PathBuf, Error> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        error(format!(
            "no PostgreSQL server binaries in {}/<version>/bin: {INSTALL_HINT}",
            root.display()
        ))
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Starts a process that outlives this one by at most a second: when this process is
/// gone it stops the server and removes the folder.
fn watchdog(folder: &Path, pg_ctl: &Path, data: &Path, as_root: bool) -> Result<(), Error> {
    let stop = format!(
        "{} '{}' -D '{}' -m immediate stop",
        if as_root {
            "runuser -u postgres --"
        } else {
            ""
        },
        pg_ctl.display(),
        data.display()
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{folder}'",
        pid = std::process::id(),
        folder = folder.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| error(format!("cannot start the cluster's watchdog: {e}")))
}

fn run(command: &mut Command) -> Result<(), Error> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| error(format!("cannot run {command:?}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(error(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| error(format!("cannot find a free port: {e}")))
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs one statement on the maintenance database, on a thread of its own so that it
/// works from synchronous code and from inside an async runtime alike.
fn admin_statement(admin_url: &str, sql: String) -> Result<(), Error> {
    let admin_url = admin_url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| error(format!("cannot start a runtime: {e}")))?;
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
                .await
                .map_err(|e| error(format!("cannot connect to the test server: {e}")))?;
            let connection = tokio::spawn(connection);
            let outcome = client
                .batch_execute(&sql)
                .await
                .map_err(|e| error(format!("{sql}: {e}")));
            drop(client);
            let _ = connection.await;
            outcome
        })
    })
    .join()
    .map_err(|_| error("the database thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_replace_the_path() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres", "t1"),
            "postgres://u@h:5/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }

    #[test]
    fn a_database_can_be_created_and_used() {
        let db = database();
        admin_statement(
            db.url(),
            "CREATE TABLE t (x int); INSERT INTO t VALUES (1)".into(),
        )
        .expect("the fresh database takes statements");
        assert!(db.name().starts_with("clientele_test_"));
    }
}
