//! `clientele serve` as a process: the demo store with its keys and curl commands, the
//! health check on a real socket, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if a test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status line of `GET /healthz`, once the server answers.
fn health(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_owned)
}

#[cfg(unix)]
#[test]
fn serve_demo_prints_keys_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("CLIENTELE_DB", dir.path().join("demo.sqlite3"))
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);

    let started = Instant::now();
    let status = loop {
        if let Some(status) = health(port) {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not answer"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, "HTTP/1.1 200 OK");

    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("/api/v1/customers?currency=usd") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{printed}");
        printed.push_str(&line);
    }
    assert!(printed.contains("consumer_key=ck_"), "{printed}");
    assert!(printed.contains(&format!("curl 'http://127.0.0.1:{port}/healthz'")));
    assert!(printed.contains("Authorization: Bearer "));

    let kill = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let stopping = Instant::now();
    let exit = loop {
        if let Some(exit) = server.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "no stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn help_explains_every_flag_and_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--db",
        "--listen",
        "--site-url",
        "--timezone",
        "--currency",
        "--demo",
        "--tls-cert",
        "--tls-key",
        "--trust-proxy",
        "--edd-default-version",
        "--admin-token",
        "--journal-size",
        "--snapshot-dir",
        "CLIENTELE_ADMIN_TOKEN",
        "CLIENTELE_DB",
        "CLIENTELE_LISTEN",
        "CLIENTELE_SITE_URL",
        "CLIENTELE_TIMEZONE",
        "CLIENTELE_CURRENCY",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

/// Sends one raw HTTP/1.1 request and returns the status line (empty when the
/// connection closed without an answer).
fn send(port: u16, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn get(port: u16, target: &str, extra_headers: &str) -> String {
    send(
        port,
        format!(
            "GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra_headers}Connection: close\r\n\r\n"
        )
        .as_bytes(),
    )
}

/// PHP-style bracket names nested thousands deep (a 10 KB URL, or a form body) used to
/// overflow a worker's stack before any authentication and abort the process. Every
/// dialect now reads them as PHP does (too deep: dropped) and the server stays up.
#[cfg(unix)]
#[test]
fn deeply_nested_bracket_parameters_do_not_take_the_server_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("CLIENTELE_DB", &db)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let started = Instant::now();
    while health(port).is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "no answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("/api/v1/customers?currency=usd") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{printed}");
        printed.push_str(&line);
    }
    let bearer = printed
        .split("Authorization: Bearer ")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();

    let named = format!("a{}=1", "[a]".repeat(3_500));
    let appended = format!("a{}=1", "[]".repeat(3_500));
    for nested in [&named, &appended] {
        for target in [
            format!("/wp-json/wc/v3/customers?{nested}"),
            format!("/wp-json/wc/v2/customers?{nested}"),
            format!("/?rest_route=/wc/v3/customers&{nested}"),
            format!("/wc-api/v3/customers?{nested}"),
            format!("/edd-api/v2/customers/?{nested}"),
            format!("/edd-api/customers/?{nested}"),
        ] {
            let status = get(port, &target, "");
            assert!(!status.is_empty(), "no answer to {}", &target[..40]);
        }
        let status = get(
            port,
            &format!("/api/v1/customers?currency=usd&{nested}"),
            &format!("Authorization: Bearer {bearer}\r\n"),
        );
        assert_eq!(status, "HTTP/1.1 200 OK", "easycart");
        for path in [
            "/wp-json/wc/v3/customers",
            "/wc-api/v3/customers",
            "/edd-api/v2/customers/",
        ] {
            let request = format!(
                "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{nested}",
                nested.len()
            );
            assert!(
                !send(port, request.as_bytes()).is_empty(),
                "no answer to {path}"
            );
        }
    }
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for path in ["/?rest_route=/wc/v3/customers", "/wc-api/v3/customers"] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{deep_json}",
            deep_json.len()
        );
        assert!(
            !send(port, request.as_bytes()).is_empty(),
            "no answer to {path}"
        );
    }
    assert_eq!(health(port).as_deref(), Some("HTTP/1.1 200 OK"));
    drop(server);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let count = runtime.block_on(async {
        use customer_store::CustomerStore;
        let store = customer_store::SqliteStore::open(&db).unwrap();
        store
            .count_customers(&customer_model::CustomerQuery::default())
            .await
            .unwrap()
    });
    assert_eq!(count, 200, "the demo store's customers, nothing more");
}

