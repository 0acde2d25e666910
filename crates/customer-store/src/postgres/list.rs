//! Customer lists and counts: a [`CustomerQuery`] becomes one SQL statement for the page's
//! ids and one for the exact count; the page's customers and aggregates are then read by
//! id in a fixed number of queries. Filters are indexed lookups or ranges on indexed
//! columns; substring searches are `LIKE '%term%'` over the lower-cased search row, which
//! the trigram GIN index serves (terms shorter than a trigram scan that table).

use customer_model::{
    AccountFilter, CustomerFilter, CustomerQuery, SearchField, SortDirection, SortKey, TextSearch,
    TimeRange,
};
use tokio_postgres::types::ToSql;

use super::ledger::{limit_value, load_stats, offset_value};
use super::{Tx, customers, ledger, query, query_opt};
use crate::values::{bound_ts, like_escape};
use crate::{CustomerRecord, Page, StoreResult};

type Param = Box<dyn ToSql + Sync + Send>;

/// The SQL of a query: `WHERE` conditions with their parameters, plus what sorting needs.
///
/// A query in one currency is driven from `customer_currency` (alias `cc`), which holds
/// exactly the buyers in it; `customers` (alias `c`) is joined only when a condition or
/// the sort reads one of its columns. `id` is the column that names the customer.
struct Plan {
    id: &'static str,
    by_currency: bool,
    reads_customers: bool,
    /// The `include` list, when the page is in its order.
    include_order: Option<Vec<i64>>,
    conditions: Vec<String>,
    params: Vec<Param>,
    order: String,
}

impl Plan {
    /// Adds a parameter and returns its placeholder.
    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// A condition on a column of `customers` itself.
    fn customer_condition(&mut self, sql: String) {
        self.reads_customers = true;
        self.conditions.push(sql);
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }

    fn tables_sql(&self) -> &'static str {
        match (self.by_currency, self.reads_customers) {
            (false, _) => "customers c",
            (true, false) => "customer_currency cc",
            (true, true) => "customer_currency cc JOIN customers c ON c.id = cc.customer_id",
        }
    }

    /// The page's SQL and parameters: the conditions', then the include order's, limit
    /// and offset.
    fn page(mut self, limit: Option<i64>, offset: i64) -> (String, Vec<Param>) {
        let join = match self.include_order.take() {
            Some(ids) => {
                let ids = self.bind(ids);
                format!(
                    "JOIN unnest({ids}::bigint[]) WITH ORDINALITY AS inc(id, position) ON inc.id = c.id"
                )
            }
            None => String::new(),
        };
        let limit = self.bind(limit);
        let offset = self.bind(offset);
        let sql = format!(
            "SELECT {} FROM {} {join} {} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            self.id,
            self.tables_sql(),
            self.where_clause(),
            self.order
        );
        (sql, self.params)
    }

    fn count(self) -> (String, Vec<Param>) {
        let sql = format!(
            "SELECT COUNT(*) FROM {} {}",
            self.tables_sql(),
            self.where_clause()
        );
        (sql, self.params)
    }
}

/// The `customer_search` column of a search field.
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

/// The fields' columns OR-ed as `LIKE` conditions on alias `s`, with the pattern bound;
/// `None` when no field can match: none is searched, or the term is longer than any
/// stored value (the index is then not asked).
fn search_matches(search: &TextSearch, plan: &mut Plan) -> Option<String> {
    let mut columns: Vec<&str> = search.fields.iter().map(|f| search_column(*f)).collect();
    columns.sort_unstable();
    columns.dedup();
    if columns.is_empty() || !search.term_fits() {
        return None;
    }
    let pattern = plan.bind(format!("%{}%", like_escape(&search.term.to_lowercase())));
    let likes: Vec<String> = columns
        .iter()
        .map(|column| format!("s.{column} LIKE {pattern}"))
        .collect();
    Some(format!("({})", likes.join(" OR ")))
}

/// One search as a condition: fields OR-ed, and the id when asked for.
fn search_condition(search: &TextSearch, plan: &mut Plan) {
    if search.term.is_empty() {
        return;
    }
    let id = plan.id;
    let mut alternatives = Vec::new();
    if let Some(matches) = search_matches(search, plan) {
        alternatives.push(format!(
            "{id} IN (SELECT s.customer_id FROM customer_search s WHERE {matches})"
        ));
    }
    if search.match_id
        && let Ok(number) = search.term.trim().parse::<i64>()
    {
        let number = plan.bind(number);
        alternatives.push(format!("{id} = {number}"));
    }
    if alternatives.is_empty() {
        plan.conditions.push("FALSE".into());
    } else {
        plan.conditions
            .push(format!("({})", alternatives.join(" OR ")));
    }
}

