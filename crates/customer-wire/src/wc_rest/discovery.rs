//! WordPress's description of its own routes, from the tables of [`super::contract`]:
//! the site index (`GET /wp-json/`), a namespace's index (`GET /wp-json/wc/v3`), and a
//! route's description (`OPTIONS`), with each endpoint's arguments and, on `OPTIONS`,
//! the item schema.
//!
//! The shapes are `WP_REST_Server::get_index`, `get_namespace_index` and
//! `get_data_for_route`: routes keyed by their registered pattern, `methods` as the
//! union of the endpoints' methods, `_links.self` only for routes without placeholders.
//! The indexes list the customers routes, then the webhooks routes
//! ([`webhook_contract::wp_routes`]), in WooCommerce's registration order.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use super::Version;
use super::contract::{Handler, ROUTES, RestRouteDoc, batch_schema, handler_args, item_schema};
use super::decode::{Endpoint, RestRoute};
use super::encode::{Answer, Shape};
use super::webhooks::contract as webhook_contract;
use super::webhooks::decode::{WebhookEndpoint, WebhookRoute};

/// An index route: the site's root or one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexRoute {
    /// `/` (`/wp-json/`).
    Site,
    /// `/wc/v2` or `/wc/v3`.
    Namespace(Version),
}

impl IndexRoute {
    /// The index a REST route names (matched as WordPress matches routes: any letter
    /// case, a trailing slash ignored), if any.
    pub fn parse(route: &str) -> Option<Self> {
        let route = route
            .strip_suffix('/')
            .unwrap_or(route)
            .to_ascii_lowercase();
        match route.as_str() {
            "" => Some(Self::Site),
            "/wc/v2" => Some(Self::Namespace(Version::V2)),
            "/wc/v3" => Some(Self::Namespace(Version::V3)),
            _ => None,
        }
    }
}

/// What the site index says of the site.
#[derive(Debug, Clone, Copy)]
pub struct SiteFacts<'a> {
    /// `rest_url` with the request's scheme, without a trailing slash.
    pub home_url: &'a str,
    /// The site's time zone.
    pub timezone: &'a TimeZone,
    /// Now, for the time zone's current offset.
    pub now: Timestamp,
}

fn self_link(href: String) -> Value {
    json!({ "self": [{ "href": href }] })
}

/// One registered route as WordPress describes it: its pattern and OpenAPI template
/// after the namespace, each endpoint's methods and arguments, and the schema `OPTIONS`
/// adds.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteInfo {
    /// The pattern as registered (`/webhooks/(?P<id>[\d]+)`).
    pub pattern: &'static str,
    /// The OpenAPI path (`/webhooks/{id}`).
    pub template: &'static str,
    /// Each endpoint's methods and arguments (as WordPress lists them), in registration
    /// order.
    pub endpoints: Vec<(&'static [&'static str], Map<String, Value>)>,
    /// The route's schema.
    pub schema: Value,
}

impl RouteInfo {
    /// A customers route of the table.
    pub fn customers(version: Version, route: &RestRouteDoc) -> Self {
        let schema = if route.handlers == [Handler::Batch] {
            batch_schema()
        } else if route.handlers == [Handler::Downloads] {
            downloads_schema()
        } else {
            item_schema(version)
        };
        Self {
            pattern: route.pattern,
            template: route.template,
            endpoints: route
                .handlers
                .iter()
                .map(|handler| (handler.methods(), handler_args(*handler, version)))
                .collect(),
            schema,
        }
    }
}

/// `get_data_for_route` of one customers route; `help` adds the item schema (`OPTIONS`).
pub fn route_data(version: Version, route: &RestRouteDoc, home_url: &str, help: bool) -> Value {
    describe(
        version,
        &RouteInfo::customers(version, route),
        home_url,
        help,
    )
}

