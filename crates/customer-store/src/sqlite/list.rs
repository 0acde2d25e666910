//! Customer lists and counts: a [`CustomerQuery`] becomes one SQL statement for the page's
//! ids and one for the exact count; the page's customers and aggregates are then read by
//! id in a fixed number of queries. Every filter is an indexed lookup (`IN (SELECT …)`
//! over an index, or a range on an indexed column); substring searches go through the
//! FTS5 trigram index (a few distinct trigrams of the term, the whole term confirmed on
//! the rows found), or through `LIKE` over that index's text for terms shorter than a
//! trigram.
//!
//! A search with other filters starts from its matches when a page has few of them to
//! sort, and for every total; a page of a common term instead walks the sort's index and
//! checks each candidate's text (see [`driving_search`]). Totals other than the kept
//! counts are shared by the readers until the data changes ([`super::totals`]).

use std::collections::HashMap;

use customer_model::{
    AccountFilter, CustomerFilter, CustomerQuery, CustomerStats, SearchField, SortDirection,
    SortKey, TextSearch, TimeRange,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::codec::{bound_ts, like_escape};
use super::ledger::{limit_value, offset_value};
use super::{customers, ledger, totals};
use crate::{CustomerRecord, Page, StoreResult};

/// The SQL of a query: `WHERE` conditions with their parameters, plus what sorting needs.
///
/// A query in one currency is driven from `customer_currency` (alias `cc`), which holds
/// exactly the buyers in it; `customers` (alias `c`) is joined only when a condition or
/// the sort reads one of its columns. `id` is the column that names the customer.
struct Plan {
    id: &'static str,
    joins: String,
    by_currency: bool,
    reads_customers: bool,
    /// The matches of the search the plan starts from (a subquery yielding `id`), when
    /// one does; see [`driving_search`].
    driver: Option<String>,
    driver_params: Vec<Value>,
    join_params: Vec<Value>,
    conditions: Vec<String>,
    params: Vec<Value>,
    order: String,
}

impl Plan {
    fn condition(&mut self, sql: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.conditions.push(sql.into());
        self.params.extend(params);
    }

    /// A condition on a column of `customers` itself.
    fn customer_condition(
        &mut self,
        sql: impl Into<String>,
        params: impl IntoIterator<Item = Value>,
    ) {
        self.reads_customers = true;
        self.condition(sql, params);
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// The tables; a count leaves out the joins that only order a page. A plan that
    /// starts from a search's matches joins the tables with `CROSS JOIN`, which fixes
    /// SQLite's order of the loops: matches outside, each looked up by its key.
    fn tables_sql(&self, purpose: Purpose) -> String {
        let join = if self.driver.is_some() {
            "CROSS JOIN"
        } else {
            "JOIN"
        };
        let base = match (self.by_currency, self.reads_customers) {
            (false, _) => "customers c".to_owned(),
            (true, false) => "customer_currency cc".to_owned(),
            (true, true) => {
                format!("customer_currency cc {join} customers c ON c.id = cc.customer_id")
            }
        };
        let tables = match &self.driver {
            Some(matches) => format!("({matches}) m CROSS JOIN {base}"),
            None => base,
        };
        match purpose {
            Purpose::Page => format!("{tables} {}", self.joins),
            Purpose::Count => tables,
        }
    }

    /// The parameters of the statement for `purpose`, in the order of their places.
    fn params(&self, purpose: Purpose) -> Vec<Value> {
        let joins: &[Value] = match purpose {
            Purpose::Page => &self.join_params,
            Purpose::Count => &[],
        };
        self.driver_params
            .iter()
            .chain(joins)
            .chain(&self.params)
            .cloned()
            .collect()
    }

    fn select_ids_sql(&self) -> String {
        format!(
            "SELECT {} FROM {} {} ORDER BY {} LIMIT ? OFFSET ?",
            self.id,
            self.tables_sql(Purpose::Page),
            self.where_clause(),
            self.order
        )
    }

    fn count_sql(&self) -> String {
        format!(
            "SELECT COUNT(*) FROM {} {}",
            self.tables_sql(Purpose::Count),
            self.where_clause()
        )
    }
}

/// The FTS5 column of a search field.
fn search_column(field: SearchField) -> &'static str {
    match field {
        SearchField::Names => "names",
        SearchField::DisplayName => "display_name",
        SearchField::Email => "email",
        SearchField::AdditionalEmails => "additional_emails",
        SearchField::Username => "username",
        SearchField::Billing => "billing",
        SearchField::Shipping => "shipping",
    }
}

/// Most distinct trigrams of a term the index is asked for. A phrase query reads the
/// positions of every trigram in every row found, once per trigram of the phrase, and
/// repetitive text (`aaaa…`) has a position at nearly every character: the index is
/// asked instead for rows holding a few distinct trigrams of the term, and the whole term
/// is confirmed on those rows in linear time ([`super::functions`]).
const INDEXED_TRIGRAMS: usize = 8;

/// The columns of the search index a search reads, each once.
fn searched_columns(search: &TextSearch) -> Vec<&'static str> {
    let mut columns: Vec<&str> = search.fields.iter().map(|f| search_column(*f)).collect();
    columns.dedup();
    columns
}

