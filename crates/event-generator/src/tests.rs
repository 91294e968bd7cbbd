use std::collections::BTreeMap;

use cloudtrail_model::{Record, parse_and_validate};

use super::*;

fn config(seed: u64, count: u64, storyline: Storyline) -> Config {
    Config { seed, count, start_unix_seconds: 1_793_491_200, events_per_second: 20, storyline }
}

fn generate(config: Config) -> (Vec<Vec<u8>>, Vec<Summary>, Vec<Planted>) {
    let mut generator = Generator::new(config);
    let mut records = Vec::new();
    let mut summaries = Vec::new();
    let mut buf = Vec::new();
    while let Some(summary) = generator.next_into(&mut buf) {
        records.push(std::mem::take(&mut buf));
        summaries.push(summary);
    }
    (records, summaries, generator.planted().to_vec())
}

#[test]
fn same_seed_same_bytes() {
    let (a, _, _) = generate(config(7, 3000, Storyline::Attack));
    let (b, _, _) = generate(config(7, 3000, Storyline::Attack));
    assert_eq!(a, b);
    let (c, _, _) = generate(config(8, 3000, Storyline::Attack));
    assert_ne!(a, c);
}

#[test]
fn every_record_validates_and_matches_its_summary() {
    for storyline in [Storyline::None, Storyline::Attack] {
        let (records, summaries, _) = generate(config(11, 20_000, storyline));
        for (bytes, summary) in records.iter().zip(&summaries) {
            let record = parse_and_validate(bytes)
                .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(bytes)));
            assert_eq!(record.event_name(), Some(summary.event_name));
            assert_eq!(record.event_source(), Some(summary.event_source));
            assert_eq!(record.aws_region.as_deref(), Some(summary.aws_region));
            assert_eq!(record.error_code.as_deref(), summary.error_code);
            assert_eq!(record.to_json_bytes(), *bytes, "generated JSON is compact and canonical");
        }
    }
}

#[test]
fn the_mix_is_realistic() {
    let (records, summaries, planted) = generate(config(3, 200_000, Storyline::None));
    assert!(planted.is_empty());
    let count = |f: &dyn Fn(&Summary) -> bool| summaries.iter().filter(|s| f(s)).count();
    let identity_types: BTreeMap<&str, usize> =
        summaries.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(s.identity_type).or_default() += 1;
            m
        });
    for t in [
        "IAMUser",
        "AssumedRole",
        "Root",
        "FederatedUser",
        "AWSService",
        "IdentityCenterUser",
        "SAMLUser",
        "WebIdentityUser",
    ] {
        assert!(identity_types.get(t).copied().unwrap_or(0) > 0, "no {t}: {identity_types:?}");
    }
    assert!(identity_types["AssumedRole"] > summaries.len() / 2, "role sessions dominate");
    let n_errors = count(&|s| s.error_code.is_some());
    assert!((summaries.len() / 100..summaries.len() / 20).contains(&n_errors), "{n_errors} errors");
    for code in ["AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException"] {
        assert!(count(&|s| s.error_code == Some(code)) > 0, "no {code}");
    }
    let n_data = count(&|s| s.event_category == "Data");
    assert!(
        (summaries.len() / 5..summaries.len() * 3 / 5).contains(&n_data),
        "{n_data} data events"
    );
    let sources: std::collections::BTreeSet<&str> =
        summaries.iter().map(|s| s.event_source).collect();
    assert!(sources.len() >= 20, "{sources:?}");
    let names: std::collections::BTreeSet<&str> = summaries.iter().map(|s| s.event_name).collect();
    assert!(names.len() >= 80, "{} event names", names.len());
    assert_eq!(
        summaries.iter().map(|s| s.account_id).collect::<std::collections::BTreeSet<_>>().len(),
        3
    );
    assert_eq!(
        summaries.iter().map(|s| s.aws_region).collect::<std::collections::BTreeSet<_>>().len(),
        5
    );

    // Console sign-ins: with MFA, without MFA, and failed.
    let (mut with_mfa, mut without_mfa, mut failed) = (0, 0, 0);
    for bytes in &records {
        let record = Record::parse(bytes).unwrap();
        if record.event_name() != Some("ConsoleLogin") {
            continue;
        }
        let extra = record.additional_event_data.get().unwrap();
        match (record.error_message.as_deref(), extra.get("MFAUsed").and_then(|v| v.as_str())) {
            (Some("Failed authentication"), _) => failed += 1,
            (None, Some("Yes")) => with_mfa += 1,
            (None, Some("No")) => without_mfa += 1,
            other => panic!("unexpected sign-in {other:?}"),
        }
    }
    assert!(
        with_mfa > without_mfa && without_mfa > 0 && failed > 0,
        "{with_mfa} {without_mfa} {failed}"
    );
}

