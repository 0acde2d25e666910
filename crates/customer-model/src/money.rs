//! Money: integer minor units with an ISO 4217 currency, and exact decimal strings.
//!
//! Dialects write amounts as decimal strings in major units (`"19.99"`) or as numbers;
//! clientele keeps them as `i64` minor units. A float never touches an amount: parsing and
//! formatting work on the digits. The number of decimals of each currency (its ISO 4217
//! exponent) comes from the `iso_currency` table.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// An ISO 4217 currency with minor units (codes without an exponent, such as `XAU`, are
/// not accepted: they cannot carry a price).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

/// Every currency [`Currency::parse`] accepts, by its upper-case code. Stored figures
/// name their currency on every row a list reads; a table lookup spares the allocation
/// of an upper-cased copy and `iso_currency`'s comparison with each code in turn.
static BY_CODE: LazyLock<HashMap<[u8; 3], Currency>> = LazyLock::new(|| {
    use iso_currency::IntoEnumIterator;
    iso_currency::Currency::iter()
        .filter(|iso| iso.exponent().is_some())
        .filter_map(|iso| Some((iso.code().as_bytes().try_into().ok()?, Currency(iso))))
        .collect()
});

/// Why a currency code or an amount was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an ISO 4217 code of a currency with minor units.
    #[error("unknown currency code")]
    UnknownCurrency,
    /// Not a decimal number (`-12.34`, `12`, `.5` are numbers; `1e3`, `12.`, `1,5` are not).
    #[error("not a decimal number")]
    NotANumber,
    /// More decimals than the currency has.
    #[error("more decimals than the currency allows ({allowed})")]
    TooManyDecimals {
        /// The currency's exponent.
        allowed: u32,
    },
    /// Outside the range of 64-bit minor units.
    #[error("amount out of range")]
    OutOfRange,
}

impl Currency {
    /// Parses an ISO 4217 code in any letter case (`usd`, `PLN`).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| MoneyError::UnknownCurrency)?;
        BY_CODE
            .get(&upper.map(|b| b.to_ascii_uppercase()))
            .copied()
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// Every currency [`Currency::parse`] accepts, in code order.
    pub fn all() -> Vec<Self> {
        use iso_currency::IntoEnumIterator;
        let mut all: Vec<Self> = iso_currency::Currency::iter()
            .filter(|iso| iso.exponent().is_some())
            .map(Self)
            .collect();
        all.sort_by_key(|currency| currency.code());
        all
    }

    /// The upper-case code, `USD`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// The lower-case code, `usd`, as easycart writes it.
    pub fn lower_code(self) -> String {
        self.code().to_ascii_lowercase()
    }

    /// The number of decimals of a major unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn exponent(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }

    /// Formats minor units as a decimal string with exactly the currency's decimals.
    pub fn format_minor(self, minor: i64) -> String {
        format_minor(minor, self.exponent())
    }

    /// Parses a decimal string in major units into minor units (see [`parse_minor`]).
    pub fn parse_major(self, text: &str) -> Result<i64, MoneyError> {
        parse_minor(text, self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An amount: minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Minor units (cents for USD, grosze for PLN).
    pub minor: i64,
    /// The currency the units belong to.
    pub currency: Currency,
}

impl Money {
    /// An amount of `minor` units of `currency`.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses a major-unit decimal string, `"19.99"`, in `currency`.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        Ok(Self::new(currency.parse_major(text)?, currency))
    }
}

impl fmt::Display for Money {
    /// The decimal string with the currency's decimals, without the code: `19.99`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.currency.format_minor(self.minor))
    }
}

