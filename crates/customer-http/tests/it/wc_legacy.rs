//! `/wc-api/v3/customers…` through `customer_http::handle`: every
//! route, the argument plumbing (`_method`, `X-HTTP-Method-Override`, HEAD, `_jsonp`,
//! query arguments overriding captures) and every error with its status, code and
//! message, checking that a refused write leaves the store unchanged.

use customer_http::Request;
use customer_model::{
    Address, Currency, CustomerDraft, CustomerId, DownloadFile, NewDownloadGrant, NewLineItem,
    NewOrder, NewProduct, OrderId, OrderStatus, ProductId, Timestamp,
};
use customer_store::{CustomerStore, KeyPermissions};
use http::Method;
use serde_json::{Value, json};

use crate::app::{Answer, App, tls};

/// A request over TLS (so that query keys and Basic auth are accepted).
fn request(method: Method, target: &str, body: &str) -> Request {
    tls(Request::new(method, target, body.to_owned()))
}

struct Site {
    app: App,
    /// Query-string credentials of a read_write key.
    auth: String,
}

impl std::ops::Deref for Site {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl Site {
    async fn new() -> Self {
        let app = App::new();
        let (ck, cs) = app.woocommerce_key(KeyPermissions::ReadWrite).await;
        let auth = format!("consumer_key={ck}&consumer_secret={cs}");
        Self { app, auth }
    }

    fn target(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("/wc-api/v3{path}{separator}{}", self.auth)
    }

    async fn call(&self, method: Method, path: &str, body: &str) -> Answer {
        self.send(request(method, &self.target(path), body)).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, "").await
    }

    async fn customer_count(&self) -> usize {
        let query = customer_model::CustomerQuery::default();
        self.store.count_customers(&query).await.unwrap() as usize
    }

    /// A registered customer made through the store, as an import would.
    async fn registered(&self, email: &str, username: &str, created: &str) -> CustomerId {
        let draft = CustomerDraft {
            email: email.into(),
            first_name: "John".into(),
            last_name: "Doe".into(),
            username: Some(username.into()),
            billing: Address {
                first_name: "John".into(),
                city: "San Francisco".into(),
                email: email.into(),
                ..Address::default()
            },
            created_at: Some(created.parse().unwrap()),
            ..CustomerDraft::default()
        };
        let new = draft.validate().unwrap();
        self.store.create_customer(new).await.unwrap().id
    }

    async fn guest(&self, email: &str) -> CustomerId {
        let draft = CustomerDraft {
            email: email.into(),
            first_name: "Guest".into(),
            created_at: Some("2015-01-01T00:00:00Z".parse().unwrap()),
            ..CustomerDraft::default()
        };
        self.store
            .create_customer(draft.validate().unwrap())
            .await
            .unwrap()
            .id
    }

    async fn order(
        &self,
        customer: CustomerId,
        status: OrderStatus,
        total: i64,
        at: &str,
    ) -> OrderId {
        let new = NewOrder {
            id: None,
            uuid: None,
            customer_id: customer,
            status,
            currency: Currency::parse("USD").unwrap(),
            total,
            subtotal: total - 1000,
            total_tax: 0,
            shipping_total: 1000,
            discount_total: 0,
            payment_method: "bacs".into(),
            payment_method_title: "Direct Bank Transfer".into(),
            created_at: Some(at.parse().unwrap()),
            paid_at: status.is_paid().then(|| at.parse().unwrap()),
            completed_at: None,
            billing: Address::default(),
            shipping: Address::default(),
            line_items: vec![NewLineItem {
                product_id: None,
                name: "Premium Quality".into(),
                quantity: 2,
                total: total - 1000,
            }],
            refunds: Vec::new(),
        };
        self.store.create_order(new).await.unwrap().id
    }
}

