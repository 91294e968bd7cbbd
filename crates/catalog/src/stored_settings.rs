//! Named values the node keeps between starts (its bootstrap account, region and admin key, the
//! notification signing key, the installed CIS pack version): the `settings` table.
//!
//! Not `opentrail.toml`: those settings are the `settings` crate's, read at every start.

use rusqlite::{OptionalExtension, params};

use crate::sqlite::Migration;
use crate::{Catalog, Result};

/// The node's stored key/value settings.
pub trait SettingStore: Send + Sync {
    /// The value stored under `key`, if any.
    fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Stores `value` under `key`, replacing the value it had.
    fn set_setting(&self, key: &str, value: &str) -> Result<()>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    number: 1,
    sql: "CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
}];

impl SettingStore for Catalog {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", params![key], |row| row.get(0))
            .optional()?)
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}
