//! Webhooks, the outbox of their events and the delivery log. Functions run on a
//! transaction the caller holds.

use customer_model::Timestamp;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, CustomerEvent, DeliveryRecord, EventKind,
    MAX_CONSECUTIVE_FAILURES, NewWebhook, Webhook, WebhookEvent, WebhookOrder, WebhookPatch,
    WebhookQuery, WebhookStatus,
};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::values::{
    DELIVERY_LOG_LENGTH, EVENTS_PER_CLAIM, IdRuns, bound_ts, customer_event_from, event_kind_from,
    event_kind_text, from_ts, headers_from_json, headers_to_json, like_escape, now, ts,
    webhook_status_from,
};
use crate::{Page, StoreError, StoreResult};

const NOT_FOUND: StoreError = StoreError::NotFound { entity: "webhook" };
const COLUMNS: &str = "id, name, status, event, delivery_url, secret, api_version, failure_count,
     created_at, modified_at";

fn webhook_from_row(row: &Row<'_>) -> StoreResult<Webhook> {
    let status: String = row.get(2)?;
    let event: String = row.get(3)?;
    Ok(Webhook {
        id: row.get(0)?,
        name: row.get(1)?,
        status: webhook_status_from(&status)?,
        event: customer_event_from(&event)?,
        delivery_url: row.get(4)?,
        secret: row.get(5)?,
        api_version: row.get(6)?,
        failure_count: row.get(7)?,
        created_at: from_ts(row.get(8)?),
        modified_at: row.get::<_, Option<i64>>(9)?.map(from_ts),
    })
}

/// Writes one event per active webhook subscribed to `event` for customer `id`: the
/// outbox rows of a change, in the change's transaction. With no such webhook this is
/// one index probe.
pub(crate) fn enqueue(conn: &Connection, event: CustomerEvent, id: i64) -> StoreResult<()> {
    let at = ts(now())?;
    conn.prepare_cached(
        "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
         SELECT id, ?1, ?2, ?3, ?3 FROM webhooks WHERE event = ?1 AND status = 'active'
         ORDER BY id",
    )?
    .execute(params![event.as_str(), id, at])?;
    Ok(())
}

/// The `created` events of an import that fires webhooks, at its commit: one per active
/// `created` webhook and registered customer among those the import wrote, each webhook's
/// in customer id order, in one statement over the runs of ids written (each run a range
/// scan of the customers' primary key). The webhooks are the outer loop, so with no
/// active `created` webhook the statement reads no customer.
pub(crate) fn enqueue_created(conn: &Connection, written: &IdRuns) -> StoreResult<()> {
    if written.is_empty() {
        return Ok(());
    }
    let at = ts(now())?;
    conn.prepare(
        "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
         SELECT w.id, ?1, c.id, ?3, ?3
         FROM webhooks AS w
         CROSS JOIN json_each(?2) AS r
         CROSS JOIN customers AS c
         WHERE w.event = ?1 AND w.status = 'active'
           AND c.id BETWEEN r.value ->> 0 AND r.value ->> 1
           AND c.username IS NOT NULL
         ORDER BY w.id, c.id",
    )?
    .execute(params![
        CustomerEvent::Created.as_str(),
        written.to_json(),
        at
    ])?;
    Ok(())
}

/// The event of a change of customer `id` whose account presence went from `before` to
/// `after`, written to the outbox.
pub(crate) fn enqueue_change(
    conn: &Connection,
    id: i64,
    before: Option<bool>,
    after: Option<bool>,
) -> StoreResult<()> {
    match CustomerEvent::of_change(before, after) {
        Some(event) => enqueue(conn, event, id),
        None => Ok(()),
    }
}

/// Whether customer `id` has an account; `None` when it does not exist.
pub(crate) fn registered(conn: &Connection, id: i64) -> StoreResult<Option<bool>> {
    Ok(conn
        .prepare_cached("SELECT username IS NOT NULL FROM customers WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?)
}

pub(crate) fn load(conn: &Connection, id: i64) -> StoreResult<Webhook> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1"))?;
    let mut rows = statement.query([id])?;
    match rows.next()? {
        Some(row) => webhook_from_row(row),
        None => Err(NOT_FOUND),
    }
}

/// Stores a webhook; an active one gets its ping in the outbox.
pub(crate) fn create(conn: &Connection, new: &NewWebhook) -> StoreResult<Webhook> {
    let at = ts(now())?;
    conn.prepare_cached(
        "INSERT INTO webhooks (name, status, event, delivery_url, secret, api_version,
             created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        new.name,
        new.status.as_str(),
        new.event.as_str(),
        new.delivery_url,
        new.secret,
        new.api_version,
        at,
    ])?;
    let id = conn.last_insert_rowid();
    if new.status == WebhookStatus::Active {
        conn.prepare_cached(
            "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
             VALUES (?1, ?2, 0, ?3, ?3)",
        )?
        .execute(params![id, event_kind_text(EventKind::Ping), at])?;
    }
    load(conn, id)
}

