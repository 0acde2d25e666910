//! OAuth 1.0a one-legged signing, as WooCommerce verifies it, with the parameters in
//! the query string.
//!
//! The runner signs what it sends the way the server will read it back: the query string
//! is decoded with PHP's `$_GET` rules (the last of repeated names wins, `a[b]=c` is an
//! array), the parameters are sorted by name, and each pair is encoded twice.
//! WooCommerce REST (`/wp-json/wc/…`) and the legacy API (`/wc-api/v3/…`) differ in that
//! normalisation (see [`Normalisation`]). This is written independently of the server's
//! verifier so that a mistake on one side is not hidden by the same mistake on the other.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};

/// How parameter names and values are encoded before they are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// `/wp-json/wc/…`: sort by decoded name, then `rawurlencode(rawurlencode(name) "="
    /// rawurlencode(value))` per pair.
    Rest,
    /// `/wc-api/v3/…`: each name and value is decoded once more (`rawurldecode`), encoded
    /// (`rawurlencode`), and its `%` doubled; pairs are sorted by that encoded name.
    Legacy,
}

/// The HMAC behind `oauth_signature_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    HmacSha1,
    HmacSha256,
}

impl SignatureMethod {
    /// The method named by `oauth_signature_method`, if WooCommerce accepts it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }
}

/// A decoded query parameter: a plain value, or the elements of `name[key]=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Scalar(String),
    Array(Vec<(String, String)>),
}

/// PHP's `rawurlencode`: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (RFC 3986).
pub fn rawurlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// PHP's `rawurldecode` (`%XX` only) or, with `plus_is_space`, `urldecode`.
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex_value),
                bytes.get(i + 2).and_then(hex_value),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: &u8) -> Option<u8> {
    (*byte as char).to_digit(16).map(|d| d as u8)
}

/// Decodes a query string as PHP fills `$_GET`: pairs split on `&` and the first `=`,
/// `+` and `%XX` decoded, the last of repeated names kept in the place of the first,
/// and `name[key]` / `name[]` collected into one array per name.
pub fn parse_php_query(query: &str) -> Vec<(String, ParamValue)> {
    let mut params: Vec<(String, ParamValue)> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(raw_name, true);
        let value = percent_decode(raw_value, true);
        let bracket = name
            .find('[')
            .filter(|&open| open > 0 && name[open..].contains(']'));
        let Some(open) = bracket else {
            match params.iter_mut().find(|(k, _)| *k == name) {
                Some((_, existing)) => *existing = ParamValue::Scalar(value),
                None => params.push((name, ParamValue::Scalar(value))),
            }
            continue;
        };
        let base = name[..open].to_owned();
        let close = open + name[open..].find(']').expect("checked above");
        let inner = name[open + 1..close].to_owned();
        let slot = match params.iter().position(|(k, _)| *k == base) {
            Some(index) => index,
            None => {
                params.push((base, ParamValue::Array(Vec::new())));
                params.len() - 1
            }
        };
        if !matches!(params[slot].1, ParamValue::Array(_)) {
            params[slot].1 = ParamValue::Array(Vec::new());
        }
        let ParamValue::Array(items) = &mut params[slot].1 else {
            unreachable!("made an array above");
        };
        let key = if inner.is_empty() {
            // `a[]` appends with the next integer key, as PHP does.
            let next = items
                .iter()
                .filter_map(|(k, _)| k.parse::<i64>().ok())
                .max()
                .map_or(0, |n| n + 1);
            next.to_string()
        } else {
            inner
        };
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => *existing = value,
            None => items.push((key, value)),
        }
    }
    params
}

/// The OAuth signature base string: `METHOD&enc(base_url)&<normalised parameters>`.
///
/// `params` are the request's decoded parameters without `oauth_signature`.
pub fn base_string(
    method: &str,
    base_url: &str,
    params: &[(String, ParamValue)],
    normalisation: Normalisation,
) -> String {
    let pairs: Vec<String> = match normalisation {
        Normalisation::Rest => {
            let mut sorted: Vec<&(String, ParamValue)> = params.iter().collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut pairs = Vec::new();
            for (name, value) in sorted {
                let name = rawurlencode(name);
                match value {
                    ParamValue::Scalar(value) => {
                        pairs.push(rawurlencode(&format!("{name}={}", rawurlencode(value))));
                    }
                    ParamValue::Array(items) => {
                        for (key, value) in items {
                            pairs.push(rawurlencode(&format!(
                                "{name}%5B{key}%5D={}",
                                rawurlencode(value)
                            )));
                        }
                    }
                }
            }
            pairs
        }
        Normalisation::Legacy => {
            let normalise =
                |text: &str| rawurlencode(&percent_decode(text, false)).replace('%', "%25");
            let mut normalised: Vec<(String, &ParamValue)> = params
                .iter()
                .map(|(name, value)| (normalise(name), value))
                .collect();
            normalised.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut pairs = Vec::new();
            for (name, value) in normalised {
                match value {
                    ParamValue::Scalar(value) => {
                        pairs.push(format!("{name}%3D{}", normalise(value)))
                    }
                    ParamValue::Array(items) => {
                        for (key, value) in items {
                            pairs.push(format!("{name}%255B{key}%255D%3D{}", normalise(value)));
                        }
                    }
                }
            }
            pairs
        }
    };
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        rawurlencode(base_url),
        pairs.join("%26")
    )
}

