//! Every conformance case of all six folders, replayed through `customer_http::handle`
//! without a socket, with the case format's own library: the server of each folder is
//! prepared as `cargo xtask conformance` prepares `clientele serve` (the README's keys,
//! `setup.json` imported, the same settings and `server.json` arguments).

use std::path::{Path, PathBuf};

use conformance::case::CaseFile;
use conformance::replay::{Answer, BuiltRequest, CaseReport, DialectRun, Transport, replay_case};
use conformance::setup::{self, KEYS, SITE_URL};
use conformance::vars::Variables;
use customer_http::{AppState, Request, SiteConfig, handle};
use customer_store::{KeyKind, KeyPermissions};
use customer_wire::Dialect;
use http::Method;
use http_body_util::BodyExt as _;

use crate::app::App;

fn folder(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conformance")
        .join(slug)
}

/// `clientele serve`'s settings for the folder: the runner's arguments, then the
/// folder's own.
fn site(folder: &Path) -> SiteConfig {
    let mut site = SiteConfig::local(SITE_URL);
    site.trust_forwarded_proto = true;
    let args = setup::server_args(folder).expect("a readable server.json");
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--edd-default-version", Some(version)) => {
                site.edd_default_version = version.parse().expect("a version number");
            }
            (other, _) => panic!("{}: `{other}` is not known here", folder.display()),
        }
    }
    site
}

/// The server of one folder: its keys as case variables.
async fn prepare(app: &App, folder: &Path) -> Variables {
    let mut vars = Variables::default();
    for recipe in KEYS {
        let kind = match recipe.kind {
            "woocommerce" => KeyKind::WooCommerce,
            "edd" => KeyKind::Edd,
            _ => KeyKind::Bearer,
        };
        let permissions = match recipe.permissions {
            Some("read") => KeyPermissions::Read,
            Some("write") => KeyPermissions::Write,
            _ => KeyPermissions::ReadWrite,
        };
        let (shown, _) = app.issue(kind, permissions).await;
        for (field, variable) in recipe.fields {
            vars.set(variable, shown[*field].clone());
        }
    }
    let setup = folder.join("setup.json");
    if setup.exists() {
        app.import(&setup).await;
    }
    vars
}

/// The server as a function, behind the case format's transport.
struct InProcess<'a> {
    state: &'a AppState,
    runtime: &'a tokio::runtime::Runtime,
}

impl Transport for InProcess<'_> {
    fn send(&mut self, method: &str, built: &BuiltRequest) -> Result<Answer, String> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = Request::new(
            method,
            &built.target(),
            built.body.clone().unwrap_or_default(),
        );
        for (name, value) in &built.headers {
            let name: http::HeaderName = name.parse().map_err(|e| format!("{name}: {e}"))?;
            let value = value.parse().map_err(|e| format!("{name}: {e}"))?;
            request.headers.append(name, value);
        }
        self.runtime.block_on(async {
            let response = handle(self.state, request).await;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Answer {
                status,
                headers,
                body: String::from_utf8_lossy(&body.to_bytes()).into_owned(),
            })
        })
    }
}

/// What went wrong in a case, in a few lines.
fn failures(report: &CaseReport) -> Vec<String> {
    let name = report
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let mut lines = Vec::new();
    for step in &report.steps {
        let Some(failure) = &step.failure else {
            continue;
        };
        let mut line = format!("{}: {}", name.as_deref().unwrap_or("?"), step.request_line);
        for mismatch in &failure.mismatches {
            line.push_str(&format!(
                "\n    {}: {}",
                mismatch.location, mismatch.message
            ));
        }
        if let Some(error) = &failure.error {
            line.push_str(&format!("\n    {error}"));
        }
        if let Some(diff) = &failure.diff {
            line.push_str(&format!("\n{diff}"));
        }
        lines.push(line);
    }
    if report.skipped > 0 {
        lines.push(format!(
            "{}: {} step(s) not run",
            name.unwrap_or_default(),
            report.skipped
        ));
    }
    lines
}

#[test]
fn every_case_of_every_dialect_passes_without_a_socket() {
    let slugs: Vec<&str> = Dialect::ALL.iter().map(|dialect| dialect.slug()).collect();
    assert_eq!(slugs, conformance::SLUGS, "one folder per dialect");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut problems = Vec::new();
    for slug in conformance::SLUGS {
        let folder = folder(slug);
        let cases = CaseFile::load_dir(&folder).expect("readable cases");
        assert!(cases.len() >= 10, "{slug} has its cases");
        let app = App::with_site(site(&folder));
        let vars = runtime.block_on(prepare(&app, &folder));
        let mut dialect_run = DialectRun::new(SITE_URL, vars);
        let mut transport = InProcess {
            state: &app.state,
            runtime: &runtime,
        };
        for case in &cases {
            let report = replay_case(&mut dialect_run, &mut transport, case);
            problems.extend(
                failures(&report)
                    .into_iter()
                    .map(|line| format!("{slug}/{line}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
