//! Making API keys and the values stored for them, as the original systems do.
//!
//! - WooCommerce: consumer key `ck_` + 40 hex, secret `cs_` + 40 hex. WooCommerce stores
//!   `hash_hmac('sha256', consumer_key, 'wc-api')` to look the key up, the secret itself
//!   (OAuth signatures need it) and the last 7 characters of the key for display.
//! - EDD: public key and secret, 32 hex each; requests carry `token = md5(secret . key)`.
//!   EDD stores both keys; so does clientele.
//! - easycart: a bearer token, stored as its SHA-256 digest (nothing needs it back).

use customer_store::{KeyKind, KeyPermissions, NewApiKey};
use hmac::{KeyInit, Mac};
use sha2::Digest as _;

/// A freshly made key: what to show the user once, and what to store.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// The JSON object printed by `clientele keys create`.
    pub shown: serde_json::Value,
    /// The record to store.
    pub stored: NewApiKey,
}

/// The printed object: each field a string, in order.
fn printed(fields: &[(&str, &str)]) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(*value)))
            .collect(),
    )
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::fill(&mut buffer[..]);
    hex::encode(buffer)
}

/// WooCommerce's `wc_api_hash`: the lookup value of a consumer key.
pub fn woocommerce_lookup(consumer_key: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"wc-api")
        .expect("HMAC accepts keys of any length");
    mac.update(consumer_key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// EDD's request token for a key pair: `md5(secret . public_key)`, lower-case hex.
pub fn edd_token(secret: &str, public_key: &str) -> String {
    let mut hasher = md5::Md5::new();
    hasher.update(secret.as_bytes());
    hasher.update(public_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// The lookup value of a bearer token.
pub fn bearer_lookup(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Makes a key of `kind` with `permissions` (EDD and bearer keys ignore them: those APIs
/// have no scopes, so they are stored as `read_write`).
pub fn issue(kind: KeyKind, permissions: KeyPermissions, description: &str) -> IssuedKey {
    match kind {
        KeyKind::WooCommerce => {
            let consumer_key = format!("ck_{}", random_hex(20));
            let consumer_secret = format!("cs_{}", random_hex(20));
            IssuedKey {
                shown: printed(&[
                    ("consumer_key", &consumer_key),
                    ("consumer_secret", &consumer_secret),
                ]),
                stored: NewApiKey {
                    kind,
                    description: description.to_owned(),
                    permissions,
                    lookup: woocommerce_lookup(&consumer_key),
                    secret: consumer_secret,
                    truncated: consumer_key[consumer_key.len() - 7..].to_owned(),
                },
            }
        }
        KeyKind::Edd => {
            let key = random_hex(16);
            let secret = random_hex(16);
            let token = edd_token(&secret, &key);
            IssuedKey {
                shown: printed(&[("key", &key), ("secret", &secret), ("token", &token)]),
                stored: NewApiKey {
                    kind,
                    description: description.to_owned(),
                    permissions: KeyPermissions::ReadWrite,
                    truncated: key[key.len() - 7..].to_owned(),
                    lookup: key,
                    secret,
                },
            }
        }
        KeyKind::Bearer => {
            let token = random_hex(32);
            IssuedKey {
                shown: printed(&[("token", &token)]),
                stored: NewApiKey {
                    kind,
                    description: description.to_owned(),
                    permissions: KeyPermissions::ReadWrite,
                    lookup: bearer_lookup(&token),
                    secret: String::new(),
                    truncated: token[token.len() - 7..].to_owned(),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woocommerce_keys_have_the_original_shape() {
        let issued = issue(KeyKind::WooCommerce, KeyPermissions::Read, "test");
        let ck = issued.shown["consumer_key"].as_str().unwrap();
        let cs = issued.shown["consumer_secret"].as_str().unwrap();
        assert!(ck.starts_with("ck_") && ck.len() == 43);
        assert!(cs.starts_with("cs_") && cs.len() == 43);
        assert!(ck[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(issued.stored.lookup, woocommerce_lookup(ck));
        assert_eq!(issued.stored.secret, cs);
        assert_eq!(issued.stored.truncated, &ck[36..]);
    }

    #[test]
    fn woocommerce_lookup_is_hmac_sha256_keyed_wc_api() {
        // hash_hmac('sha256', 'ck_test', 'wc-api'), computed independently.
        assert_eq!(
            woocommerce_lookup("ck_test"),
            "c84d2755258acc4448a88c9c78ff71533c13fb2e23886445743b0c75f08bf2d1"
        );
    }

    #[test]
    fn edd_token_is_md5_of_secret_then_key() {
        // md5("secretpublic"), computed independently.
        assert_eq!(
            edd_token("secret", "public"),
            "723a57b2c41fc1376a3c93bc4ee45167"
        );
        let issued = issue(KeyKind::Edd, KeyPermissions::ReadWrite, "");
        let shown = &issued.shown;
        assert_eq!(
            shown["token"].as_str().unwrap(),
            edd_token(
                shown["secret"].as_str().unwrap(),
                shown["key"].as_str().unwrap()
            )
        );
        assert_eq!(shown["key"].as_str().unwrap().len(), 32);
    }

    #[test]
    fn bearer_tokens_are_stored_as_digests() {
        let issued = issue(KeyKind::Bearer, KeyPermissions::ReadWrite, "");
        let token = issued.shown["token"].as_str().unwrap();
        assert_eq!(issued.stored.lookup, bearer_lookup(token));
        assert!(!issued.stored.lookup.contains(token));
    }
}
