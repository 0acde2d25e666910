//! The EDD dialect through `customer_http::handle`: what the conformance cases cannot
//! show (the configured default version, the site time zone of date filters, key
//! revocation and recorded use, form bodies), and totals recomputed from the ledger.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use customer_http::{Request, SiteConfig};
use customer_model::{
    Currency, CustomerDraft, CustomerId, NewLineItem, NewOrder, NewRefund, OrderStatus, Timestamp,
};
use customer_store::{CustomerStore, KeyKind, KeyPermissions, SqliteStore};
use http::Method;
use serde_json::{Value, json};

use crate::app::{Answer, App};

fn fixtures(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conformance")
        .join(slug)
}

/// A site with an EDD key (as `clientele keys create --kind edd` prints it).
struct EddApp {
    app: App,
    key: String,
    token: String,
    key_id: i64,
}

impl std::ops::Deref for EddApp {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

async fn app_with(site: SiteConfig, setup: Option<&Path>) -> EddApp {
    let app = App::with_site(site);
    if let Some(setup) = setup {
        app.import(setup).await;
    }
    let (shown, key_id) = app.issue(KeyKind::Edd, KeyPermissions::ReadWrite).await;
    let part = |name: &str| shown[name].as_str().unwrap().to_owned();
    EddApp {
        key: part("key"),
        token: part("token"),
        key_id,
        app,
    }
}

/// The conformance server's settings: `--site-url http://example.com --timezone UTC
/// --currency USD`.
fn conformance_site() -> SiteConfig {
    SiteConfig::local("http://example.com")
}

impl EddApp {
    /// GET `path` with `query` (already encoded) plus the key and token.
    async fn get(&self, path: &str, query: &str) -> Answer {
        let auth = format!("key={}&token={}", self.key, self.token);
        let query = if query.is_empty() {
            auth
        } else {
            format!("{query}&{auth}")
        };
        self.send(Request::get(&format!("{path}?{query}"))).await
    }
}

#[tokio::test]
async fn the_seed_response_is_reproduced_field_for_field() {
    let app = app_with(
        conformance_site(),
        Some(&fixtures("edd-v1").join("setup.json")),
    )
    .await;
    let answer = app.get("/edd-api/v1/customers/", "customer=1").await;
    let mut body = answer.json();
    assert!(body["request_speed"].as_f64().unwrap() >= 0.0);
    body.as_object_mut().unwrap().remove("request_speed");
    assert_eq!(
        body,
        json!({"customers": [{
            "info": {
                "id": 1,
                "username": "pippin",
                "display_name": "Pippin Williamson",
                "first_name": "Pippin",
                "last_name": "Williamson",
                "email": "pippin@pippinsplugins.com"
            },
            "stats": {"total_purchases": 61, "total_spent": 1139.68, "total_downloads": 31}
        }]})
    );
    // PHP's JSON_PRETTY_PRINT layout, byte for byte up to the timing.
    assert!(answer.text.starts_with(
        "{\n    \"customers\": [\n        {\n            \"info\": {\n                \"id\": 1,\n"
    ));
}

#[tokio::test]
async fn the_configured_default_version_answers_unversioned_urls() {
    let mut site = conformance_site();
    site.edd_default_version = 1;
    let app = app_with(site, Some(&fixtures("edd-v1").join("setup.json"))).await;
    let v1 = app.get("/edd-api/customers/", "customer=1").await.json();
    assert_eq!(v1["customers"][0]["info"]["id"], 1);
    let v2 = app.get("/edd-api/v2/customers/", "customer=1").await.json();
    assert_eq!(v2["customers"][0]["info"]["customer_id"], "1");
}

async fn add_customer(store: &SqliteStore, email: &str, created_at: &str) -> CustomerId {
    let draft = CustomerDraft {
        email: email.to_owned(),
        first_name: "Ada".to_owned(),
        created_at: Some(created_at.parse().unwrap()),
        ..CustomerDraft::default()
    };
    store
        .create_customer(draft.validate().unwrap())
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn date_filters_use_the_site_time_zone() {
    let mut site = conformance_site();
    site.timezone = jiff::tz::TimeZone::get("Europe/Warsaw").unwrap();
    let app = app_with(site, None).await;
    // 23:30 UTC on 31 January is 00:30 on 1 February in Warsaw.
    add_customer(&app.store, "late@example.com", "2013-01-31T23:30:00Z").await;
    let first_of_february = app
        .get(
            "/edd-api/v2/customers/",
            "date=range&startdate=20130201&enddate=20130201",
        )
        .await
        .json();
    assert_eq!(
        first_of_february["customers"][0]["info"]["email"],
        "late@example.com"
    );
    let january = app
        .get(
            "/edd-api/v2/customers/",
            "date=range&startdate=20130101&enddate=20130131",
        )
        .await
        .json();
    assert_eq!(january["error"], "No customers found!");
}

#[tokio::test]
async fn revoked_keys_no_longer_authenticate_and_use_is_recorded() {
    let app = app_with(conformance_site(), None).await;
    add_customer(&app.store, "a@example.com", "2020-01-01T00:00:00Z").await;
    assert_eq!(app.get("/edd-api/v2/customers/", "").await.status, 200);
    // The use is recorded in the background: wait for it (it is written within
    // `FLUSH_EVERY`).
    let mut recorded = false;
    let deadline = std::time::Instant::now()
        + customer_http::key_cache::FLUSH_EVERY
        + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        let keys = app.store.api_keys().await.unwrap();
        if keys
            .iter()
            .any(|k| k.id == app.key_id && k.last_access.is_some())
        {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(recorded, "the key's last use was not recorded");
    app.store.revoke_api_key(app.key_id).await.unwrap();
    // Keys are cached: a revocation is seen once the cache checks the store again.
    tokio::time::sleep(customer_http::key_cache::RECHECK_AFTER).await;
    let answer = app.get("/edd-api/v2/customers/", "").await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.json(), json!({"error": "Invalid API key!"}));
}

#[tokio::test]
async fn paths_and_query_forms_agree() {
    let app = app_with(conformance_site(), None).await;
    add_customer(&app.store, "a@example.com", "2020-01-01T00:00:00Z").await;
    let pretty = app.get("/edd-api/v2/customers", "").await.json();
    let query_form = app.get("/anything/", "edd-api=v2/customers").await.json();
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("request_speed");
        v
    };
    assert_eq!(strip(pretty.clone()), strip(query_form));
    // The query form wins over the path.
    let wins = app
        .get("/edd-api/v3/customers/", "edd-api=v2/customers")
        .await;
    assert_eq!(wins.status, 200);
    let slashed = app.get("/", "edd-api=customers/").await;
    assert_eq!(
        (slashed.status, slashed.json()),
        (404, json!({"error": "Invalid API version!"}))
    );
}

#[tokio::test]
async fn only_post_bodies_carry_variables() {
    let app = app_with(conformance_site(), None).await;
    add_customer(&app.store, "a@example.com", "2020-01-01T00:00:00Z").await;
    add_customer(&app.store, "b@example.com", "2020-01-02T00:00:00Z").await;
    let query = format!("key={}&token={}", app.key, app.token);
    let form = |method: Method| {
        Request::new(
            method,
            &format!("/edd-api/v2/customers/?{query}"),
            Bytes::from_static(b"customer=a@example.com"),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
    };
    let posted = app.send(form(Method::POST)).await.json();
    assert_eq!(posted["customers"].as_array().unwrap().len(), 1);
    assert_eq!(posted["customers"][0]["info"]["email"], "a@example.com");
    let got = app.send(form(Method::GET)).await.json();
    assert_eq!(got["customers"].as_array().unwrap().len(), 2);
    // Credentials may come in the body too.
    let body_auth = Request::new(
        Method::POST,
        "/edd-api/v2/customers/",
        Bytes::from(query.clone()),
    )
    .header("Content-Type", "application/x-www-form-urlencoded");
    assert_eq!(app.send(body_auth).await.status, 200);
}

// ---- Totals as the ledger implies them ----

/// One order of a generated ledger: status, total, refunds, currency.
#[derive(Debug, Clone)]
struct LedgerOrder {
    status: OrderStatus,
    total: i64,
    refunds: Vec<i64>,
    euro: bool,
}

/// A small deterministic generator (xorshift), so that the ledgers vary but every run
/// tests the same ones.
struct Ledgers(u64);

impl Ledgers {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn ledger(&mut self) -> Vec<LedgerOrder> {
        let orders = self.next(12);
        (0..orders)
            .map(|_| {
                let status = OrderStatus::ALL[self.next(7) as usize];
                let total = self.next(50_000) as i64;
                // A refund cannot exceed what is left of the order.
                let mut left = total;
                let refunds = (0..self.next(3))
                    .filter_map(|_| {
                        let amount = (self.next(2_000) as i64 + 1).min(left);
                        left -= amount;
                        (amount > 0).then_some(amount)
                    })
                    .collect();
                LedgerOrder {
                    status,
                    total,
                    refunds,
                    euro: self.next(5) == 0,
                }
            })
            .collect()
    }
}

fn new_order(customer: CustomerId, order: &LedgerOrder, at: Timestamp) -> NewOrder {
    let currency = Currency::parse(if order.euro { "EUR" } else { "USD" }).unwrap();
    NewOrder {
        id: None,
        uuid: None,
        customer_id: customer,
        status: order.status,
        currency,
        total: order.total,
        subtotal: order.total,
        total_tax: 0,
        shipping_total: 0,
        discount_total: 0,
        payment_method: "stripe".into(),
        payment_method_title: "Card".into(),
        created_at: Some(at),
        paid_at: None,
        completed_at: None,
        billing: Default::default(),
        shipping: Default::default(),
        line_items: vec![NewLineItem {
            product_id: None,
            name: "Item".into(),
            quantity: 1,
            total: order.total,
        }],
        refunds: Vec::new(),
    }
}

/// What EDD reports for these orders, recomputed from the orders themselves: purchases
/// are completed and on-hold USD orders; spent is their totals plus refunded orders'
/// totals, less all their refunds.
fn expected_totals(orders: &[LedgerOrder]) -> (usize, i64) {
    let usd = orders.iter().filter(|o| !o.euro);
    let purchases = usd
        .clone()
        .filter(|o| matches!(o.status, OrderStatus::Completed | OrderStatus::OnHold))
        .count();
    let spent = usd
        .filter(|o| {
            matches!(
                o.status,
                OrderStatus::Completed | OrderStatus::OnHold | OrderStatus::Refunded
            )
        })
        .map(|o| o.total - o.refunds.iter().sum::<i64>())
        .sum();
    (purchases, spent)
}

/// Orders written one by one (refunds added afterwards, some statuses changed later)
/// show through EDD with the totals the orders imply.
#[tokio::test]
async fn totals_match_the_ledger() {
    let mut ledgers = Ledgers(0x9E37_79B9_7F4A_7C15);
    let usd = Currency::parse("USD").unwrap();
    let at: Timestamp = "2020-02-01T00:00:00Z".parse().unwrap();
    for round in 0..20 {
        let mut orders = ledgers.ledger();
        let app = app_with(conformance_site(), None).await;
        let id = add_customer(&app.store, "buyer@example.com", "2020-01-01T00:00:00Z").await;
        for order in &mut orders {
            let stored = app
                .store
                .create_order(new_order(id, order, at))
                .await
                .unwrap();
            for amount in &order.refunds {
                let refund = NewRefund {
                    amount: *amount,
                    created_at: Some(at),
                    reason: String::new(),
                };
                app.store.add_refund(stored.id, refund).await.unwrap();
            }
            if ledgers.next(4) == 0 {
                let status = OrderStatus::ALL[ledgers.next(7) as usize];
                app.store
                    .set_order_status(stored.id, status, at)
                    .await
                    .unwrap();
                order.status = status;
            }
        }
        let (purchases, spent) = expected_totals(&orders);
        let body = app
            .get("/edd-api/v2/customers/", &format!("customer={}", id.0))
            .await
            .json();
        let stats = &body["customers"][0]["stats"];
        assert_eq!(
            stats["total_purchases"],
            json!(purchases),
            "round {round}: {body}"
        );
        let written = stats["total_spent"].to_string();
        assert_eq!(
            usd.parse_major(&written).unwrap(),
            spent,
            "round {round}: {body}"
        );
        assert_eq!(stats["total_downloads"], 0);
    }
}
