//! The customer list query as plain types: filters (all combined with AND), sort, page.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::customer::{CustomerId, Role};
use crate::ledger::{ProductId, SubscriptionStatus};
use crate::money::Currency;

/// Which customers by account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountFilter {
    /// Registered users and guests.
    #[default]
    Any,
    /// Registered users only (WooCommerce's `/customers`).
    Registered,
    /// Guests only.
    Guests,
}

/// A half-open or closed range of instants; both ends inclusive when present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// On or after.
    pub from: Option<Timestamp>,
    /// On or before.
    pub to: Option<Timestamp>,
}

impl TimeRange {
    /// True when neither end is set.
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether `at` lies within the range.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at <= to)
    }

    /// Whole local days in `zone`: from the first instant of `first` to the last instant
    /// (one nanosecond before the next day) of `last`. A missing day leaves that end open,
    /// as does a day at the edge of what an instant can hold.
    pub fn local_days(first: Option<Date>, last: Option<Date>, zone: &TimeZone) -> Self {
        Self {
            from: first.and_then(|day| start_of_day(day, zone)),
            to: last.and_then(|day| {
                let next = start_of_day(day.tomorrow().ok()?, zone)?;
                next.checked_sub(SignedDuration::from_nanos(1)).ok()
            }),
        }
    }
}

/// The first instant of `day` in `zone` (01:00 where midnight falls in a DST gap).
fn start_of_day(day: Date, zone: &TimeZone) -> Option<Timestamp> {
    day.to_zoned(zone.clone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// A field a text search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchField {
    /// First and last name.
    Names,
    /// Display name.
    DisplayName,
    /// Primary e-mail address.
    Email,
    /// Additional e-mail addresses.
    AdditionalEmails,
    /// Account name.
    Username,
    /// Billing address fields, billing e-mail and phone included.
    Billing,
    /// Shipping address fields, shipping phone included.
    Shipping,
}

impl SearchField {
    /// Every field: the `q` extension searches all of them.
    pub const ALL: [SearchField; 7] = [
        SearchField::Names,
        SearchField::DisplayName,
        SearchField::Email,
        SearchField::AdditionalEmails,
        SearchField::Username,
        SearchField::Billing,
        SearchField::Shipping,
    ];
}

/// A case-insensitive substring search over some fields (OR between fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSearch {
    /// The text to find, matched literally (no wildcards).
    pub term: String,
    /// Where to look.
    pub fields: Vec<SearchField>,
    /// Also match a customer whose id equals the term (WordPress does for numeric terms).
    pub match_id: bool,
}

impl TextSearch {
    /// The shortest term a trigram index can find (SQLite's FTS5 `trigram` tokenizer,
    /// PostgreSQL's `pg_trgm`). A shorter term is looked for value by value, which stays
    /// cheap per customer because every searchable value is bounded (see [`crate::limits`]).
    pub const INDEXED_TERM_CHARS: usize = 3;

    /// Whether any stored value can contain the term: no value is longer than
    /// [`crate::limits::SEARCH_TERM_CHARS`], so a longer term matches no customer (as a
    /// `LIKE '%…%'` longer than the column's width matches no row in WordPress) and a
    /// store answers without looking. A term with a NUL character matches no value either:
    /// PostgreSQL's text cannot hold one, SQLite's full-text queries cannot spell one, and
    /// both backends answer alike. An id match (`match_id`) is unaffected.
    pub fn term_fits(&self) -> bool {
        self.term.chars().count() <= crate::limits::SEARCH_TERM_CHARS && !self.term.contains('\0')
    }

    /// Whether the term is long enough for the trigram index.
    pub fn is_indexed(&self) -> bool {
        self.term.chars().count() >= Self::INDEXED_TERM_CHARS
    }
}

/// Filters of a customer list. Every set filter must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// Registered, guests or both.
    pub accounts: AccountFilter,
    /// Registered users with this role.
    pub role: Option<Role>,
    /// Exact e-mail address, ignoring case; the primary address only.
    pub email: Option<String>,
    /// Exact e-mail address, ignoring case, primary or additional.
    pub any_email: Option<String>,
    /// Substring searches; each must match.
    pub search: Vec<TextSearch>,
    /// Only these ids (empty: no restriction).
    pub include: Vec<CustomerId>,
    /// Not these ids.
    pub exclude: Vec<CustomerId>,
    /// Created within.
    pub created: TimeRange,
    /// Last modified within.
    pub modified: TimeRange,
    /// Has at least one order in this currency.
    pub currency: Option<Currency>,
    /// Has an order (in `currency`, when set) placed within this range.
    pub ordered: TimeRange,
    /// Bought this product.
    pub product: Option<ProductId>,
    /// Holds a subscription with this status.
    pub subscription_status: Option<SubscriptionStatus>,
}

/// What to sort by. Every sort ends with the id as a tie-break, so pages are stable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// The id.
    #[default]
    Id,
    /// Display name.
    DisplayName,
    /// Account name (guests sort as empty).
    Username,
    /// Creation instant.
    Created,
    /// Last modification instant.
    Modified,
    /// Latest order (in the filter's currency when set, else over all currencies);
    /// customers without orders sort first in ascending order.
    LastOrder,
    /// The position in the `include` filter.
    IncludeOrder,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// Which slice of the result to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return; `None` returns all.
    pub limit: Option<u64>,
}

impl PageRequest {
    /// How many pages of `per_page` rows `total` rows fill: `ceil(total / per_page)`, 0
    /// for no rows. `per_page` must not be 0.
    pub fn page_count(total: u64, per_page: u64) -> u64 {
        total.div_ceil(per_page)
    }

    /// The `page`-th page (1-based) of `per_page` rows.
    pub fn page(page: u64, per_page: u64) -> Self {
        Self {
            offset: page.saturating_sub(1).saturating_mul(per_page),
            limit: Some(per_page),
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::page(1, 10)
    }
}

/// A list query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Filters.
    pub filter: CustomerFilter,
    /// Sort key.
    pub sort: SortKey,
    /// Sort direction.
    pub direction: SortDirection,
    /// Page.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_offsets() {
        assert_eq!(PageRequest::page(1, 10).offset, 0);
        assert_eq!(PageRequest::page(3, 25).offset, 50);
        assert_eq!(PageRequest::page(0, 25).offset, 0);
        assert_eq!(PageRequest::page_count(0, 10), 0);
        assert_eq!(PageRequest::page_count(21, 10), 3);
    }

    #[test]
    fn local_days_cover_whole_days_in_the_zone() {
        let warsaw = TimeZone::get("Europe/Warsaw").unwrap();
        let day = jiff::civil::date(2026, 1, 15);
        let range = TimeRange::local_days(Some(day), Some(day), &warsaw);
        assert_eq!(range.from.unwrap().to_string(), "2026-01-14T23:00:00Z");
        assert_eq!(
            range.to.unwrap().to_string(),
            "2026-01-15T22:59:59.999999999Z"
        );
        let open = TimeRange::local_days(None, Some(jiff::civil::Date::MAX), &warsaw);
        assert!(open.is_unbounded());
    }

    #[test]
    fn ranges_are_inclusive() {
        let at: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let range = TimeRange {
            from: Some(at),
            to: Some(at),
        };
        assert!(range.contains(at));
        assert!(TimeRange::default().contains(at));
    }
}
