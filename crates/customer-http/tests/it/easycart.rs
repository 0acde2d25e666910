//! easycart API v1 through `customer_http::handle`, without a socket: the seed example,
//! authentication, routing, every 400, the filters, paging, the single read and the
//! store's currencies.

mod filters;
mod ltv;
mod support;

use customer_http::Request;
use customer_model::OrderStatus;
use customer_store::CustomerStore;
use http::Method;
use support::*;

#[tokio::test]
async fn seed_example_list() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let answer = world.get("/api/v1/customers?currency=pln&page=1").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    insta::assert_json_snapshot!(answer.body);
}

#[tokio::test]
async fn instants_use_the_site_time_zone() {
    let world = World::new("Europe/Warsaw").await;
    seed_store(&world).await;
    let answer = world.get("/api/v1/customers?currency=pln").await;
    let jane = &answer.body["items"][0];
    assert_eq!(jane["first_seen"], "2026-01-15T11:15:30+01:00");
    assert_eq!(jane["last_order"], "2026-05-20T16:02:00+02:00");
}

#[tokio::test]
async fn other_currencies_scope_membership_and_money() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let answer = world.get("/api/v1/customers?currency=usd").await;
    insta::assert_json_snapshot!(answer.body);
    let nobody = world.get("/api/v1/customers?currency=eur").await;
    assert_eq!(nobody.status, 200);
    assert_eq!(
        nobody.body,
        serde_json::json!({"items": [], "pagination": {"current_page": 1, "total_pages": 1}})
    );
}

#[tokio::test]
async fn authentication() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let path = "/api/v1/customers?currency=pln";
    let unknown = format!("Bearer {}x", world.token);
    let basic = format!("Basic {}", world.token);
    let lower = format!("bearer {}", world.token);
    let cases = [
        (None, 401),
        (Some("Bearer"), 401),
        (Some("Bearer "), 401),
        (Some(unknown.as_str()), 401),
        (Some(basic.as_str()), 401),
        (Some(lower.as_str()), 200),
    ];
    for (header, expected) in cases {
        let mut request = Request::get(path);
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let answer = world.send(request).await;
        assert_eq!(answer.status, expected, "{header:?}");
        if expected == 401 {
            assert_eq!(
                answer.body,
                serde_json::json!({"message": "Unauthenticated."})
            );
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
        }
    }
    // The token is checked before the parameters: no currency, still a 401.
    let answer = world.send(Request::get("/api/v1/customers")).await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let world = World::new("UTC").await;
    let path = "/api/v1/customers?currency=pln";
    assert_eq!(world.get(path).await.status, 200);
    let key = world.store.api_keys().await.unwrap().remove(0);
    world.store.revoke_api_key(key.id).await.unwrap();
    assert_eq!(world.get(path).await.status, 401);
}

#[tokio::test]
async fn routes_and_methods() {
    let world = World::new("UTC").await;
    let answer = world
        .send(Request::new(
            Method::POST,
            "/api/v1/customers?currency=pln",
            "",
        ))
        .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.headers["allow"], "GET, HEAD");
    insta::assert_json_snapshot!("post_list", answer.body);
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let answer = world
            .send(Request::new(
                method.clone(),
                &format!("/api/v1/customers/{JANE}"),
                "",
            ))
            .await;
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.headers["allow"], "GET, HEAD");
    }
    let answer = world.get("/api/v1/orders").await;
    assert_eq!(answer.status, 404);
    insta::assert_json_snapshot!("unknown_route", answer.body);
    let head = world
        .send(
            Request::new(Method::HEAD, "/api/v1/store", "")
                .header("authorization", &format!("Bearer {}", world.token)),
        )
        .await;
    assert_eq!(head.status, 200);
}

