//! Generated model records for the properties of every dialect's answers: customers
//! whose text is hostile to JSON writers (quotes, backslashes, slashes, control
//! characters, any Unicode), their figures, orders and downloads, and a reader of the
//! key order of JSON text.

use std::collections::BTreeMap;
use std::fmt;

use customer_model::{
    Account, Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, DownloadFile,
    DownloadGrant, Email, LineItem, MetaEntry, Order, OrderId, OrderRef, OrderStatus, ProductId,
    Refund, Role, StatusTotals, Timestamp, Username, Uuid,
};
use proptest::prelude::*;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The top-level keys of a JSON object, in the order the text has them.
pub(crate) struct Keys(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;

        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }

        deserializer.deserialize_map(KeysVisitor)
    }
}

/// The keys of the JSON object `text`, in its order.
pub(crate) fn keys_of(text: &str) -> Vec<String> {
    serde_json::from_str::<Keys>(text).expect("a JSON object").0
}

/// `value` as a client reads it: written, then parsed. Compared with a parse of other
/// text, it tells whether both texts are the same JSON: serde_json's parser can round
/// some floats (subnormals) a bit differently from the value written, but it does so
/// the same way for the same digits.
pub(crate) fn as_read(value: &Value) -> Value {
    serde_json::from_str(&value.to_string()).unwrap()
}

/// Any text, hostile text often.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z0-9 ,.'-]{1,20}",
        "\\PC{1,12}",
        // What JSON must escape, what PHP escapes besides (`/`, anything not ASCII),
        // and what both may leave alone.
        "[\\x00-\\x1f\"\\\\/<>&\u{7f}\u{e9}\u{2028}\u{fffd}\u{1f600}]{1,6}",
    ]
}

/// An address of generated text.
pub(crate) fn address() -> impl Strategy<Value = Address> {
    proptest::collection::vec(text(), 11).prop_map(|f| Address {
        first_name: f[0].clone(),
        last_name: f[1].clone(),
        company: f[2].clone(),
        address_1: f[3].clone(),
        address_2: f[4].clone(),
        city: f[5].clone(),
        state: f[6].clone(),
        postcode: f[7].clone(),
        country: f[8].clone(),
        email: f[9].clone(),
        phone: f[10].clone(),
    })
}

/// Meta values of every JSON kind, numbers of every form among them.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just(0.1),
            Just(-0.0),
            Just(1e300),
            Just(5e-324),
            Just(1.336596455733208e-308)
        ]
        .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn meta_entry() -> impl Strategy<Value = MetaEntry> {
    let key = prop_oneof![
        "[a-z][a-z_]{0,10}",
        Just("_hidden".to_owned()),
        Just("billing_phone".to_owned()),
        text(),
    ];
    (any::<i64>(), key, json_value()).prop_map(|(id, key, value)| MetaEntry { id, key, value })
}

/// A whole second from 1970 to 2100.
pub(crate) fn instant() -> impl Strategy<Value = Timestamp> {
    (0i64..4_102_444_800).prop_map(|second| Timestamp::from_second(second).unwrap())
}

fn order_ref() -> impl Strategy<Value = OrderRef> {
    (1i64..i64::MAX, instant()).prop_map(|(id, at)| OrderRef {
        id: OrderId(id),
        at,
    })
}

/// Figures in up to three currencies (a currency of three decimals among them), with
/// first and last orders, subscriptions and downloads.
pub(crate) fn stats() -> impl Strategy<Value = CustomerStats> {
    let currency = prop::sample::select(vec!["USD", "EUR", "JPY", "KWD"]);
    let totals = (
        0i64..50,
        -1_000_000_000i64..1_000_000_000_000,
        0i64..1_000_000,
    )
        .prop_map(|(orders, total, refunded)| StatusTotals {
            orders,
            total,
            refunded,
        });
    let figures = (
        proptest::array::uniform7(totals),
        proptest::option::of((order_ref(), order_ref())),
    );
    (
        proptest::collection::btree_map(currency, figures, 0..3),
        proptest::array::uniform7(0i64..5),
        0i64..1_000,
    )
        .prop_map(
            |(figures, subscriptions, download_count): (BTreeMap<&str, _>, _, _)| CustomerStats {
                currencies: figures
                    .into_iter()
                    .map(|(code, (by_status, orders))| {
                        let orders: Option<(OrderRef, OrderRef)> = orders;
                        CurrencyStats {
                            by_status,
                            first_order: orders.map(|(first, _)| first),
                            last_order: orders.map(|(_, last)| last),
                            ..CurrencyStats::empty(Currency::parse(code).unwrap())
                        }
                    })
                    .collect(),
                subscriptions,
                download_count,
            },
        )
}

/// A valid e-mail address.
fn email() -> impl Strategy<Value = Email> {
    "[a-z0-9._%+-]{1,10}@[a-z]{1,8}\\.example".prop_map(|text| {
        Email::parse(&text).unwrap_or_else(|_| Email::parse("someone@example.com").unwrap())
    })
}

