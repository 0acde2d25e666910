//! `php_query` codec (being written).
