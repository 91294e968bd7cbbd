//! `opentrail bench delivery`: log delivery measured two ways.
//!
//! - **Throughput**, in process: a WAL pre-filled with generated management events, one logging
//!   multi-region trail, and the delivery consumer draining it into the embedded local bucket
//!   store (gzip, fsync'd files): events/s and compressed MB/s from the first cycle to the last.
//! - **Latency**, end to end: a real `opentrail serve` with `--delivery-interval`, a trail
//!   created and started through the CloudTrail API, events sent at a fixed rate through the
//!   native endpoint, and the bucket directory watched: for every acknowledged event, the time
//!   from its acknowledgement to the moment its log file is visible (p50, p99, max).

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use catalog::{AccountStore as _, TrailStore as _};
use event_generator::{Config, Generator, Storyline};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::bench_ingest::{Admin, send, start_server_with, stop_server};

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "bench-logs";
/// Events per request in the latency run.
const LATENCY_BATCH: usize = 50;

/// Settings of one run.
pub(crate) struct DeliveryBench {
    pub(crate) events: u64,
    pub(crate) interval: Duration,
    pub(crate) rate: u64,
    pub(crate) seconds: u64,
    pub(crate) data_dir: Option<PathBuf>,
}

pub(crate) fn run(bench: DeliveryBench) -> anyhow::Result<()> {
    if bench.events == 0 || bench.rate == 0 || bench.seconds == 0 {
        bail!("`--events`, `--rate` and `--seconds` must be at least 1");
    }
    let owned_dir = bench.data_dir.is_none();
    let root = bench.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("opentrail-bench-delivery-{}", std::process::id()))
    });
    if owned_dir {
        let _ = std::fs::remove_dir_all(&root);
    }
    std::fs::create_dir_all(&root).with_context(|| format!("create `{}`", root.display()))?;
    let result = (|| {
        throughput(&root.join("throughput"), bench.events)?;
        latency(&root.join("latency"), &bench)
    })();
    if owned_dir {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

/// Generated management records of `account`.
pub(crate) fn management_records(count: u64, seed: u64, account: &str) -> Vec<Vec<u8>> {
    let mut generator = Generator::new(Config {
        seed,
        count: count * 3,
        start_unix_seconds: 1_793_577_600,
        events_per_second: 10,
        storyline: Storyline::None,
    });
    let mut out = Vec::with_capacity(count as usize);
    let mut buf = Vec::new();
    while out.len() < count as usize && generator.next_into(&mut buf).is_some() {
        let text = String::from_utf8_lossy(&buf);
        if text.contains("\"eventCategory\":\"Management\"") {
            let text = rewrite_account(&text, account);
            out.push(text.into_bytes());
        }
        buf.clear();
    }
    out
}

/// Moves a generated record into `account` (its `recipientAccountId`).
fn rewrite_account(text: &str, account: &str) -> String {
    let marker = "\"recipientAccountId\":\"";
    match text.find(marker) {
        Some(at) => {
            let start = at + marker.len();
            format!("{}{account}{}", &text[..start], &text[start + 12..])
        }
        None => text.to_owned(),
    }
}

fn bench_trail(region: &str) -> catalog::Trail {
    catalog::Trail {
        is_multi_region_trail: true,
        is_logging: true,
        start_logging_time_ms: Some(0),
        ..catalog::Trail::new(
            format!("arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/bench"),
            ACCOUNT.into(),
            "bench".into(),
            region.into(),
            BUCKET.into(),
            trail_selectors::Selectors::default_for_new_trail().to_storage(),
        )
    }
}

fn throughput(dir: &Path, n_events: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let records = management_records(n_events, 7, ACCOUNT);
    let n_bytes_json: usize = records.iter().map(Vec::len).sum();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let config =
        ingest::IngestConfig { disk_free_bytes_min: 0, ..ingest::IngestConfig::recommended() };
    let (ingestor, _) =
        ingest::Ingestor::open(&dir.join("wal"), config, Arc::new(ingest::SystemClock))
            .context("open the benchmark WAL")?;
    let ingestor = Arc::new(ingestor);
    let catalog = Arc::new(catalog::Catalog::open_in_memory()?);
    catalog.create_account(
        &catalog::Account { account_id: ACCOUNT.into(), name: "bench".into() },
        0,
    )?;
    catalog.create_trail(&bench_trail("us-east-1"), 0)?;
    let now_ms = ingest::Clock::now_unix_millis(&ingest::SystemClock);
    let progress = indicatif::ProgressBar::new(records.len() as u64)
        .with_message("filling the WAL")
        .with_style(indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}")?);
    runtime.block_on(async {
        for (chunk_idx, chunk) in records.chunks(1000).enumerate() {
            let items = chunk
                .iter()
                .enumerate()
                .map(|(idx, record)| {
                    let event_id = format!("bench-{chunk_idx}-{idx}");
                    let payload = ingest::Envelope {
                        kind: ingest::Kind::CloudTrailRecord,
                        ingested_at_ms: now_ms,
                        dedup_key: "",
                        event_id: &event_id,
                        channel_arn: "",
                        record,
                    }
                    .to_vec();
                    ingest::Item { dedup_key: String::new(), event_id, payload }
                })
                .collect();
            ingestor.append(items).await?;
            progress.inc(chunk.len() as u64);
        }
        anyhow::Ok(())
    })?;
    progress.finish_and_clear();

    let blobs =
        blob_store::BlobStore::new(blob_store::StoreConfig::Local { root: dir.join("buckets") })?;
    runtime.block_on(blobs.create_bucket(BUCKET))?;
    let delivery = log_delivery::consumer::Delivery {
        ingestor: Arc::clone(&ingestor),
        catalog: Arc::clone(&catalog),
        organization: None,
        uploader: Arc::new(blobs),
        config: log_delivery::consumer::DeliveryConfig::recommended(),
        state_dir: dir.join("delivery"),
    };
    let mut delivery = pipeline::Runner::new(
        log_delivery::consumer::DeliveryConsumer::new(delivery),
        Arc::clone(&ingestor),
    );
    let started = Instant::now();
    let (n_cycles, n_files) = runtime.block_on(drain(&mut delivery))?;
    let secs = started.elapsed().as_secs_f64();
    let n_bytes_gzip = dir_bytes(&dir.join("buckets").join(BUCKET))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "delivery throughput (in process, local bucket store, fsync on, 1 trail):")?;
    writeln!(
        out,
        "  {} events ({:.1} MB of JSON) in {n_cycles} cycles, {n_files} files ({:.1} MB gzip, {:.1}x smaller) in {secs:.2} s: {:.0} events/s, {:.1} MB/s of JSON",
        records.len(),
        n_bytes_json as f64 / 1e6,
        n_bytes_gzip as f64 / 1e6,
        n_bytes_json as f64 / n_bytes_gzip.max(1) as f64,
        records.len() as f64 / secs,
        n_bytes_json as f64 / 1e6 / secs
    )?;
    Ok(())
}

