//! The schema and its migrations. `PRAGMA user_version` records how many migrations a
//! database has had; opening a database applies the missing ones in one transaction.
//!
//! Layout, and why:
//! - `customers` holds one row per customer with addresses as JSON arrays of the eleven
//!   address fields (they are only ever read and written whole), plus the aggregates that
//!   lists sort by (`last_order_at`) or that are one number (`download_count`).
//! - `customer_emails` holds every address (primary at position 0, additional ones after)
//!   folded to lower case under one primary key: that key alone makes an address unique
//!   across primary and additional addresses of all customers.
//! - `customer_search` is an FTS5 table with the trigram tokenizer, one column per
//!   searchable field group, so that substring searches use an index. It keeps which
//!   fields hold a trigram, not where (`detail=column`): a search confirms its whole term
//!   on the row's text.
//! - `customer_order_stats`, `customer_currency` and `customer_subscription_stats` are
//!   the aggregates, updated in the same transaction as every ledger write.
//! - `customer_counts` holds the number of registered customers and of guests,
//!   `customer_role_counts` the number of registered customers per role and
//!   `currency_customer_counts` the number of buyers per currency: the totals of the
//!   most common lists, kept by triggers instead of counted per request.

use rusqlite::Connection;

/// Every migration, in order. Never edit one that has shipped: append a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid BLOB NOT NULL,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    username TEXT,
    username_folded TEXT,
    role TEXT,
    password_hash TEXT,
    billing TEXT NOT NULL,
    shipping TEXT NOT NULL,
    avatar_url TEXT,
    created_at INTEGER NOT NULL,
    modified_at INTEGER,
    last_order_at INTEGER,
    download_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX customers_uuid ON customers(uuid);
CREATE UNIQUE INDEX customers_username ON customers(username_folded);
CREATE INDEX customers_display_name ON customers(display_name COLLATE NOCASE);
CREATE INDEX customers_username_sort ON customers(IFNULL(username, '') COLLATE NOCASE);
CREATE INDEX customers_created ON customers(created_at);
CREATE INDEX customers_modified ON customers(modified_at);
CREATE INDEX customers_last_order ON customers(last_order_at);
CREATE INDEX customers_role ON customers(role);

