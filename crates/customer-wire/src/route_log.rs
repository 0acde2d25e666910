//! What the request log may show of a request's target: the route's template, with ids
//! but without personal data or credentials.

/// The words that make up the routes of every dialect: a path segment that is one of
/// them, a number or a UUID (ids) is logged as it is; any other segment may be personal
/// data (the legacy `/customers/email/{address}`) and is logged as a placeholder.
const ROUTE_WORDS: &[&str] = &[
    "api",
    "batch",
    "count",
    "customers",
    "downloads",
    "edd-api",
    "email",
    "healthz",
    "orders",
    "v1",
    "v2",
    "v3",
    "wc",
    "wc-api",
    "wp-json",
];

/// The route's template of a path: route words and ids kept, anything else replaced by
/// `{value}`, so that a log line says which route was asked for without personal data.
fn path_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let lower = segment.to_ascii_lowercase();
            let is_id = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
            if segment.is_empty()
                || is_id
                || ROUTE_WORDS.contains(&lower.as_str())
                || uuid::Uuid::try_parse(segment).is_ok()
            {
                segment
            } else {
                "{value}"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the request log shows of a request's target at `info`: the template of its path
/// and of the routes WordPress reads from the query (`?rest_route=`, `?edd-api=`). The
/// rest of the query is never logged: it may carry keys and signatures.
pub fn log_template(path: &str, query: &str) -> String {
    let mut template = path_template(path);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == "rest_route" || name == "edd-api" {
            template.push_str(if template.contains('?') { "&" } else { "?" });
            template.push_str(&name);
            template.push('=');
            template.push_str(&path_template(&value));
        }
    }
    template
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(target: &str) -> String {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        log_template(path, query)
    }

    #[test]
    fn log_templates_keep_routes_and_ids_but_no_personal_data() {
        assert_eq!(
            template("/wc-api/v3/customers/email/john%40example.com?consumer_key=ck_1"),
            "/wc-api/v3/customers/email/{value}"
        );
        assert_eq!(
            template("/wp-json/wc/v3/customers/42/downloads"),
            "/wp-json/wc/v3/customers/42/downloads"
        );
        assert_eq!(
            template("/api/v1/customers/550e8400-e29b-41d4-a716-446655440010"),
            "/api/v1/customers/550e8400-e29b-41d4-a716-446655440010"
        );
        assert_eq!(
            template("/?rest_route=/wc/v3/customers/7&oauth_signature=x"),
            "/?rest_route=/wc/v3/customers/7"
        );
        assert_eq!(
            template("/index.php?edd-api=customers&customer=jane@example.com"),
            "/{value}?edd-api=customers"
        );
        assert_eq!(template("/jane.doe@example.com"), "/{value}");
    }
}
