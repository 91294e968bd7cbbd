-- The catalog's migrations 1 to 9 exactly as OpenTrail shipped them, in one array applied in order
-- (each in its own transaction, then `PRAGMA user_version = N`). Frozen: tests build databases
-- of every shipped version from this file and open them with the current code.

-- migration 1
CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        principal_type TEXT NOT NULL,
        principal_arn TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        user_name TEXT,
        status TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
        created_at INTEGER NOT NULL
    );
    CREATE TABLE channels (
        channel_id TEXT PRIMARY KEY,
        channel_arn TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, region, name)
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

-- migration 2
CREATE TABLE trails (
        trail_arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        name TEXT NOT NULL,
        home_region TEXT NOT NULL,
        s3_bucket_name TEXT NOT NULL,
        s3_key_prefix TEXT,
        sns_topic_name TEXT,
        include_global_service_events INTEGER NOT NULL,
        is_multi_region_trail INTEGER NOT NULL,
        log_file_validation_enabled INTEGER NOT NULL,
        cloud_watch_logs_log_group_arn TEXT,
        cloud_watch_logs_role_arn TEXT,
        kms_key_id TEXT,
        is_organization_trail INTEGER NOT NULL,
        event_selectors TEXT NOT NULL,
        has_custom_event_selectors INTEGER NOT NULL,
        insight_selectors TEXT,
        is_logging INTEGER NOT NULL DEFAULT 0,
        start_logging_time_ms INTEGER,
        stop_logging_time_ms INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, name)
    );
    CREATE TABLE tags (
        resource_arn TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (resource_arn, key)
    );

-- migration 3
CREATE TABLE signing_keys (
        fingerprint TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        public_pkcs1_der BLOB NOT NULL,
        private_pkcs8_der BLOB NOT NULL,
        valid_from_ms INTEGER NOT NULL,
        valid_to_ms INTEGER NOT NULL
    );
    CREATE INDEX signing_keys_by_region ON signing_keys (region, valid_from_ms);

-- migration 4
ALTER TABLE channels ADD COLUMN destinations TEXT NOT NULL DEFAULT '[]';

-- migration 5
ALTER TABLE trails ADD COLUMN latest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_error TEXT;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_delivery_attempt_succeeded INTEGER;

-- migration 6
CREATE TABLE logging_changes (
        trail_arn TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        logging INTEGER NOT NULL
    );
    CREATE INDEX logging_changes_by_trail ON logging_changes (trail_arn, at_ms);
    INSERT INTO logging_changes (trail_arn, at_ms, logging)
        SELECT trail_arn, start_logging_time_ms, 1 FROM trails
        WHERE start_logging_time_ms IS NOT NULL;
    INSERT INTO logging_changes (trail_arn, at_ms, logging)
        SELECT trail_arn, stop_logging_time_ms, 0 FROM trails
        WHERE stop_logging_time_ms IS NOT NULL AND is_logging = 0;

-- migration 7
CREATE TABLE digest_streams (
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        head_bucket TEXT,
        head_key TEXT,
        head_sha256 TEXT,
        head_signature TEXT,
        head_end_ms INTEGER,
        closed_at_ms INTEGER,
        planned_end_ms INTEGER,
        trail_name TEXT,
        home_region TEXT,
        bucket TEXT,
        key_prefix TEXT,
        organization_id TEXT,
        PRIMARY KEY (trail_arn, account_id, region)
    );
    CREATE TABLE digest_files (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        oldest_event_time TEXT,
        newest_event_time TEXT,
        stored_at_ms INTEGER NOT NULL,
        digest_end_ms INTEGER,
        PRIMARY KEY (bucket, key)
    );
    CREATE INDEX digest_files_by_stream
        ON digest_files (trail_arn, account_id, region, digest_end_ms, stored_at_ms);
    ALTER TABLE trails ADD COLUMN latest_digest_delivery_time_ms INTEGER;
    ALTER TABLE trails ADD COLUMN latest_digest_delivery_error TEXT;

-- migration 8
CREATE TABLE metric_filters (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        log_group_name TEXT NOT NULL,
        filter_name TEXT NOT NULL,
        document TEXT NOT NULL,
        creation_time_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, log_group_name, filter_name)
    );
    CREATE TABLE metric_alarms (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (account_id, region, alarm_name)
    );
    CREATE TABLE alarm_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    CREATE INDEX alarm_history_by_alarm ON alarm_history (account_id, region, alarm_name, id);
    CREATE TABLE notification_targets (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        managed_by TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ms INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        target_arn TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        document TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        last_attempt_ms INTEGER,
        last_error TEXT,
        delivered_ms INTEGER
    );
    CREATE INDEX notifications_due ON notifications (status, next_attempt_ms);

-- migration 9
CREATE TABLE log_groups (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_time_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );
-- migration 10
CREATE TABLE user_policies (
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        user_name TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        attached_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, user_name, policy_name)
    );
