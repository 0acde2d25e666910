//! The records of the import format as they are written (strings, optional fields), and
//! their conversion into model types. Conversion collects every failure of a record, each
//! with the dotted path of its field.

use customer_model::import::{
    CustomerRef, ImportCustomer, ImportDownloadGrant, ImportOrder, ImportSubscription, KeptApiKey,
};
use customer_model::{
    Address, Currency, CustomerDraft, CustomerId, DownloadFile, Email, FieldError,
    NewDownloadGrant, NewLineItem, NewOrder, NewProduct, NewRefund, NewSubscription, OrderId,
    OrderStatus, ProductId, SubscriptionStatus, Timestamp, Uuid,
};
use serde::Deserialize;

/// One failure of a record: the dotted path of the field and what is wrong.
pub(super) type Failure = (String, String);

/// The name of a field, made into its dotted path only when a failure needs it: most
/// records have none, and formatting a path for every line of every order costs.
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    /// A field of the record: `total`.
    Plain(&'a str),
    /// A field of an element of an array: `line_items.0.total`.
    Item(&'a str, usize, &'a str),
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain(name) => f.write_str(name),
            Self::Item(array, index, name) => write!(f, "{array}.{index}.{name}"),
        }
    }
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(name: &'a str) -> Self {
        Self::Plain(name)
    }
}

impl<'a> From<(&'a str, usize, &'a str)> for Field<'a> {
    fn from((array, index, name): (&'a str, usize, &'a str)) -> Self {
        Self::Item(array, index, name)
    }
}

impl From<Field<'_>> for String {
    fn from(field: Field<'_>) -> Self {
        field.to_string()
    }
}

/// Collects the failures of one record.
#[derive(Default)]
struct Failures(Vec<Failure>);

impl Failures {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    fn model(&mut self, errors: Vec<FieldError>) {
        for error in errors {
            self.push(error.path, error.kind.to_string());
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<Failure>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// A positive id, or a failure.
    fn id<'f>(&mut self, field: impl Into<Field<'f>>, id: Option<i64>) -> Option<i64> {
        match id {
            Some(id) if id <= 0 => {
                self.push(field.into(), "must be a positive integer");
                None
            }
            other => other,
        }
    }

    fn uuid<'f>(&mut self, field: impl Into<Field<'f>>, text: Option<&str>) -> Option<Uuid> {
        let text = text?;
        Uuid::parse_str(text)
            .map_err(|_| self.push(field.into(), "is not a UUID"))
            .ok()
    }

    fn timestamp<'f>(
        &mut self,
        field: impl Into<Field<'f>>,
        text: Option<&str>,
    ) -> Option<Timestamp> {
        let text = text?;
        text.parse::<Timestamp>()
            .map_err(|_| self.push(field.into(), "is not an RFC 3339 timestamp with an offset"))
            .ok()
    }

    fn currency<'f>(&mut self, field: impl Into<Field<'f>>, code: &str) -> Option<Currency> {
        Currency::parse(code)
            .map_err(|_| self.push(field.into(), "is not an ISO 4217 currency code"))
            .ok()
    }

    /// An amount in major units of `currency`, not negative. Without a currency (it was
    /// invalid, and said so) there is nothing to check it against.
    fn amount<'f>(
        &mut self,
        field: impl Into<Field<'f>>,
        currency: Option<Currency>,
        text: &str,
    ) -> Option<i64> {
        let currency = currency?;
        match currency.parse_major(text) {
            Ok(minor) if minor < 0 => {
                self.push(field.into(), "must not be negative");
                None
            }
            Ok(minor) => Some(minor),
            Err(error) => {
                self.push(
                    field.into(),
                    format!("is not a valid {currency} amount: {error}"),
                );
                None
            }
        }
    }
}

/// A postal address; every field is optional and empty when absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAddress {
    first_name: String,
    last_name: String,
    company: String,
    address_1: String,
    address_2: String,
    city: String,
    state: String,
    postcode: String,
    country: String,
    email: String,
    phone: String,
}

impl From<RawAddress> for Address {
    fn from(raw: RawAddress) -> Self {
        Address {
            first_name: raw.first_name,
            last_name: raw.last_name,
            company: raw.company,
            address_1: raw.address_1,
            address_2: raw.address_2,
            city: raw.city,
            state: raw.state,
            postcode: raw.postcode,
            country: raw.country,
            email: raw.email,
            phone: raw.phone,
        }
    }
}

/// A downloadable file of a product.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    id: String,
    name: String,
    url: String,
}

/// A product record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProduct {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    uuid: Option<String>,
    name: String,
    #[serde(default)]
    files: Vec<RawFile>,
}