/// `get_data_for_route` of any route; `help` adds its schema (`OPTIONS`).
pub fn describe(version: Version, route: &RouteInfo, home_url: &str, help: bool) -> Value {
    let namespace = version.namespace();
    let mut data = Map::new();
    data.insert("namespace".into(), json!(namespace));
    let methods: Vec<&str> = route
        .endpoints
        .iter()
        .flat_map(|(methods, _)| methods.iter().copied())
        .collect();
    data.insert("methods".into(), json!(methods));
    let endpoints: Vec<Value> = route
        .endpoints
        .iter()
        .map(|(methods, args)| json!({"methods": methods, "args": Value::Object(args.clone())}))
        .collect();
    data.insert("endpoints".into(), Value::Array(endpoints));
    if help {
        data.insert("schema".into(), route.schema.clone());
    }
    if !route.template.contains('{') {
        data.insert(
            "_links".into(),
            self_link(format!("{home_url}/wp-json/{namespace}{}", route.template)),
        );
    }
    Value::Object(data)
}

/// The route of a namespace itself (`/wc/v3`), as WordPress registers it.
fn namespace_route_data(version: Version, home_url: &str) -> Value {
    let namespace = version.namespace();
    json!({
        "namespace": namespace,
        "methods": ["GET"],
        "endpoints": [{
            "methods": ["GET"],
            "args": {
                "namespace": {"default": namespace, "required": false},
                "context": {"default": "view", "required": false},
            },
        }],
        "_links": self_link(format!("{home_url}/wp-json/{namespace}")),
    })
}

/// The root route (`/`).
fn root_route_data(home_url: &str) -> Value {
    json!({
        "namespace": "",
        "methods": ["GET"],
        "endpoints": [{
            "methods": ["GET"],
            "args": {"context": {"default": "view", "required": false}},
        }],
        "_links": self_link(format!("{home_url}/wp-json/")),
    })
}

fn namespace_routes(version: Version, home_url: &str, routes: &mut Map<String, Value>) {
    let namespace = version.namespace();
    routes.insert(
        format!("/{namespace}"),
        namespace_route_data(version, home_url),
    );
    for route in &ROUTES {
        routes.insert(
            format!("/{namespace}{}", route.pattern),
            route_data(version, route, home_url, false),
        );
    }
    for route in webhook_contract::wp_routes(version) {
        routes.insert(
            format!("/{namespace}{}", route.pattern),
            describe(version, &route, home_url, false),
        );
    }
}

/// `GET /wp-json/wc/vN`.
pub fn namespace_index(version: Version, home_url: &str) -> Value {
    let mut routes = Map::new();
    namespace_routes(version, home_url, &mut routes);
    json!({
        "namespace": version.namespace(),
        "routes": routes,
        "_links": {"up": [{"href": format!("{home_url}/wp-json/")}]},
    })
}

/// `GET /wp-json/`.
pub fn site_index(site: SiteFacts<'_>) -> Value {
    let mut routes = Map::new();
    routes.insert("/".into(), root_route_data(site.home_url));
    for version in [Version::V2, Version::V3] {
        namespace_routes(version, site.home_url, &mut routes);
    }
    let offset_seconds = site.timezone.to_offset(site.now).seconds();
    let gmt_offset = if offset_seconds % 3600 == 0 {
        json!(offset_seconds / 3600)
    } else {
        json!(f64::from(offset_seconds) / 3600.0)
    };
    json!({
        "name": "clientele",
        "description": "",
        "url": site.home_url,
        "home": site.home_url,
        "gmt_offset": gmt_offset,
        "timezone_string": site.timezone.iana_name().unwrap_or(""),
        "page_for_posts": 0,
        "page_on_front": 0,
        "show_on_front": "posts",
        "namespaces": ["wc/v2", "wc/v3"],
        "authentication": [],
        "routes": routes,
        "site_logo": 0,
        "site_icon": 0,
        "site_icon_url": "",
        "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
    })
}

