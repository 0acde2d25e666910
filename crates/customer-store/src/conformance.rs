//! The backend-independent store conformance suite (feature `testing`).
//!
//! Each scenario is an async function taking a fresh, empty store and panicking when the
//! store breaks the [`CustomerStore`] contract. [`store_conformance_tests!`] stamps out
//! one `#[tokio::test]` per scenario for a backend:
//!
//! ```no_run
//! customer_store::store_conformance_tests!(|| {
//!     let store = customer_store::SqliteStore::open_in_memory().unwrap();
//!     (std::sync::Arc::new(store) as std::sync::Arc<dyn customer_store::CustomerStore>, ())
//! });
//! ```
//!
//! The factory returns the store and a guard that lives as long as the test (a temporary
//! directory, a database handle). Aggregates are checked against [`recompute_stats`], a
//! brute-force fold of the customer's orders, subscriptions and grants as the store
//! returns them; [`LedgerOp`] and [`apply_ledger_ops`] let a property test drive random
//! ledger histories through the same check.

use std::collections::BTreeMap;
use std::sync::Arc;

use customer_model::import::KeptApiKey;
use customer_model::limits;
use customer_model::{
    AccountFilter, AddressPatch, CurrencyStats, Customer, CustomerDraft, CustomerFilter,
    CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadFile, Email, MetaUpdate,
    NewCustomer, NewDownloadGrant, NewLineItem, NewOrder, NewProduct, NewRefund, NewSubscription,
    OrderId, OrderRef, OrderStatus, PageRequest, ProductId, Role, SearchField, SortDirection,
    SortKey, SubscriptionStatus, TextSearch, TimeRange, Timestamp, Username,
};
use serde_json::json;

use crate::{
    CustomerRef, CustomerStore, ImportBatch, ImportOrder, KeyKind, KeyPermissions, NewApiKey,
    StoreError,
};

/// Stamps out one `#[tokio::test]` per conformance scenario. `$factory` is an expression
/// callable with no arguments that returns `(Arc<dyn CustomerStore>, guard)`.
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::__store_conformance_cases!($factory;
            create_and_get_round_trip,
            missing_records_are_not_found,
            emails_and_usernames_are_unique_ignoring_case,
            chosen_ids_and_uuids_conflict,
            update_applies_meta_semantics_and_address_patches,
            update_conflicts_change_nothing,
            delete_returns_the_record_and_removes_its_ledger,
            list_filters_each_and_combined,
            list_searches_substrings,
            list_sorts_and_pages,
            aggregates_follow_the_ledger,
            refunds_cannot_exceed_the_total,
            orders_subscriptions_and_downloads_read_back,
            import_writes_a_batch,
            import_is_atomic,
            keys_are_stored_found_and_revoked,
            nonces_detect_replays,
            concurrent_creates_with_one_email_have_one_winner,
            writes_over_the_limits_are_refused,
            search_terms_longer_than_any_value_match_nothing,
            import_sessions_stream_in_chunks,
        );
        $crate::__store_conformance_pairs!($factory;
            bulk_load_equals_row_by_row,
            export_then_import_gives_an_equal_store,
        );
    };
}

/// Implementation detail of [`store_conformance_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance_cases {
    ($factory:expr; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let (store, guard) = ($factory)();
                $crate::conformance::$scenario(store).await;
                drop(guard);
            }
        )*
    };
}

/// Implementation detail of [`store_conformance_tests!`]: scenarios comparing two
/// fresh stores.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance_pairs {
    ($factory:expr; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let (first, first_guard) = ($factory)();
                let (second, second_guard) = ($factory)();
                $crate::conformance::$scenario(first, second).await;
                drop((first_guard, second_guard));
            }
        )*
    };
}

mod transfer;
pub use transfer::{
    Picture, assert_same, bulk_load_equals_row_by_row, copy_store, export_all,
    export_then_import_gives_an_equal_store, generated_batch, import_in_chunks,
    import_sessions_stream_in_chunks, picture,
};

/// A store under test.
pub type Store = Arc<dyn CustomerStore>;

