//! Imports. A session is a thread that holds the writer connection and one `IMMEDIATE`
//! transaction from [`begin`] to commit, and writes the chunks it is sent; readers keep
//! reading the last committed state meanwhile (WAL). Dropping the session, rolling it
//! back or a failed commit leaves the store as it was.
//!
//! Two ways to write, with the same result:
//! - **Row by row** (a store that holds data): every record updates the indexes as it is
//!   written. The aggregates of a chunk's orders are folded in memory and set aside in
//!   temporary tables on disk at the end of the chunk, so memory is bounded by a chunk;
//!   at the end of the import they are summed per customer, currency and status and
//!   written in key order. The customers' search rows are set aside the same way and
//!   indexed at the end. The triggers that raise the data's generation and keep the
//!   counts are dropped for the import, which raises the generation once and adds to
//!   the counts what it wrote.
//! - **Bulk** (an empty store): the secondary indexes and the triggers that keep counts
//!   are dropped inside the transaction, the rows go in alone, and at commit the
//!   aggregates, the search index, the indexes and the counts are built from the rows,
//!   set-based. Other connections never see the schema without them: the drop and the
//!   rebuild commit together.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use customer_model::import::{
    CustomerRef, ImportCustomer, ImportDownloadGrant, ImportOrder, ImportRecord,
    ImportSubscription, ImportSummary, KeptApiKey, RecordKind,
};
use customer_model::{NewCustomer, OrderStatus};
use rusqlite::{Connection, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::codec::backend;
use super::search_aside::SearchAside;
use super::{
    BUSY_TIMEOUT, Inner, WRITER_CACHE_KIB, WRITER_TEMP_STORE, api_keys, customers, ledger, lock,
    webhooks,
};
use crate::transfer::ImportCommand;
use crate::values::{IdRuns, guest_for, hash_password};
use crate::{
    ApiKey, Held, ImportMode, ImportOptions, ImportSession, Rejection, StoreError, StoreResult,
    Unresolved, Written,
};

/// Chunks queued for the writing thread beyond the one being written: enough to keep it
/// busy, few enough that memory stays at a few chunks.
const QUEUED_COMMANDS: usize = 1;

/// The session handle: commands go to the writing thread.
pub(crate) struct SqliteImport {
    commands: SyncSender<ImportCommand>,
}

/// Starts the writing thread and waits until it holds the transaction.
pub(crate) async fn begin(inner: Arc<Inner>, options: ImportOptions) -> StoreResult<SqliteImport> {
    let (commands, queue) = mpsc::sync_channel(QUEUED_COMMANDS);
    let (started, ready) = oneshot::channel();
    std::thread::Builder::new()
        .name("clientele-import".into())
        .spawn(move || run(&inner, options, started, queue))
        .map_err(|e| backend(format!("cannot start the import thread: {e}")))?;
    ready.await.map_err(|_| gone())??;
    Ok(SqliteImport { commands })
}

fn gone() -> StoreError {
    backend("the import thread stopped")
}

impl SqliteImport {
    async fn send<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> ImportCommand,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let commands = self.commands.clone();
        let command = command(reply);
        // The queue is bounded: waiting for room is blocking work.
        tokio::task::spawn_blocking(move || commands.send(command))
            .await
            .map_err(|e| backend(e.to_string()))?
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

#[async_trait]
impl ImportSession for SqliteImport {
    async fn write(
        &mut self,
        mut records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written> {
        // Argon2 is slow by design: hash on the blocking pool, not in the writing thread.
        records = tokio::task::spawn_blocking(move || hash_passwords(records))
            .await
            .map_err(|e| backend(e.to_string()))??;
        self.send(|reply| ImportCommand::Write {
            records,
            unresolved,
            reply,
        })
        .await
    }

    async fn commit(self: Box<Self>) -> StoreResult<ImportSummary> {
        self.send(|reply| ImportCommand::Commit { reply }).await
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.send(|reply| ImportCommand::Rollback { reply }).await
    }
}

/// Replaces every plain password of `records` by its hash, on every core.
fn hash_passwords(mut records: Vec<ImportRecord>) -> StoreResult<Vec<ImportRecord>> {
    let mut plain: Vec<&mut ImportCustomer> = records
        .iter_mut()
        .filter_map(|record| match record {
            ImportRecord::Customer(customer)
                if customer
                    .customer
                    .account
                    .as_ref()
                    .is_some_and(|a| a.password.is_some())
                    && customer.password_hash.is_none() =>
            {
                Some(customer)
            }
            _ => None,
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = plain.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = plain
            .chunks_mut(chunk)
            .map(|part| {
                scope.spawn(move || {
                    for customer in part {
                        let account = customer.customer.account.as_mut();
                        if let Some(password) = account.and_then(|a| a.password.take()) {
                            customer.password_hash = Some(hash_password(&password)?);
                        }
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| backend("a password hashing thread panicked"))??;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(records)
}

/// The writing thread: one transaction, commands until commit, rollback or a dropped
/// session (which rolls back).
fn run(
    inner: &Inner,
    options: ImportOptions,
    started: oneshot::Sender<StoreResult<()>>,
    commands: Receiver<ImportCommand>,
) {
    inner.importing.store(true, Ordering::Release);
    let _now = crate::clock::ThreadNow::set(inner.clock.now());
    let mut conn = lock(&inner.writer);
    let mut answer = None;
    let path = inner.readers.as_ref().map(|readers| readers.path.clone());
    match ImportSettings::apply(&conn, options.mode, path.is_some()) {
        Ok(settings) => {
            let scratch_dir = path.as_deref().map(scratch_dir);
            let served = serve(&mut conn, options, scratch_dir, started, commands);
            settings.restore(&conn);
            if let (Some(path), true) = (&path, served.search_moved_in) {
                // See `search_aside`: this connection may remember the empty index.
                match super::open_writer(path) {
                    Ok(fresh) => *conn = fresh,
                    Err(error) => tracing::error!(
                        %error,
                        "cannot reopen the writer after an import: restart the server \
                         before writing to the store"
                    ),
                }
            }
            answer = served.answer;
        }
        Err(error) => {
            let _ = started.send(Err(error));
        }
    }
    drop(conn);
    inner.importing.store(false, Ordering::Release);
    // Answered only now: a caller that writes right after its commit must find the
    // writer free, not an import still holding it (its key stamp would be skipped).
    if let Some(answer) = answer {
        answer();
    }
}

/// The answer to a commit or rollback, sent once the session has let go of the writer.
type FinalAnswer = Box<dyn FnOnce() + Send>;

/// Where a bulk load into the database at `path` builds its search index aside.
fn scratch_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// How a session ended.
#[derive(Default)]
struct Served {
    answer: Option<FinalAnswer>,
    /// A search index built aside was committed.
    search_moved_in: bool,
}

fn serve(
    conn: &mut Connection,
    options: ImportOptions,
    scratch_dir: Option<PathBuf>,
    started: oneshot::Sender<StoreResult<()>>,
    commands: Receiver<ImportCommand>,
) -> Served {
    let begun = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)
        .and_then(|tx| {
            let writer = Writer::begin(&tx, options, scratch_dir.as_deref())?;
            Ok((tx, writer))
        });
    let (tx, mut writer) = match begun {
        Ok(begun) => {
            if started.send(Ok(())).is_err() {
                return Served::default();
            }
            begun
        }
        Err(error) => {
            let _ = started.send(Err(error));
            return Served::default();
        }
    };
    while let Ok(command) = commands.recv() {
        match command {
            ImportCommand::Write {
                records,
                unresolved,
                reply,
            } => {
                let _ = reply.send(writer.write(&tx, records, unresolved));
            }
            ImportCommand::Commit { reply } => {
                let started = Instant::now();
                let search_aside = writer.aside.is_some();
                let outcome = writer.finish(&tx).and_then(|summary| {
                    tracing::debug!(elapsed = ?started.elapsed(), "import: built what was left for the end");
                    tx.commit().map(|()| summary).map_err(Into::into)
                });
                match &outcome {
                    Ok(_) => tracing::debug!(elapsed = ?started.elapsed(), "import: committed"),
                    Err(error) => {
                        tracing::debug!(elapsed = ?started.elapsed(), %error, "import: not committed");
                    }
                }
                return Served {
                    search_moved_in: search_aside && outcome.is_ok(),
                    answer: Some(Box::new(move || {
                        let _ = reply.send(outcome);
                    })),
                };
            }
            ImportCommand::Rollback { reply } => {
                let outcome = tx.rollback().map_err(Into::into);
                return Served {
                    answer: Some(Box::new(move || {
                        let _ = reply.send(outcome);
                    })),
                    search_moved_in: false,
                };
            }
        }
    }
    Served::default()
}

/// The writer connection's settings for the length of an import, and how to put them
/// back.
struct ImportSettings {
    /// The journal was switched from the write-ahead log to a rollback journal.
    rollback_journal: bool,
}

impl ImportSettings {
    /// - Foreign keys off: the session checks every reference itself before it writes
    ///   (it must, to hold records back), so SQLite's second lookup per reference is
    ///   waste.
    /// - Sorting on every core, for the indexes a bulk load builds at the end.
    /// - A bulk load into a database no other connection has open uses a rollback
    ///   journal instead of the write-ahead log: pages added to a database are not
    ///   journaled at all, where the log would hold every page of the load once more and
    ///   copy it back at the checkpoint. A connection that opens the database meanwhile
    ///   waits for the import (reads included); one already open keeps the log.
    fn apply(conn: &Connection, mode: ImportMode, file: bool) -> StoreResult<Self> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.pragma_update(None, "threads", threads as i64)?;
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        // The spooled search rows stay on disk, whatever the size of the file.
        conn.pragma_update(None, "temp_store", "FILE")?;
        let mut settings = Self {
            rollback_journal: false,
        };
        if file && mode == ImportMode::Auto && is_empty(conn)? {
            // Refused at once (busy) when another connection has the database open: the
            // load then goes through the log.
            conn.busy_timeout(Duration::ZERO)?;
            let journal = conn.query_row("PRAGMA journal_mode = DELETE", [], |row| {
                row.get::<_, String>(0)
            });
            conn.busy_timeout(BUSY_TIMEOUT)?;
            settings.rollback_journal =
                journal.is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
        }
        Ok(settings)
    }

    /// Puts the connection back as every other write expects it.
    fn restore(self, conn: &Connection) {
        let _ = conn.pragma_update(None, "foreign_keys", "ON");
        let _ = conn.pragma_update(None, "threads", 0);
        let _ = conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB);
        let _ = conn.pragma_update(None, "temp_store", WRITER_TEMP_STORE);
        if self.rollback_journal {
            // The next open switches again if this fails; the data is committed either way.
            let _ = conn.query_row("PRAGMA journal_mode = WAL", [], |row| {
                row.get::<_, String>(0)
            });
        }
    }
}

/// A schema object a bulk load drops and builds again at the end.
struct Dropped {
    kind: String,
    name: String,
    sql: String,
}

/// What happened to one record.
enum Outcome {
    Written,
    Held,
    Refused { field: String, reason: String },
}

fn refused(field: impl Into<String>, reason: impl Into<String>) -> Outcome {
    Outcome::Refused {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A reference that does not resolve: held back, or refused.
fn unresolved_reference(unresolved: Unresolved, field: String, reason: String) -> Outcome {
    match unresolved {
        Unresolved::Hold => Outcome::Held,
        Unresolved::Reject => refused(field, reason),
    }
}

/// Chunks of written records waiting to be freed; beyond them the writing thread frees
/// its records itself, so memory stays bounded whatever the freeing thread gets.
const CHUNKS_TO_FREE: usize = 2;

/// The niceness of the freeing thread: below the writing thread, which an import waits
/// for, and above the search index's, which may wait until the end.
const FREEING_NICENESS: i32 = 5;

/// A thread that frees the records an import has written (`T`: a chunk of them).
/// Decoded on another thread, each record is a few dozen allocations; freeing them on
/// the writing thread, which the import waits for, was 4-5% of its time during a bulk
/// load's rows.
struct Freeing<T: Send + 'static> {
    chunks: Option<SyncSender<T>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<T: Send + 'static> Freeing<T> {
    /// Starts the thread; without one (it could not start) records are freed in place.
    fn start() -> Self {
        let (chunks, to_free) = mpsc::sync_channel::<T>(CHUNKS_TO_FREE);
        let started = std::thread::Builder::new()
            .name("clientele-free".into())
            .spawn(move || {
                super::lower_this_threads_priority(FREEING_NICENESS);
                to_free.into_iter().for_each(drop);
            });
        match started {
            Ok(thread) => Self {
                chunks: Some(chunks),
                thread: Some(thread),
            },
            Err(error) => {
                tracing::debug!(%error, "an import frees its records on its writing thread");
                Self {
                    chunks: None,
                    thread: None,
                }
            }
        }
    }

    /// Hands `records` to the thread, or frees them here when it is behind.
    fn free(&self, records: T) {
        if let Some(chunks) = &self.chunks {
            let _ = chunks.try_send(records);
        }
    }
}

impl<T: Send + 'static> Drop for Freeing<T> {
    fn drop(&mut self) {
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The state of one import inside its transaction.
struct Writer {
    /// `Some` in a bulk load: what was dropped, to build again at the end.
    bulk: Option<Vec<Dropped>>,
    known: KnownIds,
    summary: ImportSummary,
    refused: bool,
    /// With [`ImportOptions::fire_webhooks`]: the customers written (guests too: the
    /// statement that fires the events keeps the registered ones).
    created: Option<IdRuns>,
    /// In a bulk load into a database file: the search index, built aside.
    aside: Option<SearchAside>,
    /// Otherwise: the search rows of the chunk's customers, spooled after its other rows
    /// (see [`Writer::search_row`]).
    pending_search: Vec<customers::SearchText>,
    /// Row by row: the triggers that raise the data's generation and keep the counts,
    /// dropped for the import (see [`drop_row_triggers`]) and built again at its end.
    row_triggers: Vec<Dropped>,
    /// Row by row: what the customers written add to the kept counts, which their
    /// triggers would have added one row at a time.
    counts: CountsAdded,
    freeing: Freeing<Vec<ImportRecord>>,
}

/// What the customers an import writes row by row add to the kept counts
/// (`customer_counts`, `customer_role_counts`), as the counting triggers would.
#[derive(Default)]
struct CountsAdded {
    registered: i64,
    guests: i64,
    by_role: HashMap<String, i64>,
}

impl CountsAdded {
    fn add(&mut self, customer: &NewCustomer) {
        match &customer.account {
            Some(account) => {
                self.registered += 1;
                *self
                    .by_role
                    .entry(account.role.as_str().to_owned())
                    .or_default() += 1;
            }
            None => self.guests += 1,
        }
    }

    /// Adds the counts to the kept ones, and to each currency's buyers the `new_buyers`
    /// (customer and currency pairs that `customer_currency` did not hold before).
    fn write(&self, conn: &Connection, new_buyers: &[(String, i64)]) -> StoreResult<()> {
        conn.execute(
            "UPDATE customer_counts SET registered = registered + ?1, guests = guests + ?2",
            params![self.registered, self.guests],
        )?;
        let mut role = conn.prepare_cached(
            "INSERT INTO customer_role_counts (role, registered) VALUES (?1, ?2)
             ON CONFLICT (role) DO UPDATE SET registered = registered + excluded.registered",
        )?;
        for (name, added) in &self.by_role {
            role.execute(params![name, added])?;
        }
        let mut currency = conn.prepare_cached(
            "INSERT INTO currency_customer_counts (currency, customers) VALUES (?1, ?2)
             ON CONFLICT (currency) DO UPDATE SET customers = customers + excluded.customers",
        )?;
        for (code, added) in new_buyers {
            currency.execute(params![code, added])?;
        }
        Ok(())
    }
}

/// Where an import into a store that holds data spools its customers' search rows until
/// the end: a table of the connection's temporary database, on disk (`temp_store =
/// FILE` during an import), gone with the import whichever way it ends.
const SPOOL_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS import_search_rows (
    id INTEGER PRIMARY KEY, names, display_name, email, additional_emails, username,
    billing, shipping)";
const SPOOL_ROW: &str = "INSERT INTO temp.import_search_rows (id, names, display_name, email,
    additional_emails, username, billing, shipping) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/// The spooled rows into the search index, in id order, with one statement: FTS5 gathers
/// them in memory up to [`IMPORT_SEARCH_HASH_BYTES`] at a time and writes few, large
/// segments.
const UNSPOOL: &str = "INSERT INTO customer_search (rowid, names, display_name, email,
    additional_emails, username, billing, shipping)
    SELECT id, names, display_name, email, additional_emails, username, billing, shipping
    FROM temp.import_search_rows ORDER BY id";

impl Writer {
    /// `scratch_dir`: where a bulk load may build its search index aside (a database in
    /// memory has none, and builds it in place).
    fn begin(
        conn: &Connection,
        options: ImportOptions,
        scratch_dir: Option<&Path>,
    ) -> StoreResult<Self> {
        ledger::drop_spooled_aggregates(conn)?;
        let bulk = match options.mode {
            ImportMode::Auto if is_empty(conn)? => Some(drop_for_bulk(conn)?),
            _ => None,
        };
        let aside = match (&bulk, scratch_dir) {
            (Some(_), Some(dir)) => Some(SearchAside::start(conn, dir)?),
            _ => {
                set_search_hash_size(conn, IMPORT_SEARCH_HASH_BYTES)?;
                None
            }
        };
        let row_triggers = match bulk {
            Some(_) => Vec::new(),
            None => drop_row_triggers(conn)?,
        };
        Ok(Self {
            row_triggers,
            counts: CountsAdded::default(),
            bulk,
            known: KnownIds::default(),
            summary: ImportSummary::default(),
            refused: false,
            created: options.fire_webhooks.then(IdRuns::default),
            aside,
            pending_search: Vec::new(),
            freeing: Freeing::start(),
        })
    }

    /// A customer was written: its search row goes aside when the index is
    /// built there, and otherwise is spooled ([`SPOOL_TABLE`]) and goes into the index
    /// at the end. FTS5 writes the terms it holds in memory as a new segment, and merges
    /// segments, whenever a statement that may need to roll back starts, which a
    /// customer's insert is: written between the other rows, every customer made a
    /// segment of one row (nine tenths of an import's time into a store of a million
    /// customers), and a chunk's rows written after its other rows still made a segment
    /// per chunk, merged against the whole index (a quarter of the time).
    fn search_row(&mut self, row: customers::SearchText) {
        match &mut self.aside {
            Some(aside) => aside.push(row),
            None => self.pending_search.push(row),
        }
    }

    fn write(
        &mut self,
        conn: &Connection,
        mut records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written> {
        if self.refused {
            return Err(backend(
                "the import refused a record and must be rolled back",
            ));
        }
        let mut aggregates = ledger::PendingAggregates::default();
        let mut statements = ChunkStatements {
            customers: customers::CustomerStatements::prepare(conn)?,
            orders: ledger::OrderStatements::prepare(conn)?,
        };
        // Records are read in place: a record is large, and moving each out of the chunk
        // and into a list of those written was 5% of the writing thread.
        let mut held_at = Vec::new();
        for (index, record) in records.iter().enumerate() {
            match self.record(conn, record, unresolved, &mut aggregates, &mut statements)? {
                Outcome::Written => self.summary.count(record.kind()),
                Outcome::Held => held_at.push(index),
                Outcome::Refused { field, reason } => {
                    self.refused = true;
                    return Ok(Written::Rejected(Rejection {
                        index,
                        field,
                        reason,
                    }));
                }
            }
        }
        let held = take_held(&mut records, &held_at);
        self.freeing.free(records);
        // Set aside, summed and written in key order at the end (`finish`).
        aggregates.spool(conn)?;
        if !self.pending_search.is_empty() {
            conn.prepare_cached(SPOOL_TABLE)?.execute([])?;
            let mut spool = conn.prepare_cached(SPOOL_ROW)?;
            for row in self.pending_search.drain(..) {
                row.insert_with(&mut spool)?;
            }
        }
        if let Some(aside) = &mut self.aside {
            aside.flush()?;
        }
        Ok(Written::Done { held })
    }

    /// Writes one record, or says why not. Store errors that concern the record (a value
    /// taken, a value the store cannot keep) refuse it; others fail the import.
    fn record(
        &mut self,
        conn: &Connection,
        record: &ImportRecord,
        unresolved: Unresolved,
        aggregates: &mut ledger::PendingAggregates,
        statements: &mut ChunkStatements<'_>,
    ) -> StoreResult<Outcome> {
        let outcome = match record {
            ImportRecord::Product(product) => ledger::insert_product(conn, product).map(|id| {
                self.known.products.insert(id.0);
                Outcome::Written
            }),
            ImportRecord::Customer(customer) => {
                self.customer(conn, &mut statements.customers, customer)
            }
            ImportRecord::Order(order) => {
                self.order(conn, order, unresolved, aggregates, statements)
            }
            ImportRecord::Subscription(subscription) => {
                self.subscription(conn, subscription, unresolved)
            }
            ImportRecord::DownloadGrant(grant) => self.grant(conn, grant, unresolved),
            ImportRecord::ApiKey(key) => insert_key(conn, key),
        };
        match outcome {
            Err(StoreError::Conflict { field }) => Ok(refused(field, "already exists")),
            Err(StoreError::Invalid { field, reason }) => Ok(refused(field, reason)),
            other => other,
        }
    }

    fn customer(
        &mut self,
        conn: &Connection,
        statements: &mut customers::CustomerStatements<'_>,
        imported: &ImportCustomer,
    ) -> StoreResult<Outcome> {
        let account = imported.customer.account.as_ref();
        if imported.password_hash.is_some() {
            if account.is_none() {
                return Ok(refused("password_hash", "a guest has no password"));
            }
            if account.is_some_and(|a| a.password.is_some()) {
                return Ok(refused(
                    "password_hash",
                    "give either a password or its hash, not both",
                ));
            }
        }
        let encoded = customers::EncodedCustomer::of(&imported.customer);
        let options = customers::InsertOptions {
            password_hash: imported.password_hash.as_deref(),
            modified_at: imported.modified_at,
            meta_ids: &imported.meta_ids,
            encoded: Some(&encoded),
        };
        let id = customers::insert_with(conn, statements, &imported.customer, &options)?;
        self.counts.add(&imported.customer);
        self.search_row(encoded.search_text(id.0));
        self.known.customers.insert(id.0);
        if let Some(created) = &mut self.created {
            created.push(id.0);
        }
        Ok(Outcome::Written)
    }

    fn order(
        &mut self,
        conn: &Connection,
        imported: &ImportOrder,
        unresolved: Unresolved,
        aggregates: &mut ledger::PendingAggregates,
        statements: &mut ChunkStatements<'_>,
    ) -> StoreResult<Outcome> {
        let order = &imported.order;
        for (i, line) in order.line_items.iter().enumerate() {
            if let Some(product) = line.product_id
                && !self.known.product(conn, product.0)?
            {
                return Ok(unresolved_reference(
                    unresolved,
                    format!("line_items.{i}.product_id"),
                    format!("no product has id {}", product.0),
                ));
            }
        }
        let customer_id = match &imported.customer {
            CustomerRef::Id(id) => {
                if !self.known.customer(conn, id.0)? {
                    return Ok(unresolved_reference(
                        unresolved,
                        "customer_id".into(),
                        format!("no customer has id {}", id.0),
                    ));
                }
                id.0
            }
            CustomerRef::Email(email) => match customers::id_by_email(conn, email.as_str())? {
                Some(id) => id,
                None if unresolved == Unresolved::Hold => return Ok(Outcome::Held),
                None => {
                    let guest = guest_for(order, email);
                    let encoded = customers::EncodedCustomer::of(&guest);
                    let options = customers::InsertOptions {
                        encoded: Some(&encoded),
                        ..customers::InsertOptions::default()
                    };
                    let id =
                        customers::insert_with(conn, &mut statements.customers, &guest, &options)
                            .map_err(|error| within("email", error))?;
                    self.counts.add(&guest);
                    self.search_row(encoded.search_text(id.0));
                    self.known.customers.insert(id.0);
                    if let Some(created) = &mut self.created {
                        created.push(id.0);
                    }
                    self.summary.count(RecordKind::Customer);
                    id.0
                }
            },
        };
        let ids = ledger::KeptOrderIds {
            lines: &imported.line_ids,
            refunds: &imported.refund_ids,
        };
        let aggregates = if self.bulk.is_some() {
            None
        } else {
            Some(aggregates)
        };
        let id = ledger::write_order(
            conn,
            &mut statements.orders,
            order,
            customer_id,
            "",
            &ids,
            aggregates,
        )?;
        self.known.orders.insert(id.0);
        Ok(Outcome::Written)
    }

    fn subscription(
        &mut self,
        conn: &Connection,
        imported: &ImportSubscription,
        unresolved: Unresolved,
    ) -> StoreResult<Outcome> {
        let subscription = &imported.subscription;
        if let Some(outcome) = self.known.missing_customer_or_product(
            conn,
            subscription.customer_id.0,
            subscription.product_id.0,
            unresolved,
        )? {
            return Ok(outcome);
        }
        let count = self.bulk.is_none();
        ledger::write_subscription(conn, subscription, imported.id, "", count)?;
        Ok(Outcome::Written)
    }

    fn grant(
        &mut self,
        conn: &Connection,
        imported: &ImportDownloadGrant,
        unresolved: Unresolved,
    ) -> StoreResult<Outcome> {
        let grant = &imported.grant;
        if let Some(outcome) = self.known.missing_customer_or_product(
            conn,
            grant.customer_id.0,
            grant.product_id.0,
            unresolved,
        )? {
            return Ok(outcome);
        }
        if !self.known.order(conn, grant.order_id.0)? {
            return Ok(unresolved_reference(
                unresolved,
                "order_id".into(),
                format!("no order has id {}", grant.order_id.0),
            ));
        }
        let is_file: bool = conn
            .prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM product_files WHERE product_id = ?1 AND file_id = ?2)",
            )?
            .query_row(params![grant.product_id.0, grant.download_id], |row| {
                row.get(0)
            })?;
        if !is_file {
            return Ok(refused(
                "download_id",
                format!("is not a file of product {}", grant.product_id.0),
            ));
        }
        let count = self.bulk.is_none();
        ledger::write_grant(conn, grant, imported.id, "", count)?;
        Ok(Outcome::Written)
    }

    /// Builds what a bulk load left for the end, and says what was written.
    fn finish(&mut self, conn: &Connection) -> StoreResult<ImportSummary> {
        if self.refused {
            return Err(backend(
                "the import refused a record and must be rolled back",
            ));
        }
        if let Some(dropped) = self.bulk.take() {
            build_after_bulk(conn, &dropped)?;
        }
        let started = Instant::now();
        let new_buyers = ledger::apply_spooled_aggregates(conn)?;
        tracing::debug!(elapsed = ?started.elapsed(), "import: aggregates written");
        if !self.row_triggers.is_empty() {
            self.counts.write(conn, &new_buyers)?;
            for trigger in std::mem::take(&mut self.row_triggers) {
                conn.execute_batch(&trigger.sql)?;
            }
            conn.execute("UPDATE data_generation SET generation = generation + 1", [])?;
        }
        if let Some(created) = &self.created {
            webhooks::enqueue_created(conn, created)?;
        }
        match self.aside.take() {
            Some(aside) => {
                let started = Instant::now();
                aside.move_into(conn)?;
                tracing::debug!(elapsed = ?started.elapsed(), "bulk import: search index moved in");
            }
            None => {
                let spooled = conn
                    .prepare_cached(
                        "SELECT 1 FROM temp.sqlite_schema WHERE name = 'import_search_rows'",
                    )?
                    .exists([])?;
                if spooled {
                    let started = Instant::now();
                    conn.execute(UNSPOOL, [])?;
                    conn.execute("DROP TABLE temp.import_search_rows", [])?;
                    tracing::debug!(elapsed = ?started.elapsed(), "import: search rows indexed");
                }
                set_search_hash_size(conn, DEFAULT_SEARCH_HASH_BYTES)?
            }
        }
        Ok(self.summary)
    }
}

/// How many bytes of new search terms the search index gathers in memory during an
/// import before it writes them out as a segment. Each segment written is merged with
/// others later, so fewer, larger segments save most of the merging (FTS5's default is
/// [`DEFAULT_SEARCH_HASH_BYTES`]).
const IMPORT_SEARCH_HASH_BYTES: i64 = 48 * 1024 * 1024;
/// FTS5's own default, put back at the end of an import (the setting is kept in the
/// database; a rolled-back import takes its change back with it).
const DEFAULT_SEARCH_HASH_BYTES: i64 = 1024 * 1024;

fn set_search_hash_size(conn: &Connection, bytes: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO customer_search (customer_search, rank) VALUES ('hashsize', ?1)",
    )?
    .execute([bytes])?;
    Ok(())
}

/// Ids at or above this are looked up every time: below it, a bitmap of at most
/// 16 MiB per kind remembers them.
const KNOWN_ID_LIMIT: i64 = 1 << 27;

/// Ids known to be stored, so that a record naming one costs no lookup: most records of
/// an import name records written just before.
#[derive(Default)]
struct IdBitmap(Vec<u64>);

impl IdBitmap {
    fn insert(&mut self, id: i64) {
        if (0..KNOWN_ID_LIMIT).contains(&id) {
            let (word, bit) = (id as usize / 64, id as usize % 64);
            if word >= self.0.len() {
                self.0.resize((word + 1).next_power_of_two(), 0);
            }
            self.0[word] |= 1 << bit;
        }
    }

    fn contains(&self, id: i64) -> bool {
        (0..KNOWN_ID_LIMIT).contains(&id)
            && self
                .0
                .get(id as usize / 64)
                .is_some_and(|word| word & (1 << (id as usize % 64)) != 0)
    }
}

/// The ids an import knows to be stored: written by it, or found stored.
#[derive(Default)]
struct KnownIds {
    customers: IdBitmap,
    products: IdBitmap,
    orders: IdBitmap,
}

impl KnownIds {
    fn customer(&mut self, conn: &Connection, id: i64) -> StoreResult<bool> {
        known(&mut self.customers, id, || customers::exists(conn, id))
    }

    fn product(&mut self, conn: &Connection, id: i64) -> StoreResult<bool> {
        known(&mut self.products, id, || ledger::product_exists(conn, id))
    }

    fn order(&mut self, conn: &Connection, id: i64) -> StoreResult<bool> {
        known(&mut self.orders, id, || ledger::order_exists(conn, id))
    }

    /// The outcome for a record whose customer or product is not stored, if either is
    /// not.
    fn missing_customer_or_product(
        &mut self,
        conn: &Connection,
        customer_id: i64,
        product_id: i64,
        unresolved: Unresolved,
    ) -> StoreResult<Option<Outcome>> {
        if !self.customer(conn, customer_id)? {
            return Ok(Some(unresolved_reference(
                unresolved,
                "customer_id".into(),
                format!("no customer has id {customer_id}"),
            )));
        }
        if !self.product(conn, product_id)? {
            return Ok(Some(unresolved_reference(
                unresolved,
                "product_id".into(),
                format!("no product has id {product_id}"),
            )));
        }
        Ok(None)
    }
}

/// Whether `id` is stored: from `bitmap`, else from `lookup` (remembered when found).
fn known(
    bitmap: &mut IdBitmap,
    id: i64,
    lookup: impl FnOnce() -> StoreResult<bool>,
) -> StoreResult<bool> {
    if bitmap.contains(id) {
        return Ok(true);
    }
    let found = lookup()?;
    if found {
        bitmap.insert(id);
    }
    Ok(found)
}

/// Names `field` in an error of a record written on behalf of another (a guest created
/// for an order's e-mail address).
fn within(field: &str, error: StoreError) -> StoreError {
    match error {
        StoreError::Conflict { .. } => StoreError::Invalid {
            field: field.into(),
            reason: "already exists".into(),
        },
        StoreError::Invalid { reason, .. } => StoreError::Invalid {
            field: field.into(),
            reason,
        },
        other => other,
    }
}

/// Takes the records at `held_at` (in increasing order) out of `records`, in that order,
/// leaving the others.
fn take_held(records: &mut Vec<ImportRecord>, held_at: &[usize]) -> Vec<Held> {
    if held_at.is_empty() {
        return Vec::new();
    }
    let mut held = Vec::with_capacity(held_at.len());
    let mut next = held_at.iter().copied().peekable();
    let mut kept = Vec::with_capacity(records.len() - held_at.len());
    for (index, record) in std::mem::take(records).into_iter().enumerate() {
        if next.next_if_eq(&index).is_some() {
            held.push(Held { index, record });
        } else {
            kept.push(record);
        }
    }
    *records = kept;
    held
}

/// The statements a chunk's customers and orders are written with, prepared once per
/// chunk (see [`customers::CustomerStatements`] and [`ledger::OrderStatements`]).
struct ChunkStatements<'conn> {
    customers: customers::CustomerStatements<'conn>,
    orders: ledger::OrderStatements<'conn>,
}

/// Stores a key as another store kept it.
fn insert_key(conn: &Connection, key: &KeptApiKey) -> StoreResult<Outcome> {
    match ApiKey::try_from(key.clone()) {
        Ok(key) => api_keys::insert_kept(conn, &key).map(|()| Outcome::Written),
        Err(unknown) => Ok(refused(unknown.field, unknown.reason)),
    }
}

/// Whether the store holds no customers and no products (and so nothing that names them).
fn is_empty(conn: &Connection) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM customers) AND NOT EXISTS (SELECT 1 FROM products)",
        [],
        |row| row.get(0),
    )?)
}

