//! Unit tests of policies: pattern shapes, the known-action list, the built-in policies.

use super::*;
use crate::authz::is_read_only_action;

fn action_error(text: &str) -> String {
    ActionPattern::parse(text).expect_err(text)
}

fn resource_error(text: &str) -> String {
    ResourcePattern::parse(text).expect_err(text)
}

#[test]
fn action_patterns_accept_iam_shapes() {
    for text in [
        "*",
        "cloudtrail:*",
        "cloudtrail:StopLogging",
        "CloudTrail:stoplogging",
        "cloudtrail:Get*",
        "cloudtrail:*Logging",
        "cloudtrail:?etTrail",
        "cloudtrail-data:PutAuditEvents",
        "s3:GetObject",
        "ec2:Describe*",
    ] {
        assert!(ActionPattern::parse(text).is_ok(), "{text}");
    }
}

#[test]
fn action_patterns_reject_bad_shapes_and_unknown_cloudtrail_actions() {
    let shape =
        "must be `*` or `service:Action` (like `cloudtrail:StopLogging` or `cloudtrail:Get*`)";
    assert_eq!(action_error(""), "must not be empty");
    assert_eq!(action_error("StopLogging"), format!("= `StopLogging` {shape}"));
    assert_eq!(action_error("cloudtrail:"), format!("= `cloudtrail:` {shape}"));
    assert_eq!(action_error(":StopLogging"), format!("= `:StopLogging` {shape}"));
    assert_eq!(action_error("cloud*:StopLogging"), format!("= `cloud*:StopLogging` {shape}"));
    assert_eq!(
        action_error("cloudtrail:Stop Logging"),
        format!("= `cloudtrail:Stop Logging` {shape}")
    );
    assert_eq!(action_error("cloudtrail:a:b"), format!("= `cloudtrail:a:b` {shape}"));
    assert_eq!(
        action_error("cloudtrail:StopLoging"),
        "= `cloudtrail:StopLoging` is no action of `cloudtrail`; check the spelling against the CloudTrail API operation names"
    );
    assert_eq!(
        action_error("CloudTrail:Fetch*"),
        "= `CloudTrail:Fetch*` matches no action of `cloudtrail`; check the spelling against the CloudTrail API operation names"
    );
    assert_eq!(
        action_error("cloudtrail-data:PutEvents"),
        "= `cloudtrail-data:PutEvents` is no action of `cloudtrail-data`; check the spelling against the CloudTrail API operation names"
    );
    let long = format!("s3:{}", "A".repeat(limits::ACTION_PATTERN_CHARS_MAX));
    assert_eq!(action_error(&long), "must be at most 128 characters");
}

#[test]
fn resource_patterns_accept_star_and_arns() {
    for text in [
        "*",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
        "arn:aws:cloudtrail:*:111122223333:trail/prod-*",
        "arn:aws:cloudtrail:*:*:trail/*",
        "arn:aws:cloudtrail:us-east-1:1111222233??:trail/x",
        "arn:aws:s3:::my-bucket/AWSLogs/*",
        "arn:*:cloudtrail:*:*:*",
        "arn:aws:cloudtrail:us-east-1:111122223333:channel/a:b",
    ] {
        assert!(ResourcePattern::parse(text).is_ok(), "{text}");
    }
}

