//! The PostgreSQL backend of [`CustomerStore`] (feature `postgres`), for several
//! clientele servers on one database.
//!
//! # Connections and transactions
//! A pool of connections (`deadpool-postgres`, with a prepared-statement cache per
//! connection). Waiting for a connection, opening one and recycling one each give up
//! after [`CONNECTION_TIMEOUT`], so that while the database is down every call answers
//! [`StoreError::Unavailable`] within seconds, and the pool reconnects by itself when it
//! is back.
//!
//! Writes run in `READ COMMITTED` transactions and lock the customer whose record or
//! ledger they change (`SELECT … FOR NO KEY UPDATE`), so that two writes to one customer
//! through two servers happen one after the other; uniqueness (e-mail addresses,
//! usernames, key lookups, nonces) is decided by unique indexes. A write that fails with
//! a serialization failure or a deadlock (SQLSTATE 40001, 40P01) is run again, up to
//! [`WRITE_ATTEMPTS`] times with a growing, jittered pause. Reads of several statements
//! run in one `REPEATABLE READ, READ ONLY` transaction so that a page and its total
//! agree.
//!
//! A call whose future is dropped before it finishes (a request past its deadline, a
//! client gone) cancels the statement running on the server and closes the connection
//! instead of returning it to the pool.
//!
//! # Modules
//! - `schema`: tables, indexes, triggers and migrations.
//! - `customers`, `ledger`, `list`, `import`, `api_keys`: the statements, as functions
//!   over a transaction that the caller holds.
//! - `codec`: the classification of PostgreSQL errors.

mod api_keys;
mod codec;
mod customers;
mod import;
mod ledger;
mod list;
mod schema;
mod states;
mod transfer;
mod webhooks;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
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
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, IsolationLevel, NoTls, Row};

use crate::location::mask_password;
use crate::values::{backend, hash_password};
use crate::{
    ApiKey, Clock, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportOptions, ImportSession, KeyKind, NewApiKey, Page, StoreError, StoreResult,
};
pub(crate) use codec::is_retryable;

/// How long waiting for, opening or recycling a connection may take.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a write meeting a serialization failure or a deadlock is tried.
pub const WRITE_ATTEMPTS: u32 = 8;
/// Connections per server unless the URL says otherwise (`?pool_size=N`).
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A transaction of the pool's connections.
pub(crate) type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The work of one transaction.
type TxFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// The PostgreSQL implementation of [`crate::CustomerStore`]. Cloning shares the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    described: Arc<str>,
    clock: Clock,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.described)
            .finish_non_exhaustive()
    }
}

/// Takes our own `pool_size` parameter out of `url`, which the driver would refuse.
fn split_pool_size(url: &str) -> StoreResult<(String, usize)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), DEFAULT_POOL_SIZE));
    };
    let mut size = DEFAULT_POOL_SIZE;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("pool_size", value)) => {
                size =
                    value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| StoreError::Invalid {
                            field: "pool_size".into(),
                            reason: format!("{value:?} is not a positive number of connections"),
                        })?;
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, size))
}

/// Where a configuration points, without its password: `user@host:port/database`.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(path) => format!("{}:{port}", path.display()),
        })
        .collect();
    format!(
        "{}@{}/{}",
        config.get_user().unwrap_or("(default user)"),
        if hosts.is_empty() {
            "localhost:5432".to_owned()
        } else {
            hosts.join(",")
        },
        config.get_dbname().unwrap_or("(default database)")
    )
}

/// A pooled connection for one call. Dropped before [`Session::finish`] (the call's
/// future was dropped, or it failed half-way), it cancels whatever statement still runs
/// and closes the connection rather than returning it to the pool.
struct Session {
    client: Option<Object>,
    cancel: CancelToken,
}

impl Session {
    fn new(client: Object) -> Self {
        let cancel = client.cancel_token();
        Self {
            client: Some(client),
            cancel,
        }
    }

    fn client(&mut self) -> &mut Object {
        self.client
            .as_mut()
            .expect("a session holds its client until it ends")
    }