/// The page cache while records are written, KiB: room for the B-trees written out of
/// order (e-mail addresses, usernames) of a few million customers. With 128 MiB a bulk
/// load of a million customers peaked at 385-397 MB of resident memory, against a
/// budget of 400; with 96 MiB at 302-363 MB, in the same time. An import into a store
/// of a million customers was no quicker with the writer's 256 MiB (600,000 records,
/// three alternating pairs), and took 365 MB instead of 195.
const IMPORT_CACHE_KIB: i64 = 96 * 1024;
/// The page cache while a bulk load builds its indexes, KiB. SQLite sorts in runs of the
/// cache's size (4 MiB at least, 250 pages), and with `threads` one run is sorted while
/// the next is read: small runs keep both cores busy and fit the processor's caches.
/// The builds read and write in order and need no more cache than that. After the
/// aggregates, the indexes of a million customers and five million orders took 17.4 s
/// with 32 MiB, 13.8-14.2 s with 16 and 10.2-12.9 s with 8 (4 MiB was no quicker), and
/// the peak memory of the load fell from 333-375 MB to 275-295 MB.
const BUILD_CACHE_KIB: i64 = 8 * 1024;

/// Indexes a bulk load keeps up to date as it writes: their keys grow with the rows as
/// they are written (a customer's addresses and meta data, an order's lines and refunds
/// follow it), so each write appends at the end, cheaper than a sort afterwards.
const GROWING_INDEXES: [&str; 4] = [
    "customer_emails_customer",
    "customer_meta_customer",
    "order_items_order",
    "refunds_order",
];

