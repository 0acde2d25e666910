//! PHP's and WordPress's request rules: how `$_GET` and `$_POST` are filled from a query
//! string or form body ([`Vars`]), and the small functions every dialect applies to
//! what it reads (`intval`, `absint`, `empty`, `sanitize_text_field`, `sanitize_key`,
//! `urldecode`).
//!
//! [`Vars`] is the one parser of request variables; every dialect and WooCommerce's
//! authentication read through it, so they agree on every rule:
//! - `a=1&a=2`: the last value wins, at the first position (the official WooCommerce
//!   clients send every parameter twice).
//! - `a[]=1&a[x]=2`: arrays, at any depth, in insertion order (OAuth signatures list
//!   inner keys in that order); `a[]` takes one more than the largest integer key.
//! - Names are `urldecode`d; leading spaces are skipped; ` ` and `.` in the top-level
//!   name become `_`; an unclosed `[` becomes `_` and the rest stays as sent.
//! - Values stay bytes, exactly as sent: PHP does not care about UTF-8, and a signature
//!   over a lossy decoding would differ. [`Var::text`] gives the lossy text dialects use.
//! - PHP's input limits hold: at most [`MAX_INPUT_VARS`] pairs of one source are read,
//!   and a name nested deeper than [`MAX_INPUT_NESTING_LEVEL`] brackets is dropped with
//!   whatever is already stored under its top-level name. These keep parsing linear and
//!   every value shallow, whatever a client sends.

use std::borrow::Cow;

/// PHP's `max_input_vars` default: pairs past this many are not read.
pub const MAX_INPUT_VARS: usize = 1000;

/// PHP's `max_input_nesting_level` default: a name with more bracket groups than this
/// is dropped, with the variable of its top-level name.
pub const MAX_INPUT_NESTING_LEVEL: usize = 64;

/// A request variable: a byte string, or an array in insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    /// A scalar value, as sent.
    Str(Vec<u8>),
    /// An array: keys (as PHP prints them) and values, in insertion order.
    Array(Vec<(Vec<u8>, Var)>),
}

impl Var {
    /// The bytes of a scalar value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Str(bytes) => Some(bytes),
            Self::Array(_) => None,
        }
    }

    /// A scalar value as text (invalid UTF-8 replaced); `None` for an array.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }

    /// The member `key` of an array.
    pub fn get(&self, key: &str) -> Option<&Var> {
        self.items()
            .iter()
            .find(|(name, _)| name == key.as_bytes())
            .map(|(_, value)| value)
    }

    /// The members of an array in insertion order; nothing for a scalar.
    pub fn items(&self) -> &[(Vec<u8>, Var)] {
        match self {
            Self::Str(_) => &[],
            Self::Array(items) => items,
        }
    }

    /// PHP's `empty()`: `""`, `"0"` and `[]` are empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Str(bytes) => empty(bytes),
            Self::Array(items) => items.is_empty(),
        }
    }
}

/// Top-level request variables in insertion order (what `array_merge($_GET, $_POST)`
/// gives for string keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    entries: Vec<(Vec<u8>, Var)>,
}

impl Vars {
    /// Parses a query string or form body (without `?`) as PHP does.
    pub fn parse(raw: &[u8]) -> Self {
        let mut vars = Self::default();
        vars.extend_from(raw);
        vars
    }

    /// Adds the variables of another query string or form body; a name already present
    /// is replaced in place.
    pub fn extend_from(&mut self, raw: &[u8]) {
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
    pub fn set(&mut self, name: &[u8], value: Vec<u8>) {
        match self.entries.iter_mut().find(|(key, _)| key == name) {
            Some((_, slot)) => *slot = Var::Str(value),
            None => self.entries.push((name.to_vec(), Var::Str(value))),
        }
    }

    /// `array_merge($this, $other)` for string keys: `other`'s values replace values of
    /// the same name in place, new names are appended.
    pub fn merge(&mut self, other: Vars) {
        for (name, value) in other.entries {
            match self.entries.iter_mut().find(|(key, _)| *key == name) {
                Some((_, slot)) => *slot = value,
                None => self.entries.push((name, value)),
            }
        }
    }

    /// The variable `name`.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.entries
            .iter()
            .find(|(key, _)| key == name.as_bytes())
            .map(|(_, value)| value)
    }

