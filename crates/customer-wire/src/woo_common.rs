//! Pieces every WooCommerce dialect (REST wc/v2–v3 and legacy wc-api/v3) computes the
//! same way: Gravatar URLs, usernames generated from an e-mail address, order keys,
//! money rounded the way `wc_format_decimal` rounds, and `sanitize_text_field`.

use customer_model::{Email, Uuid, sanitize_user};
use md5::Digest as _;

/// The size WordPress asks Gravatar for when no size is given.
pub const DEFAULT_AVATAR_SIZE: u32 = 96;

/// WordPress's `get_avatar_url($email)` on an HTTPS site with the default options
/// (`avatar_default` = `mystery`, `avatar_rating` = `G`): the MD5 of the trimmed,
/// lower-cased address.
pub fn gravatar_url(email: &str, size: u32) -> String {
    let normalized = email.trim().to_lowercase();
    let hash = hex_lower(&md5::Md5::digest(normalized.as_bytes()));
    format!("https://secure.gravatar.com/avatar/{hash}?s={size}&d=mm&r=g")
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Local parts that say nothing about the person; WooCommerce then names the account
/// after the domain instead.
const GENERIC_LOCAL_PARTS: [&str; 5] = ["sales", "hello", "mail", "contact", "info"];

/// WooCommerce's `wc_create_new_customer_username($email)` (3.6+) without the uniqueness
/// loop, which needs the store: the e-mail's local part (or its domain when the local
/// part is generic), cleaned by `sanitize_user(…, true)` and lower-cased. On a clash the
/// caller retries with `suffix` = a random number below 10000 (`-NNNN` is appended).
/// An empty result means no usable name could be derived.
pub fn generated_username(email: &Email, suffix: Option<u16>) -> String {
    let (local, domain) = email
        .as_str()
        .split_once('@')
        .unwrap_or((email.as_str(), ""));
    let source = if GENERIC_LOCAL_PARTS.contains(&local) {
        domain
    } else {
        local
    };
    let mut name = sanitize_user(source).to_lowercase();
    if let Some(suffix) = suffix {
        name.push_str(&format!("-{suffix:04}"));
    }
    name
}

/// The order key WooCommerce shows for an order (`wc_order_` + 13 characters); clientele
/// derives it from the order's UUID so that every dialect shows the same key.
pub fn order_key(order_uuid: Uuid) -> String {
    let simple = order_uuid.simple().to_string();
    format!("wc_order_{}", &simple[..13])
}

/// `wc_format_decimal($amount, $decimals)` of an amount given in minor units with
/// `exponent` decimals: rounded half away from zero (PHP's `round`) to `decimals` places,
/// always with a `.` and no thousands separator.
pub fn format_decimal(minor: i64, exponent: u32, decimals: u32) -> String {
    format_ratio(i128::from(minor), 10i128.pow(exponent), decimals)
}

/// `numerator / denominator` rounded half away from zero to `decimals` places.
pub fn format_ratio(numerator: i128, denominator: i128, decimals: u32) -> String {
    assert!(denominator > 0, "a positive denominator");
    let scaled = numerator * 10i128.pow(decimals);
    let half = denominator / 2;
    let rounded = if scaled >= 0 {
        (scaled + half) / denominator
    } else {
        -((-scaled + half) / denominator)
    };
    let sign = if rounded < 0 { "-" } else { "" };
    let digits = rounded.unsigned_abs().to_string();
    if decimals == 0 {
        return format!("{sign}{digits}");
    }
    let width = decimals as usize + 1;
    let padded = format!("{digits:0>width$}");
    let (whole, fraction) = padded.split_at(padded.len() - decimals as usize);
    format!("{sign}{whole}.{fraction}")
}

/// The sum of amounts in different currencies as plain numbers, to `decimals` places:
/// what WooCommerce's `SUM(_order_total)` does with a customer's orders (it ignores the
/// currency). Each item is (minor units, exponent).
pub fn format_decimal_sum(amounts: &[(i64, u32)], decimals: u32) -> String {
    let scale = amounts.iter().map(|(_, e)| *e).max().unwrap_or(0);
    let total: i128 = amounts
        .iter()
        .map(|(minor, exponent)| i128::from(*minor) * 10i128.pow(scale - exponent))
        .sum();
    format_ratio(total, 10i128.pow(scale), decimals)
}

/// WordPress's `sanitize_text_field` (`wc_clean`) for the cases that occur in names:
/// tags are stripped, runs of tabs, line breaks and spaces become one space, and the
/// ends are trimmed.
pub fn clean_text(raw: &str) -> String {
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
            // A lone `<` is kept (WordPress turns it into `&lt;` first and keeps it).
            _ => {
                without_tags.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    without_tags.push_str(rest);
    without_tags
        .split(['\t', '\n', '\r', ' '])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravatar_hashes_the_trimmed_lower_case_address() {
        // md5("john.doe@example.com")
        assert_eq!(
            gravatar_url(" John.Doe@example.com ", 96),
            "https://secure.gravatar.com/avatar/8eb1b522f60d11fa897de1dc6351b7e8?s=96&d=mm&r=g"
        );
    }

    #[test]
    fn usernames_come_from_the_local_part_or_the_domain() {
        let email = Email::parse("John.Doe+shop@example.com").unwrap();
        // `sanitize_user` drops the `+`, as WordPress does.
        assert_eq!(generated_username(&email, None), "john.doeshop");
        let generic = Email::parse("info@acme.example").unwrap();
        assert_eq!(generated_username(&generic, None), "acme.example");
        assert_eq!(generated_username(&generic, Some(42)), "acme.example-0042");
    }

    #[test]
    fn order_keys_have_thirteen_characters_after_the_prefix() {
        let key = order_key(Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0));
        assert_eq!(key, "wc_order_123456789abcd");
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        assert_eq!(format_decimal(103_458, 2, 2), "1034.58");
        assert_eq!(format_decimal(0, 2, 2), "0.00");
        assert_eq!(format_decimal(1000, 0, 2), "1000.00");
        assert_eq!(format_decimal(1235, 3, 2), "1.24");
        assert_eq!(format_decimal(-1235, 3, 2), "-1.24");
        assert_eq!(format_ratio(2000, 300, 2), "6.67");
        assert_eq!(format_decimal_sum(&[(1050, 2), (7, 0), (1, 3)], 2), "17.50");
    }

    #[test]
    fn text_is_cleaned_like_sanitize_text_field() {
        assert_eq!(clean_text("  <b>John</b>\t\n Doe "), "John Doe");
        assert_eq!(clean_text("a < b"), "a < b");
    }
}
