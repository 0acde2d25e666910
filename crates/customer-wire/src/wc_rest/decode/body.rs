//! Create, update and batch bodies.
//!
//! Two layers, as in WordPress + WooCommerce:
//! 1. [`validate_args`]: WordPress's schema checks of the request's parameters (required
//!    `email` on create, types, e-mail formats, nested bracket paths), aggregated into one
//!    `rest_invalid_param` (or `rest_missing_callback_param`). Batch items skip this layer.
//! 2. [`decode_create`] / [`decode_update`]: WooCommerce's own checks, one error at a
//!    time, in WooCommerce's order, into model inputs.

use customer_model::{
    Address, AddressPatch, Customer, CustomerPatch, Email, MetaUpdate, NewAccount, NewCustomer,
    Role, Username, sanitize_user,
};
use serde_json::Value;

use super::super::Version;
use super::super::errors::{ParamError, RestError};
use super::values::{Params, as_integer, php_scalar_string};
use crate::php::sanitize_text_field;

/// Which operation the arguments are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /customers`: `email` required, its format checked later by WooCommerce.
    Create,
    /// `PUT /customers/{id}` (and the batch request's top level): nothing required,
    /// `email` must be an e-mail address.
    Update,
}

const BILLING_FIELDS: [&str; 11] = [
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
];

fn address_fields(billing: bool, version: Version) -> &'static [&'static str] {
    if billing {
        &BILLING_FIELDS
    } else if version.has_shipping_phone() {
        // Shipping has no e-mail; v3 has a phone.
        &[
            "first_name",
            "last_name",
            "company",
            "address_1",
            "address_2",
            "city",
            "state",
            "postcode",
            "country",
            "phone",
        ]
    } else {
        &BILLING_FIELDS[..9]
    }
}

/// WordPress's argument validation for a customer body (create or update).
pub fn validate_args(
    params: &Params,
    operation: Operation,
    version: Version,
) -> Result<(), RestError> {
    if operation == Operation::Create && params.get("email").is_none_or(Value::is_null) {
        return Err(RestError::missing_params(&["email"]));
    }
    let mut errors = Vec::new();
    for name in ["email", "first_name", "last_name", "username", "password"] {
        let Some(value) = params.get(name) else {
            continue;
        };
        match value {
            Value::String(text) => {
                if name == "email"
                    && operation == Operation::Update
                    && !customer_model::email::is_email(text)
                {
                    errors.push(ParamError::invalid_email("email"));
                }
            }
            _ => errors.push(ParamError::not_of_type(name, name, "string")),
        }
    }
    for (name, is_billing) in [("billing", true), ("shipping", false)] {
        let Some(value) = params.get(name) else {
            continue;
        };
        let Value::Object(address) = value else {
            errors.push(ParamError::not_of_type(name, name, "object"));
            continue;
        };
        for field in address_fields(is_billing, version) {
            match address.get(*field) {
                None => {}
                Some(Value::String(text))
                    if *field == "email" && !customer_model::email::is_email(text) =>
                {
                    errors.push(ParamError::invalid_email(name));
                }
                Some(Value::String(_)) => {}
                Some(_) => errors.push(ParamError::not_of_type(
                    name,
                    &format!("{name}[{field}]"),
                    "string",
                )),
            }
        }
    }
    if let Some(value) = params.get("meta_data") {
        validate_meta(value, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RestError::invalid_params(errors))
    }
}

fn validate_meta(value: &Value, errors: &mut Vec<ParamError>) {
    let Value::Array(items) = value else {
        errors.push(ParamError::not_of_type("meta_data", "meta_data", "array"));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Value::Object(entry) = item else {
            errors.push(ParamError::not_of_type(
                "meta_data",
                &format!("meta_data[{i}]"),
                "object",
            ));
            return;
        };
        if let Some(id) = entry.get("id")
            && as_integer(id).is_none()
        {
            errors.push(ParamError::not_of_type(
                "meta_data",
                &format!("meta_data[{i}][id]"),
                "integer",
            ));
            return;
        }
        if let Some(key) = entry.get("key")
            && !key.is_string()
        {
            errors.push(ParamError::not_of_type(
                "meta_data",
                &format!("meta_data[{i}][key]"),
                "string",
            ));
            return;
        }
    }
}

/// A string as PHP would cast a scalar parameter; `None` for null, arrays and objects.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) => Some(String::new()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn non_empty_text(params: &Params, name: &str) -> Option<String> {
    params.get(name).and_then(text).filter(|s| !s.is_empty())
}

