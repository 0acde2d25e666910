//! One customer database, every dialect: a customer written through one API reads the
//! same through the others, and orders imported for it give each dialect the totals its
//! original defines from the same ledger.

use std::sync::Arc;

use customer_http::{AppState, Request, SiteConfig, keys};
use customer_store::{CustomerStore, KeyKind, KeyPermissions, SqliteStore};
use http::Method;
use serde_json::{Value, json};

struct Shop {
    store: Arc<SqliteStore>,
    state: AppState,
    woo: String,
    edd: String,
    bearer: String,
}

impl Shop {
    async fn new() -> Self {
        let store = Arc::new(SqliteStore::open_in_memory().expect("an in-memory store opens"));
        let state = AppState::new(store.clone(), SiteConfig::local("http://example.com"));
        let woo = keys::issue(KeyKind::WooCommerce, KeyPermissions::ReadWrite, "test");
        let edd = keys::issue(KeyKind::Edd, KeyPermissions::ReadWrite, "test");
        let bearer = keys::issue(KeyKind::Bearer, KeyPermissions::ReadWrite, "test");
        for issued in [&woo, &edd, &bearer] {
            store.create_api_key(issued.stored.clone()).await.unwrap();
        }
        let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
        Self {
            store,
            state,
            woo: format!(
                "consumer_key={}&consumer_secret={}",
                text(&woo.shown, "consumer_key"),
                text(&woo.shown, "consumer_secret")
            ),
            edd: format!(
                "key={}&token={}",
                text(&edd.shown, "key"),
                text(&edd.shown, "token")
            ),
            bearer: text(&bearer.shown, "token"),
        }
    }

    /// A WooCommerce request over TLS with query-string keys.
    async fn woo(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let target = format!("{path}{separator}{}", self.woo);
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = Request::new(method, &target, payload);
        if !request.body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        request.tls = true;
        self.send(request).await
    }

    async fn edd(&self, path_and_query: &str) -> (u16, Value) {
        self.send(Request::get(&format!("{path_and_query}&{}", self.edd)))
            .await
    }

    async fn easycart(&self, path_and_query: &str) -> (u16, Value) {
        let request = Request::get(path_and_query)
            .header("authorization", &format!("Bearer {}", self.bearer));
        self.send(request).await
    }

    async fn send(&self, request: Request) -> (u16, Value) {
        use http_body_util::BodyExt;
        let response = customer_http::handle(&self.state, request).await;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }
}

fn billing(email: &str) -> Value {
    json!({
        "first_name": "Ada", "last_name": "Lovelace", "company": "Engines",
        "address_1": "12 St James's Sq", "address_2": "", "city": "London",
        "state": "", "postcode": "SW1Y 4JH", "country": "GB",
        "email": email, "phone": "+44 20 7946 0000"
    })
}

