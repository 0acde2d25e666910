//! The webhooks routes of the wc/v2 and wc/v3 OpenAPI documents, from the resource's
//! tables: the list parameters, the webhook object's fields, the controller's errors;
//! and the same routes as WordPress describes them ([`wp_routes`], for `OPTIONS` and the
//! discovery indexes).

use serde_json::{Map, Value, json};

use super::decode::{LIST_PARAMETERS, STATUSES};
use super::errors::CATALOGUE as WEBHOOK_ERRORS;
use super::topic;
use crate::catalogue::{ParamKind, Parameter};
use crate::contract::{Operation, PathParam, ResponseDoc, Route, error_responses, schema_ref};
use crate::wc_rest::Version;
use crate::wc_rest::contract::{
    ALLOWED_KEYWORDS, COMMON_ERRORS, WP_HEADERS, batch_lists, batch_schema, options_operation,
    or_not_an_object, wp_arg,
};
use crate::wc_rest::decode::BATCH_LIMIT;
use crate::wc_rest::discovery::RouteInfo;
use crate::wc_rest::errors::{AUTHENTICATION, CATALOGUE as REST_ERRORS};
use customer_model::webhook::CustomerEvent;

const CONTEXTS: [&str; 2] = ["view", "edit"];

/// `context` of a retrieve.
pub const RETRIEVE_PARAMETERS: [Parameter; 1] = [Parameter {
    name: "context",
    kind: ParamKind::OneOf(&CONTEXTS),
    default: Some("view"),
    required: false,
    description: "Scope under which the request is made; `edit` adds `secret`.",
}];

/// `force` of a delete.
pub const DELETE_PARAMETERS: [Parameter; 1] = [Parameter {
    name: "force",
    kind: ParamKind::Boolean,
    default: Some("false"),
    required: false,
    description: "Required to be true, as webhooks do not support trashing.",
}];

/// The webhook schema WooCommerce registers (the same in v2 and v3), as `OPTIONS` shows
/// it (WordPress's types: `date-time`).
pub fn wp_item_schema() -> Value {
    let both = json!(["view", "edit"]);
    let readonly = |description: &str, kind: &str| json!({"description": description, "type": kind, "context": both, "readonly": true});
    let writable =
        |description: &str| json!({"description": description, "type": "string", "context": both});
    let mut status = writable("Webhook status.");
    status["default"] = json!("active");
    status["enum"] = json!(STATUSES);
    let mut hooks = readonly(
        "WooCommerce action names associated with the webhook.",
        "array",
    );
    hooks["items"] = json!({"type": "string"});
    let mut delivery_url = readonly("The URL where the webhook payload is delivered.", "string");
    delivery_url["format"] = json!("uri");
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "webhook",
        "type": "object",
        "properties": {
            "id": readonly("Unique identifier for the resource.", "integer"),
            "name": writable("A friendly name for the webhook."),
            "status": status,
            "topic": writable("Webhook topic."),
            "resource": readonly("Webhook resource.", "string"),
            "event": readonly("Webhook event.", "string"),
            "hooks": hooks,
            "delivery_url": delivery_url,
            "secret": {
                "description": "Secret key used to generate a hash of the delivered webhook and provided in the request headers. Defaults to 50 random characters when not provided.",
                "type": "string",
                "context": ["edit"],
            },
            "date_created": readonly("The date the webhook was created, in the site's timezone.", "date-time"),
            "date_created_gmt": readonly("The date the webhook was created, as GMT.", "date-time"),
            "date_modified": readonly("The date the webhook was last modified, in the site's timezone.", "date-time"),
            "date_modified_gmt": readonly("The date the webhook was last modified, as GMT.", "date-time"),
        },
    })
}

/// WordPress's `get_endpoint_args_for_item_schema`: the writable properties of `schema`
/// with the keywords WordPress keeps, a property's `default` only for creates, and
/// `required` as `get_data_for_route` adds it.
fn schema_args(schema: &Value, create: bool) -> Map<String, Value> {
    let mut args = Map::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if property.get("readonly") == Some(&json!(true)) {
            continue;
        }
        let mut arg = Map::new();
        for keyword in ALLOWED_KEYWORDS {
            if keyword == "default" && !create {
                continue;
            }
            if let Some(value) = property.get(keyword) {
                arg.insert(keyword.into(), value.clone());
            }
        }
        arg.insert("required".into(), json!(false));
        args.insert(name.clone(), Value::Object(arg));
    }
    args
}

