//! Conversions between model values and SQLite columns, and the classification of
//! SQLite errors into [`StoreError`]s. The conversions every backend shares live in
//! `crate::values`.

use customer_model::Uuid;
use rusqlite::ErrorCode;

use crate::StoreError;
pub(crate) use crate::values::{
    address_from_json, address_to_json, backend, bound_ts, currency_from, from_ts, invalid,
    like_escape, new_uuid, now, opt_ts, over_limit, ts,
};

/// A UUID from its 16 stored bytes.
pub(crate) fn uuid_from(bytes: &[u8]) -> Uuid {
    Uuid::from_slice(bytes).unwrap_or_default()
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        classify(error)
    }
}

/// Sorts a SQLite error into the store's kinds: unique violations name their field.
pub(crate) fn classify(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound { entity: "record" },
        rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
            ErrorCode::ConstraintViolation => {
                let message = message.as_deref().unwrap_or_default();
                if message.starts_with("UNIQUE") || message.starts_with("PRIMARY KEY") {
                    StoreError::Conflict {
                        field: conflict_field(message),
                    }
                } else {
                    StoreError::Invalid {
                        field: "reference".into(),
                        reason: message.to_owned(),
                    }
                }
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen => {
                StoreError::Unavailable(error.to_string())
            }
            ErrorCode::OperationInterrupted => {
                StoreError::Unavailable("the caller went away; the work was stopped".into())
            }
            _ => StoreError::Backend(Box::new(error)),
        },
        _ => StoreError::Backend(Box::new(error)),
    }
}

/// The model field behind a unique index, from SQLite's message
/// (`UNIQUE constraint failed: customer_emails.address_folded`).
fn conflict_field(message: &str) -> &'static str {
    let column = message.rsplit(": ").next().unwrap_or_default();
    match column {
        c if c.starts_with("customer_emails.") => "email",
        c if c.contains("username") => "username",
        c if c.ends_with(".uuid") => "uuid",
        c if c.starts_with("api_keys.") => "lookup",
        _ => "id",
    }
}

/// How a read by ids names its rows: the `FROM` clause's start and the condition on
/// the id column, with the one value to bind as `?1`.
///
/// One id is `FROM t WHERE id = ?1`, a plain index seek. More are a JSON array of the
/// distinct ids, in ascending order, walked by `json_each` as the outer loop:
/// `FROM (SELECT value AS wanted_id FROM json_each(?1)) AS wanted CROSS JOIN t WHERE
/// id = wanted.wanted_id`, one statement
/// whatever their number and an index seek per id. (`id IN (SELECT value FROM
/// json_each(?1))` built a temporary index of the ids first, whose zeroed pages alone
/// were a twentieth of a list's instructions.) Rows come in no promised order: callers
/// that need one sort what they read.
pub(crate) fn id_set(ids: &[i64]) -> IdSet {
    match ids {
        [id] => IdSet {
            from: "",
            is: "= ?1",
            value: rusqlite::types::Value::Integer(*id),
        },
        _ => {
            let mut distinct = ids.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            let list = distinct
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            IdSet {
                // Only the value, renamed: json_each's other columns (`id`, `key`,
                // `value`…) would clash with the table's.
                from: "(SELECT value AS wanted_id FROM json_each(?1)) AS wanted CROSS JOIN ",
                is: "= wanted.wanted_id",
                value: rusqlite::types::Value::Text(format!("[{list}]")),
            }
        }
    }
}

/// See [`id_set`].
pub(crate) struct IdSet {
    /// Goes right after `FROM`, before the table read.
    pub from: &'static str,
    /// Goes right after the id column in `WHERE`.
    pub is: &'static str,
    /// Binds as `?1`.
    pub value: rusqlite::types::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_name_the_model_field() {
        assert_eq!(
            conflict_field("UNIQUE constraint failed: customer_emails.address_folded"),
            "email"
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: customers.username_folded"),
            "username"
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: orders.uuid"),
            "uuid"
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: customers.id"),
            "id"
        );
    }

    /// A read by several ids walks them and seeks each, without a temporary index of
    /// the ids, and reads each row once however often its id is named.
    #[test]
    fn reads_by_ids_seek_each_id_once() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, key TEXT);
             CREATE INDEX t_owner ON t (owner);
             INSERT INTO t (owner, key) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (3, 'd');",
        )
        .unwrap();
        let wanted = id_set(&[3, 1, 3]);
        let sql = format!(
            "SELECT id, key FROM {}t WHERE owner {} ORDER BY id",
            wanted.from, wanted.is
        );
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([&wanted.value], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.starts_with("SCAN json_each")),
            "{plan:?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("USING INDEX t_owner")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("LIST SUBQUERY")),
            "{plan:?}"
        );
        let rows: Vec<(i64, String)> = conn
            .prepare(&sql)
            .unwrap()
            .query_map([&wanted.value], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [(1, "a".into()), (3, "c".into()), (4, "d".into())]);
    }
}