    /// The call is over: the connection goes back to the pool.
    fn finish(mut self) {
        self.client = None;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        // Detached from the pool, the connection closes when `client` is dropped.
        drop(Object::take(client));
        let cancel = self.cancel.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = cancel.cancel_query(NoTls).await;
            });
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with
    /// an optional `pool_size=N`), checks that it answers, and brings its schema up to
    /// date. Errors name the server and database, never the password.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let (url, pool_size) = split_pool_size(url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Invalid {
            field: "database URL".into(),
            reason: format!("{}: {e}", mask_password(&url)),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECTION_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("clientele");
        }
        if config.get_options().is_none() {
            // A transaction left open by a stuck client would hold its locks; the server
            // ends it after a minute.
            config.options("-c idle_in_transaction_session_timeout=60000");
        }
        let described: Arc<str> = describe(&config).into();
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_TIMEOUT))
            .create_timeout(Some(CONNECTION_TIMEOUT))
            .recycle_timeout(Some(CONNECTION_TIMEOUT))
            .build()
            .map_err(|e| backend(format!("cannot build the connection pool: {e}")))?;
        let store = Self {
            pool,
            described,
            clock: Clock::new(),
        };
        let with_place = |error: StoreError| match error {
            StoreError::Unavailable(reason) => StoreError::Unavailable(format!(
                "cannot reach PostgreSQL at {}: {reason}",
                store.described
            )),
            other => other,
        };
        store
            .transaction(false, |tx| Box::pin(schema::migrate(tx)))
            .await
            .map_err(with_place)?;
        Ok(store)
    }

    /// Where the store is: `user@host:port/database`, without the password.
    pub fn description(&self) -> &str {
        &self.described
    }

    /// The schema version of this build.
    pub fn schema_version() -> i64 {
        schema::SCHEMA_VERSION
    }

    /// PostgreSQL's plan for the page query of `query` (`EXPLAIN`), one line per step.
    pub async fn explain_list(&self, query: &CustomerQuery) -> StoreResult<Vec<String>> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { list::explain(tx, &query).await }))
            .await
    }

    /// PostgreSQL's plan for the exact total of `query`; empty when the total is read
    /// from a count the triggers keep.
    pub async fn explain_count(&self, query: &CustomerQuery) -> StoreResult<Vec<String>> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { list::explain_count(tx, &query).await }))
            .await
    }

    /// Runs `work` in one transaction on a pooled connection; commits when it succeeds.
    ///
    /// A pooled connection that the server closed while it sat idle (a restart, a
    /// terminated backend) fails at `BEGIN`, before any work was sent: the call then
    /// takes another connection, or opens a new one, instead of failing.
    async fn transaction<T, F>(&self, read_only: bool, work: F) -> StoreResult<T>
    where
        F: for<'a> FnOnce(&'a Tx<'a>) -> TxFuture<'a, T>,
    {
        let mut work = Some(work);
        let mut stale = 0;
        let at = self.clock.now();
        loop {
            let mut session = Session::new(self.pool.get().await?);
            let outcome =
                crate::clock::with_task_now(at, run(&mut session, read_only, &mut work)).await;
            match outcome {
                Ok(out) => {
                    session.finish();
                    return Ok(out);
                }
                Err(Begun::No(StoreError::Unavailable(_)))
                    if stale < self.pool.status().max_size =>
                {
                    stale += 1;
                }
                Err(Begun::No(error) | Begun::Yes(error)) => {
                    // A connection that failed is closed, not pooled (see `Session`); one
                    // whose work failed and was rolled back serves on.
                    if matches!(error, StoreError::Unavailable(_)) {
                        return Err(error);
                    }
                    session.finish();
                    return Err(error);
                }
            }
        }
    }

    /// Runs `work` in a read-only transaction.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: for<'a> FnOnce(&'a Tx<'a>) -> TxFuture<'a, T>,
    {
        self.transaction(true, work).await
    }

    /// Runs `work` in a write transaction, again after a serialization failure or a
    /// deadlock.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: for<'a> Fn(&'a Tx<'a>) -> TxFuture<'a, T>,
    {
        let mut pause = Duration::from_millis(5);
        for attempt in 1..=WRITE_ATTEMPTS {
            match self.transaction(false, &work).await {
                Err(error) if is_retryable(&error) && attempt < WRITE_ATTEMPTS => {
                    let jitter = Duration::from_micros(
                        rand::random::<u64>() % (pause.as_micros() as u64 + 1),
                    );
                    tokio::time::sleep(pause + jitter).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(error) if is_retryable(&error) => {
                    return Err(StoreError::Unavailable(format!(
                        "still conflicting with concurrent writes after {attempt} attempts: {error}"
                    )));
                }
                other => return other,
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// A failure of [`run`], and whether the transaction had begun.
enum Begun {
    No(StoreError),
    Yes(StoreError),
}

/// Begins a transaction on `session`, runs `work` (taken only once the transaction has
/// begun) and commits, or rolls back when the work fails.
async fn run<T, F>(session: &mut Session, read_only: bool, work: &mut Option<F>) -> Result<T, Begun>
where
    F: for<'a> FnOnce(&'a Tx<'a>) -> TxFuture<'a, T>,
{
    let tx = begin(session.client(), read_only)
        .await
        .map_err(Begun::No)?;
    let work = work.take().expect("the work runs once");
    match work(&tx).await {
        Ok(out) => {
            tx.commit().await.map_err(|e| Begun::Yes(e.into()))?;
            Ok(out)
        }
        Err(error) => {
            tx.rollback().await.map_err(|e| Begun::Yes(e.into()))?;
            Err(Begun::Yes(error))
        }
    }
}

/// Begins a transaction: `READ COMMITTED` for writes, `REPEATABLE READ, READ ONLY` for
/// reads of several statements that must agree.
async fn begin(client: &mut Object, read_only: bool) -> StoreResult<Tx<'_>> {
    Ok(if read_only {
        client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?
    } else {
        client.transaction().await?
    })
}

/// Runs a prepared (and cached) statement; returns the number of rows it changed.
pub(crate) async fn execute(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<u64> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

/// Runs a prepared (and cached) query.
pub(crate) async fn query(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Row>> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query(&statement, params).await?)
}

/// Runs a prepared (and cached) query of at most one row.
pub(crate) async fn query_opt(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<Row>> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&statement, params).await?)
}

/// After a row of `table` was written with a chosen id, moves the table's id sequence
/// past it, so that assigned ids follow chosen ones. The advisory lock orders writers
/// of chosen ids to one table, so the sequence only ever moves forward.
pub(crate) async fn advance_id_sequence(tx: &Tx<'_>, table: &str, id: i64) -> StoreResult<()> {
    execute(tx, "SELECT pg_advisory_xact_lock(hashtext($1))", &[&table]).await?;
    execute(
        tx,
        "SELECT setval(s, $2) FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) q
         WHERE $2 > COALESCE(pg_sequence_last_value(s), 0)",
        &[&table, &id],
    )
    .await?;
    Ok(())
}

async fn hashed(plain: Option<String>) -> StoreResult<Option<String>> {
    match plain {
        Some(plain) => Ok(Some(
            tokio::task::spawn_blocking(move || hash_password(&plain))
                .await
                .map_err(|e| backend(e.to_string()))??,
        )),
        None => Ok(None),
    }
}

#[async_trait]
impl CustomerStore for PostgresStore {
    async fn health(&self) -> StoreResult<()> {
        self.read(|tx| {
            Box::pin(async move {
                query_opt(tx, "SELECT 1", &[]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_customer(&self, new: NewCustomer) -> StoreResult<Customer> {
        let hash = hashed(new.account.as_ref().and_then(|a| a.password.clone())).await?;
        self.write(|tx| {
            let (new, hash) = (new.clone(), hash.clone());
            Box::pin(async move {
                let id = customers::insert(tx, &new, hash.as_deref()).await?;
                if new.account.is_some() {
                    webhooks::enqueue(tx, CustomerEvent::Created, id.0).await?;
                }
                customers::load(tx, id.0).await
            })
        })
        .await
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.read(move |tx| Box::pin(customers::load(tx, id.0)))
            .await
    }

    async fn customer_by_uuid(&self, uuid: Uuid) -> StoreResult<Customer> {
        self.read(move |tx| {
            Box::pin(async move {
                let id = customers::id_by_uuid(tx, &uuid).await?;
                customers::load(tx, id).await
            })
        })
        .await
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer> {
        let email = email.to_owned();
        self.read(move |tx| {
            Box::pin(async move {
                let id = customers::id_by_email(tx, &email)
                    .await?
                    .ok_or(customers::NOT_FOUND)?;
                customers::load(tx, id).await
            })
        })
        .await
    }

    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> StoreResult<Customer> {
        let hash = hashed(patch.password.clone()).await?;
        self.write(|tx| {
            let (patch, hash) = (patch.clone(), hash.clone());
            Box::pin(async move {
                let before = webhooks::registered(tx, id.0).await?;
                let customer = customers::update(tx, id.0, &patch, hash.as_deref()).await?;
                let after = Some(customer.account.is_some());
                webhooks::enqueue_change(tx, id.0, before, after).await?;
                Ok(customer)
            })
        })
        .await
    }

    async fn delete_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.write(move |tx| {
            Box::pin(async move {
                let customer = customers::delete(tx, id.0).await?;
                let before = Some(customer.account.is_some());
                webhooks::enqueue_change(tx, id.0, before, None).await?;
                Ok(customer)
            })
        })
        .await
    }

    async fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { list::list(tx, &query).await }))
            .await
    }

    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { list::count(tx, &query).await }))
            .await
    }

    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats> {
        self.read(move |tx| Box::pin(list::stats(tx, id.0))).await
    }

    async fn customer_record(&self, id: CustomerId) -> StoreResult<CustomerRecord> {
        self.read(move |tx| {
            Box::pin(async move {
                let customer = customers::load(tx, id.0).await?;
                let stats = ledger::load_stats(tx, &[id.0])
                    .await?
                    .remove(&id.0)
                    .unwrap_or_default();
                Ok(CustomerRecord { customer, stats })
            })
        })
        .await
    }

    async fn create_product(&self, new: NewProduct) -> StoreResult<Product> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move {
                let id = ledger::insert_product(tx, &new).await?;
                ledger::load_product(tx, id.0).await
            })
        })
        .await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Product> {
        self.read(move |tx| Box::pin(ledger::load_product(tx, id.0)))
            .await
    }

    async fn product_by_uuid(&self, uuid: Uuid) -> StoreResult<Product> {
        self.read(move |tx| {
            Box::pin(async move {
                let id = ledger::product_id_by_uuid(tx, &uuid).await?;
                ledger::load_product(tx, id).await
            })
        })
        .await
    }

    async fn create_order(&self, new: NewOrder) -> StoreResult<Order> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move {
                let mut aggregates = ledger::PendingAggregates::default();
                let id =
                    ledger::insert_order(tx, &new, new.customer_id.0, "", &mut aggregates).await?;
                aggregates.flush(tx).await?;
                ledger::load_order(tx, id.0).await
            })
        })
        .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Order> {
        self.read(move |tx| Box::pin(ledger::load_order(tx, id.0)))
            .await
    }

    async fn set_order_status(
        &self,
        id: OrderId,
        status: OrderStatus,
        at: Timestamp,
    ) -> StoreResult<Order> {
        self.write(move |tx| Box::pin(ledger::set_order_status(tx, id.0, status, at)))
            .await
    }

    async fn add_refund(&self, id: OrderId, refund: NewRefund) -> StoreResult<Order> {
        self.write(|tx| {
            let refund = refund.clone();
            Box::pin(async move { ledger::add_refund(tx, id.0, &refund).await })
        })
        .await
    }

    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        self.write(move |tx| Box::pin(ledger::delete_order(tx, id.0)))
            .await
    }

    async fn customer_orders(&self, id: CustomerId, page: PageRequest) -> StoreResult<Page<Order>> {
        self.read(move |tx| Box::pin(ledger::customer_orders(tx, id.0, page)))
            .await
    }

    async fn create_subscription(&self, new: NewSubscription) -> StoreResult<Subscription> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move {
                let id = ledger::insert_subscription(tx, &new, None, "").await?;
                ledger::load_subscription(tx, id).await
            })
        })
        .await
    }

    async fn set_subscription_status(
        &self,
        id: i64,
        status: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        self.write(move |tx| Box::pin(ledger::set_subscription_status(tx, id, status)))
            .await
    }

    async fn customer_subscriptions(&self, id: CustomerId) -> StoreResult<Vec<Subscription>> {
        self.read(move |tx| Box::pin(ledger::customer_subscriptions(tx, id.0)))
            .await
    }

    async fn create_download_grant(&self, new: NewDownloadGrant) -> StoreResult<DownloadGrant> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move { ledger::insert_grant(tx, &new, None, "").await })
        })
        .await
    }

    async fn customer_downloads(&self, id: CustomerId) -> StoreResult<Vec<CustomerDownload>> {
        self.read(move |tx| Box::pin(ledger::customer_downloads(tx, id.0)))
            .await
    }

    async fn begin_import(&self, options: ImportOptions) -> StoreResult<Box<dyn ImportSession>> {
        Ok(Box::new(
            transfer::begin_import(self.pool.clone(), options, self.clock.now()).await?,
        ))
    }

    async fn begin_export(&self, options: ExportOptions) -> StoreResult<Box<dyn ExportSession>> {
        Ok(Box::new(
            transfer::begin_export(self.pool.clone(), options).await?,
        ))
    }

    async fn currencies(&self) -> StoreResult<Vec<Currency>> {
        self.read(|tx| Box::pin(ledger::currencies(tx))).await
    }

    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move { api_keys::create(tx, &new).await })
        })
        .await
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.read(|tx| Box::pin(api_keys::live(tx))).await
    }

    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        let lookup = lookup.to_owned();
        self.read(move |tx| Box::pin(async move { api_keys::find(tx, kind, &lookup).await }))
            .await
    }

    async fn revoke_api_key(&self, id: i64) -> StoreResult<ApiKey> {
        self.write(move |tx| Box::pin(api_keys::revoke(tx, id)))
            .await
    }

    async fn touch_api_key(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.write(move |tx| Box::pin(api_keys::touch(tx, id, at)))
            .await
    }

    async fn api_key_generation(&self) -> StoreResult<u64> {
        self.read(|tx| Box::pin(api_keys::generation(tx))).await
    }

    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        forget_before: i64,
    ) -> StoreResult<bool> {
        let nonce = nonce.to_owned();
        self.write(|tx| {
            let nonce = nonce.clone();
            Box::pin(async move {
                api_keys::remember_nonce(tx, key_id, &nonce, timestamp, forget_before).await
            })
        })
        .await
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn keep_states_in(&self, _dir: &std::path::Path) -> StoreResult<()> {
        Err(StoreError::Invalid {
            field: "snapshot_dir".into(),
            reason: "PostgreSQL keeps snapshots in the database, shared by every server on it"
                .into(),
        })
    }

    async fn save_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name: Arc<str> = name.into();
        self.write(move |tx| {
            let name = Arc::clone(&name);
            Box::pin(async move { states::save(tx, &name).await })
        })
        .await
    }

    async fn restore_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name: Arc<str> = name.into();
        self.write(move |tx| {
            let name = Arc::clone(&name);
            Box::pin(async move { states::restore(tx, &name).await })
        })
        .await
    }

    async fn delete_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name: Arc<str> = name.into();
        self.write(move |tx| {
            let name = Arc::clone(&name);
            Box::pin(async move { states::delete(tx, &name).await })
        })
        .await
    }

    async fn state_names(&self) -> StoreResult<Vec<String>> {
        self.read(|tx| Box::pin(states::names(tx))).await
    }

    async fn create_webhook(&self, new: NewWebhook) -> StoreResult<Webhook> {
        self.write(|tx| {
            let new = new.clone();
            Box::pin(async move { webhooks::create(tx, &new).await })
        })
        .await
    }

    async fn webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.read(move |tx| Box::pin(webhooks::load(tx, id))).await
    }

    async fn list_webhooks(&self, query: &WebhookQuery) -> StoreResult<Page<Webhook>> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { webhooks::list(tx, &query).await }))
            .await
    }

    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> StoreResult<Webhook> {
        self.write(|tx| {
            let patch = patch.clone();
            Box::pin(async move { webhooks::update(tx, id, &patch).await })
        })
        .await
    }

    async fn delete_webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.write(move |tx| Box::pin(webhooks::delete(tx, id)))
            .await
    }

    async fn claim_webhook_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedWebhook>> {
        if !self
            .read(move |tx| Box::pin(webhooks::any_due(tx, now)))
            .await?
        {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let owner = owner.to_owned();
            Box::pin(async move { webhooks::claim(tx, &owner, now, lease_until, limit).await })
        })
        .await
    }

    async fn record_webhook_attempt(
        &self,
        event: &WebhookEvent,
        record: DeliveryRecord,
        after: AfterAttempt,
    ) -> StoreResult<Webhook> {
        self.write(|tx| {
            let (event, record) = (event.clone(), record.clone());
            Box::pin(async move { webhooks::record_attempt(tx, &event, &record, after).await })
        })
        .await
    }

    async fn release_webhook(&self, id: i64, owner: &str) -> StoreResult<()> {
        self.write(|tx| {
            let owner = owner.to_owned();
            Box::pin(async move { webhooks::release(tx, id, &owner).await })
        })
        .await
    }

    async fn webhook_deliveries(&self, id: i64, limit: usize) -> StoreResult<Vec<DeliveryRecord>> {
        self.read(move |tx| Box::pin(webhooks::deliveries(tx, id, limit)))
            .await
    }

    async fn clear_webhook_deliveries(&self) -> StoreResult<()> {
        self.write(|tx| Box::pin(webhooks::clear(tx))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_ours_to_read() {
        assert_eq!(
            split_pool_size("postgres://h/db?pool_size=4&sslmode=disable").unwrap(),
            ("postgres://h/db?sslmode=disable".to_owned(), 4)
        );
        assert_eq!(
            split_pool_size("postgres://h/db").unwrap(),
            ("postgres://h/db".to_owned(), DEFAULT_POOL_SIZE)
        );
        assert!(split_pool_size("postgres://h/db?pool_size=0").is_err());
    }

    #[test]
    fn descriptions_name_user_host_and_database_only() {
        let config: tokio_postgres::Config = "postgres://app:s3cret@db.example:6543/shop"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "app@db.example:6543/shop");
    }
}
