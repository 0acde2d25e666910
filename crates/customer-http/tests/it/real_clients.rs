//! The official WooCommerce clients, unmodified, against servers on real sockets.
//!
//! Installs the PyPI `woocommerce` 3.0.0 and npm `@woocommerce/woocommerce-rest-api`
//! 1.0.2 packages into a scratch folder under the system temp dir (python3 with pip and
//! node with npm must be on `PATH`, and the registries reachable: without them these
//! tests fail), starts servers on `127.0.0.1:0` over plain http (OAuth 1.0a) and https
//! with a self-signed certificate made here (Basic and query keys), and runs
//! `tests/real-clients/wc.py` and `wc.mjs`, which print what the clients got back.
//!
//! - `clients_authenticate_through_real_sockets` puts a probe behind the real TLS and
//!   HTTP stack that only authenticates ([`customer_http::woo_auth`]) and echoes the
//!   caller: it shows the clients' signatures, Basic and query keys pass, and a wrong
//!   secret or a missing scope fails with WooCommerce's errors.
//! - `clients_manage_customers_end_to_end` runs the whole server
//!   ([`customer_http::serve`]) on a SQLite store and goes through create, get, list
//!   with search and paging, update, batch (legacy: bulk, count, by e-mail, orders),
//!   downloads and delete for wc/v3, wc/v2 and wc-api/v3;
//!   `clients_manage_customers_end_to_end_on_postgres` does the same on PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use customer_http::woo_auth::{self, WooCaller};
use customer_http::{AppState, Request, Response, SiteConfig, keys};
use customer_model::{
    Address, Currency, CustomerDraft, CustomerId, DownloadFile, NewDownloadGrant, NewLineItem,
    NewOrder, NewProduct, OrderStatus, Timestamp,
};
use customer_store::{CustomerStore, KeyKind, KeyPermissions, SqliteStore};
use customer_wire::woo::auth::{self as woo, AuthError, Flavor};
use http_body_util::Full;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const PYTHON_CLIENT: &str = "woocommerce==3.0.0";
const JS_CLIENT: &str = "@woocommerce/woocommerce-rest-api@1.0.2";

// ----- Installing the clients ----------------------------------------------------------

/// The installed clients; dropping this removes them.
struct Clients {
    scratch: tempfile::TempDir,
}

impl Clients {
    fn python_path(&self) -> PathBuf {
        self.scratch.path().join("py")
    }

    fn js_prefix(&self) -> PathBuf {
        self.scratch.path().join("js")
    }
}

fn run(what: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot start ({error}); is it installed?"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn install_clients() -> Clients {
    let scratch = tempfile::Builder::new()
        .prefix("clientele-real-clients-")
        .tempdir()
        .expect("a scratch folder in the temp dir");
    let clients = Clients { scratch };
    run(
        "pip install",
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--target")
            .arg(clients.python_path())
            .arg(PYTHON_CLIENT),
    );
    std::fs::create_dir_all(clients.js_prefix()).expect("the npm prefix");
    run(
        "npm install",
        Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(clients.js_prefix())
            .arg(JS_CLIENT),
    );
    clients
}

async fn clients() -> Clients {
    tokio::task::spawn_blocking(install_clients)
        .await
        .expect("installing the clients")
}

fn driver(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/real-clients")
        .join(name)
}

/// Runs one driver script with `config` and returns its steps by name (a repeated name
/// keeps every step, in order).
async fn run_driver(clients: &Clients, script: &str, config: Value) -> Vec<Value> {
    let mut config = config;
    config["js_prefix"] = json!(clients.js_prefix());
    let mut command = match script {
        "wc.py" => {
            let mut command = Command::new("python3");
            command.env("PYTHONPATH", clients.python_path());
            command
        }
        _ => Command::new("node"),
    };
    command.arg(driver(script)).arg(config.to_string());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the driver thread")
        .unwrap_or_else(|error| panic!("{script}: cannot start ({error})"));
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{script} printed no JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    steps.as_array().expect("a list of steps").clone()
}

