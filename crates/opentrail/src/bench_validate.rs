//! `opentrail bench validate-logs`: builds a trail with many log files and digests on a real
//! server (one region, `--delivery-interval 100ms`, `--digest-interval 1s`), then times
//! `aws cloudtrail validate-logs` and `opentrail validate-logs` on it, one after the other in
//! the same run, and reports the ratio.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::bench_delivery::{cloudtrail_call, management_records, send_at_rate, start_bench_trail};
use crate::bench_ingest::{Admin, start_server_with, stop_server};

/// Offered load: enough that every 100 ms cycle has events of the trail's region.
const RATE: u64 = 400;

pub(crate) fn run(seconds: u64, aws: &str, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    if seconds == 0 {
        bail!("`--seconds` must be at least 1");
    }
    let owned_dir = data_dir.is_none();
    let dir = data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("opentrail-bench-validate-{}", std::process::id()))
    });
    if owned_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("create `{}`", dir.display()))?;
    let (mut server, admin) =
        start_server_with(&dir, &["--delivery-interval", "100ms", "--digest-interval", "1s"])?;
    let result = measure(seconds, aws, admin, &dir);
    stop_server(&mut server);
    if owned_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn measure(seconds: u64, aws: &str, admin: Admin, dir: &std::path::Path) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let admin = Arc::new(admin);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let started_unix = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH)?.as_secs() as i64;
    let start_time = cloudtrail_model::time::format_unix_seconds(started_unix - 60);
    let arn = format!("arn:aws:cloudtrail:{}:{}:trail/bench", admin.region, admin.account_id);
    let progress = indicatif::ProgressBar::new_spinner()
        .with_message(format!("delivering {seconds} s of traffic to a validating trail"));
    progress.enable_steady_tick(Duration::from_millis(200));
    runtime.block_on(async {
        start_bench_trail(
            &client,
            &admin,
            r#"{"Name":"bench","S3BucketName":"bench-validate","EnableLogFileValidation":true}"#,
        )
        .await?;
        let records = management_records(RATE * seconds, 17, &admin.account_id);
        send_at_rate(&client, &admin, &records, RATE).await?;
        // Let the last files and the final digest land.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cloudtrail_call(&client, &admin, "StopLogging", r#"{"Name":"bench"}"#).await?;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        anyhow::Ok(())
    })?;
    progress.finish_and_clear();
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://{}", admin.address)),
        ("AWS_ACCESS_KEY_ID", admin.credentials.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", admin.credentials.secret_access_key.clone()),
        ("AWS_DEFAULT_REGION", admin.region.clone()),
        ("AWS_REGION", admin.region.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ];
    let run = |program: &str, args: &[&str]| -> anyhow::Result<(Duration, String)> {
        let started = Instant::now();
        let output = Command::new(program)
            .args(args)
            .args(["--trail-arn", &arn, "--start-time", &start_time])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .with_context(|| format!("run `{program}` (install the AWS CLI or pass --aws)"))?;
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "`{program}` found problems or failed ({}):\n{stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok((elapsed, stdout))
    };
    let (aws_time, aws_out) = run(aws, &["cloudtrail", "validate-logs"])?;
    let exe = std::env::current_exe().context("find the opentrail executable")?;
    let exe = exe.to_string_lossy();
    let (ours_time, ours_out) = run(&exe, &["validate-logs"])?;
    let dir_text = dir.to_string_lossy();
    let (dir_time, dir_out) = run(&exe, &["validate-logs", "--data-dir", &dir_text])?;
    let counts = |text: &str, what: &str| -> String {
        text.lines()
            .find(|line| line.ends_with(&format!("{what} files valid")))
            .unwrap_or("?")
            .to_owned()
    };
    let (aws_digests, aws_logs) = (counts(&aws_out, "digest"), counts(&aws_out, "log"));
    let (ours_digests, ours_logs) = (counts(&ours_out, "digest"), counts(&ours_out, "log"));
    let mut out = std::io::stdout().lock();
    writeln!(out, "validate-logs on one trail (real server, {seconds} s of traffic):")?;
    writeln!(
        out,
        "  aws cloudtrail validate-logs: {:>8.2} s  ({aws_digests}, {aws_logs})",
        aws_time.as_secs_f64()
    )?;
    writeln!(
        out,
        "  opentrail validate-logs:      {:>8.2} s  ({ours_digests}, {ours_logs})",
        ours_time.as_secs_f64()
    )?;
    writeln!(
        out,
        "  opentrail validate-logs --data-dir: {:>2.2} s  ({}, {})",
        dir_time.as_secs_f64(),
        counts(&dir_out, "digest"),
        counts(&dir_out, "log")
    )?;
    writeln!(
        out,
        "  ratio: {:.1}x faster through the APIs, {:.1}x from the data directory (goal >= 20x)",
        aws_time.as_secs_f64() / ours_time.as_secs_f64().max(1e-6),
        aws_time.as_secs_f64() / dir_time.as_secs_f64().max(1e-6)
    )?;
    Ok(())
}
