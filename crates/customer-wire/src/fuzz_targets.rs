//! The bodies of the fuzz targets (the `fuzz/` crate runs them under libFuzzer) and of
//! their regression tests (`tests/fuzz_regressions.rs` replays every kept input under
//! `fixtures/fuzz/<target>/` in the ordinary test run). Each takes arbitrary bytes, runs
//! a decoder on them and panics when a property fails:
//!
//! - nothing panics and nothing recurses without bound (a stack overflow aborts the run);
//! - what a decoder keeps is bounded: PHP's variable count and nesting limits hold, and
//!   no answer is much larger than the request that caused it;
//! - a request the decoders refuse is answered in the dialect's own error shape, with a
//!   client error status (4xx), never a server error.
//!
//! Request targets read their input as a small HTTP message ([`Exchange`]): a request
//! line `METHOD TARGET`, header lines `name: value`, an empty line, then the body. The
//! seed corpora are the requests of the conformance fixtures written that way.

use serde_json::Value;

use crate::php::{MAX_INPUT_NESTING_LEVEL, MAX_INPUT_VARS, Var, Vars};
use crate::request::{Headers, Incoming};
use crate::site::SiteUrl;
use crate::woo::auth::{self, Flavor, OAuthParams};
use crate::{Reply, easycart, edd, import, wc_legacy, wc_rest};

/// A target body: runs one input and panics when a property fails.
pub type Target = fn(&[u8]);

/// The targets, by name: the name of the fuzz target, of its corpus and of its folder
/// of kept inputs under `fixtures/fuzz/`.
pub const TARGETS: [(&str, Target); 7] = [
    ("php_vars", php_vars),
    ("oauth", oauth),
    ("wc_rest", wc_rest_request),
    ("wc_legacy", wc_legacy_request),
    ("edd", edd_request),
    ("easycart", easycart_request),
    ("import", import_file),
];

/// The site every request target answers for.
const SITE: &str = "https://shop.example.com";

/// How many bytes an answer may have per byte of the request (error messages quote
/// parameters), plus a fixed allowance for the catalogue's own text and links.
const ANSWER_GROWTH: usize = 8;
const ANSWER_ALLOWANCE: usize = 64 * 1024;

/// A request written as a small HTTP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The method (the request line up to its first space).
    pub method: String,
    /// The path and query (the rest of the request line).
    pub target: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Everything after the empty line.
    pub body: Vec<u8>,
}

impl Exchange {
    /// Reads `data`: a request line, header lines, an empty line, the body. Any bytes
    /// are some request; text is read lossily, as a server would refuse what is not
    /// visible ASCII before a codec sees it.
    pub fn parse(data: &[u8]) -> Self {
        let (head, body) = match data.windows(2).position(|pair| pair == b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        let mut lines = head.split(|&b| b == b'\n');
        let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default());
        let (method, target) = request_line
            .trim_end_matches('\r')
            .split_once(' ')
            .unwrap_or(("GET", "/"));
        let headers = lines
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let colon = line.iter().position(|&b| b == b':')?;
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                Some((name, line[colon + 1..].trim_ascii().to_vec()))
            })
            .collect();
        Self {
            method: method.to_owned(),
            target: if target.starts_with('/') {
                target.to_owned()
            } else {
                format!("/{target}")
            },
            headers,
            body: body.to_vec(),
        }
    }

    /// The request as the codecs see it, over https.
    pub fn incoming(&self) -> Incoming<'_> {
        let headers = Headers::new(
            self.headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_slice())),
        );
        Incoming::new(&self.method, &self.target, headers, &self.body, true)
    }

    /// The message as [`Exchange::parse`] reads it (for writing seeds).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = format!("{} {}\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(value);
            bytes.push(b'\n');
        }
        bytes.push(b'\n');
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// PHP's query and form parser: the count and nesting limits hold whatever the input.
pub fn php_vars(data: &[u8]) {
    let vars = Vars::parse(data);
    let (mut leaves, mut deepest) = (0, 0);
    for (_, var) in vars.iter() {
        measure(var, 1, &mut leaves, &mut deepest);
    }
    assert!(leaves <= MAX_INPUT_VARS, "{leaves} variables kept");
    assert!(
        deepest <= MAX_INPUT_NESTING_LEVEL + 1,
        "variables nested {deepest} deep"
    );
    let mut again = vars.clone();
    again.extend_from(data);
    assert!(again.len() <= MAX_INPUT_VARS);
}

