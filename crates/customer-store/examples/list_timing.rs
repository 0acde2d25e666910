//! Times the lists the dialects issue most, with their exact totals, against an existing
//! database (for example the one `import_speed` keeps when `SPEED_DB` names a file).
//!
//! ```text
//! cargo run --release -p customer-store --example list_timing -- DATABASE
//! ```
//!
//! Prints the time of each list's first run (which counts its total) and the median of
//! three runs after it (readers keep totals until the data changes), its total, and
//! with `EXPLAIN` set, SQLite's plan for its page.

use std::time::{Duration, Instant};

use customer_model::{
    AccountFilter, Currency, CustomerFilter, CustomerId, CustomerQuery, PageRequest, Role,
    SearchField, SortDirection, SortKey, TextSearch, TimeRange, Timestamp,
};
use customer_store::{CustomerStore, SqliteStore};

fn names_search(term: &str) -> TextSearch {
    TextSearch {
        term: term.to_owned(),
        fields: vec![SearchField::Names],
        match_id: false,
    }
}

fn everywhere(term: &str) -> TextSearch {
    TextSearch {
        term: term.to_owned(),
        fields: SearchField::ALL.to_vec(),
        match_id: false,
    }
}

/// The easycart list: buyers in `currency`, newest last order first, pages of 20.
fn easycart(filter: CustomerFilter, page: u64) -> CustomerQuery {
    CustomerQuery {
        filter,
        sort: SortKey::LastOrder,
        direction: SortDirection::Descending,
        page: PageRequest::page(page, 20),
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: list_timing DATABASE")?;
    let store = SqliteStore::open(&path)?;
    let middle = store.count_customers(&CustomerQuery::default()).await? / 2;
    let known = store.customer(CustomerId(middle.max(1) as i64)).await?;
    let email = known.email.as_str().to_owned();
    let usd = Currency::parse("USD")?;
    let year = TimeRange {
        from: Some("2024-01-01T00:00:00Z".parse::<Timestamp>()?),
        to: Some("2024-12-31T23:59:59Z".parse::<Timestamp>()?),
    };
    let in_usd = CustomerFilter {
        currency: Some(usd),
        ..CustomerFilter::default()
    };
    // wc/v3's `search=…`: registered customers with the role `customer`, the term in
    // logins, e-mails and display names, by display name.
    let wc_search = |term: &str| CustomerQuery {
        filter: CustomerFilter {
            accounts: AccountFilter::Registered,
            role: Some(Role::Customer),
            search: vec![TextSearch {
                term: term.to_owned(),
                fields: vec![
                    SearchField::Username,
                    SearchField::Email,
                    SearchField::DisplayName,
                ],
                match_id: false,
            }],
            ..CustomerFilter::default()
        },
        sort: SortKey::DisplayName,
        direction: SortDirection::Ascending,
        page: PageRequest::page(1, 10),
    };
    let queries: Vec<(&str, CustomerQuery)> = vec![
        ("wc/v3 search=smith, page 1 of 10", wc_search("smith")),
        (
            "wc/v3 search=xqzw (no match), page 1 of 10",
            wc_search("xqzw"),
        ),
        ("wc/v3 search=last101, page 1 of 10", wc_search("last101")),
        (
            "wc/v3 search=smith, page 50 of 10",
            CustomerQuery {
                page: PageRequest::page(50, 10),
                ..wc_search("smith")
            },
        ),
        (
            "registered, role customer, by display name, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    accounts: AccountFilter::Registered,
                    role: Some(Role::Customer),
                    ..CustomerFilter::default()
                },
                sort: SortKey::DisplayName,
                direction: SortDirection::Ascending,
                page: PageRequest::page(1, 10),
            },
        ),
        (
            "USD buyers, by last order, page 1 of 20",
            easycart(in_usd.clone(), 1),
        ),
        (
            "USD buyers, by last order, page 500 of 20",
            easycart(in_usd.clone(), 500),
        ),
        (
            "USD buyers ordered in 2024, page 1 of 20",
            easycart(
                CustomerFilter {
                    ordered: year,
                    ..in_usd.clone()
                },
                1,
            ),
        ),
        (
            "USD buyers with an exact e-mail",
            easycart(
                CustomerFilter {
                    any_email: Some(email.to_uppercase()),
                    ..in_usd.clone()
                },
                1,
            ),
        ),
        (
            "USD buyers, names contain 'last101'",
            easycart(
                CustomerFilter {
                    search: vec![names_search("last101")],
                    ..in_usd.clone()
                },
                1,
            ),
        ),
        (
            "search 'first9' in every field, page 1 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    search: vec![everywhere("first9")],
                    ..CustomerFilter::default()
                },
                page: PageRequest::page(1, 10),
                ..CustomerQuery::default()
            },
        ),
        (
            "created in 2023, newest first, page 100 of 10",
            CustomerQuery {
                filter: CustomerFilter {
                    accounts: AccountFilter::Registered,
                    created: TimeRange {
                        from: Some("2023-01-01T00:00:00Z".parse::<Timestamp>()?),
                        to: Some("2023-12-31T23:59:59Z".parse::<Timestamp>()?),
                    },
                    ..CustomerFilter::default()
                },
                sort: SortKey::Created,
                direction: SortDirection::Descending,
                page: PageRequest::page(100, 10),
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
        // The first run counts the total; readers keep it until the data changes, so
        // the runs after it show what a page costs once its total is known.
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..4 {
            let started = Instant::now();
            let page = store.list_customers(query).await?;
            times.push(started.elapsed());
            total = page.total;
        }
        let first = times[0];
        times[1..].sort();
        println!(
            "{name:<58} total {total:>8}; first {:>10}, then median {:>10}",
            ms(first),
            ms(times[2])
        );
        if std::env::var_os("EXPLAIN").is_some() {
            for step in store.explain_list(query).await? {
                println!("    {step}");
            }
        }
    }
    Ok(())
}
