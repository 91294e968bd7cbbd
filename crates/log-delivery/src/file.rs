//! The bytes of a log file: one gzip member holding `{"Records":[...]}` (log-files.md §1), the
//! records as they were stored, minus the Lake-only `eventContext` member that trail files
//! must never contain.

use cloudtrail_model::json::{self, Value};

/// Builds a log file from stored records (each one compact JSON object).
pub struct LogFileBuilder {
    json: Vec<u8>,
    n_records: usize,
}

impl Default for LogFileBuilder {
    fn default() -> LogFileBuilder {
        LogFileBuilder::new()
    }
}

impl LogFileBuilder {
    pub fn new() -> LogFileBuilder {
        let mut json = Vec::with_capacity(64 * 1024);
        json.extend_from_slice(b"{\"Records\":[");
        LogFileBuilder { json, n_records: 0 }
    }

    pub fn push(&mut self, record: &[u8]) {
        if self.n_records > 0 {
            self.json.push(b',');
        }
        match without_event_context(record) {
            Some(cleaned) => self.json.extend_from_slice(&cleaned),
            None => self.json.extend_from_slice(record),
        }
        self.n_records += 1;
    }

    pub fn len(&self) -> usize {
        self.n_records
    }

    pub fn is_empty(&self) -> bool {
        self.n_records == 0
    }

    /// Uncompressed size so far (the digest hashes the uncompressed bytes).
    pub fn uncompressed_len(&self) -> usize {
        self.json.len() + 2
    }

    /// The uncompressed JSON and its gzip (a single member).
    pub fn finish(mut self) -> (Vec<u8>, Vec<u8>) {
        self.json.extend_from_slice(b"]}");
        let compressed = integrity::digest::gzip(&self.json);
        (self.json, compressed)
    }
}

/// The record without its top-level `eventContext`, when it has one.
fn without_event_context(record: &[u8]) -> Option<Vec<u8>> {
    // Cheap test first: almost no record has the member.
    if !record.windows(14).any(|w| w == b"\"eventContext\"") {
        return None;
    }
    let Ok(Value::Object(mut object)) = json::parse(record) else { return None };
    object.remove("eventContext")?;
    Some(Value::Object(object).to_json().into_bytes())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn single_member_gzip_of_records() {
        let mut builder = LogFileBuilder::new();
        assert!(builder.is_empty());
        builder.push(br#"{"eventID":"a","n":1.50}"#);
        builder.push(br#"{"eventID":"b","eventContext":{"requestContext":{}},"x":1}"#);
        let (json, gz) = builder.finish();
        assert_eq!(json, br#"{"Records":[{"eventID":"a","n":1.50},{"eventID":"b","x":1}]}"#);
        let mut decoded = Vec::new();
        // A single-member decoder reads everything: the file is one member.
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, json);
    }
}
