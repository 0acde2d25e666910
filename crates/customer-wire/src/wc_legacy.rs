//! The WooCommerce legacy REST API v3 (`/wc-api/v3/customers…`): request decoding,
//! response bodies, pagination headers and the error body.
//!
//! Shapes follow the v3 documentation of the customers resource; where it is silent the
//! behaviour of the legacy API as shipped with WooCommerce 3.x–8.x (and the Legacy REST
//! API plugin) decides:
//! - customers are `{"customer": {…}}` / `{"customers": […]}`, dates `YYYY-MM-DDTHH:MM:SSZ`,
//!   `total_spent` a 2-decimal string over processing and completed orders, refunds not
//!   subtracted; `last_order_id` an integer;
//! - errors are `{"errors": [{"code", "message"}]}`;
//! - `filter[…]` parameters, `page` and `fields` are read with PHP's `$_GET` semantics and
//!   url-decoded once more, as the original server does with every handler argument.

use customer_model::{
    Address, AddressPatch, Customer, CustomerDraft, CustomerFilter, CustomerPatch, CustomerQuery,
    CustomerStats, DownloadFile, DownloadGrant, Email, FieldError, FieldErrorKind, NewCustomer,
    Order, OrderStatus, PageRequest, Role, SearchField, SortDirection, SortKey, TextSearch,
    Timestamp, Uuid,
};
use serde_json::{Map, Value, json};

use crate::php_query::{PhpQuery, PhpValue};
use crate::woo_common;

/// The most items one bulk request may carry (`woocommerce_api_bulk_limit`).
pub const BULK_LIMIT: usize = 100;
/// The page size when `filter[limit]` is not given (WordPress's `posts_per_page`).
pub const DEFAULT_PAGE_SIZE: u64 = 10;
/// Decimals of every amount (`filter[dp]` is not supported; its default is 2).
const DECIMALS: u32 = 2;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// One error of the legacy API with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyError {
    /// HTTP status.
    pub status: u16,
    /// The error code, e.g. `woocommerce_api_invalid_customer_id`.
    pub code: String,
    /// The message, as the original words it.
    pub message: String,
}

/// Whether a missing-data error is about creating or editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST /customers`.
    Create,
    /// `PUT|PATCH|POST /customers/<id>`.
    Edit,
}

impl LegacyError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 404: no route matches the path and method.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "woocommerce_api_no_route",
            "No route was found matching the URL and request method",
        )
    }

    /// 400: a method outside HEAD, GET, POST, PUT, PATCH, DELETE.
    pub fn unsupported_method() -> Self {
        Self::new(
            400,
            "woocommerce_api_unsupported_method",
            "Unsupported request method",
        )
    }

    /// 404: the id is zero or not a number.
    pub fn invalid_customer_id() -> Self {
        Self::new(
            404,
            "woocommerce_api_invalid_customer_id",
            "Invalid customer ID",
        )
    }

    /// 404: no registered customer has the id.
    pub fn invalid_customer() -> Self {
        Self::new(404, "woocommerce_api_invalid_customer", "Invalid customer")
    }

    /// 404: the e-mail route's address is invalid or unknown.
    pub fn invalid_customer_email() -> Self {
        Self::new(
            404,
            "woocommerce_api_invalid_customer_email",
            "Invalid customer email",
        )
    }

    /// 400: the body has no `customer` object.
    pub fn missing_customer_data(action: Action) -> Self {
        let verb = match action {
            Action::Create => "create",
            Action::Edit => "edit",
        };
        Self::new(
            400,
            "woocommerce_api_missing_customer_data",
            format!("No customer data specified to {verb} customer"),
        )
    }

    /// 400: a create without `email`.
    pub fn missing_customer_email() -> Self {
        Self::new(
            400,
            "woocommerce_api_missing_customer_email",
            "Missing parameter email",
        )
    }

    /// 400: a bulk request without `customers`.
    pub fn missing_customers_data() -> Self {
        Self::new(
            400,
            "woocommerce_api_missing_customers_data",
            "No customers data specified to create/edit customers",
        )
    }

    /// 413: a bulk request with more than [`BULK_LIMIT`] items.
    pub fn bulk_too_large() -> Self {
        Self::new(
            413,
            "woocommerce_api_customers_request_entity_too_large",
            format!("Unable to accept more than {BULK_LIMIT} items for this request."),
        )
    }

    /// 400: a non-empty `email` that is not an address (`WC_Customer::set_email`).
    pub fn invalid_email() -> Self {
        Self::new(400, "customer_invalid_email", "Invalid email address")
    }

    /// 400: an empty `email` on create (`wc_create_new_customer`).
    pub fn registration_invalid_email() -> Self {
        Self::new(
            400,
            "registration-error-invalid-email",
            "Please provide a valid email address.",
        )
    }

    /// 400: the address belongs to a registered customer already.
    pub fn email_exists() -> Self {
        Self::new(
            400,
            "registration-error-email-exists",
            "An account is already registered with your email address. Please log in.",
        )
    }

    /// 400: the username is not a valid login name.
    pub fn invalid_username() -> Self {
        Self::new(
            400,
            "registration-error-invalid-username",
            "Please enter a valid account username.",
        )
    }

    /// 400: the username is taken.
    pub fn username_exists() -> Self {
        Self::new(
            400,
            "registration-error-username-exists",
            "An account is already registered with that username. Please choose another.",
        )
    }

    /// 400: `billing_address.email` is not an address.
    pub fn invalid_billing_email() -> Self {
        Self::new(
            400,
            "customer_invalid_billing_email",
            "Invalid billing email address",
        )
    }

    /// 400: a value the original would store but clientele cannot keep (an over-long
    /// name, a list where text belongs). The code is clientele's own.
    pub fn invalid_data(field: &str, why: &str) -> Self {
        Self::new(
            400,
            "woocommerce_api_invalid_customer_data",
            format!("Invalid customer data: {field} {why}"),
        )
    }

    /// 500: the store failed. The code is clientele's own; the message says no more.
    pub fn internal() -> Self {
        Self::new(
            500,
            "woocommerce_api_internal_error",
            "The request could not be completed",
        )
    }

    /// The same error with another status: the edit path reports its id errors as 400.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The `{"code", "message"}` object of this error.
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }

    /// The whole error body: `{"errors": [{"code", "message"}]}`.
    pub fn body(&self) -> Value {
        json!({ "errors": [self.to_json()] })
    }
}

