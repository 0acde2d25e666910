//! Codecs of clientele's dialects: request decoding into model commands, model into each
//! dialect's JSON (or XML), and each dialect's error body.
//!
//! The crate is pure and synchronous: it knows no SQL and no HTTP server. A status code
//! passed to an error encoder is a plain `u16`.
//!
//! - [`php_query`]: query strings with PHP's semantics (last value wins, `a[b]=` arrays).
//! - [`wc_rest`]: WooCommerce REST `wc/v2` and `wc/v3`.
//! - [`wc_legacy`]: WooCommerce legacy REST API `wc-api/v3`.
//! - [`woo_common`]: what both WooCommerce APIs compute alike (Gravatar URLs, generated
//!   usernames, order keys, `wc_format_decimal`).
//! - [`edd`]: Easy Digital Downloads API v1 and v2.
//! - [`easycart`]: easycart API v1.
//! - [`import`]: clientele's canonical import format (JSON and NDJSON).

pub mod easycart;
pub mod edd;
pub mod import;
pub mod php_query;
pub mod wc_legacy;
pub mod wc_rest;
pub mod woo_common;
