//! A CIS-pack alarm through a day of CloudTrail traffic (`cis-pack.md` §1, `alarms.md` §7
//! rows 16–19): routing observations by metric, evaluating once a minute, counting the
//! notifications.

use metric_alarms::{
    Alarm, AlarmNotification, MetricId, Observation, Series, StateValue, TreatMissingData,
};

use crate::{ACCOUNT_ID, CIS_TOPIC, REGION, at, cis_root_usage};

/// Runs the alarm from 11:00 for `minutes`, feeding the observations (minute offset, value)
/// that belong to its metric, and returns (minute, old state, new state, topics) per update.
fn run_day(
    treat_missing_data: TreatMissingData,
    metric_events: &[(MetricId, i64, f64)],
    minutes: i64,
) -> Vec<(i64, StateValue, StateValue, Vec<String>)> {
    let mut config = cis_root_usage();
    config.treat_missing_data = treat_missing_data;
    config.ok_actions = vec![CIS_TOPIC.to_owned()];
    let mut alarm = Alarm::create(config.clone(), at(11, 0)).unwrap();
    let mut series = Series::for_alarm(&config);
    let mut updates = Vec::new();
    for minute in 1..=minutes {
        let now_ms = at(11, minute);
        for (metric, event_minute, value) in metric_events {
            // Observations arrive a minute after the events, like delivered log batches.
            if *event_minute + 1 == minute && metric.matches(&config.metric) {
                let observation = Observation {
                    timestamp_ms: at(11, *event_minute) + 42_000,
                    value: *value,
                    unit: None,
                };
                series.record(&observation, now_ms).unwrap();
            }
        }
        let evaluation = alarm.evaluate(&series, now_ms).unwrap();
        if let Some(update) = evaluation.update {
            let notification = AlarmNotification {
                alarm: &alarm,
                update: &update,
                account_id: ACCOUNT_ID,
                region: REGION,
            };
            assert!(
                notification
                    .message()
                    .contains(&format!(r#""NewStateValue":"{}""#, update.new_state))
            );
            updates.push((minute, update.old_state, update.new_state, update.actions));
        }
        assert!(series.bucket_count() <= 32, "bounded: {} buckets", series.bucket_count());
    }
    updates
}

#[test]
fn root_usage_alarm_settles_between_incidents_with_not_breaching() {
    let root = MetricId::new("CISBenchmark", "RootAccountUsage");
    let other = MetricId::new("CISBenchmark", "IAMPolicyChanges");
    let events = [
        (root.clone(), 100, 1.0),
        (root.clone(), 101, 1.0),
        (other.clone(), 200, 1.0),
        (root.clone(), 400, 1.0),
    ];
    let updates = run_day(TreatMissingData::NotBreaching, &events, 24 * 60);
    let topics = || vec![CIS_TOPIC.to_owned()];
    assert_eq!(
        updates,
        [
            (1, StateValue::InsufficientData, StateValue::Ok, topics()),
            // Observed at minute 101, inside the window [T − 5 min, T) from T = 101 on.
            (101, StateValue::Ok, StateValue::Alarm, topics()),
            // The last match (minute 101) leaves the 3-window range at T = 101 + 15.
            (117, StateValue::Alarm, StateValue::Ok, topics()),
            (401, StateValue::Ok, StateValue::Alarm, topics()),
            (416, StateValue::Alarm, StateValue::Ok, topics()),
        ]
    );
}

#[test]
fn root_usage_alarm_oscillates_with_missing() {
    let root = MetricId::new("CISBenchmark", "RootAccountUsage");
    let updates = run_day(TreatMissingData::Missing, &[(root, 100, 1.0)], 180);
    let states: Vec<(i64, StateValue)> =
        updates.iter().map(|(minute, _, new, _)| (*minute, *new)).collect();
    assert_eq!(
        states,
        [
            (1, StateValue::InsufficientData),
            (101, StateValue::Alarm),
            (116, StateValue::InsufficientData)
        ]
    );
    // No InsufficientDataActions are configured: those transitions notify nobody.
    assert!(updates[0].3.is_empty());
}
