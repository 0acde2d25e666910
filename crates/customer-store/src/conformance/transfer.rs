//! Import sessions and exports: streaming in chunks, the bulk load against row by row,
//! and export followed by import.

use customer_model::export::StoredRecord;
use customer_model::import::{
    CustomerRef, ImportBatch, ImportOrder, ImportRecord, KeptApiKey, RecordKind,
};
use customer_model::query::{
    AccountFilter, CustomerFilter, CustomerQuery, PageRequest, SearchField, SortDirection, SortKey,
    TextSearch,
};
use customer_model::{Currency, Uuid};
use customer_model::{
    CustomerId, CustomerPatch, Email, MetaUpdate, NewDownloadGrant, NewRefund, NewSubscription,
    OrderId, OrderStatus, ProductId, SubscriptionStatus,
};
use serde_json::json;

use super::{Store, at, guest, order, product, recompute_stats, registered};
use crate::{CustomerStore, ExportOptions, ImportMode, StoreError, Unresolved, Written};

/// Everything a client of any dialect can read from a store, in comparable form.
#[derive(Debug, PartialEq)]
pub struct Picture {
    /// Every record, as an export with keys reads it.
    pub records: Vec<StoredRecord>,
    /// Every customer's kept aggregates, by id.
    pub stats: Vec<(i64, customer_model::CustomerStats)>,
    /// Every customer's orders, subscriptions and downloads as the per-customer reads
    /// return them.
    pub ledgers: Vec<String>,
    /// The ids and totals of the customer lists, one per query of `list_queries`.
    pub lists: Vec<(Vec<i64>, u64)>,
    /// The currencies ordered in.
    pub currencies: Vec<String>,
}

/// Asserts two pictures are equal, naming the first difference.
pub fn assert_same(left: &Picture, right: &Picture) {
    assert_eq!(left.records.len(), right.records.len(), "record counts");
    for (l, r) in left.records.iter().zip(&right.records) {
        assert_eq!(l, r);
    }
    for (l, r) in left.stats.iter().zip(&right.stats) {
        assert_eq!(l, r);
    }
    assert_eq!(left.ledgers, right.ledgers);
    assert_eq!(left.currencies, right.currencies);
    for (i, (l, r)) in left.lists.iter().zip(&right.lists).enumerate() {
        assert_eq!(l, r, "list {i}");
    }
    assert_eq!(left, right);
}

/// Every record of `store`, with keys, page by page.
pub async fn export_all(store: &dyn CustomerStore) -> Vec<StoredRecord> {
    let mut export = store
        .begin_export(ExportOptions { api_keys: true })
        .await
        .expect("an export starts");
    let mut records = Vec::new();
    loop {
        let page = export.next_page().await.expect("a page");
        if page.is_empty() {
            return records;
        }
        records.extend(page);
    }
}

/// The list queries a picture runs: every sort both ways, and each kind of filter.
fn list_queries(products: &[ProductId], currencies: &[String]) -> Vec<CustomerQuery> {
    let sorts = [
        SortKey::Id,
        SortKey::DisplayName,
        SortKey::Username,
        SortKey::Created,
        SortKey::Modified,
        SortKey::LastOrder,
    ];
    let mut filters = vec![
        CustomerFilter::default(),
        CustomerFilter {
            accounts: AccountFilter::Guests,
            ..CustomerFilter::default()
        },
        CustomerFilter {
            accounts: AccountFilter::Registered,
            ..CustomerFilter::default()
        },
        CustomerFilter {
            search: vec![TextSearch {
                term: "ex".into(),
                fields: vec![SearchField::Email, SearchField::Names],
                match_id: false,
            }],
            ..CustomerFilter::default()
        },
    ];
    // Searches through the search index: one trigram, and longer terms confirmed on the
    // text (a bulk load builds that index its own way).
    filters.extend(
        [
            ("Ann", vec![SearchField::Names]),
            ("c1@sh", SearchField::ALL.to_vec()),
            ("more1", vec![SearchField::Email]),
        ]
        .into_iter()
        .map(|(term, fields)| CustomerFilter {
            search: vec![TextSearch {
                term: term.into(),
                fields,
                match_id: false,
            }],
            ..CustomerFilter::default()
        }),
    );
    filters.push(CustomerFilter {
        subscription_status: Some(SubscriptionStatus::Active),
        ..CustomerFilter::default()
    });
    filters.extend(products.iter().map(|&product| CustomerFilter {
        product: Some(product),
        ..CustomerFilter::default()
    }));
    filters.extend(currencies.iter().map(|code| CustomerFilter {
        currency: Some(Currency::parse(code).expect("a stored currency")),
        ..CustomerFilter::default()
    }));
    let mut queries = Vec::new();
    for filter in filters {
        for sort in sorts {
            for direction in [SortDirection::Ascending, SortDirection::Descending] {
                queries.push(CustomerQuery {
                    filter: filter.clone(),
                    sort,
                    direction,
                    page: PageRequest {
                        offset: 0,
                        limit: None,
                    },
                });
            }
        }
    }
    queries
}

