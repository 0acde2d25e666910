//! wc/v2 and wc/v3: snapshots of every response shape and error body, from fixed model
//! records (the seed's John Doe and João Silva), and round-trip properties.

use customer_model::{
    Account, Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, DownloadFile,
    DownloadGrant, Email, MetaEntry, OrderId, OrderStatus, ProductId, Role, StatusTotals,
    Timestamp, Username, Uuid,
};
use customer_wire::php::Vars;
use customer_wire::wc_rest::Version;
use customer_wire::wc_rest::decode::{self, Operation, params_from_vars};
use customer_wire::wc_rest::encode::{self, BatchDto, BatchErrorDto, BatchItemDto, EncodeContext};
use customer_wire::wc_rest::errors::{Action, RestError};
use customer_wire::wc_rest::pagination;
use customer_wire::woo::Download;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// An address from its filled fields, in the order first name, last name, line 1, city,
/// state, postcode, country, e-mail, phone.
fn address(fields: [&str; 9]) -> Address {
    let [
        first,
        last,
        line,
        city,
        state,
        postcode,
        country,
        email,
        phone,
    ] = fields.map(String::from);
    Address {
        first_name: first,
        last_name: last,
        address_1: line,
        city,
        state,
        postcode,
        country,
        email,
        phone,
        ..Address::default()
    }
}

fn john() -> Customer {
    let billing = address([
        "John",
        "Doe",
        "969 Market",
        "San Francisco",
        "CA",
        "94103",
        "US",
        "john.doe@example.com",
        "(555) 555-5555",
    ]);
    let mut shipping = billing.clone();
    shipping.email.clear();
    shipping.phone.clear();
    Customer {
        id: CustomerId(25),
        uuid: Uuid::nil(),
        email: Email::parse("john.doe@example.com").unwrap(),
        additional_emails: Vec::new(),
        first_name: "John".into(),
        last_name: "Doe".into(),
        display_name: "john.doe".into(),
        account: Some(Account {
            username: Username::parse("john.doe").unwrap(),
            role: Role::Customer,
            password_hash: Some("$argon2id$v=19$secret".into()),
        }),
        billing,
        shipping,
        meta_data: vec![
            MetaEntry {
                id: 7,
                key: "wc_last_active".into(),
                value: json!("1700000000"),
            },
            MetaEntry {
                id: 8,
                key: "_hidden".into(),
                value: json!("x"),
            },
        ],
        avatar_url: None,
        created_at: "2017-03-21T19:09:28Z".parse().unwrap(),
        modified_at: Some("2017-03-21T19:09:30Z".parse().unwrap()),
    }
}

fn joao() -> Customer {
    let billing = address([
        "João",
        "Silva",
        "Av. Brasil, 432",
        "Rio de Janeiro",
        "RJ",
        "12345-000",
        "BR",
        "joao.silva@example.com",
        "(55) 5555-5555",
    ]);
    let mut shipping = billing.clone();
    shipping.email.clear();
    Customer {
        id: CustomerId(26),
        uuid: Uuid::nil(),
        email: Email::parse("joao.silva@example.com").unwrap(),
        additional_emails: Vec::new(),
        first_name: "João".into(),
        last_name: "Silva".into(),
        display_name: "joao.silva".into(),
        account: Some(Account {
            username: Username::parse("joao.silva").unwrap(),
            role: Role::Customer,
            password_hash: None,
        }),
        billing,
        shipping,
        meta_data: Vec::new(),
        avatar_url: None,
        created_at: "2017-03-07T00:39:09Z".parse().unwrap(),
        modified_at: None,
    }
}

/// Two paid orders (one processing, one completed), a pending one and a refund.
fn paying_stats() -> CustomerStats {
    let mut figures = CurrencyStats::empty(usd());
    figures.by_status[OrderStatus::Processing.index()] = StatusTotals {
        orders: 1,
        total: 1999,
        refunded: 500,
    };
    figures.by_status[OrderStatus::Completed.index()] = StatusTotals {
        orders: 2,
        total: 120050,
        refunded: 0,
    };
    figures.by_status[OrderStatus::Pending.index()] = StatusTotals {
        orders: 1,
        total: 1000,
        refunded: 0,
    };
    let mut euros = CurrencyStats::empty(Currency::parse("EUR").unwrap());
    euros.by_status[OrderStatus::Completed.index()] = StatusTotals {
        orders: 1,
        total: 5000,
        refunded: 0,
    };
    CustomerStats {
        currencies: vec![euros, figures],
        ..CustomerStats::default()
    }
}

