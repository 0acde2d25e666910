//! clientele's canonical import format: one JSON document with arrays `products`,
//! `customers`, `orders`, `subscriptions`, `download_grants` and `api_keys`, or NDJSON
//! with one record a line and a `type` member (`product`, `customer`, `order`,
//! `subscription`, `download_grant`, `api_key`). `docs/import-format.md` describes every
//! field.
//!
//! [`read`] streams a file: it hands each record to the caller as soon as it is decoded
//! into the model's [`ImportRecord`], with where it came from ([`Location`]) and its JSON
//! text, or hands over its errors, each naming the record (`orders[3]` or `line 17`) and
//! the field (`total`). NDJSON is read line by line and a JSON document one array element
//! at a time, so memory does not grow with the file. [`decode`] collects a whole (small)
//! file into an [`ImportBatch`].
//!
//! Each record is checked on its own here. What needs other records (references, values
//! that must be unique) is the store's to check, as it writes.
//!
//! [`write_record`] writes a record back as an NDJSON line (an export is written this
//! way); [`encode_document`] writes a batch as one JSON document.

mod encode;
mod raw;

use std::fmt;
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

use customer_model::import::{ImportBatch, ImportRecord, RecordKind};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

pub use encode::{encode_document, write_ndjson, write_record};

/// The array name of `kind` in a JSON document: `orders`.
pub fn plural(kind: RecordKind) -> &'static str {
    kind.plural()
}

/// The `type` of an NDJSON record of `kind`: `order`.
pub fn singular(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Product => "product",
        RecordKind::Customer => "customer",
        RecordKind::Order => "order",
        RecordKind::Subscription => "subscription",
        RecordKind::DownloadGrant => "download_grant",
        RecordKind::ApiKey => "api_key",
    }
}

fn from_plural(name: &str) -> Option<RecordKind> {
    RecordKind::ALL.into_iter().find(|&k| plural(k) == name)
}

fn from_singular(name: &str) -> Option<RecordKind> {
    RecordKind::ALL.into_iter().find(|&k| singular(k) == name)
}

/// Where a record is in its file. Locations order as the file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// Element `index` (0-based) of an array of a JSON document: `orders[3]`.
    Element {
        /// The array.
        kind: RecordKind,
        /// The position in it, from 0.
        index: usize,
    },
    /// A line of an NDJSON file, from 1 (or of a JSON document that does not parse).
    Line(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Element { kind, index } => write!(f, "{}[{index}]", plural(*kind)),
            Self::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// One error of an import file: the record, the field (a dotted path, empty when the
/// record as a whole is wrong) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The record.
    pub location: Location,
    /// The field: `total`, `line_items.0.total`, `billing.email`; empty for the record.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl ImportError {
    /// An error of the record at `location`.
    pub fn new(location: Location, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.location, self.message)
        } else {
            write!(f, "{}: {}: {}", self.location, self.field, self.message)
        }
    }
}

impl std::error::Error for ImportError {}

/// What [`read`] hands over, in file order.
// An item is handed to the caller once and taken apart at once; boxing the record would
// cost an allocation per record for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Item<'a> {
    /// A record that decoded.
    Record {
        /// Where it is.
        location: Location,
        /// The record.
        record: ImportRecord,
        /// Its JSON text as in the file (one line of NDJSON, or one array element).
        text: &'a str,
    },
    /// An error of a record, or of the file (which then ends).
    Error(ImportError),
}

/// Reads a file (JSON document or NDJSON, told apart by its first line) and hands each
/// record or error to `each`, in file order, until the file ends or `each` breaks.
///
/// A file whose first non-blank line is a complete JSON object with a `type` member is
/// NDJSON; anything else is read as one JSON document.
pub fn read(mut reader: impl BufRead, mut each: impl FnMut(Item<'_>) -> ControlFlow<()>) {
    let mut line = String::new();
    let mut number = 0;
    let mut read_so_far = String::new();
    // Find the first non-blank line and decide the format from it.
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => number += 1,
            Err(error) => {
                let _ = each(Item::Error(io_error(number + 1, &error)));
                return;
            }
        }
        read_so_far.push_str(&line);
        if !line.trim().is_empty() {
            break;
        }
    }
    if !is_ndjson_record(&line) {
        read_document(read_so_far.as_bytes().chain(reader), &mut each);
        return;
    }
    drop(read_so_far);
    loop {
        if !line.trim().is_empty() && ndjson_line(number, &line, &mut each).is_break() {
            return;
        }
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => number += 1,
            Err(error) => {
                let _ = each(Item::Error(io_error(number + 1, &error)));
                return;
            }
        }
    }
}

