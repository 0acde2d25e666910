//! WooCommerce REST customers, `wc/v2` and `wc/v3`: the pipeline.
//!
//! The order of checks is WordPress's, because it decides which error a client sees:
//! method override → authentication → key scope → `OPTIONS` → route and method →
//! body → required arguments → argument validation → permission → store → framing.
//! Keys act as a site administrator; anonymous callers get WooCommerce's 401 errors
//! after validation, as WordPress orders them.

use customer_model::{Customer, CustomerId, CustomerStats, Username};
use customer_store::CustomerRecord;
use customer_wire::Fault;
use customer_wire::Reply;
use customer_wire::request::Incoming;
use customer_wire::wc_rest::decode::{self, Endpoint, Operation, Params, RestRequest, RestRoute};
use customer_wire::wc_rest::discovery::{self, IndexRoute, SiteFacts};
use customer_wire::wc_rest::encode::{self, Answer, BatchDto, EncodeContext};
use customer_wire::wc_rest::errors::{Action, RestError};
use customer_wire::wc_rest::pagination;
use customer_wire::woo::{self, auth::Flavor};

use customer_wire::wc_rest::webhooks::decode as webhook_decode;

use super::wc_webhooks::{self, WebhookCall};
use crate::AppState;
use crate::fault::Faulted;
use crate::woo_auth::{self, WooCaller};

/// Attempts at a free generated username before giving up.
const USERNAME_ATTEMPTS: usize = 20;

type Outcome<T> = Result<T, RestError>;

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, incoming: &Incoming<'_>) -> Reply {
    let request = RestRequest::read(incoming, state.site.url());
    let (answer, authenticated) = pipeline(state, incoming, &request).await;
    request.frame(incoming, authenticated).reply(answer)
}

/// The answer, and whether a key authenticated the caller.
async fn pipeline(
    state: &AppState,
    incoming: &Incoming<'_>,
    request: &RestRequest,
) -> (Answer, bool) {
    let caller = match woo_auth::authenticate(state, incoming, Flavor::Rest).await {
        Ok(caller) => caller,
        Err(error) => return (RestError::from(error).into(), false),
    };
    let authenticated = matches!(caller, WooCaller::Key(_));
    if let Err(error) = woo_auth::authorize(state, &caller, &request.method, Flavor::Rest).await {
        return (RestError::from(error).into(), true);
    }
    if let Some(index) = IndexRoute::parse(&request.route_text) {
        let answer = match request.method.as_str() {
            "GET" | "HEAD" => discovery::index(
                index,
                SiteFacts {
                    home_url: &request.home_url,
                    timezone: &state.site.timezone,
                    now: state.store.clock().now(),
                },
            ),
            "OPTIONS" => discovery::index_options(index, &request.home_url),
            _ => RestError::no_route().into(),
        };
        return (answer, authenticated);
    }
    if let Some(route) = webhook_decode::parse_route(&request.route_text) {
        if request.method == "OPTIONS" {
            return (
                discovery::webhook_options(route, &request.home_url),
                authenticated,
            );
        }
        if !route.endpoint.accepts(&request.method) {
            return (RestError::no_route().into(), authenticated);
        }
        let answer = match request.params(incoming) {
            Ok(params) => {
                let call = WebhookCall {
                    state,
                    authenticated,
                    route,
                    method: &request.method,
                    params,
                    home_url: &request.home_url,
                };
                wc_webhooks::answer(&call).await
            }
            Err(error) => error.into(),
        };
        return (answer, authenticated);
    }
    let route = request.route();
    if request.method == "OPTIONS" {
        let answer = match route {
            Some(route) => discovery::options(route, &request.home_url),
            None => RestError::no_route().into(),
        };
        return (answer, authenticated);
    }
    let Some(route) = route.filter(|route| route.endpoint.accepts(&request.method)) else {
        return (RestError::no_route().into(), authenticated);
    };
    let answer = match request.params(incoming) {
        Ok(params) => {
            let call = Call {
                state,
                authenticated,
                route,
                method: &request.method,
                params,
                home_url: &request.home_url,
            };
            operate(&call).await.unwrap_or_else(Answer::error)
        }
        Err(error) => error.into(),
    };
    (answer.allow(route, authenticated), authenticated)
}

/// What every operation of one request shares.
struct Call<'a> {
    state: &'a AppState,
    authenticated: bool,
    route: RestRoute,
    /// After overrides.
    method: &'a str,
    /// Query parameters merged with body parameters.
    params: Params,
    home_url: &'a str,
}