fn ctx(version: Version, timezone: &TimeZone) -> EncodeContext<'_> {
    EncodeContext {
        version,
        home_url: "https://example.com",
        timezone,
        currency: usd(),
    }
}

#[test]
fn v3_customer_in_a_site_time_zone() {
    let tz = TimeZone::get("America/Sao_Paulo").unwrap();
    insta::assert_json_snapshot!(encode::customer(
        &ctx(Version::V3, &tz),
        &john(),
        &CustomerStats::default()
    ));
}

#[test]
fn v2_customer_with_orders() {
    let tz = TimeZone::UTC;
    let body = encode::customer(&ctx(Version::V2, &tz), &joao(), &paying_stats());
    // Orders in every status and currency; paid totals summed as plain numbers over
    // every currency (WooCommerce's SQL has no currency condition), refunds not
    // subtracted.
    assert_eq!(body.orders_count, Some(5));
    assert_eq!(body.total_spent.as_deref(), Some("1270.49"));
    assert!(body.is_paying_customer);
    insta::assert_json_snapshot!(body);
}

#[test]
fn list_of_two_v2_customers() {
    let tz = TimeZone::UTC;
    let c = ctx(Version::V2, &tz);
    let list = vec![
        encode::customer(&c, &joao(), &CustomerStats::default()),
        encode::customer(&c, &john(), &CustomerStats::default()),
    ];
    insta::assert_json_snapshot!(list);
}

#[test]
fn avatar_override_wins() {
    let tz = TimeZone::UTC;
    let mut customer = john();
    customer.avatar_url = Some("https://cdn.example.com/john.png".into());
    let body = encode::customer(&ctx(Version::V3, &tz), &customer, &CustomerStats::default());
    assert_eq!(body.avatar_url, "https://cdn.example.com/john.png");
}

#[test]
fn downloads() {
    let tz = TimeZone::UTC;
    let grant = DownloadGrant {
        id: 1,
        download_id: "91447fd1849316bbc89dfb7e986a6006".into(),
        customer_id: CustomerId(26),
        order_id: OrderId(723),
        product_id: ProductId(87),
        downloads_remaining: Some(3),
        access_expires: Some("2030-01-01T12:00:00Z".parse().unwrap()),
        download_count: 0,
    };
    let unlimited = DownloadGrant {
        downloads_remaining: None,
        access_expires: None,
        ..grant.clone()
    };
    let file = DownloadFile {
        id: "f1".into(),
        name: "Song 2".into(),
        url: "http://example.com/wp-content/uploads/woocommerce_uploads/2013/06/Song.mp3".into(),
    };
    let order_uuid = Uuid::parse_str("58d17c18-352a-4b6e-9f00-000000000001").unwrap();
    let list: Vec<_> = [&grant, &unlimited]
        .into_iter()
        .map(|g| {
            encode::download(
                &ctx(Version::V3, &tz),
                &joao(),
                &Download {
                    grant: g,
                    product_name: "Woo Album #2",
                    file: &file,
                    order_uuid,
                },
            )
        })
        .collect();
    insta::assert_json_snapshot!(list);
}

#[test]
fn downloads_used_up_or_expired_are_not_listed() {
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let grant = DownloadGrant {
        id: 1,
        download_id: "d".into(),
        customer_id: CustomerId(1),
        order_id: OrderId(1),
        product_id: ProductId(1),
        downloads_remaining: Some(0),
        access_expires: None,
        download_count: 3,
    };
    let file = DownloadFile {
        id: "f".into(),
        name: "F".into(),
        url: "https://example.com/f".into(),
    };
    let listed = |grant: &DownloadGrant| {
        Download {
            grant,
            product_name: "P",
            file: &file,
            order_uuid: Uuid::nil(),
        }
        .is_available(now)
    };
    assert!(!listed(&grant));
    let expired = DownloadGrant {
        downloads_remaining: None,
        access_expires: Some("2025-12-31T00:00:00Z".parse().unwrap()),
        ..grant.clone()
    };
    assert!(!listed(&expired));
    let expiring_now = DownloadGrant {
        access_expires: Some(now),
        ..expired.clone()
    };
    assert!(listed(&expiring_now));
    let open = DownloadGrant {
        downloads_remaining: None,
        ..grant
    };
    assert!(listed(&open));
}