fn address_patch(value: Option<&Value>, billing: bool, version: Version) -> Option<AddressPatch> {
    let Some(Value::Object(address)) = value else {
        return None;
    };
    let get = |field: &str| {
        address_fields(billing, version)
            .contains(&field)
            .then(|| address.get(field).and_then(text))
            .flatten()
    };
    Some(AddressPatch {
        first_name: get("first_name"),
        last_name: get("last_name"),
        company: get("company"),
        address_1: get("address_1"),
        address_2: get("address_2"),
        city: get("city"),
        state: get("state"),
        postcode: get("postcode"),
        country: get("country"),
        email: get("email"),
        phone: get("phone"),
    })
}

/// `meta_data` items as WooCommerce applies them: protected keys (starting with `_`) are
/// skipped, scalar values are kept as the strings WordPress would store, `null` deletes.
pub fn meta_updates(value: Option<&Value>) -> Vec<MetaUpdate> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|entry| {
            let key = entry.get("key").and_then(text).unwrap_or_default();
            if key.starts_with('_') {
                return None;
            }
            let id = entry.get("id").and_then(as_integer).filter(|id| *id != 0);
            if id.is_none() && key.is_empty() {
                return None;
            }
            let value = entry.get("value").map_or(Value::Null, php_scalar_string);
            Some(MetaUpdate { id, key, value })
        })
        .collect()
}

/// A validated create request, before the username is settled against the store.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCommand {
    /// The primary e-mail address.
    pub email: Email,
    /// The username given, cleaned; `None` means WooCommerce generates one.
    pub username: Option<Username>,
    /// The password given (non-empty).
    pub password: Option<String>,
    /// First name, sanitised.
    pub first_name: String,
    /// Last name, sanitised.
    pub last_name: String,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Meta data to add.
    pub meta_data: Vec<(String, Value)>,
}

impl CreateCommand {
    /// Checks the values against the model's limits, before any store call.
    pub fn check_limits(&self) -> Result<(), RestError> {
        let mut patch = self.clone().into_guest_upgrade_patch();
        // The display name is the username, whose length parse_username checked.
        patch.display_name = None;
        patch
            .validate()
            .map_err(|errors| RestError::over_limits(&errors))
    }

    /// The store input with the settled `username`; WooCommerce's display name is the
    /// username and the role is always `customer`.
    pub fn into_new_customer(self, username: Username) -> NewCustomer {
        NewCustomer {
            id: None,
            uuid: None,
            email: self.email,
            additional_emails: Vec::new(),
            first_name: self.first_name,
            last_name: self.last_name,
            display_name: Some(username.as_str().to_owned()),
            account: Some(NewAccount {
                username,
                role: Role::Customer,
                password: self.password,
            }),
            billing: self.billing,
            shipping: self.shipping,
            meta_data: self.meta_data,
            avatar_url: None,
            created_at: None,
        }
    }

    /// The same customer as a change of an existing guest record (a guest with this
    /// e-mail becomes a registered customer, as a WooCommerce guest buyer would by
    /// registering).
    pub fn into_guest_upgrade(self, username: Username) -> CustomerPatch {
        CustomerPatch {
            display_name: Some(username.as_str().to_owned()),
            username: Some(username),
            ..self.into_guest_upgrade_patch()
        }
    }

    /// Every field but the account's name, as a change of a guest record.
    fn into_guest_upgrade_patch(self) -> CustomerPatch {
        let full = |address: Address| AddressPatch {
            first_name: Some(address.first_name),
            last_name: Some(address.last_name),
            company: Some(address.company),
            address_1: Some(address.address_1),
            address_2: Some(address.address_2),
            city: Some(address.city),
            state: Some(address.state),
            postcode: Some(address.postcode),
            country: Some(address.country),
            email: Some(address.email),
            phone: Some(address.phone),
        };
        CustomerPatch {
            email: Some(self.email),
            first_name: Some(self.first_name),
            last_name: Some(self.last_name),
            role: Some(Role::Customer),
            password: self.password,
            billing: Some(full(self.billing)),
            shipping: Some(full(self.shipping)),
            meta_data: self
                .meta_data
                .into_iter()
                .map(|(key, value)| MetaUpdate {
                    id: None,
                    key,
                    value,
                })
                .collect(),
            ..CustomerPatch::default()
        }
    }
}

