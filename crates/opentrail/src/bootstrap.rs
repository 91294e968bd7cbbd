//! First start, secure by default: the account, its root user's key (written once to
//! `root.env` for the operator to put away), an administrator IAM user `admin` with
//! `AdministratorAccess` whose key goes into `admin.env` (rewritten on every start so
//! `set -a; . admin.env; set +a` points the AWS CLI at this server), the default channel, and
//! — unless the configuration turns it off — the default trail: multi-region, global service
//! events, log file validation, logging, into a local bucket.

use std::path::{Path, PathBuf};

use anyhow::Context;
use catalog::{AccessKey, Account, Catalog, Channel};
use catalog::{AccountStore as _, ChannelStore as _, SettingStore as _, TrailStore as _};

/// What the bootstrap found or created.
pub(crate) struct Bootstrap {
    /// The administrator IAM user's key (what `admin.env` holds).
    pub(crate) admin_key: AccessKey,
    /// The root user's key when it was created by this start (written to `root.env` once).
    pub(crate) new_root_key: Option<AccessKey>,
    pub(crate) default_channel: Channel,
    pub(crate) region: String,
    pub(crate) first_start: bool,
}

impl Bootstrap {
    pub(crate) fn account_id(&self) -> &str {
        &self.admin_key.account_id
    }
}

const ACCOUNT_SETTING: &str = "bootstrap.account_id";
/// The root user's key (named so since the first release, when it was the only key).
const KEY_SETTING: &str = "bootstrap.admin_access_key_id";
/// The administrator IAM user's key.
const ADMIN_USER_KEY_SETTING: &str = "bootstrap.admin_user_access_key_id";
const CHANNEL_SETTING: &str = "bootstrap.default_channel_arn";
const REGION_SETTING: &str = "bootstrap.region";
const TRAIL_SETTING: &str = "bootstrap.default_trail_arn";

/// The administrator IAM user's name.
pub(crate) const ADMIN_USER: &str = "admin";
/// The default trail's name (the name the AWS console gives its first trail).
pub(crate) const DEFAULT_TRAIL: &str = "management-events";

pub(crate) fn ensure(catalog: &Catalog, region: &str, now_unix: i64) -> anyhow::Result<Bootstrap> {
    if let Some(key_id) = catalog.setting(KEY_SETTING)? {
        let keys = catalog.access_keys()?;
        let root_key =
            keys.iter().find(|k| k.access_key_id == key_id).cloned().context(
                "the catalog names a root key that does not exist; the catalog is damaged",
            )?;
        let region = catalog.setting(REGION_SETTING)?.unwrap_or_else(|| region.to_owned());
        let existing = match catalog.setting(CHANNEL_SETTING)? {
            Some(arn) => catalog.channel(&arn)?,
            None => None,
        };
        // The default channel can be deleted through the API; a new one takes its place.
        let default_channel = match existing {
            Some(channel) => channel,
            None => create_default_channel(catalog, &root_key.account_id, &region, now_unix)?,
        };
        // A data directory from before the administrator user gets one now, and its root key
        // leaves `admin.env` for `root.env`.
        let (admin_key, upgraded) = match catalog.setting(ADMIN_USER_KEY_SETTING)? {
            Some(admin_id) => {
                let key = keys.into_iter().find(|k| k.access_key_id == admin_id).context(
                    "the catalog names an administrator key that does not exist; the catalog is damaged",
                )?;
                (key, false)
            }
            None => {
                let key = create_admin_user(catalog, &root_key.account_id, now_unix)?;
                catalog.set_setting(ADMIN_USER_KEY_SETTING, &key.access_key_id)?;
                (key, true)
            }
        };
        return Ok(Bootstrap {
            admin_key,
            new_root_key: upgraded.then_some(root_key),
            default_channel,
            region,
            first_start: false,
        });
    }
    anyhow::ensure!(
        cloudtrail_model::regions::is_known(region),
        "`--region {region}` is not an AWS region like `us-east-1`"
    );
    let account_id = {
        let digits = random_text(b"0123456789", 12)?;
        let first = random_text(b"123456789", 1)?;
        format!("{first}{}", &digits[1..])
    };
    catalog.create_account(
        &Account { account_id: account_id.clone(), name: "default".into() },
        now_unix,
    )?;
    let partition = cloudtrail_model::regions::partition_of(region);
    let root_key = AccessKey {
        access_key_id: new_access_key_id()?,
        secret_access_key: new_secret()?,
        account_id: account_id.clone(),
        principal_type: "Root".into(),
        principal_arn: format!("arn:{partition}:iam::{account_id}:root"),
        principal_id: account_id.clone(),
        user_name: None,
        active: true,
    };
    catalog.create_access_key(&root_key, now_unix)?;
    let admin_key = create_admin_user(catalog, &account_id, now_unix)?;
    let default_channel = create_default_channel(catalog, &account_id, region, now_unix)?;
    catalog.set_setting(ACCOUNT_SETTING, &account_id)?;
    catalog.set_setting(REGION_SETTING, region)?;
    catalog.set_setting(ADMIN_USER_KEY_SETTING, &admin_key.access_key_id)?;
    // Written last: its presence means the bootstrap completed.
    catalog.set_setting(KEY_SETTING, &root_key.access_key_id)?;
    Ok(Bootstrap {
        admin_key,
        new_root_key: Some(root_key),
        default_channel,
        region: region.to_owned(),
        first_start: true,
    })
}

