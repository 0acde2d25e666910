//! WordPress's global request features that change a REST body: `_fields` (keep only
//! some keys), `_envelope` (status and headers moved into a 200 body) and the `OPTIONS`
//! route description.

use serde_json::{Map, Value, json};

use super::route::{Endpoint, RestRoute};
use crate::php_query::PhpValue;

/// The `_fields` value as dotted paths (`a,b.c` or `_fields[]=a`); empty entries dropped.
pub fn fields_of(value: &PhpValue) -> Vec<Vec<String>> {
    let raw: Vec<String> = match value {
        PhpValue::Str(s) => s
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .map(str::to_owned)
            .collect(),
        PhpValue::List(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        PhpValue::Map(map) => map
            .values()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
    };
    raw.into_iter()
        .filter(|f| !f.is_empty())
        .map(|f| f.split('.').map(str::to_owned).collect())
        .collect()
}

/// Keeps the requested paths of one object. A single item keeps its `_links` (WordPress
/// adds them after trimming); list items keep them only when asked for.
pub fn trim_item(item: &Value, fields: &[Vec<String>], keep_links: bool) -> Value {
    let Value::Object(map) = item else {
        return item.clone();
    };
    let mut out = trim_object(map, fields);
    if keep_links && let (Value::Object(out_map), Some(links)) = (&mut out, map.get("_links")) {
        out_map.insert("_links".into(), links.clone());
    }
    out
}

/// Trims every item of a list (their `_links` go unless requested).
pub fn trim_list(list: Value, fields: &[Vec<String>]) -> Value {
    match list {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| trim_item(item, fields, false))
                .collect(),
        ),
        other => other,
    }
}

fn trim_object(map: &Map<String, Value>, fields: &[Vec<String>]) -> Value {
    let mut out = Map::new();
    for (key, value) in map {
        let wanted: Vec<&Vec<String>> = fields.iter().filter(|f| f[0] == *key).collect();
        if wanted.is_empty() {
            continue;
        }
        let nested: Vec<Vec<String>> = wanted
            .iter()
            .filter(|f| f.len() > 1)
            .map(|f| f[1..].to_vec())
            .collect();
        match value {
            Value::Object(inner) if wanted.iter().all(|f| f.len() > 1) => {
                out.insert(key.clone(), trim_object(inner, &nested));
            }
            other => {
                out.insert(key.clone(), other.clone());
            }
        }
    }
    Value::Object(out)
}

/// `_envelope`: `{"body", "status", "headers"}`, sent with status 200.
pub fn envelope(body: Value, status: u16, headers: &[(&str, String)]) -> Value {
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    json!({ "body": body, "status": status, "headers": headers })
}

/// The `OPTIONS` answer of a route: namespace, methods, one endpoint per method (without
/// the argument schema) and `_links.self` for routes without placeholders.
pub fn options_body(route: RestRoute, home_url: &str) -> Value {
    let methods = route.endpoint.methods();
    let mut body = json!({
        "namespace": route.version.namespace(),
        "methods": methods,
        "endpoints": methods
            .iter()
            .map(|m| json!({"methods": [m], "args": {}}))
            .collect::<Vec<_>>(),
    });
    let fixed_path = match route.endpoint {
        Endpoint::Collection => Some("customers"),
        Endpoint::Batch => Some("customers/batch"),
        Endpoint::Item(_) | Endpoint::Downloads(_) => None,
    };
    if let Some(path) = fixed_path {
        let href = format!("{home_url}/wp-json/{}/{path}", route.version.namespace());
        body["_links"] = json!({ "self": [{ "href": href }] });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wc_rest::Version;

    #[test]
    fn fields_trim_nested_paths() {
        let item =
            json!({"id": 1, "email": "a", "billing": {"city": "X", "phone": "1"}, "_links": {}});
        let fields = fields_of(&PhpValue::Str("id,billing.city".into()));
        assert_eq!(
            trim_item(&item, &fields, true),
            json!({"id": 1, "billing": {"city": "X"}, "_links": {}})
        );
        assert_eq!(
            trim_list(json!([item]), &fields),
            json!([{"id": 1, "billing": {"city": "X"}}])
        );
        let whole = fields_of(&PhpValue::Str("billing,billing.city".into()));
        assert_eq!(trim_item(&item, &whole, false)["billing"]["phone"], "1");
    }

    #[test]
    fn envelope_and_options() {
        assert_eq!(
            envelope(json!([]), 404, &[("Allow", "GET".into())]),
            json!({"body": [], "status": 404, "headers": {"Allow": "GET"}})
        );
        let route = RestRoute {
            version: Version::V2,
            endpoint: Endpoint::Batch,
        };
        assert_eq!(
            options_body(route, "http://example.com")["_links"]["self"][0]["href"],
            "http://example.com/wp-json/wc/v2/customers/batch"
        );
    }
}
