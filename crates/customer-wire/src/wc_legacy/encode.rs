//! Model records into the legacy API's bodies (`{"customer": …}`, `{"customers": […]}`,
//! orders, downloads), the `fields` filter, and the framing of every answer: JSON or
//! JSONP, `HEAD` without a body, and the error body.
//!
//! Dates are `YYYY-MM-DDTHH:MM:SSZ`; `total_spent` is a 2-decimal string over paid
//! orders (processing and completed), refunds not subtracted; `last_order_id` an integer.
//!
//! Customers, orders and downloads are typed objects borrowing the records, with their
//! keys in the original's order (its PHP arrays'); answers serialize them straight to
//! JSON text once, which is sent as it is (or inside the JSONP callback). A [`Value`] is
//! built only where `fields` reworks the objects, for the small fixed bodies (count,
//! delete, errors), and for a customer shown outside a request ([`customer`]).

use std::borrow::Cow;

use customer_model::{Address, Customer, CustomerStats, Order, Role, Timestamp};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::DECIMALS;
use super::decode::{Callback, LegacyRequest};
use super::errors::LegacyError;
use crate::reply::{Body, Reply};
use crate::woo::{self, Download};

const JSON_TYPE: &str = "application/json; charset=UTF-8";
const JSONP_TYPE: &str = "application/javascript; charset=UTF-8";

/// The API's date format, `YYYY-MM-DDTHH:MM:SSZ`, as a `strftime` pattern.
const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The API's date format: `YYYY-MM-DDTHH:MM:SSZ`, always UTC.
pub fn format_datetime(at: Timestamp) -> String {
    at.strftime(DATE_FORMAT).to_string()
}

/// The fields of the customer object, in order.
pub const CUSTOMER_FIELDS: [&str; 15] = [
    "id",
    "created_at",
    "last_update",
    "email",
    "first_name",
    "last_name",
    "username",
    "role",
    "last_order_id",
    "last_order_date",
    "orders_count",
    "total_spent",
    "avatar_url",
    "billing_address",
    "shipping_address",
];

/// A date in the API's format, written straight into the serializer's output (no
/// `String` per date).
#[derive(Debug, Clone, Copy)]
struct Utc(Timestamp);

impl Serialize for Utc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.strftime(DATE_FORMAT))
    }
}

/// An empty PHP array, which `json_encode` writes as `[]`.
type EmptyList = [(); 0];

/// The customer object of `WC_API_Customers::get_customer`, keys in its order (that of
/// [`CUSTOMER_FIELDS`]), borrowing the record's text.
#[derive(Debug, Serialize)]
struct CustomerDto<'a> {
    id: i64,
    created_at: Utc,
    last_update: Utc,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    username: &'a str,
    role: &'static str,
    last_order_id: Option<i64>,
    last_order_date: Option<Utc>,
    orders_count: i64,
    total_spent: String,
    avatar_url: Cow<'a, str>,
    billing_address: AddressDto<'a>,
    shipping_address: AddressDto<'a>,
}

impl<'a> CustomerDto<'a> {
    fn new(customer: &'a Customer, stats: &CustomerStats) -> Self {
        let last_order = stats.last_order();
        let spent: Vec<(i64, u32)> = stats
            .currencies
            .iter()
            .map(|c| (c.paid_total(), c.currency.exponent()))
            .collect();
        let account = customer.account.as_ref();
        Self {
            id: customer.id.0,
            created_at: Utc(customer.created_at),
            last_update: Utc(customer.modified_at.unwrap_or(Timestamp::UNIX_EPOCH)),
            email: customer.email.as_str(),
            first_name: &customer.first_name,
            last_name: &customer.last_name,
            username: account.map_or("", |a| a.username.as_str()),
            role: account.map_or(Role::Customer, |a| a.role).as_str(),
            last_order_id: last_order.map(|o| o.id.0),
            last_order_date: last_order.map(|o| Utc(o.at)),
            orders_count: stats.currencies.iter().map(|c| c.orders()).sum(),
            total_spent: woo::format_decimal_sum(&spent, DECIMALS),
            avatar_url: customer.avatar_url.as_deref().map_or_else(
                || {
                    Cow::Owned(woo::gravatar_url(
                        customer.email.as_str(),
                        woo::DEFAULT_AVATAR_SIZE,
                    ))
                },
                Cow::Borrowed,
            ),
            billing_address: AddressDto::billing(&customer.billing),
            shipping_address: AddressDto::shipping(&customer.shipping),
        }
    }
}