/// Reads everything `store` answers, with every UUID the store chose itself set to nil
/// when `forget_uuids` (two stores loaded from the same records choose different ones).
pub async fn picture(store: &Store, forget_uuids: bool) -> Picture {
    let mut records = export_all(store.as_ref()).await;
    let mut customers = Vec::new();
    let mut products = Vec::new();
    for record in &mut records {
        match record {
            StoredRecord::Customer(c) => {
                customers.push(c.id);
                if forget_uuids {
                    c.uuid = Uuid::nil();
                }
            }
            StoredRecord::Product(p) => {
                products.push(p.id);
                if forget_uuids {
                    p.uuid = Uuid::nil();
                }
            }
            StoredRecord::Order(o) if forget_uuids => o.uuid = Uuid::nil(),
            StoredRecord::Subscription(s) if forget_uuids => s.uuid = Uuid::nil(),
            _ => {}
        }
    }
    let mut stats = Vec::new();
    let mut ledgers = Vec::new();
    for &id in &customers {
        let kept = store.customer_stats(id).await.expect("stats");
        assert_eq!(kept, recompute_stats(store, id).await, "customer {}", id.0);
        stats.push((id.0, kept));
        let all = PageRequest {
            offset: 0,
            limit: None,
        };
        let orders = store.customer_orders(id, all).await.expect("orders");
        let order_ids: Vec<i64> = orders.items.iter().map(|o| o.id.0).collect();
        let subscriptions: Vec<i64> = store
            .customer_subscriptions(id)
            .await
            .expect("subscriptions")
            .iter()
            .map(|s| s.id)
            .collect();
        let downloads: Vec<String> = store
            .customer_downloads(id)
            .await
            .expect("downloads")
            .iter()
            .map(|d| format!("{}:{}", d.grant.id, d.product_name))
            .collect();
        ledgers.push(format!(
            "{}: orders {order_ids:?} of {}, subscriptions {subscriptions:?}, downloads {downloads:?}",
            id.0, orders.total
        ));
    }
    let currencies: Vec<String> = store
        .currencies()
        .await
        .expect("currencies")
        .iter()
        .map(|c| c.code().to_owned())
        .collect();
    let mut lists = Vec::new();
    for query in list_queries(&products, &currencies) {
        let page = store.list_customers(&query).await.expect("a list");
        let ids = page.items.iter().map(|r| r.customer.id.0).collect();
        lists.push((ids, page.total));
    }
    Picture {
        records,
        stats,
        ledgers,
        lists,
        currencies,
    }
}

/// Writes every record of `from` into `to` through one import session, a page at a
/// time, and commits.
pub async fn copy_store(from: &Store, to: &Store) {
    let mut export = from
        .begin_export(ExportOptions { api_keys: true })
        .await
        .expect("an export starts");
    let mut session = to
        .begin_import(ImportMode::Auto.into())
        .await
        .expect("an import starts");
    loop {
        let page = export.next_page().await.expect("a page");
        if page.is_empty() {
            break;
        }
        let records = page.into_iter().map(ImportRecord::from).collect();
        match session
            .write(records, Unresolved::Reject)
            .await
            .expect("a write")
        {
            Written::Done { held } => assert!(held.is_empty()),
            Written::Rejected(rejection) => panic!("an exported record is refused: {rejection:?}"),
        }
    }
    session.commit().await.expect("the copy commits");
}

