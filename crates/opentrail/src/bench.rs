//! `opentrail bench`: throughput of the record model (parse, serialise, validate) on the
//! shared corpus and on generated records, and of the generator itself. Single-threaded.

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use cloudtrail_model::{Record, parse_and_validate};
use event_generator::{Config, Generator, Storyline};

use crate::cli::{BenchArgs, BenchTarget};

/// Each measurement repeats its data set until at least this long has passed.
const MEASURE_TIME_MIN: Duration = Duration::from_millis(1500);

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Model { corpus, records } => model(corpus, records),
        BenchTarget::Gen { count } => generator(count),
        BenchTarget::Ingest { clients, batch, seconds, rate, data_dir, compare_with, runs } => {
            crate::bench_ingest::run(crate::bench_ingest::IngestBench {
                clients,
                batches: batch,
                seconds,
                rate,
                data_dir,
                compare_with,
                runs,
            })
        }
        BenchTarget::ValidateLogs { seconds, aws, data_dir } => {
            crate::bench_validate::run(seconds, &aws, data_dir)
        }
        BenchTarget::History { events, data_dir } => crate::bench_history::run(events, data_dir),
        BenchTarget::Alarms { events, probes } => crate::bench_alarms::run(events, probes),
        BenchTarget::Delivery { events, interval, rate, seconds, data_dir } => {
            crate::bench_delivery::run(crate::bench_delivery::DeliveryBench {
                events,
                interval,
                rate,
                seconds,
                data_dir,
            })
        }
    }
}

fn model(corpus: Option<PathBuf>, n_generated: u64) -> anyhow::Result<()> {
    let corpus = corpus.unwrap_or_else(|| PathBuf::from("../shared/data/cloudtrail"));
    let mut corpus_records = Vec::new();
    let records_dir = corpus.join("records");
    let mut entries: Vec<_> = std::fs::read_dir(&records_dir)
        .with_context(|| format!("read corpus `{}` (pass `--corpus DIR`)", records_dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            let text =
                std::fs::read(&path).with_context(|| format!("read `{}`", path.display()))?;
            corpus_records
                .extend(text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
        }
    }
    let generated = generate(n_generated, Storyline::None);

    let mut out = std::io::stdout().lock();
    writeln!(out, "{:<28} {:<10} {:>12} {:>9}", "data set", "operation", "records/s", "MB/s")?;
    for (name, data) in [
        (format!("corpus ({} records)", corpus_records.len()), &corpus_records),
        (format!("generated ({} records)", generated.len()), &generated),
    ] {
        let parsed: Vec<Record> =
            data.iter().map(|b| Record::parse(b)).collect::<Result<_, _>>()?;
        let (rps, mbps) = measure(data, |bytes| {
            black_box(Record::parse(black_box(bytes)).ok());
            bytes.len()
        });
        writeln!(out, "{name:<28} {:<10} {rps:>12.0} {mbps:>9.1}", "parse")?;
        let mut idx = 0;
        let (rps, mbps) = measure(data, |_| {
            let bytes = black_box(&parsed[idx % parsed.len()]).to_json_bytes();
            idx += 1;
            bytes.len()
        });
        writeln!(out, "{name:<28} {:<10} {rps:>12.0} {mbps:>9.1}", "serialise")?;
        let (rps, mbps) = measure(data, |bytes| {
            black_box(parse_and_validate(black_box(bytes)).ok());
            bytes.len()
        });
        writeln!(out, "{name:<28} {:<10} {rps:>12.0} {mbps:>9.1}", "validate")?;
    }
    Ok(())
}

fn generator(count: u64) -> anyhow::Result<()> {
    let mut generator = Generator::new(config(count, Storyline::None));
    let mut buf = Vec::with_capacity(4096);
    let mut n_bytes = 0u64;
    let started = Instant::now();
    while generator.next_into(&mut buf).is_some() {
        n_bytes += buf.len() as u64 + 1;
        black_box(&buf);
        buf.clear();
    }
    let secs = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "generated {count} records ({:.1} MB) in {secs:.2} s: {:.0} records/s, {:.1} MB/s on one thread",
        n_bytes as f64 / 1e6,
        count as f64 / secs,
        n_bytes as f64 / 1e6 / secs
    )?;
    Ok(())
}

fn config(count: u64, storyline: Storyline) -> Config {
    Config { seed: 7, count, start_unix_seconds: 1_793_577_600, events_per_second: 10, storyline }
}

fn generate(count: u64, storyline: Storyline) -> Vec<Vec<u8>> {
    let mut generator = Generator::new(config(count, storyline));
    let mut records = Vec::new();
    let mut buf = Vec::new();
    while generator.next_into(&mut buf).is_some() {
        records.push(std::mem::take(&mut buf));
    }
    records
}

/// Runs `op` over `data` repeatedly for at least [`MEASURE_TIME_MIN`]; returns records/s and
/// MB/s (of the bytes `op` reports).
fn measure(data: &[Vec<u8>], mut op: impl FnMut(&[u8]) -> usize) -> (f64, f64) {
    let started = Instant::now();
    let (mut n_records, mut n_bytes) = (0u64, 0u64);
    while started.elapsed() < MEASURE_TIME_MIN {
        for bytes in data {
            n_bytes += op(bytes) as u64;
            n_records += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    (n_records as f64 / secs, n_bytes as f64 / 1e6 / secs)
}
