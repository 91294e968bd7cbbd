//! Unit tests: every worked example of `alarms.md` §7 through the state machine with a fake
//! clock, each `TreatMissingData` mode and comparison operator, M-out-of-N edges, percentiles,
//! validation, reason texts and number/time formatting, and property tests (no panics,
//! determinism, the series against a naive reference).

use proptest::prelude::*;

use super::*;
use crate::metric::grid_value;
use crate::text::{cloudwatch_time, iso_time, java_double, reason_time};

/// 2024-05-01T12:00:00Z.
const NOON_MS: i64 = 1_714_564_800_000;
const MINUTE_MS: i64 = 60_000;
const ALARM_TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:alarm-topic";
const OK_TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:ok-topic";
const INSUFFICIENT_TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:insufficient-topic";
const MODES: [TreatMissingData; 4] = [
    TreatMissingData::Missing,
    TreatMissingData::Ignore,
    TreatMissingData::Breaching,
    TreatMissingData::NotBreaching,
];
const STATES: [StateValue; 3] = [StateValue::Ok, StateValue::Alarm, StateValue::InsufficientData];

/// 2024-05-01 `hour`:`minute`:00Z.
fn at(hour: i64, minute: i64) -> i64 {
    NOON_MS + ((hour - 12) * 60 + minute) * MINUTE_MS
}

fn topic_of(state: StateValue) -> &'static str {
    match state {
        StateValue::Ok => OK_TOPIC,
        StateValue::Alarm => ALARM_TOPIC,
        StateValue::InsufficientData => INSUFFICIENT_TOPIC,
    }
}

/// `Sum ≥ 1`, the CIS shape, with one topic per state.
fn config(
    period_seconds: u32,
    n: u32,
    m: u32,
    treat_missing_data: TreatMissingData,
) -> AlarmConfig {
    let mut config = AlarmConfig::new(
        "test-alarm",
        MetricId::new("CISBenchmark", "RootAccountUsage"),
        MetricStatistic::Statistic(Statistic::Sum),
        period_seconds,
        n,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        1.0,
    );
    config.datapoints_to_alarm = Some(m);
    config.treat_missing_data = treat_missing_data;
    config.alarm_actions = vec![ALARM_TOPIC.to_owned()];
    config.ok_actions = vec![OK_TOPIC.to_owned()];
    config.insufficient_data_actions = vec![INSUFFICIENT_TOPIC.to_owned()];
    config
}

fn observe(series: &mut Series, timestamp_ms: i64, value: f64, now_ms: i64) {
    series
        .record(&Observation { timestamp_ms, value, unit: None }, now_ms)
        .unwrap_or_else(|e| panic!("record {value} at {timestamp_ms}: {e}"));
}

/// An alarm created an hour before noon and put into `prior` by SetAlarmState.
fn alarm_in(config: AlarmConfig, prior: StateValue) -> Alarm {
    let mut alarm = Alarm::create(config, at(11, 0)).unwrap();
    alarm.set_state(prior, "test setup", None, at(11, 1)).unwrap();
    alarm
}

fn parse_slots(pattern: &str) -> Vec<Slot> {
    pattern
        .split_whitespace()
        .map(|slot| match slot {
            "X" => Slot::Breaching,
            "0" => Slot::NotBreaching,
            "-" => Slot::Missing,
            _ => panic!("bad slot `{slot}`"),
        })
        .collect()
}

fn parse_expected(expected: &str) -> Option<StateValue> {
    match expected {
        "retain" => None,
        state => Some(state.parse().unwrap()),
    }
}

/// One row of §7 rows 1–15: `pattern` (oldest first, R = 5 with P = 60 s) evaluated at noon
/// with each treatment (columns missing, ignore, breaching, notBreaching) from each prior
/// state, through `decide` and through the whole state machine.
#[track_caller]
fn check_row(n: u32, m: u32, pattern: &str, expected: [&str; 4]) {
    let slots = parse_slots(pattern);
    assert_eq!(slots.len(), n as usize + 2, "R = N + 2");
    for (treat_missing_data, expected) in MODES.into_iter().zip(expected) {
        let context = format!("N={n} M={m} `{pattern}` {treat_missing_data}");
        let expected_state = parse_expected(expected);
        let rule = Rule::new(n, m, treat_missing_data).unwrap();
        let verdict = decide(&slots, &rule);
        let expected_verdict = match expected_state {
            None => Verdict::Retain,
            Some(StateValue::Ok) => Verdict::Ok,
            Some(StateValue::Alarm) => Verdict::Alarm,
            Some(StateValue::InsufficientData) => Verdict::InsufficientData,
        };
        assert_eq!(verdict, expected_verdict, "decide: {context}");

        let config = config(60, n, m, treat_missing_data);
        let mut series = Series::for_alarm(&config);
        let r = slots.len() as i64;
        for (slot_idx, slot) in slots.iter().enumerate() {
            let start_ms = NOON_MS - (r - slot_idx as i64) * MINUTE_MS;
            match slot {
                Slot::Breaching => observe(&mut series, start_ms + 30_000, 1.0, NOON_MS),
                Slot::NotBreaching => observe(&mut series, start_ms + 30_000, 0.0, NOON_MS),
                Slot::Missing => {}
            }
        }
        for prior in STATES {
            let mut alarm = alarm_in(config.clone(), prior);
            let evaluation = alarm.evaluate(&series, NOON_MS + 412).unwrap();
            assert_eq!(evaluation.evaluation_time_ms, NOON_MS);
            let slots_seen: Vec<Slot> = evaluation.datapoints.iter().map(|d| d.slot).collect();
            assert_eq!(slots_seen, slots, "{context}");
            let state = expected_state.unwrap_or(prior);
            assert_eq!(alarm.state().value, state, "{context} from {prior}");
            match &evaluation.update {
                Some(update) => {
                    assert_ne!(state, prior, "{context} from {prior}: update without change");
                    assert_eq!(update.old_state, prior);
                    assert_eq!(update.new_state, state);
                    assert_eq!(update.actions, [topic_of(state)], "{context} from {prior}");
                    assert_eq!(alarm.state().transitioned_ms, NOON_MS + 412);
                }
                None => assert_eq!(state, prior, "{context} from {prior}: change without update"),
            }
            // Re-evaluating the same data changes nothing and fires nothing.
            let again = alarm.evaluate(&series, NOON_MS + 30_000).unwrap();
            assert_eq!(again.update, None, "{context} from {prior}: second evaluation");
        }
    }
}

// ---------- §7 worked examples, rows 1–15 (the AWS tables and the INF rows) ----------

#[test]
fn row_01_three_reals_two_breaching() {
    check_row(3, 3, "0 - X - X", ["OK", "OK", "OK", "OK"]);
}

#[test]
fn row_02_one_real_not_breaching() {
    check_row(3, 3, "0 - - - -", ["OK", "OK", "OK", "OK"]);
}

#[test]
fn row_03_all_missing() {
    check_row(3, 3, "- - - - -", ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]);
}

