//! `opentrail bench ingest`: starts a real `opentrail serve` (fsync on), drives its native
//! ingest endpoint with concurrent SigV4-signed clients on the same machine, and reports
//! accepted events/s and acknowledgement latency (p50, p99) per clients × batch size.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use event_generator::{Config, Generator, Storyline};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Distinct record templates sent round-robin; each send gets a fresh `eventID`.
const TEMPLATES: u64 = 20_000;

/// Where the benchmarked server listens and its admin key.
pub(crate) struct Admin {
    pub(crate) address: String,
    pub(crate) credentials: sigv4::Credentials,
    pub(crate) region: String,
    /// The bootstrapped account (from the default channel's ARN in `admin.env`).
    pub(crate) account_id: String,
}

#[derive(Default)]
struct CaseResult {
    n_events: u64,
    n_errors: u64,
    latencies_us: Vec<u64>,
    seconds: f64,
    /// Server CPU ticks over the measured seconds, in all and per thread name.
    cpu_ticks: u64,
    cpu_by_thread: std::collections::BTreeMap<String, u64>,
}

/// What `opentrail bench ingest` measures.
pub(crate) struct IngestBench {
    pub(crate) clients: Vec<usize>,
    pub(crate) batches: Vec<usize>,
    pub(crate) seconds: u64,
    pub(crate) rate: u64,
    pub(crate) data_dir: Option<PathBuf>,
    /// A second `opentrail` executable measured alternately with this one.
    pub(crate) compare_with: Option<PathBuf>,
    pub(crate) runs: usize,
}

/// The load of one case.
#[derive(Clone, Copy)]
struct Load {
    n_clients: usize,
    batch: usize,
    seconds: u64,
    rate: u64,
}

/// One server measured: which executable, and its label in the table.
struct Subject {
    label: &'static str,
    exe: PathBuf,
}

/// One measurement of one combination on one server.
struct Measured {
    events_per_s: f64,
    /// Server CPU (user + system) per accepted event, in microseconds.
    cpu_us_per_event: f64,
}

