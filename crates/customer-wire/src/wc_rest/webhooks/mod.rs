//! The webhooks resource of wc/v2 and wc/v3 (`/wp-json/wc/vN/webhooks…`), as
//! WooCommerce's REST webhooks controllers serve it, and the deliveries webhooks make, as
//! `WC_Webhook::deliver` and `deliver_ping` send them.
//!
//! - [`decode`]: the routes, the list parameters ([`decode::LIST_PARAMETERS`]), create,
//!   update, delete and batch bodies into model inputs.
//! - [`encode`]: webhooks into WooCommerce's webhook object, and the answers.
//! - [`errors`]: the catalogue of the resource's own errors ([`errors::CATALOGUE`]).
//! - [`contract`]: the routes and schemas of the OpenAPI documents.
//! - [`delivery`]: the request of a delivery or a ping: headers, body, signature.
//!
//! Only customer topics exist here (`customer.created`, `customer.updated`,
//! `customer.deleted`, `customer.restored`); the payload is the customer object of the
//! version the webhook was made through.

pub mod contract;
pub mod decode;
pub mod delivery;
pub mod encode;
pub mod errors;

use customer_model::webhook::CustomerEvent;

/// The resource every topic here names.
pub const RESOURCE: &str = "customer";

/// `customer.<event>`.
pub fn topic(event: CustomerEvent) -> String {
    format!("{RESOURCE}.{}", event.as_str())
}

/// The event a topic names, when it is a customer topic (lower case, as WooCommerce
/// compares it).
pub fn parse_topic(topic: &str) -> Option<CustomerEvent> {
    let lower = topic.to_ascii_lowercase();
    let event = lower.strip_prefix("customer.")?;
    CustomerEvent::parse(event)
}

/// The WordPress actions WooCommerce hooks a customer topic to (`restored` has none:
/// users have no trash).
pub fn hooks(event: CustomerEvent) -> &'static [&'static str] {
    match event {
        CustomerEvent::Created => &[
            "user_register",
            "woocommerce_created_customer",
            "woocommerce_new_customer",
        ],
        CustomerEvent::Updated => &["profile_update", "woocommerce_update_customer"],
        CustomerEvent::Deleted => &["delete_user"],
        CustomerEvent::Restored => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_ignoring_case() {
        for event in CustomerEvent::ALL {
            assert_eq!(parse_topic(&topic(event)), Some(event));
        }
        assert_eq!(
            parse_topic("Customer.Created"),
            Some(CustomerEvent::Created)
        );
        for other in [
            "order.created",
            "customer",
            "customer.",
            "action.woocommerce_x",
        ] {
            assert_eq!(parse_topic(other), None, "{other}");
        }
    }
}
