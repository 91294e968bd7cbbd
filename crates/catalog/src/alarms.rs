//! Metric filters, metric alarms, notification targets and the notification outbox.
//!
//! Documents are JSON text owned by the `metric-alarms` crate; the catalog stores and indexes
//! them. An alarm transition is one transaction: the alarm's new state, its history item and
//! the notifications it sends are written together, so a crash never leaves a state change
//! without its notifications or a notification without its state change. The outbox is the
//! notification history: rows are updated as attempts succeed or fail, never deleted before
//! [`NOTIFICATIONS_KEPT_MS`].

use rusqlite::{OptionalExtension, Row, params};

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

/// A stored notification and its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub created_ms: i64,
    pub account_id: String,
    pub target_arn: String,
    pub alarm_name: String,
    pub protocol: String,
    pub endpoint: String,
    pub document: String,
    pub status: NotificationStatus,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
}

const NOTIFICATION_COLUMNS: &str = "id, created_ms, account_id, target_arn, alarm_name, protocol, \
     endpoint, document, status, attempts, next_attempt_ms, last_attempt_ms, last_error, delivered_ms";

fn notification_row(row: &Row<'_>) -> rusqlite::Result<NotificationRow> {
    let status: String = row.get(8)?;
    Ok(NotificationRow {
        id: row.get(0)?,
        created_ms: row.get(1)?,
        account_id: row.get(2)?,
        target_arn: row.get(3)?,
        alarm_name: row.get(4)?,
        protocol: row.get(5)?,
        endpoint: row.get(6)?,
        document: row.get(7)?,
        status: NotificationStatus::parse(&status),
        attempts: row.get(9)?,
        next_attempt_ms: row.get(10)?,
        last_attempt_ms: row.get(11)?,
        last_error: row.get(12)?,
        delivered_ms: row.get(13)?,
    })
}

