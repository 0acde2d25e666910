//! The whole server as a function: `GET /healthz`, then the dialect the path and query
//! name ([`customer_wire::Dialect::of`]), then that dialect's pipeline.

use customer_wire::{Dialect, Reply, reply};

use crate::request::into_response;
use crate::{AppState, Request, Response, dialects};

/// The whole server: one request in, one response out.
pub async fn handle(state: &AppState, request: Request) -> Response {
    into_response(answer(state, &request).await)
}

async fn answer(state: &AppState, request: &Request) -> Reply {
    if request.uri.path() == "/healthz" {
        return match state.store.health().await {
            Ok(()) => reply::health(true),
            Err(error) => {
                tracing::warn!(%error, "health check failed");
                reply::health(false)
            }
        };
    }
    let incoming = request.incoming(state.site.trust_forwarded_proto);
    let edd_default = state.site.edd_version();
    match Dialect::of(incoming.path, &incoming.query, edd_default) {
        Some(Dialect::WcV3 | Dialect::WcV2) => dialects::wc_rest::handle(state, &incoming).await,
        Some(Dialect::WcLegacyV3) => dialects::wc_legacy::handle(state, &incoming).await,
        Some(Dialect::EddV1 | Dialect::EddV2) => dialects::edd::handle(state, &incoming).await,
        Some(Dialect::EasycartV1) => dialects::easycart::handle(state, &incoming).await,
        None => reply::no_api(),
    }
}
