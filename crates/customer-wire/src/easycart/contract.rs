//! easycart's API as data ([`api`]): the parameters of the list and the single read
//! ([`LIST_PARAMETERS`], [`GET_PARAMETERS`], checked against the decoders), the item of
//! [`super::encode::ITEM_FIELDS`] and what `include` adds, and the catalogue.

use serde_json::{Map, Value, json};

use super::decode::{ALLOWED, FIRST_YEAR, INCLUDE_VALUES, LAST_YEAR};
use super::encode::ITEM_FIELDS;
use super::errors::CATALOGUE;
use super::{MAX_PAGE, PAGE_SIZE};
use crate::catalogue::{ParamKind, Parameter};
use crate::contract::{
    Api, HeaderDoc, Operation, PathParam, RETRY_AFTER, ResponseDoc, Route, error_responses,
    schema_ref,
};

/// The subscription statuses `subscription_status` accepts (the model's, checked by a
/// test).
pub const SUBSCRIPTION_STATUSES: [&str; 7] = [
    "active",
    "trialing",
    "past_due",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "unpaid",
];

/// A day from [`FIRST_YEAR`] to [`LAST_YEAR`] (the pattern holds the years; the format
/// the calendar).
const DAY_PATTERN: &str = "^(19[7-9][0-9]|2[01][0-9][0-9])-";

const CURRENCY: Parameter = Parameter {
    name: "currency",
    kind: ParamKind::Currency,
    default: None,
    required: true,
    description: "A lowercase ISO 4217 code (`usd`): money fields and membership are scoped to it.",
};

/// The parameters of `GET /api/v1/customers`.
pub const LIST_PARAMETERS: [Parameter; 7] = [
    CURRENCY,
    Parameter {
        name: "page",
        kind: ParamKind::Integer {
            min: Some(1),
            max: Some(MAX_PAGE as i64),
        },
        default: Some("1"),
        required: false,
        description: "The page, from 1.",
    },
    Parameter {
        name: "created_from",
        kind: ParamKind::Date(Some(DAY_PATTERN)),
        default: None,
        required: false,
        description: "Ordered (in the currency) on or after this day, `YYYY-MM-DD` in the site's time zone.",
    },
    Parameter {
        name: "created_to",
        kind: ParamKind::Date(Some(DAY_PATTERN)),
        default: None,
        required: false,
        description: "Ordered on or before this day; not before `created_from`.",
    },
    Parameter {
        name: "product",
        kind: ParamKind::Uuid,
        default: None,
        required: false,
        description: "Bought the product with this UUID.",
    },
    Parameter {
        name: "subscription_status",
        kind: ParamKind::OneOf(&SUBSCRIPTION_STATUSES),
        default: None,
        required: false,
        description: "Holds a subscription in this status.",
    },
    Parameter {
        name: "query",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "An e-mail address (primary or additional, any case), or words each found in the first or last name.",
    },
];

/// `include` as the decoder reads it: comma-separated values, each trimmed, blank ones
/// skipped. Written so that each character has one way to match (no backtracking blow-up
/// in a validator).
const INCLUDE_PATTERN: &str = "^\\s*(?:(?:orders|subscriptions|access|ltv)\\s*)?(?:,\\s*(?:(?:orders|subscriptions|access|ltv)\\s*)?)*$";

/// The parameters of `GET /api/v1/customers/{id}`.
pub const GET_PARAMETERS: [Parameter; 2] = [
    CURRENCY,
    Parameter {
        name: "include",
        kind: ParamKind::Pattern(INCLUDE_PATTERN),
        default: None,
        required: false,
        description: "A comma list of `orders`, `subscriptions`, `access`, `ltv`.",
    },
];

fn closed(properties: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = properties.iter().map(|(name, _)| *name).collect();
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

const INSTANT: &str = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}[+-]\\d{2}:\\d{2}$";

fn item_properties() -> Vec<(&'static str, Value)> {
    ITEM_FIELDS
        .iter()
        .map(|name| {
            let schema = match *name {
                "id" => json!({"type": "string", "format": "uuid"}),
                "name" | "avatar" => json!({"type": ["string", "null"]}),
                "email" | "currency" => json!({"type": "string"}),
                "first_seen" | "last_order" => {
                    json!({"type": ["string", "null"], "pattern": INSTANT})
                }
                "orders_count" | "subscriptions_count" => json!({"type": "integer", "minimum": 0}),
                "lifetime_value" => {
                    json!({"type": ["integer", "null"], "description": "Minor units."})
                }
                _ => json!({}),
            };
            (*name, schema)
        })
        .collect()
}