impl Call<'_> {
    fn context(&self) -> EncodeContext<'_> {
        EncodeContext {
            version: self.route.version,
            home_url: self.home_url,
            timezone: &self.state.site.timezone,
            currency: self.state.site.currency,
        }
    }

    fn permit(&self, action: Action) -> Outcome<()> {
        if self.authenticated {
            Ok(())
        } else {
            Err(RestError::forbidden(action, false))
        }
    }

    /// The registered customer with `id`; `None` for a missing id or a guest (guests are
    /// not WordPress users).
    async fn registered(&self, id: i64) -> Outcome<Option<Customer>> {
        if id <= 0 {
            return Ok(None);
        }
        match self.state.store.customer(CustomerId(id)).await.faulted() {
            Ok(customer) if customer.account.is_some() => Ok(Some(customer)),
            Ok(_) | Err(Fault::NotFound { .. }) => Ok(None),
            Err(fault) => Err(fault.into()),
        }
    }

    /// [`Self::registered`] with the customer's aggregates, read together.
    async fn registered_record(&self, id: i64) -> Outcome<Option<CustomerRecord>> {
        if id <= 0 {
            return Ok(None);
        }
        match self
            .state
            .store
            .customer_record(CustomerId(id))
            .await
            .faulted()
        {
            Ok(record) if record.customer.account.is_some() => Ok(Some(record)),
            Ok(_) | Err(Fault::NotFound { .. }) => Ok(None),
            Err(fault) => Err(fault.into()),
        }
    }

    async fn stats(&self, id: CustomerId) -> Outcome<CustomerStats> {
        Ok(self.state.store.customer_stats(id).await.faulted()?)
    }
}

async fn operate(call: &Call<'_>) -> Outcome<Answer> {
    match call.route.endpoint {
        Endpoint::Collection if call.method == "POST" => create(call).await,
        Endpoint::Collection => list(call).await,
        Endpoint::Item(id) if call.method == "DELETE" => delete(call, id).await,
        Endpoint::Item(id) if matches!(call.method, "GET" | "HEAD") => retrieve(call, id).await,
        Endpoint::Item(id) => update(call, id).await,
        Endpoint::Batch => batch(call).await,
        Endpoint::Downloads(id) => downloads(call, id).await,
    }
}

/// `GET /customers`.
async fn list(call: &Call<'_>) -> Outcome<Answer> {
    let list = decode::decode_list(&call.params, &call.state.site.timezone)?;
    call.permit(Action::List)?;
    let page = call
        .state
        .store
        .list_customers(&list.to_query())
        .await
        .faulted()?;
    let ctx = call.context();
    let pages = list.pagination(page.total);
    let pairs = pagination::link_query_pairs(&call.params, &list);
    let link = pagination::link_header(&ctx.collection_url(), &pairs, &pages);
    let rows = page
        .items
        .iter()
        .map(|record| (&record.customer, &record.stats));
    Ok(encode::list_answer(
        &ctx,
        rows,
        pagination::headers(&pages, link),
    ))
}

/// `GET /customers/{id}`.
async fn retrieve(call: &Call<'_>, path_id: i64) -> Outcome<Answer> {
    let id = decode::route_id(&call.params, path_id)?;
    decode::decode_retrieve(&call.params)?;
    call.permit(Action::View)?;
    let record = call
        .registered_record(id)
        .await?
        .ok_or_else(RestError::invalid_id_get)?;
    Ok(encode::item_answer(
        &call.context(),
        &record.customer,
        &record.stats,
    ))
}

/// `POST /customers`.
async fn create(call: &Call<'_>) -> Outcome<Answer> {
    decode::validate_args(&call.params, Operation::Create, call.route.version)?;
    call.permit(Action::Create)?;
    let (customer, stats) = create_customer(call, &call.params).await?;
    Ok(encode::created_answer(&call.context(), &customer, &stats))
}

/// WooCommerce's `create_item` after validation: its e-mail and username checks, the
/// username generation with `-NNNN` on collision, and the insert. A guest who already
/// bought with this e-mail becomes the registered customer.
async fn create_customer(call: &Call<'_>, params: &Params) -> Outcome<(Customer, CustomerStats)> {
    let command = decode::decode_create(params, call.route.version)?;
    command.check_limits()?;
    let store = &call.state.store;
    let guest = match store
        .customer_by_email(command.email.as_str())
        .await
        .faulted()
    {
        Ok(existing) if existing.account.is_some() => return Err(RestError::email_exists()),
        Ok(guest) => Some(guest),
        Err(Fault::NotFound { .. }) => None,
        Err(fault) => return Err(fault.into()),
    };
    let generated = command.username.is_none();
    let mut candidate = match &command.username {
        Some(username) => username.clone(),
        None => decode::parse_username(&woo::generated_username(&command.email, None))?,
    };
    for _ in 0..USERNAME_ATTEMPTS {
        let written = match &guest {
            Some(guest) => {
                let patch = command.clone().into_guest_upgrade(candidate.clone());
                store.update_customer(guest.id, patch).await
            }
            None => {
                let new = command.clone().into_new_customer(candidate.clone());
                store.create_customer(new).await
            }
        };
        match written.faulted() {
            Ok(customer) => {
                let stats = match &guest {
                    Some(_) => call.stats(customer.id).await?,
                    None => CustomerStats::default(),
                };
                return Ok((customer, stats));
            }
            Err(Fault::Conflict { field: "username" }) if generated => {
                let number: u16 = rand::random_range(0..10_000);
                candidate = Username::parse(&woo::generated_username(&command.email, Some(number)))
                    .map_err(|_| RestError::invalid_username())?;
            }
            Err(fault) => return Err(RestError::from_create_fault(fault)),
        }
    }
    Err(RestError::username_exists())
}

