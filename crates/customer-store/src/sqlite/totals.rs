//! Totals of lists remembered by a store's readers until the data changes, shared by
//! all of them.
//!
//! An exact total over a large set (every customer whose name holds `smith`, every USD
//! buyer who ordered in 2024) costs a pass over that set however small the page, and
//! clients ask for the same lists again and again: WooCommerce's admin screens and the
//! client libraries re-read page after page of one filter, each page with its total. A
//! total is a pure function of the statement, its parameters and the data, so readers
//! keep the totals they counted, tagged with the data's generation, and answer from them
//! while the generation stays.
//!
//! The generation is a number in the database (`data_generation`) that triggers raise
//! with every row written to what lists read, in the writing transaction: read inside a
//! read transaction, it names exactly the data that transaction sees, whichever
//! connection or process wrote it. So readers whose snapshots differ never share a
//! total, and readers on the same data share every one: the first reader to need a total
//! counts it while the others that need it wait for its answer instead of counting it
//! too (with as many readers as threads, a burst of one new list used to count it once
//! per thread, all at once, on two cores). A reader that sees an older generation than
//! the kept one (its transaction began before a commit the others already see) counts
//! for itself.
//!
//! The totals are kept only on the reader pool's threads, which share their store's
//! [`SharedTotals`]; elsewhere every total is counted.
//!
//! # Counts that outlive their caller
//! A first count over a large set can take longer than a request may wait (seconds at
//! ten million customers with the pages still on disk). Stopped at the request's
//! deadline, as every other statement is, it would start again from nothing for the
//! next request, and no request would ever see it end. So one count at a time per
//! store goes on after its caller has gone, to be kept for the next caller; other
//! counts stop with their callers, so that a burst of new lists cannot take every
//! reader thread. A reader waiting for another's count waits only while its own
//! caller does. Only the store's closing stops a count that outlives its caller.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use crate::{StoreError, StoreResult};

/// Most totals a store keeps; past that it forgets them all and starts again, which
/// bounds memory without bookkeeping (a statement's text is a few hundred bytes).
const CAPACITY: usize = 512;

/// The data's generation, as the current transaction sees it.
const GENERATION: &str = "SELECT generation FROM data_generation";

/// The totals a store's readers counted in one generation of the data.
#[derive(Default)]
pub(crate) struct SharedTotals {
    state: Mutex<State>,
    /// Signalled whenever a count ends or the generation moves on.
    settled: Condvar,
    /// Whether a reader runs the one count that may outlive its caller.
    outliving: AtomicBool,
    /// Set when the store closes: stops even a count that outlives its caller.
    closing: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    generation: i64,
    counts: HashMap<String, Slot>,
}

enum Slot {
    /// A reader is counting it.
    Counting,
    Known(u64),
}

