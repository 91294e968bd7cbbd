//! A self-signed X.509 certificate for a [`SigningKey`]: what a notification receiver fetches
//! from an SNS-style `SigningCertURL` to check `SignatureVersion` 2 signatures
//! (SHA256withRSA). No IO, no clock: the caller says when the certificate starts, and the same
//! key and inputs always give the same bytes (RSASSA-PKCS1-v1_5 is deterministic and the serial
//! number comes from the public key).

use std::time::Duration;

use rsa::RsaPublicKey;
use sha2::{Digest as _, Sha256};
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::asn1::{GeneralizedTime, SetOfVec};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Any, Encode as _, EncodePem as _, Tag};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use crate::{Error, SigningKey};

/// RFC 5280's `ub-common-name`: the longest common name, in characters.
const MAX_COMMON_NAME_CHARS: usize = 64;

impl SigningKey {
    /// A self-signed X.509 v3 certificate (PEM, `-----BEGIN CERTIFICATE-----`) for this key,
    /// signed with SHA256withRSA, subject and issuer `CN=<common_name>`, valid from
    /// `not_before_unix` (seconds) for `days` days, serial derived from the public key
    /// (deterministic: same key and inputs → same bytes).
    ///
    /// An end-entity certificate (the profile of the certificates SNS serves): basic
    /// constraints `CA:FALSE`, key usage digital signature and non-repudiation, and subject and
    /// authority key identifiers (both the SHA-1 of the key, RFC 5280 §4.2.1.2). The common name
    /// is a UTF8String of 1 to 64 characters; times before 2050 are UTCTime, later ones
    /// GeneralizedTime, as RFC 5280 requires. Fails for an empty or longer name and for times
    /// before 1970 or after 9999.
    pub fn self_signed_certificate_pem(
        &self,
        common_name: &str,
        not_before_unix: i64,
        days: u32,
    ) -> Result<String, Error> {
        let encode = |what: &str, e: &dyn std::fmt::Display| Error::Encode(format!("{what}: {e}"));
        let chars = common_name.chars().count();
        if !(1..=MAX_COMMON_NAME_CHARS).contains(&chars) {
            return Err(Error::Encode(format!(
                "certificate common name has {chars} characters, not 1 to {MAX_COMMON_NAME_CHARS}"
            )));
        }
        let name = common_name_only(common_name).map_err(|e| encode("certificate name", &e))?;

        let not_before = u64::try_from(not_before_unix).map_err(|_| {
            Error::Encode(format!("certificate start {not_before_unix} is before 1970"))
        })?;
        let not_after = not_before.checked_add(u64::from(days) * 86_400).ok_or_else(|| {
            Error::Encode(format!("certificate end ({not_before} + {days} days) overflows"))
        })?;
        let time = |unix: u64| {
            GeneralizedTime::from_unix_duration(Duration::from_secs(unix))
                .map(Time::GeneralTime)
                .map_err(|e| encode("certificate validity", &e))
        };
        // The builder turns times before 2050 into UTCTime (RFC 5280 §4.1.2.5).
        let validity = Validity { not_before: time(not_before)?, not_after: time(not_after)? };

        let public = RsaPublicKey::from(&self.private);
        let spki =
            SubjectPublicKeyInfoOwned::from_key(public).map_err(|e| encode("public key", &e))?;
        let serial = serial_number(&spki)?;

        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.private.clone());
        let profile = Profile::Leaf {
            issuer: name.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let certificate = CertificateBuilder::new(profile, serial, validity, name, spki, &signer)
            .map_err(|e| encode("certificate", &e))?
            .build::<rsa::pkcs1v15::Signature>()
            .map_err(|e| encode("sign certificate", &e))?;
        certificate.to_pem(LineEnding::LF).map_err(|e| encode("certificate PEM", &e))
    }
}

/// `CN=<common_name>` as one RDN holding a UTF8String.
fn common_name_only(common_name: &str) -> x509_cert::der::Result<Name> {
    let value = Any::new(Tag::Utf8String, common_name.as_bytes())?;
    let cn = x509_cert::attr::AttributeTypeAndValue {
        oid: x509_cert::der::oid::db::rfc4519::COMMON_NAME,
        value,
    };
    Ok(RdnSequence(vec![RelativeDistinguishedName(SetOfVec::try_from(vec![cn])?)]))
}

/// A 16-byte positive serial number from SHA-256 of the DER `SubjectPublicKeyInfo`: unique per
/// key, fixed for a key. The top bit is cleared (positive) and the next set (no leading zero to
/// strip, so always 16 bytes).
fn serial_number(spki: &SubjectPublicKeyInfoOwned) -> Result<SerialNumber, Error> {
    let der = spki.to_der().map_err(|e| Error::Encode(format!("public key: {e}")))?;
    let hash = Sha256::digest(&der);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|e| Error::Encode(format!("certificate serial: {e}")))
}

#[cfg(test)]
mod tests;
