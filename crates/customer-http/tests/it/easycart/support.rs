//! What the easycart tests share: a site with a bearer key, builders of customers and
//! orders, and the seed's example store.

use customer_http::Request;
use customer_model::{
    Address, Currency, Customer, CustomerDraft, DownloadFile, NewDownloadGrant, NewLineItem,
    NewOrder, NewProduct, NewRefund, NewSubscription, Order, OrderStatus, Product, ProductId,
    Subscription, SubscriptionStatus, Timestamp, Uuid,
};
use customer_store::{CustomerStore, KeyKind, KeyPermissions};
use serde_json::Value;

pub(crate) use crate::app::Answer;
use crate::app::App;

/// A site in a time zone, with one live bearer token.
pub(crate) struct World {
    pub(crate) app: App,
    pub(crate) token: String,
}

impl std::ops::Deref for World {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl World {
    /// An empty store in `timezone`, with a fresh bearer key.
    pub(crate) async fn new(timezone: &str) -> Self {
        let app = App::in_timezone(timezone);
        let (shown, _) = app.issue(KeyKind::Bearer, KeyPermissions::ReadWrite).await;
        let token = shown["token"].as_str().expect("a token").to_owned();
        Self { app, token }
    }

    /// `GET path_and_query` with the bearer token.
    pub(crate) async fn get(&self, path_and_query: &str) -> Answer {
        let authorization = format!("Bearer {}", self.token);
        self.send(Request::get(path_and_query).header("authorization", &authorization))
            .await
    }

    /// Every item of the list `query` (without `page`), walking the pages.
    pub(crate) async fn all_items(&self, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        for page in 1.. {
            let answer = self
                .get(&format!("/api/v1/customers?{query}&page={page}"))
                .await;
            assert_eq!(answer.status, 200, "{query}: {}", answer.body);
            let batch = answer.body["items"].as_array().unwrap().clone();
            let total_pages = answer.body["pagination"]["total_pages"].as_u64().unwrap();
            items.extend(batch);
            if page >= total_pages {
                break;
            }
        }
        items
    }

    pub(crate) async fn customer(&self, draft: CustomerDraft) -> Customer {
        let new = draft.validate().expect("a valid customer");
        self.store
            .create_customer(new)
            .await
            .expect("a stored customer")
    }

    pub(crate) async fn product(&self, uuid: &str, name: &str) -> Product {
        self.store
            .create_product(NewProduct {
                id: None,
                uuid: Some(uuid.parse().unwrap()),
                name: name.into(),
                files: vec![DownloadFile {
                    id: format!("{name}-file"),
                    name: format!("{name}.pdf"),
                    url: format!("https://example.com/files/{name}.pdf"),
                }],
            })
            .await
            .expect("a stored product")
    }

    pub(crate) async fn order(&self, order: NewOrder) -> Order {
        self.store
            .create_order(order)
            .await
            .expect("a stored order")
    }

