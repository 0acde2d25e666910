//! Customers with their aggregates in easycart's JSON: the list item, the single read
//! with what `include` adds, the lifetime-value breakdown, and the store's currencies.
//!
//! The list is serialized from typed items borrowing the records straight to JSON text,
//! once, keys in the seed's order ([`ITEM_FIELDS`]). The single read stays a
//! [`Value`]: `include` adds sections to the item, and it holds one customer.

use std::collections::HashMap;

use customer_model::{
    Currency, CurrencyStats, Customer, CustomerStats, DownloadFile, DownloadGrant, Order, OrderRef,
    OrderStatus, PageRequest, ProductId, Subscription, Timestamp, Uuid,
};
use jiff::tz::TimeZone;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::decode::{GetRequest, ListRequest};
use super::{CONTENT_TYPE, PAGE_SIZE, PAYMENT_STATUSES, completed_orders, lifetime_value};
use crate::reply::{Body, Reply};

/// A body as a `200` answer.
pub fn ok(body: Value) -> Reply {
    Reply::new(200, CONTENT_TYPE, Body::Json(body))
}

/// The instant format: ISO 8601 with a numeric offset, whole seconds.
const INSTANT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// ISO 8601 with a numeric offset in the site time zone, whole seconds:
/// `2026-01-15T10:15:30+00:00`.
pub fn format_instant(at: Timestamp, timezone: &TimeZone) -> String {
    at.to_zoned(timezone.clone())
        .strftime(INSTANT_FORMAT)
        .to_string()
}

/// An instant as [`format_instant`] writes it, written straight into the serializer's
/// output (no `String` per instant).
#[derive(Debug, Clone, Copy)]
struct Instant<'a> {
    at: Timestamp,
    timezone: &'a TimeZone,
}

impl Serialize for Instant<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Digit by digit where that writes the same text (a list prints three instants
        // per customer); the pattern for years outside four digits and offsets with
        // seconds.
        let offset = self.timezone.to_offset(self.at);
        let local = offset.to_datetime(self.at);
        if let (Some(date), Some(zone)) = (
            crate::datetime_text::iso_seconds(local),
            crate::datetime_text::offset_minutes(offset),
        ) {
            let mut text = [0; 25];
            text[..19].copy_from_slice(&date);
            text[19..].copy_from_slice(&zone);
            return serializer.serialize_str(crate::datetime_text::ascii(&text));
        }
        let zoned = self.at.to_zoned(self.timezone.clone());
        serializer.collect_str(&zoned.strftime(INSTANT_FORMAT))
    }
}

/// A UUID as easycart writes it: lower case, hyphenated.
#[derive(Debug, Clone, Copy)]
struct Hyphenated(Uuid);

impl Serialize for Hyphenated {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.hyphenated())
    }
}

/// One customer of the list, and the core of the single read, keys in the seed's order
/// ([`ITEM_FIELDS`]).
#[derive(Debug, Serialize)]
struct Item<'a> {
    id: Hyphenated,
    name: Option<String>,
    email: &'a str,
    avatar: Option<&'a str>,
    first_seen: Option<Instant<'a>>,
    last_order: Option<Instant<'a>>,
    orders_count: i64,
    subscriptions_count: i64,
    lifetime_value: Option<i64>,
    /// The requested code, written once for a whole list.
    currency: &'a str,
}

/// The fields of a list item (the single read adds what `include` asks for), in order.
pub const ITEM_FIELDS: [&str; 10] = [
    "id",
    "name",
    "email",
    "avatar",
    "first_seen",
    "last_order",
    "orders_count",
    "subscriptions_count",
    "lifetime_value",
    "currency",
];

/// `code` is `currency`'s lower-case code.
fn item<'a>(
    customer: &'a Customer,
    stats: &CustomerStats,
    (currency, code): (Currency, &'a str),
    timezone: &'a TimeZone,
) -> Item<'a> {
    let scoped = stats.currency(currency);
    let instant = |order: Option<OrderRef>| order.map(|o| Instant { at: o.at, timezone });
    Item {
        id: Hyphenated(customer.uuid),
        name: customer.full_name(),
        email: customer.email.as_str(),
        avatar: customer.avatar_url.as_deref().filter(|url| !url.is_empty()),
        first_seen: instant(scoped.and_then(|s| s.first_order)),
        last_order: instant(scoped.and_then(|s| s.last_order)),
        orders_count: scoped.map_or(0, completed_orders),
        subscriptions_count: stats.live_subscriptions(),
        // Null when the customer never ordered in the currency (only the single read can
        // show such a customer): a value of 0 would claim a history that does not exist.
        lifetime_value: scoped.map(lifetime_value),
        currency: code,
    }
}

/// `pagination` of the list.
#[derive(Debug, Serialize)]
struct Pagination {
    current_page: u64,
    total_pages: u64,
}

/// The list body.
#[derive(Debug, Serialize)]
struct List<'a> {
    items: Vec<Item<'a>>,
    pagination: Pagination,
}

/// The number of pages of `total` matches: at least one, as Laravel's paginator reports.
pub fn total_pages(total: u64) -> u64 {
    PageRequest::page_count(total, PAGE_SIZE).max(1)
}