    /// The scalar variable `name`, as sent.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.get(name).and_then(Var::as_bytes)
    }

    /// The scalar variable `name` as text (invalid UTF-8 replaced).
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).and_then(Var::text)
    }

    /// Whether `name` is present, with any value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether `name` is missing or PHP-`empty()`.
    pub fn is_empty_var(&self, name: &str) -> bool {
        self.get(name).is_none_or(Var::is_empty)
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Var> {
        let at = self
            .entries
            .iter()
            .position(|(key, _)| key == name.as_bytes())?;
        Some(self.entries.remove(at).1)
    }

    /// Names and values in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Var)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_slice(), value))
    }

    /// How many top-level variables there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no variable at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The variables sorted by name with `strcmp` (byte order), as `uksort` does.
    pub fn into_sorted(mut self) -> Vec<(Vec<u8>, Var)> {
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
                self.entries.push((base, Var::Str(Vec::new())));
                &mut self.entries.last_mut().expect("just pushed").1
            }
        };
        assign(slot, &path, value);
    }
}

/// Splits `a.b[x][]` into the mangled base name `a_b` and the index path
/// `[Some("x"), None]` (`None` appends).
fn split_variable_name(raw: &[u8]) -> (Vec<u8>, Vec<Option<Vec<u8>>>) {
    let start = raw.iter().position(|&b| b != b' ').unwrap_or(raw.len());
    let raw = &raw[start..];
    let mangle = |part: &[u8]| -> Vec<u8> {
        part.iter()
            .map(|&b| if b == b' ' || b == b'.' { b'_' } else { b })
            .collect()
    };
    let Some(open) = raw.iter().position(|&b| b == b'[') else {
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
        let mut base = mangle(&raw[..open]);
        base.push(b'_');
        base.extend_from_slice(&raw[open + 1..]);
        return (base, Vec::new());
    }
    (mangle(&raw[..open]), path)
}

/// Writes `value` at `path` under `slot`, turning scalars on the way into arrays.
fn assign(slot: &mut Var, path: &[Option<Vec<u8>>], value: Vec<u8>) {
    let Some((first, rest)) = path.split_first() else {
        *slot = Var::Str(value);
        return;
    };
    if !matches!(slot, Var::Array(_)) {
        *slot = Var::Array(Vec::new());
    }
    let Var::Array(items) = slot else {
        unreachable!("made an array above")
    };
    let at = match first {
        None => {
            items.push((next_index(items), Var::Str(Vec::new())));
            items.len() - 1
        }
        Some(key) => match items.iter().position(|(existing, _)| existing == key) {
            Some(at) => at,
            None => {
                items.push((key.clone(), Var::Str(Vec::new())));
                items.len() - 1
            }
        },
    };
    assign(&mut items[at].1, rest, value);
}

