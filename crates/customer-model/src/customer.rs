//! Customers: the canonical record, its account, addresses and meta data, and the inputs
//! that create and change it.
//!
//! A customer with an [`Account`] is a registered user (WooCommerce lists only those); one
//! without is a guest who bought something (EDD and easycart list guests too).

use jiff::Timestamp;
use uuid::Uuid;

use crate::email::Email;
use crate::limits::{self, StoredText};
use crate::username::{InvalidUsername, Username};
use crate::validate::{Errors, FieldError, FieldErrorKind};

/// The positive integer id of a customer: the WooCommerce user id and the EDD customer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub i64);

/// A WordPress role. clientele knows the roles of a default WordPress + WooCommerce site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `administrator`
    Administrator,
    /// `editor`
    Editor,
    /// `author`
    Author,
    /// `contributor`
    Contributor,
    /// `subscriber`
    Subscriber,
    /// `customer`, WooCommerce's default for new customers.
    Customer,
    /// `shop_manager`
    ShopManager,
}

impl Role {
    /// Every role, in WordPress's order of registration.
    pub const ALL: [Role; 7] = [
        Role::Administrator,
        Role::Editor,
        Role::Author,
        Role::Contributor,
        Role::Subscriber,
        Role::Customer,
        Role::ShopManager,
    ];

    /// The role's slug.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Editor => "editor",
            Self::Author => "author",
            Self::Contributor => "contributor",
            Self::Subscriber => "subscriber",
            Self::Customer => "customer",
            Self::ShopManager => "shop_manager",
        }
    }

    /// The role named by `slug` (exact, lower case).
    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == slug)
    }

    /// Every slug, for error messages.
    pub fn slugs() -> Vec<&'static str> {
        Self::ALL.iter().map(|role| role.as_str()).collect()
    }
}

/// A registered user's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub username: Username,
    /// The user's role.
    pub role: Role,
    /// A PHC-format password hash, when a password was set. Never a plain password.
    pub password_hash: Option<String>,
}

/// A postal address with contact details, as WooCommerce keeps billing and shipping.
/// Every field is a string, empty when unset. `email` is used for billing only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: String,
    /// First address line.
    pub address_1: String,
    /// Second address line.
    pub address_2: String,
    /// City.
    pub city: String,
    /// State, province or county code.
    pub state: String,
    /// Postal code.
    pub postcode: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// E-mail address (billing; empty or valid by `is_email`).
    pub email: String,
    /// Phone number.
    pub phone: String,
}

impl Address {
    /// The fields as (name, value) pairs in a fixed order, for storage and search.
    pub fn fields(&self) -> [(&'static str, &str); 11] {
        [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("company", &self.company),
            ("address_1", &self.address_1),
            ("address_2", &self.address_2),
            ("city", &self.city),
            ("state", &self.state),
            ("postcode", &self.postcode),
            ("country", &self.country),
            ("email", &self.email),
            ("phone", &self.phone),
        ]
    }

    /// Applies a partial change: fields present in `patch` replace those here.
    pub fn apply(&mut self, patch: &AddressPatch) {
        let slots: [(&mut String, &Option<String>); 11] = [
            (&mut self.first_name, &patch.first_name),
            (&mut self.last_name, &patch.last_name),
            (&mut self.company, &patch.company),
            (&mut self.address_1, &patch.address_1),
            (&mut self.address_2, &patch.address_2),
            (&mut self.city, &patch.city),
            (&mut self.state, &patch.state),
            (&mut self.postcode, &patch.postcode),
            (&mut self.country, &patch.country),
            (&mut self.email, &patch.email),
            (&mut self.phone, &patch.phone),
        ];
        for (slot, value) in slots {
            if let Some(value) = value {
                slot.clone_from(value);
            }
        }
    }

    fn validate(&self, prefix: &str, errors: &mut Errors) {
        limits::check_address(prefix, self, errors);
        if !self.email.is_empty() && !crate::email::is_email(&self.email) {
            errors.push(format!("{prefix}.email"), FieldErrorKind::InvalidEmail);
        }
    }
}

/// A partial address: `Some` fields replace, `None` fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPatch {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// First address line.
    pub address_1: Option<String>,
    /// Second address line.
    pub address_2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Postal code.
    pub postcode: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl AddressPatch {
    fn validate(&self, prefix: &str, errors: &mut Errors) {
        let mut probe = Address::default();
        probe.apply(self);
        probe.validate(prefix, errors);
    }
}

/// One meta data entry of a customer, as WordPress user meta.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaEntry {
    /// The entry's id (WordPress's `umeta_id`), unique store-wide.
    pub id: i64,
    /// The key.
    pub key: String,
    /// The value: any JSON value.
    pub value: serde_json::Value,
}

