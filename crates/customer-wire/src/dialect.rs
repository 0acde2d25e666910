//! [`Dialect`]: the six APIs clientele speaks, each tied to its slug, its codec module and
//! its documentation page, and the rule that tells from a request's path and query which
//! one it belongs to ([`Dialect::of`]), so that even an answer given before a dialect's
//! own pipeline runs (a body too large, a deadline) has the dialect's error shape.

use customer_model::{Currency, Customer, CustomerStats};
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::fault::Fault;
use crate::php::Vars;
use crate::reply::Reply;
use crate::{easycart, edd, wc_legacy, wc_rest};

/// What showing a customer needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Showing<'a> {
    /// The home URL links start with (with the scheme the reader should see), without a
    /// trailing slash.
    pub home_url: &'a str,
    /// The site's time zone.
    pub timezone: &'a TimeZone,
    /// The store currency.
    pub currency: Currency,
}

/// One API dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// WooCommerce REST `wc/v3` ([`crate::wc_rest`]).
    WcV3,
    /// WooCommerce REST `wc/v2` ([`crate::wc_rest`]).
    WcV2,
    /// WooCommerce legacy REST API `wc-api/v3` ([`crate::wc_legacy`]).
    WcLegacyV3,
    /// Easy Digital Downloads API v1 ([`crate::edd`]).
    EddV1,
    /// Easy Digital Downloads API v2 ([`crate::edd`]).
    EddV2,
    /// easycart API v1 ([`crate::easycart`]).
    EasycartV1,
}

impl Dialect {
    /// Every dialect, in the order documents list them.
    pub const ALL: [Dialect; 6] = [
        Dialect::WcV3,
        Dialect::WcV2,
        Dialect::WcLegacyV3,
        Dialect::EddV1,
        Dialect::EddV2,
        Dialect::EasycartV1,
    ];

