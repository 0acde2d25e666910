//! Records back into the import format: a JSON document or NDJSON lines. Decoding what
//! is encoded gives the same records, which is how the format is tested; it also lets a
//! program build an import file from model values.

use std::io::{self, Write};

use customer_model::{
    Address, NewCustomer, NewDownloadGrant, NewProduct, NewSubscription, Timestamp,
};
use serde_json::{Map, Value, json};

use super::{CustomerKey, ImportedOrder, Records, Section};

fn timestamp(at: Option<Timestamp>) -> Value {
    at.map_or(Value::Null, |at| Value::String(at.to_string()))
}

/// Adds `key: value` unless the value is absent, so that optional fields stay optional.
fn put(object: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        object.insert(key.to_owned(), value);
    }
}

fn address(address: &Address) -> Value {
    Value::Object(
        address
            .fields()
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
            .collect(),
    )
}

fn product(product: &NewProduct) -> Map<String, Value> {
    let mut object = Map::new();
    put(&mut object, "id", json!(product.id.map(|id| id.0)));
    put(
        &mut object,
        "uuid",
        json!(product.uuid.map(|u| u.to_string())),
    );
    object.insert("name".into(), json!(product.name));
    let files: Vec<Value> = product
        .files
        .iter()
        .map(|f| json!({"id": f.id, "name": f.name, "url": f.url}))
        .collect();
    object.insert("files".into(), Value::Array(files));
    object
}

fn customer(customer: &NewCustomer) -> Map<String, Value> {
    let mut object = Map::new();
    put(&mut object, "id", json!(customer.id.map(|id| id.0)));
    put(
        &mut object,
        "uuid",
        json!(customer.uuid.map(|u| u.to_string())),
    );
    object.insert("email".into(), json!(customer.email.as_str()));
    let extra: Vec<&str> = customer
        .additional_emails
        .iter()
        .map(|e| e.as_str())
        .collect();
    object.insert("additional_emails".into(), json!(extra));
    object.insert("first_name".into(), json!(customer.first_name));
    object.insert("last_name".into(), json!(customer.last_name));
    put(&mut object, "display_name", json!(customer.display_name));
    if let Some(account) = &customer.account {
        object.insert("username".into(), json!(account.username.as_str()));
        object.insert("role".into(), json!(account.role.as_str()));
        put(&mut object, "password", json!(account.password));
    }
    put(&mut object, "created_at", timestamp(customer.created_at));
    object.insert("billing".into(), address(&customer.billing));
    object.insert("shipping".into(), address(&customer.shipping));
    let meta: Vec<Value> = customer
        .meta_data
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    object.insert("meta_data".into(), Value::Array(meta));
    put(&mut object, "avatar_url", json!(customer.avatar_url));
    object
}

fn order(imported: &ImportedOrder) -> Map<String, Value> {
    let order = &imported.order;
    let money = |minor: i64| Value::String(order.currency.format_minor(minor));
    let mut object = Map::new();
    put(&mut object, "id", json!(order.id.map(|id| id.0)));
    put(
        &mut object,
        "uuid",
        json!(order.uuid.map(|u| u.to_string())),
    );
    match &imported.customer {
        CustomerKey::Id(id) => object.insert("customer_id".into(), json!(id.0)),
        CustomerKey::Email(email) => object.insert("email".into(), json!(email.as_str())),
    };
    object.insert("status".into(), json!(order.status.as_str()));
    object.insert("currency".into(), json!(order.currency.code()));
    object.insert("total".into(), money(order.total));
    object.insert("subtotal".into(), money(order.subtotal));
    object.insert("total_tax".into(), money(order.total_tax));
    object.insert("shipping_total".into(), money(order.shipping_total));
    object.insert("discount_total".into(), money(order.discount_total));
    object.insert("payment_method".into(), json!(order.payment_method));
    object.insert(
        "payment_method_title".into(),
        json!(order.payment_method_title),
    );
    put(&mut object, "created_at", timestamp(order.created_at));
    put(&mut object, "paid_at", timestamp(order.paid_at));
    put(&mut object, "completed_at", timestamp(order.completed_at));
    object.insert("billing".into(), address(&order.billing));
    object.insert("shipping".into(), address(&order.shipping));
    let lines: Vec<Value> = order
        .line_items
        .iter()
        .map(|line| {
            let mut object = Map::new();
            put(
                &mut object,
                "product_id",
                json!(line.product_id.map(|p| p.0)),
            );
            object.insert("name".into(), json!(line.name));
            object.insert("quantity".into(), json!(line.quantity));
            object.insert("total".into(), money(line.total));
            Value::Object(object)
        })
        .collect();
    object.insert("line_items".into(), Value::Array(lines));
    let refunds: Vec<Value> = order
        .refunds
        .iter()
        .map(|refund| {
            let mut object = Map::new();
            object.insert("amount".into(), money(refund.amount));
            put(&mut object, "created_at", timestamp(refund.created_at));
            object.insert("reason".into(), json!(refund.reason));
            Value::Object(object)
        })
        .collect();
    object.insert("refunds".into(), Value::Array(refunds));
    object
}

