//! The legacy API's error body, `{"errors": [{"code", "message"}]}`, and the catalogue of
//! its errors ([`CATALOGUE`]). [`LegacyError::from_fault`] renders a [`Fault`].

use serde_json::{Value, json};

use super::BULK_LIMIT;
use crate::catalogue::CatalogueEntry;
use crate::fault::Fault;
use crate::woo::{self, auth::AuthError};

/// 404: no route matches the path and method.
pub const NO_ROUTE: CatalogueEntry = CatalogueEntry::new(
    404,
    "woocommerce_api_no_route",
    "No route was found matching the URL and request method",
);
/// 400: a method outside HEAD, GET, POST, PUT, PATCH, DELETE.
pub const UNSUPPORTED_METHOD: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_api_unsupported_method",
    "Unsupported request method",
);
/// 404: the id is zero or not a number.
pub const INVALID_CUSTOMER_ID: CatalogueEntry = CatalogueEntry::new(
    404,
    "woocommerce_api_invalid_customer_id",
    "Invalid customer ID",
);
/// 404: no registered customer has the id.
pub const INVALID_CUSTOMER: CatalogueEntry =
    CatalogueEntry::new(404, "woocommerce_api_invalid_customer", "Invalid customer");
/// 404: the e-mail route's address is invalid or unknown.
pub const INVALID_CUSTOMER_EMAIL: CatalogueEntry = CatalogueEntry::new(
    404,
    "woocommerce_api_invalid_customer_email",
    "Invalid customer email",
);
/// 400: the body has no `customer` object.
pub const MISSING_CUSTOMER_DATA: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_api_missing_customer_data",
    "No customer data specified to {verb} customer",
);
/// 400: a create without `email`.
pub const MISSING_CUSTOMER_EMAIL: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_api_missing_customer_email",
    "Missing parameter email",
);
/// 400: a bulk request without `customers`.
pub const MISSING_CUSTOMERS_DATA: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_api_missing_customers_data",
    "No customers data specified to create/edit customers",
);
/// 413: a bulk request with more than [`BULK_LIMIT`] items.
pub const BULK_TOO_LARGE: CatalogueEntry = CatalogueEntry::new(
    413,
    "woocommerce_api_customers_request_entity_too_large",
    "Unable to accept more than {limit} items for this request.",
);
/// 500: a delete the store refused.
pub const CANNOT_DELETE: CatalogueEntry = CatalogueEntry::new(
    500,
    "woocommerce_api_cannot_delete_customer",
    "The customer cannot be deleted",
);
/// 400: a value the original would store but clientele cannot keep (an over-long name,
/// a list where text belongs). The code is clientele's own.
pub const INVALID_DATA: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_api_invalid_customer_data",
    "Invalid customer data: {field} {why}",
);
/// 400: a request the server cannot read (clientele's own code).
pub const BAD_REQUEST: CatalogueEntry =
    CatalogueEntry::new(400, "woocommerce_api_bad_request", "{reason}");
/// 413: a body over the server's limit (clientele's own code).
pub const BODY_TOO_LARGE: CatalogueEntry = CatalogueEntry::new(
    413,
    "woocommerce_api_request_entity_too_large",
    "The request body is larger than {limit} bytes",
);
/// 401: no valid key (the authentication errors carry their own messages).
pub const AUTHENTICATION: CatalogueEntry =
    CatalogueEntry::new(401, "woocommerce_api_authentication_error", "{message}");
/// 403: a key that may not do this.
pub const FORBIDDEN: CatalogueEntry = CatalogueEntry::new(
    403,
    "woocommerce_api_user_cannot_access",
    "You do not have permission to do this",
);
/// 503: the store cannot answer now (clientele's own code).
pub const UNAVAILABLE: CatalogueEntry = CatalogueEntry::new(
    503,
    "woocommerce_api_unavailable",
    "The customer database is unavailable. Try again shortly",
);
/// 503: the request ran out of time (clientele's own code).
pub const DEADLINE_EXCEEDED: CatalogueEntry = CatalogueEntry::new(
    503,
    "woocommerce_api_request_timeout",
    crate::fault::DEADLINE_MESSAGE,
);
/// 500: the store failed. The code is clientele's own; the message says no more.
pub const INTERNAL: CatalogueEntry = CatalogueEntry::new(
    500,
    "woocommerce_api_internal_error",
    "The request could not be completed",
);

