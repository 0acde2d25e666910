//! wc-api/v3: snapshots of every shape (customer, list, order, download, count, delete,
//! errors, pagination headers) built from the seed's example customer, and properties of
//! the request decoders.

use customer_model::{
    Account, Address, Currency, CurrencyStats, Customer, CustomerId, CustomerStats, DownloadFile,
    DownloadGrant, Email, LineItem, Order, OrderId, OrderRef, OrderStatus, PageRequest, ProductId,
    Role, StatusTotals, Timestamp, Username, Uuid,
};
use customer_wire::php::Vars;
use customer_wire::wc_legacy::decode;
use customer_wire::wc_legacy::encode;
use customer_wire::wc_legacy::errors::{Action, LegacyError};
use customer_wire::wc_legacy::pagination::{self, LinkBase};
use customer_wire::woo::Download;
use proptest::prelude::*;
use serde_json::json;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn john() -> Customer {
    let address = Address {
        first_name: "John".into(),
        last_name: "Doe".into(),
        address_1: "969 Market".into(),
        city: "San Francisco".into(),
        state: "CA".into(),
        postcode: "94103".into(),
        country: "US".into(),
        email: "john.doe@example.com".into(),
        phone: "(555) 555-5555".into(),
        ..Address::default()
    };
    Customer {
        id: CustomerId(2),
        uuid: Uuid::from_u128(2),
        email: Email::parse("john.doe@example.com").unwrap(),
        additional_emails: Vec::new(),
        first_name: "John".into(),
        last_name: "Doe".into(),
        display_name: "john.doe".into(),
        account: Some(Account {
            username: Username::parse("john.doe").unwrap(),
            role: Role::Customer,
            password_hash: None,
        }),
        billing: address.clone(),
        shipping: Address {
            email: String::new(),
            phone: String::new(),
            ..address
        },
        meta_data: Vec::new(),
        avatar_url: None,
        created_at: at("2015-01-05T18:34:19Z"),
        modified_at: None,
    }
}

/// Ten orders: nine completed ones worth 1034.58 in all, one pending, the last #123.
fn john_stats() -> CustomerStats {
    let mut usd_stats = CurrencyStats::empty(usd());
    usd_stats.by_status[OrderStatus::Completed.index()] = StatusTotals {
        orders: 9,
        total: 103_458,
        refunded: 1_000,
    };
    usd_stats.by_status[OrderStatus::Pending.index()] = StatusTotals {
        orders: 1,
        total: 5_000,
        refunded: 0,
    };
    usd_stats.last_order = Some(OrderRef {
        id: OrderId(123),
        at: at("2015-01-14T16:47:30Z"),
    });
    CustomerStats {
        currencies: vec![usd_stats],
        ..CustomerStats::default()
    }
}

fn order_531() -> Order {
    let customer = john();
    Order {
        id: OrderId(531),
        uuid: Uuid::from_u128(0x9999_9999_9999_9999_9999_9999_9999_9999),
        customer_id: customer.id,
        status: OrderStatus::OnHold,
        currency: usd(),
        total: 3_000,
        subtotal: 2_000,
        total_tax: 0,
        shipping_total: 1_000,
        discount_total: 0,
        payment_method: "bacs".into(),
        payment_method_title: "Direct Bank Transfer".into(),
        created_at: at("2015-01-21T12:02:13Z"),
        paid_at: None,
        completed_at: None,
        billing: customer.billing.clone(),
        shipping: customer.shipping.clone(),
        line_items: vec![LineItem {
            id: 417,
            product_id: Some(ProductId(19)),
            name: "Premium Quality".into(),
            quantity: 1,
            total: 2_000,
        }],
        refunds: Vec::new(),
    }
}

#[test]
fn customer_shape() {
    let object = encode::customer(&john(), &john_stats());
    insta::assert_json_snapshot!("customer", encode::customer_envelope(object));
}