fn range_condition(column: &str, range: &TimeRange, plan: &mut Plan) -> StoreResult<()> {
    if let Some(from) = range.from {
        let from = plan.bind(bound_ts(from));
        plan.customer_condition(format!("{column} >= {from}"));
    }
    if let Some(to) = range.to {
        let to = plan.bind(bound_ts(to));
        plan.customer_condition(format!("{column} <= {to}"));
    }
    Ok(())
}

fn unique_ids(ids: &[customer_model::CustomerId]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .map(|id| id.0)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// What a plan is for: a count needs only the conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Page,
    Count,
}

/// The customer that owns an e-mail address (folded), at position 0 only when
/// `primary_only`. Looked up before planning, so that the list's condition is one id.
async fn email_owner(tx: &Tx<'_>, address: &str, primary_only: bool) -> StoreResult<Option<i64>> {
    let sql = if primary_only {
        "SELECT customer_id FROM customer_emails WHERE address_folded = $1 AND position = 0"
    } else {
        "SELECT customer_id FROM customer_emails WHERE address_folded = $1"
    };
    Ok(query_opt(tx, sql, &[&address.to_ascii_lowercase()])
        .await?
        .map(|row| row.get(0)))
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
        (Some(from), None) => {
            let from = plan.bind(from);
            plan.conditions.push(format!("cc.last_order_at >= {from}"));
        }
        (None, Some(to)) => {
            let to = plan.bind(to);
            plan.conditions.push(format!("cc.first_order_at <= {to}"));
        }
        (Some(from), Some(to)) => {
            let (from, to) = (plan.bind(from), plan.bind(to));
            plan.conditions.push(format!(
                "cc.last_order_at >= {from} AND cc.first_order_at <= {to}
                 AND (cc.first_order_at >= {from} OR cc.last_order_at <= {to}
                      OR EXISTS (SELECT 1 FROM orders o
                                 WHERE o.customer_id = cc.customer_id
                                   AND o.currency = cc.currency
                                   AND o.created_at >= {from} AND o.created_at <= {to}))"
            ));
        }
    }
    Ok(())
}