/// A change to meta data with WooCommerce's semantics: an entry with `id` updates that
/// entry (key and value); without `id`, the first entry with `key` is updated or a new one
/// is added; a `null` value deletes the matched entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaUpdate {
    /// The entry to change, when known.
    pub id: Option<i64>,
    /// The key.
    pub key: String,
    /// The new value; `Value::Null` deletes.
    pub value: serde_json::Value,
}

/// The canonical customer record.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The integer id.
    pub id: CustomerId,
    /// The UUID (easycart's id).
    pub uuid: Uuid,
    /// The primary e-mail address, unique store-wide (ignoring case).
    pub email: Email,
    /// Further addresses of the same person, each unique store-wide too.
    pub additional_emails: Vec<Email>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// The name shown publicly (WordPress's `display_name`).
    pub display_name: String,
    /// The account, for registered users; `None` for guests.
    pub account: Option<Account>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Meta data, in id order.
    pub meta_data: Vec<MetaEntry>,
    /// An avatar URL that overrides the Gravatar one.
    pub avatar_url: Option<String>,
    /// When the customer was created (registered, or first seen as a guest).
    pub created_at: Timestamp,
    /// When the record last changed; `None` if never changed through an API.
    pub modified_at: Option<Timestamp>,
}

impl Customer {
    /// `first_name last_name`, trimmed; `None` when both are empty.
    pub fn full_name(&self) -> Option<String> {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        (!name.is_empty()).then(|| name.to_owned())
    }

    /// The account's username, if registered.
    pub fn username(&self) -> Option<&Username> {
        self.account.as_ref().map(|account| &account.username)
    }

    /// Checks the record against every [`limits`] rule, as a store does before it
    /// writes: the result of a change must fit as a new customer must.
    pub fn check_limits(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Errors::default();
        limits::check_stored(
            &StoredText {
                email: &self.email,
                additional_emails: &self.additional_emails,
                first_name: &self.first_name,
                last_name: &self.last_name,
                display_name: &self.display_name,
                billing: &self.billing,
                shipping: &self.shipping,
                avatar_url: self.avatar_url.as_deref(),
            },
            &mut errors,
        );
        limits::check_meta(limits::stored_meta(&self.meta_data), &mut errors);
        errors.finish(())
    }
}

/// The account part of a new customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The login name.
    pub username: Username,
    /// The role.
    pub role: Role,
    /// A plain password to hash on write, if one is set.
    pub password: Option<String>,
}

/// A validated new customer, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    /// A chosen id (imports keep the source's ids); `None` lets the store assign one.
    pub id: Option<CustomerId>,
    /// A chosen UUID; `None` lets the store make one.
    pub uuid: Option<Uuid>,
    /// Primary e-mail address.
    pub email: Email,
    /// Additional e-mail addresses.
    pub additional_emails: Vec<Email>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name; `None` derives it (the username, else the full name, else the email).
    pub display_name: Option<String>,
    /// The account, for a registered user.
    pub account: Option<NewAccount>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Meta data (key, value) to add, in order.
    pub meta_data: Vec<(String, serde_json::Value)>,
    /// Avatar override.
    pub avatar_url: Option<String>,
    /// Creation instant; `None` means now.
    pub created_at: Option<Timestamp>,
}

