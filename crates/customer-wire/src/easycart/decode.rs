//! Reading easycart requests: the route, the bearer token, and the query strings of the
//! list and the single read into model queries. Every problem of a query string is
//! reported in one 400 message.

use customer_model::limits;
use customer_model::{
    Currency, CustomerFilter, CustomerQuery, PageRequest, ProductId, SearchField, SortDirection,
    SortKey, SubscriptionStatus, TextSearch, TimeRange, Uuid,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::errors::ApiError;
use super::{CURRENCY_REQUIRED, MAX_PAGE, PAGE_SIZE};
use crate::php::{Var, Vars};
use crate::request::{Headers, Incoming};

/// The methods every route answers (Laravel answers HEAD wherever it answers GET).
pub const ALLOWED: &str = "GET, HEAD";

/// The routes of the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/api/v1/customers`
    List,
    /// `/api/v1/customers/{id}`, with the id as sent.
    One(&'a str),
    /// `/api/v1/store`
    Store,
}

/// The route and method, checked in Laravel's order: an unknown path (404), then a
/// method the route does not serve (405).
pub fn route<'a>(incoming: &Incoming<'a>) -> Result<Route<'a>, ApiError> {
    let path = incoming.path;
    let route = match_route(path).ok_or_else(|| ApiError::route_not_found(path))?;
    if incoming.method != "GET" && incoming.method != "HEAD" {
        return Err(ApiError::method_not_allowed(incoming.method, path, ALLOWED));
    }
    Ok(route)
}

/// The route of `path`; a trailing slash is ignored, as Laravel ignores it.
fn match_route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/api/v1/")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["customers"] => Some(Route::List),
        ["customers", id] if !id.is_empty() => Some(Route::One(id)),
        ["store"] => Some(Route::Store),
        _ => None,
    }
}

/// The token of `Authorization: Bearer <token>` (scheme in any letter case).
pub fn bearer_token<'a>(headers: &Headers<'a>) -> Result<&'a str, ApiError> {
    headers
        .text("authorization")
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|token| !token.is_empty())
        })
        .ok_or_else(ApiError::unauthenticated)
}

/// A decoded `GET /api/v1/customers` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The currency the money fields and membership are scoped to.
    pub currency: Currency,
    /// The 1-based page.
    pub page: u64,
    /// Ordered on or after this day (site time zone).
    pub created_from: Option<Date>,
    /// Ordered on or before this day (site time zone).
    pub created_to: Option<Date>,
    /// Bought the product with this UUID.
    pub product: Option<Uuid>,
    /// Holds a subscription in this status.
    pub subscription_status: Option<SubscriptionStatus>,
    /// The search term, trimmed and non-empty.
    pub query: Option<String>,
}

impl ListRequest {
    /// Reads the list parameters; every problem is reported in one 400 message.
    pub fn decode(query: &Vars) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        let currency = problems.currency(query);
        let page = problems.page(query);
        let created_from = problems.date(query, "created_from");
        let created_to = problems.date(query, "created_to");
        if let (Some(from), Some(to)) = (created_from, created_to)
            && from > to
        {
            problems.push(format!(
                "The created_from date ({from}) must not be after the created_to date ({to})"
            ));
        }
        let product = problems.scalar(query, "product").and_then(|raw| {
            let parsed = parse_uuid(&raw);
            if parsed.is_none() {
                problems.push(format!(
                    "The product parameter must be a product UUID ({} given)",
                    quoted(&raw)
                ));
            }
            parsed
        });
        let subscription_status = problems
            .scalar(query, "subscription_status")
            .and_then(|raw| {
                let parsed = SubscriptionStatus::parse(&raw);
                if parsed.is_none() {
                    let allowed: Vec<&str> =
                        SubscriptionStatus::ALL.iter().map(|s| s.as_str()).collect();
                    problems.push(format!(
                        "The subscription_status parameter must be one of {} ({} given)",
                        allowed.join(", "),
                        quoted(&raw)
                    ));
                }
                parsed
            });
        let search = problems.scalar(query, "query");
        if let Some(term) = &search
            && !customer_model::email::is_email(term)
            && distinct_words(term).len() > limits::SEARCH_WORDS
        {
            problems.push(format!(
                "The query parameter may have at most {} words",
                limits::SEARCH_WORDS
            ));
        }
        problems.finish()?;
        Ok(Self {
            currency: currency.expect("a currency when there is no problem"),
            page,
            created_from,
            created_to,
            product,
            subscription_status,
            query: search,
        })
    }

    /// The model query: members in the currency, newest last order first (id descending
    /// breaks ties), the filters ANDed. `product` is the id of the product the UUID names;
    /// the caller answers an unknown product without asking the store.
    pub fn customer_query(&self, timezone: &TimeZone, product: Option<ProductId>) -> CustomerQuery {
        let mut filter = CustomerFilter {
            currency: Some(self.currency),
            ordered: TimeRange::local_days(self.created_from, self.created_to, timezone),
            product,
            subscription_status: self.subscription_status,
            ..CustomerFilter::default()
        };
        if let Some(term) = &self.query {
            if customer_model::email::is_email(term) {
                filter.any_email = Some(term.clone());
            } else {
                // First and last names are kept apart, so "Jane Doe" is looked for word by
                // word: every word must appear in the first or the last name.
                filter
                    .search
                    .extend(distinct_words(term).into_iter().map(|word| TextSearch {
                        term: word.to_owned(),
                        fields: vec![SearchField::Names],
                        match_id: false,
                    }));
            }
        }
        CustomerQuery {
            filter,
            sort: SortKey::LastOrder,
            direction: SortDirection::Descending,
            page: PageRequest::page(self.page, PAGE_SIZE),
        }
    }
}