/// `2024-01-01T00:00:00Z` plus `days` days and `seconds` seconds.
pub fn at(days: i64, seconds: i64) -> Timestamp {
    Timestamp::from_second(1_704_067_200 + days * 86_400 + seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap_or_else(|_| panic!("{text} is a valid address"))
}

/// A validated guest with `address` as primary e-mail.
pub fn guest(address: &str) -> NewCustomer {
    CustomerDraft {
        email: address.into(),
        ..CustomerDraft::default()
    }
    .validate()
    .unwrap_or_else(|e| panic!("guest draft: {e:?}"))
}

/// A validated registered customer.
pub fn registered(address: &str, username: &str) -> NewCustomer {
    CustomerDraft {
        email: address.into(),
        username: Some(username.into()),
        ..CustomerDraft::default()
    }
    .validate()
    .unwrap_or_else(|e| panic!("registered draft: {e:?}"))
}

/// An order of `customer` in `currency` with one line.
pub fn order(
    customer: CustomerId,
    currency: &str,
    status: OrderStatus,
    total: i64,
    placed: Timestamp,
) -> NewOrder {
    NewOrder {
        id: None,
        uuid: None,
        customer_id: customer,
        status,
        currency: customer_model::Currency::parse(currency)
            .unwrap_or_else(|e| panic!("{currency}: {e}")),
        total,
        subtotal: total,
        total_tax: 0,
        shipping_total: 0,
        discount_total: 0,
        payment_method: "bacs".into(),
        payment_method_title: "Direct bank transfer".into(),
        created_at: Some(placed),
        paid_at: None,
        completed_at: None,
        billing: customer_model::Address::default(),
        shipping: customer_model::Address::default(),
        line_items: vec![NewLineItem {
            product_id: None,
            name: "Thing".into(),
            quantity: 1,
            total,
        }],
        refunds: Vec::new(),
    }
}

fn product(name: &str) -> NewProduct {
    NewProduct {
        id: None,
        uuid: None,
        name: name.into(),
        files: vec![DownloadFile {
            id: format!("{name}-file"),
            name: format!("{name}.zip"),
            url: format!("https://example.com/{name}.zip"),
        }],
    }
}

fn query(filter: CustomerFilter) -> CustomerQuery {
    CustomerQuery {
        filter,
        page: PageRequest {
            offset: 0,
            limit: None,
        },
        ..CustomerQuery::default()
    }
}

/// The ids a query returns, in order, after checking that the total and the count agree
/// with them (for unpaged queries).
async fn ids_of(store: &Store, q: &CustomerQuery) -> Vec<i64> {
    let page = store.list_customers(q).await.expect("list");
    let count = store.count_customers(q).await.expect("count");
    assert_eq!(page.total, count, "list total and count disagree for {q:?}");
    if q.page.offset == 0 && q.page.limit.is_none() {
        assert_eq!(
            page.items.len() as u64,
            page.total,
            "unpaged total for {q:?}"
        );
    }
    page.items.iter().map(|r| r.customer.id.0).collect()
}

async fn ids_matching(store: &Store, filter: CustomerFilter) -> Vec<i64> {
    ids_of(store, &query(filter)).await
}

/// The aggregates of `id` recomputed from its orders, subscriptions and grants.
pub async fn recompute_stats(store: &Store, id: CustomerId) -> CustomerStats {
    let orders = store
        .customer_orders(
            id,
            PageRequest {
                offset: 0,
                limit: None,
            },
        )
        .await
        .expect("orders");
    let mut by_currency: BTreeMap<&'static str, CurrencyStats> = BTreeMap::new();
    for order in &orders.items {
        let figures = by_currency
            .entry(order.currency.code())
            .or_insert_with(|| CurrencyStats::empty(order.currency));
        let bucket = &mut figures.by_status[order.status.index()];
        bucket.orders += 1;
        bucket.total += order.total;
        bucket.refunded += order.refunded_total();
        let this = OrderRef {
            id: order.id,
            at: order.created_at,
        };
        let key = |o: &OrderRef| (o.at, o.id);
        if figures.first_order.is_none_or(|f| key(&this) < key(&f)) {
            figures.first_order = Some(this);
        }
        if figures.last_order.is_none_or(|l| key(&this) > key(&l)) {
            figures.last_order = Some(this);
        }
    }
    let mut subscriptions = [0; 7];
    for subscription in store
        .customer_subscriptions(id)
        .await
        .expect("subscriptions")
    {
        subscriptions[subscription.status.index()] += 1;
    }
    let download_count = store
        .customer_downloads(id)
        .await
        .expect("downloads")
        .iter()
        .map(|d| d.grant.download_count)
        .sum();
    CustomerStats {
        currencies: by_currency.into_values().collect(),
        subscriptions,
        download_count,
    }
}

async fn assert_stats_recomputed(store: &Store, id: CustomerId) {
    let kept = store.customer_stats(id).await.expect("stats");
    let recomputed = recompute_stats(store, id).await;
    assert_eq!(
        kept, recomputed,
        "kept aggregates of {id:?} differ from the ledger"
    );
    let listed = store
        .list_customers(&query(CustomerFilter {
            include: vec![id],
            ..CustomerFilter::default()
        }))
        .await
        .expect("list");
    assert_eq!(listed.items[0].stats, kept, "listed aggregates differ");
}

fn is_conflict(error: &StoreError, expected: &str) -> bool {
    matches!(error, StoreError::Conflict { field } if *field == expected)
}

/// Create, then read back by id, UUID, and every address in any letter case.
pub async fn create_and_get_round_trip(store: Store) {
    let new = CustomerDraft {
        email: "Ann.Lee@Example.com".into(),
        additional_emails: vec!["ann@work.example.org".into()],
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        username: Some("ann.lee".into()),
        role: Some("subscriber".into()),
        password: Some("correct horse".into()),
        billing: customer_model::Address {
            city: "Kraków".into(),
            email: "billing@example.com".into(),
            ..customer_model::Address::default()
        },
        meta_data: vec![
            ("colour".into(), json!("blue")),
            ("n".into(), json!([1, 2])),
        ],
        created_at: Some(at(3, 0)),
        ..CustomerDraft::default()
    }
    .validate()
    .expect("valid");
    let created = store.create_customer(new.clone()).await.expect("create");
    assert!(created.id.0 > 0);
    assert_eq!(created.email.as_str(), "Ann.Lee@Example.com");
    assert_eq!(created.additional_emails, new.additional_emails);
    assert_eq!(
        created.display_name, "ann.lee",
        "display name derives from the username"
    );
    assert_eq!(created.created_at, at(3, 0));
    assert_eq!(created.modified_at, Some(at(3, 0)));
    let account = created.account.as_ref().expect("registered");
    assert_eq!(account.role, Role::Subscriber);
    let hash = account.password_hash.as_deref().expect("hashed");
    assert!(hash.starts_with("$argon2"), "PHC string, got {hash}");
    assert!(!hash.contains("correct horse"));
    assert_eq!(created.meta_data.len(), 2);
    assert_eq!(created.meta_data[1].value, json!([1, 2]));
    assert_eq!(created.billing.city, "Kraków");

    assert_eq!(store.customer(created.id).await.expect("by id"), created);
    assert_eq!(
        store.customer_by_uuid(created.uuid).await.expect("by uuid"),
        created
    );
    for variant in [
        "ann.lee@example.com",
        "ANN.LEE@EXAMPLE.COM",
        "Ann.Lee@Example.com",
        "ANN@WORK.example.org",
    ] {
        assert_eq!(
            store.customer_by_email(variant).await.expect(variant),
            created
        );
    }

    let plain = store
        .create_customer(guest("bob@example.com"))
        .await
        .expect("guest");
    assert!(plain.account.is_none());
    assert_eq!(plain.display_name, "bob@example.com");
    assert_ne!(plain.uuid, created.uuid);
    assert!(plain.id.0 > created.id.0);
}

/// Reads of missing records say which kind of record is missing.
pub async fn missing_records_are_not_found(store: Store) {
    let not_found = |r: Result<_, StoreError>, entity: &str| match r {
        Err(StoreError::NotFound { entity: e }) => assert_eq!(e, entity),
        other => panic!("expected {entity} not found, got {other:?}"),
    };
    not_found(store.customer(CustomerId(404)).await.map(drop), "customer");
    not_found(
        store
            .customer_by_email("nobody@example.com")
            .await
            .map(drop),
        "customer",
    );
    not_found(
        store
            .customer_by_uuid(customer_model::Uuid::nil())
            .await
            .map(drop),
        "customer",
    );
    not_found(store.order(OrderId(404)).await.map(drop), "order");
    not_found(store.product(ProductId(404)).await.map(drop), "product");
    not_found(
        store
            .update_customer(CustomerId(404), CustomerPatch::default())
            .await
            .map(drop),
        "customer",
    );
    not_found(
        store.delete_customer(CustomerId(404)).await.map(drop),
        "customer",
    );
    not_found(
        store.customer_stats(CustomerId(404)).await.map(drop),
        "customer",
    );
    not_found(store.delete_order(OrderId(404)).await, "order");
    let orphan = store
        .create_order(order(
            CustomerId(404),
            "USD",
            OrderStatus::Pending,
            100,
            at(0, 0),
        ))
        .await;
    assert!(
        matches!(&orphan, Err(StoreError::Invalid { field, .. }) if field == "customer_id"),
        "{orphan:?}"
    );
}

/// Addresses are unique across primary and additional ones, usernames too, in any case.
pub async fn emails_and_usernames_are_unique_ignoring_case(store: Store) {
    let mut first = registered("one@example.com", "first");
    first.additional_emails = vec![email("extra@example.com")];
    store.create_customer(first).await.expect("first");

    for taken in [
        "ONE@example.com",
        "one@EXAMPLE.com",
        "Extra@Example.com",
        "EXTRA@EXAMPLE.COM",
    ] {
        let error = store.create_customer(guest(taken)).await.unwrap_err();
        assert!(is_conflict(&error, "email"), "{taken}: {error:?}");
        let mut with_extra = guest("fresh@example.com");
        with_extra.additional_emails = vec![email(taken)];
        let error = store.create_customer(with_extra).await.unwrap_err();
        assert!(
            is_conflict(&error, "email"),
            "additional {taken}: {error:?}"
        );
    }
    for taken in ["first", "FIRST", "First"] {
        let error = store
            .create_customer(registered("other@example.com", taken))
            .await
            .unwrap_err();
        assert!(is_conflict(&error, "username"), "{taken}: {error:?}");
    }
    // Nothing of the failed creates was kept: the addresses are still free.
    store
        .create_customer(registered("fresh@example.com", "second"))
        .await
        .expect("fresh address and name are free");
    assert_eq!(
        store
            .count_customers(&query(CustomerFilter::default()))
            .await
            .unwrap(),
        2
    );
}

/// Chosen ids and UUIDs are kept, and taken ones conflict.
pub async fn chosen_ids_and_uuids_conflict(store: Store) {
    let mut new = guest("a@example.com");
    new.id = Some(CustomerId(500));
    new.uuid = Some(customer_model::Uuid::from_u128(7));
    let created = store.create_customer(new).await.expect("create");
    assert_eq!(created.id, CustomerId(500));
    assert_eq!(created.uuid, customer_model::Uuid::from_u128(7));

    let mut same_id = guest("b@example.com");
    same_id.id = Some(CustomerId(500));
    assert!(is_conflict(
        &store.create_customer(same_id).await.unwrap_err(),
        "id"
    ));
    let mut same_uuid = guest("c@example.com");
    same_uuid.uuid = Some(customer_model::Uuid::from_u128(7));
    assert!(is_conflict(
        &store.create_customer(same_uuid).await.unwrap_err(),
        "uuid"
    ));
    let next = store.create_customer(guest("d@example.com")).await.unwrap();
    assert!(next.id.0 > 500, "assigned ids follow chosen ones");
}

/// Patches replace what they name, keep the rest, and follow WooCommerce's meta rules.
pub async fn update_applies_meta_semantics_and_address_patches(store: Store) {
    let mut new = registered("meta@example.com", "meta");
    new.meta_data = vec![("a".into(), json!(1)), ("b".into(), json!(2))];
    new.billing.city = "Oslo".into();
    new.billing.postcode = "0150".into();
    new.created_at = Some(at(0, 0));
    let created = store.create_customer(new).await.unwrap();
    let (a, b) = (created.meta_data[0].id, created.meta_data[1].id);

    let patch = CustomerPatch {
        email: Some(email("Meta.New@example.com")),
        additional_emails: Some(vec![email("meta@example.com")]),
        first_name: Some("Mia".into()),
        role: Some(Role::ShopManager),
        password: Some("s3cret".into()),
        billing: Some(AddressPatch {
            city: Some("Bergen".into()),
            ..AddressPatch::default()
        }),
        meta_data: vec![
            MetaUpdate {
                id: Some(b),
                key: "b2".into(),
                value: json!("x"),
            },
            MetaUpdate {
                id: None,
                key: "a".into(),
                value: serde_json::Value::Null,
            },
            MetaUpdate {
                id: None,
                key: "c".into(),
                value: json!({"k": true}),
            },
        ],
        avatar_url: Some(Some("https://example.com/a.png".into())),
        ..CustomerPatch::default()
    };
    let updated = store
        .update_customer(created.id, patch)
        .await
        .expect("update");
    assert_eq!(updated.email.as_str(), "Meta.New@example.com");
    assert_eq!(updated.additional_emails, vec![email("meta@example.com")]);
    assert_eq!(updated.first_name, "Mia");
    assert_eq!(updated.last_name, "");
    assert_eq!(updated.display_name, "meta", "display name is kept");
    let account = updated.account.as_ref().unwrap();
    assert_eq!(account.role, Role::ShopManager);
    assert!(
        account
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2")
    );
    assert_eq!(updated.billing.city, "Bergen");
    assert_eq!(
        updated.billing.postcode, "0150",
        "unpatched address fields stay"
    );
    assert_eq!(
        updated.avatar_url.as_deref(),
        Some("https://example.com/a.png")
    );
    let keys: Vec<(&str, serde_json::Value)> = updated
        .meta_data
        .iter()
        .map(|m| (m.key.as_str(), m.value.clone()))
        .collect();
    assert_eq!(keys, [("b2", json!("x")), ("c", json!({"k": true}))]);
    assert_eq!(updated.meta_data[0].id, b);
    let c = updated.meta_data[1].id;
    assert!(c > b && c != a, "new meta ids are fresh");
    assert!(updated.modified_at.unwrap() > created.modified_at.unwrap());
    assert_eq!(store.customer(created.id).await.unwrap(), updated);
    assert_eq!(
        store
            .customer_by_email("META.NEW@example.com")
            .await
            .unwrap()
            .id,
        created.id
    );

    // Promoting an additional address to primary takes it off the additional list.
    let promoted = store
        .update_customer(
            created.id,
            CustomerPatch {
                email: Some(email("META@example.com")),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("promote an own address");
    assert_eq!(promoted.email.as_str(), "META@example.com");
    assert!(promoted.additional_emails.is_empty());
    let updated = store
        .update_customer(
            created.id,
            CustomerPatch {
                email: Some(email("Meta.New@example.com")),
                additional_emails: Some(vec![email("meta@example.com")]),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("swap back");
    assert_eq!(store.customer(created.id).await.unwrap(), updated);

    // A deleted meta id is not handed out again, even to another customer.
    let other = store
        .create_customer(guest("other@example.com"))
        .await
        .unwrap();
    let other = store
        .update_customer(
            other.id,
            CustomerPatch {
                meta_data: vec![MetaUpdate {
                    id: None,
                    key: "z".into(),
                    value: json!(0),
                }],
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(other.meta_data[0].id > c && other.meta_data[0].id != a);

    // A guest becomes registered by getting a username.
    let registered = store
        .update_customer(
            other.id,
            CustomerPatch {
                username: Some(Username::parse("now.registered").unwrap()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        registered.account.as_ref().map(|a| a.role),
        Some(Role::Customer)
    );
    // Totals follow the change of kind (`ids_of` checks list, count and rows agree).
    let registered_ids = ids_matching(
        &store,
        CustomerFilter {
            accounts: AccountFilter::Registered,
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(registered_ids, vec![created.id.0, other.id.0]);
    let guests = ids_matching(
        &store,
        CustomerFilter {
            accounts: AccountFilter::Guests,
            ..CustomerFilter::default()
        },
    )
    .await;
    assert!(guests.is_empty());
}

/// An update that hits a taken address or name changes nothing.
pub async fn update_conflicts_change_nothing(store: Store) {
    let mut first = registered("taken@example.com", "taken");
    first.additional_emails = vec![email("taken2@example.com")];
    store.create_customer(first).await.unwrap();
    let second = store
        .create_customer(registered("second@example.com", "second"))
        .await
        .unwrap();
    for patch in [
        CustomerPatch {
            first_name: Some("Changed".into()),
            email: Some(email("TAKEN@example.com")),
            ..CustomerPatch::default()
        },
        CustomerPatch {
            first_name: Some("Changed".into()),
            additional_emails: Some(vec![email("Taken2@Example.com")]),
            ..CustomerPatch::default()
        },
        CustomerPatch {
            first_name: Some("Changed".into()),
            username: Some(Username::parse("TAKEN").unwrap()),
            ..CustomerPatch::default()
        },
    ] {
        let error = store.update_customer(second.id, patch).await.unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
        assert_eq!(store.customer(second.id).await.unwrap(), second);
    }
    let guest_role = store
        .create_customer(guest("guest@example.com"))
        .await
        .unwrap();
    let error = store
        .update_customer(
            guest_role.id,
            CustomerPatch {
                role: Some(Role::Editor),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid { .. }), "{error:?}");
}

/// Deleting a customer returns it and takes its ledger with it.
pub async fn delete_returns_the_record_and_removes_its_ledger(store: Store) {
    let thing = store.create_product(product("thing")).await.unwrap();
    let gone = store
        .create_customer(registered("gone@example.com", "gone"))
        .await
        .unwrap();
    let stays = store
        .create_customer(guest("stays@example.com"))
        .await
        .unwrap();
    let gone_order = store
        .create_order(order(
            gone.id,
            "EUR",
            OrderStatus::Completed,
            1000,
            at(1, 0),
        ))
        .await
        .unwrap();
    let stays_order = store
        .create_order(order(
            stays.id,
            "USD",
            OrderStatus::Completed,
            500,
            at(1, 0),
        ))
        .await
        .unwrap();
    store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: gone.id,
            product_id: thing.id,
            status: SubscriptionStatus::Active,
            currency: gone_order.currency,
            created_at: Some(at(1, 0)),
        })
        .await
        .unwrap();
    for (customer, order_id) in [(gone.id, gone_order.id), (stays.id, gone_order.id)] {
        store
            .create_download_grant(NewDownloadGrant {
                download_id: "thing-file".into(),
                customer_id: customer,
                order_id,
                product_id: thing.id,
                downloads_remaining: None,
                access_expires: None,
                download_count: 3,
            })
            .await
            .unwrap();
    }

    let deleted = store.delete_customer(gone.id).await.expect("delete");
    assert_eq!(deleted, gone);
    assert!(matches!(
        store.customer(gone.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.order(gone_order.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.order(stays_order.id).await.unwrap(), stays_order);
    let currencies: Vec<&str> = store
        .currencies()
        .await
        .unwrap()
        .iter()
        .map(|c| c.code())
        .collect();
    assert_eq!(currencies, ["USD"]);
    assert_stats_recomputed(&store, stays.id).await;
    assert_eq!(
        store.customer_stats(stays.id).await.unwrap().download_count,
        0
    );
    for (accounts, expected) in [
        (AccountFilter::Any, vec![stays.id.0]),
        (AccountFilter::Registered, vec![]),
        (AccountFilter::Guests, vec![stays.id.0]),
    ] {
        let filter = CustomerFilter {
            accounts,
            ..CustomerFilter::default()
        };
        assert_eq!(ids_matching(&store, filter).await, expected, "{accounts:?}");
    }
    // The address and username are free again.
    store
        .create_customer(registered("GONE@example.com", "Gone"))
        .await
        .expect("freed");
}

struct ListFixture {
    ann: i64,
    bob: i64,
    cat: i64,
    dan: i64,
    product: ProductId,
}

async fn list_fixture(store: &Store) -> ListFixture {
    let mut ann = registered("ann@example.com", "ann");
    ann.first_name = "Ann".into();
    ann.last_name = "Zeta".into();
    ann.created_at = Some(at(1, 0));
    let ann = store.create_customer(ann).await.unwrap().id.0;
    let mut bob = registered("bob@example.org", "bobby");
    bob.account.as_mut().unwrap().role = Role::Subscriber;
    bob.additional_emails = vec![email("robert@work.example.net")];
    bob.display_name = Some("Robert 50% Off".into());
    bob.created_at = Some(at(2, 0));
    bob.shipping.city = "Gdańsk".into();
    let bob = store.create_customer(bob).await.unwrap().id.0;
    let mut cat = guest("cat@example.com");
    cat.first_name = "Cat".into();
    cat.billing.phone = "+1 555 0100".into();
    cat.billing.city = "Zürich".into();
    cat.created_at = Some(at(3, 0));
    let cat = store.create_customer(cat).await.unwrap().id.0;
    let mut dan = guest("dan@example.com");
    dan.created_at = Some(at(4, 0));
    let dan = store.create_customer(dan).await.unwrap().id.0;

    let product = store.create_product(product("widget")).await.unwrap().id;
    let mut bought = order(
        CustomerId(bob),
        "EUR",
        OrderStatus::Completed,
        900,
        at(10, 0),
    );
    bought.line_items[0].product_id = Some(product);
    store.create_order(bought).await.unwrap();
    store
        .create_order(order(
            CustomerId(cat),
            "USD",
            OrderStatus::Pending,
            100,
            at(5, 0),
        ))
        .await
        .unwrap();
    store
        .create_order(order(
            CustomerId(cat),
            "EUR",
            OrderStatus::Processing,
            200,
            at(20, 0),
        ))
        .await
        .unwrap();
    store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: CustomerId(dan),
            product_id: product,
            status: SubscriptionStatus::PastDue,
            currency: customer_model::Currency::parse("USD").unwrap(),
            created_at: Some(at(6, 0)),
        })
        .await
        .unwrap();
    ListFixture {
        ann,
        bob,
        cat,
        dan,
        product,
    }
}

/// Every filter alone, and combinations of them, with exact totals.
pub async fn list_filters_each_and_combined(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let usd = customer_model::Currency::parse("usd").unwrap();
    let eur = customer_model::Currency::parse("EUR").unwrap();
    let cases: Vec<(&str, CustomerFilter, Vec<i64>)> = vec![
        (
            "everyone",
            CustomerFilter::default(),
            vec![ann, bob, cat, dan],
        ),
        (
            "registered",
            CustomerFilter {
                accounts: AccountFilter::Registered,
                ..CustomerFilter::default()
            },
            vec![ann, bob],
        ),
        (
            "guests",
            CustomerFilter {
                accounts: AccountFilter::Guests,
                ..CustomerFilter::default()
            },
            vec![cat, dan],
        ),
        (
            "role",
            CustomerFilter {
                role: Some(Role::Subscriber),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "primary email in another case",
            CustomerFilter {
                email: Some("BOB@example.ORG".into()),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "email ignores additional addresses",
            CustomerFilter {
                email: Some("robert@work.example.net".into()),
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "any email finds additional addresses",
            CustomerFilter {
                any_email: Some("Robert@Work.Example.Net".into()),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "include",
            CustomerFilter {
                include: vec![CustomerId(dan), CustomerId(ann), CustomerId(9999)],
                ..CustomerFilter::default()
            },
            vec![ann, dan],
        ),
        (
            "exclude",
            CustomerFilter {
                exclude: vec![CustomerId(ann), CustomerId(cat)],
                ..CustomerFilter::default()
            },
            vec![bob, dan],
        ),
        (
            "created range, both ends inclusive",
            CustomerFilter {
                created: TimeRange {
                    from: Some(at(2, 0)),
                    to: Some(at(3, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "modified since",
            CustomerFilter {
                modified: TimeRange {
                    from: Some(at(4, 0)),
                    to: None,
                },
                ..CustomerFilter::default()
            },
            vec![dan],
        ),
        (
            "currency",
            CustomerFilter {
                currency: Some(eur),
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "ordered within",
            CustomerFilter {
                ordered: TimeRange {
                    from: Some(at(4, 0)),
                    to: Some(at(11, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "ordered within, in a currency",
            CustomerFilter {
                currency: Some(usd),
                ordered: TimeRange {
                    from: Some(at(4, 0)),
                    to: Some(at(11, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![cat],
        ),
        (
            "ordered in a currency outside the range",
            CustomerFilter {
                currency: Some(eur),
                ordered: TimeRange {
                    from: None,
                    to: Some(at(9, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "product",
            CustomerFilter {
                product: Some(f.product),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "subscription status",
            CustomerFilter {
                subscription_status: Some(SubscriptionStatus::PastDue),
                ..CustomerFilter::default()
            },
            vec![dan],
        ),
        (
            "no subscription in that status",
            CustomerFilter {
                subscription_status: Some(SubscriptionStatus::Active),
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "guests with EUR orders",
            CustomerFilter {
                accounts: AccountFilter::Guests,
                currency: Some(eur),
                ..CustomerFilter::default()
            },
            vec![cat],
        ),
        (
            "registered, created from day 2, not bob",
            CustomerFilter {
                accounts: AccountFilter::Registered,
                created: TimeRange {
                    from: Some(at(2, 0)),
                    to: None,
                },
                exclude: vec![CustomerId(bob)],
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "include with a search",
            CustomerFilter {
                include: vec![CustomerId(ann), CustomerId(cat)],
                search: vec![TextSearch {
                    term: "example.com".into(),
                    fields: vec![SearchField::Email],
                    match_id: false,
                }],
                ..CustomerFilter::default()
            },
            vec![ann, cat],
        ),
    ];
    for (name, filter, expected) in cases {
        assert_eq!(ids_matching(&store, filter).await, expected, "{name}");
    }
}

/// Substring searches: literal, case-insensitive, per field, OR across fields, AND
/// across searches; short terms and ids too.
pub async fn list_searches_substrings(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let search = |term: &str, fields: &[SearchField], match_id: bool| TextSearch {
        term: term.into(),
        fields: fields.to_vec(),
        match_id,
    };
    let all = &SearchField::ALL;
    let cases: Vec<(Vec<TextSearch>, Vec<i64>)> = vec![
        (vec![search("EXAMPLE.COM", all, false)], vec![ann, cat, dan]),
        (
            vec![search("example.com", &[SearchField::Email], false)],
            vec![ann, cat, dan],
        ),
        (
            vec![search(
                "work.example",
                &[SearchField::AdditionalEmails],
                false,
            )],
            vec![bob],
        ),
        (
            vec![search("work.example", &[SearchField::Email], false)],
            vec![],
        ),
        (vec![search("zet", &[SearchField::Names], false)], vec![ann]),
        (
            vec![search("bobb", &[SearchField::Username], false)],
            vec![bob],
        ),
        (
            vec![search("50% o", &[SearchField::DisplayName], false)],
            vec![bob],
        ),
        (
            vec![search("%", &[SearchField::DisplayName], false)],
            vec![bob],
        ),
        (vec![search("0%", all, false)], vec![bob]),
        (vec![search("_", all, false)], vec![]),
        (
            vec![search("555 01", &[SearchField::Billing], false)],
            vec![cat],
        ),
        (
            vec![search("zürich", &[SearchField::Billing], false)],
            vec![cat],
        ),
        (
            vec![search("GDAŃ", &[SearchField::Shipping], false)],
            vec![bob],
        ),
        (vec![search("gdań", &[SearchField::Billing], false)], vec![]),
        (vec![search("an", &[SearchField::Names], false)], vec![ann]),
        (
            vec![search(
                "N",
                &[SearchField::Names, SearchField::Username],
                false,
            )],
            vec![ann],
        ),
        (
            vec![search(
                "o",
                &[SearchField::Email, SearchField::Names],
                false,
            )],
            vec![ann, bob, cat, dan],
        ),
        (
            vec![search(&cat.to_string(), &[SearchField::Names], true)],
            vec![cat],
        ),
        (
            vec![search(&cat.to_string(), &[SearchField::Names], false)],
            vec![],
        ),
        (
            vec![
                search("example", all, false),
                search("a", &[SearchField::Names], false),
            ],
            vec![ann, cat],
        ),
        (
            vec![search("example.com", all, false), search("bob", all, false)],
            vec![],
        ),
        (vec![search("", all, false)], vec![ann, bob, cat, dan]),
        (vec![search("anything", &[], false)], vec![]),
    ];
    for (searches, expected) in cases {
        let filter = CustomerFilter {
            search: searches.clone(),
            ..CustomerFilter::default()
        };
        assert_eq!(ids_matching(&store, filter).await, expected, "{searches:?}");
    }
    // A search sees changes made after the customer was created.
    store
        .update_customer(
            CustomerId(dan),
            CustomerPatch {
                last_name: Some("Quixote".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    let filter = CustomerFilter {
        search: vec![search("quix", &[SearchField::Names], false)],
        ..CustomerFilter::default()
    };
    assert_eq!(ids_matching(&store, filter).await, vec![dan]);
}

/// Every sort key in both directions, id as tie-break, pages and totals.
pub async fn list_sorts_and_pages(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let sorted = |sort, direction, filter: CustomerFilter| CustomerQuery {
        filter,
        sort,
        direction,
        page: PageRequest {
            offset: 0,
            limit: None,
        },
    };
    use SortDirection::{Ascending as Asc, Descending as Desc};
    let none = CustomerFilter::default;
    let eur = customer_model::Currency::parse("EUR").unwrap();
    let cases: Vec<(CustomerQuery, Vec<i64>)> = vec![
        (sorted(SortKey::Id, Asc, none()), vec![ann, bob, cat, dan]),
        (sorted(SortKey::Id, Desc, none()), vec![dan, cat, bob, ann]),
        // Display names: "ann", "Robert 50% Off", "Cat", "dan@example.com"; case ignored.
        (
            sorted(SortKey::DisplayName, Asc, none()),
            vec![ann, cat, dan, bob],
        ),
        (
            sorted(SortKey::DisplayName, Desc, none()),
            vec![bob, dan, cat, ann],
        ),
        // Guests sort as an empty username, ties by id.
        (
            sorted(SortKey::Username, Asc, none()),
            vec![cat, dan, ann, bob],
        ),
        (
            sorted(SortKey::Username, Desc, none()),
            vec![bob, ann, dan, cat],
        ),
        (
            sorted(SortKey::Created, Desc, none()),
            vec![dan, cat, bob, ann],
        ),
        (
            sorted(SortKey::Modified, Asc, none()),
            vec![ann, bob, cat, dan],
        ),
        // Without orders first when ascending: ann and dan (by id), then bob (day 10),
        // cat (day 20).
        (
            sorted(SortKey::LastOrder, Asc, none()),
            vec![ann, dan, bob, cat],
        ),
        (
            sorted(SortKey::LastOrder, Desc, none()),
            vec![cat, bob, dan, ann],
        ),
        (
            sorted(
                SortKey::LastOrder,
                Asc,
                CustomerFilter {
                    currency: Some(eur),
                    ..CustomerFilter::default()
                },
            ),
            vec![bob, cat],
        ),
        (
            sorted(
                SortKey::IncludeOrder,
                Asc,
                CustomerFilter {
                    include: vec![CustomerId(cat), CustomerId(ann), CustomerId(dan)],
                    ..CustomerFilter::default()
                },
            ),
            vec![cat, ann, dan],
        ),
        (
            sorted(
                SortKey::IncludeOrder,
                Desc,
                CustomerFilter {
                    include: vec![CustomerId(cat), CustomerId(ann), CustomerId(dan)],
                    ..CustomerFilter::default()
                },
            ),
            vec![dan, ann, cat],
        ),
    ];
    for (q, expected) in cases {
        assert_eq!(
            ids_of(&store, &q).await,
            expected,
            "{:?} {:?}",
            q.sort,
            q.direction
        );
    }
    // Paging: pages of two over four, and past the end; the total stays exact.
    for (page, expected) in [(1, vec![ann, bob]), (2, vec![cat, dan]), (3, vec![])] {
        let q = CustomerQuery {
            page: PageRequest::page(page, 2),
            ..CustomerQuery::default()
        };
        let listed = store.list_customers(&q).await.unwrap();
        assert_eq!(listed.total, 4);
        let ids: Vec<i64> = listed.items.iter().map(|r| r.customer.id.0).collect();
        assert_eq!(ids, expected, "page {page}");
    }
    let q = CustomerQuery {
        filter: CustomerFilter {
            accounts: AccountFilter::Guests,
            ..CustomerFilter::default()
        },
        page: PageRequest {
            offset: 1,
            limit: Some(10),
        },
        ..CustomerQuery::default()
    };
    let listed = store.list_customers(&q).await.unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].customer.id.0, dan);
    assert_eq!(
        listed.items[0].stats.subscriptions[SubscriptionStatus::PastDue.index()],
        1
    );
}

/// Aggregates after orders, status changes, refunds and deletes equal a recomputation.
pub async fn aggregates_follow_the_ledger(store: Store) {
    let buyer = store
        .create_customer(guest("buyer@example.com"))
        .await
        .unwrap();
    let other = store
        .create_customer(guest("other@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap(),
        CustomerStats::default()
    );
    let mut with_refund = order(buyer.id, "USD", OrderStatus::Completed, 5000, at(2, 0));
    with_refund.refunds = vec![NewRefund {
        amount: 700,
        created_at: Some(at(3, 0)),
        reason: "damaged".into(),
    }];
    let first = store.create_order(with_refund).await.unwrap();
    assert_eq!(first.refunded_total(), 700);
    let second = store
        .create_order(order(buyer.id, "USD", OrderStatus::Pending, 1200, at(5, 0)))
        .await
        .unwrap();
    let same_instant = store
        .create_order(order(buyer.id, "USD", OrderStatus::Failed, 10, at(5, 0)))
        .await
        .unwrap();
    let yen = store
        .create_order(order(
            buyer.id,
            "JPY",
            OrderStatus::Processing,
            3000,
            at(1, 0),
        ))
        .await
        .unwrap();
    store
        .create_order(order(other.id, "USD", OrderStatus::Completed, 99, at(9, 0)))
        .await
        .unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let stats = store.customer_stats(buyer.id).await.unwrap();
    let codes: Vec<&str> = stats.currencies.iter().map(|c| c.currency.code()).collect();
    assert_eq!(codes, ["JPY", "USD"], "currencies by code");
    let usd = stats.currency(first.currency).unwrap();
    assert_eq!(usd.status(OrderStatus::Completed).total, 5000);
    assert_eq!(usd.status(OrderStatus::Completed).refunded, 700);
    assert_eq!(usd.first_order.unwrap().id, first.id);
    assert_eq!(
        usd.last_order.unwrap().id,
        same_instant.id,
        "same instant: the higher id is last"
    );
    assert!(stats.is_paying());

    let paid = store
        .set_order_status(second.id, OrderStatus::Processing, at(6, 0))
        .await
        .unwrap();
    assert_eq!(paid.paid_at, Some(at(6, 0)));
    let done = store
        .set_order_status(second.id, OrderStatus::Completed, at(7, 0))
        .await
        .unwrap();
    assert_eq!(done.paid_at, Some(at(6, 0)), "paid instant is kept");
    assert_eq!(done.completed_at, Some(at(7, 0)));
    assert_stats_recomputed(&store, buyer.id).await;

    store
        .add_refund(
            second.id,
            NewRefund {
                amount: 200,
                created_at: Some(at(8, 0)),
                reason: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .set_order_status(first.id, OrderStatus::Refunded, at(8, 0))
        .await
        .unwrap();
    assert_stats_recomputed(&store, buyer.id).await;

    store.delete_order(same_instant.id).await.unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let usd_after = store.customer_stats(buyer.id).await.unwrap();
    assert_eq!(
        usd_after
            .currency(first.currency)
            .unwrap()
            .last_order
            .unwrap()
            .id,
        second.id,
        "last order found again after a delete"
    );
    store.delete_order(yen.id).await.unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let after = store.customer_stats(buyer.id).await.unwrap();
    assert!(
        after.currency(yen.currency).is_none(),
        "no orders, no currency"
    );
    assert_stats_recomputed(&store, other.id).await;
    let codes: Vec<&str> = store
        .currencies()
        .await
        .unwrap()
        .iter()
        .map(|c| c.code())
        .collect();
    assert_eq!(codes, ["USD"]);
}

/// Refunds beyond what is left of a total are refused and change nothing.
pub async fn refunds_cannot_exceed_the_total(store: Store) {
    let buyer = store
        .create_customer(guest("refund@example.com"))
        .await
        .unwrap();
    let mut too_much = order(buyer.id, "EUR", OrderStatus::Completed, 1000, at(1, 0));
    too_much.refunds = vec![
        NewRefund {
            amount: 600,
            created_at: None,
            reason: String::new(),
        },
        NewRefund {
            amount: 600,
            created_at: None,
            reason: String::new(),
        },
    ];
    let error = store.create_order(too_much).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Invalid { field, .. } if field == "refunds.1.amount"),
        "{error:?}"
    );
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap(),
        CustomerStats::default()
    );
    let placed = store
        .create_order(order(
            buyer.id,
            "EUR",
            OrderStatus::Completed,
            1000,
            at(1, 0),
        ))
        .await
        .unwrap();
    let refund = |amount| NewRefund {
        amount,
        created_at: Some(at(2, 0)),
        reason: "r".into(),
    };
    store.add_refund(placed.id, refund(1000)).await.unwrap();
    for amount in [1, 0, -5] {
        let error = store
            .add_refund(placed.id, refund(amount))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Invalid { .. }),
            "{amount}: {error:?}"
        );
    }
    assert_eq!(store.order(placed.id).await.unwrap().refunded_total(), 1000);
    assert_stats_recomputed(&store, buyer.id).await;
}

/// Orders newest first, subscriptions and downloads read back with what they refer to.
pub async fn orders_subscriptions_and_downloads_read_back(store: Store) {
    let buyer = store
        .create_customer(guest("reader@example.com"))
        .await
        .unwrap();
    let widget = store.create_product(product("widget")).await.unwrap();
    assert_eq!(store.product(widget.id).await.unwrap(), widget);
    assert_eq!(store.product_by_uuid(widget.uuid).await.unwrap(), widget);
    let mut ids = Vec::new();
    for day in [3, 1, 2] {
        let mut new = order(
            buyer.id,
            "GBP",
            OrderStatus::Completed,
            100 * day,
            at(day, 0),
        );
        new.line_items[0].product_id = Some(widget.id);
        new.billing.first_name = "Reader".into();
        let created = store.create_order(new.clone()).await.unwrap();
        assert_eq!(created.line_items[0].product_id, Some(widget.id));
        assert_eq!(created.billing.first_name, "Reader");
        assert_eq!(store.order(created.id).await.unwrap(), created);
        ids.push((day, created.id));
    }
    ids.sort_by_key(|(day, _)| -day);
    let page = store
        .customer_orders(buyer.id, PageRequest::page(1, 2))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    let got: Vec<OrderId> = page.items.iter().map(|o| o.id).collect();
    assert_eq!(got, [ids[0].1, ids[1].1], "newest first");
    let rest = store
        .customer_orders(buyer.id, PageRequest::page(2, 2))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);

    let subscription = store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: buyer.id,
            product_id: widget.id,
            status: SubscriptionStatus::Trialing,
            currency: customer_model::Currency::parse("GBP").unwrap(),
            created_at: Some(at(4, 0)),
        })
        .await
        .unwrap();
    let active = store
        .set_subscription_status(subscription.id, SubscriptionStatus::Active)
        .await
        .unwrap();
    assert_eq!(active.status, SubscriptionStatus::Active);
    assert_eq!(
        store.customer_subscriptions(buyer.id).await.unwrap(),
        vec![active]
    );
    let missing_product = store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: buyer.id,
            product_id: ProductId(999),
            status: SubscriptionStatus::Active,
            currency: customer_model::Currency::parse("GBP").unwrap(),
            created_at: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(missing_product, StoreError::Invalid { .. }));

    let grant = store
        .create_download_grant(NewDownloadGrant {
            download_id: "widget-file".into(),
            customer_id: buyer.id,
            order_id: ids[0].1,
            product_id: widget.id,
            downloads_remaining: Some(5),
            access_expires: Some(at(30, 0)),
            download_count: 2,
        })
        .await
        .unwrap();
    let downloads = store.customer_downloads(buyer.id).await.unwrap();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].grant, grant);
    assert_eq!(downloads[0].product_name, "widget");
    assert_eq!(downloads[0].file.url, "https://example.com/widget.zip");
    let order_uuid = store.order(ids[0].1).await.unwrap().uuid;
    assert_eq!(downloads[0].order_uuid, order_uuid);
    assert_stats_recomputed(&store, buyer.id).await;
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap().download_count,
        2
    );
}

fn import_batch() -> ImportBatch {
    let mut ann = registered("ann@import.example", "ann");
    ann.id = Some(CustomerId(10));
    ann.additional_emails = vec![email("ann.alias@import.example")];
    let mut by_email = order(CustomerId(0), "USD", OrderStatus::Completed, 300, at(2, 0));
    by_email.billing.first_name = "Gus".into();
    let mut known_by_alias = order(CustomerId(0), "USD", OrderStatus::Completed, 100, at(3, 0));
    known_by_alias.line_items[0].product_id = Some(ProductId(77));
    ImportBatch {
        products: vec![NewProduct {
            id: Some(ProductId(77)),
            ..product("imported")
        }],
        customers: vec![ann.into()],
        orders: vec![
            ImportOrder::new(
                CustomerRef::Id(CustomerId(10)),
                order(CustomerId(0), "USD", OrderStatus::Processing, 500, at(1, 0)),
            ),
            ImportOrder::new(
                CustomerRef::Email(email("gus@import.example")),
                by_email.clone(),
            ),
            ImportOrder::new(CustomerRef::Email(email("GUS@import.example")), by_email),
            ImportOrder::new(
                CustomerRef::Email(email("Ann.Alias@Import.example")),
                known_by_alias,
            ),
        ],
        subscriptions: vec![
            NewSubscription {
                uuid: None,
                customer_id: CustomerId(10),
                product_id: ProductId(77),
                status: SubscriptionStatus::Active,
                currency: customer_model::Currency::parse("USD").unwrap(),
                created_at: Some(at(1, 0)),
            }
            .into(),
        ],
        ..ImportBatch::default()
    }
}

/// An import writes products, customers, orders (creating or matching guests by e-mail),
/// subscriptions and grants, with aggregates.
pub async fn import_writes_a_batch(store: Store) {
    let summary = store.import(import_batch()).await.expect("import");
    assert_eq!(summary.products, 1);
    assert_eq!(summary.customers, 2, "ann and one guest for gus");
    assert_eq!(summary.orders, 4);
    assert_eq!(summary.subscriptions, 1);
    let ann = store.customer(CustomerId(10)).await.unwrap();
    let gus = store.customer_by_email("gus@import.example").await.unwrap();
    assert!(gus.account.is_none());
    assert_eq!(gus.first_name, "Gus", "a guest is named as on its order");
    assert_eq!(gus.created_at, at(2, 0));
    let ann_stats = store.customer_stats(ann.id).await.unwrap();
    assert_eq!(ann_stats.currencies[0].orders(), 2);
    assert_eq!(
        store.customer_stats(gus.id).await.unwrap().currencies[0].orders(),
        2
    );
    for id in [ann.id, gus.id] {
        assert_stats_recomputed(&store, id).await;
    }
    let buyers = ids_matching(
        &store,
        CustomerFilter {
            product: Some(ProductId(77)),
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(buyers, vec![10]);
    let found = ids_matching(
        &store,
        CustomerFilter {
            search: vec![TextSearch {
                term: "gus@imp".into(),
                fields: vec![SearchField::Email],
                match_id: false,
            }],
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(found, vec![gus.id.0], "imported customers are searchable");
}

/// A bad record anywhere in a batch leaves the store as it was, and the error names it.
pub async fn import_is_atomic(store: Store) {
    let before = store
        .create_customer(guest("before@example.com"))
        .await
        .unwrap();
    let everyone = query(CustomerFilter::default());
    let bad_cases: Vec<(ImportBatch, &str)> = vec![
        (
            {
                let mut batch = import_batch();
                batch.orders[2].customer = CustomerRef::Id(CustomerId(4040));
                batch
            },
            "orders.2.customer_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.customers.push(guest("BEFORE@example.com").into());
                batch
            },
            "customers.1.email",
        ),
        (
            {
                let mut batch = import_batch();
                batch.orders[3].order.line_items[0].product_id = Some(ProductId(5));
                batch
            },
            "orders.3.line_items.0.product_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.subscriptions[0].subscription.customer_id = CustomerId(4040);
                batch
            },
            "subscriptions.0.customer_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.download_grants.push(
                    NewDownloadGrant {
                        download_id: "x".into(),
                        customer_id: CustomerId(10),
                        order_id: OrderId(4040),
                        product_id: ProductId(77),
                        downloads_remaining: None,
                        access_expires: None,
                        download_count: 0,
                    }
                    .into(),
                );
                batch
            },
            "download_grants.0.order_id",
        ),
        (
            {
                let mut batch = import_batch();
                let mut long = guest("long@import.example");
                long.shipping.city = "c".repeat(limits::ADDRESS_FIELD_CHARS + 1);
                batch.customers.push(long.into());
                batch
            },
            "customers.1.shipping.city",
        ),
        (
            {
                let mut batch = import_batch();
                batch.api_keys.push(KeptApiKey {
                    id: 5,
                    kind: "ftp".into(),
                    description: String::new(),
                    permissions: "read".into(),
                    lookup: "lookup".into(),
                    secret: String::new(),
                    truncated: String::new(),
                    created_at: at(9, 0),
                    last_access: None,
                });
                batch
            },
            "api_keys.0.kind",
        ),
    ];
    for (batch, field) in bad_cases {
        let error = store.import(batch).await.unwrap_err();
        match &error {
            StoreError::Invalid { field: got, .. } => assert_eq!(got, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
        assert_eq!(
            ids_of(&store, &everyone).await,
            vec![before.id.0],
            "{field}"
        );
        assert!(store.currencies().await.unwrap().is_empty(), "{field}");
        assert!(matches!(
            store.product(ProductId(77)).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.customer_by_email("gus@import.example").await,
            Err(StoreError::NotFound { .. })
        ));
    }
    store
        .import(import_batch())
        .await
        .expect("the good batch still imports");
}

fn assert_invalid<T: std::fmt::Debug>(outcome: Result<T, StoreError>, field: &str) {
    match outcome {
        Err(StoreError::Invalid { field: got, .. }) => assert_eq!(got, field),
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

/// The model's limits hold for every write, even from a caller that skipped validation:
/// the write is refused naming the field, and nothing changes.
pub async fn writes_over_the_limits_are_refused(store: Store) {
    let mut long_name = guest("long@example.com");
    long_name.first_name = "f".repeat(limits::NAME_CHARS + 1);
    assert_invalid(store.create_customer(long_name).await, "first_name");
    let mut long_display = registered("display@example.com", "display");
    long_display.display_name = Some("d".repeat(limits::DISPLAY_NAME_CHARS + 1));
    assert_invalid(store.create_customer(long_display).await, "display_name");
    let mut big_meta = guest("meta@example.com");
    big_meta.meta_data = vec![("k".into(), json!("v".repeat(limits::META_VALUE_BYTES)))];
    assert_invalid(store.create_customer(big_meta).await, "meta_data.0.value");
    assert!(
        ids_of(&store, &query(CustomerFilter::default()))
            .await
            .is_empty()
    );

    let kept = store
        .create_customer(guest("kept@example.com"))
        .await
        .unwrap();
    let chunk = json!("v".repeat(limits::META_VALUE_BYTES / 2));
    // Seven such entries fit in the total, an eighth does not.
    let fitting = limits::META_TOTAL_BYTES / (limits::META_VALUE_BYTES / 2) - 1;
    let mut patch = CustomerPatch::default();
    for key in 0..fitting {
        patch.meta_data.push(MetaUpdate {
            id: None,
            key: format!("k{key}"),
            value: chunk.clone(),
        });
    }
    store.update_customer(kept.id, patch).await.unwrap();
    let one_more = CustomerPatch {
        first_name: Some("Changed".into()),
        meta_data: vec![MetaUpdate {
            id: None,
            key: "last".into(),
            value: chunk,
        }],
        ..CustomerPatch::default()
    };
    assert_invalid(store.update_customer(kept.id, one_more).await, "meta_data");
    let long_city = CustomerPatch {
        billing: Some(AddressPatch {
            city: Some("c".repeat(limits::ADDRESS_FIELD_CHARS + 1)),
            ..AddressPatch::default()
        }),
        ..CustomerPatch::default()
    };
    assert_invalid(
        store.update_customer(kept.id, long_city).await,
        "billing.city",
    );
    let after = store.customer(kept.id).await.unwrap();
    assert_eq!(after.first_name, "");
    assert_eq!(after.billing.city, "");
    assert_eq!(after.meta_data.len(), fitting);
}

/// A term as long as the longest value finds it; a longer one finds nothing, in any
/// field and in combination with any other filter. A long term matches as a whole,
/// whatever part of it a backend asks its index for.
pub async fn search_terms_longer_than_any_value_match_nothing(store: Store) {
    let mut longest = registered("longest@example.com", "longest");
    longest.first_name = "n".repeat(limits::NAME_CHARS);
    let longest = store.create_customer(longest).await.unwrap();
    let search = |term: String| CustomerFilter {
        search: vec![TextSearch {
            term,
            fields: SearchField::ALL.to_vec(),
            match_id: false,
        }],
        ..CustomerFilter::default()
    };
    let fits = "n".repeat(limits::SEARCH_TERM_CHARS);
    assert_eq!(
        ids_matching(&store, search(fits.clone())).await,
        vec![longest.id.0]
    );
    let too_long = format!("{fits}n");
    assert!(
        ids_matching(&store, search(too_long.clone()))
            .await
            .is_empty()
    );
    let mut with_role = search(too_long);
    with_role.role = Some(Role::Customer);
    assert!(ids_matching(&store, with_role).await.is_empty());

    // Long terms share a beginning; only the whole term decides, ignoring letter case.
    let mut first = guest("prefix-one@example.com");
    first.last_name = "Abcdefghijklmnopqrstuvwxyz Żółw".into();
    let first = store.create_customer(first).await.unwrap();
    let mut second = guest("prefix-two@example.com");
    second.billing.city = "abcdefghijklmnopqrstuvwxyZ".into();
    let second = store.create_customer(second).await.unwrap();
    let mut third = guest("prefix-three@example.com");
    third.last_name = "abcdefghijklmnopqrstuvWXY!".into();
    store.create_customer(third).await.unwrap();
    assert_eq!(
        ids_matching(&store, search("ABCDEFGHIJKLMNOPQRSTUVWXYZ".into())).await,
        vec![first.id.0, second.id.0]
    );
    assert_eq!(
        ids_matching(&store, search("klmnopqrstuvwxyz żółw".into())).await,
        vec![first.id.0]
    );
    let names_only = CustomerFilter {
        search: vec![TextSearch {
            term: "abcdefghijklmnopqrstuvwxyz".into(),
            fields: vec![SearchField::Names],
            match_id: false,
        }],
        ..CustomerFilter::default()
    };
    assert_eq!(ids_matching(&store, names_only).await, vec![first.id.0]);
}

fn new_key(kind: KeyKind, lookup: &str) -> NewApiKey {
    NewApiKey {
        kind,
        description: format!("{} key", kind.as_str()),
        permissions: KeyPermissions::ReadWrite,
        lookup: lookup.into(),
        secret: format!("secret-{lookup}"),
        truncated: lookup.chars().rev().take(7).collect(),
    }
}

/// Keys are found by kind and lookup, revoked keys are not, uses are recorded.
pub async fn keys_are_stored_found_and_revoked(store: Store) {
    let woo = store
        .create_api_key(new_key(KeyKind::WooCommerce, "hash-1"))
        .await
        .unwrap();
    let edd = store
        .create_api_key(new_key(KeyKind::Edd, "hash-1"))
        .await
        .unwrap();
    assert_ne!(woo.id, edd.id);
    assert_eq!(woo.secret, "secret-hash-1");
    assert_eq!(woo.last_access, None);
    let found = store
        .find_api_key(KeyKind::WooCommerce, "hash-1")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, woo);
    assert_eq!(
        store.find_api_key(KeyKind::Bearer, "hash-1").await.unwrap(),
        None
    );
    assert!(matches!(
        store
            .create_api_key(new_key(KeyKind::Edd, "hash-1"))
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    store.touch_api_key(woo.id, at(9, 0)).await.unwrap();
    let touched = store
        .find_api_key(KeyKind::WooCommerce, "hash-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_access, Some(at(9, 0)));
    assert_eq!(store.api_keys().await.unwrap().len(), 2);

    let revoked = store.revoke_api_key(woo.id).await.unwrap();
    assert_eq!(revoked.id, woo.id);
    assert_eq!(
        store
            .find_api_key(KeyKind::WooCommerce, "hash-1")
            .await
            .unwrap(),
        None
    );
    let live: Vec<i64> = store
        .api_keys()
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(live, [edd.id]);
    assert!(matches!(
        store.revoke_api_key(9999).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A nonce is accepted once per key while remembered; old nonces are forgotten.
pub async fn nonces_detect_replays(store: Store) {
    assert!(store.remember_nonce(1, "abc", 1000, 0).await.unwrap());
    assert!(
        !store.remember_nonce(1, "abc", 1000, 0).await.unwrap(),
        "replay"
    );
    assert!(
        !store.remember_nonce(1, "abc", 1005, 0).await.unwrap(),
        "same nonce, later timestamp, still remembered"
    );
    assert!(
        store.remember_nonce(2, "abc", 1000, 0).await.unwrap(),
        "other key"
    );
    assert!(
        store.remember_nonce(1, "abd", 1000, 0).await.unwrap(),
        "other nonce"
    );
    assert!(
        store.remember_nonce(1, "abc", 2000, 1500).await.unwrap(),
        "forgotten once older than the window"
    );
    assert!(!store.remember_nonce(1, "abc", 2000, 1500).await.unwrap());
}

/// Several tasks creating customers with one address in different letter cases: exactly
/// one wins, the others get an e-mail conflict.
pub async fn concurrent_creates_with_one_email_have_one_winner(store: Store) {
    let variants = [
        "race@example.com",
        "RACE@example.com",
        "Race@Example.com",
        "race@EXAMPLE.COM",
        "rAcE@example.com",
        "RACE@EXAMPLE.COM",
    ];
    let tasks: Vec<_> = variants
        .iter()
        .map(|address| {
            let store = Arc::clone(&store);
            let new = guest(address);
            tokio::spawn(async move { store.create_customer(new).await })
        })
        .collect();
    let mut winners = Vec::<Customer>::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(customer) => winners.push(customer),
            Err(error) => assert!(is_conflict(&error, "email"), "{error:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert_eq!(
        store
            .count_customers(&query(CustomerFilter::default()))
            .await
            .unwrap(),
        1
    );
}

/// One step of a random ledger history for [`apply_ledger_ops`].
#[derive(Debug, Clone)]
pub enum LedgerOp {
    /// Place an order for customer `customer % n` in currency `currency % 3`.
    Order {
        /// Which customer.
        customer: usize,
        /// Which currency (USD, EUR, JPY).
        currency: usize,
        /// Initial status, by index.
        status: usize,
        /// Total in minor units.
        total: i64,
        /// Placement, in hours after the epoch of [`at`].
        hour: i64,
        /// A refund taken at creation, as a share of the total in percent.
        refund_percent: i64,
    },
    /// Change the status of order `order % orders`.
    SetStatus {
        /// Which order.
        order: usize,
        /// New status, by index.
        status: usize,
    },
    /// Refund `percent` of what is left on order `order % orders`.
    Refund {
        /// Which order.
        order: usize,
        /// Share of the rest, in percent.
        percent: i64,
    },
    /// Delete order `order % orders`.
    Delete {
        /// Which order.
        order: usize,
    },
    /// Subscribe customer `customer % n` with `status`, by index.
    Subscribe {
        /// Which customer.
        customer: usize,
        /// Status, by index.
        status: usize,
    },
    /// Grant customer `customer % n` a download on order `order % orders`.
    Grant {
        /// Which customer.
        customer: usize,
        /// Which order.
        order: usize,
        /// Downloads so far.
        count: i64,
    },
}

/// Applies `ops` to a store with `customers` fresh customers and checks after all of
/// them that every customer's kept aggregates equal [`recompute_stats`].
pub async fn apply_ledger_ops(store: Store, customers: usize, ops: &[LedgerOp]) {
    const CURRENCIES: [&str; 3] = ["USD", "EUR", "JPY"];
    let mut ids = Vec::new();
    for i in 0..customers.max(1) {
        let created = store
            .create_customer(guest(&format!("ledger{i}@example.com")))
            .await
            .unwrap();
        ids.push(created.id);
    }
    let product = store.create_product(product("ledger")).await.unwrap();
    let mut orders: Vec<OrderId> = Vec::new();
    for op in ops {
        match op {
            LedgerOp::Order {
                customer,
                currency,
                status,
                total,
                hour,
                refund_percent,
            } => {
                let mut new = order(
                    ids[customer % ids.len()],
                    CURRENCIES[currency % CURRENCIES.len()],
                    OrderStatus::ALL[status % 7],
                    *total,
                    at(0, hour * 3600),
                );
                let refund = total * refund_percent / 100;
                if refund > 0 {
                    new.refunds.push(NewRefund {
                        amount: refund,
                        created_at: Some(at(0, hour * 3600 + 60)),
                        reason: String::new(),
                    });
                }
                orders.push(store.create_order(new).await.unwrap().id);
            }
            LedgerOp::SetStatus { order, status } if !orders.is_empty() => {
                let id = orders[order % orders.len()];
                store
                    .set_order_status(id, OrderStatus::ALL[status % 7], at(50, 0))
                    .await
                    .unwrap();
            }
            LedgerOp::Refund { order, percent } if !orders.is_empty() => {
                let id = orders[order % orders.len()];
                let stored = store.order(id).await.unwrap();
                let amount = (stored.total - stored.refunded_total()) * percent / 100;
                let result = store
                    .add_refund(
                        id,
                        NewRefund {
                            amount,
                            created_at: Some(at(60, 0)),
                            reason: String::new(),
                        },
                    )
                    .await;
                assert_eq!(result.is_ok(), amount > 0, "refund of {amount}: {result:?}");
            }
            LedgerOp::Delete { order } if !orders.is_empty() => {
                let id = orders.remove(order % orders.len());
                store.delete_order(id).await.unwrap();
            }
            LedgerOp::Subscribe { customer, status } => {
                store
                    .create_subscription(NewSubscription {
                        uuid: None,
                        customer_id: ids[customer % ids.len()],
                        product_id: product.id,
                        status: SubscriptionStatus::ALL[status % 7],
                        currency: customer_model::Currency::parse("USD").unwrap(),
                        created_at: Some(at(1, 0)),
                    })
                    .await
                    .unwrap();
            }
            LedgerOp::Grant {
                customer,
                order,
                count,
            } if !orders.is_empty() => {
                store
                    .create_download_grant(NewDownloadGrant {
                        download_id: "ledger-file".into(),
                        customer_id: ids[customer % ids.len()],
                        order_id: orders[order % orders.len()],
                        product_id: product.id,
                        downloads_remaining: None,
                        access_expires: None,
                        download_count: *count,
                    })
                    .await
                    .unwrap();
            }
            _ => {}
        }
    }
    for id in ids {
        assert_stats_recomputed(&store, id).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_count_from_2024() {
        assert_eq!(at(0, 0).to_string(), "2024-01-01T00:00:00Z");
        assert_eq!(at(1, 61).to_string(), "2024-01-02T00:01:01Z");
    }
}
