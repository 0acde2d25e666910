//! The ledger (products, orders with lines and refunds, subscriptions, download grants)
//! and the aggregates folded from it. Every write here updates the aggregates in the
//! caller's transaction, after locking the customer whose ledger changes, so that
//! concurrent writes to one customer's ledger (through any server) happen one after the
//! other; reads of aggregates never touch `orders`.

use std::collections::HashMap;

use customer_model::{
    CurrencyStats, CustomerId, CustomerStats, DownloadFile, DownloadGrant, LineItem,
    NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order, OrderId, OrderRef,
    OrderStatus, PageRequest, Product, ProductId, Refund, Subscription, SubscriptionStatus,
    Timestamp,
};
use tokio_postgres::Row;

use super::{Tx, advance_id_sequence, customers, execute, query, query_opt};
use crate::values::{
    address_from_json, address_to_json, backend, check_refund_amount, currency_from, from_ts,
    invalid, new_uuid, now, opt_ts, order_status, subscription_status, ts,
};
use crate::{CustomerDownload, Page, StoreError, StoreResult};

const ORDER_NOT_FOUND: StoreError = StoreError::NotFound { entity: "order" };
const PRODUCT_NOT_FOUND: StoreError = StoreError::NotFound { entity: "product" };

/// Inserts a product with its files.
pub(crate) async fn insert_product(tx: &Tx<'_>, new: &NewProduct) -> StoreResult<ProductId> {
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let id: i64 = match new.id {
        Some(chosen) => {
            execute(
                tx,
                "INSERT INTO products (id, uuid, name) VALUES ($1, $2, $3)",
                &[&chosen.0, &uuid, &new.name],
            )
            .await?;
            advance_id_sequence(tx, "products", chosen.0).await?;
            chosen.0
        }
        None => query_opt(
            tx,
            "INSERT INTO products (uuid, name) VALUES ($1, $2) RETURNING id",
            &[&uuid, &new.name],
        )
        .await?
        .ok_or_else(|| backend("an insert returned no id"))?
        .get(0),
    };
    for (position, file) in new.files.iter().enumerate() {
        execute(
            tx,
            "INSERT INTO product_files (product_id, position, file_id, name, url)
             VALUES ($1, $2, $3, $4, $5)",
            &[&id, &(position as i64), &file.id, &file.name, &file.url],
        )
        .await?;
    }
    Ok(ProductId(id))
}

/// The product with `id`.
pub(crate) async fn load_product(tx: &Tx<'_>, id: i64) -> StoreResult<Product> {
    let row = query_opt(tx, "SELECT uuid, name FROM products WHERE id = $1", &[&id])
        .await?
        .ok_or(PRODUCT_NOT_FOUND)?;
    let files = query(
        tx,
        "SELECT file_id, name, url FROM product_files WHERE product_id = $1 ORDER BY position",
        &[&id],
    )
    .await?
    .iter()
    .map(|file| DownloadFile {
        id: file.get(0),
        name: file.get(1),
        url: file.get(2),
    })
    .collect();
    Ok(Product {
        id: ProductId(id),
        uuid: row.get(0),
        name: row.get(1),
        files,
    })
}

/// The id of the product with `uuid`.
pub(crate) async fn product_id_by_uuid(
    tx: &Tx<'_>,
    uuid: &customer_model::Uuid,
) -> StoreResult<i64> {
    query_opt(tx, "SELECT id FROM products WHERE uuid = $1", &[uuid])
        .await?
        .map(|row| row.get(0))
        .ok_or(PRODUCT_NOT_FOUND)
}

async fn product_exists(tx: &Tx<'_>, id: i64) -> StoreResult<bool> {
    Ok(
        query_opt(tx, "SELECT 1 FROM products WHERE id = $1", &[&id])
            .await?
            .is_some(),
    )
}

/// An order as first/last order aggregates compare them: (placed instant, id).
type Placed = (i64, i64);

