//! WooCommerce REST webhooks, `wc/v2` and `wc/v3`: the pipeline of the second resource
//! of the REST dialect. Authentication, key scopes and framing are the customers
//! routes'; the order of checks is WordPress's: arguments, permission, then the
//! controller's own checks.

use customer_model::Timestamp;
use customer_model::webhook::Webhook;
use customer_wire::Fault;
use customer_wire::wc_rest::decode::{Params, decode_batch};
use customer_wire::wc_rest::encode::{Answer, EncodeContext};
use customer_wire::wc_rest::errors::{Action, RestError};
use customer_wire::wc_rest::webhooks::decode::{
    self, CreateDefaults, Missing, SECRET_ALPHABET, SECRET_LENGTH, WebhookEndpoint, WebhookRoute,
};
use customer_wire::wc_rest::webhooks::encode::{self, WebhookBatch};
use rand::RngExt;

use crate::AppState;
use crate::fault::Faulted;

type Outcome<T> = Result<T, RestError>;

/// What every operation of one webhooks request shares.
pub(crate) struct WebhookCall<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) authenticated: bool,
    pub(crate) route: WebhookRoute,
    /// After overrides.
    pub(crate) method: &'a str,
    /// Query parameters merged with body parameters.
    pub(crate) params: Params,
    pub(crate) home_url: &'a str,
}

/// The answer to a webhooks request whose route and method matched.
pub(crate) async fn answer(call: &WebhookCall<'_>) -> Answer {
    let answer = operate(call).await.unwrap_or_else(Answer::error);
    encode::allow(answer, call.route.endpoint, call.authenticated)
}

impl WebhookCall<'_> {
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

    /// The webhook with `id`, or the error of `operation` when there is none.
    async fn existing(&self, id: i64, operation: Missing) -> Outcome<Webhook> {
        match self.state.store.webhook(id).await.faulted() {
            Ok(webhook) => Ok(webhook),
            Err(Fault::NotFound { .. }) => Err(decode::missing(operation)),
            Err(fault) => Err(fault.into()),
        }
    }
}

async fn operate(call: &WebhookCall<'_>) -> Outcome<Answer> {
    match call.route.endpoint {
        WebhookEndpoint::Collection if call.method == "POST" => create(call).await,
        WebhookEndpoint::Collection => list(call).await,
        WebhookEndpoint::Item(id) if call.method == "DELETE" => delete(call, id).await,
        WebhookEndpoint::Item(id) if matches!(call.method, "GET" | "HEAD") => {
            retrieve(call, id).await
        }
        WebhookEndpoint::Item(id) => update(call, id).await,
        WebhookEndpoint::Batch => batch(call).await,
    }
}

/// WooCommerce's defaults for a new webhook: a dated name and
/// `wp_generate_password( 50, true, true )` as the secret.
fn create_defaults() -> CreateDefaults {
    let alphabet: Vec<char> = SECRET_ALPHABET.chars().collect();
    let mut rng = rand::rng();
    let secret = (0..SECRET_LENGTH)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())])
        .collect();
    CreateDefaults {
        name: decode::default_name(Timestamp::now()),
        secret,
    }
}

/// `GET /webhooks`.
async fn list(call: &WebhookCall<'_>) -> Outcome<Answer> {
    let list = decode::decode_list(&call.params)?;
    call.permit(Action::List)?;
    let page = call
        .state
        .store
        .list_webhooks(&list.query)
        .await
        .faulted()?;
    let pages = list.pagination(page.total);
    Ok(encode::list_answer(
        &call.context(),
        &page.items,
        list.edit,
        &pages,
        &list.link_pairs(&call.params),
    ))
}

/// `POST /webhooks`: an active webhook is pinged by the delivery worker (its ping is
/// written with it), not while the request waits.
async fn create(call: &WebhookCall<'_>) -> Outcome<Answer> {
    decode::validate_create(&call.params)?;
    call.permit(Action::Create)?;
    let webhook = create_webhook(call, &call.params).await?;
    Ok(encode::created_answer(&call.context(), &webhook))
}

async fn create_webhook(call: &WebhookCall<'_>, params: &Params) -> Outcome<Webhook> {
    let new = decode::decode_create(params, call.route.version, create_defaults())?;
    Ok(call.state.store.create_webhook(new).await.faulted()?)
}

/// `GET /webhooks/{id}`.
async fn retrieve(call: &WebhookCall<'_>, id: i64) -> Outcome<Answer> {
    let edit = decode::decode_retrieve(&call.params)?;
    call.permit(Action::View)?;
    if id == 0 {
        return Err(decode::invalid_id_get());
    }
    let webhook = call.existing(id, Missing::Answer).await?;
    Ok(encode::item_answer(&call.context(), &webhook, edit))
}

/// `POST|PUT|PATCH /webhooks/{id}`.
async fn update(call: &WebhookCall<'_>, id: i64) -> Outcome<Answer> {
    decode::validate_update(&call.params)?;
    call.permit(Action::Edit)?;
    let webhook = update_webhook(call, id, &call.params).await?;
    Ok(encode::item_answer(&call.context(), &webhook, true))
}

async fn update_webhook(call: &WebhookCall<'_>, id: i64, params: &Params) -> Outcome<Webhook> {
    call.existing(id, Missing::Update).await?;
    let patch = decode::decode_update(params)?;
    match call.state.store.update_webhook(id, patch).await.faulted() {
        Ok(webhook) => Ok(webhook),
        Err(Fault::NotFound { .. }) => Err(decode::missing(Missing::Update)),
        Err(fault) => Err(fault.into()),
    }
}

/// `DELETE /webhooks/{id}`: answers the webhook as it was, in the `edit` context.
async fn delete(call: &WebhookCall<'_>, id: i64) -> Outcome<Answer> {
    let force = decode::decode_delete(&call.params)?;
    call.permit(Action::Delete)?;
    if !force {
        return Err(decode::trash_not_supported());
    }
    let webhook = delete_webhook(call, id).await?;
    Ok(encode::item_answer(&call.context(), &webhook, true))
}

async fn delete_webhook(call: &WebhookCall<'_>, id: i64) -> Outcome<Webhook> {
    match call.state.store.delete_webhook(id).await.faulted() {
        Ok(webhook) => Ok(webhook),
        Err(Fault::NotFound { .. }) => Err(decode::missing(Missing::Delete)),
        Err(fault) => Err(fault.into()),
    }
}

/// `POST|PUT|PATCH /webhooks/batch`: each item through the controller's own checks
/// (WordPress's argument checks do not run for batch items), deletes forced.
async fn batch(call: &WebhookCall<'_>) -> Outcome<Answer> {
    call.permit(Action::Batch)?;
    let command = decode_batch(&call.params);
    command.check_limit()?;
    let ctx = call.context();
    let mut results = WebhookBatch::default();
    for item in &command.create {
        results.created(&ctx, create_webhook(call, item).await);
    }
    for item in &command.update {
        let outcome = update_webhook(call, item.id, &item.params).await;
        results.updated(&ctx, outcome, item.raw_id.clone());
    }
    for id in &command.delete {
        results.deleted(&ctx, delete_webhook(call, *id).await, *id);
    }
    Ok(results.answer([
        !command.create.is_empty(),
        !command.update.is_empty(),
        !command.delete.is_empty(),
    ]))
}
