//! Every bound on trail event selectors, named in one place, each with where it comes from.
//!
//! "Documented" means stated by the AWS CloudTrail API reference or the service model
//! (botocore `cloudtrail/2013-11-01/service-2.json`); "believed" means chosen here without an
//! AWS statement to point at.

/// Basic event selectors per trail: "Specify a valid number of event selectors (1 to 5) for a
/// trail" (documented, `InvalidEventSelectorsException`).
pub const EVENT_SELECTORS_PER_TRAIL_MAX: usize = 5;

/// At least one basic selector per request (documented, same sentence as above).
pub const EVENT_SELECTORS_PER_TRAIL_MIN: usize = 1;

/// Data resource values across all basic selectors of a trail (documented: "the total number
/// of data resources cannot exceed 250 across all event selectors in a trail. This limit does
/// not apply if you configure resource logging for all data events").
pub const DATA_RESOURCE_VALUES_PER_TRAIL_MAX: usize = 250;

/// Values across all conditions of all advanced selectors of a trail (documented: "a maximum
/// of 500 total values for all conditions in all advanced event selectors").
pub const ADVANCED_VALUES_PER_TRAIL_MAX: usize = 500;

/// `AdvancedEventSelector.Name`: 0..1000 characters (documented, model `SelectorName`).
pub const SELECTOR_NAME_CHARS_MAX: usize = 1000;

/// `AdvancedFieldSelector.Field`: 1..1000 characters (documented, model `SelectorField`).
pub const FIELD_CHARS_MAX: usize = 1000;

/// One operator value: 1..2048 characters (documented, model `OperatorValue`).
pub const OPERATOR_VALUE_CHARS_MAX: usize = 2048;

/// One `DataResource.Values` entry. The model leaves it unbounded; 2048 is the ARN length IAM
/// documents (believed to be what CloudTrail enforces).
pub const DATA_RESOURCE_VALUE_CHARS_MAX: usize = cloudtrail_model::limits::ARN_CHARS_MAX;

/// Offending values are quoted in error messages up to this many characters, then cut with `…`
/// so that a hostile request cannot make the error response arbitrarily large.
pub const MESSAGE_VALUE_CHARS_MAX: usize = 256;

/// Version written into the storage form; see [`crate::Selectors::to_storage`].
pub const STORAGE_VERSION: u64 = 1;

const _: () = assert!(EVENT_SELECTORS_PER_TRAIL_MIN <= EVENT_SELECTORS_PER_TRAIL_MAX);
const _: () = assert!(DATA_RESOURCE_VALUES_PER_TRAIL_MAX < ADVANCED_VALUES_PER_TRAIL_MAX);
const _: () = assert!(MESSAGE_VALUE_CHARS_MAX < OPERATOR_VALUE_CHARS_MAX);
const _: () = assert!(FIELD_CHARS_MAX == SELECTOR_NAME_CHARS_MAX);
