//! Easy Digital Downloads API (`/edd-api/…`), endpoint `customers`, versions 1 and 2.
//!
//! - [`request`]: the `edd-api` value (version, endpoint), WordPress query variables
//!   (form body before query string) and the `customers` parameters.
//! - [`output`]: the PHP value tree and its two writers, `JSON_PRETTY_PRINT` JSON and
//!   EDD's `ArrayToXML`.
//! - This module: the customer objects of each version, the totals EDD reports, and the
//!   error and not-found bodies.
//!
//! v1 answers in the shape of EDD's public documentation (guests as id `-1` named
//! `Guest`); v2 in the shape of current EDD (`customer_id`, `user_id` 0 for guests,
//! `additional_emails`, `date_created`).

pub mod output;
pub mod request;

use customer_model::{Currency, Customer, CustomerStats, OrderStatus};

pub use output::Node;
pub use request::{CustomerLookup, CustomerParam, CustomersRequest, QueryVars};

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

/// A failure answered with `{"error": "…"}` and a status, before the endpoint runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EddError {
    /// A `vN/` prefix other than `v1` and `v2`.
    #[error("Invalid API version!")]
    InvalidVersion,
    /// An endpoint other than `customers`.
    #[error("Invalid query!")]
    InvalidQuery,
    /// `key` or `token` missing or empty.
    #[error("You must specify both a token and API key!")]
    MissingCredentials,
    /// No EDD key with this public key.
    #[error("Invalid API key!")]
    InvalidKey,
    /// The token is not md5(secret . key).
    #[error("Your request could not be authenticated!")]
    NotAuthenticated,
    /// A variable sent in the body and the query string with different values.
    #[error("A variable mismatch has been detected.")]
    VariableMismatch,
    /// A parameter EDD cannot read.
    #[error("Invalid {name}! Expected {expected}.")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What it accepts.
        expected: &'static str,
    },
    /// A parameter another one requires.
    #[error("Missing {name}! date=range needs a startdate (YYYYMMDD).")]
    MissingParameter {
        /// The parameter.
        name: &'static str,
    },
}

impl EddError {
    /// The HTTP status EDD answers with (2.5.7 and later).
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidVersion => 404,
            Self::MissingCredentials => 401,
            Self::InvalidKey | Self::NotAuthenticated => 403,
            Self::InvalidQuery
            | Self::VariableMismatch
            | Self::InvalidParameter { .. }
            | Self::MissingParameter { .. } => 400,
        }
    }
}

/// A body ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The `Content-Type`: `application/json` for JSON; EDD sets none for XML, so
    /// WordPress's default `text/html; charset=UTF-8` goes out.
    pub content_type: &'static str,
    /// The text.
    pub text: String,
}

/// Writes `node` in `format`.
pub fn render(node: &Node, format: Format) -> Rendered {
    match format {
        Format::Json => Rendered {
            content_type: "application/json",
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