// ----- Servers -------------------------------------------------------------------------

struct RunningServer {
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("the server task")
            .expect("the server");
    }
}

fn self_signed_tls() -> Arc<rustls::ServerConfig> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a self-signed certificate");
    customer_http::tls_config_from_pem(
        certified.cert.pem().as_bytes(),
        certified.signing_key.serialize_pem().as_bytes(),
    )
    .expect("a TLS configuration")
}

/// Binds `127.0.0.1:0`, builds the state for the address it got (the site URL must be
/// the one the clients call: OAuth signs it), and serves it with `make_handler`.
async fn start<H, F>(
    store: Arc<dyn CustomerStore>,
    tls: bool,
    make_handler: impl FnOnce(Arc<AppState>) -> H,
) -> RunningServer
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = Response> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("the bound address");
    let scheme = if tls { "https" } else { "http" };
    let base_url = format!("{scheme}://{address}");
    let state = Arc::new(AppState::new(store, SiteConfig::local(&base_url)));
    let handler = make_handler(state);
    let tls = tls.then(self_signed_tls);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(customer_http::serve_with(
        listener,
        handler,
        tls,
        customer_http::ServerLimits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    RunningServer {
        base_url,
        stop: Some(stop),
        task,
    }
}

/// The whole server.
fn whole_server(state: Arc<AppState>) -> impl Fn(Request) -> AnswerFuture + Clone + Send + Sync {
    move |request| {
        let state = Arc::clone(&state);
        Box::pin(async move { customer_http::handle(&state, request).await })
    }
}

type AnswerFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// Authentication only: the caller (key id or null) and the method, or the error in
/// the dialect's shape.
fn auth_probe(state: Arc<AppState>) -> impl Fn(Request) -> AnswerFuture + Clone + Send + Sync {
    move |request| {
        let state = Arc::clone(&state);
        Box::pin(async move { probe_answer(&state, request).await })
    }
}

async fn probe_answer(state: &AppState, request: Request) -> Response {
    let flavor = if request.uri.path().starts_with("/wc-api/") {
        Flavor::Legacy
    } else {
        Flavor::Rest
    };
    let incoming = request.incoming(state.site.trust_forwarded_proto);
    let method = woo::effective_method(&incoming, flavor);
    let outcome = match woo_auth::authenticate(state, &incoming, flavor).await {
        Ok(caller) => woo_auth::authorize(state, &caller, &method, flavor)
            .await
            .map(|()| caller),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(caller) => {
            let key_id = match caller {
                WooCaller::Key(key) => json!(key.id),
                WooCaller::Anonymous => Value::Null,
            };
            let body = json!({"key_id": key_id, "method": method, "tls": request.tls});
            json_response(200, &body, None)
        }
        Err(error) => probe_error(flavor, &error),
    }
}

fn probe_error(flavor: Flavor, error: &AuthError) -> Response {
    let body = match flavor {
        Flavor::Rest => json!({
            "code": error.code,
            "message": error.message,
            "data": {"status": error.status},
        }),
        Flavor::Legacy => json!({"errors": [{"code": error.code, "message": error.message}]}),
    };
    json_response(error.status, &body, error.www_authenticate())
}

fn json_response(status: u16, body: &Value, www_authenticate: Option<&str>) -> Response {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = http::StatusCode::from_u16(status).expect("a status");
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Some(challenge) = www_authenticate {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_str(challenge).expect("a header value"),
        );
    }
    response
}

// ----- Store and keys ------------------------------------------------------------------

struct Key {
    id: i64,
    consumer_key: String,
    consumer_secret: String,
}

async fn create_key(store: &dyn CustomerStore, permissions: KeyPermissions) -> Key {
    let issued = keys::issue(KeyKind::WooCommerce, permissions, "real clients");
    let stored = store
        .create_api_key(issued.stored)
        .await
        .expect("a stored key");
    Key {
        id: stored.id,
        consumer_key: issued.shown["consumer_key"].as_str().unwrap().to_owned(),
        consumer_secret: issued.shown["consumer_secret"].as_str().unwrap().to_owned(),
    }
}

