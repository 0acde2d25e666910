//! The value tree EDD's API writes, and its two renderings: PHP's
//! `json_encode(…, JSON_PRETTY_PRINT)` and EDD's `ArrayToXML`.
//!
//! EDD builds a PHP array and hands it to one of two writers, so one tree with two
//! writers reproduces both outputs. Amounts are kept as exact decimal digits
//! ([`Node::Amount`]) so that no float ever touches money; the only float is the
//! `request_speed` timing.
//!
//! Large JSON answers skip the tree: [`to_pretty_json_of`] writes typed objects in the
//! same text through serde_json with [`PhpPretty`], PHP's formatting rules as a
//! formatter, and [`JsonAmount`] and [`JsonFloat`] write the two kinds of PHP float
//! as the tree's writer does.

use std::io;

use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};
use serde_json::value::RawValue;

/// A PHP value as EDD's output writers see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null` (JSON `null`, an empty XML element).
    Null,
    /// A PHP integer.
    Int(i64),
    /// A PHP float holding an amount, given as exact decimal digits (`"1139.68"`,
    /// `"-0.50"`, `"20"`); written the way PHP writes the float of that value.
    Amount(String),
    /// A PHP float that is not money (the timing `request_speed`).
    Float(f64),
    /// A PHP string.
    Str(String),
    /// A PHP array with string keys, in insertion order.
    Map(Vec<(String, Node)>),
    /// A PHP array with integer keys `first_key`, `first_key + 1`, …: a JSON array when
    /// they start at 0, otherwise a JSON object keyed by the numbers (as `json_encode`
    /// does). XML repeats the parent's element name for each item.
    List {
        /// The key of the first item.
        first_key: usize,
        /// The items.
        items: Vec<Node>,
    },
}

impl Node {
    /// The value as JSON, as `json_decode` of the pretty output would read it (amounts
    /// and timings become JSON numbers).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Int(value) => Value::from(*value),
            Node::Amount(digits) => {
                serde_json::from_str(&amount_as_json_float(digits)).unwrap_or(Value::Null)
            }
            Node::Float(value) => {
                serde_json::Number::from_f64(*value).map_or(Value::Null, Value::Number)
            }
            Node::Str(text) => Value::from(text.as_str()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_json()))
                    .collect(),
            ),
            Node::List {
                first_key: 0,
                items,
            } => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::List { first_key, items } => Value::Object(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| ((first_key + i).to_string(), item.to_json()))
                    .collect(),
            ),
        }
    }

    /// A string node.
    pub fn str(text: impl Into<String>) -> Self {
        Self::Str(text.into())
    }

    /// A map node from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Self {
        Self::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A 0-based list (a JSON array).
    pub fn list(items: Vec<Node>) -> Self {
        Self::List {
            first_key: 0,
            items,
        }
    }
}

/// Writes `node` as PHP's `json_encode($node, JSON_PRETTY_PRINT)` does: four-space
/// indentation, `"key": value`, `/` escaped as `\/`, non-ASCII as `\uXXXX`, empty
/// arrays and objects as `[]` and `{}`, whole floats with `.0`.
pub fn to_pretty_json(node: &Node) -> String {
    let mut out = String::new();
    write_json(node, 0, &mut out);
    out
}

fn write_json(node: &Node, depth: usize, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Int(value) => out.push_str(&value.to_string()),
        Node::Amount(digits) => out.push_str(&amount_as_json_float(digits)),
        Node::Float(value) => out.push_str(&php_float(*value, FloatStyle::Json)),
        Node::Str(text) => write_json_string(text, out),
        Node::Map(entries) => write_json_container(
            ('{', '}'),
            entries.iter().map(|(k, v)| (Some(k.clone()), v)),
            entries.is_empty(),
            depth,
            out,
        ),
        Node::List { first_key, items } if *first_key == 0 => write_json_container(
            ('[', ']'),
            items.iter().map(|v| (None, v)),
            items.is_empty(),
            depth,
            out,
        ),
        Node::List { first_key, items } => write_json_container(
            ('{', '}'),
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Some((first_key + i).to_string()), v)),
            items.is_empty(),
            depth,
            out,
        ),
    }
}

