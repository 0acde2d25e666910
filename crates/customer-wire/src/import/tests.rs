//! Tests of the import format: round trips through both encodings, and every error a
//! bad file produces (snapshots of the messages users read).

use customer_model::import::{
    CustomerRef, ImportCustomer, ImportDownloadGrant, ImportOrder, ImportSubscription, KeptApiKey,
};
use customer_model::{
    Address, CustomerDraft, CustomerId, DownloadFile, Email, NewDownloadGrant, NewLineItem,
    NewOrder, NewProduct, NewRefund, NewSubscription, OrderId, OrderStatus, ProductId,
    SubscriptionStatus,
};

use super::*;

fn at(text: &str) -> customer_model::Timestamp {
    text.parse().unwrap()
}

fn usd() -> customer_model::Currency {
    customer_model::Currency::parse("USD").unwrap()
}

/// A small file using every field of every kind.
fn sample() -> ImportBatch {
    let product = NewProduct {
        id: Some(ProductId(7)),
        uuid: Some("6c9f1d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f".parse().unwrap()),
        name: "Album".into(),
        files: vec![DownloadFile {
            id: "f-1".into(),
            name: "Album (FLAC)".into(),
            url: "https://example.com/album.zip".into(),
        }],
    };
    let registered = CustomerDraft {
        id: Some(1),
        uuid: Some("0b5d2c1a-1111-4222-8333-944455566677".parse().unwrap()),
        email: "Ann@Example.com".into(),
        additional_emails: vec!["ann.work@example.com".into()],
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        display_name: Some("Ann L.".into()),
        username: Some("ann".into()),
        role: Some("subscriber".into()),
        password: Some("correct horse".into()),
        billing: Address {
            first_name: "Ann".into(),
            city: "Kraków".into(),
            country: "PL".into(),
            email: "ann@example.com".into(),
            ..Address::default()
        },
        shipping: Address {
            address_1: "ul. Długa 1".into(),
            ..Address::default()
        },
        meta_data: vec![
            ("newsletter".into(), serde_json::json!(true)),
            ("tags".into(), serde_json::json!(["vip", 3])),
        ],
        avatar_url: Some("https://example.com/ann.png".into()),
        created_at: Some(at("2024-01-02T03:04:05Z")),
    }
    .validate()
    .unwrap();
    let guest = CustomerDraft {
        email: "guest@example.com".into(),
        ..CustomerDraft::default()
    }
    .validate()
    .unwrap();
    // Moved from another store: its password hash, meta ids and last change kept.
    let moved = ImportCustomer {
        customer: CustomerDraft {
            id: Some(2),
            email: "moved@example.com".into(),
            username: Some("moved".into()),
            meta_data: vec![
                ("a".into(), serde_json::json!(1)),
                ("b".into(), serde_json::json!(2)),
            ],
            ..CustomerDraft::default()
        }
        .validate()
        .unwrap(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        modified_at: Some(at("2024-06-01T00:00:00Z")),
        meta_ids: vec![Some(40), None],
    };
    let order = |customer: CustomerRef, id: Option<i64>| ImportOrder {
        line_ids: if id.is_some() {
            vec![Some(900)]
        } else {
            Vec::new()
        },
        refund_ids: if id.is_some() {
            vec![Some(901)]
        } else {
            Vec::new()
        },
        order: NewOrder {
            id: id.map(OrderId),
            uuid: None,
            customer_id: match &customer {
                CustomerRef::Id(id) => *id,
                CustomerRef::Email(_) => CustomerId(0),
            },
            status: OrderStatus::Completed,
            currency: usd(),
            total: 2599,
            subtotal: 2000,
            total_tax: 399,
            shipping_total: 300,
            discount_total: 100,
            payment_method: "stripe".into(),
            payment_method_title: "Card".into(),
            created_at: Some(at("2024-02-01T10:00:00Z")),
            paid_at: Some(at("2024-02-01T10:01:00Z")),
            completed_at: None,
            billing: Address::default(),
            shipping: Address {
                city: "Oslo".into(),
                ..Address::default()
            },
            line_items: vec![NewLineItem {
                product_id: Some(ProductId(7)),
                name: "Album".into(),
                quantity: 2,
                total: 2000,
            }],
            refunds: vec![NewRefund {
                amount: 500,
                created_at: Some(at("2024-02-03T00:00:00Z")),
                reason: "damaged".into(),
            }],
        },
        customer,
    };
    ImportBatch {
        products: vec![product],
        customers: vec![registered.into(), guest.into(), moved],
        orders: vec![
            order(CustomerRef::Id(CustomerId(1)), Some(100)),
            order(
                CustomerRef::Email(Email::parse("walk-in@example.com").unwrap()),
                None,
            ),
        ],
        subscriptions: vec![ImportSubscription {
            id: Some(5),
            subscription: NewSubscription {
                uuid: None,
                customer_id: CustomerId(1),
                product_id: ProductId(7),
                status: SubscriptionStatus::PastDue,
                currency: customer_model::Currency::parse("PLN").unwrap(),
                created_at: Some(at("2024-03-01T00:00:00Z")),
            },
        }],
        download_grants: vec![
            ImportDownloadGrant {
                id: Some(6),
                grant: NewDownloadGrant {
                    download_id: "f-1".into(),
                    customer_id: CustomerId(1),
                    order_id: OrderId(100),
                    product_id: ProductId(7),
                    downloads_remaining: None,
                    access_expires: Some(at("2025-01-01T00:00:00Z")),
                    download_count: 3,
                },
            },
            NewDownloadGrant {
                download_id: "f-1".into(),
                customer_id: CustomerId(2),
                order_id: OrderId(100),
                product_id: ProductId(7),
                downloads_remaining: Some(2),
                access_expires: None,
                download_count: 0,
            }
            .into(),
        ],
        api_keys: vec![KeptApiKey {
            id: 3,
            kind: "woocommerce".into(),
            description: "ERP".into(),
            permissions: "read".into(),
            lookup: "0f3c".into(),
            secret: "cs_1".into(),
            truncated: "abc1234".into(),
            created_at: at("2024-01-01T00:00:00Z"),
            last_access: Some(at("2024-02-01T00:00:00Z")),
        }],
    }
}

/// Every error of a file, one per line, as the command line prints them.
fn errors_of(text: &str) -> String {
    let errors = decode_slice(text.as_bytes()).expect_err("the file has errors");
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ndjson_round_trips() {
    let records = sample();
    let mut text = Vec::new();
    write_ndjson(&mut text, &records).unwrap();
    let decoded = decode_slice(&text).unwrap();
    assert_eq!(decoded.records, records);
    assert_eq!(
        decoded.locations.of(RecordKind::Order),
        [Location::Line(5), Location::Line(6)]
    );
}

#[test]
fn records_are_handed_over_with_their_text_and_read_again_from_it() {
    let mut text = Vec::new();
    write_ndjson(&mut text, &sample()).unwrap();
    let mut seen = 0;
    read(text.as_slice(), |item| {
        let Item::Record {
            location,
            record,
            text,
        } = item
        else {
            panic!("no errors expected: {item:?}");
        };
        assert_eq!(decode_record(record.kind(), location, text), Ok(record));
        seen += 1;
        ControlFlow::Continue(())
    });
    assert_eq!(seen, sample().len());
}

/// What reading one NDJSON line hands over, as text.
fn handed_over(
    read_line: impl FnOnce(&mut dyn FnMut(Item<'_>) -> ControlFlow<()>) -> ControlFlow<()>,
) -> Vec<String> {
    let mut items = Vec::new();
    let flow = read_line(&mut |item| {
        items.push(format!("{item:?}"));
        ControlFlow::Continue(())
    });
    assert!(flow.is_continue());
    items
}

/// A line that names its kind first is decoded without probing its `type`; what it
/// hands over, its record or its errors, is what probing first hands over.
#[test]
fn lines_naming_their_kind_first_read_as_probed_lines_do() {
    let lines = [
        r#"{"type":"customer","id":1,"email":"ann@example.com"}"#,
        r#"{"type":"order","customer_id":1,"status":"completed","currency":"USD","total":"1.00"}"#,
        r#"{"type":"product","id":3,"name":"Album"}"#,
        r#"{"type":"cust\u006fmer","id":1,"email":"ann@example.com"}"#,
        r#"{"type":"order","customer_id":1,"status":"completed","currency":"PLN","total":"12.345"}"#,
        r#"{"type":"order","type":"customer","id":1,"email":"ann@example.com"}"#,
        r#"{"type":"customer","id":1,"email":"ann@example.com"} and more"#,
        r#"{"type":"customer","id":1,"email":"ann@example.com""#,
        r#"{"type":"customer"}"#,
        r#"{"type":"customers","id":1}"#,
        r#"{"type":"customer","id":1,"email":"ann@example.com","nickname":"A"}"#,
    ];
    let mut records = 0;
    for line in lines {
        let direct = handed_over(|each| ndjson_line(4, line, each));
        let probed = handed_over(|each| probed_line(Location::Line(4), line, each));
        assert_eq!(direct, probed, "{line}");
        records += direct
            .iter()
            .filter(|item| item.starts_with("Record"))
            .count();
    }
    assert_eq!(records, 4);
}

#[test]
fn reading_stops_when_asked() {
    let mut text = Vec::new();
    write_ndjson(&mut text, &sample()).unwrap();
    let document = encode_document(&sample()).to_string();
    for bytes in [text.as_slice(), document.as_bytes()] {
        let mut seen = Vec::new();
        read(bytes, |item| {
            seen.push(format!("{item:?}"));
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(
            seen.iter().all(|item| item.starts_with("Record")),
            "{seen:?}"
        );
    }
}

#[test]
fn json_document_round_trips_compact_and_pretty() {
    let records = sample();
    let document = encode_document(&records);
    for text in [
        document.to_string(),
        serde_json::to_string_pretty(&document).unwrap(),
    ] {
        let decoded = decode_slice(text.as_bytes()).unwrap();
        assert_eq!(decoded.records, records);
        assert_eq!(
            decoded.locations.of(RecordKind::Customer)[..2],
            [
                Location::Element {
                    kind: RecordKind::Customer,
                    index: 0
                },
                Location::Element {
                    kind: RecordKind::Customer,
                    index: 1
                }
            ]
        );
    }
}

#[test]
fn empty_files_hold_no_records() {
    for text in ["", "\n\n", "{}", "{\"customers\": []}"] {
        assert!(decode_slice(text.as_bytes()).unwrap().records.is_empty());
    }
}

#[test]
fn amounts_are_exact_in_the_record_currency_of_any_case() {
    let text = r#"{"type":"order","customer_id":1,"status":"processing","currency":"jpy","total":"1500"}
{"type":"order","customer_id":1,"status":"processing","currency":"Kwd","total":"1.234"}
{"type":"customer","id":1,"email":"a@example.com"}"#;
    let decoded = decode_slice(text.as_bytes()).unwrap();
    let totals: Vec<(&str, i64)> = decoded
        .records
        .orders
        .iter()
        .map(|o| (o.order.currency.code(), o.order.total))
        .collect();
    assert_eq!(totals, [("JPY", 1500), ("KWD", 1234)]);
}

#[test]
fn store_paths_map_back_to_the_file() {
    let mut records = sample();
    records.orders.truncate(1);
    let mut text = Vec::new();
    write_ndjson(&mut text, &records).unwrap();
    let decoded = decode_slice(&text).unwrap();
    let error = decoded
        .locations
        .locate("orders.0.customer_id", "no customer has id 1")
        .unwrap();
    assert_eq!(
        error.to_string(),
        "line 5: customer_id: no customer has id 1"
    );
    assert_eq!(decoded.locations.locate("orders.9.customer_id", "x"), None);
    assert_eq!(decoded.locations.locate("email", "x"), None);
}

#[test]
fn every_error_of_a_json_document_names_record_and_field() {
    let text = r#"{
  "products": [
    {"id": 1, "name": "Book", "files": [{"id": "a", "name": "A", "url": "https://x/a"}]},
    {"id": 1, "name": "", "files": [{"id": "", "name": "B", "url": "u"}]}
  ],
  "customers": [
    {"id": 1, "email": "ann@example.com"},
    {"id": 2, "email": "not-an-email", "username": "bad name!", "role": "king"},
    {"id": 3, "email": "ANN@example.com", "created_at": "2024-01-01 10:00:00"},
    {"id": 4, "email": "guest@example.com", "password": "x", "billing": {"email": "nope"}},
    {"id": 5, "email": "typo@example.com", "frist_name": "T"}
  ],
  "orders": [
    {"customer_id": 1, "status": "completed", "currency": "USD", "total": "10.00"},
    {"customer_id": 1, "status": "shipped", "currency": "USD", "total": "10.00"},
    {"customer_id": 1, "status": "completed", "currency": "USD", "total": "10.001"},
    {"customer_id": 1, "status": "completed", "currency": "EUR", "total": 10},
    {"customer_id": 1, "status": "completed", "currency": "XYZ", "total": "1"},
    {"status": "completed", "currency": "USD", "total": "1"},
    {"customer_id": 99, "status": "completed", "currency": "USD", "total": "5.00",
     "line_items": [{"product_id": 1, "name": "Book", "quantity": 0, "total": "-1"}],
     "refunds": [{"amount": "4.00"}, {"amount": "2.00"}, {"amount": "0"}]}
  ],
  "subscriptions": [
    {"customer_id": 1, "product_id": 1, "status": "cancelled", "currency": "usd"}
  ],
  "download_grants": [
    {"download_id": "zzz", "customer_id": 1, "order_id": 77, "product_id": 1,
     "downloads_remaining": -1, "download_count": 2},
    {"download_id": "zzz", "customer_id": 1, "order_id": 77, "product_id": 1}
  ]
}"#;
    insta::assert_snapshot!(errors_of(text));
}

#[test]
fn every_error_of_an_ndjson_file_names_line_and_field() {
    let text = r#"{"type":"customer","id":1,"email":"ann@example.com"}

{"type":"customer","id":1,"email":"bob@example.com","username":"ann"}
{"type":"customer","id":2,"email":"carl@example.com","username":"ANN"}
{"type":"order","customer_id":1,"status":"completed","currency":"PLN","total":"12.345"}
{"type":"invoice","id":1}
{"id":1}
{"type":"order", "customer_id":
[1, 2]
{"type":"subscription","customer_id":1,"product_id":3,"status":"active","currency":"usd","created_at":"yesterday"}
{"type":"order","customer_id":1,"email":"ann@example.com","status":"completed","currency":"USD","total":"1"}
"#;
    insta::assert_snapshot!(errors_of(text));
}

#[test]
fn a_broken_json_document_reports_its_line() {
    let text = "{\n  \"customers\": [\n    {\"email\": \"a@example.com\"},\n    oops\n  ]\n}";
    insta::assert_snapshot!(errors_of(text), @"line 4: expected value");
    insta::assert_snapshot!(
        errors_of(r#"{"clients": []}"#),
        @"line 1: unknown member `clients`, expected one of products, customers, orders, subscriptions, download_grants, api_keys"
    );
}

mod properties {
    //! Round trips of generated records: whatever is encoded decodes to the same records,
    //! amounts exact in every currency, text with quotes, escapes and any script intact.

    use super::*;
    use proptest::prelude::*;

    fn arb_currency() -> impl Strategy<Value = customer_model::Currency> {
        prop::sample::select(vec!["USD", "PLN", "JPY", "KWD", "EUR"])
            .prop_map(|code| customer_model::Currency::parse(code).unwrap())
    }

    fn arb_instant() -> impl Strategy<Value = customer_model::Timestamp> {
        (0i64..4_000_000_000, 0i32..1_000_000_000)
            .prop_map(|(secs, nanos)| customer_model::Timestamp::new(secs, nanos).unwrap())
    }

    fn arb_customer() -> impl Strategy<Value = customer_model::NewCustomer> {
        (
            "[a-z]{1,10}@[a-z]{1,10}\\.(com|pl)",
            any::<String>(),
            "\\PC{0,20}",
            proptest::option::of("[a-z][a-z0-9._-]{0,15}"),
            proptest::option::of(arb_instant()),
            proptest::collection::vec(("[a-z_]{1,10}", any::<i64>()), 0..3),
        )
            .prop_filter_map(
                "valid customers",
                |(email, first, city, username, created, meta)| {
                    CustomerDraft {
                        email,
                        first_name: first.chars().take(100).collect(),
                        billing: Address {
                            city,
                            ..Address::default()
                        },
                        username,
                        created_at: created,
                        meta_data: meta
                            .into_iter()
                            .map(|(key, value)| (key, serde_json::json!(value)))
                            .collect(),
                        ..CustomerDraft::default()
                    }
                    .validate()
                    .ok()
                },
            )
    }

    fn arb_order() -> impl Strategy<Value = ImportOrder> {
        (
            arb_currency(),
            prop::sample::select(OrderStatus::ALL.to_vec()),
            0i64..1_000_000_000_000,
            proptest::collection::vec(1i64..1_000_000, 0..3),
            proptest::option::of(arb_instant()),
            1i64..1_000_000,
        )
            .prop_map(|(currency, status, total, refunds, created_at, customer)| {
                // Refunds are kept within the total, as the format requires.
                let mut left = total;
                let refunds = refunds
                    .into_iter()
                    .filter_map(|amount| {
                        let amount = amount.min(left);
                        left -= amount;
                        (amount > 0).then_some(NewRefund {
                            amount,
                            created_at,
                            reason: String::new(),
                        })
                    })
                    .collect();
                ImportOrder::new(
                    CustomerRef::Id(CustomerId(customer)),
                    NewOrder {
                        id: None,
                        uuid: None,
                        customer_id: CustomerId(customer),
                        status,
                        currency,
                        total,
                        subtotal: total / 2,
                        total_tax: total / 7,
                        shipping_total: 0,
                        discount_total: total / 3,
                        payment_method: String::new(),
                        payment_method_title: String::new(),
                        created_at,
                        paid_at: None,
                        completed_at: created_at,
                        billing: Address::default(),
                        shipping: Address::default(),
                        line_items: Vec::new(),
                        refunds,
                    },
                )
            })
    }

    proptest! {
        #[test]
        fn records_round_trip_through_both_encodings(
            customers in proptest::collection::vec(arb_customer(), 0..4),
            orders in proptest::collection::vec(arb_order(), 0..4),
        ) {
            let customers = customers.into_iter().map(ImportCustomer::from).collect();
            let records = ImportBatch { customers, orders, ..ImportBatch::default() };
            let mut ndjson = Vec::new();
            write_ndjson(&mut ndjson, &records).unwrap();
            prop_assert_eq!(&decode_slice(&ndjson).unwrap().records, &records);
            let document = encode_document(&records).to_string();
            prop_assert_eq!(&decode_slice(document.as_bytes()).unwrap().records, &records);
        }
    }
}