#[test]
fn row_04_last_three_reals_breach() {
    check_row(3, 3, "0 X X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]);
}

#[test]
fn row_05_premature_alarm_rule() {
    check_row(3, 3, "- - X - -", ["ALARM", "retain", "ALARM", "OK"]);
}

#[test]
fn row_06_two_of_three_reals() {
    check_row(3, 2, "0 - X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]);
}

#[test]
fn row_07_oldest_points_not_needed() {
    check_row(3, 2, "0 0 X 0 X", ["ALARM", "ALARM", "ALARM", "ALARM"]);
}

#[test]
fn row_08_one_breach_one_ok() {
    check_row(3, 2, "0 - X - -", ["OK", "OK", "ALARM", "OK"]);
}

#[test]
fn row_09_newest_only_not_breaching() {
    check_row(3, 2, "- - - - 0", ["OK", "OK", "ALARM", "OK"]);
}

#[test]
fn row_10_premature_rule_age_two() {
    check_row(3, 2, "- - - X -", ["ALARM", "retain", "ALARM", "OK"]);
}

#[test]
fn row_11_newest_breach_not_alarmed_at_once() {
    check_row(3, 3, "- - - - X", ["retain", "retain", "ALARM", "OK"]);
}

#[test]
fn row_12_breach_age_two_of_three() {
    check_row(3, 3, "- - - X -", ["retain", "retain", "ALARM", "OK"]);
}

#[test]
fn row_13_newest_breach_age_one() {
    check_row(3, 2, "- - - - X", ["retain", "retain", "ALARM", "OK"]);
}

#[test]
fn row_14_newest_three_reals_decide() {
    check_row(3, 3, "X X X 0 -", ["OK", "OK", "OK", "OK"]);
}

#[test]
fn row_15_breach_outside_last_n_slots() {
    check_row(3, 2, "X - - - -", ["retain", "retain", "ALARM", "OK"]);
}

// ---------- §7 rows 16–23 ----------

/// Rows 16–18: P = 300 s, N = M = 1, one match at 12:03 and no default value.
#[test]
fn rows_16_to_18_sparse_metric_filter_metric() {
    let row_18 = ["INSUFFICIENT_DATA", "ALARM", "ALARM", "OK"];
    for (treat_missing_data, expected_18) in MODES.into_iter().zip(row_18) {
        let config = config(300, 1, 1, treat_missing_data);
        let mut alarm = Alarm::create(config.clone(), at(11, 0)).unwrap();
        let mut series = Series::for_alarm(&config);
        observe(&mut series, at(12, 3) + 17_000, 1.0, at(12, 3) + 17_000);

        // Row 16: the newest window [12:01, 12:06) has Sum 1 ≥ 1.
        let evaluation = alarm.evaluate(&series, at(12, 6) + 412).unwrap();
        assert_eq!(evaluation.datapoints.len(), 3, "R = N + 2");
        let update = evaluation.update.expect("row 16 transition");
        assert_eq!(
            (update.old_state, update.new_state),
            (StateValue::InsufficientData, StateValue::Alarm)
        );
        assert_eq!(update.actions, [ALARM_TOPIC]);
        assert_eq!(
            update.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/05/24 12:01:00)] was \
             greater than or equal to the threshold (1.0) (minimum 1 datapoint for \
             INSUFFICIENT_DATA -> ALARM transition)."
        );

        // Row 17: newest window empty, the previous one holds the match: still ALARM, and no
        // new notification.
        let evaluation = alarm.evaluate(&series, at(12, 9)).unwrap();
        assert_eq!(evaluation.datapoints[2].slot, Slot::Missing);
        assert_eq!(evaluation.datapoints[1].slot, Slot::Breaching);
        assert_eq!(evaluation.verdict, Verdict::Alarm);
        assert_eq!(evaluation.update, None, "{treat_missing_data}: row 17");
        assert_eq!(alarm.state().value, StateValue::Alarm);

        // Row 18: the three windows back to 12:04 are empty.
        series.prune(at(12, 19));
        let evaluation = alarm.evaluate(&series, at(12, 19)).unwrap();
        assert!(evaluation.datapoints.iter().all(|d| d.slot == Slot::Missing));
        assert_eq!(evaluation.datapoints[0].start_ms, at(12, 4));
        let expected_18: StateValue = expected_18.parse().unwrap();
        assert_eq!(alarm.state().value, expected_18, "{treat_missing_data}: row 18");
        match (treat_missing_data, &evaluation.update) {
            (TreatMissingData::Ignore | TreatMissingData::Breaching, None) => {}
            (TreatMissingData::Missing, Some(update)) => {
                assert_eq!(update.actions, [INSUFFICIENT_TOPIC]);
                assert_eq!(update.reason, "Insufficient Data: 1 datapoint(s) were unknown.");
            }
            (TreatMissingData::NotBreaching, Some(update)) => {
                assert_eq!(update.actions, [OK_TOPIC]);
                assert_eq!(
                    update.reason,
                    "Threshold Crossed: no datapoints were received for 1 period and 1 missing \
                     datapoint was treated as [NonBreaching]."
                );
            }
            (mode, update) => panic!("{mode}: unexpected {update:?}"),
        }
    }
}

/// Row 19: defaultValue 0 and CloudTrail traffic every minute: the window after the match
/// has Sum 0, the alarm returns to OK and OKActions fire.
#[test]
fn row_19_dense_metric_returns_to_ok() {
    for treat_missing_data in MODES {
        let config = config(300, 1, 1, treat_missing_data);
        let mut alarm = Alarm::create(config.clone(), at(11, 0)).unwrap();
        let mut series = Series::for_alarm(&config);
        for minute in 45..70 {
            // Two events a minute, neither matching: the default value 0 twice.
            observe(&mut series, at(11, minute) + 5_000, 0.0, at(12, 9));
            observe(&mut series, at(11, minute) + 35_000, 0.0, at(12, 9));
        }
        observe(&mut series, at(12, 3) + 20_000, 1.0, at(12, 9));

        let evaluation = alarm.evaluate(&series, at(12, 6)).unwrap();
        assert_eq!(alarm.state().value, StateValue::Alarm, "{treat_missing_data}");
        assert_eq!(evaluation.update.unwrap().actions, [ALARM_TOPIC]);

        let evaluation = alarm.evaluate(&series, at(12, 9)).unwrap();
        assert_eq!(evaluation.datapoints[2].value, Some(0.0));
        assert_eq!(evaluation.datapoints[2].sample_count, 10);
        let update = evaluation.update.expect("row 19 transition");
        assert_eq!((update.old_state, update.new_state), (StateValue::Alarm, StateValue::Ok));
        assert_eq!(update.actions, [OK_TOPIC]);
        assert_eq!(
            update.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/05/24 12:04:00)] was not \
             greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK \
             transition)."
        );
    }
}

/// Row 20: P = 60 s, N = 5, M = 4, the last five minutes `X X 0 X X`.
#[test]
fn row_20_four_out_of_five() {
    check_row(5, 4, "- - X X 0 X X", ["ALARM", "ALARM", "ALARM", "ALARM"]);
    let config = config(60, 5, 4, TreatMissingData::Missing);
    let mut series = Series::for_alarm(&config);
    for (minute, value) in [(55, 2.0), (56, 3.0), (57, 0.0), (58, 1.0), (59, 4.0)] {
        observe(&mut series, at(11, minute), value, NOON_MS);
    }
    let mut alarm = Alarm::create(config, at(11, 0)).unwrap();
    let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!(
        update.reason,
        "Threshold Crossed: 4 out of the last 5 datapoints [4.0 (01/05/24 11:59:00), 1.0 \
         (01/05/24 11:58:00), 3.0 (01/05/24 11:56:00), 2.0 (01/05/24 11:55:00)] were greater \
         than or equal to the threshold (1.0) (minimum 4 datapoints for INSUFFICIENT_DATA -> \
         ALARM transition)."
    );
}

/// Rows 21 and 22: `≥` includes equality, `>` does not.
#[test]
fn rows_21_22_threshold_equality() {
    for (operator, expected) in [
        (ComparisonOperator::GreaterThanOrEqualToThreshold, StateValue::Alarm),
        (ComparisonOperator::GreaterThanThreshold, StateValue::Ok),
    ] {
        for treat_missing_data in MODES {
            let mut config = config(60, 1, 1, treat_missing_data);
            config.comparison_operator = operator;
            let mut series = Series::for_alarm(&config);
            // Sum exactly 1.
            for second in [10, 20, 30, 40] {
                observe(&mut series, at(11, 59) + second * 1000, 0.25, NOON_MS);
            }
            let mut alarm = Alarm::create(config, at(11, 0)).unwrap();
            let evaluation = alarm.evaluate(&series, NOON_MS).unwrap();
            assert_eq!(evaluation.datapoints[2].value, Some(1.0));
            assert_eq!(alarm.state().value, expected, "{operator} {treat_missing_data}");
        }
    }
}

fn p99_config(treat_missing_data: TreatMissingData, low: LowSampleCountPercentile) -> AlarmConfig {
    let mut config = config(60, 1, 1, treat_missing_data);
    config.statistic = MetricStatistic::ExtendedStatistic("p99".parse().unwrap());
    config.threshold = 50.0;
    config.evaluate_low_sample_count_percentile = Some(low);
    config
}

/// Row 23: `p99`, `ignore`, 40 samples (< 10/(1−0.99) = 1000): the state is retained.
#[test]
fn row_23_percentile_low_sample_count_retains() {
    for treat_missing_data in MODES {
        for prior in STATES {
            let config = p99_config(treat_missing_data, LowSampleCountPercentile::Ignore);
            let mut series = Series::for_alarm(&config);
            for sample_idx in 0..40 {
                observe(&mut series, at(11, 59) + sample_idx * 1000, 100.0, NOON_MS);
            }
            let mut alarm = alarm_in(config, prior);
            let evaluation = alarm.evaluate(&series, NOON_MS).unwrap();
            assert!(evaluation.datapoints[2].low_sample_count);
            assert!(evaluation.low_sample_count);
            assert_eq!(evaluation.verdict, Verdict::Retain);
            assert_eq!(evaluation.update, None);
            assert_eq!(alarm.state().value, prior, "{treat_missing_data} from {prior}");
        }
    }
}

