//! The demo store keeps its promises and is the same on every run.

use std::collections::BTreeSet;

use customer_model::NewCustomer;
use customer_model::import::{CustomerRef, ImportBatch};
use customer_model::{OrderStatus, SubscriptionStatus};
use customer_wire::import::decode_slice;

use super::*;

fn records() -> ImportBatch {
    let bytes = serde_json::to_vec(&document()).unwrap();
    decode_slice(&bytes)
        .expect("the demo document is valid")
        .records
}

fn customers(records: &ImportBatch) -> impl Iterator<Item = &NewCustomer> {
    records.customers.iter().map(|c| &c.customer)
}

#[test]
fn the_demo_is_deterministic() {
    assert_eq!(document(), document());
    assert_eq!(records(), records());
}

#[test]
fn customers_are_registered_and_guests_with_full_addresses() {
    let records = records();
    assert_eq!(records.customers.len(), CUSTOMERS as usize);
    let guests = customers(&records).filter(|c| c.account.is_none()).count();
    assert_eq!(guests, 50);
    let roles: BTreeSet<&str> = customers(&records)
        .filter_map(|c| c.account.as_ref().map(|a| a.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["administrator", "customer", "shop_manager", "subscriber"])
    );
    assert!(customers(&records).any(|c| c.additional_emails.len() >= 2));
    assert!(
        customers(&records)
            .filter(|c| !c.meta_data.is_empty())
            .count()
            >= 40
    );
    for customer in customers(&records) {
        for address in [&customer.billing, &customer.shipping] {
            assert!(!address.address_1.is_empty() && !address.city.is_empty());
            assert!(!address.postcode.is_empty() && !address.country.is_empty());
        }
        assert_eq!(customer.billing.email, customer.email.as_str());
        assert!(customer.uuid.is_some() && customer.id.is_some());
    }
}

#[test]
fn orders_cover_currencies_statuses_and_refunds_over_two_years() {
    let records = records();
    let currencies: BTreeSet<&str> = records
        .orders
        .iter()
        .map(|o| o.order.currency.code())
        .collect();
    assert_eq!(currencies, BTreeSet::from(["PLN", "USD"]));
    let statuses: BTreeSet<&str> = records
        .orders
        .iter()
        .map(|o| o.order.status.as_str())
        .collect();
    assert_eq!(statuses.len(), OrderStatus::ALL.len(), "{statuses:?}");
    let full_refunds = records
        .orders
        .iter()
        .filter(|o| o.order.refunds.iter().map(|r| r.amount).sum::<i64>() == o.order.total)
        .filter(|o| !o.order.refunds.is_empty())
        .count();
    let partial_refunds = records
        .orders
        .iter()
        .filter(|o| {
            let refunded: i64 = o.order.refunds.iter().map(|r| r.amount).sum();
            refunded > 0 && refunded < o.order.total
        })
        .count();
    assert!(
        full_refunds >= 5 && partial_refunds >= 5,
        "{full_refunds} {partial_refunds}"
    );
    let by_email = records
        .orders
        .iter()
        .filter(|o| matches!(o.customer, CustomerRef::Email(_)))
        .count();
    assert!(by_email >= 50, "every guest buys at least once");
    let anchor = anchor();
    let oldest = records
        .orders
        .iter()
        .filter_map(|o| o.order.created_at)
        .min()
        .unwrap();
    let span = anchor.duration_since(oldest);
    assert!(
        span.as_hours() > 24 * 365 && span.as_hours() <= 24 * 760,
        "{span:?}"
    );
    assert!(
        records
            .orders
            .iter()
            .all(|o| o.order.created_at.unwrap() <= anchor)
    );
}

#[test]
fn subscriptions_grants_and_products_are_present() {
    let records = records();
    assert_eq!(records.products.len(), 10);
    assert_eq!(
        records
            .products
            .iter()
            .filter(|p| !p.files.is_empty())
            .count(),
        8
    );
    let statuses: BTreeSet<&str> = records
        .subscriptions
        .iter()
        .map(|s| s.subscription.status.as_str())
        .collect();
    assert_eq!(statuses.len(), SubscriptionStatus::ALL.len());
    assert!(records.download_grants.len() >= 50);
    let grants: Vec<_> = records.download_grants.iter().map(|g| &g.grant).collect();
    assert!(grants.iter().any(|g| g.download_count > 0));
    assert!(grants.iter().any(|g| g.downloads_remaining.is_none()));
    assert!(grants.iter().any(|g| g.access_expires.is_some()));
}

fn fixed_keys() -> DemoKeys {
    DemoKeys {
        woocommerce: json!({
            "consumer_key": "ck_0123456789abcdef0123456789abcdef01234567",
            "consumer_secret": "cs_0123456789abcdef0123456789abcdef01234567",
        }),
        edd: json!({
            "key": "0123456789abcdef0123456789abcdef",
            "secret": "fedcba9876543210fedcba9876543210",
            "token": "00112233445566778899aabbccddeeff",
        }),
        bearer: json!({"token": "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"}),
    }
}

#[test]
fn getting_started_over_plain_http() {
    let site = SiteConfig::local("http://127.0.0.1:8080");
    insta::assert_snapshot!(getting_started(&fixed_keys(), &site, false));
}

#[test]
fn getting_started_over_tls() {
    let site = SiteConfig::local("https://127.0.0.1:8443");
    let text = getting_started(&fixed_keys(), &site, true);
    assert!(text.contains("curl -k -u 'ck_0123456789abcdef0123456789abcdef01234567:cs_"));
    assert!(!text.contains("X-Forwarded-Proto"));
}
