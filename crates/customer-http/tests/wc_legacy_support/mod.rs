//! A small in-memory [`CustomerStore`] for the wc-api/v3 handler tests, plus helpers
//! to build requests and read responses.
//!
//! It keeps the store contract the handlers rely on (case-insensitive unique e-mails and
//! usernames, guests without accounts, newest-first orders, per-status stats) without a
//! database, so the dialect can be tested while the SQLite backend is written elsewhere.
//! Stats are recomputed from the orders on read: acceptable in a test double, never in a
//! backend.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use customer_http::{AppState, Request, Response, SiteConfig};
use customer_model::{
    Account, AccountFilter, Currency, CurrencyStats, Customer, CustomerId, CustomerPatch,
    CustomerQuery, CustomerStats, DownloadGrant, LineItem, NewCustomer, NewDownloadGrant, NewOrder,
    NewProduct, NewRefund, NewSubscription, Order, OrderId, OrderRef, OrderStatus, PageRequest,
    Product, ProductId, Refund, SearchField, SortDirection, SortKey, Subscription,
    SubscriptionStatus, Timestamp, Uuid,
};
use customer_store::{
    ApiKey, CustomerDownload, CustomerStore, ImportBatch, ImportSummary, KeyKind, NewApiKey, Page,
    StoreError, StoreResult,
};
use http::Method;
use http_body_util::BodyExt;

#[derive(Default)]
struct Inner {
    customers: BTreeMap<i64, Customer>,
    orders: BTreeMap<i64, Order>,
    products: BTreeMap<i64, Product>,
    grants: Vec<DownloadGrant>,
    keys: Vec<ApiKey>,
    nonces: Vec<(i64, String, i64)>,
    next_id: i64,
}

impl Inner {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn email_taken(&self, folded: &str, except: Option<i64>) -> bool {
        self.customers.values().any(|c| {
            Some(c.id.0) != except
                && (c.email.folded() == folded
                    || c.additional_emails.iter().any(|e| e.folded() == folded))
        })
    }

    fn username_taken(&self, folded: &str, except: Option<i64>) -> bool {
        self.customers
            .values()
            .any(|c| Some(c.id.0) != except && c.username().is_some_and(|u| u.folded() == folded))
    }

    fn stats(&self, id: CustomerId) -> CustomerStats {
        let mut stats = CustomerStats::default();
        for order in self.orders.values().filter(|o| o.customer_id == id) {
            let at = match stats
                .currencies
                .iter()
                .position(|c| c.currency == order.currency)
            {
                Some(at) => at,
                None => {
                    stats.currencies.push(CurrencyStats::empty(order.currency));
                    stats.currencies.len() - 1
                }
            };
            let figures = &mut stats.currencies[at];
            let slot = &mut figures.by_status[order.status.index()];
            slot.orders += 1;
            slot.total += order.total;
            slot.refunded += order.refunded_total();
            let this = OrderRef {
                id: order.id,
                at: order.created_at,
            };
            if figures
                .first_order
                .is_none_or(|f| (f.at, f.id) > (this.at, this.id))
            {
                figures.first_order = Some(this);
            }
            if figures
                .last_order
                .is_none_or(|l| (l.at, l.id) < (this.at, this.id))
            {
                figures.last_order = Some(this);
            }
        }
        stats.currencies.sort_by_key(|c| c.currency.code());
        stats
    }
}

/// The in-memory store.
#[derive(Default)]
pub(crate) struct MemoryStore {
    inner: Mutex<Inner>,
}

fn unsupported<T>() -> StoreResult<T> {
    Err(StoreError::Unavailable("not kept by the test store".into()))
}

fn not_found<T>(entity: &'static str) -> StoreResult<T> {
    Err(StoreError::NotFound { entity })
}

