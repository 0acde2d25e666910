//! The response objects, as WooCommerce emits them. Field order follows the seed
//! documents; fields a version lacks are skipped.

use serde::Serialize;
use serde_json::Value;

use crate::wc_rest::Version;

const BOTH: &[Version] = &[Version::V2, Version::V3];

/// Every field of the customer object in order, with the versions that have it.
pub const CUSTOMER_FIELDS: [(&str, &[Version]); 18] = [
    ("id", BOTH),
    ("date_created", BOTH),
    ("date_created_gmt", &[Version::V3]),
    ("date_modified", BOTH),
    ("date_modified_gmt", &[Version::V3]),
    ("email", BOTH),
    ("first_name", BOTH),
    ("last_name", BOTH),
    ("role", BOTH),
    ("username", BOTH),
    ("billing", BOTH),
    ("shipping", BOTH),
    ("is_paying_customer", BOTH),
    ("orders_count", &[Version::V2]),
    ("total_spent", &[Version::V2]),
    ("avatar_url", BOTH),
    ("meta_data", BOTH),
    ("_links", BOTH),
];

/// `{"href": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Href {
    /// The URL.
    pub href: String,
}

/// A customer's `_links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerLinks {
    /// `self`: the customer's URL.
    #[serde(rename = "self")]
    pub self_: Vec<Href>,
    /// `collection`: the customers URL.
    pub collection: Vec<Href>,
}

/// A billing address (every field a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillingDto {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: String,
    /// Line 1.
    pub address_1: String,
    /// Line 2.
    pub address_2: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// Postcode.
    pub postcode: String,
    /// Country.
    pub country: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
}

/// A shipping address; `phone` only in v3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingDto {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: String,
    /// Line 1.
    pub address_1: String,
    /// Line 2.
    pub address_2: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// Postcode.
    pub postcode: String,
    /// Country.
    pub country: String,
    /// Phone (v3 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One `meta_data` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetaDto {
    /// The entry id.
    pub id: i64,
    /// The key.
    pub key: String,
    /// The value.
    pub value: Value,
}

/// A customer object of wc/v2 or wc/v3.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerDto {
    /// Id.
    pub id: i64,
    /// Creation, site time.
    pub date_created: String,
    /// Creation, UTC (v3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_created_gmt: Option<String>,
    /// Last change, site time (`null` when never changed).
    pub date_modified: Option<String>,
    /// Last change, UTC (v3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_modified_gmt: Option<Option<String>>,
    /// Primary e-mail.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Role slug.
    pub role: String,
    /// Login.
    pub username: String,
    /// Billing address.
    pub billing: BillingDto,
    /// Shipping address.
    pub shipping: ShippingDto,
    /// Paid at least once.
    pub is_paying_customer: bool,
    /// Orders in any status (v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders_count: Option<i64>,
    /// Paid total in the store currency, 2 decimals (v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_spent: Option<String>,
    /// Gravatar (or override) URL.
    pub avatar_url: String,
    /// Public meta data.
    pub meta_data: Vec<MetaDto>,
    /// Links.
    #[serde(rename = "_links")]
    pub links: CustomerLinks,
}

/// The file of a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadFileDto {
    /// File name.
    pub name: String,
    /// File URL.
    pub file: String,
}

/// A download's `_links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadLinks {
    /// The customer's downloads.
    pub collection: Vec<Href>,
    /// The product.
    pub product: Vec<Href>,
    /// The order.
    pub order: Vec<Href>,
}

/// One entry of `GET /customers/{id}/downloads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadDto {
    /// Download id (the file's id).
    pub download_id: String,
    /// Download URL on the site.
    pub download_url: String,
    /// Product id.
    pub product_id: i64,
    /// Product name.
    pub product_name: String,
    /// `<product> &ndash; <file>`.
    pub download_name: String,
    /// Order id.
    pub order_id: i64,
    /// Order key.
    pub order_key: String,
    /// Remaining downloads, or `unlimited`.
    pub downloads_remaining: String,
    /// Expiry in site time, or `never`.
    pub access_expires: String,
    /// Expiry in UTC, or `never`.
    pub access_expires_gmt: String,
    /// The file.
    pub file: DownloadFileDto,
    /// Links.
    #[serde(rename = "_links")]
    pub links: DownloadLinks,
}

/// An error entry of a batch response: `{"id", "error": {code, message, data}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchErrorDto {
    /// The item's id (`0` for creates, the raw `id` for updates).
    pub id: Value,
    /// The error body.
    pub error: Value,
}

/// One result of a batch operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BatchItemDto {
    /// The customer written (or deleted).
    Customer(Box<CustomerDto>),
    /// Why the item failed.
    Error(BatchErrorDto),
}

/// A batch response: only the operations that had input, in WooCommerce's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchDto {
    /// Create results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<BatchItemDto>,
    /// Update results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<BatchItemDto>,
    /// Delete results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<BatchItemDto>,
}

impl BatchDto {
    /// Whether no operation had input.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.delete.is_empty()
    }

    /// The body: `[]` when no operation had input (PHP encodes an empty array so).
    pub fn to_json(&self) -> Value {
        if self.is_empty() {
            Value::Array(Vec::new())
        } else {
            serde_json::to_value(self).expect("batch results serialize")
        }
    }
}