thread_local! {
    /// `None` on threads that do not keep totals.
    static TOTALS: RefCell<Option<Arc<SharedTotals>>> = const { RefCell::new(None) };
    /// Set by the store while this thread works for a caller: whether that caller has
    /// gone (the request's deadline passed, the client left).
    static CALLER_GONE: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// While this thread runs a count that outlives its caller: the store's closing
    /// flag, the only thing that stops the count then.
    static OUTLIVING_CALLER: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Marks the work this thread runs, until the guard drops, as done for a caller that
/// has gone once `gone` is set.
pub(crate) fn working_for(gone: &Arc<AtomicBool>) -> WorkingFor {
    WorkingFor {
        before: CALLER_GONE.with(|caller| caller.borrow_mut().replace(Arc::clone(gone))),
    }
}

/// While alive, this thread works for the caller given to [`working_for`].
pub(crate) struct WorkingFor {
    before: Option<Arc<AtomicBool>>,
}

impl Drop for WorkingFor {
    fn drop(&mut self) {
        let before = self.before.take();
        CALLER_GONE.with(|caller| *caller.borrow_mut() = before);
    }
}

/// Whether the statement running on this thread stops now, its caller having gone:
/// asked by the progress handler. A count that outlives its caller stops only when
/// the store closes.
pub(crate) fn stops_with_caller() -> bool {
    OUTLIVING_CALLER.with(|outliving| {
        outliving
            .borrow()
            .as_ref()
            .is_none_or(|closing| closing.load(Ordering::Relaxed))
    })
}

fn caller_gone() -> bool {
    CALLER_GONE.with(|caller| {
        caller
            .borrow()
            .as_ref()
            .is_some_and(|gone| gone.load(Ordering::Relaxed))
    })
}

/// How often a reader waiting for another's count looks whether its own caller is still
/// there.
const WAITING_LOOKS_EVERY: Duration = Duration::from_millis(20);

/// Makes this thread keep its totals in `shared`, with the other readers of its store:
/// called by a reader thread when it opens its connection.
pub(crate) fn keep_on_this_thread(shared: Arc<SharedTotals>) {
    TOTALS.with(|totals| *totals.borrow_mut() = Some(shared));
}

/// The single integer `sql` selects with `params`: remembered when this thread keeps
/// totals and the data has not changed since it was counted, counted otherwise.
pub(crate) fn total(conn: &Connection, sql: &str, params: &[Value]) -> StoreResult<u64> {
    let Some(shared) = TOTALS.with(|totals| totals.borrow().clone()) else {
        return count(conn, sql, params);
    };
    let generation: i64 = conn
        .prepare_cached(GENERATION)?
        .query_row([], |row| row.get(0))?;
    shared.total(generation, key(sql, params), || count(conn, sql, params))
}

/// What a total is kept under.
fn key(sql: &str, params: &[Value]) -> String {
    format!("{sql}\u{0}{params:?}")
}

impl SharedTotals {
    /// The total under `key` in `generation`: kept, or awaited from the reader counting
    /// it, or counted with `count` (and kept unless the generation moved on meanwhile).
    fn total(
        &self,
        generation: i64,
        key: String,
        count: impl FnOnce() -> StoreResult<u64>,
    ) -> StoreResult<u64> {
        let mut state = self.lock();
        loop {
            if generation > state.generation {
                state.generation = generation;
                state.counts.clear();
                self.settled.notify_all();
            }
            if generation < state.generation {
                drop(state);
                return count();
            }
            match state.counts.get(&key) {
                Some(Slot::Known(total)) => return Ok(*total),
                Some(Slot::Counting) => {
                    if caller_gone() {
                        return Err(StoreError::Unavailable(
                            "the caller went away while a total was counted".into(),
                        ));
                    }
                    state = self
                        .settled
                        .wait_timeout(state, WAITING_LOOKS_EVERY)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
                None => break,
            }
        }
        if state.counts.len() >= CAPACITY {
            state.counts.clear();
        }
        state.counts.insert(key.clone(), Slot::Counting);
        drop(state);
        // Whatever happens to the count (an error, a request that gave up, a panic), the
        // slot is settled so that nobody waits for it forever.
        let mut settle = Settle {
            totals: self,
            generation,
            key,
            total: None,
        };
        let counted = self.outliving_caller(count);
        settle.total = counted.as_ref().ok().copied();
        counted
    }

    /// Runs `count` as the count that outlives its caller if no other reader runs one,
    /// as any other statement otherwise.
    fn outliving_caller(&self, count: impl FnOnce() -> StoreResult<u64>) -> StoreResult<u64> {
        if self
            .outliving
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return count();
        }
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                OUTLIVING_CALLER.with(|outliving| *outliving.borrow_mut() = None);
                self.0.store(false, Ordering::Release);
            }
        }
        let _release = Release(&self.outliving);
        OUTLIVING_CALLER
            .with(|outliving| *outliving.borrow_mut() = Some(Arc::clone(&self.closing)));
        count()
    }

    /// Stops, within a few thousand steps, a count that outlives its caller: the store
    /// is closing.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    /// Whether a total of `sql` with `params` is kept, in whatever generation.
    #[cfg(test)]
    pub(crate) fn is_kept(&self, sql: &str, params: &[Value]) -> bool {
        matches!(
            self.lock().counts.get(&key(sql, params)),
            Some(Slot::Known(_))
        )
    }

    /// Whether a reader is counting a total of `sql` with `params`.
    #[cfg(test)]
    pub(crate) fn is_counting(&self, sql: &str, params: &[Value]) -> bool {
        matches!(
            self.lock().counts.get(&key(sql, params)),
            Some(Slot::Counting)
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Settles a total being counted when dropped: kept if it was counted, forgotten
/// otherwise; either way the readers waiting for it wake up.
struct Settle<'a> {
    totals: &'a SharedTotals,
    generation: i64,
    key: String,
    total: Option<u64>,
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        let mut state = self.totals.lock();
        if state.generation == self.generation {
            let key = std::mem::take(&mut self.key);
            match self.total {
                Some(total) => {
                    state.counts.insert(key, Slot::Known(total));
                }
                None => {
                    state.counts.remove(&key);
                }
            }
        }
        drop(state);
        self.totals.settled.notify_all();
    }
}