/// The schema of a download, as WooCommerce registers it for the downloads route.
fn downloads_schema() -> Value {
    let view = json!(["view"]);
    let text = |description: &str| json!({"description": description, "type": "string", "context": view, "readonly": true});
    let integer = |description: &str| json!({"description": description, "type": "integer", "context": view, "readonly": true});
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "customer_download",
        "type": "object",
        "properties": {
            "download_id": text("Download ID."),
            "download_url": text("Download file URL."),
            "product_id": integer("Downloadable product ID."),
            "product_name": text("Product name."),
            "download_name": text("Downloadable file name."),
            "order_id": integer("Order ID."),
            "order_key": text("Order key."),
            "downloads_remaining": text("Number of downloads remaining."),
            "access_expires": text("The date when download access expires, in the site's timezone."),
            "access_expires_gmt": text("The date when download access expires, as GMT."),
            "file": {
                "description": "File details.",
                "type": "object",
                "context": view,
                "readonly": true,
                "properties": {
                    "name": text("File name."),
                    "file": text("File URL."),
                },
            },
        },
    })
}

/// The table entry of a matched customers route.
fn route_doc(route: RestRoute) -> &'static RestRouteDoc {
    let at = match route.endpoint {
        Endpoint::Collection => 0,
        Endpoint::Item(_) => 1,
        Endpoint::Batch => 2,
        Endpoint::Downloads(_) => 3,
    };
    &ROUTES[at]
}

/// `OPTIONS` on a matched customers route: its description with the schema, and `Allow`.
pub fn options(route: RestRoute, home_url: &str) -> Answer {
    let doc = route_doc(route);
    Answer::new(
        200,
        route_data(route.version, doc, home_url, true),
        Shape::Other,
    )
    .header("Allow", route.endpoint.methods().join(", "))
}

/// `OPTIONS` on a matched webhooks route: its description with the schema, and `Allow`.
pub fn webhook_options(route: WebhookRoute, home_url: &str) -> Answer {
    let at = match route.endpoint {
        WebhookEndpoint::Collection => 0,
        WebhookEndpoint::Item(_) => 1,
        WebhookEndpoint::Batch => 2,
    };
    let info = &webhook_contract::wp_routes(route.version)[at];
    Answer::new(
        200,
        describe(route.version, info, home_url, true),
        Shape::Other,
    )
    .header("Allow", route.endpoint.methods().join(", "))
}

/// `GET` (or `HEAD`) of an index.
pub fn index(route: IndexRoute, site: SiteFacts<'_>) -> Answer {
    let body = match route {
        IndexRoute::Site => site_index(site),
        IndexRoute::Namespace(version) => namespace_index(version, site.home_url),
    };
    Answer::new(200, body, Shape::Item)
}

