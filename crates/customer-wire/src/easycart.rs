//! easycart API v1: `GET /api/v1/customers`, `GET /api/v1/customers/{id}` and
//! `GET /api/v1/store`.
//!
//! The seed document is the whole contract of the list; `docs/dialects/easycart-v1.md`
//! records every decision taken where it is silent. This module turns query strings into
//! model queries ([`ListRequest`], [`GetRequest`]) and customers with their aggregates into
//! the dialect's JSON ([`encode_list`], [`encode_detail`], [`encode_store`]); errors are
//! `{"message": …}` bodies ([`ApiError`]).
//!
//! The original runs on Laravel (its `Unauthenticated.` message and `page` paginator say
//! so), so where the seed is silent this module behaves as a Laravel API does: parameter
//! values are trimmed and an empty value counts as absent, the last of repeated
//! parameters wins, unknown parameters are ignored, and an empty list still has one page.

use customer_model::limits;
use customer_model::{
    Currency, CurrencyStats, Customer, CustomerFilter, CustomerQuery, CustomerStats, DownloadFile,
    DownloadGrant, Order, OrderStatus, PageRequest, ProductId, SearchField, SortDirection, SortKey,
    Subscription, SubscriptionStatus, TextSearch, TimeRange, Timestamp, Uuid,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;

use crate::php_query::{PhpQuery, PhpValue};

/// Customers per page of the list. The seed has no page-size parameter; 20 is the size
/// of the original's dashboard pages and keeps a page small.
pub const PAGE_SIZE: u64 = 20;

/// The largest `page` accepted: beyond it the row offset would not fit a signed 64-bit
/// integer, which is what databases count rows in.
pub const MAX_PAGE: u64 = (i64::MAX as u64) / PAGE_SIZE;

/// Order statuses whose totals are payments kept: processing and completed orders were
/// paid. A refunded order was paid and then refunded in full, so it adds nothing, whatever
/// refunds are recorded on it; pending, on-hold (awaiting a transfer), cancelled and
/// failed orders brought in no money, so there is nothing of theirs to refund either.
pub const PAYMENT_STATUSES: [OrderStatus; 2] = [OrderStatus::Processing, OrderStatus::Completed];

/// The message of a missing or malformed `currency`, as the seed words it.
pub const CURRENCY_REQUIRED: &str = "A valid currency query parameter is required";

/// Net lifetime value in minor units: totals of orders in [`PAYMENT_STATUSES`] minus the
/// refunds recorded on those orders.
pub fn lifetime_value(stats: &CurrencyStats) -> i64 {
    stats.total_in(&PAYMENT_STATUSES) - stats.refunded_in(&PAYMENT_STATUSES)
}

/// The seed's `orders_count`: completed orders in the currency.
pub fn completed_orders(stats: &CurrencyStats) -> i64 {
    stats.status(OrderStatus::Completed).orders
}

/// An error answer: an HTTP status and the `{"message": …}` body the original sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// 401 for a missing, malformed, unknown or revoked bearer token.
    pub fn unauthenticated() -> Self {
        Self {
            status: 401,
            message: "Unauthenticated.".to_owned(),
        }
    }

    /// 404 for a customer id that names no customer.
    pub fn customer_not_found() -> Self {
        Self {
            status: 404,
            message: "Customer not found.".to_owned(),
        }
    }

    /// 404 for a path no route serves, in Laravel's words (`route` without leading `/`).
    pub fn route_not_found(path: &str) -> Self {
        Self {
            status: 404,
            message: format!(
                "The route {} could not be found.",
                path.trim_start_matches('/')
            ),
        }
    }

    /// 405 for a method the route does not serve, in Laravel's words.
    pub fn method_not_allowed(method: &str, path: &str, allowed: &str) -> Self {
        Self {
            status: 405,
            message: format!(
                "The {method} method is not supported for route {}. Supported methods: {allowed}.",
                path.trim_start_matches('/')
            ),
        }
    }

    /// 500 when the store fails; the cause is logged, not shown.
    pub fn server_error() -> Self {
        Self {
            status: 500,
            message: "Server Error".to_owned(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::json!({ "message": self.message }).to_string()
    }
}

/// A decoded `GET /api/v1/customers` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The currency the money fields and membership are scoped to.
    pub currency: Currency,
    /// The 1-based page.
    pub page: u64,
    /// Ordered on or after this day (site time zone).
    pub created_from: Option<Date>,
    /// Ordered on or before this day (site time zone).
    pub created_to: Option<Date>,
    /// Bought the product with this UUID.
    pub product: Option<Uuid>,
    /// Holds a subscription in this status.
    pub subscription_status: Option<SubscriptionStatus>,
    /// The search term, trimmed and non-empty.
    pub query: Option<String>,
}

impl ListRequest {
    /// Reads the list parameters; every problem is reported in one 400 message.
    pub fn decode(query: &PhpQuery) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        let currency = problems.currency(query);
        let page = problems.page(query);
        let created_from = problems.date(query, "created_from");
        let created_to = problems.date(query, "created_to");
        if let (Some(from), Some(to)) = (created_from, created_to)
            && from > to
        {
            problems.push(format!(
                "The created_from date ({from}) must not be after the created_to date ({to})"
            ));
        }
        let product = problems.scalar(query, "product").and_then(|raw| {
            let parsed = parse_uuid(raw);
            if parsed.is_none() {
                problems.push(format!(
                    "The product parameter must be a product UUID ({} given)",
                    quoted(raw)
                ));
            }
            parsed
        });
        let subscription_status = problems
            .scalar(query, "subscription_status")
            .and_then(|raw| {
                let parsed = SubscriptionStatus::parse(raw);
                if parsed.is_none() {
                    let allowed: Vec<&str> =
                        SubscriptionStatus::ALL.iter().map(|s| s.as_str()).collect();
                    problems.push(format!(
                        "The subscription_status parameter must be one of {} ({} given)",
                        allowed.join(", "),
                        quoted(raw)
                    ));
                }
                parsed
            });
        let search = problems.scalar(query, "query").map(str::to_owned);
        if let Some(term) = &search
            && !customer_model::email::is_email(term)
            && distinct_words(term).len() > limits::SEARCH_WORDS
        {
            problems.push(format!(
                "The query parameter may have at most {} words",
                limits::SEARCH_WORDS
            ));
        }
        problems.finish()?;
        Ok(Self {
            currency: currency.expect("a currency when there is no problem"),
            page,
            created_from,
            created_to,
            product,
            subscription_status,
            query: search,
        })
    }

    /// The model query: members in the currency, newest last order first (id descending
    /// breaks ties), the filters ANDed. `product` is the id of the product the UUID names;
    /// the caller answers an unknown product without asking the store.
    pub fn customer_query(&self, timezone: &TimeZone, product: Option<ProductId>) -> CustomerQuery {
        let mut filter = CustomerFilter {
            currency: Some(self.currency),
            ordered: TimeRange {
                from: self.created_from.map(|day| start_of_day(day, timezone)),
                to: self.created_to.and_then(|day| end_of_day(day, timezone)),
            },
            product,
            subscription_status: self.subscription_status,
            ..CustomerFilter::default()
        };
        if let Some(term) = &self.query {
            if customer_model::email::is_email(term) {
                filter.any_email = Some(term.clone());
            } else {
                // First and last names are kept apart, so "Jane Doe" is looked for word by
                // word: every word must appear in the first or the last name.
                filter
                    .search
                    .extend(distinct_words(term).into_iter().map(|word| TextSearch {
                        term: word.to_owned(),
                        fields: vec![SearchField::Names],
                        match_id: false,
                    }));
            }
        }
        CustomerQuery {
            filter,
            sort: SortKey::LastOrder,
            direction: SortDirection::Descending,
            page: PageRequest::page(self.page, PAGE_SIZE),
        }
    }
}

