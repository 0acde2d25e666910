//! The canonical customer model of clientele: pure types and validation.
//!
//! Every API dialect that clientele speaks decodes its requests into these types and
//! encodes its responses from them. The crate does no I/O, has no async code and knows no
//! JSON field name of any dialect. It depends on `serde_json` only for [`serde_json::Value`],
//! the type of a meta data value, which may be any JSON value.
//!
//! - [`money`]: integer minor units with an ISO 4217 currency, exact decimal parse/format.
//! - [`email`]: e-mail addresses, valid by WordPress's `is_email` rule.
//! - [`username`]: account names, valid by WordPress's strict `sanitize_user` rule.
//! - [`customer`]: customers, accounts, addresses, meta data; create and patch inputs.
//! - [`ledger`]: products, orders, refunds, subscriptions and download grants.
//! - [`limits`]: the largest values a customer may hold, checked on every write.
//! - [`stats`]: per-customer, per-currency aggregates kept by the store.
//! - [`import`], [`export`]: records as an import writes them and an export reads them.
//! - [`query`]: the customer list query (filters, sort, paging) as plain types.
//! - [`validate`]: field errors, collected rather than stopping at the first.

pub mod customer;
pub mod email;
pub mod export;
pub mod import;
pub mod ledger;
pub mod limits;
pub mod money;
pub mod query;
pub mod stats;
pub mod username;
pub mod validate;
pub mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use customer::{
    Account, Address, AddressPatch, Customer, CustomerDraft, CustomerId, CustomerPatch, MetaEntry,
    MetaUpdate, NewAccount, NewCustomer, Role,
};
pub use email::Email;
pub use ledger::{
    DownloadFile, DownloadGrant, LineItem, NewDownloadGrant, NewLineItem, NewOrder, NewProduct,
    NewRefund, NewSubscription, Order, OrderId, OrderStatus, Product, ProductId, Refund,
    Subscription, SubscriptionStatus,
};
pub use money::{Currency, Money, MoneyError};
pub use query::{
    AccountFilter, CustomerFilter, CustomerQuery, PageRequest, SearchField, SortDirection, SortKey,
    TextSearch, TimeRange,
};
pub use stats::{CurrencyStats, CustomerStats, OrderRef, StatusTotals};
pub use username::{Username, sanitize_user};
pub use validate::{FieldError, FieldErrorKind};

/// An instant in time (UTC), as stored. Re-exported so that dependants name one type.
pub use jiff::Timestamp;
/// A customer's second identity, the easycart id.
pub use uuid::Uuid;
