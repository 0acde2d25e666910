//! Customer rows: create, read (one or a page at a time), update, delete, and the search
//! row kept beside each customer. Functions run in a transaction the caller holds.

use std::collections::HashMap;

use customer_model::customer::apply_meta_updates;
use customer_model::{
    Account, Address, Customer, CustomerId, CustomerPatch, Email, MetaEntry, NewCustomer, Role,
    Username,
};

use super::{Tx, advance_id_sequence, execute, query, query_opt};
use crate::values::{
    address_from_json, address_to_json, backend, from_ts, invalid, new_uuid, now, opt_ts,
    over_limit, ts,
};
use crate::{StoreError, StoreResult};

/// A customer was not found.
pub(crate) const NOT_FOUND: StoreError = StoreError::NotFound { entity: "customer" };

/// Inserts `new` (its password already hashed into `password_hash`) and returns its id.
pub(crate) async fn insert(
    tx: &Tx<'_>,
    new: &NewCustomer,
    password_hash: Option<&str>,
) -> StoreResult<CustomerId> {
    if new.id.is_some_and(|id| id.0 <= 0) {
        return Err(invalid("", "id", "must be a positive integer"));
    }
    new.check_limits()
        .map_err(|errors| over_limit("", errors))?;
    let created_at = ts(new.created_at.unwrap_or_else(now))
        .map_err(|_| invalid("", "created_at", "outside the years 1677 to 2262"))?;
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let display_name = new.effective_display_name();
    let account = new.account.as_ref();
    let columns = "uuid, email, first_name, last_name, display_name, username, username_folded,
        role, password_hash, billing, shipping, avatar_url, created_at, modified_at";
    let values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13";
    let username = account.map(|a| a.username.as_str());
    let username_folded = account.map(|a| a.username.folded());
    let role = account.map(|a| a.role.as_str());
    let billing = address_to_json(&new.billing);
    let shipping = address_to_json(&new.shipping);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 13] = [
        &uuid,
        &new.email.as_str(),
        &new.first_name,
        &new.last_name,
        &display_name,
        &username,
        &username_folded,
        &role,
        &password_hash,
        &billing,
        &shipping,
        &new.avatar_url,
        &created_at,
    ];
    let id: i64 = match new.id {
        None => {
            let sql = format!("INSERT INTO customers ({columns}) VALUES ({values}) RETURNING id");
            query_opt(tx, &sql, &params)
                .await?
                .ok_or_else(|| backend("an insert returned no id"))?
                .get(0)
        }
        Some(chosen) => {
            let sql = format!(
                "INSERT INTO customers (id, {columns}) VALUES ($14, {values}) RETURNING id"
            );
            let mut with_id = params.to_vec();
            with_id.push(&chosen.0);
            query_opt(tx, &sql, &with_id)
                .await?
                .ok_or_else(|| backend("an insert returned no id"))?;
            advance_id_sequence(tx, "customers", chosen.0).await?;
            chosen.0
        }
    };
    insert_emails(tx, id, &new.email, &new.additional_emails).await?;
    for (key, value) in &new.meta_data {
        execute(
            tx,
            "INSERT INTO customer_meta (customer_id, key, value) VALUES ($1, $2, $3)",
            &[&id, key, &value.to_string()],
        )
        .await?;
    }
    write_search_row(
        tx,
        &SearchRow {
            id,
            first_name: &new.first_name,
            last_name: &new.last_name,
            display_name: &display_name,
            email: &new.email,
            additional_emails: &new.additional_emails,
            username: account.map(|a| a.username.as_str()),
            billing: &new.billing,
            shipping: &new.shipping,
        },
    )
    .await?;
    Ok(CustomerId(id))
}

