//! A validating, non-recursive JSON reader for events (§6.1) that records the document as a
//! flat "tape" of nodes pointing into the event text: numbers keep their token text (rule S2),
//! strings stay undecoded until a comparison needs them, and each container knows where its
//! subtree ends so that lookups skip siblings in O(1). Members of the top-level object are also
//! indexed by a [`ShortKey`] of their name in a small hash table, because nearly every selector
//! starts there.
//!
//! Strict RFC 8259: no trailing commas, comments, single quotes, leading zeros or control
//! characters in strings; the top-level value must be an object followed only by whitespace.
//! Lone surrogates in `\u` escapes are accepted and decode to U+FFFD. Duplicate keys are kept:
//! a member lookup returns the last one (INF; what most JSON readers do), a `.*` wildcard sees
//! them all.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
    /// An object member's key; the member's value is the next node.
    Key,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// Strings and keys: whether the raw text contains a backslash escape.
    pub(crate) escaped: bool,
    /// Byte span in the event text; for strings and keys, without the quotes.
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Containers: index of the first node after the subtree.
    pub(crate) link: u32,
}

/// A name (or any short text) as its length and its first and last eight bytes, which
/// identify it exactly when it has at most 16 bytes: compared in three instructions instead of
/// a `memcmp`, and hashed for the top-level table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShortKey {
    len: u32,
    head: u64,
    tail: u64,
}

impl ShortKey {
    #[inline]
    pub(crate) fn of(bytes: &[u8]) -> ShortKey {
        let (head, tail) = match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
            _ => {
                let mut word = [0u8; 8];
                for (dst, src) in word.iter_mut().zip(bytes) {
                    *dst = *src;
                }
                (u64::from_le_bytes(word), 0)
            }
        };
        ShortKey { len: u32::try_from(bytes.len()).unwrap_or(u32::MAX), head, tail }
    }

    /// Whether equal keys imply equal texts.
    #[inline]
    pub(crate) fn is_exact(&self) -> bool {
        self.len <= 16
    }

    #[inline]
    pub(crate) fn hash(&self) -> usize {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let h = (self.head ^ self.tail.rotate_left(29) ^ u64::from(self.len)).wrapping_mul(K);
        (h >> 40) as usize
    }
}

/// A member of the top-level object.
#[derive(Debug, Clone, Copy)]
struct TopMember {
    name: ShortKey,
    /// The key node.
    key: u32,
}

/// A parsed event: node 0 is the top-level object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tape {
    nodes: Vec<Node>,
    /// The top-level members in document order.
    top: Vec<TopMember>,
    /// An open-addressing table of indexes into `top` (a power of two long, at most half
    /// full): the last member of each name, found by its hash.
    table: Vec<u32>,
}

/// A free slot of `Tape::table`.
const EMPTY: u32 = u32::MAX;

pub(crate) const ROOT: usize = 0;

impl Tape {
    /// Reads `text`; `false` if it is not exactly one JSON object (the tape is then unusable).
    /// `stack` is scratch space, kept by the caller to avoid allocating per event.
    pub(crate) fn parse(&mut self, text: &str, stack: &mut Vec<u32>) -> bool {
        self.nodes.clear();
        self.top.clear();
        stack.clear();
        if u32::try_from(text.len()).is_err() || self.parse_bytes(text.as_bytes(), stack).is_none()
        {
            return false;
        }
        self.index_top(text);
        true
    }

