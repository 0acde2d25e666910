//! Customers as EDD shows them (v1's documented shape, v2's current one), the totals
//! EDD reports, the not-found and error answers, and the writers of EDD's PHP value tree
//! (`output`: `JSON_PRETTY_PRINT` JSON and `ArrayToXML`).
//!
//! The JSON customers answer, the one that grows with the page, is written straight
//! from typed objects borrowing the records (`dto`) in the very text the tree's writer
//! gives; the tree ([`Node`]) stays for XML, whose writer needs it, and for the small
//! answers (errors, not found) and a customer shown outside a request.

mod dto;
mod output;

use customer_model::{Currency, Customer, CustomerStats, OrderStatus};

pub use output::{Node, to_pretty_json, to_xml};

use super::decode::{CustomerParam, CustomersRequest};
use super::errors::{self, EddError};
use super::{Format, Version};
use crate::fault::Fault;
use crate::reply::{Body, Reply};

/// A body ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The `Content-Type`: `application/json` for JSON; EDD sets none for XML, so
    /// WordPress's default `text/html; charset=UTF-8` goes out.
    pub content_type: &'static str,
    /// The text.
    pub text: String,
}

/// The `Content-Type` of JSON answers.
const JSON_TYPE: &str = "application/json";

/// Writes `node` in `format`.
pub fn render(node: &Node, format: Format) -> Rendered {
    match format {
        Format::Json => Rendered {
            content_type: JSON_TYPE,
            text: output::to_pretty_json(node),
        },
        Format::Xml => Rendered {
            content_type: "text/html; charset=UTF-8",
            text: output::to_xml(node),
        },
    }
}

/// `{"error": message}`, with `request_speed` when the endpoint ran.
pub fn error_body(message: &str, request_speed: Option<f64>) -> Node {
    let mut entries = vec![("error".to_owned(), Node::str(message))];
    if let Some(speed) = request_speed {
        entries.push(("request_speed".to_owned(), Node::Float(speed)));
    }
    Node::Map(entries)
}

/// The 200 answer's message when nothing matched: v1 repeats the value looked for
/// (`Customer 12 not found!`), v2 does not; without a lookup both say
/// `No customers found!`.
pub fn not_found_message(version: Version, customer: Option<&CustomerParam>) -> String {
    match (version, customer) {
        (_, None) => "No customers found!".to_owned(),
        (Version::V1, Some(param)) => format!("Customer {} not found!", param.given),
        (Version::V2, Some(_)) => "Customer not found!".to_owned(),
    }
}

/// Statuses whose orders EDD counts as purchases (`edd_get_net_order_statuses`:
/// complete, partially refunded, revoked, on hold). A partially refunded order is a
/// completed order with refunds here.
pub const PURCHASE_STATUSES: [OrderStatus; 2] = [OrderStatus::Completed, OrderStatus::OnHold];

/// Statuses whose orders (net of their refunds) EDD adds to the amount spent
/// (`edd_get_gross_order_statuses`: the purchase statuses plus refunded).
pub const SPENT_STATUSES: [OrderStatus; 3] = [
    OrderStatus::Completed,
    OrderStatus::OnHold,
    OrderStatus::Refunded,
];

/// A customer's `stats` as EDD reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// `total_purchases`: orders in [`PURCHASE_STATUSES`].
    pub purchases: i64,
    /// `total_spent` in minor units: totals minus refunds of orders in [`SPENT_STATUSES`].
    pub spent: i64,
    /// `total_downloads`: files downloaded.
    pub downloads: i64,
    /// The currency of `spent`.
    pub currency: Currency,
}

