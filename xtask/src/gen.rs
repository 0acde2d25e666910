//! `cargo xtask gen`: writes a large, deterministic data set in clientele's import format
//! (NDJSON), for imports and benchmarks at scale.
//!
//! The same arguments always give the same bytes: a fixed-algorithm generator (SplitMix64)
//! seeded by `--seed`, and dates counted back from a fixed anchor. Lines are formatted
//! straight into a buffered writer; no JSON value is built.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Write a deterministic NDJSON data set: products, customers (every fifth a guest),
/// orders spread over the customers in USD, PLN and EUR, with refunds.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask gen")]
struct GenArgs {
    /// How many customers.
    #[arg(long)]
    customers: u64,
    /// How many orders.
    #[arg(long)]
    orders: u64,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `gen` with the arguments after the task name.
pub(crate) fn run(args: impl Iterator<Item = String>) -> ExitCode {
    let args = GenArgs::parse_from(std::iter::once("gen".to_owned()).chain(args));
    let outcome = match &args.out {
        Some(path) => File::create(path).and_then(|file| write(&args, file)),
        None => write(&args, io::stdout().lock()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gen: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A small data set in memory (the fuzzers' seeds for the import decoder).
pub(crate) fn sample(customers: u64, orders: u64, seed: u64) -> Vec<u8> {
    let args = GenArgs {
        customers,
        orders,
        seed,
        out: None,
    };
    let mut bytes = Vec::new();
    write(&args, &mut bytes).expect("writing to memory does not fail");
    bytes
}

/// SplitMix64: tiny, fast, and the same sequence everywhere for a seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// 2025-01-01T00:00:00Z: dates are counted back from here.
const ANCHOR_UNIX: i64 = 1_735_689_600;
/// Customers are created over the three years before the anchor.
const SPAN_SECS: u64 = 3 * 365 * 86_400;
const PRODUCTS: u64 = 20;

const FIRST: &[&str] = &[
    "John", "Mary", "James", "Linda", "Robert", "Susan", "Michael", "Karen", "Łukasz", "Zofia",
    "Paweł", "Anna", "Ngozi", "Hiroshi", "María", "Søren",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Doe",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Tanaka",
    "Okafor",
    "Jensen",
    "Fernández",
    "Lee",
];
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("San Francisco", "CA", "94103", "US"),
    ("Austin", "TX", "78701", "US"),
    ("New York", "NY", "10001", "US"),
    ("Kraków", "PL-12", "31-042", "PL"),
    ("Warszawa", "PL-14", "00-001", "PL"),
    ("Berlin", "BE", "10115", "DE"),
    ("Madrid", "M", "28001", "ES"),
];
const STATUSES: &[&str] = &[
    "completed",
    "completed",
    "completed",
    "completed",
    "processing",
    "on-hold",
    "pending",
    "cancelled",
    "refunded",
    "failed",
];
/// (code, major units per US dollar).
const CURRENCIES: &[(&str, i64)] = &[("USD", 1), ("USD", 1), ("PLN", 4), ("EUR", 1)];

/// An RFC 3339 UTC timestamp of a Unix instant.
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn write(args: &GenArgs, out: impl Write) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut rng = SplitMix64(args.seed);
    for product in 1..=PRODUCTS {
        writeln!(
            out,
            r#"{{"type":"product","id":{product},"name":"Product {product}","files":[{{"id":"file-{product}","name":"Product {product}.zip","url":"https://downloads.example.com/{product}.zip"}}]}}"#
        )?;
    }
    // Creation instants grow with the id, as a real shop's do.
    let created_of =
        |id: u64| ANCHOR_UNIX - SPAN_SECS as i64 + (id * SPAN_SECS / (args.customers + 1)) as i64;
    for id in 1..=args.customers {
        let first = rng.pick(FIRST);
        let last = rng.pick(LAST);
        let (city, state, postcode, country) = rng.pick(PLACES);
        let street = 1 + rng.below(200);
        let created = rfc3339(created_of(id));
        let email = format!(
            "{}.{}.{id}@example.com",
            ascii_lower(first),
            ascii_lower(last)
        );
        let account = if id % 5 == 0 {
            String::new()
        } else {
            format!(
                r#","username":"{}{id}","role":"customer""#,
                ascii_lower(first)
            )
        };
        writeln!(
            out,
            r#"{{"type":"customer","id":{id},"email":"{email}","first_name":"{first}","last_name":"{last}"{account},"created_at":"{created}","billing":{{"first_name":"{first}","last_name":"{last}","address_1":"{street} Main Street","city":"{city}","state":"{state}","postcode":"{postcode}","country":"{country}","email":"{email}","phone":"+1 555 {:07}"}},"shipping":{{"first_name":"{first}","last_name":"{last}","address_1":"{street} Main Street","city":"{city}","state":"{state}","postcode":"{postcode}","country":"{country}"}}}}"#,
            id % 10_000_000
        )?;
    }
    if args.customers == 0 {
        return out.flush();
    }
    for id in 1..=args.orders {
        let customer = 1 + rng.below(args.customers);
        let status = rng.pick(STATUSES);
        let (currency, rate) = rng.pick(CURRENCIES);
        let product = 1 + rng.below(PRODUCTS);
        let quantity = 1 + rng.below(3) as i64;
        let subtotal = (500 + rng.below(20_000) as i64) * rate * quantity;
        let tax = subtotal / 10;
        let total = subtotal + tax;
        let placed = created_of(customer)
            + rng.below((ANCHOR_UNIX - created_of(customer)).max(1) as u64) as i64;
        let created = rfc3339(placed);
        let paid = matches!(status, "completed" | "processing" | "refunded");
        let paid_at = if paid {
            format!(r#","paid_at":"{}""#, rfc3339(placed + 300))
        } else {
            String::new()
        };
        let refunds = match status {
            "refunded" => format!(
                r#"[{{"amount":"{}","created_at":"{}","reason":"refunded"}}]"#,
                money(total),
                rfc3339(placed + 86_400)
            ),
            "completed" if rng.below(10) == 0 => format!(
                r#"[{{"amount":"{}","created_at":"{}","reason":"partial"}}]"#,
                money((total / 4).max(1)),
                rfc3339(placed + 86_400)
            ),
            _ => "[]".to_owned(),
        };
        writeln!(
            out,
            r#"{{"type":"order","id":{id},"customer_id":{customer},"status":"{status}","currency":"{currency}","total":"{}","subtotal":"{}","total_tax":"{}","payment_method":"stripe","payment_method_title":"Card","created_at":"{created}"{paid_at},"line_items":[{{"product_id":{product},"name":"Product {product}","quantity":{quantity},"total":"{}"}}],"refunds":{refunds}}}"#,
            money(total),
            money(subtotal),
            money(tax),
            money(subtotal),
        )?;
    }
    out.flush()
}

/// The ASCII lower-case form of a name, for e-mail addresses and usernames.
fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'Ł' | 'ł' => 'l',
            'ś' => 's',
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ø' => 'o',
            'Ø' | 'Ö' => 'o',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(customers: u64, orders: u64, seed: u64) -> String {
        let args = GenArgs {
            customers,
            orders,
            seed,
            out: None,
        };
        let mut bytes = Vec::new();
        write(&args, &mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_same_arguments_give_the_same_bytes() {
        assert_eq!(generate(50, 200, 7), generate(50, 200, 7));
        assert_ne!(generate(50, 200, 7), generate(50, 200, 8));
    }

    #[test]
    fn every_line_is_a_typed_json_object() {
        let text = generate(30, 100, 1);
        let mut kinds = std::collections::BTreeMap::new();
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            *kinds
                .entry(value["type"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
        let expected: std::collections::BTreeMap<String, i32> = [
            ("customer".to_owned(), 30),
            ("order".to_owned(), 100),
            ("product".to_owned(), PRODUCTS as i32),
        ]
        .into();
        assert_eq!(kinds, expected);
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(ANCHOR_UNIX), "2025-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(money(1999), "19.99");
        assert_eq!(ascii_lower("Łukasz"), "lukasz");
        assert_eq!(ascii_lower("Søren"), "soren");
    }
}
