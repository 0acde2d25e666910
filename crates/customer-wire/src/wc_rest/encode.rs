//! Model records into WooCommerce's response objects.
//!
//! - Dates: `YYYY-MM-DDTHH:MM:SS` without offset, in the site's time zone (`date_*`) and in
//!   UTC (`date_*_gmt`, v3 only).
//! - `avatar_url`: Gravatar of the trimmed, lower-cased e-mail (MD5), `?s=96&d=mm&r=g`,
//!   unless the customer has an avatar override.
//! - v2 `orders_count`: orders in any status, all currencies; `total_spent`: totals of
//!   processing and completed orders summed as plain numbers over every currency (as
//!   WooCommerce's SQL does), 2 decimals, refunds not subtracted. Both come from the
//!   stored aggregates.
//! - `meta_data`: entries whose keys WooCommerce hides (protected `_` keys, WordPress and
//!   WooCommerce internals) are left out.
//!
//! The objects are the types of `dto`; `frame` dresses an operation's [`Answer`] into the
//! whole [`crate::Reply`] WordPress sends (`_fields`, `_envelope`, `HEAD`, headers).
//! Answers serialize the objects straight to JSON text, once, keys in WooCommerce's
//! order ([`Answer::serialized`]); [`Value`]s are built only for webhook payloads and
//! for the rare `_fields` and `_envelope`.

mod dto;
mod frame;

pub use dto::{
    BatchDto, BatchErrorDto, BatchItemDto, BillingDto, CUSTOMER_FIELDS, CustomerDto, CustomerLinks,
    DownloadDto, DownloadFileDto, DownloadLinks, Href, MetaDto, ShippingDto,
};
pub use frame::{Answer, Frame, Shape, envelope, fields_of, trim_item, trim_list};

use customer_model::{Address, Currency, Customer, CustomerStats, Timestamp};
use jiff::tz::TimeZone;
use serde_json::Value;

use super::Version;
use super::decode::BatchUpdate;
use super::errors::RestError;
use crate::woo::Download;

/// What encoding needs besides the record: version, URLs, time zone, currency.
#[derive(Debug, Clone)]
pub struct EncodeContext<'a> {
    /// wc/v2 or wc/v3.
    pub version: Version,
    /// The site's home URL, no trailing slash (`http://example.com`), with the scheme of
    /// the request (WordPress switches `rest_url` to https on TLS requests).
    pub home_url: &'a str,
    /// The site's time zone.
    pub timezone: &'a TimeZone,
    /// The store currency (`total_spent`).
    pub currency: Currency,
}

