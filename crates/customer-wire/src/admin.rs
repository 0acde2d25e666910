//! The control API under `/__admin/`: what a test suite uses to reset the store, keep
//! snapshots, seed data, read the request journal, inject faults and set the clock.
//!
//! Everything a caller of the control API sees is here: the routes ([`ROUTES`], one
//! table that both recognises requests and generates the OpenAPI document in
//! [`contract`]), the request bodies and query strings read strictly (an unknown field is
//! an error naming it), the fault rules and how an injected fault answers (in the error
//! shape of the dialect the request speaks), the journal's entries with their secrets
//! redacted, and every answer's JSON. The server holds the state and calls the store.

pub mod contract;
mod journal;

use std::fmt;

use customer_model::Timestamp;
use customer_model::import::ImportSummary;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::import::ImportError;
use crate::{Body, Dialect, Fault, Reply};

pub use journal::{BODY_BYTES, JournalEntry, JournalFilter, REDACTED, Seen};

/// Where every route of the control API begins.
pub const PREFIX: &str = "/__admin/";

/// What a control API request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /__admin/reset`.
    Reset,
    /// `POST /__admin/baseline`.
    Baseline,
    /// `POST /__admin/snapshots`.
    CreateSnapshot,
    /// `GET /__admin/snapshots`.
    ListSnapshots,
    /// `POST /__admin/snapshots/{name}/restore`.
    RestoreSnapshot,
    /// `DELETE /__admin/snapshots/{name}`.
    DeleteSnapshot,
    /// `POST /__admin/import`.
    Import,
    /// `GET /__admin/requests`.
    ListRequests,
    /// `GET /__admin/requests/count`.
    CountRequests,
    /// `DELETE /__admin/requests`.
    DeleteRequests,
    /// `POST /__admin/faults`.
    CreateFault,
    /// `GET /__admin/faults`.
    ListFaults,
    /// `DELETE /__admin/faults/{id}`.
    DeleteFault,
    /// `DELETE /__admin/faults`.
    DeleteFaults,
    /// `GET /__admin/clock`.
    GetClock,
    /// `PUT /__admin/clock`.
    SetClock,
    /// `DELETE /__admin/clock`.
    ResetClock,
    /// `GET /__admin/openapi.json`.
    OpenApi,
}

/// One route of the control API: the table [`route`] reads and the document is made of.
#[derive(Debug, Clone, Copy)]
pub struct AdminRoute {
    /// The method.
    pub method: &'static str,
    /// The path template; `{name}` and `{id}` are placeholders.
    pub path: &'static str,
    /// What it does.
    pub action: Action,
    /// The operation id in the document.
    pub id: &'static str,
    /// A one-line summary.
    pub summary: &'static str,
}

const fn at(
    method: &'static str,
    path: &'static str,
    action: Action,
    id: &'static str,
    summary: &'static str,
) -> AdminRoute {
    AdminRoute {
        method,
        path,
        action,
        id,
        summary,
    }
}

/// Every route of the control API.
pub const ROUTES: &[AdminRoute] = &[
    at(
        "POST",
        "/__admin/reset",
        Action::Reset,
        "reset",
        "Put the store back to its baseline; clear the journal, the faults and the clock.",
    ),
    at(
        "POST",
        "/__admin/baseline",
        Action::Baseline,
        "setBaseline",
        "Make the store's current state the baseline that a reset returns to.",
    ),
    at(
        "POST",
        "/__admin/snapshots",
        Action::CreateSnapshot,
        "createSnapshot",
        "Save the store's current state under a name.",
    ),
    at(
        "GET",
        "/__admin/snapshots",
        Action::ListSnapshots,
        "listSnapshots",
        "The names of the saved snapshots.",
    ),
    at(
        "POST",
        "/__admin/snapshots/{name}/restore",
        Action::RestoreSnapshot,
        "restoreSnapshot",
        "Put the store back to a saved snapshot.",
    ),
    at(
        "DELETE",
        "/__admin/snapshots/{name}",
        Action::DeleteSnapshot,
        "deleteSnapshot",
        "Forget a snapshot.",
    ),
    at(
        "POST",
        "/__admin/import",
        Action::Import,
        "import",
        "Write records in the import format (JSON or NDJSON), all or nothing.",
    ),
    at(
        "GET",
        "/__admin/requests",
        Action::ListRequests,
        "listRequests",
        "The journaled requests, newest first.",
    ),
    at(
        "GET",
        "/__admin/requests/count",
        Action::CountRequests,
        "countRequests",
        "How many journaled requests match the filters.",
    ),
    at(
        "DELETE",
        "/__admin/requests",
        Action::DeleteRequests,
        "deleteRequests",
        "Empty the journal.",
    ),
    at(
        "POST",
        "/__admin/faults",
        Action::CreateFault,
        "createFault",
        "Make matching requests fail, wait or lose their connection.",
    ),
    at(
        "GET",
        "/__admin/faults",
        Action::ListFaults,
        "listFaults",
        "The faults in force, oldest first.",
    ),
    at(
        "DELETE",
        "/__admin/faults/{id}",
        Action::DeleteFault,
        "deleteFault",
        "Remove one fault.",
    ),
    at(
        "DELETE",
        "/__admin/faults",
        Action::DeleteFaults,
        "deleteFaults",
        "Remove every fault.",
    ),
    at(
        "GET",
        "/__admin/clock",
        Action::GetClock,
        "getClock",
        "The clock the store stamps instants with.",
    ),
    at(
        "PUT",
        "/__admin/clock",
        Action::SetClock,
        "setClock",
        "Set the clock, frozen or running on from the instant given.",
    ),
    at(
        "DELETE",
        "/__admin/clock",
        Action::ResetClock,
        "resetClock",
        "Put the clock back on real time.",
    ),
    at(
        "GET",
        "/__admin/openapi.json",
        Action::OpenApi,
        "openapi",
        "This API's OpenAPI document.",
    ),
];