impl NewCustomer {
    /// Checks every [`limits`] rule (the typed fields were checked when they were made).
    pub fn check_limits(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Errors::default();
        limits::check_stored(
            &StoredText {
                email: &self.email,
                additional_emails: &self.additional_emails,
                first_name: &self.first_name,
                last_name: &self.last_name,
                display_name: &self.effective_display_name(),
                billing: &self.billing,
                shipping: &self.shipping,
                avatar_url: self.avatar_url.as_deref(),
            },
            &mut errors,
        );
        limits::check_meta(
            self.meta_data
                .iter()
                .map(|(key, value)| (key.as_str(), value)),
            &mut errors,
        );
        errors.finish(())
    }

    /// The display name the store will keep.
    pub fn effective_display_name(&self) -> String {
        if let Some(name) = self.display_name.as_ref().filter(|n| !n.is_empty()) {
            return name.clone();
        }
        if let Some(account) = &self.account {
            return account.username.as_str().to_owned();
        }
        let full = format!("{} {}", self.first_name, self.last_name);
        let full = full.trim();
        if full.is_empty() {
            self.email.as_str().to_owned()
        } else {
            full.to_owned()
        }
    }
}

/// A new customer as plain strings, before validation: what a decoder produces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerDraft {
    /// Chosen id.
    pub id: Option<i64>,
    /// Chosen UUID.
    pub uuid: Option<Uuid>,
    /// Primary e-mail address.
    pub email: String,
    /// Additional e-mail addresses.
    pub additional_emails: Vec<String>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Username: `Some` makes a registered account.
    pub username: Option<String>,
    /// Role slug, for an account (default `customer`).
    pub role: Option<String>,
    /// Plain password, for an account.
    pub password: Option<String>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Meta data.
    pub meta_data: Vec<(String, serde_json::Value)>,
    /// Avatar override.
    pub avatar_url: Option<String>,
    /// Creation instant.
    pub created_at: Option<Timestamp>,
}

impl CustomerDraft {
    /// Checks every field and returns the typed customer, or every failure.
    pub fn validate(&self) -> Result<NewCustomer, Vec<FieldError>> {
        self.clone().into_valid()
    }

