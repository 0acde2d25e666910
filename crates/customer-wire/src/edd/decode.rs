//! Reading an EDD API request: the `edd-api` value (version and endpoint), the
//! WordPress query variables (form body and query string), the `customers` parameters
//! (`number`, `page`, `customer`, `date`, `format`), and the store query they ask for.

use customer_model::{
    AccountFilter, CustomerFilter, CustomerId, CustomerQuery, PageRequest, SortDirection, SortKey,
    TimeRange, email::is_email,
};
use jiff::Zoned;
use jiff::civil::Date;

use super::errors::EddError;
use super::{Format, Version};
use crate::php::{self, Var, Vars};
use crate::request::Incoming;

/// A request to the EDD API, read up to authentication: version, variables, format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EddRequest {
    /// The version answering.
    pub version: Version,
    /// The WordPress query variables.
    pub vars: QueryVars,
    /// The format errors and answers are written in.
    pub format: Format,
}

impl EddRequest {
    /// EDD's first checks, each answering at once (with the format to answer in):
    /// WordPress's variable check (form body against query string), then the version
    /// (`?edd-api=` on any URL wins over the pretty path), then the endpoint.
    pub fn read(incoming: &Incoming<'_>, default: Version) -> Result<Self, (EddError, Format)> {
        let vars = QueryVars::merge(&incoming.query, incoming.post_form().as_ref())
            .map_err(|error| (error, Format::Json))?;
        let format = vars.output_format();
        let value = incoming
            .query
            .text("edd-api")
            .map(|value| value.into_owned())
            .or_else(|| path_value(incoming.path))
            .unwrap_or_default();
        let (version, _endpoint) = resolve(&value, default).map_err(|error| (error, format))?;
        Ok(Self {
            version,
            vars,
            format,
        })
    }

    /// The `key` and `token` credentials, when both are non-empty.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.vars.credentials()
    }

    /// The `customers` parameters; `now` is the current instant in the site's time zone.
    pub fn customers(&self, now: &Zoned) -> Result<CustomersRequest, EddError> {
        decode_customers(self.version, &self.vars, now)
    }
}

impl CustomersRequest {
    /// The store query: guests and registered customers, newest first, one customer when
    /// the request names one. `None` when nothing can match (EDD then answers "not
    /// found" without looking).
    pub fn query(&self) -> Option<CustomerQuery> {
        if self.match_none {
            return None;
        }
        let mut filter = CustomerFilter {
            accounts: AccountFilter::Any,
            created: self.created,
            ..CustomerFilter::default()
        };
        match self.customer.as_ref().map(|c| &c.lookup) {
            None => {}
            Some(CustomerLookup::Id(id)) => filter.include = vec![*id],
            Some(CustomerLookup::UserId(id)) => {
                filter.include = vec![*id];
                filter.accounts = AccountFilter::Registered;
            }
            Some(CustomerLookup::Email(email)) => filter.any_email = Some(email.clone()),
            Some(CustomerLookup::Nothing) => return None,
        }
        Some(CustomerQuery {
            filter,
            sort: SortKey::Created,
            direction: SortDirection::Descending,
            page: self.page,
        })
    }
}

/// The WordPress query variables the `customers` endpoint reads.
pub const QUERY_VARS: [&str; 9] = [
    "key",
    "token",
    "number",
    "page",
    "customer",
    "date",
    "startdate",
    "enddate",
    "format",
];