/// WooCommerce's create checks, in its order: an `id` → `customer_exists`; empty e-mail
/// → `registration-error-invalid-email`; malformed e-mail → `customer_invalid_email`;
/// malformed billing e-mail → `customer_invalid_billing_email`; a username that cleaning
/// empties → `registration-error-invalid-username`, longer than 60 → `user_login_too_long`.
/// E-mail and username uniqueness are the store's to answer.
pub fn decode_create(params: &Params, version: Version) -> Result<CreateCommand, RestError> {
    if params
        .get("id")
        .is_some_and(|id| as_integer(id).unwrap_or(1) != 0 && !id.is_null())
    {
        return Err(RestError::customer_exists());
    }
    let raw_email = params.get("email").and_then(text).unwrap_or_default();
    let raw_email = raw_email.trim().to_owned();
    if raw_email.is_empty() {
        return Err(RestError::registration_invalid_email());
    }
    let email = Email::parse(&raw_email).map_err(|_| RestError::customer_invalid_email())?;
    let mut billing = Address::default();
    if let Some(patch) = address_patch(params.get("billing"), true, version) {
        billing.apply(&patch);
    }
    if !billing.email.is_empty() && !customer_model::email::is_email(&billing.email) {
        return Err(RestError::customer_invalid_billing_email());
    }
    let mut shipping = Address::default();
    if let Some(patch) = address_patch(params.get("shipping"), false, version) {
        shipping.apply(&patch);
    }
    let username = match non_empty_text(params, "username") {
        None => None,
        Some(raw) => Some(parse_username(&sanitize_user(&raw))?),
    };
    let meta_data = meta_updates(params.get("meta_data"))
        .into_iter()
        .filter(|update| !update.value.is_null())
        .map(|update| (update.key, update.value))
        .collect();
    Ok(CreateCommand {
        email,
        username,
        password: non_empty_text(params, "password"),
        first_name: params
            .get("first_name")
            .and_then(text)
            .map(|s| sanitize_text_field(&s))
            .unwrap_or_default(),
        last_name: params
            .get("last_name")
            .and_then(text)
            .map(|s| sanitize_text_field(&s))
            .unwrap_or_default(),
        billing,
        shipping,
        meta_data,
    })
}

/// A cleaned username as a [`Username`], with WordPress's errors.
pub fn parse_username(clean: &str) -> Result<Username, RestError> {
    if clean.chars().count() > customer_model::username::MAX_USERNAME_LEN {
        return Err(RestError::username_too_long());
    }
    Username::parse(clean).map_err(|_| RestError::invalid_username())
}

/// An update request, before the checks that need the stored customer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateCommand {
    /// A non-empty `email`, as sent.
    pub email: Option<String>,
    /// A non-empty `username`, cleaned with `sanitize_user`.
    pub username: Option<String>,
    /// A non-empty `password`.
    pub password: Option<String>,
    /// Whether the request carried `password` at all (the role restriction looks at
    /// presence, not value).
    pub has_password: bool,
    /// The patch of names, addresses and meta data.
    pub patch: CustomerPatch,
}

/// Reads an update body (WordPress's validation already ran, except for batch items,
/// whose malformed e-mails are reported here the way WooCommerce's setters report them).
pub fn decode_update(params: &Params, version: Version) -> Result<UpdateCommand, RestError> {
    let email = non_empty_text(params, "email").map(|s| s.trim().to_owned());
    let parsed_email = match &email {
        Some(raw) => Some(Email::parse(raw).map_err(|_| RestError::customer_invalid_email())?),
        None => None,
    };
    let billing = address_patch(params.get("billing"), true, version);
    if let Some(billing_email) = billing.as_ref().and_then(|b| b.email.as_deref())
        && !billing_email.is_empty()
        && !customer_model::email::is_email(billing_email)
    {
        return Err(RestError::customer_invalid_billing_email());
    }
    let patch = CustomerPatch {
        email: parsed_email,
        first_name: params
            .get("first_name")
            .and_then(text)
            .map(|s| sanitize_text_field(&s)),
        last_name: params
            .get("last_name")
            .and_then(text)
            .map(|s| sanitize_text_field(&s)),
        password: non_empty_text(params, "password"),
        billing,
        shipping: address_patch(params.get("shipping"), false, version),
        meta_data: meta_updates(params.get("meta_data")),
        ..CustomerPatch::default()
    };
    Ok(UpdateCommand {
        email,
        username: non_empty_text(params, "username").map(|raw| sanitize_user(&raw)),
        password: patch.password.clone(),
        has_password: params.contains_key("password"),
        patch,
    })
}

