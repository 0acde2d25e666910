//! The customers operations: each validates (through the wire codec), checks the
//! caller's permission, calls the store and encodes. Keys act as a site administrator;
//! anonymous callers get WooCommerce's 401 errors after validation, as WordPress orders
//! them.

use customer_model::{Customer, CustomerId, CustomerStats, Role, Username};
use customer_store::StoreError;
use customer_wire::wc_rest::body::{self, CreateCommand, Operation};
use customer_wire::wc_rest::dto::{BatchDto, BatchErrorDto, BatchItemDto};
use customer_wire::wc_rest::encode::{self, DownloadParts, EncodeContext};
use customer_wire::wc_rest::errors::{Action, RestError};
use customer_wire::wc_rest::params;
use customer_wire::wc_rest::values::Params;
use customer_wire::woo_common::generated_username;
use serde_json::Value;

use super::Call;
use super::reply::{Reply, Shape};

/// WooCommerce's batch limit (`woocommerce_rest_batch_items_limit`).
pub(crate) const BATCH_LIMIT: usize = 100;
/// Attempts at a free generated username before giving up.
const USERNAME_ATTEMPTS: usize = 20;

type Outcome = Result<Reply, RestError>;

fn reply(outcome: Outcome) -> Reply {
    outcome.unwrap_or_else(Reply::error)
}

fn store_failure(error: &StoreError) -> RestError {
    tracing::warn!(%error, "store failure in wc-rest");
    RestError::internal("The request could not be completed.")
}

fn context<'a>(call: &'a Call<'_>) -> EncodeContext<'a> {
    EncodeContext {
        version: call.route.version,
        home_url: &call.home_url,
        timezone: &call.state.site.timezone,
        currency: call.state.site.currency,
    }
}

fn customer_json(call: &Call<'_>, customer: &Customer, stats: &CustomerStats) -> Value {
    serde_json::to_value(encode::customer(&context(call), customer, stats))
        .expect("customers serialize")
}

fn permit(call: &Call<'_>, action: Action) -> Result<(), RestError> {
    if call.authenticated() {
        Ok(())
    } else {
        Err(RestError::forbidden(action, false))
    }
}

/// The registered customer with `id`, or `None` for a missing id or a guest (guests are
/// not WordPress users).
async fn registered(call: &Call<'_>, id: i64) -> Result<Option<Customer>, RestError> {
    if id <= 0 {
        return Ok(None);
    }
    match call.state.store.customer(CustomerId(id)).await {
        Ok(customer) if customer.account.is_some() => Ok(Some(customer)),
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(store_failure(&error)),
    }
}

async fn stats_of(call: &Call<'_>, id: CustomerId) -> Result<CustomerStats, RestError> {
    call.state
        .store
        .customer_stats(id)
        .await
        .map_err(|e| store_failure(&e))
}

/// `GET /customers`.
pub(crate) async fn list(call: &Call<'_>) -> Reply {
    reply(list_inner(call).await)
}

async fn list_inner(call: &Call<'_>) -> Outcome {
    let list = params::decode_list(&call.params, &call.state.site.timezone)?;
    permit(call, Action::List)?;
    let page = call
        .state
        .store
        .list_customers(&list.to_query())
        .await
        .map_err(|error| match error {
            // A date the store cannot represent (before 1677 or after 2262).
            StoreError::Invalid { field, reason } => RestError::unrepresentable(&field, &reason),
            other => store_failure(&other),
        })?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|record| customer_json(call, &record.customer, &record.stats))
        .collect();
    let pagination = list.pagination(page.total);
    let mut reply = Reply::new(200, Value::Array(items), Shape::List)
        .header("X-WP-Total", pagination.total.to_string())
        .header("X-WP-TotalPages", pagination.total_pages.to_string());
    let pairs = params::link_query_pairs(&call.params, &list);
    if let Some(link) = params::link_header(&context(call).collection_url(), &pairs, &pagination) {
        reply = reply.header("Link", link);
    }
    Ok(reply)
}

