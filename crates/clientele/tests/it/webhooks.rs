//! Webhooks end to end, over sockets: `clientele serve` on a SQLite file and a local
//! receiver. One server, several checks: the ping, every header, the signature against
//! an independent HMAC, the bodies of each topic and version (equal to what the API
//! answers), events from wc/v3, wc/v2 batches and wc-api/v3, a paused webhook, the
//! disable rule, the delivery log on the command line, and a delivery cut short by
//! kill -9 repeated after a restart with the same delivery id.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

const SITE: &str = "http://shop.example";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }
}

/// A local receiver: records every request; `/fail…` answers 500, `/slow…` answers
/// after `slow` (while set), everything else 200.
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
    slow: Arc<Mutex<Option<Duration>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Self {
            base: format!("http://{}", listener.local_addr().unwrap()),
            got: Arc::default(),
            slow: Arc::default(),
        };
        let shared = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || shared.answer(stream));
            }
        });
        receiver
    }

    fn answer(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap();
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers
            .get("content-length")
            .map_or(0, |n| n.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let received = Received {
            path: path.clone(),
            headers,
            body: String::from_utf8(body).unwrap(),
        };
        self.got.lock().unwrap().push(received);
        let status = if path.starts_with("/fail") {
            500
        } else {
            if path.starts_with("/slow")
                && let Some(pause) = *self.slow.lock().unwrap()
            {
                std::thread::sleep(pause);
            }
            200
        };
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }

    /// Waits until `count` requests reached `path`, and returns them.
    fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got: Vec<Received> = self
                .got
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.path == path)
                .cloned()
                .collect();
            if got.len() >= count {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{path}: {} of {count} requests",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, path: &str) -> usize {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

/// Kills the server when the test ends, however it ends.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clientele(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "clientele {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn serve(db: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--site-url",
            SITE,
            "--trust-proxy",
            "--webhook-timeout",
            "1s",
        ])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while agent()
        .get(format!("{}/healthz", server.base))
        .call()
        .map_or(0, |r| r.status().as_u16())
        != 200
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// A WooCommerce request with query-string keys over the trusted proxy's https.
fn woo(server: &Server, keys: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let builder = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}{separator}{keys}", server.base))
        .header("X-Forwarded-Proto", "https")
        .header("Content-Type", "application/json");
    let mut response = agent()
        .run(
            builder
                .body(body.map(|b| b.to_string()).unwrap_or_default())
                .unwrap(),
        )
        .unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

fn hmac_base64(secret: &str, body: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A store with a WooCommerce key, a receiver, and a server on a free port.
struct Shop {
    dir: tempfile::TempDir,
    db: String,
    /// The key as query parameters.
    keys: String,
    receiver: Receiver,
    port: u16,
    server: Server,
}

impl Shop {
    fn open() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop.sqlite3").to_str().unwrap().to_owned();
        let key = clientele(&["keys", "create", "--kind", "woocommerce", "--db", &db]);
        let keys = format!(
            "consumer_key={}&consumer_secret={}",
            key["consumer_key"].as_str().unwrap(),
            key["consumer_secret"].as_str().unwrap()
        );
        let receiver = Receiver::start();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = serve(&db, port);
        Self {
            dir,
            db,
            keys,
            receiver,
            port,
            server,
        }
    }
}

