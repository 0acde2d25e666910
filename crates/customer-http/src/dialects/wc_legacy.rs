//! The WooCommerce legacy REST API v3 (`/wc-api/v3/customers…`): the pipeline.
//!
//! Order of work per request, as the original server does it: an invalid `_jsonp`
//! callback is refused before anything runs (so such a request writes nothing); then
//! the method override, authentication with the key's read/write scope, the method
//! check, route matching, and the handler's own checks. Bodies, headers and framing come
//! from [`customer_wire::wc_legacy`].

use customer_model::{Customer, CustomerStats, Email};
use customer_wire::request::Incoming;
use customer_wire::wc_legacy::decode::{self, CustomerArg, LegacyRequest, Operation};
use customer_wire::wc_legacy::encode::{self, Answer};
use customer_wire::wc_legacy::errors::Action;
use customer_wire::wc_legacy::errors::LegacyError;
use customer_wire::wc_legacy::pagination::{self, LinkBase};
use customer_wire::woo::{self, auth::Flavor};
use customer_wire::{Fault, Reply};

use crate::AppState;
use crate::fault::Faulted;
use crate::woo_auth;

/// How many random suffixes a generated username gets before the clash is reported.
const USERNAME_ATTEMPTS: usize = 5;

type Outcome<T> = Result<T, LegacyError>;

/// Answers a request routed to this dialect.
pub(crate) async fn handle(state: &AppState, incoming: &Incoming<'_>) -> Reply {
    let request = LegacyRequest::read(incoming);
    if let Some(refusal) = request.refused_callback() {
        return refusal;
    }
    let answer = match authenticate(state, incoming, &request).await {
        Ok(()) => match request.operation(incoming) {
            Ok(operation) => serve(state, incoming, &request, operation)
                .await
                .unwrap_or_else(Answer::from),
            Err(error) => error.into(),
        },
        Err(answer) => answer,
    };
    request.reply(answer)
}

async fn authenticate(
    state: &AppState,
    incoming: &Incoming<'_>,
    request: &LegacyRequest,
) -> Result<(), Answer> {
    let authorized = match woo_auth::authenticate(state, incoming, Flavor::Legacy).await {
        Ok(caller) => {
            woo_auth::authorize(state, &caller, request.scope_method(), Flavor::Legacy).await
        }
        Err(error) => Err(error),
    };
    authorized.map_err(|error| {
        let challenge = error.www_authenticate();
        let answer = Answer::from(LegacyError::from(error));
        match challenge {
            Some(challenge) => answer.header("WWW-Authenticate", challenge),
            None => answer,
        }
    })
}

async fn serve(
    state: &AppState,
    incoming: &Incoming<'_>,
    request: &LegacyRequest,
    operation: Operation,
) -> Outcome<Answer> {
    let fields = request.fields.as_str();
    match operation {
        Operation::List => list(state, incoming, fields).await,
        Operation::Count => {
            let count = match decode::decode_list(&incoming.query).query {
                Some(query) => state.store.count_customers(&query).await.faulted()?,
                None => 0,
            };
            Ok(encode::count_answer(count))
        }
        Operation::Create => {
            let body = decode::parse_body(incoming.body);
            let payload = decode::customer_payload(&body, Action::Create)?;
            let (customer, stats) = create(state, payload).await?;
            Ok(encode::written_answer(&customer, &stats, true))
        }
        Operation::Get(arg) => {
            let (customer, stats) = registered(state, &arg).await?;
            Ok(encode::customer_answer(&customer, &stats, fields))
        }
        Operation::Edit(arg) => {
            let body = decode::parse_body(incoming.body);
            let payload = decode::customer_payload(&body, Action::Edit)?;
            let (customer, stats) = edit(state, &arg, payload).await?;
            Ok(encode::written_answer(&customer, &stats, false))
        }
        Operation::Delete(arg) => {
            let (customer, _) = registered(state, &arg).await?;
            state
                .store
                .delete_customer(customer.id)
                .await
                .faulted()
                .map_err(|_| LegacyError::cannot_delete())?;
            Ok(encode::deleted_answer())
        }
        Operation::ByEmail(address) => {
            let (customer, stats) = by_email(state, &address).await?;
            Ok(encode::customer_answer(&customer, &stats, fields))
        }
        Operation::Orders(arg) => orders(state, incoming, &arg, fields).await,
        Operation::Downloads(arg) => downloads(state, &arg).await,
        Operation::Bulk => bulk(state, incoming).await,
    }
}

/// The registered customer of an id argument: guests are not users.
async fn registered(state: &AppState, arg: &CustomerArg) -> Outcome<(Customer, CustomerStats)> {
    let id = arg.id()?;
    let record = state.store.customer_record(id).await.faulted()?;
    if record.customer.account.is_none() {
        return Err(LegacyError::invalid_customer());
    }
    Ok((record.customer, record.stats))
}

async fn by_email(state: &AppState, raw: &str) -> Outcome<(Customer, CustomerStats)> {
    let email = Email::parse(raw).map_err(|_| LegacyError::invalid_customer_email())?;
    let customer = match state
        .store
        .customer_by_email(email.as_str())
        .await
        .faulted()
    {
        Ok(customer) => customer,
        Err(Fault::NotFound { .. }) => return Err(LegacyError::invalid_customer_email()),
        Err(fault) => return Err(fault.into()),
    };
    // WordPress looks at the user's own address only: not at guests, not at extra ones.
    if customer.account.is_none() || customer.email.folded() != email.folded() {
        return Err(LegacyError::invalid_customer_email());
    }
    let stats = state.store.customer_stats(customer.id).await.faulted()?;
    Ok((customer, stats))
}

