//! Webhooks: subscriptions to customer changes, and the events and deliveries they make.
//!
//! A webhook names one [`CustomerEvent`] and a URL. Every committed change of a registered
//! customer becomes one [`WebhookEvent`] per active webhook subscribed to it, written in
//! the same transaction as the change (an outbox); a worker delivers the events of each
//! webhook in commit order and records each attempt as a [`DeliveryRecord`].

use crate::{PageRequest, TimeRange, Timestamp};

/// How many consecutive failed deliveries a webhook survives: the next failure after
/// more than this many disables it (a success resets the count).
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;

/// Whether a webhook delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookStatus {
    /// Delivers its events.
    Active,
    /// Delivers nothing; set by its owner.
    Paused,
    /// Delivers nothing; set after too many consecutive failures (or by its owner).
    Disabled,
}

impl WebhookStatus {
    /// Every status, in the order lists show them.
    pub const ALL: [Self; 3] = [Self::Active, Self::Paused, Self::Disabled];

    /// `active`, `paused` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Disabled => "disabled",
        }
    }

    /// The status named `text` (exactly, lower case).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// What happened to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerEvent {
    /// A customer account was created (or a guest became a registered customer).
    Created,
    /// A registered customer was changed.
    Updated,
    /// A registered customer was deleted.
    Deleted,
    /// A customer came back from the trash; customers have no trash, so this never
    /// happens, but a webhook may subscribe to it.
    Restored,
}

impl CustomerEvent {
    /// Every event.
    pub const ALL: [Self; 4] = [Self::Created, Self::Updated, Self::Deleted, Self::Restored];

    /// `created`, `updated`, `deleted` or `restored`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
        }
    }

    /// The event named `text` (exactly, lower case).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == text)
    }

    /// The event of a write that turned `before` into `after` (whether the customer had
    /// an account, `None` when it did not exist): only registered customers have events.
    pub fn of_change(before: Option<bool>, after: Option<bool>) -> Option<Self> {
        match (before, after) {
            (None | Some(false), Some(true)) => Some(Self::Created),
            (Some(true), Some(true)) => Some(Self::Updated),
            (Some(true), None) => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A stored webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// Whether it delivers.
    pub status: WebhookStatus,
    /// The customer event it subscribes to.
    pub event: CustomerEvent,
    /// Where deliveries are posted.
    pub delivery_url: String,
    /// The key of the deliveries' signatures.
    pub secret: String,
    /// The version of the API whose customer object the deliveries carry (the version
    /// the webhook was made through).
    pub api_version: u8,
    /// Consecutive failed deliveries.
    pub failure_count: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub modified_at: Option<Timestamp>,
}

/// A webhook to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// A name for people.
    pub name: String,
    /// Whether it delivers; an active webhook is pinged once created.
    pub status: WebhookStatus,
    /// The customer event it subscribes to.
    pub event: CustomerEvent,
    /// Where deliveries are posted.
    pub delivery_url: String,
    /// The key of the deliveries' signatures.
    pub secret: String,
    /// The version of the API whose customer object the deliveries carry.
    pub api_version: u8,
}

/// Changes to a webhook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new status; setting `active` resets the failure count.
    pub status: Option<WebhookStatus>,
    /// A new event.
    pub event: Option<CustomerEvent>,
    /// A new URL.
    pub delivery_url: Option<String>,
    /// A new secret.
    pub secret: Option<String>,
}

/// What a webhook list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookOrder {
    /// Creation instant, then id.
    #[default]
    Date,
    /// Id.
    Id,
    /// Name, then id.
    Name,
}

/// A webhook list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookQuery {
    /// Only this status.
    pub status: Option<WebhookStatus>,
    /// Only webhooks whose name contains this (ignoring ASCII case).
    pub search: Option<String>,
    /// Only these ids (empty: any).
    pub include: Vec<i64>,
    /// Not these ids.
    pub exclude: Vec<i64>,
    /// Only webhooks created within this range (both ends included).
    pub created: TimeRange,
    /// The order.
    pub order_by: WebhookOrder,
    /// Descending order.
    pub descending: bool,
    /// The page.
    pub page: PageRequest,
}

/// What an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A customer change.
    Customer(CustomerEvent),
    /// The test delivery sent once when an active webhook is created.
    Ping,
}

/// One delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The delivery id: the same over every attempt and across restarts, so that
    /// receivers can recognise a repeated delivery.
    pub delivery_id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// What it carries.
    pub kind: EventKind,
    /// The customer it is about (0 for a ping).
    pub customer_id: i64,
    /// When the change was committed.
    pub at: Timestamp,
    /// Attempts made so far (retries).
    pub attempts: u32,
}

/// The webhooks whose events one worker may deliver now, with those events in commit
/// order. The worker holds each webhook until `lease_until` or until it releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedWebhook {
    /// The webhook as it was when claimed.
    pub webhook: Webhook,
    /// Its oldest waiting events, oldest first.
    pub events: Vec<WebhookEvent>,
}

/// One attempt to deliver an event, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The log entry's id.
    pub id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// The event's delivery id.
    pub delivery_id: i64,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// When the attempt started.
    pub at: Timestamp,
    /// The URL posted to.
    pub url: String,
    /// The request's headers, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// The request's body.
    pub request_body: String,
    /// The receiver's status code, if it answered.
    pub response_status: Option<u16>,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: u64,
    /// Why it failed, when it did not get an answer.
    pub error: Option<String>,
}

impl DeliveryRecord {
    /// Whether the attempt succeeded: an answer from 200 to 302.
    pub fn succeeded(&self) -> bool {
        self.response_status
            .is_some_and(|status| (200..303).contains(&status))
    }
}

/// What to do with an event after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// The event is done (delivered, or failed for good): it leaves the outbox, and the
    /// webhook's failure count follows the attempt's outcome.
    Done,
    /// Try again at this instant; the failure does not count yet.
    RetryAt(Timestamp),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in WebhookStatus::ALL {
            assert_eq!(WebhookStatus::parse(status.as_str()), Some(status));
        }
        for event in CustomerEvent::ALL {
            assert_eq!(CustomerEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(WebhookStatus::parse("Active"), None);
    }

    #[test]
    fn only_registered_customers_have_events() {
        use CustomerEvent::*;
        assert_eq!(CustomerEvent::of_change(None, Some(true)), Some(Created));
        assert_eq!(
            CustomerEvent::of_change(Some(false), Some(true)),
            Some(Created)
        );
        assert_eq!(
            CustomerEvent::of_change(Some(true), Some(true)),
            Some(Updated)
        );
        assert_eq!(CustomerEvent::of_change(Some(true), None), Some(Deleted));
        assert_eq!(CustomerEvent::of_change(None, Some(false)), None);
        assert_eq!(CustomerEvent::of_change(Some(false), None), None);
        assert_eq!(CustomerEvent::of_change(Some(false), Some(false)), None);
    }

    #[test]
    fn success_is_200_to_302() {
        let mut record = DeliveryRecord {
            id: 1,
            webhook_id: 1,
            delivery_id: 1,
            attempt: 1,
            at: Timestamp::UNIX_EPOCH,
            url: String::new(),
            request_headers: Vec::new(),
            request_body: String::new(),
            response_status: None,
            duration_ms: 0,
            error: Some("timeout".into()),
        };
        assert!(!record.succeeded());
        for (status, ok) in [
            (199, false),
            (200, true),
            (302, true),
            (303, false),
            (500, false),
        ] {
            record.response_status = Some(status);
            assert_eq!(record.succeeded(), ok, "{status}");
        }
    }
}
