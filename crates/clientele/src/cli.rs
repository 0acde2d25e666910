//! The command line: subcommands, flags, their environment variables and defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use customer_store::{KeyKind, KeyPermissions};

/// One customer database, served through the customers APIs of WooCommerce REST
/// (wc/v2, wc/v3), WooCommerce legacy (wc-api/v3), Easy Digital Downloads (v1, v2) and
/// easycart (v1), all on one port.
#[derive(Debug, Parser)]
#[command(name = "clientele", version, about, long_about = None)]
#[command(
    after_help = "Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) to change \
                        their level (default: info)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every API dialect on one port until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Load files in the import format (JSON document or NDJSON), each file atomically.
    Import(ImportArgs),
    /// Write the whole store in the import format (NDJSON), to a file or stdout.
    Export(ExportArgs),
    /// Read webhooks' delivery logs.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Print a dialect's OpenAPI 3.1 document, as `GET /openapi/SLUG.json` serves it.
    Openapi(OpenapiArgs),
}

/// `clientele openapi`.
#[derive(Debug, Clone, Args)]
pub struct OpenapiArgs {
    /// The dialect.
    #[arg(value_parser = dialect_slug)]
    pub slug: customer_wire::Dialect,
}

fn dialect_slug(slug: &str) -> Result<customer_wire::Dialect, String> {
    customer_wire::Dialect::from_slug(slug).ok_or_else(|| {
        let slugs: Vec<&str> = customer_wire::Dialect::ALL
            .iter()
            .map(|dialect| dialect.slug())
            .collect();
        format!("not a dialect; one of {}", slugs.join(", "))
    })
}

/// The database, shared by every subcommand.
#[derive(Clone, Args)]
pub struct DatabaseArg {
    /// The database: a SQLite file (a path or sqlite://PATH, created when missing) or a
    /// PostgreSQL URL (postgres://user:password@host:port/dbname[?pool_size=N]; the
    /// database must exist, its tables are created).
    #[arg(long, env = "CLIENTELE_DB", default_value = "clientele.sqlite3")]
    pub db: String,
}

/// Shows the database with any password masked.
impl std::fmt::Debug for DatabaseArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArg")
            .field("db", &customer_store::mask_password(&self.db))
            .finish()
    }
}