impl EncodeContext<'_> {
    /// `<home>/wp-json/wc/vN/customers`.
    pub fn collection_url(&self) -> String {
        format!(
            "{}/wp-json/{}/customers",
            self.home_url,
            self.version.namespace()
        )
    }

    /// `<home>/wp-json/wc/vN/customers/{id}`.
    pub fn item_url(&self, id: i64) -> String {
        format!("{}/{id}", self.collection_url())
    }

    /// `YYYY-MM-DDTHH:MM:SS` in the site's time zone.
    pub fn local_date(&self, at: Timestamp) -> String {
        wp_datetime(self.timezone.to_datetime(at))
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC.
pub fn gmt_date(at: Timestamp) -> String {
    wp_datetime(TimeZone::UTC.to_datetime(at))
}

/// `YYYY-MM-DDTHH:MM:SS`, as WordPress prints its dates (whole seconds). Written digit
/// by digit: a list of 100 customers prints 400 dates, and going through a `strftime`
/// pattern, then through `format!`, was a tenth of its encoding. Years outside four
/// digits take the pattern.
fn wp_datetime(at: jiff::civil::DateTime) -> String {
    match crate::datetime_text::iso_seconds(at) {
        Some(bytes) => crate::datetime_text::ascii(&bytes).to_owned(),
        None => at.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

/// WordPress's Gravatar URL for an e-mail address, at WordPress's default size.
pub fn gravatar_url(email: &str) -> String {
    crate::woo::gravatar_url(email, crate::woo::DEFAULT_AVATAR_SIZE)
}

/// Whether WooCommerce leaves a meta key out of `meta_data`.
pub fn is_hidden_meta_key(key: &str) -> bool {
    const INTERNAL: [&str; 21] = [
        "locale",
        "paying_customer",
        "last_update",
        "first_name",
        "last_name",
        "display_name",
        "nickname",
        "description",
        "show_admin_bar_front",
        "use_ssl",
        "admin_color",
        "rich_editing",
        "comment_shortcuts",
        "dismissed_wp_pointers",
        "show_welcome_panel",
        "session_tokens",
        "syntax_highlighting",
        "_order_count",
        "_money_spent",
        "_last_order",
        "_woocommerce_tracks_anon_id",
    ];
    const PREFIXES: [&str; 9] = [
        "_",
        "billing_",
        "shipping_",
        "wptests_",
        "closedpostboxes_",
        "metaboxhidden_",
        "manageedit-",
        "wp_",
        "_woocommerce_persistent_cart",
    ];
    INTERNAL.contains(&key) || PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}

fn billing(address: &Address) -> BillingDto {
    BillingDto {
        first_name: address.first_name.clone(),
        last_name: address.last_name.clone(),
        company: address.company.clone(),
        address_1: address.address_1.clone(),
        address_2: address.address_2.clone(),
        city: address.city.clone(),
        state: address.state.clone(),
        postcode: address.postcode.clone(),
        country: address.country.clone(),
        email: address.email.clone(),
        phone: address.phone.clone(),
    }
}

fn shipping(address: &Address, version: Version) -> ShippingDto {
    ShippingDto {
        first_name: address.first_name.clone(),
        last_name: address.last_name.clone(),
        company: address.company.clone(),
        address_1: address.address_1.clone(),
        address_2: address.address_2.clone(),
        city: address.city.clone(),
        state: address.state.clone(),
        postcode: address.postcode.clone(),
        country: address.country.clone(),
        phone: version.has_shipping_phone().then(|| address.phone.clone()),
    }
}

/// An amount in minor units of `currency` with exactly two decimals, as
/// `wc_format_decimal($x, 2)` prints it (a currency with more decimals is rounded half up).
pub fn two_decimals(minor: i64, currency: Currency) -> String {
    let exponent = currency.exponent();
    let cents = if exponent <= 2 {
        minor.saturating_mul(10_i64.pow(2 - exponent))
    } else {
        let divisor = 10_i64.pow(exponent - 2);
        let half = divisor / 2;
        if minor >= 0 {
            (minor + half) / divisor
        } else {
            (minor - half) / divisor
        }
    };
    customer_model::money::format_minor(cents, 2)
}

/// The customer object of `ctx.version`.
pub fn customer(
    ctx: &EncodeContext<'_>,
    customer: &Customer,
    stats: &CustomerStats,
) -> CustomerDto {
    let v3 = ctx.version == Version::V3;
    let v2 = ctx.version == Version::V2;
    let (role, username) = match &customer.account {
        Some(account) => (
            account.role.as_str().to_owned(),
            account.username.as_str().to_owned(),
        ),
        None => ("customer".to_owned(), String::new()),
    };
    let id = customer.id.0;
    CustomerDto {
        id,
        date_created: ctx.local_date(customer.created_at),
        date_created_gmt: v3.then(|| gmt_date(customer.created_at)),
        date_modified: customer.modified_at.map(|at| ctx.local_date(at)),
        date_modified_gmt: v3.then(|| customer.modified_at.map(gmt_date)),
        email: customer.email.as_str().to_owned(),
        first_name: customer.first_name.clone(),
        last_name: customer.last_name.clone(),
        role,
        username,
        billing: billing(&customer.billing),
        shipping: shipping(&customer.shipping, ctx.version),
        is_paying_customer: stats.is_paying(),
        orders_count: v2.then(|| stats.currencies.iter().map(|c| c.orders()).sum()),
        // WooCommerce sums `_order_total` of paid orders with no regard to currency, so
        // every currency's paid total counts, as a plain number.
        total_spent: v2.then(|| {
            let paid_totals: Vec<(i64, u32)> = stats
                .currencies
                .iter()
                .map(|figures| (figures.paid_total(), figures.currency.exponent()))
                .collect();
            crate::woo::format_decimal_sum(&paid_totals, 2)
        }),
        avatar_url: customer
            .avatar_url
            .clone()
            .unwrap_or_else(|| gravatar_url(customer.email.as_str())),
        meta_data: customer
            .meta_data
            .iter()
            .filter(|entry| !is_hidden_meta_key(&entry.key))
            .map(|entry| MetaDto {
                id: entry.id,
                key: entry.key.clone(),
                value: entry.value.clone(),
            })
            .collect(),
        links: CustomerLinks {
            self_: vec![Href {
                href: ctx.item_url(id),
            }],
            collection: vec![Href {
                href: ctx.collection_url(),
            }],
        },
    }
}

/// The address put in download URLs: the billing e-mail, else the primary one.
pub fn download_email(customer: &Customer) -> &str {
    if customer.billing.email.is_empty() {
        customer.email.as_str()
    } else {
        customer.billing.email.as_str()
    }
}

/// One entry of the downloads list.
pub fn download(ctx: &EncodeContext<'_>, customer: &Customer, parts: &Download<'_>) -> DownloadDto {
    let grant = parts.grant;
    let customer_id = customer.id.0;
    let order_key = parts.order_key();
    let email =
        percent_encoding::utf8_percent_encode(download_email(customer), RAWURLENCODE).to_string();
    let rest = format!("{}/wp-json/{}", ctx.home_url, ctx.version.namespace());
    DownloadDto {
        download_id: grant.download_id.clone(),
        download_url: format!(
            "{}/?download_file={}&order={}&email={email}&key={}",
            ctx.home_url, grant.product_id.0, order_key, grant.download_id
        ),
        product_id: grant.product_id.0,
        product_name: parts.product_name.to_owned(),
        download_name: parts.name(),
        order_id: grant.order_id.0,
        order_key,
        downloads_remaining: grant
            .downloads_remaining
            .map_or_else(|| "unlimited".to_owned(), |left| left.to_string()),
        access_expires: grant
            .access_expires
            .map_or_else(|| "never".to_owned(), |at| ctx.local_date(at)),
        access_expires_gmt: grant
            .access_expires
            .map_or_else(|| "never".to_owned(), gmt_date),
        file: DownloadFileDto {
            name: parts.file.name.clone(),
            file: parts.file.url.clone(),
        },
        links: DownloadLinks {
            collection: vec![Href {
                href: format!("{rest}/customers/{customer_id}/downloads"),
            }],
            product: vec![Href {
                href: format!("{rest}/products/{}", grant.product_id.0),
            }],
            order: vec![Href {
                href: format!("{rest}/orders/{}", grant.order_id.0),
            }],
        },
    }
}

/// `GET /customers`: the page, with the pagination headers.
pub fn list_answer<'r>(
    ctx: &EncodeContext<'_>,
    rows: impl IntoIterator<Item = (&'r Customer, &'r CustomerStats)>,
    pagination_headers: Vec<(&'static str, String)>,
) -> Answer {
    let items: Vec<CustomerDto> = rows
        .into_iter()
        .map(|(record, stats)| customer(ctx, record, stats))
        .collect();
    pagination_headers.into_iter().fold(
        Answer::serialized(200, &items, Shape::List),
        |answer, (name, value)| answer.header(name, value),
    )
}

/// One customer: retrieve, update, and delete (which answers the customer as it was).
pub fn item_answer(ctx: &EncodeContext<'_>, customer: &Customer, stats: &CustomerStats) -> Answer {
    Answer::serialized(200, &self::customer(ctx, customer, stats), Shape::Item)
}

/// `POST /customers`: `201 Created` with `Location`.
pub fn created_answer(
    ctx: &EncodeContext<'_>,
    customer: &Customer,
    stats: &CustomerStats,
) -> Answer {
    Answer::serialized(201, &self::customer(ctx, customer, stats), Shape::Item)
        .header("Location", ctx.item_url(customer.id.0))
}

/// The customer object as a JSON value, as webhooks deliver it. Answers serialize
/// [`customer`] straight to text instead ([`Answer::serialized`]).
pub fn customer_json(ctx: &EncodeContext<'_>, record: &Customer, stats: &CustomerStats) -> Value {
    serde_json::to_value(customer(ctx, record, stats)).expect("customers serialize")
}

/// What one batch item came to: the customer written (or deleted), or why not.
pub type BatchOutcome = Result<(Customer, CustomerStats), RestError>;

impl BatchDto {
    /// A create's result (failed creates carry id `0`).
    pub fn created(&mut self, ctx: &EncodeContext<'_>, outcome: BatchOutcome) {
        self.create.push(batch_item(ctx, outcome, Value::from(0)));
    }

    /// An update's result (failures repeat the item's `id` as sent).
    pub fn updated(&mut self, ctx: &EncodeContext<'_>, outcome: BatchOutcome, item: &BatchUpdate) {
        self.update
            .push(batch_item(ctx, outcome, item.raw_id.clone()));
    }

    /// A delete's result.
    pub fn deleted(&mut self, ctx: &EncodeContext<'_>, outcome: BatchOutcome, id: i64) {
        self.delete.push(batch_item(ctx, outcome, Value::from(id)));
    }

    /// The batch's answer.
    pub fn answer(&self) -> Answer {
        if self.is_empty() {
            Answer::new(200, self.to_json(), Shape::Other)
        } else {
            Answer::serialized(200, self, Shape::Other)
        }
    }
}

fn batch_item(ctx: &EncodeContext<'_>, outcome: BatchOutcome, id: Value) -> BatchItemDto {
    match outcome {
        Ok((record, stats)) => BatchItemDto::Customer(Box::new(customer(ctx, &record, &stats))),
        Err(error) => BatchItemDto::Error(BatchErrorDto {
            id,
            error: error.to_json(),
        }),
    }
}

/// `GET /customers/{id}/downloads`: the grants still usable at `now`.
pub fn downloads_answer<'p>(
    ctx: &EncodeContext<'_>,
    customer: &Customer,
    downloads: impl IntoIterator<Item = Download<'p>>,
    now: Timestamp,
) -> Answer {
    let items: Vec<DownloadDto> = downloads
        .into_iter()
        .filter(|parts| parts.is_available(now))
        .map(|parts| download(ctx, customer, &parts))
        .collect();
    Answer::serialized(200, &items, Shape::Other)
}

/// PHP's `rawurlencode`: everything but `A-Z a-z 0-9 - _ . ~`.
const RAWURLENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Dates read as `strftime("%Y-%m-%dT%H:%M:%S")` writes them, in UTC and in a
        /// zone with daylight saving time, across jiff's whole range.
        #[test]
        fn dates_are_written_as_the_pattern_writes_them(
            seconds in Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
            nanos in 0..1_000_000_000i32,
        ) {
            let at = Timestamp::new(seconds, nanos).unwrap_or(Timestamp::MAX);
            let pattern = |tz: &TimeZone| at.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S").to_string();
            proptest::prop_assert_eq!(gmt_date(at), pattern(&TimeZone::UTC));
            let zone = TimeZone::get("America/New_York").unwrap();
            let ctx = EncodeContext {
                version: Version::V3,
                home_url: "http://example.com",
                timezone: &zone,
                currency: Currency::parse("USD").unwrap(),
            };
            proptest::prop_assert_eq!(ctx.local_date(at), pattern(&zone));
        }
    }

    #[test]
    fn gravatar_matches_the_documented_example() {
        assert_eq!(
            gravatar_url(" John.Doe@example.com "),
            "https://secure.gravatar.com/avatar/8eb1b522f60d11fa897de1dc6351b7e8?s=96&d=mm&r=g"
        );
    }

    #[test]
    fn totals_have_two_decimals() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(two_decimals(0, usd), "0.00");
        assert_eq!(two_decimals(123450, usd), "1234.50");
        assert_eq!(two_decimals(1234, jpy), "1234.00");
        assert_eq!(two_decimals(1235, kwd), "1.24");
    }

    #[test]
    fn the_field_list_matches_the_objects() {
        let customer = Customer {
            id: customer_model::CustomerId(1),
            uuid: customer_model::Uuid::nil(),
            email: customer_model::Email::parse("a@example.com").unwrap(),
            additional_emails: Vec::new(),
            first_name: String::new(),
            last_name: String::new(),
            display_name: String::new(),
            account: None,
            billing: Address::default(),
            shipping: Address::default(),
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: Timestamp::UNIX_EPOCH,
            modified_at: None,
        };
        for version in [Version::V2, Version::V3] {
            let ctx = EncodeContext {
                version,
                home_url: "http://example.com",
                timezone: &TimeZone::UTC,
                currency: Currency::parse("USD").unwrap(),
            };
            let json = customer_json(&ctx, &customer, &CustomerStats::default());
            let mut encoded: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut listed: Vec<&str> = CUSTOMER_FIELDS
                .iter()
                .filter(|(_, versions)| versions.contains(&version))
                .map(|(name, _)| *name)
                .collect();
            encoded.sort_unstable();
            listed.sort_unstable();
            assert_eq!(encoded, listed, "{version:?}");
        }
    }

    #[test]
    fn hidden_meta_keys() {
        assert!(is_hidden_meta_key("_internal"));
        assert!(is_hidden_meta_key("billing_phone"));
        assert!(is_hidden_meta_key("wp_capabilities"));
        assert!(!is_hidden_meta_key("wc_last_active"));
        assert!(!is_hidden_meta_key("shipping"));
    }
}
