//! OpenTrail's catalog: configuration and state (accounts, access keys, channels, trails, tags,
//! metric alarms, signing keys, digest chains), behind one store trait per feature.
//!
//! The catalog is the source of truth for configuration; events never go here (they go to
//! the WAL). Callers use the store traits ([`AccountStore`], [`ChannelStore`], [`TrailStore`],
//! [`TagStore`], [`AlarmStore`], [`DigestStore`], [`SettingStore`]); their queries are scoped
//! to what a caller asks (one trail, one account's channels in a region, the filter count of
//! one log group), never "load everything and filter". [`Catalog`] is their one implementation
//! today: one SQLite file, each feature's SQL and schema in its own module. A PostgreSQL
//! implementation (for several nodes) implements the same traits; callers only call trait
//! methods, so what changes is the one place that opens the catalog.
//!
//! Every write is one SQLite transaction, so the catalog is never left half-changed. SQLite
//! runs in WAL journal mode with `synchronous=FULL`: a returned write is durable. Each
//! feature's migrations sit with its store; `schema.rs` applies them in one numbered order.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;

mod accounts;
mod alarms;
mod channels;
mod digests;
mod schema;
mod sqlite;
mod stored_settings;
mod tags;
mod trails;

pub use accounts::{AccessKey, Account, AccountStore};
pub use alarms::{
    AlarmHistoryRow, AlarmRow, AlarmStore, MetricFilterRow, NOTIFICATIONS_KEPT_MS, NewNotification,
    NotificationAttempt, NotificationRow, NotificationStatus, TargetRow,
};
pub use channels::{Channel, ChannelStore};
pub use digests::{
    ChainHead, DigestFileRow, DigestStore, DigestStream, DigestStreamId, DigestTarget,
    SIGNING_KEY_VALIDITY_MS, SigningKeyRow,
};
pub use stored_settings::SettingStore;
pub use tags::TagStore;
pub use trails::{DeliveryStatus, LoggingWindow, Trail, TrailStore};

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
    #[error("digest-signing key: {0}")]
    SigningKey(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The SQLite catalog: one connection behind a mutex (writes are rare and small). It implements
/// every store trait.
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
        schema::migrate(&mut conn)?;
        Ok(Catalog { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The number of the last migration applied.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn().pragma_query_value(None, "user_version", |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests;
