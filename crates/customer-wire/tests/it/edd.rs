//! EDD: customer shapes of v1 and v2 (JSON and XML snapshots), the totals EDD
//! reports, version and endpoint resolution, and parameter decoding.

use customer_model::{
    Account, Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, Email,
    OrderStatus, PageRequest, Role, StatusTotals, TimeRange, Timestamp, Username, Uuid,
};
use customer_wire::edd::decode::{self, CustomerLookup, CustomersRequest, QueryVars};
use customer_wire::edd::encode::{self, Node, Totals, customers_body, render};
use customer_wire::edd::errors::EddError;
use customer_wire::edd::{Format, Version};
use customer_wire::php::Vars;
use jiff::Zoned;
use proptest::prelude::*;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn customer(id: i64, email: &str, first: &str, last: &str, username: Option<&str>) -> Customer {
    Customer {
        id: CustomerId(id),
        uuid: Uuid::from_u128(id as u128),
        email: Email::parse(email).unwrap(),
        additional_emails: Vec::new(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        display_name: username.map_or_else(String::new, |_| format!("{first} {last}")),
        account: username.map(|u| Account {
            username: Username::parse(u).unwrap(),
            role: Role::Customer,
            password_hash: None,
        }),
        billing: Address::default(),
        shipping: Address::default(),
        meta_data: Vec::new(),
        avatar_url: None,
        created_at: "2014-03-05T10:11:12Z".parse().unwrap(),
        modified_at: None,
    }
}

fn totals(purchases: i64, spent: i64, downloads: i64) -> Totals {
    Totals {
        purchases,
        spent,
        downloads,
        currency: usd(),
    }
}

fn seed_customers() -> Vec<(Customer, Totals)> {
    vec![
        (
            customer(
                1,
                "pippin@pippinsplugins.com",
                "Pippin",
                "Williamson",
                Some("pippin"),
            ),
            totals(61, 113_968, 31),
        ),
        (
            customer(7, "johnson@test.com", "Jim", "Johnson", None),
            totals(2, 2000, 0),
        ),
        (customer(8, "asda@test.com", "", "", None), totals(0, 0, 0)),
    ]
}

fn body(version: Version) -> Node {
    let rows = seed_customers();
    customers_body(version, rows.iter().map(|(c, t)| (c, *t)), 0.0123)
}

#[test]
fn v1_has_the_documented_shape() {
    let json = render(&body(Version::V1), Format::Json);
    assert_eq!(json.content_type, "application/json");
    let rows = seed_customers();
    let text = encode::customers_json(Version::V1, rows.iter().map(|(c, t)| (c, *t)), 0.0123);
    assert_eq!(text, json.text, "written from the records as from the tree");
    insta::assert_snapshot!("v1_customers_json", json.text);
}

#[test]
fn v2_has_current_edds_shape() {
    let rows = seed_customers();
    let mut pippin = rows[0].0.clone();
    pippin.additional_emails = vec![
        Email::parse("pippin@example.org").unwrap(),
        Email::parse("pw@example.net").unwrap(),
    ];
    let mut split = customer(9, "mary@example.com", "Mary Ann", "Smith", None);
    split.created_at = "2015-12-31T23:59:59Z".parse().unwrap();
    let rows = [
        (&pippin, rows[0].1),
        (&rows[1].0, rows[1].1),
        (&split, totals(1, 2550, 4)),
    ];
    let node = customers_body(Version::V2, rows, 0.5);
    let text = render(&node, Format::Json).text;
    assert_eq!(encode::customers_json(Version::V2, rows, 0.5), text);
    insta::assert_snapshot!("v2_customers_json", text);
}

#[test]
fn xml_repeats_customers_and_additional_emails() {
    let rows = seed_customers();
    let mut pippin = rows[0].0.clone();
    pippin.additional_emails = vec![Email::parse("pippin@example.org").unwrap()];
    let v2 = customers_body(Version::V2, [(&pippin, rows[0].1)], 0.25);
    let xml = render(&v2, Format::Xml);
    assert_eq!(xml.content_type, "text/html; charset=UTF-8");
    insta::assert_snapshot!("v2_customers_xml", xml.text);
    insta::assert_snapshot!(
        "v1_customers_xml",
        render(&body(Version::V1), Format::Xml).text
    );
}

#[test]
fn errors_are_single_member_objects() {
    let body = encode::error_body(&EddError::InvalidVersion.to_string(), None);
    assert_eq!(
        render(&body, Format::Json).text,
        "{\n    \"error\": \"Invalid API version!\"\n}"
    );
    assert_eq!(
        render(&body, Format::Xml).text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edd><error>Invalid API version!</error></edd>\n"
    );
    let found = encode::error_body("No customers found!", Some(0.5));
    assert_eq!(
        render(&found, Format::Json).text,
        "{\n    \"error\": \"No customers found!\",\n    \"request_speed\": 0.5\n}"
    );
    let statuses: Vec<u16> = [
        EddError::InvalidVersion,
        EddError::InvalidQuery,
        EddError::MissingCredentials,
        EddError::InvalidKey,
        EddError::NotAuthenticated,
    ]
    .iter()
    .map(EddError::status)
    .collect();
    assert_eq!(statuses, [404, 400, 401, 403, 403]);
}

fn stats_with(figures: &[(OrderStatus, i64, i64, i64)], downloads: i64) -> CustomerStats {
    let mut usd_figures = CurrencyStats::empty(usd());
    for &(status, orders, total, refunded) in figures {
        usd_figures.by_status[status.index()] = StatusTotals {
            orders,
            total,
            refunded,
        };
    }
    let mut eur = CurrencyStats::empty(Currency::parse("EUR").unwrap());
    eur.by_status[OrderStatus::Completed.index()] = StatusTotals {
        orders: 5,
        total: 99_999,
        refunded: 0,
    };
    CustomerStats {
        currencies: vec![eur, usd_figures],
        subscriptions: [0; 7],
        download_count: downloads,
    }
}

#[test]
fn totals_follow_edds_net_and_gross_statuses() {
    let stats = stats_with(
        &[
            (OrderStatus::Completed, 3, 6000, 500),
            (OrderStatus::OnHold, 1, 1000, 0),
            (OrderStatus::Refunded, 1, 2500, 2500),
            (OrderStatus::Processing, 2, 4000, 0),
            (OrderStatus::Pending, 1, 100, 0),
            (OrderStatus::Failed, 1, 100, 0),
            (OrderStatus::Cancelled, 1, 100, 0),
        ],
        7,
    );
    let totals = Totals::from_stats(&stats, usd());
    assert_eq!(totals.purchases, 4, "completed + on hold");
    assert_eq!(
        totals.spent,
        6000 - 500 + 1000,
        "refunded order nets to zero"
    );
    assert_eq!(totals.downloads, 7);
    let nothing = Totals::from_stats(&CustomerStats::default(), usd());
    assert_eq!((nothing.purchases, nothing.spent), (0, 0));
}

#[test]
fn versions_and_endpoints_resolve_like_edd() {
    let v2 = Version::V2;
    let customers = || "customers".to_owned();
    assert_eq!(
        decode::resolve("customers", v2),
        Ok((Version::V2, customers()))
    );
    assert_eq!(
        decode::resolve("customers", Version::V1),
        Ok((Version::V1, customers()))
    );
    assert_eq!(
        decode::resolve("v1/customers", v2),
        Ok((Version::V1, customers()))
    );
    assert_eq!(
        decode::resolve("v2/customers", Version::V1).unwrap().0,
        Version::V2
    );
    assert_eq!(
        decode::resolve("v3/customers", v2),
        Err(EddError::InvalidVersion)
    );
    assert_eq!(
        decode::resolve("customers/", v2),
        Err(EddError::InvalidVersion)
    );
    assert_eq!(
        decode::resolve("V2/customers", v2),
        Err(EddError::InvalidQuery)
    );
    assert_eq!(decode::resolve("v2/sales", v2), Err(EddError::InvalidQuery));
    assert_eq!(decode::resolve("clients", v2), Err(EddError::InvalidQuery));
    assert_eq!(decode::resolve("", v2), Err(EddError::InvalidQuery));
    assert_eq!(
        decode::resolve("/customers", v2),
        Err(EddError::InvalidQuery)
    );

    let path = |p| decode::path_value(p);
    assert_eq!(path("/edd-api/customers/").as_deref(), Some("customers"));
    assert_eq!(
        path("/edd-api/v2/customers").as_deref(),
        Some("v2/customers")
    );
    assert_eq!(path("/edd-api").as_deref(), Some(""));
    assert_eq!(path("/edd-apix/customers"), None);
}

fn vars(query: &str) -> QueryVars {
    QueryVars::merge(&Vars::parse(query.as_bytes()), None).unwrap()
}

fn now() -> Zoned {
    // A Wednesday; Warsaw is UTC+1 in winter.
    "2026-02-18T15:30:00+01:00[Europe/Warsaw]".parse().unwrap()
}

fn decode(version: Version, query: &str) -> Result<CustomersRequest, EddError> {
    decode::decode_customers(version, &vars(query), &now())
}

#[test]
fn body_variables_come_first_and_must_agree() {
    let query = Vars::parse("number=5&key=k".as_bytes());
    let body = Vars::parse("token=t&number=5".as_bytes());
    let merged = QueryVars::merge(&query, Some(&body)).unwrap();
    assert_eq!(merged.credentials(), Some(("k", "t")));
    assert_eq!(merged.get_str("number"), Some("5"));
    let clash = Vars::parse("number=6".as_bytes());
    assert_eq!(
        QueryVars::merge(&query, Some(&clash)),
        Err(EddError::VariableMismatch)
    );
    assert_eq!(vars("key=&token=t").credentials(), None);
    assert_eq!(vars("key=k").credentials(), None);
}

#[test]
fn number_and_page_select_the_slice() {
    let page = |version, q| decode(version, q).unwrap().page;
    assert_eq!(page(Version::V2, ""), PageRequest::page(1, 10));
    assert_eq!(
        page(Version::V2, "number=25&page=3"),
        PageRequest::page(3, 25)
    );
    assert_eq!(page(Version::V2, "number=-1").limit, None);
    assert_eq!(page(Version::V1, "number=0").limit, None);
    assert_eq!(page(Version::V2, "number=0"), PageRequest::page(1, 30));
    assert_eq!(page(Version::V2, "number=-5"), PageRequest::page(1, 5));
    assert_eq!(
        page(Version::V2, "number=2&page=0"),
        PageRequest::page(1, 2)
    );
    assert_eq!(
        page(Version::V2, "number=2&page=abc"),
        PageRequest::page(1, 2)
    );
    assert_eq!(
        page(Version::V2, "number=2&page=2x"),
        PageRequest::page(2, 2)
    );
    assert_eq!(
        page(Version::V2, "number=2&number=4"),
        PageRequest::page(1, 4)
    );
    assert!(matches!(
        decode(Version::V2, "number=ten"),
        Err(EddError::InvalidParameter { name: "number", .. })
    ));
    assert!(matches!(
        decode(Version::V1, "format=yaml"),
        Err(EddError::InvalidParameter { name: "format", .. })
    ));
    assert_eq!(
        decode(Version::V1, "format=xml").unwrap().format,
        Format::Xml
    );
}

fn lookup(version: Version, query: &str) -> Option<CustomerLookup> {
    decode(version, query).unwrap().customer.map(|c| c.lookup)
}

#[test]
fn customer_lookups_per_version() {
    use CustomerLookup::*;
    let v1 = Version::V1;
    let v2 = Version::V2;
    assert_eq!(lookup(v1, "customer=12"), Some(Id(CustomerId(12))));
    assert_eq!(lookup(v1, "customer=a@b.co"), Some(Email("a@b.co".into())));
    assert_eq!(lookup(v1, "customer=bob"), Some(Email("bob".into())));
    assert_eq!(lookup(v1, "customer=1.5"), Some(Nothing));
    assert_eq!(lookup(v1, "customer[id]=4"), Some(Id(CustomerId(4))));
    assert_eq!(
        lookup(v1, "customer[user_id]=4"),
        Some(UserId(CustomerId(4)))
    );
    assert_eq!(
        lookup(v1, "customer[email]=x@y.io"),
        Some(Email("x@y.io".into()))
    );
    assert_eq!(lookup(v1, "customer="), None);
    let zero = decode(v1, "customer=0").unwrap();
    assert!(zero.match_none && zero.customer.is_none());

    assert_eq!(lookup(v2, "customer=12"), Some(Id(CustomerId(12))));
    assert_eq!(lookup(v2, "customer=a@b.co"), Some(Email("a@b.co".into())));
    assert_eq!(lookup(v2, "customer=bob"), None);
    assert_eq!(lookup(v2, "customer=0"), None);
    assert_eq!(lookup(v2, "customer=-3"), Some(Nothing));

    let given = decode(v1, "customer=bob").unwrap().customer.unwrap();
    assert_eq!(
        encode::not_found_message(v1, Some(&given)),
        "Customer bob not found!"
    );
    assert_eq!(
        encode::not_found_message(v2, Some(&given)),
        "Customer not found!"
    );
    assert_eq!(encode::not_found_message(v2, None), "No customers found!");
}

fn created(query: &str) -> TimeRange {
    decode(Version::V2, query).unwrap().created
}

fn at(text: &str) -> Option<Timestamp> {
    Some(text.parse().unwrap())
}

#[test]
fn date_filters_are_whole_local_days() {
    assert_eq!(
        created("date=today"),
        TimeRange {
            from: at("2026-02-17T23:00:00Z"),
            to: at("2026-02-18T22:59:59.999999999Z"),
        }
    );
    let expect = |query, first: &str, last: &str| {
        let range = created(query);
        let local = |t: Option<Timestamp>| {
            t.unwrap()
                .to_zoned(jiff::tz::TimeZone::get("Europe/Warsaw").unwrap())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        assert_eq!(local(range.from), format!("{first} 00:00:00"), "{query}");
        assert_eq!(local(range.to), format!("{last} 23:59:59"), "{query}");
    };
    expect("date=yesterday", "2026-02-17", "2026-02-17");
    expect("date=this_week", "2026-02-16", "2026-02-22");
    expect("date=last_week", "2026-02-09", "2026-02-15");
    expect("date=last_30_days", "2026-01-19", "2026-02-18");
    expect("date=this_month", "2026-02-01", "2026-02-28");
    expect("date=last_month", "2026-01-01", "2026-01-31");
    expect("date=this_quarter", "2026-01-01", "2026-03-31");
    expect("date=last_quarter", "2025-10-01", "2025-12-31");
    expect("date=this_year", "2026-01-01", "2026-12-31");
    expect("date=last_year", "2025-01-01", "2025-12-31");
    expect(
        "date=range&startdate=20250301&enddate=2025-07-04",
        "2025-03-01",
        "2025-07-04",
    );
    expect("date=range&startdate=20250301", "2025-03-01", "2026-02-18");
    // Summer time: the day starts at 22:00 UTC the day before.
    assert_eq!(
        created("date=range&startdate=20250701&enddate=20250701").from,
        at("2025-06-30T22:00:00Z")
    );

    assert!(created("").is_unbounded());
    assert!(created("date=").is_unbounded());
    assert!(
        decode(Version::V1, "date=garbage")
            .unwrap()
            .created
            .is_unbounded()
    );
    assert!(matches!(
        decode(Version::V2, "date=someday"),
        Err(EddError::InvalidParameter { name: "date", .. })
    ));
    assert_eq!(
        decode(Version::V2, "date=range"),
        Err(EddError::MissingParameter { name: "startdate" })
    );
    assert!(matches!(
        decode(Version::V2, "date=range&startdate=2025-13-01"),
        Err(EddError::InvalidParameter {
            name: "startdate",
            ..
        })
    ));
    assert!(matches!(
        decode(Version::V2, "date=range&startdate=20250101&enddate=soon"),
        Err(EddError::InvalidParameter {
            name: "enddate",
            ..
        })
    ));
}

proptest! {
    /// Every amount is written as the JSON number of exactly its decimal value.
    #[test]
    fn amounts_are_exact_json_numbers(minor in -10_000_000_000i64..10_000_000_000) {
        let node = Node::map([("total_spent", Node::Amount(usd().format_minor(minor)))]);
        let text = encode::to_pretty_json(&node);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let written = value["total_spent"].to_string();
        prop_assert_eq!(usd().parse_major(&written).unwrap(), minor, "written as {}", written);
    }

    /// Any text survives PHP-style escaping as the same JSON string.
    #[test]
    fn strings_round_trip_through_json(text in any::<String>()) {
        let node = Node::map([("email", Node::str(text.clone()))]);
        let value: serde_json::Value =
            serde_json::from_str(&encode::to_pretty_json(&node)).unwrap();
        prop_assert_eq!(value["email"].as_str(), Some(text.as_str()));
    }

    /// Pretty printing changes only whitespace: parsed, it equals the plain JSON value.
    #[test]
    fn pretty_json_is_plain_json(names in proptest::collection::vec("[a-z@. ]{0,12}", 0..5)) {
        let node = Node::map([(
            "customers",
            Node::list(names.iter().map(|n| Node::map([("n", Node::str(n.clone()))])).collect()),
        )]);
        let value: serde_json::Value =
            serde_json::from_str(&encode::to_pretty_json(&node)).unwrap();
        let expected = serde_json::json!({
            "customers": names.iter().map(|n| serde_json::json!({"n": n})).collect::<Vec<_>>()
        });
        prop_assert_eq!(value, expected);
    }
}

/// How many `<name>` elements an XML document has.
fn xml_count(xml: &str, name: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut count = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(start) if start.name().as_ref() == name => count += 1,
            quick_xml::events::Event::Eof => return count,
            _ => {}
        }
    }
}