fn error_of(answer: &Answer) -> (u16, String, String) {
    let body = answer.json();
    let errors = body["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 1, "{body}");
    (
        answer.status,
        errors[0]["code"].as_str().unwrap().to_owned(),
        errors[0]["message"].as_str().unwrap().to_owned(),
    )
}

fn create_body(email: &str, username: Option<&str>) -> String {
    let mut customer = json!({
        "email": email,
        "first_name": "John",
        "last_name": "Doe",
        "billing_address": {"first_name": "John", "city": "San Francisco", "email": email, "phone": "(555) 555-5555"},
        "shipping_address": {"first_name": "John", "city": "San Francisco"}
    });
    if let Some(username) = username {
        customer["username"] = json!(username);
    }
    json!({ "customer": customer }).to_string()
}

#[tokio::test]
async fn create_answers_201_with_the_customer() {
    let site = Site::new().await;
    let answer = site
        .call(
            Method::POST,
            "/customers",
            &create_body("john.doe@example.com", Some("john.doe")),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(
        answer.headers["content-type"],
        "application/json; charset=UTF-8"
    );
    let customer = &answer.json()["customer"];
    assert_eq!(customer["email"], "john.doe@example.com");
    assert_eq!(customer["username"], "john.doe");
    assert_eq!(customer["role"], "customer");
    assert_eq!(customer["orders_count"], 0);
    assert_eq!(customer["total_spent"], "0.00");
    assert_eq!(customer["last_order_id"], Value::Null);
    assert_eq!(customer["billing_address"]["phone"], "(555) 555-5555");
    assert_eq!(customer["shipping_address"].get("phone"), None);
    assert!(customer["id"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn create_generates_the_username_from_the_email() {
    let site = Site::new().await;
    let answer = site
        .call(
            Method::POST,
            "/customers",
            &create_body("jane.roe@example.com", None),
        )
        .await;
    assert_eq!(answer.json()["customer"]["username"], "jane.roe");
    // The same local part at another domain gets a `-NNNN` suffix instead of failing.
    let answer = site
        .call(
            Method::POST,
            "/customers",
            &create_body("jane.roe@example.org", None),
        )
        .await;
    assert_eq!(answer.status, 201);
    let username = answer.json()["customer"]["username"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        username.starts_with("jane.roe-") && username.len() == "jane.roe-0000".len(),
        "{username}"
    );
}

#[tokio::test]
async fn create_errors_write_nothing() {
    let site = Site::new().await;
    site.registered("taken@example.com", "taken", "2015-01-05T18:34:19Z")
        .await;
    let cases: Vec<(String, (u16, &str, &str))> = vec![
        (
            "{}".into(),
            (
                400,
                "woocommerce_api_missing_customer_data",
                "No customer data specified to create customer",
            ),
        ),
        (
            "not json".into(),
            (
                400,
                "woocommerce_api_missing_customer_data",
                "No customer data specified to create customer",
            ),
        ),
        (
            r#"{"customer":{"first_name":"X"}}"#.into(),
            (
                400,
                "woocommerce_api_missing_customer_email",
                "Missing parameter email",
            ),
        ),
        (
            r#"{"customer":{"email":"nope"}}"#.into(),
            (400, "customer_invalid_email", "Invalid email address"),
        ),
        (
            r#"{"customer":{"email":""}}"#.into(),
            (
                400,
                "registration-error-invalid-email",
                "Please provide a valid email address.",
            ),
        ),
        (
            create_body("TAKEN@example.com", Some("other")),
            (
                400,
                "registration-error-email-exists",
                "An account is already registered with your email address. Please log in.",
            ),
        ),
        (
            create_body("new@example.com", Some("Taken")),
            (
                400,
                "registration-error-username-exists",
                "An account is already registered with that username. Please choose another.",
            ),
        ),
        (
            create_body("new@example.com", Some("bad name!")),
            (
                400,
                "registration-error-invalid-username",
                "Please enter a valid account username.",
            ),
        ),
        (
            r#"{"customer":{"email":"new@example.com","billing_address":{"email":"bad"}}}"#.into(),
            (
                400,
                "customer_invalid_billing_email",
                "Invalid billing email address",
            ),
        ),
        (
            format!(
                r#"{{"customer":{{"email":"new@example.com","first_name":"{}"}}}}"#,
                "x".repeat(300)
            ),
            (
                400,
                "woocommerce_api_invalid_customer_data",
                "Invalid customer data: first_name may not be longer than 255 characters",
            ),
        ),
    ];
    for (body, (status, code, message)) in cases {
        let answer = site.call(Method::POST, "/customers", &body).await;
        let (got_status, got_code, got_message) = error_of(&answer);
        assert_eq!((got_status, got_code.as_str()), (status, code), "{body}");
        if code != "woocommerce_api_invalid_customer_data" {
            assert_eq!(got_message, message, "{body}");
        } else {
            assert!(
                got_message.starts_with("Invalid customer data: first_name"),
                "{got_message}"
            );
        }
    }
    assert_eq!(site.customer_count().await, 1);
}

#[tokio::test]
async fn a_guest_who_registers_keeps_their_id() {
    let site = Site::new().await;
    let guest = site.guest("guest@example.com").await;
    let answer = site
        .call(
            Method::POST,
            "/customers",
            &create_body("guest@example.com", Some("guest")),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.json()["customer"]["id"], guest.0);
    assert_eq!(answer.json()["customer"]["username"], "guest");
}

#[tokio::test]
async fn get_by_id_and_its_errors() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    let guest = site.guest("guest@example.com").await;
    let answer = site.get(&format!("/customers/{}", id.0)).await;
    assert_eq!(answer.status, 200);
    let customer = &answer.json()["customer"];
    assert_eq!(customer["created_at"], "2015-01-05T18:34:19Z");
    // The store stamps a new record as modified when it is created.
    assert_eq!(customer["last_update"], "2015-01-05T18:34:19Z");
    assert_eq!(
        customer["avatar_url"],
        "https://secure.gravatar.com/avatar/8eb1b522f60d11fa897de1dc6351b7e8?s=96&d=mm&r=g"
    );
    for (path, expected) in [
        (
            "/customers/0".to_owned(),
            (
                404,
                "woocommerce_api_invalid_customer_id",
                "Invalid customer ID",
            ),
        ),
        (
            "/customers/999".to_owned(),
            (404, "woocommerce_api_invalid_customer", "Invalid customer"),
        ),
        (
            format!("/customers/{}", guest.0),
            (404, "woocommerce_api_invalid_customer", "Invalid customer"),
        ),
        // A query `id` overrides the route's; `absint("abc")` is 0.
        (
            format!("/customers/{}?id=abc", id.0),
            (
                404,
                "woocommerce_api_invalid_customer_id",
                "Invalid customer ID",
            ),
        ),
    ] {
        let answer = site.get(&path).await;
        let (status, code, message) = error_of(&answer);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            expected,
            "{path}"
        );
    }
}

#[tokio::test]
async fn get_by_email() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    site.guest("guest@example.com").await;
    let answer = site.get("/customers/email/JOHN.DOE@example.com").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["customer"]["id"], id.0);
    for path in [
        "/customers/email/nobody@example.com",
        "/customers/email/guest@example.com",
        "/customers/email/not-an-email",
    ] {
        let (status, code, message) = error_of(&site.get(path).await);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (
                404,
                "woocommerce_api_invalid_customer_email",
                "Invalid customer email"
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn edit_changes_only_what_is_sent() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    let other = site
        .registered("other@example.com", "other", "2015-01-06T00:00:00Z")
        .await;
    let body = json!({"customer": {"first_name": "James", "billing_address": {"first_name": "James"}, "username": "ignored"}}).to_string();
    let answer = site
        .call(Method::PUT, &format!("/customers/{}", id.0), &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let customer = &answer.json()["customer"];
    assert_eq!(customer["first_name"], "James");
    assert_eq!(customer["last_name"], "Doe");
    assert_eq!(customer["billing_address"]["first_name"], "James");
    assert_eq!(customer["billing_address"]["city"], "San Francisco");
    assert_eq!(customer["username"], "john.doe");
    // An address another user has is ignored; the rest of the edit is saved.
    let body = json!({"customer": {"email": "other@example.com", "last_name": "Roe"}}).to_string();
    let answer = site
        .call(Method::PATCH, &format!("/customers/{}", id.0), &body)
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["customer"]["email"], "john.doe@example.com");
    assert_eq!(answer.json()["customer"]["last_name"], "Roe");
    assert_ne!(id, other);
}

#[tokio::test]
async fn edit_errors_are_400_and_write_nothing() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    let cases = [
        // Missing data is checked before the id.
        (
            "/customers/999".to_owned(),
            "{}",
            (
                400,
                "woocommerce_api_missing_customer_data",
                "No customer data specified to edit customer",
            ),
        ),
        (
            "/customers/0".to_owned(),
            r#"{"customer":{}}"#,
            (
                400,
                "woocommerce_api_invalid_customer_id",
                "Invalid customer ID",
            ),
        ),
        (
            "/customers/999".to_owned(),
            r#"{"customer":{}}"#,
            (400, "woocommerce_api_invalid_customer", "Invalid customer"),
        ),
        (
            format!("/customers/{}", id.0),
            r#"{"customer":{"first_name":"X","email":"bad"}}"#,
            (400, "customer_invalid_email", "Invalid email address"),
        ),
        (
            format!("/customers/{}", id.0),
            r#"{"customer":{"first_name":"X","billing_address":{"email":"bad"}}}"#,
            (
                400,
                "customer_invalid_billing_email",
                "Invalid billing email address",
            ),
        ),
    ];
    for (path, body, expected) in cases {
        let (status, code, message) = error_of(&site.call(Method::PUT, &path, body).await);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            expected,
            "{path} {body}"
        );
    }
    let answer = site.get(&format!("/customers/{}", id.0)).await;
    assert_eq!(answer.json()["customer"]["first_name"], "John");
}

#[tokio::test]
async fn delete_and_method_overrides() {
    let site = Site::new().await;
    let first = site
        .registered("a@example.com", "a", "2015-01-05T18:34:19Z")
        .await;
    let second = site
        .registered("b@example.com", "b", "2015-01-05T18:34:20Z")
        .await;
    let third = site
        .registered("c@example.com", "c", "2015-01-05T18:34:21Z")
        .await;
    let answer = site
        .call(Method::DELETE, &format!("/customers/{}", first.0), "")
        .await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"message": "Permanently deleted customer"}))
    );
    // `GET …?_method=DELETE` deletes, as in the original.
    let answer = site
        .get(&format!("/customers/{}?_method=delete", second.0))
        .await;
    assert_eq!(answer.status, 200);
    let request = request(
        Method::POST,
        &site.target(&format!("/customers/{}", third.0)),
        "",
    )
    .header("X-HTTP-Method-Override", "DELETE");
    assert_eq!(site.send(request).await.status, 200);
    assert_eq!(site.customer_count().await, 0);
    let (status, code, _) = error_of(
        &site
            .call(Method::DELETE, &format!("/customers/{}", first.0), "")
            .await,
    );
    assert_eq!(
        (status, code.as_str()),
        (404, "woocommerce_api_invalid_customer")
    );
}

