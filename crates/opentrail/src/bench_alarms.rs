//! `opentrail bench alarms`: (1) metric-filter throughput — generated CloudTrail records through
//! the engine with the whole CIS pack, one thread, events/s; (2) acknowledgement → webhook
//! latency through a real server: each probe event trips its own alarm, and a webhook receiver
//! started here timestamps the notification (p50, p99, max).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use event_generator::{Config, Generator, Storyline};
use metric_alarms::cis::{self, CisVersion};
use metric_alarms::{Alarm, Engine, FilterEntry, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::bench_ingest::{send, start_server_with, stop_server};

/// Probes in the latency run: one alarm each (100 filters per log group, so several groups).
const PROBES_PER_GROUP: usize = 100;

pub(crate) fn run(events: u64, probes: usize) -> anyhow::Result<()> {
    throughput(events)?;
    latency(probes)
}

fn cis_engine() -> Engine {
    let mut engine = Engine::new();
    let mut filters = Vec::new();
    for control in cis::controls(CisVersion::DEFAULT) {
        let filter = cis::metric_filter(
            CisVersion::DEFAULT,
            &control,
            metric_alarms::ALL_ACCOUNTS_LOG_GROUP,
            0,
        );
        if let Ok(compiled) = filter.compile() {
            filters.push(FilterEntry {
                account_id: "123456789012".into(),
                region: "us-east-1".into(),
                filter: compiled,
                scope: Scope::All,
            });
        }
        let config = cis::alarm_config(CisVersion::DEFAULT, &control, &[], 1.0);
        if let Ok(alarm) = Alarm::create(config, 1_000) {
            engine.put_alarm("123456789012", "us-east-1", alarm);
        }
    }
    engine.set_filters(filters);
    engine
}

fn throughput(events: u64) -> anyhow::Result<()> {
    let mut generator = Generator::new(Config {
        seed: 7,
        count: events,
        start_unix_seconds: 1_767_225_600,
        events_per_second: 10,
        storyline: Storyline::None,
    });
    let mut records = Vec::with_capacity(events as usize);
    let mut bytes = Vec::new();
    while generator.next_into(&mut bytes).is_some() {
        records.push(String::from_utf8(std::mem::take(&mut bytes))?);
    }
    let total_bytes: usize = records.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut stats = metric_alarms::EngineStats::default();
    let mut transitions = Vec::new();
    for _ in 0..3 {
        let mut engine = cis_engine();
        // Fake time: a millisecond per event, so windows fill and empty as in a day of traffic.
        let start = Instant::now();
        for (idx, record) in records.iter().enumerate() {
            let now = 1_767_225_600_000 + idx as i64;
            engine.observe(record, now, now, &mut transitions);
            if idx % 1000 == 0 {
                engine.evaluate_due(now, &mut transitions);
            }
            transitions.clear();
        }
        best = best.min(start.elapsed().as_secs_f64());
        stats = engine.stats();
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "metric filters, whole CIS v3.0 pack (15 filters, 15 alarms), one thread, best of 3:\n  {} events ({:.0} bytes each), {} matches: {:.0} events/s, {:.0} MB/s (goal: >= 1,000,000 events/s per core)",
        records.len(),
        total_bytes as f64 / records.len().max(1) as f64,
        stats.matches,
        records.len() as f64 / best,
        total_bytes as f64 / best / 1e6
    )?;
    Ok(())
}

/// A webhook receiver: answers 200 to every POST and records (alarm name, time received).
async fn receiver(listener: tokio::net::TcpListener, seen: Arc<Mutex<Vec<(String, Instant)>>>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else { return };
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let Ok(n) = socket.read(&mut chunk).await else { return };
                if n == 0 {
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buffer.len() < head_end + 4 + length {
                    continue;
                }
                let at = Instant::now();
                let body = String::from_utf8_lossy(&buffer[head_end + 4..head_end + 4 + length])
                    .into_owned();
                if let Some(name) =
                    body.split("AlarmName\\\":\\\"").nth(1).and_then(|rest| rest.split('\\').next())
                {
                    seen.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((name.to_owned(), at));
                }
                buffer.drain(..head_end + 4 + length);
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
            }
        });
    }
}

