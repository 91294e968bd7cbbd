use super::*;

fn account() -> Account {
    Account { account_id: "123456789012".into(), name: "default".into() }
}

fn channel() -> Channel {
    Channel {
        channel_id: "01234567-89ab-cdef-0123-456789abcdef".into(),
        channel_arn:
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/01234567-89ab-cdef-0123-456789abcdef"
                .into(),
        name: "default".into(),
        source: "Custom".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        destinations: "[]".into(),
    }
}

#[test]
fn migrations_apply_once_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len() as u32);
    catalog.create_account(&account(), 1).unwrap();
    drop(catalog);
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.accounts().unwrap(), vec![account()]);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Catalog::open(&path).err().unwrap();
    assert!(err.to_string().contains("schema version 99 is newer"), "{err}");
}

#[test]
fn channels_by_arn_or_id() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_account(&account(), 1).unwrap();
    catalog.create_channel(&channel(), 1).unwrap();
    assert_eq!(catalog.channel(&channel().channel_arn).unwrap(), Some(channel()));
    assert_eq!(catalog.channel(&channel().channel_id).unwrap(), Some(channel()));
    assert_eq!(catalog.channel("nope").unwrap(), None);
    let err = catalog.create_channel(&channel(), 2).unwrap_err();
    assert_eq!(err.to_string(), "channel `default` already exists");
}

#[test]
fn keys_need_an_existing_account() {
    let catalog = Catalog::open_in_memory().unwrap();
    let key = AccessKey {
        access_key_id: "AKIAEXAMPLE000000001".into(),
        secret_access_key: "secret".into(),
        account_id: "123456789012".into(),
        principal_type: "Root".into(),
        principal_arn: "arn:aws:iam::123456789012:root".into(),
        principal_id: "123456789012".into(),
        user_name: None,
        active: true,
    };
    assert!(catalog.create_access_key(&key, 1).is_err(), "foreign key must hold");
    catalog.create_account(&account(), 1).unwrap();
    catalog.create_access_key(&key, 1).unwrap();
    assert_eq!(catalog.access_keys().unwrap(), vec![key]);
    catalog.set_setting("default_region", "eu-west-1").unwrap();
    catalog.set_setting("default_region", "us-east-1").unwrap();
    assert_eq!(catalog.setting("default_region").unwrap().as_deref(), Some("us-east-1"));
}

fn trail(name: &str) -> Trail {
    Trail {
        trail_arn: format!("arn:aws:cloudtrail:us-east-1:123456789012:trail/{name}"),
        account_id: "123456789012".into(),
        name: name.into(),
        home_region: "us-east-1".into(),
        s3_bucket_name: "audit-logs".into(),
        s3_key_prefix: Some("prod".into()),
        sns_topic_name: None,
        include_global_service_events: true,
        is_multi_region_trail: false,
        log_file_validation_enabled: true,
        cloud_watch_logs_log_group_arn: None,
        cloud_watch_logs_role_arn: None,
        kms_key_id: None,
        is_organization_trail: false,
        event_selectors: "[]".into(),
        has_custom_event_selectors: false,
        insight_selectors: None,
        is_logging: false,
        start_logging_time_ms: None,
        stop_logging_time_ms: None,
    }
}

#[test]
fn trails_lifecycle_and_tags() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_account(&account(), 1).unwrap();
    catalog.create_trail(&trail("main"), 1).unwrap();
    assert_eq!(
        catalog.create_trail(&trail("main"), 2).unwrap_err().to_string(),
        "trail `main` already exists"
    );
    let mut updated = trail("main");
    updated.is_logging = true;
    updated.start_logging_time_ms = Some(5);
    assert!(catalog.update_trail(&updated).unwrap());
    assert_eq!(catalog.trail(&updated.trail_arn).unwrap(), Some(updated.clone()));
    catalog.create_trail(&trail("b-other"), 1).unwrap();
    let names: Vec<String> = catalog.trails().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["b-other", "main"]);
    catalog
        .add_tags(
            &updated.trail_arn,
            &[("team".into(), "sec".into()), ("env".into(), "prod".into())],
        )
        .unwrap();
    catalog.add_tags(&updated.trail_arn, &[("env".into(), "stage".into())]).unwrap();
    assert_eq!(
        catalog.tags(&updated.trail_arn).unwrap(),
        vec![("env".into(), "stage".into()), ("team".into(), "sec".into())]
    );
    catalog
        .remove_tags(
            &updated.trail_arn,
            &[("env".into(), Some("prod".into())), ("team".into(), None)],
        )
        .unwrap();
    assert_eq!(catalog.tags(&updated.trail_arn).unwrap(), vec![("env".into(), "stage".into())]);
    assert!(catalog.delete_trail(&updated.trail_arn).unwrap());
    assert!(!catalog.delete_trail(&updated.trail_arn).unwrap());
    assert!(catalog.tags(&updated.trail_arn).unwrap().is_empty());
}

#[test]
fn delivery_status_is_recorded() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_account(&account(), 1).unwrap();
    let main = trail("main");
    catalog.create_trail(&main, 1).unwrap();
    assert_eq!(catalog.delivery_status(&main.trail_arn).unwrap(), DeliveryStatus::default());
    catalog.record_delivery(&main.trail_arn, 10, None).unwrap();
    catalog.record_delivery(&main.trail_arn, 20, Some("bucket unreachable")).unwrap();
    let status = catalog.delivery_status(&main.trail_arn).unwrap();
    assert_eq!(status.latest_delivery_time_ms, Some(10));
    assert_eq!(status.latest_delivery_error.as_deref(), Some("bucket unreachable"));
    assert_eq!(
        (status.latest_delivery_attempt_ms, status.latest_delivery_attempt_succeeded),
        (Some(20), Some(false))
    );
    catalog.record_delivery(&main.trail_arn, 30, None).unwrap();
    assert_eq!(catalog.delivery_status(&main.trail_arn).unwrap().latest_delivery_error, None);
}

