//! Customer lists and counts: a [`CustomerQuery`] becomes one SQL statement for the page's
//! ids and one for the exact count; the page's customers and aggregates are then read by
//! id in a fixed number of queries. Every filter is an indexed lookup (`IN (SELECT …)`
//! over an index, or a range on an indexed column); substring searches go through the
//! FTS5 trigram index, or through `LIKE` over that index's text for terms shorter than a
//! trigram.

use customer_model::{
    AccountFilter, CustomerFilter, CustomerQuery, SearchField, SortDirection, SortKey, TextSearch,
    TimeRange,
};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::codec::{like_escape, ts};
use super::ledger::{limit_value, load_stats, offset_value};
use super::{customers, ledger};
use crate::{CustomerRecord, Page, StoreResult};

/// The SQL of a query: `WHERE` conditions with their parameters, plus what sorting needs.
struct Plan {
    joins: String,
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

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }

    fn select_ids_sql(&self) -> String {
        format!(
            "SELECT c.id FROM customers c {} {} ORDER BY {} LIMIT ? OFFSET ?",
            self.joins,
            self.where_clause(),
            self.order
        )
    }

    fn count_sql(&self) -> String {
        format!("SELECT COUNT(*) FROM customers c {}", self.where_clause())
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

/// One search as a condition: fields OR-ed, and the id when asked for.
fn search_condition(search: &TextSearch, plan: &mut Plan) {
    if search.term.is_empty() {
        return;
    }
    let mut columns: Vec<&str> = search.fields.iter().map(|f| search_column(*f)).collect();
    columns.dedup();
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    if !columns.is_empty() {
        if search.term.chars().count() >= 3 {
            let phrase = format!(
                "{{{}}} : \"{}\"",
                columns.join(" "),
                search.term.replace('"', "\"\"")
            );
            alternatives.push(
                "c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?)"
                    .to_owned(),
            );
            params.push(Value::Text(phrase));
        } else {
            // Shorter than one trigram: the index cannot help, so scan its text.
            let pattern = format!("%{}%", like_escape(&search.term));
            let likes: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
                .collect();
            alternatives.push(format!(
                "c.id IN (SELECT rowid FROM customer_search WHERE {})",
                likes.join(" OR ")
            ));
            params.extend(columns.iter().map(|_| Value::Text(pattern.clone())));
        }
    }
    if search.match_id
        && let Ok(id) = search.term.trim().parse::<i64>()
    {
        alternatives.push("c.id = ?".to_owned());
        params.push(Value::Integer(id));
    }
    if alternatives.is_empty() {
        plan.condition("0", []);
    } else {
        plan.condition(format!("({})", alternatives.join(" OR ")), params);
    }
}

fn range_condition(column: &str, range: &TimeRange, plan: &mut Plan) -> StoreResult<()> {
    if let Some(from) = range.from {
        plan.condition(format!("{column} >= ?"), [Value::Integer(ts(from)?)]);
    }
    if let Some(to) = range.to {
        plan.condition(format!("{column} <= ?"), [Value::Integer(ts(to)?)]);
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

fn plan(query: &CustomerQuery) -> StoreResult<Plan> {
    let filter: &CustomerFilter = &query.filter;
    let mut plan = Plan {
        joins: String::new(),
        join_params: Vec::new(),
        conditions: Vec::new(),
        params: Vec::new(),
        order: String::new(),
    };
    match filter.accounts {
        AccountFilter::Any => {}
        AccountFilter::Registered => plan.condition("c.username IS NOT NULL", []),
        AccountFilter::Guests => plan.condition("c.username IS NULL", []),
    }
    if let Some(role) = filter.role {
        plan.condition("c.role = ?", [Value::Text(role.as_str().into())]);
    }
    if let Some(email) = &filter.email {
        plan.condition(
            "c.id IN (SELECT customer_id FROM customer_emails
                      WHERE address_folded = ? AND position = 0)",
            [Value::Text(email.to_ascii_lowercase())],
        );
    }
    if let Some(email) = &filter.any_email {
        plan.condition(
            "c.id IN (SELECT customer_id FROM customer_emails WHERE address_folded = ?)",
            [Value::Text(email.to_ascii_lowercase())],
        );
    }
    for search in &filter.search {
        search_condition(search, &mut plan);
    }
    if !filter.include.is_empty() {
        plan.condition(
            "c.id IN (SELECT value FROM json_each(?))",
            [id_list(&filter.include)],
        );
    }
    if !filter.exclude.is_empty() {
        plan.condition(
            "c.id NOT IN (SELECT value FROM json_each(?))",
            [id_list(&filter.exclude)],
        );
    }
    range_condition("c.created_at", &filter.created, &mut plan)?;
    range_condition("c.modified_at", &filter.modified, &mut plan)?;
    if let Some(currency) = filter.currency {
        plan.condition(
            "c.id IN (SELECT customer_id FROM customer_currency WHERE currency = ?)",
            [Value::Text(currency.code().into())],
        );
    }
    if !filter.ordered.is_unbounded() {
        let mut inner = Plan {
            joins: String::new(),
            join_params: Vec::new(),
            conditions: Vec::new(),
            params: Vec::new(),
            order: String::new(),
        };
        range_condition("created_at", &filter.ordered, &mut inner)?;
        if let Some(currency) = filter.currency {
            inner.condition("currency = ?", [Value::Text(currency.code().into())]);
        }
        plan.condition(
            format!(
                "c.id IN (SELECT customer_id FROM orders {})",
                inner.where_clause()
            ),
            inner.params,
        );
    }
    if let Some(product) = filter.product {
        plan.condition(
            "c.id IN (SELECT customer_id FROM order_items WHERE product_id = ?)",
            [Value::Integer(product.0)],
        );
    }
    if let Some(status) = filter.subscription_status {
        plan.condition(
            "c.id IN (SELECT customer_id FROM subscriptions WHERE status = ?)",
            [Value::Integer(status.index() as i64)],
        );
    }
    let direction = match query.direction {
        SortDirection::Ascending => "ASC",
        SortDirection::Descending => "DESC",
    };
    let key = match query.sort {
        SortKey::Id => None,
        SortKey::DisplayName => Some("c.display_name COLLATE NOCASE".to_owned()),
        SortKey::Username => Some("IFNULL(c.username, '') COLLATE NOCASE".to_owned()),
        SortKey::Created => Some("c.created_at".to_owned()),
        SortKey::Modified => Some("c.modified_at".to_owned()),
        SortKey::LastOrder => match filter.currency {
            // The currency filter keeps only customers with a row here, so an inner join
            // loses nobody and lets SQLite walk `customer_currency_last_order` in order.
            Some(currency) => {
                plan.joins = "JOIN customer_currency cc
                                  ON cc.customer_id = c.id AND cc.currency = ?"
                    .into();
                plan.join_params.push(Value::Text(currency.code().into()));
                plan.order = format!("cc.last_order_at {direction}, cc.customer_id {direction}");
                return Ok(plan);
            }
            None => Some("c.last_order_at".to_owned()),
        },
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

/// The ids of a page of `query`, in order.
fn page_ids(conn: &Connection, query: &CustomerQuery) -> StoreResult<Vec<i64>> {
    let plan = plan(query)?;
    let params = plan.join_params.iter().chain(&plan.params).cloned().chain([
        Value::Integer(limit_value(query.page.limit)),
        Value::Integer(offset_value(query.page.offset)),
    ]);
    let mut statement = conn.prepare_cached(&plan.select_ids_sql())?;
    let ids = statement
        .query_map(params_from_iter(params), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// How many customers match `query`'s filters.
pub(crate) fn count(conn: &Connection, query: &CustomerQuery) -> StoreResult<u64> {
    let accounts_only = CustomerFilter {
        accounts: query.filter.accounts,
        ..CustomerFilter::default()
    };
    if query.filter == accounts_only {
        let column = match query.filter.accounts {
            AccountFilter::Any => "registered + guests",
            AccountFilter::Registered => "registered",
            AccountFilter::Guests => "guests",
        };
        let total: i64 = conn
            .prepare_cached(&format!("SELECT {column} FROM customer_counts"))?
            .query_row([], |row| row.get(0))?;
        return Ok(total as u64);
    }
    let plan = plan(query)?;
    let total: i64 = conn
        .prepare_cached(&plan.count_sql())?
        .query_row(params_from_iter(plan.params.iter()), |row| row.get(0))?;
    Ok(total as u64)
}

/// A page of customers with aggregates and the exact total.
pub(crate) fn list(conn: &Connection, query: &CustomerQuery) -> StoreResult<Page<CustomerRecord>> {
    let ids = page_ids(conn, query)?;
    let total = count(conn, query)?;
    let mut stats = load_stats(conn, &ids)?;
    let items = customers::load_many(conn, &ids)?
        .into_iter()
        .map(|customer| CustomerRecord {
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

/// SQLite's plan for the page query of `query`, one line per step (for tests that check
/// that lists use indexes).
pub(crate) fn explain(conn: &Connection, query: &CustomerQuery) -> StoreResult<Vec<String>> {
    let plan = plan(query)?;
    let params = plan
        .join_params
        .iter()
        .chain(&plan.params)
        .cloned()
        .chain([Value::Integer(10), Value::Integer(0)]);
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", plan.select_ids_sql()))?;
    let lines = statement
        .query_map(params_from_iter(params), |row| row.get::<_, String>(3))?
        .collect::<Result<_, _>>()?;
    Ok(lines)
}