fn matches(customer: &Customer, query: &CustomerQuery) -> bool {
    let filter = &query.filter;
    let registered = customer.account.is_some();
    let account_ok = match filter.accounts {
        AccountFilter::Any => true,
        AccountFilter::Registered => registered,
        AccountFilter::Guests => !registered,
    };
    let role_ok = filter
        .role
        .is_none_or(|role| customer.account.as_ref().is_some_and(|a| a.role == role));
    let email_ok = filter
        .email
        .as_ref()
        .is_none_or(|e| customer.email.folded() == e.to_ascii_lowercase());
    let search_ok = filter.search.iter().all(|search| {
        let term = search.term.to_lowercase();
        let hit = |text: &str| text.to_lowercase().contains(&term);
        (search.match_id && search.term == customer.id.0.to_string())
            || search.fields.iter().any(|field| match field {
                SearchField::Email => hit(customer.email.as_str()),
                SearchField::Username => customer.username().is_some_and(|u| hit(u.as_str())),
                SearchField::DisplayName => hit(&customer.display_name),
                SearchField::Names => hit(&customer.first_name) || hit(&customer.last_name),
                _ => false,
            })
    });
    account_ok && role_ok && email_ok && search_ok && filter.created.contains(customer.created_at)
}

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn health(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn create_customer(&self, new: NewCustomer) -> StoreResult<Customer> {
        let mut inner = self.inner.lock().unwrap();
        if inner.email_taken(&new.email.folded(), None) {
            return Err(StoreError::Conflict { field: "email" });
        }
        if let Some(account) = &new.account
            && inner.username_taken(&account.username.folded(), None)
        {
            return Err(StoreError::Conflict { field: "username" });
        }
        let id = match new.id {
            Some(id) => id.0,
            None => inner.next(),
        };
        inner.next_id = inner.next_id.max(id);
        let customer = Customer {
            id: CustomerId(id),
            uuid: new.uuid.unwrap_or_else(|| Uuid::from_u128(id as u128)),
            email: new.email.clone(),
            additional_emails: new.additional_emails.clone(),
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            display_name: new.effective_display_name(),
            account: new.account.as_ref().map(|a| Account {
                username: a.username.clone(),
                role: a.role,
                password_hash: a.password.as_ref().map(|_| "$test$hash".to_owned()),
            }),
            billing: new.billing.clone(),
            shipping: new.shipping.clone(),
            meta_data: Vec::new(),
            avatar_url: new.avatar_url.clone(),
            created_at: new.created_at.unwrap_or_else(Timestamp::now),
            modified_at: None,
        };
        inner.customers.insert(id, customer.clone());
        Ok(customer)
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        let inner = self.inner.lock().unwrap();
        inner
            .customers
            .get(&id.0)
            .cloned()
            .map_or_else(|| not_found("customer"), Ok)
    }

    async fn customer_by_uuid(&self, _uuid: Uuid) -> StoreResult<Customer> {
        unsupported()
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Customer> {
        let folded = email.to_ascii_lowercase();
        let inner = self.inner.lock().unwrap();
        inner
            .customers
            .values()
            .find(|c| {
                c.email.folded() == folded
                    || c.additional_emails.iter().any(|e| e.folded() == folded)
            })
            .cloned()
            .map_or_else(|| not_found("customer"), Ok)
    }

    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> StoreResult<Customer> {
        let mut inner = self.inner.lock().unwrap();
        if !inner.customers.contains_key(&id.0) {
            return not_found("customer");
        }
        if let Some(email) = &patch.email
            && inner.email_taken(&email.folded(), Some(id.0))
        {
            return Err(StoreError::Conflict { field: "email" });
        }
        if let Some(username) = &patch.username
            && inner.username_taken(&username.folded(), Some(id.0))
        {
            return Err(StoreError::Conflict { field: "username" });
        }
        let customer = inner.customers.get_mut(&id.0).expect("checked above");
        if let Some(email) = patch.email {
            customer.email = email;
        }
        if let Some(first) = patch.first_name {
            customer.first_name = first;
        }
        if let Some(last) = patch.last_name {
            customer.last_name = last;
        }
        if let Some(username) = patch.username {
            let role = patch.role.unwrap_or(customer_model::Role::Customer);
            match &mut customer.account {
                Some(account) => account.username = username,
                None => {
                    customer.account = Some(Account {
                        username,
                        role,
                        password_hash: None,
                    })
                }
            }
        }
        if let (Some(role), Some(account)) = (patch.role, customer.account.as_mut()) {
            account.role = role;
        }
        if let (Some(_), Some(account)) = (&patch.password, customer.account.as_mut()) {
            account.password_hash = Some("$test$hash".to_owned());
        }
        if let Some(billing) = &patch.billing {
            customer.billing.apply(billing);
        }
        if let Some(shipping) = &patch.shipping {
            customer.shipping.apply(shipping);
        }
        customer.modified_at = Some(Timestamp::now());
        Ok(customer.clone())
    }

    async fn delete_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        let mut inner = self.inner.lock().unwrap();
        let customer = inner
            .customers
            .remove(&id.0)
            .map_or_else(|| not_found("customer"), Ok)?;
        inner.orders.retain(|_, o| o.customer_id != id);
        inner.grants.retain(|g| g.customer_id != id);
        Ok(customer)
    }

    async fn list_customers(
        &self,
        query: &CustomerQuery,
    ) -> StoreResult<Page<customer_store::CustomerRecord>> {
        let inner = self.inner.lock().unwrap();
        let mut rows: Vec<&Customer> = inner
            .customers
            .values()
            .filter(|c| matches(c, query))
            .collect();
        rows.sort_by(|a, b| {
            let key = |c: &Customer| -> (String, i64) {
                match query.sort {
                    SortKey::Created => (c.created_at.to_string(), c.id.0),
                    SortKey::Username => {
                        (c.username().map(|u| u.folded()).unwrap_or_default(), c.id.0)
                    }
                    SortKey::DisplayName => (c.display_name.to_lowercase(), c.id.0),
                    _ => (String::new(), c.id.0),
                }
            };
            key(a).cmp(&key(b))
        });
        if query.direction == SortDirection::Descending {
            rows.reverse();
        }
        let total = rows.len() as u64;
        let items = page_of(rows, query.page)
            .into_iter()
            .map(|c| customer_store::CustomerRecord {
                customer: c.clone(),
                stats: inner.stats(c.id),
            })
            .collect();
        Ok(Page { items, total })
    }

    async fn count_customers(&self, query: &CustomerQuery) -> StoreResult<u64> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .customers
            .values()
            .filter(|c| matches(c, query))
            .count() as u64)
    }

    async fn customer_stats(&self, id: CustomerId) -> StoreResult<CustomerStats> {
        let inner = self.inner.lock().unwrap();
        if !inner.customers.contains_key(&id.0) {
            return not_found("customer");
        }
        Ok(inner.stats(id))
    }

    async fn create_product(&self, new: NewProduct) -> StoreResult<Product> {
        let mut inner = self.inner.lock().unwrap();
        let id = match new.id {
            Some(id) => id.0,
            None => inner.next(),
        };
        inner.next_id = inner.next_id.max(id);
        let product = Product {
            id: ProductId(id),
            uuid: new
                .uuid
                .unwrap_or_else(|| Uuid::from_u128(1 << 64 | id as u128)),
            name: new.name,
            files: new.files,
        };
        inner.products.insert(id, product.clone());
        Ok(product)
    }

    async fn product(&self, id: ProductId) -> StoreResult<Product> {
        let inner = self.inner.lock().unwrap();
        inner
            .products
            .get(&id.0)
            .cloned()
            .map_or_else(|| not_found("product"), Ok)
    }

    async fn product_by_uuid(&self, _uuid: Uuid) -> StoreResult<Product> {
        unsupported()
    }

    async fn create_order(&self, new: NewOrder) -> StoreResult<Order> {
        let mut inner = self.inner.lock().unwrap();
        if !inner.customers.contains_key(&new.customer_id.0) {
            return Err(StoreError::Invalid {
                field: "customer_id".into(),
                reason: "no such customer".into(),
            });
        }
        let id = match new.id {
            Some(id) => id.0,
            None => inner.next(),
        };
        inner.next_id = inner.next_id.max(id);
        let created_at = new.created_at.unwrap_or_else(Timestamp::now);
        let line_items = new
            .line_items
            .into_iter()
            .map(|line| LineItem {
                id: inner.next(),
                product_id: line.product_id,
                name: line.name,
                quantity: line.quantity,
                total: line.total,
            })
            .collect();
        let refunds = new
            .refunds
            .into_iter()
            .map(|r| Refund {
                id: inner.next(),
                amount: r.amount,
                created_at: r.created_at.unwrap_or(created_at),
                reason: r.reason,
            })
            .collect();
        let order = Order {
            id: OrderId(id),
            uuid: new
                .uuid
                .unwrap_or_else(|| Uuid::from_u128(2 << 64 | id as u128)),
            customer_id: new.customer_id,
            status: new.status,
            currency: new.currency,
            total: new.total,
            subtotal: new.subtotal,
            total_tax: new.total_tax,
            shipping_total: new.shipping_total,
            discount_total: new.discount_total,
            payment_method: new.payment_method,
            payment_method_title: new.payment_method_title,
            created_at,
            paid_at: new.paid_at,
            completed_at: new.completed_at,
            billing: new.billing,
            shipping: new.shipping,
            line_items,
            refunds,
        };
        inner.orders.insert(id, order.clone());
        Ok(order)
    }

    async fn order(&self, id: OrderId) -> StoreResult<Order> {
        let inner = self.inner.lock().unwrap();
        inner
            .orders
            .get(&id.0)
            .cloned()
            .map_or_else(|| not_found("order"), Ok)
    }

    async fn set_order_status(
        &self,
        _: OrderId,
        _: OrderStatus,
        _: Timestamp,
    ) -> StoreResult<Order> {
        unsupported()
    }

    async fn add_refund(&self, _: OrderId, _: NewRefund) -> StoreResult<Order> {
        unsupported()
    }

    async fn delete_order(&self, _: OrderId) -> StoreResult<()> {
        unsupported()
    }

    async fn customer_orders(&self, id: CustomerId, page: PageRequest) -> StoreResult<Page<Order>> {
        let inner = self.inner.lock().unwrap();
        let mut rows: Vec<&Order> = inner
            .orders
            .values()
            .filter(|o| o.customer_id == id)
            .collect();
        rows.sort_by_key(|o| std::cmp::Reverse((o.created_at, o.id)));
        let total = rows.len() as u64;
        let items = page_of(rows, page).into_iter().cloned().collect();
        Ok(Page { items, total })
    }

    async fn create_subscription(&self, _: NewSubscription) -> StoreResult<Subscription> {
        unsupported()
    }

    async fn set_subscription_status(
        &self,
        _: i64,
        _: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        unsupported()
    }

    async fn customer_subscriptions(&self, _: CustomerId) -> StoreResult<Vec<Subscription>> {
        unsupported()
    }

    async fn create_download_grant(&self, new: NewDownloadGrant) -> StoreResult<DownloadGrant> {
        let mut inner = self.inner.lock().unwrap();
        let grant = DownloadGrant {
            id: inner.next(),
            download_id: new.download_id,
            customer_id: new.customer_id,
            order_id: new.order_id,
            product_id: new.product_id,
            downloads_remaining: new.downloads_remaining,
            access_expires: new.access_expires,
            download_count: new.download_count,
        };
        inner.grants.push(grant.clone());
        Ok(grant)
    }

    async fn customer_downloads(&self, id: CustomerId) -> StoreResult<Vec<CustomerDownload>> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .grants
            .iter()
            .filter(|g| g.customer_id == id)
            .filter_map(|grant| {
                let product = inner.products.get(&grant.product_id.0)?;
                let file = product.files.iter().find(|f| f.id == grant.download_id)?;
                let order = inner.orders.get(&grant.order_id.0)?;
                Some(CustomerDownload {
                    grant: grant.clone(),
                    product_name: product.name.clone(),
                    file: file.clone(),
                    order_uuid: order.uuid,
                })
            })
            .collect())
    }

    async fn import(&self, _: ImportBatch) -> StoreResult<ImportSummary> {
        unsupported()
    }

    async fn currencies(&self) -> StoreResult<Vec<Currency>> {
        unsupported()
    }

    async fn create_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        let mut inner = self.inner.lock().unwrap();
        let key = ApiKey {
            id: inner.keys.len() as i64 + 1,
            kind: new.kind,
            description: new.description,
            permissions: new.permissions,
            lookup: new.lookup,
            secret: new.secret,
            truncated: new.truncated,
            created_at: Timestamp::now(),
            last_access: None,
        };
        inner.keys.push(key.clone());
        Ok(key)
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        Ok(self.inner.lock().unwrap().keys.clone())
    }

    async fn find_api_key(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .keys
            .iter()
            .find(|k| k.kind == kind && k.lookup == lookup)
            .cloned())
    }

    async fn revoke_api_key(&self, _: i64) -> StoreResult<ApiKey> {
        unsupported()
    }

    async fn touch_api_key(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        let mut inner = self.inner.lock().unwrap();
        if let Some(key) = inner.keys.iter_mut().find(|k| k.id == id) {
            key.last_access = Some(at);
        }
        Ok(())
    }

    async fn remember_nonce(
        &self,
        key_id: i64,
        nonce: &str,
        timestamp: i64,
        forget_before: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.inner.lock().unwrap();
        inner.nonces.retain(|(_, _, t)| *t >= forget_before);
        let seen = inner
            .nonces
            .iter()
            .any(|(k, n, t)| *k == key_id && n == nonce && *t == timestamp);
        if !seen {
            inner.nonces.push((key_id, nonce.to_owned(), timestamp));
        }
        Ok(!seen)
    }
}

fn page_of<T>(rows: Vec<T>, page: PageRequest) -> Vec<T> {
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let rows = rows.into_iter().skip(offset);
    match page.limit {
        Some(limit) => rows
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect(),
        None => rows.collect(),
    }
}

/// A server over a fresh memory store: `http://example.com`, UTC, USD.
pub(crate) fn server() -> (Arc<MemoryStore>, AppState) {
    let store = Arc::new(MemoryStore::default());
    let state = AppState::new(store.clone(), SiteConfig::local("http://example.com"));
    (store, state)
}

/// A request over TLS (so that query keys and Basic auth are accepted).
pub(crate) fn request(method: Method, target: &str, body: &str) -> Request {
    let mut request = Request::new(method, target, Bytes::from(body.to_owned()));
    request.tls = true;
    request
}

/// A response's status, headers and body as text.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Every value of a header, in order.
    pub(crate) fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// Sends a request through the socket-free entry.
pub(crate) async fn send(state: &AppState, request: Request) -> Answer {
    let response: Response = customer_http::handle(state, request).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}
