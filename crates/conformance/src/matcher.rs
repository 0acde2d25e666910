//! Comparing a response with an expectation: exact JSON equality, except where the
//! expectation holds a matcher (`{{any_integer}}`, `{{$id}}`, …) or an open object
//! (`"{{...}}": true`). Every difference is reported with the JSON pointer of the field.

use std::fmt;

use crate::ordered::Value;
use crate::vars::{Variables, variable_reference};

/// The key that, set to `true` in an expected object, allows keys the case does not list.
pub const OPEN_OBJECT_KEY: &str = "{{...}}";

/// One difference between what a step expected and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What differs: `status`, `header X-WP-Total`, `json /billing/city`, …
    pub location: String,
    pub message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A named rule a value must satisfy instead of being equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matcher {
    Any,
    AnyInteger,
    AnyNumber,
    AnyString,
    WcDatetime,
    DatetimeZ,
    Iso8601,
    SqlDatetime,
    Uuid,
}

impl Matcher {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "any" => Self::Any,
            "any_integer" => Self::AnyInteger,
            "any_number" => Self::AnyNumber,
            "any_string" => Self::AnyString,
            "wc_datetime" => Self::WcDatetime,
            "datetime_z" => Self::DatetimeZ,
            "iso8601" => Self::Iso8601,
            "sql_datetime" => Self::SqlDatetime,
            "uuid" => Self::Uuid,
            _ => return None,
        })
    }

    /// Whether a JSON value satisfies the rule: the JSON type matters.
    fn accepts_json(self, value: &Value) -> bool {
        match (self, value) {
            (Self::Any, _) => true,
            (Self::AnyInteger, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Self::AnyNumber, Value::Number(_)) => true,
            (Self::AnyString, Value::String(_)) => true,
            (
                Self::WcDatetime | Self::DatetimeZ | Self::Iso8601 | Self::SqlDatetime | Self::Uuid,
                Value::String(text),
            ) => self.accepts_text(text),
            _ => false,
        }
    }

    /// Whether a header value (always text) satisfies the rule.
    fn accepts_text(self, text: &str) -> bool {
        match self {
            Self::Any | Self::AnyString => true,
            Self::AnyInteger => text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok(),
            Self::AnyNumber => text.parse::<f64>().is_ok_and(f64::is_finite),
            Self::WcDatetime => is_local_datetime(text, 'T'),
            Self::DatetimeZ => text
                .strip_suffix('Z')
                .is_some_and(|t| is_local_datetime(t, 'T')),
            Self::Iso8601 => is_rfc3339(text),
            Self::SqlDatetime => is_local_datetime(text, ' '),
            Self::Uuid => is_uuid(text),
        }
    }
}

/// What a `{{…}}` string in an expectation stands for.
enum Special<'a> {
    Matcher(Matcher),
    Unknown(&'a str),
    Variable(&'a str),
}

fn special(text: &str) -> Option<Special<'_>> {
    if let Some(name) = variable_reference(text) {
        return Some(Special::Variable(name));
    }
    let name = text.strip_prefix("{{")?.strip_suffix("}}")?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    Some(Matcher::from_name(name).map_or(Special::Unknown(name), Special::Matcher))
}

/// `YYYY-MM-DD<sep>HH:MM:SS`.
fn is_local_datetime(text: &str, separator: char) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            10 => b == separator as u8,
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        })
}

