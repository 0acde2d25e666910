//! WooCommerce REST customers, `wc/v2` and `wc/v3`: the request pipeline.
//!
//! The order of checks is WordPress's, because it decides which error a client sees:
//! method override → authentication → key scope → `OPTIONS` → route and method →
//! JSON body → required arguments → argument validation → permission → handler →
//! `_fields`/`_envelope` and headers. Handlers live in [`operations`]; the response
//! dressing (headers, `_fields`, `_envelope`, HEAD) in [`reply`].

mod operations;
mod reply;

use customer_wire::php_query::PhpQuery;
use customer_wire::wc_rest::errors::RestError;
use customer_wire::wc_rest::route::{Endpoint, RestRoute, parse_route};
use customer_wire::wc_rest::values::{Params, params_from_query};
use http::Method;

use crate::woo_auth::{self, Flavor, WooCaller};
use crate::{AppState, Request, Response};

use reply::Reply;

/// What every step of one request shares.
pub(crate) struct Call<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) caller: WooCaller,
    pub(crate) route: RestRoute,
    /// The method after `_method` / `X-HTTP-Method-Override`.
    pub(crate) method: Method,
    /// Query parameters merged with body parameters (the body wins).
    pub(crate) params: Params,
    /// The home URL with the request's scheme.
    pub(crate) home_url: String,
}

impl Call<'_> {
    pub(crate) fn authenticated(&self) -> bool {
        matches!(self.caller, WooCaller::Key(_))
    }
}

/// The REST route a request names: the `rest_route` query value, or the path after
/// `/wp-json`.
fn rest_route_of(request: &Request, query: &PhpQuery) -> Option<String> {
    if let Some(route) = query.get_str("rest_route") {
        return Some(route.to_owned());
    }
    let path = request.uri.path();
    let prefix = "/wp-json";
    path.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| path[prefix.len()..].to_owned())
}

fn home_url(state: &AppState, request: &Request) -> String {
    let site = state.site.site_url.trim_end_matches('/');
    if woo_auth::is_https(state, request) {
        if let Some(rest) = site.strip_prefix("http://") {
            return format!("https://{rest}");
        }
    }
    site.to_owned()
}

/// Body parameters: JSON for a JSON content type, a form for form posts (and for other
/// methods without a content type, as WordPress parses them).
fn body_params(request: &Request, method: &Method) -> Result<Params, RestError> {
    if request.body.is_empty() {
        return Ok(Params::new());
    }
    let content_type = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some(ct) if ct == "application/json" || ct.ends_with("+json") => {
            match serde_json::from_slice::<serde_json::Value>(&request.body) {
                Ok(serde_json::Value::Object(map)) => Ok(map),
                Ok(_) => Ok(Params::new()),
                Err(_) => Err(RestError::invalid_json()),
            }
        }
        Some("application/x-www-form-urlencoded") => Ok(form(request)),
        None if *method != Method::POST => Ok(form(request)),
        _ => Ok(Params::new()),
    }
}

fn form(request: &Request) -> Params {
    params_from_query(&PhpQuery::parse(&String::from_utf8_lossy(&request.body)))
}

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, request: Request) -> Response {
    let query = PhpQuery::parse(request.query());
    let method = woo_auth::effective_method(&request, Flavor::Rest);
    let overridden = method != request.method;
    let head = method == Method::HEAD;
    let home = home_url(state, &request);
    let route_text = rest_route_of(&request, &query).unwrap_or_default();
    let reply = pipeline(state, &request, &query, method, route_text, home.clone()).await;
    reply.into_response(&request, &query, &home, head, overridden)
}

async fn pipeline(
    state: &AppState,
    request: &Request,
    query: &PhpQuery,
    method: Method,
    route_text: String,
    home_url: String,
) -> Reply {
    // WooCommerce only authenticates pretty-permalink requests (`…/wp-json/wc/…`); the
    // `?rest_route=` form reaches the API anonymously.
    let pretty = request
        .uri
        .path()
        .to_ascii_lowercase()
        .contains("wp-json/wc");
    let caller = if pretty {
        match woo_auth::authenticate(state, request, Flavor::Rest).await {
            Ok(caller) => caller,
            Err(error) => {
                return Reply::error(RestError::new(error.status, error.code, error.message));
            }
        }
    } else {
        WooCaller::Anonymous
    };
    let authenticated = matches!(caller, WooCaller::Key(_));
    if let Err(error) = woo_auth::authorize(state, &caller, &method, Flavor::Rest).await {
        return Reply::error(RestError::new(error.status, error.code, error.message))
            .authenticated(true);
    }
    let route = parse_route(&route_text);
    if method == Method::OPTIONS {
        return match route {
            Some(route) => reply::options(route, &home_url, authenticated),
            None => Reply::error(RestError::no_route()).authenticated(authenticated),
        };
    }
    let Some(route) = route.filter(|r| r.endpoint.accepts(method.as_str())) else {
        return Reply::error(RestError::no_route()).authenticated(authenticated);
    };
    let mut params = params_from_query(query);
    match body_params(request, &method) {
        Ok(body) => params.extend(body),
        Err(error) => {
            return Reply::error(error)
                .authenticated(authenticated)
                .allow(route, authenticated);
        }
    }
    let call = Call {
        state,
        caller,
        route,
        method,
        params,
        home_url,
    };
    let reply = match route.endpoint {
        Endpoint::Collection if call.method == Method::POST => operations::create(&call).await,
        Endpoint::Collection => operations::list(&call).await,
        Endpoint::Item(id) if call.method == Method::DELETE => operations::delete(&call, id).await,
        Endpoint::Item(id) if matches!(call.method, Method::GET | Method::HEAD) => {
            operations::retrieve(&call, id).await
        }
        Endpoint::Item(id) => operations::update(&call, id).await,
        Endpoint::Batch => operations::batch(&call).await,
        Endpoint::Downloads(id) => operations::downloads(&call, id).await,
    };
    reply
        .authenticated(authenticated)
        .allow(route, authenticated)
}