#[tokio::test]
async fn list_filters_pages_and_links() {
    let site = Site::new().await;
    for i in 1..=5 {
        site.registered(
            &format!("c{i}@example.com"),
            &format!("c{i}"),
            &format!("2015-01-0{i}T00:00:00Z"),
        )
        .await;
    }
    site.guest("guest@example.com").await;
    let answer = site.get("/customers?filter[limit]=2&page=2").await;
    assert_eq!(answer.status, 200);
    let emails: Vec<String> = answer.json()["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails, ["c3@example.com", "c4@example.com"]);
    assert_eq!(answer.header_values("x-wc-total"), ["5"]);
    assert_eq!(answer.header_values("x-wc-totalpages"), ["3"]);
    let links = answer.header_values("link");
    assert_eq!(links.len(), 4, "{links:?}");
    assert!(
        links[0]
            .starts_with("<https://example.com/wc-api/v3/customers?filter[limit]=2&consumer_key="),
        "{}",
        links[0]
    );
    assert!(
        links[0].ends_with("&page=1>; rel=\"first\""),
        "{}",
        links[0]
    );
    assert!(links[1].ends_with("&page=1>; rel=\"prev\""));
    assert!(links[2].ends_with("&page=3>; rel=\"next\""));
    assert!(links[3].ends_with("&page=3>; rel=\"last\""));

    let answer = site
        .get("/customers?filter[order]=desc&filter[limit]=-1")
        .await;
    let first = &answer.json()["customers"][0];
    assert_eq!(first["email"], "c5@example.com");
    assert_eq!(answer.json()["customers"].as_array().unwrap().len(), 5);
    assert_eq!(answer.header_values("x-wc-totalpages"), ["1"]);

    let answer = site.get("/customers?filter[created_at_min]=2015-01-02&filter[created_at_max]=2015-01-03T00:00:00-05:00").await;
    assert_eq!(answer.header_values("x-wc-total"), ["2"]);
    let answer = site.get("/customers?filter[q]=c4@example.com").await;
    assert_eq!(answer.json()["customers"][0]["username"], "c4");
    assert_eq!(
        answer.header_values("link"),
        Vec::<String>::new(),
        "one row: no links"
    );
    let answer = site.get("/customers?filter[role]=subscriber").await;
    assert_eq!(answer.json(), json!({"customers": []}));
    assert_eq!(answer.header_values("x-wc-totalpages"), ["0"]);
    let answer = site.get("/customers?filter[role]=king").await;
    assert_eq!(answer.header_values("x-wc-total"), ["0"]);

    let answer = site
        .get("/customers?fields=id,email,billing_address.city&filter[limit]=1")
        .await;
    let object = &answer.json()["customers"][0];
    assert_eq!(
        object,
        &json!({"id": 1, "email": "c1@example.com", "billing_address": {"city": "San Francisco"}})
    );
}

#[tokio::test]
async fn count_applies_the_filters_but_not_the_page() {
    let site = Site::new().await;
    for i in 1..=3 {
        site.registered(
            &format!("c{i}@example.com"),
            &format!("c{i}"),
            "2015-01-01T00:00:00Z",
        )
        .await;
    }
    site.guest("guest@example.com").await;
    assert_eq!(
        site.get("/customers/count").await.json(),
        json!({"count": 3})
    );
    assert_eq!(
        site.get("/customers/count?filter[limit]=1").await.json(),
        json!({"count": 3})
    );
    assert_eq!(
        site.get("/customers/count?filter[q]=*c2*").await.json(),
        json!({"count": 1})
    );
    assert_eq!(
        site.get("/customers/count?filter[role]=administrator")
            .await
            .json(),
        json!({"count": 0})
    );
}

#[tokio::test]
async fn totals_come_from_paid_orders_and_orders_are_listed() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    site.order(id, OrderStatus::Completed, 103_458, "2015-01-10T10:00:00Z")
        .await;
    site.order(id, OrderStatus::Pending, 5_000, "2015-01-11T10:00:00Z")
        .await;
    let last = site
        .order(id, OrderStatus::OnHold, 3_000, "2015-01-14T16:47:30Z")
        .await;
    let customer = site.get(&format!("/customers/{}", id.0)).await.json()["customer"].clone();
    assert_eq!(customer["orders_count"], 3);
    assert_eq!(customer["total_spent"], "1034.58");
    assert_eq!(customer["last_order_id"], last.0);
    assert_eq!(customer["last_order_date"], "2015-01-14T16:47:30Z");

    let answer = site
        .get(&format!("/customers/{}/orders?filter[limit]=2", id.0))
        .await;
    assert_eq!(answer.status, 200);
    let orders = answer.json()["orders"].clone();
    assert_eq!(orders.as_array().unwrap().len(), 2);
    assert_eq!(orders[0]["id"], last.0);
    assert_eq!(orders[0]["status"], "on-hold");
    assert_eq!(orders[0]["total"], "30.00");
    assert_eq!(orders[0]["subtotal"], "20.00");
    assert_eq!(orders[0]["total_shipping"], "10.00");
    assert_eq!(orders[0]["line_items"][0]["price"], "10.00");
    assert_eq!(orders[0]["payment_details"]["paid"], false);
    assert_eq!(orders[0]["customer"]["id"], id.0);
    assert_eq!(
        orders[0]["view_order_url"],
        format!("http://example.com/my-account/view-order/{}", last.0)
    );
    assert_eq!(answer.header_values("x-wc-total"), ["3"]);
    assert_eq!(answer.header_values("x-wc-totalpages"), ["2"]);
    let (status, code, _) = error_of(&site.get("/customers/999/orders").await);
    assert_eq!(
        (status, code.as_str()),
        (404, "woocommerce_api_invalid_customer")
    );
}

