//! The control API through a real server process (`serve --demo --admin-token`), one
//! server for every check: who may call it, reset and snapshots giving back exactly
//! what every dialect answered before, seeding, the journal without secrets, faults
//! (probability, times, latency, dropped connections, each dialect's error shape), the
//! clock, and every answer checked against the control API's own OpenAPI document.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "admin-token-for-tests";

/// Kills the server if a test fails before the end.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Server {
    _process: Process,
    _dir: tempfile::TempDir,
    db: PathBuf,
    port: u16,
    base: String,
    agent: ureq::Agent,
    woo: (String, String),
    edd: (String, String),
    bearer: String,
    /// Every control API answer: method, path, status, body (checked against the
    /// document at the end).
    answers: Vec<(String, String, u16, Value)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("control.sqlite3");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
            .args([
                "serve",
                "--demo",
                "--trust-proxy",
                "--admin-token",
                ADMIN_TOKEN,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("CLIENTELE_DB", &db)
            .env_remove("RUST_LOG")
            .env_remove("CLIENTELE_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut process = Process(child);
        let mut stdout = BufReader::new(process.0.stdout.take().unwrap());
        let mut printed = String::new();
        while !printed.contains("/__admin/reset") {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "{printed}");
            printed.push_str(&line);
        }
        assert!(printed.contains(ADMIN_TOKEN), "{printed}");
        let mut values: Vec<(&str, String)> = Vec::new();
        for word in printed.split_whitespace() {
            for prefix in ["consumer_key=", "consumer_secret=", "key=", "token="] {
                if let Some(value) = word.strip_prefix(prefix) {
                    values.push((prefix, value.to_owned()));
                }
            }
        }
        let find = |prefix: &str, nth: usize| {
            values
                .iter()
                .filter(|(p, _)| *p == prefix)
                .nth(nth)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{prefix} not printed: {printed}"))
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent
            .get(format!("{base}/healthz"))
            .call()
            .map_or(true, |r| r.status() != 200)
        {
            assert!(started.elapsed() < Duration::from_secs(60), "no answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            _process: process,
            _dir: dir,
            db,
            port,
            base,
            agent,
            woo: (find("consumer_key=", 0), find("consumer_secret=", 0)),
            edd: (find("key=", 0), find("token=", 0)),
            bearer: find("token=", 1),
            answers: Vec::new(),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> (u16, String) {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let response = match body {
            Some(body) => self.agent.run(builder.body(body.to_owned()).unwrap()),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let mut response = response.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// A control API call with the admin token.
    fn admin(&mut self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|body| body.to_string());
        self.admin_raw(method, path, body.as_deref())
    }

    fn admin_raw(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let auth = [
            ("Authorization", format!("Bearer {ADMIN_TOKEN}")),
            ("Content-Type", "application/json".to_owned()),
        ];
        let (status, text) = self.send(method, path, &auth, body);
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        self.answers
            .push((method.to_owned(), path.to_owned(), status, value.clone()));
        (status, value)
    }

    fn woo_headers(&self) -> Vec<(&'static str, String)> {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.woo.0, self.woo.1));
        vec![
            ("Authorization", format!("Basic {basic}")),
            ("X-Forwarded-Proto", "https".to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ]
    }

    fn woo(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|body| body.to_string());
        let (status, text) = self.send(method, path, &self.woo_headers(), body.as_deref());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn easycart(&self, token: &str, path: &str) -> (u16, String) {
        self.send(
            "GET",
            path,
            &[("Authorization", format!("Bearer {token}"))],
            None,
        )
    }

    /// Every dialect's first page of customers, as status and body.
    fn picture(&self) -> Vec<(u16, String)> {
        let woo = self.woo_headers();
        let edd = |version: &str| {
            let path = format!(
                "/edd-api/{version}/customers/?key={}&token={}&number=300",
                self.edd.0, self.edd.1
            );
            let (status, text) = self.send("GET", &path, &[], None);
            // EDD reports how long it took: the one member that differs run to run.
            let mut body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if let Some(members) = body.as_object_mut() {
                members.remove("request_speed");
            }
            (status, body.to_string())
        };
        vec![
            self.send(
                "GET",
                "/wp-json/wc/v3/customers?per_page=100&orderby=id&role=all",
                &woo,
                None,
            ),
            self.send(
                "GET",
                "/wp-json/wc/v2/customers?per_page=100&orderby=id&role=all&page=2",
                &woo,
                None,
            ),
            self.send(
                "GET",
                "/wc-api/v3/customers?filter%5Blimit%5D=300",
                &woo,
                None,
            ),
            edd("v1"),
            edd("v2"),
            self.easycart(&self.bearer, "/api/v1/customers?currency=usd"),
        ]
    }
}

fn assert_same_picture(left: &[(u16, String)], right: &[(u16, String)], when: &str) {
    assert_eq!(left.len(), right.len());
    for (index, (l, r)) in left.iter().zip(right).enumerate() {
        assert_eq!(l.0, 200, "{when}: answer {index}: {}", l.1);
        assert!(
            l == r,
            "{when}: answer {index} differs:\n{}\n---\n{}",
            l.1,
            r.1
        );
    }
}

fn new_customer(email: &str) -> Value {
    json!({"email": email, "first_name": "Test", "username": email.split('@').next().unwrap()})
}

#[test]
fn the_control_api_resets_snapshots_seeds_journals_faults_and_sets_the_clock() {
    let mut server = Server::start();

    // Who may call it: the admin token only; the admin token opens no dialect.
    let (status, _) = server.send("POST", "/__admin/reset", &[], None);
    assert_eq!(status, 401);
    let (status, _) = server.send(
        "POST",
        "/__admin/reset",
        &[("Authorization", "Bearer wrong".to_owned())],
        None,
    );
    assert_eq!(status, 401);
    let (status, _) = server.send(
        "GET",
        "/__admin/faults",
        &[("Authorization", format!("Bearer {}", server.bearer))],
        None,
    );
    assert_eq!(
        status, 401,
        "a dialect's bearer token opens the control API"
    );
    let (status, _) = server.send("GET", "/__admin/faults", &server.woo_headers(), None);
    assert_eq!(status, 401, "a WooCommerce key opens the control API");
    let (status, _) = server.easycart(ADMIN_TOKEN, "/api/v1/customers?currency=usd");
    assert_eq!(status, 401, "the admin token opens a dialect");

    // Reset after creates, updates, deletes, imported orders and a new key.
    let baseline = server.picture();
    let (status, created) = server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("first@example.com")),
    );
    assert_eq!(status, 201, "{created}");
    let first_id = created["id"].as_i64().unwrap();
    let (status, _) = server.woo(
        "PUT",
        "/wp-json/wc/v3/customers/2",
        Some(json!({"first_name": "Changed"})),
    );
    assert_eq!(status, 200);
    let (status, _) = server.woo("DELETE", "/wp-json/wc/v3/customers/3?force=true", None);
    assert_eq!(status, 200);
    let (status, counts) = server.admin(
        "POST",
        "/__admin/import",
        Some(json!({"orders": [{
            "customer_id": 5, "status": "completed", "currency": "USD", "total": "12.50",
            "created_at": "2025-07-01T10:00:00Z"
        }]})),
    );
    assert_eq!((status, &counts["orders"]), (200, &json!(1)), "{counts}");
    let key = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["keys", "create", "--kind", "bearer", "--db"])
        .arg(&server.db)
        .output()
        .unwrap();
    assert!(key.status.success());
    let new_token = serde_json::from_slice::<Value>(&key.stdout).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server
            .easycart(&new_token, "/api/v1/customers?currency=usd")
            .0,
        200
    );
    assert_ne!(server.picture(), baseline);

    let (status, body) = server.admin("POST", "/__admin/reset", None);
    assert_eq!((status, &body["status"]), (200, &json!("reset")));
    assert_same_picture(&server.picture(), &baseline, "after a reset");
    assert_eq!(
        server
            .easycart(&new_token, "/api/v1/customers?currency=usd")
            .0,
        401
    );
    let (_, again) = server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("first@example.com")),
    );
    assert_eq!(
        again["id"].as_i64(),
        Some(first_id),
        "ids restart at the baseline's"
    );

    // Snapshots.
    let (status, body) = server.admin("POST", "/__admin/snapshots", Some(json!({"name": "one"})));
    assert_eq!((status, &body["name"]), (201, &json!("one")));
    let saved = server.picture();
    server.woo("DELETE", "/wp-json/wc/v3/customers/4?force=true", None);
    server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("second@example.com")),
    );
    let (status, body) = server.admin("GET", "/__admin/snapshots", None);
    assert_eq!(
        (status, body),
        (200, json!({"snapshots": [{"name": "one"}]}))
    );
    let (status, _) = server.admin("POST", "/__admin/snapshots/one/restore", None);
    assert_eq!(status, 200);
    assert_same_picture(&server.picture(), &saved, "after a restore");
    for (body, field) in [
        (json!({"name": "../x"}), "name"),
        (json!({"name": "ok", "extra": 1}), "extra"),
        (json!({"name": 5}), "name"),
    ] {
        let (status, error) = server.admin("POST", "/__admin/snapshots", Some(body));
        assert_eq!((status, &error["field"]), (400, &json!(field)), "{error}");
    }
    let (status, _) = server.admin("DELETE", "/__admin/snapshots/one", None);
    assert_eq!(status, 200);
    let (status, error) = server.admin("POST", "/__admin/snapshots/one/restore", None);
    assert_eq!((status, &error["field"]), (404, &json!("name")));
    let (_, body) = server.admin("GET", "/__admin/snapshots", None);
    assert_eq!(body, json!({"snapshots": []}));
    // The baseline follows POST /__admin/baseline.
    server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("kept@example.com")),
    );
    let (status, _) = server.admin("POST", "/__admin/baseline", None);
    assert_eq!(status, 200);
    let kept = server.picture();
    server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("gone@example.com")),
    );
    server.admin("POST", "/__admin/reset", None);
    assert_same_picture(&server.picture(), &kept, "after a reset to a new baseline");

    // Seeding: a bad import names record and field and writes nothing.
    let (status, errors) = server.admin_raw(
        "POST",
        "/__admin/import",
        Some(
            "{\"type\":\"customer\",\"email\":\"seed@example.com\"}\n\
             {\"type\":\"order\",\"customer_id\":1,\"status\":\"done\",\"currency\":\"USD\",\"total\":\"1.00\"}\n",
        ),
    );
    assert_eq!(status, 400, "{errors}");
    assert_eq!(errors["errors"][0]["record"], "line 2", "{errors}");
    assert_eq!(errors["errors"][0]["field"], "status", "{errors}");
    assert_same_picture(&server.picture(), &kept, "after a refused import");
    let (status, counts) = server.admin_raw(
        "POST",
        "/__admin/import",
        Some("{\"type\":\"customer\",\"email\":\"seed@example.com\",\"username\":\"seed\",\"role\":\"customer\"}\n"),
    );
    assert_eq!((status, &counts["customers"]), (200, &json!(1)), "{counts}");

    // The journal: newest first, filtered, counted, without secrets.
    let (status, _) = server.admin("DELETE", "/__admin/requests", None);
    assert_eq!(status, 200);
    let query_keys = format!(
        "/wp-json/wc/v3/customers/1?consumer_key={}&consumer_secret={}",
        server.woo.0, server.woo.1
    );
    let https = [("X-Forwarded-Proto", "https".to_owned())];
    assert_eq!(server.send("GET", &query_keys, &https, None).0, 200);
    server.picture();
    server.woo(
        "PUT",
        "/wp-json/wc/v3/customers/1",
        Some(json!({"password": "hunter2-secret"})),
    );
    let (status, journal) = server.admin("GET", "/__admin/requests", None);
    assert_eq!(status, 200);
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 8, "{journal}");
    assert_eq!(entries[0]["method"], "PUT");
    assert_eq!(entries[7]["dialect"], "wc-v3");
    assert!(
        entries[7]["query"]
            .as_str()
            .unwrap()
            .contains("consumer_secret=[redacted]")
    );
    let text = journal.to_string();
    for secret in [
        &server.woo.1,
        &server.edd.1,
        &server.bearer,
        &"hunter2-secret".to_owned(),
    ] {
        assert!(!text.contains(secret.as_str()), "{secret} journaled");
    }
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", server.woo.0, server.woo.1));
    assert!(!text.contains(&basic));
    let (_, edd) = server.admin("GET", "/__admin/requests?dialect=edd-v2&limit=5", None);
    assert_eq!(edd["requests"].as_array().unwrap().len(), 1);
    assert_eq!(edd["requests"][0]["status"], 200);
    let (_, count) = server.admin(
        "GET",
        "/__admin/requests/count?method=GET&path=/wp-json/**",
        None,
    );
    assert_eq!(count, json!({"count": 3}));
    let (status, error) = server.admin("GET", "/__admin/requests?colour=red", None);
    assert_eq!((status, &error["field"]), (400, &json!("colour")));

    // Faults: a probability of one half hits about half of 1,000 requests, in the
    // dialect's own error shape.
    let (status, fault) = server.admin(
        "POST",
        "/__admin/faults",
        Some(
            json!({"match": {"dialect": "easycart-v1", "path": "/api/v1/customers"},
                    "status": 503, "probability": 0.5}),
        ),
    );
    assert_eq!(status, 201, "{fault}");
    let fault_id = fault["id"].as_u64().unwrap();
    let mut failed = 0;
    for _ in 0..1000 {
        let (status, body) = server.easycart(&server.bearer, "/api/v1/customers?currency=usd");
        if status == 503 {
            failed += 1;
            let body: Value = serde_json::from_str(&body).unwrap();
            assert!(body["message"].is_string(), "{body}");
        } else {
            assert_eq!(status, 200);
        }
    }
    // Six standard deviations of a fair coin over 1,000 tosses either side of 500.
    assert!((405..=595).contains(&failed), "{failed} of 1000 hit");
    let (_, listed) = server.admin("GET", "/__admin/faults", None);
    assert_eq!(listed["faults"][0]["hits"], failed);
    let (status, _) = server.admin("DELETE", &format!("/__admin/faults/{fault_id}"), None);
    assert_eq!(status, 200);
    let (status, _) = server.admin("DELETE", &format!("/__admin/faults/{fault_id}"), None);
    assert_eq!(status, 404);

    // `times`, a glob and WordPress's error shape.
    server.admin(
        "POST",
        "/__admin/faults",
        Some(
            json!({"match": {"method": "GET", "path": "/wp-json/wc/v3/customers/*"},
                    "status": 500, "times": 2}),
        ),
    );
    for _ in 0..2 {
        let (status, body) = server.woo("GET", "/wp-json/wc/v3/customers/1", None);
        assert_eq!(status, 500);
        assert!(
            body["code"].is_string() && body["data"]["status"].is_number(),
            "{body}"
        );
    }
    assert_eq!(server.woo("GET", "/wp-json/wc/v3/customers/1", None).0, 200);
    let (_, listed) = server.admin("GET", "/__admin/faults", None);
    assert_eq!(listed, json!({"faults": []}));

    // Latency is added without holding a worker thread: many requests wait at once.
    server.admin(
        "POST",
        "/__admin/faults",
        Some(json!({"match": {"path": "/healthz"}, "latency_ms": {"min": 300, "max": 350}})),
    );
    let started = Instant::now();
    let waits: Vec<_> = (0..16)
        .map(|_| {
            let base = server.base.clone();
            std::thread::spawn(move || {
                ureq::get(format!("{base}/healthz"))
                    .call()
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for wait in waits {
        assert_eq!(wait.join().unwrap(), 200);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    server.admin("DELETE", "/__admin/faults", None);

    // A dropped connection gets no answer at all.
    server.admin(
        "POST",
        "/__admin/faults",
        Some(json!({"match": {"path": "/healthz"}, "drop_connection": true, "times": 1})),
    );
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    let (_, dropped) = server.admin("GET", "/__admin/requests?path=/healthz&limit=1", None);
    assert_eq!(dropped["requests"][0]["status"], 0);

    // Bad faults name their field and change nothing.
    for (body, field) in [
        (json!({"status": 500, "probability": 2}), "probability"),
        (
            json!({"match": {"path": "/a/[b"}, "status": 500}),
            "match.path",
        ),
        (json!({"status": 500, "speed": 1}), "speed"),
    ] {
        let (status, error) = server.admin("POST", "/__admin/faults", Some(body));
        assert_eq!((status, &error["field"]), (400, &json!(field)), "{error}");
    }
    let (_, listed) = server.admin("GET", "/__admin/faults", None);
    assert_eq!(listed, json!({"faults": []}));

    // The clock: what the store stamps, frozen, and real time again.
    let (status, clock) = server.admin(
        "PUT",
        "/__admin/clock",
        Some(json!({"now": "2026-01-01T00:00:00Z", "frozen": true})),
    );
    assert_eq!((status, &clock["mode"]), (200, &json!("frozen")), "{clock}");
    let (_, created) = server.woo(
        "POST",
        "/wp-json/wc/v3/customers",
        Some(new_customer("clock@example.com")),
    );
    assert_eq!(
        created["date_created_gmt"], "2026-01-01T00:00:00",
        "{created}"
    );
    let (status, error) = server.admin("PUT", "/__admin/clock", Some(json!({"now": "soon"})));
    assert_eq!((status, &error["field"]), (400, &json!("now")));
    let (_, clock) = server.admin("DELETE", "/__admin/clock", None);
    assert_eq!(clock["mode"], "real");

    // A reset clears the journal, the faults and the clock too.
    server.admin(
        "PUT",
        "/__admin/clock",
        Some(json!({"now": "2030-01-01T00:00:00Z"})),
    );
    server.admin(
        "POST",
        "/__admin/faults",
        Some(json!({"status": 500, "match": {"path": "/nowhere"}})),
    );
    server.admin("POST", "/__admin/reset", None);
    let (_, count) = server.admin("GET", "/__admin/requests/count", None);
    assert_eq!(count, json!({"count": 0}));
    let (_, listed) = server.admin("GET", "/__admin/faults", None);
    assert_eq!(listed, json!({"faults": []}));
    let (_, clock) = server.admin("GET", "/__admin/clock", None);
    assert_eq!(clock["mode"], "real");

    // Every answer above as the control API's own document describes it.
    let (status, document) = server.admin("GET", "/__admin/openapi.json", None);
    assert_eq!(status, 200);
    check_against(&document, &server.answers);
}

/// Checks each answer's body against the schema its route, method and status have in
/// `document`.
fn check_against(document: &Value, answers: &[(String, String, u16, Value)]) {
    let paths = document["paths"].as_object().unwrap();
    for (method, path, status, body) in answers {
        let path = path.split('?').next().unwrap();
        let template = paths
            .keys()
            .find(|template| {
                let wanted: Vec<&str> = template.split('/').collect();
                let given: Vec<&str> = path.split('/').collect();
                wanted.len() == given.len()
                    && wanted
                        .iter()
                        .zip(&given)
                        .all(|(w, g)| w.starts_with('{') || w == g)
            })
            .unwrap_or_else(|| panic!("{path} is not documented"));
        let response =
            &paths[template][method.to_ascii_lowercase()]["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} {status} is not documented"
        );
        let mut schema = response["content"]["application/json"]["schema"].clone();
        schema
            .as_object_mut()
            .unwrap()
            .insert("components".into(), document["components"].clone());
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let problems: Vec<String> = validator
            .iter_errors(body)
            .take(3)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{method} {path} {status}: {problems:?}\n{body}"
        );
    }
}
