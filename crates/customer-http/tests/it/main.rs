//! The HTTP crate's integration tests, one module per subject, over one shared test app
//! ([`app`]): the whole server through `customer_http::handle`, without a socket, except
//! where a module says otherwise.

mod app;
mod conformance;
mod contract;
mod control;
mod easycart;
mod edd;
mod real_clients;
mod wc_legacy;
mod wc_rest;
mod woo_auth;
