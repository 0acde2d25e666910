//! Imports and exports as sessions: the backend-neutral part.
//!
//! An import streams: the caller writes records in chunks through an [`ImportSession`]
//! and commits once, so memory is bounded by a chunk, not by the import. A record may
//! name a record that comes later in the caller's input; with [`Unresolved::Hold`] the
//! session hands such records back instead of refusing them, and the caller writes them
//! again at the end with [`Unresolved::Reject`], when a reference that still does not
//! resolve is an error.

use async_trait::async_trait;
use customer_model::export::StoredRecord;
use customer_model::import::{ImportBatch, ImportRecord, ImportSummary, RecordKind};

use tokio::sync::oneshot;

use crate::{CustomerStore, StoreError, StoreResult};

/// What an import session's handle asks of the task or thread that holds the
/// transaction (both backends keep the transaction on a worker of its own).
pub(crate) enum ImportCommand {
    Write {
        records: Vec<ImportRecord>,
        unresolved: Unresolved,
        reply: oneshot::Sender<StoreResult<Written>>,
    },
    Commit {
        reply: oneshot::Sender<StoreResult<ImportSummary>>,
    },
    Rollback {
        reply: oneshot::Sender<StoreResult<()>>,
    },
}

/// How an import writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImportMode {
    /// The backend's choice. Into an empty store the rows go first and the secondary
    /// indexes, the search index and the kept aggregates are built after them,
    /// set-based; into a store that holds data, row by row.
    #[default]
    Auto,
    /// Row by row whatever the store holds: indexes and aggregates kept up to date with
    /// every record. The result is the same as [`ImportMode::Auto`]'s.
    RowByRow,
}

/// How an import session writes, and whether it fires webhooks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// How the rows are written.
    pub mode: ImportMode,
    /// Fire webhooks as the customers API does: every registered customer the import
    /// creates gives one [`CustomerEvent::Created`](customer_model::webhook::CustomerEvent)
    /// event per active webhook subscribed to it, written at commit in the import's own
    /// transaction, in customer id order. Off, an import fires nothing. An import never
    /// changes a stored customer (a record that names a taken id, e-mail address or
    /// username is refused), so it has no `updated` events to fire.
    pub fire_webhooks: bool,
}

impl From<ImportMode> for ImportOptions {
    fn from(mode: ImportMode) -> Self {
        Self {
            mode,
            fire_webhooks: false,
        }
    }
}

/// What a session does with a record that names a record not stored yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// Hand it back unwritten ([`Written::Done`]'s `held`): what it names may come later
    /// in the import. An order by e-mail address that no customer has yet is held too, so
    /// that a customer later in the import can still be its buyer.
    Hold,
    /// Refuse it: what it names does not exist. An order by e-mail address that no
    /// customer has creates a guest.
    Reject,
}

/// A record a session refused. The import cannot be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The record's position among the records of the [`ImportSession::write`] call.
    pub index: usize,
    /// The field, a dotted path (`line_items.0.product_id`); empty for the record.
    pub field: String,
    /// What is wrong, in words.
    pub reason: String,
}

/// A record handed back unwritten under [`Unresolved::Hold`].
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// Its position among the records of the [`ImportSession::write`] call.
    pub index: usize,
    /// The record, to write again later.
    pub record: ImportRecord,
}

/// What became of the records of one [`ImportSession::write`].
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// Every record was written except the `held` ones (by position, ascending).
    Done {
        /// Records handed back under [`Unresolved::Hold`].
        held: Vec<Held>,
    },
    /// A record was refused: nothing more is written and the session must be rolled back.
    Rejected(Rejection),
}

/// An import in progress. Everything written through it becomes visible at once when it
/// is committed, or never: rolling back, dropping the session and a failed commit all
/// leave the store as it was.
#[async_trait]
pub trait ImportSession: Send {
    /// Writes `records` in order (each may name the ones before it).
    async fn write(
        &mut self,
        records: Vec<ImportRecord>,
        unresolved: Unresolved,
    ) -> StoreResult<Written>;
    /// Makes everything written visible (building what a bulk load left for the end
    /// first) and says how much was written.
    async fn commit(self: Box<Self>) -> StoreResult<ImportSummary>;
    /// Forgets everything written.
    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}

/// What an export includes besides the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The live API keys, with the secrets that verify them.
    pub api_keys: bool,
}

/// An export in progress: the records of one snapshot of the store, page by page.
#[async_trait]
pub trait ExportSession: Send {
    /// The next page of records, in [`StoredRecord`]'s order (kind by kind, by id);
    /// empty once every record was read.
    async fn next_page(&mut self) -> StoreResult<Vec<StoredRecord>>;
}

/// [`CustomerStore::import_with`] on any backend: one session, one write, one commit.
pub(crate) async fn import_batch<S: CustomerStore + ?Sized>(
    store: &S,
    batch: ImportBatch,
    options: ImportOptions,
) -> StoreResult<ImportSummary> {
    let counts = RecordKind::ALL.map(|kind| (kind, batch.count(kind)));
    let mut session = store.begin_import(options).await?;
    match session
        .write(batch.into_records().collect(), Unresolved::Reject)
        .await?
    {
        Written::Done { .. } => session.commit().await,
        Written::Rejected(rejection) => {
            session.rollback().await?;
            let mut index = rejection.index;
            let mut field = String::new();
            for (kind, count) in counts {
                if index < count {
                    field = format!("{kind}.{index}");
                    break;
                }
                index -= count;
            }
            if !rejection.field.is_empty() {
                field = format!("{field}.{}", rejection.field);
            }
            Err(StoreError::Invalid {
                field,
                reason: rejection.reason,
            })
        }
    }
}
