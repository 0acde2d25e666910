//! Conversions between model values and SQLite columns, and the classification of
//! SQLite errors into [`StoreError`]s.

use customer_model::{Address, Currency, Timestamp, Uuid};
use rusqlite::ErrorCode;

use crate::{StoreError, StoreResult};

/// An instant as stored: nanoseconds since the Unix epoch, which sort as instants do.
pub(crate) fn ts(at: Timestamp) -> StoreResult<i64> {
    i64::try_from(at.as_nanosecond()).map_err(|_| StoreError::Invalid {
        field: "timestamp".into(),
        reason: "outside the years 1677 to 2262".into(),
    })
}

/// An instant from its stored form.
pub(crate) fn from_ts(nanos: i64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(nanos)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// An optional instant as stored.
pub(crate) fn opt_ts(at: Option<Timestamp>) -> StoreResult<Option<i64>> {
    at.map(ts).transpose()
}

/// Now, to the stored precision, so that what is returned equals what is read back.
pub(crate) fn now() -> Timestamp {
    from_ts(ts(Timestamp::now()).unwrap_or(0))
}

/// A fresh UUID, version 7: time-ordered, so that the unique indexes on UUIDs grow at
/// their end (an import of millions of rows would otherwise write all over them), with
/// 74 random bits below the millisecond.
pub(crate) fn new_uuid() -> Uuid {
    let millis = u64::try_from(Timestamp::now().as_millisecond()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid()
}

/// A UUID from its 16 stored bytes.
pub(crate) fn uuid_from(bytes: &[u8]) -> Uuid {
    Uuid::from_slice(bytes).unwrap_or_default()
}

/// An address as stored: a JSON array of its eleven fields in [`Address::fields`] order,
/// or the empty string for an address with no field set (most orders of most stores:
/// seventy bytes less per order, and what [`address_from_json`] reads as empty anyway).
pub(crate) fn address_to_json(address: &Address) -> String {
    let fields = address.fields();
    if fields.iter().all(|(_, value)| value.is_empty()) {
        return String::new();
    }
    let values: Vec<&str> = fields.iter().map(|(_, value)| *value).collect();
    serde_json::to_string(&values).unwrap_or_else(|_| "[]".into())
}

/// An address from its stored form.
pub(crate) fn address_from_json(text: &str) -> Address {
    let values: Vec<String> = serde_json::from_str(text).unwrap_or_default();
    let mut fields = values.into_iter();
    let mut next = || fields.next().unwrap_or_default();
    Address {
        first_name: next(),
        last_name: next(),
        company: next(),
        address_1: next(),
        address_2: next(),
        city: next(),
        state: next(),
        postcode: next(),
        country: next(),
        email: next(),
        phone: next(),
    }
}

/// A currency from its stored code.
pub(crate) fn currency_from(code: &str) -> StoreResult<Currency> {
    Currency::parse(code).map_err(|e| backend(format!("stored currency {code:?}: {e}")))
}

/// A [`StoreError::Backend`] with a message.
pub(crate) fn backend(message: impl Into<String>) -> StoreError {
    StoreError::Backend(message.into().into())
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

/// Prefixes a field path with a record's path (`orders.3` + `customer_id`).
pub(crate) fn path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

/// An [`StoreError::Invalid`] at `prefix.field`.
pub(crate) fn invalid(prefix: &str, field: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field: path(prefix, field),
        reason: reason.into(),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        let address = Address {
            first_name: "Ann \"Q\"".into(),
            city: "Kraków".into(),
            phone: "+48 1".into(),
            ..Address::default()
        };
        assert_eq!(address_from_json(&address_to_json(&address)), address);
        assert_eq!(address_to_json(&Address::default()), "");
        assert_eq!(address_from_json(""), Address::default());
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }

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
