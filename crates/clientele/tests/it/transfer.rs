//! `clientele import` and `clientele export` as processes: files larger than one chunk,
//! references across chunks, a bad record in the last chunk, the model's limits, and an
//! export imported into another database giving the same export back.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use customer_model::{CustomerId, CustomerQuery};
use customer_store::{CustomerStore, SqliteStore};
use serde_json::Value;

/// More records than the import writes in one chunk.
const RECORDS: usize = 5000;

fn clientele(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(args)
        .env("CLIENTELE_DB", db)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An NDJSON file whose first order names a customer that only comes at the end, after
/// [`RECORDS`] customers; `last` is appended as the last line.
fn long_file(last: &str) -> String {
    let mut text = String::from(
        "{\"type\":\"order\",\"customer_id\":9999,\"status\":\"completed\",\"currency\":\"USD\",\"total\":\"2.50\"}\n",
    );
    for i in 1..=RECORDS {
        writeln!(
            text,
            "{{\"type\":\"customer\",\"id\":{i},\"email\":\"c{i}@example.com\"}}"
        )
        .unwrap();
    }
    text.push_str("{\"type\":\"customer\",\"id\":9999,\"email\":\"late@example.com\"}\n");
    text.push_str(last);
    text
}

async fn count(db: &Path) -> u64 {
    SqliteStore::open(db)
        .unwrap()
        .count_customers(&CustomerQuery::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bad_record_in_the_last_chunk_writes_nothing_and_is_named_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite3");
    let file = dir.path().join("long.ndjson");
    let bad_line = RECORDS + 3;

    // A dangling reference on the last line.
    std::fs::write(
        &file,
        long_file("{\"type\":\"order\",\"customer_id\":123456,\"status\":\"completed\",\"currency\":\"USD\",\"total\":\"1.00\"}\n"),
    )
    .unwrap();
    let output = clientele(&db, &["import", "--quiet", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "line {bad_line}: customer_id: no customer has id 123456"
        )),
        "{text}"
    );
    assert_eq!(
        text.matches("line ").count(),
        1,
        "only the bad line: {text}"
    );
    assert_eq!(count(&db).await, 0, "nothing of the earlier chunks is kept");

    // A field over the model's limit (WordPress's 100 characters of an e-mail address).
    let long_email = format!("{}@example.com", "a".repeat(100));
    std::fs::write(
        &file,
        long_file(&format!(
            "{{\"type\":\"customer\",\"id\":10000,\"email\":\"{long_email}\"}}\n"
        )),
    )
    .unwrap();
    let output = clientele(&db, &["import", "--quiet", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains(&format!("line {bad_line}: email")), "{text}");
    assert_eq!(count(&db).await, 0, "nothing of the earlier chunks is kept");

    // The same file with a good last line: the first order finds its late buyer.
    std::fs::write(
        &file,
        long_file("{\"type\":\"customer\",\"id\":10000,\"email\":\"last@example.com\"}\n"),
    )
    .unwrap();
    let output = clientele(&db, &["import", "--quiet", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "quiet: {}", stderr(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["customers"], RECORDS as u64 + 2);
    assert_eq!(summary["orders"], 1);
    assert_eq!(count(&db).await, RECORDS as u64 + 2);
    let store = SqliteStore::open(&db).unwrap();
    let stats = store.customer_stats(CustomerId(9999)).await.unwrap();
    assert_eq!(stats.currencies[0].orders(), 1);
}

#[test]
fn an_export_imports_into_another_database_as_the_same_export() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.sqlite3");
    let second = dir.path().join("second.sqlite3");
    let created = clientele(&first, &["keys", "create", "--kind", "edd"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let file = dir.path().join("shop.ndjson");
    std::fs::write(&file, long_file("")).unwrap();
    let imported = clientele(&first, &["import", "--quiet", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));

    let exported = dir.path().join("export.ndjson");
    let output = clientele(
        &first,
        &["export", "--with-keys", "--out", exported.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let export = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(export.lines().count(), RECORDS + 3, "customers, order, key");
    assert!(export.contains("\"type\":\"api_key\""));
    let without_keys = clientele(&first, &["export", "--quiet"]);
    assert!(without_keys.status.success());
    assert!(!String::from_utf8_lossy(&without_keys.stdout).contains("api_key"));

    let output = clientele(&second, &["import", "--quiet", exported.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let again = clientele(&second, &["export", "--with-keys", "--quiet"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(String::from_utf8(again.stdout).unwrap(), export);
}
