//! The control API's state and pipeline: the admin token, the request journal (a
//! bounded ring), the faults in force, and the calls to the store (saved states, imports)
//! and its clock. Every byte of every answer is the wire crate's (`customer_wire::admin`).
//!
//! A server without an admin token has no [`Control`]: [`crate::handle`] then takes its
//! usual path, with no journal, no fault check and no lock.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use customer_store::{ClockMode, ImportOptions, StoreError};
use customer_wire::admin::{self, Action, AdminError, FaultRule, JournalEntry, JournalFilter};
use customer_wire::{Dialect, Reply};
use subtle::ConstantTimeEq as _;

use crate::request::into_response;
use crate::{AppState, Request, Response};

/// The saved state a reset returns to.
pub const BASELINE: &str = "baseline";
/// What the store's saved states of snapshots begin with (the baseline has none).
const SNAPSHOT_PREFIX: &str = "s.";
/// Journal entries kept unless told otherwise.
pub const DEFAULT_JOURNAL_SIZE: usize = 1000;

/// How the control API is set up.
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// The token `Authorization: Bearer` must carry.
    pub admin_token: String,
    /// The most journal entries kept; older ones drop out.
    pub journal_size: usize,
}

/// Marks a response whose connection must be closed without an answer (a
/// `drop_connection` fault). [`crate::serve`] honours it; [`crate::handle`]'s callers see
/// it in the response's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropConnection;

struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    next_id: u64,
}

struct ActiveFault {
    id: u64,
    rule: FaultRule,
    hits: u64,
}

struct Faults {
    active: Vec<ActiveFault>,
    next_id: u64,
}

/// The control API's state.
pub struct Control {
    token: String,
    journal: Mutex<Journal>,
    faults: Mutex<Faults>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a matching fault does to one request.
struct Hit {
    latency: Option<Duration>,
    reply: Option<Reply>,
    drop_connection: bool,
}

impl Control {
    /// The control API with `config`: empty journal, no faults.
    pub fn new(config: ControlConfig) -> Self {
        Self {
            token: config.admin_token,
            journal: Mutex::new(Journal {
                entries: VecDeque::with_capacity(config.journal_size.min(4096)),
                capacity: config.journal_size,
                next_id: 1,
            }),
            faults: Mutex::new(Faults {
                active: Vec::new(),
                next_id: 1,
            }),
        }
    }

    fn authorized(&self, request: &Request) -> bool {
        let Some(given) = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
        else {
            return false;
        };
        bool::from(given.trim().as_bytes().ct_eq(self.token.as_bytes()))
    }

    /// The first fault that matches and, by its probability, hits; counted, and removed
    /// once it has hit `times` times.
    fn hit(
        &self,
        dialect: Option<Dialect>,
        method: &str,
        path: &str,
        home_url: &str,
    ) -> Option<Hit> {
        let mut faults = lock(&self.faults);
        let index = faults.active.iter().position(|fault| {
            fault.rule.matches(dialect, method, path)
                && (fault.rule.probability >= 1.0 || rand::random::<f64>() < fault.rule.probability)
        })?;
        let fault = &mut faults.active[index];
        fault.hits += 1;
        let hit = Hit {
            latency: fault.rule.latency.map(|latency| {
                let ms = if latency.max_ms > latency.min_ms {
                    rand::random_range(latency.min_ms..=latency.max_ms)
                } else {
                    latency.min_ms
                };
                Duration::from_millis(ms)
            }),
            reply: fault.rule.reply(dialect, home_url),
            drop_connection: fault.rule.drop_connection,
        };
        if fault.rule.times.is_some_and(|times| fault.hits >= times) {
            faults.active.remove(index);
        }
        Some(hit)
    }

    fn record(&self, make: impl FnOnce(u64) -> JournalEntry) {
        let mut journal = lock(&self.journal);
        if journal.capacity == 0 {
            return;
        }
        let id = journal.next_id;
        journal.next_id += 1;
        if journal.entries.len() == journal.capacity {
            journal.entries.pop_back();
        }
        journal.entries.push_front(make(id));
    }

