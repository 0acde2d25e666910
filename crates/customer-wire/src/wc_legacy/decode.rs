//! Reading a legacy API request: the method (after `_method` and
//! `X-HTTP-Method-Override`), `_jsonp` and `fields` ([`LegacyRequest`]), the route and
//! method into an [`Operation`], `filter[…]` list parameters, and create, edit and bulk
//! bodies into model inputs.
//!
//! Every handler argument is url-decoded once more, as the original server does.

use customer_model::{
    Address, AddressPatch, CustomerDraft, CustomerFilter, CustomerId, CustomerPatch, CustomerQuery,
    Email, FieldError, FieldErrorKind, NewCustomer, PageRequest, Role, SearchField, SortDirection,
    SortKey, TextSearch, Timestamp,
};
use serde_json::Value;

use super::errors::{Action, LegacyError};
use super::{BULK_LIMIT, DEFAULT_PAGE_SIZE};
use crate::php::{self, Var, Vars};
use crate::request::Incoming;
use crate::woo::auth::{self, Flavor};

/// What the legacy server reads first of every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRequest {
    /// The method dispatched on: `_method` from the query, else the
    /// `X-HTTP-Method-Override` header (both cleaned like `sanitize_key` and
    /// upper-cased), else the method sent. It may be no method at all.
    pub method: String,
    /// `_jsonp`.
    pub callback: Callback,
    /// `fields`, url-decoded again.
    pub fields: String,
}

/// The `_jsonp` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Not asked for.
    None,
    /// A callback WordPress accepts (`A-Z a-z 0-9 _ .`).
    Valid(String),
    /// Anything else: refused before anything runs, so the request writes nothing.
    Invalid,
}

/// What a request asks the customers resource for. Customer ids are the route's capture
/// unless the query names an `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `GET /customers`.
    List,
    /// `POST /customers`.
    Create,
    /// `GET /customers/count`.
    Count,
    /// `GET /customers/<id>`.
    Get(CustomerArg),
    /// `PUT|PATCH|POST /customers/<id>`.
    Edit(CustomerArg),
    /// `DELETE /customers/<id>`.
    Delete(CustomerArg),
    /// `GET /customers/email/<address>`.
    ByEmail(String),
    /// `GET /customers/<id>/orders`.
    Orders(CustomerArg),
    /// `GET /customers/<id>/downloads`.
    Downloads(CustomerArg),
    /// `POST|PUT|PATCH /customers/bulk`.
    Bulk,
}

/// A customer id argument as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerArg(pub String);

impl CustomerArg {
    /// The id by `absint`, checked as the original's `validate_request`: zero is an
    /// invalid id; an id no customer can have is an invalid customer.
    pub fn id(&self) -> Result<CustomerId, LegacyError> {
        match php::absint(&self.0) {
            0 => Err(LegacyError::invalid_customer_id()),
            id => i64::try_from(id)
                .map(CustomerId)
                .map_err(|_| LegacyError::invalid_customer()),
        }
    }
}

/// What a method may reach: the original's READABLE, CREATABLE, EDITABLE, DELETABLE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Read,
    Post,
    Put,
    Delete,
}

/// The routes of the customers resource, with raw captures.
enum Route {
    Customers,
    Count,
    Customer(String),
    ByEmail(String),
    Orders(String),
    Downloads(String),
    Bulk,
}

impl LegacyRequest {
    /// Reads the method, `_jsonp` and `fields`.
    pub fn read(incoming: &Incoming<'_>) -> Self {
        let callback = match incoming.query.get("_jsonp") {
            None => Callback::None,
            Some(value) => match value.text() {
                Some(text) if is_valid_jsonp_callback(&text) => Callback::Valid(text.into_owned()),
                _ => Callback::Invalid,
            },
        };
        Self {
            method: auth::method_override(incoming, Flavor::Legacy)
                .unwrap_or_else(|| incoming.method.to_owned()),
            callback,
            fields: argument(&incoming.query, "fields").unwrap_or_default(),
        }
    }

    /// Whether the answer goes without a body.
    pub fn head(&self) -> bool {
        self.method == "HEAD"
    }

    /// The method a key's scope is checked against (`GET` for one that is no method).
    pub fn scope_method(&self) -> &str {
        if auth::is_method_token(&self.method) {
            &self.method
        } else {
            "GET"
        }
    }

