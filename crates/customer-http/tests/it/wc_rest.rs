//! wc/v2 and wc/v3 through `customer_http::handle`, with no socket: every operation,
//! every catalogue error the server can produce, and WordPress's precedence between them.
//! Callers authenticate for real, with issued keys sent as HTTPS query keys or Basic.

use base64::Engine as _;
use bytes::Bytes;
use customer_http::Request;
use customer_model::{
    Address, Currency, CustomerId, DownloadFile, Email, NewAccount, NewCustomer, NewDownloadGrant,
    NewOrder, NewProduct, OrderStatus, Role, Username,
};
use customer_store::KeyPermissions;
use http::Method;
use serde_json::{Value, json};

use crate::app::{Answer, App, json_request};

/// The server under test and its keys.
struct Site {
    app: App,
    ck: String,
    cs: String,
    read_ck: String,
    read_cs: String,
}

impl std::ops::Deref for Site {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

async fn site() -> Site {
    let app = App::new();
    let (ck, cs) = app.woocommerce_key(KeyPermissions::ReadWrite).await;
    let (read_ck, read_cs) = app.woocommerce_key(KeyPermissions::Read).await;
    Site {
        app,
        ck,
        cs,
        read_ck,
        read_cs,
    }
}

async fn send(site: &Site, request: Request) -> Answer {
    site.app.send(request).await
}

/// Over HTTPS with `consumer_key`/`consumer_secret` in the query (the read_write key).
fn with_key(site: &Site, mut request: Request) -> Request {
    let separator = if request.uri.query().is_some() {
        '&'
    } else {
        '?'
    };
    let target = format!(
        "{}{separator}consumer_key={}&consumer_secret={}",
        request.uri, site.ck, site.cs
    );
    request.uri = target.parse().unwrap();
    request.tls = true;
    request
}

/// Over HTTPS with HTTP Basic.
fn with_basic(ck: &str, cs: &str, mut request: Request) -> Request {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{ck}:{cs}"));
    request.tls = true;
    request.header("authorization", &format!("Basic {token}"))
}

async fn get(site: &Site, target: &str) -> Answer {
    send(site, with_key(site, Request::get(target))).await
}

async fn post(site: &Site, target: &str, body: Value) -> Answer {
    send(
        site,
        with_key(site, json_request(Method::POST, target, &body)),
    )
    .await
}

fn seed_john() -> Value {
    json!({
        "email": "john.doe@example.com",
        "first_name": "John",
        "last_name": "Doe",
        "username": "john.doe",
        "billing": {
            "first_name": "John", "last_name": "Doe", "company": "", "address_1": "969 Market",
            "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103",
            "country": "US", "email": "john.doe@example.com", "phone": "(555) 555-5555"
        },
        "shipping": {
            "first_name": "John", "last_name": "Doe", "company": "", "address_1": "969 Market",
            "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103",
            "country": "US"
        }
    })
}

/// Replaces the instants of a customer body (they are "now") with placeholders.
fn stable(mut body: Value) -> Value {
    fn fix(item: &mut Value) {
        for key in [
            "date_created",
            "date_created_gmt",
            "date_modified",
            "date_modified_gmt",
        ] {
            if let Some(value) = item.get_mut(key)
                && value.is_string()
            {
                *value = json!("[datetime]");
            }
        }
    }
    match &mut body {
        Value::Array(items) => items.iter_mut().for_each(fix),
        item => fix(item),
    }
    body
}

async fn count(site: &Site) -> u64 {
    site.state
        .store
        .count_customers(&customer_model::CustomerQuery::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn create_then_retrieve_v3() {
    let site = site().await;
    let created = post(&site, "/wp-json/wc/v3/customers", seed_john()).await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("https://example.com/wp-json/wc/v3/customers/{id}").as_str())
    );
    insta::assert_json_snapshot!("create_v3", stable(created.body.clone()));
    let read = get(&site, &format!("/wp-json/wc/v3/customers/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
    assert_eq!(read.header("allow"), Some("GET, POST, PUT, PATCH, DELETE"));
    assert!(read.body.get("password").is_none());
}

async fn order(site: &Site, customer: i64, status: OrderStatus, currency: &str, total: i64) {
    site.state
        .store
        .create_order(NewOrder {
            id: None,
            uuid: None,
            customer_id: CustomerId(customer),
            status,
            currency: Currency::parse(currency).unwrap(),
            total,
            subtotal: total,
            total_tax: 0,
            shipping_total: 0,
            discount_total: 0,
            payment_method: "bacs".into(),
            payment_method_title: "Direct bank transfer".into(),
            created_at: None,
            paid_at: None,
            completed_at: None,
            billing: Address::default(),
            shipping: Address::default(),
            line_items: Vec::new(),
            refunds: Vec::new(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn v2_counts_orders_and_paid_totals_from_aggregates() {
    let site = site().await;
    let id = post(&site, "/wp-json/wc/v2/customers", seed_john())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    order(&site, id, OrderStatus::Completed, "USD", 120050).await;
    order(&site, id, OrderStatus::Processing, "USD", 1999).await;
    order(&site, id, OrderStatus::Pending, "USD", 1000).await;
    order(&site, id, OrderStatus::Completed, "EUR", 5000).await;
    let read = get(&site, &format!("/wp-json/wc/v2/customers/{id}")).await;
    assert_eq!(read.body["orders_count"], 4);
    // The EUR order counts as a plain number, as in WooCommerce.
    assert_eq!(read.body["total_spent"], "1270.49");
    assert_eq!(read.body["is_paying_customer"], true);
    assert!(read.body.get("date_created_gmt").is_none());
    insta::assert_json_snapshot!("retrieve_v2", stable(read.body.clone()));
    let v3 = get(&site, &format!("/wp-json/wc/v3/customers/{id}")).await;
    assert!(v3.body.get("orders_count").is_none() && v3.body.get("total_spent").is_none());
}

#[tokio::test]
async fn list_pages_with_headers_and_links() {
    let site = site().await;
    for name in ["carol", "alice", "bob"] {
        let answer = post(
            &site,
            "/wp-json/wc/v3/customers",
            json!({"email": format!("{name}@example.com")}),
        )
        .await;
        assert_eq!(answer.status, 201);
    }
    let page = get(&site, "/wp-json/wc/v3/customers?per_page=2&page=1").await;
    assert_eq!(page.status, 200);
    let names: Vec<&str> = page
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(page.header("x-wp-total"), Some("3"));
    assert_eq!(page.header("x-wp-totalpages"), Some("2"));
    let link = page.header("link").unwrap();
    assert!(
        link.contains("page=2") && link.ends_with("rel=\"next\""),
        "{link}"
    );
    assert!(!link.contains("api.w.org"));
    let past = get(&site, "/wp-json/wc/v3/customers?per_page=2&page=5").await;
    assert_eq!(past.status, 200);
    assert_eq!(past.body, json!([]));
    assert_eq!(past.header("x-wp-total"), Some("3"));
    assert!(
        past.header("link")
            .unwrap()
            .contains("page=2>; rel=\"prev\"")
    );
    let desc = get(
        &site,
        "/wp-json/wc/v3/customers?orderby=id&order=desc&_fields=id,username",
    )
    .await;
    let ids: Vec<i64> = desc
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(desc.body[0].as_object().unwrap().len(), 2, "{}", desc.body);
    insta::assert_json_snapshot!("list_fields", desc.body.clone());
}

#[tokio::test]
async fn list_filters_search_email_role_and_q() {
    let site = site().await;
    for (email, first) in [("ann@shop.example", "Zed"), ("ben@other.example", "Ann")] {
        post(
            &site,
            "/wp-json/wc/v3/customers",
            json!({"email": email, "first_name": first}),
        )
        .await;
    }
    let store = &site.state.store;
    store
        .create_customer(NewCustomer {
            id: None,
            uuid: None,
            email: Email::parse("root@example.com").unwrap(),
            additional_emails: Vec::new(),
            first_name: "Ann".into(),
            last_name: String::new(),
            display_name: None,
            account: Some(NewAccount {
                username: Username::parse("root").unwrap(),
                role: Role::Administrator,
                password: None,
            }),
            billing: Address::default(),
            shipping: Address::default(),
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: None,
        })
        .await
        .unwrap();
    let usernames = |a: &Answer| -> Vec<String> {
        a.body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["username"].as_str().unwrap().to_owned())
            .collect()
    };
    // `search` looks at logins, e-mails and display names, not first names.
    assert_eq!(
        usernames(&get(&site, "/wp-json/wc/v3/customers?search=ann").await),
        ["ann"]
    );
    // The `q` extension also looks at names; the default role hides the administrator.
    assert_eq!(
        usernames(&get(&site, "/wp-json/wc/v3/customers?q=ann").await),
        ["ann", "ben"]
    );
    assert_eq!(
        usernames(&get(&site, "/wp-json/wc/v3/customers?q=ann&role=all").await),
        ["ann", "ben", "root"]
    );
    assert_eq!(
        usernames(&get(&site, "/wp-json/wc/v3/customers?role=administrator").await),
        ["root"]
    );
    assert_eq!(
        usernames(
            &get(
                &site,
                "/wp-json/wc/v3/customers?email=BEN@other.example&search=ann"
            )
            .await
        ),
        ["ben"]
    );
    let future = get(
        &site,
        "/wp-json/wc/v3/customers?created_after=2200-01-01T00:00:00",
    )
    .await;
    assert_eq!(future.body, json!([]));
}

#[tokio::test]
async fn update_follows_the_seed_and_woocommerce_rules() {
    let site = site().await;
    let id = post(&site, "/wp-json/wc/v3/customers", seed_john())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": "other@example.com"}),
    )
    .await;
    let target = format!("/wp-json/wc/v3/customers/{id}");
    let put = |body: Value| {
        let site = &site;
        let target = target.clone();
        async move {
            send(
                site,
                with_key(site, json_request(Method::PUT, &target, &body)),
            )
            .await
        }
    };
    let updated = put(json!({"first_name": "James", "billing": {"first_name": "James"}, "shipping": {"first_name": "James", "phone": "+1 555"}, "meta_data": [{"key": "tier", "value": 5}, {"key": "_secret", "value": "x"}]})).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["billing"]["last_name"], "Doe");
    assert_eq!(updated.body["shipping"]["phone"], "+1 555");
    insta::assert_json_snapshot!("update_v3", stable(updated.body.clone()));
    assert_eq!(
        put(json!({"username": "someone.else"})).await.code(),
        "woocommerce_rest_customer_invalid_argument"
    );
    assert_eq!(
        put(json!({"email": "other@example.com"})).await.code(),
        "woocommerce_rest_customer_invalid_email"
    );
    assert_eq!(
        put(json!({"email": "JOHN.DOE@example.com"})).await.code(),
        "woocommerce_rest_customer_invalid_email"
    );
    let bad = put(json!({"email": "not-an-email"})).await;
    assert_eq!((bad.status, bad.code()), (400, "rest_invalid_param"));
    // PATCH and POST update too; v2 cannot write shipping.phone.
    let patch = send(
        &site,
        with_key(
            &site,
            json_request(Method::PATCH, &target, &json!({"last_name": "Roe"})),
        ),
    )
    .await;
    assert_eq!(patch.body["last_name"], "Roe");
    let v2 = post(
        &site,
        &format!("/wp-json/wc/v2/customers/{id}"),
        json!({"shipping": {"phone": "000"}}),
    )
    .await;
    assert_eq!(v2.status, 200);
    assert!(v2.body["shipping"].get("phone").is_none());
    assert_eq!(
        get(&site, &target).await.body["shipping"]["phone"],
        "+1 555"
    );
    let missing = put_to(
        &site,
        "/wp-json/wc/v3/customers/9999",
        json!({"first_name": "x"}),
    )
    .await;
    assert_eq!(
        (missing.status, missing.body["message"].as_str()),
        (400, Some("Invalid resource ID."))
    );
}

async fn put_to(site: &Site, target: &str, body: Value) -> Answer {
    send(
        site,
        with_key(site, json_request(Method::PUT, target, &body)),
    )
    .await
}

async fn delete(site: &Site, target: &str) -> Answer {
    send(
        site,
        with_key(site, Request::new(Method::DELETE, target, Bytes::new())),
    )
    .await
}

#[tokio::test]
async fn delete_needs_force_and_returns_the_customer_as_it_was() {
    let site = site().await;
    let created = post(&site, "/wp-json/wc/v3/customers", seed_john()).await;
    let id = created.body["id"].as_i64().unwrap();
    let target = format!("/wp-json/wc/v3/customers/{id}");
    let trash = delete(&site, &target).await;
    assert_eq!(
        (trash.status, trash.code()),
        (501, "woocommerce_rest_trash_not_supported")
    );
    let also = delete(&site, "/wp-json/wc/v3/customers/9999?force=false").await;
    assert_eq!(also.status, 501);
    let reassign = delete(&site, &format!("{target}?force=true&reassign={id}")).await;
    assert_eq!(
        reassign.code(),
        "woocommerce_rest_customer_invalid_reassign"
    );
    let deleted = delete(&site, &format!("{target}?force=true")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, created.body);
    assert_eq!(get(&site, &target).await.status, 404);
    let gone = delete(&site, &format!("{target}?force=true")).await;
    assert_eq!(
        (gone.status, gone.body["message"].as_str()),
        (400, Some("Invalid resource id."))
    );
    let bad_force = delete(&site, &format!("{target}?force=maybe")).await;
    assert_eq!(
        bad_force.body["data"]["params"]["force"],
        "force is not of type boolean."
    );
}

async fn make_admin(site: &Site) -> i64 {
    site.state
        .store
        .create_customer(NewCustomer {
            id: None,
            uuid: None,
            email: Email::parse("admin@example.com").unwrap(),
            additional_emails: Vec::new(),
            first_name: String::new(),
            last_name: String::new(),
            display_name: None,
            account: Some(NewAccount {
                username: Username::parse("admin").unwrap(),
                role: Role::Administrator,
                password: None,
            }),
            billing: Address::default(),
            shipping: Address::default(),
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: None,
        })
        .await
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn other_roles_keep_email_password_and_existence() {
    let site = site().await;
    let admin = make_admin(&site).await;
    let target = format!("/wp-json/wc/v3/customers/{admin}");
    let email = put_to(&site, &target, json!({"email": "new@example.com"})).await;
    assert_eq!(email.status, 403);
    assert_eq!(
        email.body["message"],
        "Sorry, email cannot be updated via this endpoint for a user with role administrator."
    );
    let password = put_to(&site, &target, json!({"password": "x"})).await;
    assert_eq!(
        password.body["message"],
        "Sorry, password cannot be updated via this endpoint for a user with role administrator."
    );
    assert_eq!(
        put_to(&site, &target, json!({"first_name": "Ok"}))
            .await
            .status,
        200
    );
    // The role check comes before the force check.
    let removed = delete(&site, &target).await;
    assert_eq!(
        (removed.status, removed.code()),
        (403, "woocommerce_rest_cannot_delete")
    );
    // Batch applies no per-item permission checks.
    let batch = post(
        &site,
        "/wp-json/wc/v3/customers/batch",
        json!({"update": [{"id": admin, "email": "root2@example.com"}]}),
    )
    .await;
    assert_eq!(batch.body["update"][0]["email"], "root2@example.com");
}

#[tokio::test]
async fn create_errors_and_username_generation() {
    let site = site().await;
    let first = post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": "John.Doe@example.com"}),
    )
    .await;
    assert_eq!(first.body["username"], "john.doe");
    let second = post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": "john.doe@example.org"}),
    )
    .await;
    let generated = second.body["username"].as_str().unwrap();
    assert!(
        generated.len() == 13 && generated.starts_with("john.doe-"),
        "{generated}"
    );
    let info = post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": "info@acme.com", "role": "administrator"}),
    )
    .await;
    assert_eq!(
        (info.body["username"].as_str(), info.body["role"].as_str()),
        (Some("acme.com"), Some("customer"))
    );
    let before = count(&site).await;
    for (body, status, code) in [
        (
            json!({"email": "JOHN.DOE@EXAMPLE.COM"}),
            400,
            "registration-error-email-exists",
        ),
        (
            json!({"email": "fresh@example.com", "username": "JOHN.DOE"}),
            400,
            "registration-error-username-exists",
        ),
        (json!({"email": "abc"}), 400, "customer_invalid_email"),
        (
            json!({"email": ""}),
            400,
            "registration-error-invalid-email",
        ),
        (
            json!({"email": "x@example.com", "id": 9}),
            400,
            "woocommerce_rest_customer_exists",
        ),
        (
            json!({"first_name": "x"}),
            400,
            "rest_missing_callback_param",
        ),
        (json!({"email": 5}), 400, "rest_invalid_param"),
        (
            json!({"email": "fresh@example.com", "billing": {"email": "bad"}}),
            400,
            "rest_invalid_param",
        ),
        (
            json!({"email": "fresh@example.com", "username": "<<>>"}),
            400,
            "registration-error-invalid-username",
        ),
        (
            json!({"email": format!("{}@example.com", "a".repeat(89))}),
            400,
            "user_email_too_long",
        ),
        (
            json!({"email": "fresh@example.com", "first_name": "f".repeat(256)}),
            400,
            "rest_invalid_param",
        ),
        (
            json!({"email": "fresh@example.com", "shipping": {"city": "c".repeat(256)}}),
            400,
            "rest_invalid_param",
        ),
        (
            json!({"email": "fresh@example.com",
                   "meta_data": [{"key": "k", "value": "v".repeat(16 * 1024)}]}),
            400,
            "rest_invalid_param",
        ),
    ] {
        let answer = post(&site, "/wp-json/wc/v3/customers", body.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{}",
            answer.body
        );
    }
    assert_eq!(count(&site).await, before, "nothing is written on an error");
}

/// Values over the model's limits are refused on update and in batch items as on
/// create, naming the field the way WordPress's schema errors do, and change nothing.
#[tokio::test]
async fn values_over_the_limits_are_refused_naming_the_field() {
    let site = site().await;
    let john = post(&site, "/wp-json/wc/v3/customers", seed_john()).await;
    let target = format!("/wp-json/wc/v3/customers/{}", john.body["id"]);
    let long = post(
        &site,
        &target,
        json!({"first_name": "Jo", "billing": {"city": "c".repeat(256)}}),
    )
    .await;
    assert_eq!((long.status, long.code()), (400, "rest_invalid_param"));
    assert_eq!(
        long.body["data"]["params"]["billing"],
        "billing[city] must be at most 255 characters long."
    );
    let batch = post(
        &site,
        "/wp-json/wc/v3/customers/batch",
        json!({"update": [{"id": john.body["id"], "last_name": "l".repeat(256)}]}),
    )
    .await;
    assert_eq!(
        batch.body["update"][0]["error"]["data"]["params"]["last_name"],
        "last_name must be at most 255 characters long."
    );
    // Each entry fits, together they are more than a customer may keep.
    let chunk = "v".repeat(10_000);
    let meta: Vec<Value> = (0..7)
        .map(|i| json!({"key": format!("k{i}"), "value": chunk}))
        .collect();
    let total = post(&site, &target, json!({"meta_data": meta})).await;
    assert_eq!((total.status, total.code()), (400, "rest_invalid_param"));
    assert!(
        total.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("meta_data"),
        "{}",
        total.body
    );
    let after = get(&site, &target).await;
    assert_eq!(after.body["first_name"], "John");
    assert_eq!(after.body["last_name"], "Doe");
    assert_eq!(after.body["meta_data"], json!([]));
}

#[tokio::test]
async fn a_guest_is_not_a_customer_until_registered() {
    let site = site().await;
    let guest = site
        .state
        .store
        .create_customer(NewCustomer {
            id: None,
            uuid: None,
            email: Email::parse("guest@example.com").unwrap(),
            additional_emails: Vec::new(),
            first_name: "Gus".into(),
            last_name: String::new(),
            display_name: None,
            account: None,
            billing: Address::default(),
            shipping: Address::default(),
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: None,
        })
        .await
        .unwrap();
    let target = format!("/wp-json/wc/v3/customers/{}", guest.id.0);
    let missing = get(&site, &target).await;
    assert_eq!(
        (missing.status, missing.code()),
        (404, "woocommerce_rest_invalid_id")
    );
    assert_eq!(
        get(&site, "/wp-json/wc/v3/customers?role=all").await.body,
        json!([])
    );
    let registered = post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": "guest@example.com"}),
    )
    .await;
    assert_eq!(registered.status, 201);
    assert_eq!(registered.body["id"], guest.id.0);
    assert_eq!(registered.body["username"], "guest");
}

#[tokio::test]
async fn batch_follows_the_seed() {
    let site = site().await;
    let john = post(&site, "/wp-json/wc/v3/customers", seed_john())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let joao = post(&site, "/wp-json/wc/v3/customers", json!({"email": "joao.silva@example.com", "first_name": "João", "last_name": "Silva", "username": "joao.silva"})).await.body["id"].as_i64().unwrap();
    let mut second = seed_john();
    second["email"] = json!("john.doe2@example.com");
    second["username"] = json!("john.doe2");
    let answer = post(
        &site,
        "/wp-json/wc/v3/customers/batch",
        json!({
            "create": [second, {"email": "john.doe@example.com"}, {"first_name": "no email"}],
            "update": [{"id": joao, "billing": {"phone": "(11) 1111-1111"}}, {"id": 999, "first_name": "x"}, {"first_name": "no id"}],
            "delete": [john, 0, 998]
        }),
    )
    .await;
    assert_eq!(answer.status, 200);
    let body = &answer.body;
    assert_eq!(body["create"][0]["username"], "john.doe2");
    assert_eq!(
        body["create"][1],
        json!({"id": 0, "error": {"code": "registration-error-email-exists", "message": "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>", "data": {"status": 400}}})
    );
    assert_eq!(
        body["create"][2]["error"]["code"],
        "registration-error-invalid-email"
    );
    assert_eq!(body["update"][0]["billing"]["phone"], "(11) 1111-1111");
    assert_eq!(
        body["update"][1],
        json!({"id": 999, "error": {"code": "woocommerce_rest_invalid_id", "message": "Invalid resource ID.", "data": {"status": 400}}})
    );
    assert_eq!(body["update"][2]["id"], Value::Null);
    assert_eq!(body["delete"].as_array().unwrap().len(), 2, "0 is skipped");
    assert_eq!(body["delete"][0]["id"], john);
    assert_eq!(
        body["delete"][1],
        json!({"id": 998, "error": {"code": "woocommerce_rest_invalid_id", "message": "Invalid resource id.", "data": {"status": 400}}})
    );
    let empty = post(&site, "/wp-json/wc/v3/customers/batch", json!({})).await;
    assert_eq!(empty.body, json!([]));
    let ids: Vec<i64> = (1..=101).collect();
    let before = count(&site).await;
    let big = post(
        &site,
        "/wp-json/wc/v3/customers/batch",
        json!({"create": [{"email": "a@example.com"}], "delete": ids}),
    )
    .await;
    assert_eq!(
        (big.status, big.code()),
        (413, "woocommerce_rest_request_entity_too_large")
    );
    assert_eq!(count(&site).await, before);
    let stray = post(
        &site,
        "/wp-json/wc/v3/customers/batch",
        json!({"email": "bad", "delete": [joao]}),
    )
    .await;
    assert_eq!(stray.status, 400);
    assert_eq!(
        get(&site, &format!("/wp-json/wc/v3/customers/{joao}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn downloads_of_a_customer() {
    let site = site().await;
    let store = &site.state.store;
    let id = post(&site, "/wp-json/wc/v3/customers", seed_john())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let product = store
        .create_product(NewProduct {
            id: None,
            uuid: None,
            name: "Woo Album #2".into(),
            files: vec![DownloadFile {
                id: "91447fd1849316bbc89dfb7e986a6006".into(),
                name: "Song 2".into(),
                url: "http://example.com/song.mp3".into(),
            }],
        })
        .await
        .unwrap();
    order(&site, id, OrderStatus::Completed, "USD", 900).await;
    let orders = store
        .customer_orders(CustomerId(id), customer_model::PageRequest::default())
        .await
        .unwrap();
    let order_id = orders.items[0].id;
    for remaining in [Some(3), Some(0), None] {
        store
            .create_download_grant(NewDownloadGrant {
                download_id: "91447fd1849316bbc89dfb7e986a6006".into(),
                customer_id: CustomerId(id),
                order_id,
                product_id: product.id,
                downloads_remaining: remaining,
                access_expires: None,
                download_count: 0,
            })
            .await
            .unwrap();
    }
    let list = get(&site, &format!("/wp-json/wc/v3/customers/{id}/downloads")).await;
    assert_eq!(list.status, 200);
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 2, "used-up grants are not listed");
    assert_eq!(items[0]["downloads_remaining"], "3");
    assert_eq!(items[1]["downloads_remaining"], "unlimited");
    assert_eq!(items[0]["download_name"], "Woo Album #2 &ndash; Song 2");
    assert!(list.header("x-wp-total").is_none());
    let edit = get(
        &site,
        &format!("/wp-json/wc/v3/customers/{id}/downloads?context=edit"),
    )
    .await;
    assert_eq!(
        edit.body["data"]["params"]["context"],
        "context is not view."
    );
    // A missing customer is reported before the caller's permission.
    let missing = send(
        &site,
        Request::get("/wp-json/wc/v3/customers/424242/downloads"),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (404, "woocommerce_rest_customer_invalid")
    );
    let anonymous = send(
        &site,
        Request::get(&format!("/wp-json/wc/v3/customers/{id}/downloads")),
    )
    .await;
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "woocommerce_rest_cannot_view")
    );
}

#[tokio::test]
async fn pipeline_precedence() {
    let site = site().await;
    // Validation beats permission: anonymous callers get 400 for bad input.
    let bad = send(&site, Request::get("/wp-json/wc/v3/customers?per_page=500")).await;
    assert_eq!((bad.status, bad.code()), (400, "rest_invalid_param"));
    let missing = send(
        &site,
        json_request(Method::POST, "/wp-json/wc/v3/customers", &json!({})),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (400, "rest_missing_callback_param")
    );
    // Then permission: 401 for anonymous callers, with each operation's code.
    for (method, target, code) in [
        (
            Method::GET,
            "/wp-json/wc/v3/customers",
            "woocommerce_rest_cannot_view",
        ),
        (
            Method::GET,
            "/wp-json/wc/v3/customers/1",
            "woocommerce_rest_cannot_view",
        ),
        (
            Method::POST,
            "/wp-json/wc/v3/customers",
            "woocommerce_rest_cannot_create",
        ),
        (
            Method::PUT,
            "/wp-json/wc/v3/customers/1",
            "woocommerce_rest_cannot_edit",
        ),
        (
            Method::DELETE,
            "/wp-json/wc/v3/customers/1?force=true",
            "woocommerce_rest_cannot_delete",
        ),
        (
            Method::POST,
            "/wp-json/wc/v3/customers/batch",
            "woocommerce_rest_cannot_batch",
        ),
    ] {
        let answer = send(
            &site,
            json_request(method, target, &json!({"email": "a@example.com"})),
        )
        .await;
        assert_eq!((answer.status, answer.code()), (401, code), "{target}");
    }
    // Keys over plain http are ignored, not rejected; so is the `?rest_route=` form.
    let plain = send(
        &site,
        Request::get(&format!(
            "/wp-json/wc/v3/customers?consumer_key={}&consumer_secret={}",
            site.ck, site.cs
        )),
    )
    .await;
    assert_eq!(plain.status, 401);
    let plain_route = send(
        &site,
        with_key(&site, Request::get("/?rest_route=/wc/v3/customers")),
    )
    .await;
    assert_eq!(plain_route.code(), "woocommerce_rest_cannot_view");
    // Authentication and key scope beat routing.
    let wrong_secret = send(
        &site,
        with_basic(&site.ck, "cs_wrong", Request::get("/wp-json/wc/v3/nothing")),
    )
    .await;
    assert_eq!(
        (wrong_secret.status, wrong_secret.code()),
        (401, "woocommerce_rest_authentication_error")
    );
    let read_only = send(
        &site,
        with_basic(
            &site.read_ck,
            &site.read_cs,
            json_request(Method::POST, "/wp-json/wc/v3/nothing", &json!({})),
        ),
    )
    .await;
    assert_eq!(
        read_only.body["message"],
        "The API key provided does not have write permissions."
    );
    // Routing beats JSON parsing, which beats validation.
    let no_route = send(
        &site,
        with_key(
            &site,
            Request::new(Method::POST, "/wp-json/wc/v3/nothing", "{")
                .header("content-type", "application/json"),
        ),
    )
    .await;
    assert_eq!(no_route.code(), "rest_no_route");
    let bad_json = send(
        &site,
        with_key(
            &site,
            Request::new(Method::POST, "/wp-json/wc/v3/customers", "{")
                .header("content-type", "application/json"),
        ),
    )
    .await;
    assert_eq!(
        (bad_json.status, bad_json.code()),
        (400, "rest_invalid_json")
    );
    // Required arguments are reported before type errors.
    let both = post(
        &site,
        "/wp-json/wc/v3/customers",
        json!({"email": null, "first_name": 5}),
    )
    .await;
    assert_eq!(both.code(), "rest_missing_callback_param");
    for (method, target) in [
        (Method::DELETE, "/wp-json/wc/v3/customers"),
        (Method::GET, "/wp-json/wc/v3/customers/batch"),
        (Method::GET, "/wp-json/wc/v3/customers/abc"),
        (Method::GET, "/wp-json/wc/v1/customers"),
    ] {
        let answer = send(
            &site,
            with_key(&site, Request::new(method, target, Bytes::new())),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (404, "rest_no_route"),
            "{target}"
        );
        assert_eq!(
            answer.body["message"],
            "No route was found matching the URL and request method."
        );
    }
}

#[tokio::test]
async fn wordpress_request_features() {
    let site = site().await;
    let id = post(&site, "/wp-json/wc/v3/customers", seed_john())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    // Route matching ignores case and a trailing slash; ids may have leading zeros.
    let odd = get(&site, &format!("/wp-json/wc/V3/Customers/00{id}/")).await;
    assert_eq!(odd.body["id"], id);
    // HEAD: the GET's status and headers, no body.
    let head = send(
        &site,
        with_key(
            &site,
            Request::new(Method::HEAD, "/wp-json/wc/v3/customers", Bytes::new()),
        ),
    )
    .await;
    assert_eq!((head.status, head.raw.len()), (200, 0));
    assert_eq!(head.header("x-wp-total"), Some("1"));
    // Method override by `_method` and by header.
    let overridden = send(
        &site,
        with_key(
            &site,
            Request::new(
                Method::POST,
                &format!("/wp-json/wc/v3/customers/{id}?_method=DELETE"),
                Bytes::new(),
            ),
        ),
    )
    .await;
    assert_eq!(overridden.status, 501);
    let by_header = send(
        &site,
        with_key(
            &site,
            json_request(
                Method::POST,
                &format!("/wp-json/wc/v3/customers/{id}"),
                &json!({}),
            )
            .header("x-http-method-override", "delete"),
        ),
    )
    .await;
    assert_eq!(by_header.code(), "woocommerce_rest_trash_not_supported");
    // `_envelope` moves status and headers into the body.
    let envelope = get(&site, "/wp-json/wc/v3/customers/424242?_envelope").await;
    assert_eq!(envelope.status, 200);
    assert_eq!(envelope.body["status"], 404);
    assert_eq!(envelope.body["body"]["code"], "woocommerce_rest_invalid_id");
    // `_fields` trims a single item but keeps its links.
    let fields = get(
        &site,
        &format!("/wp-json/wc/v3/customers/{id}?_fields=id,billing.city"),
    )
    .await;
    assert_eq!(fields.body["billing"], json!({"city": "San Francisco"}));
    assert!(fields.body.get("_links").is_some() && fields.body.get("email").is_none());
    // OPTIONS needs no permission.
    let options = send(
        &site,
        Request::new(Method::OPTIONS, "/wp-json/wc/v3/customers", Bytes::new()),
    )
    .await;
    assert_eq!(
        (options.status, options.body["namespace"].as_str()),
        (200, Some("wc/v3"))
    );
    assert_eq!(options.header("allow"), Some("GET, POST"));
    // Form bodies and Basic auth work like JSON and query keys.
    let form = send(
        &site,
        with_basic(
            &site.ck,
            &site.cs,
            Request::new(
                Method::POST,
                "/wp-json/wc/v3/customers",
                "email=form%40example.com&billing%5Bcity%5D=Lisbon",
            )
            .header("content-type", "application/x-www-form-urlencoded"),
        ),
    )
    .await;
    assert_eq!(form.status, 201);
    assert_eq!(form.body["billing"]["city"], "Lisbon");
    // REST headers on every response; no-cache for authenticated callers.
    assert_eq!(
        form.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(form.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        form.header("cache-control"),
        Some("no-cache, must-revalidate, max-age=0, no-store, private")
    );
    assert_eq!(
        options.header("link"),
        Some("<http://example.com/wp-json/>; rel=\"https://api.w.org/\"")
    );
}

/// The list answers from one store call: `list_customers` returns each customer with its
/// aggregates, so no per-row query is made (v2's `orders_count`/`total_spent` included).
/// A GET of one customer is one call too: `customer_record`.
#[tokio::test]
async fn a_v2_list_and_a_get_one_are_one_store_call_each() {
    let (app, store) = App::counting();
    let (ck, cs) = app.woocommerce_key(KeyPermissions::ReadWrite).await;
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
        let answer = app
            .send(send(
                http::Method::POST,
                "/wp-json/wc/v2/customers".into(),
                body,
            ))
            .await;
        assert_eq!(answer.status, 201);
    }
    store.take();
    let answer = app
        .send(send(
            http::Method::GET,
            "/wp-json/wc/v2/customers".into(),
            String::new(),
        ))
        .await;
    assert_eq!(answer.status, 200);
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
    let first = answer.body[0]["id"].as_i64().expect("an id");
    let one = app
        .send(send(
            http::Method::GET,
            format!("/wp-json/wc/v2/customers/{first}"),
            String::new(),
        ))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["id"], first);
    let calls = store.take();
    assert_eq!(calls.get("customer_record"), Some(&1), "{calls:?}");
    for other in ["customer", "customer_stats"] {
        assert_eq!(calls.get(other), None, "{other}: {calls:?}");
    }
}