async fn plan(tx: &Tx<'_>, query: &CustomerQuery, purpose: Purpose) -> StoreResult<Plan> {
    let filter: &CustomerFilter = &query.filter;
    // Every customer in a currency has its row in `customer_currency`: a count, or a page
    // in last-order order, walks that table's index for the currency.
    let by_currency = filter.currency.is_some()
        && (purpose == Purpose::Count || query.sort == SortKey::LastOrder);
    let mut plan = Plan {
        id: if by_currency {
            "cc.customer_id"
        } else {
            "c.id"
        },
        by_currency,
        reads_customers: false,
        include_order: None,
        conditions: Vec::new(),
        params: Vec::new(),
        order: String::new(),
    };
    let id = plan.id;
    if let Some(currency) = filter.currency {
        let code = plan.bind(currency.code().to_owned());
        if by_currency {
            plan.conditions.push(format!("cc.currency = {code}"));
        } else {
            plan.conditions.push(format!(
                "EXISTS (SELECT 1 FROM customer_currency
                         WHERE customer_id = c.id AND currency = {code})"
            ));
        }
    }
    match filter.accounts {
        AccountFilter::Any => {}
        AccountFilter::Registered => plan.customer_condition("c.username IS NOT NULL".into()),
        AccountFilter::Guests => plan.customer_condition("c.username IS NULL".into()),
    }
    if let Some(role) = filter.role {
        let role = plan.bind(role.as_str().to_owned());
        plan.customer_condition(format!("c.role = {role}"));
    }
    for (address, primary_only) in [(&filter.email, true), (&filter.any_email, false)] {
        if let Some(address) = address {
            // No owner: `= NULL` matches nothing.
            let owner = email_owner(tx, address, primary_only).await?;
            let owner = plan.bind(owner);
            plan.conditions.push(format!("{id} = {owner}"));
        }
    }
    for search in &filter.search {
        search_condition(search, &mut plan);
    }
    if !filter.include.is_empty() {
        let ids = plan.bind(unique_ids(&filter.include));
        plan.conditions.push(format!("{id} = ANY({ids})"));
    }
    if !filter.exclude.is_empty() {
        let ids = plan.bind(unique_ids(&filter.exclude));
        plan.conditions.push(format!("{id} <> ALL({ids})"));
    }
    range_condition("c.created_at", &filter.created, &mut plan)?;
    range_condition("c.modified_at", &filter.modified, &mut plan)?;
    if !filter.ordered.is_unbounded() {
        if by_currency {
            ordered_in_currency(&filter.ordered, &mut plan)?;
        } else {
            let mut inner = Vec::new();
            if let Some(from) = filter.ordered.from {
                let from = plan.bind(bound_ts(from));
                inner.push(format!("created_at >= {from}"));
            }
            if let Some(to) = filter.ordered.to {
                let to = plan.bind(bound_ts(to));
                inner.push(format!("created_at <= {to}"));
            }
            if let Some(currency) = filter.currency {
                let code = plan.bind(currency.code().to_owned());
                inner.push(format!("currency = {code}"));
            }
            plan.conditions.push(format!(
                "c.id IN (SELECT customer_id FROM orders WHERE {})",
                inner.join(" AND ")
            ));
        }
    }
    if let Some(product) = filter.product {
        let product = plan.bind(product.0);
        plan.conditions.push(format!(
            "{id} IN (SELECT customer_id FROM order_items WHERE product_id = {product})"
        ));
    }
    if let Some(status) = filter.subscription_status {
        let status = plan.bind(status.index() as i64);
        plan.conditions.push(format!(
            "{id} IN (SELECT customer_id FROM subscriptions WHERE status = {status})"
        ));
    }
    let (direction, nulls) = match query.direction {
        SortDirection::Ascending => ("ASC", "NULLS FIRST"),
        SortDirection::Descending => ("DESC", "NULLS LAST"),
    };
    if by_currency {
        plan.order = format!("cc.last_order_at {direction}, cc.customer_id {direction}");
        return Ok(plan);
    }
    let key = match query.sort {
        SortKey::Id => None,
        SortKey::DisplayName => Some(r#"clientele_fold(c.display_name) COLLATE "C""#.to_owned()),
        SortKey::Username => {
            Some(r#"clientele_fold(COALESCE(c.username, '')) COLLATE "C""#.to_owned())
        }
        SortKey::Created => Some("c.created_at".to_owned()),
        SortKey::Modified => Some(format!("c.modified_at {direction} {nulls}")),
        SortKey::LastOrder => Some(format!("c.last_order_at {direction} {nulls}")),
        SortKey::IncludeOrder if filter.include.is_empty() => None,
        SortKey::IncludeOrder => {
            plan.include_order = Some(unique_ids(&filter.include));
            Some("inc.position".to_owned())
        }
    };
    plan.order = match key {
        // A key that names its null order carries its direction already.
        Some(key) if key.ends_with("NULLS FIRST") || key.ends_with("NULLS LAST") => {
            format!("{key}, c.id {direction}")
        }
        Some(key) => format!("{key} {direction}, c.id {direction}"),
        None => format!("c.id {direction}"),
    };
    Ok(plan)
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// A filter that is one substring search alone (of at least one trigram, and not also an
/// id): its total is counted in the search table, and its page in id order read from it.
fn search_only(filter: &CustomerFilter) -> Option<&TextSearch> {
    let [search] = filter.search.as_slice() else {
        return None;
    };
    let matches_id = search.match_id && search.term.trim().parse::<i64>().is_ok();
    let search_only = CustomerFilter {
        search: filter.search.clone(),
        ..CustomerFilter::default()
    };
    (!matches_id
        && !search.fields.is_empty()
        && search.is_indexed()
        && search.term_fits()
        && *filter == search_only)
        .then_some(search)
}

/// The page statement of `query`, without its aggregates.
async fn page_statement(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<(String, Vec<Param>)> {
    let limit = limit_value(query.page.limit);
    let offset = offset_value(query.page.offset);
    if let Some(search) = search_only(&query.filter).filter(|_| query.sort == SortKey::Id) {
        let mut plan = empty_plan();
        let matches = search_matches(search, &mut plan).unwrap_or_else(|| "FALSE".into());
        let direction = match query.direction {
            SortDirection::Ascending => "ASC",
            SortDirection::Descending => "DESC",
        };
        let (limit, offset) = (plan.bind(limit), plan.bind(offset));
        return Ok((
            format!(
                "SELECT s.customer_id FROM customer_search s WHERE {matches}
                 ORDER BY s.customer_id {direction} LIMIT {limit} OFFSET {offset}"
            ),
            plan.params,
        ));
    }
    Ok(plan(tx, query, Purpose::Page).await?.page(limit, offset))
}

fn empty_plan() -> Plan {
    Plan {
        id: "c.id",
        by_currency: false,
        reads_customers: false,
        include_order: None,
        conditions: Vec::new(),
        params: Vec::new(),
        order: String::new(),
    }
}

/// The ids of a page of `query`, in order.
async fn page_ids(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<Vec<i64>> {
    let (sql, params) = page_statement(tx, query).await?;
    Ok(super::query(tx, &sql, &refs(&params))
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// How many customers match `query`'s filters.
pub(crate) async fn count(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<u64> {
    if let Some(total) = kept_count(tx, &query.filter).await? {
        return Ok(total);
    }
    let (sql, params) = count_statement(tx, query).await?;
    let total: i64 = query_opt(tx, &sql, &refs(&params))
        .await?
        .map_or(0, |row| row.get(0));
    Ok(total as u64)
}

async fn count_statement(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<(String, Vec<Param>)> {
    if let Some(search) = search_only(&query.filter) {
        let mut plan = empty_plan();
        let matches = search_matches(search, &mut plan).unwrap_or_else(|| "FALSE".into());
        return Ok((
            format!("SELECT COUNT(*) FROM customer_search s WHERE {matches}"),
            plan.params,
        ));
    }
    Ok(plan(tx, query, Purpose::Count).await?.count())
}

/// The total of the most common lists, read from the counts the triggers keep (see the
/// schema): every customer, registered ones or guests; registered ones with one role;
/// buyers in one currency. `None` for any other filter.
async fn kept_count(tx: &Tx<'_>, filter: &CustomerFilter) -> StoreResult<Option<u64>> {
    let only = |accounts, role, currency| CustomerFilter {
        accounts,
        role,
        currency,
        ..CustomerFilter::default()
    };
    let row = if *filter == only(filter.accounts, None, None) {
        let column = match filter.accounts {
            AccountFilter::Any => "registered + guests",
            AccountFilter::Registered => "registered",
            AccountFilter::Guests => "guests",
        };
        query_opt(tx, &format!("SELECT {column} FROM customer_counts"), &[]).await?
    } else if let Some(role) = filter.role.filter(|role| {
        // A role belongs to an account, so "any" and "registered" count the same people.
        *filter == only(AccountFilter::Registered, Some(*role), None)
            || *filter == only(AccountFilter::Any, Some(*role), None)
    }) {
        query_opt(
            tx,
            "SELECT registered FROM customer_role_counts WHERE role = $1",
            &[&role.as_str()],
        )
        .await?
    } else if let Some(currency) = filter
        .currency
        .filter(|currency| *filter == only(AccountFilter::Any, None, Some(*currency)))
    {
        query_opt(
            tx,
            "SELECT customers FROM currency_customer_counts WHERE currency = $1",
            &[&currency.code()],
        )
        .await?
    } else {
        return Ok(None);
    };
    let total: i64 = row.map_or(0, |row| row.get(0));
    Ok(Some(total.max(0) as u64))
}

/// A page of customers with aggregates and the exact total.
pub(crate) async fn list(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
    let ids = page_ids(tx, query).await?;
    let total = count(tx, query).await?;
    let mut stats = load_stats(tx, &ids).await?;
    let items = customers::load_many(tx, &ids)
        .await?
        .into_iter()
        .map(|customer| CustomerRecord {
            stats: stats.remove(&customer.id.0).unwrap_or_default(),
            customer,
        })
        .collect();
    Ok(Page { items, total })
}

/// The aggregates of one customer.
pub(crate) async fn stats(tx: &Tx<'_>, id: i64) -> StoreResult<customer_model::CustomerStats> {
    if !customers::exists(tx, id).await? {
        return Err(customers::NOT_FOUND);
    }
    Ok(ledger::load_stats(tx, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// PostgreSQL's plan for the page query of `query` (for checks that lists use indexes).
pub(crate) async fn explain(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<Vec<String>> {
    let (sql, params) = page_statement(tx, query).await?;
    explain_sql(tx, &sql, &params).await
}

/// PostgreSQL's plan for the count query of `query`; empty when the count is kept by
/// triggers.
pub(crate) async fn explain_count(tx: &Tx<'_>, query: &CustomerQuery) -> StoreResult<Vec<String>> {
    if kept_count(tx, &query.filter).await?.is_some() {
        return Ok(Vec::new());
    }
    let (sql, params) = count_statement(tx, query).await?;
    explain_sql(tx, &sql, &params).await
}

async fn explain_sql(tx: &Tx<'_>, sql: &str, params: &[Param]) -> StoreResult<Vec<String>> {
    Ok(query(tx, &format!("EXPLAIN {sql}"), &refs(params))
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}
