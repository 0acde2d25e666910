//! Measures how fast a store imports and then answers the common lists.
//!
//! ```text
//! cargo run --release -p customer-store --example import_speed -- [CUSTOMERS] [ORDERS_PER_CUSTOMER] [CUSTOMERS_PER_BATCH]
//! ```
//!
//! Defaults: 100000 customers, 5 orders each, 20000 customers per batch, into a database
//! file in a temporary directory, or into the database `SPEED_DB` names, as `--db` does (a
//! SQLite file, or a `postgres://` URL with the `postgres` feature; kept afterwards, so
//! that later measurements can reuse it; a database with customers is queried, not
//! re-imported).
//! Customers are created two minutes apart from September 2020 on, so a million of them
//! reach into 2024. A customer's orders are a day apart, or `ORDER_GAP_DAYS` apart (a
//! large gap spreads each customer's orders over years). Prints rates and query
//! latencies.

use std::time::Instant;

use customer_model::{
    AccountFilter, Address, CustomerDraft, CustomerFilter, CustomerId, CustomerQuery, NewLineItem,
    NewOrder, OrderStatus, PageRequest, SearchField, SortDirection, SortKey, TextSearch, Timestamp,
};
use customer_store::{CustomerRef, ImportBatch, ImportOrder, Location};

fn arg(position: usize, default: u64) -> u64 {
    std::env::args()
        .nth(position)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_600_000_000 + seconds).expect("in range")
}

fn batch(first: u64, count: u64, orders_each: u64, order_gap_days: i64) -> ImportBatch {
    let usd = customer_model::Currency::parse("USD").expect("USD");
    let eur = customer_model::Currency::parse("EUR").expect("EUR");
    let mut batch = ImportBatch::default();
    for i in first..first + count {
        let draft = CustomerDraft {
            id: Some(i as i64),
            email: format!("customer{i}@example.com"),
            first_name: format!("First{}", i % 977),
            last_name: format!("Last{}", i % 1013),
            username: (i % 3 != 0).then(|| format!("user{i}")),
            billing: Address {
                city: format!("City {}", i % 211),
                country: "US".into(),
                phone: format!("+1 555 {i:07}"),
                ..Address::default()
            },
            created_at: Some(instant(i as i64 * 120)),
            ..CustomerDraft::default()
        };
        batch
            .customers
            .push(draft.validate().expect("valid customer").into());
        for n in 0..orders_each {
            let total = ((i * 7 + n * 13) % 50_000) as i64 + 100;
            batch.orders.push(ImportOrder::new(
                CustomerRef::Id(CustomerId(i as i64)),
                NewOrder {
                    id: None,
                    uuid: None,
                    customer_id: CustomerId(i as i64),
                    status: OrderStatus::ALL[((i + n) % 7) as usize],
                    currency: if n % 4 == 0 { eur } else { usd },
                    total,
                    subtotal: total,
                    total_tax: 0,
                    shipping_total: 0,
                    discount_total: 0,
                    payment_method: "bacs".into(),
                    payment_method_title: "Direct bank transfer".into(),
                    created_at: Some(instant(i as i64 * 120 + n as i64 * order_gap_days * 86_400)),
                    paid_at: None,
                    completed_at: None,
                    billing: Address::default(),
                    shipping: Address::default(),
                    line_items: vec![NewLineItem {
                        product_id: None,
                        name: "Item".into(),
                        quantity: 1,
                        total,
                    }],
                    refunds: Vec::new(),
                },
            ));
        }
    }
    batch
}