fn table_args(table: &[Parameter]) -> Map<String, Value> {
    table
        .iter()
        .filter(|param| !param.name.starts_with('_'))
        .map(|param| (param.name.to_owned(), wp_arg(param)))
        .collect()
}

/// The route-level `id` argument of `/webhooks/(?P<id>[\d]+)`, which WordPress merges
/// into each of the route's endpoints.
fn with_id(args: Map<String, Value>) -> Map<String, Value> {
    let mut merged = Map::new();
    merged.insert(
        "id".into(),
        json!({"description": "Unique identifier for the resource.", "type": "integer", "required": false}),
    );
    merged.extend(args);
    merged
}

/// The webhooks routes of a namespace as WooCommerce registers them
/// (`WC_REST_Webhooks_V1_Controller::register_routes`): the collection, the item and
/// the batch, in that order, each endpoint with its arguments. A create's `topic` and
/// `delivery_url` are the controller's own required arguments.
pub fn wp_routes(_version: Version) -> Vec<RouteInfo> {
    let schema = wp_item_schema();
    let mut create = schema_args(&schema, true);
    for (name, description) in [
        ("topic", "Webhook topic."),
        ("delivery_url", "Webhook delivery URL."),
    ] {
        create.insert(
            name.into(),
            json!({"type": "string", "description": description, "required": true}),
        );
    }
    let update = schema_args(&schema, false);
    vec![
        RouteInfo {
            pattern: "/webhooks",
            template: "/webhooks",
            endpoints: vec![
                (&["GET"], table_args(&LIST_PARAMETERS)),
                (&["POST"], create),
            ],
            schema: schema.clone(),
        },
        RouteInfo {
            pattern: "/webhooks/(?P<id>[\\d]+)",
            template: "/webhooks/{id}",
            endpoints: vec![
                (&["GET"], with_id(table_args(&RETRIEVE_PARAMETERS))),
                (&["POST", "PUT", "PATCH"], with_id(update.clone())),
                (&["DELETE"], with_id(table_args(&DELETE_PARAMETERS))),
            ],
            schema,
        },
        RouteInfo {
            pattern: "/webhooks/batch",
            template: "/webhooks/batch",
            endpoints: vec![(&["POST", "PUT", "PATCH"], update)],
            schema: batch_schema(),
        },
    ]
}

fn topics() -> Vec<String> {
    CustomerEvent::ALL.into_iter().map(topic).collect()
}

/// The webhook object.
pub fn webhook_schema() -> Value {
    let date = json!({"type": "string"});
    let nullable_date = json!({"type": ["string", "null"]});
    let href = json!({"type": "array", "items": {
        "type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}});
    json!({
        "type": "object",
        "description": "A webhook: a customer topic and the URL its deliveries are posted to.",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "topic": {"type": "string", "enum": topics()},
            "resource": {"type": "string", "enum": ["customer"]},
            "event": {"type": "string"},
            "hooks": {"type": "array", "items": {"type": "string"}},
            "delivery_url": {"type": "string"},
            "secret": {"type": "string", "description": "Only in the `edit` context."},
            "date_created": date,
            "date_created_gmt": date,
            "date_modified": nullable_date,
            "date_modified_gmt": nullable_date,
            "_links": {"type": "object", "properties": {"self": href, "collection": href}},
        },
        // No property is required: `_fields` keeps only the ones it names.
        "additionalProperties": false,
    })
}

/// The body of create and update (an update also takes a body that is no object, as
/// [`or_not_an_object`] says).
fn body_schema(create: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "A friendly name."},
            "status": {"type": "string", "enum": STATUSES,
                       "description": "Ignored on create: new webhooks start active."},
            "topic": {"type": "string", "description": "A customer topic.", "enum": topics()},
            "delivery_url": {"type": "string", "format": "uri",
                             "description": "An http:// or https:// URL."},
            "secret": {"type": "string",
                       "description": "The signature key (default: 50 random characters)."},
        },
    });
    if create {
        schema["required"] = json!(["topic", "delivery_url"]);
    } else {
        // The update controller skips a field PHP's `empty()` calls empty.
        for name in ["topic", "delivery_url"] {
            let given = schema["properties"][name].take();
            schema["properties"][name] = json!({"anyOf": [
                given,
                {"type": "string", "enum": ["", "0"], "description": "Left as it is."},
            ]});
        }
    }
    schema
}

