//! OpenTrail's catalog: configuration and state kept in one SQLite file (accounts, access
//! keys, channels), with numbered migrations applied at open.
//!
//! The catalog is the source of truth for configuration; events never go here (they go to
//! the WAL). Every write is one SQLite transaction, so the catalog is never left half-changed.
//! SQLite runs in WAL journal mode with `synchronous=FULL`: a returned write is durable.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
/// A shipped migration is never edited: add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, access keys, channels, settings.
    "CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        principal_type TEXT NOT NULL,
        principal_arn TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        user_name TEXT,
        status TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
        created_at INTEGER NOT NULL
    );
    CREATE TABLE channels (
        channel_id TEXT PRIMARY KEY,
        channel_arn TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, region, name)
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
];

/// What went wrong in the catalog.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("catalog database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "catalog schema version {found} is newer than this OpenTrail understands ({known}); upgrade OpenTrail"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("{what} `{name}` already exists")]
    AlreadyExists { what: &'static str, name: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An account known to OpenTrail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub name: String,
}

/// An access key and the principal it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    /// `Root` or `IAMUser`.
    pub principal_type: String,
    pub principal_arn: String,
    pub principal_id: String,
    pub user_name: Option<String>,
    pub active: bool,
}

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
}

/// The catalog: one SQLite connection behind a mutex (writes are rare and small).
pub struct Catalog {
    conn: Mutex<Connection>,
}

impl Catalog {
    /// Opens (creating if needed) the catalog file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Catalog> {
        let conn = Connection::open(path)?;
        Catalog::init(conn)
    }

    /// An in-memory catalog, for tests.
    pub fn open_in_memory() -> Result<Catalog> {
        Catalog::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Catalog> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let known = MIGRATIONS.len() as u32;
        if version > known {
            return Err(Error::SchemaTooNew { found: version, known });
        }
        for (idx, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", idx as u32 + 1)?;
            tx.commit()?;
        }
        Ok(Catalog { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn().pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    pub fn create_account(&self, account: &Account, now_unix: i64) -> Result<()> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![account.account_id, account.name, now_unix],
        )?;
        if inserted == 0 {
            return Err(Error::AlreadyExists { what: "account", name: account.account_id.clone() });
        }
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT account_id, name FROM accounts ORDER BY account_id")?;
        let rows =
            stmt.query_map([], |row| Ok(Account { account_id: row.get(0)?, name: row.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn create_access_key(&self, key: &AccessKey, now_unix: i64) -> Result<()> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO access_keys (access_key_id, secret_access_key, account_id, principal_type,
                principal_arn, principal_id, user_name, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            params![
                key.access_key_id,
                key.secret_access_key,
                key.account_id,
                key.principal_type,
                key.principal_arn,
                key.principal_id,
                key.user_name,
                if key.active { "Active" } else { "Inactive" },
                now_unix
            ],
        )?;
        if inserted == 0 {
            return Err(Error::AlreadyExists {
                what: "access key",
                name: key.access_key_id.clone(),
            });
        }
        Ok(())
    }

    /// Every access key (active or not), ordered by id.
    pub fn access_keys(&self) -> Result<Vec<AccessKey>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT access_key_id, secret_access_key, account_id, principal_type, principal_arn,
                    principal_id, user_name, status
             FROM access_keys ORDER BY access_key_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(AccessKey {
                access_key_id: row.get(0)?,
                secret_access_key: row.get(1)?,
                account_id: row.get(2)?,
                principal_type: row.get(3)?,
                principal_arn: row.get(4)?,
                principal_id: row.get(5)?,
                user_name: row.get(6)?,
                active: row.get::<_, String>(7)? == "Active",
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn create_channel(&self, channel: &Channel, now_unix: i64) -> Result<()> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO channels (channel_id, channel_arn, name, source, account_id, region, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            params![
                channel.channel_id,
                channel.channel_arn,
                channel.name,
                channel.source,
                channel.account_id,
                channel.region,
                now_unix
            ],
        )?;
        if inserted == 0 {
            return Err(Error::AlreadyExists { what: "channel", name: channel.name.clone() });
        }
        Ok(())
    }

    /// A channel by its full ARN or by the UUID at its end.
    pub fn channel(&self, arn_or_id: &str) -> Result<Option<Channel>> {
        let conn = self.conn();
        let channel = conn
            .query_row(
                "SELECT channel_id, channel_arn, name, source, account_id, region FROM channels
                 WHERE channel_arn = ?1 OR channel_id = ?1",
                params![arn_or_id],
                |row| {
                    Ok(Channel {
                        channel_id: row.get(0)?,
                        channel_arn: row.get(1)?,
                        name: row.get(2)?,
                        source: row.get(3)?,
                        account_id: row.get(4)?,
                        region: row.get(5)?,
                    })
                },
            )
            .optional()?;
        Ok(channel)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT value FROM settings WHERE key = ?1", params![key], |row| row.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
