//! Webhooks, the outbox of their events and the delivery log. Functions run on a
//! transaction the caller holds. Leases are taken by a conditional `UPDATE`, which
//! PostgreSQL re-checks on the locked row, so two servers never hold one webhook.

use customer_model::Timestamp;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, CustomerEvent, DeliveryRecord, EventKind,
    MAX_CONSECUTIVE_FAILURES, NewWebhook, Webhook, WebhookEvent, WebhookOrder, WebhookPatch,
    WebhookQuery, WebhookStatus,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{Tx, execute, query, query_opt};
use crate::values::{
    DELIVERY_LOG_LENGTH, EVENTS_PER_CLAIM, IdRuns, bound_ts, customer_event_from, event_kind_from,
    event_kind_text, from_ts, headers_from_json, headers_to_json, like_escape, now, ts,
    webhook_status_from,
};
use crate::{Page, StoreError, StoreResult};

const NOT_FOUND: StoreError = StoreError::NotFound { entity: "webhook" };
const COLUMNS: &str = "id, name, status, event, delivery_url, secret, api_version, failure_count,
     created_at, modified_at";

fn webhook_from_row(row: &Row) -> StoreResult<Webhook> {
    let status: &str = row.get(2);
    let event: &str = row.get(3);
    Ok(Webhook {
        id: row.get(0),
        name: row.get(1),
        status: webhook_status_from(status)?,
        event: customer_event_from(event)?,
        delivery_url: row.get(4),
        secret: row.get(5),
        api_version: row.get::<_, i64>(6).clamp(0, 255) as u8,
        failure_count: row.get::<_, i64>(7).max(0) as u32,
        created_at: from_ts(row.get(8)),
        modified_at: row.get::<_, Option<i64>>(9).map(from_ts),
    })
}

/// Writes one event per active webhook subscribed to `event` for customer `id`: the
/// outbox rows of a change, in the change's transaction. With no such webhook this is
/// one index probe.
pub(crate) async fn enqueue(tx: &Tx<'_>, event: CustomerEvent, id: i64) -> StoreResult<()> {
    let at = ts(now())?;
    execute(
        tx,
        "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
         SELECT id, $1, $2, $3, $3 FROM webhooks WHERE event = $1 AND status = 'active'
         ORDER BY id",
        &[&event.as_str(), &id, &at],
    )
    .await?;
    Ok(())
}

/// The `created` events of an import that fires webhooks, at its commit: one per active
/// `created` webhook and registered customer among those the import wrote, each webhook's
/// in customer id order, in one statement over the runs of ids written (each run a range
/// scan of the customers' primary key).
pub(crate) async fn enqueue_created(tx: &Tx<'_>, written: &IdRuns) -> StoreResult<()> {
    if written.is_empty() {
        return Ok(());
    }
    let at = ts(now())?;
    let (firsts, lasts) = written.bounds();
    execute(
        tx,
        "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
         SELECT w.id, $1, c.id, $4, $4
         FROM webhooks AS w
         CROSS JOIN unnest($2::int8[], $3::int8[]) AS r(first_id, last_id)
         JOIN customers AS c ON c.id BETWEEN r.first_id AND r.last_id
         WHERE w.event = $1 AND w.status = 'active' AND c.username IS NOT NULL
         ORDER BY w.id, c.id",
        &[&CustomerEvent::Created.as_str(), &firsts, &lasts, &at],
    )
    .await?;
    Ok(())
}

/// The event of a change of customer `id` whose account presence went from `before` to
/// `after`, written to the outbox.
pub(crate) async fn enqueue_change(
    tx: &Tx<'_>,
    id: i64,
    before: Option<bool>,
    after: Option<bool>,
) -> StoreResult<()> {
    match CustomerEvent::of_change(before, after) {
        Some(event) => enqueue(tx, event, id).await,
        None => Ok(()),
    }
}

/// Whether customer `id` has an account (`None` when it does not exist), locking its
/// row for the change that follows.
pub(crate) async fn registered(tx: &Tx<'_>, id: i64) -> StoreResult<Option<bool>> {
    Ok(query_opt(
        tx,
        "SELECT username IS NOT NULL FROM customers WHERE id = $1 FOR NO KEY UPDATE",
        &[&id],
    )
    .await?
    .map(|row| row.get(0)))
}

