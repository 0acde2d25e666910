//! The WooCommerce legacy REST API v3 (`/wc-api/v3/customers…`).
//!
//! Order of work per request, as the original server does it: method override
//! (`_method`, then `X-HTTP-Method-Override`), authentication with the key's read/write
//! scope, the method check, route matching, then the handler's own checks. Bodies and
//! headers come from [`customer_wire::wc_legacy`]; this module only routes and calls the
//! store. `_jsonp` wraps any body; an invalid callback is refused before anything runs,
//! so that such a request writes nothing.

use customer_model::{Customer, CustomerId, CustomerPatch, Email, NewCustomer, Role};
use customer_store::{CustomerRecord, StoreError};
use customer_wire::php_query::PhpQuery;
use customer_wire::wc_legacy::{self as wire, Action, LegacyError, LinkBase};
use customer_wire::woo_common;
use http::{HeaderValue, Method, StatusCode};
use serde_json::Value;

use crate::woo_auth::{self, Flavor};
use crate::{AppState, Request, Response};

const JSON_TYPE: &str = "application/json; charset=UTF-8";
const JSONP_TYPE: &str = "application/javascript; charset=UTF-8";
/// How many random suffixes a generated username gets before the clash is reported.
const USERNAME_ATTEMPTS: usize = 5;

/// A successful (or per-item failed) answer before framing.
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    fn error(error: &LegacyError) -> Self {
        Self {
            status: error.status,
            body: error.body(),
            headers: Vec::new(),
        }
    }
}

type Outcome = Result<Reply, LegacyError>;

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, request: Request) -> Response {
    let query = PhpQuery::parse(request.query());
    let method = effective_method(&request, &query);
    let head = method == "HEAD";
    let jsonp = query
        .get("_jsonp")
        .map(|value| value.as_str().map(str::to_owned));
    if let Some(callback) = &jsonp
        && !callback
            .as_deref()
            .is_some_and(wire::is_valid_jsonp_callback)
    {
        let body = wire::jsonp_callback_invalid_body().to_string();
        return frame(
            400,
            JSONP_TYPE,
            if head { String::new() } else { body },
            &[],
        );
    }
    let reply = serve(state, &request, &query, &method)
        .await
        .unwrap_or_else(|error| Reply::error(&error));
    let json = reply.body.to_string();
    let (content_type, body) = match jsonp.flatten() {
        Some(callback) => (JSONP_TYPE, wire::jsonp_wrap(&callback, &json)),
        None => (JSON_TYPE, json),
    };
    let mut headers = reply.headers;
    if content_type == JSONP_TYPE {
        headers.push(("X-Content-Type-Options", "nosniff".to_owned()));
    }
    frame(
        reply.status,
        content_type,
        if head { String::new() } else { body },
        &headers,
    )
}

fn frame(
    status: u16,
    content_type: &str,
    body: String,
    headers: &[(&'static str, String)],
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = super::respond(status, content_type, body);
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().append(*name, value);
        }
    }
    response
}

