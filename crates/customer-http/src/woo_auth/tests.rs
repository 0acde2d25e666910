//! The whole authentication flow on small requests, against a store that keeps only
//! keys and nonces. Signatures come from the reference's vectors, from requests the
//! official clients really sent, or from an independent implementation of the algorithm.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadGrant,
    NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order,
    OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};
use customer_store::{
    ApiKey, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportBatch, ImportMode, ImportSession, ImportSummary, KeyKind, KeyPermissions, NewApiKey,
    Page, StoreResult,
};
use http::Method;

use super::*;
use crate::{AppState, Request, SiteConfig};

/// The reference's key pair (`ck_` + 40 zeros, `cs_` + 40 ones).
const REF_CK: &str = "ck_0000000000000000000000000000000000000000";
const REF_CS: &str = "cs_1111111111111111111111111111111111111111";
/// The key pair of the captured client requests.
const CAP_CK: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const CAP_CS: &str = "cs_fedcba9876543210fedcba9876543210fedcba98";

/// Keys, nonces and access stamps; every other store operation is outside this module.
#[derive(Default)]
struct KeyStore {
    keys: Mutex<Vec<ApiKey>>,
    nonces: Mutex<HashSet<(i64, String, i64)>>,
    touched: Mutex<Vec<i64>>,
}

#[async_trait]
impl CustomerStore for KeyStore {
    async fn health(&self) -> StoreResult<()> {
        Ok(())
    }
    async fn create_customer(&self, _: NewCustomer) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn customer(&self, _: CustomerId) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn customer_by_uuid(&self, _: Uuid) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn customer_by_email(&self, _: &str) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn update_customer(&self, _: CustomerId, _: CustomerPatch) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn delete_customer(&self, _: CustomerId) -> StoreResult<Customer> {
        unimplemented!("not used by authentication")
    }
    async fn list_customers(&self, _: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
        unimplemented!("not used by authentication")
    }
    async fn count_customers(&self, _: &CustomerQuery) -> StoreResult<u64> {
        unimplemented!("not used by authentication")
    }
    async fn customer_stats(&self, _: CustomerId) -> StoreResult<CustomerStats> {
        unimplemented!("not used by authentication")
    }
    async fn create_product(&self, _: NewProduct) -> StoreResult<Product> {
        unimplemented!("not used by authentication")
    }
    async fn product(&self, _: ProductId) -> StoreResult<Product> {
        unimplemented!("not used by authentication")
    }
    async fn product_by_uuid(&self, _: Uuid) -> StoreResult<Product> {
        unimplemented!("not used by authentication")
    }
    async fn create_order(&self, _: NewOrder) -> StoreResult<Order> {
        unimplemented!("not used by authentication")
    }
    async fn order(&self, _: OrderId) -> StoreResult<Order> {
        unimplemented!("not used by authentication")
    }
    async fn set_order_status(
        &self,
        _: OrderId,
        _: OrderStatus,
        _: Timestamp,
    ) -> StoreResult<Order> {
        unimplemented!("not used by authentication")
    }
    async fn add_refund(&self, _: OrderId, _: NewRefund) -> StoreResult<Order> {
        unimplemented!("not used by authentication")
    }
    async fn delete_order(&self, _: OrderId) -> StoreResult<()> {
        unimplemented!("not used by authentication")
    }
    async fn customer_orders(&self, _: CustomerId, _: PageRequest) -> StoreResult<Page<Order>> {
        unimplemented!("not used by authentication")
    }
    async fn create_subscription(&self, _: NewSubscription) -> StoreResult<Subscription> {
        unimplemented!("not used by authentication")
    }
    async fn set_subscription_status(
        &self,
        _: i64,
        _: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        unimplemented!("not used by authentication")
    }
    async fn customer_subscriptions(&self, _: CustomerId) -> StoreResult<Vec<Subscription>> {
        unimplemented!("not used by authentication")
    }
    async fn create_download_grant(&self, _: NewDownloadGrant) -> StoreResult<DownloadGrant> {
        unimplemented!("not used by authentication")
    }
    async fn customer_downloads(&self, _: CustomerId) -> StoreResult<Vec<CustomerDownload>> {
        unimplemented!("not used by authentication")
    }
    async fn import(&self, _: ImportBatch) -> StoreResult<ImportSummary> {
        unimplemented!("not used by authentication")
    }
    async fn begin_import(&self, _: ImportMode) -> StoreResult<Box<dyn ImportSession>> {
        unimplemented!("not used by authentication")
    }
    async fn begin_export(&self, _: ExportOptions) -> StoreResult<Box<dyn ExportSession>> {
        unimplemented!("not used by authentication")
    }
    async fn currencies(&self) -> StoreResult<Vec<Currency>> {
        unimplemented!("not used by authentication")
    }
    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        let mut keys = self.keys.lock().unwrap();
        let key = ApiKey {
            id: keys.len() as i64 + 1,
            kind: new.kind,
            description: new.description,
            permissions: new.permissions,
            lookup: new.lookup,
            secret: new.secret,
            truncated: new.truncated,
            created_at: Timestamp::UNIX_EPOCH,
            last_access: None,
        };
        keys.push(key.clone());
        Ok(key)
    }
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        Ok(self.keys.lock().unwrap().clone())
    }
    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        Ok(self
            .keys
            .lock()
            .unwrap()
            .iter()
            .find(|key| key.kind == kind && key.lookup == lookup)
            .cloned())
    }
    async fn revoke_api_key(&self, _: i64) -> StoreResult<ApiKey> {
        unimplemented!("not used by authentication")
    }
    async fn touch_api_key(&self, id: i64, _: Timestamp) -> StoreResult<()> {
        self.touched.lock().unwrap().push(id);
        Ok(())
    }
    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        _forget_before: i64,
    ) -> StoreResult<bool> {
        Ok(self
            .nonces
            .lock()
            .unwrap()
            .insert((key_id, nonce.to_owned(), timestamp)))
    }
}

