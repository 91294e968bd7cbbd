//! `opentrail validate-logs`: the options of `aws cloudtrail validate-logs`, reading like the
//! AWS CLI (CloudTrail `DescribeTrails` and `ListPublicKeys`, then S3, with the endpoints and
//! credentials of the AWS environment variables or the shared credentials file) or straight
//! from a data directory (`--data-dir`: its catalog and local buckets). Reads run in parallel;
//! a progress bar shows on a terminal. `--verbose` (the global flag) also lists valid files,
//! as the AWS CLI's does.

use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, bail};
use catalog::{DigestStore as _, TrailStore as _};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use log_validator::{ChainHead, Control, LatestDigest, Progress, PublicKey, TrailInfo};
use serde_json::{Value, json};

use crate::cli::ValidateLogsArgs;

/// Runs the command; `Ok(false)` when something is invalid (exit status 1).
pub(crate) fn run(args: ValidateLogsArgs, verbose: bool) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the runtime")?;
    runtime.block_on(run_async(args, verbose))
}

/// The parts of a trail ARN (`arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`).
struct Arn {
    region: String,
    account_id: String,
    name: String,
}

fn parse_arn(arn: &str) -> anyhow::Result<Arn> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "cloudtrail"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("trail/")
        && parts[5].len() > "trail/".len();
    if !valid {
        bail!(
            "`{arn}` is not a trail ARN like `arn:aws:cloudtrail:us-east-1:123456789012:trail/my-trail`"
        );
    }
    Ok(Arn {
        region: parts[3].to_owned(),
        account_id: parts[4].to_owned(),
        name: parts[5].rsplit('/').next().unwrap_or_default().to_owned(),
    })
}

async fn run_async(args: ValidateLogsArgs, verbose: bool) -> anyhow::Result<bool> {
    let arn = parse_arn(&args.trail_arn)?;
    let start = crate::cloudtrail_client::parse_time(&args.start_time, "--start-time")?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let end = match &args.end_time {
        Some(text) => crate::cloudtrail_client::parse_time(text, "--end-time")?,
        None => now,
    };
    if start > end {
        bail!("Invalid time range specified: start-time must occur before end-time");
    }
    let region = crate::cloudtrail_client::region(args.region.as_deref())
        .unwrap_or_else(|| arn.region.clone());
    let account_id = args.account_id.clone().unwrap_or_else(|| arn.account_id.clone());
    let (blobs, control, mut trail) = match &args.data_dir {
        Some(data_dir) => {
            let (blobs, control, trail) = from_data_dir(data_dir, &args, &arn)?;
            (blobs, Either::Catalog(control), trail)
        }
        None => {
            let (blobs, control, trail) = from_api(&args, &arn, &region).await?;
            (blobs, Either::Api(Box::new(control)), trail)
        }
    };
    trail.account_id = account_id;
    if trail.organization_id.is_none() && trail.is_organization {
        trail.organization_id = find_organization_id(&blobs, &trail).await?;
    }
    let options = log_validator::Options {
        trail: trail.info(),
        region,
        start_unix: start,
        end_unix: end,
        concurrency: args.concurrency.max(1),
    };
    let bar = Bar::new(args.output == "text");
    let control =
        TrailControl { control: &control, arn: &trail.arn, given_bucket: args.s3_bucket.is_some() };
    let report = log_validator::validate(&blobs, &control, &options, &bar)
        .await
        .map_err(|message| anyhow::anyhow!(message))?;
    bar.finish();
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if args.output == "json" {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&report.to_json())?)?;
    } else {
        write!(stdout, "{}", report.to_text(verbose))?;
    }
    Ok(report.is_valid())
}

/// The trail as found, before the account of the key path is settled.
struct FoundTrail {
    arn: String,
    name: String,
    home_region: String,
    account_id: String,
    bucket: String,
    prefix: Option<String>,
    is_organization: bool,
    organization_id: Option<String>,
}