/// The body of an invalid `_jsonp` callback: a bare list whose message sits under key
/// `"0"`, exactly as the original serialises it.
pub fn jsonp_callback_invalid_body() -> Value {
    json!([{
        "code": "woocommerce_api_jsonp_callback_invalid",
        "0": "The JSONP callback function is invalid"
    }])
}

/// WordPress's `wp_check_jsonp_callback`: only `A-Z a-z 0-9 _ .`.
pub fn is_valid_jsonp_callback(callback: &str) -> bool {
    callback
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A JSONP body: `/**/callback(json)`.
pub fn jsonp_wrap(callback: &str, json: &str) -> String {
    format!("/**/{callback}({json})")
}

// ---------------------------------------------------------------------------------------
// PHP helpers
// ---------------------------------------------------------------------------------------

/// PHP's `intval` of a string: optional blanks and sign, then leading digits; anything
/// else is 0.
pub fn php_intval(raw: &str) -> i64 {
    let trimmed = raw.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative { -value } else { value }
}

/// WordPress's `absint`.
pub fn php_absint(raw: &str) -> u64 {
    php_intval(raw).unsigned_abs()
}

/// PHP's `intval` of a JSON value (numbers truncate, booleans are 0/1).
pub fn json_intval(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .unwrap_or(0),
        Value::String(s) => php_intval(s),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// PHP's `urldecode`: `+` is a space and `%XX` a byte.
pub fn php_urldecode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// PHP's `empty()` of a string: `""` and `"0"`.
fn php_empty(value: &str) -> bool {
    value.is_empty() || value == "0"
}

/// A query value url-decoded a second time, as the original does with handler arguments.
fn argument(query: &PhpQuery, name: &str) -> Option<String> {
    query.get_str(name).map(php_urldecode)
}

fn filter_argument(query: &PhpQuery, name: &str) -> Option<String> {
    query
        .get("filter")
        .and_then(|filter| filter.get(name))
        .and_then(PhpValue::as_str)
        .map(php_urldecode)
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// The API's date format: `YYYY-MM-DDTHH:MM:SSZ`, always UTC.
pub fn format_datetime(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The original's `parse_datetime` for `filter[created_at_*]`: fractional seconds are
/// dropped, a trailing `±HH:MM` offset is ignored (the time is taken as UTC), a date
/// alone is midnight, and anything unparsable is the Unix epoch.
pub fn parse_filter_datetime(raw: &str) -> Timestamp {
    let mut text = raw.trim().to_owned();
    if let Some(dot) = text.find('.') {
        let digits = text[dot + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits > 0 {
            text.replace_range(dot..=dot + digits, "");
        }
    }
    let text = strip_offset(&text);
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", text)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text))
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", text))
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text))
        .or_else(|_| {
            jiff::civil::Date::strptime("%Y-%m-%d", text)
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
    civil
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Removes a trailing `[+-]digits:digits` (the original's `/[+-]\d+:+\d+$/`).
fn strip_offset(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    let digits_before = |end: usize| {
        bytes[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let minutes = digits_before(end);
    if minutes == 0 {
        return text;
    }
    end -= minutes;
    let colons = bytes[..end]
        .iter()
        .rev()
        .take_while(|b| **b == b':')
        .count();
    if colons == 0 {
        return text;
    }
    end -= colons;
    let hours = digits_before(end);
    if hours == 0 {
        return text;
    }
    end -= hours;
    match end.checked_sub(1).map(|i| bytes[i]) {
        Some(b'+' | b'-') => &text[..end - 1],
        _ => text,
    }
}

// ---------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------

/// The customer object (without the `customer` wrapper).
pub fn customer(customer: &Customer, stats: &CustomerStats) -> Value {
    let last_order = stats.last_order();
    let orders_count: i64 = stats.currencies.iter().map(|c| c.orders()).sum();
    let paid = [OrderStatus::Processing, OrderStatus::Completed];
    let spent: Vec<(i64, u32)> = stats
        .currencies
        .iter()
        .map(|c| (c.total_in(&paid), c.currency.exponent()))
        .collect();
    let account = customer.account.as_ref();
    json!({
        "id": customer.id.0,
        "created_at": format_datetime(customer.created_at),
        "last_update": format_datetime(customer.modified_at.unwrap_or(Timestamp::UNIX_EPOCH)),
        "email": customer.email.as_str(),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "username": account.map_or("", |a| a.username.as_str()),
        "role": account.map_or(Role::Customer, |a| a.role).as_str(),
        "last_order_id": last_order.map(|o| o.id.0),
        "last_order_date": last_order.map(|o| format_datetime(o.at)),
        "orders_count": orders_count,
        "total_spent": woo_common::format_decimal_sum(&spent, DECIMALS),
        "avatar_url": customer
            .avatar_url
            .clone()
            .unwrap_or_else(|| woo_common::gravatar_url(customer.email.as_str(), woo_common::DEFAULT_AVATAR_SIZE)),
        "billing_address": billing_address(&customer.billing),
        "shipping_address": shipping_address(&customer.shipping),
    })
}

fn billing_address(address: &Address) -> Value {
    let map: Map<String, Value> = address
        .fields()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), Value::from(value)))
        .collect();
    Value::Object(map)
}

fn shipping_address(address: &Address) -> Value {
    let map: Map<String, Value> = address
        .fields()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "email" | "phone"))
        .map(|(name, value)| (name.to_owned(), Value::from(value)))
        .collect();
    Value::Object(map)
}

/// `{"customer": object}`.
pub fn customer_envelope(object: Value) -> Value {
    json!({ "customer": object })
}

/// `{"customers": [objects]}`.
pub fn customers_envelope(objects: Vec<Value>) -> Value {
    json!({ "customers": objects })
}

/// `{"count": n}`.
pub fn count_body(count: u64) -> Value {
    json!({ "count": count })
}

/// The body of a successful delete.
pub fn deleted_body() -> Value {
    json!({ "message": "Permanently deleted customer" })
}

/// A failed bulk item: `{"id": id, "error": {"code", "message"}}`.
pub fn bulk_item_error(id: i64, error: &LegacyError) -> Value {
    json!({ "id": id, "error": error.to_json() })
}

// ---------------------------------------------------------------------------------------
// Orders and downloads
// ---------------------------------------------------------------------------------------

/// An order object of `/customers/<id>/orders`, with `customer` (the customer object of
/// the buyer) nested as the original does. `home_url` has no trailing slash.
pub fn order(order: &Order, customer: Value, home_url: &str) -> Value {
    let exponent = order.currency.exponent();
    let money = |minor: i64| woo_common::format_decimal(minor, exponent, DECIMALS);
    let updated_at = [order.paid_at, order.completed_at]
        .into_iter()
        .flatten()
        .chain(order.refunds.iter().map(|r| r.created_at))
        .fold(order.created_at, Timestamp::max);
    let line_items: Vec<Value> = order
        .line_items
        .iter()
        .map(|line| {
            let price = if line.quantity == 0 {
                money(0)
            } else {
                woo_common::format_ratio(
                    i128::from(line.total),
                    i128::from(line.quantity) * 10i128.pow(exponent),
                    DECIMALS,
                )
            };
            json!({
                "id": line.id,
                "subtotal": money(line.total),
                "subtotal_tax": money(0),
                "total": money(line.total),
                "total_tax": money(0),
                "price": price,
                "quantity": line.quantity,
                "tax_class": null,
                "name": line.name,
                "product_id": line.product_id.map(|p| p.0),
                "sku": if line.product_id.is_some() { Value::from("") } else { Value::Null },
                "meta": [],
            })
        })
        .collect();
    json!({
        "id": order.id.0,
        "order_number": order.id.0,
        "order_key": woo_common::order_key(order.uuid),
        "created_at": format_datetime(order.created_at),
        "updated_at": format_datetime(updated_at),
        "completed_at": format_datetime(order.completed_at.unwrap_or(Timestamp::UNIX_EPOCH)),
        "status": order.status.as_str(),
        "currency": order.currency.code(),
        "total": money(order.total),
        "subtotal": money(order.subtotal),
        "total_line_items_quantity": order.line_items.iter().map(|l| l.quantity).sum::<i64>(),
        "total_tax": money(order.total_tax),
        "total_shipping": money(order.shipping_total),
        "cart_tax": money(order.total_tax),
        "shipping_tax": money(0),
        "total_discount": money(order.discount_total),
        "shipping_methods": "",
        "payment_details": {
            "method_id": order.payment_method,
            "method_title": order.payment_method_title,
            "paid": order.paid_at.is_some(),
        },
        "billing_address": billing_address(&order.billing),
        "shipping_address": shipping_address(&order.shipping),
        "note": "",
        "customer_ip": "",
        "customer_user_agent": "",
        "customer_id": order.customer_id.0,
        "view_order_url": format!("{home_url}/my-account/view-order/{}", order.id.0),
        "line_items": line_items,
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "customer": customer,
    })
}

/// `{"orders": [objects]}`.
pub fn orders_envelope(objects: Vec<Value>) -> Value {
    json!({ "orders": objects })
}

/// What a download row is made of.
#[derive(Debug, Clone, Copy)]
pub struct DownloadView<'a> {
    /// The grant.
    pub grant: &'a DownloadGrant,
    /// The product's name.
    pub product_name: &'a str,
    /// The file.
    pub file: &'a DownloadFile,
    /// The order's UUID (its key is derived from it).
    pub order_uuid: Uuid,
    /// The customer's e-mail address.
    pub email: &'a str,
}

/// Whether a grant is still usable at `now`: downloads left (or unlimited) and not expired.
pub fn download_available(grant: &DownloadGrant, now: Timestamp) -> bool {
    grant.downloads_remaining.is_none_or(|left| left > 0)
        && grant.access_expires.is_none_or(|expires| expires > now)
}

/// One row of `/customers/<id>/downloads`. `home_url` has no trailing slash.
pub fn download(view: DownloadView<'_>, home_url: &str) -> Value {
    let order_key = woo_common::order_key(view.order_uuid);
    let email: String = form_urlencoded::byte_serialize(view.email.as_bytes()).collect();
    json!({
        "download_url": format!(
            "{home_url}/?download_file={}&order={order_key}&email={email}&key={}",
            view.grant.product_id.0, view.grant.download_id
        ),
        "download_id": view.grant.download_id,
        "product_id": view.grant.product_id.0,
        "download_name": format!("{} &ndash; {}", view.product_name, view.file.name),
        "order_id": view.grant.order_id.0,
        "order_key": order_key,
        "downloads_remaining": view.grant.downloads_remaining.map_or_else(String::new, |n| n.to_string()),
        "access_expires": view.grant.access_expires.map(format_datetime),
        "file": { "name": view.file.name, "file": view.file.url },
    })
}

/// `{"downloads": [rows]}`.
pub fn downloads_envelope(rows: Vec<Value>) -> Value {
    json!({ "downloads": rows })
}

// ---------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------

/// The body as JSON, whatever the content type says; `Null` when it is not JSON (the
/// original's `json_decode` gives null, and handlers then report missing data).
pub fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The `customer` member of a create or edit body.
pub fn customer_payload(body: &Value, action: Action) -> Result<&Value, LegacyError> {
    match body.get("customer") {
        Some(payload) if !payload.is_null() => Ok(payload),
        _ => Err(LegacyError::missing_customer_data(action)),
    }
}

/// The items of a bulk body, in order (an object's values count as items, as PHP
/// iterates an associative array).
pub fn bulk_items(body: &Value) -> Result<Vec<&Value>, LegacyError> {
    let items: Vec<&Value> = match body.get("customers") {
        None | Some(Value::Null) => return Err(LegacyError::missing_customers_data()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(items)) => items.values().collect(),
        Some(_) => return Err(LegacyError::missing_customers_data()),
    };
    if items.len() > BULK_LIMIT {
        return Err(LegacyError::bulk_too_large());
    }
    Ok(items)
}

/// The `id` of a bulk item by PHP's `intval` (0: create).
pub fn bulk_item_id(item: &Value) -> i64 {
    item.get("id").map_or(0, json_intval)
}

/// The fields a create or edit may set, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerInput {
    /// `email`, when present and not null.
    pub email: Option<String>,
    /// `username`, when non-empty (create only).
    pub username: Option<String>,
    /// `password`, when non-empty.
    pub password: Option<String>,
    /// `first_name`, cleaned.
    pub first_name: Option<String>,
    /// `last_name`, cleaned.
    pub last_name: Option<String>,
    /// `billing_address` fields present.
    pub billing: Option<AddressPatch>,
    /// `shipping_address` fields present (`email` and `phone` are not shipping fields).
    pub shipping: Option<AddressPatch>,
}

/// A JSON scalar as PHP would turn it into a string; `None` for null (`isset` is false).
fn scalar(value: &Value, field: &str) -> Result<Option<String>, LegacyError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(true) => Ok(Some("1".to_owned())),
        Value::Bool(false) => Ok(Some(String::new())),
        Value::Array(_) | Value::Object(_) => Err(LegacyError::invalid_data(field, "must be text")),
    }
}