#[tokio::test]
async fn bad_requests_name_the_problem() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let before = world
        .store
        .count_customers(&Default::default())
        .await
        .unwrap();
    let queries = [
        "",
        "currency=",
        "currency=PLN",
        "currency=zzz",
        "currency=pln&page=0",
        "currency=pln&page=x",
        "currency=pln&created_from=2026-02-30",
        "currency=pln&created_to=yesterday",
        "currency=pln&created_from=2026-03-01&created_to=2026-02-01",
        "currency=pln&product=42",
        "currency=pln&subscription_status=cancelled",
    ];
    let mut lines = Vec::new();
    for query in queries {
        let answer = world.get(&format!("/api/v1/customers?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        let message = answer.body["message"]
            .as_str()
            .expect("a message")
            .to_owned();
        assert_eq!(answer.body.as_object().unwrap().len(), 1, "only a message");
        lines.push(format!("{query:<60} => {message}"));
    }
    insta::assert_snapshot!(lines.join("\n"));
    let after = world
        .store
        .count_customers(&Default::default())
        .await
        .unwrap();
    assert_eq!(before, after, "a rejected request writes nothing");
}

#[tokio::test]
async fn filters() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let ids = |items: Vec<serde_json::Value>| -> Vec<String> {
        items
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases: [(&str, &[&str]); 16] = [
        ("currency=pln", &[JANE, ANOTHER]),
        ("currency=pln&created_from=2026-03-02", &[JANE, ANOTHER]),
        ("currency=pln&created_from=2026-03-03", &[JANE]),
        ("currency=pln&created_to=2026-03-02", &[JANE, ANOTHER]),
        (
            "currency=pln&created_from=2026-03-03&created_to=2026-03-31",
            &[JANE],
        ),
        ("currency=pln&created_from=2026-05-21", &[]),
        // Jane's June order is in USD: the date range looks at PLN orders only.
        ("currency=pln&created_from=2026-06-01", &[]),
        ("currency=usd&created_from=2026-06-01", &[JANE]),
        (&format!("currency=pln&product={COURSE}"), &[JANE]),
        (&format!("currency=pln&product={EBOOK}"), &[JANE, ANOTHER]),
        (
            "currency=pln&product=550e8400-e29b-41d4-a716-4466554409ff",
            &[],
        ),
        ("currency=pln&subscription_status=active", &[JANE]),
        ("currency=pln&subscription_status=past_due", &[]),
        ("currency=usd&subscription_status=past_due", &[CAROL]),
        ("currency=pln&query=JANE.DOE%40work.example", &[JANE]),
        ("currency=usd&query=jane", &[JANE, CAROL]),
    ];
    for (query, expected) in cases {
        let got = ids(world.all_items(query).await);
        assert_eq!(got, *expected, "{query}");
    }
    let more: [(&str, &[&str]); 5] = [
        ("currency=usd&query=jane+doe", &[JANE]),
        ("currency=usd&query=doe+jane", &[JANE]),
        ("currency=pln&query=another%40example.com", &[ANOTHER]),
        // Not an e-mail address: a name search, which matches nobody.
        ("currency=pln&query=another%40example", &[]),
        (
            &format!(
                "currency=pln&created_to=2026-03-01&product={COURSE}&subscription_status=active&query=doe"
            ),
            &[JANE],
        ),
    ];
    for (query, expected) in more {
        let got = ids(world.all_items(query).await);
        assert_eq!(got, *expected, "{query}");
    }
}

#[tokio::test]
async fn day_bounds_follow_the_site_time_zone() {
    // Kiritimati is UTC+14: Jane's last PLN order, 2026-05-20T14:02Z, is on the 21st
    // there, and her first, 2026-01-15T10:15:30Z, on the 16th.
    let cases: [(&str, &str, &[&str]); 4] = [
        ("UTC", "created_from=2026-05-21", &[]),
        ("Pacific/Kiritimati", "created_from=2026-05-21", &[JANE]),
        ("UTC", "created_to=2026-01-15", &[JANE]),
        ("Pacific/Kiritimati", "created_to=2026-01-15", &[]),
    ];
    for (timezone, filter, expected) in cases {
        let world = World::new(timezone).await;
        seed_store(&world).await;
        let items = world.all_items(&format!("currency=pln&{filter}")).await;
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, expected, "{timezone} {filter}");
    }
}

