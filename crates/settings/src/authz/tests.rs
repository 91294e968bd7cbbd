//! Unit tests of authorization helpers: read-only classification and AccessDenied wording.

use super::*;
use crate::policy::Policy;

#[test]
fn read_only_actions_by_prefix() {
    for action in [
        "cloudtrail:GetTrail",
        "cloudtrail:DescribeTrails",
        "cloudtrail:ListTrails",
        "cloudtrail:LookupEvents",
        "cloudtrail:gettrailstatus",
        "GetTrail",
    ] {
        assert!(is_read_only_action(action), "{action}");
    }
    for action in [
        "cloudtrail:StopLogging",
        "cloudtrail:CreateTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail-data:PutAuditEvents",
        "cloudtrail:",
        "",
        "cloudtrail:Ge",
        "cloudtrail:é",
    ] {
        assert!(!is_read_only_action(action), "{action}");
    }
}

fn user(policies: Vec<Policy>) -> Principal {
    Principal {
        principal_type: PrincipalType::IamUser,
        account_id: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
        principal_id: "AIDAEXAMPLE".into(),
        user_name: Some("alice".into()),
        policies,
    }
}

fn message(principal: &Principal, action: &str, resource_account: &str) -> String {
    let request = AuthzRequest {
        principal,
        action,
        resource: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
        resource_account,
        resource_is_organization_trail: false,
        organization: None,
    };
    match authorize(&request) {
        Decision::Allow => "allow".to_owned(),
        Decision::Deny { message, .. } => message,
    }
}

#[test]
fn messages_follow_aws_access_denied_wording() {
    let nobody = user(Vec::new());
    assert_eq!(
        message(&nobody, "cloudtrail:StopLogging", "111122223333"),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/main because no identity-based policy allows the cloudtrail:StopLogging action"
    );
    let mut guarded = Policy::builtin(crate::ADMINISTRATOR_ACCESS).unwrap();
    guarded.statements[0].effect = Effect::Deny;
    let denied = user(vec![guarded]);
    assert_eq!(
        message(&denied, "cloudtrail:StopLogging", "111122223333"),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/main with an explicit deny in an identity-based policy"
    );
    let root = Principal::root("444455556666");
    assert_eq!(
        message(&root, "cloudtrail:GetTrail", "111122223333"),
        "User: arn:aws:iam::444455556666:root is not authorized to perform: cloudtrail:GetTrail on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/main because no resource-based policy allows the cloudtrail:GetTrail action"
    );
}

#[test]
fn deny_reasons_have_stable_codes() {
    assert_eq!(DenyReason::ExplicitDeny { policy: "p".into() }.code(), "explicit-deny");
    assert_eq!(DenyReason::CrossAccount.to_string(), "cross-account");
    assert_eq!(DenyReason::OrganizationTrailReadOnly.code(), "organization-trail-read-only");
    assert_eq!(DenyReason::NoAllow.code(), "no-allow");
}
