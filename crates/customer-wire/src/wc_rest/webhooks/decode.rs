//! Reading webhooks requests: the routes, the list parameters, and the create, update,
//! delete and batch bodies, validated in WordPress's order (missing arguments, then
//! argument types, then the controller's own checks).

use customer_model::webhook::{
    CustomerEvent, NewWebhook, WebhookOrder, WebhookPatch, WebhookQuery, WebhookStatus,
};
use customer_model::{PageRequest, TimeRange, Timestamp};
use jiff::tz::TimeZone;
use serde_json::Value;

use super::errors::{
    EXISTS, ID_IS_INVALID, INVALID_DELIVERY_URL, INVALID_ID_DELETE, INVALID_ID_GET,
    INVALID_TOPIC_CREATE, INVALID_TOPIC_UPDATE, TRASH_NOT_SUPPORTED, error,
};
use super::parse_topic;
use crate::catalogue::{ParamKind, Parameter};
use crate::php::sanitize_text_field;
use crate::wc_rest::Version;
use crate::wc_rest::decode::{
    Params, as_boolean, as_integer, check_context, check_date, check_enum, check_id_list,
    check_integer, check_string,
};
use crate::wc_rest::errors::{ParamError, RestError};
use crate::wc_rest::pagination::Pagination;

/// An endpoint of the webhooks resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEndpoint {
    /// `/webhooks`: list (GET) and create (POST).
    Collection,
    /// `/webhooks/{id}`: retrieve, update, delete.
    Item(i64),
    /// `/webhooks/batch`.
    Batch,
}

impl WebhookEndpoint {
    /// The methods registered for the endpoint (HEAD is answered by the GET handler).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Self::Collection => &["GET", "POST"],
            Self::Item(_) => &["GET", "POST", "PUT", "PATCH", "DELETE"],
            Self::Batch => &["POST", "PUT", "PATCH"],
        }
    }

    /// Whether `method` (upper case, after overrides) has a handler here.
    pub fn accepts(self, method: &str) -> bool {
        let method = if method == "HEAD" { "GET" } else { method };
        self.methods().contains(&method)
    }
}

/// A matched webhooks route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRoute {
    /// `wc/v2` or `wc/v3`.
    pub version: Version,
    /// Which endpoint.
    pub endpoint: WebhookEndpoint,
}

/// Matches `/wc/v3/webhooks…` as WordPress matches routes (case-insensitively, a
/// trailing slash ignored, ids of digits).
pub fn parse_route(route: &str) -> Option<WebhookRoute> {
    let route = route
        .strip_suffix('/')
        .unwrap_or(route)
        .to_ascii_lowercase();
    let mut segments = route.strip_prefix("/wc/")?.split('/');
    let version = match segments.next()? {
        "v2" => Version::V2,
        "v3" => Version::V3,
        _ => return None,
    };
    if segments.next()? != "webhooks" {
        return None;
    }
    let rest: Vec<&str> = segments.collect();
    let endpoint = match rest.as_slice() {
        [] => WebhookEndpoint::Collection,
        ["batch"] => WebhookEndpoint::Batch,
        [id] if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            WebhookEndpoint::Item(id.parse().ok()?)
        }
        _ => return None,
    };
    Some(WebhookRoute { version, endpoint })
}

const CONTEXTS: [&str; 2] = ["view", "edit"];
const ORDERS: [&str; 2] = ["asc", "desc"];
const ORDER_BYS: [&str; 3] = ["date", "id", "title"];
/// `status` of the list: `all` or a webhook status.
pub const STATUS_FILTERS: [&str; 4] = ["all", "active", "paused", "disabled"];
/// A webhook's statuses.
pub const STATUSES: [&str; 3] = ["active", "paused", "disabled"];
/// The largest `per_page`.
pub const MAX_PER_PAGE: i64 = 100;

