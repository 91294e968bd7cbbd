//! The validation run: list the trail's digest folder, read every digest in the range and check
//! its signature, follow the chain and name every digest that is gone, read every listed log
//! file and check its hash, then list the trail's log-file folders for objects no digest lists.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::sync::Arc;

use integrity::digest::{DigestKey, key_time, sha256_hex};
use integrity::read::{ReadDigest, read_digest, verify_digest};

use crate::report::{Finding, Gap, Report, Status};
use crate::truncation::{Inputs, NewestFound, truncation};
use crate::{Control, Progress, PublicKey, TrailInfo};

/// What to validate.
#[derive(Clone, Debug)]
pub struct Options {
    pub trail: TrailInfo,
    /// The delivering region whose digests are checked (AWS: the CLI's region).
    pub region: String,
    pub start_unix: i64,
    pub end_unix: i64,
    /// Reads in flight at once.
    pub concurrency: usize,
}

/// A log file whose name's minute is this close to the newest digest's end may have been
/// stored after it (its digest is the next one); older ones must be in a digest.
const PENDING_SLACK_S: i64 = 120;

/// One digest of this trail as read.
struct DigestObject {
    key: String,
    time_unix: i64,
    /// When the listing says it was stored, Unix milliseconds.
    stored_ms: Option<i64>,
    status: Status,
    json: Option<Vec<u8>>,
    read: Option<ReadDigest>,
    signature: Option<String>,
}

