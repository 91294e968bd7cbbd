//! ListPublicKeys and the per-region digest-signing keys behind it: a key is valid for
//! [`KEY_VALIDITY_MS`]; when a region has no valid key, a new one is generated and stored;
//! retired keys stay listed forever, because `validate-logs` asks for every key used in the
//! range it checks (`../shared/spec/integrity.md` §5.3).

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Call, OpResult};
use crate::error::ApiError;

/// How long one signing key is current (AWS's sample keys: 30 days).
pub(crate) const KEY_VALIDITY_MS: i64 = 30 * 24 * 3600 * 1000;

/// Every key of `region`, oldest first, after making sure one is valid at `now_ms`.
pub(crate) fn keys_with_current(
    state: &crate::AppState,
    region: &str,
    now_ms: i64,
) -> Result<Vec<catalog::SigningKeyRow>, ApiError> {
    // One rotation at a time, so two requests never both create a key.
    let _rotation = state.key_rotation.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut keys = state.catalog.signing_keys(region).map_err(|e| ApiError::internal(&e))?;
    if !keys.iter().any(|k| k.valid_from_ms <= now_ms && now_ms < k.valid_to_ms) {
        let key = integrity::SigningKey::generate(&mut integrity::OsRng)
            .map_err(|e| ApiError::internal(&e))?;
        let public = key.public_pkcs1_der().map_err(|e| ApiError::internal(&e))?;
        let row = catalog::SigningKeyRow {
            fingerprint: integrity::fingerprint(&public),
            region: region.to_owned(),
            public_pkcs1_der: public,
            private_pkcs8_der: key.private_pkcs8_der().map_err(|e| ApiError::internal(&e))?,
            valid_from_ms: now_ms,
            valid_to_ms: now_ms + KEY_VALIDITY_MS,
        };
        state.catalog.add_signing_key(&row).map_err(|e| ApiError::internal(&e))?;
        tracing::info!(region, fingerprint = %row.fingerprint, "generated a digest-signing key");
        keys.push(row);
    }
    Ok(keys)
}

pub(crate) fn list_public_keys(call: &Call<'_>) -> OpResult {
    call.authorize("ListPublicKeys", "*", &call.caller.account_id, false)?;
    let input = call.input;
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
    let keys = keys_with_current(call.state, &call.caller.region, call.now_ms)?;
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