/// A `billing_address` (every field) or a `shipping_address` (no `email`, no `phone`).
#[derive(Debug, Serialize)]
struct AddressDto<'a> {
    first_name: &'a str,
    last_name: &'a str,
    company: &'a str,
    address_1: &'a str,
    address_2: &'a str,
    city: &'a str,
    state: &'a str,
    postcode: &'a str,
    country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

impl<'a> AddressDto<'a> {
    fn billing(address: &'a Address) -> Self {
        Self {
            email: Some(&address.email),
            phone: Some(&address.phone),
            ..Self::shipping(address)
        }
    }

    fn shipping(address: &'a Address) -> Self {
        Self {
            first_name: &address.first_name,
            last_name: &address.last_name,
            company: &address.company,
            address_1: &address.address_1,
            address_2: &address.address_2,
            city: &address.city,
            state: &address.state,
            postcode: &address.postcode,
            country: &address.country,
            email: None,
            phone: None,
        }
    }
}

/// The customer object (without the `customer` wrapper) as a tree: what `fields`
/// filters, and what a customer shown outside a request is. Answers without `fields`
/// serialize the object straight to text instead.
pub fn customer(customer: &Customer, stats: &CustomerStats) -> Value {
    serde_json::to_value(CustomerDto::new(customer, stats)).expect("customers serialize")
}

/// `{"customer": object}`.
pub fn customer_envelope(object: Value) -> Value {
    json!({ "customer": object })
}

/// `{"customers": [objects]}`.
pub fn customers_envelope(objects: Vec<Value>) -> Value {
    json!({ "customers": objects })
}

/// `{"customer": …}` of a typed object.
#[derive(Debug, Serialize)]
struct CustomerEnvelope<'a> {
    customer: &'a CustomerDto<'a>,
}

/// `{"customers": […]}` of typed objects (customers, or bulk results).
#[derive(Debug, Serialize)]
struct CustomersEnvelope<T> {
    customers: Vec<T>,
}

/// An order of `/customers/<id>/orders` (`WC_API_Orders::get_order`), keys in its order,
/// with `customer`, the buyer's object, nested as the original does.
#[derive(Debug, Serialize)]
struct OrderDto<'a> {
    id: i64,
    order_number: i64,
    order_key: String,
    created_at: Utc,
    updated_at: Utc,
    completed_at: Utc,
    status: &'static str,
    currency: &'static str,
    total: String,
    subtotal: String,
    total_line_items_quantity: i64,
    total_tax: String,
    total_shipping: String,
    cart_tax: String,
    shipping_tax: String,
    total_discount: String,
    shipping_methods: &'static str,
    payment_details: PaymentDetailsDto<'a>,
    billing_address: AddressDto<'a>,
    shipping_address: AddressDto<'a>,
    note: &'static str,
    customer_ip: &'static str,
    customer_user_agent: &'static str,
    customer_id: i64,
    view_order_url: String,
    line_items: Vec<LineItemDto<'a>>,
    shipping_lines: EmptyList,
    tax_lines: EmptyList,
    fee_lines: EmptyList,
    coupon_lines: EmptyList,
    customer: &'a CustomerDto<'a>,
}

/// An order's `payment_details`.
#[derive(Debug, Serialize)]
struct PaymentDetailsDto<'a> {
    method_id: &'a str,
    method_title: &'a str,
    paid: bool,
}

