//! Records decoded from the import format (`customer_wire::import`) as the store's atomic
//! batch. It lives here because this is the lowest crate that knows both the wire and the
//! store types; the command line and the tests that load fixtures share it.

use customer_store::{CustomerRef, ImportBatch, ImportOrder};
use customer_wire::import::{CustomerKey, Records};

/// The store's batch from decoded records.
pub fn batch(records: Records) -> ImportBatch {
    ImportBatch {
        products: records.products,
        customers: records.customers,
        orders: records
            .orders
            .into_iter()
            .map(|imported| ImportOrder {
                customer: match imported.customer {
                    CustomerKey::Id(id) => CustomerRef::Id(id),
                    CustomerKey::Email(email) => CustomerRef::Email(email),
                },
                order: imported.order,
            })
            .collect(),
        subscriptions: records.subscriptions,
        download_grants: records.download_grants,
    }
}
