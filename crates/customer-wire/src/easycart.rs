//! `easycart` codec (being written).
