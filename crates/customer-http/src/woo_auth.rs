//! WooCommerce API key authentication as the server runs it for wc/v2, wc/v3 and
//! wc-api/v3: the order of the checks, with the store's part in them (looking keys up,
//! remembering nonces, recording a key's use). Every rule that needs no store, and every
//! error, is `customer_wire::woo::auth`'s.

use customer_model::Timestamp;
use customer_store::{ApiKey, KeyPermissions};
use customer_wire::request::Incoming;
use customer_wire::woo::auth::{
    self, AuthError, Flavor, KeyScope, OAuthParams, legacy_base_url, rest_base_url,
};

use crate::AppState;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WooCaller {
    /// No credentials, or credentials the original ignores (e.g. Basic over plain http).
    Anonymous,
    /// An authenticated key.
    Key(ApiKey),
}

/// Authenticates `incoming` the way WooCommerce does for `flavor`.
pub async fn authenticate(
    state: &AppState,
    incoming: &Incoming<'_>,
    flavor: Flavor,
) -> Result<WooCaller, AuthError> {
    authenticate_at(state, incoming, flavor, Timestamp::now()).await
}

/// [`authenticate`] with the server's clock at `now` (OAuth timestamps are checked
/// against it).
pub async fn authenticate_at(
    state: &AppState,
    incoming: &Incoming<'_>,
    flavor: Flavor,
    now: Timestamp,
) -> Result<WooCaller, AuthError> {
    match flavor {
        Flavor::Rest => authenticate_rest(state, incoming, now.as_second()).await,
        Flavor::Legacy => authenticate_legacy(state, incoming, now.as_second()).await,
    }
}

/// The key's scope checked against the method (after overrides), then the key's last
/// access recorded (as WooCommerce does on every request a key is allowed to make; in
/// memory, written in the background: see [`crate::key_cache`]).
/// Anonymous callers pass: the handlers' permission checks answer them.
pub async fn authorize(
    state: &AppState,
    caller: &WooCaller,
    method: &str,
    flavor: Flavor,
) -> Result<(), AuthError> {
    let WooCaller::Key(key) = caller else {
        return Ok(());
    };
    auth::check_scope(scope(key.permissions), method, flavor)?;
    state.keys.record_use(key.id, state.store.clock().now());
    Ok(())
}

fn scope(permissions: KeyPermissions) -> KeyScope {
    KeyScope {
        read: matches!(
            permissions,
            KeyPermissions::Read | KeyPermissions::ReadWrite
        ),
        write: matches!(
            permissions,
            KeyPermissions::Write | KeyPermissions::ReadWrite
        ),
    }
}

async fn authenticate_rest(
    state: &AppState,
    incoming: &Incoming<'_>,
    now: i64,
) -> Result<WooCaller, AuthError> {
    if !auth::is_rest_api_request(incoming.target) {
        return Ok(WooCaller::Anonymous);
    }
    let flavor = Flavor::Rest;
    // A wrong secret over Basic is remembered and still reported after OAuth runs,
    // unless OAuth fails with its own error (WooCommerce keeps the last error set).
    let mut error = None;
    if incoming.https
        && let Some((consumer_key, secret)) = auth::query_credentials(&incoming.query)
            .or_else(|| auth::basic_credentials(&incoming.headers))
        && let Some(key) = find_key(state, &auth::clean_consumer_key(flavor, &consumer_key)).await?
    {
        if auth::secret_matches(flavor, &key.secret, &secret) {
            return Ok(WooCaller::Key(key));
        }
        error = Some(AuthError::consumer_secret_invalid(flavor));
    }
    let params = OAuthParams::rest(incoming);
    let missing = params.missing();
    if missing.len() == auth::REQUIRED_OAUTH_PARAMS.len() {
        return error.map_or(Ok(WooCaller::Anonymous), Err);
    }
    // The REST API signs the method the client really sent, not an override.
    let key = oauth(
        state,
        params,
        &missing,
        incoming.method,
        &rest_base_url(state.site.url(), incoming),
        now,
    )
    .await?;
    match error {
        Some(error) => Err(error),
        None => Ok(WooCaller::Key(key)),
    }
}

async fn authenticate_legacy(
    state: &AppState,
    incoming: &Incoming<'_>,
    now: i64,
) -> Result<WooCaller, AuthError> {
    let flavor = Flavor::Legacy;
    // The index answers everyone.
    if auth::legacy_route(incoming.path).1.is_empty() {
        return Ok(WooCaller::Anonymous);
    }
    if incoming.https {
        let (credentials, basic) = match auth::query_credentials(&incoming.query) {
            Some(credentials) => (credentials, false),
            None => (
                auth::basic_credentials(&incoming.headers)
                    .ok_or_else(AuthError::legacy_basic_failed)?,
                true,
            ),
        };
        let (consumer_key, secret) = credentials;
        let key = find_key(state, &auth::clean_consumer_key(flavor, &consumer_key))
            .await?
            .ok_or_else(|| AuthError::consumer_key_invalid(flavor))?;
        return match (auth::secret_matches(flavor, &key.secret, &secret), basic) {
            (true, _) => Ok(WooCaller::Key(key)),
            (false, true) => Err(AuthError::legacy_basic_failed()),
            (false, false) => Err(AuthError::consumer_secret_invalid(flavor)),
        };
    }
    let params = OAuthParams::legacy(&incoming.query);
    let missing = params.missing();
    let method = auth::effective_method(incoming, flavor);
    let base_url = legacy_base_url(state.site.url(), incoming);
    let key = oauth(state, params, &missing, &method, &base_url, now).await?;
    Ok(WooCaller::Key(key))
}

/// OAuth 1.0a in WooCommerce's order: parameters, key, signature, timestamp, nonce.
async fn oauth(
    state: &AppState,
    params: OAuthParams,
    missing: &[&str],
    http_method: &str,
    base_url: &str,
    now: i64,
) -> Result<ApiKey, AuthError> {
    if !missing.is_empty() {
        return Err(params.missing_error(missing));
    }
    let flavor = params.flavor();
    let key = find_key(state, &params.consumer_key())
        .await?
        .ok_or_else(|| AuthError::consumer_key_invalid(flavor))?;
    let stamp = params.stamp();
    params.verify(&key.secret, http_method, base_url)?;
    let fresh = stamp.check(flavor, now)?;
    let remembered = state
        .store
        .remember_nonce(key.id, &fresh.nonce, fresh.timestamp, fresh.earliest)
        .await
        .map_err(|error| {
            tracing::error!(%error, "nonce memory failed");
            AuthError::keys_unavailable()
        })?;
    if remembered {
        Ok(key)
    } else {
        Err(AuthError::nonce_used(flavor))
    }
}

/// The live WooCommerce key whose consumer key is `consumer_key`.
async fn find_key(state: &AppState, consumer_key: &[u8]) -> Result<Option<ApiKey>, AuthError> {
    let Ok(consumer_key) = std::str::from_utf8(consumer_key) else {
        return Ok(None);
    };
    state
        .keys
        .find_woocommerce(consumer_key)
        .await
        .map_err(|error| {
            tracing::error!(%error, "API key lookup failed");
            AuthError::keys_unavailable()
        })
}