/// Parses `[-+]digits[.digits]` (or `.digits`) into minor units with `exponent` decimals.
///
/// Trailing zeros beyond the exponent are accepted because they do not change the value
/// (`"19.990"` is 1999 cents); any other extra decimal is an error, never a rounding.
pub fn parse_minor(text: &str, exponent: u32) -> Result<i64, MoneyError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !all_digits(whole)
        || !all_digits(fraction)
        || (digits.contains('.') && fraction.is_empty())
    {
        return Err(MoneyError::NotANumber);
    }
    let exponent_len = exponent as usize;
    let (kept, extra) = fraction.split_at(fraction.len().min(exponent_len));
    if extra.bytes().any(|b| b != b'0') {
        return Err(MoneyError::TooManyDecimals { allowed: exponent });
    }
    let mut minor: i64 = 0;
    let padded = kept
        .bytes()
        .chain(std::iter::repeat_n(b'0', exponent_len - kept.len()));
    for b in whole.bytes().chain(padded) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::OutOfRange)?;
    }
    Ok(if negative { -minor } else { minor })
}

/// Formats minor units with exactly `exponent` decimals: `format_minor(-5, 2) == "-0.05"`.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let digits = minor.unsigned_abs().to_string();
    let exponent = exponent as usize;
    if exponent == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (whole, fraction) = padded.split_at(padded.len() - exponent);
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_currency_parses_back() {
        let all = Currency::all();
        assert!(all.len() > 150, "{}", all.len());
        for currency in &all {
            assert_eq!(Currency::parse(&currency.lower_code()), Ok(*currency));
        }
        assert!(all.iter().any(|c| c.code() == "PLN"));
        assert!(
            !all.iter().any(|c| c.code() == "XXX"),
            "no currency without decimals"
        );
    }

    proptest::proptest! {
        /// Any three characters parse as `iso_currency` reads their upper-case form,
        /// limited to currencies with minor units.
        #[test]
        fn codes_parse_as_iso_currency_reads_them(code in "[A-Za-z]{3}|.{0,4}") {
            let expected = code
                .bytes()
                .all(|b| b.is_ascii_alphabetic())
                .then(|| iso_currency::Currency::from_code(&code.to_ascii_uppercase()))
                .flatten()
                .filter(|iso| iso.exponent().is_some())
                .map(Currency)
                .ok_or(MoneyError::UnknownCurrency);
            proptest::prop_assert_eq!(Currency::parse(&code), expected);
        }
    }

    #[test]
    fn currencies_carry_their_exponent() {
        assert_eq!(Currency::parse("usd").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("kwd").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("PLN").unwrap().lower_code(), "pln");
        assert_eq!(Currency::parse("XAU"), Err(MoneyError::UnknownCurrency));
        assert_eq!(Currency::parse("ZZZ"), Err(MoneyError::UnknownCurrency));
        assert_eq!(Currency::parse("US"), Err(MoneyError::UnknownCurrency));
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_minor("19.99", 2), Ok(1999));
        assert_eq!(parse_minor("19.9", 2), Ok(1990));
        assert_eq!(parse_minor("19", 2), Ok(1900));
        assert_eq!(parse_minor(".5", 2), Ok(50));
        assert_eq!(parse_minor("-0.05", 2), Ok(-5));
        assert_eq!(parse_minor("19.990", 2), Ok(1999));
        assert_eq!(parse_minor("500", 0), Ok(500));
        assert_eq!(
            parse_minor("19.999", 2),
            Err(MoneyError::TooManyDecimals { allowed: 2 })
        );
        for bad in ["", "-", ".", "12.", "1e3", "1,5", "abc", " 1", "--1"] {
            assert_eq!(parse_minor(bad, 2), Err(MoneyError::NotANumber), "{bad:?}");
        }
        assert_eq!(
            parse_minor("99999999999999999999", 2),
            Err(MoneyError::OutOfRange)
        );
    }

    #[test]
    fn formats_with_the_currency_decimals() {
        assert_eq!(format_minor(1999, 2), "19.99");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(0, 2), "0.00");
        assert_eq!(format_minor(1234, 0), "1234");
        assert_eq!(format_minor(1234, 3), "1.234");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
    }
}
