//! Batch import: the whole batch in the caller's one transaction, records in dependency
//! order (products, customers, orders, subscriptions, grants), every statement prepared
//! once and reused. Aggregates are folded in memory over the batch's orders and written
//! once per customer, currency and status before the transaction commits.
//! The first bad record stops the batch with an error naming it (`orders.3.customer_id`);
//! the caller then rolls everything back.

use rusqlite::Connection;

use super::codec::path;
use super::{customers, ledger};
use crate::values::{guest_for, within};
use crate::{CustomerRef, ImportBatch, ImportSummary, StoreResult};

/// Writes `batch`; `password_hashes[i]` is the hash of customer `i`'s password.
pub(crate) fn import(
    conn: &Connection,
    batch: &ImportBatch,
    password_hashes: &[Option<String>],
) -> StoreResult<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut aggregates = ledger::PendingAggregates::default();
    for (i, product) in batch.products.iter().enumerate() {
        ledger::insert_product(conn, product).map_err(|e| within(&format!("products.{i}"), e))?;
        summary.products += 1;
    }
    for (i, customer) in batch.customers.iter().enumerate() {
        let hash = password_hashes.get(i).and_then(Option::as_deref);
        customers::insert(conn, customer, hash)
            .map_err(|e| within(&format!("customers.{i}"), e))?;
        summary.customers += 1;
    }
    for (i, import) in batch.orders.iter().enumerate() {
        let prefix = format!("orders.{i}");
        let customer_id = match &import.customer {
            CustomerRef::Id(id) => id.0,
            CustomerRef::Email(email) => match customers::id_by_email(conn, email.as_str())? {
                Some(id) => id,
                None => {
                    let guest = guest_for(&import.order, email);
                    let id = customers::insert(conn, &guest, None)
                        .map_err(|e| within(&path(&prefix, "email"), e))?;
                    summary.customers += 1;
                    id.0
                }
            },
        };
        ledger::insert_order(conn, &import.order, customer_id, &prefix, &mut aggregates)
            .map_err(|e| within(&prefix, e))?;
        summary.orders += 1;
    }
    aggregates.flush(conn)?;
    for (i, subscription) in batch.subscriptions.iter().enumerate() {
        let prefix = format!("subscriptions.{i}");
        ledger::insert_subscription(conn, subscription, &prefix).map_err(|e| within(&prefix, e))?;
        summary.subscriptions += 1;
    }
    for (i, grant) in batch.download_grants.iter().enumerate() {
        let prefix = format!("download_grants.{i}");
        ledger::insert_grant(conn, grant, &prefix).map_err(|e| within(&prefix, e))?;
        summary.download_grants += 1;
    }
    Ok(summary)
}
