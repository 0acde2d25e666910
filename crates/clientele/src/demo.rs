//! The demo store of `serve --demo`: a deterministic shop (fixed seed, fixed UUIDs, dates
//! counted from a fixed anchor, never from "now") written as an import document and loaded
//! through the same path as `clientele import`.
//!
//! What it promises (tests check each): 200 customers of whom 50 are guests, some with
//! several e-mail addresses, all with full billing and shipping addresses, some with meta
//! data; 10 products, 8 of them with downloadable files; orders in USD and PLN over the
//! two years before the anchor, in every status, with partial and full refunds;
//! subscriptions in every status; download grants with counts.

use customer_http::SiteConfig;
use customer_model::{CustomerQuery, OrderStatus, SubscriptionStatus, Timestamp, Uuid};
use customer_store::{CustomerStore, KeyKind, KeyPermissions};
use jiff::SignedDuration;
use serde_json::{Value, json};

/// Every date of the demo store is counted back from this instant.
pub const ANCHOR: &str = "2025-06-30T12:00:00Z";
/// How many customers the demo store has.
pub const CUSTOMERS: i64 = 200;
/// Every fourth customer is a guest.
const GUEST_EVERY: i64 = 4;
/// The seed of the demo store's random choices.
const SEED: u64 = 0x00c1_1e47_e1e5;
/// The UUIDs of the demo store are this prefix plus a kind and a number.
const UUID_PREFIX: u128 = 0xc11e_47e1_0000_4000_8000_0000_0000_0000;

/// A small, fast, deterministic generator (SplitMix64): the demo must be the same on
/// every machine and every run, which a seeded standard generator does not promise across
/// versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn uuid(kind: u128, number: i64) -> String {
    Uuid::from_u128(UUID_PREFIX | (kind << 32) | number as u128).to_string()
}

fn anchor() -> Timestamp {
    ANCHOR.parse().expect("the anchor is an RFC 3339 instant")
}

fn at(instant: Timestamp) -> String {
    instant.to_string()
}