fn email(text: &str) -> Email {
    Email::parse(text).expect("a valid address")
}

/// A deterministic batch of a few dozen records of every kind: registered customers and
/// guests, orders by id and by e-mail (some creating guests), in three currencies, of
/// every status, with lines of several products and refunds; subscriptions, grants, keys.
pub fn generated_batch(seed: u64) -> ImportBatch {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move |below: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % below
    };
    let mut batch = ImportBatch::default();
    for p in 1..=3 {
        let mut new = product(&format!("product{p}"));
        new.id = Some(ProductId(p * 10));
        batch.products.push(new);
    }
    let customers = 12;
    for c in 1..=customers {
        let address = format!("c{c}@shop.example");
        let mut new = if c % 3 == 0 {
            guest(&address)
        } else {
            registered(&address, &format!("user{c}"))
        };
        new.id = Some(CustomerId(c * 2));
        new.first_name = ["Ann", "Bob", "Cy", "Dee"][next(4) as usize].into();
        new.created_at = Some(at(next(20) as i64, c));
        new.meta_data = vec![("tier".into(), json!(next(3)))];
        batch.customers.push(new.into());
    }
    for o in 0..30 {
        let currency = ["USD", "EUR", "JPY"][next(3) as usize];
        let total = 100 + next(5000) as i64;
        let mut new = order(
            CustomerId(0),
            currency,
            OrderStatus::ALL[next(7) as usize],
            total,
            at(next(40) as i64, o),
        );
        new.line_items[0].product_id = Some(ProductId(10 * (1 + next(3) as i64)));
        if next(3) == 0 {
            new.refunds.push(NewRefund {
                amount: total / 2,
                created_at: Some(at(41, o)),
                reason: "partial".into(),
            });
        }
        let buyer = match next(5) {
            0 => CustomerRef::Email(email(&format!("new{}@shop.example", next(4)))),
            1 => CustomerRef::Email(email(&format!(
                "C{}@SHOP.example",
                1 + next(customers as u64)
            ))),
            _ => CustomerRef::Id(CustomerId(2 * (1 + next(customers as u64) as i64))),
        };
        batch.orders.push(ImportOrder::new(buyer, new));
    }
    for s in 0..4 {
        batch.subscriptions.push(
            NewSubscription {
                uuid: None,
                customer_id: CustomerId(2 * (1 + next(customers as u64) as i64)),
                product_id: ProductId(10),
                status: SubscriptionStatus::ALL[(s + next(3) as usize) % 7],
                currency: Currency::parse("USD").expect("a currency"),
                created_at: Some(at(5, s as i64)),
            }
            .into(),
        );
    }
    let granted: Vec<(CustomerId, ProductId)> = batch
        .orders
        .iter()
        .filter_map(|o| match o.customer {
            CustomerRef::Id(id) => Some((id, o.order.line_items[0].product_id?)),
            CustomerRef::Email(_) => None,
        })
        .take(3)
        .collect();
    for (id, product) in granted {
        let order = batch
            .orders
            .iter()
            .position(|o| o.customer == CustomerRef::Id(id))
            .expect("an order of the customer");
        batch.download_grants.push(
            NewDownloadGrant {
                download_id: format!("product{}-file", product.0 / 10),
                customer_id: id,
                // Orders get ids in batch order from 1 in an empty store.
                order_id: OrderId(order as i64 + 1),
                product_id: product,
                downloads_remaining: Some(3),
                access_expires: None,
                download_count: next(3) as i64,
            }
            .into(),
        );
    }
    batch.api_keys.push(KeptApiKey {
        id: 4,
        kind: "bearer".into(),
        description: "kept".into(),
        permissions: "read".into(),
        lookup: format!("digest{seed}"),
        secret: String::new(),
        truncated: "1234567".into(),
        created_at: at(1, 0),
        last_access: Some(at(2, 0)),
    });
    batch
}

