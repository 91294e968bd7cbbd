//! `opentrail bench history`: event history at scale, in process. Files `--events` generated
//! management events (spread over the last 88 days) into a fresh index as fast as it goes,
//! then measures LookupEvents pages: the first page and deep pages (tenth and later) for each
//! lookup attribute, no attribute, and a time range; reports index bytes per event, stored
//! bytes per event and the process's peak memory.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cloudtrail_model::Record;
use event_generator::{Config, Generator, Storyline};
use event_history::{Attribute, Category, History, HistoryConfig, Query, attrs};
use indicatif::{ProgressBar, ProgressStyle};

/// Lookups measured per attribute (distinct values, sampled across the traffic).
const VALUES_PER_ATTRIBUTE: usize = 12;
/// Deep pages followed per lookup (pages 10 and later are "deep").
const PAGES_MAX: usize = 120;
const DEEP_FROM_PAGE: usize = 10;

pub(crate) fn run(n_events: u64, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let owned = data_dir.is_none();
    let dir = data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("opentrail-bench-history-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let clock: Arc<dyn ingest::Clock> = Arc::new(ingest::SystemClock);
    let now_s = clock.now_unix_millis() / 1000;
    let history = History::open(&dir, HistoryConfig::recommended(), Arc::clone(&clock))
        .with_context(|| format!("open an event history in `{}`", dir.display()))?;

    // Build: generate until n_events management events are filed.
    let start_s = now_s - 88 * 86_400;
    let mut generator = Generator::new(Config {
        seed: 11,
        count: u64::MAX,
        start_unix_seconds: start_s,
        events_per_second: 3,
        storyline: Storyline::None,
    });
    let progress = ProgressBar::new(n_events);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} filing {pos}/{len} events [{elapsed_precise}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut samples: Vec<Vec<u8>> = Vec::new();
    let mut record = Vec::with_capacity(4096);
    let (mut n_filed, mut n_generated, mut lsn, mut n_json_bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut filing = Duration::ZERO;
    while n_filed < n_events {
        let mut batch = Vec::with_capacity(4096);
        while batch.len() < 4096 && n_filed + (batch.len() as u64) < n_events {
            record.clear();
            generator.next_into(&mut record).context("the generator stopped")?;
            n_generated += 1;
            const MANAGEMENT: &[u8] = b"\"eventCategory\":\"Management\"";
            if !record.windows(MANAGEMENT.len()).any(|w| w == MANAGEMENT) {
                continue;
            }
            if n_generated % 997 == 0 {
                samples.push(record.clone());
            }
            n_json_bytes += record.len() as u64;
            let envelope = ingest::Envelope {
                kind: ingest::Kind::CloudTrailRecord,
                ingested_at_ms: now_s * 1000,
                dedup_key: "",
                event_id: "",
                channel_arn: "",
                record: &record,
            }
            .to_vec();
            lsn += envelope.len() as u64 + 24;
            batch.push((wal::Lsn(lsn), envelope));
        }
        let started = Instant::now();
        // Decoded here as the consumer runner decodes them, so filing costs what it costs there.
        let mut events = Vec::with_capacity(batch.len());
        for (lsn, payload) in &batch {
            let envelope = ingest::Envelope::decode(payload).context("decode an envelope")?;
            events.push(pipeline::Event { lsn: *lsn, envelope });
        }
        let n = history.add(&events, wal::Lsn(lsn + 1)).context("file events")?;
        if history.seal_due() {
            history.seal().context("seal a segment")?;
        }
        filing += started.elapsed();
        n_filed += n as u64;
        progress.set_position(n_filed);
    }
    let started = Instant::now();
    history.seal().context("seal the last segments")?;
    let n_merged = history.compact().context("compact")?;
    filing += started.elapsed();
    progress.finish_and_clear();
    let stats = history.stats();

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "event history, {n_filed} management events filed ({n_generated} generated, seed 11, 88 days)"
    )?;
    writeln!(
        out,
        "filing: {:.1} s, {:.0} events/s on one thread ({:.0} MB/s of JSON); {} segments ({n_merged} merged away)",
        filing.as_secs_f64(),
        n_filed as f64 / filing.as_secs_f64(),
        n_json_bytes as f64 / 1e6 / filing.as_secs_f64(),
        stats.segments
    )?;
    writeln!(
        out,
        "size: index {:.1} bytes/event ({:.0} MB); stored records {:.1} bytes/event ({:.0} MB, JSON {:.0} bytes/event)",
        stats.index_bytes as f64 / n_filed as f64,
        stats.index_bytes as f64 / 1e6,
        stats.record_bytes as f64 / n_filed as f64,
        stats.record_bytes as f64 / 1e6,
        n_json_bytes as f64 / n_filed as f64
    )?;

    // Lookups: values of every attribute from the sampled records, in one account and region.
    let scope = ("111122223333", "us-east-1");
    let mut values: Vec<(Attribute, String)> = Vec::new();
    for bytes in &samples {
        let Ok(parsed) = Record::parse(bytes) else { continue };
        let Some(indexed) = attrs::classify(&parsed, 0) else { continue };
        if (indexed.account.as_str(), indexed.region.as_str()) != scope {
            continue;
        }
        for (attribute, value) in indexed.summary.lookup_values() {
            let n_same = values.iter().filter(|(a, _)| *a == attribute).count();
            if n_same < VALUES_PER_ATTRIBUTE
                && !values.iter().any(|(a, v)| *a == attribute && v == value)
            {
                values.push((attribute, value.to_owned()));
            }
        }
    }
    let query = |filter: Option<(Attribute, String)>, range: Option<(i64, i64)>| Query {
        accounts: vec![scope.0.to_owned()],
        region: scope.1.to_owned(),
        category: Category::Management,
        filter,
        start_ms: range.map(|r| r.0),
        end_ms: range.map(|r| r.1),
        max_results: 50,
        after: None,
    };
    writeln!(
        out,
        "\n{:<14} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}   (account {}, {}; 50 per page; ms)",
        "lookup",
        "values",
        "hits/value",
        "first p50",
        "first p99",
        "deep p50",
        "deep p99",
        scope.0,
        scope.1
    )?;
    let mut rows: Vec<(String, Vec<Query>)> = Vec::new();
    for attribute in Attribute::ALL {
        let queries: Vec<Query> = values
            .iter()
            .filter(|(a, _)| *a == attribute)
            .map(|(a, v)| query(Some((*a, v.clone())), None))
            .collect();
        rows.push((attribute.as_str().to_owned(), queries));
    }
    rows.push(("(none)".into(), vec![query(None, None)]));
    // One-hour windows spread over the span the traffic covers (3 events/s generated).
    let span_ms = (n_generated as i64 / 3) * 1000;
    rows.push((
        "time range".into(),
        (0..VALUES_PER_ATTRIBUTE as i64)
            .map(|i| {
                let from = start_s * 1000 + i * span_ms / VALUES_PER_ATTRIBUTE as i64;
                query(None, Some((from, from + 3_600_000)))
            })
            .collect(),
    ));
    let mut all_first = Vec::new();
    for (name, queries) in rows {
        let (mut first, mut deep, mut hits) = (Vec::new(), Vec::new(), 0usize);
        for query in &queries {
            for _ in 0..5 {
                let started = Instant::now();
                history.lookup(query).context("lookup")?;
                first.push(started.elapsed());
            }
            let mut query = query.clone();
            for page_number in 1..=PAGES_MAX {
                let started = Instant::now();
                let page = history.lookup(&query).context("lookup")?;
                if page_number >= DEEP_FROM_PAGE {
                    deep.push(started.elapsed());
                }
                hits += page.hits.len();
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
        }
        all_first.extend_from_slice(&first);
        writeln!(
            out,
            "{name:<14} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
            queries.len(),
            if queries.is_empty() { 0 } else { hits / queries.len() },
            ms(percentile(&mut first, 50)),
            ms(percentile(&mut first, 99)),
            ms(percentile(&mut deep, 50)),
            ms(percentile(&mut deep, 99)),
        )?;
    }
    writeln!(
        out,
        "all first pages: p50 {} ms, p99 {} ms (goal p99 < 50 ms); hits/value counts pages up to {PAGES_MAX}",
        ms(percentile(&mut all_first, 50)),
        ms(percentile(&mut all_first, 99))
    )?;
    writeln!(out, "peak memory (VmHWM) of this process: {}", peak_memory())?;
    drop(history);
    if owned {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn percentile(samples: &mut [Duration], p: usize) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    Some(samples[((samples.len() - 1) * p).div_ceil(100)])
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "-".into(), |d| format!("{:.2}", d.as_secs_f64() * 1000.0))
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}
