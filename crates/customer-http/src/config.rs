//! The site's settings, as the original systems keep them in their options.

use customer_model::Currency;
use customer_wire::{SiteUrl, edd};
use jiff::tz::TimeZone;

/// Settings every dialect reads.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The home URL, without a trailing slash (`http://127.0.0.1:8080`); `_links` and
    /// `Link` headers are built from it.
    pub site_url: String,
    /// The site's time zone: WooCommerce's local dates and EDD's date filters use it.
    pub timezone: TimeZone,
    /// The store currency (WooCommerce's `total_spent` is in it).
    pub currency: Currency,
    /// Trust `X-Forwarded-Proto: https` from a TLS-terminating proxy.
    pub trust_forwarded_proto: bool,
    /// The EDD API version answered by the unversioned `/edd-api/customers/` (1 or 2).
    pub edd_default_version: u8,
}

impl SiteConfig {
    /// The home URL.
    pub fn url(&self) -> SiteUrl<'_> {
        SiteUrl::new(&self.site_url)
    }

    /// The EDD version of unversioned requests.
    pub fn edd_version(&self) -> edd::Version {
        edd::Version::from_number(self.edd_default_version)
    }

    /// Settings for tests and the default server: `http://127.0.0.1:8080`, UTC, USD.
    pub fn local(site_url: &str) -> Self {
        Self {
            site_url: site_url.trim_end_matches('/').to_owned(),
            timezone: TimeZone::UTC,
            currency: Currency::parse("USD").expect("USD is an ISO 4217 currency"),
            trust_forwarded_proto: false,
            edd_default_version: 2,
        }
    }
}
