//! [`Fault`]: what went wrong with a request, in model terms, whoever found it (the
//! store, the server loop, a deadline, an injected failure). Each dialect renders a fault
//! with its own error catalogue ([`crate::Dialect::fault_reply`]), so a client always
//! gets the error shape of the API it speaks.

use customer_model::FieldError;

/// What went wrong, independent of any dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The record named does not exist.
    NotFound {
        /// What was looked for: `customer`, `order`, `product`, `key`, …
        entity: &'static str,
    },
    /// A unique value is taken by another record.
    Conflict {
        /// The field whose value is taken: `email`, `username`, `id`, `uuid`.
        field: &'static str,
    },
    /// Fields failed validation or cannot be kept (every failure, not only the first).
    Invalid(Vec<FieldError>),
    /// The request cannot be read (a broken body, target or header).
    Malformed {
        /// What is wrong, in words a client can act on.
        reason: String,
    },
    /// The request body is larger than the server accepts.
    TooLarge {
        /// The largest body accepted, in bytes.
        limit: u64,
    },
    /// No credentials, or credentials that identify nobody.
    Unauthorized,
    /// The caller is known but may not do this.
    Forbidden,
    /// The store cannot answer now (busy or unreachable); the request may be retried.
    Unavailable,
    /// The request did not finish within its deadline.
    DeadlineExceeded,
    /// A failure on the server's side the client can do nothing about.
    Internal,
}

/// What a request past its deadline is told, in every dialect.
pub const DEADLINE_MESSAGE: &str =
    "The request took longer than the server allows. Try again shortly.";

impl Fault {
    /// The HTTP status every dialect uses for this fault unless its catalogue says
    /// otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } | Self::Invalid(_) | Self::Malformed { .. } => 400,
            Self::TooLarge { .. } => 413,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::Unavailable | Self::DeadlineExceeded => 503,
            Self::Internal => 500,
        }
    }

    /// Whether the same request may succeed later (the store was busy, time ran out).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable | Self::DeadlineExceeded)
    }

    /// The server's own code for the fault, for answers outside any dialect.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Invalid(_) => "invalid",
            Self::Malformed { .. } => "bad_request",
            Self::TooLarge { .. } => "request_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Unavailable => "unavailable",
            Self::DeadlineExceeded => "request_timeout",
            Self::Internal => "internal_error",
        }
    }

    /// The server's own message for the fault, for answers outside any dialect.
    pub fn message(&self) -> String {
        match self {
            Self::NotFound { entity } => format!("No such {entity}."),
            Self::Conflict { field } => format!("The {field} is taken."),
            Self::Invalid(errors) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            Self::Malformed { reason } => reason.clone(),
            Self::TooLarge { .. } => "The request body is too large.".to_owned(),
            Self::Unauthorized => "Credentials are missing or unknown.".to_owned(),
            Self::Forbidden => "These credentials may not do this.".to_owned(),
            Self::Unavailable => "The server is busy. Try again shortly.".to_owned(),
            Self::DeadlineExceeded => DEADLINE_MESSAGE.to_owned(),
            Self::Internal => "The request could not be completed.".to_owned(),
        }
    }

    /// The first invalid field as `path reason` (`created_at is out of range`), for
    /// catalogues that report one failure.
    pub fn first_invalid(&self) -> Option<(String, String)> {
        match self {
            Self::Invalid(errors) => errors
                .first()
                .map(|error| (error.path.clone(), error.kind.to_string())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use customer_model::FieldErrorKind;

    #[test]
    fn statuses_follow_http() {
        assert_eq!(Fault::NotFound { entity: "customer" }.status(), 404);
        assert_eq!(Fault::TooLarge { limit: 1 }.status(), 413);
        assert_eq!(Fault::DeadlineExceeded.status(), 503);
        assert!(Fault::DeadlineExceeded.is_retryable());
        assert_eq!(Fault::TooLarge { limit: 1 }.code(), "request_too_large");
        assert_eq!(Fault::DeadlineExceeded.message(), DEADLINE_MESSAGE);
        let invalid = Fault::Invalid(vec![FieldError::new(
            "created_at",
            FieldErrorKind::Invalid("is out of range".into()),
        )]);
        assert_eq!(invalid.status(), 400);
        assert_eq!(
            invalid.first_invalid(),
            Some(("created_at".into(), "is out of range".into()))
        );
    }
}
