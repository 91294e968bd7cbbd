//! Shared fixtures: a known key pair, a clock at fixed instants, and owned requests that
//! can be mutated and then viewed as a `sigv4::Request`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::{BodyHash, Credentials, Request, Secret, UriEncoding};

pub(crate) const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub(crate) const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub(crate) const PRINCIPAL: &str = "arn:aws:iam::123456789012:user/alice";

/// 2026-11-20T21:45:50Z.
pub(crate) const T_20261120_214550: u64 = 1_795_211_150;

pub(crate) fn at(unix_secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix_secs)
}

pub(crate) fn credentials() -> Credentials {
    Credentials {
        access_key_id: ACCESS_KEY_ID.to_owned(),
        secret_access_key: SECRET_ACCESS_KEY.to_owned(),
        session_token: None,
    }
}

pub(crate) fn lookup() -> HashMap<String, Secret> {
    let secret =
        Secret { secret_access_key: SECRET_ACCESS_KEY.to_owned(), principal: PRINCIPAL.to_owned() };
    HashMap::from([(ACCESS_KEY_ID.to_owned(), secret)])
}

/// A request as a server would receive it, owned so tests can tamper with it.
#[derive(Debug, Clone)]
pub(crate) struct OwnedRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) uri_encoding: UriEncoding,
}

impl OwnedRequest {
    pub(crate) fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect()
    }

    /// Runs `f` on the borrowed view; S3 requests take the payload hash from their headers.
    pub(crate) fn with_view<T>(&self, f: impl FnOnce(&Request<'_>) -> T) -> T {
        let headers = self.header_refs();
        let body_sha256 = match self.uri_encoding {
            UriEncoding::S3 => BodyHash::from_s3_headers(&headers),
            UriEncoding::Normal => BodyHash::Compute(&self.body),
        };
        let request = Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body_sha256,
        };
        f(&request)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub(crate) fn set_header(&mut self, name: &str, value: &str) {
        let slot = self
            .headers
            .iter_mut()
            .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no `{name}` header to replace"));
        slot.1 = value.to_owned();
    }

    pub(crate) fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(header_name, _)| !header_name.eq_ignore_ascii_case(name));
    }
}

/// Percent-encodes like AWS SDKs do on the wire (RFC 3986 unreserved set kept).
pub(crate) fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
