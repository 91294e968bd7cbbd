//! One AWS service layer: every AWS-style API OpenTrail speaks is a [`Service`] — a table of
//! [`Operation`]s (name → handler, with its IAM action and where that action is checked) and
//! the [`Protocol`] whose framing and error shape its calls use — served by one request path,
//! [`serve`]: read the body, name the operation, authenticate (SigV4), authorize, run the
//! handler with blocking work off the async workers, record the call as a CloudTrail event
//! (when the service is self-audited) and answer.
//!
//! Adding a service is adding a table (a `static` [`Service`]) and routing requests to it: a
//! service found by its framing (`X-Amz-Target`) joins `ADDRESSED_SERVICES` in `lib.rs`; a REST
//! route calls [`serve`] with [`Route::to`] its operation; a REST-XML service (S3) names its
//! operations with its protocol's `route`, and the requests signed for it are sent to [`serve`].
//! Adding a protocol (AWS query, Smithy RPC v2 CBOR) is one more [`Protocol`] variant. It is
//! not: the operations themselves (they live next to their service: `cloudtrail/`, `logs.rs`,
//! `audit_events.rs`, `alarms.rs`, `s3.rs`).

pub(crate) mod audit;
mod protocol;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;

use self::protocol::Exchange;
pub(crate) use self::protocol::{Protocol, xml_escape};
use crate::error::ApiError;
use crate::{AppState, Caller, read_body};

/// What an operation answers: its result members, or an error in the service's shape.
pub(crate) type OpResult = Result<serde_json::Value, ApiError>;

/// What an operation that answers the whole response answers (REST-XML: XML documents, object
/// bodies with their headers), or an error in the service's shape.
pub(crate) type RawResult = Result<Response, ApiError>;

/// A boxed future of an [`Handler::Async`] operation.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How an operation does its work.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Blocking work (the SQLite catalog, event history): run with `spawn_blocking`.
    Blocking(fn(&Call) -> OpResult),
    /// Work that awaits (object stores, the WAL); its blocking steps go through
    /// [`Call::blocking`].
    Async(fn(Arc<Call>) -> BoxFuture<OpResult>),
    /// Work that awaits and answers the whole response (REST-XML), not result members the
    /// protocol frames.
    Raw(fn(Arc<Call>) -> BoxFuture<RawResult>),
}

/// What a handler answered: result members the protocol frames, or a whole response.
enum Reply {
    Members(serde_json::Value),
    Response(Response),
}

/// Where an operation's IAM action is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authz {
    /// By the layer, on `*` in the caller's account, before the handler runs.
    Account,
    /// By the handler with [`Call::authorize`], on the resource the request names once it is
    /// found (a trail, a channel), after the request's own validation, as AWS orders its errors.
    Handler,
}

/// One operation of a service.
pub(crate) struct Operation {
    /// The operation's name, as the protocol names it (`X-Amz-Target`) and as self-audit
    /// records it (`eventName`).
    pub(crate) name: &'static str,
    /// Its IAM action, `<IAM prefix>:<name>`.
    pub(crate) action: &'static str,
    pub(crate) authz: Authz,
    pub(crate) handler: Handler,
}

impl Operation {
    /// An operation whose handler blocks (catalog, history).
    pub(crate) const fn blocking(
        name: &'static str,
        action: &'static str,
        authz: Authz,
        handler: fn(&Call) -> OpResult,
    ) -> Operation {
        Operation { name, action, authz, handler: Handler::Blocking(handler) }
    }

    /// An operation whose handler awaits (object stores, the WAL).
    pub(crate) const fn awaiting(
        name: &'static str,
        action: &'static str,
        authz: Authz,
        handler: fn(Arc<Call>) -> BoxFuture<OpResult>,
    ) -> Operation {
        Operation { name, action, authz, handler: Handler::Async(handler) }
    }

    /// An operation whose handler awaits and answers the whole response (REST-XML).
    pub(crate) const fn raw(
        name: &'static str,
        action: &'static str,
        authz: Authz,
        handler: fn(Arc<Call>) -> BoxFuture<RawResult>,
    ) -> Operation {
        Operation { name, action, authz, handler: Handler::Raw(handler) }
    }
}