pub(crate) fn run(bench: IngestBench) -> anyhow::Result<()> {
    let IngestBench { clients, batches, seconds, rate, data_dir, compare_with, runs } = bench;
    if clients.iter().chain(&batches).any(|n| *n == 0) || batches.iter().any(|b| *b > 10_000) {
        bail!("`--clients` must be at least 1 and `--batch` between 1 and 10000");
    }
    if runs == 0 {
        bail!("`--runs` must be at least 1");
    }
    let mut subjects = vec![Subject {
        label: "this",
        exe: std::env::current_exe().context("find the opentrail executable")?,
    }];
    if let Some(exe) = compare_with {
        anyhow::ensure!(exe.is_file(), "`--compare-with {}`: no such executable", exe.display());
        subjects.push(Subject { label: "other", exe });
    }
    let owned_dir = data_dir.is_none();
    let data_dir = data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("opentrail-bench-ingest-{}", std::process::id()))
    });
    let templates = Arc::new(templates());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "fsync on; {} s per case after 1 s warm-up; offered load: {}; {} run(s) per server{}",
        seconds,
        if rate == 0 { "as fast as possible".to_owned() } else { format!("{rate} events/s") },
        runs,
        match subjects.get(1) {
            Some(other) => format!(", alternating with `other` = {}", other.exe.display()),
            None => String::new(),
        }
    )?;
    writeln!(
        out,
        "{:>6} {:>7} {:>6} {:>4} {:>12} {:>10} {:>9} {:>9} {:>7} {:>12}  server CPU by thread (µs/event)",
        "server",
        "clients",
        "batch",
        "run",
        "events/s",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "CPU µs/event"
    )?;
    let counter = Arc::new(AtomicU64::new(0));
    for &batch in &batches {
        for &n_clients in &clients {
            let mut measured: Vec<Vec<Measured>> = subjects.iter().map(|_| Vec::new()).collect();
            for run in 1..=runs {
                for (idx, subject) in subjects.iter().enumerate() {
                    let dir = data_dir.join(format!("{}-{n_clients}x{batch}-{run}", subject.label));
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("create `{}`", dir.display()))?;
                    let (mut server, admin) = start_server_exe(&subject.exe, &dir, &[])?;
                    let admin = Arc::new(admin);
                    let pid = server.id();
                    let load = Load { n_clients, batch, seconds, rate };
                    let case = runtime.block_on(run_case(&admin, &templates, &counter, load, pid));
                    stop_server(&mut server);
                    if owned_dir {
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                    let case = case?;
                    let mut latencies = case.latencies_us.clone();
                    latencies.sort_unstable();
                    let pct = |p: usize| {
                        latencies
                            .get(latencies.len().saturating_sub(1) * p / 100)
                            .copied()
                            .unwrap_or(0) as f64
                            / 1000.0
                    };
                    let per_event = |ticks: u64| {
                        ticks as f64 * 1e6 / ticks_per_second() / case.n_events.max(1) as f64
                    };
                    let threads: Vec<String> = case
                        .cpu_by_thread
                        .iter()
                        .filter(|(_, ticks)| per_event(**ticks) >= 0.5)
                        .map(|(name, ticks)| format!("{name} {:.1}", per_event(*ticks)))
                        .collect();
                    let row = Measured {
                        events_per_s: case.n_events as f64 / case.seconds,
                        cpu_us_per_event: per_event(case.cpu_ticks),
                    };
                    writeln!(
                        out,
                        "{:>6} {n_clients:>7} {batch:>6} {run:>4} {:>12.0} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>12.1}  {}",
                        subject.label,
                        row.events_per_s,
                        latencies.len() as f64 / case.seconds,
                        pct(50),
                        pct(99),
                        case.n_errors,
                        row.cpu_us_per_event,
                        threads.join(", ")
                    )?;
                    out.flush()?;
                    measured[idx].push(row);
                }
            }
            if let [this, other] = &measured[..] {
                let median = |rows: &[Measured], f: fn(&Measured) -> f64| {
                    let mut values: Vec<f64> = rows.iter().map(f).collect();
                    values.sort_by(f64::total_cmp);
                    values[values.len() / 2]
                };
                let (this_rate, other_rate) =
                    (median(this, |m| m.events_per_s), median(other, |m| m.events_per_s));
                let (this_cpu, other_cpu) =
                    (median(this, |m| m.cpu_us_per_event), median(other, |m| m.cpu_us_per_event));
                writeln!(
                    out,
                    "ratio this/other, {n_clients} clients × {batch}: events/s {:.3} (medians {:.0} / {:.0}); CPU µs/event {:.3} ({:.1} / {:.1})",
                    this_rate / other_rate,
                    this_rate,
                    other_rate,
                    this_cpu / other_cpu,
                    this_cpu,
                    other_cpu
                )?;
            }
        }
    }
    if owned_dir {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    Ok(())
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`: 100 on every Linux ABI).
fn ticks_per_second() -> f64 {
    100.0
}

/// User + system CPU ticks of a process, and of each of its threads by name (`/proc`).
fn cpu_ticks(pid: u32) -> (u64, std::collections::BTreeMap<String, u64>) {
    let total = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| stat_ticks(&s).map(|(_, t)| t))
        .unwrap_or(0);
    let mut by_name = std::collections::BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
            if let Some((name, ticks)) = stat_ticks(&stat) {
                // Worker threads share a name stem: `opentrail-api`, `tokio-runtime-w`, ...
                *by_name
                    .entry(
                        name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-').to_owned(),
                    )
                    .or_insert(0) += ticks;
            }
        }
    }
    (total, by_name)
}

/// `(comm, utime + stime)` of a `/proc/.../stat` line (comm may hold spaces and parentheses).
fn stat_ticks(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the comm: state(0) ... utime(11) stime(12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

/// Starts `opentrail serve` on a free port with `extra` arguments; returns it and its admin.
pub(crate) fn start_server_with(
    data_dir: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<(Child, Admin)> {
    let exe = std::env::current_exe().context("find the opentrail executable")?;
    start_server_exe(&exe, data_dir, extra)
}

/// Starts `exe serve` on a free port with `extra` arguments; returns it and its admin.
fn start_server_exe(
    exe: &std::path::Path,
    data_dir: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<(Child, Admin)> {
    // The ingest path is measured: no default trail delivering every event, in executables
    // that create one (older ones never did).
    let help = Command::new(exe).args(["serve", "--help"]).output();
    let no_default_trail =
        help.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("--no-default-trail"));
    let mut child = Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--disk-free-bytes-min", "0", "--data-dir"])
        .arg(data_dir)
        .args(no_default_trail.then_some("--no-default-trail"))
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("start `opentrail serve`")?;
    let mut stdout = BufReader::new(child.stdout.take().context("server stdout")?);
    let mut first_line = String::new();
    stdout.read_line(&mut first_line)?;
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let address = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("the server did not say where it listens: {first_line:?}"))?
        .to_owned();
    let env = std::fs::read_to_string(data_dir.join("admin.env")).context("read admin.env")?;
    let var = |name: &str| -> anyhow::Result<String> {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
            .with_context(|| format!("{name} missing from admin.env"))
    };
    let admin = Admin {
        address,
        credentials: sigv4::Credentials {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: None,
        },
        region: var("AWS_REGION")?,
        account_id: var("OPENTRAIL_DEFAULT_CHANNEL_ARN")?
            .split(':')
            .nth(4)
            .context("the default channel ARN in admin.env names no account")?
            .to_owned(),
    };
    Ok((child, admin))
}

pub(crate) fn stop_server(server: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
}

/// Generated records split around their `eventID` value: (before, after).
fn templates() -> Vec<(String, String)> {
    let mut generator = Generator::new(Config {
        seed: 7,
        count: TEMPLATES,
        start_unix_seconds: 1_793_577_600,
        events_per_second: 10,
        storyline: Storyline::None,
    });
    let mut out = Vec::with_capacity(TEMPLATES as usize);
    let mut buf = Vec::new();
    while generator.next_into(&mut buf).is_some() {
        let text = String::from_utf8_lossy(&buf).into_owned();
        buf.clear();
        let marker = "\"eventID\":\"";
        let Some(start) = text.find(marker).map(|i| i + marker.len()) else { continue };
        let Some(len) = text[start..].find('"') else { continue };
        out.push((text[..start].to_owned(), text[start + len..].to_owned()));
    }
    out
}

async fn run_case(
    admin: &Arc<Admin>,
    templates: &Arc<Vec<(String, String)>>,
    counter: &Arc<AtomicU64>,
    load: Load,
    server_pid: u32,
) -> anyhow::Result<CaseResult> {
    let Load { n_clients, batch, seconds, rate } = load;
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(n_clients).build_http();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(1);
    let end = measure_from + Duration::from_secs(seconds);
    // With a rate, each client sends one request per `interval`, starting staggered.
    let interval =
        (rate > 0).then(|| Duration::from_secs_f64((n_clients * batch) as f64 / rate as f64));
    let mut tasks = Vec::new();
    for client_idx in 0..n_clients {
        let (client, admin, templates, counter) =
            (client.clone(), Arc::clone(admin), Arc::clone(templates), Arc::clone(counter));
        tasks.push(tokio::spawn(async move {
            let mut result = CaseResult::default();
            let mut next_send =
                interval.map(|i| start + i.mul_f64(client_idx as f64 / n_clients as f64));
            while Instant::now() < end {
                if let (Some(at), Some(interval)) = (next_send.as_mut(), interval) {
                    tokio::time::sleep_until((*at).into()).await;
                    *at += interval;
                }
                let first = counter.fetch_add(batch as u64, Ordering::Relaxed);
                let mut body = Vec::with_capacity(batch * 1600);
                for k in first..first + batch as u64 {
                    let (before, after) = &templates[(k % templates.len() as u64) as usize];
                    body.extend_from_slice(before.as_bytes());
                    body.extend_from_slice(format!("bench-{k:016x}").as_bytes());
                    body.extend_from_slice(after.as_bytes());
                    body.push(b'\n');
                }
                let sent = Instant::now();
                let outcome = send(&client, &admin, body).await;
                let latency = sent.elapsed();
                if sent < measure_from {
                    continue;
                }
                match outcome {
                    Ok(n_accepted) if n_accepted == batch as u64 => {
                        result.n_events += n_accepted;
                        result.latencies_us.push(latency.as_micros() as u64);
                    }
                    _ => result.n_errors += 1,
                }
            }
            result
        }));
    }
    // The server's CPU over the measured seconds only (not the warm-up).
    tokio::time::sleep_until(measure_from.into()).await;
    let (ticks_before, threads_before) = cpu_ticks(server_pid);
    let mut total = CaseResult::default();
    for task in tasks {
        let result = task.await.context("a bench client failed")?;
        total.n_events += result.n_events;
        total.n_errors += result.n_errors;
        total.latencies_us.extend(result.latencies_us);
    }
    total.seconds = Instant::now().saturating_duration_since(measure_from).as_secs_f64().max(1e-3);
    let (ticks_after, threads_after) = cpu_ticks(server_pid);
    total.cpu_ticks = ticks_after.saturating_sub(ticks_before);
    for (name, ticks) in threads_after {
        let before = threads_before.get(&name).copied().unwrap_or(0);
        total.cpu_by_thread.insert(name, ticks.saturating_sub(before));
    }
    Ok(total)
}

/// Sends one signed batch; returns how many records the server accepted.
pub(crate) async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    admin: &Admin,
    body: Vec<u8>,
) -> anyhow::Result<u64> {
    let mut headers = vec![
        ("host".to_owned(), admin.address.clone()),
        ("content-type".to_owned(), "application/x-ndjson".to_owned()),
    ];
    let params = sigv4::SigningParams {
        credentials: &admin.credentials,
        region: &admin.region,
        service: "opentrail",
        now: SystemTime::now(),
        uri_encoding: sigv4::UriEncoding::Normal,
    };
    sigv4::sign(&mut headers, "POST", "/v1/events", "", &body, &params);
    let mut request =
        hyper::Request::builder().method("POST").uri(format!("http://{}/v1/events", admin.address));
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    let response = client.request(request.body(Full::new(Bytes::from(body)))?).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("status {status}: {}", String::from_utf8_lossy(&bytes));
    }
    let text = std::str::from_utf8(&bytes)?;
    let accepted = text
        .strip_prefix("{\"accepted\":")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("unexpected answer: {}", &text[..text.len().min(200)]))?;
    Ok(accepted)
}
