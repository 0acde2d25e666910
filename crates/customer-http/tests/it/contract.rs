//! Every answer the conformance cases get, held to the dialect's OpenAPI document: the
//! status must be one the operation lists, every header with API meaning must be one the
//! response lists (and the required ones present, integers as integers), the media type
//! one of its content types, and a JSON body must match the schema.
//!
//! Requests the document does not describe (paths outside it: EDD's unversioned path,
//! unknown routes; methods a route does not document; the global parameters that reshape
//! any answer, which the documents describe in words: `_envelope`, `_jsonp`, `_method`, `X-HTTP-Method-Override`)
//! are counted, not checked: their answers are held to the conformance cases alone.

use std::collections::HashMap;

use conformance::replay::{Answer, BuiltRequest, Transport};
use customer_wire::Dialect;
use serde_json::Value;

/// Headers any HTTP response may carry, whatever the API.
const TRANSPORT_HEADERS: [&str; 6] = [
    "content-type",
    "content-length",
    "date",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// Global parameters that turn an answer into another shape or another operation.
const RESHAPING: [&str; 3] = ["_envelope", "_jsonp", "_method"];

/// One dialect's document and the validators compiled from it so far.
pub(crate) struct ContractCheck {
    slug: &'static str,
    document: Value,
    validators: HashMap<String, jsonschema::Validator>,
    /// Answers checked against an operation.
    pub(crate) checked: usize,
    /// Requests the document does not describe, with their method and path.
    pub(crate) undescribed: Vec<String>,
    /// What the document does not allow, one line each.
    pub(crate) violations: Vec<String>,
}

impl ContractCheck {
    /// The check of `dialect`'s document.
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            slug: dialect.slug(),
            document: dialect.openapi(),
            validators: HashMap::new(),
            checked: 0,
            undescribed: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Checks one answer to `method` on `request`.
    pub(crate) fn check(&mut self, method: &str, request: &BuiltRequest, answer: &Answer) {
        let path = documented_form(request);
        let vars = customer_wire::php::Vars::parse(request.query.as_bytes());
        let overridden = request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("x-http-method-override"));
        if overridden || RESHAPING.iter().any(|name| vars.contains(name)) {
            self.undescribed
                .push(format!("{method} {}", request.target()));
            return;
        }
        let Some((template, item)) = self.path_item(&path) else {
            self.undescribed.push(format!("{method} {path}"));
            return;
        };
        let lower = method.to_ascii_lowercase();
        let Some(operation) = item.get(lower.as_str()).cloned() else {
            self.undescribed.push(format!("{method} {path}"));
            return;
        };
        self.checked += 1;
        let at = format!(
            "{}: {method} {} → {}",
            self.slug,
            request.target(),
            answer.status
        );
        let status = answer.status.to_string();
        let Some(response) = operation["responses"].get(&status).cloned() else {
            self.violations
                .push(format!("{at}: status {status} not documented"));
            return;
        };
        let mut problems = header_problems(&self.document, &response, answer);
        if method != "HEAD" {
            problems.extend(self.body_problems(&template, &lower, &status, &response, answer));
        }
        self.violations.extend(
            problems
                .into_iter()
                .map(|problem| format!("{at}: {problem}")),
        );
    }

    /// The path template and path item that `path` matches.
    fn path_item(&self, path: &str) -> Option<(String, Value)> {
        let wanted: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let paths = self.document["paths"].as_object()?;
        paths.iter().find_map(|(template, item)| {
            let segments: Vec<&str> = template.trim_end_matches('/').split('/').collect();
            let matches = segments.len() == wanted.len()
                && segments.iter().zip(&wanted).all(|(segment, given)| {
                    (segment.starts_with('{') && !given.is_empty()) || segment == given
                });
            matches.then(|| (template.clone(), item.clone()))
        })
    }

    fn body_problems(
        &mut self,
        template: &str,
        method: &str,
        status: &str,
        response: &Value,
        answer: &Answer,
    ) -> Vec<String> {
        let content = response["content"].as_object().cloned().unwrap_or_default();
        if content.is_empty() {
            return if answer.body.is_empty() {
                Vec::new()
            } else {
                vec!["a body where the document has none".into()]
            };
        }
        let media = answer
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let Some(media_doc) = content.get(&media) else {
            return vec![format!("media type `{media}` not documented")];
        };
        if media != "application/json" {
            return Vec::new();
        }
        let body: Value = match serde_json::from_str(&answer.body) {
            Ok(body) => body,
            Err(error) => return vec![format!("not JSON: {error}")],
        };
        let key = format!("{template} {method} {status} {media}");
        let validator = self.validators.entry(key).or_insert_with(|| {
            let mut schema = media_doc["schema"].clone();
            if let Value::Object(map) = &mut schema {
                // `#/components/…` references resolve against this copy of the components.
                map.insert("components".into(), self.document["components"].clone());
            }
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("every response schema compiles")
        });
        validator
            .iter_errors(&body)
            .take(3)
            .map(|error| format!("body at `{}`: {error}", error.instance_path()))
            .collect()
    }
}

/// The path as the document spells it: WordPress's `?rest_route=` and EDD's `?edd-api=`
/// forms turned into their pretty paths.
fn documented_form(request: &BuiltRequest) -> String {
    let vars = customer_wire::php::Vars::parse(request.query.as_bytes());
    if let Some(route) = vars.text("rest_route") {
        return format!("/wp-json{route}");
    }
    if let Some(value) = vars.text("edd-api") {
        return format!("/edd-api/{value}");
    }
    request.path.clone()
}

