//! One pipeline per dialect: decode with `customer-wire`, authenticate, call the store,
//! encode with `customer-wire`. Each returns the whole [`customer_wire::Reply`].

pub mod easycart;
pub mod edd;
pub mod wc_legacy;
pub mod wc_rest;
mod wc_webhooks;

use customer_store::CustomerDownload;
use customer_wire::woo::Download;

/// A customer's downloads as both WooCommerce APIs list them.
fn woo_downloads(downloads: &[CustomerDownload]) -> impl Iterator<Item = Download<'_>> {
    downloads.iter().map(|download| Download {
        grant: &download.grant,
        product_name: &download.product_name,
        file: &download.file,
        order_uuid: download.order_uuid,
    })
}