CREATE TABLE customer_emails (
    address_folded TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    address TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX customer_emails_customer ON customer_emails(customer_id, position);

CREATE TABLE customer_meta (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX customer_meta_customer ON customer_meta(customer_id);

CREATE VIRTUAL TABLE customer_search USING fts5(
    names, display_name, email, additional_emails, username, billing, shipping,
    tokenize = 'trigram case_sensitive 0'
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid BLOB NOT NULL,
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX products_uuid ON products(uuid);

CREATE TABLE product_files (
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    file_id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (product_id, position)
) WITHOUT ROWID;

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid BLOB NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    currency TEXT NOT NULL,
    total INTEGER NOT NULL,
    subtotal INTEGER NOT NULL,
    total_tax INTEGER NOT NULL,
    shipping_total INTEGER NOT NULL,
    discount_total INTEGER NOT NULL,
    refunded INTEGER NOT NULL,
    payment_method TEXT NOT NULL,
    payment_method_title TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    paid_at INTEGER,
    completed_at INTEGER,
    billing TEXT NOT NULL,
    shipping TEXT NOT NULL
);
CREATE UNIQUE INDEX orders_uuid ON orders(uuid);
CREATE INDEX orders_customer ON orders(customer_id, currency, created_at);
CREATE INDEX orders_created ON orders(created_at);

CREATE TABLE order_items (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    product_id INTEGER REFERENCES products(id),
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    total INTEGER NOT NULL
);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE INDEX order_items_product ON order_items(product_id, customer_id);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    amount INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX refunds_order ON refunds(order_id);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid BLOB NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products(id),
    status INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscriptions_uuid ON subscriptions(uuid);
CREATE INDEX subscriptions_customer ON subscriptions(customer_id);
CREATE INDEX subscriptions_status ON subscriptions(status, customer_id);

CREATE TABLE download_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    download_id TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products(id),
    downloads_remaining INTEGER,
    access_expires INTEGER,
    download_count INTEGER NOT NULL
);
CREATE INDEX download_grants_customer ON download_grants(customer_id);
CREATE INDEX download_grants_order ON download_grants(order_id);

CREATE TABLE customer_order_stats (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    status INTEGER NOT NULL,
    orders INTEGER NOT NULL,
    total INTEGER NOT NULL,
    refunded INTEGER NOT NULL,
    PRIMARY KEY (customer_id, currency, status)
) WITHOUT ROWID;

CREATE TABLE customer_currency (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    first_order_id INTEGER NOT NULL,
    first_order_at INTEGER NOT NULL,
    last_order_id INTEGER NOT NULL,
    last_order_at INTEGER NOT NULL,
    PRIMARY KEY (customer_id, currency)
) WITHOUT ROWID;
CREATE INDEX customer_currency_by_currency ON customer_currency(currency, customer_id);
CREATE INDEX customer_currency_last_order ON customer_currency(currency, last_order_at);

CREATE TABLE customer_subscription_stats (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (customer_id, status)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    lookup TEXT NOT NULL,
    secret TEXT NOT NULL,
    truncated TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_access INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_lookup ON api_keys(kind, lookup);

CREATE TABLE oauth_nonces (
    key_id INTEGER NOT NULL,
    nonce TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
) WITHOUT ROWID;
CREATE INDEX oauth_nonces_age ON oauth_nonces(timestamp);
"#,
    // Exact totals of the unfiltered lists (every dialect's default listing) without
    // counting a million rows per request: kept by triggers in the writing transaction.
    r#"
CREATE TABLE customer_counts (
    registered INTEGER NOT NULL,
    guests INTEGER NOT NULL
);
INSERT INTO customer_counts (registered, guests)
    SELECT COUNT(username), COUNT(*) - COUNT(username) FROM customers;
CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN
    UPDATE customer_counts SET
        registered = registered + (NEW.username IS NOT NULL),
        guests = guests + (NEW.username IS NULL);
END;
CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_counts SET
        registered = registered - (OLD.username IS NOT NULL),
        guests = guests - (OLD.username IS NULL);
END;
CREATE TRIGGER customer_counts_update AFTER UPDATE OF username ON customers
WHEN (OLD.username IS NULL) <> (NEW.username IS NULL) BEGIN
    UPDATE customer_counts SET
        registered = registered + (NEW.username IS NOT NULL) - (OLD.username IS NOT NULL),
        guests = guests + (NEW.username IS NULL) - (OLD.username IS NULL);
END;
"#,
    // The default WooCommerce list (registered customers with one role) and the easycart
    // list (buyers in one currency) are the most common requests: their exact totals are
    // kept by triggers, like the ones above, and the first list's page walks an index of
    // its own (role, then display name, WooCommerce's default order). The last-order index of `customer_currency`
    // grows the first order and an explicit id, so that a list by last order walks it in
    // order and "ordered within a range" is decided from the index alone for nearly
    // every buyer.
    r#"
CREATE TABLE customer_role_counts (
    role TEXT PRIMARY KEY,
    registered INTEGER NOT NULL
);
INSERT INTO customer_role_counts (role, registered)
    SELECT role, COUNT(*) FROM customers
    WHERE role IS NOT NULL AND username IS NOT NULL GROUP BY role;
CREATE TRIGGER customer_role_counts_insert AFTER INSERT ON customers
WHEN NEW.role IS NOT NULL AND NEW.username IS NOT NULL BEGIN
    INSERT INTO customer_role_counts (role, registered) VALUES (NEW.role, 1)
        ON CONFLICT (role) DO UPDATE SET registered = registered + 1;
END;
CREATE TRIGGER customer_role_counts_delete AFTER DELETE ON customers
WHEN OLD.role IS NOT NULL AND OLD.username IS NOT NULL BEGIN
    UPDATE customer_role_counts SET registered = registered - 1 WHERE role = OLD.role;
END;
CREATE TRIGGER customer_role_counts_update AFTER UPDATE OF role, username ON customers
WHEN OLD.role IS NOT NEW.role OR (OLD.username IS NULL) <> (NEW.username IS NULL) BEGIN
    UPDATE customer_role_counts SET registered = registered - 1
        WHERE role = OLD.role AND OLD.username IS NOT NULL;
    INSERT INTO customer_role_counts (role, registered)
        SELECT NEW.role, 1 WHERE NEW.role IS NOT NULL AND NEW.username IS NOT NULL
        ON CONFLICT (role) DO UPDATE SET registered = registered + 1;
END;

CREATE TABLE currency_customer_counts (
    currency TEXT PRIMARY KEY,
    customers INTEGER NOT NULL
);
INSERT INTO currency_customer_counts (currency, customers)
    SELECT currency, COUNT(*) FROM customer_currency GROUP BY currency;
CREATE TRIGGER currency_customer_counts_insert AFTER INSERT ON customer_currency BEGIN
    INSERT INTO currency_customer_counts (currency, customers) VALUES (NEW.currency, 1)
        ON CONFLICT (currency) DO UPDATE SET customers = customers + 1;
END;
CREATE TRIGGER currency_customer_counts_delete AFTER DELETE ON customer_currency BEGIN
    UPDATE currency_customer_counts SET customers = customers - 1
        WHERE currency = OLD.currency;
END;

CREATE INDEX customers_role_display_name ON customers(role, display_name COLLATE NOCASE);

DROP INDEX customer_currency_last_order;
CREATE INDEX customer_currency_last_order
    ON customer_currency(currency, last_order_at, customer_id, first_order_at);
"#,
    // Servers keep the live keys in memory; this counter tells them, with one cheap read,
    // that a key was created, changed or revoked, by any process sharing the database.
    // Recording a key's use (`last_access`) leaves it alone.
    r#"
CREATE TABLE api_key_generation (generation INTEGER NOT NULL);
INSERT INTO api_key_generation (generation) VALUES (0);
CREATE TRIGGER api_key_generation_insert AFTER INSERT ON api_keys BEGIN
    UPDATE api_key_generation SET generation = generation + 1;
END;
CREATE TRIGGER api_key_generation_delete AFTER DELETE ON api_keys BEGIN
    UPDATE api_key_generation SET generation = generation + 1;
END;
CREATE TRIGGER api_key_generation_update
AFTER UPDATE OF kind, description, permissions, lookup, secret, truncated, revoked_at
ON api_keys BEGIN
    UPDATE api_key_generation SET generation = generation + 1;
END;
"#,
    // Webhooks, their outbox and their delivery log. An outbox row is written in the
    // same transaction as the customer change it reports; its id is the delivery id
    // receivers see, never reused (AUTOINCREMENT), so a delivery repeated after a crash
    // carries the same one. A worker leases a webhook (`lease_owner`, `lease_until`)
    // to deliver its events in order, whichever process it runs in.
    r#"
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    event TEXT NOT NULL,
    delivery_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    api_version INTEGER NOT NULL,
    failure_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    modified_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER
);
CREATE INDEX webhooks_event_status ON webhooks(event, status);
CREATE TABLE webhook_outbox (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    not_before INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_webhook ON webhook_outbox(webhook_id, delivery_id);
CREATE INDEX webhook_outbox_due ON webhook_outbox(not_before);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    delivery_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    url TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT NOT NULL,
    response_status INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
"#,
    // The search index without positions (`detail=column`). A search asks the index for
    // rows holding each of a few trigrams of the term in the fields searched, never for
    // trigrams next to each other, and confirms the whole term on the row's text
    // (`contains_folded`): positions were written and never read. Without them the index
    // is less than half the size and an import builds it about a third faster.
    r#"
CREATE VIRTUAL TABLE customer_search_next USING fts5(
    names, display_name, email, additional_emails, username, billing, shipping,
    tokenize = 'trigram case_sensitive 0', detail = column
);
INSERT INTO customer_search_next (rowid, names, display_name, email, additional_emails,
        username, billing, shipping)
    SELECT rowid, names, display_name, email, additional_emails, username, billing, shipping
    FROM customer_search;
DROP TABLE customer_search;
ALTER TABLE customer_search_next RENAME TO customer_search;
"#,
    // A customer's orders by currency and time, with the figures the aggregates add up:
    // a bulk import builds every customer's aggregates by reading this index in order,
    // instead of sorting the orders a second time. `id` follows the time so that the
    // order, ties included, stays the one the first and last orders are chosen by.
    r#"
DROP INDEX orders_customer;
CREATE INDEX orders_customer
    ON orders(customer_id, currency, created_at, id, status, total, refunded);
"#,
    // A number that changes with every write to what lists read, in the same
    // transaction: read inside a read transaction, it names the data that transaction
    // sees, whichever process wrote it. Readers share the totals they count under it
    // (`totals`).
    r#"
CREATE TABLE data_generation (generation INTEGER NOT NULL);
INSERT INTO data_generation (generation) VALUES (0);
CREATE TRIGGER data_generation_customers_insert AFTER INSERT ON customers BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customers_update AFTER UPDATE ON customers BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customers_delete AFTER DELETE ON customers BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_emails_insert AFTER INSERT ON customer_emails BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_emails_update AFTER UPDATE ON customer_emails BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_emails_delete AFTER DELETE ON customer_emails BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_orders_insert AFTER INSERT ON orders BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_orders_update AFTER UPDATE ON orders BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_orders_delete AFTER DELETE ON orders BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_order_items_insert AFTER INSERT ON order_items BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_order_items_update AFTER UPDATE ON order_items BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_order_items_delete AFTER DELETE ON order_items BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_subscriptions_insert AFTER INSERT ON subscriptions BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_subscriptions_update AFTER UPDATE ON subscriptions BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_subscriptions_delete AFTER DELETE ON subscriptions BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_currency_insert AFTER INSERT ON customer_currency BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_currency_update AFTER UPDATE ON customer_currency BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER data_generation_customer_currency_delete AFTER DELETE ON customer_currency BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
"#,
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations `conn`'s database has not had yet.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    // A migration may rewrite a whole table in one statement: its statement journal goes
    // to disk, whatever the connection keeps in memory otherwise.
    let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |row| row.get(0))?;
    conn.pragma_update(None, "temp_store", "FILE")?;
    let migrated = run_migrations(conn);
    conn.pragma_update(None, "temp_store", temp_store)?;
    migrated
}

