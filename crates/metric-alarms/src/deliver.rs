//! Notification delivery: a task that drains the catalog's notification outbox, sending each
//! webhook (SNS envelope or Slack body) over HTTP(S) and each email over SMTP, retrying
//! failures with exponential backoff, and recording every attempt, so the outbox doubles as
//! the notification history. A notification is stored before it is sent, so a crash between
//! the two sends it after the restart (at least once).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use catalog::AlarmStore as _;
use catalog::{Catalog, NotificationRow, NotificationStatus};
use serde_json::Value;
use settings::{NotificationPolicy, Smtp, SmtpTls};
use tokio::sync::Notify;

/// Wakes the delivery task (a new notification is waiting).
#[derive(Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// The delivery task.
pub struct Deliverer {
    catalog: Arc<Catalog>,
    clock: Arc<dyn ingest::Clock>,
    http: reqwest::Client,
    smtp: Option<Smtp>,
    policy: NotificationPolicy,
    waker: Waker,
    in_flight: Arc<Mutex<HashSet<i64>>>,
}

/// Notifications started per round.
const BATCH: u32 = 64;

impl Deliverer {
    pub fn new(
        catalog: Arc<Catalog>,
        clock: Arc<dyn ingest::Clock>,
        smtp: Option<Smtp>,
        policy: NotificationPolicy,
        waker: Waker,
    ) -> Result<Deliverer, String> {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Amazon Simple Notification Service Agent")
            .build()
            .map_err(|err| format!("the HTTP client for notifications cannot start: {err}"))?;
        Ok(Deliverer {
            catalog,
            clock,
            http,
            smtp,
            policy,
            waker,
            in_flight: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let now = self.clock.now_unix_millis();
            let due = {
                let catalog = Arc::clone(&self.catalog);
                tokio::task::spawn_blocking(move || catalog.due_notifications(now, BATCH)).await
            };
            let due = match due {
                Ok(Ok(rows)) => rows,
                Ok(Err(err)) => {
                    tracing::error!(%err, "pending notifications cannot be read from the catalog");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            };
            for row in due {
                let fresh =
                    self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).insert(row.id);
                if !fresh {
                    continue;
                }
                let this = Arc::clone(&self);
                tokio::spawn(async move { this.attempt(row).await });
            }
            let next_due = {
                let catalog = Arc::clone(&self.catalog);
                tokio::task::spawn_blocking(move || catalog.next_notification_due_ms()).await
            };
            let now = self.clock.now_unix_millis();
            // Due now means in flight: its attempt wakes this loop when it is recorded.
            let wait_ms = match next_due {
                Ok(Ok(Some(at))) if at > now => (at - now).min(1000),
                _ => 1000,
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.waker.0.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            }
        }
    }

    async fn attempt(&self, row: NotificationRow) {
        let result = self.send(&row).await;
        let now = self.clock.now_unix_millis();
        let attempts = row.attempts + 1;
        let (status, next, error) = match &result {
            Ok(()) => (NotificationStatus::Delivered, now, None),
            Err(err) => match self.policy.next_delay(attempts) {
                Some(delay) => (
                    NotificationStatus::Pending,
                    now + delay.as_millis() as i64,
                    Some(err.as_str()),
                ),
                None => (NotificationStatus::Failed, now, Some(err.as_str())),
            },
        };
        let outcome = match (&result, status) {
            (Ok(()), _) => "delivered",
            (Err(_), NotificationStatus::Failed) => "failed",
            (Err(_), _) => "retried",
        };
        metrics::counter!(NOTIFICATIONS, "protocol" => protocol_label(&row.notification.protocol), "outcome" => outcome)
            .increment(1);
        match (&result, status) {
            (Ok(()), _) => {
                tracing::info!(id = row.id, alarm = row.notification.alarm_name, protocol = row.notification.protocol, endpoint = %redact(&row.notification.endpoint), attempts, "notification delivered")
            }
            (Err(err), NotificationStatus::Failed) => {
                tracing::error!(id = row.id, alarm = row.notification.alarm_name, endpoint = %redact(&row.notification.endpoint), attempts, error = %err, "notification failed for good; see the notification history")
            }
            (Err(err), _) => {
                tracing::warn!(id = row.id, alarm = row.notification.alarm_name, endpoint = %redact(&row.notification.endpoint), attempts, error = %err, "notification failed; will retry")
            }
        }
        let catalog = Arc::clone(&self.catalog);
        let error = error.map(str::to_owned);
        let id = row.id;
        let stored = tokio::task::spawn_blocking(move || {
            catalog.record_notification_attempt(&catalog::NotificationAttempt {
                id,
                status,
                attempts,
                attempt_ms: now,
                next_attempt_ms: next,
                error: error.as_deref(),
            })
        })
        .await;
        if !matches!(stored, Ok(Ok(()))) {
            tracing::error!(id, "a notification attempt could not be recorded");
        }
        self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        self.waker.wake();
    }

    async fn send(&self, row: &NotificationRow) -> Result<(), String> {
        let document: Value = serde_json::from_str(&row.notification.document)
            .map_err(|err| format!("the stored notification is damaged: {err}"))?;
        match document.get("Kind").and_then(Value::as_str) {
            Some("webhook") => self.post(&document).await,
            Some("email") => self.email(&document).await,
            other => Err(format!("unknown notification kind {other:?}")),
        }
    }

    async fn post(&self, document: &Value) -> Result<(), String> {
        let url = document.get("Url").and_then(Value::as_str).unwrap_or_default();
        let body = document.get("Body").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut request = self.http.post(url).body(body);
        if let Some(Value::Object(headers)) = document.get("Headers") {
            for (name, value) in headers {
                if let Some(value) = value.as_str() {
                    request = request.header(name.as_str(), value);
                }
            }
        }
        let response = request.send().await.map_err(|err| {
            let mut text = format!("POST failed: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(200).collect();
            Err(format!("the endpoint answered HTTP {status}: {body}"))
        }
    }

    async fn email(&self, document: &Value) -> Result<(), String> {
        use lettre::AsyncTransport;
        let Some(smtp) = &self.smtp else {
            return Err("no SMTP relay is configured; set [smtp] in opentrail.toml".to_owned());
        };
        let text = |name: &str| document.get(name).and_then(Value::as_str).unwrap_or_default();
        let message = lettre::Message::builder()
            .from(smtp.from.parse().map_err(|err| format!("[smtp] from `{}`: {err}", smtp.from))?)
            .to(text("To").parse().map_err(|err| format!("address `{}`: {err}", text("To")))?)
            .subject(text("Subject"))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text("Body").to_owned())
            .map_err(|err| format!("the email cannot be built: {err}"))?;
        let builder = match smtp.tls {
            SmtpTls::None => {
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&smtp.host)
            }
            SmtpTls::Opportunistic => {
                let parameters =
                    lettre::transport::smtp::client::TlsParameters::new(smtp.host.clone())
                        .map_err(|err| format!("SMTP relay {}: {err}", smtp.host))?;
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&smtp.host)
                    .tls(lettre::transport::smtp::client::Tls::Opportunistic(parameters))
            }
            SmtpTls::StartTls => {
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::starttls_relay(&smtp.host)
                    .map_err(|err| format!("SMTP relay {}: {err}", smtp.host))?
            }
            SmtpTls::Tls => lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::relay(&smtp.host)
                .map_err(|err| format!("SMTP relay {}: {err}", smtp.host))?,
        };
        let mut builder = builder.port(smtp.port).timeout(Some(self.policy.timeout));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder =
                builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                    user.clone(),
                    password.clone(),
                ));
        }
        builder
            .build()
            .send(message)
            .await
            .map(|_| ())
            .map_err(|err| format!("SMTP {}:{}: {err}", smtp.host, smtp.port))
    }
}