/// What inserted orders add to the aggregates, folded in memory and written with one
/// statement per customer, currency and status when flushed. Flush before the
/// transaction commits.
#[derive(Default)]
pub(crate) struct PendingAggregates {
    buckets: HashMap<(i64, &'static str, OrderStatus), [i64; 3]>,
    /// First and last order per customer and currency.
    edges: HashMap<(i64, &'static str), (Placed, Placed)>,
    last_order_at: HashMap<i64, i64>,
}

impl PendingAggregates {
    fn add_order(
        &mut self,
        customer_id: i64,
        currency: &'static str,
        status: OrderStatus,
        figures: [i64; 3],
        placed: Placed,
    ) {
        let bucket = self
            .buckets
            .entry((customer_id, currency, status))
            .or_default();
        for (sum, add) in bucket.iter_mut().zip(figures) {
            *sum += add;
        }
        let edge = self
            .edges
            .entry((customer_id, currency))
            .or_insert((placed, placed));
        edge.0 = edge.0.min(placed);
        edge.1 = edge.1.max(placed);
        let last = self.last_order_at.entry(customer_id).or_insert(placed.0);
        *last = (*last).max(placed.0);
    }

    /// Writes what was gathered, customers in id order (the order every writer locks
    /// them in).
    pub(crate) async fn flush(self, tx: &Tx<'_>) -> StoreResult<()> {
        let mut buckets: Vec<_> = self.buckets.into_iter().collect();
        buckets.sort_by_key(|((customer, currency, status), _)| {
            (*customer, *currency, status.index())
        });
        for ((customer_id, currency, status), figures) in buckets {
            add_to_bucket(tx, customer_id, currency, status, figures).await?;
        }
        let mut edges: Vec<_> = self.edges.into_iter().collect();
        edges.sort_by_key(|(key, _)| *key);
        for ((customer_id, currency), (first, last)) in edges {
            execute(
                tx,
                "INSERT INTO customer_currency AS cc (customer_id, currency, first_order_at,
                     first_order_id, last_order_at, last_order_id)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (customer_id, currency) DO UPDATE SET
                     first_order_id = CASE WHEN (excluded.first_order_at, excluded.first_order_id)
                         < (cc.first_order_at, cc.first_order_id) THEN excluded.first_order_id
                         ELSE cc.first_order_id END,
                     first_order_at = LEAST(cc.first_order_at, excluded.first_order_at),
                     last_order_id = CASE WHEN (excluded.last_order_at, excluded.last_order_id)
                         > (cc.last_order_at, cc.last_order_id) THEN excluded.last_order_id
                         ELSE cc.last_order_id END,
                     last_order_at = GREATEST(cc.last_order_at, excluded.last_order_at)",
                &[
                    &customer_id,
                    &currency,
                    &first.0,
                    &first.1,
                    &last.0,
                    &last.1,
                ],
            )
            .await?;
        }
        let mut last_orders: Vec<_> = self.last_order_at.into_iter().collect();
        last_orders.sort_unstable();
        for (customer_id, at) in last_orders {
            execute(
                tx,
                "UPDATE customers SET last_order_at = GREATEST(last_order_at, $2) WHERE id = $1",
                &[&customer_id, &at],
            )
            .await?;
        }
        Ok(())
    }
}

/// Inserts `new` for `customer_id` (which overrides `new.customer_id`) with its lines and
/// refunds, and adds it to `pending` aggregates. Errors name fields under `prefix`.
pub(crate) async fn insert_order(
    tx: &Tx<'_>,
    new: &NewOrder,
    customer_id: i64,
    prefix: &str,
    pending: &mut PendingAggregates,
) -> StoreResult<OrderId> {
    if !customers::lock(tx, customer_id).await? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    for (i, item) in new.line_items.iter().enumerate() {
        if let Some(product) = item.product_id
            && !product_exists(tx, product.0).await?
        {
            return Err(invalid(
                prefix,
                &format!("line_items.{i}.product_id"),
                "no such product",
            ));
        }
    }
    let mut refunded: i64 = 0;
    for (i, refund) in new.refunds.iter().enumerate() {
        check_refund_amount(refund.amount, new.total, refunded)
            .map_err(|reason| invalid(prefix, &format!("refunds.{i}.amount"), reason))?;
        refunded += refund.amount;
    }
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid(prefix, "created_at", "outside the years 1677 to 2262"))?;
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let row = query_opt(
        tx,
        "INSERT INTO orders (id, uuid, customer_id, status, currency, total, subtotal, total_tax,
             shipping_total, discount_total, refunded, payment_method, payment_method_title,
             created_at, paid_at, completed_at, billing, shipping)
         VALUES (COALESCE($1, nextval(pg_get_serial_sequence('orders', 'id'))), $2, $3, $4, $5,
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING id",
        &[
            &new.id.map(|id| id.0),
            &uuid,
            &customer_id,
            &(new.status.index() as i64),
            &new.currency.code(),
            &new.total,
            &new.subtotal,
            &new.total_tax,
            &new.shipping_total,
            &new.discount_total,
            &refunded,
            &new.payment_method,
            &new.payment_method_title,
            &created_at,
            &opt_ts(new.paid_at)?,
            &opt_ts(new.completed_at)?,
            &address_to_json(&new.billing),
            &address_to_json(&new.shipping),
        ],
    )
    .await?
    .ok_or_else(|| backend("an insert returned no id"))?;
    let id: i64 = row.get(0);
    if new.id.is_some() {
        advance_id_sequence(tx, "orders", id).await?;
    }
    for item in &new.line_items {
        execute(
            tx,
            "INSERT INTO order_items (order_id, customer_id, product_id, name, quantity, total)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &customer_id,
                &item.product_id.map(|p| p.0),
                &item.name,
                &item.quantity,
                &item.total,
            ],
        )
        .await?;
    }
    for refund in &new.refunds {
        insert_refund(tx, id, refund).await?;
    }
    pending.add_order(
        customer_id,
        new.currency.code(),
        new.status,
        [1, new.total, refunded],
        (created_at, id),
    );
    Ok(OrderId(id))
}

