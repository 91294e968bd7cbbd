//! Integration tests of the record model against the shared corpus and hostile input.

mod corpus;
mod fuzz;
mod malformed;
mod props;

use std::path::PathBuf;

/// `../shared/data/cloudtrail` beside the repository (override with `OPENTRAIL_SHARED_DIR`,
/// the directory that holds `data/`).
pub(crate) fn corpus_dir() -> PathBuf {
    let shared = match std::env::var_os("OPENTRAIL_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let dir = shared.join("data/cloudtrail");
    assert!(dir.is_dir(), "test corpus not found at `{}`: set OPENTRAIL_SHARED_DIR", dir.display());
    dir
}