#[test]
fn percentile_low_sample_count_evaluate_and_enough_samples() {
    // `evaluate`: 40 samples are evaluated as usual.
    let config = p99_config(TreatMissingData::Missing, LowSampleCountPercentile::Evaluate);
    let mut series = Series::for_alarm(&config);
    for sample_idx in 0..40 {
        observe(&mut series, at(11, 59) + sample_idx * 1000, 100.0, NOON_MS);
    }
    let mut alarm = alarm_in(config, StateValue::Ok);
    let evaluation = alarm.evaluate(&series, NOON_MS).unwrap();
    assert!(!evaluation.datapoints[2].low_sample_count);
    assert_eq!(alarm.state().value, StateValue::Alarm);

    // `ignore` with exactly 1000 samples: enough.
    let config = p99_config(TreatMissingData::Missing, LowSampleCountPercentile::Ignore);
    let mut series = Series::for_alarm(&config);
    for sample_idx in 0..1000 {
        observe(&mut series, at(11, 59) + sample_idx * 50, 100.0, NOON_MS);
    }
    let mut alarm = alarm_in(config, StateValue::Ok);
    let evaluation = alarm.evaluate(&series, NOON_MS).unwrap();
    assert!(!evaluation.low_sample_count);
    assert_eq!(alarm.state().value, StateValue::Alarm);
}

// ---------- §7 transition/action examples A1–A6 ----------

fn series_with(config: &AlarmConfig, minutes_values: &[(i64, f64)], now_ms: i64) -> Series {
    let mut series = Series::for_alarm(config);
    for (minute_ms, value) in minutes_values {
        observe(&mut series, *minute_ms, *value, now_ms);
    }
    series
}

#[test]
fn a1_creation_runs_the_first_evaluated_states_actions() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = Alarm::create(config.clone(), at(11, 58) + 3_000).unwrap();
    assert_eq!(alarm.state().value, StateValue::InsufficientData);
    assert_eq!(alarm.state().reason, CREATION_REASON);
    assert!(alarm.state().unchecked);
    let series = series_with(&config, &[(at(11, 59), 0.0)], NOON_MS);
    let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!(
        (update.old_state, update.new_state),
        (StateValue::InsufficientData, StateValue::Ok)
    );
    assert_eq!(update.actions, [OK_TOPIC]);
    assert_eq!(update.summary(), "Alarm updated from INSUFFICIENT_DATA to OK");
    assert_eq!(alarm.evaluate(&series, NOON_MS + 10_000).unwrap().update, None);
    assert!(!alarm.state().unchecked);
}

#[test]
fn a1_first_evaluation_reaching_insufficient_data_runs_its_actions() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = Alarm::create(config.clone(), at(11, 58)).unwrap();
    let series = Series::for_alarm(&config);
    let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!(update.old_state, StateValue::InsufficientData);
    assert_eq!(update.new_state, StateValue::InsufficientData);
    assert_eq!(update.actions, [INSUFFICIENT_TOPIC]);
    assert_eq!(alarm.state().reason, "Insufficient Data: 1 datapoint(s) were unknown.");
    assert_eq!(alarm.evaluate(&series, at(12, 1)).unwrap().update, None);

    // With `ignore` and no data there is no state to reach: the alarm stays unchecked.
    let config = config_with_mode(TreatMissingData::Ignore);
    let mut alarm = Alarm::create(config.clone(), at(11, 58)).unwrap();
    assert_eq!(alarm.evaluate(&Series::for_alarm(&config), NOON_MS).unwrap().update, None);
    assert!(alarm.state().unchecked);
    assert_eq!(alarm.state().reason, CREATION_REASON);
}

fn config_with_mode(treat_missing_data: TreatMissingData) -> AlarmConfig {
    config(60, 1, 1, treat_missing_data)
}

#[test]
fn a2_no_repeated_actions_while_the_state_persists() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = alarm_in(config.clone(), StateValue::Ok);
    let series =
        series_with(&config, &[(at(11, 59), 1.0), (at(12, 0), 2.0), (at(12, 1), 3.0)], at(12, 2));
    let mut actions = Vec::new();
    for now_ms in [at(12, 0), at(12, 1), at(12, 2)] {
        let evaluation = alarm.evaluate(&series, now_ms).unwrap();
        assert_eq!(evaluation.verdict, Verdict::Alarm);
        actions.extend(evaluation.update.into_iter().flat_map(|u| u.actions));
    }
    assert_eq!(actions, [ALARM_TOPIC]);
}

#[test]
fn a3_each_transition_notifies() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = alarm_in(config.clone(), StateValue::Alarm);
    // ALARM → INSUFFICIENT_DATA: nothing for three minutes before 12:00.
    let series = series_with(&config, &[(at(12, 3), 5.0)], at(12, 4));
    let first = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!(first.new_state, StateValue::InsufficientData);
    assert_eq!(first.actions, [INSUFFICIENT_TOPIC]);
    let second = alarm.evaluate(&series, at(12, 4)).unwrap().update.unwrap();
    assert_eq!(
        (second.old_state, second.new_state),
        (StateValue::InsufficientData, StateValue::Alarm)
    );
    assert_eq!(second.actions, [ALARM_TOPIC]);
}

#[test]
fn a4_disabled_actions_still_change_state_and_history() {
    let mut config = config(60, 1, 1, TreatMissingData::Missing);
    config.actions_enabled = false;
    let mut alarm = alarm_in(config.clone(), StateValue::Ok);
    let series = series_with(&config, &[(at(11, 59), 1.0)], NOON_MS);
    let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!((update.old_state, update.new_state), (StateValue::Ok, StateValue::Alarm));
    assert!(update.actions.is_empty());
    assert_eq!(alarm.state().value, StateValue::Alarm);

    // EnableAlarmActions: the next transition notifies again.
    alarm.set_actions_enabled(true, at(12, 0) + 1).unwrap();
    assert_eq!(alarm.configuration_updated_ms(), at(12, 0) + 1);
    let series = series_with(&config, &[(at(12, 0), 0.0)], at(12, 1));
    let update = alarm.evaluate(&series, at(12, 1)).unwrap().update.unwrap();
    assert_eq!(update.actions, [OK_TOPIC]);
}

#[test]
fn a5_update_keeps_the_state_and_runs_no_actions() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = alarm_in(config.clone(), StateValue::Ok);
    let series = series_with(&config, &[(at(11, 59), 5.0), (at(12, 0), 5.0)], at(12, 1));
    alarm.evaluate(&series, NOON_MS).unwrap();
    assert_eq!(alarm.state().value, StateValue::Alarm);
    let state_before = alarm.state().clone();

    let mut updated = config.clone();
    updated.threshold = 3.0;
    updated.alarm_description = Some("now with a description".to_owned());
    updated.alarm_actions = vec!["arn:aws:sns:us-east-1:111122223333:other-topic".to_owned()];
    alarm.update(updated.clone(), NOON_MS + 5_000).unwrap();
    assert_eq!(alarm.state(), &state_before);
    assert_eq!(alarm.config(), &updated);
    assert_eq!(alarm.configuration_updated_ms(), NOON_MS + 5_000);
    // Still breaching under the new threshold: no transition, no actions.
    assert_eq!(alarm.evaluate(&series, at(12, 1)).unwrap().update, None);

    let mut renamed = updated;
    renamed.alarm_name = "another".to_owned();
    assert!(matches!(
        alarm.update(renamed, NOON_MS),
        Err(Error::InvalidParameter { field: "AlarmName", .. })
    ));
}

#[test]
fn a6_set_alarm_state_then_evaluation() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = alarm_in(config.clone(), StateValue::Ok);
    let forced = alarm.set_state(StateValue::Alarm, "testing", Some("{}"), at(11, 59)).unwrap();
    assert_eq!(forced.cause, UpdateCause::SetAlarmState);
    assert_eq!(forced.actions, [ALARM_TOPIC]);
    assert_eq!(alarm.state().reason, "testing");
    assert_eq!(alarm.state().reason_data.as_deref(), Some("{}"));

    let series = series_with(&config, &[(at(11, 59), 0.0)], NOON_MS);
    let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
    assert_eq!(update.cause, UpdateCause::Evaluation);
    assert_eq!((update.old_state, update.new_state), (StateValue::Alarm, StateValue::Ok));
    assert_eq!(update.actions, [OK_TOPIC]);

    // Setting the current state again records the reason but runs nothing.
    let same = alarm.set_state(StateValue::Ok, "again", None, at(12, 1)).unwrap();
    assert!(same.actions.is_empty());
    assert_eq!(alarm.state().transitioned_ms, NOON_MS);
    assert_eq!(alarm.state().updated_ms, at(12, 1));
}