/// The results of a webhooks batch.
pub fn batch_result_schema() -> Value {
    let results = json!({
        "type": "array",
        "items": {"oneOf": [
            schema_ref("Webhook"),
            {
                "type": "object",
                "properties": {"id": {}, "error": schema_ref("Error")},
                "required": ["id", "error"],
                "additionalProperties": false,
            },
        ]},
    });
    json!({
        "description": "The results of each list that had input (`[]` when none had).",
        "oneOf": [
            {
                "type": "object",
                "properties": {"create": results, "update": results, "delete": results},
                "additionalProperties": false,
                "minProperties": 1,
            },
            {"type": "array", "maxItems": 0},
        ],
    })
}

/// The schemas the routes refer to.
pub fn schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("Webhook", webhook_schema()),
        ("WebhookBatchResult", batch_result_schema()),
    ]
}

fn ok(status: u16, description: &str, schema: Value) -> ResponseDoc {
    ResponseDoc::json(status, description, schema)
        .with_headers(&WP_HEADERS)
        .with_headers(&["Allow"])
}

fn errors(extra: &[u16]) -> Vec<ResponseDoc> {
    let mut statuses = COMMON_ERRORS.to_vec();
    statuses.extend(extra);
    statuses.sort_unstable();
    statuses.dedup();
    error_docs(&statuses)
}

/// The errors of `statuses` with the resource's catalogue.
fn error_docs(statuses: &[u16]) -> Vec<ResponseDoc> {
    let mut catalogue = REST_ERRORS.to_vec();
    catalogue.extend(WEBHOOK_ERRORS);
    catalogue.push(AUTHENTICATION);
    error_responses(&catalogue, statuses, "Error", &WP_HEADERS)
        .into_iter()
        .map(|response| response.with_headers(&["Allow"]))
        .collect()
}

/// `OPTIONS` on a webhooks route, as on the customers routes, with the errors in the
/// resource's catalogue.
fn options(id: &str, has_id: bool) -> Operation {
    let mut operation = options_operation(id.into(), has_id);
    let statuses: Vec<u16> = operation
        .responses
        .iter()
        .map(|response| response.status)
        .filter(|status| *status >= 400)
        .collect();
    operation.responses.retain(|response| response.status < 400);
    operation.responses.extend(error_docs(&statuses));
    operation
}

#[allow(clippy::too_many_arguments)]
fn operation(
    method: &'static str,
    id: &str,
    summary: &str,
    query: Vec<Parameter>,
    body: Option<Value>,
    body_required: bool,
    mut responses: Vec<ResponseDoc>,
    extra_errors: &[u16],
) -> Operation {
    responses.extend(errors(extra_errors));
    Operation {
        method,
        id: id.into(),
        summary: summary.into(),
        description: String::new(),
        query,
        body,
        body_required,
        body_form: false,
        secured: true,
        responses,
    }
}

