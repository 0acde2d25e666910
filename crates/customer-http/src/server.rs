//! Runs [`crate::handle`] on a socket: HTTP/1.1, plain or TLS (rustls), with graceful
//! shutdown (stop accepting, let open requests finish). [`serve_with`] runs any request
//! handler the same way, so tests can put a probe behind the real TLS and HTTP stack.
//!
//! # Limits
//! Hostile or broken clients cannot hold the server's resources ([`ServerLimits`]):
//! - every connection has a clock: a request's head must arrive within the header-read
//!   timeout (counted from the connection's start, or from the first byte after a
//!   response), its body within the body-read timeout, and a connection with no request
//!   in progress and no bytes moving is closed after the idle timeout;
//! - a request's handling has a deadline; past it the handler (and with it the store's
//!   database work) is dropped and the client gets a `503` in its dialect's shape;
//! - at most `max_connections` connections are served at once, below the process's
//!   descriptor limit; beyond it a connection gets a short `503` and is closed;
//! - request and response bodies share a memory budget (`body_memory`): a body that does
//!   not fit waits, so that peak memory does not grow with the number of connections;
//! - when accepting fails (descriptors exhausted), the loop backs off, and says so in
//!   the log at most once a second.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::{AppState, Request, Response};

/// The largest request body accepted (a batch of 100 customers fits many times over).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Builds a TLS server configuration from PEM certificate chain and private key.
pub fn tls_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> io::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid =
        |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(&e))?;
    Ok(Arc::new(config))
}

/// How long clients may take, and how many may be served at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time to handle a request once its body has arrived; past it the work is stopped
    /// and the client gets a `503`.
    pub request_timeout: Duration,
    /// Time for a request's line and headers, from the connection's start or from the
    /// first byte of a request on a kept-alive connection (and for a TLS handshake).
    pub header_read_timeout: Duration,
    /// Time for a request's whole body, once its headers have arrived.
    pub body_read_timeout: Duration,
    /// Time a kept-alive connection may stay open with no request in progress and no
    /// bytes moving in either direction.
    pub idle_timeout: Duration,
    /// Connections served at once; more are refused with a `503`.
    pub max_connections: usize,
    /// Bytes of request and response bodies held at once, over all connections: a body
    /// that does not fit waits for others to finish (its request within its deadlines).
    pub body_memory: usize,
}

impl ServerLimits {
    /// Descriptors kept free of client connections: the database (its file, log and
    /// shared memory for the writer and every reader), the listener, standard streams
    /// and a refusal in progress.
    pub const RESERVED_DESCRIPTORS: u64 = 128;

    /// The most connections a process allowed `descriptors` open files may serve,
    /// leaving [`Self::RESERVED_DESCRIPTORS`] for everything else (at least 16).
    pub fn connections_for_descriptors(descriptors: u64) -> usize {
        let usable = descriptors
            .saturating_sub(Self::RESERVED_DESCRIPTORS)
            .max(16);
        usize::try_from(usable).unwrap_or(usize::MAX)
    }
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: Self::connections_for_descriptors(1024),
            body_memory: 256 * 1024 * 1024,
        }
    }
}

/// The bodies held in memory at once, in KiB permits: request bodies while they are
/// read and handled, response bodies until they are sent. Reserving more than the whole
/// budget reserves the whole budget, so a body larger than it still passes, alone.
#[derive(Debug, Clone)]
struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
}

impl BodyBudget {
    fn new(bytes: usize) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, Semaphore::MAX_PERMITS as u32);
        Self {
            kib: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }

    /// Waits until `bytes` fit, and holds them until the permit is dropped.
    async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(self.total_kib);
        if kib == 0 {
            return None;
        }
        Arc::clone(&self.kib).acquire_many_owned(kib).await.ok()
    }
}

/// Why a request body was not read.
#[derive(Debug)]
enum BodyRejected {
    /// Longer than [`MAX_BODY_BYTES`], declared or as sent.
    TooLarge,
    /// Broken framing (a bad chunk size, a body cut short), as hyper reported it.
    Malformed(String),
}

impl BodyRejected {
    fn fault(&self) -> customer_wire::Fault {
        match self {
            Self::TooLarge => customer_wire::Fault::TooLarge {
                limit: MAX_BODY_BYTES as u64,
            },
            Self::Malformed(_) => customer_wire::Fault::Malformed {
                reason: "The request body's framing is broken.".to_owned(),
            },
        }
    }
}