async fn insert_refund(tx: &Tx<'_>, order_id: i64, refund: &NewRefund) -> StoreResult<()> {
    execute(
        tx,
        "INSERT INTO refunds (order_id, amount, created_at, reason) VALUES ($1, $2, $3, $4)",
        &[
            &order_id,
            &refund.amount,
            &ts(refund.created_at.unwrap_or_else(now))?,
            &refund.reason,
        ],
    )
    .await?;
    Ok(())
}

/// Adds `[orders, total, refunded]` to one aggregate bucket (negative to take away);
/// a bucket left without orders is removed.
async fn add_to_bucket(
    tx: &Tx<'_>,
    customer_id: i64,
    currency: &str,
    status: OrderStatus,
    [orders, total, refunded]: [i64; 3],
) -> StoreResult<()> {
    let status = status.index() as i64;
    execute(
        tx,
        "INSERT INTO customer_order_stats AS s (customer_id, currency, status, orders, total,
             refunded)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (customer_id, currency, status) DO UPDATE SET
             orders = s.orders + excluded.orders,
             total = s.total + excluded.total,
             refunded = s.refunded + excluded.refunded",
        &[&customer_id, &currency, &status, &orders, &total, &refunded],
    )
    .await?;
    if orders < 0 {
        execute(
            tx,
            "DELETE FROM customer_order_stats
             WHERE customer_id = $1 AND currency = $2 AND status = $3 AND orders <= 0",
            &[&customer_id, &currency, &status],
        )
        .await?;
    }
    Ok(())
}

/// What the aggregates need of a stored order.
struct OrderFacts {
    customer_id: i64,
    currency: String,
    status: OrderStatus,
    total: i64,
    refunded: i64,
    paid_at: Option<i64>,
    completed_at: Option<i64>,
}

/// The facts of order `id`, with its customer locked (see the module's documentation).
async fn order_facts_locked(tx: &Tx<'_>, id: i64) -> StoreResult<OrderFacts> {
    let customer_id: i64 = query_opt(tx, "SELECT customer_id FROM orders WHERE id = $1", &[&id])
        .await?
        .ok_or(ORDER_NOT_FOUND)?
        .get(0);
    customers::lock(tx, customer_id).await?;
    let row = query_opt(
        tx,
        "SELECT customer_id, currency, status, total, refunded, paid_at, completed_at
         FROM orders WHERE id = $1",
        &[&id],
    )
    .await?
    .ok_or(ORDER_NOT_FOUND)?;
    Ok(OrderFacts {
        customer_id: row.get(0),
        currency: row.get(1),
        status: order_status(row.get(2)),
        total: row.get(3),
        refunded: row.get(4),
        paid_at: row.get(5),
        completed_at: row.get(6),
    })
}