/// A page of webhooks and the number of matches.
pub(crate) fn list(conn: &Connection, query: &WebhookQuery) -> StoreResult<Page<Webhook>> {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut values: Vec<SqlValue> = Vec::new();
    if let Some(status) = query.status {
        values.push(SqlValue::Text(status.as_str().to_owned()));
        conditions.push(format!("status = ?{}", values.len()));
    }
    if let Some(term) = &query.search {
        values.push(SqlValue::Text(format!("%{}%", like_escape(term))));
        conditions.push(format!("name LIKE ?{} ESCAPE '\\'", values.len()));
    }
    for (ids, operator) in [(&query.include, "IN"), (&query.exclude, "NOT IN")] {
        if ids.is_empty() {
            continue;
        }
        let mut marks = Vec::new();
        for id in ids {
            values.push(SqlValue::Integer(*id));
            marks.push(format!("?{}", values.len()));
        }
        conditions.push(format!("id {operator} ({})", marks.join(", ")));
    }
    for (bound, operator) in [(query.created.from, ">="), (query.created.to, "<=")] {
        if let Some(at) = bound {
            values.push(SqlValue::Integer(bound_ts(at)));
            conditions.push(format!("created_at {operator} ?{}", values.len()));
        }
    }
    let filter = conditions.join(" AND ");
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM webhooks WHERE {filter}"),
        params_from_iter(values.iter()),
        |row| row.get(0),
    )?;
    let direction = if query.descending { "DESC" } else { "ASC" };
    let order = match query.order_by {
        WebhookOrder::Date => format!("created_at {direction}, id {direction}"),
        WebhookOrder::Id => format!("id {direction}"),
        WebhookOrder::Name => format!("name COLLATE NOCASE {direction}, id {direction}"),
    };
    // Past `i64::MAX` SQLite would read the numbers as reals and refuse them.
    let limit = super::ledger::limit_value(query.page.limit);
    let offset = super::ledger::offset_value(query.page.offset);
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    ))?;
    let mut rows = statement.query(params_from_iter(values.iter()))?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(webhook_from_row(row)?);
    }
    Ok(Page {
        items,
        total: total as u64,
    })
}

/// Applies a patch. A webhook that stops being active drops its waiting events (it
/// delivers nothing); one made active again starts with no failures.
pub(crate) fn update(conn: &Connection, id: i64, patch: &WebhookPatch) -> StoreResult<Webhook> {
    let mut webhook = load(conn, id)?;
    if let Some(name) = &patch.name {
        webhook.name.clone_from(name);
    }
    if let Some(event) = patch.event {
        webhook.event = event;
    }
    if let Some(url) = &patch.delivery_url {
        webhook.delivery_url.clone_from(url);
    }
    if let Some(secret) = &patch.secret {
        webhook.secret.clone_from(secret);
    }
    if let Some(status) = patch.status {
        if status == WebhookStatus::Active && webhook.status != WebhookStatus::Active {
            webhook.failure_count = 0;
        }
        webhook.status = status;
    }
    conn.prepare_cached(
        "UPDATE webhooks SET name = ?2, status = ?3, event = ?4, delivery_url = ?5,
             secret = ?6, failure_count = ?7, modified_at = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        webhook.name,
        webhook.status.as_str(),
        webhook.event.as_str(),
        webhook.delivery_url,
        webhook.secret,
        webhook.failure_count,
        ts(now())?,
    ])?;
    if webhook.status != WebhookStatus::Active {
        drop_waiting(conn, id)?;
    }
    load(conn, id)
}

fn drop_waiting(conn: &Connection, id: i64) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM webhook_outbox WHERE webhook_id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Deletes a webhook with its events and log; returns it as it was.
pub(crate) fn delete(conn: &Connection, id: i64) -> StoreResult<Webhook> {
    let webhook = load(conn, id)?;
    drop_waiting(conn, id)?;
    conn.prepare_cached("DELETE FROM webhook_deliveries WHERE webhook_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([id])?;
    Ok(webhook)
}

fn event_from_row(row: &Row<'_>) -> StoreResult<WebhookEvent> {
    let kind: String = row.get(2)?;
    Ok(WebhookEvent {
        delivery_id: row.get(0)?,
        webhook_id: row.get(1)?,
        kind: event_kind_from(&kind)?,
        customer_id: row.get(3)?,
        at: from_ts(row.get(4)?),
        attempts: row.get(5)?,
    })
}

/// Whether any event is due at `at` (a read, so that an idle worker never takes the
/// write lock).
pub(crate) fn any_due(conn: &Connection, at: Timestamp) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE not_before <= ?1)")?
        .query_row([ts(at)?], |row| row.get(0))?)
}

