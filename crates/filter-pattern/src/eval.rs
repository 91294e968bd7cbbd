//! Evaluation: term patterns (§4.2), the comparison rules C1–R1 (§6.4) and wildcard strings
//! (§6.5) shared by JSON and space-delimited patterns, and JSON patterns compiled for speed.
//!
//! A JSON pattern is compiled once: member names get their [`ShortKey`], string tests on one node get
//! a prepared matcher, and an `||` of several `selector = "exact string"` tests on the same
//! (wildcard-free) selector becomes one lookup followed by a set membership test, which is
//! what the CIS patterns are made of.

use std::borrow::Cow;

use crate::ast::{
    BoolExpr, Comparison, Condition, Selector, Step, Term, TermKind, TermText, Test, Value,
};
use crate::json::{Kind, ROOT, ShortKey, Tape, bytes_eq};
use crate::number;
use crate::parse::is_ws;

// ---------- term patterns ----------

pub(crate) fn terms_match(terms: &[Term], message: &str) -> bool {
    let mut has_plain_terms = false;
    for term in terms {
        let wanted = match term.kind {
            TermKind::Include => true,
            TermKind::Exclude => false,
            TermKind::Optional => continue,
        };
        has_plain_terms = true;
        if term_found(&term.text, message) != wanted {
            return false;
        }
    }
    // `?` terms count only when there is nothing else (§4.2).
    has_plain_terms
        || !terms.iter().any(|term| term.kind == TermKind::Optional)
        || terms
            .iter()
            .any(|term| term.kind == TermKind::Optional && term_found(&term.text, message))
}

fn term_found(text: &TermText, message: &str) -> bool {
    match text {
        // An empty or blank phrase is found in every message (§4.2 "match everything").
        TermText::Literal(literal) => {
            literal.bytes().all(is_ws) || message.contains(literal.as_str())
        }
        TermText::Regex(regex) => regex.is_match(message),
    }
}

// ---------- comparisons (§6.4, §7.2) ----------

/// A value that comparisons apply to.
pub(crate) enum Scalar<'a> {
    /// A JSON string (decoded) or a space-delimited field.
    Text(Cow<'a, str>),
    /// A JSON number, as its token text.
    Number(&'a str),
}

impl Scalar<'_> {
    fn text(&self) -> &str {
        match self {
            Scalar::Text(text) => text,
            Scalar::Number(token) => token,
        }
    }

    /// N1/N2: the value of a number, or of a string that is a number literal.
    fn numeric(&self) -> Option<f64> {
        match self {
            Scalar::Text(text) => number::numeric_value(text),
            Scalar::Number(token) => token.parse().ok(),
        }
    }
}

pub(crate) fn compare(comparison: &Comparison, scalar: &Scalar<'_>) -> bool {
    match comparison {
        Comparison::Eq(value) => equals(value, scalar),
        Comparison::Ne(Value::Number(number)) => {
            // N3: a non-numeric string differs from every number.
            scalar.numeric().is_none_or(|x| x != number.value())
        }
        Comparison::Ne(value) => !equals(value, scalar),
        Comparison::Lt(number) => scalar.numeric().is_some_and(|x| x < number.value()),
        Comparison::Le(number) => scalar.numeric().is_some_and(|x| x <= number.value()),
        Comparison::Gt(number) => scalar.numeric().is_some_and(|x| x > number.value()),
        Comparison::Ge(number) => scalar.numeric().is_some_and(|x| x >= number.value()),
    }
}

fn equals(value: &Value, scalar: &Scalar<'_>) -> bool {
    match value {
        Value::String(pattern) => wildcard_match(pattern, scalar.text()),
        Value::Number(number) => scalar.numeric() == Some(number.value()),
        Value::Regex(regex) => regex.is_match(scalar.text()),
    }
}

/// §6.5: `*` alone matches anything; a leading/trailing `*` matches any prefix/suffix; any
/// other `*` is literal.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(rest), Some(_)) => text.contains(rest.strip_suffix('*').unwrap_or(rest)),
        (Some(suffix), None) => text.ends_with(suffix),
        (None, Some(prefix)) => text.starts_with(prefix),
        (None, None) => text == pattern,
    }
}

// ---------- JSON patterns ----------