/// Every error of the legacy API; the registration errors are WooCommerce's shared ones
/// ([`woo::REGISTRATION_ERRORS`]), shown without markup.
pub const CATALOGUE: [CatalogueEntry; 19] = [
    NO_ROUTE,
    UNSUPPORTED_METHOD,
    INVALID_CUSTOMER_ID,
    INVALID_CUSTOMER,
    INVALID_CUSTOMER_EMAIL,
    MISSING_CUSTOMER_DATA,
    MISSING_CUSTOMER_EMAIL,
    MISSING_CUSTOMERS_DATA,
    BULK_TOO_LARGE,
    CANNOT_DELETE,
    INVALID_DATA,
    BAD_REQUEST,
    BODY_TOO_LARGE,
    AUTHENTICATION,
    FORBIDDEN,
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    INTERNAL,
    woo::REGISTRATION_EMAIL_EXISTS,
];

/// One error of the legacy API with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyError {
    /// HTTP status.
    pub status: u16,
    /// The error code, e.g. `woocommerce_api_invalid_customer_id`.
    pub code: String,
    /// The message, as the original words it.
    pub message: String,
}

/// Whether a missing-data error is about creating or editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST /customers`.
    Create,
    /// `PUT|PATCH|POST /customers/<id>`.
    Edit,
}

