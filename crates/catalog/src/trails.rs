//! Trails: their configuration, event selectors (in `trail-selectors`' storage form), logging
//! status with every window in which they logged, and what GetTrailStatus reports about
//! delivery.
//!
//! A trail's name is unique in its account (a constraint holds it). Every start and stop of
//! logging is appended to `logging_changes` in the transaction that changes the trail, so
//! delivery knows all the windows in which a trail logged, not only the latest. Deleting a trail
//! deletes its tags and logging windows in the same transaction.

use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::sqlite::{self, FromRow, Migration};
use crate::{Catalog, Result};

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

impl Trail {
    /// A trail as CreateTrail makes it before its optional members are applied: global service
    /// events included, one region, no validation, no CloudWatch Logs, KMS or SNS, not an
    /// organization trail, not logging.
    pub fn new(
        trail_arn: String,
        account_id: String,
        name: String,
        home_region: String,
        s3_bucket_name: String,
        event_selectors: String,
    ) -> Trail {
        Trail {
            trail_arn,
            account_id,
            name,
            home_region,
            s3_bucket_name,
            s3_key_prefix: None,
            sns_topic_name: None,
            include_global_service_events: true,
            is_multi_region_trail: false,
            log_file_validation_enabled: false,
            cloud_watch_logs_log_group_arn: None,
            cloud_watch_logs_role_arn: None,
            kms_key_id: None,
            is_organization_trail: false,
            event_selectors,
            has_custom_event_selectors: false,
            insight_selectors: None,
            is_logging: false,
            start_logging_time_ms: None,
            stop_logging_time_ms: None,
        }
    }
}

/// A span of time in which a trail was logging: events acknowledged at `since_ms` or later,
/// and before `until_ms` when it is set, belong to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggingWindow {
    pub since_ms: i64,
    pub until_ms: Option<i64>,
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

/// Trails, their logging windows and their delivery status.
pub trait TrailStore: Send + Sync {
    /// Creates a trail; its name must be new in its account.
    fn create_trail(&self, trail: &Trail, now_unix: i64) -> Result<()>;

    /// Replaces a trail's stored configuration and status (the ARN identifies it); returns
    /// whether the trail existed.
    fn update_trail(&self, trail: &Trail) -> Result<bool>;

    /// Deletes a trail, its tags and its logging windows; returns whether it existed.
    fn delete_trail(&self, trail_arn: &str) -> Result<bool>;

    /// A trail by its ARN.
    fn trail(&self, trail_arn: &str) -> Result<Option<Trail>>;

    /// Every trail, ordered by ARN (a stable order for listings and pagination).
    fn trails(&self) -> Result<Vec<Trail>>;

    /// Whether the account has a trail of this name (in any region).
    fn trail_name_exists(&self, account_id: &str, name: &str) -> Result<bool>;

    /// How many trails the account has whose home region is `home_region`.
    fn count_trails(&self, account_id: &str, home_region: &str) -> Result<usize>;

    /// Every window in which the trail logged, oldest first (the last one open while it logs).
    fn logging_windows(&self, trail_arn: &str) -> Result<Vec<LoggingWindow>>;

    /// Records one delivery attempt for a trail: success clears the error.
    fn record_delivery(&self, trail_arn: &str, attempt_ms: i64, error: Option<&str>) -> Result<()>;

    /// Records one digest delivery attempt for a trail: success clears the error.
    fn record_digest_delivery(
        &self,
        trail_arn: &str,
        attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<()>;

    /// What GetTrailStatus reports about the trail's deliveries (all unset for an unknown
    /// trail).
    fn delivery_status(&self, trail_arn: &str) -> Result<DeliveryStatus>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    // Configuration, selectors and logging status.
    Migration {
        number: 2,
        sql: "CREATE TABLE trails (
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
    );",
    },
    // Log-file delivery status, reported by GetTrailStatus.
    Migration {
        number: 5,
        sql: "ALTER TABLE trails ADD COLUMN latest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_error TEXT;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_succeeded INTEGER;",
    },
    // Every StartLogging/StopLogging, so delivery knows all the windows in which a trail
    // logged, not only the latest (an event acknowledged before a stop and a restart is still
    // delivered). Backfilled from the latest start and stop.
    Migration {
        number: 6,
        sql: "CREATE TABLE logging_changes (
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
    },
    // Digest delivery status (the digest chains themselves are the digests module's).
    Migration {
        number: 7,
        sql: "ALTER TABLE trails ADD COLUMN latest_digest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_digest_delivery_error TEXT;",
    },
];

sqlite::from_row_by_field_names!(Trail {
    trail_arn,
    account_id,
    name,
    home_region,
    s3_bucket_name,
    s3_key_prefix,
    sns_topic_name,
    include_global_service_events,
    is_multi_region_trail,
    log_file_validation_enabled,
    cloud_watch_logs_log_group_arn,
    cloud_watch_logs_role_arn,
    kms_key_id,
    is_organization_trail,
    event_selectors,
    has_custom_event_selectors,
    insight_selectors,
    is_logging,
    start_logging_time_ms,
    stop_logging_time_ms,
});