fn address_patch(
    value: &Value,
    prefix: &str,
    with_contact: bool,
) -> Result<AddressPatch, LegacyError> {
    let mut patch = AddressPatch::default();
    let Value::Object(map) = value else {
        return Ok(patch);
    };
    let mut slots: Vec<(&str, &mut Option<String>)> = vec![
        ("first_name", &mut patch.first_name),
        ("last_name", &mut patch.last_name),
        ("company", &mut patch.company),
        ("address_1", &mut patch.address_1),
        ("address_2", &mut patch.address_2),
        ("city", &mut patch.city),
        ("state", &mut patch.state),
        ("postcode", &mut patch.postcode),
        ("country", &mut patch.country),
    ];
    if with_contact {
        slots.push(("email", &mut patch.email));
        slots.push(("phone", &mut patch.phone));
    }
    for (name, slot) in slots {
        if let Some(value) = map.get(name) {
            *slot = scalar(value, &format!("{prefix}.{name}"))?;
        }
    }
    Ok(patch)
}

/// Reads the fields of a `customer` payload. A payload that is not an object sets
/// nothing (PHP finds no keys in it).
pub fn decode_customer(payload: &Value) -> Result<CustomerInput, LegacyError> {
    let Value::Object(map) = payload else {
        return Ok(CustomerInput::default());
    };
    let text = |name: &str| -> Result<Option<String>, LegacyError> {
        map.get(name).map_or(Ok(None), |value| scalar(value, name))
    };
    let non_empty = |value: Option<String>| value.filter(|v| !php_empty(v));
    Ok(CustomerInput {
        email: text("email")?,
        username: non_empty(text("username")?),
        password: non_empty(text("password")?),
        first_name: text("first_name")?.map(|v| woo_common::clean_text(&v)),
        last_name: text("last_name")?.map(|v| woo_common::clean_text(&v)),
        billing: map
            .get("billing_address")
            .map(|v| address_patch(v, "billing_address", true))
            .transpose()?,
        shipping: map
            .get("shipping_address")
            .map(|v| address_patch(v, "shipping_address", false))
            .transpose()?,
    })
}

