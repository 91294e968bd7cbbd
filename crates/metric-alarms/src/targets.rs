//! Notification targets — the topics alarm actions name — and what one alarm transition sends
//! to each of their endpoints, rendered once and stored so retries send the same bytes.
//!
//! A target is an SNS-style topic `arn:aws:sns:{region}:{account}:{name}` whose endpoints are
//! confirmed by whoever configured them: HTTP(S) webhooks receive the SNS `Notification`
//! envelope (signed, SignatureVersion 2) carrying the CloudWatch alarm message, Slack-compatible
//! webhooks a `{"text": …}` body, and email addresses the alarm message over SMTP.

use serde_json::{Map, Value, json};

use crate::notify::{AlarmNotification, SignatureVersion, SnsEnvelope};
use crate::state::{Alarm, StateUpdate};

/// Endpoints of each kind per target.
pub(crate) const ENDPOINTS_PER_KIND_MAX: usize = 10;
/// Longest endpoint URL.
pub(crate) const URL_CHARS_MAX: usize = 2048;
/// Longest email address (RFC 5321 path limit).
pub(crate) const EMAIL_CHARS_MAX: usize = 254;

/// A bad target definition: the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TargetError {
    pub message: String,
}

fn bad(message: impl Into<String>) -> TargetError {
    TargetError { message: message.into() }
}

/// A notification target (an SNS-style topic with its endpoints): one type with the
/// configuration file's `[[notification_targets]]`; what this crate does with it is
/// [`TargetRules`].
pub use settings::NotificationTarget as Target;

/// The topic ARN of target `name`.
pub fn topic_arn(region: &str, account_id: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account_id}:{name}")
}

fn check_url(field: &str, url: &str) -> Result<(), TargetError> {
    if url.chars().count() > URL_CHARS_MAX {
        return Err(bad(format!("{field} `{url}` is longer than {URL_CHARS_MAX} characters")));
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !url.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(bad(format!("{field} `{url}` must be an http:// or https:// URL with a host"))),
    }
}

fn check_email(address: &str) -> Result<(), TargetError> {
    let ok = address.chars().count() <= EMAIL_CHARS_MAX
        && !address.contains(|c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "Emails member `{address}` is not an email address like `soc@example.com`"
        )))
    }
}

/// The rules and shapes of a [`Target`]: validation, the JSON API / stored document, and its
/// endpoints.
pub trait TargetRules: Sized {
    /// Checks every rule; the message names the field.
    fn validate(&self) -> Result<(), TargetError>;
    /// Reads the JSON API / stored shape: `Name`, `Webhooks`, `SlackWebhooks`, `Emails`,
    /// `RawMessageDelivery`; validates.
    fn from_json(value: &Value) -> Result<Self, TargetError>;
    /// The JSON API / stored shape, with the topic ARN.
    fn to_json(&self, region: &str, account_id: &str) -> Value;
    /// Every endpoint as (protocol, endpoint).
    fn endpoints(&self) -> Vec<(&'static str, &str)>;
}

impl TargetRules for Target {
    fn validate(&self) -> Result<(), TargetError> {
        let n = self.name.chars().count();
        if n == 0 || n > crate::limits::TOPIC_NAME_CHARS_MAX {
            return Err(bad(format!(
                "Name has {n} characters; it must have 1 to {}",
                crate::limits::TOPIC_NAME_CHARS_MAX
            )));
        }
        if !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad(format!(
                "Name `{}` may only contain letters, digits, `_` and `-`",
                self.name
            )));
        }
        for (field, list) in [
            ("Webhooks", &self.webhooks),
            ("SlackWebhooks", &self.slack_webhooks),
            ("Emails", &self.emails),
            ("EmailJson", &self.email_json),
        ] {
            if list.len() > ENDPOINTS_PER_KIND_MAX {
                return Err(bad(format!(
                    "{field} has {} members; at most {ENDPOINTS_PER_KIND_MAX} are allowed",
                    list.len()
                )));
            }
        }
        for url in &self.webhooks {
            check_url("Webhooks member", url)?;
        }
        for url in &self.slack_webhooks {
            check_url("SlackWebhooks member", url)?;
        }
        for address in self.emails.iter().chain(&self.email_json) {
            check_email(address)?;
        }
        if self.endpoints().is_empty() {
            return Err(bad(format!(
                "target `{}` has no endpoint: give Webhooks, SlackWebhooks, Emails or EmailJson",
                self.name
            )));
        }
        Ok(())
    }

    fn from_json(value: &Value) -> Result<Target, TargetError> {
        let Value::Object(object) = value else {
            return Err(bad("a notification target must be a JSON object"));
        };
        const MEMBERS: &[&str] = &[
            "Name",
            "Webhooks",
            "SlackWebhooks",
            "Emails",
            "EmailJson",
            "RawMessageDelivery",
            "TopicArn",
        ];
        if let Some(unknown) = object.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(bad(format!(
                "unknown member `{unknown}`; a target has Name, Webhooks, SlackWebhooks, Emails, EmailJson and RawMessageDelivery"
            )));
        }
        let list = |field: &str| -> Result<Vec<String>, TargetError> {
            match object.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| bad(format!("{field} members must be strings")))
                    })
                    .collect(),
                Some(_) => Err(bad(format!("{field} must be a list of strings"))),
            }
        };
        let target = Target {
            name: match object.get("Name") {
                Some(Value::String(name)) => name.clone(),
                _ => return Err(bad("Name is required and must be a string")),
            },
            webhooks: list("Webhooks")?,
            slack_webhooks: list("SlackWebhooks")?,
            emails: list("Emails")?,
            email_json: list("EmailJson")?,
            raw_message_delivery: match object.get("RawMessageDelivery") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(bad("RawMessageDelivery must be true or false")),
            },
        };
        target.validate()?;
        Ok(target)
    }

    fn to_json(&self, region: &str, account_id: &str) -> Value {
        json!({
            "Name": self.name,
            "TopicArn": topic_arn(region, account_id, &self.name),
            "Webhooks": self.webhooks,
            "SlackWebhooks": self.slack_webhooks,
            "Emails": self.emails,
            "EmailJson": self.email_json,
            "RawMessageDelivery": self.raw_message_delivery,
        })
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for url in &self.webhooks {
            out.push((if url.starts_with("https://") { "https" } else { "http" }, url.as_str()));
        }
        for url in &self.slack_webhooks {
            out.push(("slack", url.as_str()));
        }
        for address in &self.emails {
            out.push(("email", address.as_str()));
        }
        for address in &self.email_json {
            out.push(("email-json", address.as_str()));
        }
        out
    }
}

