//! The webhooks controller's own errors ([`CATALOGUE`]), with WooCommerce's codes and
//! messages (its post type is `shop_webhook`, which the codes carry). Errors shared with
//! the customers routes (missing and invalid parameters, permissions, `rest_no_route`)
//! are the customers catalogue's.

use crate::catalogue::CatalogueEntry;
use crate::wc_rest::errors::RestError;

/// `404`: retrieve with id 0.
pub const INVALID_ID_GET: CatalogueEntry = CatalogueEntry::new(
    404,
    "woocommerce_rest_shop_webhook_invalid_id",
    "Invalid ID.",
);
/// `400`: a missing webhook when answering it (retrieve) or updating it.
pub const ID_IS_INVALID: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_rest_shop_webhook_invalid_id",
    "ID is invalid.",
);
/// `404`: delete of a missing webhook.
pub const INVALID_ID_DELETE: CatalogueEntry = CatalogueEntry::new(
    404,
    "woocommerce_rest_shop_webhook_invalid_id",
    "Invalid ID.",
);
/// `400`: create with an `id`.
pub const EXISTS: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_rest_shop_webhook_exists",
    "Cannot create existing shop_webhook.",
);
/// `400`: create with a missing or unknown topic.
pub const INVALID_TOPIC_CREATE: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_rest_shop_webhook_invalid_topic",
    "Webhook topic is required and must be valid.",
);
/// `400`: update to an unknown topic.
pub const INVALID_TOPIC_UPDATE: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_rest_shop_webhook_invalid_topic",
    "Webhook topic must be valid.",
);
/// `400`: a delivery URL that is not an http(s) URL.
pub const INVALID_DELIVERY_URL: CatalogueEntry = CatalogueEntry::new(
    400,
    "woocommerce_rest_shop_webhook_invalid_delivery_url",
    "Webhook delivery URL must be a valid URL starting with http:// or https://.",
);
/// `501`: delete without `force=true`.
pub const TRASH_NOT_SUPPORTED: CatalogueEntry = CatalogueEntry::new(
    501,
    "woocommerce_rest_trash_not_supported",
    "Webhooks do not support trashing.",
);
/// `500`: the delete failed in the store.
pub const CANNOT_DELETE: CatalogueEntry = CatalogueEntry::new(
    500,
    "woocommerce_rest_cannot_delete",
    "The shop_webhook cannot be deleted.",
);

/// Every error of the webhooks controller's own.
pub const CATALOGUE: [CatalogueEntry; 9] = [
    INVALID_ID_GET,
    ID_IS_INVALID,
    INVALID_ID_DELETE,
    EXISTS,
    INVALID_TOPIC_CREATE,
    INVALID_TOPIC_UPDATE,
    INVALID_DELIVERY_URL,
    TRASH_NOT_SUPPORTED,
    CANNOT_DELETE,
];

/// The error of a catalogue entry.
pub fn error(entry: &CatalogueEntry) -> RestError {
    RestError::of(entry)
}