impl RawProduct {
    pub(super) fn convert(self) -> Result<NewProduct, Vec<Failure>> {
        let mut failures = Failures::default();
        let id = failures.id("id", self.id).map(ProductId);
        let uuid = failures.uuid("uuid", self.uuid.as_deref());
        if self.name.trim().is_empty() {
            failures.push("name", "is required");
        }
        let mut files = Vec::with_capacity(self.files.len());
        for (i, file) in self.files.into_iter().enumerate() {
            if file.id.is_empty() {
                failures.push(format!("files.{i}.id"), "is required");
            } else if files.iter().any(|f: &DownloadFile| f.id == file.id) {
                failures.push(
                    format!("files.{i}.id"),
                    "repeats another file of the product",
                );
            }
            files.push(DownloadFile {
                id: file.id,
                name: file.name,
                url: file.url,
            });
        }
        failures.finish(NewProduct {
            id,
            uuid,
            name: self.name,
            files,
        })
    }
}

/// One meta data entry; `id` keeps the id another store gave it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    #[serde(default)]
    id: Option<i64>,
    key: String,
    value: serde_json::Value,
}

/// A customer record. `username` (with `role`, `password`) makes a registered account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCustomer {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    uuid: Option<String>,
    email: String,
    #[serde(default)]
    additional_emails: Vec<String>,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    modified_at: Option<String>,
    #[serde(default)]
    billing: RawAddress,
    #[serde(default)]
    shipping: RawAddress,
    #[serde(default)]
    meta_data: Vec<RawMeta>,
    #[serde(default)]
    avatar_url: Option<String>,
}

impl RawCustomer {
    pub(super) fn convert(self) -> Result<ImportCustomer, Vec<Failure>> {
        let mut failures = Failures::default();
        let uuid = failures.uuid("uuid", self.uuid.as_deref());
        let created_at = failures.timestamp("created_at", self.created_at.as_deref());
        let modified_at = failures.timestamp("modified_at", self.modified_at.as_deref());
        if let Some(hash) = &self.password_hash {
            if hash.is_empty() {
                failures.push("password_hash", "must not be empty");
            } else if self.username.is_none() {
                failures.push("password_hash", "a guest has no password");
            } else if self.password.is_some() {
                failures.push(
                    "password_hash",
                    "give either password or password_hash, not both",
                );
            }
        }
        let mut meta_ids = Vec::with_capacity(self.meta_data.len());
        for (i, meta) in self.meta_data.iter().enumerate() {
            meta_ids.push(failures.id(("meta_data", i, "id"), meta.id));
        }
        if meta_ids.iter().all(Option::is_none) {
            meta_ids.clear();
        }
        let draft = CustomerDraft {
            id: self.id,
            uuid,
            email: self.email,
            additional_emails: self.additional_emails,
            first_name: self.first_name,
            last_name: self.last_name,
            display_name: self.display_name,
            username: self.username,
            role: self.role,
            password: self.password,
            billing: self.billing.into(),
            shipping: self.shipping.into(),
            meta_data: self
                .meta_data
                .into_iter()
                .map(|meta| (meta.key, meta.value))
                .collect(),
            avatar_url: self.avatar_url,
            created_at,
        };
        match draft.into_valid() {
            Ok(customer) => failures.finish(ImportCustomer {
                customer,
                password_hash: self.password_hash,
                modified_at,
                meta_ids,
            }),
            Err(errors) => {
                failures.model(errors);
                Err(failures.0)
            }
        }
    }
}

/// One line of an order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLineItem {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    product_id: Option<i64>,
    name: String,
    #[serde(default = "one")]
    quantity: i64,
    total: String,
}

fn one() -> i64 {
    1
}

/// One refund of an order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefund {
    #[serde(default)]
    id: Option<i64>,
    amount: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    reason: String,
}

/// An order record: the buyer by `customer_id`, or by `email` for a guest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrder {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    customer_id: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    status: String,
    currency: String,
    total: String,
    #[serde(default)]
    subtotal: Option<String>,
    #[serde(default)]
    total_tax: Option<String>,
    #[serde(default)]
    shipping_total: Option<String>,
    #[serde(default)]
    discount_total: Option<String>,
    #[serde(default)]
    payment_method: String,
    #[serde(default)]
    payment_method_title: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    paid_at: Option<String>,
    #[serde(default)]
    completed_at: Option<String>,
    #[serde(default)]
    billing: RawAddress,
    #[serde(default)]
    shipping: RawAddress,
    #[serde(default)]
    line_items: Vec<RawLineItem>,
    #[serde(default)]
    refunds: Vec<RawRefund>,
}

