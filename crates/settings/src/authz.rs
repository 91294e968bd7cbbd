//! Authorization of CloudTrail API calls, evaluated like IAM identity-based policies plus
//! OpenTrail's account and organization boundaries.
//!
//! The rules, in the order they are checked (first match decides):
//!
//! 1. A `Deny` statement of any attached policy that matches the action and the resource
//!    denies (`ExplicitDeny`), whatever else applies. (IAM: "an explicit deny overrides an
//!    explicit allow".)
//! 2. A principal acting on another account's resource is denied (`CrossAccount`): OpenTrail
//!    has no resource-based policies, and in IAM a cross-account request needs one. The single
//!    exception is an organization trail: a member account of the organization that owns it
//!    may *read* it (rule 3 on), but any other action is denied
//!    (`OrganizationTrailReadOnly`), even for the member's root user. Accounts outside the
//!    organization get `CrossAccount`.
//!    A second exception is writing events for another account ([`WRITES_FOR_MEMBERS`]):
//!    a principal of an organization's management account may write its member accounts'
//!    events, and a principal of the operator's account any account's, when an `Allow`
//!    statement of its own policies matches (rule 4, for a root user too: root's implicit
//!    allow never crosses accounts).
//! 3. The root user of the account is allowed. (IAM: requests are implicitly denied "with the
//!    exception of the AWS account root user, which has full access".)
//! 4. Otherwise some `Allow` statement must match the action (ASCII case ignored, `*` and `?`
//!    wildcards) and the resource (case-sensitive, same wildcards); if none does, the request
//!    is denied (`NoAllow`, IAM's implicit deny).
//!
//! "Read" means an action whose name starts with `Get`, `Describe`, `List` or `Lookup`
//! ([`is_read_only_action`]), the same families `AWSCloudTrail_ReadOnlyAccess` allows.
//!
//! Not modelled: conditions, permission boundaries, SCPs, session policies, resource-based
//! policies (channel and event-data-store policies), and CloudTrail delegated administrators.

use std::fmt;

use crate::identity::{Organization, Principal, PrincipalType};
use crate::policy::Effect;

/// One question for [`authorize`]: may `principal` perform `action` on `resource`?
#[derive(Clone, Copy, Debug)]
pub struct AuthzRequest<'a> {
    /// Who asks (from the access key that signed the request).
    pub principal: &'a Principal,
    /// `service:Operation`, like `cloudtrail:StopLogging` or `cloudtrail-data:PutAuditEvents`.
    pub action: &'a str,
    /// The ARN of the trail, channel or event data store acted on, or `*` for calls that name
    /// no single resource (`ListTrails`, `LookupEvents`, `DescribeTrails` without names).
    pub resource: &'a str,
    /// The account that owns `resource`; the caller's own account when `resource` is `*`.
    pub resource_account: &'a str,
    /// Whether `resource` is an organization trail (owned by the management account).
    pub resource_is_organization_trail: bool,
    /// The organization, if one is configured.
    pub organization: Option<&'a Organization>,
    /// The account that runs this OpenTrail (the one its first start created): like a
    /// management account over every account, its principals may be allowed by policy to
    /// write any account's events. It grants nothing new: the operator writes the
    /// configuration that holds every other account's keys.
    pub operator_account: Option<&'a str>,
}

/// The answer to an [`AuthzRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The call may proceed.
    Allow,
    /// The call must fail with `AccessDeniedException` and `message`.
    Deny {
        /// Which rule denied.
        reason: DenyReason,
        /// AWS's AccessDeniedException wording, naming principal, action and resource.
        message: String,
    },
}

impl Decision {
    /// Whether the call may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }

    /// The reason for a denial, `None` when allowed.
    pub fn deny_reason(&self) -> Option<&DenyReason> {
        match self {
            Decision::Allow => None,
            Decision::Deny { reason, .. } => Some(reason),
        }
    }
}