/// A recognised control API request: the action and the value of its placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// What is asked.
    pub action: Action,
    /// The `{name}` or `{id}` of the path, percent-decoded.
    pub param: Option<String>,
}

fn matches_template(template: &str, path: &str) -> Option<Option<String>> {
    let mut param = None;
    let mut wanted = template.split('/');
    let mut given = path.trim_end_matches('/').split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(param),
            (Some(w), Some(g)) if w.starts_with('{') => {
                if g.is_empty() {
                    return None;
                }
                param = Some(
                    percent_encoding::percent_decode_str(g)
                        .decode_utf8_lossy()
                        .into(),
                );
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// The control API's answer to `method` on `path`: the call, or the answer for a path
/// it does not have (404) or a method the path does not take (405).
pub fn route(method: &str, path: &str) -> Result<Call, Reply> {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if let Some(param) = matches_template(route.path, path) {
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return Ok(Call {
                    action: route.action,
                    param,
                });
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        Err(error(
            404,
            "not_found",
            "The control API has no such route.",
            None,
        ))
    } else {
        Err(error(
            405,
            "method_not_allowed",
            &format!("This route takes {}.", allowed.join(", ")),
            None,
        )
        .with_header("Allow", allowed.join(", ")))
    }
}

/// A bad control API request: the status, a code, what is wrong and the field it is
/// about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    /// The HTTP status.
    pub status: u16,
    /// A stable code: `invalid_field`, `unknown_field`, `not_found`, …
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
    /// The field (a dotted path into the body, or a query parameter), when one is wrong.
    pub field: Option<String>,
}

impl AdminError {
    /// A 400 naming `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "invalid_field",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 404 for a missing `what` (`snapshot`, `fault`).
    pub fn not_found(what: &str, field: &str) -> Self {
        Self {
            status: 404,
            code: "not_found",
            message: format!("No {what} has this {field}."),
            field: Some(field.to_owned()),
        }
    }

    /// The answer.
    pub fn reply(&self) -> Reply {
        error(self.status, self.code, &self.message, self.field.as_deref())
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The control API's error body: `{"code", "message", "field"}`.
pub fn error(status: u16, code: &str, message: &str, field: Option<&str>) -> Reply {
    let mut body = Map::new();
    body.insert("code".into(), json!(code));
    body.insert("message".into(), json!(message));
    if let Some(field) = field {
        body.insert("field".into(), json!(field));
    }
    answer(status, Value::Object(body))
}

/// The answer when no admin token is given or it is not the one configured.
pub fn unauthorized() -> Reply {
    error(
        401,
        "unauthorized",
        "The control API takes the admin token as 'Authorization: Bearer <token>'.",
        None,
    )
    .with_header("WWW-Authenticate", "Bearer realm=\"clientele admin\"")
}

fn answer(status: u16, body: Value) -> Reply {
    Reply::new(status, "application/json", Body::Json(body))
}

/// Reads a JSON body strictly into `T`: an error names the field (`match.path`).
fn read_body<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError {
            status: 400,
            code: "invalid_body",
            message: "The request needs a JSON body.".into(),
            field: None,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        let unknown = message.starts_with("unknown field");
        let field = match path.as_str() {
            "." | "" => None,
            path => Some(path.to_owned()),
        };
        AdminError {
            status: 400,
            code: if unknown {
                "unknown_field"
            } else if field.is_some() {
                "invalid_field"
            } else {
                "invalid_body"
            },
            message,
            field,
        }
    })?;
    deserializer.end().map_err(|error| AdminError {
        status: 400,
        code: "invalid_body",
        message: error.to_string(),
        field: None,
    })?;
    Ok(value)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotBody {
    name: String,
}

/// The most characters of a snapshot's name.
pub const SNAPSHOT_NAME_CHARS: usize = 40;

/// Checks a snapshot's name: 1 to [`SNAPSHOT_NAME_CHARS`] letters, digits, `-`, `_` or
/// `.`, not starting with `.`.
pub fn check_snapshot_name(name: &str) -> Result<(), AdminError> {
    let valid = !name.is_empty()
        && name.len() <= SNAPSHOT_NAME_CHARS
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(AdminError::field(
            "name",
            format!(
                "A name is 1 to {SNAPSHOT_NAME_CHARS} letters, digits, '-', '_' or '.', not starting with '.'."
            ),
        ))
    }
}

/// The name of `POST /__admin/snapshots`' body (`{"name": "…"}`), checked.
pub fn snapshot_name(body: &[u8]) -> Result<String, AdminError> {
    let name = read_body::<SnapshotBody>(body)?.name;
    check_snapshot_name(&name)?;
    Ok(name)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: String,
    #[serde(default = "yes")]
    frozen: bool,
}

fn yes() -> bool {
    true
}

/// What `PUT /__admin/clock` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSetting {
    /// The instant.
    pub now: Timestamp,
    /// Whether the clock stays there (else it runs on from it).
    pub frozen: bool,
}

