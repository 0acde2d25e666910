//! `clientele export`: the whole store in the import format, as NDJSON, streaming.
//!
//! The store's export session reads pages of one snapshot (kind by kind, by id) while a
//! thread of its own encodes the previous page and writes it, so memory holds a couple of
//! pages whatever the size of the store. Records keep every id, UUID and instant, and
//! customers their password hashes, so that importing the file into an empty store gives
//! back an equal store. A file named with `--out` is replaced only once the export is
//! complete.

use std::fmt;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use customer_store::{CustomerStore, ExportOptions, ImportRecord, ImportSummary, StoredRecord};
use customer_wire::import::write_record;
use indicatif::{ProgressBar, ProgressStyle};

/// Pages waiting for the writing thread.
const PAGES_AHEAD: usize = 2;

/// How an export runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Include the API keys.
    pub with_keys: bool,
    /// Show progress (when stderr is a terminal).
    pub progress: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy)]
pub struct Exported {
    /// Records written, by kind.
    pub counts: ImportSummary,
    /// How long it took.
    pub elapsed: Duration,
}

impl fmt::Display for Exported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "{} products, {} customers, {} orders, {} subscriptions, {} download grants",
            c.products, c.customers, c.orders, c.subscriptions, c.download_grants
        )?;
        if c.api_keys > 0 {
            write!(f, ", {} API keys", c.api_keys)?;
        }
        let rate = c.total() as f64 / self.elapsed.as_secs_f64().max(1e-9);
        write!(f, " in {:.1?} ({rate:.0} records/s)", self.elapsed)
    }
}

/// Writes the store to `out` (a file, replaced when complete) or to stdout.
pub async fn export(
    store: &dyn CustomerStore,
    out: Option<&Path>,
    options: Options,
) -> anyhow::Result<Exported> {
    let started = Instant::now();
    match out {
        Some(path) => {
            let directory = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let partial = tempfile::NamedTempFile::new_in(directory)
                .with_context(|| format!("cannot write in {}", directory.display()))?;
            let file = partial.reopen()?;
            let counts = export_to(store, file, options).await?;
            partial
                .persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Exported {
                counts,
                elapsed: started.elapsed(),
            })
        }
        None => {
            let counts = export_to(store, io::stdout(), options).await?;
            Ok(Exported {
                counts,
                elapsed: started.elapsed(),
            })
        }
    }
}

/// Writes the store to `writer` as NDJSON and says how many records of each kind.
pub async fn export_to(
    store: &dyn CustomerStore,
    writer: impl Write + Send + 'static,
    options: Options,
) -> anyhow::Result<ImportSummary> {
    let progress = if options.progress && io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} exporting: {msg} ({elapsed})")
                .expect("the template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut session = store
        .begin_export(ExportOptions {
            api_keys: options.with_keys,
        })
        .await?;
    let (pages, queue) = mpsc::sync_channel::<Vec<StoredRecord>>(PAGES_AHEAD);
    let writing = std::thread::Builder::new()
        .name("clientele-export-write".into())
        .spawn(move || write_pages(writer, &queue))?;
    let mut counts = ImportSummary::default();
    let started = Instant::now();
    loop {
        let page = session.next_page().await?;
        if page.is_empty() {
            break;
        }
        for record in &page {
            counts.count(record.kind());
        }
        let rate = counts.total() as f64 / started.elapsed().as_secs_f64().max(1e-9);
        progress.set_message(format!("{} records, {rate:.0} records/s", counts.total()));
        let pages = pages.clone();
        // Waiting for room in the queue is blocking.
        let sent = tokio::task::spawn_blocking(move || pages.send(page)).await?;
        if sent.is_err() {
            break;
        }
    }
    drop(pages);
    progress.finish_and_clear();
    writing
        .join()
        .map_err(|_| anyhow::anyhow!("the writing thread panicked"))??;
    Ok(counts)
}

/// Encodes and writes pages until the queue closes.
fn write_pages(writer: impl Write, queue: &mpsc::Receiver<Vec<StoredRecord>>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, writer);
    for page in queue {
        for record in page {
            write_record(&mut out, &ImportRecord::from(record))?;
        }
    }
    out.flush()?;
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .flush()
}
