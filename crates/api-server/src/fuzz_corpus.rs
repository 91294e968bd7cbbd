//! The seeds of the crate's fuzz targets (`native::fuzz`, `audit_events::fuzz`): every record
//! of the shared corpus's NDJSON files (`$OPENTRAIL_SHARED_DIR/data/cloudtrail/records`,
//! default: the `shared` directory beside the workspace). For tests only.

use std::path::PathBuf;

/// Every record (one NDJSON line, as stored) of the corpus, in file order.
pub(crate) fn records() -> Vec<Vec<u8>> {
    let shared = match std::env::var_os("OPENTRAIL_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let dir = shared.join("data/cloudtrail/records");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("corpus `{}`: {err}; set OPENTRAIL_SHARED_DIR", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let text = std::fs::read(&file).unwrap();
        records.extend(
            text.split(|b| *b == b'\n').filter(|l| !l.trim_ascii().is_empty()).map(<[u8]>::to_vec),
        );
    }
    assert!(records.len() > 100, "corpus too small: {}", records.len());
    records
}