/// A trail's values in [`Trail::COLUMNS`] order: `?1` is the ARN, `?20` the stop time.
fn trail_values(trail: &Trail) -> [&dyn ToSql; 20] {
    [
        &trail.trail_arn,
        &trail.account_id,
        &trail.name,
        &trail.home_region,
        &trail.s3_bucket_name,
        &trail.s3_key_prefix,
        &trail.sns_topic_name,
        &trail.include_global_service_events,
        &trail.is_multi_region_trail,
        &trail.log_file_validation_enabled,
        &trail.cloud_watch_logs_log_group_arn,
        &trail.cloud_watch_logs_role_arn,
        &trail.kms_key_id,
        &trail.is_organization_trail,
        &trail.event_selectors,
        &trail.has_custom_event_selectors,
        &trail.insight_selectors,
        &trail.is_logging,
        &trail.start_logging_time_ms,
        &trail.stop_logging_time_ms,
    ]
}

sqlite::from_row_by_field_names!(DeliveryStatus {
    latest_delivery_time_ms,
    latest_delivery_error,
    latest_delivery_attempt_ms,
    latest_delivery_attempt_succeeded,
    latest_digest_delivery_time_ms,
    latest_digest_delivery_error,
});

impl TrailStore for Catalog {
    fn create_trail(&self, trail: &Trail, now_unix: i64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let values = trail_values(trail).into_iter().chain([&now_unix as &dyn ToSql]);
        sqlite::insert_new(
            &tx,
            &format!(
                "INSERT INTO trails ({}, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                 ON CONFLICT DO NOTHING",
                Trail::COLUMNS
            ),
            params_from_iter(values),
            "trail",
            &trail.name,
        )?;
        record_logging_changes(&tx, trail, (None, None))?;
        tx.commit()?;
        Ok(())
    }

    fn update_trail(&self, trail: &Trail) -> Result<bool> {
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
        // The ARN (and with it the account, name and home region) never changes: ?2 to ?4 are
        // bound and unused.
        let updated = tx.execute(
            "UPDATE trails SET s3_bucket_name = ?5, s3_key_prefix = ?6, sns_topic_name = ?7,
                include_global_service_events = ?8, is_multi_region_trail = ?9,
                log_file_validation_enabled = ?10, cloud_watch_logs_log_group_arn = ?11,
                cloud_watch_logs_role_arn = ?12, kms_key_id = ?13, is_organization_trail = ?14,
                event_selectors = ?15, has_custom_event_selectors = ?16, insight_selectors = ?17,
                is_logging = ?18, start_logging_time_ms = ?19, stop_logging_time_ms = ?20
             WHERE trail_arn = ?1",
            &trail_values(trail)[..],
        )?;
        record_logging_changes(&tx, trail, before)?;
        tx.commit()?;
        Ok(updated == 1)
    }

    fn delete_trail(&self, trail_arn: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let deleted = tx.execute("DELETE FROM trails WHERE trail_arn = ?1", params![trail_arn])?;
        crate::tags::delete_all(&tx, trail_arn)?;
        tx.execute("DELETE FROM logging_changes WHERE trail_arn = ?1", params![trail_arn])?;
        tx.commit()?;
        Ok(deleted == 1)
    }

    fn trail(&self, trail_arn: &str) -> Result<Option<Trail>> {
        sqlite::select_one(&self.conn(), "FROM trails WHERE trail_arn = ?1", params![trail_arn])
    }

    fn trails(&self) -> Result<Vec<Trail>> {
        sqlite::select(&self.conn(), "FROM trails ORDER BY trail_arn", [])
    }

    fn trail_name_exists(&self, account_id: &str, name: &str) -> Result<bool> {
        let n = sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM trails WHERE account_id = ?1 AND name = ?2",
            params![account_id, name],
        )?;
        Ok(n > 0)
    }

    fn count_trails(&self, account_id: &str, home_region: &str) -> Result<usize> {
        sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM trails WHERE account_id = ?1 AND home_region = ?2",
            params![account_id, home_region],
        )
    }

    fn logging_windows(&self, trail_arn: &str) -> Result<Vec<LoggingWindow>> {
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

    fn record_delivery(&self, trail_arn: &str, attempt_ms: i64, error: Option<&str>) -> Result<()> {
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

    fn record_digest_delivery(
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

    fn delivery_status(&self, trail_arn: &str) -> Result<DeliveryStatus> {
        let status = sqlite::select_one(
            &self.conn(),
            "FROM trails WHERE trail_arn = ?1",
            params![trail_arn],
        )?;
        Ok(status.unwrap_or_default())
    }
}

/// Appends the starts and stops of `trail` that differ from `before` (its stored start and
/// stop times) to `logging_changes`.
fn record_logging_changes(
    conn: &Connection,
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