#[test]
fn batch_with_results_and_errors() {
    let tz = TimeZone::UTC;
    let c = ctx(Version::V3, &tz);
    let batch = BatchDto {
        create: vec![
            BatchItemDto::Customer(Box::new(encode::customer(
                &c,
                &joao(),
                &CustomerStats::default(),
            ))),
            BatchItemDto::Error(BatchErrorDto {
                id: json!(0),
                error: RestError::email_exists().to_json(),
            }),
        ],
        update: vec![BatchItemDto::Error(BatchErrorDto {
            id: Value::Null,
            error: RestError::invalid_id_update().to_json(),
        })],
        delete: vec![
            BatchItemDto::Customer(Box::new(encode::customer(
                &c,
                &john(),
                &CustomerStats::default(),
            ))),
            BatchItemDto::Error(BatchErrorDto {
                id: json!(998),
                error: RestError::invalid_id_delete().to_json(),
            }),
        ],
    };
    insta::assert_json_snapshot!(batch.to_json());
}

#[test]
fn empty_batch_is_an_empty_array() {
    assert_eq!(BatchDto::default().to_json(), json!([]));
}

fn list_error(query: &str) -> Value {
    decode::decode_list(
        &params_from_vars(&Vars::parse(query.as_bytes())),
        &TimeZone::UTC,
    )
    .unwrap_err()
    .to_json()
}

#[test]
fn error_catalogue() {
    let create = |body: Value| {
        decode::decode_create(body.as_object().unwrap(), Version::V3)
            .unwrap_err()
            .to_json()
    };
    let validate = |body: Value, op| {
        decode::validate_args(body.as_object().unwrap(), op, Version::V3)
            .unwrap_err()
            .to_json()
    };
    let catalogue = json!({
        "no_route": RestError::no_route().to_json(),
        "invalid_json": RestError::invalid_json().to_json(),
        "get_invalid_id": RestError::invalid_id_get().to_json(),
        "update_invalid_id": RestError::invalid_id_update().to_json(),
        "delete_invalid_id": RestError::invalid_id_delete().to_json(),
        "trash_not_supported": RestError::trash_not_supported().to_json(),
        "invalid_reassign": RestError::invalid_reassign().to_json(),
        "cannot_delete": RestError::cannot_delete().to_json(),
        "create_with_id": create(json!({"id": 3, "email": "x@example.com"})),
        "create_without_email": validate(json!({"first_name": "x"}), Operation::Create),
        "create_email_not_string": validate(json!({"email": 5}), Operation::Create),
        "create_invalid_email": create(json!({"email": "abc"})),
        "create_empty_email": create(json!({"email": ""})),
        "create_invalid_username": create(json!({"email": "ok@example.com", "username": "<>"})),
        "create_long_username": create(json!({"email": "ok@example.com", "username": "u".repeat(61)})),
        "email_exists": RestError::email_exists().to_json(),
        "username_exists": RestError::username_exists().to_json(),
        "cannot_create": RestError::cannot_create().to_json(),
        "invalid_billing_email": validate(json!({"billing": {"email": "nope"}}), Operation::Update),
        "batch_invalid_billing_email": create(json!({"email": "ok@example.com", "billing": {"email": "nope"}})),
        "update_invalid_email": validate(json!({"email": ""}), Operation::Update),
        "update_email_taken": RestError::email_taken_on_update().to_json(),
        "username_not_editable": RestError::username_not_editable().to_json(),
        "protected_email": RestError::protected_prop("email", "administrator", true).to_json(),
        "protected_delete": RestError::protected_role_delete("shop_manager", true).to_json(),
        "batch_too_large": RestError::batch_too_large(100).to_json(),
        "downloads_customer_missing": RestError::downloads_customer_missing().to_json(),
        "downloads_context": decode::decode_downloads(json!({"context": "edit"}).as_object().unwrap()).unwrap_err().to_json(),
        "list_per_page": list_error("per_page=101"),
        "list_per_page_type": list_error("per_page=abc"),
        "list_page": list_error("page=0"),
        "list_enums": list_error("orderby=foo&order=up&context=foo&role=foo"),
        "list_email": list_error("email=bad"),
        "list_include": list_error("include=1,x"),
        "list_search_array": list_error("search[]=x"),
        "list_created_after": list_error("created_after=someday"),
        "delete_force": decode::decode_delete(json!({"force": "maybe"}).as_object().unwrap()).unwrap_err().to_json(),
        "forbidden": [
            RestError::forbidden(Action::List, false).to_json(),
            RestError::forbidden(Action::View, false).to_json(),
            RestError::forbidden(Action::Create, false).to_json(),
            RestError::forbidden(Action::Edit, false).to_json(),
            RestError::forbidden(Action::Delete, false).to_json(),
            RestError::forbidden(Action::Batch, true).to_json(),
        ],
    });
    insta::assert_json_snapshot!(catalogue);
}