/// Whether a `customer_search` row holds the whole term in one of the searched columns,
/// ignoring letter case: the last word on every search of a trigram or more, whether
/// its rows came from the index or from walking a sort's index.
fn text_check(search: &TextSearch) -> (String, Vec<Value>) {
    let columns = searched_columns(search);
    let folded = super::functions::fold(&search.term);
    let checks: Vec<String> = columns
        .iter()
        .map(|column| format!("contains_folded({column}, ?)"))
        .collect();
    let params = columns
        .iter()
        .map(|_| Value::Text(folded.clone()))
        .collect();
    (format!("({})", checks.join(" OR ")), params)
}

/// Whether the trigram index answers `search`: a term of a trigram or more that can fit
/// a stored value, in at least one field.
fn goes_through_index(search: &TextSearch) -> bool {
    !search.fields.is_empty() && search.is_indexed() && search.term_fits()
}

/// A search as a condition on `customer_search` rows, with its parameters: the index
/// lookup (of at least one trigram, in at least one field) and the confirmation of the
/// whole term ([`text_check`]).
fn index_lookup(search: &TextSearch) -> Option<(String, Vec<Value>)> {
    if !goes_through_index(search) {
        return None;
    }
    let columns = searched_columns(search);
    let chars: Vec<char> = search.term.chars().collect();
    // Trigrams as written (the index folds case itself), told apart ignoring case.
    let mut trigrams: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for window in chars.windows(TextSearch::INDEXED_TERM_CHARS) {
        let trigram: String = window.iter().collect();
        let key = super::functions::fold(&trigram);
        if trigrams.len() < INDEXED_TRIGRAMS && !seen.contains(&key) {
            seen.push(key);
            trigrams.push(trigram);
        }
    }
    let quoted: Vec<String> = trigrams
        .iter()
        .map(|trigram| format!("\"{}\"", trigram.replace('"', "\"\"")))
        .collect();
    let query = format!("{{{}}} : ({})", columns.join(" "), quoted.join(" AND "));
    let (check, check_params) = text_check(search);
    let mut params = vec![Value::Text(query)];
    params.extend(check_params);
    Some((format!("customer_search MATCH ? AND {check}"), params))
}

/// The id a search also matches, when the term is a number and the search asks for it.
fn matched_id(search: &TextSearch) -> Option<i64> {
    search
        .match_id
        .then(|| search.term.trim().parse::<i64>().ok())
        .flatten()
}

/// One search as a condition on each candidate row: fields OR-ed, and the id when asked
/// for. For a term of a trigram or more, the row's text in the search index is read by
/// its id and the term looked for in it ([`text_check`]), so the cost follows the rows
/// the plan reads, not the number of matches. (Asking the index for one id instead
/// costs milliseconds: FTS5 reads each trigram's list in every segment to get there.)
fn search_condition(search: &TextSearch, plan: &mut Plan) {
    if search.term.is_empty() {
        return;
    }
    let id = plan.id;
    let columns = searched_columns(search);
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    // A term longer than any stored value finds nothing; the index is not asked.
    if !columns.is_empty() && search.term_fits() {
        if goes_through_index(search) {
            let (check, check_params) = text_check(search);
            alternatives.push(format!(
                "EXISTS (SELECT 1 FROM customer_search WHERE rowid = {id} AND {check})"
            ));
            params.extend(check_params);
        } else {
            // Shorter than one trigram: the index cannot help, so scan its text. The
            // pattern is at most two characters and every value is bounded, so each row
            // costs little; the request's deadline bounds the whole scan.
            let pattern = format!("%{}%", like_escape(&search.term));
            let likes: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
                .collect();
            alternatives.push(format!(
                "{id} IN (SELECT rowid FROM customer_search WHERE {})",
                likes.join(" OR ")
            ));
            params.extend(columns.iter().map(|_| Value::Text(pattern.clone())));
        }
    }
    if let Some(number) = matched_id(search) {
        alternatives.push(format!("{id} = ?"));
        params.push(Value::Integer(number));
    }
    if alternatives.is_empty() {
        plan.condition("0", []);
    } else {
        plan.condition(format!("({})", alternatives.join(" OR ")), params);
    }
}

