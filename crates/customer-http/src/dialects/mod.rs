//! One module per dialect: its routes, authentication, parsing order and error
//! precedence. Handlers decode with `customer-wire`, call the store, and encode back.

pub mod easycart;
pub mod edd;
pub mod wc_legacy;
pub mod wc_rest;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;

use crate::Response;

/// A response with `status`, a content type and a body.
pub(crate) fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_str(content_type).expect("a valid content type"),
    );
    response
}
