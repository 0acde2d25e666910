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
//! Reads run on a fixed pool of reader threads, each owning one read-only connection and
//! its prepared statements; writes run on tokio's blocking pool, never on the executor's
//! threads. A read of a record by its key, whose cost does not grow with the data, runs
//! on the calling thread instead while few tasks are alive (`read_here`): with few
//! clients, waking a reader thread and then the caller cost more than the read. Writes
//! run in an `IMMEDIATE` transaction; reads of several statements run in one read
//! transaction so that a page and its total agree.
//!
//! # Bounded work
//! At most [`SqliteStore::max_readers`] reads run at once (more would only share the
//! same cores, each with its own page cache); further reads wait in the pool's queue,
//! without holding a thread, as writes wait for the writer. A call whose future is
//! dropped (the request's deadline passed, the client went away) is skipped if it is
//! still queued, or, once running, is stopped by SQLite's progress handler within a few
//! thousand virtual machine steps: a write then rolls back. The one exception is a
//! list's total, one at a time, which goes on to be kept for the next caller (`totals`).
//!
//! # Modules
//! - `schema`: tables, indexes and migrations.
//! - `customers`, `ledger`, `list`, `api_keys`: the statements, as functions over a
//!   connection that the caller holds in a transaction.
//! - `group_commit`: customer creates written several to a transaction.
//! - `import`, `export`: sessions that hold a connection and a transaction on a thread
//!   of their own across many calls.
//! - `codec`: value conversions and error classification.
//! - `functions`: SQL functions the queries call (registered on every connection).
//! - `states`: saved states (reset and snapshots), whole copies by SQLite's backup.
//! - `checkpoint`: the write-ahead log copied into the database file by a thread of the
//!   writer's, not by the commit that filled it.

mod api_keys;
mod checkpoint;
mod codec;
mod customers;
mod export;
mod functions;
mod group_commit;
mod import;
mod ledger;
mod list;
mod schema;
mod search_aside;
mod states;
mod totals;
mod webhooks;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, mpsc};
use std::time::Duration;

use async_trait::async_trait;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, DeliveryRecord, NewWebhook, Webhook, WebhookEvent, WebhookPatch,
    WebhookQuery,
};
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadGrant,
    NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order,
    OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::clock::ThreadNow;
use crate::values::hash_password;
use crate::{
    ApiKey, Clock, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportOptions, ImportSession, KeyKind, NewApiKey, Page, StoreError, StoreResult,
};
use codec::backend;

/// How long a statement waits for a lock before the store reports itself unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The writer's page cache, KiB.
const WRITER_CACHE_KIB: i64 = 256 * 1024;
/// The page size of a new database, bytes. SQLite's default is 4 KiB. With 16 KiB a bulk
/// import of a million customers writes a quarter of the pages, with a quarter of the
/// system calls, and its B-trees are a level shallower: 15% less time, and the import
/// into a store that holds data 14% less. Reads cost the same CPU (with
/// [`READER_CACHE_PAGES`]); a create cost about a tenth more, since it journals and
/// commits each page it changes whole (docs/performance.md, eighth round), until
/// [`WRITER_TEMP_STORE`] kept its statement journals in memory. A database keeps the page
/// size it was made with: stores made before keep 4 KiB.
const PAGE_SIZE: i64 = 16 * 1024;
/// Each reader's page cache, pages (not bytes, so that it holds as many B-tree pages
/// whatever the store's page size). A search that walks a sort's index reads a row of
/// the search index per candidate, at random: with fewer pages than this (SQLite's
/// default is 2 MiB, 128 pages of 16 KiB) the interior pages of those B-trees fall out
/// of the cache between candidates and every candidate reads several pages again.
const READER_CACHE_PAGES: i64 = 1024;
/// Where the writer keeps temporary data, statement journals above all. A write that may
/// fail halfway inside a transaction (every create of a group commit, in its own
/// savepoint) first copies each page it changes to a statement journal, which SQLite
/// moves to a temporary file once it holds more than 64 KiB: four pages of 16 KiB. Those
/// writes were a sixth of the create path's CPU; in memory they are a copy. A journal
/// holds the pages of one statement or savepoint and is freed at its end. The writes
/// that change many pages in one statement (imports, migrations) keep temporary data on
/// disk for their length.
pub(super) const WRITER_TEMP_STORE: &str = "MEMORY";
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

