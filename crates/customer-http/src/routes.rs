//! The whole server as a function: `GET /healthz`, the OpenAPI documents
//! (`/openapi/<slug>.json`), then the dialect the path and query name ([`customer_wire::Dialect::of`]), then that dialect's pipeline.

use customer_wire::{Dialect, Reply, reply};

use crate::request::into_response;
use crate::{AppState, Request, Response, dialects};

/// The answer when a request's deadline passed before it was handled: `503` with
/// `Retry-After`, in the error shape of the request's dialect (`/healthz` and paths no
/// dialect owns: the server's own shape). The work was stopped; nothing was written that
/// was not already committed.
pub fn deadline_passed(target: &http::Uri) -> Response {
    fault_before_handling(target, &customer_wire::Fault::DeadlineExceeded)
}

/// The answer to a request the server refuses before any dialect has read it (its body
/// is too large or its framing broken, its deadline passed): `fault` in the error shape
/// of the dialect `target` names, or the server's own shape for `/healthz` and paths no
/// dialect owns.
pub fn fault_before_handling(target: &http::Uri, fault: &customer_wire::Fault) -> Response {
    let query = customer_wire::php::Vars::parse(target.query().unwrap_or("").as_bytes());
    // Both EDD versions answer a fault alike, so the default version does not matter.
    let dialect = Dialect::of(target.path(), &query, customer_wire::edd::Version::V2)
        .filter(|_| target.path() != "/healthz");
    into_response(match dialect {
        Some(dialect) => dialect.fault_reply(fault, ""),
        None => reply::site_fault(fault),
    })
}

/// The whole server: one request in, one response out. With the control API on (an
/// admin token), `/__admin/` is served and other requests meet the faults in force and
/// are journaled ([`crate::admin`]); without it, nothing of that is looked at.
pub async fn handle(state: &AppState, request: Request) -> Response {
    match &state.control {
        None => into_response(answer(state, &request).await),
        Some(control) => crate::admin::handle(state, control, request).await,
    }
}

/// The answer of the site and its dialects.
pub(crate) async fn answer(state: &AppState, request: &Request) -> Reply {
    if request.uri.path() == "/healthz" {
        return match state.store.health().await {
            Ok(()) => reply::health(true),
            Err(error) => {
                tracing::warn!(%error, "health check failed");
                reply::health(false)
            }
        };
    }
    if let Some(document) = reply::openapi(request.method.as_str(), request.uri.path()) {
        return document;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_deadline_answers_in_each_dialect_shape() {
        use customer_wire::Fault;
        use http_body_util::BodyExt as _;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = |response: Response| {
            runtime
                .block_on(response.into_body().collect())
                .unwrap()
                .to_bytes()
        };
        let fault = Fault::DeadlineExceeded;
        for (target, expected) in [
            (
                "/wp-json/wc/v3/customers",
                Dialect::WcV3.fault_reply(&fault, ""),
            ),
            (
                "/wc-api/v3/customers/7",
                Dialect::WcLegacyV3.fault_reply(&fault, ""),
            ),
            (
                "/edd-api/v2/customers/",
                Dialect::EddV2.fault_reply(&fault, ""),
            ),
            (
                "/api/v1/customers",
                Dialect::EasycartV1.fault_reply(&fault, ""),
            ),
            ("/healthz", reply::site_fault(&fault)),
        ] {
            let response = deadline_passed(&target.parse().unwrap());
            assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[http::header::RETRY_AFTER], "1");
            assert_eq!(bytes(response), bytes(into_response(expected)), "{target}");
        }
    }
}
