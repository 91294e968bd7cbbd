//! OpenTrail's catalog: configuration and state kept in one SQLite file (accounts, access
//! keys, channels, trails, signing keys, digest chains), with numbered migrations applied at
//! open.
//!
//! The catalog is the source of truth for configuration; events never go here (they go to
//! the WAL). Every write is one SQLite transaction, so the catalog is never left half-changed.
//! SQLite runs in WAL journal mode with `synchronous=FULL`: a returned write is durable.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

mod alarms;
mod digests;

pub use alarms::{
    AlarmHistoryRow, AlarmRow, MetricFilterRow, NOTIFICATIONS_KEPT_MS, NewNotification,
    NotificationRow, NotificationStatus, TargetRow,
};
pub use digests::{
    ChainHead, DigestFileRow, DigestStream, DigestStreamId, DigestTarget, SIGNING_KEY_VALIDITY_MS,
};

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
    // 2: trails (configuration, selectors, logging status) and resource tags.
    "CREATE TABLE trails (
        trail_arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        name TEXT NOT NULL,
        home_region TEXT NOT NULL,
        s3_bucket_name TEXT NOT NULL,
        s3_key_prefix TEXT,
        sns_topic_name TEXT,
        include_global_service_events INTEGER NOT NULL,
        is_multi_region_trail INTEGER NOT NULL,
        log_file_validation_enabled INTEGER NOT NULL,
        cloud_watch_logs_log_group_arn TEXT,
        cloud_watch_logs_role_arn TEXT,
        kms_key_id TEXT,
        is_organization_trail INTEGER NOT NULL,
        event_selectors TEXT NOT NULL,
        has_custom_event_selectors INTEGER NOT NULL,
        insight_selectors TEXT,
        is_logging INTEGER NOT NULL DEFAULT 0,
        start_logging_time_ms INTEGER,
        stop_logging_time_ms INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, name)
    );
    CREATE TABLE tags (
        resource_arn TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (resource_arn, key)
    );",
    // 3: per-region RSA keys that sign digests; retired keys are kept forever.
    "CREATE TABLE signing_keys (
        fingerprint TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        public_pkcs1_der BLOB NOT NULL,
        private_pkcs8_der BLOB NOT NULL,
        valid_from_ms INTEGER NOT NULL,
        valid_to_ms INTEGER NOT NULL
    );
    CREATE INDEX signing_keys_by_region ON signing_keys (region, valid_from_ms);",
    // 4: channel destinations (JSON list of {Type, Location}).
    "ALTER TABLE channels ADD COLUMN destinations TEXT NOT NULL DEFAULT '[]';",
    // 5: log-file delivery status, reported by GetTrailStatus.
    "ALTER TABLE trails ADD COLUMN latest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_error TEXT;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_succeeded INTEGER;",
    // 6: every StartLogging/StopLogging, so delivery knows all the windows in which a trail
    // logged, not only the latest (an event acknowledged before a stop and a restart is still
    // delivered). Backfilled from the latest start and stop.
    "CREATE TABLE logging_changes (
        trail_arn TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        logging INTEGER NOT NULL
    );
    CREATE INDEX logging_changes_by_trail ON logging_changes (trail_arn, at_ms);
    INSERT INTO logging_changes (trail_arn, at_ms, logging)
        SELECT trail_arn, start_logging_time_ms, 1 FROM trails
        WHERE start_logging_time_ms IS NOT NULL;
    INSERT INTO logging_changes (trail_arn, at_ms, logging)
        SELECT trail_arn, stop_logging_time_ms, 0 FROM trails
        WHERE stop_logging_time_ms IS NOT NULL AND is_logging = 0;",
    // 7: digest chains (one per trail, account and delivering region) and the log files
    // waiting for their digest.
    "CREATE TABLE digest_streams (
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        head_bucket TEXT,
        head_key TEXT,
        head_sha256 TEXT,
        head_signature TEXT,
        head_end_ms INTEGER,
        closed_at_ms INTEGER,
        planned_end_ms INTEGER,
        trail_name TEXT,
        home_region TEXT,
        bucket TEXT,
        key_prefix TEXT,
        organization_id TEXT,
        PRIMARY KEY (trail_arn, account_id, region)
    );
    CREATE TABLE digest_files (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        oldest_event_time TEXT,
        newest_event_time TEXT,
        stored_at_ms INTEGER NOT NULL,
        digest_end_ms INTEGER,
        PRIMARY KEY (bucket, key)
    );
    CREATE INDEX digest_files_by_stream
        ON digest_files (trail_arn, account_id, region, digest_end_ms, stored_at_ms);
    ALTER TABLE trails ADD COLUMN latest_digest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_digest_delivery_error TEXT;",
    // 8: metric filters, metric alarms (configuration and state as JSON documents owned by the
    // metric-alarms crate), their state history, notification targets, and every notification
    // (the outbox the delivery worker drains, kept as the readable notification history).
    "CREATE TABLE metric_filters (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        log_group_name TEXT NOT NULL,
        filter_name TEXT NOT NULL,
        document TEXT NOT NULL,
        creation_time_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, log_group_name, filter_name)
    );
    CREATE TABLE metric_alarms (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (account_id, region, alarm_name)
    );
    CREATE TABLE alarm_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    CREATE INDEX alarm_history_by_alarm ON alarm_history (account_id, region, alarm_name, id);
    CREATE TABLE notification_targets (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        managed_by TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ms INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        target_arn TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        document TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        last_attempt_ms INTEGER,
        last_error TEXT,
        delivered_ms INTEGER
    );
    CREATE INDEX notifications_due ON notifications (status, next_attempt_ms);",
    // 9: log groups created through the CloudWatch Logs API (CreateLogGroup).
    "CREATE TABLE log_groups (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_time_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );",
];

