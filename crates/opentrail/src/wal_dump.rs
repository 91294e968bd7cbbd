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
    let mut n_undecodable = 0usize;
    for entry in records {
        let (lsn, payload) = entry.context("read the WAL")?;
        let envelope = match ingest::Envelope::decode(&payload) {
            Ok(envelope) => envelope,
            Err(err) => {
                // Shown, and the dump goes on: the records after it are as readable as ever.
                n_undecodable += 1;
                let shown = &payload[..payload.len().min(64)];
                tracing::error!(lsn = lsn.0, len = payload.len(), %err, first_bytes = hex::encode(shown), "a WAL record is not a readable envelope");
                continue;
            }
        };
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
    anyhow::ensure!(
        n_undecodable == 0,
        "{n_undecodable} WAL record(s) are not readable envelopes (positions above); every other record was dumped"
    );
    Ok(())
}