    /// [`validate`](Self::validate), moving the draft's text into the customer instead of
    /// copying it: an import decodes millions of drafts it has no further use for.
    pub fn into_valid(self) -> Result<NewCustomer, Vec<FieldError>> {
        let mut errors = Errors::default();
        let email = match Email::parse(&self.email) {
            Ok(email) => Some(email),
            Err(_) if self.email.is_empty() => {
                errors.push("email", FieldErrorKind::Missing);
                None
            }
            Err(_) => {
                errors.push("email", FieldErrorKind::InvalidEmail);
                None
            }
        };
        errors.max_len("email", &self.email, limits::EMAIL_CHARS);
        if self.id.is_some_and(|id| id <= 0) {
            errors.push(
                "id",
                FieldErrorKind::Invalid("must be a positive integer".into()),
            );
        }
        let mut additional_emails = Vec::new();
        for (i, raw) in self.additional_emails.iter().enumerate() {
            match Email::parse(raw) {
                Ok(extra) => additional_emails.push(extra),
                Err(_) => errors.push(
                    format!("additional_emails.{i}"),
                    FieldErrorKind::InvalidEmail,
                ),
            }
        }
        limits::check_additional_emails(
            self.additional_emails.iter().map(String::as_str),
            &mut errors,
        );
        if let Some(primary) = &email {
            let mut seen = vec![primary.folded()];
            for (i, extra) in additional_emails.iter().enumerate() {
                if seen.contains(&extra.folded()) {
                    errors.push(
                        format!("additional_emails.{i}"),
                        FieldErrorKind::Invalid("repeats another address of the customer".into()),
                    );
                }
                seen.push(extra.folded());
            }
        }
        errors.max_len("first_name", &self.first_name, limits::NAME_CHARS);
        errors.max_len("last_name", &self.last_name, limits::NAME_CHARS);
        if let Some(display) = &self.display_name {
            errors.max_len("display_name", display, limits::DISPLAY_NAME_CHARS);
        }
        let role = match self.role.as_deref() {
            None => Role::Customer,
            Some(slug) => Role::parse(slug).unwrap_or_else(|| {
                errors.push(
                    "role",
                    FieldErrorKind::NotOneOf {
                        allowed: Role::slugs(),
                    },
                );
                Role::Customer
            }),
        };
        if self.role.is_some() && self.username.is_none() {
            errors.push(
                "role",
                FieldErrorKind::Invalid("a guest has no role".into()),
            );
        }
        if self.password.is_some() && self.username.is_none() {
            errors.push(
                "password",
                FieldErrorKind::Invalid("a guest has no password".into()),
            );
        }
        let username = self.username.as_deref().and_then(|raw| {
            Username::parse(raw)
                .map_err(|e| {
                    errors.push(
                        "username",
                        match e {
                            InvalidUsername::Invalid => FieldErrorKind::InvalidUsername,
                            InvalidUsername::TooLong => FieldErrorKind::TooLong {
                                max: crate::username::MAX_USERNAME_LEN,
                            },
                        },
                    )
                })
                .ok()
        });
        self.billing.validate("billing", &mut errors);
        self.shipping.validate("shipping", &mut errors);
        for (i, (key, _)) in self.meta_data.iter().enumerate() {
            if key.is_empty() {
                errors.push(format!("meta_data.{i}.key"), FieldErrorKind::Missing);
            }
        }
        limits::check_meta(
            self.meta_data
                .iter()
                .map(|(key, value)| (key.as_str(), value)),
            &mut errors,
        );
        if let Some(url) = &self.avatar_url {
            errors.max_len("avatar_url", url, limits::AVATAR_URL_CHARS);
        }
        let Some(email) = email else {
            return Err(errors.0);
        };
        let new = NewCustomer {
            id: self.id.map(CustomerId),
            uuid: self.uuid,
            email,
            additional_emails,
            first_name: self.first_name,
            last_name: self.last_name,
            display_name: self.display_name,
            account: username.map(|username| NewAccount {
                username,
                role,
                password: self.password,
            }),
            billing: self.billing,
            shipping: self.shipping,
            meta_data: self.meta_data,
            avatar_url: self.avatar_url,
            created_at: self.created_at,
        };
        errors.finish(new)
    }
}

impl From<&NewCustomer> for CustomerDraft {
    fn from(new: &NewCustomer) -> Self {
        Self {
            id: new.id.map(|id| id.0),
            uuid: new.uuid,
            email: new.email.as_str().to_owned(),
            additional_emails: new
                .additional_emails
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            display_name: new.display_name.clone(),
            username: new.account.as_ref().map(|a| a.username.as_str().to_owned()),
            role: new.account.as_ref().map(|a| a.role.as_str().to_owned()),
            password: new.account.as_ref().and_then(|a| a.password.clone()),
            billing: new.billing.clone(),
            shipping: new.shipping.clone(),
            meta_data: new.meta_data.clone(),
            avatar_url: new.avatar_url.clone(),
            created_at: new.created_at,
        }
    }
}

/// A partial change to a customer: `Some` replaces, `None` keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerPatch {
    /// New primary e-mail address.
    pub email: Option<Email>,
    /// New additional addresses (replacing the list).
    pub additional_emails: Option<Vec<Email>>,
    /// New first name.
    pub first_name: Option<String>,
    /// New last name.
    pub last_name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New username (registered users only; a guest gets an account with it).
    pub username: Option<Username>,
    /// New role (registered users only).
    pub role: Option<Role>,
    /// New plain password, hashed on write.
    pub password: Option<String>,
    /// Billing changes.
    pub billing: Option<AddressPatch>,
    /// Shipping changes.
    pub shipping: Option<AddressPatch>,
    /// Meta data changes, applied in order.
    pub meta_data: Vec<MetaUpdate>,
    /// New avatar override (`Some(None)` removes it).
    pub avatar_url: Option<Option<String>>,
}

