//! The largest values a customer may hold, and the checks every write goes through.
//!
//! The limits follow the originals' storage where it has one: WordPress refuses an
//! e-mail address longer than 100 characters, a login longer than 60 and a display name
//! longer than 250 (`wp_insert_user`, the widths of `user_email`, `user_login` and
//! `display_name`), and keeps meta keys in a `varchar(255)`. Names, companies and address
//! lines are meta values in WordPress, unbounded there; clientele keeps them to 255
//! characters, the width WooCommerce's own customer lookup table gives names. Meta values
//! may be any JSON: one value's JSON text is kept to 16 KiB and a customer's meta data to
//! 200 entries and 64 KiB in all, so that a page of 100 customers stays a few megabytes.
//!
//! Text limits count characters (Unicode scalar values), as MySQL's `varchar` does; meta
//! values count the bytes of their JSON text, as a MySQL `TEXT` column does.
//!
//! Every limit is checked by validation ([`crate::CustomerDraft::validate`],
//! [`crate::CustomerPatch::validate`], [`crate::NewCustomer::check_limits`]) and again by
//! the store before it writes ([`crate::Customer::check_limits`]), so that no API and no
//! import can store more.

use serde_json::Value;

use crate::customer::{Address, MetaEntry};
use crate::email::Email;
use crate::validate::{Errors, FieldErrorKind};

/// Longest e-mail address, primary, additional or billing (WordPress's `user_email`).
pub const EMAIL_CHARS: usize = 100;
/// Longest account name (WordPress's `user_login`).
pub const USERNAME_CHARS: usize = crate::username::MAX_USERNAME_LEN;
/// Longest display name (WordPress's `display_name`).
pub const DISPLAY_NAME_CHARS: usize = 250;
/// Longest first or last name.
pub const NAME_CHARS: usize = 255;
/// Longest address field (name, company, lines, city, state, postcode, country, phone).
pub const ADDRESS_FIELD_CHARS: usize = 255;
/// Longest meta data key (WordPress's `meta_key`).
pub const META_KEY_CHARS: usize = 255;
/// Largest meta data value: the bytes of its JSON text.
pub const META_VALUE_BYTES: usize = 16 * 1024;
/// Most meta data entries of one customer.
pub const META_ENTRIES: usize = 200;
/// Largest meta data of one customer: the bytes of every key and JSON value together.
pub const META_TOTAL_BYTES: usize = 64 * 1024;
/// Longest avatar URL.
pub const AVATAR_URL_CHARS: usize = 2048;
/// Most additional e-mail addresses of one customer (EDD keeps at most 30).
pub const ADDITIONAL_EMAILS: usize = 30;

/// The longest value a text search can find: a term longer than this matches nothing,
/// since every searchable value is at most this long (search indexes keep values apart).
pub const SEARCH_TERM_CHARS: usize = NAME_CHARS;
/// Most words one search request may look for together (easycart's `query` is split into
/// words, each of which must match): every word is one index lookup.
pub const SEARCH_WORDS: usize = 16;

/// The text of a customer as stored, for [`check_stored`].
pub(crate) struct StoredText<'a> {
    pub(crate) email: &'a Email,
    pub(crate) additional_emails: &'a [Email],
    pub(crate) first_name: &'a str,
    pub(crate) last_name: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) billing: &'a Address,
    pub(crate) shipping: &'a Address,
    pub(crate) avatar_url: Option<&'a str>,
}

/// Checks everything a customer keeps but its meta data.
pub(crate) fn check_stored(text: &StoredText<'_>, errors: &mut Errors) {
    errors.max_len("email", text.email.as_str(), EMAIL_CHARS);
    check_additional_emails(text.additional_emails.iter().map(Email::as_str), errors);
    errors.max_len("first_name", text.first_name, NAME_CHARS);
    errors.max_len("last_name", text.last_name, NAME_CHARS);
    errors.max_len("display_name", text.display_name, DISPLAY_NAME_CHARS);
    check_address("billing", text.billing, errors);
    check_address("shipping", text.shipping, errors);
    if let Some(url) = text.avatar_url {
        errors.max_len("avatar_url", url, AVATAR_URL_CHARS);
    }
}

