//! The case file format of `fixtures/conformance/README.md`, read strictly: an unknown
//! field is an error, so a typo in a case cannot silently weaken it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer};

use crate::ordered::Value;

/// One `*.case.json` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows, in one sentence.
    pub description: String,
    /// Where the expected behaviour comes from (a seed section, a reference).
    #[serde(default)]
    pub source: Option<String>,
    pub steps: Vec<Step>,
}

/// A request, what must come back, and what to remember from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub request: RequestSpec,
    pub expect: Expect,
    /// Variable name → JSON pointer into the response body.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// The request half of a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    /// `[name, value]` pairs, sent in order, percent-encoded.
    #[serde(default)]
    pub query: Vec<(String, QueryValue)>,
    /// A query string sent as written (after variable substitution).
    #[serde(default)]
    pub query_raw: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body; `null` is a body too, so presence is kept apart from absence.
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    /// A raw body.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub auth: Auth,
}

fn default_method() -> String {
    "GET".to_owned()
}

/// A query value: a string, or a number or boolean written as JSON for convenience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryValue(pub String);

impl<'de> Deserialize<'de> for QueryValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Ok(Self(text)),
            serde_json::Value::Number(number) => Ok(Self(number.to_string())),
            serde_json::Value::Bool(flag) => Ok(Self(flag.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "a query value must be a string, number or boolean, not {other}"
            ))),
        }
    }
}

/// How the runner authenticates a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    #[default]
    None,
    WcOauth,
    WcOauthRead,
    WcOauthWrite,
    WcLegacyOauth,
    WcLegacyOauthRead,
    WcLegacyOauthWrite,
    WcBasic,
    WcQuery,
    Edd,
    Bearer,
}

/// The expectation half of a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: u16,
    /// Header name → expected value (matchers allowed), or `null` for "must be absent".
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_contains: Vec<String>,
}

/// Deserialises a field that may be `null`, so that `Some(Null)` means "written as null"
/// and the field's default (`None`) means "not written".
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// A case and the file it came from.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub path: PathBuf,
    pub case: Case,
}

impl CaseFile {
    /// Reads and checks one case file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let case: Case = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid case", path.display()))?;
        for (index, step) in case.steps.iter().enumerate() {
            let number = index + 1;
            let request = &step.request;
            anyhow::ensure!(
                request.path.starts_with('/'),
                "{}: step {number}: the path must start with '/'",
                path.display()
            );
            anyhow::ensure!(
                request.query.is_empty() || request.query_raw.is_none(),
                "{}: step {number}: give `query` or `query_raw`, not both",
                path.display()
            );
            anyhow::ensure!(
                request.json.is_none() || request.body.is_none(),
                "{}: step {number}: give a `json` or a `body` request body, not both",
                path.display()
            );
            anyhow::ensure!(
                step.expect.json.is_none() || step.expect.body.is_none(),
                "{}: step {number}: expect `json` or `body`, not both",
                path.display()
            );
        }
        Ok(Self {
            path: path.to_owned(),
            case,
        })
    }

    /// The `*.case.json` files of `dir`, in file-name order.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>> {
        let mut paths = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            let is_case = path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(".case.json"));
            if is_case {
                paths.push(path);
            }
        }
        paths.sort();
        paths.iter().map(|path| Self::load(path)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> serde_json::Result<Case> {
        serde_json::from_str(text)
    }

    #[test]
    fn defaults_and_null_bodies_are_told_apart() {
        let case = parse(
            r#"{"description": "d", "steps": [
                {"request": {"path": "/a", "query": [["n", 5], ["b", true], ["s", "x"]]},
                 "expect": {"status": 200, "json": null, "headers": {"X-A": null, "X-B": "1"}}},
                {"request": {"path": "/b", "method": "POST", "json": {"a": 1}, "auth": "wc-legacy-oauth-read"},
                 "expect": {"status": 201}}
            ]}"#,
        )
        .unwrap();
        let first = &case.steps[0];
        assert_eq!(first.request.method, "GET");
        assert_eq!(first.request.auth, Auth::None);
        assert_eq!(
            first
                .request
                .query
                .iter()
                .map(|(_, v)| v.0.as_str())
                .collect::<Vec<_>>(),
            ["5", "true", "x"]
        );
        assert_eq!(first.expect.json, Some(Value::Null));
        assert_eq!(first.expect.headers["X-A"], None);
        let second = &case.steps[1];
        assert_eq!(second.expect.json, None);
        assert_eq!(second.request.auth, Auth::WcLegacyOauthRead);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = parse(
            r#"{"description": "d", "steps": [{"request": {"path": "/a"}, "expect": {"status": 200, "jsno": {}}}]}"#,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown field `jsno`"),
            "{error}"
        );
        let error = parse(
            r#"{"description": "d", "steps": [{"request": {"path": "/a", "auth": "oauth"}, "expect": {"status": 200}}]}"#,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `oauth`"),
            "{error}"
        );
    }
}
