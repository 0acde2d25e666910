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

/// How a read by ids names its rows: `= ?1` for one id, a plain index seek, and
/// otherwise the ids as a JSON array through `json_each`, one statement whatever their
/// number. Most reads are of one row (GET one); `json_each` costs them a virtual table
/// and a temporary index each.
pub(crate) fn id_set(ids: &[i64]) -> (&'static str, rusqlite::types::Value) {
    match ids {
        [id] => ("= ?1", rusqlite::types::Value::Integer(*id)),
        _ => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            (
                "IN (SELECT value FROM json_each(?1))",
                rusqlite::types::Value::Text(format!("[{list}]")),
            )
        }
    }
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
}
