//! Metric filters, log groups, metric alarms with their history, notification targets and the
//! notification outbox.
//!
//! Documents are JSON text owned by the `metric-alarms` crate; the catalog stores and indexes
//! them. An alarm transition is one transaction: the alarm's new state, its history item and
//! the notifications it sends are written together, so a crash never leaves a state change
//! without its notifications or a notification without its state change. The outbox is the
//! notification history: rows are updated as attempts succeed or fail, never deleted before
//! [`NOTIFICATIONS_KEPT_MS`].

use rusqlite::{OptionalExtension, Row, params};

use crate::sqlite::{self, FromRow, Migration};
use crate::{Catalog, Result};

/// Delivered and failed notifications are kept this long (14 days, as AWS keeps alarm history).
pub const NOTIFICATIONS_KEPT_MS: i64 = 14 * 24 * 3600 * 1000;

/// One metric filter (a PutMetricFilter document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricFilterRow {
    pub account_id: String,
    pub region: String,
    pub log_group_name: String,
    pub filter_name: String,
    pub document: String,
    pub creation_time_ms: i64,
}

/// One metric alarm: configuration and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmRow {
    pub account_id: String,
    pub region: String,
    pub alarm_name: String,
    pub document: String,
}

/// One alarm history item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmHistoryRow {
    pub account_id: String,
    pub region: String,
    pub alarm_name: String,
    pub timestamp_ms: i64,
    pub document: String,
}

/// One notification target (a topic and where it delivers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRow {
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub document: String,
    /// `config` (from `opentrail.toml`, replaced at every start) or `api`.
    pub managed_by: String,
}

/// Where a notification stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Delivered => "delivered",
            NotificationStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> NotificationStatus {
        match text {
            "delivered" => NotificationStatus::Delivered,
            "failed" => NotificationStatus::Failed,
            _ => NotificationStatus::Pending,
        }
    }
}

/// A notification to store with an alarm transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub account_id: String,
    pub target_arn: String,
    pub alarm_name: String,
    /// `https`, `http`, `slack`, `email`, `email-json`.
    pub protocol: String,
    pub endpoint: String,
    /// What to send (owned by `metric-alarms`).
    pub document: String,
}

/// One delivery attempt of a stored notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationAttempt<'a> {
    pub id: i64,
    /// Delivered, failed for good, or pending (to be retried at `next_attempt_ms`).
    pub status: NotificationStatus,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub attempt_ms: i64,
    pub next_attempt_ms: i64,
    pub error: Option<&'a str>,
}

/// A stored notification and its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub created_ms: i64,
    /// What was stored with the transition.
    pub notification: NewNotification,
    pub status: NotificationStatus,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
}

/// Metric filters, log groups, alarms, their history, notification targets and the outbox.
pub trait AlarmStore: Send + Sync {
    /// Creates or replaces a metric filter.
    fn put_metric_filter(&self, filter: &MetricFilterRow) -> Result<()>;

    /// Deletes a metric filter; `false` when there was none.
    fn delete_metric_filter(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
        filter_name: &str,
    ) -> Result<bool>;

    /// Every metric filter, ordered by account, region, log group and name.
    fn metric_filters(&self) -> Result<Vec<MetricFilterRow>>;

    /// The metric filters of one account and region, ordered by log group and name.
    fn metric_filters_in(&self, account_id: &str, region: &str) -> Result<Vec<MetricFilterRow>>;

    /// One metric filter of a log group, by name.
    fn metric_filter(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
        filter_name: &str,
    ) -> Result<Option<MetricFilterRow>>;

    /// How many metric filters one log group has.
    fn count_metric_filters(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
    ) -> Result<usize>;

    /// Whether a log group exists in an account and region: created, or holding a filter.
    fn log_group_exists(&self, account_id: &str, region: &str, name: &str) -> Result<bool>;

    /// How many log groups one account has, every region together (created ones and those
    /// that only hold filters).
    fn count_log_groups(&self, account_id: &str) -> Result<usize>;

    /// How many alarms one account has, every region together.
    fn count_alarms(&self, account_id: &str) -> Result<usize>;

    /// How many notification targets one account has, every region together.
    fn count_targets(&self, account_id: &str) -> Result<usize>;

    /// Creates a log group; `false` when it already exists.
    fn create_log_group(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        creation_time_ms: i64,
    ) -> Result<bool>;

    /// Deletes a log group and its metric filters; `false` when neither existed.
    fn delete_log_group(&self, account_id: &str, region: &str, name: &str) -> Result<bool>;

    /// The log groups of an account and region with their creation times: those created
    /// explicitly and those that only have metric filters (created with their first filter),
    /// ordered by name.
    fn log_groups(&self, account_id: &str, region: &str) -> Result<Vec<(String, i64)>>;

