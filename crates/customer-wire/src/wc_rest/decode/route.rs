//! Route matching as WordPress does it: the route (the part after `/wp-json`, or the
//! `rest_route` query value) is matched case-insensitively against the registered
//! patterns after a trailing slash is removed. Ids are `[\d]+`, so `/customers/007` is
//! customer 7 and `/customers/-1` matches nothing.

use super::super::Version;

/// An endpoint of the customers API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/customers`: list (GET) and create (POST).
    Collection,
    /// `/customers/{id}`: retrieve, update, delete.
    Item(i64),
    /// `/customers/batch`: batch create, update and delete.
    Batch,
    /// `/customers/{id}/downloads`: the customer's downloads.
    Downloads(i64),
}

/// A matched route: version and endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRoute {
    /// `wc/v2` or `wc/v3`.
    pub version: Version,
    /// Which endpoint.
    pub endpoint: Endpoint,
}

/// Matches a REST route such as `/wc/v3/customers/25`. `None` when no customers route
/// matches (the caller answers `rest_no_route`).
pub fn parse_route(route: &str) -> Option<RestRoute> {
    let route = route
        .strip_suffix('/')
        .unwrap_or(route)
        .to_ascii_lowercase();
    let mut segments = route.strip_prefix('/')?.split('/');
    if segments.next()? != "wc" {
        return None;
    }
    let version = match segments.next()? {
        "v2" => Version::V2,
        "v3" => Version::V3,
        _ => return None,
    };
    if segments.next()? != "customers" {
        return None;
    }
    let rest: Vec<&str> = segments.collect();
    let endpoint = match rest.as_slice() {
        [] => Endpoint::Collection,
        ["batch"] => Endpoint::Batch,
        [id] => Endpoint::Item(parse_id(id)?),
        [id, "downloads"] => Endpoint::Downloads(parse_id(id)?),
        _ => return None,
    };
    Some(RestRoute { version, endpoint })
}

fn parse_id(segment: &str) -> Option<i64> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

impl Endpoint {
    /// The methods registered for the endpoint (HEAD is answered by the GET handler).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Self::Collection => &["GET", "POST"],
            Self::Item(_) => &["GET", "POST", "PUT", "PATCH", "DELETE"],
            Self::Batch => &["POST", "PUT", "PATCH"],
            Self::Downloads(_) => &["GET"],
        }
    }

    /// Whether `method` (upper case, after overrides) has a handler here.
    pub fn accepts(self, method: &str) -> bool {
        let method = if method == "HEAD" { "GET" } else { method };
        self.methods().contains(&method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_like_wordpress() {
        let v3 = |endpoint| {
            Some(RestRoute {
                version: Version::V3,
                endpoint,
            })
        };
        assert_eq!(parse_route("/wc/v3/customers"), v3(Endpoint::Collection));
        assert_eq!(parse_route("/wc/V3/Customers/"), v3(Endpoint::Collection));
        assert_eq!(parse_route("/wc/v3/customers/007"), v3(Endpoint::Item(7)));
        assert_eq!(parse_route("/wc/v3/customers/batch"), v3(Endpoint::Batch));
        assert_eq!(
            parse_route("/wc/v3/customers/26/downloads"),
            v3(Endpoint::Downloads(26))
        );
        assert_eq!(
            parse_route("/wc/v2/customers").map(|r| r.version),
            Some(Version::V2)
        );
        for none in [
            "/wc/v3/customers/abc",
            "/wc/v3/customers/-1",
            "/wc/v1/customers",
            "/wc/v3/orders",
            "/wc/v3/customers/1/2",
            "wc/v3/customers",
        ] {
            assert_eq!(parse_route(none), None, "{none}");
        }
    }

    #[test]
    fn head_is_served_by_get() {
        assert!(Endpoint::Collection.accepts("HEAD"));
        assert!(!Endpoint::Batch.accepts("GET"));
        assert!(!Endpoint::Collection.accepts("DELETE"));
    }
}
