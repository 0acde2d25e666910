//! Query parameters of the customers routes, validated like WordPress (every failure
//! collected, messages verbatim) and turned into a [`CustomerQuery`].
//!
//! Besides WooCommerce's own list parameters, clientele adds new names only: `q` (a
//! case-insensitive substring over names, e-mails, username, phone and addresses),
//! `created_after`, `created_before`, `modified_after`, `modified_before` (ISO 8601; the
//! site's time zone when no offset is given).

use customer_model::{
    AccountFilter, CustomerFilter, CustomerId, CustomerQuery, PageRequest, Role, SearchField,
    SortDirection, SortKey, TextSearch, TimeRange, Timestamp,
};
use jiff::tz::TimeZone;
use serde_json::Value;

use super::super::errors::{ParamError, RestError};
use super::values::{Params, as_boolean, as_integer, as_list};
use crate::catalogue::{ParamKind, Parameter};
use crate::php::sanitize_text_field;

/// `orderby` of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    /// `id`.
    Id,
    /// `include`: the order of the `include` list.
    Include,
    /// `name`: the display name (the default).
    Name,
    /// `registered_date`.
    RegisteredDate,
}

/// The validated parameters of `GET /customers`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListParams {
    /// `page` (1-based).
    pub page: u64,
    /// `per_page`, 1–100.
    pub per_page: u64,
    /// `offset`, when non-zero (it then overrides `page`).
    pub offset: u64,
    /// `search`, WooCommerce semantics.
    pub search: Option<String>,
    /// `include`.
    pub include: Vec<i64>,
    /// `exclude` (ignored when `include` is set).
    pub exclude: Vec<i64>,
    /// `order`.
    pub order: SortDirection,
    /// `orderby`.
    pub orderby: OrderBy,
    /// `email`: exact primary address.
    pub email: Option<String>,
    /// `role`: `None` for `all`.
    pub role: Option<Role>,
    /// Extension `q`.
    pub q: Option<String>,
    /// Extensions `created_after`/`created_before`.
    pub created: TimeRange,
    /// Extensions `modified_after`/`modified_before`.
    pub modified: TimeRange,
}

const CONTEXTS: [&str; 2] = ["view", "edit"];
const ORDERS: [&str; 2] = ["asc", "desc"];
const ORDER_BYS: [&str; 4] = ["id", "include", "name", "registered_date"];
/// `role`: `all` or a role slug.
pub const ROLE_VALUES: [&str; 8] = [
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
];
/// The largest `per_page`.
pub const MAX_PER_PAGE: i64 = 100;

/// The parameters of `GET /customers`, WooCommerce's and clientele's extensions.
pub const LIST_PARAMETERS: [Parameter; 17] = [
    Parameter {
        name: "context",
        kind: ParamKind::OneOf(&CONTEXTS),
        default: Some("view"),
        required: false,
        description: "Scope under which the request is made.",
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
        description: "Limit results to those matching a string.",
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
        default: Some("asc"),
        required: false,
        description: "Order sort attribute ascending or descending.",
    },
    Parameter {
        name: "orderby",
        kind: ParamKind::OneOf(&ORDER_BYS),
        default: Some("name"),
        required: false,
        description: "Sort collection by object attribute.",
    },
    Parameter {
        name: "email",
        kind: ParamKind::Email,
        default: None,
        required: false,
        description: "Limit result set to resources with a specific email.",
    },
    Parameter {
        name: "role",
        kind: ParamKind::OneOf(&ROLE_VALUES),
        default: Some("customer"),
        required: false,
        description: "Limit result set to resources with a specific role.",
    },
    Parameter {
        name: "q",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "clientele: a case-insensitive substring of names, e-mails, username, phone or addresses.",
    },
    Parameter {
        name: "created_after",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "clientele: created on or after (the site's time zone without an offset).",
    },
    Parameter {
        name: "created_before",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "clientele: created on or before.",
    },
    Parameter {
        name: "modified_after",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "clientele: last modified on or after.",
    },
    Parameter {
        name: "modified_before",
        kind: ParamKind::DateTime,
        default: None,
        required: false,
        description: "clientele: last modified on or before.",
    },
    Parameter {
        name: "_fields",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "Limit response to specific fields (WordPress's global parameter).",
    },
];