    /// Creates or replaces an alarm, and appends `history` (if any) in the same transaction.
    fn put_alarm(&self, alarm: &AlarmRow, history: Option<&AlarmHistoryRow>) -> Result<()> {
        self.record_transition(alarm, history, &[], 0).map(|_| ())
    }

    /// Stores an alarm's new state, its history item and the notifications it sends, in one
    /// transaction; returns the notifications' ids.
    fn record_transition(
        &self,
        alarm: &AlarmRow,
        history: Option<&AlarmHistoryRow>,
        notifications: &[NewNotification],
        now_ms: i64,
    ) -> Result<Vec<i64>>;

    /// Deletes an alarm and its history; `false` when there was none.
    fn delete_alarm(&self, account_id: &str, region: &str, alarm_name: &str) -> Result<bool>;

    /// Every alarm, ordered by account, region and name.
    fn alarms(&self) -> Result<Vec<AlarmRow>>;

    /// An alarm's history, newest first, at most `limit` items.
    fn alarm_history(
        &self,
        account_id: &str,
        region: &str,
        alarm_name: &str,
        limit: u32,
    ) -> Result<Vec<AlarmHistoryRow>>;

    /// Creates or replaces a notification target.
    fn put_target(&self, target: &TargetRow) -> Result<()>;

    /// Deletes a notification target; `false` when there was none.
    fn delete_target(&self, account_id: &str, region: &str, name: &str) -> Result<bool>;

    /// Every notification target, ordered by account, region and name.
    fn targets(&self) -> Result<Vec<TargetRow>>;

    /// Pending notifications due at `now_ms`, oldest first, at most `limit`.
    fn due_notifications(&self, now_ms: i64, limit: u32) -> Result<Vec<NotificationRow>>;

    /// When the next pending notification is due, if any.
    fn next_notification_due_ms(&self) -> Result<Option<i64>>;

    /// Records an attempt: delivered, failed for good, or to be retried.
    fn record_notification_attempt(&self, attempt: &NotificationAttempt<'_>) -> Result<()>;

    /// Notifications newest first: those with an id below `before_id` (all when `None`), of
    /// `account_id` (all accounts when `None`), at most `limit`.
    fn notifications(
        &self,
        account_id: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<NotificationRow>>;

    /// Deletes finished notifications and history items older than `NOTIFICATIONS_KEPT_MS`.
    fn prune_notifications(&self, now_ms: i64) -> Result<usize>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    // Metric filters, metric alarms (configuration and state as JSON documents owned by the
    // metric-alarms crate), their state history, notification targets, and every notification
    // (the outbox the delivery worker drains, kept as the readable notification history).
    Migration {
        number: 8,
        sql: "CREATE TABLE metric_filters (
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
    },
    // Log groups created through the CloudWatch Logs API (CreateLogGroup).
    Migration {
        number: 9,
        sql: "CREATE TABLE log_groups (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_time_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );",
    },
];

sqlite::from_row_by_field_names!(MetricFilterRow {
    account_id,
    region,
    log_group_name,
    filter_name,
    document,
    creation_time_ms,
});

sqlite::from_row_by_field_names!(AlarmRow { account_id, region, alarm_name, document });

sqlite::from_row_by_field_names!(AlarmHistoryRow {
    account_id,
    region,
    alarm_name,
    timestamp_ms,
    document,
});

sqlite::from_row_by_field_names!(TargetRow { account_id, region, name, document, managed_by });

impl FromRow for NotificationRow {
    const COLUMNS: &'static str = "id, created_ms, account_id, target_arn, alarm_name, protocol,
        endpoint, document, status, attempts, next_attempt_ms, last_attempt_ms, last_error,
        delivered_ms";

    fn from_row(row: &Row<'_>) -> rusqlite::Result<NotificationRow> {
        let status: String = row.get(8)?;
        Ok(NotificationRow {
            id: row.get(0)?,
            created_ms: row.get(1)?,
            notification: NewNotification {
                account_id: row.get(2)?,
                target_arn: row.get(3)?,
                alarm_name: row.get(4)?,
                protocol: row.get(5)?,
                endpoint: row.get(6)?,
                document: row.get(7)?,
            },
            status: NotificationStatus::parse(&status),
            attempts: row.get(9)?,
            next_attempt_ms: row.get(10)?,
            last_attempt_ms: row.get(11)?,
            last_error: row.get(12)?,
            delivered_ms: row.get(13)?,
        })
    }
}

impl AlarmStore for Catalog {
    fn put_metric_filter(&self, filter: &MetricFilterRow) -> Result<()> {
        self.conn().execute(
            &format!(
                "INSERT INTO metric_filters ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, region, log_group_name, filter_name)
                 DO UPDATE SET document = excluded.document,
                               creation_time_ms = excluded.creation_time_ms",
                MetricFilterRow::COLUMNS
            ),
            params![
                filter.account_id,
                filter.region,
                filter.log_group_name,
                filter.filter_name,
                filter.document,
                filter.creation_time_ms
            ],
        )?;
        Ok(())
    }

    fn delete_metric_filter(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
        filter_name: &str,
    ) -> Result<bool> {
        let n = self.conn().execute(
            "DELETE FROM metric_filters
             WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3 AND filter_name = ?4",
            params![account_id, region, log_group_name, filter_name],
        )?;
        Ok(n > 0)
    }

    fn metric_filters(&self) -> Result<Vec<MetricFilterRow>> {
        sqlite::select(
            &self.conn(),
            "FROM metric_filters ORDER BY account_id, region, log_group_name, filter_name",
            [],
        )
    }

    fn metric_filters_in(&self, account_id: &str, region: &str) -> Result<Vec<MetricFilterRow>> {
        sqlite::select(
            &self.conn(),
            "FROM metric_filters WHERE account_id = ?1 AND region = ?2
             ORDER BY log_group_name, filter_name",
            params![account_id, region],
        )
    }

    fn metric_filter(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
        filter_name: &str,
    ) -> Result<Option<MetricFilterRow>> {
        sqlite::select_one(
            &self.conn(),
            "FROM metric_filters
             WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3 AND filter_name = ?4",
            params![account_id, region, log_group_name, filter_name],
        )
    }

    fn count_metric_filters(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
    ) -> Result<usize> {
        sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM metric_filters
             WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3",
            params![account_id, region, log_group_name],
        )
    }

    fn log_group_exists(&self, account_id: &str, region: &str, name: &str) -> Result<bool> {
        let n = sqlite::count(
            &self.conn(),
            "SELECT EXISTS (SELECT 1 FROM log_groups
                            WHERE account_id = ?1 AND region = ?2 AND name = ?3)
                 OR EXISTS (SELECT 1 FROM metric_filters
                            WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3)",
            params![account_id, region, name],
        )?;
        Ok(n > 0)
    }

