//! WooCommerce REST API customers, `wc/v2` and `wc/v3` (`/wp-json/wc/vN/customers…`).
//!
//! One codec serves both versions; [`Version`] picks the differences (v2 has
//! `orders_count` and `total_spent` and no `*_gmt` dates; v3 the reverse, and v3 can write
//! `shipping.phone`).
//!
//! - [`decode`]: the request ([`decode::RestRequest`]), the list parameters, create,
//!   update and batch bodies into model inputs, and WooCommerce's checks against the
//!   stored customer.
//! - [`encode`]: model records into the response objects, and the framing of every
//!   answer (`_fields`, `_envelope`, `HEAD`, WordPress's headers).
//! - [`errors`]: WordPress's error body and the catalogue of every error.
//! - [`pagination`]: `X-WP-Total`, `X-WP-TotalPages` and `Link`.
//! - [`contract`]: the routes, arguments and schemas as data, and the OpenAPI document.
//! - [`discovery`]: WordPress's site and namespace indexes and `OPTIONS` descriptions.

pub mod contract;
pub mod decode;
pub mod discovery;
pub mod encode;
pub mod errors;
pub mod pagination;
pub mod webhooks;

/// The REST API version, which decides the namespace and the customer object's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `wc/v2`: with `orders_count` and `total_spent`.
    V2,
    /// `wc/v3`: with `date_created_gmt`/`date_modified_gmt` and `shipping.phone`.
    V3,
}

impl Version {
    /// The route namespace: `wc/v2` or `wc/v3`.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V2 => "wc/v2",
            Self::V3 => "wc/v3",
        }
    }

    /// Whether `shipping.phone` is part of the schema (readable and writable).
    pub fn has_shipping_phone(self) -> bool {
        self == Self::V3
    }
}
