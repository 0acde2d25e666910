//! The legacy API's customers resource as data ([`api`]): its routes, the `filter[…]`
//! parameters the decoder reads ([`LIST_PARAMETERS`], [`ORDERS_PARAMETERS`]), the
//! bodies, the objects of [`CUSTOMER_FIELDS`] and the error catalogue.
//!
//! The original reads its list parameters leniently (`absint`, PHP's date parsing, any
//! `order` other than `asc` is descending), so they are documented as text: a value
//! of any shape is accepted, as it is by WooCommerce.

use serde_json::{Map, Value, json};

use super::errors::{AUTHENTICATION, CATALOGUE};
use super::{BULK_LIMIT, DEFAULT_PAGE_SIZE};
use crate::catalogue::{CatalogueEntry, ParamKind, Parameter};
use crate::contract::{
    Api, HeaderDoc, Operation, PathParam, RETRY_AFTER, ResponseDoc, Route, error_responses,
    object_or_ignored, schema_ref, with_max_chars,
};

use super::encode::CUSTOMER_FIELDS;

const fn text(name: &'static str, description: &'static str) -> Parameter {
    Parameter {
        name,
        kind: ParamKind::Text,
        default: None,
        required: false,
        description,
    }
}

/// The list and count parameters, as `decode_list` reads them.
pub const LIST_PARAMETERS: [Parameter; 9] = [
    text(
        "filter[role]",
        "A role slug (default `customer`), or `all`; a comma list matches customers that have every role named.",
    ),
    text(
        "filter[q]",
        "WordPress's user search: with `@` the e-mail, a number the username and the id, else username, e-mail and display name; `*` at either end is a wildcard.",
    ),
    text(
        "filter[limit]",
        "Customers per page (default 10); `-1` for all of them.",
    ),
    text("filter[offset]", "Customers to skip (overrides `page`)."),
    text(
        "filter[order]",
        "`asc` (default, any letter case), anything else is descending.",
    ),
    text(
        "filter[orderby]",
        "WordPress's user `orderby`: `registered` (default), `ID`, `display_name`, `login`, …",
    ),
    text(
        "filter[created_at_min]",
        "Created on or after this date (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`; offsets are ignored).",
    ),
    text("filter[created_at_max]", "Created on or before this date."),
    text("page", "The page (from 1) of `filter[limit]` customers."),
];

/// The parameters of `/customers/{id}/orders`, as `decode_orders_page` reads them.
pub const ORDERS_PARAMETERS: [Parameter; 2] = [
    text(
        "filter[limit]",
        "Orders per page (default 10); `-1` for all of them.",
    ),
    text("filter[offset]", "Orders to skip."),
];

