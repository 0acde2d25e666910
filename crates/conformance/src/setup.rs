//! What the server of a dialect folder starts with: the keys of the README table (each
//! printed field becomes a case variable), `setup.json` (imported), and `server.json`'s
//! extra `clientele serve` arguments.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// The site URL every local server is started with; OAuth requests are signed for it.
pub const SITE_URL: &str = "http://example.com";

/// The `clientele serve` arguments of every local server besides the database, the
/// address and `server.json`'s own.
pub const SERVE_ARGS: [&str; 7] = [
    "--site-url",
    SITE_URL,
    "--timezone",
    "UTC",
    "--currency",
    "USD",
    "--trust-proxy",
];

/// One key to create: its kind and permissions (as `clientele keys create` names them),
/// and which printed field becomes which variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRecipe {
    /// `woocommerce`, `edd` or `bearer`.
    pub kind: &'static str,
    /// `read`, `write` or `read_write`; `None` for kinds without scopes.
    pub permissions: Option<&'static str>,
    /// Printed field → variable.
    pub fields: &'static [(&'static str, &'static str)],
}

/// The keys every dialect folder's server gets, in the README's order.
pub const KEYS: [KeyRecipe; 5] = [
    KeyRecipe {
        kind: "woocommerce",
        permissions: Some("read_write"),
        fields: &[("consumer_key", "wc_ck"), ("consumer_secret", "wc_cs")],
    },
    KeyRecipe {
        kind: "woocommerce",
        permissions: Some("read"),
        fields: &[
            ("consumer_key", "wc_read_ck"),
            ("consumer_secret", "wc_read_cs"),
        ],
    },
    KeyRecipe {
        kind: "woocommerce",
        permissions: Some("write"),
        fields: &[
            ("consumer_key", "wc_write_ck"),
            ("consumer_secret", "wc_write_cs"),
        ],
    },
    KeyRecipe {
        kind: "edd",
        permissions: None,
        fields: &[
            ("key", "edd_key"),
            ("secret", "edd_secret"),
            ("token", "edd_token"),
        ],
    },
    KeyRecipe {
        kind: "bearer",
        permissions: None,
        fields: &[("token", "bearer_token")],
    },
];

/// `server.json`: extra arguments for `clientele serve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    #[serde(default)]
    args: Vec<String>,
}

/// The extra `clientele serve` arguments of `folder` (none without a `server.json`).
pub fn server_args(folder: &Path) -> Result<Vec<String>> {
    let path = folder.join("server.json");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(&path)?;
    let file: ServerFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not {{\"args\": [...]}}", path.display()))?;
    Ok(file.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_variable_has_a_recipe() {
        let variables: Vec<&str> = KEYS
            .iter()
            .flat_map(|key| key.fields.iter().map(|(_, variable)| *variable))
            .collect();
        assert_eq!(variables, crate::vars::KEY_VARIABLES);
    }

    #[test]
    fn server_files_are_read_strictly() {
        let dir = std::env::temp_dir().join(format!("conformance-setup-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert!(server_args(&dir).unwrap().is_empty());
        fs::write(dir.join("server.json"), r#"{"args": ["--x", "1"]}"#).unwrap();
        assert_eq!(server_args(&dir).unwrap(), ["--x", "1"]);
        fs::write(dir.join("server.json"), r#"{"argz": []}"#).unwrap();
        assert!(server_args(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