/// A span of time in which a trail was logging: events acknowledged at `since_ms` or later,
/// and before `until_ms` when it is set, belong to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggingWindow {
    pub since_ms: i64,
    pub until_ms: Option<i64>,
}

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
    /// `[{"Type": ..., "Location": ...}]` as compact JSON.
    pub destinations: String,
}

/// A trail's stored configuration and logging status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trail {
    pub trail_arn: String,
    pub account_id: String,
    pub name: String,
    pub home_region: String,
    pub s3_bucket_name: String,
    pub s3_key_prefix: Option<String>,
    pub sns_topic_name: Option<String>,
    pub include_global_service_events: bool,
    pub is_multi_region_trail: bool,
    pub log_file_validation_enabled: bool,
    pub cloud_watch_logs_log_group_arn: Option<String>,
    pub cloud_watch_logs_role_arn: Option<String>,
    pub kms_key_id: Option<String>,
    pub is_organization_trail: bool,
    /// Event selectors in their storage form (compact JSON, owned by the selectors module).
    pub event_selectors: String,
    pub has_custom_event_selectors: bool,
    /// Insight selectors as compact JSON (`[{"InsightType": ...}]`), if any were put.
    pub insight_selectors: Option<String>,
    pub is_logging: bool,
    pub start_logging_time_ms: Option<i64>,
    pub stop_logging_time_ms: Option<i64>,
}

const CHANNEL_COLUMNS: &str =
    "channel_id, channel_arn, name, source, account_id, region, destinations";

fn channel_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Channel> {
    Ok(Channel {
        channel_id: row.get(0)?,
        channel_arn: row.get(1)?,
        name: row.get(2)?,
        source: row.get(3)?,
        account_id: row.get(4)?,
        region: row.get(5)?,
        destinations: row.get(6)?,
    })
}

const TRAIL_COLUMNS: &str =
    "trail_arn, account_id, name, home_region, s3_bucket_name, s3_key_prefix,
    sns_topic_name, include_global_service_events, is_multi_region_trail,
    log_file_validation_enabled, cloud_watch_logs_log_group_arn, cloud_watch_logs_role_arn,
    kms_key_id, is_organization_trail, event_selectors, has_custom_event_selectors,
    insight_selectors, is_logging, start_logging_time_ms, stop_logging_time_ms";

