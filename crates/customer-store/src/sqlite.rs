//! SQLite backend (to be written).

/// The SQLite implementation of [`crate::CustomerStore`].
#[derive(Debug)]
pub struct SqliteStore;
