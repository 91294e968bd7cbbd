//! `opentrail serve`: opens the catalog and the WAL under the data directory, bootstraps the
//! first account on first start, serves HTTP, and on SIGINT/SIGTERM finishes in-flight
//! requests, fsyncs the WAL and exits 0.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use catalog::AccountStore as _;

use crate::alarms_setup;
use crate::bootstrap;
use crate::cli::ServeArgs;

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    // First, so every handle the WAL, ingest and the consumers take records here.
    let prometheus = install_metrics_recorder()?;
    let config = match &args.config {
        Some(path) => Some(Arc::new(load_config(path)?)),
        None => None,
    };
    let listen = args
        .listen
        .or(config.as_ref().map(|c| c.listen))
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 9471)));
    let region = args
        .region
        .clone()
        .or(config.as_ref().map(|c| c.region.clone()))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let data_dir = match args.data_dir.clone().or(config.as_ref().and_then(|c| c.data_dir.clone()))
    {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("create data directory `{}`", data_dir.display()))?;
    // The data directory holds secrets (access keys, signing keys): owner only.
    restrict_to_owner(&data_dir, 0o700)?;
    let catalog_path = data_dir.join("catalog.sqlite");
    let catalog = Arc::new(catalog::Catalog::open(&catalog_path).context("open the catalog")?);
    // The catalog and SQLite's journal files beside it hold secrets (keys): owner only.
    for suffix in ["", "-wal", "-shm"] {
        let path = data_dir.join(format!("catalog.sqlite{suffix}"));
        if suffix.is_empty() || path.exists() {
            restrict_to_owner(&path, 0o600)?;
        }
    }
    let clock: Arc<dyn ingest::Clock> = Arc::new(ingest::SystemClock);
    let now_unix = clock.now_unix_millis() / 1000;

    let bootstrap =
        bootstrap::ensure(&catalog, &region, now_unix).context("bootstrap the catalog")?;
    if let Some(config) = &config {
        // Configured accounts must exist in the catalog before trails can belong to them.
        for account in config.accounts() {
            let row =
                catalog::Account { account_id: account.id.clone(), name: account.name.clone() };
            match catalog.create_account(&row, now_unix) {
                Ok(()) | Err(catalog::Error::AlreadyExists { .. }) => {}
                Err(err) => return Err(err).context("add the configured accounts to the catalog"),
            }
        }
    }

    let mut ingest_config = ingest::IngestConfig::recommended();
    ingest_config.disk_free_bytes_min = args.disk_free_bytes_min;
    let (ingestor, report) =
        ingest::Ingestor::open(&data_dir.join("wal"), ingest_config, Arc::clone(&clock))
            .context("open the write-ahead log (see the message for what to do)")?;
    if let Some(tail) = &report.truncated_tail {
        tracing::warn!(
            ?tail,
            "recovered the WAL: truncated a torn tail left by a crash (never acknowledged)"
        );
    }
    let ingestor = Arc::new(ingestor);
    // The embedded local bucket store (one directory per bucket under the data directory),
    // and the S3-compatible stores of the configuration for the buckets they name.
    let blobs = blob_store::BlobStore::new(store_config(&data_dir, config.as_deref()))
        .context("open the bucket stores (check `s3_stores` in the configuration file)")?;
    // The default trail, created once, at the first start, unless the configuration says not.
    let wants_default_trail =
        !args.no_default_trail && config.as_ref().is_none_or(|c| c.default_trail);
    let default_trail = if bootstrap.first_start && wants_default_trail {
        let now_ms = clock.now_unix_millis();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("start the async runtime")?;
        Some(
            runtime
                .block_on(bootstrap::create_default_trail(&catalog, &blobs, &bootstrap, now_ms))
                .context("create the default trail")?,
        )
    } else {
        None
    };
    let root_env = match &bootstrap.new_root_key {
        Some(key) => Some(
            bootstrap::write_root_env(&data_dir, key, &bootstrap.region)
                .context("write root.env")?,
        ),
        None => None,
    };
    let organization = config.as_ref().and_then(|c| c.organization()).cloned();
    let delivery_interval = args
        .delivery_interval
        .or(config.as_ref().and_then(|c| c.delivery_interval))
        .unwrap_or(std::time::Duration::from_secs(60));
    let digest_interval = args
        .digest_interval
        .or(config.as_ref().and_then(|c| c.digest_interval))
        .unwrap_or(std::time::Duration::from_secs(3600));
    let history_config = event_history::HistoryConfig::with_retention(
        args.history_retention
            .or(config.as_ref().and_then(|c| c.history_retention))
            .unwrap_or(std::time::Duration::from_secs(90 * 86_400)),
    );
    let history = Arc::new(
        event_history::History::open(&data_dir.join("history"), history_config, Arc::clone(&clock))
            .context("open event history")?,
    );
    // Metric filters and alarms: the signing key, the service, then what the configuration
    // and the CIS pack ask for.
    let (signer, certificate_pem) = alarms_setup::signing_key(&catalog, now_unix)?;
    let base_url = Arc::clone(&signer.base_url);
    let waker = metric_alarms::Waker::default();
    let alarm_service = {
        let wake = waker.clone();
        let service_config = metric_alarms::ServiceConfig {
            admin_account: bootstrap.account_id().to_owned(),
            organization: organization.clone(),
        };
        Arc::new(
            metric_alarms::AlarmService::open(
                Arc::clone(&catalog),
                Arc::clone(&clock),
                service_config,
                Box::new(signer),
                Box::new(move || wake.wake()),
            )
            .map_err(|err| anyhow::anyhow!("load metric filters and alarms: {err}"))?,
        )
    };
    alarms_setup::apply_config(
        &alarm_service,
        &catalog,
        config.as_deref(),
        bootstrap.account_id(),
        &bootstrap.region,
    )
    .context("apply the metric filters, alarms and notification targets of the configuration")?;
    let smtp = config.as_ref().and_then(|c| c.smtp.clone());
    let policy = config.as_ref().map(|c| c.notifications).unwrap_or_default();
    let deliverer = Arc::new(
        metric_alarms::Deliverer::new(
            Arc::clone(&catalog),
            Arc::clone(&clock),
            smtp,
            policy,
            waker,
        )
        .map_err(|err| anyhow::anyhow!("{err}"))?,
    );
    let delivery = log_delivery::consumer::Delivery {
        ingestor: Arc::clone(&ingestor),
        catalog: Arc::clone(&catalog),
        organization,
        uploader: Arc::new(blobs.clone()),
        config: log_delivery::consumer::DeliveryConfig {
            interval: delivery_interval,
            digest_interval,
            ..log_delivery::consumer::DeliveryConfig::recommended()
        },
        state_dir: data_dir.join("delivery"),
    };
    // Log delivery runs on its own thread too; at shutdown it runs one last cycle after the API
    // stopped accepting events, so everything acknowledged before the signal is delivered.
    let delivery = pipeline::Runner::new(
        log_delivery::consumer::DeliveryConsumer::new(delivery),
        Arc::clone(&ingestor),
    )
    .spawn()
    .context("start the log-delivery thread")?;

    // Event history files every acknowledged event on its own thread, beside the API.
    let indexer = pipeline::Runner::new(
        event_history::consumer::Indexer::new(Arc::clone(&history)),
        Arc::clone(&ingestor),
    )
    .spawn()
    .context("start the event-history thread")?;
    // Metric filters see every acknowledged event on their own thread too.
    let filters = pipeline::Runner::new(
        metric_alarms::Consumer::new(Arc::clone(&alarm_service)),
        Arc::clone(&ingestor),
    )
    .spawn()
    .context("start the metric-alarms thread")?;

    let state = Arc::new(
        api_server::AppState::new(
            Arc::clone(&ingestor),
            Arc::clone(&catalog),
            Arc::clone(&history),
            config,
        )?
        .with_operator_account(bootstrap.account_id().to_owned())
        .with_blob_store(blobs.clone())
        .with_alarms(Arc::clone(&alarm_service))
        .with_sns_certificate(certificate_pem)
        .with_metrics(render_metrics(
            prometheus,
            vec![delivery.progress(), indexer.progress(), filters.progress()],
        )),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("opentrail-api")
        .build()
        .context("start the async runtime")?;
    let result = runtime.block_on(async move {
        let shutdown = shutdown_signal()?;
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
            format!("listen on `{listen}` (is another server using it? pick one with `--listen`)")
        })?;
        let local = listener.local_addr().context("read the listening address")?;
        let endpoint = format!("http://{local}");
        let _ = base_url.set(endpoint.clone());
        let env_path = bootstrap::write_admin_env(&data_dir, &bootstrap, &endpoint).context("write admin.env")?;
        tracing::info!(address = %local, data_dir = %data_dir.display(), wal_end = %report.end_lsn, "opentrail listening");
        print_banner(&endpoint, &data_dir, &env_path, &bootstrap, Welcome { default_trail: default_trail.as_ref(), root_env: root_env.as_deref() });
        let (stop_notifications, notifications_stopped) = tokio::sync::oneshot::channel::<()>();
        let notification_task = tokio::spawn(deliverer.run(async {
            let _ = notifications_stopped.await;
        }));
        let served = api_server::serve(listener, api_server::router(state), shutdown).await.context("serve HTTP");
        let _ = stop_notifications.send(());
        if let Err(err) = notification_task.await {
            tracing::error!(%err, "notification delivery stopped abnormally");
        }
        served?;
        anyhow::Ok(())
    });
    // After the API stopped: delivery runs its last cycle, event history seals what it read,
    // then the WAL closes.
    delivery.stop();
    indexer.stop();
    filters.stop();
    ingestor.shutdown().context("flush the write-ahead log")?;
    tracing::info!("opentrail stopped");
    result
}

