//! CloudTrail trail event selectors: basic `EventSelectors` and `AdvancedEventSelectors`, AWS's
//! validation rules for them (PutEventSelectors), their JSON wire form (GetEventSelectors), a
//! storage form for the catalog, and which records a trail's selectors take.
//!
//! What it is not: it does no IO, knows nothing of trails' regions, accounts, global service
//! events or organizations (that routing happens before selectors are asked), and does not
//! handle insight selectors or event data stores (whose advanced selectors allow more fields).
//!
//! - [`Selectors`]: parse a request, validate, answer, store, load, match.
//! - [`basic`]: [`EventSelector`], [`DataResource`], [`ReadWriteType`] and their rules.
//! - [`advanced`]: [`AdvancedEventSelector`], [`AdvancedFieldSelector`] and their rules.
//! - [`limits`]: every bound, named.
//!
//! Each module lists its rules and marks each "documented" (AWS API reference or service
//! model), "observed" (an AWS error message quoted in a public bug report) or "believed" (no
//! AWS source; chosen to be compatible and safe).

pub mod advanced;
pub mod basic;
mod error;
pub mod limits;
mod selectors;
mod view;
mod wire;

pub use advanced::{AdvancedEventSelector, AdvancedFieldSelector, Operator, SelectorField};
pub use basic::{DataResource, EventSelector, ReadWriteType};
pub use error::{INVALID_EVENT_SELECTORS, SERIALIZATION, SelectorError, StorageError};
pub use selectors::{ADVANCED_EVENT_SELECTORS, EVENT_SELECTORS, Selectors};
