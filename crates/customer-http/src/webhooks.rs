//! The webhook delivery worker: it takes events from the store's outbox and posts them,
//! off the request path.
//!
//! Each round, the worker leases the webhooks whose oldest event is due (a lease is held
//! by one process at a time, whichever server shares the database), posts their events
//! in commit order, and records each attempt with the store, which settles the event and
//! keeps WooCommerce's failure rule. A crash between a delivery and its record leaves the
//! event in the outbox: it is delivered again, with the same delivery id, once the lease
//! ends. Different webhooks are delivered concurrently, so a slow receiver holds up only
//! its own webhook; each attempt ends at the receiver timeout.
//!
//! "Now" comes from a [`Clock`], so that a settable clock can stamp deliveries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_model::Timestamp;
use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, CustomerEvent, DeliveryRecord, EventKind, Webhook, WebhookEvent,
    WebhookStatus,
};
use customer_store::{CustomerStore, StoreError, StoreResult};
use customer_wire::wc_rest::encode::{EncodeContext, customer_json};
use customer_wire::wc_rest::webhooks::delivery::{self, Delivery};

use crate::SiteConfig;

/// Where the worker's "now" comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// How deliveries are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// How long a receiver may take to answer before the attempt fails.
    pub timeout: Duration,
    /// Attempts after a failure before it counts (0: none, as WooCommerce).
    pub retries: u32,
    /// The wait before the first retry; each further retry waits twice as long.
    pub retry_base: Duration,
    /// How often the outbox is looked at.
    pub poll: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retries: 0,
            retry_base: Duration::from_secs(1),
            poll: Duration::from_millis(200),
        }
    }
}

/// Webhooks leased per round.
const WEBHOOKS_PER_ROUND: usize = 16;
/// The most of a receiver's answer read (and then dropped).
const ANSWER_LIMIT: u64 = 64 * 1024;

/// The delivery worker of one process.
pub struct DeliveryWorker {
    store: Arc<dyn CustomerStore>,
    site: SiteConfig,
    options: DeliveryOptions,
    clock: Arc<dyn Clock>,
    owner: String,
    agent: ureq::Agent,
}

