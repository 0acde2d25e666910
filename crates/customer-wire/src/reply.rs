//! [`Reply`]: everything a client receives for one request (status, headers, body), as
//! each dialect's encoder builds it whole. The server only copies it onto the wire.

use std::borrow::Cow;

use serde_json::Value;

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body (`HEAD`, or an answer without one).
    Empty,
    /// A JSON value, written compactly.
    Json(Value),
    /// JSON already written compactly, sent as it is. Encoders serialize their typed
    /// objects straight into it, so a large answer is neither built as a [`Value`] tree
    /// nor written twice; it must hold one valid JSON document.
    JsonText(String),
    /// Text written as it is (pretty JSON, XML, JSONP).
    Text(String),
}

impl Body {
    /// The bytes sent, without copying text already written.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Self::Empty => Vec::new(),
            Self::Json(value) => serde_json::to_vec(&value).expect("JSON values serialize"),
            Self::JsonText(text) | Self::Text(text) => text.into_bytes(),
        }
    }
}

/// A whole response: status, headers in order (repeated names allowed), body. The
/// `Content-Type` is one of the headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values, in the order they are sent.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Reply {
    /// A reply with `status`, a `Content-Type` and `body`.
    pub fn new(status: u16, content_type: &str, body: Body) -> Self {
        Self {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body,
        }
    }

    /// The same reply with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The first value of header `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of header `name` (any letter case), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The same reply without its body (what `HEAD` sends).
    pub fn without_body(mut self) -> Self {
        self.body = Body::Empty;
        self
    }

    /// The body as JSON, when it is JSON: borrowed from a [`Body::Json`], parsed from a
    /// [`Body::JsonText`] (`None` if that text is not JSON after all).
    pub fn json(&self) -> Option<Cow<'_, Value>> {
        match &self.body {
            Body::Json(value) => Some(Cow::Borrowed(value)),
            Body::JsonText(text) => serde_json::from_str(text).ok().map(Cow::Owned),
            Body::Empty | Body::Text(_) => None,
        }
    }

    /// A copy of the body's bytes as sent; [`Body::into_bytes`] gives them without one.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Empty => Vec::new(),
            Body::Json(value) => serde_json::to_vec(value).expect("JSON values serialize"),
            Body::JsonText(text) | Body::Text(text) => text.as_bytes().to_vec(),
        }
    }
}

/// The answer of `GET /healthz`: `{"status":"ok"}`, or 503 `{"status":"unavailable"}`.
pub fn health(reachable: bool) -> Reply {
    let (status, word) = if reachable {
        (200, "ok")
    } else {
        (503, "unavailable")
    };
    let mut body = serde_json::Map::new();
    body.insert("status".into(), Value::from(word));
    Reply::new(status, "application/json", Body::Json(Value::Object(body)))
}

/// A fault answered by the server itself, outside any dialect (a path no dialect
/// serves): `{"code", "message"}`, with `Retry-After` when trying again may help.
pub fn site_fault(fault: &crate::Fault) -> Reply {
    let mut body = serde_json::Map::new();
    body.insert("code".into(), Value::from(fault.code()));
    body.insert("message".into(), Value::from(fault.message()));
    let reply = Reply::new(
        fault.status(),
        "application/json",
        Body::Json(Value::Object(body)),
    );
    with_retry_after(reply, fault)
}

/// The reply with `Retry-After: 1` when `fault` is worth retrying.
pub fn with_retry_after(reply: Reply, fault: &crate::Fault) -> Reply {
    if fault.is_retryable() {
        reply.with_header("Retry-After", "1")
    } else {
        reply
    }
}

/// Where the OpenAPI documents are served: `/openapi/<slug>.json`.
pub const OPENAPI_PREFIX: &str = "/openapi/";

/// The answer of `GET /openapi/<slug>.json` (pretty JSON), or `None` when `path` is not
/// under [`OPENAPI_PREFIX`]; an unknown slug or another method is [`no_api`]'s 404.
pub fn openapi(method: &str, path: &str) -> Option<Reply> {
    let name = path.strip_prefix(OPENAPI_PREFIX)?;
    let dialect = name
        .strip_suffix(".json")
        .and_then(crate::Dialect::from_slug)
        .filter(|_| matches!(method, "GET" | "HEAD"));
    let Some(dialect) = dialect else {
        return Some(no_api());
    };
    let text = serde_json::to_string_pretty(&dialect.openapi()).expect("JSON values serialise");
    let reply = Reply::new(200, "application/json", Body::Text(text))
        .with_header("Access-Control-Allow-Origin", "*");
    Some(if method == "HEAD" {
        reply.without_body()
    } else {
        reply
    })
}

/// The answer for a path no dialect serves.
pub fn no_api() -> Reply {
    let mut body = serde_json::Map::new();
    body.insert("code".into(), Value::from("not_found"));
    body.insert(
        "message".into(),
        Value::from("No API is served at this path."),
    );
    Reply::new(404, "application/json", Body::Json(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_order_and_read_in_any_case() {
        let reply = Reply::new(200, "text/plain", Body::Text("hi".into()))
            .with_header("Link", "a")
            .with_header("link", "b");
        assert_eq!(reply.header("content-type"), Some("text/plain"));
        assert_eq!(reply.header_values("LINK").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(reply.body_bytes(), b"hi");
        assert!(reply.without_body().body_bytes().is_empty());
    }

    #[test]
    fn json_text_is_sent_as_written_and_read_as_json() {
        // Not sorted: written text keeps its own key order.
        let text = r#"{"id":1,"_links":{},"email":"a@example.com"}"#;
        let reply = Reply::new(200, "application/json", Body::JsonText(text.to_owned()));
        assert_eq!(reply.body_bytes(), text.as_bytes());
        assert_eq!(
            reply.json().as_deref(),
            Some(&serde_json::json!({"id": 1, "_links": {}, "email": "a@example.com"}))
        );
        assert_eq!(reply.body.into_bytes(), text.as_bytes());
        let broken = Reply::new(200, "application/json", Body::JsonText("{".to_owned()));
        assert_eq!(broken.json(), None);
        let text = Reply::new(200, "text/plain", Body::Text("{}".to_owned()));
        assert_eq!(text.json(), None);
    }

    #[test]
    fn server_faults_have_a_code_and_a_message() {
        let reply = site_fault(&crate::Fault::TooLarge { limit: 10 });
        assert_eq!(
            reply.body_bytes(),
            br#"{"code":"request_too_large","message":"The request body is too large."}"#
        );
        assert_eq!(reply.header("Retry-After"), None);
        let late = site_fault(&crate::Fault::DeadlineExceeded);
        assert_eq!((late.status, late.header("Retry-After")), (503, Some("1")));
    }

    #[test]
    fn site_answers() {
        assert_eq!(health(true).body_bytes(), br#"{"status":"ok"}"#);
        assert_eq!(health(false).status, 503);
        assert_eq!(
            no_api().body_bytes(),
            br#"{"code":"not_found","message":"No API is served at this path."}"#
        );
    }
}