#[test]
fn webhooks_deliver_every_change_once_signed_and_survive_a_kill() {
    let Shop {
        dir: _dir,
        db,
        keys,
        receiver,
        port,
        server,
    } = Shop::open();
    let db = db.as_str();
    let hook = |version: &str, topic: &str, path: &str| {
        let (status, made) = woo(
            &server,
            &keys,
            "POST",
            &format!("/wp-json/wc/{version}/webhooks"),
            Some(
                json!({"topic": topic, "delivery_url": format!("{}{path}", receiver.base),
                        "secret": format!("secret {path}")}),
            ),
        );
        assert_eq!(status, 201, "{made}");
        made
    };

    // Creation: 201 with the secret, and a ping.
    let created = hook("v3", "customer.created", "/created");
    assert_eq!(created["status"], "active");
    assert_eq!(created["secret"], "secret /created");
    let ping = &receiver.wait_for("/created", 1)[0];
    assert_eq!(ping.body, format!("webhook_id={}", created["id"]));
    assert!(ping.header("user-agent").starts_with("WooCommerce/"));
    assert!(ping.header("user-agent").contains(" Hookshot (WordPress/"));
    let updated_v2 = hook("v2", "customer.updated", "/updated");
    let deleted = hook("v3", "customer.deleted", "/deleted");
    let paused = hook("v3", "customer.created", "/paused");
    receiver.wait_for("/paused", 1);
    let (status, _) = woo(
        &server,
        &keys,
        "PUT",
        &format!("/wp-json/wc/v3/webhooks/{}", paused["id"]),
        Some(json!({"status": "paused"})),
    );
    assert_eq!(status, 200);
    let failing = hook("v3", "customer.created", "/fail");
    assert_eq!(
        updated_v2["_links"]["self"][0]["href"]
            .as_str()
            .map(|h| h.contains("/wc/v2/")),
        Some(true)
    );
    assert_eq!(deleted["hooks"], json!(["delete_user"]));
    for path in ["/updated", "/deleted", "/fail"] {
        receiver.wait_for(path, 1);
    }

    // A create through wc/v3: every header, the signature, the body GET answers.
    let (status, ana) = woo(
        &server,
        &keys,
        "POST",
        "/wp-json/wc/v3/customers",
        Some(json!({"email": "ana@example.com", "first_name": "Ana"})),
    );
    assert_eq!(status, 201);
    let ana_id = ana["id"].as_i64().unwrap();
    let delivery = receiver.wait_for("/created", 2)[1].clone();
    assert_eq!(delivery.header("content-type"), "application/json");
    assert_eq!(
        delivery.header("x-wc-webhook-source"),
        "http://shop.example/"
    );
    assert_eq!(delivery.header("x-wc-webhook-topic"), "customer.created");
    assert_eq!(delivery.header("x-wc-webhook-resource"), "customer");
    assert_eq!(delivery.header("x-wc-webhook-event"), "created");
    assert_eq!(
        delivery.header("x-wc-webhook-id"),
        created["id"].to_string()
    );
    assert!(!delivery.header("x-wc-webhook-delivery-id").is_empty());
    assert_eq!(
        delivery.header("x-wc-webhook-signature"),
        hmac_base64("secret /created", &delivery.body)
    );
    let (_, shown) = woo(
        &server,
        &keys,
        "GET",
        &format!("/wp-json/wc/v3/customers/{ana_id}"),
        None,
    );
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["id"], shown["id"]);
    assert_eq!(body["email"], "ana@example.com");
    assert_eq!(body["date_created_gmt"], shown["date_created_gmt"]);

    // An update through wc-api/v3 reaches the v2 webhook with the v2 object.
    let (status, _) = woo(
        &server,
        &keys,
        "PUT",
        &format!("/wc-api/v3/customers/{ana_id}"),
        Some(json!({"customer": {"last_name": "Legacy"}})),
    );
    assert_eq!(status, 200);
    let update = receiver.wait_for("/updated", 2)[1].clone();
    let body: Value = serde_json::from_str(&update.body).unwrap();
    let (_, shown_v2) = woo(
        &server,
        &keys,
        "GET",
        &format!("/wp-json/wc/v2/customers/{ana_id}"),
        None,
    );
    // The API answered over https (the proxy's); deliveries link to the site URL.
    let shown_v2: Value = serde_json::from_str(
        &shown_v2
            .to_string()
            .replace("https://shop.", "http://shop."),
    )
    .unwrap();
    assert_eq!(body, shown_v2);
    assert!(body.get("orders_count").is_some() && body.get("total_spent").is_some());
    assert_eq!(update.header("x-wc-webhook-topic"), "customer.updated");
    assert_eq!(
        update.header("x-wc-webhook-signature"),
        hmac_base64("secret /updated", &update.body)
    );

    // A wc/v2 batch: one event per item that succeeded.
    let (status, batch) = woo(
        &server,
        &keys,
        "POST",
        "/wp-json/wc/v2/customers/batch",
        Some(json!({
            "create": [{"email": "bo@example.com"}, {"email": "ana@example.com"}],
            "update": [{"id": ana_id, "first_name": "Anna"}],
        })),
    );
    assert_eq!(status, 200, "{batch}");
    assert!(batch["create"][1]["error"].is_object());
    receiver.wait_for("/created", 3);
    receiver.wait_for("/updated", 3);

    // A delete through wc/v3: `{"id": N}`.
    let (status, _) = woo(
        &server,
        &keys,
        "DELETE",
        &format!("/wp-json/wc/v3/customers/{ana_id}?force=true"),
        None,
    );
    assert_eq!(status, 200);
    let gone = receiver.wait_for("/deleted", 2)[1].clone();
    assert_eq!(gone.body, format!(r#"{{"id":{ana_id}}}"#));
    assert_eq!(gone.header("x-wc-webhook-event"), "deleted");

    // The failing webhook: more than five consecutive failures disable it.
    for n in 0..6 {
        let (status, _) = woo(
            &server,
            &keys,
            "POST",
            "/wp-json/wc/v3/customers",
            Some(json!({"email": format!("c{n}@example.com")})),
        );
        assert_eq!(status, 201);
    }
    // Ana, Bo and six more: eight events, of which the seventh failure disables it.
    receiver.wait_for("/fail", 1 + 7);
    let started = Instant::now();
    loop {
        let (_, shown) = woo(
            &server,
            &keys,
            "GET",
            &format!("/wp-json/wc/v3/webhooks/{}", failing["id"]),
            None,
        );
        if shown["status"] == "disabled" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        receiver.count("/fail"),
        1 + 7,
        "a disabled webhook sends nothing"
    );
    assert_eq!(
        receiver.count("/paused"),
        1,
        "a paused webhook sends nothing"
    );

    // The delivery log, on the command line.
    let log = clientele(&[
        "webhooks",
        "deliveries",
        &created["id"].to_string(),
        "--db",
        db,
    ]);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1 + 2 + 6, "the ping and every created customer");
    assert_eq!(log[0]["response_status"], 200);
    assert_eq!(
        log.last().unwrap()["request_body"],
        format!("webhook_id={}", created["id"])
    );

    // kill -9 while a delivery is in flight: after a restart it comes again, with the
    // same delivery id.
    let slow = hook("v3", "customer.updated", "/slow");
    receiver.wait_for("/slow", 1);
    *receiver.slow.lock().unwrap() = Some(Duration::from_secs(3));
    let (status, _) = woo(
        &server,
        &keys,
        "PUT",
        "/wp-json/wc/v2/customers/batch",
        Some(json!({"update": [{"id": batch["create"][0]["id"], "first_name": "Bo"}]})),
    );
    assert_eq!(status, 200);
    let first = receiver.wait_for("/slow", 2)[1].clone();
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    *receiver.slow.lock().unwrap() = None;
    let _restarted = serve(db, port);
    let again = receiver.wait_for("/slow", 3)[2].clone();
    assert_eq!(
        again.header("x-wc-webhook-delivery-id"),
        first.header("x-wc-webhook-delivery-id")
    );
    assert_eq!(again.body, first.body);
    assert_eq!(slow["topic"], "customer.updated");
    drop(server);
}