/// Runs `work` on `conn` with a progress handler that stops it once `cancelled` is set
/// (except a count that outlives its caller, see `totals`); the handler is removed
/// afterwards, since the connection serves other calls next.
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
    conn.progress_handler(
        PROGRESS_STEPS,
        Some(move || flag.load(Ordering::Relaxed) && totals::stops_with_caller()),
    )?;
    let out = {
        let _caller = totals::working_for(cancelled);
        work(conn)
    };
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
    /// An in-memory database reads on the writer, so its reads take this turn too.
    write_turn: tokio::sync::Semaphore,
    /// An import session holds (or waits for) the writer connection.
    importing: AtomicBool,
    /// `None` for an in-memory database, whose reads use the writer connection.
    readers: Option<Readers>,
    /// Customer creates waiting to be written together (`group_commit`).
    pending_creates: Mutex<Vec<group_commit::PendingCreate>>,
    /// Where instants come from.
    clock: Clock,
    /// Saved states in memory, by name (when no directory was given).
    states: Mutex<HashMap<String, Connection>>,
    /// The directory saved states are kept in, when one was given.
    state_dir: OnceLock<PathBuf>,
}

impl Inner {
    fn new(writer: Connection, readers: Option<Readers>) -> Self {
        Self {
            writer: Mutex::new(writer),
            write_turn: tokio::sync::Semaphore::new(1),
            importing: AtomicBool::new(false),
            readers,
            pending_creates: Mutex::new(Vec::new()),
            clock: Clock::new(),
            states: Mutex::new(HashMap::new()),
            state_dir: OnceLock::new(),
        }
    }
}

/// A read, run on a reader thread with that thread's connection (or the error of
/// opening it).
type ReadJob = Box<dyn FnOnce(StoreResult<&mut Connection>) + Send>;

/// A fixed pool of reader threads, each owning one read-only connection (and so its
/// prepared statements) for the life of the store, fed by one queue. A read is one
/// hand-off to a thread that is already running, instead of a blocking-pool task that
/// first has to find a connection; calls beyond the pool's size wait in the queue, not
/// on threads of their own. The threads end when the store is dropped.
struct Readers {
    path: PathBuf,
    jobs: mpsc::Sender<ReadJob>,
    threads: usize,
    /// Tells this store's connections apart from other stores' in [`HERE`].
    id: u64,
    totals: Arc<totals::SharedTotals>,
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.totals.close();
    }
}

/// Numbers the reader pools of a process, for [`Readers::id`].
static NEXT_READERS_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The read-only connection that [`SqliteStore::read_here`] uses on this thread,
    /// with the id of the store it reads. One per thread: a thread that alternates
    /// between stores (tests do) opens a connection again, which is only slower.
    static HERE: RefCell<Option<(u64, Connection)>> = const { RefCell::new(None) };
}

impl Readers {
    fn start(path: PathBuf, threads: usize) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel::<ReadJob>();
        let queue = Arc::new(Mutex::new(queue));
        let totals = Arc::new(totals::SharedTotals::default());
        for number in 0..threads {
            let queue = Arc::clone(&queue);
            let path = path.clone();
            let totals = Arc::clone(&totals);
            std::thread::Builder::new()
                .name(format!("clientele-read-{number}"))
                .spawn(move || serve_reads(&path, &queue, &totals))
                .map_err(|e| backend(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Self {
            path,
            jobs,
            threads,
            id: NEXT_READERS_ID.fetch_add(1, Ordering::Relaxed),
            totals,
        })
    }

    /// A connection of its own, outside the pool (an export holds one for minutes).
    fn open_connection(&self) -> StoreResult<Connection> {
        open_reader(&self.path)
    }
}

/// A reader thread: opens its connection on the first job (so that an error reaches a
/// caller), then runs jobs until the store is gone.
fn serve_reads(
    path: &Path,
    queue: &Mutex<mpsc::Receiver<ReadJob>>,
    totals: &Arc<totals::SharedTotals>,
) {
    let mut conn: Option<Connection> = None;
    loop {
        // Waiting threads queue on the mutex; the one holding it waits for a job.
        let Ok(job) = lock(queue).recv() else {
            return;
        };
        if conn.is_none() {
            match open_reader(path) {
                Ok(opened) => {
                    totals::keep_on_this_thread(Arc::clone(totals));
                    conn = Some(opened);
                }
                Err(error) => {
                    job(Err(error));
                    continue;
                }
            }
        }
        let Some(open) = conn.as_mut() else {
            continue;
        };
        // A panic drops the job's reply, which its caller sees as an error; the thread
        // and its connection (whose transaction ended with the job) serve on.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Ok(open))));
        if outcome.is_err() {
            conn = None;
        }
    }
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(unavailable)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", READER_CACHE_PAGES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    keep_plans(&conn)?;
    functions::register(&conn)?;
    Ok(conn)
}

/// Plans that do not depend on the values bound. Without this, SQLite marks a statement
/// whose plan looked at a bound value (a `LIMIT ?`, a column compared with `?`) to be
/// prepared again on the first step after every bind: a tenth of the CPU of a
/// list of ten went to preparing its cached statements again. The statements are written for plans that hold for
/// every value (the tests read their plans), so nothing is lost.
fn keep_plans(conn: &Connection) -> StoreResult<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Runs `work` in a read transaction. `BEGIN` and `COMMIT` go through the statement
/// cache: rusqlite's `Transaction` parses them anew on every call.
fn in_read_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
    let out = work(conn);
    let end = conn.prepare_cached("COMMIT")?.execute([]);
    if end.is_err() && !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    let out = out?;
    end?;
    Ok(out)
}

