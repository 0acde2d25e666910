//! The customers API of wc/v2 and wc/v3 as data: WordPress's routes with their endpoints
//! and arguments ([`ROUTES`]), the item schema WooCommerce registers
//! ([`item_schema`]), and from them the [`Api`] of the OpenAPI document ([`api`]) and
//! WordPress's own discovery answers (`discovery`).
//!
//! Arguments are written the way WordPress describes them (`type`, `enum`, `default`,
//! `required`, nested `properties`), once; the OpenAPI document turns them into JSON
//! Schema. The list's arguments come from [`LIST_PARAMETERS`], the decoder's table.

use serde_json::{Map, Value, json};

use super::Version;
use super::decode::{BATCH_LIMIT, LIST_PARAMETERS};
use super::encode::CUSTOMER_FIELDS;
use super::errors::{AUTHENTICATION, CATALOGUE};
use crate::catalogue::{CatalogueEntry, ParamKind, Parameter};
use crate::contract::{
    Api, HeaderDoc, Operation, PathParam, RETRY_AFTER, ResponseDoc, Route, default_value,
    error_responses, param_schema, schema_ref, with_max_chars,
};
use customer_model::limits;

/// What a WordPress endpoint does (one handler of a route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// `GET /customers`.
    List,
    /// `POST /customers`.
    Create,
    /// `GET /customers/{id}`.
    Retrieve,
    /// `POST|PUT|PATCH /customers/{id}`.
    Update,
    /// `DELETE /customers/{id}`.
    Delete,
    /// `POST|PUT|PATCH /customers/batch`.
    Batch,
    /// `GET /customers/{id}/downloads`.
    Downloads,
}

impl Handler {
    /// The methods WordPress registers for the handler (`HEAD` is served by `GET`).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Self::List | Self::Retrieve | Self::Downloads => &["GET"],
            Self::Create => &["POST"],
            Self::Update | Self::Batch => &["POST", "PUT", "PATCH"],
            Self::Delete => &["DELETE"],
        }
    }
}

/// One registered route: WordPress's pattern and its handlers, in registration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRouteDoc {
    /// The pattern after the namespace, as registered (`/customers/(?P<id>[\d]+)`).
    pub pattern: &'static str,
    /// The OpenAPI path after the namespace (`/customers/{id}`).
    pub template: &'static str,
    /// The handlers.
    pub handlers: &'static [Handler],
}

/// The customers routes of one namespace, as WooCommerce registers them.
pub const ROUTES: [RestRouteDoc; 4] = [
    RestRouteDoc {
        pattern: "/customers",
        template: "/customers",
        handlers: &[Handler::List, Handler::Create],
    },
    RestRouteDoc {
        pattern: "/customers/(?P<id>[\\d]+)",
        template: "/customers/{id}",
        handlers: &[Handler::Retrieve, Handler::Update, Handler::Delete],
    },
    RestRouteDoc {
        pattern: "/customers/batch",
        template: "/customers/batch",
        handlers: &[Handler::Batch],
    },
    RestRouteDoc {
        pattern: "/customers/(?P<customer_id>[\\d]+)/downloads",
        template: "/customers/{customer_id}/downloads",
        handlers: &[Handler::Downloads],
    },
];

const VIEW: [&str; 1] = ["view"];
const VIEW_EDIT: [&str; 2] = ["view", "edit"];

/// `context` of a single read.
pub const RETRIEVE_PARAMETERS: [Parameter; 1] = [Parameter {
    name: "context",
    kind: ParamKind::OneOf(&VIEW_EDIT),
    default: Some("view"),
    required: false,
    description: "Scope under which the request is made; determines fields present in response.",
}];

/// `context` of the downloads list (only `view`).
pub const DOWNLOADS_PARAMETERS: [Parameter; 1] = [Parameter {
    name: "context",
    kind: ParamKind::OneOf(&VIEW),
    default: Some("view"),
    required: false,
    description: "Scope under which the request is made; determines fields present in response.",
}];

/// `force` and `reassign` of a delete.
pub const DELETE_PARAMETERS: [Parameter; 2] = [
    Parameter {
        name: "force",
        kind: ParamKind::Boolean,
        default: Some("false"),
        required: false,
        description: "Required to be true, as resource does not support trashing.",
    },
    Parameter {
        name: "reassign",
        kind: ParamKind::Integer {
            min: None,
            max: None,
        },
        default: Some("0"),
        required: false,
        description: "ID to reassign posts to.",
    },
];

/// The list's parameters WordPress registers for the route (its global `_fields` is
/// not one of them).
pub fn list_parameters() -> Vec<Parameter> {
    LIST_PARAMETERS
        .iter()
        .filter(|param| !param.name.starts_with('_'))
        .copied()
        .collect()
}