/// The length and the number of additional addresses.
pub(crate) fn check_additional_emails<'a>(
    addresses: impl ExactSizeIterator<Item = &'a str>,
    errors: &mut Errors,
) {
    if addresses.len() > ADDITIONAL_EMAILS {
        errors.push(
            "additional_emails",
            FieldErrorKind::TooMany {
                max: ADDITIONAL_EMAILS,
            },
        );
    }
    for (i, address) in addresses.enumerate() {
        errors.max_len(&format!("additional_emails.{i}"), address, EMAIL_CHARS);
    }
}

/// Every field of an address; the billing e-mail is an e-mail address.
pub(crate) fn check_address(prefix: &str, address: &Address, errors: &mut Errors) {
    for (name, value) in address.fields() {
        let max = if name == "email" {
            EMAIL_CHARS
        } else {
            ADDRESS_FIELD_CHARS
        };
        // The path is written out only for a value over the limit: this runs for every
        // address of an import.
        if value.len() > max {
            errors.max_len(&format!("{prefix}.{name}"), value, max);
        }
    }
}

/// One meta data entry at position `i`: its key and the JSON text of its value.
pub(crate) fn check_meta_entry(i: usize, key: &str, value: &Value, errors: &mut Errors) {
    errors.max_len(&format!("meta_data.{i}.key"), key, META_KEY_CHARS);
    if json_len(value) > META_VALUE_BYTES {
        errors.push(
            format!("meta_data.{i}.value"),
            FieldErrorKind::TooLarge {
                max_bytes: META_VALUE_BYTES,
            },
        );
    }
}

/// A customer's whole meta data: each entry, their number and their size together.
pub(crate) fn check_meta<'a>(
    entries: impl ExactSizeIterator<Item = (&'a str, &'a Value)>,
    errors: &mut Errors,
) {
    if entries.len() > META_ENTRIES {
        errors.push("meta_data", FieldErrorKind::TooMany { max: META_ENTRIES });
    }
    let mut total = 0usize;
    for (i, (key, value)) in entries.enumerate() {
        check_meta_entry(i, key, value, errors);
        total = total
            .saturating_add(key.len())
            .saturating_add(json_len(value));
    }
    if total > META_TOTAL_BYTES {
        errors.push(
            "meta_data",
            FieldErrorKind::TooLarge {
                max_bytes: META_TOTAL_BYTES,
            },
        );
    }
}

/// The meta data of a stored customer.
pub(crate) fn stored_meta(entries: &[MetaEntry]) -> impl ExactSizeIterator<Item = (&str, &Value)> {
    entries
        .iter()
        .map(|entry| (entry.key.as_str(), &entry.value))
}

/// The length of a value's JSON text, without building it.
fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_length_is_the_length_of_the_text() {
        for value in [
            json!(null),
            json!("héllo"),
            json!([1, {"a": "b"}]),
            json!(1.5),
        ] {
            assert_eq!(json_len(&value), value.to_string().len());
        }
    }

    #[test]
    fn meta_data_is_bounded_per_entry_in_number_and_in_total() {
        let big = Value::String("x".repeat(META_VALUE_BYTES));
        let fits = Value::String("x".repeat(META_VALUE_BYTES - 2));
        let mut errors = Errors::default();
        check_meta([("k", &fits)].into_iter(), &mut errors);
        assert!(errors.0.is_empty(), "{:?}", errors.0);
        check_meta([("k", &big)].into_iter(), &mut errors);
        assert_eq!(errors.0[0].path, "meta_data.0.value");
        let mut errors = Errors::default();
        let entries = vec![("k", &fits); 5];
        check_meta(entries.into_iter(), &mut errors);
        assert_eq!(errors.0.len(), 1);
        assert_eq!(
            errors.0[0].kind,
            FieldErrorKind::TooLarge {
                max_bytes: META_TOTAL_BYTES
            }
        );
        let mut errors = Errors::default();
        let small = json!("v");
        let entries = vec![("k", &small); META_ENTRIES + 1];
        check_meta(entries.into_iter(), &mut errors);
        assert_eq!(
            errors.0[0].kind,
            FieldErrorKind::TooMany { max: META_ENTRIES }
        );
    }
}