/// Reads a request body within the size limit, holding its bytes in the budget: a
/// declared length is reserved whole before reading (so that bodies do not each hold a
/// part and wait for the rest), anything beyond it as it arrives.
async fn read_body(
    body: Incoming,
    budget: &BodyBudget,
    held: &mut Option<OwnedSemaphorePermit>,
) -> Result<Bytes, BodyRejected> {
    let mut hold = |permit: Option<OwnedSemaphorePermit>| match (held.as_mut(), permit) {
        (Some(all), Some(permit)) => all.merge(permit),
        (None, permit) => *held = permit,
        (Some(_), None) => {}
    };
    let declared = body
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n <= MAX_BODY_BYTES)
        .unwrap_or(0);
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(BodyRejected::TooLarge);
    }
    hold(budget.reserve(declared).await);
    let mut reserved = declared;
    let mut body = Limited::new(body, MAX_BODY_BYTES);
    let mut bytes = bytes::BytesMut::with_capacity(declared);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                BodyRejected::TooLarge
            } else {
                BodyRejected::Malformed(error.to_string())
            }
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > reserved {
                let more = bytes.len() + data.len() - reserved;
                hold(budget.reserve(more).await);
                reserved += more;
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

/// A response body that holds its bytes in the budget until it has been sent.
struct BudgetedBody {
    inner: Full<Bytes>,
    _held: Option<OwnedSemaphorePermit>,
}

impl hyper::body::Body for BudgetedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Connections being refused at once, each for at most [`REFUSAL_WRITE`]: beyond that a
/// connection over the cap is closed without an answer.
const REFUSALS_IN_FLIGHT: usize = 32;
/// Time to write the refusal before closing.
const REFUSAL_WRITE: Duration = Duration::from_secs(1);
/// The answer to a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 82\r\n\r\n\
{\"code\":\"too_many_connections\",\"message\":\"The server is busy. Try again shortly.\"}";
/// The shortest and longest pause after a failed accept.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));
/// A repeated warning (accept failures, refusals) is logged at most this often.
const WARN_EVERY: Duration = Duration::from_secs(1);

/// Serves `state` on `listener` until `shutdown` resolves, then waits for open
/// connections to finish their requests and writes the key uses still in memory.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let keys = Arc::clone(&state.keys);
    let handler = move |request: Request| {
        let state = Arc::clone(&state);
        async move { crate::handle(&state, request).await }
    };
    let served = serve_with(listener, handler, tls, limits, shutdown).await;
    // The key uses of the last requests are still only in memory.
    keys.flush_uses().await;
    served
}

/// A warning that may repeat many times a second: logged at most once per
/// [`WARN_EVERY`], with the number of occurrences since the last line.
#[derive(Debug)]
struct RateLimitedWarning {
    last: Option<Instant>,
    unreported: u64,
}

impl RateLimitedWarning {
    const fn new() -> Self {
        Self {
            last: None,
            unreported: 0,
        }
    }

    /// Counts one occurrence; returns the count to report when a line is due.
    fn occurred(&mut self) -> Option<u64> {
        self.unreported += 1;
        let now = Instant::now();
        if self.last.is_some_and(|last| now - last < WARN_EVERY) {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

/// The accept loop's response to failures: an exponential pause (so that a listener
/// whose pending connection cannot be accepted, for want of descriptors, does not spin)
/// and a rate-limited warning.
#[derive(Debug)]
struct AcceptFailures {
    in_a_row: u32,
    warning: RateLimitedWarning,
}

impl AcceptFailures {
    fn failed(&mut self, error: &io::Error) -> Duration {
        self.in_a_row = self.in_a_row.saturating_add(1);
        let pause = ACCEPT_BACKOFF
            .0
            .saturating_mul(1 << self.in_a_row.min(10).saturating_sub(1))
            .min(ACCEPT_BACKOFF.1);
        if let Some(failures) = self.warning.occurred() {
            tracing::warn!(
                %error,
                failures,
                pause_ms = pause.as_millis() as u64,
                "accepting connections fails; pausing before the next try"
            );
        }
        pause
    }

    fn succeeded(&mut self) {
        self.in_a_row = 0;
    }
}

/// Serves requests with `handler` on `listener` (TLS when `tls` is given) within
/// `limits` until `shutdown` resolves, then waits for open connections to finish their
/// requests. The handler sees the same [`Request`] as [`crate::handle`]: whole body,
/// `tls` flag, peer.
pub async fn serve_with<H, F>(
    listener: TcpListener,
    handler: H,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let acceptor = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let budget = BodyBudget::new(limits.body_memory);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    let mut failures = AcceptFailures {
        in_a_row: 0,
        warning: RateLimitedWarning::new(),
    };
    let mut over_capacity = RateLimitedWarning::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => {
                    failures.succeeded();
                    pair
                }
                Err(error) => {
                    let pause = failures.failed(&error);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            if let Some(refused) = over_capacity.occurred() {
                tracing::warn!(
                    refused,
                    max_connections = limits.max_connections,
                    "connection limit reached; refusing new connections"
                );
            }
            refuse(stream, acceptor.is_some(), &refusals);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        let budget = budget.clone();
        tokio::spawn(async move {
            let clock = Arc::new(ConnectionClock::new(limits));
            let io = Clocked {
                inner: stream,
                clock: Arc::clone(&clock),
            };
            let served = async {
                match acceptor {
                    None => {
                        let conn =
                            connection(TokioIo::new(io), handler, &clock, &budget, false, peer);
                        watcher.watch(conn).await
                    }
                    Some(acceptor) => match acceptor.accept(io).await {
                        Ok(tls_stream) => {
                            let io = TokioIo::new(tls_stream);
                            let conn = connection(io, handler, &clock, &budget, true, peer);
                            watcher.watch(conn).await
                        }
                        Err(error) => {
                            tracing::debug!(%error, "TLS handshake failed");
                            Ok(())
                        }
                    },
                }
            };
            tokio::select! {
                outcome = served => {
                    match outcome {
                        // hyper answers a head it cannot read (conflicting lengths, a
                        // transfer coding other than chunked, a bad request line, too
                        // many header bytes) itself, with an empty 400, 414 or 431,
                        // before any dialect could know of it.
                        Err(error) if error.is_parse() || error.is_parse_too_large() => {
                            tracing::info!(%error, "request head rejected");
                        }
                        Err(error) => tracing::debug!(%error, "connection ended with an error"),
                        Ok(()) => {}
                    }
                }
                reason = clock.expired() => tracing::debug!(%peer, reason, "connection closed"),
            }
            drop(permit);
        });
    }
    tracing::info!("shutting down: waiting for open requests");
    graceful.shutdown().await;
    Ok(())
}

/// Answers a connection over the cap with a `503` and closes it (a TLS connection is
/// closed at once: a plain answer would mean nothing to it).
fn refuse(stream: TcpStream, tls: bool, refusals: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    if tls {
        return;
    }
    tokio::spawn(async move {
        let mut stream = stream;
        let _ = tokio::time::timeout(REFUSAL_WRITE, async {
            stream.write_all(REFUSAL).await?;
            stream.shutdown().await
        })
        .await;
        drop(permit);
    });
}

/// Where a connection is in its life, for its timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's head: since the connection started, or since the first
    /// byte after the last response.
    Head,
    /// A request is being handled (its body read, its answer made).
    Busy,
    /// Between requests: the last answer was made; bytes may still be going out.
    Idle,
}

/// The clock of one connection: its phase and when the phase began (or, idle, when a
/// byte last moved). [`Clocked`] and the service move it; [`ConnectionClock::expired`]
/// watches it.
#[derive(Debug)]
struct ConnectionClock {
    limits: ServerLimits,
    state: Mutex<(Phase, Instant)>,
    /// Wakes the watcher when the phase changes (its deadline may now be earlier).
    changed: tokio::sync::Notify,
}

impl ConnectionClock {
    fn new(limits: ServerLimits) -> Self {
        Self {
            limits,
            state: Mutex::new((Phase::Head, Instant::now())),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (Phase, Instant)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enter(&self, phase: Phase) {
        *self.state() = (phase, Instant::now());
        self.changed.notify_one();
    }

    /// Bytes arrived: an idle connection starts a request's head.
    fn read_some(&self) {
        let mut state = self.state();
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
            self.changed.notify_one();
        }
    }

    /// Bytes went out: an idle connection is still delivering its last answer.
    fn wrote_some(&self) {
        let mut state = self.state();
        if state.0 == Phase::Idle {
            state.1 = Instant::now();
        }
    }

    /// Resolves when the connection has waited too long in its phase, with the reason.
    async fn expired(&self) -> &'static str {
        loop {
            let (phase, since) = *self.state();
            let now = Instant::now();
            let (deadline, reason) = match phase {
                Phase::Head => (
                    since + self.limits.header_read_timeout,
                    "header read timeout",
                ),
                Phase::Idle => (since + self.limits.idle_timeout, "idle timeout"),
                // The request's own deadlines apply; look again later.
                Phase::Busy => (now + self.limits.header_read_timeout, ""),
            };
            if phase != Phase::Busy && now >= deadline {
                return reason;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = self.changed.notified() => {}
            }
        }
    }
}

/// A connection's transport, moving its clock as bytes move.
struct Clocked<I> {
    inner: I,
    clock: Arc<ConnectionClock>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Clocked<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read_some();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Clocked<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Marks a connection busy while a request is handled, idle when it is done (or
/// dropped).
struct BusyGuard(Arc<ConnectionClock>);

impl BusyGuard {
    fn new(clock: &Arc<ConnectionClock>) -> Self {
        clock.enter(Phase::Busy);
        Self(Arc::clone(clock))
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.enter(Phase::Idle);
    }
}

/// A connection closed without an answer, as a `drop_connection` fault asks.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct DroppedOnPurpose;

fn connection<I, H, F>(
    io: TokioIo<I>,
    handler: H,
    clock: &Arc<ConnectionClock>,
    budget: &BodyBudget,
    tls: bool,
    peer: SocketAddr,
) -> hyper::server::conn::http1::Connection<
    TokioIo<I>,
    impl hyper::service::Service<
        http::Request<Incoming>,
        Response = http::Response<BudgetedBody>,
        Error = DroppedOnPurpose,
        Future = impl Send,
    > + Send,
>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let clock = Arc::clone(clock);
    let budget = budget.clone();
    let service = service_fn(move |request: http::Request<Incoming>| {
        let handler = handler.clone();
        let busy = BusyGuard::new(&clock);
        let limits = clock.limits;
        let budget = budget.clone();
        async move {
            let response = respond(handler, request, limits, &budget, tls, peer).await;
            drop(busy);
            // An error from the service makes hyper close the connection unanswered.
            if response
                .extensions()
                .get::<crate::DropConnection>()
                .is_some()
            {
                return Err(DroppedOnPurpose);
            }
            Ok(response)
        }
    });
    // The connection's clock keeps every timeout; hyper's own header timer would
    // close idle connections on its schedule instead.
    hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, service)
}

/// A short answer of the server itself (not of a dialect), after which the connection
/// is closed.
fn server_answer(fault: &customer_wire::Fault, status: http::StatusCode) -> Response {
    let mut response = crate::request::into_response(customer_wire::reply::site_fault(fault));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// Answers one request: reads its body (within the size limit, the body-read timeout
/// and the memory budget), runs the handler within the deadline, logs it, and holds the
/// answer's bytes in the budget until they are sent.
async fn respond<H, F>(
    handler: H,
    request: http::Request<Incoming>,
    limits: ServerLimits,
    budget: &BodyBudget,
    tls: bool,
    peer: SocketAddr,
) -> http::Response<BudgetedBody>
where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let mut held = None;
    let response = answer(handler, request, limits, budget, &mut held, tls, peer).await;
    // The request's bytes are gone once the handler has answered; the answer's stay
    // until sent.
    drop(held);
    let size = response
        .body()
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let held = budget.reserve(size).await;
    response.map(|inner| BudgetedBody { inner, _held: held })
}

async fn answer<H, F>(
    handler: H,
    request: http::Request<Incoming>,
    limits: ServerLimits,
    budget: &BodyBudget,
    held: &mut Option<OwnedSemaphorePermit>,
    tls: bool,
    peer: SocketAddr,
) -> Response
where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let (parts, body) = request.into_parts();
    let started = std::time::Instant::now();
    let method = parts.method.clone();
    let route =
        customer_wire::route_log::log_template(parts.uri.path(), parts.uri.query().unwrap_or(""));
    let path = parts.uri.path().to_owned();
    let collected =
        tokio::time::timeout(limits.body_read_timeout, read_body(body, budget, held)).await;
    let body: Bytes = match collected {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(rejected)) => {
            if let BodyRejected::Malformed(error) = &rejected {
                tracing::debug!(%error, "request body framing broken");
            }
            // The rest of a body that was not read cannot be told from the next request.
            let mut response = crate::routes::fault_before_handling(&parts.uri, &rejected.fault());
            response.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            log_request(&method, &route, &path, response.status(), started);
            return response;
        }
        Err(_) => {
            tracing::info!(method = %parts.method, "request body not received in time");
            let fault = customer_wire::Fault::Malformed {
                reason: "The request body did not arrive in time.".to_owned(),
            };
            let response = server_answer(&fault, http::StatusCode::REQUEST_TIMEOUT);
            log_request(&method, &route, &path, response.status(), started);
            return response;
        }
    };
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        tls,
        peer: Some(peer),
    };
    let target = request.uri.clone();
    let response = match tokio::time::timeout(limits.request_timeout, handler(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %route, "request deadline passed; its work was stopped");
            crate::routes::deadline_passed(&target)
        }
    };
    log_request(&method, &route, &path, response.status(), started);
    response
}

