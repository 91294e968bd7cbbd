use super::*;

#[test]
fn keys_sign_verify_and_survive_storage() {
    let key = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
    let public = key.public_pkcs1_der().unwrap();
    // DER PKCS#1 RSAPublicKey of a 2048-bit key: SEQUENCE { INTEGER n, INTEGER e }.
    assert_eq!(&public[..4], &[0x30, 0x82, 0x01, 0x0a]);
    let signature = key.sign(b"2026-11-21T01:00:00Z\nbucket/key\nabc\nnull");
    assert!(verify(&public, b"2026-11-21T01:00:00Z\nbucket/key\nabc\nnull", &signature));
    assert!(!verify(&public, b"tampered", &signature));
    let stored = SigningKey::from_private_pkcs8_der(&key.private_pkcs8_der().unwrap()).unwrap();
    assert_eq!(stored.public_pkcs1_der().unwrap(), public);
    assert_eq!(fingerprint(&public).len(), 32);
}

#[test]
fn fingerprints_match_aws_samples() {
    // MD5 of the DER bytes: checked against the fingerprint AWS publishes with a sample key
    // (integrity.md §5.3); here the empty input as a fixed vector of the function.
    assert_eq!(fingerprint(b""), "d41d8cd98f00b204e9800998ecf8427e");
}

mod digests {
    use cloudtrail_model::s3_keys::AccountFolder;

    use crate::SigningKey;
    use crate::digest::{
        DigestDocument, DigestKey, DigestLogFile, PreviousDigest, key_time, sha256_hex, sign,
        string_to_sign, unhex,
    };
    use crate::read::{read_digest, verify_digest};