/// Runs the validation. An error is returned only when the storage or the control plane fails
/// (as the AWS CLI aborts then); everything about the files themselves is in the report.
pub async fn validate<C: Control>(
    blobs: &blob_store::BlobStore,
    control: &C,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Report, String> {
    let trail = &options.trail;
    let time = cloudtrail_model::time::format_unix_seconds;
    let mut report = Report {
        trail_arn: trail.trail_arn.clone(),
        start: time(options.start_unix),
        end: time(options.end_unix),
        ..Report::default()
    };
    let digest_key = |end_unix: i64| DigestKey {
        folder: cloudtrail_model::s3_keys::AccountFolder {
            s3_key_prefix: trail.prefix.as_deref(),
            organization_id: trail.organization_id.as_deref(),
            account_id: &trail.account_id,
        },
        region: &options.region,
        trail_name: &trail.trail_name,
        home_region: &trail.home_region,
        end_unix,
    };
    let folder = digest_key(0).folder();
    // Asked before listing: every digest it names was stored before the listing started.
    let latest = control.latest_digest(&trail.account_id, &options.region).await;
    let listed = list_all(blobs, &trail.bucket, &format!("{folder}/")).await?;
    // The AWS CLI's range: digests whose time is in [start, end + 1 h].
    let (range_from, range_to) = (options.start_unix, options.end_unix + 3600);
    let own_name = format!(
        "{}_CloudTrail-Digest_{}_{}_{}_",
        trail.account_id, options.region, trail.trail_name, trail.home_region
    );
    let any_name = format!("{}_CloudTrail-Digest_{}_", trail.account_id, options.region);
    let (mut own, mut others) = (Vec::new(), Vec::new());
    // The oldest digest of this chain anywhere in the folder: the chain existed since.
    let mut own_oldest_unix: Option<i64> = None;
    for object in listed {
        let key = object.key;
        let stored_ms = unix_ms(object.last_modified);
        let name = key.rsplit('/').next().unwrap_or_default();
        let Some(time_unix) = key_time(name).and_then(compact_to_unix) else {
            if in_day_range(&key, folder.len() + 1, range_from, range_to) {
                report.digests.push(Finding {
                    bucket: trail.bucket.clone(),
                    key,
                    status: Status::Unexpected,
                });
            }
            continue;
        };
        let exact = name.len() == own_name.len() + 16 + ".json.gz".len();
        let is_own = name.starts_with(&own_name) && exact;
        if is_own {
            own_oldest_unix = Some(own_oldest_unix.map_or(time_unix, |t| t.min(time_unix)));
        }
        if !(range_from..=range_to).contains(&time_unix) {
            continue;
        }
        if is_own {
            own.push((key, time_unix, stored_ms));
        } else if name.starts_with(&any_name) {
            others.push(key);
        } else {
            report.digests.push(Finding {
                bucket: trail.bucket.clone(),
                key,
                status: Status::Unexpected,
            });
        }
    }
    let keys =
        control.public_keys(&options.region, options.start_unix, options.end_unix + 7200).await?;
    let keys: BTreeMap<String, PublicKey> =
        keys.into_iter().map(|k| (k.fingerprint.clone(), k)).collect();

    // Every digest, this trail's and the others' sharing the folder, read at once.
    let all_keys: Vec<(String, String)> = own
        .iter()
        .map(|(key, _, _)| (trail.bucket.clone(), key.clone()))
        .chain(others.iter().map(|key| (trail.bucket.clone(), key.clone())))
        .collect();
    progress.add_total(all_keys.len() as u64);
    let fetched = fetch_all(blobs, all_keys, options.concurrency, progress, |object| {
        let json = gunzip_single(&object.body);
        (json, object.info.meta.user)
    })
    .await?;
    let mut fetched: BTreeMap<(String, String), _> = fetched.into_iter().collect();
    let mut referenced: BTreeSet<(String, String)> = BTreeSet::new();
    for key in &others {
        if let Some(Some((Ok(json), _))) = fetched.remove(&(trail.bucket.clone(), key.clone()))
            && let Ok(read) = read_digest(&json)
        {
            referenced.extend(read.log_files.into_iter().map(|f| (f.s3_bucket, f.s3_object)));
        }
    }
    let mut digests: Vec<DigestObject> = Vec::with_capacity(own.len());
    for (key, time_unix, stored_ms) in own {
        let result = fetched.remove(&(trail.bucket.clone(), key.clone())).flatten();
        let mut digest = DigestObject {
            key: key.clone(),
            time_unix,
            stored_ms,
            status: Status::Valid,
            json: None,
            read: None,
            signature: None,
        };
        digest.status = match result {
            None => Status::Deleted,
            Some((Err(why), _)) => Status::InvalidFormat(why),
            Some((Ok(json), user)) => {
                let status = check_digest(&trail.bucket, &key, &json, &user, &keys);
                digest.read = read_digest(&json).ok();
                digest.signature = user.get("signature").cloned();
                digest.json = Some(json);
                status
            }
        };
        digests.push(digest);
    }
    digests.sort_by(|a, b| a.key.cmp(&b.key));

    // The chain, newest first.
    let index: BTreeMap<&str, usize> =
        digests.iter().enumerate().map(|(idx, d)| (d.key.as_str(), idx)).collect();
    let claimed: BTreeMap<String, String> = digests
        .iter()
        .filter(|d| matches!(d.status, Status::Moved { .. }))
        .filter_map(|d| d.read.as_ref().map(|r| (r.key.clone(), d.key.clone())))
        .collect();
    let mut intervals: Vec<i64> = digests
        .iter()
        .filter(|d| d.status.is_valid())
        .filter_map(|d| d.read.as_ref())
        .filter(|r| !r.is_start())
        .map(|r| r.end_unix - r.start_unix)
        .filter(|n| *n > 0)
        .collect();
    intervals.sort_unstable();
    let interval = intervals.get(intervals.len() / 2).copied();
    let mut extra: BTreeMap<String, Status> = BTreeMap::new();
    let mut chain_notes: Vec<(usize, Status)> = Vec::new();
    for (idx, digest) in digests.iter().enumerate().rev() {
        let Some(read) = digest.read.as_ref().filter(|_| digest.status.is_valid()) else {
            continue;
        };
        let older = digests[..idx].last();
        let Some(previous_key) = read.previous_key.as_deref() else {
            if let Some(older) = older.and_then(|o| o.read.as_ref()) {
                report.gaps.push(Gap { from: older.end_time.clone(), to: read.start_time.clone() });
            }
            continue;
        };
        if let Some(&p) = index.get(previous_key) {
            let previous = &digests[p];
            // An invalid previous digest is reported as such; its recorded hash is moot.
            if !previous.status.is_valid() {
                continue;
            }
            if let (Some(prev), Some(json)) = (previous.read.as_ref(), previous.json.as_ref()) {
                let mut problems = Vec::new();
                if previous.signature.as_deref() != read.previous_signature.as_deref() {
                    problems.push("the previous digest's signature is not the one recorded");
                }
                if read.previous_hash.as_ref().is_some_and(|hash| *hash != sha256_hex(json)) {
                    problems.push("the previous digest's hash is not the one recorded");
                }
                if prev.end_unix != read.start_unix {
                    problems.push("this digest does not start where the previous one ended");
                }
                if !problems.is_empty() {
                    chain_notes.push((idx, Status::ChainBroken(problems.join("; "))));
                }
            }
            continue;
        }
        let Some(previous_time) = key_time(previous_key).and_then(compact_to_unix) else {
            continue;
        };
        if previous_time < range_from || claimed.contains_key(previous_key) {
            continue;
        }
        extra.entry(previous_key.to_owned()).or_insert(Status::Deleted);
        // Digests between the next older one found and the deleted one are gone too.
        let older_end = digests[..idx]
            .iter()
            .rev()
            .filter(|d| d.time_unix < previous_time)
            .find_map(|d| d.read.as_ref().map(|r| r.end_unix));
        if let (Some(older_end), Some(interval)) = (older_end, interval) {
            let n_between = (previous_time - older_end + interval / 2) / interval;
            for step in 1..n_between.min(10_000) {
                let end = older_end + step * interval;
                let key = digest_key(end).to_key();
                if end >= range_from && !index.contains_key(key.as_str()) {
                    extra.entry(key).or_insert(Status::Missing);
                }
            }
        }
    }
    for (idx, status) in chain_notes {
        digests[idx].status = status;
    }

    // The newest digests deleted (with their log files, the rest of the chain is whole):
    // only what the trail says it delivered last shows it.
    let newest = digests
        .iter()
        .max_by_key(|d| d.time_unix)
        .map(|d| NewestFound { end_unix: d.time_unix, stored_ms: d.stored_ms });
    let owner_account = trail.trail_arn.split(':').nth(4);
    let home_chain =
        options.region == trail.home_region && owner_account == Some(trail.account_id.as_str());
    let delivered_unix = latest.delivered_ms.map(|ms| ms.div_euclid(1000));
    let chain_existed = own_oldest_unix.zip(delivered_unix).is_some_and(|(t, d)| t < d);
    let truncated = truncation(&Inputs {
        latest: &latest,
        newest,
        interval_s: interval,
        range_from,
        range_to,
        chain_always_on: home_chain || chain_existed,
    });
    if let Some(truncated) = truncated {
        let key = truncated
            .key
            .or_else(|| truncated.first_expected_end_unix.map(|end| digest_key(end).to_key()))
            .unwrap_or_else(|| {
                format!("{folder}/{}{own_name}*.json.gz", day_path(truncated.until_unix))
            });
        let status = Status::Truncated {
            after: truncated.after_unix.map(time),
            until: time(truncated.until_unix),
        };
        extra.insert(key, status);
    }

    // Files named by a digest that fails its checks are covered by that finding, not reported
    // again as unlisted.
    for digest in digests.iter().filter(|d| !d.status.is_valid()) {
        if let Some(read) = &digest.read {
            referenced
                .extend(read.log_files.iter().map(|f| (f.s3_bucket.clone(), f.s3_object.clone())));
        }
    }
    // Log files of the valid digests.
    let mut listed_files: Vec<(String, String, String)> = Vec::new(); // bucket, key, hash
    for digest in digests.iter().rev().filter(|d| {
        !matches!(d.status, Status::BadSignature(_) | Status::InvalidFormat(_) | Status::Deleted)
    }) {
        if let Some(read) = &digest.read {
            for file in &read.log_files {
                referenced.insert((file.s3_bucket.clone(), file.s3_object.clone()));
                listed_files.push((
                    file.s3_bucket.clone(),
                    file.s3_object.clone(),
                    file.hash_value.clone(),
                ));
            }
        }
    }
    progress.add_total(listed_files.len() as u64);
    let hashed = fetch_all(
        blobs,
        listed_files.iter().map(|(b, k, _)| (b.clone(), k.clone())).collect(),
        options.concurrency,
        progress,
        |object| gunzip_single(&object.body).map(|json| sha256_hex(&json)),
    )
    .await?;
    let hashed: BTreeMap<(String, String), Option<Result<String, String>>> =
        hashed.into_iter().collect();
    let mut deleted_by_hash: BTreeMap<String, usize> = BTreeMap::new();
    for (bucket, key, expected) in &listed_files {
        let status = match hashed.get(&(bucket.clone(), key.clone())).cloned().flatten() {
            None => {
                deleted_by_hash.insert(expected.clone(), report.log_files.len());
                Status::Deleted
            }
            Some(Err(why)) => Status::InvalidFormat(why),
            Some(Ok(actual)) if actual == *expected => Status::Valid,
            Some(Ok(_)) => Status::Modified,
        };
        report.log_files.push(Finding { bucket: bucket.clone(), key: key.clone(), status });
    }

    // Objects in the trail's log-file folders that no digest lists.
    let covered = digests
        .iter()
        .filter(|d| d.status.is_valid())
        .filter_map(|d| d.read.as_ref())
        .map(|r| (r.start_unix, r.end_unix))
        .fold(None, |acc: Option<(i64, i64)>, (s, e)| {
            Some(acc.map_or((s, e), |(s0, e0)| (s0.min(s), e0.max(e))))
        });
    if let Some((covered_from, covered_to)) = covered {
        let log_folder = format!(
            "{}/CloudTrail/{}/",
            folder.trim_end_matches(&format!("/CloudTrail-Digest/{}", options.region)),
            options.region
        );
        let mut unlisted = Vec::new();
        // Only the days of the range are listed, whatever times a digest claims.
        let mut day = covered_from.max(range_from - 86_400).div_euclid(86_400) * 86_400;
        while day <= covered_to.min(range_to) {
            let prefix = format!("{log_folder}{}", day_path(day));
            for key in list_all(blobs, &trail.bucket, &prefix).await?.into_iter().map(|o| o.key) {
                if referenced.contains(&(trail.bucket.clone(), key.clone())) {
                    continue;
                }
                let delivered = log_key_time(&key);
                if delivered.is_none_or(|t| t >= covered_from - 60) {
                    unlisted.push((key, delivered));
                }
            }
            day += 86_400;
        }
        // A digest ending after the latest delivery (asked now, after listing): every listed
        // file was stored before it, so none can be pending.
        let settled = control.latest_delivery_ms().await.is_some_and(|ms| ms < covered_to * 1000);
        let pending_from = if settled { covered_to } else { covered_to - PENDING_SLACK_S };
        let unlisted: Vec<String> = unlisted
            .into_iter()
            .filter(|(_, delivered)| delivered.is_none_or(|t| t < pending_from))
            .map(|(key, _)| key)
            .collect();
        // A deleted log file found elsewhere by its hash was moved.
        let mut moved_to: BTreeMap<String, String> = BTreeMap::new();
        if !deleted_by_hash.is_empty() && !unlisted.is_empty() {
            progress.add_total(unlisted.len() as u64);
            let hashes = fetch_all(
                blobs,
                unlisted.iter().map(|k| (trail.bucket.clone(), k.clone())).collect(),
                options.concurrency,
                progress,
                |object| gunzip_single(&object.body).map(|json| sha256_hex(&json)),
            )
            .await?;
            for ((_, key), hash) in hashes {
                if let Some(Ok(hash)) = hash
                    && let Some(&at) = deleted_by_hash.get(&hash)
                {
                    report.log_files[at].status =
                        Status::Moved { to: format!("s3://{}/{key}", trail.bucket) };
                    moved_to.insert(key, hash);
                }
            }
        }
        for key in unlisted {
            if !moved_to.contains_key(&key) {
                report.log_files.push(Finding {
                    bucket: trail.bucket.clone(),
                    key,
                    status: Status::NotInAnyDigest,
                });
            }
        }
    }

    // Digests, newest first: found ones, then the ones known only by name.
    let mut findings: Vec<(i64, Finding)> = digests
        .iter()
        .map(|d| {
            let status = match (&d.status, d.read.as_ref()) {
                (Status::Moved { .. }, Some(read)) => Status::Moved { to: read.key.clone() },
                (status, _) => status.clone(),
            };
            (d.time_unix, Finding { bucket: trail.bucket.clone(), key: d.key.clone(), status })
        })
        .collect();
    for (key, status) in extra {
        let time_unix = match &status {
            Status::Truncated { .. } => i64::MAX,
            _ => key_time(&key).and_then(compact_to_unix).unwrap_or(0),
        };
        findings.push((time_unix, Finding { bucket: trail.bucket.clone(), key, status }));
    }
    findings.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.key.cmp(&a.1.key)));
    let unexpected = std::mem::take(&mut report.digests);
    report.digests = findings.into_iter().map(|(_, f)| f).chain(unexpected).collect();
    report.gaps.reverse();
    report.gaps.sort_by(|a, b| b.to.cmp(&a.to));
    report.found = digests
        .iter()
        .filter(|d| d.status.is_valid())
        .filter_map(|d| d.read.as_ref())
        .map(|r| (r.start_unix.max(options.start_unix), r.end_unix.min(options.end_unix)))
        .fold(None, |acc: Option<(i64, i64)>, (s, e)| {
            Some(acc.map_or((s, e), |(s0, e0)| (s0.min(s), e0.max(e))))
        })
        .map(|(s, e)| (time(s), time(e)));
    Ok(report)
}

