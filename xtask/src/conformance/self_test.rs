//! The runner tested on itself: a tiny canned HTTP server in a thread answers fixed
//! responses, and cases are replayed against it through the same code as real runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::json;

use conformance::case::CaseFile;
use conformance::replay::{DialectRun, replay_case};
use conformance::vars::Variables;

use super::client::Client;
use super::report::{self, DialectResult};

/// A request as the canned server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Starts the canned server; returns its base URL and the requests it receives.
fn canned_server() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            thread::spawn(move || serve_connection(stream, &log));
        }
    });
    (base_url, seen)
}

/// Answers requests on one keep-alive connection until the client closes it.
fn serve_connection(stream: TcpStream, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map_or(0, |(_, value)| value.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let seen = Seen {
            method,
            target,
            headers,
            body: String::from_utf8(body).unwrap(),
        };
        let (status, extra_headers, body) = canned_answer(&seen);
        log.lock().unwrap().push(seen);
        let mut response = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in extra_headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

const CUSTOMER: &str = r#"{"id": 7, "email": "ann@example.com", "date_created": "2024-01-31T10:00:00", "billing": {"city": "Paris", "postcode": "75001"}, "tags": ["a", "b"]}"#;

fn canned_answer(request: &Seen) -> (u16, Vec<(&'static str, String)>, String) {
    let path = request.target.split('?').next().unwrap_or_default();
    let json = ("Content-Type", "application/json; charset=UTF-8".to_owned());
    match (request.method.as_str(), path) {
        ("GET", "/healthz") => (200, vec![json], r#"{"status":"ok"}"#.to_owned()),
        ("POST", "/customers") => (
            201,
            vec![
                json,
                ("Location", "http://example.com/customers/7".to_owned()),
            ],
            CUSTOMER.to_owned(),
        ),
        ("GET", "/customers/7") => (
            200,
            vec![json, ("X-WP-Total", "1".to_owned())],
            CUSTOMER.to_owned(),
        ),
        ("GET", "/legacy.xml") => (200, vec![], "<customer><id>7</id></customer>".to_owned()),
        _ => (
            404,
            vec![json],
            r#"{"code":"rest_no_route","message":"No route."}"#.to_owned(),
        ),
    }
}

/// Writes `cases` (name, JSON) into a temporary dialect folder and replays them.
fn replay(cases: &[(&str, &str)]) -> (DialectResult, Arc<Mutex<Vec<Seen>>>, tempfile::TempDir) {
    let (base_url, seen) = canned_server();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("wc-v3");
    std::fs::create_dir(&folder).unwrap();
    for (name, text) in cases {
        std::fs::write(folder.join(name), text).unwrap();
    }
    let mut vars = Variables::default();
    vars.set(
        "wc_ck",
        json!("ck_0000000000000000000000000000000000000000"),
    );
    vars.set(
        "wc_cs",
        json!("cs_1111111111111111111111111111111111111111"),
    );
    let mut dialect_run = DialectRun::new("http://example.com", vars);
    let mut client = Client::new(&base_url);
    let cases = CaseFile::load_dir(&folder).unwrap();
    let result = DialectResult {
        slug: "wc-v3".to_owned(),
        cases: cases
            .iter()
            .map(|case| replay_case(&mut dialect_run, &mut client, case))
            .collect(),
        error: None,
        not_run: 0,
        server_log: None,
    };
    (result, seen, dir)
}

const GOOD_CASE: &str = r#"{
  "description": "Create a customer, then read it back",
  "steps": [
    {
      "request": {"method": "POST", "path": "/customers", "json": {"email": "ann@example.com"}, "auth": "wc-oauth"},
      "expect": {
        "status": 201,
        "headers": {"location": "http://example.com/customers/{{$id}}", "X-WP-Total": null},
        "json": {"id": "{{any_integer}}", "email": "ann@example.com", "{{...}}": true}
      },
      "capture": {"id": "/id"}
    },
    {
      "request": {"path": "/customers/{{$id}}", "query": [["context", "view"]]},
      "expect": {
        "status": 200,
        "headers": {"X-WP-Total": "{{any_integer}}"},
        "json": {
          "id": "{{$id}}",
          "email": "ann@example.com",
          "date_created": "{{wc_datetime}}",
          "billing": {"city": "Paris", "postcode": "75001"},
          "tags": ["a", "{{any_string}}"]
        }
      }
    },
    {
      "request": {"path": "/legacy.xml"},
      "expect": {"status": 200, "body_contains": ["<id>{{$id}}</id>"]}
    },
    {
      "request": {"method": "PURGE", "path": "/customers"},
      "expect": {"status": 404, "json": {"code": "rest_no_route", "message": "No route."}}
    }
  ]
}"#;

#[test]
fn a_correct_case_passes_over_one_connection() {
    let (result, seen, _dir) = replay(&[("001-good.case.json", GOOD_CASE)]);
    assert_eq!(report::failures(&[]), "");
    assert!(result.ok(), "{}", report::failures(&[result]));
    assert_eq!((result.passed(), result.failed()), (1, 0));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].method, "PURGE");
    let create = &seen[0];
    assert_eq!(create.method, "POST");
    assert!(
        create
            .target
            .starts_with("/customers?oauth_consumer_key=ck_0000"),
        "{}",
        create.target
    );
    assert!(
        create.target.contains("&oauth_signature="),
        "{}",
        create.target
    );
    assert_eq!(create.body, r#"{"email":"ann@example.com"}"#);
    assert!(
        create
            .headers
            .contains(&("content-type".to_owned(), "application/json".to_owned()))
    );
    assert_eq!(seen[1].target, "/customers/7?context=view");
}

#[test]
fn a_wrong_expectation_fails_with_a_diff_that_names_the_field() {
    let wrong = GOOD_CASE
        .replace(r#""city": "Paris""#, r#""city": "London""#)
        .replace(
            "\"status\": 200,\n        \"headers\"",
            "\"status\": 202,\n        \"headers\"",
        );
    let (result, _seen, _dir) = replay(&[("001-wrong.case.json", &wrong)]);
    assert!(!result.ok());
    assert_eq!((result.passed(), result.failed()), (0, 1));
    let text = report::failures(std::slice::from_ref(&result));
    assert!(
        text.contains("FAIL wc-v3/001-wrong.case.json: Create a customer, then read it back"),
        "{text}"
    );
    assert!(text.contains("step 2: GET /customers/7"), "{text}");
    assert!(text.contains("status: expected 202, got 200"), "{text}");
    assert!(
        text.contains(r#"json /billing/city: expected "London", got "Paris""#),
        "{text}"
    );
    assert!(
        text.contains("--- expected\n") && text.contains("+++ actual\n"),
        "{text}"
    );
    assert!(
        text.contains("    -    \"city\": \"London\",\n    +    \"city\": \"Paris\",\n"),
        "{text}"
    );
    assert!(
        text.contains("\n         \"postcode\": \"75001\"\n"),
        "{text}"
    );
    // Matched matchers are shown as the values they matched, so they are no difference.
    assert!(!text.contains(r#"-  "date_created""#), "{text}");
    let table = report::table(std::slice::from_ref(&result));
    assert!(
        table.contains("wc-v3   |     1 |      0 |      1"),
        "{table}"
    );
    assert_eq!(
        report::summary_line(std::slice::from_ref(&result)),
        "conformance: 0 passed, 1 failed"
    );
}

#[test]
fn a_failed_capture_stops_the_case_and_says_why() {
    let case = r#"{"description": "capture", "steps": [
        {"request": {"path": "/nowhere"}, "expect": {"status": 404}, "capture": {"id": "/id"}},
        {"request": {"path": "/customers/{{$id}}"}, "expect": {"status": 200}}
    ]}"#;
    let (result, seen, _dir) = replay(&[("001-capture.case.json", case)]);
    assert_eq!(result.failed(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
    let text = report::failures(&[result]);
    assert!(
        text.contains("error: cannot capture `id`: nothing at /id in the response body"),
        "{text}"
    );
    assert!(text.contains("(1 later step(s) not run)"), "{text}");
}

#[test]
fn update_rewrites_failing_expectations_and_keeps_matchers() {
    let stale = r#"{
  "description": "stale",
  "steps": [
    {
      "request": {"path": "/customers/7", "query": [["context", "view"]]},
      "expect": {"status": 200, "json": {"id": "{{any_integer}}", "email": "old@example.com", "date_created": "{{uuid}}"}}
    }
  ]
}"#;
    let (result, _seen, dir) = replay(&[("001-stale.case.json", stale)]);
    assert_eq!(result.failed(), 1);
    assert_eq!(
        report::apply_updates(std::slice::from_ref(&result)).unwrap(),
        1
    );
    let path = dir.path().join("wc-v3").join("001-stale.case.json");
    let updated = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        updated,
        r#"{
  "description": "stale",
  "steps": [
    {
      "request": {"path": "/customers/7", "query": [["context", "view"]]},
      "expect": {
        "status": 200,
        "json": {
          "id": "{{any_integer}}",
          "email": "ann@example.com",
          "date_created": "2024-01-31T10:00:00",
          "billing": {"city": "Paris", "postcode": "75001"},
          "tags": ["a", "b"]
        }
      }
    }
  ]
}
"#
    );
    let (again, _seen, _dir) = replay(&[("001-stale.case.json", &updated)]);
    assert!(again.ok(), "{}", report::failures(&[again]));
}

#[test]
fn an_empty_folder_reports_zero_cases_and_passes() {
    let empty = DialectResult {
        slug: "edd-v1".to_owned(),
        cases: Vec::new(),
        error: None,
        not_run: 0,
        server_log: None,
    };
    assert!(empty.ok());
    assert!(report::table(&[empty]).contains("edd-v1  |     0 |      0 |      0"));
    let broken = DialectResult {
        slug: "edd-v2".to_owned(),
        cases: Vec::new(),
        error: Some("clientele serve exited".to_owned()),
        not_run: 3,
        server_log: Some("ERROR store unreachable".to_owned()),
    };
    assert!(!broken.ok());
    let table = report::table(std::slice::from_ref(&broken));
    assert!(
        table.contains("edd-v2  |     3 |      0 |      3  (could not run: see below)"),
        "{table}"
    );
    let text = report::failures(&[broken]);
    assert!(
        text.contains("ERROR edd-v2: clientele serve exited"),
        "{text}"
    );
    assert!(
        text.contains("server log of edd-v2 (last lines):\n  ERROR store unreachable"),
        "{text}"
    );
}

#[test]
fn every_committed_case_is_valid_and_each_dialect_has_a_health_case() {
    let fixtures = super::workspace_root().join("fixtures").join("conformance");
    for slug in super::SLUGS {
        let cases = CaseFile::load_dir(&fixtures.join(slug)).unwrap();
        assert!(
            cases
                .iter()
                .any(|case| Path::new(&case.path).ends_with("healthz.case.json")),
            "{slug} has no healthz case"
        );
    }
}
