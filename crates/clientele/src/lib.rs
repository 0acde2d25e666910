//! The `clientele` command line as a library: the binary (`main.rs`) parses arguments and
//! calls these modules; tests call them directly.
//!
//! - [`cli`]: subcommands and flags (clap), with environment variables and defaults.
//! - [`serve`]: `clientele serve`: settings, demo store, server until SIGINT/SIGTERM.
//! - [`keys`]: `clientele keys create|list|revoke`.
//! - [`import`]: `clientele import`: files in the import format, each atomically, streamed.
//! - [`export`]: `clientele export`: the whole store in the import format, streamed.
//! - [`demo`]: the deterministic demo store of `serve --demo`.

pub mod cli;
pub mod demo;
pub mod export;
pub mod import;
pub mod keys;
pub mod serve;
pub mod webhooks;

use std::sync::Arc;

use anyhow::Context as _;
use customer_store::{CustomerStore, Location};

/// Opens the store `--db` names, for every subcommand: a SQLite file (a path, or
/// `sqlite://PATH`; created when missing) or a PostgreSQL database (`postgres://…`; its
/// schema created or brought up to date). The error names the database, password masked.
pub async fn open_store(db: &str) -> anyhow::Result<Arc<dyn CustomerStore>> {
    let location = Location::parse(db);
    location
        .open()
        .await
        .with_context(|| format!("cannot open the database {location}"))
}