/// Makes `plan` start from the matches of `search` (an indexed one): the index yields
/// them, each is looked up by key, and only they are filtered and sorted.
fn drive_from(search: &TextSearch, plan: &mut Plan) {
    let Some((clause, mut params)) = index_lookup(search) else {
        return search_condition(search, plan);
    };
    let mut matches = format!("SELECT rowid AS id FROM customer_search WHERE {clause}");
    if let Some(number) = matched_id(search) {
        matches.push_str(" UNION SELECT ?");
        params.push(Value::Integer(number));
    }
    plan.driver = Some(matches);
    plan.driver_params = params;
    let id = plan.id;
    plan.condition(format!("{id} = m.id"), []);
}

/// Fewest customers a search must match before a page walks the sort's index instead
/// of sorting the matches.
const LEAST_WALKING_MATCHES: u64 = 64;

/// Most matches a page sorts; past this, the sort's index is walked whatever the page.
const MOST_SORTED_MATCHES: u64 = 200_000;

/// How much more a candidate costs when a page walks the sort's index (its row of the
/// search index read by id and its text checked) than a match costs when the page sorts
/// the matches (a key lookup): about four times, timing both with the `sqlite3` shell on
/// the generated store of a million customers.
const PROBE_COST: f64 = 4.0;

/// Up to how many matches a page sorts them rather than walk the sort's index. Walking
/// reads about `(offset + limit) × customers / matches` candidates, probing each;
/// sorting reads every match once: the two cost the same where `matches² = (offset +
/// limit) × customers × PROBE_COST`.
fn most_sorted_matches(conn: &Connection, query: &CustomerQuery) -> StoreResult<u64> {
    let Some(limit) = query.page.limit else {
        return Ok(u64::MAX);
    };
    let customers: i64 = conn
        .prepare_cached("SELECT registered + guests FROM customer_counts")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0);
    let rows = query.page.offset.saturating_add(limit) as f64;
    let even = (rows * customers.max(0) as f64 * PROBE_COST).sqrt();
    Ok((even as u64).clamp(LEAST_WALKING_MATCHES, MOST_SORTED_MATCHES))
}

/// The search a plan starts from, by its place in the filter: the first one the index
/// answers, unless the filter names its customers outright (an e-mail, an id list), which
/// is a better start. A total always starts from the matches, which costs what there
/// are of them, where any other start costs what there are customers. A page does when
/// the matches are few enough to sort (counted in the index, up to that bound, and
/// remembered with the totals); for a common term it walks the sort's index and probes
/// each candidate, finding a page of matches after a few candidates.
fn driving_search(
    conn: &Connection,
    query: &CustomerQuery,
    purpose: Purpose,
) -> StoreResult<Option<usize>> {
    let filter = &query.filter;
    if filter.email.is_some() || filter.any_email.is_some() || !filter.include.is_empty() {
        return Ok(None);
    }
    let Some((place, (clause, params))) = filter
        .search
        .iter()
        .enumerate()
        .find_map(|(place, search)| Some((place, index_lookup(search)?)))
    else {
        return Ok(None);
    };
    if purpose == Purpose::Count {
        return Ok(Some(place));
    }
    let most = most_sorted_matches(conn, query)?;
    if most == u64::MAX {
        return Ok(Some(place));
    }
    let mut bounded = params;
    bounded.push(Value::Integer(i64::try_from(most + 1).unwrap_or(i64::MAX)));
    let found = totals::total(
        conn,
        &format!("SELECT COUNT(*) FROM (SELECT 1 FROM customer_search WHERE {clause} LIMIT ?)"),
        &bounded,
    )?;
    Ok((found <= most).then_some(place))
}

