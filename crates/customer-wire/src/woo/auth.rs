//! The pure parts of WooCommerce API key authentication, shared by wc/v2, wc/v3 and
//! wc-api/v3: where credentials are read from, the OAuth 1.0a checks, key scopes,
//! method overrides, and every error with its code and message. Looking keys up,
//! remembering nonces and recording a key's use need the store; the server does those.
//!
//! Both APIs accept the same keys (`ck_…`/`cs_…`) but check them differently, and the
//! official clients depend on the details, so each [`Flavor`] follows its original:
//!
//! - **REST** (`WC_REST_Authentication`): only for request URIs containing `wp-json/wc/`
//!   or `wp-json/wc-` ([`is_rest_api_request`]). Over HTTPS, `consumer_key` and
//!   `consumer_secret` query parameters, else HTTP Basic; an unknown key is silently
//!   anonymous, a wrong secret an error. Then (and always over plain http) OAuth 1.0a
//!   one-legged from the query, a POST form body and an `Authorization: OAuth …` header.
//! - **Legacy** (`WC_API_Authentication`): every route but the index needs a key. Over
//!   HTTPS, query keys else Basic (with a `WWW-Authenticate` challenge); over plain http,
//!   OAuth 1.0a from the query string only, missing parameters answering 404.
//!
//! OAuth checks run in WooCommerce's order: parameters, key, signature method and
//! signature, timestamp (±15 minutes), nonce.

use crate::php::{self, Vars, hash_equals};
use crate::request::{Headers, Incoming};
use crate::site::SiteUrl;

use super::oauth::{self, SignatureMethod};

/// How far a timestamp may be from the server's clock, in seconds (15 minutes).
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 15 * 60;

/// The challenge the legacy API sends with a failed Basic login.
pub const LEGACY_BASIC_REALM: &str = "Basic realm=\"WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field.\"";

/// The legacy Basic branch's message (capital S, unlike the query-key branch).
const LEGACY_BASIC_SECRET_INVALID: &str = "Consumer Secret is invalid.";

/// The OAuth parameters every signed request must carry, in the order WooCommerce checks
/// (and names) them.
pub const REQUIRED_OAUTH_PARAMS: [&str; 5] = [
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

impl Flavor {
    fn code(self) -> &'static str {
        match self {
            Self::Rest => "woocommerce_rest_authentication_error",
            Self::Legacy => "woocommerce_api_authentication_error",
        }
    }
}

/// An authentication failure, ready for the dialect's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// HTTP status (401 for every credential failure).
    pub status: u16,
    /// The dialect's error code, e.g. `woocommerce_rest_authentication_error`.
    pub code: &'static str,
    /// The original's message, e.g. `Consumer key is invalid.`.
    pub message: String,
}

impl AuthError {
    fn new(flavor: Flavor, status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            code: flavor.code(),
            message: message.into(),
        }
    }

    /// A 401 with `message`.
    pub fn unauthorized(flavor: Flavor, message: impl Into<String>) -> Self {
        Self::new(flavor, 401, message)
    }

    /// `Consumer key is invalid.`
    pub fn consumer_key_invalid(flavor: Flavor) -> Self {
        Self::unauthorized(flavor, "Consumer key is invalid.")
    }

    /// `Consumer secret is invalid.` (the query-key and REST branches).
    pub fn consumer_secret_invalid(flavor: Flavor) -> Self {
        Self::unauthorized(flavor, "Consumer secret is invalid.")
    }

    /// The legacy API's failed Basic login, which carries a challenge.
    pub fn legacy_basic_failed() -> Self {
        Self::unauthorized(Flavor::Legacy, LEGACY_BASIC_SECRET_INVALID)
    }

    /// A nonce this key used already.
    pub fn nonce_used(flavor: Flavor) -> Self {
        Self::unauthorized(flavor, "Invalid nonce - nonce has already been used.")
    }

    /// The keys could not be read: not the caller's fault.
    pub fn keys_unavailable() -> Self {
        Self {
            status: 500,
            code: "internal_server_error",
            message: "The API keys cannot be read right now.".to_owned(),
        }
    }

    /// The `WWW-Authenticate` header value the response must carry, if any: the legacy
    /// API challenges a failed Basic login (and only that).
    pub fn www_authenticate(&self) -> Option<&'static str> {
        (self.code == Flavor::Legacy.code() && self.message == LEGACY_BASIC_SECRET_INVALID)
            .then_some(LEGACY_BASIC_REALM)
    }
}

