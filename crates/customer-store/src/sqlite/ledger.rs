//! The ledger (products, orders with lines and refunds, subscriptions, download grants)
//! and the aggregates folded from it. Every write here updates the aggregates with the
//! same connection, so they share the caller's transaction; reads of aggregates never
//! touch `orders`.

use std::collections::{BTreeMap, HashMap};

use customer_model::{
    CurrencyStats, CustomerId, CustomerStats, DownloadFile, DownloadGrant, LineItem,
    NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order, OrderId, OrderRef,
    OrderStatus, PageRequest, Product, ProductId, Refund, Subscription, SubscriptionStatus,
    Timestamp,
};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, params};

use super::codec::{
    address_from_json, address_to_json, currency_from, from_ts, invalid, new_uuid, now, opt_ts, ts,
    uuid_from,
};
use super::customers;
use crate::values::{check_refund_amount, order_status, subscription_status};
use crate::{CustomerDownload, Page, StoreError, StoreResult};

const ORDER_NOT_FOUND: StoreError = StoreError::NotFound { entity: "order" };
const PRODUCT_NOT_FOUND: StoreError = StoreError::NotFound { entity: "product" };

/// Inserts a product with its files.
pub(crate) fn insert_product(conn: &Connection, new: &NewProduct) -> StoreResult<ProductId> {
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    conn.prepare_cached("INSERT INTO products (id, uuid, name) VALUES (?1, ?2, ?3)")?
        .execute(params![
            new.id.map(|id| id.0),
            uuid.as_bytes().as_slice(),
            new.name
        ])?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT INTO product_files (product_id, position, file_id, name, url)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, file) in new.files.iter().enumerate() {
        add.execute(params![id, position as i64, file.id, file.name, file.url])?;
    }
    Ok(ProductId(id))
}