/// Counts the scalar values under `var` and its depth.
fn measure(var: &Var, depth: usize, leaves: &mut usize, deepest: &mut usize) {
    *deepest = (*deepest).max(depth);
    match var {
        Var::Str(_) => *leaves += 1,
        Var::Array(items) if items.is_empty() => *leaves += 1,
        Var::Array(items) => {
            for (_, item) in items {
                measure(item, depth + 1, leaves, deepest);
            }
        }
    }
}

/// WooCommerce key authentication's readers: credentials in the query, Basic and
/// `Authorization: OAuth` headers, OAuth parameters, stamps and signatures of both
/// APIs. Every refusal is a 4xx.
pub fn oauth(data: &[u8]) {
    let exchange = Exchange::parse(data);
    let incoming = exchange.incoming();
    let site = SiteUrl::new(SITE);
    let _ = auth::query_credentials(&incoming.query);
    let _ = auth::basic_credentials(&incoming.headers);
    if let Some(header) = incoming.headers.get("authorization") {
        let params = auth::oauth_header_params(header);
        assert!(params.len() <= header.len(), "more parameters than bytes");
    }
    for flavor in [Flavor::Rest, Flavor::Legacy] {
        let _ = auth::method_override(&incoming, flavor);
        let method = auth::effective_method(&incoming, flavor);
        let (params, base_url) = match flavor {
            Flavor::Rest => (
                OAuthParams::rest(&incoming),
                auth::rest_base_url(site, &incoming),
            ),
            Flavor::Legacy => (
                OAuthParams::legacy(&incoming.query),
                auth::legacy_base_url(site, &incoming),
            ),
        };
        let missing = params.missing();
        if !missing.is_empty() {
            assert_client_error(params.missing_error(&missing).status);
        }
        let _ = auth::clean_consumer_key(flavor, &params.consumer_key());
        if let Err(error) = params.stamp().check(flavor, 1_700_000_000) {
            assert_client_error(error.status);
        }
        if let Err(error) = params.verify("cs_secret", &method, &base_url) {
            assert_client_error(error.status);
        }
    }
}

/// Every WooCommerce REST decoder on one request (whatever its route and method, so
/// that each sees every input), and every refusal in WordPress's error shape.
pub fn wc_rest_request(data: &[u8]) {
    let exchange = Exchange::parse(data);
    let incoming = exchange.incoming();
    let request = wc_rest::decode::RestRequest::read(&incoming, SiteUrl::new(SITE));
    let route = request.route();
    let frame = request.frame(&incoming, true);
    let refused = |error: wc_rest::errors::RestError| {
        let reply = frame.reply(error.into());
        if !frame.envelope {
            assert_client_error(reply.status);
        }
        if request.method == "HEAD" {
            assert!(reply.body_bytes().is_empty(), "a body for HEAD");
            return;
        }
        let body = checked_json(&reply, data);
        // `_envelope` answers 200 with the status and the error inside.
        let (status, error) = match body.get("body") {
            Some(inner) if frame.envelope => (body["status"].as_u64().unwrap_or(0), inner),
            _ => (u64::from(reply.status), &body),
        };
        assert!((400..500).contains(&status), "{body}");
        assert!(error["code"].is_string(), "{body}");
        assert!(error["message"].is_string(), "{body}");
        assert_eq!(error["data"]["status"], status, "{body}");
    };
    let params = match request.params(&incoming) {
        Ok(params) => params,
        Err(error) => return refused(error),
    };
    let version = route.map_or(wc_rest::Version::V3, |route| route.version);
    let path_id = match route.map(|route| route.endpoint) {
        Some(wc_rest::decode::Endpoint::Item(id) | wc_rest::decode::Endpoint::Downloads(id)) => id,
        _ => 0,
    };
    let timezone = jiff::tz::TimeZone::UTC;
    let outcomes = [
        wc_rest::decode::decode_list(&params, &timezone).map(drop),
        wc_rest::decode::route_id(&params, path_id).map(drop),
        wc_rest::decode::decode_retrieve(&params),
        wc_rest::decode::decode_downloads(&params),
        wc_rest::decode::decode_delete(&params).map(drop),
        wc_rest::decode::validate_args(&params, wc_rest::decode::Operation::Create, version),
        wc_rest::decode::validate_args(&params, wc_rest::decode::Operation::Update, version),
        wc_rest::decode::decode_create(&params, version).map(drop),
        wc_rest::decode::decode_update(&params, version).map(drop),
    ];
    for outcome in outcomes {
        if let Err(error) = outcome {
            refused(error);
        }
    }
    let batch = wc_rest::decode::decode_batch(&params);
    for item in &batch.create {
        let params = wc_rest::decode::batch_create_params(&params, item);
        if let Err(error) = wc_rest::decode::decode_create(&params, version) {
            refused(error);
        }
    }
}

