//! Project automation (`cargo xtask <task>`); see `cargo xtask help`.

fn main() {}