fn write_json_container<'a>(
    (open, close): (char, char),
    members: impl Iterator<Item = (Option<String>, &'a Node)>,
    empty: bool,
    depth: usize,
    out: &mut String,
) {
    out.push(open);
    if empty {
        out.push(close);
        return;
    }
    let indent = "    ";
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('\n');
        out.push_str(&indent.repeat(depth + 1));
        if let Some(key) = key {
            write_json_string(&key, out);
            out.push_str(": ");
        }
        write_json(value, depth + 1, out);
    }
    out.push('\n');
    out.push_str(&indent.repeat(depth));
    out.push(close);
}

fn write_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Writes `value` exactly as [`to_pretty_json`] writes the tree of the same PHP value,
/// straight from a typed object: no tree is built. Amounts and timings must be
/// [`JsonAmount`] and [`JsonFloat`].
pub(super) fn to_pretty_json_of(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PhpPretty::new());
    value
        .serialize(&mut serializer)
        .expect("response objects serialize");
    // Only ASCII is written (everything else is escaped), so the check is a formality.
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// PHP's `JSON_PRETTY_PRINT` as a serde_json formatter: serde_json's pretty layout with
/// four spaces (PHP's, empty arrays and objects as `[]` and `{}` included), and PHP's
/// escapes on top of the ones JSON needs: `/` as `\/`, every character beyond ASCII as
/// `\uXXXX` UTF-16 units. serde_json escapes quotes, backslashes and control
/// characters itself, as PHP does, before handing the runs between them over.
pub(super) struct PhpPretty(PrettyFormatter<'static>);

impl PhpPretty {
    pub(super) fn new() -> Self {
        Self(PrettyFormatter::with_indent(b"    "))
    }
}

impl Formatter for PhpPretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if c.is_ascii() && c != '/' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            if c == '/' {
                writer.write_all(b"\\/")?;
            } else {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(php_float(value, FloatStyle::Json).as_bytes())
    }
}

/// An amount as exact decimal digits, serialized as [`Node::Amount`] is written: the
/// float PHP writes for that value, from the digits (no float is made of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JsonAmount(pub(super) String);

impl Serialize for JsonAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The digits go out as they are: serde_json writes a raw value untouched.
        RawValue::from_string(amount_as_json_float(&self.0))
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

/// A float that is not money, serialized as [`Node::Float`] is written (through
/// [`PhpPretty`]'s floats): a value that is not finite, which `json_encode` refuses and
/// EDD's timings never are, as `0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct JsonFloat(pub(super) f64);

impl Serialize for JsonFloat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            serializer.serialize_f64(self.0)
        } else {
            serializer.serialize_u8(0)
        }
    }
}

/// The decimal digits without trailing fraction zeros: `"20.50"` → `"20.5"`,
/// `"20.00"` → `"20"`, `"-0.00"` → `"0"`.
fn trim_amount(digits: &str) -> String {
    let trimmed = match digits.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => digits.to_owned(),
    };
    if trimmed == "-0" {
        "0".to_owned()
    } else {
        trimmed
    }
}

/// PHP ≥ 7.1 writes a float in JSON in its shortest exact form, with `.0` when whole.
fn amount_as_json_float(digits: &str) -> String {
    let trimmed = trim_amount(digits);
    if trimmed.contains('.') {
        trimmed
    } else {
        format!("{trimmed}.0")
    }
}

/// Where a float is written: PHP uses the shortest round-trip form in JSON
/// (`serialize_precision = -1`) and 14 significant digits when casting to a string
/// (`precision = 14`), as the XML writer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FloatStyle {
    Json,
    Text,
}

