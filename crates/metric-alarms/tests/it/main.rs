//! Integration tests through the public API only: the alarm message of `alarms.md` §8 against
//! the spec's own example, the SNS envelopes of §9.3, the Slack body, and a CIS-pack alarm
//! (`cis-pack.md` §1) living through a day of CloudTrail traffic.

mod cis;
mod engine;
mod notify;

use std::path::PathBuf;

use metric_alarms::{
    Alarm, AlarmConfig, ComparisonOperator, MetricId, MetricStatistic, Statistic, TreatMissingData,
};

/// 2024-05-01T12:00:00Z.
const NOON_MS: i64 = 1_714_564_800_000;
const ACCOUNT_ID: &str = "111122223333";
const REGION: &str = "us-east-1";
const CIS_TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:cis-alarms";

/// 2024-05-01 `hour`:`minute`:00Z.
fn at(hour: i64, minute: i64) -> i64 {
    NOON_MS + ((hour - 12) * 60 + minute) * 60_000
}

/// The CIS 4.3 root-usage alarm as the pack configures it: Sum, 300 s, ≥ 1, one period,
/// `notBreaching`, notifying the pack topic.
fn cis_root_usage() -> AlarmConfig {
    let mut config = AlarmConfig::new(
        "CIS-4.3-RootUsage",
        MetricId::new("CISBenchmark", "RootAccountUsage"),
        MetricStatistic::Statistic(Statistic::Sum),
        300,
        1,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        1.0,
    );
    config.alarm_description = Some("Root account used".to_owned());
    config.treat_missing_data = TreatMissingData::NotBreaching;
    config.alarm_actions = vec![CIS_TOPIC.to_owned()];
    config
}

/// Creates `config` at 11:00 and evaluates it once at 11:01 with no data, settling it in OK.
fn settled(config: AlarmConfig, series: &metric_alarms::Series) -> Alarm {
    let mut alarm = Alarm::create(config, at(11, 0)).expect("valid configuration");
    let evaluation = alarm.evaluate(series, at(11, 1)).expect("evaluation");
    assert_eq!(alarm.state().value, metric_alarms::StateValue::Ok, "{evaluation:?}");
    alarm
}

/// The shared directory holding `spec/`: `OPENTRAIL_SHARED_DIR`, else `shared` beside the
/// workspace.
fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENTRAIL_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("spec/alarms.md").is_file(),
        "shared spec not found at `{}`: set OPENTRAIL_SHARED_DIR",
        dir.display()
    );
    dir
}