/// The list body as JSON text, serialized once from the typed items:
/// `{"items": […], "pagination": {"current_page", "total_pages"}}`.
pub fn encode_list<'a>(
    rows: impl IntoIterator<Item = (&'a Customer, &'a CustomerStats)>,
    total: u64,
    request: &ListRequest,
    timezone: &TimeZone,
) -> String {
    let code = request.currency.lower_code();
    let list = List {
        items: rows
            .into_iter()
            .map(|(customer, stats)| item(customer, stats, (request.currency, &code), timezone))
            .collect(),
        pagination: Pagination {
            current_page: request.page,
            total_pages: total_pages(total),
        },
    };
    serde_json::to_string(&list).expect("list items serialize")
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
    let code = currency.lower_code();
    let mut body = serde_json::to_value(item(customer, stats, (currency, &code), timezone))
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

/// A download grant with what names it, owned (loaded for `include=access`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The grant.
    pub grant: DownloadGrant,
    /// The product's name.
    pub product_name: String,
    /// The file.
    pub file: DownloadFile,
    /// The UUID of the order that granted access.
    pub order: Uuid,
}

/// What a single read's `include` loaded from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// The customer's orders in the currency, newest first.
    pub orders: Option<Vec<Order>>,
    /// Every subscription of the customer.
    pub subscriptions: Option<Vec<Subscription>>,
    /// The customer's product access.
    pub access: Option<Vec<Access>>,
    /// The UUID of each product named above that still exists.
    pub product_uuids: HashMap<ProductId, Uuid>,
}

impl Details {
    /// Keeps the orders placed in `currency` (the customer's whole history goes in).
    pub fn keep_orders(&mut self, orders: Vec<Order>, currency: Currency) {
        self.orders = Some(
            orders
                .into_iter()
                .filter(|order| order.currency == currency)
                .collect(),
        );
    }

    /// The products whose UUIDs the sections show, each once.
    pub fn product_ids(&self) -> Vec<ProductId> {
        let lines = self
            .orders
            .iter()
            .flatten()
            .flat_map(|order| order.line_items.iter().filter_map(|line| line.product_id));
        let subscribed = self
            .subscriptions
            .iter()
            .flatten()
            .map(|subscription| subscription.product_id);
        let granted = self
            .access
            .iter()
            .flatten()
            .map(|access| access.grant.product_id);
        let mut ids: Vec<ProductId> = Vec::new();
        for id in lines.chain(subscribed).chain(granted) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// The single-customer body for `request`.
    pub fn encode(
        &self,
        customer: &Customer,
        stats: &CustomerStats,
        request: &GetRequest,
        timezone: &TimeZone,
    ) -> Value {
        let uuid_of = |id: ProductId| self.product_uuids.get(&id).copied();
        let line_products: Vec<Vec<Option<Uuid>>> = self
            .orders
            .iter()
            .flatten()
            .map(|order| {
                order
                    .line_items
                    .iter()
                    .map(|line| line.product_id.and_then(uuid_of))
                    .collect()
            })
            .collect();
        let included = Included {
            orders: self.orders.as_ref().map(|orders| {
                orders
                    .iter()
                    .zip(&line_products)
                    .map(|(order, lines)| OrderView {
                        order,
                        line_products: lines,
                    })
                    .collect()
            }),
            subscriptions: self.subscriptions.as_ref().map(|subscriptions| {
                subscriptions
                    .iter()
                    .map(|subscription| SubscriptionView {
                        subscription,
                        product: uuid_of(subscription.product_id).unwrap_or(Uuid::nil()),
                    })
                    .collect()
            }),
            access: self.access.as_ref().map(|access| {
                access
                    .iter()
                    .map(|access| AccessView {
                        grant: &access.grant,
                        product: uuid_of(access.grant.product_id).unwrap_or(Uuid::nil()),
                        product_name: &access.product_name,
                        file: &access.file,
                        order: access.order,
                    })
                    .collect()
            }),
            ltv: request.include.ltv,
        };
        encode_detail(customer, stats, request.currency, &included, timezone)
    }
}

/// The list answer of a list request with `total` matches, its text sent as written.
pub fn list_reply<'a>(
    rows: impl IntoIterator<Item = (&'a Customer, &'a CustomerStats)>,
    total: u64,
    request: &ListRequest,
    timezone: &TimeZone,
) -> Reply {
    let text = encode_list(rows, total, request, timezone);
    Reply::new(200, CONTENT_TYPE, Body::JsonText(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// An instant in a list reads as the pattern writes it, across jiff's whole
        /// range, in UTC, in a zone with daylight saving time and offsets with seconds
        /// (New York before 1883), and in one with half hours (Kolkata).
        #[test]
        fn instants_are_written_as_the_pattern_writes_them(
            seconds in Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
            // 1700 to 2100, where offsets with seconds and every usual date fall.
            recent in -8_520_336_000i64..=4_102_444_800,
        ) {
            for zone in ["UTC", "America/New_York", "Asia/Kolkata"] {
                for at in [seconds, recent] {
                    let at = Timestamp::from_second(at).unwrap();
                    let timezone = TimeZone::get(zone).unwrap();
                    let written =
                        serde_json::to_string(&Instant { at, timezone: &timezone }).unwrap();
                    proptest::prop_assert_eq!(
                        written,
                        format!("\"{}\"", format_instant(at, &timezone))
                    );
                }
            }
        }
    }
}
