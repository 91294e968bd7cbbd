//! The framed format: round trip, every single-byte corruption and truncation detected, and
//! decoding that never panics.

use super::*;

const FORMAT: Format = Format::new(*b"OTxx", 2);

#[test]
fn frames_round_trip_with_their_version() {
    let bytes = FORMAT.encode(b"payload");
    assert_eq!(bytes.len(), FRAME_BYTES_MIN + 7);
    assert_eq!(&bytes[..8], b"OTxx\x02\0\0\0");
    assert_eq!(FORMAT.decode(&bytes), Ok(Frame { version: 2, payload: b"payload" }));
    let empty = FORMAT.encode(b"");
    assert_eq!(FORMAT.decode(&empty), Ok(Frame { version: 2, payload: b"" }));
    // An older version of the same magic is still read.
    let old = Format::new(*b"OTxx", 1).encode(b"old");
    assert_eq!(FORMAT.decode(&old), Ok(Frame { version: 1, payload: b"old" }));
}

#[test]
fn every_single_byte_corruption_is_detected() {
    let bytes = FORMAT.encode(b"some payload of a state file");
    for byte_idx in 0..bytes.len() {
        for mask in [0x01u8, 0x10, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[byte_idx] ^= mask;
            let err = FORMAT.decode(&damaged).unwrap_err();
            let expected = match byte_idx {
                0..4 => {
                    matches!(err, FrameError::WrongMagic { expected, .. } if expected == *b"OTxx")
                }
                _ => err == FrameError::Damaged,
            };
            assert!(expected, "byte `{byte_idx}` ^ `{mask:#x}`: {err:?}");
        }
    }
}

#[test]
fn truncation_and_other_files_are_named() {
    let bytes = FORMAT.encode(b"abc");
    for len in 0..FRAME_BYTES_MIN {
        assert_eq!(FORMAT.decode(&bytes[..len]), Err(FrameError::TooShort { len }));
    }
    for len in FRAME_BYTES_MIN..bytes.len() {
        assert_eq!(FORMAT.decode(&bytes[..len]), Err(FrameError::Damaged), "len `{len}`");
    }
    let other = Format::new(*b"OTyy", 1).encode(b"abc");
    let err = FORMAT.decode(&other).unwrap_err();
    assert_eq!(err, FrameError::WrongMagic { found: *b"OTyy", expected: *b"OTxx" });
    assert_eq!(err.to_string(), "it starts with `OTyy` instead of `OTxx`");
}

#[test]
fn unknown_versions_are_refused_after_the_checksum() {
    for version in [0u32, 3, u32::MAX] {
        let mut bytes = b"OTxx".to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(b"future");
        let crc = crc32c::crc32c(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(FORMAT.decode(&bytes), Err(FrameError::UnknownVersion { version, newest: 2 }));
    }
}

#[test]
fn decoding_arbitrary_bytes_never_panics() {
    // A small xorshift generator: deterministic, no dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..10_000 {
        let len = (next() % 40) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if len >= 4 && next() % 2 == 0 {
            bytes[..4].copy_from_slice(b"OTxx");
        }
        let _ = FORMAT.decode(&bytes);
    }
}
