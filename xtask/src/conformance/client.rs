//! Cases sent over HTTP: one keep-alive connection pool to the server under test.

use std::time::Duration;

use conformance::replay::{Answer, BuiltRequest, Transport};

/// A server at a base URL.
pub(crate) struct Client {
    /// Scheme, host and port requests go to, without a trailing `/`.
    base_url: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the server at `base_url`.
    pub(crate) fn new(base_url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            // Every status is an answer to compare, not an error.
            .http_status_as_error(false)
            // A redirect is part of the behaviour under test, so it is not followed.
            .max_redirects(0)
            // Cases check how servers answer methods they do not support.
            .allow_non_standard_methods(true)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    /// Sends a plain `GET path` and returns the status, for readiness checks.
    pub(crate) fn get_status(&self, path: &str) -> Result<u16, String> {
        self.agent
            .get(format!("{}{path}", self.base_url))
            .call()
            .map(|response| response.status().as_u16())
            .map_err(|error| error.to_string())
    }
}

impl Transport for Client {
    fn send(&mut self, method: &str, built: &BuiltRequest) -> Result<Answer, String> {
        let url = format!("{}{}", self.base_url, built.target());
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in &built.headers {
            builder = builder.header(name, value);
        }
        let request_error = |error: ureq::http::Error| format!("cannot build the request: {error}");
        let result = match &built.body {
            Some(body) => self
                .agent
                .run(builder.body(body.clone()).map_err(request_error)?),
            None => self.agent.run(builder.body(()).map_err(request_error)?),
        };
        let mut response = result.map_err(|error| {
            format!(
                "{method} {}{}: {error}",
                built.path,
                if built.query.is_empty() { "" } else { "?…" }
            )
        })?;
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|error| format!("cannot read the response body: {error}"))?;
        Ok(Answer {
            status: response.status().as_u16(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}
