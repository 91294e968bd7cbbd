//! IAM-style wildcard matching: `*` matches any run of characters (including none), `?` matches
//! exactly one character, everything else matches itself.
//!
//! The matcher is iterative (no recursion, so no stack to exhaust) and takes at most
//! `pattern chars × text chars` steps; it never panics, whatever the input. It is not a parser:
//! checking that a pattern is a well-formed action or ARN is `policy`'s job.
//!
//! One simplification against IAM: IAM documents that in a resource ARN a `*` stays within one
//! colon-separated segment unless it ends the segment; here `*` always crosses `:` and `/`.
//! Every pattern OpenTrail's own policies use behaves the same under both readings.

/// Whether `text` matches `pattern`. With `ignore_ascii_case`, ASCII letters match regardless of
/// case (IAM compares action names this way); resources are compared case-sensitively.
pub fn wildcard_match(pattern: &str, text: &str, ignore_ascii_case: bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let same = |p: char, t: char| {
        if ignore_ascii_case { p.eq_ignore_ascii_case(&t) } else { p == t }
    };
    let mut pattern_idx = 0;
    let mut text_idx = 0;
    // After a `*`: where the pattern resumes and the first text position it has not yet tried
    // to swallow. Only the latest star needs remembering: an earlier star can only ever absorb
    // text that the latest one could absorb as well.
    let mut star: Option<(usize, usize)> = None;
    while text_idx < text.len() {
        match pattern.get(pattern_idx) {
            Some('*') => {
                pattern_idx += 1;
                star = Some((pattern_idx, text_idx));
            }
            Some(&p) if p == '?' || same(p, text[text_idx]) => {
                pattern_idx += 1;
                text_idx += 1;
            }
            _ => {
                let Some((resume_idx, swallowed_idx)) = star else { return false };
                // Let the star swallow one more character and retry from there.
                pattern_idx = resume_idx;
                text_idx = swallowed_idx + 1;
                star = Some((resume_idx, text_idx));
            }
        }
    }
    pattern[pattern_idx..].iter().all(|&p| p == '*')
}

/// Whether `pattern` contains a wildcard (`*` or `?`).
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

#[cfg(test)]
mod tests;