/// The method the original dispatches on: `_method` from the query wins over the
/// `X-HTTP-Method-Override` header; both are cleaned like `sanitize_key` and upper-cased.
fn effective_method(request: &Request, query: &PhpQuery) -> String {
    let overridden = query.get_str("_method").map(str::to_owned).or_else(|| {
        request
            .headers
            .get("x-http-method-override")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match overridden {
        Some(raw) => raw
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .collect::<String>()
            .to_ascii_uppercase(),
        None => request.method.as_str().to_owned(),
    }
}

/// The routes of the customers resource.
enum Route {
    Customers,
    Count,
    Customer(String),
    ByEmail(String),
    Orders(String),
    Downloads(String),
    Bulk,
}

/// What a method may reach: the original's READABLE, CREATABLE, EDITABLE, DELETABLE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Read,
    Post,
    Put,
    Delete,
}

fn route(path: &str) -> Option<Route> {
    let lower = path.to_ascii_lowercase();
    let rest = lower.strip_prefix("/wc-api/v3")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    // Routes are matched against the url-decoded path, without its trailing slash.
    let original_rest = &path[path.len() - rest.len()..];
    let decoded = percent_encoding::percent_decode_str(original_rest).decode_utf8_lossy();
    let decoded = decoded.trim_end_matches('/');
    let segments: Vec<&str> = decoded.split('/').skip(1).collect();
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let first = segments.first()?;
    if !first.eq_ignore_ascii_case("customers") {
        return None;
    }
    let lower_at = |i: usize| segments.get(i).map(|s| s.to_ascii_lowercase());
    match segments.len() {
        1 => Some(Route::Customers),
        2 if lower_at(1).as_deref() == Some("count") => Some(Route::Count),
        2 if lower_at(1).as_deref() == Some("bulk") => Some(Route::Bulk),
        2 if is_id(segments[1]) => Some(Route::Customer(segments[1].to_owned())),
        3 if is_id(segments[1]) && lower_at(2).as_deref() == Some("orders") => {
            Some(Route::Orders(segments[1].to_owned()))
        }
        3 if is_id(segments[1]) && lower_at(2).as_deref() == Some("downloads") => {
            Some(Route::Downloads(segments[1].to_owned()))
        }
        n if n >= 3 && lower_at(1).as_deref() == Some("email") => {
            Some(Route::ByEmail(segments[2..].join("/")))
        }
        _ => None,
    }
}

async fn serve(state: &AppState, request: &Request, query: &PhpQuery, method: &str) -> Outcome {
    let scope_method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let authorized = match woo_auth::authenticate(state, request, Flavor::Legacy).await {
        Ok(caller) => woo_auth::authorize(state, &caller, &scope_method, Flavor::Legacy).await,
        Err(error) => Err(error),
    };
    if let Err(error) = authorized {
        let mut reply = Reply::error(&LegacyError::new(
            error.status,
            error.code,
            error.message.clone(),
        ));
        if let Some(challenge) = error.www_authenticate() {
            reply
                .headers
                .push(("WWW-Authenticate", challenge.to_owned()));
        }
        return Ok(reply);
    }
    let verb = match method {
        "HEAD" | "GET" => Verb::Read,
        "POST" => Verb::Post,
        "PUT" | "PATCH" => Verb::Put,
        "DELETE" => Verb::Delete,
        _ => return Err(LegacyError::unsupported_method()),
    };
    let route = route(request.uri.path()).ok_or_else(LegacyError::no_route)?;
    // Query arguments override route captures of the same name, and every argument is
    // url-decoded once more.
    let id_of = |captured: String| {
        wire::php_urldecode(query.get_str("id").map_or(captured.as_str(), |id| id))
    };
    let fields = query
        .get_str("fields")
        .map(wire::php_urldecode)
        .unwrap_or_default();
    match (route, verb) {
        (Route::Customers, Verb::Read) => list(state, request, query, &fields).await,
        (Route::Customers, Verb::Post) => {
            let body = wire::parse_body(&request.body);
            let payload = wire::customer_payload(&body, Action::Create)?;
            let object = create(state, payload).await?;
            Ok(Reply {
                status: 201,
                ..Reply::ok(wire::customer_envelope(object))
            })
        }
        (Route::Count, Verb::Read) => count(state, query).await,
        (Route::Customer(id), Verb::Read) => {
            let (customer, stats) = registered(state, &id_of(id)).await?;
            let mut object = wire::customer(&customer, &stats);
            wire::filter_fields(&mut object, &fields);
            Ok(Reply::ok(wire::customer_envelope(object)))
        }
        (Route::Customer(id), Verb::Post | Verb::Put) => {
            let body = wire::parse_body(&request.body);
            let payload = wire::customer_payload(&body, Action::Edit)?;
            let object = edit(state, &id_of(id), payload).await?;
            Ok(Reply::ok(wire::customer_envelope(object)))
        }
        (Route::Customer(id), Verb::Delete) => {
            let (customer, _) = registered(state, &id_of(id)).await?;
            state
                .store
                .delete_customer(customer.id)
                .await
                .map_err(|error| {
                    tracing::warn!(%error, "deleting a customer failed");
                    LegacyError::new(
                        500,
                        "woocommerce_api_cannot_delete_customer",
                        "The customer cannot be deleted",
                    )
                })?;
            Ok(Reply::ok(wire::deleted_body()))
        }
        (Route::ByEmail(captured), Verb::Read) => {
            let email = wire::php_urldecode(query.get_str("email").unwrap_or(&captured));
            let (customer, stats) = by_email(state, &email).await?;
            let mut object = wire::customer(&customer, &stats);
            wire::filter_fields(&mut object, &fields);
            Ok(Reply::ok(wire::customer_envelope(object)))
        }
        (Route::Orders(id), Verb::Read) => orders(state, request, query, &id_of(id), &fields).await,
        (Route::Downloads(id), Verb::Read) => downloads(state, &id_of(id)).await,
        (Route::Bulk, Verb::Post | Verb::Put) => bulk(state, request).await,
        _ => Err(LegacyError::no_route()),
    }
}

fn store_error(error: StoreError) -> LegacyError {
    match error {
        StoreError::NotFound { .. } => LegacyError::invalid_customer(),
        StoreError::Conflict { field: "email" } => LegacyError::email_exists(),
        StoreError::Conflict { field: "username" } => LegacyError::username_exists(),
        StoreError::Invalid { field, reason } => LegacyError::invalid_data(&field, &reason),
        other => {
            tracing::warn!(error = %other, "store failure on wc-api/v3");
            LegacyError::internal()
        }
    }
}

/// The registered customer with the id argument, checked as the original's
/// `validate_request`: a zero id, then an unknown user (guests are not users).
async fn registered(
    state: &AppState,
    raw_id: &str,
) -> Result<(Customer, customer_model::CustomerStats), LegacyError> {
    let id = wire::php_absint(raw_id);
    if id == 0 {
        return Err(LegacyError::invalid_customer_id());
    }
    let id = CustomerId(i64::try_from(id).map_err(|_| LegacyError::invalid_customer())?);
    let customer = state.store.customer(id).await.map_err(store_error)?;
    if customer.account.is_none() {
        return Err(LegacyError::invalid_customer());
    }
    let stats = state.store.customer_stats(id).await.map_err(store_error)?;
    Ok((customer, stats))
}

async fn by_email(
    state: &AppState,
    raw: &str,
) -> Result<(Customer, customer_model::CustomerStats), LegacyError> {
    let email = Email::parse(raw).map_err(|_| LegacyError::invalid_customer_email())?;
    let customer = match state.store.customer_by_email(email.as_str()).await {
        Ok(customer) => customer,
        Err(StoreError::NotFound { .. }) => return Err(LegacyError::invalid_customer_email()),
        Err(other) => return Err(store_error(other)),
    };
    // WordPress looks at the user's own address only: not at guests, not at extra ones.
    if customer.account.is_none() || customer.email.folded() != email.folded() {
        return Err(LegacyError::invalid_customer_email());
    }
    let stats = state
        .store
        .customer_stats(customer.id)
        .await
        .map_err(store_error)?;
    Ok((customer, stats))
}

fn link_base<'a>(state: &'a AppState, request: &'a Request) -> LinkBase<'a> {
    let host = state
        .site
        .site_url
        .split_once("://")
        .map_or(state.site.site_url.as_str(), |(_, rest)| rest);
    let host = host.split(['/', ':']).next().unwrap_or(host);
    LinkBase {
        scheme: if woo_auth::is_https(state, request) {
            "https"
        } else {
            "http"
        },
        host,
        path: request.uri.path(),
        query: request.query(),
    }
}

async fn list(state: &AppState, request: &Request, query: &PhpQuery, fields: &str) -> Outcome {
    let decoded = wire::decode_list(query);
    let (records, total, page) = match &decoded.query {
        Some(customer_query) => {
            let page = state
                .store
                .list_customers(customer_query)
                .await
                .map_err(store_error)?;
            (page.items, page.total, customer_query.page)
        }
        None => (Vec::new(), 0, customer_model::PageRequest::default()),
    };
    let headers =
        wire::list_pagination_headers(total, page, records.len(), &link_base(state, request));
    let objects = records
        .iter()
        .map(|CustomerRecord { customer, stats }| {
            let mut object = wire::customer(customer, stats);
            wire::filter_fields(&mut object, fields);
            object
        })
        .collect();
    Ok(Reply {
        headers,
        ..Reply::ok(wire::customers_envelope(objects))
    })
}

async fn count(state: &AppState, query: &PhpQuery) -> Outcome {
    let count = match wire::decode_list(query).query {
        Some(customer_query) => state
            .store
            .count_customers(&customer_query)
            .await
            .map_err(store_error)?,
        None => 0,
    };
    Ok(Reply::ok(wire::count_body(count)))
}

/// Creates a customer from a `customer` payload and returns its object. A guest who
/// already bought with the address becomes the registered customer (same id), as a
/// WooCommerce guest does when they register with their order's address.
async fn create(state: &AppState, payload: &Value) -> Result<Value, LegacyError> {
    let input = wire::decode_customer(payload)?;
    let email = input.new_email()?;
    let guest = match state.store.customer_by_email(email.as_str()).await {
        Ok(existing) if existing.account.is_some() => return Err(LegacyError::email_exists()),
        Ok(existing) if existing.email.folded() == email.folded() => Some(existing),
        Ok(_) => return Err(LegacyError::email_exists()),
        Err(StoreError::NotFound { .. }) => None,
        Err(other) => return Err(store_error(other)),
    };
    let requested = input.username.as_deref().map(str::trim);
    let mut suffix = None;
    for _ in 0..USERNAME_ATTEMPTS {
        let username = match requested {
            Some(name) => name.to_owned(),
            None => woo_common::generated_username(&email, suffix),
        };
        let new = input.new_customer(&email, &username)?;
        let written = match &guest {
            Some(guest) => register_guest(state, guest.id, new).await,
            None => state.store.create_customer(new).await,
        };
        match written {
            Ok(customer) => return customer_object(state, &customer).await,
            Err(StoreError::Conflict { field: "username" }) if requested.is_none() => {
                suffix = Some(rand::random_range(0..10_000));
            }
            Err(other) => return Err(store_error(other)),
        }
    }
    Err(LegacyError::username_exists())
}

/// Gives a guest the account and the data of a create request.
async fn register_guest(
    state: &AppState,
    id: CustomerId,
    new: NewCustomer,
) -> Result<Customer, StoreError> {
    let account = new.account.expect("a create always makes an account");
    let patch = CustomerPatch {
        first_name: Some(new.first_name).filter(|n| !n.is_empty()),
        last_name: Some(new.last_name).filter(|n| !n.is_empty()),
        username: Some(account.username),
        role: Some(Role::Customer),
        password: account.password,
        billing: Some(address_patch(&new.billing)),
        shipping: Some(address_patch(&new.shipping)),
        ..CustomerPatch::default()
    };
    state.store.update_customer(id, patch).await
}

/// The non-empty fields of an address as a patch (empty ones keep the guest's data).
fn address_patch(address: &customer_model::Address) -> customer_model::AddressPatch {
    let keep = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
    customer_model::AddressPatch {
        first_name: keep(&address.first_name),
        last_name: keep(&address.last_name),
        company: keep(&address.company),
        address_1: keep(&address.address_1),
        address_2: keep(&address.address_2),
        city: keep(&address.city),
        state: keep(&address.state),
        postcode: keep(&address.postcode),
        country: keep(&address.country),
        email: keep(&address.email),
        phone: keep(&address.phone),
    }
}

async fn customer_object(state: &AppState, customer: &Customer) -> Result<Value, LegacyError> {
    let stats = state
        .store
        .customer_stats(customer.id)
        .await
        .map_err(store_error)?;
    Ok(wire::customer(customer, &stats))
}

/// Edits a customer; id errors are reported with status 400, as the original does.
async fn edit(state: &AppState, raw_id: &str, payload: &Value) -> Result<Value, LegacyError> {
    let (customer, _) = registered(state, raw_id)
        .await
        .map_err(|error| error.with_status(400))?;
    let input = wire::decode_customer(payload)?;
    let mut patch = input.patch()?;
    let updated = match state
        .store
        .update_customer(customer.id, patch.clone())
        .await
    {
        // WordPress refuses an address another user has, and the original ignores the
        // refusal: everything else is saved, the address stays.
        Err(StoreError::Conflict { field: "email" }) => {
            patch.email = None;
            state.store.update_customer(customer.id, patch).await
        }
        other => other,
    }
    .map_err(store_error)?;
    customer_object(state, &updated).await
}

async fn orders(
    state: &AppState,
    request: &Request,
    query: &PhpQuery,
    raw_id: &str,
    fields: &str,
) -> Outcome {
    let (customer, stats) = registered(state, raw_id).await?;
    let page = wire::decode_orders_page(query);
    let orders = state
        .store
        .customer_orders(customer.id, page)
        .await
        .map_err(store_error)?;
    let buyer = wire::customer(&customer, &stats);
    let objects = orders
        .items
        .iter()
        .map(|order| {
            let mut object = wire::order(order, buyer.clone(), &state.site.site_url);
            wire::filter_fields(&mut object, fields);
            object
        })
        .collect();
    Ok(Reply {
        headers: wire::orders_pagination_headers(orders.total, page, &link_base(state, request)),
        ..Reply::ok(wire::orders_envelope(objects))
    })
}

async fn downloads(state: &AppState, raw_id: &str) -> Outcome {
    let (customer, _) = registered(state, raw_id).await?;
    let now = customer_model::Timestamp::now();
    let rows = state
        .store
        .customer_downloads(customer.id)
        .await
        .map_err(store_error)?
        .iter()
        .filter(|download| wire::download_available(&download.grant, now))
        .map(|download| {
            wire::download(
                wire::DownloadView {
                    grant: &download.grant,
                    product_name: &download.product_name,
                    file: &download.file,
                    order_uuid: download.order_uuid,
                    email: customer.email.as_str(),
                },
                &state.site.site_url,
            )
        })
        .collect();
    Ok(Reply::ok(wire::downloads_envelope(rows)))
}

/// Creates or edits each item in order; a failed item is reported in place and the
/// others still run, as in the original. 201 when any item was created.
async fn bulk(state: &AppState, request: &Request) -> Outcome {
    let body = wire::parse_body(&request.body);
    let items = wire::bulk_items(&body)?;
    let mut created = false;
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let id = wire::bulk_item_id(item);
        let result = if id != 0 {
            edit(state, &id.to_string(), item).await
        } else {
            let outcome = create(state, item).await;
            created |= outcome.is_ok();
            outcome
        };
        results.push(result.unwrap_or_else(|error| wire::bulk_item_error(id, &error)));
    }
    Ok(Reply {
        status: if created { 201 } else { 200 },
        ..Reply::ok(wire::customers_envelope(results))
    })
}