pub(crate) async fn load(tx: &Tx<'_>, id: i64) -> StoreResult<Webhook> {
    let row = query_opt(
        tx,
        &format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"),
        &[&id],
    )
    .await?
    .ok_or(NOT_FOUND)?;
    webhook_from_row(&row)
}

/// Stores a webhook; an active one gets its ping in the outbox.
pub(crate) async fn create(tx: &Tx<'_>, new: &NewWebhook) -> StoreResult<Webhook> {
    let at = ts(now())?;
    let row = query_opt(
        tx,
        "INSERT INTO webhooks (name, status, event, delivery_url, secret, api_version,
             created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        &[
            &new.name,
            &new.status.as_str(),
            &new.event.as_str(),
            &new.delivery_url,
            &new.secret,
            &i64::from(new.api_version),
            &at,
        ],
    )
    .await?
    .ok_or(NOT_FOUND)?;
    let id: i64 = row.get(0);
    if new.status == WebhookStatus::Active {
        execute(
            tx,
            "INSERT INTO webhook_outbox (webhook_id, kind, customer_id, created_at, not_before)
             VALUES ($1, $2, 0, $3, $3)",
            &[&id, &event_kind_text(EventKind::Ping), &at],
        )
        .await?;
    }
    load(tx, id).await
}

/// A page of webhooks and the number of matches.
pub(crate) async fn list(tx: &Tx<'_>, query_: &WebhookQuery) -> StoreResult<Page<Webhook>> {
    let mut conditions = vec!["TRUE".to_owned()];
    let status = query_.status.map(|status| status.as_str().to_owned());
    let pattern = query_
        .search
        .as_ref()
        .map(|term| format!("%{}%", like_escape(&term.to_lowercase())));
    let mut values: Vec<&(dyn ToSql + Sync)> = Vec::new();
    if let Some(status) = &status {
        values.push(status);
        conditions.push(format!("status = ${}", values.len()));
    }
    if let Some(pattern) = &pattern {
        values.push(pattern);
        conditions.push(format!("lower(name) LIKE ${} ESCAPE '\\'", values.len()));
    }
    if !query_.include.is_empty() {
        values.push(&query_.include);
        conditions.push(format!("id = ANY(${})", values.len()));
    }
    if !query_.exclude.is_empty() {
        values.push(&query_.exclude);
        conditions.push(format!("id <> ALL(${})", values.len()));
    }
    let from = query_.created.from.map(bound_ts);
    let to = query_.created.to.map(bound_ts);
    for (bound, operator) in [(&from, ">="), (&to, "<=")] {
        if let Some(at) = bound {
            values.push(at);
            conditions.push(format!("created_at {operator} ${}", values.len()));
        }
    }
    let filter = conditions.join(" AND ");
    let total: i64 = query(
        tx,
        &format!("SELECT count(*) FROM webhooks WHERE {filter}"),
        &values,
    )
    .await?
    .first()
    .map_or(0, |row| row.get(0));
    let direction = if query_.descending { "DESC" } else { "ASC" };
    let order = match query_.order_by {
        WebhookOrder::Date => format!("created_at {direction}, id {direction}"),
        WebhookOrder::Id => format!("id {direction}"),
        WebhookOrder::Name => format!("lower(name) {direction}, id {direction}"),
    };
    // Past `i64::MAX` PostgreSQL refuses the numbers (bigint out of range).
    let limit = super::ledger::limit_value(query_.page.limit)
        .map_or_else(|| "ALL".to_owned(), |limit| limit.to_string());
    let offset = super::ledger::offset_value(query_.page.offset);
    let rows = query(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM webhooks WHERE {filter} ORDER BY {order}
             LIMIT {limit} OFFSET {offset}"
        ),
        &values,
    )
    .await?;
    Ok(Page {
        items: rows
            .iter()
            .map(webhook_from_row)
            .collect::<StoreResult<_>>()?,
        total: total as u64,
    })
}

