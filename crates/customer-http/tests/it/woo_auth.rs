//! WooCommerce key authentication: the whole flow of `customer_http::woo_auth` with the
//! server's clock set (reference vectors, requests the official clients really sent,
//! signatures from an independent implementation), and what a client gets back through
//! `handle` for each kind of credential.
//!
//! Through `handle` the clock is the real one, so the reference's signed request (made
//! for 2023-11-14) passes the signature check and then fails on its timestamp: that
//! order is WooCommerce's, and it shows the signature was accepted.

use customer_http::woo_auth::{WooCaller, authenticate_at, authorize};
use customer_http::{Request, SiteConfig};
use customer_model::Timestamp;
use customer_store::{CustomerStore, KeyPermissions};
use customer_wire::woo::auth::{AuthError, Flavor, LEGACY_BASIC_REALM, TIMESTAMP_WINDOW_SECONDS};
use http::Method;
use serde_json::{Value, json};

use crate::app::{App, basic, tls as https};

/// The reference's key pair (`ck_` + 40 zeros, `cs_` + 40 ones).
const REF_CK: &str = "ck_0000000000000000000000000000000000000000";
const REF_CS: &str = "cs_1111111111111111111111111111111111111111";
/// A read-only key.
const READ_CK: &str = "ck_2222222222222222222222222222222222222222";
const READ_CS: &str = "cs_3333333333333333333333333333333333333333";
/// The key pair of the captured client requests.
const CAP_CK: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const CAP_CS: &str = "cs_fedcba9876543210fedcba9876543210fedcba98";

async fn site_with_key(site_url: &str, consumer_key: &str, consumer_secret: &str) -> App {
    let app = App::with_site(SiteConfig::local(site_url));
    app.known_woocommerce_key(consumer_key, consumer_secret, KeyPermissions::ReadWrite)
        .await;
    app
}

/// `http://example.com` with the reference key (id 1) and a read-only key (id 2).
async fn reference_site() -> App {
    let app = site_with_key("http://example.com", REF_CK, REF_CS).await;
    app.known_woocommerce_key(READ_CK, READ_CS, KeyPermissions::Read)
        .await;
    app
}

async fn capture_site() -> App {
    site_with_key("http://127.0.0.1:8765", CAP_CK, CAP_CS).await
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

async fn rest(f: &App, request: &Request, now: i64) -> Result<WooCaller, AuthError> {
    let incoming = request.incoming(f.state.site.trust_forwarded_proto);
    authenticate_at(&f.state, &incoming, Flavor::Rest, at(now)).await
}

async fn legacy(f: &App, request: &Request, now: i64) -> Result<WooCaller, AuthError> {
    let incoming = request.incoming(f.state.site.trust_forwarded_proto);
    authenticate_at(&f.state, &incoming, Flavor::Legacy, at(now)).await
}

fn key_id(result: Result<WooCaller, AuthError>) -> i64 {
    match result {
        Ok(WooCaller::Key(key)) => key.id,
        other => panic!("expected a key, got {other:?}"),
    }
}

fn error(result: Result<WooCaller, AuthError>) -> (u16, &'static str, String) {
    match result {
        Err(error) => (error.status, error.code, error.message),
        other => panic!("expected an error, got {other:?}"),
    }
}

const REST_ERROR: &str = "woocommerce_rest_authentication_error";
const LEGACY_ERROR: &str = "woocommerce_api_authentication_error";

/// The reference's signed GET (HMAC-SHA256, timestamp 1700000000).
fn reference_query(signature: &str) -> String {
    format!(
        "per_page=5&search=john%20doe&oauth_consumer_key={REF_CK}\
         &oauth_nonce=abcdef0123456789abcdef0123456789&oauth_signature_method=HMAC-SHA256\
         &oauth_timestamp=1700000000&oauth_signature={signature}"
    )
}

const REFERENCE_SIGNATURE: &str = "HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8%3D";

// ----- REST: which mechanism runs ------------------------------------------------------

#[tokio::test]
async fn rest_without_credentials_is_anonymous() {
    let f = reference_site().await;
    let request = Request::get("/wp-json/wc/v3/customers?per_page=5");
    assert_eq!(
        rest(&f, &request, 1_700_000_000).await,
        Ok(WooCaller::Anonymous)
    );
}

#[tokio::test]
async fn rest_ignores_query_keys_and_basic_over_plain_http() {
    let f = reference_site().await;
    let query = Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret={REF_CS}"
    ));
    assert_eq!(rest(&f, &query, 0).await, Ok(WooCaller::Anonymous));
    let header = Request::get("/wp-json/wc/v3/customers")
        .header("authorization", &basic(REF_CK, "cs_wrong"));
    assert_eq!(rest(&f, &header, 0).await, Ok(WooCaller::Anonymous));
}