fn keys_config(read_write: &Key, read: &Key) -> Value {
    json!({
        "rw": {"ck": read_write.consumer_key, "cs": read_write.consumer_secret},
        "read": {"ck": read.consumer_key, "cs": read.consumer_secret},
    })
}

/// A customer with one completed order of 25.00 USD and one unlimited download.
async fn seed_customer(store: &dyn CustomerStore) -> CustomerId {
    let product = store
        .create_product(NewProduct {
            id: None,
            uuid: None,
            name: "Ebook".to_owned(),
            files: vec![DownloadFile {
                id: "ebook-pdf".to_owned(),
                name: "ebook.pdf".to_owned(),
                url: "https://files.example.com/ebook.pdf".to_owned(),
            }],
        })
        .await
        .expect("a product");
    let draft = CustomerDraft {
        email: "seed.customer@example.com".to_owned(),
        first_name: "Sam".to_owned(),
        last_name: "Seed".to_owned(),
        username: Some("seed.customer".to_owned()),
        role: Some("customer".to_owned()),
        ..CustomerDraft::default()
    };
    let customer = store
        .create_customer(draft.validate().expect("a valid customer"))
        .await
        .expect("a stored customer");
    let paid = Timestamp::from_second(1_700_000_000).unwrap();
    let order = store
        .create_order(NewOrder {
            id: None,
            uuid: None,
            customer_id: customer.id,
            status: OrderStatus::Completed,
            currency: Currency::parse("USD").unwrap(),
            total: 2500,
            subtotal: 2500,
            total_tax: 0,
            shipping_total: 0,
            discount_total: 0,
            payment_method: "bacs".to_owned(),
            payment_method_title: "Bank transfer".to_owned(),
            created_at: Some(paid),
            paid_at: Some(paid),
            completed_at: Some(paid),
            billing: Address::default(),
            shipping: Address::default(),
            line_items: vec![NewLineItem {
                product_id: Some(product.id),
                name: "Ebook".to_owned(),
                quantity: 1,
                total: 2500,
            }],
            refunds: Vec::new(),
        })
        .await
        .expect("an order");
    store
        .create_download_grant(NewDownloadGrant {
            download_id: "ebook-pdf".to_owned(),
            customer_id: customer.id,
            order_id: order.id,
            product_id: product.id,
            downloads_remaining: None,
            access_expires: None,
            download_count: 0,
        })
        .await
        .expect("a download grant");
    customer.id
}

// ----- Reading the steps ---------------------------------------------------------------

/// Collects every mismatch instead of stopping at the first, so one run shows them all.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} mismatches:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

struct Steps<'a> {
    client: &'a str,
    steps: &'a [Value],
}

impl<'a> Steps<'a> {
    fn all(&self, name: &str) -> Vec<&'a Value> {
        self.steps
            .iter()
            .filter(|step| step["name"] == name)
            .collect()
    }

    fn one(&self, findings: &mut Findings, name: &str) -> Option<&'a Value> {
        let found = self.all(name);
        findings.check(found.len() == 1, || {
            format!(
                "{}: expected one step {name}, got {}",
                self.client,
                found.len()
            )
        });
        found.into_iter().next()
    }

    /// Checks the status and returns the body.
    fn expect(&self, findings: &mut Findings, name: &str, status: u64) -> Value {
        let Some(step) = self.one(findings, name) else {
            return Value::Null;
        };
        findings.check(step["status"] == status, || {
            format!(
                "{} {name}: status {status} expected, got {step}",
                self.client
            )
        });
        step["body"].clone()
    }

    fn header(&self, name: &str, header: &str) -> Option<String> {
        self.all(name)
            .first()
            .and_then(|step| step["headers"][header].as_str())
            .map(str::to_owned)
    }
}

fn same(findings: &mut Findings, client: &str, what: &str, actual: &Value, expected: &Value) {
    findings.check(actual == expected, || {
        format!("{client} {what}: expected {expected}, got {actual}")
    });
}