#[test]
fn every_logging_window_is_kept() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_account(&account(), 1).unwrap();
    let mut main = trail("main");
    catalog.create_trail(&main, 1).unwrap();
    let arn = main.trail_arn.clone();
    assert!(catalog.logging_windows(&arn).unwrap().is_empty(), "never logged");
    let mut set = |logging: bool, at_ms: i64| {
        main.is_logging = logging;
        if logging {
            main.start_logging_time_ms = Some(at_ms);
        } else {
            main.stop_logging_time_ms = Some(at_ms);
        }
        assert!(catalog.update_trail(&main).unwrap());
    };
    set(true, 100);
    set(false, 200);
    set(true, 300);
    // A start while logging (same time recorded again) changes nothing.
    set(true, 300);
    let w = |since_ms, until_ms| LoggingWindow { since_ms, until_ms };
    assert_eq!(catalog.logging_windows(&arn).unwrap(), [w(100, Some(200)), w(300, None)]);
    set(false, 400);
    assert_eq!(catalog.logging_windows(&arn).unwrap(), [w(100, Some(200)), w(300, Some(400))]);
    // Created logging (as in tests and benchmarks): one open window.
    let mut other = trail("other");
    other.is_logging = true;
    other.start_logging_time_ms = Some(50);
    catalog.create_trail(&other, 1).unwrap();
    assert_eq!(catalog.logging_windows(&other.trail_arn).unwrap(), [w(50, None)]);
    assert!(catalog.delete_trail(&arn).unwrap());
    assert!(catalog.logging_windows(&arn).unwrap().is_empty());
}

#[test]
fn signing_keys_are_created_once_rotated_on_demand_and_never_deleted() {
    let catalog = Catalog::open_in_memory().unwrap();
    let first = catalog.current_signing_key("us-east-1", 1_000).unwrap();
    assert_eq!(
        catalog.current_signing_key("us-east-1", 2_000).unwrap(),
        first,
        "reused while valid"
    );
    assert_eq!(first.valid_to_ms, 1_000 + SIGNING_KEY_VALIDITY_MS);
    let second = catalog.rotate_signing_key("us-east-1", 5_000).unwrap();
    assert_ne!(second.fingerprint, first.fingerprint);
    assert_eq!(catalog.current_signing_key("us-east-1", 6_000).unwrap(), second);
    let keys = catalog.signing_keys("us-east-1").unwrap();
    assert_eq!(keys.len(), 2, "the retired key stays listed");
    assert_eq!(
        (keys[0].fingerprint.as_str(), keys[0].valid_to_ms),
        (first.fingerprint.as_str(), 5_000)
    );
    // Past its validity a region gets a new key; other regions have their own.
    let later = catalog.current_signing_key("us-east-1", 5_000 + SIGNING_KEY_VALIDITY_MS).unwrap();
    assert_ne!(later.fingerprint, second.fingerprint);
    assert_ne!(
        catalog.current_signing_key("eu-west-1", 6_000).unwrap().fingerprint,
        second.fingerprint
    );
    assert_eq!(catalog.signing_key_regions().unwrap(), ["eu-west-1", "us-east-1"]);
}

#[test]
fn digest_chains_register_files_once_and_commit_atomically() {
    let catalog = Catalog::open_in_memory().unwrap();
    let id = DigestStreamId {
        trail_arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
    };
    let file = |key: &str, stored_at_ms: i64| DigestFileRow {
        bucket: "b".into(),
        key: key.into(),
        sha256_hex: "h".into(),
        oldest_event_time: None,
        newest_event_time: None,
        stored_at_ms,
    };
    catalog.register_log_file(&id, &file("a", 10)).unwrap();
    catalog.register_log_file(&id, &file("a", 99)).unwrap();
    catalog.register_log_file(&id, &file("b", 50)).unwrap();
    assert_eq!(
        catalog.undigested_files(&id, 40).unwrap(),
        vec![file("a", 10)],
        "first registration wins"
    );
    let target = DigestTarget {
        trail_name: "t".into(),
        home_region: "us-east-1".into(),
        bucket: "b".into(),
        key_prefix: None,
        organization_id: None,
    };
    catalog.plan_digest(&id, 40, &target).unwrap();
    let planned = catalog.digest_streams().unwrap();
    assert_eq!((planned[0].planned_end_ms, planned[0].target.as_ref()), (Some(40), Some(&target)));
    let head = ChainHead {
        bucket: "b".into(),
        key: "d1".into(),
        sha256_hex: "s".into(),
        signature_hex: "g".into(),
        end_ms: 40,
    };
    catalog.commit_digest(&id, 40, Some(&head)).unwrap();
    let stream = &catalog.digest_streams().unwrap()[0];
    assert_eq!((stream.head.as_ref(), stream.planned_end_ms), (Some(&head), None));
    assert_eq!(catalog.undigested_files(&id, 100).unwrap(), vec![file("b", 50)]);
    catalog.commit_digest(&id, 100, None).unwrap();
    let stream = &catalog.digest_streams().unwrap()[0];
    assert_eq!((stream.head.as_ref(), stream.closed_at_ms), (None, Some(100)), "closed");
    catalog.drop_digest_stream(&id).unwrap();
    assert!(catalog.digest_streams().unwrap().is_empty());
}
