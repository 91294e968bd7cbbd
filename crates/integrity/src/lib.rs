//! Log-file integrity (`../shared/spec/integrity.md`): the RSA signing keys that sign
//! digests, in the exact forms `aws cloudtrail validate-logs` reads — the public half as DER
//! **PKCS#1** `RSAPublicKey`, its fingerprint as lower-case hex MD5 of those bytes — signing
//! with RSASSA-PKCS1-v1_5 over SHA-256, digest files (`digest`: keys, JSON, signed string) and
//! reading them back (`read`), and a key's self-signed X.509 certificate (`cert`, for
//! notification receivers). No IO: randomness and time come from the caller.

mod cert;
pub mod digest;
pub mod read;

use md5::{Digest as _, Md5};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};

/// The operating system's secure random source, for [`SigningKey::generate`].
pub use rsa::rand_core::OsRng;

/// Modulus size of signing keys (CloudTrail uses RSA-2048).
pub const SIGNING_KEY_BITS: usize = 2048;

/// A key pair that signs digests.
pub struct SigningKey {
    private: RsaPrivateKey,
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("generate an RSA key: {0}")]
    Generate(rsa::Error),
    #[error("read a stored private key: {0}")]
    Decode(String),
    #[error("encode a key: {0}")]
    Encode(String),
}

impl SigningKey {
    /// A fresh RSA-2048 key from a cryptographically secure random source.
    pub fn generate(
        rng: &mut (impl rsa::rand_core::CryptoRngCore + ?Sized),
    ) -> Result<SigningKey, Error> {
        let private = RsaPrivateKey::new(rng, SIGNING_KEY_BITS).map_err(Error::Generate)?;
        Ok(SigningKey { private })
    }

    /// Reads a key stored with [`SigningKey::private_pkcs8_der`].
    pub fn from_private_pkcs8_der(der: &[u8]) -> Result<SigningKey, Error> {
        let private =
            RsaPrivateKey::from_pkcs8_der(der).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(SigningKey { private })
    }

    /// The private key for storage (PKCS#8 DER).
    pub fn private_pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self
            .private
            .to_pkcs8_der()
            .map_err(|e| Error::Encode(e.to_string()))?
            .as_bytes()
            .to_vec())
    }

    /// The public key as DER PKCS#1 `RSAPublicKey` (what ListPublicKeys publishes).
    pub fn public_pkcs1_der(&self) -> Result<Vec<u8>, Error> {
        let public = RsaPublicKey::from(&self.private);
        Ok(public.to_pkcs1_der().map_err(|e| Error::Encode(e.to_string()))?.as_bytes().to_vec())
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.private.clone());
        signer.sign(message).to_vec()
    }
}

/// Lower-case hex MD5 of the public key's DER bytes (the digest's
/// `digestPublicKeyFingerprint`).
pub fn fingerprint(public_pkcs1_der: &[u8]) -> String {
    Md5::digest(public_pkcs1_der).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks an RSASSA-PKCS1-v1_5/SHA-256 signature with a DER PKCS#1 public key.
pub fn verify(public_pkcs1_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(public) = RsaPublicKey::from_pkcs1_der(public_pkcs1_der) else { return false };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return false };
    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public).verify(message, &signature).is_ok()
}

#[cfg(test)]
mod tests;