/// Runs `clientele keys ARGS` on `db` (another process than the server) and returns its
/// JSON output.
fn keys_cli(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .arg("keys")
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The server keeps keys in memory; keys created and revoked by `clientele keys` in
/// another process while it runs take effect at once (created) and within a second
/// (revoked).
#[cfg(unix)]
#[test]
fn keys_changed_by_another_process_take_effect_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite3");
    let first = keys_cli(&db, &["create", "--kind", "bearer"]);
    let port = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_clientele"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(&db)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while health(port).is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "no answer");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = |token: &serde_json::Value| {
        let header = format!(
            "Authorization: Bearer {}\r\n",
            token["token"].as_str().unwrap()
        );
        get(port, "/api/v1/customers?currency=usd", &header)
    };
    assert!(status(&first).contains(" 200 "), "{}", status(&first));

    let second = keys_cli(&db, &["create", "--kind", "bearer"]);
    assert!(status(&second).contains(" 200 "), "a new key works at once");

    let listed = keys_cli(&db, &["list"]);
    let first_id = listed[0]["id"].as_i64().unwrap().to_string();
    keys_cli(&db, &["revoke", &first_id]);
    let revoked = Instant::now();
    loop {
        if status(&first).contains(" 401 ") {
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(1),
            "a revoked key still works after a second"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        status(&second).contains(" 200 "),
        "the other key still works"
    );
}

/// Sends `raw` and returns the status line, or `None` when the server is not there or
/// closed the connection without an answer (as when it is killed mid-request).
fn try_send(port: u16, raw: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    stream.write_all(raw).ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .map(str::to_owned)
}

/// Every create the server acknowledged with a 201 is in the database after the server
/// is killed with SIGKILL in the middle of concurrent creates (which it writes several
/// to a transaction): no answer goes out before the commit that holds its row.
#[cfg(unix)]
#[test]
fn acknowledged_concurrent_creates_survive_kill_9() {
    use base64::Engine as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite3");
    let key = keys_cli(&db, &["create", "--kind", "woocommerce"]);
    let credentials = format!(
        "{}:{}",
        key["consumer_key"].as_str().unwrap(),
        key["consumer_secret"].as_str().unwrap()
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
    let port = free_port();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_clientele"))
            .args([
                "serve",
                "--trust-proxy",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--db")
            .arg(&db)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while health(port).is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "no answer");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (stop, acknowledged, basic) =
                (Arc::clone(&stop), Arc::clone(&acknowledged), basic.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let email = format!("kill-{client}-{n}@example.com");
                    let body = format!(r#"{{"email":"{email}"}}"#);
                    let request = format!(
                        "POST /wp-json/wc/v3/customers HTTP/1.1\r\nHost: localhost\r\n\
                         Authorization: Basic {basic}\r\nX-Forwarded-Proto: https\r\n\
                         Content-Type: application/json\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    match try_send(port, request.as_bytes()) {
                        Some(status) if status.contains(" 201 ") => {
                            acknowledged.lock().unwrap().push(email);
                        }
                        Some(status) if status.is_empty() || status.starts_with("HTTP/1.1") => {}
                        Some(other) => panic!("unexpected answer {other:?}"),
                        None => {}
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "too few creates answered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL, with creates in flight.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .arg("export")
        .arg("--db")
        .arg(&db)
        .arg("--quiet")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let exported = String::from_utf8(output.stdout).unwrap();
    let acknowledged = acknowledged.lock().unwrap();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|email| !exported.contains(&format!("\"{email}\"")))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged creates lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
}
