//! Loading import files into the store, streaming: a thread decodes the file
//! (`customer_wire::import::read`) into chunks of records, and the chunks are written
//! through one import session of the store, so memory holds a few chunks whatever the
//! size of the file, and the file is written whole or not at all.
//!
//! A record that names a record not written yet (it may come later in the file) is
//! handed back by the store and parked in a temporary file; once the file is read, the
//! parked records are written kind by kind, and a reference that still does not resolve
//! is an error. The demo store goes through the same path.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use customer_store::{
    CustomerStore, Held, ImportMode, ImportOptions, ImportRecord, ImportSession, ImportSummary,
    RecordKind, StoreError, Unresolved, Written,
};
use customer_wire::import::{self, ImportError, Item, Location};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

/// Records per chunk: large enough that per-chunk costs (a round trip to the writing
/// thread, one write of the aggregates a chunk touches) vanish, small enough that a few
/// chunks in flight hold a few megabytes.
const CHUNK: usize = 4096;
/// Decoded chunks waiting for the writer.
const CHUNKS_AHEAD: usize = 2;
/// Errors kept to print; beyond them only a count.
const MAX_ERRORS: usize = 1000;

/// Where records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input (`-` on the command line).
    Stdin,
}

impl Source {
    /// `-` is standard input; anything else a file.
    pub fn from_arg(arg: &Path) -> Self {
        if arg == Path::new("-") {
            Self::Stdin
        } else {
            Self::File(arg.to_owned())
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Stdin => f.write_str("-"),
        }
    }
}

/// How an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// How the store writes.
    pub mode: ImportMode,
    /// Fire webhooks: every registered customer imported gives `customer.created`
    /// events, written with the import (see [`ImportOptions::fire_webhooks`]).
    pub fire_webhooks: bool,
    /// Show a progress bar (when stderr is a terminal).
    pub progress: bool,
}

/// Why a file was not imported. Nothing of it was written.
#[derive(Debug)]
pub enum ImportFailure {
    /// The file has errors, each naming its record and field: every error of form, and
    /// the first one the store found (a reference, a value taken). `more` counts errors
    /// beyond those kept.
    Invalid {
        /// The errors, in file order.
        errors: Vec<ImportError>,
        /// How many more there were.
        more: usize,
    },
    /// The file cannot be read.
    Unreadable(io::Error),
    /// The store failed for a reason that names no record.
    Store(StoreError),
}

impl ImportFailure {
    /// How many errors the file has (0 when it failed otherwise).
    pub fn error_count(&self) -> usize {
        match self {
            Self::Invalid { errors, more } => errors.len() + more,
            _ => 0,
        }
    }
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { errors, more } => {
                let count = errors.len() + more;
                write!(f, "{count} error{}", if count == 1 { "" } else { "s" })?;
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                if *more > 0 {
                    write!(f, "\n  … and {more} more")?;
                }
                Ok(())
            }
            Self::Unreadable(error) => write!(f, "cannot be read: {error}"),
            Self::Store(error) => write!(f, "{error}"),
        }
    }
}

impl From<StoreError> for ImportFailure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// How a file import went.
#[derive(Debug, Clone, Copy)]
pub struct Imported {
    /// What was written.
    pub summary: ImportSummary,
    /// How long reading, writing and committing took.
    pub elapsed: Duration,
}

impl Imported {
    /// Records written per second.
    pub fn rate(&self) -> f64 {
        self.summary.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{} products, {} customers, {} orders, {} subscriptions, {} download grants",
            s.products, s.customers, s.orders, s.subscriptions, s.download_grants
        )?;
        if s.api_keys > 0 {
            write!(f, ", {} API keys", s.api_keys)?;
        }
        write!(f, " in {:.1?} ({:.0} records/s)", self.elapsed, self.rate())
    }
}