/// `GET /customers/{id}`.
pub(crate) async fn retrieve(call: &Call<'_>, path_id: i64) -> Reply {
    reply(retrieve_inner(call, path_id).await)
}

async fn retrieve_inner(call: &Call<'_>, path_id: i64) -> Outcome {
    let id = params::route_id(&call.params, path_id)?;
    params::decode_retrieve(&call.params)?;
    permit(call, Action::View)?;
    let customer = registered(call, id)
        .await?
        .ok_or_else(RestError::invalid_id_get)?;
    let stats = stats_of(call, customer.id).await?;
    Ok(Reply::new(
        200,
        customer_json(call, &customer, &stats),
        Shape::Item,
    ))
}

/// `POST /customers`.
pub(crate) async fn create(call: &Call<'_>) -> Reply {
    reply(create_inner(call).await)
}

async fn create_inner(call: &Call<'_>) -> Outcome {
    body::validate_args(&call.params, Operation::Create, call.route.version)?;
    permit(call, Action::Create)?;
    let (customer, stats) = create_customer(call, &call.params).await?;
    let location = context(call).item_url(customer.id.0);
    Ok(
        Reply::new(201, customer_json(call, &customer, &stats), Shape::Item)
            .header("Location", location),
    )
}

/// WooCommerce's `create_item` after validation: its e-mail and username checks, the
/// username generation with `-NNNN` on collision, and the insert. A guest who already
/// bought with this e-mail becomes the registered customer.
async fn create_customer(
    call: &Call<'_>,
    params: &Params,
) -> Result<(Customer, CustomerStats), RestError> {
    let command = body::decode_create(params, call.route.version)?;
    command.check_limits()?;
    let store = &call.state.store;
    let guest = match store.customer_by_email(command.email.as_str()).await {
        Ok(existing) if existing.account.is_some() => return Err(RestError::email_exists()),
        Ok(guest) => Some(guest),
        Err(StoreError::NotFound { .. }) => None,
        Err(error) => return Err(store_failure(&error)),
    };
    let generated = command.username.is_none();
    let base = match &command.username {
        Some(username) => username.clone(),
        None => body::parse_username(&generated_username(&command.email, None))?,
    };
    let mut candidate = base.clone();
    for _ in 0..USERNAME_ATTEMPTS {
        match insert(call, &command, guest.as_ref(), candidate.clone()).await {
            Err(StoreError::Conflict { field: "username" }) if generated => {
                let number: u16 = rand::random_range(0..10_000);
                candidate = Username::parse(&generated_username(&command.email, Some(number)))
                    .map_err(|_| RestError::invalid_username())?;
            }
            Err(StoreError::Conflict { field: "username" }) => {
                return Err(RestError::username_exists());
            }
            Err(StoreError::Conflict { field: "email" }) => return Err(RestError::email_exists()),
            Err(StoreError::Invalid { .. } | StoreError::Conflict { .. }) => {
                return Err(RestError::cannot_create());
            }
            Err(error) => return Err(store_failure(&error)),
            Ok(customer) => {
                let stats = match &guest {
                    Some(_) => stats_of(call, customer.id).await?,
                    None => CustomerStats::default(),
                };
                return Ok((customer, stats));
            }
        }
    }
    Err(RestError::username_exists())
}

async fn insert(
    call: &Call<'_>,
    command: &CreateCommand,
    guest: Option<&Customer>,
    username: Username,
) -> Result<Customer, StoreError> {
    let store = &call.state.store;
    match guest {
        Some(guest) => {
            store
                .update_customer(guest.id, command.clone().into_guest_upgrade(username))
                .await
        }
        None => {
            store
                .create_customer(command.clone().into_new_customer(username))
                .await
        }
    }
}

/// `POST|PUT|PATCH /customers/{id}`.
pub(crate) async fn update(call: &Call<'_>, path_id: i64) -> Reply {
    reply(update_inner(call, path_id).await)
}