/// WooCommerce's `is_request_to_rest_api`: the raw request URI (path and query, case
/// sensitive) names its own namespaces. Only such requests are key-authenticated, so the
/// `?rest_route=/wc/v3/…` form reaches the API anonymously.
pub fn is_rest_api_request(target: &str) -> bool {
    target.contains("wp-json/wc/") || target.contains("wp-json/wc-")
}

/// `consumer_key` and `consumer_secret` from the query, when both are non-empty.
pub fn query_credentials(query: &Vars) -> Option<(Vec<u8>, Vec<u8>)> {
    if query.is_empty_var("consumer_key") || query.is_empty_var("consumer_secret") {
        return None;
    }
    Some((
        query.get_bytes("consumer_key")?.to_vec(),
        query.get_bytes("consumer_secret")?.to_vec(),
    ))
}

/// User and password of `Authorization: Basic …`, when both are non-empty (PHP's
/// `PHP_AUTH_USER`/`PHP_AUTH_PW`).
pub fn basic_credentials(headers: &Headers<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    let header = headers.get("authorization")?;
    let scheme = header.get(..6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header[6..].trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    (!php::empty(user) && !php::empty(password)).then(|| (user.to_vec(), password.to_vec()))
}

/// The consumer key as WooCommerce cleans it before the lookup: `sanitize_text_field` in
/// the REST API, `sanitize_key` in the legacy API.
pub fn clean_consumer_key(flavor: Flavor, raw: &[u8]) -> Vec<u8> {
    match flavor {
        Flavor::Rest => php::sanitize_text_field_bytes(raw),
        Flavor::Legacy => php::sanitize_key(raw),
    }
}

/// Whether a presented secret is the key's: the REST API compares it as sent, the
/// legacy API after `sanitize_key`.
pub fn secret_matches(flavor: Flavor, key_secret: &str, presented: &[u8]) -> bool {
    match flavor {
        Flavor::Rest => hash_equals(key_secret.as_bytes(), presented),
        Flavor::Legacy => hash_equals(key_secret.as_bytes(), &php::sanitize_key(presented)),
    }
}

/// The method override a request asks for: `?_method=` (first), else the
/// `X-HTTP-Method-Override` header, upper-cased; the legacy API reduces either to
/// `[a-z0-9_-]` first. `None` without an override.
pub fn method_override(incoming: &Incoming<'_>, flavor: Flavor) -> Option<String> {
    let requested = incoming
        .query
        .get_bytes("_method")
        .or_else(|| incoming.headers.get("x-http-method-override"))?;
    let cleaned = match flavor {
        Flavor::Rest => requested.to_vec(),
        Flavor::Legacy => php::sanitize_key(requested),
    };
    Some(String::from_utf8_lossy(&cleaned.to_ascii_uppercase()).into_owned())
}

/// The method the request asks for as a method token: the override when it is one,
/// else the method sent.
pub fn effective_method(incoming: &Incoming<'_>, flavor: Flavor) -> String {
    method_override(incoming, flavor)
        .filter(|method| is_method_token(method))
        .unwrap_or_else(|| incoming.method.to_owned())
}

/// Whether `text` is an HTTP method token (`tchar`s, at least one).
pub fn is_method_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyScope {
    /// `read` or `read_write`.
    pub read: bool,
    /// `write` or `read_write`.
    pub write: bool,
}

/// Checks a key's scope against the method (after overrides).
pub fn check_scope(scope: KeyScope, method: &str, flavor: Flavor) -> Result<(), AuthError> {
    match method {
        "GET" | "HEAD" if !scope.read => Err(AuthError::unauthorized(
            flavor,
            "The API key provided does not have read permissions.",
        )),
        "POST" | "PUT" | "PATCH" | "DELETE" if !scope.write => Err(AuthError::unauthorized(
            flavor,
            "The API key provided does not have write permissions.",
        )),
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => Ok(()),
        // The REST API refuses methods it does not know; the legacy API checks nothing
        // for them (its router refuses them later).
        _ => match flavor {
            Flavor::Rest => Err(AuthError::unauthorized(flavor, "Unknown request method.")),
            Flavor::Legacy => Ok(()),
        },
    }
}

/// The OAuth parameters of a request, still holding `oauth_signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthParams {
    flavor: Flavor,
    params: Vars,
}

