//! Unit tests for framing: round trips, and every defect.

use proptest::prelude::*;

use super::*;

fn encode(start: Lsn, payloads: &[&[u8]]) -> Vec<u8> {
    let payloads: Vec<Vec<u8>> = payloads.iter().map(|payload| payload.to_vec()).collect();
    let mut buf = Vec::new();
    let end = encode_batch(&mut buf, start, &payloads);
    assert_eq!(end.0 - start.0, buf.len() as u64);
    assert_eq!(batch_bytes(&payloads), buf.len());
    buf
}

#[test]
fn batch_round_trips_with_countdown() {
    let buf = encode(Lsn(100), &[b"a", b"", b"ccc"]);
    let frames = decode_all(&buf, Lsn(100)).unwrap();
    assert_eq!(
        frames,
        vec![
            (Lsn(100), 2, b"a".to_vec()),
            (Lsn(125), 1, Vec::new()),
            (Lsn(149), 0, b"ccc".to_vec()),
        ]
    );
}

#[test]
fn header_layout_is_little_endian() {
    let buf = encode(Lsn(0x0102), &[b"xy"]);
    assert_eq!(&buf[0..4], b"OTw1");
    assert_eq!(&buf[4..8], &[2, 0, 0, 0]);
    assert_eq!(&buf[8..16], &[2, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&buf[16..20], &[0, 0, 0, 0]);
    let crc = crc32c::crc32c_append(crc32c::crc32c(&buf[..20]), b"xy");
    assert_eq!(&buf[20..24], &crc.to_le_bytes());
    assert_eq!(&buf[24..], b"xy");
}

#[test]
fn defects_are_named() {
    let buf = encode(Lsn(0), &[b"hello"]);
    let check = |bytes: &[u8], start: Lsn| decode_all(bytes, start).unwrap_err();

    assert_eq!(check(&buf[..10], Lsn(0)), (0, FrameDefect::ShortHeader { available: 10 }));
    assert_eq!(
        check(&buf[..26], Lsn(0)),
        (0, FrameDefect::ShortPayload { payload_len: 5, available: 2 })
    );
    assert_eq!(check(&[0u8; 40], Lsn(0)), (0, FrameDefect::BadMagic { found: [0; 4] }));

    let mut flipped = buf.clone();
    flipped[26] ^= 1;
    assert!(matches!(check(&flipped, Lsn(0)), (0, FrameDefect::BadChecksum { .. })));

    let mut zeroed_length = buf.clone();
    zeroed_length[4..8].copy_from_slice(&[0; 4]);
    assert!(matches!(check(&zeroed_length, Lsn(0)), (0, FrameDefect::BadChecksum { .. })));

    let mut huge = buf.clone();
    huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(check(&huge, Lsn(0)), (0, FrameDefect::LengthOverLimit { payload_len: u32::MAX }));

    assert_eq!(
        check(&buf, Lsn(7)),
        (0, FrameDefect::LsnMismatch { found: Lsn(0), expected: Lsn(7) })
    );
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_all(&bytes, Lsn(0));
    }

    #[test]
    fn any_single_bit_flip_is_detected(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        bit_idx in 0usize..1000,
    ) {
        let buf = encode(Lsn(8), &[&payload]);
        let bit_idx = bit_idx % (buf.len() * 8);
        let mut flipped = buf.clone();
        flipped[bit_idx / 8] ^= 1 << (bit_idx % 8);
        prop_assert!(decode_all(&flipped, Lsn(8)).is_err());
    }
}
