//! Customer rows: create, read (one or a page at a time), update, delete, and the search
//! index row kept beside each customer. Functions run on a connection or transaction the
//! caller holds; they never open transactions themselves.

use customer_model::customer::apply_meta_updates;
use customer_model::{
    Account, Address, Customer, CustomerId, CustomerPatch, Email, MetaEntry, NewCustomer, Role,
    Timestamp, Username,
};
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};

use super::codec::{
    address_from_json, address_to_json, backend, from_ts, invalid, new_uuid, now, opt_ts,
    over_limit, ts, uuid_from,
};
use crate::{StoreError, StoreResult};

/// A customer was not found.
pub(crate) const NOT_FOUND: StoreError = StoreError::NotFound { entity: "customer" };

/// How a customer row is written beyond the [`NewCustomer`] itself.
#[derive(Debug, Default)]
pub(crate) struct InsertOptions<'a> {
    /// The account's password, already hashed.
    pub password_hash: Option<&'a str>,
    /// The last change, when it is not the creation (data moved from another store).
    pub modified_at: Option<Timestamp>,
    /// Ids of the meta data entries, by position; missing ones are assigned.
    pub meta_ids: &'a [Option<i64>],
    /// What [`EncodedCustomer::of`] gives for the customer, computed beforehand (on
    /// another thread than the writer's); computed by the insert when `None`.
    pub encoded: Option<&'a EncodedCustomer>,
}

/// What inserting a customer computes from it before any SQL runs: the stored form of its
/// addresses, its display name and its search row's text. The writer connection is the
/// one thing all writes queue for, so writers that can compute this elsewhere beforehand
/// (an import, a group of creates) hand it to [`insert`] ready.
#[derive(Debug)]
pub(crate) struct EncodedCustomer {
    billing: String,
    shipping: String,
    display_name: String,
    /// The search row's columns, in [`SearchText::columns`] order.
    pub search: [String; 7],
}

impl EncodedCustomer {
    pub(crate) fn of(new: &NewCustomer) -> Self {
        let display_name = new.effective_display_name();
        let search = SearchRow {
            id: 0,
            first_name: &new.first_name,
            last_name: &new.last_name,
            display_name: &display_name,
            email: &new.email,
            additional_emails: &new.additional_emails,
            username: new.account.as_ref().map(|a| a.username.as_str()),
            billing: &new.billing,
            shipping: &new.shipping,
        }
        .text()
        .columns;
        Self {
            billing: address_to_json(&new.billing),
            shipping: address_to_json(&new.shipping),
            display_name,
            search,
        }
    }

    /// The search row of the customer stored under `id`.
    pub(crate) fn search_text(self, id: i64) -> SearchText {
        SearchText {
            id,
            columns: self.search,
        }
    }
}

/// Adds a customer row.
const INSERT_CUSTOMER: &str = "INSERT INTO customers (id, uuid, email, first_name, last_name,
         display_name, username, username_folded, role, password_hash, billing, shipping,
         avatar_url, created_at, modified_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
/// Adds one of a customer's e-mail addresses.
const INSERT_EMAIL: &str = "INSERT INTO customer_emails (address_folded, customer_id, position,
         address)
     VALUES (?1, ?2, ?3, ?4)";
/// Adds one of a customer's meta data entries.
const INSERT_META: &str =
    "INSERT INTO customer_meta (id, customer_id, key, value) VALUES (?1, ?2, ?3, ?4)";

/// The statements that add a customer, its e-mail addresses and its meta data, prepared
/// once for many customers: an import writes millions, and finding three statements in
/// the connection's cache for each (hashing their text, taking them out and putting them
/// back) was 7% of its writing thread while customers went in.
pub(crate) struct CustomerStatements<'conn> {
    customer: CachedStatement<'conn>,
    email: CachedStatement<'conn>,
    meta: CachedStatement<'conn>,
}

impl<'conn> CustomerStatements<'conn> {
    /// The statements, from `conn`'s cache.
    pub(crate) fn prepare(conn: &'conn Connection) -> StoreResult<Self> {
        Ok(Self {
            customer: conn.prepare_cached(INSERT_CUSTOMER)?,
            email: conn.prepare_cached(INSERT_EMAIL)?,
            meta: conn.prepare_cached(INSERT_META)?,
        })
    }
}