/// Installs the process's metrics recorder (Prometheus text format) and describes every
/// metric.
fn install_metrics_recorder() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Seconds: from a fast fsync (100 µs) to a slow lookup (10 s).
    const SECONDS_BUCKETS: &[f64] = &[
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .context("configure the metrics histograms")?
        .install_recorder()
        .context("install the metrics recorder")?;
    wal::describe_metrics();
    ingest::describe_metrics();
    pipeline::describe_metrics();
    event_history::describe_metrics();
    log_delivery::describe_metrics();
    metric_alarms::describe_metrics();
    Ok(handle)
}

/// What `GET /metrics` renders: the consumers' lag measured against the WAL's end now, then
/// every metric.
fn render_metrics(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    consumers: Vec<Arc<pipeline::Progress>>,
) -> api_server::metrics_route::Render {
    Arc::new(move || {
        for consumer in &consumers {
            consumer.measure();
        }
        handle.run_upkeep();
        handle.render()
    })
}

/// Reads `opentrail.toml`; `${VAR}` references and `OPENTRAIL_*` overrides come from the
/// process environment (the only place that reads it).
fn load_config(path: &Path) -> anyhow::Result<settings::Settings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("read the configuration file `{}`", path.display()))?;
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    settings::Settings::from_toml(&text, &env)
        .with_context(|| format!("load the configuration file `{}`", path.display()))
}