    /// The operation the method and path ask for: an unsupported method first, then an
    /// unknown route or a method the route does not serve.
    pub fn operation(&self, incoming: &Incoming<'_>) -> Result<Operation, LegacyError> {
        let verb = match self.method.as_str() {
            "HEAD" | "GET" => Verb::Read,
            "POST" => Verb::Post,
            "PUT" | "PATCH" => Verb::Put,
            "DELETE" => Verb::Delete,
            _ => return Err(LegacyError::unsupported_method()),
        };
        let route = route(incoming.path).ok_or_else(LegacyError::no_route)?;
        let query = &incoming.query;
        // Query arguments override route captures of the same name.
        let id = |captured: String| {
            CustomerArg(php::urldecode_text(
                &query.text("id").map_or(captured, |id| id.into_owned()),
            ))
        };
        Ok(match (route, verb) {
            (Route::Customers, Verb::Read) => Operation::List,
            (Route::Customers, Verb::Post) => Operation::Create,
            (Route::Count, Verb::Read) => Operation::Count,
            (Route::Customer(captured), Verb::Read) => Operation::Get(id(captured)),
            (Route::Customer(captured), Verb::Post | Verb::Put) => Operation::Edit(id(captured)),
            (Route::Customer(captured), Verb::Delete) => Operation::Delete(id(captured)),
            (Route::ByEmail(captured), Verb::Read) => Operation::ByEmail(php::urldecode_text(
                &query
                    .text("email")
                    .map_or(captured, |email| email.into_owned()),
            )),
            (Route::Orders(captured), Verb::Read) => Operation::Orders(id(captured)),
            (Route::Downloads(captured), Verb::Read) => Operation::Downloads(id(captured)),
            (Route::Bulk, Verb::Post | Verb::Put) => Operation::Bulk,
            _ => return Err(LegacyError::no_route()),
        })
    }
}

