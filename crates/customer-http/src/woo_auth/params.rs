//! The request variables WooCommerce signs, collected the way PHP fills `$_GET` and
//! `$_POST`, and the `Authorization: OAuth …` header parsed the way WooCommerce parses it.
//!
//! This follows the same rules as `customer_wire::php_query` (the last duplicate wins,
//! `a[]` and `a[b]` make arrays, `.` and ` ` in names become `_`), with two differences
//! that signatures depend on: values stay bytes (PHP does not care about UTF-8, and a
//! signature over a lossy decoding would differ), and arrays keep PHP's insertion order
//! at every level (the signed string lists inner keys in that order).

use customer_wire::php_query::{MAX_INPUT_NESTING_LEVEL, MAX_INPUT_VARS};

/// A PHP request variable: a byte string, or an array in insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhpParam {
    /// A scalar value.
    Str(Vec<u8>),
    /// An array: keys (as PHP prints them) and values, in insertion order.
    Array(Vec<(Vec<u8>, PhpParam)>),
}

impl PhpParam {
    /// The bytes of a scalar value.
    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Str(bytes) => Some(bytes),
            Self::Array(_) => None,
        }
    }

    /// PHP's `empty()`: `""`, `"0"` and `[]` are empty.
    pub(crate) fn is_php_empty(&self) -> bool {
        match self {
            Self::Str(bytes) => bytes.is_empty() || bytes == b"0",
            Self::Array(items) => items.is_empty(),
        }
    }
}

/// Top-level request variables in insertion order (what `array_merge($_GET, $_POST)`
/// gives for string keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PhpParams {
    entries: Vec<(Vec<u8>, PhpParam)>,
}

impl PhpParams {
    /// Parses a query string or form body (without `?`) as PHP does.
    pub(crate) fn parse(raw: &[u8]) -> Self {
        let mut params = Self::default();
        params.extend_from(raw);
        params
    }

    /// Adds the variables of another query string or form body; a name already present
    /// is replaced in place.
    pub(crate) fn extend_from(&mut self, raw: &[u8]) {
        // PHP reads at most `max_input_vars` non-empty pairs of one source.
        let pairs = raw.split(|&b| b == b'&').filter(|pair| !pair.is_empty());
        for pair in pairs.take(MAX_INPUT_VARS) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            self.register(&urldecode(name), urldecode(value));
        }
    }

    /// Sets a top-level scalar, replacing any value of that name in place (as
    /// `array_merge` does for string keys).
    pub(crate) fn set(&mut self, name: &[u8], value: Vec<u8>) {
        match self.entries.iter_mut().find(|(key, _)| key == name) {
            Some((_, slot)) => *slot = PhpParam::Str(value),
            None => self.entries.push((name.to_vec(), PhpParam::Str(value))),
        }
    }

    /// `array_merge($this, $other)` for string keys: `other`'s values replace values of
    /// the same name in place, new names are appended.
    pub(crate) fn merge(&mut self, other: PhpParams) {
        for (name, value) in other.entries {
            match self.entries.iter_mut().find(|(key, _)| *key == name) {
                Some((_, slot)) => *slot = value,
                None => self.entries.push((name, value)),
            }
        }
    }

    /// The variable `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&PhpParam> {
        self.entries
            .iter()
            .find(|(key, _)| key == name.as_bytes())
            .map(|(_, value)| value)
    }

    /// The scalar variable `name`.
    pub(crate) fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.get(name).and_then(PhpParam::as_bytes)
    }

    /// Whether `name` is missing or PHP-`empty()`.
    pub(crate) fn is_empty_param(&self, name: &str) -> bool {
        self.get(name).is_none_or(PhpParam::is_php_empty)
    }

    /// Removes `name`, returning its value.
    pub(crate) fn remove(&mut self, name: &str) -> Option<PhpParam> {
        let at = self
            .entries
            .iter()
            .position(|(key, _)| key == name.as_bytes())?;
        Some(self.entries.remove(at).1)
    }

    /// The variables sorted by name with `strcmp` (byte order), as `uksort` does.
    pub(crate) fn into_sorted(mut self) -> Vec<(Vec<u8>, PhpParam)> {
        self.entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        self.entries
    }

    /// Stores one decoded `name=value` pair the way `php_register_variable_ex` does.
    fn register(&mut self, name: &[u8], value: Vec<u8>) {
        let (base, path) = split_variable_name(name);
        if base.is_empty() {
            return;
        }
        if path.len() > MAX_INPUT_NESTING_LEVEL {
            // PHP deletes the whole top-level variable when one of its names nests too deep.
            self.entries.retain(|(key, _)| *key != base);
            return;
        }
        let slot = match self.entries.iter().position(|(key, _)| *key == base) {
            Some(at) => &mut self.entries[at].1,
            None => {
                self.entries.push((base, PhpParam::Str(Vec::new())));
                &mut self.entries.last_mut().expect("just pushed").1
            }
        };
        assign(slot, &path, value);
    }
}