/// The `edd-api` value carried by a pretty path: `/edd-api/v2/customers/` →
/// `v2/customers` (one trailing slash dropped, percent-decoding applied); `None` when
/// the path is not under `/edd-api`.
pub fn path_value(path: &str) -> Option<String> {
    let prefix = "/edd-api";
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &path[prefix.len()..];
    let rest = match rest.strip_prefix('/') {
        Some(rest) => rest,
        None if rest.is_empty() => rest,
        None => return None,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    Some(String::from_utf8_lossy(&php::rawurldecode(rest.as_bytes())).into_owned())
}

/// The version and endpoint named by an `edd-api` value, as EDD resolves them: a `/`
/// after the first character makes the part before it a version (lower-cased; only
/// `v1` and `v2` exist), which is then removed from the value with a case-sensitive
/// replace (so `V2/customers` selects v2 but leaves an endpoint EDD does not know).
/// Without a `/`, `default` answers.
pub fn resolve(value: &str, default: Version) -> Result<(Version, String), EddError> {
    let (version, endpoint) = match value.find('/') {
        Some(at) if at > 0 => {
            let prefix = value[..at].to_ascii_lowercase();
            let version = match prefix.as_str() {
                "v1" => Version::V1,
                "v2" => Version::V2,
                _ => return Err(EddError::InvalidVersion),
            };
            (version, value.replace(&format!("{prefix}/"), ""))
        }
        _ => (default, value.to_owned()),
    };
    // EDD's whitelist also holds stats, products, sales, discounts, file-download-logs
    // and info; clientele serves customers only, so the rest are invalid queries here.
    if endpoint != "customers" {
        return Err(EddError::InvalidQuery);
    }
    Ok((version, endpoint))
}

/// The query variables of a request: each read from the form body first, then from the
/// query string, as WordPress does. A variable sent in both with different values is
/// refused, as recent WordPress refuses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryVars {
    /// Name, value, and the value as text when it is scalar.
    vars: Vec<(&'static str, Var, Option<String>)>,
}

impl QueryVars {
    /// Merges the query string and the (form) body.
    pub fn merge(query: &Vars, body: Option<&Vars>) -> Result<Self, EddError> {
        let mut vars = Vec::new();
        for name in QUERY_VARS {
            let from_query = query.get(name);
            let from_body = body.and_then(|b| b.get(name));
            if let (Some(a), Some(b)) = (from_query, from_body)
                && a != b
            {
                return Err(EddError::VariableMismatch);
            }
            if let Some(value) = from_body.or(from_query) {
                let text = value.text().map(|text| text.into_owned());
                vars.push((name, value.clone(), text));
            }
        }
        Ok(Self { vars })
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.vars
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, v, _)| v)
    }

    /// The string value of `name`; an array reads as absent, as WordPress drops array
    /// values of scalar query variables.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _, _)| *k == name)
            .and_then(|(_, _, text)| text.as_deref())
    }

    /// The `format` the answer is written in. Unknown values answer JSON here; the
    /// parameter check refuses them once the request is authenticated.
    pub fn output_format(&self) -> Format {
        match self.get_str("format") {
            Some("xml") => Format::Xml,
            _ => Format::Json,
        }
    }

    /// The `key` and `token` credentials, when both are non-empty.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        let key = self.get_str("key").filter(|k| !k.is_empty())?;
        let token = self.get_str("token").filter(|t| !t.is_empty())?;
        Some((key, token))
    }
}

/// How a request names one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerLookup {
    /// By customer id.
    Id(CustomerId),
    /// By the id of a registered user (v1's `customer[user_id]`; the same id space).
    UserId(CustomerId),
    /// By primary or additional e-mail address, ignoring case.
    Email(String),
    /// A value that can name no customer (a numeric value that is not a positive
    /// integer): answered with the not-found message.
    Nothing,
}

/// The customer lookup with the text that not-found messages repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerParam {
    /// What to look for.
    pub lookup: CustomerLookup,
    /// The value as given, for `Customer <value> not found!`.
    pub given: String,
}

/// A decoded `customers` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomersRequest {
    /// The version answering.
    pub version: Version,
    /// JSON or XML.
    pub format: Format,
    /// The slice asked for.
    pub page: PageRequest,
    /// One customer, when asked.
    pub customer: Option<CustomerParam>,
    /// v1 `customer=0`: EDD answers "No customers found!" without looking.
    pub match_none: bool,
    /// v2 creation-date filter.
    pub created: TimeRange,
}

