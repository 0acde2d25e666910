//! Customers: create, read, update, delete, and what the database keeps unique.

use super::*;

/// Create, then read back by id, UUID, and every address in any letter case.
pub async fn create_and_get_round_trip(store: Store) {
    let new = CustomerDraft {
        email: "Ann.Lee@Example.com".into(),
        additional_emails: vec!["ann@work.example.org".into()],
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        username: Some("ann.lee".into()),
        role: Some("subscriber".into()),
        password: Some("correct horse".into()),
        billing: customer_model::Address {
            city: "Kraków".into(),
            email: "billing@example.com".into(),
            ..customer_model::Address::default()
        },
        meta_data: vec![
            ("colour".into(), json!("blue")),
            ("n".into(), json!([1, 2])),
        ],
        created_at: Some(at(3, 0)),
        ..CustomerDraft::default()
    }
    .validate()
    .expect("valid");
    let created = store.create_customer(new.clone()).await.expect("create");
    assert!(created.id.0 > 0);
    assert_eq!(created.email.as_str(), "Ann.Lee@Example.com");
    assert_eq!(created.additional_emails, new.additional_emails);
    assert_eq!(
        created.display_name, "ann.lee",
        "display name derives from the username"
    );
    assert_eq!(created.created_at, at(3, 0));
    assert_eq!(created.modified_at, Some(at(3, 0)));
    let account = created.account.as_ref().expect("registered");
    assert_eq!(account.role, Role::Subscriber);
    let hash = account.password_hash.as_deref().expect("hashed");
    assert!(hash.starts_with("$argon2"), "PHC string, got {hash}");
    assert!(!hash.contains("correct horse"));
    assert_eq!(created.meta_data.len(), 2);
    assert_eq!(created.meta_data[1].value, json!([1, 2]));
    assert_eq!(created.billing.city, "Kraków");

    assert_eq!(store.customer(created.id).await.expect("by id"), created);
    let record = store.customer_record(created.id).await.expect("record");
    assert_eq!(record.customer, created);
    assert_eq!(record.stats, CustomerStats::default());
    assert_eq!(
        store.customer_by_uuid(created.uuid).await.expect("by uuid"),
        created
    );
    for variant in [
        "ann.lee@example.com",
        "ANN.LEE@EXAMPLE.COM",
        "Ann.Lee@Example.com",
        "ANN@WORK.example.org",
    ] {
        assert_eq!(
            store.customer_by_email(variant).await.expect(variant),
            created
        );
    }

    let plain = store
        .create_customer(guest("bob@example.com"))
        .await
        .expect("guest");
    assert!(plain.account.is_none());
    assert_eq!(plain.display_name, "bob@example.com");
    assert_ne!(plain.uuid, created.uuid);
    assert!(plain.id.0 > created.id.0);
}

/// Reads of missing records say which kind of record is missing.
pub async fn missing_records_are_not_found(store: Store) {
    let not_found = |r: Result<_, StoreError>, entity: &str| match r {
        Err(StoreError::NotFound { entity: e }) => assert_eq!(e, entity),
        other => panic!("expected {entity} not found, got {other:?}"),
    };
    not_found(store.customer(CustomerId(404)).await.map(drop), "customer");
    not_found(
        store
            .customer_by_email("nobody@example.com")
            .await
            .map(drop),
        "customer",
    );
    not_found(
        store
            .customer_by_uuid(customer_model::Uuid::nil())
            .await
            .map(drop),
        "customer",
    );
    not_found(store.order(OrderId(404)).await.map(drop), "order");
    not_found(store.product(ProductId(404)).await.map(drop), "product");
    not_found(
        store
            .update_customer(CustomerId(404), CustomerPatch::default())
            .await
            .map(drop),
        "customer",
    );
    not_found(
        store.delete_customer(CustomerId(404)).await.map(drop),
        "customer",
    );
    not_found(
        store.customer_stats(CustomerId(404)).await.map(drop),
        "customer",
    );
    not_found(
        store.customer_record(CustomerId(404)).await.map(drop),
        "customer",
    );
    not_found(store.delete_order(OrderId(404)).await, "order");
    let orphan = store
        .create_order(order(
            CustomerId(404),
            "USD",
            OrderStatus::Pending,
            100,
            at(0, 0),
        ))
        .await;
    assert!(
        matches!(&orphan, Err(StoreError::Invalid { field, .. }) if field == "customer_id"),
        "{orphan:?}"
    );
}

