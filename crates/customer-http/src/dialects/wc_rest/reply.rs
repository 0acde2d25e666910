//! Turning a handler's result into the HTTP response WordPress would send: the REST
//! headers of every response, `Allow`, `_fields` trimming, `_envelope`, `HEAD` without
//! a body, no-cache headers for authenticated callers.

use customer_wire::php_query::{PhpQuery, PhpValue};
use customer_wire::wc_rest::errors::RestError;
use customer_wire::wc_rest::route::{Endpoint, RestRoute};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::{Request, Response};

/// The shape of a successful body, for `_fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One object (its `_links` survive `_fields`).
    Item,
    /// A list of objects (their `_links` go unless asked for).
    List,
    /// Left as is (batch results, errors, OPTIONS).
    Other,
}

/// A response before dressing.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    body: Value,
    shape: Shape,
    /// Headers that `_envelope` moves into the body (`X-WP-Total`, `Link`, `Location`, `Allow`).
    headers: Vec<(&'static str, String)>,
    authenticated: bool,
    is_error: bool,
}

impl Reply {
    pub(crate) fn new(status: u16, body: Value, shape: Shape) -> Self {
        Self {
            status,
            body,
            shape,
            headers: Vec::new(),
            authenticated: false,
            is_error: false,
        }
    }

    pub(crate) fn error(error: RestError) -> Self {
        let mut reply = Self::new(error.status, error.to_json(), Shape::Other);
        reply.is_error = true;
        reply
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn authenticated(mut self, authenticated: bool) -> Self {
        self.authenticated = authenticated;
        self
    }

    /// `Allow`: the methods whose permission check passes for this caller. Keys act as
    /// administrators, so they may use every method; anonymous callers none (no header).
    pub(crate) fn allow(self, route: RestRoute, authenticated: bool) -> Self {
        if authenticated {
            let methods = route.endpoint.methods().join(", ");
            self.header("Allow", methods)
        } else {
            self
        }
    }

    pub(crate) fn into_response(
        self,
        request: &Request,
        query: &PhpQuery,
        home_url: &str,
        head: bool,
        overridden: bool,
    ) -> Response {
        let mut body = self.body;
        if !self.is_error {
            if let Some(fields) = query.get("_fields").map(fields_of) {
                body = match self.shape {
                    Shape::Item => trim_item(&body, &fields, true),
                    Shape::List => match body {
                        Value::Array(items) => Value::Array(
                            items.iter().map(|i| trim_item(i, &fields, false)).collect(),
                        ),
                        other => other,
                    },
                    Shape::Other => body,
                };
            }
        }
        let mut status = self.status;
        let mut envelope_headers = self.headers;
        let enveloped = query.contains("_envelope");
        if enveloped {
            let headers: serde_json::Map<String, Value> = envelope_headers
                .drain(..)
                .map(|(name, value)| (name.to_owned(), json!(value)))
                .collect();
            body = json!({ "body": body, "status": status, "headers": headers });
            status = 200;
        }
        let bytes = if head {
            Vec::new()
        } else {
            serde_json::to_vec(&body).expect("JSON values serialize")
        };
        let mut response = Response::new(http_body_util::Full::new(bytes.into()));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        let mut put = |name: &str, value: &str| {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        };
        put("Content-Type", "application/json; charset=UTF-8");
        put("X-Robots-Tag", "noindex");
        put("X-Content-Type-Options", "nosniff");
        put(
            "Access-Control-Expose-Headers",
            "X-WP-Total, X-WP-TotalPages, Link",
        );
        put(
            "Access-Control-Allow-Headers",
            "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
        );
        let has_pagination_link = envelope_headers.iter().any(|(name, _)| *name == "Link");
        if !has_pagination_link {
            put(
                "Link",
                &format!("<{home_url}/wp-json/>; rel=\"https://api.w.org/\""),
            );
        }
        for (name, value) in &envelope_headers {
            put(name, value);
        }
        if let Some(origin) = request.headers.get("origin").and_then(|v| v.to_str().ok()) {
            put("Access-Control-Allow-Origin", origin);
            put(
                "Access-Control-Allow-Methods",
                "OPTIONS, GET, POST, PUT, PATCH, DELETE",
            );
            put("Access-Control-Allow-Credentials", "true");
            put("Vary", "Origin");
        } else if !self.authenticated {
            put("Vary", "Origin");
        }
        if self.authenticated || (overridden && self.is_error) {
            put("Expires", "Wed, 11 Jan 1984 05:00:00 GMT");
            put(
                "Cache-Control",
                "no-cache, must-revalidate, max-age=0, no-store, private",
            );
        }
        response
    }
}

/// `_fields` as a list of dotted paths (`a,b.c`, or `_fields[]=a`).
fn fields_of(value: &PhpValue) -> Vec<Vec<String>> {
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

/// Keeps the requested paths of `item`. A single item keeps its `_links` (WordPress adds
/// them after trimming); list items keep them only when asked for.
fn trim_item(item: &Value, fields: &[Vec<String>], keep_links: bool) -> Value {
    let Value::Object(map) = item else {
        return item.clone();
    };
    let mut out = trim_object(map, fields);
    if keep_links {
        if let (Value::Object(out_map), Some(links)) = (&mut out, map.get("_links")) {
            out_map.insert("_links".into(), links.clone());
        }
    }
    out
}

fn trim_object(map: &serde_json::Map<String, Value>, fields: &[Vec<String>]) -> Value {
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let wanted: Vec<&Vec<String>> = fields.iter().filter(|f| f[0] == *key).collect();
        if wanted.is_empty() {
            continue;
        }
        if wanted.iter().any(|f| f.len() == 1) {
            out.insert(key.clone(), value.clone());
            continue;
        }
        let nested: Vec<Vec<String>> = wanted.iter().map(|f| f[1..].to_vec()).collect();
        match value {
            Value::Object(inner) => {
                out.insert(key.clone(), trim_object(inner, &nested));
            }
            other => {
                out.insert(key.clone(), other.clone());
            }
        }
    }
    Value::Object(out)
}

/// `OPTIONS` on a matched route: the route's description (namespace, methods, endpoints
/// and `_links.self` for routes without placeholders), with `Allow`.
pub(crate) fn options(route: RestRoute, home_url: &str, authenticated: bool) -> Reply {
    let methods: Vec<&str> = route.endpoint.methods().to_vec();
    let mut body = json!({
        "namespace": route.version.namespace(),
        "methods": methods,
        "endpoints": methods.iter().map(|m| json!({"methods": [m], "args": {}})).collect::<Vec<_>>(),
    });
    let fixed_path = match route.endpoint {
        Endpoint::Collection => Some("customers"),
        Endpoint::Batch => Some("customers/batch"),
        Endpoint::Item(_) | Endpoint::Downloads(_) => None,
    };
    if let Some(path) = fixed_path {
        body["_links"] = json!({"self": [{"href": format!("{home_url}/wp-json/{}/{path}", route.version.namespace())}]});
    }
    Reply::new(200, body, Shape::Other)
        .authenticated(authenticated)
        .header("Allow", methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            trim_item(&item, &fields, false),
            json!({"id": 1, "billing": {"city": "X"}})
        );
    }
}
