//! The backend-independent store conformance suite (feature `testing`).
//!
//! Each scenario is an async function taking a fresh, empty store and panicking when the
//! store breaks the [`CustomerStore`] contract. [`store_conformance_tests!`](crate::store_conformance_tests) stamps out
//! one `#[tokio::test]` per scenario for a backend:
//!
//! ```no_run
//! customer_store::store_conformance_tests!(|| async {
//!     let store = customer_store::SqliteStore::open_in_memory().unwrap();
//!     (std::sync::Arc::new(store) as std::sync::Arc<dyn customer_store::CustomerStore>, ())
//! });
//! ```
//!
//! The factory is an async closure (a backend may need to create a database first); it
//! returns the store and a guard that lives as long as the test (a temporary
//! directory, a database handle). Aggregates are checked against [`recompute_stats`], a
//! brute-force fold of the customer's orders, subscriptions and grants as the store
//! returns them; [`LedgerOp`] and [`apply_ledger_ops`] let a property test drive random
//! ledger histories through the same check.

//!
//! The scenarios are grouped by area, one file each: `customers` (create, read, update,
//! delete, uniqueness), `lists` (filters, searches, sorts, pages), `ledger` (orders,
//! refunds, subscriptions, grants and their aggregates), `import`, `transfer` (import
//! sessions in chunks, the bulk load, export then import), `keys` (API keys and OAuth
//! nonces), `states` (saved states and the clock) and `webhooks` (the resource, the
//! outbox, leases and the failure rule).

mod customers;
mod import;
mod keys;
mod ledger;
mod lists;
mod states;
mod transfer;
mod webhooks;

use std::collections::BTreeMap;
use std::sync::Arc;

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

pub use customers::*;
pub use import::*;
pub use keys::*;
pub use ledger::*;
pub use lists::*;
pub use states::*;
pub use transfer::{
    Picture, assert_same, bulk_load_equals_row_by_row, copy_store, export_all,
    export_then_import_gives_an_equal_store, generated_batch, import_in_chunks,
    import_sessions_stream_in_chunks, picture,
};
pub use webhooks::*;

/// Stamps out one `#[tokio::test]` per conformance scenario. `$factory` is an expression
/// callable with no arguments that returns a future of `(Arc<dyn CustomerStore>, guard)`.
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
            key_changes_move_the_generation,
            nonces_detect_replays,
            concurrent_creates_with_one_email_have_one_winner,
            writes_over_the_limits_are_refused,
            search_terms_longer_than_any_value_match_nothing,
            import_sessions_stream_in_chunks,
            restored_states_equal_the_saved_ones,
            the_clock_stamps_what_the_store_writes,
            webhook_events_follow_committed_changes,
            webhook_leases_retries_and_the_failure_rule,
            webhooks_are_listed_changed_and_deleted,
            imports_fire_webhooks_when_asked,
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
                let (store, guard) = ($factory)().await;
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
                let (first, first_guard) = ($factory)().await;
                let (second, second_guard) = ($factory)().await;
                $crate::conformance::$scenario(first, second).await;
                drop((first_guard, second_guard));
            }
        )*
    };
}

/// A store under test.
pub type Store = Arc<dyn CustomerStore>;

/// `2024-01-01T00:00:00Z` plus `days` days and `seconds` seconds.
pub fn at(days: i64, seconds: i64) -> Timestamp {
    Timestamp::from_second(1_704_067_200 + days * 86_400 + seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn email(text: &str) -> Email {
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

pub(crate) fn product(name: &str) -> NewProduct {
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

pub(crate) fn query(filter: CustomerFilter) -> CustomerQuery {
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
pub(crate) async fn ids_of(store: &Store, q: &CustomerQuery) -> Vec<i64> {
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

pub(crate) async fn ids_matching(store: &Store, filter: CustomerFilter) -> Vec<i64> {
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

pub(crate) async fn assert_stats_recomputed(store: &Store, id: CustomerId) {
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
    let record = store.customer_record(id).await.expect("record");
    assert_eq!(record.stats, kept, "the record's aggregates differ");
    assert_eq!(record.customer, store.customer(id).await.expect("customer"));
}

pub(crate) fn assert_invalid<T: std::fmt::Debug>(outcome: Result<T, StoreError>, field: &str) {
    match outcome {
        Err(StoreError::Invalid { field: got, .. }) => assert_eq!(got, field),
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

pub(crate) fn is_conflict(error: &StoreError, expected: &str) -> bool {
    matches!(error, StoreError::Conflict { field } if *field == expected)
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
