//! Two `clientele serve` processes on one PostgreSQL database, as behind a load
//! balancer: a write through one is read through the other at once, a key revoked on the
//! command line is refused by both, an OAuth nonce used on one is a replay on the other,
//! concurrent creates of one address through both leave one customer, concurrent writes
//! to one customer never answer 5xx, and connections the database closed are replaced.
//! Then one server on a database that stops and starts again: 503 while it is down,
//! within seconds, and 200 again once it is back, with no restart of the server.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};

const SITE: &str = "http://shop.example";

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn clientele(args: &[&str]) -> serde_json::Value {
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

fn serve(db: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--site-url", SITE, "--trust-proxy"])
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
    while status(&agent(), &server, "/healthz") != 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "no answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn status(agent: &ureq::Agent, server: &Server, path: &str) -> u16 {
    agent
        .get(format!("{}{path}", server.base))
        .call()
        .map_or(0, |r| r.status().as_u16())
}

/// A WooCommerce request with Basic auth over the trusted proxy's https.
fn woo(
    agent: &ureq::Agent,
    server: &Server,
    method: &str,
    path: &str,
    key: &(String, String),
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", key.0, key.1));
    let builder = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", server.base))
        .header("Authorization", format!("Basic {basic}"))
        .header("X-Forwarded-Proto", "https")
        .header("Content-Type", "application/json");
    let response = match body {
        Some(body) => agent.run(builder.body(body.to_string()).unwrap()),
        None => agent.run(builder.body(()).unwrap()),
    };
    let mut response = response.unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// A GET of `/wp-json/wc/v3/customers` signed with OAuth 1.0a (HMAC-SHA1) for `SITE`,
/// with `nonce`. Every value is alphanumeric, so no parameter needs encoding.
fn oauth_list_url(server: &Server, key: &(String, String), nonce: &str) -> String {
    let path = "/wp-json/wc/v3/customers";
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut params = [
        ("oauth_consumer_key", key.0.as_str()),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
    ];
    params.sort();
    let normalised: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}%3D{value}"))
        .collect();
    let site_path = format!("{SITE}{path}")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let base = format!("GET&{site_path}&{}", normalised.join("%26"));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", key.1).as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let signature: String = signature
        .bytes()
        .map(|b| match b {
            b'+' => "%2B".to_owned(),
            b'/' => "%2F".to_owned(),
            b'=' => "%3D".to_owned(),
            other => (other as char).to_string(),
        })
        .collect();
    let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!(
        "{}{path}?{}&oauth_signature={signature}",
        server.base,
        query.join("&")
    )
}

#[test]
fn two_servers_on_one_database_behave_as_one() {
    let database = pg_test_cluster::database();
    let db = database.url();
    let created = clientele(&["keys", "create", "--kind", "woocommerce", "--db", db]);
    let key = (
        created["consumer_key"].as_str().unwrap().to_owned(),
        created["consumer_secret"].as_str().unwrap().to_owned(),
    );
    let (a, b) = (serve(db), serve(db));
    let http = agent();

    // A write through one server is read through the other at once.
    let (status, customer) = woo(
        &http,
        &a,
        "POST",
        "/wp-json/wc/v3/customers",
        &key,
        Some(serde_json::json!({"email": "one@example.com", "first_name": "One"})),
    );
    assert_eq!(status, 201, "{customer}");
    let id = customer["id"].as_i64().unwrap();
    let (status, read) = woo(
        &http,
        &b,
        "GET",
        &format!("/wp-json/wc/v3/customers/{id}"),
        &key,
        None,
    );
    assert_eq!((status, &read["email"]), (200, &customer["email"]));

    // Concurrent creates of one address (in several letter cases) through both: one
    // customer, the others refused as WooCommerce refuses a taken address.
    let outcomes: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (server, http, key) = (if i % 2 == 0 { &a } else { &b }, &http, &key);
                scope.spawn(move || {
                    let email = if i % 2 == 0 {
                        "race@example.com"
                    } else {
                        "RACE@Example.com"
                    };
                    woo(
                        http,
                        server,
                        "POST",
                        "/wp-json/wc/v3/customers",
                        key,
                        Some(serde_json::json!({"email": email})),
                    )
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        outcomes.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{outcomes:?}"
    );
    for (status, body) in &outcomes {
        assert!(
            *status == 201 || (*status == 400 && body["code"] == "registration-error-email-exists"),
            "{status} {body}"
        );
    }
    let (_, found) = woo(
        &http,
        &b,
        "GET",
        "/wp-json/wc/v3/customers?email=race@example.com&role=all",
        &key,
        None,
    );
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");

    // Concurrent writes to one customer through both servers: every one answered.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (server, http, key) = (if i % 2 == 0 { &a } else { &b }, &http, &key);
                scope.spawn(move || {
                    woo(
                        http,
                        server,
                        "PUT",
                        &format!("/wp-json/wc/v3/customers/{id}"),
                        key,
                        Some(serde_json::json!({"first_name": format!("Name{i}")})),
                    )
                    .0
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // An OAuth nonce used through one server is a replay through the other.
    let signed = oauth_list_url(&a, &key, "nonce0042");
    let first = http.get(&signed).call().unwrap().status().as_u16();
    assert_eq!(first, 200);
    let replay = signed.replacen(&a.base, &b.base, 1);
    let mut again = http.get(&replay).call().unwrap();
    assert_eq!(again.status().as_u16(), 401);
    let body = again.body_mut().read_to_string().unwrap();
    assert!(body.contains("nonce has already been used"), "{body}");

    // Connections the database closed are replaced without a failed request.
    database
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    for server in [&a, &b, &a, &b] {
        let (status, _) = woo(
            &http,
            server,
            "GET",
            &format!("/wp-json/wc/v3/customers/{id}"),
            &key,
            None,
        );
        assert_eq!(status, 200);
    }

    // A key revoked on the command line is refused by both servers at once.
    let listed = clientele(&["keys", "list", "--db", db]);
    let key_id = listed[0]["id"].as_i64().unwrap().to_string();
    clientele(&["keys", "revoke", &key_id, "--db", db]);
    for server in [&a, &b] {
        let (status, body) = woo(&http, server, "GET", "/wp-json/wc/v3/customers", &key, None);
        assert_eq!(status, 401, "{body}");
    }
}

#[test]
fn a_server_answers_503_while_the_database_is_down_and_recovers_by_itself() {
    let cluster = pg_test_cluster::Cluster::private().unwrap();
    let database = cluster.create_database().unwrap();
    let db = database.url();
    let token = clientele(&["keys", "create", "--kind", "bearer", "--db", db])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = serve(db);
    let http = agent();
    let easycart = |http: &ureq::Agent| {
        let mut response = http
            .get(format!("{}/api/v1/customers?currency=usd", server.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    };
    assert_eq!(easycart(&http).0, 200);

    cluster.stop().unwrap();
    for path in ["/healthz", "/api/v1/customers"] {
        let started = Instant::now();
        let (status, body) = if path == "/healthz" {
            (status(&http, &server, path), String::new())
        } else {
            easycart(&http)
        };
        assert_eq!(status, 503, "{path}: {body}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} took {:?}",
            started.elapsed()
        );
        if !body.is_empty() {
            let error: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                error.get("error").is_some() || error.get("message").is_some(),
                "{body}"
            );
        }
    }

    cluster.restart().unwrap();
    let started = Instant::now();
    while status(&http, &server, "/healthz") != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "no recovery");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = easycart(&http);
    assert_eq!(status, 200, "{body}");
}
