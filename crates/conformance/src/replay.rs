//! Replaying cases: building each request (variables, auth), handing it to a
//! [`Transport`] (a socket, or the server as a function), and comparing the answer with
//! the expectation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use sha2::Digest as _;
use similar::TextDiff;

use crate::case::{Auth, CaseFile, Expect, RequestSpec, Step};
use crate::matcher::{Mismatch, Reconcile, check_json, check_text, reconcile};
use crate::oauth::{Normalisation, Signer, legacy_signing_method, rawurlencode};
use crate::ordered::Value;
use crate::vars::Variables;

/// What the steps of one dialect run share: the site URL OAuth requests are signed for,
/// and the variables (keys, captures).
pub struct DialectRun {
    /// The site URL the server signs OAuth requests against, without a trailing `/`.
    site_url: String,
    /// The keys and captured values.
    pub vars: Variables,
}

impl DialectRun {
    /// A run signing for `site_url`, with `vars`.
    pub fn new(site_url: &str, vars: Variables) -> Self {
        Self {
            site_url: site_url.trim_end_matches('/').to_owned(),
            vars,
        }
    }
}

/// Something that answers built requests: a server behind a socket, or in process.
pub trait Transport {
    /// Sends `request` with `method` and returns the answer, or why there is none.
    fn send(&mut self, method: &str, request: &BuiltRequest) -> Result<Answer, String>;
}

/// What a server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Header names and values in order.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// All values of header `name` (any case), joined as HTTP joins repeated headers.
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Why a step did not pass.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// Differences between the expectation and the answer.
    pub mismatches: Vec<Mismatch>,
    /// A failure before or after comparing (sending, a variable, a capture).
    pub error: Option<String>,
    /// A unified diff of the expected and actual bodies.
    pub diff: Option<String>,
    /// The answer's body, when nothing else shows it.
    pub body_excerpt: Option<String>,
    /// The `json` expectation `--update` would write for this step.
    pub updated_json: Option<Value>,
    /// The status the server answered, when it answered.
    pub status: Option<u16>,
}

impl Failure {
    /// Whether the server's own log may explain this failure: it answered 5xx or not at all.
    pub fn server_side(&self) -> bool {
        self.status.is_none_or(|status| status >= 500)
    }
}

/// One step's result.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// `METHOD /path` as sent (without the query, which carries secrets).
    pub request_line: String,
    pub failure: Option<Failure>,
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub path: PathBuf,
    pub description: String,
    pub source: Option<String>,
    /// The steps that ran, in order (a step that could not complete ends the case).
    pub steps: Vec<StepReport>,
    /// Steps the case has but did not run.
    pub skipped: usize,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.skipped == 0 && self.steps.iter().all(|step| step.failure.is_none())
    }
}

/// Runs every step of a case in order. A step whose response was compared lets the case
/// go on (so one run shows every difference and `--update` can fix them all); a step that
/// could not be sent or whose capture failed ends it, since later steps depend on it.
pub fn replay_case(
    run: &mut DialectRun,
    transport: &mut impl Transport,
    file: &CaseFile,
) -> CaseReport {
    let mut steps = Vec::new();
    for step in &file.case.steps {
        let report = replay_step(run, transport, step);
        let fatal = report
            .failure
            .as_ref()
            .is_some_and(|failure| failure.error.is_some());
        steps.push(report);
        if fatal {
            break;
        }
    }
    CaseReport {
        path: file.path.clone(),
        description: file.case.description.clone(),
        source: file.case.source.clone(),
        skipped: file.case.steps.len() - steps.len(),
        steps,
    }
}

fn replay_step(run: &mut DialectRun, transport: &mut impl Transport, step: &Step) -> StepReport {
    let method = step.request.method.to_ascii_uppercase();
    let built = match build_request(run, &method, &step.request) {
        Ok(built) => built,
        Err(error) => {
            return StepReport {
                request_line: format!("{method} {}", step.request.path),
                failure: Some(Failure {
                    error: Some(error),
                    ..Failure::default()
                }),
            };
        }
    };
    let request_line = format!("{method} {}", built.path);
    let answer = match transport.send(&method, &built) {
        Ok(answer) => answer,
        Err(error) => {
            return StepReport {
                request_line,
                failure: Some(Failure {
                    error: Some(error),
                    ..Failure::default()
                }),
            };
        }
    };
    // Captures come first: a step's own expectation may use them (a `Location` header
    // that names the id the body carries).
    let body_json: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
    let captured = run.vars.capture(&step.capture, body_json.as_ref());
    let mut failure = compare(&step.expect, &answer, &run.vars);
    failure.status = Some(answer.status);
    if let Err(error) = captured {
        failure.error = Some(error);
        failure
            .body_excerpt
            .get_or_insert_with(|| excerpt(&answer.body));
    }
    let failed = !failure.mismatches.is_empty() || failure.error.is_some();
    StepReport {
        request_line,
        failure: failed.then_some(failure),
    }
}

