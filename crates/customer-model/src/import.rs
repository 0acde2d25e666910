//! What an import writes: records in model terms, one at a time or a whole batch.
//!
//! A decoder (the import format of `customer-wire`) produces [`ImportRecord`]s; a store
//! writes them. Each record is what a new record needs, plus, optionally, the identities
//! and bookkeeping a store gave it (meta data ids, line ids, a password hash, the last
//! change): data exported from one store (see [`crate::export`]) imports into another
//! unchanged.
//!
//! A record names others by id (an order its customer and products, a grant its order).
//! An order may instead name its buyer by e-mail address ([`CustomerRef::Email`]): the
//! customer who has the address, or a guest created for it.

use std::fmt;

use jiff::Timestamp;

use crate::customer::{CustomerId, NewAccount, NewCustomer};
use crate::email::Email;
use crate::export::StoredRecord;
use crate::ledger::{
    NewDownloadGrant, NewLineItem, NewOrder, NewProduct, NewRefund, NewSubscription,
};

/// The kinds of record, in the order a store writes a batch (each may name the kinds
/// before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A product.
    Product,
    /// A customer.
    Customer,
    /// An order with its lines and refunds.
    Order,
    /// A subscription.
    Subscription,
    /// A download grant.
    DownloadGrant,
    /// An API key.
    ApiKey,
}

impl RecordKind {
    /// Every kind, in writing order.
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Product,
        RecordKind::Customer,
        RecordKind::Order,
        RecordKind::Subscription,
        RecordKind::DownloadGrant,
        RecordKind::ApiKey,
    ];

    /// The plural name that starts the field path of a record in a batch
    /// (`orders.3.customer_id`).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Product => "products",
            Self::Customer => "customers",
            Self::Order => "orders",
            Self::Subscription => "subscriptions",
            Self::DownloadGrant => "download_grants",
            Self::ApiKey => "api_keys",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

/// How an imported order names its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    /// By id (of a customer written before, or already stored).
    Id(CustomerId),
    /// By e-mail address (primary or additional, ignoring case): a guest is created when
    /// no customer has it.
    Email(Email),
}

/// A customer to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportCustomer {
    /// The customer.
    pub customer: NewCustomer,
    /// A password hash as another store kept it (a PHC string), instead of a plain
    /// password in the account.
    pub password_hash: Option<String>,
    /// When the customer last changed; `None` means when it was created.
    pub modified_at: Option<Timestamp>,
    /// The ids of `customer.meta_data`'s entries, by position; an entry without one (or
    /// past the end) gets a new id.
    pub meta_ids: Vec<Option<i64>>,
}

impl From<NewCustomer> for ImportCustomer {
    fn from(customer: NewCustomer) -> Self {
        Self {
            customer,
            password_hash: None,
            modified_at: None,
            meta_ids: Vec::new(),
        }
    }
}

/// An API key as a store kept it, moved with the data. The model does not interpret it:
/// `kind` and `permissions` are the store's names for them, which the store checks when
/// it writes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptApiKey {
    /// Id.
    pub id: i64,
    /// The API family the key opens, by the store's name for it.
    pub kind: String,
    /// Free text.
    pub description: String,
    /// What the key may do, by the store's name for it.
    pub permissions: String,
    /// The value looked up on each request.
    pub lookup: String,
    /// What verification needs.
    pub secret: String,
    /// The last characters of the public part, for display.
    pub truncated: String,
    /// When created.
    pub created_at: Timestamp,
    /// When last used.
    pub last_access: Option<Timestamp>,
}

/// An order to import, with its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOrder {
    /// The buyer. `order.customer_id` is ignored: the store resolves this.
    pub customer: CustomerRef,
    /// The order.
    pub order: NewOrder,
    /// The ids of the order's lines, by position; a line without one gets a new id.
    pub line_ids: Vec<Option<i64>>,
    /// The ids of the order's refunds, by position; likewise.
    pub refund_ids: Vec<Option<i64>>,
}

