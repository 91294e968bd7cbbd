//! validate-logs' engine over an in-memory bucket: a signed chain built here (`trail`), the
//! truncation of its newest digests (`truncation`), and no bucket content ever panicking it
//! (`fuzz`).

mod fuzz;
mod trail;
mod truncation;