#[tokio::test]
async fn rest_over_https_accepts_query_keys_then_basic() {
    let f = reference_site().await;
    let query = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret={REF_CS}"
    )));
    assert_eq!(key_id(rest(&f, &query, 0).await), 1);
    let header = https(
        Request::get("/wp-json/wc/v3/customers").header("authorization", &basic(REF_CK, REF_CS)),
    );
    assert_eq!(key_id(rest(&f, &header, 0).await), 1);
    // The query pair wins over a wrong Basic header.
    let both = https(
        Request::get(&format!(
            "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret={REF_CS}"
        ))
        .header("authorization", &basic(REF_CK, "cs_wrong")),
    );
    assert_eq!(key_id(rest(&f, &both, 0).await), 1);
    // Surrounding whitespace around the key is trimmed before the lookup.
    let padded = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key=%20{REF_CK}%20&consumer_secret={REF_CS}"
    )));
    assert_eq!(key_id(rest(&f, &padded, 0).await), 1);
}

#[tokio::test]
async fn rest_over_https_unknown_key_is_anonymous_and_wrong_secret_fails() {
    let f = reference_site().await;
    let unknown = https(
        Request::get("/wp-json/wc/v3/customers")
            .header("authorization", &basic("ck_unknown", REF_CS)),
    );
    assert_eq!(rest(&f, &unknown, 0).await, Ok(WooCaller::Anonymous));
    let wrong = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret=cs_wrong"
    )));
    assert_eq!(
        error(rest(&f, &wrong, 0).await),
        (401, REST_ERROR, "Consumer secret is invalid.".into())
    );
    // Only one of the pair in the query: Basic is used instead.
    let half = https(
        Request::get(&format!("/wp-json/wc/v3/customers?consumer_key={REF_CK}"))
            .header("authorization", &basic(REF_CK, "cs_wrong")),
    );
    assert_eq!(
        error(rest(&f, &half, 0).await).2,
        "Consumer secret is invalid."
    );
}

#[tokio::test]
async fn forwarded_proto_counts_only_when_trusted() {
    let f = reference_site().await;
    let request = Request::get("/wp-json/wc/v3/customers")
        .header("authorization", &basic(REF_CK, REF_CS))
        .header("x-forwarded-proto", "https");
    assert_eq!(rest(&f, &request, 0).await, Ok(WooCaller::Anonymous));
    let mut site = SiteConfig::local("http://example.com");
    site.trust_forwarded_proto = true;
    let trusting = App::with_site(site);
    trusting
        .known_woocommerce_key(REF_CK, REF_CS, KeyPermissions::ReadWrite)
        .await;
    assert_eq!(key_id(rest(&trusting, &request, 0).await), 1);
}

#[tokio::test]
async fn rest_route_query_form_is_never_key_authenticated() {
    let f = reference_site().await;
    let request = Request::get(&format!(
        "/?rest_route=/wc/v3/customers&{}",
        reference_query("bad")
    ));
    assert_eq!(
        rest(&f, &request, 1_700_000_000).await,
        Ok(WooCaller::Anonymous)
    );
}

