//! The one integration test binary of the `wal` crate; each module is one feature.

mod api;
mod corruption;
mod cursors;
mod faults;
mod group_commit;
mod model;
mod read_only;
mod support;
