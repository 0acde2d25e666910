//! The control API as data ([`api`]): its document is made from [`super::ROUTES`], the
//! table requests are routed by, with the schemas of the bodies and answers below.

use serde_json::{Value, json};

use super::{Action, MAX_LATENCY_MS, ROUTES};
use crate::Dialect;
use crate::catalogue::{ParamKind, Parameter};
use crate::contract::{Api, Operation, PathParam, ResponseDoc, Route, schema_ref};

fn slugs() -> Vec<&'static str> {
    Dialect::ALL.iter().map(|dialect| dialect.slug()).collect()
}

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn schemas() -> Vec<(&'static str, Value)> {
    let latency = json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_LATENCY_MS},
        {"type": "object", "additionalProperties": false, "required": ["min", "max"],
         "properties": {"min": {"type": "integer", "minimum": 0},
                        "max": {"type": "integer", "minimum": 0, "maximum": MAX_LATENCY_MS}}},
    ]});
    let matching = json!({"type": "object", "additionalProperties": false, "properties": {
        "dialect": {"type": "string", "enum": slugs()},
        "method": {"type": "string"},
        "path": {"type": "string", "description": "A glob: `*` within a segment, `**` across segments."},
    }});
    let listed_match = json!({"type": "object", "additionalProperties": false,
        "required": ["dialect", "method", "path"], "properties": {
        "dialect": nullable(json!({"type": "string", "enum": slugs()})),
        "method": nullable(json!({"type": "string"})),
        "path": nullable(json!({"type": "string"})),
    }});
    vec![
        (
            "Error",
            json!({"type": "object", "required": ["code", "message"], "additionalProperties": false,
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": "string", "description": "The field or query parameter at fault."}}}),
        ),
        (
            "Status",
            json!({"type": "object", "required": ["status"], "additionalProperties": false,
                "properties": {"status": {"type": "string"}}}),
        ),
        (
            "SnapshotName",
            json!({"type": "object", "required": ["name"], "additionalProperties": false,
                "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,39}$", "maxLength": 40}}}),
        ),
        (
            "Snapshots",
            json!({"type": "object", "required": ["snapshots"], "additionalProperties": false,
                "properties": {"snapshots": {"type": "array", "items": schema_ref("SnapshotName")}}}),
        ),
        (
            "ImportCounts",
            json!({"type": "object", "additionalProperties": false,
                "required": ["products", "customers", "orders", "subscriptions", "download_grants", "api_keys"],
                "properties": {
                    "products": {"type": "integer"}, "customers": {"type": "integer"},
                    "orders": {"type": "integer"}, "subscriptions": {"type": "integer"},
                    "download_grants": {"type": "integer"}, "api_keys": {"type": "integer"}}}),
        ),
        (
            "ImportErrors",
            json!({"type": "object", "required": ["code", "message", "errors"], "additionalProperties": false,
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                        "required": ["record", "field", "message"],
                        "properties": {"record": {"type": "string", "description": "`orders[3]` or `line 17`."},
                                       "field": {"type": "string"}, "message": {"type": "string"}}}}}}),
        ),
        (
            "JournalEntry",
            json!({"type": "object", "additionalProperties": false,
                "required": ["id", "time", "dialect", "method", "path", "query", "request", "status", "response", "duration_ms"],
                "properties": {
                    "id": {"type": "integer"},
                    "time": {"type": "string", "format": "date-time"},
                    "dialect": nullable(json!({"type": "string", "enum": slugs()})),
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "query": {"type": "string", "description": "Secrets (`oauth_signature`, `consumer_secret`, `token`, `password`) read `[redacted]`."},
                    "request": {"type": "object", "additionalProperties": false, "required": ["headers", "body"],
                        "properties": {"headers": {"type": "object", "additionalProperties": {"type": "string"}},
                                       "body": {"type": "string"}}},
                    "status": {"type": "integer"},
                    "response": {"type": "object", "additionalProperties": false, "required": ["body"],
                        "properties": {"body": {"type": "string"}}},
                    "duration_ms": {"type": "number"}}}),
        ),
        (
            "Journal",
            json!({"type": "object", "required": ["requests"], "additionalProperties": false,
                "properties": {"requests": {"type": "array", "items": schema_ref("JournalEntry")}}}),
        ),
        (
            "Count",
            json!({"type": "object", "required": ["count"], "additionalProperties": false,
                "properties": {"count": {"type": "integer"}}}),
        ),
        (
            "NewFault",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "match": matching,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "latency_ms": latency,
                "probability": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
                "times": {"type": "integer", "minimum": 1},
                "drop_connection": {"type": "boolean", "default": false}}}),
        ),
        (
            "Fault",
            json!({"type": "object", "additionalProperties": false,
                "required": ["id", "match", "status", "latency_ms", "probability", "times", "drop_connection", "hits"],
                "properties": {
                    "id": {"type": "integer"},
                    "match": listed_match,
                    "status": nullable(json!({"type": "integer"})),
                    "latency_ms": nullable(latency),
                    "probability": {"type": "number"},
                    "times": nullable(json!({"type": "integer"})),
                    "drop_connection": {"type": "boolean"},
                    "hits": {"type": "integer"}}}),
        ),
        (
            "Faults",
            json!({"type": "object", "required": ["faults"], "additionalProperties": false,
                "properties": {"faults": {"type": "array", "items": schema_ref("Fault")}}}),
        ),
        (
            "ClockSetting",
            json!({"type": "object", "required": ["now"], "additionalProperties": false,
                "properties": {"now": {"type": "string", "format": "date-time"},
                               "frozen": {"type": "boolean", "default": true}}}),
        ),
        (
            "Clock",
            json!({"type": "object", "required": ["now", "mode"], "additionalProperties": false,
                "properties": {"now": {"type": "string", "format": "date-time"},
                               "mode": {"type": "string", "enum": ["real", "frozen", "running"]}}}),
        ),
    ]
}