/// A digest's own checks: metadata present, location, key known, signature.
fn check_digest(
    bucket: &str,
    key: &str,
    json: &[u8],
    user: &BTreeMap<String, String>,
    keys: &BTreeMap<String, PublicKey>,
) -> Status {
    let read = match read_digest(json) {
        Ok(read) => read,
        Err(why) => return Status::InvalidFormat(why),
    };
    let (Some(signature), Some(_)) = (user.get("signature"), user.get("signature-algorithm"))
    else {
        return Status::BadSignature("the signature metadata is missing".into());
    };
    let Some(public) = keys.get(&read.fingerprint) else {
        return Status::BadSignature(format!(
            "no public key with fingerprint {}",
            read.fingerprint
        ));
    };
    if !verify_digest(&public.der, &read, json, signature) {
        return Status::BadSignature("the signature does not match the content".into());
    }
    if read.bucket != bucket || read.key != key {
        return Status::Moved { to: read.key };
    }
    Status::Valid
}

/// Every object under `prefix`, in key order.
async fn list_all(
    blobs: &blob_store::BlobStore,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<blob_store::ObjectSummary>, String> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = match blobs.list(bucket, prefix, after.as_deref(), 1000).await {
            Ok(page) => page,
            Err(blob_store::Error::NoSuchBucket { .. }) => {
                return Err(format!("the bucket `{bucket}` does not exist"));
            }
            Err(err) => return Err(format!("list s3://{bucket}/{prefix}: {}", err.detailed())),
        };
        let next = page.next_start_after().map(str::to_owned);
        keys.extend(page.objects);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

/// Reads `objects` with at most `concurrency` in flight and applies `work` to each (on the
/// runtime's threads). `None` for an object that does not exist; any other storage error
/// aborts.
async fn fetch_all<T: Send + 'static>(
    blobs: &blob_store::BlobStore,
    objects: Vec<(String, String)>,
    concurrency: usize,
    progress: &dyn Progress,
    work: impl Fn(blob_store::Object) -> T + Send + Sync + Copy + 'static,
) -> Result<Vec<((String, String), Option<T>)>, String> {
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (idx, (bucket, key)) in objects.into_iter().enumerate() {
        let (blobs, permits) = (blobs.clone(), Arc::clone(&permits));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let result = match blobs.get(&bucket, &key).await {
                Ok(object) => Ok(Some(work(object))),
                Err(blob_store::Error::NoSuchKey { .. }) => Ok(None),
                Err(err) => Err(format!("read s3://{bucket}/{key}: {}", err.detailed())),
            };
            (idx, (bucket, key), result)
        });
    }
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        let (idx, object, result) = joined.map_err(|e| format!("a read task failed: {e}"))?;
        progress.advance();
        out.push((idx, object, result?));
    }
    out.sort_by_key(|(idx, _, _)| *idx);
    Ok(out.into_iter().map(|(_, object, result)| (object, result)).collect())
}