#[test]
fn customer_without_orders_shape() {
    let object = encode::customer(&john(), &CustomerStats::default());
    assert_eq!(object["total_spent"], "0.00");
    assert_eq!(object["last_order_id"], json!(null));
    insta::assert_json_snapshot!("customer_without_orders", object);
}

#[test]
fn list_shape_with_fields() {
    let mut first = encode::customer(&john(), &john_stats());
    encode::filter_fields(
        &mut first,
        "id,email,billing_address.city,shipping_address.city",
    );
    insta::assert_json_snapshot!("list_with_fields", encode::customers_envelope(vec![first]));
}

#[test]
fn order_shape() {
    let stats = john_stats();
    let answer = encode::orders_answer(
        (&john(), &stats),
        &[order_531()],
        "https://example.com",
        "",
        Vec::new(),
    );
    insta::assert_json_snapshot!("orders", answer.json());
}

#[test]
fn download_shape() {
    let grant = DownloadGrant {
        id: 1,
        download_id: "99999999999999999999999999999999".into(),
        customer_id: CustomerId(2),
        order_id: OrderId(532),
        product_id: ProductId(96),
        downloads_remaining: Some(5),
        access_expires: None,
        download_count: 0,
    };
    let file = DownloadFile {
        id: grant.download_id.clone(),
        name: "Woo Album".into(),
        url: "http://example.com/wp-content/uploads/woocommerce_uploads/2015/01/album.zip".into(),
    };
    let view = Download {
        grant: &grant,
        product_name: "Woo Album #4",
        file: &file,
        order_uuid: Uuid::from_u128(0x9999_9999_9999_9999_9999_9999_9999_9999),
    };
    let answer = encode::downloads_answer(
        [view],
        "john.doe@example.com",
        "https://example.com",
        at("2026-01-01T00:00:00Z"),
    );
    insta::assert_json_snapshot!("downloads", answer.json());
}

#[test]
fn small_bodies() {
    insta::assert_json_snapshot!(
        "small_bodies",
        json!({
            "count": encode::count_answer(10).json(),
            "deleted": encode::deleted_answer().json(),
            "bulk_item_error": encode::bulk_answer(vec![(0, Err(LegacyError::email_exists()))], false).json()["customers"][0],
            "jsonp_invalid": encode::jsonp_callback_invalid_body(),
        })
    );
}

#[test]
fn error_catalogue() {
    let errors = [
        LegacyError::no_route(),
        LegacyError::unsupported_method(),
        LegacyError::invalid_customer_id(),
        LegacyError::invalid_customer(),
        LegacyError::invalid_customer_email(),
        LegacyError::missing_customer_data(Action::Create),
        LegacyError::missing_customer_data(Action::Edit),
        LegacyError::missing_customer_email(),
        LegacyError::missing_customers_data(),
        LegacyError::bulk_too_large(),
        LegacyError::invalid_email(),
        LegacyError::registration_invalid_email(),
        LegacyError::email_exists(),
        LegacyError::invalid_username(),
        LegacyError::username_exists(),
        LegacyError::invalid_billing_email(),
        LegacyError::invalid_customer().with_status(400),
    ];
    let catalogue: Vec<_> = errors
        .iter()
        .map(|e| json!({"status": e.status, "body": e.body()}))
        .collect();
    insta::assert_json_snapshot!("errors", catalogue);
}

fn link() -> LinkBase<'static> {
    LinkBase {
        scheme: "https",
        host: "example.com",
        path: "/wc-api/v3/customers",
        query: "filter%5Blimit%5D=2&page=2&filter%5Blimit%5D=2",
    }
}

#[test]
fn pagination_headers() {
    let page = PageRequest::page(2, 2);
    insta::assert_debug_snapshot!(
        "pagination_middle_page",
        pagination::list_pagination_headers(5, page, 2, &link())
    );
    // One row on the page: no links; an empty result: `last` points at page 0.
    insta::assert_debug_snapshot!(
        "pagination_single_and_empty",
        (
            pagination::list_pagination_headers(5, page, 1, &link()),
            pagination::list_pagination_headers(0, PageRequest::page(1, 10), 0, &link()),
        )
    );
    let offset = PageRequest {
        offset: 5,
        limit: Some(10),
    };
    insta::assert_debug_snapshot!(
        "pagination_fractional_page",
        pagination::list_pagination_headers(30, offset, 10, &link())
    );
}

