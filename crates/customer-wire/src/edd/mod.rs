//! Easy Digital Downloads API (`/edd-api/…`), endpoint `customers`, versions 1 and 2.
//!
//! - [`decode`]: the `edd-api` value (version, endpoint), WordPress query variables (form
//!   body before query string), the `customers` parameters and the store query.
//! - [`encode`]: the customer objects of each version, the totals EDD reports, the
//!   not-found answer, and the PHP value tree with its two writers (`JSON_PRETTY_PRINT`
//!   JSON and EDD's `ArrayToXML`).
//! - [`errors`]: `{"error": "…"}` failures with their statuses, and the catalogue.
//!
//! v1 answers in the shape of EDD's public documentation (guests as id `-1` named
//! `Guest`); v2 in the shape of current EDD (`customer_id`, `user_id` 0 for guests,
//! `additional_emails`, `date_created`).

pub mod decode;
pub mod encode;
pub mod errors;

/// The API version answering a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `v1`: the documented shape.
    V1,
    /// `v2`: current EDD's shape, with date filters.
    V2,
}

impl Version {
    /// The version for a configured default number (`1` → v1, anything else → v2, the
    /// default of current EDD installations).
    pub fn from_number(number: u8) -> Self {
        if number == 1 { Self::V1 } else { Self::V2 }
    }
}

/// The output format, from `format=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Pretty-printed JSON.
    #[default]
    Json,
    /// EDD's XML.
    Xml,
}