impl OAuthParams {
    /// The REST API's parameters: `array_merge($_GET, $_POST)` (form bodies of POST
    /// requests only), then the `oauth_*` parameters of an `Authorization: OAuth …`
    /// header on top.
    pub fn rest(incoming: &Incoming<'_>) -> Self {
        let mut params = incoming.query.clone();
        if let Some(form) = incoming.post_form() {
            params.merge(form);
        }
        if let Some(header) = incoming.headers.get("authorization") {
            for (name, value) in oauth_header_params(header) {
                params.set(&name, value);
            }
        }
        Self {
            flavor: Flavor::Rest,
            params,
        }
    }

    /// The legacy API's parameters: the query string only.
    pub fn legacy(query: &Vars) -> Self {
        Self {
            flavor: Flavor::Legacy,
            params: query.clone(),
        }
    }

    /// Which API's rules these parameters follow.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The required parameters that are missing or empty, in WooCommerce's order.
    pub fn missing(&self) -> Vec<&'static str> {
        REQUIRED_OAUTH_PARAMS
            .into_iter()
            .filter(|name| self.params.is_empty_var(name))
            .collect()
    }

    /// The error for missing parameters (`missing` not empty): the REST API names them
    /// all in a 401, the legacy API the first in a 404.
    pub fn missing_error(&self, missing: &[&str]) -> AuthError {
        match self.flavor {
            Flavor::Rest => {
                let noun = if missing.len() == 1 {
                    "parameter"
                } else {
                    "parameters"
                };
                AuthError {
                    status: 401,
                    code: "woocommerce_rest_authentication_missing_parameter",
                    message: format!("Missing OAuth {noun} {}", missing.join(", ")),
                }
            }
            Flavor::Legacy => AuthError::new(
                Flavor::Legacy,
                404,
                format!("{} parameter is missing", missing.first().unwrap_or(&"")),
            ),
        }
    }

    /// `oauth_consumer_key`, cleaned for the lookup ([`clean_consumer_key`]).
    pub fn consumer_key(&self) -> Vec<u8> {
        clean_consumer_key(
            self.flavor,
            self.params
                .get_bytes("oauth_consumer_key")
                .unwrap_or_default(),
        )
    }

    /// `oauth_timestamp` and `oauth_nonce` as WooCommerce uses them (the legacy plugin
    /// reduces both to `[a-z0-9_-]`).
    pub fn stamp(&self) -> Stamp {
        let scalar = |name| self.params.get_bytes(name).unwrap_or_default().to_vec();
        let (timestamp, nonce) = (scalar("oauth_timestamp"), scalar("oauth_nonce"));
        match self.flavor {
            Flavor::Rest => Stamp { timestamp, nonce },
            Flavor::Legacy => Stamp {
                timestamp: php::sanitize_key(&timestamp),
                nonce: php::sanitize_key(&nonce),
            },
        }
    }

    /// Checks the signature method and the signature of `http_method base_url` signed
    /// with `secret`.
    pub fn verify(self, secret: &str, http_method: &str, base_url: &str) -> Result<(), AuthError> {
        let flavor = self.flavor;
        let mut params = self.params;
        let provided = params
            .remove("oauth_signature")
            .and_then(|value| value.as_bytes().map(oauth::provided_signature))
            .unwrap_or_default();
        let method = params
            .get_bytes("oauth_signature_method")
            .and_then(SignatureMethod::parse)
            .ok_or_else(|| {
                AuthError::unauthorized(flavor, "Invalid signature - signature method is invalid.")
            })?;
        let sorted = params.into_sorted();
        let http_method = http_method.to_ascii_uppercase();
        let string_to_sign = match flavor {
            Flavor::Rest => oauth::rest_base_string(&http_method, base_url, &sorted),
            Flavor::Legacy => oauth::legacy_base_string(&http_method, base_url, &sorted),
        };
        let expected = oauth::sign(method, secret, &string_to_sign);
        if hash_equals(expected.as_bytes(), &provided) {
            Ok(())
        } else {
            Err(AuthError::unauthorized(
                flavor,
                "Invalid signature - provided signature does not match.",
            ))
        }
    }
}

/// `oauth_timestamp` and `oauth_nonce` as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The timestamp, as sent.
    pub timestamp: Vec<u8>,
    /// The nonce, as sent.
    pub nonce: Vec<u8>,
}

/// A nonce to remember: the key may not use it again while `timestamp` is within the
/// window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshNonce {
    /// The nonce.
    pub nonce: String,
    /// The integer WooCommerce files it under (`$used_nonces[$timestamp]`).
    pub timestamp: i64,
    /// Nonces filed under timestamps before this have expired.
    pub earliest: i64,
}