/// Validates `context` against `allowed` (absent is fine).
pub fn check_context(params: &Params, allowed: &[&str], errors: &mut Vec<ParamError>) {
    if let Some(value) = params.get("context") {
        check_enum("context", value, allowed, errors);
    }
}

pub(crate) fn check_enum(
    name: &str,
    value: &Value,
    allowed: &[&str],
    errors: &mut Vec<ParamError>,
) -> Option<usize> {
    match value {
        Value::String(s) => {
            let found = allowed.iter().position(|a| a == s);
            if found.is_none() {
                errors.push(ParamError::not_in_enum(name, allowed));
            }
            found
        }
        _ => {
            errors.push(ParamError::not_of_type(name, name, "string"));
            None
        }
    }
}

pub(crate) fn check_string(
    name: &str,
    value: &Value,
    errors: &mut Vec<ParamError>,
) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        _ => {
            errors.push(ParamError::not_of_type(name, name, "string"));
            None
        }
    }
}

pub(crate) fn check_integer(
    name: &str,
    value: &Value,
    errors: &mut Vec<ParamError>,
) -> Option<i64> {
    let parsed = as_integer(value);
    if parsed.is_none() {
        errors.push(ParamError::not_of_type(name, name, "integer"));
    }
    parsed
}

pub(crate) fn check_id_list(name: &str, value: &Value, errors: &mut Vec<ParamError>) -> Vec<i64> {
    let Some(items) = as_list(value) else {
        errors.push(ParamError::not_of_type(name, name, "array"));
        return Vec::new();
    };
    let mut ids = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match as_integer(item) {
            // absint; the most negative integer has no opposite and saturates.
            Some(id) => ids.push(id.saturating_abs()),
            None => {
                errors.push(ParamError::not_of_type(
                    name,
                    &format!("{name}[{i}]"),
                    "integer",
                ));
                return Vec::new();
            }
        }
    }
    // wp_parse_id_list: absint, unique.
    let mut unique = Vec::new();
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    unique
}

pub(crate) fn check_date(
    name: &str,
    value: &Value,
    timezone: &TimeZone,
    errors: &mut Vec<ParamError>,
) -> Option<Timestamp> {
    let text = check_string(name, value, errors)?;
    let parsed = parse_iso8601(&text, timezone);
    if parsed.is_none() {
        errors.push(ParamError::invalid_date(name));
    }
    parsed
}

/// An ISO 8601 date-time: with an offset (`Z`, `+02:00`) as given, without one in the
/// site's time zone; a bare date means its midnight.
pub fn parse_iso8601(text: &str, timezone: &TimeZone) -> Option<Timestamp> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        text.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    civil.to_zoned(timezone.clone()).ok().map(|z| z.timestamp())
}