/// The parameters of `GET /webhooks`.
pub const LIST_PARAMETERS: [Parameter; 13] = [
    Parameter {
        name: "context",
        kind: ParamKind::OneOf(&CONTEXTS),
        default: Some("view"),
        required: false,
        description: "Scope under which the request is made; `edit` adds `secret`.",
    },
    Parameter {
        name: "page",
        kind: ParamKind::Integer {
            min: Some(1),
            max: None,
        },
        default: Some("1"),
        required: false,
        description: "Current page of the collection.",
    },
    Parameter {
        name: "per_page",
        kind: ParamKind::Integer {
            min: Some(1),
            max: Some(MAX_PER_PAGE),
        },
        default: Some("10"),
        required: false,
        description: "Maximum number of items to be returned in result set.",
    },
    Parameter {
        name: "search",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "Limit results to those whose name contains a string.",
    },
    Parameter {
        name: "after",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "Limit response to webhooks created on or after a given ISO8601 compliant date (GMT without an offset).",
    },
    Parameter {
        name: "before",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "Limit response to webhooks created on or before a given ISO8601 compliant date (GMT without an offset).",
    },
    Parameter {
        name: "exclude",
        kind: ParamKind::IdList,
        default: None,
        required: false,
        description: "Ensure result set excludes specific IDs.",
    },
    Parameter {
        name: "include",
        kind: ParamKind::IdList,
        default: None,
        required: false,
        description: "Limit result set to specific IDs.",
    },
    Parameter {
        name: "offset",
        kind: ParamKind::Integer {
            min: None,
            max: None,
        },
        default: None,
        required: false,
        description: "Offset the result set by a specific number of items.",
    },
    Parameter {
        name: "order",
        kind: ParamKind::OneOf(&ORDERS),
        default: Some("desc"),
        required: false,
        description: "Order sort attribute ascending or descending.",
    },
    Parameter {
        name: "orderby",
        kind: ParamKind::OneOf(&ORDER_BYS),
        default: Some("date"),
        required: false,
        description: "Sort collection by object attribute.",
    },
    Parameter {
        name: "status",
        kind: ParamKind::OneOf(&STATUS_FILTERS),
        default: Some("all"),
        required: false,
        description: "Limit result set to webhooks assigned a specific status.",
    },
    Parameter {
        name: "_fields",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "Limit response to specific fields (WordPress's global parameter).",
    },
];

/// The validated parameters of `GET /webhooks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookList {
    /// `page` (1-based).
    pub page: u64,
    /// `per_page`.
    pub per_page: u64,
    /// `offset`, when non-zero (it then overrides `page`).
    pub offset: u64,
    /// `context=edit`.
    pub edit: bool,
    /// The store query.
    pub query: WebhookQuery,
}

impl WebhookList {
    /// The rows to skip.
    pub fn skip(&self) -> u64 {
        if self.offset != 0 {
            self.offset
        } else {
            (self.page - 1).saturating_mul(self.per_page)
        }
    }

    /// The pagination figures for `total` matches, as WooCommerce computes them.
    pub fn pagination(&self, total: u64) -> Pagination {
        let total_pages = PageRequest::page_count(total, self.per_page);
        let skip = self.skip();
        let page = skip / self.per_page + 1 + u64::from(!skip.is_multiple_of(self.per_page));
        Pagination {
            total,
            total_pages,
            prev: (page > 1).then(|| (page - 1).min(total_pages)),
            next: (total_pages > page).then_some(page + 1),
        }
    }

    /// The request's query parameters for `Link` URLs (sanitised ones re-emitted).
    pub fn link_pairs(&self, params: &Params) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for (name, value) in params {
            match name.as_str() {
                "page" => pairs.push((name.clone(), self.page.to_string())),
                "per_page" => pairs.push((name.clone(), self.per_page.to_string())),
                "offset" => pairs.push((name.clone(), self.offset.to_string())),
                "include" | "exclude" => {
                    let ids = if name == "include" {
                        &self.query.include
                    } else {
                        &self.query.exclude
                    };
                    for (i, id) in ids.iter().enumerate() {
                        pairs.push((format!("{name}[{i}]"), id.to_string()));
                    }
                }
                _ => crate::wc_rest::pagination::flatten(name, value, &mut pairs),
            }
        }
        pairs
    }
}

