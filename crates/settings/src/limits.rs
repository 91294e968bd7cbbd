//! Every bound the settings file enforces, named once.
//!
//! IAM's own limits are used where OpenTrail mirrors IAM (name lengths, keys per user), so a
//! configuration that OpenTrail accepts would also be accepted by AWS.

/// Largest settings text `Settings::from_toml` reads (bytes): about ten thousand users.
pub const SETTINGS_TEXT_BYTES_MAX: usize = 1024 * 1024;

/// An account id is exactly this many ASCII digits.
pub const ACCOUNT_ID_DIGITS: usize = 12;
/// Longest account name (characters; the AWS Organizations limit).
pub const ACCOUNT_NAME_CHARS_MAX: usize = 50;

/// Characters after `o-` in an organization id (AWS Organizations: `^o-[a-z0-9]{10,32}$`).
pub const ORGANIZATION_ID_SUFFIX_CHARS_MIN: usize = 10;
/// See [`ORGANIZATION_ID_SUFFIX_CHARS_MIN`].
pub const ORGANIZATION_ID_SUFFIX_CHARS_MAX: usize = 32;

/// Longest IAM user name (characters).
pub const USER_NAME_CHARS_MAX: usize = 64;
/// Longest IAM role name (characters).
pub const ROLE_NAME_CHARS_MAX: usize = 64;
/// Longest IAM path, slashes included (characters).
pub const PATH_CHARS_MAX: usize = 512;
/// Longest policy name (characters).
pub const POLICY_NAME_CHARS_MAX: usize = 128;
/// Longest statement id (characters).
pub const STATEMENT_SID_CHARS_MAX: usize = 128;
/// Longest role session name (characters; STS `RoleSessionName`).
pub const ROLE_SESSION_NAME_CHARS_MAX: usize = 64;

/// Most access keys one principal may have (IAM allows two, so keys can be rotated).
pub const ACCESS_KEYS_PER_PRINCIPAL_MAX: usize = 2;
/// An access key id is `AKIA` followed by this many characters of `[A-Z2-7]`.
pub const ACCESS_KEY_ID_SUFFIX_CHARS: usize = 16;
/// Shortest secret access key (characters; AWS issues exactly 40).
pub const SECRET_CHARS_MIN: usize = 40;
/// Longest secret access key (characters).
pub const SECRET_CHARS_MAX: usize = 128;

/// Most policies (named and inline together) attached to one user or role.
pub const POLICIES_PER_PRINCIPAL_MAX: usize = 20;
/// Most statements in one policy.
pub const STATEMENTS_PER_POLICY_MAX: usize = 100;
/// Most action patterns in one statement.
pub const ACTIONS_PER_STATEMENT_MAX: usize = 100;
/// Most resource patterns in one statement.
pub const RESOURCES_PER_STATEMENT_MAX: usize = 100;
/// Longest action pattern (characters).
pub const ACTION_PATTERN_CHARS_MAX: usize = 128;
/// Longest resource pattern (characters; the longest ARN AWS accepts).
pub const RESOURCE_PATTERN_CHARS_MAX: usize = 2048;

/// Most `[[s3_stores]]`.
pub const S3_STORES_MAX: usize = 32;
/// Longest S3 store name (characters).
pub const S3_STORE_NAME_CHARS_MAX: usize = 64;
/// Longest S3 endpoint URL (characters).
pub const S3_ENDPOINT_CHARS_MAX: usize = 2048;
/// Longest S3 access key id (characters).
pub const S3_ACCESS_KEY_ID_CHARS_MAX: usize = 128;
/// Longest S3 secret access key (characters).
pub const S3_SECRET_CHARS_MAX: usize = 256;
/// Longest S3 session token (characters).
pub const S3_SESSION_TOKEN_CHARS_MAX: usize = 4096;
/// Most bucket patterns of one S3 store.
pub const S3_BUCKETS_PER_STORE_MAX: usize = 100;
/// Longest bucket name or pattern (characters; S3's bucket name limit).
pub const S3_BUCKET_PATTERN_CHARS_MAX: usize = 63;

/// Shortest `delivery_interval` (milliseconds).
pub const DELIVERY_INTERVAL_MS_MIN: u64 = 100;
/// Longest `delivery_interval` (milliseconds): one hour.
pub const DELIVERY_INTERVAL_MS_MAX: u64 = 3_600_000;

/// Shortest `digest_interval` (milliseconds): digest names carry whole seconds.
pub const DIGEST_INTERVAL_MS_MIN: u64 = 1_000;
/// Longest `digest_interval` (milliseconds): one day.
pub const DIGEST_INTERVAL_MS_MAX: u64 = 86_400_000;

/// Shortest `history_retention` (milliseconds): short windows are for tests.
pub const HISTORY_RETENTION_MS_MIN: u64 = 10_000;
/// Longest `history_retention` (milliseconds): ten years.
pub const HISTORY_RETENTION_MS_MAX: u64 = 3650 * 86_400_000;

/// Longest `data_dir` (characters).
pub const DATA_DIR_CHARS_MAX: usize = 4096;

const _: () = assert!(ORGANIZATION_ID_SUFFIX_CHARS_MIN <= ORGANIZATION_ID_SUFFIX_CHARS_MAX);
const _: () = assert!(SECRET_CHARS_MIN <= SECRET_CHARS_MAX);
const _: () = assert!(ACCESS_KEYS_PER_PRINCIPAL_MAX >= 2, "key rotation needs two keys");