/// How a service answers an operation it has no entry for.
pub(crate) struct Unlisted {
    /// Operations of the AWS API OpenTrail does not serve (yet): `UnsupportedOperationException`
    /// with `unsupported_message`; any other name is `UnknownOperationException`.
    pub(crate) unsupported: &'static [&'static str],
    pub(crate) unsupported_message: fn(&str) -> String,
    /// Whether the caller must first be allowed `<IAM prefix>:<operation>` on `*` (the Logs
    /// API checks every call before it looks at the operation).
    pub(crate) authorized: bool,
}

impl Unlisted {
    /// Every operation not in the table is unknown.
    pub(crate) const NONE: Unlisted =
        Unlisted { unsupported: &[], unsupported_message: not_supported_yet, authorized: false };
}

/// The message of `UnsupportedOperationException` for an operation OpenTrail will serve later.
pub(crate) fn not_supported_yet(operation: &str) -> String {
    format!("OpenTrail does not support `{operation}` yet")
}

/// Whether a call (operation, route parameters) is a data event, and the resources it touched.
pub(crate) type DataEventResources =
    fn(&str, &[(&'static str, String)]) -> Option<Vec<audit::DataResource>>;

/// An AWS-style API: its signing name, protocol, audit source and operations.
pub(crate) struct Service {
    /// The SigV4 signing name.
    pub(crate) signing_name: &'static str,
    /// The prefix of its IAM actions (AWS's APIs: the signing name).
    pub(crate) iam_prefix: &'static str,
    /// The error code of a refused authorization (`AccessDeniedException` in AWS's JSON APIs).
    pub(crate) access_denied_code: &'static str,
    pub(crate) protocol: Protocol,
    /// The `eventSource` of the self-audit record of each call; `None` for data-plane APIs,
    /// whose calls are not recorded (CloudTrail does not log PutAuditEvents as management
    /// events either).
    pub(crate) audit_source: Option<&'static str>,
    /// Hides secrets in the request members and response elements its self-audit records keep
    /// (REST-JSON): anyone allowed to look up events reads them, and trails deliver them.
    pub(crate) audit_redact: Option<fn(&mut serde_json::Value)>,
    /// Which calls are data events, and the resources each touched (from the operation and
    /// the route's parameters); `None`, or a call it answers `None` for: management events.
    pub(crate) audit_data: Option<DataEventResources>,
    /// Requests are small; this bounds what is read before authentication (by the protocols
    /// that read the body).
    pub(crate) request_bytes_max: usize,
    pub(crate) operations: &'static [Operation],
    pub(crate) unlisted: Unlisted,
}

impl Service {
    /// The operation named `name`, if this service has an entry for it.
    pub(crate) fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|op| op.name == name)
    }

    /// The answer to an operation without an entry.
    fn unlisted_error(&self, name: &str) -> ApiError {
        if self.unlisted.unsupported.contains(&name) {
            ApiError::bad_request(
                "UnsupportedOperationException",
                (self.unlisted.unsupported_message)(name),
            )
        } else if let Protocol::AwsQuery { .. } = self.protocol {
            // AWS query services' word for an action they do not have.
            ApiError::bad_request(
                "InvalidAction",
                format!("Could not find operation {name} for this version"),
            )
        } else {
            ApiError::bad_request(
                "UnknownOperationException",
                format!("unknown operation `{name}`"),
            )
        }
    }
}

/// One authenticated call being served: what its handler reads.
pub(crate) struct Call {
    pub(crate) service: &'static Service,
    pub(crate) state: Arc<AppState>,
    pub(crate) caller: Caller,
    /// The request's members (AWS JSON); empty for protocols whose handlers read `body`.
    pub(crate) input: awsjson::Input,
    /// The request body as sent.
    pub(crate) body: axum::body::Bytes,
    /// The request's query string (without `?`).
    pub(crate) query: String,
    /// Parameters the route took from the path (REST protocols).
    pub(crate) params: Vec<(&'static str, String)>,
    /// The IAM action [`Call::authorize`] checks: the operation's.
    pub(crate) action: String,
    pub(crate) now_ms: i64,
}

impl Call {
    /// IAM-style authorization of the call's action on `resource` (an ARN, or `*`), owned by
    /// `resource_account`; the service's access-denied error when refused.
    pub(crate) fn authorize(
        &self,
        resource: &str,
        resource_account: &str,
        organization_trail: bool,
    ) -> Result<(), ApiError> {
        let target = AuthzTarget { resource, resource_account, organization_trail };
        decide(&self.state, &self.caller, &self.action, &target)
            .map_err(|message| ApiError::bad_request(self.service.access_denied_code, message))
    }

    /// Authorizes the call's action on `*` in the caller's own account.
    pub(crate) fn authorize_account(&self) -> Result<(), ApiError> {
        self.authorize("*", &self.caller.account_id, false)
    }

    /// Authorizes the call's action on a trail.
    pub(crate) fn authorize_trail(&self, trail: &catalog::Trail) -> Result<(), ApiError> {
        self.authorize(&trail.trail_arn, &trail.account_id, trail.is_organization_trail)
    }

    /// The path parameter `name` (empty if the route has none of that name).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map_or("", |(_, value)| value.as_str())
    }

    /// Whether the caller's account may see `trail` at all: its own, or its organization's trail.
    pub(crate) fn can_see(&self, trail: &catalog::Trail) -> bool {
        trail.account_id == self.caller.account_id
            || (trail.is_organization_trail
                && self.state.organization.as_ref().is_some_and(|org| {
                    org.management_account == trail.account_id
                        && org.contains(&self.caller.account_id)
                }))
    }

    /// Runs `work` on tokio's blocking pool (catalog and history work must not hold an async
    /// worker while SQLite writes and fsyncs).
    pub(crate) async fn blocking<T, F>(self: &Arc<Call>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Call) -> Result<T, ApiError> + Send + 'static,
    {
        let call = Arc::clone(self);
        tokio::task::spawn_blocking(move || work(&call))
            .await
            .map_err(|err| ApiError::internal(&err))?
    }
}

/// What an IAM action is checked on.
pub(crate) struct AuthzTarget<'a> {
    pub(crate) resource: &'a str,
    pub(crate) resource_account: &'a str,
    pub(crate) organization_trail: bool,
}

