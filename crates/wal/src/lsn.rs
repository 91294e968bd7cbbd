//! Positions in the WAL: [`Lsn`] and half-open [`LsnRange`]s.

use std::fmt;

/// A byte position in the WAL, counted across all segments from 0.
///
/// The `Lsn` of a record is the position of its frame header; the position just after a frame
/// is the `Lsn` of the next record. Consumers store the position of the next record they need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl Lsn {
    /// The first position of every WAL.
    pub const ZERO: Lsn = Lsn(0);

    /// The position as a number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The position `n_bytes` further on, or `None` on overflow (only reachable with bytes from
    /// a damaged disk).
    pub fn checked_add(self, n_bytes: u64) -> Option<Lsn> {
        self.0.checked_add(n_bytes).map(Lsn)
    }

    /// Bytes from `earlier` to `self`. Panics if `earlier` is later: a programmer error.
    pub(crate) fn bytes_since(self, earlier: Lsn) -> u64 {
        assert!(earlier <= self, "lsn `{earlier}` is after `{self}`");
        self.0 - earlier.0
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The positions covered by one appended batch: `start` is the first record's `Lsn`, `end` the
/// position just after the last record (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LsnRange {
    /// `Lsn` of the first record.
    pub start: Lsn,
    /// Position just after the last record.
    pub end: Lsn,
}

impl fmt::Display for LsnRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
