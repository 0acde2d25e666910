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
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
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
        }
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
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let handler = move |request: Request| {
        let state = Arc::clone(&state);
        async move { crate::handle(&state, request).await }
    };
    serve_with(listener, handler, tls, limits, shutdown).await
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
        tokio::spawn(async move {
            let clock = Arc::new(ConnectionClock::new(limits));
            let io = Clocked {
                inner: stream,
                clock: Arc::clone(&clock),
            };
            let served = async {
                match acceptor {
                    None => {
                        let conn = connection(TokioIo::new(io), handler, &clock, false, peer);
                        watcher.watch(conn).await
                    }
                    Some(acceptor) => match acceptor.accept(io).await {
                        Ok(tls_stream) => {
                            let conn =
                                connection(TokioIo::new(tls_stream), handler, &clock, true, peer);
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
                    if let Err(error) = outcome {
                        tracing::debug!(%error, "connection ended with an error");
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
}

impl ConnectionClock {
    fn new(limits: ServerLimits) -> Self {
        Self {
            limits,
            state: Mutex::new((Phase::Head, Instant::now())),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (Phase, Instant)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enter(&self, phase: Phase) {
        *self.state() = (phase, Instant::now());
    }

    /// Bytes arrived: an idle connection starts a request's head.
    fn read_some(&self) {
        let mut state = self.state();
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
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
            let (limit, reason) = match phase {
                Phase::Head => (self.limits.header_read_timeout, "header read timeout"),
                Phase::Idle => (self.limits.idle_timeout, "idle timeout"),
                // The request's own deadlines apply; look again later.
                Phase::Busy => (self.limits.header_read_timeout, ""),
            };
            let deadline = since + limit;
            if phase != Phase::Busy && Instant::now() >= deadline {
                return reason;
            }
            tokio::time::sleep_until(deadline.max(Instant::now() + Duration::from_millis(10)))
                .await;
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

fn connection<I, H, F>(
    io: TokioIo<I>,
    handler: H,
    clock: &Arc<ConnectionClock>,
    tls: bool,
    peer: SocketAddr,
) -> hyper::server::conn::http1::Connection<
    TokioIo<I>,
    impl hyper::service::Service<
        http::Request<Incoming>,
        Response = Response,
        Error = std::convert::Infallible,
        Future = impl Send,
    > + Send,
>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let clock = Arc::clone(clock);
    let service = service_fn(move |request: http::Request<Incoming>| {
        let handler = handler.clone();
        let busy = BusyGuard::new(&clock);
        let limits = clock.limits;
        async move {
            let response = respond(handler, request, limits, tls, peer).await;
            drop(busy);
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    // The connection's clock keeps every timeout; hyper's own header timer would
    // close idle connections on its schedule instead.
    hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, service)
}

/// A short answer of the server itself (not of a dialect): the body is JSON with `code`
/// and `message`; the connection is closed after it.
fn server_answer(status: http::StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

async fn respond<H, F>(
    handler: H,
    request: http::Request<Incoming>,
    limits: ServerLimits,
    tls: bool,
    peer: SocketAddr,
) -> Response
where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let (parts, body) = request.into_parts();
    let collected = tokio::time::timeout(
        limits.body_read_timeout,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await;
    let body: Bytes = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) => {
            tracing::debug!(%error, "request body rejected");
            let mut response = Response::new(Full::new(Bytes::from_static(
                b"{\"code\":\"request_too_large\",\"message\":\"The request body is too large.\"}",
            )));
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        }
        Err(_) => {
            tracing::info!(method = %parts.method, "request body not received in time");
            return server_answer(
                http::StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request body did not arrive in time.",
            );
        }
    };
    let started = std::time::Instant::now();
    let method = parts.method.clone();
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        tls,
        peer: Some(peer),
    };
    let route = crate::routes::log_template(&request);
    let path = request.uri.path().to_owned();
    let family = crate::routes::family(&request);
    let response = match tokio::time::timeout(limits.request_timeout, handler(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %route, "request deadline passed; its work was stopped");
            crate::routes::deadline_passed(family)
        }
    };
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    tracing::info!(%method, %route, status, micros, "request");
    tracing::debug!(%method, %path, status, "request path");
    response
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

    #[test]
    fn connections_leave_room_for_the_database() {
        assert_eq!(ServerLimits::connections_for_descriptors(1024), 896);
        assert_eq!(ServerLimits::connections_for_descriptors(100), 16);
    }
}
