//! Group commit for customer creates: creates that arrive while the writer is busy are
//! written together, each inside a savepoint of one transaction, and each caller is
//! answered once that transaction has committed.
//!
//! A commit costs far more than an insert (every page the transaction touched goes to the
//! write-ahead log), and under load creates queue behind the one writer anyway; writing
//! the queue in one transaction shares that cost. Each item keeps its own outcome: an item
//! that fails (a taken e-mail, a bad reference) rolls back to its savepoint and fails
//! alone, and no caller hears of success before the commit that holds its row, so every
//! acknowledged create survives a killed process as before.
//!
//! There is no timer and no batch size to tune: the first create to get the write turn
//! writes whatever is queued at that moment (often only itself, when the store is idle),
//! and the creates that queued meanwhile go together in the next turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use customer_model::webhook::CustomerEvent;
use customer_model::{Customer, NewCustomer};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::{CancelOnDrop, Inner, closed, customers, lock};
use crate::values::backend;
use crate::{StoreError, StoreResult};

/// A create waiting for a transaction.
pub(super) struct PendingCreate {
    new: NewCustomer,
    /// Computed by the caller, off the writer's thread.
    encoded: customers::EncodedCustomer,
    password_hash: Option<String>,
    /// Set when the caller has gone away before its create was written: it is skipped.
    cancelled: Arc<AtomicBool>,
    reply: oneshot::Sender<StoreResult<Customer>>,
}

/// Queues `new` and answers once a transaction holding it has committed (or it failed).
pub(super) async fn create(
    inner: &Arc<Inner>,
    new: NewCustomer,
    password_hash: Option<String>,
) -> StoreResult<Customer> {
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
    let (reply, mut answer) = oneshot::channel();
    let encoded = customers::EncodedCustomer::of(&new);
    lock(&inner.pending_creates).push(PendingCreate {
        new,
        encoded,
        password_hash,
        cancelled,
        reply,
    });
    tokio::select! {
        // An earlier turn took this create with its group.
        biased;
        outcome = &mut answer => return outcome.map_err(|_| writer_gone())?,
        turn = inner.write_turn.acquire() => {
            let _turn = turn.map_err(closed)?;
            let group = std::mem::take(&mut *lock(&inner.pending_creates));
            if !group.is_empty() {
                let writer = Arc::clone(inner);
                // Written to the end even if this caller goes away: the others of the
                // group wait for it.
                let _ = tokio::task::spawn_blocking(move || write_group(&writer, group)).await;
            }
        }
    }
    answer.await.map_err(|_| writer_gone())?
}

fn writer_gone() -> StoreError {
    backend("the create was dropped by the writer")
}

/// Writes `group` in one transaction, each item in a savepoint, and answers every item
/// after the commit.
fn write_group(inner: &Inner, group: Vec<PendingCreate>) {
    // The group's instants come from the store's clock, which a test may have set.
    let _now = crate::clock::ThreadNow::set(inner.clock.now());
    let mut conn = lock(&inner.writer);
    let mut answers = Vec::with_capacity(group.len());
    let committed = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)
        .and_then(|tx| {
            let mut search_rows = Vec::with_capacity(group.len());
            for item in group {
                let outcome = if item.cancelled.load(Ordering::Relaxed) {
                    Err(StoreError::Unavailable(
                        "the caller went away before the create was written".into(),
                    ))
                } else {
                    in_savepoint(&tx, &item)
                };
                let PendingCreate { reply, encoded, .. } = item;
                if let Ok(customer) = &outcome {
                    search_rows.push(encoded.search_text(customer.id.0));
                }
                answers.push((reply, outcome));
            }
            // The search rows go in after the savepoints: FTS5 writes what it holds in
            // memory as a new segment at every savepoint of a transaction that touched
            // it, which was a segment, and merges, per create. After them, the group's
            // rows make one segment at commit.
            customers::write_search_rows(&tx, &search_rows)?;
            tx.commit().map_err(StoreError::from)
        });
    for (reply, outcome) in answers {
        let outcome = match (&committed, outcome) {
            (Ok(()), outcome) => outcome,
            (Err(error), _) => Err(StoreError::Unavailable(format!(
                "the transaction did not commit: {error}"
            ))),
        };
        let _ = reply.send(outcome);
    }
    if let Err(error) = committed {
        tracing::warn!(%error, "a group of customer creates did not commit");
    }
}

/// Inserts one item; on failure its savepoint is rolled back, leaving the others.
fn in_savepoint(conn: &Connection, item: &PendingCreate) -> StoreResult<Customer> {
    conn.prepare_cached("SAVEPOINT create_item")?.execute([])?;
    let options = customers::InsertOptions {
        password_hash: item.password_hash.as_deref(),
        encoded: Some(&item.encoded),
        ..customers::InsertOptions::default()
    };
    let written = customers::insert(conn, &item.new, &options).and_then(|id| {
        // The outbox row shares the create's savepoint: no event for a create that fails.
        if item.new.account.is_some() {
            super::webhooks::enqueue(conn, CustomerEvent::Created, id.0)?;
        }
        customers::load(conn, id.0)
    });
    if written.is_err() {
        conn.prepare_cached("ROLLBACK TO create_item")?
            .execute([])?;
    }
    conn.prepare_cached("RELEASE create_item")?.execute([])?;
    written
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use customer_model::CustomerDraft;

    use super::*;
    use crate::{CustomerStore, SqliteStore};

    fn guest(address: &str) -> NewCustomer {
        CustomerDraft {
            email: address.into(),
            ..CustomerDraft::default()
        }
        .validate()
        .unwrap()
    }

    /// Creates queued behind a busy writer are written in one turn, and one of them that
    /// fails (its e-mail is taken by another of the group) fails alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_creates_go_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("group.sqlite3")).unwrap();
        let busy = store.inner.write_turn.acquire().await.unwrap();
        let addresses = [
            "a@example.com",
            "b@example.com",
            "a@example.com",
            "c@example.com",
        ];
        let calls: Vec<_> = addresses
            .iter()
            .map(|address| {
                let store = store.clone();
                let new = guest(address);
                tokio::spawn(async move { store.create_customer(new).await })
            })
            .collect();
        while lock(&store.inner.pending_creates).len() < addresses.len() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(busy);
        let mut written = Vec::new();
        let mut conflicts = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(customer) => written.push(customer),
                Err(StoreError::Conflict { field: "email" }) => conflicts += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((written.len(), conflicts), (3, 1));
        for customer in &written {
            assert_eq!(&store.customer(customer.id).await.unwrap(), customer);
        }
        // Each written customer has its search row, written after the savepoints; the
        // one that failed has none.
        let rows: Vec<i64> = store
            .read(|conn| {
                let mut statement =
                    conn.prepare("SELECT rowid FROM customer_search ORDER BY rowid")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        let mut ids: Vec<i64> = written.iter().map(|c| c.id.0).collect();
        ids.sort();
        assert_eq!(rows, ids);
        for customer in &written {
            let query = customer_model::CustomerQuery {
                filter: customer_model::CustomerFilter {
                    search: vec![customer_model::TextSearch {
                        term: customer.email.as_str().to_owned(),
                        fields: vec![customer_model::SearchField::Email],
                        match_id: false,
                    }],
                    ..Default::default()
                },
                ..Default::default()
            };
            let found = store.list_customers(&query).await.unwrap();
            assert_eq!(found.items.len(), 1, "{}", customer.email.as_str());
        }
        assert!(lock(&store.inner.pending_creates).is_empty());
    }
}
