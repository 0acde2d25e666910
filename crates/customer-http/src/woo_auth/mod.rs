//! WooCommerce API key authentication, shared by wc/v2, wc/v3 and wc-api/v3.
//!
//! Both APIs accept the same keys (`ck_…`/`cs_…`) but check them differently, and the
//! official clients depend on the details, so each [`Flavor`] follows its original:
//!
//! - **REST** (`WC_REST_Authentication`): only for paths containing `wp-json/wc/` or
//!   `wp-json/wc-`. Over HTTPS, `consumer_key`/`consumer_secret` query parameters, else
//!   HTTP Basic; an unknown key is silently anonymous, a wrong secret an error. Then (and
//!   always over plain http) OAuth 1.0a one-legged from the query, a POST form body and
//!   an `Authorization: OAuth …` header. No credentials at all: anonymous.
//! - **Legacy** (`WC_API_Authentication`): every route but the index needs a key. Over
//!   HTTPS, query keys else Basic (with a `WWW-Authenticate` challenge); over plain http,
//!   OAuth 1.0a from the query string only, missing parameters answering 404.
//!
//! OAuth checks run in WooCommerce's order: parameters, key, signature method and
//! signature, timestamp (±15 minutes), nonce. Key scope ([`check_scope`]) is checked by
//! the dialect after any method override; [`authorize`] does that and records the key's
//! last access.

mod params;
mod signature;

use customer_model::Timestamp;
use customer_store::{ApiKey, KeyKind, KeyPermissions};
use http::Method;

use crate::{AppState, Request, keys};
use params::PhpParams;
use signature::SignatureMethod;

/// How far a timestamp may be from the server's clock, in seconds (15 minutes).
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 15 * 60;

/// The challenge the legacy API sends with a failed Basic login.
pub const LEGACY_BASIC_REALM: &str = "Basic realm=\"WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field.\"";

/// The OAuth parameters every signed request must carry, in the order WooCommerce checks
/// (and names) them.
const REQUIRED_OAUTH_PARAMS: [&str; 5] = [
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
];

/// Which WooCommerce API is authenticating: their OAuth normalisations and error codes
/// differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `/wp-json/wc/v2|v3` (codes `woocommerce_rest_*`).
    Rest,
    /// `/wc-api/v3` (codes `woocommerce_api_*`).
    Legacy,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WooCaller {
    /// No credentials, or credentials the original ignores (e.g. Basic over plain http).
    Anonymous,
    /// An authenticated key.
    Key(ApiKey),
}

/// An authentication failure, ready for the dialect's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WooAuthError {
    /// HTTP status (401 for every WooCommerce auth failure).
    pub status: u16,
    /// The dialect's error code, e.g. `woocommerce_rest_authentication_error`.
    pub code: &'static str,
    /// The original's message, e.g. `Consumer key is invalid.`.
    pub message: String,
}

impl WooAuthError {
    fn new(flavor: Flavor, status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            code: match flavor {
                Flavor::Rest => "woocommerce_rest_authentication_error",
                Flavor::Legacy => "woocommerce_api_authentication_error",
            },
            message: message.into(),
        }
    }

    fn unauthorized(flavor: Flavor, message: impl Into<String>) -> Self {
        Self::new(flavor, 401, message)
    }

    /// The store could not be asked about the key: not the caller's fault.
    fn store_unavailable(error: &customer_store::StoreError) -> Self {
        tracing::error!(%error, "API key lookup failed");
        Self {
            status: 500,
            code: "internal_server_error",
            message: "The API keys cannot be read right now.".to_owned(),
        }
    }

    /// The `WWW-Authenticate` header value the response must carry, if any: the legacy
    /// API challenges a failed Basic login (and only that).
    pub fn www_authenticate(&self) -> Option<&'static str> {
        (self.code == "woocommerce_api_authentication_error"
            && self.message == LEGACY_BASIC_SECRET_INVALID)
            .then_some(LEGACY_BASIC_REALM)
    }
}

