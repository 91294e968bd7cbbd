//! LookupEvents page tokens: the last key answered, bound to the question it answers.
//!
//! A token is base64 of 25 bytes: version (1), a fingerprint of the request members other than
//! `MaxResults` and `NextToken` (8), and the key (time 8, WAL position 8). Pages continue
//! strictly below the key, so events arriving meanwhile never duplicate or shift a page; a
//! token presented with other parameters is refused, as AWS does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::term::{Key, fingerprint};

const VERSION: u8 = 1;
const TOKEN_BYTES: usize = 25;

/// Why a token was refused (`InvalidNextTokenException`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the NextToken is not one OpenTrail issued")]
    Malformed,
    #[error("the NextToken was issued for a request with other parameters; repeat them exactly")]
    OtherRequest,
}

/// The request members a token is bound to, as the caller sent them (absent stays absent).
#[derive(Clone, Debug, Default)]
pub struct Binding<'a> {
    pub accounts: &'a [String],
    pub region: &'a str,
    pub category: &'a str,
    pub attribute: &'a str,
    pub value: &'a str,
    pub start: &'a str,
    pub end: &'a str,
}

impl Binding<'_> {
    fn fingerprint(&self) -> u64 {
        let accounts = self.accounts.join(",");
        fingerprint(&[
            &accounts,
            self.region,
            self.category,
            self.attribute,
            self.value,
            self.start,
            self.end,
        ])
    }
}

pub fn encode(binding: &Binding<'_>, key: Key) -> String {
    let mut bytes = Vec::with_capacity(TOKEN_BYTES);
    bytes.push(VERSION);
    bytes.extend_from_slice(&binding.fingerprint().to_le_bytes());
    bytes.extend_from_slice(&key.time_ms.to_le_bytes());
    bytes.extend_from_slice(&key.seq.to_le_bytes());
    STANDARD.encode(bytes)
}

pub fn decode(binding: &Binding<'_>, token: &str) -> Result<Key, TokenError> {
    let bytes = STANDARD.decode(token.trim()).map_err(|_| TokenError::Malformed)?;
    if bytes.len() != TOKEN_BYTES || bytes[0] != VERSION {
        return Err(TokenError::Malformed);
    }
    let word = |at: usize| {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(raw)
    };
    if word(1) != binding.fingerprint() {
        return Err(TokenError::OtherRequest);
    }
    Ok(Key { time_ms: word(9) as i64, seq: word(17) })
}