impl DeliveryWorker {
    /// A worker over `store` for the site `site`.
    pub fn new(store: Arc<dyn CustomerStore>, site: SiteConfig, options: DeliveryOptions) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(options.timeout))
            .build()
            .into();
        Self {
            store,
            site,
            options,
            clock: Arc::new(SystemClock),
            owner: format!("worker-{:016x}", rand::random::<u64>()),
            agent,
        }
    }

    /// The same worker reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Runs rounds forever, one every poll interval, on the current runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let worker = Arc::new(self);
        tokio::spawn(async move {
            loop {
                if let Err(error) = Arc::clone(&worker).run_once().await {
                    tracing::warn!(%error, "webhook delivery round failed");
                }
                tokio::time::sleep(worker.options.poll).await;
            }
        })
    }

    /// How long a webhook is held: long enough for one attempt and its record.
    fn lease(&self) -> Duration {
        self.options.timeout * 2 + Duration::from_secs(1)
    }

    /// One round: leases what is due and delivers it. Returns the attempts made.
    pub async fn run_once(self: Arc<Self>) -> StoreResult<usize> {
        let now = self.clock.now();
        let lease_until = now + self.lease();
        let claimed = self
            .store
            .claim_webhook_events(&self.owner, now, lease_until, WEBHOOKS_PER_ROUND)
            .await?;
        let mut tasks = tokio::task::JoinSet::new();
        for webhook in claimed {
            let worker = Arc::clone(&self);
            tasks.spawn(async move { worker.deliver_webhook(webhook, lease_until).await });
        }
        let mut attempts = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(count)) => attempts += count,
                Ok(Err(error)) => tracing::warn!(%error, "webhook delivery failed"),
                Err(error) => tracing::warn!(%error, "webhook delivery task failed"),
            }
        }
        Ok(attempts)
    }

    /// Delivers one leased webhook's events in order, while the lease lasts.
    async fn deliver_webhook(
        &self,
        claimed: ClaimedWebhook,
        lease_until: Timestamp,
    ) -> StoreResult<usize> {
        let mut webhook = claimed.webhook;
        let mut attempts = 0;
        for event in &claimed.events {
            let room = self.clock.now() + self.options.timeout + Duration::from_secs(1);
            if webhook.status != WebhookStatus::Active || (attempts > 0 && room > lease_until) {
                break;
            }
            let request = self.request(&webhook, event).await?;
            let record = self.send(request, event).await;
            let after = if record.succeeded() || event.attempts >= self.options.retries {
                AfterAttempt::Done
            } else {
                let wait = self.options.retry_base * 2u32.saturating_pow(event.attempts);
                AfterAttempt::RetryAt(self.clock.now() + wait)
            };
            if !record.succeeded() {
                tracing::info!(
                    webhook = webhook.id,
                    delivery = event.delivery_id,
                    status = ?record.response_status,
                    error = ?record.error,
                    "webhook delivery failed"
                );
            }
            webhook = self
                .store
                .record_webhook_attempt(event, record, after)
                .await?;
            attempts += 1;
            if matches!(after, AfterAttempt::RetryAt(_)) {
                // The later events wait behind this one: order is kept.
                break;
            }
        }
        self.store.release_webhook(webhook.id, &self.owner).await?;
        Ok(attempts)
    }

    /// The request of `event`: a ping, or the customer as the webhook's API version
    /// shows it now (`{"id": N}` once deleted).
    async fn request(&self, webhook: &Webhook, event: &WebhookEvent) -> StoreResult<Delivery> {
        let change = match event.kind {
            EventKind::Ping => return Ok(delivery::ping(webhook)),
            EventKind::Customer(change) => change,
        };
        let payload = match change {
            CustomerEvent::Deleted => delivery::deleted_payload(event.customer_id),
            _ => match self.customer_payload(webhook, event.customer_id).await {
                Ok(payload) => payload,
                Err(StoreError::NotFound { .. }) => delivery::deleted_payload(event.customer_id),
                Err(error) => return Err(error),
            },
        };
        Ok(delivery::event(
            webhook,
            change,
            event.delivery_id,
            &payload,
            &self.site.site_url,
        ))
    }

    async fn customer_payload(&self, webhook: &Webhook, id: i64) -> StoreResult<serde_json::Value> {
        let customer = self.store.customer(customer_model::CustomerId(id)).await?;
        let stats = self.store.customer_stats(customer.id).await?;
        let ctx = EncodeContext {
            version: delivery::payload_version(webhook),
            home_url: &self.site.site_url,
            timezone: &self.site.timezone,
            currency: self.site.currency,
        };
        Ok(customer_json(&ctx, &customer, &stats))
    }

    /// Posts `request` and reports the attempt; never fails (a failure is the record's).
    async fn send(&self, request: Delivery, event: &WebhookEvent) -> DeliveryRecord {
        let at = self.clock.now();
        let agent = self.agent.clone();
        let started = Instant::now();
        let sent = request.clone();
        let answer = tokio::task::spawn_blocking(move || post(&agent, &sent))
            .await
            .unwrap_or_else(|error| Err(format!("delivery task failed: {error}")));
        let (response_status, error) = match answer {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        DeliveryRecord {
            id: 0,
            webhook_id: event.webhook_id,
            delivery_id: event.delivery_id,
            attempt: event.attempts + 1,
            at,
            url: request.url,
            request_headers: request.headers,
            request_body: request.body,
            response_status,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            error,
        }
    }
}

/// One blocking `POST`; the receiver's status, or why there is none.
fn post(agent: &ureq::Agent, request: &Delivery) -> Result<u16, String> {
    let mut builder = ureq::http::Request::builder()
        .method("POST")
        .uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let built = builder
        .body(request.body.clone())
        .map_err(|error| format!("invalid request: {error}"))?;
    let mut response = agent.run(built).map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    // The answer's body is read (so the connection can be reused) and dropped.
    let _ = response
        .body_mut()
        .with_config()
        .limit(ANSWER_LIMIT)
        .read_to_vec();
    Ok(status)
}
