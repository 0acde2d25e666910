//! SQL functions the store's queries call, registered on every connection.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// Text folded to lower case, character by character, as the search index folds it.
pub(crate) fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Registers `contains_folded(text, needle)`: whether `text`, folded, contains `needle`
/// (already folded), in time linear in their lengths (`str::contains` is a two-way
/// search), where `LIKE '%…%'` may compare every position with the whole pattern.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "contains_folded",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text = ctx.get_raw(0).as_str_or_null()?;
            let needle = ctx.get_raw(1).as_str_or_null()?;
            Ok(match (text, needle) {
                (Some(text), Some(needle)) => fold(text).contains(needle),
                _ => false,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_ignores_letter_case_beyond_ascii() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let contains = |text: &str, needle: &str| -> bool {
            conn.query_row(
                "SELECT contains_folded(?1, ?2)",
                [text, &fold(needle)],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert!(contains("Zürich\nGDAŃSK", "gdańsk"));
        assert!(contains("ZÜRICH", "zürich"));
        assert!(!contains("Zürich", "zurich"));
        assert!(!contains(
            &"a".repeat(255),
            &format!("{}b", "a".repeat(254))
        ));
    }
}