/// Validates and sanitises the list parameters; every failure is reported together.
pub fn decode_list(params: &Params, timezone: &TimeZone) -> Result<ListParams, RestError> {
    let mut errors = Vec::new();
    let mut list = ListParams {
        page: 1,
        per_page: 10,
        offset: 0,
        search: None,
        include: Vec::new(),
        exclude: Vec::new(),
        order: SortDirection::Ascending,
        orderby: OrderBy::Name,
        email: None,
        role: Some(Role::Customer),
        q: None,
        created: TimeRange::default(),
        modified: TimeRange::default(),
    };
    check_context(params, &CONTEXTS, &mut errors);
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
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(ParamError::out_of_bounds(
                "per_page",
                "per_page must be between 1 (inclusive) and 100 (inclusive)".into(),
            ));
        } else {
            list.per_page = per_page.unsigned_abs();
        }
    }
    if let Some(value) = params.get("search") {
        list.search = check_string("search", value, &mut errors)
            .map(|s| sanitize_text_field(&s))
            .filter(|s| !s.is_empty());
    }
    if let Some(value) = params.get("exclude") {
        list.exclude = check_id_list("exclude", value, &mut errors);
    }
    if let Some(value) = params.get("include") {
        list.include = check_id_list("include", value, &mut errors);
    }
    if let Some(value) = params.get("offset")
        && let Some(offset) = check_integer("offset", value, &mut errors)
    {
        list.offset = offset.unsigned_abs();
    }
    if let Some(value) = params.get("order")
        && let Some(i) = check_enum("order", value, &ORDERS, &mut errors)
    {
        list.order = [SortDirection::Ascending, SortDirection::Descending][i];
    }
    if let Some(value) = params.get("orderby")
        && let Some(i) = check_enum("orderby", value, &ORDER_BYS, &mut errors)
    {
        list.orderby = [
            OrderBy::Id,
            OrderBy::Include,
            OrderBy::Name,
            OrderBy::RegisteredDate,
        ][i];
    }
    if let Some(value) = params.get("email")
        && let Some(email) = check_string("email", value, &mut errors)
    {
        if customer_model::email::is_email(&email) {
            list.email = Some(email);
        } else {
            errors.push(ParamError::invalid_email("email"));
        }
    }
    if let Some(value) = params.get("role")
        && let Some(i) = check_enum("role", value, &ROLE_VALUES, &mut errors)
    {
        list.role = Role::parse(ROLE_VALUES[i]);
    }
    if let Some(value) = params.get("q") {
        list.q = check_string("q", value, &mut errors)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
    let mut dates = [None; 4];
    for (slot, name) in dates.iter_mut().zip([
        "created_after",
        "created_before",
        "modified_after",
        "modified_before",
    ]) {
        if let Some(value) = params.get(name) {
            *slot = check_date(name, value, timezone, &mut errors);
        }
    }
    list.created = TimeRange {
        from: dates[0],
        to: dates[1],
    };
    list.modified = TimeRange {
        from: dates[2],
        to: dates[3],
    };
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(RestError::invalid_params(errors))
    }
}

/// WooCommerce's column choice for `search` (§ user search): an `@` searches e-mails, a
/// number searches usernames and the id, anything else usernames, e-mails and display
/// names. WooCommerce always adds the display name. First/last names are not searched.
pub fn search_for(term: &str) -> TextSearch {
    let term = term.trim_matches('*');
    let numeric = !term.is_empty() && term.bytes().all(|b| b.is_ascii_digit());
    let fields = if term.contains('@') {
        vec![SearchField::Email, SearchField::DisplayName]
    } else if numeric {
        vec![SearchField::Username, SearchField::DisplayName]
    } else if term.starts_with("http://") || term.starts_with("https://") {
        // WordPress would search the user URL, which clientele does not keep.
        vec![SearchField::DisplayName]
    } else {
        vec![
            SearchField::Username,
            SearchField::Email,
            SearchField::DisplayName,
        ]
    };
    TextSearch {
        term: term.to_owned(),
        fields,
        match_id: numeric,
    }
}

impl ListParams {
    /// The rows to skip: `offset` when non-zero, else `(page − 1) × per_page`.
    pub fn skip(&self) -> u64 {
        if self.offset != 0 {
            self.offset
        } else {
            (self.page - 1).saturating_mul(self.per_page)
        }
    }