#[tokio::test]
async fn downloads_list_usable_grants_only() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    let order = site
        .order(id, OrderStatus::Completed, 2_000, "2015-01-10T10:00:00Z")
        .await;
    let product = site
        .store
        .create_product(NewProduct {
            id: Some(ProductId(96)),
            uuid: None,
            name: "Woo Album #4".into(),
            files: vec![DownloadFile {
                id: "d1".into(),
                name: "Woo Album".into(),
                url: "http://example.com/album.zip".into(),
            }],
        })
        .await
        .unwrap();
    for (remaining, expires) in [
        (Some(5), None),
        (Some(0), None),
        (None, Some("2001-01-01T00:00:00Z")),
    ] {
        site.store
            .create_download_grant(NewDownloadGrant {
                download_id: "d1".into(),
                customer_id: id,
                order_id: order,
                product_id: product.id,
                downloads_remaining: remaining,
                access_expires: expires.map(|e: &str| e.parse::<Timestamp>().unwrap()),
                download_count: 0,
            })
            .await
            .unwrap();
    }
    let answer = site.get(&format!("/customers/{}/downloads", id.0)).await;
    assert_eq!(answer.status, 200);
    let downloads = answer.json()["downloads"].clone();
    assert_eq!(downloads.as_array().unwrap().len(), 1, "{downloads}");
    let row = &downloads[0];
    assert_eq!(row["downloads_remaining"], "5");
    assert_eq!(row["access_expires"], Value::Null);
    assert_eq!(row["product_id"], 96);
    assert_eq!(row["download_name"], "Woo Album #4 &ndash; Woo Album");
    let url = row["download_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://example.com/?download_file=96&order=wc_order_"),
        "{url}"
    );
    assert!(
        url.ends_with("&email=john.doe%40example.com&key=d1"),
        "{url}"
    );
}