/// `clientele serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    /// Address and port to listen on.
    #[arg(long, env = "CLIENTELE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The site's home URL, used in links and OAuth signatures. Default: derived from
    /// --listen (http://127.0.0.1:8080, https:// with TLS; an unspecified address such as
    /// 0.0.0.0 becomes 127.0.0.1).
    #[arg(long, env = "CLIENTELE_SITE_URL")]
    pub site_url: Option<String>,
    /// The site's time zone (IANA name): WooCommerce's local dates and EDD's date filters
    /// use it.
    #[arg(long, env = "CLIENTELE_TIMEZONE", default_value = "UTC")]
    pub timezone: String,
    /// The store currency (ISO 4217): WooCommerce's `total_spent` is in it.
    #[arg(long, env = "CLIENTELE_CURRENCY", default_value = "USD")]
    pub currency: String,
    /// Fill an empty database with a deterministic demo store, create one key of each
    /// kind and print them with ready-to-paste curl commands.
    #[arg(long, env = "CLIENTELE_DEMO")]
    pub demo: bool,
    /// PEM certificate chain: serve https instead of http (needs --tls-key).
    #[arg(long, env = "CLIENTELE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CLIENTELE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Trust `X-Forwarded-Proto: https` from a TLS-terminating proxy in front (WooCommerce
    /// then accepts Basic and query-string keys as over https).
    #[arg(long, env = "CLIENTELE_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// The EDD API version answered at the unversioned /edd-api/customers/.
    #[arg(
        long,
        env = "CLIENTELE_EDD_DEFAULT_VERSION",
        default_value = "2",
        value_parser = clap::value_parser!(u8).range(1..=2)
    )]
    pub edd_default_version: u8,
    /// Time a webhook receiver has to answer a delivery; past it the attempt fails.
    /// Seconds, or a duration such as 500ms, 10s.
    #[arg(long, env = "CLIENTELE_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,
    /// Retries of a failed webhook delivery before it counts as a failure, waiting 1 s,
    /// 2 s, 4 s, … between attempts. 0 (the default) retries nothing, as WooCommerce.
    #[arg(long, env = "CLIENTELE_WEBHOOK_RETRIES", default_value = "0")]
    pub webhook_retries: u32,
    /// Time to handle a request once its body has arrived; past it the request's
    /// database work is stopped and the client gets a 503. Seconds, or a duration such
    /// as 500ms, 10s, 1m.
    #[arg(long, env = "CLIENTELE_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Time for a request's line and headers (and a TLS handshake), from the
    /// connection's start or the first byte of a request; past it the connection is
    /// closed.
    #[arg(long, env = "CLIENTELE_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Time for a request's whole body once its headers have arrived; past it the
    /// client gets a 408 and the connection is closed.
    #[arg(long, env = "CLIENTELE_BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,
    /// Time a kept-alive connection stays open with no request in progress and no
    /// bytes moving.
    #[arg(long, env = "CLIENTELE_IDLE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Connections served at once; more get a 503 and are closed. Default: the
    /// process's open-file limit less 128 descriptors kept for the database.
    #[arg(long, env = "CLIENTELE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// MiB of request and response bodies held in memory at once, over all
    /// connections; a body that does not fit waits for room.
    #[arg(long, env = "CLIENTELE_BODY_MEMORY", default_value = "256", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub body_memory: u64,
    /// Turn on the control API under /__admin/ (reset, snapshots, seeding, request
    /// journal, faults, clock) for callers with `Authorization: Bearer TOKEN`. With
    /// --demo and no token, one is made up and printed.
    #[arg(long, env = "CLIENTELE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Requests the control API's journal keeps (the oldest drop out).
    #[arg(long, env = "CLIENTELE_JOURNAL_SIZE", default_value = "1000")]
    pub journal_size: usize,
    /// Keep the control API's snapshots as files in this directory, where they outlive
    /// the server (SQLite; PostgreSQL keeps them in the database).
    #[arg(long, env = "CLIENTELE_SNAPSHOT_DIR")]
    pub snapshot_dir: Option<PathBuf>,
}

/// A duration: a number of seconds (`10`, `0.5`) or a duration such as `500ms`, `10s`,
/// `1m 30s` (jiff's friendly format; ISO 8601 `PT10S` too). It must be positive.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("{text:?} is not a duration such as 10s, 500ms or 1m");
    let duration = match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => {
            Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?
        }
        Ok(_) => return Err(invalid()),
        Err(_) => {
            let signed: jiff::SignedDuration = text.trim().parse().map_err(|_| invalid())?;
            Duration::try_from(signed).map_err(|_| invalid())?
        }
    };
    if duration.is_zero() {
        return Err(invalid());
    }
    Ok(duration)
}

/// `clientele webhooks …`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Print a webhook's latest delivery attempts, newest first, as a JSON array: each
    /// with its delivery id, attempt, time, URL, request headers and body, response
    /// status, duration and error.
    Deliveries {
        /// The webhook's id.
        id: i64,
        /// How many attempts to show (the log keeps the last 100).
        #[arg(long, default_value = "20")]
        limit: usize,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// `clientele keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once, as one JSON object on stdout:
    /// {"consumer_key","consumer_secret"}, {"key","secret","token"} or {"token"}.
    Create {
        /// Which APIs the key is for: woocommerce (wc/v2, wc/v3, wc-api/v3), edd, or
        /// bearer (easycart).
        #[arg(long, value_enum)]
        kind: KindArg,
        /// What the key may do (WooCommerce keys only; the other APIs have no scopes).
        #[arg(long, value_enum, default_value = "read_write")]
        permissions: PermissionsArg,
        /// Free text shown by `keys list`.
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List live keys as a JSON array (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Revoke a key by id; print it as a JSON object.
    Revoke {
        /// The key's id, as `keys list` shows it.
        id: i64,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// `clientele import`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Each file prints one JSON summary line on stdout \
    ({\"file\",\"imported\",\"products\",\"customers\",…,\"records\",\"seconds\",\"records_per_second\"}, \
    or {\"file\",\"imported\":false,\"errors\"}); errors and the readable summary go to stderr.")]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    /// No progress bar and no readable summary (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Fire the webhooks as the customers API does: each registered customer imported
    /// gives a `customer.created` event to every active webhook subscribed to it,
    /// written with the import and delivered by a running server. Without it an import
    /// fires nothing.
    #[arg(long)]
    pub fire_webhooks: bool,
    /// Files to load (docs/import-format.md), `-` for standard input. A file with an
    /// error is not written at all; the other files still are.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `clientele export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    /// Write to this file (replaced only once the export is complete) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Include the API keys, with the secrets that verify them.
    #[arg(long)]
    pub with_keys: bool,
    /// No progress and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// WooCommerce consumer key and secret.
    Woocommerce,
    /// EDD public key, secret and token.
    Edd,
    /// easycart bearer token.
    Bearer,
}

impl From<KindArg> for KeyKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Woocommerce => KeyKind::WooCommerce,
            KindArg::Edd => KeyKind::Edd,
            KindArg::Bearer => KeyKind::Bearer,
        }
    }
}