/// The product with `id`.
pub(crate) fn load_product(conn: &Connection, id: i64) -> StoreResult<Product> {
    let (uuid, name): (Vec<u8>, String) = conn
        .prepare_cached("SELECT uuid, name FROM products WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(PRODUCT_NOT_FOUND)?;
    let files = conn
        .prepare_cached(
            "SELECT file_id, name, url FROM product_files WHERE product_id = ?1 ORDER BY position",
        )?
        .query_map([id], |row| {
            Ok(DownloadFile {
                id: row.get(0)?,
                name: row.get(1)?,
                url: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Product {
        id: ProductId(id),
        uuid: uuid_from(&uuid),
        name,
        files,
    })
}

/// The id of the product with `uuid`.
pub(crate) fn product_id_by_uuid(
    conn: &Connection,
    uuid: &customer_model::Uuid,
) -> StoreResult<i64> {
    conn.prepare_cached("SELECT id FROM products WHERE uuid = ?1")?
        .query_row([uuid.as_bytes().as_slice()], |row| row.get(0))
        .optional()?
        .ok_or(PRODUCT_NOT_FOUND)
}

pub(crate) fn product_exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM products WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn order_exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM orders WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// An order as first/last order aggregates compare them: (placed instant, id).
type Placed = (i64, i64);

/// What inserted orders add to the aggregates, folded in memory and written with one
/// statement per customer, currency and status when flushed: an import of many orders
/// per customer writes each aggregate row once, not once per order. Flush before the
/// transaction commits.
///
/// Ordered maps: a flush writes in the tables' key order, so that consecutive rows land
/// on the same pages and new rows at the end of a table are appended, not slotted into
/// pages that then split in the middle.
#[derive(Default)]
pub(crate) struct PendingAggregates {
    buckets: BTreeMap<(i64, &'static str, OrderStatus), [i64; 3]>,
    /// First and last order per customer and currency.
    edges: BTreeMap<(i64, &'static str), (Placed, Placed)>,
    last_order_at: BTreeMap<i64, i64>,
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
        self.add_to_bucket(customer_id, currency, status, figures);
        self.add_edges(customer_id, currency, (placed, placed));
    }

    fn add_to_bucket(
        &mut self,
        customer_id: i64,
        currency: &'static str,
        status: OrderStatus,
        figures: [i64; 3],
    ) {
        let bucket = self
            .buckets
            .entry((customer_id, currency, status))
            .or_default();
        for (sum, add) in bucket.iter_mut().zip(figures) {
            *sum += add;
        }
    }

    /// Widens the customer's first and last order in `currency` to take in `first` and
    /// `last` (and so its last order over all currencies).
    fn add_edges(
        &mut self,
        customer_id: i64,
        currency: &'static str,
        (first, last): (Placed, Placed),
    ) {
        let edge = self
            .edges
            .entry((customer_id, currency))
            .or_insert((first, last));
        edge.0 = edge.0.min(first);
        edge.1 = edge.1.max(last);
        let last_at = self.last_order_at.entry(customer_id).or_insert(last.0);
        *last_at = (*last_at).max(last.0);
    }

    /// Sets what was gathered aside in the connection's temporary tables instead of
    /// writing it ([`apply_spooled_aggregates`] writes it all, later). Writing a chunk's
    /// aggregates as they come touches aggregate rows (and customers) all over their
    /// tables, a statement each; set aside, the aggregates of a whole import are summed
    /// per key and written once, in key order.
    pub(crate) fn spool(self, conn: &Connection) -> StoreResult<()> {
        if self.buckets.is_empty() && self.edges.is_empty() {
            return Ok(());
        }
        conn.execute_batch(SPOOL_TABLES)?;
        let mut bucket = conn.prepare_cached(
            "INSERT INTO temp.spooled_order_buckets (customer_id, currency, status, orders,
                 total, refunded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for ((customer_id, currency, status), [orders, total, refunded]) in self.buckets {
            bucket.execute(params![
                customer_id,
                currency,
                status.index() as i64,
                orders,
                total,
                refunded
            ])?;
        }
        let mut edges = conn.prepare_cached(
            "INSERT INTO temp.spooled_order_edges (customer_id, currency, first_at, first_id,
                 last_at, last_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        execute_per_edge(&mut edges, self.edges)?;
        Ok(())
    }

    /// Writes what was gathered.
    pub(crate) fn flush(self, conn: &Connection) -> StoreResult<()> {
        for ((customer_id, currency, status), figures) in self.buckets {
            add_to_bucket(conn, customer_id, currency, status, figures)?;
        }
        let mut add = conn.prepare_cached(ADD_EDGES)?;
        let mut widen = conn.prepare_cached(WIDEN_EDGES)?;
        for ((customer_id, currency), (first, last)) in self.edges {
            let values = params![customer_id, currency, first.0, first.1, last.0, last.1];
            if add.execute(values)? == 0 {
                widen.execute(values)?;
            }
        }
        let mut last_order = conn.prepare_cached(SET_LAST_ORDER)?;
        for (customer_id, at) in self.last_order_at {
            last_order.execute(params![customer_id, at])?;
        }
        Ok(())
    }
}

/// Runs `statement` once per customer and currency of `edges`, with the customer, the
/// currency and the first and last orders' instants and ids.
fn execute_per_edge(
    statement: &mut rusqlite::Statement<'_>,
    edges: BTreeMap<(i64, &'static str), (Placed, Placed)>,
) -> StoreResult<()> {
    for ((customer_id, currency), (first, last)) in edges {
        statement.execute(params![
            customer_id,
            currency,
            first.0,
            first.1,
            last.0,
            last.1
        ])?;
    }
    Ok(())
}

/// The temporary tables [`PendingAggregates::spool`] sets aggregates aside in. `temp`
/// tables belong to the connection, and go with it or with [`apply_spooled_aggregates`].
const SPOOL_TABLES: &str = "
    CREATE TEMP TABLE IF NOT EXISTS spooled_order_buckets (customer_id INTEGER,
        currency TEXT, status INTEGER, orders INTEGER, total INTEGER, refunded INTEGER);
    CREATE TEMP TABLE IF NOT EXISTS spooled_order_edges (customer_id INTEGER, currency TEXT,
        first_at INTEGER, first_id INTEGER, last_at INTEGER, last_id INTEGER);";

/// Drops what an earlier session may have left set aside on this connection. A rollback
/// takes the temporary tables back with the rest; this makes sure of it.
pub(crate) fn drop_spooled_aggregates(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.spooled_order_buckets;
         DROP TABLE IF EXISTS temp.spooled_order_edges;",
    )?;
    Ok(())
}

/// Writes what [`PendingAggregates::spool`] set aside (nothing if nothing was), summed
/// per key, in key order, and drops the spool. Returns, per currency, how many
/// customers it made buyers in that currency for the first time (pairs of customer and
/// currency that `customer_currency` did not hold), for an import that keeps the counts
/// itself.
///
/// The buckets are summed and written by one statement. The first and last orders are
/// read in key order, folded per customer and currency as they come and written with
/// statements prepared once: an import of half a million orders writes a few hundred
/// thousand of them, and looking each statement up in the connection's cache, a lookup
/// per customer of whether it already bought in the currency, and a sort of the spool
/// for that lookup were a fifth of this (which was a fifth of the import).
pub(crate) fn apply_spooled_aggregates(conn: &Connection) -> StoreResult<Vec<(String, i64)>> {
    let spooled = conn
        .prepare_cached("SELECT 1 FROM temp.sqlite_schema WHERE name = 'spooled_order_buckets'")?
        .exists([])?;
    if !spooled {
        return Ok(Vec::new());
    }
    // Spooled buckets only add orders (an import writes orders, never takes them away),
    // so no bucket is left empty.
    conn.execute(
        "INSERT INTO customer_order_stats (customer_id, currency, status, orders, total, refunded)
         SELECT customer_id, currency, status, SUM(orders), SUM(total), SUM(refunded)
         FROM temp.spooled_order_buckets
         GROUP BY customer_id, currency, status
         ON CONFLICT (customer_id, currency, status) DO UPDATE SET
             orders = orders + excluded.orders,
             total = total + excluded.total,
             refunded = refunded + excluded.refunded",
        [],
    )?;
    let mut writer = SpooledEdgeWriter::prepare(conn)?;
    let mut statement = conn.prepare(
        "SELECT customer_id, currency, first_at, first_id, last_at, last_id
         FROM temp.spooled_order_edges ORDER BY customer_id, currency",
    )?;
    let mut rows = statement.query([])?;
    let mut edge: Option<SpooledEdge> = None;
    while let Some(row) = rows.next()? {
        let customer_id: i64 = row.get(0)?;
        let currency = text_at(row, 1)?;
        let (first, last) = ((row.get(2)?, row.get(3)?), (row.get(4)?, row.get(5)?));
        match &mut edge {
            Some(current) if current.customer_id == customer_id && current.currency == currency => {
                current.first = current.first.min(first);
                current.last = current.last.max(last);
            }
            _ => {
                let next = SpooledEdge {
                    customer_id,
                    currency: currency_from(currency)?.code(),
                    first,
                    last,
                };
                if let Some(done) = edge.replace(next) {
                    writer.write(done)?;
                }
            }
        }
    }
    if let Some(done) = edge {
        writer.write(done)?;
    }
    let new_buyers = writer.finish()?;
    drop(rows);
    drop(statement);
    drop_spooled_aggregates(conn)?;
    Ok(new_buyers)
}

/// Adds a customer's first and last order in a currency (`?1`, `?2`; `?3`-`?6`: the
/// first's instant and id, the last's) when it has none there yet. Changes no row when
/// it has: [`WIDEN_EDGES`] then takes the new orders in.
const ADD_EDGES: &str = "INSERT INTO customer_currency (customer_id, currency, first_order_at,
        first_order_id, last_order_at, last_order_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (customer_id, currency) DO NOTHING";

/// Widens a customer's kept first and last order in a currency to take in those given
/// (parameters as [`ADD_EDGES`]); ties go to the smaller id first and the larger last.
const WIDEN_EDGES: &str = "UPDATE customer_currency SET
        first_order_id = CASE WHEN (?3, ?4) < (first_order_at, first_order_id)
            THEN ?4 ELSE first_order_id END,
        first_order_at = MIN(first_order_at, ?3),
        last_order_id = CASE WHEN (?5, ?6) > (last_order_at, last_order_id)
            THEN ?6 ELSE last_order_id END,
        last_order_at = MAX(last_order_at, ?5)
    WHERE customer_id = ?1 AND currency = ?2";

/// Moves customer `?1`'s last order over all currencies to `?2` if that is later.
const SET_LAST_ORDER: &str =
    "UPDATE customers SET last_order_at = MAX(IFNULL(last_order_at, ?2), ?2)
    WHERE id = ?1";

/// One customer's first and last order in one currency, folded from the spool.
struct SpooledEdge {
    customer_id: i64,
    currency: &'static str,
    first: Placed,
    last: Placed,
}

/// Writes [`SpooledEdge`]s in key order: each into `customer_currency`, and each
/// customer's last order over its currencies into `customers`.
struct SpooledEdgeWriter<'conn> {
    add: rusqlite::Statement<'conn>,
    widen: rusqlite::Statement<'conn>,
    set_last_order: rusqlite::Statement<'conn>,
    /// The customer whose edges are being written, and its last order so far.
    customer_last: Option<(i64, i64)>,
    new_buyers: BTreeMap<&'static str, i64>,
}

impl<'conn> SpooledEdgeWriter<'conn> {
    fn prepare(conn: &'conn Connection) -> StoreResult<Self> {
        Ok(Self {
            add: conn.prepare(ADD_EDGES)?,
            widen: conn.prepare(WIDEN_EDGES)?,
            set_last_order: conn.prepare(SET_LAST_ORDER)?,
            customer_last: None,
            new_buyers: BTreeMap::new(),
        })
    }

    /// Writes `edge`; edges come in customer and currency order.
    fn write(&mut self, edge: SpooledEdge) -> StoreResult<()> {
        let values = params![
            edge.customer_id,
            edge.currency,
            edge.first.0,
            edge.first.1,
            edge.last.0,
            edge.last.1
        ];
        // Most customers of an import are new: one statement, which also tells whether
        // the customer had bought in the currency before.
        if self.add.execute(values)? == 1 {
            *self.new_buyers.entry(edge.currency).or_default() += 1;
        } else {
            self.widen.execute(values)?;
        }
        match &mut self.customer_last {
            Some((id, at)) if *id == edge.customer_id => *at = (*at).max(edge.last.0),
            _ => {
                if let Some((id, at)) = self.customer_last.replace((edge.customer_id, edge.last.0))
                {
                    self.set_last_order.execute(params![id, at])?;
                }
            }
        }
        Ok(())
    }

    /// Writes the last customer's last order, and returns the new buyers per currency.
    fn finish(mut self) -> StoreResult<Vec<(String, i64)>> {
        if let Some((id, at)) = self.customer_last.take() {
            self.set_last_order.execute(params![id, at])?;
        }
        Ok(self
            .new_buyers
            .into_iter()
            .map(|(currency, buyers)| (currency.to_owned(), buyers))
            .collect())
    }
}

/// Inserts `new` for `customer_id` (which overrides `new.customer_id`) with its lines and
/// refunds, and adds it to `pending` aggregates. Errors name fields under `prefix`.
pub(crate) fn insert_order(
    conn: &Connection,
    new: &NewOrder,
    customer_id: i64,
    prefix: &str,
    pending: &mut PendingAggregates,
) -> StoreResult<OrderId> {
    if !customers::exists(conn, customer_id)? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    for (i, item) in new.line_items.iter().enumerate() {
        if let Some(product) = item.product_id
            && !product_exists(conn, product.0)?
        {
            return Err(invalid(
                prefix,
                &format!("line_items.{i}.product_id"),
                "no such product",
            ));
        }
    }
    write_order(
        conn,
        &mut OrderStatements::prepare(conn)?,
        new,
        customer_id,
        prefix,
        &KeptOrderIds::default(),
        Some(pending),
    )
}

/// The ids an import keeps for an order's lines and refunds, by position; a missing one
/// is assigned.
#[derive(Debug, Default)]
pub(crate) struct KeptOrderIds<'a> {
    /// Of the lines.
    pub lines: &'a [Option<i64>],
    /// Of the refunds.
    pub refunds: &'a [Option<i64>],
}

/// The statements that write an order, its lines and its refunds, prepared once for
/// many orders: an import writes millions, and finding each in the statement cache
/// (hashing its text, taking it out and putting it back) was a tenth of its writing
/// thread.
pub(crate) struct OrderStatements<'conn> {
    order: CachedStatement<'conn>,
    line: CachedStatement<'conn>,
    refund: CachedStatement<'conn>,
}

impl<'conn> OrderStatements<'conn> {
    /// The statements, from `conn`'s cache.
    pub(crate) fn prepare(conn: &'conn Connection) -> StoreResult<Self> {
        Ok(Self {
            order: conn.prepare_cached(
                "INSERT INTO orders (id, uuid, customer_id, status, currency, total, subtotal,
                     total_tax, shipping_total, discount_total, refunded, payment_method,
                     payment_method_title, created_at, paid_at, completed_at, billing, shipping)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18)",
            )?,
            line: conn.prepare_cached(
                "INSERT INTO order_items (id, order_id, customer_id, product_id, name, quantity,
                     total)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            refund: conn.prepare_cached(
                "INSERT INTO refunds (id, order_id, amount, created_at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }
}

/// Writes order `new` of `customer_id`, whose customer and products exist, with its lines
/// and refunds, through `statements` (of `conn`). With `pending`, the order is added to
/// the aggregates; without, a bulk load builds them after the rows. Errors name fields
/// under `prefix`.
pub(crate) fn write_order(
    conn: &Connection,
    statements: &mut OrderStatements<'_>,
    new: &NewOrder,
    customer_id: i64,
    prefix: &str,
    ids: &KeptOrderIds<'_>,
    pending: Option<&mut PendingAggregates>,
) -> StoreResult<OrderId> {
    let mut refunded: i64 = 0;
    for (i, refund) in new.refunds.iter().enumerate() {
        check_refund_amount(refund.amount, new.total, refunded)
            .map_err(|reason| invalid(prefix, &format!("refunds.{i}.amount"), reason))?;
        refunded += refund.amount;
    }
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid(prefix, "created_at", "outside the years 1677 to 2262"))?;
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    statements.order.execute(params![
        new.id.map(|id| id.0),
        uuid.as_bytes().as_slice(),
        customer_id,
        new.status.index() as i64,
        new.currency.code(),
        new.total,
        new.subtotal,
        new.total_tax,
        new.shipping_total,
        new.discount_total,
        refunded,
        new.payment_method,
        new.payment_method_title,
        created_at,
        opt_ts(new.paid_at)?,
        opt_ts(new.completed_at)?,
        address_to_json(&new.billing),
        address_to_json(&new.shipping),
    ])?;
    let id = conn.last_insert_rowid();
    for (position, item) in new.line_items.iter().enumerate() {
        statements.line.execute(params![
            ids.lines.get(position).copied().flatten(),
            id,
            customer_id,
            item.product_id.map(|p| p.0),
            item.name,
            item.quantity,
            item.total
        ])?;
    }
    for (position, refund) in new.refunds.iter().enumerate() {
        insert_refund(
            &mut statements.refund,
            id,
            ids.refunds.get(position).copied().flatten(),
            refund,
        )?;
    }
    if let Some(pending) = pending {
        pending.add_order(
            customer_id,
            new.currency.code(),
            new.status,
            [1, new.total, refunded],
            (created_at, id),
        );
    }
    Ok(OrderId(id))
}

fn insert_refund(
    statement: &mut CachedStatement<'_>,
    order_id: i64,
    id: Option<i64>,
    refund: &NewRefund,
) -> StoreResult<()> {
    statement.execute(params![
        id,
        order_id,
        refund.amount,
        ts(refund.created_at.unwrap_or_else(now))?,
        refund.reason
    ])?;
    Ok(())
}

/// Adds `[orders, total, refunded]` to one aggregate bucket (negative to take away);
/// a bucket left without orders is removed.
fn add_to_bucket(
    conn: &Connection,
    customer_id: i64,
    currency: &str,
    status: OrderStatus,
    [orders, total, refunded]: [i64; 3],
) -> StoreResult<()> {
    let status = status.index() as i64;
    conn.prepare_cached(
        "INSERT INTO customer_order_stats (customer_id, currency, status, orders, total, refunded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (customer_id, currency, status) DO UPDATE SET
             orders = orders + excluded.orders,
             total = total + excluded.total,
             refunded = refunded + excluded.refunded",
    )?
    .execute(params![
        customer_id,
        currency,
        status,
        orders,
        total,
        refunded
    ])?;
    if orders < 0 {
        conn.prepare_cached(
            "DELETE FROM customer_order_stats
             WHERE customer_id = ?1 AND currency = ?2 AND status = ?3 AND orders <= 0",
        )?
        .execute(params![customer_id, currency, status])?;
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

fn order_facts(conn: &Connection, id: i64) -> StoreResult<OrderFacts> {
    conn.prepare_cached(
        "SELECT customer_id, currency, status, total, refunded, paid_at, completed_at
         FROM orders WHERE id = ?1",
    )?
    .query_row([id], |row| {
        Ok(OrderFacts {
            customer_id: row.get(0)?,
            currency: row.get(1)?,
            status: order_status(row.get(2)?),
            total: row.get(3)?,
            refunded: row.get(4)?,
            paid_at: row.get(5)?,
            completed_at: row.get(6)?,
        })
    })
    .optional()?
    .ok_or(ORDER_NOT_FOUND)
}

/// Changes an order's status, stamping the paid and completed instants the first time the
/// order reaches a paid or the completed status, and moves its figures between buckets.
pub(crate) fn set_order_status(
    conn: &Connection,
    id: i64,
    status: OrderStatus,
    at: Timestamp,
) -> StoreResult<Order> {
    let facts = order_facts(conn, id)?;
    let at = ts(at)?;
    let paid_at = match facts.paid_at {
        None if status.is_paid() => Some(at),
        kept => kept,
    };
    let completed_at = match facts.completed_at {
        None if status == OrderStatus::Completed => Some(at),
        kept => kept,
    };
    conn.prepare_cached(
        "UPDATE orders SET status = ?2, paid_at = ?3, completed_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, status.index() as i64, paid_at, completed_at])?;
    if status != facts.status {
        let figures = [1, facts.total, facts.refunded];
        add_to_bucket(
            conn,
            facts.customer_id,
            &facts.currency,
            facts.status,
            figures.map(|n| -n),
        )?;
        add_to_bucket(conn, facts.customer_id, &facts.currency, status, figures)?;
    }
    load_order(conn, id)
}

/// Adds a refund to an order; more than is left to refund is [`StoreError::Invalid`].
pub(crate) fn add_refund(conn: &Connection, id: i64, refund: &NewRefund) -> StoreResult<Order> {
    let facts = order_facts(conn, id)?;
    check_refund_amount(refund.amount, facts.total, facts.refunded)
        .map_err(|reason| invalid("", "amount", reason))?;
    insert_refund(
        &mut OrderStatements::prepare(conn)?.refund,
        id,
        None,
        refund,
    )?;
    conn.prepare_cached("UPDATE orders SET refunded = refunded + ?2 WHERE id = ?1")?
        .execute(params![id, refund.amount])?;
    add_to_bucket(
        conn,
        facts.customer_id,
        &facts.currency,
        facts.status,
        [0, 0, refund.amount],
    )?;
    load_order(conn, id)
}

/// Deletes an order with its lines, refunds and download grants, and takes it out of the
/// aggregates; first and last orders are found again through `orders_customer`.
pub(crate) fn delete_order(conn: &Connection, id: i64) -> StoreResult<()> {
    let facts = order_facts(conn, id)?;
    // Grants of the order go with it (by cascade); their downloads leave the counts of
    // whoever held them, who need not be the buyer.
    conn.prepare_cached(
        "UPDATE customers SET download_count = download_count -
             (SELECT SUM(g.download_count) FROM download_grants g
              WHERE g.order_id = ?1 AND g.customer_id = customers.id)
         WHERE id IN (SELECT customer_id FROM download_grants WHERE order_id = ?1)",
    )?
    .execute([id])?;
    conn.prepare_cached("DELETE FROM orders WHERE id = ?1")?
        .execute([id])?;
    add_to_bucket(
        conn,
        facts.customer_id,
        &facts.currency,
        facts.status,
        [-1, -facts.total, -facts.refunded],
    )?;
    refresh_first_last(conn, facts.customer_id, &facts.currency)
}

/// Finds a customer's first and last order in `currency` again after a delete.
fn refresh_first_last(conn: &Connection, customer_id: i64, currency: &str) -> StoreResult<()> {
    let edge = |sql: &str| -> StoreResult<Option<(i64, i64)>> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row(params![customer_id, currency], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?)
    };
    let first = edge(
        "SELECT id, created_at FROM orders WHERE customer_id = ?1 AND currency = ?2
         ORDER BY created_at, id LIMIT 1",
    )?;
    let last = edge(
        "SELECT id, created_at FROM orders WHERE customer_id = ?1 AND currency = ?2
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )?;
    match (first, last) {
        (Some(first), Some(last)) => {
            conn.prepare_cached(
                "UPDATE customer_currency SET first_order_id = ?3, first_order_at = ?4,
                     last_order_id = ?5, last_order_at = ?6
                 WHERE customer_id = ?1 AND currency = ?2",
            )?
            .execute(params![
                customer_id,
                currency,
                first.0,
                first.1,
                last.0,
                last.1
            ])?;
        }
        _ => {
            conn.prepare_cached(
                "DELETE FROM customer_currency WHERE customer_id = ?1 AND currency = ?2",
            )?
            .execute(params![customer_id, currency])?;
        }
    }
    conn.prepare_cached(
        "UPDATE customers SET last_order_at =
             (SELECT MAX(last_order_at) FROM customer_currency WHERE customer_id = ?1)
         WHERE id = ?1",
    )?
    .execute([customer_id])?;
    Ok(())
}

const ORDER_COLUMNS: &str = "id, uuid, customer_id, status, currency, total, subtotal, total_tax,
    shipping_total, discount_total, payment_method, payment_method_title, created_at, paid_at,
    completed_at, billing, shipping";

fn order_from_row(row: &Row<'_>) -> StoreResult<Order> {
    let uuid: Vec<u8> = row.get(1)?;
    let currency: String = row.get(4)?;
    let billing: String = row.get(15)?;
    let shipping: String = row.get(16)?;
    Ok(Order {
        id: OrderId(row.get(0)?),
        uuid: uuid_from(&uuid),
        customer_id: CustomerId(row.get(2)?),
        status: order_status(row.get(3)?),
        currency: currency_from(&currency)?,
        total: row.get(5)?,
        subtotal: row.get(6)?,
        total_tax: row.get(7)?,
        shipping_total: row.get(8)?,
        discount_total: row.get(9)?,
        payment_method: row.get(10)?,
        payment_method_title: row.get(11)?,
        created_at: from_ts(row.get(12)?),
        paid_at: row.get::<_, Option<i64>>(13)?.map(from_ts),
        completed_at: row.get::<_, Option<i64>>(14)?.map(from_ts),
        billing: address_from_json(&billing),
        shipping: address_from_json(&shipping),
        line_items: Vec::new(),
        refunds: Vec::new(),
    })
}

/// The order with `id`.
pub(crate) fn load_order(conn: &Connection, id: i64) -> StoreResult<Order> {
    load_orders(conn, &[id])?.pop().ok_or(ORDER_NOT_FOUND)
}

/// The orders with `ids`, in that order, with lines and refunds: three queries in all.
pub(crate) fn load_orders(conn: &Connection, ids: &[i64]) -> StoreResult<Vec<Order>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = super::codec::id_set(ids);
    let mut by_id = HashMap::with_capacity(ids.len());
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM {}orders WHERE id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            let order = order_from_row(row)?;
            by_id.insert(order.id.0, order);
        }
    }
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT order_id, id, product_id, name, quantity, total
             FROM {}order_items WHERE order_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            if let Some(order) = by_id.get_mut(&row.get::<_, i64>(0)?) {
                order.line_items.push(LineItem {
                    id: row.get(1)?,
                    product_id: row.get::<_, Option<i64>>(2)?.map(ProductId),
                    name: row.get(3)?,
                    quantity: row.get(4)?,
                    total: row.get(5)?,
                });
            }
        }
    }
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT order_id, id, amount, created_at, reason
             FROM {}refunds WHERE order_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            if let Some(order) = by_id.get_mut(&row.get::<_, i64>(0)?) {
                order.refunds.push(Refund {
                    id: row.get(1)?,
                    amount: row.get(2)?,
                    created_at: from_ts(row.get(3)?),
                    reason: row.get(4)?,
                });
            }
        }
    }
    for order in by_id.values_mut() {
        order.line_items.sort_unstable_by_key(|line| line.id);
        order
            .refunds
            .sort_unstable_by_key(|refund| (refund.created_at, refund.id));
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// A customer's orders, newest first, with the exact count.
pub(crate) fn customer_orders(
    conn: &Connection,
    customer_id: i64,
    page: PageRequest,
) -> StoreResult<Page<Order>> {
    if !customers::exists(conn, customer_id)? {
        return Err(customers::NOT_FOUND);
    }
    let total: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM orders WHERE customer_id = ?1")?
        .query_row([customer_id], |row| row.get(0))?;
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM orders WHERE customer_id = ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )?
        .query_map(
            params![
                customer_id,
                limit_value(page.limit),
                offset_value(page.offset)
            ],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items: load_orders(conn, &ids)?,
        total: total as u64,
    })
}

