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

/// The words that make up the routes of every dialect: a path segment that is one of
/// them, a number or a UUID (ids) is logged as it is; any other segment may be personal
/// data (the legacy `/customers/email/{address}`) and is logged as a placeholder.
const ROUTE_WORDS: &[&str] = &[
    "api",
    "batch",
    "count",
    "customers",
    "downloads",
    "edd-api",
    "email",
    "healthz",
    "orders",
    "v1",
    "v2",
    "v3",
    "wc",
    "wc-api",
    "wp-json",
];

/// The route's template of a path: route words and ids kept, anything else replaced by
/// `{value}`, so that a log line says which route was asked for without personal data.
fn path_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let lower = segment.to_ascii_lowercase();
            let is_id = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
            if segment.is_empty()
                || is_id
                || ROUTE_WORDS.contains(&lower.as_str())
                || uuid::Uuid::try_parse(segment).is_ok()
            {
                segment
            } else {
                "{value}"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the request log shows of a request's target at `info`: the template of its path
/// and of the routes WordPress reads from the query (`?rest_route=`, `?edd-api=`). The
/// rest of the query is never logged: it may carry keys and signatures.
pub fn log_template(request: &Request) -> String {
    let mut template = path_template(request.uri.path());
    for (name, value) in form_urlencoded::parse(request.query().as_bytes()) {
        if name == "rest_route" || name == "edd-api" {
            template.push_str(if template.contains('?') { "&" } else { "?" });
            template.push_str(&name);
            template.push('=');
            template.push_str(&path_template(&value));
        }
    }
    template
}

/// The answer when a request's deadline passed before it was handled: `503` with
/// `Retry-After`, in the error shape of the request's dialect (the work was stopped;
/// nothing was written that was not already committed).
pub fn deadline_passed(family: Option<Family>) -> Response {
    use customer_wire::{wc_legacy::LegacyError, wc_rest::errors::RestError};
    const MESSAGE: &str = "The request took longer than the server allows. Try again shortly.";
    let body = match family {
        Some(Family::Health) => serde_json::json!({ "status": "unavailable" }),
        Some(Family::WcRest) => {
            RestError::new(503, "woocommerce_rest_request_timeout", MESSAGE).to_json()
        }
        Some(Family::WcLegacy) => {
            LegacyError::new(503, "woocommerce_api_request_timeout", MESSAGE).body()
        }
        Some(Family::Edd) => serde_json::json!({ "error": MESSAGE }),
        Some(Family::Easycart) => serde_json::json!({ "message": MESSAGE }),
        None => serde_json::json!({ "code": "request_timeout", "message": MESSAGE }),
    };
    let mut response = respond(
        StatusCode::SERVICE_UNAVAILABLE,
        "application/json; charset=UTF-8",
        body.to_string(),
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    response
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

#[cfg(test)]
mod tests {
    use super::*;

    fn template(target: &str) -> String {
        log_template(&Request::get(target))
    }

    #[test]
    fn log_templates_keep_routes_and_ids_but_no_personal_data() {
        assert_eq!(
            template("/wc-api/v3/customers/email/john%40example.com?consumer_key=ck_1"),
            "/wc-api/v3/customers/email/{value}"
        );
        assert_eq!(
            template("/wp-json/wc/v3/customers/42/downloads"),
            "/wp-json/wc/v3/customers/42/downloads"
        );
        assert_eq!(
            template("/api/v1/customers/550e8400-e29b-41d4-a716-446655440010"),
            "/api/v1/customers/550e8400-e29b-41d4-a716-446655440010"
        );
        assert_eq!(
            template("/?rest_route=/wc/v3/customers/7&oauth_signature=x"),
            "/?rest_route=/wc/v3/customers/7"
        );
        assert_eq!(
            template("/index.php?edd-api=customers&customer=jane@example.com"),
            "/{value}?edd-api=customers"
        );
        assert_eq!(template("/jane.doe@example.com"), "/{value}");
    }

    #[test]
    fn a_passed_deadline_answers_in_each_dialect_shape() {
        use http_body_util::BodyExt as _;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let body = |family| {
            let response = deadline_passed(family);
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[http::header::RETRY_AFTER], "1");
            let bytes = runtime
                .block_on(response.into_body().collect())
                .unwrap()
                .to_bytes();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        assert_eq!(
            body(Some(Family::WcRest))["data"]["status"],
            serde_json::json!(503)
        );
        assert_eq!(
            body(Some(Family::WcLegacy))["errors"][0]["code"],
            "woocommerce_api_request_timeout"
        );
        assert!(body(Some(Family::Edd))["error"].is_string());
        assert!(body(Some(Family::Easycart))["message"].is_string());
        assert_eq!(body(Some(Family::Health))["status"], "unavailable");
    }
}
