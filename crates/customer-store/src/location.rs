//! Where a store lives, as the command line names it (`--db`, `CLIENTELE_DB`), and the
//! one function that opens it: a path or `sqlite://path` is a SQLite file, a
//! `postgres://` or `postgresql://` URL a PostgreSQL database.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{CustomerStore, SqliteStore, StoreResult};

/// A store's place.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (the database must exist; its schema is created).
    Postgres(String),
}

impl Location {
    /// Reads `--db`: `postgres://…` and `postgresql://…` are PostgreSQL, `sqlite://PATH`
    /// and anything else a SQLite file.
    pub fn parse(text: &str) -> Self {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Self::Postgres(text.to_owned())
        } else if lower.starts_with("sqlite://") {
            Self::Sqlite(PathBuf::from(&text["sqlite://".len()..]))
        } else {
            Self::Sqlite(PathBuf::from(text))
        }
    }

    /// Opens the store, creating a SQLite file or a PostgreSQL schema when missing.
    /// Errors say which database and what failed, never a password.
    pub async fn open(&self) -> StoreResult<Arc<dyn CustomerStore>> {
        match self {
            Self::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path)?)),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => Ok(Arc::new(crate::PostgresStore::connect(url).await?)),
            #[cfg(not(feature = "postgres"))]
            Self::Postgres(_) => Err(crate::StoreError::Unavailable(
                "this build has no PostgreSQL support (customer-store feature `postgres`)".into(),
            )),
        }
    }
}

/// The place with any password masked, for messages and logs.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&mask_password(url)),
        }
    }
}

/// Like [`fmt::Display`]: a password never reaches a log through `{:?}` either.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(_) => write!(f, "Sqlite({self})"),
            Self::Postgres(_) => write!(f, "Postgres({self})"),
        }
    }
}

/// `url` with its password (in the user part or a `password=` parameter) masked.
pub fn mask_password(url: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let masked_base = match base[scheme_end..].rfind('@') {
        Some(at) => match base[scheme_end..scheme_end + at].split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***{}",
                &base[..scheme_end],
                &base[scheme_end + at..]
            ),
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    match query {
        Some(query) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{masked_base}?{}", pairs.join("&"))
        }
        None => masked_base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            Location::parse("shop.sqlite3"),
            Location::Sqlite("shop.sqlite3".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/shop.sqlite3"),
            Location::Sqlite("/var/lib/shop.sqlite3".into())
        );
        assert_eq!(
            Location::parse("postgres://app@db/shop"),
            Location::Postgres("postgres://app@db/shop".into())
        );
        assert_eq!(
            Location::parse("PostgreSQL://app@db/shop"),
            Location::Postgres("PostgreSQL://app@db/shop".into())
        );
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://app:s3cret@db.example:5432/shop"),
            "postgres://app:***@db.example:5432/shop"
        );
        assert_eq!(
            mask_password("postgres://app@db/shop?password=s3cret&sslmode=disable"),
            "postgres://app@db/shop?password=***&sslmode=disable"
        );
        assert_eq!(mask_password("postgres://db/shop"), "postgres://db/shop");
        assert_eq!(
            mask_password("postgres://a:b@c@host/db"),
            "postgres://a:***@host/db"
        );
        let location = Location::parse("postgres://app:s3cret@db/shop");
        assert!(!location.to_string().contains("s3cret"));
        assert!(!format!("{location:?}").contains("s3cret"));
    }
}
