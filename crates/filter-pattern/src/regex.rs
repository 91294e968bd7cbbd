//! The restricted regular expressions of `%…%` (§5): validation and a backtracking-free
//! matcher. There are no groups, so a regex is a top-level alternation of sequences of
//! one-character items (a character, `.`, a class or an escape) with quantifiers, plus the
//! anchors `^` and `$`. Repetitions are unrolled into NFA positions and the NFA is simulated
//! with one bit per position (a Glushkov automaton over a linear sequence), so matching costs
//! O(subject length × positions / 64) and never backtracks.
//!
//! Not supported, because AWS rejects it or says nothing (INF): groups, nested classes
//! (`[a[b]]`), class set operations (`--`), escapes other than those of §5.3, `\x` above
//! `7F`, a quantifier on an anchor, stacked quantifiers (a lazy `?` after a quantifier is
//! accepted and changes nothing, as only match/no-match is observable).

use std::fmt;

use crate::error::{Error, Expected, Found, Limit, Result};
use crate::limits;

/// A validated `%…%` regex: its body as written and its compiled form.
#[derive(Clone)]
pub struct Regex {
    source: String,
    program: Box<Program>,
}

impl Regex {
    /// Validates and compiles a regex body (the text between the `%` delimiters). Error
    /// offsets are byte offsets into `body`.
    pub fn new(body: &str) -> Result<Regex> {
        Regex::parse_at(body, 0)
    }

    /// As [`Regex::new`], with error offsets shifted by `base` (the body's offset in a pattern).
    pub(crate) fn parse_at(body: &str, base: usize) -> Result<Regex> {
        let mut parser = RegexParser { body, pos: 0, base };
        let alternatives = parser.parse()?;
        let program = Box::new(Program::compile(&alternatives, base)?);
        Ok(Regex { source: body.to_owned(), program })
    }

    /// The body as written, without the `%` delimiters.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the regex matches some substring of `subject` (§5.4: unanchored search).
    pub fn is_match(&self, subject: &str) -> bool {
        self.program.is_match(subject)
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex(%{}%)", self.source)
    }
}

impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}%", self.source)
    }
}

/// A set of characters: one bit per ASCII character, one flag for all non-ASCII characters
/// (only complements such as `.`, `[^…]` and `\D` contain those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CharSet {
    ascii: u128,
    non_ascii: bool,
}

impl CharSet {
    const EMPTY: CharSet = CharSet { ascii: 0, non_ascii: false };

    fn single(b: u8) -> CharSet {
        CharSet { ascii: 1u128 << (b & 0x7f), non_ascii: false }
    }

    fn range(lo: u8, hi: u8) -> CharSet {
        let mut set = CharSet::EMPTY;
        for b in lo..=hi {
            set.ascii |= 1u128 << (b & 0x7f);
        }
        set
    }

    fn union(self, other: CharSet) -> CharSet {
        CharSet { ascii: self.ascii | other.ascii, non_ascii: self.non_ascii || other.non_ascii }
    }

    fn complement(self) -> CharSet {
        CharSet { ascii: !self.ascii, non_ascii: !self.non_ascii }
    }

    fn contains_ascii(self, b: u8) -> bool {
        b < 0x80 && self.ascii & (1u128 << b) != 0
    }

    fn digits() -> CharSet {
        CharSet::range(b'0', b'9')
    }

    /// `\s`: exactly tab, newline and space (§5.3).
    fn space() -> CharSet {
        CharSet::single(b'\t').union(CharSet::single(b'\n')).union(CharSet::single(b' '))
    }

    fn word() -> CharSet {
        CharSet::range(b'a', b'z')
            .union(CharSet::range(b'A', b'Z'))
            .union(CharSet::digits())
            .union(CharSet::single(b'_'))
    }