/// Validates the list parameters; every failure is reported together.
pub fn decode_list(params: &Params) -> Result<WebhookList, RestError> {
    let mut errors = Vec::new();
    let mut list = WebhookList {
        page: 1,
        per_page: 10,
        offset: 0,
        edit: false,
        query: WebhookQuery {
            status: None,
            search: None,
            include: Vec::new(),
            exclude: Vec::new(),
            created: TimeRange::default(),
            order_by: WebhookOrder::Date,
            descending: true,
            page: PageRequest::page(1, 10),
        },
    };
    check_context(params, &CONTEXTS, &mut errors);
    list.edit = params.get("context").and_then(Value::as_str) == Some("edit");
    if let Some(value) = params.get("page")
        && let Some(page) = check_integer("page", value, &mut errors)
    {
        if page < 1 {
            errors.push(ParamError::out_of_bounds(
                "page",
                "page must be greater than or equal to 1".into(),
            ));
        } else {
            list.page = page.unsigned_abs();
        }
    }
    if let Some(value) = params.get("per_page")
        && let Some(per_page) = check_integer("per_page", value, &mut errors)
    {
        if (1..=MAX_PER_PAGE).contains(&per_page) {
            list.per_page = per_page.unsigned_abs();
        } else {
            errors.push(ParamError::out_of_bounds(
                "per_page",
                "per_page must be between 1 (inclusive) and 100 (inclusive)".into(),
            ));
        }
    }
    if let Some(value) = params.get("search") {
        list.query.search = check_string("search", value, &mut errors)
            .map(|s| sanitize_text_field(&s))
            .filter(|s| !s.is_empty());
    }
    // WooCommerce compares both with `date_created_gmt`, so a date without an offset is
    // GMT; the parsing is the customers list's. Its dates hold whole seconds and both
    // ends are included (`BETWEEN`): `before` covers its whole second.
    if let Some(value) = params.get("after") {
        list.query.created.from =
            check_date("after", value, &TimeZone::UTC, &mut errors).map(start_of_second);
    }
    if let Some(value) = params.get("before") {
        list.query.created.to =
            check_date("before", value, &TimeZone::UTC, &mut errors).map(end_of_second);
    }
    if let Some(value) = params.get("exclude") {
        list.query.exclude = check_id_list("exclude", value, &mut errors);
    }
    if let Some(value) = params.get("include") {
        list.query.include = check_id_list("include", value, &mut errors);
    }
    if let Some(value) = params.get("offset")
        && let Some(offset) = check_integer("offset", value, &mut errors)
    {
        list.offset = offset.unsigned_abs();
    }
    if let Some(value) = params.get("order")
        && let Some(i) = check_enum("order", value, &ORDERS, &mut errors)
    {
        list.query.descending = i == 1;
    }
    if let Some(value) = params.get("orderby")
        && let Some(i) = check_enum("orderby", value, &ORDER_BYS, &mut errors)
    {
        list.query.order_by = [WebhookOrder::Date, WebhookOrder::Id, WebhookOrder::Name][i];
    }
    if let Some(value) = params.get("status")
        && let Some(i) = check_enum("status", value, &STATUS_FILTERS, &mut errors)
    {
        list.query.status = WebhookStatus::parse(STATUS_FILTERS[i]);
    }
    if !errors.is_empty() {
        return Err(RestError::invalid_params(errors));
    }
    list.query.page = PageRequest {
        offset: list.skip(),
        limit: Some(list.per_page),
    };
    Ok(list)
}

/// The first instant of the second holding `at`.
fn start_of_second(at: Timestamp) -> Timestamp {
    let second = at.as_second() - i64::from(at.subsec_nanosecond() < 0);
    Timestamp::from_second(second).unwrap_or(at)
}

/// The last instant of the second holding `at`.
fn end_of_second(at: Timestamp) -> Timestamp {
    start_of_second(at)
        .checked_add(jiff::SignedDuration::from_nanos(999_999_999))
        .unwrap_or(Timestamp::MAX)
}

/// PHP's `empty()` of a request value.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty() || s == "0",
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
    }
}

/// A request value as PHP would print it (strings as they are, numbers as digits).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The argument types of create and update (WordPress validates them before the
/// controller runs): strings, and `status` one of [`STATUSES`].
fn check_arguments(params: &Params, errors: &mut Vec<ParamError>) {
    for name in ["name", "topic", "secret", "delivery_url"] {
        if let Some(value) = params.get(name) {
            check_string(name, value, errors);
        }
    }
    if let Some(value) = params.get("status") {
        check_enum("status", value, &STATUSES, errors);
    }
}

