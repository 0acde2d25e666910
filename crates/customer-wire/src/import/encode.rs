//! Records back into the import format: a JSON document or NDJSON lines. Decoding what
//! is encoded gives the same records, which is how the format is tested; an export is
//! written this way, and a program can build an import file from model values.

use std::io::{self, Write};

use customer_model::import::{
    CustomerRef, ImportBatch, ImportCustomer, ImportDownloadGrant, ImportOrder, ImportRecord,
    ImportSubscription, KeptApiKey, RecordKind,
};
use customer_model::{Address, NewProduct, Timestamp};
use serde_json::{Map, Value, json};

use super::{plural, singular};

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

fn customer(imported: &ImportCustomer) -> Map<String, Value> {
    let customer = &imported.customer;
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
    put(&mut object, "password_hash", json!(imported.password_hash));
    put(&mut object, "created_at", timestamp(customer.created_at));
    put(&mut object, "modified_at", timestamp(imported.modified_at));
    object.insert("billing".into(), address(&customer.billing));
    object.insert("shipping".into(), address(&customer.shipping));
    let meta: Vec<Value> = customer
        .meta_data
        .iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let mut entry = Map::new();
            put(
                &mut entry,
                "id",
                json!(imported.meta_ids.get(i).copied().flatten()),
            );
            entry.insert("key".into(), json!(key));
            entry.insert("value".into(), value.clone());
            Value::Object(entry)
        })
        .collect();
    object.insert("meta_data".into(), Value::Array(meta));
    put(&mut object, "avatar_url", json!(customer.avatar_url));
    object
}

fn order(imported: &ImportOrder) -> Map<String, Value> {
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
        CustomerRef::Id(id) => object.insert("customer_id".into(), json!(id.0)),
        CustomerRef::Email(email) => object.insert("email".into(), json!(email.as_str())),
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
        .enumerate()
        .map(|(i, line)| {
            let mut object = Map::new();
            put(
                &mut object,
                "id",
                json!(imported.line_ids.get(i).copied().flatten()),
            );
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
        .enumerate()
        .map(|(i, refund)| {
            let mut object = Map::new();
            put(
                &mut object,
                "id",
                json!(imported.refund_ids.get(i).copied().flatten()),
            );
            object.insert("amount".into(), money(refund.amount));
            put(&mut object, "created_at", timestamp(refund.created_at));
            object.insert("reason".into(), json!(refund.reason));
            Value::Object(object)
        })
        .collect();
    object.insert("refunds".into(), Value::Array(refunds));
    object
}

fn subscription(imported: &ImportSubscription) -> Map<String, Value> {
    let subscription = &imported.subscription;
    let mut object = Map::new();
    put(&mut object, "id", json!(imported.id));
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

fn download_grant(imported: &ImportDownloadGrant) -> Map<String, Value> {
    let grant = &imported.grant;
    let mut object = Map::new();
    put(&mut object, "id", json!(imported.id));
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

fn api_key(key: &KeptApiKey) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("id".into(), json!(key.id));
    object.insert("kind".into(), json!(key.kind));
    object.insert("description".into(), json!(key.description));
    object.insert("permissions".into(), json!(key.permissions));
    object.insert("lookup".into(), json!(key.lookup));
    object.insert("secret".into(), json!(key.secret));
    object.insert("truncated".into(), json!(key.truncated));
    object.insert("created_at".into(), timestamp(Some(key.created_at)));
    put(&mut object, "last_access", timestamp(key.last_access));
    object
}

/// One record as a JSON object, without its `type`.
fn object(record: &ImportRecord) -> Map<String, Value> {
    match record {
        ImportRecord::Product(p) => product(p),
        ImportRecord::Customer(c) => customer(c),
        ImportRecord::Order(o) => order(o),
        ImportRecord::Subscription(s) => subscription(s),
        ImportRecord::DownloadGrant(g) => download_grant(g),
        ImportRecord::ApiKey(k) => api_key(k),
    }
}

/// The records as one JSON document with an array per kind.
pub fn encode_document(batch: &ImportBatch) -> Value {
    let mut document = Map::new();
    for kind in RecordKind::ALL {
        document.insert(plural(kind).to_owned(), Value::Array(Vec::new()));
    }
    for record in batch.clone().into_records() {
        if let Some(Value::Array(array)) = document.get_mut(plural(record.kind())) {
            array.push(Value::Object(object(&record)));
        }
    }
    Value::Object(document)
}

/// Writes one record as an NDJSON line (with its newline).
pub fn write_record(mut writer: impl Write, record: &ImportRecord) -> io::Result<()> {
    let mut line = Map::new();
    line.insert("type".into(), json!(singular(record.kind())));
    line.extend(object(record));
    serde_json::to_writer(&mut writer, &Value::Object(line))?;
    writer.write_all(b"\n")
}

/// Writes the records as NDJSON, one line each, in writing order.
pub fn write_ndjson(mut writer: impl Write, batch: &ImportBatch) -> io::Result<()> {
    for record in batch.clone().into_records() {
        write_record(&mut writer, &record)?;
    }
    writer.flush()
}
