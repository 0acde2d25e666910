//! clientele's canonical import format: one JSON document with arrays `products`,
//! `customers`, `orders`, `subscriptions` and `download_grants`, or NDJSON with one record
//! a line and a `type` member (`product`, `customer`, `order`, `subscription`,
//! `download_grant`). `docs/import-format.md` describes every field.
//!
//! [`decode`] turns a file into model records ([`Records`]) with where each came from
//! ([`Locations`]), or into every error of the file, each naming its record (`orders[3]`
//! or `line 17`) and field (`total`). NDJSON is decoded line by line; a JSON document one
//! array element at a time: neither holds the file as one `serde_json::Value`.
//!
//! References between records of the file are checked here. References to records that
//! are not in the file ([`Decoded::references`]) can only be checked by whoever holds the
//! store; [`Reference::missing`] makes the error for one that does not resolve.

mod encode;
mod raw;

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};

use customer_model::{
    CustomerId, Email, NewCustomer, NewDownloadGrant, NewOrder, NewProduct, NewSubscription,
    OrderId, ProductId,
};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

pub use encode::{encode_document, write_ndjson};

/// The kinds of record, in the order a store writes them (each may refer to the ones
/// before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// `products` / `product`.
    Products,
    /// `customers` / `customer`.
    Customers,
    /// `orders` / `order`.
    Orders,
    /// `subscriptions` / `subscription`.
    Subscriptions,
    /// `download_grants` / `download_grant`.
    DownloadGrants,
}

impl Section {
    /// Every section, in writing order.
    pub const ALL: [Section; 5] = [
        Section::Products,
        Section::Customers,
        Section::Orders,
        Section::Subscriptions,
        Section::DownloadGrants,
    ];

    /// The array name of a JSON document: `orders`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::Subscriptions => "subscriptions",
            Self::DownloadGrants => "download_grants",
        }
    }

    /// The `type` of an NDJSON record: `order`.
    pub fn singular(self) -> &'static str {
        match self {
            Self::Products => "product",
            Self::Customers => "customer",
            Self::Orders => "order",
            Self::Subscriptions => "subscription",
            Self::DownloadGrants => "download_grant",
        }
    }

    fn from_plural(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.plural() == name)
    }

    fn from_singular(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.singular() == name)
    }
}

/// Where a record is in its file. Locations order as the file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// Element `index` (0-based) of an array of a JSON document: `orders[3]`.
    Element {
        /// The array.
        section: Section,
        /// The position in it, from 0.
        index: usize,
    },
    /// A line of an NDJSON file, from 1 (or of a JSON document that does not parse).
    Line(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Element { section, index } => write!(f, "{}[{index}]", section.plural()),
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

/// How an order names its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerKey {
    /// A customer by id (in the file or already stored).
    Id(CustomerId),
    /// A guest by e-mail address: matched to the customer who has it, or created.
    Email(Email),
}

/// An order with its buyer. `order.customer_id` is meaningful only for
/// [`CustomerKey::Id`]; for an e-mail the store resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedOrder {
    /// The buyer.
    pub customer: CustomerKey,
    /// The order.
    pub order: NewOrder,
}

/// The decoded records of a file, by kind, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    /// Products.
    pub products: Vec<NewProduct>,
    /// Customers.
    pub customers: Vec<NewCustomer>,
    /// Orders.
    pub orders: Vec<ImportedOrder>,
    /// Subscriptions.
    pub subscriptions: Vec<NewSubscription>,
    /// Download grants.
    pub download_grants: Vec<NewDownloadGrant>,
}

impl Records {
    /// How many records there are of every kind.
    pub fn len(&self) -> usize {
        self.products.len()
            + self.customers.len()
            + self.orders.len()
            + self.subscriptions.len()
            + self.download_grants.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where each record of [`Records`] came from: `locations.orders[i]` is the location of
/// `records.orders[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    /// Of products.
    pub products: Vec<Location>,
    /// Of customers.
    pub customers: Vec<Location>,
    /// Of orders.
    pub orders: Vec<Location>,
    /// Of subscriptions.
    pub subscriptions: Vec<Location>,
    /// Of download grants.
    pub download_grants: Vec<Location>,
}

impl Locations {
    /// The locations of one kind.
    pub fn of(&self, section: Section) -> &[Location] {
        match section {
            Section::Products => &self.products,
            Section::Customers => &self.customers,
            Section::Orders => &self.orders,
            Section::Subscriptions => &self.subscriptions,
            Section::DownloadGrants => &self.download_grants,
        }
    }