/// The words of a search, each once (letter case ignored, as the search ignores it):
/// every word is one index lookup, so a repeated word would cost without narrowing.
fn distinct_words(term: &str) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    term.split_whitespace()
        .filter(|word| seen.insert(word.to_lowercase()))
        .collect()
}

/// What `include` asks the single-customer read to add.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Includes {
    /// The customer's orders in the currency, newest first.
    pub orders: bool,
    /// Every subscription of the customer (store-wide).
    pub subscriptions: bool,
    /// The customer's product access (download grants).
    pub access: bool,
    /// The lifetime-value breakdown in the currency.
    pub ltv: bool,
}

/// The values `include` accepts, in the order they are documented.
pub const INCLUDE_VALUES: [&str; 4] = ["orders", "subscriptions", "access", "ltv"];

/// A decoded `GET /api/v1/customers/{id}` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRequest {
    /// The currency the money fields are scoped to.
    pub currency: Currency,
    /// The extra sections.
    pub include: Includes,
}

impl GetRequest {
    /// Reads `currency` and the comma-separated `include`.
    pub fn decode(query: &PhpQuery) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        let currency = problems.currency(query);
        let mut include = Includes::default();
        if let Some(raw) = problems.scalar(query, "include") {
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part {
                    "orders" => include.orders = true,
                    "subscriptions" => include.subscriptions = true,
                    "access" => include.access = true,
                    "ltv" => include.ltv = true,
                    unknown => problems.push(format!(
                        "The include parameter accepts {} ({} given)",
                        INCLUDE_VALUES.join(", "),
                        quoted(unknown)
                    )),
                }
            }
        }
        problems.finish()?;
        Ok(Self {
            currency: currency.expect("a currency when there is no problem"),
            include,
        })
    }
}

