//! The one integration test binary: the authorization table, settings-file parsing and
//! validation, and property tests.

mod authz;
mod config;
mod properties;
mod support;
