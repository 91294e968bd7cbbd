//! The engine with the whole CIS pack on generated traffic, time faked: the attack storyline
//! moves each of the 15 v3.0 alarms to ALARM exactly once (early, within the minute of its
//! first event) and back to OK once the windows empty; benign traffic moves none; a metric
//! filter sees only events acknowledged after it was created, and only its scope's accounts.

use event_generator::{Config, Generator, Storyline};
use metric_alarms::cis::{self, CisVersion};
use metric_alarms::{
    Alarm, Engine, FilterEntry, MetricFilter, Scope, StateValue, Transformation, Transition,
};

use crate::NOON_MS;

const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:security";

fn cis_engine(now_ms: i64) -> Engine {
    let mut engine = Engine::new();
    let mut filters = Vec::new();
    for control in cis::controls(CisVersion::V3_0) {
        let filter = MetricFilter {
            filter_name: control.name(CisVersion::V3_0),
            log_group_name: "OpenTrail/AllAccounts".into(),
            filter_pattern: control.pattern.into(),
            transformation: Transformation {
                metric_name: control.metric_name.into(),
                metric_namespace: cis::NAMESPACE.into(),
                metric_value: "1".into(),
                default_value: None,
                dimensions: Default::default(),
                unit: None,
            },
            creation_time_ms: now_ms,
        };
        filters.push(FilterEntry {
            account_id: "999988887777".into(),
            region: "us-east-1".into(),
            filter: filter.compile().unwrap(),
            scope: Scope::All,
        });
        let config = cis::alarm_config(CisVersion::V3_0, &control, &[TOPIC.to_owned()], 1.0);
        engine.put_alarm("999988887777", "us-east-1", Alarm::create(config, now_ms).unwrap());
    }
    engine.set_filters(filters);
    engine
}

/// Feeds `count` generated events, one every 10 ms of fake time from `start_ms`, evaluating
/// every second; then runs the clock 20 more minutes. Returns (time, alarm, old, new).
fn run(
    storyline: Storyline,
    count: u64,
    start_ms: i64,
) -> Vec<(i64, String, StateValue, StateValue)> {
    let mut engine = cis_engine(start_ms);
    let mut generator = Generator::new(Config {
        seed: 3,
        count,
        start_unix_seconds: start_ms / 1000,
        events_per_second: 10,
        storyline,
    });
    let mut out: Vec<Transition> = Vec::new();
    let mut log = Vec::new();
    let mut record = Vec::new();
    let mut now = start_ms;
    let mut take = |out: &mut Vec<Transition>, now: i64| {
        for t in out.drain(..) {
            log.push((
                now,
                t.alarm.config().alarm_name.clone(),
                t.update.old_state,
                t.update.new_state,
            ));
        }
    };
    engine.evaluate_due(now, &mut out);
    take(&mut out, now);
    while generator.next_into(&mut record).is_some() {
        now += 10;
        engine.observe(std::str::from_utf8(&record).unwrap(), now, now, &mut out);
        take(&mut out, now);
        if now % 1000 == 0 {
            engine.evaluate_due(now, &mut out);
            take(&mut out, now);
        }
        record.clear();
    }
    let end = now + 20 * 60_000;
    while now < end {
        now += 1000;
        engine.evaluate_due(now, &mut out);
        take(&mut out, now);
    }
    log
}

#[test]
fn the_attack_storyline_fires_each_cis_alarm_once() {
    let log = run(Storyline::Attack, 3000, NOON_MS);
    // Creation: every alarm settles in OK (notBreaching, no data).
    let initial: Vec<_> = log.iter().filter(|(t, ..)| *t == NOON_MS).collect();
    assert_eq!(initial.len(), 15);
    assert!(
        initial
            .iter()
            .all(|(_, _, old, new)| *old == StateValue::InsufficientData && *new == StateValue::Ok)
    );
    let to_alarm: Vec<_> = log.iter().filter(|(.., new)| *new == StateValue::Alarm).collect();
    let mut names: Vec<&str> = to_alarm.iter().map(|(_, name, ..)| name.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<String> =
        cis::controls(CisVersion::V3_0).iter().map(|c| c.name(CisVersion::V3_0)).collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "each CIS alarm fires exactly once");
    // ... and, 15 minutes after the last match, each returns to OK once.
    let back: Vec<_> = log
        .iter()
        .filter(|(_, _, old, new)| *old == StateValue::Alarm && *new == StateValue::Ok)
        .collect();
    assert_eq!(back.len(), 15);
}

