use std::path::Path;

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
    assert_eq!(catalog.schema_version().unwrap(), schema::latest());
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

fn access_key() -> AccessKey {
    AccessKey {
        access_key_id: "AKIAEXAMPLE000000001".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        account_id: "123456789012".into(),
        principal_type: "Root".into(),
        principal_arn: "arn:aws:iam::123456789012:root".into(),
        principal_id: "123456789012".into(),
        user_name: None,
        active: true,
    }
}

#[test]
fn keys_need_an_existing_account() {
    let catalog = Catalog::open_in_memory().unwrap();
    let key = access_key();
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
    assert_eq!(catalog.digest_stream(&id).unwrap().as_ref(), Some(stream), "one chain by its id");
    let other = DigestStreamId { region: "eu-west-1".into(), ..id.clone() };
    assert_eq!(catalog.digest_stream(&other).unwrap(), None);
    assert_eq!(catalog.undigested_files(&id, 100).unwrap(), vec![file("b", 50)]);
    catalog.commit_digest(&id, 100, None).unwrap();
    let stream = &catalog.digest_streams().unwrap()[0];
    assert_eq!((stream.head.as_ref(), stream.closed_at_ms), (None, Some(100)), "closed");
    catalog.drop_digest_stream(&id).unwrap();
    assert!(catalog.digest_streams().unwrap().is_empty());
}

/// Every migration as it shipped, from the frozen `testdata` file.
fn shipped_migrations() -> Vec<String> {
    let text = include_str!("../testdata/shipped-migrations.sql");
    let mut migrations: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(number) = line.strip_prefix("-- migration ") {
            assert_eq!(number.parse::<usize>().unwrap(), migrations.len() + 1);
            migrations.push(String::new());
        } else if let Some(sql) = migrations.last_mut() {
            sql.push_str(line);
            sql.push('\n');
        }
    }
    migrations
}

/// A database as the code that shipped the migrations left it after applying the first
/// `version` of them (the old code path: one array, `user_version` after each).
fn shipped_database(path: &Path, version: usize) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    for (idx, sql) in shipped_migrations().iter().take(version).enumerate() {
        let tx = conn.transaction().unwrap();
        tx.execute_batch(sql).unwrap();
        tx.pragma_update(None, "user_version", idx as u32 + 1).unwrap();
        tx.commit().unwrap();
    }
    conn
}

/// Every table and index with its SQL, by name.
fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    let mut statement = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn migration_numbers_are_dense_and_each_feature_in_order() {
    assert!(schema::numbers_are_dense_and_ordered());
    assert_eq!(
        schema::latest() as usize,
        shipped_migrations().len(),
        "a new migration ships with this test's file frozen, not edited"
    );
}

/// The newest shipped migration.
const SHIPPED: usize = 10;

#[test]
fn databases_of_every_shipped_version_open_and_migrate_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let shipped_schema = schema_of(&shipped_database(&dir.path().join("shipped.sqlite"), SHIPPED));
    let fresh = dir.path().join("fresh.sqlite");
    drop(Catalog::open(&fresh).unwrap());
    assert_eq!(schema_of(&Connection::open(&fresh).unwrap()), shipped_schema, "a new database");
    for version in 0..=SHIPPED {
        let path = dir.path().join(format!("v{version}.sqlite"));
        let conn = shipped_database(&path, version);
        if version >= 2 {
            // A trail that started logging before migration 6 recorded every window.
            conn.execute_batch(
                "INSERT INTO accounts VALUES ('123456789012', 'default', 1);
                 INSERT INTO trails (trail_arn, account_id, name, home_region, s3_bucket_name,
                    include_global_service_events, is_multi_region_trail,
                    log_file_validation_enabled, is_organization_trail, event_selectors,
                    has_custom_event_selectors, is_logging, start_logging_time_ms, created_at)
                 VALUES ('arn:aws:cloudtrail:us-east-1:123456789012:trail/main', '123456789012',
                    'main', 'us-east-1', 'audit-logs', 1, 0, 1, 0, '[]', 0, 1, 100, 1);",
            )
            .unwrap();
        }
        drop(conn);
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), schema::latest(), "from version {version}");
        drop(catalog);
        assert_eq!(
            schema_of(&Connection::open(&path).unwrap()),
            shipped_schema,
            "from version {version}"
        );
        if version >= 2 {
            let catalog = Catalog::open(&path).unwrap();
            let windows = catalog.logging_windows(&trail("main").trail_arn).unwrap();
            let expected = if version < 6 {
                vec![LoggingWindow { since_ms: 100, until_ms: None }]
            } else {
                vec![]
            };
            assert_eq!(windows, expected, "from version {version}: migration 6 backfills");
        }
    }
}