impl LegacyError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The error of a catalogue entry with its placeholders filled in.
    pub fn of(entry: &CatalogueEntry, values: &[(&str, &str)]) -> Self {
        Self::new(entry.status, entry.code, entry.message_with(values))
    }

    /// One of WooCommerce's registration errors, without markup.
    fn registration(entry: &CatalogueEntry) -> Self {
        Self::new(entry.status, entry.code, woo::plain_message(entry))
    }

    /// A fault in this dialect's words.
    pub fn from_fault(fault: &Fault) -> Self {
        match fault {
            Fault::NotFound { .. } => Self::invalid_customer(),
            Fault::Conflict { field: "email" } => Self::email_exists(),
            Fault::Conflict { field: "username" } => Self::username_exists(),
            Fault::Conflict { field } => Self::invalid_data(field, "is taken"),
            Fault::Invalid(_) => {
                let (field, why) = fault.first_invalid().unwrap_or_default();
                Self::invalid_data(&field, &why)
            }
            Fault::Malformed { reason } => Self::of(&BAD_REQUEST, &[("reason", reason)]),
            Fault::TooLarge { limit } => {
                Self::of(&BODY_TOO_LARGE, &[("limit", &limit.to_string())])
            }
            Fault::Unauthorized => {
                Self::of(&AUTHENTICATION, &[("message", "Consumer key is invalid.")])
            }
            Fault::Forbidden => Self::of(&FORBIDDEN, &[]),
            Fault::Unavailable => Self::of(&UNAVAILABLE, &[]),
            Fault::DeadlineExceeded => Self::of(&DEADLINE_EXCEEDED, &[]),
            Fault::Internal => Self::internal(),
        }
    }

    /// 404: no route matches the path and method.
    pub fn no_route() -> Self {
        Self::of(&NO_ROUTE, &[])
    }

    /// 400: a method outside HEAD, GET, POST, PUT, PATCH, DELETE.
    pub fn unsupported_method() -> Self {
        Self::of(&UNSUPPORTED_METHOD, &[])
    }

    /// 404: the id is zero or not a number.
    pub fn invalid_customer_id() -> Self {
        Self::of(&INVALID_CUSTOMER_ID, &[])
    }

    /// 404: no registered customer has the id.
    pub fn invalid_customer() -> Self {
        Self::of(&INVALID_CUSTOMER, &[])
    }

    /// 404: the e-mail route's address is invalid or unknown.
    pub fn invalid_customer_email() -> Self {
        Self::of(&INVALID_CUSTOMER_EMAIL, &[])
    }

    /// 400: the body has no `customer` object.
    pub fn missing_customer_data(action: Action) -> Self {
        let verb = match action {
            Action::Create => "create",
            Action::Edit => "edit",
        };
        Self::of(&MISSING_CUSTOMER_DATA, &[("verb", verb)])
    }

    /// 400: a create without `email`.
    pub fn missing_customer_email() -> Self {
        Self::of(&MISSING_CUSTOMER_EMAIL, &[])
    }

    /// 400: a bulk request without `customers`.
    pub fn missing_customers_data() -> Self {
        Self::of(&MISSING_CUSTOMERS_DATA, &[])
    }

    /// 413: a bulk request with more than [`BULK_LIMIT`] items.
    pub fn bulk_too_large() -> Self {
        Self::of(&BULK_TOO_LARGE, &[("limit", &BULK_LIMIT.to_string())])
    }

    /// 500: the store refused a delete.
    pub fn cannot_delete() -> Self {
        Self::of(&CANNOT_DELETE, &[])
    }

    /// 400: a non-empty `email` that is not an address (`WC_Customer::set_email`).
    pub fn invalid_email() -> Self {
        Self::registration(&woo::CUSTOMER_INVALID_EMAIL)
    }

    /// 400: an empty `email` on create (`wc_create_new_customer`).
    pub fn registration_invalid_email() -> Self {
        Self::registration(&woo::REGISTRATION_INVALID_EMAIL)
    }

    /// 400: the address belongs to a registered customer already.
    pub fn email_exists() -> Self {
        Self::registration(&woo::REGISTRATION_EMAIL_EXISTS)
    }

    /// 400: the username is not a valid login name.
    pub fn invalid_username() -> Self {
        Self::registration(&woo::REGISTRATION_INVALID_USERNAME)
    }

    /// 400: the username is taken.
    pub fn username_exists() -> Self {
        Self::registration(&woo::REGISTRATION_USERNAME_EXISTS)
    }

    /// 400: `billing_address.email` is not an address.
    pub fn invalid_billing_email() -> Self {
        Self::registration(&woo::CUSTOMER_INVALID_BILLING_EMAIL)
    }

    /// 400: a value the original would store but clientele cannot keep.
    pub fn invalid_data(field: &str, why: &str) -> Self {
        Self::of(&INVALID_DATA, &[("field", field), ("why", why)])
    }

    /// 500: the store failed.
    pub fn internal() -> Self {
        Self::of(&INTERNAL, &[])
    }

    /// The same error with another status: the edit path reports its id errors as 400.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The `{"code", "message"}` object of this error.
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }

    /// The whole error body: `{"errors": [{"code", "message"}]}`.
    pub fn body(&self) -> Value {
        json!({ "errors": [self.to_json()] })
    }
}

impl From<Fault> for LegacyError {
    fn from(fault: Fault) -> Self {
        Self::from_fault(&fault)
    }
}

impl From<AuthError> for LegacyError {
    fn from(error: AuthError) -> Self {
        Self::new(error.status, error.code, error.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_errors_lose_their_markup() {
        assert_eq!(
            LegacyError::email_exists().message,
            "An account is already registered with your email address. Please log in."
        );
        assert_eq!(LegacyError::invalid_email().code, "customer_invalid_email");
    }

    #[test]
    fn faults_render_with_the_catalogue() {
        let error = LegacyError::from(Fault::Unavailable);
        assert_eq!((error.status, error.code.as_str()), (503, UNAVAILABLE.code));
        assert_eq!(
            LegacyError::from_fault(&Fault::NotFound { entity: "customer" }),
            LegacyError::invalid_customer()
        );
        assert_eq!(
            LegacyError::bulk_too_large().message,
            "Unable to accept more than 100 items for this request."
        );
        assert_eq!(
            LegacyError::from_fault(&Fault::TooLarge { limit: 5 }).body()["errors"][0]["message"],
            "The request body is larger than 5 bytes"
        );
    }
}