async fn insert_emails(
    tx: &Tx<'_>,
    id: i64,
    primary: &Email,
    additional: &[Email],
) -> StoreResult<()> {
    for (position, email) in std::iter::once(primary).chain(additional).enumerate() {
        execute(
            tx,
            "INSERT INTO customer_emails (address_folded, customer_id, position, address)
             VALUES ($1, $2, $3, $4)",
            &[&email.folded(), &id, &(position as i64), &email.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// What the search index holds of a customer.
pub(crate) struct SearchRow<'a> {
    pub(crate) id: i64,
    pub(crate) first_name: &'a str,
    pub(crate) last_name: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) email: &'a Email,
    pub(crate) additional_emails: &'a [Email],
    pub(crate) username: Option<&'a str>,
    pub(crate) billing: &'a Address,
    pub(crate) shipping: &'a Address,
}

impl SearchRow<'_> {
    /// The seven searchable field groups, lower-cased, values of a group joined with a
    /// line feed so that no term without one matches across two values.
    pub(crate) fn columns(&self) -> [String; 7] {
        let joined = |values: &[&str]| values.join("\n").to_lowercase();
        let address = |a: &Address| joined(&a.fields().iter().map(|(_, v)| *v).collect::<Vec<_>>());
        [
            joined(&[self.first_name, self.last_name]),
            self.display_name.to_lowercase(),
            self.email.as_str().to_lowercase(),
            joined(
                &self
                    .additional_emails
                    .iter()
                    .map(Email::as_str)
                    .collect::<Vec<_>>(),
            ),
            self.username.unwrap_or_default().to_lowercase(),
            address(self.billing),
            address(self.shipping),
        ]
    }
}

async fn write_search_row(tx: &Tx<'_>, row: &SearchRow<'_>) -> StoreResult<()> {
    let [
        names,
        display_name,
        email,
        additional,
        username,
        billing,
        shipping,
    ] = row.columns();
    execute(
        tx,
        "INSERT INTO customer_search (customer_id, names, display_name, email, additional_emails,
             username, billing, shipping)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (customer_id) DO UPDATE SET names = excluded.names,
             display_name = excluded.display_name, email = excluded.email,
             additional_emails = excluded.additional_emails, username = excluded.username,
             billing = excluded.billing, shipping = excluded.shipping",
        &[
            &row.id,
            &names,
            &display_name,
            &email,
            &additional,
            &username,
            &billing,
            &shipping,
        ],
    )
    .await?;
    Ok(())
}

/// The id of the customer with `uuid`.
pub(crate) async fn id_by_uuid(tx: &Tx<'_>, uuid: &customer_model::Uuid) -> StoreResult<i64> {
    query_opt(tx, "SELECT id FROM customers WHERE uuid = $1", &[uuid])
        .await?
        .map(|row| row.get(0))
        .ok_or(NOT_FOUND)
}

/// The id of the customer with this primary or additional address (ignoring case).
pub(crate) async fn id_by_email(tx: &Tx<'_>, email: &str) -> StoreResult<Option<i64>> {
    Ok(query_opt(
        tx,
        "SELECT customer_id FROM customer_emails WHERE address_folded = $1",
        &[&email.to_ascii_lowercase()],
    )
    .await?
    .map(|row| row.get(0)))
}

/// Whether a customer with `id` exists.
pub(crate) async fn exists(tx: &Tx<'_>, id: i64) -> StoreResult<bool> {
    Ok(
        query_opt(tx, "SELECT 1 FROM customers WHERE id = $1", &[&id])
            .await?
            .is_some(),
    )
}

/// Locks customer `id` for the rest of the transaction, so that concurrent writes to
/// one customer's ledger or record happen one after the other; `false` when there is
/// no such customer.
pub(crate) async fn lock(tx: &Tx<'_>, id: i64) -> StoreResult<bool> {
    Ok(query_opt(
        tx,
        "SELECT 1 FROM customers WHERE id = $1 FOR NO KEY UPDATE",
        &[&id],
    )
    .await?
    .is_some())
}

/// The customer with `id`.
pub(crate) async fn load(tx: &Tx<'_>, id: i64) -> StoreResult<Customer> {
    load_many(tx, &[id]).await?.pop().ok_or(NOT_FOUND)
}

