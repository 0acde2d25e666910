//! The conformance suite on SQLite, in memory and in a file, plus SQLite-only checks:
//! query plans use indexes, data survives reopening, and random ledger histories keep
//! the aggregates exact.

use std::sync::Arc;

use customer_store::{CustomerStore, SqliteStore};

mod in_memory {
    use super::*;

    customer_store::store_conformance_tests!(|| async {
        let store = SqliteStore::open_in_memory().expect("in-memory store");
        (Arc::new(store) as Arc<dyn CustomerStore>, ())
    });
}

mod in_a_file {
    use super::*;

    customer_store::store_conformance_tests!(|| async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).expect("file store");
        (Arc::new(store) as Arc<dyn CustomerStore>, dir)
    });
}

mod sqlite_only {
    use super::*;
    use customer_model::OrderStatus;
    use customer_model::import::{CustomerRef, ImportOrder};
    use customer_model::{
        AccountFilter, CustomerFilter, CustomerQuery, SearchField, SortDirection, SortKey,
        SubscriptionStatus, TextSearch, TimeRange,
    };
    use customer_model::{CustomerPatch, PageRequest, Role};
    use customer_store::conformance::{
        LedgerOp, Store, apply_ledger_ops, assert_same, at, copy_store, generated_batch, guest,
        order, picture, registered,
    };
    use proptest::prelude::*;

    /// Customers whose e-mail address holds `term`.
    fn email_search(term: &str) -> CustomerFilter {
        CustomerFilter {
            search: vec![TextSearch {
                term: term.into(),
                fields: vec![SearchField::Email],
                match_id: false,
            }],
            ..CustomerFilter::default()
        }
    }

    fn planned(filter: CustomerFilter, sort: SortKey) -> CustomerQuery {
        CustomerQuery {
            filter,
            sort,
            direction: SortDirection::Descending,
            ..CustomerQuery::default()
        }
    }

