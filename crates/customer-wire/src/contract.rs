//! Machine-readable contracts: each dialect describes its API as an [`Api`] (routes,
//! operations, parameters, bodies, responses, headers and security schemes), built from
//! the tables its codecs use (parameter tables, field lists, error catalogues), and
//! [`Api::openapi`] renders it as an OpenAPI 3.1 document.
//!
//! A resource is one table of [`Route`]s: adding one (webhooks, say) to a dialect's
//! document is adding its routes to the dialect's `contract` module.

use serde_json::{Map, Value, json};

use crate::catalogue::{CatalogueEntry, ParamKind, Parameter};

/// The JSON Schema dialect of OpenAPI 3.1 documents.
pub const JSON_SCHEMA_DIALECT: &str = "https://spec.openapis.org/oas/3.1/dialect/base";

/// A whole API as one dialect serves it.
#[derive(Debug, Clone)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the API's own version name (`wc/v3`, `v2`, …).
    pub version: String,
    /// `info.description` (CommonMark).
    pub description: String,
    /// Where the dialect's documentation page lives, relative to the repository.
    pub docs_page: String,
    /// The security schemes, by name.
    pub security_schemes: Vec<(&'static str, Value)>,
    /// The ways an operation accepts credentials: any one entry, each entry naming the
    /// schemes that go together.
    pub security: Vec<Vec<&'static str>>,
    /// Reusable schemas (`components.schemas`), by name.
    pub schemas: Vec<(&'static str, Value)>,
    /// Reusable response headers (`components.headers`), by name.
    pub headers: Vec<HeaderDoc>,
    /// The routes, in document order.
    pub routes: Vec<Route>,
    /// Whether an optional query parameter sent blank (empty or only whitespace) is read
    /// as not sent, as easycart reads every one; the document then allows the blank value.
    pub blank_query_is_absent: bool,
}

/// A response header the API sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderDoc {
    /// The header's name as sent.
    pub name: &'static str,
    /// What it carries.
    pub description: &'static str,
    /// Whether it is an integer (`X-WP-Total`) rather than text.
    pub integer: bool,
}

/// A path and the operations on it.
#[derive(Debug, Clone)]
pub struct Route {
    /// The path template from the site root (`/wp-json/wc/v3/customers/{id}`).
    pub path: String,
    /// The path's placeholders.
    pub path_params: Vec<PathParam>,
    /// One entry per method.
    pub operations: Vec<Operation>,
}

/// A placeholder of a path template.
#[derive(Debug, Clone)]
pub struct PathParam {
    /// Its name in the template.
    pub name: &'static str,
    /// Its schema.
    pub schema: Value,
    /// What it names.
    pub description: &'static str,
}

/// One method on one route.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The method, upper case.
    pub method: &'static str,
    /// A unique, stable operation id.
    pub id: String,
    /// A one-line summary.
    pub summary: String,
    /// Longer text (CommonMark), possibly empty.
    pub description: String,
    /// Query parameters.
    pub query: Vec<Parameter>,
    /// The request body schema, when the operation reads one (as JSON).
    pub body: Option<Value>,
    /// Whether a body must be sent.
    pub body_required: bool,
    /// Whether the body is a form (`application/x-www-form-urlencoded`, its schema an
    /// object of the variables) rather than JSON.
    pub body_form: bool,
    /// Whether the operation needs credentials (else anonymous callers are served).
    pub secured: bool,
    /// Every response the operation can give.
    pub responses: Vec<ResponseDoc>,
}

