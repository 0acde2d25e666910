//! Attacks on a real server (the binary, on a socket): oversized fields and search
//! terms, slow and idle clients, requests past their deadline, more connections than the
//! server may hold, descriptor exhaustion, and personal data in the request log. After
//! each, `/healthz` must still answer and nothing may have been written.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The demo store's customers: what every test finds when nothing was written.
const DEMO_CUSTOMERS: u64 = 200;

/// A `clientele serve --demo --trust-proxy` process with its keys; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    db: PathBuf,
    log: PathBuf,
    consumer_key: String,
    consumer_secret: String,
    bearer: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The text between `prefix` and the next character not in a key.
fn key_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

impl Server {
    /// Starts the server with `flags`; `open_files` runs it under that descriptor limit.
    fn start(flags: &[&str], open_files: Option<u32>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.sqlite3");
        let log = dir.path().join("server.log");
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let binary = env!("CARGO_BIN_EXE_clientele");
        let mut command = match open_files {
            Some(limit) => {
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(binary);
                shell
            }
            None => Command::new(binary),
        };
        let child = command
            .args(["serve", "--demo", "--trust-proxy", "--listen", &listen])
            .args(flags)
            .env("CLIENTELE_DB", &db)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            port,
            db,
            log,
            consumer_key: String::new(),
            consumer_secret: String::new(),
            bearer: String::new(),
            _dir: dir,
        };
        let mut stdout = BufReader::new(server.child.stdout.take().unwrap());
        let mut printed = String::new();
        while !printed.contains("/api/v1/customers?currency=usd") {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "{printed}");
            printed.push_str(&line);
        }
        server.consumer_key = key_after(&printed, "consumer_key=");
        server.consumer_secret = key_after(&printed, "consumer_secret=");
        server.bearer = key_after(&printed, "Authorization: Bearer ");
        let started = Instant::now();
        while server.health().as_deref() != Some("HTTP/1.1 200 OK") {
            assert!(started.elapsed() < Duration::from_secs(60), "no answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// Sends a whole request and reads the whole answer (the request closes).
    fn exchange(&self, raw: &[u8]) -> String {
        let mut stream = self.connect();
        stream.write_all(raw).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn health(&self) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.lines().next().map(str::to_owned)
    }

    /// A WooCommerce request with the demo's read/write key, as over https.
    fn woo(&self, method: &str, target: &str, body: Option<&str>) -> String {
        let separator = if target.contains('?') { '&' } else { '?' };
        let body = body.unwrap_or("");
        self.exchange(
            format!(
                "{method} {target}{separator}consumer_key={}&consumer_secret={} HTTP/1.1\r\n\
                 Host: localhost\r\nX-Forwarded-Proto: https\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.consumer_key,
                self.consumer_secret,
                body.len()
            )
            .as_bytes(),
        )
    }

    fn easycart(&self, target: &str) -> String {
        self.exchange(
            format!(
                "GET {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
                 Connection: close\r\n\r\n",
                self.bearer
            )
            .as_bytes(),
        )
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server and counts the customers in its database.
    fn stop_and_count(mut self) -> u64 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        count_customers(&self.db)
    }
}

fn count_customers(db: &Path) -> u64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use customer_store::CustomerStore;
        let store = customer_store::SqliteStore::open(db).unwrap();
        store
            .count_customers(&customer_model::CustomerQuery::default())
            .await
            .unwrap()
    })
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or("")
}

fn body_of(answer: &str) -> serde_json::Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

/// Whether the server closed `stream` (end of file or reset) within `within`, after
/// sending at most one answer.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut sink = Vec::new();
    match stream.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

