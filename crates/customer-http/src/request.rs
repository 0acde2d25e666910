//! The request and response types of [`crate::handle`]: whole bodies, plus what the
//! connection tells (TLS or not, the peer); the codecs' view of a request
//! ([`Request::incoming`]) and the one conversion of a codec's [`Reply`] into a response
//! ([`into_response`]).

use std::net::SocketAddr;

use bytes::Bytes;
use customer_wire::Reply;
use customer_wire::request::{Headers, Incoming};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
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

    /// Whether the request counts as HTTPS: a TLS connection, or `X-Forwarded-Proto:
    /// https` when the operator trusts a proxy to say so.
    pub fn is_https(&self, trust_forwarded_proto: bool) -> bool {
        self.tls
            || (trust_forwarded_proto
                && self
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.eq_ignore_ascii_case("https")))
    }

    /// The request as the codecs read it; the query string is parsed here, once.
    pub fn incoming(&self, trust_forwarded_proto: bool) -> Incoming<'_> {
        let target = self
            .uri
            .path_and_query()
            .map_or("/", |target| target.as_str());
        let headers = Headers::new(
            self.headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        Incoming::new(
            self.method.as_str(),
            target,
            headers,
            &self.body,
            self.is_https(trust_forwarded_proto),
        )
    }
}

/// The response for a codec's reply: its status, its headers in order (a header the
/// HTTP types cannot carry is left out), and its body.
pub fn into_response(reply: Reply) -> Response {
    let Reply {
        status,
        headers: reply_headers,
        body,
    } = reply;
    // The body's buffer becomes the response's as it is: `Bytes::from` takes a `Vec`
    // without copying it.
    let mut response = Response::new(Full::new(Bytes::from(body.into_bytes())));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply_headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// A response with a whole body.
pub type Response = http::Response<Full<Bytes>>;
