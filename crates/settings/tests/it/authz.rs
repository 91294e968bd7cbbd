//! The authorization table: (identity, action, resource, organization trail?) → decision.

use settings::{AuthzRequest, Decision, Principal, Settings, authorize};

use crate::support::{AUTHZ, load};

const M_MAIN: &str = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main";
const M_PROD: &str = "arn:aws:cloudtrail:us-east-1:111111111111:trail/prod-web";
const M_ORG: &str = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";
const M_CHANNEL: &str =
    "arn:aws:cloudtrail:us-east-1:111111111111:channel/0c3c5a4b-1f47-4b4f-9b53-ae2d4a9f7a10";
const A_TRAIL: &str = "arn:aws:cloudtrail:eu-west-1:222222222222:trail/a-trail";

const ORG: bool = true;
const NOT_ORG: bool = false;

/// `identity`: `root@<account>`, `<user>@<account>` or `role:<role>/<session>@<account>`.
/// `resource`: an ARN (its account owns it) or `*` (the caller's own account).
/// `expected`: `allow` or a `DenyReason::code()`.
#[rustfmt::skip]
const TABLE: &[(&str, &str, &str, bool, &str)] = &[
    // Root users: everything in their own account, nothing in another.
    ("root@111111111111",          "cloudtrail:StopLogging",         M_MAIN,    NOT_ORG, "allow"),
    ("root@111111111111",          "cloudtrail:CreateTrail",         M_MAIN,    NOT_ORG, "allow"),
    ("root@111111111111",          "cloudtrail:DeleteTrail",         A_TRAIL,   NOT_ORG, "cross-account"),
    ("root@222222222222",          "cloudtrail:StopLogging",         A_TRAIL,   NOT_ORG, "allow"),
    ("root@222222222222",          "cloudtrail:GetTrail",            M_MAIN,    NOT_ORG, "cross-account"),
    // AdministratorAccess.
    ("admin@111111111111",         "cloudtrail:CreateTrail",         M_MAIN,    NOT_ORG, "allow"),
    ("admin@111111111111",         "cloudtrail:DeleteTrail",         M_MAIN,    NOT_ORG, "allow"),
    ("admin@111111111111",         "cloudtrail-data:PutAuditEvents", M_CHANNEL, NOT_ORG, "allow"),
    ("admin@111111111111",         "cloudtrail:StopLogging",         A_TRAIL,   NOT_ORG, "cross-account"),
    // AWSCloudTrail_ReadOnlyAccess: every read action, no write action.
    ("reader@111111111111",        "cloudtrail:DescribeTrails",      "*",       NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:GetTrail",            M_MAIN,    NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:GetTrailStatus",      M_MAIN,    NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:GetEventSelectors",   M_MAIN,    NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:ListTrails",          "*",       NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:ListTags",            M_MAIN,    NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:ListPublicKeys",      "*",       NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:LookupEvents",        "*",       NOT_ORG, "allow"),
    ("reader@111111111111",        "cloudtrail:StopLogging",         M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail:StartLogging",        M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail:CreateTrail",         M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail:DeleteTrail",         M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail:UpdateTrail",         M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail:PutEventSelectors",   M_MAIN,    NOT_ORG, "no-allow"),
    ("reader@111111111111",        "cloudtrail-data:PutAuditEvents", M_CHANNEL, NOT_ORG, "no-allow"),
    // Explicit deny beats allow: AWSCloudTrail_FullAccess + Deny cloudtrail:stoplogging.
    ("guarded@111111111111",       "cloudtrail:StopLogging",         M_MAIN,    NOT_ORG, "explicit-deny"),
    ("guarded@111111111111",       "cloudtrail:StartLogging",        M_MAIN,    NOT_ORG, "allow"),
    ("guarded@111111111111",       "cloudtrail:DeleteTrail",         M_MAIN,    NOT_ORG, "allow"),
    // cloudtrail:* does not include the cloudtrail-data service.
    ("guarded@111111111111",       "cloudtrail-data:PutAuditEvents", M_CHANNEL, NOT_ORG, "no-allow"),
    // Resource-scoped allow: cloudtrail:* on trail/prod-* only.
    ("prod-operator@111111111111", "cloudtrail:StopLogging",         M_PROD,    NOT_ORG, "allow"),
    ("prod-operator@111111111111", "cloudtrail:StopLogging",         M_MAIN,    NOT_ORG, "no-allow"),
    ("prod-operator@111111111111", "cloudtrail:ListTrails",          "*",       NOT_ORG, "no-allow"),
    // Wildcard actions: cloudtrail:Describe* and cloudtrail:*Logging.
    ("logging-operator@111111111111", "cloudtrail:DescribeTrails",   "*",       NOT_ORG, "allow"),
    ("logging-operator@111111111111", "cloudtrail:StopLogging",      M_MAIN,    NOT_ORG, "allow"),
    ("logging-operator@111111111111", "cloudtrail:StartLogging",     M_MAIN,    NOT_ORG, "allow"),
    ("logging-operator@111111111111", "cloudtrail:DeleteTrail",      M_MAIN,    NOT_ORG, "no-allow"),
    ("logging-operator@111111111111", "cloudtrail:GetTrail",         M_MAIN,    NOT_ORG, "no-allow"),
    // No policy, no access.
    ("nobody@111111111111",        "cloudtrail:DescribeTrails",      "*",       NOT_ORG, "no-allow"),
    // Role sessions are authorized by the role's policies.
    ("role:Auditor/jane@111111111111", "cloudtrail:GetTrailStatus",  M_MAIN,    NOT_ORG, "allow"),
    ("role:Auditor/jane@111111111111", "cloudtrail:StopLogging",     M_MAIN,    NOT_ORG, "no-allow"),
    // Cross-account without an organization trail.
    ("admin@222222222222",         "cloudtrail:StopLogging",         M_MAIN,    NOT_ORG, "cross-account"),
    ("admin@222222222222",         "cloudtrail:GetTrail",            M_MAIN,    NOT_ORG, "cross-account"),
    // The organization trail: members read it...
    ("admin@222222222222",         "cloudtrail:DescribeTrails",      M_ORG,     ORG,     "allow"),
    ("reader@222222222222",        "cloudtrail:GetTrailStatus",      M_ORG,     ORG,     "allow"),
    ("reader@222222222222",        "cloudtrail:GetEventSelectors",   M_ORG,     ORG,     "allow"),
    ("root@222222222222",          "cloudtrail:GetTrail",            M_ORG,     ORG,     "allow"),
    ("root@333333333333",          "cloudtrail:ListTags",            M_ORG,     ORG,     "allow"),
    // ...only with their own identity policies allowing it...
    ("nobody@222222222222",        "cloudtrail:DescribeTrails",      M_ORG,     ORG,     "no-allow"),
    // ...and never change it, not even as root.
    ("admin@222222222222",         "cloudtrail:StopLogging",         M_ORG,     ORG,     "organization-trail-read-only"),
    ("admin@222222222222",         "cloudtrail:PutEventSelectors",   M_ORG,     ORG,     "organization-trail-read-only"),
    ("reader@222222222222",        "cloudtrail:StopLogging",         M_ORG,     ORG,     "organization-trail-read-only"),
    ("root@222222222222",          "cloudtrail:DeleteTrail",         M_ORG,     ORG,     "organization-trail-read-only"),
    ("root@222222222222",          "cloudtrail:UpdateTrail",         M_ORG,     ORG,     "organization-trail-read-only"),
    ("root@333333333333",          "cloudtrail:StopLogging",         M_ORG,     ORG,     "organization-trail-read-only"),
    // The management account changes it like any of its trails.
    ("admin@111111111111",         "cloudtrail:StopLogging",         M_ORG,     ORG,     "allow"),
    ("admin@111111111111",         "cloudtrail:UpdateTrail",         M_ORG,     ORG,     "allow"),
    ("root@111111111111",          "cloudtrail:DeleteTrail",         M_ORG,     ORG,     "allow"),
    ("reader@111111111111",        "cloudtrail:StopLogging",         M_ORG,     ORG,     "no-allow"),
    ("guarded@111111111111",       "cloudtrail:StopLogging",         M_ORG,     ORG,     "explicit-deny"),
    // Accounts outside the organization cannot even read it.
    ("admin@444444444444",         "cloudtrail:DescribeTrails",      M_ORG,     ORG,     "cross-account"),
    ("root@444444444444",          "cloudtrail:GetTrail",            M_ORG,     ORG,     "cross-account"),
    // A member's non-organization trail is still out of reach of the management account.
    ("admin@111111111111",         "cloudtrail:GetTrail",            A_TRAIL,   NOT_ORG, "cross-account"),
];

fn principal(settings: &Settings, identity: &str) -> Principal {
    let (name, account) = identity.split_once('@').expect(identity);
    if name == "root" {
        return settings.accounts().iter().find(|a| a.id == account).expect(identity).root();
    }
    if let Some(role) = name.strip_prefix("role:") {
        let (role, session) = role.split_once('/').expect(identity);
        return settings.role(account, role).expect(identity).session(session);
    }
    settings.user(account, name).expect(identity).principal()
}

fn resource_account<'a>(resource: &'a str, principal: &'a Principal) -> &'a str {
    if resource == "*" {
        return &principal.account_id;
    }
    resource.split(':').nth(4).expect(resource)
}

#[test]
fn authorization_table() {
    assert!(TABLE.len() >= 30, "the issue asks for at least 30 rows");
    let settings = load(AUTHZ).unwrap();
    let mut failures = Vec::new();
    for &(identity, action, resource, is_organization_trail, expected) in TABLE {
        let principal = principal(&settings, identity);
        let request = AuthzRequest {
            principal: &principal,
            action,
            resource,
            resource_account: resource_account(resource, &principal),
            resource_is_organization_trail: is_organization_trail,
            organization: settings.organization(),
            operator_account: None,
        };
        let decision = authorize(&request);
        let actual = decision.deny_reason().map_or("allow", |reason| reason.code());
        if actual != expected {
            failures.push(format!(
                "{identity} {action} {resource} (org trail: {is_organization_trail}): expected {expected}, got {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
}

fn deny_message(
    identity: &str,
    action: &str,
    resource: &str,
    is_organization_trail: bool,
) -> String {
    let settings = load(AUTHZ).unwrap();
    let principal = principal(&settings, identity);
    let request = AuthzRequest {
        principal: &principal,
        action,
        resource,
        resource_account: resource_account(resource, &principal),
        resource_is_organization_trail: is_organization_trail,
        organization: settings.organization(),
        operator_account: None,
    };
    match authorize(&request) {
        Decision::Allow => panic!("{identity} {action} {resource} was allowed"),
        Decision::Deny { message, .. } => message,
    }
}

#[test]
fn denial_messages_name_principal_action_resource_and_cause() {
    assert_eq!(
        deny_message("reader@111111111111", "cloudtrail:StopLogging", M_MAIN, NOT_ORG),
        "User: arn:aws:iam::111111111111:user/reader is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111111111111:trail/main because no identity-based policy allows the cloudtrail:StopLogging action"
    );
    assert_eq!(
        deny_message("guarded@111111111111", "cloudtrail:StopLogging", M_MAIN, NOT_ORG),
        "User: arn:aws:iam::111111111111:user/guarded is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111111111111:trail/main with an explicit deny in an identity-based policy"
    );
    assert_eq!(
        deny_message("root@222222222222", "cloudtrail:DeleteTrail", M_ORG, ORG),
        "User: arn:aws:iam::222222222222:root is not authorized to perform: cloudtrail:DeleteTrail on resource: arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail because it is an organization trail, which only the management account 111111111111 can change"
    );
    assert_eq!(
        deny_message("role:Auditor/jane@111111111111", "cloudtrail:StopLogging", M_MAIN, NOT_ORG),
        "User: arn:aws:sts::111111111111:assumed-role/Auditor/jane is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111111111111:trail/main because no identity-based policy allows the cloudtrail:StopLogging action"
    );
}

#[test]
fn explicit_deny_names_the_policy_for_logs() {
    let settings = load(AUTHZ).unwrap();
    let principal = principal(&settings, "guarded@111111111111");
    let request = AuthzRequest {
        principal: &principal,
        action: "cloudtrail:StopLogging",
        resource: M_MAIN,
        resource_account: "111111111111",
        resource_is_organization_trail: false,
        organization: None,
        operator_account: None,
    };
    assert_eq!(
        authorize(&request).deny_reason(),
        Some(&settings::DenyReason::ExplicitDeny { policy: "DenyStopLogging".into() })
    );
}

#[test]
fn without_an_organization_an_organization_trail_is_just_another_account_s_trail() {
    let settings = load(AUTHZ).unwrap();
    let principal = principal(&settings, "root@222222222222");
    let request = AuthzRequest {
        principal: &principal,
        action: "cloudtrail:GetTrail",
        resource: M_ORG,
        resource_account: "111111111111",
        resource_is_organization_trail: true,
        organization: None,
        operator_account: None,
    };
    assert_eq!(authorize(&request).deny_reason().map(|r| r.code()), Some("cross-account"));
}