/// The IAM-style decision on `action` for `caller`: `Err` carries the deny message (each
/// protocol names the error its own way).
pub(crate) fn decide(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: &AuthzTarget<'_>,
) -> Result<(), String> {
    let Some(principal) = state.keys.principal(&caller.access_key_id) else {
        return Err("the caller has no identity to authorize".to_owned());
    };
    let request = settings::AuthzRequest {
        principal,
        action,
        resource: target.resource,
        resource_account: target.resource_account,
        resource_is_organization_trail: target.organization_trail,
        organization: state.organization.as_ref(),
        operator_account: state.operator_account.as_deref(),
    };
    match settings::authorize(&request) {
        settings::Decision::Allow => Ok(()),
        settings::Decision::Deny { message, .. } => Err(message),
    }
}

/// Whether `request` is signed (in its `Authorization` header or as a presigned URL) with a
/// credential scope for `signing_name`: how the services without a framing of their own (S3,
/// STS) find their requests. Requests signed for other services keep their own errors.
pub(crate) fn signed_for(request: &Request, signing_name: &str) -> bool {
    let scope = format!("/{signing_name}/aws4_request");
    let encoded = format!("%2F{signing_name}%2Faws4_request");
    request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| auth.contains(&scope))
        || request.uri().query().is_some_and(|q| {
            q.contains("X-Amz-Credential") && (q.contains(&encoded) || q.contains(&scope))
        })
}

/// The service among `services` a request is addressed to, by its protocol's framing.
pub(crate) fn addressed(
    services: &[&'static Service],
    request: &Request,
) -> Option<&'static Service> {
    services.iter().copied().find(|service| service.protocol.addresses(request))
}

/// What a REST route knows of a call: the operation and the path's parameters.
#[derive(Default)]
pub(crate) struct Route {
    pub(crate) operation: Option<&'static str>,
    pub(crate) params: Vec<(&'static str, String)>,
}

impl Route {
    /// A route that names its operation.
    pub(crate) fn to(operation: &'static str) -> Route {
        Route { operation: Some(operation), params: Vec::new() }
    }