    /// The slug: `wc-v3`, `wc-v2`, `wc-legacy-v3`, `edd-v1`, `edd-v2`, `easycart-v1`. It
    /// names the dialect's conformance folder (`fixtures/conformance/<slug>/`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::WcV3 => "wc-v3",
            Self::WcV2 => "wc-v2",
            Self::WcLegacyV3 => "wc-legacy-v3",
            Self::EddV1 => "edd-v1",
            Self::EddV2 => "edd-v2",
            Self::EasycartV1 => "easycart-v1",
        }
    }

    /// The dialect with `slug`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|dialect| dialect.slug() == slug)
    }

    /// The codec module in this crate (`wc_rest`, `wc_legacy`, `edd`, `easycart`).
    pub fn module(self) -> &'static str {
        match self {
            Self::WcV3 | Self::WcV2 => "wc_rest",
            Self::WcLegacyV3 => "wc_legacy",
            Self::EddV1 | Self::EddV2 => "edd",
            Self::EasycartV1 => "easycart",
        }
    }

    /// The documentation page, relative to the repository root.
    pub fn docs_page(self) -> String {
        format!("docs/dialects/{}.md", self.slug())
    }

    /// The dialect a request belongs to, from its path and query alone; `None` for a path
    /// no dialect serves. WordPress's query forms (`?rest_route=`, `?edd-api=`) work on
    /// any path and come first. An EDD request that names no version is answered by
    /// `edd_default`.
    pub fn of(path: &str, query: &Vars, edd_default: edd::Version) -> Option<Self> {
        if let Some(route) = query.text("rest_route") {
            return Some(Self::rest(&route));
        }
        if query.contains("rest_route") {
            return Some(Self::WcV3);
        }
        if let Some(value) = query.get("edd-api") {
            let value = value.text().unwrap_or_default();
            return Some(Self::edd(&value, edd_default));
        }
        let lower = path.to_ascii_lowercase();
        let under = |prefix: &str| {
            lower == prefix
                || lower
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/wp-json") {
            Some(Self::rest(&path["/wp-json".len()..]))
        } else if under("/wc-api") {
            Some(Self::WcLegacyV3)
        } else if under("/edd-api") {
            let value = edd::decode::path_value(path).unwrap_or_default();
            Some(Self::edd(&value, edd_default))
        } else if path.starts_with("/api/v1/") || path == "/api/v1" {
            Some(Self::EasycartV1)
        } else {
            None
        }
    }

    /// `wc/v2` for routes in its namespace, else `wc/v3`.
    fn rest(route: &str) -> Self {
        let route = route.to_ascii_lowercase();
        if route == "/wc/v2" || route.starts_with("/wc/v2/") {
            Self::WcV2
        } else {
            Self::WcV3
        }
    }

    fn edd(value: &str, default: edd::Version) -> Self {
        let version = edd::decode::resolve(value, default).map_or(default, |(version, _)| version);
        match version {
            edd::Version::V1 => Self::EddV1,
            edd::Version::V2 => Self::EddV2,
        }
    }

    /// One customer as this dialect shows it, outside any request (a webhook delivery, a
    /// generated document): the wc/v2 or wc/v3 customer object, wc-api/v3's object
    /// inside `customer`, EDD's `{"info", "stats"}`, easycart's single read in the store
    /// currency.
    pub fn customer_json(
        self,
        customer: &Customer,
        stats: &CustomerStats,
        site: Showing<'_>,
    ) -> Value {
        match self {
            Self::WcV3 | Self::WcV2 => {
                let version = if self == Self::WcV2 {
                    wc_rest::Version::V2
                } else {
                    wc_rest::Version::V3
                };
                let ctx = wc_rest::encode::EncodeContext {
                    version,
                    home_url: site.home_url,
                    timezone: site.timezone,
                    currency: site.currency,
                };
                wc_rest::encode::customer_json(&ctx, customer, stats)
            }
            Self::WcLegacyV3 => wc_legacy::encode::customer(customer, stats),
            Self::EddV1 | Self::EddV2 => {
                let version = if self == Self::EddV1 {
                    edd::Version::V1
                } else {
                    edd::Version::V2
                };
                let totals = edd::encode::Totals::from_stats(stats, site.currency);
                edd::encode::customer_node(version, customer, &totals).to_json()
            }
            Self::EasycartV1 => easycart::encode::encode_detail(
                customer,
                stats,
                site.currency,
                &easycart::encode::Included::default(),
                site.timezone,
            ),
        }
    }

    /// `fault` in this dialect's error shape. `home_url` is the site's home URL with the
    /// request's scheme (WordPress links the API root from every answer).
    pub fn fault_reply(self, fault: &Fault, home_url: &str) -> Reply {
        let reply = match self {
            Self::WcV3 | Self::WcV2 => {
                let error = wc_rest::errors::RestError::from_fault(fault);
                wc_rest::encode::Frame::bare(home_url).reply(error.into())
            }
            Self::WcLegacyV3 => {
                wc_legacy::encode::error_reply(&wc_legacy::errors::LegacyError::from_fault(fault))
            }
            Self::EddV1 | Self::EddV2 => edd::encode::fault_reply(fault, edd::Format::Json),
            Self::EasycartV1 => easycart::errors::ApiError::from_fault(fault).reply(),
        };
        crate::reply::with_retry_after(reply, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(target: &str) -> Option<Dialect> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Dialect::of(path, &Vars::parse(query.as_bytes()), edd::Version::V2)
    }

    #[test]
    fn requests_belong_to_their_dialect() {
        assert_eq!(of("/wp-json/wc/v3/customers"), Some(Dialect::WcV3));
        assert_eq!(of("/WP-JSON/wc/V2/customers/5"), Some(Dialect::WcV2));
        assert_eq!(of("/?rest_route=/wc/v2/customers"), Some(Dialect::WcV2));
        assert_eq!(of("/shop?rest.route=/wc/v3"), Some(Dialect::WcV3));
        assert_eq!(of("/wp-json"), Some(Dialect::WcV3));
        assert_eq!(of("/wc-api/v3/customers"), Some(Dialect::WcLegacyV3));
        assert_eq!(of("/edd-api/v1/customers/"), Some(Dialect::EddV1));
        assert_eq!(of("/edd-api/customers/"), Some(Dialect::EddV2));
        assert_eq!(of("/?edd-api=v1/customers"), Some(Dialect::EddV1));
        assert_eq!(of("/api/v1/customers"), Some(Dialect::EasycartV1));
        assert_eq!(of("/wp-jsonx"), None);
        assert_eq!(of("/api/v2/customers"), None);
        assert_eq!(
            Dialect::of("/edd-api/customers", &Vars::default(), edd::Version::V1),
            Some(Dialect::EddV1)
        );
    }

    #[test]
    fn slugs_name_docs_and_modules() {
        for dialect in Dialect::ALL {
            assert_eq!(Dialect::from_slug(dialect.slug()), Some(dialect));
            assert!(
                dialect
                    .docs_page()
                    .ends_with(&format!("{}.md", dialect.slug()))
            );
        }
        assert_eq!(Dialect::WcV2.module(), "wc_rest");
    }

    #[test]
    fn faults_take_each_dialects_shape() {
        let fault = Fault::TooLarge { limit: 1024 };
        let rest = Dialect::WcV3.fault_reply(&fault, "http://example.com");
        assert_eq!(rest.status, 413);
        assert_eq!(
            rest.json().unwrap()["code"],
            "woocommerce_rest_request_entity_too_large"
        );
        assert!(rest.header("Link").is_some());
        let legacy = Dialect::WcLegacyV3.fault_reply(&fault, "");
        assert!(
            String::from_utf8(legacy.body_bytes())
                .unwrap()
                .starts_with("{\"errors\":")
        );
        let edd = Dialect::EddV1.fault_reply(&Fault::Unavailable, "");
        assert_eq!(edd.status, 503);
        let easycart = Dialect::EasycartV1.fault_reply(&Fault::DeadlineExceeded, "");
        assert_eq!(
            easycart.json().unwrap()["message"],
            crate::fault::DEADLINE_MESSAGE
        );
        assert_eq!(easycart.header("Retry-After"), Some("1"));
    }
}
