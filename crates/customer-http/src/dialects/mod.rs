//! One pipeline per dialect: decode with `customer-wire`, authenticate, call the store,
//! encode with `customer-wire`. Each returns the whole [`customer_wire::Reply`].

pub mod easycart;
pub mod edd;
pub mod wc_legacy;
pub mod wc_rest;