    /// … and carries a path parameter.
    pub(crate) fn with(mut self, name: &'static str, value: String) -> Route {
        self.params.push((name, value));
        self
    }
}

/// Serves one call of `service`. The `route` names the operation when the route does (REST
/// protocols); otherwise the protocol reads it from the request.
pub(crate) async fn serve(
    state: Arc<AppState>,
    request: Request,
    service: &'static Service,
    route: Route,
) -> Response {
    let protocol = &service.protocol;
    let context = audit::Context::of(&request);
    let exchange = Exchange::of(&request, &context.request_id);
    let (parts, body) = request.into_parts();
    let route = match protocol.route(&parts, route) {
        Ok(route) => route,
        Err(err) => return protocol.error(err, &exchange),
    };
    // The body's share of the in-flight budget is held until the answer is built.
    let (body, _budget) = if protocol.reads_body() {
        match read_body(&state, body, service.request_bytes_max, "the request body").await {
            Ok((body, budget)) => (body, Some(budget)),
            Err(err) => return protocol.error(protocol.body_error(err), &exchange),
        }
    } else {
        (axum::body::Bytes::new(), None)
    };
    let operation = match protocol.operation(&parts, &body, route.operation) {
        Ok(operation) => operation,
        Err(err) => return protocol.error(err, &exchange),
    };
    let audit = service.audit_source.map(|event_source| audit::Audit {
        event_source,
        context: &context,
        operation: &operation,
        request_parameters: protocol.request_parameters(&body, &route.params, service.audit_redact),
        data_resources: service.audit_data.and_then(|data| data(&operation, &route.params)),
    });
    let caller = match protocol.authenticate(
        &state.keys,
        &parts,
        &body,
        service.signing_name,
        state.now(),
    ) {
        Ok(caller) => caller,
        // Nothing is recorded for a request that failed authentication, as in AWS: its body
        // and operation are the sender's word, not the key owner's (recording them let anyone
        // who knew a key id write events, and alarms, in that key's name).
        Err(err) => return protocol.error(err, &exchange),
    };
    // Fail-closed: a call that may change something is not run when its record could not be
    // stored afterwards (a failed WAL, a full disk). Refused so, it changed nothing and cannot
    // be recorded either.
    if let Some(audit) = audit.as_ref().filter(|audit| !audit.read_only())
        && let Err(err) = state.ingestor.check_writable()
    {
        tracing::warn!(%err, operation = audit.operation, "refused a call: its record could not be stored");
        return protocol.error(ApiError::from_ingest(err), &exchange);
    }
    let request = Received {
        body: body.clone(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        params: route.params,
    };
    let result = run(&state, service, &operation, caller.clone(), request).await;
    if let Some(audit) = &audit {
        // A whole response records no response elements.
        let mut members = result.as_ref().map(|reply| match reply {
            Reply::Members(value) => Cow::Borrowed(value),
            Reply::Response(_) => Cow::Owned(serde_json::Value::Null),
        });
        if let (Some(redact), Ok(members)) = (service.audit_redact, members.as_mut()) {
            redact(members.to_mut());
        }
        if let Err(err) =
            audit.record(&state, &caller, members.as_deref().map_err(|err| *err)).await
        {
            return protocol.error(ApiError::from_ingest(err), &exchange);
        }
    }
    match result {
        Ok(Reply::Members(value)) => protocol.success(value, &operation, &exchange),
        Ok(Reply::Response(response)) => response,
        Err(err) => protocol.error(err, &exchange),
    }
}

/// What was received besides the operation and the caller.
struct Received {
    body: axum::body::Bytes,
    query: String,
    params: Vec<(&'static str, String)>,
}

/// Decodes the input, authorizes and runs the operation's handler.
async fn run(
    state: &Arc<AppState>,
    service: &'static Service,
    operation: &str,
    caller: Caller,
    request: Received,
) -> Result<Reply, ApiError> {
    let Received { body, query, params } = request;
    let input = service.protocol.input(&body, &query)?;
    let entry = service.operation(operation);
    let call = Arc::new(Call {
        service,
        state: Arc::clone(state),
        caller,
        input,
        body,
        query,
        params,
        action: match entry {
            Some(entry) => entry.action.to_owned(),
            None => format!("{}:{operation}", service.iam_prefix),
        },
        now_ms: state.now_unix_millis(),
    });
    let Some(entry) = entry else {
        if service.unlisted.authorized {
            call.authorize_account()?;
        }
        return Err(service.unlisted_error(operation));
    };
    if entry.authz == Authz::Account {
        call.authorize_account()?;
    }
    match entry.handler {
        Handler::Blocking(handler) => call.blocking(handler).await.map(Reply::Members),
        Handler::Async(handler) => handler(call).await.map(Reply::Members),
        Handler::Raw(handler) => handler(call).await.map(Reply::Response),
    }
}

#[cfg(test)]
mod tests;