async fn update_inner(call: &Call<'_>, path_id: i64) -> Outcome {
    let id = params::route_id(&call.params, path_id)?;
    body::validate_args(&call.params, Operation::Update, call.route.version)?;
    permit(call, Action::Edit)?;
    let (customer, stats) = update_customer(call, id, &call.params, true).await?;
    Ok(Reply::new(
        200,
        customer_json(call, &customer, &stats),
        Shape::Item,
    ))
}

/// Whether WooCommerce lets this endpoint change e-mail/password of, or delete, `role`.
fn role_is_editable(role: Role) -> bool {
    matches!(role, Role::Customer | Role::Subscriber)
}

/// WooCommerce's `update_item`: the role restriction (not applied inside batch), invalid
/// id, e-mail taken, username immutable, then the write.
async fn update_customer(
    call: &Call<'_>,
    id: i64,
    params: &Params,
    check_roles: bool,
) -> Result<(Customer, CustomerStats), RestError> {
    let command = body::decode_update(params, call.route.version)?;
    command
        .patch
        .validate()
        .map_err(|errors| RestError::over_limits(&errors))?;
    let existing = registered(call, id).await?;
    if check_roles
        && let Some(account) = existing.as_ref().and_then(|c| c.account.as_ref())
        && !role_is_editable(account.role)
    {
        let current = existing.as_ref().map(|c| c.email.as_str());
        if command.email.as_deref().is_some_and(|e| Some(e) != current) {
            return Err(RestError::protected_prop(
                "email",
                account.role.as_str(),
                call.authenticated(),
            ));
        }
        if command.has_password {
            return Err(RestError::protected_prop(
                "password",
                account.role.as_str(),
                call.authenticated(),
            ));
        }
    }
    let existing = existing.ok_or_else(RestError::invalid_id_update)?;
    if let Some(email) = &command.email {
        // email_exists() ignores case, the comparison does not: even a change of case of
        // one's own address is refused, as in WooCommerce.
        if email != existing.email.as_str() {
            match call.state.store.customer_by_email(email).await {
                Ok(_) => return Err(RestError::email_taken_on_update()),
                Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(store_failure(&error)),
            }
        }
    }
    if let Some(username) = &command.username
        && Some(username.as_str()) != existing.username().map(Username::as_str)
    {
        return Err(RestError::username_not_editable());
    }
    let updated = match call
        .state
        .store
        .update_customer(existing.id, command.patch)
        .await
    {
        Ok(customer) => customer,
        Err(StoreError::Conflict { field: "email" }) => {
            return Err(RestError::email_taken_on_update());
        }
        Err(StoreError::NotFound { .. }) => return Err(RestError::invalid_id_update()),
        // The change fits, the result does not (meta data over its total).
        Err(StoreError::Invalid { field, reason }) => {
            return Err(RestError::unrepresentable(&field, &reason));
        }
        Err(error) => return Err(store_failure(&error)),
    };
    let stats = stats_of(call, updated.id).await?;
    Ok((updated, stats))
}

/// `DELETE /customers/{id}`.
pub(crate) async fn delete(call: &Call<'_>, path_id: i64) -> Reply {
    reply(delete_inner(call, path_id).await)
}

async fn delete_inner(call: &Call<'_>, path_id: i64) -> Outcome {
    let id = params::route_id(&call.params, path_id)?;
    let delete = params::decode_delete(&call.params)?;
    permit(call, Action::Delete)?;
    let (customer, stats) = delete_customer(call, id, delete.force, delete.reassign, true).await?;
    Ok(Reply::new(
        200,
        customer_json(call, &customer, &stats),
        Shape::Item,
    ))
}

