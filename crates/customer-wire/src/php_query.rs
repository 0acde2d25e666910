//! Query strings (and form bodies) read the way PHP reads them into `$_GET`.
//!
//! - `a=1&a=2` → `a` is `"2"`: the last value wins (the official WooCommerce clients send
//!   every parameter twice, so this matters).
//! - `a[]=1&a[]=2` → `a` is the list `["1", "2"]`; `a[x]=1&a[y]=2` → `a` is the map
//!   `{x: "1", y: "2"}`; nesting works (`a[x][]=1`).
//! - Names are percent-decoded with `+` as space; PHP turns `.` and ` ` in the top-level
//!   name into `_`; a name without a closing `]` keeps its `[` as a literal (PHP turns it
//!   into `_`).
//! - A plain value after an array value of the same name replaces it, and the reverse.
//! - PHP's input limits hold: at most [`MAX_INPUT_VARS`] pairs are read (the rest are
//!   ignored), and a name nested deeper than [`MAX_INPUT_NESTING_LEVEL`] brackets is
//!   dropped together with anything already stored under its top-level name. These keep
//!   parsing cost linear and every nested value shallow, whatever a client sends.

use std::collections::BTreeMap;

/// PHP's `max_input_vars` default: pairs past this many are not read.
pub const MAX_INPUT_VARS: usize = 1000;

/// PHP's `max_input_nesting_level` default: a name with more bracket groups than this
/// is dropped, with the variable of its top-level name.
pub const MAX_INPUT_NESTING_LEVEL: usize = 64;

/// A parsed value: a string, or a container of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpValue {
    /// A scalar value.
    Str(String),
    /// `a[]=…` items in order.
    List(Vec<PhpValue>),
    /// `a[key]=…` items (PHP arrays keep insertion order; keys are kept sorted here, which
    /// no dialect depends on).
    Map(BTreeMap<String, PhpValue>),
}

impl PhpValue {
    /// The string, when scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value at `key` of a map.
    pub fn get(&self, key: &str) -> Option<&PhpValue> {
        match self {
            Self::Map(map) => map.get(key),
            _ => None,
        }
    }
}

/// A query string parsed into top-level names (in first-seen order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhpQuery {
    entries: Vec<(String, PhpValue)>,
}

impl PhpQuery {
    /// Parses `raw` (without the leading `?`).
    pub fn parse(raw: &str) -> Self {
        let mut query = Self::default();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()).take(MAX_INPUT_VARS) {
            query.insert(&name, value.into_owned());
        }
        query
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&PhpValue> {
        self.entries
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The string value of `name`, when it is scalar.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(PhpValue::as_str)
    }

    /// Whether `name` is present (with any value, even empty).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Top-level names and values in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PhpValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<PhpValue> {
        let at = self.entries.iter().position(|(key, _)| key == name)?;
        Some(self.entries.remove(at).1)
    }

    fn insert(&mut self, raw_name: &str, value: String) {
        let (base, path) = split_name(raw_name);
        if base.is_empty() {
            return;
        }
        if path.len() > MAX_INPUT_NESTING_LEVEL {
            // PHP deletes the whole top-level variable when one of its names nests too deep.
            self.remove(&base);
            return;
        }
        let slot = match self.entries.iter().position(|(key, _)| *key == base) {
            Some(at) => &mut self.entries[at].1,
            None => {
                self.entries.push((base, PhpValue::Str(String::new())));
                &mut self.entries.last_mut().expect("just pushed").1
            }
        };
        set_path(slot, &path, value);
    }
}

/// Splits `a[b][]` into `a` and `[Some("b"), None]` (None = append).
fn split_name(raw: &str) -> (String, Vec<Option<String>>) {
    let Some(open) = raw.find('[') else {
        return (php_base_name(raw), Vec::new());
    };
    let mut path = Vec::new();
    let mut rest = &raw[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        let key = &stripped[..close];
        path.push((!key.is_empty()).then(|| key.to_owned()));
        rest = &stripped[close + 1..];
    }
    if path.is_empty() {
        // An unclosed bracket: PHP keeps the name, with `[` turned into `_`.
        return (php_base_name(&raw.replacen('[', "_", 1)), Vec::new());
    }
    (php_base_name(&raw[..open]), path)
}

fn php_base_name(name: &str) -> String {
    name.trim_start_matches(' ').replace(['.', ' '], "_")
}

