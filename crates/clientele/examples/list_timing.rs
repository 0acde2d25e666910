//! Times customer lists against a database, through the store as the server calls it:
//! filtered lists with their exact count, and substring searches.
//!
//! ```text
//! cargo run --release -p clientele --example list_timing -- clientele.sqlite3
//! ```

use std::time::{Duration, Instant};

use customer_model::{
    AccountFilter, Currency, CustomerFilter, CustomerId, CustomerQuery, PageRequest, Role,
    SearchField, SortDirection, SortKey, TextSearch, TimeRange, Timestamp,
};
use customer_store::{CustomerStore, SqliteStore};

fn search(term: &str) -> TextSearch {
    TextSearch {
        term: term.to_owned(),
        fields: SearchField::ALL.to_vec(),
        match_id: false,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "clientele.sqlite3".to_owned());
    let store = SqliteStore::open(&path)?;
    // Terms that exist in any data set: the addresses of a customer from its middle.
    let middle = store.count_customers(&CustomerQuery::default()).await? / 2;
    let known = store.customer(CustomerId(middle.max(1) as i64)).await?;
    let email = known.email.as_str().to_owned();
    let local_part = email.split('@').next().unwrap_or_default().to_owned();
    let usd = Currency::parse("USD")?;
    let year: TimeRange = TimeRange {
        from: Some("2024-01-01T00:00:00Z".parse::<Timestamp>()?),
        to: Some("2024-12-31T23:59:59Z".parse::<Timestamp>()?),
    };
    let queries: Vec<(&str, CustomerQuery)> = vec![
        (
            "registered, role customer, by id, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    accounts: AccountFilter::Registered,
                    role: Some(Role::Customer),
                    ..CustomerFilter::default()
                },
                ..CustomerQuery::default()
            },
        ),
        (
            "registered, created in 2024, newest first, page 100 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    accounts: AccountFilter::Registered,
                    created: year,
                    ..CustomerFilter::default()
                },
                sort: SortKey::Created,
                direction: SortDirection::Descending,
                page: PageRequest::page(100, 10),
            },
        ),
        (
            "ordered in USD during 2024, by last order, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    currency: Some(usd),
                    ordered: year,
                    ..CustomerFilter::default()
                },
                sort: SortKey::LastOrder,
                direction: SortDirection::Descending,
                ..CustomerQuery::default()
            },
        ),
        (
            "search \"kowalski\" in every field, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    search: vec![search("kowalski")],
                    ..CustomerFilter::default()
                },
                ..CustomerQuery::default()
            },
        ),
        (
            "search one customer's e-mail local part, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    search: vec![search(&local_part)],
                    ..CustomerFilter::default()
                },
                ..CustomerQuery::default()
            },
        ),
        (
            "exact e-mail (any address)",
            CustomerQuery {
                filter: CustomerFilter {
                    any_email: Some(email.to_uppercase()),
                    ..CustomerFilter::default()
                },
                ..CustomerQuery::default()
            },
        ),
    ];
    for (name, query) in &queries {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let page = store.list_customers(query).await?;
            times.push(started.elapsed());
            total = page.total;
        }
        times.sort();
        println!(
            "{name}: total {total}; best {}, median {}",
            ms(times[0]),
            ms(times[1])
        );
    }
    Ok(())
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
