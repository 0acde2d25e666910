//! A store moved from SQLite to PostgreSQL with `clientele export` and `clientele import`
//! answers every dialect as it did on SQLite: the demo store with its keys is exported
//! from a SQLite file by the binary, imported by the binary into a fresh PostgreSQL
//! database, and then the same requests of every dialect go to both stores through the
//! in-process handler, whose answers must be equal byte for byte.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use customer_http::{AppState, Request, SiteConfig};
use customer_store::{CustomerStore, PostgresStore, SqliteStore};
use http::Method;
use http_body_util::BodyExt;
use serde_json::{Value, json};

fn clientele(db: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(args)
        .env("CLIENTELE_DB", db)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "clientele {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// An answer as a client sees it: status, headers and body.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

async fn answer(state: &AppState, request: Request) -> Answer {
    let response = customer_http::handle(state, request).await;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: without_request_speed(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// EDD reports how long the request took (`request_speed`), which differs between any
/// two answers: the figure is left out, the field kept.
fn without_request_speed(body: String) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(&body)
        && let Some(speed) = value.get_mut("request_speed")
    {
        *speed = Value::Null;
        return value.to_string();
    }
    match (body.find("<request_speed>"), body.find("</request_speed>")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}<request_speed>{}", &body[..start], &body[end..])
        }
        _ => body,
    }
}