// ---------- TreatMissingData, operators, M out of N ----------

#[test]
fn cis_alarm_with_missing_oscillates_and_with_not_breaching_settles() {
    // One root sign-in at 12:03, evaluated every minute until 12:30 (cis-pack.md §1).
    let mut states = Vec::new();
    for treat_missing_data in [TreatMissingData::Missing, TreatMissingData::NotBreaching] {
        let config = config(300, 1, 1, treat_missing_data);
        let mut alarm = Alarm::create(config.clone(), at(12, 0)).unwrap();
        let mut series = Series::for_alarm(&config);
        let mut transitions = Vec::new();
        for minute in 1..=30 {
            if minute == 4 {
                observe(&mut series, at(12, 3) + 30_000, 1.0, at(12, 4));
            }
            if let Some(update) = alarm.evaluate(&series, at(12, minute)).unwrap().update {
                transitions.push((minute, update.new_state));
            }
        }
        states.push(transitions);
    }
    let (ok, alarm, insufficient) =
        (StateValue::Ok, StateValue::Alarm, StateValue::InsufficientData);
    // `missing`: the match stays in the range R = 3 windows until 12:18.
    assert_eq!(states[0], [(1, insufficient), (4, alarm), (19, insufficient)]);
    assert_eq!(states[1], [(1, ok), (4, alarm), (19, ok)]);
}

#[test]
fn comparison_operators_at_the_boundary() {
    use ComparisonOperator::*;
    let cases = [
        (GreaterThanOrEqualToThreshold, [false, true, true]),
        (GreaterThanThreshold, [false, false, true]),
        (LessThanThreshold, [true, false, false]),
        (LessThanOrEqualToThreshold, [true, true, false]),
    ];
    for (operator, expected) in cases {
        for (value, expected) in [0.5, 1.0, 1.5].into_iter().zip(expected) {
            assert_eq!(operator.is_breaching(value, 1.0), expected, "{operator} {value}");
            let mut config = config(60, 1, 1, TreatMissingData::Missing);
            config.comparison_operator = operator;
            let series = series_with(&config, &[(at(11, 59), value)], NOON_MS);
            let mut alarm = Alarm::create(config, at(11, 0)).unwrap();
            let update = alarm.evaluate(&series, NOON_MS).unwrap().update.unwrap();
            let state = if expected { StateValue::Alarm } else { StateValue::Ok };
            assert_eq!(update.new_state, state, "{operator} {value}");
            let phrase = match operator {
                GreaterThanOrEqualToThreshold => "greater than or equal to",
                GreaterThanThreshold => "greater than",
                LessThanThreshold => "less than",
                LessThanOrEqualToThreshold => "less than or equal to",
            };
            let not = if expected { "" } else { "not " };
            assert!(
                update.reason.contains(&format!("] was {not}{phrase} the threshold (1.0)")),
                "{}",
                update.reason
            );
        }
    }
    for name in [
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ] {
        assert_eq!(name.parse::<ComparisonOperator>().unwrap().as_str(), name);
    }
}

#[test]
fn each_treat_missing_data_mode_on_partial_data() {
    // N = 4, M = 2, R = 6: one breaching real and three fills.
    let slots = parse_slots("- - - X - -");
    let verdicts: Vec<Verdict> =
        MODES.iter().map(|mode| decide(&slots, &Rule::new(4, 2, *mode).unwrap())).collect();
    // missing: the X is at age 3 ≥ M = 2 (premature-alarm rule); ignore: retain.
    assert_eq!(verdicts, [Verdict::Alarm, Verdict::Retain, Verdict::Alarm, Verdict::Ok]);
    for mode in MODES {
        assert_eq!(mode.as_str().parse::<TreatMissingData>(), Ok(mode));
    }
}

#[test]
fn m_out_of_n_edges() {
    let check = |n: u32, m: u32, pattern: &str, mode: TreatMissingData, expected: Verdict| {
        let rule = Rule::new(n, m, mode).unwrap();
        assert_eq!(
            decide(&parse_slots(pattern), &rule),
            expected,
            "N={n} M={m} `{pattern}` {mode}"
        );
    };
    use TreatMissingData::*;
    // M = 1: any single breach among the N newest reals alarms.
    check(5, 1, "0 0 0 0 0 0 X", Missing, Verdict::Alarm);
    check(5, 1, "X 0 0 0 0 0 0", Missing, Verdict::Ok);
    // M = N: every one must breach.
    check(5, 5, "0 0 X X X X X", Missing, Verdict::Alarm);
    check(5, 5, "0 X X X X 0 X", Missing, Verdict::Ok);
    // Reals are taken newest first, skipping gaps: the 3 newest reals here are X X X.
    check(3, 3, "0 X - X - X", Missing, Verdict::Alarm);
    // b(real) ≥ M with fewer than N reals alarms under missing/ignore (INF).
    check(4, 2, "- - X - X -", Missing, Verdict::Alarm);
    check(4, 2, "- - X - X -", Ignore, Verdict::Alarm);
    // Breaching fills exactly reach M.
    check(4, 3, "- - - 0 X -", Breaching, Verdict::Alarm);
    check(4, 4, "- - - 0 X -", Breaching, Verdict::Ok);
    // N = 1 with R = 3.
    check(1, 1, "X - -", Missing, Verdict::Alarm);
    check(1, 1, "X 0 -", Breaching, Verdict::Ok);
    // Invalid rules are refused.
    assert!(Rule::new(0, 0, Missing).is_err());
    assert!(Rule::new(3, 4, Missing).is_err());
    assert!(Rule::new(3, 0, Missing).is_err());
}

#[test]
fn window_boundaries_and_alignment() {
    let config = config(300, 1, 1, TreatMissingData::Missing);
    let mut series = Series::for_alarm(&config);
    // Just before T: in the newest window. Exactly at T: not yet.
    observe(&mut series, at(12, 6) - 1, 1.0, at(12, 7));
    observe(&mut series, at(12, 6), 10.0, at(12, 7));
    // Exactly at T − R·P: in the oldest window; one ms earlier: out of range.
    observe(&mut series, at(11, 51), 100.0, at(12, 7));
    observe(&mut series, at(11, 51) - 1, 1000.0, at(12, 7));
    let mut alarm = Alarm::create(config.clone(), at(11, 0)).unwrap();
    let evaluation = alarm.evaluate(&series, at(12, 6) + 59_999).unwrap();
    assert_eq!(evaluation.evaluation_time_ms, at(12, 6));
    let values: Vec<Option<f64>> = evaluation.datapoints.iter().map(|d| d.value).collect();
    assert_eq!(values, [Some(100.0), None, Some(1.0)]);
    let starts: Vec<i64> = evaluation.datapoints.iter().map(|d| d.start_ms).collect();
    assert_eq!(starts, [at(11, 51), at(11, 56), at(12, 1)]);

    // Sub-minute periods are evaluated every 10 s on 10-s buckets.
    let fast = config_fast();
    assert_eq!(fast.evaluation_step_ms(), 10_000);
    assert_eq!(fast.evaluation_time_ms(NOON_MS + 25_000), NOON_MS + 20_000);
    assert_eq!(Series::for_alarm(&fast).resolution(), Resolution::TenSeconds);
    let mut alarm = Alarm::create(fast.clone(), at(11, 0)).unwrap();
    assert!(matches!(
        alarm.evaluate(&Series::for_alarm(&config), NOON_MS),
        Err(Error::SeriesMismatch { .. })
    ));
    let series = series_with(&fast, &[(NOON_MS + 5_000, 1.0)], NOON_MS + 25_000);
    let evaluation = alarm.evaluate(&series, NOON_MS + 25_000).unwrap();
    // T = 12:00:20, P = 20 s: the newest window is [12:00:00, 12:00:20).
    assert_eq!(evaluation.datapoints.last().unwrap().start_ms, NOON_MS);
    assert_eq!(evaluation.datapoints.last().unwrap().value, Some(1.0));
}

fn config_fast() -> AlarmConfig {
    config(20, 1, 1, TreatMissingData::Missing)
}

// ---------- metric aggregation ----------