/// Parses a customer or product id: the 36-character hyphenated UUID form, any letter case.
pub fn parse_uuid(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

/// Problems found while decoding, reported together.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, message: String) {
        self.0.push(message);
    }

    /// The trimmed value of `name`; `None` when absent or empty. An array value
    /// (`name[]=…`) is a problem.
    fn scalar<'q>(&mut self, query: &'q PhpQuery, name: &str) -> Option<&'q str> {
        match query.get(name)? {
            PhpValue::Str(value) => Some(value.trim()).filter(|v| !v.is_empty()),
            PhpValue::List(_) | PhpValue::Map(_) => {
                self.push(format!("The {name} parameter must be a single value"));
                None
            }
        }
    }

    fn currency(&mut self, query: &PhpQuery) -> Option<Currency> {
        // An array (`currency[]=pln`) is as malformed as a missing value: the seed's
        // message covers both.
        let raw = match query.get("currency") {
            Some(PhpValue::Str(value)) => Some(value.trim()).filter(|v| !v.is_empty()),
            _ => None,
        };
        let Some(raw) = raw else {
            self.push(CURRENCY_REQUIRED.to_owned());
            return None;
        };
        let lowercase = raw.bytes().all(|b| b.is_ascii_lowercase());
        match Currency::parse(raw) {
            Ok(currency) if lowercase => Some(currency),
            _ => {
                self.push(format!(
                    "{CURRENCY_REQUIRED} ({} is not a lowercase ISO 4217 currency code such as pln)",
                    quoted(raw)
                ));
                None
            }
        }
    }

    fn page(&mut self, query: &PhpQuery) -> u64 {
        let Some(raw) = self.scalar(query, "page") else {
            return 1;
        };
        let all_digits = raw.bytes().all(|b| b.is_ascii_digit());
        match raw.parse::<u64>() {
            Ok(page) if all_digits && (1..=MAX_PAGE).contains(&page) => page,
            // Digits only, but too many of them for a row offset.
            _ if all_digits && raw.bytes().any(|b| b != b'0') => {
                self.push(format!(
                    "The page parameter is too large ({} given)",
                    quoted(raw)
                ));
                1
            }
            _ => {
                self.push(format!(
                    "The page parameter must be a positive integer ({} given)",
                    quoted(raw)
                ));
                1
            }
        }
    }

    fn date(&mut self, query: &PhpQuery, name: &str) -> Option<Date> {
        let raw = self.scalar(query, name)?;
        let parsed = parse_day(raw);
        if parsed.is_none() {
            self.push(format!(
                "The {name} parameter must be a date in YYYY-MM-DD format from {FIRST_YEAR} to {LAST_YEAR} ({} given)",
                quoted(raw)
            ));
        }
        parsed
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(self.0.join("; ")))
        }
    }
}

/// The first year a date filter accepts: no order predates it.
pub const FIRST_YEAR: i16 = 1970;
/// The last year a date filter accepts: far enough ahead, and within what stores keep.
pub const LAST_YEAR: i16 = 2199;

/// `YYYY-MM-DD`, a real calendar day from [`FIRST_YEAR`] to [`LAST_YEAR`], nothing else
/// (no time, no short forms).
fn parse_day(raw: &str) -> Option<Date> {
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i16 = raw[0..4].parse().ok()?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return None;
    }
    let month: i8 = raw[5..7].parse().ok()?;
    let day: i8 = raw[8..10].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// A user's value in a message, quoted and cut short so that a message stays readable.
