//! WooCommerce key authentication seen through the whole server, without a socket
//! ([`customer_http::handle`]): what a client gets back for each kind of credential.
//!
//! The server's clock is the real one here, so the reference's signed request (made
//! for 2023-11-14) passes the signature check and then fails on its timestamp: that
//! order is WooCommerce's, and it shows the signature was accepted.

use std::sync::Arc;

use base64::Engine as _;
use customer_http::{AppState, Request, SiteConfig, handle, keys};
use customer_store::{CustomerStore, KeyKind, KeyPermissions, NewApiKey, SqliteStore};
use http::Method;
use http_body_util::BodyExt;
use serde_json::{Value, json};

const REF_CK: &str = "ck_0000000000000000000000000000000000000000";
const REF_CS: &str = "cs_1111111111111111111111111111111111111111";
const READ_CK: &str = "ck_2222222222222222222222222222222222222222";
const READ_CS: &str = "cs_3333333333333333333333333333333333333333";

async fn site() -> AppState {
    let store = SqliteStore::open_in_memory().expect("an in-memory store");
    for (consumer_key, consumer_secret, permissions) in [
        (REF_CK, REF_CS, KeyPermissions::ReadWrite),
        (READ_CK, READ_CS, KeyPermissions::Read),
    ] {
        store
            .create_api_key(NewApiKey {
                kind: KeyKind::WooCommerce,
                description: "test".to_owned(),
                permissions,
                lookup: keys::woocommerce_lookup(consumer_key),
                secret: consumer_secret.to_owned(),
                truncated: consumer_key[36..].to_owned(),
            })
            .await
            .expect("a stored key");
    }
    AppState::new(Arc::new(store), SiteConfig::local("http://example.com"))
}

async fn send(state: &AppState, request: Request) -> (u16, Value) {
    let response = handle(state, request).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn basic(consumer_key: &str, consumer_secret: &str) -> String {
    let pair = format!("{consumer_key}:{consumer_secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn https(request: Request) -> Request {
    Request {
        tls: true,
        ..request
    }
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
    let state = site().await;
    let (status, body) = send(
        &state,
        reference_request("HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8%3D"),
    )
    .await;
    assert_eq!((status, body), (401, auth_error("Invalid timestamp.")));
}

#[tokio::test]
async fn a_bad_signature_is_refused_first() {
    let state = site().await;
    let (status, body) = send(&state, reference_request("AAAA")).await;
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
    let state = site().await;
    let request =
        Request::get("/wp-json/wc/v3/customers").header("authorization", &basic(REF_CK, REF_CS));
    let (status, body) = send(&state, https(request.clone())).await;
    assert_eq!((status, body), (200, json!([])));
    let (status, body) = send(&state, request).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "woocommerce_rest_cannot_view");
}

#[tokio::test]
async fn wrong_secret_over_https_is_an_auth_error() {
    let state = site().await;
    let request = https(Request::get(&format!(
        "/wp-json/wc/v3/customers?consumer_key={REF_CK}&consumer_secret=cs_wrong"
    )));
    let (status, body) = send(&state, request).await;
    assert_eq!(
        (status, body),
        (401, auth_error("Consumer secret is invalid."))
    );
}

#[tokio::test]
async fn a_read_key_cannot_write_even_on_unknown_routes() {
    let state = site().await;
    for path in ["/wp-json/wc/v3/customers", "/wp-json/wc/v3/nowhere"] {
        let request = https(
            Request::new(Method::POST, path, "{}")
                .header("content-type", "application/json")
                .header("authorization", &basic(READ_CK, READ_CS)),
        );
        let (status, body) = send(&state, request).await;
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