/// A request ready to send.
#[derive(Debug)]
pub struct BuiltRequest {
    /// The path without the query.
    pub path: String,
    /// The encoded query string, without `?`.
    pub query: String,
    /// Header names and values in order.
    pub headers: Vec<(String, String)>,
    /// The body, when the step has one.
    pub body: Option<Vec<u8>>,
}

impl BuiltRequest {
    /// The path and query (`/a?b=1`), as a request line carries them.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// Builds a step's request: variables substituted, the query encoded, the step's
/// authentication added.
pub fn build_request(
    run: &DialectRun,
    method: &str,
    spec: &RequestSpec,
) -> Result<BuiltRequest, String> {
    let vars = &run.vars;
    let full_path = vars.substitute(&spec.path)?;
    let (path, path_query) = match full_path.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (full_path, String::new()),
    };
    let mut query_parts: Vec<String> = Vec::new();
    if !path_query.is_empty() {
        query_parts.push(path_query);
    }
    for (name, value) in &spec.query {
        query_parts.push(format!(
            "{}={}",
            rawurlencode(name),
            rawurlencode(&vars.substitute(&value.0)?)
        ));
    }
    if let Some(raw) = &spec.query_raw {
        query_parts.push(vars.substitute(raw)?);
    }
    let mut query = query_parts.join("&");
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(name, value)| Ok((name.clone(), vars.substitute(value)?)))
        .collect::<Result<_, String>>()?;
    let has_header = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let add_query = |query: &mut String, name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("{name}={}", rawurlencode(value)));
    };
    let forwarded_https = |headers: &mut Vec<(String, String)>| {
        if !has_header(headers, "X-Forwarded-Proto") {
            headers.push(("X-Forwarded-Proto".to_owned(), "https".to_owned()));
        }
    };
    match spec.auth {
        Auth::None => {}
        Auth::WcOauth
        | Auth::WcOauthRead
        | Auth::WcOauthWrite
        | Auth::WcLegacyOauth
        | Auth::WcLegacyOauthRead
        | Auth::WcLegacyOauthWrite => {
            let (key, normalisation) = match spec.auth {
                Auth::WcOauth => ("wc", Normalisation::Rest),
                Auth::WcOauthRead => ("wc_read", Normalisation::Rest),
                Auth::WcOauthWrite => ("wc_write", Normalisation::Rest),
                Auth::WcLegacyOauth => ("wc", Normalisation::Legacy),
                Auth::WcLegacyOauthRead => ("wc_read", Normalisation::Legacy),
                _ => ("wc_write", Normalisation::Legacy),
            };
            let consumer_key = vars.text(&format!("{key}_ck"))?;
            let consumer_secret = vars.text(&format!("{key}_cs"))?;
            let signer = Signer {
                consumer_key: &consumer_key,
                consumer_secret: &consumer_secret,
                normalisation,
                timestamp: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                nonce: fresh_nonce(),
            };
            let signing_method = match normalisation {
                Normalisation::Rest => method.to_owned(),
                Normalisation::Legacy => {
                    let header = headers
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case("X-HTTP-Method-Override"))
                        .map(|(_, value)| value.as_str());
                    legacy_signing_method(method, &query, header)
                }
            };
            let base_url = format!("{}{path}", run.site_url);
            query = signer.signed_query(&signing_method, &base_url, &query);
        }
        Auth::WcBasic => {
            let credentials = format!("{}:{}", vars.text("wc_ck")?, vars.text("wc_cs")?);
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            headers.push(("Authorization".to_owned(), format!("Basic {encoded}")));
            forwarded_https(&mut headers);
        }
        Auth::WcQuery => {
            add_query(&mut query, "consumer_key", &vars.text("wc_ck")?);
            add_query(&mut query, "consumer_secret", &vars.text("wc_cs")?);
            forwarded_https(&mut headers);
        }
        Auth::Edd => {
            add_query(&mut query, "key", &vars.text("edd_key")?);
            add_query(&mut query, "token", &vars.text("edd_token")?);
        }
        Auth::Bearer => {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", vars.text("bearer_token")?),
            ));
        }
    }
    let body = match (&spec.json, &spec.body) {
        (Some(json), _) => {
            if !has_header(&headers, "Content-Type") {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            }
            let json = vars.substitute_json(json)?;
            Some(serde_json::to_vec(&json).map_err(|error| error.to_string())?)
        }
        (None, Some(body)) => Some(vars.substitute(body)?.into_bytes()),
        (None, None) => None,
    };
    Ok(BuiltRequest {
        path,
        query,
        headers,
        body,
    })
}