fn ok(schema: &str) -> ResponseDoc {
    ResponseDoc::json(200, "Done.", schema_ref(schema))
}

fn bad(status: u16, description: &str) -> ResponseDoc {
    ResponseDoc::json(status, description, schema_ref("Error"))
}

/// The journal's filters.
const FILTERS: &[Parameter] = &[
    Parameter {
        name: "dialect",
        kind: ParamKind::OneOf(&[
            "wc-v3",
            "wc-v2",
            "wc-legacy-v3",
            "edd-v1",
            "edd-v2",
            "easycart-v1",
        ]),
        default: None,
        required: false,
        description: "Only requests of this dialect.",
    },
    Parameter {
        name: "method",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "Only requests with this method.",
    },
    Parameter {
        name: "path",
        kind: ParamKind::Text,
        default: None,
        required: false,
        description: "Only paths matching this glob (`*` within a segment, `**` across).",
    },
    Parameter {
        name: "status",
        kind: ParamKind::Integer {
            min: Some(100),
            max: Some(599),
        },
        default: None,
        required: false,
        description: "Only requests answered with this status.",
    },
    Parameter {
        name: "limit",
        kind: ParamKind::Integer {
            min: Some(1),
            max: None,
        },
        default: None,
        required: false,
        description: "At most this many, newest first.",
    },
];

