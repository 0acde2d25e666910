//! Exports. A session is a thread that holds one connection in one read transaction, so
//! every page comes from the same snapshot however long the export takes (WAL: writers
//! go on meanwhile), and reads a page of one kind at a time by id.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};

use async_trait::async_trait;
use customer_model::export::StoredRecord;
use customer_model::import::RecordKind;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::codec::backend;
use super::{Inner, api_keys, customers, ledger, lock};
use crate::{ExportOptions, ExportSession, StoreResult};

/// Records per page: large enough that a page costs a few statements per thousand
/// records, small enough to hold a page of orders in a few megabytes.
const PAGE: usize = 2000;

type PageReply = oneshot::Sender<StoreResult<Vec<StoredRecord>>>;

/// The session handle: page requests go to the reading thread.
pub(crate) struct SqliteExport {
    requests: SyncSender<PageReply>,
}

/// Starts the reading thread and waits until its snapshot is taken.
pub(crate) async fn begin(inner: Arc<Inner>, options: ExportOptions) -> StoreResult<SqliteExport> {
    let (requests, queue) = mpsc::sync_channel(0);
    let (started, ready) = oneshot::channel();
    std::thread::Builder::new()
        .name("clientele-export".into())
        .spawn(move || run(&inner, options, started, queue))
        .map_err(|e| backend(format!("cannot start the export thread: {e}")))?;
    ready
        .await
        .map_err(|_| backend("the export thread stopped"))??;
    Ok(SqliteExport { requests })
}

#[async_trait]
impl ExportSession for SqliteExport {
    async fn next_page(&mut self) -> StoreResult<Vec<StoredRecord>> {
        let (reply, page) = oneshot::channel();
        let requests = self.requests.clone();
        tokio::task::spawn_blocking(move || requests.send(reply))
            .await
            .map_err(|e| backend(e.to_string()))?
            .map_err(|_| backend("the export thread stopped"))?;
        page.await
            .map_err(|_| backend("the export thread stopped"))?
    }
}

fn run(
    inner: &Inner,
    options: ExportOptions,
    started: oneshot::Sender<StoreResult<()>>,
    requests: Receiver<PageReply>,
) {
    // A file database reads on a connection of its own; an in-memory one has only the
    // writer, held for the whole export.
    match &inner.readers {
        Some(readers) => {
            let conn = match readers.open_connection() {
                Ok(conn) => conn,
                Err(error) => {
                    let _ = started.send(Err(error));
                    return;
                }
            };
            serve(&conn, options, started, &requests);
            // The connection ends its read transaction when closed; it is not put back.
        }
        None => {
            let conn = lock(&inner.writer);
            serve(&conn, options, started, &requests);
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

fn serve(
    conn: &Connection,
    options: ExportOptions,
    started: oneshot::Sender<StoreResult<()>>,
    requests: &Receiver<PageReply>,
) {
    // The snapshot is taken by the first read of the transaction.
    let snapshot = conn
        .execute_batch("BEGIN DEFERRED; SELECT COUNT(*) FROM sqlite_schema;")
        .map_err(Into::into);
    let failed = snapshot.is_err();
    if started.send(snapshot).is_err() || failed {
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
    while let Ok(reply) = requests.recv() {
        let _ = reply.send(cursor.page(conn));
    }
}

/// Where the export is: which kind, after which id.
struct Cursor {
    kinds: Vec<RecordKind>,
    current: usize,
    after: i64,
}

impl Cursor {
    fn page(&mut self, conn: &Connection) -> StoreResult<Vec<StoredRecord>> {
        while let Some(&kind) = self.kinds.get(self.current) {
            let (records, last) = read_page(conn, kind, self.after)?;
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

/// A page of `kind` after id `after`, with the last id read (`None` when none are left).
fn read_page(
    conn: &Connection,
    kind: RecordKind,
    after: i64,
) -> StoreResult<(Vec<StoredRecord>, Option<i64>)> {
    let records: Vec<(i64, StoredRecord)> = match kind {
        RecordKind::Product => ledger::ids_after(conn, "products", after, PAGE)?
            .into_iter()
            .map(|id| Ok((id, StoredRecord::Product(ledger::load_product(conn, id)?))))
            .collect::<StoreResult<_>>()?,
        RecordKind::Customer => {
            let ids = ledger::ids_after(conn, "customers", after, PAGE)?;
            customers::load_many(conn, &ids)?
                .into_iter()
                .map(|c| (c.id.0, StoredRecord::Customer(c)))
                .collect()
        }
        RecordKind::Order => {
            let ids = ledger::ids_after(conn, "orders", after, PAGE)?;
            ledger::load_orders(conn, &ids)?
                .into_iter()
                .map(|o| (o.id.0, StoredRecord::Order(o)))
                .collect()
        }
        RecordKind::Subscription => ledger::subscriptions_after(conn, after, PAGE)?
            .into_iter()
            .map(|s| (s.id, StoredRecord::Subscription(s)))
            .collect(),
        RecordKind::DownloadGrant => ledger::grants_after(conn, after, PAGE)?
            .into_iter()
            .map(|g| (g.id, StoredRecord::DownloadGrant(g)))
            .collect(),
        RecordKind::ApiKey => api_keys::live(conn)?
            .into_iter()
            .filter(|key| key.id > after)
            .map(|key| (key.id, StoredRecord::ApiKey(key.into())))
            .collect(),
    };
    let last = records.last().map(|(id, _)| *id);
    Ok((records.into_iter().map(|(_, r)| r).collect(), last))
}
