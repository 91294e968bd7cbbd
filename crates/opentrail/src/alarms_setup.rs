//! Starts metric filters and alarms: the notification signing key, the configured targets,
//! filters and alarms of `opentrail.toml`, and the CIS pack (on by default, installed on first
//! start and kept in step with the configured version, target and threshold).

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use base64::Engine as _;
use catalog::{AlarmStore as _, SettingStore as _};
use metric_alarms::cis::{self, CisVersion};
use metric_alarms::{ALL_ACCOUNTS_LOG_GROUP, AlarmService, EnvelopeSigner, MetricFilter};

const SIGNING_KEY_SETTING: &str = "notifications.signing_key_pkcs8";
const SIGNING_KEY_FROM_SETTING: &str = "notifications.signing_certificate_from";
/// The secret of unsubscribe links' tokens (hex), made at first start; never logged.
const UNSUBSCRIBE_SECRET_SETTING: &str = "notifications.unsubscribe_secret";
const CIS_VERSION_SETTING: &str = "cis_pack.installed_version";

/// Path of the signing certificate under the server's base URL.
pub(crate) const CERT_PATH: &str = "/sns/SimpleNotificationService-opentrail.pem";

/// Signs SNS envelopes with OpenTrail's notification key.
pub(crate) struct Signer {
    key: integrity::SigningKey,
    unsubscribe: metric_alarms::UnsubscribeKey,
    /// `http://host:port`, known once the listener is bound.
    pub(crate) base_url: Arc<OnceLock<String>>,
}

impl EnvelopeSigner for Signer {
    fn sign_base64(&self, string_to_sign: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key.sign(string_to_sign.as_bytes()))
    }

    fn signing_cert_url(&self) -> String {
        format!("{}{CERT_PATH}", self.base_url.get().map_or("", String::as_str))
    }

    fn unsubscribe_url(&self, subscription_arn: &str) -> String {
        let arn: String = form_urlencoded::byte_serialize(subscription_arn.as_bytes()).collect();
        format!(
            "{}/sns/unsubscribe?Action=Unsubscribe&SubscriptionArn={arn}&Token={}",
            self.base_url.get().map_or("", String::as_str),
            self.unsubscribe.token(subscription_arn)
        )
    }

    fn unsubscribe_key(&self) -> &metric_alarms::UnsubscribeKey {
        &self.unsubscribe
    }
}

/// The secret of unsubscribe links (created on first start).
fn unsubscribe_key(catalog: &catalog::Catalog) -> anyhow::Result<metric_alarms::UnsubscribeKey> {
    let mut secret = [0u8; metric_alarms::UNSUBSCRIBE_SECRET_BYTES];
    match catalog.setting(UNSUBSCRIBE_SECRET_SETTING)? {
        Some(text) => {
            let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == secret.len()).context(
                "the stored unsubscribe secret is not 32 bytes of hex; the catalog is damaged",
            )?;
            secret.copy_from_slice(&bytes);
        }
        None => {
            getrandom::fill(&mut secret)
                .map_err(|err| anyhow::anyhow!("{err}"))
                .context("make the unsubscribe secret")?;
            catalog.set_setting(UNSUBSCRIBE_SECRET_SETTING, &hex::encode(secret))?;
        }
    }
    Ok(metric_alarms::UnsubscribeKey::new(secret))
}