/// Splits `a.b[x][]` into the mangled base name `a_b` and the index path
/// `[Some("x"), None]` (`None` appends).
fn split_variable_name(raw: &[u8]) -> (Vec<u8>, Vec<Option<Vec<u8>>>) {
    // PHP skips leading spaces, and turns ` ` and `.` into `_` up to the first `[`.
    let start = raw.iter().position(|&b| b != b' ').unwrap_or(raw.len());
    let raw = &raw[start..];
    let open = raw.iter().position(|&b| b == b'[');
    let mangle = |part: &[u8]| -> Vec<u8> {
        part.iter()
            .map(|&b| if b == b' ' || b == b'.' { b'_' } else { b })
            .collect()
    };
    let Some(open) = open else {
        return (mangle(raw), Vec::new());
    };
    let mut path = Vec::new();
    let mut rest = &raw[open..];
    while let Some(inner) = rest.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&b| b == b']') else {
            break;
        };
        let key = &inner[..close];
        path.push((!key.is_empty()).then(|| key.to_vec()));
        rest = &inner[close + 1..];
    }
    if path.is_empty() {
        // An unclosed `[`: PHP keeps the whole name, with that `[` turned into `_`.
        let mut base = mangle(&raw[..open]);
        base.push(b'_');
        base.extend_from_slice(&raw[open + 1..]);
        return (base, Vec::new());
    }
    (mangle(&raw[..open]), path)
}

/// Writes `value` at `path` under `slot`, turning scalars on the way into arrays.
fn assign(slot: &mut PhpParam, path: &[Option<Vec<u8>>], value: Vec<u8>) {
    let Some((first, rest)) = path.split_first() else {
        *slot = PhpParam::Str(value);
        return;
    };
    if !matches!(slot, PhpParam::Array(_)) {
        *slot = PhpParam::Array(Vec::new());
    }
    let PhpParam::Array(items) = slot else {
        unreachable!("made an array above")
    };
    let at = match first {
        None => {
            items.push((next_index(items), PhpParam::Str(Vec::new())));
            items.len() - 1
        }
        Some(key) => match items.iter().position(|(existing, _)| existing == key) {
            Some(at) => at,
            None => {
                items.push((key.clone(), PhpParam::Str(Vec::new())));
                items.len() - 1
            }
        },
    };
    assign(&mut items[at].1, rest, value);
}

/// The key `a[]` gets: one more than the largest integer key, or 0.
fn next_index(items: &[(Vec<u8>, PhpParam)]) -> Vec<u8> {
    items
        .iter()
        .filter_map(|(key, _)| integer_key(key))
        .max()
        .map_or(0, |n| n + 1)
        .to_string()
        .into_bytes()
}