/// The most a log file or digest may expand to: CloudTrail's files are tens of MB at most, and
/// a bucket's content is not trusted (a small gzip can expand without bound).
const DECOMPRESSED_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// Decompresses a single-member gzip of at most [`DECOMPRESSED_BYTES_MAX`]; trailing data (a
/// second member) is a format error, as for the AWS CLI.
fn gunzip_single(bytes: &[u8]) -> Result<Vec<u8>, String> {
    gunzip_single_bounded(bytes, DECOMPRESSED_BYTES_MAX)
}

fn gunzip_single_bounded(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut out = Vec::new();
    (&mut decoder).take(limit + 1).read_to_end(&mut out).map_err(|e| format!("not gzip: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("it expands to more than {limit} bytes"));
    }
    if !decoder.into_inner().is_empty() {
        return Err("data after the gzip member".into());
    }
    Ok(out)
}

/// The `YYYY/MM/DD/` folder of a time's day.
fn day_path(unix: i64) -> String {
    let date = cloudtrail_model::time::format_unix_seconds(unix);
    let part = |range: std::ops::Range<usize>| date.get(range).unwrap_or("?").to_owned();
    format!("{}/{}/{}/", part(0..4), part(5..7), part(8..10))
}

/// A store's time as Unix milliseconds (`None` before 1970 or past the range).
fn unix_ms(time: std::time::SystemTime) -> Option<i64> {
    let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

/// `YYYYMMDDTHHMMSSZ` to Unix seconds.
fn compact_to_unix(text: &str) -> Option<i64> {
    let n = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let days = cloudtrail_model::time::days_from_civil(
        n(0..4)?,
        u32::try_from(n(4..6)?).ok()?,
        u32::try_from(n(6..8)?).ok()?,
    );
    Some(days * 86_400 + n(9..11)? * 3600 + n(11..13)? * 60 + n(13..15)?)
}

/// The delivery minute in a log-file name (`…_<YYYYMMDD>T<HHMM>Z_<unique>.json.gz`).
fn log_key_time(key: &str) -> Option<i64> {
    let name = key.rsplit('/').next()?;
    let stem = name.strip_suffix(".json.gz")?;
    let mut parts = stem.rsplit('_');
    let _unique = parts.next()?;
    let time = parts.next()?;
    if time.len() != 14 || !time.ends_with('Z') {
        return None;
    }
    compact_to_unix(&format!("{}00Z", &time[..13]))
}

/// Whether the `YYYY/MM/DD/` after `folder_len` characters of `key` is a day of the range.
fn in_day_range(key: &str, folder_len: usize, from: i64, to: i64) -> bool {
    let Some(date) = key.get(folder_len..folder_len + 10) else { return true };
    // Any bytes may be in a key: a part that is not a date is no date (never a panic).
    let compact = format!(
        "{}{}{}T000000Z",
        date.get(0..4).unwrap_or("????"),
        date.get(5..7).unwrap_or("??"),
        date.get(8..10).unwrap_or("??")
    );
    compact_to_unix(&compact).is_none_or(|day| day + 86_400 > from && day <= to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_names() {
        assert_eq!(compact_to_unix("20261120T111728Z"), Some(1_795_173_448));
        assert_eq!(
            log_key_time(
                "AWSLogs/1/CloudTrail/us-east-1/2026/11/20/1_CloudTrail_us-east-1_20261120T1117Z_abc.json.gz"
            ),
            Some(1_795_173_420)
        );
        assert_eq!(log_key_time("AWSLogs/x.json.gz"), None);
        let mut gz = integrity::digest::gzip(b"{}");
        assert_eq!(gunzip_single(&gz).unwrap(), b"{}");
        gz.extend(integrity::digest::gzip(b"{}"));
        assert!(gunzip_single(&gz).is_err(), "a second member is refused");
        assert!(gunzip_single(b"nope").is_err());
        let bomb = integrity::digest::gzip(&vec![b'0'; 100_000]);
        assert!(gunzip_single_bounded(&bomb, 99_999).unwrap_err().contains("expands to more"));
        assert_eq!(gunzip_single_bounded(&bomb, 100_000).unwrap().len(), 100_000);
    }

    #[test]
    fn keys_of_any_characters_never_panic() {
        let folder = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/";
        let pieces = ["2026", "/", "é", "ü€", "11", "T", "Z", "_", ".json.gz", "😀", "0", "-"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let mut key = folder.to_owned();
            for _ in 0..(state % 12) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                key.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            state = state.wrapping_add(1);
            let _ = in_day_range(&key, folder.len(), 0, i64::MAX);
            let _ = log_key_time(&key);
            let _ = integrity::digest::key_time(&key);
        }
        // `€` straddles the year's fourth byte: the old code panicked here.
        assert!(in_day_range(&format!("{folder}20€1/345/x"), folder.len(), 0, i64::MAX));
    }
}
