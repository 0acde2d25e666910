//! `clientele webhooks`: a webhook's delivery log, from the store (the same method a
//! control API reads it with).

use customer_store::CustomerStore;
use serde_json::{Value, json};

/// The latest `limit` delivery attempts of webhook `id`, newest first, as JSON.
pub async fn deliveries(store: &dyn CustomerStore, id: i64, limit: usize) -> anyhow::Result<Value> {
    let records = store
        .webhook_deliveries(id, limit)
        .await
        .map_err(|error| anyhow::anyhow!("webhook {id}: {error}"))?;
    Ok(Value::Array(
        records
            .into_iter()
            .map(|record| {
                let headers: serde_json::Map<String, Value> = record
                    .request_headers
                    .iter()
                    .map(|(name, value)| (name.clone(), json!(value)))
                    .collect();
                json!({
                    "delivery_id": record.delivery_id,
                    "attempt": record.attempt,
                    "at": record.at.to_string(),
                    "url": record.url,
                    "request_headers": headers,
                    "request_body": record.request_body,
                    "response_status": record.response_status,
                    "success": record.succeeded(),
                    "duration_ms": record.duration_ms,
                    "error": record.error,
                })
            })
            .collect(),
    ))
}
