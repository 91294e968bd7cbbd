//! What an alarm sends when it changes state: the CloudWatch alarm message of `alarms.md` §8
//! (subject and JSON body, members in the order AWS emits them), the SNS HTTP/HTTPS envelopes
//! of §9.3 with their exact strings to sign, and a Slack-compatible webhook body.
//!
//! Deterministic: message ids, times and signatures are passed in. Not here: RSA signing (the
//! caller signs [`SnsNotification::string_to_sign`] with its key), delivery and retries,
//! subscriptions, and the `lambda`, `sqs` and `email` envelopes.

use crate::config::MetricStatistic;
use crate::limits;
use crate::state::{Alarm, StateUpdate};
use crate::text::{JsonWriter, cloudwatch_time, human_time, iso_time};

/// The notification an alarm publishes to each of its action topics for one state update.
#[derive(Debug, Clone, Copy)]
pub struct AlarmNotification<'a> {
    pub alarm: &'a Alarm,
    pub update: &'a StateUpdate,
    /// The 12-digit account that owns the alarm.
    pub account_id: &'a str,
    /// The region code, e.g. `us-east-1`.
    pub region: &'a str,
}

/// `arn:aws:cloudwatch:{region}:{account}:alarm:{name}` (§8).
pub fn alarm_arn(region: &str, account_id: &str, alarm_name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_name}")
}

const REGION_NAMES: [(&str, &str); 38] = [
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
];

/// The display name of a region (`US East (N. Virginia)`); unknown regions (a self-hosted
/// deployment may invent its own) display as their code.
pub fn region_display_name(region: &str) -> &str {
    REGION_NAMES.iter().find(|(code, _)| *code == region).map_or(region, |(_, name)| name)
}

/// The first `max` characters of `text`.
fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((byte_idx, _)) => &text[..byte_idx],
        None => text,
    }
}

impl AlarmNotification<'_> {
    /// `arn:aws:cloudwatch:{region}:{account}:alarm:{name}`.
    pub fn alarm_arn(&self) -> String {
        alarm_arn(self.region, self.account_id, &self.alarm.config().alarm_name)
    }

    /// The SNS subject: `ALARM: "name" in US East (N. Virginia)`, cut to 100 characters (§8).
    pub fn subject(&self) -> String {
        let subject = format!(
            "{}: \"{}\" in {}",
            self.update.new_state,
            self.alarm.config().alarm_name,
            region_display_name(self.region)
        );
        truncate_chars(&subject, limits::SUBJECT_CHARS_MAX).to_owned()
    }

    /// The alarm message: the JSON text of §8, one line, members in AWS's order.
    pub fn message(&self) -> String {
        let config = self.alarm.config();
        let update = self.update;
        let mut json = JsonWriter::new();
        json.begin_object(None);
        json.string("AlarmName", &config.alarm_name);
        json.optional_string("AlarmDescription", config.alarm_description.as_deref());
        json.string("AWSAccountId", self.account_id);
        json.string(
            "AlarmConfigurationUpdatedTimestamp",
            &cloudwatch_time(self.alarm.configuration_updated_ms()),
        );
        json.string("NewStateValue", update.new_state.as_str());
        json.string("NewStateReason", &update.reason);
        json.string("StateChangeTime", &cloudwatch_time(update.timestamp_ms));
        json.string("Region", region_display_name(self.region));
        json.string("AlarmArn", &self.alarm_arn());
        json.string("OldStateValue", update.old_state.as_str());
        json.string_array("OKActions", &config.ok_actions);
        json.string_array("AlarmActions", &config.alarm_actions);
        json.string_array("InsufficientDataActions", &config.insufficient_data_actions);
        json.begin_object(Some("Trigger"));
        json.string("MetricName", &config.metric.metric_name);
        json.string("Namespace", &config.metric.namespace);
        match &config.statistic {
            MetricStatistic::Statistic(statistic) => {
                json.string("StatisticType", "Statistic");
                json.string("Statistic", statistic.notification_name());
            }
            MetricStatistic::ExtendedStatistic(percentile) => {
                json.string("StatisticType", "ExtendedStatistic");
                json.string("ExtendedStatistic", percentile.as_str());
            }
        }
        json.optional_string("Unit", config.unit.map(|unit| unit.as_str()));
        json.begin_array("Dimensions");
        for dimension in &config.metric.dimensions {
            json.begin_object(None);
            json.string("value", &dimension.value);
            json.string("name", &dimension.name);
            json.end_object();
        }
        json.end_array();
        json.integer("Period", u64::from(config.period_seconds));
        json.integer("EvaluationPeriods", u64::from(config.evaluation_periods));
        json.integer("DatapointsToAlarm", u64::from(config.datapoints_to_alarm_or_default()));
        json.string("ComparisonOperator", config.comparison_operator.as_str());
        json.double("Threshold", config.threshold);
        // The decoration AWS's messages carry, padding included (§8).
        json.string(
            "TreatMissingData",
            &format!("- TreatMissingData:                    {}", config.treat_missing_data),
        );
        json.string(
            "EvaluateLowSampleCountPercentile",
            config.evaluate_low_sample_count_percentile.map_or("", |e| e.as_str()),
        );
        json.end_object();
        json.end_object();
        json.finish()
    }

    /// The SNS notification to `topic_arn` that carries this alarm message.
    pub fn sns_notification(&self, envelope: SnsEnvelope) -> SnsNotification {
        SnsNotification {
            message_id: envelope.message_id,
            topic_arn: envelope.topic_arn,
            subject: Some(self.subject()),
            message: self.message(),
            timestamp_ms: envelope.timestamp_ms,
            signature_version: envelope.signature_version,
            signing_cert_url: envelope.signing_cert_url,
            unsubscribe_url: envelope.unsubscribe_url,
        }
    }

    /// A Slack incoming-webhook body: `{"text": …}` with a short message naming the alarm, the
    /// new (and old) state, the region, the time and the reason. `&`, `<` and `>` are escaped
    /// as Slack requires.
    pub fn slack_message(&self) -> String {
        let config = self.alarm.config();
        let update = self.update;
        let text = format!(
            "*{}*: \"{}\" in {} (was {}) at {}\n{}",
            update.new_state,
            slack_escape(&config.alarm_name),
            slack_escape(region_display_name(self.region)),
            update.old_state,
            human_time(update.timestamp_ms),
            slack_escape(&update.reason),
        );
        let mut json = JsonWriter::new();
        json.begin_object(None);
        json.string("text", &text);
        json.end_object();
        json.finish()
    }
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `SignatureVersion` of an SNS topic (§9.1): 1 signs with SHA1withRSA, 2 with SHA256withRSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V1,
    V2,
}