impl ImportOrder {
    /// An order of `customer` whose lines and refunds get new ids.
    pub fn new(customer: CustomerRef, order: NewOrder) -> Self {
        Self {
            customer,
            order,
            line_ids: Vec::new(),
            refund_ids: Vec::new(),
        }
    }
}

/// A subscription to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSubscription {
    /// A chosen id; `None` lets the store assign one.
    pub id: Option<i64>,
    /// The subscription.
    pub subscription: NewSubscription,
}

impl From<NewSubscription> for ImportSubscription {
    fn from(subscription: NewSubscription) -> Self {
        Self {
            id: None,
            subscription,
        }
    }
}

/// A download grant to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDownloadGrant {
    /// A chosen id; `None` lets the store assign one.
    pub id: Option<i64>,
    /// The grant.
    pub grant: NewDownloadGrant,
}

impl From<NewDownloadGrant> for ImportDownloadGrant {
    fn from(grant: NewDownloadGrant) -> Self {
        Self { id: None, grant }
    }
}

/// One record of an import.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRecord {
    /// A product.
    Product(NewProduct),
    /// A customer.
    Customer(ImportCustomer),
    /// An order.
    Order(ImportOrder),
    /// A subscription.
    Subscription(ImportSubscription),
    /// A download grant.
    DownloadGrant(ImportDownloadGrant),
    /// An API key, as stored (its id, lookup value and secret kept).
    ApiKey(KeptApiKey),
}

impl ImportRecord {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Product(_) => RecordKind::Product,
            Self::Customer(_) => RecordKind::Customer,
            Self::Order(_) => RecordKind::Order,
            Self::Subscription(_) => RecordKind::Subscription,
            Self::DownloadGrant(_) => RecordKind::DownloadGrant,
            Self::ApiKey(_) => RecordKind::ApiKey,
        }
    }
}

/// A stored record as it imports: every id, UUID and instant kept.
impl From<StoredRecord> for ImportRecord {
    fn from(stored: StoredRecord) -> Self {
        match stored {
            StoredRecord::Product(product) => Self::Product(NewProduct {
                id: Some(product.id),
                uuid: Some(product.uuid),
                name: product.name,
                files: product.files,
            }),
            StoredRecord::Customer(customer) => {
                let (account, password_hash) = match customer.account {
                    Some(account) => (
                        Some(NewAccount {
                            username: account.username,
                            role: account.role,
                            password: None,
                        }),
                        account.password_hash,
                    ),
                    None => (None, None),
                };
                let meta_ids = customer.meta_data.iter().map(|m| Some(m.id)).collect();
                Self::Customer(ImportCustomer {
                    customer: NewCustomer {
                        id: Some(customer.id),
                        uuid: Some(customer.uuid),
                        email: customer.email,
                        additional_emails: customer.additional_emails,
                        first_name: customer.first_name,
                        last_name: customer.last_name,
                        display_name: Some(customer.display_name),
                        account,
                        billing: customer.billing,
                        shipping: customer.shipping,
                        meta_data: customer
                            .meta_data
                            .into_iter()
                            .map(|m| (m.key, m.value))
                            .collect(),
                        avatar_url: customer.avatar_url,
                        created_at: Some(customer.created_at),
                    },
                    password_hash,
                    modified_at: customer.modified_at,
                    meta_ids,
                })
            }
            StoredRecord::Order(order) => Self::Order(ImportOrder {
                customer: CustomerRef::Id(order.customer_id),
                line_ids: order.line_items.iter().map(|l| Some(l.id)).collect(),
                refund_ids: order.refunds.iter().map(|r| Some(r.id)).collect(),
                order: NewOrder {
                    id: Some(order.id),
                    uuid: Some(order.uuid),
                    customer_id: order.customer_id,
                    status: order.status,
                    currency: order.currency,
                    total: order.total,
                    subtotal: order.subtotal,
                    total_tax: order.total_tax,
                    shipping_total: order.shipping_total,
                    discount_total: order.discount_total,
                    payment_method: order.payment_method,
                    payment_method_title: order.payment_method_title,
                    created_at: Some(order.created_at),
                    paid_at: order.paid_at,
                    completed_at: order.completed_at,
                    billing: order.billing,
                    shipping: order.shipping,
                    line_items: order
                        .line_items
                        .into_iter()
                        .map(|line| NewLineItem {
                            product_id: line.product_id,
                            name: line.name,
                            quantity: line.quantity,
                            total: line.total,
                        })
                        .collect(),
                    refunds: order
                        .refunds
                        .into_iter()
                        .map(|refund| NewRefund {
                            amount: refund.amount,
                            created_at: Some(refund.created_at),
                            reason: refund.reason,
                        })
                        .collect(),
                },
            }),
            StoredRecord::Subscription(subscription) => Self::Subscription(ImportSubscription {
                id: Some(subscription.id),
                subscription: NewSubscription {
                    uuid: Some(subscription.uuid),
                    customer_id: subscription.customer_id,
                    product_id: subscription.product_id,
                    status: subscription.status,
                    currency: subscription.currency,
                    created_at: Some(subscription.created_at),
                },
            }),
            StoredRecord::DownloadGrant(grant) => Self::DownloadGrant(ImportDownloadGrant {
                id: Some(grant.id),
                grant: NewDownloadGrant {
                    download_id: grant.download_id,
                    customer_id: grant.customer_id,
                    order_id: grant.order_id,
                    product_id: grant.product_id,
                    downloads_remaining: grant.downloads_remaining,
                    access_expires: grant.access_expires,
                    download_count: grant.download_count,
                },
            }),
            StoredRecord::ApiKey(key) => Self::ApiKey(key),
        }
    }
}

