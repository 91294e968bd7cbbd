//! Many patterns against one event at a time, sharing work between them: each distinct
//! wildcard-free selector of a string test is resolved once per event, not once per pattern,
//! and all exact-string tests on one selector are answered by a single table lookup (a CIS
//! pack tests `$.eventName` against some 90 names in 14 places).
//! This is how metric filters should evaluate a log group's filters (and the CIS pack).

use crate::Pattern;
use crate::eval::{Cache, Path, Program, StringSet};
use crate::event::Event;

/// Patterns evaluated together. Matching gives the same answers as [`Pattern::matches_event`]
/// on each pattern, faster.
#[derive(Debug, Clone)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    /// Per pattern: its program with cache slots assigned (JSON patterns only).
    programs: Vec<Option<Program>>,
    /// Per cache slot: every exact string its patterns test for, with the bits of the leaves
    /// that do.
    shared: Vec<StringSet>,
}

impl PatternSet {
    /// Compiles `patterns` together; indexes in [`PatternSet::matching`] refer to this order.
    pub fn new(patterns: Vec<Pattern>) -> PatternSet {
        let mut paths: Vec<Path> = Vec::new();
        let mut shared = Vec::new();
        let mut bits = Vec::new();
        let programs = patterns
            .iter()
            .map(|pattern| {
                let mut program = pattern.program()?.clone();
                program.assign_slots(&mut paths, &mut shared, &mut bits);
                Some(program)
            })
            .collect();
        let shared = shared.into_iter().map(StringSet::with_masks).collect();
        PatternSet { patterns, programs, shared }
    }

    /// The patterns, in the order given.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Sets `matched` to the indexes (ascending) of the patterns that match `event`.
    pub fn matching(&self, event: &Event<'_>, matched: &mut Vec<usize>) {
        matched.clear();
        if event.is_oversized() {
            return;
        }
        let mut cache = Cache::new();
        for (idx, (pattern, program)) in self.patterns.iter().zip(&self.programs).enumerate() {
            let hit = match (program, event.tape()) {
                (Some(program), Some(tape)) => {
                    program.eval_cached(tape, event.text(), &mut cache, &self.shared)
                }
                (Some(_), None) => false,
                (None, _) => pattern.matches_event(event),
            };
            if hit {
                matched.push(idx);
            }
        }
    }
}
