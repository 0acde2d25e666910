//! Batch import: the whole batch in the caller's one transaction, records in dependency
//! order (products, customers, orders, subscriptions, grants). Aggregates are folded in
//! memory over the batch's orders and written once per customer, currency and status
//! before the transaction commits. The first bad record stops the batch with an error
//! naming it (`orders.3.customer_id`); the caller then rolls everything back.

use super::{Tx, customers, ledger};
use crate::values::{guest_for, path, within};
use crate::{CustomerRef, ImportBatch, ImportSummary, StoreResult};

/// Writes `batch`; `password_hashes[i]` is the hash of customer `i`'s password.
pub(crate) async fn import(
    tx: &Tx<'_>,
    batch: &ImportBatch,
    password_hashes: &[Option<String>],
) -> StoreResult<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut aggregates = ledger::PendingAggregates::default();
    for (i, product) in batch.products.iter().enumerate() {
        ledger::insert_product(tx, product)
            .await
            .map_err(|e| within(&format!("products.{i}"), e))?;
        summary.products += 1;
    }
    for (i, customer) in batch.customers.iter().enumerate() {
        let hash = password_hashes.get(i).and_then(Option::as_deref);
        customers::insert(tx, customer, hash)
            .await
            .map_err(|e| within(&format!("customers.{i}"), e))?;
        summary.customers += 1;
    }
    for (i, import) in batch.orders.iter().enumerate() {
        let prefix = format!("orders.{i}");
        let customer_id = match &import.customer {
            CustomerRef::Id(id) => id.0,
            CustomerRef::Email(email) => match customers::id_by_email(tx, email.as_str()).await? {
                Some(id) => id,
                None => {
                    let guest = guest_for(&import.order, email);
                    let id = customers::insert(tx, &guest, None)
                        .await
                        .map_err(|e| within(&path(&prefix, "email"), e))?;
                    summary.customers += 1;
                    id.0
                }
            },
        };
        ledger::insert_order(tx, &import.order, customer_id, &prefix, &mut aggregates)
            .await
            .map_err(|e| within(&prefix, e))?;
        summary.orders += 1;
    }
    aggregates.flush(tx).await?;
    for (i, subscription) in batch.subscriptions.iter().enumerate() {
        let prefix = format!("subscriptions.{i}");
        ledger::insert_subscription(tx, subscription, &prefix)
            .await
            .map_err(|e| within(&prefix, e))?;
        summary.subscriptions += 1;
    }
    for (i, grant) in batch.download_grants.iter().enumerate() {
        let prefix = format!("download_grants.{i}");
        ledger::insert_grant(tx, grant, &prefix)
            .await
            .map_err(|e| within(&prefix, e))?;
        summary.download_grants += 1;
    }
    Ok(summary)
}
