//! The ledger (orders, refunds, subscriptions, download grants) and the aggregates kept from it.

use super::*;

/// Aggregates after orders, status changes, refunds and deletes equal a recomputation.
pub async fn aggregates_follow_the_ledger(store: Store) {
    let buyer = store
        .create_customer(guest("buyer@example.com"))
        .await
        .unwrap();
    let other = store
        .create_customer(guest("other@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap(),
        CustomerStats::default()
    );
    let mut with_refund = order(buyer.id, "USD", OrderStatus::Completed, 5000, at(2, 0));
    with_refund.refunds = vec![NewRefund {
        amount: 700,
        created_at: Some(at(3, 0)),
        reason: "damaged".into(),
    }];
    let first = store.create_order(with_refund).await.unwrap();
    assert_eq!(first.refunded_total(), 700);
    let second = store
        .create_order(order(buyer.id, "USD", OrderStatus::Pending, 1200, at(5, 0)))
        .await
        .unwrap();
    let same_instant = store
        .create_order(order(buyer.id, "USD", OrderStatus::Failed, 10, at(5, 0)))
        .await
        .unwrap();
    let yen = store
        .create_order(order(
            buyer.id,
            "JPY",
            OrderStatus::Processing,
            3000,
            at(1, 0),
        ))
        .await
        .unwrap();
    store
        .create_order(order(other.id, "USD", OrderStatus::Completed, 99, at(9, 0)))
        .await
        .unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let stats = store.customer_stats(buyer.id).await.unwrap();
    let codes: Vec<&str> = stats.currencies.iter().map(|c| c.currency.code()).collect();
    assert_eq!(codes, ["JPY", "USD"], "currencies by code");
    let usd = stats.currency(first.currency).unwrap();
    assert_eq!(usd.status(OrderStatus::Completed).total, 5000);
    assert_eq!(usd.status(OrderStatus::Completed).refunded, 700);
    assert_eq!(usd.first_order.unwrap().id, first.id);
    assert_eq!(
        usd.last_order.unwrap().id,
        same_instant.id,
        "same instant: the higher id is last"
    );
    assert!(stats.is_paying());

    let paid = store
        .set_order_status(second.id, OrderStatus::Processing, at(6, 0))
        .await
        .unwrap();
    assert_eq!(paid.paid_at, Some(at(6, 0)));
    let done = store
        .set_order_status(second.id, OrderStatus::Completed, at(7, 0))
        .await
        .unwrap();
    assert_eq!(done.paid_at, Some(at(6, 0)), "paid instant is kept");
    assert_eq!(done.completed_at, Some(at(7, 0)));
    assert_stats_recomputed(&store, buyer.id).await;

    store
        .add_refund(
            second.id,
            NewRefund {
                amount: 200,
                created_at: Some(at(8, 0)),
                reason: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .set_order_status(first.id, OrderStatus::Refunded, at(8, 0))
        .await
        .unwrap();
    assert_stats_recomputed(&store, buyer.id).await;

    store.delete_order(same_instant.id).await.unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let usd_after = store.customer_stats(buyer.id).await.unwrap();
    assert_eq!(
        usd_after
            .currency(first.currency)
            .unwrap()
            .last_order
            .unwrap()
            .id,
        second.id,
        "last order found again after a delete"
    );
    store.delete_order(yen.id).await.unwrap();
    assert_stats_recomputed(&store, buyer.id).await;
    let after = store.customer_stats(buyer.id).await.unwrap();
    assert!(
        after.currency(yen.currency).is_none(),
        "no orders, no currency"
    );
    assert_stats_recomputed(&store, other.id).await;
    let codes: Vec<&str> = store
        .currencies()
        .await
        .unwrap()
        .iter()
        .map(|c| c.code())
        .collect();
    assert_eq!(codes, ["USD"]);
}

/// Refunds beyond what is left of a total are refused and change nothing.
pub async fn refunds_cannot_exceed_the_total(store: Store) {
    let buyer = store
        .create_customer(guest("refund@example.com"))
        .await
        .unwrap();
    let mut too_much = order(buyer.id, "EUR", OrderStatus::Completed, 1000, at(1, 0));
    too_much.refunds = vec![
        NewRefund {
            amount: 600,
            created_at: None,
            reason: String::new(),
        },
        NewRefund {
            amount: 600,
            created_at: None,
            reason: String::new(),
        },
    ];
    let error = store.create_order(too_much).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Invalid { field, .. } if field == "refunds.1.amount"),
        "{error:?}"
    );
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap(),
        CustomerStats::default()
    );
    let placed = store
        .create_order(order(
            buyer.id,
            "EUR",
            OrderStatus::Completed,
            1000,
            at(1, 0),
        ))
        .await
        .unwrap();
    let refund = |amount| NewRefund {
        amount,
        created_at: Some(at(2, 0)),
        reason: "r".into(),
    };
    store.add_refund(placed.id, refund(1000)).await.unwrap();
    for amount in [1, 0, -5] {
        let error = store
            .add_refund(placed.id, refund(amount))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Invalid { .. }),
            "{amount}: {error:?}"
        );
    }
    assert_eq!(store.order(placed.id).await.unwrap().refunded_total(), 1000);
    assert_stats_recomputed(&store, buyer.id).await;
}