/// (display, ASCII for addresses) first names.
const FIRST_NAMES: &[(&str, &str)] = &[
    ("John", "john"),
    ("Mary", "mary"),
    ("James", "james"),
    ("Patricia", "patricia"),
    ("Robert", "robert"),
    ("Linda", "linda"),
    ("Michael", "michael"),
    ("Susan", "susan"),
    ("David", "david"),
    ("Karen", "karen"),
    ("Łukasz", "lukasz"),
    ("Zofia", "zofia"),
    ("Paweł", "pawel"),
    ("Małgorzata", "malgorzata"),
    ("Tomasz", "tomasz"),
    ("Agnieszka", "agnieszka"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Garcia", "garcia"),
    ("Miller", "miller"),
    ("Doe", "doe"),
    ("Nowak", "nowak"),
    ("Kowalski", "kowalski"),
    ("Wiśniewski", "wisniewski"),
    ("Wójcik", "wojcik"),
    ("Lewandowska", "lewandowska"),
];

/// (city, state, postcode, street, phone prefix) in the United States.
const US_PLACES: &[(&str, &str, &str, &str)] = &[
    ("San Francisco", "CA", "94103", "Market Street"),
    ("Portland", "OR", "97205", "Burnside Street"),
    ("Austin", "TX", "78701", "Congress Avenue"),
    ("Chicago", "IL", "60601", "Michigan Avenue"),
    ("New York", "NY", "10001", "Broadway"),
    ("Boston", "MA", "02108", "Beacon Street"),
];

/// (city, voivodeship code, postcode, street) in Poland.
const PL_PLACES: &[(&str, &str, &str, &str)] = &[
    ("Kraków", "PL-12", "31-042", "ul. Floriańska"),
    ("Warszawa", "PL-14", "00-001", "ul. Marszałkowska"),
    ("Gdańsk", "PL-22", "80-831", "ul. Długa"),
    ("Wrocław", "PL-02", "50-077", "ul. Świdnicka"),
    ("Poznań", "PL-30", "61-772", "ul. Półwiejska"),
];

const COMPANIES: &[&str] = &["Acme Inc.", "Globex", "Initech", "Softex sp. z o.o."];

/// (name, price in US cents, number of downloadable files).
const PRODUCTS: &[(&str, i64, usize)] = &[
    ("Ebook: Rust for Shop Owners", 1999, 2),
    ("Icon Pack", 900, 1),
    ("Font Family Regular", 4900, 2),
    ("Stock Photo Bundle", 2900, 1),
    ("Theme: Storefront Pro", 5900, 1),
    ("Plugin: Advanced Reports", 7900, 2),
    ("Monthly Newsletter Archive", 500, 1),
    ("Course: Email Marketing", 12900, 2),
    ("Coffee Mug", 1500, 0),
    ("T-shirt", 2500, 0),
];

/// Products that are sold as subscriptions.
const SUBSCRIPTION_PRODUCTS: &[i64] = &[6, 7, 8];

/// A customer as the rest of the demo needs to know it.
struct DemoCustomer {
    id: i64,
    email: String,
    guest: bool,
    polish: bool,
    created: Timestamp,
    billing: Value,
    shipping: Value,
}

fn product_file_id(product: i64, file: usize) -> String {
    format!("{:08x}-demo-file-{product}-{file}", product * 7919)
}

fn products() -> Vec<Value> {
    PRODUCTS
        .iter()
        .zip(1i64..)
        .map(|(&(name, _, files), id)| {
            let files: Vec<Value> = (1..=files)
                .map(|file| {
                    json!({
                        "id": product_file_id(id, file),
                        "name": format!("{name} (part {file})"),
                        "url": format!("https://downloads.example.com/{id}/{file}.zip"),
                    })
                })
                .collect();
            json!({"id": id, "uuid": uuid(1, id), "name": name, "files": files})
        })
        .collect()
}

fn customers(rng: &mut SplitMix64) -> (Vec<Value>, Vec<DemoCustomer>) {
    let start = anchor() - SignedDuration::from_hours(24 * 760);
    let mut records = Vec::new();
    let mut demo = Vec::new();
    for id in 1..=CUSTOMERS {
        let polish = id % 3 == 0;
        let guest = id % GUEST_EVERY == 0;
        let &(first, first_ascii) = rng.pick(FIRST_NAMES);
        let &(last, last_ascii) = rng.pick(LAST_NAMES);
        let domain = if polish { "example.pl" } else { "example.com" };
        let email = format!("{first_ascii}.{last_ascii}{id}@{domain}");
        let &(city, state, postcode, street) = if polish {
            rng.pick(PL_PLACES)
        } else {
            rng.pick(US_PLACES)
        };
        let country = if polish { "PL" } else { "US" };
        let phone = if polish {
            format!("+48 600 {:03} {:03}", id, rng.below(1000))
        } else {
            format!("+1 555 {:03} {:04}", id, rng.below(10_000))
        };
        let company = if rng.chance(20) {
            *rng.pick(COMPANIES)
        } else {
            ""
        };
        let billing = json!({
            "first_name": first, "last_name": last, "company": company,
            "address_1": format!("{street} {}", 1 + rng.below(120)),
            "address_2": if rng.chance(30) { format!("Apt {}", 1 + rng.below(40)) } else { String::new() },
            "city": city, "state": state, "postcode": postcode, "country": country,
            "email": email, "phone": phone,
        });
        // Most ship to where they pay; some ship to a second place.
        let shipping = if rng.chance(75) {
            let mut shipping = billing.clone();
            if let Some(object) = shipping.as_object_mut() {
                object.remove("email");
            }
            shipping
        } else {
            let &(city, state, postcode, street) = if polish {
                rng.pick(PL_PLACES)
            } else {
                rng.pick(US_PLACES)
            };
            json!({
                "first_name": first, "last_name": last, "company": "",
                "address_1": format!("{street} {}", 1 + rng.below(120)), "address_2": "",
                "city": city, "state": state, "postcode": postcode, "country": country,
                "phone": phone,
            })
        };
        let mut additional = Vec::new();
        if id % 10 == 1 {
            additional.push(format!("{first_ascii}@work{id}.example.com"));
        }
        if id % 25 == 2 {
            additional.push(format!("{first_ascii}.{last_ascii}.{id}@mail.example.net"));
            additional.push(format!("{last_ascii}{id}@old.example.org"));
        }
        let mut meta = Vec::new();
        if id % 5 == 0 {
            meta.push(
                json!({"key": "loyalty_tier", "value": *rng.pick(&["silver", "gold", "platinum"])}),
            );
        }
        if id % 8 == 0 {
            meta.push(json!({"key": "newsletter", "value": true}));
        }
        if id % 20 == 0 {
            meta.push(json!({"key": "preferences", "value": {"language": if polish { "pl" } else { "en" }, "sms": false}}));
        }
        let created = start
            + SignedDuration::from_hours(24 * 3 * id)
            + SignedDuration::from_secs(rng.below(86_400) as i64);
        let mut record = json!({
            "id": id,
            "uuid": uuid(2, id),
            "email": email,
            "additional_emails": additional,
            "first_name": first,
            "last_name": last,
            "created_at": at(created),
            "billing": billing,
            "shipping": shipping,
            "meta_data": meta,
        });
        if !guest {
            let object = record.as_object_mut().expect("a customer is an object");
            let role = match id {
                1 => "administrator",
                2 => "shop_manager",
                _ if id % 7 == 0 => "subscriber",
                _ => "customer",
            };
            object.insert(
                "username".into(),
                json!(format!("{first_ascii}.{last_ascii}{id}")),
            );
            object.insert("role".into(), json!(role));
        }
        records.push(record);
        demo.push(DemoCustomer {
            id,
            email,
            guest,
            polish,
            created,
            billing,
            shipping,
        });
    }
    (records, demo)
}

/// An order's status: the first orders go through every status once, so that each is
/// present; later ones are weighted as a real shop's are.
fn order_status(rng: &mut SplitMix64, sequence: usize) -> OrderStatus {
    if let Some(&status) = OrderStatus::ALL.get(sequence) {
        return status;
    }
    match rng.below(100) {
        0..55 => OrderStatus::Completed,
        55..67 => OrderStatus::Processing,
        67..72 => OrderStatus::OnHold,
        72..78 => OrderStatus::Pending,
        78..85 => OrderStatus::Cancelled,
        85..93 => OrderStatus::Refunded,
        _ => OrderStatus::Failed,
    }
}

/// Orders and the download grants their downloadable lines give.
fn orders(rng: &mut SplitMix64, customers: &[DemoCustomer]) -> (Vec<Value>, Vec<Value>) {
    let end = anchor();
    let mut orders = Vec::new();
    let mut grants = Vec::new();
    let mut next_id = 1001;
    for customer in customers {
        // Guests exist because they bought: each has at least one order.
        let count = if customer.guest {
            1 + rng.below(3)
        } else {
            rng.below(6)
        };
        for _ in 0..count {
            let id = next_id;
            next_id += 1;
            let status = order_status(rng, orders.len());
            let (currency, rate) = if customer.polish && rng.chance(85) {
                ("PLN", 4)
            } else {
                ("USD", 1)
            };
            let span = end.duration_since(customer.created).as_secs().max(3600);
            let created =
                customer.created + SignedDuration::from_secs(rng.below(span as u64) as i64);
            let mut lines = Vec::new();
            let mut subtotal = 0;
            let mut physical = false;
            let mut bought = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let product = 1 + rng.below(PRODUCTS.len() as u64) as i64;
                if bought.contains(&product) {
                    continue;
                }
                bought.push(product);
                let (name, cents, files) = PRODUCTS[product as usize - 1];
                physical |= files == 0;
                let quantity = if files == 0 {
                    1 + rng.below(3) as i64
                } else {
                    1
                };
                let total = cents * rate * quantity;
                subtotal += total;
                lines.push(json!({"product_id": product, "name": name, "quantity": quantity, "total": money(total)}));
            }
            let discount = if rng.chance(15) { subtotal / 10 } else { 0 };
            let tax_percent = if currency == "PLN" { 23 } else { 8 };
            let tax = (subtotal - discount) * tax_percent / 100;
            let shipping = if physical { 500 * rate } else { 0 };
            let total = subtotal - discount + tax + shipping;
            let paid = matches!(
                status,
                OrderStatus::Processing | OrderStatus::Completed | OrderStatus::Refunded
            );
            let completed = matches!(status, OrderStatus::Completed | OrderStatus::Refunded);
            let paid_at = created + SignedDuration::from_mins(5);
            let completed_at = created + SignedDuration::from_hours(48);
            let mut refunds = Vec::new();
            if status == OrderStatus::Refunded {
                refunds.push(json!({"amount": money(total), "created_at": at(completed_at + SignedDuration::from_hours(72)), "reason": "Customer changed their mind"}));
            } else if status == OrderStatus::Completed && rng.chance(12) {
                let amount = (total / 5).max(1);
                refunds.push(json!({"amount": money(amount), "created_at": at(completed_at + SignedDuration::from_hours(24)), "reason": "Partial refund: damaged item"}));
            }
            let (method, title) = *rng.pick(&[
                ("stripe", "Credit card (Stripe)"),
                ("bacs", "Direct bank transfer"),
                ("paypal", "PayPal"),
            ]);
            let mut order = json!({
                "id": id,
                "uuid": uuid(3, id),
                "status": status.as_str(),
                "currency": currency,
                "total": money(total),
                "subtotal": money(subtotal),
                "total_tax": money(tax),
                "shipping_total": money(shipping),
                "discount_total": money(discount),
                "payment_method": method,
                "payment_method_title": title,
                "created_at": at(created),
                "billing": customer.billing,
                "shipping": customer.shipping,
                "line_items": lines,
                "refunds": refunds,
            });
            let object = order.as_object_mut().expect("an order is an object");
            if paid {
                object.insert("paid_at".into(), json!(at(paid_at)));
            }
            if completed {
                object.insert("completed_at".into(), json!(at(completed_at)));
            }
            // Guests are named by e-mail, as a shop's checkout records them.
            if customer.guest {
                object.insert("email".into(), json!(customer.email));
            } else {
                object.insert("customer_id".into(), json!(customer.id));
            }
            orders.push(order);
            if matches!(status, OrderStatus::Completed | OrderStatus::Processing) {
                for &product in &bought {
                    for file in 1..=PRODUCTS[product as usize - 1].2 {
                        let count = rng.below(5) as i64;
                        let remaining = rng.chance(50).then(|| 5 - count.min(5));
                        let expires = rng
                            .chance(40)
                            .then(|| at(created + SignedDuration::from_hours(24 * 365)));
                        grants.push(json!({
                            "download_id": product_file_id(product, file),
                            "customer_id": customer.id,
                            "order_id": id,
                            "product_id": product,
                            "downloads_remaining": remaining,
                            "access_expires": expires,
                            "download_count": count,
                        }));
                    }
                }
            }
        }
    }
    (orders, grants)
}

