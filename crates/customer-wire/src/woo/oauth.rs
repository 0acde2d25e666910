//! OAuth 1.0a signature strings as WooCommerce builds them, and the HMAC over them.
//!
//! The REST API (`WC_REST_Authentication`) and the legacy API (`WC_API_Authentication`)
//! normalise parameters differently, so a request signed for one is checked here exactly
//! as that API checks it:
//!
//! - REST: each key and value is `rawurlencode`d once; a pair is `key=value` encoded
//!   again; arrays become `key%5Binner%5D=value` (inner keys as sent) before that second
//!   encoding, at any depth.
//! - Legacy: each key and value is `rawurldecode`d, `rawurlencode`d, then every `%`
//!   becomes `%25`; pairs are joined with a literal `%3D`; one array level becomes
//!   `key%255Binner%255D%3Dvalue` (inner keys as sent, deeper arrays print as `Array`).
//!
//! Both sign `METHOD&rawurlencode(base URL)&pairs joined by %26` with
//! `consumer_secret&` as the HMAC key.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::php::{Var, rawurldecode, rawurlencode};

/// The two signature methods WooCommerce accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    /// `HMAC-SHA1`.
    HmacSha1,
    /// `HMAC-SHA256` (what both official clients use).
    HmacSha256,
}

impl SignatureMethod {
    /// The method named exactly (case-sensitive) by `oauth_signature_method`.
    pub fn parse(name: &[u8]) -> Option<Self> {
        match name {
            b"HMAC-SHA1" => Some(Self::HmacSha1),
            b"HMAC-SHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }
}

/// The REST API's string to sign. `sorted` holds every signed parameter (not
/// `oauth_signature`), already sorted by key.
pub fn rest_base_string(http_method: &str, base_url: &str, sorted: &[(Vec<u8>, Var)]) -> Vec<u8> {
    let mut pairs = Vec::new();
    for (key, value) in sorted {
        rest_pairs(rawurlencode(key), value, &mut pairs);
    }
    string_to_sign(http_method, base_url, &pairs)
}

fn rest_pairs(key: Vec<u8>, value: &Var, pairs: &mut Vec<Vec<u8>>) {
    match value {
        Var::Str(bytes) => {
            let mut pair = key;
            pair.push(b'=');
            pair.extend_from_slice(&rawurlencode(bytes));
            pairs.push(rawurlencode(&pair));
        }
        Var::Array(items) => {
            for (inner_key, inner_value) in items {
                let mut nested = key.clone();
                nested.extend_from_slice(b"%5B");
                nested.extend_from_slice(inner_key);
                nested.extend_from_slice(b"%5D");
                rest_pairs(nested, inner_value, pairs);
            }
        }
    }
}

/// The legacy API's string to sign. `sorted` as for [`rest_base_string`].
pub fn legacy_base_string(http_method: &str, base_url: &str, sorted: &[(Vec<u8>, Var)]) -> Vec<u8> {
    let mut pairs = Vec::new();
    for (key, value) in sorted {
        let key = legacy_normalise(key);
        match value {
            Var::Str(bytes) => {
                let mut pair = key;
                pair.extend_from_slice(b"%3D");
                pair.extend_from_slice(&legacy_normalise(bytes));
                pairs.push(pair);
            }
            Var::Array(items) => {
                for (inner_key, inner_value) in items {
                    let mut pair = key.clone();
                    pair.extend_from_slice(b"%255B");
                    pair.extend_from_slice(inner_key);
                    pair.extend_from_slice(b"%255D%3D");
                    match inner_value {
                        Var::Str(bytes) => pair.extend_from_slice(&legacy_normalise(bytes)),
                        // PHP's array-to-string conversion.
                        Var::Array(_) => pair.extend_from_slice(b"Array"),
                    }
                    pairs.push(pair);
                }
            }
        }
    }
    string_to_sign(http_method, base_url, &pairs)
}

/// `str_replace('%', '%25', rawurlencode(rawurldecode(x)))`.
fn legacy_normalise(raw: &[u8]) -> Vec<u8> {
    let encoded = rawurlencode(&rawurldecode(raw));
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 2);
    for b in encoded {
        out.push(b);
        if b == b'%' {
            out.extend_from_slice(b"25");
        }
    }
    out
}

fn string_to_sign(http_method: &str, base_url: &str, pairs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(http_method.as_bytes());
    out.push(b'&');
    out.extend_from_slice(&rawurlencode(base_url.as_bytes()));
    out.push(b'&');
    out.extend_from_slice(&pairs.join(&b"%26"[..]));
    out
}

/// `base64(HMAC(consumer_secret + "&", string_to_sign))`.
pub fn sign(method: SignatureMethod, consumer_secret: &str, string_to_sign: &[u8]) -> String {
    let key = format!("{consumer_secret}&");
    let digest = match method {
        SignatureMethod::HmacSha1 => {
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(string_to_sign);
            mac.finalize().into_bytes().to_vec()
        }
        SignatureMethod::HmacSha256 => {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(string_to_sign);
            mac.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The signature as WooCommerce reads it from the request: spaces back to `+` (a `+`
/// sent unescaped in a query string arrives as a space), then `rawurldecode`d, so both
/// raw and percent-encoded signatures are accepted.
pub fn provided_signature(raw: &[u8]) -> Vec<u8> {
    let plussed: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b' ' { b'+' } else { b })
        .collect();
    rawurldecode(&plussed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::{Vars, hash_equals};

    const CK: &str = "ck_0123456789abcdef0123456789abcdef01234567";
    const CS: &str = "cs_fedcba9876543210fedcba9876543210fedcba98";

    fn sorted(query: &str) -> Vec<(Vec<u8>, Var)> {
        let mut params = Vars::parse(query.as_bytes());
        params.remove("oauth_signature");
        params.into_sorted()
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn rest_reference_vector() {
        let params = sorted(
            "per_page=5&search=john%20doe&oauth_consumer_key=ck_0000000000000000000000000000000000000000\
             &oauth_nonce=abcdef0123456789abcdef0123456789&oauth_signature_method=HMAC-SHA256\
             &oauth_timestamp=1700000000",
        );
        let base = rest_base_string("GET", "http://example.com/wp-json/wc/v3/customers", &params);
        assert_eq!(
            text(&base),
            "GET&http%3A%2F%2Fexample.com%2Fwp-json%2Fwc%2Fv3%2Fcustomers&oauth_consumer_key%3Dck_0000000000000000000000000000000000000000%26oauth_nonce%3Dabcdef0123456789abcdef0123456789%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26per_page%3D5%26search%3Djohn%2520doe"
        );
        let secret = format!("cs_{}", "1".repeat(40));
        assert_eq!(
            sign(SignatureMethod::HmacSha256, &secret, &base),
            "HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8="
        );
    }

    #[test]
    fn captured_python_request_verifies() {
        // A request the Python client sent: its own query params appear twice.
        let query = format!(
            "page=2&per_page=5&search=john+doe&oauth_consumer_key={CK}&oauth_timestamp=1795339446\
             &oauth_nonce=5e319888726346afa6a11d27d71673347724169f&oauth_signature_method=HMAC-SHA256\
             &oauth_signature=4PveE8CkCT1iNFI0nAnisSzPRMeQLrrmCiZRflnCbi4%3D&page=2&per_page=5&search=john+doe"
        );
        let base = rest_base_string(
            "GET",
            "http://127.0.0.1:8765/wp-json/wc/v3/customers",
            &sorted(&query),
        );
        assert_eq!(
            text(&base),
            format!(
                "GET&http%3A%2F%2F127.0.0.1%3A8765%2Fwp-json%2Fwc%2Fv3%2Fcustomers&oauth_consumer_key%3D{CK}%26oauth_nonce%3D5e319888726346afa6a11d27d71673347724169f%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1795339446%26page%3D2%26per_page%3D5%26search%3Djohn%2520doe"
            )
        );
        assert_eq!(
            sign(SignatureMethod::HmacSha256, CS, &base),
            "4PveE8CkCT1iNFI0nAnisSzPRMeQLrrmCiZRflnCbi4="
        );
    }

    #[test]
    fn pinned_client_vectors_verify() {
        let url = "http://127.0.0.1:8765/wp-json/wc/v3/customers";
        let python = format!(
            "page=2&per_page=5&search=john+doe&oauth_consumer_key={CK}&oauth_timestamp=1700000000\
             &oauth_nonce=0123456789abcdef0123456789abcdef01234567&oauth_signature_method=HMAC-SHA256"
        );
        assert_eq!(
            sign(
                SignatureMethod::HmacSha256,
                CS,
                &rest_base_string("GET", url, &sorted(&python))
            ),
            "gPsBdPhZuKQ1YsdoKCRrULKO4KM6euQ45G0sFgepnDE="
        );
        let js = format!(
            "page=2&per_page=5&search=john%20doe&oauth_consumer_key={CK}\
             &oauth_nonce=abcdefghijklmnopqrstuvwxyz012345&oauth_signature_method=HMAC-SHA256\
             &oauth_timestamp=1700000000&oauth_version=1.0&page=2&per_page=5&search=john+doe"
        );
        assert_eq!(
            sign(
                SignatureMethod::HmacSha256,
                CS,
                &rest_base_string("GET", url, &sorted(&js))
            ),
            "VAao+lTVubGIHc065FChnm2fXkhdYsl1pmpxXg/tmOs="
        );
    }

    #[test]
    fn captured_js_requests_with_odd_characters_verify() {
        let url = "http://127.0.0.1:8765/wp-json/wc/v3/customers";
        let cases = [
            (
                format!(
                    "search=it%27s%20(a)*!&oauth_consumer_key={CK}&oauth_nonce=1RDtExeqK9eI1ojfob6w73Jw1tcDMFIj\
                     &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1795339449&oauth_version=1.0&search=it's+(a)*!"
                ),
                "5eN/5TvZxV+EftIslygco8bPGqa252hPfgsFNq/bDG4=",
            ),
            (
                format!(
                    "filter[role]=customer&page=1&oauth_consumer_key={CK}&oauth_nonce=sX6vOCMzk5k0ZyorthGTq6ypBv3ZvOVy\
                     &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1795339449&oauth_version=1.0&filter%5Brole%5D=customer&page=1"
                ),
                "TvsHaXcsaIpde4QLH/VK4Tvhe2/bmK71dILde0kE6No=",
            ),
            (
                format!(
                    "orderby=id&search=a%2Fb%40c~d&oauth_consumer_key={CK}&oauth_nonce=il2dYY6Z8VgcvdxVrk3yQ7JJn5inM6NC\
                     &oauth_signature_method=HMAC-SHA256&oauth_timestamp=1795339449&oauth_version=1.0&orderby=id&search=a%2Fb%40c~d"
                ),
                "u7GMwfih1QUZP2Wbm/8ZPsdHlRRO3rG9HeahadnpuqI=",
            ),
        ];
        for (query, expected) in cases {
            let base = rest_base_string("GET", url, &sorted(&query));
            assert_eq!(
                sign(SignatureMethod::HmacSha256, CS, &base),
                expected,
                "{query}"
            );
        }
    }

    #[test]
    fn python_slash_quirk_does_not_verify() {
        // The Python client leaves `/` unescaped when it signs `search=a/b@c~d`; real
        // WooCommerce rejects that signature, and so does this implementation.
        let query = format!(
            "search=a%2Fb%40c~d&orderby=id&oauth_consumer_key={CK}&oauth_timestamp=1795339446\
             &oauth_nonce=91d7477443444b4f5c4d3b4790546407659d87c2&oauth_signature_method=HMAC-SHA256\
             &search=a%2Fb%40c~d&orderby=id"
        );
        let base = rest_base_string(
            "GET",
            "http://127.0.0.1:8765/wp-json/wc/v3/customers",
            &sorted(&query),
        );
        assert!(text(&base).contains("search%3Da%252Fb%2540c~d"));
        let sent = provided_signature(b"jUkdjVWG00qT%2BCcm%2FOma32sJBsyhr4IpOpt7e6zEuiY%3D");
        let expected = sign(SignatureMethod::HmacSha256, CS, &base);
        assert!(!hash_equals(expected.as_bytes(), &sent));
    }

    #[test]
    fn legacy_captured_delete_verifies() {
        let query = format!(
            "force=True&oauth_consumer_key={CK}&oauth_timestamp=1795339446\
             &oauth_nonce=4b1f352a00dd36b7448712c6ef514e48e6316bdd&oauth_signature_method=HMAC-SHA256\
             &oauth_signature=9WLqQ3u81Z6kVpIrU9Y1eoJp5fbfXuRxe%2BbHUmg6KxE%3D&force=True"
        );
        let base = legacy_base_string(
            "DELETE",
            "http://127.0.0.1:8765/wc-api/v3/customers/1",
            &sorted(&query),
        );
        assert_eq!(
            text(&base),
            format!(
                "DELETE&http%3A%2F%2F127.0.0.1%3A8765%2Fwc-api%2Fv3%2Fcustomers%2F1&force%3DTrue%26oauth_consumer_key%3D{CK}%26oauth_nonce%3D4b1f352a00dd36b7448712c6ef514e48e6316bdd%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1795339446"
            )
        );
        assert_eq!(
            sign(SignatureMethod::HmacSha256, CS, &base),
            "9WLqQ3u81Z6kVpIrU9Y1eoJp5fbfXuRxe+bHUmg6KxE="
        );
    }

    #[test]
    fn legacy_and_rest_differ_on_percent_signs_and_arrays() {
        // `%2541` decodes once to `%41` in `$_GET`; the legacy API decodes it again.
        let params = sorted("q=%2541&filter[limit]=5&filter[q]=a%20b");
        let rest = rest_base_string("GET", "http://h/x", &params);
        let legacy = legacy_base_string("GET", "http://h/x", &params);
        assert_eq!(
            text(&rest),
            "GET&http%3A%2F%2Fh%2Fx&filter%255Blimit%255D%3D5%26filter%255Bq%255D%3Da%2520b%26q%3D%252541"
        );
        assert_eq!(
            text(&legacy),
            "GET&http%3A%2F%2Fh%2Fx&filter%255Blimit%255D%3D5%26filter%255Bq%255D%3Da%2520b%26q%3DA"
        );
    }

    #[test]
    fn signature_methods_and_normalisation() {
        assert_eq!(
            SignatureMethod::parse(b"HMAC-SHA1"),
            Some(SignatureMethod::HmacSha1)
        );
        assert_eq!(SignatureMethod::parse(b"hmac-sha1"), None);
        assert_eq!(SignatureMethod::parse(b"PLAINTEXT"), None);
        // HMAC-SHA1 of "data" keyed "key&", computed independently.
        assert_eq!(
            sign(SignatureMethod::HmacSha1, "key", b"data"),
            "Hc74fuYQh+M5l3zdafPZ+Sdi+pY="
        );
        assert_eq!(provided_signature(b"a b%2Bc%3D"), b"a+b+c=");
    }
}