/// The legacy Basic branch's message (capital S, unlike the query-key branch).
const LEGACY_BASIC_SECRET_INVALID: &str = "Consumer Secret is invalid.";

/// Authenticates `request` the way WooCommerce does for `flavor`.
pub async fn authenticate(
    state: &AppState,
    request: &Request,
    flavor: Flavor,
) -> Result<WooCaller, WooAuthError> {
    authenticate_at(state, request, flavor, Timestamp::now()).await
}

/// [`authenticate`] with the server's clock at `now` (OAuth timestamps are checked
/// against it).
pub async fn authenticate_at(
    state: &AppState,
    request: &Request,
    flavor: Flavor,
    now: Timestamp,
) -> Result<WooCaller, WooAuthError> {
    match flavor {
        Flavor::Rest => authenticate_rest(state, request, now.as_second()).await,
        Flavor::Legacy => authenticate_legacy(state, request, now.as_second()).await,
    }
}

/// Checks a key's scope against the method (after `_method` overrides).
pub fn check_scope(key: &ApiKey, method: &Method, flavor: Flavor) -> Result<(), WooAuthError> {
    let can_read = matches!(
        key.permissions,
        KeyPermissions::Read | KeyPermissions::ReadWrite
    );
    let can_write = matches!(
        key.permissions,
        KeyPermissions::Write | KeyPermissions::ReadWrite
    );
    match *method {
        Method::GET | Method::HEAD if !can_read => Err(WooAuthError::unauthorized(
            flavor,
            "The API key provided does not have read permissions.",
        )),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE if !can_write => {
            Err(WooAuthError::unauthorized(
                flavor,
                "The API key provided does not have write permissions.",
            ))
        }
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE => Ok(()),
        // The REST API lets OPTIONS through and refuses methods it does not know; the
        // legacy API checks nothing for other methods (its router refuses them later).
        Method::OPTIONS => Ok(()),
        _ => match flavor {
            Flavor::Rest => Err(WooAuthError::unauthorized(
                flavor,
                "Unknown request method.",
            )),
            Flavor::Legacy => Ok(()),
        },
    }
}

/// [`check_scope`] for an authenticated caller, then records the key's last access (as
/// WooCommerce does on every request a key is allowed to make). Anonymous callers pass:
/// the handlers' permission checks answer them.
pub async fn authorize(
    state: &AppState,
    caller: &WooCaller,
    method: &Method,
    flavor: Flavor,
) -> Result<(), WooAuthError> {
    let WooCaller::Key(key) = caller else {
        return Ok(());
    };
    check_scope(key, method, flavor)?;
    if let Err(error) = state.store.touch_api_key(key.id, Timestamp::now()).await {
        // A missed last-access stamp must not fail the request.
        tracing::warn!(%error, key_id = key.id, "could not record API key access");
    }
    Ok(())
}

/// The method the request asks for: `?_method=` (first), else the
/// `X-HTTP-Method-Override` header, upper-cased; the legacy API also reduces `_method`
/// to `[a-z0-9_-]` first. An override that is not a method token leaves the real method.
pub fn effective_method(request: &Request, flavor: Flavor) -> Method {
    let query = PhpParams::parse(request.query().as_bytes());
    let from_query = query.get_bytes("_method").map(|raw| match flavor {
        Flavor::Rest => raw.to_vec(),
        Flavor::Legacy => sanitize_key(raw),
    });
    let requested = from_query.or_else(|| {
        request
            .headers
            .get("x-http-method-override")
            .map(|value| value.as_bytes().to_vec())
    });
    requested
        .and_then(|raw| Method::from_bytes(&raw.to_ascii_uppercase()).ok())
        .unwrap_or_else(|| request.method.clone())
}