/// SQLite's `LIMIT`: -1 is no limit.
pub(crate) fn limit_value(limit: Option<u64>) -> i64 {
    limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// SQLite's `OFFSET`.
pub(crate) fn offset_value(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// The aggregates of each customer in `ids` (customers without any get empty ones):
/// at most four indexed queries whatever the number of ids.
pub(crate) fn load_stats(
    conn: &Connection,
    ids: &[i64],
) -> StoreResult<HashMap<i64, CustomerStats>> {
    let wanted = super::codec::id_set(ids);
    let mut stats: HashMap<i64, CustomerStats> = HashMap::with_capacity(ids.len());
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT id, download_count FROM {}customers WHERE id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            stats.entry(row.get(0)?).or_default().download_count = row.get(1)?;
        }
    }
    add_kept_stats(conn, ids, &mut stats)?;
    Ok(stats)
}

/// The text in column `index` of `row`, borrowed: a per-row `String` is an allocation
/// per aggregate row of a page.
fn text_at<'row>(row: &'row Row<'_>, index: usize) -> rusqlite::Result<&'row str> {
    row.get_ref(index)?.as_str().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            Box::new(error),
        )
    })
}

/// Adds to `stats` the figures of each customer in `ids` that live outside the
/// `customers` row (whose `download_count` the caller read with the row): the orders
/// per currency and status, and the subscriptions per status.
pub(crate) fn add_kept_stats(
    conn: &Connection,
    ids: &[i64],
    stats: &mut HashMap<i64, CustomerStats>,
) -> StoreResult<()> {
    let wanted = super::codec::id_set(ids);
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT customer_id, currency, first_order_id, first_order_at, last_order_id,
                 last_order_at
             FROM {}customer_currency WHERE customer_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            let mut figures = CurrencyStats::empty(currency_from(text_at(row, 1)?)?);
            figures.first_order = Some(OrderRef {
                id: OrderId(row.get(2)?),
                at: from_ts(row.get(3)?),
            });
            figures.last_order = Some(OrderRef {
                id: OrderId(row.get(4)?),
                at: from_ts(row.get(5)?),
            });
            stats
                .entry(row.get(0)?)
                .or_default()
                .currencies
                .push(figures);
        }
        for customer in stats.values_mut() {
            customer
                .currencies
                .sort_unstable_by(|a, b| a.currency.code().cmp(b.currency.code()));
        }
    }
    {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT customer_id, currency, status, orders, total, refunded
             FROM {}customer_order_stats WHERE customer_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            let Some(customer) = stats.get_mut(&row.get::<_, i64>(0)?) else {
                continue;
            };
            let code = text_at(row, 1)?;
            if let Some(figures) = customer
                .currencies
                .iter_mut()
                .find(|c| c.currency.code() == code)
            {
                let bucket = &mut figures.by_status[order_status(row.get(2)?).index()];
                bucket.orders = row.get(3)?;
                bucket.total = row.get(4)?;
                bucket.refunded = row.get(5)?;
            }
        }
    }
    // Most stores sell no subscriptions: one probe of the table instead of a lookup per
    // customer.
    let any_subscriptions = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM customer_subscription_stats)")?
        .query_row([], |row| row.get::<_, bool>(0))?;
    if any_subscriptions {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT customer_id, status, count
             FROM {}customer_subscription_stats WHERE customer_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = statement.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            if let Some(customer) = stats.get_mut(&row.get::<_, i64>(0)?) {
                customer.subscriptions[subscription_status(row.get(1)?).index()] = row.get(2)?;
            }
        }
    }
    Ok(())
}

