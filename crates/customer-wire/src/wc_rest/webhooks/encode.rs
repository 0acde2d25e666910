//! Webhooks into WooCommerce's webhook object (`prepare_item_for_response` of the v2
//! controller, which v3 inherits), and the answers of each operation.
//!
//! Dates are `YYYY-MM-DDTHH:MM:SS`, in the site's time zone and in UTC (`*_gmt`); a
//! webhook never modified has `null` modification dates. `secret` is shown only in the
//! `edit` context (the answers of create, update and delete are in that context, as
//! WooCommerce sets it).

use customer_model::webhook::Webhook;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::decode::WebhookEndpoint;
use super::{RESOURCE, hooks, topic};
use crate::wc_rest::encode::{Answer, EncodeContext, Href, Shape, gmt_date};
use crate::wc_rest::errors::RestError;
use crate::wc_rest::pagination;

/// Every field of the webhook object, in WooCommerce's order (`secret` only in `edit`).
pub const WEBHOOK_FIELDS: [&str; 14] = [
    "id",
    "name",
    "status",
    "topic",
    "resource",
    "event",
    "hooks",
    "delivery_url",
    "secret",
    "date_created",
    "date_created_gmt",
    "date_modified",
    "date_modified_gmt",
    "_links",
];

/// `<home>/wp-json/wc/vN/webhooks`.
pub fn collection_url(ctx: &EncodeContext<'_>) -> String {
    format!(
        "{}/wp-json/{}/webhooks",
        ctx.home_url,
        ctx.version.namespace()
    )
}

/// WooCommerce's webhook object, fields in its order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookDto {
    /// `id`.
    pub id: i64,
    /// `name`.
    pub name: String,
    /// `status`.
    pub status: &'static str,
    /// `topic`: `customer.<event>`.
    pub topic: String,
    /// `resource`: `customer`.
    pub resource: &'static str,
    /// `event`.
    pub event: &'static str,
    /// `hooks`: the WordPress actions of the topic.
    pub hooks: &'static [&'static str],
    /// `delivery_url`.
    pub delivery_url: String,
    /// `secret`, in the `edit` context only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `date_created`, site time.
    pub date_created: String,
    /// `date_created_gmt`.
    pub date_created_gmt: String,
    /// `date_modified`, site time.
    pub date_modified: Option<String>,
    /// `date_modified_gmt`.
    pub date_modified_gmt: Option<String>,
    /// `_links`.
    #[serde(rename = "_links")]
    pub links: WebhookLinks,
}

/// `_links` of a webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookLinks {
    /// `self`.
    #[serde(rename = "self")]
    pub self_: Vec<Href>,
    /// `collection`.
    pub collection: Vec<Href>,
}

/// The webhook object; `edit` adds `secret`.
pub fn webhook_json(ctx: &EncodeContext<'_>, webhook: &Webhook, edit: bool) -> Value {
    let collection = collection_url(ctx);
    let dto = WebhookDto {
        id: webhook.id,
        name: webhook.name.clone(),
        status: webhook.status.as_str(),
        topic: topic(webhook.event),
        resource: RESOURCE,
        event: webhook.event.as_str(),
        hooks: hooks(webhook.event),
        delivery_url: webhook.delivery_url.clone(),
        secret: edit.then(|| webhook.secret.clone()),
        date_created: ctx.local_date(webhook.created_at),
        date_created_gmt: gmt_date(webhook.created_at),
        date_modified: webhook.modified_at.map(|at| ctx.local_date(at)),
        date_modified_gmt: webhook.modified_at.map(gmt_date),
        links: WebhookLinks {
            self_: vec![Href {
                href: format!("{collection}/{}", webhook.id),
            }],
            collection: vec![Href { href: collection }],
        },
    };
    serde_json::to_value(dto).expect("webhooks serialize")
}

/// `Allow`: every method of the endpoint for a key (keys act as administrators).
pub fn allow(answer: Answer, endpoint: WebhookEndpoint, authenticated: bool) -> Answer {
    if authenticated {
        answer.header("Allow", endpoint.methods().join(", "))
    } else {
        answer
    }
}

/// `GET /webhooks`: the page with `X-WP-Total`, `X-WP-TotalPages` and `Link`.
pub fn list_answer<'w>(
    ctx: &EncodeContext<'_>,
    webhooks: impl IntoIterator<Item = &'w Webhook>,
    edit: bool,
    pages: &pagination::Pagination,
    link_pairs: &[(String, String)],
) -> Answer {
    let items: Vec<Value> = webhooks
        .into_iter()
        .map(|webhook| webhook_json(ctx, webhook, edit))
        .collect();
    let link = pagination::link_header(&collection_url(ctx), link_pairs, pages);
    pagination::headers(pages, link).into_iter().fold(
        Answer::new(200, Value::Array(items), Shape::List),
        |answer, (name, value)| answer.header(name, value),
    )
}

