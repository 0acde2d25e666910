//! On a demo-like store (several currencies, every order status, partial and full
//! refunds, status changes after the fact), every listed customer's `lifetime_value` is
//! the sum of its payments minus their refunds in that currency, and `orders_count` its
//! completed orders, recomputed from the orders as stored.

use std::collections::BTreeMap;

use super::support::*;
use customer_model::{NewRefund, OrderStatus, PageRequest};
use customer_store::CustomerStore;

/// A small deterministic generator (64-bit LCG): the data set is the same on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides
    }
}

const CURRENCIES: [&str; 3] = ["pln", "usd", "eur"];

#[tokio::test]
async fn lifetime_value_is_payments_minus_refunds_recomputed_from_orders() {
    let world = World::new("Europe/Warsaw").await;
    let mut dice = Dice(2026);
    let product = world
        .product("00000000-0000-4000-8000-00000000000a", "Demo")
        .await;
    let mut customers = Vec::new();
    for n in 0..60 {
        let customer = world
            .customer(person(
                None,
                &format!("demo{n}@example.com"),
                "Demo",
                &format!("{n}"),
            ))
            .await;
        for _ in 0..dice.roll(6) {
            let status = OrderStatus::ALL[dice.roll(7) as usize];
            let currency = CURRENCIES[dice.roll(3) as usize];
            let total = 100 + dice.roll(50_000) as i64;
            let hour = dice.roll(24 * 365) as i64;
            let refunds = match dice.roll(4) {
                0 => vec![total / 4],
                1 => vec![total / 4, total / 4],
                _ => vec![],
            };
            let placed = at("2025-01-01T00:00:00Z") + jiff::SignedDuration::from_hours(hour);
            let mut new = order(
                &customer,
                status,
                currency,
                total,
                placed,
                &[product.id],
                &refunds,
            );
            new.uuid = None;
            let stored = world.order(new).await;
            // Some orders move on after they were placed, as real orders do.
            match dice.roll(5) {
                0 => {
                    let next = OrderStatus::ALL[dice.roll(7) as usize];
                    world
                        .store
                        .set_order_status(stored.id, next, placed)
                        .await
                        .unwrap();
                }
                1 if stored.refunded_total() < total => {
                    world
                        .store
                        .add_refund(
                            stored.id,
                            NewRefund {
                                amount: total - stored.refunded_total(),
                                created_at: Some(placed),
                                reason: "returned".into(),
                            },
                        )
                        .await
                        .unwrap();
                }
                _ => {}
            }
        }
        customers.push(customer);
    }

    // Expected figures per (currency, e-mail), from the orders as the store keeps them.
    let mut expected: BTreeMap<(&str, String), (i64, i64)> = BTreeMap::new();
    for customer in &customers {
        let orders = world
            .store
            .customer_orders(
                customer.id,
                PageRequest {
                    offset: 0,
                    limit: None,
                },
            )
            .await
            .unwrap();
        for order in orders.items {
            let code = CURRENCIES
                .iter()
                .find(|c| order.currency.lower_code() == **c)
                .unwrap();
            let entry = expected
                .entry((code, customer.email.as_str().to_owned()))
                .or_default();
            if matches!(
                order.status,
                OrderStatus::Processing | OrderStatus::Completed
            ) {
                entry.0 += order.total - order.refunded_total();
            }
            if order.status == OrderStatus::Completed {
                entry.1 += 1;
            }
        }
    }

    let mut listed = BTreeMap::new();
    for code in CURRENCIES {
        for item in world.all_items(&format!("currency={code}")).await {
            let key = (code, item["email"].as_str().unwrap().to_owned());
            let figures = (
                item["lifetime_value"].as_i64().unwrap(),
                item["orders_count"].as_i64().unwrap(),
            );
            assert!(listed.insert(key, figures).is_none(), "listed twice");
        }
    }
    assert!(
        expected.len() > 60,
        "the data set has orders in many currencies"
    );
    assert_eq!(listed, expected);
}
