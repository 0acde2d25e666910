//! The request journal's entries: what a test suite reads of the requests its code
//! sent, with every secret redacted before the entry is kept.

use customer_model::Timestamp;
use serde_json::{Value, json};

use super::{AdminError, PathGlob};
use crate::Dialect;

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";

/// Query and form parameters, and JSON members, whose values are secrets: OAuth
/// signatures, WooCommerce consumer secrets, EDD tokens, passwords.
const SECRET_NAMES: &[&str] = &["oauth_signature", "consumer_secret", "token", "password"];

/// Headers whose values are credentials.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// The most bytes of a body an entry keeps; the rest is cut (said in the entry).
pub const BODY_BYTES: usize = 64 * 1024;

fn is_secret(name: &str) -> bool {
    SECRET_NAMES
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// A query string or form body with secret values replaced, pairs and order kept.
fn redact_pairs(text: &str) -> String {
    text.split('&')
        .map(|pair| {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_encoding::percent_decode_str(&name.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            // `token[]`-style names are the same secret as `token`.
            let bare = decoded.split('[').next().unwrap_or_default();
            if is_secret(bare) {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if is_secret(name) {
                    *member = Value::from(REDACTED);
                } else {
                    redact_json(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// A body as the journal keeps it: JSON with secret members redacted, a form with secret
/// parameters redacted, other text as it is; cut at [`BODY_BYTES`].
fn redact_body(body: &[u8], form: bool) -> String {
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        redact_json(&mut value);
        return cut(value.to_string());
    }
    let text = String::from_utf8_lossy(body);
    if form {
        cut(redact_pairs(&text))
    } else {
        cut(text.into_owned())
    }
}

fn cut(mut text: String) -> String {
    if text.len() > BODY_BYTES {
        let mut end = BODY_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("…[cut]");
    }
    text
}

/// One journaled request and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// Its number, from 1, in arrival order.
    pub id: u64,
    /// When it arrived, by the store's clock.
    pub time: Timestamp,
    /// The dialect it speaks, if any.
    pub dialect: Option<Dialect>,
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query string, secrets redacted.
    pub query: String,
    /// The request headers, in order, credentials redacted.
    pub headers: Vec<(String, String)>,
    /// The request body, secrets redacted.
    pub body: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's body (text; empty for a dropped connection).
    pub response_body: String,
    /// How long the answer took, in microseconds.
    pub duration_micros: u64,
}

/// What a request was, before redaction.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The dialect it speaks.
    pub dialect: Option<Dialect>,
    /// The method.
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The query string.
    pub query: &'a str,
    /// The headers.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body.
    pub body: &'a [u8],
}

impl JournalEntry {
    /// The entry of a request and its answer, secrets redacted.
    pub fn new(
        id: u64,
        time: Timestamp,
        seen: Seen<'_>,
        status: u16,
        response_body: &[u8],
        duration_micros: u64,
    ) -> Self {
        let headers = seen
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS
                    .iter()
                    .any(|secret| name.eq_ignore_ascii_case(secret))
                {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value).into_owned()
                };
                ((*name).to_owned(), value)
            })
            .collect::<Vec<_>>();
        let form = headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type")
                && value.starts_with("application/x-www-form-urlencoded")
        });
        Self {
            id,
            time,
            dialect: seen.dialect,
            method: seen.method.to_owned(),
            path: seen.path.to_owned(),
            query: redact_pairs(seen.query),
            headers,
            body: redact_body(seen.body, form),
            status,
            response_body: cut(String::from_utf8_lossy(response_body).into_owned()),
            duration_micros,
        }
    }

    /// The entry as the journal lists it.
    pub fn to_json(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
            .collect();
        json!({
            "id": self.id,
            "time": self.time.to_string(),
            "dialect": self.dialect.map(Dialect::slug),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "request": {"headers": headers, "body": self.body},
            "status": self.status,
            "response": {"body": self.response_body},
            "duration_ms": self.duration_micros as f64 / 1000.0,
        })
    }
}

