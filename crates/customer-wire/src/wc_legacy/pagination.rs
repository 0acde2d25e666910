//! The legacy API's pagination headers: `X-WC-Total`, `X-WC-TotalPages` and `Link` lines
//! (first, prev, next, last) pointing at the request's own URL with another `page`.

use customer_model::PageRequest;

use crate::php;
use crate::request::Incoming;
use crate::site::SiteUrl;

/// Where `Link` URLs point: the scheme the request came in on, the host of the site URL
/// (without port, as the original builds it) and the request's path and query.
#[derive(Debug, Clone)]
pub struct LinkBase<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The site's host.
    pub host: &'a str,
    /// The request path as sent.
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
}

impl<'a> LinkBase<'a> {
    /// The link base of a request to a site: the request's scheme, the site's host (no
    /// port), the request's path and raw query.
    pub fn new(site: SiteUrl<'a>, incoming: &'a Incoming<'a>) -> Self {
        Self {
            scheme: if incoming.https { "https" } else { "http" },
            host: site.host(),
            path: incoming.path,
            query: incoming
                .target
                .split_once('?')
                .map_or("", |(_, query)| query),
        }
    }

    /// The request URL with `page=N` instead of any `page`, url-decoded as a whole.
    fn page_url(&self, page: &str) -> String {
        // PHP's parse/rebuild keeps each name once, at its first position, with its
        // last value (`a[]` names accumulate).
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            if name == "page" {
                continue;
            }
            match pairs
                .iter_mut()
                .find(|(n, _)| *n == name && !name.ends_with("[]"))
            {
                Some(slot) => slot.1 = value.into_owned(),
                None => pairs.push((name.into_owned(), value.into_owned())),
            }
        }
        pairs.push(("page".to_owned(), page.to_owned()));
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let path = String::from_utf8_lossy(&php::rawurldecode(self.path.as_bytes())).into_owned();
        format!(
            "{}://{}{}?{}",
            self.scheme,
            self.host,
            path,
            query.join("&")
        )
    }
}

/// A page number as PHP prints a float (`2`, `1.5`).
fn php_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Headers of the customer list: `X-WC-Total`, `X-WC-TotalPages` and `Link` lines
/// (first, prev, next, last; none when the page holds exactly one customer).
pub fn list_pagination_headers(
    total: u64,
    page: PageRequest,
    returned: usize,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let (current, total_pages) = match page.limit {
        Some(limit) if limit > 0 => (
            page.offset as f64 / limit as f64 + 1.0,
            PageRequest::page_count(total, limit) as f64,
        ),
        _ => (1.0, 1.0),
    };
    pagination_headers(total, current, total_pages, returned == 1, link)
}

/// Headers of `/customers/<id>/orders`: the first page always (the original forces it).
pub fn orders_pagination_headers(
    total: u64,
    page: PageRequest,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let total_pages = match page.limit {
        Some(limit) if limit > 0 => PageRequest::page_count(total, limit),
        _ => u64::from(total > 0),
    };
    pagination_headers(total, 1.0, total_pages as f64, false, link)
}

fn pagination_headers(
    total: u64,
    current: f64,
    total_pages: f64,
    single: bool,
    link: &LinkBase<'_>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("X-WC-Total", total.to_string()),
        ("X-WC-TotalPages", php_number(total_pages)),
    ];
    if !single {
        let mut rel = |page: f64, name: &str| {
            headers.push((
                "Link",
                format!("<{}>; rel=\"{name}\"", link.page_url(&php_number(page))),
            ));
        };
        if current > 1.0 {
            rel(1.0, "first");
            rel(current - 1.0, "prev");
        }
        if current + 1.0 <= total_pages {
            rel(current + 1.0, "next");
        }
        if current != total_pages {
            rel(total_pages, "last");
        }
    }
    headers
}