    fn of_mut(&mut self, section: Section) -> &mut Vec<Location> {
        match section {
            Section::Products => &mut self.products,
            Section::Customers => &mut self.customers,
            Section::Orders => &mut self.orders,
            Section::Subscriptions => &mut self.subscriptions,
            Section::DownloadGrants => &mut self.download_grants,
        }
    }

    /// Turns a field path that counts records by kind, as a store reports it
    /// (`orders.3.customer_id`), into an error at the record's place in the file.
    pub fn locate(&self, path: &str, message: impl Into<String>) -> Option<ImportError> {
        let mut parts = path.splitn(3, '.');
        let section = Section::from_plural(parts.next()?)?;
        let index: usize = parts.next()?.parse().ok()?;
        let location = *self.of(section).get(index)?;
        Some(ImportError {
            location,
            field: parts.next().unwrap_or_default().to_owned(),
            message: message.into(),
        })
    }
}

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A customer id.
    Customer(CustomerId),
    /// A product id.
    Product(ProductId),
    /// An order id.
    Order(OrderId),
}

/// A reference from a record of the file to a record that is not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referring record.
    pub location: Location,
    /// Its field.
    pub field: String,
    /// What it refers to.
    pub target: Target,
}

impl Reference {
    /// The error to report when the target does not exist.
    pub fn missing(&self) -> ImportError {
        ImportError {
            location: self.location,
            field: self.field.clone(),
            message: match self.target {
                Target::Customer(id) => format!("no customer has id {}", id.0),
                Target::Product(id) => format!("no product has id {}", id.0),
                Target::Order(id) => format!("no order has id {}", id.0),
            },
        }
    }
}

/// A decoded file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The records.
    pub records: Records,
    /// Where each record came from.
    pub locations: Locations,
    /// References to records that are not in the file, each once per referring field.
    pub references: Vec<Reference>,
}

/// Decodes a whole file (JSON document or NDJSON, told apart by its first line) into
/// records, or returns every error in it.
///
/// A file whose first non-blank line is a complete JSON object with a `type` member is
/// NDJSON; anything else is read as one JSON document.
pub fn decode(mut reader: impl BufRead) -> Result<Decoded, Vec<ImportError>> {
    let mut decoder = Decoder::default();
    let mut line = String::new();
    let mut number = 0;
    let mut read_so_far = String::new();
    // Find the first non-blank line and decide the format from it.
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return decoder.finish(),
            Ok(_) => number += 1,
            Err(error) => return Err(vec![io_error(number + 1, &error)]),
        }
        read_so_far.push_str(&line);
        if !line.trim().is_empty() {
            break;
        }
    }
    if is_ndjson_record(&line) {
        decoder.ndjson_line(number, &line);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => number += 1,
                Err(error) => {
                    decoder.fail(Location::Line(number + 1), "", error.to_string());
                    break;
                }
            }
            if !line.trim().is_empty() {
                decoder.ndjson_line(number, &line);
            }
        }
    } else {
        decoder.document(read_so_far.as_bytes().chain(reader));
    }
    decoder.finish()
}

/// Decodes a file held in memory (see [`decode`]).
pub fn decode_slice(bytes: &[u8]) -> Result<Decoded, Vec<ImportError>> {
    decode(bytes)
}

