//! easycart API v1: `GET /api/v1/customers`, `GET /api/v1/customers/{id}`,
//! `GET /api/v1/store`.
//!
//! Precedence follows the original's Laravel stack: the route (404) and the method (405)
//! are matched first, then the bearer token (401), then the customer named in the path
//! (404), then the query parameters (400). Bodies come from [`customer_wire::easycart`].

use std::collections::HashMap;

use customer_model::{Currency, Customer, CustomerStats, ProductId, Uuid};
use customer_store::{KeyKind, StoreError};
use customer_wire::easycart::{
    self as wire, AccessView, ApiError, GetRequest, Included, ListRequest, OrderView,
    SubscriptionView,
};
use customer_wire::php_query::PhpQuery;
use http::{Method, StatusCode, header};

use crate::keys::bearer_lookup;
use crate::{AppState, Request, Response};

/// The methods every route answers (Laravel answers HEAD wherever it answers GET).
const ALLOWED: &str = "GET, HEAD";

/// The routes of the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    /// `/api/v1/customers`
    List,
    /// `/api/v1/customers/{id}`, with the id as sent.
    One(&'a str),
    /// `/api/v1/store`
    Store,
}

/// The route of `path`; a trailing slash is ignored, as Laravel ignores it.
fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/api/v1/")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["customers"] => Some(Route::List),
        ["customers", id] if !id.is_empty() => Some(Route::One(id)),
        ["store"] => Some(Route::Store),
        _ => None,
    }
}

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, request: Request) -> Response {
    let path = request.uri.path();
    let Some(route) = route(path) else {
        return error(&ApiError::route_not_found(path));
    };
    if request.method != Method::GET && request.method != Method::HEAD {
        let mut response = error(&ApiError::method_not_allowed(
            request.method.as_str(),
            path,
            ALLOWED,
        ));
        response
            .headers_mut()
            .insert(header::ALLOW, http::HeaderValue::from_static(ALLOWED));
        return response;
    }
    let answer = match authenticate(state, &request).await {
        Ok(()) => {
            let query = PhpQuery::parse(request.query());
            match route {
                Route::List => list(state, &query).await,
                Route::One(id) => one(state, id, &query).await,
                Route::Store => store_info(state).await,
            }
        }
        Err(failure) => Err(failure),
    };
    match answer {
        Ok(body) => super::respond(StatusCode::OK, CONTENT_TYPE, body.to_string()),
        Err(failure) => error(&failure),
    }
}

const CONTENT_TYPE: &str = "application/json";

fn error(failure: &ApiError) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = super::respond(status, CONTENT_TYPE, failure.body());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// A store failure as the dialect's 500 (or 503 when the database is unavailable); the
/// cause goes to the log only.
fn store_failure(failure: StoreError) -> ApiError {
    tracing::error!(error = %failure, "easycart: store failure");
    match failure {
        StoreError::Unavailable(_) => ApiError {
            status: 503,
            message: "Service Unavailable".to_owned(),
        },
        _ => ApiError::server_error(),
    }
}

/// Checks `Authorization: Bearer <token>` (scheme in any letter case) against the live
/// bearer keys.
async fn authenticate(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let token = request
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|token| !token.is_empty())
        })
        .ok_or_else(ApiError::unauthenticated)?;
    match state
        .store
        .find_api_key(KeyKind::Bearer, &bearer_lookup(token))
        .await
    {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ApiError::unauthenticated()),
        Err(failure) => Err(store_failure(failure)),
    }
}

async fn list(state: &AppState, query: &PhpQuery) -> Result<serde_json::Value, ApiError> {
    let request = ListRequest::decode(query)?;
    let timezone = &state.site.timezone;
    let product = match request.product {
        None => None,
        Some(uuid) => match state.store.product_by_uuid(uuid).await {
            Ok(product) => Some(product.id),
            // A well-formed UUID that names no product: nobody bought it.
            Err(StoreError::NotFound { .. }) => {
                return Ok(wire::encode_list([], 0, &request, timezone));
            }
            Err(failure) => return Err(store_failure(failure)),
        },
    };
    let page = state
        .store
        .list_customers(&request.customer_query(timezone, product))
        .await
        .map_err(store_failure)?;
    Ok(wire::encode_list(
        page.items.iter().map(|r| (&r.customer, &r.stats)),
        page.total,
        &request,
        timezone,
    ))
}