#[test]
fn statistics_over_a_window() {
    let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, true);
    for (minute, value) in [(0, 4.0), (0, 2.0), (1, -3.0), (2, 7.0)] {
        observe(&mut series, at(12, minute) + 1_000, value, at(12, 3));
    }
    let stats = series.window(at(12, 0), at(12, 3), None).unwrap();
    assert_eq!(stats, WindowStats { sample_count: 4, sum: 10.0, minimum: -3.0, maximum: 7.0 });
    assert_eq!(stats.value(Statistic::Average), 2.5);
    assert_eq!(stats.value(Statistic::SampleCount), 4.0);
    assert_eq!(series.window(at(12, 3), at(12, 5), None), None);
    // A negative value makes percentiles unavailable, for windows that include it only.
    let p50: Percentile = "p50".parse().unwrap();
    assert_eq!(series.window_percentile(at(12, 0), at(12, 3), None, &p50), None);
    assert_eq!(series.window_percentile(at(12, 0), at(12, 1), None, &p50), Some(2.0));
}

#[test]
fn unit_filter() {
    let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, false);
    let record = |series: &mut Series, value: f64, unit: Option<Unit>| {
        series.record(&Observation { timestamp_ms: at(11, 59), value, unit }, NOON_MS).unwrap();
    };
    record(&mut series, 1.0, Some(Unit::Count));
    record(&mut series, 10.0, Some(Unit::Seconds));
    record(&mut series, 100.0, None);
    let sum = |unit| series.window(at(11, 59), NOON_MS, unit).map(|s| s.sum);
    assert_eq!(sum(None), Some(111.0));
    assert_eq!(sum(Some(Unit::Count)), Some(1.0));
    assert_eq!(sum(Some(Unit::Seconds)), Some(10.0));
    assert_eq!(sum(Some(Unit::None)), Some(100.0));
    assert_eq!(sum(Some(Unit::Bytes)), None);

    // An alarm with a unit sees only its unit's observations: `Bytes` is missing here.
    let mut config = config(60, 1, 1, TreatMissingData::Missing);
    config.unit = Some(Unit::Bytes);
    let mut alarm = Alarm::create(config.clone(), at(11, 0)).unwrap();
    let mut alarm_series = Series::for_alarm(&config);
    alarm_series
        .record(
            &Observation { timestamp_ms: at(11, 59), value: 5.0, unit: Some(Unit::Count) },
            NOON_MS,
        )
        .unwrap();
    let evaluation = alarm.evaluate(&alarm_series, NOON_MS).unwrap();
    assert_eq!(evaluation.verdict, Verdict::InsufficientData);
}

#[test]
fn percentiles_nearest_rank() {
    let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, true);
    // 1 … 100 spread over two buckets, recorded out of order.
    for value in (1..=100).rev() {
        let minute = if value % 2 == 0 { 58 } else { 59 };
        observe(&mut series, at(11, minute), f64::from(value), NOON_MS);
    }
    let percentile = |text: &str| {
        let p: Percentile = text.parse().unwrap();
        series.window_percentile(at(11, 58), NOON_MS, None, &p)
    };
    assert_eq!(percentile("p0"), Some(1.0));
    assert_eq!(percentile("p0.0"), Some(1.0));
    assert_eq!(percentile("p1"), Some(1.0));
    assert_eq!(percentile("p50"), Some(50.0));
    assert_eq!(percentile("p90"), Some(90.0));
    assert_eq!(percentile("p90.5"), Some(91.0));
    assert_eq!(percentile("p99"), Some(99.0));
    assert_eq!(percentile("p99.99"), Some(100.0));
    assert_eq!(percentile("p100"), Some(100.0));
    // Duplicates count with their multiplicity.
    let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, true);
    for value in [5.0, 5.0, 5.0, 1.0] {
        observe(&mut series, at(11, 59), value, NOON_MS);
    }
    let p25: Percentile = "p25".parse().unwrap();
    let p26: Percentile = "p26".parse().unwrap();
    assert_eq!(series.window_percentile(at(11, 59), NOON_MS, None, &p25), Some(1.0));
    assert_eq!(series.window_percentile(at(11, 59), NOON_MS, None, &p26), Some(5.0));
    // A series that does not keep values has no percentiles.
    let bare = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, false);
    assert_eq!(bare.window_percentile(at(11, 59), NOON_MS, None, &p25), None);
}

#[test]
fn percentile_low_sample_thresholds_are_exact() {
    let check = |text: &str, low_below: Option<u64>| {
        let p: Percentile = text.parse().unwrap();
        match low_below {
            Some(threshold) => {
                assert!(p.is_low_sample_count(threshold - 1), "{text}: {} is low", threshold - 1);
                assert!(!p.is_low_sample_count(threshold), "{text}: {threshold} is enough");
            }
            None => {
                assert!(!p.is_low_sample_count(0), "{text}: never low");
                assert!(!p.is_low_sample_count(1), "{text}: never low");
            }
        }
    };
    check("p99", Some(1000));
    check("p99.9", Some(10_000));
    check("p90", Some(100));
    check("p50", Some(20));
    check("p75", Some(40));
    check("p10", Some(100));
    check("p25", Some(40));
    check("p1", Some(1000));
    check("p0.01", Some(100_000));
    // 10/(1−0.97) = 333.3…: 333 is low, 334 is enough.
    check("p97", Some(334));
    check("p0", None);
    check("p100", None);
}

#[test]
fn percentiles_beyond_the_distinct_value_cap_stay_within_one_percent() {
    let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, true);
    let values: Vec<f64> = (0..20_000).map(|i| 1.0 + f64::from(i) * 0.137).collect();
    for (value_idx, value) in values.iter().enumerate() {
        observe(&mut series, at(11, 59) + (value_idx as i64 % 60_000), *value, NOON_MS);
    }
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    for text in ["p1", "p10", "p50", "p90", "p99", "p99.9", "p100"] {
        let p: Percentile = text.parse().unwrap();
        let exact = sorted[(p.rank(sorted.len() as u64) - 1) as usize];
        let approximate = series.window_percentile(at(11, 59), NOON_MS, None, &p).unwrap();
        let error = ((approximate - exact) / exact).abs();
        assert!(error <= 0.01, "{text}: {approximate} vs {exact} ({error})");
    }
    assert_eq!(grid_value(0.0), 0.0);
    for value in [1e-300, 0.001, 1.0, 3.3, 12345.678, 1e300] {
        let error = ((grid_value(value) - value) / value).abs();
        assert!(error <= 1.0 / 128.0, "{value}: {error}");
    }
}

#[test]
fn negative_values_make_percentile_datapoints_missing() {
    let config = p99_config(TreatMissingData::Breaching, LowSampleCountPercentile::Evaluate);
    let series = series_with(&config, &[(at(11, 59), 100.0), (at(11, 59) + 1, -1.0)], NOON_MS);
    let mut alarm = alarm_in(config, StateValue::Ok);
    let evaluation = alarm.evaluate(&series, NOON_MS).unwrap();
    assert_eq!(evaluation.datapoints[2].value, None);
    assert_eq!(evaluation.datapoints[2].slot, Slot::Missing);
    // All missing and `breaching`.
    assert_eq!(alarm.state().value, StateValue::Alarm);
}

#[test]
fn retention_and_refused_observations() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut series = Series::for_alarm(&config);
    // Retention: R·P (3 min) + step (1 min) + 15 min.
    assert_eq!(series.retention_ms(), 19 * MINUTE_MS);
    for minute in 0..60 {
        observe(&mut series, at(11, minute), 1.0, at(11, minute) + 1);
    }
    assert_eq!(series.bucket_count(), 20);
    assert_eq!(
        series.record(&Observation { timestamp_ms: at(11, 40), value: 1.0, unit: None }, NOON_MS),
        Err(Error::ObservationTooOld { timestamp_ms: at(11, 40), horizon_ms: at(11, 41) })
    );
    let future = NOON_MS + limits::FUTURE_TOLERANCE_MS + 1;
    assert_eq!(
        series.record(&Observation { timestamp_ms: future, value: 1.0, unit: None }, NOON_MS),
        Err(Error::ObservationInFuture { timestamp_ms: future, now_ms: NOON_MS })
    );
    for value in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e109, -1e109] {
        assert!(matches!(
            series.record(&Observation { timestamp_ms: NOON_MS, value, unit: None }, NOON_MS),
            Err(Error::ValueOutOfRange { .. })
        ));
    }
    assert_eq!(
        series.record(&Observation { timestamp_ms: -1, value: 1.0, unit: None }, NOON_MS),
        Err(Error::TimeOutOfRange { time_ms: -1 })
    );
    series.prune(at(14, 0));
    assert_eq!(series.bucket_count(), 0);
    // An earlier `now` never brings data back or moves the horizon back.
    series.prune(at(11, 0));
    assert!(
        series
            .record(&Observation { timestamp_ms: at(13, 0), value: 1.0, unit: None }, at(11, 0))
            .is_err()
    );
}