/// `clientele import --fire-webhooks` beside a running server: one `customer.created`
/// delivery per registered customer imported, in id order, each body the customer as
/// wc/v3 answers it; the same import without the flag delivers nothing.
#[test]
fn imports_fire_webhooks_only_with_the_flag() {
    let Shop {
        dir,
        db,
        keys,
        receiver,
        port: _,
        server,
    } = Shop::open();
    let db = db.as_str();
    let (status, hook) = woo(
        &server,
        &keys,
        "POST",
        "/wp-json/wc/v3/webhooks",
        Some(json!({"topic": "customer.created",
                    "delivery_url": format!("{}/imported", receiver.base)})),
    );
    assert_eq!(status, 201, "{hook}");
    receiver.wait_for("/imported", 1);

    let file = |name: &str, first: i64| {
        let path = dir.path().join(name);
        let lines = [
            json!({"type": "customer", "id": first + 2, "email": format!("c{first}@example.com"),
                   "username": format!("c{first}")}),
            json!({"type": "customer", "id": first, "email": format!("a{first}@example.com"),
                   "username": format!("a{first}")}),
            json!({"type": "customer", "id": first + 1, "email": format!("guest{first}@example.com")}),
            json!({"type": "customer", "id": first + 3, "email": format!("d{first}@example.com"),
                   "username": format!("d{first}")}),
            json!({"type": "order", "email": format!("buyer{first}@example.com"),
                   "status": "completed", "currency": "usd", "total": "5.00"}),
        ];
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        std::fs::write(&path, text.join("\n")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let silent = file("silent.ndjson", 100);
    let imported = clientele(&["import", "--quiet", "--db", db, &silent]);
    assert_eq!(imported["customers"], 5, "{imported}");
    let firing = file("firing.ndjson", 200);
    let imported = clientele(&["import", "--quiet", "--fire-webhooks", "--db", db, &firing]);
    assert_eq!(imported["customers"], 5, "{imported}");

    let deliveries = receiver.wait_for("/imported", 4);
    let ids: Vec<i64> = deliveries[1..]
        .iter()
        .map(|delivery| {
            assert_eq!(delivery.header("x-wc-webhook-topic"), "customer.created");
            serde_json::from_str::<Value>(&delivery.body).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [200, 202, 203], "registered customers, in id order");
    let (status, mut customer) = woo(&server, &keys, "GET", "/wp-json/wc/v3/customers/202", None);
    assert_eq!(status, 200);
    let mut body: Value = serde_json::from_str(&deliveries[2].body).unwrap();
    // The links follow the site URL's scheme, the answer's the request's (https here).
    for object in [&mut body, &mut customer] {
        object.as_object_mut().unwrap().remove("_links");
    }
    assert_eq!(body, customer);
    // Nothing else arrives: not the unflagged import's customers, not the guests.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.count("/imported"), 4);
}
