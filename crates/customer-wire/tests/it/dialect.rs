//! One customer as each dialect shows it outside a request, and the field tables the
//! encoders document themselves with.

use customer_model::{
    Account, Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, Email,
    OrderStatus, Role, StatusTotals, Username, Uuid,
};
use customer_wire::{Dialect, Showing, easycart, edd, wc_legacy, wc_rest};
use jiff::tz::TimeZone;
use serde_json::Value;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn ada() -> Customer {
    Customer {
        id: CustomerId(7),
        uuid: Uuid::from_u128(7),
        email: Email::parse("ada@example.com").unwrap(),
        additional_emails: Vec::new(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        display_name: "ada".into(),
        account: Some(Account {
            username: Username::parse("ada").unwrap(),
            role: Role::Customer,
            password_hash: None,
        }),
        billing: Address::default(),
        shipping: Address::default(),
        meta_data: Vec::new(),
        avatar_url: None,
        created_at: "2024-01-02T03:04:05Z".parse().unwrap(),
        modified_at: None,
    }
}

fn paying() -> CustomerStats {
    let mut figures = CurrencyStats::empty(usd());
    figures.by_status[OrderStatus::Completed.index()] = StatusTotals {
        orders: 2,
        total: 2_550,
        refunded: 0,
    };
    CustomerStats {
        currencies: vec![figures],
        ..CustomerStats::default()
    }
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(fields: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    let mut fields: Vec<String> = fields.into_iter().map(str::to_owned).collect();
    fields.sort();
    fields
}

#[test]
fn every_dialect_shows_a_customer_with_its_listed_fields() {
    let showing = Showing {
        home_url: "https://example.com",
        timezone: &TimeZone::UTC,
        currency: usd(),
    };
    let (customer, stats) = (ada(), paying());
    for dialect in Dialect::ALL {
        let json = dialect.customer_json(&customer, &stats, showing);
        match dialect {
            Dialect::WcV3 | Dialect::WcV2 => {
                let version = if dialect == Dialect::WcV2 {
                    wc_rest::Version::V2
                } else {
                    wc_rest::Version::V3
                };
                let listed = wc_rest::encode::CUSTOMER_FIELDS
                    .iter()
                    .filter(|(_, versions)| versions.contains(&version))
                    .map(|(name, _)| *name);
                assert_eq!(keys(&json), sorted(listed), "{dialect:?}");
                assert_eq!(
                    json["_links"]["self"][0]["href"],
                    format!(
                        "https://example.com/wp-json/{}/customers/7",
                        version.namespace()
                    )
                );
            }
            Dialect::WcLegacyV3 => {
                assert_eq!(keys(&json), sorted(wc_legacy::encode::CUSTOMER_FIELDS));
                assert_eq!(json["total_spent"], "25.50");
            }
            Dialect::EddV1 | Dialect::EddV2 => {
                let info = if dialect == Dialect::EddV1 {
                    edd::encode::V1_INFO_FIELDS.to_vec()
                } else {
                    edd::encode::V2_INFO_FIELDS.to_vec()
                };
                assert_eq!(keys(&json["info"]), sorted(info), "{dialect:?}");
                assert_eq!(keys(&json["stats"]), sorted(edd::encode::STATS_FIELDS));
                assert_eq!(json["stats"]["total_spent"], 25.5);
            }
            Dialect::EasycartV1 => {
                assert_eq!(keys(&json), sorted(easycart::encode::ITEM_FIELDS));
                assert_eq!(json["lifetime_value"], 2_550);
            }
        }
    }
}