/// The administrator IAM user `admin` of `account_id`, with `AdministratorAccess` and a key.
fn create_admin_user(
    catalog: &Catalog,
    account_id: &str,
    now_unix: i64,
) -> anyhow::Result<AccessKey> {
    let region = catalog.setting(REGION_SETTING)?.unwrap_or_else(|| "us-east-1".to_owned());
    let partition = cloudtrail_model::regions::partition_of(&region);
    let key = AccessKey {
        access_key_id: new_access_key_id()?,
        secret_access_key: new_secret()?,
        account_id: account_id.to_owned(),
        principal_type: "IAMUser".into(),
        principal_arn: format!("arn:{partition}:iam::{account_id}:user/{ADMIN_USER}"),
        principal_id: format!("AIDA{}", random_text(KEY_ALPHABET, 17)?),
        user_name: Some(ADMIN_USER.to_owned()),
        active: true,
    };
    catalog.create_access_key(&key, now_unix)?;
    catalog.attach_user_policy(account_id, ADMIN_USER, settings::ADMINISTRATOR_ACCESS, now_unix)?;
    Ok(key)
}

/// The default trail of the first start, as the secure defaults have it: all regions, global
/// service events, log file validation, management events read and write, logging from now,
/// into a new local bucket named as the AWS console names it. Returns its name and bucket.
pub(crate) async fn create_default_trail(
    catalog: &Catalog,
    blobs: &blob_store::BlobStore,
    bootstrap: &Bootstrap,
    now_ms: i64,
) -> anyhow::Result<(String, String)> {
    let account_id = bootstrap.account_id();
    let region = &bootstrap.region;
    let suffix = random_text(b"0123456789abcdef", 8)?;
    let bucket = format!("aws-cloudtrail-logs-{account_id}-{suffix}");
    anyhow::ensure!(
        blobs.owns_bucket(&bucket),
        "the default trail's bucket `{bucket}` would not be in the embedded local store; turn the default trail off (`default_trail = false`) when `s3_stores` route every bucket"
    );
    if !blobs.bucket_exists(&bucket).await.context("look for the default trail's bucket")? {
        blobs.create_bucket(&bucket).await.context("create the default trail's bucket")?;
    }
    let partition = cloudtrail_model::regions::partition_of(region);
    let mut trail = catalog::Trail::new(
        format!("arn:{partition}:cloudtrail:{region}:{account_id}:trail/{DEFAULT_TRAIL}"),
        account_id.to_owned(),
        DEFAULT_TRAIL.to_owned(),
        region.clone(),
        bucket.clone(),
        trail_selectors::Selectors::default_for_new_trail().to_storage(),
    );
    trail.is_multi_region_trail = true;
    trail.include_global_service_events = true;
    trail.log_file_validation_enabled = true;
    trail.is_logging = true;
    trail.start_logging_time_ms = Some(now_ms);
    catalog.create_trail(&trail, now_ms / 1000).context("store the default trail")?;
    catalog.set_setting(TRAIL_SETTING, &trail.trail_arn)?;
    Ok((DEFAULT_TRAIL.to_owned(), bucket))
}

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn new_access_key_id() -> anyhow::Result<String> {
    Ok(format!("AKIA{}", random_text(KEY_ALPHABET, 16)?))
}

