//! Totals of lists remembered by each reader thread until the database changes.
//!
//! An exact total over a large set (every customer whose name holds `smith`, every USD
//! buyer who ordered in 2024) costs a pass over that set however small the page, and
//! clients ask for the same lists again and again: WooCommerce's admin screens and the
//! client libraries re-read page after page of one filter, each page with its total. A
//! total is a pure function of the statement, its parameters and the data, so a reader
//! keeps the totals it counted, tagged with its connection's `PRAGMA data_version`, and
//! answers from them while that version stays.
//!
//! `data_version` changes, for a connection, whenever another connection has committed
//! since the connection last read; it is read inside the list's read transaction, so it
//! names exactly the snapshot the total was counted in. Reader connections never write,
//! so every change to the data is another connection's. The totals are kept only on the
//! reader pool's threads (each owns one connection for its life, and forgets its totals
//! when it opens another): elsewhere every total is counted.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use crate::StoreResult;

/// Most totals a reader keeps; past that it forgets them all and starts again, which
/// bounds memory without bookkeeping (a statement's text is a few hundred bytes).
const CAPACITY: usize = 512;

/// The totals one reader counted in one version of the data.
struct Totals {
    data_version: i64,
    counts: HashMap<String, u64>,
}

thread_local! {
    /// `None` on threads that do not keep totals.
    static TOTALS: RefCell<Option<Totals>> = const { RefCell::new(None) };
}

/// Makes this thread keep totals from now on, forgetting any it kept: called by a reader
/// thread each time it opens its connection.
pub(crate) fn keep_on_this_thread() {
    TOTALS.with(|totals| {
        *totals.borrow_mut() = Some(Totals {
            data_version: i64::MIN,
            counts: HashMap::new(),
        });
    });
}

/// The single integer `sql` selects with `params`: remembered when this thread keeps
/// totals and the data has not changed since it was counted, counted otherwise.
pub(crate) fn total(conn: &Connection, sql: &str, params: &[Value]) -> StoreResult<u64> {
    let keeps = TOTALS.with(|totals| totals.borrow().is_some());
    if !keeps {
        return count(conn, sql, params);
    }
    let version: i64 = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))?;
    let key = format!("{sql}\u{0}{params:?}");
    let known = TOTALS.with(|totals| {
        let mut totals = totals.borrow_mut();
        let totals = totals.as_mut()?;
        if totals.data_version != version {
            totals.data_version = version;
            totals.counts.clear();
        }
        totals.counts.get(&key).copied()
    });
    if let Some(total) = known {
        return Ok(total);
    }
    let total = count(conn, sql, params)?;
    TOTALS.with(|totals| {
        if let Some(totals) = totals.borrow_mut().as_mut()
            && totals.data_version == version
        {
            if totals.counts.len() >= CAPACITY {
                totals.counts.clear();
            }
            totals.counts.insert(key, total);
        }
    });
    Ok(total)
}

fn count(conn: &Connection, sql: &str, params: &[Value]) -> StoreResult<u64> {
    let total: i64 = conn
        .prepare_cached(sql)?
        .query_row(params_from_iter(params.iter()), |row| row.get(0))?;
    Ok(total.max(0) as u64)
}

/// How many totals this thread keeps (for tests).
#[cfg(test)]
pub(crate) fn kept() -> usize {
    TOTALS.with(|totals| totals.borrow().as_ref().map_or(0, |t| t.counts.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A total is answered from memory while no other connection commits, and counted
    /// again, right, after one does; a thread that does not keep totals always counts.
    #[test]
    fn a_total_is_kept_until_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("totals.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE t (x INTEGER);
                 INSERT INTO t VALUES (1), (2);",
            )
            .unwrap();
        let reader =
            Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        // `counted()` counts its calls: once per row of a count that ran.
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&runs);
        reader
            .create_scalar_function("counted", 0, Default::default(), move |_| {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(true)
            })
            .unwrap();
        let runs = move || runs.load(std::sync::atomic::Ordering::Relaxed);
        let sql = "SELECT COUNT(*) FROM t WHERE x >= ? AND counted()";
        let params = [Value::Integer(1)];
        let read = |conn: &Connection| -> u64 {
            conn.execute_batch("BEGIN").unwrap();
            let total = total(conn, sql, &params).unwrap();
            conn.execute_batch("COMMIT").unwrap();
            total
        };

        // A test runs on a thread of its own, which keeps no totals until told to.
        assert_eq!(read(&reader), 2);
        assert_eq!(read(&reader), 2);
        assert_eq!((runs(), kept()), (4, 0), "a thread that keeps no totals");
        keep_on_this_thread();
        assert_eq!(read(&reader), 2);
        assert_eq!(read(&reader), 2);
        assert_eq!((runs(), kept()), (6, 1), "counted once, then remembered");
        writer.execute("INSERT INTO t VALUES (3)", []).unwrap();
        assert_eq!(read(&reader), 3, "counted again after a commit");
        assert_eq!(read(&reader), 3);
        assert_eq!((runs(), kept()), (9, 1));
        keep_on_this_thread();
        assert_eq!(read(&reader), 3);
        assert_eq!(runs(), 12, "a new start forgets what was kept");
    }
}