impl CustomerInput {
    /// The address of a new customer, checked in the original's order: absent, then
    /// malformed, then empty.
    pub fn new_email(&self) -> Result<Email, LegacyError> {
        let raw = self
            .email
            .as_deref()
            .ok_or_else(LegacyError::missing_customer_email)?;
        if raw.is_empty() {
            return Err(LegacyError::registration_invalid_email());
        }
        Email::parse(raw).map_err(|_| LegacyError::invalid_email())
    }

    /// The new customer (role `customer`) with `username`, validated.
    pub fn new_customer(&self, email: &Email, username: &str) -> Result<NewCustomer, LegacyError> {
        let mut billing = Address::default();
        billing.apply(&self.billing.clone().unwrap_or_default());
        let mut shipping = Address::default();
        shipping.apply(&self.shipping.clone().unwrap_or_default());
        let draft = CustomerDraft {
            email: email.as_str().to_owned(),
            first_name: self.first_name.clone().unwrap_or_default(),
            last_name: self.last_name.clone().unwrap_or_default(),
            username: Some(username.to_owned()),
            password: self.password.clone(),
            billing,
            shipping,
            ..CustomerDraft::default()
        };
        draft.validate().map_err(|errors| first_error(&errors))
    }

    /// The change an edit makes. An empty `email` changes nothing (WordPress refuses it
    /// and the original ignores the refusal); `username` and `role` cannot change.
    pub fn patch(&self) -> Result<CustomerPatch, LegacyError> {
        let email = match self.email.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(Email::parse(raw).map_err(|_| LegacyError::invalid_email())?),
        };
        let patch = CustomerPatch {
            email,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            password: self.password.clone(),
            billing: self.billing.clone(),
            shipping: self.shipping.clone(),
            ..CustomerPatch::default()
        };
        patch.validate().map_err(|errors| first_error(&errors))?;
        Ok(patch)
    }
}

