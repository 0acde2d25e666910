//! The control API without a socket: off without an admin token (no route, no store
//! call), and a dropped-connection fault marking its response for the connection loop.

use customer_http::{ControlConfig, DropConnection, Request, handle};
use http::Method;

use crate::app::App;

#[tokio::test]
async fn without_an_admin_token_there_is_no_control_api() {
    let (app, store) = App::counting();
    for (method, path) in [
        (Method::POST, "/__admin/reset"),
        (Method::GET, "/__admin/requests"),
        (Method::GET, "/__admin/openapi.json"),
    ] {
        let answer = app
            .send(Request::new(method, path, "").header("Authorization", "Bearer anything"))
            .await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.code(), "not_found");
    }
    assert!(store.take().is_empty(), "the store was asked");
}

#[tokio::test]
async fn a_dropped_connection_is_marked_for_the_connection_loop() {
    let app = App::new();
    let state = app
        .state
        .with_control(ControlConfig {
            admin_token: "t".into(),
            journal_size: 2,
        })
        .await
        .unwrap();
    let admin = |method: Method, path: &str, body: &str| {
        Request::new(method, path, body.to_owned()).header("Authorization", "Bearer t")
    };
    let created = handle(
        &state,
        admin(
            Method::POST,
            "/__admin/faults",
            r#"{"match": {"path": "/healthz"}, "drop_connection": true, "times": 1}"#,
        ),
    )
    .await;
    assert_eq!(created.status(), 201);
    let dropped = handle(&state, Request::get("/healthz")).await;
    assert!(dropped.extensions().get::<DropConnection>().is_some());
    let answered = handle(&state, Request::get("/healthz")).await;
    assert!(answered.extensions().get::<DropConnection>().is_none());
    assert_eq!(answered.status(), 200);
    // The journal keeps the newest two of three requests.
    handle(&state, Request::get("/healthz")).await;
    let count = handle(&state, admin(Method::GET, "/__admin/requests/count", "")).await;
    let body = http_body_util::BodyExt::collect(count.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], br#"{"count":2}"#);
}

/// `/__admin/import?fire_webhooks=true` writes the registered customers' `created` events
/// with the import; without it, or with a value that does not read (refused, nothing
/// written), no event.
#[tokio::test]
async fn the_admin_import_fires_webhooks_when_asked() {
    use customer_model::webhook::{CustomerEvent, EventKind, NewWebhook, WebhookStatus};
    use customer_store::CustomerStore as _;

    let app = App::new();
    let state = app
        .state
        .with_control(ControlConfig {
            admin_token: "t".into(),
            journal_size: 8,
        })
        .await
        .unwrap();
    let hook = app
        .store
        .create_webhook(NewWebhook {
            name: "created".into(),
            status: WebhookStatus::Paused,
            event: CustomerEvent::Created,
            delivery_url: "http://127.0.0.1:9/".into(),
            secret: "s".into(),
            api_version: 3,
        })
        .await
        .unwrap();
    app.store
        .update_webhook(
            hook.id,
            customer_model::webhook::WebhookPatch {
                status: Some(WebhookStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let import = |query: &str, first: i64| {
        let body = format!(
            r#"{{"customers": [
                {{"id": {first}, "email": "r{first}@example.com", "username": "r{first}"}},
                {{"id": {}, "email": "g{first}@example.com"}}]}}"#,
            first + 1
        );
        Request::new(Method::POST, &format!("/__admin/import{query}"), body)
            .header("Authorization", "Bearer t")
    };
    let refused = handle(&state, import("?fire_webhooks=maybe", 10)).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(handle(&state, import("", 20)).await.status(), 200);
    assert_eq!(
        handle(&state, import("?fire_webhooks=true", 30))
            .await
            .status(),
        200
    );
    let far = customer_model::Timestamp::from_second(4_000_000_000).unwrap();
    let claimed = app
        .store
        .claim_webhook_events("test", far, far, 100)
        .await
        .unwrap();
    let events: Vec<(EventKind, i64)> = claimed
        .iter()
        .flat_map(|c| c.events.iter().map(|e| (e.kind, e.customer_id)))
        .collect();
    assert_eq!(
        events,
        [(EventKind::Customer(CustomerEvent::Created), 30)],
        "only the flagged import's registered customer"
    );
    app.store
        .customer(customer_model::CustomerId(10))
        .await
        .unwrap_err();
}