/// A whole import held in memory, by kind, for small imports (tests, fixtures, the demo
/// store). A store writes it kind by kind in [`RecordKind::ALL`] order, so a record may
/// name any record of the batch of an earlier kind, or one already stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    /// Products.
    pub products: Vec<NewProduct>,
    /// Customers.
    pub customers: Vec<ImportCustomer>,
    /// Orders.
    pub orders: Vec<ImportOrder>,
    /// Subscriptions.
    pub subscriptions: Vec<ImportSubscription>,
    /// Download grants.
    pub download_grants: Vec<ImportDownloadGrant>,
    /// API keys.
    pub api_keys: Vec<KeptApiKey>,
}

impl ImportBatch {
    /// How many records there are of every kind.
    pub fn len(&self) -> usize {
        self.products.len()
            + self.customers.len()
            + self.orders.len()
            + self.subscriptions.len()
            + self.download_grants.len()
            + self.api_keys.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many records there are of `kind`.
    pub fn count(&self, kind: RecordKind) -> usize {
        match kind {
            RecordKind::Product => self.products.len(),
            RecordKind::Customer => self.customers.len(),
            RecordKind::Order => self.orders.len(),
            RecordKind::Subscription => self.subscriptions.len(),
            RecordKind::DownloadGrant => self.download_grants.len(),
            RecordKind::ApiKey => self.api_keys.len(),
        }
    }

    /// Adds a record at the end of its kind.
    pub fn push(&mut self, record: ImportRecord) {
        match record {
            ImportRecord::Product(r) => self.products.push(r),
            ImportRecord::Customer(r) => self.customers.push(r),
            ImportRecord::Order(r) => self.orders.push(r),
            ImportRecord::Subscription(r) => self.subscriptions.push(r),
            ImportRecord::DownloadGrant(r) => self.download_grants.push(r),
            ImportRecord::ApiKey(r) => self.api_keys.push(r),
        }
    }

    /// The records in writing order: kind by kind, each kind in its order.
    pub fn into_records(self) -> impl Iterator<Item = ImportRecord> {
        let Self {
            products,
            customers,
            orders,
            subscriptions,
            download_grants,
            api_keys,
        } = self;
        products
            .into_iter()
            .map(ImportRecord::Product)
            .chain(customers.into_iter().map(ImportRecord::Customer))
            .chain(orders.into_iter().map(ImportRecord::Order))
            .chain(subscriptions.into_iter().map(ImportRecord::Subscription))
            .chain(download_grants.into_iter().map(ImportRecord::DownloadGrant))
            .chain(api_keys.into_iter().map(ImportRecord::ApiKey))
    }
}

/// How many records an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Products written.
    pub products: u64,
    /// Customers written (guests created for orders included).
    pub customers: u64,
    /// Orders written.
    pub orders: u64,
    /// Subscriptions written.
    pub subscriptions: u64,
    /// Download grants written.
    pub download_grants: u64,
    /// API keys written.
    pub api_keys: u64,
}