fn count(conn: &Connection, sql: &str, params: &[Value]) -> StoreResult<u64> {
    let total: i64 = conn
        .prepare_cached(sql)?
        .query_row(params_from_iter(params.iter()), |row| row.get(0))?;
    Ok(total.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::StoreError;

    fn database() -> (tempfile::TempDir, Connection, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("totals.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE t (x INTEGER);
                 INSERT INTO t VALUES (1), (2);
                 CREATE TABLE data_generation (generation INTEGER NOT NULL);
                 INSERT INTO data_generation VALUES (0);",
            )
            .unwrap();
        (dir, writer, path)
    }

    /// A reader connection whose `counted()` counts its calls: once per row of a count
    /// that ran.
    fn reader(path: &std::path::Path, runs: &Arc<AtomicUsize>) -> Connection {
        let reader =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let seen = Arc::clone(runs);
        reader
            .create_scalar_function("counted", 0, Default::default(), move |_| {
                seen.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            })
            .unwrap();
        reader
    }

    const SQL: &str = "SELECT COUNT(*) FROM t WHERE x >= ? AND counted()";

    fn read(conn: &Connection) -> u64 {
        conn.execute_batch("BEGIN").unwrap();
        let total = total(conn, SQL, &[Value::Integer(1)]).unwrap();
        conn.execute_batch("COMMIT").unwrap();
        total
    }

    /// A total is counted once and answered from memory, on every reader of the store,
    /// while the generation stays; counted again, right, once a write raises it; always
    /// counted on a thread that keeps no totals.
    #[test]
    fn readers_share_a_total_until_the_generation_changes() {
        let (_dir, writer, path) = database();
        let runs = Arc::new(AtomicUsize::new(0));
        let first = reader(&path, &runs);
        let runs_now = || runs.load(Ordering::Relaxed);

        // A test runs on a thread of its own, which keeps no totals until told to.
        assert_eq!(read(&first), 2);
        assert_eq!(read(&first), 2);
        assert_eq!(
            runs_now(),
            4,
            "a thread that keeps no totals counts every time"
        );

        let shared = Arc::new(SharedTotals::default());
        keep_on_this_thread(Arc::clone(&shared));
        assert_eq!(read(&first), 2);
        assert_eq!(read(&first), 2);
        assert_eq!(runs_now(), 6, "counted once, then remembered");

        let other = {
            let shared = Arc::clone(&shared);
            let path = path.clone();
            let runs = Arc::clone(&runs);
            std::thread::spawn(move || {
                keep_on_this_thread(shared);
                read(&reader(&path, &runs))
            })
        };
        assert_eq!(other.join().unwrap(), 2);
        assert_eq!(runs_now(), 6, "another reader of the store counts nothing");

        writer
            .execute_batch(
                "INSERT INTO t VALUES (3);
                 UPDATE data_generation SET generation = generation + 1;",
            )
            .unwrap();
        assert_eq!(read(&first), 3, "counted again after a write");
        assert_eq!(read(&first), 3);
        assert_eq!(runs_now(), 9);

        keep_on_this_thread(Arc::new(SharedTotals::default()));
        assert_eq!(read(&first), 3);
        assert_eq!(runs_now(), 12, "another store's totals are its own");
    }

    /// Starts a reader counting the total `k` (of `total`) in generation 1, and returns
    /// once it has begun: the count ends when the returned sender is sent to.
    fn count_held_open(
        shared: &Arc<SharedTotals>,
        total: u64,
    ) -> (std::thread::JoinHandle<StoreResult<u64>>, mpsc::Sender<()>) {
        let (started, has_started) = mpsc::channel();
        let (finish, may_finish) = mpsc::channel::<()>();
        let counter = {
            let shared = Arc::clone(shared);
            std::thread::spawn(move || {
                shared.total(1, "k".into(), || {
                    started.send(()).unwrap();
                    may_finish.recv().unwrap();
                    Ok(total)
                })
            })
        };
        has_started.recv().unwrap();
        (counter, finish)
    }

    /// While one reader counts a total, another that needs it waits for that count
    /// instead of running its own.
    #[test]
    fn a_total_being_counted_is_awaited() {
        let shared = Arc::new(SharedTotals::default());
        let (counter, finish) = count_held_open(&shared, 7);
        let waiter = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.total(1, "k".into(), || Ok(99)))
        };
        // Give the waiter time to find the count under way (if it comes later it finds
        // the total kept: it must not count either way).
        std::thread::sleep(Duration::from_millis(50));
        finish.send(()).unwrap();
        assert_eq!(counter.join().unwrap().unwrap(), 7);
        assert_eq!(waiter.join().unwrap().unwrap(), 7);
    }

    /// One count at a time goes on after its caller has gone, until the store closes;
    /// another count meanwhile, and any statement outside a count, stops with its caller.
    #[test]
    fn one_count_at_a_time_outlives_its_caller() {
        let shared = Arc::new(SharedTotals::default());
        assert!(stops_with_caller(), "outside a count");
        let (inside, is_inside) = mpsc::channel();
        let (finish, may_finish) = mpsc::channel::<()>();
        let outliving = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                shared.total(1, "a".into(), || {
                    inside.send(stops_with_caller()).unwrap();
                    may_finish.recv().unwrap();
                    Ok(u64::from(stops_with_caller()))
                })
            })
        };
        assert!(
            !is_inside.recv().unwrap(),
            "the first count outlives its caller"
        );
        let meanwhile = shared.total(1, "b".into(), || Ok(u64::from(stops_with_caller())));
        assert_eq!(meanwhile.unwrap(), 1, "a second one stops with its caller");
        finish.send(()).unwrap();
        assert_eq!(outliving.join().unwrap().unwrap(), 0);
        assert!(stops_with_caller(), "after the count");

        let next = shared.total(1, "c".into(), || Ok(u64::from(stops_with_caller())));
        assert_eq!(
            next.unwrap(),
            0,
            "the next count may outlive its caller again"
        );
        shared.close();
        let closing = shared.total(1, "d".into(), || Ok(u64::from(stops_with_caller())));
        assert_eq!(closing.unwrap(), 1, "nothing outlives the store's closing");
    }

    /// A reader waiting for another's count stops waiting when its own caller goes; the
    /// count, once done, is kept for the next caller.
    #[test]
    fn a_waiting_reader_leaves_with_its_caller() {
        let shared = Arc::new(SharedTotals::default());
        let (counter, finish) = count_held_open(&shared, 7);
        let gone = Arc::new(AtomicBool::new(false));
        let (waited, has_waited) = mpsc::channel();
        {
            let shared = Arc::clone(&shared);
            let gone = Arc::clone(&gone);
            std::thread::spawn(move || {
                let _caller = working_for(&gone);
                waited.send(shared.total(1, "k".into(), || Ok(99))).unwrap();
            });
        }
        std::thread::sleep(Duration::from_millis(50));
        gone.store(true, Ordering::Relaxed);
        let waited = has_waited
            .recv_timeout(Duration::from_secs(10))
            .expect("the waiting reader should leave with its caller");
        assert!(
            matches!(waited, Err(StoreError::Unavailable(_))),
            "{waited:?}"
        );
        finish.send(()).unwrap();
        assert_eq!(counter.join().unwrap().unwrap(), 7);
        assert_eq!(shared.total(1, "k".into(), || Ok(99)).unwrap(), 7, "kept");
    }

    /// A count that fails is not kept, and the next reader counts; a reader of an older
    /// generation counts for itself and leaves the kept totals alone.
    #[test]
    fn failed_and_stale_counts_are_not_kept() {
        let shared = SharedTotals::default();
        let failed = shared.total(2, "k".into(), || {
            Err(StoreError::Unavailable("gave up".into()))
        });
        assert!(failed.is_err());
        assert_eq!(shared.total(2, "k".into(), || Ok(5)).unwrap(), 5);
        assert_eq!(shared.total(2, "k".into(), || Ok(6)).unwrap(), 5, "kept");
        assert_eq!(
            shared.total(1, "k".into(), || Ok(4)).unwrap(),
            4,
            "older data"
        );
        assert_eq!(
            shared.total(2, "k".into(), || Ok(6)).unwrap(),
            5,
            "still kept"
        );
        assert_eq!(
            shared.total(3, "k".into(), || Ok(6)).unwrap(),
            6,
            "newer data"
        );
    }
}