/// `base64(HMAC(key = consumer_secret "&", base_string))`.
pub fn sign(base_string: &str, consumer_secret: &str, method: SignatureMethod) -> String {
    let key = format!("{consumer_secret}&");
    let digest = match method {
        SignatureMethod::HmacSha1 => {
            let mut mac =
                Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
            mac.update(base_string.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        SignatureMethod::HmacSha256 => {
            let mut mac =
                Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
            mac.update(base_string.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The method the legacy API signs: its `_method` query parameter, else its
/// `X-HTTP-Method-Override` header, else the request's own (the legacy server verifies
/// the overridden method; the REST API verifies the real one).
pub fn legacy_signing_method(method: &str, query: &str, override_header: Option<&str>) -> String {
    // The plugin passes the override through `sanitize_key` before upper-casing it.
    let sanitize = |text: &str| -> String {
        text.to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let from_query = parse_php_query(query)
        .into_iter()
        .find_map(|(name, value)| match value {
            ParamValue::Scalar(value) if name == "_method" && !value.is_empty() => Some(value),
            _ => None,
        });
    match from_query
        .as_deref()
        .or(override_header.filter(|h| !h.is_empty()))
    {
        Some(overridden) => sanitize(overridden),
        None => method.to_ascii_uppercase(),
    }
}

/// Adds OAuth parameters and the signature to `query` (already encoded, may be empty).
///
/// Any `oauth_*` parameter the case wrote itself is kept and not added again, so cases can
/// send an old timestamp, a reused nonce, another signature method or a wrong signature.
pub struct Signer<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub normalisation: Normalisation,
    pub timestamp: u64,
    pub nonce: String,
}

impl Signer<'_> {
    /// The signed query string for `method` on `base_url` (site URL + path).
    pub fn signed_query(&self, method: &str, base_url: &str, query: &str) -> String {
        let present = parse_php_query(query);
        let has = |name: &str| present.iter().any(|(k, _)| k == name);
        let mut signed = query.to_owned();
        let mut add = |name: &str, value: &str| {
            if !has(name) {
                if !signed.is_empty() {
                    signed.push('&');
                }
                signed.push_str(&format!("{name}={}", rawurlencode(value)));
            }
        };
        add("oauth_consumer_key", self.consumer_key);
        add("oauth_nonce", &self.nonce);
        add("oauth_signature_method", "HMAC-SHA256");
        add("oauth_timestamp", &self.timestamp.to_string());
        if has("oauth_signature") {
            return signed;
        }
        let params = parse_php_query(&signed);
        let method_name = params.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("oauth_signature_method", ParamValue::Scalar(name)) => Some(name.clone()),
            _ => None,
        });
        // An unsupported method is sent unsigned-but-present: the server must refuse it.
        let signature_method = method_name
            .as_deref()
            .and_then(SignatureMethod::from_name)
            .unwrap_or(SignatureMethod::HmacSha256);
        let base = base_string(method, base_url, &params, self.normalisation);
        let signature = sign(&base, self.consumer_secret, signature_method);
        format!("{signed}&oauth_signature={}", rawurlencode(&signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(pairs: &[(&str, &str)]) -> Vec<(String, ParamValue)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ParamValue::Scalar((*v).to_owned())))
            .collect()
    }

    /// The vector of the WooCommerce REST reference (§7.3).
    #[test]
    fn rest_reference_vector() {
        let params = scalar(&[
            ("per_page", "5"),
            ("search", "john doe"),
            (
                "oauth_consumer_key",
                "ck_0000000000000000000000000000000000000000",
            ),
            ("oauth_nonce", "abcdef0123456789abcdef0123456789"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "1700000000"),
        ]);
        let base = base_string(
            "get",
            "http://example.com/wp-json/wc/v3/customers",
            &params,
            Normalisation::Rest,
        );
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fexample.com%2Fwp-json%2Fwc%2Fv3%2Fcustomers&oauth_consumer_key%3Dck_0000000000000000000000000000000000000000%26oauth_nonce%3Dabcdef0123456789abcdef0123456789%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26per_page%3D5%26search%3Djohn%2520doe"
        );
        let secret = format!("cs_{}", "1".repeat(40));
        assert_eq!(
            sign(&base, &secret, SignatureMethod::HmacSha256),
            "HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8="
        );
    }

    /// The pinned vectors of both official clients (Python without `oauth_version`, JS
    /// with it), signed against a loopback URL.
    #[test]
    fn official_client_vectors() {
        let secret = "cs_fedcba9876543210fedcba9876543210fedcba98";
        let url = "http://127.0.0.1:8765/wp-json/wc/v3/customers";
        let common = [
            ("page", "2"),
            ("per_page", "5"),
            ("search", "john doe"),
            (
                "oauth_consumer_key",
                "ck_0123456789abcdef0123456789abcdef01234567",
            ),
            ("oauth_timestamp", "1700000000"),
            ("oauth_signature_method", "HMAC-SHA256"),
        ];
        let mut python = scalar(&common);
        python.extend(scalar(&[(
            "oauth_nonce",
            "0123456789abcdef0123456789abcdef01234567",
        )]));
        let base = base_string("GET", url, &python, Normalisation::Rest);
        assert_eq!(
            sign(&base, secret, SignatureMethod::HmacSha256),
            "gPsBdPhZuKQ1YsdoKCRrULKO4KM6euQ45G0sFgepnDE="
        );
        let mut js = scalar(&common);
        js.extend(scalar(&[
            ("oauth_nonce", "abcdefghijklmnopqrstuvwxyz012345"),
            ("oauth_version", "1.0"),
        ]));
        let base = base_string("GET", url, &js, Normalisation::Rest);
        assert_eq!(
            sign(&base, secret, SignatureMethod::HmacSha256),
            "VAao+lTVubGIHc065FChnm2fXkhdYsl1pmpxXg/tmOs="
        );
    }

    /// The captured Python request of the clients reference (§2.2), verified from its
    /// raw query string: duplicates collapse, `+` is a space.
    #[test]
    fn captured_python_request_verifies_from_its_query_string() {
        let query = "page=2&per_page=5&search=john+doe&oauth_consumer_key=ck_0123456789abcdef0123456789abcdef01234567&oauth_timestamp=1795339446&oauth_nonce=5e319888726346afa6a11d27d71673347724169f&oauth_signature_method=HMAC-SHA256&page=2&per_page=5&search=john+doe";
        let params = parse_php_query(query);
        let base = base_string(
            "GET",
            "http://127.0.0.1:8765/wp-json/wc/v3/customers",
            &params,
            Normalisation::Rest,
        );
        assert_eq!(
            sign(
                &base,
                "cs_fedcba9876543210fedcba9876543210fedcba98",
                SignatureMethod::HmacSha256
            ),
            "4PveE8CkCT1iNFI0nAnisSzPRMeQLrrmCiZRflnCbi4="
        );
    }

    /// The Python client's captured legacy `DELETE` (clients reference §2.2).
    #[test]
    fn captured_python_legacy_delete_verifies() {
        let query = "force=True&oauth_consumer_key=ck_0123456789abcdef0123456789abcdef01234567&oauth_timestamp=1795339446&oauth_nonce=4b1f352a00dd36b7448712c6ef514e48e6316bdd&oauth_signature_method=HMAC-SHA256&force=True";
        let params = parse_php_query(query);
        let base = base_string(
            "DELETE",
            "http://127.0.0.1:8765/wc-api/v3/customers/1",
            &params,
            Normalisation::Legacy,
        );
        assert_eq!(
            sign(
                &base,
                "cs_fedcba9876543210fedcba9876543210fedcba98",
                SignatureMethod::HmacSha256
            ),
            "9WLqQ3u81Z6kVpIrU9Y1eoJp5fbfXuRxe+bHUmg6KxE="
        );
    }

    #[test]
    fn legacy_signs_the_overridden_method() {
        assert_eq!(legacy_signing_method("get", "a=1", None), "GET");
        assert_eq!(
            legacy_signing_method("GET", "_method=delete&a=1", None),
            "DELETE"
        );
        assert_eq!(legacy_signing_method("POST", "", Some("Put")), "PUT");
        assert_eq!(
            legacy_signing_method("POST", "_method=patch", Some("PUT")),
            "PATCH"
        );
        assert_eq!(legacy_signing_method("POST", "_method=", None), "POST");
    }

    #[test]
    fn php_query_rules() {
        let params =
            parse_php_query("a=1&b=x+y%21&a=2&f[role]=c&f[x]=1&f[role]=d&l[]=p&l[]=q&empty&=z");
        assert_eq!(
            params,
            vec![
                ("a".to_owned(), ParamValue::Scalar("2".to_owned())),
                ("b".to_owned(), ParamValue::Scalar("x y!".to_owned())),
                (
                    "f".to_owned(),
                    ParamValue::Array(vec![("role".into(), "d".into()), ("x".into(), "1".into())])
                ),
                (
                    "l".to_owned(),
                    ParamValue::Array(vec![("0".into(), "p".into()), ("1".into(), "q".into())])
                ),
                ("empty".to_owned(), ParamValue::Scalar(String::new())),
                (String::new(), ParamValue::Scalar("z".to_owned())),
            ]
        );
    }

    #[test]
    fn arrays_are_signed_as_bracketed_names_in_both_normalisations() {
        let params = parse_php_query("filter[role]=customer&page=1");
        let rest = base_string("GET", "http://example.com/x", &params, Normalisation::Rest);
        let legacy = base_string(
            "GET",
            "http://example.com/x",
            &params,
            Normalisation::Legacy,
        );
        assert!(
            rest.ends_with("&filter%255Brole%255D%3Dcustomer%26page%3D1"),
            "{rest}"
        );
        assert_eq!(rest, legacy);
    }

    #[test]
    fn legacy_decodes_values_once_more() {
        // A literal `%41` in a value: REST signs it as sent, legacy decodes it to `A`.
        let params = scalar(&[("search", "%41/b")]);
        let rest = base_string(
            "GET",
            "http://example.com/wc-api/v3/customers",
            &params,
            Normalisation::Rest,
        );
        let legacy = base_string(
            "GET",
            "http://example.com/wc-api/v3/customers",
            &params,
            Normalisation::Legacy,
        );
        assert!(rest.ends_with("&search%3D%252541%252Fb"), "{rest}");
        assert!(legacy.ends_with("&search%3DA%252Fb"), "{legacy}");
    }

    #[test]
    fn signer_appends_oauth_parameters_and_respects_written_ones() {
        let signer = Signer {
            consumer_key: "ck_0000000000000000000000000000000000000000",
            consumer_secret: &format!("cs_{}", "1".repeat(40)),
            normalisation: Normalisation::Rest,
            timestamp: 1_700_000_000,
            nonce: "abcdef0123456789abcdef0123456789".to_owned(),
        };
        let query = signer.signed_query(
            "GET",
            "http://example.com/wp-json/wc/v3/customers",
            "per_page=5&search=john%20doe",
        );
        assert_eq!(
            query,
            "per_page=5&search=john%20doe&oauth_consumer_key=ck_0000000000000000000000000000000000000000&oauth_nonce=abcdef0123456789abcdef0123456789&oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000&oauth_signature=HXr3pVgHwReg6VcwIOfLwLPKYKCInD7htpaBxjii9D8%3D"
        );
        let old = signer.signed_query("GET", "http://example.com/a", "oauth_timestamp=1");
        assert!(
            old.starts_with("oauth_timestamp=1&oauth_consumer_key="),
            "{old}"
        );
        assert!(!old.contains("oauth_timestamp=1700000000"), "{old}");
        let forged = signer.signed_query("GET", "http://example.com/a", "oauth_signature=bad");
        assert!(forged.starts_with("oauth_signature=bad&"), "{forged}");
        assert_eq!(forged.matches("oauth_signature=").count(), 1, "{forged}");
        let sha1 = signer.signed_query(
            "GET",
            "http://example.com/a",
            "oauth_signature_method=HMAC-SHA1",
        );
        let params = parse_php_query(sha1.rsplit_once("&oauth_signature=").unwrap().0);
        let expected = sign(
            &base_string("GET", "http://example.com/a", &params, Normalisation::Rest),
            signer.consumer_secret,
            SignatureMethod::HmacSha1,
        );
        assert!(
            sha1.ends_with(&format!("&oauth_signature={}", rawurlencode(&expected))),
            "{sha1}"
        );
    }
}
