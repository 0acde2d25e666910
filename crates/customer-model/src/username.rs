//! Account names, valid by WordPress's strict `sanitize_user` rule.
//!
//! WordPress cleans a login with `sanitize_user($name, true)`: strip tags, remove accents,
//! drop percent-encoded octets and HTML entities, keep only `a-z A-Z 0-9 space _ . - @`,
//! trim, and fold runs of whitespace into one space. A name is valid when cleaning leaves
//! it unchanged and non-empty (`validate_username`), and it may not exceed 60 characters
//! (the width of `user_login`).
//!
//! `remove_accents` is approximated by Unicode canonical decomposition without combining
//! marks plus WordPress's special letters (`ß`→`ss`, `æ`→`ae`, `ø`→`o`, …); letters
//! WordPress would keep as non-ASCII are dropped by the strict filter either way.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The longest account name WordPress stores.
pub const MAX_USERNAME_LEN: usize = 60;

/// An account name that [`sanitize_user`] leaves unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Why a name is not a valid [`Username`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUsername {
    /// Cleaning the name changes it or leaves nothing.
    #[error("invalid username")]
    Invalid,
    /// Longer than [`MAX_USERNAME_LEN`] characters.
    #[error("username may not be longer than 60 characters")]
    TooLong,
}

impl Username {
    /// Accepts `raw` when WordPress's `validate_username` would.
    pub fn parse(raw: &str) -> Result<Self, InvalidUsername> {
        let clean = sanitize_user(raw);
        if clean.is_empty() || clean != raw {
            return Err(InvalidUsername::Invalid);
        }
        if clean.chars().count() > MAX_USERNAME_LEN {
            return Err(InvalidUsername::TooLong);
        }
        Ok(Self(clean))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in lower case: the key for uniqueness (MySQL's default collation ignores case).
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// WordPress's `sanitize_user($raw, true)`.
pub fn sanitize_user(raw: &str) -> String {
    // Most names are plain already, and every stored one is parsed again on each read:
    // names of only the characters the strict filter keeps, with no space, no `<`, `%`
    // or `&`, pass every step unchanged.
    if raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@'))
    {
        return raw.to_owned();
    }
    sanitize_user_fully(raw)
}

/// [`sanitize_user`] step by step, for any input.
fn sanitize_user_fully(raw: &str) -> String {
    let stripped = strip_all_tags(raw);
    let plain = remove_accents(&stripped);
    let without_octets = remove_percent_octets(&plain);
    let without_entities = remove_entities(&without_octets);
    let strict: String = without_entities
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-' | '@'))
        .collect();
    // After the strict filter only spaces remain as whitespace.
    strict
        .split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `wp_strip_all_tags`: drops `<script>`/`<style>` elements with their content, then
/// every remaining tag, then trims.
fn strip_all_tags(raw: &str) -> String {
    let mut text = raw.to_owned();
    for element in ["script", "style"] {
        loop {
            let lower = text.to_ascii_lowercase();
            let Some(start) = lower.find(&format!("<{element}")) else {
                break;
            };
            let close = format!("</{element}>");
            let end = lower[start..]
                .find(&close)
                .map_or(text.len(), |i| start + i + close.len());
            text.replace_range(start..end, "");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

fn remove_accents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let special = match c {
            'ß' => Some("ss"),
            'Æ' => Some("AE"),
            'æ' => Some("ae"),
            'Ø' => Some("O"),
            'ø' => Some("o"),
            'Œ' => Some("OE"),
            'œ' => Some("oe"),
            'Đ' | 'Ð' => Some("D"),
            'đ' | 'ð' => Some("d"),
            'Þ' => Some("TH"),
            'þ' => Some("th"),
            'Ł' => Some("L"),
            'ł' => Some("l"),
            'Ħ' => Some("H"),
            'ħ' => Some("h"),
            'ı' => Some("i"),
            _ => None,
        };
        match special {
            Some(replacement) => out.push_str(replacement),
            None if c.is_ascii() => out.push(c),
            None => out.extend(c.nfd().filter(|d| !is_combining_mark(*d))),
        }
    }
    out
}

fn remove_percent_octets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if bytes[i] == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            i += 3;
            continue;
        }
        let c = text[i..]
            .chars()
            .next()
            .expect("index is on a char boundary");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Drops `&…;` sequences (PHP `/&.+?;/`: at least one character between).
fn remove_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // `.+?` needs one character before the `;`.
        let first_len = after.chars().next().map_or(0, char::len_utf8);
        match after.get(first_len..).and_then(|tail| tail.find(';')) {
            Some(semi) if first_len > 0 => rest = &after[first_len + semi + 1..],
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_like_wordpress() {
        assert_eq!(sanitize_user("john.doe"), "john.doe");
        assert_eq!(sanitize_user("  John   Doe  "), "John Doe");
        assert_eq!(sanitize_user("<b>bold</b>name"), "boldname");
        assert_eq!(sanitize_user("José"), "Jose");
        assert_eq!(sanitize_user("straße"), "strasse");
        assert_eq!(sanitize_user("a%20b"), "ab");
        assert_eq!(sanitize_user("a&amp;b"), "ab");
        assert_eq!(sanitize_user("me+tag@example.com"), "metag@example.com");
        assert_eq!(sanitize_user("<script>x</script>ok"), "ok");
        assert_eq!(sanitize_user("日本"), "");
    }

    #[test]
    fn valid_only_when_unchanged() {
        assert!(Username::parse("john.doe").is_ok());
        assert!(Username::parse("john@example.com").is_ok());
        assert_eq!(Username::parse("josé"), Err(InvalidUsername::Invalid));
        assert_eq!(Username::parse(""), Err(InvalidUsername::Invalid));
        assert_eq!(Username::parse(" x"), Err(InvalidUsername::Invalid));
        assert_eq!(
            Username::parse(&"a".repeat(61)),
            Err(InvalidUsername::TooLong)
        );
    }

    proptest::proptest! {
        /// The shortcut for plain names answers as the full cleaning does, for names
        /// near the plain alphabet and for any text.
        #[test]
        fn plain_names_take_a_shortcut_to_the_same_answer(
            near in "[A-Za-z0-9_.@ %&<>;#é-]{0,24}",
            any in ".{0,24}",
        ) {
            proptest::prop_assert_eq!(sanitize_user(&near), sanitize_user_fully(&near));
            proptest::prop_assert_eq!(sanitize_user(&any), sanitize_user_fully(&any));
        }
    }
}
