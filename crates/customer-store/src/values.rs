//! Model values as the backends store them, and the rules every backend applies alike:
//! instants as nanoseconds, addresses as JSON arrays, statuses as indexes, error paths of
//! batch records, refund limits, password hashing.

use customer_model::{
    Address, Currency, FieldError, NewCustomer, NewOrder, OrderStatus, SubscriptionStatus,
    Timestamp, Uuid,
};

use crate::{StoreError, StoreResult};

/// An instant as stored: nanoseconds since the Unix epoch, which sort as instants do.
pub(crate) fn ts(at: Timestamp) -> StoreResult<i64> {
    i64::try_from(at.as_nanosecond()).map_err(|_| StoreError::Invalid {
        field: "timestamp".into(),
        reason: "outside the years 1677 to 2262".into(),
    })
}

/// A query's bound as stored: an instant outside the stored range is clamped to its end,
/// which selects the same rows since every stored instant lies within it (a filter
/// `after=0222-01-01` then means "from the start", as it does in the originals).
pub(crate) fn bound_ts(at: Timestamp) -> i64 {
    let nanos = at.as_nanosecond();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// An instant from its stored form.
pub(crate) fn from_ts(nanos: i64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(nanos)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// An optional instant as stored.
pub(crate) fn opt_ts(at: Option<Timestamp>) -> StoreResult<Option<i64>> {
    at.map(ts).transpose()
}

/// Now by the store's clock ([`crate::Clock`]), to the stored precision, so that what is
/// returned equals what is read back.
pub(crate) fn now() -> Timestamp {
    from_ts(ts(crate::clock::current()).unwrap_or(0))
}

/// A fresh UUID, version 7: time-ordered, so that the unique indexes on UUIDs grow at
/// their end (an import of millions of rows would otherwise write all over them), with
/// 74 random bits below the millisecond.
pub(crate) fn new_uuid() -> Uuid {
    let millis = u64::try_from(Timestamp::now().as_millisecond()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid()
}

/// An address as stored: a JSON array of its eleven fields in [`Address::fields`] order,
/// or the empty string for an address with no field set (most orders of most stores:
/// seventy bytes less per order, and what [`address_from_json`] reads as empty anyway).
pub(crate) fn address_to_json(address: &Address) -> String {
    let fields = address.fields();
    if fields.iter().all(|(_, value)| value.is_empty()) {
        return String::new();
    }
    let length: usize = fields.iter().map(|(_, value)| value.len() + 3).sum();
    let mut json = String::with_capacity(length + 1);
    json.push('[');
    for (position, (_, value)) in fields.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        push_json_string(&mut json, value);
    }
    json.push(']');
    json
}

/// Appends `value` as a JSON string, byte for byte as `serde_json` writes it. Most
/// values need no escape and are copied whole; only the others go through `serde_json`
/// (every customer written encodes two addresses, on the writer's thread).
fn push_json_string(json: &mut String, value: &str) {
    let plain = value
        .bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
    if plain {
        json.push('"');
        json.push_str(value);
        json.push('"');
    } else {
        json.push_str(&serde_json::Value::from(value).to_string());
    }
}

/// An address from its stored form.
pub(crate) fn address_from_json(text: &str) -> Address {
    if text.is_empty() {
        return Address::default();
    }
    // What `address_to_json` writes: all eleven fields, read without a growing `Vec`
    // (a list of 100 reads 200 addresses). Anything else is read as far as it goes.
    if let Ok(fields) = serde_json::from_str::<[String; 11]>(text) {
        return address_from_fields(fields);
    }
    address_from_fields(serde_json::from_str::<Vec<String>>(text).unwrap_or_default())
}

/// An address from its fields in [`Address::fields`]' order; missing ones are empty.
fn address_from_fields(fields: impl IntoIterator<Item = String>) -> Address {
    let mut fields = fields.into_iter();
    let mut next = || fields.next().unwrap_or_default();
    Address {
        first_name: next(),
        last_name: next(),
        company: next(),
        address_1: next(),
        address_2: next(),
        city: next(),
        state: next(),
        postcode: next(),
        country: next(),
        email: next(),
        phone: next(),
    }
}

/// A currency from its stored code.
pub(crate) fn currency_from(code: &str) -> StoreResult<Currency> {
    Currency::parse(code).map_err(|e| backend(format!("stored currency {code:?}: {e}")))
}

/// A [`StoreError::Backend`] with a message.
pub(crate) fn backend(message: impl Into<String>) -> StoreError {
    StoreError::Backend(message.into().into())
}

/// Prefixes a field path with a record's path (`orders.3` + `customer_id`).
pub(crate) fn path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

/// An [`StoreError::Invalid`] at `prefix.field`.
pub(crate) fn invalid(prefix: &str, field: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field: path(prefix, field),
        reason: reason.into(),
    }
}

/// The first of the limits a record breaks, named under `prefix` (empty for a single
/// write). Callers validate before they write; this keeps a caller that did not from
/// storing more.
pub(crate) fn over_limit(prefix: &str, errors: Vec<FieldError>) -> StoreError {
    match errors.into_iter().next() {
        Some(first) => invalid(prefix, &first.path, first.kind.to_string()),
        None => invalid(prefix, "customer", "breaks a limit"),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Why a refund of `amount` cannot be taken from an order of `total` with `refunded`
/// already refunded, if it cannot.
pub(crate) fn check_refund_amount(amount: i64, total: i64, refunded: i64) -> Result<(), String> {
    if amount <= 0 {
        return Err("must be positive".into());
    }
    if refunded.saturating_add(amount) > total {
        return Err(format!(
            "exceeds what is left to refund ({})",
            total.saturating_sub(refunded).max(0)
        ));
    }
    Ok(())
}

/// The order status stored as its index.
pub(crate) fn order_status(index: i64) -> OrderStatus {
    OrderStatus::ALL
        .get(index as usize)
        .copied()
        .unwrap_or(OrderStatus::Pending)
}

/// The subscription status stored as its index.
pub(crate) fn subscription_status(index: i64) -> SubscriptionStatus {
    SubscriptionStatus::ALL
        .get(index as usize)
        .copied()
        .unwrap_or(SubscriptionStatus::Active)
}

#[cfg(feature = "postgres")]
/// Names the record at `prefix` in an error: conflicts become invalid values of that
/// record, fields get the record's path in front.
pub(crate) fn within(prefix: &str, error: StoreError) -> StoreError {
    match error {
        StoreError::Conflict { field } => StoreError::Invalid {
            field: path(prefix, field),
            reason: "already exists".into(),
        },
        StoreError::Invalid { field, reason } if !field.starts_with(&format!("{prefix}.")) => {
            StoreError::Invalid {
                field: path(prefix, &field),
                reason,
            }
        }
        other => other,
    }
}

/// The guest an order by e-mail creates: named and addressed as on the order.
pub(crate) fn guest_for(order: &NewOrder, email: &customer_model::Email) -> NewCustomer {
    NewCustomer {
        id: None,
        uuid: None,
        email: email.clone(),
        additional_emails: Vec::new(),
        first_name: order.billing.first_name.clone(),
        last_name: order.billing.last_name.clone(),
        display_name: None,
        account: None,
        billing: order.billing.clone(),
        shipping: order.shipping.clone(),
        meta_data: Vec::new(),
        avatar_url: None,
        created_at: order.created_at,
    }
}

/// Hashes a password with Argon2id into a PHC string.
pub(crate) fn hash_password(plain: &str) -> StoreResult<String> {
    use argon2::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(plain.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| backend(format!("hashing a password: {e}")))
}

#[cfg(feature = "postgres")]
/// Hashes the passwords of `customers` (by position; `None` without one) on every core:
/// at tens of milliseconds per Argon2 hash, a large batch with passwords is otherwise
/// bound by hashing, not by the database.
pub(crate) fn hash_passwords(customers: &[NewCustomer]) -> StoreResult<Vec<Option<String>>> {
    let hash_one = |customer: &NewCustomer| {
        customer
            .account
            .as_ref()
            .and_then(|a| a.password.as_deref())
            .map(hash_password)
            .transpose()
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let with_password = customers
        .iter()
        .filter(|c| c.account.as_ref().is_some_and(|a| a.password.is_some()))
        .count();
    if threads == 1 || with_password < 2 * threads {
        return customers.iter().map(hash_one).collect();
    }
    let chunk = customers.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = customers
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(hash_one).collect::<Vec<_>>()))
            .collect();
        let mut hashes = Vec::with_capacity(customers.len());
        for worker in workers {
            let part = worker
                .join()
                .map_err(|_| backend("a password hashing thread panicked"))?;
            for hash in part {
                hashes.push(hash?);
            }
        }
        Ok(hashes)
    })
}