async fn timed<T>(label: &str, work: impl std::future::Future<Output = T>) -> T {
    let start = Instant::now();
    let out = work.await;
    println!(
        "{label:<48} {:>9.2} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    out
}

/// The backend's plan for the page query of `query`.
async fn explain(location: &Location, query: &CustomerQuery) -> Vec<String> {
    match location {
        Location::Sqlite(path) => customer_store::SqliteStore::open(path)
            .expect("store")
            .explain_list(query)
            .await
            .expect("plan"),
        #[cfg(feature = "postgres")]
        Location::Postgres(url) => customer_store::PostgresStore::connect(url)
            .await
            .expect("store")
            .explain_list(query)
            .await
            .expect("plan"),
        #[cfg(not(feature = "postgres"))]
        Location::Postgres(_) => vec!["(no PostgreSQL support in this build)".into()],
    }
}

#[tokio::main]
async fn main() {
    let customers = arg(1, 100_000);
    let orders_each = arg(2, 5);
    let per_batch = arg(3, 20_000).max(1);
    let order_gap_days = std::env::var("ORDER_GAP_DAYS")
        .ok()
        .and_then(|days| days.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let location = std::env::var("SPEED_DB")
        .map(|db| Location::parse(&db))
        .unwrap_or_else(|_| Location::Sqlite(dir.path().join("speed.sqlite3")));
    let store = location.open().await.expect("store");
    let existing = store
        .count_customers(&CustomerQuery::default())
        .await
        .expect("count")
        > 0;

    let start = Instant::now();
    let mut first = if existing { customers + 1 } else { 1 };
    while first <= customers {
        let count = per_batch.min(customers - first + 1);
        let batch = batch(first, count, orders_each, order_gap_days);
        store.import(batch).await.expect("import");
        first += count;
    }
    let seconds = start.elapsed().as_secs_f64();
    let orders = customers * orders_each;
    println!(
        "imported {customers} customers and {orders} orders in {seconds:.1} s: \
         {:.0} customers/s, {:.0} orders/s",
        customers as f64 / seconds,
        orders as f64 / seconds
    );

    let page = |filter: CustomerFilter, sort: SortKey| CustomerQuery {
        filter,
        sort,
        direction: SortDirection::Descending,
        page: PageRequest::page(3, 20),
    };
    let usd = customer_model::Currency::parse("USD").expect("USD");
    let queries = [
        (
            "registered, by id",
            page(
                CustomerFilter {
                    accounts: AccountFilter::Registered,
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
        ),
        (
            "everyone, by display name",
            page(CustomerFilter::default(), SortKey::DisplayName),
        ),
        (
            "everyone, by last order",
            page(CustomerFilter::default(), SortKey::LastOrder),
        ),
        (
            "USD buyers, by last USD order",
            page(
                CustomerFilter {
                    currency: Some(usd),
                    ..CustomerFilter::default()
                },
                SortKey::LastOrder,
            ),
        ),
        (
            "e-mail",
            page(
                CustomerFilter {
                    email: Some(format!("CUSTOMER{}@example.com", customers / 2)),
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
        ),
        (
            "search 'first97' in names",
            page(
                CustomerFilter {
                    search: vec![TextSearch {
                        term: "first97".into(),
                        fields: vec![SearchField::Names],
                        match_id: false,
                    }],
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
        ),
        (
            "search 'customer4242' everywhere",
            page(
                CustomerFilter {
                    search: vec![TextSearch {
                        term: "customer4242".into(),
                        fields: SearchField::ALL.to_vec(),
                        match_id: true,
                    }],
                    ..CustomerFilter::default()
                },
                SortKey::Id,
            ),
        ),
        (
            "created in one day",
            page(
                CustomerFilter {
                    created: customer_model::TimeRange {
                        from: Some(instant(0)),
                        to: Some(instant(86_400)),
                    },
                    ..CustomerFilter::default()
                },
                SortKey::Created,
            ),
        ),
    ];
    for (label, query) in queries {
        let listed = timed(label, store.list_customers(&query))
            .await
            .expect("list");
        timed("  again", store.list_customers(&query))
            .await
            .expect("list");
        timed("  of which counting", store.count_customers(&query))
            .await
            .expect("count");
        println!("{:<48} {:>9} matches", "", listed.total);
        if std::env::var_os("EXPLAIN").is_some() {
            for step in explain(&location, &query).await {
                println!("    {step}");
            }
        }
    }
    timed(
        "one customer's stats",
        store.customer_stats(CustomerId(customers as i64 / 3)),
    )
    .await
    .expect("stats");
}