/// Leases up to `limit` webhooks whose oldest waiting event is due and that nobody else
/// holds, and hands over their oldest events.
pub(crate) fn claim(
    conn: &Connection,
    owner: &str,
    at: Timestamp,
    lease_until: Timestamp,
    limit: usize,
) -> StoreResult<Vec<ClaimedWebhook>> {
    let (at, lease_until) = (ts(at)?, ts(lease_until)?);
    let due: Vec<i64> = conn
        .prepare_cached(
            "SELECT w.id FROM webhooks w
             JOIN (SELECT webhook_id, min(delivery_id) AS first FROM webhook_outbox
                   GROUP BY webhook_id) f ON f.webhook_id = w.id
             JOIN webhook_outbox o ON o.delivery_id = f.first
             WHERE o.not_before <= ?1 AND (w.lease_until IS NULL OR w.lease_until < ?1)
             ORDER BY f.first LIMIT ?2",
        )?
        .query_map(params![at, limit as i64], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut claimed = Vec::new();
    for id in due {
        let won = conn
            .prepare_cached(
                "UPDATE webhooks SET lease_owner = ?2, lease_until = ?3
                 WHERE id = ?1 AND (lease_until IS NULL OR lease_until < ?4)",
            )?
            .execute(params![id, owner, lease_until, at])?;
        if won == 0 {
            continue;
        }
        let mut statement = conn.prepare_cached(
            "SELECT delivery_id, webhook_id, kind, customer_id, created_at, attempts
             FROM webhook_outbox WHERE webhook_id = ?1 ORDER BY delivery_id LIMIT ?2",
        )?;
        let mut rows = statement.query(params![id, EVENTS_PER_CLAIM])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            events.push(event_from_row(row)?);
        }
        claimed.push(ClaimedWebhook {
            webhook: load(conn, id)?,
            events,
        });
    }
    Ok(claimed)
}

/// Logs an attempt and settles the event: done (out of the outbox, the webhook's failure
/// count following the outcome, disabled after too many failures) or due again later.
/// Returns the webhook as it is afterwards.
pub(crate) fn record_attempt(
    conn: &Connection,
    event: &WebhookEvent,
    record: &DeliveryRecord,
    after: AfterAttempt,
) -> StoreResult<Webhook> {
    let mut webhook = load(conn, event.webhook_id)?;
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, attempt, at, url,
             request_headers, request_body, response_status, duration_ms, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        event.webhook_id,
        event.delivery_id,
        record.attempt,
        ts(record.at)?,
        record.url,
        headers_to_json(&record.request_headers),
        record.request_body,
        record.response_status,
        record.duration_ms as i64,
        record.error,
    ])?;
    conn.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND id <=
             (SELECT id FROM webhook_deliveries WHERE webhook_id = ?1
              ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![event.webhook_id, DELIVERY_LOG_LENGTH])?;
    match after {
        AfterAttempt::RetryAt(due) => {
            conn.prepare_cached(
                "UPDATE webhook_outbox SET attempts = attempts + 1, not_before = ?2
                 WHERE delivery_id = ?1",
            )?
            .execute(params![event.delivery_id, ts(due)?])?;
            return Ok(webhook);
        }
        AfterAttempt::Done => {
            conn.prepare_cached("DELETE FROM webhook_outbox WHERE delivery_id = ?1")?
                .execute([event.delivery_id])?;
        }
    }
    // A ping's outcome does not count, as WooCommerce's does not.
    if event.kind == EventKind::Ping {
        return Ok(webhook);
    }
    if record.succeeded() {
        webhook.failure_count = 0;
    } else if webhook.failure_count > MAX_CONSECUTIVE_FAILURES {
        webhook.status = WebhookStatus::Disabled;
    } else {
        webhook.failure_count += 1;
    }
    conn.prepare_cached("UPDATE webhooks SET status = ?2, failure_count = ?3 WHERE id = ?1")?
        .execute(params![
            webhook.id,
            webhook.status.as_str(),
            webhook.failure_count
        ])?;
    if webhook.status != WebhookStatus::Active {
        drop_waiting(conn, webhook.id)?;
    }
    Ok(webhook)
}

/// Gives up a lease early.
pub(crate) fn release(conn: &Connection, id: i64, owner: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL
         WHERE id = ?1 AND lease_owner = ?2",
    )?
    .execute(params![id, owner])?;
    Ok(())
}

/// The latest attempts of a webhook, newest first.
pub(crate) fn deliveries(
    conn: &Connection,
    webhook_id: i64,
    limit: usize,
) -> StoreResult<Vec<DeliveryRecord>> {
    load(conn, webhook_id)?;
    let mut statement = conn.prepare_cached(
        "SELECT id, webhook_id, delivery_id, attempt, at, url, request_headers, request_body,
             response_status, duration_ms, error
         FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let mut rows = statement.query(params![webhook_id, limit as i64])?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        let headers: String = row.get(6)?;
        records.push(DeliveryRecord {
            id: row.get(0)?,
            webhook_id: row.get(1)?,
            delivery_id: row.get(2)?,
            attempt: row.get(3)?,
            at: from_ts(row.get(4)?),
            url: row.get(5)?,
            request_headers: headers_from_json(&headers),
            request_body: row.get(7)?,
            response_status: row.get(8)?,
            duration_ms: row.get::<_, i64>(9)?.max(0) as u64,
            error: row.get(10)?,
        });
    }
    Ok(records)
}

/// Empties the outbox and the delivery log of every webhook.
pub(crate) fn clear(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "DELETE FROM webhook_outbox; DELETE FROM webhook_deliveries;
         UPDATE webhooks SET lease_owner = NULL, lease_until = NULL;",
    )?;
    Ok(())
}
