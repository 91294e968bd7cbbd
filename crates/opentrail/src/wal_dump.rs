//! `opentrail wal dump`: every stored record, one JSON object per line, read without changing
//! anything (safe while the server runs).

use std::io::Write;

use anyhow::Context;

use crate::cli::WalDumpArgs;

pub(crate) fn run(args: WalDumpArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => crate::serve::default_data_dir()?,
    };
    let wal_dir = data_dir.join("wal");
    anyhow::ensure!(
        wal_dir.is_dir(),
        "no WAL at `{}`: is `--data-dir` the directory `opentrail serve` uses?",
        wal_dir.display()
    );
    let records = wal::read_only(&wal_dir)
        .with_context(|| format!("open the WAL in `{}`", wal_dir.display()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for entry in records {
        let (lsn, payload) = entry.context("read the WAL")?;
        let envelope = ingest::Envelope::decode(&payload)
            .with_context(|| format!("decode the WAL record at `{lsn}`"))?;
        if args.with_envelope {
            write!(
                out,
                "{{\"lsn\":{},\"kind\":\"{:?}\",\"ingestedAtMs\":{},\"eventID\":",
                lsn.0, envelope.kind, envelope.ingested_at_ms
            )?;
            let mut buf = Vec::new();
            cloudtrail_model::json::write_str(envelope.event_id, &mut buf);
            out.write_all(&buf)?;
            out.write_all(b",\"record\":")?;
            out.write_all(envelope.record)?;
            out.write_all(b"}\n")?;
        } else {
            out.write_all(envelope.record)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}