#[tokio::test]
async fn pages_are_stable_and_past_the_end_is_empty() {
    let world = World::new("UTC").await;
    let placed = at("2026-01-01T00:00:00Z");
    // 45 customers, in pairs sharing a last-order instant so that ties need the id.
    for n in 0..45 {
        let customer = world
            .customer(person(
                None,
                &format!("c{n}@example.com"),
                "C",
                &n.to_string(),
            ))
            .await;
        let when = placed + jiff::SignedDuration::from_hours(n / 2);
        world
            .order(order(
                &customer,
                OrderStatus::Completed,
                "pln",
                100,
                when,
                &[],
                &[],
            ))
            .await;
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let answer = world
            .get(&format!("/api/v1/customers?currency=pln&page={page}"))
            .await;
        assert_eq!(answer.body["pagination"]["current_page"], page);
        assert_eq!(answer.body["pagination"]["total_pages"], 3);
        let items = answer.body["items"].as_array().unwrap();
        assert_eq!(items.len(), if page < 3 { 20 } else { 5 });
        seen.extend(items.iter().map(|item| {
            (
                item["last_order"].as_str().unwrap().to_owned(),
                item["email"].as_str().unwrap().to_owned(),
            )
        }));
    }
    // Newest last order first; within a tie the later-created (higher id) customer first.
    let mut expected = seen.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(seen, expected);
    assert_eq!(seen[0].1, "c44@example.com");
    assert_eq!(seen[1].1, "c43@example.com");
    assert_eq!(seen[2].1, "c42@example.com");
    let past = world.get("/api/v1/customers?currency=pln&page=4").await;
    assert_eq!(
        past.body,
        serde_json::json!({"items": [], "pagination": {"current_page": 4, "total_pages": 3}})
    );
}

#[tokio::test]
async fn get_customer_with_everything_included() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let answer = world
        .get(&format!(
            "/api/v1/customers/{JANE}?currency=pln&include=orders,subscriptions,access,ltv"
        ))
        .await;
    assert_eq!(answer.status, 200);
    insta::assert_json_snapshot!(answer.body);
}

#[tokio::test]
async fn get_customer_without_includes_matches_its_list_item() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let list = world.get("/api/v1/customers?currency=pln").await;
    for item in list.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let one = world
            .get(&format!("/api/v1/customers/{id}?currency=pln"))
            .await;
        assert_eq!(one.status, 200);
        assert_eq!(&one.body, item);
    }
    // Upper-case ids name the same customer.
    let upper = world
        .get(&format!(
            "/api/v1/customers/{}?currency=pln",
            JANE.to_uppercase()
        ))
        .await;
    assert_eq!(upper.body["id"], JANE);
}

#[tokio::test]
async fn get_customer_errors() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let unknown = world
        .get("/api/v1/customers/550e8400-e29b-41d4-a716-4466554409ff?currency=pln")
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body,
        serde_json::json!({"message": "Customer not found."})
    );
    let malformed = world.get("/api/v1/customers/42?currency=pln").await;
    assert_eq!(malformed.status, 404);
    let no_currency = world.get(&format!("/api/v1/customers/{JANE}")).await;
    assert_eq!(no_currency.status, 400);
    assert_eq!(
        no_currency.body,
        serde_json::json!({"message": "A valid currency query parameter is required"})
    );
    let bad_include = world
        .get(&format!(
            "/api/v1/customers/{JANE}?currency=pln&include=invoices"
        ))
        .await;
    assert_eq!(bad_include.status, 400);
    let anonymous = world
        .send(Request::get(&format!(
            "/api/v1/customers/{JANE}?currency=pln"
        )))
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn get_customer_in_a_currency_never_used() {
    let world = World::new("UTC").await;
    seed_store(&world).await;
    let answer = world
        .get(&format!("/api/v1/customers/{ANOTHER}?currency=usd"))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["first_seen"], serde_json::Value::Null);
    assert_eq!(answer.body["last_order"], serde_json::Value::Null);
    assert_eq!(answer.body["lifetime_value"], serde_json::Value::Null);
    assert_eq!(answer.body["orders_count"], 0);
}

#[tokio::test]
async fn store_lists_its_currencies() {
    let world = World::new("UTC").await;
    let empty = world.get("/api/v1/store").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["currencies"], serde_json::json!([]));
    seed_store(&world).await;
    let answer = world.get("/api/v1/store").await;
    insta::assert_json_snapshot!(answer.body);
}
