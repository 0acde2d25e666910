//! WordPress's loose scalar rules for request parameters. A parameter may come from the
//! query string (always a string), a form body (strings) or a JSON body (any JSON type),
//! so each rule accepts what PHP would.

use serde_json::Value;

use crate::php_query::{PhpQuery, PhpValue};

/// Request parameters by name, merged from every source (later sources win).
pub type Params = serde_json::Map<String, Value>;

/// A PHP query (or form body) as JSON parameters: scalars become strings, `a[]` arrays
/// and `a[k]` maps become arrays and objects.
pub fn params_from_query(query: &PhpQuery) -> Params {
    query
        .iter()
        .map(|(name, value)| (name.to_owned(), php_to_json(value)))
        .collect()
}

fn php_to_json(value: &PhpValue) -> Value {
    match value {
        PhpValue::Str(s) => Value::String(s.clone()),
        PhpValue::List(items) => Value::Array(items.iter().map(php_to_json).collect()),
        PhpValue::Map(map) => {
            // PHP arrays with keys 0..n are lists to WordPress's schema checks.
            let is_list = map.keys().enumerate().all(|(i, k)| k == &i.to_string());
            if is_list && !map.is_empty() {
                Value::Array(map.values().map(php_to_json).collect())
            } else {
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), php_to_json(v)))
                        .collect(),
                )
            }
        }
    }
}

/// PHP's `is_numeric` on a string: optional surrounding whitespace, a sign, digits with
/// an optional fraction, an optional exponent.
fn numeric_string(text: &str) -> Option<f64> {
    let trimmed =
        text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C'));
    let body = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int_part)
        && frac_part.is_none_or(digits)
        && !(int_part.is_empty() && frac_part.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    trimmed.parse::<f64>().ok()
}

/// WordPress's `rest_is_integer`: a number or numeric string with no fractional part.
pub fn as_integer(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))?,
        Value::String(s) => {
            let f = numeric_string(s)?;
            if f.fract() != 0.0 || !f.is_finite() {
                return None;
            }
            // Prefer an exact parse for large values.
            s.trim().parse::<i64>().unwrap_or(f as i64)
        }
        Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => return None,
    };
    Some(number)
}

/// WordPress's `rest_is_boolean` + `rest_sanitize_boolean`: `true`/`false`, `0`/`1` and
/// the strings `true`, `false`, `1`, `0` in any letter case.
pub fn as_boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// `wp_parse_list`: an array as is, or a string split on commas and whitespace.
pub fn as_list(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::String(s) => Some(
            s.split(|c: char| c == ',' || c.is_ascii_whitespace())
                .filter(|part| !part.is_empty())
                .map(|part| Value::String(part.to_owned()))
                .collect(),
        ),
        Value::Object(map) => Some(map.values().cloned().collect()),
        Value::Number(_) => Some(vec![value.clone()]),
        Value::Bool(_) | Value::Null => None,
    }
}

/// WordPress's `sanitize_text_field`: strips tags, removes `%XX` octets, folds line
/// breaks, tabs and runs of spaces into one space, and trims.
pub fn sanitize_text_field(raw: &str) -> String {
    let mut without_tags = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        without_tags.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // A `<` not starting a tag (`a < b`) is kept, as WordPress escapes and keeps it.
        if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?')
        {
            match after.find('>') {
                Some(close) => rest = &after[close + 1..],
                None => rest = "",
            }
        } else {
            without_tags.push('<');
            rest = after;
        }
    }
    without_tags.push_str(rest);
    let mut without_octets = String::with_capacity(without_tags.len());
    let bytes = without_tags.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            i += 3;
            continue;
        }
        let ch = without_tags[i..].chars().next().expect("inside the string");
        without_octets.push(ch);
        i += ch.len_utf8();
    }
    without_octets
        .split(['\r', '\n', '\t', ' '])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A JSON scalar as PHP's string cast would print it (meta values are stored as
/// strings: `5` → `"5"`, `true` → `"1"`, `false` → `""`). Arrays and objects are kept.
pub fn php_scalar_string(value: &Value) -> Value {
    match value {
        Value::Bool(true) => Value::String("1".into()),
        Value::Bool(false) => Value::String(String::new()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(_) | Value::Null | Value::Array(_) | Value::Object(_) => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_follow_rest_is_integer() {
        assert_eq!(as_integer(&json!("5")), Some(5));
        assert_eq!(as_integer(&json!("5.0")), Some(5));
        assert_eq!(as_integer(&json!("05")), Some(5));
        assert_eq!(as_integer(&json!(" 7")), Some(7));
        assert_eq!(as_integer(&json!("-3")), Some(-3));
        assert_eq!(as_integer(&json!(12)), Some(12));
        assert_eq!(as_integer(&json!("1.5")), None);
        assert_eq!(as_integer(&json!("abc")), None);
        assert_eq!(as_integer(&json!("")), None);
        assert_eq!(as_integer(&json!(true)), None);
    }

    #[test]
    fn booleans_follow_rest_is_boolean() {
        for yes in [json!(true), json!("True"), json!("1"), json!(1)] {
            assert_eq!(as_boolean(&yes), Some(true), "{yes}");
        }
        for no in [json!(false), json!("FALSE"), json!("0"), json!(0)] {
            assert_eq!(as_boolean(&no), Some(false), "{no}");
        }
        assert_eq!(as_boolean(&json!("yes")), None);
        assert_eq!(as_boolean(&json!(2)), None);
    }

    #[test]
    fn lists_split_on_commas_and_spaces() {
        assert_eq!(as_list(&json!("1, 2 3")).unwrap().len(), 3);
        assert_eq!(as_list(&json!("")).unwrap().len(), 0);
    }

    #[test]
    fn text_fields_are_sanitized() {
        assert_eq!(
            sanitize_text_field("  <b>James</b>\n Doe %41 "),
            "James Doe"
        );
        assert_eq!(sanitize_text_field("a < b"), "a < b");
    }
}
