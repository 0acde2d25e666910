//! Every byte a client of clientele sees: request decoding into model commands, model
//! into each dialect's JSON (or XML), each dialect's error catalogue, and whole replies
//! (status, headers, body) that the server only copies onto the wire.
//!
//! The crate is pure and synchronous: it knows no SQL, no store and no HTTP server.
//!
//! - [`Dialect`]: the six APIs, their slugs and docs, and which one a request belongs to.
//! - [`Reply`]: a whole response; [`Fault`]: what went wrong, in model terms, rendered by
//!   each dialect's catalogue ([`Dialect::fault_reply`]).
//! - [`request`]: what codecs read of a request ([`request::Incoming`]); [`route_log`]:
//!   what the request log may show of its target.
//! - [`php`]: PHP's and WordPress's request rules ([`php::Vars`], `intval`,
//!   `sanitize_text_field`, …), the one parser of query strings and form bodies.
//! - [`woo`]: what both WooCommerce APIs share (key authentication, registration
//!   errors, Gravatar URLs, generated usernames, `wc_format_decimal`).
//! - One module per dialect, each with `decode`, `encode` and `errors` (and
//!   `pagination` where the dialect has its own): [`wc_rest`] (`wc/v2` and `wc/v3`),
//!   [`wc_legacy`] (`wc-api/v3`), [`edd`] (v1 and v2), [`easycart`] (v1).
//! - [`catalogue`]: error and parameter tables, for documents generated from them.
//! - [`import`]: clientele's canonical import format (JSON and NDJSON).
//! - [`fuzz_targets`]: the properties every decoder keeps on any input, run by the
//!   fuzzers and replayed by the tests.

pub mod admin;
pub mod catalogue;
pub mod contract;
mod datetime_text;
pub mod dialect;
pub mod easycart;
pub mod edd;
pub mod fault;
pub mod fuzz_targets;
pub mod import;
pub mod php;
pub mod reply;
pub mod request;
pub mod route_log;
pub mod site;
pub mod wc_legacy;
pub mod wc_rest;
pub mod woo;

pub use dialect::{Dialect, Showing};
pub use fault::Fault;
pub use reply::{Body, Reply};
pub use site::SiteUrl;