impl CustomerPatch {
    /// Checks the changed fields against the [`limits`] (typed fields were checked when
    /// they were made). A patch that fits can still make a customer's meta data too
    /// large in all: the store checks the result with [`Customer::check_limits`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Errors::default();
        if let Some(email) = &self.email {
            errors.max_len("email", email.as_str(), limits::EMAIL_CHARS);
        }
        if let Some(additional) = &self.additional_emails {
            limits::check_additional_emails(additional.iter().map(Email::as_str), &mut errors);
        }
        for (path, value, max) in [
            ("first_name", &self.first_name, limits::NAME_CHARS),
            ("last_name", &self.last_name, limits::NAME_CHARS),
            (
                "display_name",
                &self.display_name,
                limits::DISPLAY_NAME_CHARS,
            ),
        ] {
            if let Some(value) = value {
                errors.max_len(path, value, max);
            }
        }
        if let Some(url) = self.avatar_url.as_ref().and_then(Option::as_ref) {
            errors.max_len("avatar_url", url, limits::AVATAR_URL_CHARS);
        }
        if let Some(billing) = &self.billing {
            billing.validate("billing", &mut errors);
        }
        if let Some(shipping) = &self.shipping {
            shipping.validate("shipping", &mut errors);
        }
        if self.meta_data.len() > limits::META_ENTRIES {
            errors.push(
                "meta_data",
                FieldErrorKind::TooMany {
                    max: limits::META_ENTRIES,
                },
            );
        }
        for (i, update) in self.meta_data.iter().enumerate() {
            if update.key.is_empty() && update.id.is_none() {
                errors.push(format!("meta_data.{i}.key"), FieldErrorKind::Missing);
            }
            limits::check_meta_entry(i, &update.key, &update.value, &mut errors);
        }
        errors.finish(())
    }

    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Applies WooCommerce's meta data semantics to `entries`; `next_id` hands out ids for