/// A 10 MB first name (wc/v3 used to store it, and a search over it then took seconds
/// and gigabytes) and every other over-long field are refused in the dialect's shape,
/// naming the field; long search terms are answered at once.
#[test]
fn oversized_fields_are_refused_and_long_search_terms_cost_nothing() {
    let server = Server::start(&["--request-timeout", "5s"], None);
    let huge = "a".repeat(10_000_000);
    for (target, body, code) in [
        (
            "/wp-json/wc/v3/customers",
            format!(r#"{{"email":"huge@example.com","first_name":"{huge}"}}"#),
            "rest_invalid_param",
        ),
        (
            "/wp-json/wc/v2/customers",
            format!(
                r#"{{"email":"city@example.com","billing":{{"city":"{}"}}}}"#,
                "c".repeat(256)
            ),
            "rest_invalid_param",
        ),
        (
            "/wp-json/wc/v3/customers",
            format!(r#"{{"email":"{}@example.com"}}"#, "e".repeat(100)),
            "user_email_too_long",
        ),
    ] {
        let answer = server.woo("POST", target, Some(&body));
        assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request", "{target}");
        assert_eq!(body_of(&answer)["code"], code);
    }
    let legacy = server.woo(
        "POST",
        "/wc-api/v3/customers",
        Some(&format!(
            r#"{{"customer":{{"email":"legacy@example.com","last_name":"{}"}}}}"#,
            "l".repeat(256)
        )),
    );
    assert_eq!(status_line(&legacy), "HTTP/1.1 400 Bad Request");
    assert_eq!(
        body_of(&legacy)["errors"][0]["code"],
        "woocommerce_api_invalid_customer_data"
    );
    let long_term = "x".repeat(800);
    let started = Instant::now();
    let search = server.woo(
        "GET",
        &format!("/wp-json/wc/v3/customers?q={long_term}&search={long_term}"),
        None,
    );
    assert_eq!(status_line(&search), "HTTP/1.1 200 OK");
    assert_eq!(body_of(&search), serde_json::json!([]));
    let easycart = server.easycart(&format!("/api/v1/customers?currency=usd&query={long_term}"));
    assert_eq!(status_line(&easycart), "HTTP/1.1 200 OK");
    assert_eq!(body_of(&easycart)["items"], serde_json::json!([]));
    let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
    let many = server.easycart(&format!(
        "/api/v1/customers?currency=usd&query={}",
        words.join("+")
    ));
    assert_eq!(status_line(&many), "HTTP/1.1 400 Bad Request");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "searches took {:?}",
        started.elapsed()
    );
    assert_eq!(server.health().as_deref(), Some("HTTP/1.1 200 OK"));
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// Slowloris heads, trickling bodies and idle sockets used to stay open for good; each
/// is now closed by its timeout, and the server keeps answering.
#[test]
fn slow_and_idle_clients_are_cut_off() {
    let server = Server::start(
        &[
            "--header-read-timeout",
            "1s",
            "--body-read-timeout",
            "1s",
            "--idle-timeout",
            "1s",
        ],
        None,
    );
    let mut slow_heads: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = server.connect();
            stream.write_all(b"GET /healthz HTTP/1.1\r\nX-a: ").unwrap();
            stream
        })
        .collect();
    let mut trickling: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(
                    b"POST /wp-json/wc/v3/customers HTTP/1.1\r\nHost: x\r\n\
                      Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"email\"",
                )
                .unwrap();
            stream
        })
        .collect();
    let mut idle: Vec<TcpStream> = (0..50).map(|_| server.connect()).collect();
    let mut kept_alive = server.connect();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 15];
    kept_alive.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");
    // A few bytes now and then do not keep a head open past its timeout.
    for stream in slow_heads.iter_mut().take(5) {
        stream.write_all(b"b").unwrap();
    }
    for stream in slow_heads.iter_mut().chain(&mut idle) {
        assert!(
            closed_within(stream, Duration::from_secs(5)),
            "head or idle"
        );
    }
    for stream in &mut trickling {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer:?}");
    }
    assert!(
        closed_within(&mut kept_alive, Duration::from_secs(5)),
        "kept alive"
    );
    assert_eq!(server.health().as_deref(), Some("HTTP/1.1 200 OK"));
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// A request that takes longer than the deadline (here: hashing a password) is answered
/// with a 503 in its dialect's shape and its work is dropped before it writes.
#[test]
fn a_request_past_its_deadline_gets_a_503_and_writes_nothing() {
    // An Argon2 hash with the default parameters fills 19 MiB twice, tens of
    // milliseconds: on a quiet machine a whole create sometimes came back within a
    // deadline of 50 ms (one run in four). 5 ms is never met.
    let server = Server::start(&["--request-timeout", "5ms"], None);
    let answer = server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(r#"{"email":"slow@example.com","password":"hashing takes a while"}"#),
    );
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 503 Service Unavailable",
        "{answer}"
    );
    let body = body_of(&answer);
    assert_eq!(body["code"], "woocommerce_rest_request_timeout");
    assert_eq!(body["data"]["status"], 503);
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"));
    assert_eq!(server.health().as_deref(), Some("HTTP/1.1 200 OK"));
    // The hash finishes on its own thread; the write that would follow never comes.
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.log_text().contains("request deadline passed"));
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// Connections beyond the cap get a short 503 and are closed; once others go, the server
/// answers again.
#[test]
fn connections_beyond_the_cap_are_refused_gracefully() {
    let server = Server::start(&["--max-connections", "8"], None);
    let held: Vec<TcpStream> = (0..8).map(|_| server.connect()).collect();
    // The accept loop takes the held connections in its own time (slowly on a loaded
    // machine): ask until the cap is reached, for at most five seconds.
    let asked = Instant::now();
    let refused = loop {
        let answer = server.exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        if answer.starts_with("HTTP/1.1 503") || asked.elapsed() > Duration::from_secs(5) {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        refused.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{refused}"
    );
    assert_eq!(body_of(&refused)["code"], "too_many_connections");
    drop(held);
    let started = Instant::now();
    while server.health().as_deref() != Some("HTTP/1.1 200 OK") {
        assert!(started.elapsed() < Duration::from_secs(5), "no recovery");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.log_text().contains("connection limit reached"));
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// With more connections allowed than descriptors exist, accepting fails: the server
/// used to spin and write millions of log lines a second. It now backs off, logs at most
/// once a second, and serves again as soon as descriptors are free.
#[test]
fn descriptor_exhaustion_backs_off_and_logs_sparingly() {
    let server = Server::start(&["--max-connections", "10000"], Some(64));
    let mut held = Vec::new();
    for _ in 0..120 {
        match TcpStream::connect(("127.0.0.1", server.port)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let log = server.log_text();
    let failures = log.matches("accepting connections fails").count();
    assert!(failures >= 1, "the exhaustion was not reported:\n{log}");
    assert!(failures <= 6, "{failures} lines in two seconds");
    drop(held);
    let started = Instant::now();
    while server.health().as_deref() != Some("HTTP/1.1 200 OK") {
        assert!(started.elapsed() < Duration::from_secs(10), "no recovery");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// The request log names the route's template at `info`; an e-mail address in the path
/// (the legacy `/customers/email/{address}`) does not reach it.
#[test]
fn the_request_log_names_routes_not_people() {
    let server = Server::start(&[], None);
    let answer = server.woo(
        "GET",
        "/wc-api/v3/customers/email/jane.secret@example.com",
        None,
    );
    assert!(status_line(&answer).starts_with("HTTP/1.1 "));
    let _ = server.health();
    let log = server.log_text();
    assert!(
        log.contains("route=/wc-api/v3/customers/email/{value}"),
        "{log}"
    );
    assert!(!log.contains("jane.secret"), "{log}");
    assert!(!log.contains(&server.consumer_secret), "{log}");
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}

/// Whether an error body has a dialect's shape, for an answer with this status.
type ErrorShape = fn(&serde_json::Value, u16) -> bool;

/// A body over the limit (declared, or sent in chunks) gets a 413 and broken chunked
/// framing a 400, each in the error shape of the dialect the path names, with its
/// Content-Type and a request-log line; the connection is closed and nothing is written.
/// Heads hyper cannot read (conflicting lengths) get its own empty 400 and a log line.
#[test]
fn oversized_and_broken_bodies_are_answered_in_each_dialects_shape() {
    let server = Server::start(&[], None);
    let limit = customer_http::server::MAX_BODY_BYTES;
    // Each dialect's error body, by the fields its shape has.
    let dialects: [(&str, ErrorShape); 5] = [
        ("/wp-json/wc/v3/customers", |body, status| {
            body["code"].is_string()
                && body["message"].is_string()
                && body["data"]["status"] == status
        }),
        ("/?rest_route=/wc/v2/customers", |body, status| {
            body["code"].is_string()
                && body["message"].is_string()
                && body["data"]["status"] == status
        }),
        ("/wc-api/v3/customers", |body, _| {
            body["errors"][0]["code"].is_string() && body["errors"][0]["message"].is_string()
        }),
        ("/edd-api/v2/customers/", |body, _| {
            body["error"].is_string() && body.as_object().is_some_and(|o| o.len() == 1)
        }),
        ("/api/v1/customers", |body, _| {
            body["message"].is_string() && body.get("code").is_none()
        }),
    ];
    let head = |target: &str, framing: &str| {
        format!(
            "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             {framing}\r\n\r\n"
        )
    };
    for (target, shaped) in dialects {
        let declared = head(target, &format!("Content-Length: {}", limit + 1));
        let chunked = head(target, "Transfer-Encoding: chunked");
        for (raw, status) in [
            (declared.into_bytes(), 413),
            (format!("{chunked}zz\r\n").into_bytes(), 400),
        ] {
            let answer = server.exchange(&raw);
            let expected_line = if status == 413 {
                "HTTP/1.1 413 Payload Too Large"
            } else {
                "HTTP/1.1 400 Bad Request"
            };
            assert_eq!(status_line(&answer), expected_line, "{target}: {answer}");
            let lower = answer.to_ascii_lowercase();
            assert!(lower.contains("content-type: application/json"), "{answer}");
            assert!(lower.contains("connection: close"), "{answer}");
            assert!(shaped(&body_of(&answer), status), "{target}: {answer}");
        }
        let log = server.log_text();
        for status in [413, 400] {
            assert!(
                log.lines()
                    .any(|line| line.contains(&format!("route={target} "))
                        && line.contains(&format!("status={status}"))),
                "no log line for {status} on {target}:\n{log}"
            );
        }
    }
    // A body sent in chunks is cut off as soon as it passes the limit.
    let mut chunked = head("/wc-api/v3/customers", "Transfer-Encoding: chunked").into_bytes();
    chunked.extend_from_slice(format!("{:x}\r\n", limit + 1).as_bytes());
    chunked.resize(chunked.len() + limit + 1, b' ');
    let answer = server.exchange(&chunked);
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 413 Payload Too Large",
        "{answer}"
    );
    assert!(
        body_of(&answer)["errors"][0]["code"].is_string(),
        "{answer}"
    );
    // Conflicting lengths never reach a dialect: hyper refuses the head itself.
    let conflicting = server.exchange(
        b"POST /wp-json/wc/v3/customers HTTP/1.1\r\nHost: localhost\r\n\
          Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    );
    assert_eq!(status_line(&conflicting), "HTTP/1.1 400 Bad Request");
    assert_eq!(server.health().as_deref(), Some("HTTP/1.1 200 OK"));
    assert!(server.log_text().contains("request head rejected"));
    assert_eq!(server.stop_and_count(), DEMO_CUSTOMERS);
}