/// Whether the request counts as HTTPS: a TLS connection, or `X-Forwarded-Proto: https`
/// when the operator trusts a proxy.
pub fn is_https(state: &AppState, request: &Request) -> bool {
    request.tls
        || (state.site.trust_forwarded_proto
            && request
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https")))
}

// ---------------------------------------------------------------------------------------
// REST

async fn authenticate_rest(
    state: &AppState,
    request: &Request,
    now: i64,
) -> Result<WooCaller, WooAuthError> {
    // WooCommerce hooks in only for its own namespaces, judged on the raw request URI:
    // `?rest_route=/wc/v3/…` requests are never key-authenticated.
    let target = request
        .uri
        .path_and_query()
        .map_or("", |target| target.as_str());
    if !target.contains("wp-json/wc/") && !target.contains("wp-json/wc-") {
        return Ok(WooCaller::Anonymous);
    }
    let flavor = Flavor::Rest;
    // A wrong secret over Basic is remembered and still reported after OAuth runs,
    // unless OAuth fails with its own error (WooCommerce keeps the last error set).
    let mut error = None;
    if is_https(state, request) {
        let query = PhpParams::parse(request.query().as_bytes());
        let credentials = query_credentials(&query).or_else(|| basic_credentials(request));
        if let Some((consumer_key, consumer_secret)) = credentials {
            let key = find_key(state, &sanitize_text_field(&consumer_key)).await?;
            if let Some(key) = key {
                if signature::constant_time_equal(key.secret.as_bytes(), &consumer_secret) {
                    return Ok(WooCaller::Key(key));
                }
                error = Some(WooAuthError::unauthorized(
                    flavor,
                    "Consumer secret is invalid.",
                ));
            }
        }
    }
    match rest_oauth(state, request, now).await? {
        Some(key) => match error {
            Some(error) => Err(error),
            None => Ok(WooCaller::Key(key)),
        },
        None => error.map_or(Ok(WooCaller::Anonymous), Err),
    }
}

/// REST OAuth: `Ok(None)` when the request carries no OAuth parameter at all.
async fn rest_oauth(
    state: &AppState,
    request: &Request,
    now: i64,
) -> Result<Option<ApiKey>, WooAuthError> {
    let flavor = Flavor::Rest;
    let params = rest_oauth_params(request);
    let missing: Vec<&str> = REQUIRED_OAUTH_PARAMS
        .into_iter()
        .filter(|name| params.is_empty_param(name))
        .collect();
    if missing.len() == REQUIRED_OAUTH_PARAMS.len() {
        return Ok(None);
    }
    if !missing.is_empty() {
        let noun = if missing.len() == 1 {
            "parameter"
        } else {
            "parameters"
        };
        return Err(WooAuthError {
            status: 401,
            code: "woocommerce_rest_authentication_missing_parameter",
            message: format!("Missing OAuth {noun} {}", missing.join(", ")),
        });
    }
    let consumer_key = params.get_bytes("oauth_consumer_key").unwrap_or_default();
    let key = find_key(state, &sanitize_text_field(consumer_key))
        .await?
        .ok_or_else(|| WooAuthError::unauthorized(flavor, "Consumer key is invalid."))?;
    let stamp = TimestampAndNonce::from_params(&params);
    let base_url = rest_base_url(state, request);
    // The REST API signs the method the client really sent, not an override.
    verify_signature(flavor, &key, params, request.method.as_str(), &base_url)?;
    check_timestamp_and_nonce(state, flavor, &key, &stamp, now).await?;
    Ok(Some(key))
}

/// `array_merge($_GET, $_POST)` (form bodies of POST requests only), then the
/// `oauth_*` parameters of an `Authorization: OAuth …` header on top.
fn rest_oauth_params(request: &Request) -> PhpParams {
    let mut params = PhpParams::parse(request.query().as_bytes());
    if request.method == Method::POST && is_form_body(request) {
        params.merge(PhpParams::parse(&request.body));
    }
    if let Some(header) = request.headers.get(http::header::AUTHORIZATION) {
        for (name, value) in params::oauth_header_params(header.as_bytes()) {
            params.set(&name, value);
        }
    }
    params
}

/// `get_home_url(null, $request_path, https ? 'https' : 'http')`: the configured home
/// URL (never the `Host` header) with the request's raw path, the home's own sub-path
/// not repeated.
fn rest_base_url(state: &AppState, request: &Request) -> String {
    let home = home_url(state, is_https(state, request));
    let home_path = format!("{}/", path_of_url(&state.site.site_url));
    let path = request.uri.path();
    let relative = path.strip_prefix(home_path.as_str()).unwrap_or(path);
    format!("{home}/{}", relative.trim_start_matches('/'))
}

// ---------------------------------------------------------------------------------------
// Legacy

async fn authenticate_legacy(
    state: &AppState,
    request: &Request,
    now: i64,
) -> Result<WooCaller, WooAuthError> {
    let flavor = Flavor::Legacy;
    let (version, route) = legacy_route(request.uri.path());
    // The index answers everyone.
    if route.is_empty() {
        return Ok(WooCaller::Anonymous);
    }
    let query = PhpParams::parse(request.query().as_bytes());
    if is_https(state, request) {
        if let Some((consumer_key, consumer_secret)) = query_credentials(&query) {
            let key = find_key(state, &sanitize_key(&consumer_key))
                .await?
                .ok_or_else(|| WooAuthError::unauthorized(flavor, "Consumer key is invalid."))?;
            if !signature::constant_time_equal(
                key.secret.as_bytes(),
                &sanitize_key(&consumer_secret),
            ) {
                return Err(WooAuthError::unauthorized(
                    flavor,
                    "Consumer secret is invalid.",
                ));
            }
            return Ok(WooCaller::Key(key));
        }
        let challenge = || WooAuthError::unauthorized(flavor, LEGACY_BASIC_SECRET_INVALID);
        let (consumer_key, consumer_secret) = basic_credentials(request).ok_or_else(challenge)?;
        let key = find_key(state, &sanitize_key(&consumer_key))
            .await?
            .ok_or_else(|| WooAuthError::unauthorized(flavor, "Consumer key is invalid."))?;
        if !signature::constant_time_equal(key.secret.as_bytes(), &sanitize_key(&consumer_secret)) {
            return Err(challenge());
        }
        return Ok(WooCaller::Key(key));
    }
    for name in REQUIRED_OAUTH_PARAMS {
        if query.is_empty_param(name) {
            return Err(WooAuthError::new(
                flavor,
                404,
                format!("{name} parameter is missing"),
            ));
        }
    }
    let consumer_key = query.get_bytes("oauth_consumer_key").unwrap_or_default();
    let key = find_key(state, &sanitize_key(consumer_key))
        .await?
        .ok_or_else(|| WooAuthError::unauthorized(flavor, "Consumer key is invalid."))?;
    let mut base_url = format!(
        "{}/wc-api/v{version}{route}",
        home_url(state, is_https(state, request))
    );
    // WordPress trims the route's trailing slash; WooCommerce puts one back when the
    // requested URL had it.
    if request.uri.path().ends_with('/') {
        base_url.push('/');
    }
    let mut stamp = TimestampAndNonce::from_params(&query);
    // The legacy plugin reduces both to `[a-z0-9_-]` before using them.
    stamp.timestamp = sanitize_key(&stamp.timestamp);
    stamp.nonce = sanitize_key(&stamp.nonce);
    let method = effective_method(request, flavor);
    verify_signature(flavor, &key, query, method.as_str(), &base_url)?;
    check_timestamp_and_nonce(state, flavor, &key, &stamp, now).await?;
    Ok(WooCaller::Key(key))
}

/// Splits `/wc-api/v3/customers/5/` into the version digit and the route WordPress
/// hands the legacy server: url-decoded (`+` is a space), without trailing slashes.
fn legacy_route(path: &str) -> (char, String) {
    let after_prefix = path
        .get(..8)
        .filter(|prefix| prefix.eq_ignore_ascii_case("/wc-api/"))
        .map(|_| &path[8..])
        .unwrap_or(path);
    let mut chars = after_prefix.chars();
    let (version, rest) = match (chars.next(), chars.next()) {
        (Some('v' | 'V'), Some(digit)) if digit.is_ascii_digit() => (digit, &after_prefix[2..]),
        _ => ('3', after_prefix),
    };
    let decoded = params::urldecode(rest.as_bytes());
    let route = String::from_utf8_lossy(&decoded);
    (version, route.trim_end_matches('/').to_owned())
}

// ---------------------------------------------------------------------------------------
// Shared steps

/// Checks the signature method and the signature over `params` (which still hold
/// `oauth_signature`).
fn verify_signature(
    flavor: Flavor,
    key: &ApiKey,
    mut params: PhpParams,
    http_method: &str,
    base_url: &str,
) -> Result<(), WooAuthError> {
    let provided = params
        .remove("oauth_signature")
        .and_then(|value| value.as_bytes().map(signature::provided_signature))
        .unwrap_or_default();
    let method = params
        .get_bytes("oauth_signature_method")
        .and_then(SignatureMethod::parse)
        .ok_or_else(|| {
            WooAuthError::unauthorized(flavor, "Invalid signature - signature method is invalid.")
        })?;
    let sorted = params.into_sorted();
    let http_method = http_method.to_ascii_uppercase();
    let string_to_sign = match flavor {
        Flavor::Rest => signature::rest_base_string(&http_method, base_url, &sorted),
        Flavor::Legacy => signature::legacy_base_string(&http_method, base_url, &sorted),
    };
    let expected = signature::sign(method, &key.secret, &string_to_sign);
    if signature::constant_time_equal(expected.as_bytes(), &provided) {
        Ok(())
    } else {
        Err(WooAuthError::unauthorized(
            flavor,
            "Invalid signature - provided signature does not match.",
        ))
    }
}

/// `oauth_timestamp` and `oauth_nonce` as sent.
struct TimestampAndNonce {
    timestamp: Vec<u8>,
    nonce: Vec<u8>,
}

impl TimestampAndNonce {
    fn from_params(params: &PhpParams) -> Self {
        let scalar = |name| params.get_bytes(name).unwrap_or_default().to_vec();
        Self {
            timestamp: scalar("oauth_timestamp"),
            nonce: scalar("oauth_nonce"),
        }
    }
}

/// Timestamp within ±15 minutes of `now`, then a nonce this key has not used.
async fn check_timestamp_and_nonce(
    state: &AppState,
    flavor: Flavor,
    key: &ApiKey,
    stamp: &TimestampAndNonce,
    now: i64,
) -> Result<(), WooAuthError> {
    let earliest = now - TIMESTAMP_WINDOW_SECONDS;
    let latest = now + TIMESTAMP_WINDOW_SECONDS;
    if php_less_than(&stamp.timestamp, earliest) || php_greater_than(&stamp.timestamp, latest) {
        return Err(WooAuthError::unauthorized(flavor, "Invalid timestamp."));
    }
    let timestamp = php_integer(&stamp.timestamp);
    let nonce = String::from_utf8_lossy(&stamp.nonce);
    let fresh = state
        .store
        .remember_nonce(key.id, &nonce, timestamp, earliest)
        .await
        .map_err(|error| WooAuthError::store_unavailable(&error))?;
    if fresh {
        Ok(())
    } else {
        Err(WooAuthError::unauthorized(
            flavor,
            "Invalid nonce - nonce has already been used.",
        ))
    }
}

/// The live WooCommerce key whose consumer key is `consumer_key`.
async fn find_key(state: &AppState, consumer_key: &[u8]) -> Result<Option<ApiKey>, WooAuthError> {
    let Ok(consumer_key) = std::str::from_utf8(consumer_key) else {
        return Ok(None);
    };
    state
        .store
        .find_api_key(
            KeyKind::WooCommerce,
            &keys::woocommerce_lookup(consumer_key),
        )
        .await
        .map_err(|error| WooAuthError::store_unavailable(&error))
}

/// `consumer_key` and `consumer_secret` from the query, when both are non-empty.
fn query_credentials(query: &PhpParams) -> Option<(Vec<u8>, Vec<u8>)> {
    if query.is_empty_param("consumer_key") || query.is_empty_param("consumer_secret") {
        return None;
    }
    Some((
        query.get_bytes("consumer_key")?.to_vec(),
        query.get_bytes("consumer_secret")?.to_vec(),
    ))
}

/// User and password of `Authorization: Basic …`, when both are non-empty (PHP's
/// `PHP_AUTH_USER`/`PHP_AUTH_PW`).
fn basic_credentials(request: &Request) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    let header = request.headers.get(http::header::AUTHORIZATION)?.as_bytes();
    let scheme = header.get(..6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header[6..].trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    let empty = |value: &[u8]| value.is_empty() || value == b"0";
    (!empty(user) && !empty(password)).then(|| (user.to_vec(), password.to_vec()))
}

fn is_form_body(request: &Request) -> bool {
    request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// The site's home URL with the scheme of the request (`set_url_scheme`).
fn home_url(state: &AppState, https: bool) -> String {
    let site = state.site.site_url.trim_end_matches('/');
    let rest = site.split_once("://").map_or(site, |(_, rest)| rest);
    format!("{}://{rest}", if https { "https" } else { "http" })
}

/// The path part of a URL (`""` for `http://host`).
fn path_of_url(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or("", |at| rest[at..].trim_end_matches('/'))
}

/// WordPress's `sanitize_text_field` as it matters for keys: runs of whitespace become
/// one space, the ends are trimmed, and `%XX` octets are removed. (Tags are not
/// stripped: no key contains `<`.)
fn sanitize_text_field(raw: &[u8]) -> Vec<u8> {
    if std::str::from_utf8(raw).is_err() {
        return Vec::new();
    }
    let mut collapsed = Vec::with_capacity(raw.len());
    for &b in raw {
        let space = matches!(b, b'\r' | b'\n' | b'\t' | b' ');
        if space {
            if collapsed.last() != Some(&b' ') {
                collapsed.push(b' ');
            }
        } else {
            collapsed.push(b);
        }
    }
    let mut text = collapsed.trim_ascii().to_vec();
    let mut found = false;
    while let Some(at) = text
        .windows(3)
        .position(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        let octet = text[at..at + 3].to_vec();
        text = replace_all(&text, &octet);
        found = true;
    }
    if found {
        let mut squeezed = Vec::with_capacity(text.len());
        for &b in &text {
            if !(b == b' ' && squeezed.last() == Some(&b' ')) {
                squeezed.push(b);
            }
        }
        text = squeezed.trim_ascii().to_vec();
    }
    text
}

fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    while at < haystack.len() {
        if haystack[at..].starts_with(needle) {
            at += needle.len();
        } else {
            out.push(haystack[at]);
            at += 1;
        }
    }
    out
}

/// WordPress's `sanitize_key`: lower-case, only `[a-z0-9_-]` kept.
fn sanitize_key(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(u8::to_ascii_lowercase)
        .filter(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
        .collect()
}

/// A PHP numeric string's value (surrounding whitespace allowed, as in PHP 8).
fn php_number(raw: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(raw).ok()?;
    let text = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let numeric_chars = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if text.is_empty() || !numeric_chars || !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// PHP 8's `$string < $int`: numeric strings compare as numbers, others as strings.
fn php_less_than(raw: &[u8], bound: i64) -> bool {
    match php_number(raw) {
        Some(value) => value < bound as f64,
        None => raw < bound.to_string().as_bytes(),
    }
}

/// PHP 8's `$string > $int`.
fn php_greater_than(raw: &[u8], bound: i64) -> bool {
    match php_number(raw) {
        Some(value) => value > bound as f64,
        None => raw > bound.to_string().as_bytes(),
    }
}

/// The integer WooCommerce files a nonce under (`$used_nonces[$timestamp]`).
fn php_integer(raw: &[u8]) -> i64 {
    php_number(raw).map_or_else(
        || {
            let digits: String = raw
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .map(|&b| char::from(b))
                .collect();
            digits.parse().unwrap_or(0)
        },
        |value| value as i64,
    )
}

#[cfg(test)]
mod tests;
