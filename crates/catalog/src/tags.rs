//! Resource tags of trails and channels, keyed by the resource's ARN.
//!
//! Deleting a trail or a channel deletes its tags in the same transaction.

use rusqlite::{Connection, params};

use crate::sqlite::Migration;
use crate::{Catalog, Result};

/// Tags of trails and channels.
pub trait TagStore: Send + Sync {
    /// Tags of a resource, ordered by key.
    fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>>;

    /// Sets tags (replacing values of existing keys) in one transaction.
    fn add_tags(&self, resource_arn: &str, tags: &[(String, String)]) -> Result<()>;

    /// Removes tags by key (a value, when given, must match for the tag to go).
    fn remove_tags(&self, resource_arn: &str, tags: &[(String, Option<String>)]) -> Result<()>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    number: 2,
    sql: "CREATE TABLE tags (
        resource_arn TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (resource_arn, key)
    );",
}];

/// Deletes every tag of a resource (with the resource, inside its transaction).
pub(crate) fn delete_all(conn: &Connection, resource_arn: &str) -> Result<()> {
    conn.execute("DELETE FROM tags WHERE resource_arn = ?1", params![resource_arn])?;
    Ok(())
}

impl TagStore for Catalog {
    fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached("SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key")?;
        let rows =
            statement.query_map(params![resource_arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_tags(&self, resource_arn: &str, tags: &[(String, String)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (key, value) in tags {
            tx.execute(
                "INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
                params![resource_arn, key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn remove_tags(&self, resource_arn: &str, tags: &[(String, Option<String>)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (key, value) in tags {
            match value {
                Some(value) => tx.execute(
                    "DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2 AND value = ?3",
                    params![resource_arn, key, value],
                )?,
                None => tx.execute(
                    "DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2",
                    params![resource_arn, key],
                )?,
            };
        }
        tx.commit()?;
        Ok(())
    }
}