fn trail_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Trail> {
    Ok(Trail {
        trail_arn: row.get(0)?,
        account_id: row.get(1)?,
        name: row.get(2)?,
        home_region: row.get(3)?,
        s3_bucket_name: row.get(4)?,
        s3_key_prefix: row.get(5)?,
        sns_topic_name: row.get(6)?,
        include_global_service_events: row.get(7)?,
        is_multi_region_trail: row.get(8)?,
        log_file_validation_enabled: row.get(9)?,
        cloud_watch_logs_log_group_arn: row.get(10)?,
        cloud_watch_logs_role_arn: row.get(11)?,
        kms_key_id: row.get(12)?,
        is_organization_trail: row.get(13)?,
        event_selectors: row.get(14)?,
        has_custom_event_selectors: row.get(15)?,
        insight_selectors: row.get(16)?,
        is_logging: row.get(17)?,
        start_logging_time_ms: row.get(18)?,
        stop_logging_time_ms: row.get(19)?,
    })
}

/// What GetTrailStatus reports about log-file delivery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    pub latest_delivery_time_ms: Option<i64>,
    pub latest_delivery_error: Option<String>,
    pub latest_delivery_attempt_ms: Option<i64>,
    pub latest_delivery_attempt_succeeded: Option<bool>,
    pub latest_digest_delivery_time_ms: Option<i64>,
    pub latest_digest_delivery_error: Option<String>,
}