/// The legacy API's decoders: method, callback, operation, list and orders parameters,
/// bodies of create, edit and bulk; every refusal in its `{errors:[…]}` shape.
pub fn wc_legacy_request(data: &[u8]) {
    use wc_legacy::decode;
    use wc_legacy::errors::Action;
    let exchange = Exchange::parse(data);
    let incoming = exchange.incoming();
    let refused = |error: &wc_legacy::errors::LegacyError| {
        let reply = wc_legacy::encode::error_reply(error);
        let body = checked_json(&reply, data);
        assert_client_error(reply.status);
        let first = &body["errors"][0];
        assert!(
            first["code"].is_string() && first["message"].is_string(),
            "{body}"
        );
    };
    let request = decode::LegacyRequest::read(&incoming);
    let _ = request.scope_method();
    match request.operation(&incoming) {
        Ok(
            decode::Operation::Get(id)
            | decode::Operation::Edit(id)
            | decode::Operation::Delete(id)
            | decode::Operation::Orders(id)
            | decode::Operation::Downloads(id),
        ) => {
            if let Err(error) = id.id() {
                refused(&error);
            }
        }
        Ok(_) => {}
        Err(error) => refused(&error),
    }
    let _ = decode::decode_list(&incoming.query);
    let _ = decode::decode_orders_page(&incoming.query);
    let body = decode::parse_body(&exchange.body);
    for action in [Action::Create, Action::Edit] {
        match decode::customer_payload(&body, action) {
            Ok(payload) => match decode::decode_customer(payload) {
                Ok(input) => {
                    let outcomes = [
                        input.new_email().map(drop),
                        input.patch().map(drop),
                        input
                            .new_email()
                            .and_then(|email| input.new_customer(&email, "fuzz").map(drop)),
                    ];
                    for outcome in outcomes {
                        if let Err(error) = outcome {
                            refused(&error);
                        }
                    }
                }
                Err(error) => refused(&error),
            },
            Err(error) => refused(&error),
        }
    }
    match decode::bulk_items(&body) {
        Ok(items) => {
            for item in items {
                let _ = decode::bulk_item_id(item);
                if let Err(error) = decode::decode_customer(item) {
                    refused(&error);
                }
            }
        }
        Err(error) => refused(&error),
    }
}

