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

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use customer_store::SqliteStore;

/// Opens (creating when missing) the SQLite database at `path`.
pub fn open_store(path: &Path) -> anyhow::Result<Arc<SqliteStore>> {
    let store = SqliteStore::open(path)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    Ok(Arc::new(store))
}