    pub(crate) async fn subscription(
        &self,
        customer: &Customer,
        product: &Product,
        status: SubscriptionStatus,
    ) -> Subscription {
        self.store
            .create_subscription(NewSubscription {
                uuid: Some(Uuid::from_u128(
                    (1 << 127) | ((customer.id.0 as u128) << 64) | product.id.0 as u128,
                )),
                customer_id: customer.id,
                product_id: product.id,
                status,
                currency: currency("pln"),
                created_at: Some(at("2026-01-01T00:00:00Z")),
            })
            .await
            .expect("a stored subscription")
    }
}

pub(crate) fn at(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

pub(crate) fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("an ISO 4217 code")
}

/// A customer draft with a UUID, names and an avatar.
pub(crate) fn person(uuid: Option<&str>, email: &str, first: &str, last: &str) -> CustomerDraft {
    CustomerDraft {
        uuid: uuid.map(|u| u.parse::<Uuid>().unwrap()),
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        created_at: Some(at("2025-12-01T00:00:00Z")),
        ..CustomerDraft::default()
    }
}

/// An order of `customer` placed `placed`, one line per product (the total split evenly,
/// the remainder on the first line), with refunds of the given amounts.
pub(crate) fn order(
    customer: &Customer,
    status: OrderStatus,
    currency_code: &str,
    total: i64,
    placed: Timestamp,
    products: &[ProductId],
    refunds: &[i64],
) -> NewOrder {
    let count = products.len().max(1) as i64;
    let mut line_items: Vec<NewLineItem> = products
        .iter()
        .map(|product| NewLineItem {
            product_id: Some(*product),
            name: "Item".into(),
            quantity: 1,
            total: total / count,
        })
        .collect();
    if let Some(first) = line_items.first_mut() {
        first.total += total % count;
    }
    // A fixed UUID per (customer, instant) keeps snapshots stable.
    let uuid = Uuid::from_u128(((customer.id.0 as u128) << 64) | placed.as_second() as u128);
    NewOrder {
        id: None,
        uuid: Some(uuid),
        customer_id: customer.id,
        status,
        currency: currency(currency_code),
        total,
        subtotal: total,
        total_tax: 0,
        shipping_total: 0,
        discount_total: 0,
        payment_method: "card".into(),
        payment_method_title: "Card".into(),
        created_at: Some(placed),
        paid_at: None,
        completed_at: None,
        billing: Address::default(),
        shipping: Address::default(),
        line_items,
        refunds: refunds
            .iter()
            .map(|amount| NewRefund {
                amount: *amount,
                created_at: Some(placed),
                reason: String::new(),
            })
            .collect(),
    }
}

pub(crate) const JANE: &str = "550e8400-e29b-41d4-a716-446655440010";
pub(crate) const ANOTHER: &str = "550e8400-e29b-41d4-a716-446655440011";
pub(crate) const CAROL: &str = "550e8400-e29b-41d4-a716-446655440012";
pub(crate) const COURSE: &str = "550e8400-e29b-41d4-a716-446655440100";
pub(crate) const EBOOK: &str = "550e8400-e29b-41d4-a716-446655440101";

/// The seed's example store: Jane Doe and another@example.com ordering in PLN (with the
/// seed's dates, counts and lifetime values), plus customers the PLN list must leave out.
pub(crate) async fn seed_store(world: &World) {
    let course = world.product(COURSE, "Course").await;
    let ebook = world.product(EBOOK, "Ebook").await;
    let mut jane_draft = person(Some(JANE), "buyer@example.com", "Jane", "Doe");
    jane_draft.avatar_url = Some("https://example.com/avatars/jane.png".into());
    jane_draft.additional_emails = vec!["jane.doe@work.example".into()];
    let jane = world.customer(jane_draft).await;
    let another = world
        .customer(person(Some(ANOTHER), "another@example.com", "", ""))
        .await;
    let carol = world
        .customer(person(Some(CAROL), "carol@example.com", "Carol", "Janeway"))
        .await;
    world
        .customer(person(None, "nobody@example.com", "No", "Orders"))
        .await;
    let c = course.id;
    let e = ebook.id;
    use OrderStatus::*;
    let mut orders = Vec::new();
    for new in [
        order(
            &jane,
            Completed,
            "pln",
            5000,
            at("2026-01-15T10:15:30Z"),
            &[c],
            &[],
        ),
        order(
            &jane,
            Completed,
            "pln",
            5900,
            at("2026-02-10T12:00:00Z"),
            &[c, e],
            &[1000],
        ),
        order(
            &jane,
            Failed,
            "pln",
            2500,
            at("2026-03-05T08:30:00Z"),
            &[e],
            &[],
        ),
        order(
            &jane,
            Completed,
            "pln",
            4900,
            at("2026-04-01T16:45:00Z"),
            &[c],
            &[],
        ),
        order(
            &jane,
            Completed,
            "pln",
            4800,
            at("2026-05-20T14:02:00Z"),
            &[c],
            &[],
        ),
        order(
            &jane,
            Completed,
            "usd",
            3000,
            at("2026-06-01T09:00:00Z"),
            &[e],
            &[],
        ),
        order(
            &another,
            Completed,
            "pln",
            3900,
            at("2026-03-02T09:00:00Z"),
            &[e],
            &[],
        ),
        order(
            &carol,
            Processing,
            "usd",
            1200,
            at("2026-02-01T00:00:00Z"),
            &[c],
            &[],
        ),
    ] {
        orders.push(world.order(new).await);
    }
    world
        .store
        .create_download_grant(NewDownloadGrant {
            download_id: "Course-file".into(),
            customer_id: jane.id,
            order_id: orders[0].id,
            product_id: course.id,
            downloads_remaining: Some(3),
            access_expires: Some(at("2027-01-15T00:00:00Z")),
            download_count: 2,
        })
        .await
        .expect("a stored grant");
    world
        .subscription(&jane, &course, SubscriptionStatus::Active)
        .await;
    world
        .subscription(&jane, &ebook, SubscriptionStatus::Canceled)
        .await;
    world
        .subscription(&carol, &course, SubscriptionStatus::PastDue)
        .await;
}
