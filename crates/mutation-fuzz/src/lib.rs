//! Seeded mutation fuzzing for the parsers that take bytes from the network or a bucket: a
//! deterministic xorshift generator, mutations of real inputs (bit flips, byte edits, spliced
//! pieces, interesting bytes and numbers, duplicated and deleted runs), and [`run`], which
//! feeds a target `cases` inputs under `catch_unwind` and fails with the first input (in hex)
//! that panicked.
//!
//! For tests only (a dev-dependency): the case count comes from `OPENTRAIL_FUZZ_CASES` and the
//! seed from `OPENTRAIL_FUZZ_SEED`, so CI runs a fixed, seeded count and a long run is one
//! variable away. Not coverage-guided: it finds what the inputs' neighbourhood holds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

/// The seed when `OPENTRAIL_FUZZ_SEED` is unset.
pub const SEED_DEFAULT: u64 = 0x0a7e_5eed_2026_0015;

/// xorshift64*: small, fast, and the same sequence everywhere for a seed.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Zero is xorshift's fixed point.
        Rng { state: seed ^ 0x9e37_79b9_7f4a_7c15 | 1 }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that mean something to JSON, headers, query strings and keys.
const INTERESTING: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"1.5",
    b"\\u0000",
    b"\\ud800",
    b"%",
    b"%zz",
    b"%00",
    b"&",
    b"=",
    b"/",
    b"//",
    b"..",
    b" ",
    b"\t",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    "é".as_bytes(),
    b"T",
    b"Z",
    b"_",
    b".json.gz",
    b"99999999T999999Z",
    b"00000000T000000Z",
    b"AWS4-HMAC-SHA256",
    b"Credential=",
    b"/aws4_request",
];

/// `input` changed by one to eight edits; `pieces` (other real inputs) may be spliced in.
pub fn mutate(rng: &mut Rng, input: &[u8], pieces: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next_u64() as u8,
            2 => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                let end = (at + 1 + rng.below(32)).min(out.len());
                let run = out[at..end].to_vec();
                out.splice(
                    at..at,
                    run.iter().copied().cycle().take(run.len() * (1 + rng.below(4))),
                );
            }
            4 | 5 => {
                let piece = rng.pick(INTERESTING);
                out.splice(at..at, piece.iter().copied());
            }
            6 if !pieces.is_empty() => {
                let other = rng.pick(pieces);
                let from = rng.below(other.len() + 1);
                let end = (from + 1 + rng.below(64)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            7 if at < out.len() => {
                // A digit run replaced by an extreme number.
                let end = (at + 1 + rng.below(8)).min(out.len());
                let number = rng.pick(&["0", "-0", "4294967296", "9223372036854775807", "1e308"]);
                out.splice(at..end, number.bytes());
            }
            8 => out.truncate(at),
            _ => out.insert(at, rng.next_u64() as u8),
        }
    }
    out
}

/// A case count: `OPENTRAIL_FUZZ_CASES` when set, else `default` (the CI count, chosen to
/// keep a target under about ten seconds in a debug build).
pub fn cases(default: u64) -> u64 {
    env_u64("OPENTRAIL_FUZZ_CASES").unwrap_or(default)
}

/// The seed: `OPENTRAIL_FUZZ_SEED` when set (decimal or `0x` hex), else [`SEED_DEFAULT`].
pub fn seed() -> u64 {
    env_u64("OPENTRAIL_FUZZ_SEED").unwrap_or(SEED_DEFAULT)
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `target` [`cases`]`(default_cases)` inputs made by `make` (from the seeded generator)
/// and stops at the first panic, failing with the target's name, the seed, the case number
/// and the input in hex. A line on stderr says how many ran and how long it took.
pub fn run<I: AsRef<[u8]>>(
    name: &str,
    default_cases: u64,
    mut make: impl FnMut(&mut Rng) -> I,
    target: impl Fn(&I),
) {
    let (n_cases, seed) = (cases(default_cases), seed());
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut failure = None;
    for case_idx in 0..n_cases {
        let input = make(&mut rng);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&input))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failure = Some((case_idx, message, hex(input.as_ref())));
            break;
        }
    }
    if let Some((case_idx, message, input_hex)) = failure {
        panic!(
            "fuzz `{name}`: case {case_idx} of seed {seed:#x} panicked: {message}\ninput (hex): {input_hex}"
        );
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "fuzz `{name}`: {n_cases} cases, seed {seed:#x}, {:.2?}, 0 panics",
            started.elapsed()
        );
    }
}

#[cfg(test)]
mod tests;
