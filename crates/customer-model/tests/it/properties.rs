//! Properties of the model: validation is idempotent and leaves values within the
//! limits, money round-trips, and no input panics a validator.

use customer_model::money::{format_minor, parse_minor};
use customer_model::testing::{arb_customer_draft, arb_text};
use customer_model::{CustomerDraft, Email, Username, sanitize_user};
use proptest::prelude::*;

proptest! {
    /// A draft that validates yields a customer whose draft validates to the same customer.
    #[test]
    fn validation_is_idempotent(draft in arb_customer_draft()) {
        if let Ok(new) = draft.validate() {
            prop_assert_eq!(new.check_limits(), Ok(()));
            let again = CustomerDraft::from(&new).validate();
            prop_assert_eq!(again, Ok(new));
        }
    }

    /// Formatting minor units and parsing the text back gives the same minor units.
    #[test]
    fn money_round_trips(minor in any::<i64>(), exponent in 0u32..4) {
        let text = format_minor(minor, exponent);
        prop_assert_eq!(parse_minor(&text, exponent), Ok(minor));
    }

    /// Parsing a decimal then formatting it gives the canonical text of the same value.
    #[test]
    fn money_parse_is_exact(whole in 0u32..1_000_000, cents in 0u32..100) {
        let text = format!("{whole}.{cents:02}");
        let minor = parse_minor(&text, 2).unwrap();
        prop_assert_eq!(minor, i64::from(whole) * 100 + i64::from(cents));
        prop_assert_eq!(format_minor(minor, 2), text);
    }

    /// Arbitrary strings never panic the validators, and sanitising is a fixed point.
    #[test]
    fn validators_never_panic(text in "\\PC*", other in arb_text()) {
        let _ = Email::parse(&text);
        let _ = parse_minor(&text, 2);
        let clean = sanitize_user(&text);
        prop_assert_eq!(sanitize_user(&clean), clean.clone());
        if !clean.is_empty() && clean.len() <= 60 {
            prop_assert!(Username::parse(&clean).is_ok());
        }
        let draft = CustomerDraft { email: text, first_name: other, ..CustomerDraft::default() };
        let _ = draft.validate();
    }
}