// ----- The tests -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_authenticate_through_real_sockets() {
    let clients = &clients().await;
    let store: Arc<dyn CustomerStore> =
        Arc::new(SqliteStore::open_in_memory().expect("an in-memory store"));
    let read_write = create_key(store.as_ref(), KeyPermissions::ReadWrite).await;
    let read = create_key(store.as_ref(), KeyPermissions::Read).await;
    let plain = start(Arc::clone(&store), false, auth_probe).await;
    let tls = start(Arc::clone(&store), true, auth_probe).await;
    let config = json!({
        "mode": "auth",
        "http": plain.base_url,
        "https": tls.base_url,
        "keys": keys_config(&read_write, &read),
    });

    let mut findings = Findings::default();
    for (client, script) in [("python", "wc.py"), ("js", "wc.mjs")] {
        let steps = run_driver(clients, script, config.clone()).await;
        let steps = Steps {
            client,
            steps: &steps,
        };
        let f = &mut findings;
        for transport in ["http", "https", "https-qs"] {
            let tls = transport != "http";
            let good = steps.expect(f, &format!("{transport}:rest:good"), 200);
            same(
                f,
                client,
                "rest key",
                &good,
                &json!({"key_id": read_write.id, "method": "GET", "tls": tls}),
            );
            let write = steps.expect(f, &format!("{transport}:rest:write"), 200);
            same(f, client, "rest write", &write["method"], &json!("DELETE"));

            let bad = steps.expect(f, &format!("{transport}:rest:bad-secret"), 401);
            same(
                f,
                client,
                "rest bad code",
                &bad["code"],
                &json!("woocommerce_rest_authentication_error"),
            );
            let message = if tls {
                "Consumer secret is invalid."
            } else {
                "Invalid signature - provided signature does not match."
            };
            same(
                f,
                client,
                "rest bad message",
                &bad["message"],
                &json!(message),
            );
            same(
                f,
                client,
                "rest bad status",
                &bad["data"]["status"],
                &json!(401),
            );

            let scope = steps.expect(f, &format!("{transport}:rest:read-key-write"), 401);
            same(
                f,
                client,
                "scope",
                &scope["message"],
                &json!("The API key provided does not have write permissions."),
            );

            // The Python client signs `/` unescaped; WooCommerce (and clientele) refuse
            // that over OAuth. Over https there is no signature.
            let slash_refused = client == "python" && !tls;
            let slash = steps.expect(
                f,
                &format!("{transport}:rest:slash"),
                if slash_refused { 401 } else { 200 },
            );
            if slash_refused {
                same(
                    f,
                    client,
                    "slash",
                    &slash["message"],
                    &json!("Invalid signature - provided signature does not match."),
                );
            }

            let legacy = steps.expect(f, &format!("{transport}:legacy:good"), 200);
            same(
                f,
                client,
                "legacy key",
                &legacy["key_id"],
                &json!(read_write.id),
            );
            let legacy_bad = steps.expect(f, &format!("{transport}:legacy:bad-secret"), 401);
            let legacy_message = match transport {
                "http" => "Invalid signature - provided signature does not match.",
                "https" => "Consumer Secret is invalid.",
                _ => "Consumer secret is invalid.",
            };
            same(
                f,
                client,
                "legacy bad",
                &legacy_bad,
                &json!({"errors": [{"code": "woocommerce_api_authentication_error", "message": legacy_message}]}),
            );
            let challenge = steps.header(
                &format!("{transport}:legacy:bad-secret"),
                "www-authenticate",
            );
            f.check(challenge.is_some() == (transport == "https"), || {
                format!("{client} {transport}: legacy Basic challenge {challenge:?}")
            });
        }
    }
    plain.stop().await;
    tls.stop().await;
    let last_access = store.api_keys().await.expect("the keys")[0].last_access;
    findings.check(last_access.is_some(), || {
        "the key's last access was not recorded".to_owned()
    });
    findings.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_manage_customers_end_to_end() {
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let store: Arc<dyn CustomerStore> = Arc::new(
        SqliteStore::open(scratch.path().join("clientele.sqlite3")).expect("a SQLite store"),
    );
    manage_customers_end_to_end(store).await;
}