/// A whole file's records by kind, with where each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The records.
    pub records: ImportBatch,
    /// Where each record came from: `locations.of(kind)[i]` is the location of the
    /// `i`-th record of that kind.
    pub locations: Locations,
}

/// Where each record of an [`ImportBatch`] came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations(Vec<(RecordKind, Location)>);

impl Locations {
    /// The locations of one kind, in order.
    pub fn of(&self, kind: RecordKind) -> Vec<Location> {
        self.0
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, location)| *location)
            .collect()
    }

    /// Turns a field path that counts records by kind, as a store reports it
    /// (`orders.3.customer_id`), into an error at the record's place in the file.
    pub fn locate(&self, path: &str, message: impl Into<String>) -> Option<ImportError> {
        let mut parts = path.splitn(3, '.');
        let kind = from_plural(parts.next()?)?;
        let index: usize = parts.next()?.parse().ok()?;
        let location = *self.of(kind).get(index)?;
        Some(ImportError::new(
            location,
            parts.next().unwrap_or_default(),
            message,
        ))
    }
}

/// Decodes a whole file into records, or returns every error in it. For files that fit
/// in memory (fixtures, the demo store); [`read`] streams.
pub fn decode(reader: impl BufRead) -> Result<Decoded, Vec<ImportError>> {
    let mut decoded = Decoded::default();
    let mut errors = Vec::new();
    read(reader, |item| {
        match item {
            Item::Record {
                location, record, ..
            } => {
                decoded.locations.0.push((record.kind(), location));
                decoded.records.push(record);
            }
            Item::Error(error) => errors.push(error),
        }
        ControlFlow::Continue(())
    });
    if errors.is_empty() {
        Ok(decoded)
    } else {
        Err(errors)
    }
}

/// Decodes a file held in memory (see [`decode`]).
pub fn decode_slice(bytes: &[u8]) -> Result<Decoded, Vec<ImportError>> {
    decode(bytes)
}

/// Decodes one record of `kind` from its JSON text, found at `location`: how a record
/// read earlier is read again.
pub fn decode_record(
    kind: RecordKind,
    location: Location,
    json: &str,
) -> Result<ImportRecord, Vec<ImportError>> {
    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Vec<raw::Failure>> {
        // Most records are good: read them at full speed, and only a bad one again with
        // the bookkeeping that names the field at fault.
        if let Ok(value) = serde_json::from_str(json) {
            return Ok(value);
        }
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let field = dotted(error.path());
            vec![(
                field,
                without_position(&error.inner().to_string()).to_owned(),
            )]
        })?;
        // What follows the record, which `from_str` refused above.
        deserializer.end().map_err(|error| {
            vec![(
                String::new(),
                format!(
                    "is not a JSON object: {}",
                    without_position(&error.to_string())
                ),
            )]
        })?;
        Ok(value)
    }
    let record = match kind {
        RecordKind::Product => parse::<raw::RawProduct>(json)
            .and_then(raw::RawProduct::convert)
            .map(ImportRecord::Product),
        RecordKind::Customer => parse::<raw::RawCustomer>(json)
            .and_then(raw::RawCustomer::convert)
            .map(ImportRecord::Customer),
        RecordKind::Order => parse::<raw::RawOrder>(json)
            .and_then(raw::RawOrder::convert)
            .map(ImportRecord::Order),
        RecordKind::Subscription => parse::<raw::RawSubscription>(json)
            .and_then(raw::RawSubscription::convert)
            .map(ImportRecord::Subscription),
        RecordKind::DownloadGrant => parse::<raw::RawDownloadGrant>(json)
            .and_then(raw::RawDownloadGrant::convert)
            .map(ImportRecord::DownloadGrant),
        RecordKind::ApiKey => parse::<raw::RawApiKey>(json)
            .and_then(raw::RawApiKey::convert)
            .map(ImportRecord::ApiKey),
    };
    record.map_err(|failures| {
        failures
            .into_iter()
            .map(|(field, message)| ImportError::new(location, field, message))
            .collect()
    })
}

fn io_error(line: usize, error: &std::io::Error) -> ImportError {
    ImportError::new(Location::Line(line), "", format!("cannot be read: {error}"))
}

/// The `type` of an NDJSON record; every other member is skipped unread.
#[derive(serde::Deserialize)]
struct TypeProbe {
    #[serde(rename = "type")]
    kind: String,
}

fn is_ndjson_record(line: &str) -> bool {
    serde_json::from_str::<TypeProbe>(line).is_ok()
}

