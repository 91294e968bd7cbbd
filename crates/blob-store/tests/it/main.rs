//! Integration tests of `blob-store` through its public API: one conformance suite run against
//! every backend (memory, local, and a real S3-compatible server), local store safety, S3
//! error mapping, and fault injection with retries.

mod conformance;
mod faults;
mod local;
mod s3;
mod support;
