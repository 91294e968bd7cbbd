//! OpenTrail's settings: the `opentrail.toml` schema (server scalars, accounts, IAM-style users
//! and roles with access keys and policies, an AWS Organization, the S3 stores holding trail
//! buckets), its validation with secure defaults, and IAM-like authorization of API calls.
//!
//! This crate does no IO: [`Settings::from_toml`] takes the file's text and the environment as
//! a map, and [`authorize`] is a pure function. Reading files and the process environment is
//! the binary's job.
//!
//! Loading runs in this order: size check, TOML syntax, `version`, `OPENTRAIL_*` overrides
//! ([`ENV_OVERRIDES`]), `${VAR}` expansion in the other string values, the schema (unknown keys
//! rejected, with their key path), then the cross-field rules. Every problem reads
//! `` `key.path` `` plus what is wrong, offending values in backticks (never secrets); all rule
//! violations are reported at once ([`Error::problems`]).
//!
//! Expansion: `${VAR}` is the value of `VAR` (an error if unset); `${VAR:-default}` falls back
//! to `default` when `VAR` is unset or empty; `$${` is a literal `${`. It applies to parsed
//! string values only (never keys or comments), so an environment value cannot inject TOML.
//!
//! Not here: STS (`AssumeRole`; roles are configured so sessions can be built later), IAM
//! groups, policy conditions, `NotAction`/`NotResource`, resource-based policies, SCPs,
//! CloudTrail delegated administrators, and writing the bootstrap account (the binary does
//! that when no `[[accounts]]` are configured; see [`Settings::needs_bootstrap`]).

mod authz;
mod error;
mod identity;
mod interpolate;
pub mod limits;
pub mod pattern;
mod policy;
mod schema;
mod stores;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use authz::{AuthzRequest, Decision, DenyReason, authorize, is_read_only_action};
pub use error::{Error, Problem, ProblemKind};
pub use identity::{
    AccessKey, AccessKeyEntry, Account, Organization, Principal, PrincipalType, Role, Secret, User,
};
pub use interpolate::ENV_OVERRIDES;
pub use policy::{
    ADMINISTRATOR_ACCESS, ActionPattern, BUILTIN_POLICY_NAMES, CLOUDTRAIL_ACTIONS,
    CLOUDTRAIL_FULL_ACCESS, CLOUDTRAIL_READ_ONLY_ACCESS, Effect, Policy, PolicyKind,
    ResourcePattern, Statement,
};
pub use stores::{Addressing, S3Store};
pub use validate::{DEFAULT_LISTEN, DEFAULT_REGION};

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Validated settings. The scalar fields are public so the binary can apply command-line flags
/// on top; the identities are reached through methods because their invariants (unique ids,
/// resolved references) were checked together.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the API listens. Default `127.0.0.1:9471`.
    pub listen: SocketAddr,
    /// Directory for all state; `None` lets the binary choose.
    pub data_dir: Option<PathBuf>,
    /// Region of the account created on first start. Default `us-east-1`.
    pub region: String,
    /// How long a log file collects events before delivery; `None` lets the binary choose
    /// (60 s). Between 100 ms and 1 h.
    pub delivery_interval: Option<std::time::Duration>,
    /// How often digests close; `None` lets the binary choose (1 h). Whole seconds, 1 s to
    /// 24 h.
    pub digest_interval: Option<std::time::Duration>,
    /// How long event history keeps events; `None` lets the binary choose (90 days, as AWS).
    /// Between 10 s and 3650 days.
    pub history_retention: Option<std::time::Duration>,
    /// Whether the first start creates the default trail. Default `true`.
    pub default_trail: bool,
    accounts: Vec<Account>,
    organization: Option<Organization>,
    users: Vec<User>,
    roles: Vec<Role>,
    s3_stores: Vec<S3Store>,
    /// The SMTP relay for email notifications.
    pub smtp: Option<Smtp>,
    /// Notification retries.
    pub notifications: NotificationPolicy,
    /// Notification targets of the first account.
    pub notification_targets: Vec<NotificationTarget>,
    /// The CIS pack.
    pub cis_pack: CisPack,
    /// `[[alarms]]` as JSON objects with PutMetricAlarm member names (checked by the binary).
    pub alarms: Vec<serde_json::Value>,
    /// `[[metric_filters]]` as JSON objects with PutMetricFilter member names.
    pub metric_filters: Vec<serde_json::Value>,
}

