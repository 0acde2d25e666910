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
        "CLIENTELE_DB",
        "CLIENTELE_LISTEN",
        "CLIENTELE_SITE_URL",
        "CLIENTELE_TIMEZONE",
        "CLIENTELE_CURRENCY",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
