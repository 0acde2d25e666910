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
//! The writing thread does not wait for the building one: rows beyond two batches in
//! memory go to a spill file the building thread reads back, and that thread runs at a
//! lower priority. It then takes the CPU the load leaves idle (the other core while
//! orders go in, while the indexes are built at the end) instead of holding back the
//! customers, which used to go in at the pace of the index.
//!
//! The writer connection's FTS5 table may keep what it last read of the index in memory,
//! and SQLite tells it of changes made by other connections only: the import's writer
//! connection is replaced after such a commit ([`super::import`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::codec::backend;
use super::customers::{INSERT_SEARCH_ROW, SearchText};
use crate::{StoreError, StoreResult};

/// Batches held in memory for the building thread; later ones go to the spill file
/// until it catches up. The writing thread never waits for the index: a bulk load
/// spends its last part building indexes on one core, and the search index is built
/// meanwhile on the other.
const BATCHES_IN_MEMORY: usize = 2;

/// The niceness of the building thread (Linux): it takes the cores the load leaves
/// idle, rather than a share of the writing thread's.
const BUILDER_NICENESS: i32 = 10;

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
    batches: Option<Sender<Batch>>,
    /// Batches sent in memory and not yet built.
    in_memory: Arc<AtomicUsize>,
    /// Rows of the chunk being written, sent at its end.
    pending: Vec<SearchText>,
    spill: Spill,
    builder: Option<JoinHandle<StoreResult<()>>>,
    file: tempfile::TempPath,
}

/// A batch of rows for the building thread: in memory, or the place in the spill file
/// it was written to.
enum Batch {
    Rows(Vec<SearchText>),
    Spilled { offset: u64, len: usize },
}

/// The file that batches go to while the building thread is behind: appended by the
/// writing thread, read at the offsets it sends by the building thread. Removed when
/// the import ends.
struct Spill {
    out: BufWriter<File>,
    written: u64,
    _file: tempfile::TempPath,
}

impl Spill {
    fn create(dir: &Path) -> StoreResult<(Self, File)> {
        let file = tempfile::Builder::new()
            .prefix(".clientele-search-rows-")
            .tempfile_in(dir)
            .map_err(|e| {
                backend(format!(
                    "cannot create a spill file for the search rows: {e}"
                ))
            })?;
        let reader = file
            .reopen()
            .map_err(|e| backend(format!("cannot read the search rows' spill file: {e}")))?;
        let (out, path) = file.into_parts();
        Ok((
            Self {
                out: BufWriter::new(out),
                written: 0,
                _file: path,
            },
            reader,
        ))
    }

    /// Appends `rows`; says where they are.
    fn append(&mut self, rows: &[SearchText]) -> StoreResult<Batch> {
        let mut bytes = Vec::new();
        for row in rows {
            encode_row(row, &mut bytes)?;
        }
        let spill_error = |e: std::io::Error| backend(format!("cannot spill search rows: {e}"));
        self.out.write_all(&bytes).map_err(spill_error)?;
        // The building thread reads the file itself: the batch must be in it first.
        self.out.flush().map_err(spill_error)?;
        let batch = Batch::Spilled {
            offset: self.written,
            len: bytes.len(),
        };
        self.written += bytes.len() as u64;
        Ok(batch)
    }
}

/// A row as the id (8 bytes, little-endian) and each column as its length (4 bytes)
/// and UTF-8 text.
fn encode_row(row: &SearchText, out: &mut Vec<u8>) -> StoreResult<()> {
    out.extend_from_slice(&row.id.to_le_bytes());
    for column in &row.columns {
        let len = u32::try_from(column.len())
            .map_err(|_| backend("a search column longer than 4 GiB"))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(column.as_bytes());
    }
    Ok(())
}

