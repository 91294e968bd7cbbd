//! The self-signed certificate: contents, signature, determinism and input limits.

use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::signature::Verifier as _;
use x509_cert::Certificate;
use x509_cert::certificate::Version;
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::{DecodePem as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::time::Time;

use crate::{Error, SigningKey};

/// The only attribute of a one-RDN `CN=…` name, as text.
fn common_name(name: &Name) -> String {
    assert_eq!(name.0.len(), 1, "{name}");
    let attributes = name.0[0].0.as_slice();
    assert_eq!(attributes.len(), 1, "{name}");
    assert_eq!(attributes[0].oid, x509_cert::der::oid::db::rfc4519::COMMON_NAME);
    attributes[0].value.decode_as::<Utf8StringRef<'_>>().unwrap().as_str().to_owned()
}

#[test]
fn certificates_carry_the_key_and_verify_with_it() {
    let key = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
    // 2026-11-20T11:17:28Z, valid for a year.
    let start = 1_795_173_448;
    let pem = key.self_signed_certificate_pem("sns.us-east-1.opentrail", start, 365).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
    assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");
    let cert = Certificate::from_pem(&pem).unwrap();
    let tbs = &cert.tbs_certificate;
    assert_eq!(tbs.version, Version::V3);
    assert_eq!(common_name(&tbs.subject), "sns.us-east-1.opentrail");
    assert_eq!(tbs.issuer, tbs.subject);
    assert_eq!(tbs.subject.to_string(), "CN=sns.us-east-1.opentrail");

    // Validity: UTCTime before 2050, exactly `days` days long.
    assert!(matches!(tbs.validity.not_before, Time::UtcTime(_)));
    assert_eq!(tbs.validity.not_before.to_unix_duration().as_secs(), 1_795_173_448);
    assert_eq!(tbs.validity.not_after.to_unix_duration().as_secs(), 1_795_173_448 + 365 * 86_400);
    assert_eq!(tbs.validity.not_after.to_string(), "2027-11-20T11:17:28Z");

    // SHA256withRSA, in the certificate and in what it signs.
    let sha256_with_rsa = x509_cert::der::oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION;
    assert_eq!(cert.signature_algorithm.oid, sha256_with_rsa);
    assert_eq!(tbs.signature, cert.signature_algorithm);

    // The SubjectPublicKeyInfo holds the key, as PKCS#1 RSAPublicKey bits.
    let spki = &tbs.subject_public_key_info;
    assert_eq!(spki.algorithm.oid, x509_cert::der::oid::db::rfc5912::RSA_ENCRYPTION);
    let public = key.public_pkcs1_der().unwrap();
    assert_eq!(spki.subject_public_key.raw_bytes(), public.as_slice());

    // The signature over the TBS bytes verifies with the key, and with nothing else.
    let tbs_der = tbs.to_der().unwrap();
    let signature = rsa::pkcs1v15::Signature::try_from(cert.signature.raw_bytes()).unwrap();
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(
        rsa::RsaPublicKey::from_pkcs1_der(&public).unwrap(),
    );
    assert!(verifier.verify(&tbs_der, &signature).is_ok());
    assert!(crate::verify(&public, &tbs_der, cert.signature.raw_bytes()));
    let mut tampered = tbs_der.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(verifier.verify(&tampered, &signature).is_err());

    // An end-entity certificate for signatures, with key identifiers.
    let extensions = tbs.extensions.as_ref().unwrap();
    let oids: Vec<_> = extensions.iter().map(|e| e.extn_id.to_string()).collect();
    assert_eq!(oids, ["2.5.29.14", "2.5.29.35", "2.5.29.19", "2.5.29.15"]);
    let (_, constraints) = cert.tbs_certificate.get::<BasicConstraints>().unwrap().unwrap();
    assert!(!constraints.ca);
    let (critical, usage) = cert.tbs_certificate.get::<KeyUsage>().unwrap().unwrap();
    assert!(critical);
    assert!(usage.0.contains(KeyUsages::DigitalSignature));
    assert!(!usage.0.contains(KeyUsages::KeyCertSign));
    assert!(cert.tbs_certificate.get::<SubjectKeyIdentifier>().unwrap().is_some());

    // A 16-byte positive serial.
    assert_eq!(tbs.serial_number.as_bytes().len(), 16);
    assert!(tbs.serial_number.as_bytes()[0] & 0x80 == 0);
}

#[test]
fn certificates_are_deterministic() {
    let key = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
    let pem = key.self_signed_certificate_pem("opentrail", 1_795_173_448, 30).unwrap();
    assert_eq!(key.self_signed_certificate_pem("opentrail", 1_795_173_448, 30).unwrap(), pem);
    // The stored key gives the same bytes too.
    let stored = SigningKey::from_private_pkcs8_der(&key.private_pkcs8_der().unwrap()).unwrap();
    assert_eq!(stored.self_signed_certificate_pem("opentrail", 1_795_173_448, 30).unwrap(), pem);
    // Other inputs change the certificate but not its serial; another key changes both.
    let serial = |pem: &str| Certificate::from_pem(pem).unwrap().tbs_certificate.serial_number;
    let later = key.self_signed_certificate_pem("opentrail", 1_795_173_449, 30).unwrap();
    assert_ne!(later, pem);
    assert_eq!(serial(&later), serial(&pem));
    assert_ne!(key.self_signed_certificate_pem("opentrail", 1_795_173_448, 31).unwrap(), pem);
    assert_ne!(key.self_signed_certificate_pem("opentrail2", 1_795_173_448, 30).unwrap(), pem);
    let other = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
    let theirs = other.self_signed_certificate_pem("opentrail", 1_795_173_448, 30).unwrap();
    assert_ne!(serial(&theirs), serial(&pem));
}

#[test]
fn certificate_names_and_times_are_checked() {
    let key = SigningKey::generate(&mut rsa::rand_core::OsRng).unwrap();
    // Names are text, not RFC 4514 syntax: commas and non-ASCII stay in the one CN.
    let pem = key.self_signed_certificate_pem("a,b=c+d é", 0, 1).unwrap();
    let cert = Certificate::from_pem(&pem).unwrap();
    assert_eq!(common_name(&cert.tbs_certificate.subject), "a,b=c+d é");
    assert_eq!(cert.tbs_certificate.validity.not_before.to_unix_duration().as_secs(), 0);
    // 64 characters is the limit (ub-common-name), counted as characters.
    assert!(key.self_signed_certificate_pem(&"é".repeat(64), 0, 1).is_ok());
    for name in ["", &"x".repeat(65)] {
        let err = key.self_signed_certificate_pem(name, 0, 1).unwrap_err();
        assert!(matches!(&err, Error::Encode(m) if m.contains("common name")), "{err}");
    }
    // After 2049 the times are GeneralizedTime (RFC 5280 §4.1.2.5).
    // From 2049-12-31T23:59:59Z for a day.
    let pem = key.self_signed_certificate_pem("x", 2_524_607_999, 1).unwrap();
    let validity = Certificate::from_pem(&pem).unwrap().tbs_certificate.validity;
    assert!(matches!(validity.not_before, Time::UtcTime(_)));
    assert!(matches!(validity.not_after, Time::GeneralTime(_)));
    assert_eq!(validity.not_after.to_unix_duration().as_secs(), 2_524_607_999 + 86_400);
    // Before 1970 or past 9999: refused.
    for (start, days) in [(-1, 1), (253_402_300_799, 1), (i64::MAX, 0)] {
        let err = key.self_signed_certificate_pem("x", start, days).unwrap_err();
        assert!(matches!(err, Error::Encode(_)), "{start} {days}: {err}");
    }
}
