//! The JSON customers answer as typed objects borrowing the records, written straight
//! to EDD's pretty JSON ([`super::output::to_pretty_json_of`]) without building the
//! [`super::Node`] tree: the same keys in the same order, the same PHP types (ids of v2
//! as strings, amounts as floats), the same text.

use customer_model::{Customer, Email, Timestamp};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::output::{JsonAmount, JsonFloat};
use super::{Totals, Version, split_name};

/// `{"customers": [...], "request_speed": seconds}`.
#[derive(Debug, serde::Serialize)]
pub(super) struct CustomersBody<'a> {
    customers: Vec<CustomerDto<'a>>,
    request_speed: JsonFloat,
}

impl<'a> CustomersBody<'a> {
    pub(super) fn new(
        version: Version,
        customers: impl IntoIterator<Item = (&'a Customer, Totals)>,
        request_speed: f64,
    ) -> Self {
        Self {
            customers: customers
                .into_iter()
                .map(|(customer, totals)| CustomerDto::new(version, customer, &totals))
                .collect(),
            request_speed: JsonFloat(request_speed),
        }
    }
}

/// One customer's `{"info": …, "stats": …}`.
#[derive(Debug, serde::Serialize)]
struct CustomerDto<'a> {
    info: Info<'a>,
    stats: StatsDto,
}

impl<'a> CustomerDto<'a> {
    fn new(version: Version, customer: &'a Customer, totals: &Totals) -> Self {
        let info = match version {
            Version::V1 => Info::V1(V1Info::new(customer)),
            Version::V2 => Info::V2(V2Info::new(customer)),
        };
        Self {
            info,
            stats: StatsDto {
                total_purchases: totals.purchases,
                total_spent: JsonAmount(totals.currency.format_minor(totals.spent)),
                total_downloads: totals.downloads,
            },
        }
    }
}

/// `info` in a version's shape.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Info<'a> {
    V1(V1Info<'a>),
    V2(V2Info<'a>),
}

/// v1's `info`, keys in [`super::V1_INFO_FIELDS`] order: a guest is id `-1`, every
/// name `Guest`.
#[derive(Debug, serde::Serialize)]
struct V1Info<'a> {
    id: i64,
    username: &'a str,
    display_name: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
}

impl<'a> V1Info<'a> {
    fn new(customer: &'a Customer) -> Self {
        let email = customer.email.as_str();
        match customer.username() {
            Some(username) => Self {
                id: customer.id.0,
                username: username.as_str(),
                display_name: &customer.display_name,
                first_name: &customer.first_name,
                last_name: &customer.last_name,
                email,
            },
            None => Self {
                id: -1,
                username: "Guest",
                display_name: "Guest",
                first_name: "Guest",
                last_name: "Guest",
                email,
            },
        }
    }
}

/// v2's `info`, keys in [`super::V2_INFO_FIELDS`] order.
#[derive(Debug, serde::Serialize)]
struct V2Info<'a> {
    customer_id: IdText,
    user_id: UserId,
    username: &'a str,
    display_name: &'a str,
    first_name: String,
    last_name: String,
    email: &'a str,
    additional_emails: Option<AdditionalEmails<'a>>,
    date_created: DateText,
}

impl<'a> V2Info<'a> {
    fn new(customer: &'a Customer) -> Self {
        let (first_name, last_name) = split_name(customer);
        let (user_id, username, display_name) = match customer.username() {
            Some(username) => (
                UserId::Registered(IdText(customer.id.0)),
                username.as_str(),
                customer.display_name.as_str(),
            ),
            None => (UserId::Guest(0), "", ""),
        };
        Self {
            customer_id: IdText(customer.id.0),
            user_id,
            username,
            display_name,
            first_name,
            last_name,
            email: customer.email.as_str(),
            additional_emails: (!customer.additional_emails.is_empty())
                .then_some(AdditionalEmails(&customer.additional_emails)),
            date_created: DateText(customer.created_at),
        }
    }
}

/// v2's `user_id`: the id as a string (read from the database), or a guest's integer 0.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum UserId {
    Registered(IdText),
    Guest(i64),
}

/// An id as PHP reads it from the database: a string of its digits.
#[derive(Debug)]
struct IdText(i64);

impl Serialize for IdText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// v2's `date_created`: `YYYY-MM-DD HH:MM:SS`, UTC.
#[derive(Debug)]
struct DateText(Timestamp);

impl Serialize for DateText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.strftime("%Y-%m-%d %H:%M:%S"))
    }
}

/// Additional addresses, keyed from 1 (EDD removes the primary address at key 0), which
/// `json_encode` writes as an object.
#[derive(Debug)]
struct AdditionalEmails<'a>(&'a [Email]);

impl Serialize for AdditionalEmails<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, email) in (1usize..).zip(self.0) {
            map.serialize_entry(&key, email.as_str())?;
        }
        map.end()
    }
}

/// `stats`, keys in [`super::STATS_FIELDS`] order.
#[derive(Debug, serde::Serialize)]
struct StatsDto {
    total_purchases: i64,
    total_spent: JsonAmount,
    total_downloads: i64,
}
