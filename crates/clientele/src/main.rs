//! The `clientele` command line (being written).

fn main() {}
