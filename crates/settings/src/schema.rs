//! The settings file as written, version 1: serde structs that reject unknown keys.
//!
//! This is the file format and nothing more; `validate.rs` turns it into [`crate::Settings`]
//! and checks every bound. Each field says its default and its bounds (the bounds live in
//! [`crate::limits`]). String values may use `${VAR}` / `${VAR:-default}` (see `interpolate.rs`).

use serde::Deserialize;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileV1 {
    /// Required, and must be `1`. Checked before anything else, so a file from a newer
    /// OpenTrail fails with "unsupported version" rather than with unknown keys.
    #[allow(dead_code, reason = "checked on the raw table before deserialization")]
    pub(crate) version: i64,
    /// Address the API serves on, `ip:port`. Default `127.0.0.1:9471` (loopback only: exposing
    /// the API is a decision to write down). Override: `OPENTRAIL_LISTEN`.
    pub(crate) listen: Option<String>,
    /// Directory for all state, 1 to 4096 characters. Default: none here; the binary picks
    /// `$XDG_DATA_HOME/opentrail`. Override: `OPENTRAIL_DATA_DIR`.
    pub(crate) data_dir: Option<String>,
    /// Region of the account created on first start, like `us-east-1`. Default `us-east-1`.
    /// Override: `OPENTRAIL_REGION`.
    pub(crate) region: Option<String>,
    /// How long a log file collects events before it is delivered: `500ms`, `2s`, `5m`; 100 ms
    /// to 1 h. Default: none here; the binary uses 60 s (AWS: about 5 minutes). The command
    /// line's `--delivery-interval` wins. Override: `OPENTRAIL_DELIVERY_INTERVAL`.
    pub(crate) delivery_interval: Option<String>,
    /// How often a signed digest closes for each validating trail: `5s`, `1h`; whole seconds,
    /// 1 s to 24 h. Default: none here; the binary uses 1 h (as AWS). The command line's
    /// `--digest-interval` wins. Override: `OPENTRAIL_DIGEST_INTERVAL`.
    pub(crate) digest_interval: Option<String>,
    /// How long event history (LookupEvents) keeps events: `90d`, `12h`; 10 s to 3650 days.
    /// Default: none here; the binary uses 90 days (as AWS). The command line's
    /// `--history-retention` wins. Override: `OPENTRAIL_HISTORY_RETENTION`.
    pub(crate) history_retention: Option<String>,
    /// Whether the first start creates the default trail (multi-region, global service
    /// events, log file validation, logging, into a local bucket). Default `true`.
    pub(crate) default_trail: Option<bool>,
    /// Accounts. Default: none, in which case the binary bootstraps one account with a root key
    /// on first start. Ids unique.
    #[serde(default)]
    pub(crate) accounts: Vec<AccountV1>,
    /// The organization. Default: none (no organization trails can be read across accounts).
    pub(crate) organization: Option<OrganizationV1>,
    /// Customer managed policies, attachable by name. Default: none. Names unique (ignoring
    /// case) and different from the built-in AWS managed policy names.
    #[serde(default)]
    pub(crate) policies: Vec<PolicyV1>,
    /// IAM users. Default: none. `(account, name)` unique, names compared ignoring case.
    #[serde(default)]
    pub(crate) users: Vec<UserV1>,
    /// IAM roles. Default: none. `(account, name)` unique, names compared ignoring case.
    #[serde(default)]
    pub(crate) roles: Vec<RoleV1>,
    /// S3-compatible stores holding trail buckets. Default: none (every bucket lives in the
    /// embedded local store). Names unique; at most 32 stores.
    #[serde(default)]
    pub(crate) s3_stores: Vec<S3StoreV1>,
    /// The SMTP relay email notifications go through. Default: none (email targets fail with
    /// an error in the notification history).
    pub(crate) smtp: Option<SmtpV1>,
    /// Retries of failed notifications. Default: 3 retries, 20 s backoff doubling each time.
    pub(crate) notifications: Option<NotificationsV1>,
    /// Notification targets (SNS-style topics) of the first account, in its region. Default:
    /// none. Names unique; at most 100.
    #[serde(default)]
    pub(crate) notification_targets: Vec<NotificationTargetV1>,
    /// The CIS AWS Foundations Benchmark monitoring pack. Default: on, version `v3.0`.
    pub(crate) cis_pack: Option<CisPackV1>,
    /// Metric alarms of the first account, in PutMetricAlarm's member names (`AlarmName`,
    /// `MetricName`, `Namespace`, `Statistic`, `Period`, …), checked at start. Default: none.
    #[serde(default)]
    pub(crate) alarms: Vec<toml::Table>,
    /// Metric filters of the first account, in PutMetricFilter's member names (`filterName`,
    /// `logGroupName`, `filterPattern`, `metricTransformations`), checked at start. Default:
    /// none.
    #[serde(default)]
    pub(crate) metric_filters: Vec<toml::Table>,
}

