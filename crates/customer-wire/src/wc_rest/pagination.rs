//! WordPress's pagination of the customers list: `X-WP-Total`, `X-WP-TotalPages` and the
//! `Link` header with `prev` and `next` pages, built from the request's own parameters.

use customer_model::PageRequest;
use serde_json::Value;

use super::decode::{ListParams, Params};

impl ListParams {
    /// The pagination figures for `total` matches.
    pub fn pagination(&self, total: u64) -> Pagination {
        let total_pages = PageRequest::page_count(total, self.per_page);
        // WooCommerce: page = ceil(offset / per_page + 1).
        let page =
            self.skip() / self.per_page + 1 + u64::from(!self.skip().is_multiple_of(self.per_page));
        let prev = (page > 1).then(|| (page - 1).min(total_pages));
        let next = (total_pages > page).then_some(page + 1);
        Pagination {
            total,
            total_pages,
            prev,
            next,
        }
    }
}

/// `X-WP-Total`, `X-WP-TotalPages` and the `Link` pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// Matches over all pages.
    pub total: u64,
    /// `ceil(total / per_page)`.
    pub total_pages: u64,
    /// The `prev` page, if any.
    pub prev: Option<u64>,
    /// The `next` page, if any.
    pub next: Option<u64>,
}

/// The `Link` header: `<url>; rel="prev", <url>; rel="next"`, where each URL is the
/// collection URL with every request query parameter (sanitised ones re-emitted) and
/// `page` replaced in place or appended. `None` when there is neither page.
pub fn link_header(
    collection_url: &str,
    query: &[(String, String)],
    pagination: &Pagination,
) -> Option<String> {
    let link = |page: u64, rel: &str| {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut replaced = false;
        for (name, value) in query {
            if name == "page" {
                if !replaced {
                    pairs.push(("page".into(), page.to_string()));
                    replaced = true;
                }
            } else {
                pairs.push((name.clone(), value.clone()));
            }
        }
        if !replaced {
            pairs.push(("page".into(), page.to_string()));
        }
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        format!("<{collection_url}?{encoded}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if let Some(prev) = pagination.prev {
        links.push(link(prev, "prev"));
    }
    if let Some(next) = pagination.next {
        links.push(link(next, "next"));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

/// The request's query parameters as flat pairs for `Link` URLs: last value per name,
/// arrays as `name[0]`, `name[1]`, sanitised list parameters as WordPress re-emits them.
pub fn link_query_pairs(params: &Params, list: &ListParams) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in params {
        match name.as_str() {
            "page" => pairs.push((name.clone(), list.page.to_string())),
            "per_page" => pairs.push((name.clone(), list.per_page.to_string())),
            "offset" => pairs.push((name.clone(), list.offset.to_string())),
            "include" | "exclude" => {
                let ids = if name == "include" {
                    &list.include
                } else {
                    &list.exclude
                };
                for (i, id) in ids.iter().enumerate() {
                    pairs.push((format!("{name}[{i}]"), id.to_string()));
                }
            }
            _ => flatten(name, value, &mut pairs),
        }
    }
    pairs
}

pub(crate) fn flatten(name: &str, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => pairs.push((name.to_owned(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{name}[{i}]"), item, pairs);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                flatten(&format!("{name}[{key}]"), item, pairs);
            }
        }
        Value::Null => pairs.push((name.to_owned(), String::new())),
        Value::Bool(_) | Value::Number(_) => pairs.push((name.to_owned(), value.to_string())),
    }
}

/// The pagination headers of a list: totals, and `Link` when there is another page.
pub fn headers(pagination: &Pagination, link: Option<String>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("X-WP-Total", pagination.total.to_string()),
        ("X-WP-TotalPages", pagination.total_pages.to_string()),
    ];
    if let Some(link) = link {
        headers.push(("Link", link));
    }
    headers
}