fn range_condition(column: &str, range: &TimeRange, plan: &mut Plan) -> StoreResult<()> {
    if let Some(from) = range.from {
        plan.customer_condition(format!("{column} >= ?"), [Value::Integer(bound_ts(from))]);
    }
    if let Some(to) = range.to {
        plan.customer_condition(format!("{column} <= ?"), [Value::Integer(bound_ts(to))]);
    }
    Ok(())
}

fn id_list(ids: &[customer_model::CustomerId]) -> Value {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<i64> = ids
        .iter()
        .map(|id| id.0)
        .filter(|id| seen.insert(*id))
        .collect();
    Value::Text(serde_json::to_string(&unique).unwrap_or_else(|_| "[]".into()))
}

/// What a plan is for: a count needs only the conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Page,
    Count,
}

/// The customer that owns an e-mail address (folded), at position 0 only when
/// `primary_only`. Looked up before planning: a condition on a constant id lets SQLite
/// start from that one row, where an `IN (…)` condition may lose to an index that gives
/// the sort order and be checked for every row of it.
fn email_owner(conn: &Connection, address: &str, primary_only: bool) -> StoreResult<Option<i64>> {
    let sql = if primary_only {
        "SELECT customer_id FROM customer_emails WHERE address_folded = ?1 AND position = 0"
    } else {
        "SELECT customer_id FROM customer_emails WHERE address_folded = ?1"
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([address.to_ascii_lowercase()], |row| row.get(0))
        .optional()?)
}

/// Whether at least one customer in a hundred has `role` (from the kept counts), so
/// that a page in some sort order finds its rows quickly by walking that order.
fn role_is_common(conn: &Connection, role: &str) -> StoreResult<bool> {
    let common: Option<bool> = conn
        .prepare_cached(
            "SELECT r.registered * 100 >= c.registered + c.guests
             FROM customer_role_counts r, customer_counts c WHERE r.role = ?1",
        )?
        .query_row([role], |row| row.get(0))
        .optional()?;
    Ok(common.unwrap_or(false))
}

/// "Ordered in the currency within `range`" on a `customer_currency` row. A buyer whose
/// first or last order in the currency falls inside the range qualifies, one whose orders
/// all lie before or after it does not; only a buyer whose first order is before the
/// range and last order after it needs a look at its orders, through `orders_customer`.
fn ordered_in_currency(range: &TimeRange, plan: &mut Plan) -> StoreResult<()> {
    let from = range.from.map(bound_ts);
    let to = range.to.map(bound_ts);
    match (from, to) {
        (None, None) => {}
        (Some(from), None) => plan.condition("cc.last_order_at >= ?", [Value::Integer(from)]),
        (None, Some(to)) => plan.condition("cc.first_order_at <= ?", [Value::Integer(to)]),
        (Some(from), Some(to)) => plan.condition(
            "cc.last_order_at >= ? AND cc.first_order_at <= ?
             AND (cc.first_order_at >= ? OR cc.last_order_at <= ?
                  OR EXISTS (SELECT 1 FROM orders o
                             WHERE o.customer_id = cc.customer_id
                               AND o.currency = cc.currency
                               AND o.created_at >= ? AND o.created_at <= ?))",
            [from, to, from, to, from, to].map(Value::Integer),
        ),
    }
    Ok(())
}