fn quoted(raw: &str) -> String {
    const SHOWN: usize = 64;
    match raw.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("\"{}…\"", &raw[..cut]),
        None => format!("\"{raw}\""),
    }
}

/// The first instant of `day` in `timezone` (01:00 where midnight falls in a DST gap).
pub fn start_of_day(day: Date, timezone: &TimeZone) -> Timestamp {
    day.to_zoned(timezone.clone())
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MIN)
}

/// The last instant of `day` in `timezone`: one nanosecond before the next day starts;
/// `None` for the last day jiff can represent (no upper bound is needed then).
pub fn end_of_day(day: Date, timezone: &TimeZone) -> Option<Timestamp> {
    let next = day.tomorrow().ok()?;
    start_of_day(next, timezone)
        .checked_sub(jiff::SignedDuration::from_nanos(1))
        .ok()
}

/// ISO 8601 with a numeric offset in the site time zone, whole seconds:
/// `2026-01-15T10:15:30+00:00`.
pub fn format_instant(at: Timestamp, timezone: &TimeZone) -> String {
    at.to_zoned(timezone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// One customer of the list, and the core of the single read.
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
        // Null when the customer never ordered in the currency (only the single read can
        // show such a customer): a value of 0 would claim a history that does not exist.
        lifetime_value: scoped.map(lifetime_value),
        currency: currency.lower_code(),
    }
}

/// `pagination` of the list.
#[derive(Debug, Serialize)]
struct Pagination {
    current_page: u64,
    total_pages: u64,
}

/// The number of pages of `total` matches: at least one, as Laravel's paginator reports.
pub fn total_pages(total: u64) -> u64 {
    total.div_ceil(PAGE_SIZE).max(1)
}

/// The list body: `{"items": […], "pagination": {"current_page", "total_pages"}}`.
pub fn encode_list<'a>(
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

/// An order with the product UUIDs of its lines, for `include=orders`.
#[derive(Debug, Clone, Copy)]
pub struct OrderView<'a> {
    /// The order.
    pub order: &'a Order,
    /// The UUID of each line's product, in line order (`None` for an unknown product).
    pub line_products: &'a [Option<Uuid>],
}

/// A subscription with its product's UUID, for `include=subscriptions`.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionView<'a> {
    /// The subscription.
    pub subscription: &'a Subscription,
    /// The UUID of the product subscribed to.
    pub product: Uuid,
}

/// A download grant with what names it, for `include=access`.
#[derive(Debug, Clone, Copy)]
pub struct AccessView<'a> {
    /// The grant.
    pub grant: &'a DownloadGrant,
    /// The product's UUID.
    pub product: Uuid,
    /// The product's name.
    pub product_name: &'a str,
    /// The file.
    pub file: &'a DownloadFile,
    /// The UUID of the order that granted access.
    pub order: Uuid,
}

/// The sections of a single read that `include` asked for; `None` leaves one out.
#[derive(Debug, Clone, Default)]
pub struct Included<'a> {
    /// `include=orders`: the customer's orders in the currency, newest first.
    pub orders: Option<Vec<OrderView<'a>>>,
    /// `include=subscriptions`.
    pub subscriptions: Option<Vec<SubscriptionView<'a>>>,
    /// `include=access`.
    pub access: Option<Vec<AccessView<'a>>>,
    /// `include=ltv`.
    pub ltv: bool,
}

