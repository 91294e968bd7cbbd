//! No bucket content makes validate-logs panic: a real signed chain whose digests, log files,
//! keys and signatures are mutated (some mutated digests signed again, so the chain logic sees
//! them as valid), with garbage objects added, against random answers of the control plane.
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 500), seed: `OPENTRAIL_FUZZ_SEED`.

use log_validator::{ChainHead, LatestDigest};
use mutation_fuzz::{Rng, mutate};

use crate::trail::{Object, T0, TestControl, chain, digest_end, signing_key, try_validate};

/// A case as bytes (so a failure prints it whole): the control's answers, then each object as
/// length-prefixed key, signature and body.
fn encode(control: &TestControl, objects: &[Object]) -> Vec<u8> {
    let mut out = Vec::new();
    let number = |n: Option<i64>| n.map_or(i64::MIN, |n| n);
    out.extend(number(control.latest.delivered_ms).to_le_bytes());
    out.extend(number(control.latest.chain_head.as_ref().map(|h| h.end_unix)).to_le_bytes());
    out.extend(number(control.latest_delivery_ms).to_le_bytes());
    let mut field = |bytes: &[u8]| {
        out.extend((bytes.len() as u32).to_le_bytes());
        out.extend(bytes);
    };
    let head_key = control.latest.chain_head.as_ref().and_then(|h| h.key.clone());
    field(head_key.unwrap_or_default().as_bytes());
    for object in objects {
        field(object.key.as_bytes());
        field(object.signature.as_deref().unwrap_or_default().as_bytes());
        field(&object.body);
    }
    out
}

fn decode(bytes: &[u8]) -> (TestControl, Vec<Object>) {
    let number = |at: usize| {
        let n = i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        (n != i64::MIN).then_some(n)
    };
    let mut at = 24;
    let field = |at: &mut usize| {
        let len = u32::from_le_bytes(bytes[*at..*at + 4].try_into().unwrap()) as usize;
        *at += 4 + len;
        &bytes[*at - len..*at]
    };
    let head_key = String::from_utf8_lossy(field(&mut at)).into_owned();
    let control = TestControl {
        latest: LatestDigest {
            delivered_ms: number(0),
            chain_head: number(8).map(|end_unix| ChainHead {
                key: (!head_key.is_empty()).then_some(head_key),
                end_unix,
            }),
        },
        latest_delivery_ms: number(16),
    };
    let mut objects = Vec::new();
    while at < bytes.len() {
        let key = String::from_utf8_lossy(field(&mut at)).into_owned();
        let signature = String::from_utf8_lossy(field(&mut at)).into_owned();
        let body = field(&mut at).to_vec();
        objects.push(Object { key, body, signature: (!signature.is_empty()).then_some(signature) });
    }
    (control, objects)
}

/// A digest's JSON mutated, and (sometimes) signed again so it passes the signature check.
fn mutate_digest(rng: &mut Rng, object: &mut Object, pieces: &[Vec<u8>]) {
    let Ok(json) = decompress(&object.body) else { return };
    let json = mutate(rng, &json, pieces);
    object.body = integrity::digest::gzip(&json);
    if rng.one_in(2)
        && let Ok(read) = integrity::read::read_digest(&json)
    {
        let text = integrity::digest::string_to_sign(
            &read.end_time,
            &read.bucket,
            &read.key,
            &integrity::digest::sha256_hex(&json),
            read.previous_signature.as_deref(),
        );
        object.signature = Some(integrity::digest::hex(&signing_key().0.sign(text.as_bytes())));
    }
}

fn decompress(gzip: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gzip).read_to_end(&mut out)?;
    Ok(out)
}

fn make_case(rng: &mut Rng, base: &[Object]) -> Vec<u8> {
    let mut objects = base.to_vec();
    let pieces: Vec<Vec<u8>> = base.iter().map(|o| o.key.as_bytes().to_vec()).collect();
    for _ in 0..1 + rng.below(4) {
        let idx = rng.below(objects.len());
        match rng.below(7) {
            0 | 1 if objects[idx].signature.is_some() => {
                mutate_digest(rng, &mut objects[idx], &pieces);
            }
            2 => {
                let key = mutate(rng, objects[idx].key.as_bytes(), &pieces);
                objects[idx].key = String::from_utf8_lossy(&key).into_owned();
            }
            3 => objects[idx].body = mutate(rng, &objects[idx].body, &pieces),
            4 => {
                let signature = objects[idx].signature.clone().unwrap_or_default();
                let signature = mutate(rng, signature.as_bytes(), &[]);
                objects[idx].signature = Some(String::from_utf8_lossy(&signature).into_owned());
            }
            5 => {
                objects.remove(idx);
                if objects.is_empty() {
                    objects.push(base[0].clone());
                }
            }
            _ => {
                let mut garbage = objects[idx].clone();
                garbage.key =
                    String::from_utf8_lossy(&mutate(rng, garbage.key.as_bytes(), &pieces))
                        .into_owned();
                garbage.body = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
                objects.push(garbage);
            }
        }
    }
    let time = |rng: &mut Rng| match rng.below(4) {
        0 => None,
        1 => Some(rng.next_u64() as i64),
        _ => Some(digest_end(rng.below(5)) + rng.below(7200) as i64 - 3600),
    };
    let head_end = time(rng);
    let control = TestControl {
        latest: LatestDigest {
            delivered_ms: time(rng).map(|t| t.saturating_mul(1000)),
            chain_head: head_end.map(|end_unix| ChainHead {
                key: rng.one_in(2).then(|| crate::trail::digest_key(digest_end(2))),
                end_unix,
            }),
        },
        latest_delivery_ms: time(rng).map(|t| t.saturating_mul(1000)),
    };
    encode(&control, &objects)
}

#[test]
fn no_bucket_content_panics_validate_logs() {
    let base = chain(4);
    mutation_fuzz::run(
        "validate-logs over a mutated bucket",
        500,
        |rng| make_case(rng, &base),
        |case| {
            let (control, objects) = decode(case);
            let _ = try_validate(&objects, &control, T0, digest_end(3) + 60);
        },
    );
}