/// The same flows with the server on PostgreSQL (a fresh database of a throwaway cluster).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_manage_customers_end_to_end_on_postgres() {
    let database = tokio::task::spawn_blocking(pg_test_cluster::database)
        .await
        .expect("a PostgreSQL database");
    let store: Arc<dyn CustomerStore> = Arc::new(
        customer_store::PostgresStore::connect(database.url())
            .await
            .expect("a PostgreSQL store"),
    );
    manage_customers_end_to_end(store).await;
}

async fn manage_customers_end_to_end(store: Arc<dyn CustomerStore>) {
    let clients = &clients().await;
    let seed_id = seed_customer(store.as_ref()).await;
    let read_write = create_key(store.as_ref(), KeyPermissions::ReadWrite).await;
    let read = create_key(store.as_ref(), KeyPermissions::Read).await;
    let plain = start(Arc::clone(&store), false, whole_server).await;
    let tls = start(Arc::clone(&store), true, whole_server).await;
    let config = json!({
        "mode": "flow",
        "http": plain.base_url,
        "https": tls.base_url,
        "keys": keys_config(&read_write, &read),
        "seed_id": seed_id.0,
    });

    let mut findings = Findings::default();
    for (client, script) in [("python", "wc.py"), ("js", "wc.mjs")] {
        let steps = run_driver(clients, script, config.clone()).await;
        let steps = Steps {
            client,
            steps: &steps,
        };
        let short = if client == "python" { "py" } else { "js" };
        for transport in ["http", "https"] {
            for version in ["wc/v3", "wc/v2"] {
                let tag = format!("{short}-{transport}-{}", version.replace('/', ""));
                check_rest_flow(
                    &mut findings,
                    &steps,
                    &format!("{transport}:{version}"),
                    &tag,
                    version,
                );
            }
            let tag = format!("{short}-{transport}-legacy");
            check_legacy_flow(
                &mut findings,
                &steps,
                &format!("{transport}:legacy"),
                &tag,
                seed_id.0,
            );
        }
    }
    plain.stop().await;
    tls.stop().await;
    findings.assert_none();
}

