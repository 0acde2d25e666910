//! WooCommerce API key authentication shared by wc/v2, wc/v3 and wc-api/v3 (to be written).
