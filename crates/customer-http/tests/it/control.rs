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
