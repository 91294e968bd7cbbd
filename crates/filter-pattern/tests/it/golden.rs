//! Parse trees of filter patterns as golden files: `testdata/parse/<case>.pattern` holds a
//! pattern, `<case>.ast` its printed form and syntax tree (or its error). A missing `.ast` is
//! written by the test, to be reviewed; `UPDATE_EXPECT=1` rewrites the ones that differ.

use std::path::PathBuf;

use filter_pattern::Pattern;

fn render(text: &str) -> String {
    match Pattern::parse(text) {
        Ok(pattern) => format!("{pattern}\n\n{:#?}\n", pattern.ast()),
        Err(e) => format!("error: {e}\n"),
    }
}

#[test]
fn parse_trees_match_their_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/parse");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pattern"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in `{}`", dir.display());
    let mut mismatches = Vec::new();
    for case in cases {
        let actual = render(&std::fs::read_to_string(&case).unwrap());
        let golden = case.with_extension("ast");
        match std::fs::read_to_string(&golden) {
            Ok(expected) if expected == actual => {}
            Ok(_) if !update => mismatches.push(golden.display().to_string()),
            _ => std::fs::write(&golden, actual).unwrap(),
        }
    }
    assert!(mismatches.is_empty(), "differ (rerun with UPDATE_EXPECT=1 to accept): {mismatches:?}");
}