/// Runs the migrations the database has not had yet, in one transaction (another
/// connection may have run some since the version was read).
fn run_migrations(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migrations keep their temporary data on disk and give the connection its own
    /// setting back; a database already at this build's version takes no transaction.
    #[test]
    fn migrations_give_the_connection_its_temporary_storage_back() {
        let mut conn = Connection::open_in_memory().expect("a database");
        conn.pragma_update(None, "temp_store", "MEMORY")
            .expect("temp_store");
        let temp_store = |conn: &Connection| -> i64 {
            conn.query_row("PRAGMA temp_store", [], |row| row.get(0))
                .expect("temp_store")
        };
        migrate(&mut conn).expect("the migrations");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("the version");
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(temp_store(&conn), 2);
        migrate(&mut conn).expect("nothing to migrate");
        assert_eq!(temp_store(&conn), 2);
    }

    /// A database at the version before the search index lost its positions keeps every
    /// search row, and finds it by a trigram of each field.
    #[test]
    fn the_search_index_keeps_its_rows_when_it_drops_positions() {
        let mut conn = Connection::open_in_memory().expect("a database");
        let before = MIGRATIONS.len() - 1;
        for migration in &MIGRATIONS[..before] {
            conn.execute_batch(migration).expect("an earlier migration");
        }
        conn.pragma_update(None, "user_version", before as i64)
            .expect("the version");
        conn.execute(
            "INSERT INTO customer_search (rowid, names, display_name, email, additional_emails,
                 username, billing, shipping)
             VALUES (41, 'Ada\nLovelace', 'Ada L', 'ada@example.com', '', 'ada', 'Leeds', '')",
            [],
        )
        .expect("a search row");
        migrate(&mut conn).expect("the migration");
        let found = |query: &str| -> Vec<i64> {
            conn.prepare("SELECT rowid FROM customer_search WHERE customer_search MATCH ?1")
                .and_then(|mut statement| {
                    statement
                        .query_map([query], |row| row.get(0))?
                        .collect::<rusqlite::Result<Vec<i64>>>()
                })
                .expect("a search")
        };
        assert_eq!(found("{names} : (\"lov\" AND \"ace\")"), [41]);
        assert_eq!(found("{billing} : \"eed\""), [41]);
        assert_eq!(found("{email} : \"eed\""), Vec::<i64>::new());
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'customer_search'",
                [],
                |row| row.get(0),
            )
            .expect("the table");
        assert!(sql.contains("detail = column"), "{sql}");
    }
}
