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
        operator_account: None,
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

#[test]
fn a_management_account_writes_its_members_events_only_by_policy() {
    let organization = Organization {
        id: "o-exampleorgid".into(),
        management_account: "111122223333".into(),
        member_accounts: vec!["444455556666".into()],
    };
    let decide = |principal: &Principal, action: &str, account: &str| {
        let resource = format!("arn:aws:opentrail:us-east-1:{account}:events");
        authorize(&AuthzRequest {
            principal,
            action,
            resource: &resource,
            resource_account: account,
            resource_is_organization_trail: false,
            organization: Some(&organization),
            operator_account: None,
        })
        .deny_reason()
        .map(DenyReason::code)
    };
    let admin = user(vec![Policy::builtin(crate::ADMINISTRATOR_ACCESS).unwrap()]);
    assert_eq!(decide(&admin, "opentrail:PutEvents", "111122223333"), None);
    assert_eq!(decide(&admin, "opentrail:PutEvents", "444455556666"), None);
    // Only writing events crosses, and only into members.
    assert_eq!(decide(&admin, "cloudtrail:StopLogging", "444455556666"), Some("cross-account"));
    assert_eq!(decide(&admin, "opentrail:PutEvents", "777788889999"), Some("cross-account"));
    // Root's implicit allow stays in its own account; a policy-less user writes nothing.
    let root = Principal::root("111122223333");
    assert_eq!(decide(&root, "opentrail:PutEvents", "111122223333"), None);
    assert_eq!(decide(&root, "opentrail:PutEvents", "444455556666"), Some("no-allow"));
    assert_eq!(decide(&user(Vec::new()), "opentrail:PutEvents", "111122223333"), Some("no-allow"));
    // A member never writes for the management account or another member.
    let mut member = admin.clone();
    member.account_id = "444455556666".into();
    assert_eq!(decide(&member, "opentrail:PutEvents", "111122223333"), Some("cross-account"));
}

#[test]
fn the_operators_principals_write_any_accounts_events_by_policy() {
    let admin = user(vec![Policy::builtin(crate::ADMINISTRATOR_ACCESS).unwrap()]);
    let root = Principal::root("111122223333");
    let decide = |principal: &Principal, action: &str, operator: Option<&str>| {
        authorize(&AuthzRequest {
            principal,
            action,
            resource: "arn:aws:opentrail:us-east-1:999988887777:events",
            resource_account: "999988887777",
            resource_is_organization_trail: false,
            organization: None,
            operator_account: operator,
        })
        .deny_reason()
        .map(DenyReason::code)
    };
    assert_eq!(decide(&admin, "opentrail:PutEvents", Some("111122223333")), None);
    assert_eq!(decide(&admin, "opentrail:PutEvents", None), Some("cross-account"));
    assert_eq!(decide(&admin, "opentrail:PutEvents", Some("222233334444")), Some("cross-account"));
    assert_eq!(
        decide(&admin, "cloudtrail:StopLogging", Some("111122223333")),
        Some("cross-account")
    );
    assert_eq!(decide(&root, "opentrail:PutEvents", Some("111122223333")), Some("no-allow"));
}