/// Drops the secondary indexes (the unique ones stay: they decide conflicts record by
/// record; so do [`GROWING_INDEXES`]) and the triggers, and returns them to build again.
fn drop_for_bulk(conn: &Connection) -> StoreResult<Vec<Dropped>> {
    drop_schema_objects(
        conn,
        "(type = 'index' AND sql NOT LIKE 'CREATE UNIQUE INDEX%'
          AND tbl_name NOT IN ('api_keys', 'oauth_nonces'))
         OR type = 'trigger'",
        &GROWING_INDEXES,
    )
}

/// Drops, for an import row by row, the triggers that fire per row written into
/// `customers` and `customer_currency`, and returns them; the import does their work
/// once at its end, and the drop and the rebuild commit together, so no other
/// connection sees the store without them.
/// - The triggers that raise the data's generation: one import is one change of the
///   data, and a statement per row written (with the page it dirties written out at
///   every spill of the cache) took about a third of an import into a store of a
///   million customers.
/// - The triggers that keep the counts of customers, of registered customers per role
///   and of buyers per currency: the import adds what it wrote to them
///   ([`CountsAdded`]). A statement that fires a trigger makes SQLite keep a statement
///   journal, written to a temporary file once it outgrows 64 KiB; its writes were a
///   tenth of an import into a store of a million customers.
fn drop_row_triggers(conn: &Connection) -> StoreResult<Vec<Dropped>> {
    drop_schema_objects(
        conn,
        "type = 'trigger' AND (substr(name, 1, 16) = 'data_generation_'
             OR name IN ('customer_counts_insert', 'customer_counts_delete',
                 'customer_counts_update', 'customer_role_counts_insert',
                 'customer_role_counts_delete', 'customer_role_counts_update',
                 'currency_customer_counts_insert', 'currency_customer_counts_delete'))",
        &[],
    )
}