fn detail_schema() -> Value {
    let instant = json!({"type": "string", "pattern": INSTANT});
    let nullable_instant = json!({"type": ["string", "null"], "pattern": INSTANT});
    let order = closed(vec![
        ("id", json!({"type": "string", "format": "uuid"})),
        ("status", json!({"type": "string"})),
        ("total", json!({"type": "integer"})),
        ("refunded", json!({"type": "integer"})),
        ("currency", json!({"type": "string"})),
        ("created_at", instant.clone()),
        ("paid_at", nullable_instant.clone()),
        ("completed_at", nullable_instant.clone()),
        (
            "items",
            json!({"type": "array", "items": closed(vec![
                ("product", json!({"type": ["string", "null"]})),
                ("name", json!({"type": "string"})),
                ("quantity", json!({"type": "integer"})),
                ("total", json!({"type": "integer"})),
            ])}),
        ),
    ]);
    let subscription = closed(vec![
        ("id", json!({"type": "string", "format": "uuid"})),
        ("product", json!({"type": "string"})),
        (
            "status",
            json!({"type": "string", "enum": SUBSCRIPTION_STATUSES}),
        ),
        ("currency", json!({"type": "string"})),
        ("created_at", instant.clone()),
    ]);
    let access = closed(vec![
        ("product", json!({"type": "string"})),
        ("product_name", json!({"type": "string"})),
        (
            "file",
            closed(vec![
                ("id", json!({"type": "string"})),
                ("name", json!({"type": "string"})),
            ]),
        ),
        ("order", json!({"type": "string"})),
        ("downloads_remaining", json!({"type": ["integer", "null"]})),
        ("access_expires", nullable_instant),
        ("download_count", json!({"type": "integer"})),
    ]);
    let totals = closed(vec![
        ("orders", json!({"type": "integer"})),
        ("total", json!({"type": "integer"})),
        ("refunded", json!({"type": "integer"})),
    ]);
    let ltv = closed(vec![
        ("currency", json!({"type": "string"})),
        (
            "payment_statuses",
            json!({"type": "array", "items": {"type": "string"}}),
        ),
        ("payments", json!({"type": "integer"})),
        ("refunds", json!({"type": "integer"})),
        ("lifetime_value", json!({"type": "integer"})),
        (
            "by_status",
            json!({"type": "object", "additionalProperties": totals}),
        ),
    ]);
    let mut schema = closed(item_properties());
    let properties = schema["properties"]
        .as_object_mut()
        .expect("an object schema");
    properties.insert("orders".into(), json!({"type": "array", "items": order}));
    properties.insert(
        "subscriptions".into(),
        json!({"type": "array", "items": subscription}),
    );
    properties.insert("access".into(), json!({"type": "array", "items": access}));
    properties.insert("ltv".into(), ltv);
    schema["description"] =
        json!("A customer with what `include` asked for (each only when asked for).");
    schema
}

fn list_schema() -> Value {
    closed(vec![
        (
            "items",
            json!({"type": "array", "items": schema_ref("Customer"), "maxItems": PAGE_SIZE}),
        ),
        (
            "pagination",
            closed(vec![
                ("current_page", json!({"type": "integer", "minimum": 1})),
                ("total_pages", json!({"type": "integer", "minimum": 1})),
            ]),
        ),
    ])
}

fn store_schema() -> Value {
    closed(vec![
        (
            "currencies",
            json!({"type": "array", "items": {"type": "string"}}),
        ),
        ("default_currency", json!({"type": "string"})),
    ])
}

fn errors(statuses: &[u16]) -> Vec<ResponseDoc> {
    error_responses(&CATALOGUE, statuses, "Error", &[])
        .into_iter()
        .map(|response| match response.status {
            401 => response.with_required_headers(&["WWW-Authenticate"]),
            405 => response.with_required_headers(&["Allow"]),
            _ => response,
        })
        .collect()
}

const ERRORS: [u16; 8] = [400, 401, 403, 404, 405, 413, 500, 503];