/// The machine-readable summary of one file: one JSON object on one line.
pub fn summary_line(source: &Source, outcome: &Result<Imported, ImportFailure>) -> String {
    let mut line = serde_json::Map::new();
    line.insert("file".into(), source.to_string().into());
    match outcome {
        Ok(imported) => {
            line.insert("imported".into(), true.into());
            for kind in RecordKind::ALL {
                line.insert(kind.plural().into(), imported.summary.of(kind).into());
            }
            line.insert("records".into(), imported.summary.total().into());
            let seconds = imported.elapsed.as_secs_f64();
            line.insert(
                "seconds".into(),
                ((seconds * 1000.0).round() / 1000.0).into(),
            );
            line.insert("records_per_second".into(), imported.rate().round().into());
        }
        Err(failure) => {
            line.insert("imported".into(), false.into());
            line.insert("errors".into(), failure.error_count().into());
        }
    }
    serde_json::Value::Object(line).to_string()
}

/// Imports one file (or standard input) atomically.
pub async fn import_source(
    store: &dyn CustomerStore,
    source: &Source,
    options: Options,
) -> Result<Imported, ImportFailure> {
    let started = Instant::now();
    let (reader, length): (Box<dyn Read + Send>, Option<u64>) = match source {
        Source::File(path) => {
            let file = File::open(path).map_err(ImportFailure::Unreadable)?;
            let length = file.metadata().ok().map(|m| m.len());
            (Box::new(file), length)
        }
        Source::Stdin => (Box::new(io::stdin()), None),
    };
    let progress = if options.progress && io::stderr().is_terminal() {
        Progress::shown(source, length)
    } else {
        Progress::hidden()
    };
    let session = ImportOptions {
        mode: options.mode,
        fire_webhooks: options.fire_webhooks,
    };
    let summary = run(store, reader, session, &progress).await;
    progress.finish();
    summary.map(|summary| Imported {
        summary,
        elapsed: started.elapsed(),
    })
}

/// Imports a file held in memory (the demo store is made this way).
pub async fn import_bytes(
    store: &dyn CustomerStore,
    bytes: &[u8],
) -> Result<ImportSummary, ImportFailure> {
    let reader = io::Cursor::new(bytes.to_vec());
    run(
        store,
        Box::new(reader),
        ImportOptions::default(),
        &Progress::hidden(),
    )
    .await
}

/// A chunk of decoded records with where each came from, and the errors met on the way.
#[derive(Default)]
struct Chunk {
    records: Vec<ImportRecord>,
    locations: Vec<Location>,
    errors: Vec<ImportError>,
    /// Errors met beyond [`MAX_ERRORS`].
    more_errors: usize,
    /// Bytes of the file read so far.
    position: u64,
}