    fn index_top(&mut self, text: &str) {
        let size = (self.top.len() * 2).next_power_of_two().max(16);
        self.table.clear();
        self.table.resize(size, EMPTY);
        let mask = size - 1;
        for (idx, member) in self.top.iter().enumerate() {
            let mut slot = member.name.hash() & mask;
            while let Some(entry_idx) = self.table.get_mut(slot) {
                let Some(entry) = self.top.get(*entry_idx as usize) else {
                    *entry_idx = idx as u32;
                    break;
                };
                let same = entry.name == member.name
                    && (member.name.is_exact()
                        || match self.nodes.get(member.key as usize) {
                            Some(node) => {
                                key_is(&self.nodes, text, entry.key as usize, &raw_key(text, node))
                            }
                            None => false,
                        });
                if same {
                    // A later duplicate replaces the earlier member.
                    *entry_idx = idx as u32;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    #[inline]
    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        // Offsets fit: `parse` rejects texts of 4 GiB and more.
        self.nodes.push(Node {
            kind,
            escaped: false,
            start: start as u32,
            end: end as u32,
            link: 0,
        });
    }

    fn parse_bytes(&mut self, b: &[u8], stack: &mut Vec<u32>) -> Option<()> {
        let mut pos = skip_ws(b, 0);
        if b.get(pos) != Some(&b'{') {
            return None;
        }
        self.push(Kind::Object, pos, pos);
        // The open containers' node indexes; the innermost one's kind is `in_object`.
        stack.push(0);
        let mut in_object = true;
        pos = skip_ws(b, pos + 1);
        // Right after `{` or `[`, where the container may close at once.
        let mut first = true;
        loop {
            let close = if in_object { b'}' } else { b']' };
            if !(first && b.get(pos) == Some(&close)) {
                if in_object {
                    if b.get(pos) != Some(&b'"') {
                        return None;
                    }
                    let (end, escaped) = scan_string(b, pos + 1)?;
                    let idx = self.nodes.len() as u32;
                    // Only top-level keys are indexed: nested lookups are rare and compare names.
                    if stack.len() == 1 {
                        let key = b.get(pos + 1..end)?;
                        let name = if escaped {
                            ShortKey::of(decode(key).as_bytes())
                        } else {
                            ShortKey::of(key)
                        };
                        self.top.push(TopMember { name, key: idx });
                    }
                    self.nodes.push(Node {
                        kind: Kind::Key,
                        escaped,
                        start: (pos + 1) as u32,
                        end: end as u32,
                        link: 0,
                    });
                    pos = skip_ws(b, end + 1);
                    if b.get(pos) != Some(&b':') {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                }
                match *b.get(pos)? {
                    b'"' => {
                        let (end, escaped) = scan_string(b, pos + 1)?;
                        self.nodes.push(Node {
                            kind: Kind::String,
                            escaped,
                            start: (pos + 1) as u32,
                            end: end as u32,
                            link: 0,
                        });
                        pos = end + 1;
                    }
                    open @ (b'{' | b'[') => {
                        in_object = open == b'{';
                        stack.push(self.nodes.len() as u32);
                        self.push(if in_object { Kind::Object } else { Kind::Array }, pos, pos);
                        pos = skip_ws(b, pos + 1);
                        first = true;
                        continue;
                    }
                    b'-' | b'0'..=b'9' => {
                        let end = scan_number(b, pos)?;
                        self.push(Kind::Number, pos, end);
                        pos = end;
                    }
                    b't' => pos = self.literal(b, pos, b"true", Kind::True)?,
                    b'f' => pos = self.literal(b, pos, b"false", Kind::False)?,
                    b'n' => pos = self.literal(b, pos, b"null", Kind::Null)?,
                    _ => return None,
                }
            }
            // After a value: `,` or the end of one or more containers.
            loop {
                pos = skip_ws(b, pos);
                let close = if in_object { b'}' } else { b']' };
                match *b.get(pos)? {
                    b',' => {
                        pos = skip_ws(b, pos + 1);
                        first = false;
                        break;
                    }
                    c if c == close => {}
                    _ => return None,
                }
                let next = self.nodes.len() as u32;
                let container = stack.pop()? as usize;
                let node = self.nodes.get_mut(container)?;
                node.end = (pos + 1) as u32;
                node.link = next;
                pos += 1;
                let Some(&outer) = stack.last() else {
                    return (skip_ws(b, pos) == b.len()).then_some(());
                };
                in_object = self.nodes.get(outer as usize)?.kind == Kind::Object;
            }
        }
    }

    fn literal(&mut self, b: &[u8], pos: usize, word: &[u8], kind: Kind) -> Option<usize> {
        if b.get(pos..pos + word.len())? != word {
            return None;
        }
        self.push(kind, pos, pos + word.len());
        Some(pos + word.len())
    }

    pub(crate) fn node(&self, idx: usize) -> Option<&Node> {
        self.nodes.get(idx)
    }

    /// The index just past the subtree at `idx`.
    fn skip(&self, idx: usize) -> usize {
        match self.nodes.get(idx) {
            Some(node) if matches!(node.kind, Kind::Object | Kind::Array) => node.link as usize,
            _ => idx + 1,
        }
    }

    /// The value of member `name` (whose [`ShortKey`] is `short`) of the object at `object`.
    #[inline]
    pub(crate) fn member(
        &self,
        text: &str,
        object: usize,
        name: &str,
        short: &ShortKey,
    ) -> Option<usize> {
        if object == ROOT {
            let mask = self.table.len().checked_sub(1)?;
            let mut slot = short.hash() & mask;
            loop {
                let entry = self.top.get(*self.table.get(slot)? as usize)?;
                if entry.name == *short
                    && (short.is_exact() || key_is(&self.nodes, text, entry.key as usize, name))
                {
                    return Some(entry.key as usize + 1);
                }
                slot = (slot + 1) & mask;
            }
        }
        let node = self.nodes.get(object)?;
        if node.kind != Kind::Object {
            return None;
        }
        let end = node.link as usize;
        let mut idx = object + 1;
        let mut found = None;
        while idx < end {
            if key_is(&self.nodes, text, idx, name) {
                found = Some(idx + 1);
            }
            idx = self.skip(idx + 1);
        }
        found
    }

    /// Element `index` of the array at `array`.
    pub(crate) fn element(&self, array: usize, index: u32) -> Option<usize> {
        let node = self.nodes.get(array)?;
        if node.kind != Kind::Array {
            return None;
        }
        let end = node.link as usize;
        let mut idx = array + 1;
        let mut remaining = index;
        while idx < end {
            if remaining == 0 {
                return Some(idx);
            }
            remaining -= 1;
            idx = self.skip(idx);
        }
        None
    }

    /// The member values of an object or the elements of an array, else nothing.
    pub(crate) fn children(&self, container: usize, kind: Kind) -> Children<'_> {
        match self.nodes.get(container) {
            Some(node) if node.kind == kind => Children {
                tape: self,
                next: container + 1,
                end: node.link as usize,
                members: kind == Kind::Object,
            },
            _ => Children { tape: self, next: 0, end: 0, members: false },
        }
    }

    /// The text of a string (decoded) or of any other node (its raw JSON text).
    pub(crate) fn text<'t>(&self, text: &'t str, idx: usize) -> Option<Cow<'t, str>> {
        let node = self.nodes.get(idx)?;
        let raw = text.get(node.start as usize..node.end as usize)?;
        if node.kind == Kind::String && node.escaped {
            Some(Cow::Owned(decode(raw.as_bytes())))
        } else {
            Some(Cow::Borrowed(raw))
        }
    }
}

/// Whether the key node `key` is `name`.
fn key_is(nodes: &[Node], text: &str, key: usize, name: &str) -> bool {
    let Some(node) = nodes.get(key) else { return false };
    let Some(raw) = text.as_bytes().get(node.start as usize..node.end as usize) else {
        return false;
    };
    if node.escaped { decode(raw) == name } else { bytes_eq(raw, name.as_bytes()) }
}

/// Byte equality for the short strings of events (names, event names): word-at-a-time and
/// inline, where `==` would call `memcmp`.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    if a_words.iter().zip(b_words).any(|(x, y)| u64::from_le_bytes(*x) != u64::from_le_bytes(*y)) {
        return false;
    }
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        // The last (overlapping) word covers the remainder.
        (Some(x), Some(y)) => u64::from_le_bytes(*x) == u64::from_le_bytes(*y),
        _ => a_rest.iter().zip(b_rest).all(|(x, y)| x == y),
    }
}

