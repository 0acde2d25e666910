//! Loading import files into the store: decode (`customer_wire::import`), check the
//! references that leave the file against the store, then write one atomic batch.
//! The demo store goes through the same path.

use std::collections::HashSet;
use std::fmt;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::Path;
use std::time::{Duration, Instant};

use customer_store::{CustomerStore, ImportSummary, StoreError};
use customer_wire::import::{self, Decoded, ImportError, Target};
use indicatif::{ProgressBar, ProgressStyle};

/// Why a file was not imported. Nothing of it was written.
#[derive(Debug)]
pub enum ImportFailure {
    /// The file has errors: every one, each naming its record and field.
    Invalid(Vec<ImportError>),
    /// The file cannot be read.
    Unreadable(std::io::Error),
    /// The store refused the batch for a reason that names no record.
    Store(StoreError),
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(errors) => {
                let count = errors.len();
                write!(f, "{count} error{}", if count == 1 { "" } else { "s" })?;
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
            Self::Unreadable(error) => write!(f, "cannot be read: {error}"),
            Self::Store(error) => write!(f, "{error}"),
        }
    }
}

/// How a file import went.
#[derive(Debug, Clone, Copy)]
pub struct Imported {
    /// What was written.
    pub summary: ImportSummary,
    /// How long decoding, checking and writing took.
    pub elapsed: Duration,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{} products, {} customers, {} orders, {} subscriptions, {} download grants in {:.1?}",
            s.products, s.customers, s.orders, s.subscriptions, s.download_grants, self.elapsed
        )
    }
}

/// Imports one file atomically, with a progress bar when stderr is a terminal.
pub async fn import_file(
    store: &dyn CustomerStore,
    path: &Path,
) -> Result<Imported, ImportFailure> {
    let file = std::fs::File::open(path).map_err(ImportFailure::Unreadable)?;
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(length);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({eta})",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(format!("reading {}", path.display()));
        bar
    } else {
        ProgressBar::hidden()
    };
    let reader = BufReader::with_capacity(1 << 20, progress.wrap_read(file));
    let started = Instant::now();
    // Decoding is CPU-bound and blocking: keep it off the executor's threads.
    let decoded = tokio::task::spawn_blocking(move || import::decode(reader))
        .await
        .expect("decoding does not panic");
    progress.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid"));
    progress.set_message(format!("writing {}", path.display()));
    progress.enable_steady_tick(Duration::from_millis(120));
    let outcome = match decoded {
        Ok(decoded) => import_decoded(store, decoded).await,
        Err(errors) => Err(ImportFailure::Invalid(errors)),
    };
    progress.finish_and_clear();
    outcome.map(|summary| Imported {
        summary,
        elapsed: started.elapsed(),
    })
}

/// Imports a file held in memory (the demo store is made this way).
pub async fn import_bytes(
    store: &dyn CustomerStore,
    bytes: &[u8],
) -> Result<ImportSummary, ImportFailure> {
    import_reader(store, bytes).await
}

async fn import_reader(
    store: &dyn CustomerStore,
    reader: impl BufRead,
) -> Result<ImportSummary, ImportFailure> {
    let decoded = import::decode(reader).map_err(ImportFailure::Invalid)?;
    import_decoded(store, decoded).await
}

/// Checks the references that leave the file, then writes the batch.
async fn import_decoded(
    store: &dyn CustomerStore,
    decoded: Decoded,
) -> Result<ImportSummary, ImportFailure> {
    let Decoded {
        records,
        locations,
        references,
    } = decoded;
    let missing = missing_references(store, &references).await?;
    if !missing.is_empty() {
        return Err(ImportFailure::Invalid(missing));
    }
    match store.import(batch(records)).await {
        Ok(summary) => Ok(summary),
        Err(StoreError::Invalid { field, reason }) => match locations.locate(&field, &reason) {
            Some(error) => Err(ImportFailure::Invalid(vec![error])),
            None => Err(ImportFailure::Store(StoreError::Invalid { field, reason })),
        },
        Err(error) => Err(ImportFailure::Store(error)),
    }
}

/// Every reference whose target is not stored, as an error. Each target is looked up
/// once, however many records name it.
async fn missing_references(
    store: &dyn CustomerStore,
    references: &[import::Reference],
) -> Result<Vec<ImportError>, ImportFailure> {
    let mut absent: HashSet<Target> = HashSet::new();
    let mut checked: HashSet<Target> = HashSet::new();
    for reference in references {
        if !checked.insert(reference.target) {
            continue;
        }
        let found = match reference.target {
            Target::Customer(id) => store.customer(id).await.map(drop),
            Target::Product(id) => store.product(id).await.map(drop),
            Target::Order(id) => store.order(id).await.map(drop),
        };
        match found {
            Ok(()) => {}
            Err(StoreError::NotFound { .. }) => {
                absent.insert(reference.target);
            }
            Err(error) => return Err(ImportFailure::Store(error)),
        }
    }
    Ok(references
        .iter()
        .filter(|r| absent.contains(&r.target))
        .map(import::Reference::missing)
        .collect())
}

/// The store's batch from decoded records.
pub use customer_http::import::batch;