/// What signs SNS envelopes, and where receivers find the certificate and unsubscribe.
pub trait EnvelopeSigner {
    /// Base64 SHA256withRSA signature of `string_to_sign`.
    fn sign_base64(&self, string_to_sign: &str) -> String;
    /// `SigningCertURL`.
    fn signing_cert_url(&self) -> String;
    /// `UnsubscribeURL` for a subscription: its ARN and the token of
    /// [`EnvelopeSigner::unsubscribe_key`].
    fn unsubscribe_url(&self, subscription_arn: &str) -> String;
    /// The secret that signs and checks unsubscribe links.
    fn unsubscribe_key(&self) -> &crate::UnsubscribeKey;
}

/// A stable subscription ARN for one endpoint of a topic: `{topic}:{uuid}` with a UUID
/// derived from the endpoint, so it is the same after every restart. Anyone can compute it:
/// it names a subscription, and only the keyed token of its link ([`crate::UnsubscribeKey`])
/// removes it.
pub fn subscription_arn(topic_arn: &str, protocol: &str, endpoint: &str) -> String {
    // FNV-1a 128-bit, formatted as a version-5-style UUID.
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in
        topic_arn.bytes().chain([0]).chain(protocol.bytes()).chain([0]).chain(endpoint.bytes())
    {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let mut b = hash.to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!("{topic_arn}:{}-{}-{}-{}-{}", h(0..4), h(4..6), h(6..8), h(8..10), h(10..16))
}

/// Renders the stored notification documents for one transition's action on `topic_arn`,
/// one per endpoint of `target`: (protocol, endpoint, document).
#[allow(clippy::too_many_arguments)]
pub fn render(
    alarm: &Alarm,
    update: &StateUpdate,
    account_id: &str,
    region: &str,
    topic_arn: &str,
    target: &Target,
    message_id: &str,
    signer: &dyn EnvelopeSigner,
) -> Vec<(&'static str, String, String)> {
    let notification = AlarmNotification { alarm, update, account_id, region };
    let mut out = Vec::new();
    for (protocol, endpoint) in target.endpoints() {
        let document = match protocol {
            "http" | "https" | "email-json" => {
                let subscription = subscription_arn(topic_arn, protocol, endpoint);
                let sns = notification.sns_notification(SnsEnvelope {
                    message_id: message_id.to_owned(),
                    topic_arn: topic_arn.to_owned(),
                    timestamp_ms: update.timestamp_ms,
                    signature_version: SignatureVersion::V2,
                    signing_cert_url: signer.signing_cert_url(),
                    unsubscribe_url: signer.unsubscribe_url(&subscription),
                });
                let headers: Map<String, Value> = sns
                    .headers(&subscription)
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), Value::String(value)))
                    .collect();
                let signed = sns.body(&signer.sign_base64(&sns.string_to_sign()));
                if protocol == "email-json" {
                    // The envelope itself is the mail body (SNS `email-json`).
                    json!({
                        "Kind": "email",
                        "To": endpoint,
                        "Subject": notification.subject(),
                        "Body": signed,
                        "MessageId": message_id,
                    })
                } else {
                    let body =
                        if target.raw_message_delivery { sns.message.clone() } else { signed };
                    json!({"Kind": "webhook", "Url": endpoint, "Headers": headers, "Body": body})
                }
            }
            "slack" => json!({
                "Kind": "webhook",
                "Url": endpoint,
                "Headers": {"Content-Type": "application/json"},
                "Body": notification.slack_message(),
            }),
            _ => {
                let unsubscribe =
                    signer.unsubscribe_url(&subscription_arn(topic_arn, protocol, endpoint));
                let body = format!(
                    "{}\n\n--\nThis notification was sent by OpenTrail for topic {topic_arn}.\nTo stop receiving these emails, remove this address from the target or open:\n{unsubscribe}\n",
                    notification.message()
                );
                json!({
                    "Kind": "email",
                    "To": endpoint,
                    "Subject": notification.subject(),
                    "Body": body,
                    "MessageId": message_id,
                })
            }
        };
        out.push((protocol, endpoint.to_owned(), document.to_string()));
    }
    out
}