    /// `.`: any character but newline (§5.4 (INF)).
    fn dot() -> CharSet {
        CharSet::single(b'\n').complement()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Set(CharSet),
    Start,
    End,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    atom: Atom,
    min: u32,
    /// `None`: unbounded.
    max: Option<u32>,
    quantified: bool,
    lazy: bool,
    offset: usize,
}

/// Letters, digits and the symbols of §5.2 that stand for themselves (space included).
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b":_#=@/;,- ".contains(&b)
}

/// What may follow `\` to stand for itself (§5.3, grammar `regex literal char`).
fn is_escapable(b: u8) -> bool {
    b"^$?[]{}|\\*+.:_#=@/;,-".contains(&b)
}

/// Operators that are literal inside a class.
fn is_literal_in_class(b: u8) -> bool {
    is_plain(b) || b"^$?{}|*+.".contains(&b)
}

const ESCAPES: &str =
    "`d`, `D`, `s`, `S`, `w`, `W`, `x` followed by two hex digits, or an operator or symbol";

/// What an escape stands for.
enum Escaped {
    Char(u8),
    Class(CharSet),
}

struct RegexParser<'a> {
    body: &'a str,
    pos: usize,
    base: usize,
}

impl RegexParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.body.as_bytes().get(self.pos).copied()
    }

    fn found(&self) -> Found {
        match self.body.get(self.pos..).and_then(|rest| rest.chars().next()) {
            Some(c) => Found::Char(c),
            None => Found::EndOfPattern,
        }
    }

    fn error(&self, expected: &'static str) -> Error {
        Error {
            offset: self.base + self.pos,
            expected: Expected::Syntax(expected),
            found: self.found(),
        }
    }

    fn parse(&mut self) -> Result<Vec<Vec<Item>>> {
        if self.body.is_empty() {
            return Err(self.error("a non-empty regex"));
        }
        let mut alternatives = Vec::new();
        let mut sequence: Vec<Item> = Vec::new();
        while let Some(b) = self.peek() {
            let offset = self.pos;
            let atom = match b {
                b'|' => {
                    self.pos += 1;
                    alternatives.push(std::mem::take(&mut sequence));
                    continue;
                }
                b'*' | b'+' | b'?' | b'{' => {
                    self.quantifier(&mut sequence)?;
                    continue;
                }
                b'^' => Atom::Start,
                b'$' => Atom::End,
                b'.' => Atom::Set(CharSet::dot()),
                b'[' => {
                    self.pos += 1;
                    sequence.push(Item::once(Atom::Set(self.class()?), offset));
                    continue;
                }
                b'\\' => {
                    let set = match self.escape()? {
                        Escaped::Char(c) => CharSet::single(c),
                        Escaped::Class(set) => set,
                    };
                    sequence.push(Item::once(Atom::Set(set), offset));
                    continue;
                }
                b']' | b'}' => Atom::Set(CharSet::single(b)),
                _ if is_plain(b) => Atom::Set(CharSet::single(b)),
                _ => {
                    return Err(self.error(
                        "a letter, a digit, a space, one of `:_#=@/;,-` or a regex operator",
                    ));
                }
            };
            self.pos += 1;
            sequence.push(Item::once(atom, offset));
        }
        alternatives.push(sequence);
        Ok(alternatives)
    }

    /// `*`, `+`, `?` or `{m,n}` after an item (the current byte is the quantifier).
    fn quantifier(&mut self, sequence: &mut [Item]) -> Result<()> {
        const BEFORE: &str = "a character, `.`, a class or an escape before a quantifier";
        let Some(b) = self.peek() else { return Ok(()) };
        let Some(item) = sequence.last_mut() else { return Err(self.error(BEFORE)) };
        if !matches!(item.atom, Atom::Set(_)) {
            return Err(self.error(BEFORE));
        }
        if item.quantified {
            // `x*?`: a lazy quantifier matches the same subjects; anything else is stacked.
            if b == b'?' && !item.lazy {
                item.lazy = true;
                self.pos += 1;
                return Ok(());
            }
            return Err(self.error(BEFORE));
        }
        let (min, max) = match b {
            b'*' => (0, None),
            b'+' => (1, None),
            b'?' => (0, Some(1)),
            _ => {
                self.pos += 1;
                self.counted()?
            }
        };
        if b != b'{' {
            self.pos += 1;
        }
        item.min = min;
        item.max = max;
        item.quantified = true;
        Ok(())
    }

    /// The inside of `{m}`, `{m,}`, `{,n}`, `{m,n}` (after `{`, through `}`).
    fn counted(&mut self) -> Result<(u32, Option<u32>)> {
        let open = self.pos - 1;
        let min = self.count()?;
        let max = match self.peek() {
            Some(b'}') => {
                let Some(min) = min else {
                    return Err(self.error("a repetition count between `{` and `}`"));
                };
                Some(min)
            }
            Some(b',') => {
                self.pos += 1;
                let max = self.count()?;
                if self.peek() != Some(b'}') {
                    return Err(self.error("a digit or `}`"));
                }
                if min.is_none() && max.is_none() {
                    return Err(self.error("a repetition count before or after `,`"));
                }
                max
            }
            _ => return Err(self.error("a digit, `,` or `}`")),
        };
        self.pos += 1;
        let min = min.unwrap_or(0);
        if let Some(max) = max
            && max < min
        {
            return Err(Error {
                offset: self.base + open,
                expected: Expected::Syntax("a repetition minimum no larger than its maximum"),
                found: Found::Text(self.body.get(open..self.pos).unwrap_or_default().to_owned()),
            });
        }
        Ok((min, max))
    }

    /// Optional decimal digits, bounded by `REGEX_REPEAT_MAX`.
    fn count(&mut self) -> Result<Option<u32>> {
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        match u32::try_from(value) {
            Ok(count) if count <= limits::REGEX_REPEAT_MAX => Ok(Some(count)),
            _ => Err(Error {
                offset: self.base + start,
                expected: Expected::Limit(Limit::RegexRepeat),
                found: Found::Count(usize::try_from(value).unwrap_or(usize::MAX)),
            }),
        }
    }

    /// After `\` (the current byte).
    fn escape(&mut self) -> Result<Escaped> {
        self.pos += 1;
        let Some(b) = self.peek() else { return Err(self.error(ESCAPES)) };
        let escaped = match b {
            b'd' => Escaped::Class(CharSet::digits()),
            b'D' => Escaped::Class(CharSet::digits().complement()),
            b's' => Escaped::Class(CharSet::space()),
            b'S' => Escaped::Class(CharSet::space().complement()),
            b'w' => Escaped::Class(CharSet::word()),
            b'W' => Escaped::Class(CharSet::word().complement()),
            b'x' => {
                self.pos += 1;
                let hex = self.body.as_bytes().get(self.pos..self.pos + 2);
                let value = hex.and_then(|hex| {
                    let text = std::str::from_utf8(hex).ok()?;
                    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    u8::from_str_radix(text, 16).ok()
                });
                match value {
                    Some(c) if c < 0x80 => {
                        self.pos += 2;
                        return Ok(Escaped::Char(c));
                    }
                    _ => return Err(self.error("two hex digits of an ASCII code after `\\x`")),
                }
            }
            _ if is_escapable(b) => Escaped::Char(b),
            _ => return Err(self.error(ESCAPES)),
        };
        self.pos += 1;
        Ok(escaped)
    }

    /// After `[`, through the closing `]`.
    fn class(&mut self) -> Result<CharSet> {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut set = CharSet::EMPTY;
        let mut first = true;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("`]` closing the character class"));
            };
            if b == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            let lo = match self.class_atom()? {
                Escaped::Class(class) => {
                    set = set.union(class);
                    continue;
                }
                Escaped::Char(lo) => lo,
            };
            let is_range = self.peek() == Some(b'-')
                && !matches!(self.body.as_bytes().get(self.pos + 1), None | Some(b']'));
            if !is_range {
                set = set.union(CharSet::single(lo));
                continue;
            }
            self.pos += 1;
            if self.peek() == Some(b'-') {
                return Err(self.error("a range end other than an unescaped `-`"));
            }
            let hi_offset = self.pos;
            let Escaped::Char(hi) = self.class_atom()? else {
                self.pos = hi_offset;
                return Err(self.error("a single character ending the range"));
            };
            if hi < lo {
                self.pos = hi_offset;
                return Err(self.error("a range end no smaller than its start"));
            }
            set = set.union(CharSet::range(lo, hi));
        }
        Ok(if negated { set.complement() } else { set })
    }

    /// One character or class escape inside `[…]`.
    fn class_atom(&mut self) -> Result<Escaped> {
        match self.peek() {
            Some(b'\\') => self.escape(),
            Some(b'[') => Err(self.error("`\\[` (a `[` inside a class must be escaped)")),
            Some(b) if b == b']' || is_literal_in_class(b) => {
                self.pos += 1;
                Ok(Escaped::Char(b))
            }
            _ => Err(self.error(
                "a letter, a digit, a space, one of `:_#=@/;,-^$?{}|*+.` or an escape in a class",
            )),
        }
    }
}