impl Totals {
    /// The totals in the store currency. Orders in other currencies are not counted
    /// (EDD would convert them at the order's exchange rate; clientele keeps no rates).
    pub fn from_stats(stats: &CustomerStats, currency: Currency) -> Self {
        let (purchases, spent) = stats.currency(currency).map_or((0, 0), |figures| {
            (
                figures.orders_in(&PURCHASE_STATUSES),
                figures.total_in(&SPENT_STATUSES) - figures.refunded_in(&SPENT_STATUSES),
            )
        });
        Self {
            purchases,
            spent,
            downloads: stats.download_count,
            currency,
        }
    }

    fn node(&self) -> Node {
        Node::map([
            ("total_purchases", Node::Int(self.purchases)),
            (
                "total_spent",
                Node::Amount(self.currency.format_minor(self.spent)),
            ),
            ("total_downloads", Node::Int(self.downloads)),
        ])
    }
}

/// EDD keeps one `name` per customer and splits it at the first space: the first word
/// is the first name, the rest the last name (empty when the second word is empty).
fn split_name(customer: &Customer) -> (String, String) {
    let name = customer.full_name().unwrap_or_default();
    let mut words = name.splitn(2, ' ');
    let first = words.next().unwrap_or_default().to_owned();
    let rest = words.next().unwrap_or_default();
    let last = if rest.starts_with(' ') || rest.is_empty() {
        String::new()
    } else {
        rest.to_owned()
    };
    (first, last)
}

/// The fields of v1's `info`, in order.
pub const V1_INFO_FIELDS: [&str; 6] = [
    "id",
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
];

/// The fields of v2's `info`, in order.
pub const V2_INFO_FIELDS: [&str; 9] = [
    "customer_id",
    "user_id",
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "additional_emails",
    "date_created",
];

/// The fields of `stats`, in order.
pub const STATS_FIELDS: [&str; 3] = ["total_purchases", "total_spent", "total_downloads"];

/// One customer's `{"info": …, "stats": …}` in `version`'s shape.
pub fn customer_node(version: Version, customer: &Customer, totals: &Totals) -> Node {
    let info = match version {
        Version::V1 => v1_info(customer),
        Version::V2 => v2_info(customer),
    };
    Node::map([("info", info), ("stats", totals.node())])
}

/// The documented v1 shape: the user id (`-1` for guests, whose names all read
/// `Guest`), username, display name, first and last name, e-mail address.
fn v1_info(customer: &Customer) -> Node {
    let email = Node::str(customer.email.as_str());
    match customer.username() {
        Some(username) => Node::map([
            ("id", Node::Int(customer.id.0)),
            ("username", Node::str(username.as_str())),
            ("display_name", Node::str(customer.display_name.as_str())),
            ("first_name", Node::str(customer.first_name.as_str())),
            ("last_name", Node::str(customer.last_name.as_str())),
            ("email", email),
        ]),
        None => Node::map([
            ("id", Node::Int(-1)),
            ("username", Node::str("Guest")),
            ("display_name", Node::str("Guest")),
            ("first_name", Node::str("Guest")),
            ("last_name", Node::str("Guest")),
            ("email", email),
        ]),
    }
}

/// Current EDD's v2 shape. Ids read from the database are strings; a guest's `user_id`
/// is the integer 0. Additional addresses are `null` when there are none, else an
/// object keyed from 1 (EDD removes the primary address at key 0 from the list).
fn v2_info(customer: &Customer) -> Node {
    let (first_name, last_name) = split_name(customer);
    let (user_id, username, display_name) = match customer.username() {
        Some(username) => (
            Node::str(customer.id.0.to_string()),
            username.as_str().to_owned(),
            customer.display_name.clone(),
        ),
        None => (Node::Int(0), String::new(), String::new()),
    };
    let additional_emails = if customer.additional_emails.is_empty() {
        Node::Null
    } else {
        Node::List {
            first_key: 1,
            items: customer
                .additional_emails
                .iter()
                .map(|e| Node::str(e.as_str()))
                .collect(),
        }
    };
    Node::map([
        ("customer_id", Node::str(customer.id.0.to_string())),
        ("user_id", user_id),
        ("username", Node::Str(username)),
        ("display_name", Node::Str(display_name)),
        ("first_name", Node::Str(first_name)),
        ("last_name", Node::Str(last_name)),
        ("email", Node::str(customer.email.as_str())),
        ("additional_emails", additional_emails),
        (
            "date_created",
            Node::Str(
                customer
                    .created_at
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            ),
        ),
    ])
}