/// The key `a[]` gets: one more than the largest integer key, or 0.
fn next_index(items: &[(Vec<u8>, Var)]) -> Vec<u8> {
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
pub fn integer_key(key: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(key).ok()?;
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

/// PHP's `urldecode`: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
pub fn urldecode(input: &[u8]) -> Vec<u8> {
    decode(input, true)
}

/// PHP's `rawurldecode`: like `urldecode`, but `+` stays `+`.
pub fn rawurldecode(input: &[u8]) -> Vec<u8> {
    decode(input, false)
}

/// [`urldecode`] of text, as text (invalid UTF-8 replaced).
pub fn urldecode_text(input: &str) -> String {
    String::from_utf8_lossy(&urldecode(input.as_bytes())).into_owned()
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
pub fn rawurlencode(input: &[u8]) -> Vec<u8> {
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

/// PHP's `hash_equals`: false on different lengths, else a comparison whose time does
/// not depend on where the values differ.
pub fn hash_equals(expected: &[u8], provided: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    expected.len() == provided.len() && bool::from(expected.ct_eq(provided))
}

/// PHP's `empty()` of a string: `""` and `"0"`.
pub fn empty(value: &[u8]) -> bool {
    value.is_empty() || value == b"0"
}

/// The blanks PHP skips around numbers (`" \t\n\r\v\f"`).
const PHP_BLANKS: [char; 6] = [' ', '\t', '\n', '\r', '\x0b', '\x0c'];

/// PHP's `intval` of a string: optional leading blanks and a sign, then the leading
/// digits; anything else is 0. Values beyond `i64` saturate.
pub fn intval(raw: &str) -> i64 {
    let trimmed = raw.trim_start_matches(PHP_BLANKS);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative { -value } else { value }
}

/// WordPress's `absint`: the absolute value of [`intval`].
pub fn absint(raw: &str) -> u64 {
    intval(raw).unsigned_abs()
}

/// PHP's `is_numeric` on a string: optional surrounding blanks, a sign, digits with an
/// optional fraction, an optional exponent.
pub fn is_numeric(text: &str) -> bool {
    numeric_value(text).is_some()
}

/// The value of a numeric string (see [`is_numeric`]).
pub fn numeric_value(text: &str) -> Option<f64> {
    let trimmed = text.trim_matches(PHP_BLANKS);
    let body = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    trimmed.parse::<f64>().ok()
}

/// WordPress's `sanitize_key`: lower-case, only `[a-z0-9_-]` kept.
pub fn sanitize_key(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(u8::to_ascii_lowercase)
        .filter(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
        .collect()
}

/// WordPress's `sanitize_text_field` (and WooCommerce's `wc_clean` of a string): tags
/// are stripped, runs of tabs, line breaks and spaces become one space, the ends are
/// trimmed, and `%XX` octets are removed.
///
/// A `<` that starts no complete tag (`a < b`) is kept, as WordPress keeps it.
pub fn sanitize_text_field(raw: &str) -> String {
    let mut without_tags = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        match after.find('>') {
            Some(close) if starts_tag => {
                without_tags.push_str(&rest[..open]);
                rest = &after[close + 1..];
            }
            _ => {
                without_tags.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    without_tags.push_str(rest);
    let folded = fold_blanks(&without_tags);
    let mut text = folded;
    let mut found = false;
    while let Some(at) = find_octet(&text) {
        let octet = text[at..at + 3].to_owned();
        text = text.replace(&octet, "");
        found = true;
    }
    if found {
        text = text
            .split(' ')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
    text
}

/// [`sanitize_text_field`] of raw bytes: invalid UTF-8 gives an empty string, as
/// WordPress's `wp_check_invalid_utf8` does.
pub fn sanitize_text_field_bytes(raw: &[u8]) -> Vec<u8> {
    std::str::from_utf8(raw).map_or_else(|_| Vec::new(), |text| sanitize_text_field(text).into())
}

/// Runs of `\r`, `\n`, `\t` and spaces as one space, ends trimmed.
fn fold_blanks(text: &str) -> String {
    text.split(['\r', '\n', '\t', ' '])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the first `%XX` octet (hex digits in any case) starts.
fn find_octet(text: &str) -> Option<usize> {
    text.as_bytes()
        .windows(3)
        .position(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(value: &str) -> Var {
        Var::Str(value.as_bytes().to_vec())
    }

    #[test]
    fn duplicates_keep_the_last_value_and_the_first_position() {
        let vars = Vars::parse(b"page=2&per_page=5&search=john+doe&x=1&page=3");
        assert_eq!(vars.get("page"), Some(&s("3")));
        assert_eq!(vars.text("search").as_deref(), Some("john doe"));
        let names: Vec<_> = vars.iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(names, [&b"page"[..], b"per_page", b"search", b"x"]);
    }

    #[test]
    fn arrays_keep_insertion_order_at_every_level() {
        let vars = Vars::parse(b"filter%5Bq%5D=a&filter[limit]=5&f[]=x&f[]=y&f[7]=z&f[]=w");
        assert_eq!(
            vars.get("filter"),
            Some(&Var::Array(vec![
                (b"q".to_vec(), s("a")),
                (b"limit".to_vec(), s("5")),
            ]))
        );
        assert_eq!(
            vars.get("f"),
            Some(&Var::Array(vec![
                (b"0".to_vec(), s("x")),
                (b"1".to_vec(), s("y")),
                (b"7".to_vec(), s("z")),
                (b"8".to_vec(), s("w")),
            ]))
        );
        assert_eq!(
            vars.get("filter").and_then(|f| f.get("limit")),
            Some(&s("5"))
        );
        assert_eq!(Vars::parse(b"a[x][]=1").get("a").unwrap().items().len(), 1);
    }

    #[test]
    fn names_are_mangled_like_php() {
        let vars = Vars::parse(b"a.b=1&+c+d=2&e[=3&=4&g&c%20e=5");
        assert_eq!(vars.get("a_b"), Some(&s("1")));
        assert_eq!(vars.get("c_d"), Some(&s("2")));
        assert_eq!(vars.get("e_"), Some(&s("3")));
        assert_eq!(vars.get("g"), Some(&s("")));
        assert_eq!(vars.get("c_e"), Some(&s("5")));
        assert_eq!(vars.len(), 5);
    }

    #[test]
    fn a_scalar_replaces_an_array_and_back() {
        assert_eq!(Vars::parse(b"a[]=1&a=2").get("a"), Some(&s("2")));
        assert_eq!(
            Vars::parse(b"a=2&a[]=1").get("a"),
            Some(&Var::Array(vec![(b"0".to_vec(), s("1"))]))
        );
    }

    #[test]
    fn names_nested_deeper_than_php_allows_are_dropped_with_their_variable() {
        let at_limit = format!("a{}=1", "[x]".repeat(MAX_INPUT_NESTING_LEVEL));
        let vars = Vars::parse(at_limit.as_bytes());
        let mut value = vars.get("a").unwrap();
        for _ in 0..MAX_INPUT_NESTING_LEVEL {
            value = value.get("x").unwrap();
        }
        assert_eq!(value, &s("1"));
        for deep in ["[x]", "[]"] {
            let raw = format!("a=1&b=2&a{}=1", deep.repeat(MAX_INPUT_NESTING_LEVEL + 1));
            let vars = Vars::parse(raw.as_bytes());
            assert_eq!(vars.get("a"), None, "{deep}");
            assert_eq!(vars.get("b"), Some(&s("2")));
        }
        // Thousands of levels cost nothing and keep the stack shallow.
        let hostile = format!("c{}=1&b=2", "[]".repeat(3_500));
        assert_eq!(Vars::parse(hostile.as_bytes()).get("b"), Some(&s("2")));
    }

    #[test]
    fn only_the_first_thousand_pairs_are_read() {
        let many: Vec<String> = (0..MAX_INPUT_VARS + 5)
            .map(|i| format!("v{i}={i}"))
            .collect();
        let vars = Vars::parse(format!("&&{}", many.join("&")).as_bytes());
        assert_eq!(vars.len(), MAX_INPUT_VARS);
        assert_eq!(vars.text("v999").as_deref(), Some("999"));
        assert_eq!(vars.get("v1000"), None);
    }

    #[test]
    fn php_empty_treats_zero_as_empty() {
        let vars = Vars::parse(b"a=0&b=&c=00&d[]=");
        assert!(vars.is_empty_var("a"));
        assert!(vars.is_empty_var("b"));
        assert!(!vars.is_empty_var("c"));
        assert!(!vars.is_empty_var("d"));
        assert!(vars.is_empty_var("missing"));
    }

    #[test]
    fn values_stay_bytes_and_read_as_lossy_text() {
        let vars = Vars::parse(b"v=%FF%00a");
        assert_eq!(vars.get_bytes("v"), Some(&[0xFF, 0x00, b'a'][..]));
        assert_eq!(vars.text("v").as_deref(), Some("\u{FFFD}\u{0}a"));
    }

    #[test]
    fn merging_and_setting_replace_in_place() {
        let mut vars = Vars::parse(b"a=1&b=2");
        vars.merge(Vars::parse(b"c=3&a=4"));
        vars.set(b"b", b"5".to_vec());
        let pairs: Vec<_> = vars
            .into_sorted()
            .into_iter()
            .map(|(k, v)| (k, v.as_bytes().unwrap().to_vec()))
            .collect();
        assert_eq!(
            pairs,
            [
                (b"a".to_vec(), b"4".to_vec()),
                (b"b".to_vec(), b"5".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
    }

    #[test]
    fn decoding_and_encoding_follow_php() {
        assert_eq!(urldecode(b"a+b%2Bc%zz%4"), b"a b+c%zz%4");
        assert_eq!(rawurldecode(b"a+b%2fc"), b"a+b/c");
        assert_eq!(rawurlencode("a b/~é*".as_bytes()), b"a%20b%2F~%C3%A9%2A");
        assert_eq!(urldecode_text("a%40b.c"), "a@b.c");
    }

    #[test]
    fn integers_follow_intval_and_absint() {
        assert_eq!(intval(" 12abc"), 12);
        assert_eq!(intval("-5"), -5);
        assert_eq!(intval("abc"), 0);
        assert_eq!(intval("99999999999999999999"), i64::MAX);
        assert_eq!(absint("-5"), 5);
        assert_eq!(integer_key(b"5"), Some(5));
        assert_eq!(integer_key(b"05"), None);
    }

    #[test]
    fn numeric_strings_follow_is_numeric() {
        for yes in ["5", " 5.0", "-3", ".5", "1e3", "+2E-2 "] {
            assert!(is_numeric(yes), "{yes}");
        }
        for no in ["", ".", "abc", "1e", "0x1A", "1.2.3"] {
            assert!(!is_numeric(no), "{no}");
        }
        assert_eq!(numeric_value(" 1e3"), Some(1000.0));
    }

    #[test]
    fn text_fields_and_keys_are_sanitised_like_wordpress() {
        assert_eq!(
            sanitize_text_field("  <b>James</b>\n Doe %41 "),
            "James Doe"
        );
        assert_eq!(sanitize_text_field("a < b"), "a < b");
        assert_eq!(sanitize_text_field("x %4a%4Ay z"), "x y z");
        assert_eq!(
            sanitize_text_field_bytes(b"  ck_a \t\n b%41 "),
            b"ck_a b".to_vec()
        );
        assert_eq!(sanitize_text_field_bytes(&[0xFF]), Vec::<u8>::new());
        assert_eq!(sanitize_key(b"Ck_AB-c.d!"), b"ck_ab-cd");
        assert!(empty(b"0") && empty(b"") && !empty(b"00"));
        assert!(hash_equals(b"abc", b"abc"));
        assert!(!hash_equals(b"abc", b"abd"));
        assert!(!hash_equals(b"abc", b"abcd"));
    }
}
