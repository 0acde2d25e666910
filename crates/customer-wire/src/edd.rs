//! `edd` codec (being written).