fn restrict_to_owner(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("restrict `{}` to its owner", path.display()))
}

/// What the welcome text tells about this start besides where the service is.
struct Welcome<'a> {
    /// The default trail created now: its name and bucket.
    default_trail: Option<&'a (String, String)>,
    /// Where the root key was written now.
    root_env: Option<&'a Path>,
}

/// Tells the operator where the service is, what the first start made, and the next three
/// commands. Short: logs go to stderr. Best effort: a closed stdout must not stop the service.
fn print_banner(
    endpoint: &str,
    data_dir: &Path,
    env_path: &Path,
    bootstrap: &bootstrap::Bootstrap,
    welcome: Welcome<'_>,
) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "OpenTrail listening on {endpoint} (data in {})", data_dir.display());
    if bootstrap.first_start {
        let _ = writeln!(
            out,
            "First start: account {}, administrator IAM user `{}` (AdministratorAccess).",
            bootstrap.account_id(),
            bootstrap::ADMIN_USER
        );
    }
    if let Some((trail, bucket)) = welcome.default_trail {
        let _ = writeln!(
            out,
            "Trail `{trail}` records every region into bucket {bucket} ({}), with signed digests.",
            data_dir.join("buckets").join(bucket).display()
        );
    }
    if let Some(root_env) = welcome.root_env {
        let _ = writeln!(
            out,
            "The root user's key is in {} (0600), written once: move it offline; every call with it is a Root event.",
            root_env.display()
        );
    }
    let _ = writeln!(out, "Next, with the administrator's key from {} (0600):", env_path.display());
    let _ = writeln!(out, "  set -a; . {}; set +a", env_path.display());
    let _ = writeln!(out, "  aws cloudtrail lookup-events --max-results 5");
    let _ = writeln!(out, "  aws cloudtrail get-trail-status --name {}", bootstrap::DEFAULT_TRAIL);
    let _ = writeln!(
        out,
        "Server logs go to stderr (RUST_LOG=debug for more); stored events: opentrail wal dump --data-dir {}",
        data_dir.display()
    );
    let _ = out.flush();
}

/// `$XDG_DATA_HOME/opentrail`, else `~/.local/share/opentrail`.
pub(crate) fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("opentrail"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).context(
        "no data directory: pass `--data-dir DIR` or set `OPENTRAIL_DATA_DIR` (HOME is not set)",
    )?;
    Ok(PathBuf::from(home).join(".local/share/opentrail"))
}

/// Registers for SIGINT and SIGTERM now (so a signal sent as soon as the service announces
/// itself is never the default "terminate at once"), and resolves when one arrives.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutdown requested; finishing in-flight requests");
    })
}

/// The bucket stores: the embedded local store, with each configured S3 store routed in front
/// for the buckets it names.
fn store_config(data_dir: &Path, config: Option<&settings::Settings>) -> blob_store::StoreConfig {
    let local = blob_store::StoreConfig::Local { root: data_dir.join("buckets") };
    let routes: Vec<blob_store::Route> = config
        .map(settings::Settings::s3_stores)
        .unwrap_or_default()
        .iter()
        .map(|store| blob_store::Route {
            name: store.name.clone(),
            buckets: store.buckets.clone(),
            store: blob_store::StoreConfig::S3(blob_store::S3Config {
                endpoint: store.endpoint.clone(),
                region: store.region.clone(),
                access_key_id: store.access_key_id.clone(),
                secret_access_key: store.secret_access_key.expose().to_owned(),
                session_token: store.session_token.as_ref().map(|t| t.expose().to_owned()),
                virtual_hosted_style: store.addressing == settings::Addressing::Virtual,
                allow_http: store.is_plain_http(),
            }),
        })
        .collect();
    if routes.is_empty() {
        return local;
    }
    blob_store::StoreConfig::Routed { default: Box::new(local), routes }
}
