//! How WordPress frames a REST answer: `_fields` (keep only some keys), `_envelope`
//! (status and headers moved into a 200 body), `HEAD` without a body, the headers every
//! response carries (robots, CORS, the API root `Link`), `Allow`, no-cache headers for
//! authenticated callers, and the `OPTIONS` route description.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::decode::RestRoute;
use super::super::errors::RestError;
use crate::php::Var;
use crate::reply::{Body, Reply};

/// The `_fields` value as dotted paths (`a,b.c` or `_fields[]=a`); empty entries dropped.
pub fn fields_of(value: &Var) -> Vec<Vec<String>> {
    let raw: Vec<String> = match value {
        Var::Str(_) => value
            .text()
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .map(str::to_owned)
            .collect(),
        Var::Array(items) => items
            .iter()
            .filter_map(|(_, item)| item.text().map(|text| text.into_owned()))
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

/// The shape of a successful body, for `_fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One object (its `_links` survive `_fields`).
    Item,
    /// A list of objects (their `_links` go unless asked for).
    List,
    /// Left as is (batch results, errors, OPTIONS).
    Other,
}

/// The body of an [`Answer`]: a tree, or JSON already written from typed objects.
#[derive(Debug, Clone, PartialEq)]
enum AnswerBody {
    /// Built as a value (errors, discovery, webhooks).
    Tree(Value),
    /// Serialized once from the response objects; only `_fields` and `_envelope` need it
    /// as a tree again, and they are rare enough to parse it back.
    Serialized(String),
}

impl AnswerBody {
    fn into_tree(self) -> Value {
        match self {
            Self::Tree(value) => value,
            Self::Serialized(text) => {
                serde_json::from_str(&text).expect("serialized answers are JSON")
            }
        }
    }

    fn into_reply_body(self) -> Body {
        match self {
            Self::Tree(value) => Body::Json(value),
            Self::Serialized(text) => Body::JsonText(text),
        }
    }
}

/// An answer before WordPress frames it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    status: u16,
    body: AnswerBody,
    shape: Shape,
    /// Headers that `_envelope` moves into the body (`X-WP-Total`, `Link`, `Location`,
    /// `Allow`).
    headers: Vec<(&'static str, String)>,
    is_error: bool,
}

impl Answer {
    /// An answer with `status` and `body` of `shape`.
    pub fn new(status: u16, body: Value, shape: Shape) -> Self {
        Self::with_body(status, AnswerBody::Tree(body), shape)
    }

    /// An answer whose body is `body` serialized to JSON text now, once: no [`Value`] is
    /// built, and the text is sent as it is unless `_fields` or `_envelope` rework it.
    /// A struct's fields come out in the order it declares them (the response objects
    /// declare WooCommerce's order), not sorted as a [`Value`]'s keys are.
    pub fn serialized(status: u16, body: &impl Serialize, shape: Shape) -> Self {
        let text = serde_json::to_string(body).expect("response objects serialize");
        Self::with_body(status, AnswerBody::Serialized(text), shape)
    }

    fn with_body(status: u16, body: AnswerBody, shape: Shape) -> Self {
        Self {
            status,
            body,
            shape,
            headers: Vec::new(),
            is_error: false,
        }
    }

    /// The answer of an error.
    pub fn error(error: RestError) -> Self {
        let mut answer = Self::new(error.status, error.to_json(), Shape::Other);
        answer.is_error = true;
        answer
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `Allow`: the methods whose permission check passes for this caller. Keys act as
    /// administrators, so they may use every method; anonymous callers none (no header).
    pub fn allow(self, route: RestRoute, authenticated: bool) -> Self {
        if authenticated {
            let methods = route.endpoint.methods().join(", ");
            self.header("Allow", methods)
        } else {
            self
        }
    }
}

impl From<RestError> for Answer {
    fn from(error: RestError) -> Self {
        Self::error(error)
    }
}

/// What framing takes from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The home URL with the request's scheme (`rest_url`), without a trailing slash.
    pub home_url: String,
    /// `HEAD` (after overrides): headers only.
    pub head: bool,
    /// Whether the method came from `_method` or `X-HTTP-Method-Override`.
    pub overridden: bool,
    /// `_fields`, as dotted paths.
    pub fields: Option<Vec<Vec<String>>>,
    /// `_envelope` was asked for.
    pub envelope: bool,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// Whether a key authenticated the caller (keys act as administrators).
    pub authenticated: bool,
}

impl Frame {
    /// The framing of a request known only by its dialect: no `_fields`, no envelope,
    /// an anonymous caller.
    pub fn bare(home_url: &str) -> Self {
        Self {
            home_url: home_url.to_owned(),
            head: false,
            overridden: false,
            fields: None,
            envelope: false,
            origin: None,
            authenticated: false,
        }
    }

    /// The response WordPress sends for `answer`.
    pub fn reply(&self, answer: Answer) -> Reply {
        let mut status = answer.status;
        let mut moved_headers = answer.headers;
        let body = if self.head {
            Body::Empty
        } else {
            self.body(
                answer.body,
                answer.shape,
                answer.is_error,
                status,
                &moved_headers,
            )
        };
        if self.envelope {
            moved_headers.clear();
            status = 200;
        }
        let mut reply = Reply::new(status, "application/json; charset=UTF-8", body)
            .with_header("X-Robots-Tag", "noindex")
            .with_header("X-Content-Type-Options", "nosniff")
            .with_header(
                "Access-Control-Expose-Headers",
                "X-WP-Total, X-WP-TotalPages, Link",
            )
            .with_header(
                "Access-Control-Allow-Headers",
                "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
            );
        if !moved_headers.iter().any(|(name, _)| *name == "Link") {
            reply = reply.with_header(
                "Link",
                format!("<{}/wp-json/>; rel=\"https://api.w.org/\"", self.home_url),
            );
        }
        for (name, value) in moved_headers {
            reply = reply.with_header(name, value);
        }
        if let Some(origin) = &self.origin {
            reply = reply
                .with_header("Access-Control-Allow-Origin", origin.clone())
                .with_header(
                    "Access-Control-Allow-Methods",
                    "OPTIONS, GET, POST, PUT, PATCH, DELETE",
                )
                .with_header("Access-Control-Allow-Credentials", "true")
                .with_header("Vary", "Origin");
        } else if !self.authenticated {
            reply = reply.with_header("Vary", "Origin");
        }
        if self.authenticated || (self.overridden && answer.is_error) {
            reply = reply
                .with_header("Expires", "Wed, 11 Jan 1984 05:00:00 GMT")
                .with_header(
                    "Cache-Control",
                    "no-cache, must-revalidate, max-age=0, no-store, private",
                );
        }
        reply
    }

    /// The body sent: `_fields` trimmed, then `_envelope`d. Serialized text is sent as it
    /// is when neither applies, which is the common case.
    fn body(
        &self,
        body: AnswerBody,
        shape: Shape,
        is_error: bool,
        status: u16,
        headers: &[(&'static str, String)],
    ) -> Body {
        let fields = match (&self.fields, shape) {
            (Some(fields), Shape::Item | Shape::List) if !is_error => Some(fields),
            _ => None,
        };
        if fields.is_none() && !self.envelope {
            return body.into_reply_body();
        }
        let mut tree = body.into_tree();
        if let Some(fields) = fields {
            tree = match shape {
                Shape::Item => trim_item(&tree, fields, true),
                Shape::List => trim_list(tree, fields),
                Shape::Other => tree,
            };
        }
        if self.envelope {
            tree = envelope(tree, status, headers);
        }
        Body::Json(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame::bare("http://example.com")
    }

    #[test]
    fn every_reply_carries_wordpress_headers() {
        let reply = frame().reply(Answer::new(200, json!([]), Shape::List));
        assert_eq!(
            reply.header("Link"),
            Some("<http://example.com/wp-json/>; rel=\"https://api.w.org/\"")
        );
        assert_eq!(reply.header("Vary"), Some("Origin"));
        assert_eq!(reply.header("Cache-Control"), None);
        let authenticated = Frame {
            authenticated: true,
            head: true,
            ..frame()
        };
        let reply = authenticated.reply(Answer::new(200, json!([]), Shape::List));
        assert_eq!(reply.header("Vary"), None);
        assert!(reply.header("Cache-Control").is_some());
        assert!(reply.body_bytes().is_empty());
    }

    #[test]
    fn envelopes_move_status_and_headers_into_the_body() {
        let enveloped = Frame {
            envelope: true,
            ..frame()
        };
        let answer = Answer::error(RestError::no_route()).header("Allow", "GET".into());
        let reply = enveloped.reply(answer);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json().unwrap()["status"], 404);
        assert_eq!(reply.json().unwrap()["headers"]["Allow"], "GET");
        assert_eq!(reply.header("Allow"), None);
    }

    #[test]
    fn fields_trim_nested_paths() {
        let item =
            json!({"id": 1, "email": "a", "billing": {"city": "X", "phone": "1"}, "_links": {}});
        let fields = fields_of(&Var::Str(b"id,billing.city".to_vec()));
        assert_eq!(
            trim_item(&item, &fields, true),
            json!({"id": 1, "billing": {"city": "X"}, "_links": {}})
        );
        assert_eq!(
            trim_list(json!([item]), &fields),
            json!([{"id": 1, "billing": {"city": "X"}}])
        );
        let whole = fields_of(&Var::Str(b"billing,billing.city".to_vec()));
        assert_eq!(trim_item(&item, &whole, false)["billing"]["phone"], "1");
    }

    /// Serialized with keys out of alphabetical order, as the response objects are.
    #[derive(Serialize)]
    struct Item {
        id: i64,
        email: &'static str,
        billing: Billing,
        #[serde(rename = "_links")]
        links: Value,
    }

    #[derive(Serialize)]
    struct Billing {
        phone: &'static str,
        city: &'static str,
    }

    fn item() -> Item {
        Item {
            id: 1,
            email: "a",
            billing: Billing {
                phone: "1",
                city: "X",
            },
            links: json!({"self": [{"href": "u"}]}),
        }
    }

    #[test]
    fn serialized_answers_are_sent_as_written() {
        let answer = Answer::serialized(200, &item(), Shape::Item);
        let reply = frame().reply(answer);
        assert_eq!(
            reply.body_bytes(),
            br#"{"id":1,"email":"a","billing":{"phone":"1","city":"X"},"_links":{"self":[{"href":"u"}]}}"#
        );
        let head = Frame {
            head: true,
            envelope: true,
            fields: Some(fields_of(&Var::Str(b"id".to_vec()))),
            ..frame()
        };
        let reply = head.reply(Answer::serialized(201, &item(), Shape::Item));
        assert_eq!((reply.status, reply.body), (200, Body::Empty));
    }

    #[test]
    fn fields_and_envelopes_rework_serialized_answers_as_trees() {
        let fields = fields_of(&Var::Str(b"id,billing.city".to_vec()));
        let tree = serde_json::to_value(item()).unwrap();
        let framings = [
            Frame {
                fields: Some(fields.clone()),
                ..frame()
            },
            Frame {
                envelope: true,
                ..frame()
            },
            Frame {
                fields: Some(fields),
                envelope: true,
                ..frame()
            },
        ];
        for framing in framings {
            for shape in [Shape::Item, Shape::List, Shape::Other] {
                let (serialized, built) = if shape == Shape::List {
                    (
                        Answer::serialized(200, &[item(), item()], shape),
                        Answer::new(200, json!([tree, tree]), shape),
                    )
                } else {
                    (
                        Answer::serialized(200, &item(), shape),
                        Answer::new(200, tree.clone(), shape),
                    )
                };
                let header = ("Link", "<u>; rel=\"next\"".to_owned());
                let serialized = serialized.header(header.0, header.1.clone());
                let built = built.header(header.0, header.1);
                // The same answer either way, though `Shape::Other` keeps the text.
                let (serialized, built) = (framing.reply(serialized), framing.reply(built));
                assert_eq!(serialized.status, built.status, "{shape:?} {framing:?}");
                assert_eq!(serialized.headers, built.headers, "{shape:?} {framing:?}");
                assert_eq!(serialized.json(), built.json(), "{shape:?} {framing:?}");
            }
        }
        let trimmed = Frame {
            fields: Some(fields_of(&Var::Str(b"id,billing.city".to_vec()))),
            ..frame()
        };
        let reply = trimmed.reply(Answer::serialized(200, &[item()], Shape::List));
        assert_eq!(
            reply.json().as_deref(),
            Some(&json!([{"id": 1, "billing": {"city": "X"}}]))
        );
        let reply = trimmed.reply(Answer::serialized(200, &item(), Shape::Item));
        assert_eq!(
            reply.json().as_deref(),
            Some(&json!({"id": 1, "billing": {"city": "X"}, "_links": {"self": [{"href": "u"}]}}))
        );
        let enveloped = Frame {
            envelope: true,
            ..frame()
        };
        let reply = enveloped
            .reply(Answer::serialized(201, &item(), Shape::Item).header("Location", "u".into()));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Location"), None);
        assert_eq!(
            reply.json().as_deref(),
            Some(&json!({"body": tree, "status": 201, "headers": {"Location": "u"}}))
        );
    }

    #[test]
    fn envelopes_keep_headers() {
        assert_eq!(
            envelope(json!([]), 404, &[("Allow", "GET".into())]),
            json!({"body": [], "status": 404, "headers": {"Allow": "GET"}})
        );
    }
}