/// `[smtp]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmtpV1 {
    /// Required. Host name or address, 1 to 253 characters.
    pub(crate) host: String,
    /// Default: 25 with `tls = "opportunistic"` or `"none"`, 587 with `"starttls"`, 465 with
    /// `"tls"`.
    pub(crate) port: Option<u16>,
    /// The `From:` address. Default `opentrail@localhost`.
    pub(crate) from: Option<String>,
    /// Default: none (no authentication). With `password`.
    pub(crate) username: Option<String>,
    /// Default: none. Write `"${VAR}"` to keep it out of the file.
    pub(crate) password: Option<String>,
    /// `"opportunistic"` (STARTTLS when offered), `"starttls"` (required), `"tls"` (from the
    /// first byte) or `"none"`. Default `"opportunistic"`, or `"starttls"` with a `password`
    /// (which refuses `"opportunistic"`: a stripped STARTTLS offer would expose it).
    pub(crate) tls: Option<String>,
}

/// `[notifications]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationsV1 {
    /// Attempts after the first, 0 to 10. Default 3 (AWS SNS's HTTP default).
    pub(crate) retries: Option<u32>,
    /// Wait before the first retry, doubling after each: 100 ms to 1 h. Default `20s`.
    pub(crate) backoff: Option<String>,
    /// One attempt's time limit, 1 s to 5 min. Default `15s`.
    pub(crate) timeout: Option<String>,
}

/// `[[notification_targets]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationTargetV1 {
    /// Required. 1 to 256 characters of `A-Za-z0-9_-`; the topic ARN is
    /// `arn:aws:sns:<region>:<account>:<name>`.
    pub(crate) name: String,
    /// HTTP(S) endpoints receiving the SNS envelope with the CloudWatch alarm message.
    #[serde(default)]
    pub(crate) webhooks: Vec<String>,
    /// Slack-compatible incoming-webhook URLs.
    #[serde(default)]
    pub(crate) slack_webhooks: Vec<String>,
    /// Email addresses (needs `[smtp]`).
    #[serde(default)]
    pub(crate) emails: Vec<String>,
    /// Email addresses receiving the SNS JSON envelope instead (SNS `email-json`).
    #[serde(default)]
    pub(crate) email_json: Vec<String>,
    /// Webhooks receive the bare alarm message instead of the envelope. Default false.
    #[serde(default)]
    pub(crate) raw_message_delivery: bool,
}

/// `[cis_pack]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CisPackV1 {
    /// Default true.
    pub(crate) enabled: Option<bool>,
    /// `v1.2`, `v1.4`, `v1.5`, `v2.0`, `v3.0`, `v4.0`, `v5.0` or `security-hub`. Default `v3.0`.
    pub(crate) version: Option<String>,
    /// The notification target the pack's alarms notify. Default: the only target, if exactly
    /// one is configured; otherwise none (the alarms change state and notify nobody).
    pub(crate) target: Option<String>,
    /// The alarms' threshold (events per 5 minutes), 1 to 1000000. Default 1 (CIS).
    pub(crate) threshold: Option<f64>,
}

/// `[[s3_stores]]`: where trails whose `S3BucketName` matches `buckets` deliver.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct S3StoreV1 {
    /// Required. 1 to 64 characters of `[a-z0-9-]`; names the store in errors and logs.
    pub(crate) name: String,
    /// Default: AWS S3 itself. An `http://` or `https://` URL, at most 2048 characters.
    pub(crate) endpoint: Option<String>,
    /// Required. The region requests are signed for, like `us-east-1`.
    pub(crate) region: String,
    /// Required. 1 to 128 characters.
    pub(crate) access_key_id: String,
    /// Required. 1 to 256 characters; write `"${VAR}"` to keep it out of the file.
    pub(crate) secret_access_key: String,
    /// Default: none. For temporary credentials, at most 4096 characters.
    pub(crate) session_token: Option<String>,
    /// `"path"` (`<endpoint>/<bucket>/<key>`) or `"virtual"` (`<bucket>.<host>/<key>`).
    /// Default: `"path"` with an `endpoint`, `"virtual"` for AWS S3.
    pub(crate) addressing: Option<String>,
    /// Required. 1 to 100 bucket names or patterns (`*` matches any run of characters), each
    /// 1 to 63 characters of `[a-z0-9.-*]`. A bucket goes to the first store, in file order,
    /// that matches it; an exact name may appear in only one store.
    pub(crate) buckets: Vec<String>,
}

