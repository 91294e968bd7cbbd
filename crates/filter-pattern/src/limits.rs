//! Every bound the filter-pattern language has, named once (`filter-patterns.md` §5.5, §6.2,
//! §7.2, §10.1 and the (INF) choices this crate makes to keep evaluation bounded).

/// Longest accepted pattern, in characters (PutMetricFilter `filterPattern`, 0–1024) (API).
pub const PATTERN_CHARS_MAX: usize = 1024;

/// Regex literals in one JSON or space-delimited pattern (DOC).
pub const REGEXES_PER_PATTERN_MAX: usize = 2;

/// Wildcard steps (`[*]`, `.*`) in one selector (DOC).
pub const WILDCARDS_PER_SELECTOR_MAX: usize = 1;

/// Selectors with a wildcard step in one pattern (DOC).
pub const WILDCARD_SELECTORS_PER_PATTERN_MAX: usize = 3;

/// `...` entries in one space-delimited pattern (INF, as AWS CDK).
pub const ELLIPSES_PER_PATTERN_MAX: usize = 1;

/// Parenthesis nesting of a JSON pattern. Every level costs two characters, so the pattern
/// length already implies this bound; it is checked anyway because the parser and the
/// evaluator recurse once per level.
pub const NESTING_DEPTH_MAX: usize = PATTERN_CHARS_MAX / 2;

/// Largest `m`/`n` in a regex repetition `{m,n}` (INF; RE2 has the same bound).
pub const REGEX_REPEAT_MAX: u32 = 1000;

/// NFA positions of one compiled regex (every repetition is unrolled) (INF). A multiple of 64:
/// the matcher keeps one bit per position.
pub const REGEX_STATES_MAX: usize = 2048;

/// Events larger than this never match any pattern: CloudTrail does not send records above
/// 256 KB to CloudWatch Logs, and OpenTrail skips them for parity (§1).
pub const EVENT_BYTES_MAX: usize = 256 * 1024;

/// Longest `metricValue` (MetricTransformation) (API).
pub const METRIC_VALUE_CHARS_MAX: usize = 100;

/// Longest dimension value, i.e. field reference (AWS::Logs::MetricFilter Dimension) (CFN).
pub const DIMENSION_VALUE_CHARS_MAX: usize = 255;

const _: () = assert!(NESTING_DEPTH_MAX * 2 <= PATTERN_CHARS_MAX);
const _: () = assert!(REGEX_STATES_MAX.is_multiple_of(64));
const _: () = assert!((REGEX_REPEAT_MAX as usize) < REGEX_STATES_MAX);
// Byte offsets inside an event are stored as `u32`.
const _: () = assert!(EVENT_BYTES_MAX < u32::MAX as usize);
const _: () = assert!(METRIC_VALUE_CHARS_MAX <= DIMENSION_VALUE_CHARS_MAX);