// ----- REST: OAuth ---------------------------------------------------------------------

#[tokio::test]
async fn rest_oauth_reference_vector_authenticates() {
    let f = reference_site().await;
    let request = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query(REFERENCE_SIGNATURE)
    ));
    assert_eq!(key_id(rest(&f, &request, 1_700_000_000).await), 1);
}

#[tokio::test]
async fn rest_oauth_replayed_nonce_is_refused() {
    let f = reference_site().await;
    let request = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query(REFERENCE_SIGNATURE)
    ));
    assert_eq!(key_id(rest(&f, &request, 1_700_000_000).await), 1);
    assert_eq!(
        error(rest(&f, &request, 1_700_000_001).await),
        (
            401,
            REST_ERROR,
            "Invalid nonce - nonce has already been used.".into()
        )
    );
}

#[tokio::test]
async fn rest_oauth_timestamp_window_is_fifteen_minutes() {
    let f = reference_site().await;
    let request = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query(REFERENCE_SIGNATURE)
    ));
    let too_late = 1_700_000_000 + TIMESTAMP_WINDOW_SECONDS + 1;
    assert_eq!(
        error(rest(&f, &request, too_late).await),
        (401, REST_ERROR, "Invalid timestamp.".into())
    );
    let too_early = 1_700_000_000 - TIMESTAMP_WINDOW_SECONDS - 1;
    assert_eq!(
        error(rest(&f, &request, too_early).await).2,
        "Invalid timestamp."
    );
    // The edges are inside the window.
    assert_eq!(
        key_id(rest(&f, &request, 1_700_000_000 + TIMESTAMP_WINDOW_SECONDS).await),
        1
    );
}

#[tokio::test]
async fn rest_oauth_checks_the_signature_before_the_timestamp() {
    let f = reference_site().await;
    let request = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query("AAAA")
    ));
    assert_eq!(
        error(rest(&f, &request, 0).await),
        (
            401,
            REST_ERROR,
            "Invalid signature - provided signature does not match.".into()
        )
    );
    // Nothing was remembered for a refused request: the good one with the same nonce
    // still passes.
    let good = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query(REFERENCE_SIGNATURE)
    ));
    assert_eq!(key_id(rest(&f, &good, 1_700_000_000).await), 1);
}

#[tokio::test]
async fn rest_oauth_missing_parameters_are_named_in_order() {
    let f = reference_site().await;
    let one = Request::get(&format!(
        "/wp-json/wc/v3/customers?oauth_consumer_key={REF_CK}&oauth_timestamp=1&oauth_signature=x&oauth_signature_method=HMAC-SHA1"
    ));
    assert_eq!(
        error(rest(&f, &one, 0).await),
        (
            401,
            "woocommerce_rest_authentication_missing_parameter",
            "Missing OAuth parameter oauth_nonce".into()
        )
    );
    // `0` is empty to PHP.
    let several =
        Request::get("/wp-json/wc/v3/customers?oauth_signature_method=HMAC-SHA1&oauth_nonce=0");
    assert_eq!(
        error(rest(&f, &several, 0).await).2,
        "Missing OAuth parameters oauth_consumer_key, oauth_timestamp, oauth_nonce, oauth_signature"
    );
}

#[tokio::test]
async fn rest_oauth_unknown_key_and_bad_method() {
    let f = reference_site().await;
    let unknown = Request::get(
        "/wp-json/wc/v3/customers?oauth_consumer_key=ck_nope&oauth_timestamp=1&oauth_nonce=n&oauth_signature=x&oauth_signature_method=HMAC-SHA1",
    );
    assert_eq!(
        error(rest(&f, &unknown, 0).await),
        (401, REST_ERROR, "Consumer key is invalid.".into())
    );
    let plaintext = Request::get(&format!(
        "/wp-json/wc/v3/customers?oauth_consumer_key={REF_CK}&oauth_timestamp=1&oauth_nonce=n&oauth_signature=x&oauth_signature_method=PLAINTEXT"
    ));
    assert_eq!(
        error(rest(&f, &plaintext, 0).await).2,
        "Invalid signature - signature method is invalid."
    );
}