fn set_path(slot: &mut PhpValue, path: &[Option<String>], value: String) {
    let Some((first, rest)) = path.split_first() else {
        *slot = PhpValue::Str(value);
        return;
    };
    match first {
        None => {
            if !matches!(slot, PhpValue::List(_) | PhpValue::Map(_)) {
                *slot = PhpValue::List(Vec::new());
            }
            let mut child = PhpValue::Str(String::new());
            set_path(&mut child, rest, value);
            match slot {
                PhpValue::List(items) => items.push(child),
                PhpValue::Map(map) => {
                    let next = map
                        .keys()
                        .filter_map(|k| k.parse::<u64>().ok())
                        .max()
                        .map_or(0, |n| n + 1);
                    map.insert(next.to_string(), child);
                }
                PhpValue::Str(_) => unreachable!("made a container above"),
            }
        }
        Some(key) => {
            if let PhpValue::List(items) = slot {
                let map = items
                    .drain(..)
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect();
                *slot = PhpValue::Map(map);
            }
            if !matches!(slot, PhpValue::Map(_)) {
                *slot = PhpValue::Map(BTreeMap::new());
            }
            let PhpValue::Map(map) = slot else {
                unreachable!("made a map above")
            };
            let child = map
                .entry(key.clone())
                .or_insert_with(|| PhpValue::Str(String::new()));
            set_path(child, rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_wins() {
        let q = PhpQuery::parse("page=1&per_page=5&page=2&per_page=5");
        assert_eq!(q.get_str("page"), Some("2"));
        assert_eq!(q.get_str("per_page"), Some("5"));
        assert_eq!(
            q.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["page", "per_page"]
        );
    }

    #[test]
    fn brackets_make_lists_and_maps() {
        let q = PhpQuery::parse("include[]=1&include[]=2&filter[limit]=5&filter[q]=a+b");
        assert_eq!(
            q.get("include"),
            Some(&PhpValue::List(vec![
                PhpValue::Str("1".into()),
                PhpValue::Str("2".into())
            ]))
        );
        let filter = q.get("filter").unwrap();
        assert_eq!(filter.get("limit").and_then(PhpValue::as_str), Some("5"));
        assert_eq!(filter.get("q").and_then(PhpValue::as_str), Some("a b"));
    }

    #[test]
    fn encoded_brackets_and_dots() {
        let q = PhpQuery::parse("filter%5Blimit%5D=3&a.b=1&c%20d=2&e[=3");
        assert_eq!(
            q.get("filter")
                .and_then(|f| f.get("limit"))
                .and_then(PhpValue::as_str),
            Some("3")
        );
        assert_eq!(q.get_str("a_b"), Some("1"));
        assert_eq!(q.get_str("c_d"), Some("2"));
        assert_eq!(q.get_str("e_"), Some("3"));
    }

    #[test]
    fn names_nested_deeper_than_php_allows_are_dropped_with_their_variable() {
        let at_limit = format!("a{}=1", "[x]".repeat(MAX_INPUT_NESTING_LEVEL));
        let q = PhpQuery::parse(&at_limit);
        let mut value = q.get("a").unwrap();
        for _ in 0..MAX_INPUT_NESTING_LEVEL {
            value = value.get("x").unwrap();
        }
        assert_eq!(value.as_str(), Some("1"));

        for deep in ["[x]", "[]"] {
            let raw = format!("a=1&b=2&a{}=1", deep.repeat(MAX_INPUT_NESTING_LEVEL + 1));
            let q = PhpQuery::parse(&raw);
            assert_eq!(q.get("a"), None, "{deep}");
            assert_eq!(q.get_str("b"), Some("2"));
        }
        // Thousands of levels cost nothing and keep the stack shallow.
        let hostile = format!("a{}=1&b=2", "[a]".repeat(3_500));
        assert_eq!(PhpQuery::parse(&hostile).get_str("b"), Some("2"));
    }

    #[test]
    fn only_the_first_thousand_pairs_are_read() {
        let raw: Vec<String> = (0..MAX_INPUT_VARS + 5)
            .map(|i| format!("v{i}={i}"))
            .collect();
        let q = PhpQuery::parse(&raw.join("&"));
        assert_eq!(q.iter().count(), MAX_INPUT_VARS);
        assert_eq!(q.get_str("v999"), Some("999"));
        assert_eq!(q.get_str("v1000"), None);
    }

    #[test]
    fn scalar_replaces_array_and_back() {
        let q = PhpQuery::parse("a[]=1&a=2");
        assert_eq!(q.get_str("a"), Some("2"));
        let q = PhpQuery::parse("a=2&a[]=1");
        assert_eq!(
            q.get("a"),
            Some(&PhpValue::List(vec![PhpValue::Str("1".into())]))
        );
    }
}