/// Changes an order's status, stamping the paid and completed instants the first time the
/// order reaches a paid or the completed status, and moves its figures between buckets.
pub(crate) async fn set_order_status(
    tx: &Tx<'_>,
    id: i64,
    status: OrderStatus,
    at: Timestamp,
) -> StoreResult<Order> {
    let facts = order_facts_locked(tx, id).await?;
    let at = ts(at)?;
    let paid_at = match facts.paid_at {
        None if status.is_paid() => Some(at),
        kept => kept,
    };
    let completed_at = match facts.completed_at {
        None if status == OrderStatus::Completed => Some(at),
        kept => kept,
    };
    execute(
        tx,
        "UPDATE orders SET status = $2, paid_at = $3, completed_at = $4 WHERE id = $1",
        &[&id, &(status.index() as i64), &paid_at, &completed_at],
    )
    .await?;
    if status != facts.status {
        let figures = [1, facts.total, facts.refunded];
        add_to_bucket(
            tx,
            facts.customer_id,
            &facts.currency,
            facts.status,
            figures.map(|n| -n),
        )
        .await?;
        add_to_bucket(tx, facts.customer_id, &facts.currency, status, figures).await?;
    }
    load_order(tx, id).await
}

/// Adds a refund to an order; more than is left to refund is [`StoreError::Invalid`].
pub(crate) async fn add_refund(tx: &Tx<'_>, id: i64, refund: &NewRefund) -> StoreResult<Order> {
    let facts = order_facts_locked(tx, id).await?;
    check_refund_amount(refund.amount, facts.total, facts.refunded)
        .map_err(|reason| invalid("", "amount", reason))?;
    insert_refund(tx, id, refund).await?;
    execute(
        tx,
        "UPDATE orders SET refunded = refunded + $2 WHERE id = $1",
        &[&id, &refund.amount],
    )
    .await?;
    add_to_bucket(
        tx,
        facts.customer_id,
        &facts.currency,
        facts.status,
        [0, 0, refund.amount],
    )
    .await?;
    load_order(tx, id).await
}

/// Deletes an order with its lines, refunds and download grants, and takes it out of the
/// aggregates; first and last orders are found again through `orders_customer`.
pub(crate) async fn delete_order(tx: &Tx<'_>, id: i64) -> StoreResult<()> {
    let facts = order_facts_locked(tx, id).await?;
    // Grants of the order go with it (by cascade); their downloads leave the counts of
    // whoever held them, who need not be the buyer.
    execute(
        tx,
        "UPDATE customers c SET download_count = c.download_count - held.n
         FROM (SELECT customer_id, SUM(download_count) AS n FROM download_grants
               WHERE order_id = $1 GROUP BY customer_id) held
         WHERE c.id = held.customer_id",
        &[&id],
    )
    .await?;
    execute(tx, "DELETE FROM orders WHERE id = $1", &[&id]).await?;
    add_to_bucket(
        tx,
        facts.customer_id,
        &facts.currency,
        facts.status,
        [-1, -facts.total, -facts.refunded],
    )
    .await?;
    refresh_first_last(tx, facts.customer_id, &facts.currency).await
}

/// Finds a customer's first and last order in `currency` again after a delete.
async fn refresh_first_last(tx: &Tx<'_>, customer_id: i64, currency: &str) -> StoreResult<()> {
    let edge = |sql: &'static str| async move {
        Ok::<_, StoreError>(
            query_opt(tx, sql, &[&customer_id, &currency])
                .await?
                .map(|row| (row.get::<_, i64>(0), row.get::<_, i64>(1))),
        )
    };
    let first = edge(
        "SELECT id, created_at FROM orders WHERE customer_id = $1 AND currency = $2
         ORDER BY created_at, id LIMIT 1",
    )
    .await?;
    let last = edge(
        "SELECT id, created_at FROM orders WHERE customer_id = $1 AND currency = $2
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .await?;
    match (first, last) {
        (Some(first), Some(last)) => {
            execute(
                tx,
                "UPDATE customer_currency SET first_order_id = $3, first_order_at = $4,
                     last_order_id = $5, last_order_at = $6
                 WHERE customer_id = $1 AND currency = $2",
                &[
                    &customer_id,
                    &currency,
                    &first.0,
                    &first.1,
                    &last.0,
                    &last.1,
                ],
            )
            .await?;
        }
        _ => {
            execute(
                tx,
                "DELETE FROM customer_currency WHERE customer_id = $1 AND currency = $2",
                &[&customer_id, &currency],
            )
            .await?;
        }
    }
    execute(
        tx,
        "UPDATE customers SET last_order_at =
             (SELECT MAX(last_order_at) FROM customer_currency WHERE customer_id = $1)
         WHERE id = $1",
        &[&customer_id],
    )
    .await?;
    Ok(())
}