/// One of an order's `line_items`.
#[derive(Debug, Serialize)]
struct LineItemDto<'a> {
    id: i64,
    subtotal: String,
    subtotal_tax: String,
    total: String,
    total_tax: String,
    price: String,
    quantity: i64,
    /// Always `null`: no line has a tax class.
    tax_class: Option<&'static str>,
    name: &'a str,
    product_id: Option<i64>,
    /// `""` for a line of a known product, `null` for one without.
    sku: Option<&'static str>,
    meta: EmptyList,
}

impl<'a> OrderDto<'a> {
    /// `home_url` has no trailing slash.
    fn new(order: &'a Order, customer: &'a CustomerDto<'a>, home_url: &str) -> Self {
        let exponent = order.currency.exponent();
        let money = |minor: i64| woo::format_decimal(minor, exponent, DECIMALS);
        let updated_at = [order.paid_at, order.completed_at]
            .into_iter()
            .flatten()
            .chain(order.refunds.iter().map(|r| r.created_at))
            .fold(order.created_at, Timestamp::max);
        let line_items = order
            .line_items
            .iter()
            .map(|line| {
                let price = if line.quantity == 0 {
                    money(0)
                } else {
                    woo::format_ratio(
                        i128::from(line.total),
                        i128::from(line.quantity) * 10i128.pow(exponent),
                        DECIMALS,
                    )
                };
                LineItemDto {
                    id: line.id,
                    subtotal: money(line.total),
                    subtotal_tax: money(0),
                    total: money(line.total),
                    total_tax: money(0),
                    price,
                    quantity: line.quantity,
                    tax_class: None,
                    name: &line.name,
                    product_id: line.product_id.map(|p| p.0),
                    sku: line.product_id.map(|_| ""),
                    meta: [],
                }
            })
            .collect();
        Self {
            id: order.id.0,
            order_number: order.id.0,
            order_key: woo::order_key(order.uuid),
            created_at: Utc(order.created_at),
            updated_at: Utc(updated_at),
            completed_at: Utc(order.completed_at.unwrap_or(Timestamp::UNIX_EPOCH)),
            status: order.status.as_str(),
            currency: order.currency.code(),
            total: money(order.total),
            subtotal: money(order.subtotal),
            total_line_items_quantity: order.line_items.iter().map(|l| l.quantity).sum(),
            total_tax: money(order.total_tax),
            total_shipping: money(order.shipping_total),
            cart_tax: money(order.total_tax),
            shipping_tax: money(0),
            total_discount: money(order.discount_total),
            shipping_methods: "",
            payment_details: PaymentDetailsDto {
                method_id: &order.payment_method,
                method_title: &order.payment_method_title,
                paid: order.paid_at.is_some(),
            },
            billing_address: AddressDto::billing(&order.billing),
            shipping_address: AddressDto::shipping(&order.shipping),
            note: "",
            customer_ip: "",
            customer_user_agent: "",
            customer_id: order.customer_id.0,
            view_order_url: format!("{home_url}/my-account/view-order/{}", order.id.0),
            line_items,
            shipping_lines: [],
            tax_lines: [],
            fee_lines: [],
            coupon_lines: [],
            customer,
        }
    }
}

/// `{"orders": […]}`.
#[derive(Debug, Serialize)]
struct OrdersEnvelope<'a> {
    orders: Vec<OrderDto<'a>>,
}

/// One row of `/customers/<id>/downloads` (`WC_API_Customers::get_customer_downloads`),
/// keys in its order.
#[derive(Debug, Serialize)]
struct DownloadDto<'a> {
    download_url: String,
    download_id: &'a str,
    product_id: i64,
    download_name: String,
    order_id: i64,
    order_key: String,
    /// A number as a string; `""` when unlimited.
    downloads_remaining: String,
    access_expires: Option<Utc>,
    file: FileDto<'a>,
}