/// Reads `PUT /__admin/clock`'s body: `{"now": RFC 3339, "frozen": bool (default true)}`.
pub fn clock_setting(body: &[u8]) -> Result<ClockSetting, AdminError> {
    let body: ClockBody = read_body(body)?;
    let now = body.now.parse::<Timestamp>().map_err(|_| {
        AdminError::field(
            "now",
            "Give an RFC 3339 instant with an offset: 2026-01-01T00:00:00Z.",
        )
    })?;
    Ok(ClockSetting {
        now,
        frozen: body.frozen,
    })
}

/// The clock's answer: `{"now", "mode"}`, `mode` being `real`, `frozen` or `running`.
pub fn clock_reply(now: Timestamp, mode: &str) -> Reply {
    answer(200, json!({"now": now.to_string(), "mode": mode}))
}

/// A done action: `{"status": what}` (`reset`, `baseline`, `restored`, `deleted`).
pub fn done(what: &str) -> Reply {
    answer(200, json!({"status": what}))
}

/// A snapshot kept: 201 with its name.
pub fn snapshot_created(name: &str) -> Reply {
    answer(201, json!({"name": name}))
}

/// The saved snapshots.
pub fn snapshots_reply(names: &[String]) -> Reply {
    let snapshots: Vec<Value> = names.iter().map(|name| json!({"name": name})).collect();
    answer(200, json!({"snapshots": snapshots}))
}

/// An import written: the counts of each kind.
pub fn import_reply(summary: &ImportSummary) -> Reply {
    answer(
        200,
        json!({
            "products": summary.products,
            "customers": summary.customers,
            "orders": summary.orders,
            "subscriptions": summary.subscriptions,
            "download_grants": summary.download_grants,
            "api_keys": summary.api_keys,
        }),
    )
}

/// The import's query: `fire_webhooks` (`true`/`1` or `false`/`0`, default `false`),
/// whether the registered customers imported fire `customer.created` webhooks. Any other
/// parameter, or another value, is an error naming it.
pub fn import_fires_webhooks(query: &str) -> Result<bool, AdminError> {
    let mut fire = false;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*name {
            "fire_webhooks" => {
                fire = match &*value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(AdminError::field("fire_webhooks", "Use true or false."));
                    }
                }
            }
            other => {
                return Err(AdminError {
                    status: 400,
                    code: "unknown_field",
                    message: "The import's only parameter is fire_webhooks.".into(),
                    field: Some(other.to_owned()),
                });
            }
        }
    }
    Ok(fire)
}