/// The customers with `ids`, in the order of `ids` (missing ones left out), read with
/// three queries whatever the number of ids.
pub(crate) async fn load_many(tx: &Tx<'_>, ids: &[i64]) -> StoreResult<Vec<Customer>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id = HashMap::with_capacity(ids.len());
    for row in query(
        tx,
        "SELECT id, uuid, email, first_name, last_name, display_name, username, role,
             password_hash, billing, shipping, avatar_url, created_at, modified_at
         FROM customers WHERE id = ANY($1)",
        &[&ids],
    )
    .await?
    {
        let id: i64 = row.get(0);
        let username: Option<String> = row.get(6);
        let role: Option<&str> = row.get(7);
        let account = match username {
            None => None,
            Some(name) => Some(Account {
                username: stored_username(name)?,
                role: role.and_then(Role::parse).unwrap_or(Role::Customer),
                password_hash: row.get(8),
            }),
        };
        by_id.insert(
            id,
            Customer {
                id: CustomerId(id),
                uuid: row.get(1),
                email: stored_email(row.get(2))?,
                additional_emails: Vec::new(),
                first_name: row.get(3),
                last_name: row.get(4),
                display_name: row.get(5),
                account,
                billing: address_from_json(row.get(9)),
                shipping: address_from_json(row.get(10)),
                meta_data: Vec::new(),
                avatar_url: row.get(11),
                created_at: from_ts(row.get(12)),
                modified_at: row.get::<_, Option<i64>>(13).map(from_ts),
            },
        );
    }
    for row in query(
        tx,
        "SELECT customer_id, address FROM customer_emails
         WHERE customer_id = ANY($1) AND position > 0 ORDER BY customer_id, position",
        &[&ids],
    )
    .await?
    {
        if let Some(customer) = by_id.get_mut(&row.get::<_, i64>(0)) {
            customer.additional_emails.push(stored_email(row.get(1))?);
        }
    }
    for row in query(
        tx,
        "SELECT customer_id, id, key, value FROM customer_meta
         WHERE customer_id = ANY($1) ORDER BY customer_id, id",
        &[&ids],
    )
    .await?
    {
        if let Some(customer) = by_id.get_mut(&row.get::<_, i64>(0)) {
            customer.meta_data.push(MetaEntry {
                id: row.get(1),
                key: row.get(2),
                value: serde_json::from_str(row.get(3)).unwrap_or(serde_json::Value::Null),
            });
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

/// Applies `patch` to customer `id` and returns the stored result. A new primary address
/// that is one of the customer's additional ones leaves the additional list.
pub(crate) async fn update(
    tx: &Tx<'_>,
    id: i64,
    patch: &CustomerPatch,
    password_hash: Option<&str>,
) -> StoreResult<Customer> {
    if !lock(tx, id).await? {
        return Err(NOT_FOUND);
    }
    let mut customer = load(tx, id).await?;
    let emails_change = patch.email.is_some() || patch.additional_emails.is_some();
    if let Some(email) = &patch.email {
        customer.email = email.clone();
    }
    if let Some(additional) = &patch.additional_emails {
        customer.additional_emails.clone_from(additional);
    }
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
        // Fresh meta ids come from a sequence: store-wide, never reused. At most one per
        // update entry is needed.
        let fresh: Vec<i64> = query(
            tx,
            "SELECT nextval('customer_meta_id') FROM generate_series(1::bigint, $1)",
            &[&(patch.meta_data.len() as i64)],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
        let mut fresh = fresh.into_iter();
        apply_meta_updates(&mut customer.meta_data, &patch.meta_data, || {
            fresh.next().unwrap_or_default()
        });
    }
    customer
        .check_limits()
        .map_err(|errors| over_limit("", errors))?;
    if !patch.meta_data.is_empty() {
        execute(
            tx,
            "DELETE FROM customer_meta WHERE customer_id = $1",
            &[&id],
        )
        .await?;
        for entry in &customer.meta_data {
            execute(
                tx,
                "INSERT INTO customer_meta (id, customer_id, key, value) VALUES ($1, $2, $3, $4)",
                &[&entry.id, &id, &entry.key, &entry.value.to_string()],
            )
            .await?;
        }
    }
    if emails_change {
        execute(
            tx,
            "DELETE FROM customer_emails WHERE customer_id = $1",
            &[&id],
        )
        .await?;
        insert_emails(tx, id, &customer.email, &customer.additional_emails).await?;
    }
    customer.modified_at = Some(now().max(customer.created_at));
    let account = customer.account.as_ref();
    execute(
        tx,
        "UPDATE customers SET email = $2, first_name = $3, last_name = $4, display_name = $5,
             username = $6, username_folded = $7, role = $8, password_hash = $9, billing = $10,
             shipping = $11, avatar_url = $12, modified_at = $13
         WHERE id = $1",
        &[
            &id,
            &customer.email.as_str(),
            &customer.first_name,
            &customer.last_name,
            &customer.display_name,
            &account.map(|a| a.username.as_str()),
            &account.map(|a| a.username.folded()),
            &account.map(|a| a.role.as_str()),
            &account.and_then(|a| a.password_hash.as_deref()),
            &address_to_json(&customer.billing),
            &address_to_json(&customer.shipping),
            &customer.avatar_url,
            &opt_ts(customer.modified_at)?,
        ],
    )
    .await?;
    write_search_row(
        tx,
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
        },
    )
    .await?;
    Ok(customer)
}

/// Deletes customer `id` with its ledger and search row (by cascade); returns it as it
/// was.
pub(crate) async fn delete(tx: &Tx<'_>, id: i64) -> StoreResult<Customer> {
    if !lock(tx, id).await? {
        return Err(NOT_FOUND);
    }
    let customer = load(tx, id).await?;
    // Grants that others hold on this customer's orders go by cascade; so do their downloads.
    execute(
        tx,
        "UPDATE customers c SET download_count = c.download_count - held.n
         FROM (SELECT g.customer_id, SUM(g.download_count) AS n FROM download_grants g
               JOIN orders o ON o.id = g.order_id
               WHERE o.customer_id = $1 AND g.customer_id <> $1
               GROUP BY g.customer_id) held
         WHERE c.id = held.customer_id",
        &[&id],
    )
    .await?;
    execute(tx, "DELETE FROM customers WHERE id = $1", &[&id]).await?;
    Ok(customer)
}