/// A download's `file`.
#[derive(Debug, Serialize)]
struct FileDto<'a> {
    name: &'a str,
    file: &'a str,
}

impl<'a> DownloadDto<'a> {
    /// `email` is the customer's address already form-encoded; `home_url` has no
    /// trailing slash.
    fn new(view: Download<'a>, email: &str, home_url: &str) -> Self {
        let order_key = view.order_key();
        Self {
            download_url: format!(
                "{home_url}/?download_file={}&order={order_key}&email={email}&key={}",
                view.grant.product_id.0, view.grant.download_id
            ),
            download_id: &view.grant.download_id,
            product_id: view.grant.product_id.0,
            download_name: view.name(),
            order_id: view.grant.order_id.0,
            order_key,
            downloads_remaining: view
                .grant
                .downloads_remaining
                .map_or_else(String::new, |n| n.to_string()),
            access_expires: view.grant.access_expires.map(Utc),
            file: FileDto {
                name: &view.file.name,
                file: &view.file.url,
            },
        }
    }
}

/// `{"downloads": […]}`.
#[derive(Debug, Serialize)]
struct DownloadsEnvelope<'a> {
    downloads: Vec<DownloadDto<'a>>,
}

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

/// The body of an invalid `_jsonp` callback: a bare list whose message sits under key
/// `"0"`, exactly as the original serialises it.
pub fn jsonp_callback_invalid_body() -> Value {
    json!([{
        "code": "woocommerce_api_jsonp_callback_invalid",
        "0": "The JSONP callback function is invalid"
    }])
}

/// A JSONP body: `/**/callback(json)`.
pub fn jsonp_wrap(callback: &str, json: &str) -> String {
    format!("/**/{callback}({json})")
}

/// The body of an [`Answer`].
#[derive(Debug, Clone, PartialEq)]
enum AnswerBody {
    /// Built as a value: the small bodies, errors, and objects `fields` filtered.
    Tree(Value),
    /// JSON text serialized once from typed objects, sent as it is.
    Text(String),
}

impl AnswerBody {
    /// The JSON text: written now for a tree, borrowed when already written.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Tree(value) => Cow::Owned(value.to_string()),
            Self::Text(text) => Cow::Borrowed(text),
        }
    }
}

/// An answer before framing: status, body and headers (pagination, challenges).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    body: AnswerBody,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// `200` with `body`.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: AnswerBody::Tree(body),
            headers: Vec::new(),
        }
    }

    /// `200` with `body` serialized to JSON text now, once, keys in the order its type
    /// declares them; no [`Value`] is built.
    fn serialized(body: &impl Serialize) -> Self {
        let text = serde_json::to_string(body).expect("response objects serialize");
        Self {
            status: 200,
            body: AnswerBody::Text(text),
            headers: Vec::new(),
        }
    }

    /// The answer of an error.
    pub fn error(error: &LegacyError) -> Self {
        Self {
            status: error.status,
            ..Self::ok(error.body())
        }
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The body as a JSON value (parsed back when it was serialized as text).
    pub fn json(&self) -> Value {
        match &self.body {
            AnswerBody::Tree(value) => value.clone(),
            AnswerBody::Text(text) => serde_json::from_str(text).expect("answers are JSON"),
        }
    }
}

impl From<LegacyError> for Answer {
    fn from(error: LegacyError) -> Self {
        Self::error(&error)
    }
}

impl LegacyRequest {
    /// The response for `answer`: JSON, or JSONP with a valid callback; no body for `HEAD`.
    pub fn reply(&self, answer: Answer) -> Reply {
        let jsonp = matches!(self.callback, Callback::Valid(_));
        let content_type = if jsonp { JSONP_TYPE } else { JSON_TYPE };
        let body = match (&self.callback, answer.body) {
            // Nothing is written for `HEAD`.
            _ if self.head() => Body::Empty,
            (Callback::Valid(callback), body) => Body::Text(jsonp_wrap(callback, &body.text())),
            (_, AnswerBody::Tree(value)) => Body::Json(value),
            (_, AnswerBody::Text(text)) => Body::JsonText(text),
        };
        let mut reply = Reply::new(answer.status, content_type, body);
        for (name, value) in answer.headers {
            reply = reply.with_header(name, value);
        }
        if jsonp {
            reply = reply.with_header("X-Content-Type-Options", "nosniff");
        }
        reply
    }