#[tokio::test]
async fn bulk_creates_and_edits_in_order() {
    let site = Site::new().await;
    let id = site
        .registered("john.doe@example.com", "john.doe", "2015-01-05T18:34:19Z")
        .await;
    let body = json!({"customers": [
        {"email": "new1@example.com", "username": "new1"},
        {"id": id.0, "first_name": "James"},
        {"email": "john.doe@example.com"},
        {"id": 999, "first_name": "Nobody"}
    ]})
    .to_string();
    let answer = site.call(Method::POST, "/customers/bulk", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let items = answer.json()["customers"].clone();
    assert_eq!(items[0]["username"], "new1");
    assert_eq!(items[1]["first_name"], "James");
    assert_eq!(
        items[2],
        json!({"id": 0, "error": {"code": "registration-error-email-exists", "message": "An account is already registered with your email address. Please log in."}})
    );
    assert_eq!(
        items[3],
        json!({"id": 999, "error": {"code": "woocommerce_api_invalid_customer", "message": "Invalid customer"}})
    );
    // Edits only: 200.
    let body = json!({"customers": [{"id": id.0, "last_name": "Roe"}]}).to_string();
    assert_eq!(
        site.call(Method::PUT, "/customers/bulk", &body)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bulk_errors_write_nothing() {
    let site = Site::new().await;
    let (status, code, message) = error_of(&site.call(Method::POST, "/customers/bulk", "{}").await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "woocommerce_api_missing_customers_data",
            "No customers data specified to create/edit customers"
        )
    );
    let items: Vec<Value> = (0..101)
        .map(|i| json!({"email": format!("bulk{i}@example.com")}))
        .collect();
    let body = json!({ "customers": items }).to_string();
    let (status, code, message) =
        error_of(&site.call(Method::POST, "/customers/bulk", &body).await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            413,
            "woocommerce_api_customers_request_entity_too_large",
            "Unable to accept more than 100 items for this request."
        )
    );
    assert_eq!(site.customer_count().await, 0);
}

#[tokio::test]
async fn routing_errors() {
    let site = Site::new().await;
    for (method, path) in [
        (Method::PUT, "/customers"),
        (Method::GET, "/customers/bulk"),
        (Method::POST, "/customers/count"),
        (Method::GET, "/customers/abc"),
        (Method::GET, "/orders"),
        (Method::DELETE, "/customers/email/a@example.com"),
    ] {
        let (status, code, message) = error_of(&site.call(method.clone(), path, "").await);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (
                404,
                "woocommerce_api_no_route",
                "No route was found matching the URL and request method"
            ),
            "{method} {path}"
        );
    }
    let (status, code, message) = error_of(
        &site
            .call(Method::from_bytes(b"PROPFIND").unwrap(), "/customers", "")
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "woocommerce_api_unsupported_method",
            "Unsupported request method"
        )
    );
    // Trailing slashes and letter case do not matter.
    assert_eq!(
        site.get("/Customers/Count/").await.json(),
        json!({"count": 0})
    );
}

