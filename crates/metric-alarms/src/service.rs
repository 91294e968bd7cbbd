//! The running metric-alarms service: metric filters, alarms and notification targets kept in
//! the catalog and mirrored in an [`Engine`]; a WAL consumer thread that feeds every
//! acknowledged CloudTrail record to the engine and evaluates alarms every second; and the
//! transition path that stores an alarm's new state, its history item and its notifications
//! in one catalog transaction before waking the delivery worker.
//!
//! Restart: the consumer's WAL cursor trails the newest event by the longest alarm look-back,
//! so a restart replays exactly the events the alarms' windows still need; alarm states come
//! back from the catalog, so a replay does not notify again what was already notified.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use catalog::AlarmStore as _;
use catalog::{AlarmHistoryRow, AlarmRow, Catalog, MetricFilterRow, NewNotification, TargetRow};
use serde_json::Value;

use crate::config::AlarmConfig;
use crate::doc;
use crate::engine::{Engine, FilterEntry, Scope, Transition};
use crate::filter::MetricFilter;
use crate::limits;
use crate::state::{Alarm, StateValue};
use crate::targets::{EnvelopeSigner, Target, TargetRules as _, render, topic_arn};

/// A filter in this log group of the administrator account sees every account's events.
pub const ALL_ACCOUNTS_LOG_GROUP: &str = "OpenTrail/AllAccounts";

/// What an API call did wrong, in CloudWatch terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// An unsubscribe link without its token, or with one this server did not make.
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    fn internal(err: impl std::fmt::Display) -> ServiceError {
        ServiceError::Internal(err.to_string())
    }
}

impl From<crate::Error> for ServiceError {
    fn from(err: crate::Error) -> ServiceError {
        ServiceError::InvalidParameter(err.to_string())
    }
}

/// Who is who in this installation.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The account created on first start; its `OpenTrail/AllAccounts` filters see everything.
    pub admin_account: String,
    /// The organization, if one is configured: its management account sees its members.
    pub organization: Option<settings::Organization>,
}

/// How many of each resource one account may have; [`Caps::default`] is the `limits` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub alarms_per_account: usize,
    pub targets_per_account: usize,
    pub log_groups_per_account: usize,
    pub metric_filters_per_log_group: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            alarms_per_account: limits::ALARMS_PER_ACCOUNT_MAX,
            targets_per_account: limits::TARGETS_PER_ACCOUNT_MAX,
            log_groups_per_account: limits::LOG_GROUPS_PER_ACCOUNT_MAX,
            metric_filters_per_log_group: limits::METRIC_FILTERS_PER_LOG_GROUP_MAX,
        }
    }
}

/// What a new resource counts against.
#[derive(Debug, Clone, Copy)]
enum Counted<'a> {
    Alarm,
    Target,
    LogGroup,
    MetricFilterIn { region: &'a str, log_group_name: &'a str },
}

/// A subscription named by an unsubscribe link whose token this server made: the ARN and the
/// account and region of its topic (read from the ARN, which the token vouches for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeLink {
    pub subscription_arn: String,
    pub topic_arn: String,
    pub account_id: String,
    pub region: String,
}