/// Addresses are unique across primary and additional ones, usernames too, in any case.
pub async fn emails_and_usernames_are_unique_ignoring_case(store: Store) {
    let mut first = registered("one@example.com", "first");
    first.additional_emails = vec![email("extra@example.com")];
    store.create_customer(first).await.expect("first");

    for taken in [
        "ONE@example.com",
        "one@EXAMPLE.com",
        "Extra@Example.com",
        "EXTRA@EXAMPLE.COM",
    ] {
        let error = store.create_customer(guest(taken)).await.unwrap_err();
        assert!(is_conflict(&error, "email"), "{taken}: {error:?}");
        let mut with_extra = guest("fresh@example.com");
        with_extra.additional_emails = vec![email(taken)];
        let error = store.create_customer(with_extra).await.unwrap_err();
        assert!(
            is_conflict(&error, "email"),
            "additional {taken}: {error:?}"
        );
    }
    for taken in ["first", "FIRST", "First"] {
        let error = store
            .create_customer(registered("other@example.com", taken))
            .await
            .unwrap_err();
        assert!(is_conflict(&error, "username"), "{taken}: {error:?}");
    }
    // Nothing of the failed creates was kept: the addresses are still free.
    store
        .create_customer(registered("fresh@example.com", "second"))
        .await
        .expect("fresh address and name are free");
    assert_eq!(
        store
            .count_customers(&query(CustomerFilter::default()))
            .await
            .unwrap(),
        2
    );
}

/// Chosen ids and UUIDs are kept, and taken ones conflict.
pub async fn chosen_ids_and_uuids_conflict(store: Store) {
    let mut new = guest("a@example.com");
    new.id = Some(CustomerId(500));
    new.uuid = Some(customer_model::Uuid::from_u128(7));
    let created = store.create_customer(new).await.expect("create");
    assert_eq!(created.id, CustomerId(500));
    assert_eq!(created.uuid, customer_model::Uuid::from_u128(7));

    let mut same_id = guest("b@example.com");
    same_id.id = Some(CustomerId(500));
    assert!(is_conflict(
        &store.create_customer(same_id).await.unwrap_err(),
        "id"
    ));
    let mut same_uuid = guest("c@example.com");
    same_uuid.uuid = Some(customer_model::Uuid::from_u128(7));
    assert!(is_conflict(
        &store.create_customer(same_uuid).await.unwrap_err(),
        "uuid"
    ));
    let next = store.create_customer(guest("d@example.com")).await.unwrap();
    assert!(next.id.0 > 500, "assigned ids follow chosen ones");
}

