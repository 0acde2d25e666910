//! Model records into the legacy API's bodies (`{"customer": …}`, `{"customers": […]}`,
//! orders, downloads), the `fields` filter, and the framing of every answer: JSON or
//! JSONP, `HEAD` without a body, and the error body.
//!
//! Dates are `YYYY-MM-DDTHH:MM:SSZ`; `total_spent` is a 2-decimal string over paid
//! orders (processing and completed), refunds not subtracted; `last_order_id` an integer.

use customer_model::{Address, Customer, CustomerStats, Order, Role, Timestamp};
use serde_json::{Map, Value, json};

use super::DECIMALS;
use super::decode::{Callback, LegacyRequest};
use super::errors::LegacyError;
use crate::reply::{Body, Reply};
use crate::woo::{self, Download};

const JSON_TYPE: &str = "application/json; charset=UTF-8";
const JSONP_TYPE: &str = "application/javascript; charset=UTF-8";

/// The API's date format: `YYYY-MM-DDTHH:MM:SSZ`, always UTC.
pub fn format_datetime(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
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

/// The customer object (without the `customer` wrapper).
pub fn customer(customer: &Customer, stats: &CustomerStats) -> Value {
    let last_order = stats.last_order();
    let orders_count: i64 = stats.currencies.iter().map(|c| c.orders()).sum();
    let spent: Vec<(i64, u32)> = stats
        .currencies
        .iter()
        .map(|c| (c.paid_total(), c.currency.exponent()))
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
        "total_spent": woo::format_decimal_sum(&spent, DECIMALS),
        "avatar_url": customer
            .avatar_url
            .clone()
            .unwrap_or_else(|| woo::gravatar_url(customer.email.as_str(), woo::DEFAULT_AVATAR_SIZE)),
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

/// An order object of `/customers/<id>/orders`, with `customer` (the customer object of
/// the buyer) nested as the original does. `home_url` has no trailing slash.
pub fn order(order: &Order, customer: Value, home_url: &str) -> Value {
    let exponent = order.currency.exponent();
    let money = |minor: i64| woo::format_decimal(minor, exponent, DECIMALS);
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
                woo::format_ratio(
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
        "order_key": woo::order_key(order.uuid),
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

/// One row of `/customers/<id>/downloads` of the customer with `email`. `home_url` has no
/// trailing slash.
pub fn download(view: Download<'_>, email: &str, home_url: &str) -> Value {
    let order_key = view.order_key();
    let email: String = form_urlencoded::byte_serialize(email.as_bytes()).collect();
    json!({
        "download_url": format!(
            "{home_url}/?download_file={}&order={order_key}&email={email}&key={}",
            view.grant.product_id.0, view.grant.download_id
        ),
        "download_id": view.grant.download_id,
        "product_id": view.grant.product_id.0,
        "download_name": view.name(),
        "order_id": view.grant.order_id.0,
        "order_key": order_key,
        "downloads_remaining": view.grant.downloads_remaining.map_or_else(String::new, |n| n.to_string()),
        "access_expires": view.grant.access_expires.map(format_datetime),
        "file": { "name": view.file.name, "file": view.file.url },
    })
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

/// An answer before framing: status, body and headers (pagination, challenges).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Value,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// `200` with `body`.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// The answer of an error.
    pub fn error(error: &LegacyError) -> Self {
        Self {
            status: error.status,
            body: error.body(),
            headers: Vec::new(),
        }
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
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
        let json = answer.body.to_string();
        let (content_type, text, jsonp) = match &self.callback {
            Callback::Valid(callback) => (JSONP_TYPE, jsonp_wrap(callback, &json), true),
            Callback::None | Callback::Invalid => (JSON_TYPE, json, false),
        };
        let mut reply = Reply::new(answer.status, content_type, self.body(text));
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
            Reply::new(
                400,
                JSONP_TYPE,
                self.body(jsonp_callback_invalid_body().to_string()),
            )
        })
    }

    fn body(&self, text: String) -> Body {
        if self.head() {
            Body::Empty
        } else {
            Body::Text(text)
        }
    }
}

/// An error as plain JSON, for answers given before the request is read.
pub fn error_reply(error: &LegacyError) -> Reply {
    Reply::new(error.status, JSON_TYPE, Body::Json(error.body()))
}

/// `GET /customers/<id>` and `GET /customers/email/<address>`: one customer, `fields`
/// applied.
pub fn customer_answer(record: &Customer, stats: &CustomerStats, fields: &str) -> Answer {
    let mut object = customer(record, stats);
    filter_fields(&mut object, fields);
    Answer::ok(customer_envelope(object))
}

/// A create (`201 Created`) or an edit (`200`): the customer written.
pub fn written_answer(record: &Customer, stats: &CustomerStats, created: bool) -> Answer {
    let answer = Answer::ok(customer_envelope(customer(record, stats)));
    if created {
        Answer {
            status: 201,
            ..answer
        }
    } else {
        answer
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
        .map(|(record, stats)| {
            let mut object = customer(record, stats);
            filter_fields(&mut object, fields);
            object
        })
        .collect();
    Answer {
        headers,
        ..Answer::ok(customers_envelope(objects))
    }
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
pub fn orders_answer(
    buyer: (&Customer, &CustomerStats),
    orders: &[Order],
    home_url: &str,
    fields: &str,
    headers: Vec<(&'static str, String)>,
) -> Answer {
    let buyer = customer(buyer.0, buyer.1);
    let objects: Vec<Value> = orders
        .iter()
        .map(|record| {
            let mut object = order(record, buyer.clone(), home_url);
            filter_fields(&mut object, fields);
            object
        })
        .collect();
    Answer {
        headers,
        ..Answer::ok(json!({ "orders": objects }))
    }
}

/// `GET /customers/<id>/downloads`: the grants of the customer with `email` still usable
/// at `now`.
pub fn downloads_answer<'v>(
    views: impl IntoIterator<Item = Download<'v>>,
    email: &str,
    home_url: &str,
    now: Timestamp,
) -> Answer {
    let rows: Vec<Value> = views
        .into_iter()
        .filter(|view| view.is_available(now))
        .map(|view| download(view, email, home_url))
        .collect();
    Answer::ok(json!({ "downloads": rows }))
}

/// What one bulk item came to: the customer written, or why not.
pub type BulkOutcome = Result<(Customer, CustomerStats), LegacyError>;

/// `/customers/bulk`: each item's customer or error (with the item's id), in order;
/// `201` when any item was created.
pub fn bulk_answer(items: Vec<(i64, BulkOutcome)>, created: bool) -> Answer {
    let results = items
        .into_iter()
        .map(|(id, outcome)| match outcome {
            Ok((record, stats)) => customer(&record, &stats),
            Err(error) => json!({ "id": id, "error": error.to_json() }),
        })
        .collect();
    Answer {
        status: if created { 201 } else { 200 },
        ..Answer::ok(customers_envelope(results))
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
}
