//! The SQLite backend of [`CustomerStore`].
//!
//! # Connections
//! A file database has one writer connection behind a mutex (SQLite admits one writer at
//! a time anyway; queuing in the process is cheaper than `SQLITE_BUSY` retries) and a
//! small pool of read-only connections. The journal is a write-ahead log, so readers
//! never wait for the writer and see the last committed state; `synchronous = NORMAL`
//! makes a commit durable against a killed process (the log is in the OS's hands when
//! `COMMIT` returns), which is what "acknowledged writes survive" asks.
//!
//! An in-memory database ([`SqliteStore::open_in_memory`]) is one connection serving both
//! roles: SQLite's shared-cache mode would let several connections share it, but with
//! table-level locks that fail instead of waiting; one connection is simpler and exact.
//!
//! Every call runs on tokio's blocking pool (`spawn_blocking`), never on the executor's
//! threads. Writes run in an `IMMEDIATE` transaction; reads of several statements run in
//! one read transaction so that a page and its total agree.
//!
//! # Bounded work
//! At most [`SqliteStore::max_readers`] reads run at once (more would only share the
//! same cores, each with its own page cache); further calls wait, without holding a
//! thread, for a turn, as writes wait for the writer. A call whose future is dropped
//! (the request's deadline passed, the client went away) stops waiting, or, once
//! running, is stopped by SQLite's progress handler within a few thousand virtual machine
//! steps: a write then rolls back.
//!
//! # Modules
//! - `schema`: tables, indexes and migrations.
//! - `customers`, `ledger`, `list`, `api_keys`: the statements, as functions over a
//!   connection that the caller holds in a transaction.
//! - `import`, `export`: sessions that hold a connection and a transaction on a thread
//!   of their own across many calls.
//! - `codec`: value conversions and error classification.
//! - `functions`: SQL functions the queries call (registered on every connection).

mod api_keys;
mod codec;
mod customers;
mod export;
mod functions;
mod import;
mod ledger;
mod list;
mod schema;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, CustomerEvent, DeliveryRecord, NewWebhook, Webhook, WebhookEvent,
    WebhookPatch, WebhookQuery,
};
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadGrant,
    NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order,
    OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::values::hash_password;
use crate::{
    ApiKey, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportMode, ImportSession, KeyKind, NewApiKey, Page, StoreError, StoreResult,
};
use codec::backend;

/// How long a statement waits for a lock before the store reports itself unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The writer's page cache, KiB.
const WRITER_CACHE_KIB: i64 = 256 * 1024;
/// Prepared statements kept per connection: enough for every fixed statement plus the
/// list queries of the usual filter combinations.
const STATEMENT_CACHE: usize = 256;
/// Virtual machine steps between two checks of whether the caller is still there: a
/// check costs a few nanoseconds, and a few thousand steps take microseconds.
const PROGRESS_STEPS: std::ffi::c_int = 4096;

/// Reads that may run at once: twice the cores, at least four.
fn default_max_readers() -> usize {
    std::thread::available_parallelism().map_or(4, |n| (2 * n.get()).max(4))
}

/// Tells the database work of one call that its caller has gone: set when the call's
/// future is dropped (harmless once the work has finished).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on `conn` with a progress handler that stops it once `cancelled` is set;
/// the handler is removed afterwards, since the connection serves other calls next.
fn watched<T>(
    conn: &mut Connection,
    cancelled: &Arc<AtomicBool>,
    work: impl FnOnce(&mut Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    if cancelled.load(Ordering::Relaxed) {
        return Err(StoreError::Unavailable(
            "the caller went away before the work started".into(),
        ));
    }
    let flag = Arc::clone(cancelled);
    conn.progress_handler(PROGRESS_STEPS, Some(move || flag.load(Ordering::Relaxed)))?;
    let out = work(conn);
    conn.progress_handler(0, None::<fn() -> bool>)?;
    out
}

/// The SQLite implementation of [`crate::CustomerStore`]. Cloning shares the database.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.readers.as_ref().map(|r| &r.path))
            .finish_non_exhaustive()
    }
}