fn new_secret() -> anyhow::Result<String> {
    random_text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40)
}

fn create_default_channel(
    catalog: &Catalog,
    account_id: &str,
    region: &str,
    now_unix: i64,
) -> anyhow::Result<Channel> {
    let mut uuid = [0u8; 16];
    getrandom::fill(&mut uuid).map_err(|e| anyhow::anyhow!("read the OS random source: {e}"))?;
    let channel_id = cloudtrail_model::EventId::from_random_bytes(uuid).into_string();
    // A user may have taken the name `default`; the default channel then gets a suffix.
    let taken: Vec<String> = catalog.channels()?.into_iter().map(|c| c.name).collect();
    let name = (0..)
        .map(|n| if n == 0 { "default".to_owned() } else { format!("default-{n}") })
        .find(|n| !taken.contains(n))
        .unwrap_or_default();
    let channel = Channel {
        channel_arn: format!("arn:aws:cloudtrail:{region}:{account_id}:channel/{channel_id}"),
        channel_id,
        name,
        source: "Custom".into(),
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        destinations: "[]".into(),
    };
    catalog.create_channel(&channel, now_unix)?;
    catalog.set_setting(CHANNEL_SETTING, &channel.channel_arn)?;
    Ok(channel)
}

/// Writes `DIR/admin.env` (mode 0600) crash-safely (`durable_file`: temporary file, fsync,
/// rename, fsync the directory): the administrator's key, region and endpoint.
pub(crate) fn write_admin_env(
    data_dir: &Path,
    bootstrap: &Bootstrap,
    endpoint: &str,
) -> anyhow::Result<PathBuf> {
    let path = data_dir.join("admin.env");
    let text = format!(
        "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nAWS_REGION={}\nAWS_DEFAULT_REGION={}\nAWS_ENDPOINT_URL={endpoint}\nOPENTRAIL_DEFAULT_CHANNEL_ARN={}\n",
        bootstrap.admin_key.access_key_id,
        bootstrap.admin_key.secret_access_key,
        bootstrap.region,
        bootstrap.region,
        bootstrap.default_channel.channel_arn,
    );
    durable_file::replace_on(&durable_file::StdDisk::owner_only(), &path, text.as_bytes())?;
    Ok(path)
}

/// Writes the root user's key to `DIR/root.env` (mode 0600), once: when the key was created
/// (or moved out of `admin.env`). Never rewritten, so once the operator has put it away it
/// stays away.
pub(crate) fn write_root_env(
    data_dir: &Path,
    root_key: &AccessKey,
    region: &str,
) -> anyhow::Result<PathBuf> {
    let path = data_dir.join("root.env");
    let text = format!(
        "# The root user of account {}: every call with this key is a Root event (and trips the\n# CIS root-usage alarm). Keep it offline; use admin.env.\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nAWS_REGION={region}\nAWS_DEFAULT_REGION={region}\n",
        root_key.account_id, root_key.access_key_id, root_key.secret_access_key,
    );
    durable_file::replace_on(&durable_file::StdDisk::owner_only(), &path, text.as_bytes())?;
    Ok(path)
}

fn random_text(alphabet: &[u8], n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("read the OS random source: {e}"))?;
    // 256 is not a multiple of every alphabet size; rejection keeps the choice uniform.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(n);
    let mut spare = [0u8; 1];
    for mut b in bytes {
        while usize::from(b) >= limit {
            getrandom::fill(&mut spare)
                .map_err(|e| anyhow::anyhow!("read the OS random source: {e}"))?;
            b = spare[0];
        }
        out.push(alphabet[usize::from(b) % alphabet.len()] as char);
    }
    Ok(out)
}