/// Metric filters, alarms and targets, with the engine that runs them.
pub struct AlarmService {
    catalog: Arc<Catalog>,
    clock: Arc<dyn ingest::Clock>,
    config: ServiceConfig,
    engine: Mutex<Engine>,
    targets: Mutex<BTreeMap<(String, String, String), Target>>,
    signer: Box<dyn EnvelopeSigner + Send + Sync>,
    wake_delivery: Box<dyn Fn() + Send + Sync>,
    caps: Caps,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AlarmService {
    /// Loads filters, alarms and targets from the catalog.
    pub fn open(
        catalog: Arc<Catalog>,
        clock: Arc<dyn ingest::Clock>,
        config: ServiceConfig,
        signer: Box<dyn EnvelopeSigner + Send + Sync>,
        wake_delivery: Box<dyn Fn() + Send + Sync>,
    ) -> Result<AlarmService, ServiceError> {
        let service = AlarmService {
            catalog,
            clock,
            config,
            engine: Mutex::new(Engine::new()),
            targets: Mutex::new(BTreeMap::new()),
            signer,
            wake_delivery,
            caps: Caps::default(),
        };
        service.reload_filters()?;
        let mut engine = lock(&service.engine);
        for row in service.catalog.alarms().map_err(ServiceError::internal)? {
            match doc::alarm_from_document(&row.document) {
                Ok(alarm) => engine.put_alarm(&row.account_id, &row.region, alarm),
                Err(err) => {
                    tracing::error!(alarm = row.alarm_name, %err, "a stored alarm cannot be read; it is not evaluated")
                }
            }
        }
        drop(engine);
        let mut targets = lock(&service.targets);
        for row in service.catalog.targets().map_err(ServiceError::internal)? {
            let parsed = serde_json::from_str::<Value>(&row.document)
                .map_err(|e| e.to_string())
                .and_then(|v| Target::from_json(&v).map_err(|e| e.to_string()));
            match parsed {
                Ok(target) => {
                    targets.insert((row.account_id, row.region, row.name), target);
                }
                Err(err) => {
                    tracing::error!(target = row.name, %err, "a stored notification target cannot be read")
                }
            }
        }
        drop(targets);
        Ok(service)
    }

    /// Replaces the per-account caps (tests use small ones).
    pub fn with_caps(mut self, caps: Caps) -> AlarmService {
        self.caps = caps;
        self
    }

    /// Refuses a new resource when its account (or log group) already has as many as its cap
    /// allows: the one place every cap is checked, each count one scoped query.
    fn check_room(&self, account_id: &str, counted: Counted<'_>) -> Result<(), ServiceError> {
        let catalog = &self.catalog;
        let (n, cap, what) = match counted {
            Counted::Alarm => (
                catalog.count_alarms(account_id),
                self.caps.alarms_per_account,
                "The maximum number of alarms for this account has been reached".to_owned(),
            ),
            Counted::Target => (
                catalog.count_targets(account_id),
                self.caps.targets_per_account,
                "The maximum number of notification targets for this account has been reached"
                    .to_owned(),
            ),
            Counted::LogGroup => (
                catalog.count_log_groups(account_id),
                self.caps.log_groups_per_account,
                "Resource limit exceeded: the maximum number of log groups for this account has been reached".to_owned(),
            ),
            Counted::MetricFilterIn { region, log_group_name } => (
                catalog.count_metric_filters(account_id, region, log_group_name),
                self.caps.metric_filters_per_log_group,
                format!("Resource limit exceeded: log group `{log_group_name}` already has the maximum number of metric filters"),
            ),
        };
        let n = n.map_err(ServiceError::internal)?;
        if n >= cap {
            return Err(ServiceError::LimitExceeded(format!("{what} ({cap})")));
        }
        Ok(())
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_unix_millis()
    }

    fn scope(&self, account_id: &str, log_group_name: &str) -> Scope {
        if account_id == self.config.admin_account && log_group_name == ALL_ACCOUNTS_LOG_GROUP {
            return Scope::All;
        }
        let mut accounts = vec![account_id.to_owned()];
        if let Some(organization) = &self.config.organization
            && organization.management_account == account_id
        {
            accounts.extend(organization.member_accounts.iter().cloned());
        }
        accounts.sort();
        accounts.dedup();
        Scope::Accounts(accounts)
    }

    fn reload_filters(&self) -> Result<(), ServiceError> {
        let mut entries = Vec::new();
        for row in self.catalog.metric_filters().map_err(ServiceError::internal)? {
            let compiled = MetricFilter::from_document(&row.document).and_then(|f| f.compile());
            match compiled {
                Ok(filter) => entries.push(FilterEntry {
                    scope: self.scope(&row.account_id, &row.log_group_name),
                    account_id: row.account_id,
                    region: row.region,
                    filter,
                }),
                Err(err) => {
                    tracing::error!(filter = row.filter_name, %err, "a stored metric filter cannot be read; it is not evaluated")
                }
            }
        }
        lock(&self.engine).set_filters(entries);
        Ok(())
    }

    // ---- metric filters -------------------------------------------------------------------

    /// PutMetricFilter: creates or replaces a filter.
    pub fn put_metric_filter(
        &self,
        account_id: &str,
        region: &str,
        filter: MetricFilter,
    ) -> Result<(), ServiceError> {
        filter.compile().map_err(|e| ServiceError::InvalidParameter(e.message))?;
        let replaces = self
            .catalog
            .metric_filter(account_id, region, &filter.log_group_name, &filter.filter_name)
            .map_err(ServiceError::internal)?
            .is_some();
        if !replaces {
            let log_group_name = filter.log_group_name.as_str();
            if !self
                .catalog
                .log_group_exists(account_id, region, log_group_name)
                .map_err(ServiceError::internal)?
            {
                // A filter in a new group creates the group.
                self.check_room(account_id, Counted::LogGroup)?;
            }
            self.check_room(account_id, Counted::MetricFilterIn { region, log_group_name })?;
        }
        self.catalog
            .put_metric_filter(&MetricFilterRow {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                log_group_name: filter.log_group_name.clone(),
                filter_name: filter.filter_name.clone(),
                document: filter.to_json().to_string(),
                creation_time_ms: filter.creation_time_ms,
            })
            .map_err(ServiceError::internal)?;
        self.reload_filters()
    }

    /// The filters of an account and region, ordered by log group and name.
    pub fn metric_filters(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<MetricFilter>, ServiceError> {
        let rows =
            self.catalog.metric_filters_in(account_id, region).map_err(ServiceError::internal)?;
        Ok(rows.into_iter().filter_map(|r| MetricFilter::from_document(&r.document).ok()).collect())
    }

    /// DeleteMetricFilter.
    pub fn delete_metric_filter(
        &self,
        account_id: &str,
        region: &str,
        log_group_name: &str,
        filter_name: &str,
    ) -> Result<(), ServiceError> {
        let deleted = self
            .catalog
            .delete_metric_filter(account_id, region, log_group_name, filter_name)
            .map_err(ServiceError::internal)?;
        if !deleted {
            return Err(ServiceError::ResourceNotFound(format!(
                "The specified metric filter `{filter_name}` does not exist in log group `{log_group_name}`."
            )));
        }
        self.reload_filters()
    }

    /// CreateLogGroup.
    pub fn create_log_group(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
    ) -> Result<(), ServiceError> {
        crate::filter::check_log_group_name(name)
            .map_err(|e| ServiceError::InvalidParameter(e.message))?;
        let exists = self
            .catalog
            .log_group_exists(account_id, region, name)
            .map_err(ServiceError::internal)?;
        if !exists {
            self.check_room(account_id, Counted::LogGroup)?;
        }
        if exists
            || !self
                .catalog
                .create_log_group(account_id, region, name, self.now_ms())
                .map_err(ServiceError::internal)?
        {
            return Err(ServiceError::AlreadyExists(
                "The specified log group already exists".to_owned(),
            ));
        }
        Ok(())
    }

    /// DeleteLogGroup: the group and its metric filters.
    pub fn delete_log_group(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
    ) -> Result<(), ServiceError> {
        if !self
            .catalog
            .delete_log_group(account_id, region, name)
            .map_err(ServiceError::internal)?
        {
            return Err(ServiceError::ResourceNotFound(
                "The specified log group does not exist.".to_owned(),
            ));
        }
        self.reload_filters()
    }

    /// The log groups of an account and region (created ones and those holding filters) with
    /// their creation time and number of metric filters, ordered by name.
    pub fn log_groups(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, i64, usize)>, ServiceError> {
        let filters = self.metric_filters(account_id, region)?;
        Ok(self
            .catalog
            .log_groups(account_id, region)
            .map_err(ServiceError::internal)?
            .into_iter()
            .map(|(name, created)| {
                let n = filters.iter().filter(|f| f.log_group_name == name).count();
                (name, created, n)
            })
            .collect())
    }

    // ---- alarms ---------------------------------------------------------------------------

    fn check_actions(
        &self,
        account_id: &str,
        region: &str,
        config: &AlarmConfig,
    ) -> Result<(), ServiceError> {
        let targets = lock(&self.targets);
        for arn in config
            .alarm_actions
            .iter()
            .chain(&config.ok_actions)
            .chain(&config.insufficient_data_actions)
        {
            // Only the alarm's own account's targets: another account's is as unknown as one
            // that does not exist (its existence is that account's business).
            let known =
                targets.iter().any(|((a, r, n), _)| a == account_id && topic_arn(r, a, n) == *arn);
            if !known {
                let _ = region;
                return Err(ServiceError::InvalidParameter(format!(
                    "action `{arn}` names no notification target; create the target first (its ARN is arn:aws:sns:<region>:<account>:<name>)"
                )));
            }
        }
        Ok(())
    }

    /// PutMetricAlarm: creates an alarm (then evaluates it at once) or replaces the
    /// configuration of an existing one, keeping its state.
    pub fn put_alarm(
        &self,
        account_id: &str,
        region: &str,
        config: AlarmConfig,
    ) -> Result<(), ServiceError> {
        config.validate()?;
        self.check_actions(account_id, region, &config)?;
        let now = self.now_ms();
        let mut transitions = Vec::new();
        {
            let mut engine = lock(&self.engine);
            let alarm = match engine.alarm(account_id, region, &config.alarm_name) {
                Some(entry) => {
                    let mut alarm = entry.alarm.clone();
                    alarm.update(config, now)?;
                    alarm
                }
                None => {
                    self.check_room(account_id, Counted::Alarm)?;
                    Alarm::create(config, now)?
                }
            };
            self.catalog
                .put_alarm(
                    &AlarmRow {
                        account_id: account_id.to_owned(),
                        region: region.to_owned(),
                        alarm_name: alarm.config().alarm_name.clone(),
                        document: doc::alarm_to_document(&alarm),
                    },
                    None,
                )
                .map_err(ServiceError::internal)?;
            let name = alarm.config().alarm_name.clone();
            engine.put_alarm(account_id, region, alarm);
            engine.evaluate_one(account_id, region, &name, now, &mut transitions);
        }
        self.apply(transitions);
        Ok(())
    }

    /// The alarms of an account and region, ordered by name, as DescribeAlarms members.
    pub fn describe_alarms(&self, account_id: &str, region: &str) -> Vec<Value> {
        let engine = lock(&self.engine);
        let mut alarms: Vec<&crate::engine::AlarmEntry> = engine
            .alarms()
            .iter()
            .filter(|e| e.account_id == account_id && e.region == region)
            .collect();
        alarms.sort_by(|a, b| a.alarm.config().alarm_name.cmp(&b.alarm.config().alarm_name));
        alarms.iter().map(|e| doc::describe_alarm(&e.alarm, account_id, region)).collect()
    }

    /// Every alarm of every account as (account, region, alarm).
    pub fn all_alarms(&self) -> Vec<(String, String, Alarm)> {
        lock(&self.engine)
            .alarms()
            .iter()
            .map(|e| (e.account_id.clone(), e.region.clone(), e.alarm.clone()))
            .collect()
    }

    /// DeleteAlarms (one name).
    pub fn delete_alarm(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
    ) -> Result<(), ServiceError> {
        let mut engine = lock(&self.engine);
        if !engine.remove_alarm(account_id, region, name) {
            return Err(ServiceError::ResourceNotFound(format!("alarm `{name}` does not exist")));
        }
        self.catalog.delete_alarm(account_id, region, name).map_err(ServiceError::internal)?;
        Ok(())
    }

    /// SetAlarmState: forces a state until the next evaluation; runs the new state's actions
    /// when it differs.
    pub fn set_alarm_state(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        value: StateValue,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let transition = {
            let mut engine = lock(&self.engine);
            let alarm = engine.alarm_mut(account_id, region, name).ok_or_else(|| {
                ServiceError::ResourceNotFound(format!("alarm `{name}` does not exist"))
            })?;
            let update = alarm.set_state(value, reason, None, now)?;
            Transition {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                alarm: alarm.clone(),
                update,
            }
        };
        self.apply(vec![transition]);
        Ok(())
    }

    /// Enable/DisableAlarmActions.
    pub fn set_actions_enabled(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        enabled: bool,
    ) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let mut engine = lock(&self.engine);
        let alarm = engine.alarm_mut(account_id, region, name).ok_or_else(|| {
            ServiceError::ResourceNotFound(format!("alarm `{name}` does not exist"))
        })?;
        alarm.set_actions_enabled(enabled, now)?;
        let row = AlarmRow {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            alarm_name: name.to_owned(),
            document: doc::alarm_to_document(alarm),
        };
        self.catalog.put_alarm(&row, None).map_err(ServiceError::internal)
    }

    /// An alarm's history items, newest first.
    pub fn alarm_history(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        limit: u32,
    ) -> Result<Vec<Value>, ServiceError> {
        let rows = self
            .catalog
            .alarm_history(account_id, region, name, limit)
            .map_err(ServiceError::internal)?;
        Ok(rows.into_iter().filter_map(|r| serde_json::from_str(&r.document).ok()).collect())
    }

    // ---- targets --------------------------------------------------------------------------

    /// Creates or replaces a target. `managed_by` is `config` or `api`.
    pub fn put_target(
        &self,
        account_id: &str,
        region: &str,
        target: Target,
        managed_by: &str,
    ) -> Result<(), ServiceError> {
        target.validate().map_err(|e| ServiceError::InvalidParameter(e.message))?;
        let key = (account_id.to_owned(), region.to_owned(), target.name.clone());
        if !lock(&self.targets).contains_key(&key) {
            self.check_room(account_id, Counted::Target)?;
        }
        self.catalog
            .put_target(&TargetRow {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                name: target.name.clone(),
                document: target.to_json(region, account_id).to_string(),
                managed_by: managed_by.to_owned(),
            })
            .map_err(ServiceError::internal)?;
        lock(&self.targets).insert(key, target);
        Ok(())
    }

    /// Deletes a target.
    pub fn delete_target(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
    ) -> Result<(), ServiceError> {
        if !self.catalog.delete_target(account_id, region, name).map_err(ServiceError::internal)? {
            return Err(ServiceError::ResourceNotFound(format!(
                "notification target `{name}` does not exist"
            )));
        }
        lock(&self.targets).remove(&(account_id.to_owned(), region.to_owned(), name.to_owned()));
        Ok(())
    }

    /// The targets of an account and region, ordered by name.
    pub fn targets(&self, account_id: &str, region: &str) -> Vec<Target> {
        lock(&self.targets)
            .iter()
            .filter(|((a, r, _), _)| a == account_id && r == region)
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// The subscription an unsubscribe link names, when `token` is the one this server made
    /// for it (compared in constant time). Checked before anything is looked up, so a refused
    /// link tells nothing about which subscriptions exist.
    pub fn verify_unsubscribe_link(
        &self,
        subscription_arn: &str,
        token: &str,
    ) -> Result<UnsubscribeLink, ServiceError> {
        let refused = || {
            ServiceError::NotAuthorized(
                "the unsubscribe link's token is missing or wrong; use the link of a notification you received".to_owned(),
            )
        };
        if !self.signer.unsubscribe_key().verify(subscription_arn, token) {
            return Err(refused());
        }
        // `arn:aws:sns:{region}:{account}:{topic}:{suffix}`, as `subscription_arn` makes it.
        let parts: Vec<&str> = subscription_arn.splitn(7, ':').collect();
        let [_, _, _, region, account_id, _, _] = parts[..] else {
            return Err(refused());
        };
        let (topic_arn, _) = subscription_arn.rsplit_once(':').ok_or_else(refused)?;
        Ok(UnsubscribeLink {
            subscription_arn: subscription_arn.to_owned(),
            topic_arn: topic_arn.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
        })
    }

    /// The target and endpoint of a link's subscription, if it still exists.
    fn find_subscription(&self, link: &UnsubscribeLink) -> Option<(Target, String)> {
        let targets = lock(&self.targets);
        targets.iter().find_map(|((account, region, name), target)| {
            if *account != link.account_id || *region != link.region {
                return None;
            }
            let topic = topic_arn(region, account, name);
            if topic != link.topic_arn {
                return None;
            }
            target
                .endpoints()
                .into_iter()
                .find(|(protocol, endpoint)| {
                    crate::targets::subscription_arn(&topic, protocol, endpoint)
                        == link.subscription_arn
                })
                .map(|(_, endpoint)| (target.clone(), endpoint.to_owned()))
        })
    }

    /// Whether a link's subscription still exists.
    pub fn subscription_exists(&self, link: &UnsubscribeLink) -> bool {
        self.find_subscription(link).is_some()
    }

    /// Removes the endpoint of a verified link (the envelope's `UnsubscribeURL`); a target
    /// left without endpoints is deleted. Returns the topic ARN.
    pub fn unsubscribe(&self, link: &UnsubscribeLink) -> Result<String, ServiceError> {
        let Some((mut target, endpoint)) = self.find_subscription(link) else {
            return Err(ServiceError::ResourceNotFound(format!(
                "subscription `{}` does not exist",
                link.subscription_arn
            )));
        };
        let (account, region) = (&link.account_id, &link.region);
        target.webhooks.retain(|e| *e != endpoint);
        target.slack_webhooks.retain(|e| *e != endpoint);
        target.emails.retain(|e| *e != endpoint);
        target.email_json.retain(|e| *e != endpoint);
        if target.endpoints().is_empty() {
            self.delete_target(account, region, &target.name)?;
        } else {
            self.put_target(account, region, target, "api")?;
        }
        tracing::info!(topic = link.topic_arn, endpoint = %crate::deliver::redact(&endpoint), "endpoint unsubscribed");
        Ok(link.topic_arn.clone())
    }

    // ---- evaluation -----------------------------------------------------------------------

    /// Feeds one acknowledged record to the engine and applies what changes.
    pub fn observe(&self, record: &str, acknowledged_ms: i64) {
        let now = self.now_ms();
        let mut transitions = Vec::new();
        lock(&self.engine).observe(record, acknowledged_ms, now, &mut transitions);
        if !transitions.is_empty() {
            self.apply(transitions);
        }
    }

    /// Runs the regular evaluations that are due.
    pub fn tick(&self) {
        let now = self.now_ms();
        let mut transitions = Vec::new();
        lock(&self.engine).evaluate_due(now, &mut transitions);
        if !transitions.is_empty() {
            self.apply(transitions);
        }
    }

    /// How far back the alarms look (what a restart replays).
    /// Deletes notifications and alarm history older than 14 days.
    pub fn prune(&self) -> Result<(), catalog::Error> {
        self.catalog.prune_notifications(self.now_ms()).map(|_| ())
    }

    pub fn lookback_ms(&self) -> i64 {
        lock(&self.engine).lookback_ms()
    }

    /// Engine counters.
    pub fn stats(&self) -> crate::engine::EngineStats {
        lock(&self.engine).stats()
    }

    /// Stores each transition with its history item and notifications, then wakes delivery.
    fn apply(&self, transitions: Vec<Transition>) {
        let mut queued = false;
        for t in transitions {
            let name = t.alarm.config().alarm_name.clone();
            let mut notifications = Vec::new();
            for arn in &t.update.actions {
                let target = {
                    let targets = lock(&self.targets);
                    targets
                        .iter()
                        .find(|((a, r, n), _)| *a == t.account_id && topic_arn(r, a, n) == *arn)
                        .map(|(_, target)| target.clone())
                };
                let Some(target) = target else {
                    tracing::warn!(
                        alarm = name,
                        topic = arn,
                        "an alarm action names a notification target that no longer exists; nothing sent there"
                    );
                    continue;
                };
                let id = ingest::write_model::new_id();
                for (protocol, endpoint, document) in render(
                    &t.alarm,
                    &t.update,
                    &t.account_id,
                    &t.region,
                    arn,
                    &target,
                    &id,
                    self.signer.as_ref(),
                ) {
                    notifications.push(NewNotification {
                        account_id: t.account_id.clone(),
                        target_arn: arn.clone(),
                        alarm_name: name.clone(),
                        protocol: protocol.to_owned(),
                        endpoint,
                        document,
                    });
                }
            }
            let row = AlarmRow {
                account_id: t.account_id.clone(),
                region: t.region.clone(),
                alarm_name: name.clone(),
                document: doc::alarm_to_document(&t.alarm),
            };
            let history = AlarmHistoryRow {
                account_id: t.account_id.clone(),
                region: t.region.clone(),
                alarm_name: name.clone(),
                timestamp_ms: t.update.timestamp_ms,
                document: doc::history_item(&name, &t.update).to_string(),
            };
            // An alarm's first evaluation (no data yet → OK) is routine: every alarm does it
            // at start. Anything else is news.
            if t.update.old_state == StateValue::InsufficientData
                && t.update.new_state == StateValue::Ok
            {
                tracing::debug!(alarm = name, account = t.account_id, "alarm initialised: OK");
            } else {
                tracing::info!(
                    alarm = name,
                    account = t.account_id,
                    from = %t.update.old_state,
                    to = %t.update.new_state,
                    notifications = notifications.len(),
                    "alarm state changed"
                );
            }
            queued |= !notifications.is_empty();
            if let Err(err) =
                self.catalog.record_transition(&row, Some(&history), &notifications, self.now_ms())
            {
                tracing::error!(alarm = name, %err, "an alarm transition could not be stored; its notifications are not sent");
            }
        }
        if queued {
            (self.wake_delivery)();
        }
    }
}

#[cfg(test)]
mod tests;
