//! Import and export sessions. Each is a task that holds one pooled connection and one
//! transaction from its start to its end and serves the session's calls in turn.
//!
//! An import writes through the batch path of `import.rs` (binary `COPY`, aggregates
//! merged set-based) inside the session's one `READ COMMITTED` transaction, so memory is
//! bounded by a chunk; a refused record leaves the transaction to be rolled back, and a
//! dropped session rolls back when its task drops the transaction. Records whose
//! references are not stored yet are handed back (held) before the chunk is written.
//! As on SQLite, the [`ImportMode`] decides how:
//! - **Bulk** (`Auto` into an empty store): the secondary indexes, the trigram search
//!   index among them, are dropped inside the transaction and built once at commit.
//! - **A chunk at a time** (`Auto` into a store with data): every chunk updates the
//!   indexes and the kept aggregates, set-based.
//! - **Row by row** (`RowByRow`): every record on its own, indexes and aggregates up to
//!   date after each one.
//!
//! An export reads keyset pages, kind by kind and by id, in one `REPEATABLE READ, READ
//! ONLY` transaction: one snapshot however long it takes.

use std::collections::HashSet;

use async_trait::async_trait;
use customer_model::export::StoredRecord;
use customer_model::import::{CustomerRef, ImportBatch, ImportRecord, ImportSummary, RecordKind};
use customer_model::{NewCustomer, Timestamp};
use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::IsolationLevel;

use super::{Tx, api_keys, customers, import, ledger, query, query_opt, webhooks};
use crate::transfer::ImportCommand;
use crate::values::{IdRuns, backend, hash_passwords};
use crate::{
    ExportOptions, ExportSession, Held, ImportMode, ImportOptions, ImportSession, Rejection,
    StoreError, StoreResult, Unresolved, Written,
};

/// Records an export page holds at most.
const PAGE: i64 = 2000;

/// The import session's handle: calls go to the task that holds the transaction.
pub(crate) struct PostgresImport {
    commands: mpsc::Sender<ImportCommand>,
}

fn gone() -> StoreError {
    backend("the import's connection task stopped")
}

/// Takes a connection, begins the transaction and starts the session's task.
/// Records without their own instants get `now`, the store's clock when it began.
pub(crate) async fn begin_import(
    pool: Pool,
    options: ImportOptions,
    now: Timestamp,
) -> StoreResult<PostgresImport> {
    let (commands, mut queue) = mpsc::channel::<ImportCommand>(1);
    let (started, ready) = oneshot::channel::<StoreResult<()>>();
    tokio::spawn(crate::clock::with_task_now(now, async move {
        let mut client = match pool.get().await {
            Ok(client) => client,
            Err(error) => {
                let _ = started.send(Err(error.into()));
                return;
            }
        };
        let begun = match client.transaction().await {
            Ok(tx) => match ChunkWriter::begin(&tx, options).await {
                Ok(writer) => Ok((tx, writer)),
                Err(error) => Err(error),
            },
            Err(error) => Err(error.into()),
        };
        let (tx, mut writer) = match begun {
            Ok(begun) => begun,
            Err(error) => {
                let _ = started.send(Err(error));
                return;
            }
        };
        if started.send(Ok(())).is_err() {
            return;
        }
        while let Some(command) = queue.recv().await {
            match command {
                ImportCommand::Write {
                    records,
                    unresolved,
                    reply,
                } => {
                    let _ = reply.send(writer.write(&tx, records, unresolved).await);
                }
                ImportCommand::Commit { reply } => {
                    let outcome = match writer.finish(&tx).await {
                        Ok(summary) => tx.commit().await.map(|()| summary).map_err(Into::into),
                        Err(error) => Err(error),
                    };
                    let _ = reply.send(outcome);
                    return;
                }
                ImportCommand::Rollback { reply } => {
                    let _ = reply.send(tx.rollback().await.map_err(Into::into));
                    return;
                }
            }
        }
        // The session was dropped: dropping the transaction rolls it back.
    }));
    ready.await.map_err(|_| gone())??;
    Ok(PostgresImport { commands })
}