const ORDER_COLUMNS: &str = "id, uuid, customer_id, status, currency, total, subtotal, total_tax,
    shipping_total, discount_total, payment_method, payment_method_title, created_at, paid_at,
    completed_at, billing, shipping";

fn order_from_row(row: &Row) -> StoreResult<Order> {
    Ok(Order {
        id: OrderId(row.get(0)),
        uuid: row.get(1),
        customer_id: CustomerId(row.get(2)),
        status: order_status(row.get(3)),
        currency: currency_from(row.get(4))?,
        total: row.get(5),
        subtotal: row.get(6),
        total_tax: row.get(7),
        shipping_total: row.get(8),
        discount_total: row.get(9),
        payment_method: row.get(10),
        payment_method_title: row.get(11),
        created_at: from_ts(row.get(12)),
        paid_at: row.get::<_, Option<i64>>(13).map(from_ts),
        completed_at: row.get::<_, Option<i64>>(14).map(from_ts),
        billing: address_from_json(row.get(15)),
        shipping: address_from_json(row.get(16)),
        line_items: Vec::new(),
        refunds: Vec::new(),
    })
}

/// The order with `id`.
pub(crate) async fn load_order(tx: &Tx<'_>, id: i64) -> StoreResult<Order> {
    load_orders(tx, &[id]).await?.pop().ok_or(ORDER_NOT_FOUND)
}

