//! Unit tests of the small shape checks (regions, key ids, organization ids, IAM names).

use super::*;

#[test]
fn region_names() {
    for region in ["us-east-1", "eu-west-3", "ap-southeast-12", "us-gov-west-1", "cn-north-1"] {
        assert!(is_region(region), "{region}");
    }
    for region in
        ["", "us-east", "useast1", "US-EAST-1", "u-east-1", "us-east-123", "moon", "us--1"]
    {
        assert!(!is_region(region), "{region}");
    }
}

#[test]
fn access_key_ids() {
    assert!(is_access_key_id("AKIAIOSFODNN7EXAMPLE"));
    assert!(is_access_key_id("AKIA2222222222222222"));
    for id in [
        "AKIAIOSFODNN7EXAMPL",
        "AKIAIOSFODNN7EXAMPLE2",
        "ASIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN1EXAMPLE",
        "AKIAiosfodnn7example",
    ] {
        assert!(!is_access_key_id(id), "{id}");
    }
}

#[test]
fn organization_ids() {
    assert!(is_organization_id("o-a1b2c3d4e5"));
    assert!(is_organization_id(&format!("o-{}", "a".repeat(32))));
    for id in ["o-a1b2c3d4e", "o-A1B2C3D4E5", "a1b2c3d4e5", &format!("o-{}", "a".repeat(33))] {
        assert!(!is_organization_id(id), "{id}");
    }
}

#[test]
fn iam_names() {
    assert!(is_iam_name("alice", 64));
    assert!(is_iam_name("ci+deploy=x,y.z@corp_-1", 64));
    assert!(!is_iam_name("", 64));
    assert!(!is_iam_name("a b", 64));
    assert!(!is_iam_name("a/b", 64));
    assert!(!is_iam_name("é", 64));
    assert!(!is_iam_name(&"a".repeat(65), 64));
}