fn add_subscription_count(
    conn: &Connection,
    customer_id: i64,
    status: SubscriptionStatus,
    delta: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO customer_subscription_stats (customer_id, status, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (customer_id, status) DO UPDATE SET count = count + excluded.count",
    )?
    .execute(params![customer_id, status.index() as i64, delta])?;
    Ok(())
}

/// Inserts a subscription and counts it. Errors name fields under `prefix`.
pub(crate) fn insert_subscription(
    conn: &Connection,
    new: &NewSubscription,
    prefix: &str,
) -> StoreResult<i64> {
    if !customers::exists(conn, new.customer_id.0)? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    if !product_exists(conn, new.product_id.0)? {
        return Err(invalid(prefix, "product_id", "no such product"));
    }
    write_subscription(conn, new, None, prefix, true)
}

/// Writes a subscription whose customer and product exist (with `id`, if chosen); with
/// `count`, counts it in the customer's aggregates (a bulk load counts after the rows).
pub(crate) fn write_subscription(
    conn: &Connection,
    new: &NewSubscription,
    id: Option<i64>,
    prefix: &str,
    count: bool,
) -> StoreResult<i64> {
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid(prefix, "created_at", "outside the years 1677 to 2262"))?;
    conn.prepare_cached(
        "INSERT INTO subscriptions (id, uuid, customer_id, product_id, status, currency,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        new.uuid.unwrap_or_else(new_uuid).as_bytes().as_slice(),
        new.customer_id.0,
        new.product_id.0,
        new.status.index() as i64,
        new.currency.code(),
        created_at,
    ])?;
    let id = conn.last_insert_rowid();
    if count {
        add_subscription_count(conn, new.customer_id.0, new.status, 1)?;
    }
    Ok(id)
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, uuid, customer_id, product_id, status, currency, created_at";