/// A parameter as WordPress describes an argument (`required` last, as it adds it).
pub fn wp_arg(param: &Parameter) -> Value {
    let mut arg = Map::new();
    if let Some(default) = param.default {
        arg.insert("default".into(), default_value(&param.kind, default));
    }
    arg.insert("description".into(), json!(param.description));
    let schema = param_schema(&param.kind);
    for key in ["type", "format", "enum", "items", "minimum", "maximum"] {
        if let Some(value) = schema.get(key) {
            arg.insert(key.into(), value.clone());
        }
    }
    if matches!(param.kind, ParamKind::DateTime) {
        // WordPress's `date-time` format rejects dates without an offset, which the
        // extensions accept.
        arg.remove("format");
    }
    arg.insert("required".into(), json!(param.required));
    Value::Object(arg)
}

fn text(description: &str) -> Value {
    json!({"description": description, "type": "string", "context": VIEW_EDIT})
}

fn readonly(mut property: Value) -> Value {
    property["readonly"] = json!(true);
    property
}

fn address_properties(billing: bool, version: Version) -> Map<String, Value> {
    let mut properties = Map::new();
    for (name, description) in [
        ("first_name", "First name."),
        ("last_name", "Last name."),
        ("company", "Company name."),
        ("address_1", "Address line 1"),
        ("address_2", "Address line 2"),
        ("city", "City name."),
        (
            "state",
            "ISO code or name of the state, province or district.",
        ),
        ("postcode", "Postal code."),
        ("country", "ISO code of the country."),
    ] {
        properties.insert(
            name.into(),
            with_max_chars(text(description), &format!("address.{name}")),
        );
    }
    if billing {
        let mut email = with_max_chars(text("Email address."), "address.email");
        email["format"] = json!("email");
        properties.insert("email".into(), email);
    }
    if billing || version.has_shipping_phone() {
        properties.insert(
            "phone".into(),
            with_max_chars(text("Phone number."), "address.phone"),
        );
    }
    properties
}

/// The item schema WooCommerce registers for the customers routes of `version`, as
/// `OPTIONS` shows it (WordPress's types: `date-time`, `mixed`).
pub fn item_schema(version: Version) -> Value {
    let date = |description: &str| {
        readonly(json!({"description": description, "type": "date-time", "context": VIEW_EDIT}))
    };
    let mut properties = Map::new();
    for (name, _) in CUSTOMER_FIELDS
        .iter()
        .filter(|(_, versions)| versions.contains(&version))
    {
        let property = match *name {
            "id" => readonly(json!({
                "description": "Unique identifier for the resource.",
                "type": "integer",
                "context": VIEW_EDIT,
            })),
            "date_created" => date("The date the customer was created, in the site's timezone."),
            "date_created_gmt" => date("The date the customer was created, as GMT."),
            "date_modified" => {
                date("The date the customer was last modified, in the site's timezone.")
            }
            "date_modified_gmt" => date("The date the customer was last modified, as GMT."),
            "email" => json!({
                "description": "The email address for the customer.",
                "type": "string",
                "format": "email",
                "context": VIEW_EDIT,
                "maxLength": limits::EMAIL_CHARS,
            }),
            "first_name" => with_max_chars(text("Customer first name."), "first_name"),
            "last_name" => with_max_chars(text("Customer last name."), "last_name"),
            "role" => readonly(text("Customer role.")),
            "username" => with_max_chars(text("Customer login name."), "username"),
            "billing" => json!({
                "description": "List of billing address data.",
                "type": "object",
                "context": VIEW_EDIT,
                "properties": address_properties(true, version),
            }),
            "shipping" => json!({
                "description": "List of shipping address data.",
                "type": "object",
                "context": VIEW_EDIT,
                "properties": address_properties(false, version),
            }),
            "is_paying_customer" => readonly(json!({
                "description": "Is the customer a paying customer?",
                "type": "bool",
                "context": VIEW_EDIT,
            })),
            "orders_count" => readonly(json!({
                "description": "Quantity of orders made by the customer.",
                "type": "integer",
                "context": VIEW_EDIT,
            })),
            "total_spent" => readonly(text("Total amount spent.")),
            "avatar_url" => readonly(text("Avatar URL.")),
            "meta_data" => json!({
                "description": "Meta data.",
                "type": "array",
                "context": VIEW_EDIT,
                "maxItems": limits::META_ENTRIES,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": readonly(json!({"description": "Meta ID.", "type": "integer", "context": VIEW_EDIT})),
                        "key": with_max_chars(text("Meta key."), "meta_key"),
                        "value": {"description": "Meta value.", "type": "mixed", "context": VIEW_EDIT},
                    },
                },
            }),
            // `_links` is not a schema property.
            _ => continue,
        };
        properties.insert((*name).to_owned(), property);
        if *name == "username" {
            properties.insert(
                "password".into(),
                json!({"description": "Customer password.", "type": "string", "context": ["edit"]}),
            );
        }
    }
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "customer",
        "type": "object",
        "properties": properties,
    })
}