/// The notification signing key (created on first start) and its certificate (PEM), with the
/// secret of unsubscribe links.
pub(crate) fn signing_key(
    catalog: &catalog::Catalog,
    now_unix: i64,
) -> anyhow::Result<(Signer, String)> {
    let key = match catalog.setting(SIGNING_KEY_SETTING)? {
        Some(text) => {
            let der = base64::engine::general_purpose::STANDARD.decode(text).context(
                "the stored notification signing key is not base64; the catalog is damaged",
            )?;
            integrity::SigningKey::from_private_pkcs8_der(&der)?
        }
        None => {
            let key = integrity::SigningKey::generate(&mut integrity::OsRng)?;
            let der = key.private_pkcs8_der()?;
            catalog.set_setting(
                SIGNING_KEY_SETTING,
                &base64::engine::general_purpose::STANDARD.encode(der),
            )?;
            key
        }
    };
    // Valid for ten years from the key's first day: the same certificate after every start.
    let valid_from =
        match catalog.setting(SIGNING_KEY_FROM_SETTING)?.and_then(|t| t.parse::<i64>().ok()) {
            Some(from) => from,
            None => {
                let from = now_unix - now_unix.rem_euclid(86_400);
                catalog.set_setting(SIGNING_KEY_FROM_SETTING, &from.to_string())?;
                from
            }
        };
    let pem = key
        .self_signed_certificate_pem("OpenTrail Simple Notification Service", valid_from, 3650)
        .context("make the notification signing certificate")?;
    let unsubscribe = unsubscribe_key(catalog)?;
    Ok((Signer { key, unsubscribe, base_url: Arc::new(OnceLock::new()) }, pem))
}

/// Applies `[[notification_targets]]`, `[[metric_filters]]` and `[[alarms]]` (in the first
/// account and region), then the CIS pack.
pub(crate) fn apply_config(
    service: &AlarmService,
    catalog: &catalog::Catalog,
    config: Option<&settings::Settings>,
    account_id: &str,
    region: &str,
) -> anyhow::Result<()> {
    let default_pack = settings::CisPack::default();
    let pack = config.map_or(&default_pack, |c| &c.cis_pack);
    let configured: Vec<&str> = config
        .map(|c| c.notification_targets.iter().map(|t| t.name.as_str()).collect())
        .unwrap_or_default();
    // Targets that came from the file and are no longer in it go away.
    for row in catalog.targets()? {
        if row.managed_by == "config"
            && row.account_id == account_id
            && row.region == region
            && !configured.contains(&row.name.as_str())
        {
            let _ = service.delete_target(account_id, region, &row.name);
            tracing::info!(
                target = row.name,
                "notification target removed from the configuration file: deleted"
            );
        }
    }
    if let Some(config) = config {
        for t in &config.notification_targets {
            service
                .put_target(account_id, region, t.clone(), "config")
                .map_err(|err| anyhow::anyhow!("notification_targets `{}`: {err}", t.name))?;
        }
        let existing =
            service.metric_filters(account_id, region).map_err(|e| anyhow::anyhow!("{e}"))?;
        for (idx, value) in config.metric_filters.iter().enumerate() {
            let object = value.as_object().context("metric_filters entries are tables")?;
            let mut filter = MetricFilter::from_json(object, service.now_ms())
                .map_err(|err| anyhow::anyhow!("metric_filters[{idx}]: {err}"))?;
            if let Some(old) = existing.iter().find(|f| {
                f.log_group_name == filter.log_group_name && f.filter_name == filter.filter_name
            }) {
                filter.creation_time_ms = old.creation_time_ms;
                if *old == filter {
                    continue;
                }
            }
            service
                .put_metric_filter(account_id, region, filter)
                .map_err(|err| anyhow::anyhow!("metric_filters[{idx}]: {err}"))?;
        }
        for (idx, value) in config.alarms.iter().enumerate() {
            // In the file, an action may name a target instead of giving its ARN.
            let mut value = value.clone();
            for field in ["AlarmActions", "OKActions", "InsufficientDataActions"] {
                if let Some(serde_json::Value::Array(actions)) = value.get_mut(field) {
                    for action in actions.iter_mut() {
                        if let Some(name) = action.as_str().filter(|a| !a.starts_with("arn:")) {
                            *action = serde_json::Value::String(metric_alarms::topic_arn(
                                region, account_id, name,
                            ));
                        }
                    }
                }
            }
            let alarm = metric_alarms::alarm_config_from_json(&value)
                .map_err(|err| anyhow::anyhow!("alarms[{idx}]: {err}"))?;
            put_alarm_if_changed(service, account_id, region, alarm)
                .map_err(|err| anyhow::anyhow!("alarms[{idx}]: {err}"))?;
        }
    }
    install_cis_pack(service, catalog, pack, account_id, region)
}