/// A nonce no earlier request of any run has used: the server refuses replays.
fn fresh_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let digest = sha2::Sha256::digest(format!("{}-{nanos}-{count}", std::process::id()));
    digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Compares an answer with an expectation.
pub fn compare(expect: &Expect, answer: &Answer, vars: &Variables) -> Failure {
    let mut failure = Failure::default();
    let mismatches = &mut failure.mismatches;
    if expect.status != answer.status {
        mismatches.push(Mismatch {
            location: "status".to_owned(),
            message: format!("expected {}, got {}", expect.status, answer.status),
        });
    }
    for (name, expected) in &expect.headers {
        let location = format!("header {name}");
        match (expected, answer.header(name)) {
            (None, None) => {}
            (None, Some(actual)) => mismatches.push(Mismatch {
                location,
                message: format!("expected no such header, got {actual:?}"),
            }),
            (Some(expected), None) => mismatches.push(Mismatch {
                location,
                message: format!("missing (expected {expected:?})"),
            }),
            (Some(expected), Some(actual)) => {
                if let Err(message) = check_text(expected, &actual, vars) {
                    mismatches.push(Mismatch { location, message });
                }
            }
        }
    }
    if let Some(expected) = &expect.json {
        match Value::parse(&answer.body) {
            Ok(actual) => {
                let before = mismatches.len();
                check_json(expected, &actual, vars, "", mismatches);
                if mismatches.len() > before {
                    let shown = reconcile(expected, &actual, vars, Reconcile::ForDiff);
                    // One value a line, so the diff marks exactly the fields that differ.
                    let expanded = |value: &Value| {
                        let text = serde_json::to_string_pretty(value).expect("JSON serialises");
                        with_newline(&text)
                    };
                    failure.diff = Some(unified_diff(&expanded(&shown), &expanded(&actual)));
                    failure.updated_json =
                        Some(reconcile(expected, &actual, vars, Reconcile::ForUpdate));
                }
            }
            Err(error) => {
                mismatches.push(Mismatch {
                    location: "json (root)".to_owned(),
                    message: format!("the body is not JSON ({error})"),
                });
                failure.body_excerpt = Some(excerpt(&answer.body));
            }
        }
    }
    if let Some(expected) = &expect.body {
        match vars.substitute(expected) {
            Ok(expected) if expected == answer.body => {}
            Ok(expected) => {
                mismatches.push(Mismatch {
                    location: "body".to_owned(),
                    message: "differs".to_owned(),
                });
                failure.diff = Some(unified_diff(
                    &with_newline(&expected),
                    &with_newline(&answer.body),
                ));
            }
            Err(error) => mismatches.push(Mismatch {
                location: "body".to_owned(),
                message: error,
            }),
        }
    }
    for wanted in &expect.body_contains {
        match vars.substitute(wanted) {
            Ok(wanted) if answer.body.contains(&wanted) => {}
            Ok(wanted) => {
                mismatches.push(Mismatch {
                    location: "body".to_owned(),
                    message: format!("does not contain {wanted:?}"),
                });
                failure.body_excerpt = Some(excerpt(&answer.body));
            }
            Err(error) => mismatches.push(Mismatch {
                location: "body".to_owned(),
                message: error,
            }),
        }
    }
    if failure.diff.is_none() && failure.body_excerpt.is_none() && !failure.mismatches.is_empty() {
        // A wrong status or header is easier to understand next to the body (an error
        // message, usually).
        failure.body_excerpt = Some(excerpt(&answer.body));
    }
    failure
}

fn with_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// The first 2000 characters of a body.
fn excerpt(body: &str) -> String {
    const LIMIT: usize = 2000;
    match body.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &body[..cut], body.len()),
        None => body.to_owned(),
    }
}