impl UpdateCommand {
    /// WooCommerce's checks of an update against the stored customer (`None` when no
    /// registered customer has the id), before the e-mail lookup: the role restriction
    /// (not applied inside a batch), then the id.
    pub fn check(
        &self,
        existing: Option<Customer>,
        check_roles: bool,
        authenticated: bool,
    ) -> Result<Customer, RestError> {
        if check_roles
            && let Some(customer) = &existing
            && let Some(account) = &customer.account
            && !role_is_editable(account.role)
        {
            let role = account.role.as_str();
            if self
                .email
                .as_deref()
                .is_some_and(|email| email != customer.email.as_str())
            {
                return Err(RestError::protected_prop("email", role, authenticated));
            }
            if self.has_password {
                return Err(RestError::protected_prop("password", role, authenticated));
            }
        }
        existing.ok_or_else(RestError::invalid_id_update)
    }

    /// The new e-mail address when it differs from `existing`'s, which must then be free.
    /// `email_exists()` ignores case, the comparison does not: even a change of case of
    /// one's own address is checked, as in WooCommerce.
    pub fn changed_email(&self, existing: &Customer) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|email| *email != existing.email.as_str())
    }

    /// The username may not change.
    pub fn check_username(&self, existing: &Customer) -> Result<(), RestError> {
        match &self.username {
            Some(username)
                if Some(username.as_str()) != existing.username().map(Username::as_str) =>
            {
                Err(RestError::username_not_editable())
            }
            _ => Ok(()),
        }
    }
}

/// Whether WooCommerce lets the customers endpoint change e-mail and password of, or
/// delete, a user with `role`.
pub fn role_is_editable(role: Role) -> bool {
    matches!(role, Role::Customer | Role::Subscriber)
}

/// WooCommerce's `delete_item` checks before the reassignment target is looked up: the
/// role restriction (not in batch), `force`, then the id.
pub fn check_delete(
    existing: Option<Customer>,
    force: bool,
    check_roles: bool,
    authenticated: bool,
) -> Result<Customer, RestError> {
    if check_roles
        && let Some(account) = existing.as_ref().and_then(|c| c.account.as_ref())
        && !role_is_editable(account.role)
    {
        return Err(RestError::protected_role_delete(
            account.role.as_str(),
            authenticated,
        ));
    }
    if !force {
        return Err(RestError::trash_not_supported());
    }
    existing.ok_or_else(RestError::invalid_id_delete)
}

/// The items of a batch request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchCommand {
    /// Create items (non-objects become empty items, which fail like WooCommerce's).
    pub create: Vec<Params>,
    /// Update items.
    pub update: Vec<BatchUpdate>,
    /// Ids to delete; `0` and non-numeric entries are skipped as WooCommerce does.
    pub delete: Vec<i64>,
    /// Items counted against the limit (every entry of the three lists).
    pub total: usize,
}

/// WooCommerce's batch limit (`woocommerce_rest_batch_items_limit`).
pub const BATCH_LIMIT: usize = 100;

impl BatchCommand {
    /// Refuses a batch of more than [`BATCH_LIMIT`] items.
    pub fn check_limit(&self) -> Result<(), RestError> {
        if self.total > BATCH_LIMIT {
            Err(RestError::batch_too_large(BATCH_LIMIT))
        } else {
            Ok(())
        }
    }
}

/// One update item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchUpdate {
    /// The item's `id` as sent (`null` when absent): error entries repeat it.
    pub raw_id: Value,
    /// The id looked up (`0` when the raw id is not a number).
    pub id: i64,
    /// The item's fields.
    pub params: Params,
}

/// A batch create item's parameters: the batch request's `context` applies to every item
/// (WooCommerce copies the query parameters into each sub-request).
pub fn batch_create_params(request: &Params, item: &Params) -> Params {
    let mut params: Params = request
        .iter()
        .filter(|(name, _)| name.as_str() == "context")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.extend(item.clone());
    params
}