    fn key(end_unix: i64, prefix: Option<&'static str>) -> DigestKey<'static> {
        DigestKey {
            folder: AccountFolder {
                s3_key_prefix: prefix,
                organization_id: None,
                account_id: "123456789012",
            },
            region: "us-east-1",
            trail_name: "opentrail-test",
            home_region: "us-east-1",
            end_unix,
        }
    }

    #[test]
    fn keys_follow_the_aws_layout() {
        // 2026-11-20T11:17:28Z, the spec's example (integrity.md §3).
        let end = 1_795_173_448;
        assert_eq!(
            key(end, Some("my/pre")).to_key(),
            "my/pre/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/20/123456789012_CloudTrail-Digest_us-east-1_opentrail-test_us-east-1_20261120T111728Z.json.gz"
        );
        let in_org =
            AccountFolder { organization_id: Some("o-abc123defg"), ..key(end, None).folder };
        let org = DigestKey { folder: in_org, ..key(end, None) };
        assert_eq!(
            org.to_key(),
            "AWSLogs/o-abc123defg/123456789012/CloudTrail-Digest/us-east-1/2026/11/20/123456789012_CloudTrail-Digest_us-east-1_opentrail-test_us-east-1_20261120T111728Z.json.gz"
        );
        assert_eq!(key_time(&org.to_key()), Some("20261120T111728Z"));
        assert_eq!(key_time("a_20261120T111728Z_backfill.json.gz"), Some("20261120T111728Z"));
        assert_eq!(key_time("a_20261120T111728Z.json"), None);
        assert_eq!(key_time("x.json.gz"), None);
        assert_eq!(key_time("a_2026112XT111728Z.json.gz"), None);
    }

    #[test]
    fn the_signed_string_has_four_lines_and_no_trailing_newline() {
        assert_eq!(string_to_sign("E", "b", "k", "h", None), "E\nb/k\nh\nnull");
        assert_eq!(string_to_sign("E", "b", "k", "h", Some("ab")), "E\nb/k\nh\nab");
    }

    #[test]
    fn digests_sign_read_back_and_verify_and_detect_changes() {
        let signing = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
        let public = signing.public_pkcs1_der().unwrap();
        let files = vec![DigestLogFile {
            s3_bucket: "b".into(),
            s3_object: "AWSLogs/x.json.gz".into(),
            hash_value: sha256_hex(b"{\"Records\":[]}"),
            oldest_event_time: Some("2026-11-20T10:27:28Z".into()),
            newest_event_time: Some("2026-11-20T10:47:28Z".into()),
        }];
        let first_key = key(1_795_173_448, None).to_key();
        let first = sign(
            &DigestDocument {
                account_id: "123456789012",
                start_unix: 1_795_169_848,
                end_unix: 1_795_173_448,
                bucket: "b",
                key: &first_key,
                fingerprint: "f",
                previous: None,
                log_files: &files,
            },
            &signing,
        );
        let read = read_digest(&first.json).unwrap();
        assert!(read.is_start());
        assert_eq!(read.previous_signature, None);
        assert_eq!(read.log_files, files);
        assert_eq!(read.end_time, "2026-11-20T11:17:28Z");
        assert!(verify_digest(&public, &read, &first.json, &first.signature_hex));
        // The empty hour after it, chained.
        let previous = PreviousDigest {
            bucket: "b".into(),
            key: first_key.clone(),
            sha256_hex: first.sha256_hex.clone(),
            signature_hex: first.signature_hex.clone(),
        };
        let second_key = key(1_795_177_048, None).to_key();
        let second = sign(
            &DigestDocument {
                account_id: "123456789012",
                start_unix: 1_795_173_448,
                end_unix: 1_795_177_048,
                bucket: "b",
                key: &second_key,
                fingerprint: "f",
                previous: Some(&previous),
                log_files: &[],
            },
            &signing,
        );
        let text = String::from_utf8(second.json.clone()).unwrap();
        assert!(text.contains("\"logFiles\":[]"), "{text}");
        assert!(text.contains("\"newestEventTime\":null"), "{text}");
        let read2 = read_digest(&second.json).unwrap();
        assert_eq!(read2.previous_key.as_deref(), Some(first_key.as_str()));
        assert_eq!(read2.previous_signature.as_deref(), Some(first.signature_hex.as_str()));
        assert!(verify_digest(&public, &read2, &second.json, &second.signature_hex));
        // Deterministic: the same document signs to the same bytes.
        let again = sign(
            &DigestDocument {
                account_id: "123456789012",
                start_unix: 1_795_173_448,
                end_unix: 1_795_177_048,
                bucket: "b",
                key: &second_key,
                fingerprint: "f",
                previous: Some(&previous),
                log_files: &[],
            },
            &signing,
        );
        assert_eq!(again, second);
        // One changed byte, a signature of another digest, or another key: all refused.
        let mut changed = second.json.clone();
        let at = text.find("2026").unwrap();
        changed[at + 3] = b'7';
        assert!(!verify_digest(
            &public,
            &read_digest(&changed).unwrap(),
            &changed,
            &second.signature_hex
        ));
        assert!(!verify_digest(&public, &read2, &second.json, &first.signature_hex));
        let other = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
        assert!(!verify_digest(
            &other.public_pkcs1_der().unwrap(),
            &read2,
            &second.json,
            &second.signature_hex
        ));
        assert!(!verify_digest(&public, &read2, &second.json, "zz"));
        assert_eq!(unhex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn reading_names_what_is_wrong() {
        for (text, message) in [
            ("[]", "not a JSON object"),
            ("{", "not JSON"),
            (r#"{"digestStartTime":"2026-11-20T10:00:00Z"}"#, "`digestEndTime` is missing"),
            (
                r#"{"digestStartTime":"2026-11-20T10:00:00Z","digestEndTime":"2026-11-20T11:00:00Z","digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"f","previousDigestSignature":null}"#,
                "`logFiles` is missing",
            ),
            (
                r#"{"digestStartTime":"2026-11-20T10:00:00Z","digestEndTime":"2026-11-20T11:00:00Z","digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"f","logFiles":[]}"#,
                "`previousDigestSignature` is missing",
            ),
            (
                r#"{"digestStartTime":"yesterday","digestEndTime":"2026-11-20T11:00:00Z"}"#,
                "`digestStartTime`",
            ),
        ] {
            let err = read_digest(text.as_bytes()).unwrap_err();
            assert!(err.contains(message), "{text}: {err}");
        }
    }
}
