//! Integration tests for `sigv4`, through its public API only.
//!
//! - `vectors`: golden vectors from botocore (`testdata/botocore-vectors.json`).
//! - `errors`: one named test per rejection, with the AWS code, status and message.
//! - `properties`: proptest: arbitrary bytes never panic, and sign-then-verify round trips.

mod errors;
mod fuzz;
mod properties;
mod support;
mod vectors;