/// `--permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum PermissionsArg {
    /// GET requests only.
    Read,
    /// Writes only.
    Write,
    /// Everything.
    ReadWrite,
}

impl From<PermissionsArg> for KeyPermissions {
    fn from(permissions: PermissionsArg) -> Self {
        match permissions {
            PermissionsArg::Read => KeyPermissions::Read,
            PermissionsArg::Write => KeyPermissions::Write,
            PermissionsArg::ReadWrite => KeyPermissions::ReadWrite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_follow_the_contract() {
        let cli = Cli::try_parse_from(["clientele", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.database.db, "clientele.sqlite3");
        assert_eq!(args.timezone, "UTC");
        assert_eq!(args.currency, "USD");
        assert_eq!(args.edd_default_version, 2);
        assert!(!args.demo && !args.trust_proxy && args.site_url.is_none());
    }

    #[test]
    fn durations_are_seconds_or_friendly_text() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("PT2S"), Ok(Duration::from_secs(2)));
        for bad in ["0", "-1s", "soon", "", "NaN"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let cli = Cli::try_parse_from(["clientele", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.request_timeout, Duration::from_secs(10));
        assert_eq!(args.header_read_timeout, Duration::from_secs(10));
        assert_eq!(args.body_read_timeout, Duration::from_secs(30));
        assert_eq!(args.idle_timeout, Duration::from_secs(30));
        assert_eq!(args.max_connections, None);
        assert_eq!(args.body_memory, 256);
    }

    #[test]
    fn tls_needs_both_files_and_edd_versions_are_one_or_two() {
        assert!(Cli::try_parse_from(["clientele", "serve", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["clientele", "serve", "--edd-default-version", "3"]).is_err());
        assert!(Cli::try_parse_from(["clientele", "import"]).is_err());
        let cli = Cli::try_parse_from(["clientele", "import", "--quiet", "-", "b.ndjson"]).unwrap();
        let Command::Import(args) = cli.command else {
            panic!("not import")
        };
        assert!(args.quiet);
        assert_eq!(args.files, [PathBuf::from("-"), PathBuf::from("b.ndjson")]);
        let cli = Cli::try_parse_from(["clientele", "export", "--with-keys"]).unwrap();
        let Command::Export(args) = cli.command else {
            panic!("not export")
        };
        assert!(args.with_keys && args.out.is_none() && !args.quiet);
    }

    #[test]
    fn keys_create_parses_kind_and_permissions() {
        let cli = Cli::try_parse_from([
            "clientele",
            "keys",
            "create",
            "--kind",
            "woocommerce",
            "--permissions",
            "read_write",
        ])
        .unwrap();
        let Command::Keys(KeysCommand::Create {
            kind, permissions, ..
        }) = cli.command
        else {
            panic!("not keys create")
        };
        assert_eq!(KeyKind::from(kind), KeyKind::WooCommerce);
        assert_eq!(KeyPermissions::from(permissions), KeyPermissions::ReadWrite);
    }
}