impl Stamp {
    /// Checks the timestamp is within ±15 minutes of `now` (seconds); the nonce to
    /// remember otherwise.
    pub fn check(&self, flavor: Flavor, now: i64) -> Result<FreshNonce, AuthError> {
        let earliest = now - TIMESTAMP_WINDOW_SECONDS;
        let latest = now + TIMESTAMP_WINDOW_SECONDS;
        if php_less_than(&self.timestamp, earliest) || php_greater_than(&self.timestamp, latest) {
            return Err(AuthError::unauthorized(flavor, "Invalid timestamp."));
        }
        Ok(FreshNonce {
            nonce: String::from_utf8_lossy(&self.nonce).into_owned(),
            timestamp: php_integer(&self.timestamp),
            earliest,
        })
    }
}

/// The URL a REST request is signed for: `get_home_url(null, $request_path, scheme)`,
/// the configured home URL (never the `Host` header) with the request's raw path, the
/// home's own sub-path not repeated.
pub fn rest_base_url(site: SiteUrl<'_>, incoming: &Incoming<'_>) -> String {
    let home = site.with_scheme(incoming.https);
    let home_path = format!("{}/", site.path());
    let path = incoming.path;
    let relative = path.strip_prefix(home_path.as_str()).unwrap_or(path);
    format!("{home}/{}", relative.trim_start_matches('/'))
}

/// The URL a legacy request is signed for: `/wc-api/v<N><route>` under the home URL with
/// the request's scheme, with the trailing slash the request had.
pub fn legacy_base_url(site: SiteUrl<'_>, incoming: &Incoming<'_>) -> String {
    let (version, route) = legacy_route(incoming.path);
    let mut base_url = format!(
        "{}/wc-api/v{version}{route}",
        site.with_scheme(incoming.https)
    );
    // WordPress trims the route's trailing slash; WooCommerce puts one back when the
    // requested URL had it.
    if incoming.path.ends_with('/') {
        base_url.push('/');
    }
    base_url
}

/// Splits `/wc-api/v3/customers/5/` into the version digit and the route WordPress
/// hands the legacy server: url-decoded (`+` is a space), without trailing slashes. The
/// index (`/wc-api/v3`) has an empty route.
pub fn legacy_route(path: &str) -> (char, String) {
    let after_prefix = path
        .get(..8)
        .filter(|prefix| prefix.eq_ignore_ascii_case("/wc-api/"))
        .map_or(path, |_| &path[8..]);
    let mut chars = after_prefix.chars();
    let (version, rest) = match (chars.next(), chars.next()) {
        (Some('v' | 'V'), Some(digit)) if digit.is_ascii_digit() => (digit, &after_prefix[2..]),
        _ => ('3', after_prefix),
    };
    let route = php::urldecode_text(rest);
    (version, route.trim_end_matches('/').to_owned())
}