/// An import refused: every error by record and field; nothing was written.
pub fn import_errors_reply(errors: &[ImportError]) -> Reply {
    let listed: Vec<Value> = errors
        .iter()
        .map(|error| {
            json!({
                "record": error.location.to_string(),
                "field": error.field,
                "message": error.message,
            })
        })
        .collect();
    answer(
        400,
        json!({
            "code": "invalid_import",
            "message": "The import has errors; nothing was written.",
            "errors": listed,
        }),
    )
}

/// How long an injected fault makes a request wait, in milliseconds: a number, or a
/// range drawn from uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// The least wait.
    pub min_ms: u64,
    /// The longest wait.
    pub max_ms: u64,
}

/// The most an injected latency may be: longer than any client waits, shorter than a
/// forgotten fault holding connections for days.
pub const MAX_LATENCY_MS: u64 = 600_000;

#[derive(Deserialize)]
#[serde(untagged)]
enum LatencyBody {
    Fixed(u64),
    Range { min: u64, max: u64 },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MatchBody {
    dialect: Option<String>,
    method: Option<String>,
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    #[serde(rename = "match", default)]
    matching: MatchBody,
    status: Option<u16>,
    latency_ms: Option<Value>,
    probability: Option<f64>,
    times: Option<u64>,
    #[serde(default)]
    drop_connection: bool,
}

/// A path glob: `*` within one segment, `**` across segments, `?`, `[…]`, `{a,b}`.
#[derive(Debug, Clone)]
pub struct PathGlob {
    text: String,
    matcher: globset::GlobMatcher,
}

impl PathGlob {
    /// Compiles `text`; an error says why it does not parse.
    pub fn new(text: &str) -> Result<Self, String> {
        let glob = globset::GlobBuilder::new(text)
            .literal_separator(true)
            .build()
            .map_err(|error| error.kind().to_string())?;
        Ok(Self {
            text: text.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether `path` matches.
    pub fn is_match(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }

    /// The glob as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// An injected fault: which requests it matches and what it does to them.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// Only requests of this dialect.
    pub dialect: Option<Dialect>,
    /// Only requests with this method (upper case).
    pub method: Option<String>,
    /// Only requests whose path matches.
    pub path: Option<PathGlob>,
    /// Answer with this status, in the dialect's error shape.
    pub status: Option<u16>,
    /// Wait this long first.
    pub latency: Option<Latency>,
    /// The chance that a matching request is hit, 0 to 1.
    pub probability: f64,
    /// Removed after this many hits.
    pub times: Option<u64>,
    /// Close the connection without an answer.
    pub drop_connection: bool,
}

/// Reads `POST /__admin/faults`' body; every error names its field.
pub fn fault_rule(body: &[u8]) -> Result<FaultRule, AdminError> {
    let body: FaultBody = read_body(body)?;
    let dialect = match body.matching.dialect.as_deref() {
        None => None,
        Some(slug) => Some(Dialect::from_slug(slug).ok_or_else(|| {
            AdminError::field("match.dialect", format!("Use one of {}.", dialect_slugs()))
        })?),
    };
    let method = match body.matching.method {
        Some(method) if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) => {
            return Err(AdminError::field(
                "match.method",
                "A method is a word: GET, POST, …",
            ));
        }
        other => other.map(|method| method.to_ascii_uppercase()),
    };
    let path = match body.matching.path.as_deref() {
        None => None,
        Some(text) => Some(PathGlob::new(text).map_err(|reason| {
            AdminError::field("match.path", format!("The glob does not parse: {reason}."))
        })?),
    };
    if let Some(status) = body.status
        && !(400..=599).contains(&status)
    {
        return Err(AdminError::field(
            "status",
            "A fault's status is 400 to 599.",
        ));
    }
    let latency = match body.latency_ms {
        None => None,
        Some(value) => {
            let latency = match serde_json::from_value::<LatencyBody>(value) {
                Ok(LatencyBody::Fixed(ms)) => Latency {
                    min_ms: ms,
                    max_ms: ms,
                },
                Ok(LatencyBody::Range { min, max }) if min <= max => Latency {
                    min_ms: min,
                    max_ms: max,
                },
                _ => {
                    return Err(AdminError::field(
                        "latency_ms",
                        "Give milliseconds or {\"min\", \"max\"} with min <= max.",
                    ));
                }
            };
            if latency.max_ms > MAX_LATENCY_MS {
                return Err(AdminError::field(
                    "latency_ms",
                    format!("At most {MAX_LATENCY_MS} ms."),
                ));
            }
            Some(latency)
        }
    };
    let probability = body.probability.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&probability) {
        return Err(AdminError::field("probability", "A probability is 0 to 1."));
    }
    if body.times == Some(0) {
        return Err(AdminError::field("times", "A fault hits at least once."));
    }
    if body.drop_connection && body.status.is_some() {
        return Err(AdminError::field(
            "status",
            "A dropped connection gets no answer, so no status.",
        ));
    }
    if body.status.is_none() && latency.is_none() && !body.drop_connection {
        return Err(AdminError::field(
            "status",
            "A fault needs a status, a latency_ms or drop_connection.",
        ));
    }
    Ok(FaultRule {
        dialect,
        method,
        path,
        status: body.status,
        latency,
        probability,
        times: body.times,
        drop_connection: body.drop_connection,
    })
}

fn dialect_slugs() -> String {
    Dialect::ALL
        .iter()
        .map(|dialect| dialect.slug())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FaultRule {
    /// Whether a request of `dialect` with `method` on `path` matches.
    pub fn matches(&self, dialect: Option<Dialect>, method: &str, path: &str) -> bool {
        self.dialect.is_none_or(|wanted| Some(wanted) == dialect)
            && self
                .method
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && self.path.as_ref().is_none_or(|glob| glob.is_match(path))
    }

    /// The answer of a hit with a status: `status` in the error shape of `dialect`
    /// (the server's own shape for a path no dialect owns), from the fault of that
    /// kind, so its code and message say what a client would see for it.
    pub fn reply(&self, dialect: Option<Dialect>, home_url: &str) -> Option<Reply> {
        let status = self.status?;
        let fault = match status {
            401 => Fault::Unauthorized,
            403 => Fault::Forbidden,
            404 => Fault::NotFound { entity: "customer" },
            408 | 429 | 502..=504 => Fault::Unavailable,
            400..=499 => Fault::Malformed {
                reason: "The request was refused by an injected fault.".into(),
            },
            _ => Fault::Internal,
        };
        let mut reply = match dialect {
            Some(dialect) => dialect.fault_reply(&fault, home_url),
            None => crate::reply::site_fault(&fault),
        };
        reply.status = status;
        Some(reply)
    }

    /// The fault as listed, with its id and how often it has hit.
    pub fn to_json(&self, id: u64, hits: u64) -> Value {
        let latency = self.latency.map(|latency| {
            if latency.min_ms == latency.max_ms {
                json!(latency.min_ms)
            } else {
                json!({"min": latency.min_ms, "max": latency.max_ms})
            }
        });
        json!({
            "id": id,
            "match": {
                "dialect": self.dialect.map(Dialect::slug),
                "method": self.method,
                "path": self.path.as_ref().map(PathGlob::as_str),
            },
            "status": self.status,
            "latency_ms": latency,
            "probability": self.probability,
            "times": self.times,
            "drop_connection": self.drop_connection,
            "hits": hits,
        })
    }
}

/// A fault kept: 201 with it.
pub fn fault_created(id: u64, rule: &FaultRule) -> Reply {
    answer(201, rule.to_json(id, 0))
}

/// The faults in force, each with its id and hits.
pub fn faults_reply<'a>(faults: impl IntoIterator<Item = (u64, &'a FaultRule, u64)>) -> Reply {
    let listed: Vec<Value> = faults
        .into_iter()
        .map(|(id, rule, hits)| rule.to_json(id, hits))
        .collect();
    answer(200, json!({"faults": listed}))
}

/// The journaled requests, as given (newest first).
pub fn requests_reply<'a>(entries: impl IntoIterator<Item = &'a JournalEntry>) -> Reply {
    let listed: Vec<Value> = entries.into_iter().map(JournalEntry::to_json).collect();
    answer(200, json!({"requests": listed}))
}