/// An outbox row's `kind`: the customer event's name, or `ping`.
pub(crate) fn event_kind_text(kind: customer_model::webhook::EventKind) -> &'static str {
    use customer_model::webhook::EventKind;
    match kind {
        EventKind::Customer(event) => event.as_str(),
        EventKind::Ping => "ping",
    }
}

/// The event kind an outbox row's `kind` names.
pub(crate) fn event_kind_from(text: &str) -> StoreResult<customer_model::webhook::EventKind> {
    use customer_model::webhook::{CustomerEvent, EventKind};
    match text {
        "ping" => Ok(EventKind::Ping),
        other => CustomerEvent::parse(other)
            .map(EventKind::Customer)
            .ok_or_else(|| backend(format!("stored event kind {other:?}"))),
    }
}

/// A stored webhook status or event.
pub(crate) fn webhook_status_from(
    text: &str,
) -> StoreResult<customer_model::webhook::WebhookStatus> {
    customer_model::webhook::WebhookStatus::parse(text)
        .ok_or_else(|| backend(format!("stored webhook status {text:?}")))
}

/// A stored webhook event.
pub(crate) fn customer_event_from(
    text: &str,
) -> StoreResult<customer_model::webhook::CustomerEvent> {
    customer_model::webhook::CustomerEvent::parse(text)
        .ok_or_else(|| backend(format!("stored webhook event {text:?}")))
}