/// The `oauth_*` parameters of an `Authorization: OAuth …` header, as WooCommerce's
/// `parse_header` reads them: every `oauth_[a-z_-]*=` followed by a double-quoted value
/// (an optional `:` may precede the quote) or else by everything up to the next comma;
/// values are `urldecode`d. Anything not starting with exactly `OAuth ` gives nothing.
pub fn oauth_header_params(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let header = header.trim_ascii();
    if !header.starts_with(b"OAuth ") {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut at = 0;
    while at < header.len() {
        match oauth_header_match(header, at) {
            Some((name, value, end)) => {
                found.push((name, php::urldecode(&value)));
                at = end;
            }
            None => at += 1,
        }
    }
    found
}

/// One match of `(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))` at `start`: name, value, end.
fn oauth_header_match(header: &[u8], start: usize) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    let rest = &header[start..];
    if !rest.starts_with(b"oauth_") {
        return None;
    }
    let name_len = 6 + rest[6..]
        .iter()
        .take_while(|&&b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        .count();
    if rest.get(name_len) != Some(&b'=') {
        return None;
    }
    let name = rest[..name_len].to_vec();
    let value_at = name_len + 1;
    let after = &rest[value_at..];
    let quote_at = match after.first() {
        Some(b'"') => Some(0),
        Some(b':') if after.get(1) == Some(&b'"') => Some(1),
        _ => None,
    };
    if let Some(quote_at) = quote_at {
        let inner = &after[quote_at + 1..];
        if let Some(close) = inner.iter().position(|&b| b == b'"') {
            let end = start + value_at + quote_at + 1 + close + 1;
            return Some((name, inner[..close].to_vec(), end));
        }
    }
    let len = after.iter().take_while(|&&b| b != b',').count();
    Some((name, after[..len].to_vec(), start + value_at + len))
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

fn php_number(raw: &[u8]) -> Option<f64> {
    php::numeric_value(std::str::from_utf8(raw).ok()?)
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
mod tests {
    use super::*;

    const READ: KeyScope = KeyScope {
        read: true,
        write: false,
    };
    const WRITE: KeyScope = KeyScope {
        read: false,
        write: true,
    };
    const BOTH: KeyScope = KeyScope {
        read: true,
        write: true,
    };

    #[test]
    fn scope_follows_the_method() {
        for flavor in [Flavor::Rest, Flavor::Legacy] {
            for method in ["GET", "HEAD"] {
                assert!(check_scope(READ, method, flavor).is_ok());
                assert!(check_scope(BOTH, method, flavor).is_ok());
                let failure = check_scope(WRITE, method, flavor).unwrap_err();
                assert_eq!(
                    failure.message,
                    "The API key provided does not have read permissions."
                );
                assert_eq!(failure.status, 401);
            }
            for method in ["POST", "PUT", "PATCH", "DELETE"] {
                assert!(check_scope(WRITE, method, flavor).is_ok());
                assert_eq!(
                    check_scope(READ, method, flavor).unwrap_err().message,
                    "The API key provided does not have write permissions."
                );
            }
            assert!(check_scope(READ, "OPTIONS", flavor).is_ok());
            assert!(check_scope(WRITE, "OPTIONS", flavor).is_ok());
        }
        assert_eq!(
            check_scope(READ, "POST", Flavor::Legacy).unwrap_err().code,
            "woocommerce_api_authentication_error"
        );
        assert_eq!(
            check_scope(BOTH, "PROPFIND", Flavor::Rest),
            Err(AuthError {
                status: 401,
                code: "woocommerce_rest_authentication_error",
                message: "Unknown request method.".into()
            })
        );
        assert!(check_scope(READ, "PROPFIND", Flavor::Legacy).is_ok());
    }

    #[test]
    fn method_overrides() {
        let plain = Incoming::get("/wp-json/wc/v3/customers/1");
        assert_eq!(effective_method(&plain, Flavor::Rest), "GET");
        let query = Incoming::get("/x?_method=delete&_method=put");
        assert_eq!(effective_method(&query, Flavor::Rest), "PUT");
        let pairs = [("x-http-method-override", &b"patch"[..])];
        let header = Incoming::new("POST", "/x", Headers::new(pairs), b"", false);
        assert_eq!(effective_method(&header, Flavor::Legacy), "PATCH");
        let pairs = [("x-http-method-override", &b"PUT"[..])];
        let both = Incoming::new(
            "GET",
            "/x?_method=DEL%20ETE",
            Headers::new(pairs),
            b"",
            false,
        );
        assert_eq!(effective_method(&both, Flavor::Legacy), "DELETE");
        assert_eq!(effective_method(&both, Flavor::Rest), "GET");
        assert_eq!(
            method_override(&both, Flavor::Rest).as_deref(),
            Some("DEL ETE")
        );
        let empty = Incoming::get("/x?_method=%20");
        assert_eq!(method_override(&empty, Flavor::Legacy).as_deref(), Some(""));
        assert_eq!(effective_method(&empty, Flavor::Legacy), "GET");
    }

    #[test]
    fn rest_api_requests_are_told_by_the_raw_uri() {
        assert!(is_rest_api_request("/wp-json/wc/v3/customers"));
        assert!(is_rest_api_request("/shop/wp-json/wc-analytics/x"));
        assert!(!is_rest_api_request("/?rest_route=/wc/v3/customers"));
        assert!(!is_rest_api_request("/WP-JSON/wc/v3/customers"));
    }

    #[test]
    fn credentials_need_both_parts() {
        let query = Vars::parse(b"consumer_key=ck&consumer_secret=0");
        assert_eq!(query_credentials(&query), None);
        let query = Vars::parse(b"consumer_key=ck&consumer_secret=cs");
        assert_eq!(
            query_credentials(&query),
            Some((b"ck".to_vec(), b"cs".to_vec()))
        );
        let pairs = [("authorization", &b"basic Y2s6Y3M="[..])];
        assert_eq!(
            basic_credentials(&Headers::new(pairs)),
            Some((b"ck".to_vec(), b"cs".to_vec()))
        );
        let pairs = [("authorization", &b"Basic Y2s6"[..])];
        assert_eq!(basic_credentials(&Headers::new(pairs)), None);
        assert_eq!(clean_consumer_key(Flavor::Rest, b" ck_a%41 "), b"ck_a");
        assert_eq!(clean_consumer_key(Flavor::Legacy, b"CK_a.b"), b"ck_ab");
        assert!(secret_matches(Flavor::Legacy, "cs_ab", b"CS_a.b"));
        assert!(!secret_matches(Flavor::Rest, "cs_ab", b"CS_a.b"));
    }

    #[test]
    fn timestamps_compare_like_php_and_nonces_are_filed_by_integer() {
        let stamp = |timestamp: &str| Stamp {
            timestamp: timestamp.as_bytes().to_vec(),
            nonce: b"n".to_vec(),
        };
        let now = 1_700_000_000;
        let fresh = stamp(" 1700000100 ").check(Flavor::Rest, now).unwrap();
        assert_eq!(
            (fresh.timestamp, fresh.earliest),
            (1_700_000_100, now - 900)
        );
        assert!(stamp("1699999099").check(Flavor::Rest, now).is_err());
        assert!(stamp("1e3").check(Flavor::Rest, now).is_err());
        // Not numeric: compared as strings, like PHP 8.
        assert!(stamp("abc").check(Flavor::Rest, now).is_err());
        assert!(php_less_than(b"99", 100));
        assert!(!php_less_than(b" 100 ", 100));
        assert!(php_greater_than(b"1e3", 999));
        assert_eq!(php_integer(b"17abc"), 17);
    }

    #[test]
    fn signed_urls_follow_each_api() {
        let site = SiteUrl::new("https://example.com/shop");
        let rest = Incoming::get("/shop/wp-json/wc/v3/customers?x=1");
        assert_eq!(
            rest_base_url(site, &rest),
            "http://example.com/shop/wp-json/wc/v3/customers"
        );
        let legacy = Incoming::get("/wc-api/v3/customers/email/a%40b.c/");
        assert_eq!(
            legacy_base_url(SiteUrl::new("http://example.com"), &legacy),
            "http://example.com/wc-api/v3/customers/email/a@b.c/"
        );
        assert_eq!(
            legacy_route("/wc-api/v3/customers/email/a%40b.c/"),
            ('3', "/customers/email/a@b.c".into())
        );
        assert_eq!(legacy_route("/wc-api/v3"), ('3', String::new()));
    }

    #[test]
    fn missing_parameters_are_named_in_each_apis_way() {
        let rest = OAuthParams::rest(&Incoming::get("/x?oauth_nonce=1&oauth_signature=0"));
        let missing = rest.missing();
        assert_eq!(
            missing,
            [
                "oauth_consumer_key",
                "oauth_timestamp",
                "oauth_signature",
                "oauth_signature_method"
            ]
        );
        assert_eq!(
            rest.missing_error(&missing).message,
            "Missing OAuth parameters oauth_consumer_key, oauth_timestamp, oauth_signature, oauth_signature_method"
        );
        let legacy = OAuthParams::legacy(&Vars::parse(b"oauth_consumer_key=ck_A"));
        let error = legacy.missing_error(&legacy.missing());
        assert_eq!(
            (error.status, error.message.as_str()),
            (404, "oauth_timestamp parameter is missing")
        );
        assert_eq!(legacy.consumer_key(), b"ck_a");
    }

    #[test]
    fn authorization_header_params() {
        let header = br#"OAuth oauth_consumer_key="ck_1", oauth_nonce=abc,oauth_signature="a%2Bb%3D", realm="x", oauth_timestamp=:"17", oauth_Bad="1""#;
        let as_text: Vec<(String, String)> = oauth_header_params(header)
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            as_text,
            [
                ("oauth_consumer_key".into(), "ck_1".into()),
                ("oauth_nonce".into(), "abc".into()),
                ("oauth_signature".into(), "a+b=".into()),
                ("oauth_timestamp".into(), "17".into()),
            ]
        );
        assert!(oauth_header_params(b"Basic abc").is_empty());
        assert!(oauth_header_params(b"oauth oauth_nonce=1").is_empty());
    }

    #[test]
    fn only_the_legacy_basic_failure_is_challenged() {
        assert_eq!(
            AuthError::legacy_basic_failed().www_authenticate(),
            Some(LEGACY_BASIC_REALM)
        );
        assert_eq!(
            AuthError::consumer_secret_invalid(Flavor::Legacy).www_authenticate(),
            None
        );
    }
}
