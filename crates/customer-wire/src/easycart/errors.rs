//! easycart's errors: an HTTP status and `{"message": …}`, in Laravel's words where the
//! seed is silent ([`CATALOGUE`]). [`ApiError::from_fault`] renders a [`Fault`].

use serde_json::{Map, Value};

use crate::catalogue::CatalogueEntry;
use crate::fault::Fault;
use crate::reply::{Body, Reply};

/// Every message easycart answers with, and its status.
pub const CATALOGUE: [CatalogueEntry; 11] = [
    CatalogueEntry::new(400, "", "{problems}"),
    CatalogueEntry::new(401, "", "Unauthenticated."),
    CatalogueEntry::new(403, "", "This action is unauthorized."),
    CatalogueEntry::new(404, "", "Customer not found."),
    CatalogueEntry::new(404, "", "The route {route} could not be found."),
    CatalogueEntry::new(
        405,
        "",
        "The {method} method is not supported for route {route}. Supported methods: {allowed}.",
    ),
    CatalogueEntry::new(413, "", "Content Too Large"),
    CatalogueEntry::new(500, "", "Server Error"),
    CatalogueEntry::new(503, "", "Service Unavailable"),
    CatalogueEntry::new(503, "", crate::fault::DEADLINE_MESSAGE),
    CatalogueEntry::new(404, "", "Not Found"),
];

/// An error answer: an HTTP status and the `{"message": …}` body the original sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// 401 for a missing, malformed, unknown or revoked bearer token.
    pub fn unauthenticated() -> Self {
        Self {
            status: 401,
            message: "Unauthenticated.".to_owned(),
        }
    }

    /// 404 for a customer id that names no customer.
    pub fn customer_not_found() -> Self {
        Self {
            status: 404,
            message: "Customer not found.".to_owned(),
        }
    }

    /// 404 for a path no route serves, in Laravel's words (`route` without leading `/`).
    pub fn route_not_found(path: &str) -> Self {
        Self {
            status: 404,
            message: format!(
                "The route {} could not be found.",
                path.trim_start_matches('/')
            ),
        }
    }

    /// 405 for a method the route does not serve, in Laravel's words.
    pub fn method_not_allowed(method: &str, path: &str, allowed: &str) -> Self {
        Self {
            status: 405,
            message: format!(
                "The {method} method is not supported for route {}. Supported methods: {allowed}.",
                path.trim_start_matches('/')
            ),
        }
    }

    /// 500 when the store fails; the cause is logged, not shown.
    pub fn server_error() -> Self {
        Self {
            status: 500,
            message: "Server Error".to_owned(),
        }
    }

    /// A fault in Laravel's words.
    pub fn from_fault(fault: &Fault) -> Self {
        let message = match fault {
            Fault::NotFound { .. } => "Not Found",
            Fault::Unauthorized => return Self::unauthenticated(),
            Fault::Forbidden => "This action is unauthorized.",
            Fault::TooLarge { .. } => "Content Too Large",
            Fault::Malformed { reason } => return Self::bad_request(reason.clone()),
            Fault::Unavailable => "Service Unavailable",
            Fault::DeadlineExceeded => crate::fault::DEADLINE_MESSAGE,
            Fault::Conflict { .. } | Fault::Invalid(_) | Fault::Internal => {
                return Self::server_error();
            }
        };
        Self {
            status: fault.status(),
            message: message.to_owned(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("message".into(), Value::from(self.message.as_str()));
        Value::Object(body)
    }

    /// The whole response: the body, with a `Bearer` challenge for a 401 and the
    /// methods the routes answer for a 405.
    pub fn reply(&self) -> Reply {
        let reply = Reply::new(self.status, super::CONTENT_TYPE, Body::Json(self.body()));
        match self.status {
            401 => reply.with_header("WWW-Authenticate", "Bearer"),
            405 => reply.with_header("Allow", super::decode::ALLOWED),
            _ => reply,
        }
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        Self::from_fault(&fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_render_in_laravels_words() {
        let unavailable = ApiError::from(Fault::Unavailable);
        assert_eq!(
            (unavailable.status, unavailable.message.as_str()),
            (503, "Service Unavailable")
        );
        assert_eq!(ApiError::from(Fault::Internal), ApiError::server_error());
        let unauthenticated = ApiError::from(Fault::Unauthorized).reply();
        assert_eq!(unauthenticated.header("WWW-Authenticate"), Some("Bearer"));
        assert_eq!(
            unauthenticated.body_bytes(),
            br#"{"message":"Unauthenticated."}"#
        );
    }
}