/// A selector with its member names prepared, and where its (single) wildcard step is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    steps: Vec<PathStep>,
    wildcard: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum PathStep {
    Member { name: Box<str>, short: ShortKey },
    Index(u32),
    AnyMember,
    AnyIndex,
}

impl Path {
    pub(crate) fn new(selector: &Selector) -> Path {
        let steps: Vec<PathStep> = selector
            .steps
            .iter()
            .map(|step| match step {
                Step::Member(name) => PathStep::Member {
                    name: name.as_str().into(),
                    short: ShortKey::of(name.as_bytes()),
                },
                Step::Index(index) => PathStep::Index(*index),
                Step::AnyMember => PathStep::AnyMember,
                Step::AnyIndex => PathStep::AnyIndex,
            })
            .collect();
        let wildcard =
            steps.iter().position(|step| matches!(step, PathStep::AnyMember | PathStep::AnyIndex));
        Path { steps, wildcard }
    }

    /// The node reached by wildcard-free `steps` from `from`.
    fn walk(steps: &[PathStep], tape: &Tape, text: &str, from: usize) -> Option<usize> {
        let mut node = from;
        for step in steps {
            node = match step {
                PathStep::Member { name, short } => tape.member(text, node, name, short)?,
                PathStep::Index(index) => tape.element(node, *index)?,
                PathStep::AnyMember | PathStep::AnyIndex => return None,
            };
        }
        Some(node)
    }

    /// The one node a wildcard-free path selects.
    pub(crate) fn resolve(&self, tape: &Tape, text: &str) -> Option<usize> {
        match self.wildcard {
            None => Path::walk(&self.steps, tape, text, ROOT),
            Some(_) => None,
        }
    }

    /// Whether `holds` is true of some selected node (§6.4: wildcards are existential).
    fn any(&self, tape: &Tape, text: &str, holds: impl FnMut(usize) -> bool) -> bool {
        let Some(wildcard) = self.wildcard else {
            return Path::walk(&self.steps, tape, text, ROOT).is_some_and(holds);
        };
        let (Some(prefix), Some(step), Some(suffix)) =
            (self.steps.get(..wildcard), self.steps.get(wildcard), self.steps.get(wildcard + 1..))
        else {
            return false;
        };
        let Some(container) = Path::walk(prefix, tape, text, ROOT) else { return false };
        let kind = if *step == PathStep::AnyMember { Kind::Object } else { Kind::Array };
        tape.children(container, kind)
            .filter_map(|child| Path::walk(suffix, tape, text, child))
            .any(holds)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Program {
    Or(Vec<Program>),
    And(Vec<Program>),
    /// `path = "…"` or `path != "…"` on a wildcard-free path: the selected node is a string or
    /// number whose text matches (or, negated, does not); anything else fails (C1, C2).
    /// `slot` is the path's entry in a [`Cache`] when evaluated as part of a pattern set.
    Text {
        path: Path,
        slot: Option<CacheSlot>,
        matcher: TextMatcher,
        negated: bool,
    },
    /// Any other condition, by the general rules.
    Test {
        path: Path,
        test: Test,
    },
}

/// Where a pattern set's [`Cache`] keeps what a `Text` leaf reads: the slot of its path and,
/// for an exact-strings leaf, its bit in that slot's shared [`StringSet`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheSlot {
    slot: u8,
    bit: Option<u8>,
}

/// A wildcard string (§6.5), prepared.
#[derive(Debug, Clone)]
pub(crate) enum TextMatcher {
    Any,
    /// Exact strings; an `||` of `=` tests becomes one of these.
    OneOf(StringSet),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
}

impl TextMatcher {
    pub(crate) fn new(pattern: &str) -> TextMatcher {
        if pattern == "*" {
            return TextMatcher::Any;
        }
        match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
            (Some(rest), Some(_)) => {
                TextMatcher::Contains(rest.strip_suffix('*').unwrap_or(rest).into())
            }
            (Some(suffix), None) => TextMatcher::Suffix(suffix.into()),
            (None, Some(prefix)) => TextMatcher::Prefix(prefix.into()),
            (None, None) => TextMatcher::OneOf(StringSet::new(vec![pattern.into()])),
        }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        self.matches_keyed(text.as_bytes(), None)
    }

