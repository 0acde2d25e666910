//! The WooCommerce legacy REST API v3 (`/wc-api/v3/customers…`).
//!
//! Shapes follow the v3 documentation of the customers resource; where it is silent the
//! behaviour of the legacy API as shipped with WooCommerce 3.x–8.x (and the Legacy REST
//! API plugin) decides.
//!
//! - [`decode`]: the request ([`decode::LegacyRequest`]): method override, `_jsonp`,
//!   `fields`; route and method into an [`decode::Operation`]; `filter[…]` parameters
//!   into a [`customer_model::CustomerQuery`]; create, edit and bulk bodies.
//! - [`encode`]: customers, orders and downloads as the API shows them, and the framing
//!   of every answer (JSON or JSONP, `HEAD`).
//! - [`errors`]: `{"errors": [{"code", "message"}]}` and the catalogue.
//! - [`pagination`]: `X-WC-Total`, `X-WC-TotalPages` and the `Link` lines.

pub mod decode;
pub mod encode;
pub mod errors;
pub mod pagination;

/// The most items one bulk request may carry (`woocommerce_api_bulk_limit`).
pub const BULK_LIMIT: usize = 100;
/// The page size when `filter[limit]` is not given (WordPress's `posts_per_page`).
pub const DEFAULT_PAGE_SIZE: u64 = 10;
/// Decimals of every amount (`filter[dp]` is not supported; its default is 2).
const DECIMALS: u32 = 2;
