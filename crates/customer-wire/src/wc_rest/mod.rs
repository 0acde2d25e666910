//! WooCommerce REST API customers, `wc/v2` and `wc/v3` (`/wp-json/wc/vN/customers…`).
//!
//! One codec serves both versions; [`Version`] picks the differences (v2 has
//! `orders_count` and `total_spent` and no `*_gmt` dates; v3 the reverse, and v3 can write
//! `shipping.phone`).
//!
//! - [`route`]: which endpoint a REST route names, and which methods it accepts.
//! - [`values`]: WordPress's loose scalar rules (`rest_is_integer`, `rest_is_boolean`, …).
//! - [`params`]: the list parameters, their validation and the pagination headers.
//! - [`body`]: create, update and batch bodies into model inputs.
//! - [`encode`]: model records into the response objects of [`dto`].
//! - [`errors`]: WordPress's error body and every error of the catalogue.
//! - [`global`]: `_fields`, `_envelope` and the `OPTIONS` description.

pub mod body;
pub mod dto;
pub mod encode;
pub mod errors;
pub mod global;
pub mod params;
pub mod route;
pub mod values;

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
