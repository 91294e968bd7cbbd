//! Unit tests of the catalog-backed service: every per-account cap refuses the one resource
//! too many (and never a replacement), and unsubscribe links work only with their keyed token.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::config::{ComparisonOperator, MetricId, MetricStatistic, Statistic};
use crate::unsubscribe::UnsubscribeKey;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const REGION: &str = "us-east-1";

struct FixedClock;

impl ingest::Clock for FixedClock {
    fn now_unix_millis(&self) -> i64 {
        1_714_564_800_000
    }
}

struct TestSigner(UnsubscribeKey);

impl EnvelopeSigner for TestSigner {
    fn sign_base64(&self, _: &str) -> String {
        "c2ln".to_owned()
    }
    fn signing_cert_url(&self) -> String {
        "http://opentrail.test/cert.pem".to_owned()
    }
    fn unsubscribe_url(&self, subscription_arn: &str) -> String {
        format!("{subscription_arn}#{}", self.0.token(subscription_arn))
    }
    fn unsubscribe_key(&self) -> &UnsubscribeKey {
        &self.0
    }
}

fn service_with(caps: Caps) -> AlarmService {
    let catalog = Arc::new(Catalog::open_in_memory().unwrap());
    let config = ServiceConfig { admin_account: ACCOUNT.to_owned(), organization: None };
    let signer = Box::new(TestSigner(UnsubscribeKey::new([7; 32])));
    AlarmService::open(catalog, Arc::new(FixedClock), config, signer, Box::new(|| {}))
        .unwrap()
        .with_caps(caps)
}

fn small_caps() -> Caps {
    Caps {
        alarms_per_account: 2,
        targets_per_account: 2,
        log_groups_per_account: 2,
        metric_filters_per_log_group: 2,
    }
}

fn alarm(name: &str) -> AlarmConfig {
    AlarmConfig::new(
        name,
        MetricId::new("Custom", "Denied"),
        MetricStatistic::Statistic(Statistic::Sum),
        60,
        1,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        1.0,
    )
}

fn target(name: &str, webhooks: &[&str]) -> Target {
    Target::from_json(&json!({"Name": name, "Webhooks": webhooks})).unwrap()
}

fn filter(log_group_name: &str, filter_name: &str) -> MetricFilter {
    let members = json!({
        "logGroupName": log_group_name,
        "filterName": filter_name,
        "filterPattern": "{ $.eventName = \"StopLogging\" }",
        "metricTransformations": [{"metricName": "Stops", "metricNamespace": "Custom", "metricValue": "1"}],
    });
    MetricFilter::from_json(members.as_object().unwrap(), 1).unwrap()
}

fn assert_limit(result: Result<(), ServiceError>, what: &str) {
    match result {
        Err(ServiceError::LimitExceeded(message)) => {
            assert!(message.contains(what), "{message}");
        }
        other => panic!("expected LimitExceeded naming `{what}`, got {other:?}"),
    }
}

#[test]
fn default_caps_are_the_limits() {
    let caps = Caps::default();
    assert_eq!(caps.alarms_per_account, limits::ALARMS_PER_ACCOUNT_MAX);
    assert_eq!(caps.targets_per_account, limits::TARGETS_PER_ACCOUNT_MAX);
    assert_eq!(caps.log_groups_per_account, limits::LOG_GROUPS_PER_ACCOUNT_MAX);
    assert_eq!(caps.metric_filters_per_log_group, limits::METRIC_FILTERS_PER_LOG_GROUP_MAX);
    assert_eq!(limits::METRIC_FILTERS_PER_LOG_GROUP_MAX, 100, "CloudWatch Logs' quota");
}

#[test]
fn alarms_per_account_are_capped_across_regions() {
    let service = service_with(small_caps());
    service.put_alarm(ACCOUNT, REGION, alarm("a")).unwrap();
    service.put_alarm(ACCOUNT, "eu-west-1", alarm("b")).unwrap();
    assert_limit(service.put_alarm(ACCOUNT, REGION, alarm("c")), "alarms for this account");
    // Replacing an alarm is not a new one; another account has its own count.
    service.put_alarm(ACCOUNT, REGION, alarm("a")).unwrap();
    service.put_alarm(OTHER, REGION, alarm("c")).unwrap();
    service.delete_alarm(ACCOUNT, REGION, "a").unwrap();
    service.put_alarm(ACCOUNT, REGION, alarm("c")).unwrap();
}

