//! The search index of a bulk load, built aside on a thread of its own.
//!
//! Writing the search index row by row (trigram tokenizing, FTS5's segment writes and
//! merges) took about half of a bulk load's writing thread while customers went in. A
//! bulk load only happens into an empty store, whose search tables are empty, so the
//! index can be built anywhere and moved in whole: another thread builds it in a scratch
//! database next to the store, with its own connection and on another core, from the
//! rows the writing thread sends it; at commit its tables (FTS5's shadow tables) are
//! copied into the store's inside the import's transaction, which is then still atomic.
//! The scratch file is removed when the import ends, however it ends.
//!
//! The writer connection's FTS5 table may keep what it last read of the index in memory,
//! and SQLite tells it of changes made by other connections only: the import's writer
//! connection is replaced after such a commit ([`super::import`]).

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::codec::backend;
use super::customers::{INSERT_SEARCH_ROW, SearchText};
use crate::{StoreError, StoreResult};

/// Batches queued for the building thread beyond the one being written: memory stays at
/// a few chunks' rows.
const QUEUED_BATCHES: usize = 2;

/// New search terms gathered in memory before FTS5 writes them out as a segment: fewer,
/// larger segments need less merging (FTS5's default is 1 MiB).
const HASH_BYTES: i64 = 64 * 1024 * 1024;

/// FTS5's tables holding the index and the text. Not `_config`: the store's keeps its
/// own settings, and the scratch table's differ (its hash size).
const SHADOW_TABLES: [&str; 4] = [
    "customer_search_data",
    "customer_search_idx",
    "customer_search_content",
    "customer_search_docsize",
];

/// The name the scratch database is attached under for the copy.
const ATTACHED: &str = "search_aside";

/// A search index being built aside.
pub(super) struct SearchAside {
    /// `None` once closed, so that the building thread can finish.
    batches: Option<SyncSender<Vec<SearchText>>>,
    /// Rows of the chunk being written, sent at its end.
    pending: Vec<SearchText>,
    builder: Option<JoinHandle<StoreResult<()>>>,
    file: tempfile::TempPath,
}

impl SearchAside {
    /// Starts building in a scratch database in `dir`, with the search table `conn`'s
    /// store defines.
    pub(super) fn start(conn: &Connection, dir: &Path) -> StoreResult<Self> {
        let definition: String = conn.query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'customer_search'",
            [],
            |row| row.get(0),
        )?;
        let file = tempfile::Builder::new()
            .prefix(".clientele-search-")
            .suffix(".sqlite3")
            .tempfile_in(dir)
            .map_err(|e| {
                backend(format!(
                    "cannot create a scratch file for the search index: {e}"
                ))
            })?
            .into_temp_path();
        // Scratch data: nothing to recover after a crash, so no journal and no syncing.
        let scratch = Connection::open(&file)?;
        scratch.query_row("PRAGMA journal_mode = OFF", [], |_| Ok(()))?;
        scratch.pragma_update(None, "synchronous", "OFF")?;
        scratch.execute_batch(&definition)?;
        scratch.execute(
            "INSERT INTO customer_search (customer_search, rank) VALUES ('hashsize', ?1)",
            [HASH_BYTES],
        )?;
        scratch.execute_batch("BEGIN")?;
        let (batches, queue) = mpsc::sync_channel(QUEUED_BATCHES);
        let builder = std::thread::Builder::new()
            .name("clientele-search".into())
            .spawn(move || build(&scratch, queue))
            .map_err(|e| backend(format!("cannot start the search index thread: {e}")))?;
        Ok(Self {
            batches: Some(batches),
            pending: Vec::new(),
            builder: Some(builder),
            file,
        })
    }

    /// Adds `row` to the index, with the rest of its chunk.
    pub(super) fn push(&mut self, row: SearchText) {
        self.pending.push(row);
    }

    /// Sends the rows of the chunk written to the building thread.
    pub(super) fn flush(&mut self) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let sent = self
            .batches
            .as_ref()
            .is_some_and(|batches| batches.send(batch).is_ok());
        if sent { Ok(()) } else { Err(self.stopped()) }
    }

    /// Waits for the index to be complete and copies it into the store's empty search
    /// tables, in `conn`'s transaction.
    pub(super) fn move_into(mut self, conn: &Connection) -> StoreResult<()> {
        self.flush()?;
        self.batches = None;
        self.join()?;
        let path = self
            .file
            .to_str()
            .ok_or_else(|| backend("the scratch file's path is not UTF-8"))?;
        conn.execute(&format!("ATTACH DATABASE ?1 AS {ATTACHED}"), [path])?;
        for table in SHADOW_TABLES {
            conn.execute_batch(&format!(
                "DELETE FROM main.{table};
                 INSERT INTO main.{table} SELECT * FROM {ATTACHED}.{table};"
            ))?;
        }
        Ok(())
    }

    /// The error the building thread stopped with.
    fn stopped(&mut self) -> StoreError {
        self.batches = None;
        match self.join() {
            Err(error) => error,
            Ok(()) => backend("the search index thread stopped"),
        }
    }

    fn join(&mut self) -> StoreResult<()> {
        match self.builder.take() {
            Some(builder) => builder
                .join()
                .map_err(|_| backend("the search index thread panicked"))?,
            None => Ok(()),
        }
    }
}

/// The building thread: every batch into the scratch index, in one transaction, until
/// the queue is closed.
fn build(scratch: &Connection, queue: Receiver<Vec<SearchText>>) -> StoreResult<()> {
    let mut insert = scratch.prepare(INSERT_SEARCH_ROW)?;
    for batch in queue {
        for row in &batch {
            row.insert_with(&mut insert)?;
        }
    }
    scratch.execute_batch("COMMIT")?;
    Ok(())
}