#[test]
fn access_key_debug_hides_the_secret() {
    let key = access_key();
    let shown = format!("{key:?}");
    assert!(shown.contains("AKIAEXAMPLE000000001"), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
}

#[test]
fn scoped_queries_see_only_their_scope() {
    let catalog = Catalog::open_in_memory().unwrap();
    // Each store is usable as a trait object: the seam a second implementation plugs into.
    let accounts: &dyn AccountStore = &catalog;
    let channels: &dyn ChannelStore = &catalog;
    let trails: &dyn TrailStore = &catalog;
    let alarms: &dyn AlarmStore = &catalog;
    let _tags: &dyn TagStore = &catalog;
    let _digests: &dyn DigestStore = &catalog;
    let _settings: &dyn SettingStore = &catalog;
    accounts.create_account(&account(), 1).unwrap();
    accounts
        .create_account(&Account { account_id: "210987654321".into(), name: "other".into() }, 1)
        .unwrap();
    let mut elsewhere = trail("west");
    elsewhere.trail_arn = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/west".into();
    elsewhere.home_region = "eu-west-1".into();
    for t in [trail("main"), trail("second"), elsewhere] {
        trails.create_trail(&t, 1).unwrap();
    }
    assert!(trails.trail_name_exists("123456789012", "west").unwrap(), "names are per account");
    assert!(!trails.trail_name_exists("210987654321", "main").unwrap());
    assert_eq!(trails.count_trails("123456789012", "us-east-1").unwrap(), 2);
    assert_eq!(trails.count_trails("123456789012", "eu-west-1").unwrap(), 1);
    assert_eq!(trails.count_trails("210987654321", "us-east-1").unwrap(), 0);

    channels.create_channel(&channel(), 1).unwrap();
    assert_eq!(channels.channels_in("123456789012", "us-east-1").unwrap(), vec![channel()]);
    assert!(channels.channels_in("123456789012", "eu-west-1").unwrap().is_empty());

    let filter = |account_id: &str, group: &str, name: &str| MetricFilterRow {
        account_id: account_id.into(),
        region: "us-east-1".into(),
        log_group_name: group.into(),
        filter_name: name.into(),
        document: "{}".into(),
        creation_time_ms: 1,
    };
    for row in [
        filter("123456789012", "g", "a"),
        filter("123456789012", "g", "b"),
        filter("123456789012", "h", "a"),
        filter("210987654321", "g", "a"),
    ] {
        alarms.put_metric_filter(&row).unwrap();
    }
    assert_eq!(alarms.count_metric_filters("123456789012", "us-east-1", "g").unwrap(), 2);
    assert_eq!(alarms.count_metric_filters("123456789012", "eu-west-1", "g").unwrap(), 0);
    assert_eq!(
        alarms.metric_filter("123456789012", "us-east-1", "g", "b").unwrap(),
        Some(filter("123456789012", "g", "b"))
    );
    assert_eq!(alarms.metric_filter("123456789012", "us-east-1", "h", "b").unwrap(), None);
    let names: Vec<(String, String)> = alarms
        .metric_filters_in("123456789012", "us-east-1")
        .unwrap()
        .into_iter()
        .map(|f| (f.log_group_name, f.filter_name))
        .collect();
    assert_eq!(
        names,
        [("g".into(), "a".into()), ("g".into(), "b".into()), ("h".into(), "a".into())]
    );

    // Per-account counts (what the per-account caps read): every region, one account only.
    assert!(alarms.log_group_exists("123456789012", "us-east-1", "h").unwrap(), "by its filter");
    assert!(!alarms.log_group_exists("123456789012", "eu-west-1", "h").unwrap());
    assert!(alarms.create_log_group("123456789012", "eu-west-1", "g", 1).unwrap());
    assert!(alarms.create_log_group("123456789012", "us-east-1", "g", 1).unwrap());
    assert!(alarms.log_group_exists("123456789012", "eu-west-1", "g").unwrap(), "created");
    assert_eq!(alarms.count_log_groups("123456789012").unwrap(), 3, "g and h here, g in eu");
    assert_eq!(alarms.count_log_groups("210987654321").unwrap(), 1);
    assert_eq!(alarms.count_log_groups("000000000000").unwrap(), 0);
    for (account_id, region, name) in
        [("123456789012", "us-east-1", "a"), ("123456789012", "eu-west-1", "a")]
    {
        let row = |document: &str| AlarmRow {
            account_id: account_id.into(),
            region: region.into(),
            alarm_name: name.into(),
            document: document.into(),
        };
        alarms.put_alarm(&row("{}"), None).unwrap();
        alarms
            .put_target(&TargetRow {
                account_id: account_id.into(),
                region: region.into(),
                name: name.into(),
                document: "{}".into(),
                managed_by: "api".into(),
            })
            .unwrap();
    }
    assert_eq!(alarms.count_alarms("123456789012").unwrap(), 2);
    assert_eq!(alarms.count_alarms("210987654321").unwrap(), 0);
    assert_eq!(alarms.count_targets("123456789012").unwrap(), 2);
    assert_eq!(alarms.count_targets("210987654321").unwrap(), 0);
}

#[test]
fn policies_attach_to_one_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    catalog.create_account(&account(), 1).unwrap();
    catalog.attach_user_policy("123456789012", "admin", "AdministratorAccess", 5).unwrap();
    catalog.attach_user_policy("123456789012", "admin", "AdministratorAccess", 6).unwrap();
    catalog.attach_user_policy("123456789012", "admin", "AWSCloudTrail_ReadOnlyAccess", 7).unwrap();
    assert_eq!(
        catalog.user_policies("123456789012", "admin").unwrap(),
        ["AdministratorAccess", "AWSCloudTrail_ReadOnlyAccess"]
    );
    assert!(catalog.user_policies("123456789012", "alice").unwrap().is_empty());
    assert!(catalog.attach_user_policy("999999999999", "admin", "AdministratorAccess", 8).is_err());
}