/// Inserts `new` and returns its id. Its search row is the caller's to write (from
/// [`EncodedCustomer::search`]): a group of creates writes its rows after its savepoints,
/// an import at its end.
pub(crate) fn insert(
    conn: &Connection,
    new: &NewCustomer,
    options: &InsertOptions<'_>,
) -> StoreResult<CustomerId> {
    insert_with(conn, &mut CustomerStatements::prepare(conn)?, new, options)
}

/// [`insert`], with statements the caller holds for many customers.
pub(crate) fn insert_with(
    conn: &Connection,
    statements: &mut CustomerStatements<'_>,
    new: &NewCustomer,
    options: &InsertOptions<'_>,
) -> StoreResult<CustomerId> {
    if new.id.is_some_and(|id| id.0 <= 0) {
        return Err(invalid("", "id", "must be a positive integer"));
    }
    new.check_limits()
        .map_err(|errors| over_limit("", errors))?;
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid("", "created_at", "outside the years 1677 to 2262"))?;
    let modified_at = match options.modified_at {
        Some(at) => {
            ts(at).map_err(|_| invalid("", "modified_at", "outside the years 1677 to 2262"))?
        }
        None => created_at,
    };
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let computed;
    let encoded = match options.encoded {
        Some(encoded) => encoded,
        None => {
            computed = EncodedCustomer::of(new);
            &computed
        }
    };
    let account = new.account.as_ref();
    statements.customer.execute(params![
        new.id.map(|id| id.0),
        uuid.as_bytes().as_slice(),
        new.email.as_str(),
        new.first_name,
        new.last_name,
        encoded.display_name,
        account.map(|a| a.username.as_str()),
        account.map(|a| a.username.folded()),
        account.map(|a| a.role.as_str()),
        options.password_hash,
        encoded.billing,
        encoded.shipping,
        new.avatar_url,
        created_at,
        modified_at,
    ])?;
    let id = conn.last_insert_rowid();
    insert_emails(
        &mut statements.email,
        id,
        &new.email,
        &new.additional_emails,
    )?;
    for (position, (key, value)) in new.meta_data.iter().enumerate() {
        let meta_id = options.meta_ids.get(position).copied().flatten();
        statements
            .meta
            .execute(params![meta_id, id, key, value.to_string()])?;
    }
    Ok(CustomerId(id))
}

/// Adds a customer's addresses with `add`, prepared from [`INSERT_EMAIL`].
fn insert_emails(
    add: &mut CachedStatement<'_>,
    id: i64,
    primary: &Email,
    additional: &[Email],
) -> StoreResult<()> {
    for (position, email) in std::iter::once(primary).chain(additional).enumerate() {
        add.execute(params![email.folded(), id, position as i64, email.as_str()])?;
    }
    Ok(())
}

/// What the search index holds of a customer.
struct SearchRow<'a> {
    id: i64,
    first_name: &'a str,
    last_name: &'a str,
    display_name: &'a str,
    email: &'a Email,
    additional_emails: &'a [Email],
    username: Option<&'a str>,
    billing: &'a Address,
    shipping: &'a Address,
}

/// Joins values with a line feed, so that no search term without one matches across two.
/// The text is sized first: grown piece by piece, an address's text was copied as it
/// grew, 2.5% of an import's writing thread while customers went in.
fn joined<'a, I>(values: I) -> String
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    let values = values.into_iter();
    let len = values.clone().map(|value| value.len() + 1).sum::<usize>();
    let mut text = String::with_capacity(len.saturating_sub(1));
    for (position, value) in values.enumerate() {
        if position > 0 {
            text.push('\n');
        }
        text.push_str(value);
    }
    text
}

fn address_text(address: &Address) -> String {
    joined(address.fields().iter().map(|(_, value)| *value))
}

/// The statement that adds a row to the search index, for [`SearchText::columns`] in
/// order.
pub(crate) const INSERT_SEARCH_ROW: &str =
    "INSERT INTO customer_search (rowid, names, display_name, email, additional_emails,
         username, billing, shipping)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// A customer's row of the search index: the id, and the text of each column.
pub(crate) struct SearchText {
    pub id: i64,
    pub columns: [String; 7],
}

impl SearchText {
    /// Adds the row with a statement prepared from [`INSERT_SEARCH_ROW`].
    pub(crate) fn insert_with(&self, statement: &mut rusqlite::Statement<'_>) -> StoreResult<()> {
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&self.id];
        values.extend(
            self.columns
                .iter()
                .map(|column| column as &dyn rusqlite::ToSql),
        );
        statement.execute(values.as_slice())?;
        Ok(())
    }
}

