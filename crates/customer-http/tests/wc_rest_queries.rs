//! The list answers from one store call: `list_customers` returns each customer with its
//! aggregates, so no per-row query is made (v2's `orders_count`/`total_spent` included).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use customer_http::{AppState, Request, SiteConfig, handle, keys};
use customer_model::{
    Currency, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStats, DownloadGrant,
    NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewRefund, NewSubscription, Order,
    OrderId, OrderStatus, PageRequest, Product, ProductId, Subscription, SubscriptionStatus,
    Timestamp, Uuid,
};
use customer_store::{
    ApiKey, CustomerDownload, CustomerRecord, CustomerStore, ExportOptions, ExportSession,
    ImportBatch, ImportMode, ImportSession, ImportSummary, KeyKind, KeyPermissions, NewApiKey,
    Page, SqliteStore, StoreResult,
};

/// A store that counts the calls it passes on to SQLite.
struct Counting {
    inner: SqliteStore,
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl Counting {
    fn count(&self, name: &'static str) {
        *self.calls.lock().unwrap().entry(name).or_default() += 1;
    }

    fn take(&self) -> HashMap<&'static str, usize> {
        std::mem::take(&mut *self.calls.lock().unwrap())
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
    async fn import(&self, batch: ImportBatch) -> StoreResult<ImportSummary> {
        self.count("import");
        self.inner.import(batch).await
    }
    async fn begin_import(&self, mode: ImportMode) -> StoreResult<Box<dyn ImportSession>> {
        self.count("begin_import");
        self.inner.begin_import(mode).await
    }
    async fn begin_export(&self, options: ExportOptions) -> StoreResult<Box<dyn ExportSession>> {
        self.count("begin_export");
        self.inner.begin_export(options).await
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
}

#[tokio::test]
async fn a_v2_list_is_one_store_call() {
    let store = Arc::new(Counting {
        inner: SqliteStore::open_in_memory().unwrap(),
        calls: Mutex::new(HashMap::new()),
    });
    let issued = keys::issue(KeyKind::WooCommerce, KeyPermissions::ReadWrite, "tests");
    store.create_api_key(issued.stored).await.unwrap();
    let (ck, cs) = (
        issued.shown["consumer_key"].as_str().unwrap().to_owned(),
        issued.shown["consumer_secret"].as_str().unwrap().to_owned(),
    );
    let state = AppState::new(store.clone(), SiteConfig::local("http://example.com"));
    let send = |method: http::Method, target: String, body: String| {
        let mut request = Request::new(
            method,
            &format!("{target}?consumer_key={ck}&consumer_secret={cs}"),
            body,
        )
        .header("content-type", "application/json");
        request.tls = true;
        request
    };
    for i in 0..25 {
        let body = format!("{{\"email\": \"c{i}@example.com\"}}");
        let response = handle(
            &state,
            send(http::Method::POST, "/wp-json/wc/v2/customers".into(), body),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    store.take();
    let response = handle(
        &state,
        send(
            http::Method::GET,
            "/wp-json/wc/v2/customers".into(),
            String::new(),
        ),
    )
    .await;
    assert_eq!(response.status(), 200);
    let calls = store.take();
    assert_eq!(calls.get("list_customers"), Some(&1), "{calls:?}");
    for per_row in [
        "customer",
        "customer_stats",
        "customer_orders",
        "count_customers",
    ] {
        assert_eq!(calls.get(per_row), None, "{per_row}: {calls:?}");
    }
}
