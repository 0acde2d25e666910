//! WordPress's loose scalar rules for request parameters. A parameter may come from the
//! query string (always a string), a form body (strings) or a JSON body (any JSON type),
//! so each rule accepts what PHP would.

use serde_json::Value;

use crate::php::{self, Var, Vars};

/// Request parameters by name, merged from every source (later sources win).
pub type Params = serde_json::Map<String, Value>;

/// PHP request variables (a query string or form body) as JSON parameters: scalars
/// become strings (invalid UTF-8 replaced), arrays become JSON arrays when their keys
/// are `0, 1, …` in insertion or in sorted order (what `a[]=` appends), else objects.
pub fn params_from_vars(vars: &Vars) -> Params {
    vars.iter()
        .map(|(name, value)| {
            (
                String::from_utf8_lossy(name).into_owned(),
                var_to_json(value),
            )
        })
        .collect()
}

fn var_to_json(value: &Var) -> Value {
    match value {
        Var::Str(bytes) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        Var::Array(items) => {
            let keys: Vec<String> = items
                .iter()
                .map(|(key, _)| String::from_utf8_lossy(key).into_owned())
                .collect();
            let is_index = |(i, key): (usize, &String)| *key == i.to_string();
            if !items.is_empty() && keys.iter().enumerate().all(is_index) {
                return Value::Array(items.iter().map(|(_, v)| var_to_json(v)).collect());
            }
            let mut sorted: Vec<(&String, &Var)> =
                keys.iter().zip(items.iter().map(|(_, v)| v)).collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            if !sorted.is_empty() && sorted.iter().map(|(k, _)| *k).enumerate().all(is_index) {
                return Value::Array(sorted.iter().map(|(_, v)| var_to_json(v)).collect());
            }
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(key, v)| (key.clone(), var_to_json(v)))
                    .collect(),
            )
        }
    }
}

/// WordPress's `rest_is_integer`: a number or numeric string with no fractional part.
pub fn as_integer(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))?,
        Value::String(s) => {
            let f = php::numeric_value(s)?;
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
    fn php_arrays_become_json_lists_or_objects() {
        let params = params_from_vars(&Vars::parse(
            b"a[]=1&a[]=2&b[1]=x&b[0]=y&c[k]=v&d=%FF&e[2]=z",
        ));
        assert_eq!(params["a"], json!(["1", "2"]));
        assert_eq!(params["b"], json!(["y", "x"]));
        assert_eq!(params["c"], json!({"k": "v"}));
        assert_eq!(params["d"], json!("\u{FFFD}"));
        assert_eq!(params["e"], json!({"2": "z"}));
        let many: String = (0..12).map(|i| format!("f[]={i}&")).collect();
        assert_eq!(
            params_from_vars(&Vars::parse(many.as_bytes()))["f"]
                .as_array()
                .map(Vec::len),
            Some(12)
        );
    }
}