fn strings_object(names: &[&str]) -> Value {
    let properties: Map<String, Value> = names
        .iter()
        .map(|name| ((*name).to_owned(), json!({"type": "string"})))
        .collect();
    // Nothing is required: a `fields` filter may name some of them (`billing.city`).
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

const ADDRESS: [&str; 11] = [
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

const UTC_DATE: &str = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$";

/// An object of the `fields` filter: every property unless `fields` names some.
fn fields_subset(properties: Map<String, Value>) -> Value {
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

fn closed(properties: Map<String, Value>) -> Value {
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The customer object, one property per entry of [`CUSTOMER_FIELDS`].
pub fn customer_schema() -> Value {
    let mut properties = Map::new();
    for name in CUSTOMER_FIELDS {
        let schema = match name {
            "id" => json!({"type": "integer"}),
            "created_at" | "last_update" => json!({"type": "string", "pattern": UTC_DATE}),
            "last_order_id" => json!({"type": ["integer", "null"]}),
            "last_order_date" => json!({"type": ["string", "null"], "pattern": UTC_DATE}),
            "orders_count" => json!({"type": "integer", "minimum": 0}),
            "billing_address" => strings_object(&ADDRESS),
            "shipping_address" => strings_object(&ADDRESS[..9]),
            _ => json!({"type": "string"}),
        };
        properties.insert(name.to_owned(), schema);
    }
    fields_subset(properties)
}

fn order_schema() -> Value {
    let money = json!({"type": "string"});
    let string = json!({"type": "string"});
    let line = closed(
        [
            ("id", json!({"type": "integer"})),
            ("subtotal", money.clone()),
            ("subtotal_tax", money.clone()),
            ("total", money.clone()),
            ("total_tax", money.clone()),
            ("price", money.clone()),
            ("quantity", json!({"type": "integer"})),
            ("tax_class", json!({"type": ["string", "null"]})),
            ("name", string.clone()),
            ("product_id", json!({"type": ["integer", "null"]})),
            ("sku", json!({"type": ["string", "null"]})),
            ("meta", json!({"type": "array"})),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let mut properties = Map::new();
    for (name, schema) in [
        ("id", json!({"type": "integer"})),
        ("order_number", json!({"type": "integer"})),
        ("order_key", string.clone()),
        ("created_at", json!({"type": "string", "pattern": UTC_DATE})),
        ("updated_at", json!({"type": "string", "pattern": UTC_DATE})),
        (
            "completed_at",
            json!({"type": "string", "pattern": UTC_DATE}),
        ),
        ("status", string.clone()),
        ("currency", string.clone()),
        ("total", money.clone()),
        ("subtotal", money.clone()),
        ("total_line_items_quantity", json!({"type": "integer"})),
        ("total_tax", money.clone()),
        ("total_shipping", money.clone()),
        ("cart_tax", money.clone()),
        ("shipping_tax", money.clone()),
        ("total_discount", money.clone()),
        ("shipping_methods", string.clone()),
        (
            "payment_details",
            closed(
                [
                    ("method_id", string.clone()),
                    ("method_title", string.clone()),
                    ("paid", json!({"type": "boolean"})),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            ),
        ),
        ("billing_address", strings_object(&ADDRESS)),
        ("shipping_address", strings_object(&ADDRESS[..9])),
        ("note", string.clone()),
        ("customer_ip", string.clone()),
        ("customer_user_agent", string.clone()),
        ("customer_id", json!({"type": "integer"})),
        ("view_order_url", string.clone()),
        ("line_items", json!({"type": "array", "items": line})),
        ("shipping_lines", json!({"type": "array"})),
        ("tax_lines", json!({"type": "array"})),
        ("fee_lines", json!({"type": "array"})),
        ("coupon_lines", json!({"type": "array"})),
        ("customer", schema_ref("Customer")),
    ] {
        properties.insert(name.to_owned(), schema);
    }
    fields_subset(properties)
}

fn download_schema() -> Value {
    closed(
        [
            ("download_url", json!({"type": "string"})),
            ("download_id", json!({"type": "string"})),
            ("product_id", json!({"type": "integer"})),
            ("download_name", json!({"type": "string"})),
            ("order_id", json!({"type": "integer"})),
            ("order_key", json!({"type": "string"})),
            (
                "downloads_remaining",
                json!({"type": "string", "description": "A count, or empty when unlimited."}),
            ),
            (
                "access_expires",
                json!({"type": ["string", "null"], "pattern": UTC_DATE}),
            ),
            ("file", strings_object(&["name", "file"])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
}

fn error_item() -> Value {
    closed(
        [
            ("code", json!({"type": "string"})),
            ("message", json!({"type": "string"})),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "The legacy API's error body.",
        "properties": {"errors": {"type": "array", "items": error_item(), "minItems": 1}},
        "required": ["errors"],
        "additionalProperties": false,
    })
}

/// A field a create or edit body may set: a scalar, as PHP casts it to text.
fn scalar() -> Value {
    json!({"type": ["string", "number", "boolean", "null"]})
}

fn address_input(names: &[&str]) -> Value {
    let properties: Map<String, Value> = names
        .iter()
        .map(|name| {
            let limited = |schema| with_max_chars(schema, &format!("address.{name}"));
            let schema = if *name == "email" {
                // WooCommerce refuses one `is_email` refuses (`customer_invalid_billing_email`);
                // an empty one (`""`, or `false` as PHP turns it into text) clears it.
                json!({"anyOf": [
                    limited(json!({"type": "string", "format": "email"})),
                    {"const": ""},
                    {"const": false},
                    {"type": "null"},
                ]})
            } else {
                limited(scalar())
            };
            ((*name).to_owned(), schema)
        })
        .collect();
    object_or_ignored(json!({"type": "object", "properties": properties}))
}

/// A create or edit body. An edit whose `customer` is a scalar or a list changes nothing
/// and succeeds (a `null` one is missing: `isset` is false); a create then misses its
/// `email`.
fn customer_input(create: bool) -> Value {
    let customer = customer_fields(create);
    let customer = if create {
        customer
    } else {
        json!({
            "anyOf": [
                customer,
                {"not": {"type": ["object", "null"]}, "description": "Read as no fields."},
            ],
        })
    };
    json!({
        "type": "object",
        "properties": {"customer": customer},
        "required": ["customer"],
    })
}

/// The customer object of [`customer_input`].
fn customer_fields(create: bool) -> Value {
    let mut properties = Map::new();
    for name in ["email", "first_name", "last_name", "username", "password"] {
        properties.insert(name.into(), with_max_chars(scalar(), name));
    }
    properties.insert("billing_address".into(), address_input(&ADDRESS));
    properties.insert("shipping_address".into(), address_input(&ADDRESS[..9]));
    let mut customer = json!({"type": "object", "properties": properties});
    // WooCommerce refuses an address `is_email` refuses (`customer_invalid_email`); an
    // edit without one (`null`) or with an empty one keeps the stored one.
    // (`false` is no address either, as PHP's `isset` and `empty` read it.)
    customer["properties"]["email"] = if create {
        customer["required"] = json!(["email"]);
        with_max_chars(json!({"type": "string", "format": "email"}), "email")
    } else {
        json!({"anyOf": [
            with_max_chars(json!({"type": "string", "format": "email"}), "email"),
            {"type": "null"},
            {"const": false},
            {"const": ""},
        ]})
    };
    if !create {
        // An edit never changes the username, so it is not read at all.
        customer["properties"]["username"] = scalar();
    }
    customer
}

/// A bulk body: `customers` is a list, or an object read by its values. Items are not
/// checked as a whole: one that fails (not an object, a bad field) is answered in place
/// with its error, so any item is accepted here.
fn bulk_input() -> Value {
    let mut item = customer_fields(false);
    item["properties"]["id"] =
        json!({"type": "integer", "description": "The customer to edit; absent or 0 creates one."});
    let item = json!({"anyOf": [item, {"description": "Anything else fails in place."}]});
    json!({
        "type": "object",
        "properties": {"customers": {
            "anyOf": [
                {"type": "array", "items": item},
                {"type": "object", "additionalProperties": item},
            ],
            "description": format!("At most {BULK_LIMIT} items (413 past it)."),
        }},
        "required": ["customers"],
    })
}

fn headers() -> Vec<HeaderDoc> {
    vec![
        HeaderDoc {
            name: "X-WC-Total",
            description: "Matches over all pages.",
            integer: true,
        },
        HeaderDoc {
            name: "X-WC-TotalPages",
            description: "Pages of `filter[limit]` matches.",
            integer: true,
        },
        HeaderDoc {
            name: "Link",
            description: "`first`, `prev`, `next` and `last` pages, where there are such pages.",
            integer: false,
        },
        HeaderDoc {
            name: "X-Content-Type-Options",
            description: "`nosniff` (JSONP answers).",
            integer: false,
        },
        HeaderDoc {
            name: "WWW-Authenticate",
            description: "`Basic realm=\"WooCommerce\"`, when a Basic authentication failed.",
            integer: false,
        },
        RETRY_AFTER,
    ]
}

fn errors(statuses: &[u16]) -> Vec<ResponseDoc> {
    let mut catalogue: Vec<CatalogueEntry> = CATALOGUE.to_vec();
    catalogue.push(AUTHENTICATION);
    error_responses(&catalogue, statuses, "Error", &[])
        .into_iter()
        .map(|response| match response.status {
            401 => response.with_headers(&["WWW-Authenticate"]),
            _ => response,
        })
        .collect()
}

fn envelope(name: &str, schema: Value) -> Value {
    json!({
        "type": "object",
        "properties": { name: schema },
        "required": [name],
        "additionalProperties": false,
    })
}

const PAGINATION: [&str; 2] = ["X-WC-Total", "X-WC-TotalPages"];

struct Spec {
    method: &'static str,
    id: &'static str,
    summary: &'static str,
    query: Vec<Parameter>,
    body: Option<Value>,
    ok: ResponseDoc,
    errors: &'static [u16],
}

fn operation(spec: Spec) -> Operation {
    let mut responses = vec![spec.ok];
    responses.extend(errors(spec.errors));
    Operation {
        method: spec.method,
        id: spec.id.into(),
        summary: spec.summary.into(),
        description: String::new(),
        query: spec.query,
        body_required: spec.body.is_some(),
        body_form: false,
        body: spec.body,
        secured: true,
        responses,
    }
}

/// The create answer's links, for stateful testing: the new customer read, edited,
/// deleted, its orders and downloads listed, by the `customer.id` answered.
fn created_links(response: ResponseDoc) -> ResponseDoc {
    let id = json!("$response.body#/customer/id");
    let mut response = response;
    for (name, operation_id) in [
        ("GetCustomer", "getCustomer"),
        ("EditCustomer", "editCustomer"),
        ("EditCustomerPatch", "editCustomer_patch"),
        ("EditCustomerPost", "editCustomer_post"),
        ("DeleteCustomer", "deleteCustomer"),
        ("ListCustomerOrders", "listCustomerOrders"),
        ("ListCustomerDownloads", "listCustomerDownloads"),
    ] {
        response = response.with_link(name, operation_id, &[("id", id.clone())]);
    }
    response
}

fn customer_ok(status: u16, description: &str) -> ResponseDoc {
    ResponseDoc::json(
        status,
        description,
        envelope("customer", schema_ref("Customer")),
    )
}

const READ_ERRORS: &[u16] = &[400, 401, 403, 404, 413, 500, 503];
const WRITE_ERRORS: &[u16] = &[400, 401, 403, 404, 413, 500, 503];

fn id_param() -> Vec<PathParam> {
    vec![PathParam {
        name: "id",
        // 0 matches the route and is refused (404, or 400 on an edit).
        schema: json!({"type": "integer", "minimum": 1}),
        description: "The customer's id.",
    }]
}

/// The whole API as an [`Api`].
pub fn api() -> Api {
    let base = "/wc-api/v3/customers";
    let edit = |method, id| {
        operation(Spec {
            method,
            id,
            summary: "Edit a customer (only the fields sent change).",
            query: Vec::new(),
            body: Some(customer_input(false)),
            ok: customer_ok(200, "The customer edited."),
            errors: WRITE_ERRORS,
        })
    };
    let bulk = |method, id| {
        let mut bulk = operation(Spec {
            method,
            id,
            summary: "Create and edit customers in one request (items with an `id` are edited).",
            query: Vec::new(),
            body: Some(bulk_input()),
            ok: ResponseDoc::json(
                200,
                "Each item's customer, or `{\"id\", \"error\"}` where it failed (201 when the first item was created).",
                schema_ref("BulkResult"),
            ),
            errors: WRITE_ERRORS,
        });
        // Whatever the method.
        bulk.responses.insert(
            1,
            ResponseDoc::json(
                201,
                "Each item's customer or error, when the first item was a create.",
                schema_ref("BulkResult"),
            ),
        );
        bulk
    };
    let bulk_post = bulk("POST", "bulkCustomers");
    let routes = vec![
        Route {
            path: base.into(),
            path_params: Vec::new(),
            operations: vec![
                operation(Spec {
                    method: "GET",
                    id: "listCustomers",
                    summary: "List customers (registered, role `customer` by default), oldest first.",
                    query: LIST_PARAMETERS.to_vec(),
                    body: None,
                    ok: ResponseDoc::json(
                        200,
                        "One page of customers.",
                        envelope(
                            "customers",
                            json!({"type": "array", "items": schema_ref("Customer")}),
                        ),
                    )
                    .with_required_headers(&PAGINATION)
                    .with_headers(&["Link"]),
                    errors: READ_ERRORS,
                }),
                operation(Spec {
                    method: "POST",
                    id: "createCustomer",
                    summary: "Create a customer.",
                    query: Vec::new(),
                    body: Some(customer_input(true)),
                    ok: created_links(customer_ok(201, "The customer created.")),
                    errors: WRITE_ERRORS,
                }),
            ],
        },
        Route {
            path: format!("{base}/count"),
            path_params: Vec::new(),
            operations: vec![operation(Spec {
                method: "GET",
                id: "countCustomers",
                summary: "Count the customers the list's filters match.",
                query: LIST_PARAMETERS.to_vec(),
                body: None,
                ok: ResponseDoc::json(
                    200,
                    "The count.",
                    envelope("count", json!({"type": "integer", "minimum": 0})),
                ),
                errors: READ_ERRORS,
            })],
        },
        Route {
            path: format!("{base}/bulk"),
            path_params: Vec::new(),
            operations: vec![
                bulk_post,
                bulk("PUT", "bulkCustomers_put"),
                bulk("PATCH", "bulkCustomers_patch"),
            ],
        },
        Route {
            path: format!("{base}/{{id}}"),
            path_params: id_param(),
            operations: vec![
                operation(Spec {
                    method: "GET",
                    id: "getCustomer",
                    summary: "Retrieve a customer.",
                    query: Vec::new(),
                    body: None,
                    ok: customer_ok(200, "The customer."),
                    errors: READ_ERRORS,
                }),
                edit("PUT", "editCustomer"),
                edit("PATCH", "editCustomer_patch"),
                edit("POST", "editCustomer_post"),
                operation(Spec {
                    method: "DELETE",
                    id: "deleteCustomer",
                    summary: "Delete a customer.",
                    query: Vec::new(),
                    body: None,
                    ok: ResponseDoc::json(
                        200,
                        "The customer is gone.",
                        envelope("message", json!({"const": "Permanently deleted customer"})),
                    ),
                    errors: WRITE_ERRORS,
                }),
            ],
        },
        Route {
            path: format!("{base}/email/{{email}}"),
            path_params: vec![PathParam {
                name: "email",
                schema: json!({"type": "string"}),
                description: "The customer's primary e-mail address.",
            }],
            operations: vec![operation(Spec {
                method: "GET",
                id: "getCustomerByEmail",
                summary: "Retrieve a customer by e-mail address.",
                query: Vec::new(),
                body: None,
                ok: customer_ok(200, "The customer."),
                errors: READ_ERRORS,
            })],
        },
        Route {
            path: format!("{base}/{{id}}/orders"),
            path_params: id_param(),
            operations: vec![operation(Spec {
                method: "GET",
                id: "listCustomerOrders",
                summary: "List a customer's orders, newest first.",
                query: ORDERS_PARAMETERS.to_vec(),
                body: None,
                ok: ResponseDoc::json(
                    200,
                    "The orders.",
                    envelope(
                        "orders",
                        json!({"type": "array", "items": schema_ref("Order")}),
                    ),
                )
                .with_required_headers(&PAGINATION)
                .with_headers(&["Link"]),
                errors: READ_ERRORS,
            })],
        },
        Route {
            path: format!("{base}/{{id}}/downloads"),
            path_params: id_param(),
            operations: vec![operation(Spec {
                method: "GET",
                id: "listCustomerDownloads",
                summary: "List a customer's downloads.",
                query: Vec::new(),
                body: None,
                ok: ResponseDoc::json(
                    200,
                    "The files the customer may download.",
                    envelope(
                        "downloads",
                        json!({"type": "array", "items": schema_ref("Download")}),
                    ),
                ),
                errors: READ_ERRORS,
            })],
        },
    ];
    let description = format!(
        "The customers resource of the WooCommerce legacy REST API `wc-api/v3`, as clientele \
         serves it. Lists have {DEFAULT_PAGE_SIZE} customers a page unless `filter[limit]` says \
         otherwise; a bulk request takes at most {BULK_LIMIT} items.\n\n\
         Authentication: over https (or behind a trusted proxy sending `X-Forwarded-Proto: https`) \
         HTTP Basic with the consumer key and secret, or the `consumer_key` and `consumer_secret` \
         query parameters; over plain http, OAuth 1.0a one-legged signatures (HMAC-SHA1 or \
         HMAC-SHA256) in the query string.\n\n\
         `fields` (keep only some fields), `_jsonp` (a JSONP callback, answered as \
         `application/javascript`) and `_method` (method override) are read on every route and \
         are not listed per operation. Errors are `{{\"errors\": [{{\"code\", \"message\"}}]}}`."
    );
    Api {
        blank_query_is_absent: false,
        title: "WooCommerce legacy REST API wc-api/v3: customers".into(),
        version: "wc-api/v3".into(),
        description,
        docs_page: "docs/dialects/wc-legacy-v3.md".into(),
        security_schemes: vec![
            (
                "basic",
                json!({"type": "http", "scheme": "basic", "description": "Consumer key as the user, consumer secret as the password (https only)."}),
            ),
            (
                "consumerKey",
                json!({"type": "apiKey", "in": "query", "name": "consumer_key", "description": "The consumer key; `consumer_secret` goes beside it (https only)."}),
            ),
            (
                "consumerSecret",
                json!({"type": "apiKey", "in": "query", "name": "consumer_secret", "description": "The consumer secret (https only)."}),
            ),
            (
                "oauth1",
                json!({"type": "apiKey", "in": "query", "name": "oauth_signature", "description": "OAuth 1.0a one-legged: `oauth_consumer_key`, `oauth_timestamp`, `oauth_nonce`, `oauth_signature_method` and `oauth_signature` in the query string (plain http)."}),
            ),
        ],
        security: vec![
            vec!["basic"],
            vec!["consumerKey", "consumerSecret"],
            vec!["oauth1"],
        ],
        schemas: vec![
            ("Customer", customer_schema()),
            ("Order", order_schema()),
            ("Download", download_schema()),
            ("Error", error_schema()),
            (
                "BulkResult",
                envelope(
                    "customers",
                    json!({"type": "array", "items": {"oneOf": [
                        schema_ref("Customer"),
                        {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "error": error_item()},
                            "required": ["id", "error"],
                            "additionalProperties": false,
                        },
                    ]}}),
                ),
            ),
        ],
        headers: headers(),
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::Vars;
    use crate::wc_legacy::decode::{decode_list, decode_orders_page};

    /// A value each parameter reads differently from its absence.
    fn telling_value(name: &str) -> &'static str {
        match name {
            "filter[role]" => "all",
            "filter[order]" => "desc",
            "filter[orderby]" => "ID",
            "filter[created_at_min]" | "filter[created_at_max]" => "2020-01-01",
            "filter[q]" => "someone",
            _ => "3",
        }
    }

    #[test]
    fn every_parameter_is_read_by_its_decoder() {
        let list = |query: &str| decode_list(&Vars::parse(query.as_bytes()));
        for param in &LIST_PARAMETERS {
            let query = format!("{}={}", param.name, telling_value(param.name));
            assert_ne!(list(&query), list(""), "{}", param.name);
        }
        let orders = |query: &str| decode_orders_page(&Vars::parse(query.as_bytes()));
        for param in &ORDERS_PARAMETERS {
            let query = format!("{}={}", param.name, telling_value(param.name));
            assert_ne!(orders(&query), orders(""), "{}", param.name);
        }
    }
}