    /// The refusal of an invalid `_jsonp` callback, when there is one (it comes before
    /// anything else runs).
    pub fn refused_callback(&self) -> Option<Reply> {
        (self.callback == Callback::Invalid).then(|| {
            let body = if self.head() {
                Body::Empty
            } else {
                Body::Text(jsonp_callback_invalid_body().to_string())
            };
            Reply::new(400, JSONP_TYPE, body)
        })
    }
}

/// An error as plain JSON, for answers given before the request is read.
pub fn error_reply(error: &LegacyError) -> Reply {
    Reply::new(error.status, JSON_TYPE, Body::Json(error.body()))
}

/// `GET /customers/<id>` and `GET /customers/email/<address>`: one customer, `fields`
/// applied.
pub fn customer_answer(record: &Customer, stats: &CustomerStats, fields: &str) -> Answer {
    if fields.is_empty() {
        let object = CustomerDto::new(record, stats);
        return Answer::serialized(&CustomerEnvelope { customer: &object });
    }
    let mut object = customer(record, stats);
    filter_fields(&mut object, fields);
    Answer::ok(customer_envelope(object))
}

/// A create (`201 Created`) or an edit (`200`): the customer written.
pub fn written_answer(record: &Customer, stats: &CustomerStats, created: bool) -> Answer {
    let object = CustomerDto::new(record, stats);
    Answer {
        status: if created { 201 } else { 200 },
        ..Answer::serialized(&CustomerEnvelope { customer: &object })
    }
}

/// `GET /customers`: the page, `fields` applied to each, with the pagination headers.
pub fn list_answer<'r>(
    records: impl IntoIterator<Item = (&'r Customer, &'r CustomerStats)>,
    fields: &str,
    headers: Vec<(&'static str, String)>,
) -> Answer {
    let objects = records
        .into_iter()
        .map(|(record, stats)| CustomerDto::new(record, stats));
    let answer = if fields.is_empty() {
        Answer::serialized(&CustomersEnvelope {
            customers: objects.collect(),
        })
    } else {
        let trees = objects
            .map(|object| {
                let mut tree = serde_json::to_value(object).expect("customers serialize");
                filter_fields(&mut tree, fields);
                tree
            })
            .collect();
        Answer::ok(customers_envelope(trees))
    };
    Answer { headers, ..answer }
}

/// `GET /customers/count`.
pub fn count_answer(count: u64) -> Answer {
    Answer::ok(json!({ "count": count }))
}

/// `DELETE /customers/<id>`.
pub fn deleted_answer() -> Answer {
    Answer::ok(json!({ "message": "Permanently deleted customer" }))
}

/// `GET /customers/<id>/orders`: the buyer's orders with the buyer nested in each.
/// `home_url` has no trailing slash.
pub fn orders_answer(
    buyer: (&Customer, &CustomerStats),
    orders: &[Order],
    home_url: &str,
    fields: &str,
    headers: Vec<(&'static str, String)>,
) -> Answer {
    // One buyer object, borrowed by every order.
    let buyer = CustomerDto::new(buyer.0, buyer.1);
    let objects = orders
        .iter()
        .map(|record| OrderDto::new(record, &buyer, home_url));
    let answer = if fields.is_empty() {
        Answer::serialized(&OrdersEnvelope {
            orders: objects.collect(),
        })
    } else {
        let trees: Vec<Value> = objects
            .map(|object| {
                let mut tree = serde_json::to_value(object).expect("orders serialize");
                filter_fields(&mut tree, fields);
                tree
            })
            .collect();
        Answer::ok(json!({ "orders": trees }))
    };
    Answer { headers, ..answer }
}

/// `GET /customers/<id>/downloads`: the grants of the customer with `email` still usable
/// at `now`. `home_url` has no trailing slash.
pub fn downloads_answer<'v>(
    views: impl IntoIterator<Item = Download<'v>>,
    email: &str,
    home_url: &str,
    now: Timestamp,
) -> Answer {
    let email: String = form_urlencoded::byte_serialize(email.as_bytes()).collect();
    let downloads = views
        .into_iter()
        .filter(|view| view.is_available(now))
        .map(|view| DownloadDto::new(view, &email, home_url))
        .collect();
    Answer::serialized(&DownloadsEnvelope { downloads })
}