/// Why a request was denied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// A `Deny` statement matched (rule 1).
    ExplicitDeny {
        /// The name of the policy holding the statement (for logs; not sent to the client).
        policy: String,
    },
    /// The resource belongs to another account and no exception applies (rule 2).
    CrossAccount,
    /// A member account tried to change its organization's trail (rule 2).
    OrganizationTrailReadOnly,
    /// No `Allow` statement matched (rule 4).
    NoAllow,
}

impl DenyReason {
    /// A short stable name for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            DenyReason::ExplicitDeny { .. } => "explicit-deny",
            DenyReason::CrossAccount => "cross-account",
            DenyReason::OrganizationTrailReadOnly => "organization-trail-read-only",
            DenyReason::NoAllow => "no-allow",
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Decides `request` by the rules in the module docs. Pure and infallible: every input,
/// however odd, gets an answer, and anything not explicitly allowed is denied.
pub fn authorize(request: &AuthzRequest<'_>) -> Decision {
    let principal = request.principal;
    let (action, resource) = (request.action, request.resource);

    for policy in &principal.policies {
        let denies = policy.statements.iter().any(|statement| {
            statement.effect == Effect::Deny && statement.applies_to(action, resource)
        });
        if denies {
            return deny(request, DenyReason::ExplicitDeny { policy: policy.name.clone() });
        }
    }

    if principal.account_id != request.resource_account {
        if writes_for_member(request) {
            return allowed_by_policy(request);
        }
        let reads_own_organization_trail = request.resource_is_organization_trail
            && request.organization.is_some_and(|organization| {
                organization.management_account == request.resource_account
                    && organization.is_member(&principal.account_id)
            });
        if !reads_own_organization_trail {
            return deny(request, DenyReason::CrossAccount);
        }
        if !is_read_only_action(action) {
            return deny(request, DenyReason::OrganizationTrailReadOnly);
        }
    }

    if principal.principal_type == PrincipalType::Root {
        return Decision::Allow;
    }
    allowed_by_policy(request)
}

/// The actions an organization's management account may be allowed on its members'
/// accounts by its own policies: writing their events (native ingest's recipient account).
const WRITES_FOR_MEMBERS: &[&str] = &["opentrail:PutEvents"];

/// Whether `request` is a management account's principal writing a member account's events,
/// or the operator's principal writing any account's.
fn writes_for_member(request: &AuthzRequest<'_>) -> bool {
    let account = request.principal.account_id.as_str();
    WRITES_FOR_MEMBERS.iter().any(|action| action.eq_ignore_ascii_case(request.action))
        && (request.operator_account == Some(account)
            || request.organization.is_some_and(|organization| {
                organization.management_account == account
                    && organization.is_member(request.resource_account)
            }))
}

/// Rule 4: some `Allow` statement matches, else the implicit deny.
fn allowed_by_policy(request: &AuthzRequest<'_>) -> Decision {
    let allowed =
        request.principal.policies.iter().flat_map(|policy| &policy.statements).any(|statement| {
            statement.effect == Effect::Allow
                && statement.applies_to(request.action, request.resource)
        });
    if allowed { Decision::Allow } else { deny(request, DenyReason::NoAllow) }
}

/// Whether `action` only reads: its operation name (after `service:`) starts with `Get`,
/// `Describe`, `List` or `Lookup`, ignoring ASCII case as IAM does.
pub fn is_read_only_action(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, name)| name);
    ["get", "describe", "list", "lookup"].iter().any(|prefix| {
        name.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    })
}

fn deny(request: &AuthzRequest<'_>, reason: DenyReason) -> Decision {
    let AuthzRequest { principal, action, resource, .. } = *request;
    let head = format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}",
        principal.arn
    );
    let message = match &reason {
        DenyReason::ExplicitDeny { .. } => {
            format!("{head} with an explicit deny in an identity-based policy")
        }
        DenyReason::NoAllow => {
            format!("{head} because no identity-based policy allows the {action} action")
        }
        DenyReason::CrossAccount => {
            format!("{head} because no resource-based policy allows the {action} action")
        }
        DenyReason::OrganizationTrailReadOnly => format!(
            "{head} because it is an organization trail, which only the management account {} can change",
            request.resource_account
        ),
    };
    Decision::Deny { reason, message }
}

#[cfg(test)]
mod tests;