impl Chunk {
    /// An empty chunk with room for [`CHUNK`] records: records are large, and growing
    /// the vector by doubling moved each of them about once more.
    fn with_room() -> Self {
        Self {
            records: Vec::with_capacity(CHUNK),
            locations: Vec::with_capacity(CHUNK),
            ..Self::default()
        }
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decodes `reader` into chunks on a thread of its own. Once the file has an error (or
/// the writer says it gave up), records are no longer shipped: only errors, to report.
fn decode_in_chunks(
    reader: Box<dyn Read + Send>,
    chunks: mpsc::Sender<Chunk>,
    give_up: Arc<AtomicBool>,
) -> io::Result<()> {
    let position = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: reader,
        count: Arc::clone(&position),
    };
    std::thread::Builder::new()
        .name("clientele-decode".into())
        .spawn(move || {
            let reader = BufReader::with_capacity(1 << 20, counting);
            let mut chunk = Chunk::with_room();
            let mut errors = 0;
            let ship = |chunk: &mut Chunk| {
                let mut full = std::mem::replace(chunk, Chunk::with_room());
                full.position = position.load(Ordering::Relaxed);
                chunks.blocking_send(full).is_ok()
            };
            import::read(reader, |item| {
                match item {
                    Item::Record {
                        location, record, ..
                    } => {
                        if errors == 0 && !give_up.load(Ordering::Relaxed) {
                            chunk.records.push(record);
                            chunk.locations.push(location);
                        }
                    }
                    Item::Error(error) => {
                        errors += 1;
                        if errors <= MAX_ERRORS {
                            chunk.errors.push(error);
                        } else {
                            chunk.more_errors += 1;
                        }
                    }
                }
                let full = chunk.records.len() >= CHUNK || chunk.errors.len() >= CHUNK;
                if full && !ship(&mut chunk) {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
            ship(&mut chunk);
        })?;
    Ok(())
}

/// Errors of a file, kept up to [`MAX_ERRORS`] and counted beyond.
#[derive(Default)]
struct Errors {
    kept: Vec<ImportError>,
    more: usize,
}

impl Errors {
    fn add(&mut self, error: ImportError) {
        if self.kept.len() < MAX_ERRORS {
            self.kept.push(error);
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }

    fn into_failure(mut self) -> ImportFailure {
        // Store errors are found after the decoding errors of later lines; report all in
        // file order.
        self.kept.sort_by_key(|error| error.location);
        ImportFailure::Invalid {
            errors: self.kept,
            more: self.more,
        }
    }
}

/// Reads `reader` and writes its records through one session; commits only when the
/// whole file is good.
async fn run(
    store: &dyn CustomerStore,
    reader: Box<dyn Read + Send>,
    options: ImportOptions,
    progress: &Progress,
) -> Result<ImportSummary, ImportFailure> {
    let (sender, mut chunks) = mpsc::channel(CHUNKS_AHEAD);
    let give_up = Arc::new(AtomicBool::new(false));
    decode_in_chunks(reader, sender, Arc::clone(&give_up)).map_err(ImportFailure::Unreadable)?;
    let mut session = Some(store.begin_import(options).await?);
    let mut parked = Parked::default();
    let mut errors = Errors::default();
    let mut written: u64 = 0;
    while let Some(chunk) = chunks.recv().await {
        for error in chunk.errors {
            errors.add(error);
        }
        errors.more += chunk.more_errors;
        if !errors.is_empty() {
            // The file will not be imported: stop writing, keep reading for its errors.
            give_up.store(true, Ordering::Relaxed);
            if let Some(open) = session.take() {
                open.rollback().await?;
            }
        }
        let Some(open) = session.as_mut() else {
            continue;
        };
        let count = chunk.records.len();
        let outcome = write(
            open.as_mut(),
            chunk.records,
            &chunk.locations,
            Unresolved::Hold,
            &mut errors,
        )
        .await;
        match outcome {
            Ok(held) => {
                for (location, record) in held {
                    parked
                        .park(location, &record)
                        .map_err(ImportFailure::Unreadable)?;
                }
            }
            Err(failure) => {
                give_up.store(true, Ordering::Relaxed);
                if let Some(open) = session.take() {
                    open.rollback().await?;
                }
                if let Some(failure) = failure {
                    return Err(failure);
                }
            }
        }
        written += count as u64;
        progress.advance(chunk.position, written);
    }
    let Some(mut open) = session else {
        return Err(errors.into_failure());
    };
    if !errors.is_empty() {
        open.rollback().await?;
        return Err(errors.into_failure());
    }
    progress.phase("writing records that refer to later ones");
    if let Err(failure) = parked.write_back(open.as_mut(), &mut errors).await {
        open.rollback().await?;
        return Err(failure.unwrap_or_else(|| errors.into_failure()));
    }
    progress.phase("building indexes and committing");
    Ok(open.commit().await?)
}

/// Writes `records` (read at `locations`); returns the held ones with their locations.
/// A refused record adds its error to `errors` and fails with `None`; a store failure
/// fails with the failure.
async fn write(
    session: &mut dyn ImportSession,
    records: Vec<ImportRecord>,
    locations: &[Location],
    unresolved: Unresolved,
    errors: &mut Errors,
) -> Result<Vec<(Location, ImportRecord)>, Option<ImportFailure>> {
    match session.write(records, unresolved).await {
        Ok(Written::Done { held }) => Ok(held
            .into_iter()
            .map(|Held { index, record }| (locations[index], record))
            .collect()),
        Ok(Written::Rejected(rejection)) => {
            errors.add(ImportError::new(
                locations[rejection.index],
                rejection.field,
                rejection.reason,
            ));
            Err(None)
        }
        Err(error) => Err(Some(ImportFailure::Store(error))),
    }
}

/// Records held back for the end of the file, one temporary file per kind, as NDJSON
/// lines after their location.
#[derive(Default)]
struct Parked {
    files: Vec<(RecordKind, BufWriter<File>)>,
}

impl Parked {
    fn park(&mut self, location: Location, record: &ImportRecord) -> io::Result<()> {
        let kind = record.kind();
        let position = match self.files.iter().position(|(k, _)| *k == kind) {
            Some(position) => position,
            None => {
                self.files
                    .push((kind, BufWriter::new(tempfile::tempfile()?)));
                self.files.len() - 1
            }
        };
        let file = &mut self.files[position].1;
        match location {
            Location::Line(line) => write!(file, "L{line}\t")?,
            Location::Element { index, .. } => write!(file, "E{index}\t")?,
        }
        import::write_record(file, record)
    }

    /// Writes the parked records kind by kind; now a reference that does not resolve is
    /// an error.
    async fn write_back(
        self,
        session: &mut dyn ImportSession,
        errors: &mut Errors,
    ) -> Result<(), Option<ImportFailure>> {
        let mut files = self.files;
        files.sort_by_key(|(kind, _)| *kind);
        for (kind, file) in files {
            let mut file = file
                .into_inner()
                .map_err(|e| Some(ImportFailure::Unreadable(e.into_error())))?;
            file.rewind()
                .map_err(|e| Some(ImportFailure::Unreadable(e)))?;
            let mut records = Vec::new();
            let mut locations = Vec::new();
            for line in BufReader::new(file).lines() {
                let line = line.map_err(|e| Some(ImportFailure::Unreadable(e)))?;
                let (location, record) = unpark(kind, &line)?;
                records.push(record);
                locations.push(location);
                if records.len() == CHUNK {
                    let chunk = std::mem::take(&mut records);
                    write(session, chunk, &locations, Unresolved::Reject, errors).await?;
                    locations.clear();
                }
            }
            write(session, records, &locations, Unresolved::Reject, errors).await?;
        }
        Ok(())
    }
}

/// A parked record back from its line.
fn unpark(kind: RecordKind, line: &str) -> Result<(Location, ImportRecord), Option<ImportFailure>> {
    let damaged = || {
        Some(ImportFailure::Unreadable(io::Error::new(
            io::ErrorKind::InvalidData,
            "a parked record was damaged",
        )))
    };
    let (place, json) = line.split_once('\t').ok_or_else(damaged)?;
    let number: usize = place[1..].parse().map_err(|_| damaged())?;
    let location = match place.as_bytes().first() {
        Some(b'L') => Location::Line(number),
        Some(b'E') => Location::Element {
            kind,
            index: number,
        },
        _ => return Err(damaged()),
    };
    let record = import::decode_record(kind, location, json).map_err(|_| damaged())?;
    Ok((location, record))
}

/// The progress bar of one file: bytes read against the file's size (for the ETA) and
/// records written per second.
struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            started: Instant::now(),
        }
    }

    fn shown(source: &Source, length: Option<u64>) -> Self {
        let bar = match length {
            Some(length) => {
                let bar = ProgressBar::new(length);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} {msg}, ETA {eta}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                );
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix} {binary_bytes} {msg}")
                        .expect("the template is valid"),
                );
                bar
            }
        };
        bar.set_prefix(source.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar,
            started: Instant::now(),
        }
    }

    fn advance(&self, position: u64, records: u64) {
        self.bar.set_position(position);
        let rate = records as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar
            .set_message(format!("{records} records, {rate:.0} records/s"));
    }

    fn phase(&self, what: &str) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
                .expect("the template is valid"),
        );
        self.bar.set_message(what.to_owned());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
