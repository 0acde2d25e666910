//! Saved states: a copy of every table of the store's schema in a schema of its own
//! (`clientele_state_<name>`), with the last values of the id sequences. The tables are
//! read from the catalogue, not listed by hand, so a table a later migration adds is
//! saved and restored with the rest.
//!
//! States live in the database: every server sharing it sees the same states, and a
//! restore through one server is a restore for all of them. Saving locks every table
//! against writes (`SHARE`); restoring locks them against everything (`ACCESS
//! EXCLUSIVE`), empties them, disables their own triggers (the kept totals are restored
//! as saved, not recomputed) and copies the saved rows back in foreign-key order, all
//! in one transaction. Restoring needs the role that owns the tables (the one that
//! migrated them).

use std::collections::{BTreeMap, BTreeSet};

use super::Tx;
use crate::{StoreError, StoreResult};

/// Where states' schemas begin.
const PREFIX: &str = "clientele_state_";
/// The table of a saved state that holds the id sequences' last values.
const SEQUENCES: &str = "~sequences";

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn schema_of(name: &str) -> String {
    quoted(&format!("{PREFIX}{name}"))
}

async fn exists(tx: &Tx<'_>, name: &str) -> StoreResult<bool> {
    let row = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&format!("{PREFIX}{name}")],
        )
        .await?;
    Ok(row.get(0))
}

/// The tables of the store's schema, each after every table it references.
async fn tables(tx: &Tx<'_>) -> StoreResult<Vec<String>> {
    let rows = tx
        .query(
            "SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY c.relname",
            &[],
        )
        .await?;
    let names: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    let rows = tx
        .query(
            "SELECT child.relname, parent.relname FROM pg_constraint k
             JOIN pg_class child ON child.oid = k.conrelid
             JOIN pg_class parent ON parent.oid = k.confrelid
             WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace
               AND k.conrelid <> k.confrelid",
            &[],
        )
        .await?;
    let mut references: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        references.entry(row.get(0)).or_default().insert(row.get(1));
    }
    let mut ordered = Vec::with_capacity(names.len());
    let mut placed = BTreeSet::new();
    while ordered.len() < names.len() {
        let before = ordered.len();
        for name in &names {
            let ready = !placed.contains(name)
                && references
                    .get(name)
                    .is_none_or(|parents| parents.iter().all(|p| placed.contains(p)));
            if ready {
                placed.insert(name.clone());
                ordered.push(name.clone());
            }
        }
        if ordered.len() == before {
            return Err(crate::values::backend(
                "the tables' references form a cycle",
            ));
        }
    }
    Ok(ordered)
}

fn table_list(tables: &[String]) -> String {
    tables
        .iter()
        .map(|table| quoted(table))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Saves every table and sequence under `name`.
pub(super) async fn save(tx: &Tx<'_>, name: &str) -> StoreResult<()> {
    let tables = tables(tx).await?;
    let schema = schema_of(name);
    let mut sql = format!(
        "LOCK TABLE {} IN SHARE MODE;
         DROP SCHEMA IF EXISTS {schema} CASCADE;
         CREATE SCHEMA {schema};",
        table_list(&tables)
    );
    for table in &tables {
        let table = quoted(table);
        sql.push_str(&format!("CREATE TABLE {schema}.{table} AS TABLE {table};"));
    }
    sql.push_str(&format!(
        "CREATE TABLE {schema}.{} AS
         SELECT c.relname AS name, pg_sequence_last_value(c.oid) AS last_value
         FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S';",
        quoted(SEQUENCES)
    ));
    tx.batch_execute(&sql).await?;
    Ok(())
}

/// Puts back the state saved under `name`.
pub(super) async fn restore(tx: &Tx<'_>, name: &str) -> StoreResult<()> {
    if !exists(tx, name).await? {
        return Err(StoreError::NotFound { entity: "state" });
    }
    let tables = tables(tx).await?;
    let schema = schema_of(name);
    let list = table_list(&tables);
    let mut sql = format!(
        "LOCK TABLE {list} IN ACCESS EXCLUSIVE MODE;
         CREATE TEMPORARY TABLE clientele_generation ON COMMIT DROP AS
         SELECT generation FROM api_key_generation;"
    );
    for table in &tables {
        sql.push_str(&format!(
            "ALTER TABLE {} DISABLE TRIGGER USER;",
            quoted(table)
        ));
    }
    sql.push_str(&format!("TRUNCATE {list};"));
    for table in &tables {
        let table = quoted(table);
        sql.push_str(&format!(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE SELECT * FROM {schema}.{table};"
        ));
    }
    for table in &tables {
        sql.push_str(&format!(
            "ALTER TABLE {} ENABLE TRIGGER USER;",
            quoted(table)
        ));
    }
    sql.push_str(&format!(
        "SELECT setval(c.oid, COALESCE(s.last_value, 1), s.last_value IS NOT NULL)
         FROM pg_class c JOIN {schema}.{} s ON s.name = c.relname
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S';
         UPDATE api_key_generation SET generation =
             GREATEST(generation, (SELECT max(generation) FROM clientele_generation)) + 1;",
        quoted(SEQUENCES)
    ));
    tx.batch_execute(&sql).await?;
    Ok(())
}

/// Forgets the state saved under `name`.
pub(super) async fn delete(tx: &Tx<'_>, name: &str) -> StoreResult<()> {
    if !exists(tx, name).await? {
        return Err(StoreError::NotFound { entity: "state" });
    }
    tx.batch_execute(&format!("DROP SCHEMA {} CASCADE", schema_of(name)))
        .await?;
    Ok(())
}

/// The names of the saved states, sorted.
pub(super) async fn names(tx: &Tx<'_>) -> StoreResult<Vec<String>> {
    let rows = tx
        .query(
            "SELECT substr(nspname, $2) FROM pg_namespace
             WHERE starts_with(nspname, $1) ORDER BY 1",
            &[&PREFIX, &(PREFIX.len() as i32 + 1)],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
