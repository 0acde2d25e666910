//! Storage of clientele's one customer database, in model terms.
//!
//! [`CustomerStore`] is the boundary: callers (the HTTP server, the command line) speak
//! only model types to it, and no backend type (no `rusqlite` or `tokio-postgres` type)
//! appears in it. The SQLite backend is [`sqlite::SqliteStore`], the embedded default;
//! the PostgreSQL backend is `postgres::PostgresStore` (feature `postgres`), for several
//! servers on one database. Both run the same `conformance` suite (feature `testing`).
//! [`Location`] reads the command line's `--db` and opens either.
//!
//! # Contract every backend keeps
//! - **Uniqueness by the database.** E-mail addresses (primary and additional, together,
//!   ignoring ASCII case) and usernames (ignoring case) are unique, enforced by unique
//!   indexes so that two concurrent creates cannot both win. A violation is
//!   [`StoreError::Conflict`] naming the field (`email`, `username`, `id`, `uuid`).
//! - **Aggregates on write.** Every ledger write (order insert, status change, refund,
//!   delete; subscription and download grant changes) updates the customer's
//!   [`CustomerStats`] in the same transaction. No read computes a total by scanning orders.
//! - **Index-backed reads.** Lists, counts, searches and single reads use indexes.
//! - **Atomic imports.** An [`ImportSession`] makes everything written through it visible
//!   at once when committed, or nothing; it streams (memory does not grow with the
//!   import) and keeps aggregates and indexes exactly as row-by-row writes would.
//!   [`CustomerStore::import`] writes a whole batch that way.
//! - **Consistent exports.** An [`ExportSession`] reads every record of one snapshot, in
//!   pages, kind by kind and by id.
//! - **Classification.** Not found → [`StoreError::NotFound`]; unique violations →
//!   [`StoreError::Conflict`]; a reference to a missing record or a value the store cannot
//!   keep → [`StoreError::Invalid`]; a busy or closed database → [`StoreError::Unavailable`];
//!   anything else → [`StoreError::Backend`].
//! - **Saved states.** [`CustomerStore::save_state`] keeps a copy of every table the
//!   schema has (whatever added it), id sequences included, and
//!   [`CustomerStore::restore_state`] puts it back, atomically with respect to every
//!   other call: a test suite's reset and snapshots.
//! - **One clock.** Every instant the store stamps comes from its [`Clock`].

mod clock;
pub mod keys;
mod location;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
mod transfer;
mod values;

#[cfg(feature = "testing")]
pub mod conformance;

use async_trait::async_trait;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, DeliveryRecord, NewWebhook, Webhook, WebhookEvent, WebhookPatch,
    WebhookQuery,
};
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadFile,
    DownloadGrant, NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription,
    Order, OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};

pub use clock::{Clock, ClockMode};
pub use customer_model::export::StoredRecord;
pub use customer_model::import::{
    CustomerRef, ImportBatch, ImportCustomer, ImportDownloadGrant, ImportOrder, ImportRecord,
    ImportSubscription, ImportSummary, RecordKind,
};
pub use keys::{ApiKey, KeyKind, KeyPermissions, NewApiKey};
pub use location::{Location, mask_password};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use transfer::{
    ExportOptions, ExportSession, Held, ImportMode, ImportOptions, ImportSession, Rejection,
    Unresolved, Written,
};

/// What went wrong in the store. Callers branch on the kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for: `customer`, `order`, `product`, `key`, …
        entity: &'static str,
    },
    /// A unique value is taken.
    #[error("{field} already exists")]
    Conflict {
        /// The field whose value is taken: `email`, `username`, `id`, `uuid`.
        field: &'static str,
    },
    /// The input cannot be stored (a missing reference, an impossible value).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, as a dotted path.
        field: String,
        /// Why, in words.
        reason: String,
    },
    /// The database cannot be reached or is busy beyond the wait limit.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend reported.
    #[error("store backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// A customer with its aggregates, as lists return them.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    /// The customer.
    pub customer: Customer,
    /// Its aggregates.
    pub stats: CustomerStats,
}

/// A page of a list with the exact number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of the page.
    pub items: Vec<T>,
    /// How many rows match the filters, over all pages.
    pub total: u64,
}

/// A download a customer may make: the grant with its product and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDownload {
    /// The grant.
    pub grant: DownloadGrant,
    /// The product's name.
    pub product_name: String,
    /// The file.
    pub file: DownloadFile,
    /// The order's UUID, which dialects use as the order key.
    pub order_uuid: Uuid,
}