/// The routes of `/webhooks` in the namespace of `version`.
pub fn routes(version: Version) -> Vec<Route> {
    let base = format!("/wp-json/{}/webhooks", version.namespace());
    let webhook = || schema_ref("Webhook");
    let item = |method: &'static str, suffix: &str| {
        operation(
            method,
            &format!("updateWebhook{suffix}"),
            "Update a webhook (only the fields sent change).",
            Vec::new(),
            Some(or_not_an_object(body_schema(false))),
            false,
            vec![ok(200, "The webhook updated, with its secret.", webhook())],
            // An id that is not digits, or past the integers, matches no route.
            &[404],
        )
    };
    let batch = |method: &'static str, suffix: &str| {
        let mut op = operation(
            method,
            &format!("batchWebhooks{suffix}"),
            "Create, update and delete webhooks in one request.",
            Vec::new(),
            Some(or_not_an_object(
                json!({"type": "object", "properties": batch_lists("Webhooks")}),
            )),
            false,
            vec![ok(
                200,
                "Each item's result.",
                schema_ref("WebhookBatchResult"),
            )],
            &[],
        );
        op.description = format!(
            "At most {BATCH_LIMIT} items in all; a failed item is reported in place and the others still run."
        );
        op
    };
    let id_param = || PathParam {
        name: "id",
        schema: json!({"type": "integer", "minimum": 0}),
        description: "The webhook's id.",
    };
    vec![
        Route {
            path: base.clone(),
            path_params: Vec::new(),
            operations: vec![
                operation(
                    "GET",
                    "listWebhooks",
                    "List webhooks, newest first.",
                    LIST_PARAMETERS.to_vec(),
                    None,
                    false,
                    vec![
                        ok(
                            200,
                            "One page of webhooks.",
                            json!({"type": "array", "items": webhook()}),
                        )
                        .with_required_headers(&["X-WP-Total", "X-WP-TotalPages"]),
                    ],
                    &[],
                ),
                operation(
                    "POST",
                    "createWebhook",
                    "Create a webhook; an active one is pinged with `webhook_id=<id>`.",
                    Vec::new(),
                    Some(body_schema(true)),
                    true,
                    vec![
                        ok(201, "The webhook created, with its secret.", webhook())
                            .with_required_headers(&["Location"]),
                    ],
                    &[],
                ),
                options("describeWebhooks", false),
            ],
        },
        Route {
            path: format!("{base}/batch"),
            path_params: Vec::new(),
            operations: vec![
                batch("POST", ""),
                batch("PUT", "_put"),
                batch("PATCH", "_patch"),
                options("describeWebhookBatch", false),
            ],
        },
        Route {
            path: format!("{base}/{{id}}"),
            path_params: vec![id_param()],
            operations: vec![
                operation(
                    "GET",
                    "retrieveWebhook",
                    "Retrieve a webhook.",
                    RETRIEVE_PARAMETERS.to_vec(),
                    None,
                    false,
                    vec![ok(200, "The webhook.", webhook())],
                    &[404],
                ),
                item("POST", ""),
                item("PUT", "_put"),
                item("PATCH", "_patch"),
                operation(
                    "DELETE",
                    "deleteWebhook",
                    "Delete a webhook (`force=true` is required).",
                    DELETE_PARAMETERS.to_vec(),
                    None,
                    false,
                    vec![ok(
                        200,
                        "The webhook as it was, with its secret.",
                        webhook(),
                    )],
                    &[404, 501],
                ),
                options("describeWebhook", true),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wc_rest::webhooks::decode::{WebhookEndpoint, decode_delete, decode_retrieve};

    #[test]
    fn routes_document_the_methods_the_router_accepts() {
        let endpoints = [
            WebhookEndpoint::Collection,
            WebhookEndpoint::Batch,
            WebhookEndpoint::Item(1),
        ];
        for (route, endpoint) in routes(Version::V3).iter().zip(endpoints) {
            let methods: Vec<&str> = route
                .operations
                .iter()
                .map(|op| op.method)
                .filter(|method| *method != "OPTIONS")
                .collect();
            assert_eq!(methods, endpoint.methods(), "{}", route.path);
            assert_eq!(
                route.operations.last().map(|op| op.method),
                Some("OPTIONS"),
                "{}",
                route.path
            );
        }
    }

    #[test]
    fn parameter_tables_match_the_decoders() {
        let mut bad = crate::wc_rest::decode::Params::new();
        bad.insert("context".into(), json!("nope"));
        assert!(decode_retrieve(&bad).is_err());
        bad.insert(
            "context".into(),
            json!(RETRIEVE_PARAMETERS[0].default.unwrap()),
        );
        assert!(decode_retrieve(&bad).is_ok());
        let mut force = crate::wc_rest::decode::Params::new();
        force.insert("force".into(), json!("maybe"));
        assert!(decode_delete(&force).is_err());
        for parameter in LIST_PARAMETERS {
            if let (ParamKind::OneOf(values), Some(default)) = (parameter.kind, parameter.default) {
                assert!(values.contains(&default), "{}", parameter.name);
            }
        }
    }
}