impl SearchRow<'_> {
    fn text(&self) -> SearchText {
        SearchText {
            id: self.id,
            columns: [
                joined([self.first_name, self.last_name]),
                self.display_name.to_owned(),
                self.email.as_str().to_owned(),
                joined(self.additional_emails.iter().map(Email::as_str)),
                self.username.unwrap_or_default().to_owned(),
                address_text(self.billing),
                address_text(self.shipping),
            ],
        }
    }
}

/// Adds the search rows of new customers (written without them) with one statement.
pub(crate) fn write_search_rows(conn: &Connection, rows: &[SearchText]) -> StoreResult<()> {
    let mut statement = conn.prepare_cached(INSERT_SEARCH_ROW)?;
    for row in rows {
        row.insert_with(&mut statement)?;
    }
    Ok(())
}

/// Puts `row` in place of the customer's search row.
fn replace_search_row(conn: &Connection, row: &SearchText) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM customer_search WHERE rowid = ?1")?
        .execute([row.id])?;
    let mut statement = conn.prepare_cached(INSERT_SEARCH_ROW)?;
    row.insert_with(&mut statement)
}

/// The id of the customer with `uuid`.
pub(crate) fn id_by_uuid(conn: &Connection, uuid: &customer_model::Uuid) -> StoreResult<i64> {
    conn.prepare_cached("SELECT id FROM customers WHERE uuid = ?1")?
        .query_row([uuid.as_bytes().as_slice()], |row| row.get(0))
        .optional()?
        .ok_or(NOT_FOUND)
}

/// The id of the customer with this primary or additional address (ignoring case).
pub(crate) fn id_by_email(conn: &Connection, email: &str) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT customer_id FROM customer_emails WHERE address_folded = ?1")?
        .query_row([email.to_ascii_lowercase()], |row| row.get(0))
        .optional()?)
}

/// Whether a customer with `id` exists.
pub(crate) fn exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM customers WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The customer with `id`.
pub(crate) fn load(conn: &Connection, id: i64) -> StoreResult<Customer> {
    load_many(conn, &[id])?.pop().ok_or(NOT_FOUND)
}

/// The customers with `ids`, in the order of `ids` (missing ones left out), read with
/// at most three queries whatever the number of ids.
pub(crate) fn load_many(conn: &Connection, ids: &[i64]) -> StoreResult<Vec<Customer>> {
    Ok(load_with_downloads(conn, ids, Addresses::Read)?
        .into_iter()
        .map(|(customer, _)| customer)
        .collect())
}

/// Whether a read of customers reads their billing and shipping addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addresses {
    Read,
    /// Left empty, for a caller that never reads them: parsing two addresses was an
    /// eighth of an easycart list's instructions.
    LeftEmpty,
}

