//! API keys and OAuth nonces, kept in the database so that every server sharing it
//! sees a revocation and a used nonce at once.

use customer_model::Timestamp;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{Tx, execute, query, query_opt};
use crate::values::{backend, from_ts, now, ts};
use crate::{ApiKey, KeyKind, KeyPermissions, NewApiKey, StoreError, StoreResult};

const KEY_NOT_FOUND: StoreError = StoreError::NotFound { entity: "key" };
const KEY_COLUMNS: &str =
    "id, kind, description, permissions, lookup, secret, truncated, created_at, last_access";

fn key_from_row(row: &Row) -> StoreResult<ApiKey> {
    let kind: &str = row.get(1);
    let permissions: &str = row.get(3);
    Ok(ApiKey {
        id: row.get(0),
        kind: KeyKind::parse(kind).ok_or_else(|| backend(format!("stored key kind {kind:?}")))?,
        description: row.get(2),
        permissions: KeyPermissions::parse(permissions)
            .ok_or_else(|| backend(format!("stored key permissions {permissions:?}")))?,
        lookup: row.get(4),
        secret: row.get(5),
        truncated: row.get(6),
        created_at: from_ts(row.get(7)),
        last_access: row.get::<_, Option<i64>>(8).map(from_ts),
    })
}

async fn keys_where(
    tx: &Tx<'_>,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<ApiKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE {condition} ORDER BY id");
    query(tx, &sql, params)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
}

/// Stores a key; a lookup value taken within its kind is a conflict on `lookup`.
pub(crate) async fn create(tx: &Tx<'_>, new: &NewApiKey) -> StoreResult<ApiKey> {
    let row = query_opt(
        tx,
        &format!(
            "INSERT INTO api_keys (kind, description, permissions, lookup, secret, truncated,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {KEY_COLUMNS}"
        ),
        &[
            &new.kind.as_str(),
            &new.description,
            &new.permissions.as_str(),
            &new.lookup,
            &new.secret,
            &new.truncated,
            &ts(now())?,
        ],
    )
    .await?
    .ok_or(KEY_NOT_FOUND)?;
    key_from_row(&row)
}

/// Stores a key as another store kept it (an import): its id, secret and stamps kept.
pub(crate) async fn insert_kept(tx: &Tx<'_>, key: &ApiKey) -> StoreResult<()> {
    execute(
        tx,
        "INSERT INTO api_keys (id, kind, description, permissions, lookup, secret, truncated,
             created_at, last_access)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &key.id,
            &key.kind.as_str(),
            &key.description,
            &key.permissions.as_str(),
            &key.lookup,
            &key.secret,
            &key.truncated,
            &ts(key.created_at)?,
            &key.last_access.map(ts).transpose()?,
        ],
    )
    .await?;
    super::advance_id_sequence(tx, "api_keys", key.id).await
}

/// Every live key, oldest first.
pub(crate) async fn live(tx: &Tx<'_>) -> StoreResult<Vec<ApiKey>> {
    keys_where(tx, "revoked_at IS NULL", &[]).await
}

/// The live key of `kind` with `lookup`.
pub(crate) async fn find(tx: &Tx<'_>, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
    Ok(keys_where(
        tx,
        "kind = $1 AND lookup = $2 AND revoked_at IS NULL",
        &[&kind.as_str(), &lookup],
    )
    .await?
    .pop())
}

/// Revokes key `id` (again, if it already was) and returns it.
pub(crate) async fn revoke(tx: &Tx<'_>, id: i64) -> StoreResult<ApiKey> {
    let key = keys_where(tx, "id = $1", &[&id])
        .await?
        .pop()
        .ok_or(KEY_NOT_FOUND)?;
    execute(
        tx,
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        &[&id, &ts(now())?],
    )
    .await?;
    Ok(key)
}

/// The key generation: changes with every key created, changed or revoked.
pub(crate) async fn generation(tx: &Tx<'_>) -> StoreResult<u64> {
    let row = query_opt(tx, "SELECT generation FROM api_key_generation", &[])
        .await?
        .ok_or_else(|| backend("the key generation row is missing"))?;
    let generation: i64 = row.get(0);
    u64::try_from(generation).map_err(|_| backend(format!("key generation {generation}")))
}

/// Records a use of key `id`. Every request of a key records one, through every server:
/// a use that finds the key's row being stamped by another request skips it rather than
/// queue behind it (that request stamps about the same instant), the stamp never moves
/// back, and losing one to a crash is harmless, so the commit does not wait for the disk.
pub(crate) async fn touch(tx: &Tx<'_>, id: i64, at: Timestamp) -> StoreResult<()> {
    execute(tx, "SET LOCAL synchronous_commit = off", &[]).await?;
    let changed = execute(
        tx,
        "UPDATE api_keys SET last_access = GREATEST(last_access, $2)
         WHERE id = (SELECT id FROM api_keys WHERE id = $1 FOR UPDATE SKIP LOCKED)",
        &[&id, &ts(at)?],
    )
    .await?;
    if changed == 0
        && query_opt(tx, "SELECT 1 FROM api_keys WHERE id = $1", &[&id])
            .await?
            .is_none()
    {
        return Err(KEY_NOT_FOUND);
    }
    Ok(())
}

/// Remembers `nonce` of key `key_id`; `false` when the key used it before and it was not
/// yet forgotten. The primary key decides between servers: of two inserting one nonce at
/// once, one inserts and the other finds it taken.
pub(crate) async fn remember_nonce(
    tx: &Tx<'_>,
    key_id: i64,
    nonce: &str,
    timestamp: i64,
    forget_before: i64,
) -> StoreResult<bool> {
    execute(
        tx,
        "DELETE FROM oauth_nonces WHERE timestamp < $1",
        &[&forget_before],
    )
    .await?;
    let inserted = execute(
        tx,
        "INSERT INTO oauth_nonces (key_id, nonce, timestamp) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&key_id, &nonce, &timestamp],
    )
    .await?;
    Ok(inserted == 1)
}