/// The rows [`encode_row`] wrote into `bytes`.
fn decode_rows(mut bytes: &[u8]) -> StoreResult<Vec<SearchText>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> StoreResult<&'a [u8]> {
        let Some((head, rest)) = bytes.split_at_checked(n) else {
            return Err(backend("the search rows' spill file is cut short"));
        };
        *bytes = rest;
        Ok(head)
    }
    fn take_array<const N: usize>(bytes: &mut &[u8]) -> StoreResult<[u8; N]> {
        let mut array = [0; N];
        array.copy_from_slice(take(bytes, N)?);
        Ok(array)
    }
    let mut rows = Vec::new();
    while !bytes.is_empty() {
        let id = i64::from_le_bytes(take_array(&mut bytes)?);
        let mut columns: [String; 7] = Default::default();
        for column in &mut columns {
            let len = u32::from_le_bytes(take_array(&mut bytes)?);
            let text = take(&mut bytes, len as usize)?;
            *column = String::from_utf8(text.to_vec())
                .map_err(|_| backend("the search rows' spill file holds text that is not UTF-8"))?;
        }
        rows.push(SearchText { id, columns });
    }
    Ok(rows)
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
        let (spill, spilled) = Spill::create(dir)?;
        let (batches, queue) = mpsc::channel();
        let in_memory = Arc::new(AtomicUsize::new(0));
        let built = Arc::clone(&in_memory);
        let builder = std::thread::Builder::new()
            .name("clientele-search".into())
            .spawn(move || {
                super::lower_this_threads_priority(BUILDER_NICENESS);
                build(&scratch, queue, &spilled, &built)
            })
            .map_err(|e| backend(format!("cannot start the search index thread: {e}")))?;
        Ok(Self {
            batches: Some(batches),
            in_memory,
            pending: Vec::new(),
            spill,
            builder: Some(builder),
            file,
        })
    }

    /// Adds `row` to the index, with the rest of its chunk.
    pub(super) fn push(&mut self, row: SearchText) {
        self.pending.push(row);
    }

    /// Sends the rows of the chunk written to the building thread: in memory while it
    /// keeps up, through the spill file while it is behind.
    pub(super) fn flush(&mut self) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let batch = if self.in_memory.load(Ordering::Acquire) < BATCHES_IN_MEMORY {
            self.in_memory.fetch_add(1, Ordering::AcqRel);
            Batch::Rows(rows)
        } else {
            self.spill.append(&rows)?
        };
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
fn build(
    scratch: &Connection,
    queue: Receiver<Batch>,
    spilled: &File,
    in_memory: &AtomicUsize,
) -> StoreResult<()> {
    let mut insert = scratch.prepare(INSERT_SEARCH_ROW)?;
    for batch in queue {
        let rows = match batch {
            Batch::Rows(rows) => {
                in_memory.fetch_sub(1, Ordering::AcqRel);
                rows
            }
            Batch::Spilled { offset, len } => decode_rows(&read_at(spilled, offset, len)?)?,
        };
        for row in &rows {
            row.insert_with(&mut insert)?;
        }
    }
    scratch.execute_batch("COMMIT")?;
    Ok(())
}

fn read_at(file: &File, offset: u64, len: usize) -> StoreResult<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, offset)
        .map_err(|e| backend(format!("cannot read spilled search rows: {e}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(id: i64, name: &str) -> SearchText {
        SearchText {
            id,
            columns: [
                name.to_owned(),
                String::new(),
                format!("{name}@example.com"),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        }
    }

    /// Batches sent in memory and batches sent through the spill file (as while the
    /// building thread is behind) all end up in the index that is moved in.
    #[test]
    fn batches_in_memory_and_spilled_are_all_moved_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::open_writer(&dir.path().join("store.sqlite3")).unwrap();
        let mut aside = SearchAside::start(&store, dir.path()).unwrap();
        aside.push(row(1, "alpha"));
        aside.flush().unwrap();
        // As if the building thread were still on the batches allowed in memory.
        aside
            .in_memory
            .fetch_add(BATCHES_IN_MEMORY, Ordering::AcqRel);
        aside.push(row(2, "bravo"));
        aside.push(row(3, "charlie"));
        aside.flush().unwrap();
        aside.push(row(4, "delta"));
        aside.flush().unwrap();
        assert!(aside.spill.written > 0, "nothing was spilled");
        store.execute_batch("BEGIN").unwrap();
        aside.move_into(&store).unwrap();
        let found = |term: &str| -> Vec<i64> {
            let mut statement = store
                .prepare("SELECT rowid FROM customer_search WHERE email LIKE '%' || ?1 || '%' ORDER BY rowid")
                .unwrap();
            statement
                .query_map([term], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(found("alpha"), [1]);
        assert_eq!(found("bravo"), [2]);
        assert_eq!(found("charlie"), [3]);
        assert_eq!(found("delta"), [4]);
        assert_eq!(found("example"), [1, 2, 3, 4]);
    }

    proptest! {
        /// Rows read back from the spill file equal the rows written.
        #[test]
        fn spilled_rows_read_back_equal(rows in proptest::collection::vec(
            (any::<i64>(), proptest::array::uniform7(".{0,12}")), 0..8)
        ) {
            let rows: Vec<SearchText> = rows
                .into_iter()
                .map(|(id, columns)| SearchText { id, columns })
                .collect();
            let dir = tempfile::tempdir().unwrap();
            let (mut spill, reader) = Spill::create(dir.path()).unwrap();
            // A first batch, so that the second one starts past the file's start.
            let Batch::Spilled { .. } = spill.append(&rows).unwrap() else { unreachable!() };
            let Batch::Spilled { offset, len } = spill.append(&rows).unwrap() else {
                unreachable!()
            };
            let back = decode_rows(&read_at(&reader, offset, len).unwrap()).unwrap();
            prop_assert_eq!(back.len(), rows.len());
            for (back, row) in back.iter().zip(&rows) {
                prop_assert_eq!(back.id, row.id);
                prop_assert_eq!(&back.columns, &row.columns);
            }
        }
    }
}
