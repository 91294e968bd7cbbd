//! CloudTrail Lake channels: where PutAuditEvents sends integration events.
//!
//! A channel's name is unique in its account and region (a constraint holds it); its tags are
//! resource tags ([`crate::TagStore`]) and go with it when it is deleted.

use rusqlite::params;

use crate::sqlite::{self, FromRow, Migration};
use crate::{Catalog, Result};

/// A CloudTrail Lake channel: where PutAuditEvents sends integration events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// The UUID at the end of the ARN.
    pub channel_id: String,
    pub channel_arn: String,
    pub name: String,
    /// `Custom` or a partner source name.
    pub source: String,
    pub account_id: String,
    pub region: String,
    /// `[{"Type": ..., "Location": ...}]` as compact JSON.
    pub destinations: String,
}

/// Channels.
pub trait ChannelStore: Send + Sync {
    /// Adds a channel; its name must be new in its account and region.
    fn create_channel(&self, channel: &Channel, now_unix: i64) -> Result<()>;

    /// A channel by its full ARN or by the UUID at its end.
    fn channel(&self, arn_or_id: &str) -> Result<Option<Channel>>;

    /// Every channel, ordered by ARN.
    fn channels(&self) -> Result<Vec<Channel>>;

    /// The channels of one account in one region, ordered by ARN.
    fn channels_in(&self, account_id: &str, region: &str) -> Result<Vec<Channel>>;

    /// Renames a channel and/or replaces its destinations; returns whether it existed.
    fn update_channel(&self, channel: &Channel) -> Result<bool>;

    /// Deletes a channel and its tags; returns whether it existed.
    fn delete_channel(&self, channel_arn: &str) -> Result<bool>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        number: 1,
        sql: "CREATE TABLE channels (
        channel_id TEXT PRIMARY KEY,
        channel_arn TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, region, name)
    );",
    },
    // Destinations: a JSON list of {Type, Location}.
    Migration {
        number: 4,
        sql: "ALTER TABLE channels ADD COLUMN destinations TEXT NOT NULL DEFAULT '[]';",
    },
];

sqlite::from_row_by_field_names!(Channel {
    channel_id,
    channel_arn,
    name,
    source,
    account_id,
    region,
    destinations,
});

impl ChannelStore for Catalog {
    fn create_channel(&self, channel: &Channel, now_unix: i64) -> Result<()> {
        sqlite::insert_new(
            &self.conn(),
            &format!(
                "INSERT INTO channels ({}, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                Channel::COLUMNS
            ),
            params![
                channel.channel_id,
                channel.channel_arn,
                channel.name,
                channel.source,
                channel.account_id,
                channel.region,
                channel.destinations,
                now_unix
            ],
            "channel",
            &channel.name,
        )
    }

    fn channel(&self, arn_or_id: &str) -> Result<Option<Channel>> {
        sqlite::select_one(
            &self.conn(),
            "FROM channels WHERE channel_arn = ?1 OR channel_id = ?1",
            params![arn_or_id],
        )
    }

    fn channels(&self) -> Result<Vec<Channel>> {
        sqlite::select(&self.conn(), "FROM channels ORDER BY channel_arn", [])
    }

    fn channels_in(&self, account_id: &str, region: &str) -> Result<Vec<Channel>> {
        sqlite::select(
            &self.conn(),
            "FROM channels WHERE account_id = ?1 AND region = ?2 ORDER BY channel_arn",
            params![account_id, region],
        )
    }

    fn update_channel(&self, channel: &Channel) -> Result<bool> {
        let updated = self
            .conn()
            .execute(
                "UPDATE channels SET name = ?2, destinations = ?3 WHERE channel_arn = ?1",
                params![channel.channel_arn, channel.name, channel.destinations],
            )
            .map_err(|err| sqlite::conflict_as_exists(err, "channel", &channel.name))?;
        Ok(updated == 1)
    }

    fn delete_channel(&self, channel_arn: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let deleted =
            tx.execute("DELETE FROM channels WHERE channel_arn = ?1", params![channel_arn])?;
        crate::tags::delete_all(&tx, channel_arn)?;
        tx.commit()?;
        Ok(deleted == 1)
    }
}