/// new entries. Returns the entries in id order.
pub fn apply_meta_updates(
    entries: &mut Vec<MetaEntry>,
    updates: &[MetaUpdate],
    mut next_id: impl FnMut() -> i64,
) {
    for update in updates {
        let position = match update.id {
            Some(id) => entries.iter().position(|e| e.id == id),
            None => entries.iter().position(|e| e.key == update.key),
        };
        match (position, update.value.is_null()) {
            (Some(i), true) => {
                entries.remove(i);
            }
            (Some(i), false) => {
                if !update.key.is_empty() {
                    entries[i].key.clone_from(&update.key);
                }
                entries[i].value = update.value.clone();
            }
            (None, true) => {}
            (None, false) => entries.push(MetaEntry {
                id: next_id(),
                key: update.key.clone(),
                value: update.value.clone(),
            }),
        }
    }
    entries.sort_by_key(|e| e.id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft() -> CustomerDraft {
        CustomerDraft {
            email: "john.doe@example.com".into(),
            first_name: "John".into(),
            username: Some("john.doe".into()),
            ..CustomerDraft::default()
        }
    }

    #[test]
    fn a_valid_draft_validates() {
        let new = draft().validate().unwrap();
        assert_eq!(new.account.unwrap().role, Role::Customer);
    }

    #[test]
    fn validation_collects_every_failure() {
        let mut bad = draft();
        bad.email = "nope".into();
        bad.username = Some("bad name!".into());
        bad.role = Some("king".into());
        bad.billing.email = "also-bad".into();
        bad.shipping.city = "x".repeat(300);
        let paths: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(
            paths,
            [
                "email",
                "role",
                "username",
                "billing.email",
                "shipping.city"
            ]
        );
    }

    #[test]
    fn limits_follow_wordpress_widths() {
        let mut bad = draft();
        bad.email = format!("{}@example.com", "a".repeat(89));
        bad.display_name = Some("d".repeat(251));
        bad.first_name = "f".repeat(256);
        bad.billing.email = format!("{}@example.com", "b".repeat(89));
        bad.meta_data = vec![("k".repeat(256), json!("v"))];
        let errors = bad.validate().unwrap_err();
        let found: Vec<(&str, &FieldErrorKind)> =
            errors.iter().map(|e| (e.path.as_str(), &e.kind)).collect();
        assert_eq!(
            found,
            [
                ("email", &FieldErrorKind::TooLong { max: 100 }),
                ("first_name", &FieldErrorKind::TooLong { max: 255 }),
                ("display_name", &FieldErrorKind::TooLong { max: 250 }),
                ("billing.email", &FieldErrorKind::TooLong { max: 100 }),
                ("meta_data.0.key", &FieldErrorKind::TooLong { max: 255 }),
            ]
        );
        let mut fits = draft();
        fits.email = format!("{}@example.com", "a".repeat(88));
        fits.display_name = Some("é".repeat(250));
        fits.first_name = "ß".repeat(255);
        assert!(fits.validate().unwrap().check_limits().is_ok());
    }

    #[test]
    fn patches_and_stored_records_are_held_to_the_same_limits() {
        let patch = CustomerPatch {
            last_name: Some("l".repeat(256)),
            shipping: Some(AddressPatch {
                city: Some("c".repeat(256)),
                ..AddressPatch::default()
            }),
            meta_data: vec![MetaUpdate {
                id: None,
                key: "k".into(),
                value: json!("v".repeat(limits::META_VALUE_BYTES)),
            }],
            ..CustomerPatch::default()
        };
        let paths: Vec<String> = patch
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["last_name", "shipping.city", "meta_data.0.value"]);

        let new = draft().validate().unwrap();
        let mut stored = Customer {
            id: CustomerId(1),
            uuid: Uuid::nil(),
            email: new.email.clone(),
            additional_emails: Vec::new(),
            first_name: new.first_name.clone(),
            last_name: String::new(),
            display_name: new.effective_display_name(),
            account: None,
            billing: Address::default(),
            shipping: Address::default(),
            meta_data: Vec::new(),
            avatar_url: None,
            created_at: Timestamp::UNIX_EPOCH,
            modified_at: None,
        };
        assert!(stored.check_limits().is_ok());
        stored.meta_data = (0..=limits::META_ENTRIES as i64)
            .map(|id| MetaEntry {
                id,
                key: "k".into(),
                value: json!(id),
            })
            .collect();
        assert_eq!(
            stored.check_limits().unwrap_err()[0],
            FieldError::new(
                "meta_data",
                FieldErrorKind::TooMany {
                    max: limits::META_ENTRIES
                }
            )
        );
    }

    #[test]
    fn missing_email_is_missing() {
        let mut bad = draft();
        bad.email.clear();
        let errors = bad.validate().unwrap_err();
        assert_eq!(errors, [FieldError::new("email", FieldErrorKind::Missing)]);
    }

    #[test]
    fn duplicate_additional_email_is_rejected() {
        let mut bad = draft();
        bad.additional_emails = vec!["JOHN.doe@example.com".into()];
        assert_eq!(bad.validate().unwrap_err()[0].path, "additional_emails.0");
    }

    #[test]
    fn meta_updates_follow_woocommerce() {
        let mut entries = vec![
            MetaEntry {
                id: 1,
                key: "a".into(),
                value: json!(1),
            },
            MetaEntry {
                id: 2,
                key: "b".into(),
                value: json!(2),
            },
        ];
        let mut next = 10;
        apply_meta_updates(
            &mut entries,
            &[
                MetaUpdate {
                    id: Some(2),
                    key: "b2".into(),
                    value: json!("x"),
                },
                MetaUpdate {
                    id: None,
                    key: "a".into(),
                    value: json!(null),
                },
                MetaUpdate {
                    id: None,
                    key: "c".into(),
                    value: json!([1]),
                },
                MetaUpdate {
                    id: Some(99),
                    key: "gone".into(),
                    value: json!(null),
                },
            ],
            || {
                next += 1;
                next
            },
        );
        assert_eq!(
            entries,
            [
                MetaEntry {
                    id: 2,
                    key: "b2".into(),
                    value: json!("x")
                },
                MetaEntry {
                    id: 11,
                    key: "c".into(),
                    value: json!([1])
                },
            ]
        );
    }
}