/// Runs cycles until one has nothing to deliver; returns (cycles, files).
async fn drain(
    delivery: &mut pipeline::Runner<
        log_delivery::consumer::DeliveryConsumer<blob_store::BlobStore>,
    >,
) -> anyhow::Result<(usize, usize)> {
    let (mut n_cycles, mut n_files) = (0, 0);
    loop {
        delivery.consumer_mut().deliver_now();
        delivery.turn(false).await?;
        let files = delivery.consumer_mut().take_cycle_files().unwrap_or(0);
        if files == 0 {
            return Ok((n_cycles, n_files));
        }
        n_cycles += 1;
        n_files += files;
    }
}

fn dir_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for path in files_under(dir) {
        total += std::fs::metadata(&path)?.len();
    }
    Ok(total)
}

/// Every `.json.gz` file under `dir`, outside the store's `.meta` tree.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "gz") {
                out.push(path);
            }
        }
    }
    out
}

fn latency(dir: &Path, bench: &DeliveryBench) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let interval_arg = format!("{}ms", bench.interval.as_millis());
    let (mut server, admin) = start_server_with(dir, &["--delivery-interval", &interval_arg])?;
    let result = (|| {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let admin = Arc::new(admin);
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        runtime.block_on(start_bench_trail(
            &client,
            &admin,
            r#"{"Name":"bench","S3BucketName":"bench-logs","IsMultiRegionTrail":true}"#,
        ))?;
        let records = management_records(bench.rate * bench.seconds, 11, &admin.account_id);
        let bucket_dir = dir.join("buckets").join(BUCKET);
        // The watcher: polls the bucket every 10 ms and notes when each bench event appears.
        let stop = Arc::new(AtomicBool::new(false));
        let n_seen = Arc::new(AtomicUsize::new(0));
        let watcher = {
            let (stop, n_seen) = (Arc::clone(&stop), Arc::clone(&n_seen));
            std::thread::spawn(move || watch(&bucket_dir, &stop, &n_seen))
        };
        let acks = runtime.block_on(send_at_rate(&client, &admin, &records, bench.rate))?;
        let n_acked: usize = acks.iter().map(|(ids, _)| ids.len()).sum();
        // Wait for every acknowledged event to be visible (or give up after 3 intervals + 10 s).
        let deadline = Instant::now() + bench.interval * 3 + Duration::from_secs(10);
        while Instant::now() < deadline && n_seen.load(Ordering::Relaxed) < n_acked {
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::Relaxed);
        let seen = watcher.join().map_err(|_| anyhow::anyhow!("the bucket watcher panicked"))??;
        let mut latencies_ms: Vec<f64> = Vec::with_capacity(n_acked);
        let mut n_missing = 0usize;
        for (ids, acked_at) in &acks {
            for id in ids {
                match seen.get(id) {
                    Some(visible_at) => latencies_ms
                        .push(visible_at.saturating_duration_since(*acked_at).as_secs_f64() * 1e3),
                    None => n_missing += 1,
                }
            }
        }
        latencies_ms.sort_by(f64::total_cmp);
        let pct = |p: usize| {
            latencies_ms
                .get((latencies_ms.len().saturating_sub(1)) * p / 100)
                .copied()
                .unwrap_or(f64::NAN)
        };
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "acknowledgement -> log file visible (real server, --delivery-interval {interval_arg}, {} events/s offered for {} s, batches of {LATENCY_BATCH}):",
            bench.rate, bench.seconds
        )?;
        writeln!(
            out,
            "  {n_acked} events acknowledged, {} visible, {n_missing} missing; p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (goal: p99 <= interval + 2000 ms = {} ms)",
            latencies_ms.len(),
            pct(50),
            pct(99),
            latencies_ms.last().copied().unwrap_or(f64::NAN),
            bench.interval.as_millis() + 2000
        )?;
        if n_missing > 0 {
            bail!("{n_missing} acknowledged events never became visible");
        }
        Ok(())
    })();
    stop_server(&mut server);
    result
}