/// The schema of a batch request, as WooCommerce registers it.
pub fn batch_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "batch",
        "type": "object",
        "properties": {
            "create": {"description": "List of created resources.", "type": "array", "context": VIEW_EDIT, "items": {"type": "object"}},
            "update": {"description": "List of updated resources.", "type": "array", "context": VIEW_EDIT, "items": {"type": "object"}},
            "delete": {"description": "List of delete resources.", "type": "array", "context": VIEW_EDIT, "items": {"type": "integer"}},
        },
    })
}

/// The keywords WordPress copies from an argument's schema into an index
/// (`rest_get_allowed_schema_keywords`).
pub(crate) const ALLOWED_KEYWORDS: [&str; 25] = [
    "title",
    "description",
    "default",
    "type",
    "format",
    "enum",
    "items",
    "properties",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "anyOf",
    "oneOf",
];

/// WordPress's `get_endpoint_args_for_item_schema`: the writable properties of `schema`
/// as arguments, with WooCommerce's create overrides (`email` required and without a
/// format check; `username` and `password` optional).
fn schema_args(schema: &Value, create: bool) -> Map<String, Value> {
    let mut args = Map::new();
    let Some(properties) = schema["properties"].as_object() else {
        return args;
    };
    for (name, property) in properties {
        if property.get("readonly") == Some(&json!(true)) {
            continue;
        }
        let mut arg: Map<String, Value> = property
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| ALLOWED_KEYWORDS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let required = create && name == "email";
        if required {
            arg.remove("format");
        }
        arg.insert("required".into(), json!(required));
        args.insert(name.clone(), Value::Object(arg));
    }
    args
}

/// The arguments of one handler, as WordPress lists them. The batch endpoint's are the
/// item's editable ones, as WooCommerce registers them (`create`, `update` and `delete`
/// are in its schema but are no arguments, so WordPress checks none of them), without
/// clientele's length limits: the batch's own fields are checked for type and format
/// but never stored (its items are checked against the limits).
pub fn handler_args(handler: Handler, version: Version) -> Map<String, Value> {
    let params = |list: &[Parameter]| -> Map<String, Value> {
        list.iter()
            .map(|param| (param.name.to_owned(), wp_arg(param)))
            .collect()
    };
    match handler {
        Handler::List => params(&list_parameters()),
        Handler::Retrieve => params(&RETRIEVE_PARAMETERS),
        Handler::Downloads => params(&DOWNLOADS_PARAMETERS),
        Handler::Delete => params(&DELETE_PARAMETERS),
        Handler::Create => schema_args(&item_schema(version), true),
        Handler::Update => schema_args(&item_schema(version), false),
        Handler::Batch => {
            let mut args = Value::Object(schema_args(&item_schema(version), false));
            without_limits(&mut args);
            match args {
                Value::Object(args) => args,
                _ => Map::new(),
            }
        }
    }
}

/// `schema` without `maxLength` and `maxItems`, at every depth.
fn without_limits(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.remove("maxLength");
            map.remove("maxItems");
            map.values_mut().for_each(without_limits);
        }
        Value::Array(items) => items.iter_mut().for_each(without_limits),
        _ => {}
    }
}

/// A WordPress schema turned into JSON Schema: its own types (`date-time`, `bool`,
/// `mixed`) become standard ones, and `context`, `readonly`, `required` flags and
/// `arg_options` go.
pub fn to_json_schema(wp: &Value) -> Value {
    match wp {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "context" | "readonly" | "arg_options" | "$schema" => {}
                    "required" if value.is_boolean() => {}
                    "type" => match value.as_str() {
                        Some("date-time") => {
                            out.insert("type".into(), json!("string"));
                        }
                        Some("bool") => {
                            out.insert("type".into(), json!("boolean"));
                        }
                        Some("mixed") => {}
                        _ => {
                            out.insert(key.clone(), value.clone());
                        }
                    },
                    "properties" => {
                        let properties: Map<String, Value> = value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, property)| (name.clone(), to_json_schema(property)))
                            .collect();
                        out.insert(key.clone(), Value::Object(properties));
                    }
                    "items" => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The request body of a create, update or batch as JSON Schema: the handler's arguments,
/// and for a batch its three lists.
///
/// WordPress reads a JSON body that is not an object (`[]`, `5`, `null`) as parameters
/// named `0`, `1`, …, which no handler reads: an update or a batch then changes nothing
/// and succeeds, so the document allows any such body there. A create still needs its
/// `email`, so its body must be an object.
fn body_schema(handler: Handler, args: &Map<String, Value>) -> Value {
    let object = object_body_schema(handler, args);
    if handler == Handler::Create {
        return object;
    }
    or_not_an_object(object)
}

/// A meta key's `maxLength` holds only for the keys that are stored: WooCommerce skips a
/// protected key (one starting with `_`) whatever its length.
fn unbound_protected_keys(key: &mut Value) {
    if let Some(Value::Number(limit)) = key.as_object_mut().and_then(|k| k.remove("maxLength")) {
        key["anyOf"] = json!([
            {"maxLength": limit},
            {"pattern": "^_", "description": "Protected: skipped, whatever its length."},
        ]);
    }
}