/// `[smtp]`, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
}

/// How the SMTP connection uses TLS (`smtp.tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS when the relay offers it, plain text otherwise (`opportunistic`, the default).
    Opportunistic,
    /// STARTTLS, required (`starttls`).
    StartTls,
    /// TLS from the first byte, port 465 (`tls`).
    Tls,
    /// Plain text, a relay on the same host or network (`none`).
    None,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// `[notifications]`, validated: how failed notifications are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationPolicy {
    /// Attempts after the first (AWS's HTTP default: 3).
    pub retries: u32,
    /// Wait before the first retry; each later wait doubles.
    pub backoff: std::time::Duration,
    /// One attempt's time limit.
    pub timeout: std::time::Duration,
}

impl NotificationPolicy {
    /// The wait after failed attempt number `attempts` (1-based), or `None` when none is left.
    pub fn next_delay(&self, attempts: u32) -> Option<std::time::Duration> {
        if attempts > self.retries {
            return None;
        }
        let factor = 1u32 << attempts.saturating_sub(1).min(16);
        Some(self.backoff.saturating_mul(factor))
    }
}

/// One `[[notification_targets]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationTarget {
    pub name: String,
    pub webhooks: Vec<String>,
    pub slack_webhooks: Vec<String>,
    pub emails: Vec<String>,
    /// Addresses receiving the SNS JSON envelope (`email-json`).
    pub email_json: Vec<String>,
    pub raw_message_delivery: bool,
}

/// `[cis_pack]`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct CisPack {
    pub enabled: bool,
    pub version: String,
    pub target: Option<String>,
    pub threshold: f64,
}

impl Default for CisPack {
    fn default() -> CisPack {
        CisPack { enabled: true, version: "v3.0".to_owned(), target: None, threshold: 1.0 }
    }
}

impl Default for NotificationPolicy {
    fn default() -> NotificationPolicy {
        NotificationPolicy {
            retries: 3,
            backoff: std::time::Duration::from_secs(20),
            timeout: std::time::Duration::from_secs(15),
        }
    }
}