    fn clear(&self) {
        lock(&self.journal).entries.clear();
        lock(&self.faults).active.clear();
    }
}

/// Saves the store's current state as the baseline a reset returns to.
pub async fn save_baseline(state: &AppState) -> Result<(), StoreError> {
    state.store.save_state(BASELINE).await
}

/// [`crate::handle`] with the control API on: `/__admin/` requests go to it; any other
/// request meets the faults in force and is journaled.
pub(crate) async fn handle(state: &AppState, control: &Control, request: Request) -> Response {
    let path = request.uri.path();
    if path == "/__admin" || path.starts_with(admin::PREFIX) {
        return into_response(if control.authorized(&request) {
            administer(state, control, &request).await
        } else {
            admin::unauthorized()
        });
    }
    let started = Instant::now();
    let time = state.store.clock().now();
    let query = customer_wire::php::Vars::parse(request.query().as_bytes());
    let dialect =
        Dialect::of(path, &query, state.site.edd_version()).filter(|_| path != "/healthz");
    let method = request.method.as_str();
    let hit = control.hit(dialect, method, path, &state.site.site_url);
    let mut dropped = false;
    let reply = match hit {
        Some(hit) => {
            if let Some(latency) = hit.latency {
                tokio::time::sleep(latency).await;
            }
            if hit.drop_connection {
                dropped = true;
                Reply::new(503, "application/json", customer_wire::Body::Empty)
            } else if let Some(reply) = hit.reply {
                reply
            } else {
                crate::routes::answer(state, &request).await
            }
        }
        None => crate::routes::answer(state, &request).await,
    };
    let headers: Vec<(&str, &[u8])> = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let seen = admin::Seen {
        dialect,
        method,
        path,
        query: request.query(),
        headers: &headers,
        body: &request.body,
    };
    // A dropped connection has no answer: the journal says status 0.
    let (status, response_body) = if dropped {
        (0, Vec::new())
    } else {
        (reply.status, reply.body_bytes())
    };
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    control.record(|id| JournalEntry::new(id, time, seen, status, &response_body, micros));
    let mut response = into_response(reply);
    if dropped {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

/// Runs one control API call.
async fn administer(state: &AppState, control: &Control, request: &Request) -> Reply {
    let call = match admin::route(request.method.as_str(), request.uri.path()) {
        Ok(call) => call,
        Err(reply) => return reply,
    };
    let outcome = run(state, control, request, call.action, call.param.as_deref()).await;
    let reply = outcome.unwrap_or_else(|error| error.reply());
    if request.method == http::Method::HEAD {
        reply.without_body()
    } else {
        reply
    }
}

/// A store failure as the control API tells it; a missing state is a missing snapshot.
fn store_error(error: StoreError) -> AdminError {
    match error {
        StoreError::NotFound { .. } => AdminError::not_found("snapshot", "name"),
        StoreError::Invalid { field, reason } => AdminError::field(field, reason),
        StoreError::Unavailable(reason) => {
            tracing::warn!(%reason, "control API: store unavailable");
            AdminError {
                status: 503,
                code: "unavailable",
                message: "The store cannot answer now. Try again shortly.".into(),
                field: None,
            }
        }
        other => {
            tracing::error!(error = %other, "control API: store failure");
            AdminError {
                status: 500,
                code: "internal",
                message: "The store failed; the server's log says why.".into(),
                field: None,
            }
        }
    }
}

/// Puts the store back to the saved state `name`, and everything the server keeps of
/// the store (the keys in memory) with it.
async fn restore(state: &AppState, name: &str) -> Result<(), AdminError> {
    state.store.restore_state(name).await.map_err(store_error)?;
    state.keys.forget();
    Ok(())
}

fn snapshot_state(name: &str) -> Result<String, AdminError> {
    admin::check_snapshot_name(name)?;
    Ok(format!("{SNAPSHOT_PREFIX}{name}"))
}

async fn run(
    state: &AppState,
    control: &Control,
    request: &Request,
    action: Action,
    param: Option<&str>,
) -> Result<Reply, AdminError> {
    let param = param.unwrap_or_default();
    let clock = state.store.clock();
    Ok(match action {
        Action::Reset => {
            restore(state, BASELINE).await?;
            control.clear();
            clock.reset();
            admin::done("reset")
        }
        Action::Baseline => {
            save_baseline(state).await.map_err(store_error)?;
            admin::done("baseline")
        }
        Action::CreateSnapshot => {
            let name = admin::snapshot_name(&request.body)?;
            let kept = snapshot_state(&name)?;
            state.store.save_state(&kept).await.map_err(store_error)?;
            admin::snapshot_created(&name)
        }
        Action::ListSnapshots => {
            let names: Vec<String> = state
                .store
                .state_names()
                .await
                .map_err(store_error)?
                .into_iter()
                .filter_map(|name| name.strip_prefix(SNAPSHOT_PREFIX).map(str::to_owned))
                .collect();
            admin::snapshots_reply(&names)
        }
        Action::RestoreSnapshot => {
            restore(state, &snapshot_state(param)?).await?;
            admin::done("restored")
        }
        Action::DeleteSnapshot => {
            let kept = snapshot_state(param)?;
            state.store.delete_state(&kept).await.map_err(store_error)?;
            admin::done("deleted")
        }
        Action::Import => {
            let fire_webhooks = admin::import_fires_webhooks(request.query())?;
            import(state, &request.body, fire_webhooks).await
        }
        Action::ListRequests | Action::CountRequests => {
            let filter = JournalFilter::parse(request.query())?;
            let journal = lock(&control.journal);
            let matching = journal.entries.iter().filter(|entry| filter.matches(entry));
            if action == Action::CountRequests {
                admin::count_reply(matching.count())
            } else {
                admin::requests_reply(matching.take(filter.limit.unwrap_or(usize::MAX)))
            }
        }
        Action::DeleteRequests => {
            lock(&control.journal).entries.clear();
            admin::done("deleted")
        }
        Action::CreateFault => {
            let rule = admin::fault_rule(&request.body)?;
            let mut faults = lock(&control.faults);
            let id = faults.next_id;
            faults.next_id += 1;
            let reply = admin::fault_created(id, &rule);
            faults.active.push(ActiveFault { id, rule, hits: 0 });
            reply
        }
        Action::ListFaults => {
            let faults = lock(&control.faults);
            admin::faults_reply(
                faults
                    .active
                    .iter()
                    .map(|fault| (fault.id, &fault.rule, fault.hits)),
            )
        }
        Action::DeleteFault => {
            let id: u64 = param
                .parse()
                .map_err(|_| AdminError::not_found("fault", "id"))?;
            let mut faults = lock(&control.faults);
            let index = faults
                .active
                .iter()
                .position(|fault| fault.id == id)
                .ok_or_else(|| AdminError::not_found("fault", "id"))?;
            faults.active.remove(index);
            admin::done("deleted")
        }
        Action::DeleteFaults => {
            lock(&control.faults).active.clear();
            admin::done("deleted")
        }
        Action::GetClock => clock_reply(state),
        Action::SetClock => {
            let setting = admin::clock_setting(&request.body)?;
            clock.set(setting.now, setting.frozen);
            clock_reply(state)
        }
        Action::ResetClock => {
            clock.reset();
            clock_reply(state)
        }
        Action::OpenApi => admin::openapi_reply(),
    })
}

fn clock_reply(state: &AppState) -> Reply {
    let clock = state.store.clock();
    let mode = match clock.mode() {
        ClockMode::Real => "real",
        ClockMode::Frozen => "frozen",
        ClockMode::Running => "running",
    };
    admin::clock_reply(clock.now(), mode)
}

/// Writes a body in the import format through one import session, all or nothing.
async fn import(state: &AppState, body: &[u8], fire_webhooks: bool) -> Reply {
    let decoded = match customer_wire::import::decode_slice(body) {
        Ok(decoded) => decoded,
        Err(errors) => return admin::import_errors_reply(&errors),
    };
    let options = ImportOptions {
        fire_webhooks,
        ..ImportOptions::default()
    };
    match state.store.import_with(decoded.records, options).await {
        Ok(summary) => {
            // Imported keys are keys like any other: the next lookup sees them.
            state.keys.forget();
            admin::import_reply(&summary)
        }
        Err(StoreError::Invalid { field, reason }) => {
            match decoded.locations.locate(&field, &reason) {
                Some(error) => admin::import_errors_reply(&[error]),
                None => AdminError::field(field, reason).reply(),
            }
        }
        Err(StoreError::Conflict { field }) => AdminError {
            status: 409,
            code: "conflict",
            message: format!("A record's {field} is taken; nothing was written."),
            field: Some(field.to_owned()),
        }
        .reply(),
        Err(other) => store_error(other).reply(),
    }
}