/// `schema`, or any JSON that is not an object, which WordPress reads as no parameters.
pub(crate) fn or_not_an_object(schema: Value) -> Value {
    json!({"anyOf": [schema, {"not": {"type": "object"}, "description": "Read as no parameters."}]})
}

fn object_body_schema(handler: Handler, args: &Map<String, Value>) -> Value {
    let required: Vec<&String> = args
        .iter()
        .filter(|(_, arg)| arg.get("required") == Some(&json!(true)))
        .map(|(name, _)| name)
        .collect();
    let mut properties: Map<String, Value> = args
        .iter()
        .map(|(name, arg)| {
            let mut schema = to_json_schema(arg);
            if handler == Handler::Create && name == "email" {
                // WooCommerce refuses what `is_email` refuses (`registration-error-invalid-email`).
                schema["format"] = json!("email");
            }
            (name.clone(), schema)
        })
        .collect();
    if let Some(key) = properties
        .get_mut("meta_data")
        .and_then(|meta| meta.pointer_mut("/items/properties/key"))
    {
        unbound_protected_keys(key);
    }
    if handler == Handler::Batch {
        properties.extend(batch_lists("Customers"));
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// The batch body's `create`, `update` and `delete` as WooCommerce reads them: WordPress
/// does not check them, a list (or an object, by its values) is processed item by item,
/// an item that is not an object is one without fields (it fails in place), and any other
/// value is no list. `plural` names the resource (`Customers`, `Webhooks`), as both
/// resources' batches read their bodies with the same [`decode_batch`](super::decode::decode_batch).
pub(crate) fn batch_lists(plural: &str) -> Map<String, Value> {
    // The limit is on the three lists together (413 past it), which no schema can say.
    let list = |description: &str, items: Value| {
        json!({
            "description": description,
            "anyOf": [
                {"type": "array", "items": items},
                {"not": {"type": "array"}, "description": "Anything else counts as no list."},
            ],
        })
    };
    let mut lists = Map::new();
    lists.insert(
        "create".into(),
        list(
            &format!("{plural} to create, each as the create body."),
            json!({}),
        ),
    );
    lists.insert(
        "update".into(),
        list(
            &format!("{plural} to update, each with its `id`."),
            json!({}),
        ),
    );
    lists.insert(
        "delete".into(),
        list(
            "Ids to delete (`force` is implied); one that is not a number is skipped.",
            json!({}),
        ),
    );
    lists
}

// ---- the OpenAPI document ----

const STRING: &str = "string";

fn strings_object(names: &[&str]) -> Value {
    let properties: Map<String, Value> = names
        .iter()
        .map(|name| ((*name).to_owned(), json!({"type": STRING})))
        .collect();
    // Nothing is required: a `fields` filter may name some of them (`billing.city`).
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

fn links(names: &[&str]) -> Value {
    let href = json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"href": {"type": "string"}},
            "required": ["href"],
            "additionalProperties": false,
        },
    });
    let properties: Map<String, Value> = names
        .iter()
        .map(|name| ((*name).to_owned(), href.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": names, "additionalProperties": false})
}

const LOCAL_DATE: &str = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$";

/// The customer object as the encoder writes it, one property per entry of
/// [`CUSTOMER_FIELDS`].
pub fn customer_schema(version: Version) -> Value {
    let date = json!({"type": "string", "pattern": LOCAL_DATE});
    let nullable_date = json!({"type": ["string", "null"], "pattern": LOCAL_DATE});
    let billing_map = address_properties(true, version);
    let billing: Vec<&str> = billing_map.keys().map(String::as_str).collect();
    let shipping_map = address_properties(false, version);
    let shipping: Vec<&str> = shipping_map.keys().map(String::as_str).collect();
    let mut properties = Map::new();
    for (name, _) in CUSTOMER_FIELDS
        .iter()
        .filter(|(_, versions)| versions.contains(&version))
    {
        let schema = match *name {
            "id" => json!({"type": "integer", "minimum": 1}),
            "date_created" | "date_created_gmt" => date.clone(),
            "date_modified" | "date_modified_gmt" => nullable_date.clone(),
            "billing" => strings_object(&billing),
            "shipping" => strings_object(&shipping),
            "is_paying_customer" => json!({"type": "boolean"}),
            "orders_count" => json!({"type": "integer", "minimum": 0}),
            "total_spent" => json!({"type": "string", "pattern": "^-?\\d+\\.\\d{2}$"}),
            "meta_data" => json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "key": {"type": "string"},
                        "value": {},
                    },
                    "required": ["id", "key", "value"],
                    "additionalProperties": false,
                },
            }),
            "_links" => links(&["self", "collection"]),
            _ => json!({"type": STRING}),
        };
        properties.insert((*name).to_owned(), schema);
    }
    // No property is required: `_fields` keeps only the ones it names.
    json!({
        "type": "object",
        "description": "A customer (every property unless `_fields` names some).",
        "properties": properties,
        "additionalProperties": false,
    })
}

