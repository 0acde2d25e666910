//! The integration tests of the codecs, one module per dialect: snapshots of every shape
//! and error body from fixed model records, and encode/decode properties (their
//! generated records in `generated`); and the published OpenAPI documents as snapshots.

mod dialect;
mod easycart;
mod edd;
mod generated;
mod openapi;
mod wc_legacy;
mod wc_rest;
