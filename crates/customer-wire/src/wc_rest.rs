//! `wc_rest` codec (being written).