/// Like [`load_many`], each customer with the download count its row keeps (the one
/// aggregate held there), so that a list reads each row once.
pub(crate) fn load_with_downloads(
    conn: &Connection,
    ids: &[i64],
    addresses: Addresses,
) -> StoreResult<Vec<(Customer, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = super::codec::id_set(ids);
    let mut by_id = std::collections::HashMap::with_capacity(ids.len());
    {
        let address_columns = match addresses {
            Addresses::Read => "billing, shipping",
            Addresses::LeftEmpty => "'', ''",
        };
        let mut rows = conn.prepare_cached(&format!(
            "SELECT id, uuid, email, first_name, last_name, display_name, username, role,
                 password_hash, {address_columns}, avatar_url, created_at, modified_at,
                 download_count
             FROM {}customers WHERE id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = rows.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let uuid: Vec<u8> = row.get(1)?;
            let email: String = row.get(2)?;
            let username: Option<String> = row.get(6)?;
            let role: Option<String> = row.get(7)?;
            let account = match username {
                None => None,
                Some(name) => Some(Account {
                    username: stored_username(name)?,
                    role: role
                        .as_deref()
                        .and_then(Role::parse)
                        .unwrap_or(Role::Customer),
                    password_hash: row.get(8)?,
                }),
            };
            let billing: String = row.get(9)?;
            let shipping: String = row.get(10)?;
            by_id.insert(
                id,
                (
                    Customer {
                        id: CustomerId(id),
                        uuid: uuid_from(&uuid),
                        email: stored_email(email)?,
                        additional_emails: Vec::new(),
                        first_name: row.get(3)?,
                        last_name: row.get(4)?,
                        display_name: row.get(5)?,
                        account,
                        billing: address_from_json(&billing),
                        shipping: address_from_json(&shipping),
                        meta_data: Vec::new(),
                        avatar_url: row.get(11)?,
                        created_at: from_ts(row.get(12)?),
                        modified_at: row.get::<_, Option<i64>>(13)?.map(from_ts),
                    },
                    row.get(14)?,
                ),
            );
        }
    }
    {
        let mut rows = conn.prepare_cached(&format!(
            "SELECT customer_id, position, address FROM {}customer_emails
             WHERE customer_id {} AND position > 0",
            wanted.from, wanted.is
        ))?;
        let mut rows = rows.query([&wanted.value])?;
        let mut additional = Vec::new();
        while let Some(row) = rows.next()? {
            let position: i64 = row.get(1)?;
            additional.push((row.get::<_, i64>(0)?, position, row.get::<_, String>(2)?));
        }
        additional.sort_unstable_by_key(|(customer, position, _)| (*customer, *position));
        for (id, _, address) in additional {
            if let Some((customer, _)) = by_id.get_mut(&id) {
                customer.additional_emails.push(stored_email(address)?);
            }
        }
    }
    // Many stores keep no meta data: one probe of the table instead of a lookup per
    // customer.
    let any_meta = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM customer_meta)")?
        .query_row([], |row| row.get::<_, bool>(0))?;
    if any_meta {
        let mut rows = conn.prepare_cached(&format!(
            "SELECT customer_id, id, key, value FROM {}customer_meta
             WHERE customer_id {}",
            wanted.from, wanted.is
        ))?;
        let mut rows = rows.query([&wanted.value])?;
        while let Some(row) = rows.next()? {
            if let Some((customer, _)) = by_id.get_mut(&row.get::<_, i64>(0)?) {
                let value: String = row.get(3)?;
                customer.meta_data.push(MetaEntry {
                    id: row.get(1)?,
                    key: row.get(2)?,
                    value: serde_json::from_str(&value).unwrap_or(serde_json::Value::Null),
                });
            }
        }
        for (customer, _) in by_id.values_mut() {
            customer.meta_data.sort_unstable_by_key(|entry| entry.id);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// A stored address. It passed `is_email` when written; if it no longer does, the rule
/// changed under the data and the read fails loudly rather than inventing an address.
fn stored_email(text: String) -> StoreResult<Email> {
    Email::parse(&text).map_err(|_| backend(format!("stored e-mail address {text:?} is invalid")))
}

/// A stored username, checked like [`stored_email`].
fn stored_username(text: String) -> StoreResult<Username> {
    Username::parse(&text).map_err(|_| backend(format!("stored username {text:?} is invalid")))
}

/// The next free meta id: store-wide, never reused, even after deletes.
fn next_meta_id(conn: &Connection) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT MAX(IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'customer_meta'), 0),
                        IFNULL((SELECT MAX(id) FROM customer_meta), 0)) + 1",
        )?
        .query_row([], |row| row.get(0))?)
}