/// The storage boundary. All methods are async; backends keep blocking work off the
/// async executor's threads.
#[async_trait]
pub trait CustomerStore: Send + Sync + 'static {
    /// Answers when the database can be read.
    async fn health(&self) -> StoreResult<()>;

    /// Creates a customer. Conflicts name `email`, `username`, `id` or `uuid`.
    async fn create_customer(&self, new: NewCustomer) -> StoreResult<Customer>;
    /// The customer with `id`.
    async fn customer(&self, id: CustomerId) -> StoreResult<Customer>;
    /// The customer with `uuid`.
    async fn customer_by_uuid(&self, uuid: Uuid) -> StoreResult<Customer>;
    /// The customer with this primary or additional e-mail address (ignoring case).
    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer>;
    /// Applies `patch` (WooCommerce meta semantics) and returns the stored result.
    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> StoreResult<Customer>;
    /// Deletes a customer with its ledger and returns it as it was.
    async fn delete_customer(&self, id: CustomerId) -> StoreResult<Customer>;
    /// Lists customers with their aggregates and the exact count of matches.
    async fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>>;
    /// Like [`CustomerStore::list_customers`], for a caller that never reads the
    /// customers' billing and shipping addresses (easycart's and EDD's lists): a backend
    /// may leave them empty rather than read them. The default reads them.
    async fn list_customers_without_addresses(
        &self,
        query: &CustomerQuery,
    ) -> StoreResult<Page<CustomerRecord>> {
        self.list_customers(query).await
    }
    /// Counts customers matching the query's filters.
    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64>;
    /// The aggregates of one customer.
    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats>;
    /// The customer with `id` and its aggregates (one record, as a single read shows
    /// it). The default makes the two calls; a backend answers it in one trip.
    async fn customer_record(&self, id: CustomerId) -> StoreResult<CustomerRecord> {
        let customer = self.customer(id).await?;
        let stats = self.customer_stats(id).await?;
        Ok(CustomerRecord { customer, stats })
    }

    /// Creates a product.
    async fn create_product(&self, new: NewProduct) -> StoreResult<Product>;
    /// The product with `id`.
    async fn product(&self, id: ProductId) -> StoreResult<Product>;
    /// The product with `uuid`.
    async fn product_by_uuid(&self, uuid: Uuid) -> StoreResult<Product>;

    /// Records an order (with its refunds) and updates the aggregates.
    async fn create_order(&self, new: NewOrder) -> StoreResult<Order>;
    /// The order with `id`.
    async fn order(&self, id: OrderId) -> StoreResult<Order>;
    /// Changes an order's status (setting paid/completed instants) and the aggregates.
    async fn set_order_status(
        &self,
        id: OrderId,
        status: OrderStatus,
        at: Timestamp,
    ) -> StoreResult<Order>;
    /// Adds a refund to an order and updates the aggregates. A refund larger than what
    /// is left of the total is [`StoreError::Invalid`].
    async fn add_refund(&self, id: OrderId, refund: NewRefund) -> StoreResult<Order>;
    /// Deletes an order and updates the aggregates.
    async fn delete_order(&self, id: OrderId) -> StoreResult<()>;
    /// A customer's orders, newest first, with the exact count.
    async fn customer_orders(&self, id: CustomerId, page: PageRequest) -> StoreResult<Page<Order>>;

    /// Records a subscription.
    async fn create_subscription(&self, new: NewSubscription) -> StoreResult<Subscription>;
    /// Changes a subscription's status.
    async fn set_subscription_status(
        &self,
        id: i64,
        status: SubscriptionStatus,
    ) -> StoreResult<Subscription>;
    /// A customer's subscriptions, oldest first.
    async fn customer_subscriptions(&self, id: CustomerId) -> StoreResult<Vec<Subscription>>;

    /// Records a download grant.
    async fn create_download_grant(&self, new: NewDownloadGrant) -> StoreResult<DownloadGrant>;
    /// A customer's download grants with product and file, oldest first.
    async fn customer_downloads(&self, id: CustomerId) -> StoreResult<Vec<CustomerDownload>>;

    /// Starts an import: nothing written through the session is visible until it is
    /// committed. While it runs, reads see the store as it was; other writes wait.
    async fn begin_import(&self, options: ImportOptions) -> StoreResult<Box<dyn ImportSession>>;
    /// Starts an export of the store as it is now.
    async fn begin_export(&self, options: ExportOptions) -> StoreResult<Box<dyn ExportSession>>;
    /// Writes a whole batch or nothing. A bad record is [`StoreError::Invalid`] naming it
    /// by kind and index (`orders.3.customer_id`).
    async fn import(&self, batch: ImportBatch) -> StoreResult<ImportSummary> {
        self.import_with(batch, ImportOptions::default()).await
    }
    /// [`CustomerStore::import`] with the session's options (whether it fires webhooks).
    async fn import_with(
        &self,
        batch: ImportBatch,
        options: ImportOptions,
    ) -> StoreResult<ImportSummary> {
        transfer::import_batch(self, batch, options).await
    }
    /// The currencies anything was ordered in, by code.
    async fn currencies(&self) -> StoreResult<Vec<Currency>>;

    /// Stores an API key.
    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey>;
    /// Every key, revoked ones excluded, oldest first.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// The live key of `kind` whose lookup value is `lookup`.
    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>>;
    /// Revokes a key by id; it no longer authenticates.
    async fn revoke_api_key(&self, id: i64) -> StoreResult<ApiKey>;
    /// Records that a key was used at `at` (servers batch these: the last use per key,
    /// written in the background). The stamp is informational: a backend may skip it
    /// rather than make the request wait while writes are held up (a long import).
    async fn touch_api_key(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    /// A number that changes whenever a key is created, changed or revoked, by this or
    /// any other process using the same database, and not when a key is used. Servers
    /// that keep keys in memory read it (cheaply, often) to know when to reload them.
    async fn api_key_generation(&self) -> StoreResult<u64>;
    /// Remembers an OAuth nonce of a key. Returns `false` when the same key already used
    /// it with the same timestamp (a replay). Nonces older than `forget_before` may be
    /// dropped.
    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        forget_before: i64,
    ) -> StoreResult<bool>;

    /// Creates a webhook. An active one gets its ping event in the same transaction.
    async fn create_webhook(&self, new: NewWebhook) -> StoreResult<Webhook>;
    /// The webhook with `id`.
    async fn webhook(&self, id: i64) -> StoreResult<Webhook>;
    /// Lists webhooks with the exact count of matches.
    async fn list_webhooks(&self, query: &WebhookQuery) -> StoreResult<Page<Webhook>>;
    /// Changes a webhook. One that stops being active drops its waiting events; one made
    /// active again starts with no failures.
    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> StoreResult<Webhook>;
    /// Deletes a webhook with its waiting events and log; returns it as it was.
    async fn delete_webhook(&self, id: i64) -> StoreResult<Webhook>;
    /// Leases, for `owner` until `lease_until`, up to `limit` webhooks whose oldest
    /// waiting event is due at `now` and which no other owner holds, and hands over
    /// their oldest events in commit order. Safe across processes sharing the database:
    /// a webhook is held by one owner at a time, so its events go out in order.
    async fn claim_webhook_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedWebhook>>;
    /// Logs one delivery attempt of `event` and settles it (see [`AfterAttempt`]);
    /// returns the webhook afterwards (disabled after too many consecutive failures).
    async fn record_webhook_attempt(
        &self,
        event: &WebhookEvent,
        record: DeliveryRecord,
        after: AfterAttempt,
    ) -> StoreResult<Webhook>;
    /// Gives up `owner`'s lease of webhook `id`.
    async fn release_webhook(&self, id: i64, owner: &str) -> StoreResult<()>;
    /// The latest delivery attempts of webhook `id`, newest first (the log keeps the
    /// last hundred per webhook).
    async fn webhook_deliveries(&self, id: i64, limit: usize) -> StoreResult<Vec<DeliveryRecord>>;
    /// Empties every webhook's outbox and delivery log (the webhooks stay).
    async fn clear_webhook_deliveries(&self) -> StoreResult<()>;
    /// The clock the store stamps instants with; the server shares it.
    fn clock(&self) -> &Clock;
    /// Saves the whole state (every table of the schema, id sequences included) under
    /// `name`, replacing a state saved under it before. Names are letters, digits, `-`,
    /// `_` and `.`, at most 47, not starting with `.` ([`StoreError::Invalid`] on `name`).
    async fn save_state(&self, name: &str) -> StoreResult<()>;
    /// Puts back the state saved under `name`, as one change that concurrent calls see
    /// whole or not at all; [`StoreError::NotFound`] (`state`) when there is none. The
    /// key generation moves on, so servers that keep keys in memory reload them.
    async fn restore_state(&self, name: &str) -> StoreResult<()>;
    /// Forgets the state saved under `name`; [`StoreError::NotFound`] when there is none.
    async fn delete_state(&self, name: &str) -> StoreResult<()>;
    /// The names of the saved states, sorted.
    async fn state_names(&self) -> StoreResult<Vec<String>>;
    /// Keeps saved states as files in `dir`, where they outlive the process, where the
    /// backend keeps them in memory otherwise; [`StoreError::Invalid`] (`snapshot_dir`)
    /// for a backend that keeps them in its database anyway.
    fn keep_states_in(&self, dir: &std::path::Path) -> StoreResult<()>;
}

/// Checks a saved state's name (see [`CustomerStore::save_state`]).
pub fn check_state_name(name: &str) -> StoreResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 47
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "name".into(),
            reason: "a name is 1 to 47 letters, digits, '-', '_' or '.', not starting with '.'"
                .into(),
        })
    }
}
