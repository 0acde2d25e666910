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
    insta::assert_json_snapshot!("orders", answer.body);
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
    insta::assert_json_snapshot!("downloads", answer.body);
}

#[test]
fn small_bodies() {
    insta::assert_json_snapshot!(
        "small_bodies",
        json!({
            "count": encode::count_answer(10).body,
            "deleted": encode::deleted_answer().body,
            "bulk_item_error": encode::bulk_answer(vec![(0, Err(LegacyError::email_exists()))], false).body["customers"][0],
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
