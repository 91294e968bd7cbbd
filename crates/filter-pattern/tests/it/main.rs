//! Integration tests against the shared specification data: every test vector of
//! `spec/filter-pattern-vectors.json`, the CIS patterns, AWS's documented metric-filter
//! examples and the CloudTrail record corpus.

mod corpus;
mod fuzz;
mod golden;
mod vectors;

use std::path::PathBuf;

/// The shared directory (the one holding `spec/` and `data/`): `OPENTRAIL_SHARED_DIR`, else
/// `../../../shared` beside the workspace.
fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENTRAIL_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("spec").is_dir(),
        "shared data not found at `{}`: set OPENTRAIL_SHARED_DIR",
        dir.display()
    );
    dir
}

fn read(relative: &str) -> String {
    let path = shared_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read `{}`: {e}", path.display()))
}

/// Compact JSON text of a raw JSON value, keeping key order and number spelling (the vector
/// format's "compact serialisation", §12).
fn minify(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Asserts that printing `pattern` and parsing the result gives an equal pattern, and that
/// printing is then stable.
fn assert_round_trip(text: &str) -> filter_pattern::Pattern {
    let pattern = filter_pattern::Pattern::parse(text)
        .unwrap_or_else(|e| panic!("`{text}` does not parse: {e}"));
    let printed = pattern.to_string();
    let reparsed = filter_pattern::Pattern::parse(&printed)
        .unwrap_or_else(|e| panic!("`{text}` printed as `{printed}`, which does not parse: {e}"));
    assert_eq!(reparsed, pattern, "`{text}` printed as `{printed}`");
    assert_eq!(reparsed.to_string(), printed, "printing `{text}` is not stable");
    pattern
}
