//! WooCommerce API key authentication, shared by wc/v2, wc/v3 and wc-api/v3.
//!
//! Interface only for now: every request is treated as anonymous until the OAuth 1.0a,
//! Basic and query-key checks land here.

use customer_store::ApiKey;
use http::Method;

use crate::{AppState, Request};

/// Which WooCommerce API is authenticating: their OAuth normalisations and error codes
/// differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `/wp-json/wc/v2|v3` (codes `woocommerce_rest_*`).
    Rest,
    /// `/wc-api/v3` (codes `woocommerce_api_*`).
    Legacy,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WooCaller {
    /// No credentials, or credentials the original ignores (e.g. Basic over plain http).
    Anonymous,
    /// An authenticated key.
    Key(ApiKey),
}

/// An authentication failure, ready for the dialect's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WooAuthError {
    /// HTTP status (401 for every WooCommerce auth failure).
    pub status: u16,
    /// The dialect's error code, e.g. `woocommerce_rest_authentication_error`.
    pub code: &'static str,
    /// The original's message, e.g. `Consumer key is invalid.`.
    pub message: String,
}

/// Authenticates `request` the way WooCommerce does for `flavor`.
pub async fn authenticate(
    _state: &AppState,
    _request: &Request,
    _flavor: Flavor,
) -> Result<WooCaller, WooAuthError> {
    Ok(WooCaller::Anonymous)
}

/// Checks a key's scope against the method (after `_method` overrides).
pub fn check_scope(_key: &ApiKey, _method: &Method, _flavor: Flavor) -> Result<(), WooAuthError> {
    Ok(())
}

/// Whether the request counts as HTTPS: a TLS connection, or `X-Forwarded-Proto: https`
/// when the operator trusts a proxy.
pub fn is_https(state: &AppState, request: &Request) -> bool {
    request.tls
        || (state.site.trust_forwarded_proto
            && request
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https")))
}
