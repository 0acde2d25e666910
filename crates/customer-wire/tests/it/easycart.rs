//! The easycart codec: the seed's example list encoded from model values, every 400
//! message, and properties of decoding (PHP semantics, strictness, no panics).

use customer_model::{
    Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, Email, OrderId,
    OrderRef, OrderStatus, SearchField, SortDirection, SortKey, StatusTotals, SubscriptionStatus,
    Timestamp, Uuid,
};
use customer_wire::easycart::decode::{GetRequest, ListRequest};
use customer_wire::easycart::encode::{self, Included};
use customer_wire::easycart::errors::ApiError;
use customer_wire::easycart::{self, PAGE_SIZE, lifetime_value};
use customer_wire::php::Vars;
use jiff::tz::TimeZone;
use proptest::prelude::*;

fn at(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

fn pln() -> Currency {
    Currency::parse("pln").unwrap()
}

fn customer(uuid: &str, email: &str, first: &str, last: &str, avatar: Option<&str>) -> Customer {
    Customer {
        id: CustomerId(1),
        uuid: uuid.parse().unwrap(),
        email: Email::parse(email).unwrap(),
        additional_emails: Vec::new(),
        first_name: first.into(),
        last_name: last.into(),
        display_name: String::new(),
        account: None,
        billing: Address::default(),
        shipping: Address::default(),
        meta_data: Vec::new(),
        avatar_url: avatar.map(str::to_owned),
        created_at: at("2025-12-01T00:00:00Z"),
        modified_at: None,
    }
}

/// Figures in PLN: `(status, orders, total, refunded)` rows and the first/last order.
fn stats(rows: &[(OrderStatus, i64, i64, i64)], first: &str, last: &str) -> CurrencyStats {
    let mut stats = CurrencyStats::empty(pln());
    for (status, orders, total, refunded) in rows {
        stats.by_status[status.index()] = StatusTotals {
            orders: *orders,
            total: *total,
            refunded: *refunded,
        };
    }
    stats.first_order = Some(OrderRef {
        id: OrderId(1),
        at: at(first),
    });
    stats.last_order = Some(OrderRef {
        id: OrderId(2),
        at: at(last),
    });
    stats
}

fn decode_list(raw: &str) -> Result<ListRequest, ApiError> {
    ListRequest::decode(&Vars::parse(raw.as_bytes()))
}

/// The seed's two example customers, built from per-status figures that give the
/// seed's counts and lifetime values.
fn seed_rows() -> Vec<(Customer, CustomerStats)> {
    let jane = customer(
        "550e8400-e29b-41d4-a716-446655440010",
        "buyer@example.com",
        "Jane",
        "Doe",
        Some("https://example.com/avatars/jane.png"),
    );
    let mut jane_stats = CustomerStats::default();
    jane_stats.currencies.push(stats(
        &[
            (OrderStatus::Completed, 4, 20600, 1000),
            (OrderStatus::Failed, 1, 5000, 0),
        ],
        "2026-01-15T10:15:30Z",
        "2026-05-20T14:02:00Z",
    ));
    jane_stats.subscriptions[SubscriptionStatus::Active.index()] = 1;
    jane_stats.subscriptions[SubscriptionStatus::Canceled.index()] = 1;
    let another = customer(
        "550e8400-e29b-41d4-a716-446655440011",
        "another@example.com",
        "",
        "",
        None,
    );
    let mut another_stats = CustomerStats::default();
    another_stats.currencies.push(stats(
        &[(OrderStatus::Completed, 1, 3900, 0)],
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:00:00Z",
    ));
    vec![(jane, jane_stats), (another, another_stats)]
}

#[test]
fn seed_example_list() {
    let rows = seed_rows();
    let request = decode_list("currency=pln&page=1").unwrap();
    let text = encode::encode_list(
        rows.iter().map(|(c, s)| (c, s)),
        5 * PAGE_SIZE,
        &request,
        &TimeZone::UTC,
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_json_snapshot!(body);
}

#[test]
fn instants_are_in_the_site_time_zone() {
    let rows = seed_rows();
    let request = decode_list("currency=pln").unwrap();
    let warsaw = TimeZone::get("Europe/Warsaw").unwrap();
    let text = encode::encode_list(rows.iter().map(|(c, s)| (c, s)), 2, &request, &warsaw);
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["items"][0]["first_seen"], "2026-01-15T11:15:30+01:00");
    assert_eq!(body["items"][0]["last_order"], "2026-05-20T16:02:00+02:00");
    assert_eq!(body["pagination"]["total_pages"], 1);
}

#[test]
fn detail_without_orders_in_the_currency_has_nulls() {
    let (jane, jane_stats) = seed_rows().remove(0);
    let request = GetRequest::decode(&Vars::parse("currency=usd&include=ltv".as_bytes())).unwrap();
    let included = Included {
        ltv: request.include.ltv,
        ..Included::default()
    };
    let body = encode::encode_detail(
        &jane,
        &jane_stats,
        request.currency,
        &included,
        &TimeZone::UTC,
    );
    insta::assert_json_snapshot!(body);
}

#[test]
fn detail_ltv_breakdown() {
    let (jane, jane_stats) = seed_rows().remove(0);
    let included = Included {
        ltv: true,
        ..Included::default()
    };
    let body = encode::encode_detail(&jane, &jane_stats, pln(), &included, &TimeZone::UTC);
    assert_eq!(body["ltv"]["lifetime_value"], body["lifetime_value"]);
    insta::assert_json_snapshot!(body["ltv"]);
}

#[test]
fn bad_requests() {
    let cases = [
        "",
        "page=2",
        "currency=",
        "currency=PLN",
        "currency=Pln",
        "currency=zzz",
        "currency=xau",
        "currency=pl",
        "currency[]=pln",
        "currency=pln&page=0",
        "currency=pln&page=-1",
        "currency=pln&page=abc",
        "currency=pln&page=1.5",
        "currency=pln&page=99999999999999999999",
        "currency=pln&created_from=2026-13-01",
        "currency=pln&created_to=20260101",
        "currency=pln&created_from=1969-12-31",
        "currency=pln&created_to=2200-01-01",
        "currency=pln&created_from=2026-02-01&created_to=2026-01-31",
        "currency=pln&product=not-a-uuid",
        "currency=pln&product=550e8400e29b41d4a716446655440010",
        "currency=pln&subscription_status=cancelled",
        "currency=pln&subscription_status=ACTIVE",
        "currency=pln&query[]=jane",
        "page=0&created_from=x&product=y&subscription_status=z",
    ];
    let answers: Vec<String> = cases
        .iter()
        .map(|raw| {
            let error = decode_list(raw).expect_err(raw);
            assert_eq!(error.status, 400, "{raw}");
            format!("{raw:<60} => {}", error.body())
        })
        .collect();
    insta::assert_snapshot!(answers.join("\n"));
}

#[test]
fn bad_includes() {
    let error = GetRequest::decode(&Vars::parse(
        "currency=pln&include=orders,payments".as_bytes(),
    ))
    .unwrap_err();
    insta::assert_snapshot!(error.body());
    let missing = GetRequest::decode(&Vars::parse("include=orders".as_bytes())).unwrap_err();
    assert_eq!(
        missing.reply().body_bytes(),
        br#"{"message":"A valid currency query parameter is required"}"#
    );
}

#[test]
fn empty_values_are_absent_and_values_are_trimmed() {
    let request = decode_list(
        "currency=+pln+&page=&created_from=&created_to=&product=&subscription_status=&query=+",
    )
    .unwrap();
    assert_eq!(request.currency, pln());
    assert_eq!(request.page, 1);
    let query = request.customer_query(&TimeZone::UTC, None);
    assert_eq!(query.filter.currency, Some(pln()));
    assert!(query.filter.ordered.is_unbounded());
    assert!(query.filter.search.is_empty() && query.filter.any_email.is_none());
    assert_eq!(query.sort, SortKey::LastOrder);
    assert_eq!(query.direction, SortDirection::Descending);
}

#[test]
fn query_is_an_email_or_a_name_search() {
    let email = decode_list("currency=pln&query=Buyer%40Example.com").unwrap();
    let filter = email.customer_query(&TimeZone::UTC, None).filter;
    assert_eq!(filter.any_email.as_deref(), Some("Buyer@Example.com"));
    assert!(filter.search.is_empty());

    let name = decode_list("currency=pln&query=jane%40").unwrap();
    let filter = name.customer_query(&TimeZone::UTC, None).filter;
    assert_eq!(filter.any_email, None);
    assert_eq!(filter.search.len(), 1);
    assert_eq!(filter.search[0].term, "jane@");
    assert_eq!(filter.search[0].fields, vec![SearchField::Names]);

    let words = decode_list("currency=pln&query=Jane++Doe").unwrap();
    let filter = words.customer_query(&TimeZone::UTC, None).filter;
    let terms: Vec<&str> = filter.search.iter().map(|s| s.term.as_str()).collect();
    assert_eq!(terms, ["Jane", "Doe"]);
}

#[test]
fn lifetime_value_counts_paid_statuses_and_subtracts_every_refund() {
    let figures = stats(
        &[
            (OrderStatus::Pending, 1, 1000, 0),
            (OrderStatus::Processing, 1, 2000, 500),
            (OrderStatus::OnHold, 1, 4000, 0),
            (OrderStatus::Completed, 2, 8000, 0),
            (OrderStatus::Cancelled, 1, 16000, 0),
            // Refunded in full by its status, though no refund was recorded.
            (OrderStatus::Refunded, 1, 32000, 0),
            (OrderStatus::Failed, 1, 64000, 0),
        ],
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
    );
    assert_eq!(lifetime_value(&figures), 2000 - 500 + 8000);
    assert_eq!(easycart::completed_orders(&figures), 2);
}

proptest! {
    /// Decoding any query string answers a request or a 400; never panics.
    #[test]
    fn decoding_never_panics(raw in "[a-z_\\[\\]=&%0-9A-Z.+-]{0,80}") {
        let query = Vars::parse(raw.as_bytes());
        if let Err(error) = ListRequest::decode(&query) {
            prop_assert_eq!(error.status, 400);
        }
        if let Err(error) = GetRequest::decode(&query) {
            prop_assert_eq!(error.status, 400);
        }
    }

    /// A currency code is accepted exactly when it is a lower-case ISO 4217 code with
    /// minor units.
    #[test]
    fn currency_must_be_lowercase_iso(code in "[a-zA-Z]{3}") {
        let decoded = decode_list(&format!("currency={code}"));
        let expected = code.bytes().all(|b| b.is_ascii_lowercase()) && Currency::parse(&code).is_ok();
        prop_assert_eq!(decoded.is_ok(), expected);
    }

    /// Any valid day pair in order is accepted and becomes an inclusive range covering
    /// both whole days.
    #[test]
    fn day_ranges_cover_whole_days(
        (y1, m1, d1) in (1970i16..2198, 1i8..=12, 1i8..=28),
        span in 0i32..400,
    ) {
        let from = jiff::civil::date(y1, m1, d1);
        let to = from.checked_add(jiff::Span::new().days(span)).unwrap();
        let request = decode_list(&format!("currency=usd&created_from={from}&created_to={to}")).unwrap();
        let range = request.customer_query(&TimeZone::UTC, None).filter.ordered;
        let first = from.to_zoned(TimeZone::UTC).unwrap().timestamp();
        let last = to.at(23, 59, 59, 999_999_999).to_zoned(TimeZone::UTC).unwrap().timestamp();
        prop_assert!(range.contains(first) && range.contains(last));
        prop_assert!(!range.contains(first - jiff::SignedDuration::from_nanos(1)));
        prop_assert!(!range.contains(last + jiff::SignedDuration::from_nanos(1)));
    }

    /// Any UUID in hyphenated form is a valid product, in either letter case.
    #[test]
    fn product_uuids_parse(bytes in any::<[u8; 16]>(), upper in any::<bool>()) {
        let uuid = Uuid::from_bytes(bytes);
        let text = uuid.hyphenated().to_string();
        let text = if upper { text.to_uppercase() } else { text };
        prop_assert_eq!(decode_list(&format!("currency=usd&product={text}")).unwrap().product, Some(uuid));
    }
}

/// Each word of `query` is one index lookup: repeated words count once, and a query of
/// more distinct words than the limit is a 400 rather than that many lookups.
#[test]
fn query_words_are_distinct_and_bounded() {
    let request = decode_list("currency=usd&query=Jane+jane+DOE+doe").unwrap();
    let query = request.customer_query(&TimeZone::UTC, None);
    let words: Vec<&str> = query
        .filter
        .search
        .iter()
        .map(|s| s.term.as_str())
        .collect();
    assert_eq!(words, ["Jane", "DOE"]);
    let limit = customer_model::limits::SEARCH_WORDS;
    let fits: Vec<String> = (0..limit).map(|i| format!("w{i}")).collect();
    assert!(decode_list(&format!("currency=usd&query={}", fits.join("+"))).is_ok());
    let over: Vec<String> = (0..=limit).map(|i| format!("w{i}")).collect();
    let error = decode_list(&format!("currency=usd&query={}", over.join("+"))).unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!(
        error.body(),
        serde_json::json!({"message": "The query parameter may have at most 16 words"})
    );
}

mod serialized_answers {
    //! The list is serialized from typed items straight to text. For generated customers
    //! it must be the JSON the list built as a tree before (`previous`, kept here as the
    //! reference), each item's keys in the seed's order.

    use customer_model::{Currency, Customer, CustomerStats};
    use customer_wire::Body;
    use customer_wire::easycart::decode::ListRequest;
    use customer_wire::easycart::encode::{self, ITEM_FIELDS};
    use jiff::tz::TimeZone;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::Value;
    use serde_json::value::RawValue;

    use crate::generated::{as_read, customer, keys_of};

    /// The list's tree builder before it serialized typed items, as it was (only the
    /// module paths differ).
    mod previous {
        use customer_model::{Currency, Customer, CustomerStats};
        use customer_wire::easycart::decode::ListRequest;
        use customer_wire::easycart::encode::{format_instant, total_pages};
        use customer_wire::easycart::{completed_orders, lifetime_value};
        use jiff::tz::TimeZone;
        use serde::Serialize;
        use serde_json::Value;

        #[derive(Debug, Serialize)]
        struct Item<'a> {
            id: String,
            name: Option<String>,
            email: &'a str,
            avatar: Option<&'a str>,
            first_seen: Option<String>,
            last_order: Option<String>,
            orders_count: i64,
            subscriptions_count: i64,
            lifetime_value: Option<i64>,
            currency: String,
        }

        fn item<'a>(
            customer: &'a Customer,
            stats: &CustomerStats,
            currency: Currency,
            timezone: &TimeZone,
        ) -> Item<'a> {
            let scoped = stats.currency(currency);
            Item {
                id: customer.uuid.hyphenated().to_string(),
                name: customer.full_name(),
                email: customer.email.as_str(),
                avatar: customer.avatar_url.as_deref().filter(|url| !url.is_empty()),
                first_seen: scoped
                    .and_then(|s| s.first_order)
                    .map(|o| format_instant(o.at, timezone)),
                last_order: scoped
                    .and_then(|s| s.last_order)
                    .map(|o| format_instant(o.at, timezone)),
                orders_count: scoped.map_or(0, completed_orders),
                subscriptions_count: stats.live_subscriptions(),
                lifetime_value: scoped.map(lifetime_value),
                currency: currency.lower_code(),
            }
        }

        #[derive(Debug, Serialize)]
        struct Pagination {
            current_page: u64,
            total_pages: u64,
        }

        pub(super) fn encode_list<'a>(
            rows: impl IntoIterator<Item = (&'a Customer, &'a CustomerStats)>,
            total: u64,
            request: &ListRequest,
            timezone: &TimeZone,
        ) -> Value {
            let items: Vec<Item<'_>> = rows
                .into_iter()
                .map(|(customer, stats)| item(customer, stats, request.currency, timezone))
                .collect();
            serde_json::json!({
                "items": items,
                "pagination": Pagination {
                    current_page: request.page,
                    total_pages: total_pages(total),
                },
            })
        }
    }

    /// The text of each item, as written.
    fn item_texts(text: &str) -> Vec<String> {
        #[derive(Deserialize)]
        struct List<'a> {
            #[serde(borrow)]
            items: Vec<&'a RawValue>,
        }
        serde_json::from_str::<List<'_>>(text)
            .unwrap()
            .items
            .iter()
            .map(|item| item.get().to_owned())
            .collect()
    }

    proptest! {
        /// Lists of customers of any text, in any currency they may or may not have
        /// ordered in, any page and total, in three time zones: the reply sends text that
        /// is the previous tree's JSON, each item's keys in [`ITEM_FIELDS`] order.
        #[test]
        fn list_is_the_tree_it_was(
            customers in proptest::collection::vec(customer(), 0..4),
            code in prop::sample::select(vec!["usd", "eur", "jpy", "kwd", "pln"]),
            page in 1u64..1_000,
            total in 0u64..100_000,
            zone in prop::sample::select(vec!["UTC", "America/Sao_Paulo", "Asia/Kolkata"]),
        ) {
            let timezone = TimeZone::get(zone).unwrap();
            let request = ListRequest {
                currency: Currency::parse(code).unwrap(),
                page,
                created_from: None,
                created_to: None,
                product: None,
                subscription_status: None,
                query: None,
            };
            let rows = || customers.iter().map(|(record, stats): &(Customer, CustomerStats)| (record, stats));
            let reply = encode::list_reply(rows(), total, &request, &timezone);
            let Body::JsonText(text) = &reply.body else {
                return Err(TestCaseError::fail("not serialized text"));
            };
            let tree = previous::encode_list(rows(), total, &request, &timezone);
            prop_assert_eq!(serde_json::from_str::<Value>(text).unwrap(), as_read(&tree));
            prop_assert_eq!(keys_of(text), ["items", "pagination"]);
            for item in item_texts(text) {
                prop_assert_eq!(keys_of(&item), ITEM_FIELDS.map(str::to_owned));
            }
            prop_assert_eq!(reply.header("Content-Type"), Some("application/json"));
        }
    }
}