/// A customer of generated text, registered or a guest, with its figures.
pub(crate) fn customer() -> impl Strategy<Value = (Customer, CustomerStats)> {
    let account = proptest::option::of((
        prop::sample::select(Role::ALL.to_vec()),
        "[a-z][a-z0-9._-]{0,12}",
    ));
    let avatar_url = prop_oneof![
        Just(None),
        "https://[a-z]{1,8}\\.example/[a-z%?&=]{0,12}".prop_map(Some),
        text().prop_map(Some),
    ];
    (
        (
            1i64..i64::MAX,
            any::<u128>(),
            text(),
            text(),
            text(),
            account,
        ),
        (email(), proptest::collection::vec(email(), 0..3)),
        (address(), address()),
        proptest::collection::vec(meta_entry(), 0..4),
        avatar_url,
        (instant(), proptest::option::of(instant())),
        stats(),
    )
        .prop_map(
            |(
                (id, uuid, first_name, last_name, display_name, account),
                (email, additional_emails),
                (billing, shipping),
                meta_data,
                avatar_url,
                (created_at, modified_at),
                stats,
            )| {
                let customer = Customer {
                    id: CustomerId(id),
                    uuid: Uuid::from_u128(uuid),
                    email,
                    additional_emails,
                    first_name,
                    last_name,
                    display_name,
                    account: account.map(|(role, username)| Account {
                        username: Username::parse(&username)
                            .unwrap_or_else(|_| Username::parse("someone").unwrap()),
                        role,
                        password_hash: None,
                    }),
                    billing,
                    shipping,
                    meta_data,
                    avatar_url,
                    created_at,
                    modified_at,
                };
                (customer, stats)
            },
        )
}

/// An order of `customer_id` in one of four currencies, every status, with lines of
/// generated names (of known products or not) and refunds.
pub(crate) fn order(customer_id: CustomerId) -> impl Strategy<Value = Order> {
    let line = (
        any::<i64>(),
        proptest::option::of(1i64..1_000),
        text(),
        0i64..1_000,
        -1_000_000i64..1_000_000_000,
    )
        .prop_map(|(id, product_id, name, quantity, total)| LineItem {
            id,
            product_id: product_id.map(ProductId),
            name,
            quantity,
            total,
        });
    let refund = (any::<i64>(), 1i64..1_000_000, instant(), text()).prop_map(
        |(id, amount, created_at, reason)| Refund {
            id,
            amount,
            created_at,
            reason,
        },
    );
    let amount = || -1_000_000_000i64..1_000_000_000_000;
    (
        (1i64..i64::MAX, any::<u128>()),
        (
            prop::sample::select(OrderStatus::ALL.to_vec()),
            prop::sample::select(vec!["USD", "EUR", "JPY", "KWD"]),
        ),
        (amount(), amount(), amount(), amount(), amount()),
        (text(), text()),
        (
            instant(),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
        ),
        (address(), address()),
        proptest::collection::vec(line, 0..3),
        proptest::collection::vec(refund, 0..2),
    )
        .prop_map(
            move |(
                (id, uuid),
                (status, currency),
                (total, subtotal, total_tax, shipping_total, discount_total),
                (payment_method, payment_method_title),
                (created_at, paid_at, completed_at),
                (billing, shipping),
                line_items,
                refunds,
            )| Order {
                id: OrderId(id),
                uuid: Uuid::from_u128(uuid),
                customer_id,
                status,
                currency: Currency::parse(currency).unwrap(),
                total,
                subtotal,
                total_tax,
                shipping_total,
                discount_total,
                payment_method,
                payment_method_title,
                created_at,
                paid_at,
                completed_at,
                billing,
                shipping,
                line_items,
                refunds,
            },
        )
}

/// A download grant of `customer_id` with its file and product name, some of them
/// used up or expired.
pub(crate) fn download(
    customer_id: CustomerId,
) -> impl Strategy<Value = (DownloadGrant, DownloadFile, String, Uuid)> {
    (
        (any::<i64>(), text(), 1i64..i64::MAX, 1i64..i64::MAX),
        (
            proptest::option::of(-1i64..10),
            proptest::option::of(instant()),
            0i64..100,
        ),
        (text(), text(), text()),
        any::<u128>(),
    )
        .prop_map(
            move |(
                (id, download_id, order_id, product_id),
                (downloads_remaining, access_expires, download_count),
                (file_name, url, product_name),
                order_uuid,
            )| {
                let grant = DownloadGrant {
                    id,
                    download_id: download_id.clone(),
                    customer_id,
                    order_id: OrderId(order_id),
                    product_id: ProductId(product_id),
                    downloads_remaining,
                    access_expires,
                    download_count,
                };
                let file = DownloadFile {
                    id: download_id,
                    name: file_name,
                    url,
                };
                (grant, file, product_name, Uuid::from_u128(order_uuid))
            },
        )
}
