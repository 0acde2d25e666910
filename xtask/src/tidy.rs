//! Tidy tests: the layering rules of `ARCHITECTURE.md`, checked on the source tree on
//! every `cargo test` (and so in `cargo xtask ci`). Each test names the rule it keeps and
//! lists every place that breaks it.

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use crate::conformance::workspace_root;

    /// A source file: its path relative to the workspace root, and its text.
    struct Source {
        path: String,
        text: String,
    }

    /// Every file under `dir` (relative to the root) whose name ends with `suffix`.
    fn files(dir: &str, suffix: &str) -> Vec<Source> {
        let root = workspace_root();
        let mut found = Vec::new();
        let mut pending = vec![root.join(dir)];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                        pending.push(path);
                    }
                } else if name.ends_with(suffix) {
                    found.push(Source {
                        path: relative(&root, &path),
                        text: fs::read_to_string(&path).unwrap_or_default(),
                    });
                }
            }
        }
        assert!(!found.is_empty(), "no {suffix} files under {dir}");
        found
    }

    fn relative(root: &Path, path: &Path) -> String {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The code lines of a Rust file with their numbers: comments cut off, and nothing
    /// from the first `#[cfg(test)]` on when `with_tests` is false.
    fn code_lines(text: &str, with_tests: bool) -> Vec<(usize, &str)> {
        let mut lines = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if !with_tests && line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            if !code.trim().is_empty() {
                lines.push((index + 1, code));
            }
        }
        lines
    }

    /// The places in `sources` whose code matches `breaks`.
    fn offences(
        sources: &[Source],
        with_tests: bool,
        allowed: impl Fn(&str) -> bool,
        breaks: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut found = Vec::new();
        for source in sources.iter().filter(|s| !allowed(&s.path)) {
            for (number, code) in code_lines(&source.text, with_tests) {
                if breaks(code) {
                    found.push(format!("{}:{number}: {}", source.path, code.trim()));
                }
            }
        }
        found
    }

    fn assert_none(rule: &str, offences: &[String]) {
        assert!(
            offences.is_empty(),
            "{rule} (ARCHITECTURE.md):\n{}",
            offences.join("\n")
        );
    }

    #[test]
    fn rusqlite_stays_in_the_sqlite_backend() {
        let in_backend =
            |path: &str| path.starts_with("crates/customer-store/") && path.contains("sqlite");
        let mut found = offences(&files("crates", ".rs"), true, in_backend, |code| {
            code.contains("rusqlite")
        });
        // This file names what it looks for.
        let this_file = |path: &str| path == "xtask/src/tidy.rs";
        found.extend(offences(&files("xtask", ".rs"), true, this_file, |code| {
            code.contains("rusqlite")
        }));
        for manifest in files("crates", "Cargo.toml") {
            if manifest.path != "crates/customer-store/Cargo.toml"
                && manifest.text.contains("rusqlite")
            {
                found.push(manifest.path);
            }
        }
        assert_none("no rusqlite outside the SQLite backend", &found);
    }

    #[test]
    fn hyper_stays_in_the_http_crate() {
        let in_http = |path: &str| path.starts_with("crates/customer-http/");
        let mut found = offences(&files("crates", ".rs"), true, in_http, |code| {
            code.contains("hyper::") || code.contains("hyper_util")
        });
        for manifest in files("crates", "Cargo.toml") {
            let names_hyper = manifest
                .text
                .lines()
                .any(|line| line.trim_start().starts_with("hyper"));
            if !in_http(&manifest.path) && names_hyper {
                found.push(manifest.path);
            }
        }
        assert_none("no hyper outside customer-http", &found);
    }

    #[test]
    fn the_http_crate_writes_no_dialect_bytes() {
        let found = offences(
            &files("crates/customer-http/src", ".rs"),
            true,
            |_| false,
            |code| {
                code.contains("json!(")
                    || code.contains("serde_json::from_slice")
                    || code.contains("\"woocommerce_")
                    || code.contains("\"rest_")
            },
        );
        assert_none(
            "customer-http holds no JSON literals, no body parsing and no error codes",
            &found,
        );
    }

    #[test]
    fn the_model_names_no_dialect() {
        let names = ["woocommerce", "wordpress", "easycart", "edd", "wc_", "wp_"];
        let found = offences(
            &files("crates/customer-model/src", ".rs"),
            false,
            |_| false,
            |code| {
                let lower = code.to_ascii_lowercase();
                names.iter().any(|name| {
                    lower.match_indices(name).any(|(at, _)| {
                        let before = lower[..at].chars().next_back();
                        !before.is_some_and(|c| c.is_ascii_alphanumeric())
                    })
                })
            },
        );
        assert_none("customer-model names no dialect", &found);
    }

    #[test]
    fn the_codecs_know_no_store_server_or_async() {
        let found = offences(
            &files("crates/customer-wire/src", ".rs"),
            true,
            |_| false,
            |code| {
                code.contains("customer_store")
                    || code.contains("tokio")
                    || code.contains("async fn")
                    || code.contains(".await")
                    || code.contains("http::")
            },
        );
        let manifest = fs::read_to_string(workspace_root().join("crates/customer-wire/Cargo.toml"))
            .expect("the codecs' manifest");
        let mut found = found;
        for dependency in [
            "customer-store",
            "tokio",
            "hyper",
            "http ",
            "http.",
            "rusqlite",
        ] {
            if manifest.lines().any(|line| line.starts_with(dependency)) {
                found.push(format!("crates/customer-wire/Cargo.toml: {dependency}"));
            }
        }
        assert_none(
            "customer-wire is pure: no store, no server, no async",
            &found,
        );
    }

    #[test]
    fn the_store_knows_no_codec_or_server() {
        let found = offences(
            &files("crates/customer-store/src", ".rs"),
            true,
            |_| false,
            |code| {
                code.contains("customer_wire")
                    || code.contains("customer_http")
                    || code.contains("hyper")
            },
        );
        assert_none(
            "customer-store knows no dialect codec and no server",
            &found,
        );
    }

    #[test]
    fn no_pending_snapshots_are_left_behind() {
        let pending: Vec<String> = walk_names("crates")
            .into_iter()
            .filter(|path| path.ends_with(".snap.new") || path.ends_with(".pending-snap"))
            .collect();
        assert_none("no pending insta snapshots are committed", &pending);
    }

    /// Every file path under `dir`, relative to the root.
    fn walk_names(dir: &str) -> Vec<String> {
        let root = workspace_root();
        let mut found = Vec::new();
        let mut pending = vec![root.join(dir)];
        while let Some(folder) = pending.pop() {
            for entry in fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if entry.file_name() != "target" {
                        pending.push(path);
                    }
                } else {
                    found.push(relative(&root, &path));
                }
            }
        }
        found
    }

    #[test]
    fn the_rules_find_what_they_look_for() {
        let sample = "use rusqlite::Connection; // rusqlite in a comment is fine\n#[cfg(test)]\nx";
        assert_eq!(code_lines(sample, false).len(), 1);
        assert_eq!(code_lines(sample, true).len(), 3);
        let sources = [Source {
            path: "crates/x/src/lib.rs".into(),
            text: sample.into(),
        }];
        let found = offences(&sources, true, |_| false, |code| code.contains("rusqlite"));
        assert_eq!(found, ["crates/x/src/lib.rs:1: use rusqlite::Connection;"]);
    }
}
