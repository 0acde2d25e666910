//! The requests webhooks send, as `WC_Webhook::deliver` and `deliver_ping` build them:
//! a `POST` of the payload as JSON with the `X-WC-Webhook-*` headers and an HMAC-SHA256
//! signature of the exact body bytes, or the ping's form body `webhook_id=<id>`.
//!
//! The payload of `created` and `updated` is the customer object of the webhook's API
//! version (what `GET /wp-json/wc/vN/customers/{id}` answers), written as the API
//! writes it; the payload of `deleted` is `{"id": N}`.

use base64::Engine;
use customer_model::webhook::{CustomerEvent, Webhook};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{RESOURCE, topic};
use crate::wc_rest::Version;

/// The WooCommerce version deliveries name in their `User-Agent`.
pub const WOOCOMMERCE_VERSION: &str = "9.8.5";
/// The WordPress version deliveries name in their `User-Agent`.
pub const WORDPRESS_VERSION: &str = "6.8.1";

/// `WooCommerce/<version> Hookshot (WordPress/<version>)`.
pub fn user_agent() -> String {
    format!("WooCommerce/{WOOCOMMERCE_VERSION} Hookshot (WordPress/{WORDPRESS_VERSION})")
}

/// One request to a webhook's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Where it goes.
    pub url: String,
    /// Its headers, in the order sent.
    pub headers: Vec<(String, String)>,
    /// Its body, byte for byte.
    pub body: String,
}

/// `base64(HMAC-SHA256(secret, body))`: `X-WC-Webhook-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The API version whose customer object a webhook's deliveries carry.
pub fn payload_version(webhook: &Webhook) -> Version {
    if webhook.api_version == 2 {
        Version::V2
    } else {
        Version::V3
    }
}

/// The payload of a deleted customer.
pub fn deleted_payload(customer_id: i64) -> Value {
    json!({ "id": customer_id })
}

/// The ping sent once when an active webhook is created.
pub fn ping(webhook: &Webhook) -> Delivery {
    Delivery {
        url: webhook.delivery_url.clone(),
        headers: vec![
            ("User-Agent".into(), user_agent()),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body: format!("webhook_id={}", webhook.id),
    }
}

/// The delivery of `event` with `payload`; `source` is the site's home URL (a trailing
/// `/` is added, as `home_url('/')` has it).
pub fn event(
    webhook: &Webhook,
    event: CustomerEvent,
    delivery_id: i64,
    payload: &Value,
    source: &str,
) -> Delivery {
    let body = serde_json::to_string(payload).expect("JSON values serialize");
    let headers = vec![
        ("User-Agent".into(), user_agent()),
        ("Content-Type".into(), "application/json".into()),
        (
            "X-WC-Webhook-Source".into(),
            format!("{}/", source.trim_end_matches('/')),
        ),
        ("X-WC-Webhook-Topic".into(), topic(event)),
        ("X-WC-Webhook-Resource".into(), RESOURCE.into()),
        ("X-WC-Webhook-Event".into(), event.as_str().into()),
        (
            "X-WC-Webhook-Signature".into(),
            signature(&webhook.secret, body.as_bytes()),
        ),
        ("X-WC-Webhook-ID".into(), webhook.id.to_string()),
        ("X-WC-Webhook-Delivery-ID".into(), delivery_id.to_string()),
    ];
    Delivery {
        url: webhook.delivery_url.clone(),
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use customer_model::Timestamp;
    use customer_model::webhook::WebhookStatus;

    #[test]
    fn the_signature_is_rfc_4231s_hmac_in_base64() {
        // RFC 4231 test case 2: key "Jefe".
        let expected = base64::engine::general_purpose::STANDARD.encode(hex_bytes(
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ));
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), expected);
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn deliveries_carry_woocommerces_headers() {
        let webhook = Webhook {
            id: 4,
            name: "n".into(),
            status: WebhookStatus::Active,
            event: CustomerEvent::Deleted,
            delivery_url: "http://127.0.0.1:1/in".into(),
            secret: "Jefe".into(),
            api_version: 2,
            failure_count: 0,
            created_at: Timestamp::UNIX_EPOCH,
            modified_at: None,
        };
        let sent = event(
            &webhook,
            CustomerEvent::Deleted,
            99,
            &deleted_payload(12),
            "http://shop.test",
        );
        assert_eq!(sent.body, r#"{"id":12}"#);
        let header = |name: &str| {
            sent.headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(header("X-WC-Webhook-Source"), Some("http://shop.test/"));
        assert_eq!(header("X-WC-Webhook-Topic"), Some("customer.deleted"));
        assert_eq!(header("X-WC-Webhook-Delivery-ID"), Some("99"));
        assert_eq!(
            header("X-WC-Webhook-Signature").map(str::to_owned),
            Some(signature("Jefe", br#"{"id":12}"#))
        );
        assert_eq!(payload_version(&webhook), Version::V2);
        assert_eq!(ping(&webhook).body, "webhook_id=4");
    }
}