/// `POST|PUT|PATCH /customers/{id}`.
async fn update(call: &Call<'_>, path_id: i64) -> Outcome<Answer> {
    let id = decode::route_id(&call.params, path_id)?;
    decode::validate_args(&call.params, Operation::Update, call.route.version)?;
    call.permit(Action::Edit)?;
    let (customer, stats) = update_customer(call, id, &call.params, true).await?;
    Ok(encode::item_answer(&call.context(), &customer, &stats))
}

/// WooCommerce's `update_item`: the role restriction (not applied inside batch), invalid
/// id, e-mail taken, username immutable, then the write.
async fn update_customer(
    call: &Call<'_>,
    id: i64,
    params: &Params,
    check_roles: bool,
) -> Outcome<(Customer, CustomerStats)> {
    let command = decode::decode_update(params, call.route.version)?;
    command
        .patch
        .validate()
        .map_err(|errors| RestError::over_limits(&errors))?;
    let existing = command.check(call.registered(id).await?, check_roles, call.authenticated)?;
    if let Some(email) = command.changed_email(&existing) {
        match call.state.store.customer_by_email(email).await.faulted() {
            Ok(_) => return Err(RestError::email_taken_on_update()),
            Err(Fault::NotFound { .. }) => {}
            Err(fault) => return Err(fault.into()),
        }
    }
    command.check_username(&existing)?;
    let updated = call
        .state
        .store
        .update_customer(existing.id, command.patch)
        .await
        .faulted()
        .map_err(RestError::from_update_fault)?;
    let stats = call.stats(updated.id).await?;
    Ok((updated, stats))
}

/// `DELETE /customers/{id}`.
async fn delete(call: &Call<'_>, path_id: i64) -> Outcome<Answer> {
    let id = decode::route_id(&call.params, path_id)?;
    let delete = decode::decode_delete(&call.params)?;
    call.permit(Action::Delete)?;
    let (customer, stats) = delete_customer(call, id, delete.force, delete.reassign, true).await?;
    Ok(encode::item_answer(&call.context(), &customer, &stats))
}

/// WooCommerce's `delete_item`: role restriction (not in batch), `force`, invalid id,
/// reassignment target; answers the customer as it was.
async fn delete_customer(
    call: &Call<'_>,
    id: i64,
    force: bool,
    reassign: i64,
    check_roles: bool,
) -> Outcome<(Customer, CustomerStats)> {
    let existing = call.registered(id).await?;
    let existing = decode::check_delete(existing, force, check_roles, call.authenticated)?;
    if reassign != 0 && (reassign == id || call.registered(reassign).await?.is_none()) {
        return Err(RestError::invalid_reassign());
    }
    let stats = call.stats(existing.id).await?;
    let snapshot = call
        .state
        .store
        .delete_customer(existing.id)
        .await
        .faulted()
        .map_err(RestError::from_delete_fault)?;
    Ok((snapshot, stats))
}

/// `POST|PUT|PATCH /customers/batch`.
async fn batch(call: &Call<'_>) -> Outcome<Answer> {
    decode::validate_args(&call.params, Operation::Update, call.route.version)?;
    call.permit(Action::Batch)?;
    let command = decode::decode_batch(&call.params);
    command.check_limit()?;
    let ctx = call.context();
    let mut results = BatchDto::default();
    for item in &command.create {
        let params = decode::batch_create_params(&call.params, item);
        results.created(&ctx, create_customer(call, &params).await);
    }
    for item in &command.update {
        let outcome = update_customer(call, item.id, &item.params, false).await;
        results.updated(&ctx, outcome, item);
    }
    for id in &command.delete {
        results.deleted(&ctx, delete_customer(call, *id, true, 0, false).await, *id);
    }
    Ok(results.answer())
}

/// `GET /customers/{id}/downloads`.
async fn downloads(call: &Call<'_>, id: i64) -> Outcome<Answer> {
    decode::decode_downloads(&call.params)?;
    // WooCommerce checks the customer exists before the capability.
    let customer = call
        .registered(id)
        .await?
        .ok_or_else(RestError::downloads_customer_missing)?;
    call.permit(Action::List)?;
    let downloads = call
        .state
        .store
        .customer_downloads(customer.id)
        .await
        .faulted()?;
    let parts = super::woo_downloads(&downloads);
    Ok(encode::downloads_answer(
        &call.context(),
        &customer,
        parts,
        call.state.store.clock().now(),
    ))
}
