//! The test app every module shares: the whole server over a fresh in-memory SQLite
//! store, keys of every kind issued as `clientele keys create` issues them, requests,
//! and answers read back. `handle` runs without a socket.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use customer_http::{AppState, Request, SiteConfig, handle, keys};
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, DeliveryRecord, NewWebhook, Webhook, WebhookEvent, WebhookPatch,
    WebhookQuery,
};
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadGrant,
    NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order,
    OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};
use customer_store::{
    ApiKey, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportBatch, ImportOptions, ImportSession, ImportSummary, KeyKind, KeyPermissions, NewApiKey,
    Page, SqliteStore, StoreResult,
};
use http::{HeaderMap, Method};
use http_body_util::BodyExt as _;
use serde_json::Value;

/// The server under test and its store.
pub(crate) struct App {
    /// What `handle` serves.
    pub(crate) state: AppState,
    /// The store behind it, for setting data up and looking at it.
    pub(crate) store: Arc<SqliteStore>,
}

impl App {
    /// A fresh site at `http://example.com`, UTC, USD.
    pub(crate) fn new() -> Self {
        Self::with_site(SiteConfig::local("http://example.com"))
    }

    /// A fresh site with `site`'s settings.
    pub(crate) fn with_site(site: SiteConfig) -> Self {
        let store = Arc::new(SqliteStore::open_in_memory().expect("an in-memory store"));
        let shared: Arc<dyn CustomerStore> = store.clone();
        Self {
            state: AppState::new(shared, site),
            store,
        }
    }

    /// A fresh site in time zone `name`.
    pub(crate) fn in_timezone(name: &str) -> Self {
        let mut site = SiteConfig::local("http://example.com");
        site.timezone = jiff::tz::TimeZone::get(name).expect("a known time zone");
        Self::with_site(site)
    }

    /// A fresh site whose store counts the calls made to it.
    pub(crate) fn counting() -> (Self, Arc<Counting>) {
        let store = Arc::new(SqliteStore::open_in_memory().expect("an in-memory store"));
        let counting = Arc::new(Counting {
            inner: store.clone(),
            calls: Mutex::new(HashMap::new()),
        });
        let shared: Arc<dyn CustomerStore> = counting.clone();
        let app = Self {
            state: AppState::new(shared, SiteConfig::local("http://example.com")),
            store,
        };
        (app, counting)
    }

    /// Issues a key of `kind` and stores it; what `clientele keys create` prints, and the
    /// stored key's id.
    pub(crate) async fn issue(&self, kind: KeyKind, permissions: KeyPermissions) -> (Value, i64) {
        let issued = keys::issue(kind, permissions, "tests");
        let stored = self
            .store
            .create_api_key(issued.stored)
            .await
            .expect("a stored key");
        (issued.shown, stored.id)
    }

    /// A fresh WooCommerce key: consumer key and secret.
    pub(crate) async fn woocommerce_key(&self, permissions: KeyPermissions) -> (String, String) {
        let (shown, _) = self.issue(KeyKind::WooCommerce, permissions).await;
        (
            text(&shown, "consumer_key"),
            text(&shown, "consumer_secret"),
        )
    }

    /// A WooCommerce key with a consumer key and secret chosen by the test (reference
    /// vectors and captured requests are signed with known keys).
    pub(crate) async fn known_woocommerce_key(
        &self,
        consumer_key: &str,
        consumer_secret: &str,
        permissions: KeyPermissions,
    ) -> i64 {
        self.store
            .create_api_key(NewApiKey {
                kind: KeyKind::WooCommerce,
                description: "tests".to_owned(),
                permissions,
                lookup: keys::woocommerce_lookup(consumer_key),
                secret: consumer_secret.to_owned(),
                truncated: consumer_key[consumer_key.len() - 7..].to_owned(),
            })
            .await
            .expect("a stored key")
            .id
    }

    /// Imports a file in the import format, whole.
    pub(crate) async fn import(&self, path: &Path) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let decoded = customer_wire::import::decode_slice(&bytes)
            .unwrap_or_else(|errors| panic!("{}: {errors:?}", path.display()));
        self.store
            .import(decoded.records)
            .await
            .expect("the file imports");
    }

    /// Sends a request through the socket-free entry.
    pub(crate) async fn send(&self, request: Request) -> Answer {
        Answer::read(handle(&self.state, request).await).await
    }
}

/// A string member of a printed key.
fn text(shown: &Value, field: &str) -> String {
    shown[field].as_str().expect("a printed field").to_owned()
}

/// A response: status, headers, and the body raw, as text and as JSON.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) raw: Bytes,
    /// The body as text (invalid UTF-8 replaced).
    pub(crate) text: String,
    /// The body as JSON; `Null` when it is empty or not JSON.
    pub(crate) body: Value,
}