/// The requests of every dialect, authenticated with the demo's keys.
fn requests(keys: &clientele::demo::DemoKeys) -> Vec<(&'static str, Request)> {
    let text = |value: &Value, name: &str| value[name].as_str().unwrap().to_owned();
    let woo_keys = format!(
        "consumer_key={}&consumer_secret={}",
        text(&keys.woocommerce, "consumer_key"),
        text(&keys.woocommerce, "consumer_secret")
    );
    let edd_keys = format!(
        "key={}&token={}",
        text(&keys.edd, "key"),
        text(&keys.edd, "token")
    );
    let bearer = format!("Bearer {}", text(&keys.bearer, "token"));
    let woo = |path: &str| {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut request = Request::get(&format!("{path}{separator}{woo_keys}"));
        request.tls = true;
        request
    };
    let edd = |path: &str| Request::get(&format!("{path}&{edd_keys}"));
    let easycart = |path: &str| Request::get(path).header("authorization", &bearer);
    // Demo UUIDs: a prefix, the kind (1 product, 2 customer) and the number.
    let customer_uuid = "c11e47e1-0000-4000-8000-000200000007";
    let product_uuid = "c11e47e1-0000-4000-8000-000100000003";
    let mut all = Vec::new();
    for version in ["v3", "v2"] {
        let dialect = if version == "v3" { "wc-v3" } else { "wc-v2" };
        for path in [
            "customers",
            "customers?per_page=100&page=2&orderby=name&order=desc",
            "customers?role=all&orderby=registered_date&per_page=50",
            "customers?role=all&orderby=id&order=asc&per_page=20&page=3",
            "customers?search=mar&role=all",
            "customers?email=john.smith1%40example.com",
            "customers/2",
            "customers/7",
            "customers/2/downloads",
            "customers/99999",
        ] {
            all.push((dialect, woo(&format!("/wp-json/wc/{version}/{path}"))));
        }
    }
    for path in [
        "customers",
        "customers/count",
        "customers?filter[limit]=-1",
        "customers?filter[limit]=25&page=3&filter[order]=ASC&filter[orderby]=id",
        "customers?filter[created_at_min]=2024-06-01&filter[created_at_max]=2024-12-31",
        "customers/2",
        "customers/7/orders",
        "customers/2/downloads",
        "customers/99999",
    ] {
        all.push(("wc-legacy-v3", woo(&format!("/wc-api/v3/{path}"))));
    }
    for version in ["v1", "v2"] {
        let dialect = if version == "v1" { "edd-v1" } else { "edd-v2" };
        for query in [
            "",
            "number=-1",
            "number=30&page=2",
            "customer=7",
            "customer=john.smith1%40example.com",
            "date=range&startdate=2024-01-01&enddate=2024-12-31",
            "format=xml",
        ] {
            all.push((
                dialect,
                edd(&format!("/edd-api/{version}/customers/?{query}")),
            ));
        }
    }
    for path in [
        "/api/v1/customers?currency=usd".to_owned(),
        "/api/v1/customers?currency=pln&page=2".to_owned(),
        "/api/v1/customers?currency=usd&query=mary".to_owned(),
        "/api/v1/customers?currency=usd&created_from=2024-01-01&created_to=2024-12-31".to_owned(),
        format!("/api/v1/customers?currency=usd&product={product_uuid}"),
        "/api/v1/customers?currency=usd&subscription_status=active".to_owned(),
        format!("/api/v1/customers/{customer_uuid}?currency=usd"),
        "/api/v1/store".to_owned(),
    ] {
        all.push(("easycart-v1", easycart(&path)));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_moved_from_sqlite_to_postgres_answers_every_dialect_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite3");
    let sqlite = Arc::new(SqliteStore::open(&db).unwrap());
    let keys = clientele::demo::prepare(sqlite.as_ref())
        .await
        .unwrap()
        .expect("an empty database gets the demo store");

    let file = dir.path().join("shop.ndjson");
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    clientele(
        &path(&db),
        &["export", "--with-keys", "--quiet", "--out", &path(&file)],
    );
    let database = tokio::task::spawn_blocking(pg_test_cluster::database)
        .await
        .expect("creating a database");
    let summary = clientele(database.url(), &["import", "--quiet", &path(&file)]);
    let summary: Value = serde_json::from_slice(&summary.stdout).unwrap();
    assert_eq!(summary["customers"], 200, "{summary}");
    let postgres = Arc::new(PostgresStore::connect(database.url()).await.unwrap());

    let site = SiteConfig::local("http://example.com");
    let on_sqlite = AppState::new(sqlite.clone() as Arc<dyn CustomerStore>, site.clone());
    let on_postgres = AppState::new(postgres.clone() as Arc<dyn CustomerStore>, site);
    let mut answered = std::collections::BTreeMap::<&str, usize>::new();
    for ((dialect, request), (_, again)) in requests(&keys).into_iter().zip(requests(&keys)) {
        let target = request.uri.to_string();
        let expected = answer(&on_sqlite, request).await;
        let got = answer(&on_postgres, again).await;
        assert_eq!(got, expected, "{dialect} {target}");
        if expected.status == 200 {
            *answered.entry(dialect).or_default() += 1;
        }
    }
    // Every dialect answered most of its requests with data, not only with errors.
    for (dialect, least) in [
        ("wc-v3", 8),
        ("wc-v2", 8),
        ("wc-legacy-v3", 7),
        ("edd-v1", 6),
        ("edd-v2", 6),
        ("easycart-v1", 7),
    ] {
        assert!(
            answered.get(dialect).copied().unwrap_or_default() >= least,
            "{dialect}: {answered:?}"
        );
    }

    // Writes go on from where the store was: the next customer gets the same id in both.
    let create = || {
        let body = json!({"email": "moved@example.com", "username": "moved"}).to_string();
        let text = |name: &str| keys.woocommerce[name].as_str().unwrap().to_owned();
        let mut request = Request::new(
            Method::POST,
            &format!(
                "/wp-json/wc/v3/customers?consumer_key={}&consumer_secret={}",
                text("consumer_key"),
                text("consumer_secret")
            ),
            body,
        )
        .header("content-type", "application/json");
        request.tls = true;
        request
    };
    let mut created = Vec::new();
    for state in [&on_sqlite, &on_postgres] {
        let reply = answer(state, create()).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        created.push(serde_json::from_str::<Value>(&reply.body).unwrap());
    }
    assert_eq!(created[0]["id"], created[1]["id"]);
    drop(database);
}
