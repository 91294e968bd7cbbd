//! Index terms: a stable 64-bit hash of (category, account, region, attribute, value), and the
//! sort key of events (newest first).
//!
//! A term names one posting list. The hash is part of the on-disk format, so it is written out
//! here (FNV-1a over the fields with separators, then the SplitMix64 finisher) rather than
//! taken from `std`, whose hashers may change between releases. Two values may share a hash;
//! every hit is checked against its record before it is answered, so a collision costs a
//! little time and never a wrong answer.

use crate::attrs::{Attribute, Category};

/// Where an event sorts: by `eventTime`, then by WAL position (later first among equal times).
/// Greater is newer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub time_ms: i64,
    pub seq: u64,
}

impl Key {
    pub const MAX: Key = Key { time_ms: i64::MAX, seq: u64::MAX };
}

/// The term of `(attribute, value)` in one account, region and category; `None` is the term
/// every event of the scope has (lookups without an attribute).
pub fn term(
    category: Category,
    account: &str,
    region: &str,
    attribute: Option<Attribute>,
    value: &str,
) -> u64 {
    let mut hash = Fnv::new();
    hash.byte(category.code());
    hash.byte(0xff);
    hash.bytes(account.as_bytes());
    hash.byte(0xff);
    hash.bytes(region.as_bytes());
    hash.byte(0xff);
    match attribute {
        Some(attribute) => {
            hash.byte(attribute.code());
            hash.byte(0xff);
            hash.bytes(value.as_bytes());
        }
        None => hash.byte(0),
    }
    finish(hash.0)
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.byte(*b);
        }
    }
}

/// SplitMix64's finisher: spreads FNV's weak low bits over the whole word.
fn finish(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A cheap fingerprint of arbitrary text (page tokens bind the request with it).
pub(crate) fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash = Fnv::new();
    for part in parts {
        hash.bytes(part.as_bytes());
        hash.byte(0xff);
    }
    finish(hash.0)
}