impl Answer {
    async fn read(response: customer_http::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .expect("a whole body")
            .to_bytes();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            raw,
            text,
            body,
        }
    }

    /// The body as JSON, which it must be.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.raw)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The first value of a header.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header, in order.
    pub(crate) fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("a visible header").to_owned())
            .collect()
    }

    /// The `code` of a JSON error body.
    pub(crate) fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// A request with a JSON body.
pub(crate) fn json_request(method: Method, target: &str, body: &Value) -> Request {
    Request::new(method, target, serde_json::to_vec(body).expect("JSON"))
        .header("content-type", "application/json")
}

/// The same request over TLS.
pub(crate) fn tls(mut request: Request) -> Request {
    request.tls = true;
    request
}

/// An `Authorization: Basic …` value.
pub(crate) fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A store that counts the calls it passes on to SQLite.
pub(crate) struct Counting {
    inner: Arc<SqliteStore>,
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl Counting {
    fn count(&self, name: &'static str) {
        *self
            .calls
            .lock()
            .expect("no poisoning")
            .entry(name)
            .or_default() += 1;
    }

    /// The calls counted since the last take, by method name.
    pub(crate) fn take(&self) -> HashMap<&'static str, usize> {
        std::mem::take(&mut *self.calls.lock().expect("no poisoning"))
    }
}