/// Patches replace what they name, keep the rest, and follow WooCommerce's meta rules.
pub async fn update_applies_meta_semantics_and_address_patches(store: Store) {
    let mut new = registered("meta@example.com", "meta");
    new.meta_data = vec![("a".into(), json!(1)), ("b".into(), json!(2))];
    new.billing.city = "Oslo".into();
    new.billing.postcode = "0150".into();
    new.created_at = Some(at(0, 0));
    let created = store.create_customer(new).await.unwrap();
    let (a, b) = (created.meta_data[0].id, created.meta_data[1].id);

    let patch = CustomerPatch {
        email: Some(email("Meta.New@example.com")),
        additional_emails: Some(vec![email("meta@example.com")]),
        first_name: Some("Mia".into()),
        role: Some(Role::ShopManager),
        password: Some("s3cret".into()),
        billing: Some(AddressPatch {
            city: Some("Bergen".into()),
            ..AddressPatch::default()
        }),
        meta_data: vec![
            MetaUpdate {
                id: Some(b),
                key: "b2".into(),
                value: json!("x"),
            },
            MetaUpdate {
                id: None,
                key: "a".into(),
                value: serde_json::Value::Null,
            },
            MetaUpdate {
                id: None,
                key: "c".into(),
                value: json!({"k": true}),
            },
        ],
        avatar_url: Some(Some("https://example.com/a.png".into())),
        ..CustomerPatch::default()
    };
    let updated = store
        .update_customer(created.id, patch)
        .await
        .expect("update");
    assert_eq!(updated.email.as_str(), "Meta.New@example.com");
    assert_eq!(updated.additional_emails, vec![email("meta@example.com")]);
    assert_eq!(updated.first_name, "Mia");
    assert_eq!(updated.last_name, "");
    assert_eq!(updated.display_name, "meta", "display name is kept");
    let account = updated.account.as_ref().unwrap();
    assert_eq!(account.role, Role::ShopManager);
    assert!(
        account
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2")
    );
    assert_eq!(updated.billing.city, "Bergen");
    assert_eq!(
        updated.billing.postcode, "0150",
        "unpatched address fields stay"
    );
    assert_eq!(
        updated.avatar_url.as_deref(),
        Some("https://example.com/a.png")
    );
    let keys: Vec<(&str, serde_json::Value)> = updated
        .meta_data
        .iter()
        .map(|m| (m.key.as_str(), m.value.clone()))
        .collect();
    assert_eq!(keys, [("b2", json!("x")), ("c", json!({"k": true}))]);
    assert_eq!(updated.meta_data[0].id, b);
    let c = updated.meta_data[1].id;
    assert!(c > b && c != a, "new meta ids are fresh");
    assert!(updated.modified_at.unwrap() > created.modified_at.unwrap());
    assert_eq!(store.customer(created.id).await.unwrap(), updated);
    assert_eq!(
        store
            .customer_by_email("META.NEW@example.com")
            .await
            .unwrap()
            .id,
        created.id
    );

    // Promoting an additional address to primary takes it off the additional list.
    let promoted = store
        .update_customer(
            created.id,
            CustomerPatch {
                email: Some(email("META@example.com")),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("promote an own address");
    assert_eq!(promoted.email.as_str(), "META@example.com");
    assert!(promoted.additional_emails.is_empty());
    let updated = store
        .update_customer(
            created.id,
            CustomerPatch {
                email: Some(email("Meta.New@example.com")),
                additional_emails: Some(vec![email("meta@example.com")]),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("swap back");
    assert_eq!(store.customer(created.id).await.unwrap(), updated);

    // A deleted meta id is not handed out again, even to another customer.
    let other = store
        .create_customer(guest("other@example.com"))
        .await
        .unwrap();
    let other = store
        .update_customer(
            other.id,
            CustomerPatch {
                meta_data: vec![MetaUpdate {
                    id: None,
                    key: "z".into(),
                    value: json!(0),
                }],
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(other.meta_data[0].id > c && other.meta_data[0].id != a);

    // A guest becomes registered by getting a username.
    let registered = store
        .update_customer(
            other.id,
            CustomerPatch {
                username: Some(Username::parse("now.registered").unwrap()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        registered.account.as_ref().map(|a| a.role),
        Some(Role::Customer)
    );
    // Totals follow the change of kind (`ids_of` checks list, count and rows agree).
    let registered_ids = ids_matching(
        &store,
        CustomerFilter {
            accounts: AccountFilter::Registered,
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(registered_ids, vec![created.id.0, other.id.0]);
    let guests = ids_matching(
        &store,
        CustomerFilter {
            accounts: AccountFilter::Guests,
            ..CustomerFilter::default()
        },
    )
    .await;
    assert!(guests.is_empty());
}

/// An update that hits a taken address or name changes nothing.
pub async fn update_conflicts_change_nothing(store: Store) {
    let mut first = registered("taken@example.com", "taken");
    first.additional_emails = vec![email("taken2@example.com")];
    store.create_customer(first).await.unwrap();
    let second = store
        .create_customer(registered("second@example.com", "second"))
        .await
        .unwrap();
    for patch in [
        CustomerPatch {
            first_name: Some("Changed".into()),
            email: Some(email("TAKEN@example.com")),
            ..CustomerPatch::default()
        },
        CustomerPatch {
            first_name: Some("Changed".into()),
            additional_emails: Some(vec![email("Taken2@Example.com")]),
            ..CustomerPatch::default()
        },
        CustomerPatch {
            first_name: Some("Changed".into()),
            username: Some(Username::parse("TAKEN").unwrap()),
            ..CustomerPatch::default()
        },
    ] {
        let error = store.update_customer(second.id, patch).await.unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
        assert_eq!(store.customer(second.id).await.unwrap(), second);
    }
    let guest_role = store
        .create_customer(guest("guest@example.com"))
        .await
        .unwrap();
    let error = store
        .update_customer(
            guest_role.id,
            CustomerPatch {
                role: Some(Role::Editor),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid { .. }), "{error:?}");
}

/// Deleting a customer returns it and takes its ledger with it.
pub async fn delete_returns_the_record_and_removes_its_ledger(store: Store) {
    let thing = store.create_product(product("thing")).await.unwrap();
    let gone = store
        .create_customer(registered("gone@example.com", "gone"))
        .await
        .unwrap();
    let stays = store
        .create_customer(guest("stays@example.com"))
        .await
        .unwrap();
    let gone_order = store
        .create_order(order(
            gone.id,
            "EUR",
            OrderStatus::Completed,
            1000,
            at(1, 0),
        ))
        .await
        .unwrap();
    let stays_order = store
        .create_order(order(
            stays.id,
            "USD",
            OrderStatus::Completed,
            500,
            at(1, 0),
        ))
        .await
        .unwrap();
    store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: gone.id,
            product_id: thing.id,
            status: SubscriptionStatus::Active,
            currency: gone_order.currency,
            created_at: Some(at(1, 0)),
        })
        .await
        .unwrap();
    for (customer, order_id) in [(gone.id, gone_order.id), (stays.id, gone_order.id)] {
        store
            .create_download_grant(NewDownloadGrant {
                download_id: "thing-file".into(),
                customer_id: customer,
                order_id,
                product_id: thing.id,
                downloads_remaining: None,
                access_expires: None,
                download_count: 3,
            })
            .await
            .unwrap();
    }

    let deleted = store.delete_customer(gone.id).await.expect("delete");
    assert_eq!(deleted, gone);
    assert!(matches!(
        store.customer(gone.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.order(gone_order.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.order(stays_order.id).await.unwrap(), stays_order);
    let currencies: Vec<&str> = store
        .currencies()
        .await
        .unwrap()
        .iter()
        .map(|c| c.code())
        .collect();
    assert_eq!(currencies, ["USD"]);
    assert_stats_recomputed(&store, stays.id).await;
    assert_eq!(
        store.customer_stats(stays.id).await.unwrap().download_count,
        0
    );
    for (accounts, expected) in [
        (AccountFilter::Any, vec![stays.id.0]),
        (AccountFilter::Registered, vec![]),
        (AccountFilter::Guests, vec![stays.id.0]),
    ] {
        let filter = CustomerFilter {
            accounts,
            ..CustomerFilter::default()
        };
        assert_eq!(ids_matching(&store, filter).await, expected, "{accounts:?}");
    }
    // The address and username are free again.
    store
        .create_customer(registered("GONE@example.com", "Gone"))
        .await
        .expect("freed");
}

/// Several tasks creating customers with one address in different letter cases: exactly
/// one wins, the others get an e-mail conflict.
pub async fn concurrent_creates_with_one_email_have_one_winner(store: Store) {
    let variants = [
        "race@example.com",
        "RACE@example.com",
        "Race@Example.com",
        "race@EXAMPLE.COM",
        "rAcE@example.com",
        "RACE@EXAMPLE.COM",
    ];
    let tasks: Vec<_> = variants
        .iter()
        .map(|address| {
            let store = Arc::clone(&store);
            let new = guest(address);
            tokio::spawn(async move { store.create_customer(new).await })
        })
        .collect();
    let mut winners = Vec::<Customer>::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(customer) => winners.push(customer),
            Err(error) => assert!(is_conflict(&error, "email"), "{error:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert_eq!(
        store
            .count_customers(&query(CustomerFilter::default()))
            .await
            .unwrap(),
        1
    );
}

/// The model's limits hold for every write, even from a caller that skipped validation:
/// the write is refused naming the field, and nothing changes.
pub async fn writes_over_the_limits_are_refused(store: Store) {
    let mut long_name = guest("long@example.com");
    long_name.first_name = "f".repeat(limits::NAME_CHARS + 1);
    assert_invalid(store.create_customer(long_name).await, "first_name");
    let mut long_display = registered("display@example.com", "display");
    long_display.display_name = Some("d".repeat(limits::DISPLAY_NAME_CHARS + 1));
    assert_invalid(store.create_customer(long_display).await, "display_name");
    let mut big_meta = guest("meta@example.com");
    big_meta.meta_data = vec![("k".into(), json!("v".repeat(limits::META_VALUE_BYTES)))];
    assert_invalid(store.create_customer(big_meta).await, "meta_data.0.value");
    assert!(
        ids_of(&store, &query(CustomerFilter::default()))
            .await
            .is_empty()
    );

    let kept = store
        .create_customer(guest("kept@example.com"))
        .await
        .unwrap();
    let chunk = json!("v".repeat(limits::META_VALUE_BYTES / 2));
    // Seven such entries fit in the total, an eighth does not.
    let fitting = limits::META_TOTAL_BYTES / (limits::META_VALUE_BYTES / 2) - 1;
    let mut patch = CustomerPatch::default();
    for key in 0..fitting {
        patch.meta_data.push(MetaUpdate {
            id: None,
            key: format!("k{key}"),
            value: chunk.clone(),
        });
    }
    store.update_customer(kept.id, patch).await.unwrap();
    let one_more = CustomerPatch {
        first_name: Some("Changed".into()),
        meta_data: vec![MetaUpdate {
            id: None,
            key: "last".into(),
            value: chunk,
        }],
        ..CustomerPatch::default()
    };
    assert_invalid(store.update_customer(kept.id, one_more).await, "meta_data");
    let long_city = CustomerPatch {
        billing: Some(AddressPatch {
            city: Some("c".repeat(limits::ADDRESS_FIELD_CHARS + 1)),
            ..AddressPatch::default()
        }),
        ..CustomerPatch::default()
    };
    assert_invalid(
        store.update_customer(kept.id, long_city).await,
        "billing.city",
    );
    let after = store.customer(kept.id).await.unwrap();
    assert_eq!(after.first_name, "");
    assert_eq!(after.billing.city, "");
    assert_eq!(after.meta_data.len(), fitting);
}
