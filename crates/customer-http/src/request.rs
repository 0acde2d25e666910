//! The request and response types of [`crate::handle`]: whole bodies, plus what the
//! connection tells (TLS or not, the peer).

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use http_body_util::Full;

/// A request with its whole body read.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method as sent (overrides such as `_method` are applied by dialects).
    pub method: Method,
    /// Path and query.
    pub uri: Uri,
    /// Headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The peer, when known.
    pub peer: Option<SocketAddr>,
}

impl Request {
    /// A plain-http request without headers or body, for tests.
    pub fn get(path_and_query: &str) -> Self {
        Self::new(Method::GET, path_and_query, Bytes::new())
    }

    /// A plain-http request, for tests.
    pub fn new(method: Method, path_and_query: &str, body: impl Into<Bytes>) -> Self {
        Self {
            method,
            uri: path_and_query.parse().expect("a valid request target"),
            headers: HeaderMap::new(),
            body: body.into(),
            tls: false,
            peer: None,
        }
    }

    /// Adds a header, for tests.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers
            .append(name, value.parse().expect("a valid header value"));
        self
    }

    /// The raw query string (without `?`), empty when absent.
    pub fn query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }
}

/// A response with a whole body.
pub type Response = http::Response<Full<Bytes>>;