fn subscription_from_row(row: &Row<'_>) -> StoreResult<Subscription> {
    let uuid: Vec<u8> = row.get(1)?;
    let currency: String = row.get(5)?;
    Ok(Subscription {
        id: row.get(0)?,
        uuid: uuid_from(&uuid),
        customer_id: CustomerId(row.get(2)?),
        product_id: ProductId(row.get(3)?),
        status: subscription_status(row.get(4)?),
        currency: currency_from(&currency)?,
        created_at: from_ts(row.get(6)?),
    })
}

/// The subscription with `id`.
pub(crate) fn load_subscription(conn: &Connection, id: i64) -> StoreResult<Subscription> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1"
    ))?;
    let mut rows = statement.query([id])?;
    match rows.next()? {
        Some(row) => subscription_from_row(row),
        None => Err(StoreError::NotFound {
            entity: "subscription",
        }),
    }
}

/// Changes a subscription's status and moves its count.
pub(crate) fn set_subscription_status(
    conn: &Connection,
    id: i64,
    status: SubscriptionStatus,
) -> StoreResult<Subscription> {
    let before = load_subscription(conn, id)?;
    if before.status != status {
        conn.prepare_cached("UPDATE subscriptions SET status = ?2 WHERE id = ?1")?
            .execute(params![id, status.index() as i64])?;
        add_subscription_count(conn, before.customer_id.0, before.status, -1)?;
        add_subscription_count(conn, before.customer_id.0, status, 1)?;
    }
    load_subscription(conn, id)
}