impl SignatureVersion {
    /// `"1"` or `"2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVersion::V1 => "1",
            SignatureVersion::V2 => "2",
        }
    }
}

/// The per-delivery fields of an SNS envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsEnvelope {
    /// A UUID, unique per publish and reused on retries.
    pub message_id: String,
    pub topic_arn: String,
    /// Publish time, Unix milliseconds.
    pub timestamp_ms: i64,
    pub signature_version: SignatureVersion,
    pub signing_cert_url: String,
    pub unsubscribe_url: String,
}

/// An SNS `Notification` as delivered to HTTP/HTTPS endpoints (§9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsNotification {
    pub message_id: String,
    pub topic_arn: String,
    /// Present only when the publisher gave one.
    pub subject: Option<String>,
    pub message: String,
    /// Publish time, Unix milliseconds.
    pub timestamp_ms: i64,
    pub signature_version: SignatureVersion,
    pub signing_cert_url: String,
    pub unsubscribe_url: String,
}

/// An SNS string to sign: every present member as `name\nvalue\n`, in the order given.
fn signed_string(members: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in members {
        if let Some(value) = value {
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

impl SnsNotification {
    /// `Timestamp`: `2012-05-02T00:54:06.655Z`.
    pub fn timestamp(&self) -> String {
        iso_time(self.timestamp_ms)
    }

    /// The string to sign (§9.3): `Message`, `MessageId`, `Subject` (if present),
    /// `Timestamp`, `TopicArn`, `Type`, each as `name\nvalue\n`.
    pub fn string_to_sign(&self) -> String {
        signed_string(&[
            ("Message", Some(&self.message)),
            ("MessageId", Some(&self.message_id)),
            ("Subject", self.subject.as_deref()),
            ("Timestamp", Some(&self.timestamp())),
            ("TopicArn", Some(&self.topic_arn)),
            ("Type", Some("Notification")),
        ])
    }

    /// The POST body, with `signature` (Base64) computed over [`Self::string_to_sign`].
    pub fn body(&self, signature: &str) -> String {
        let mut json = JsonWriter::new();
        json.begin_object(None);
        json.string("Type", "Notification");
        json.string("MessageId", &self.message_id);
        json.string("TopicArn", &self.topic_arn);
        if let Some(subject) = &self.subject {
            json.string("Subject", subject);
        }
        json.string("Message", &self.message);
        json.string("Timestamp", &self.timestamp());
        json.string("SignatureVersion", self.signature_version.as_str());
        json.string("Signature", signature);
        json.string("SigningCertURL", &self.signing_cert_url);
        json.string("UnsubscribeURL", &self.unsubscribe_url);
        json.end_object();
        json.finish()
    }

    /// The HTTP headers of the POST, in the order of §9.3.
    pub fn headers(&self, subscription_arn: &str) -> Vec<(&'static str, String)> {
        vec![
            ("x-amz-sns-message-type", "Notification".to_owned()),
            ("x-amz-sns-message-id", self.message_id.clone()),
            ("x-amz-sns-topic-arn", self.topic_arn.clone()),
            ("x-amz-sns-subscription-arn", subscription_arn.to_owned()),
            ("Content-Type", "text/plain; charset=UTF-8".to_owned()),
            ("User-Agent", "Amazon Simple Notification Service Agent".to_owned()),
        ]
    }
}

/// Which confirmation an [`SnsConfirmation`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationType {
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl ConfirmationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationType::SubscriptionConfirmation => "SubscriptionConfirmation",
            ConfirmationType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// A `SubscriptionConfirmation` or `UnsubscribeConfirmation` message (§9.2, §9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsConfirmation {
    pub confirmation_type: ConfirmationType,
    pub message_id: String,
    pub token: String,
    pub topic_arn: String,
    /// Human text, e.g. "You have chosen to subscribe to the topic …".
    pub message: String,
    pub subscribe_url: String,
    pub timestamp_ms: i64,
    pub signature_version: SignatureVersion,
    pub signing_cert_url: String,
}

impl SnsConfirmation {
    pub fn timestamp(&self) -> String {
        iso_time(self.timestamp_ms)
    }

    /// The string to sign (§9.3): `Message`, `MessageId`, `SubscribeURL`, `Timestamp`,
    /// `Token`, `TopicArn`, `Type`.
    pub fn string_to_sign(&self) -> String {
        signed_string(&[
            ("Message", Some(&self.message)),
            ("MessageId", Some(&self.message_id)),
            ("SubscribeURL", Some(&self.subscribe_url)),
            ("Timestamp", Some(&self.timestamp())),
            ("Token", Some(&self.token)),
            ("TopicArn", Some(&self.topic_arn)),
            ("Type", Some(self.confirmation_type.as_str())),
        ])
    }

    /// The POST body, with `signature` (Base64) computed over [`Self::string_to_sign`].
    pub fn body(&self, signature: &str) -> String {
        let mut json = JsonWriter::new();
        json.begin_object(None);
        json.string("Type", self.confirmation_type.as_str());
        json.string("MessageId", &self.message_id);
        json.string("Token", &self.token);
        json.string("TopicArn", &self.topic_arn);
        json.string("Message", &self.message);
        json.string("SubscribeURL", &self.subscribe_url);
        json.string("Timestamp", &self.timestamp());
        json.string("SignatureVersion", self.signature_version.as_str());
        json.string("Signature", signature);
        json.string("SigningCertURL", &self.signing_cert_url);
        json.end_object();
        json.finish()
    }

    /// The HTTP headers; `x-amz-sns-subscription-arn` is sent for unsubscribe confirmations
    /// only (§9.3: not on `SubscriptionConfirmation`).
    pub fn headers(&self, subscription_arn: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("x-amz-sns-message-type", self.confirmation_type.as_str().to_owned()),
            ("x-amz-sns-message-id", self.message_id.clone()),
            ("x-amz-sns-topic-arn", self.topic_arn.clone()),
        ];
        if let (ConfirmationType::UnsubscribeConfirmation, Some(arn)) =
            (self.confirmation_type, subscription_arn)
        {
            headers.push(("x-amz-sns-subscription-arn", arn.to_owned()));
        }
        headers.push(("Content-Type", "text/plain; charset=UTF-8".to_owned()));
        headers.push(("User-Agent", "Amazon Simple Notification Service Agent".to_owned()));
        headers
    }
}