fn plan(conn: &Connection, query: &CustomerQuery, purpose: Purpose) -> StoreResult<Plan> {
    let filter: &CustomerFilter = &query.filter;
    // Every customer in a currency has its row in `customer_currency`: a count, or a page
    // in last-order order, walks that table's index for the currency instead of a million
    // customers.
    let by_currency = filter.currency.is_some()
        && (purpose == Purpose::Count || query.sort == SortKey::LastOrder);
    let mut plan = Plan {
        id: if by_currency {
            "cc.customer_id"
        } else {
            "c.id"
        },
        joins: String::new(),
        by_currency,
        reads_customers: false,
        driver: None,
        driver_params: Vec::new(),
        join_params: Vec::new(),
        conditions: Vec::new(),
        params: Vec::new(),
        order: String::new(),
    };
    let id = plan.id;
    if let Some(currency) = filter.currency {
        if by_currency {
            plan.condition("cc.currency = ?", [Value::Text(currency.code().into())]);
        } else {
            // Checked per customer through the primary key: a list of every buyer in
            // the currency would be built before the first row otherwise.
            plan.condition(
                "EXISTS (SELECT 1 FROM customer_currency
                         WHERE customer_id = c.id AND currency = ?)",
                [Value::Text(currency.code().into())],
            );
        }
    }
    match filter.accounts {
        AccountFilter::Any => {}
        AccountFilter::Registered => plan.customer_condition("c.username IS NOT NULL", []),
        AccountFilter::Guests => plan.customer_condition("c.username IS NULL", []),
    }
    if let Some(role) = filter.role {
        // By id or by display name, an index on the role gives the order as well. For
        // another order SQLite would still take an equality on the role for selective
        // and then sort what it found: for a role most customers have (`customer`, in
        // every shop) that means sorting them all for one page, where walking the sort's
        // own index and skipping the others is far cheaper, so the role's indexes are
        // hidden from the planner (`+`).
        let walk_sort_index = purpose == Purpose::Page
            && !matches!(
                query.sort,
                SortKey::Id | SortKey::IncludeOrder | SortKey::DisplayName
            )
            && role_is_common(conn, role.as_str())?;
        let column = if walk_sort_index { "+c.role" } else { "c.role" };
        plan.customer_condition(format!("{column} = ?"), [Value::Text(role.as_str().into())]);
    }
    for (address, primary_only) in [(&filter.email, true), (&filter.any_email, false)] {
        if let Some(address) = address {
            // No owner: `= NULL` matches nothing, and still plans as a key lookup.
            let owner = email_owner(conn, address, primary_only)?;
            plan.condition(
                format!("{id} = ?"),
                [owner.map_or(Value::Null, Value::Integer)],
            );
        }
    }
    let driver = driving_search(conn, query, purpose)?;
    for (place, search) in filter.search.iter().enumerate() {
        if driver == Some(place) {
            drive_from(search, &mut plan);
        } else {
            search_condition(search, &mut plan);
        }
    }
    if !filter.include.is_empty() {
        plan.condition(
            format!("{id} IN (SELECT value FROM json_each(?))"),
            [id_list(&filter.include)],
        );
    }
    if !filter.exclude.is_empty() {
        plan.condition(
            format!("{id} NOT IN (SELECT value FROM json_each(?))"),
            [id_list(&filter.exclude)],
        );
    }
    range_condition("c.created_at", &filter.created, &mut plan)?;
    range_condition("c.modified_at", &filter.modified, &mut plan)?;
    if !filter.ordered.is_unbounded() {
        if by_currency {
            ordered_in_currency(&filter.ordered, &mut plan)?;
        } else {
            let mut inner = Vec::new();
            let mut params = Vec::new();
            if let Some(from) = filter.ordered.from {
                inner.push("created_at >= ?");
                params.push(Value::Integer(bound_ts(from)));
            }
            if let Some(to) = filter.ordered.to {
                inner.push("created_at <= ?");
                params.push(Value::Integer(bound_ts(to)));
            }
            if let Some(currency) = filter.currency {
                inner.push("currency = ?");
                params.push(Value::Text(currency.code().into()));
            }
            plan.condition(
                format!(
                    "c.id IN (SELECT customer_id FROM orders WHERE {})",
                    inner.join(" AND ")
                ),
                params,
            );
        }
    }
    if let Some(product) = filter.product {
        plan.condition(
            format!("{id} IN (SELECT customer_id FROM order_items WHERE product_id = ?)"),
            [Value::Integer(product.0)],
        );
    }
    if let Some(status) = filter.subscription_status {
        plan.condition(
            format!("{id} IN (SELECT customer_id FROM subscriptions WHERE status = ?)"),
            [Value::Integer(status.index() as i64)],
        );
    }
    let direction = match query.direction {
        SortDirection::Ascending => "ASC",
        SortDirection::Descending => "DESC",
    };
    if by_currency {
        // Counting needs no order; a page walks `customer_currency_last_order` in order.
        plan.order = format!("cc.last_order_at {direction}, cc.customer_id {direction}");
        return Ok(plan);
    }
    let key = match query.sort {
        SortKey::Id => None,
        SortKey::DisplayName => Some("c.display_name COLLATE NOCASE".to_owned()),
        SortKey::Username => Some("IFNULL(c.username, '') COLLATE NOCASE".to_owned()),
        SortKey::Created => Some("c.created_at".to_owned()),
        SortKey::Modified => Some("c.modified_at".to_owned()),
        SortKey::LastOrder => Some("c.last_order_at".to_owned()),
        SortKey::IncludeOrder if filter.include.is_empty() => None,
        SortKey::IncludeOrder => {
            plan.joins = "JOIN json_each(?) inc ON inc.value = c.id".into();
            plan.join_params.push(id_list(&filter.include));
            Some("inc.key".to_owned())
        }
    };
    plan.order = match key {
        Some(key) => format!("{key} {direction}, c.id {direction}"),
        None => format!("c.id {direction}"),
    };
    Ok(plan)
}

