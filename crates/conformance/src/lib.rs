//! The conformance case format of `fixtures/conformance/README.md`, as a library shared by
//! `cargo xtask conformance` (which sends cases to a live server) and the HTTP crate's
//! in-process replay (which hands them to `customer_http::handle`).
//!
//! - [`case`]: case files, read strictly (an unknown field is an error).
//! - [`setup`]: how a dialect folder's server is prepared: the keys of the README table
//!   and `server.json`'s arguments.
//! - [`vars`]: variables (keys and captures) and their `{{$name}}` substitution.
//! - [`replay`]: building each step's request (variables, auth), sending it through a
//!   [`replay::Transport`], and comparing the answer with the expectation.
//! - [`matcher`]: the value matchers (`{{any_integer}}`, `{{wc_datetime}}`, …).
//! - [`oauth`]: OAuth 1.0a signing, written independently of the server's verifier.
//! - [`ordered`]: JSON values that keep their key order, for readable diffs and updates.

pub mod case;
pub mod matcher;
pub mod oauth;
pub mod ordered;
pub mod replay;
pub mod setup;
pub mod vars;

/// The dialect folders, in the order reports list them.
pub const SLUGS: [&str; 6] = [
    "wc-v3",
    "wc-v2",
    "wc-legacy-v3",
    "edd-v1",
    "edd-v2",
    "easycart-v1",
];