/// Orders newest first, subscriptions and downloads read back with what they refer to.
pub async fn orders_subscriptions_and_downloads_read_back(store: Store) {
    let buyer = store
        .create_customer(guest("reader@example.com"))
        .await
        .unwrap();
    let widget = store.create_product(product("widget")).await.unwrap();
    assert_eq!(store.product(widget.id).await.unwrap(), widget);
    assert_eq!(store.product_by_uuid(widget.uuid).await.unwrap(), widget);
    let mut ids = Vec::new();
    for day in [3, 1, 2] {
        let mut new = order(
            buyer.id,
            "GBP",
            OrderStatus::Completed,
            100 * day,
            at(day, 0),
        );
        new.line_items[0].product_id = Some(widget.id);
        new.billing.first_name = "Reader".into();
        let created = store.create_order(new.clone()).await.unwrap();
        assert_eq!(created.line_items[0].product_id, Some(widget.id));
        assert_eq!(created.billing.first_name, "Reader");
        assert_eq!(store.order(created.id).await.unwrap(), created);
        ids.push((day, created.id));
    }
    ids.sort_by_key(|(day, _)| -day);
    let page = store
        .customer_orders(buyer.id, PageRequest::page(1, 2))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    let got: Vec<OrderId> = page.items.iter().map(|o| o.id).collect();
    assert_eq!(got, [ids[0].1, ids[1].1], "newest first");
    let rest = store
        .customer_orders(buyer.id, PageRequest::page(2, 2))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);

    let subscription = store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: buyer.id,
            product_id: widget.id,
            status: SubscriptionStatus::Trialing,
            currency: customer_model::Currency::parse("GBP").unwrap(),
            created_at: Some(at(4, 0)),
        })
        .await
        .unwrap();
    let active = store
        .set_subscription_status(subscription.id, SubscriptionStatus::Active)
        .await
        .unwrap();
    assert_eq!(active.status, SubscriptionStatus::Active);
    assert_eq!(
        store.customer_subscriptions(buyer.id).await.unwrap(),
        vec![active]
    );
    let missing_product = store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: buyer.id,
            product_id: ProductId(999),
            status: SubscriptionStatus::Active,
            currency: customer_model::Currency::parse("GBP").unwrap(),
            created_at: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(missing_product, StoreError::Invalid { .. }));

    let grant = store
        .create_download_grant(NewDownloadGrant {
            download_id: "widget-file".into(),
            customer_id: buyer.id,
            order_id: ids[0].1,
            product_id: widget.id,
            downloads_remaining: Some(5),
            access_expires: Some(at(30, 0)),
            download_count: 2,
        })
        .await
        .unwrap();
    let downloads = store.customer_downloads(buyer.id).await.unwrap();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].grant, grant);
    assert_eq!(downloads[0].product_name, "widget");
    assert_eq!(downloads[0].file.url, "https://example.com/widget.zip");
    let order_uuid = store.order(ids[0].1).await.unwrap().uuid;
    assert_eq!(downloads[0].order_uuid, order_uuid);
    assert_stats_recomputed(&store, buyer.id).await;
    assert_eq!(
        store.customer_stats(buyer.id).await.unwrap().download_count,
        2
    );
}