#[test]
fn resource_patterns_reject_non_arns() {
    let shape = "must be `*` or an ARN (like `arn:aws:cloudtrail:*:111122223333:trail/prod-*`)";
    assert_eq!(resource_error(""), "must not be empty");
    assert_eq!(resource_error("trail/main"), format!("= `trail/main` {shape}"));
    assert_eq!(resource_error("arn:aws:cloudtrail"), format!("= `arn:aws:cloudtrail` {shape}"));
    assert_eq!(
        resource_error("arn::cloudtrail:r:111122223333:x"),
        format!("= `arn::cloudtrail:r:111122223333:x` {shape}")
    );
    assert_eq!(
        resource_error("arn:aws:cloudtrail:r:111122223333:"),
        format!("= `arn:aws:cloudtrail:r:111122223333:` {shape}")
    );
    assert_eq!(
        resource_error("ARN:aws:cloudtrail:r:111122223333:x"),
        format!("= `ARN:aws:cloudtrail:r:111122223333:x` {shape}")
    );
    assert_eq!(
        resource_error("arn:aws:cloudtrail:us-east-1:1234:trail/x"),
        "= `arn:aws:cloudtrail:us-east-1:1234:trail/x` has account `1234`; it must be empty, twelve digits, or a wildcard pattern over digits"
    );
    assert_eq!(
        resource_error("arn:aws:cloudtrail:us-east-1:111122223333:trail/a b"),
        format!(
            "= `arn:aws:cloudtrail:us-east-1:111122223333:trail/a b` {shape}; it contains a space or control character"
        )
    );
    let long = format!("arn:aws:s3:::{}", "a".repeat(limits::RESOURCE_PATTERN_CHARS_MAX));
    assert_eq!(resource_error(&long), "must be at most 2048 characters");
}

#[test]
fn known_actions_are_sorted_unique_and_well_formed() {
    let mut sorted = CLOUDTRAIL_ACTIONS.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, CLOUDTRAIL_ACTIONS);
    for action in CLOUDTRAIL_ACTIONS {
        assert!(ActionPattern::parse(action).is_ok(), "{action}");
    }
    assert_eq!(CLOUDTRAIL_ACTIONS.len(), 62);
}

#[test]
fn read_only_access_allows_exactly_the_read_only_actions() {
    let policy = Policy::builtin(CLOUDTRAIL_READ_ONLY_ACCESS).unwrap();
    for action in CLOUDTRAIL_ACTIONS {
        let allowed = policy.statements.iter().any(|statement| statement.applies_to(action, "*"));
        assert_eq!(allowed, is_read_only_action(action), "{action}");
    }
}

#[test]
fn full_access_covers_cloudtrail_but_not_cloudtrail_data() {
    let policy = Policy::builtin(CLOUDTRAIL_FULL_ACCESS).unwrap();
    let allows = |action: &str| policy.statements.iter().any(|s| s.applies_to(action, "*"));
    assert!(allows("cloudtrail:DeleteTrail"));
    assert!(!allows("cloudtrail-data:PutAuditEvents"));
    let admin = Policy::builtin(ADMINISTRATOR_ACCESS).unwrap();
    assert!(admin.statements[0].applies_to("cloudtrail-data:PutAuditEvents", "arn:aws:x:::y"));
}

#[test]
fn builtin_names_are_exact() {
    for name in BUILTIN_POLICY_NAMES {
        let policy = Policy::builtin(name).unwrap();
        assert_eq!(policy.kind, PolicyKind::AwsManaged);
        assert_eq!(policy.name, *name);
    }
    assert_eq!(Policy::builtin("administratoraccess"), None);
    assert_eq!(Policy::builtin("ReadOnlyAccess"), None);
}

#[test]
fn statements_need_action_and_resource() {
    let statement = Statement {
        sid: None,
        effect: Effect::Allow,
        actions: vec![ActionPattern::parse("cloudtrail:Describe*").unwrap()],
        resources: vec![
            ResourcePattern::parse("arn:aws:cloudtrail:*:111122223333:trail/*").unwrap(),
        ],
    };
    assert!(statement.applies_to(
        "cloudtrail:DescribeTrails",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/a"
    ));
    assert!(statement.applies_to(
        "CLOUDTRAIL:describetrails",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/a"
    ));
    assert!(!statement.applies_to("cloudtrail:DescribeTrails", "*"));
    assert!(
        !statement
            .applies_to("cloudtrail:GetTrail", "arn:aws:cloudtrail:us-east-1:111122223333:trail/a")
    );
    assert!(!statement.applies_to(
        "cloudtrail:DescribeTrails",
        "arn:aws:cloudtrail:us-east-1:111122223333:Trail/a"
    ));
}