#[test]
fn list_query_defaults_and_filters() {
    let defaults = decode::decode_list(&Vars::default());
    insta::assert_debug_snapshot!("list_query_defaults", defaults);
    let filtered = decode::decode_list(&Vars::parse(
        b"filter[role]=all&filter[q]=*doe*&filter[limit]=5&filter[offset]=3&page=9\
         &filter[order]=desc&filter[orderby]=login&filter[created_at_min]=2015-01-01",
    ));
    insta::assert_debug_snapshot!("list_query_filtered", filtered);
    assert!(
        decode::decode_list(&Vars::parse(b"filter[role]=king"))
            .query
            .is_none()
    );
}

/// Text that cleaning leaves alone (names are cleaned like `sanitize_text_field`).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Za-z0-9]{1,8}( [A-Za-z0-9]{1,8})?"]
}

proptest! {
    /// What the codec writes for a customer's names and addresses, sent back as an edit
    /// payload, decodes to a patch that changes nothing.
    #[test]
    fn encoded_customers_decode_to_the_same_data(
        first in text(), last in text(), city in text(), company in text(), phone in text()
    ) {
        let mut customer = john();
        customer.first_name = first;
        customer.last_name = last;
        customer.billing.city = city.clone();
        customer.billing.company = company;
        customer.billing.phone = phone;
        customer.shipping.city = city;
        let object = encode::customer(&customer, &CustomerStats::default());
        let input = decode::decode_customer(&object).unwrap();
        let patch = input.patch().unwrap();
        let mut billing = customer.billing.clone();
        billing.apply(patch.billing.as_ref().unwrap());
        let mut shipping = customer.shipping.clone();
        shipping.apply(patch.shipping.as_ref().unwrap());
        prop_assert_eq!(billing, customer.billing.clone());
        prop_assert_eq!(shipping, customer.shipping.clone());
        prop_assert_eq!(patch.first_name.as_deref(), Some(customer.first_name.as_str()));
        prop_assert_eq!(patch.last_name.as_deref(), Some(customer.last_name.as_str()));
        prop_assert_eq!(patch.email.as_ref(), Some(&customer.email));
    }

    /// `fields` never adds keys and keeps exactly the named top-level ones.
    #[test]
    fn fields_keep_only_named_keys(names in proptest::sample::subsequence(
        vec!["id", "email", "first_name", "total_spent", "orders_count", "nope"], 1..5)
    ) {
        let mut object = encode::customer(&john(), &john_stats());
        encode::filter_fields(&mut object, &names.join(","));
        let kept: Vec<&String> = object.as_object().unwrap().keys().collect();
        for key in &kept {
            prop_assert!(names.contains(&key.as_str()));
        }
        prop_assert_eq!(kept.len(), names.iter().filter(|n| **n != "nope").count());
    }

    /// Page sizes: `-1` is all, other numbers their absolute value, garbage or 0 the default
    /// or all, and the offset is always page × size unless given.
    #[test]
    fn page_arithmetic(limit in -3i64..50, page in 0u64..20) {
        let query = Vars::parse(format!("filter[limit]={limit}&page={page}").as_bytes());
        let request = decode::decode_list(&query).query.unwrap();
        match limit {
            -1 => prop_assert_eq!(request.page, PageRequest { offset: 0, limit: None }),
            0 => prop_assert_eq!(request.page, PageRequest::page(page.max(1), 10)),
            n => prop_assert_eq!(request.page, PageRequest::page(page.max(1), n.unsigned_abs())),
        }
    }
}

mod serialized_answers {
    //! Answers serialize typed objects straight to text. For generated customers,
    //! orders and downloads, that text must be the JSON the answers built as trees
    //! before (`previous`, kept here as the reference), keys in the original's order.