#[test]
fn traffic_follows_the_working_day() {
    // One event a second on average, from a Monday at midnight: a little over a day.
    let config = Config {
        events_per_second: 1,
        start_unix_seconds: 1_793_577_600,
        ..config(5, 100_000, Storyline::None)
    };
    let (records, _, _) = generate(config);
    let mut per_hour = [0u64; 24];
    for bytes in &records {
        let record = Record::parse(bytes).unwrap();
        let t = cloudtrail_model::EventTime::parse(record.event_time().unwrap()).unwrap();
        per_hour[(t.unix_seconds.rem_euclid(86_400) / 3600) as usize] += 1;
    }
    assert!(per_hour[11] > 3 * per_hour[3], "{per_hour:?}");
    let first = Record::parse(&records[0]).unwrap();
    let last = Record::parse(records.last().unwrap()).unwrap();
    let span = cloudtrail_model::EventTime::parse(last.event_time().unwrap()).unwrap().unix_seconds
        - cloudtrail_model::EventTime::parse(first.event_time().unwrap()).unwrap().unix_seconds;
    // 100k events at about 1/s: roughly 100 000 s, give or take the weekly rhythm.
    assert!((60_000..150_000).contains(&span), "span {span} s");
}

/// A record that a CIS monitoring filter (main form) would count.
fn cis_relevant(record: &Record) -> bool {
    let source = record.event_source().unwrap_or_default();
    let name = record.event_name().unwrap_or_default();
    let error = record.error_code.as_deref().unwrap_or_default();
    let root = record.identity_type() == Some(cloudtrail_model::IdentityType::Root)
        && record.user_identity.get().is_some_and(|u| u.invoked_by.is_absent())
        && record.event_type.as_deref() != Some("AwsServiceEvent");
    let mfa_used =
        record.additional_event_data.get().and_then(|d| d.get("MFAUsed")).and_then(|v| v.as_str());
    let sign_in_without_mfa = name == "ConsoleLogin" && mfa_used.is_some_and(|m| m != "Yes");
    let sign_in_failed =
        name == "ConsoleLogin" && record.error_message.as_deref() == Some("Failed authentication");
    catalog::is_cis_monitored_call(source, name)
        || catalog::is_unauthorized_error(error)
        || root
        || sign_in_without_mfa
        || sign_in_failed
}

#[test]
fn attack_storyline_is_the_only_cis_signal() {
    let (records, summaries, planted) = generate(config(7, 50_000, Storyline::Attack));
    assert_eq!(planted.len(), storyline::STEPS.len());
    let mut metrics = std::collections::BTreeSet::new();
    for p in &planted {
        let record = Record::parse(&records[p.index as usize]).unwrap();
        assert_eq!(record.event_id(), Some(p.event_id.as_str()));
        assert_eq!(record.event_time(), Some(p.event_time.as_str()));
        assert!(summaries[p.index as usize].planted);
        metrics.extend(p.cis_metrics.iter().copied());
        let sidecar = cloudtrail_model::json::parse(p.to_json().as_bytes()).unwrap();
        assert_eq!(
            sidecar.as_object().unwrap().get("eventID").unwrap().as_str(),
            Some(p.event_id.as_str())
        );
    }
    // Every CIS monitoring topic of cis-pack.md §2 is planted at least once.
    assert_eq!(metrics.len(), 15, "{metrics:?}");
    // A record is CIS-relevant exactly when it was planted with CIS metrics.
    let cis_planted: std::collections::BTreeSet<u64> =
        planted.iter().filter(|p| !p.cis_metrics.is_empty()).map(|p| p.index).collect();
    for (idx, bytes) in records.iter().enumerate() {
        let record = Record::parse(bytes).unwrap();
        assert_eq!(
            cis_relevant(&record),
            cis_planted.contains(&(idx as u64)),
            "record {idx}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn benign_traffic_has_no_cis_signal() {
    let (records, _, planted) = generate(config(11, 50_000, Storyline::Benign));
    assert!(planted.is_empty());
    for (idx, bytes) in records.iter().enumerate() {
        let record = Record::parse(bytes).unwrap();
        assert!(!cis_relevant(&record), "record {idx}: {}", String::from_utf8_lossy(bytes));
    }
}

#[test]
fn short_runs_plant_what_fits() {
    let (records, _, planted) = generate(config(1, 5, Storyline::Attack));
    assert_eq!(records.len(), 5);
    assert_eq!(planted.len(), 5);
}