impl FoundTrail {
    fn info(&self) -> TrailInfo {
        TrailInfo {
            trail_arn: self.arn.clone(),
            trail_name: self.name.clone(),
            home_region: self.home_region.clone(),
            account_id: self.account_id.clone(),
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone().filter(|p| !p.is_empty()),
            organization_id: self.organization_id.clone(),
        }
    }
}

/// The trail as `--s3-bucket` and `--s3-prefix` describe it (then CloudTrail is not asked).
fn given_trail(args: &ValidateLogsArgs, arn: &Arn) -> Option<FoundTrail> {
    Some(FoundTrail {
        arn: args.trail_arn.clone(),
        name: arn.name.clone(),
        home_region: arn.region.clone(),
        account_id: arn.account_id.clone(),
        bucket: args.s3_bucket.clone()?,
        prefix: args.s3_prefix.clone(),
        is_organization: false,
        organization_id: None,
    })
}

/// An organization trail's files are under `AWSLogs/<o-id>/`: the folder names it.
async fn find_organization_id(
    blobs: &blob_store::BlobStore,
    trail: &FoundTrail,
) -> anyhow::Result<Option<String>> {
    let base = format!("{}o-", cloudtrail_model::s3_keys::awslogs_root(trail.prefix.as_deref()));
    let page = blobs
        .list(&trail.bucket, &base, None, 1)
        .await
        .map_err(|e| anyhow::anyhow!("list s3://{}/{base}: {}", trail.bucket, e.detailed()))?;
    Ok(page.objects.first().and_then(|o| {
        let rest = &o.key[base.len() - 2..];
        rest.split('/').next().map(str::to_owned)
    }))
}

enum Either {
    Api(Box<ApiControl>),
    Catalog(CatalogControl),
}

/// The control plane with the trail it answers for.
struct TrailControl<'a> {
    control: &'a Either,
    arn: &'a str,
    /// `--s3-bucket` given: CloudTrail is not asked about the trail.
    given_bucket: bool,
}

impl Control for TrailControl<'_> {
    async fn public_keys(
        &self,
        region: &str,
        start_unix: i64,
        end_unix: i64,
    ) -> Result<Vec<PublicKey>, String> {
        match self.control {
            Either::Api(api) => api.public_keys(region, start_unix, end_unix).await,
            Either::Catalog(catalog) => catalog.public_keys(region, start_unix, end_unix).await,
        }
    }

    async fn latest_delivery_ms(&self) -> Option<i64> {
        match self.control {
            Either::Api(api) if !self.given_bucket => api.latest_delivery_ms(self.arn).await,
            Either::Catalog(catalog) => catalog.latest_delivery_ms(self.arn),
            Either::Api(_) => None,
        }
    }

    async fn latest_digest(&self, account_id: &str, region: &str) -> LatestDigest {
        match self.control {
            Either::Api(api) if !self.given_bucket => LatestDigest {
                delivered_ms: api.latest_digest_delivery_ms(self.arn).await,
                chain_head: None,
            },
            Either::Catalog(catalog) => catalog.latest_digest(self.arn, account_id, region),
            Either::Api(_) => LatestDigest::default(),
        }
    }
}

// ---- straight from a data directory ------------------------------------------------------

struct CatalogControl {
    catalog: catalog::Catalog,
}

impl CatalogControl {
    /// When the trail's latest log file was stored.
    fn latest_delivery_ms(&self, arn: &str) -> Option<i64> {
        self.catalog.delivery_status(arn).ok()?.latest_delivery_time_ms
    }

    /// The trail's last digest delivery and the chain's head: its newest digest while the
    /// chain is open, its final one (known by its end) once closed.
    fn latest_digest(&self, arn: &str, account_id: &str, region: &str) -> LatestDigest {
        let delivered_ms = self
            .catalog
            .delivery_status(arn)
            .ok()
            .and_then(|status| status.latest_digest_delivery_time_ms);
        let id = catalog::DigestStreamId {
            trail_arn: arn.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
        };
        let stream = self.catalog.digest_stream(&id).ok().flatten();
        let chain_head = stream.and_then(|stream| match (stream.head, stream.closed_at_ms) {
            (Some(head), _) => {
                Some(ChainHead { key: Some(head.key), end_unix: head.end_ms.div_euclid(1000) })
            }
            (None, Some(closed_ms)) => {
                Some(ChainHead { key: None, end_unix: closed_ms.div_euclid(1000) })
            }
            (None, None) => None,
        });
        LatestDigest { delivered_ms, chain_head }
    }
}