/// `OPTIONS` on an index route.
pub fn index_options(route: IndexRoute, home_url: &str) -> Answer {
    let body = match route {
        IndexRoute::Site => root_route_data(home_url),
        IndexRoute::Namespace(version) => namespace_route_data(version, home_url),
    };
    Answer::new(200, body, Shape::Other).header("Allow", "GET".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "http://example.com";

    #[test]
    fn index_routes_match_like_wordpress() {
        assert_eq!(IndexRoute::parse(""), Some(IndexRoute::Site));
        assert_eq!(IndexRoute::parse("/"), Some(IndexRoute::Site));
        assert_eq!(
            IndexRoute::parse("/WC/v3/"),
            Some(IndexRoute::Namespace(Version::V3))
        );
        assert_eq!(IndexRoute::parse("/wc/v1"), None);
        assert_eq!(IndexRoute::parse("/wc/v3/customers"), None);
    }

    #[test]
    fn routes_group_methods_by_endpoint() {
        let item = route_data(Version::V3, &ROUTES[1], HOME, false);
        assert_eq!(
            item["methods"],
            json!(["GET", "POST", "PUT", "PATCH", "DELETE"])
        );
        assert_eq!(
            item["endpoints"][1]["methods"],
            json!(["POST", "PUT", "PATCH"])
        );
        assert_eq!(
            item["endpoints"][0]["args"]["context"],
            json!({"default": "view", "description": "Scope under which the request is made; determines fields present in response.", "type": "string", "enum": ["view", "edit"], "required": false})
        );
        assert!(
            item.get("_links").is_none(),
            "no links for routes with placeholders"
        );
        assert!(item.get("schema").is_none());
        let collection = route_data(Version::V2, &ROUTES[0], HOME, true);
        assert_eq!(
            collection["_links"]["self"][0]["href"],
            "http://example.com/wp-json/wc/v2/customers"
        );
        assert_eq!(collection["schema"]["title"], "customer");
        assert_eq!(
            collection["endpoints"][0]["args"]["per_page"]["maximum"],
            100
        );
    }

    #[test]
    fn indexes_list_every_route() {
        let index = namespace_index(Version::V3, HOME);
        let mut routes: Vec<&String> = index["routes"].as_object().unwrap().keys().collect();
        routes.sort();
        assert_eq!(
            routes,
            [
                "/wc/v3",
                "/wc/v3/customers",
                "/wc/v3/customers/(?P<customer_id>[\\d]+)/downloads",
                "/wc/v3/customers/(?P<id>[\\d]+)",
                "/wc/v3/customers/batch",
                "/wc/v3/webhooks",
                "/wc/v3/webhooks/(?P<id>[\\d]+)",
                "/wc/v3/webhooks/batch",
            ]
        );
        assert_eq!(
            index["_links"]["up"][0]["href"],
            "http://example.com/wp-json/"
        );
        let tz = TimeZone::get("Asia/Kolkata").unwrap();
        let site = site_index(SiteFacts {
            home_url: HOME,
            timezone: &tz,
            now: Timestamp::UNIX_EPOCH,
        });
        assert_eq!(site["gmt_offset"], 5.5);
        assert_eq!(site["timezone_string"], "Asia/Kolkata");
        assert_eq!(site["routes"].as_object().unwrap().len(), 17);
        assert_eq!(site["namespaces"], json!(["wc/v2", "wc/v3"]));
    }

    #[test]
    fn webhook_routes_are_described_as_woocommerce_registers_them() {
        let item = &describe(
            Version::V2,
            &webhook_contract::wp_routes(Version::V2)[1],
            HOME,
            true,
        );
        assert_eq!(item["namespace"], "wc/v2");
        assert_eq!(
            item["methods"],
            json!(["GET", "POST", "PUT", "PATCH", "DELETE"])
        );
        assert!(item.get("_links").is_none());
        assert_eq!(item["schema"]["title"], "webhook");
        assert_eq!(
            item["schema"]["properties"]["secret"]["context"],
            json!(["edit"])
        );
        // The route's `id` is in every endpoint; updates take no defaults.
        for endpoint in item["endpoints"].as_array().unwrap() {
            assert_eq!(endpoint["args"]["id"]["type"], "integer");
        }
        assert_eq!(
            item["endpoints"][1]["args"]["status"],
            json!({"description": "Webhook status.", "type": "string", "enum": ["active", "paused", "disabled"], "required": false})
        );
        assert!(item["endpoints"][1]["args"].get("delivery_url").is_none());
        assert_eq!(item["endpoints"][2]["args"]["force"]["default"], false);
        let collection = describe(
            Version::V3,
            &webhook_contract::wp_routes(Version::V3)[0],
            HOME,
            false,
        );
        assert_eq!(
            collection["_links"]["self"][0]["href"],
            "http://example.com/wp-json/wc/v3/webhooks"
        );
        assert!(collection.get("schema").is_none());
        let create = &collection["endpoints"][1]["args"];
        assert_eq!(
            create["delivery_url"],
            json!({"type": "string", "description": "Webhook delivery URL.", "required": true})
        );
        assert_eq!(create["topic"]["required"], true);
        assert_eq!(create["status"]["default"], "active");
        assert!(create.get("id").is_none());
        let list = &collection["endpoints"][0]["args"];
        assert_eq!(list["per_page"]["maximum"], 100);
        assert!(list.get("_fields").is_none());
    }
}