#[test]
fn alarms_fire_at_the_event_not_at_the_next_minute() {
    let mut engine = cis_engine(NOON_MS);
    let mut out = Vec::new();
    engine.evaluate_due(NOON_MS, &mut out);
    out.clear();
    let root = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2024-05-01T12:00:30Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}"#;
    engine.observe(root, NOON_MS + 30_500, NOON_MS + 30_501, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].update.new_state, StateValue::Alarm);
    assert_eq!(out[0].update.timestamp_ms, NOON_MS + 30_501);
    // The regular evaluation at the next minute agrees and changes nothing.
    let mut later = Vec::new();
    engine.evaluate_due(NOON_MS + 60_000, &mut later);
    assert!(later.is_empty(), "{later:?}");
}

#[test]
fn benign_traffic_fires_nothing() {
    let log = run(Storyline::Benign, 36_000, NOON_MS);
    assert!(log.iter().all(|(.., new)| *new == StateValue::Ok), "{log:?}");
}

#[test]
fn filters_see_only_later_events_of_their_scope() {
    let mut engine = Engine::new();
    let filter = |name: &str, creation_time_ms: i64| MetricFilter {
        filter_name: name.into(),
        log_group_name: "trail".into(),
        filter_pattern: "{ $.eventName = \"StopLogging\" }".into(),
        transformation: Transformation {
            metric_name: "Stops".into(),
            metric_namespace: "Custom".into(),
            metric_value: "1".into(),
            default_value: None,
            dimensions: Default::default(),
            unit: None,
        },
        creation_time_ms,
    };
    engine.set_filters(vec![FilterEntry {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        filter: filter("stops", NOON_MS + 1000).compile().unwrap(),
        scope: Scope::Accounts(vec!["111122223333".into()]),
    }]);
    let mut config = metric_alarms::AlarmConfig::new(
        "stops",
        metric_alarms::MetricId::new("Custom", "Stops"),
        metric_alarms::MetricStatistic::Statistic(metric_alarms::Statistic::Sum),
        60,
        1,
        metric_alarms::ComparisonOperator::GreaterThanOrEqualToThreshold,
        1.0,
    );
    config.treat_missing_data = metric_alarms::TreatMissingData::NotBreaching;
    engine.put_alarm("111122223333", "us-east-1", Alarm::create(config, NOON_MS).unwrap());
    let mut out = Vec::new();
    let event = |account: &str| {
        format!(r#"{{"eventName":"StopLogging","recipientAccountId":"{account}"}}"#)
    };
    // Before the filter existed; another account; then one that counts.
    engine.observe(&event("111122223333"), NOON_MS + 500, NOON_MS + 2000, &mut out);
    engine.observe(&event("444455556666"), NOON_MS + 2000, NOON_MS + 2000, &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(engine.stats().matches, 0);
    engine.observe(&event("111122223333"), NOON_MS + 3000, NOON_MS + 3000, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].update.new_state, StateValue::Alarm);
}

#[test]
fn the_engine_counts_exactly_the_matches_of_each_pattern() {
    // Realistic traffic (root use, denied calls, policy changes): the engine, which evaluates
    // the whole pack at once on one parse per event, counts exactly the matches of each
    // pattern evaluated on its own.
    let mut engine = cis_engine(NOON_MS);
    let patterns: Vec<filter_pattern::Pattern> = cis::controls(CisVersion::V3_0)
        .iter()
        .map(|c| filter_pattern::Pattern::parse(c.pattern).unwrap())
        .collect();
    let mut generator = Generator::new(Config {
        seed: 5,
        count: 20_000,
        start_unix_seconds: NOON_MS / 1000,
        events_per_second: 10,
        storyline: Storyline::None,
    });
    let mut record = Vec::new();
    let mut expected = 0;
    let mut out = Vec::new();
    while generator.next_into(&mut record).is_some() {
        let text = std::str::from_utf8(&record).unwrap();
        expected += patterns.iter().filter(|p| p.matches(text)).count() as u64;
        engine.observe(text, NOON_MS + 1, NOON_MS + 1, &mut out);
        record.clear();
    }
    assert!(expected > 100, "{expected}");
    assert_eq!(engine.stats().matches, expected);
}