// ---------- validation ----------

#[track_caller]
fn check_invalid(edit: impl FnOnce(&mut AlarmConfig), field: &str, message: &str) {
    let mut config = config(60, 3, 2, TreatMissingData::Missing);
    edit(&mut config);
    match config.validate() {
        Err(Error::InvalidParameter { field: found_field, message: found, .. }) => {
            assert_eq!(found, message);
            assert_eq!(found_field, field);
        }
        other => panic!("expected `{message}`, got {other:?}"),
    }
    assert!(Alarm::create(config, NOON_MS).is_err());
}

#[test]
fn validation_errors_name_the_field_and_the_limit() {
    assert_eq!(config(60, 3, 2, TreatMissingData::Missing).validate(), Ok(()));
    check_invalid(
        |c| c.alarm_name.clear(),
        "AlarmName",
        "`AlarmName` has 0 characters, it must have 1 to 255",
    );
    check_invalid(
        |c| c.alarm_name = "é".repeat(256),
        "AlarmName",
        "`AlarmName` has 256 characters, it must have 1 to 255",
    );
    check_invalid(
        |c| c.alarm_name = "bad\nname".to_owned(),
        "AlarmName",
        "`AlarmName` contains the control character U+000A at character 4, control characters are not allowed",
    );
    check_invalid(
        |c| c.alarm_description = Some("d".repeat(1025)),
        "AlarmDescription",
        "`AlarmDescription` has 1025 characters, at most 1024 are allowed",
    );
    check_invalid(
        |c| {
            c.alarm_actions =
                (0..6).map(|i| format!("arn:aws:sns:us-east-1:111122223333:t{i}")).collect()
        },
        "AlarmActions",
        "`AlarmActions` has 6 actions, at most 5 are allowed",
    );
    check_invalid(
        |c| c.ok_actions.push("arn:aws:sqs:us-east-1:111122223333:queue".to_owned()),
        "OKActions",
        "`OKActions` member 2 = `arn:aws:sqs:us-east-1:111122223333:queue` is not an SNS topic ARN (`arn:aws:sns:{region}:{account}:{topic}`)",
    );
    check_invalid(
        |c| c.insufficient_data_actions.push(INSUFFICIENT_TOPIC.to_owned()),
        "InsufficientDataActions",
        &format!(
            "`InsufficientDataActions` lists `{INSUFFICIENT_TOPIC}` twice, each topic may appear once"
        ),
    );
    check_invalid(
        |c| c.metric.namespace.clear(),
        "Namespace",
        "`Namespace` has 0 characters, it must have 1 to 255",
    );
    check_invalid(
        |c| c.metric.namespace = ":x".to_owned(),
        "Namespace",
        "`Namespace` `:x` must not start with `:`",
    );
    check_invalid(
        |c| c.metric.metric_name = "m".repeat(256),
        "MetricName",
        "`MetricName` has 256 characters, it must have 1 to 255",
    );
    check_invalid(
        |c| c.metric = MetricId::new("N", "M").with_dimension("a", "1").with_dimension("b", ""),
        "Dimensions",
        "`Dimensions` member 2 `Value` has 0 characters, it must have 1 to 1024",
    );
    check_invalid(
        |c| c.metric = MetricId::new("N", "M").with_dimension("a", "1").with_dimension("a", "2"),
        "Dimensions",
        "`Dimensions` names `a` twice, names must be unique",
    );
    check_invalid(
        |c| {
            c.metric.dimensions = (0..31)
                .map(|i| Dimension { name: format!("d{i}"), value: "v".to_owned() })
                .collect()
        },
        "Dimensions",
        "`Dimensions` has 31 members, at most 30 are allowed",
    );
    check_invalid(
        |c| c.period_seconds = 45,
        "Period",
        "`Period` = 45 must be 10, 20, 30 or a multiple of 60",
    );
    check_invalid(
        |c| c.period_seconds = 0,
        "Period",
        "`Period` = 0 must be 10, 20, 30 or a multiple of 60 greater than 0",
    );
    check_invalid(
        |c| c.period_seconds = 90,
        "Period",
        "`Period` = 90 must be 10, 20, 30 or a multiple of 60",
    );
    check_invalid(
        |c| c.evaluation_periods = 0,
        "EvaluationPeriods",
        "`EvaluationPeriods` = 0 must be at least 1",
    );
    check_invalid(
        |c| {
            c.evaluation_periods = 1441;
            c.datapoints_to_alarm = None;
        },
        "EvaluationPeriods",
        "`Period` × `EvaluationPeriods` = 60 × 1441 = 86460 s must be at most 86400 s when `Period` is under 3600",
    );
    check_invalid(
        |c| {
            c.period_seconds = 3600;
            c.evaluation_periods = 169;
            c.datapoints_to_alarm = None;
        },
        "EvaluationPeriods",
        "`Period` × `EvaluationPeriods` = 3600 × 169 = 608400 s must be at most 604800 s when `Period` is 3600 or more",
    );
    check_invalid(
        |c| c.datapoints_to_alarm = Some(4),
        "DatapointsToAlarm",
        "`DatapointsToAlarm` = 4 must be between 1 and `EvaluationPeriods` = 3",
    );
    check_invalid(
        |c| c.datapoints_to_alarm = Some(0),
        "DatapointsToAlarm",
        "`DatapointsToAlarm` = 0 must be between 1 and `EvaluationPeriods` = 3",
    );
    check_invalid(
        |c| c.threshold = f64::NAN,
        "Threshold",
        "`Threshold` = NaN must be a finite number",
    );
    check_invalid(
        |c| c.evaluate_low_sample_count_percentile = Some(LowSampleCountPercentile::Ignore),
        "EvaluateLowSampleCountPercentile",
        "`EvaluateLowSampleCountPercentile` applies only to percentile alarms (`ExtendedStatistic` = `pNN`)",
    );

    // Limits that hold exactly.
    let mut config = config(10, 8640, 1, TreatMissingData::Missing);
    assert_eq!(config.validate(), Ok(()));
    config.period_seconds = 604_800;
    config.evaluation_periods = 1;
    assert_eq!(config.validate(), Ok(()));
    for period_seconds in [10, 20, 30, 60, 120, 300, 3600, 86_400] {
        config.period_seconds = period_seconds;
        assert_eq!(config.validate(), Ok(()), "{period_seconds}");
    }
    config.alarm_name = "x".repeat(255);
    config.alarm_description = Some(String::new());
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn parsing_api_values() {
    let statistic = |s: Option<&str>, e: Option<&str>| MetricStatistic::from_api(s, e);
    assert_eq!(statistic(Some("Sum"), None), Ok(MetricStatistic::Statistic(Statistic::Sum)));
    assert_eq!(statistic(None, Some("p99.9")).unwrap().as_str(), "p99.9");
    let error = |result: Result<MetricStatistic>| match result {
        Err(Error::InvalidParameter { kind, message, .. }) => (kind.aws_code(), message),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        error(statistic(Some("Sum"), Some("p99"))),
        (
            "InvalidParameterCombination",
            "`Statistic` and `ExtendedStatistic` are mutually exclusive, specify exactly one"
                .to_owned()
        )
    );
    assert_eq!(
        error(statistic(None, None)),
        ("MissingParameter", "one of `Statistic` or `ExtendedStatistic` is required".to_owned())
    );
    assert_eq!(
        error(statistic(Some("Median"), None)).1,
        "`Statistic` = `Median` must be one of `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`"
    );
    for good in ["p0", "p0.0", "p9", "p50", "p99", "p99.9", "p99.99", "p100", "p100.00"] {
        assert!(good.parse::<Percentile>().is_ok(), "{good}");
    }
    for bad in [
        "p", "p-1", "p100.01", "p101", "p99.999", "p99.", "p.5", "P99", "tm99", "IQM", "p1e2",
        "p 9", "p0099",
    ] {
        assert_eq!(
            bad.parse::<Percentile>().unwrap_err().to_string(),
            format!(
                "`ExtendedStatistic` = `{bad}` is not supported, only percentiles `p0.0` to `p100` with at most two decimals are"
            ),
        );
    }
    assert_eq!("p99.9".parse::<Percentile>().unwrap().hundredths(), 9990);
    assert_eq!(
        "LessThanLowerThreshold".parse::<ComparisonOperator>().unwrap_err().to_string(),
        "`ComparisonOperator` = `LessThanLowerThreshold` is valid only for anomaly detection alarms (`ThresholdMetricId`), which are not supported"
    );
    assert!("GreaterThan".parse::<ComparisonOperator>().is_err());
    assert_eq!("Bytes/Second".parse::<Unit>(), Ok(Unit::BytesPerSecond));
    assert_eq!(Unit::CountPerSecond.as_str(), "Count/Second");
    assert_eq!(
        "bytes".parse::<Unit>().unwrap_err().to_string(),
        "`Unit` = `bytes` is not a CloudWatch standard unit"
    );
    assert_eq!("ignore".parse(), Ok(LowSampleCountPercentile::Ignore));
    assert!("Ignore".parse::<LowSampleCountPercentile>().is_err());
    assert!("notbreaching".parse::<TreatMissingData>().is_err());
    assert_eq!("INSUFFICIENT_DATA".parse(), Ok(StateValue::InsufficientData));
    assert!("Ok".parse::<StateValue>().is_err());
    assert!(is_topic_arn("arn:aws:sns:eu-west-1:123456789012:My_Topic-1"));
    for bad in [
        "arn:aws:sns:eu-west-1:12345678901:t",
        "arn:aws:sns:eu-west-1:123456789012:",
        "arn:aws:sns:eu-west-1:123456789012:t.fifo",
        "arn:aws:sns::123456789012:t",
        "arn:aws:sns:eu-west-1:123456789012:t:extra",
        "arn:aws:lambda:eu-west-1:123456789012:t",
    ] {
        assert!(!is_topic_arn(bad), "{bad}");
    }
    assert!(!is_topic_arn(&format!("arn:aws:sns:eu-west-1:123456789012:{}", "t".repeat(257))));
}

#[test]
fn metric_ids_match_dimensions_in_any_order() {
    let a = MetricId::new("N", "M").with_dimension("x", "1").with_dimension("y", "2");
    let b = MetricId::new("N", "M").with_dimension("y", "2").with_dimension("x", "1");
    assert!(a.matches(&b));
    assert!(!a.matches(&MetricId::new("N", "M").with_dimension("x", "1")));
    assert!(!a.matches(&MetricId::new("N", "M").with_dimension("x", "1").with_dimension("y", "3")));
    assert!(!MetricId::new("N", "M").matches(&MetricId::new("N2", "M")));
}

#[test]
fn set_state_limits_and_times() {
    let config = config(60, 1, 1, TreatMissingData::Missing);
    let mut alarm = Alarm::create(config.clone(), NOON_MS).unwrap();
    assert!(matches!(
        alarm.set_state(StateValue::Ok, &"r".repeat(1024), None, NOON_MS),
        Err(Error::InvalidParameter { field: "StateReason", .. })
    ));
    assert!(matches!(
        alarm.set_state(StateValue::Ok, "r", Some(&"d".repeat(4001)), NOON_MS),
        Err(Error::InvalidParameter { field: "StateReasonData", .. })
    ));
    assert_eq!(alarm.state().value, StateValue::InsufficientData);
    assert!(matches!(
        Alarm::create(config.clone(), -5),
        Err(Error::TimeOutOfRange { time_ms: -5 })
    ));
    assert!(alarm.evaluate(&Series::for_alarm(&config), limits::TIME_MS_MAX + 1).is_err());
    assert!(alarm.evaluate(&Series::for_alarm(&config), limits::TIME_MS_MAX).is_ok());
    let restored = Alarm::restore(
        alarm.config().clone(),
        alarm.configuration_updated_ms(),
        alarm.state().clone(),
    )
    .unwrap();
    assert_eq!(restored, alarm);
}

// ---------- reason texts ----------

/// Evaluates `pattern` (P = 60 s, values 1.0 for X and 0.0 for 0) from `prior` at noon.
fn reason_of(
    n: u32,
    m: u32,
    mode: TreatMissingData,
    pattern: &str,
    prior: StateValue,
) -> (String, String) {
    let config = config(60, n, m, mode);
    let slots = parse_slots(pattern);
    let r = slots.len() as i64;
    let mut series = Series::for_alarm(&config);
    for (slot_idx, slot) in slots.iter().enumerate() {
        let start_ms = NOON_MS - (r - slot_idx as i64) * MINUTE_MS;
        match slot {
            Slot::Breaching => observe(&mut series, start_ms, 1.0, NOON_MS),
            Slot::NotBreaching => observe(&mut series, start_ms, 0.0, NOON_MS),
            Slot::Missing => {}
        }
    }
    let mut alarm = alarm_in(config, prior);
    let update = alarm.evaluate(&series, NOON_MS + 412).unwrap().update.expect("a transition");
    (update.reason, update.reason_data.unwrap())
}

#[test]
fn state_reasons() {
    use StateValue::*;
    use TreatMissingData::*;
    let reason = |n, m, mode, pattern, prior| reason_of(n, m, mode, pattern, prior).0;
    // Premature-alarm rule: the two missing slots after the breach count as breaching.
    assert_eq!(
        reason(3, 3, Missing, "- - X - -", Ok),
        "Threshold Crossed: 3 out of the last 3 datapoints [1.0 (01/05/24 11:57:00)] were greater \
         than or equal to the threshold (1.0) with 2 missing datapoints treated as [Breaching] \
         (minimum 3 datapoints for OK -> ALARM transition)."
    );
    // Breaching fills.
    assert_eq!(
        reason(3, 2, Breaching, "- - - - 0", Ok),
        "Threshold Crossed: 2 out of the last 3 datapoints [] were greater than or equal to the \
         threshold (1.0) with 2 missing datapoints treated as [Breaching] (minimum 2 datapoints \
         for OK -> ALARM transition)."
    );
    // Non-breaching fills; an OK transition needs N − M + 1 = 2 non-breaching datapoints.
    assert_eq!(
        reason(3, 2, NotBreaching, "0 - X - -", Alarm),
        "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (01/05/24 11:55:00)] were not \
         greater than or equal to the threshold (1.0) with 1 missing datapoint treated as \
         [NonBreaching] (minimum 2 datapoints for ALARM -> OK transition)."
    );
    assert_eq!(
        reason(3, 3, Missing, "X X X 0 -", Alarm),
        "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (01/05/24 11:58:00)] was not \
         greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK \
         transition)."
    );
    assert_eq!(
        reason(3, 3, Breaching, "- - - - -", Ok),
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints \
         were treated as [Breaching]."
    );
    assert_eq!(
        reason(3, 3, Missing, "- - - - -", Ok),
        "Insufficient Data: 3 datapoint(s) were unknown."
    );
}

#[test]
fn state_reason_data() {
    let (_, data) = reason_of(3, 2, TreatMissingData::Missing, "0 - X - X", StateValue::Ok);
    assert_eq!(
        data,
        r#"{"version":"1.0","queryDate":"2024-05-01T12:00:00.412+0000","startDate":"2024-05-01T11:55:00.000+0000","statistic":"Sum","period":60,"recentDatapoints":[0.0,1.0,1.0],"threshold":1.0,"evaluatedDatapoints":[{"timestamp":"2024-05-01T11:59:00.000+0000","sampleCount":1.0,"value":1.0},{"timestamp":"2024-05-01T11:57:00.000+0000","sampleCount":1.0,"value":1.0},{"timestamp":"2024-05-01T11:55:00.000+0000","sampleCount":1.0,"value":0.0}]}"#
    );
    let (_, data) = reason_of(3, 3, TreatMissingData::Breaching, "- - - - -", StateValue::Ok);
    assert_eq!(
        data,
        r#"{"version":"1.0","queryDate":"2024-05-01T12:00:00.412+0000","startDate":"2024-05-01T11:57:00.000+0000","statistic":"Sum","period":60,"recentDatapoints":[],"threshold":1.0,"evaluatedDatapoints":[{"timestamp":"2024-05-01T11:59:00.000+0000"},{"timestamp":"2024-05-01T11:58:00.000+0000"},{"timestamp":"2024-05-01T11:57:00.000+0000"}]}"#
    );
}

// ---------- formatting ----------

#[test]
fn doubles_print_as_java_does() {
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (83.33, "83.33"),
        (0.1, "0.1"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (0.000123, "1.23E-4"),
        (1234567.0, "1234567.0"),
        (9999999.0, "9999999.0"),
        (10_000_000.0, "1.0E7"),
        (12_345_678.9, "1.23456789E7"),
        (1e100, "1.0E100"),
        (100.0, "100.0"),
        (1.5e-3, "0.0015"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
    ];
    for (value, expected) in cases {
        assert_eq!(java_double(value), expected, "{value:?}");
    }
}

#[test]
fn times_print_in_three_layouts() {
    let time_ms = NOON_MS + 6 * MINUTE_MS + 412;
    assert_eq!(cloudwatch_time(time_ms), "2024-05-01T12:06:00.412+0000");
    assert_eq!(iso_time(time_ms), "2024-05-01T12:06:00.412Z");
    assert_eq!(reason_time(time_ms), "01/05/24 12:06:00");
    assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(iso_time(limits::TIME_MS_MAX), "9999-12-31T23:59:59.999Z");
    assert_eq!(reason_time(951_782_400_000), "29/02/00 00:00:00");
}

// ---------- properties ----------

fn slot_strategy() -> impl Strategy<Value = Slot> {
    prop_oneof![Just(Slot::Missing), Just(Slot::NotBreaching), Just(Slot::Breaching)]
}

fn mode_strategy() -> impl Strategy<Value = TreatMissingData> {
    prop::sample::select(MODES.to_vec())
}

/// One step of a random alarm life: an observation or an evaluation, minutes from 11:00.
#[derive(Debug, Clone)]
enum Step {
    Observe { offset_ms: i64, value: f64, unit: Option<Unit> },
    Evaluate { advance_ms: i64 },
    SetState(StateValue),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (-600_000i64..600_000, prop_oneof![
            (-3i32..6).prop_map(f64::from),
            any::<f64>(),
            Just(1e200),
        ], prop::option::of(prop::sample::select(vec![Unit::Count, Unit::Seconds, Unit::None])))
            .prop_map(|(offset_ms, value, unit)| Step::Observe { offset_ms, value, unit }),
        3 => (0i64..400_000).prop_map(|advance_ms| Step::Evaluate { advance_ms }),
        1 => prop::sample::select(STATES.to_vec()).prop_map(Step::SetState),
    ]
}

fn config_strategy() -> impl Strategy<Value = AlarmConfig> {
    (
        prop::sample::select(vec![10u32, 20, 30, 60, 120, 300]),
        1u32..6,
        1u32..6,
        mode_strategy(),
        prop::sample::select(vec![
            "Sum",
            "Average",
            "SampleCount",
            "Minimum",
            "Maximum",
            "p50",
            "p99",
            "p0",
            "p100",
        ]),
        any::<bool>(),
        -2.0f64..4.0,
        prop::option::of(prop::sample::select(vec![Unit::Count, Unit::None])),
    )
        .prop_map(|(period, n, m, mode, statistic, ignore_low, threshold, unit)| {
            let mut config = config(period, n, m.min(n), mode);
            config.statistic = if statistic.starts_with('p') {
                MetricStatistic::ExtendedStatistic(statistic.parse().unwrap())
            } else {
                MetricStatistic::Statistic(statistic.parse().unwrap())
            };
            if statistic.starts_with('p') && ignore_low {
                config.evaluate_low_sample_count_percentile =
                    Some(LowSampleCountPercentile::Ignore);
            }
            config.threshold = threshold;
            config.unit = unit;
            config
        })
}

/// Runs a life, collecting every outcome (errors included).
fn run(config: &AlarmConfig, steps: &[Step]) -> Vec<String> {
    let mut outcomes = Vec::new();
    let mut now_ms = at(11, 0);
    let mut alarm = Alarm::create(config.clone(), now_ms).unwrap();
    let mut series = Series::for_alarm(config);
    for step in steps {
        match step {
            Step::Observe { offset_ms, value, unit } => {
                let observation =
                    Observation { timestamp_ms: now_ms + offset_ms, value: *value, unit: *unit };
                outcomes.push(format!("{:?}", series.record(&observation, now_ms)));
            }
            Step::Evaluate { advance_ms } => {
                now_ms += advance_ms;
                let evaluation = alarm.evaluate(&series, now_ms).unwrap();
                if let Some(update) = &evaluation.update {
                    let notification = AlarmNotification {
                        alarm: &alarm,
                        update,
                        account_id: "111122223333",
                        region: "us-east-1",
                    };
                    outcomes.push(notification.message());
                    outcomes.push(notification.slack_message());
                }
                outcomes.push(format!("{evaluation:?}"));
            }
            Step::SetState(state) => {
                outcomes.push(format!("{:?}", alarm.set_state(*state, "forced", None, now_ms)));
            }
        }
    }
    outcomes.push(format!("{alarm:?}"));
    outcomes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Random datapoint streams never panic, and the same inputs give the same outputs.
    #[test]
    fn random_lives_are_deterministic(config in config_strategy(), steps in prop::collection::vec(step_strategy(), 0..80)) {
        prop_assert_eq!(config.validate(), Ok(()));
        let first = run(&config, &steps);
        let second = run(&config, &steps);
        prop_assert_eq!(first, second);
    }

    /// Properties of §5: with N reals missing data is irrelevant; `breaching` and
    /// `notBreaching` always decide; `breaching` alarms whenever any other treatment does.
    #[test]
    fn decide_properties(slots in prop::collection::vec(slot_strategy(), 3..9), n in 1u32..6, m in 1u32..6) {
        let m = m.min(n);
        let verdicts: Vec<Verdict> = MODES.iter().map(|mode| decide(&slots, &Rule::new(n, m, *mode).unwrap())).collect();
        let n_reals = slots.iter().filter(|s| **s != Slot::Missing).count();
        if n_reals >= n as usize {
            prop_assert!(verdicts.iter().all(|v| *v == verdicts[0]));
        }
        prop_assert!(matches!(verdicts[2], Verdict::Ok | Verdict::Alarm));
        prop_assert!(matches!(verdicts[3], Verdict::Ok | Verdict::Alarm));
        if verdicts.contains(&Verdict::Alarm) {
            prop_assert_eq!(verdicts[2], Verdict::Alarm);
        }
        if verdicts[3] == Verdict::Alarm {
            prop_assert!(verdicts.iter().all(|v| *v == Verdict::Alarm));
        }
        // Turning a non-breaching datapoint into a breaching one never turns ALARM into OK.
        if let Some(idx) = slots.iter().position(|s| *s == Slot::NotBreaching) {
            let mut worse = slots.clone();
            worse[idx] = Slot::Breaching;
            for (mode, before) in MODES.iter().zip(&verdicts) {
                let after = decide(&worse, &Rule::new(n, m, *mode).unwrap());
                prop_assert!(!(*before == Verdict::Alarm && after == Verdict::Ok), "{} {:?}", mode, worse);
            }
        }
    }

    /// The series answers windows like a naive recomputation from the raw observations.
    #[test]
    fn series_matches_a_naive_reference(
        observations in prop::collection::vec((0i64..600_000, 0i32..20), 1..200),
        start_minute in 0i64..10,
        n_minutes in 1i64..10,
        hundredths in 0u16..=10_000,
    ) {
        let mut series = Series::new(Resolution::OneMinute, 60 * MINUTE_MS, true);
        for (offset_ms, value) in &observations {
            observe(&mut series, NOON_MS + offset_ms, f64::from(*value), NOON_MS + 600_000);
        }
        let start_ms = NOON_MS + start_minute * MINUTE_MS;
        let end_ms = start_ms + n_minutes * MINUTE_MS;
        let mut inside: Vec<f64> = observations
            .iter()
            .filter(|(offset_ms, _)| (start_ms..end_ms).contains(&(NOON_MS + offset_ms)))
            .map(|(_, value)| f64::from(*value))
            .collect();
        let stats = series.window(start_ms, end_ms, None);
        let percentile: Percentile = format!("p{}.{:02}", hundredths / 100, hundredths % 100).parse().unwrap();
        if inside.is_empty() {
            prop_assert_eq!(stats, None);
            prop_assert_eq!(series.window_percentile(start_ms, end_ms, None, &percentile), None);
        } else {
            let stats = stats.unwrap();
            prop_assert_eq!(stats.sample_count, inside.len() as u64);
            prop_assert_eq!(stats.sum, inside.iter().sum::<f64>());
            prop_assert_eq!(stats.minimum, inside.iter().copied().fold(f64::INFINITY, f64::min));
            prop_assert_eq!(stats.maximum, inside.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            inside.sort_by(f64::total_cmp);
            let rank = (u64::from(hundredths) * inside.len() as u64).div_ceil(10_000).max(1);
            prop_assert_eq!(
                series.window_percentile(start_ms, end_ms, None, &percentile),
                Some(inside[rank as usize - 1])
            );
        }
    }

    #[test]
    fn java_doubles_round_trip(value in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
        let printed = java_double(value).replace('E', "e");
        prop_assert_eq!(printed.parse::<f64>().unwrap(), value);
    }
}