#[tokio::test]
async fn rest_oauth_reads_the_authorization_header() {
    let f = reference_site().await;
    let request = Request::get("/wp-json/wc/v3/customers?per_page=5&search=john%20doe").header(
        "authorization",
        &format!(
            "OAuth oauth_consumer_key=\"{REF_CK}\", oauth_nonce=\"abcdef0123456789abcdef0123456789\", \
             oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1700000000\", \
             oauth_signature=\"{REFERENCE_SIGNATURE}\""
        ),
    );
    assert_eq!(key_id(rest(&f, &request, 1_700_000_000).await), 1);
}

#[tokio::test]
async fn rest_oauth_signs_post_form_bodies_with_hmac_sha1() {
    let f = reference_site().await;
    let request = Request::new(
        Method::POST,
        &format!(
            "/wp-json/wc/v3/customers?oauth_consumer_key={REF_CK}&oauth_nonce=formnonce1\
             &oauth_signature_method=HMAC-SHA1&oauth_timestamp=1700000000\
             &oauth_signature=COGSQrRWQgTppRmwgb5UZUrq5HI%3D"
        ),
        "email=a%40b.c&first_name=Ann+Lee",
    )
    .header("content-type", "application/x-www-form-urlencoded");
    assert_eq!(key_id(rest(&f, &request, 1_700_000_000).await), 1);
    // The same body as JSON is not signed, so the signature no longer matches.
    let json = Request {
        headers: http::HeaderMap::new(),
        ..request
    };
    assert_eq!(
        error(rest(&f, &json, 1_700_000_000).await).2,
        "Invalid signature - provided signature does not match."
    );
}

#[tokio::test]
async fn rest_oauth_over_https_signs_an_https_url() {
    let f = reference_site().await;
    let request = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?per_page=5&oauth_consumer_key={REF_CK}&oauth_nonce=httpsnonce\
         &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000\
         &oauth_signature=BPdNN0xlI%2BhNynrdPnH%2Bax4ro2wVf4UkjwwR65vAz34%3D"
    )));
    assert_eq!(key_id(rest(&f, &request, 1_700_000_000).await), 1);
}

#[tokio::test]
async fn rest_wrong_basic_secret_sticks_after_oauth_succeeds() {
    let f = reference_site().await;
    let request = https(
        Request::get(&format!(
            "/wp-json/wc/v3/customers?per_page=5&oauth_consumer_key={REF_CK}&oauth_nonce=httpsnonce\
             &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000\
             &oauth_signature=BPdNN0xlI%2BhNynrdPnH%2Bax4ro2wVf4UkjwwR65vAz34%3D"
        ))
        .header("authorization", &basic(REF_CK, "cs_wrong")),
    );
    // OAuth succeeds, but WooCommerce keeps the earlier error.
    assert_eq!(
        error(rest(&f, &request, 1_700_000_000).await).2,
        "Consumer secret is invalid."
    );
}

