//! Batch import on the bulk path: references are checked and ids assigned up front, then
//! customers (with addresses, meta and search rows), orders, their lines and refunds go
//! in with `COPY … FROM STDIN BINARY`, one statement per table, and the aggregates are
//! folded in memory and merged into the kept ones with one statement per table. The
//! kept totals follow through the statement-level triggers, once per `COPY`.
//! Subscriptions and download grants, rarely many, go in row by row.
//!
//! Everything runs in the caller's one transaction: the first bad record stops the batch
//! with an error naming it (`orders.3.customer_id`, `customers.1.email`) and the caller
//! rolls everything back. Records may refer to records earlier in the batch or already
//! stored; an order by e-mail matches a stored or batch customer by any of their
//! addresses, or creates one guest per new address.

use std::collections::{HashMap, HashSet};
use std::pin::pin;

use customer_model::import::ImportCustomer;
use customer_model::{NewCustomer, OrderStatus};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::customers::SearchRow;
use super::{Tx, advance_id_sequence, api_keys, execute, ledger, query};
use crate::values::{
    IdRuns, address_to_json, check_refund_amount, guest_for, invalid, new_uuid, now, opt_ts,
    over_limit, path, ts, within,
};
use crate::{CustomerRef, ImportBatch, ImportSummary, StoreError, StoreResult};

/// Writes `batch`; `password_hashes[i]` is the hash of customer `i`'s password. The ids
/// of the customers written (guests made for orders too) are added to `written`.
pub(crate) async fn import(
    tx: &Tx<'_>,
    batch: &ImportBatch,
    password_hashes: &[Option<String>],
    written: Option<&mut IdRuns>,
) -> StoreResult<ImportSummary> {
    let mut summary = ImportSummary::default();
    for (i, product) in batch.products.iter().enumerate() {
        ledger::insert_product(tx, product)
            .await
            .map_err(|e| within(&format!("products.{i}"), e))?;
        summary.products += 1;
    }

    // Customers of the batch, then the guests its orders create, as one list.
    let mut customers: Vec<BatchCustomer<'_>> = batch
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let hash = c
                .password_hash
                .as_deref()
                .or_else(|| password_hashes.get(i).and_then(Option::as_deref));
            (&c.customer, hash, format!("customers.{i}"), Some(c))
        })
        .collect();
    check_customers(tx, &customers).await?;
    let mut ids = assign_ids(
        tx,
        "customers",
        &customers
            .iter()
            .map(|(c, ..)| c.id.map(|id| id.0))
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut by_email: HashMap<String, i64> = HashMap::new();
    for ((customer, ..), id) in customers.iter().zip(&ids) {
        for email in std::iter::once(&customer.email).chain(&customer.additional_emails) {
            by_email.entry(email.folded()).or_insert(*id);
        }
    }
    let order_emails: Vec<String> = batch
        .orders
        .iter()
        .filter_map(|o| match &o.customer {
            CustomerRef::Email(email) if !by_email.contains_key(&email.folded()) => {
                Some(email.folded())
            }
            _ => None,
        })
        .collect();
    for row in query(
        tx,
        "SELECT address_folded, customer_id FROM customer_emails WHERE address_folded = ANY($1)",
        &[&order_emails],
    )
    .await?
    {
        by_email.insert(row.get(0), row.get(1));
    }
    let mut guests: Vec<(NewCustomer, String)> = Vec::new();
    let mut guest_emails: HashMap<String, usize> = HashMap::new();
    let mut order_customers = Vec::with_capacity(batch.orders.len());
    for (i, order) in batch.orders.iter().enumerate() {
        order_customers.push(match &order.customer {
            CustomerRef::Id(id) => OrderCustomer::Id(id.0),
            CustomerRef::Email(email) => match by_email.get(&email.folded()) {
                Some(id) => OrderCustomer::Id(*id),
                None => {
                    let next = guests.len();
                    let guest = *guest_emails.entry(email.folded()).or_insert(next);
                    if guest == next {
                        guests.push((
                            guest_for(&order.order, email),
                            path(&format!("orders.{i}"), "email"),
                        ));
                    }
                    OrderCustomer::Guest(guest)
                }
            },
        });
    }
    let guest_ids = assign_ids(tx, "customers", &vec![None; guests.len()]).await?;
    customers.extend(guests.iter().map(|(g, p)| (g, None, p.clone(), None)));
    ids.extend(&guest_ids);
    copy_customers(tx, &customers, &ids).await?;
    summary.customers = customers.len() as u64;
    if let Some(written) = written {
        for id in &ids {
            written.push(*id);
        }
    }

    let order_customer_ids: Vec<i64> = order_customers
        .iter()
        .map(|c| match c {
            OrderCustomer::Id(id) => *id,
            OrderCustomer::Guest(guest) => guest_ids[*guest],
        })
        .collect();
    check_orders(tx, batch, &order_customer_ids).await?;
    copy_orders(tx, batch, &order_customer_ids).await?;
    summary.orders = batch.orders.len() as u64;

    for (i, subscription) in batch.subscriptions.iter().enumerate() {
        let prefix = format!("subscriptions.{i}");
        ledger::insert_subscription(tx, &subscription.subscription, subscription.id, &prefix)
            .await
            .map_err(|e| within(&prefix, e))?;
        summary.subscriptions += 1;
    }
    for (i, grant) in batch.download_grants.iter().enumerate() {
        let prefix = format!("download_grants.{i}");
        ledger::insert_grant(tx, &grant.grant, grant.id, &prefix)
            .await
            .map_err(|e| within(&prefix, e))?;
        // After the insert, which refuses a missing customer, order or product first: the
        // transaction is rolled back with the refusal.
        let product = grant.grant.product_id.0;
        if !ledger::is_file_of(tx, product, &grant.grant.download_id).await? {
            return Err(invalid(
                &prefix,
                "download_id",
                format!("is not a file of product {product}"),
            ));
        }
        summary.download_grants += 1;
    }
    for (i, key) in batch.api_keys.iter().enumerate() {
        let prefix = format!("api_keys.{i}");
        let key = crate::ApiKey::try_from(key.clone())
            .map_err(|unknown| invalid(&prefix, unknown.field, unknown.reason))?;
        api_keys::insert_kept(tx, &key)
            .await
            .map_err(|e| within(&prefix, e))?;
        summary.api_keys += 1;
    }
    Ok(summary)
}

