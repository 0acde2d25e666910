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

mod sqlite_only {
    use super::*;
    use customer_model::{
        AccountFilter, CustomerFilter, CustomerQuery, SearchField, SortDirection, SortKey,
        SubscriptionStatus, TextSearch, TimeRange,
    };
    use customer_store::conformance::{LedgerOp, apply_ledger_ops, at, guest};
    use proptest::prelude::*;

    fn planned(filter: CustomerFilter, sort: SortKey) -> CustomerQuery {
        CustomerQuery {
            filter,
            sort,
            direction: SortDirection::Descending,
            ..CustomerQuery::default()
        }
    }

    /// Lists that the dialects issue all the time must not read the whole customers table.
    #[tokio::test]
    async fn common_lists_use_indexes() {
        let store = SqliteStore::open_in_memory().unwrap();
        let usd = customer_model::Currency::parse("USD").unwrap();
        let cases = [
            planned(
                CustomerFilter {
                    email: Some("a@example.com".into()),
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(
                CustomerFilter {
                    any_email: Some("a@example.com".into()),
                    accounts: AccountFilter::Registered,
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(
                CustomerFilter {
                    created: TimeRange {
                        from: Some(at(1, 0)),
                        to: Some(at(2, 0)),
                    },
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(
                CustomerFilter {
                    include: vec![customer_model::CustomerId(3)],
                    ..CustomerFilter::default()
                },
                SortKey::IncludeOrder,
            ),
            planned(
                CustomerFilter {
                    search: vec![TextSearch {
                        term: "example".into(),
                        fields: SearchField::ALL.to_vec(),
                        match_id: true,
                    }],
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(
                CustomerFilter {
                    currency: Some(usd),
                    ..CustomerFilter::default()
                },
                SortKey::LastOrder,
            ),
            planned(
                CustomerFilter {
                    product: Some(customer_model::ProductId(1)),
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(
                CustomerFilter {
                    subscription_status: Some(SubscriptionStatus::Active),
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
            planned(CustomerFilter::default(), SortKey::Created),
            planned(CustomerFilter::default(), SortKey::DisplayName),
            planned(CustomerFilter::default(), SortKey::LastOrder),
            planned(CustomerFilter::default(), SortKey::Username),
            planned(CustomerFilter::default(), SortKey::Modified),
        ];
        for query in cases {
            let plan = store.explain_list(&query).await.unwrap();
            assert!(
                !plan.iter().any(|step| step == "SCAN c"),
                "full scan of customers for {query:?}: {plan:#?}"
            );
            // A filtered page may sort its matches; an unfiltered one must walk an index.
            let unfiltered = query.filter == CustomerFilter::default();
            assert!(
                !(unfiltered && plan.iter().any(|step| step.contains("USE TEMP B-TREE"))),
                "sorting without an index for {query:?}: {plan:#?}"
            );
        }
    }

    #[tokio::test]
    async fn a_file_store_keeps_its_data_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.sqlite3");
        let created = {
            let store = SqliteStore::open(&path).unwrap();
            store
                .create_customer(guest("kept@example.com"))
                .await
                .unwrap()
        };
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.customer(created.id).await.unwrap(), created);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, SqliteStore::schema_version());
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn passwords_are_never_stored_plain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hashed.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let new = customer_model::CustomerDraft {
            email: "pw@example.com".into(),
            username: Some("pw".into()),
            password: Some("plain-text-secret".into()),
            ..customer_model::CustomerDraft::default()
        }
        .validate()
        .unwrap();
        store.create_customer(new).await.unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let hash: String = conn
            .query_row("SELECT password_hash FROM customers", [], |row| row.get(0))
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("plain-text-secret"));
    }

    fn arb_op() -> impl Strategy<Value = LedgerOp> {
        prop_oneof![
            4 => (0..3usize, 0..3usize, 0..7usize, 0..100_000i64, 0..200i64, 0..60i64).prop_map(
                |(customer, currency, status, total, hour, refund_percent)| LedgerOp::Order {
                    customer,
                    currency,
                    status,
                    total,
                    hour,
                    refund_percent,
                }
            ),
            2 => (0..20usize, 0..7usize)
                .prop_map(|(order, status)| LedgerOp::SetStatus { order, status }),
            1 => (0..20usize, 0..101i64).prop_map(|(order, percent)| LedgerOp::Refund { order, percent }),
            1 => (0..20usize).prop_map(|order| LedgerOp::Delete { order }),
            1 => (0..3usize, 0..7usize)
                .prop_map(|(customer, status)| LedgerOp::Subscribe { customer, status }),
            1 => (0..3usize, 0..20usize, 0..50i64)
                .prop_map(|(customer, order, count)| LedgerOp::Grant { customer, order, count }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the history of orders, status changes, refunds, deletes,
        /// subscriptions and grants, the kept aggregates equal a recomputation.
        #[test]
        fn aggregates_equal_a_recomputation(ops in proptest::collection::vec(arb_op(), 0..30)) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let store = Arc::new(SqliteStore::open_in_memory().unwrap());
                apply_ledger_ops(store, 3, &ops).await;
            });
        }
    }
}
