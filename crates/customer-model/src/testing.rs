//! proptest strategies shared by every crate's property tests (feature `testing`).

use proptest::prelude::*;

use crate::customer::{Address, CustomerDraft};

/// E-mail addresses that WordPress accepts.
pub fn arb_email() -> impl Strategy<Value = String> {
    ("[a-z0-9][a-z0-9._+-]{0,12}", "[a-z0-9]{1,10}", "[a-z]{2,6}")
        .prop_map(|(local, host, tld)| format!("{local}@{host}.{tld}"))
}

/// Strings that include the awkward cases: empty, spaces, accents, markup, entities.
pub fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z ]{0,20}",
        "\\PC{0,30}",
        Just("<b>x</b> &amp; %20 é".to_owned()),
    ]
}

/// Addresses of arbitrary text with a billing e-mail that is empty or valid.
pub fn arb_address() -> impl Strategy<Value = Address> {
    (
        arb_text(),
        arb_text(),
        arb_text(),
        arb_text(),
        prop_oneof![Just(String::new()), arb_email()],
        "[+0-9 ()-]{0,15}",
    )
        .prop_map(
            |(first_name, last_name, company, city, email, phone)| Address {
                first_name,
                last_name,
                company,
                city,
                email,
                phone,
                country: "US".into(),
                ..Address::default()
            },
        )
}

/// Drafts that may or may not validate.
pub fn arb_customer_draft() -> impl Strategy<Value = CustomerDraft> {
    (
        prop_oneof![arb_email(), arb_text()],
        proptest::collection::vec(arb_email(), 0..3),
        arb_text(),
        arb_text(),
        proptest::option::of(prop_oneof!["[a-z][a-z0-9._-]{0,15}", arb_text()]),
        arb_address(),
        arb_address(),
    )
        .prop_map(
            |(email, additional_emails, first_name, last_name, username, billing, shipping)| {
                CustomerDraft {
                    email,
                    additional_emails,
                    first_name,
                    last_name,
                    username,
                    billing,
                    shipping,
                    ..CustomerDraft::default()
                }
            },
        )
}