/// The single-customer body: the list item's fields plus the included sections.
pub fn encode_detail(
    customer: &Customer,
    stats: &CustomerStats,
    currency: Currency,
    included: &Included<'_>,
    timezone: &TimeZone,
) -> Value {
    let mut body = serde_json::to_value(item(customer, stats, currency, timezone))
        .expect("an item serializes");
    let object = body.as_object_mut().expect("an item is an object");
    let instant = |at: Option<Timestamp>| at.map(|at| format_instant(at, timezone));
    if let Some(orders) = &included.orders {
        let orders: Vec<Value> = orders
            .iter()
            .map(|view| {
                let order = view.order;
                let lines: Vec<Value> = order
                    .line_items
                    .iter()
                    .zip(view.line_products)
                    .map(|(line, product)| {
                        serde_json::json!({
                            "product": product.map(|p| p.hyphenated().to_string()),
                            "name": line.name,
                            "quantity": line.quantity,
                            "total": line.total,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "id": order.uuid.hyphenated().to_string(),
                    "status": order.status.as_str(),
                    "total": order.total,
                    "refunded": order.refunded_total(),
                    "currency": order.currency.lower_code(),
                    "created_at": format_instant(order.created_at, timezone),
                    "paid_at": instant(order.paid_at),
                    "completed_at": instant(order.completed_at),
                    "items": lines,
                })
            })
            .collect();
        object.insert("orders".into(), Value::Array(orders));
    }
    if let Some(subscriptions) = &included.subscriptions {
        let subscriptions: Vec<Value> = subscriptions
            .iter()
            .map(|view| {
                let subscription = view.subscription;
                serde_json::json!({
                    "id": subscription.uuid.hyphenated().to_string(),
                    "product": view.product.hyphenated().to_string(),
                    "status": subscription.status.as_str(),
                    "currency": subscription.currency.lower_code(),
                    "created_at": format_instant(subscription.created_at, timezone),
                })
            })
            .collect();
        object.insert("subscriptions".into(), Value::Array(subscriptions));
    }
    if let Some(access) = &included.access {
        let access: Vec<Value> = access
            .iter()
            .map(|view| {
                serde_json::json!({
                    "product": view.product.hyphenated().to_string(),
                    "product_name": view.product_name,
                    "file": { "id": view.file.id, "name": view.file.name },
                    "order": view.order.hyphenated().to_string(),
                    "downloads_remaining": view.grant.downloads_remaining,
                    "access_expires": instant(view.grant.access_expires),
                    "download_count": view.grant.download_count,
                })
            })
            .collect();
        object.insert("access".into(), Value::Array(access));
    }
    if included.ltv {
        object.insert("ltv".into(), encode_ltv(stats.currency(currency), currency));
    }
    body
}

/// The lifetime-value breakdown: payments, refunds, their difference, and the figures
/// per order status they come from.
fn encode_ltv(scoped: Option<&CurrencyStats>, currency: Currency) -> Value {
    let empty = CurrencyStats::empty(currency);
    let stats = scoped.unwrap_or(&empty);
    let by_status: serde_json::Map<String, Value> = OrderStatus::ALL
        .iter()
        .map(|status| {
            let totals = stats.status(*status);
            (
                status.as_str().to_owned(),
                serde_json::json!({
                    "orders": totals.orders,
                    "total": totals.total,
                    "refunded": totals.refunded,
                }),
            )
        })
        .collect();
    serde_json::json!({
        "currency": currency.lower_code(),
        "payment_statuses": PAYMENT_STATUSES.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "payments": stats.total_in(&PAYMENT_STATUSES),
        "refunds": stats.refunded_in(&PAYMENT_STATUSES),
        "lifetime_value": lifetime_value(stats),
        "by_status": by_status,
    })
}

/// `GET /api/v1/store`: the currencies orders were placed in, which are the values of
/// `currency` that can match anyone.
pub fn encode_store(currencies: &[Currency], default_currency: Currency) -> Value {
    serde_json::json!({
        "currencies": currencies.iter().map(|c| c.lower_code()).collect::<Vec<_>>(),
        "default_currency": default_currency.lower_code(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(raw: &str) -> Result<ListRequest, ApiError> {
        ListRequest::decode(&PhpQuery::parse(raw))
    }

    #[test]
    fn days_are_strict() {
        assert_eq!(
            parse_day("2026-02-28"),
            Some(jiff::civil::date(2026, 2, 28))
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026-02-28T00:00",
            "2026/02/28",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_bounds_follow_the_time_zone() {
        let warsaw = TimeZone::get("Europe/Warsaw").unwrap();
        let day = jiff::civil::date(2026, 1, 15);
        assert_eq!(
            start_of_day(day, &warsaw).to_string(),
            "2026-01-14T23:00:00Z"
        );
        assert_eq!(
            end_of_day(day, &warsaw).unwrap().to_string(),
            "2026-01-15T22:59:59.999999999Z"
        );
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(100);
        let error = list(&format!("currency=pln&product={long}")).unwrap_err();
        assert!(error.message.contains(&format!("\"{}…\"", "x".repeat(64))));
    }

    #[test]
    fn the_last_repeated_value_wins() {
        let request = list("currency=usd&currency=pln&page=3&page=2").unwrap();
        assert_eq!(request.currency.code(), "PLN");
        assert_eq!(request.page, 2);
    }
}
