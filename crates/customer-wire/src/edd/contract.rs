//! The EDD API's `customers` endpoint as data ([`api`]): the query variables the decoder
//! reads ([`parameters`], checked against [`super::decode::QUERY_VARS`]), the customer
//! objects of each version ([`super::encode::V1_INFO_FIELDS`],
//! [`super::encode::V2_INFO_FIELDS`], [`super::encode::STATS_FIELDS`]) and the catalogue.

use serde_json::{Map, Value, json};

use super::Version;
use super::encode::{STATS_FIELDS, V1_INFO_FIELDS, V2_INFO_FIELDS};
use super::errors::CATALOGUE;
use crate::catalogue::{ParamKind, Parameter};
use crate::contract::{Api, Operation, RETRY_AFTER, ResponseDoc, Route, schema_ref};

/// v2's `date` values: the decoder's `DATE_VALUES`, and empty for no filter.
const DATES: [&str; 13] = [
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "last_30_days",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "range",
    "",
];

/// `format`'s values; empty is JSON, as when it is absent.
const FORMATS: [&str; 3] = ["json", "xml", ""];

/// The parameters of `customers` in `version` (credentials are security schemes).
pub fn parameters(version: Version) -> Vec<Parameter> {
    let mut params = vec![
        Parameter {
            name: "number",
            // A whole number, or empty for the default.
            kind: ParamKind::Pattern("^\\s*(-?[0-9]+)?\\s*$"),
            default: Some("10"),
            required: false,
            description: "Customers per page; `-1` for all of them (v1 also reads `0` so).",
        },
        Parameter {
            name: "page",
            kind: ParamKind::Text,
            default: Some("1"),
            required: false,
            description: "The page, from 1 (read with `absint`: anything unreadable is page 1).",
        },
        Parameter {
            name: "customer",
            kind: ParamKind::Text,
            default: None,
            required: false,
            description: match version {
                Version::V1 => {
                    "One customer: an id (or `customer[id]`, `customer[user_id]`), else an e-mail address (or `customer[email]`)."
                }
                Version::V2 => "One customer: an id, or else an e-mail address.",
            },
        },
    ];
    if version == Version::V2 {
        params.extend([
            Parameter {
                name: "date",
                kind: ParamKind::OneOf(&DATES),
                default: None,
                required: false,
                description: "Customers created in a named period of the site's calendar, or in `range` (`startdate` to `enddate`); empty for no filter.",
            },
            Parameter {
                name: "startdate",
                kind: ParamKind::Text,
                default: None,
                required: false,
                description: "With `date=range`: the first day, `YYYYMMDD` or `YYYY-MM-DD` (required then).",
            },
            Parameter {
                name: "enddate",
                kind: ParamKind::Text,
                default: None,
                required: false,
                description: "With `date=range`: the last day (default today).",
            },
        ]);
    }
    params.push(Parameter {
        name: "format",
        kind: ParamKind::OneOf(&FORMATS),
        default: Some("json"),
        required: false,
        description: "`json` (pretty-printed; also when empty) or `xml` (EDD's XML, sent as `text/html`).",
    });
    params
}

/// The variables of [`parameters`] as a form body's fields.
fn form_schema(version: Version) -> Value {
    let properties: Map<String, Value> = parameters(version)
        .iter()
        .map(|param| {
            let mut schema = crate::contract::param_schema(&param.kind);
            schema["description"] = json!(param.description);
            (param.name.to_owned(), schema)
        })
        .collect();
    json!({"type": "object", "properties": properties})
}