impl Item {
    fn once(atom: Atom, offset: usize) -> Item {
        Item { atom, min: 1, max: Some(1), quantified: false, lazy: false, offset }
    }
}

/// How one NFA position behaves.
#[derive(Clone, Copy)]
enum Position {
    /// Consumes one character of the set.
    Mandatory(CharSet),
    /// Consumes one character of the set, or is skipped.
    Optional(CharSet),
    /// Consumes any number of characters of the set.
    Star(CharSet),
    /// Skipped only at the start of the subject.
    Start,
    /// Skipped only at the end of the subject.
    End,
    /// Reached once an alternative has matched; nothing leads out of it.
    Accept,
}

/// The NFA as bit masks, `width` words per mask (1, 4 or `REGEX_STATES_MAX / 64`).
#[derive(Clone)]
struct Program {
    width: usize,
    /// Row `c` (ASCII) or row 128 (any non-ASCII character): positions consuming that character.
    consumes: Vec<u64>,
    star: Vec<u64>,
    skippable: Vec<u64>,
    start_anchor: Vec<u64>,
    end_anchor: Vec<u64>,
    entry: Vec<u64>,
    accept: Vec<u64>,
}

const WIDE: usize = limits::REGEX_STATES_MAX / 64;

impl Program {
    fn compile(alternatives: &[Vec<Item>], base: usize) -> Result<Program> {
        // Count before unrolling so that `a{1000}{…}`-style bodies fail before allocating.
        let mut n_positions: usize = 0;
        for sequence in alternatives {
            for item in sequence {
                let copies = match item.max {
                    Some(max) => max as usize,
                    None => item.min as usize + 1,
                };
                n_positions = n_positions.saturating_add(copies);
                if n_positions + alternatives.len() > limits::REGEX_STATES_MAX {
                    return Err(Error {
                        offset: base + item.offset,
                        expected: Expected::Limit(Limit::RegexStates),
                        found: Found::Count(n_positions + alternatives.len()),
                    });
                }
            }
        }
        let mut positions = Vec::with_capacity(n_positions + alternatives.len());
        let mut entries = Vec::with_capacity(alternatives.len());
        for sequence in alternatives {
            entries.push(positions.len());
            for item in sequence {
                match item.atom {
                    Atom::Start => positions.push(Position::Start),
                    Atom::End => positions.push(Position::End),
                    Atom::Set(set) => {
                        for _ in 0..item.min {
                            positions.push(Position::Mandatory(set));
                        }
                        match item.max {
                            None => positions.push(Position::Star(set)),
                            Some(max) => {
                                for _ in item.min..max {
                                    positions.push(Position::Optional(set));
                                }
                            }
                        }
                    }
                }
            }
            positions.push(Position::Accept);
        }
        let width = match positions.len() {
            0..=64 => 1,
            65..=256 => 4,
            _ => WIDE,
        };
        let mut program = Program {
            width,
            consumes: vec![0; 129 * width],
            star: vec![0; width],
            skippable: vec![0; width],
            start_anchor: vec![0; width],
            end_anchor: vec![0; width],
            entry: vec![0; width],
            accept: vec![0; width],
        };
        for (idx, position) in positions.iter().enumerate() {
            let (word, bit) = (idx / 64, 1u64 << (idx % 64));
            let set = match *position {
                Position::Mandatory(set) => set,
                Position::Optional(set) => {
                    program.skippable[word] |= bit;
                    set
                }
                Position::Star(set) => {
                    program.skippable[word] |= bit;
                    program.star[word] |= bit;
                    set
                }
                Position::Start => {
                    program.start_anchor[word] |= bit;
                    continue;
                }
                Position::End => {
                    program.end_anchor[word] |= bit;
                    continue;
                }
                Position::Accept => {
                    program.accept[word] |= bit;
                    continue;
                }
            };
            for c in 0..128u8 {
                if set.contains_ascii(c) {
                    program.consumes[usize::from(c) * width + word] |= bit;
                }
            }
            if set.non_ascii {
                program.consumes[128 * width + word] |= bit;
            }
        }
        for idx in entries {
            program.entry[idx / 64] |= 1u64 << (idx % 64);
        }
        Ok(program)
    }