    /// The store query: registered customers only, WooCommerce's filters and sort.
    pub fn to_query(&self) -> CustomerQuery {
        let mut filter = CustomerFilter {
            accounts: AccountFilter::Registered,
            role: self.role,
            created: self.created,
            modified: self.modified,
            ..CustomerFilter::default()
        };
        if let Some(email) = &self.email {
            // `email` replaces `search`.
            filter.email = Some(email.clone());
        } else if let Some(search) = &self.search {
            filter.search.push(search_for(search));
        }
        if let Some(q) = &self.q {
            filter.search.push(TextSearch {
                term: q.clone(),
                fields: SearchField::ALL.to_vec(),
                match_id: false,
            });
        }
        if self.include.is_empty() {
            filter.exclude = self.exclude.iter().map(|id| CustomerId(*id)).collect();
        } else {
            filter.include = self.include.iter().map(|id| CustomerId(*id)).collect();
        }
        let sort = match self.orderby {
            OrderBy::Id => SortKey::Id,
            OrderBy::Include if !self.include.is_empty() => SortKey::IncludeOrder,
            // WordPress falls back to the login when `include` is empty.
            OrderBy::Include => SortKey::Username,
            OrderBy::Name => SortKey::DisplayName,
            OrderBy::RegisteredDate => SortKey::Created,
        };
        CustomerQuery {
            filter,
            sort,
            direction: self.order,
            page: PageRequest {
                offset: self.skip(),
                limit: Some(self.per_page),
            },
        }
    }
}

/// The route's `id` argument: an `id` parameter (body or query) overrides the path, as
/// WordPress's parameter precedence has it, and must be an integer.
pub fn route_id(params: &Params, path_id: i64) -> Result<i64, RestError> {
    match params.get("id") {
        None => Ok(path_id),
        Some(value) => as_integer(value).ok_or_else(|| {
            RestError::invalid_params(vec![ParamError::not_of_type("id", "id", "integer")])
        }),
    }
}

/// `context` of `GET /customers/{id}`: `view` or `edit`.
pub fn decode_retrieve(params: &Params) -> Result<(), RestError> {
    let mut errors = Vec::new();
    check_context(params, &CONTEXTS, &mut errors);
    finish(errors, ())
}

/// `context` of `GET /customers/{id}/downloads`: only `view`.
pub fn decode_downloads(params: &Params) -> Result<(), RestError> {
    let mut errors = Vec::new();
    check_context(params, &["view"], &mut errors);
    finish(errors, ())
}

/// The parameters of `DELETE /customers/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteParams {
    /// `force` (default false): must be true, customers have no trash.
    pub force: bool,
    /// `reassign` (default 0 = none).
    pub reassign: i64,
}

/// Validates `force` (a boolean) and `reassign` (an integer).
pub fn decode_delete(params: &Params) -> Result<DeleteParams, RestError> {
    let mut errors = Vec::new();
    let mut delete = DeleteParams {
        force: false,
        reassign: 0,
    };
    if let Some(value) = params.get("force") {
        match as_boolean(value) {
            Some(force) => delete.force = force,
            None => errors.push(ParamError::not_of_type("force", "force", "boolean")),
        }
    }
    if let Some(value) = params.get("reassign")
        && let Some(reassign) = check_integer("reassign", value, &mut errors)
    {
        delete.reassign = reassign;
    }
    finish(errors, delete)
}