/// One step of a random ledger history for [`apply_ledger_ops`].
#[derive(Debug, Clone)]
pub enum LedgerOp {
    /// Place an order for customer `customer % n` in currency `currency % 3`.
    Order {
        /// Which customer.
        customer: usize,
        /// Which currency (USD, EUR, JPY).
        currency: usize,
        /// Initial status, by index.
        status: usize,
        /// Total in minor units.
        total: i64,
        /// Placement, in hours after the epoch of [`at`].
        hour: i64,
        /// A refund taken at creation, as a share of the total in percent.
        refund_percent: i64,
    },
    /// Change the status of order `order % orders`.
    SetStatus {
        /// Which order.
        order: usize,
        /// New status, by index.
        status: usize,
    },
    /// Refund `percent` of what is left on order `order % orders`.
    Refund {
        /// Which order.
        order: usize,
        /// Share of the rest, in percent.
        percent: i64,
    },
    /// Delete order `order % orders`.
    Delete {
        /// Which order.
        order: usize,
    },
    /// Subscribe customer `customer % n` with `status`, by index.
    Subscribe {
        /// Which customer.
        customer: usize,
        /// Status, by index.
        status: usize,
    },
    /// Grant customer `customer % n` a download on order `order % orders`.
    Grant {
        /// Which customer.
        customer: usize,
        /// Which order.
        order: usize,
        /// Downloads so far.
        count: i64,
    },
}

/// Applies `ops` to a store with `customers` fresh customers and checks after all of
/// them that every customer's kept aggregates equal [`recompute_stats`].
pub async fn apply_ledger_ops(store: Store, customers: usize, ops: &[LedgerOp]) {
    const CURRENCIES: [&str; 3] = ["USD", "EUR", "JPY"];
    let mut ids = Vec::new();
    for i in 0..customers.max(1) {
        let created = store
            .create_customer(guest(&format!("ledger{i}@example.com")))
            .await
            .unwrap();
        ids.push(created.id);
    }
    let product = store.create_product(product("ledger")).await.unwrap();
    let mut orders: Vec<OrderId> = Vec::new();
    for op in ops {
        match op {
            LedgerOp::Order {
                customer,
                currency,
                status,
                total,
                hour,
                refund_percent,
            } => {
                let mut new = order(
                    ids[customer % ids.len()],
                    CURRENCIES[currency % CURRENCIES.len()],
                    OrderStatus::ALL[status % 7],
                    *total,
                    at(0, hour * 3600),
                );
                let refund = total * refund_percent / 100;
                if refund > 0 {
                    new.refunds.push(NewRefund {
                        amount: refund,
                        created_at: Some(at(0, hour * 3600 + 60)),
                        reason: String::new(),
                    });
                }
                orders.push(store.create_order(new).await.unwrap().id);
            }
            LedgerOp::SetStatus { order, status } if !orders.is_empty() => {
                let id = orders[order % orders.len()];
                store
                    .set_order_status(id, OrderStatus::ALL[status % 7], at(50, 0))
                    .await
                    .unwrap();
            }
            LedgerOp::Refund { order, percent } if !orders.is_empty() => {
                let id = orders[order % orders.len()];
                let stored = store.order(id).await.unwrap();
                let amount = (stored.total - stored.refunded_total()) * percent / 100;
                let result = store
                    .add_refund(
                        id,
                        NewRefund {
                            amount,
                            created_at: Some(at(60, 0)),
                            reason: String::new(),
                        },
                    )
                    .await;
                assert_eq!(result.is_ok(), amount > 0, "refund of {amount}: {result:?}");
            }
            LedgerOp::Delete { order } if !orders.is_empty() => {
                let id = orders.remove(order % orders.len());
                store.delete_order(id).await.unwrap();
            }
            LedgerOp::Subscribe { customer, status } => {
                store
                    .create_subscription(NewSubscription {
                        uuid: None,
                        customer_id: ids[customer % ids.len()],
                        product_id: product.id,
                        status: SubscriptionStatus::ALL[status % 7],
                        currency: customer_model::Currency::parse("USD").unwrap(),
                        created_at: Some(at(1, 0)),
                    })
                    .await
                    .unwrap();
            }
            LedgerOp::Grant {
                customer,
                order,
                count,
            } if !orders.is_empty() => {
                store
                    .create_download_grant(NewDownloadGrant {
                        download_id: "ledger-file".into(),
                        customer_id: ids[customer % ids.len()],
                        order_id: orders[order % orders.len()],
                        product_id: product.id,
                        downloads_remaining: None,
                        access_expires: None,
                        download_count: *count,
                    })
                    .await
                    .unwrap();
            }
            _ => {}
        }
    }
    for id in ids {
        assert_stats_recomputed(&store, id).await;
    }
}