/// What `include` asks the single-customer read to add.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Includes {
    /// The customer's orders in the currency, newest first.
    pub orders: bool,
    /// Every subscription of the customer (store-wide).
    pub subscriptions: bool,
    /// The customer's product access (download grants).
    pub access: bool,
    /// The lifetime-value breakdown in the currency.
    pub ltv: bool,
}

/// The values `include` accepts, in the order they are documented.
pub const INCLUDE_VALUES: [&str; 4] = ["orders", "subscriptions", "access", "ltv"];

/// A decoded `GET /api/v1/customers/{id}` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRequest {
    /// The currency the money fields are scoped to.
    pub currency: Currency,
    /// The extra sections.
    pub include: Includes,
}

impl GetRequest {
    /// Reads `currency` and the comma-separated `include`.
    pub fn decode(query: &Vars) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        let currency = problems.currency(query);
        let mut include = Includes::default();
        if let Some(raw) = problems.scalar(query, "include") {
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part {
                    "orders" => include.orders = true,
                    "subscriptions" => include.subscriptions = true,
                    "access" => include.access = true,
                    "ltv" => include.ltv = true,
                    unknown => problems.push(format!(
                        "The include parameter accepts {} ({} given)",
                        INCLUDE_VALUES.join(", "),
                        quoted(unknown)
                    )),
                }
            }
        }
        problems.finish()?;
        Ok(Self {
            currency: currency.expect("a currency when there is no problem"),
            include,
        })
    }
}

/// Parses a customer or product id: the 36-character hyphenated UUID form, any letter case.
pub fn parse_uuid(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

/// A scalar's text, trimmed; `None` when empty.
fn trimmed(value: &Var) -> Option<String> {
    let text = value.text()?;
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

/// Problems found while decoding, reported together.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, message: String) {
        self.0.push(message);
    }

    /// The trimmed value of `name`; `None` when absent or empty. An array value
    /// (`name[]=…`) is a problem.
    fn scalar(&mut self, query: &Vars, name: &str) -> Option<String> {
        match query.get(name)? {
            value @ Var::Str(_) => trimmed(value),
            Var::Array(_) => {
                self.push(format!("The {name} parameter must be a single value"));
                None
            }
        }
    }

    fn currency(&mut self, query: &Vars) -> Option<Currency> {
        // An array (`currency[]=pln`) is as malformed as a missing value: the seed's
        // message covers both.
        let raw = query.get("currency").and_then(trimmed);
        let Some(raw) = raw else {
            self.push(CURRENCY_REQUIRED.to_owned());
            return None;
        };
        let raw = raw.as_str();
        let lowercase = raw.bytes().all(|b| b.is_ascii_lowercase());
        match Currency::parse(raw) {
            Ok(currency) if lowercase => Some(currency),
            _ => {
                self.push(format!(
                    "{CURRENCY_REQUIRED} ({} is not a lowercase ISO 4217 currency code such as pln)",
                    quoted(raw)
                ));
                None
            }
        }
    }

    fn page(&mut self, query: &Vars) -> u64 {
        let Some(raw) = self.scalar(query, "page") else {
            return 1;
        };
        let raw = raw.as_str();
        let all_digits = raw.bytes().all(|b| b.is_ascii_digit());
        match raw.parse::<u64>() {
            Ok(page) if all_digits && (1..=MAX_PAGE).contains(&page) => page,
            // Digits only, but too many of them for a row offset.
            _ if all_digits && raw.bytes().any(|b| b != b'0') => {
                self.push(format!(
                    "The page parameter is too large ({} given)",
                    quoted(raw)
                ));
                1
            }
            _ => {
                self.push(format!(
                    "The page parameter must be a positive integer ({} given)",
                    quoted(raw)
                ));
                1
            }
        }
    }

    fn date(&mut self, query: &Vars, name: &str) -> Option<Date> {
        let raw = self.scalar(query, name)?;
        let parsed = parse_day(&raw);
        if parsed.is_none() {
            self.push(format!(
                "The {name} parameter must be a date in YYYY-MM-DD format from {FIRST_YEAR} to {LAST_YEAR} ({} given)",
                quoted(&raw)
            ));
        }
        parsed
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(self.0.join("; ")))
        }
    }
}