/// PHP stores decimal-integer string keys as integers (`"5"` → 5, but `"05"` stays a
/// string); printed back they are the same text, so only `a[]` numbering needs this.
fn integer_key(key: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(key).ok()?;
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

/// PHP's `urldecode`: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
pub(crate) fn urldecode(input: &[u8]) -> Vec<u8> {
    decode(input, true)
}

/// PHP's `rawurldecode`: like `urldecode`, but `+` stays `+`.
pub(crate) fn rawurldecode(input: &[u8]) -> Vec<u8> {
    decode(input, false)
}

fn decode(input: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// PHP's `rawurlencode` (RFC 3986): everything but `A-Z a-z 0-9 - _ . ~` becomes `%XX`.
pub(crate) fn rawurlencode(input: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(input.len() * 3);
    for &b in input {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    out
}

/// The `oauth_*` parameters of an `Authorization: OAuth …` header, as WooCommerce's
/// `parse_header` reads them: every `oauth_[a-z_-]*=` followed by a double-quoted value
/// (an optional `:` may precede the quote) or else by everything up to the next comma;
/// values are `urldecode`d. Anything not starting with exactly `OAuth ` gives nothing.
pub(crate) fn oauth_header_params(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let header = header.trim_ascii();
    if !header.starts_with(b"OAuth ") {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut at = 0;
    while at < header.len() {
        match oauth_header_match(header, at) {
            Some((name, value, end)) => {
                found.push((name, urldecode(&value)));
                at = end;
            }
            None => at += 1,
        }
    }
    found
}

/// One match of `(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))` at `start`: name, value, end.
fn oauth_header_match(header: &[u8], start: usize) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    let rest = &header[start..];
    if !rest.starts_with(b"oauth_") {
        return None;
    }
    let name_len = 6 + rest[6..]
        .iter()
        .take_while(|&&b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        .count();
    if rest.get(name_len) != Some(&b'=') {
        return None;
    }
    let name = rest[..name_len].to_vec();
    let value_at = name_len + 1;
    let after = &rest[value_at..];
    let quote_at = match after.first() {
        Some(b'"') => Some(0),
        Some(b':') if after.get(1) == Some(&b'"') => Some(1),
        _ => None,
    };
    if let Some(quote_at) = quote_at {
        let inner = &after[quote_at + 1..];
        if let Some(close) = inner.iter().position(|&b| b == b'"') {
            let end = start + value_at + quote_at + 1 + close + 1;
            return Some((name, inner[..close].to_vec(), end));
        }
    }
    let len = after.iter().take_while(|&&b| b != b',').count();
    Some((name, after[..len].to_vec(), start + value_at + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(value: &str) -> PhpParam {
        PhpParam::Str(value.as_bytes().to_vec())
    }

    #[test]
    fn duplicates_keep_the_last_value_and_the_first_position() {
        let params = PhpParams::parse(b"page=2&per_page=5&search=john+doe&x=1&page=3");
        assert_eq!(params.get("page"), Some(&s("3")));
        assert_eq!(params.get("search"), Some(&s("john doe")));
        let names: Vec<_> = params.into_sorted().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, [&b"page"[..], b"per_page", b"search", b"x"]);
    }

    #[test]
    fn arrays_keep_insertion_order_at_every_level() {
        let params = PhpParams::parse(b"filter%5Bq%5D=a&filter[limit]=5&f[]=x&f[]=y&f[7]=z&f[]=w");
        assert_eq!(
            params.get("filter"),
            Some(&PhpParam::Array(vec![
                (b"q".to_vec(), s("a")),
                (b"limit".to_vec(), s("5")),
            ]))
        );
        assert_eq!(
            params.get("f"),
            Some(&PhpParam::Array(vec![
                (b"0".to_vec(), s("x")),
                (b"1".to_vec(), s("y")),
                (b"7".to_vec(), s("z")),
                (b"8".to_vec(), s("w")),
            ]))
        );
    }

    #[test]
    fn names_are_mangled_like_php() {
        let params = PhpParams::parse(b"a.b=1&+c+d=2&e[=3&=4&g");
        assert_eq!(params.get("a_b"), Some(&s("1")));
        assert_eq!(params.get("c_d"), Some(&s("2")));
        assert_eq!(params.get("e_"), Some(&s("3")));
        assert_eq!(params.get("g"), Some(&s("")));
        assert_eq!(params.into_sorted().len(), 4);
    }

    #[test]
    fn php_input_limits_hold() {
        let deep = format!("a=1&b=2&a{}=1", "[x]".repeat(MAX_INPUT_NESTING_LEVEL + 1));
        let params = PhpParams::parse(deep.as_bytes());
        assert_eq!(params.get("a"), None);
        assert_eq!(params.get("b"), Some(&s("2")));
        let hostile = format!("c{}=1&b=2", "[]".repeat(3_500));
        assert_eq!(PhpParams::parse(hostile.as_bytes()).get("b"), Some(&s("2")));

        let many: Vec<String> = (0..MAX_INPUT_VARS + 5).map(|i| format!("v{i}=1")).collect();
        let params = PhpParams::parse(format!("&&{}", many.join("&")).as_bytes());
        assert_eq!(params.into_sorted().len(), MAX_INPUT_VARS);
    }

    #[test]
    fn php_empty_treats_zero_as_empty() {
        let params = PhpParams::parse(b"a=0&b=&c=00&d[]=");
        assert!(params.is_empty_param("a"));
        assert!(params.is_empty_param("b"));
        assert!(!params.is_empty_param("c"));
        assert!(!params.is_empty_param("d"));
        assert!(params.is_empty_param("missing"));
    }

    #[test]
    fn values_stay_bytes() {
        let params = PhpParams::parse(b"v=%FF%00");
        assert_eq!(params.get_bytes("v"), Some(&[0xFF, 0x00][..]));
    }

    #[test]
    fn decoding_and_encoding_follow_php() {
        assert_eq!(urldecode(b"a+b%2Bc%zz%4"), b"a b+c%zz%4");
        assert_eq!(rawurldecode(b"a+b%2fc"), b"a+b/c");
        assert_eq!(rawurlencode("a b/~é*".as_bytes()), b"a%20b%2F~%C3%A9%2A");
    }

    #[test]
    fn authorization_header_params() {
        let header = br#"OAuth oauth_consumer_key="ck_1", oauth_nonce=abc,oauth_signature="a%2Bb%3D", realm="x", oauth_timestamp=:"17", oauth_Bad="1""#;
        let params = oauth_header_params(header);
        let as_text: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            as_text,
            [
                ("oauth_consumer_key".into(), "ck_1".into()),
                ("oauth_nonce".into(), "abc".into()),
                ("oauth_signature".into(), "a+b=".into()),
                ("oauth_timestamp".into(), "17".into()),
            ]
        );
        assert!(oauth_header_params(b"Basic abc").is_empty());
        assert!(oauth_header_params(b"oauth oauth_nonce=1").is_empty());
    }
}
