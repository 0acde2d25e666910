//! easycart API v1: `GET /api/v1/customers`, `GET /api/v1/customers/{id}`,
//! `GET /api/v1/store`: the pipeline.
//!
//! Precedence follows the original's Laravel stack: the route (404) and the method (405)
//! are matched first, then the bearer token (401), then the customer named in the path
//! (404), then the query parameters (400). Bodies come from [`customer_wire::easycart`].

use customer_model::{Customer, PageRequest};
use customer_store::KeyKind;
use customer_wire::easycart::decode::{self, GetRequest, ListRequest, Route};
use customer_wire::easycart::encode::{self, Access, Details};
use customer_wire::easycart::errors::ApiError;
use customer_wire::request::Incoming;
use customer_wire::{Fault, Reply};

use crate::AppState;
use crate::fault::Faulted;
use crate::keys::bearer_lookup;

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, incoming: &Incoming<'_>) -> Reply {
    answer(state, incoming)
        .await
        .unwrap_or_else(|error| error.reply())
}

async fn answer(state: &AppState, incoming: &Incoming<'_>) -> Result<Reply, ApiError> {
    let route = decode::route(incoming)?;
    authenticate(state, incoming).await?;
    match route {
        Route::List => list(state, incoming).await,
        Route::One(id) => one(state, incoming, id).await,
        Route::Store => {
            let currencies = state.store.currencies().await.faulted()?;
            Ok(encode::ok(encode::encode_store(
                &currencies,
                state.site.currency,
            )))
        }
    }
}

/// Checks the bearer token against the live bearer keys.
async fn authenticate(state: &AppState, incoming: &Incoming<'_>) -> Result<(), ApiError> {
    let token = decode::bearer_token(&incoming.headers)?;
    match state
        .keys
        .find(KeyKind::Bearer, &bearer_lookup(token))
        .await
        .faulted()?
    {
        Some(_) => Ok(()),
        None => Err(ApiError::unauthenticated()),
    }
}

async fn list(state: &AppState, incoming: &Incoming<'_>) -> Result<Reply, ApiError> {
    let request = ListRequest::decode(&incoming.query)?;
    let timezone = &state.site.timezone;
    let product = match request.product {
        None => None,
        Some(uuid) => match state.store.product_by_uuid(uuid).await.faulted() {
            Ok(product) => Some(product.id),
            // A well-formed UUID that names no product: nobody bought it.
            Err(Fault::NotFound { .. }) => {
                return Ok(encode::list_reply([], 0, &request, timezone));
            }
            Err(fault) => return Err(fault.into()),
        },
    };
    let page = state
        .store
        .list_customers_without_addresses(&request.customer_query(timezone, product))
        .await
        .faulted()?;
    let rows = page
        .items
        .iter()
        .map(|record| (&record.customer, &record.stats));
    Ok(encode::list_reply(rows, page.total, &request, timezone))
}

async fn one(state: &AppState, incoming: &Incoming<'_>, id: &str) -> Result<Reply, ApiError> {
    let uuid = decode::parse_uuid(id).ok_or_else(ApiError::customer_not_found)?;
    let customer = match state.store.customer_by_uuid(uuid).await.faulted() {
        Ok(customer) => customer,
        Err(Fault::NotFound { .. }) => return Err(ApiError::customer_not_found()),
        Err(fault) => return Err(fault.into()),
    };
    let request = GetRequest::decode(&incoming.query)?;
    let stats = state.store.customer_stats(customer.id).await.faulted()?;
    let details = details(state, &customer, &request).await?;
    let body = details.encode(&customer, &stats, &request, &state.site.timezone);
    Ok(encode::ok(body))
}

/// What `include` needs from the store, loaded once per request.
async fn details(
    state: &AppState,
    customer: &Customer,
    request: &GetRequest,
) -> Result<Details, Fault> {
    let store = &state.store;
    let mut details = Details::default();
    if request.include.orders {
        let all = PageRequest {
            offset: 0,
            limit: None,
        };
        let orders = store.customer_orders(customer.id, all).await.faulted()?;
        details.keep_orders(orders.items, request.currency);
    }
    if request.include.subscriptions {
        details.subscriptions = Some(store.customer_subscriptions(customer.id).await.faulted()?);
    }
    if request.include.access {
        let downloads = store.customer_downloads(customer.id).await.faulted()?;
        details.access = Some(
            downloads
                .into_iter()
                .map(|download| Access {
                    grant: download.grant,
                    product_name: download.product_name,
                    file: download.file,
                    order: download.order_uuid,
                })
                .collect(),
        );
    }
    for id in details.product_ids() {
        match store.product(id).await.faulted() {
            Ok(product) => {
                details.product_uuids.insert(id, product.uuid);
            }
            // A line may name a product deleted since: it shows as null.
            Err(Fault::NotFound { .. }) => {}
            Err(fault) => return Err(fault),
        }
    }
    Ok(details)
}