impl PostgresImport {
    async fn send<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> ImportCommand,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

#[async_trait]
impl ImportSession for PostgresImport {
    async fn write(
        &mut self,
        records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written> {
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

/// What an import session has written so far, and how it writes.
struct ChunkWriter {
    /// Each record on its own, with indexes and aggregates kept up to date after every
    /// one ([`ImportMode::RowByRow`]), rather than a chunk at a time.
    row_by_row: bool,
    /// `Some` in a bulk load: the definitions of the indexes dropped for it, to build
    /// again at the end.
    bulk: Option<Vec<String>>,
    summary: ImportSummary,
    /// A record was refused: the transaction can only be rolled back.
    refused: bool,
    /// With [`ImportOptions::fire_webhooks`]: the customers written (guests too: the
    /// statement that fires the events keeps the registered ones).
    created: Option<IdRuns>,
}

impl ChunkWriter {
    /// Into an empty store under [`ImportMode::Auto`], drops the secondary indexes (the
    /// unique ones stay: they decide conflicts; so do the ones whose keys grow with the
    /// rows as they are written) to build them again at the end.
    async fn begin(tx: &Tx<'_>, options: ImportOptions) -> StoreResult<Self> {
        let mode = options.mode;
        let bulk = match mode {
            ImportMode::Auto if is_empty(tx).await? => Some(drop_for_bulk(tx).await?),
            _ => None,
        };
        Ok(Self {
            row_by_row: mode == ImportMode::RowByRow,
            bulk,
            summary: ImportSummary::default(),
            refused: false,
            created: options.fire_webhooks.then(IdRuns::default),
        })
    }

    async fn write(
        &mut self,
        tx: &Tx<'_>,
        records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written> {
        if !self.row_by_row {
            return self.write_chunk(tx, records, unresolved).await;
        }
        let mut held = Vec::new();
        for (index, record) in records.into_iter().enumerate() {
            match self.write_chunk(tx, vec![record], unresolved).await? {
                Written::Done { held: one } => held.extend(one.into_iter().map(|h| Held {
                    index,
                    record: h.record,
                })),
                Written::Rejected(rejection) => {
                    return Ok(Written::Rejected(Rejection { index, ..rejection }));
                }
            }
        }
        Ok(Written::Done { held })
    }

    async fn write_chunk(
        &mut self,
        tx: &Tx<'_>,
        records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written> {
        if self.refused {
            return Err(backend(
                "the import refused a record and must be rolled back",
            ));
        }
        let waiting = match unresolved {
            Unresolved::Hold => unresolved_records(tx, &records).await?,
            Unresolved::Reject => HashSet::new(),
        };
        let mut held = Vec::new();
        let mut batch = ImportBatch::default();
        // Where each record of the batch came from, by kind in the batch's order.
        let mut origins: Vec<Vec<usize>> = vec![Vec::new(); RecordKind::ALL.len()];
        for (index, record) in records.into_iter().enumerate() {
            if waiting.contains(&index) {
                held.push(Held { index, record });
                continue;
            }
            origins[kind_position(record.kind())].push(index);
            batch.push(record);
        }
        // Argon2 is slow by design: hash on the blocking pool.
        let (batch, hashes) = tokio::task::spawn_blocking(move || {
            let plain: Vec<NewCustomer> =
                batch.customers.iter().map(|c| c.customer.clone()).collect();
            let hashes = hash_passwords(&plain)?;
            Ok::<_, StoreError>((batch, hashes))
        })
        .await
        .map_err(|e| backend(e.to_string()))??;
        match import::import(tx, &batch, &hashes, self.created.as_mut()).await {
            Ok(summary) => {
                self.summary += summary;
                Ok(Written::Done { held })
            }
            Err(StoreError::Invalid { field, reason }) => {
                self.refused = true;
                Ok(Written::Rejected(locate(&origins, &field, reason)))
            }
            Err(error) => {
                self.refused = true;
                Err(error)
            }
        }
    }

    /// Builds what a bulk load left for the end and refreshes the planner's statistics
    /// after a large import; says what was written.
    async fn finish(&mut self, tx: &Tx<'_>) -> StoreResult<ImportSummary> {
        if self.refused {
            return Err(backend(
                "the import refused a record and must be rolled back",
            ));
        }
        if let Some(indexes) = self.bulk.take() {
            let started = std::time::Instant::now();
            tx.batch_execute(&indexes.join(";\n")).await?;
            tracing::debug!(elapsed = ?started.elapsed(), "bulk import: indexes built");
        }
        if let Some(created) = &self.created {
            webhooks::enqueue_created(tx, created).await?;
        }
        if self.summary.customers + self.summary.orders >= ANALYZE_AFTER {
            // The planner's statistics would otherwise describe the tables before the
            // import until autovacuum comes round; lists right after a large import need
            // them (ANALYZE samples, so this takes seconds at millions of rows).
            tx.batch_execute(
                "ANALYZE customers, customer_emails, customer_search, customer_currency, orders,
                     order_items",
            )
            .await?;
        }
        Ok(self.summary)
    }
}

/// Imports of at least this many customers and orders refresh the planner's statistics.
const ANALYZE_AFTER: u64 = 10_000;

/// Whether the store holds no customers and no products (and so nothing that names them).
async fn is_empty(tx: &Tx<'_>) -> StoreResult<bool> {
    Ok(query_opt(
        tx,
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM products)",
        &[],
    )
    .await?
    .is_none())
}

/// Indexes a bulk load keeps up to date as it writes: their keys grow with the rows as
/// they are written (a customer's addresses and meta data, an order's lines and refunds
/// follow it), so each write appends at the end.
const GROWING_INDEXES: [&str; 4] = [
    "customer_emails_customer",
    "customer_meta_customer",
    "order_items_order",
    "refunds_order",
];

/// Drops the secondary indexes of the data tables but [`GROWING_INDEXES`] and returns
/// their definitions. Other sessions wait for the import to touch those tables (the drop
/// locks them), and never see them without their indexes: the drop and the rebuild
/// commit together.
async fn drop_for_bulk(tx: &Tx<'_>) -> StoreResult<Vec<String>> {
    let rows = query(
        tx,
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relnamespace = current_schema()::regnamespace
           AND t.relname IN ('customers', 'customer_emails', 'customer_meta', 'customer_search',
               'orders', 'order_items', 'refunds', 'subscriptions', 'download_grants',
               'customer_currency')
           AND NOT i.indisunique AND NOT i.indisprimary
         ORDER BY c.relname",
        &[],
    )
    .await?;
    let mut definitions = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        if GROWING_INDEXES.contains(&name.as_str()) {
            continue;
        }
        tx.batch_execute(&format!("DROP INDEX \"{name}\"")).await?;
        definitions.push(row.get(1));
    }
    Ok(definitions)
}

fn kind_position(kind: RecordKind) -> usize {
    RecordKind::ALL
        .iter()
        .position(|&k| k == kind)
        .unwrap_or_default()
}

/// The record a batch error (`orders.3.customer_id`) names, by its index in the chunk.
fn locate(origins: &[Vec<usize>], field: &str, reason: String) -> Rejection {
    let mut parts = field.splitn(3, '.');
    let plural = parts.next().unwrap_or_default();
    let position = RecordKind::ALL
        .iter()
        .position(|kind| kind.plural() == plural);
    let within: Option<usize> = parts.next().and_then(|i| i.parse().ok());
    let rest = parts.next().unwrap_or_default();
    let index = position
        .and_then(|p| origins[p].get(within.unwrap_or_default()).copied())
        .unwrap_or_default();
    Rejection {
        index,
        field: rest.to_owned(),
        reason,
    }
}

/// The records of a chunk that name something neither stored nor in the chunk (an
/// order's customer or product, a subscription's, a grant's order), by index.
async fn unresolved_records(tx: &Tx<'_>, records: &[ImportRecord]) -> StoreResult<HashSet<usize>> {
    let mut customers = HashSet::new();
    let mut emails = HashSet::new();
    let mut products = HashSet::new();
    let mut orders = HashSet::new();
    for record in records {
        match record {
            ImportRecord::Product(p) => products.extend(p.id.map(|id| id.0)),
            ImportRecord::Customer(c) => {
                customers.extend(c.customer.id.map(|id| id.0));
                emails.insert(c.customer.email.folded());
                emails.extend(c.customer.additional_emails.iter().map(|e| e.folded()));
            }
            _ => {}
        }
    }
    // References to look up in the store.
    let mut wanted_customers = Vec::new();
    let mut wanted_products = Vec::new();
    let mut wanted_orders = Vec::new();
    let mut wanted_emails = Vec::new();
    for record in records {
        match record {
            ImportRecord::Order(o) => {
                match &o.customer {
                    CustomerRef::Id(id) => wanted_customers.push(id.0),
                    CustomerRef::Email(email) => wanted_emails.push(email.folded()),
                }
                wanted_products.extend(
                    o.order
                        .line_items
                        .iter()
                        .filter_map(|l| l.product_id.map(|p| p.0)),
                );
            }
            ImportRecord::Subscription(s) => {
                wanted_customers.push(s.subscription.customer_id.0);
                wanted_products.push(s.subscription.product_id.0);
            }
            ImportRecord::DownloadGrant(g) => {
                wanted_customers.push(g.grant.customer_id.0);
                wanted_products.push(g.grant.product_id.0);
                wanted_orders.push(g.grant.order_id.0);
            }
            _ => {}
        }
    }
    let stored = |sql: &'static str, keys: Vec<i64>| async move {
        Ok::<_, StoreError>(
            query(tx, sql, &[&keys])
                .await?
                .iter()
                .map(|row| row.get::<_, i64>(0))
                .collect::<Vec<_>>(),
        )
    };
    customers.extend(
        stored(
            "SELECT id FROM customers WHERE id = ANY($1)",
            wanted_customers,
        )
        .await?,
    );
    products.extend(
        stored(
            "SELECT id FROM products WHERE id = ANY($1)",
            wanted_products,
        )
        .await?,
    );
    let stored_orders: HashSet<i64> =
        stored("SELECT id FROM orders WHERE id = ANY($1)", wanted_orders)
            .await?
            .into_iter()
            .collect();
    emails.extend(
        query(
            tx,
            "SELECT address_folded FROM customer_emails WHERE address_folded = ANY($1)",
            &[&wanted_emails],
        )
        .await?
        .iter()
        .map(|row| row.get::<_, String>(0)),
    );
    let mut waiting = HashSet::new();
    for (index, record) in records.iter().enumerate() {
        let resolved = match record {
            ImportRecord::Order(o) => {
                let customer = match &o.customer {
                    CustomerRef::Id(id) => customers.contains(&id.0),
                    CustomerRef::Email(email) => emails.contains(&email.folded()),
                };
                let resolved = customer
                    && o.order
                        .line_items
                        .iter()
                        .filter_map(|l| l.product_id)
                        .all(|p| products.contains(&p.0));
                if resolved {
                    orders.extend(o.order.id.map(|id| id.0));
                }
                resolved
            }
            ImportRecord::Subscription(s) => {
                customers.contains(&s.subscription.customer_id.0)
                    && products.contains(&s.subscription.product_id.0)
            }
            _ => true,
        };
        if !resolved {
            waiting.insert(index);
        }
    }
    for (index, record) in records.iter().enumerate() {
        if let ImportRecord::DownloadGrant(g) = record {
            let order = g.grant.order_id.0;
            if !(customers.contains(&g.grant.customer_id.0)
                && products.contains(&g.grant.product_id.0)
                && (stored_orders.contains(&order) || orders.contains(&order)))
            {
                waiting.insert(index);
            }
        }
    }
    Ok(waiting)
}

type PageReply = oneshot::Sender<StoreResult<Vec<StoredRecord>>>;

/// The export session's handle: page requests go to the task that holds the snapshot.
pub(crate) struct PostgresExport {
    requests: mpsc::Sender<PageReply>,
}

/// Takes a connection, begins the read-only snapshot and starts the session's task.
pub(crate) async fn begin_export(
    pool: Pool,
    options: ExportOptions,
) -> StoreResult<PostgresExport> {
    let (requests, mut queue) = mpsc::channel::<PageReply>(1);
    let (started, ready) = oneshot::channel::<StoreResult<()>>();
    tokio::spawn(async move {
        let mut client = match pool.get().await {
            Ok(client) => client,
            Err(error) => {
                let _ = started.send(Err(error.into()));
                return;
            }
        };
        let begun = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await;
        let tx = match begun {
            Ok(tx) => tx,
            Err(error) => {
                let _ = started.send(Err(error.into()));
                return;
            }
        };
        // The snapshot is taken by the transaction's first statement.
        if let Err(error) = tx.batch_execute("SELECT 1").await {
            let _ = started.send(Err(error.into()));
            return;
        }
        if started.send(Ok(())).is_err() {
            return;
        }
        let mut kinds: Vec<RecordKind> = RecordKind::ALL.to_vec();
        if !options.api_keys {
            kinds.retain(|&kind| kind != RecordKind::ApiKey);
        }
        let mut cursor = Cursor {
            kinds,
            current: 0,
            after: 0,
        };
        while let Some(reply) = queue.recv().await {
            let _ = reply.send(cursor.page(&tx).await);
        }
        let _ = tx.rollback().await;
    });
    ready
        .await
        .map_err(|_| backend("the export's connection task stopped"))??;
    Ok(PostgresExport { requests })
}

#[async_trait]
impl ExportSession for PostgresExport {
    async fn next_page(&mut self) -> StoreResult<Vec<StoredRecord>> {
        let (reply, page) = oneshot::channel();
        self.requests
            .send(reply)
            .await
            .map_err(|_| backend("the export's connection task stopped"))?;
        page.await
            .map_err(|_| backend("the export's connection task stopped"))?
    }
}

/// Where an export is: the kind it reads and the last id it gave.
struct Cursor {
    kinds: Vec<RecordKind>,
    current: usize,
    after: i64,
}

impl Cursor {
    async fn page(&mut self, tx: &Tx<'_>) -> StoreResult<Vec<StoredRecord>> {
        while let Some(&kind) = self.kinds.get(self.current) {
            let (records, last) = read_page(tx, kind, self.after).await?;
            match last {
                Some(last) => {
                    self.after = last;
                    return Ok(records);
                }
                None => {
                    self.current += 1;
                    self.after = 0;
                }
            }
        }
        Ok(Vec::new())
    }
}

async fn read_page(
    tx: &Tx<'_>,
    kind: RecordKind,
    after: i64,
) -> StoreResult<(Vec<StoredRecord>, Option<i64>)> {
    let mut records: Vec<(i64, StoredRecord)> = Vec::new();
    match kind {
        RecordKind::Product => {
            for id in ledger::ids_after(tx, "products", after, PAGE).await? {
                records.push((
                    id,
                    StoredRecord::Product(ledger::load_product(tx, id).await?),
                ));
            }
        }
        RecordKind::Customer => {
            let ids = ledger::ids_after(tx, "customers", after, PAGE).await?;
            let mut loaded = customers::load_many(tx, &ids).await?;
            loaded.sort_by_key(|c| c.id.0);
            records.extend(
                loaded
                    .into_iter()
                    .map(|c| (c.id.0, StoredRecord::Customer(c))),
            );
        }
        RecordKind::Order => {
            let ids = ledger::ids_after(tx, "orders", after, PAGE).await?;
            records.extend(
                ledger::load_orders(tx, &ids)
                    .await?
                    .into_iter()
                    .map(|o| (o.id.0, StoredRecord::Order(o))),
            );
        }
        RecordKind::Subscription => {
            records.extend(
                ledger::subscriptions_after(tx, after, PAGE)
                    .await?
                    .into_iter()
                    .map(|s| (s.id, StoredRecord::Subscription(s))),
            );
        }
        RecordKind::DownloadGrant => {
            records.extend(
                ledger::grants_after(tx, after, PAGE)
                    .await?
                    .into_iter()
                    .map(|g| (g.id, StoredRecord::DownloadGrant(g))),
            );
        }
        RecordKind::ApiKey => {
            records.extend(
                api_keys::live(tx)
                    .await?
                    .into_iter()
                    .filter(|key| key.id > after)
                    .map(|key| (key.id, StoredRecord::ApiKey(key.into()))),
            );
        }
    }
    let last = records.last().map(|(id, _)| *id);
    Ok((records.into_iter().map(|(_, r)| r).collect(), last))
}