fn io_error(line: usize, error: &std::io::Error) -> ImportError {
    ImportError {
        location: Location::Line(line),
        field: String::new(),
        message: format!("cannot be read: {error}"),
    }
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

/// Accumulates records, locations and errors while a file is read.
#[derive(Default)]
struct Decoder {
    decoded: Decoded,
    errors: Vec<ImportError>,
}

impl Decoder {
    fn fail(&mut self, location: Location, field: &str, message: impl Into<String>) {
        self.errors.push(ImportError {
            location,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn ndjson_line(&mut self, number: usize, line: &str) {
        let location = Location::Line(number);
        if !line.trim_start().starts_with('{') {
            return self.fail(location, "", "is not a JSON object");
        }
        match serde_json::from_str::<TypeProbe>(line) {
            Ok(probe) => match Section::from_singular(&probe.kind) {
                Some(section) => self.record(section, location, line),
                None => {
                    let kinds: Vec<&str> = Section::ALL.iter().map(|s| s.singular()).collect();
                    self.fail(
                        location,
                        "type",
                        format!("is not one of {}", kinds.join(", ")),
                    );
                }
            },
            Err(error) if error.is_data() => {
                self.fail(
                    location,
                    "type",
                    "is required (a string naming the record's kind)",
                );
            }
            Err(error) => self.fail(
                location,
                "",
                format!(
                    "is not a JSON object: {}",
                    without_position(&error.to_string())
                ),
            ),
        }
    }

    /// Decodes one record's JSON text into its kind's model type.
    fn record(&mut self, section: Section, location: Location, json: &str) {
        fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Vec<raw::Failure>> {
            let mut deserializer = serde_json::Deserializer::from_str(json);
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let field = dotted(error.path());
                vec![(
                    field,
                    without_position(&error.inner().to_string()).to_owned(),
                )]
            })
        }
        let outcome = match section {
            Section::Products => parse::<raw::RawProduct>(json)
                .and_then(raw::RawProduct::convert)
                .map(|p| self.decoded.records.products.push(p)),
            Section::Customers => parse::<raw::RawCustomer>(json)
                .and_then(raw::RawCustomer::convert)
                .map(|c| self.decoded.records.customers.push(c)),
            Section::Orders => parse::<raw::RawOrder>(json)
                .and_then(raw::RawOrder::convert)
                .map(|o| self.decoded.records.orders.push(o)),
            Section::Subscriptions => parse::<raw::RawSubscription>(json)
                .and_then(raw::RawSubscription::convert)
                .map(|s| self.decoded.records.subscriptions.push(s)),
            Section::DownloadGrants => parse::<raw::RawDownloadGrant>(json)
                .and_then(raw::RawDownloadGrant::convert)
                .map(|g| self.decoded.records.download_grants.push(g)),
        };
        match outcome {
            Ok(()) => self.decoded.locations.of_mut(section).push(location),
            Err(failures) => {
                for (field, message) in failures {
                    self.fail(location, &field, message);
                }
            }
        }
    }

    /// Decodes a JSON document, one array element at a time.
    fn document(&mut self, reader: impl Read) {
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let outcome = de::Deserializer::deserialize_map(&mut deserializer, DocumentVisitor(self))
            .and_then(|()| deserializer.end());
        if let Err(error) = outcome {
            let message = without_position(&error.to_string()).to_owned();
            self.fail(Location::Line(error.line()), "", message);
        }
    }

    /// Checks references between records and uniqueness within the file, then returns
    /// the records or every error.
    fn finish(mut self) -> Result<Decoded, Vec<ImportError>> {
        self.check_references();
        // Reference errors are found after the records; report everything in file order.
        self.errors.sort_by_key(|error| error.location);
        if self.errors.is_empty() {
            Ok(self.decoded)
        } else {
            Err(self.errors)
        }
    }

    fn check_references(&mut self) {
        let Decoded {
            records,
            locations,
            references,
        } = &mut self.decoded;
        let errors = &mut self.errors;
        let mut duplicate = |location: Location, field: &str, first: Location| {
            errors.push(ImportError {
                location,
                field: field.to_owned(),
                message: format!("repeats the value of {first}"),
            });
        };

        let mut product_files: HashMap<ProductId, Vec<&str>> = HashMap::new();
        let mut product_ids = HashMap::new();
        for (product, &location) in records.products.iter().zip(&locations.products) {
            if let Some(id) = product.id {
                if let Some(&first) = product_ids.get(&id) {
                    duplicate(location, "id", first);
                }
                product_ids.insert(id, location);
                product_files.insert(id, product.files.iter().map(|f| f.id.as_str()).collect());
            }
        }

        let mut customer_ids: HashMap<CustomerId, Location> = HashMap::new();
        let mut emails: HashMap<String, Location> = HashMap::new();
        let mut usernames: HashMap<String, Location> = HashMap::new();
        for (customer, &location) in records.customers.iter().zip(&locations.customers) {
            if let Some(id) = customer.id
                && let Some(first) = customer_ids.insert(id, location)
            {
                duplicate(location, "id", first);
            }
            let addresses = std::iter::once(("email".to_owned(), &customer.email)).chain(
                customer
                    .additional_emails
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (format!("additional_emails.{i}"), e)),
            );
            for (field, email) in addresses {
                if let Some(first) = emails.insert(email.folded(), location) {
                    duplicate(location, &field, first);
                }
            }
            if let Some(account) = &customer.account
                && let Some(first) =
                    usernames.insert(account.username.as_str().to_lowercase(), location)
            {
                duplicate(location, "username", first);
            }
        }
        drop(emails);
        drop(usernames);

        let mut refer = |location: Location, field: String, target: Target, known: bool| {
            if !known {
                references.push(Reference {
                    location,
                    field,
                    target,
                });
            }
        };

        let mut order_ids: HashMap<OrderId, Location> = HashMap::new();
        for (imported, &location) in records.orders.iter().zip(&locations.orders) {
            if let Some(id) = imported.order.id
                && let Some(first) = order_ids.insert(id, location)
            {
                duplicate(location, "id", first);
            }
            if let CustomerKey::Id(id) = imported.customer {
                let known = customer_ids.contains_key(&id);
                refer(location, "customer_id".into(), Target::Customer(id), known);
            }
            for (i, line) in imported.order.line_items.iter().enumerate() {
                if let Some(id) = line.product_id {
                    let known = product_ids.contains_key(&id);
                    refer(
                        location,
                        format!("line_items.{i}.product_id"),
                        Target::Product(id),
                        known,
                    );
                }
            }
        }

        for (subscription, &location) in records.subscriptions.iter().zip(&locations.subscriptions)
        {
            let id = subscription.customer_id;
            refer(
                location,
                "customer_id".into(),
                Target::Customer(id),
                customer_ids.contains_key(&id),
            );
            let id = subscription.product_id;
            refer(
                location,
                "product_id".into(),
                Target::Product(id),
                product_ids.contains_key(&id),
            );
        }

        let mut grant_errors = Vec::new();
        for (grant, &location) in records
            .download_grants
            .iter()
            .zip(&locations.download_grants)
        {
            let id = grant.customer_id;
            refer(
                location,
                "customer_id".into(),
                Target::Customer(id),
                customer_ids.contains_key(&id),
            );
            let id = grant.order_id;
            refer(
                location,
                "order_id".into(),
                Target::Order(id),
                order_ids.contains_key(&id),
            );
            let id = grant.product_id;
            refer(
                location,
                "product_id".into(),
                Target::Product(id),
                product_ids.contains_key(&id),
            );
            if let Some(files) = product_files.get(&id)
                && !files.contains(&grant.download_id.as_str())
            {
                grant_errors.push(ImportError {
                    location,
                    field: "download_id".into(),
                    message: format!("is not a file of product {}", id.0),
                });
            }
        }
        self.errors.extend(grant_errors);
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

/// Visits the top-level object of a JSON document: one array per section.
struct DocumentVisitor<'a>(&'a mut Decoder);

impl<'de> Visitor<'de> for DocumentVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an object with arrays products, customers, orders, subscriptions, download_grants",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let Some(section) = Section::from_plural(&key) else {
                let names: Vec<&str> = Section::ALL.iter().map(|s| s.plural()).collect();
                return Err(de::Error::custom(format_args!(
                    "unknown member `{key}`, expected one of {}",
                    names.join(", ")
                )));
            };
            map.next_value_seed(SectionSeed {
                decoder: &mut *self.0,
                section,
            })?;
        }
        Ok(())
    }
}

/// Decodes one array of a JSON document, element by element.
struct SectionSeed<'a> {
    decoder: &'a mut Decoder,
    section: Section,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.section.plural())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(element) = seq.next_element::<Box<RawValue>>()? {
            let location = Location::Element {
                section: self.section,
                index,
            };
            self.decoder.record(self.section, location, element.get());
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
