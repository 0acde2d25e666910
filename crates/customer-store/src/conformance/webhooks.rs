//! Webhooks: the resource, the outbox written with each change, leases and the
//! failure rule.

use customer_model::webhook::{
    AfterAttempt, ClaimedWebhook, CustomerEvent, DeliveryRecord, EventKind, NewWebhook,
    WebhookEvent, WebhookOrder, WebhookPatch, WebhookQuery, WebhookStatus,
};

use super::*;

/// An instant well after any event the store writes now.
fn later(days: i64, seconds: i64) -> customer_model::Timestamp {
    at(36_500 + days, seconds)
}

fn new_webhook(name: &str, event: CustomerEvent, status: WebhookStatus) -> NewWebhook {
    NewWebhook {
        name: name.into(),
        status,
        event,
        delivery_url: format!("http://127.0.0.1:9/{name}"),
        secret: format!("secret of {name}"),
        api_version: 3,
    }
}

/// Creates a webhook of `event` named `name` in `status`.
async fn make(
    store: &Store,
    name: &str,
    event: CustomerEvent,
    status: WebhookStatus,
) -> customer_model::webhook::Webhook {
    store
        .create_webhook(new_webhook(name, event, status))
        .await
        .unwrap()
}

fn attempt(event: &WebhookEvent, status: Option<u16>) -> DeliveryRecord {
    DeliveryRecord {
        id: 0,
        webhook_id: event.webhook_id,
        delivery_id: event.delivery_id,
        attempt: event.attempts + 1,
        at: later(1, 0),
        url: "http://127.0.0.1:9/".into(),
        request_headers: vec![("X-Test".into(), "yes".into())],
        request_body: "{}".into(),
        response_status: status,
        duration_ms: 3,
        error: status.is_none().then(|| "refused".to_owned()),
    }
}

/// Everything waiting, claimed by one owner far in the future (leases long expired).
async fn drain(store: &Store, owner: &str) -> Vec<ClaimedWebhook> {
    let claimed = store
        .claim_webhook_events(owner, later(400, 0), later(400, 60), 100)
        .await
        .unwrap();
    for webhook in &claimed {
        for event in &webhook.events {
            store
                .record_webhook_attempt(event, attempt(event, Some(200)), AfterAttempt::Done)
                .await
                .unwrap();
        }
        store
            .release_webhook(webhook.webhook.id, owner)
            .await
            .unwrap();
    }
    claimed
}

fn kinds(claimed: &[ClaimedWebhook], webhook: i64) -> Vec<(EventKind, i64)> {
    claimed
        .iter()
        .filter(|c| c.webhook.id == webhook)
        .flat_map(|c| c.events.iter().map(|e| (e.kind, e.customer_id)))
        .collect()
}

