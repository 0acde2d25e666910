//! [`Incoming`]: what the codecs read of an HTTP request, without any server type. The
//! query string is parsed once, with PHP's rules, and every dialect reads that parse.

use crate::php::Vars;

/// Request headers by name (names in lower case, as HTTP/1.1 servers hand them over).
#[derive(Debug, Clone, Default)]
pub struct Headers<'a> {
    pairs: Vec<(&'a str, &'a [u8])>,
}

impl<'a> Headers<'a> {
    /// Headers from `(name, value)` pairs in the order received.
    pub fn new(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        Self {
            pairs: pairs.into_iter().collect(),
        }
    }

    /// The first value of `name` (any letter case), as sent.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }

    /// The first value of `name` as text, when it is visible ASCII (as `to_str` allows).
    pub fn text(&self, name: &str) -> Option<&'a str> {
        let value = self.get(name)?;
        value
            .iter()
            .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
            .then(|| std::str::from_utf8(value).ok())
            .flatten()
    }

    /// The media type of `Content-Type`, lower-cased and without parameters.
    pub fn media_type(&self) -> Option<String> {
        let value = self.text("content-type")?;
        Some(
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase(),
        )
    }

    /// Whether the body is a form (`application/x-www-form-urlencoded`, parameters
    /// allowed), which PHP reads into `$_POST`.
    pub fn is_form(&self) -> bool {
        self.text("content-type").is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
    }
}

/// One request as the codecs see it.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// The method as sent (overrides such as `_method` are each dialect's business).
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The path and query as sent (`REQUEST_URI`).
    pub target: &'a str,
    /// The query string as `$_GET`.
    pub query: Vars,
    /// The headers.
    pub headers: Headers<'a>,
    /// The body as sent.
    pub body: &'a [u8],
    /// Whether the request counts as HTTPS (TLS, or a trusted proxy that says so).
    pub https: bool,
}

impl<'a> Incoming<'a> {
    /// A request for `target` (path and query) with no headers or body, over plain http.
    pub fn get(target: &'a str) -> Self {
        Self::new("GET", target, Headers::default(), b"", false)
    }

    /// A request; the query is parsed from `target`.
    pub fn new(
        method: &'a str,
        target: &'a str,
        headers: Headers<'a>,
        body: &'a [u8],
        https: bool,
    ) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method,
            path,
            target,
            query: Vars::parse(query.as_bytes()),
            headers,
            body,
            https,
        }
    }

    /// The body as form variables when it is a form body of a `POST` (PHP fills `$_POST`
    /// for POST requests only).
    pub fn post_form(&self) -> Option<Vars> {
        (self.method == "POST" && self.headers.is_form()).then(|| Vars::parse(self.body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_splits_into_path_and_query() {
        let incoming = Incoming::get("/a/b?x=1&y[]=2");
        assert_eq!(incoming.path, "/a/b");
        assert_eq!(incoming.query.text("x").as_deref(), Some("1"));
        assert!(incoming.post_form().is_none());
    }

    #[test]
    fn headers_read_in_any_case() {
        let pairs = [
            (
                "content-type",
                &b"Application/X-WWW-Form-Urlencoded; charset=UTF-8"[..],
            ),
            ("x-bin", &[0xFF][..]),
        ];
        let headers = Headers::new(pairs);
        assert!(headers.is_form());
        assert_eq!(
            headers.media_type().as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(headers.get("X-Bin"), Some(&[0xFF][..]));
        assert_eq!(headers.text("x-bin"), None);
        let form = Incoming::new("POST", "/x", headers, b"a=1", false);
        assert_eq!(form.post_form().unwrap().text("a").as_deref(), Some("1"));
    }
}
