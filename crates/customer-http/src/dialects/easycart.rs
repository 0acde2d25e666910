//! The `easycart` dialect's routes (not served yet: every request gets the dialect's
//! no-route answer).

use crate::{AppState, Request, Response};

/// Answers a request routed to this dialect.
pub(crate) async fn handle(_state: &AppState, _request: Request) -> Response {
    super::respond(
        http::StatusCode::NOT_FOUND,
        "application/json; charset=UTF-8",
        "{\"code\":\"rest_no_route\"}",
    )
}