struct Inner {
    writer: Mutex<Connection>,
    /// One permit: writes queue here, off the blocking pool, before taking the writer.
    write_turn: tokio::sync::Semaphore,
    /// An import session holds (or waits for) the writer connection.
    importing: AtomicBool,
    /// `None` for an in-memory database, whose reads use the writer connection.
    readers: Option<Readers>,
    /// One permit per read that may run at once.
    read_turns: tokio::sync::Semaphore,
    max_readers: usize,
}

impl Inner {
    fn new(writer: Connection, readers: Option<Readers>) -> Self {
        // An in-memory database has one connection: its reads take turns with writes.
        let max_readers = if readers.is_some() {
            default_max_readers()
        } else {
            1
        };
        Self {
            writer: Mutex::new(writer),
            write_turn: tokio::sync::Semaphore::new(1),
            importing: AtomicBool::new(false),
            readers,
            read_turns: tokio::sync::Semaphore::new(max_readers),
            max_readers,
        }
    }
}

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Idle connections kept: as many as may run at once (more would never be taken
    /// again). Computed once: `available_parallelism` reads cgroup files on every call.
    keep_idle: usize,
}

impl Readers {
    fn take(&self) -> StoreResult<Connection> {
        if let Some(conn) = lock(&self.idle).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unavailable)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        functions::register(&conn)?;
        Ok(conn)
    }

    fn put_back(&self, conn: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < self.keep_idle {
            idle.push(conn);
        }
    }
}

/// Locks `mutex`. A panic while holding a connection leaves no half-done work (an open
/// transaction rolls back when dropped), so a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn closed(_: tokio::sync::AcquireError) -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// Settings every writing connection gets.
fn configure_writer(conn: &mut Connection, file: bool) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    functions::register(conn)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if file {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(backend(format!(
                "cannot use a write-ahead log (mode {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Imports of millions of rows touch index pages all over; a larger page cache than
    // SQLite's 2 MiB default keeps them in memory. Pages are allocated only when used.
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    schema::migrate(conn)?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up
    /// to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(unavailable)?;
        configure_writer(&mut writer, true)?;
        Ok(Self {
            inner: Arc::new(Inner::new(
                writer,
                Some(Readers {
                    path,
                    idle: Mutex::new(Vec::new()),
                    keep_idle: default_max_readers(),
                }),
            )),
        })
    }

    /// A fresh, private in-memory database (one connection for reads and writes).
    pub fn open_in_memory() -> StoreResult<Self> {
        let mut conn = Connection::open_in_memory().map_err(unavailable)?;
        configure_writer(&mut conn, false)?;
        Ok(Self {
            inner: Arc::new(Inner::new(conn, None)),
        })
    }

    /// How many reads run at once; further reads wait for a turn.
    pub fn max_readers(&self) -> usize {
        self.inner.max_readers
    }

    /// The schema version of this build (`PRAGMA user_version` after opening).
    pub fn schema_version() -> i64 {
        schema::SCHEMA_VERSION
    }

    /// SQLite's query plan for the page query of `query`, one line per step. For checks
    /// that lists are index-backed: a line `SCAN c` is a full scan of the customers.
    pub async fn explain_list(&self, query: &CustomerQuery) -> StoreResult<Vec<String>> {
        let query = query.clone();
        self.read(move |conn| list::explain(conn, &query)).await
    }

    /// SQLite's query plan for the exact total of `query`, one line per step; empty when
    /// the total is read from a count the triggers keep.
    pub async fn explain_count(&self, query: &CustomerQuery) -> StoreResult<Vec<String>> {
        let query = query.clone();
        self.read(move |conn| list::explain_count(conn, &query))
            .await
    }

    /// Runs `work` in a write transaction on the blocking pool; commits when it succeeds.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
        let _turn = self.inner.write_turn.acquire().await.map_err(closed)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            watched(&mut conn, &cancelled, |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = work(&tx)?;
                tx.commit()?;
                Ok(out)
            })
        })
        .await
        .map_err(|e| backend(format!("store task failed: {e}")))?
    }

    /// Runs `work` in a read transaction on the blocking pool.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
        let _turn = self.inner.read_turns.acquire().await.map_err(closed)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || match &inner.readers {
            Some(readers) => {
                let mut conn = readers.take()?;
                let out = watched(&mut conn, &cancelled, |conn| {
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                    let out = work(&tx);
                    tx.finish()?;
                    out
                });
                readers.put_back(conn);
                out
            }
            None => {
                let mut conn = lock(&inner.writer);
                watched(&mut conn, &cancelled, |conn| work(conn))
            }
        })
        .await
        .map_err(|e| backend(format!("store task failed: {e}")))?
    }
}