#[tokio::test]
async fn captured_client_requests_authenticate() {
    let f = capture_site().await;
    let python = Request::get(&format!(
        "/wp-json/wc/v3/customers?page=2&per_page=5&search=john+doe&oauth_consumer_key={CAP_CK}\
         &oauth_timestamp=1795339446&oauth_nonce=5e319888726346afa6a11d27d71673347724169f\
         &oauth_signature_method=HMAC-SHA256&oauth_signature=4PveE8CkCT1iNFI0nAnisSzPRMeQLrrmCiZRflnCbi4%3D\
         &page=2&per_page=5&search=john+doe"
    ));
    assert_eq!(key_id(rest(&f, &python, 1_795_339_446).await), 1);
    let js_delete = Request::new(
        Method::DELETE,
        &format!(
            "/wp-json/wc/v3/customers/1?force=true&oauth_consumer_key={CAP_CK}\
             &oauth_nonce=qng2SKkNKZgqHaxDsANs1Mcfou7pdUj4&oauth_signature_method=HMAC-SHA256\
             &oauth_timestamp=1795339448&oauth_version=1.0&force=true\
             &oauth_signature=wzk%2FT8QDChzP002VgHdwIgCnfhGs846ErMdqh6Wj1RY%3D"
        ),
        "",
    );
    assert_eq!(key_id(rest(&f, &js_delete, 1_795_339_446).await), 1);
    let python_post = Request::new(
        Method::POST,
        &format!(
            "/wp-json/wc/v3/customers?oauth_consumer_key={CAP_CK}&oauth_timestamp=1795339446\
             &oauth_nonce=c792cf1c729212dc9dcb44f32937e6ade0a607fe&oauth_signature_method=HMAC-SHA256\
             &oauth_signature=P%2FUmJSle8YkJLYknQeA5MZRquX%2B7oL69c69mKZ3z8q0%3D"
        ),
        r#"{"email": "john.doe@example.com"}"#,
    )
    .header("content-type", "application/json;charset=utf-8");
    assert_eq!(key_id(rest(&f, &python_post, 1_795_339_446).await), 1);
}

#[tokio::test]
async fn python_slash_quirk_is_refused_like_woocommerce() {
    let f = capture_site().await;
    let python = Request::get(&format!(
        "/wp-json/wc/v3/customers?search=a%2Fb%40c~d&orderby=id&oauth_consumer_key={CAP_CK}\
         &oauth_timestamp=1795339446&oauth_nonce=91d7477443444b4f5c4d3b4790546407659d87c2\
         &oauth_signature_method=HMAC-SHA256&oauth_signature=jUkdjVWG00qT%2BCcm%2FOma32sJBsyhr4IpOpt7e6zEuiY%3D\
         &search=a%2Fb%40c~d&orderby=id"
    ));
    assert_eq!(
        error(rest(&f, &python, 1_795_339_446).await),
        (
            401,
            REST_ERROR,
            "Invalid signature - provided signature does not match.".into()
        )
    );
    // The JS client encodes `/` and is accepted with the same value.
    let js = Request::get(&format!(
        "/wp-json/wc/v3/customers?orderby=id&search=a%2Fb%40c~d&oauth_consumer_key={CAP_CK}\
         &oauth_nonce=il2dYY6Z8VgcvdxVrk3yQ7JJn5inM6NC&oauth_signature_method=HMAC-SHA256\
         &oauth_timestamp=1795339449&oauth_version=1.0&orderby=id&search=a%2Fb%40c~d\
         &oauth_signature=u7GMwfih1QUZP2Wbm%2F8ZPsdHlRRO3rG9HeahadnpuqI%3D"
    ));
    assert_eq!(key_id(rest(&f, &js, 1_795_339_446).await), 1);
}

#[tokio::test]
async fn rest_signs_the_configured_home_url_not_the_host_header() {
    let f = site_with_key("http://shop.example.com", REF_CK, REF_CS).await;
    let request = Request::get(&format!(
        "/wp-json/wc/v3/customers?{}",
        reference_query(REFERENCE_SIGNATURE)
    ))
    .header("host", "example.com");
    assert_eq!(
        error(rest(&f, &request, 1_700_000_000).await).2,
        "Invalid signature - provided signature does not match."
    );
}

// ----- Legacy --------------------------------------------------------------------------