/// Reads `create`, `update` and `delete` of a batch body.
pub fn decode_batch(params: &Params) -> BatchCommand {
    let list = |name: &str| match params.get(name) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => map.values().cloned().collect(),
        _ => Vec::new(),
    };
    let objects = |items: Vec<Value>| -> Vec<Params> {
        items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => map,
                _ => Params::new(),
            })
            .collect()
    };
    let (create, update, delete) = (list("create"), list("update"), list("delete"));
    let total = create.len() + update.len() + delete.len();
    BatchCommand {
        create: objects(create),
        update: objects(update)
            .into_iter()
            .map(|params| {
                let raw_id = params.get("id").cloned().unwrap_or(Value::Null);
                BatchUpdate {
                    id: as_integer(&raw_id).unwrap_or(0),
                    raw_id,
                    params,
                }
            })
            .collect(),
        delete: delete
            .iter()
            .filter_map(as_integer)
            .filter(|id| *id != 0)
            .collect(),
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Params {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn create_requires_email() {
        let error = validate_args(
            &params(json!({"email": null})),
            Operation::Create,
            Version::V3,
        )
        .unwrap_err();
        assert_eq!(error.code, "rest_missing_callback_param");
        assert_eq!(error.message, "Missing parameter(s): email");
    }

    #[test]
    fn nested_errors_use_bracket_paths() {
        let error = validate_args(
            &params(json!({"first_name": null, "billing": {"city": 5}, "meta_data": [1]})),
            Operation::Update,
            Version::V3,
        )
        .unwrap_err()
        .to_json();
        assert_eq!(
            error["data"]["params"]["first_name"],
            "first_name is not of type string."
        );
        assert_eq!(
            error["data"]["params"]["billing"],
            "billing[city] is not of type string."
        );
        assert_eq!(
            error["data"]["params"]["meta_data"],
            "meta_data[0] is not of type object."
        );
    }

    #[test]
    fn create_checks_follow_woocommerce_order() {
        let code = |body: Value| decode_create(&params(body), Version::V3).unwrap_err().code;
        assert_eq!(
            code(json!({"id": 5, "email": "a@b.co"})),
            "woocommerce_rest_customer_exists"
        );
        assert_eq!(
            code(json!({"email": ""})),
            "registration-error-invalid-email"
        );
        assert_eq!(code(json!({"email": "abc"})), "customer_invalid_email");
        assert_eq!(
            code(json!({"email": "ok@example.com", "billing": {"email": "bad"}})),
            "customer_invalid_billing_email"
        );
        assert_eq!(
            code(json!({"email": "ok@example.com", "username": "!!!"})),
            "registration-error-invalid-username"
        );
    }

    #[test]
    fn v2_cannot_write_shipping_phone() {
        let body = params(json!({"shipping": {"phone": "1"}}));
        assert_eq!(
            decode_update(&body, Version::V2)
                .unwrap()
                .patch
                .shipping
                .unwrap()
                .phone,
            None
        );
        assert_eq!(
            decode_update(&body, Version::V3)
                .unwrap()
                .patch
                .shipping
                .unwrap()
                .phone
                .as_deref(),
            Some("1")
        );
    }

    #[test]
    fn meta_values_are_stored_as_wordpress_strings() {
        let updates = meta_updates(Some(&json!([
            {"key": "n", "value": 5},
            {"key": "_hidden", "value": "x"},
            {"key": "b", "value": false},
            {"id": 3, "key": "gone", "value": null}
        ])));
        assert_eq!(
            updates,
            [
                MetaUpdate {
                    id: None,
                    key: "n".into(),
                    value: json!("5")
                },
                MetaUpdate {
                    id: None,
                    key: "b".into(),
                    value: json!("")
                },
                MetaUpdate {
                    id: Some(3),
                    key: "gone".into(),
                    value: Value::Null
                },
            ]
        );
    }

    #[test]
    fn batch_deletes_skip_zero_and_junk() {
        let batch = decode_batch(&params(
            json!({"delete": [25, 0, "x", "7"], "create": [{}], "update": [{"first_name": "x"}]}),
        ));
        assert_eq!(batch.delete, [25, 7]);
        assert_eq!(
            (batch.update[0].id, &batch.update[0].raw_id),
            (0, &Value::Null)
        );
        assert_eq!(batch.total, 6);
        assert!(batch.check_limit().is_ok());
        let many: Vec<Value> = (1..=101).map(Value::from).collect();
        let too_many = decode_batch(&params(json!({ "delete": many })));
        assert_eq!(too_many.check_limit().unwrap_err().status, 413);
    }
}