    /// As `matches`, with the text's [`ShortKey`] if already known.
    #[inline]
    fn matches_keyed(&self, text: &[u8], key: Option<&ShortKey>) -> bool {
        match self {
            TextMatcher::Any => true,
            TextMatcher::OneOf(strings) => match key {
                Some(key) => strings.mask_of(text, key) != 0,
                None => strings.mask_of(text, &ShortKey::of(text)) != 0,
            },
            TextMatcher::Prefix(prefix) => {
                text.get(..prefix.len()).is_some_and(|head| bytes_eq(head, prefix.as_bytes()))
            }
            TextMatcher::Suffix(suffix) => text
                .len()
                .checked_sub(suffix.len())
                .and_then(|start| text.get(start..))
                .is_some_and(|tail| bytes_eq(tail, suffix.as_bytes())),
            TextMatcher::Contains(needle) => {
                // Both are `str`s originally, so a byte search is a character search.
                std::str::from_utf8(text).is_ok_and(|text| text.contains(&**needle))
            }
        }
    }
}

/// Exact strings, each with a bit mask: an open-addressing table over their [`ShortKey`]s.
/// A `OneOf` matcher holds one with every mask 1; a pattern set holds one per cache slot that
/// maps each string to the leaves (bits) of all its patterns that test for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringSet {
    strings: Vec<Box<str>>,
    keys: Vec<ShortKey>,
    masks: Vec<u64>,
    /// Indexes into `strings`, `u32::MAX` for free slots; a power of two, at most half full.
    slots: Vec<u32>,
}

impl StringSet {
    fn new(strings: Vec<Box<str>>) -> StringSet {
        StringSet::with_masks(strings.into_iter().map(|string| (string, 1)).collect())
    }

    /// The set of `entries`' strings; a string given twice gets the union of its masks.
    pub(crate) fn with_masks(entries: Vec<(Box<str>, u64)>) -> StringSet {
        let mut set = StringSet::default();
        for (string, mask) in entries {
            match set.strings.iter().position(|known| *known == string) {
                Some(idx) => {
                    if let Some(known) = set.masks.get_mut(idx) {
                        *known |= mask;
                    }
                }
                None => {
                    set.keys.push(ShortKey::of(string.as_bytes()));
                    set.strings.push(string);
                    set.masks.push(mask);
                }
            }
        }
        let size = (set.strings.len() * 2).next_power_of_two().max(4);
        set.slots = vec![u32::MAX; size];
        for (idx, key) in set.keys.iter().enumerate() {
            let mut slot = key.hash() & (size - 1);
            while set.slots.get(slot).is_some_and(|&taken| taken != u32::MAX) {
                slot = (slot + 1) & (size - 1);
            }
            if let Some(free) = set.slots.get_mut(slot) {
                *free = idx as u32;
            }
        }
        set
    }

    /// The mask of `text` (whose key is `key`), 0 if it is not in the set.
    #[inline]
    pub(crate) fn mask_of(&self, text: &[u8], key: &ShortKey) -> u64 {
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = key.hash() & mask;
        loop {
            let Some(&idx) = self.slots.get(slot) else { return 0 };
            let (Some(candidate), Some(string)) =
                (self.keys.get(idx as usize), self.strings.get(idx as usize))
            else {
                return 0;
            };
            if candidate == key && (key.is_exact() || bytes_eq(string.as_bytes(), text)) {
                return self.masks.get(idx as usize).copied().unwrap_or(0);
            }
            slot = (slot + 1) & mask;
        }
    }

    fn strings(&self) -> &[Box<str>] {
        &self.strings
    }
}

impl Program {
    pub(crate) fn compile(expr: &BoolExpr<Condition>) -> Program {
        match expr {
            BoolExpr::Leaf(condition) => {
                let path = Path::new(&condition.selector);
                let (pattern, negated) = match &condition.test {
                    Test::Compare(Comparison::Eq(Value::String(pattern))) => (pattern, false),
                    Test::Compare(Comparison::Ne(Value::String(pattern))) => (pattern, true),
                    test => return Program::Test { path, test: test.clone() },
                };
                if path.wildcard.is_some() {
                    return Program::Test { path, test: condition.test.clone() };
                }
                Program::Text { path, slot: None, matcher: TextMatcher::new(pattern), negated }
            }
            BoolExpr::And(operands) => {
                Program::And(operands.iter().map(Program::compile).collect())
            }
            BoolExpr::Or(operands) => {
                let mut merged: Vec<Program> = Vec::with_capacity(operands.len());
                for operand in operands.iter().map(Program::compile) {
                    let group = operand.exact_path().and_then(|path| {
                        merged.iter_mut().find(|program| program.exact_path() == Some(path))
                    });
                    match group {
                        Some(group) => group.absorb(operand),
                        None => merged.push(operand),
                    }
                }
                if merged.len() == 1
                    && let Some(only) = merged.pop()
                {
                    return only;
                }
                Program::Or(merged)
            }
        }
    }