/// A whole answer: `status` and `node` written in `format`.
pub fn reply(status: u16, node: &Node, format: Format) -> Reply {
    let rendered = render(node, format);
    Reply::new(status, rendered.content_type, Body::Text(rendered.text))
}

/// A failure before the endpoint ran, in EDD's error shape.
pub fn refusal(error: &EddError, format: Format) -> Reply {
    reply(
        error.status(),
        &error_body(&error.to_string(), None),
        format,
    )
}

/// A fault in EDD's error shape; the details stay in the server's log.
pub fn fault_reply(fault: &Fault, format: Format) -> Reply {
    let message = match fault {
        Fault::Unavailable => errors::UNAVAILABLE,
        Fault::DeadlineExceeded => errors::DEADLINE_EXCEEDED,
        Fault::TooLarge { .. } => errors::TOO_LARGE,
        Fault::Unauthorized => {
            return refusal(&EddError::MissingCredentials, format);
        }
        Fault::Forbidden => return refusal(&EddError::NotAuthenticated, format),
        Fault::Malformed { reason } => {
            return reply(400, &error_body(reason, None), format);
        }
        Fault::NotFound { .. } | Fault::Conflict { .. } | Fault::Invalid(_) | Fault::Internal => {
            errors::INTERNAL
        }
    };
    let status = match fault {
        Fault::NotFound { .. } | Fault::Conflict { .. } | Fault::Invalid(_) => 500,
        _ => fault.status(),
    };
    reply(status, &error_body(message, None), format)
}

/// The 200 answer when nothing matched, with `request_speed` in seconds.
pub fn not_found_reply(request: &CustomersRequest, request_speed: f64) -> Reply {
    let message = not_found_message(request.version, request.customer.as_ref());
    reply(
        200,
        &error_body(&message, Some(request_speed)),
        request.format,
    )
}

/// The 200 answer with the customers found, each with its totals in `currency`: JSON
/// written straight from the records ([`customers_json`]), XML from the tree.
pub fn customers_reply<'a>(
    request: &CustomersRequest,
    rows: impl IntoIterator<Item = (&'a Customer, &'a CustomerStats)>,
    currency: Currency,
    request_speed: f64,
) -> Reply {
    let rows = rows
        .into_iter()
        .map(|(customer, stats)| (customer, Totals::from_stats(stats, currency)));
    match request.format {
        Format::Json => {
            let text = customers_json(request.version, rows, request_speed);
            Reply::new(200, JSON_TYPE, Body::Text(text))
        }
        Format::Xml => reply(
            200,
            &customers_body(request.version, rows, request_speed),
            Format::Xml,
        ),
    }
}

/// The success body as EDD's pretty JSON, written from typed objects: the text
/// [`to_pretty_json`] writes of [`customers_body`], without building the tree.
pub fn customers_json<'a>(
    version: Version,
    customers: impl IntoIterator<Item = (&'a Customer, Totals)>,
    request_speed: f64,
) -> String {
    output::to_pretty_json_of(&dto::CustomersBody::new(version, customers, request_speed))
}

/// The success body: `{"customers": [...], "request_speed": seconds}`.
pub fn customers_body<'a>(
    version: Version,
    customers: impl IntoIterator<Item = (&'a Customer, Totals)>,
    request_speed: f64,
) -> Node {
    let items = customers
        .into_iter()
        .map(|(customer, totals)| customer_node(version, customer, &totals))
        .collect();
    Node::map([
        ("customers", Node::list(items)),
        ("request_speed", Node::Float(request_speed)),
    ])
}
