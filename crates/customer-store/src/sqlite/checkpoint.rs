//! Checkpoints of the write-ahead log, on a thread of their own.
//!
//! SQLite's default checkpoints in the connection that commits: once the log holds
//! 1,000 pages, the commit that crossed the mark also copies the log into the database
//! file and syncs it before it returns. With one writer, every write queued behind that
//! commit waits too: under a load of creates, the commits that checkpointed made the
//! creates' 99th percentile 27–31 ms, against 21–22 ms with no checkpoint at all.
//!
//! Here the writer only notes, after each commit, that the log has grown past the mark,
//! and a thread of the writer's copies it back with a connection of its own, while the
//! writer goes on (a passive checkpoint waits for neither readers nor writers). The
//! thread opens that connection for each checkpoint and closes it after: a connection
//! kept open would stop a bulk import from switching to a rollback journal, which it may
//! do only while no other connection has the database open.
//!
//! The thread lives as long as the writer connection: when the connection closes, the
//! hook it holds is dropped, which lets the thread finish the checkpoint in hand and
//! waits for it.

use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, MAIN_DB, OpenFlags};

use super::BUSY_TIMEOUT;
use super::codec::backend;
use crate::StoreResult;

/// Pages in the log past which a commit asks for a checkpoint: SQLite's own default.
pub(super) const CHECKPOINT_PAGES: c_int = 1000;

/// Starts the checkpointing thread of `writer`, the writer connection of the database
/// at `path`, and replaces the writer's own checkpoints with a request to it.
pub(super) fn hand_off(writer: &mut Connection, path: &Path) -> StoreResult<()> {
    let (wake, woken) = mpsc::sync_channel(1);
    let path = path.to_path_buf();
    let thread = std::thread::Builder::new()
        .name("clientele-checkpoint".into())
        .spawn(move || checkpoint_when_woken(&path, &woken))
        .map_err(|e| backend(format!("cannot start the checkpoint thread: {e}")))?;
    let requests = Requests {
        wake: Some(wake),
        thread: Some(thread),
    };
    writer.wal_hook(Some(move |_: &mut Wal, pages: c_int| {
        if pages >= CHECKPOINT_PAGES {
            requests.ask();
        }
        Ok(())
    }))?;
    Ok(())
}

/// The writer's side: asks for checkpoints, and on drop lets the thread finish.
struct Requests {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Requests {
    /// Asks for a checkpoint; a request already waiting covers this one too.
    fn ask(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop once it is done with its checkpoint.
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: one passive checkpoint per request, until the writer goes.
fn checkpoint_when_woken(path: &Path, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(error) = checkpoint(path) {
            tracing::warn!(%error, "the write-ahead log was not checkpointed");
        }
    }
}

fn checkpoint(path: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // A new connection finds the log at its first read; until then it checkpoints
    // nothing (and says so with success).
    conn.query_row("PRAGMA schema_version", [], |row| row.get::<_, i64>(0))?;
    conn.wal_checkpoint_v2(Some(MAIN_DB), CheckpointMode::PASSIVE)?;
    Ok(())
}
