//! The conformance suite on PostgreSQL, each scenario on a fresh database of one
//! throwaway cluster per test process (`pg-test-cluster`; `CLIENTELE_TEST_PG_URL` names
//! an existing server instead), plus PostgreSQL-only checks: two stores on one database
//! (as two servers would be) see each other's writes and race fairly, a dropped call
//! cancels its statement, and an unreachable server is reported within seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_store::{CustomerStore, PostgresStore, StoreError};

async fn fresh_store() -> (PostgresStore, pg_test_cluster::TestDatabase) {
    let database = tokio::task::spawn_blocking(pg_test_cluster::database)
        .await
        .expect("creating a database");
    let store = PostgresStore::connect(&format!("{}?pool_size=4", database.url()))
        .await
        .expect("connect and migrate");
    (store, database)
}

mod conformance {
    use super::*;

    customer_store::store_conformance_tests!(|| async {
        let (store, database) = fresh_store().await;
        (Arc::new(store) as Arc<dyn CustomerStore>, database)
    });
}

mod postgres_only {
    use super::*;
    use customer_store::conformance::{LedgerOp, apply_ledger_ops, guest};
    use proptest::prelude::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_database_see_each_other_and_race_fairly() {
        let (first, database) = fresh_store().await;
        let second = PostgresStore::connect(database.url())
            .await
            .expect("second");
        let created = first
            .create_customer(guest("shared@example.com"))
            .await
            .unwrap();
        assert_eq!(second.customer(created.id).await.unwrap(), created);
        // Concurrent creates of one address through both stores: one winner.
        let (first, second) = (Arc::new(first), Arc::new(second));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = if i % 2 == 0 {
                    Arc::clone(&first)
                } else {
                    Arc::clone(&second)
                };
                let address = if i % 2 == 0 {
                    "race@example.com"
                } else {
                    "RACE@Example.com"
                };
                tokio::spawn(async move { store.create_customer(guest(address)).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => winners += 1,
                Err(StoreError::Conflict { field }) => assert_eq!(field, "email"),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(winners, 1);
        // A nonce used through one is a replay through the other.
        assert!(first.remember_nonce(1, "n-1", 100, 0).await.unwrap());
        assert!(!second.remember_nonce(1, "n-1", 100, 0).await.unwrap());
    }

    /// A call dropped while its statement waits (here on a row lock another session
    /// holds) cancels the statement on the server: nothing of it stays waiting, and
    /// nothing of it is written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_call_cancels_its_statement() {
        let (store, database) = fresh_store().await;
        let customer = store
            .create_customer(guest("locked@example.com"))
            .await
            .unwrap();
        let (mut holder, connection) =
            tokio_postgres::connect(database.url(), tokio_postgres::NoTls)
                .await
                .unwrap();
        tokio::spawn(connection);
        let lock = holder.transaction().await.unwrap();
        lock.execute(
            "SELECT 1 FROM customers WHERE id = $1 FOR UPDATE",
            &[&customer.id.0],
        )
        .await
        .unwrap();
        let patch = customer_model::CustomerPatch {
            first_name: Some("Changed".into()),
            ..customer_model::CustomerPatch::default()
        };
        let blocked = tokio::time::timeout(
            Duration::from_millis(300),
            store.update_customer(customer.id, patch),
        )
        .await;
        assert!(
            blocked.is_err(),
            "the update waits for the lock: {blocked:?}"
        );
        let waiting = "SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let started = Instant::now();
        loop {
            let count: i64 = lock.query_one(waiting, &[]).await.unwrap().get(0);
            if count == 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the dropped update still waits on the server"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        lock.rollback().await.unwrap();
        assert_eq!(store.customer(customer.id).await.unwrap(), customer);
    }

    /// Connections the server closed while they sat in the pool (a restart, terminated
    /// backends) are replaced without failing a call.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closed_pooled_connections_are_replaced() {
        let (store, database) = fresh_store().await;
        let customer = store
            .create_customer(guest("kept@example.com"))
            .await
            .unwrap();
        // Fill the pool with idle connections.
        let reads: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.customer(customer.id).await })
            })
            .collect();
        for read in reads {
            read.await.unwrap().unwrap();
        }
        let (admin, connection) = tokio_postgres::connect(database.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let terminated: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(terminated >= 1, "the pool held connections");
        for _ in 0..8 {
            assert_eq!(store.customer(customer.id).await.unwrap(), customer);
        }
    }

    /// A bulk load (an import into an empty store) drops the secondary indexes inside its
    /// transaction and builds them at commit: after one rolled back and after one
    /// committed, the schema has every index it had, defined as it was.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bulk_load_leaves_every_index_as_it_was() {
        use customer_store::conformance::generated_batch;
        use customer_store::{ImportMode, ImportRecord, Unresolved};

        let (store, database) = fresh_store().await;
        let (admin, connection) = tokio_postgres::connect(database.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let indexes = || async {
            admin
                .query(
                    "SELECT indexname::text, indexdef FROM pg_indexes
                     WHERE schemaname = current_schema() ORDER BY indexname",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
                .collect::<Vec<_>>()
        };
        let before = indexes().await;
        assert!(
            before
                .iter()
                .any(|(name, _)| name == "customer_search_trigrams"),
            "{before:?}"
        );
        let mut session = store.begin_import(ImportMode::Auto).await.unwrap();
        session
            .write(
                vec![ImportRecord::Customer(guest("rolled@back.example").into())],
                Unresolved::Reject,
            )
            .await
            .unwrap();
        session.rollback().await.unwrap();
        assert_eq!(indexes().await, before);
        store.import(generated_batch(3)).await.unwrap();
        assert_eq!(indexes().await, before);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_server_is_reported_quickly_without_the_password() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        let error =
            PostgresStore::connect(&format!("postgres://app:hunter2@127.0.0.1:{port}/shop"))
                .await
                .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        let message = error.to_string();
        assert!(matches!(error, StoreError::Unavailable(_)), "{message}");
        assert!(
            message.contains(&format!("app@127.0.0.1:{port}/shop")),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

        /// Random ledger histories keep the aggregates exact on PostgreSQL too.
        #[test]
        fn aggregates_equal_a_recomputation(ops in proptest::collection::vec(ledger_op(), 1..30)) {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (store, _database) = fresh_store().await;
                apply_ledger_ops(Arc::new(store), 3, &ops).await;
            });
        }
    }

    fn ledger_op() -> impl Strategy<Value = LedgerOp> {
        prop_oneof![
            (
                0..3usize,
                0..3usize,
                0..7usize,
                1..10_000i64,
                0..500i64,
                0..60i64
            )
                .prop_map(
                    |(customer, currency, status, total, hour, refund_percent)| LedgerOp::Order {
                        customer,
                        currency,
                        status,
                        total,
                        hour,
                        refund_percent,
                    }
                ),
            (0..20usize, 0..7usize)
                .prop_map(|(order, status)| LedgerOp::SetStatus { order, status }),
            (0..20usize, 1..100i64)
                .prop_map(|(order, percent)| LedgerOp::Refund { order, percent }),
            (0..20usize).prop_map(|order| LedgerOp::Delete { order }),
            (0..3usize, 0..7usize)
                .prop_map(|(customer, status)| LedgerOp::Subscribe { customer, status }),
            (0..3usize, 0..20usize, 0..5i64).prop_map(|(customer, order, count)| LedgerOp::Grant {
                customer,
                order,
                count
            }),
        ]
    }
}
