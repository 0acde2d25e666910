//! Saved states: whole copies of the database made with SQLite's online backup, page by
//! page, so that every table (whatever migration added it), every index, the full-text
//! index and `sqlite_sequence` (where `AUTOINCREMENT` ids continue) come back exactly,
//! with no list of tables to keep up to date.
//!
//! A state lives in an in-memory database for the store's life, or, when the store was
//! given a directory, in a file there (`<name>.sqlite3`), which outlives the process.
//! Both saving and restoring run on the writer connection in its write turn: no write
//! interleaves, and readers see the database before or after a restore, whole.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::{Inner, lock};
use crate::{StoreError, StoreResult};

/// Not found: no state under the name.
pub(super) const NOT_FOUND: StoreError = StoreError::NotFound { entity: "state" };

/// Copies all of `from` into `to` in one step (one write transaction on `to`).
fn copy(from: &Connection, to: &mut Connection) -> StoreResult<()> {
    match Backup::new(from, to)?.step(-1)? {
        StepResult::Done => Ok(()),
        other => Err(super::backend(format!("the copy stopped: {other:?}"))),
    }
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.sqlite3"))
}

/// Saves the database under `name`.
pub(super) fn save(inner: &Inner, name: &str) -> StoreResult<()> {
    let writer = lock(&inner.writer);
    match inner.state_dir.get() {
        Some(dir) => {
            // Written beside its final name and renamed: a crash leaves the old state.
            let partial = dir.join(format!(".{name}.partial"));
            let _ = std::fs::remove_file(&partial);
            let mut target = Connection::open(&partial)?;
            copy(&writer, &mut target)?;
            drop(target);
            std::fs::rename(&partial, file(dir, name))
                .map_err(|e| super::backend(format!("cannot keep state {name}: {e}")))?;
        }
        None => {
            let mut target = Connection::open_in_memory()?;
            copy(&writer, &mut target)?;
            lock(&inner.states).insert(name.to_owned(), target);
        }
    }
    Ok(())
}

/// Puts the state saved under `name` back, moving the key generation past both the
/// current one and the saved one.
pub(super) fn restore(inner: &Inner, name: &str) -> StoreResult<()> {
    let mut writer = lock(&inner.writer);
    let before = generations(&writer)?;
    match inner.state_dir.get() {
        Some(dir) => {
            let path = file(dir, name);
            if !path.exists() {
                return Err(NOT_FOUND);
            }
            let source =
                Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            copy(&source, &mut writer)?;
        }
        None => {
            let states = lock(&inner.states);
            let source = states.get(name).ok_or(NOT_FOUND)?;
            copy(source, &mut writer)?;
        }
    }
    // A state kept on disk by an older build comes up to this build's schema.
    super::schema::migrate(&mut writer)?;
    let restored = generations(&writer)?;
    for ((table, before), (_, restored)) in before.into_iter().zip(restored) {
        let next = before
            .max(restored)
            .checked_add(1)
            .ok_or_else(|| super::backend(format!("{table} overflows")))?;
        writer.execute(&format!("UPDATE {table} SET generation = ?1"), [next])?;
    }
    Ok(())
}

/// Numbers in the database that change with what they count and that a restore moves
/// past, never back to a value already seen: the keys' (servers reload their keys when
/// it changes) and the data's (readers keep totals per data generation).
const GENERATIONS: [&str; 2] = ["api_key_generation", "data_generation"];

fn generations(conn: &Connection) -> StoreResult<Vec<(&'static str, i64)>> {
    GENERATIONS
        .iter()
        .map(|table| {
            let generation =
                conn.query_row(&format!("SELECT generation FROM {table}"), [], |row| {
                    row.get(0)
                })?;
            Ok((*table, generation))
        })
        .collect()
}

/// Forgets the state saved under `name`.
pub(super) fn delete(inner: &Inner, name: &str) -> StoreResult<()> {
    match inner.state_dir.get() {
        Some(dir) => std::fs::remove_file(file(dir, name)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                NOT_FOUND
            } else {
                super::backend(format!("cannot delete state {name}: {e}"))
            }
        }),
        None => lock(&inner.states).remove(name).map(drop).ok_or(NOT_FOUND),
    }
}

/// The names of the saved states, sorted.
pub(super) fn names(inner: &Inner) -> StoreResult<Vec<String>> {
    let mut names: Vec<String> = match inner.state_dir.get() {
        Some(dir) => std::fs::read_dir(dir)
            .map_err(|e| super::backend(format!("cannot list {}: {e}", dir.display())))?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let name = name.strip_suffix(".sqlite3")?;
                crate::check_state_name(name).ok()?;
                Some(name.to_owned())
            })
            .collect(),
        None => lock(&inner.states).keys().cloned().collect(),
    };
    names.sort();
    Ok(names)
}
