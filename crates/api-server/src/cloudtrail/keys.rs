//! ListPublicKeys and the per-region digest-signing keys behind it: a key is valid for
//! [`catalog::SIGNING_KEY_VALIDITY_MS`]; when a region has no valid key, a new one is
//! generated and stored;
//! retired keys stay listed forever, because `validate-logs` asks for every key used in the
//! range it checks (`../shared/spec/integrity.md` §5.3).

use base64::Engine as _;
use catalog::DigestStore as _;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::service::{Call, OpResult};

/// Every key of `region`, oldest first, after making sure one is valid at `now_ms`.
pub(crate) fn keys_with_current(
    state: &crate::AppState,
    region: &str,
    now_ms: i64,
) -> Result<Vec<catalog::SigningKeyRow>, ApiError> {
    state.catalog.current_signing_key(region, now_ms).map_err(|e| ApiError::internal(&e))?;
    state.catalog.signing_keys(region).map_err(|e| ApiError::internal(&e))
}

pub(crate) fn list_public_keys(call: &Call) -> OpResult {
    let input = &call.input;
    let err = |e: awsjson::InputError| ApiError::bad_request(e.code, e.message);
    if let Some(token) = input.string("NextToken").map_err(err)? {
        return Err(ApiError::bad_request(
            "InvalidTokenException",
            format!("`{token}` is not a token this service issued"),
        ));
    }
    let start = input.timestamp_ms("StartTime").map_err(err)?;
    let end = input.timestamp_ms("EndTime").map_err(err)?;
    if let (Some(start), Some(end)) = (start, end)
        && start > end
    {
        return Err(ApiError::bad_request(
            "InvalidTimeRangeException",
            "StartTime must not be later than EndTime",
        ));
    }
    let keys = keys_with_current(&call.state, &call.caller.region, call.now_ms)?;
    let (start, end) = (start.unwrap_or(call.now_ms), end.unwrap_or(call.now_ms));
    let mut selected: Vec<&catalog::SigningKeyRow> =
        keys.iter().filter(|k| k.valid_from_ms <= end && start < k.valid_to_ms).collect();
    if selected.is_empty() {
        // Never answer an empty list: validate-logs aborts on one (integrity.md §8, item 5).
        selected.extend(
            keys.iter().filter(|k| k.valid_from_ms <= call.now_ms && call.now_ms < k.valid_to_ms),
        );
    }
    let list: Vec<Value> = selected
        .into_iter()
        .map(|k| {
            json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(&k.public_pkcs1_der),
                "ValidityStartTime": awsjson::epoch_seconds(k.valid_from_ms),
                "ValidityEndTime": awsjson::epoch_seconds(k.valid_to_ms),
                "Fingerprint": k.fingerprint,
            })
        })
        .collect();
    Ok(json!({ "PublicKeyList": list }))
}