/// serde_json appends ` at line L column C` to its messages; the location is reported
/// separately, so the message drops it.
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// Hands over a record (or its errors) of `kind` read at `location`.
fn hand_over(
    kind: RecordKind,
    location: Location,
    text: &str,
    each: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match decode_record(kind, location, text) {
        Ok(record) => each(Item::Record {
            location,
            record,
            text,
        }),
        Err(errors) => {
            for error in errors {
                each(Item::Error(error))?;
            }
            ControlFlow::Continue(())
        }
    }
}

fn ndjson_line(
    number: usize,
    line: &str,
    each: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let location = Location::Line(number);
    let text = line.trim_end_matches(['\n', '\r']);
    let fail =
        |field: &str, message: String| Item::Error(ImportError::new(location, field, message));
    if !text.trim_start().starts_with('{') {
        return each(fail("", "is not a JSON object".into()));
    }
    // Nearly every line names its kind first, as exports write it: the record is then
    // decoded at once. The probe of `type` is a pass over the whole line, a seventh of
    // the decoding thread's time in an import of a million customers; it stays for the
    // lines that name their kind elsewhere, and for those that fail to decode, so that
    // their errors read as they always have.
    if let Some(kind) = leading_kind(text)
        && let Ok(record) = decode_record(kind, location, text)
    {
        return each(Item::Record {
            location,
            record,
            text,
        });
    }
    probed_line(location, text, each)
}

/// The kind a record's text names in the member it starts with, `{"type":"order",…`,
/// written exactly so (no space, no escape).
fn leading_kind(text: &str) -> Option<RecordKind> {
    let (name, _) = text.strip_prefix(r#"{"type":""#)?.split_once('"')?;
    from_singular(name)
}

/// Hands over the record of an NDJSON line, or its errors, once its `type` is probed.
fn probed_line(
    location: Location,
    text: &str,
    each: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let fail =
        |field: &str, message: String| Item::Error(ImportError::new(location, field, message));
    match serde_json::from_str::<TypeProbe>(text) {
        Ok(probe) => match from_singular(&probe.kind) {
            Some(kind) => hand_over(kind, location, text, each),
            None => {
                let kinds: Vec<&str> = RecordKind::ALL.iter().map(|&k| singular(k)).collect();
                each(fail("type", format!("is not one of {}", kinds.join(", "))))
            }
        },
        Err(error) if error.is_data() => each(fail(
            "type",
            "is required (a string naming the record's kind)".into(),
        )),
        Err(error) => each(fail(
            "",
            format!(
                "is not a JSON object: {}",
                without_position(&error.to_string())
            ),
        )),
    }
}

/// Reads a JSON document, one array element at a time.
fn read_document(reader: impl Read, each: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>) {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut stopped = false;
    let outcome = de::Deserializer::deserialize_map(
        &mut deserializer,
        DocumentVisitor {
            each: &mut *each,
            stopped: &mut stopped,
        },
    )
    .and_then(|()| deserializer.end());
    if let Err(error) = outcome
        && !stopped
    {
        let message = without_position(&error.to_string()).to_owned();
        let _ = each(Item::Error(ImportError::new(
            Location::Line(error.line()),
            "",
            message,
        )));
    }
}

/// A `serde_path_to_error` path as a dotted path with numeric indexes.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        let part = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&part);
    }
    out
}

/// Visits the top-level object of a JSON document: one array per kind.
struct DocumentVisitor<'a, 'b> {
    each: &'a mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    /// Set when the caller broke off reading, so that the error that unwinds serde is not
    /// reported as the file's.
    stopped: &'b mut bool,
}

impl<'de> Visitor<'de> for DocumentVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an object with arrays products, customers, orders, subscriptions, download_grants, api_keys",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let Some(kind) = from_plural(&key) else {
                let names: Vec<&str> = RecordKind::ALL.iter().map(|&k| plural(k)).collect();
                return Err(de::Error::custom(format_args!(
                    "unknown member `{key}`, expected one of {}",
                    names.join(", ")
                )));
            };
            map.next_value_seed(SectionSeed {
                each: &mut *self.each,
                stopped: &mut *self.stopped,
                kind,
            })?;
        }
        Ok(())
    }
}

/// Reads one array of a JSON document, element by element.
struct SectionSeed<'a, 'b> {
    each: &'a mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    stopped: &'b mut bool,
    kind: RecordKind,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", plural(self.kind))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(element) = seq.next_element::<Box<RawValue>>()? {
            let location = Location::Element {
                kind: self.kind,
                index,
            };
            if hand_over(self.kind, location, element.get(), &mut *self.each).is_break() {
                *self.stopped = true;
                return Err(de::Error::custom("reading stopped"));
            }
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
