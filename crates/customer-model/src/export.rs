//! What an export reads: every stored record, whole, in model terms.
//!
//! A store hands its records out kind by kind in [`crate::import::RecordKind::ALL`]
//! order (products, customers, orders, subscriptions, download grants, then API keys
//! when asked for), each kind by id, so that importing them in the same order finds
//! every record a record names already written. [`crate::import::ImportRecord`] converts
//! from a [`StoredRecord`] keeping every id, UUID and instant.

use crate::customer::Customer;
use crate::import::{KeptApiKey, RecordKind};
use crate::ledger::{DownloadGrant, Order, Product, Subscription};

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredRecord {
    /// A product with its files.
    Product(Product),
    /// A customer with account (and password hash), addresses and meta data.
    Customer(Customer),
    /// An order with its lines and refunds.
    Order(Order),
    /// A subscription.
    Subscription(Subscription),
    /// A download grant.
    DownloadGrant(DownloadGrant),
    /// An API key with its lookup value and secret.
    ApiKey(KeptApiKey),
}

impl StoredRecord {
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
