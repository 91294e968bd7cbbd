//! No log file and no PutAuditEvents `eventData` makes parsing or building panic: the corpus'
//! log files and records, mutated byte by byte and with each other's pieces, parsed as a log
//! file, as records (and written back), and checked and built as an integration event.
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 20000 each), seed: `OPENTRAIL_FUZZ_SEED`.

use cloudtrail_model::integration::{Destination, SubmittedEvent, lake_record};
use cloudtrail_model::{LogFile, Record};
use mutation_fuzz::{Rng, mutate};

fn corpus_files(folder: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(crate::corpus_dir().join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths.into_iter().map(|path| std::fs::read(path).unwrap()).collect()
}

#[test]
fn no_log_file_panics_the_parser() {
    let files: Vec<Vec<u8>> =
        corpus_files("logfiles").into_iter().filter(|f| f.len() < 64 * 1024).collect();
    assert!(!files.is_empty());
    mutation_fuzz::run(
        "log file",
        20_000,
        |rng: &mut Rng| {
            let base = rng.pick(&files).clone();
            mutate(rng, &base, &files)
        },
        |bytes| {
            if let Ok(file) = LogFile::parse(bytes) {
                for record in file.records() {
                    let _ = cloudtrail_model::validate::parse_and_validate(&record.to_json_bytes());
                }
            }
            let _ = Record::parse(bytes);
        },
    );
}

#[test]
fn no_event_data_panics_put_audit_events() {
    let records: Vec<Vec<u8>> = corpus_files("records")
        .iter()
        .flat_map(|file| file.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect::<Vec<_>>())
        .filter(|line| line.starts_with(b"{") && line.len() < 16 * 1024)
        .take(200)
        .collect();
    assert!(!records.is_empty());
    let destination = Destination {
        channel_arn: "arn:aws:cloudtrail:us-east-1:111122223333:channel/c",
        channel_account_id: "111122223333",
        aws_region: "us-east-1",
        event_id: "3b7ab6a3-ff0e-4e76-8d5d-f1a2c5b6d4e1",
        ingested_at_ms: 1_795_168_800_000,
    };
    mutation_fuzz::run(
        "PutAuditEvents eventData",
        20_000,
        |rng: &mut Rng| {
            let base = rng.pick(&records).clone();
            mutate(rng, &base, &records)
        },
        |bytes| {
            let event_data = String::from_utf8_lossy(bytes);
            for checksum in [None, Some("x"), Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
            {
                let event = SubmittedEvent { event_data: &event_data, checksum };
                let _ = lake_record(&event, &destination);
            }
        },
    );
}
