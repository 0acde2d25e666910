//! Picks the dialect from the path (and the query forms `?rest_route=` and `?edd-api=`).

use http::StatusCode;

use crate::dialects::{self, respond};
use crate::{AppState, Request, Response};

/// Which dialect family a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `GET /healthz`.
    Health,
    /// `/wp-json/…` or `?rest_route=…`: WooCommerce REST (wc/v2, wc/v3).
    WcRest,
    /// `/wc-api/…`: WooCommerce legacy REST API.
    WcLegacy,
    /// `/edd-api/…` or `?edd-api=…`: Easy Digital Downloads.
    Edd,
    /// `/api/v1/…`: easycart.
    Easycart,
}

/// The family of a request, or `None` for a path no dialect owns.
pub fn family(request: &Request) -> Option<Family> {
    let path = request.uri.path();
    let query_has =
        |name: &str| form_urlencoded::parse(request.query().as_bytes()).any(|(key, _)| key == name);
    if path == "/healthz" {
        return Some(Family::Health);
    }
    // WordPress's query-var forms work on any front-end URL.
    if query_has("rest_route") {
        return Some(Family::WcRest);
    }
    if query_has("edd-api") {
        return Some(Family::Edd);
    }
    let lower = path.to_ascii_lowercase();
    let under = |prefix: &str| lower == prefix || lower.starts_with(&format!("{prefix}/"));
    if under("/wp-json") {
        Some(Family::WcRest)
    } else if under("/wc-api") {
        Some(Family::WcLegacy)
    } else if under("/edd-api") {
        Some(Family::Edd)
    } else if path.starts_with("/api/v1/") || path == "/api/v1" {
        Some(Family::Easycart)
    } else {
        None
    }
}

/// The whole server: one request in, one response out.
pub async fn handle(state: &AppState, request: Request) -> Response {
    match family(&request) {
        Some(Family::Health) => match state.store.health().await {
            Ok(()) => respond(StatusCode::OK, "application/json", r#"{"status":"ok"}"#),
            Err(error) => {
                tracing::warn!(%error, "health check failed");
                respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "application/json",
                    r#"{"status":"unavailable"}"#,
                )
            }
        },
        Some(Family::WcRest) => dialects::wc_rest::handle(state, request).await,
        Some(Family::WcLegacy) => dialects::wc_legacy::handle(state, request).await,
        Some(Family::Edd) => dialects::edd::handle(state, request).await,
        Some(Family::Easycart) => dialects::easycart::handle(state, request).await,
        None => respond(
            StatusCode::NOT_FOUND,
            "application/json",
            r#"{"code":"not_found","message":"No API is served at this path."}"#,
        ),
    }
}