/// The request log's line for one answered request: the route's template at `info`, the
/// full path only at `debug` (paths may carry personal data).
fn log_request(
    method: &http::Method,
    route: &str,
    path: &str,
    status: http::StatusCode,
    started: std::time::Instant,
) {
    let status = status.as_u16();
    let micros = started.elapsed().as_micros() as u64;
    tracing::info!(%method, %route, status, micros, "request");
    tracing::debug!(%method, %path, status, "request path");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_whole_http_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, body.len());
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], "too_many_connections");
    }

    #[test]
    fn accept_failures_back_off_exponentially_and_recover() {
        let mut failures = AcceptFailures {
            in_a_row: 0,
            warning: RateLimitedWarning::new(),
        };
        let error = io::Error::other("Too many open files");
        let pauses: Vec<Duration> = (0..10).map(|_| failures.failed(&error)).collect();
        assert_eq!(pauses[0], ACCEPT_BACKOFF.0);
        assert_eq!(pauses[1], ACCEPT_BACKOFF.0 * 2);
        assert_eq!(pauses[9], ACCEPT_BACKOFF.1);
        failures.succeeded();
        assert_eq!(failures.failed(&error), ACCEPT_BACKOFF.0);
    }

    #[test]
    fn a_repeated_warning_is_logged_once_per_interval_with_its_count() {
        let mut warning = RateLimitedWarning::new();
        assert_eq!(warning.occurred(), Some(1));
        assert_eq!(warning.occurred(), None);
        assert_eq!(warning.occurred(), None);
        warning.last = warning.last.map(|last| last - WARN_EVERY);
        assert_eq!(warning.occurred(), Some(3));
    }

    #[tokio::test]
    async fn bodies_wait_for_room_in_the_budget() {
        let budget = BodyBudget::new(10 * 1024);
        assert!(budget.reserve(0).await.is_none());
        let most = budget.reserve(9 * 1024 + 1).await.unwrap();
        assert_eq!(most.num_permits(), 10);
        let waiting = tokio::time::timeout(Duration::from_millis(50), budget.reserve(1)).await;
        assert!(waiting.is_err(), "a body got in over the budget");
        drop(most);
        // A body larger than the whole budget takes all of it, alone.
        let all = budget.reserve(1 << 30).await.unwrap();
        assert_eq!(all.num_permits(), 10);
    }

    fn limits(header_ms: u64, idle_ms: u64) -> ServerLimits {
        ServerLimits {
            header_read_timeout: Duration::from_millis(header_ms),
            idle_timeout: Duration::from_millis(idle_ms),
            ..ServerLimits::default()
        }
    }

    #[tokio::test]
    async fn a_connection_expires_by_its_phase() {
        let clock = Arc::new(ConnectionClock::new(limits(50, 10_000)));
        let started = Instant::now();
        assert_eq!(clock.expired().await, "header read timeout");
        assert!(started.elapsed() >= Duration::from_millis(50));

        // Busy never expires here; once idle, the (short) idle timeout counts, at once
        // and not after the busy phase's next look.
        let clock = Arc::new(ConnectionClock::new(limits(10_000, 100)));
        clock.enter(Phase::Busy);
        let watcher = tokio::spawn({
            let clock = Arc::clone(&clock);
            async move { clock.expired().await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!watcher.is_finished(), "a busy connection expired");
        let idle_since = Instant::now();
        clock.enter(Phase::Idle);
        assert_eq!(watcher.await.unwrap(), "idle timeout");
        let waited = idle_since.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
    }

    #[test]
    fn connections_leave_room_for_the_database() {
        assert_eq!(ServerLimits::connections_for_descriptors(1024), 896);
        assert_eq!(ServerLimits::connections_for_descriptors(100), 16);
    }
}