/// One webhook: retrieve (in the asked context), update and delete (`edit`).
pub fn item_answer(ctx: &EncodeContext<'_>, webhook: &Webhook, edit: bool) -> Answer {
    Answer::new(200, webhook_json(ctx, webhook, edit), Shape::Item)
}

/// `POST /webhooks`: `201 Created` with `Location`, in the `edit` context.
pub fn created_answer(ctx: &EncodeContext<'_>, webhook: &Webhook) -> Answer {
    Answer::new(201, webhook_json(ctx, webhook, true), Shape::Item).header(
        "Location",
        format!("{}/{}", collection_url(ctx), webhook.id),
    )
}

/// The results of a batch, in WooCommerce's shape: each item the webhook or
/// `{"id", "error"}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookBatch {
    create: Vec<Value>,
    update: Vec<Value>,
    delete: Vec<Value>,
}

/// What one batch item came to.
pub type WebhookOutcome = Result<Webhook, RestError>;

impl WebhookBatch {
    fn item(ctx: &EncodeContext<'_>, outcome: WebhookOutcome, id: Value) -> Value {
        match outcome {
            Ok(webhook) => webhook_json(ctx, &webhook, true),
            Err(error) => json!({"id": id, "error": error.to_json()}),
        }
    }

    /// A create's result (failures carry id 0).
    pub fn created(&mut self, ctx: &EncodeContext<'_>, outcome: WebhookOutcome) {
        self.create.push(Self::item(ctx, outcome, json!(0)));
    }

    /// An update's result (failures repeat the id as sent).
    pub fn updated(&mut self, ctx: &EncodeContext<'_>, outcome: WebhookOutcome, raw_id: Value) {
        self.update.push(Self::item(ctx, outcome, raw_id));
    }

    /// A delete's result.
    pub fn deleted(&mut self, ctx: &EncodeContext<'_>, outcome: WebhookOutcome, id: i64) {
        self.delete.push(Self::item(ctx, outcome, json!(id)));
    }

    /// The batch's answer: only the lists that had input (`[]` when none had, as PHP
    /// encodes an empty array).
    pub fn answer(self, asked: [bool; 3]) -> Answer {
        if asked == [false; 3] {
            return Answer::new(200, json!([]), Shape::Other);
        }
        let mut body = Map::new();
        for ((name, items), wanted) in [
            ("create", self.create),
            ("update", self.update),
            ("delete", self.delete),
        ]
        .into_iter()
        .zip(asked)
        {
            if wanted {
                body.insert(name.into(), Value::Array(items));
            }
        }
        Answer::new(200, Value::Object(body), Shape::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wc_rest::Version;
    use customer_model::Currency;
    use customer_model::webhook::{CustomerEvent, WebhookStatus};
    use jiff::tz::TimeZone;

    #[test]
    fn the_object_has_woocommerces_fields_in_order() {
        let tz = TimeZone::fixed(jiff::tz::offset(2));
        let ctx = EncodeContext {
            version: Version::V3,
            home_url: "http://example.com",
            timezone: &tz,
            currency: Currency::parse("USD").unwrap(),
        };
        let webhook = Webhook {
            id: 7,
            name: "Hook".into(),
            status: WebhookStatus::Paused,
            event: CustomerEvent::Created,
            delivery_url: "https://example.net/in".into(),
            secret: "k".into(),
            api_version: 3,
            failure_count: 0,
            created_at: "2024-01-02T03:04:05Z".parse().unwrap(),
            modified_at: None,
        };
        let edit = webhook_json(&ctx, &webhook, true);
        let mut keys: Vec<&str> = edit
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = WEBHOOK_FIELDS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed);
        assert_eq!(edit["topic"], "customer.created");
        assert_eq!(edit["date_created"], "2024-01-02T05:04:05");
        assert_eq!(edit["date_created_gmt"], "2024-01-02T03:04:05");
        assert_eq!(edit["date_modified"], Value::Null);
        assert_eq!(
            edit["_links"]["self"][0]["href"],
            "http://example.com/wp-json/wc/v3/webhooks/7"
        );
        assert_eq!(
            edit["hooks"],
            json!([
                "user_register",
                "woocommerce_created_customer",
                "woocommerce_new_customer"
            ])
        );
        let view = webhook_json(&ctx, &webhook, false);
        assert!(view.get("secret").is_none());
    }
}