    /// The path of a (non-negated) exact-string test, which can merge with others.
    fn exact_path(&self) -> Option<&Path> {
        match self {
            Program::Text { path, matcher: TextMatcher::OneOf(_), negated: false, .. } => {
                Some(path)
            }
            _ => None,
        }
    }

    fn absorb(&mut self, other: Program) {
        if let (
            Program::Text { matcher: TextMatcher::OneOf(strings), .. },
            Program::Text { matcher: TextMatcher::OneOf(more), .. },
        ) = (self, other)
        {
            let all = strings.strings().iter().chain(more.strings()).cloned().collect();
            *strings = StringSet::new(all);
        }
    }

    /// Gives each `Text` leaf's path a slot of a pattern set's [`Cache`], sharing slots
    /// between equal paths (`paths` holds the distinct paths so far), and gives exact-strings
    /// leaves a bit in their slot's shared set (`shared`: per slot, strings and masks so far).
    pub(crate) fn assign_slots(
        &mut self,
        paths: &mut Vec<Path>,
        shared: &mut Vec<Vec<(Box<str>, u64)>>,
        bits: &mut Vec<u8>,
    ) {
        match self {
            Program::Or(operands) | Program::And(operands) => {
                for operand in operands {
                    operand.assign_slots(paths, shared, bits);
                }
            }
            Program::Text { path, slot, matcher, .. } => {
                let idx = match paths.iter().position(|known| known == path) {
                    Some(idx) => idx,
                    None => {
                        paths.push(path.clone());
                        shared.push(Vec::new());
                        bits.push(0);
                        paths.len() - 1
                    }
                };
                let Some(cache_slot) =
                    u8::try_from(idx).ok().filter(|&i| usize::from(i) < CACHE_SLOTS)
                else {
                    return;
                };
                let mut bit = None;
                if let (TextMatcher::OneOf(strings), Some(next_bit), Some(entries)) =
                    (&*matcher, bits.get_mut(idx), shared.get_mut(idx))
                    && *next_bit < 64
                {
                    entries
                        .extend(strings.strings().iter().map(|s| (s.clone(), 1u64 << *next_bit)));
                    bit = Some(*next_bit);
                    *next_bit += 1;
                }
                *slot = Some(CacheSlot { slot: cache_slot, bit });
            }
            Program::Test { .. } => {}
        }
    }

    /// As `eval`, reading the selected nodes of `Text` leaves through `cache`.
    /// `shared`: the pattern set's per-slot string sets.
    pub(crate) fn eval_cached(
        &self,
        tape: &Tape,
        text: &str,
        cache: &mut Cache,
        shared: &[StringSet],
    ) -> bool {
        match self {
            Program::Or(operands) => {
                operands.iter().any(|operand| operand.eval_cached(tape, text, cache, shared))
            }
            Program::And(operands) => {
                operands.iter().all(|operand| operand.eval_cached(tape, text, cache, shared))
            }
            Program::Text { path, slot: Some(CacheSlot { slot, bit }), matcher, negated } => {
                let (found, mask) = cache.get(*slot, path, tape, text, shared);
                match (found, bit) {
                    (Cached::Absent, _) => false,
                    (Cached::Scalar { .. }, Some(bit)) => ((mask >> bit) & 1 == 1) != *negated,
                    (Cached::Scalar { start, end, key }, None) => {
                        let bytes = text.as_bytes().get(*start as usize..*end as usize);
                        bytes.is_some_and(|bytes| {
                            matcher.matches_keyed(bytes, Some(key)) != *negated
                        })
                    }
                    (Cached::Escaped, _) => self.eval(tape, text),
                }
            }
            _ => self.eval(tape, text),
        }
    }

