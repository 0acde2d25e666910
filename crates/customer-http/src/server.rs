//! Runs [`crate::handle`] on a socket: HTTP/1.1, plain or TLS (rustls), with graceful
//! shutdown (stop accepting, let open requests finish). [`serve_with`] runs any request
//! handler the same way, so tests can put a probe behind the real TLS and HTTP stack.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
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

/// Serves `state` on `listener` until `shutdown` resolves, then waits for open
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let handler = move |request: Request| {
        let state = Arc::clone(&state);
        async move { crate::handle(&state, request).await }
    };
    serve_with(listener, handler, tls, shutdown).await
}

/// Serves requests with `handler` on `listener` (TLS when `tls` is given) until
/// `shutdown` resolves, then waits for open connections to finish their requests. The
/// handler sees the same [`Request`] as [`crate::handle`]: whole body, `tls` flag, peer.
pub async fn serve_with<H, F>(
    listener: TcpListener,
    handler: H,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let acceptor = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        match &acceptor {
            None => {
                let connection = connection(TokioIo::new(stream), handler, false, peer);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = watched.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(tls_stream) => {
                            let connection =
                                connection(TokioIo::new(tls_stream), handler, true, peer);
                            if let Err(error) = watcher.watch(connection).await {
                                tracing::debug!(%error, "connection ended with an error");
                            }
                        }
                        Err(error) => tracing::debug!(%error, "TLS handshake failed"),
                    }
                });
            }
        }
    }
    tracing::info!("shutting down: waiting for open requests");
    graceful.shutdown().await;
    Ok(())
}

fn connection<I, H, F>(
    io: TokioIo<I>,
    handler: H,
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
    let service = service_fn(move |request: http::Request<Incoming>| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(handler, request, tls, peer).await) }
    });
    hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
}

async fn respond<H, F>(
    handler: H,
    request: http::Request<Incoming>,
    tls: bool,
    peer: SocketAddr,
) -> Response
where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let (parts, body) = request.into_parts();
    let body: Bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::debug!(%error, "request body rejected");
            let mut response = Response::new(Full::new(Bytes::from_static(
                b"{\"code\":\"request_too_large\",\"message\":\"The request body is too large.\"}",
            )));
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        }
    };
    let started = std::time::Instant::now();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        tls,
        peer: Some(peer),
    };
    let response = handler(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}
