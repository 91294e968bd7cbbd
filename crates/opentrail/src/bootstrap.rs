//! First start: create the account, the admin access key and the default channel in the
//! catalog; on every start write `admin.env` so `set -a; . admin.env; set +a` points the AWS
//! CLI at this server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use catalog::{AccessKey, Account, Catalog, Channel};
use catalog::{AccountStore as _, ChannelStore as _, SettingStore as _};

/// What the bootstrap found or created.
pub(crate) struct Bootstrap {
    pub(crate) admin_key: AccessKey,
    pub(crate) default_channel: Channel,
    pub(crate) region: String,
    pub(crate) first_start: bool,
}

const ACCOUNT_SETTING: &str = "bootstrap.account_id";
const KEY_SETTING: &str = "bootstrap.admin_access_key_id";
const CHANNEL_SETTING: &str = "bootstrap.default_channel_arn";
const REGION_SETTING: &str = "bootstrap.region";

pub(crate) fn ensure(catalog: &Catalog, region: &str, now_unix: i64) -> anyhow::Result<Bootstrap> {
    if let Some(key_id) = catalog.setting(KEY_SETTING)? {
        let admin_key =
            catalog.access_keys()?.into_iter().find(|k| k.access_key_id == key_id).context(
                "the catalog names an admin key that does not exist; the catalog is damaged",
            )?;
        let region = catalog.setting(REGION_SETTING)?.unwrap_or_else(|| region.to_owned());
        let existing = match catalog.setting(CHANNEL_SETTING)? {
            Some(arn) => catalog.channel(&arn)?,
            None => None,
        };
        // The default channel can be deleted through the API; a new one takes its place.
        let default_channel = match existing {
            Some(channel) => channel,
            None => create_default_channel(catalog, &admin_key.account_id, &region, now_unix)?,
        };
        return Ok(Bootstrap { admin_key, default_channel, region, first_start: false });
    }
    anyhow::ensure!(
        cloudtrail_model::arn::is_region(region),
        "`--region {region}` is not a region name like `us-east-1`"
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
    let admin_key = AccessKey {
        access_key_id: format!("AKIA{}", random_text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)?),
        secret_access_key: random_text(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        )?,
        account_id: account_id.clone(),
        principal_type: "Root".into(),
        principal_arn: format!("arn:aws:iam::{account_id}:root"),
        principal_id: account_id.clone(),
        user_name: None,
        active: true,
    };
    catalog.create_access_key(&admin_key, now_unix)?;
    let default_channel = create_default_channel(catalog, &account_id, region, now_unix)?;
    catalog.set_setting(ACCOUNT_SETTING, &account_id)?;
    catalog.set_setting(REGION_SETTING, region)?;
    // Written last: its presence means the bootstrap completed.
    catalog.set_setting(KEY_SETTING, &admin_key.access_key_id)?;
    Ok(Bootstrap { admin_key, default_channel, region: region.to_owned(), first_start: true })
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
/// rename, fsync the directory).
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
