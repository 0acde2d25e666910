//! What both WooCommerce APIs (REST wc/v2–v3 and legacy wc-api/v3) share: key
//! authentication ([`auth`], [`oauth`]), the registration errors of
//! `wc_create_new_customer`, and what they compute alike (Gravatar URLs, usernames
//! generated from an e-mail address, order keys, money rounded as `wc_format_decimal`
//! rounds).

pub mod auth;
pub mod oauth;

use customer_model::{DownloadFile, DownloadGrant, Email, Timestamp, Uuid, sanitize_user};
use md5::Digest as _;

use crate::catalogue::CatalogueEntry;
use crate::php;

/// `registration-error-invalid-email`: a create with an empty e-mail address.
pub const REGISTRATION_INVALID_EMAIL: CatalogueEntry = CatalogueEntry::new(
    400,
    "registration-error-invalid-email",
    "Please provide a valid email address.",
);
/// `registration-error-email-exists` (WooCommerce's message carries markup).
pub const REGISTRATION_EMAIL_EXISTS: CatalogueEntry = CatalogueEntry::new(
    400,
    "registration-error-email-exists",
    "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>",
);
/// `registration-error-invalid-username`.
pub const REGISTRATION_INVALID_USERNAME: CatalogueEntry = CatalogueEntry::new(
    400,
    "registration-error-invalid-username",
    "Please enter a valid account username.",
);
/// `registration-error-username-exists`.
pub const REGISTRATION_USERNAME_EXISTS: CatalogueEntry = CatalogueEntry::new(
    400,
    "registration-error-username-exists",
    "An account is already registered with that username. Please choose another.",
);
/// `customer_invalid_email`: `WC_Customer::set_email` with a malformed address (no
/// period in WooCommerce's message).
pub const CUSTOMER_INVALID_EMAIL: CatalogueEntry =
    CatalogueEntry::new(400, "customer_invalid_email", "Invalid email address");
/// `customer_invalid_billing_email`: `set_billing_email` with a malformed address.
pub const CUSTOMER_INVALID_BILLING_EMAIL: CatalogueEntry = CatalogueEntry::new(
    400,
    "customer_invalid_billing_email",
    "Invalid billing email address",
);

/// Every registration and customer-setter error, as both APIs report them.
pub const REGISTRATION_ERRORS: [CatalogueEntry; 6] = [
    REGISTRATION_INVALID_EMAIL,
    REGISTRATION_EMAIL_EXISTS,
    REGISTRATION_INVALID_USERNAME,
    REGISTRATION_USERNAME_EXISTS,
    CUSTOMER_INVALID_EMAIL,
    CUSTOMER_INVALID_BILLING_EMAIL,
];

/// A registration message without its markup, as the legacy API answers it.
pub fn plain_message(entry: &CatalogueEntry) -> String {
    php::sanitize_text_field(entry.message)
}

/// The size WordPress asks Gravatar for when no size is given.
pub const DEFAULT_AVATAR_SIZE: u32 = 96;

/// WordPress's `get_avatar_url($email)` on an HTTPS site with the default options
/// (`avatar_default` = `mystery`, `avatar_rating` = `G`): the MD5 of the trimmed,
/// lower-cased address.
pub fn gravatar_url(email: &str, size: u32) -> String {
    let normalized = email.trim().to_lowercase();
    let hash = hex::encode(md5::Md5::digest(normalized.as_bytes()));
    format!("https://secure.gravatar.com/avatar/{hash}?s={size}&d=mm&r=g")
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

/// A download a customer may make, as both APIs list them: the grant with its product's
/// name, the file, and the order that granted it.
#[derive(Debug, Clone, Copy)]
pub struct Download<'a> {
    /// The grant.
    pub grant: &'a DownloadGrant,
    /// The product's name.
    pub product_name: &'a str,
    /// The file.
    pub file: &'a DownloadFile,
    /// The order's UUID (its key derives from it).
    pub order_uuid: Uuid,
}

impl Download<'_> {
    /// Whether WooCommerce lists it at `now` (`wc_get_customer_available_downloads`):
    /// downloads left (or unlimited), and not expired.
    pub fn is_available(&self, now: Timestamp) -> bool {
        self.grant.downloads_remaining.is_none_or(|left| left > 0)
            && self
                .grant
                .access_expires
                .is_none_or(|expires| expires >= now)
    }

    /// The key of the order that granted it.
    pub fn order_key(&self) -> String {
        order_key(self.order_uuid)
    }

    /// `<product> &ndash; <file>`, as both APIs name a download.
    pub fn name(&self) -> String {
        format!("{} &ndash; {}", self.product_name, self.file.name)
    }
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
    fn the_legacy_api_shows_registration_messages_without_markup() {
        assert_eq!(
            plain_message(&REGISTRATION_EMAIL_EXISTS),
            "An account is already registered with your email address. Please log in."
        );
        assert_eq!(
            plain_message(&CUSTOMER_INVALID_EMAIL),
            CUSTOMER_INVALID_EMAIL.message
        );
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
}