    pub(crate) fn eval(&self, tape: &Tape, text: &str) -> bool {
        match self {
            Program::Or(operands) => operands.iter().any(|operand| operand.eval(tape, text)),
            Program::And(operands) => operands.iter().all(|operand| operand.eval(tape, text)),
            Program::Text { path, matcher, negated, .. } => {
                let Some(node) = path.resolve(tape, text) else { return false };
                match scalar(tape, text, node) {
                    Some(scalar) => matcher.matches(scalar.text()) != *negated,
                    None => false,
                }
            }
            Program::Test { path, test } => match test {
                Test::NotExists => !path.any(tape, text, |_| true),
                Test::IsNull => path.any(tape, text, |node| kind(tape, node) == Some(Kind::Null)),
                Test::IsTrue => path.any(tape, text, |node| kind(tape, node) == Some(Kind::True)),
                Test::IsFalse => path.any(tape, text, |node| kind(tape, node) == Some(Kind::False)),
                Test::Compare(comparison) => path.any(tape, text, |node| {
                    // C1/C2: containers, null and booleans satisfy no comparison, not even `!=`.
                    scalar(tape, text, node).is_some_and(|scalar| compare(comparison, &scalar))
                }),
            },
        }
    }
}

/// Slots of a [`Cache`]: the distinct wildcard-free paths of a pattern set that are read
/// through it (further ones are resolved per use).
pub(crate) const CACHE_SLOTS: usize = 16;

// `Cache::resolved` has one bit per slot.
const _: () = assert!(CACHE_SLOTS <= u16::BITS as usize);

/// What a pattern set has already read of one event: for each slot, the selected node as a
/// scalar's raw text and [`ShortKey`], and its mask in the slot's shared [`StringSet`].
pub(crate) struct Cache {
    resolved: u16,
    entries: [Cached; CACHE_SLOTS],
    masks: [u64; CACHE_SLOTS],
}

#[derive(Clone, Copy)]
pub(crate) enum Cached {
    /// Nothing selected, or not a string or number.
    Absent,
    /// A string without escapes (its contents) or a number (its token).
    Scalar { start: u32, end: u32, key: ShortKey },
    /// A string with escapes: evaluated without the cache.
    Escaped,
}

impl Cache {
    pub(crate) fn new() -> Cache {
        Cache { resolved: 0, entries: [Cached::Absent; CACHE_SLOTS], masks: [0; CACHE_SLOTS] }
    }

    /// The slot's entry and mask, read from the event on first use.
    #[inline]
    fn get(
        &mut self,
        slot: u8,
        path: &Path,
        tape: &Tape,
        text: &str,
        shared: &[StringSet],
    ) -> (&Cached, u64) {
        const UNCACHED: &Cached = &Cached::Escaped;
        let idx = usize::from(slot);
        let bit = 1u16 << (slot & 15);
        let (Some(entry), Some(mask)) = (self.entries.get_mut(idx), self.masks.get_mut(idx)) else {
            return (UNCACHED, 0);
        };
        if self.resolved & bit == 0 {
            self.resolved |= bit;
            *mask = 0;
            *entry = match path.resolve(tape, text).and_then(|node| tape.node(node)) {
                Some(node) if node.kind == Kind::String && node.escaped => Cached::Escaped,
                Some(node) if matches!(node.kind, Kind::String | Kind::Number) => {
                    match text.as_bytes().get(node.start as usize..node.end as usize) {
                        Some(raw) => {
                            let key = ShortKey::of(raw);
                            if let Some(set) = shared.get(idx) {
                                *mask = set.mask_of(raw, &key);
                            }
                            Cached::Scalar { start: node.start, end: node.end, key }
                        }
                        None => Cached::Absent,
                    }
                }
                _ => Cached::Absent,
            };
        }
        (entry, *mask)
    }
}

fn kind(tape: &Tape, node: usize) -> Option<Kind> {
    tape.node(node).map(|node| node.kind)
}

/// A string or number node as a [`Scalar`]; anything else cannot be compared.
fn scalar<'t>(tape: &Tape, text: &'t str, node: usize) -> Option<Scalar<'t>> {
    match kind(tape, node)? {
        Kind::String => tape.text(text, node).map(Scalar::Text),
        Kind::Number => match tape.text(text, node)? {
            Cow::Borrowed(token) => Some(Scalar::Number(token)),
            Cow::Owned(_) => None,
        },
        _ => None,
    }
}