/// Decodes the `customers` parameters. `now` is the current instant in the site's time
/// zone (date filters are evaluated in it).
pub fn decode_customers(
    version: Version,
    vars: &QueryVars,
    now: &Zoned,
) -> Result<CustomersRequest, EddError> {
    let format = match vars.get_str("format") {
        None | Some("" | "json") => Format::Json,
        Some("xml") => Format::Xml,
        Some(_) => {
            return Err(EddError::InvalidParameter {
                name: "format",
                expected: "json or xml",
            });
        }
    };
    let page = decode_page(version, vars)?;
    let (customer, match_none) = match version {
        Version::V1 => decode_customer_v1(vars.get("customer")),
        Version::V2 => (decode_customer_v2(vars.get_str("customer")), false),
    };
    let created = match version {
        Version::V1 => TimeRange::default(),
        Version::V2 => decode_date_filter(vars, now)?,
    };
    Ok(CustomersRequest {
        version,
        format,
        page,
        customer,
        match_none,
        created,
    })
}

fn decode_page(version: Version, vars: &QueryVars) -> Result<PageRequest, EddError> {
    let number = match vars.get_str("number").map(str::trim) {
        None | Some("") => 10,
        Some(text) => parse_integer(text).ok_or(EddError::InvalidParameter {
            name: "number",
            expected: "a whole number (-1 for all)",
        })?,
    };
    // WordPress reads `page` with absint(): anything unreadable is page 1.
    let page = vars
        .get_str("page")
        .map_or(1, |text| php::absint(text).max(1));
    let per_page = match number {
        -1 => None,
        // v1 passes 0 through (no limit); v2 drops it and the query default of 30 applies.
        0 => match version {
            Version::V1 => None,
            Version::V2 => Some(30),
        },
        // Other negatives go through absint().
        n => Some(n.unsigned_abs()),
    };
    Ok(match per_page {
        Some(per_page) => PageRequest::page(page, per_page),
        None => PageRequest {
            offset: 0,
            limit: None,
        },
    })
}

/// An optionally signed run of digits; values beyond `i64` saturate.
fn parse_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// A numeric `customer` value as an id lookup: positive integers name a customer,
/// other numbers (`1.5`, `-3`) name none.
fn id_lookup(text: &str, make: fn(CustomerId) -> CustomerLookup) -> CustomerLookup {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => make(CustomerId(id)),
        _ => CustomerLookup::Nothing,
    }
}

/// v1: numeric → id, `customer[id]` / `customer[email]` / `customer[user_id]`, anything
/// else → an e-mail address. `0` answers "No customers found!".
fn decode_customer_v1(value: Option<&Var>) -> (Option<CustomerParam>, bool) {
    let (text, array_field) = match value {
        None => return (None, false),
        Some(scalar @ Var::Str(_)) => (scalar.text().unwrap_or_default().into_owned(), None),
        Some(array @ Var::Array(_)) => {
            let found = ["id", "email", "user_id"]
                .into_iter()
                .find_map(|field| array.get(field).and_then(Var::text).map(|v| (field, v)));
            match found {
                Some((field, text)) => (text.into_owned(), Some(field)),
                None => return (None, false),
            }
        }
    };
    if text.is_empty() {
        return (None, false);
    }
    let lookup = match array_field {
        Some("id") => id_lookup(&text, CustomerLookup::Id),
        Some("user_id") => id_lookup(&text, CustomerLookup::UserId),
        Some(_) => CustomerLookup::Email(text.clone()),
        None if text.trim() == "0" => return (None, true),
        None if php::is_numeric(&text) => id_lookup(&text, CustomerLookup::Id),
        None => CustomerLookup::Email(text.clone()),
    };
    (
        Some(CustomerParam {
            lookup,
            given: text,
        }),
        false,
    )
}