/// Major-unit decimal string of minor units with two decimals (USD and PLN both have two).
fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn subscriptions(rng: &mut SplitMix64, customers: &[DemoCustomer]) -> Vec<Value> {
    customers
        .iter()
        .filter(|c| !c.guest && c.id % 6 == 1)
        .zip(0..)
        .map(|(customer, sequence)| {
            let status = SubscriptionStatus::ALL
                .get(sequence)
                .copied()
                .unwrap_or_else(|| {
                    *rng.pick(&[
                        SubscriptionStatus::Active,
                        SubscriptionStatus::Active,
                        SubscriptionStatus::Trialing,
                        SubscriptionStatus::Canceled,
                        SubscriptionStatus::PastDue,
                    ])
                });
            let product = *rng.pick(SUBSCRIPTION_PRODUCTS);
            let currency = if customer.polish { "PLN" } else { "USD" };
            let created = customer.created + SignedDuration::from_hours(24 * 30);
            json!({
                "uuid": uuid(4, sequence as i64 + 1),
                "customer_id": customer.id,
                "product_id": product,
                "status": status.as_str(),
                "currency": currency,
                "created_at": at(created),
            })
        })
        .collect()
}

/// The demo store as an import document.
pub fn document() -> Value {
    let mut rng = SplitMix64(SEED);
    let products = products();
    let (customer_records, customers) = customers(&mut rng);
    let (orders, grants) = orders(&mut rng, &customers);
    let subscriptions = subscriptions(&mut rng, &customers);
    json!({
        "products": products,
        "customers": customer_records,
        "orders": orders,
        "subscriptions": subscriptions,
        "download_grants": grants,
    })
}