/// `wc_is_valid_url`: `http://` or `https://`, then a URL PHP's `FILTER_VALIDATE_URL`
/// accepts (a host, no spaces or control characters).
pub fn is_valid_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| &h[1..])
            .unwrap_or_default()
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            Some(_) => return false,
            None => host_port,
        }
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}

/// What a create needs besides the request: the defaults WooCommerce makes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateDefaults {
    /// The name when none is given.
    pub name: String,
    /// The secret when none is given.
    pub secret: String,
}

/// `Webhook created on <date>` as WooCommerce names an unnamed webhook (UTC, PHP's
/// `M d, Y @ h:i A`).
pub fn default_name(now: Timestamp) -> String {
    format!(
        "Webhook created on {}",
        now.strftime("%b %d, %Y @ %I:%M %p")
    )
}

/// The characters of `wp_generate_password( 50, true, true )`.
pub const SECRET_ALPHABET: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|";
/// The length of a generated secret.
pub const SECRET_LENGTH: usize = 50;

/// `POST /webhooks` as WordPress checks it before the controller runs: the required
/// arguments, then their types.
pub fn validate_create(params: &Params) -> Result<(), RestError> {
    let missing: Vec<&str> = ["topic", "delivery_url"]
        .into_iter()
        .filter(|name| params.get(*name).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Err(RestError::missing_params(&missing));
    }
    let mut errors = Vec::new();
    check_arguments(params, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RestError::invalid_params(errors))
    }
}

/// The controller's create checks (an `id`, the topic, the URL; batch items get only
/// these) and the webhook to store. The status asked for is not used: a webhook created
/// through the API starts active, as WooCommerce's does.
pub fn decode_create(
    params: &Params,
    version: Version,
    defaults: CreateDefaults,
) -> Result<NewWebhook, RestError> {
    check_create(params)?;
    let event = params
        .get("topic")
        .and_then(Value::as_str)
        .and_then(parse_topic)
        .ok_or_else(|| error(&INVALID_TOPIC_CREATE))?;
    let delivery_url = params
        .get("delivery_url")
        .map(text_of)
        .filter(|url| is_valid_url(url))
        .ok_or_else(|| error(&INVALID_DELIVERY_URL))?;
    let name = if is_empty(params.get("name")) {
        defaults.name
    } else {
        params.get("name").map(text_of).unwrap_or_default()
    };
    let secret = if is_empty(params.get("secret")) {
        defaults.secret
    } else {
        params.get("secret").map(text_of).unwrap_or_default()
    };
    Ok(NewWebhook {
        name,
        status: WebhookStatus::Active,
        event,
        delivery_url,
        secret,
        api_version: match version {
            Version::V2 => 2,
            Version::V3 => 3,
        },
    })
}

fn check_create(params: &Params) -> Result<(), RestError> {
    if !is_empty(params.get("id")) {
        return Err(error(&EXISTS));
    }
    Ok(())
}

/// Argument types of `POST|PUT|PATCH /webhooks/{id}` (before the permission check).
pub fn validate_update(params: &Params) -> Result<(), RestError> {
    let mut errors = Vec::new();
    check_arguments(params, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RestError::invalid_params(errors))
    }
}

/// The controller's update checks, in its order: topic, URL, secret, status, name
/// (empty values leave a field as it is).
pub fn decode_update(params: &Params) -> Result<WebhookPatch, RestError> {
    validate_update(params)?;
    let mut patch = WebhookPatch::default();
    if !is_empty(params.get("topic")) {
        let topic = params.get("topic").map(text_of).unwrap_or_default();
        patch.event = Some(parse_topic(&topic).ok_or_else(|| error(&INVALID_TOPIC_UPDATE))?);
    }
    if !is_empty(params.get("delivery_url")) {
        let url = params.get("delivery_url").map(text_of).unwrap_or_default();
        if !is_valid_url(&url) {
            return Err(error(&INVALID_DELIVERY_URL));
        }
        patch.delivery_url = Some(url);
    }
    if !is_empty(params.get("secret")) {
        patch.secret = params.get("secret").map(text_of);
    }
    if !is_empty(params.get("status")) {
        patch.status = params
            .get("status")
            .and_then(Value::as_str)
            .and_then(WebhookStatus::parse);
    }
    if !is_empty(params.get("name")) {
        patch.name = params.get("name").map(text_of);
    }
    Ok(patch)
}

