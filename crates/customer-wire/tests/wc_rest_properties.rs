//! Round-trip properties of the wc/v2 and wc/v3 codec: what the encoder writes, the
//! decoder reads back the same.

use customer_model::{
    Account, Address, Currency, Customer, CustomerId, CustomerStats, Email, Role, Timestamp,
    Username, Uuid,
};
use customer_wire::wc_rest::Version;
use customer_wire::wc_rest::body::{Operation, decode_update, validate_args};
use customer_wire::wc_rest::encode::{self, EncodeContext};
use customer_wire::wc_rest::params::parse_iso8601;
use customer_wire::wc_rest::values::Params;
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