/// The SQL of the page of `query` and its parameters but `LIMIT` and `OFFSET`.
fn page_statement(conn: &Connection, query: &CustomerQuery) -> StoreResult<(String, Vec<Value>)> {
    if let Some(page) = search_only_page(query) {
        return Ok(page);
    }
    let plan = plan(conn, query, Purpose::Page)?;
    Ok((plan.select_ids_sql(), plan.params(Purpose::Page)))
}

/// The ids of a page of `query`, in order.
fn page_ids(conn: &Connection, query: &CustomerQuery) -> StoreResult<Vec<i64>> {
    let (sql, params) = page_statement(conn, query)?;
    let params = params.into_iter().chain([
        Value::Integer(limit_value(query.page.limit)),
        Value::Integer(offset_value(query.page.offset)),
    ]);
    let mut statement = conn.prepare_cached(&sql)?;
    let ids = statement
        .query_map(params_from_iter(params), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// How many customers match `query`'s filters.
pub(crate) fn count(conn: &Connection, query: &CustomerQuery) -> StoreResult<u64> {
    if let Some(total) = kept_count(conn, &query.filter)? {
        return Ok(total);
    }
    if let Some(total) = search_only_count(conn, &query.filter)? {
        return Ok(total);
    }
    let plan = plan(conn, query, Purpose::Count)?;
    totals::total(conn, &plan.count_sql(), &plan.params(Purpose::Count))
}

/// The index lookup of a filter that is one substring search alone (of at least one
/// trigram, and not also an id). The search index holds one row per customer under the
/// customer's id, so such a list's total is the number of matches, and its page in id
/// order is the matches' ids in order: neither needs to look a match up in `customers`.
fn search_only(filter: &CustomerFilter) -> Option<(String, Vec<Value>)> {
    let [search] = filter.search.as_slice() else {
        return None;
    };
    let matches_id = search.match_id && search.term.trim().parse::<i64>().is_ok();
    let search_only = CustomerFilter {
        search: filter.search.clone(),
        ..CustomerFilter::default()
    };
    index_lookup(search).filter(|_| !matches_id && *filter == search_only)
}

/// The count statement of a search-only list (see [`search_only`]).
fn search_only_count_sql(clause: &str) -> String {
    format!("SELECT COUNT(*) FROM customer_search WHERE {clause}")
}

/// The total of a search-only list (see [`search_only`]), counted in the search index.
fn search_only_count(conn: &Connection, filter: &CustomerFilter) -> StoreResult<Option<u64>> {
    let Some((clause, params)) = search_only(filter) else {
        return Ok(None);
    };
    Ok(Some(totals::total(
        conn,
        &search_only_count_sql(&clause),
        &params,
    )?))
}

/// The page SQL and parameters of a search-only list in id order, read from the search
/// index alone (see [`search_only`]); FTS5 yields matches in rowid order and stops at the
/// page's end.
fn search_only_page(query: &CustomerQuery) -> Option<(String, Vec<Value>)> {
    let (clause, params) = search_only(&query.filter).filter(|_| query.sort == SortKey::Id)?;
    let direction = match query.direction {
        SortDirection::Ascending => "ASC",
        SortDirection::Descending => "DESC",
    };
    Some((
        format!(
            "SELECT rowid FROM customer_search WHERE {clause}
             ORDER BY rowid {direction} LIMIT ? OFFSET ?"
        ),
        params,
    ))
}

/// The total of the most common lists, read from the counts the triggers keep (see the
/// schema): every customer, registered ones or guests; registered ones with one role;
/// buyers in one currency. `None` for any other filter.
fn kept_count(conn: &Connection, filter: &CustomerFilter) -> StoreResult<Option<u64>> {
    let only = |accounts, role, currency| CustomerFilter {
        accounts,
        role,
        currency,
        ..CustomerFilter::default()
    };
    let (sql, key) = if *filter == only(filter.accounts, None, None) {
        let column = match filter.accounts {
            AccountFilter::Any => "registered + guests",
            AccountFilter::Registered => "registered",
            AccountFilter::Guests => "guests",
        };
        (format!("SELECT {column} FROM customer_counts"), None)
    } else if let Some(role) = filter.role.filter(|role| {
        // A role belongs to an account, so "any" and "registered" count the same people.
        *filter == only(AccountFilter::Registered, Some(*role), None)
            || *filter == only(AccountFilter::Any, Some(*role), None)
    }) {
        (
            "SELECT registered FROM customer_role_counts WHERE role = ?1".to_owned(),
            Some(role.as_str().to_owned()),
        )
    } else if let Some(currency) = filter
        .currency
        .filter(|currency| *filter == only(AccountFilter::Any, None, Some(*currency)))
    {
        (
            "SELECT customers FROM currency_customer_counts WHERE currency = ?1".to_owned(),
            Some(currency.code().to_owned()),
        )
    } else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let total: Option<i64> = match key {
        Some(key) => statement.query_row([key], |row| row.get(0)).optional()?,
        None => statement.query_row([], |row| row.get(0)).optional()?,
    };
    Ok(Some(total.unwrap_or(0).max(0) as u64))
}

/// A page of customers with aggregates and the exact total.
pub(crate) fn list(
    conn: &Connection,
    query: &CustomerQuery,
    addresses: customers::Addresses,
) -> StoreResult<Page<CustomerRecord>> {
    let ids = page_ids(conn, query)?;
    let total = count(conn, query)?;
    let loaded = customers::load_with_downloads(conn, &ids, addresses)?;
    let mut stats: HashMap<i64, CustomerStats> = loaded
        .iter()
        .map(|(customer, download_count)| {
            let stats = CustomerStats {
                download_count: *download_count,
                ..CustomerStats::default()
            };
            (customer.id.0, stats)
        })
        .collect();
    ledger::add_kept_stats(conn, &ids, &mut stats)?;
    let items = loaded
        .into_iter()
        .map(|(customer, _)| CustomerRecord {
            stats: stats.remove(&customer.id.0).unwrap_or_default(),
            customer,
        })
        .collect();
    Ok(Page { items, total })
}

/// The aggregates of one customer.
pub(crate) fn stats(conn: &Connection, id: i64) -> StoreResult<customer_model::CustomerStats> {
    if !customers::exists(conn, id)? {
        return Err(customers::NOT_FOUND);
    }
    Ok(ledger::load_stats(conn, &[id])?
        .remove(&id)
        .unwrap_or_default())
}

/// SQLite's plan for the count query of `query`, one line per step; empty when the
/// count is kept by triggers.
pub(crate) fn explain_count(conn: &Connection, query: &CustomerQuery) -> StoreResult<Vec<String>> {
    if kept_count(conn, &query.filter)?.is_some() {
        return Ok(Vec::new());
    }
    let (sql, params) = match search_only(&query.filter) {
        Some((clause, params)) => (search_only_count_sql(&clause), params),
        _ => {
            let plan = plan(conn, query, Purpose::Count)?;
            (plan.count_sql(), plan.params(Purpose::Count))
        }
    };
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let lines = statement
        .query_map(params_from_iter(params.iter()), |row| {
            row.get::<_, String>(3)
        })?
        .collect::<Result<_, _>>()?;
    Ok(lines)
}

/// SQLite's plan for the page query of `query`, one line per step (for tests that check
/// that lists use indexes).
pub(crate) fn explain(conn: &Connection, query: &CustomerQuery) -> StoreResult<Vec<String>> {
    let (sql, params) = page_statement(conn, query)?;
    let params = params
        .into_iter()
        .chain([Value::Integer(10), Value::Integer(0)]);
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let lines = statement
        .query_map(params_from_iter(params), |row| row.get::<_, String>(3))?
        .collect::<Result<_, _>>()?;
    Ok(lines)
}