async fn one(state: &AppState, id: &str, query: &PhpQuery) -> Result<serde_json::Value, ApiError> {
    let uuid = wire::parse_uuid(id).ok_or_else(ApiError::customer_not_found)?;
    let customer = match state.store.customer_by_uuid(uuid).await {
        Ok(customer) => customer,
        Err(StoreError::NotFound { .. }) => return Err(ApiError::customer_not_found()),
        Err(failure) => return Err(store_failure(failure)),
    };
    let request = GetRequest::decode(query)?;
    let stats = state
        .store
        .customer_stats(customer.id)
        .await
        .map_err(store_failure)?;
    Details::load(state, &customer, request.currency, request.include)
        .await
        .map(|details| {
            details.encode(
                &customer,
                &stats,
                request.currency,
                request.include.ltv,
                &state.site.timezone,
            )
        })
        .map_err(store_failure)
}

/// What `include` needs from the store, loaded once per request.
#[derive(Default)]
struct Details {
    orders: Option<Vec<customer_model::Order>>,
    subscriptions: Option<Vec<customer_model::Subscription>>,
    access: Option<Vec<customer_store::CustomerDownload>>,
    product_uuids: HashMap<ProductId, Uuid>,
}

impl Details {
    async fn load(
        state: &AppState,
        customer: &Customer,
        currency: Currency,
        include: wire::Includes,
    ) -> Result<Self, StoreError> {
        let store = &state.store;
        let mut details = Self::default();
        let mut products = Vec::new();
        if include.orders {
            let all = store
                .customer_orders(
                    customer.id,
                    customer_model::PageRequest {
                        offset: 0,
                        limit: None,
                    },
                )
                .await?;
            let orders: Vec<_> = all
                .items
                .into_iter()
                .filter(|order| order.currency == currency)
                .collect();
            products.extend(
                orders
                    .iter()
                    .flat_map(|o| o.line_items.iter().filter_map(|l| l.product_id)),
            );
            details.orders = Some(orders);
        }
        if include.subscriptions {
            let subscriptions = store.customer_subscriptions(customer.id).await?;
            products.extend(subscriptions.iter().map(|s| s.product_id));
            details.subscriptions = Some(subscriptions);
        }
        if include.access {
            let access = store.customer_downloads(customer.id).await?;
            products.extend(access.iter().map(|a| a.grant.product_id));
            details.access = Some(access);
        }
        for id in products {
            if details.product_uuids.contains_key(&id) {
                continue;
            }
            match store.product(id).await {
                Ok(product) => {
                    details.product_uuids.insert(id, product.uuid);
                }
                // A line may name a product deleted since: it shows as null.
                Err(StoreError::NotFound { .. }) => {}
                Err(failure) => return Err(failure),
            }
        }
        Ok(details)
    }

    fn encode(
        &self,
        customer: &Customer,
        stats: &CustomerStats,
        currency: Currency,
        ltv: bool,
        timezone: &jiff::tz::TimeZone,
    ) -> serde_json::Value {
        let uuid_of = |id: ProductId| self.product_uuids.get(&id).copied();
        let line_products: Vec<Vec<Option<Uuid>>> = self
            .orders
            .iter()
            .flatten()
            .map(|order| {
                order
                    .line_items
                    .iter()
                    .map(|line| line.product_id.and_then(uuid_of))
                    .collect()
            })
            .collect();
        let included = Included {
            orders: self.orders.as_ref().map(|orders| {
                orders
                    .iter()
                    .zip(&line_products)
                    .map(|(order, lines)| OrderView {
                        order,
                        line_products: lines,
                    })
                    .collect()
            }),
            subscriptions: self.subscriptions.as_ref().map(|subscriptions| {
                subscriptions
                    .iter()
                    .map(|subscription| SubscriptionView {
                        subscription,
                        product: uuid_of(subscription.product_id).unwrap_or(Uuid::nil()),
                    })
                    .collect()
            }),
            access: self.access.as_ref().map(|access| {
                access
                    .iter()
                    .map(|download| AccessView {
                        grant: &download.grant,
                        product: uuid_of(download.grant.product_id).unwrap_or(Uuid::nil()),
                        product_name: &download.product_name,
                        file: &download.file,
                        order: download.order_uuid,
                    })
                    .collect()
            }),
            ltv,
        };
        wire::encode_detail(customer, stats, currency, &included, timezone)
    }
}

async fn store_info(state: &AppState) -> Result<serde_json::Value, ApiError> {
    let currencies = state.store.currencies().await.map_err(store_failure)?;
    Ok(wire::encode_store(&currencies, state.site.currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_ignore_a_trailing_slash() {
        assert_eq!(route("/api/v1/customers"), Some(Route::List));
        assert_eq!(route("/api/v1/customers/"), Some(Route::List));
        assert_eq!(route("/api/v1/customers/abc"), Some(Route::One("abc")));
        assert_eq!(route("/api/v1/store/"), Some(Route::Store));
        assert_eq!(route("/api/v1/customers/abc/orders"), None);
        assert_eq!(route("/api/v1/customers//"), None);
        assert_eq!(route("/api/v1"), None);
    }
}