#[tokio::test]
async fn head_has_headers_but_no_body() {
    let site = Site::new().await;
    site.registered("a@example.com", "a", "2015-01-05T18:34:19Z")
        .await;
    let answer = site.call(Method::HEAD, "/customers", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text, "");
    assert_eq!(answer.header_values("x-wc-total"), ["1"]);
}

#[tokio::test]
async fn jsonp_wraps_and_refuses_bad_callbacks() {
    let site = Site::new().await;
    let answer = site.get("/customers/count?_jsonp=cb.x_1").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text, r#"/**/cb.x_1({"count":0})"#);
    assert_eq!(
        answer.headers["content-type"],
        "application/javascript; charset=UTF-8"
    );
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    let answer = site.get("/customers/0?_jsonp=cb").await;
    assert_eq!(answer.status, 404);
    assert!(
        answer.text.starts_with("/**/cb({\"errors\":"),
        "{}",
        answer.text
    );

    let body = create_body("jsonp@example.com", None);
    let answer = site
        .call(Method::POST, "/customers?_jsonp=alert(1)", &body)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!([{"code": "woocommerce_api_jsonp_callback_invalid", "0": "The JSONP callback function is invalid"}])
    );
    assert_eq!(
        site.customer_count().await,
        0,
        "a refused JSONP request writes nothing"
    );
}