fn download_schema() -> Value {
    let mut file = strings_object(&["name", "file"]);
    file["description"] = json!("The file.");
    json!({
        "type": "object",
        "description": "A file the customer may download.",
        "properties": {
            "download_id": {"type": "string"},
            "download_url": {"type": "string"},
            "product_id": {"type": "integer"},
            "product_name": {"type": "string"},
            "download_name": {"type": "string"},
            "order_id": {"type": "integer"},
            "order_key": {"type": "string"},
            "downloads_remaining": {"type": "string", "description": "A count, or `unlimited`."},
            "access_expires": {"type": "string", "description": "A local date, or `never`."},
            "access_expires_gmt": {"type": "string", "description": "A UTC date, or `never`."},
            "file": file,
            "_links": links(&["collection", "product", "order"]),
        },
        "required": [
            "download_id", "download_url", "product_id", "product_name", "download_name",
            "order_id", "order_key", "downloads_remaining", "access_expires",
            "access_expires_gmt", "file", "_links"
        ],
        "additionalProperties": false,
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A WordPress error.",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "data": {
                "type": ["object", "null"],
                "properties": {
                    "status": {"type": "integer"},
                    "params": {
                        "description": "The message of each invalid parameter by name, or the names of missing ones.",
                        "type": ["object", "array"],
                        "additionalProperties": {"type": "string"},
                        "items": {"type": "string"},
                    },
                    "details": {"type": "object"},
                },
            },
        },
        "required": ["code", "message", "data"],
        "additionalProperties": false,
    })
}