/// Each committed change of a registered customer gives one event per active webhook of
/// its kind, in commit order; guests, failed writes and inactive webhooks give none; an
/// active webhook is pinged once when created.
pub async fn webhook_events_follow_committed_changes(store: Store) {
    let created = make(&store, "c", CustomerEvent::Created, WebhookStatus::Active).await;
    let updated = make(&store, "u", CustomerEvent::Updated, WebhookStatus::Active).await;
    let deleted = make(&store, "d", CustomerEvent::Deleted, WebhookStatus::Active).await;
    let paused = make(&store, "p", CustomerEvent::Created, WebhookStatus::Paused).await;
    assert_eq!(created.failure_count, 0);
    let pings = drain(&store, "a").await;
    for webhook in [created.id, updated.id, deleted.id] {
        assert_eq!(kinds(&pings, webhook), [(EventKind::Ping, 0)]);
    }
    assert!(kinds(&pings, paused.id).is_empty());

    let ana = store
        .create_customer(registered("ana@example.com", "ana"))
        .await
        .unwrap();
    let guest_row = store
        .create_customer(guest("guest@example.com"))
        .await
        .unwrap();
    // A conflicting create writes nothing, so it reports nothing.
    store
        .create_customer(registered("ANA@example.com", "other"))
        .await
        .unwrap_err();
    store
        .update_customer(
            guest_row.id,
            CustomerPatch {
                first_name: Some("Gus".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    store
        .update_customer(
            ana.id,
            CustomerPatch {
                first_name: Some("Ana".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    store
        .update_customer(
            ana.id,
            CustomerPatch {
                last_name: Some("Paid".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    store.delete_customer(ana.id).await.unwrap();
    store.delete_customer(guest_row.id).await.unwrap();

    let claimed = drain(&store, "a").await;
    let change = |event| EventKind::Customer(event);
    assert_eq!(
        kinds(&claimed, created.id),
        [(change(CustomerEvent::Created), ana.id.0)]
    );
    assert_eq!(
        kinds(&claimed, updated.id),
        [
            (change(CustomerEvent::Updated), ana.id.0),
            (change(CustomerEvent::Updated), ana.id.0)
        ]
    );
    assert_eq!(
        kinds(&claimed, deleted.id),
        [(change(CustomerEvent::Deleted), ana.id.0)]
    );
    assert!(kinds(&claimed, paused.id).is_empty());
    let ids: Vec<i64> = claimed
        .iter()
        .flat_map(|c| c.events.iter().map(|e| e.delivery_id))
        .collect();
    assert!(
        pings
            .iter()
            .flat_map(|c| c.events.iter())
            .all(|ping| ids.iter().all(|id| *id > ping.delivery_id)),
        "delivery ids are never reused"
    );
    assert!(drain(&store, "a").await.is_empty(), "each event once");
}

/// One owner holds a webhook at a time; a retry keeps the event and its delivery id;
/// more than five consecutive failures disable the webhook, a success resets the count,
/// and the log keeps every attempt, newest first.
pub async fn webhook_leases_retries_and_the_failure_rule(store: Store) {
    let hook = make(&store, "h", CustomerEvent::Created, WebhookStatus::Paused).await;
    let hook = store
        .update_webhook(
            hook.id,
            WebhookPatch {
                status: Some(WebhookStatus::Active),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    for n in 0..9 {
        store
            .create_customer(registered(&format!("c{n}@example.com"), &format!("c{n}")))
            .await
            .unwrap();
    }
    let first = store
        .claim_webhook_events("a", later(1, 0), later(1, 30), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].events.len(), 9);
    let rival = store
        .claim_webhook_events("b", later(1, 10), later(1, 40), 10)
        .await
        .unwrap();
    assert!(rival.is_empty(), "the lease holds until it ends");

    let events = &first[0].events;
    let retry = store
        .record_webhook_attempt(
            &events[0],
            attempt(&events[0], Some(500)),
            AfterAttempt::RetryAt(later(2, 0)),
        )
        .await
        .unwrap();
    assert_eq!(
        retry.failure_count, 0,
        "a retried failure does not count yet"
    );
    store.release_webhook(hook.id, "a").await.unwrap();
    assert!(
        store
            .claim_webhook_events("b", later(1, 20), later(1, 50), 10)
            .await
            .unwrap()
            .is_empty(),
        "the oldest event waits for its retry, and the others wait behind it"
    );
    let again = store
        .claim_webhook_events("b", later(2, 0), later(2, 30), 10)
        .await
        .unwrap();
    assert_eq!(again[0].events[0].delivery_id, events[0].delivery_id);
    assert_eq!(again[0].events[0].attempts, 1);

    let mut statuses = Vec::new();
    for event in &again[0].events[..7] {
        let after = store
            .record_webhook_attempt(event, attempt(event, None), AfterAttempt::Done)
            .await
            .unwrap();
        statuses.push((after.status, after.failure_count));
    }
    use WebhookStatus::{Active, Disabled};
    assert_eq!(
        statuses,
        [
            (Active, 1),
            (Active, 2),
            (Active, 3),
            (Active, 4),
            (Active, 5),
            (Active, 6),
            (Disabled, 6)
        ]
    );
    store.release_webhook(hook.id, "b").await.unwrap();
    assert!(
        drain(&store, "c").await.is_empty(),
        "a disabled webhook keeps nothing waiting"
    );
    let log = store.webhook_deliveries(hook.id, 100).await.unwrap();
    assert_eq!(log.len(), 8);
    assert_eq!(log[7].delivery_id, events[0].delivery_id);
    assert_eq!(log[7].response_status, Some(500));
    assert_eq!(log[6].attempt, 2);
    assert_eq!(log[0].error.as_deref(), Some("refused"));
    assert_eq!(log[0].request_headers, [("X-Test".into(), "yes".into())]);

    let revived = store
        .update_webhook(
            hook.id,
            WebhookPatch {
                status: Some(WebhookStatus::Active),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((revived.status, revived.failure_count), (Active, 0));
    store.clear_webhook_deliveries().await.unwrap();
    assert!(
        store
            .webhook_deliveries(hook.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.webhook_deliveries(hook.id + 100, 10).await,
        Err(StoreError::NotFound { entity: "webhook" })
    ));
}

/// Lists filter by status, name, include and exclude, sort and page with exact totals;
/// updates and deletes answer the webhook.
pub async fn webhooks_are_listed_changed_and_deleted(store: Store) {
    let mut ids = Vec::new();
    for (name, status) in [
        ("Alpha", WebhookStatus::Active),
        ("beta", WebhookStatus::Paused),
        ("Gamma", WebhookStatus::Active),
    ] {
        ids.push(
            store
                .create_webhook(new_webhook(name, CustomerEvent::Updated, status))
                .await
                .unwrap()
                .id,
        );
    }
    let query = |edit: &dyn Fn(&mut WebhookQuery)| {
        let mut query = WebhookQuery {
            status: None,
            search: None,
            include: Vec::new(),
            exclude: Vec::new(),
            created: TimeRange::default(),
            order_by: WebhookOrder::Id,
            descending: false,
            page: PageRequest::page(1, 10),
        };
        edit(&mut query);
        query
    };
    let names = |page: crate::Page<customer_model::webhook::Webhook>| {
        (
            page.items.into_iter().map(|w| w.name).collect::<Vec<_>>(),
            page.total,
        )
    };
    let all = store.list_webhooks(&query(&|_| {})).await.unwrap();
    assert_eq!(
        names(all),
        (vec!["Alpha".into(), "beta".into(), "Gamma".into()], 3)
    );
    let active = query(&|q| q.status = Some(WebhookStatus::Active));
    assert_eq!(names(store.list_webhooks(&active).await.unwrap()).1, 2);
    let search = query(&|q| q.search = Some("ALP".into()));
    assert_eq!(
        names(store.list_webhooks(&search).await.unwrap()),
        (vec!["Alpha".into()], 1)
    );
    let picked = query(&|q| {
        q.include = vec![ids[0], ids[2]];
        q.exclude = vec![ids[0]];
    });
    assert_eq!(
        names(store.list_webhooks(&picked).await.unwrap()),
        (vec!["Gamma".into()], 1)
    );
    let paged = query(&|q| {
        q.order_by = WebhookOrder::Name;
        q.descending = true;
        q.page = PageRequest::page(2, 2);
    });
    assert_eq!(
        names(store.list_webhooks(&paged).await.unwrap()),
        (vec!["Alpha".into()], 3)
    );
    // Creation dates bound the list, both ends included.
    let created: Vec<Timestamp> = store
        .list_webhooks(&query(&|_| {}))
        .await
        .unwrap()
        .items
        .iter()
        .map(|webhook| webhook.created_at)
        .collect();
    assert!(created[0] < created[1] && created[1] < created[2]);
    let middle = created[1];
    let since = query(&|q| q.created.from = Some(middle));
    assert_eq!(
        names(store.list_webhooks(&since).await.unwrap()),
        (vec!["beta".into(), "Gamma".into()], 2)
    );
    let until = query(&|q| q.created.to = Some(middle));
    assert_eq!(
        names(store.list_webhooks(&until).await.unwrap()),
        (vec!["Alpha".into(), "beta".into()], 2)
    );
    let exactly = query(&|q| {
        q.created = TimeRange {
            from: Some(middle),
            to: Some(middle),
        };
    });
    assert_eq!(
        names(store.list_webhooks(&exactly).await.unwrap()),
        (vec!["beta".into()], 1)
    );
    // Bounds past what the database holds select everything or nothing, as they say.
    let wide = query(&|q| {
        q.created = TimeRange {
            from: Some(Timestamp::MIN),
            to: Some(Timestamp::MAX),
        };
    });
    assert_eq!(names(store.list_webhooks(&wide).await.unwrap()).1, 3);
    let future = query(&|q| q.created.from = Some(Timestamp::MAX));
    assert_eq!(names(store.list_webhooks(&future).await.unwrap()).1, 0);
    // An offset or a limit past the database's integers is an empty page, not an error.
    let far = query(&|q| {
        q.page = PageRequest {
            offset: u64::MAX,
            limit: Some(u64::MAX),
        };
    });
    assert_eq!(
        names(store.list_webhooks(&far).await.unwrap()),
        (Vec::<String>::new(), 3)
    );

    let renamed = store
        .update_webhook(
            ids[1],
            WebhookPatch {
                name: Some("Beta".into()),
                event: Some(CustomerEvent::Deleted),
                delivery_url: Some("https://example.com/hook".into()),
                secret: Some("new".into()),
                status: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.event,
            renamed.delivery_url.as_str(),
            renamed.secret.as_str(),
            renamed.status
        ),
        (
            "Beta",
            CustomerEvent::Deleted,
            "https://example.com/hook",
            "new",
            WebhookStatus::Paused
        )
    );
    assert!(renamed.modified_at.is_some());
    let gone = store.delete_webhook(ids[1]).await.unwrap();
    assert_eq!(gone, renamed);
    assert!(matches!(
        store.webhook(ids[1]).await,
        Err(StoreError::NotFound { entity: "webhook" })
    ));
    assert!(matches!(
        store.delete_webhook(ids[1]).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A batch of `count` customers from id `first` (every third a guest), each with its own
/// `tag` in its addresses, and an order that makes a guest for a new address.
fn tagged_batch(tag: &str, first: i64, count: i64) -> ImportBatch {
    let customers = (0..count)
        .map(|i| {
            let address = format!("{tag}{i}@import.example");
            let mut customer = if i % 3 == 2 {
                guest(&address)
            } else {
                registered(&address, &format!("{tag}{i}"))
            };
            customer.id = Some(CustomerId(first + i));
            customer.into()
        })
        .collect();
    ImportBatch {
        customers,
        orders: vec![ImportOrder::new(
            CustomerRef::Email(email(&format!("{tag}.guest@import.example"))),
            order(CustomerId(0), "USD", OrderStatus::Completed, 100, at(1, 0)),
        )],
        ..ImportBatch::default()
    }
}

/// The registered customers of [`tagged_batch`], by id.
fn registered_of(first: i64, count: i64) -> Vec<i64> {
    (0..count)
        .filter(|i| i % 3 != 2)
        .map(|i| first + i)
        .collect()
}

fn firing() -> crate::ImportOptions {
    crate::ImportOptions {
        fire_webhooks: true,
        ..crate::ImportOptions::default()
    }
}

/// An import fires webhooks only when asked: then each registered customer it creates
/// gives one `created` event per active `created` webhook, in id order, whether the
/// import is a bulk load into an empty store or writes into one with data, however its
/// ids were given; guests, other events and inactive webhooks give none, and an import
/// rolled back or refused gives none.
pub async fn imports_fire_webhooks_when_asked(store: Store) {
    let first = make(&store, "c1", CustomerEvent::Created, WebhookStatus::Active).await;
    let second = make(&store, "c2", CustomerEvent::Created, WebhookStatus::Active).await;
    let updated = make(&store, "u", CustomerEvent::Updated, WebhookStatus::Active).await;
    let paused = make(&store, "p", CustomerEvent::Created, WebhookStatus::Paused).await;
    drain(&store, "pings").await;
    let created_events = |claimed: &[ClaimedWebhook], webhook: i64| -> Vec<i64> {
        kinds(claimed, webhook)
            .into_iter()
            .map(|(kind, id)| {
                assert_eq!(kind, EventKind::Customer(CustomerEvent::Created));
                id
            })
            .collect()
    };

    // Into the empty store (a bulk load), ids given in two runs out of order.
    let mut batch = tagged_batch("b", 100, 8);
    batch.customers.extend(tagged_batch("a", 20, 4).customers);
    let summary = store.import_with(batch, firing()).await.unwrap();
    assert_eq!(summary.customers, 13, "12 and a guest for the order");
    let claimed = drain(&store, "bulk").await;
    let mut expected = registered_of(20, 4);
    expected.extend(registered_of(100, 8));
    assert_eq!(created_events(&claimed, first.id), expected, "in id order");
    assert_eq!(created_events(&claimed, second.id), expected);
    for quiet in [updated.id, paused.id] {
        assert!(kinds(&claimed, quiet).is_empty());
    }

    // Without the option: nothing.
    store.import(tagged_batch("n", 200, 5)).await.unwrap();
    assert!(drain(&store, "silent").await.is_empty());

    // Into a store with data, in chunks of one session, ids assigned by the store.
    let mut session = store.begin_import(firing()).await.unwrap();
    let mut assigned = tagged_batch("s", 0, 6);
    for customer in &mut assigned.customers {
        customer.customer.id = None;
    }
    let records: Vec<_> = assigned.into_records().collect();
    let (one, two) = records.split_at(3);
    for chunk in [one, two] {
        let written = session
            .write(chunk.to_vec(), crate::Unresolved::Reject)
            .await
            .unwrap();
        assert!(matches!(written, crate::Written::Done { .. }));
    }
    session.commit().await.unwrap();
    let mut ids = Vec::new();
    for i in registered_of(0, 6) {
        let customer = store
            .customer_by_email(&format!("s{i}@import.example"))
            .await
            .unwrap();
        ids.push(customer.id.0);
    }
    ids.sort_unstable();
    let claimed = drain(&store, "chunks").await;
    assert_eq!(created_events(&claimed, first.id), ids);
    assert_eq!(created_events(&claimed, second.id), ids);

    // Rolled back, dropped or refused: no event.
    let mut session = store.begin_import(firing()).await.unwrap();
    session
        .write(
            tagged_batch("r", 300, 3).into_records().collect(),
            crate::Unresolved::Reject,
        )
        .await
        .unwrap();
    session.rollback().await.unwrap();
    let mut session = store.begin_import(firing()).await.unwrap();
    session
        .write(
            tagged_batch("d", 400, 3).into_records().collect(),
            crate::Unresolved::Reject,
        )
        .await
        .unwrap();
    drop(session);
    let mut refused = tagged_batch("x", 500, 3);
    refused.customers.extend(tagged_batch("a", 20, 1).customers);
    store.import_with(refused, firing()).await.unwrap_err();
    assert!(drain(&store, "none").await.is_empty());
    store.customer(CustomerId(300)).await.unwrap_err();
    store.customer(CustomerId(500)).await.unwrap_err();
}
