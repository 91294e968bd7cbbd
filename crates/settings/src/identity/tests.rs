//! Unit tests of identities: pinned derived ids, root and role-session principals,
//! secret redaction.

use super::*;

#[test]
fn derived_ids_are_pinned() {
    // Changing these changes every principal id in every delivered log: don't.
    assert_eq!(derived_unique_id("AIDA", "user", "111122223333", "alice"), "AIDA55JRSD3TBDHVEHISS");
    assert_eq!(derived_unique_id("AROA", "role", "111122223333", "alice"), "AROA7PHDDZ6Z23EIGPZCL");
    assert_ne!(
        derived_unique_id("AIDA", "user", "111122223333", "alice"),
        derived_unique_id("AIDA", "user", "111122223334", "alice")
    );
    let id = derived_unique_id("AIDA", "user", "1", "x");
    assert_eq!(id.len(), 21);
    assert!(id[4..].bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{id}");
}

#[test]
fn root_principal_is_the_account() {
    let root = Principal::root("111122223333");
    assert_eq!(root.principal_type, PrincipalType::Root);
    assert_eq!(root.arn, "arn:aws:iam::111122223333:root");
    assert_eq!(root.principal_id, "111122223333");
    assert!(root.policies.is_empty());
}

#[test]
fn role_sessions_use_the_sts_arn_without_path() {
    let role = Role {
        account_id: "111122223333".into(),
        name: "Auditor".into(),
        path: "/security/".into(),
        arn: "arn:aws:iam::111122223333:role/security/Auditor".into(),
        role_id: "AROAEXAMPLEEXAMPLE234".into(),
        policies: Vec::new(),
    };
    let session = role.session("jane");
    assert_eq!(session.principal_type, PrincipalType::AssumedRole);
    assert_eq!(session.arn, "arn:aws:sts::111122223333:assumed-role/Auditor/jane");
    assert_eq!(session.principal_id, "AROAEXAMPLEEXAMPLE234:jane");
    assert_eq!(session.user_name, None);
}

#[test]
fn debug_never_shows_secrets() {
    let key = AccessKey {
        id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
        active: true,
    };
    let entry = AccessKeyEntry::new(&key, &Principal::root("111122223333"));
    for text in [format!("{key:?}"), format!("{entry:?}")] {
        assert!(!text.contains("wJalr"), "{text}");
        assert!(text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    }
    assert_eq!(entry.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_eq!(entry.principal_type, "Root");
}

#[test]
fn organization_membership() {
    let organization = Organization {
        id: "o-abcdefghij".into(),
        management_account: "111111111111".into(),
        member_accounts: vec!["222222222222".into()],
    };
    assert!(organization.is_member("222222222222"));
    assert!(!organization.is_member("111111111111"));
    assert!(organization.contains("111111111111"));
    assert!(!organization.contains("333333333333"));
}