    fn is_match(&self, subject: &str) -> bool {
        match self.width {
            1 => self.run::<1>(subject.as_bytes()),
            4 => self.run::<4>(subject.as_bytes()),
            _ => self.run::<WIDE>(subject.as_bytes()),
        }
    }

    fn mask<const W: usize>(words: &[u64]) -> [u64; W] {
        let mut mask = [0u64; W];
        for (dst, src) in mask.iter_mut().zip(words) {
            *dst = *src;
        }
        mask
    }

    fn run<const W: usize>(&self, subject: &[u8]) -> bool {
        let star = Self::mask::<W>(&self.star);
        let skippable = Self::mask::<W>(&self.skippable);
        let start_anchor = Self::mask::<W>(&self.start_anchor);
        let end_anchor = Self::mask::<W>(&self.end_anchor);
        let entry = Self::mask::<W>(&self.entry);
        let accept = Self::mask::<W>(&self.accept);
        let mut state = [0u64; W];
        let mut pos = 0;
        loop {
            // Unanchored search: every alternative may start at every position.
            let mut skip = skippable;
            for word in 0..W {
                state[word] |= entry[word];
                if pos == 0 {
                    skip[word] |= start_anchor[word];
                }
                if pos == subject.len() {
                    skip[word] |= end_anchor[word];
                }
            }
            close(&mut state, &skip);
            if (0..W).any(|word| state[word] & accept[word] != 0) {
                return true;
            }
            let Some(&b) = subject.get(pos) else { return false };
            let (row, len) = if b < 0x80 { (usize::from(b), 1) } else { (128, utf8_len(b)) };
            let consumes = self.consumes.get(row * self.width..).unwrap_or_default();
            let mut carry = 0;
            for word in 0..W {
                let consumed = state[word] & consumes.get(word).copied().unwrap_or(0);
                let moved = consumed & !star[word];
                state[word] = (moved << 1) | carry | (consumed & star[word]);
                carry = moved >> 63;
            }
            pos += len;
        }
    }
}

/// Adds every position reachable by skipping: from a set bit in a run of skippable positions
/// to every later position of the run and the first position after it. `((x & s) + s) ^ s`
/// sets exactly those bits; the addition carries across words.
fn close<const W: usize>(state: &mut [u64; W], skippable: &[u64; W]) {
    let mut carry = false;
    for word in 0..W {
        let (sum, c1) = (state[word] & skippable[word]).overflowing_add(skippable[word]);
        let (sum, c2) = sum.overflowing_add(u64::from(carry));
        carry = c1 || c2;
        state[word] |= sum ^ skippable[word];
    }
}

/// Bytes in the UTF-8 sequence that starts with `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    }
}