    use customer_model::{CustomerId, Order};
    use customer_wire::Body;
    use customer_wire::request::Incoming;
    use customer_wire::wc_legacy::decode::LegacyRequest;
    use customer_wire::wc_legacy::encode::{self, Answer, BulkOutcome, CUSTOMER_FIELDS};
    use customer_wire::wc_legacy::errors::LegacyError;
    use customer_wire::woo::Download;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::Value;
    use serde_json::value::RawValue;

    use crate::generated::{as_read, customer, download, instant, keys_of, order};

    /// The tree builders the answers used before they serialized typed objects, as they
    /// were (only the module paths differ).
    mod previous {
        use customer_model::{Address, Customer, CustomerStats, Order, Role, Timestamp};
        use customer_wire::wc_legacy::encode::format_datetime;
        use customer_wire::woo::{self, Download};
        use serde_json::{Map, Value, json};

        const DECIMALS: u32 = 2;

        pub(super) fn customer(customer: &Customer, stats: &CustomerStats) -> Value {
            let last_order = stats.last_order();
            let orders_count: i64 = stats.currencies.iter().map(|c| c.orders()).sum();
            let spent: Vec<(i64, u32)> = stats
                .currencies
                .iter()
                .map(|c| (c.paid_total(), c.currency.exponent()))
                .collect();
            let account = customer.account.as_ref();
            json!({
                "id": customer.id.0,
                "created_at": format_datetime(customer.created_at),
                "last_update": format_datetime(customer.modified_at.unwrap_or(Timestamp::UNIX_EPOCH)),
                "email": customer.email.as_str(),
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "username": account.map_or("", |a| a.username.as_str()),
                "role": account.map_or(Role::Customer, |a| a.role).as_str(),
                "last_order_id": last_order.map(|o| o.id.0),
                "last_order_date": last_order.map(|o| format_datetime(o.at)),
                "orders_count": orders_count,
                "total_spent": woo::format_decimal_sum(&spent, DECIMALS),
                "avatar_url": customer
                    .avatar_url
                    .clone()
                    .unwrap_or_else(|| woo::gravatar_url(customer.email.as_str(), woo::DEFAULT_AVATAR_SIZE)),
                "billing_address": billing_address(&customer.billing),
                "shipping_address": shipping_address(&customer.shipping),
            })
        }