fn finish<T>(errors: Vec<ParamError>, value: T) -> Result<T, RestError> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(RestError::invalid_params(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wc_rest::pagination::{Pagination, link_header};
    use serde_json::json;

    #[test]
    fn the_parameter_table_matches_the_decoder() {
        assert_eq!(&ROLE_VALUES[1..], Role::slugs().as_slice());
        for parameter in LIST_PARAMETERS {
            let bad = match parameter.kind {
                ParamKind::OneOf(_) => json!("not-a-value"),
                ParamKind::Integer { .. } => json!("x"),
                ParamKind::IdList => json!("1,x"),
                ParamKind::Email => json!("bad"),
                ParamKind::DateTime | ParamKind::Date(_) => json!("yesterday"),
                ParamKind::Boolean => json!("maybe"),
                ParamKind::Text | ParamKind::Uuid | ParamKind::Pattern(_) | ParamKind::Currency => {
                    continue;
                }
            };
            let mut one = Params::new();
            one.insert(parameter.name.to_owned(), bad);
            let error = decode_list(&one, &TimeZone::UTC).unwrap_err();
            assert!(
                error.to_json()["data"]["params"]
                    .get(parameter.name)
                    .is_some(),
                "{}",
                parameter.name
            );
            if let Some(default) = parameter.default {
                let mut one = Params::new();
                one.insert(parameter.name.to_owned(), json!(default));
                assert!(
                    decode_list(&one, &TimeZone::UTC).is_ok(),
                    "{}",
                    parameter.name
                );
            }
        }
    }

    fn params(value: Value) -> Params {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_follow_woocommerce() {
        let list = decode_list(&Params::new(), &TimeZone::UTC).unwrap();
        let query = list.to_query();
        assert_eq!(query.filter.role, Some(Role::Customer));
        assert_eq!(query.filter.accounts, AccountFilter::Registered);
        assert_eq!(query.sort, SortKey::DisplayName);
        assert_eq!(
            query.page,
            PageRequest {
                offset: 0,
                limit: Some(10)
            }
        );
    }

    #[test]
    fn every_failure_is_reported() {
        let error = decode_list(
            &params(json!({"per_page": "0", "page": "0", "orderby": "ID", "include": "1,x", "email": "bad"})),
            &TimeZone::UTC,
        )
        .unwrap_err();
        let body = error.to_json();
        assert_eq!(
            body["message"],
            "Invalid parameter(s): page, per_page, include, orderby, email"
        );
        assert_eq!(
            body["data"]["params"]["include"],
            "include[1] is not of type integer."
        );
        assert_eq!(
            body["data"]["params"]["orderby"],
            "orderby is not one of id, include, name, and registered_date."
        );
    }

    #[test]
    fn search_columns_depend_on_the_term() {
        assert_eq!(
            search_for("a@b").fields,
            [SearchField::Email, SearchField::DisplayName]
        );
        assert!(search_for("42").match_id);
        assert_eq!(search_for("*john*").term, "john");
    }

    #[test]
    fn ids_beyond_the_integers_do_not_overflow() {
        let list = decode_list(
            &params(json!({"exclude": "-148914839519210700800,-3"})),
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(list.to_query().filter.exclude.len(), 2);
    }

    #[test]
    fn include_disables_exclude_and_email_overrides_search() {
        let list = decode_list(
            &params(json!({"include": [3, 1], "exclude": "1", "search": "x", "email": "a@b.co", "orderby": "include"})),
            &TimeZone::UTC,
        )
        .unwrap();
        let query = list.to_query();
        assert!(query.filter.exclude.is_empty());
        assert!(query.filter.search.is_empty());
        assert_eq!(query.sort, SortKey::IncludeOrder);
    }

    #[test]
    fn pagination_past_the_end_points_back() {
        let list = decode_list(&params(json!({"page": "3"})), &TimeZone::UTC).unwrap();
        let pages = list.pagination(5);
        assert_eq!(
            pages,
            Pagination {
                total: 5,
                total_pages: 1,
                prev: Some(1),
                next: None
            }
        );
        let link = link_header(
            "http://example.com/wp-json/wc/v3/customers",
            &[("page".into(), "3".into())],
            &pages,
        );
        assert_eq!(
            link.as_deref(),
            Some("<http://example.com/wp-json/wc/v3/customers?page=1>; rel=\"prev\"")
        );
    }

    #[test]
    fn dates_without_offset_use_the_site_zone() {
        let warsaw = TimeZone::get("Europe/Warsaw").unwrap();
        let at = parse_iso8601("2026-01-01T01:00:00", &warsaw).unwrap();
        assert_eq!(at.to_string(), "2026-01-01T00:00:00Z");
        assert!(parse_iso8601("yesterday", &warsaw).is_none());
    }

    #[test]
    fn a_parameter_id_overrides_the_path() {
        assert_eq!(route_id(&Params::new(), 5), Ok(5));
        assert_eq!(route_id(&params(json!({"id": "7"})), 5), Ok(7));
        assert_eq!(
            route_id(&params(json!({"id": "abc"})), 5)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn delete_force_is_a_boolean() {
        assert!(
            decode_delete(&params(json!({"force": "True"})))
                .unwrap()
                .force
        );
        assert_eq!(
            decode_delete(&params(json!({"force": "yes"})))
                .unwrap_err()
                .to_json()["data"]["params"]["force"],
            "force is not of type boolean."
        );
    }
}