#[async_trait]
impl CustomerStore for SqliteStore {
    async fn health(&self) -> StoreResult<()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    async fn create_customer(&self, new: NewCustomer) -> StoreResult<Customer> {
        let inner_store = self.clone();
        let hash = match new.account.as_ref().and_then(|a| a.password.clone()) {
            Some(plain) => Some(
                tokio::task::spawn_blocking(move || hash_password(&plain))
                    .await
                    .map_err(|e| backend(e.to_string()))??,
            ),
            None => None,
        };
        inner_store
            .write(move |conn| {
                let options = customers::InsertOptions {
                    password_hash: hash.as_deref(),
                    ..customers::InsertOptions::default()
                };
                let id = customers::insert(conn, &new, &options)?;
                if new.account.is_some() {
                    webhooks::enqueue(conn, CustomerEvent::Created, id.0)?;
                }
                customers::load(conn, id.0)
            })
            .await
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.read(move |conn| customers::load(conn, id.0)).await
    }

    async fn customer_by_uuid(&self, uuid: Uuid) -> StoreResult<Customer> {
        self.read(move |conn| {
            let id = customers::id_by_uuid(conn, &uuid)?;
            customers::load(conn, id)
        })
        .await
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer> {
        let email = email.to_owned();
        self.read(move |conn| {
            let id = customers::id_by_email(conn, &email)?.ok_or(customers::NOT_FOUND)?;
            customers::load(conn, id)
        })
        .await
    }

    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> StoreResult<Customer> {
        let hash = match patch.password.clone() {
            Some(plain) => Some(
                tokio::task::spawn_blocking(move || hash_password(&plain))
                    .await
                    .map_err(|e| backend(e.to_string()))??,
            ),
            None => None,
        };
        self.write(move |conn| {
            let before = webhooks::registered(conn, id.0)?;
            let customer = customers::update(conn, id.0, &patch, hash.as_deref())?;
            webhooks::enqueue_change(conn, id.0, before, Some(customer.account.is_some()))?;
            Ok(customer)
        })
        .await
    }

    async fn delete_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.write(move |conn| {
            let customer = customers::delete(conn, id.0)?;
            webhooks::enqueue_change(conn, id.0, Some(customer.account.is_some()), None)?;
            Ok(customer)
        })
        .await
    }

