//! Unsubscribe links: the keyed token that makes a notification's `UnsubscribeURL` the only
//! way to switch that endpoint off without credentials.
//!
//! A link names the subscription ARN and carries `Token` = hex HMAC-SHA256(secret, ARN) under
//! a server secret made at first start and kept in the catalog. The ARN's suffix is a plain
//! hash of topic, protocol and endpoint, so the ARN alone proves nothing: whoever received a
//! notification can stop their own endpoint, nobody can compute the link of another. Tokens
//! are compared in constant time. Not here: storing the secret (the binary does), the route
//! and its audit record (`api-server`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the server secret.
pub const UNSUBSCRIBE_SECRET_BYTES: usize = 32;

/// Hex characters of a token (a whole HMAC-SHA256, never truncated).
pub const UNSUBSCRIBE_TOKEN_CHARS: usize = 64;

const _: () = assert!(UNSUBSCRIBE_TOKEN_CHARS == 2 * 32);

/// The server secret that signs unsubscribe links. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct UnsubscribeKey {
    secret: [u8; UNSUBSCRIBE_SECRET_BYTES],
}

impl std::fmt::Debug for UnsubscribeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeKey(…)")
    }
}

impl UnsubscribeKey {
    pub fn new(secret: [u8; UNSUBSCRIBE_SECRET_BYTES]) -> UnsubscribeKey {
        UnsubscribeKey { secret }
    }

    fn mac(&self, subscription_arn: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("hmac accepts keys of any length");
        mac.update(subscription_arn.as_bytes());
        mac
    }

    /// The token of the link of `subscription_arn` (lower-case hex).
    pub fn token(&self, subscription_arn: &str) -> String {
        let token = hex::encode(self.mac(subscription_arn).finalize().into_bytes());
        debug_assert_eq!(token.len(), UNSUBSCRIBE_TOKEN_CHARS);
        token
    }

    /// Whether `token` is the token of `subscription_arn`, compared in constant time.
    pub fn verify(&self, subscription_arn: &str, token: &str) -> bool {
        if token.len() != UNSUBSCRIBE_TOKEN_CHARS {
            return false;
        }
        let Ok(claimed) = hex::decode(token) else {
            return false;
        };
        self.mac(subscription_arn).verify_slice(&claimed).is_ok()
    }
}