fn check_rest_flow(f: &mut Findings, steps: &Steps<'_>, prefix: &str, tag: &str, version: &str) {
    let client = steps.client;
    let step = |name: &str| format!("{prefix}:{name}");
    let ann = format!("ann.{tag}@example.com");

    let created = steps.expect(f, &step("create"), 201);
    same(
        f,
        client,
        &step("create email"),
        &created["email"],
        &json!(ann),
    );
    same(
        f,
        client,
        &step("create username"),
        &created["username"],
        &json!(format!("ann.{tag}")),
    );
    same(
        f,
        client,
        &step("create city"),
        &created["billing"]["city"],
        &json!("São Paulo"),
    );
    let ann_id = created["id"].clone();
    f.check(ann_id.as_i64().is_some_and(|id| id > 0), || {
        format!("{client} {prefix}: create id {ann_id}")
    });

    let got = steps.expect(f, &step("get"), 200);
    same(f, client, &step("get id"), &got["id"], &ann_id);

    let batch = steps.expect(f, &step("batch"), 200);
    let batch_emails: Vec<Value> = batch["create"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["email"].clone())
        .collect();
    same(
        f,
        client,
        &step("batch create"),
        &json!(batch_emails),
        &json!([
            format!("bea.{tag}@example.com"),
            format!("cal.{tag}@example.com")
        ]),
    );
    same(
        f,
        client,
        &step("batch update"),
        &batch["update"][0]["last_name"],
        &json!("Lee-Smith"),
    );
    let bea_id = batch["create"][0]["id"].clone();
    let cal_id = batch["create"][1]["id"].clone();

    let first = steps.expect(f, &step("list1"), 200);
    let ids = |page: &Value| -> Value {
        json!(
            page.as_array()
                .into_iter()
                .flatten()
                .map(|c| c["id"].clone())
                .collect::<Vec<_>>()
        )
    };
    same(
        f,
        client,
        &step("list1 ids"),
        &ids(&first),
        &json!([ann_id, bea_id]),
    );
    same(
        f,
        client,
        &step("list1 X-WP-Total"),
        &json!(steps.header(&step("list1"), "x-wp-total")),
        &json!("3"),
    );
    same(
        f,
        client,
        &step("list1 X-WP-TotalPages"),
        &json!(steps.header(&step("list1"), "x-wp-totalpages")),
        &json!("2"),
    );
    let second = steps.expect(f, &step("list2"), 200);
    same(
        f,
        client,
        &step("list2 ids"),
        &ids(&second),
        &json!([cal_id]),
    );

    let updated = steps.expect(f, &step("update"), 200);
    same(
        f,
        client,
        &step("update first_name"),
        &updated["first_name"],
        &json!("Anna"),
    );
    same(
        f,
        client,
        &step("update kept last_name"),
        &updated["last_name"],
        &json!("Lee-Smith"),
    );

    let seed = steps.expect(f, &step("seed"), 200);
    same(
        f,
        client,
        &step("seed email"),
        &seed["email"],
        &json!("seed.customer@example.com"),
    );
    if version == "wc/v2" {
        same(
            f,
            client,
            &step("seed orders_count"),
            &seed["orders_count"],
            &json!(1),
        );
        same(
            f,
            client,
            &step("seed total_spent"),
            &seed["total_spent"],
            &json!("25.00"),
        );
    } else {
        same(
            f,
            client,
            &step("seed has no total_spent"),
            &seed["total_spent"],
            &Value::Null,
        );
    }
    same(
        f,
        client,
        &step("seed is_paying_customer"),
        &seed["is_paying_customer"],
        &json!(true),
    );

    let downloads = steps.expect(f, &step("downloads"), 200);
    same(
        f,
        client,
        &step("downloads count"),
        &json!(downloads.as_array().map(Vec::len)),
        &json!(1),
    );
    same(
        f,
        client,
        &step("download remaining"),
        &downloads[0]["downloads_remaining"],
        &json!("unlimited"),
    );
    same(
        f,
        client,
        &step("download expires"),
        &downloads[0]["access_expires"],
        &json!("never"),
    );
    same(
        f,
        client,
        &step("download file"),
        &downloads[0]["file"]["name"],
        &json!("ebook.pdf"),
    );

    let deleted = steps.expect(f, &step("delete"), 200);
    same(f, client, &step("delete id"), &deleted["id"], &ann_id);
    let batch_deleted = steps.expect(f, &step("batch-delete"), 200);
    let deleted_ids: Vec<Value> = batch_deleted["delete"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["id"].clone())
        .collect();
    same(
        f,
        client,
        &step("batch delete ids"),
        &json!(deleted_ids),
        &json!([bea_id, cal_id]),
    );
    let gone = steps.expect(f, &step("gone"), 404);
    same(
        f,
        client,
        &step("gone code"),
        &gone["code"],
        &json!("woocommerce_rest_invalid_id"),
    );
}

