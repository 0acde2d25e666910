//! The `clientele` binary as users run it: `keys` output shapes, `import` success and
//! failure (nothing written), and the demo store through a real SQLite database.

use std::path::Path;
use std::process::{Command, Output};

use customer_model::{AccountFilter, CustomerFilter, CustomerQuery, PageRequest};
use customer_store::{CustomerStore, SqliteStore};
use serde_json::Value;

fn clientele(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(args)
        .env("CLIENTELE_DB", db)
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one JSON value: {text}");
    serde_json::from_str(&text).unwrap()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[test]
fn keys_are_created_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.sqlite3");

    let woo = stdout_json(&clientele(
        &db,
        &[
            "keys",
            "create",
            "--kind",
            "woocommerce",
            "--permissions",
            "read",
            "--description",
            "ci",
        ],
    ));
    let object = woo.as_object().unwrap();
    assert_eq!(object.len(), 2);
    let ck = woo["consumer_key"].as_str().unwrap();
    let cs = woo["consumer_secret"].as_str().unwrap();
    assert!(ck.starts_with("ck_") && is_hex(&ck[3..], 40), "{ck}");
    assert!(cs.starts_with("cs_") && is_hex(&cs[3..], 40), "{cs}");

    let edd = stdout_json(&clientele(&db, &["keys", "create", "--kind", "edd"]));
    assert_eq!(edd.as_object().unwrap().len(), 3);
    let (key, secret, token) = (
        edd["key"].as_str().unwrap(),
        edd["secret"].as_str().unwrap(),
        edd["token"].as_str().unwrap(),
    );
    assert!(is_hex(key, 32) && is_hex(secret, 32));
    assert_eq!(token, customer_http::keys::edd_token(secret, key));

    let bearer = stdout_json(&clientele(&db, &["keys", "create", "--kind", "bearer"]));
    assert_eq!(bearer.as_object().unwrap().len(), 1);
    let bearer_token = bearer["token"].as_str().unwrap();
    assert!(is_hex(bearer_token, 64));

    let list = stdout_json(&clientele(&db, &["keys", "list"]));
    let listed = list.as_array().unwrap();
    let kinds: Vec<&str> = listed.iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["woocommerce", "edd", "bearer"]);
    assert_eq!(listed[0]["permissions"], "read");
    assert_eq!(listed[0]["description"], "ci");
    assert_eq!(listed[0]["truncated"], &ck[ck.len() - 7..]);
    assert!(listed[0]["last_access"].is_null());
    let mut fields: Vec<&str> = listed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_at",
            "description",
            "id",
            "kind",
            "last_access",
            "permissions",
            "truncated"
        ]
    );
    let text = list.to_string();
    for secret_value in [cs, secret, token, bearer_token] {
        assert!(!text.contains(secret_value), "keys list shows a secret");
    }

    let id = listed[1]["id"].as_i64().unwrap();
    let revoked = stdout_json(&clientele(&db, &["keys", "revoke", &id.to_string()]));
    assert_eq!(revoked["kind"], "edd");
    let list = stdout_json(&clientele(&db, &["keys", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    let unknown = clientele(&db, &["keys", "revoke", "999"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
}

const GOOD: &str = r#"{"type":"product","id":1,"name":"Book","files":[{"id":"pdf","name":"Book.pdf","url":"https://example.com/book.pdf"}]}
{"type":"customer","id":1,"email":"ann@example.com","username":"ann","first_name":"Ann"}
{"type":"customer","id":2,"email":"bob@example.com"}
{"type":"order","id":10,"customer_id":1,"status":"completed","currency":"usd","total":"19.99","line_items":[{"product_id":1,"name":"Book","total":"19.99"}]}
{"type":"order","email":"walk-in@example.com","status":"processing","currency":"PLN","total":"40.00"}
{"type":"download_grant","download_id":"pdf","customer_id":1,"order_id":10,"product_id":1,"download_count":2}
"#;

async fn customer_count(db: &Path) -> u64 {
    let store = SqliteStore::open(db).unwrap();
    store
        .count_customers(&CustomerQuery::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn import_writes_good_files_and_nothing_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("import.sqlite3");
    let good = dir.path().join("good.ndjson");
    std::fs::write(&good, GOOD).unwrap();
    let output = clientele(&db, &["import", good.to_str().unwrap()]);
    let summary = stdout_json(&output);
    assert_eq!(summary["file"], good.to_str().unwrap());
    assert_eq!(summary["imported"], true);
    let counts: Vec<u64> = [
        "products",
        "customers",
        "orders",
        "subscriptions",
        "download_grants",
    ]
    .iter()
    .map(|kind| summary[kind].as_u64().unwrap())
    .collect();
    assert_eq!(counts, [1, 3, 2, 0, 1]);
    assert_eq!(summary["records"], 7);
    assert!(summary["records_per_second"].as_f64().unwrap() > 0.0);
    let readable = String::from_utf8(output.stderr).unwrap();
    assert!(
        readable.contains("1 products, 3 customers, 2 orders, 0 subscriptions, 1 download grants"),
        "{readable}"
    );
    assert_eq!(customer_count(&db).await, 3);

    // One bad amount among good records: the whole file is refused.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"customers": [{"id": 3, "email": "carl@example.com"}],
            "orders": [
              {"customer_id": 3, "status": "completed", "currency": "USD", "total": "5.00"},
              {"customer_id": 3, "status": "completed", "currency": "USD", "total": "5.001"}
            ]}"#,
    )
    .unwrap();
    let output = clientele(&db, &["import", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["imported"], false);
    assert_eq!(summary["errors"], 1);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("orders[1]: total:"), "{stderr}");
    assert_eq!(
        customer_count(&db).await,
        3,
        "nothing of the bad file is written"
    );

    // A reference to a customer that is neither in the file nor stored.
    let dangling = dir.path().join("dangling.ndjson");
    std::fs::write(
        &dangling,
        "{\"type\":\"customer\",\"id\":4,\"email\":\"dee@example.com\"}\n\
         {\"type\":\"order\",\"customer_id\":1,\"status\":\"completed\",\"currency\":\"USD\",\"total\":\"1.00\"}\n\
         {\"type\":\"order\",\"customer_id\":77,\"status\":\"completed\",\"currency\":\"USD\",\"total\":\"1.00\"}\n",
    )
    .unwrap();
    let output = clientele(&db, &["import", dangling.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("line 3: customer_id: no customer has id 77"),
        "{stderr}"
    );
    assert!(!stderr.contains("line 2"), "customer 1 is stored: {stderr}");
    assert_eq!(customer_count(&db).await, 3);
}

#[tokio::test]
async fn the_demo_store_is_the_same_in_every_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded = Vec::new();
    for name in ["a.sqlite3", "b.sqlite3"] {
        let store = SqliteStore::open(dir.path().join(name)).unwrap();
        let keys = clientele::demo::prepare(&store).await.unwrap();
        assert!(
            keys.is_some(),
            "an empty database gets the demo store and keys"
        );
        assert!(
            clientele::demo::prepare(&store).await.unwrap().is_none(),
            "a filled database is left alone"
        );
        let everyone = CustomerQuery {
            page: PageRequest {
                offset: 0,
                limit: None,
            },
            ..CustomerQuery::default()
        };
        let page = store.list_customers(&everyone).await.unwrap();
        let guests = store
            .count_customers(&CustomerQuery {
                filter: CustomerFilter {
                    accounts: AccountFilter::Guests,
                    ..CustomerFilter::default()
                },
                ..CustomerQuery::default()
            })
            .await
            .unwrap();
        let currencies: Vec<&str> = store
            .currencies()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.code())
            .collect();
        assert_eq!(page.total, 200);
        assert_eq!(guests, 50);
        assert_eq!(currencies, ["PLN", "USD"]);
        let refunded = page
            .items
            .iter()
            .filter(|record| {
                record
                    .stats
                    .currencies
                    .iter()
                    .any(|c| c.by_status.iter().any(|s| s.refunded > 0))
            })
            .count();
        assert!(refunded >= 10, "{refunded} customers with refunds");
        loaded.push(page.items);
    }
    assert_eq!(loaded[0], loaded[1]);
}

#[test]
fn openapi_prints_each_dialects_document_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.sqlite3");
    for dialect in customer_wire::Dialect::ALL {
        let output = clientele(&db, &["openapi", dialect.slug()]);
        assert!(output.status.success(), "{}", dialect.slug());
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed, dialect.openapi(), "{}", dialect.slug());
    }
    assert!(!db.exists(), "printing a document opens no database");
    let unknown = clientele(&db, &["openapi", "wc-v9"]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("one of wc-v3, wc-v2"), "{stderr}");
}