fn subscription(subscription: &NewSubscription) -> Map<String, Value> {
    let mut object = Map::new();
    put(
        &mut object,
        "uuid",
        json!(subscription.uuid.map(|u| u.to_string())),
    );
    object.insert("customer_id".into(), json!(subscription.customer_id.0));
    object.insert("product_id".into(), json!(subscription.product_id.0));
    object.insert("status".into(), json!(subscription.status.as_str()));
    object.insert("currency".into(), json!(subscription.currency.code()));
    put(
        &mut object,
        "created_at",
        timestamp(subscription.created_at),
    );
    object
}

fn download_grant(grant: &NewDownloadGrant) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("download_id".into(), json!(grant.download_id));
    object.insert("customer_id".into(), json!(grant.customer_id.0));
    object.insert("order_id".into(), json!(grant.order_id.0));
    object.insert("product_id".into(), json!(grant.product_id.0));
    object.insert(
        "downloads_remaining".into(),
        json!(grant.downloads_remaining),
    );
    object.insert("access_expires".into(), timestamp(grant.access_expires));
    object.insert("download_count".into(), json!(grant.download_count));
    object
}

/// Every record as (kind, JSON object), in writing order.
fn objects(records: &Records) -> impl Iterator<Item = (Section, Map<String, Value>)> + '_ {
    let products = records
        .products
        .iter()
        .map(|p| (Section::Products, product(p)));
    let customers = records
        .customers
        .iter()
        .map(|c| (Section::Customers, customer(c)));
    let orders = records.orders.iter().map(|o| (Section::Orders, order(o)));
    let subscriptions = records
        .subscriptions
        .iter()
        .map(|s| (Section::Subscriptions, subscription(s)));
    let grants = records
        .download_grants
        .iter()
        .map(|g| (Section::DownloadGrants, download_grant(g)));
    products
        .chain(customers)
        .chain(orders)
        .chain(subscriptions)
        .chain(grants)
}

/// The records as one JSON document with an array per kind.
pub fn encode_document(records: &Records) -> Value {
    let mut document = Map::new();
    for section in Section::ALL {
        document.insert(section.plural().to_owned(), Value::Array(Vec::new()));
    }
    for (section, object) in objects(records) {
        if let Some(Value::Array(array)) = document.get_mut(section.plural()) {
            array.push(Value::Object(object));
        }
    }
    Value::Object(document)
}

/// One record as an NDJSON line, without the newline.
fn ndjson_line(section: Section, object: Map<String, Value>) -> String {
    let mut line = Map::new();
    line.insert("type".into(), json!(section.singular()));
    line.extend(object);
    Value::Object(line).to_string()
}

/// Writes the records as NDJSON, one line each.
pub fn write_ndjson(mut writer: impl Write, records: &Records) -> io::Result<()> {
    for (section, object) in objects(records) {
        writeln!(writer, "{}", ndjson_line(section, object))?;
    }
    writer.flush()
}