fn batch_result_schema() -> Value {
    let results = json!({
        "type": "array",
        "items": {"oneOf": [
            schema_ref("Customer"),
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

/// The route description `OPTIONS` answers (and the index lists).
fn route_description_schema() -> Value {
    json!({
        "type": "object",
        "description": "A route as WordPress describes it.",
        "properties": {
            "namespace": {"type": "string"},
            "methods": {"type": "array", "items": {"type": "string"}},
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "methods": {"type": "array", "items": {"type": "string"}},
                        "args": {"type": "object"},
                        "allow_batch": {},
                    },
                    "required": ["methods"],
                },
            },
            "schema": {"type": "object"},
            "_links": {"type": "object"},
        },
        "required": ["namespace", "methods", "endpoints"],
        "additionalProperties": false,
    })
}

fn index_schema() -> Value {
    json!({
        "type": "object",
        "description": "WordPress's site index.",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "url": {"type": "string"},
            "home": {"type": "string"},
            "gmt_offset": {"type": ["number", "string"]},
            "timezone_string": {"type": "string"},
            "page_for_posts": {"type": "integer"},
            "page_on_front": {"type": "integer"},
            "show_on_front": {"type": "string"},
            "namespaces": {"type": "array", "items": {"type": "string"}},
            "authentication": {"type": ["object", "array"]},
            "routes": {"type": "object", "additionalProperties": schema_ref("RouteDescription")},
            "site_logo": {"type": "integer"},
            "site_icon": {"type": "integer"},
            "site_icon_url": {"type": "string"},
            "_links": {"type": "object"},
        },
        "required": ["name", "url", "home", "namespaces", "routes"],
        "additionalProperties": false,
    })
}

fn namespace_index_schema() -> Value {
    json!({
        "type": "object",
        "description": "WordPress's index of one namespace.",
        "properties": {
            "namespace": {"type": "string"},
            "routes": {"type": "object", "additionalProperties": schema_ref("RouteDescription")},
            "_links": {"type": "object"},
        },
        "required": ["namespace", "routes"],
        "additionalProperties": false,
    })
}

/// Headers every WordPress answer carries.
pub(crate) const WP_HEADERS: [&str; 11] = [
    "X-Robots-Tag",
    "X-Content-Type-Options",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Headers",
    "Link",
    "Vary",
    "Expires",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Credentials",
];

fn headers() -> Vec<HeaderDoc> {
    let text = |name, description| HeaderDoc {
        name,
        description,
        integer: false,
    };
    vec![
        HeaderDoc {
            name: "X-WP-Total",
            description: "Customers matching the query, over all pages.",
            integer: true,
        },
        HeaderDoc {
            name: "X-WP-TotalPages",
            description: "Pages of `per_page` customers.",
            integer: true,
        },
        text(
            "Link",
            "The API root (`rel=\"https://api.w.org/\"`), or on lists the `prev` and `next` pages.",
        ),
        text("Location", "The new customer's URL."),
        text(
            "Allow",
            "The methods the caller may use on the route (sent to authenticated callers and on `OPTIONS`).",
        ),
        text("X-Robots-Tag", "`noindex`."),
        text("X-Content-Type-Options", "`nosniff`."),
        text(
            "Access-Control-Expose-Headers",
            "`X-WP-Total, X-WP-TotalPages, Link`.",
        ),
        text(
            "Access-Control-Allow-Headers",
            "The request headers CORS allows.",
        ),
        text("Access-Control-Allow-Origin", "The request's `Origin`."),
        text(
            "Access-Control-Allow-Methods",
            "`OPTIONS, GET, POST, PUT, PATCH, DELETE` (with an `Origin`).",
        ),
        text(
            "Access-Control-Allow-Credentials",
            "`true` (with an `Origin`).",
        ),
        text("Vary", "`Origin`."),
        text("Expires", "A date in the past, for authenticated callers."),
        text("Cache-Control", "No caching, for authenticated callers."),
        RETRY_AFTER,
    ]
}

/// The errors of `statuses`, each with its part of the catalogue.
fn errors(statuses: &[u16]) -> Vec<ResponseDoc> {
    let mut catalogue: Vec<CatalogueEntry> = CATALOGUE.to_vec();
    catalogue.push(AUTHENTICATION);
    error_responses(&catalogue, statuses, "Error", &WP_HEADERS)
        .into_iter()
        .map(|response| response.with_headers(&["Allow"]))
        .collect()
}

/// The create answer's links, for stateful testing: the new customer read, updated,
/// deleted and its downloads listed, by the `id` answered.
fn created_links(response: ResponseDoc) -> ResponseDoc {
    let id = json!("$response.body#/id");
    let mut response = response
        .with_link(
            "RetrieveCustomer",
            "retrieveCustomer",
            &[("id", id.clone())],
        )
        .with_link(
            "ListCustomerDownloads",
            "listCustomerDownloads",
            &[("customer_id", id.clone())],
        );
    for operation_id in [
        "updateCustomer",
        "updateCustomer_put",
        "updateCustomer_patch",
    ] {
        response = response.with_link(
            format!(
                "{}{}",
                "UpdateCustomer",
                &operation_id["updateCustomer".len()..]
            ),
            operation_id,
            &[("id", id.clone())],
        );
    }
    response.with_link(
        "DeleteCustomer",
        "deleteCustomer",
        &[("id", id), ("force", json!("true"))],
    )
}

fn ok(status: u16, description: &str, schema: Value) -> ResponseDoc {
    ResponseDoc::json(status, description, schema)
        .with_headers(&WP_HEADERS)
        .with_headers(&["Allow"])
}

/// Statuses any authenticated operation can answer besides its own: bad parameters,
/// bad keys, refused keys, a body too large, a store failure, a busy store.
pub(crate) const COMMON_ERRORS: [u16; 6] = [400, 401, 403, 413, 500, 503];

fn operations(handler: Handler, version: Version) -> Vec<Operation> {
    let args = handler_args(handler, version);
    let (id, summary, query, body, mut responses): (_, _, _, _, Vec<ResponseDoc>) = match handler {
        Handler::List => (
            "listCustomers",
            "List registered customers.",
            list_parameters(),
            None,
            vec![
                ok(
                    200,
                    "One page of customers.",
                    json!({"type": "array", "items": schema_ref("Customer")}),
                )
                .with_required_headers(&["X-WP-Total", "X-WP-TotalPages"]),
            ],
        ),
        Handler::Create => (
            "createCustomer",
            "Create a customer.",
            Vec::new(),
            Some(body_schema(handler, &args)),
            vec![created_links(
                ok(201, "The customer created.", schema_ref("Customer"))
                    .with_required_headers(&["Location"]),
            )],
        ),
        Handler::Retrieve => (
            "retrieveCustomer",
            "Retrieve a customer.",
            RETRIEVE_PARAMETERS.to_vec(),
            None,
            vec![ok(200, "The customer.", schema_ref("Customer"))],
        ),
        Handler::Update => (
            "updateCustomer",
            "Update a customer (only the fields sent change).",
            Vec::new(),
            Some(body_schema(handler, &args)),
            vec![ok(200, "The customer updated.", schema_ref("Customer"))],
        ),
        Handler::Delete => (
            "deleteCustomer",
            "Delete a customer (`force=true` is required).",
            DELETE_PARAMETERS.to_vec(),
            None,
            vec![ok(200, "The customer as it was.", schema_ref("Customer"))],
        ),
        Handler::Batch => (
            "batchCustomers",
            "Create, update and delete customers in one request.",
            Vec::new(),
            Some(body_schema(handler, &args)),
            vec![ok(200, "Each item's result.", schema_ref("BatchResult"))],
        ),
        Handler::Downloads => (
            "listCustomerDownloads",
            "List a customer's downloads.",
            DOWNLOADS_PARAMETERS.to_vec(),
            None,
            vec![ok(
                200,
                "The files the customer may download.",
                json!({"type": "array", "items": schema_ref("Download")}),
            )],
        ),
    };
    let mut statuses = COMMON_ERRORS.to_vec();
    match handler {
        Handler::Retrieve | Handler::Downloads | Handler::Update | Handler::Delete => {
            statuses.push(404);
        }
        _ => {}
    }
    if handler == Handler::Delete {
        statuses.push(501);
    }
    statuses.sort_unstable();
    responses.extend(errors(&statuses));
    let description = match handler {
        Handler::Batch => format!(
            "At most {BATCH_LIMIT} items in all; a failed item is reported in place and the others still run."
        ),
        _ => String::new(),
    };
    handler
        .methods()
        .iter()
        .map(|method| {
            let suffix = match (*method, handler.methods().len()) {
                (_, 1) => String::new(),
                ("POST", _) => String::new(),
                (other, _) => format!("_{}", other.to_ascii_lowercase()),
            };
            Operation {
                method,
                id: format!("{id}{suffix}"),
                summary: summary.into(),
                description: description.clone(),
                query: query.clone(),
                body: body.clone(),
                body_required: handler == Handler::Create,
                body_form: false,
                secured: true,
                responses: responses.clone(),
            }
        })
        .collect()
}

/// `OPTIONS` on a route; where the path has an id, one that is not digits matches no
/// route (`404 rest_no_route`).
pub(crate) fn options_operation(id: String, has_id: bool) -> Operation {
    Operation {
        method: "OPTIONS",
        id,
        summary: "Describe the route: its methods, each endpoint's arguments and the item schema."
            .into(),
        description: String::new(),
        query: Vec::new(),
        body: None,
        body_required: false,
        body_form: false,
        secured: false,
        responses: {
            let mut responses = vec![
                ok(
                    200,
                    "The route's description.",
                    schema_ref("RouteDescription"),
                )
                .with_required_headers(&["Allow"]),
            ];
            let statuses: &[u16] = if has_id {
                &[401, 404, 413, 503]
            } else {
                &[401, 413, 503]
            };
            responses.extend(errors(statuses));
            responses
        },
    }
}

fn path_params(template: &str) -> Vec<PathParam> {
    let mut params = Vec::new();
    for name in ["id", "customer_id"] {
        if template.contains(&format!("{{{name}}}")) {
            params.push(PathParam {
                name,
                // The route takes any digits, 0 too: `OPTIONS` describes the route whatever
                // the id, while the other methods answer 0 with
                // `400 woocommerce_rest_invalid_id`, as for any id that names no customer.
                schema: json!({"type": "integer", "minimum": 0}),
                description: "The customer's id.",
            });
        }
    }
    params
}

/// The whole API of `version` as an [`Api`].
pub fn api(version: Version) -> Api {
    let namespace = version.namespace();
    let slug = namespace.replace('/', "-");
    let mut routes = vec![
        Route {
            path: "/wp-json/".into(),
            path_params: Vec::new(),
            operations: vec![Operation {
                method: "GET",
                id: "siteIndex".into(),
                summary: "WordPress's site index: namespaces and routes with their arguments."
                    .into(),
                description: String::new(),
                query: Vec::new(),
                body: None,
                body_required: false,
                body_form: false,
                secured: false,
                responses: {
                    let mut responses = vec![ok(200, "The index.", schema_ref("SiteIndex"))];
                    responses.extend(errors(&[401, 413, 503]));
                    responses
                },
            }],
        },
        Route {
            path: format!("/wp-json/{namespace}"),
            path_params: Vec::new(),
            operations: vec![Operation {
                method: "GET",
                id: "namespaceIndex".into(),
                summary: format!("The routes of `{namespace}` with their arguments."),
                description: String::new(),
                query: Vec::new(),
                body: None,
                body_required: false,
                body_form: false,
                secured: false,
                responses: {
                    let mut responses = vec![ok(
                        200,
                        "The namespace's index.",
                        schema_ref("NamespaceIndex"),
                    )];
                    responses.extend(errors(&[401, 413, 503]));
                    responses
                },
            }],
        },
    ];
    for route in ROUTES {
        let mut operations: Vec<Operation> = route
            .handlers
            .iter()
            .flat_map(|handler| operations(*handler, version))
            .collect();
        let options_id = format!(
            "describe{}",
            match route.template {
                "/customers" => "Customers",
                "/customers/{id}" => "Customer",
                "/customers/batch" => "Batch",
                _ => "Downloads",
            }
        );
        operations.push(options_operation(options_id, route.template.contains('{')));
        routes.push(Route {
            path: format!("/wp-json/{namespace}{}", route.template),
            path_params: path_params(route.template),
            operations,
        });
    }
    routes.extend(super::webhooks::contract::routes(version));
    let description = format!(
        "The customers API of the WooCommerce REST API `{namespace}`, as clientele serves it. \
         Routes also answer under `/?rest_route=/{namespace}/…` (WordPress's plain permalinks).\n\n\
         Authentication: over https (or behind a trusted proxy sending `X-Forwarded-Proto: https`) \
         HTTP Basic with the consumer key and secret, or the `consumer_key` and `consumer_secret` \
         query parameters; over plain http, OAuth 1.0a one-legged signatures (HMAC-SHA1 or \
         HMAC-SHA256) for the site URL, each nonce once, within 15 minutes. Read keys may `GET`, \
         write keys `POST`, `PUT`, `PATCH` and `DELETE`.\n\n\
         WordPress's global parameters `_fields`, `_envelope`, `_method` and `_jsonp` are read as \
         WordPress reads them and are not listed per operation. Every error has WordPress's shape \
         `{{\"code\", \"message\", \"data\": {{\"status\"}}}}`."
    );
    Api {
        blank_query_is_absent: false,
        title: format!("WooCommerce REST API {namespace}: customers"),
        version: namespace.into(),
        description,
        docs_page: format!("docs/dialects/{slug}.md"),
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
                json!({"type": "apiKey", "in": "query", "name": "oauth_signature", "description": "OAuth 1.0a one-legged: `oauth_consumer_key`, `oauth_timestamp`, `oauth_nonce`, `oauth_signature_method` (`HMAC-SHA1` or `HMAC-SHA256`) and `oauth_signature` in the query string, signed with `consumer_secret&` over the site URL of the request (plain http)."}),
            ),
        ],
        security: vec![
            vec!["basic"],
            vec!["consumerKey", "consumerSecret"],
            vec!["oauth1"],
        ],
        schemas: vec![
            ("Customer", customer_schema(version)),
            ("Download", download_schema()),
            ("Error", error_schema()),
            ("BatchResult", batch_result_schema()),
            ("RouteDescription", route_description_schema()),
            ("SiteIndex", index_schema()),
            ("NamespaceIndex", namespace_index_schema()),
        ]
        .into_iter()
        .chain(super::webhooks::contract::schemas())
        .collect(),
        headers: headers(),
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wc_rest::decode::Endpoint;

    #[test]
    fn handlers_register_the_methods_the_router_accepts() {
        let endpoints = [
            Endpoint::Collection,
            Endpoint::Item(1),
            Endpoint::Batch,
            Endpoint::Downloads(1),
        ];
        for (route, endpoint) in ROUTES.iter().zip(endpoints) {
            let methods: Vec<&str> = route
                .handlers
                .iter()
                .flat_map(|handler| handler.methods().iter().copied())
                .collect();
            assert_eq!(methods, endpoint.methods(), "{}", route.pattern);
        }
    }

    /// Each table's values against its decoder: a value outside the kind is reported
    /// under the parameter's name, the default is accepted.
    fn check_table(
        table: &[Parameter],
        decode: impl Fn(&crate::wc_rest::decode::Params) -> Result<(), super::super::errors::RestError>,
    ) {
        for parameter in table {
            let bad = match parameter.kind {
                ParamKind::OneOf(_) => json!("not-a-value"),
                ParamKind::Integer { .. } => json!("x"),
                ParamKind::Boolean => json!("maybe"),
                _ => continue,
            };
            let mut one = crate::wc_rest::decode::Params::new();
            one.insert(parameter.name.to_owned(), bad);
            let error = decode(&one).unwrap_err().to_json();
            assert!(
                error["data"]["params"].get(parameter.name).is_some(),
                "{}",
                parameter.name
            );
            if let Some(default) = parameter.default {
                let mut one = crate::wc_rest::decode::Params::new();
                one.insert(parameter.name.to_owned(), json!(default));
                assert!(decode(&one).is_ok(), "{}", parameter.name);
            }
        }
    }

    #[test]
    fn parameter_tables_match_the_decoders() {
        use crate::wc_rest::decode;
        check_table(&RETRIEVE_PARAMETERS, decode::decode_retrieve);
        check_table(&DOWNLOADS_PARAMETERS, decode::decode_downloads);
        check_table(&DELETE_PARAMETERS, |params| {
            decode::decode_delete(params).map(|_| ())
        });
        let mut edit = decode::Params::new();
        edit.insert("context".into(), json!("edit"));
        assert!(decode::decode_retrieve(&edit).is_ok());
        assert!(decode::decode_downloads(&edit).is_err());
    }

    #[test]
    fn create_requires_only_the_email_without_a_format() {
        let args = handler_args(Handler::Create, Version::V3);
        assert_eq!(
            args["email"],
            json!({"description": "The email address for the customer.", "type": "string", "required": true, "maxLength": 100})
        );
        assert_eq!(args["password"]["required"], false);
        assert!(
            !args.contains_key("id"),
            "read-only properties are no arguments"
        );
        let update = handler_args(Handler::Update, Version::V2);
        assert_eq!(update["email"]["format"], "email");
        assert!(update["shipping"]["properties"].get("phone").is_none());
    }

    #[test]
    fn wordpress_types_become_json_schema() {
        let schema = to_json_schema(&item_schema(Version::V3));
        assert_eq!(
            schema["properties"]["date_created"],
            json!({"description": "The date the customer was created, in the site's timezone.", "type": "string"})
        );
        assert_eq!(
            schema["properties"]["is_paying_customer"]["type"],
            "boolean"
        );
        assert!(
            schema["properties"]["meta_data"]["items"]["properties"]["value"]
                .get("type")
                .is_none()
        );
    }
}