/// The filters of `GET /__admin/requests` and its count.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// Only this dialect.
    pub dialect: Option<Dialect>,
    /// Only this method.
    pub method: Option<String>,
    /// Only paths matching this glob.
    pub path: Option<PathGlob>,
    /// Only this status.
    pub status: Option<u16>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

impl JournalFilter {
    /// Reads `dialect`, `method`, `path`, `status` and `limit` from a query string; any
    /// other parameter, or a value that does not read, is an error naming it.
    pub fn parse(query: &str) -> Result<Self, AdminError> {
        let mut filter = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "dialect" => {
                    filter.dialect = Some(Dialect::from_slug(&value).ok_or_else(|| {
                        AdminError::field(
                            "dialect",
                            format!("Use one of {}.", super::dialect_slugs()),
                        )
                    })?);
                }
                "method" => filter.method = Some(value.to_ascii_uppercase()),
                "path" => {
                    filter.path = Some(PathGlob::new(&value).map_err(|reason| {
                        AdminError::field("path", format!("The glob does not parse: {reason}."))
                    })?);
                }
                "status" => {
                    filter.status = Some(value.parse().map_err(|_| {
                        AdminError::field("status", "A status is a number: 200, 404, …")
                    })?);
                }
                "limit" => {
                    filter.limit =
                        Some(value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            AdminError::field("limit", "A limit is a positive number.")
                        })?);
                }
                other => {
                    return Err(AdminError {
                        status: 400,
                        code: "unknown_field",
                        message: "Filters are dialect, method, path, status and limit.".into(),
                        field: Some(other.to_owned()),
                    });
                }
            }
        }
        Ok(filter)
    }

    /// Whether `entry` passes the filters (the limit aside).
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        self.dialect
            .is_none_or(|dialect| entry.dialect == Some(dialect))
            && self
                .method
                .as_deref()
                .is_none_or(|method| method == entry.method)
            && self
                .path
                .as_ref()
                .is_none_or(|glob| glob.is_match(&entry.path))
            && self.status.is_none_or(|status| status == entry.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let headers: &[(&str, &[u8])] = &[
            ("Authorization", b"Basic Y2tfeDpjc195"),
            ("Content-Type", b"application/x-www-form-urlencoded"),
        ];
        let entry = JournalEntry::new(
            1,
            Timestamp::UNIX_EPOCH,
            Seen {
                dialect: Some(Dialect::WcLegacyV3),
                method: "POST",
                path: "/wc-api/v3/customers",
                query: "oauth_signature=abc%3D&oauth_nonce=n&consumer_secret=cs_1&key=pub&token=t",
                headers,
                body: b"email=a%40b.c&password=hunter2",
            },
            201,
            b"{}",
            5,
        );
        assert_eq!(
            entry.query,
            "oauth_signature=[redacted]&oauth_nonce=n&consumer_secret=[redacted]&key=pub&token=[redacted]"
        );
        assert_eq!(entry.headers[0].1, REDACTED);
        assert_eq!(entry.body, "email=a%40b.c&password=[redacted]");
        let json = JournalEntry::new(
            2,
            Timestamp::UNIX_EPOCH,
            Seen {
                body: br#"{"email":"a@b.c","account":{"password":"hunter2"}}"#,
                headers: &[],
                ..Seen {
                    dialect: None,
                    method: "PUT",
                    path: "/",
                    query: "",
                    headers: &[],
                    body: b"",
                }
            },
            200,
            b"",
            1,
        );
        assert!(!json.body.contains("hunter2"), "{}", json.body);
        assert!(json.body.contains(REDACTED));
    }

    #[test]
    fn filters_read_strictly() {
        let filter =
            JournalFilter::parse("dialect=wc-v3&method=get&path=/wp-json/**&status=200&limit=5")
                .unwrap();
        assert_eq!(filter.dialect, Some(Dialect::WcV3));
        assert_eq!(filter.method.as_deref(), Some("GET"));
        assert_eq!(filter.limit, Some(5));
        for (query, field) in [
            ("dialect=wc-v9", "dialect"),
            ("path=[abc", "path"),
            ("status=ok", "status"),
            ("limit=0", "limit"),
            ("colour=red", "colour"),
        ] {
            let error = JournalFilter::parse(query).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{query}");
        }
    }
}