/// The texts of every leaf `<name>` element of an XML document, unescaped; panics when
/// the document is not well-formed.
fn xml_texts(xml: &str, name: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut texts = Vec::new();
    let mut raw: Option<String> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) if start.name().as_ref() == name => raw = Some(String::new()),
            Event::Start(_) => raw = None,
            Event::Text(text) => {
                if let Some(raw) = raw.as_mut() {
                    raw.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(raw) = raw.as_mut() {
                    raw.push_str(&format!("&{};", &*reference));
                }
            }
            Event::End(_) => {
                if let Some(raw) = raw.take() {
                    texts.push(quick_xml::escape::unescape(&raw).unwrap().into_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    texts
}

proptest! {
    /// Any printable names give well-formed XML with one `<customers>` per customer and
    /// the names back after unescaping.
    #[test]
    fn xml_is_well_formed_for_any_names(
        names in proptest::collection::vec("\\PC{0,20}", 0..4),
        version in proptest::sample::select(vec![Version::V1, Version::V2]),
    ) {
        let customers: Vec<Customer> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut c = customer(i as i64 + 1, "a@example.com", "", "", Some("user"));
                c.display_name = name.clone();
                c
            })
            .collect();
        let node = customers_body(version, customers.iter().map(|c| (c, totals(1, 5, 0))), 0.1);
        let xml = render(&node, Format::Xml).text;
        prop_assert_eq!(xml_count(&xml, "customers"), names.len());
        prop_assert_eq!(xml_texts(&xml, "display_name"), names);
    }
}

mod serialized_answers {
    //! The JSON customers answer is written from typed objects, not from the [`Node`]
    //! tree; for generated customers it must be, byte for byte, the text the tree's
    //! writer gives (PHP's escapes, amounts and timing floats included).

    use customer_model::{Currency, PageRequest, TimeRange};
    use customer_wire::Body;
    use customer_wire::edd::decode::CustomersRequest;
    use customer_wire::edd::encode::{self, Totals, customers_body, render};
    use customer_wire::edd::{Format, Version};
    use proptest::prelude::*;

    use crate::generated::{customer, keys_of};

    /// Timings of every float form PHP writes differently, and any other.
    fn request_speed() -> impl Strategy<Value = f64> {
        prop_oneof![
            prop::sample::select(vec![
                0.0,
                -0.0,
                0.0123450756072998,
                0.00001,
                0.00012,
                2.0,
                1.5e20,
                1e15,
                5e-324,
                f64::INFINITY,
                f64::NAN,
            ]),
            0.0f64..10.0,
            any::<f64>(),
        ]
    }

    fn request(version: Version, format: Format) -> CustomersRequest {
        CustomersRequest {
            version,
            format,
            page: PageRequest::default(),
            customer: None,
            match_none: false,
            created: TimeRange::default(),
        }
    }

    proptest! {
        /// Lists of customers of any text, registered or guests, with any figures in a
        /// currency of 0, 2 or 3 decimals: the text written from the records is the
        /// tree's, in both versions; its JSON is the tree's JSON; XML still comes from the
        /// tree.
        #[test]
        fn customers_json_is_the_trees_text(
            customers in proptest::collection::vec(customer(), 0..4),
            v2 in any::<bool>(),
            code in prop::sample::select(vec!["USD", "JPY", "KWD"]),
            speed in request_speed(),
        ) {
            let version = if v2 { Version::V2 } else { Version::V1 };
            let currency = Currency::parse(code).unwrap();
            let rows: Vec<_> = customers
                .iter()
                .map(|(record, stats)| (record, Totals::from_stats(stats, currency)))
                .collect();
            let node = customers_body(version, rows.iter().copied(), speed);
            let tree_text = render(&node, Format::Json).text;
            let text = encode::customers_json(version, rows.iter().copied(), speed);
            prop_assert_eq!(&text, &tree_text);
            prop_assert!(text.is_ascii(), "PHP escapes everything beyond ASCII");
            prop_assert_eq!(keys_of(&text), ["customers", "request_speed"]);
            // The customers read back as the tree's JSON values (amounts have few
            // digits, which serde_json reads exactly). The timing is left to the byte
            // comparison above: PHP may write a float in other digits than serde_json,
            // and serde_json's reader may land one unit off on long ones.
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&value["customers"], &node.to_json()["customers"]);

            let stats = customers.iter().map(|(record, stats)| (record, stats));
            let reply = encode::customers_reply(&request(version, Format::Json), stats, currency, speed);
            prop_assert_eq!(reply.header("Content-Type"), Some("application/json"));
            prop_assert_eq!(reply.body, Body::Text(tree_text));
            let stats = customers.iter().map(|(record, stats)| (record, stats));
            let xml = encode::customers_reply(&request(version, Format::Xml), stats, currency, speed);
            prop_assert_eq!(xml.body, Body::Text(render(&node, Format::Xml).text));
        }
    }
}