/// Applies a patch. A webhook that stops being active drops its waiting events (it
/// delivers nothing); one made active again starts with no failures.
pub(crate) async fn update(tx: &Tx<'_>, id: i64, patch: &WebhookPatch) -> StoreResult<Webhook> {
    query_opt(
        tx,
        "SELECT 1 FROM webhooks WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await?
    .ok_or(NOT_FOUND)?;
    let mut webhook = load(tx, id).await?;
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
    execute(
        tx,
        "UPDATE webhooks SET name = $2, status = $3, event = $4, delivery_url = $5,
             secret = $6, failure_count = $7, modified_at = $8
         WHERE id = $1",
        &[
            &id,
            &webhook.name,
            &webhook.status.as_str(),
            &webhook.event.as_str(),
            &webhook.delivery_url,
            &webhook.secret,
            &i64::from(webhook.failure_count),
            &ts(now())?,
        ],
    )
    .await?;
    if webhook.status != WebhookStatus::Active {
        drop_waiting(tx, id).await?;
    }
    load(tx, id).await
}

async fn drop_waiting(tx: &Tx<'_>, id: i64) -> StoreResult<()> {
    execute(
        tx,
        "DELETE FROM webhook_outbox WHERE webhook_id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Deletes a webhook with its events and log; returns it as it was.
pub(crate) async fn delete(tx: &Tx<'_>, id: i64) -> StoreResult<Webhook> {
    let webhook = load(tx, id).await?;
    drop_waiting(tx, id).await?;
    execute(
        tx,
        "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
        &[&id],
    )
    .await?;
    execute(tx, "DELETE FROM webhooks WHERE id = $1", &[&id]).await?;
    Ok(webhook)
}

fn event_from_row(row: &Row) -> StoreResult<WebhookEvent> {
    let kind: &str = row.get(2);
    Ok(WebhookEvent {
        delivery_id: row.get(0),
        webhook_id: row.get(1),
        kind: event_kind_from(kind)?,
        customer_id: row.get(3),
        at: from_ts(row.get(4)),
        attempts: row.get::<_, i64>(5).max(0) as u32,
    })
}

/// Whether any event is due at `at` (a read, so that an idle worker writes nothing).
pub(crate) async fn any_due(tx: &Tx<'_>, at: Timestamp) -> StoreResult<bool> {
    Ok(query_opt(
        tx,
        "SELECT 1 FROM webhook_outbox WHERE not_before <= $1 LIMIT 1",
        &[&ts(at)?],
    )
    .await?
    .is_some())
}

/// Leases up to `limit` webhooks whose oldest waiting event is due and that nobody else
/// holds, and hands over their oldest events.
pub(crate) async fn claim(
    tx: &Tx<'_>,
    owner: &str,
    at: Timestamp,
    lease_until: Timestamp,
    limit: usize,
) -> StoreResult<Vec<ClaimedWebhook>> {
    let (at, lease_until, limit) = (ts(at)?, ts(lease_until)?, limit as i64);
    let due: Vec<i64> = query(
        tx,
        "SELECT w.id FROM webhooks w
         JOIN (SELECT webhook_id, min(delivery_id) AS first FROM webhook_outbox
               GROUP BY webhook_id) f ON f.webhook_id = w.id
         JOIN webhook_outbox o ON o.delivery_id = f.first
         WHERE o.not_before <= $1 AND (w.lease_until IS NULL OR w.lease_until < $1)
         ORDER BY f.first LIMIT $2",
        &[&at, &limit],
    )
    .await?
    .iter()
    .map(|row| row.get(0))
    .collect();
    let mut claimed = Vec::new();
    for id in due {
        // Re-checked on the locked row: of two servers racing, one wins, one skips.
        let won = execute(
            tx,
            "UPDATE webhooks SET lease_owner = $2, lease_until = $3
             WHERE id = $1 AND (lease_until IS NULL OR lease_until < $4)",
            &[&id, &owner, &lease_until, &at],
        )
        .await?;
        if won == 0 {
            continue;
        }
        let events = query(
            tx,
            "SELECT delivery_id, webhook_id, kind, customer_id, created_at, attempts
             FROM webhook_outbox WHERE webhook_id = $1 ORDER BY delivery_id LIMIT $2",
            &[&id, &EVENTS_PER_CLAIM],
        )
        .await?
        .iter()
        .map(event_from_row)
        .collect::<StoreResult<_>>()?;
        claimed.push(ClaimedWebhook {
            webhook: load(tx, id).await?,
            events,
        });
    }
    Ok(claimed)
}

/// Logs an attempt and settles the event: done (out of the outbox, the webhook's failure
/// count following the outcome, disabled after too many failures) or due again later.
/// Returns the webhook as it is afterwards.
pub(crate) async fn record_attempt(
    tx: &Tx<'_>,
    event: &WebhookEvent,
    record: &DeliveryRecord,
    after: AfterAttempt,
) -> StoreResult<Webhook> {
    query_opt(
        tx,
        "SELECT 1 FROM webhooks WHERE id = $1 FOR UPDATE",
        &[&event.webhook_id],
    )
    .await?
    .ok_or(NOT_FOUND)?;
    let mut webhook = load(tx, event.webhook_id).await?;
    execute(
        tx,
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, attempt, at, url,
             request_headers, request_body, response_status, duration_ms, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &event.webhook_id,
            &event.delivery_id,
            &i64::from(record.attempt),
            &ts(record.at)?,
            &record.url,
            &headers_to_json(&record.request_headers),
            &record.request_body,
            &record.response_status.map(i64::from),
            &(record.duration_ms as i64),
            &record.error,
        ],
    )
    .await?;
    execute(
        tx,
        "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND id <=
             (SELECT id FROM webhook_deliveries WHERE webhook_id = $1
              ORDER BY id DESC LIMIT 1 OFFSET $2)",
        &[&event.webhook_id, &DELIVERY_LOG_LENGTH],
    )
    .await?;
    match after {
        AfterAttempt::RetryAt(due) => {
            execute(
                tx,
                "UPDATE webhook_outbox SET attempts = attempts + 1, not_before = $2
                 WHERE delivery_id = $1",
                &[&event.delivery_id, &ts(due)?],
            )
            .await?;
            return Ok(webhook);
        }
        AfterAttempt::Done => {
            execute(
                tx,
                "DELETE FROM webhook_outbox WHERE delivery_id = $1",
                &[&event.delivery_id],
            )
            .await?;
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
    execute(
        tx,
        "UPDATE webhooks SET status = $2, failure_count = $3 WHERE id = $1",
        &[
            &webhook.id,
            &webhook.status.as_str(),
            &i64::from(webhook.failure_count),
        ],
    )
    .await?;
    if webhook.status != WebhookStatus::Active {
        drop_waiting(tx, webhook.id).await?;
    }
    Ok(webhook)
}

/// Gives up a lease early.
pub(crate) async fn release(tx: &Tx<'_>, id: i64, owner: &str) -> StoreResult<()> {
    execute(
        tx,
        "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND lease_owner = $2",
        &[&id, &owner],
    )
    .await?;
    Ok(())
}

/// The latest attempts of a webhook, newest first.
pub(crate) async fn deliveries(
    tx: &Tx<'_>,
    webhook_id: i64,
    limit: usize,
) -> StoreResult<Vec<DeliveryRecord>> {
    load(tx, webhook_id).await?;
    let rows = query(
        tx,
        "SELECT id, webhook_id, delivery_id, attempt, at, url, request_headers, request_body,
             response_status, duration_ms, error
         FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        &[&webhook_id, &(limit as i64)],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|row| DeliveryRecord {
            id: row.get(0),
            webhook_id: row.get(1),
            delivery_id: row.get(2),
            attempt: row.get::<_, i64>(3).max(0) as u32,
            at: from_ts(row.get(4)),
            url: row.get(5),
            request_headers: headers_from_json(row.get(6)),
            request_body: row.get(7),
            response_status: row
                .get::<_, Option<i64>>(8)
                .and_then(|status| u16::try_from(status).ok()),
            duration_ms: row.get::<_, i64>(9).max(0) as u64,
            error: row.get(10),
        })
        .collect())
}

/// Empties the outbox and the delivery log of every webhook.
pub(crate) async fn clear(tx: &Tx<'_>) -> StoreResult<()> {
    execute(tx, "DELETE FROM webhook_outbox", &[]).await?;
    execute(tx, "DELETE FROM webhook_deliveries", &[]).await?;
    execute(
        tx,
        "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL",
        &[],
    )
    .await?;
    Ok(())
}