/// Authentication runs before routing, with the legacy codes, messages and statuses.
#[tokio::test]
async fn authentication_comes_first() {
    let site = Site::new().await;
    let error = |answer: &Answer| error_of(answer);
    // Plain http without OAuth parameters: the first missing one is named, with 404.
    let answer = site
        .send(customer_http::Request::get("/wc-api/v3/no-such-route"))
        .await;
    assert_eq!(
        error(&answer),
        (
            404,
            "woocommerce_api_authentication_error".into(),
            "oauth_consumer_key parameter is missing".into()
        )
    );
    let wrong_secret = site
        .auth
        .split("&consumer_secret=")
        .next()
        .unwrap()
        .to_owned()
        + "&consumer_secret=cs_0000000000000000000000000000000000000000";
    let answer = site
        .send(request(
            Method::GET,
            &format!("/wc-api/v3/customers?{wrong_secret}"),
            "",
        ))
        .await;
    assert_eq!(
        error(&answer),
        (
            401,
            "woocommerce_api_authentication_error".into(),
            "Consumer secret is invalid.".into()
        )
    );
    // HTTPS without credentials: the Basic challenge.
    let answer = site
        .send(request(Method::GET, "/wc-api/v3/customers", ""))
        .await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=\"WooCommerce API."),
    );
    // A read key may not write, judged on the overridden method; nothing is written.
    let (read_ck, read_cs) = site.woocommerce_key(KeyPermissions::Read).await;
    let read_auth = format!("consumer_key={read_ck}&consumer_secret={read_cs}");
    let answer = site
        .send(request(
            Method::GET,
            &format!("/wc-api/v3/customers?_method=POST&{read_auth}"),
            &create_body("read@example.com", None),
        ))
        .await;
    assert_eq!(
        error(&answer),
        (
            401,
            "woocommerce_api_authentication_error".into(),
            "The API key provided does not have write permissions.".into()
        )
    );
    assert_eq!(site.customer_count().await, 0);
}

/// A customer written through the store (as wc/v3 or an import writes it) reads the
/// same through wc-api/v3, aggregates included.
#[tokio::test]
async fn store_written_customers_read_the_same() {
    let site = Site::new().await;
    let id = site
        .registered(
            "joao.silva@example.com",
            "joao.silva",
            "2015-01-10T14:25:39Z",
        )
        .await;
    site.order(id, OrderStatus::Processing, 42_900, "2015-01-10T14:26:30Z")
        .await;
    let by_id = site.get(&format!("/customers/{}", id.0)).await.json();
    let by_email = site
        .get("/customers/email/joao.silva@example.com")
        .await
        .json();
    let listed = site.get("/customers").await.json();
    assert_eq!(by_id, by_email);
    assert_eq!(by_id["customer"], listed["customers"][0]);
    assert_eq!(by_id["customer"]["total_spent"], "429.00");
    assert_eq!(by_id["customer"]["orders_count"], 1);
    assert_eq!(by_id["customer"]["last_order_date"], "2015-01-10T14:26:30Z");
}