#[test]
fn link_header_echoes_sanitised_parameters() {
    let query = Vars::parse(b"per_page=05&include=1,2,3&page=2&consumer_key=ck_x&search=john+doe");
    let raw = params_from_vars(&query);
    let list = decode::decode_list(&raw, &TimeZone::UTC).unwrap();
    let pairs = pagination::link_query_pairs(&raw, &list);
    let pages = list.pagination(3);
    insta::assert_snapshot!(
        pagination::link_header("http://example.com/wp-json/wc/v3/customers", &pairs, &pages)
            .unwrap()
    );
}

mod properties {
    //! Round-trip properties: what the encoder writes, the decoder reads back the same.

    use customer_model::{
        Account, Address, Currency, Customer, CustomerId, CustomerStats, Email, Role, Timestamp,
        Username, Uuid,
    };
    use customer_wire::wc_rest::Version;
    use customer_wire::wc_rest::decode::{
        Operation, Params, decode_update, parse_iso8601, validate_args,
    };
    use customer_wire::wc_rest::encode::{self, EncodeContext};
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[A-Za-z0-9 ,.'-]{1,20}", "\\PC{1,12}"]
    }

    fn address() -> impl Strategy<Value = Address> {
        (
            proptest::collection::vec(text(), 9),
            prop_oneof![Just(String::new()), "[a-z]{1,8}@[a-z]{2,8}\\.[a-z]{2,4}"],
            text(),
        )
            .prop_map(|(f, email, phone)| Address {
                first_name: f[0].clone(),
                last_name: f[1].clone(),
                company: f[2].clone(),
                address_1: f[3].clone(),
                address_2: f[4].clone(),
                city: f[5].clone(),
                state: f[6].clone(),
                postcode: f[7].clone(),
                country: f[8].clone(),
                email,
                phone,
            })
    }

    fn customer(billing: Address, mut shipping: Address) -> Customer {
        shipping.email.clear();
        Customer {
            id: CustomerId(1),
            uuid: Uuid::nil(),
            email: Email::parse("someone@example.com").unwrap(),
            additional_emails: Vec::new(),
            first_name: String::new(),
            last_name: String::new(),
            display_name: "someone".into(),
            account: Some(Account {
                username: Username::parse("someone").unwrap(),
                role: Role::Customer,
                password_hash: None,
            }),
            billing,
            shipping,
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: Timestamp::UNIX_EPOCH,
            modified_at: None,
        }
    }

    proptest! {
        /// Encoded addresses, sent back as an update, validate and rebuild the same
        /// addresses (v3 writes every field; v2 cannot write `shipping.phone`).
        #[test]
        fn addresses_round_trip(billing in address(), shipping in address(), v3 in any::<bool>()) {
            let version = if v3 { Version::V3 } else { Version::V2 };
            let tz = TimeZone::UTC;
            let ctx = EncodeContext {
                version,
                home_url: "http://example.com",
                timezone: &tz,
                currency: Currency::parse("USD").unwrap(),
            };
            let original = customer(billing, shipping);
            let body = serde_json::to_value(encode::customer(&ctx, &original, &CustomerStats::default())).unwrap();
            let mut sent = Params::new();
            sent.insert("billing".into(), body["billing"].clone());
            sent.insert("shipping".into(), body["shipping"].clone());
            let valid = original.billing.email.is_empty()
                || customer_model::email::is_email(&original.billing.email);
            prop_assert!(valid);
            if !original.billing.email.is_empty() {
                prop_assert!(validate_args(&sent, Operation::Update, version).is_ok());
            }
            let patch = decode_update(&sent, version).unwrap().patch;
            let mut billing = Address::default();
            billing.apply(&patch.billing.unwrap());
            let mut shipping = Address::default();
            shipping.apply(&patch.shipping.unwrap());
            prop_assert_eq!(billing, original.billing.clone());
            let mut expected = original.shipping.clone();
            if version == Version::V2 {
                expected.phone.clear();
            }
            prop_assert_eq!(shipping, expected);
        }

        /// A local date the encoder writes reads back, in the same zone, as the same second.
        #[test]
        fn local_dates_round_trip(seconds in 0i64..4_102_444_800, zone in prop::sample::select(vec!["UTC", "Europe/Warsaw", "America/Sao_Paulo", "Asia/Kolkata"])) {
            let tz = TimeZone::get(zone).unwrap();
            let at = Timestamp::from_second(seconds).unwrap();
            let ctx = EncodeContext {
                version: Version::V3,
                home_url: "http://example.com",
                timezone: &tz,
                currency: Currency::parse("USD").unwrap(),
            };
            let local = ctx.local_date(at);
            let back = parse_iso8601(&local, &tz).unwrap();
            // A wall-clock time repeated at a DST fall-back may resolve to the other instant.
            prop_assert!(back == at || (back - at).get_seconds().abs() == 3600, "{} {} {}", local, back, at);
            prop_assert_eq!(parse_iso8601(&encode::gmt_date(at), &TimeZone::UTC), Some(at));
        }
    }
}