fn order_status(failures: &mut Failures, slug: &str) -> OrderStatus {
    OrderStatus::parse(slug).unwrap_or_else(|| {
        let allowed: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        failures.push("status", format!("is not one of {}", allowed.join(", ")));
        OrderStatus::Pending
    })
}

fn subscription_status(failures: &mut Failures, slug: &str) -> SubscriptionStatus {
    SubscriptionStatus::parse(slug).unwrap_or_else(|| {
        let allowed: Vec<&str> = SubscriptionStatus::ALL.iter().map(|s| s.as_str()).collect();
        failures.push("status", format!("is not one of {}", allowed.join(", ")));
        SubscriptionStatus::Active
    })
}

impl RawOrder {
    pub(super) fn convert(self) -> Result<ImportOrder, Vec<Failure>> {
        let mut failures = Failures::default();
        let id = failures.id("id", self.id).map(OrderId);
        let uuid = failures.uuid("uuid", self.uuid.as_deref());
        let customer = match (failures.id("customer_id", self.customer_id), self.email) {
            (Some(id), None) => Some(CustomerRef::Id(CustomerId(id))),
            (None, Some(email)) => match Email::parse(&email) {
                Ok(email) => Some(CustomerRef::Email(email)),
                Err(_) => {
                    failures.push("email", "is not a valid e-mail address");
                    None
                }
            },
            (Some(_), Some(_)) => {
                failures.push("email", "give either customer_id or email, not both");
                None
            }
            (None, None) if self.customer_id.is_none() => {
                failures.push("customer_id", "is required (or email, for a guest)");
                None
            }
            (None, None) => None,
        };
        let status = order_status(&mut failures, &self.status);
        let currency = failures.currency("currency", &self.currency);
        let total = failures.amount("total", currency, &self.total).unwrap_or(0);
        let mut optional_amount = |field: &str, text: Option<String>| {
            text.map_or(0, |text| {
                failures.amount(field, currency, &text).unwrap_or(0)
            })
        };
        let subtotal = optional_amount("subtotal", self.subtotal);
        let total_tax = optional_amount("total_tax", self.total_tax);
        let shipping_total = optional_amount("shipping_total", self.shipping_total);
        let discount_total = optional_amount("discount_total", self.discount_total);
        let created_at = failures.timestamp("created_at", self.created_at.as_deref());
        let paid_at = failures.timestamp("paid_at", self.paid_at.as_deref());
        let completed_at = failures.timestamp("completed_at", self.completed_at.as_deref());
        let mut line_items = Vec::with_capacity(self.line_items.len());
        let mut line_ids = Vec::with_capacity(self.line_items.len());
        for (i, line) in self.line_items.into_iter().enumerate() {
            line_ids.push(failures.id(("line_items", i, "id"), line.id));
            let product_id = failures
                .id(("line_items", i, "product_id"), line.product_id)
                .map(ProductId);
            if line.quantity <= 0 {
                failures.push(
                    format!("line_items.{i}.quantity"),
                    "must be a positive integer",
                );
            }
            let line_total = failures
                .amount(("line_items", i, "total"), currency, &line.total)
                .unwrap_or(0);
            line_items.push(NewLineItem {
                product_id,
                name: line.name,
                quantity: line.quantity,
                total: line_total,
            });
        }
        let mut refunds = Vec::with_capacity(self.refunds.len());
        let mut refund_ids = Vec::with_capacity(self.refunds.len());
        for (i, refund) in self.refunds.into_iter().enumerate() {
            refund_ids.push(failures.id(("refunds", i, "id"), refund.id));
            let field = Field::Item("refunds", i, "amount");
            let amount = failures.amount(field, currency, &refund.amount);
            if amount == Some(0) {
                failures.push(field, "must be more than zero");
            }
            let amount = amount.unwrap_or(0);
            let created_at =
                failures.timestamp(("refunds", i, "created_at"), refund.created_at.as_deref());
            refunds.push(NewRefund {
                amount,
                created_at,
                reason: refund.reason,
            });
        }
        let refunded: i64 = refunds.iter().map(|r| r.amount).sum();
        if refunded > total && currency.is_some() {
            failures.push("refunds", "add up to more than the order's total");
        }
        let Some(customer) = customer else {
            return Err(failures.0);
        };
        let customer_id = match &customer {
            CustomerRef::Id(id) => *id,
            // Resolved by the store from the e-mail address.
            CustomerRef::Email(_) => CustomerId(0),
        };
        if line_ids.iter().all(Option::is_none) {
            line_ids.clear();
        }
        if refund_ids.iter().all(Option::is_none) {
            refund_ids.clear();
        }
        failures.finish(ImportOrder {
            customer,
            line_ids,
            refund_ids,
            order: NewOrder {
                id,
                uuid,
                customer_id,
                status,
                currency: currency.unwrap_or_else(unreachable_currency),
                total,
                subtotal,
                total_tax,
                shipping_total,
                discount_total,
                payment_method: self.payment_method,
                payment_method_title: self.payment_method_title,
                created_at,
                paid_at,
                completed_at,
                billing: self.billing.into(),
                shipping: self.shipping.into(),
                line_items,
                refunds,
            },
        })
    }
}