/// What an action reads and answers.
fn operation_of(action: Action) -> (Vec<Parameter>, Option<Value>, Vec<ResponseDoc>) {
    let mut responses = match action {
        Action::Reset | Action::Baseline | Action::DeleteRequests | Action::DeleteFaults => {
            vec![ok("Status")]
        }
        Action::RestoreSnapshot | Action::DeleteSnapshot => {
            vec![ok("Status"), bad(404, "No snapshot has this name.")]
        }
        Action::CreateSnapshot => vec![
            ResponseDoc::json(201, "Saved.", schema_ref("SnapshotName")),
            bad(
                400,
                "The body or the name is not valid; the field is named.",
            ),
        ],
        Action::ListSnapshots => vec![ok("Snapshots")],
        Action::Import => vec![
            ok("ImportCounts"),
            ResponseDoc::json(
                400,
                "The import has errors (`ImportErrors`), or `fire_webhooks` does not read \
                 (`Error`); nothing was written.",
                json!({"oneOf": [schema_ref("ImportErrors"), schema_ref("Error")]}),
            ),
        ],
        Action::ListRequests => vec![
            ok("Journal"),
            bad(400, "A filter does not read; it is named."),
        ],
        Action::CountRequests => vec![
            ok("Count"),
            bad(400, "A filter does not read; it is named."),
        ],
        Action::CreateFault => vec![
            ResponseDoc::json(201, "In force.", schema_ref("Fault")),
            bad(400, "The body is not valid; the field is named."),
        ],
        Action::ListFaults => vec![ok("Faults")],
        Action::DeleteFault => vec![ok("Status"), bad(404, "No fault has this id.")],
        Action::GetClock | Action::ResetClock => vec![ok("Clock")],
        Action::SetClock => vec![
            ok("Clock"),
            bad(400, "The body is not valid; the field is named."),
        ],
        Action::OpenApi => vec![ResponseDoc::json(
            200,
            "This document.",
            json!({"type": "object"}),
        )],
    };
    responses.push(bad(401, "No admin token, or not the one configured."));
    let body = match action {
        Action::CreateSnapshot => Some(schema_ref("SnapshotName")),
        Action::CreateFault => Some(schema_ref("NewFault")),
        Action::SetClock => Some(schema_ref("ClockSetting")),
        Action::Import => Some(
            json!({"type": "object", "description": "The import format (docs/import-format.md): a JSON document or NDJSON."}),
        ),
        _ => None,
    };
    let query = match action {
        Action::ListRequests | Action::CountRequests => FILTERS.to_vec(),
        Action::Import => vec![Parameter {
            name: "fire_webhooks",
            kind: ParamKind::Boolean,
            default: Some("false"),
            required: false,
            description: "Fire `customer.created` webhooks for the registered customers \
                imported, as the customers API does (written with the import).",
        }],
        _ => Vec::new(),
    };
    (query, body, responses)
}

/// The control API's document.
pub fn api() -> Api {
    let mut routes: Vec<Route> = Vec::new();
    for route in ROUTES {
        let (query, body, responses) = operation_of(route.action);
        let operation = Operation {
            method: route.method,
            id: route.id.to_owned(),
            summary: route.summary.to_owned(),
            description: String::new(),
            query,
            body_required: body.is_some(),
            body,
            body_form: false,
            secured: true,
            responses,
        };
        match routes.iter_mut().find(|known| known.path == route.path) {
            Some(known) => known.operations.push(operation),
            None => {
                let path_params = if route.path.contains("{name}") {
                    vec![PathParam {
                        name: "name",
                        schema: json!({"type": "string"}),
                        description: "The snapshot's name.",
                    }]
                } else if route.path.contains("{id}") {
                    vec![PathParam {
                        name: "id",
                        schema: json!({"type": "integer"}),
                        description: "The fault's id.",
                    }]
                } else {
                    Vec::new()
                };
                routes.push(Route {
                    path: route.path.to_owned(),
                    path_params,
                    operations: vec![operation],
                });
            }
        }
    }
    Api {
        blank_query_is_absent: false,
        title: "clientele control API".into(),
        version: "v1".into(),
        description: "For test suites: reset the store to its baseline, keep snapshots, \
            seed data in the import format, read the request journal, inject faults and set \
            the clock. Off unless the server has an admin token; every call carries it as \
            `Authorization: Bearer <token>`."
            .into(),
        docs_page: "docs/testing-with-clientele.md".into(),
        security_schemes: vec![(
            "adminToken",
            json!({"type": "http", "scheme": "bearer", "description": "The server's admin token (`--admin-token`)."}),
        )],
        security: vec![vec!["adminToken"]],
        schemas: schemas(),
        headers: Vec::new(),
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_table_names_every_dialect() {
        let ParamKind::OneOf(listed) = FILTERS[0].kind else {
            panic!("the dialect filter is a list");
        };
        assert_eq!(listed, slugs());
    }

    #[test]
    fn every_route_is_in_the_document() {
        let document = api().openapi();
        for route in ROUTES {
            let operation = &document["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(
                operation["operationId"], route.id,
                "{} {}",
                route.method, route.path
            );
        }
    }
}