/// Request headers as the delivery log keeps them: a JSON array of name/value pairs.
pub(crate) fn headers_to_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".to_owned())
}

/// Request headers from the delivery log.
pub(crate) fn headers_from_json(text: &str) -> Vec<(String, String)> {
    serde_json::from_str(text).unwrap_or_default()
}

/// How many delivery attempts the log keeps per webhook (older ones are dropped).
pub(crate) const DELIVERY_LOG_LENGTH: i64 = 100;

/// How many events one claim hands over per webhook.
pub(crate) const EVENTS_PER_CLAIM: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        let address = Address {
            first_name: "Ann \"Q\"".into(),
            city: "Kraków".into(),
            phone: "+48 1".into(),
            ..Address::default()
        };
        assert_eq!(address_from_json(&address_to_json(&address)), address);
        assert_eq!(address_to_json(&Address::default()), "");
        assert_eq!(address_from_json(""), Address::default());
        // Fewer fields than a whole address: the first ones, the rest empty.
        let short = Address {
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            ..Address::default()
        };
        assert_eq!(address_from_json(r#"["Ann","Lee"]"#), short);
    }

    proptest::proptest! {
        /// The hand-written encoding is `serde_json`'s, for any text in any field.
        #[test]
        fn addresses_encode_as_serde_json_does(
            fields in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-zA-Z0-9 .,+-]{0,12}").unwrap(),
                    proptest::prelude::any::<String>(),
                ],
                11,
            )
        ) {
            let address = address_from_fields(fields.clone());
            let expected = if fields.iter().all(String::is_empty) {
                String::new()
            } else {
                serde_json::to_string(&fields).unwrap()
            };
            proptest::prop_assert_eq!(address_to_json(&address), expected);
        }
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}

/// The ids an import wrote, as runs of consecutive ids (`(first, last)`, in the order
/// written): an import whose ids are assigned or given in order is one run whatever its
/// size, so the set-based statements that read "the customers this import wrote" get a
/// handful of ranges, not a list of every id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdRuns(Vec<(i64, i64)>);

impl IdRuns {
    /// Adds `id`: it extends the last run when it follows it.
    pub(crate) fn push(&mut self, id: i64) {
        match self.0.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
            _ => self.0.push((id, id)),
        }
    }

    /// Whether no id was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The runs' first ids and last ids, as two lists.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn bounds(&self) -> (Vec<i64>, Vec<i64>) {
        self.0.iter().copied().unzip()
    }

    /// The runs as a JSON array of `[first, last]` pairs.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_owned())
    }
}

#[cfg(test)]
mod id_runs_tests {
    use super::IdRuns;

    #[test]
    fn consecutive_ids_make_one_run() {
        let mut runs = IdRuns::default();
        assert!(runs.is_empty());
        for id in [5, 6, 7, 9, 3, 4, i64::MAX, 1] {
            runs.push(id);
        }
        assert_eq!(
            runs.bounds(),
            (vec![5, 9, 3, i64::MAX, 1], vec![7, 9, 4, i64::MAX, 1])
        );
        assert_eq!(
            runs.to_json(),
            "[[5,7],[9,9],[3,4],[9223372036854775807,9223372036854775807],[1,1]]"
        );
    }
}