/// A unified diff, `-` for expected and `+` for actual.
pub fn unified_diff(expected: &str, actual: &str) -> String {
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn target() -> DialectRun {
        let mut vars = Variables::default();
        for (name, value) in [
            ("wc_ck", "ck_a"),
            ("wc_cs", "cs_a"),
            ("edd_key", "k1"),
            ("edd_token", "t1"),
            ("bearer_token", "b1"),
        ] {
            vars.set(name, json!(value));
        }
        vars.set("id", json!(7));
        DialectRun::new("http://example.com", vars)
    }

    fn spec(text: &str) -> RequestSpec {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn requests_carry_query_headers_and_bodies() {
        let built = build_request(
            &target(),
            "PUT",
            &spec(r##"{"path": "/c/{{$id}}", "query": [["q", "a b&c"], ["n", 1]], "headers": {"X-A": "#{{$id}}"}, "json": {"id": "{{$id}}"}}"##),
        )
        .unwrap();
        assert_eq!(built.target(), "/c/7?q=a%20b%26c&n=1");
        assert_eq!(
            built.headers,
            [
                ("X-A".to_owned(), "#7".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned())
            ]
        );
        assert_eq!(built.body.unwrap(), br#"{"id":7}"#);
        let raw = build_request(&target(), "GET", &spec(r#"{"path": "/x?a=1", "query_raw": "b[]=2&b[]={{$id}}", "headers": {"content-type": "text/plain"}, "body": "{{$id}}"}"#)).unwrap();
        assert_eq!(raw.target(), "/x?a=1&b[]=2&b[]=7");
        assert_eq!(
            raw.headers,
            [("content-type".to_owned(), "text/plain".to_owned())]
        );
        assert_eq!(raw.body.unwrap(), b"7");
    }

    #[test]
    fn each_auth_adds_its_credentials() {
        let target = target();
        let basic = build_request(
            &target,
            "GET",
            &spec(r#"{"path": "/a", "auth": "wc-basic"}"#),
        )
        .unwrap();
        assert_eq!(
            basic.headers,
            [
                ("Authorization".to_owned(), "Basic Y2tfYTpjc19h".to_owned()),
                ("X-Forwarded-Proto".to_owned(), "https".to_owned())
            ]
        );
        let query = build_request(
            &target,
            "GET",
            &spec(r#"{"path": "/a", "query": [["p", "1"]], "auth": "wc-query"}"#),
        )
        .unwrap();
        assert_eq!(query.query, "p=1&consumer_key=ck_a&consumer_secret=cs_a");
        let edd = build_request(&target, "GET", &spec(r#"{"path": "/a", "auth": "edd"}"#)).unwrap();
        assert_eq!(edd.query, "key=k1&token=t1");
        let bearer =
            build_request(&target, "GET", &spec(r#"{"path": "/a", "auth": "bearer"}"#)).unwrap();
        assert_eq!(
            bearer.headers,
            [("Authorization".to_owned(), "Bearer b1".to_owned())]
        );
        let oauth = build_request(
            &target,
            "GET",
            &spec(r#"{"path": "/a", "auth": "wc-oauth"}"#),
        )
        .unwrap();
        assert!(
            oauth
                .query
                .starts_with("oauth_consumer_key=ck_a&oauth_nonce="),
            "{}",
            oauth.query
        );
        assert!(
            oauth
                .query
                .contains("&oauth_signature_method=HMAC-SHA256&oauth_timestamp=")
        );
        assert!(oauth.query.contains("&oauth_signature="));
        let error = build_request(
            &target,
            "GET",
            &spec(r#"{"path": "/a", "auth": "wc-oauth-read"}"#),
        )
        .unwrap_err();
        assert!(error.contains("`wc_read_ck` is not defined"), "{error}");
    }

    /// A legacy request with `_method=DELETE` is signed as a `DELETE`; the signature is
    /// the one the server's own verifier tests accept for this request.
    #[test]
    fn legacy_oauth_signs_the_overridden_method() {
        let mut vars = Variables::default();
        vars.set(
            "wc_ck",
            json!("ck_0000000000000000000000000000000000000000"),
        );
        vars.set(
            "wc_cs",
            json!("cs_1111111111111111111111111111111111111111"),
        );
        let target = DialectRun::new("http://example.com", vars);
        let built = build_request(
            &target,
            "GET",
            &spec(
                r#"{"path": "/wc-api/v3/customers/7", "auth": "wc-legacy-oauth", "query": [
                    ["_method", "DELETE"], ["force", "true"],
                    ["oauth_nonce", "legacynonce"], ["oauth_timestamp", "1700000000"]]}"#,
            ),
        )
        .unwrap();
        assert!(
            built.query.ends_with(
                "&oauth_signature=%2Fwe1sB%2BgyS1JrTrGstHnxTP6qaCJ%2BPIm%2FoUb3I%2F3kDo%3D"
            ),
            "{}",
            built.query
        );
    }

    #[test]
    fn server_side_failures_are_5xx_or_no_answer() {
        let with = |status| Failure {
            status,
            ..Failure::default()
        };
        assert!(with(Some(500)).server_side());
        assert!(with(None).server_side());
        assert!(!with(Some(404)).server_side());
    }

    #[test]
    fn nonces_do_not_repeat() {
        let first = fresh_nonce();
        assert_eq!(first.len(), 32);
        assert_ne!(first, fresh_nonce());
    }
}
