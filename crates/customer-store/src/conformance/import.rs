//! Batch imports: what they write, and that a bad record writes nothing.

use customer_model::import::KeptApiKey;

use super::*;

fn import_batch() -> ImportBatch {
    let mut ann = registered("ann@import.example", "ann");
    ann.id = Some(CustomerId(10));
    ann.additional_emails = vec![email("ann.alias@import.example")];
    let mut by_email = order(CustomerId(0), "USD", OrderStatus::Completed, 300, at(2, 0));
    by_email.billing.first_name = "Gus".into();
    let mut known_by_alias = order(CustomerId(0), "USD", OrderStatus::Completed, 100, at(3, 0));
    known_by_alias.line_items[0].product_id = Some(ProductId(77));
    ImportBatch {
        products: vec![NewProduct {
            id: Some(ProductId(77)),
            ..product("imported")
        }],
        customers: vec![ann.into()],
        orders: vec![
            ImportOrder::new(
                CustomerRef::Id(CustomerId(10)),
                order(CustomerId(0), "USD", OrderStatus::Processing, 500, at(1, 0)),
            ),
            ImportOrder::new(
                CustomerRef::Email(email("gus@import.example")),
                by_email.clone(),
            ),
            ImportOrder::new(CustomerRef::Email(email("GUS@import.example")), by_email),
            ImportOrder::new(
                CustomerRef::Email(email("Ann.Alias@Import.example")),
                known_by_alias,
            ),
        ],
        subscriptions: vec![
            NewSubscription {
                uuid: None,
                customer_id: CustomerId(10),
                product_id: ProductId(77),
                status: SubscriptionStatus::Active,
                currency: customer_model::Currency::parse("USD").unwrap(),
                created_at: Some(at(1, 0)),
            }
            .into(),
        ],
        ..ImportBatch::default()
    }
}

/// An import writes products, customers, orders (creating or matching guests by e-mail),
/// subscriptions and grants, with aggregates.
pub async fn import_writes_a_batch(store: Store) {
    let summary = store.import(import_batch()).await.expect("import");
    assert_eq!(summary.products, 1);
    assert_eq!(summary.customers, 2, "ann and one guest for gus");
    assert_eq!(summary.orders, 4);
    assert_eq!(summary.subscriptions, 1);
    let ann = store.customer(CustomerId(10)).await.unwrap();
    let gus = store.customer_by_email("gus@import.example").await.unwrap();
    assert!(gus.account.is_none());
    assert_eq!(gus.first_name, "Gus", "a guest is named as on its order");
    assert_eq!(gus.created_at, at(2, 0));
    let ann_stats = store.customer_stats(ann.id).await.unwrap();
    assert_eq!(ann_stats.currencies[0].orders(), 2);
    assert_eq!(
        store.customer_stats(gus.id).await.unwrap().currencies[0].orders(),
        2
    );
    for id in [ann.id, gus.id] {
        assert_stats_recomputed(&store, id).await;
    }
    let buyers = ids_matching(
        &store,
        CustomerFilter {
            product: Some(ProductId(77)),
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(buyers, vec![10]);
    let found = ids_matching(
        &store,
        CustomerFilter {
            search: vec![TextSearch {
                term: "gus@imp".into(),
                fields: vec![SearchField::Email],
                match_id: false,
            }],
            ..CustomerFilter::default()
        },
    )
    .await;
    assert_eq!(found, vec![gus.id.0], "imported customers are searchable");
}

/// A bad record anywhere in a batch leaves the store as it was, and the error names it:
/// among them a download grant whose file is not one of its product's.
pub async fn import_is_atomic(store: Store) {
    let before = store
        .create_customer(guest("before@example.com"))
        .await
        .unwrap();
    let everyone = query(CustomerFilter::default());
    let bad_cases: Vec<(ImportBatch, &str)> = vec![
        (
            {
                let mut batch = import_batch();
                batch.orders[2].customer = CustomerRef::Id(CustomerId(4040));
                batch
            },
            "orders.2.customer_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.customers.push(guest("BEFORE@example.com").into());
                batch
            },
            "customers.1.email",
        ),
        (
            {
                let mut batch = import_batch();
                batch.orders[3].order.line_items[0].product_id = Some(ProductId(5));
                batch
            },
            "orders.3.line_items.0.product_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.subscriptions[0].subscription.customer_id = CustomerId(4040);
                batch
            },
            "subscriptions.0.customer_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.download_grants.push(
                    NewDownloadGrant {
                        download_id: "x".into(),
                        customer_id: CustomerId(10),
                        order_id: OrderId(4040),
                        product_id: ProductId(77),
                        downloads_remaining: None,
                        access_expires: None,
                        download_count: 0,
                    }
                    .into(),
                );
                batch
            },
            "download_grants.0.order_id",
        ),
        (
            {
                let mut batch = import_batch();
                batch.orders[0].order.id = Some(OrderId(900));
                batch.download_grants.push(
                    NewDownloadGrant {
                        download_id: "not-a-file-of-77".into(),
                        customer_id: CustomerId(10),
                        order_id: OrderId(900),
                        product_id: ProductId(77),
                        downloads_remaining: None,
                        access_expires: None,
                        download_count: 0,
                    }
                    .into(),
                );
                batch
            },
            "download_grants.0.download_id",
        ),
        (
            {
                let mut batch = import_batch();
                let mut long = guest("long@import.example");
                long.shipping.city = "c".repeat(limits::ADDRESS_FIELD_CHARS + 1);
                batch.customers.push(long.into());
                batch
            },
            "customers.1.shipping.city",
        ),
        (
            {
                let mut batch = import_batch();
                batch.api_keys.push(KeptApiKey {
                    id: 5,
                    kind: "ftp".into(),
                    description: String::new(),
                    permissions: "read".into(),
                    lookup: "lookup".into(),
                    secret: String::new(),
                    truncated: String::new(),
                    created_at: at(9, 0),
                    last_access: None,
                });
                batch
            },
            "api_keys.0.kind",
        ),
    ];
    for (batch, field) in bad_cases {
        let error = store.import(batch).await.unwrap_err();
        match &error {
            StoreError::Invalid { field: got, .. } => assert_eq!(got, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
        assert_eq!(
            ids_of(&store, &everyone).await,
            vec![before.id.0],
            "{field}"
        );
        assert!(store.currencies().await.unwrap().is_empty(), "{field}");
        assert!(matches!(
            store.product(ProductId(77)).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.customer_by_email("gus@import.example").await,
            Err(StoreError::NotFound { .. })
        ));
    }
    store
        .import(import_batch())
        .await
        .expect("the good batch still imports");
}
