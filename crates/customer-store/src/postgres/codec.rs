//! The classification of PostgreSQL errors into [`StoreError`]s, and which of them a
//! write retries.

use std::fmt;

use tokio_postgres::error::SqlState;

use crate::StoreError;

/// A PostgreSQL error whose message says what the server said, not only `db error`.
#[derive(Debug)]
pub(crate) struct DatabaseError(tokio_postgres::Error);

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_db_error() {
            Some(db) => {
                write!(f, "{} (SQLSTATE {})", db.message(), db.code().code())?;
                match db.detail() {
                    Some(detail) => write!(f, ": {detail}"),
                    None => Ok(()),
                }
            }
            None => match std::error::Error::source(&self.0) {
                Some(source) => write!(f, "{}: {source}", self.0),
                None => write!(f, "{}", self.0),
            },
        }
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        classify(error)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => classify(error),
            other => StoreError::Unavailable(format!("no database connection: {other}")),
        }
    }
}

/// Sorts a PostgreSQL error into the store's kinds: unique violations name their field,
/// lost connections and an overloaded or stopping server are unavailability. Conflicts
/// of concurrent transactions stay backend errors that [`is_retryable`] recognises.
pub(crate) fn classify(error: tokio_postgres::Error) -> StoreError {
    let Some(code) = error.code() else {
        // No SQLSTATE: the connection failed or timed out, or (a bug) a value could not
        // be converted.
        let lost = error.is_closed()
            || std::error::Error::source(&error).is_some_and(|s| s.is::<std::io::Error>())
            || error.to_string().contains("timeout");
        return if lost {
            StoreError::Unavailable(DatabaseError(error).to_string())
        } else {
            StoreError::Backend(Box::new(DatabaseError(error)))
        };
    };
    if *code == SqlState::UNIQUE_VIOLATION {
        let constraint = error
            .as_db_error()
            .and_then(|db| db.constraint())
            .unwrap_or_default();
        return StoreError::Conflict {
            field: conflict_field(constraint),
        };
    }
    if *code == SqlState::FOREIGN_KEY_VIOLATION {
        let message = error
            .as_db_error()
            .map(|db| db.message().to_owned())
            .unwrap_or_default();
        return StoreError::Invalid {
            field: "reference".into(),
            reason: message,
        };
    }
    let class = &code.code()[..2];
    // 08: connection exceptions; 53: insufficient resources (too many connections, out
    // of disk); 57P01-57P03: the server is shutting down or starting.
    if class == "08"
        || class == "53"
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
    {
        return StoreError::Unavailable(DatabaseError(error).to_string());
    }
    if *code == SqlState::QUERY_CANCELED {
        return StoreError::Unavailable(DatabaseError(error).to_string());
    }
    StoreError::Backend(Box::new(DatabaseError(error)))
}

/// Whether `error` is a serialization failure or a deadlock, which a write retries.
pub(crate) fn is_retryable(error: &StoreError) -> bool {
    let StoreError::Backend(source) = error else {
        return false;
    };
    source
        .downcast_ref::<DatabaseError>()
        .and_then(|error| error.0.code())
        .is_some_and(|code| {
            *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        })
}

/// The model field behind a unique constraint, from its name.
fn conflict_field(constraint: &str) -> &'static str {
    match constraint {
        "customer_emails_key" => "email",
        "customers_username_key" => "username",
        "api_keys_lookup_key" => "lookup",
        c if c.ends_with("_uuid_key") => "uuid",
        _ => "id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_name_the_model_field() {
        assert_eq!(conflict_field("customer_emails_key"), "email");
        assert_eq!(conflict_field("customers_username_key"), "username");
        assert_eq!(conflict_field("orders_uuid_key"), "uuid");
        assert_eq!(conflict_field("api_keys_lookup_key"), "lookup");
        assert_eq!(conflict_field("customers_pkey"), "id");
    }
}