/// EDD's decoders (variables, version, format, customers parameters) and its answers in
/// JSON and XML; every refusal is `{"error": …}` (or its XML) with a 4xx.
pub fn edd_request(data: &[u8]) {
    let exchange = Exchange::parse(data);
    let incoming = exchange.incoming();
    let check = |reply: &Reply| {
        assert_bounded(reply, data);
        let text = String::from_utf8(reply.body_bytes()).expect("answers are UTF-8");
        // EDD sends XML without a content type of its own: WordPress's `text/html`.
        if reply.header("Content-Type") != Some("application/json") {
            assert_well_formed_xml(&text);
            if reply.status >= 400 {
                assert!(text.contains("<error>"), "{text}");
            }
        } else {
            let body: Value = serde_json::from_str(&text).expect("a JSON answer");
            if reply.status >= 400 {
                assert!(body["error"].is_string(), "{body}");
            }
        }
    };
    for default in [edd::Version::V1, edd::Version::V2] {
        let request = match edd::decode::EddRequest::read(&incoming, default) {
            Ok(request) => request,
            Err((error, format)) => {
                let reply = edd::encode::refusal(&error, format);
                assert_client_error(reply.status);
                check(&reply);
                continue;
            }
        };
        let _ = request.credentials();
        let now = jiff::Timestamp::from_second(1_700_000_000)
            .expect("a valid instant")
            .to_zoned(jiff::tz::TimeZone::UTC);
        match request.customers(&now) {
            Ok(customers) => {
                let _ = customers.query();
                check(&edd::encode::not_found_reply(&customers, 0.01));
            }
            Err(error) => {
                let reply = edd::encode::refusal(&error, request.format);
                assert_client_error(reply.status);
                check(&reply);
            }
        }
    }
}

/// easycart's decoders (route, bearer token, list and detail parameters); every
/// refusal is `{"message": …}` with a 4xx.
pub fn easycart_request(data: &[u8]) {
    use easycart::decode;
    let exchange = Exchange::parse(data);
    let incoming = exchange.incoming();
    let refused = |error: easycart::errors::ApiError| {
        let reply = error.reply();
        let body = checked_json(&reply, data);
        assert_client_error(reply.status);
        assert!(body["message"].is_string(), "{body}");
    };
    match decode::route(&incoming) {
        Ok(decode::Route::One(id)) => {
            let _ = decode::parse_uuid(id);
        }
        Ok(_) => {}
        Err(error) => refused(error),
    }
    if let Err(error) = decode::bearer_token(&incoming.headers) {
        refused(error);
    }
    match decode::ListRequest::decode(&incoming.query) {
        Ok(list) => {
            let _ = list.customer_query(&jiff::tz::TimeZone::UTC, None);
        }
        Err(error) => refused(error),
    }
    if let Err(error) = decode::GetRequest::decode(&incoming.query) {
        refused(error);
    }
}

/// The import decoder: a file is decoded or refused with errors that each name where
/// they are; never more errors than the file has bytes.
pub fn import_file(data: &[u8]) {
    match import::decode_slice(data) {
        Ok(decoded) => {
            assert!(decoded.records.len() <= data.len(), "records from nothing");
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal without a reason");
            assert!(errors.len() <= data.len() + 1, "{} errors", errors.len());
            for error in &errors {
                assert!(!error.to_string().is_empty());
            }
        }
    }
}

/// A reply's JSON body, after checking that its size is bounded by the request's.
fn checked_json(reply: &Reply, request: &[u8]) -> Value {
    assert_bounded(reply, request);
    serde_json::from_slice(&reply.body_bytes()).expect("error bodies are JSON")
}

fn assert_bounded(reply: &Reply, request: &[u8]) {
    let size = reply.body_bytes().len();
    assert!(
        size <= request.len() * ANSWER_GROWTH + ANSWER_ALLOWANCE,
        "a {size}-byte answer to a {}-byte request",
        request.len()
    );
}

fn assert_client_error(status: u16) {
    assert!((400..500).contains(&status), "status {status}");
}

fn assert_well_formed_xml(text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!("malformed XML ({error}): {text}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_reads_back_what_it_writes() {
        let exchange = Exchange {
            method: "POST".into(),
            target: "/wp-json/wc/v3/customers?x=1".into(),
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: b"{\"email\":\"a@example.com\"}\n\nmore".to_vec(),
        };
        assert_eq!(Exchange::parse(&exchange.to_bytes()), exchange);
        assert_eq!(Exchange::parse(b"").target, "/");
    }
}