/// Tasks alive in the runtime up to which a point read runs on the calling thread
/// ([`SqliteStore::read_here`]). A server has a task per connection, plus a few of its
/// own. Measured on two cores (GET one customer, server CPU per request): on the
/// calling thread 26% less at 4 connections, 12% more at 50.
const MAX_TASKS_FOR_READS_HERE: usize = 16;

/// Whether a point read runs on the calling thread when `alive_tasks` tasks are alive.
fn read_on_caller(alive_tasks: usize) -> bool {
    alive_tasks <= MAX_TASKS_FOR_READS_HERE
}

/// Lowers the calling thread's priority to `niceness` (on Linux a thread has its own).
/// Where that is refused the thread only competes as an equal.
fn lower_this_threads_priority(niceness: i32) {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::process::setpriority_process(None, niceness) {
        tracing::debug!(%error, "a background thread of an import keeps its priority");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = niceness;
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
    keep_plans(conn)?;
    // Takes effect only on a database with nothing written yet (the next statement
    // writes its header); an existing one keeps its own.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
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
    conn.pragma_update(None, "temp_store", WRITER_TEMP_STORE)?;
    Ok(())
}

/// Opens the writer connection of the database file at `path`.
fn open_writer(path: &Path) -> StoreResult<Connection> {
    let mut writer = Connection::open(path).map_err(unavailable)?;
    configure_writer(&mut writer, true)?;
    checkpoint::hand_off(&mut writer, path)?;
    Ok(writer)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up
    /// to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        let writer = open_writer(&path)?;
        let readers = Readers::start(path, default_max_readers())?;
        Ok(Self {
            inner: Arc::new(Inner::new(writer, Some(readers))),
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

    /// Runs `work` with the writer connection to itself, in the write turn, on the
    /// blocking pool (saving and restoring states).
    async fn exclusive<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> StoreResult<T> + Send + 'static,
    {
        let _turn = self.inner.write_turn.acquire().await.map_err(closed)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| backend(format!("store task failed: {e}")))?
    }

    /// How many reads run at once; further reads wait for a turn.
    pub fn max_readers(&self) -> usize {
        self.inner
            .readers
            .as_ref()
            .map_or(1, |readers| readers.threads)
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
        let at = inner.clock.now();
        tokio::task::spawn_blocking(move || {
            let _now = ThreadNow::set(at);
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

    /// Runs `work`, a read of small and bounded cost (a record by its key: a few index
    /// lookups, tens of microseconds), like [`SqliteStore::read`], but on the calling
    /// thread when few tasks are alive (see [`read_on_caller`]).
    ///
    /// There it runs in a read transaction with a read-only connection of that
    /// thread's own. With few clients, handing such a read to a sleeping reader
    /// thread and waking the caller again costs more than the read itself. With many,
    /// the hand-off is cheap (the threads are awake) and the reader threads run one
    /// read after another with SQLite's code and pages hot in their caches, which
    /// measured cheaper per request than mixing SQLite into the executor's threads.
    /// Anything whose cost grows with the data (a list, a count, a search) always
    /// goes through [`SqliteStore::read`], off the executor's threads.
    async fn read_here<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let alive_tasks = tokio::runtime::Handle::try_current()
            .map_or(0, |runtime| runtime.metrics().num_alive_tasks());
        let Some(readers) = self
            .inner
            .readers
            .as_ref()
            .filter(|_| read_on_caller(alive_tasks))
        else {
            return self.read(work).await;
        };
        let _now = ThreadNow::set(self.inner.clock.now());
        HERE.with(|here| {
            let mut here = here.borrow_mut();
            let conn = match &mut *here {
                Some((id, conn)) if *id == readers.id => conn,
                slot => &mut slot.insert((readers.id, open_reader(&readers.path)?)).1,
            };
            // A panic in an earlier read on this thread may have left its transaction
            // open, which would pin an old snapshot.
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK")?;
            }
            in_read_transaction(conn, work)
        })
    }

    /// Runs `work` in a read transaction on a reader thread (on the blocking pool with
    /// the one connection of an in-memory database).
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
        let Some(readers) = &self.inner.readers else {
            let _turn = self.inner.write_turn.acquire().await.map_err(closed)?;
            let inner = Arc::clone(&self.inner);
            let at = inner.clock.now();
            return tokio::task::spawn_blocking(move || {
                let _now = ThreadNow::set(at);
                let mut conn = lock(&inner.writer);
                watched(&mut conn, &cancelled, |conn| work(conn))
            })
            .await
            .map_err(|e| backend(format!("store task failed: {e}")))?;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let at = self.inner.clock.now();
        let job: ReadJob = Box::new(move |conn| {
            let _now = ThreadNow::set(at);
            let out = conn
                .and_then(|conn| watched(conn, &cancelled, |conn| in_read_transaction(conn, work)));
            let _ = reply.send(out);
        });
        readers
            .jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        answer
            .await
            .map_err(|_| backend("a reader thread failed"))?
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
        group_commit::create(&inner_store.inner, new, hash).await
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.read_here(move |conn| customers::load(conn, id.0))
            .await
    }

    async fn customer_by_uuid(&self, uuid: Uuid) -> StoreResult<Customer> {
        self.read_here(move |conn| {
            let id = customers::id_by_uuid(conn, &uuid)?;
            customers::load(conn, id)
        })
        .await
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer> {
        let email = email.to_owned();
        self.read_here(move |conn| {
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
        self.read(move |conn| list::list(conn, &query, customers::Addresses::Read))
            .await
    }

    async fn list_customers_without_addresses(
        &self,
        query: &CustomerQuery,
    ) -> StoreResult<Page<CustomerRecord>> {
        let query = query.clone();
        self.read(move |conn| list::list(conn, &query, customers::Addresses::LeftEmpty))
            .await
    }

    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |conn| list::count(conn, &query)).await
    }

    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats> {
        self.read_here(move |conn| list::stats(conn, id.0)).await
    }

    async fn customer_record(&self, id: CustomerId) -> StoreResult<CustomerRecord> {
        self.read_here(move |conn| {
            let customer = customers::load(conn, id.0)?;
            let stats = ledger::load_stats(conn, &[id.0])?
                .remove(&id.0)
                .unwrap_or_default();
            Ok(CustomerRecord { customer, stats })
        })
        .await
    }

    async fn create_product(&self, new: NewProduct) -> StoreResult<Product> {
        self.write(move |conn| {
            let id = ledger::insert_product(conn, &new)?;
            ledger::load_product(conn, id.0)
        })
        .await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Product> {
        self.read_here(move |conn| ledger::load_product(conn, id.0))
            .await
    }

    async fn product_by_uuid(&self, uuid: Uuid) -> StoreResult<Product> {
        self.read_here(move |conn| {
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
        self.read_here(move |conn| ledger::load_order(conn, id.0))
            .await
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

    async fn begin_import(&self, options: ImportOptions) -> StoreResult<Box<dyn ImportSession>> {
        let session = import::begin(Arc::clone(&self.inner), options).await?;
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
        self.read_here(move |conn| api_keys::find(conn, kind, &lookup))
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
        self.read_here(api_keys::generation).await
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

    fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Only the first call counts; the directory is created if needed.
    fn keep_states_in(&self, dir: &Path) -> StoreResult<()> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Invalid {
            field: "snapshot_dir".into(),
            reason: format!("cannot create {}: {e}", dir.display()),
        })?;
        let _ = self.inner.state_dir.set(dir.to_path_buf());
        Ok(())
    }

    async fn save_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name = name.to_owned();
        self.exclusive(move |inner| states::save(inner, &name))
            .await
    }

    async fn restore_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name = name.to_owned();
        self.exclusive(move |inner| states::restore(inner, &name))
            .await
    }

    async fn delete_state(&self, name: &str) -> StoreResult<()> {
        crate::check_state_name(name)?;
        let name = name.to_owned();
        self.exclusive(move |inner| states::delete(inner, &name))
            .await
    }

    async fn state_names(&self) -> StoreResult<Vec<String>> {
        self.exclusive(states::names).await
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

    /// Counting to ten billion takes minutes.
    fn count_for_minutes(conn: &Connection) -> StoreResult<()> {
        conn.query_row(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                                     WHERE i < 10000000000)
             SELECT count(*) FROM n",
            [],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(())
    }

    /// How often a list's cached statement was prepared again over three runs with
    /// other values bound.
    fn reprepares(mut conn: Connection) -> i32 {
        schema::migrate(&mut conn).unwrap();
        let mut statement = conn
            .prepare_cached(
                "SELECT c.id FROM customers c WHERE c.username IS NOT NULL AND c.role = ?
                 ORDER BY c.display_name COLLATE NOCASE ASC, c.id ASC LIMIT ? OFFSET ?",
            )
            .unwrap();
        for (role, limit, offset) in [("customer", 10, 0), ("shop_manager", 20, 10), ("x", 1, 5)] {
            let ids: Vec<i64> = statement
                .query_map(rusqlite::params![role, limit, offset], |row| row.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert!(ids.is_empty());
        }
        statement.get_status(rusqlite::StatementStatus::RePrepare)
    }

    /// Binding other values to a cached statement does not prepare it again: SQLite would,
    /// for every bind of a `LIMIT` or a compared column, unless plans are kept.
    #[test]
    fn cached_statements_are_not_prepared_again() {
        let kept = Connection::open_in_memory().unwrap();
        keep_plans(&kept).unwrap();
        assert_eq!(reprepares(kept), 0);
        let default = Connection::open_in_memory().unwrap();
        assert!(reprepares(default) > 0, "SQLite's default prepares again");
    }

    /// The bundled SQLite is built with the options of `.cargo/config.toml`: without
    /// memory statistics, whose one mutex every reader thread would take per allocation.
    #[test]
    fn sqlite_is_built_without_memory_statistics() {
        let conn = Connection::open_in_memory().unwrap();
        let mut statement = conn.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"),
            "built with {options:?}"
        );
    }

    fn new_customer(email: &str) -> NewCustomer {
        customer_model::CustomerDraft {
            email: email.into(),
            ..customer_model::CustomerDraft::default()
        }
        .validate()
        .unwrap()
    }

    async fn create_with_email(store: &SqliteStore, email: &str) -> Customer {
        store.create_customer(new_customer(email)).await.unwrap()
    }

    fn page_size(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap()
    }

    /// A new store is made with [`PAGE_SIZE`] pages, and its readers keep
    /// [`READER_CACHE_PAGES`] of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_store_has_large_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let cache: i64 = store
            .read(|conn| Ok(conn.query_row("PRAGMA cache_size", [], |row| row.get(0))?))
            .await
            .unwrap();
        assert_eq!(cache, READER_CACHE_PAGES);
        drop(store);
        assert_eq!(page_size(&path), PAGE_SIZE);
    }

    /// A store made with SQLite's default 4 KiB pages opens as it is, keeps them, and
    /// takes writes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_with_small_pages_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
                .unwrap();
            schema::migrate(&mut conn).unwrap();
        }
        assert_eq!(page_size(&path), 4096);
        let store = SqliteStore::open(&path).unwrap();
        let created = create_with_email(&store, "small@example.com").await;
        let read = store.customer(created.id).await.unwrap();
        assert_eq!(read.email, created.email);
        drop(store);
        assert_eq!(page_size(&path), 4096);
    }

    /// The writer does not checkpoint the log itself: once a commit takes the log past
    /// [`checkpoint::CHECKPOINT_PAGES`], a thread of its own copies it into the database
    /// file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thread_of_its_own_checkpoints_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let pages = i64::from(checkpoint::CHECKPOINT_PAGES);
        let file_pages = || std::fs::metadata(&path).unwrap().len() as i64 / PAGE_SIZE;
        let before = file_pages();
        let filler = pages * PAGE_SIZE * 11 / 10;
        let writer_checkpoints: i64 = store
            .write(move |conn| {
                conn.execute_batch("CREATE TABLE filler (data BLOB)")?;
                conn.execute("INSERT INTO filler VALUES (zeroblob(?1))", [filler])?;
                Ok(conn.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(writer_checkpoints, 0, "the writer checkpoints on its own");
        let deadline = Instant::now() + Duration::from_secs(20);
        while file_pages() < before + pages {
            assert!(
                Instant::now() < deadline,
                "the log was not checkpointed: {} pages in the file",
                file_pages()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `PRAGMA temp_store` of the writer: 1 on disk, 2 in memory.
    async fn writer_temp_store(store: &SqliteStore) -> i64 {
        store
            .write(|conn| Ok(conn.query_row("PRAGMA temp_store", [], |row| row.get(0))?))
            .await
            .unwrap()
    }

    /// The writer keeps its statement journals in memory. An import keeps temporary data
    /// on disk for its length, and gives the writer its setting back after a bulk load
    /// and after an import row by row.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_keeps_statement_journals_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        assert_eq!(writer_temp_store(&store).await, 2);
        for email in ["bulk@example.com", "row.by.row@example.com"] {
            let batch = crate::ImportBatch {
                customers: vec![new_customer(email).into()],
                ..crate::ImportBatch::default()
            };
            store.import(batch).await.unwrap();
            assert_eq!(writer_temp_store(&store).await, 2, "after {email}");
        }
        let imported = store.customer_by_email("row.by.row@example.com").await;
        assert!(imported.is_ok(), "{imported:?}");
    }

    /// Reads whose callers give up (a deadline, a client that went away) stop in the
    /// database and free their reader threads, instead of running on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_call_stops_its_statement() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let slow: Vec<_> = (0..store.max_readers())
            .map(|_| {
                tokio::spawn({
                    let store = store.clone();
                    async move { store.read(count_for_minutes).await }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for call in &slow {
            assert!(!call.is_finished(), "the statement should still be running");
            call.abort();
        }
        let dropped = Instant::now();
        // Every thread was busy: this read is served only once one of them is free.
        tokio::time::timeout(Duration::from_secs(5), store.health())
            .await
            .expect("the statements went on after their callers left")
            .unwrap();
        assert!(dropped.elapsed() < Duration::from_secs(5));
        // The connections carry no handler into their next calls.
        for _ in 0..store.max_readers() {
            store.health().await.unwrap();
        }
    }

    /// A count that takes longer than its caller waits goes on without it, and the next
    /// caller finds it kept: a first count over millions of rows with the pages still
    /// on disk can take longer than any request's deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_count_goes_on_after_its_caller_and_is_kept() {
        const SLOW: &str = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n
             WHERE x < 3000000) SELECT COUNT(*) FROM n";
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let totals = Arc::clone(&store.inner.readers.as_ref().unwrap().totals);
        let caller = tokio::spawn({
            let store = store.clone();
            async move { store.read(|conn| totals::total(conn, SLOW, &[])).await }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while !totals.is_counting(SLOW, &[]) {
            assert!(Instant::now() < deadline, "the count never started");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The caller goes while the count has only begun.
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        assert!(!totals.is_kept(SLOW, &[]), "counted before its caller went");
        while !totals.is_kept(SLOW, &[]) {
            assert!(
                Instant::now() < deadline,
                "the count stopped with its caller"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let count = store.read(|conn| totals::total(conn, SLOW, &[]));
        assert_eq!(count.await.unwrap(), 3_000_000);
    }

    /// A saved state covers every table of the schema, one a later migration adds
    /// included, with its `AUTOINCREMENT` sequence; kept in a directory, it outlives the
    /// store.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn states_cover_every_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        store.keep_states_in(&dir.path().join("states")).unwrap();
        let raw = |sql: &'static str| {
            lock(&store.inner.writer).execute_batch(sql).unwrap();
        };
        raw(
            "CREATE TABLE added_later (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT);
             INSERT INTO added_later (note) VALUES ('kept');",
        );
        store.save_state("baseline").await.unwrap();
        raw("INSERT INTO added_later (note) VALUES ('later');");
        store.restore_state("baseline").await.unwrap();
        raw("INSERT INTO added_later (note) VALUES ('next');");
        let rows: Vec<(i64, String)> = {
            let conn = lock(&store.inner.writer);
            let mut statement = conn
                .prepare("SELECT id, note FROM added_later ORDER BY id")
                .unwrap();
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(rows, [(1, "kept".to_owned()), (2, "next".to_owned())]);
        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        reopened.keep_states_in(&dir.path().join("states")).unwrap();
        assert_eq!(reopened.state_names().await.unwrap(), ["baseline"]);
        reopened.restore_state("baseline").await.unwrap();
    }

    /// Reads beyond the pool's threads wait in its queue; a waiting read that is
    /// dropped leaves no trace.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_beyond_the_pool_wait_their_turn() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let busy: Vec<_> = (0..store.max_readers())
            .map(|_| {
                let store = store.clone();
                let released = Arc::clone(&released);
                let running = Arc::clone(&running);
                tokio::spawn(async move {
                    store
                        .read(move |_| {
                            running.fetch_add(1, Ordering::SeqCst);
                            let _ = lock(&released).recv();
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        while running.load(Ordering::SeqCst) < store.max_readers() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let waiting = tokio::time::timeout(Duration::from_millis(200), store.health()).await;
        assert!(waiting.is_err(), "a read ran beyond the pool's threads");
        drop(release);
        for call in busy {
            call.await.unwrap().unwrap();
        }
        store.health().await.unwrap();
    }

    /// Whether this thread holds a point-read connection of `store`.
    fn reads_here(store: &SqliteStore) -> bool {
        let id = store.inner.readers.as_ref().unwrap().id;
        HERE.with(|here| matches!(&*here.borrow(), Some((of, _)) if *of == id))
    }

    /// With few tasks alive a point read runs on the calling thread, with a connection
    /// of that thread's own that sees every committed write; with many it goes to the
    /// reader threads. Both give the same answer.
    #[tokio::test(flavor = "current_thread")]
    async fn point_reads_run_on_the_caller_only_while_few_tasks_are_alive() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
        let created = create_with_email(&store, "here@example.com").await;
        assert!(!reads_here(&store));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let idle: Vec<_> = (0..=MAX_TASKS_FOR_READS_HERE)
            .map(|_| {
                let mut stopped = stopped.clone();
                tokio::spawn(async move { stopped.changed().await })
            })
            .collect();
        let through_readers = store.customer(created.id).await.unwrap();
        assert!(
            !reads_here(&store),
            "a point read ran here with many tasks alive"
        );
        stop.send(true).unwrap();
        for task in idle {
            task.await.unwrap().unwrap();
        }
        let here = store.customer(created.id).await.unwrap();
        assert!(
            reads_here(&store),
            "a point read went to the readers with few tasks"
        );
        assert_eq!(here, through_readers);
        let patch = CustomerPatch {
            first_name: Some("Renamed".into()),
            ..CustomerPatch::default()
        };
        store.update_customer(created.id, patch).await.unwrap();
        let after = store.customer(created.id).await.unwrap();
        assert_eq!(after.first_name, "Renamed");
    }

    /// A list for a caller that never reads addresses leaves them empty and is
    /// otherwise the same list.
    #[tokio::test(flavor = "current_thread")]
    async fn lists_without_addresses_differ_only_in_them() {
        let store = SqliteStore::open_in_memory().unwrap();
        let mut draft = customer_model::CustomerDraft {
            email: "billed@example.com".into(),
            ..customer_model::CustomerDraft::default()
        };
        draft.billing.city = "Kraków".into();
        draft.shipping.postcode = "30-001".into();
        store
            .create_customer(draft.validate().unwrap())
            .await
            .unwrap();
        let query = CustomerQuery::default();
        let full = store.list_customers(&query).await.unwrap();
        let bare = store
            .list_customers_without_addresses(&query)
            .await
            .unwrap();
        assert_eq!(full.items[0].customer.billing.city, "Kraków");
        assert_eq!(full.items[0].customer.shipping.postcode, "30-001");
        let mut expected = full.clone();
        for record in &mut expected.items {
            record.customer.billing = customer_model::Address::default();
            record.customer.shipping = customer_model::Address::default();
        }
        assert_eq!(bare, expected);
    }
}