/// A float as PHP writes it: `%G`-like, switching to `1.0e-5` notation for exponents
/// below -4 or beyond the precision.
fn php_float(value: f64, style: FloatStyle) -> String {
    if !value.is_finite() {
        // json_encode fails on these; EDD's timings never produce them.
        return "0".to_owned();
    }
    let scientific = match style {
        FloatStyle::Json => format!("{value:e}"),
        FloatStyle::Text => {
            let rounded = format!("{value:.13e}");
            let (mantissa, exponent) = rounded.split_once('e').expect("`e` format");
            let mantissa = if mantissa.contains('.') {
                mantissa.trim_end_matches('0').trim_end_matches('.')
            } else {
                mantissa
            };
            format!("{mantissa}e{exponent}")
        }
    };
    let (mantissa, exponent) = scientific.split_once('e').expect("`e` format");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    let precision = match style {
        FloatStyle::Json => 17,
        FloatStyle::Text => 14,
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if negative { "-" } else { "" };
    let decimal_point = exponent + 1;
    if decimal_point < -3 || decimal_point > precision {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exponent_sign = if exponent < 0 { "-" } else { "+" };
        let e = match style {
            FloatStyle::Json => 'e',
            FloatStyle::Text => 'E',
        };
        return format!("{sign}{first}.{rest}{e}{exponent_sign}{}", exponent.abs());
    }
    let text = if decimal_point <= 0 {
        let zeros = "0".repeat(decimal_point.unsigned_abs() as usize);
        format!("0.{zeros}{digits}")
    } else {
        let point = decimal_point as usize;
        if digits.len() > point {
            format!("{}.{}", &digits[..point], &digits[point..])
        } else {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        }
    };
    match style {
        FloatStyle::Json if !text.contains('.') => format!("{sign}{text}.0"),
        _ => format!("{sign}{text}"),
    }
}

/// Writes `node` (a map) under the root element `<edd>` as EDD's `ArrayToXML` does:
/// an XML declaration, maps as nested elements, each list item as an element named
/// after the list, scalars as PHP's string casts (`100.0` → `100`, `null` → empty),
/// no indentation.
pub fn to_xml(node: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edd>");
    if let Node::Map(entries) = node {
        write_xml_members(entries, &mut out);
    }
    out.push_str("</edd>\n");
    out
}

fn write_xml_members(entries: &[(String, Node)], out: &mut String) {
    for (name, value) in entries {
        match value {
            Node::List { items, .. } => {
                for item in items {
                    write_xml_element(name, item, out);
                }
            }
            _ => write_xml_element(name, value, out),
        }
    }
}

fn write_xml_element(name: &str, value: &Node, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Node::Null => {}
        Node::Int(v) => out.push_str(&v.to_string()),
        Node::Amount(digits) => out.push_str(&trim_amount(digits)),
        Node::Float(v) => out.push_str(&php_float(*v, FloatStyle::Text)),
        // Like XMLWriter, escapes `<`, `>`, `&` and a carriage return (which parsers
        // would otherwise read as a line feed).
        Node::Str(text) => out.push_str(&quick_xml::escape::partial_escape(text.as_str())),
        Node::Map(entries) => write_xml_members(entries, out),
        // A list inside a list has no name of its own in ArrayToXML; EDD's customer
        // bodies never nest lists, so the items are written under the outer name.
        Node::List { items, .. } => {
            for item in items {
                write_xml_element(name, item, out);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_php_pretty_print() {
        let node = Node::map([
            (
                "customers",
                Node::list(vec![Node::map([("id", Node::Int(-1))])]),
            ),
            ("empty_list", Node::list(vec![])),
            ("empty_map", Node::Map(vec![])),
            ("url", Node::str("a/b \"ü\" 😀")),
        ]);
        assert_eq!(
            to_pretty_json(&node),
            "{\n    \"customers\": [\n        {\n            \"id\": -1\n        }\n    ],\n    \
             \"empty_list\": [],\n    \"empty_map\": {},\n    \
             \"url\": \"a\\/b \\\"\\u00fc\\\" \\ud83d\\ude00\"\n}"
        );
    }

    #[test]
    fn typed_objects_are_written_as_their_trees() {
        #[derive(serde::Serialize)]
        struct Object {
            customers: Vec<serde_json::Value>,
            empty_list: [u8; 0],
            empty_map: serde_json::Map<String, serde_json::Value>,
            text: &'static str,
            spent: JsonAmount,
            whole: JsonAmount,
            speed: JsonFloat,
            broken: JsonFloat,
        }
        let text = "a/b \"ü\" 😀 \\ \u{1}\u{7f}\n\t\u{2028}";
        let object = Object {
            customers: vec![serde_json::json!({"id": -1, "nested": [1, {}]})],
            empty_list: [],
            empty_map: serde_json::Map::new(),
            text,
            spent: JsonAmount("-1139.60".into()),
            whole: JsonAmount("20.00".into()),
            speed: JsonFloat(0.00001),
            broken: JsonFloat(f64::NAN),
        };
        let node = Node::map([
            (
                "customers",
                Node::list(vec![Node::map([
                    ("id", Node::Int(-1)),
                    (
                        "nested",
                        Node::list(vec![Node::Int(1), Node::Map(Vec::new())]),
                    ),
                ])]),
            ),
            ("empty_list", Node::list(vec![])),
            ("empty_map", Node::Map(vec![])),
            ("text", Node::str(text)),
            ("spent", Node::Amount("-1139.60".into())),
            ("whole", Node::Amount("20.00".into())),
            ("speed", Node::Float(0.00001)),
            ("broken", Node::Float(f64::NAN)),
        ]);
        assert_eq!(to_pretty_json_of(&object), to_pretty_json(&node));
    }

    #[test]
    fn lists_not_starting_at_zero_are_objects() {
        let node = Node::List {
            first_key: 1,
            items: vec![Node::str("a"), Node::str("b")],
        };
        let json: serde_json::Value = serde_json::from_str(&to_pretty_json(&node)).unwrap();
        assert_eq!(json, serde_json::json!({"1": "a", "2": "b"}));
    }

    #[test]
    fn amounts_are_written_as_php_floats() {
        for (digits, json, text) in [
            ("1139.68", "1139.68", "1139.68"),
            ("20.00", "20.0", "20"),
            ("0.00", "0.0", "0"),
            ("-0.00", "0.0", "0"),
            ("25.50", "25.5", "25.5"),
            ("-5.25", "-5.25", "-5.25"),
            ("500", "500.0", "500"),
        ] {
            assert_eq!(amount_as_json_float(digits), json, "{digits}");
            assert_eq!(trim_amount(digits), text, "{digits}");
        }
    }

    #[test]
    fn floats_follow_php_notation() {
        assert_eq!(
            php_float(0.0123450756072998, FloatStyle::Json),
            "0.0123450756072998"
        );
        assert_eq!(
            php_float(0.0123450756072998, FloatStyle::Text),
            "0.0123450756073"
        );
        assert_eq!(php_float(0.00012, FloatStyle::Json), "0.00012");
        assert_eq!(php_float(0.00001, FloatStyle::Json), "1.0e-5");
        assert_eq!(php_float(0.0000123, FloatStyle::Text), "1.23E-5");
        assert_eq!(php_float(2.0, FloatStyle::Json), "2.0");
        assert_eq!(php_float(2.0, FloatStyle::Text), "2");
        assert_eq!(php_float(0.0, FloatStyle::Json), "0.0");
        assert_eq!(php_float(1.5e20, FloatStyle::Json), "1.5e+20");
    }

    #[test]
    fn xml_repeats_list_elements_and_stringifies_scalars() {
        let node = Node::map([
            (
                "customers",
                Node::list(vec![
                    Node::map([
                        ("id", Node::Int(1)),
                        ("spent", Node::Amount("20.00".into())),
                    ]),
                    Node::map([("id", Node::Int(2)), ("note", Node::Null)]),
                ]),
            ),
            ("name", Node::str("a & <b>\r")),
        ]);
        assert_eq!(
            to_xml(&node),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edd><customers><id>1</id>\
             <spent>20</spent></customers><customers><id>2</id><note></note></customers>\
             <name>a &amp; &lt;b&gt;&#13;</name></edd>\n"
        );
    }
}