/// The decoded name of a key node.
fn raw_key<'t>(text: &'t str, node: &Node) -> Cow<'t, str> {
    let raw = text.get(node.start as usize..node.end as usize).unwrap_or_default();
    if node.escaped { Cow::Owned(decode(raw.as_bytes())) } else { Cow::Borrowed(raw) }
}

/// Iterator over the values of a container's children.
pub(crate) struct Children<'a> {
    tape: &'a Tape,
    next: usize,
    end: usize,
    members: bool,
}

impl Iterator for Children<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let value = if self.members { self.next + 1 } else { self.next };
        self.next = self.tape.skip(value);
        Some(value)
    }
}

#[inline(always)]
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    // Compact JSON has no whitespace between tokens: one comparison in the common case.
    if b.get(pos).is_some_and(|&c| c > b' ') {
        return pos;
    }
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(pos) {
        pos += 1;
    }
    pos
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` that is `"`, `\` or below 0x20, and possibly of
/// some bytes after the first such byte: the lowest flag set is exact. Two "has a byte less
/// than" tests: `x ^ 0x02` turns `"` (0x22) into 0x20 and keeps control characters below 0x20
/// (and everything else at 0x21 or above), so one test below 0x21 finds both; `x ^ 0x5C` turns
/// `\` into zero.
#[inline(always)]
pub(crate) fn special_flags(word: u64) -> u64 {
    let quote_or_control = word ^ (ONES * 0x02);
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x;
    (below(quote_or_control, 0x21) | below(backslash, 0x01)) & HIGHS
}