/// What one bulk item came to: the customer written, or why not.
pub type BulkOutcome = Result<(Customer, CustomerStats), LegacyError>;

/// One result of a bulk request: the customer object, or `{"id", "error"}`.
// At most `BULK_LIMIT` results live at once, side by side in one `Vec`: a box per
// customer would cost more than the room errors leave unused.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum BulkResultDto<'a> {
    Customer(CustomerDto<'a>),
    Error { id: i64, error: ErrorDto<'a> },
}

/// `{"code", "message"}` of a bulk item's error.
#[derive(Debug, Serialize)]
struct ErrorDto<'a> {
    code: &'a str,
    message: &'a str,
}

/// `/customers/bulk`: each item's customer or error (with the item's id), in order;
/// `201` when any item was created.
pub fn bulk_answer(items: Vec<(i64, BulkOutcome)>, created: bool) -> Answer {
    let customers = items
        .iter()
        .map(|(id, outcome)| match outcome {
            Ok((record, stats)) => BulkResultDto::Customer(CustomerDto::new(record, stats)),
            Err(error) => BulkResultDto::Error {
                id: *id,
                error: ErrorDto {
                    code: &error.code,
                    message: &error.message,
                },
            },
        })
        .collect();
    Answer {
        status: if created { 201 } else { 200 },
        ..Answer::serialized(&CustomersEnvelope { customers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Incoming;

    #[test]
    fn jsonp_wraps_and_head_drops_the_body() {
        assert_eq!(jsonp_wrap("cb", "{}"), "/**/cb({})");
        let jsonp = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers?_jsonp=cb"));
        let reply = jsonp.reply(count_answer(2));
        assert_eq!(reply.body_bytes(), br#"/**/cb({"count":2})"#);
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
        let head = LegacyRequest::read(&Incoming::get(
            "/wc-api/v3/customers?_method=head&_jsonp=a(1)",
        ));
        let refused = head.refused_callback().unwrap();
        assert_eq!((refused.status, refused.body_bytes().len()), (400, 0));
    }

    #[test]
    fn serialized_answers_are_sent_as_written_or_wrapped() {
        let answer = Answer::serialized(&json!({"b": 1, "a": "/\"\u{1}"}));
        let text = r#"{"a":"/\"\u0001","b":1}"#;
        let plain = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers"));
        let reply = plain.reply(answer.clone());
        assert_eq!(reply.body, Body::JsonText(text.to_owned()));
        assert_eq!(reply.header("Content-Type"), Some(JSON_TYPE));
        let jsonp = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers?_jsonp=cb"));
        let reply = jsonp.reply(answer.clone());
        assert_eq!(reply.body, Body::Text(format!("/**/cb({text})")));
        assert_eq!(reply.header("Content-Type"), Some(JSONP_TYPE));
        let head = LegacyRequest::read(&Incoming::get(
            "/wc-api/v3/customers?_method=head&_jsonp=cb",
        ));
        let reply = head.reply(answer);
        assert_eq!(reply.body, Body::Empty);
        assert_eq!(reply.header("Content-Type"), Some(JSONP_TYPE));
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
    }
}
