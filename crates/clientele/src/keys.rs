//! `clientele keys`: issuing, listing and revoking API keys. Each subcommand's output is
//! one JSON value on stdout, so scripts can read it.

use customer_store::{ApiKey, CustomerStore, KeyKind, KeyPermissions, StoreError};
use serde_json::{Value, json};

/// Creates a key; returns what is shown once (the secrets).
pub async fn create(
    store: &dyn CustomerStore,
    kind: KeyKind,
    permissions: KeyPermissions,
    description: &str,
) -> Result<Value, StoreError> {
    let issued = customer_http::keys::issue(kind, permissions, description);
    store.create_api_key(issued.stored).await?;
    Ok(issued.shown)
}

/// A key as listed: everything but the values that authenticate.
pub fn listed(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "kind": key.kind.as_str(),
        "description": key.description,
        "permissions": key.permissions.as_str(),
        "truncated": key.truncated,
        "created_at": key.created_at.to_string(),
        "last_access": key.last_access.map(|at| at.to_string()),
    })
}

/// Every live key.
pub async fn list(store: &dyn CustomerStore) -> Result<Value, StoreError> {
    let keys = store.api_keys().await?;
    Ok(Value::Array(keys.iter().map(listed).collect()))
}

/// Revokes the key with `id`; returns it as listed.
pub async fn revoke(store: &dyn CustomerStore, id: i64) -> Result<Value, StoreError> {
    store.revoke_api_key(id).await.map(|key| listed(&key))
}