/// The first year a date filter accepts: no order predates it.
pub const FIRST_YEAR: i16 = 1970;
/// The last year a date filter accepts: far enough ahead, and within what stores keep.
pub const LAST_YEAR: i16 = 2199;

/// `YYYY-MM-DD`, a real calendar day from [`FIRST_YEAR`] to [`LAST_YEAR`], nothing else
/// (no time, no short forms).
fn parse_day(raw: &str) -> Option<Date> {
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i16 = raw[0..4].parse().ok()?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return None;
    }
    let month: i8 = raw[5..7].parse().ok()?;
    let day: i8 = raw[8..10].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// A user's value in a message, quoted and cut short so that a message stays readable.
fn quoted(raw: &str) -> String {
    const SHOWN: usize = 64;
    match raw.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("\"{}…\"", &raw[..cut]),
        None => format!("\"{raw}\""),
    }
}

/// The words of a search, each once (letter case ignored, as the search ignores it):
/// every word is one index lookup, so a repeated word would cost without narrowing.
fn distinct_words(term: &str) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    term.split_whitespace()
        .filter(|word| seen.insert(word.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(raw: &str) -> Result<ListRequest, ApiError> {
        ListRequest::decode(&Vars::parse(raw.as_bytes()))
    }

    #[test]
    fn routes_ignore_a_trailing_slash_and_check_the_method() {
        assert_eq!(match_route("/api/v1/customers"), Some(Route::List));
        assert_eq!(match_route("/api/v1/customers/"), Some(Route::List));
        assert_eq!(
            match_route("/api/v1/customers/abc"),
            Some(Route::One("abc"))
        );
        assert_eq!(match_route("/api/v1/store/"), Some(Route::Store));
        assert_eq!(match_route("/api/v1/customers/abc/orders"), None);
        assert_eq!(match_route("/api/v1/customers//"), None);
        assert_eq!(match_route("/api/v1"), None);
        let post = Incoming::new("POST", "/api/v1/store", Headers::default(), b"", false);
        assert_eq!(route(&post).unwrap_err().status, 405);
    }

    #[test]
    fn bearer_tokens_are_read_in_any_letter_case() {
        let read = |value: &'static [u8]| bearer_token(&Headers::new([("authorization", value)]));
        assert_eq!(read(b"bEaReR  abc "), Ok("abc"));
        assert!(read(b"Basic abc").is_err());
        assert!(read(b"Bearer ").is_err());
    }

    #[test]
    fn days_are_strict() {
        assert_eq!(
            parse_day("2026-02-28"),
            Some(jiff::civil::date(2026, 2, 28))
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026-02-28T00:00",
            "2026/02/28",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(100);
        let error = list(&format!("currency=pln&product={long}")).unwrap_err();
        assert!(error.message.contains(&format!("\"{}…\"", "x".repeat(64))));
    }

    #[test]
    fn the_last_repeated_value_wins() {
        let request = list("currency=usd&currency=pln&page=3&page=2").unwrap();
        assert_eq!(request.currency.code(), "PLN");
        assert_eq!(request.page, 2);
    }
}
