//! WordPress REST error bodies, `{"code","message","data":{"status",…}}`, and every error
//! of the customers API with its status, code and message as WooCommerce sends them.

use customer_model::{FieldError, FieldErrorKind};
use serde_json::{Map, Value, json};

/// An error response: status, code, message and extra `data` members.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    /// HTTP status, also `data.status`.
    pub status: u16,
    /// The error code, e.g. `woocommerce_rest_invalid_id`.
    pub code: String,
    /// The message, as WooCommerce words it.
    pub message: String,
    /// Members of `data` besides `status` (`params`, `details`, `json_error_code`, …).
    pub data: Map<String, Value>,
}

/// One failed parameter of a `rest_invalid_param` error.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// The top-level parameter name (`per_page`, `billing`).
    pub param: String,
    /// The sub-code in `details`, e.g. `rest_out_of_bounds`.
    pub code: &'static str,
    /// The message, e.g. `per_page must be between 1 (inclusive) and 100 (inclusive)`.
    pub message: String,
    /// `details.<param>.data`: `{"param": …}` for type errors, else `null`.
    pub data: Value,
}

impl ParamError {
    /// `<name> is not of type <type>.` (`name` may be a bracket path such as `billing[city]`).
    pub fn not_of_type(param: &str, name: &str, type_name: &str) -> Self {
        Self {
            param: param.to_owned(),
            code: "rest_invalid_type",
            message: format!("{name} is not of type {type_name}."),
            data: json!({ "param": name }),
        }
    }

    /// `<name> is not one of a, b, and c.` (or `is not <only>.` for a one-value enum).
    pub fn not_in_enum(param: &str, allowed: &[&str]) -> Self {
        let message = match allowed {
            [only] => format!("{param} is not {only}."),
            _ => format!("{param} is not one of {}.", wp_list(allowed)),
        };
        Self {
            param: param.to_owned(),
            code: "rest_not_in_enum",
            message,
            data: Value::Null,
        }
    }

    /// A bounds failure with WordPress's wording.
    pub fn out_of_bounds(param: &str, message: String) -> Self {
        Self {
            param: param.to_owned(),
            code: "rest_out_of_bounds",
            message,
            data: Value::Null,
        }
    }

    /// `Invalid email address.` reported under `param`.
    pub fn invalid_email(param: &str) -> Self {
        Self {
            param: param.to_owned(),
            code: "rest_invalid_email",
            message: "Invalid email address.".to_owned(),
            data: Value::Null,
        }
    }

    /// A model validation failure under its top-level parameter, with the field's
    /// bracket path (`meta_data.0.value` → `meta_data[0][value]`) and WordPress's
    /// wording for lengths and item counts.
    pub fn from_field(error: &FieldError) -> Self {
        let mut parts = error.path.split('.');
        let param = parts.next().unwrap_or_default().to_owned();
        let name = parts.fold(param.clone(), |name, part| format!("{name}[{part}]"));
        let (code, message) = match &error.kind {
            FieldErrorKind::TooLong { max } => (
                "rest_too_long",
                format!("{name} must be at most {max} characters long."),
            ),
            FieldErrorKind::TooLarge { max_bytes } => (
                "rest_too_long",
                format!("{name} must be at most {max_bytes} bytes long."),
            ),
            FieldErrorKind::TooMany { max } => (
                "rest_too_many_items",
                format!("{name} must contain at most {max} items."),
            ),
            other => ("rest_invalid_param", format!("{name} {other}.")),
        };
        Self {
            param,
            code,
            message,
            data: Value::Null,
        }
    }

    /// `Invalid date.` reported under `param`.
    pub fn invalid_date(param: &str) -> Self {
        Self {
            param: param.to_owned(),
            code: "rest_invalid_date",
            message: "Invalid date.".to_owned(),
            data: Value::Null,
        }
    }
}