fn put_alarm_if_changed(
    service: &AlarmService,
    account_id: &str,
    region: &str,
    config: metric_alarms::AlarmConfig,
) -> Result<(), metric_alarms::ServiceError> {
    let unchanged = service
        .all_alarms()
        .iter()
        .any(|(a, r, alarm)| a == account_id && r == region && *alarm.config() == config);
    if unchanged { Ok(()) } else { service.put_alarm(account_id, region, config) }
}

fn install_cis_pack(
    service: &AlarmService,
    catalog: &catalog::Catalog,
    pack: &settings::CisPack,
    account_id: &str,
    region: &str,
) -> anyhow::Result<()> {
    let installed = catalog.setting(CIS_VERSION_SETTING)?;
    let installed_version = installed.as_deref().and_then(CisVersion::parse);
    // Remove what a previous version (or an enabled pack now disabled) installed.
    if let Some(old) = installed_version {
        let new = if pack.enabled { CisVersion::parse(&pack.version) } else { None };
        if new != Some(old) {
            for control in cis::controls(old) {
                let name = control.name(old);
                let _ =
                    service.delete_metric_filter(account_id, region, ALL_ACCOUNTS_LOG_GROUP, &name);
                let _ = service.delete_alarm(account_id, region, &name);
            }
            catalog.set_setting(CIS_VERSION_SETTING, "")?;
            tracing::info!(version = %old, "CIS pack removed");
        }
    }
    if !pack.enabled {
        return Ok(());
    }
    let version = CisVersion::parse(&pack.version).with_context(|| {
        format!("cis_pack.version `{}` is not a known CIS version", pack.version)
    })?;
    let topics: Vec<String> = match &pack.target {
        Some(name) => vec![metric_alarms::topic_arn(region, account_id, name)],
        None => Vec::new(),
    };
    let existing =
        service.metric_filters(account_id, region).map_err(|e| anyhow::anyhow!("{e}"))?;
    let controls = cis::controls(version);
    for control in &controls {
        let name = control.name(version);
        let filter = cis::metric_filter(version, control, ALL_ACCOUNTS_LOG_GROUP, service.now_ms());
        let same = existing.iter().any(|f| {
            f.log_group_name == filter.log_group_name
                && f.filter_name == filter.filter_name
                && f.filter_pattern == filter.filter_pattern
                && f.transformation == filter.transformation
        });
        if !same {
            service
                .put_metric_filter(account_id, region, filter)
                .map_err(|err| anyhow::anyhow!("CIS pack filter `{name}`: {err}"))?;
        }
        let mut alarm = cis::alarm_config(version, control, &topics, pack.threshold);
        alarm.alarm_name = name.clone();
        put_alarm_if_changed(service, account_id, region, alarm)
            .map_err(|err| anyhow::anyhow!("CIS pack alarm `{name}`: {err}"))?;
    }
    let first = installed_version != Some(version);
    catalog.set_setting(CIS_VERSION_SETTING, version.as_str())?;
    match &pack.target {
        Some(target) => tracing::info!(
            version = version.as_str(),
            alarms = controls.len(),
            target = target.as_str(),
            log_group = ALL_ACCOUNTS_LOG_GROUP,
            installed_now = first,
            "CIS pack active: its alarms notify the target"
        ),
        None => tracing::warn!(
            version = version.as_str(),
            alarms = controls.len(),
            log_group = ALL_ACCOUNTS_LOG_GROUP,
            installed_now = first,
            "CIS pack active, but no notification target is configured: its alarms change state and notify nobody. Add a [[notification_targets]] entry (and `cis_pack.target`) to opentrail.toml"
        ),
    }
    Ok(())
}