    fn count_log_groups(&self, account_id: &str) -> Result<usize> {
        sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM (
                 SELECT region, name FROM log_groups WHERE account_id = ?1
                 UNION
                 SELECT region, log_group_name FROM metric_filters WHERE account_id = ?1)",
            params![account_id],
        )
    }

    fn count_alarms(&self, account_id: &str) -> Result<usize> {
        sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM metric_alarms WHERE account_id = ?1",
            params![account_id],
        )
    }

    fn count_targets(&self, account_id: &str) -> Result<usize> {
        sqlite::count(
            &self.conn(),
            "SELECT COUNT(*) FROM notification_targets WHERE account_id = ?1",
            params![account_id],
        )
    }

    fn create_log_group(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        creation_time_ms: i64,
    ) -> Result<bool> {
        let n = self.conn().execute(
            "INSERT INTO log_groups (account_id, region, name, creation_time_ms)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![account_id, region, name, creation_time_ms],
        )?;
        Ok(n > 0)
    }

    fn delete_log_group(&self, account_id: &str, region: &str, name: &str) -> Result<bool> {
        let deleted = sqlite::execute_each(
            &mut self.conn(),
            &[
                "DELETE FROM log_groups WHERE account_id = ?1 AND region = ?2 AND name = ?3",
                "DELETE FROM metric_filters
                 WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3",
            ],
            params![account_id, region, name],
        )?;
        Ok(deleted.iter().sum::<usize>() > 0)
    }

    fn log_groups(&self, account_id: &str, region: &str) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT name, MIN(created) FROM (
                 SELECT name, creation_time_ms AS created FROM log_groups
                 WHERE account_id = ?1 AND region = ?2
                 UNION ALL
                 SELECT log_group_name, creation_time_ms FROM metric_filters
                 WHERE account_id = ?1 AND region = ?2)
             GROUP BY name ORDER BY name",
        )?;
        let rows = statement
            .query_map(params![account_id, region], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_transition(
        &self,
        alarm: &AlarmRow,
        history: Option<&AlarmHistoryRow>,
        notifications: &[NewNotification],
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO metric_alarms ({}) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id, region, alarm_name) DO UPDATE SET document = excluded.document",
                AlarmRow::COLUMNS
            ),
            params![alarm.account_id, alarm.region, alarm.alarm_name, alarm.document],
        )?;
        if let Some(item) = history {
            tx.execute(
                &format!(
                    "INSERT INTO alarm_history ({}) VALUES (?1, ?2, ?3, ?4, ?5)",
                    AlarmHistoryRow::COLUMNS
                ),
                params![
                    item.account_id,
                    item.region,
                    item.alarm_name,
                    item.timestamp_ms,
                    item.document
                ],
            )?;
        }
        let mut ids = Vec::with_capacity(notifications.len());
        for n in notifications {
            tx.execute(
                "INSERT INTO notifications (created_ms, account_id, target_arn, alarm_name,
                     protocol, endpoint, document, status, attempts, next_attempt_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?1)",
                params![
                    now_ms,
                    n.account_id,
                    n.target_arn,
                    n.alarm_name,
                    n.protocol,
                    n.endpoint,
                    n.document
                ],
            )?;
            ids.push(tx.last_insert_rowid());
        }
        tx.commit()?;
        Ok(ids)
    }

    fn delete_alarm(&self, account_id: &str, region: &str, alarm_name: &str) -> Result<bool> {
        let deleted = sqlite::execute_each(
            &mut self.conn(),
            &[
                "DELETE FROM metric_alarms WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
                "DELETE FROM alarm_history WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
            ],
            params![account_id, region, alarm_name],
        )?;
        // Whether the alarm existed; its history goes with it.
        Ok(deleted[0] > 0)
    }

    fn alarms(&self) -> Result<Vec<AlarmRow>> {
        sqlite::select(
            &self.conn(),
            "FROM metric_alarms ORDER BY account_id, region, alarm_name",
            [],
        )
    }

    fn alarm_history(
        &self,
        account_id: &str,
        region: &str,
        alarm_name: &str,
        limit: u32,
    ) -> Result<Vec<AlarmHistoryRow>> {
        sqlite::select(
            &self.conn(),
            "FROM alarm_history WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3
             ORDER BY id DESC LIMIT ?4",
            params![account_id, region, alarm_name, limit],
        )
    }

    fn put_target(&self, target: &TargetRow) -> Result<()> {
        self.conn().execute(
            &format!(
                "INSERT INTO notification_targets ({}) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, region, name)
                 DO UPDATE SET document = excluded.document, managed_by = excluded.managed_by",
                TargetRow::COLUMNS
            ),
            params![
                target.account_id,
                target.region,
                target.name,
                target.document,
                target.managed_by
            ],
        )?;
        Ok(())
    }

    fn delete_target(&self, account_id: &str, region: &str, name: &str) -> Result<bool> {
        let n = self.conn().execute(
            "DELETE FROM notification_targets WHERE account_id = ?1 AND region = ?2 AND name = ?3",
            params![account_id, region, name],
        )?;
        Ok(n > 0)
    }

    fn targets(&self) -> Result<Vec<TargetRow>> {
        sqlite::select(
            &self.conn(),
            "FROM notification_targets ORDER BY account_id, region, name",
            [],
        )
    }

    fn due_notifications(&self, now_ms: i64, limit: u32) -> Result<Vec<NotificationRow>> {
        sqlite::select(
            &self.conn(),
            "FROM notifications WHERE status = 'pending' AND next_attempt_ms <= ?1
             ORDER BY next_attempt_ms, id LIMIT ?2",
            params![now_ms, limit],
        )
    }

    fn next_notification_due_ms(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM notifications WHERE status = 'pending'",
                [],
                |row| row.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    fn record_notification_attempt(&self, attempt: &NotificationAttempt<'_>) -> Result<()> {
        let NotificationAttempt { id, status, attempts, attempt_ms, next_attempt_ms, error } =
            *attempt;
        let delivered_ms = (status == NotificationStatus::Delivered).then_some(attempt_ms);
        self.conn().execute(
            "UPDATE notifications SET status = ?2, attempts = ?3, last_attempt_ms = ?4,
                 next_attempt_ms = ?5, last_error = ?6, delivered_ms = ?7 WHERE id = ?1",
            params![
                id,
                status.as_str(),
                attempts,
                attempt_ms,
                next_attempt_ms,
                error,
                delivered_ms
            ],
        )?;
        Ok(())
    }

    fn notifications(
        &self,
        account_id: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<NotificationRow>> {
        sqlite::select(
            &self.conn(),
            "FROM notifications WHERE (?1 IS NULL OR account_id = ?1) AND id < ?2
             ORDER BY id DESC LIMIT ?3",
            params![account_id, before_id.unwrap_or(i64::MAX), limit],
        )
    }

    fn prune_notifications(&self, now_ms: i64) -> Result<usize> {
        let cutoff = now_ms - NOTIFICATIONS_KEPT_MS;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM notifications WHERE status != 'pending' AND created_ms < ?1",
            params![cutoff],
        )?;
        tx.execute("DELETE FROM alarm_history WHERE timestamp_ms < ?1", params![cutoff])?;
        tx.commit()?;
        Ok(n)
    }
}