/// Writes `batch` through one session of `mode` in chunks of `chunk` records. Under
/// [`Unresolved::Hold`], records that name later ones are written again at the end.
pub async fn import_in_chunks(
    store: &Store,
    batch: ImportBatch,
    mode: ImportMode,
    chunk: usize,
    unresolved: Unresolved,
) {
    let mut session = store
        .begin_import(mode.into())
        .await
        .expect("an import starts");
    let records: Vec<ImportRecord> = batch.into_records().collect();
    let mut held = Vec::new();
    for part in records.chunks(chunk) {
        match session
            .write(part.to_vec(), unresolved)
            .await
            .expect("a write")
        {
            Written::Done { held: more } => held.extend(more.into_iter().map(|h| h.record)),
            Written::Rejected(rejection) => panic!("refused: {rejection:?}"),
        }
    }
    if !held.is_empty() {
        match session
            .write(held, Unresolved::Reject)
            .await
            .expect("a write")
        {
            Written::Done { .. } => {}
            Written::Rejected(rejection) => panic!("refused: {rejection:?}"),
        }
    }
    session.commit().await.expect("the import commits");
}

/// An import into an empty store (where a backend may load the rows first and build
/// indexes and aggregates after) gives the same store as the same records written row by
/// row: every record, aggregate, per-customer read and list. The bulk load comes in
/// several chunks; a second import, into the stores that now hold data, too.
pub async fn bulk_load_equals_row_by_row(bulk: Store, rows: Store) {
    let batch = generated_batch(1);
    import_in_chunks(
        &bulk,
        batch.clone(),
        ImportMode::Auto,
        23,
        Unresolved::Reject,
    )
    .await;
    // In writing order every record names earlier ones only (or an e-mail address, which
    // makes a guest as it does in the bulk load), so nothing is held.
    import_in_chunks(&rows, batch, ImportMode::RowByRow, 7, Unresolved::Reject).await;
    let loaded = picture(&bulk, true).await;
    assert!(loaded.records.len() > 50, "{}", loaded.records.len());
    assert_same(&loaded, &picture(&rows, true).await);
    // A second import adds to a store that holds data: row by row in both.
    let mut more = generated_batch(2);
    more.api_keys.clear();
    more.products.clear();
    more.subscriptions.clear();
    more.download_grants.clear();
    for (i, customer) in more.customers.iter_mut().enumerate() {
        customer.customer.id = Some(CustomerId(1000 + i as i64));
        customer.customer.email = email(&format!("more{i}@shop.example"));
        customer.customer.account = None;
    }
    more.orders
        .retain(|o| matches!(o.customer, CustomerRef::Email(_)));
    bulk.import(more.clone()).await.expect("a second import");
    import_in_chunks(&rows, more, ImportMode::RowByRow, 5, Unresolved::Reject).await;
    assert_same(&picture(&bulk, true).await, &picture(&rows, true).await);
}

/// An export imported into an empty store gives back the same store: every record with
/// its ids, UUIDs, instants, password hashes and meta ids, every aggregate and every list.
pub async fn export_then_import_gives_an_equal_store(from: Store, to: Store) {
    from.import(generated_batch(7)).await.expect("the import");
    // Changes after the import: a status, a refund, a deleted order, an edited customer.
    from.set_order_status(OrderId(3), OrderStatus::Refunded, at(50, 0))
        .await
        .expect("a status change");
    let fourth = from.order(OrderId(4)).await.expect("an order");
    if fourth.total > fourth.refunded_total() + 1 {
        from.add_refund(
            OrderId(4),
            NewRefund {
                amount: 1,
                created_at: Some(at(51, 0)),
                reason: String::new(),
            },
        )
        .await
        .expect("a refund");
    }
    from.delete_order(OrderId(5)).await.expect("a deletion");
    from.update_customer(
        CustomerId(2),
        CustomerPatch {
            meta_data: vec![MetaUpdate {
                id: None,
                key: "note".into(),
                value: json!({"kept": true}),
            }],
            ..CustomerPatch::default()
        },
    )
    .await
    .expect("an update");
    let mut with_password = registered("pw@shop.example", "pw");
    if let Some(account) = with_password.account.as_mut() {
        account.password = Some("correct horse".into());
    }
    from.create_customer(with_password)
        .await
        .expect("a customer with a password");
    copy_store(&from, &to).await;
    let original = picture(&from, false).await;
    assert!(
        original
            .records
            .iter()
            .any(|r| r.kind() == RecordKind::ApiKey)
    );
    assert_same(&original, &picture(&to, false).await);
}