/// Polls `bucket_dir` until `stop`, counting in `n_seen`; returns when each `bench-` event id
/// was first seen.
fn watch(
    bucket_dir: &Path,
    stop: &AtomicBool,
    n_seen: &AtomicUsize,
) -> anyhow::Result<HashMap<String, Instant>> {
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        let done = stop.load(Ordering::Relaxed);
        let now = Instant::now();
        for path in files_under(bucket_dir) {
            if files.contains(&path) {
                continue;
            }
            let mut json = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(&path)?)
                .read_to_end(&mut json)
                .with_context(|| format!("read `{}`", path.display()))?;
            let text = String::from_utf8_lossy(&json);
            for piece in text.split("\"eventID\":\"bench-").skip(1) {
                if let Some(end) = piece.find('"') {
                    seen.entry(format!("bench-{}", &piece[..end])).or_insert(now);
                }
            }
            files.insert(path);
        }
        n_seen.store(seen.len(), Ordering::Relaxed);
        if done {
            return Ok(seen);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `records` at `rate` events/s in batches; returns each batch's event ids and when it
/// was acknowledged.
pub(crate) async fn send_at_rate(
    client: &Client<HttpConnector, Full<Bytes>>,
    admin: &Arc<Admin>,
    records: &[Vec<u8>],
    rate: u64,
) -> anyhow::Result<Vec<(Vec<String>, Instant)>> {
    let period = Duration::from_secs_f64(LATENCY_BATCH as f64 / rate as f64);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (batch_idx, batch) in records.chunks(LATENCY_BATCH).enumerate() {
        tokio::time::sleep_until((started + period * batch_idx as u32).into()).await;
        let mut body = Vec::with_capacity(batch.len() * 1600);
        let mut ids = Vec::with_capacity(batch.len());
        for (idx, record) in batch.iter().enumerate() {
            let id = format!("bench-{batch_idx:08}-{idx:04}");
            body.extend_from_slice(&with_event_id(record, &id));
            body.push(b'\n');
            ids.push(id);
        }
        let (client, admin) = (client.clone(), Arc::clone(admin));
        tasks.push(tokio::spawn(async move {
            let accepted = send(&client, &admin, body).await?;
            if accepted != ids.len() as u64 {
                bail!("the server accepted {accepted} of {} events", ids.len());
            }
            Ok((ids, Instant::now()))
        }));
    }
    let mut acks = Vec::with_capacity(tasks.len());
    for task in tasks {
        acks.push(task.await.context("a sender failed")??);
    }
    Ok(acks)
}

/// The record with its `eventID` value replaced by `id`.
fn with_event_id(record: &[u8], id: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(record);
    let marker = "\"eventID\":\"";
    let Some(start) = text.find(marker).map(|at| at + marker.len()) else {
        return record.to_vec();
    };
    let Some(len) = text[start..].find('"') else { return record.to_vec() };
    format!("{}{id}{}", &text[..start], &text[start + len..]).into_bytes()
}

/// Creates the trail `create_trail` describes (CreateTrail's request), which must be named
/// `bench`, and starts its logging.
pub(crate) async fn start_bench_trail(
    client: &Client<HttpConnector, Full<Bytes>>,
    admin: &Admin,
    create_trail: &str,
) -> anyhow::Result<()> {
    cloudtrail_call(client, admin, "CreateTrail", create_trail).await?;
    cloudtrail_call(client, admin, "StartLogging", r#"{"Name":"bench"}"#).await
}

/// One signed CloudTrail API call; fails unless it answers 200.
pub(crate) async fn cloudtrail_call(
    client: &Client<HttpConnector, Full<Bytes>>,
    admin: &Admin,
    operation: &str,
    body: &str,
) -> anyhow::Result<()> {
    let (status, bytes) = crate::cloudtrail_client::call(
        client,
        &admin.address,
        &admin.credentials,
        &admin.region,
        operation,
        body,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    if !status.is_success() {
        bail!("{operation} answered {status}: {}", String::from_utf8_lossy(&bytes));
    }
    Ok(())
}