/// An endpoint for logs: URLs lose their path and query (Slack webhook URLs carry secrets).
/// Notification attempts by protocol and outcome (delivered, retried, failed), on `/metrics`.
pub(crate) const NOTIFICATIONS: &str = "opentrail_notifications_total";

/// Describes the notification metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_counter!(
        NOTIFICATIONS,
        metrics::Unit::Count,
        "Notification attempts by protocol and outcome: delivered, retried (will be tried again), failed (for good)"
    );
}

/// A bounded label: the protocols OpenTrail sends, never a stored string as is.
fn protocol_label(protocol: &str) -> &'static str {
    match protocol {
        "https" => "https",
        "http" => "http",
        "slack" => "slack",
        "email" => "email",
        "email-json" => "email-json",
        _ => "other",
    }
}

pub fn redact(endpoint: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?']).next().unwrap_or(rest);
            format!("{scheme}://{host}/…")
        }
        None => endpoint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_after_the_retries() {
        let policy = NotificationPolicy {
            retries: 3,
            backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
        };
        let delays: Vec<Option<Duration>> = (1..=4).map(|a| policy.next_delay(a)).collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                Some(Duration::from_secs(8)),
                None
            ]
        );
    }

    #[test]
    fn webhook_secrets_stay_out_of_logs() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redact("soc@example.com"), "soc@example.com");
    }
}