/// One key of each kind, as `keys create` shows them.
#[derive(Debug, Clone)]
pub struct DemoKeys {
    /// `{"consumer_key","consumer_secret"}`.
    pub woocommerce: Value,
    /// `{"key","secret","token"}`.
    pub edd: Value,
    /// `{"token"}`.
    pub bearer: Value,
}

/// Loads the demo store into an empty database and creates its keys. A database that
/// already has customers is left alone (`None`): its keys were shown when it was filled.
pub async fn prepare(store: &dyn CustomerStore) -> anyhow::Result<Option<DemoKeys>> {
    if store.count_customers(&CustomerQuery::default()).await? > 0 {
        tracing::info!(
            "the database already has customers: demo data not loaded, no demo keys made \
             (create keys with `clientele keys create`)"
        );
        return Ok(None);
    }
    let bytes = serde_json::to_vec(&document())?;
    let summary = crate::import::import_bytes(store, &bytes)
        .await
        .map_err(|failure| anyhow::anyhow!("the demo store does not load: {failure}"))?;
    tracing::info!(
        customers = summary.customers,
        orders = summary.orders,
        products = summary.products,
        subscriptions = summary.subscriptions,
        download_grants = summary.download_grants,
        "demo store loaded"
    );
    let create = |kind| crate::keys::create(store, kind, KeyPermissions::ReadWrite, "demo");
    Ok(Some(DemoKeys {
        woocommerce: create(KeyKind::WooCommerce).await?,
        edd: create(KeyKind::Edd).await?,
        bearer: create(KeyKind::Bearer).await?,
    }))
}