/// A customer's subscriptions, oldest first.
pub(crate) fn customer_subscriptions(
    conn: &Connection,
    customer_id: i64,
) -> StoreResult<Vec<Subscription>> {
    if !customers::exists(conn, customer_id)? {
        return Err(customers::NOT_FOUND);
    }
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_id = ?1
         ORDER BY created_at, id"
    ))?;
    let mut rows = statement.query([customer_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(subscription_from_row(row)?);
    }
    Ok(out)
}

/// Inserts a download grant and adds its downloads to the customer's count.
pub(crate) fn insert_grant(
    conn: &Connection,
    new: &NewDownloadGrant,
    prefix: &str,
) -> StoreResult<DownloadGrant> {
    if !customers::exists(conn, new.customer_id.0)? {
        return Err(invalid(prefix, "customer_id", "no such customer"));
    }
    if !order_exists(conn, new.order_id.0)? {
        return Err(invalid(prefix, "order_id", "no such order"));
    }
    if !product_exists(conn, new.product_id.0)? {
        return Err(invalid(prefix, "product_id", "no such product"));
    }
    write_grant(conn, new, None, prefix, true)
}

/// Writes a grant whose customer, order and product exist (with `id`, if chosen); with
/// `count`, adds its downloads to the customer's count (a bulk load counts after the
/// rows).
pub(crate) fn write_grant(
    conn: &Connection,
    new: &NewDownloadGrant,
    id: Option<i64>,
    prefix: &str,
    count: bool,
) -> StoreResult<DownloadGrant> {
    if new.download_count < 0 {
        return Err(invalid(prefix, "download_count", "must not be negative"));
    }
    conn.prepare_cached(
        "INSERT INTO download_grants (id, download_id, customer_id, order_id, product_id,
             downloads_remaining, access_expires, download_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id,
        new.download_id,
        new.customer_id.0,
        new.order_id.0,
        new.product_id.0,
        new.downloads_remaining,
        opt_ts(new.access_expires)?,
        new.download_count,
    ])?;
    let id = conn.last_insert_rowid();
    if count {
        conn.prepare_cached(
            "UPDATE customers SET download_count = download_count + ?2 WHERE id = ?1",
        )?
        .execute(params![new.customer_id.0, new.download_count])?;
    }
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
pub(crate) fn customer_downloads(
    conn: &Connection,
    customer_id: i64,
) -> StoreResult<Vec<CustomerDownload>> {
    if !customers::exists(conn, customer_id)? {
        return Err(customers::NOT_FOUND);
    }
    let mut statement = conn.prepare_cached(
        "SELECT g.id, g.download_id, g.order_id, g.product_id, g.downloads_remaining,
             g.access_expires, g.download_count, p.name, f.name, f.url, o.uuid
         FROM download_grants g
         JOIN products p ON p.id = g.product_id
         JOIN orders o ON o.id = g.order_id
         LEFT JOIN product_files f ON f.product_id = g.product_id AND f.file_id = g.download_id
         WHERE g.customer_id = ?1
         GROUP BY g.id
         ORDER BY g.id",
    )?;
    let mut rows = statement.query([customer_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let download_id: String = row.get(1)?;
        let order_uuid: Vec<u8> = row.get(10)?;
        out.push(CustomerDownload {
            grant: DownloadGrant {
                id: row.get(0)?,
                download_id: download_id.clone(),
                customer_id: CustomerId(customer_id),
                order_id: OrderId(row.get(2)?),
                product_id: ProductId(row.get(3)?),
                downloads_remaining: row.get(4)?,
                access_expires: row.get::<_, Option<i64>>(5)?.map(from_ts),
                download_count: row.get(6)?,
            },
            product_name: row.get(7)?,
            file: DownloadFile {
                id: download_id,
                name: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
                url: row.get::<_, Option<String>>(9)?.unwrap_or_default(),
            },
            order_uuid: uuid_from(&order_uuid),
        });
    }
    Ok(out)
}

/// The currencies any customer has an order in, by code.
pub(crate) fn currencies(conn: &Connection) -> StoreResult<Vec<customer_model::Currency>> {
    let codes: Vec<String> = conn
        // The kept buyer counts: a handful of rows, where the buyers themselves are
        // millions.
        .prepare_cached(
            "SELECT currency FROM currency_customer_counts WHERE customers > 0
             ORDER BY currency",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    codes.iter().map(|code| currency_from(code)).collect()
}

/// Up to `limit` ids of `table` above `after`, ascending: a page of an export.
pub(crate) fn ids_after(
    conn: &Connection,
    table: &str,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<i64>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![after, limit as i64], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Up to `limit` subscriptions with ids above `after`, by id.
pub(crate) fn subscriptions_after(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<Subscription>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let mut rows = statement.query(params![after, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(subscription_from_row(row)?);
    }
    Ok(out)
}

/// Up to `limit` download grants with ids above `after`, by id.
pub(crate) fn grants_after(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<DownloadGrant>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, download_id, customer_id, order_id, product_id, downloads_remaining,
             access_expires, download_count
         FROM download_grants WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut rows = statement.query(params![after, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(DownloadGrant {
            id: row.get(0)?,
            download_id: row.get(1)?,
            customer_id: CustomerId(row.get(2)?),
            order_id: OrderId(row.get(3)?),
            product_id: ProductId(row.get(4)?),
            downloads_remaining: row.get(5)?,
            access_expires: row.get::<_, Option<i64>>(6)?.map(from_ts),
            download_count: row.get(7)?,
        });
    }
    Ok(out)
}