mod serialized_answers {
    //! Answers serialize the response objects straight to text; that text must be the
    //! JSON the objects' values are (what `customer_json` builds), in WooCommerce's key
    //! order.

    use customer_model::Currency;
    use customer_wire::Body;
    use customer_wire::wc_rest::Version;
    use customer_wire::wc_rest::encode::{
        self, Answer, BatchDto, CUSTOMER_FIELDS, EncodeContext, Frame,
    };
    use customer_wire::wc_rest::errors::RestError;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;
    use serde_json::Value;

    use crate::generated::{Keys, as_read, customer};

    /// The text sent for `answer` framed with no `_fields` and no `_envelope`, which
    /// must be the serialized text itself.
    fn sent(answer: Answer) -> Result<String, TestCaseError> {
        match Frame::bare("https://example.com").reply(answer).body {
            Body::JsonText(text) => Ok(text),
            other => Err(TestCaseError::fail(format!(
                "not serialized text: {other:?}"
            ))),
        }
    }

    proptest! {
        /// Items, creations, lists and batches send exactly the JSON values of their
        /// objects, each customer with its keys in WooCommerce's order.
        #[test]
        fn answers_are_the_objects_values(
            customers in proptest::collection::vec(customer(), 0..4),
            v3 in any::<bool>(),
            zone in prop::sample::select(vec!["UTC", "America/Sao_Paulo", "Asia/Kolkata"]),
        ) {
            let version = if v3 { Version::V3 } else { Version::V2 };
            let tz = TimeZone::get(zone).unwrap();
            let ctx = EncodeContext {
                version,
                home_url: "https://example.com",
                timezone: &tz,
                currency: Currency::parse("USD").unwrap(),
            };
            let order: Vec<String> = CUSTOMER_FIELDS
                .iter()
                .filter(|(_, versions)| versions.contains(&version))
                .map(|(name, _)| (*name).to_owned())
                .collect();
            let mut batch = BatchDto::default();
            for (customer, stats) in &customers {
                let value = as_read(&encode::customer_json(&ctx, customer, stats));
                for answer in [
                    encode::item_answer(&ctx, customer, stats),
                    encode::created_answer(&ctx, customer, stats),
                ] {
                    let text = sent(answer)?;
                    prop_assert_eq!(&serde_json::from_str::<Value>(&text).unwrap(), &value);
                    prop_assert_eq!(&serde_json::from_str::<Keys>(&text).unwrap().0, &order);
                }
                batch.created(&ctx, Ok((customer.clone(), stats.clone())));
                batch.deleted(&ctx, Err(RestError::invalid_id_delete()), customer.id.0);
            }
            let rows = customers.iter().map(|(customer, stats)| (customer, stats));
            let text = sent(encode::list_answer(&ctx, rows, Vec::new()))?;
            let values: Vec<Value> = customers
                .iter()
                .map(|(customer, stats)| encode::customer_json(&ctx, customer, stats))
                .collect();
            prop_assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap(),
                as_read(&Value::Array(values))
            );
            // No item, no operation: `[]`, built as a value.
            let batch_reply = Frame::bare("https://example.com").reply(batch.answer());
            prop_assert_eq!(
                batch_reply.json().map(|body| body.into_owned()),
                Some(as_read(&batch.to_json()))
            );
        }
    }
}