    /// While an import holds the write lock, reads are answered and a key's use is
    /// answered at once (its stamp skipped) instead of waiting for the import to commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_and_key_stamps_go_on_during_an_import() {
        use customer_model::import::ImportRecord;
        use customer_store::{ImportMode, KeyKind, KeyPermissions, NewApiKey, Unresolved};
        use std::time::Duration;

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("busy.sqlite3")).unwrap();
        let stored = store
            .create_customer(guest("stored@example.com"))
            .await
            .unwrap();
        let key = store
            .create_api_key(NewApiKey {
                kind: KeyKind::WooCommerce,
                description: String::new(),
                permissions: KeyPermissions::Read,
                lookup: "lookup".into(),
                secret: "secret".into(),
                truncated: "1234567".into(),
            })
            .await
            .unwrap();
        let mut session = store.begin_import(ImportMode::Auto.into()).await.unwrap();
        session
            .write(
                vec![ImportRecord::Customer(guest("new@example.com").into())],
                Unresolved::Reject,
            )
            .await
            .unwrap();
        let prompt = Duration::from_secs(2);
        let read = tokio::time::timeout(prompt, store.customer(stored.id)).await;
        assert_eq!(read.expect("a read is not held up").unwrap().id, stored.id);
        let touched = tokio::time::timeout(prompt, store.touch_api_key(key.id, at(9, 0))).await;
        touched.expect("a key stamp is not held up").unwrap();
        assert!(
            store.customer_by_email("new@example.com").await.is_err(),
            "the import is not visible before it commits"
        );
        session.commit().await.unwrap();
        store.customer_by_email("new@example.com").await.unwrap();
        store.touch_api_key(key.id, at(10, 0)).await.unwrap();
        let keys = store.api_keys().await.unwrap();
        assert_eq!(
            keys[0].last_access,
            Some(at(10, 0)),
            "stamped once the lock is free"
        );
    }

    /// An import into a store that holds data spools its search rows until it commits:
    /// a rolled-back import leaves none behind, and the next import on the same writer
    /// indexes its own customers, found by search once it commits and not before.
    #[tokio::test]
    async fn an_import_into_data_indexes_its_customers_at_commit() {
        use customer_model::import::ImportRecord;
        use customer_store::{ImportMode, Unresolved, Written};

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spool.sqlite3")).unwrap();
        store
            .create_customer(guest("held@example.com"))
            .await
            .unwrap();
        let found = |term: &str| {
            let store = store.clone();
            let query = planned(email_search(term), SortKey::Id);
            async move { store.count_customers(&query).await.unwrap() }
        };
        let customer = |address: &str| ImportRecord::Customer(guest(address).into());

        let mut session = store.begin_import(ImportMode::Auto.into()).await.unwrap();
        let written = session
            .write(vec![customer("dropped@example.com")], Unresolved::Reject)
            .await
            .unwrap();
        assert!(matches!(written, Written::Done { .. }));
        // The same address twice: the second chunk is refused, the import rolled back.
        let written = session
            .write(vec![customer("held@example.com")], Unresolved::Reject)
            .await
            .unwrap();
        assert!(matches!(written, Written::Rejected(_)));
        session.rollback().await.unwrap();
        assert_eq!(found("dropped").await, 0);

        let mut session = store.begin_import(ImportMode::Auto.into()).await.unwrap();
        for chunk in [
            ["kept1@example.com", "kept2@example.com"],
            ["kept3@example.com", "other@example.com"],
        ] {
            let records = chunk.iter().map(|address| customer(address)).collect();
            let written = session.write(records, Unresolved::Reject).await.unwrap();
            assert!(matches!(written, Written::Done { .. }));
        }
        assert_eq!(found("kept").await, 0, "not visible before the commit");
        session.commit().await.unwrap();
        assert_eq!(found("kept").await, 3);
        assert_eq!(found("example.com").await, 5);
        assert_eq!(found("dropped").await, 0);
        // The writer goes on as before: a create after the import is found at once.
        store
            .create_customer(guest("kept4@example.com"))
            .await
            .unwrap();
        assert_eq!(found("kept").await, 4);
    }

    /// An import into a store that holds data adds what it wrote to the counts behind
    /// the lists' totals (customers, registered customers per role, buyers per currency)
    /// instead of counting row by row, and the store keeps counting after it. A customer
    /// who had bought in a currency before is not counted again there when the import
    /// adds orders of it; in a currency new to it, it is.
    #[tokio::test]
    async fn an_import_into_data_keeps_the_counts_behind_totals() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("counts.sqlite3")).unwrap();
        let before = store
            .create_customer(registered("before@example.com", "before"))
            .await
            .unwrap()
            .id;
        store
            .create_order(order(before, "USD", OrderStatus::Completed, 500, at(1, 0)))
            .await
            .unwrap();
        let mut batch = generated_batch(5);
        for (currency, placed) in [("USD", at(2, 0)), ("USD", at(0, 5)), ("JPY", at(3, 0))] {
            batch.orders.push(ImportOrder::new(
                CustomerRef::Id(before),
                order(before, currency, OrderStatus::Processing, 700, placed),
            ));
        }
        for (i, imported) in batch.customers.iter_mut().enumerate() {
            if let Some(account) = imported.customer.account.as_mut()
                && i % 3 == 0
            {
                account.role = Role::Subscriber;
            }
        }
        store.import(batch).await.unwrap();
        let totals_counted = || async {
            let currencies = store.currencies().await.unwrap();
            assert!(currencies.len() >= 2, "{currencies:?}");
            let mut filters = vec![
                CustomerFilter::default(),
                CustomerFilter {
                    accounts: AccountFilter::Registered,
                    ..CustomerFilter::default()
                },
                CustomerFilter {
                    accounts: AccountFilter::Guests,
                    ..CustomerFilter::default()
                },
            ];
            for role in [Role::Customer, Role::Subscriber] {
                filters.push(CustomerFilter {
                    accounts: AccountFilter::Registered,
                    role: Some(role),
                    ..CustomerFilter::default()
                });
            }
            for currency in currencies {
                filters.push(CustomerFilter {
                    currency: Some(currency),
                    ..CustomerFilter::default()
                });
            }
            for filter in filters {
                let query = CustomerQuery {
                    filter: filter.clone(),
                    page: PageRequest {
                        offset: 0,
                        limit: None,
                    },
                    ..CustomerQuery::default()
                };
                let page = store.list_customers(&query).await.unwrap();
                assert!(!page.items.is_empty(), "{filter:?}");
                assert_eq!(page.total, page.items.len() as u64, "{filter:?}");
            }
        };
        totals_counted().await;
        // The customer's first and last orders per currency take in the imported ones.
        let stats = store.customer_stats(before).await.unwrap();
        let usd = stats
            .currency(customer_model::Currency::parse("USD").unwrap())
            .expect("figures in USD");
        assert_eq!(
            (
                usd.orders(),
                usd.first_order.map(|first| first.at),
                usd.last_order.map(|last| last.at)
            ),
            (3, Some(at(0, 5)), Some(at(2, 0)))
        );
        assert_eq!(stats.last_order().map(|last| last.at), Some(at(3, 0)));
        let mut after = registered("after@example.com", "after");
        if let Some(account) = after.account.as_mut() {
            account.role = Role::Subscriber;
        }
        store.create_customer(after).await.unwrap();
        store
            .create_customer(guest("after-guest@example.com"))
            .await
            .unwrap();
        totals_counted().await;
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

    fn uses(plan: &[String], index: &str) -> bool {
        plan.iter().any(|step| step.contains(index))
    }

    /// A step that reads a whole table (an index walked in order is not one).
    fn scans_a_table(plan: &[String]) -> bool {
        plan.iter().any(|step| {
            step.starts_with("SCAN ") && !step.contains(" USING ") && !step.contains("VIRTUAL")
        })
    }

    /// The easycart list (buyers in a currency, newest last order first) walks the
    /// currency's last-order index in order, with or without an "ordered within" range,
    /// and its totals are a kept count or that index's range alone.
    #[tokio::test]
    async fn currency_lists_walk_the_last_order_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        let usd = customer_model::Currency::parse("USD").unwrap();
        let in_usd = CustomerFilter {
            currency: Some(usd),
            ..CustomerFilter::default()
        };
        let ordered = CustomerFilter {
            ordered: TimeRange {
                from: Some(at(0, 0)),
                to: Some(at(365, 0)),
            },
            ..in_usd.clone()
        };
        for filter in [in_usd.clone(), ordered.clone()] {
            let query = planned(filter, SortKey::LastOrder);
            let plan = store.explain_list(&query).await.unwrap();
            assert!(
                uses(&plan, "customer_currency_last_order")
                    && !uses(&plan, "TEMP B-TREE")
                    && !scans_a_table(&plan),
                "{query:?}: {plan:#?}"
            );
        }
        let kept = store
            .explain_count(&planned(in_usd, SortKey::LastOrder))
            .await
            .unwrap();
        assert!(kept.is_empty(), "{kept:#?}");
        let plan = store
            .explain_count(&planned(ordered, SortKey::LastOrder))
            .await
            .unwrap();
        assert!(
            uses(&plan, "COVERING INDEX customer_currency_last_order")
                && uses(&plan, "orders_customer")
                && !scans_a_table(&plan)
                && !uses(&plan, "customers"),
            "{plan:#?}"
        );
    }

    /// A search with other filters starts its page from its matches when they are few
    /// (sorting them costs less than walking the sort's index to find them) and walks
    /// the sort's index, probing each candidate in the search index, when they are many;
    /// its total always starts from the matches. Either way pages and totals are what a
    /// plain filter of every customer gives.
    #[tokio::test]
    async fn a_search_sorts_few_matches_and_walks_past_many() {
        let store = SqliteStore::open_in_memory().unwrap();
        // 300 customers: every one matches "kowalski", one in ten "rare" as well. A page
        // of 10 sorts up to sqrt(10 × 300 × 4) ≈ 110 matches.
        for i in 0..300 {
            let address = if i % 10 == 0 {
                format!("kowalski.rare{i}@example.com")
            } else {
                format!("kowalski{i}@example.com")
            };
            let new = if i % 3 == 0 {
                guest(&address)
            } else {
                registered(&address, &format!("user{i}"))
            };
            store.create_customer(new).await.unwrap();
        }
        let searched = |term: &str, currency| CustomerFilter {
            accounts: AccountFilter::Registered,
            currency,
            search: vec![TextSearch {
                term: term.into(),
                fields: vec![SearchField::Email, SearchField::Names],
                match_id: false,
            }],
            ..CustomerFilter::default()
        };
        let starts_from_matches = |plan: &[String]| {
            plan.first()
                .is_some_and(|step| step.contains("customer_search"))
                && !scans_a_table(plan)
        };
        let usd = customer_model::Currency::parse("USD").unwrap();
        for currency in [None, Some(usd)] {
            let rare = planned(searched("RARE", currency), SortKey::LastOrder);
            let common = planned(searched("Kowalski", currency), SortKey::LastOrder);
            let plan = store.explain_list(&rare).await.unwrap();
            assert!(starts_from_matches(&plan), "{rare:?}: {plan:#?}");
            let plan = store.explain_list(&common).await.unwrap();
            let walked = if currency.is_some() {
                "customer_currency_last_order"
            } else {
                "customers_last_order"
            };
            assert!(
                uses(&plan, walked) && !uses(&plan, "TEMP B-TREE") && !scans_a_table(&plan),
                "{common:?}: {plan:#?}"
            );
            for query in [rare, common] {
                let plan = store.explain_count(&query).await.unwrap();
                assert!(starts_from_matches(&plan), "{query:?}: {plan:#?}");
            }
        }
        // Every customer, filtered and sorted here, is what the pages must show.
        let everyone = store
            .list_customers(&CustomerQuery {
                page: PageRequest {
                    offset: 0,
                    limit: None,
                },
                ..CustomerQuery::default()
            })
            .await
            .unwrap()
            .items;
        for term in ["rare", "kowalski", "nobody"] {
            let mut expected: Vec<_> = everyone
                .iter()
                .map(|record| &record.customer)
                .filter(|c| c.account.is_some() && c.email.as_str().contains(term))
                .map(|c| (c.display_name.to_lowercase(), c.id.0))
                .collect();
            expected.sort();
            let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
            for offset in [0, 5, 95, 300] {
                let page = store
                    .list_customers(&CustomerQuery {
                        filter: searched(term, None),
                        sort: SortKey::DisplayName,
                        direction: SortDirection::Ascending,
                        page: PageRequest {
                            offset,
                            limit: Some(10),
                        },
                    })
                    .await
                    .unwrap();
                let ids: Vec<i64> = page.items.iter().map(|r| r.customer.id.0).collect();
                let want: Vec<i64> = expected
                    .iter()
                    .copied()
                    .skip(offset as usize)
                    .take(10)
                    .collect();
                assert_eq!(ids, want, "{term} from {offset}");
                assert_eq!(page.total, expected.len() as u64, "{term}");
            }
        }
    }

    /// Readers keep the totals they counted until the data changes: every write, by
    /// any path, is seen in the next total, on every reader.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kept_totals_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("totals.sqlite3")).unwrap();
        let query = planned(
            CustomerFilter {
                accounts: AccountFilter::Guests,
                search: vec![TextSearch {
                    term: "kept".into(),
                    fields: vec![SearchField::Email],
                    match_id: false,
                }],
                ..CustomerFilter::default()
            },
            SortKey::DisplayName,
        );
        let mut expected = 0;
        for i in 0..4 {
            // Enough reads that every reader thread has counted and kept the total.
            for _ in 0..store.max_readers() * 4 {
                assert_eq!(store.count_customers(&query).await.unwrap(), expected);
                let page = store.list_customers(&query).await.unwrap();
                assert_eq!(page.total, expected);
            }
            let created = store
                .create_customer(guest(&format!("kept{i}@example.com")))
                .await
                .unwrap();
            expected += 1;
            if i == 3 {
                store.delete_customer(created.id).await.unwrap();
                expected -= 1;
            }
        }
        let count_everywhere = |expected: u64| {
            let store = &store;
            let query = &query;
            async move {
                for _ in 0..store.max_readers() * 4 {
                    assert_eq!(store.count_customers(query).await.unwrap(), expected);
                }
            }
        };
        count_everywhere(expected).await;

        // A restored state brings its data back with a generation never seen before, so
        // neither the totals kept since the save nor those of the writes after it are
        // taken for the restored data's.
        store.save_state("kept").await.unwrap();
        for i in 0..2 {
            store
                .create_customer(guest(&format!("later{i}.kept@example.com")))
                .await
                .unwrap();
        }
        count_everywhere(expected + 2).await;
        store.restore_state("kept").await.unwrap();
        count_everywhere(expected).await;
        // As many writes as after the save, of customers the list does not hold: the
        // same number of writes must not make the data look as it was before the restore.
        for i in 0..2 {
            store
                .create_customer(guest(&format!("other{i}@example.com")))
                .await
                .unwrap();
        }
        count_everywhere(expected).await;

        // An import into a store with data writes row by row without the triggers that
        // raise the generation, raises it once at its end, and puts the triggers back.
        let mut batch = customer_model::import::ImportBatch::default();
        batch
            .customers
            .push(guest("imported.kept@example.com").into());
        batch.customers.push(guest("imported@example.com").into());
        store.import(batch).await.unwrap();
        count_everywhere(expected + 1).await;
        store
            .create_customer(guest("last.kept@example.com"))
            .await
            .unwrap();
        count_everywhere(expected + 2).await;
    }

    /// A term longer than any stored value is answered without reading the search
    /// index or the customers: SQLite stops at the constant false condition.
    #[tokio::test]
    async fn an_overlong_search_term_reads_nothing() {
        let store = SqliteStore::open_in_memory().unwrap();
        let term = "x".repeat(customer_model::limits::SEARCH_TERM_CHARS + 1);
        for fields in [SearchField::ALL.to_vec(), vec![SearchField::Names]] {
            let query = planned(
                CustomerFilter {
                    search: vec![TextSearch {
                        term: term.clone(),
                        fields,
                        match_id: false,
                    }],
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            );
            for plan in [
                store.explain_list(&query).await.unwrap(),
                store.explain_count(&query).await.unwrap(),
            ] {
                assert!(!uses(&plan, "customer_search"), "{plan:#?}");
            }
        }
    }

    /// An exact e-mail is looked up first: page and total start from that one customer,
    /// whatever the order the list asks for.
    #[tokio::test]
    async fn an_exact_email_drives_the_plan() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .create_customer(registered("known@example.com", "known"))
            .await
            .unwrap();
        let usd = customer_model::Currency::parse("USD").unwrap();
        for sort in [SortKey::LastOrder, SortKey::DisplayName, SortKey::Id] {
            let query = planned(
                CustomerFilter {
                    currency: Some(usd),
                    any_email: Some("KNOWN@example.com".into()),
                    ..CustomerFilter::default()
                },
                sort,
            );
            for plan in [
                store.explain_list(&query).await.unwrap(),
                store.explain_count(&query).await.unwrap(),
            ] {
                assert!(
                    !scans_a_table(&plan)
                        && !uses(&plan, "customer_currency_last_order")
                        && !uses(&plan, "TEMP B-TREE"),
                    "{sort:?}: {plan:#?}"
                );
            }
        }
    }

    /// The default WooCommerce list (registered customers with the role `customer`) has
    /// a kept total, and its page walks the role's display-name index in order; other
    /// orders walk their own index rather than sort every customer with the role.
    #[tokio::test]
    async fn the_default_role_list_has_a_kept_total() {
        let store = SqliteStore::open_in_memory().unwrap();
        // The role is common, as `customer` is in every shop.
        for i in 0..3 {
            store
                .create_customer(registered(&format!("c{i}@example.com"), &format!("c{i}")))
                .await
                .unwrap();
        }
        let query = CustomerQuery {
            filter: CustomerFilter {
                accounts: AccountFilter::Registered,
                role: Some(Role::Customer),
                ..CustomerFilter::default()
            },
            sort: SortKey::DisplayName,
            direction: SortDirection::Ascending,
            page: PageRequest::page(1, 10),
        };
        assert_eq!(
            store.explain_count(&query).await.unwrap(),
            Vec::<String>::new()
        );
        let plan = store.explain_list(&query).await.unwrap();
        assert!(
            uses(&plan, "customers_role_display_name (role=?)")
                && !scans_a_table(&plan)
                && !uses(&plan, "TEMP B-TREE"),
            "{plan:#?}"
        );
        for sort in [SortKey::Id, SortKey::Created, SortKey::Username] {
            let plan = store
                .explain_list(&CustomerQuery {
                    sort,
                    ..query.clone()
                })
                .await
                .unwrap();
            assert!(
                !scans_a_table(&plan) && !uses(&plan, "TEMP B-TREE"),
                "{sort:?}: {plan:#?}"
            );
        }
    }

    /// The total of a substring search alone is counted in the search index, and its
    /// page in id order read from it, without looking every match up in the customers
    /// table; both equal what the general plan finds.
    #[tokio::test]
    async fn a_search_total_counts_the_search_index_alone() {
        let store = SqliteStore::open_in_memory().unwrap();
        let query = planned(
            CustomerFilter {
                search: vec![TextSearch {
                    term: "kowalski".into(),
                    fields: SearchField::ALL.to_vec(),
                    match_id: true,
                }],
                ..CustomerFilter::default()
            },
            SortKey::Id,
        );
        for plan in [
            store.explain_count(&query).await.unwrap(),
            store.explain_list(&query).await.unwrap(),
        ] {
            assert!(
                uses(&plan, "customer_search")
                    && !plan.iter().any(|step| step.contains(" c "))
                    && !uses(&plan, "TEMP B-TREE"),
                "{plan:#?}"
            );
        }
        // Pages and totals equal the general plan's, which an exclusion of no one forces.
        for i in 0..7 {
            let address = if i % 2 == 0 {
                format!("kowalski{i}@example.com")
            } else {
                format!("other{i}@example.com")
            };
            store.create_customer(guest(&address)).await.unwrap();
        }
        let ids_and_total = |page: customer_store::Page<customer_store::CustomerRecord>| {
            let ids: Vec<i64> = page.items.iter().map(|r| r.customer.id.0).collect();
            (ids, page.total)
        };
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            for offset in 0..4 {
                let fast = CustomerQuery {
                    direction,
                    page: PageRequest {
                        offset,
                        limit: Some(2),
                    },
                    ..query.clone()
                };
                let general = CustomerQuery {
                    filter: CustomerFilter {
                        exclude: vec![customer_model::CustomerId(-1)],
                        ..fast.filter.clone()
                    },
                    ..fast.clone()
                };
                let listed = ids_and_total(store.list_customers(&fast).await.unwrap());
                assert_eq!(listed.1, 4);
                assert_eq!(
                    listed,
                    ids_and_total(store.list_customers(&general).await.unwrap()),
                    "{direction:?} from {offset}"
                );
            }
        }
    }

    /// A bulk load into a file builds its search index aside and moves it in: searches
    /// find the imported customers, and customers written after the import, by the same
    /// server, are found with them. The store had been searched and written before (then
    /// emptied), so its writer had read the index before the import. No scratch file is
    /// left behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bulk_load_moves_its_search_index_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let early = store
            .create_customer(guest("zyx-early@shop.example"))
            .await
            .unwrap();
        store.delete_customer(early.id).await.unwrap();
        let mut batch = customer_model::import::ImportBatch::default();
        for i in 0..40 {
            batch
                .customers
                .push(guest(&format!("bulk{i}@shop.example")).into());
        }
        let summary = store.import(batch).await.unwrap();
        assert_eq!(summary.customers, 40);
        store
            .create_customer(guest("bulk-after@shop.example"))
            .await
            .unwrap();
        let search = |term: &str| planned(email_search(term), SortKey::Id);
        for (term, total) in [("bulk", 41), ("bulk3", 11), ("k-after", 1), ("zyx", 0)] {
            let page = store.list_customers(&search(term)).await.unwrap();
            assert_eq!((term, page.total), (term, total));
        }
        // Reopened, the store reads the same index.
        drop(store);
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        assert_eq!(
            store.list_customers(&search("bulk")).await.unwrap().total,
            41
        );
        let mut files: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("search"))
            .collect();
        files.sort();
        assert_eq!(files, Vec::<String>::new());
    }

    /// Kept per-role totals equal a count of the customers table through creates, role
    /// changes, guests becoming registered, and deletes.
    #[tokio::test]
    async fn kept_role_totals_follow_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roles.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let mut ids = Vec::new();
        for i in 0..6 {
            let new = if i % 3 == 0 {
                guest(&format!("g{i}@example.com"))
            } else {
                registered(&format!("r{i}@example.com"), &format!("r{i}"))
            };
            ids.push(store.create_customer(new).await.unwrap().id);
        }
        let check = |step: &'static str| {
            let store = &store;
            let path = &path;
            async move {
                let conn = rusqlite::Connection::open(path).unwrap();
                for role in Role::ALL {
                    let counted: i64 = conn
                        .query_row(
                            "SELECT COUNT(*) FROM customers
                             WHERE role = ?1 AND username IS NOT NULL",
                            [role.as_str()],
                            |row| row.get(0),
                        )
                        .unwrap();
                    for accounts in [AccountFilter::Registered, AccountFilter::Any] {
                        let query = CustomerQuery {
                            filter: CustomerFilter {
                                accounts,
                                role: Some(role),
                                ..CustomerFilter::default()
                            },
                            ..CustomerQuery::default()
                        };
                        let kept = store.count_customers(&query).await.unwrap();
                        assert_eq!(kept, counted as u64, "{step}: {role:?} {accounts:?}");
                    }
                }
            }
        };
        check("created").await;
        store
            .update_customer(
                ids[1],
                CustomerPatch {
                    role: Some(Role::ShopManager),
                    ..CustomerPatch::default()
                },
            )
            .await
            .unwrap();
        check("role changed").await;
        store
            .update_customer(
                ids[0],
                CustomerPatch {
                    username: Some(customer_model::Username::parse("now-registered").unwrap()),
                    ..CustomerPatch::default()
                },
            )
            .await
            .unwrap();
        check("guest registered").await;
        store.delete_customer(ids[1]).await.unwrap();
        store.delete_customer(ids[2]).await.unwrap();
        check("deleted").await;
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

    /// Imports hash passwords on several threads; each customer keeps its own hash.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imported_passwords_are_hashed_each_for_its_customer() {
        use argon2::PasswordVerifier;
        let store = SqliteStore::open_in_memory().unwrap();
        let customers: Vec<_> = (0..9)
            .map(|i| {
                customer_model::CustomerDraft {
                    email: format!("pw{i}@example.com"),
                    username: Some(format!("pw{i}")),
                    password: (i != 4).then(|| format!("password {i}")),
                    ..customer_model::CustomerDraft::default()
                }
                .validate()
                .unwrap()
                .into()
            })
            .collect();
        store
            .import(customer_store::ImportBatch {
                customers,
                ..customer_store::ImportBatch::default()
            })
            .await
            .unwrap();
        for i in 0..9 {
            let customer = store
                .customer_by_email(&format!("pw{i}@example.com"))
                .await
                .unwrap();
            let hash = customer.account.unwrap().password_hash;
            if i == 4 {
                assert_eq!(hash, None);
                continue;
            }
            let hash = hash.expect("hashed");
            assert!(
                argon2::Argon2::default()
                    .verify_password(format!("password {i}").as_bytes(), hash.as_str())
                    .is_ok(),
                "customer {i} has its own password"
            );
        }
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

        /// "Ordered in a currency within a range", as the easycart list asks it (by last
        /// order, driven from the kept first and last orders), names exactly the buyers
        /// with an order in the currency inside the range, newest last order first; and
        /// the kept count of buyers per currency stays exact.
        #[test]
        fn ordered_in_a_currency_is_exact(
            ops in proptest::collection::vec(arb_op(), 0..30),
            ranges in proptest::collection::vec(
                (proptest::option::of(0..200i64), proptest::option::of(0..200i64)),
                1..4,
            ),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("ordered.sqlite3");
                let store = Arc::new(SqliteStore::open(&path).unwrap());
                apply_ledger_ops(store.clone(), 3, &ops).await;
                let conn = rusqlite::Connection::open(&path).unwrap();
                let nanos = |hour: i64| at(0, hour * 3600).as_nanosecond() as i64;
                for code in ["USD", "EUR", "JPY"] {
                    let currency = customer_model::Currency::parse(code).unwrap();
                    let buyers: i64 = conn
                        .query_row(
                            "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE currency = ?1",
                            [code],
                            |row| row.get(0),
                        )
                        .unwrap();
                    let all = CustomerQuery {
                        filter: CustomerFilter {
                            currency: Some(currency),
                            ..CustomerFilter::default()
                        },
                        ..CustomerQuery::default()
                    };
                    assert_eq!(store.count_customers(&all).await.unwrap(), buyers as u64);
                    for (from, to) in &ranges {
                        let query = CustomerQuery {
                            filter: CustomerFilter {
                                currency: Some(currency),
                                ordered: TimeRange {
                                    from: from.map(|hour| at(0, hour * 3600)),
                                    to: to.map(|hour| at(0, hour * 3600)),
                                },
                                ..CustomerFilter::default()
                            },
                            sort: SortKey::LastOrder,
                            direction: SortDirection::Descending,
                            page: PageRequest::page(1, 100),
                        };
                        let expected: Vec<i64> = conn
                            .prepare(
                                "SELECT customer_id FROM orders WHERE currency = ?1
                                 GROUP BY customer_id
                                 HAVING SUM(created_at >= ?2 AND created_at <= ?3) > 0
                                 ORDER BY MAX(created_at) DESC, customer_id DESC",
                            )
                            .unwrap()
                            .query_map(
                                rusqlite::params![
                                    code,
                                    from.map_or(i64::MIN, nanos),
                                    to.map_or(i64::MAX, nanos)
                                ],
                                |row| row.get(0),
                            )
                            .unwrap()
                            .collect::<Result<_, _>>()
                            .unwrap();
                        let page = store.list_customers(&query).await.unwrap();
                        let listed: Vec<i64> =
                            page.items.iter().map(|record| record.customer.id.0).collect();
                        assert_eq!(listed, expected, "{code} {from:?}..{to:?}");
                        assert_eq!(page.total, expected.len() as u64, "{code} {from:?}..{to:?}");
                    }
                }
            });
        }

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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Whatever the history that made a store, importing its export into an empty
        /// store gives back an equal one: every record, aggregate, per-customer read and
        /// list.
        #[test]
        fn an_export_imports_as_an_equal_store(
            ops in proptest::collection::vec(arb_op(), 0..30),
            seed in 0..1000u64,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let from: Store = Arc::new(SqliteStore::open_in_memory().unwrap());
                from.import(generated_batch(seed)).await.unwrap();
                apply_ledger_ops(from.clone(), 3, &ops).await;
                let to: Store = Arc::new(SqliteStore::open_in_memory().unwrap());
                copy_store(&from, &to).await;
                assert_same(&picture(&from, false).await, &picture(&to, false).await);
            });
        }
    }
}