/// Applies `patch` to customer `id` and returns the stored result. A new primary address
/// that is one of the customer's additional ones leaves the additional list.
pub(crate) fn update(
    conn: &Connection,
    id: i64,
    patch: &CustomerPatch,
    password_hash: Option<&str>,
) -> StoreResult<Customer> {
    let mut customer = load(conn, id)?;
    let emails_change = patch.email.is_some() || patch.additional_emails.is_some();
    if let Some(email) = &patch.email {
        customer.email = email.clone();
    }
    if let Some(additional) = &patch.additional_emails {
        customer.additional_emails.clone_from(additional);
    }
    // Promoting one of the customer's own additional addresses to primary takes it off
    // the additional list rather than conflicting with the customer itself.
    let primary = customer.email.folded();
    customer
        .additional_emails
        .retain(|extra| extra.folded() != primary);
    if let Some(first_name) = &patch.first_name {
        customer.first_name.clone_from(first_name);
    }
    if let Some(last_name) = &patch.last_name {
        customer.last_name.clone_from(last_name);
    }
    if let Some(display_name) = &patch.display_name {
        customer.display_name.clone_from(display_name);
    }
    match (&mut customer.account, &patch.username) {
        (Some(account), Some(username)) => account.username = username.clone(),
        (None, Some(username)) => {
            customer.account = Some(Account {
                username: username.clone(),
                role: Role::Customer,
                password_hash: None,
            });
        }
        _ => {}
    }
    match &mut customer.account {
        Some(account) => {
            if let Some(role) = patch.role {
                account.role = role;
            }
            if let Some(hash) = password_hash {
                account.password_hash = Some(hash.to_owned());
            }
        }
        None if patch.role.is_some() => {
            return Err(invalid("", "role", "a guest has no role"));
        }
        None if patch.password.is_some() => {
            return Err(invalid("", "password", "a guest has no password"));
        }
        None => {}
    }
    if let Some(billing) = &patch.billing {
        customer.billing.apply(billing);
    }
    if let Some(shipping) = &patch.shipping {
        customer.shipping.apply(shipping);
    }
    if let Some(avatar_url) = &patch.avatar_url {
        customer.avatar_url.clone_from(avatar_url);
    }
    if !patch.meta_data.is_empty() {
        let mut next = next_meta_id(conn)?;
        apply_meta_updates(&mut customer.meta_data, &patch.meta_data, || {
            next += 1;
            next - 1
        });
    }
    customer
        .check_limits()
        .map_err(|errors| over_limit("", errors))?;
    if !patch.meta_data.is_empty() {
        conn.prepare_cached("DELETE FROM customer_meta WHERE customer_id = ?1")?
            .execute([id])?;
        let mut add = conn.prepare_cached(INSERT_META)?;
        for entry in &customer.meta_data {
            add.execute(params![entry.id, id, entry.key, entry.value.to_string()])?;
        }
    }
    if emails_change {
        conn.prepare_cached("DELETE FROM customer_emails WHERE customer_id = ?1")?
            .execute([id])?;
        insert_emails(
            &mut conn.prepare_cached(INSERT_EMAIL)?,
            id,
            &customer.email,
            &customer.additional_emails,
        )?;
    }
    customer.modified_at = Some(now().max(customer.created_at));
    let account = customer.account.as_ref();
    conn.prepare_cached(
        "UPDATE customers SET email = ?2, first_name = ?3, last_name = ?4, display_name = ?5,
             username = ?6, username_folded = ?7, role = ?8, password_hash = ?9, billing = ?10,
             shipping = ?11, avatar_url = ?12, modified_at = ?13
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        customer.email.as_str(),
        customer.first_name,
        customer.last_name,
        customer.display_name,
        account.map(|a| a.username.as_str()),
        account.map(|a| a.username.folded()),
        account.map(|a| a.role.as_str()),
        account.and_then(|a| a.password_hash.as_deref()),
        address_to_json(&customer.billing),
        address_to_json(&customer.shipping),
        customer.avatar_url,
        opt_ts(customer.modified_at)?,
    ])?;
    replace_search_row(
        conn,
        &SearchRow {
            id,
            first_name: &customer.first_name,
            last_name: &customer.last_name,
            display_name: &customer.display_name,
            email: &customer.email,
            additional_emails: &customer.additional_emails,
            username: account.map(|a| a.username.as_str()),
            billing: &customer.billing,
            shipping: &customer.shipping,
        }
        .text(),
    )?;
    Ok(customer)
}

/// Deletes customer `id` with its ledger (by cascade) and search row; returns it as it was.
pub(crate) fn delete(conn: &Connection, id: i64) -> StoreResult<Customer> {
    let customer = load(conn, id)?;
    // Grants that others hold on this customer's orders go by cascade; so do their downloads.
    conn.prepare_cached(
        "UPDATE customers SET download_count = download_count -
             (SELECT SUM(g.download_count) FROM download_grants g
              JOIN orders o ON o.id = g.order_id
              WHERE o.customer_id = ?1 AND g.customer_id = customers.id)
         WHERE id IN (SELECT g.customer_id FROM download_grants g
                      JOIN orders o ON o.id = g.order_id
                      WHERE o.customer_id = ?1 AND g.customer_id <> ?1)",
    )?
    .execute([id])?;
    conn.prepare_cached("DELETE FROM customer_search WHERE rowid = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM customers WHERE id = ?1")?
        .execute([id])?;
    Ok(customer)
}