#[tokio::test]
async fn a_customer_made_through_wc_v3_reads_the_same_through_the_legacy_api_and_back() {
    let shop = Shop::new().await;
    let (status, made) = shop
        .woo(
            Method::POST,
            "/wp-json/wc/v3/customers",
            Some(json!({
                "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
                "username": "ada", "billing": billing("ada@example.com"),
            })),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();

    let (status, legacy) = shop
        .woo(Method::GET, &format!("/wc-api/v3/customers/{id}"), None)
        .await;
    assert_eq!(status, 200, "{legacy}");
    let legacy = &legacy["customer"];
    assert_eq!(legacy["id"], made["id"]);
    assert_eq!(legacy["email"], made["email"]);
    assert_eq!(legacy["username"], made["username"]);
    assert_eq!(legacy["first_name"], made["first_name"]);
    assert_eq!(legacy["last_name"], made["last_name"]);
    assert_eq!(legacy["avatar_url"], made["avatar_url"]);
    assert_eq!(
        legacy["created_at"],
        json!(format!("{}Z", made["date_created_gmt"].as_str().unwrap()))
    );
    for (field, value) in made["billing"].as_object().unwrap() {
        assert_eq!(&legacy["billing_address"][field], value, "billing.{field}");
    }

    // The reverse: a customer made through wc-api/v3 reads the same through wc/v3.
    let (status, made_legacy) = shop
        .woo(
            Method::POST,
            "/wc-api/v3/customers",
            Some(json!({"customer": {
                "email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper",
                "username": "grace", "billing_address": billing("grace@example.com"),
            }})),
        )
        .await;
    assert_eq!(status, 201, "{made_legacy}");
    let legacy_id = made_legacy["customer"]["id"].as_i64().unwrap();
    let (status, rest) = shop
        .woo(
            Method::GET,
            &format!("/wp-json/wc/v3/customers/{legacy_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["email"], "grace@example.com");
    assert_eq!(rest["username"], "grace");
    assert_eq!(rest["first_name"], "Grace");
    assert_eq!(rest["billing"]["city"], "London");
    assert_eq!(rest["billing"]["email"], "grace@example.com");
}

#[tokio::test]
async fn imported_orders_give_every_dialect_its_own_totals_from_one_ledger() {
    let shop = Shop::new().await;
    let (status, made) = shop
        .woo(
            Method::POST,
            "/wp-json/wc/v3/customers",
            Some(json!({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();

    // Five USD orders: completed 50, processing 20, refunded 10 (refunded in full),
    // completed 30 with 5 refunded, pending 7; and one PLN order that no USD figure sees.
    let order = |n: i64, status: &str, total: &str, refunds: Value, currency: &str, day: u8| {
        json!({"type": "order", "id": n, "customer_id": id, "status": status,
               "currency": currency, "total": total,
               "created_at": format!("2026-03-{day:02}T10:00:00+00:00"),
               "refunds": refunds})
    };
    let lines = [
        order(101, "completed", "50.00", json!([]), "USD", 1),
        order(102, "processing", "20.00", json!([]), "USD", 2),
        order(
            103,
            "refunded",
            "10.00",
            json!([{"amount": "10.00", "created_at": "2026-03-04T10:00:00+00:00", "reason": "returned"}]),
            "USD",
            3,
        ),
        order(
            104,
            "completed",
            "30.00",
            json!([{"amount": "5.00", "created_at": "2026-03-05T10:00:00+00:00", "reason": "damaged"}]),
            "USD",
            4,
        ),
        order(105, "pending", "7.00", json!([]), "USD", 5),
        order(106, "completed", "99.00", json!([]), "PLN", 6),
    ];
    let ndjson: String = lines.iter().map(|l| format!("{l}\n")).collect();
    clientele::import::import_bytes(shop.store.as_ref(), ndjson.as_bytes())
        .await
        .expect("the orders import");

    // The ledger, recomputed by hand in USD.
    let usd_orders = 5;
    let paid_usd = 50_00 + 20_00 + 30_00; // processing + completed
    let refunds_on_paid = 5_00;
    let completed_usd = 2;

    // WooCommerce wc/v2 and the legacy API agree with each other. WooCommerce sums the
    // totals of paid orders as plain numbers whatever their currency (its SQL does), so
    // the PLN order counts too.
    let (_, v2) = shop
        .woo(Method::GET, &format!("/wp-json/wc/v2/customers/{id}"), None)
        .await;
    let (_, legacy) = shop
        .woo(Method::GET, &format!("/wc-api/v3/customers/{id}"), None)
        .await;
    let legacy = &legacy["customer"];
    assert_eq!(v2["total_spent"], json!("199.00"));
    assert_eq!(v2["orders_count"], json!(6));
    assert_eq!(legacy["total_spent"], v2["total_spent"]);
    assert_eq!(legacy["orders_count"], v2["orders_count"]);
    assert_eq!(legacy["last_order_id"], json!(106));

    // easycart: completed orders in the currency, payments minus refunds in minor units.
    let uuid = {
        let customer = shop
            .store
            .customer(customer_model::CustomerId(id))
            .await
            .unwrap();
        customer.uuid
    };
    let (status, list) = shop
        .easycart("/api/v1/customers?currency=usd&query=ada@example.com")
        .await;
    assert_eq!(status, 200, "{list}");
    let item = &list["items"][0];
    assert_eq!(item["id"], json!(uuid.to_string()));
    assert_eq!(item["orders_count"], json!(completed_usd));
    assert_eq!(item["lifetime_value"], json!(paid_usd - refunds_on_paid));
    assert_eq!(item["first_seen"], "2026-03-01T10:00:00+00:00");
    assert_eq!(item["last_order"], "2026-03-05T10:00:00+00:00");

    // EDD: purchases are completed (and on-hold) sales; spent is net of all refunds.
    let (status, edd) = shop
        .edd(&format!("/edd-api/v2/customers/?customer={id}"))
        .await;
    assert_eq!(status, 200, "{edd}");
    let stats = &edd["customers"][0]["stats"];
    assert_eq!(stats["total_purchases"], json!(completed_usd));
    // completed 50 + 30, refunded 10, minus refunds 10 + 5.
    assert_eq!(stats["total_spent"], json!(75.0));
    assert!(usd_orders > completed_usd);
}