/// A digest-signing key of one region.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    pub fingerprint: String,
    pub region: String,
    pub public_pkcs1_der: Vec<u8>,
    pub private_pkcs8_der: Vec<u8>,
    pub valid_from_ms: i64,
    pub valid_to_ms: i64,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never reaches logs.
        f.debug_struct("SigningKeyRow")
            .field("fingerprint", &self.fingerprint)
            .field("region", &self.region)
            .field("valid_from_ms", &self.valid_from_ms)
            .field("valid_to_ms", &self.valid_to_ms)
            .finish_non_exhaustive()
    }
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
            "INSERT INTO channels (channel_id, channel_arn, name, source, account_id, region, destinations, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
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
                &format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE channel_arn = ?1 OR channel_id = ?1"),
                params![arn_or_id],
                channel_from_row,
            )
            .optional()?;
        Ok(channel)
    }

    /// Every channel, ordered by ARN.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare(&format!("SELECT {CHANNEL_COLUMNS} FROM channels ORDER BY channel_arn"))?;
        let rows = stmt.query_map([], channel_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Renames a channel and/or replaces its destinations; returns whether it existed.
    pub fn update_channel(&self, channel: &Channel) -> Result<bool> {
        let conn = self.conn();
        let updated = conn
            .execute(
                "UPDATE channels SET name = ?2, destinations = ?3 WHERE channel_arn = ?1",
                params![channel.channel_arn, channel.name, channel.destinations],
            )
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(e, _)
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Error::AlreadyExists { what: "channel", name: channel.name.clone() }
                }
                other => Error::Sqlite(other),
            })?;
        Ok(updated == 1)
    }

    /// Deletes a channel and its tags; returns whether it existed.
    pub fn delete_channel(&self, channel_arn: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let deleted =
            tx.execute("DELETE FROM channels WHERE channel_arn = ?1", params![channel_arn])?;
        tx.execute("DELETE FROM tags WHERE resource_arn = ?1", params![channel_arn])?;
        tx.commit()?;
        Ok(deleted == 1)
    }

    /// Creates a trail; its name must be new in its account.
    pub fn create_trail(&self, trail: &Trail, now_unix: i64) -> Result<()> {
        let conn = self.conn();
        let inserted = conn.execute(
            &format!(
                "INSERT INTO trails ({TRAIL_COLUMNS}, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                 ON CONFLICT DO NOTHING"
            ),
            params![
                trail.trail_arn,
                trail.account_id,
                trail.name,
                trail.home_region,
                trail.s3_bucket_name,
                trail.s3_key_prefix,
                trail.sns_topic_name,
                trail.include_global_service_events,
                trail.is_multi_region_trail,
                trail.log_file_validation_enabled,
                trail.cloud_watch_logs_log_group_arn,
                trail.cloud_watch_logs_role_arn,
                trail.kms_key_id,
                trail.is_organization_trail,
                trail.event_selectors,
                trail.has_custom_event_selectors,
                trail.insight_selectors,
                trail.is_logging,
                trail.start_logging_time_ms,
                trail.stop_logging_time_ms,
                now_unix
            ],
        )?;
        if inserted == 0 {
            return Err(Error::AlreadyExists { what: "trail", name: trail.name.clone() });
        }
        record_logging_changes(&conn, trail, (None, None))?;
        Ok(())
    }

    /// Replaces a trail's stored configuration and status (the ARN identifies it); returns
    /// whether the trail existed.
    pub fn update_trail(&self, trail: &Trail) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let before: Option<(Option<i64>, Option<i64>)> = tx
            .query_row(
                "SELECT start_logging_time_ms, stop_logging_time_ms FROM trails WHERE trail_arn = ?1",
                params![trail.trail_arn],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some(before) = before else { return Ok(false) };
        let updated = tx.execute(
            "UPDATE trails SET s3_bucket_name = ?2, s3_key_prefix = ?3, sns_topic_name = ?4,
                include_global_service_events = ?5, is_multi_region_trail = ?6,
                log_file_validation_enabled = ?7, cloud_watch_logs_log_group_arn = ?8,
                cloud_watch_logs_role_arn = ?9, kms_key_id = ?10, is_organization_trail = ?11,
                event_selectors = ?12, has_custom_event_selectors = ?13, insight_selectors = ?14,
                is_logging = ?15, start_logging_time_ms = ?16, stop_logging_time_ms = ?17
             WHERE trail_arn = ?1",
            params![
                trail.trail_arn,
                trail.s3_bucket_name,
                trail.s3_key_prefix,
                trail.sns_topic_name,
                trail.include_global_service_events,
                trail.is_multi_region_trail,
                trail.log_file_validation_enabled,
                trail.cloud_watch_logs_log_group_arn,
                trail.cloud_watch_logs_role_arn,
                trail.kms_key_id,
                trail.is_organization_trail,
                trail.event_selectors,
                trail.has_custom_event_selectors,
                trail.insight_selectors,
                trail.is_logging,
                trail.start_logging_time_ms,
                trail.stop_logging_time_ms
            ],
        )?;
        record_logging_changes(&tx, trail, before)?;
        tx.commit()?;
        Ok(updated == 1)
    }

    /// Every window in which the trail logged, oldest first (the last one open while it logs).
    pub fn logging_windows(&self, trail_arn: &str) -> Result<Vec<LoggingWindow>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT at_ms, logging FROM logging_changes WHERE trail_arn = ?1 ORDER BY at_ms, rowid",
        )?;
        let changes = statement
            .query_map(params![trail_arn], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, bool>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut windows: Vec<LoggingWindow> = Vec::new();
        for (at_ms, logging) in changes {
            let open = windows.last().is_some_and(|w| w.until_ms.is_none());
            match (logging, open) {
                (true, false) => windows.push(LoggingWindow { since_ms: at_ms, until_ms: None }),
                (false, true) => {
                    if let Some(last) = windows.last_mut() {
                        last.until_ms = Some(at_ms);
                    }
                }
                // A start while logging or a stop while stopped changes nothing.
                _ => {}
            }
        }
        Ok(windows)
    }

    /// Records one delivery attempt for a trail: success clears the error.
    pub fn record_delivery(
        &self,
        trail_arn: &str,
        attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let conn = self.conn();
        match error {
            None => conn.execute(
                "UPDATE trails SET latest_delivery_time_ms = ?2, latest_delivery_error = NULL,
                    latest_delivery_attempt_ms = ?2, latest_delivery_attempt_succeeded = 1
                 WHERE trail_arn = ?1",
                params![trail_arn, attempt_ms],
            )?,
            Some(error) => conn.execute(
                "UPDATE trails SET latest_delivery_error = ?3, latest_delivery_attempt_ms = ?2,
                    latest_delivery_attempt_succeeded = 0
                 WHERE trail_arn = ?1",
                params![trail_arn, attempt_ms, error],
            )?,
        };
        Ok(())
    }

    /// Records one digest delivery attempt for a trail: success clears the error.
    pub fn record_digest_delivery(
        &self,
        trail_arn: &str,
        attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let conn = self.conn();
        match error {
            None => conn.execute(
                "UPDATE trails SET latest_digest_delivery_time_ms = ?2,
                    latest_digest_delivery_error = NULL WHERE trail_arn = ?1",
                params![trail_arn, attempt_ms],
            )?,
            Some(error) => conn.execute(
                "UPDATE trails SET latest_digest_delivery_error = ?2 WHERE trail_arn = ?1",
                params![trail_arn, error],
            )?,
        };
        Ok(())
    }

    pub fn delivery_status(&self, trail_arn: &str) -> Result<DeliveryStatus> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT latest_delivery_time_ms, latest_delivery_error, latest_delivery_attempt_ms,
                    latest_delivery_attempt_succeeded, latest_digest_delivery_time_ms,
                    latest_digest_delivery_error FROM trails WHERE trail_arn = ?1",
                params![trail_arn],
                |row| {
                    Ok(DeliveryStatus {
                        latest_delivery_time_ms: row.get(0)?,
                        latest_delivery_error: row.get(1)?,
                        latest_delivery_attempt_ms: row.get(2)?,
                        latest_delivery_attempt_succeeded: row.get(3)?,
                        latest_digest_delivery_time_ms: row.get(4)?,
                        latest_digest_delivery_error: row.get(5)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Deletes a trail and its tags; returns whether it existed.
    pub fn delete_trail(&self, trail_arn: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let deleted = tx.execute("DELETE FROM trails WHERE trail_arn = ?1", params![trail_arn])?;
        tx.execute("DELETE FROM tags WHERE resource_arn = ?1", params![trail_arn])?;
        tx.execute("DELETE FROM logging_changes WHERE trail_arn = ?1", params![trail_arn])?;
        tx.commit()?;
        Ok(deleted == 1)
    }

    pub fn trail(&self, trail_arn: &str) -> Result<Option<Trail>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {TRAIL_COLUMNS} FROM trails WHERE trail_arn = ?1"),
                params![trail_arn],
                trail_from_row,
            )
            .optional()?)
    }

    /// Every trail, ordered by ARN (a stable order for listings and pagination).
    pub fn trails(&self) -> Result<Vec<Trail>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare(&format!("SELECT {TRAIL_COLUMNS} FROM trails ORDER BY trail_arn"))?;
        let rows = stmt.query_map([], trail_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Tags of a resource, ordered by key.
    pub fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key")?;
        let rows = stmt.query_map(params![resource_arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets tags (replacing values of existing keys) in one transaction.
    pub fn add_tags(&self, resource_arn: &str, tags: &[(String, String)]) -> Result<()> {
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

    /// Removes tags by key (a value, when given, must match for the tag to go).
    pub fn remove_tags(&self, resource_arn: &str, tags: &[(String, Option<String>)]) -> Result<()> {
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

    pub fn add_signing_key(&self, key: &SigningKeyRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO signing_keys (fingerprint, region, public_pkcs1_der, private_pkcs8_der, valid_from_ms, valid_to_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![key.fingerprint, key.region, key.public_pkcs1_der, key.private_pkcs8_der, key.valid_from_ms, key.valid_to_ms],
        )?;
        Ok(())
    }

    /// Every signing key of a region, oldest first.
    pub fn signing_keys(&self, region: &str) -> Result<Vec<SigningKeyRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT fingerprint, region, public_pkcs1_der, private_pkcs8_der, valid_from_ms, valid_to_ms
             FROM signing_keys WHERE region = ?1 ORDER BY valid_from_ms, fingerprint",
        )?;
        let rows = stmt.query_map(params![region], digests::key_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
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

/// Appends the starts and stops of `trail` that differ from `before` (its stored start and
/// stop times) to `logging_changes`.
fn record_logging_changes(
    conn: &rusqlite::Connection,
    trail: &Trail,
    before: (Option<i64>, Option<i64>),
) -> Result<()> {
    let mut changes: Vec<(i64, bool)> = Vec::new();
    if let Some(start) = trail.start_logging_time_ms.filter(|t| Some(*t) != before.0) {
        changes.push((start, true));
    }
    if let Some(stop) = trail.stop_logging_time_ms.filter(|t| Some(*t) != before.1) {
        changes.push((stop, false));
    }
    // In time order; at the same instant the state the trail ends in comes last.
    changes.sort_by_key(|(at, logging)| (*at, *logging == trail.is_logging));
    for (at_ms, logging) in changes {
        conn.execute(
            "INSERT INTO logging_changes (trail_arn, at_ms, logging) VALUES (?1, ?2, ?3)",
            params![trail.trail_arn, at_ms, logging],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
