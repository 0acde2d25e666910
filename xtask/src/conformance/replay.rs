//! Replaying cases against a server: building each request (variables, auth), sending it
//! on one keep-alive connection pool, and comparing the response with the expectation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use sha2::Digest as _;
use similar::TextDiff;

use super::case::{Auth, CaseFile, Expect, RequestSpec, Step};
use super::matcher::{Mismatch, Reconcile, check_json, check_text, reconcile};
use super::oauth::{Normalisation, Signer, rawurlencode};
use super::ordered::Value;
use super::vars::Variables;

/// Where cases are sent, and the variables they share.
pub(crate) struct Target {
    /// Scheme, host and port requests go to, without a trailing `/`.
    base_url: String,
    /// The site URL the server signs OAuth requests against.
    site_url: String,
    pub(crate) vars: Variables,
    agent: ureq::Agent,
}

impl Target {
    /// A target at `base_url` whose OAuth base URL is `site_url`.
    pub(crate) fn new(base_url: &str, site_url: &str, vars: Variables) -> Self {
        let config = ureq::Agent::config_builder()
            // Every status is an answer to compare, not an error.
            .http_status_as_error(false)
            // A redirect is part of the behaviour under test, so it is not followed.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            site_url: site_url.trim_end_matches('/').to_owned(),
            vars,
            agent: config.into(),
        }
    }

    /// Sends a plain `GET path` and returns the status, for readiness checks.
    pub(crate) fn get_status(&self, path: &str) -> Result<u16, String> {
        self.agent
            .get(format!("{}{path}", self.base_url))
            .call()
            .map(|response| response.status().as_u16())
            .map_err(|error| error.to_string())
    }
}

/// What a server answered.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
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
pub(crate) struct Failure {
    /// Differences between the expectation and the answer.
    pub(crate) mismatches: Vec<Mismatch>,
    /// A failure before or after comparing (sending, a variable, a capture).
    pub(crate) error: Option<String>,
    /// A unified diff of the expected and actual bodies.
    pub(crate) diff: Option<String>,
    /// The answer's body, when nothing else shows it.
    pub(crate) body_excerpt: Option<String>,
    /// The `json` expectation `--update` would write for this step.
    pub(crate) updated_json: Option<Value>,
}

/// One step's result.
#[derive(Debug, Clone)]
pub(crate) struct StepReport {
    /// `METHOD /path` as sent (without the query, which carries secrets).
    pub(crate) request_line: String,
    pub(crate) failure: Option<Failure>,
}

/// One case's result.
#[derive(Debug, Clone)]
pub(crate) struct CaseReport {
    pub(crate) path: PathBuf,
    pub(crate) description: String,
    pub(crate) source: Option<String>,
    /// The steps that ran, in order (a step that could not complete ends the case).
    pub(crate) steps: Vec<StepReport>,
    /// Steps the case has but did not run.
    pub(crate) skipped: usize,
}

impl CaseReport {
    pub(crate) fn passed(&self) -> bool {
        self.skipped == 0 && self.steps.iter().all(|step| step.failure.is_none())
    }
}

/// Runs every step of a case in order. A step whose response was compared lets the case
/// go on (so one run shows every difference and `--update` can fix them all); a step that
/// could not be sent or whose capture failed ends it, since later steps depend on it.
pub(crate) fn replay_case(target: &mut Target, file: &CaseFile) -> CaseReport {
    let mut steps = Vec::new();
    for step in &file.case.steps {
        let report = replay_step(target, step);
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

fn replay_step(target: &mut Target, step: &Step) -> StepReport {
    let method = step.request.method.to_ascii_uppercase();
    let built = match build_request(target, &method, &step.request) {
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
    let answer = match send(&target.agent, &method, &built) {
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
    let captured = target.vars.capture(&step.capture, body_json.as_ref());
    let mut failure = compare(&step.expect, &answer, &target.vars);
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
struct BuiltRequest {
    /// The path without the query.
    path: String,
    /// The encoded query string, without `?`.
    query: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    url: String,
}

fn build_request(
    target: &Target,
    method: &str,
    spec: &RequestSpec,
) -> Result<BuiltRequest, String> {
    let vars = &target.vars;
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
            query = signer.signed_query(method, &format!("{}{path}", target.site_url), &query);
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
    let url = if query.is_empty() {
        format!("{}{path}", target.base_url)
    } else {
        format!("{}{path}?{query}", target.base_url)
    };
    Ok(BuiltRequest {
        path,
        query,
        headers,
        body,
        url,
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

fn send(agent: &ureq::Agent, method: &str, built: &BuiltRequest) -> Result<Answer, String> {
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(&built.url);
    for (name, value) in &built.headers {
        builder = builder.header(name, value);
    }
    let request_error = |error: ureq::http::Error| format!("cannot build the request: {error}");
    let result = match &built.body {
        Some(body) => agent.run(builder.body(body.clone()).map_err(request_error)?),
        None => agent.run(builder.body(()).map_err(request_error)?),
    };
    let mut response = result.map_err(|error| {
        format!(
            "{method} {}{}: {error}",
            built.path,
            if built.query.is_empty() { "" } else { "?…" }
        )
    })?;
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|error| format!("cannot read the response body: {error}"))?;
    Ok(Answer {
        status: response.status().as_u16(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Compares an answer with an expectation.
pub(crate) fn compare(expect: &Expect, answer: &Answer, vars: &Variables) -> Failure {
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
                    failure.diff = Some(unified_diff(&shown.to_pretty(), &actual.to_pretty()));
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
pub(crate) fn unified_diff(expected: &str, actual: &str) -> String {
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

    fn target() -> Target {
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
        Target::new("http://127.0.0.1:9/", "http://example.com", vars)
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
        assert_eq!(built.url, "http://127.0.0.1:9/c/7?q=a%20b%26c&n=1");
        assert_eq!(
            built.headers,
            [
                ("X-A".to_owned(), "#7".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned())
            ]
        );
        assert_eq!(built.body.unwrap(), br#"{"id":7}"#);
        let raw = build_request(&target(), "GET", &spec(r#"{"path": "/x?a=1", "query_raw": "b[]=2&b[]={{$id}}", "headers": {"content-type": "text/plain"}, "body": "{{$id}}"}"#)).unwrap();
        assert_eq!(raw.url, "http://127.0.0.1:9/x?a=1&b[]=2&b[]=7");
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

    #[test]
    fn nonces_do_not_repeat() {
        let first = fresh_nonce();
        assert_eq!(first.len(), 32);
        assert_ne!(first, fresh_nonce());
    }
}
