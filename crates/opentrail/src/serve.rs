//! `opentrail serve`: starts the HTTP service and stops it gracefully on SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::ServeArgs;

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("create data directory `{}`", data_dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("opentrail-api")
        .build()
        .context("start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
            format!(
                "listen on `{}` (is another server using it? pick one with `--listen`)",
                args.listen
            )
        })?;
        let local = listener.local_addr().context("read the listening address")?;
        tracing::info!(address = %local, data_dir = %data_dir.display(), "opentrail listening");
        print_banner(local, &data_dir);
        api_server::serve(listener, api_server::router(), shutdown_signal())
            .await
            .context("serve HTTP")?;
        tracing::info!("opentrail stopped");
        anyhow::Ok(())
    })
}

/// Tells the operator where the service is. Best effort: a closed stdout must not stop it.
fn print_banner(local: std::net::SocketAddr, data_dir: &std::path::Path) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ =
        writeln!(stdout, "OpenTrail listening on http://{local} (data in {})", data_dir.display());
    let _ = writeln!(stdout, "  health: curl http://{local}/health");
    let _ = stdout.flush();
}

/// `$XDG_DATA_HOME/opentrail`, else `~/.local/share/opentrail`.
fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("opentrail"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).context(
        "no data directory: pass `--data-dir DIR` or set `OPENTRAIL_DATA_DIR` (HOME is not set)",
    )?;
    Ok(PathBuf::from(home).join(".local/share/opentrail"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