/// WordPress's `%l` list: `a and b`, `a, b, and c`.
pub fn wp_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// What the caller tried, for permission errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Listing customers or downloads.
    List,
    /// Reading one customer.
    View,
    /// Creating.
    Create,
    /// Updating.
    Edit,
    /// Deleting.
    Delete,
    /// Batch.
    Batch,
}

impl RestError {
    /// An error with no extra data.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            data: Map::new(),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Value {
        let mut data = Map::new();
        data.insert("status".into(), json!(self.status));
        data.extend(self.data.clone());
        json!({ "code": self.code, "message": self.message, "data": data })
    }

    /// `404 rest_no_route`.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        )
    }

    /// `400 rest_invalid_json` for a body that does not parse.
    pub fn invalid_json() -> Self {
        let mut error = Self::new(400, "rest_invalid_json", "Invalid JSON body passed.");
        error.data.insert("json_error_code".into(), json!(4));
        error
            .data
            .insert("json_error_message".into(), json!("Syntax error"));
        error
    }

    /// `400 rest_missing_callback_param` naming every missing parameter.
    pub fn missing_params(names: &[&str]) -> Self {
        let mut error = Self::new(
            400,
            "rest_missing_callback_param",
            format!("Missing parameter(s): {}", names.join(", ")),
        );
        error.data.insert("params".into(), json!(names));
        error
    }

    /// `400 rest_invalid_param` with `params` and `details` for every failure (one per
    /// parameter, the first found).
    pub fn invalid_params(errors: Vec<ParamError>) -> Self {
        let mut params = Map::new();
        let mut details = Map::new();
        let mut names: Vec<String> = Vec::new();
        for error in errors {
            if params.contains_key(&error.param) {
                continue;
            }
            names.push(error.param.clone());
            params.insert(error.param.clone(), json!(error.message));
            details.insert(
                error.param.clone(),
                json!({ "code": error.code, "message": error.message, "data": error.data }),
            );
        }
        let mut error = Self::new(
            400,
            "rest_invalid_param",
            format!("Invalid parameter(s): {}", names.join(", ")),
        );
        error.data.insert("params".into(), Value::Object(params));
        error.data.insert("details".into(), Value::Object(details));
        error
    }

    /// The permission error for an `action`: 401 for anonymous callers, 403 otherwise.
    pub fn forbidden(action: Action, authenticated: bool) -> Self {
        let status = if authenticated { 403 } else { 401 };
        let (code, message) = match action {
            Action::List => (
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot list resources.",
            ),
            Action::View => (
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot view this resource.",
            ),
            Action::Create => (
                "woocommerce_rest_cannot_create",
                "Sorry, you are not allowed to create resources.",
            ),
            Action::Edit => (
                "woocommerce_rest_cannot_edit",
                "Sorry, you are not allowed to edit this resource.",
            ),
            Action::Delete => (
                "woocommerce_rest_cannot_delete",
                "Sorry, you are not allowed to delete this resource.",
            ),
            Action::Batch => (
                "woocommerce_rest_cannot_batch",
                "Sorry, you are not allowed to batch manipulate this resource.",
            ),
        };
        Self::new(status, code, message)
    }

    /// `404 woocommerce_rest_invalid_id` (retrieve of a missing id or a guest).
    pub fn invalid_id_get() -> Self {
        Self::new(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
    }

    /// `400 woocommerce_rest_invalid_id` (update of a missing id).
    pub fn invalid_id_update() -> Self {
        Self::new(400, "woocommerce_rest_invalid_id", "Invalid resource ID.")
    }

    /// `400 woocommerce_rest_invalid_id` with WooCommerce's lower-case "id" (delete).
    pub fn invalid_id_delete() -> Self {
        Self::new(400, "woocommerce_rest_invalid_id", "Invalid resource id.")
    }

    /// `501 woocommerce_rest_trash_not_supported`: delete without `force=true`.
    pub fn trash_not_supported() -> Self {
        Self::new(
            501,
            "woocommerce_rest_trash_not_supported",
            "Customers do not support trashing.",
        )
    }

    /// `400 woocommerce_rest_customer_invalid_reassign`.
    pub fn invalid_reassign() -> Self {
        Self::new(
            400,
            "woocommerce_rest_customer_invalid_reassign",
            "Invalid resource id for reassignment.",
        )
    }

    /// `400 woocommerce_rest_customer_exists`: create with an `id`.
    pub fn customer_exists() -> Self {
        Self::new(
            400,
            "woocommerce_rest_customer_exists",
            "Cannot create existing resource.",
        )
    }

    /// `400 customer_invalid_email`: create with a malformed e-mail (WooCommerce's check,
    /// no period).
    pub fn customer_invalid_email() -> Self {
        Self::new(400, "customer_invalid_email", "Invalid email address")
    }

    /// `400 customer_invalid_billing_email` (batch items skip WordPress's validation).
    pub fn customer_invalid_billing_email() -> Self {
        Self::new(
            400,
            "customer_invalid_billing_email",
            "Invalid billing email address",
        )
    }

    /// `400 registration-error-invalid-email`: create with an empty e-mail.
    pub fn registration_invalid_email() -> Self {
        Self::new(
            400,
            "registration-error-invalid-email",
            "Please provide a valid email address.",
        )
    }

    /// `400 registration-error-email-exists` (WooCommerce's message includes markup).
    pub fn email_exists() -> Self {
        Self::new(
            400,
            "registration-error-email-exists",
            "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>",
        )
    }

    /// `400 registration-error-username-exists`.
    pub fn username_exists() -> Self {
        Self::new(
            400,
            "registration-error-username-exists",
            "An account is already registered with that username. Please choose another.",
        )
    }

    /// `400 registration-error-invalid-username`.
    pub fn invalid_username() -> Self {
        Self::new(
            400,
            "registration-error-invalid-username",
            "Please enter a valid account username.",
        )
    }

    /// `400 user_login_too_long`.
    pub fn username_too_long() -> Self {
        Self::new(
            400,
            "user_login_too_long",
            "Username may not be longer than 60 characters.",
        )
    }

    /// `400 woocommerce_rest_cannot_create`: the customer could not be stored.
    pub fn cannot_create() -> Self {
        Self::new(
            400,
            "woocommerce_rest_cannot_create",
            "This resource cannot be created.",
        )
    }

    /// `500 woocommerce_rest_cannot_delete`: the delete failed in the store.
    pub fn cannot_delete() -> Self {
        Self::new(
            500,
            "woocommerce_rest_cannot_delete",
            "The resource cannot be deleted.",
        )
    }

    /// `400 woocommerce_rest_customer_invalid_email`: update to another user's e-mail.
    pub fn email_taken_on_update() -> Self {
        Self::new(
            400,
            "woocommerce_rest_customer_invalid_email",
            "Email address is invalid.",
        )
    }

    /// `400 woocommerce_rest_customer_invalid_argument`: a username change.
    pub fn username_not_editable() -> Self {
        Self::new(
            400,
            "woocommerce_rest_customer_invalid_argument",
            "Username isn't editable.",
        )
    }

    /// `woocommerce_rest_cannot_edit` for an e-mail or password change of a user whose role
    /// is not customer or subscriber.
    pub fn protected_prop(prop: &str, role: &str, authenticated: bool) -> Self {
        Self::new(
            if authenticated { 403 } else { 401 },
            "woocommerce_rest_cannot_edit",
            format!(
                "Sorry, {prop} cannot be updated via this endpoint for a user with role {role}."
            ),
        )
    }

    /// `woocommerce_rest_cannot_delete` for a user whose role is not customer or subscriber.
    pub fn protected_role_delete(role: &str, authenticated: bool) -> Self {
        Self::new(
            if authenticated { 403 } else { 401 },
            "woocommerce_rest_cannot_delete",
            format!(
                "Sorry, users with {role} role cannot be deleted via this endpoint. Allowed roles: customer, subscriber"
            ),
        )
    }

    /// `413 woocommerce_rest_request_entity_too_large`.
    pub fn batch_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "woocommerce_rest_request_entity_too_large",
            format!("Unable to accept more than {limit} items for this request."),
        )
    }

    /// `404 woocommerce_rest_customer_invalid`: downloads of a missing customer.
    pub fn downloads_customer_missing() -> Self {
        Self::new(
            404,
            "woocommerce_rest_customer_invalid",
            "Resource does not exist.",
        )
    }

    /// `400 rest_invalid_param` for a value the store cannot keep (a date before 1677 or
    /// after 2262), naming the field and the reason.
    pub fn unrepresentable(field: &str, reason: &str) -> Self {
        Self::new(
            400,
            "rest_invalid_param",
            format!("Invalid parameter(s): {field} {reason}"),
        )
    }

    /// The error of values over the model's limits (`customer_model::limits`): WordPress's
    /// own errors where `wp_insert_user` has one (`user_email_too_long`,
    /// `display_name_too_long`), otherwise `400 rest_invalid_param` naming each field
    /// as if its schema had a `maxLength` (`billing[city] must be at most 255 characters
    /// long.`).
    pub fn over_limits(errors: &[FieldError]) -> Self {
        for error in errors {
            match (error.path.as_str(), &error.kind) {
                ("email", FieldErrorKind::TooLong { max }) => {
                    return Self::new(
                        400,
                        "user_email_too_long",
                        format!("Email address may not be longer than {max} characters."),
                    );
                }
                ("display_name", FieldErrorKind::TooLong { max }) => {
                    return Self::new(
                        400,
                        "display_name_too_long",
                        format!("Display name may not be longer than {max} characters."),
                    );
                }
                _ => {}
            }
        }
        Self::invalid_params(errors.iter().map(ParamError::from_field).collect())
    }

    /// `500 woocommerce_rest_internal_error` when the store fails (not a WooCommerce code:
    /// WordPress would answer a database failure with a generic error page).
    pub fn internal(message: &str) -> Self {
        Self::new(500, "woocommerce_rest_internal_error", message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_like_wordpress() {
        assert_eq!(wp_list(&["asc", "desc"]), "asc and desc");
        assert_eq!(
            wp_list(&["id", "include", "name", "registered_date"]),
            "id, include, name, and registered_date"
        );
    }

    #[test]
    fn limits_read_like_wordpress_schema_errors() {
        let error = RestError::over_limits(&[
            FieldError::new("billing.city", FieldErrorKind::TooLong { max: 255 }),
            FieldError::new("first_name", FieldErrorKind::TooLong { max: 255 }),
            FieldError::new("meta_data", FieldErrorKind::TooMany { max: 200 }),
        ])
        .to_json();
        assert_eq!(error["code"], "rest_invalid_param");
        assert_eq!(error["data"]["status"], 400);
        assert_eq!(
            error["data"]["params"]["billing"],
            "billing[city] must be at most 255 characters long."
        );
        assert_eq!(
            error["data"]["details"]["first_name"]["code"],
            "rest_too_long"
        );
        assert_eq!(
            error["data"]["params"]["meta_data"],
            "meta_data must contain at most 200 items."
        );
        let email = RestError::over_limits(&[
            FieldError::new("first_name", FieldErrorKind::TooLong { max: 255 }),
            FieldError::new("email", FieldErrorKind::TooLong { max: 100 }),
        ]);
        assert_eq!(email.code, "user_email_too_long");
        assert_eq!(
            email.message,
            "Email address may not be longer than 100 characters."
        );
    }

    #[test]
    fn invalid_params_keep_the_first_error_per_param() {
        let error = RestError::invalid_params(vec![
            ParamError::out_of_bounds("per_page", "a".into()),
            ParamError::out_of_bounds("per_page", "b".into()),
            ParamError::not_in_enum("order", &["asc", "desc"]),
        ]);
        assert_eq!(error.message, "Invalid parameter(s): per_page, order");
        assert_eq!(error.to_json()["data"]["params"]["per_page"], "a");
    }
}