async fn list(state: &AppState, incoming: &Incoming<'_>, fields: &str) -> Outcome<Answer> {
    let decoded = decode::decode_list(&incoming.query);
    let (records, total, page) = match &decoded.query {
        Some(query) => {
            let page = state.store.list_customers(query).await.faulted()?;
            (page.items, page.total, query.page)
        }
        None => (Vec::new(), 0, customer_model::PageRequest::default()),
    };
    let link = LinkBase::new(state.site.url(), incoming);
    let headers = pagination::list_pagination_headers(total, page, records.len(), &link);
    let rows = records
        .iter()
        .map(|record| (&record.customer, &record.stats));
    Ok(encode::list_answer(rows, fields, headers))
}

/// Creates a customer from a `customer` payload. A guest who already bought with the
/// address becomes the registered customer (same id), as a WooCommerce guest does when
/// they register with their order's address.
async fn create(
    state: &AppState,
    payload: &serde_json::Value,
) -> Outcome<(Customer, CustomerStats)> {
    let input = decode::decode_customer(payload)?;
    let email = input.new_email()?;
    let guest = match state
        .store
        .customer_by_email(email.as_str())
        .await
        .faulted()
    {
        Ok(existing) if existing.account.is_some() => return Err(LegacyError::email_exists()),
        Ok(existing) if existing.email.folded() == email.folded() => Some(existing),
        Ok(_) => return Err(LegacyError::email_exists()),
        Err(Fault::NotFound { .. }) => None,
        Err(fault) => return Err(fault.into()),
    };
    let requested = input.username.as_deref().map(str::trim);
    let mut suffix = None;
    for _ in 0..USERNAME_ATTEMPTS {
        let username = match requested {
            Some(name) => name.to_owned(),
            None => woo::generated_username(&email, suffix),
        };
        let new = input.new_customer(&email, &username)?;
        let written = match &guest {
            Some(guest) => {
                let patch = decode::guest_registration(new);
                state.store.update_customer(guest.id, patch).await
            }
            None => state.store.create_customer(new).await,
        };
        match written.faulted() {
            Ok(customer) => {
                let stats = state.store.customer_stats(customer.id).await.faulted()?;
                return Ok((customer, stats));
            }
            Err(Fault::Conflict { field: "username" }) if requested.is_none() => {
                suffix = Some(rand::random_range(0..10_000));
            }
            Err(fault) => return Err(fault.into()),
        }
    }
    Err(LegacyError::username_exists())
}

/// Edits a customer; id errors are reported with status 400, as the original does.
async fn edit(
    state: &AppState,
    arg: &CustomerArg,
    payload: &serde_json::Value,
) -> Outcome<(Customer, CustomerStats)> {
    let (customer, _) = registered(state, arg)
        .await
        .map_err(|error| error.with_status(400))?;
    let input = decode::decode_customer(payload)?;
    let mut patch = input.patch()?;
    let updated = match state
        .store
        .update_customer(customer.id, patch.clone())
        .await
        .faulted()
    {
        // WordPress refuses an address another user has, and the original ignores the
        // refusal: everything else is saved, the address stays.
        Err(Fault::Conflict { field: "email" }) => {
            patch.email = None;
            state
                .store
                .update_customer(customer.id, patch)
                .await
                .faulted()
        }
        other => other,
    }?;
    let stats = state.store.customer_stats(updated.id).await.faulted()?;
    Ok((updated, stats))
}

async fn orders(
    state: &AppState,
    incoming: &Incoming<'_>,
    arg: &CustomerArg,
    fields: &str,
) -> Outcome<Answer> {
    let (customer, stats) = registered(state, arg).await?;
    let page = decode::decode_orders_page(&incoming.query);
    let orders = state
        .store
        .customer_orders(customer.id, page)
        .await
        .faulted()?;
    let link = LinkBase::new(state.site.url(), incoming);
    let headers = pagination::orders_pagination_headers(orders.total, page, &link);
    Ok(encode::orders_answer(
        (&customer, &stats),
        &orders.items,
        state.site.url().as_str(),
        fields,
        headers,
    ))
}

async fn downloads(state: &AppState, arg: &CustomerArg) -> Outcome<Answer> {
    let (customer, _) = registered(state, arg).await?;
    let downloads = state
        .store
        .customer_downloads(customer.id)
        .await
        .faulted()?;
    Ok(encode::downloads_answer(
        super::woo_downloads(&downloads),
        customer.email.as_str(),
        state.site.url().as_str(),
        state.store.clock().now(),
    ))
}

/// Creates or edits each item in order; a failed item is reported in place and the
/// others still run, as in the original.
async fn bulk(state: &AppState, incoming: &Incoming<'_>) -> Outcome<Answer> {
    let body = decode::parse_body(incoming.body);
    let items = decode::bulk_items(&body)?;
    let mut created = false;
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let id = decode::bulk_item_id(item);
        let outcome = if id != 0 {
            edit(state, &CustomerArg(id.to_string()), item).await
        } else {
            let outcome = create(state, item).await;
            created |= outcome.is_ok();
            outcome
        };
        results.push((id, outcome));
    }
    Ok(encode::bulk_answer(results, created))
}