/// `[[accounts]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountV1 {
    /// Required. Exactly 12 digits.
    pub(crate) id: String,
    /// Required. 1 to 50 characters, no control characters.
    pub(crate) name: String,
    /// Access keys of the root user. Default: none. At most 2.
    #[serde(default)]
    pub(crate) root_access_keys: Vec<AccessKeyV1>,
}

/// `[organization]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationV1 {
    /// Required. `o-` followed by 10 to 32 lowercase letters or digits.
    pub(crate) id: String,
    /// Required. A configured account id.
    pub(crate) management_account: String,
    /// Default: every configured account except the management account. Each a configured
    /// account id, listed once, never the management account.
    pub(crate) member_accounts: Option<Vec<String>>,
}

/// An access key, in `root_access_keys` or a user's `access_keys`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessKeyV1 {
    /// Required. `AKIA` + 16 characters of `[A-Z2-7]`; unique across the whole file.
    pub(crate) id: String,
    /// Required. 40 to 128 characters of `[A-Za-z0-9+/]`. Write `"${SOME_VAR}"` to keep it out
    /// of the file.
    pub(crate) secret: String,
    /// Default `true`. An inactive key keeps its id reserved but never authenticates.
    #[serde(default = "default_active")]
    pub(crate) active: bool,
}

fn default_active() -> bool {
    true
}

/// Writes the struct of `[[users]]` or `[[roles]]`: the fields both have, with the kind's own
/// fields after `path` (serde names the fields in this order when it rejects an unknown one).
macro_rules! principal_v1 {
    ($(#[$doc:meta])* $name:ident { $($(#[$meta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            /// Required. A configured account id.
            pub(crate) account: String,
            /// Required. 1 to 64 characters of `[A-Za-z0-9+=,.@_-]`.
            pub(crate) name: String,
            /// Default `/`. Starts and ends with `/`, at most 512 printable ASCII characters.
            pub(crate) path: Option<String>,
            $($(#[$meta])* pub(crate) $field: $ty,)*
            /// Names of built-in or `[[policies]]` policies. Default: none (the principal may do
            /// nothing). Each listed once; with `statements`, at most 20 policies.
            #[serde(default)]
            pub(crate) policies: Vec<String>,
            /// An inline policy. Default: none.
            #[serde(default)]
            pub(crate) statements: Vec<StatementV1>,
        }
    };
}

principal_v1! {
    /// `[[users]]`.
    UserV1 {
        /// Default: none. At most 2.
        #[serde(default)]
        access_keys: Vec<AccessKeyV1>,
    }
}

principal_v1! {
    /// `[[roles]]`.
    RoleV1 {}
}

/// `[[policies]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyV1 {
    /// Required. 1 to 128 characters of `[A-Za-z0-9+=,.@_-]`.
    pub(crate) name: String,
    /// Optional free text for people reading the file.
    #[allow(dead_code, reason = "documentation for readers of the file")]
    pub(crate) description: Option<String>,
    /// Required. 1 to 100 statements.
    pub(crate) statements: Vec<StatementV1>,
}

/// One statement, in `[[policies]]` or inline.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatementV1 {
    /// Optional statement id, at most 128 characters of `[A-Za-z0-9]`.
    pub(crate) sid: Option<String>,
    /// Required. `Allow` or `Deny`.
    pub(crate) effect: EffectV1,
    /// Required. 1 to 100 action patterns: `*` or `service:Name` with `*`/`?` in `Name`, at
    /// most 128 characters. `cloudtrail:` and `cloudtrail-data:` patterns must match a known
    /// action.
    pub(crate) actions: Vec<String>,
    /// Required. 1 to 100 resource patterns: `*` or an ARN with `*`/`?`, at most 2048
    /// characters.
    pub(crate) resources: Vec<String>,
}

/// `effect`.
#[derive(Deserialize, Clone, Copy)]
pub(crate) enum EffectV1 {
    Allow,
    Deny,
}