/// Stands in for a currency that failed to parse; the record is rejected anyway because
/// the failure was recorded.
fn unreachable_currency() -> Currency {
    Currency::parse("USD").expect("USD is an ISO 4217 currency")
}

/// A subscription record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSubscription {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    uuid: Option<String>,
    customer_id: i64,
    product_id: i64,
    status: String,
    currency: String,
    #[serde(default)]
    created_at: Option<String>,
}

impl RawSubscription {
    pub(super) fn convert(self) -> Result<ImportSubscription, Vec<Failure>> {
        let mut failures = Failures::default();
        let id = failures.id("id", self.id);
        let uuid = failures.uuid("uuid", self.uuid.as_deref());
        let customer_id = failures.id("customer_id", Some(self.customer_id));
        let product_id = failures.id("product_id", Some(self.product_id));
        let status = subscription_status(&mut failures, &self.status);
        let currency = failures.currency("currency", &self.currency);
        let created_at = failures.timestamp("created_at", self.created_at.as_deref());
        failures.finish(ImportSubscription {
            id,
            subscription: NewSubscription {
                uuid,
                customer_id: CustomerId(customer_id.unwrap_or(0)),
                product_id: ProductId(product_id.unwrap_or(0)),
                status,
                currency: currency.unwrap_or_else(unreachable_currency),
                created_at,
            },
        })
    }
}

/// A download grant record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDownloadGrant {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    download_id: String,
    customer_id: i64,
    order_id: i64,
    product_id: i64,
    #[serde(default)]
    downloads_remaining: Option<i64>,
    #[serde(default)]
    access_expires: Option<String>,
    #[serde(default)]
    download_count: i64,
}

impl RawDownloadGrant {
    pub(super) fn convert(self) -> Result<ImportDownloadGrant, Vec<Failure>> {
        let mut failures = Failures::default();
        let id = failures.id("id", self.id);
        if self.download_id.is_empty() {
            failures.push("download_id", "is required");
        }
        let customer_id = failures.id("customer_id", Some(self.customer_id));
        let order_id = failures.id("order_id", Some(self.order_id));
        let product_id = failures.id("product_id", Some(self.product_id));
        if self.downloads_remaining.is_some_and(|n| n < 0) {
            failures.push(
                "downloads_remaining",
                "must not be negative (null is unlimited)",
            );
        }
        if self.download_count < 0 {
            failures.push("download_count", "must not be negative");
        }
        let access_expires = failures.timestamp("access_expires", self.access_expires.as_deref());
        failures.finish(ImportDownloadGrant {
            id,
            grant: NewDownloadGrant {
                download_id: self.download_id,
                customer_id: CustomerId(customer_id.unwrap_or(0)),
                order_id: OrderId(order_id.unwrap_or(0)),
                product_id: ProductId(product_id.unwrap_or(0)),
                downloads_remaining: self.downloads_remaining,
                access_expires,
                download_count: self.download_count,
            },
        })
    }
}

/// An API key record, as another store kept it (exports write them with `--with-keys`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApiKey {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    id: i64,
    kind: String,
    #[serde(default)]
    description: String,
    permissions: String,
    lookup: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    truncated: String,
    created_at: String,
    #[serde(default)]
    last_access: Option<String>,
}

impl RawApiKey {
    pub(super) fn convert(self) -> Result<KeptApiKey, Vec<Failure>> {
        // Kind and permissions are the store's names: the store checks them.
        let mut failures = Failures::default();
        let id = failures.id("id", Some(self.id));
        for (field, value) in [("kind", &self.kind), ("permissions", &self.permissions)] {
            if value.is_empty() {
                failures.push(field, "is required");
            }
        }
        if self.lookup.is_empty() {
            failures.push("lookup", "is required");
        }
        let created_at = failures.timestamp("created_at", Some(&self.created_at));
        let last_access = failures.timestamp("last_access", self.last_access.as_deref());
        let (Some(id), Some(created_at)) = (id, created_at) else {
            return Err(failures.0);
        };
        failures.finish(KeptApiKey {
            id,
            kind: self.kind,
            description: self.description,
            permissions: self.permissions,
            lookup: self.lookup,
            secret: self.secret,
            truncated: self.truncated,
            created_at,
            last_access,
        })
    }
}