#[tokio::test]
async fn legacy_index_needs_no_key_and_everything_else_does() {
    let f = reference_site().await;
    assert_eq!(
        legacy(&f, &Request::get("/wc-api/v3/"), 0).await,
        Ok(WooCaller::Anonymous)
    );
    assert_eq!(
        legacy(&f, &Request::get("/wc-api/v3"), 0).await,
        Ok(WooCaller::Anonymous)
    );
    assert_eq!(
        error(legacy(&f, &Request::get("/wc-api/v3/customers"), 0).await),
        (
            404,
            LEGACY_ERROR,
            "oauth_consumer_key parameter is missing".into()
        )
    );
    let partial = Request::get(&format!(
        "/wc-api/v3/customers?oauth_consumer_key={REF_CK}&oauth_timestamp=1&oauth_nonce=n&oauth_signature=x"
    ));
    assert_eq!(
        error(legacy(&f, &partial, 0).await).2,
        "oauth_signature_method parameter is missing"
    );
}

#[tokio::test]
async fn legacy_oauth_reads_the_query_only() {
    let f = reference_site().await;
    let header_only = Request::get("/wc-api/v3/customers").header(
        "authorization",
        &format!("OAuth oauth_consumer_key=\"{REF_CK}\""),
    );
    assert_eq!(
        error(legacy(&f, &header_only, 0).await).2,
        "oauth_consumer_key parameter is missing"
    );
}

#[tokio::test]
async fn legacy_captured_python_delete_authenticates() {
    let f = capture_site().await;
    let request = Request::new(
        Method::DELETE,
        &format!(
            "/wc-api/v3/customers/1?force=True&oauth_consumer_key={CAP_CK}&oauth_timestamp=1795339446\
             &oauth_nonce=4b1f352a00dd36b7448712c6ef514e48e6316bdd&oauth_signature_method=HMAC-SHA256\
             &oauth_signature=9WLqQ3u81Z6kVpIrU9Y1eoJp5fbfXuRxe%2BbHUmg6KxE%3D&force=True"
        ),
        "",
    );
    assert_eq!(key_id(legacy(&f, &request, 1_795_339_446).await), 1);
    assert_eq!(
        error(legacy(&f, &request, 1_795_339_446).await),
        (
            401,
            LEGACY_ERROR,
            "Invalid nonce - nonce has already been used.".into()
        )
    );
}

#[tokio::test]
async fn legacy_signs_the_overridden_method_and_the_trailing_slash() {
    let f = reference_site().await;
    let overridden = Request::get(&format!(
        "/wc-api/v3/customers/7?_method=DELETE&force=true&oauth_consumer_key={REF_CK}\
         &oauth_nonce=legacynonce&oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000\
         &oauth_signature=%2Fwe1sB%2BgyS1JrTrGstHnxTP6qaCJ%2BPIm%2FoUb3I%2F3kDo%3D"
    ));
    assert_eq!(key_id(legacy(&f, &overridden, 1_700_000_000).await), 1);
    let slash = Request::get(&format!(
        "/wc-api/v3/customers/?oauth_consumer_key={REF_CK}&oauth_nonce=slashnonce\
         &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000\
         &oauth_signature=8TbPHQGNW8L%2BxrTa1hqxWTd8Uht0rwB%2Fp%2Ff7aHBfoHQ%3D"
    ));
    assert_eq!(key_id(legacy(&f, &slash, 1_700_000_000).await), 1);
}

#[tokio::test]
async fn legacy_oauth_errors() {
    let f = reference_site().await;
    let unknown = Request::get(
        "/wc-api/v3/customers?oauth_consumer_key=ck_nope&oauth_timestamp=1&oauth_nonce=n&oauth_signature=x&oauth_signature_method=HMAC-SHA1",
    );
    assert_eq!(
        error(legacy(&f, &unknown, 0).await),
        (401, LEGACY_ERROR, "Consumer key is invalid.".into())
    );
    let bad = Request::get(&format!(
        "/wc-api/v3/customers?oauth_consumer_key={REF_CK}&oauth_timestamp=1700000000&oauth_nonce=n&oauth_signature=x&oauth_signature_method=HMAC-SHA1"
    ));
    assert_eq!(
        error(legacy(&f, &bad, 1_700_000_000).await),
        (
            401,
            LEGACY_ERROR,
            "Invalid signature - provided signature does not match.".into()
        )
    );
}