/// The keys with curl commands that work against the server as it is configured.
pub fn instructions(keys: &DemoKeys, site: &SiteConfig, tls: bool) -> String {
    let text = |value: &Value, name: &str| value[name].as_str().unwrap_or_default().to_owned();
    let (ck, cs) = (
        text(&keys.woocommerce, "consumer_key"),
        text(&keys.woocommerce, "consumer_secret"),
    );
    let (edd_key, edd_token) = (text(&keys.edd, "key"), text(&keys.edd, "token"));
    let bearer = text(&keys.bearer, "token");
    let url = &site.site_url;
    let insecure = if tls { "-k " } else { "" };
    let woo = |path: &str| {
        if tls {
            format!("curl -k -u '{ck}:{cs}' '{url}{path}'")
        } else {
            format!("curl -u '{ck}:{cs}' -H 'X-Forwarded-Proto: https' '{url}{path}'")
        }
    };
    let woo_note = if tls {
        "# WooCommerce REST and legacy APIs, Basic auth over https (-k accepts a self-signed certificate):"
    } else if site.trust_forwarded_proto {
        "# WooCommerce REST and legacy APIs: over plain http WooCommerce takes OAuth 1.0a signatures;\n\
         # with --trust-proxy, Basic auth works when the proxy says https:"
    } else {
        "# WooCommerce REST and legacy APIs: over plain http WooCommerce takes OAuth 1.0a signatures\n\
         # only (use an OAuth client such as the `woocommerce` Python package). For curl, restart\n\
         # with --trust-proxy (as behind a TLS-terminating proxy); then these work:"
    };
    format!(
        "Demo store loaded. One key of each kind (shown once; `clientele keys list` lists them):\n\
         \x20 woocommerce  consumer_key={ck}\n\
         \x20              consumer_secret={cs}\n\
         \x20 edd          key={edd_key}\n\
         \x20              secret={edd_secret}\n\
         \x20              token={edd_token}\n\
         \x20 bearer       token={bearer}\n\
         \n\
         # Health:\n\
         curl {insecure}'{url}/healthz'\n\
         {woo_note}\n\
         {wc_v3}\n\
         {wc_legacy}\n\
         # Easy Digital Downloads (v2), key and token:\n\
         curl {insecure}'{url}/edd-api/v2/customers/?key={edd_key}&token={edd_token}&number=5'\n\
         # easycart, bearer token (currency is required):\n\
         curl {insecure}-H 'Authorization: Bearer {bearer}' '{url}/api/v1/customers?currency=usd'\n",
        edd_secret = text(&keys.edd, "secret"),
        wc_v3 = woo("/wp-json/wc/v3/customers?per_page=5"),
        wc_legacy = woo("/wc-api/v3/customers?filter[limit]=5"),
    )
}

#[cfg(test)]
mod tests;
