//! Saved states (a test suite's reset and snapshots) and the store's clock.

use customer_model::{CustomerPatch, OrderStatus};

use super::transfer::{assert_same, generated_batch, picture};
use super::{Store, at, guest, order, registered};
use crate::{KeyKind, KeyPermissions, NewApiKey, StoreError};

fn key(lookup: &str) -> NewApiKey {
    NewApiKey {
        kind: KeyKind::Bearer,
        description: "state key".into(),
        permissions: KeyPermissions::ReadWrite,
        lookup: lookup.into(),
        secret: format!("secret-{lookup}"),
        truncated: lookup.chars().rev().take(7).collect(),
    }
}

/// A restored state equals the saved one in everything a client can read (records,
/// keys, aggregates, lists), ids continue where the saved state left them, and the key
/// generation moves on so that servers reload their keys.
pub async fn restored_states_equal_the_saved_ones(store: Store) {
    store.import(generated_batch(11)).await.expect("an import");
    store.create_api_key(key("kept")).await.expect("a key");
    store.save_state("baseline").await.expect("a save");
    let saved = picture(&store, false).await;

    let created = store
        .create_customer(registered("later@example.com", "later"))
        .await
        .expect("a customer");
    let ordered = store
        .create_order(order(
            created.id,
            "EUR",
            OrderStatus::Completed,
            1999,
            at(3, 0),
        ))
        .await
        .expect("an order");
    let first = saved.records.iter().find_map(|record| match record {
        crate::StoredRecord::Customer(customer) => Some(customer.id),
        _ => None,
    });
    let first = first.expect("the batch has customers");
    store
        .update_customer(
            first,
            CustomerPatch {
                first_name: Some("Changed".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("an update");
    store.delete_customer(first).await.expect("a delete");
    store.create_api_key(key("later")).await.expect("a key");
    store.save_state("changed").await.expect("a second save");
    let changed = picture(&store, false).await;
    let generation = store.api_key_generation().await.expect("a generation");

    store.restore_state("baseline").await.expect("a restore");
    assert_same(&picture(&store, false).await, &saved);
    assert!(store.api_key_generation().await.expect("a generation") > generation);
    let again = store
        .create_customer(registered("later@example.com", "later"))
        .await
        .expect("the same customer again");
    assert_eq!(
        again.id, created.id,
        "ids restart where the state left them"
    );
    let again = store
        .create_order(order(
            again.id,
            "EUR",
            OrderStatus::Completed,
            1999,
            at(3, 0),
        ))
        .await
        .expect("the same order again");
    assert_eq!(again.id, ordered.id);

    store.restore_state("changed").await.expect("a restore");
    assert_same(&picture(&store, false).await, &changed);
    assert_eq!(
        store.state_names().await.expect("names"),
        ["baseline", "changed"]
    );
    store.delete_state("changed").await.expect("a delete");
    assert!(matches!(
        store.restore_state("changed").await,
        Err(StoreError::NotFound { entity: "state" })
    ));
    assert!(matches!(
        store.delete_state("changed").await,
        Err(StoreError::NotFound { .. })
    ));
    for bad in ["", ".hidden", "a/b", "x y", &"n".repeat(48)] {
        assert!(
            matches!(store.save_state(bad).await, Err(StoreError::Invalid { field, .. }) if field == "name"),
            "{bad:?}"
        );
    }
    assert_eq!(store.state_names().await.expect("names"), ["baseline"]);
}

/// What the store stamps comes from its clock: set and frozen, every stamp is that
/// instant; back on real time, stamps are real again.
pub async fn the_clock_stamps_what_the_store_writes(store: Store) {
    let frozen = at(700, 12);
    store.clock().set(frozen, true);
    let created = store
        .create_customer(guest("clock@example.com"))
        .await
        .expect("a customer");
    assert_eq!(created.created_at, frozen);
    let updated = store
        .update_customer(
            created.id,
            CustomerPatch {
                last_name: Some("Later".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("an update");
    assert_eq!(updated.modified_at, Some(frozen));
    let key = store.create_api_key(key("clock")).await.expect("a key");
    assert_eq!(key.created_at, frozen);
    store.clock().reset();
    let real = store
        .create_customer(guest("real@example.com"))
        .await
        .expect("a customer");
    assert!(real.created_at > at(800, 0));
}