#[tokio::test]
async fn legacy_over_https_query_keys_then_basic_with_a_challenge() {
    let f = reference_site().await;
    let query = https(Request::get(&format!(
        "/wc-api/v3/customers?consumer_key={REF_CK}&consumer_secret={REF_CS}"
    )));
    assert_eq!(key_id(legacy(&f, &query, 0).await), 1);
    let wrong_query = https(Request::get(&format!(
        "/wc-api/v3/customers?consumer_key={REF_CK}&consumer_secret=cs_wrong"
    )));
    let failure = legacy(&f, &wrong_query, 0).await.unwrap_err();
    assert_eq!(failure.message, "Consumer secret is invalid.");
    assert_eq!(failure.www_authenticate(), None);
    let unknown_query = https(Request::get(
        "/wc-api/v3/customers?consumer_key=ck_nope&consumer_secret=cs_x",
    ));
    assert_eq!(
        error(legacy(&f, &unknown_query, 0).await),
        (401, LEGACY_ERROR, "Consumer key is invalid.".into())
    );

    let header =
        https(Request::get("/wc-api/v3/customers").header("authorization", &basic(REF_CK, REF_CS)));
    assert_eq!(key_id(legacy(&f, &header, 0).await), 1);
    for request in [
        https(Request::get("/wc-api/v3/customers")),
        https(Request::get("/wc-api/v3/customers").header("authorization", &basic(REF_CK, "cs_x"))),
    ] {
        let failure = legacy(&f, &request, 0).await.unwrap_err();
        assert_eq!(
            (failure.status, failure.code, failure.message.as_str()),
            (401, LEGACY_ERROR, "Consumer Secret is invalid.")
        );
        assert_eq!(failure.www_authenticate(), Some(LEGACY_BASIC_REALM));
    }
    let unknown = https(
        Request::get("/wc-api/v3/customers").header("authorization", &basic("ck_nope", "cs_x")),
    );
    let failure = legacy(&f, &unknown, 0).await.unwrap_err();
    assert_eq!(failure.message, "Consumer key is invalid.");
    assert_eq!(failure.www_authenticate(), None);
}

// ----- Scope and last access ----------------------------------------------------------

#[tokio::test]
async fn authorize_records_access_only_when_the_scope_allows() {
    let f = reference_site().await;
    let read_key = f.store.api_keys().await.unwrap().remove(1);
    assert_eq!(read_key.permissions, KeyPermissions::Read);
    let caller = WooCaller::Key(read_key);
    let last_access = || async { f.store.api_keys().await.unwrap()[1].last_access };
    assert!(
        authorize(&f.state, &caller, "POST", Flavor::Rest)
            .await
            .is_err()
    );
    assert_eq!(last_access().await, None);
    assert!(
        authorize(&f.state, &WooCaller::Anonymous, "POST", Flavor::Rest)
            .await
            .is_ok()
    );
    assert!(
        authorize(&f.state, &caller, "GET", Flavor::Rest)
            .await
            .is_ok()
    );
    assert!(last_access().await.is_some());
}

// ----- Through the whole server -------------------------------------------------------

async fn send(app: &App, request: Request) -> (u16, Value) {
    let answer = app.send(request).await;
    (answer.status, answer.body)
}

fn auth_error(message: &str) -> Value {
    json!({
        "code": "woocommerce_rest_authentication_error",
        "message": message,
        "data": {"status": 401},
    })
}

fn reference_request(signature: &str) -> Request {
    Request::get(&format!(
        "/wp-json/wc/v3/customers?per_page=5&search=john%20doe&oauth_consumer_key={REF_CK}\
         &oauth_nonce=abcdef0123456789abcdef0123456789&oauth_signature_method=HMAC-SHA256\
         &oauth_timestamp=1700000000&oauth_signature={signature}"
    ))
}