struct Fixture {
    state: AppState,
    store: Arc<KeyStore>,
}

async fn fixture(site_url: &str, keys: &[(&str, &str, KeyPermissions)]) -> Fixture {
    let store = Arc::new(KeyStore::default());
    for (consumer_key, consumer_secret, permissions) in keys {
        store
            .create_api_key(NewApiKey {
                kind: KeyKind::WooCommerce,
                description: String::new(),
                permissions: *permissions,
                lookup: crate::keys::woocommerce_lookup(consumer_key),
                secret: (*consumer_secret).to_owned(),
                truncated: consumer_key[consumer_key.len() - 7..].to_owned(),
            })
            .await
            .unwrap();
    }
    let state = AppState::new(store.clone(), SiteConfig::local(site_url));
    Fixture { state, store }
}

async fn reference_site() -> Fixture {
    fixture(
        "http://example.com",
        &[(REF_CK, REF_CS, KeyPermissions::ReadWrite)],
    )
    .await
}

async fn capture_site() -> Fixture {
    fixture(
        "http://127.0.0.1:8765",
        &[(CAP_CK, CAP_CS, KeyPermissions::ReadWrite)],
    )
    .await
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn https(request: Request) -> Request {
    Request {
        tls: true,
        ..request
    }
}

fn basic(consumer_key: &str, consumer_secret: &str) -> String {
    use base64::Engine as _;
    let pair = format!("{consumer_key}:{consumer_secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn rest(f: &Fixture, request: &Request, now: i64) -> Result<WooCaller, WooAuthError> {
    authenticate_at(&f.state, request, Flavor::Rest, at(now)).await
}

async fn legacy(f: &Fixture, request: &Request, now: i64) -> Result<WooCaller, WooAuthError> {
    authenticate_at(&f.state, request, Flavor::Legacy, at(now)).await
}

fn key_id(result: Result<WooCaller, WooAuthError>) -> i64 {
    match result {
        Ok(WooCaller::Key(key)) => key.id,
        other => panic!("expected a key, got {other:?}"),
    }
}

fn error(result: Result<WooCaller, WooAuthError>) -> (u16, &'static str, String) {
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
    let mut f = reference_site().await;
    let request = Request::get("/wp-json/wc/v3/customers")
        .header("authorization", &basic(REF_CK, REF_CS))
        .header("x-forwarded-proto", "https");
    assert_eq!(rest(&f, &request, 0).await, Ok(WooCaller::Anonymous));
    f.state.site.trust_forwarded_proto = true;
    assert_eq!(key_id(rest(&f, &request, 0).await), 1);
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
    // Nothing was remembered for a refused request.
    assert!(f.store.nonces.lock().unwrap().is_empty());
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
    let f = fixture(
        "http://shop.example.com",
        &[(REF_CK, REF_CS, KeyPermissions::ReadWrite)],
    )
    .await;
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

// ----- Scope, overrides, last access --------------------------------------------------

fn key_with(permissions: KeyPermissions) -> ApiKey {
    ApiKey {
        id: 9,
        kind: KeyKind::WooCommerce,
        description: String::new(),
        permissions,
        lookup: String::new(),
        secret: String::new(),
        truncated: String::new(),
        created_at: Timestamp::UNIX_EPOCH,
        last_access: None,
    }
}

#[test]
fn scope_follows_the_method() {
    let read = key_with(KeyPermissions::Read);
    let write = key_with(KeyPermissions::Write);
    let both = key_with(KeyPermissions::ReadWrite);
    let propfind = Method::from_bytes(b"PROPFIND").unwrap();
    for flavor in [Flavor::Rest, Flavor::Legacy] {
        for method in [Method::GET, Method::HEAD] {
            assert!(check_scope(&read, &method, flavor).is_ok());
            assert!(check_scope(&both, &method, flavor).is_ok());
            let failure = check_scope(&write, &method, flavor).unwrap_err();
            assert_eq!(
                failure.message,
                "The API key provided does not have read permissions."
            );
            assert_eq!(failure.status, 401);
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(check_scope(&write, &method, flavor).is_ok());
            assert!(check_scope(&both, &method, flavor).is_ok());
            assert_eq!(
                check_scope(&read, &method, flavor).unwrap_err().message,
                "The API key provided does not have write permissions."
            );
        }
        assert!(check_scope(&read, &Method::OPTIONS, flavor).is_ok());
        assert!(check_scope(&write, &Method::OPTIONS, flavor).is_ok());
    }
    assert_eq!(
        check_scope(&read, &Method::GET, Flavor::Legacy)
            .and(check_scope(&read, &Method::POST, Flavor::Legacy))
            .unwrap_err()
            .code,
        LEGACY_ERROR
    );
    assert_eq!(
        check_scope(&both, &propfind, Flavor::Rest),
        Err(WooAuthError {
            status: 401,
            code: REST_ERROR,
            message: "Unknown request method.".into()
        })
    );
    assert!(check_scope(&read, &propfind, Flavor::Legacy).is_ok());
}

#[test]
fn method_overrides() {
    let plain = Request::get("/wp-json/wc/v3/customers/1");
    assert_eq!(effective_method(&plain, Flavor::Rest), Method::GET);
    let query = Request::get("/x?_method=delete&_method=put");
    assert_eq!(effective_method(&query, Flavor::Rest), Method::PUT);
    let header = Request::new(Method::POST, "/x", "").header("x-http-method-override", "patch");
    assert_eq!(effective_method(&header, Flavor::Legacy), Method::PATCH);
    let both = Request::get("/x?_method=DEL%20ETE").header("x-http-method-override", "PUT");
    assert_eq!(effective_method(&both, Flavor::Legacy), Method::DELETE);
}

#[tokio::test]
async fn authorize_records_access_only_when_the_scope_allows() {
    let f = reference_site().await;
    let key = f.store.api_keys().await.unwrap().remove(0);
    let caller = WooCaller::Key(ApiKey {
        permissions: KeyPermissions::Read,
        ..key
    });
    assert!(
        authorize(&f.state, &caller, &Method::GET, Flavor::Rest)
            .await
            .is_ok()
    );
    assert!(
        authorize(&f.state, &caller, &Method::POST, Flavor::Rest)
            .await
            .is_err()
    );
    assert!(
        authorize(&f.state, &WooCaller::Anonymous, &Method::POST, Flavor::Rest)
            .await
            .is_ok()
    );
    assert_eq!(*f.store.touched.lock().unwrap(), [1]);
}

#[test]
fn php_comparisons_and_sanitisers() {
    assert!(php_less_than(b"99", 100));
    assert!(!php_less_than(b" 100 ", 100));
    assert!(php_greater_than(b"1e3", 999));
    // Not numeric: compared as strings, like PHP 8.
    assert!(php_greater_than(b"abc", 1_700_000_900));
    assert_eq!(php_integer(b"1700000000"), 1_700_000_000);
    assert_eq!(sanitize_key(b"Ck_AB-c.d!"), b"ck_ab-cd");
    assert_eq!(sanitize_text_field(b"  ck_a \t\n b%41 "), b"ck_a b");
    assert_eq!(
        legacy_route("/wc-api/v3/customers/email/a%40b.c/"),
        ('3', "/customers/email/a@b.c".into())
    );
    assert_eq!(legacy_route("/wc-api/v3"), ('3', String::new()));
}