/// Scans string contents from `pos` (after the opening quote): the index of the closing
/// quote and whether there were escapes, or `None` if the string is invalid or unterminated.
#[inline(always)]
fn scan_string(b: &[u8], mut pos: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        // Eight bytes at a time up to the next quote, backslash or control character.
        let (chunks, _) = b.get(pos..)?.as_chunks::<8>();
        for chunk in chunks {
            let flags = special_flags(u64::from_le_bytes(*chunk));
            if flags != 0 {
                pos += flags.trailing_zeros() as usize / 8;
                break;
            }
            pos += 8;
        }
        match *b.get(pos)? {
            b'"' => return Some((pos, escaped)),
            b'\\' => {
                escaped = true;
                match *b.get(pos + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => pos += 2,
                    b'u' => {
                        let hex = b.get(pos + 2..pos + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        pos += 6;
                    }
                    _ => return None,
                }
            }
            0..=0x1f => return None,
            _ => pos += 1,
        }
    }
}

/// The end of the JSON number starting at `pos`.
fn scan_number(b: &[u8], mut pos: usize) -> Option<usize> {
    let digits = |b: &[u8], pos: usize| {
        b.get(pos..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    if b.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match b.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos += digits(b, pos),
        _ => return None,
    }
    if b.get(pos) == Some(&b'.') {
        let n = digits(b, pos + 1);
        if n == 0 {
            return None;
        }
        pos += 1 + n;
    }
    if let Some(b'e' | b'E') = b.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = b.get(pos) {
            pos += 1;
        }
        let n = digits(b, pos);
        if n == 0 {
            return None;
        }
        pos += n;
    }
    Some(pos)
}

/// Decodes the raw contents of a JSON string that `scan_string` accepted.
fn decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut pos = 0;
    while let Some(&b) = raw.get(pos) {
        if b != b'\\' {
            out.push(b);
            pos += 1;
            continue;
        }
        let Some(&escape) = raw.get(pos + 1) else { break };
        pos += 2;
        let c = match escape {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let Some(high) = hex4(raw, pos) else { break };
                pos += 4;
                if (0xD800..0xDC00).contains(&high)
                    && raw.get(pos..pos + 2) == Some(b"\\u")
                    && let Some(low) = hex4(raw, pos + 2)
                    && (0xDC00..0xE000).contains(&low)
                {
                    pos += 6;
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                        .unwrap_or(char::REPLACEMENT_CHARACTER)
                } else {
                    char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            other => char::from(other),
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    // Only whole characters were copied or encoded, so this never replaces anything.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex4(raw: &[u8], pos: usize) -> Option<u32> {
    let hex = std::str::from_utf8(raw.get(pos..pos + 4)?).ok()?;
    u32::from_str_radix(hex, 16).ok()
}
