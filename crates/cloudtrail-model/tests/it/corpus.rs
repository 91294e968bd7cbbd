//! Every record of the shared corpus parses and serialises back to the same JSON: same member
//! order, same number text; compact input comes back byte for byte.

use cloudtrail_model::{LogFile, Record, json};

use crate::corpus_dir;

/// Expected record counts per file (MANIFEST.md).
const NDJSON_FILES: &[(&str, usize)] = &[
    ("awsdocs-amazon-s3-userguide.ndjson", 5),
    ("awsdocs-cloudtrail-user-guide.ndjson", 22),
    ("awsdocs-iam-user-guide.ndjson", 7),
    ("awsdocs-kms-developer-guide.ndjson", 69),
    ("otrf.ndjson", 103),
    ("panther-scenarios.ndjson", 27),
    ("panther.ndjson", 310),
];

const LOG_FILES: &[(&str, usize)] = &[
    ("awsdocs-amazon-s3-userguide-example-01.json", 3),
    ("awsdocs-cloudtrail-user-guide-example-01.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-02.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-03.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-04.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-05.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-06.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-07.json", 1),
    ("awsdocs-cloudtrail-user-guide-example-08.json", 2),
    ("awsdocs-kms-developer-guide-example-01.json", 2),
    ("awsdocs-kms-developer-guide-example-02.json", 4),
];

/// Asserts that `output` is the same JSON as `input`: equal as values (checked with
/// serde_json, independently of our parser), with members in the same order and numbers
/// written with the same text (checked on our lossless tree).
fn assert_same_json(input: &[u8], output: &[u8], what: &str) {
    let a: serde_json::Value = serde_json::from_slice(input).unwrap();
    let b: serde_json::Value = serde_json::from_slice(output).unwrap();
    assert_eq!(a, b, "{what}: values differ");
    assert_eq!(member_order(&a), member_order(&b), "{what}: member order differs");
    assert_eq!(
        json::parse(input).unwrap(),
        json::parse(output).unwrap(),
        "{what}: number text differs"
    );
}

fn member_order(value: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = format!("{prefix}.{k}");
                    out.push(path.clone());
                    walk(v, &path, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{prefix}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    walk(value, "$", &mut out);
    out
}

#[test]
fn every_ndjson_record_roundtrips() {
    let dir = corpus_dir().join("records");
    let mut n_records = 0;
    let mut n_byte_identical = 0;
    for (file, expected) in NDJSON_FILES {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut n_in_file = 0;
        for (line_idx, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let what = format!("{file}:{}", line_idx + 1);
            let record = Record::parse(line.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
            let output = record.to_json_bytes();
            assert_same_json(line.as_bytes(), &output, &what);
            if output == line.as_bytes() {
                n_byte_identical += 1;
            }
            n_in_file += 1;
        }
        assert_eq!(n_in_file, *expected, "{file}: record count");
        n_records += n_in_file;
    }
    assert_eq!(n_records, 543);
    // The corpus is compact JSON with standard escaping, so it comes back byte for byte.
    assert_eq!(n_byte_identical, n_records);
}

#[test]
fn every_log_file_roundtrips() {
    let dir = corpus_dir().join("logfiles");
    let mut n_records = 0;
    for (file, expected) in LOG_FILES {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let log_file = LogFile::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(log_file.records().len(), *expected, "{file}: record count");
        let mut output = Vec::new();
        log_file.write_json(&mut output);
        assert_same_json(&bytes, &output, file);
        n_records += log_file.records().len();
    }
    let n_files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(n_files, LOG_FILES.len(), "a log file was added to the corpus: list it here");
    assert_eq!(n_records, 18);
}

#[test]
fn every_labelled_event_roundtrips() {
    let bytes = std::fs::read(corpus_dir().join("labelled/panther.json")).unwrap();
    let tests = json::parse(&bytes).unwrap();
    let tests = tests.as_array().unwrap();
    assert_eq!(tests.len(), 331);
    for (idx, test) in tests.iter().enumerate() {
        let event = test.as_object().unwrap().get("event").unwrap();
        let text = event.to_json();
        let record = Record::parse(text.as_bytes()).unwrap();
        assert_eq!(record.to_json_bytes(), text.as_bytes(), "labelled test {idx}");
    }
}

/// The AWS documentation records are real CloudTrail output, so they must pass ingest
/// validation; the ones that do not are documentation fragments, listed with the reason.
#[test]
fn aws_documentation_records_validate() {
    let dir = corpus_dir().join("records");
    let mut failures = Vec::new();
    for (file, _) in NDJSON_FILES.iter().filter(|(f, _)| f.starts_with("awsdocs")) {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for (line_idx, line) in text.lines().enumerate() {
            if let Err(invalid) = cloudtrail_model::parse_and_validate(line.as_bytes()) {
                let paths: Vec<&str> = invalid.0.iter().map(|e| e.path.as_str()).collect();
                failures.push(format!("{file}:{} {}", line_idx + 1, paths.join(" ")));
            }
        }
    }
    let expected: Vec<String> = EXPECTED_DOC_FAILURES.iter().map(|s| s.to_string()).collect();
    assert_eq!(failures, expected);
}

/// Documentation excerpts that real CloudTrail would not write.
const EXPECTED_DOC_FAILURES: &[&str] = &[
    // `YYY` placeholder where the account id belongs.
    "awsdocs-amazon-s3-userguide.ndjson:5 $.resources[0].ARN $.resources[1].ARN",
    // Excerpts without `eventType` although their eventVersion has it.
    "awsdocs-iam-user-guide.ndjson:1 $.eventType",
    "awsdocs-iam-user-guide.ndjson:3 $.eventType",
    "awsdocs-iam-user-guide.ndjson:6 $.eventType",
    // Typo in the documentation: `AwsConsoleSignin` for `AwsConsoleSignIn`.
    "awsdocs-iam-user-guide.ndjson:7 $.eventType",
];