#[async_trait]
impl CustomerStore for Counting {
    async fn health(&self) -> StoreResult<()> {
        self.count("health");
        self.inner.health().await
    }
    async fn create_customer(&self, new: NewCustomer) -> StoreResult<Customer> {
        self.count("create_customer");
        self.inner.create_customer(new).await
    }
    async fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.count("customer");
        self.inner.customer(id).await
    }
    async fn customer_by_uuid(&self, uuid: Uuid) -> StoreResult<Customer> {
        self.count("customer_by_uuid");
        self.inner.customer_by_uuid(uuid).await
    }
    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer> {
        self.count("customer_by_email");
        self.inner.customer_by_email(email).await
    }
    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> StoreResult<Customer> {
        self.count("update_customer");
        self.inner.update_customer(id, patch).await
    }
    async fn delete_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.count("delete_customer");
        self.inner.delete_customer(id).await
    }
    async fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
        self.count("list_customers");
        self.inner.list_customers(query).await
    }
    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64> {
        self.count("count_customers");
        self.inner.count_customers(query).await
    }
    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats> {
        self.count("customer_stats");
        self.inner.customer_stats(id).await
    }
    async fn customer_record(&self, id: CustomerId) -> StoreResult<CustomerRecord> {
        self.count("customer_record");
        self.inner.customer_record(id).await
    }
    async fn create_product(&self, new: NewProduct) -> StoreResult<Product> {
        self.count("create_product");
        self.inner.create_product(new).await
    }
    async fn product(&self, id: ProductId) -> StoreResult<Product> {
        self.count("product");
        self.inner.product(id).await
    }
    async fn product_by_uuid(&self, uuid: Uuid) -> StoreResult<Product> {
        self.count("product_by_uuid");
        self.inner.product_by_uuid(uuid).await
    }
    async fn create_order(&self, new: NewOrder) -> StoreResult<Order> {
        self.count("create_order");
        self.inner.create_order(new).await
    }
    async fn order(&self, id: OrderId) -> StoreResult<Order> {
        self.count("order");
        self.inner.order(id).await
    }
    async fn set_order_status(
        &self,
        id: OrderId,
        status: OrderStatus,
        at: Timestamp,
    ) -> StoreResult<Order> {
        self.count("set_order_status");
        self.inner.set_order_status(id, status, at).await
    }
    async fn add_refund(&self, id: OrderId, refund: NewRefund) -> StoreResult<Order> {
        self.count("add_refund");
        self.inner.add_refund(id, refund).await
    }
    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        self.count("delete_order");
        self.inner.delete_order(id).await
    }
    async fn customer_orders(&self, id: CustomerId, page: PageRequest) -> StoreResult<Page<Order>> {
        self.count("customer_orders");
        self.inner.customer_orders(id, page).await
    }
    async fn create_subscription(&self, new: NewSubscription) -> StoreResult<Subscription> {
        self.count("create_subscription");
        self.inner.create_subscription(new).await
    }
    async fn set_subscription_status(
        &self,
        id: i64,
        status: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        self.count("set_subscription_status");
        self.inner.set_subscription_status(id, status).await
    }
    async fn customer_subscriptions(&self, id: CustomerId) -> StoreResult<Vec<Subscription>> {
        self.count("customer_subscriptions");
        self.inner.customer_subscriptions(id).await
    }
    async fn create_download_grant(&self, new: NewDownloadGrant) -> StoreResult<DownloadGrant> {
        self.count("create_download_grant");
        self.inner.create_download_grant(new).await
    }
    async fn customer_downloads(&self, id: CustomerId) -> StoreResult<Vec<CustomerDownload>> {
        self.count("customer_downloads");
        self.inner.customer_downloads(id).await
    }
    async fn begin_import(&self, options: ImportOptions) -> StoreResult<Box<dyn ImportSession>> {
        self.count("begin_import");
        self.inner.begin_import(options).await
    }
    async fn begin_export(&self, options: ExportOptions) -> StoreResult<Box<dyn ExportSession>> {
        self.count("begin_export");
        self.inner.begin_export(options).await
    }
    async fn import(&self, batch: ImportBatch) -> StoreResult<ImportSummary> {
        self.count("import");
        self.inner.import(batch).await
    }
    async fn currencies(&self) -> StoreResult<Vec<Currency>> {
        self.count("currencies");
        self.inner.currencies().await
    }
    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        self.count("create_api_key");
        self.inner.create_api_key(new).await
    }
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.count("api_keys");
        self.inner.api_keys().await
    }
    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        self.count("find_api_key");
        self.inner.find_api_key(kind, lookup).await
    }
    async fn revoke_api_key(&self, id: i64) -> StoreResult<ApiKey> {
        self.count("revoke_api_key");
        self.inner.revoke_api_key(id).await
    }
    async fn touch_api_key(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.count("touch_api_key");
        self.inner.touch_api_key(id, at).await
    }
    async fn api_key_generation(&self) -> StoreResult<u64> {
        self.count("api_key_generation");
        self.inner.api_key_generation().await
    }
    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        forget_before: i64,
    ) -> StoreResult<bool> {
        self.count("remember_nonce");
        self.inner
            .remember_nonce(key_id, nonce, timestamp, forget_before)
            .await
    }
    fn clock(&self) -> &customer_store::Clock {
        self.inner.clock()
    }
    async fn save_state(&self, name: &str) -> StoreResult<()> {
        self.count("save_state");
        self.inner.save_state(name).await
    }
    async fn restore_state(&self, name: &str) -> StoreResult<()> {
        self.count("restore_state");
        self.inner.restore_state(name).await
    }
    async fn delete_state(&self, name: &str) -> StoreResult<()> {
        self.count("delete_state");
        self.inner.delete_state(name).await
    }
    async fn state_names(&self) -> StoreResult<Vec<String>> {
        self.count("state_names");
        self.inner.state_names().await
    }
    fn keep_states_in(&self, dir: &std::path::Path) -> StoreResult<()> {
        self.inner.keep_states_in(dir)
    }
    async fn create_webhook(&self, new: NewWebhook) -> StoreResult<Webhook> {
        self.count("create_webhook");
        self.inner.create_webhook(new).await
    }
    async fn webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.count("webhook");
        self.inner.webhook(id).await
    }
    async fn list_webhooks(&self, query: &WebhookQuery) -> StoreResult<Page<Webhook>> {
        self.count("list_webhooks");
        self.inner.list_webhooks(query).await
    }
    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> StoreResult<Webhook> {
        self.count("update_webhook");
        self.inner.update_webhook(id, patch).await
    }
    async fn delete_webhook(&self, id: i64) -> StoreResult<Webhook> {
        self.count("delete_webhook");
        self.inner.delete_webhook(id).await
    }
    async fn claim_webhook_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedWebhook>> {
        self.count("claim_webhook_events");
        self.inner
            .claim_webhook_events(owner, now, lease_until, limit)
            .await
    }
    async fn record_webhook_attempt(
        &self,
        event: &WebhookEvent,
        record: DeliveryRecord,
        after: AfterAttempt,
    ) -> StoreResult<Webhook> {
        self.count("record_webhook_attempt");
        self.inner
            .record_webhook_attempt(event, record, after)
            .await
    }
    async fn release_webhook(&self, id: i64, owner: &str) -> StoreResult<()> {
        self.count("release_webhook");
        self.inner.release_webhook(id, owner).await
    }
    async fn webhook_deliveries(&self, id: i64, limit: usize) -> StoreResult<Vec<DeliveryRecord>> {
        self.count("webhook_deliveries");
        self.inner.webhook_deliveries(id, limit).await
    }
    async fn clear_webhook_deliveries(&self) -> StoreResult<()> {
        self.count("clear_webhook_deliveries");
        self.inner.clear_webhook_deliveries().await
    }
}
