//! API keys and OAuth nonces.

use super::*;

fn new_key(kind: KeyKind, lookup: &str) -> NewApiKey {
    NewApiKey {
        kind,
        description: format!("{} key", kind.as_str()),
        permissions: KeyPermissions::ReadWrite,
        lookup: lookup.into(),
        secret: format!("secret-{lookup}"),
        truncated: lookup.chars().rev().take(7).collect(),
    }
}

/// Keys are found by kind and lookup, revoked keys are not, uses are recorded.
pub async fn keys_are_stored_found_and_revoked(store: Store) {
    let woo = store
        .create_api_key(new_key(KeyKind::WooCommerce, "hash-1"))
        .await
        .unwrap();
    let edd = store
        .create_api_key(new_key(KeyKind::Edd, "hash-1"))
        .await
        .unwrap();
    assert_ne!(woo.id, edd.id);
    assert_eq!(woo.secret, "secret-hash-1");
    assert_eq!(woo.last_access, None);
    let found = store
        .find_api_key(KeyKind::WooCommerce, "hash-1")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, woo);
    assert_eq!(
        store.find_api_key(KeyKind::Bearer, "hash-1").await.unwrap(),
        None
    );
    assert!(matches!(
        store
            .create_api_key(new_key(KeyKind::Edd, "hash-1"))
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    store.touch_api_key(woo.id, at(9, 0)).await.unwrap();
    let touched = store
        .find_api_key(KeyKind::WooCommerce, "hash-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_access, Some(at(9, 0)));
    assert_eq!(store.api_keys().await.unwrap().len(), 2);

    let revoked = store.revoke_api_key(woo.id).await.unwrap();
    assert_eq!(revoked.id, woo.id);
    assert_eq!(
        store
            .find_api_key(KeyKind::WooCommerce, "hash-1")
            .await
            .unwrap(),
        None
    );
    let live: Vec<i64> = store
        .api_keys()
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(live, [edd.id]);
    assert!(matches!(
        store.revoke_api_key(9999).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A nonce is accepted once per key while remembered; old nonces are forgotten.
pub async fn nonces_detect_replays(store: Store) {
    assert!(store.remember_nonce(1, "abc", 1000, 0).await.unwrap());
    assert!(
        !store.remember_nonce(1, "abc", 1000, 0).await.unwrap(),
        "replay"
    );
    assert!(
        !store.remember_nonce(1, "abc", 1005, 0).await.unwrap(),
        "same nonce, later timestamp, still remembered"
    );
    assert!(
        store.remember_nonce(2, "abc", 1000, 0).await.unwrap(),
        "other key"
    );
    assert!(
        store.remember_nonce(1, "abd", 1000, 0).await.unwrap(),
        "other nonce"
    );
    assert!(
        store.remember_nonce(1, "abc", 2000, 1500).await.unwrap(),
        "forgotten once older than the window"
    );
    assert!(!store.remember_nonce(1, "abc", 2000, 1500).await.unwrap());
}
