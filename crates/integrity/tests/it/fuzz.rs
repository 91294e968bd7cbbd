//! No digest makes reading or verifying it panic: AWS's example digests and one signed here,
//! mutated byte by byte and with each other's pieces, read, verified with the real key and
//! mutated signatures, and their keys' times cut.
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 20000), seed: `OPENTRAIL_FUZZ_SEED`.

use integrity::SigningKey;
use integrity::digest::{DigestDocument, DigestLogFile};
use integrity::read::{read_digest, verify_digest};
use mutation_fuzz::{Rng, mutate};

/// The inputs: the corpus digests, then a digest signed with `key` (its signature appended
/// after a `\n`, so it is part of the input).
fn inputs(key: &SigningKey) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for name in [
        "awsdocs-cloudtrail-user-guide-example-digest-01.json",
        "awsdocs-cloudtrail-user-guide-example-digest-02.json",
    ] {
        inputs.push(std::fs::read(super::digests_dir().join(name)).unwrap());
    }
    let der = key.public_pkcs1_der().unwrap();
    let file = DigestLogFile {
        s3_bucket: "b".into(),
        s3_object: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/x.json.gz".into(),
        hash_value: "00".repeat(32),
        oldest_event_time: Some("2026-11-20T10:00:00Z".into()),
        newest_event_time: None,
    };
    let signed = integrity::digest::sign(
        &DigestDocument {
            account_id: "111122223333",
            start_unix: 1_795_168_800,
            end_unix: 1_795_172_400,
            bucket: "b",
            key: "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T110000Z.json.gz",
            fingerprint: &integrity::fingerprint(&der),
            previous: None,
            log_files: &[file],
        },
        key,
    );
    let mut own = signed.json;
    own.push(b'\n');
    own.extend(signed.signature_hex.bytes());
    inputs.push(own);
    inputs
}

#[test]
fn no_digest_panics_reading_or_verifying() {
    let key = SigningKey::generate(&mut integrity::OsRng).unwrap();
    let der = key.public_pkcs1_der().unwrap();
    let inputs = inputs(&key);
    mutation_fuzz::run(
        "digest JSON",
        20_000,
        |rng: &mut Rng| {
            let base = rng.pick(&inputs);
            mutate(rng, base, &inputs)
        },
        |bytes| {
            // The signature, when the input carries one, follows the last line break.
            let (json, signature) = match bytes.iter().rposition(|b| *b == b'\n') {
                Some(at) => (&bytes[..at], String::from_utf8_lossy(&bytes[at + 1..]).into_owned()),
                None => (&bytes[..], String::new()),
            };
            for json in [json, bytes] {
                let Ok(read) = read_digest(json) else { continue };
                let _ = verify_digest(&der, &read, json, &signature);
                let _ = verify_digest(json, &read, json, &signature);
                let _ = integrity::digest::key_time(&read.key);
                if let Some(previous) = &read.previous_key {
                    let _ = integrity::digest::key_time(previous);
                }
            }
            let _ = integrity::digest::unhex(&signature);
            let _ = integrity::digest::key_time(&String::from_utf8_lossy(bytes));
        },
    );
}
