//! E-mail addresses, valid by WordPress's `is_email` rule.
//!
//! WordPress (and so WooCommerce and EDD) accepts an address when: it has at least six
//! bytes; an `@` after the first position; a local part of `A-Z a-z 0-9` and
//! ``!#$%&'*+/=?^_`{|}~.-``; a domain without `..`, without leading or trailing dots or
//! whitespace, of at least two dot-separated labels, each of `A-Z a-z 0-9 -` without a
//! leading or trailing hyphen. Nothing else is checked (no length limit per label, no
//! quoted local parts, no IDN), and clientele follows the same rule so that an address one
//! system accepts is accepted by all.

use std::fmt;

/// An e-mail address that passed [`is_email`]. Letter case is kept as given; comparisons
/// for uniqueness and lookup are case-insensitive (see [`Email::folded`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// The error of [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid e-mail address")]
pub struct InvalidEmail;

impl Email {
    /// Accepts `raw` when WordPress's `is_email` would.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        if is_email(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidEmail)
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address in lower case: the key for uniqueness and lookup.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The address, consumed.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// WordPress's `is_email`, byte for byte.
pub fn is_email(email: &str) -> bool {
    if email.len() < 6 {
        return false;
    }
    // An `@` after the first position.
    let Some(at) = email
        .get(1..)
        .and_then(|rest| rest.find('@'))
        .map(|i| i + 1)
    else {
        return false;
    };
    let (local, domain) = (&email[..at], &email[at + 1..]);
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    if !local_ok || domain.contains("..") {
        return false;
    }
    // PHP's trim() default set: space, \t, \n, \r, \0, \x0B.
    const TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];
    let trim_with = |s: &str, extra: char| -> bool {
        s.trim_matches(|c: char| TRIM.contains(&c) || c == extra)
            .len()
            == s.len()
    };
    if !trim_with(domain, '.') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    labels.iter().all(|label| {
        trim_with(label, '-')
            && !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_wordpress_accepts() {
        for ok in [
            "a@b.co",
            "john.doe@example.com",
            "John.Doe+tag@Example.COM",
            "x!#$%&'*+/=?^_`{|}~-@a-b.example.org",
            "1@2.34",
        ] {
            assert!(is_email(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_what_wordpress_rejects() {
        for bad in [
            "",
            "a@b.c",        // shorter than six bytes
            "@example.com", // no local part
            "john@example", // one label
            "john@@example.com",
            "jo hn@example.com",
            "john@exa..mple.com",
            "john@.example.com",
            "john@example.com.",
            "john@-example.com",
            "john@example-.com",
            "john@exa_mple.com",
            "jöhn@example.com",
            "john@exämple.com",
            "john@example.com ",
        ] {
            assert!(!is_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn folds_case_for_lookup() {
        let email = Email::parse("John@Example.COM").unwrap();
        assert_eq!(email.as_str(), "John@Example.COM");
        assert_eq!(email.folded(), "john@example.com");
    }
}