#[test]
fn targets_per_account_are_capped() {
    let service = service_with(small_caps());
    for name in ["a", "b"] {
        service.put_target(ACCOUNT, REGION, target(name, &["https://x.test/h"]), "api").unwrap();
    }
    let third = service.put_target(ACCOUNT, REGION, target("c", &["https://x.test/h"]), "api");
    assert_limit(third, "notification targets");
    service.put_target(ACCOUNT, REGION, target("a", &["https://y.test/h"]), "api").unwrap();
    service.put_target(OTHER, REGION, target("c", &["https://x.test/h"]), "api").unwrap();
}

#[test]
fn log_groups_per_account_are_capped_also_when_a_filter_makes_one() {
    let service = service_with(small_caps());
    service.create_log_group(ACCOUNT, REGION, "one").unwrap();
    service.put_metric_filter(ACCOUNT, REGION, filter("two", "f")).unwrap();
    assert_limit(service.create_log_group(ACCOUNT, REGION, "three"), "log groups");
    assert_limit(service.put_metric_filter(ACCOUNT, REGION, filter("three", "f")), "log groups");
    // Existing groups still take filters, and an existing name is still "already exists".
    service.put_metric_filter(ACCOUNT, REGION, filter("one", "f")).unwrap();
    assert!(matches!(
        service.create_log_group(ACCOUNT, REGION, "one"),
        Err(ServiceError::AlreadyExists(_))
    ));
    service.create_log_group(OTHER, REGION, "three").unwrap();
}

#[test]
fn metric_filters_per_log_group_are_capped() {
    let service = service_with(small_caps());
    for name in ["a", "b"] {
        service.put_metric_filter(ACCOUNT, REGION, filter("g", name)).unwrap();
    }
    assert_limit(service.put_metric_filter(ACCOUNT, REGION, filter("g", "c")), "metric filters");
    service.put_metric_filter(ACCOUNT, REGION, filter("g", "a")).unwrap();
    service.put_metric_filter(ACCOUNT, REGION, filter("h", "c")).unwrap();
}

fn webhook_link(service: &AlarmService, url: &str) -> (String, String) {
    let topic = topic_arn(REGION, ACCOUNT, "ops");
    let arn = crate::targets::subscription_arn(&topic, "https", url);
    let token = service.signer.unsubscribe_key().token(&arn);
    (arn, token)
}

#[test]
fn an_unsubscribe_link_needs_its_keyed_token() {
    let service = service_with(Caps::default());
    let (kept, gone) = ("https://keep.test/h", "https://gone.test/h");
    service.put_target(ACCOUNT, REGION, target("ops", &[kept, gone]), "api").unwrap();
    let (arn, token) = webhook_link(&service, gone);
    assert_eq!(token.len(), crate::UNSUBSCRIBE_TOKEN_CHARS);
    let other_key = UnsubscribeKey::new([8; 32]).token(&arn);
    let (kept_arn, kept_token) = webhook_link(&service, kept);
    for (claimed_arn, claimed_token) in [
        (arn.as_str(), ""),
        (arn.as_str(), "0".repeat(64).as_str()),
        (arn.as_str(), other_key.as_str()),
        (arn.as_str(), &token[..63]),
        (arn.as_str(), &format!("{token}0")),
        (kept_arn.as_str(), token.as_str()),
        (arn.as_str(), kept_token.as_str()),
    ] {
        let refused = service.verify_unsubscribe_link(claimed_arn, claimed_token);
        assert!(
            matches!(refused, Err(ServiceError::NotAuthorized(_))),
            "{claimed_arn} {claimed_token}: {refused:?}"
        );
    }
    assert_eq!(service.targets(ACCOUNT, REGION)[0].webhooks, [kept, gone], "nothing changed");

    let link = service.verify_unsubscribe_link(&arn, &token).unwrap();
    assert_eq!(
        link,
        UnsubscribeLink {
            subscription_arn: arn.clone(),
            topic_arn: topic_arn(REGION, ACCOUNT, "ops"),
            account_id: ACCOUNT.to_owned(),
            region: REGION.to_owned(),
        }
    );
    assert!(service.subscription_exists(&link));
    service.unsubscribe(&link).unwrap();
    assert_eq!(service.targets(ACCOUNT, REGION)[0].webhooks, [kept]);
    assert!(!service.subscription_exists(&link), "a link works once");
    assert!(matches!(service.unsubscribe(&link), Err(ServiceError::ResourceNotFound(_))));
    // The last endpoint's link removes the target.
    let last = service.verify_unsubscribe_link(&kept_arn, &kept_token).unwrap();
    service.unsubscribe(&last).unwrap();
    assert!(service.targets(ACCOUNT, REGION).is_empty());
}

#[test]
fn the_unsubscribe_key_never_shows_its_secret() {
    let shown = format!("{:?}", UnsubscribeKey::new([0xab; 32]));
    assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
}
