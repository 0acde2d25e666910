//! API keys and OAuth nonces.

use customer_model::Timestamp;
use rusqlite::{Connection, Row, params};

use super::codec::{backend, from_ts, now, ts};
use crate::{ApiKey, KeyKind, KeyPermissions, NewApiKey, StoreError, StoreResult};

const KEY_NOT_FOUND: StoreError = StoreError::NotFound { entity: "key" };
const KEY_COLUMNS: &str =
    "id, kind, description, permissions, lookup, secret, truncated, created_at, last_access";

fn key_from_row(row: &Row<'_>) -> StoreResult<ApiKey> {
    let kind: String = row.get(1)?;
    let permissions: String = row.get(3)?;
    Ok(ApiKey {
        id: row.get(0)?,
        kind: KeyKind::parse(&kind).ok_or_else(|| backend(format!("stored key kind {kind:?}")))?,
        description: row.get(2)?,
        permissions: KeyPermissions::parse(&permissions)
            .ok_or_else(|| backend(format!("stored key permissions {permissions:?}")))?,
        lookup: row.get(4)?,
        secret: row.get(5)?,
        truncated: row.get(6)?,
        created_at: from_ts(row.get(7)?),
        last_access: row.get::<_, Option<i64>>(8)?.map(from_ts),
    })
}

fn keys_where(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<ApiKey>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE {condition} ORDER BY id"
    ))?;
    let mut rows = statement.query(params)?;
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        keys.push(key_from_row(row)?);
    }
    Ok(keys)
}

/// Stores a key; a lookup value taken within its kind is a conflict on `lookup`.
pub(crate) fn create(conn: &Connection, new: &NewApiKey) -> StoreResult<ApiKey> {
    conn.prepare_cached(
        "INSERT INTO api_keys (kind, description, permissions, lookup, secret, truncated,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.kind.as_str(),
        new.description,
        new.permissions.as_str(),
        new.lookup,
        new.secret,
        new.truncated,
        ts(now())?,
    ])?;
    let id = conn.last_insert_rowid();
    keys_where(conn, "id = ?1", [id])?
        .pop()
        .ok_or(KEY_NOT_FOUND)
}

/// Stores a key as another store kept it: id, lookup value, secret and instants.
pub(crate) fn insert_kept(conn: &Connection, key: &ApiKey) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO api_keys (id, kind, description, permissions, lookup, secret, truncated,
             created_at, last_access)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        key.id,
        key.kind.as_str(),
        key.description,
        key.permissions.as_str(),
        key.lookup,
        key.secret,
        key.truncated,
        ts(key.created_at)?,
        key.last_access.map(ts).transpose()?,
    ])?;
    Ok(())
}

/// Every live key, oldest first.
pub(crate) fn live(conn: &Connection) -> StoreResult<Vec<ApiKey>> {
    keys_where(conn, "revoked_at IS NULL", [])
}

/// The live key of `kind` with `lookup`.
pub(crate) fn find(conn: &Connection, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
    Ok(keys_where(
        conn,
        "kind = ?1 AND lookup = ?2 AND revoked_at IS NULL",
        params![kind.as_str(), lookup],
    )?
    .pop())
}

/// Revokes key `id` (again, if it already was) and returns it.
pub(crate) fn revoke(conn: &Connection, id: i64) -> StoreResult<ApiKey> {
    let key = keys_where(conn, "id = ?1", [id])?
        .pop()
        .ok_or(KEY_NOT_FOUND)?;
    conn.prepare_cached("UPDATE api_keys SET revoked_at = IFNULL(revoked_at, ?2) WHERE id = ?1")?
        .execute(params![id, ts(now())?])?;
    Ok(key)
}

/// The key generation: changes with every key created, changed or revoked.
pub(crate) fn generation(conn: &Connection) -> StoreResult<u64> {
    let generation: i64 = conn
        .prepare_cached("SELECT generation FROM api_key_generation")?
        .query_row([], |row| row.get(0))?;
    u64::try_from(generation).map_err(|_| backend(format!("key generation {generation}")))
}

/// Records a use of key `id`.
pub(crate) fn touch(conn: &Connection, id: i64, at: Timestamp) -> StoreResult<()> {
    let changed = conn
        .prepare_cached("UPDATE api_keys SET last_access = ?2 WHERE id = ?1")?
        .execute(params![id, ts(at)?])?;
    if changed == 0 {
        return Err(KEY_NOT_FOUND);
    }
    Ok(())
}

/// Remembers `nonce` of key `key_id`; `false` when the key used it before and it was not
/// yet forgotten. As WooCommerce does, a nonce is a replay whatever its timestamp while it
/// is remembered; nonces with timestamps before `forget_before` are forgotten first.
pub(crate) fn remember_nonce(
    conn: &Connection,
    key_id: i64,
    nonce: &str,
    timestamp: i64,
    forget_before: i64,
) -> StoreResult<bool> {
    conn.prepare_cached("DELETE FROM oauth_nonces WHERE timestamp < ?1")?
        .execute([forget_before])?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO oauth_nonces (key_id, nonce, timestamp) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![key_id, nonce, timestamp])?;
    Ok(inserted == 1)
}