fn get(id: &str, summary: &str, query: Vec<Parameter>, ok: ResponseDoc) -> Vec<Operation> {
    let mut responses = vec![ok];
    responses.extend(errors(&ERRORS));
    vec![Operation {
        method: "GET",
        id: id.into(),
        summary: summary.into(),
        description: String::new(),
        query,
        body: None,
        body_required: false,
        body_form: false,
        secured: true,
        responses,
    }]
}

/// The whole API as an [`Api`].
pub fn api() -> Api {
    let description = format!(
        "The easycart API v1, as clientele serves it. Every route answers `{ALLOWED}`; \
         lists have {PAGE_SIZE} customers a page, the customers who ordered most recently \
         first. Authentication: `Authorization: Bearer <token>`. Every problem of a query \
         string is reported together in one 400 `{{\"message\"}}`. Dates filter from \
         {FIRST_YEAR} to {LAST_YEAR}."
    );
    let include_note = format!("`include` takes {}.", INCLUDE_VALUES.join(", "));
    Api {
        blank_query_is_absent: true,
        title: "easycart API v1".into(),
        version: "v1".into(),
        description,
        docs_page: "docs/dialects/easycart-v1.md".into(),
        security_schemes: vec![(
            "bearer",
            json!({"type": "http", "scheme": "bearer", "description": "A token from `clientele keys create --kind bearer`."}),
        )],
        security: vec![vec!["bearer"]],
        schemas: vec![
            ("Customer", closed(item_properties())),
            ("CustomerDetail", detail_schema()),
            ("CustomerList", list_schema()),
            ("Store", store_schema()),
            (
                "Error",
                closed(vec![("message", json!({"type": "string"}))]),
            ),
        ],
        headers: vec![
            HeaderDoc {
                name: "WWW-Authenticate",
                description: "`Bearer`.",
                integer: false,
            },
            HeaderDoc {
                name: "Allow",
                description: "The methods the route answers.",
                integer: false,
            },
            RETRY_AFTER,
        ],
        routes: vec![
            Route {
                path: "/api/v1/customers".into(),
                path_params: Vec::new(),
                operations: get(
                    "listCustomers",
                    "List the customers who bought in a currency.",
                    LIST_PARAMETERS.to_vec(),
                    ResponseDoc::json(200, "One page of customers.", schema_ref("CustomerList")),
                ),
            },
            Route {
                path: "/api/v1/customers/{id}".into(),
                path_params: vec![PathParam {
                    name: "id",
                    schema: json!({"type": "string", "format": "uuid"}),
                    description: "The customer's UUID.",
                }],
                operations: {
                    let mut operations = get(
                        "getCustomer",
                        "Retrieve a customer in a currency.",
                        GET_PARAMETERS.to_vec(),
                        ResponseDoc::json(200, "The customer.", schema_ref("CustomerDetail")),
                    );
                    operations[0].description = include_note;
                    operations
                },
            },
            Route {
                path: "/api/v1/store".into(),
                path_params: Vec::new(),
                operations: get(
                    "getStore",
                    "The currencies orders were placed in, and the store's own.",
                    Vec::new(),
                    ResponseDoc::json(200, "The store.", schema_ref("Store")),
                ),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::easycart::decode::{GetRequest, ListRequest};
    use crate::php::Vars;
    use customer_model::SubscriptionStatus;

    #[test]
    fn statuses_are_the_models() {
        let model: Vec<&str> = SubscriptionStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(model, SUBSCRIPTION_STATUSES);
    }

    #[test]
    fn every_parameter_is_read_by_its_decoder() {
        let list = |query: &str| ListRequest::decode(&Vars::parse(query.as_bytes()));
        assert!(list("").is_err(), "currency is required");
        for param in LIST_PARAMETERS.iter().skip(1) {
            let bad = format!("currency=usd&{}[]=x", param.name);
            let error = list(&bad).unwrap_err();
            assert!(error.message.contains(param.name), "{}", param.name);
        }
        let get = |query: &str| GetRequest::decode(&Vars::parse(query.as_bytes()));
        assert!(get("").is_err());
        assert!(get("currency=usd&include=nothing").is_err());
        assert!(get("currency=usd&include=orders,ltv").is_ok());
    }
}