/// v2: numeric → id, a valid e-mail address → e-mail; anything else (and `0`) is
/// ignored and the list is answered.
fn decode_customer_v2(value: Option<&str>) -> Option<CustomerParam> {
    let text = value.filter(|t| !t.is_empty() && t.trim() != "0")?;
    let lookup = if php::is_numeric(text) {
        id_lookup(text, CustomerLookup::Id)
    } else if is_email(text) {
        CustomerLookup::Email(text.to_owned())
    } else {
        return None;
    };
    Some(CustomerParam {
        lookup,
        given: text.to_owned(),
    })
}

/// v2's `date` filter as an inclusive range of whole local days (first day 00:00:00 to
/// last day 23:59:59.999999999 in the site's time zone), in UTC instants.
fn decode_date_filter(vars: &QueryVars, now: &Zoned) -> Result<TimeRange, EddError> {
    let Some(value) = vars.get_str("date").filter(|v| !v.is_empty()) else {
        return Ok(TimeRange::default());
    };
    let invalid = |name| EddError::InvalidParameter {
        name,
        expected: "a date as YYYYMMDD or YYYY-MM-DD",
    };
    let (first, last) = match value {
        "range" => {
            let start = vars
                .get_str("startdate")
                .filter(|s| !s.is_empty())
                .ok_or(EddError::MissingParameter { name: "startdate" })?;
            let start = parse_date(start).ok_or(invalid("startdate"))?;
            let end = match vars.get_str("enddate").filter(|s| !s.is_empty()) {
                Some(text) => parse_date(text).ok_or(invalid("enddate"))?,
                None => now.date(),
            };
            (start, end)
        }
        named => named_range(named, now.date()).ok_or(EddError::InvalidParameter {
            name: "date",
            expected: "one of today, yesterday, this_week, last_week, last_30_days, \
                       this_month, last_month, this_quarter, last_quarter, this_year, \
                       last_year, range",
        })?,
    };
    Ok(TimeRange::local_days(
        Some(first),
        Some(last),
        now.time_zone(),
    ))
}

/// The first and last day of a named period around `today`. Weeks start on Monday
/// (WordPress's default `start_of_week`).
pub fn named_range(name: &str, today: Date) -> Option<(Date, Date)> {
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).ok();
    let month_start = today.first_of_month();
    let months = |d: Date, n: i32| d.checked_add(jiff::Span::new().months(n)).ok();
    let quarter_start = Date::new(today.year(), (today.month() - 1) / 3 * 3 + 1, 1).ok()?;
    let year_start = Date::new(today.year(), 1, 1).ok()?;
    let week_start = day(-i64::from(today.weekday().to_monday_zero_offset()))?;
    let before = |d: Date| d.yesterday().ok();
    Some(match name {
        "today" => (today, today),
        "yesterday" => (day(-1)?, day(-1)?),
        "this_week" => (
            week_start,
            week_start.checked_add(jiff::Span::new().days(6)).ok()?,
        ),
        "last_week" => (
            week_start.checked_sub(jiff::Span::new().days(7)).ok()?,
            before(week_start)?,
        ),
        "last_30_days" => (day(-30)?, today),
        "this_month" => (month_start, month_start.last_of_month()),
        "last_month" => {
            let start = months(month_start, -1)?;
            (start, start.last_of_month())
        }
        "this_quarter" => (quarter_start, before(months(quarter_start, 3)?)?),
        "last_quarter" => (months(quarter_start, -3)?, before(quarter_start)?),
        "this_year" => (year_start, before(months(year_start, 12)?)?),
        "last_year" => (months(year_start, -12)?, before(year_start)?),
        _ => return None,
    })
}

/// `YYYYMMDD` (what EDD documents) or `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let year = text[..4].parse().ok()?;
        let month = text[4..6].parse().ok()?;
        let day = text[6..].parse().ok()?;
        return Date::new(year, month, day).ok();
    }
    text.parse::<Date>().ok().filter(|_| text.len() == 10)
}
