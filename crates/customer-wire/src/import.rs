//! `import` codec (being written).