fn check_legacy_flow(f: &mut Findings, steps: &Steps<'_>, prefix: &str, tag: &str, seed_id: i64) {
    let client = steps.client;
    let step = |name: &str| format!("{prefix}:{name}");
    let ann = format!("ann.{tag}@example.com");

    let created = steps.expect(f, &step("create"), 201);
    same(
        f,
        client,
        &step("create email"),
        &created["customer"]["email"],
        &json!(ann),
    );
    same(
        f,
        client,
        &step("create city"),
        &created["customer"]["billing_address"]["city"],
        &json!("São Paulo"),
    );
    let ann_id = created["customer"]["id"].clone();
    f.check(ann_id.as_i64().is_some_and(|id| id > 0), || {
        format!("{client} {prefix}: create id {ann_id}")
    });

    let got = steps.expect(f, &step("get"), 200);
    same(f, client, &step("get id"), &got["customer"]["id"], &ann_id);
    let by_email = steps.expect(f, &step("by-email"), 200);
    same(
        f,
        client,
        &step("by-email id"),
        &by_email["customer"]["id"],
        &ann_id,
    );

    let bulk = steps.expect(f, &step("bulk"), 201);
    let bulk_emails: Vec<Value> = bulk["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["email"].clone())
        .collect();
    same(
        f,
        client,
        &step("bulk emails"),
        &json!(bulk_emails),
        &json!([
            format!("bea.{tag}@example.com"),
            format!("cal.{tag}@example.com"),
            ann
        ]),
    );
    same(
        f,
        client,
        &step("bulk update"),
        &bulk["customers"][2]["last_name"],
        &json!("Lee-Smith"),
    );
    let bea_id = bulk["customers"][0]["id"].clone();
    let cal_id = bulk["customers"][1]["id"].clone();

    let count = steps.expect(f, &step("count"), 200);
    same(f, client, &step("count"), &count, &json!({"count": 3}));

    let ids = |page: &Value| -> Value {
        json!(
            page["customers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["id"].clone())
                .collect::<Vec<_>>()
        )
    };
    let first = steps.expect(f, &step("list1"), 200);
    same(
        f,
        client,
        &step("list1 ids"),
        &ids(&first),
        &json!([ann_id, bea_id]),
    );
    same(
        f,
        client,
        &step("list1 X-WC-Total"),
        &json!(steps.header(&step("list1"), "x-wc-total")),
        &json!("3"),
    );
    same(
        f,
        client,
        &step("list1 X-WC-TotalPages"),
        &json!(steps.header(&step("list1"), "x-wc-totalpages")),
        &json!("2"),
    );
    let second = steps.expect(f, &step("list2"), 200);
    same(
        f,
        client,
        &step("list2 ids"),
        &ids(&second),
        &json!([cal_id]),
    );

    let updated = steps.expect(f, &step("update"), 200);
    same(
        f,
        client,
        &step("update first_name"),
        &updated["customer"]["first_name"],
        &json!("Anna"),
    );

    let orders = steps.expect(f, &step("orders"), 200);
    same(
        f,
        client,
        &step("orders count"),
        &json!(orders["orders"].as_array().map(Vec::len)),
        &json!(1),
    );
    same(
        f,
        client,
        &step("order total"),
        &orders["orders"][0]["total"],
        &json!("25.00"),
    );
    same(
        f,
        client,
        &step("order status"),
        &orders["orders"][0]["status"],
        &json!("completed"),
    );
    same(
        f,
        client,
        &step("order customer"),
        &orders["orders"][0]["customer_id"],
        &json!(seed_id),
    );

    let downloads = steps.expect(f, &step("downloads"), 200);
    same(
        f,
        client,
        &step("downloads count"),
        &json!(downloads["downloads"].as_array().map(Vec::len)),
        &json!(1),
    );
    same(
        f,
        client,
        &step("download file"),
        &downloads["downloads"][0]["file"]["name"],
        &json!("ebook.pdf"),
    );
    same(
        f,
        client,
        &step("download unlimited"),
        &downloads["downloads"][0]["downloads_remaining"],
        &json!(""),
    );

    let deleted = steps.expect(f, &step("delete"), 200);
    same(
        f,
        client,
        &step("delete"),
        &deleted,
        &json!({"message": "Permanently deleted customer"}),
    );
    let others = steps.all(&step("delete-other"));
    f.check(
        others.len() == 2 && others.iter().all(|s| s["status"] == 200),
        || format!("{client} {prefix}: deleting the bulk-created customers: {others:?}"),
    );
    let gone = steps.expect(f, &step("gone"), 404);
    same(
        f,
        client,
        &step("gone code"),
        &gone["errors"][0]["code"],
        &json!("woocommerce_api_invalid_customer"),
    );
}
