//! `clientele serve`: settings from the command line, the optional demo store, and the
//! server until SIGINT or SIGTERM.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use customer_http::{AppState, DeliveryOptions, DeliveryWorker, ServerLimits, SiteConfig};
use customer_model::Currency;
use customer_store::CustomerStore;
use jiff::tz::TimeZone;

use crate::cli::ServeArgs;

/// The home URL a server on `listen` answers at: an unspecified address (0.0.0.0, ::)
/// is reached through loopback.
pub fn default_site_url(listen: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, listen.port()))
}

/// The site's settings from the flags.
pub fn site_config(args: &ServeArgs) -> anyhow::Result<SiteConfig> {
    let tls = args.tls_cert.is_some();
    let site_url = args
        .site_url
        .clone()
        .unwrap_or_else(|| default_site_url(args.listen, tls));
    let mut site = SiteConfig::local(&site_url);
    site.timezone = TimeZone::get(&args.timezone)
        .with_context(|| format!("--timezone {:?} is not an IANA time zone", args.timezone))?;
    site.currency = Currency::parse(&args.currency)
        .map_err(|_| anyhow::anyhow!("--currency {:?} is not an ISO 4217 code", args.currency))?;
    site.trust_forwarded_proto = args.trust_proxy;
    site.edd_default_version = args.edd_default_version;
    Ok(site)
}

/// The process's limit of open files (the soft limit), when the system tells it.
fn descriptor_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _hard)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The server's limits from the flags; the connection cap defaults to what the
/// descriptor limit leaves, and a larger one is served but warned about.
pub fn server_limits(args: &ServeArgs) -> ServerLimits {
    let fitting = descriptor_limit().map(ServerLimits::connections_for_descriptors);
    let max_connections = match (args.max_connections, fitting) {
        (Some(asked), Some(fitting)) => {
            let asked = usize::try_from(asked).unwrap_or(usize::MAX);
            if asked > fitting {
                tracing::warn!(
                    max_connections = asked,
                    fitting,
                    "--max-connections is more than the open-file limit leaves room for"
                );
            }
            asked
        }
        (Some(asked), None) => usize::try_from(asked).unwrap_or(usize::MAX),
        (None, Some(fitting)) => fitting,
        (None, None) => ServerLimits::default().max_connections,
    };
    ServerLimits {
        request_timeout: args.request_timeout,
        header_read_timeout: args.header_read_timeout,
        body_read_timeout: args.body_read_timeout,
        idle_timeout: args.idle_timeout,
        max_connections,
        body_memory: usize::try_from(args.body_memory.saturating_mul(1024 * 1024))
            .unwrap_or(usize::MAX),
    }
}

/// Runs the server until SIGINT or SIGTERM, then lets open requests finish.
pub async fn run(args: ServeArgs, store: Arc<dyn CustomerStore>) -> anyhow::Result<()> {
    let site = site_config(&args)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let cert_pem = std::fs::read(cert)
                .with_context(|| format!("cannot read --tls-cert {}", cert.display()))?;
            let key_pem = std::fs::read(key)
                .with_context(|| format!("cannot read --tls-key {}", key.display()))?;
            Some(
                customer_http::tls_config_from_pem(&cert_pem, &key_pem)
                    .context("the TLS certificate or key is not usable")?,
            )
        }
        _ => None,
    };
    let demo = if args.demo {
        crate::demo::prepare(store.as_ref()).await?
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        address = %listener.local_addr()?,
        %scheme,
        site_url = %site.site_url,
        database = %customer_store::Location::parse(&args.database.db),
        "listening"
    );
    if let Some(keys) = &demo {
        println!(
            "{}",
            crate::demo::getting_started(keys, &site, tls.is_some())
        );
    }
    let limits = server_limits(&args);
    tracing::info!(
        request_timeout_ms = limits.request_timeout.as_millis() as u64,
        max_connections = limits.max_connections,
        "limits"
    );
    if let Some(dir) = &args.snapshot_dir {
        store
            .keep_states_in(dir)
            .with_context(|| format!("--snapshot-dir {}", dir.display()))?;
    }
    let admin_token = match (&args.admin_token, args.demo) {
        (Some(token), _) if token.trim().is_empty() => {
            anyhow::bail!("--admin-token is empty")
        }
        (Some(token), _) => Some(token.trim().to_owned()),
        (None, true) => Some(format!("admin_{}", hex::encode(rand::random::<[u8; 16]>()))),
        (None, false) => None,
    };
    let delivery = DeliveryOptions {
        timeout: args.webhook_timeout,
        retries: args.webhook_retries,
        ..DeliveryOptions::default()
    };
    let worker = DeliveryWorker::new(Arc::clone(&store), site.clone(), delivery).spawn();
    let mut state = AppState::new(store, site);
    if let Some(token) = admin_token {
        if args.demo {
            println!(
                "{}",
                control_api_note(&token, &state.site.site_url, tls.is_some())
            );
        }
        state = state
            .with_control(customer_http::ControlConfig {
                admin_token: token,
                journal_size: args.journal_size,
            })
            .await
            .context("cannot save the control API's baseline")?;
        tracing::info!(
            journal_size = args.journal_size,
            "control API on at /__admin/"
        );
    }
    let state = Arc::new(state);
    customer_http::serve(listener, state, tls, limits, shutdown_signal()).await?;
    worker.abort();
    tracing::info!("stopped");
    Ok(())
}

/// What `serve --demo` prints about the control API: the token and a reset with curl.
fn control_api_note(token: &str, url: &str, tls: bool) -> String {
    let insecure = if tls { "-k " } else { "" };
    format!(
        "# Control API for test suites (docs/testing-with-clientele.md): admin token {token}\n\
         curl {insecure}-X POST -H 'Authorization: Bearer {token}' '{url}/__admin/reset'\n"
    )
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let cli =
            crate::cli::Cli::try_parse_from(["clientele", "serve"].iter().chain(extra)).unwrap();
        match cli.command {
            crate::cli::Command::Serve(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_site_url_follows_the_listen_address_and_tls() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            default_site_url(at("127.0.0.1:8080"), false),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            default_site_url(at("0.0.0.0:443"), true),
            "https://127.0.0.1:443"
        );
        assert_eq!(
            default_site_url(at("[::]:8080"), false),
            "http://[::1]:8080"
        );
    }

    #[test]
    fn settings_come_from_the_flags() {
        let site = site_config(&serve_args(&[
            "--listen",
            "0.0.0.0:9000",
            "--timezone",
            "Europe/Warsaw",
            "--currency",
            "pln",
            "--trust-proxy",
            "--edd-default-version",
            "1",
        ]))
        .unwrap();
        assert_eq!(site.site_url, "http://127.0.0.1:9000");
        assert_eq!(site.timezone.iana_name(), Some("Europe/Warsaw"));
        assert_eq!(site.currency.code(), "PLN");
        assert!(site.trust_forwarded_proto);
        assert_eq!(site.edd_default_version, 1);
        let site = site_config(&serve_args(&["--site-url", "https://shop.example/"])).unwrap();
        assert_eq!(site.site_url, "https://shop.example");
    }

    #[test]
    fn bad_settings_are_explained() {
        let error = site_config(&serve_args(&["--timezone", "Mars/Olympus"])).unwrap_err();
        assert!(error.to_string().contains("Mars/Olympus"), "{error}");
        let error = site_config(&serve_args(&["--currency", "XXX1"])).unwrap_err();
        assert!(error.to_string().contains("ISO 4217"), "{error}");
    }
}