/// The orders with `ids`, in that order, with lines and refunds: three queries in all.
pub(crate) async fn load_orders(tx: &Tx<'_>, ids: &[i64]) -> StoreResult<Vec<Order>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id = HashMap::with_capacity(ids.len());
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ANY($1)");
    for row in query(tx, &sql, &[&ids]).await? {
        let order = order_from_row(&row)?;
        by_id.insert(order.id.0, order);
    }
    for row in query(
        tx,
        "SELECT order_id, id, product_id, name, quantity, total FROM order_items
         WHERE order_id = ANY($1) ORDER BY order_id, id",
        &[&ids],
    )
    .await?
    {
        if let Some(order) = by_id.get_mut(&row.get::<_, i64>(0)) {
            order.line_items.push(LineItem {
                id: row.get(1),
                product_id: row.get::<_, Option<i64>>(2).map(ProductId),
                name: row.get(3),
                quantity: row.get(4),
                total: row.get(5),
            });
        }
    }
    for row in query(
        tx,
        "SELECT order_id, id, amount, created_at, reason FROM refunds
         WHERE order_id = ANY($1) ORDER BY order_id, created_at, id",
        &[&ids],
    )
    .await?
    {
        if let Some(order) = by_id.get_mut(&row.get::<_, i64>(0)) {
            order.refunds.push(Refund {
                id: row.get(1),
                amount: row.get(2),
                created_at: from_ts(row.get(3)),
                reason: row.get(4),
            });
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// `LIMIT`: `None` (SQL `NULL`) is no limit.
pub(crate) fn limit_value(limit: Option<u64>) -> Option<i64> {
    limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// `OFFSET`.
pub(crate) fn offset_value(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// A customer's orders, newest first, with the exact count.
pub(crate) async fn customer_orders(
    tx: &Tx<'_>,
    customer_id: i64,
    page: PageRequest,
) -> StoreResult<Page<Order>> {
    if !customers::exists(tx, customer_id).await? {
        return Err(customers::NOT_FOUND);
    }
    let total: i64 = query_opt(
        tx,
        "SELECT COUNT(*) FROM orders WHERE customer_id = $1",
        &[&customer_id],
    )
    .await?
    .map_or(0, |row| row.get(0));
    let ids: Vec<i64> = query(
        tx,
        "SELECT id FROM orders WHERE customer_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        &[
            &customer_id,
            &limit_value(page.limit),
            &offset_value(page.offset),
        ],
    )
    .await?
    .iter()
    .map(|row| row.get(0))
    .collect();
    Ok(Page {
        items: load_orders(tx, &ids).await?,
        total: total as u64,
    })
}

/// The aggregates of each customer in `ids` (customers without any get empty ones):
/// four indexed queries whatever the number of ids.
pub(crate) async fn load_stats(
    tx: &Tx<'_>,
    ids: &[i64],
) -> StoreResult<HashMap<i64, CustomerStats>> {
    let mut stats: HashMap<i64, CustomerStats> = HashMap::with_capacity(ids.len());
    for row in query(
        tx,
        "SELECT id, download_count FROM customers WHERE id = ANY($1)",
        &[&ids],
    )
    .await?
    {
        stats.entry(row.get(0)).or_default().download_count = row.get(1);
    }
    for row in query(
        tx,
        "SELECT customer_id, currency, first_order_id, first_order_at, last_order_id,
             last_order_at
         FROM customer_currency WHERE customer_id = ANY($1) ORDER BY customer_id, currency",
        &[&ids],
    )
    .await?
    {
        let mut figures = CurrencyStats::empty(currency_from(row.get(1))?);
        figures.first_order = Some(OrderRef {
            id: OrderId(row.get(2)),
            at: from_ts(row.get(3)),
        });
        figures.last_order = Some(OrderRef {
            id: OrderId(row.get(4)),
            at: from_ts(row.get(5)),
        });
        stats
            .entry(row.get(0))
            .or_default()
            .currencies
            .push(figures);
    }
    for row in query(
        tx,
        "SELECT customer_id, currency, status, orders, total, refunded
         FROM customer_order_stats WHERE customer_id = ANY($1)",
        &[&ids],
    )
    .await?
    {
        let code: &str = row.get(1);
        let Some(customer) = stats.get_mut(&row.get::<_, i64>(0)) else {
            continue;
        };
        if let Some(figures) = customer
            .currencies
            .iter_mut()
            .find(|c| c.currency.code() == code)
        {
            let bucket = &mut figures.by_status[order_status(row.get(2)).index()];
            bucket.orders = row.get(3);
            bucket.total = row.get(4);
            bucket.refunded = row.get(5);
        }
    }
    for row in query(
        tx,
        "SELECT customer_id, status, count FROM customer_subscription_stats
         WHERE customer_id = ANY($1)",
        &[&ids],
    )
    .await?
    {
        if let Some(customer) = stats.get_mut(&row.get::<_, i64>(0)) {
            customer.subscriptions[subscription_status(row.get(1)).index()] = row.get(2);
        }
    }
    Ok(stats)
}

async fn add_subscription_count(
    tx: &Tx<'_>,
    customer_id: i64,
    status: SubscriptionStatus,
    delta: i64,
) -> StoreResult<()> {
    execute(
        tx,
        "INSERT INTO customer_subscription_stats AS s (customer_id, status, count)
         VALUES ($1, $2, $3)
         ON CONFLICT (customer_id, status) DO UPDATE SET count = s.count + excluded.count",
        &[&customer_id, &(status.index() as i64), &delta],
    )
    .await?;
    Ok(())
}

/// Inserts a subscription and counts it. Errors name fields under `prefix`.
pub(crate) async fn insert_subscription(
    tx: &Tx<'_>,
    new: &NewSubscription,
    chosen_id: Option<i64>,
    prefix: &str,
) -> StoreResult<i64> {
    if !customers::lock(tx, new.customer_id.0).await? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    if !product_exists(tx, new.product_id.0).await? {
        return Err(invalid(prefix, "product_id", "no such product"));
    }
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid(prefix, "created_at", "outside the years 1677 to 2262"))?;
    let id: i64 = query_opt(
        tx,
        "INSERT INTO subscriptions (id, uuid, customer_id, product_id, status, currency,
             created_at)
         VALUES (COALESCE($7, nextval(pg_get_serial_sequence('subscriptions', 'id'))), $1, $2,
             $3, $4, $5, $6) RETURNING id",
        &[
            &new.uuid.unwrap_or_else(new_uuid),
            &new.customer_id.0,
            &new.product_id.0,
            &(new.status.index() as i64),
            &new.currency.code(),
            &created_at,
            &chosen_id,
        ],
    )
    .await?
    .ok_or_else(|| backend("an insert returned no id"))?
    .get(0);
    if chosen_id.is_some() {
        advance_id_sequence(tx, "subscriptions", id).await?;
    }
    add_subscription_count(tx, new.customer_id.0, new.status, 1).await?;
    Ok(id)
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, uuid, customer_id, product_id, status, currency, created_at";

fn subscription_from_row(row: &Row) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: row.get(0),
        uuid: row.get(1),
        customer_id: CustomerId(row.get(2)),
        product_id: ProductId(row.get(3)),
        status: subscription_status(row.get(4)),
        currency: currency_from(row.get(5))?,
        created_at: from_ts(row.get(6)),
    })
}

