//! Turning a handler's result into the HTTP response WordPress would send: the REST
//! headers of every response, `Allow`, `_fields` trimming, `_envelope`, `HEAD` without
//! a body, no-cache headers for authenticated callers.

use customer_wire::php_query::PhpQuery;
use customer_wire::wc_rest::errors::RestError;
use customer_wire::wc_rest::global;
use customer_wire::wc_rest::route::RestRoute;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

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
        if !self.is_error
            && let Some(fields) = query.get("_fields").map(global::fields_of)
        {
            body = match self.shape {
                Shape::Item => global::trim_item(&body, &fields, true),
                Shape::List => global::trim_list(body, &fields),
                Shape::Other => body,
            };
        }
        let mut status = self.status;
        let mut envelope_headers = self.headers;
        let enveloped = query.contains("_envelope");
        if enveloped {
            body = global::envelope(body, status, &envelope_headers);
            envelope_headers.clear();
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

/// `OPTIONS` on a matched route: the route's description (namespace, methods, endpoints
/// and `_links.self` for routes without placeholders), with `Allow`.
pub(crate) fn options(route: RestRoute, home_url: &str, authenticated: bool) -> Reply {
    Reply::new(200, global::options_body(route, home_url), Shape::Other)
        .authenticated(authenticated)
        .header("Allow", route.endpoint.methods().join(", "))
}