/// `context` of `GET /webhooks/{id}`; `true` for `edit`.
pub fn decode_retrieve(params: &Params) -> Result<bool, RestError> {
    let mut errors = Vec::new();
    check_context(params, &CONTEXTS, &mut errors);
    if !errors.is_empty() {
        return Err(RestError::invalid_params(errors));
    }
    Ok(params.get("context").and_then(Value::as_str) == Some("edit"))
}

/// `force` of `DELETE /webhooks/{id}` (a boolean, false when absent).
pub fn decode_delete(params: &Params) -> Result<bool, RestError> {
    match params.get("force") {
        None => Ok(false),
        Some(value) => as_boolean(value).ok_or_else(|| {
            RestError::invalid_params(vec![ParamError::not_of_type("force", "force", "boolean")])
        }),
    }
}

/// `501`: a delete without `force=true` (webhooks have no trash).
pub fn trash_not_supported() -> RestError {
    error(&TRASH_NOT_SUPPORTED)
}

/// `404`: retrieve of id 0.
pub fn invalid_id_get() -> RestError {
    error(&INVALID_ID_GET)
}

/// The error of a webhook that does not exist, by operation.
pub fn missing(operation: Missing) -> RestError {
    match operation {
        Missing::Answer | Missing::Update => error(&ID_IS_INVALID),
        Missing::Delete => error(&INVALID_ID_DELETE),
    }
}

/// Which operation did not find its webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Retrieve (WooCommerce answers 400 from `prepare_item_for_response`).
    Answer,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

/// The `id` of a batch update item, as an integer (`0` when it is not one).
pub fn item_id(params: &Params) -> i64 {
    params.get("id").and_then(as_integer).unwrap_or(0)
}