/// The legacy error of the first validation failure (the original stops at the first).
fn first_error(errors: &[FieldError]) -> LegacyError {
    let Some(first) = errors.first() else {
        return LegacyError::internal();
    };
    match (first.path.as_str(), &first.kind) {
        ("email", FieldErrorKind::Missing) => LegacyError::registration_invalid_email(),
        // `wc_create_new_customer` passes `wp_insert_user`'s error on.
        ("email", FieldErrorKind::TooLong { max }) => LegacyError::new(
            400,
            "user_email_too_long",
            format!("Email address may not be longer than {max} characters."),
        ),
        ("email", _) => LegacyError::invalid_email(),
        ("username", _) => LegacyError::invalid_username(),
        ("billing.email", FieldErrorKind::InvalidEmail) => LegacyError::invalid_billing_email(),
        (path, kind) => {
            let field = path.replacen("billing.", "billing_address.", 1).replacen(
                "shipping.",
                "shipping_address.",
                1,
            );
            LegacyError::invalid_data(&field, &kind.to_string())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------------------

/// The list (and count) query of `filter[…]` and `page`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The query; `None` when the filters can match nobody (an unknown role, a search for
    /// a URL: clientele keeps no user URLs).
    pub query: Option<CustomerQuery>,
}

/// Reads `filter[role|q|limit|offset|order|orderby|created_at_min|created_at_max]` and
/// the top-level `page` the way the original's `query_customers` does.
pub fn decode_list(query: &PhpQuery) -> ListRequest {
    let mut filter = CustomerFilter {
        accounts: customer_model::AccountFilter::Registered,
        role: Some(Role::Customer),
        ..CustomerFilter::default()
    };
    if let Some(role) = filter_argument(query, "role").filter(|r| !php_empty(r)) {
        if role == "all" {
            filter.role = None;
        } else {
            // WordPress reads a comma list as "has all of these roles"; a customer has one.
            let roles: Vec<Option<Role>> = role.split(',').map(|r| Role::parse(r.trim())).collect();
            match roles.first().copied().flatten() {
                Some(first) if roles.iter().all(|r| *r == Some(first)) => filter.role = Some(first),
                _ => return ListRequest { query: None },
            }
        }
    }
    if let Some(q) = filter_argument(query, "q").filter(|q| !php_empty(q)) {
        match user_search(&q) {
            UserSearch::Email(email) => filter.email = Some(email),
            UserSearch::Text(search) => filter.search.push(search),
            UserSearch::Nothing => return ListRequest { query: None },
        }
    }
    let limit = filter_argument(query, "limit").filter(|l| !php_empty(l));
    let page_size = match limit.as_deref() {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(raw) if php_intval(raw) == -1 => None,
        // `absint` of garbage is 0, which WordPress reads as "no limit".
        Some(raw) => Some(php_absint(raw)).filter(|n| *n > 0),
    };
    let page = argument(query, "page").map_or(1, |p| php_absint(&p)).max(1);
    let offset = match filter_argument(query, "offset").filter(|o| !php_empty(o)) {
        Some(raw) => php_absint(&raw),
        None => page_size.map_or(0, |size| size.saturating_mul(page - 1)),
    };
    for (name, slot) in [
        ("created_at_min", &mut filter.created.from),
        ("created_at_max", &mut filter.created.to),
    ] {
        if let Some(raw) = filter_argument(query, name).filter(|v| !php_empty(v)) {
            *slot = Some(parse_filter_datetime(&raw));
        }
    }
    let direction = match filter_argument(query, "order").filter(|o| !php_empty(o)) {
        Some(order) if !order.eq_ignore_ascii_case("asc") => SortDirection::Descending,
        _ => SortDirection::Ascending,
    };
    let sort = filter_argument(query, "orderby")
        .filter(|o| !php_empty(o))
        .map_or(SortKey::Created, |orderby| user_sort_key(&orderby));
    ListRequest {
        query: Some(CustomerQuery {
            filter,
            sort,
            direction,
            page: PageRequest {
                offset: if page_size.is_some() { offset } else { 0 },
                limit: page_size,
            },
        }),
    }
}

/// WordPress's `orderby` values for users, mapped to what the store sorts by.
fn user_sort_key(orderby: &str) -> SortKey {
    match orderby {
        "registered" | "user_registered" => SortKey::Created,
        "ID" | "id" => SortKey::Id,
        "name" | "display_name" => SortKey::DisplayName,
        // E-mail, URL, post count and meta sorts have no store index; the id keeps
        // pages stable. Unknown values fall back to the login, as WordPress does.
        "email" | "user_email" | "url" | "user_url" | "post_count" | "meta_value"
        | "meta_value_num" | "include" => SortKey::Id,
        _ => SortKey::Username,
    }
}

enum UserSearch {
    Email(String),
    Text(TextSearch),
    Nothing,
}

/// WordPress's user search column choice for `filter[q]`.
fn user_search(raw: &str) -> UserSearch {
    let trimmed = raw.trim();
    let wild = trimmed.starts_with('*') || trimmed.ends_with('*');
    let term = trimmed.trim_matches('*').to_owned();
    if term.contains('@') {
        if wild {
            return UserSearch::Text(TextSearch {
                term,
                fields: vec![SearchField::Email],
                match_id: false,
            });
        }
        return UserSearch::Email(term);
    }
    if !term.is_empty() && term.parse::<f64>().is_ok() {
        return UserSearch::Text(TextSearch {
            term,
            fields: vec![SearchField::Username],
            match_id: true,
        });
    }
    if term.starts_with("http://") || term.starts_with("https://") {
        return UserSearch::Nothing;
    }
    UserSearch::Text(TextSearch {
        term,
        fields: vec![
            SearchField::Username,
            SearchField::Email,
            SearchField::DisplayName,
        ],
        match_id: false,
    })
}

/// The `filter[limit]` and `filter[offset]` of `/customers/<id>/orders` (the top-level
/// `page` is ignored there: the original forces the first page).
pub fn decode_orders_page(query: &PhpQuery) -> PageRequest {
    let limit = filter_argument(query, "limit").filter(|l| !php_empty(l));
    let page_size = match limit.as_deref() {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(raw) if php_intval(raw) == -1 => None,
        Some(raw) => Some(php_absint(raw))
            .filter(|n| *n > 0)
            .or(Some(DEFAULT_PAGE_SIZE)),
    };
    let offset = filter_argument(query, "offset").map_or(0, |o| php_absint(&o));
    PageRequest {
        offset: if page_size.is_some() { offset } else { 0 },
        limit: page_size,
    }
}

// ---------------------------------------------------------------------------------------
// `fields`
// ---------------------------------------------------------------------------------------

/// The original's `filter_response_fields`: keeps the named top-level keys; `parent.child`
/// keeps `parent` with only the named children (one child per parent is remembered, the
/// last; a child is kept if any parent names it). An empty list filters nothing.
pub fn filter_fields(object: &mut Value, fields: &str) {
    if fields.is_empty() {
        return;
    }
    let Value::Object(map) = object else {
        return;
    };
    let names: Vec<&str> = fields.split(',').collect();
    let mut sub_fields: Vec<(&str, &str)> = Vec::new();
    for name in &names {
        if let Some((parent, rest)) = name.split_once('.') {
            let child = rest.split('.').next().unwrap_or(rest);
            sub_fields.retain(|(p, _)| *p != parent);
            sub_fields.push((parent, child));
        }
    }
    let children: Vec<&str> = sub_fields.iter().map(|(_, c)| *c).collect();
    map.retain(|key, value| {
        let has_children = matches!(value, Value::Object(_) | Value::Array(_));
        if has_children && sub_fields.iter().any(|(p, _)| p == key) {
            match value {
                Value::Object(inner) => inner.retain(|k, _| children.contains(&k.as_str())),
                Value::Array(items) => {
                    let mut index = 0;
                    items.retain(|_| {
                        let keep = children.contains(&index.to_string().as_str());
                        index += 1;
                        keep
                    });
                }
                _ => {}
            }
            true
        } else {
            names.contains(&key.as_str())
        }
    });
}

// ---------------------------------------------------------------------------------------
// Pagination headers
// ---------------------------------------------------------------------------------------

/// Where `Link` URLs point: the scheme the request came in on, the host of the site URL
/// (without port, as the original builds it) and the request's path and query.
#[derive(Debug, Clone)]
pub struct LinkBase<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The site's host.
    pub host: &'a str,
    /// The request path as sent.
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
}

impl LinkBase<'_> {
    /// The request URL with `page=N` instead of any `page`, url-decoded as a whole.
    fn page_url(&self, page: &str) -> String {
        // PHP's parse/rebuild keeps each name once, at its first position, with its
        // last value (`a[]` names accumulate).
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            if name == "page" {
                continue;
            }
            match pairs
                .iter_mut()
                .find(|(n, _)| *n == name && !name.ends_with("[]"))
            {
                Some(slot) => slot.1 = value.into_owned(),
                None => pairs.push((name.into_owned(), value.into_owned())),
            }
        }
        pairs.push(("page".to_owned(), page.to_owned()));
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let path = percent_encoding::percent_decode_str(self.path).decode_utf8_lossy();
        format!(
            "{}://{}{}?{}",
            self.scheme,
            self.host,
            path,
            query.join("&")
        )
    }
}