/// RFC 3339: a local date-time, optional fraction, then `Z` or `±HH:MM`.
fn is_rfc3339(text: &str) -> bool {
    if text.len() < 20 || !text.is_char_boundary(19) || !is_local_datetime(&text[..19], 'T') {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    if rest == "Z" {
        return true;
    }
    let bytes = rest.as_bytes();
    bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && bytes[1..3].iter().all(u8::is_ascii_digit)
        && bytes[3] == b':'
        && bytes[4..6].iter().all(u8::is_ascii_digit)
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Checks a header value (or any text) against an expected text with matchers.
pub fn check_text(expected: &str, actual: &str, vars: &Variables) -> Result<(), String> {
    let wanted = match special(expected) {
        Some(Special::Matcher(matcher)) => {
            return if matcher.accepts_text(actual) {
                Ok(())
            } else {
                Err(format!("expected {expected}, got {actual:?}"))
            };
        }
        Some(Special::Unknown(name)) => return Err(format!("unknown matcher {{{{{name}}}}}")),
        Some(Special::Variable(name)) => vars.text(name)?,
        None => vars.substitute(expected)?,
    };
    if wanted == actual {
        Ok(())
    } else {
        Err(format!("expected {wanted:?}, got {actual:?}"))
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Compares `actual` with `expected` at `pointer`, pushing every difference.
pub fn check_json(
    expected: &Value,
    actual: &Value,
    vars: &Variables,
    pointer: &str,
    out: &mut Vec<Mismatch>,
) {
    let mut fail = |message: String| {
        let place = if pointer.is_empty() {
            "(root)"
        } else {
            pointer
        };
        out.push(Mismatch {
            location: format!("json {place}"),
            message,
        });
    };
    match (expected, actual) {
        (Value::String(text), _) if special(text).is_some() => match special(text) {
            Some(Special::Matcher(matcher)) => {
                if !matcher.accepts_json(actual) {
                    fail(format!("expected {text}, got {actual}"));
                }
            }
            Some(Special::Unknown(name)) => fail(format!("unknown matcher {{{{{name}}}}}")),
            Some(Special::Variable(name)) => match vars.get(name) {
                Ok(value) => {
                    let value = Value::from_plain(value);
                    if value != *actual {
                        fail(format!("expected {value} (${name}), got {actual}"));
                    }
                }
                Err(error) => fail(error),
            },
            None => unreachable!("guarded above"),
        },
        (Value::String(text), _) if text.contains("{{$") => match vars.substitute(text) {
            Ok(wanted) => {
                if *actual != Value::String(wanted.clone()) {
                    fail(format!("expected {}, got {actual}", Value::String(wanted)));
                }
            }
            Err(error) => fail(error),
        },
        (Value::Object(wanted), Value::Object(got)) => {
            let open = wanted
                .iter()
                .any(|(k, v)| k == OPEN_OBJECT_KEY && *v == Value::Bool(true));
            for (key, wanted_value) in wanted {
                if key == OPEN_OBJECT_KEY {
                    continue;
                }
                let here = format!("{pointer}/{}", pointer_segment(key));
                match actual.get(key) {
                    Some(got_value) => check_json(wanted_value, got_value, vars, &here, out),
                    None => out.push(Mismatch {
                        location: format!("json {here}"),
                        message: format!("missing (expected {wanted_value})"),
                    }),
                }
            }
            if !open {
                for (key, got_value) in got {
                    if expected.get(key).is_none() {
                        out.push(Mismatch {
                            location: format!("json {pointer}/{}", pointer_segment(key)),
                            message: format!("unexpected key (got {got_value})"),
                        });
                    }
                }
            }
        }
        (Value::Array(wanted), Value::Array(got)) => {
            if wanted.len() != got.len() {
                fail(format!(
                    "expected {} items, got {}",
                    wanted.len(),
                    got.len()
                ));
            }
            for (index, (wanted_item, got_item)) in wanted.iter().zip(got).enumerate() {
                check_json(
                    wanted_item,
                    got_item,
                    vars,
                    &format!("{pointer}/{index}"),
                    out,
                );
            }
        }
        (Value::Object(_) | Value::Array(_), _) => {
            fail(format!(
                "expected {}, got {}: {actual}",
                expected.type_name(),
                actual.type_name()
            ));
        }
        _ => {
            if expected != actual {
                fail(format!("expected {expected}, got {actual}"));
            }
        }
    }
}

/// What [`reconcile`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconcile {
    /// The expectation as a reader compares it with the response: matchers that matched
    /// become the actual value, so a diff shows only real differences.
    ForDiff,
    /// The expectation `--update` writes: the actual body, with the matchers kept wherever
    /// the actual value still satisfies them.
    ForUpdate,
}

/// Merges an expectation with the actual body; see [`Reconcile`].
pub fn reconcile(expected: &Value, actual: &Value, vars: &Variables, mode: Reconcile) -> Value {
    let for_diff = mode == Reconcile::ForDiff;
    match (expected, actual) {
        (Value::Object(wanted), Value::Object(got)) => {
            let open = wanted
                .iter()
                .any(|(k, v)| k == OPEN_OBJECT_KEY && *v == Value::Bool(true));
            let mut merged = Vec::new();
            for (key, got_value) in got {
                match expected.get(key) {
                    Some(wanted_value) => {
                        merged.push((key.clone(), reconcile(wanted_value, got_value, vars, mode)));
                    }
                    // Extra keys: hidden from the diff when the object is open; written by
                    // an update when it is not.
                    None if open == for_diff => merged.push((key.clone(), got_value.clone())),
                    None => {}
                }
            }
            for (key, wanted_value) in wanted {
                if actual.get(key).is_some() {
                    continue;
                }
                if key == OPEN_OBJECT_KEY {
                    if !for_diff {
                        merged.push((key.clone(), wanted_value.clone()));
                    }
                } else if for_diff {
                    merged.push((key.clone(), substituted(wanted_value, vars)));
                }
            }
            Value::Object(merged)
        }
        (Value::Array(wanted), Value::Array(got)) => {
            let mut merged: Vec<Value> = wanted
                .iter()
                .zip(got)
                .map(|(wanted_item, got_item)| reconcile(wanted_item, got_item, vars, mode))
                .collect();
            if for_diff {
                merged.extend(
                    wanted
                        .iter()
                        .skip(got.len())
                        .map(|item| substituted(item, vars)),
                );
            } else {
                merged.extend(got.iter().skip(wanted.len()).cloned());
            }
            Value::Array(merged)
        }
        _ => {
            let mut mismatches = Vec::new();
            check_json(expected, actual, vars, "", &mut mismatches);
            match (mismatches.is_empty(), mode) {
                (true, Reconcile::ForDiff) => actual.clone(),
                (true, Reconcile::ForUpdate) => expected.clone(),
                (false, Reconcile::ForDiff) => substituted(expected, vars),
                (false, Reconcile::ForUpdate) => actual.clone(),
            }
        }
    }
}

/// The expectation with its variables filled in where they are defined.
fn substituted(value: &Value, vars: &Variables) -> Value {
    vars.substitute_json(value)
        .unwrap_or_else(|_| value.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> Variables {
        let mut vars = Variables::default();
        vars.set("id", json!(42));
        vars.set("name", json!("Ann"));
        vars
    }

    fn mismatches(expected: &str, actual: &str) -> Vec<String> {
        let mut out = Vec::new();
        check_json(
            &Value::parse(expected).unwrap(),
            &Value::parse(actual).unwrap(),
            &vars(),
            "",
            &mut out,
        );
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_matcher_accepts_its_shape_and_rejects_others() {
        let cases: [(&str, &[&str], &[&str]); 9] = [
            ("any", &["null", "1", r#""x""#, "[]", "{}"], &[]),
            (
                "any_integer",
                &["0", "-5", "18446744073709551615"],
                &["1.5", r#""1""#, "null"],
            ),
            ("any_number", &["0", "1.5", "-2e3"], &[r#""1.5""#, "true"]),
            ("any_string", &[r#""""#, r#""x""#], &["1", "null", "[]"]),
            (
                "wc_datetime",
                &[r#""2024-01-31T23:59:00""#],
                &[r#""2024-01-31T23:59:00Z""#, r#""2024-01-31 23:59:00""#],
            ),
            (
                "datetime_z",
                &[r#""2024-01-31T23:59:00Z""#],
                &[r#""2024-01-31T23:59:00""#, r#""2024-01-31T23:59:00+00:00""#],
            ),
            (
                "iso8601",
                &[
                    r#""2024-01-31T23:59:00+01:00""#,
                    r#""2024-01-31T23:59:00.123-05:30""#,
                    r#""2024-01-31T23:59:00Z""#,
                ],
                &[
                    r#""2024-01-31T23:59:00""#,
                    r#""2024-01-31T23:59:00+0100""#,
                    r#""2024-01-31T23:59:00.+01:00""#,
                ],
            ),
            (
                "sql_datetime",
                &[r#""2024-01-31 23:59:00""#],
                &[r#""2024-01-31T23:59:00""#, r#""2024-1-31 23:59:00""#],
            ),
            (
                "uuid",
                &[
                    r#""0b9ae6e4-6c1c-4d4e-9a1e-3f4e2a1b7c9d""#,
                    r#""0B9AE6E4-6C1C-4D4E-9A1E-3F4E2A1B7C9D""#,
                ],
                &[
                    r#""0b9ae6e46c1c4d4e9a1e3f4e2a1b7c9d""#,
                    r#""0b9ae6e4-6c1c-4d4e-9a1e-3f4e2a1b7c9""#,
                ],
            ),
        ];
        for (name, good, bad) in cases {
            let expected = format!(r#""{{{{{name}}}}}""#);
            for actual in good {
                assert_eq!(
                    mismatches(&expected, actual),
                    Vec::<String>::new(),
                    "{name} should accept {actual}"
                );
            }
            for actual in bad {
                assert_eq!(
                    mismatches(&expected, actual).len(),
                    1,
                    "{name} should reject {actual}"
                );
            }
        }
    }

    #[test]
    fn variables_match_with_their_type() {
        assert!(mismatches(r#"{"id": "{{$id}}"}"#, r#"{"id": 42}"#).is_empty());
        assert_eq!(
            mismatches(r#"{"id": "{{$id}}"}"#, r#"{"id": "42"}"#),
            [r#"json /id: expected 42 ($id), got "42""#]
        );
        assert!(mismatches(r#""Hello {{$name}}, #{{$id}}""#, r#""Hello Ann, #42""#).is_empty());
        assert_eq!(mismatches(r#""{{$nope}}""#, "1").len(), 1);
    }

    #[test]
    fn objects_need_the_same_keys_unless_open() {
        assert_eq!(
            mismatches(
                r#"{"a": 1, "b": null, "c": {"d/e": 2}}"#,
                r#"{"a": 1, "c": {"d/e": 3}, "x": true}"#
            ),
            [
                "json /b: missing (expected null)",
                "json /c/d~1e: expected 2, got 3",
                "json /x: unexpected key (got true)",
            ]
        );
        assert!(mismatches(r#"{"a": 1, "{{...}}": true}"#, r#"{"a": 1, "x": 2}"#).is_empty());
        assert_eq!(
            mismatches(r#"{"a": null}"#, r#"{"a": 0}"#),
            ["json /a: expected null, got 0"]
        );
    }

    #[test]
    fn arrays_need_the_same_length_and_types_must_agree() {
        assert_eq!(
            mismatches("[1, 2]", "[1]"),
            ["json (root): expected 2 items, got 1"]
        );
        assert_eq!(
            mismatches("[1, 2]", "[1, 3]"),
            ["json /1: expected 2, got 3"]
        );
        assert_eq!(
            mismatches(r#"{"a": [1]}"#, r#"{"a": {}}"#),
            ["json /a: expected array, got object: {}"]
        );
        assert_eq!(
            mismatches(r#"{"a": "1"}"#, r#"{"a": 1}"#),
            [r#"json /a: expected "1", got 1"#]
        );
        assert_eq!(
            mismatches(r#""{{anything}}""#, "1"),
            ["json (root): unknown matcher {{anything}}"]
        );
    }

    #[test]
    fn header_text_matching() {
        let vars = vars();
        assert!(check_text("{{any_integer}}", "12", &vars).is_ok());
        assert!(check_text("{{any_integer}}", "twelve", &vars).is_err());
        assert!(
            check_text(
                "http://example.com/c/{{$id}}",
                "http://example.com/c/42",
                &vars
            )
            .is_ok()
        );
        assert_eq!(
            check_text(
                "http://example.com/c/{{$id}}",
                "http://example.com/c/41",
                &vars
            )
            .unwrap_err(),
            r#"expected "http://example.com/c/42", got "http://example.com/c/41""#
        );
        assert!(check_text("{{$id}}", "42", &vars).is_ok());
    }

    #[test]
    fn reconcile_for_update_keeps_matching_matchers_and_takes_the_rest() {
        let expected = Value::parse(
            r#"{"id": "{{any_integer}}", "email": "old@example.com", "gone": 1, "when": "{{wc_datetime}}", "list": ["{{any}}"]}"#,
        )
        .unwrap();
        let actual = Value::parse(
            r#"{"id": 5, "email": "new@example.com", "when": "not a date", "list": [1, 2], "added": true}"#,
        )
        .unwrap();
        let updated = reconcile(&expected, &actual, &vars(), Reconcile::ForUpdate);
        assert_eq!(
            updated.to_compact(),
            r#"{"id": "{{any_integer}}", "email": "new@example.com", "when": "not a date", "list": ["{{any}}", 2], "added": true}"#
        );
        let mut out = Vec::new();
        check_json(&updated, &actual, &vars(), "", &mut out);
        assert!(
            out.is_empty(),
            "an updated expectation matches the body it came from: {out:?}"
        );
    }

    #[test]
    fn reconcile_for_update_leaves_open_objects_open() {
        let expected = Value::parse(r#"{"id": "{{$id}}", "{{...}}": true}"#).unwrap();
        let actual = Value::parse(r#"{"id": 42, "extra": 1}"#).unwrap();
        assert_eq!(
            reconcile(&expected, &actual, &vars(), Reconcile::ForUpdate).to_compact(),
            r#"{"id": "{{$id}}", "{{...}}": true}"#
        );
    }

    #[test]
    fn reconcile_for_diff_hides_what_matched() {
        let expected = Value::parse(
            r#"{"id": "{{any_integer}}", "name": "Bob", "missing": 1, "{{...}}": true}"#,
        )
        .unwrap();
        let actual = Value::parse(r#"{"id": 5, "name": "Ann", "extra": 2}"#).unwrap();
        assert_eq!(
            reconcile(&expected, &actual, &vars(), Reconcile::ForDiff).to_compact(),
            r#"{"id": 5, "name": "Bob", "extra": 2, "missing": 1}"#
        );
    }
}