/// A customer to write: the record, its password hash, its path in errors and, for one
/// of the batch (not a guest made for an order), what it keeps from another store.
type BatchCustomer<'a> = (
    &'a NewCustomer,
    Option<&'a str>,
    String,
    Option<&'a ImportCustomer>,
);

/// A customer's first and last order in a currency, each as (placed instant, id).
type Edges = ((i64, i64), (i64, i64));

/// Whose an order is: a stored or batch customer, or the n-th guest made for the batch.
enum OrderCustomer {
    Id(i64),
    Guest(usize),
}

/// Ids for rows to insert: the chosen ones kept (the table's sequence then moved past
/// the largest), the others drawn from the sequence.
async fn assign_ids(tx: &Tx<'_>, table: &str, chosen: &[Option<i64>]) -> StoreResult<Vec<i64>> {
    let missing = chosen.iter().filter(|id| id.is_none()).count() as i64;
    let mut drawn = query(
        tx,
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1::bigint, $2)",
        &[&table, &missing],
    )
    .await?
    .into_iter()
    .map(|row| row.get::<_, i64>(0));
    let ids: Vec<i64> = chosen
        .iter()
        .map(|id| id.unwrap_or_else(|| drawn.next().unwrap_or_default()))
        .collect();
    if let Some(largest) = chosen.iter().flatten().max() {
        advance_id_sequence(tx, table, *largest).await?;
    }
    Ok(ids)
}