        fn billing_address(address: &Address) -> Value {
            let map: Map<String, Value> = address
                .fields()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), Value::from(value)))
                .collect();
            Value::Object(map)
        }

        fn shipping_address(address: &Address) -> Value {
            let map: Map<String, Value> = address
                .fields()
                .into_iter()
                .filter(|(name, _)| !matches!(*name, "email" | "phone"))
                .map(|(name, value)| (name.to_owned(), Value::from(value)))
                .collect();
            Value::Object(map)
        }

        pub(super) fn order(order: &Order, customer: Value, home_url: &str) -> Value {
            let exponent = order.currency.exponent();
            let money = |minor: i64| woo::format_decimal(minor, exponent, DECIMALS);
            let updated_at = [order.paid_at, order.completed_at]
                .into_iter()
                .flatten()
                .chain(order.refunds.iter().map(|r| r.created_at))
                .fold(order.created_at, Timestamp::max);
            let line_items: Vec<Value> = order
                .line_items
                .iter()
                .map(|line| {
                    let price = if line.quantity == 0 {
                        money(0)
                    } else {
                        woo::format_ratio(
                            i128::from(line.total),
                            i128::from(line.quantity) * 10i128.pow(exponent),
                            DECIMALS,
                        )
                    };
                    json!({
                        "id": line.id,
                        "subtotal": money(line.total),
                        "subtotal_tax": money(0),
                        "total": money(line.total),
                        "total_tax": money(0),
                        "price": price,
                        "quantity": line.quantity,
                        "tax_class": null,
                        "name": line.name,
                        "product_id": line.product_id.map(|p| p.0),
                        "sku": if line.product_id.is_some() { Value::from("") } else { Value::Null },
                        "meta": [],
                    })
                })
                .collect();
            json!({
                "id": order.id.0,
                "order_number": order.id.0,
                "order_key": woo::order_key(order.uuid),
                "created_at": format_datetime(order.created_at),
                "updated_at": format_datetime(updated_at),
                "completed_at": format_datetime(order.completed_at.unwrap_or(Timestamp::UNIX_EPOCH)),
                "status": order.status.as_str(),
                "currency": order.currency.code(),
                "total": money(order.total),
                "subtotal": money(order.subtotal),
                "total_line_items_quantity": order.line_items.iter().map(|l| l.quantity).sum::<i64>(),
                "total_tax": money(order.total_tax),
                "total_shipping": money(order.shipping_total),
                "cart_tax": money(order.total_tax),
                "shipping_tax": money(0),
                "total_discount": money(order.discount_total),
                "shipping_methods": "",
                "payment_details": {
                    "method_id": order.payment_method,
                    "method_title": order.payment_method_title,
                    "paid": order.paid_at.is_some(),
                },
                "billing_address": billing_address(&order.billing),
                "shipping_address": shipping_address(&order.shipping),
                "note": "",
                "customer_ip": "",
                "customer_user_agent": "",
                "customer_id": order.customer_id.0,
                "view_order_url": format!("{home_url}/my-account/view-order/{}", order.id.0),
                "line_items": line_items,
                "shipping_lines": [],
                "tax_lines": [],
                "fee_lines": [],
                "coupon_lines": [],
                "customer": customer,
            })
        }

        pub(super) fn download(view: Download<'_>, email: &str, home_url: &str) -> Value {
            let order_key = view.order_key();
            let email: String = form_urlencoded::byte_serialize(email.as_bytes()).collect();
            json!({
                "download_url": format!(
                    "{home_url}/?download_file={}&order={order_key}&email={email}&key={}",
                    view.grant.product_id.0, view.grant.download_id
                ),
                "download_id": view.grant.download_id,
                "product_id": view.grant.product_id.0,
                "download_name": view.name(),
                "order_id": view.grant.order_id.0,
                "order_key": order_key,
                "downloads_remaining": view.grant.downloads_remaining.map_or_else(String::new, |n| n.to_string()),
                "access_expires": view.grant.access_expires.map(format_datetime),
                "file": { "name": view.file.name, "file": view.file.url },
            })
        }
    }

    /// The whole answer's JSON as sent to a plain request (no callback, not `HEAD`),
    /// and whether it went out as serialized text.
    fn sent(answer: Answer) -> (Value, bool) {
        let reply = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers")).reply(answer);
        let serialized = matches!(reply.body, Body::JsonText(_));
        let json = reply.json().expect("a JSON body").into_owned();
        (json, serialized)
    }

    /// The text of the customer object inside `{"customer": …}`, as written.
    fn inner_customer(text: &str) -> String {
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(borrow)]
            customer: &'a RawValue,
        }
        serde_json::from_str::<Envelope<'_>>(text)
            .unwrap()
            .customer
            .get()
            .to_owned()
    }

    fn fields() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "",
            "id,email",
            "id,billing_address.city,shipping_address.country,nope",
            "customer.email,line_items.0,total",
            "billing_address",
        ])
    }

    proptest! {
        /// Items, creations, edits, lists, orders, downloads and bulk results are the
        /// JSON the trees were, with `fields` or without; unfiltered, they are sent as
        /// serialized text, the customer's keys in [`CUSTOMER_FIELDS`] order, and JSONP
        /// wraps that very text.
        #[test]
        fn answers_are_the_trees_they_were(
            customers in proptest::collection::vec(customer(), 1..4),
            orders in proptest::collection::vec(order(CustomerId(7)), 0..3),
            downloads in proptest::collection::vec(download(CustomerId(7)), 0..3),
            now in instant(),
            fields in fields(),
        ) {
            let home = "https://example.com/shop";
            let filtered = |mut tree: Value| {
                encode::filter_fields(&mut tree, fields);
                tree
            };
            let unfiltered = fields.is_empty();
            for (record, stats) in &customers {
                let object = previous::customer(record, stats);
                let (json, serialized) = sent(encode::customer_answer(record, stats, fields));
                prop_assert_eq!(json, as_read(&serde_json::json!({ "customer": filtered(object.clone()) })));
                prop_assert_eq!(serialized, unfiltered);
                for created in [true, false] {
                    let answer = encode::written_answer(record, stats, created);
                    prop_assert_eq!(answer.status, if created { 201 } else { 200 });
                    let reply = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers")).reply(answer.clone());
                    let Body::JsonText(text) = &reply.body else {
                        return Err(TestCaseError::fail("not serialized text"));
                    };
                    prop_assert_eq!(serde_json::from_str::<Value>(text).unwrap(), as_read(&serde_json::json!({ "customer": object })));
                    prop_assert_eq!(keys_of(&inner_customer(text)), CUSTOMER_FIELDS.map(str::to_owned));
                    let jsonp = LegacyRequest::read(&Incoming::get("/wc-api/v3/customers?_jsonp=cb.x")).reply(answer);
                    prop_assert_eq!(jsonp.body, Body::Text(format!("/**/cb.x({text})")));
                }
            }
            let rows = customers.iter().map(|(record, stats)| (record, stats));
            let (json, serialized) = sent(encode::list_answer(rows, fields, Vec::new()));
            let trees: Vec<Value> = customers
                .iter()
                .map(|(record, stats)| filtered(previous::customer(record, stats)))
                .collect();
            prop_assert_eq!(json, as_read(&serde_json::json!({ "customers": trees })));
            prop_assert_eq!(serialized, unfiltered);

            let (buyer, buyer_stats) = &customers[0];
            let (json, serialized) = sent(encode::orders_answer((buyer, buyer_stats), &orders, home, fields, Vec::new()));
            let buyer_tree = previous::customer(buyer, buyer_stats);
            let trees: Vec<Value> = orders
                .iter()
                .map(|record: &Order| filtered(previous::order(record, buyer_tree.clone(), home)))
                .collect();
            prop_assert_eq!(json, as_read(&serde_json::json!({ "orders": trees })));
            prop_assert_eq!(serialized, unfiltered);

            let views: Vec<Download<'_>> = downloads
                .iter()
                .map(|(grant, file, product_name, order_uuid)| Download {
                    grant,
                    product_name,
                    file,
                    order_uuid: *order_uuid,
                })
                .collect();
            let email = buyer.email.as_str();
            let (json, serialized) = sent(encode::downloads_answer(views.iter().copied(), email, home, now));
            let trees: Vec<Value> = views
                .iter()
                .filter(|view| view.is_available(now))
                .map(|view| previous::download(*view, email, home))
                .collect();
            prop_assert_eq!(json, as_read(&serde_json::json!({ "downloads": trees })));
            prop_assert!(serialized);

            let error = LegacyError::email_exists();
            let items: Vec<(i64, BulkOutcome)> = customers
                .iter()
                .enumerate()
                .map(|(i, (record, stats))| {
                    let id = i64::try_from(i).unwrap();
                    if i % 2 == 1 { (id, Err(error.clone())) } else { (id, Ok((record.clone(), stats.clone()))) }
                })
                .collect();
            let results: Vec<Value> = items
                .iter()
                .map(|(id, outcome)| match outcome {
                    Ok((record, stats)) => previous::customer(record, stats),
                    Err(error) => serde_json::json!({ "id": id, "error": error.to_json() }),
                })
                .collect();
            let answer = encode::bulk_answer(items, false);
            prop_assert_eq!(answer.status, 200);
            let (json, serialized) = sent(answer);
            prop_assert_eq!(json, as_read(&serde_json::json!({ "customers": results })));
            prop_assert!(serialized);
        }
    }
}
