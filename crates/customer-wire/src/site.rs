//! [`SiteUrl`]: the site's home URL and the ways WordPress derives URLs from it.

/// The configured home URL (`http://example.com`, maybe with a sub-path), without a
/// trailing slash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteUrl<'a>(&'a str);

impl<'a> SiteUrl<'a> {
    /// The home URL `url`, its trailing slashes ignored.
    pub fn new(url: &'a str) -> Self {
        Self(url.trim_end_matches('/'))
    }

    /// The URL as configured, without a trailing slash.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// What `rest_url()` starts with: the home URL, upgraded to `https` for a request
    /// that came in over HTTPS (WordPress never downgrades an `https` home).
    pub fn rest_home(&self, https: bool) -> String {
        match self.0.strip_prefix("http://") {
            Some(rest) if https => format!("https://{rest}"),
            _ => self.0.to_owned(),
        }
    }

    /// `set_url_scheme(home, https ? 'https' : 'http')`: the home URL with the request's
    /// scheme, either way.
    pub fn with_scheme(&self, https: bool) -> String {
        let rest = self.0.split_once("://").map_or(self.0, |(_, rest)| rest);
        format!("{}://{rest}", if https { "https" } else { "http" })
    }

    /// The host, without scheme, port or path.
    pub fn host(&self) -> &'a str {
        let rest = self.0.split_once("://").map_or(self.0, |(_, rest)| rest);
        rest.split(['/', ':']).next().unwrap_or(rest)
    }

    /// The path part (`""` for `http://host`, `/shop` for `http://host/shop/`).
    pub fn path(&self) -> &'a str {
        let rest = self.0.split_once("://").map_or(self.0, |(_, rest)| rest);
        rest.find('/').map_or("", |at| &rest[at..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_hosts_and_paths() {
        let plain = SiteUrl::new("http://example.com:8080/shop/");
        assert_eq!(plain.as_str(), "http://example.com:8080/shop");
        assert_eq!(plain.rest_home(true), "https://example.com:8080/shop");
        assert_eq!(plain.rest_home(false), "http://example.com:8080/shop");
        assert_eq!(plain.host(), "example.com");
        assert_eq!(plain.path(), "/shop");
        let secure = SiteUrl::new("https://example.com");
        assert_eq!(secure.rest_home(false), "https://example.com");
        assert_eq!(secure.with_scheme(false), "http://example.com");
        assert_eq!(secure.path(), "");
    }
}