#[tokio::test]
async fn a_good_signature_reaches_the_timestamp_check() {
    let app = reference_site().await;
    let (status, body) = send(
        &app,
        reference_request("HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8%3D"),
    )
    .await;
    assert_eq!((status, body), (401, auth_error("Invalid timestamp.")));
}

#[tokio::test]
async fn a_bad_signature_is_refused_first() {
    let app = reference_site().await;
    let (status, body) = send(&app, reference_request("AAAA")).await;
    assert_eq!(
        (status, body),
        (
            401,
            auth_error("Invalid signature - provided signature does not match.")
        )
    );
}

#[tokio::test]
async fn basic_over_https_lists_and_over_http_is_anonymous() {
    let app = reference_site().await;
    let request =
        Request::get("/wp-json/wc/v3/customers").header("authorization", &basic(REF_CK, REF_CS));
    let (status, body) = send(&app, https(request.clone())).await;
    assert_eq!((status, body), (200, json!([])));
    let (status, body) = send(&app, request).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "woocommerce_rest_cannot_view");
}

#[tokio::test]
async fn wrong_secret_over_https_is_an_auth_error() {
    let app = reference_site().await;
    let request = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret=cs_wrong"
    )));
    let (status, body) = send(&app, request).await;
    assert_eq!(
        (status, body),
        (401, auth_error("Consumer secret is invalid."))
    );
}

#[tokio::test]
async fn a_read_key_cannot_write_even_on_unknown_routes() {
    let app = reference_site().await;
    for path in ["/wp-json/wc/v3/customers", "/wp-json/wc/v3/nowhere"] {
        let request = https(
            Request::new(Method::POST, path, "{}")
                .header("content-type", "application/json")
                .header("authorization", &basic(READ_CK, READ_CS)),
        );
        let (status, body) = send(&app, request).await;
        assert_eq!(
            (status, body),
            (
                401,
                auth_error("The API key provided does not have write permissions.")
            ),
            "{path}"
        );
    }
}

fn legacy_error(message: &str) -> Value {
    json!({"errors": [{"code": "woocommerce_api_authentication_error", "message": message}]})
}

#[tokio::test]
async fn legacy_needs_oauth_parameters_over_http() {
    let app = reference_site().await;
    let (status, body) = send(&app, Request::get("/wc-api/v3/customers")).await;
    assert_eq!(
        (status, body),
        (404, legacy_error("oauth_consumer_key parameter is missing"))
    );
    // Basic is not looked at over plain http.
    let request = Request::get("/wc-api/v3/customers?oauth_consumer_key=x")
        .header("authorization", &basic(REF_CK, REF_CS));
    let (status, body) = send(&app, request).await;
    assert_eq!(
        (status, body),
        (404, legacy_error("oauth_timestamp parameter is missing"))
    );
}

#[tokio::test]
async fn legacy_over_https_takes_query_keys_or_basic() {
    let app = reference_site().await;
    let query = https(Request::get(&format!(
        "/wc-api/v3/customers/count?consumer_key={REF_CK}&consumer_secret={REF_CS}"
    )));
    assert_eq!(send(&app, query).await, (200, json!({"count": 0})));
    let header = https(
        Request::get("/wc-api/v3/customers/count").header("authorization", &basic(REF_CK, REF_CS)),
    );
    assert_eq!(send(&app, header).await, (200, json!({"count": 0})));
    let wrong = https(
        Request::get("/wc-api/v3/customers").header("authorization", &basic(REF_CK, "cs_wrong")),
    );
    assert_eq!(
        send(&app, wrong).await,
        (401, legacy_error("Consumer Secret is invalid."))
    );
    let read_key_writes = https(
        Request::new(Method::POST, "/wc-api/v3/customers", "{}")
            .header("authorization", &basic(READ_CK, READ_CS)),
    );
    assert_eq!(
        send(&app, read_key_writes).await,
        (
            401,
            legacy_error("The API key provided does not have write permissions.")
        )
    );
}