impl CatalogControl {
    async fn public_keys(
        &self,
        region: &str,
        start_unix: i64,
        end_unix: i64,
    ) -> Result<Vec<PublicKey>, String> {
        let keys = self.catalog.signing_keys(region).map_err(|e| e.to_string())?;
        Ok(keys
            .into_iter()
            .filter(|k| k.valid_from_ms <= end_unix * 1000 && start_unix * 1000 < k.valid_to_ms)
            .map(|k| PublicKey { fingerprint: k.fingerprint, der: k.public_pkcs1_der })
            .collect())
    }
}

fn from_data_dir(
    data_dir: &Path,
    args: &ValidateLogsArgs,
    arn: &Arn,
) -> anyhow::Result<(blob_store::BlobStore, CatalogControl, FoundTrail)> {
    let catalog_path = data_dir.join("catalog.sqlite");
    if !catalog_path.is_file() {
        bail!(
            "`{}` has no catalog.sqlite; pass the data directory of `opentrail serve`",
            data_dir.display()
        );
    }
    let catalog = catalog::Catalog::open(&catalog_path).context("open the catalog")?;
    let blobs = blob_store::BlobStore::new(blob_store::StoreConfig::Local {
        root: data_dir.join("buckets"),
    })
    .context("open the local buckets")?;
    let trail = match given_trail(args, arn) {
        Some(trail) => trail,
        None => {
            let Some(trail) = catalog.trail(&args.trail_arn).context("read the trail")? else {
                bail!("A trail could not be found for {}", args.trail_arn);
            };
            FoundTrail {
                arn: trail.trail_arn,
                name: trail.name,
                home_region: trail.home_region,
                account_id: trail.account_id,
                bucket: trail.s3_bucket_name,
                prefix: trail.s3_key_prefix,
                is_organization: trail.is_organization_trail,
                organization_id: None,
            }
        }
    };
    Ok((blobs, CatalogControl { catalog }, trail))
}

// ---- through the CloudTrail and S3 APIs --------------------------------------------------

struct ApiControl {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `host:port` and path base of the CloudTrail endpoint.
    authority: String,
    credentials: sigv4::Credentials,
    region: String,
}

impl ApiControl {
    async fn call(&self, operation: &str, body: &Value) -> Result<Value, String> {
        let (status, bytes) = crate::cloudtrail_client::call(
            &self.client,
            &self.authority,
            &self.credentials,
            &self.region,
            operation,
            &body.to_string(),
        )
        .await?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            let code = value.get("__type").and_then(Value::as_str).unwrap_or("error");
            let message = value
                .get("message")
                .or_else(|| value.get("Message"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(format!("{operation} failed ({status}): {code}: {message}"));
        }
        Ok(value)
    }
}

impl ApiControl {
    /// When the trail's latest log file was stored (GetTrailStatus `LatestDeliveryTime`).
    async fn latest_delivery_ms(&self, arn: &str) -> Option<i64> {
        let status = self.call("GetTrailStatus", &json!({ "Name": arn })).await.ok()?;
        let seconds = status.get("LatestDeliveryTime").and_then(Value::as_f64)?;
        Some((seconds * 1000.0).ceil() as i64)
    }

