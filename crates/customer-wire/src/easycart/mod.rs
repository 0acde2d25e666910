//! easycart API v1: `GET /api/v1/customers`, `GET /api/v1/customers/{id}` and
//! `GET /api/v1/store`.
//!
//! The seed document is the whole contract of the list; `docs/dialects/easycart-v1.md`
//! records every decision taken where it is silent. The original runs on Laravel (its
//! `Unauthenticated.` message and `page` paginator say so), so where the seed is silent
//! this module behaves as a Laravel API does: parameter values are trimmed and an empty
//! value counts as absent, the last of repeated parameters wins, unknown parameters are
//! ignored, and an empty list still has one page.
//!
//! - [`decode`]: routes, the bearer token, and query strings into model queries
//!   ([`decode::ListRequest`], [`decode::GetRequest`]).
//! - [`encode`]: customers with their aggregates into the dialect's JSON, and the
//!   pagination of the list.
//! - [`errors`]: `{"message": …}` bodies ([`errors::ApiError`]) and the catalogue.

pub mod decode;
pub mod encode;
pub mod errors;

use customer_model::{CurrencyStats, OrderStatus};

/// The `Content-Type` of every answer.
pub const CONTENT_TYPE: &str = "application/json";

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
pub const PAYMENT_STATUSES: [OrderStatus; 2] = OrderStatus::PAID;

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