fn probe_record(template: &serde_json::Value, account_id: &str, k: usize) -> Vec<u8> {
    let mut record = template.clone();
    record["eventName"] = serde_json::Value::String(format!("BenchProbe{k}"));
    record["recipientAccountId"] = serde_json::Value::String(account_id.to_owned());
    record["eventID"] = serde_json::Value::String(format!("b0000000-0000-4000-8000-{k:012}"));
    let mut line = record.to_string().into_bytes();
    line.push(b'\n');
    line
}

fn latency(probes: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("opentrail-bench-alarms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let data_dir = dir.join("data");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let hook = format!("http://{}/hook", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(receiver(listener, Arc::clone(&seen)));
        // First start bootstraps the account the alarms' topic ARN names.
        let (mut server, admin) = start_server_with(&data_dir, &[])?;
        stop_server(&mut server);
        let topic = format!("arn:aws:sns:{}:{}:bench", admin.region, admin.account_id);
        let mut config = format!(
            "version = 1\n[cis_pack]\nenabled = false\n[[notification_targets]]\nname = \"bench\"\nwebhooks = [\"{hook}\"]\n"
        );
        for k in 0..probes {
            config.push_str(&format!(
                "[[metric_filters]]\nfilterName = \"probe-{k}\"\nlogGroupName = \"bench-{}\"\nfilterPattern = '{{ $.eventName = \"BenchProbe{k}\" }}'\nmetricTransformations = [{{ metricName = \"Probe{k}\", metricNamespace = \"Bench\", metricValue = \"1\" }}]\n[[alarms]]\nAlarmName = \"probe-{k}\"\nMetricName = \"Probe{k}\"\nNamespace = \"Bench\"\nStatistic = \"Sum\"\nPeriod = 60\nEvaluationPeriods = 1\nThreshold = 1.0\nComparisonOperator = \"GreaterThanOrEqualToThreshold\"\nTreatMissingData = \"notBreaching\"\nAlarmActions = [\"{topic}\"]\n",
                k / PROBES_PER_GROUP
            ));
        }
        let config_path = dir.join("opentrail.toml");
        std::fs::write(&config_path, config)?;
        let config_arg = config_path.to_string_lossy().into_owned();
        let (mut server, admin) = start_server_with(&data_dir, &["--config", &config_arg])?;
        let outcome = async {
            let mut generator = Generator::new(Config {
                seed: 1,
                count: 1,
                start_unix_seconds: 1_767_225_600,
                events_per_second: 10,
                storyline: Storyline::Benign,
            });
            let mut bytes = Vec::new();
            generator.next_into(&mut bytes).context("generate a template record")?;
            let template: serde_json::Value = serde_json::from_slice(&bytes)?;
            let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
            // Let the new alarms settle (their first evaluation) before probing.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let progress = indicatif::ProgressBar::new(probes as u64);
            let mut latencies_ms = Vec::with_capacity(probes);
            for k in 0..probes {
                let body = probe_record(&template, &admin.account_id, k);
                send(&client, &admin, body).await?;
                let acked = Instant::now();
                let name = format!("probe-{k}");
                let deadline = acked + Duration::from_secs(10);
                loop {
                    let got = seen
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, at)| *at);
                    if let Some(at) = got {
                        latencies_ms.push(at.saturating_duration_since(acked).as_secs_f64() * 1e3);
                        break;
                    }
                    if Instant::now() > deadline {
                        bail!("alarm {name} was not delivered within 10 s of its event's acknowledgement");
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                progress.inc(1);
            }
            progress.finish_and_clear();
            latencies_ms.sort_by(f64::total_cmp);
            let pct = |p: usize| latencies_ms[(latencies_ms.len() - 1) * p / 100];
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "acknowledgement -> webhook delivery (real server, {probes} alarms on {probes} filters, one probe event each):\n  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p99 < 1000 ms)",
                pct(50),
                pct(99),
                latencies_ms.last().copied().unwrap_or(f64::NAN)
            )?;
            anyhow::Ok(())
        }
        .await;
        stop_server(&mut server);
        outcome
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}