/// One status an operation answers with.
#[derive(Debug, Clone)]
pub struct ResponseDoc {
    /// The HTTP status.
    pub status: u16,
    /// What it means.
    pub description: String,
    /// The media types of its body with their schema (`None`: any text); empty when
    /// the response has no body.
    pub content: Vec<(&'static str, Option<Value>)>,
    /// Headers it may carry, by name, with whether each is always sent.
    pub headers: Vec<(&'static str, bool)>,
    /// OpenAPI links: operations the answer leads to, by link name.
    pub links: Vec<(String, LinkDoc)>,
}

/// An OpenAPI link: another operation, with parameters taken from this answer (runtime
/// expressions such as `$response.body#/id`) or fixed.
#[derive(Debug, Clone)]
pub struct LinkDoc {
    /// The operation linked to.
    pub operation_id: String,
    /// Its parameters by name: a runtime expression or a constant.
    pub parameters: Vec<(&'static str, Value)>,
}

impl ResponseDoc {
    /// A JSON response.
    pub fn json(status: u16, description: impl Into<String>, schema: Value) -> Self {
        Self {
            status,
            description: description.into(),
            content: vec![("application/json", Some(schema))],
            headers: Vec::new(),
            links: Vec::new(),
        }
    }

    /// The same response with a link to `operation_id`.
    pub fn with_link(
        mut self,
        name: impl Into<String>,
        operation_id: impl Into<String>,
        parameters: &[(&'static str, Value)],
    ) -> Self {
        self.links.push((
            name.into(),
            LinkDoc {
                operation_id: operation_id.into(),
                parameters: parameters.to_vec(),
            },
        ));
        self
    }

    /// The same response with more headers that may be sent.
    pub fn with_headers(mut self, names: &[&'static str]) -> Self {
        self.headers.extend(names.iter().map(|name| (*name, false)));
        self
    }

    /// The same response with headers that are always sent.
    pub fn with_required_headers(mut self, names: &[&'static str]) -> Self {
        self.headers.extend(names.iter().map(|name| (*name, true)));
        self
    }

    /// The same response with one more media type.
    pub fn or_content(mut self, media_type: &'static str, schema: Option<Value>) -> Self {
        self.content.push((media_type, schema));
        self
    }
}

/// `schema` for an object, or any value that is not an object, which the original reads
/// as no fields at all (PHP's `isset` on a scalar's offset is false).
pub fn object_or_ignored(schema: Value) -> Value {
    json!({
        "anyOf": [
            schema,
            {"not": {"type": "object"}, "description": "Read as no fields."},
        ],
    })
}

/// `$ref` to a schema of `components.schemas`.
pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The most characters the model keeps in a customer field a body may set, named as
/// the model names it (`email`, `first_name`, `meta_key`; an address field by its own
/// name under `address.`), from [`customer_model::limits`].
pub fn max_chars(field: &str) -> Option<usize> {
    use customer_model::limits;
    Some(match field {
        "email" | "address.email" => limits::EMAIL_CHARS,
        "username" => limits::USERNAME_CHARS,
        "first_name" | "last_name" => limits::NAME_CHARS,
        "display_name" => limits::DISPLAY_NAME_CHARS,
        "avatar_url" => limits::AVATAR_URL_CHARS,
        "meta_key" => limits::META_KEY_CHARS,
        _ if field.starts_with("address.") => limits::ADDRESS_FIELD_CHARS,
        _ => return None,
    })
}

/// `schema` with the `maxLength` of the model's `field` ([`max_chars`]), when it has one.
pub fn with_max_chars(mut schema: Value, field: &str) -> Value {
    if let Some(max) = max_chars(field) {
        schema["maxLength"] = json!(max);
    }
    schema
}

/// The JSON Schema of a parameter of `kind`.
pub fn param_schema(kind: &ParamKind) -> Value {
    match kind {
        ParamKind::Text => json!({"type": "string"}),
        ParamKind::Integer { min, max } => {
            let mut schema = json!({"type": "integer"});
            if let Some(min) = min {
                schema["minimum"] = json!(min);
            }
            if let Some(max) = max {
                schema["maximum"] = json!(max);
            }
            schema
        }
        ParamKind::Boolean => json!({"type": "boolean"}),
        ParamKind::OneOf(values) => json!({"type": "string", "enum": values}),
        ParamKind::IdList => json!({"type": "array", "items": {"type": "integer"}}),
        ParamKind::Email => json!({"type": "string", "format": "email"}),
        ParamKind::DateTime => json!({"type": "string", "format": "date-time"}),
        ParamKind::Date(pattern) => {
            let mut schema = json!({"type": "string", "format": "date"});
            if let Some(pattern) = pattern {
                schema["pattern"] = json!(pattern);
            }
            schema
        }
        ParamKind::Currency => {
            let codes: Vec<String> = customer_model::Currency::all()
                .into_iter()
                .map(customer_model::Currency::lower_code)
                .collect();
            json!({"type": "string", "enum": codes})
        }
        ParamKind::Uuid => json!({"type": "string", "format": "uuid"}),
        ParamKind::Pattern(pattern) => json!({"type": "string", "pattern": pattern}),
    }
}

/// A Markdown table of catalogue entries (for a response's description).
pub fn catalogue_table(entries: &[CatalogueEntry]) -> String {
    let with_codes = entries.iter().any(|entry| !entry.code.is_empty());
    let mut text = if with_codes {
        String::from("| code | message |\n|---|---|\n")
    } else {
        String::from("| message |\n|---|\n")
    };
    for entry in entries {
        let message = entry.message.replace('|', "\\|");
        if with_codes {
            text.push_str(&format!("| `{}` | {message} |\n", entry.code));
        } else {
            text.push_str(&format!("| {message} |\n"));
        }
    }
    text
}

/// The entries of `catalogue` with `status`.
pub fn with_status(catalogue: &[CatalogueEntry], status: u16) -> Vec<CatalogueEntry> {
    catalogue
        .iter()
        .filter(|entry| entry.status == status)
        .copied()
        .collect()
}

/// One error response per status, each described with its part of `catalogue`, with
/// the body schema `schema` (a name in `components.schemas`) and the `headers` that may
/// come with it (`Retry-After` is added to 503s).
pub fn error_responses(
    catalogue: &[CatalogueEntry],
    statuses: &[u16],
    schema: &str,
    headers: &[&'static str],
) -> Vec<ResponseDoc> {
    statuses
        .iter()
        .map(|status| {
            let entries = with_status(catalogue, *status);
            let description = if entries.is_empty() {
                "An error.".to_owned()
            } else {
                format!("An error; among them:\n\n{}", catalogue_table(&entries))
            };
            let mut response =
                ResponseDoc::json(*status, description, schema_ref(schema)).with_headers(headers);
            if *status == 503 {
                response = response.with_headers(&["Retry-After"]);
            }
            response
        })
        .collect()
}

/// The `Retry-After` header of 503 answers.
pub const RETRY_AFTER: HeaderDoc = HeaderDoc {
    name: "Retry-After",
    description: "Seconds to wait before trying again.",
    integer: true,
};

impl Api {
    /// The OpenAPI 3.1 document.
    pub fn openapi(&self) -> Value {
        let mut paths = Map::new();
        for route in &self.routes {
            paths.insert(route.path.clone(), self.path_item(route));
        }
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|header| {
                let schema = if header.integer {
                    json!({"type": "integer"})
                } else {
                    json!({"type": "string"})
                };
                (
                    header.name.to_owned(),
                    json!({"description": header.description, "schema": schema}),
                )
            })
            .collect();
        let schemas: Map<String, Value> = self
            .schemas
            .iter()
            .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
            .collect();
        let schemes: Map<String, Value> = self
            .security_schemes
            .iter()
            .map(|(name, scheme)| ((*name).to_owned(), scheme.clone()))
            .collect();
        json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": JSON_SCHEMA_DIALECT,
            "info": {
                "title": self.title,
                "version": self.version,
                "description": self.description,
                "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
            },
            "externalDocs": {
                "description": "The dialect's page: what is supported and where clientele differs from the original.",
                "url": self.docs_page,
            },
            "servers": [{"url": "/", "description": "The clientele server that serves this document."}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "headers": headers,
                "securitySchemes": schemes,
            },
        })
    }

    fn path_item(&self, route: &Route) -> Value {
        let mut item = Map::new();
        if !route.path_params.is_empty() {
            let params: Vec<Value> = route
                .path_params
                .iter()
                .map(|param| {
                    json!({
                        "name": param.name,
                        "in": "path",
                        "required": true,
                        "description": param.description,
                        "schema": param.schema,
                    })
                })
                .collect();
            item.insert("parameters".into(), Value::Array(params));
        }
        for operation in &route.operations {
            item.insert(
                operation.method.to_ascii_lowercase(),
                self.operation(operation),
            );
        }
        Value::Object(item)
    }

    fn operation(&self, operation: &Operation) -> Value {
        let mut out = Map::new();
        out.insert("operationId".into(), json!(operation.id));
        out.insert("summary".into(), json!(operation.summary));
        if !operation.description.is_empty() {
            out.insert("description".into(), json!(operation.description));
        }
        if !operation.query.is_empty() {
            let params: Vec<Value> = operation
                .query
                .iter()
                .map(|param| query_parameter(param, self.blank_query_is_absent))
                .collect();
            out.insert("parameters".into(), Value::Array(params));
        }
        if let Some(schema) = &operation.body {
            let media_type = if operation.body_form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            out.insert(
                "requestBody".into(),
                json!({
                    "required": operation.body_required,
                    "content": {media_type: {"schema": schema}},
                }),
            );
        }
        let mut responses = Map::new();
        for response in &operation.responses {
            responses.insert(response.status.to_string(), self.response(response));
        }
        out.insert("responses".into(), Value::Object(responses));
        let security: Vec<Value> = if operation.secured {
            self.security
                .iter()
                .map(|names| {
                    let together: Map<String, Value> = names
                        .iter()
                        .map(|name| ((*name).to_owned(), json!([])))
                        .collect();
                    Value::Object(together)
                })
                .collect()
        } else {
            vec![json!({})]
        };
        out.insert("security".into(), Value::Array(security));
        Value::Object(out)
    }

    fn response(&self, response: &ResponseDoc) -> Value {
        let mut out = Map::new();
        out.insert("description".into(), json!(response.description));
        if !response.headers.is_empty() {
            let headers: Map<String, Value> = response
                .headers
                .iter()
                .map(|(name, required)| {
                    let reference = json!({"$ref": format!("#/components/headers/{name}")});
                    let value = if *required {
                        // A reference cannot say `required`; the header is then spelled out.
                        let doc = self
                            .headers
                            .iter()
                            .find(|header| header.name == *name)
                            .expect("every response header is in components.headers");
                        let schema = if doc.integer {
                            json!({"type": "integer"})
                        } else {
                            json!({"type": "string"})
                        };
                        json!({"description": doc.description, "required": true, "schema": schema})
                    } else {
                        reference
                    };
                    ((*name).to_owned(), value)
                })
                .collect();
            out.insert("headers".into(), Value::Object(headers));
        }
        if !response.links.is_empty() {
            let links: Map<String, Value> = response
                .links
                .iter()
                .map(|(name, link)| {
                    let parameters: Map<String, Value> = link
                        .parameters
                        .iter()
                        .map(|(name, value)| ((*name).to_owned(), value.clone()))
                        .collect();
                    (
                        name.clone(),
                        json!({"operationId": link.operation_id, "parameters": parameters}),
                    )
                })
                .collect();
            out.insert("links".into(), Value::Object(links));
        }
        if !response.content.is_empty() {
            let content: Map<String, Value> = response
                .content
                .iter()
                .map(|(media_type, schema)| {
                    let schema = schema.clone().unwrap_or_else(|| json!({"type": "string"}));
                    ((*media_type).to_owned(), json!({ "schema": schema }))
                })
                .collect();
            out.insert("content".into(), Value::Object(content));
        }
        Value::Object(out)
    }
}

fn query_parameter(param: &Parameter, blank_is_absent: bool) -> Value {
    let mut schema = param_schema(&param.kind);
    if let Some(default) = param.default {
        schema["default"] = default_value(&param.kind, default);
    }
    if blank_is_absent && !param.required {
        schema = json!({"anyOf": [
            schema,
            {"type": "string", "pattern": "^\\s*$", "description": "Blank: read as not sent."},
        ]});
    }
    let mut out = json!({
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": param.description,
        "schema": schema,
    });
    if matches!(param.kind, ParamKind::IdList) {
        // `include=1,2,3`; `include[]=1&include[]=2` is read too.
        out["style"] = json!("form");
        out["explode"] = json!(false);
    }
    out
}

/// A documented default as the JSON value of its kind.
pub fn default_value(kind: &ParamKind, default: &str) -> Value {
    match kind {
        ParamKind::Integer { .. } => default.parse::<i64>().map_or(json!(default), Value::from),
        ParamKind::Boolean => json!(default == "true"),
        ParamKind::IdList => json!([]),
        _ => json!(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        Api {
            blank_query_is_absent: false,
            title: "t".into(),
            version: "v".into(),
            description: String::new(),
            docs_page: "docs/x.md".into(),
            security_schemes: vec![("basic", json!({"type": "http", "scheme": "basic"}))],
            security: vec![vec!["basic"]],
            schemas: vec![("Thing", json!({"type": "object"}))],
            headers: vec![HeaderDoc {
                name: "X-Total",
                description: "count",
                integer: true,
            }],
            routes: vec![Route {
                path: "/things/{id}".into(),
                path_params: vec![PathParam {
                    name: "id",
                    schema: json!({"type": "integer"}),
                    description: "id",
                }],
                operations: vec![Operation {
                    method: "GET",
                    id: "getThing".into(),
                    summary: "one".into(),
                    description: String::new(),
                    query: vec![Parameter {
                        name: "n",
                        kind: ParamKind::Integer {
                            min: Some(1),
                            max: None,
                        },
                        default: Some("5"),
                        required: false,
                        description: "n",
                    }],
                    body: None,
                    body_required: false,
                    body_form: false,
                    secured: true,
                    responses: vec![
                        ResponseDoc::json(200, "ok", schema_ref("Thing"))
                            .with_required_headers(&["X-Total"])
                            .with_link("Again", "getThing", &[("id", json!("$response.body#/id"))]),
                    ],
                }],
            }],
        }
    }

    #[test]
    fn documents_carry_routes_parameters_and_headers() {
        let doc = api().openapi();
        assert_eq!(doc["openapi"], "3.1.0");
        let get = &doc["paths"]["/things/{id}"]["get"];
        assert_eq!(get["parameters"][0]["schema"]["default"], 5);
        assert_eq!(get["parameters"][0]["schema"]["minimum"], 1);
        assert_eq!(get["security"], json!([{"basic": []}]));
        let header = &get["responses"]["200"]["headers"]["X-Total"];
        assert_eq!(header["required"], true);
        assert_eq!(header["schema"]["type"], "integer");
        assert_eq!(doc["paths"]["/things/{id}"]["parameters"][0]["in"], "path");
        assert_eq!(
            get["responses"]["200"]["links"]["Again"],
            json!({"operationId": "getThing", "parameters": {"id": "$response.body#/id"}})
        );
    }

    #[test]
    fn catalogues_become_tables() {
        let table = catalogue_table(&[CatalogueEntry::new(404, "gone", "Not | here.")]);
        assert!(table.contains("| `gone` | Not \\| here. |"));
        let plain = catalogue_table(&[CatalogueEntry::new(404, "", "Missing.")]);
        assert!(plain.starts_with("| message |"));
    }
}