/// WooCommerce's `delete_item`: role restriction (not in batch), `force`, invalid id,
/// reassignment target; answers the customer as it was.
async fn delete_customer(
    call: &Call<'_>,
    id: i64,
    force: bool,
    reassign: i64,
    check_roles: bool,
) -> Result<(Customer, CustomerStats), RestError> {
    let existing = registered(call, id).await?;
    if check_roles
        && let Some(account) = existing.as_ref().and_then(|c| c.account.as_ref())
        && !role_is_editable(account.role)
    {
        return Err(RestError::protected_role_delete(
            account.role.as_str(),
            call.authenticated(),
        ));
    }
    if !force {
        return Err(RestError::trash_not_supported());
    }
    let existing = existing.ok_or_else(RestError::invalid_id_delete)?;
    if reassign != 0 && (reassign == id || registered(call, reassign).await?.is_none()) {
        return Err(RestError::invalid_reassign());
    }
    let stats = stats_of(call, existing.id).await?;
    match call.state.store.delete_customer(existing.id).await {
        Ok(snapshot) => Ok((snapshot, stats)),
        Err(StoreError::NotFound { .. }) => Err(RestError::invalid_id_delete()),
        Err(error) => {
            tracing::warn!(%error, "delete failed");
            Err(RestError::cannot_delete())
        }
    }
}

/// `POST|PUT|PATCH /customers/batch`.
pub(crate) async fn batch(call: &Call<'_>) -> Reply {
    reply(batch_inner(call).await)
}

async fn batch_inner(call: &Call<'_>) -> Outcome {
    body::validate_args(&call.params, Operation::Update, call.route.version)?;
    permit(call, Action::Batch)?;
    let command = body::decode_batch(&call.params);
    if command.total > BATCH_LIMIT {
        return Err(RestError::batch_too_large(BATCH_LIMIT));
    }
    let item_error = |id: Value, error: RestError| {
        let body = error.to_json();
        BatchItemDto::Error(BatchErrorDto { id, error: body })
    };
    let encoded = |customer: &Customer, stats: &CustomerStats| {
        BatchItemDto::Customer(Box::new(encode::customer(&context(call), customer, stats)))
    };
    let mut results = BatchDto::default();
    for item in &command.create {
        let params = body::batch_create_params(&call.params, item);
        results
            .create
            .push(match create_customer(call, &params).await {
                Ok((customer, stats)) => encoded(&customer, &stats),
                Err(error) => item_error(Value::from(0), error),
            });
    }
    for item in &command.update {
        let outcome = update_customer(call, item.id, &item.params, false).await;
        results.update.push(match outcome {
            Ok((customer, stats)) => encoded(&customer, &stats),
            Err(error) => item_error(item.raw_id.clone(), error),
        });
    }
    for id in &command.delete {
        results
            .delete
            .push(match delete_customer(call, *id, true, 0, false).await {
                Ok((customer, stats)) => encoded(&customer, &stats),
                Err(error) => item_error(Value::from(*id), error),
            });
    }
    Ok(Reply::new(200, results.to_json(), Shape::Other))
}

/// `GET /customers/{id}/downloads`.
pub(crate) async fn downloads(call: &Call<'_>, id: i64) -> Reply {
    reply(downloads_inner(call, id).await)
}

async fn downloads_inner(call: &Call<'_>, id: i64) -> Outcome {
    params::decode_downloads(&call.params)?;
    // WooCommerce checks the customer exists before the capability.
    let customer = registered(call, id)
        .await?
        .ok_or_else(RestError::downloads_customer_missing)?;
    permit(call, Action::List)?;
    let downloads = call
        .state
        .store
        .customer_downloads(customer.id)
        .await
        .map_err(|e| store_failure(&e))?;
    let now = customer_model::Timestamp::now();
    let ctx = context(call);
    let email = if customer.billing.email.is_empty() {
        customer.email.as_str()
    } else {
        customer.billing.email.as_str()
    };
    let items: Vec<Value> = downloads
        .iter()
        .filter(|d| encode::is_available(&d.grant, now))
        .map(|d| {
            let order_key = encode::order_key(&d.order_uuid);
            let parts = DownloadParts {
                grant: &d.grant,
                product_name: &d.product_name,
                file: &d.file,
                order_key: &order_key,
                email,
            };
            serde_json::to_value(encode::download(&ctx, customer.id.0, &parts))
                .expect("downloads serialize")
        })
        .collect();
    Ok(Reply::new(200, Value::Array(items), Shape::Other))
}
