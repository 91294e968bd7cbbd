//! The catalog's schema: each feature's migrations live in its store module; this module puts
//! them in one numbered order and applies the pending ones at open.
//!
//! `PRAGMA user_version` holds the number of the last migration applied. A number means the same
//! change forever, in every data directory: a shipped migration is never edited, and a feature
//! that needs a change takes the next free number (across all features). One number may hold
//! steps of several features: migration 1 created accounts, keys, channels and settings at once.
//! A number's steps run in [`FEATURES`] order, all in one transaction with the new
//! `user_version`, so a crash leaves either the whole migration or none of it.
//! `testdata/shipped-migrations.sql` keeps every migration as it shipped (appended when a
//! number ships, never edited); tests open databases built from it.

use rusqlite::Connection;

use crate::sqlite::Migration;
use crate::{Error, Result, accounts, alarms, channels, digests, stored_settings, tags, trails};

/// Every feature's migrations. Within one number, steps run in this order; it is the order
/// in which the shipped migrations created their tables (accounts before channels before
/// settings in 1, trails before tags in 2, digest chains before the trails' digest status in 7).
const FEATURES: &[&[Migration]] = &[
    accounts::MIGRATIONS,
    channels::MIGRATIONS,
    stored_settings::MIGRATIONS,
    digests::MIGRATIONS,
    trails::MIGRATIONS,
    tags::MIGRATIONS,
    alarms::MIGRATIONS,
];

/// The newest migration number: the schema version this build writes.
pub(crate) fn latest() -> u32 {
    FEATURES.iter().flat_map(|feature| feature.iter()).map(|m| m.number).max().unwrap_or(0)
}

/// The SQL of migration `number`, feature by feature.
fn steps(number: u32) -> impl Iterator<Item = &'static str> {
    FEATURES
        .iter()
        .flat_map(|feature| feature.iter())
        .filter(move |m| m.number == number)
        .map(|m| m.sql)
}

/// Applies every migration newer than the database's `user_version`, each in its own
/// transaction; refuses a database written by a newer OpenTrail.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = latest();
    if version > known {
        return Err(Error::SchemaTooNew { found: version, known });
    }
    for number in version + 1..=known {
        let tx = conn.transaction()?;
        let mut n_steps = 0;
        for sql in steps(number) {
            tx.execute_batch(sql)?;
            n_steps += 1;
        }
        assert!(n_steps > 0, "catalog migration {number} has no step");
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
    }
    Ok(())
}

/// Every number from 1 to the latest has a step, and each feature lists its steps in order.
#[cfg(test)]
pub(crate) fn numbers_are_dense_and_ordered() -> bool {
    let dense = (1..=latest()).all(|number| steps(number).next().is_some());
    let ordered =
        FEATURES.iter().all(|feature| feature.windows(2).all(|w| w[0].number < w[1].number));
    dense && ordered
}