/// A session streams: records that name records of a later chunk are held and written at
/// the end; a bad record in the last chunk leaves the store as it was and is named by
/// its position in its chunk; a session dropped without commit writes nothing.
pub async fn import_sessions_stream_in_chunks(store: Store) {
    let before = store
        .create_customer(guest("before@shop.example"))
        .await
        .expect("a customer");
    let mut later_buyer = guest("later@shop.example");
    later_buyer.id = Some(CustomerId(500));
    let early_order = ImportOrder::new(
        CustomerRef::Id(CustomerId(500)),
        order(CustomerId(0), "USD", OrderStatus::Completed, 700, at(3, 0)),
    );
    let mut session = store
        .begin_import(ImportMode::Auto.into())
        .await
        .expect("an import starts");
    let first = session
        .write(vec![ImportRecord::Order(early_order)], Unresolved::Hold)
        .await
        .expect("a write");
    let Written::Done { held } = first else {
        panic!("an order of a later customer is held, not refused: {first:?}");
    };
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].index, 0);
    let second = session
        .write(
            vec![ImportRecord::Customer(later_buyer.into())],
            Unresolved::Hold,
        )
        .await
        .expect("a write");
    assert_eq!(second, Written::Done { held: Vec::new() });
    let held = held.into_iter().map(|h| h.record).collect();
    let last = session
        .write(held, Unresolved::Reject)
        .await
        .expect("a write");
    assert_eq!(last, Written::Done { held: Vec::new() });
    let summary = session.commit().await.expect("the commit");
    assert_eq!((summary.customers, summary.orders), (1, 1));
    let stats = store.customer_stats(CustomerId(500)).await.expect("stats");
    assert_eq!(stats, recompute_stats(&store, CustomerId(500)).await);
    assert_eq!(stats.currencies[0].orders(), 1);

    // A bad record in the last chunk: nothing of the earlier chunks is kept.
    let snapshot = picture(&store, false).await;
    let mut session = store
        .begin_import(ImportMode::Auto.into())
        .await
        .expect("an import starts");
    let mut fresh = guest("fresh@shop.example");
    fresh.id = Some(CustomerId(600));
    let good = ImportOrder::new(
        CustomerRef::Id(CustomerId(600)),
        order(CustomerId(0), "EUR", OrderStatus::Processing, 900, at(4, 0)),
    );
    let mut overdrawn = order(CustomerId(0), "EUR", OrderStatus::Completed, 100, at(4, 1));
    overdrawn.refunds.push(NewRefund {
        amount: 101,
        created_at: Some(at(4, 2)),
        reason: String::new(),
    });
    let chunks = [
        vec![ImportRecord::Customer(fresh.into())],
        vec![
            ImportRecord::Order(good),
            ImportRecord::Order(ImportOrder::new(
                CustomerRef::Id(CustomerId(600)),
                overdrawn,
            )),
        ],
    ];
    let mut outcome = None;
    for chunk in chunks {
        outcome = Some(
            session
                .write(chunk, Unresolved::Reject)
                .await
                .expect("a write"),
        );
    }
    match outcome.expect("two writes") {
        Written::Rejected(rejection) => assert_eq!(rejection.index, 1, "{rejection:?}"),
        done => panic!("an overdrawn refund is refused: {done:?}"),
    }
    session.rollback().await.expect("the rollback");
    assert!(matches!(
        store.customer(CustomerId(600)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_same(&picture(&store, false).await, &snapshot);

    // Dropped without a commit: nothing written.
    let mut session = store
        .begin_import(ImportMode::Auto.into())
        .await
        .expect("an import starts");
    let mut dropped = guest("dropped@shop.example");
    dropped.id = Some(CustomerId(700));
    session
        .write(
            vec![ImportRecord::Customer(dropped.into())],
            Unresolved::Reject,
        )
        .await
        .expect("a write");
    drop(session);
    assert!(matches!(
        store.customer(CustomerId(700)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.customer(before.id).await.expect("still there").email,
        before.email
    );
}