/// A page number as PHP prints a float (`2`, `1.5`).
fn php_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Headers of the customer list: `X-WC-Total`, `X-WC-TotalPages` and `Link` lines
/// (first, prev, next, last; none when the page holds exactly one customer).
pub fn list_pagination_headers(
    total: u64,
    page: PageRequest,
    returned: usize,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let (current, total_pages) = match page.limit {
        Some(limit) if limit > 0 => (
            page.offset as f64 / limit as f64 + 1.0,
            total.div_ceil(limit) as f64,
        ),
        _ => (1.0, 1.0),
    };
    pagination_headers(total, current, total_pages, returned == 1, link)
}

/// Headers of `/customers/<id>/orders`: the first page always (the original forces it).
pub fn orders_pagination_headers(
    total: u64,
    page: PageRequest,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let total_pages = match page.limit {
        Some(limit) if limit > 0 => total.div_ceil(limit),
        _ => u64::from(total > 0),
    };
    pagination_headers(total, 1.0, total_pages as f64, false, link)
}

fn pagination_headers(
    total: u64,
    current: f64,
    total_pages: f64,
    single: bool,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("X-WC-Total", total.to_string()),
        ("X-WC-TotalPages", php_number(total_pages)),
    ];
    if !single {
        let mut rel = |page: f64, name: &str| {
            headers.push((
                "Link",
                format!("<{}>; rel=\"{name}\"", link.page_url(&php_number(page))),
            ));
        };
        if current > 1.0 {
            rel(1.0, "first");
            rel(current - 1.0, "prev");
        }
        if current + 1.0 <= total_pages {
            rel(current + 1.0, "next");
        }
        if current != total_pages {
            rel(total_pages, "last");
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intval_reads_leading_digits() {
        assert_eq!(php_intval(" 12abc"), 12);
        assert_eq!(php_intval("-5"), -5);
        assert_eq!(php_intval("abc"), 0);
        assert_eq!(php_absint("-5"), 5);
        assert_eq!(json_intval(&json!(2.7)), 2);
        assert_eq!(json_intval(&json!("7")), 7);
    }

    #[test]
    fn filter_dates_ignore_offsets_and_fractions() {
        let at = |s: &str| format_datetime(parse_filter_datetime(s));
        assert_eq!(at("2015-01-05T18:34:19.123+05:00"), "2015-01-05T18:34:19Z");
        assert_eq!(at("2015-01-05"), "2015-01-05T00:00:00Z");
        assert_eq!(at("2015-01-05 10:00:00"), "2015-01-05T10:00:00Z");
        assert_eq!(at("2015-01-05T10:00:00Z"), "2015-01-05T10:00:00Z");
        assert_eq!(at("yesterday-ish"), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn jsonp_callbacks_allow_word_characters_and_dots() {
        assert!(is_valid_jsonp_callback("jQuery.cb_1"));
        assert!(!is_valid_jsonp_callback("alert(1)"));
        assert_eq!(jsonp_wrap("cb", "{}"), "/**/cb({})");
    }
}
