//! `bare-baseline LISTEN RESPONSES`: a hyper 1.x + tokio server with no logic of its own.
//! It answers every request whose target (path and query) is in the `RESPONSES` file with
//! the status, headers and body recorded there, and anything else with an empty `404`.
//!
//! `cargo xtask bench` records clientele's answers into that file and measures both
//! servers side by side: what this one reaches is the most the HTTP stack can give for
//! the same bytes, so clientele's throughput is reported as a share of it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// One recorded answer, as `cargo xtask bench` writes it.
#[derive(Debug, Deserialize)]
struct Recorded {
    /// Path and query, as the client sends them.
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A recorded answer ready to be cloned into a response.
struct Answer {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

fn load(path: &str) -> Result<HashMap<String, Answer>, Box<dyn std::error::Error>> {
    let recorded: Vec<Recorded> = serde_json::from_slice(&std::fs::read(path)?)?;
    let mut answers = HashMap::new();
    for r in recorded {
        let mut headers = Vec::new();
        for (name, value) in r.headers {
            headers.push((
                HeaderName::try_from(name.as_str())?,
                HeaderValue::try_from(value.as_str())?,
            ));
        }
        answers.insert(
            r.target,
            Answer {
                status: StatusCode::from_u16(r.status)?,
                headers,
                body: Bytes::from(r.body),
            },
        );
    }
    Ok(answers)
}

fn answer(answers: &HashMap<String, Answer>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let Some(recorded) = answers.get(target) else {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    let mut response = Response::new(Full::new(recorded.body.clone()));
    *response.status_mut() = recorded.status;
    let headers = response.headers_mut();
    for (name, value) in &recorded.headers {
        headers.append(name.clone(), value.clone());
    }
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(responses)) = (args.next(), args.next()) else {
        eprintln!("usage: bare-baseline LISTEN RESPONSES.json");
        std::process::exit(2);
    };
    let answers = Arc::new(load(&responses)?);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        // Small answers go out at once rather than waiting for Nagle's timer, as in
        // clientele.
        stream.set_nodelay(true)?;
        let answers = Arc::clone(&answers);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = answer(&answers, &request);
                async move { Ok::<_, Infallible>(response) }
            });
            // A client that goes away mid-request is not this server's concern.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