fn closed(properties: Map<String, Value>) -> Value {
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn info_schema(version: Version) -> Value {
    let fields: &[&str] = match version {
        Version::V1 => &V1_INFO_FIELDS,
        Version::V2 => &V2_INFO_FIELDS,
    };
    let properties: Map<String, Value> = fields
        .iter()
        .map(|name| {
            let schema = match (version, *name) {
                (Version::V1, "id") => json!({"type": "integer", "description": "The user id; `-1` for a guest."}),
                (Version::V2, "customer_id") => json!({"type": "string", "pattern": "^[0-9]+$"}),
                (Version::V2, "user_id") => json!({"type": ["string", "integer"], "description": "The user id as text; the integer 0 for a guest."}),
                (Version::V2, "additional_emails") => json!({
                    "type": ["object", "null"],
                    "description": "Other addresses keyed from 1, or null.",
                    "additionalProperties": {"type": "string"},
                }),
                (Version::V2, "date_created") => json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$"}),
                _ => json!({"type": "string"}),
            };
            ((*name).to_owned(), schema)
        })
        .collect();
    closed(properties)
}

fn stats_schema() -> Value {
    let properties: Map<String, Value> = STATS_FIELDS
        .iter()
        .map(|name| {
            let schema = match *name {
                "total_spent" => json!({"type": "number"}),
                _ => json!({"type": "integer", "minimum": 0}),
            };
            ((*name).to_owned(), schema)
        })
        .collect();
    closed(properties)
}

fn answer_schema() -> Value {
    json!({
        "oneOf": [
            {
                "type": "object",
                "description": "The customers found.",
                "properties": {
                    "customers": {"type": "array", "items": schema_ref("Customer"), "minItems": 1},
                    "request_speed": {"type": "number"},
                },
                "required": ["customers", "request_speed"],
                "additionalProperties": false,
            },
            {
                "type": "object",
                "description": "Nothing matched (`No customers found!`, `Customer … not found!`), still with status 200.",
                "properties": {
                    "error": {"type": "string"},
                    "request_speed": {"type": "number"},
                },
                "required": ["error", "request_speed"],
                "additionalProperties": false,
            },
        ],
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "EDD's error body.",
        "properties": {"error": {"type": "string"}},
        "required": ["error"],
        "additionalProperties": false,
    })
}

fn response(status: u16, description: String, schema: Value) -> ResponseDoc {
    ResponseDoc::json(status, description, schema).or_content("text/html", None)
}

/// The whole API of `version` as an [`Api`].
pub fn api(version: Version) -> Api {
    let number = match version {
        Version::V1 => "v1",
        Version::V2 => "v2",
    };
    let mut responses = vec![response(
        200,
        "The customers found, newest first, or a 200 error saying nothing matched.".into(),
        answer_schema(),
    )];
    for status in [400, 401, 403, 404, 413, 500, 503] {
        let entries = crate::contract::with_status(&CATALOGUE, status);
        let description = format!(
            "An error; among them:\n\n{}",
            crate::contract::catalogue_table(&entries)
        );
        let mut error = response(status, description, schema_ref("Error"));
        if status == 503 {
            error = error.with_headers(&["Retry-After"]);
        }
        responses.push(error);
    }
    let get = Operation {
        method: "GET",
        id: "listCustomers".into(),
        summary: "List customers (guests too), or find one.".into(),
        description: "EDD reads the same variables from a form body too, on any method \
                      (`POST` shows it); a variable sent in both with different values is \
                      refused."
            .into(),
        query: parameters(version),
        body: None,
        body_required: false,
        body_form: false,
        secured: true,
        responses: responses.clone(),
    };
    let post = Operation {
        method: "POST",
        id: "listCustomersByForm".into(),
        summary: "The same, with the variables in a form body.".into(),
        description: "WordPress reads query variables from the form body as from the \
                      query string; the credentials stay in the query string here."
            .into(),
        query: Vec::new(),
        body: Some(form_schema(version)),
        body_required: false,
        body_form: true,
        secured: true,
        responses,
    };
    let description = format!(
        "The `customers` endpoint of the Easy Digital Downloads API {number}, as clientele \
         serves it. The same endpoint answers at `/edd-api/{number}/customers/` and \
         `/?edd-api={number}/customers` (and, for the default version, at \
         `/edd-api/customers/`).\n\nAuthentication: the `key` (public key) and `token` \
         (`md5(secret + public key)`) query variables. Every answer is `application/json` \
         (pretty-printed), or EDD's XML as `text/html` with `format=xml`."
    );
    Api {
        blank_query_is_absent: false,
        title: format!("Easy Digital Downloads API {number}: customers"),
        version: number.into(),
        description,
        docs_page: format!("docs/dialects/edd-{number}.md"),
        security_schemes: vec![
            (
                "key",
                json!({"type": "apiKey", "in": "query", "name": "key", "description": "The public key."}),
            ),
            (
                "token",
                json!({"type": "apiKey", "in": "query", "name": "token", "description": "`md5(secret + public key)`."}),
            ),
        ],
        security: vec![vec!["key", "token"]],
        schemas: vec![
            (
                "Customer",
                closed(
                    [
                        ("info".to_owned(), info_schema(version)),
                        ("stats".to_owned(), stats_schema()),
                    ]
                    .into_iter()
                    .collect(),
                ),
            ),
            ("Error", error_schema()),
        ],
        headers: vec![RETRY_AFTER],
        routes: vec![Route {
            path: format!("/edd-api/{number}/customers/"),
            path_params: Vec::new(),
            operations: vec![get, post],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edd::decode::{DATE_VALUES, QUERY_VARS};

    #[test]
    fn dates_are_the_decoders_and_empty() {
        assert_eq!(DATES[..DATES.len() - 1], DATE_VALUES);
        assert_eq!(DATES[DATES.len() - 1], "");
    }

    #[test]
    fn parameters_are_the_query_variables_the_decoder_reads() {
        for version in [Version::V1, Version::V2] {
            let mut names: Vec<&str> = parameters(version).iter().map(|p| p.name).collect();
            names.extend(["key", "token"]);
            for name in &names {
                assert!(QUERY_VARS.contains(name), "{name}");
            }
            if version == Version::V2 {
                assert_eq!(names.len(), QUERY_VARS.len());
            }
        }
    }
}