/// The subscription with `id`.
pub(crate) async fn load_subscription(tx: &Tx<'_>, id: i64) -> StoreResult<Subscription> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1");
    match query_opt(tx, &sql, &[&id]).await? {
        Some(row) => subscription_from_row(&row),
        None => Err(StoreError::NotFound {
            entity: "subscription",
        }),
    }
}

/// Up to `limit` subscriptions with ids above `after`, in order (an export's keyset
/// pages).
pub(crate) async fn subscriptions_after(
    tx: &Tx<'_>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id > $1 ORDER BY id LIMIT $2"
    );
    query(tx, &sql, &[&after, &limit])
        .await?
        .iter()
        .map(subscription_from_row)
        .collect()
}

/// Whether `download_id` names a file of the product with `product_id`.
pub(crate) async fn is_file_of(
    tx: &Tx<'_>,
    product_id: i64,
    download_id: &str,
) -> StoreResult<bool> {
    Ok(query_opt(
        tx,
        "SELECT 1 FROM product_files WHERE product_id = $1 AND file_id = $2",
        &[&product_id, &download_id],
    )
    .await?
    .is_some())
}

/// Changes a subscription's status and moves its count.
pub(crate) async fn set_subscription_status(
    tx: &Tx<'_>,
    id: i64,
    status: SubscriptionStatus,
) -> StoreResult<Subscription> {
    let owner = load_subscription(tx, id).await?.customer_id;
    customers::lock(tx, owner.0).await?;
    let before = load_subscription(tx, id).await?;
    if before.status != status {
        execute(
            tx,
            "UPDATE subscriptions SET status = $2 WHERE id = $1",
            &[&id, &(status.index() as i64)],
        )
        .await?;
        add_subscription_count(tx, before.customer_id.0, before.status, -1).await?;
        add_subscription_count(tx, before.customer_id.0, status, 1).await?;
    }
    load_subscription(tx, id).await
}

/// A customer's subscriptions, oldest first.
pub(crate) async fn customer_subscriptions(
    tx: &Tx<'_>,
    customer_id: i64,
) -> StoreResult<Vec<Subscription>> {
    if !customers::exists(tx, customer_id).await? {
        return Err(customers::NOT_FOUND);
    }
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_id = $1
         ORDER BY created_at, id"
    );
    query(tx, &sql, &[&customer_id])
        .await?
        .iter()
        .map(subscription_from_row)
        .collect()
}

/// Inserts a download grant and adds its downloads to the customer's count.
pub(crate) async fn insert_grant(
    tx: &Tx<'_>,
    new: &NewDownloadGrant,
    chosen_id: Option<i64>,
    prefix: &str,
) -> StoreResult<DownloadGrant> {
    if !customers::lock(tx, new.customer_id.0).await? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    if query_opt(tx, "SELECT 1 FROM orders WHERE id = $1", &[&new.order_id.0])
        .await?
        .is_none()
    {
        return Err(invalid(prefix, "order_id", "no such order"));
    }
    if !product_exists(tx, new.product_id.0).await? {
        return Err(invalid(prefix, "product_id", "no such product"));
    }
    if new.download_count < 0 {
        return Err(invalid(prefix, "download_count", "must not be negative"));
    }
    let id: i64 = query_opt(
        tx,
        "INSERT INTO download_grants (id, download_id, customer_id, order_id, product_id,
             downloads_remaining, access_expires, download_count)
         VALUES (COALESCE($8, nextval(pg_get_serial_sequence('download_grants', 'id'))), $1,
             $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            &new.download_id,
            &new.customer_id.0,
            &new.order_id.0,
            &new.product_id.0,
            &new.downloads_remaining,
            &opt_ts(new.access_expires)?,
            &new.download_count,
            &chosen_id,
        ],
    )
    .await?
    .ok_or_else(|| backend("an insert returned no id"))?
    .get(0);
    if chosen_id.is_some() {
        advance_id_sequence(tx, "download_grants", id).await?;
    }
    execute(
        tx,
        "UPDATE customers SET download_count = download_count + $2 WHERE id = $1",
        &[&new.customer_id.0, &new.download_count],
    )
    .await?;
    Ok(DownloadGrant {
        id,
        download_id: new.download_id.clone(),
        customer_id: new.customer_id,
        order_id: new.order_id,
        product_id: new.product_id,
        downloads_remaining: new.downloads_remaining,
        access_expires: new.access_expires,
        download_count: new.download_count,
    })
}