/// WordPress's `wp_check_jsonp_callback`: only `A-Z a-z 0-9 _ .`.
pub fn is_valid_jsonp_callback(callback: &str) -> bool {
    callback
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// The route of `path`: matched against the url-decoded path without its trailing slash.
fn route(path: &str) -> Option<Route> {
    let lower = path.to_ascii_lowercase();
    let rest = lower.strip_prefix("/wc-api/v3")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let original_rest = &path[path.len() - rest.len()..];
    let decoded =
        String::from_utf8_lossy(&php::rawurldecode(original_rest.as_bytes())).into_owned();
    let decoded = decoded.trim_end_matches('/');
    let segments: Vec<&str> = decoded.split('/').skip(1).collect();
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let first = segments.first()?;
    if !first.eq_ignore_ascii_case("customers") {
        return None;
    }
    let lower_at = |i: usize| segments.get(i).map(|s| s.to_ascii_lowercase());
    match segments.len() {
        1 => Some(Route::Customers),
        2 if lower_at(1).as_deref() == Some("count") => Some(Route::Count),
        2 if lower_at(1).as_deref() == Some("bulk") => Some(Route::Bulk),
        2 if is_id(segments[1]) => Some(Route::Customer(segments[1].to_owned())),
        3 if is_id(segments[1]) && lower_at(2).as_deref() == Some("orders") => {
            Some(Route::Orders(segments[1].to_owned()))
        }
        3 if is_id(segments[1]) && lower_at(2).as_deref() == Some("downloads") => {
            Some(Route::Downloads(segments[1].to_owned()))
        }
        n if n >= 3 && lower_at(1).as_deref() == Some("email") => {
            Some(Route::ByEmail(segments[2..].join("/")))
        }
        _ => None,
    }
}

/// A query value url-decoded a second time, as the original does with handler arguments.
fn argument(query: &Vars, name: &str) -> Option<String> {
    query.text(name).map(|text| php::urldecode_text(&text))
}

fn filter_argument(query: &Vars, name: &str) -> Option<String> {
    query
        .get("filter")
        .and_then(|filter| filter.get(name))
        .and_then(Var::text)
        .map(|text| php::urldecode_text(&text))
}

/// PHP's `intval` of a JSON value (numbers truncate, booleans are 0/1).
pub fn json_intval(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .unwrap_or(0),
        Value::String(s) => php::intval(s),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// The original's `parse_datetime` for `filter[created_at_*]`: fractional seconds are
/// dropped, a trailing `±HH:MM` offset is ignored (the time is taken as UTC), a date
/// alone is midnight, and anything unparsable is the Unix epoch.
pub fn parse_filter_datetime(raw: &str) -> Timestamp {
    let mut text = raw.trim().to_owned();
    if let Some(dot) = text.find('.') {
        let digits = text[dot + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits > 0 {
            text.replace_range(dot..=dot + digits, "");
        }
    }
    let text = strip_offset(&text);
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", text)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text))
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", text))
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text))
        .or_else(|_| {
            jiff::civil::Date::strptime("%Y-%m-%d", text)
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
    civil
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Removes a trailing `[+-]digits:digits` (the original's `/[+-]\d+:+\d+$/`).
fn strip_offset(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    let digits_before = |end: usize| {
        bytes[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let minutes = digits_before(end);
    if minutes == 0 {
        return text;
    }
    end -= minutes;
    let colons = bytes[..end]
        .iter()
        .rev()
        .take_while(|b| **b == b':')
        .count();
    if colons == 0 {
        return text;
    }
    end -= colons;
    let hours = digits_before(end);
    if hours == 0 {
        return text;
    }
    end -= hours;
    match end.checked_sub(1).map(|i| bytes[i]) {
        Some(b'+' | b'-') => &text[..end - 1],
        _ => text,
    }
}

/// The body as JSON, whatever the content type says; `Null` when it is not JSON (the
/// original's `json_decode` gives null, and handlers then report missing data).
pub fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The `customer` member of a create or edit body.
pub fn customer_payload(body: &Value, action: Action) -> Result<&Value, LegacyError> {
    match body.get("customer") {
        Some(payload) if !payload.is_null() => Ok(payload),
        _ => Err(LegacyError::missing_customer_data(action)),
    }
}

/// The items of a bulk body, in order (an object's values count as items, as PHP
/// iterates an associative array).
pub fn bulk_items(body: &Value) -> Result<Vec<&Value>, LegacyError> {
    let items: Vec<&Value> = match body.get("customers") {
        None | Some(Value::Null) => return Err(LegacyError::missing_customers_data()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(items)) => items.values().collect(),
        Some(_) => return Err(LegacyError::missing_customers_data()),
    };
    if items.len() > BULK_LIMIT {
        return Err(LegacyError::bulk_too_large());
    }
    Ok(items)
}

/// The `id` of a bulk item by PHP's `intval` (0: create).
pub fn bulk_item_id(item: &Value) -> i64 {
    item.get("id").map_or(0, json_intval)
}

/// The fields a create or edit may set, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerInput {
    /// `email`, when present and not null.
    pub email: Option<String>,
    /// `username`, when non-empty (create only).
    pub username: Option<String>,
    /// `password`, when non-empty.
    pub password: Option<String>,
    /// `first_name`, cleaned.
    pub first_name: Option<String>,
    /// `last_name`, cleaned.
    pub last_name: Option<String>,
    /// `billing_address` fields present.
    pub billing: Option<AddressPatch>,
    /// `shipping_address` fields present (`email` and `phone` are not shipping fields).
    pub shipping: Option<AddressPatch>,
}

/// A JSON scalar as PHP would turn it into a string; `None` for null (`isset` is false).
fn scalar(value: &Value, field: &str) -> Result<Option<String>, LegacyError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(true) => Ok(Some("1".to_owned())),
        Value::Bool(false) => Ok(Some(String::new())),
        Value::Array(_) | Value::Object(_) => Err(LegacyError::invalid_data(field, "must be text")),
    }
}

fn address_patch(
    value: &Value,
    prefix: &str,
    with_contact: bool,
) -> Result<AddressPatch, LegacyError> {
    let mut patch = AddressPatch::default();
    let Value::Object(map) = value else {
        return Ok(patch);
    };
    let mut slots: Vec<(&str, &mut Option<String>)> = vec![
        ("first_name", &mut patch.first_name),
        ("last_name", &mut patch.last_name),
        ("company", &mut patch.company),
        ("address_1", &mut patch.address_1),
        ("address_2", &mut patch.address_2),
        ("city", &mut patch.city),
        ("state", &mut patch.state),
        ("postcode", &mut patch.postcode),
        ("country", &mut patch.country),
    ];
    if with_contact {
        slots.push(("email", &mut patch.email));
        slots.push(("phone", &mut patch.phone));
    }
    for (name, slot) in slots {
        if let Some(value) = map.get(name) {
            *slot = scalar(value, &format!("{prefix}.{name}"))?;
        }
    }
    Ok(patch)
}

/// Reads the fields of a `customer` payload. A payload that is not an object sets
/// nothing (PHP finds no keys in it).
pub fn decode_customer(payload: &Value) -> Result<CustomerInput, LegacyError> {
    let Value::Object(map) = payload else {
        return Ok(CustomerInput::default());
    };
    let text = |name: &str| -> Result<Option<String>, LegacyError> {
        map.get(name).map_or(Ok(None), |value| scalar(value, name))
    };
    let non_empty = |value: Option<String>| value.filter(|v| !php::empty(v.as_bytes()));
    Ok(CustomerInput {
        email: text("email")?,
        username: non_empty(text("username")?),
        password: non_empty(text("password")?),
        first_name: text("first_name")?.map(|v| php::sanitize_text_field(&v)),
        last_name: text("last_name")?.map(|v| php::sanitize_text_field(&v)),
        billing: map
            .get("billing_address")
            .map(|v| address_patch(v, "billing_address", true))
            .transpose()?,
        shipping: map
            .get("shipping_address")
            .map(|v| address_patch(v, "shipping_address", false))
            .transpose()?,
    })
}

impl CustomerInput {
    /// The address of a new customer, checked in the original's order: absent, then
    /// malformed, then empty.
    pub fn new_email(&self) -> Result<Email, LegacyError> {
        let raw = self
            .email
            .as_deref()
            .ok_or_else(LegacyError::missing_customer_email)?;
        if raw.is_empty() {
            return Err(LegacyError::registration_invalid_email());
        }
        Email::parse(raw).map_err(|_| LegacyError::invalid_email())
    }

    /// The new customer (role `customer`) with `username`, validated.
    pub fn new_customer(&self, email: &Email, username: &str) -> Result<NewCustomer, LegacyError> {
        let mut billing = Address::default();
        billing.apply(&self.billing.clone().unwrap_or_default());
        let mut shipping = Address::default();
        shipping.apply(&self.shipping.clone().unwrap_or_default());
        let draft = CustomerDraft {
            email: email.as_str().to_owned(),
            first_name: self.first_name.clone().unwrap_or_default(),
            last_name: self.last_name.clone().unwrap_or_default(),
            username: Some(username.to_owned()),
            password: self.password.clone(),
            billing,
            shipping,
            ..CustomerDraft::default()
        };
        draft.validate().map_err(|errors| first_error(&errors))
    }

    /// The change an edit makes. An empty `email` changes nothing (WordPress refuses it
    /// and the original ignores the refusal); `username` and `role` cannot change.
    pub fn patch(&self) -> Result<CustomerPatch, LegacyError> {
        let email = match self.email.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(Email::parse(raw).map_err(|_| LegacyError::invalid_email())?),
        };
        let patch = CustomerPatch {
            email,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            password: self.password.clone(),
            billing: self.billing.clone(),
            shipping: self.shipping.clone(),
            ..CustomerPatch::default()
        };
        patch.validate().map_err(|errors| first_error(&errors))?;
        Ok(patch)
    }
}

/// The legacy error of the first validation failure (the original stops at the first).
fn first_error(errors: &[FieldError]) -> LegacyError {
    let Some(first) = errors.first() else {
        return LegacyError::internal();
    };
    match (first.path.as_str(), &first.kind) {
        ("email", FieldErrorKind::Missing) => LegacyError::registration_invalid_email(),
        // `wc_create_new_customer` passes `wp_insert_user`'s error on.
        ("email", FieldErrorKind::TooLong { max }) => LegacyError::new(
            400,
            "user_email_too_long",
            format!("Email address may not be longer than {max} characters."),
        ),
        ("email", _) => LegacyError::invalid_email(),
        ("username", _) => LegacyError::invalid_username(),
        ("billing.email", FieldErrorKind::InvalidEmail) => LegacyError::invalid_billing_email(),
        (path, kind) => {
            let field = path.replacen("billing.", "billing_address.", 1).replacen(
                "shipping.",
                "shipping_address.",
                1,
            );
            LegacyError::invalid_data(&field, &kind.to_string())
        }
    }
}

/// A guest who registers through a create: the account and the non-empty fields of the
/// request (empty ones keep the guest's data), as a patch of the guest's record.
pub fn guest_registration(new: NewCustomer) -> CustomerPatch {
    let account = new.account.expect("a create always makes an account");
    let keep = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
    let address = |address: &Address| AddressPatch {
        first_name: keep(&address.first_name),
        last_name: keep(&address.last_name),
        company: keep(&address.company),
        address_1: keep(&address.address_1),
        address_2: keep(&address.address_2),
        city: keep(&address.city),
        state: keep(&address.state),
        postcode: keep(&address.postcode),
        country: keep(&address.country),
        email: keep(&address.email),
        phone: keep(&address.phone),
    };
    CustomerPatch {
        first_name: keep(&new.first_name),
        last_name: keep(&new.last_name),
        username: Some(account.username),
        role: Some(Role::Customer),
        password: account.password,
        billing: Some(address(&new.billing)),
        shipping: Some(address(&new.shipping)),
        ..CustomerPatch::default()
    }
}

/// The list (and count) query of `filter[…]` and `page`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The query; `None` when the filters can match nobody (an unknown role, a search for
    /// a URL: clientele keeps no user URLs).
    pub query: Option<CustomerQuery>,
}

/// Reads `filter[role|q|limit|offset|order|orderby|created_at_min|created_at_max]` and
/// the top-level `page` the way the original's `query_customers` does.
pub fn decode_list(query: &Vars) -> ListRequest {
    let mut filter = CustomerFilter {
        accounts: customer_model::AccountFilter::Registered,
        role: Some(Role::Customer),
        ..CustomerFilter::default()
    };
    if let Some(role) = filter_argument(query, "role").filter(|r| !php::empty(r.as_bytes())) {
        if role == "all" {
            filter.role = None;
        } else {
            // WordPress reads a comma list as "has all of these roles"; a customer has one.
            let roles: Vec<Option<Role>> = role.split(',').map(|r| Role::parse(r.trim())).collect();
            match roles.first().copied().flatten() {
                Some(first) if roles.iter().all(|r| *r == Some(first)) => filter.role = Some(first),
                _ => return ListRequest { query: None },
            }
        }
    }
    if let Some(q) = filter_argument(query, "q").filter(|q| !php::empty(q.as_bytes())) {
        match user_search(&q) {
            UserSearch::Email(email) => filter.email = Some(email),
            UserSearch::Text(search) => filter.search.push(search),
            UserSearch::Nothing => return ListRequest { query: None },
        }
    }
    let limit = filter_argument(query, "limit").filter(|l| !php::empty(l.as_bytes()));
    let page_size = match limit.as_deref() {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(raw) if php::intval(raw) == -1 => None,
        // `absint` of garbage is 0, which WordPress reads as "no limit".
        Some(raw) => Some(php::absint(raw)).filter(|n| *n > 0),
    };
    let page = argument(query, "page")
        .map_or(1, |p| php::absint(&p))
        .max(1);
    let offset = match filter_argument(query, "offset").filter(|o| !php::empty(o.as_bytes())) {
        Some(raw) => php::absint(&raw),
        None => page_size.map_or(0, |size| size.saturating_mul(page - 1)),
    };
    for (name, slot) in [
        ("created_at_min", &mut filter.created.from),
        ("created_at_max", &mut filter.created.to),
    ] {
        if let Some(raw) = filter_argument(query, name).filter(|v| !php::empty(v.as_bytes())) {
            *slot = Some(parse_filter_datetime(&raw));
        }
    }
    let direction = match filter_argument(query, "order").filter(|o| !php::empty(o.as_bytes())) {
        Some(order) if !order.eq_ignore_ascii_case("asc") => SortDirection::Descending,
        _ => SortDirection::Ascending,
    };
    let sort = filter_argument(query, "orderby")
        .filter(|o| !php::empty(o.as_bytes()))
        .map_or(SortKey::Created, |orderby| user_sort_key(&orderby));
    ListRequest {
        query: Some(CustomerQuery {
            filter,
            sort,
            direction,
            page: PageRequest {
                offset: if page_size.is_some() { offset } else { 0 },
                limit: page_size,
            },
        }),
    }
}

/// WordPress's `orderby` values for users, mapped to what the store sorts by.
fn user_sort_key(orderby: &str) -> SortKey {
    match orderby {
        "registered" | "user_registered" => SortKey::Created,
        "ID" | "id" => SortKey::Id,
        "name" | "display_name" => SortKey::DisplayName,
        // E-mail, URL, post count and meta sorts have no store index; the id keeps
        // pages stable. Unknown values fall back to the login, as WordPress does.
        "email" | "user_email" | "url" | "user_url" | "post_count" | "meta_value"
        | "meta_value_num" | "include" => SortKey::Id,
        _ => SortKey::Username,
    }
}

enum UserSearch {
    Email(String),
    Text(TextSearch),
    Nothing,
}

/// WordPress's user search column choice for `filter[q]`.
fn user_search(raw: &str) -> UserSearch {
    let trimmed = raw.trim();
    let wild = trimmed.starts_with('*') || trimmed.ends_with('*');
    let term = trimmed.trim_matches('*').to_owned();
    if term.contains('@') {
        if wild {
            return UserSearch::Text(TextSearch {
                term,
                fields: vec![SearchField::Email],
                match_id: false,
            });
        }
        return UserSearch::Email(term);
    }
    if !term.is_empty() && term.parse::<f64>().is_ok() {
        return UserSearch::Text(TextSearch {
            term,
            fields: vec![SearchField::Username],
            match_id: true,
        });
    }
    if term.starts_with("http://") || term.starts_with("https://") {
        return UserSearch::Nothing;
    }
    UserSearch::Text(TextSearch {
        term,
        fields: vec![
            SearchField::Username,
            SearchField::Email,
            SearchField::DisplayName,
        ],
        match_id: false,
    })
}

/// The `filter[limit]` and `filter[offset]` of `/customers/<id>/orders` (the top-level
/// `page` is ignored there: the original forces the first page).
pub fn decode_orders_page(query: &Vars) -> PageRequest {
    let limit = filter_argument(query, "limit").filter(|l| !php::empty(l.as_bytes()));
    let page_size = match limit.as_deref() {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(raw) if php::intval(raw) == -1 => None,
        Some(raw) => Some(php::absint(raw))
            .filter(|n| *n > 0)
            .or(Some(DEFAULT_PAGE_SIZE)),
    };
    let offset = filter_argument(query, "offset").map_or(0, |o| php::absint(&o));
    PageRequest {
        offset: if page_size.is_some() { offset } else { 0 },
        limit: page_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_intval_truncates() {
        assert_eq!(json_intval(&json!(2.7)), 2);
        assert_eq!(json_intval(&json!("7")), 7);
        assert_eq!(json_intval(&json!(true)), 1);
    }

    #[test]
    fn filter_dates_ignore_offsets_and_fractions() {
        let at = |s: &str| {
            parse_filter_datetime(s)
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        assert_eq!(at("2015-01-05T18:34:19.123+05:00"), "2015-01-05T18:34:19Z");
        assert_eq!(at("2015-01-05"), "2015-01-05T00:00:00Z");
        assert_eq!(at("2015-01-05 10:00:00"), "2015-01-05T10:00:00Z");
        assert_eq!(at("2015-01-05T10:00:00Z"), "2015-01-05T10:00:00Z");
        assert_eq!(at("yesterday-ish"), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn jsonp_callbacks_allow_word_characters_and_dots() {
        assert!(is_valid_jsonp_callback("jQuery.cb_1"));
        assert!(!is_valid_jsonp_callback("alert(1)"));
        let read = |target: &str| LegacyRequest::read(&Incoming::get(target)).callback;
        assert_eq!(
            read("/wc-api/v3/customers?_jsonp=cb"),
            Callback::Valid("cb".into())
        );
        assert_eq!(read("/wc-api/v3/customers?_jsonp[]=cb"), Callback::Invalid);
        assert_eq!(read("/wc-api/v3/customers"), Callback::None);
    }

    #[test]
    fn routes_and_methods_become_operations() {
        let operation = |method: &str, target: &str| {
            let incoming = Incoming::new(method, target, Default::default(), b"", false);
            LegacyRequest::read(&incoming).operation(&incoming)
        };
        assert_eq!(
            operation("GET", "/wc-api/v3/customers/"),
            Ok(Operation::List)
        );
        assert_eq!(
            operation("GET", "/wc-api/v3/customers/5?id=7%2B1"),
            Ok(Operation::Get(CustomerArg("7 1".into())))
        );
        assert_eq!(
            operation("GET", "/wc-api/v3/customers/email/a%40b.c"),
            Ok(Operation::ByEmail("a@b.c".into()))
        );
        assert_eq!(
            operation("POST", "/wc-api/v3/customers/5?_method=delete"),
            Ok(Operation::Delete(CustomerArg("5".into())))
        );
        assert_eq!(
            operation("PROPFIND", "/wc-api/v3/customers"),
            Err(LegacyError::unsupported_method())
        );
        assert_eq!(
            operation("DELETE", "/wc-api/v3/customers"),
            Err(LegacyError::no_route())
        );
        assert_eq!(
            CustomerArg("0".into()).id(),
            Err(LegacyError::invalid_customer_id())
        );
        assert_eq!(
            CustomerArg("99999999999999999999".into()).id(),
            Ok(CustomerId(i64::MAX))
        );
    }
}
