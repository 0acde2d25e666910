//! Easy Digital Downloads API, endpoint `customers` (v1 and v2).
//!
//! EDD's order of checks, each answering at once: WordPress's variable check (form body
//! against query string), the version (`404 Invalid API version!`), the endpoint
//! (`400 Invalid query!`), authentication (`key` + `token`, `401`/`403`), then the
//! parameters and the data. Answers that reach the endpoint carry `request_speed`;
//! "nothing matched" is a `200` with an `error` member, as in EDD.

use std::time::Instant;

use customer_model::{AccountFilter, CustomerFilter, CustomerQuery, SortDirection, SortKey};
use customer_store::{ApiKey, KeyKind, StoreError};
use customer_wire::edd::request::{self, QueryVars};
use customer_wire::edd::{
    self, CustomerLookup, CustomersRequest, EddError, Format, Node, Totals, Version,
};
use customer_wire::php_query::PhpQuery;
use http::StatusCode;
use subtle::ConstantTimeEq;

use crate::{AppState, Request, Response, keys};

/// Stands in for the secret of an unknown key so that an unknown key costs the same
/// token computation and comparison as a wrong token.
const UNKNOWN_KEY_SECRET: &str = "00000000000000000000000000000000";

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, request: Request) -> Response {
    let started = Instant::now();
    let query = PhpQuery::parse(request.query());
    let body = form_body(&request);
    let vars = match QueryVars::merge(&query, body.as_ref()) {
        Ok(vars) => vars,
        Err(error) => return refuse(&error, Format::Json),
    };
    let format = vars.output_format();

    // `?edd-api=` on any URL wins over the pretty path.
    let value = query
        .get_str("edd-api")
        .map(str::to_owned)
        .or_else(|| request::path_value(request.uri.path()))
        .unwrap_or_default();
    let default = Version::from_number(state.site.edd_default_version);
    let version = match request::resolve(&value, default) {
        Ok((version, _endpoint)) => version,
        Err(error) => return refuse(&error, format),
    };

    let key = match authenticate(state, &vars).await {
        Ok(key) => key,
        Err(Refusal::Edd(error)) => return refuse(&error, format),
        Err(Refusal::Store(error)) => return store_failure(&error, format),
    };
    let now = jiff::Timestamp::now();
    // Recording the key's use is a write; the read does not wait for it.
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(error) = store.touch_api_key(key.id, now).await {
            tracing::warn!(%error, "could not record the EDD key's last access");
        }
    });

    let params =
        match request::decode_customers(version, &vars, &now.to_zoned(state.site.timezone.clone()))
        {
            Ok(params) => params,
            Err(error) => return refuse(&error, format),
        };
    match customers(state, &params, started).await {
        Ok(node) => reply(StatusCode::OK, &node, params.format),
        Err(error) => store_failure(&error, params.format),
    }
}

/// Form fields of a POST body (`application/x-www-form-urlencoded`), as PHP's `$_POST`
/// (which PHP fills for POST requests only).
fn form_body(request: &Request) -> Option<PhpQuery> {
    if request.method != http::Method::POST {
        return None;
    }
    let content_type = request.headers.get(http::header::CONTENT_TYPE)?;
    let is_form = content_type
        .to_str()
        .ok()?
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded");
    is_form.then(|| PhpQuery::parse(&String::from_utf8_lossy(&request.body)))
}

/// Why authentication did not let a request through.
enum Refusal {
    Edd(EddError),
    Store(StoreError),
}

/// EDD's checks: both parts present (401), a known public key (403), and a token equal
/// to md5(secret . key), compared in constant time (403).
async fn authenticate(state: &AppState, vars: &QueryVars) -> Result<ApiKey, Refusal> {
    let (key, token) = vars
        .credentials()
        .ok_or(Refusal::Edd(EddError::MissingCredentials))?;
    let found = state
        .store
        .find_api_key(KeyKind::Edd, key)
        .await
        .map_err(Refusal::Store)?;
    let secret = found
        .as_ref()
        .map_or(UNKNOWN_KEY_SECRET, |found| found.secret.as_str());
    let expected = keys::edd_token(secret, key);
    let token_matches: bool = expected.as_bytes().ct_eq(token.as_bytes()).into();
    match found {
        None => Err(Refusal::Edd(EddError::InvalidKey)),
        Some(found) if token_matches => Ok(found),
        Some(_) => Err(Refusal::Edd(EddError::NotAuthenticated)),
    }
}

/// The `customers` answer: the page of customers, or the not-found message.
async fn customers(
    state: &AppState,
    params: &CustomersRequest,
    started: Instant,
) -> Result<Node, StoreError> {
    let not_found = || {
        edd::error_body(
            &edd::not_found_message(params.version, params.customer.as_ref()),
            Some(started.elapsed().as_secs_f64()),
        )
    };
    if params.match_none {
        return Ok(not_found());
    }
    let mut filter = CustomerFilter {
        accounts: AccountFilter::Any,
        created: params.created,
        ..CustomerFilter::default()
    };
    match params.customer.as_ref().map(|c| &c.lookup) {
        None => {}
        Some(CustomerLookup::Id(id)) => filter.include = vec![*id],
        Some(CustomerLookup::UserId(id)) => {
            filter.include = vec![*id];
            filter.accounts = AccountFilter::Registered;
        }
        Some(CustomerLookup::Email(email)) => filter.any_email = Some(email.clone()),
        Some(CustomerLookup::Nothing) => return Ok(not_found()),
    }
    let query = CustomerQuery {
        filter,
        sort: SortKey::Created,
        direction: SortDirection::Descending,
        page: params.page,
    };
    let page = state.store.list_customers(&query).await?;
    if page.items.is_empty() {
        return Ok(not_found());
    }
    let currency = state.site.currency;
    let rows = page.items.iter().map(|record| {
        (
            &record.customer,
            Totals::from_stats(&record.stats, currency),
        )
    });
    Ok(edd::customers_body(
        params.version,
        rows,
        started.elapsed().as_secs_f64(),
    ))
}

fn reply(status: StatusCode, node: &Node, format: Format) -> Response {
    let rendered = edd::render(node, format);
    super::respond(status, rendered.content_type, rendered.text)
}

fn refuse(error: &EddError, format: Format) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    reply(status, &edd::error_body(&error.to_string(), None), format)
}

/// A store failure: 503 when the database is busy or gone, 500 otherwise, in EDD's
/// error shape. The details go to the log, not to the caller.
fn store_failure(error: &StoreError, format: Format) -> Response {
    tracing::error!(%error, "EDD customers request failed in the store");
    let (status, message) = match error {
        StoreError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The customer database is unavailable. Try again shortly.",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The customer database could not answer.",
        ),
    };
    reply(status, &edd::error_body(message, None), format)
}