    /// When the trail's latest digest was stored (GetTrailStatus `LatestDigestDeliveryTime`).
    async fn latest_digest_delivery_ms(&self, arn: &str) -> Option<i64> {
        let status = self.call("GetTrailStatus", &json!({ "Name": arn })).await.ok()?;
        let seconds = status.get("LatestDigestDeliveryTime").and_then(Value::as_f64)?;
        Some((seconds * 1000.0).floor() as i64)
    }
}

impl ApiControl {
    async fn public_keys(
        &self,
        _region: &str,
        start_unix: i64,
        end_unix: i64,
    ) -> Result<Vec<PublicKey>, String> {
        use base64::Engine as _;
        let answer = self
            .call("ListPublicKeys", &json!({ "StartTime": start_unix, "EndTime": end_unix }))
            .await?;
        let list =
            answer.get("PublicKeyList").and_then(Value::as_array).cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(format!(
                "No public keys found between {} and {}",
                cloudtrail_model::time::format_unix_seconds(start_unix),
                cloudtrail_model::time::format_unix_seconds(end_unix)
            ));
        }
        let mut keys = Vec::new();
        for key in list {
            let (Some(value), Some(fingerprint)) = (
                key.get("Value").and_then(Value::as_str),
                key.get("Fingerprint").and_then(Value::as_str),
            ) else {
                continue;
            };
            let der = base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_err(|e| format!("a public key is not base64: {e}"))?;
            keys.push(PublicKey { fingerprint: fingerprint.to_owned(), der });
        }
        Ok(keys)
    }
}

async fn from_api(
    args: &ValidateLogsArgs,
    arn: &Arn,
    region: &str,
) -> anyhow::Result<(blob_store::BlobStore, ApiControl, FoundTrail)> {
    let env = crate::cloudtrail_client::env;
    let cloudtrail_url = crate::cloudtrail_client::endpoint_url(
        args.endpoint_url.as_deref(),
        "no CloudTrail endpoint: set AWS_ENDPOINT_URL (OpenTrail's address), pass --endpoint-url, or use --data-dir",
    )?;
    let credentials = crate::cloudtrail_client::credentials()?;
    let control = ApiControl {
        client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        authority: crate::cloudtrail_client::http_authority(
            &cloudtrail_url,
            "the CloudTrail endpoint",
        )?,
        credentials: credentials.clone(),
        region: region.to_owned(),
    };
    let s3_url = env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL"));
    let blobs = blob_store::BlobStore::new(blob_store::StoreConfig::S3(blob_store::S3Config {
        allow_http: s3_url.as_deref().is_some_and(|u| u.starts_with("http://")),
        endpoint: s3_url,
        region: region.to_owned(),
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        session_token: credentials.session_token,
        virtual_hosted_style: false,
    }))
    .context("set up the S3 client")?;
    let trail = match given_trail(args, arn) {
        Some(trail) => trail,
        None => {
            let answer = control
                .call("DescribeTrails", &json!({}))
                .await
                .map_err(|message| anyhow::anyhow!(message))?;
            let trails =
                answer.get("trailList").and_then(Value::as_array).cloned().unwrap_or_default();
            let Some(found) = trails.iter().find(|t| {
                t.get("TrailARN").and_then(Value::as_str) == Some(args.trail_arn.as_str())
            }) else {
                bail!("A trail could not be found for {}", args.trail_arn);
            };
            let text = |name: &str| found.get(name).and_then(Value::as_str).map(str::to_owned);
            FoundTrail {
                arn: args.trail_arn.clone(),
                name: text("Name").unwrap_or_else(|| arn.name.clone()),
                home_region: text("HomeRegion").unwrap_or_else(|| arn.region.clone()),
                account_id: arn.account_id.clone(),
                bucket: text("S3BucketName").context("the trail has no S3BucketName")?,
                prefix: text("S3KeyPrefix"),
                is_organization: found
                    .get("IsOrganizationTrail")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                organization_id: None,
            }
        }
    };
    Ok((blobs, control, trail))
}

// ---- progress ----------------------------------------------------------------------------

/// An indicatif bar on stderr for text output on a terminal (it hides itself otherwise).
struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    fn new(show: bool) -> Bar {
        let bar = if show {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} validating {pos}/{len} objects [{elapsed_precise}] {wide_bar}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Bar { bar }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn add_total(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn advance(&self) {
        self.bar.inc(1);
    }
}