/// The events a topic may name (for documents).
pub fn topics() -> Vec<String> {
    CustomerEvent::ALL.into_iter().map(super::topic).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Params {
        value.as_object().cloned().unwrap_or_default()
    }

    fn defaults() -> CreateDefaults {
        CreateDefaults {
            name: "Webhook created on Jan 02, 2024 @ 03:04 PM".into(),
            secret: "s".repeat(50),
        }
    }

    #[test]
    fn routes_match() {
        let route = |text| parse_route(text).map(|r| (r.version, r.endpoint));
        assert_eq!(
            route("/wc/v3/webhooks"),
            Some((Version::V3, WebhookEndpoint::Collection))
        );
        assert_eq!(
            route("/wc/V2/Webhooks/12/"),
            Some((Version::V2, WebhookEndpoint::Item(12)))
        );
        assert_eq!(
            route("/wc/v3/webhooks/batch"),
            Some((Version::V3, WebhookEndpoint::Batch))
        );
        for none in [
            "/wc/v1/webhooks",
            "/wc/v3/webhooks/x",
            "/wc/v3/webhooks/1/2",
        ] {
            assert_eq!(parse_route(none), None, "{none}");
        }
    }

    #[test]
    fn creates_are_checked_in_woocommerces_order() {
        let missing = validate_create(&params(json!({}))).unwrap_err();
        assert_eq!(missing.code, "rest_missing_callback_param");
        assert_eq!(missing.message, "Missing parameter(s): topic, delivery_url");
        let typed = validate_create(&params(
            json!({"topic": ["x"], "delivery_url": "http://a", "status": "on"}),
        ))
        .unwrap_err();
        assert_eq!(typed.code, "rest_invalid_param");
        let topic = decode_create(
            &params(json!({"topic": "order.created", "delivery_url": "http://a"})),
            Version::V3,
            defaults(),
        )
        .unwrap_err();
        assert_eq!(
            (topic.status, topic.message.as_str()),
            (400, "Webhook topic is required and must be valid.")
        );
        let url = decode_create(
            &params(json!({"topic": "customer.created", "delivery_url": "ftp://a"})),
            Version::V3,
            defaults(),
        )
        .unwrap_err();
        assert_eq!(
            url.code,
            "woocommerce_rest_shop_webhook_invalid_delivery_url"
        );
        let made = decode_create(
            &params(
                json!({"topic": "Customer.Updated", "delivery_url": "http://a:8080/x",
                           "status": "paused", "name": ""}),
            ),
            Version::V2,
            defaults(),
        )
        .unwrap();
        assert_eq!(made.event, CustomerEvent::Updated);
        assert_eq!(made.status, WebhookStatus::Active);
        assert_eq!(made.api_version, 2);
        assert_eq!(made.name, defaults().name);
        assert_eq!(made.secret.len(), 50);
    }

    #[test]
    fn urls_are_http_with_a_host() {
        for good in [
            "http://example.com",
            "https://127.0.0.1:8080/hook?a=1",
            "http://[::1]:9/x",
        ] {
            assert!(is_valid_url(good), "{good}");
        }
        for bad in [
            "example.com",
            "ftp://example.com",
            "http://",
            "http:///x",
            "http://exa mple.com",
            "http://host:port/",
        ] {
            assert!(!is_valid_url(bad), "{bad}");
        }
    }

    #[test]
    fn updates_change_what_is_not_empty() {
        let patch = decode_update(&params(
            json!({"status": "paused", "name": "", "secret": "k"}),
        ))
        .unwrap();
        assert_eq!(patch.status, Some(WebhookStatus::Paused));
        assert_eq!(patch.name, None);
        assert_eq!(patch.secret.as_deref(), Some("k"));
        let bad = decode_update(&params(json!({"topic": "coupon.created"}))).unwrap_err();
        assert_eq!(bad.message, "Webhook topic must be valid.");
    }

    #[test]
    fn lists_default_to_newest_first() {
        let list = decode_list(&Params::new()).unwrap();
        assert!(list.query.descending);
        assert_eq!(list.query.order_by, WebhookOrder::Date);
        let list = decode_list(&params(json!({"status": "paused", "per_page": "2",
                                              "page": "3", "orderby": "title"})))
        .unwrap();
        assert_eq!(list.query.status, Some(WebhookStatus::Paused));
        assert_eq!(list.query.page.offset, 4);
        assert_eq!(list.query.order_by, WebhookOrder::Name);
        let pages = list.pagination(5);
        assert_eq!(
            (pages.total_pages, pages.prev, pages.next),
            (3, Some(2), None)
        );
        assert_eq!(
            decode_list(&params(json!({"status": "gone"})))
                .unwrap_err()
                .code,
            "rest_invalid_param"
        );
    }

    #[test]
    fn lists_bound_creation_dates_in_gmt() {
        let list = decode_list(&params(json!({"after": "2024-01-02T03:04:05",
                                              "before": "2024-02-01T12:00:00+02:00"})))
        .unwrap();
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        assert_eq!(list.query.created.from, Some(at("2024-01-02T03:04:05Z")));
        assert_eq!(
            list.query.created.to,
            Some(at("2024-02-01T10:00:00.999999999Z"))
        );
        // Dates hold whole seconds, as WooCommerce's columns do.
        let list = decode_list(&params(json!({"after": "2024-01-02T03:04:05.75Z",
                                              "before": "1969-12-31T23:59:59.5Z"})))
        .unwrap();
        assert_eq!(list.query.created.from, Some(at("2024-01-02T03:04:05Z")));
        assert_eq!(
            list.query.created.to,
            Some(at("1969-12-31T23:59:59.999999999Z"))
        );
        let error = decode_list(&params(
            json!({"after": "yesterday", "before": 5, "page": "x"}),
        ))
        .unwrap_err()
        .to_json();
        assert_eq!(error["code"], "rest_invalid_param");
        for name in ["after", "before", "page"] {
            assert!(
                error["data"]["params"].get(name).is_some(),
                "{name}: {error}"
            );
        }
        assert_eq!(error["data"]["params"]["after"], "Invalid date.");
        assert!(
            decode_list(&Params::new())
                .unwrap()
                .query
                .created
                .is_unbounded()
        );
    }

    #[test]
    fn deletes_read_force() {
        assert!(!decode_delete(&Params::new()).unwrap());
        assert!(decode_delete(&params(json!({"force": "true"}))).unwrap());
        assert_eq!(
            decode_delete(&params(json!({"force": "x"})))
                .unwrap_err()
                .code,
            "rest_invalid_param"
        );
    }

    #[test]
    fn unnamed_webhooks_are_named_by_date() {
        let at: Timestamp = "2024-01-02T15:04:05Z".parse().unwrap();
        assert_eq!(
            default_name(at),
            "Webhook created on Jan 02, 2024 @ 03:04 PM"
        );
    }
}