/// Drops the indexes and triggers that meet `condition` (on `sqlite_schema`), but for
/// those named in `kept`, and returns them to build again.
fn drop_schema_objects(
    conn: &Connection,
    condition: &str,
    kept: &[&str],
) -> StoreResult<Vec<Dropped>> {
    let dropped: Vec<Dropped> = conn
        .prepare(&format!(
            "SELECT type, name, sql FROM sqlite_schema
             WHERE sql IS NOT NULL AND type IN ('index', 'trigger') AND ({condition})
             ORDER BY type, name"
        ))?
        .query_map([], |row| {
            Ok(Dropped {
                kind: row.get(0)?,
                name: row.get(1)?,
                sql: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<Dropped>, _>>()?
        .into_iter()
        .filter(|object| !kept.contains(&object.name.as_str()))
        .collect();
    for object in &dropped {
        let kind = if object.kind == "index" {
            "INDEX"
        } else {
            "TRIGGER"
        };
        conn.execute_batch(&format!("DROP {kind} \"{}\"", object.name))?;
    }
    Ok(dropped)
}

/// After a bulk load: the aggregates from the rows, then the indexes and triggers, then
/// the kept counts, as row-by-row writes would have left them.
fn build_after_bulk(conn: &Connection, dropped: &[Dropped]) -> StoreResult<()> {
    conn.pragma_update(None, "cache_size", -BUILD_CACHE_KIB)?;
    let started = Instant::now();
    conn.execute_batch(
        "INSERT INTO customer_subscription_stats (customer_id, status, count)
             SELECT customer_id, status, COUNT(*) FROM subscriptions
             GROUP BY customer_id, status;
         UPDATE customers SET download_count = grants.downloads
             FROM (SELECT customer_id, SUM(download_count) AS downloads
                   FROM download_grants GROUP BY customer_id) AS grants
             WHERE customers.id = grants.customer_id;",
    )?;
    // The aggregates read the orders through `orders_customer`, in their order and with
    // their figures: it goes first.
    let (read_by_aggregates, others): (Vec<&Dropped>, Vec<&Dropped>) = dropped
        .iter()
        .partition(|object| object.name == AGGREGATES_INDEX);
    let build = |object: &Dropped| -> StoreResult<()> {
        conn.execute_batch(&object.sql)?;
        tracing::debug!(elapsed = ?started.elapsed(), name = object.name, "bulk import: built");
        Ok(())
    };
    read_by_aggregates.into_iter().try_for_each(build)?;
    // The aggregates write three tables and every customer row in key order: with the
    // builds' small cache they spilled pages more often, for about a second more.
    conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
    build_order_aggregates(conn)?;
    conn.pragma_update(None, "cache_size", -BUILD_CACHE_KIB)?;
    tracing::debug!(elapsed = ?started.elapsed(), "bulk import: aggregates built");
    others.into_iter().try_for_each(build)?;
    // The triggers that raise the data's generation were dropped with the others.
    conn.execute_batch(
        "UPDATE data_generation SET generation = generation + 1;
         UPDATE customer_counts SET
             registered = (SELECT COUNT(username) FROM customers),
             guests = (SELECT COUNT(*) - COUNT(username) FROM customers);
         UPDATE customer_role_counts SET registered = 0;
         INSERT INTO customer_role_counts (role, registered)
             SELECT role, COUNT(*) FROM customers
             WHERE role IS NOT NULL AND username IS NOT NULL GROUP BY role
             ON CONFLICT (role) DO UPDATE SET registered = excluded.registered;
         UPDATE currency_customer_counts SET customers = 0;
         INSERT INTO currency_customer_counts (currency, customers)
             SELECT currency, COUNT(*) FROM customer_currency GROUP BY currency
             ON CONFLICT (currency) DO UPDATE SET customers = excluded.customers;",
    )?;
    Ok(())
}

/// The index holding every order's customer, currency, time, id and figures, in that
/// order: what [`build_order_aggregates`] reads.
const AGGREGATES_INDEX: &str = "orders_customer";

/// Every order's figures in customer, currency, time and id order, from
/// [`AGGREGATES_INDEX`] alone.
const ORDERS_FOR_AGGREGATES: &str =
    "SELECT customer_id, currency, status, total, refunded, created_at, id
     FROM orders INDEXED BY orders_customer
     ORDER BY customer_id, currency, created_at, id";

/// Each customer's figures per currency and status, first and last order per currency
/// (ties broken by id, as row-by-row writes break them) and last order over all
/// currencies: one pass over [`AGGREGATES_INDEX`], which holds the orders in customer,
/// currency, time and id order with their figures (no table read and no sort), writing
/// every row in key order.
fn build_order_aggregates(conn: &Connection) -> StoreResult<()> {
    const STATUSES: usize = OrderStatus::ALL.len();
    /// One customer's orders in one currency.
    struct Group {
        customer_id: i64,
        currency: String,
        first: (i64, i64),
        last: (i64, i64),
        /// `[orders, total, refunded]` by status index.
        buckets: [[i64; 3]; STATUSES],
    }
    let mut add_bucket = conn.prepare_cached(
        "INSERT INTO customer_order_stats (customer_id, currency, status, orders, total, refunded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut add_edges = conn.prepare_cached(
        "INSERT INTO customer_currency (customer_id, currency, first_order_at, first_order_id,
             last_order_at, last_order_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut set_last_order =
        conn.prepare_cached("UPDATE customers SET last_order_at = ?2 WHERE id = ?1")?;
    let mut write_group = |group: &Group| -> rusqlite::Result<()> {
        for (status, [orders, total, refunded]) in group.buckets.iter().enumerate() {
            if *orders > 0 {
                add_bucket.execute(params![
                    group.customer_id,
                    group.currency,
                    status as i64,
                    orders,
                    total,
                    refunded
                ])?;
            }
        }
        add_edges.execute(params![
            group.customer_id,
            group.currency,
            group.first.0,
            group.first.1,
            group.last.0,
            group.last.1
        ])?;
        Ok(())
    };
    let mut statement = conn.prepare(ORDERS_FOR_AGGREGATES)?;
    let mut rows = statement.query([])?;
    let mut group: Option<Group> = None;
    let mut customer_last: Option<(i64, i64)> = None;
    while let Some(row) = rows.next()? {
        let customer_id: i64 = row.get(0)?;
        let status = usize::try_from(row.get::<_, i64>(2)?)
            .unwrap_or(0)
            .min(STATUSES - 1);
        let figures = [1, row.get(3)?, row.get(4)?];
        let placed: (i64, i64) = (row.get(5)?, row.get(6)?);
        let same = group.as_ref().is_some_and(|g| {
            g.customer_id == customer_id
                && row
                    .get_ref(1)
                    .ok()
                    .and_then(|c| c.as_str().ok())
                    .is_some_and(|c| c == g.currency)
        });
        if !same {
            if let Some(done) = group.take() {
                write_group(&done)?;
            }
            group = Some(Group {
                customer_id,
                currency: row.get(1)?,
                first: placed,
                last: placed,
                buckets: [[0; 3]; STATUSES],
            });
        }
        let current = group.as_mut().expect("a group was just started");
        current.last = placed;
        for (sum, add) in current.buckets[status].iter_mut().zip(figures) {
            *sum += add;
        }
        match &mut customer_last {
            Some((id, at)) if *id == customer_id => *at = (*at).max(placed.0),
            _ => {
                if let Some((id, at)) = customer_last.replace((customer_id, placed.0)) {
                    set_last_order.execute(params![id, at])?;
                }
            }
        }
    }
    if let Some(done) = group {
        write_group(&done)?;
    }
    if let Some((id, at)) = customer_last {
        set_last_order.execute(params![id, at])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a value was dropped, told by its thread's name; the first one dropped
    /// waits for `release` first, holding up the thread that drops it.
    struct Tracked {
        dropped_on: mpsc::Sender<Option<String>>,
        release: Option<Receiver<()>>,
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            if let Some(release) = self.release.take() {
                let _ = release.recv();
            }
            let name = std::thread::current().name().map(str::to_owned);
            let _ = self.dropped_on.send(name);
        }
    }

    #[test]
    fn written_records_are_freed_on_their_own_thread_without_holding_up_the_writer() {
        let (dropped_on, drops) = mpsc::channel();
        let (release, held_up) = mpsc::channel();
        let freeing = Freeing::start();
        freeing.free(Tracked {
            dropped_on: dropped_on.clone(),
            release: Some(held_up),
        });
        // The freeing thread is held up: the queue fills, and what comes after it is
        // freed here at once instead of waiting.
        let here = std::thread::current().name().map(str::to_owned);
        for _ in 0..CHUNKS_TO_FREE + 3 {
            freeing.free(Tracked {
                dropped_on: dropped_on.clone(),
                release: None,
            });
        }
        let freed_here: Vec<Option<String>> = drops.try_iter().collect();
        assert!(freed_here.len() >= 3, "{freed_here:?}");
        assert!(freed_here.iter().all(|name| *name == here));
        release.send(()).unwrap();
        drop(freeing);
        drop(dropped_on);
        let freed_there: Vec<Option<String>> = drops.iter().collect();
        assert!(!freed_there.is_empty());
        assert!(
            freed_there
                .iter()
                .all(|name| name.as_deref() == Some("clientele-free")),
            "{freed_there:?}"
        );
        assert_eq!(freed_here.len() + freed_there.len(), CHUNKS_TO_FREE + 4);
    }

    fn product(id: i64) -> ImportRecord {
        ImportRecord::Product(customer_model::NewProduct {
            id: Some(customer_model::ProductId(id)),
            uuid: None,
            name: format!("Product {id}"),
            files: Vec::new(),
        })
    }

    #[test]
    fn held_records_are_taken_out_in_order_and_the_others_kept() {
        let mut records: Vec<ImportRecord> = (0..6).map(product).collect();
        let held = take_held(&mut records, &[0, 3, 5]);
        let held: Vec<(usize, ImportRecord)> =
            held.into_iter().map(|h| (h.index, h.record)).collect();
        assert_eq!(held, [(0, product(0)), (3, product(3)), (5, product(5))]);
        assert_eq!(records, [product(1), product(2), product(4)]);

        let mut records: Vec<ImportRecord> = (0..3).map(product).collect();
        assert!(take_held(&mut records, &[]).is_empty());
        assert_eq!(records.len(), 3);
    }

    /// The aggregates of a bulk load read the orders from their index alone, already in
    /// order: neither the table nor a sort of the orders.
    #[test]
    fn aggregates_read_one_index_in_order() {
        let mut conn = Connection::open_in_memory().expect("a database");
        super::super::schema::migrate(&mut conn).expect("the schema");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {ORDERS_FOR_AGGREGATES}"))
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get::<_, String>(3))?
                    .collect::<rusqlite::Result<_>>()
            })
            .expect("a plan");
        assert_eq!(
            plan,
            [format!(
                "SCAN orders USING COVERING INDEX {AGGREGATES_INDEX}"
            )]
        );
    }
}