    async fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
        let query = query.clone();
        self.read(move |conn| list::list(conn, &query)).await
    }

    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |conn| list::count(conn, &query)).await
    }

    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats> {
        self.read(move |conn| list::stats(conn, id.0)).await
    }

    async fn create_product(&self, new: NewProduct) -> StoreResult<Product> {
        self.write(move |conn| {
            let id = ledger::insert_product(conn, &new)?;
            ledger::load_product(conn, id.0)
        })
        .await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Product> {
        self.read(move |conn| ledger::load_product(conn, id.0))
            .await
    }

    async fn product_by_uuid(&self, uuid: Uuid) -> StoreResult<Product> {
        self.read(move |conn| {
            let id = ledger::product_id_by_uuid(conn, &uuid)?;
            ledger::load_product(conn, id)
        })
        .await
    }

    async fn create_order(&self, new: NewOrder) -> StoreResult<Order> {
        self.write(move |conn| {
            let mut aggregates = ledger::PendingAggregates::default();
            let id = ledger::insert_order(conn, &new, new.customer_id.0, "", &mut aggregates)?;
            aggregates.flush(conn)?;
            ledger::load_order(conn, id.0)
        })
        .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Order> {
        self.read(move |conn| ledger::load_order(conn, id.0)).await
    }

    async fn set_order_status(
        &self,
        id: OrderId,
        status: OrderStatus,
        at: Timestamp,
    ) -> StoreResult<Order> {
        self.write(move |conn| ledger::set_order_status(conn, id.0, status, at))
            .await
    }

    async fn add_refund(&self, id: OrderId, refund: NewRefund) -> StoreResult<Order> {
        self.write(move |conn| ledger::add_refund(conn, id.0, &refund))
            .await
    }

    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        self.write(move |conn| ledger::delete_order(conn, id.0))
            .await
    }

    async fn customer_orders(&self, id: CustomerId, page: PageRequest) -> StoreResult<Page<Order>> {
        self.read(move |conn| ledger::customer_orders(conn, id.0, page))
            .await
    }

    async fn create_subscription(&self, new: NewSubscription) -> StoreResult<Subscription> {
        self.write(move |conn| {
            let id = ledger::insert_subscription(conn, &new, "")?;
            ledger::load_subscription(conn, id)
        })
        .await
    }

    async fn set_subscription_status(
        &self,
        id: i64,
        status: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        self.write(move |conn| ledger::set_subscription_status(conn, id, status))
            .await
    }

    async fn customer_subscriptions(&self, id: CustomerId) -> StoreResult<Vec<Subscription>> {
        self.read(move |conn| ledger::customer_subscriptions(conn, id.0))
            .await
    }

    async fn create_download_grant(&self, new: NewDownloadGrant) -> StoreResult<DownloadGrant> {
        self.write(move |conn| ledger::insert_grant(conn, &new, ""))
            .await
    }

    async fn customer_downloads(&self, id: CustomerId) -> StoreResult<Vec<CustomerDownload>> {
        self.read(move |conn| ledger::customer_downloads(conn, id.0))
            .await
    }

    async fn begin_import(&self, mode: ImportMode) -> StoreResult<Box<dyn ImportSession>> {
        let session = import::begin(Arc::clone(&self.inner), mode).await?;
        Ok(Box::new(session))
    }

    async fn begin_export(&self, options: ExportOptions) -> StoreResult<Box<dyn ExportSession>> {
        let session = export::begin(Arc::clone(&self.inner), options).await?;
        Ok(Box::new(session))
    }

    async fn currencies(&self) -> StoreResult<Vec<Currency>> {
        self.read(ledger::currencies).await
    }

    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        self.write(move |conn| api_keys::create(conn, &new)).await
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.read(api_keys::live).await
    }

    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        let lookup = lookup.to_owned();
        self.read(move |conn| api_keys::find(conn, kind, &lookup))
            .await
    }

    async fn revoke_api_key(&self, id: i64) -> StoreResult<ApiKey> {
        self.write(move |conn| api_keys::revoke(conn, id)).await
    }

    async fn touch_api_key(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        // Every authenticated WooCommerce request stamps its key. Behind a long write (an
        // import holds the write lock until it commits, in this process or another) the
        // request would wait for the stamp, so the stamp is skipped instead.
        // Other writes of this process are short: the stamp waits its turn behind them.
        let _turn = self.inner.write_turn.acquire().await.map_err(closed)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // The writer connection may be held by a read (an in-memory store reads on
            // it), which ends soon, or by an import session of this store, which may
            // not: only the latter skips the stamp.
            let mut conn = loop {
                match inner.writer.try_lock() {
                    Ok(conn) => break conn,
                    Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                        break poisoned.into_inner();
                    }
                    Err(std::sync::TryLockError::WouldBlock) => {
                        if inner.importing.load(Ordering::Acquire) {
                            return Ok(());
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            };
            conn.busy_timeout(Duration::ZERO)?;
            let stamped = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| {
                    let stamped = api_keys::touch(&tx, id, at);
                    tx.commit().map(|()| stamped)
                });
            conn.busy_timeout(BUSY_TIMEOUT)?;
            match stamped {
                Err(rusqlite::Error::SqliteFailure(error, _))
                    if error.code == rusqlite::ErrorCode::DatabaseBusy =>
                {
                    Ok(())
                }
                Err(error) => Err(error.into()),
                Ok(stamped) => stamped,
            }
        })
        .await
        .map_err(|e| backend(format!("store task failed: {e}")))?
    }

    async fn api_key_generation(&self) -> StoreResult<u64> {
        self.read(api_keys::generation).await
    }

    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        forget_before: i64,
    ) -> StoreResult<bool> {
        let nonce = nonce.to_owned();
        self.write(move |conn| {
            api_keys::remember_nonce(conn, key_id, &nonce, timestamp, forget_before)
        })
        .await
    }

    async fn create_webhook(&self, new: NewWebhook) -> StoreResult<Webhook> {
        self.write(move |conn| webhooks::create(conn, &new)).await
    }

    async fn webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.read(move |conn| webhooks::load(conn, id)).await
    }

    async fn list_webhooks(&self, query: &WebhookQuery) -> StoreResult<Page<Webhook>> {
        let query = query.clone();
        self.read(move |conn| webhooks::list(conn, &query)).await
    }

    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> StoreResult<Webhook> {
        self.write(move |conn| webhooks::update(conn, id, &patch))
            .await
    }

    async fn delete_webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.write(move |conn| webhooks::delete(conn, id)).await
    }

    async fn claim_webhook_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedWebhook>> {
        if !self.read(move |conn| webhooks::any_due(conn, now)).await? {
            return Ok(Vec::new());
        }
        let owner = owner.to_owned();
        self.write(move |conn| webhooks::claim(conn, &owner, now, lease_until, limit))
            .await
    }

    async fn record_webhook_attempt(
        &self,
        event: &WebhookEvent,
        record: DeliveryRecord,
        after: AfterAttempt,
    ) -> StoreResult<Webhook> {
        let event = event.clone();
        self.write(move |conn| webhooks::record_attempt(conn, &event, &record, after))
            .await
    }

    async fn release_webhook(&self, id: i64, owner: &str) -> StoreResult<()> {
        let owner = owner.to_owned();
        self.write(move |conn| webhooks::release(conn, id, &owner))
            .await
    }

    async fn webhook_deliveries(&self, id: i64, limit: usize) -> StoreResult<Vec<DeliveryRecord>> {
        self.read(move |conn| webhooks::deliveries(conn, id, limit))
            .await
    }

    async fn clear_webhook_deliveries(&self) -> StoreResult<()> {
        self.write(webhooks::clear).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A read whose caller gives up (a deadline, a client that went away) stops in the
    /// database, and its connection returns to the pool, instead of running on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_call_stops_its_statement() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let readers = || lock(&store.inner.readers.as_ref().unwrap().idle).len();
        // Counting to ten billion takes minutes.
        let slow = store.read(|conn| {
            conn.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                                         WHERE i < 10000000000)
                 SELECT count(*) FROM n",
                [],
                |row| row.get::<_, i64>(0),
            )?;
            Ok(())
        });
        let outcome = tokio::time::timeout(Duration::from_millis(300), slow).await;
        assert!(outcome.is_err(), "the statement should still be running");
        let dropped = Instant::now();
        while readers() == 0 {
            assert!(
                dropped.elapsed() < Duration::from_secs(5),
                "the statement went on after its caller left"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The connection carries no handler into its next call.
        store.health().await.unwrap();
    }

    /// Reads beyond the limit wait for a turn; a waiting read that is dropped leaves
    /// no trace.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let turns: Vec<_> = (0..store.max_readers())
            .map(|_| store.inner.read_turns.try_acquire().unwrap())
            .collect();
        let waiting = tokio::time::timeout(Duration::from_millis(100), store.health()).await;
        assert!(waiting.is_err(), "a read ran without a turn");
        drop(turns);
        store.health().await.unwrap();
        assert_eq!(
            store.inner.read_turns.available_permits(),
            store.max_readers()
        );
    }
}