/// Ids from the sequence `sequence` (one not owned by a table's column): chosen ones
/// kept, the sequence moved past the largest, the others drawn.
async fn assign_ids_from(
    tx: &Tx<'_>,
    sequence: &str,
    chosen: &[Option<i64>],
) -> StoreResult<Vec<i64>> {
    let missing = chosen.iter().filter(|id| id.is_none()).count() as i64;
    if let Some(largest) = chosen.iter().flatten().max() {
        execute(
            tx,
            "SELECT setval($1::text::regclass, $2) WHERE $2 > COALESCE(pg_sequence_last_value($1::text::regclass), 0)",
            &[&sequence, largest],
        )
        .await?;
    }
    let mut drawn = query(
        tx,
        "SELECT nextval($1::text::regclass) FROM generate_series(1::bigint, $2)",
        &[&sequence, &missing],
    )
    .await?
    .into_iter()
    .map(|row| row.get::<_, i64>(0));
    Ok(chosen
        .iter()
        .map(|id| id.unwrap_or_else(|| drawn.next().unwrap_or_default()))
        .collect())
}

/// Conflicts of the batch's customers, among themselves and with stored ones, named by
/// record; the unique indexes still decide against concurrent writers.
async fn check_customers(tx: &Tx<'_>, customers: &[BatchCustomer<'_>]) -> StoreResult<()> {
    let mut emails: HashMap<String, &str> = HashMap::new();
    let mut usernames: HashMap<String, &str> = HashMap::new();
    let mut ids: HashMap<i64, &str> = HashMap::new();
    let mut uuids: HashMap<customer_model::Uuid, &str> = HashMap::new();
    let taken = |prefix: &str, field: &str| invalid(prefix, field, "already exists");
    for (customer, _, prefix, kept) in customers {
        if customer.id.is_some_and(|id| id.0 <= 0) {
            return Err(invalid(prefix, "id", "must be a positive integer"));
        }
        customer
            .check_limits()
            .map_err(|errors| over_limit(prefix, errors))?;
        ts(customer.created_at.unwrap_or_else(now))
            .map_err(|_| invalid(prefix, "created_at", "outside the years 1677 to 2262"))?;
        if let Some(kept) = kept {
            if kept.password_hash.is_some() && customer.account.is_none() {
                return Err(invalid(prefix, "password_hash", "a guest has no password"));
            }
            if kept.password_hash.is_some()
                && customer
                    .account
                    .as_ref()
                    .is_some_and(|a| a.password.is_some())
            {
                return Err(invalid(
                    prefix,
                    "password_hash",
                    "give either a password or its hash, not both",
                ));
            }
            opt_ts(kept.modified_at)
                .map_err(|_| invalid(prefix, "modified_at", "outside the years 1677 to 2262"))?;
        }
        for email in std::iter::once(&customer.email).chain(&customer.additional_emails) {
            if emails.insert(email.folded(), prefix).is_some() {
                return Err(taken(prefix, "email"));
            }
        }
        if let Some(account) = &customer.account
            && usernames
                .insert(account.username.folded(), prefix)
                .is_some()
        {
            return Err(taken(prefix, "username"));
        }
        if let Some(id) = customer.id
            && ids.insert(id.0, prefix).is_some()
        {
            return Err(taken(prefix, "id"));
        }
        if let Some(uuid) = customer.uuid
            && uuids.insert(uuid, prefix).is_some()
        {
            return Err(taken(prefix, "uuid"));
        }
    }
    let first_stored = |sql: &'static str, keys: Vec<String>| async move {
        Ok::<_, StoreError>(
            query(tx, sql, &[&keys])
                .await?
                .first()
                .map(|row| row.get::<_, String>(0)),
        )
    };
    if let Some(email) = first_stored(
        "SELECT address_folded FROM customer_emails WHERE address_folded = ANY($1) LIMIT 1",
        emails.keys().cloned().collect(),
    )
    .await?
    {
        return Err(taken(emails[&email], "email"));
    }
    if let Some(username) = first_stored(
        "SELECT username_folded FROM customers WHERE username_folded = ANY($1) LIMIT 1",
        usernames.keys().cloned().collect(),
    )
    .await?
    {
        return Err(taken(usernames[&username], "username"));
    }
    let chosen: Vec<i64> = ids.keys().copied().collect();
    if let Some(row) = query(
        tx,
        "SELECT id FROM customers WHERE id = ANY($1) LIMIT 1",
        &[&chosen],
    )
    .await?
    .first()
    {
        return Err(taken(ids[&row.get::<_, i64>(0)], "id"));
    }
    let chosen: Vec<customer_model::Uuid> = uuids.keys().copied().collect();
    if let Some(row) = query(
        tx,
        "SELECT uuid FROM customers WHERE uuid = ANY($1) LIMIT 1",
        &[&chosen],
    )
    .await?
    .first()
    {
        return Err(taken(uuids[&row.get::<_, customer_model::Uuid>(0)], "uuid"));
    }
    Ok(())
}

