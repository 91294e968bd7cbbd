//! AWS STS over AWS query (SigV4 service `sts`): the `STS` table. Today GetCallerIdentity —
//! who the signing key belongs to (what Terraform's `data "aws_caller_identity"` and
//! `aws sts get-caller-identity` ask first); every call is recorded as an `sts.amazonaws.com`
//! event, as CloudTrail records it (detections such as TruffleHog's key check look for it).

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use serde_json::json;

use crate::AppState;
use crate::service::{self, Authz, Call, OpResult, Operation, Protocol, Route, Service, Unlisted};

/// STS's XML namespace (its query API version 2011-06-15).
const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The STS API.
pub(crate) static STS: Service = Service {
    signing_name: "sts",
    iam_prefix: "sts",
    access_denied_code: "AccessDenied",
    protocol: Protocol::AwsQuery { xmlns: XMLNS },
    audit_source: Some("sts.amazonaws.com"),
    audit_redact: None,
    audit_data: None,
    request_bytes_max: 64 * 1024,
    operations: &[Operation::blocking(
        "GetCallerIdentity",
        "sts:GetCallerIdentity",
        // No permission is needed, not even past an explicit deny (AWS: "the same information
        // is returned when access is denied").
        Authz::Handler,
        get_caller_identity,
    )],
    unlisted: Unlisted {
        unsupported: &[
            "AssumeRole",
            "AssumeRoleWithSAML",
            "AssumeRoleWithWebIdentity",
            "AssumeRoot",
            "DecodeAuthorizationMessage",
            "GetAccessKeyInfo",
            "GetDelegatedAccessToken",
            "GetFederationToken",
            "GetSessionToken",
            "GetWebIdentityToken",
        ],
        unsupported_message: service::not_supported_yet,
        authorized: false,
    },
};

/// Whether a request is for STS: signed with a credential scope for service `sts`.
pub(crate) fn is_sts_request(request: &Request) -> bool {
    service::signed_for(request, STS.signing_name)
}

/// Serves a request for STS.
pub(crate) async fn serve(state: Arc<AppState>, request: Request) -> Response {
    service::serve(state, request, &STS, Route::default()).await
}

/// GetCallerIdentity: the caller's account, ARN and user id (`aws:userid`: the account for a
/// root user, the unique id for an IAM user).
fn get_caller_identity(call: &Call) -> OpResult {
    let caller = &call.caller;
    Ok(json!({
        "UserId": caller.principal_id,
        "Account": caller.account_id,
        "Arn": caller.principal_arn,
    }))
}
