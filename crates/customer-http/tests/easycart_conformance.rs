//! Replays `fixtures/conformance/easycart-v1/` through `customer_http::handle`, without a
//! socket: `setup.json` is imported with the import-format decoder, then every step of
//! every case is sent and checked (status, headers, JSON). The same cases run against a
//! live server with `cargo xtask conformance --dialect easycart-v1`.
//!
//! This replayer knows the parts of the case format the easycart cases use: `bearer` and
//! `none` auth, `query` pairs, `headers`, and exact JSON with the value matchers.

mod easycart_support;

use std::path::{Path, PathBuf};

use customer_http::Request;
use customer_store::CustomerStore;
use customer_wire::import;
use easycart_support::World;
use http::Method;
use serde_json::Value;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conformance/easycart-v1")
}

async fn import_setup(world: &World) {
    let bytes = std::fs::read(folder().join("setup.json")).expect("setup.json");
    let decoded = import::decode_slice(&bytes).expect("setup.json decodes");
    let batch = decoded.records;
    world.store.import(batch).await.expect("setup.json imports");
}

fn substitute(text: &str, token: &str) -> String {
    text.replace("{{$bearer_token}}", token)
}

/// Whether `actual` matches `expected` under the case format's rules; the first
/// difference otherwise, with its JSON pointer.
fn difference(expected: &Value, actual: &Value, at: &str, token: &str) -> Option<String> {
    let mismatch = || Some(format!("{at}: expected {expected}, got {actual}"));
    match expected {
        Value::String(text) => {
            let matched = match text.as_str() {
                "{{any}}" => true,
                "{{any_integer}}" => actual.is_i64() || actual.is_u64(),
                "{{any_number}}" => actual.is_number(),
                "{{any_string}}" => actual.is_string(),
                "{{uuid}}" => actual
                    .as_str()
                    .is_some_and(|s| customer_wire::easycart::parse_uuid(s).is_some()),
                "{{iso8601}}" => actual
                    .as_str()
                    .is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok()),
                other => actual.as_str() == Some(substitute(other, token).as_str()),
            };
            if matched { None } else { mismatch() }
        }
        Value::Object(fields) => {
            let Value::Object(got) = actual else {
                return mismatch();
            };
            let open = fields.get("{{...}}") == Some(&Value::Bool(true));
            let extra = got.keys().any(|key| !fields.contains_key(key));
            let missing = fields
                .keys()
                .any(|key| key != "{{...}}" && !got.contains_key(key));
            if missing || (extra && !open) {
                return Some(format!(
                    "{at}: keys differ: expected {:?}, got {:?}",
                    fields.keys().collect::<Vec<_>>(),
                    got.keys().collect::<Vec<_>>()
                ));
            }
            fields
                .iter()
                .filter(|(key, _)| *key != "{{...}}")
                .find_map(|(key, value)| {
                    difference(value, &got[key], &format!("{at}/{key}"), token)
                })
        }
        Value::Array(items) => {
            let Value::Array(got) = actual else {
                return mismatch();
            };
            if items.len() != got.len() {
                return mismatch();
            }
            items
                .iter()
                .zip(got)
                .enumerate()
                .find_map(|(i, (e, a))| difference(e, a, &format!("{at}/{i}"), token))
        }
        _ => (expected != actual).then(|| mismatch().unwrap()),
    }
}

fn request(spec: &Value, token: &str) -> Request {
    let method: Method = spec["method"].as_str().unwrap_or("GET").parse().unwrap();
    let mut target = spec["path"].as_str().expect("a path").to_owned();
    if let Some(pairs) = spec["query"].as_array() {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for pair in pairs {
            let name = pair[0].as_str().unwrap();
            query.append_pair(name, &substitute(pair[1].as_str().unwrap(), token));
        }
        let query = query.finish();
        if !query.is_empty() {
            target = format!("{target}?{query}");
        }
    }
    let mut request = Request::new(method, &target, "");
    if let Some(headers) = spec["headers"].as_object() {
        for (name, value) in headers {
            let name: http::HeaderName = name.parse().unwrap();
            let value = substitute(value.as_str().unwrap(), token);
            request.headers.append(name, value.parse().unwrap());
        }
    }
    match spec["auth"].as_str().unwrap_or("none") {
        "none" => {}
        "bearer" => {
            let value = format!("Bearer {token}");
            request = request.header("authorization", &value);
        }
        other => panic!("auth {other} is not used by easycart cases"),
    }
    request
}

#[tokio::test]
async fn conformance_cases_pass_without_a_socket() {
    let world = World::new("UTC").await;
    import_setup(&world).await;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".case.json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 9, "the easycart cases are found");
    let mut failures = Vec::new();
    let mut steps = 0;
    for path in &cases {
        let case: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            steps += 1;
            let answer = world.send(request(&step["request"], &world.token)).await;
            let expect = &step["expect"];
            if answer.status.as_u16() as u64 != expect["status"].as_u64().unwrap() {
                failures.push(format!("{name} step {i}: status {}", answer.status));
                continue;
            }
            for (header, value) in expect["headers"].as_object().into_iter().flatten() {
                let got = answer
                    .headers
                    .get(header.as_str())
                    .map(|v| v.to_str().unwrap());
                if got != value.as_str() {
                    failures.push(format!("{name} step {i}: header {header} is {got:?}"));
                }
            }
            if let Some(json) = expect.get("json")
                && let Some(diff) = difference(json, &answer.json, "", &world.token)
            {
                failures.push(format!("{name} step {i}: {diff}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(steps > 50, "every step ran ({steps})");
}