impl Settings {
    /// Parses and validates a settings file. `env` stands for the process environment; it is
    /// used for `${VAR}` expansion and the [`ENV_OVERRIDES`].
    pub fn from_toml(text: &str, env: &BTreeMap<String, String>) -> Result<Settings> {
        if text.len() > limits::SETTINGS_TEXT_BYTES_MAX {
            return Err(Error::TooLarge { n_bytes: text.len() });
        }
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|err| Error::Syntax { message: syntax_message(text, &err) })?;
        match table.get("version") {
            None => return Err(Error::VersionMissing),
            Some(toml::Value::Integer(1)) => {}
            Some(other) => return Err(Error::VersionUnsupported { found: other.to_string() }),
        }
        let overridden = interpolate::apply_overrides(&mut table, env);
        let literal_keys: Vec<&str> = overridden.iter().map(|(key, _)| *key).collect();
        let mut problems = Vec::new();
        interpolate::expand_table(&mut table, env, &literal_keys, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let file: schema::FileV1 = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|err| {
                Error::Invalid(vec![schema_problem(err.path().to_string(), &err.into_inner())])
            })?;
        validate::validate(file).map_err(|mut problems| {
            for problem in &mut problems {
                if let Some((_, variable)) = overridden.iter().find(|(key, _)| *key == problem.path)
                {
                    problem.message.push_str(&format!(" (set by `{variable}`)"));
                }
            }
            Error::Invalid(problems)
        })
    }

    /// The configured accounts, in file order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The organization, if configured.
    pub fn organization(&self) -> Option<&Organization> {
        self.organization.as_ref()
    }

    /// The S3-compatible stores holding trail buckets, in file order (the first match wins).
    pub fn s3_stores(&self) -> &[S3Store] {
        &self.s3_stores
    }

    /// The IAM users, in file order.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The IAM roles, in file order.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The role `name` (case-insensitive, as IAM names are) of `account_id`.
    pub fn role(&self, account_id: &str, name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|role| role.account_id == account_id && role.name.eq_ignore_ascii_case(name))
    }

    /// The user `name` (case-insensitive) of `account_id`.
    pub fn user(&self, account_id: &str, name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|user| user.account_id == account_id && user.name.eq_ignore_ascii_case(name))
    }

    /// True when no account is configured: the binary then bootstraps one account and a root
    /// access key on first start, as before this file existed.
    pub fn needs_bootstrap(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Every principal that can hold access keys: each account's root, then each user.
    /// Roles are not listed; their sessions come from [`Role::session`].
    pub fn principals(&self) -> Vec<Principal> {
        let roots = self.accounts.iter().map(Account::root);
        roots.chain(self.users.iter().map(User::principal)).collect()
    }

    /// Every configured access key with its principal, for synchronising the catalog.
    pub fn access_keys(&self) -> Vec<AccessKeyEntry> {
        let mut entries = Vec::new();
        for account in &self.accounts {
            let root = account.root();
            entries
                .extend(account.root_access_keys.iter().map(|key| AccessKeyEntry::new(key, &root)));
        }
        for user in &self.users {
            let principal = user.principal();
            entries.extend(user.access_keys.iter().map(|key| AccessKeyEntry::new(key, &principal)));
        }
        entries
    }

    /// The principal that owns `access_key_id`, whether the key is active or not.
    pub fn principal_for_access_key(&self, access_key_id: &str) -> Option<Principal> {
        let has_key = |keys: &[AccessKey]| keys.iter().any(|key| key.id == access_key_id);
        if let Some(account) = self.accounts.iter().find(|a| has_key(&a.root_access_keys)) {
            return Some(account.root());
        }
        self.users.iter().find(|user| has_key(&user.access_keys)).map(User::principal)
    }

    /// The root or user principal whose ARN is `arn`.
    pub fn principal_by_arn(&self, arn: &str) -> Option<Principal> {
        self.principals().into_iter().find(|principal| principal.arn == arn)
    }
}

/// Parses a duration written as a whole number with a unit: `500ms`, `2s`, `5m`, `1h`, `90d` (a bare
/// number is seconds). The error says what is wrong and what would be right.
pub fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shape = || format!("`{text}` is not a duration like `60s`, `500ms` or `5m`");
    let n: u64 = number.parse().map_err(|_| shape())?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}`: unknown unit `{unit}`; use ms, s, m, h or d")),
    };
    let millis = n.checked_mul(millis_per_unit).ok_or_else(shape)?;
    Ok(std::time::Duration::from_millis(millis))
}

/// `line L, column C: message`, without quoting the offending line (it may hold a secret).
fn syntax_message(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim_end();
    let Some(span) = err.span() else { return message.to_owned() };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |line| line.chars().count()) + 1;
    format!("line {line}, column {column}: {message}")
}

/// Turns a serde error at `path` into a problem. serde's messages have fixed shapes
/// ("unknown field `x`, expected ...", "missing field `x`", "invalid type: ..."); toml appends
/// its own key context on a second line, which the path already says better.
fn schema_problem(path: String, err: &toml::de::Error) -> Problem {
    let message = err.message();
    let message = message.lines().next().unwrap_or_default().trim();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let expected = rest.split_once("`, ").map_or("", |(_, expected)| expected);
        return Problem::new(
            path,
            ProblemKind::UnknownKey,
            format!("is not a known key; {expected}"),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.trim_end_matches('`');
        let full_path = if path == "." { field.to_owned() } else { format!("{path}.{field}") };
        return Problem::new(full_path, ProblemKind::MissingKey, "is required");
    }
    let path = if path == "." { String::new() } else { path };
    Problem::new(path, ProblemKind::WrongType, format!("has the wrong type or value: {message}"))
}

#[cfg(test)]
mod tests;