/// A count of journaled requests.
pub fn count_reply(count: usize) -> Reply {
    answer(200, json!({"count": count}))
}

/// The control API's own OpenAPI document.
pub fn openapi_reply() -> Reply {
    answer(200, contract::api().openapi())
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_import_reads_fire_webhooks_only() {
        assert_eq!(import_fires_webhooks(""), Ok(false));
        assert_eq!(import_fires_webhooks("fire_webhooks=true"), Ok(true));
        assert_eq!(import_fires_webhooks("fire_webhooks=1"), Ok(true));
        assert_eq!(import_fires_webhooks("fire_webhooks=false"), Ok(false));
        let bad = import_fires_webhooks("fire_webhooks=yes").unwrap_err();
        assert_eq!(
            (bad.status, bad.field.as_deref()),
            (400, Some("fire_webhooks"))
        );
        let unknown = import_fires_webhooks("fire=true").unwrap_err();
        assert_eq!(
            (unknown.code, unknown.field.as_deref()),
            ("unknown_field", Some("fire"))
        );
    }
    use super::*;

    #[test]
    fn routes_take_their_placeholders_and_refuse_other_methods() {
        let call = route("POST", "/__admin/snapshots/before%20x/restore").unwrap();
        assert_eq!(call.action, Action::RestoreSnapshot);
        assert_eq!(call.param.as_deref(), Some("before x"));
        assert_eq!(
            route("DELETE", "/__admin/faults/7")
                .unwrap()
                .param
                .as_deref(),
            Some("7")
        );
        let refused = route("PATCH", "/__admin/clock").unwrap_err();
        assert_eq!(refused.status, 405);
        assert_eq!(refused.header("Allow"), Some("GET, PUT, DELETE"));
        assert_eq!(route("GET", "/__admin/nothing").unwrap_err().status, 404);
    }

    #[test]
    fn a_bad_fault_names_its_field() {
        for (body, field) in [
            (r#"{"status": 500, "colour": 1}"#, "colour"),
            (
                r#"{"match": {"paths": "/x"}, "status": 500}"#,
                "match.paths",
            ),
            (
                r#"{"match": {"path": "/a/[b"}, "status": 500}"#,
                "match.path",
            ),
            (
                r#"{"match": {"dialect": "wc-v9"}, "status": 500}"#,
                "match.dialect",
            ),
            (r#"{"status": 500, "probability": 1.5}"#, "probability"),
            (r#"{"status": 200}"#, "status"),
            (r#"{"status": "500"}"#, "status"),
            (r#"{"latency_ms": {"min": 9, "max": 1}}"#, "latency_ms"),
            (r#"{"status": 500, "times": 0}"#, "times"),
            (r#"{"probability": 0.5}"#, "status"),
            (r#"{"status": 500, "drop_connection": true}"#, "status"),
        ] {
            let error = fault_rule(body.as_bytes()).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{body}: {error}");
            assert_eq!(error.status, 400);
        }
        assert!(fault_rule(b"").unwrap_err().field.is_none());
    }

    #[test]
    fn a_fault_matches_and_answers_in_the_dialect_shape() {
        let rule = fault_rule(
            br#"{"match": {"dialect": "wc-v3", "method": "get", "path": "/wp-json/wc/v3/customers/*"},
                "status": 503, "latency_ms": {"min": 1, "max": 3}, "times": 2}"#,
        )
        .unwrap();
        assert!(rule.matches(Some(Dialect::WcV3), "GET", "/wp-json/wc/v3/customers/5"));
        assert!(!rule.matches(
            Some(Dialect::WcV3),
            "GET",
            "/wp-json/wc/v3/customers/5/downloads"
        ));
        assert!(!rule.matches(Some(Dialect::WcV2), "GET", "/wp-json/wc/v3/customers/5"));
        assert!(!rule.matches(Some(Dialect::WcV3), "POST", "/wp-json/wc/v3/customers/5"));
        let reply = rule.reply(Some(Dialect::WcV3), "http://x").unwrap();
        assert_eq!(reply.status, 503);
        let body: Value = serde_json::from_slice(&reply.body_bytes()).unwrap();
        assert_eq!(body["data"]["status"], 503);
        let teapot = fault_rule(br#"{"status": 418}"#).unwrap();
        let edd = teapot.reply(Some(Dialect::EddV2), "").unwrap();
        assert_eq!(edd.status, 418);
        let body: Value = serde_json::from_slice(&edd.body_bytes()).unwrap();
        assert!(body.get("error").is_some(), "{body}");
        let listed = rule.to_json(3, 1);
        assert_eq!(listed["latency_ms"], json!({"min": 1, "max": 3}));
        assert_eq!(listed["match"]["method"], "GET");
    }

    #[test]
    fn the_clock_reads_an_instant_with_an_offset() {
        let setting = clock_setting(br#"{"now": "2026-01-01T00:00:00Z"}"#).unwrap();
        assert!(setting.frozen);
        assert_eq!(setting.now.to_string(), "2026-01-01T00:00:00Z");
        let error = clock_setting(br#"{"now": "yesterday"}"#).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("now"));
        let error =
            clock_setting(br#"{"now": "2026-01-01T00:00:00Z", "frozen": "no"}"#).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("frozen"));
    }
}