/// Headers the response sends that it does not list, required headers it lacks, and
/// integer headers that are not integers.
fn header_problems(document: &Value, response: &Value, answer: &Answer) -> Vec<String> {
    let listed = response["headers"].as_object().cloned().unwrap_or_default();
    let listed_lower: Vec<String> = listed
        .keys()
        .map(|name| name.to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for (name, value) in &answer.headers {
        let lower = name.to_ascii_lowercase();
        if TRANSPORT_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        let Some(position) = listed_lower.iter().position(|listed| *listed == lower) else {
            problems.push(format!("header `{name}` not documented for this response"));
            continue;
        };
        let (listed_name, doc) = listed.iter().nth(position).expect("a listed header");
        let doc = match doc.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                &document["components"]["headers"][reference.rsplit('/').next().unwrap_or_default()]
            }
            None => doc,
        };
        if doc["schema"]["type"] == "integer" && value.trim().parse::<i64>().is_err() {
            problems.push(format!("header `{listed_name}` is not an integer: {value}"));
        }
    }
    for (name, doc) in &listed {
        let present = answer
            .headers
            .iter()
            .any(|(sent, _)| sent.eq_ignore_ascii_case(name));
        if doc["required"] == true && !present {
            problems.push(format!("required header `{name}` missing"));
        }
    }
    problems
}

/// A transport that holds every answer of another to the document.
pub(crate) struct Checked<'a, T> {
    /// The transport that answers.
    pub(crate) inner: T,
    /// The check every answer goes through.
    pub(crate) check: &'a mut ContractCheck,
}

impl<T: Transport> Transport for Checked<'_, T> {
    fn send(&mut self, method: &str, built: &BuiltRequest) -> Result<Answer, String> {
        let answer = self.inner.send(method, built)?;
        self.check.check(method, built, &answer);
        Ok(answer)
    }
}

#[test]
fn a_field_status_or_header_the_document_does_not_allow_is_found() {
    let request = BuiltRequest {
        path: "/api/v1/store".into(),
        query: String::new(),
        headers: Vec::new(),
        body: None,
    };
    let answer = |status: u16, headers: &[(&str, &str)], body: &str| Answer {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        body: body.to_owned(),
    };
    let json = ("content-type", "application/json");
    let good = r#"{"currencies": ["usd"], "default_currency": "usd"}"#;
    let mut check = ContractCheck::new(Dialect::EasycartV1);
    check.check("GET", &request, &answer(200, &[json], good));
    assert!(check.violations.is_empty(), "{:?}", check.violations);
    let extra_field = r#"{"currencies": [], "default_currency": "usd", "x": 1}"#;
    for (status, headers, body) in [
        (200, vec![json], extra_field),
        (201, vec![json], good),
        (200, vec![json, ("x-wp-total", "1")], good),
        (200, vec![("content-type", "text/html")], good),
    ] {
        let mut check = ContractCheck::new(Dialect::EasycartV1);
        check.check("GET", &request, &answer(status, &headers, body));
        assert_eq!(check.violations.len(), 1, "{status} {headers:?} {body}");
    }
    let mut check = ContractCheck::new(Dialect::EasycartV1);
    check.check("DELETE", &request, &answer(405, &[json], "{}"));
    assert_eq!((check.checked, check.undescribed.len()), (0, 1));
}

/// The query parameter `name` of the operation at `path`, as the document describes it.
fn query_schema(document: &Value, path: &str, name: &str) -> jsonschema::Validator {
    let parameter = document["paths"][path]["get"]["parameters"]
        .as_array()
        .expect("the operation has parameters")
        .iter()
        .find(|parameter| parameter["name"] == name)
        .unwrap_or_else(|| panic!("{path} documents `{name}`"));
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&parameter["schema"])
        .expect("the parameter's schema compiles")
}

proptest::proptest! {
    /// easycart's `include`: the document's pattern allows exactly what the decoder reads
    /// (comma-separated values, each trimmed, blank ones skipped).
    #[test]
    fn easycart_include_is_documented_as_decoded(
        parts in proptest::collection::vec(
            proptest::sample::select(vec!["orders", "ltv", "access", "subscriptions", ",", " ", "\t", "x", "ordersltv", "À"]),
            0..8,
        )
    ) {
        let document = Dialect::EasycartV1.openapi();
        let include = parts.concat();
        let documented = query_schema(&document, "/api/v1/customers/{id}", "include")
            .is_valid(&Value::String(include.clone()));
        let query = format!("currency=usd&include={}", urlencoding_lite(&include));
        let decoded = customer_wire::easycart::decode::GetRequest::decode(
            &customer_wire::php::Vars::parse(query.as_bytes()),
        )
        .is_ok();
        proptest::prop_assert_eq!(documented, decoded, "include={:?}", include);
    }

    /// easycart reads a blank optional parameter as not sent, and its document says so.
    #[test]
    fn easycart_blank_parameters_are_documented_as_absent(
        name in proptest::sample::select(vec!["page", "created_from", "created_to", "product", "subscription_status", "query"]),
        blank in proptest::sample::select(vec!["", " ", "  \t"]),
    ) {
        let document = Dialect::EasycartV1.openapi();
        let documented = query_schema(&document, "/api/v1/customers", name)
            .is_valid(&Value::String(blank.to_owned()));
        let query = format!("currency=usd&{name}={}", urlencoding_lite(blank));
        let decoded = customer_wire::easycart::decode::ListRequest::decode(
            &customer_wire::php::Vars::parse(query.as_bytes()),
        )
        .is_ok();
        proptest::prop_assert!(documented, "{}={:?} is not documented", name, blank);
        proptest::prop_assert!(decoded, "{}={:?} is refused", name, blank);
    }
}

/// Percent-encodes everything but ASCII letters and digits.
fn urlencoding_lite(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