impl Catalog {
    /// Creates or replaces a metric filter.
    pub fn put_metric_filter(&self, filter: &MetricFilterRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO metric_filters
                 (account_id, region, log_group_name, filter_name, document, creation_time_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_id, region, log_group_name, filter_name)
             DO UPDATE SET document = excluded.document,
                           creation_time_ms = excluded.creation_time_ms",
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

    /// Deletes a metric filter; `false` when there was none.
    pub fn delete_metric_filter(
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

    /// Every metric filter, ordered by account, region, log group and name.
    pub fn metric_filters(&self) -> Result<Vec<MetricFilterRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account_id, region, log_group_name, filter_name, document, creation_time_ms
             FROM metric_filters ORDER BY account_id, region, log_group_name, filter_name",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MetricFilterRow {
                account_id: row.get(0)?,
                region: row.get(1)?,
                log_group_name: row.get(2)?,
                filter_name: row.get(3)?,
                document: row.get(4)?,
                creation_time_ms: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates a log group; `false` when it already exists.
    pub fn create_log_group(
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

    /// Deletes a log group and its metric filters; `false` when neither existed.
    pub fn delete_log_group(&self, account_id: &str, region: &str, name: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let groups = tx.execute(
            "DELETE FROM log_groups WHERE account_id = ?1 AND region = ?2 AND name = ?3",
            params![account_id, region, name],
        )?;
        let filters = tx.execute(
            "DELETE FROM metric_filters
             WHERE account_id = ?1 AND region = ?2 AND log_group_name = ?3",
            params![account_id, region, name],
        )?;
        tx.commit()?;
        Ok(groups + filters > 0)
    }

    /// The log groups of an account and region with their creation times: those created
    /// explicitly and those that only have metric filters (created with their first filter),
    /// ordered by name.
    pub fn log_groups(&self, account_id: &str, region: &str) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT name, MIN(created) FROM (
                 SELECT name, creation_time_ms AS created FROM log_groups
                 WHERE account_id = ?1 AND region = ?2
                 UNION ALL
                 SELECT log_group_name, creation_time_ms FROM metric_filters
                 WHERE account_id = ?1 AND region = ?2)
             GROUP BY name ORDER BY name",
        )?;
        let rows =
            stmt.query_map(params![account_id, region], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates or replaces an alarm, and appends `history` (if any) in the same transaction.
    pub fn put_alarm(&self, alarm: &AlarmRow, history: Option<&AlarmHistoryRow>) -> Result<()> {
        self.record_transition(alarm, history, &[], 0).map(|_| ())
    }

    /// Stores an alarm's new state, its history item and the notifications it sends, in one
    /// transaction; returns the notifications' ids.
    pub fn record_transition(
        &self,
        alarm: &AlarmRow,
        history: Option<&AlarmHistoryRow>,
        notifications: &[NewNotification],
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO metric_alarms (account_id, region, alarm_name, document)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, region, alarm_name) DO UPDATE SET document = excluded.document",
            params![alarm.account_id, alarm.region, alarm.alarm_name, alarm.document],
        )?;
        if let Some(item) = history {
            tx.execute(
                "INSERT INTO alarm_history (account_id, region, alarm_name, timestamp_ms, document)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
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

    /// Deletes an alarm and its history; `false` when there was none.
    pub fn delete_alarm(&self, account_id: &str, region: &str, alarm_name: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM metric_alarms WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
            params![account_id, region, alarm_name],
        )?;
        tx.execute(
            "DELETE FROM alarm_history WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
            params![account_id, region, alarm_name],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Every alarm, ordered by account, region and name.
    pub fn alarms(&self) -> Result<Vec<AlarmRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account_id, region, alarm_name, document FROM metric_alarms
             ORDER BY account_id, region, alarm_name",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(AlarmRow {
                account_id: row.get(0)?,
                region: row.get(1)?,
                alarm_name: row.get(2)?,
                document: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An alarm's history, newest first, at most `limit` items.
    pub fn alarm_history(
        &self,
        account_id: &str,
        region: &str,
        alarm_name: &str,
        limit: u32,
    ) -> Result<Vec<AlarmHistoryRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account_id, region, alarm_name, timestamp_ms, document FROM alarm_history
             WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3
             ORDER BY id DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![account_id, region, alarm_name, limit], |row| {
            Ok(AlarmHistoryRow {
                account_id: row.get(0)?,
                region: row.get(1)?,
                alarm_name: row.get(2)?,
                timestamp_ms: row.get(3)?,
                document: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates or replaces a notification target.
    pub fn put_target(&self, target: &TargetRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO notification_targets (account_id, region, name, document, managed_by)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account_id, region, name)
             DO UPDATE SET document = excluded.document, managed_by = excluded.managed_by",
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

    /// Deletes a notification target; `false` when there was none.
    pub fn delete_target(&self, account_id: &str, region: &str, name: &str) -> Result<bool> {
        let n = self.conn().execute(
            "DELETE FROM notification_targets WHERE account_id = ?1 AND region = ?2 AND name = ?3",
            params![account_id, region, name],
        )?;
        Ok(n > 0)
    }

    /// Every notification target, ordered by account, region and name.
    pub fn targets(&self) -> Result<Vec<TargetRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account_id, region, name, document, managed_by FROM notification_targets
             ORDER BY account_id, region, name",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(TargetRow {
                account_id: row.get(0)?,
                region: row.get(1)?,
                name: row.get(2)?,
                document: row.get(3)?,
                managed_by: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Pending notifications due at `now_ms`, oldest first, at most `limit`.
    pub fn due_notifications(&self, now_ms: i64, limit: u32) -> Result<Vec<NotificationRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications
             WHERE status = 'pending' AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now_ms, limit], notification_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the next pending notification is due, if any.
    pub fn next_notification_due_ms(&self) -> Result<Option<i64>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM notifications WHERE status = 'pending'",
                [],
                |row| row.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Records an attempt: delivered, failed for good, or to be retried at `next_attempt_ms`.
    pub fn record_notification_attempt(
        &self,
        id: i64,
        status: NotificationStatus,
        attempts: u32,
        attempt_ms: i64,
        next_attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
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

    /// Notifications newest first: those with an id below `before_id` (all when `None`), of
    /// `account_id` (all accounts when `None`), at most `limit`.
    pub fn notifications(
        &self,
        account_id: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<NotificationRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications
             WHERE (?1 IS NULL OR account_id = ?1) AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![account_id, before_id.unwrap_or(i64::MAX), limit],
            notification_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes finished notifications and history items older than `NOTIFICATIONS_KEPT_MS`.
    pub fn prune_notifications(&self, now_ms: i64) -> Result<usize> {
        let cutoff = now_ms - NOTIFICATIONS_KEPT_MS;
        let conn = self.conn();
        let n = conn.execute(
            "DELETE FROM notifications WHERE status != 'pending' AND created_ms < ?1",
            params![cutoff],
        )?;
        conn.execute("DELETE FROM alarm_history WHERE timestamp_ms < ?1", params![cutoff])?;
        Ok(n)
    }
}
