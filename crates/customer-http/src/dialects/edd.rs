//! Easy Digital Downloads API, endpoint `customers` (v1 and v2): the pipeline.
//!
//! EDD's order of checks, each answering at once: WordPress's variable check (form body
//! against query string), the version (`404 Invalid API version!`), the endpoint
//! (`400 Invalid query!`), authentication (`key` + `token`, `401`/`403`), then the
//! parameters and the data. Answers that reach the endpoint carry `request_speed`;
//! "nothing matched" is a `200` with an `error` member, as in EDD.

use std::time::Instant;

use customer_store::{ApiKey, KeyKind};
use customer_wire::edd::decode::EddRequest;
use customer_wire::edd::encode;
use customer_wire::edd::errors::EddError;
use customer_wire::php::hash_equals;
use customer_wire::request::Incoming;
use customer_wire::{Fault, Reply};

use crate::fault::Faulted;
use crate::{AppState, keys};

/// Stands in for the secret of an unknown key so that an unknown key costs the same
/// token computation and comparison as a wrong token.
const UNKNOWN_KEY_SECRET: &str = "00000000000000000000000000000000";

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, incoming: &Incoming<'_>) -> Reply {
    let started = Instant::now();
    let request = match EddRequest::read(incoming, state.site.edd_version()) {
        Ok(request) => request,
        Err((error, format)) => return encode::refusal(&error, format),
    };
    let key = match authenticate(state, &request).await {
        Ok(key) => key,
        Err(Refused::Edd(error)) => return encode::refusal(&error, request.format),
        Err(Refused::Fault(fault)) => return encode::fault_reply(&fault, request.format),
    };
    let now = state.store.clock().now();
    // Recording the key's use is a write; it is batched in the background.
    state.keys.record_use(key.id, now);
    let customers = match request.customers(&now.to_zoned(state.site.timezone.clone())) {
        Ok(customers) => customers,
        Err(error) => return encode::refusal(&error, request.format),
    };
    let Some(query) = customers.query() else {
        return encode::not_found_reply(&customers, started.elapsed().as_secs_f64());
    };
    match state
        .store
        .list_customers_without_addresses(&query)
        .await
        .faulted()
    {
        Ok(page) if page.items.is_empty() => {
            encode::not_found_reply(&customers, started.elapsed().as_secs_f64())
        }
        Ok(page) => encode::customers_reply(
            &customers,
            page.items
                .iter()
                .map(|record| (&record.customer, &record.stats)),
            state.site.currency,
            started.elapsed().as_secs_f64(),
        ),
        Err(fault) => encode::fault_reply(&fault, customers.format),
    }
}

/// Why authentication did not let a request through.
enum Refused {
    Edd(EddError),
    Fault(Fault),
}

/// EDD's checks: both parts present (401), a known public key (403), and a token equal
/// to md5(secret . key), compared in constant time (403).
async fn authenticate(state: &AppState, request: &EddRequest) -> Result<ApiKey, Refused> {
    let (key, token) = request
        .credentials()
        .ok_or(Refused::Edd(EddError::MissingCredentials))?;
    let found = state
        .keys
        .find(KeyKind::Edd, key)
        .await
        .faulted()
        .map_err(Refused::Fault)?;
    let secret = found
        .as_ref()
        .map_or(UNKNOWN_KEY_SECRET, |found| found.secret.as_str());
    let token_matches = hash_equals(keys::edd_token(secret, key).as_bytes(), token.as_bytes());
    match found {
        None => Err(Refused::Edd(EddError::InvalidKey)),
        Some(found) if token_matches => Ok(found),
        Some(_) => Err(Refused::Edd(EddError::NotAuthenticated)),
    }
}