/// A customer's download grants with product, file and order key, oldest first. A grant
/// whose file left the product keeps its file id with an empty name and URL.
pub(crate) async fn customer_downloads(
    tx: &Tx<'_>,
    customer_id: i64,
) -> StoreResult<Vec<CustomerDownload>> {
    if !customers::exists(tx, customer_id).await? {
        return Err(customers::NOT_FOUND);
    }
    let rows = query(
        tx,
        "SELECT DISTINCT ON (g.id) g.id, g.download_id, g.order_id, g.product_id,
             g.downloads_remaining, g.access_expires, g.download_count, p.name, f.name, f.url,
             o.uuid
         FROM download_grants g
         JOIN products p ON p.id = g.product_id
         JOIN orders o ON o.id = g.order_id
         LEFT JOIN product_files f ON f.product_id = g.product_id AND f.file_id = g.download_id
         WHERE g.customer_id = $1
         ORDER BY g.id, f.position",
        &[&customer_id],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let download_id: String = row.get(1);
            CustomerDownload {
                grant: DownloadGrant {
                    id: row.get(0),
                    download_id: download_id.clone(),
                    customer_id: CustomerId(customer_id),
                    order_id: OrderId(row.get(2)),
                    product_id: ProductId(row.get(3)),
                    downloads_remaining: row.get(4),
                    access_expires: row.get::<_, Option<i64>>(5).map(from_ts),
                    download_count: row.get(6),
                },
                product_name: row.get(7),
                file: DownloadFile {
                    id: download_id,
                    name: row.get::<_, Option<String>>(8).unwrap_or_default(),
                    url: row.get::<_, Option<String>>(9).unwrap_or_default(),
                },
                order_uuid: row.get(10),
            }
        })
        .collect())
}

/// The currencies any customer has an order in, by code.
pub(crate) async fn currencies(tx: &Tx<'_>) -> StoreResult<Vec<customer_model::Currency>> {
    query(
        tx,
        "SELECT currency FROM currency_customer_counts WHERE customers > 0 ORDER BY currency",
        &[],
    )
    .await?
    .iter()
    .map(|row| currency_from(row.get(0)))
    .collect()
}

/// Up to `limit` ids of `table` above `after`, in order (an export's keyset pages).
pub(crate) async fn ids_after(
    tx: &Tx<'_>,
    table: &str,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let sql = format!("SELECT id FROM {table} WHERE id > $1 ORDER BY id LIMIT $2");
    Ok(query(tx, &sql, &[&after, &limit])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// Up to `limit` download grants with ids above `after`, in order.
pub(crate) async fn grants_after(
    tx: &Tx<'_>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<DownloadGrant>> {
    query(
        tx,
        "SELECT id, download_id, customer_id, order_id, product_id, downloads_remaining,
             access_expires, download_count
         FROM download_grants WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after, &limit],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(DownloadGrant {
            id: row.get(0),
            download_id: row.get(1),
            customer_id: CustomerId(row.get(2)),
            order_id: OrderId(row.get(3)),
            product_id: ProductId(row.get(4)),
            downloads_remaining: row.get(5),
            access_expires: row.get::<_, Option<i64>>(6).map(from_ts),
            download_count: row.get(7),
        })
    })
    .collect()
}
