//! `wc_legacy` codec (being written).