impl ImportSummary {
    /// Counts one record of `kind`.
    pub fn count(&mut self, kind: RecordKind) {
        *self.of_mut(kind) += 1;
    }

    /// How many records of `kind` were written.
    pub fn of(&self, kind: RecordKind) -> u64 {
        match kind {
            RecordKind::Product => self.products,
            RecordKind::Customer => self.customers,
            RecordKind::Order => self.orders,
            RecordKind::Subscription => self.subscriptions,
            RecordKind::DownloadGrant => self.download_grants,
            RecordKind::ApiKey => self.api_keys,
        }
    }

    fn of_mut(&mut self, kind: RecordKind) -> &mut u64 {
        match kind {
            RecordKind::Product => &mut self.products,
            RecordKind::Customer => &mut self.customers,
            RecordKind::Order => &mut self.orders,
            RecordKind::Subscription => &mut self.subscriptions,
            RecordKind::DownloadGrant => &mut self.download_grants,
            RecordKind::ApiKey => &mut self.api_keys,
        }
    }

    /// Every record written, of any kind.
    pub fn total(&self) -> u64 {
        RecordKind::ALL.iter().map(|&kind| self.of(kind)).sum()
    }
}

impl std::ops::AddAssign for ImportSummary {
    fn add_assign(&mut self, other: Self) {
        for kind in RecordKind::ALL {
            *self.of_mut(kind) += other.of(kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_give_their_records_in_writing_order() {
        let key = |id| KeptApiKey {
            id,
            kind: "bearer".to_owned(),
            description: String::new(),
            permissions: "read".to_owned(),
            lookup: id.to_string(),
            secret: String::new(),
            truncated: String::new(),
            created_at: Timestamp::UNIX_EPOCH,
            last_access: None,
        };
        let batch = ImportBatch {
            products: vec![
                NewProduct {
                    id: None,
                    uuid: None,
                    name: "a".into(),
                    files: Vec::new(),
                };
                2
            ],
            api_keys: vec![key(1), key(2)],
            ..ImportBatch::default()
        };
        assert_eq!(batch.count(RecordKind::ApiKey), 2);
        assert_eq!(batch.len(), 4);
        let kinds: Vec<RecordKind> = batch.into_records().map(|r| r.kind()).collect();
        assert_eq!(
            kinds,
            [
                RecordKind::Product,
                RecordKind::Product,
                RecordKind::ApiKey,
                RecordKind::ApiKey
            ]
        );
    }

    #[test]
    fn summaries_add_up_by_kind() {
        let mut total = ImportSummary::default();
        let mut part = ImportSummary::default();
        part.count(RecordKind::Order);
        part.count(RecordKind::Order);
        part.count(RecordKind::ApiKey);
        total += part;
        total += part;
        assert_eq!(total.orders, 4);
        assert_eq!(total.api_keys, 2);
        assert_eq!(total.total(), 6);
    }
}
