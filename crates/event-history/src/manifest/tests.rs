//! The manifest: the shipped text read back, round trip, damage detected, and replacement
//! that never leaves a partial file.

use super::*;

/// A manifest as the first release wrote it; frozen.
const SHIPPED: &str = "opentrail-event-history 1
sealed_through 123456
next_id 42
written_ms 1795074138123
segment 7
segment 41
crc ff511925
";

fn sample() -> Manifest {
    Manifest {
        sealed_through: 123_456,
        next_id: 42,
        written_ms: 1_795_074_138_123,
        segments: vec![7, 41],
    }
}

#[test]
fn the_shipped_format_is_read_and_written_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), SHIPPED).unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap(), sample());
    sample().store(dir.path()).unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(), SHIPPED);
    assert!(!dir.path().join("MANIFEST.tmp").exists());
}

#[test]
fn a_missing_manifest_is_an_empty_history() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap(), Manifest::default());
}

#[test]
fn every_flipped_bit_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    for byte_idx in 0..SHIPPED.len() {
        let mut bytes = SHIPPED.as_bytes().to_vec();
        bytes[byte_idx] ^= 0x01;
        std::fs::write(dir.path().join(FILE_NAME), &bytes).unwrap();
        let err = Manifest::load(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "byte `{byte_idx}`: {err}");
    }
}

#[test]
fn a_failed_replacement_keeps_the_previous_manifest() {
    let dir = tempfile::tempdir().unwrap();
    sample().store(dir.path()).unwrap();
    // The temp file's name is taken by a directory: the write fails before any rename.
    std::fs::create_dir(dir.path().join("MANIFEST.tmp")).unwrap();
    let next = Manifest { next_id: 43, ..sample() };
    assert!(matches!(next.store(dir.path()), Err(Error::Io { .. })));
    assert_eq!(Manifest::load(dir.path()).unwrap(), sample());
}
