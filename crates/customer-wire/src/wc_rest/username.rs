//! WooCommerce's username generation for API-created customers (`wc_create_new_username`
//! without first/last names): the e-mail's local part, or its domain when the local
//! part is a generic mailbox (`sales`, `hello`, `mail`, `contact`, `info`), cleaned by
//! the strict `sanitize_user` and lower-cased. When the name is taken WooCommerce appends
//! `-NNNN` (a random number, zero-padded to four digits) and tries again.

use customer_model::sanitize_user;

/// The first username WooCommerce tries for `email`.
pub fn base_username(email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    let source = if ["sales", "hello", "mail", "contact", "info"].contains(&local) {
        domain
    } else {
        local
    };
    sanitize_user(source).to_lowercase()
}

/// The candidate after a collision: `base-NNNN`.
pub fn with_suffix(base: &str, number: u16) -> String {
    format!("{base}-{:04}", number % 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_like_woocommerce() {
        assert_eq!(base_username("John.Doe@example.com"), "john.doe");
        assert_eq!(base_username("info@acme.com"), "acme.com");
        assert_eq!(base_username("jo+tag@example.com"), "jotag");
        assert_eq!(with_suffix("john.doe", 42), "john.doe-0042");
    }
}
