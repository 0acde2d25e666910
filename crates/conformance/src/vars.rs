//! Variables: the keys the runner created and the values cases captured, and their
//! `{{$name}}` substitution into requests and expectations.

use std::collections::BTreeMap;

use crate::ordered::Value;

/// The key variables of the README table, in table order.
pub const KEY_VARIABLES: [&str; 10] = [
    "wc_ck",
    "wc_cs",
    "wc_read_ck",
    "wc_read_cs",
    "wc_write_ck",
    "wc_write_cs",
    "edd_key",
    "edd_secret",
    "edd_token",
    "bearer_token",
];

/// The environment variable that gives `variable` when running `--against` a server.
pub fn env_name(variable: &str) -> String {
    format!("CONFORMANCE_{}", variable.to_ascii_uppercase())
}

/// Named values shared by the steps and cases of one dialect run.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, serde_json::Value>,
}

impl Variables {
    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: serde_json::Value) {
        self.values.insert(name.to_owned(), value);
    }

    /// The value of `name`, or an error that says how it could have been defined.
    pub fn get(&self, name: &str) -> Result<&serde_json::Value, String> {
        self.values.get(name).ok_or_else(|| {
            if KEY_VARIABLES.contains(&name) {
                format!(
                    "variable `{name}` is not defined (with --against, set {})",
                    env_name(name)
                )
            } else {
                format!("variable `{name}` is not defined (no earlier step captured it)")
            }
        })
    }

    /// The text of `name`'s value: a string as is, anything else as JSON.
    pub fn text(&self, name: &str) -> Result<String, String> {
        Ok(match self.get(name)? {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }

    /// Replaces every `{{$name}}` in `text` with the variable's text. Other `{{…}}` (the
    /// matchers) are left alone.
    pub fn substitute(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{$") {
            let Some(length) = rest[start..].find("}}") else {
                break;
            };
            let name = &rest[start + 3..start + length];
            out.push_str(&rest[..start]);
            out.push_str(&self.text(name)?);
            rest = &rest[start + length + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Substitutes variables in every string of a JSON value. A string that is exactly
    /// `{{$name}}` becomes the variable's value with its own JSON type.
    pub fn substitute_json(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => match variable_reference(text) {
                Some(name) => Value::from_plain(self.get(name)?),
                None => Value::String(self.substitute(text)?),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.substitute_json(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, item)| Ok((key.clone(), self.substitute_json(item)?)))
                    .collect::<Result<_, String>>()?,
            ),
            scalar => scalar.clone(),
        })
    }

    /// Stores the values `capture` points at in `body`.
    pub fn capture(
        &mut self,
        capture: &BTreeMap<String, String>,
        body: Option<&serde_json::Value>,
    ) -> Result<(), String> {
        for (name, pointer) in capture {
            let Some(body) = body else {
                return Err(format!(
                    "cannot capture `{name}`: the response body is not JSON"
                ));
            };
            let value = body.pointer(pointer).ok_or_else(|| {
                format!("cannot capture `{name}`: nothing at {pointer} in the response body")
            })?;
            self.set(name, value.clone());
        }
        Ok(())
    }
}

/// `name` when `text` is exactly `{{$name}}`.
pub fn variable_reference(text: &str) -> Option<&str> {
    let name = text.strip_prefix("{{$")?.strip_suffix("}}")?;
    (!name.is_empty() && !name.contains("}}")).then_some(name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn variables() -> Variables {
        let mut vars = Variables::default();
        vars.set("id", json!(42));
        vars.set("email", json!("a@example.com"));
        vars
    }

    #[test]
    fn text_substitution_replaces_variables_and_keeps_matchers() {
        let vars = variables();
        assert_eq!(
            vars.substitute("/customers/{{$id}}?e={{$email}}&m={{any}}")
                .unwrap(),
            "/customers/42?e=a@example.com&m={{any}}"
        );
        assert_eq!(vars.substitute("no variables").unwrap(), "no variables");
        assert_eq!(vars.substitute("unclosed {{$id").unwrap(), "unclosed {{$id");
    }

    #[test]
    fn a_whole_string_reference_keeps_the_variable_type() {
        let vars = variables();
        let value =
            Value::parse(r##"{"id": "{{$id}}", "ids": ["{{$id}}", "#{{$id}}"], "n": 1}"##).unwrap();
        assert_eq!(
            vars.substitute_json(&value).unwrap().to_compact(),
            r##"{"id": 42, "ids": [42, "#42"], "n": 1}"##
        );
    }

    #[test]
    fn undefined_variables_are_named() {
        let vars = variables();
        assert_eq!(
            vars.substitute("{{$wc_ck}}").unwrap_err(),
            "variable `wc_ck` is not defined (with --against, set CONFORMANCE_WC_CK)"
        );
        assert!(
            vars.substitute("{{$nope}}")
                .unwrap_err()
                .contains("`nope` is not defined")
        );
    }

    #[test]
    fn capture_reads_json_pointers() {
        let mut vars = Variables::default();
        let body = json!({"customer": {"id": 7, "tags": ["x"]}});
        let capture = BTreeMap::from([
            ("id".to_owned(), "/customer/id".to_owned()),
            ("tag".to_owned(), "/customer/tags/0".to_owned()),
        ]);
        vars.capture(&capture, Some(&body)).unwrap();
        assert_eq!(vars.get("id").unwrap(), &json!(7));
        assert_eq!(vars.text("tag").unwrap(), "x");
        let missing = BTreeMap::from([("x".to_owned(), "/customer/nope".to_owned())]);
        assert_eq!(
            vars.capture(&missing, Some(&body)).unwrap_err(),
            "cannot capture `x`: nothing at /customer/nope in the response body"
        );
        assert!(
            vars.capture(&missing, None)
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
