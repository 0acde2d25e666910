//! Helpers of the wc-api/v3 handler tests: a server over a fresh in-memory SQLite
//! store, requests, and responses read back as text and JSON.

#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use customer_http::{AppState, Request, Response, SiteConfig};
use customer_store::SqliteStore;
use http::Method;
use http_body_util::BodyExt;

/// A server over a fresh store: `http://example.com`, UTC, USD.
pub(crate) fn server() -> (Arc<SqliteStore>, AppState) {
    let store = Arc::new(SqliteStore::open_in_memory().expect("an in-memory store"));
    let state = AppState::new(store.clone(), SiteConfig::local("http://example.com"));
    (store, state)
}

/// A request over TLS (so that query keys and Basic auth are accepted).
pub(crate) fn request(method: Method, target: &str, body: &str) -> Request {
    let mut request = Request::new(method, target, Bytes::from(body.to_owned()));
    request.tls = true;
    request
}

/// A response's status, headers and body as text.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Every value of a header, in order.
    pub(crate) fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// Sends a request through the socket-free entry.
pub(crate) async fn send(state: &AppState, request: Request) -> Answer {
    let response: Response = customer_http::handle(state, request).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}