/// Sends rows through a binary `COPY` into `table (columns)`.
struct Copy<'w> {
    writer: std::pin::Pin<&'w mut BinaryCopyInWriter>,
}

impl Copy<'_> {
    async fn row(&mut self, values: &[&(dyn ToSql + Sync)]) -> StoreResult<()> {
        self.writer.as_mut().write(values).await?;
        Ok(())
    }
}

/// `COPY table (columns) FROM STDIN BINARY`, with `fill` writing the rows.
macro_rules! copy_in {
    ($tx:expr, $table:literal, [$($column:literal: $ty:expr),+ $(,)?], |$copy:ident| $fill:block) => {{
        let sql = concat!("COPY ", $table, " (", copy_in!(@columns $($column),+), ") FROM STDIN BINARY");
        let sink = $tx.copy_in(sql).await?;
        let writer = pin!(BinaryCopyInWriter::new(sink, &[$($ty),+]));
        let mut $copy = Copy { writer };
        $fill
        $copy.writer.as_mut().finish().await?;
    }};
    (@columns $first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

async fn copy_customers(
    tx: &Tx<'_>,
    customers: &[BatchCustomer<'_>],
    ids: &[i64],
) -> StoreResult<()> {
    copy_in!(tx, "customers", [
        "id": Type::INT8, "uuid": Type::UUID, "email": Type::TEXT, "first_name": Type::TEXT,
        "last_name": Type::TEXT, "display_name": Type::TEXT, "username": Type::TEXT,
        "username_folded": Type::TEXT, "role": Type::TEXT, "password_hash": Type::TEXT,
        "billing": Type::TEXT, "shipping": Type::TEXT, "avatar_url": Type::TEXT,
        "created_at": Type::INT8, "modified_at": Type::INT8,
    ], |copy| {
        for ((customer, hash, _, kept), id) in customers.iter().zip(ids) {
            let account = customer.account.as_ref();
            let created_at = ts(customer.created_at.unwrap_or_else(now))?;
            let modified_at = opt_ts(kept.and_then(|k| k.modified_at))?.unwrap_or(created_at);
            copy.row(&[
                id,
                &customer.uuid.unwrap_or_else(new_uuid),
                &customer.email.as_str(),
                &customer.first_name,
                &customer.last_name,
                &customer.effective_display_name(),
                &account.map(|a| a.username.as_str()),
                &account.map(|a| a.username.folded()),
                &account.map(|a| a.role.as_str()),
                hash,
                &address_to_json(&customer.billing),
                &address_to_json(&customer.shipping),
                &customer.avatar_url,
                &created_at,
                &modified_at,
            ])
            .await?;
        }
    });
    copy_in!(tx, "customer_emails", [
        "address_folded": Type::TEXT, "customer_id": Type::INT8, "position": Type::INT8,
        "address": Type::TEXT,
    ], |copy| {
        for ((customer, ..), id) in customers.iter().zip(ids) {
            let all = std::iter::once(&customer.email).chain(&customer.additional_emails);
            for (position, email) in all.enumerate() {
                copy.row(&[&email.folded(), id, &(position as i64), &email.as_str()])
                    .await?;
            }
        }
    });
    let chosen_meta_ids: Vec<Option<i64>> = customers
        .iter()
        .flat_map(|(customer, _, _, kept)| {
            (0..customer.meta_data.len())
                .map(move |i| kept.and_then(|k| k.meta_ids.get(i).copied().flatten()))
        })
        .collect();
    let mut meta_ids = assign_ids_from(tx, "customer_meta_id", &chosen_meta_ids)
        .await?
        .into_iter();
    copy_in!(tx, "customer_meta", [
        "id": Type::INT8, "customer_id": Type::INT8, "key": Type::TEXT, "value": Type::TEXT,
    ], |copy| {
        for ((customer, ..), id) in customers.iter().zip(ids) {
            for (key, value) in &customer.meta_data {
                let meta_id = meta_ids.next().unwrap_or_default();
                copy.row(&[&meta_id, id, key, &value.to_string()]).await?;
            }
        }
    });
    copy_in!(tx, "customer_search", [
        "customer_id": Type::INT8, "names": Type::TEXT, "display_name": Type::TEXT,
        "email": Type::TEXT, "additional_emails": Type::TEXT, "username": Type::TEXT,
        "billing": Type::TEXT, "shipping": Type::TEXT,
    ], |copy| {
        for ((customer, ..), id) in customers.iter().zip(ids) {
            let display_name = customer.effective_display_name();
            let row = SearchRow {
                id: *id,
                first_name: &customer.first_name,
                last_name: &customer.last_name,
                display_name: &display_name,
                email: &customer.email,
                additional_emails: &customer.additional_emails,
                username: customer.account.as_ref().map(|a| a.username.as_str()),
                billing: &customer.billing,
                shipping: &customer.shipping,
            };
            let [names, display, email, additional, username, billing, shipping] = row.columns();
            copy.row(&[id, &names, &display, &email, &additional, &username, &billing, &shipping])
                .await?;
        }
    });
    Ok(())
}

/// Checks what the orders refer to (customers, products) and their refunds.
async fn check_orders(tx: &Tx<'_>, batch: &ImportBatch, customer_ids: &[i64]) -> StoreResult<()> {
    let wanted: Vec<i64> = customer_ids
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let found: HashSet<i64> = query(
        tx,
        "SELECT id FROM customers WHERE id = ANY($1)",
        &[&wanted],
    )
    .await?
    .iter()
    .map(|row| row.get(0))
    .collect();
    let products: Vec<i64> = batch
        .orders
        .iter()
        .flat_map(|o| o.order.line_items.iter().filter_map(|l| l.product_id))
        .map(|p| p.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let products: HashSet<i64> = query(
        tx,
        "SELECT id FROM products WHERE id = ANY($1)",
        &[&products],
    )
    .await?
    .iter()
    .map(|row| row.get(0))
    .collect();
    for (i, (order, customer)) in batch.orders.iter().zip(customer_ids).enumerate() {
        let prefix = format!("orders.{i}");
        if !found.contains(customer) {
            return Err(invalid(&prefix, "customer_id", "no such customer"));
        }
        for (j, item) in order.order.line_items.iter().enumerate() {
            if let Some(product) = item.product_id
                && !products.contains(&product.0)
            {
                return Err(invalid(
                    &prefix,
                    &format!("line_items.{j}.product_id"),
                    "no such product",
                ));
            }
        }
        let mut refunded = 0;
        for (j, refund) in order.order.refunds.iter().enumerate() {
            check_refund_amount(refund.amount, order.order.total, refunded)
                .map_err(|reason| invalid(&prefix, &format!("refunds.{j}.amount"), reason))?;
            refunded += refund.amount;
        }
        ts(order.order.created_at.unwrap_or_else(now))
            .map_err(|_| invalid(&prefix, "created_at", "outside the years 1677 to 2262"))?;
    }
    Ok(())
}

async fn copy_orders(tx: &Tx<'_>, batch: &ImportBatch, customer_ids: &[i64]) -> StoreResult<()> {
    let ids = assign_ids(
        tx,
        "orders",
        &batch
            .orders
            .iter()
            .map(|o| o.order.id.map(|id| id.0))
            .collect::<Vec<_>>(),
    )
    .await
    .map_err(|e| within("orders", e))?;
    let mut buckets: HashMap<(i64, &'static str, OrderStatus), [i64; 3]> = HashMap::new();
    let mut edges: HashMap<(i64, &'static str), Edges> = HashMap::new();
    copy_in!(tx, "orders", [
        "id": Type::INT8, "uuid": Type::UUID, "customer_id": Type::INT8, "status": Type::INT8,
        "currency": Type::TEXT, "total": Type::INT8, "subtotal": Type::INT8,
        "total_tax": Type::INT8, "shipping_total": Type::INT8, "discount_total": Type::INT8,
        "refunded": Type::INT8, "payment_method": Type::TEXT, "payment_method_title": Type::TEXT,
        "created_at": Type::INT8, "paid_at": Type::INT8, "completed_at": Type::INT8,
        "billing": Type::TEXT, "shipping": Type::TEXT,
    ], |copy| {
        for ((import, customer), id) in batch.orders.iter().zip(customer_ids).zip(&ids) {
            let order = &import.order;
            let refunded: i64 = order.refunds.iter().map(|r| r.amount).sum();
            let created_at = ts(order.created_at.unwrap_or_else(now))?;
            copy.row(&[
                id,
                &order.uuid.unwrap_or_else(new_uuid),
                customer,
                &(order.status.index() as i64),
                &order.currency.code(),
                &order.total,
                &order.subtotal,
                &order.total_tax,
                &order.shipping_total,
                &order.discount_total,
                &refunded,
                &order.payment_method,
                &order.payment_method_title,
                &created_at,
                &opt_ts(order.paid_at)?,
                &opt_ts(order.completed_at)?,
                &address_to_json(&order.billing),
                &address_to_json(&order.shipping),
            ])
            .await?;
            let bucket = buckets
                .entry((*customer, order.currency.code(), order.status))
                .or_default();
            for (sum, add) in bucket.iter_mut().zip([1, order.total, refunded]) {
                *sum += add;
            }
            let placed = (created_at, *id);
            let edge = edges
                .entry((*customer, order.currency.code()))
                .or_insert((placed, placed));
            edge.0 = edge.0.min(placed);
            edge.1 = edge.1.max(placed);
        }
    });
    let line_ids = assign_ids(
        tx,
        "order_items",
        &batch
            .orders
            .iter()
            .flat_map(|o| {
                (0..o.order.line_items.len()).map(|i| o.line_ids.get(i).copied().flatten())
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut line_ids = line_ids.into_iter();
    let refund_ids = assign_ids(
        tx,
        "refunds",
        &batch
            .orders
            .iter()
            .flat_map(|o| {
                (0..o.order.refunds.len()).map(|i| o.refund_ids.get(i).copied().flatten())
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut refund_ids = refund_ids.into_iter();
    copy_in!(tx, "order_items", [
        "id": Type::INT8, "order_id": Type::INT8, "customer_id": Type::INT8, "product_id": Type::INT8,
        "name": Type::TEXT, "quantity": Type::INT8, "total": Type::INT8,
    ], |copy| {
        for ((import, customer), id) in batch.orders.iter().zip(customer_ids).zip(&ids) {
            for item in &import.order.line_items {
                copy.row(&[
                    &line_ids.next().unwrap_or_default(),
                    id,
                    customer,
                    &item.product_id.map(|p| p.0),
                    &item.name,
                    &item.quantity,
                    &item.total,
                ])
                .await?;
            }
        }
    });
    copy_in!(tx, "refunds", [
        "id": Type::INT8, "order_id": Type::INT8, "amount": Type::INT8, "created_at": Type::INT8, "reason": Type::TEXT,
    ], |copy| {
        for (import, id) in batch.orders.iter().zip(&ids) {
            for refund in &import.order.refunds {
                copy.row(&[
                    &refund_ids.next().unwrap_or_default(),
                    id,
                    &refund.amount,
                    &ts(refund.created_at.unwrap_or_else(now))?,
                    &refund.reason,
                ])
                .await?;
            }
        }
    });
    merge_aggregates(tx, buckets, edges).await
}

/// Adds the batch's figures to the kept aggregates: through temporary tables, one
/// statement per aggregate table whatever the batch's size.
async fn merge_aggregates(
    tx: &Tx<'_>,
    buckets: HashMap<(i64, &'static str, OrderStatus), [i64; 3]>,
    edges: HashMap<(i64, &'static str), Edges>,
) -> StoreResult<()> {
    if buckets.is_empty() {
        return Ok(());
    }
    // A session writes several chunks in one transaction: the tables of the chunk
    // before are dropped first.
    tx.batch_execute(
        "DROP TABLE IF EXISTS pg_temp.import_buckets, pg_temp.import_edges;
         CREATE TEMPORARY TABLE import_buckets (customer_id BIGINT, currency TEXT COLLATE \"C\",
             status BIGINT, orders BIGINT, total BIGINT, refunded BIGINT) ON COMMIT DROP;
         CREATE TEMPORARY TABLE import_edges (customer_id BIGINT, currency TEXT COLLATE \"C\",
             first_order_at BIGINT, first_order_id BIGINT, last_order_at BIGINT,
             last_order_id BIGINT) ON COMMIT DROP;",
    )
    .await?;
    copy_in!(tx, "import_buckets", [
        "customer_id": Type::INT8, "currency": Type::TEXT, "status": Type::INT8,
        "orders": Type::INT8, "total": Type::INT8, "refunded": Type::INT8,
    ], |copy| {
        for ((customer, currency, status), [orders, total, refunded]) in &buckets {
            copy.row(&[customer, currency, &(status.index() as i64), orders, total, refunded])
                .await?;
        }
    });
    copy_in!(tx, "import_edges", [
        "customer_id": Type::INT8, "currency": Type::TEXT, "first_order_at": Type::INT8,
        "first_order_id": Type::INT8, "last_order_at": Type::INT8, "last_order_id": Type::INT8,
    ], |copy| {
        for ((customer, currency), (first, last)) in &edges {
            copy.row(&[customer, currency, &first.0, &first.1, &last.0, &last.1]).await?;
        }
    });
    // Not prepared and cached: the temporary tables are new in every import.
    tx.execute(
        "INSERT INTO customer_order_stats AS s (customer_id, currency, status, orders, total,
             refunded)
         SELECT customer_id, currency, status, orders, total, refunded FROM import_buckets
         ORDER BY customer_id, currency, status
         ON CONFLICT (customer_id, currency, status) DO UPDATE SET
             orders = s.orders + excluded.orders,
             total = s.total + excluded.total,
             refunded = s.refunded + excluded.refunded",
        &[],
    )
    .await?;
    tx.execute(
        "INSERT INTO customer_currency AS cc (customer_id, currency, first_order_at,
             first_order_id, last_order_at, last_order_id)
         SELECT customer_id, currency, first_order_at, first_order_id, last_order_at,
             last_order_id
         FROM import_edges ORDER BY customer_id, currency
         ON CONFLICT (customer_id, currency) DO UPDATE SET
             first_order_id = CASE WHEN (excluded.first_order_at, excluded.first_order_id)
                 < (cc.first_order_at, cc.first_order_id) THEN excluded.first_order_id
                 ELSE cc.first_order_id END,
             first_order_at = LEAST(cc.first_order_at, excluded.first_order_at),
             last_order_id = CASE WHEN (excluded.last_order_at, excluded.last_order_id)
                 > (cc.last_order_at, cc.last_order_id) THEN excluded.last_order_id
                 ELSE cc.last_order_id END,
             last_order_at = GREATEST(cc.last_order_at, excluded.last_order_at)",
        &[],
    )
    .await?;
    tx.execute(
        "UPDATE customers c SET last_order_at = GREATEST(c.last_order_at, e.at)
         FROM (SELECT customer_id, MAX(last_order_at) AS at FROM import_edges
               GROUP BY customer_id) e
         WHERE c.id = e.customer_id",
        &[],
    )
    .await?;
    Ok(())
}
