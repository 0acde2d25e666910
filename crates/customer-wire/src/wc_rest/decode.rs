//! Reading a WooCommerce REST request: the request itself ([`RestRequest`]: method
//! override, route, parameters from the query and the body), then each operation's
//! parameters and body into model inputs.
//!
//! - `route`: which endpoint a REST route names, and which methods it accepts.
//! - `values`: WordPress's loose scalar rules (`rest_is_integer`, `rest_is_boolean`, …).
//! - `list`: the list parameters ([`LIST_PARAMETERS`]) and their validation.
//! - `body`: create, update and batch bodies, and WooCommerce's checks against the
//!   stored customer.

mod body;
mod list;
mod route;
mod values;

pub use body::{
    BATCH_LIMIT, BatchCommand, BatchUpdate, CreateCommand, Operation, UpdateCommand,
    batch_create_params, check_delete, decode_batch, decode_create, decode_update, meta_updates,
    parse_username, role_is_editable, validate_args,
};
pub use list::{
    DeleteParams, LIST_PARAMETERS, ListParams, MAX_PER_PAGE, OrderBy, ROLE_VALUES, check_context,
    decode_delete, decode_downloads, decode_list, decode_retrieve, parse_iso8601, route_id,
    search_for,
};
pub(crate) use list::{check_date, check_enum, check_id_list, check_integer, check_string};
pub use route::{Endpoint, RestRoute, parse_route};
pub use values::{Params, as_boolean, as_integer, as_list, params_from_vars, php_scalar_string};

use super::encode::Frame;
use super::errors::RestError;
use crate::request::Incoming;
use crate::site::SiteUrl;
use crate::woo::auth::{self, Flavor};

/// What every step of one REST request reads, decided once.
#[derive(Debug, Clone)]
pub struct RestRequest {
    /// The method after `_method` / `X-HTTP-Method-Override`, upper case.
    pub method: String,
    /// Whether an override changed the method.
    pub overridden: bool,
    /// The REST route: the `rest_route` query value, or the path after `/wp-json`.
    pub route_text: String,
    /// The home URL with the request's scheme, for links.
    pub home_url: String,
}

impl RestRequest {
    /// Reads the request.
    pub fn read(incoming: &Incoming<'_>, site: SiteUrl<'_>) -> Self {
        let method = auth::effective_method(incoming, Flavor::Rest);
        let route_text = incoming
            .query
            .text("rest_route")
            .map(|route| route.into_owned())
            .or_else(|| {
                let prefix = "/wp-json";
                incoming
                    .path
                    .get(..prefix.len())
                    .filter(|p| p.eq_ignore_ascii_case(prefix))
                    .map(|_| incoming.path[prefix.len()..].to_owned())
            })
            .unwrap_or_default();
        Self {
            overridden: method != incoming.method,
            method,
            route_text,
            home_url: site.rest_home(incoming.https),
        }
    }

    /// The matched customers route, if any.
    pub fn route(&self) -> Option<RestRoute> {
        parse_route(&self.route_text)
    }

    /// Query parameters merged with body parameters (the body wins).
    pub fn params(&self, incoming: &Incoming<'_>) -> Result<Params, RestError> {
        let mut params = params_from_vars(&incoming.query);
        params.extend(self.body_params(incoming)?);
        Ok(params)
    }

    /// Body parameters: JSON for a JSON content type, a form for form posts (and for
    /// other methods without a content type, as WordPress parses them).
    fn body_params(&self, incoming: &Incoming<'_>) -> Result<Params, RestError> {
        if incoming.body.is_empty() {
            return Ok(Params::new());
        }
        let form = || params_from_vars(&crate::php::Vars::parse(incoming.body));
        match incoming.headers.media_type().as_deref() {
            Some(media) if media == "application/json" || media.ends_with("+json") => {
                match serde_json::from_slice::<serde_json::Value>(incoming.body) {
                    Ok(serde_json::Value::Object(map)) => Ok(map),
                    Ok(_) => Ok(Params::new()),
                    Err(_) => Err(RestError::invalid_json()),
                }
            }
            Some("application/x-www-form-urlencoded") => Ok(form()),
            None if self.method != "POST" => Ok(form()),
            _ => Ok(Params::new()),
        }
    }

    /// How the answer is framed for this request and caller.
    pub fn frame(&self, incoming: &Incoming<'_>, authenticated: bool) -> Frame {
        Frame {
            home_url: self.home_url.clone(),
            head: self.method == "HEAD",
            overridden: self.overridden,
            fields: incoming.query.get("_fields").map(super::encode::fields_of),
            envelope: incoming.query.contains("_envelope"),
            origin: incoming.headers.text("origin").map(str::to_owned),
            authenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Headers;

    #[test]
    fn requests_read_route_method_and_scheme() {
        let site = SiteUrl::new("http://example.com");
        let pretty = Incoming::get("/WP-JSON/wc/v3/customers/5?_method=delete");
        let request = RestRequest::read(&pretty, site);
        assert_eq!(request.route_text, "/wc/v3/customers/5");
        assert_eq!(
            (request.method.as_str(), request.overridden),
            ("DELETE", true)
        );
        let query_form = Incoming::new(
            "GET",
            "/?rest_route=/wc/v2/customers",
            Headers::default(),
            b"",
            true,
        );
        let request = RestRequest::read(&query_form, site);
        assert_eq!(
            request.route().map(|r| r.version),
            Some(super::super::Version::V2)
        );
        assert_eq!(request.home_url, "https://example.com");
    }

    #[test]
    fn bodies_are_read_by_content_type() {
        let site = SiteUrl::new("http://example.com");
        let json = [("content-type", &b"application/json"[..])];
        let incoming = Incoming::new(
            "POST",
            "/wp-json/wc/v3/customers?a=1",
            Headers::new(json),
            br#"{"a":2}"#,
            false,
        );
        let params = RestRequest::read(&incoming, site)
            .params(&incoming)
            .unwrap();
        assert_eq!(params["a"], 2);
        let broken = Incoming::new("POST", "/x", Headers::new(json), b"{", false);
        assert_eq!(
            RestRequest::read(&broken, site)
                .params(&broken)
                .unwrap_err()
                .code,
            "rest_invalid_json"
        );
        let form = Incoming::new("PUT", "/x", Headers::default(), b"first_name=Jo", false);
        assert_eq!(
            RestRequest::read(&form, site).params(&form).unwrap()["first_name"],
            "Jo"
        );
        let untyped_post = Incoming::new("POST", "/x", Headers::default(), b"first_name=Jo", false);
        assert!(
            RestRequest::read(&untyped_post, site)
                .params(&untyped_post)
                .unwrap()
                .is_empty()
        );
    }
}
