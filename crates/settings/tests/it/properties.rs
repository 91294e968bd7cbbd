//! Property tests: the matcher, the pattern parsers, expansion, loading and authorization never
//! panic on arbitrary input, and the matcher agrees with a naive reference.

use proptest::prelude::*;
use settings::pattern::wildcard_match;
use settings::{ActionPattern, AuthzRequest, Principal, PrincipalType, ResourcePattern, authorize};

use crate::support::{AUTHZ, load};

/// The obvious exponential-time definition, for small inputs.
fn reference_match(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| reference_match(rest, &text[skip..])),
        Some((&p, rest)) => text
            .split_first()
            .is_some_and(|(&t, tail)| (p == '?' || p == t) && reference_match(rest, tail)),
    }
}

proptest! {
    #[test]
    fn arbitrary_patterns_never_panic_the_matcher(pattern in any::<String>(), text in any::<String>(), fold in any::<bool>()) {
        let _ = wildcard_match(&pattern, &text, fold);
        if let Ok(action) = ActionPattern::parse(&pattern) {
            let _ = action.matches(&text);
        }
        if let Ok(resource) = ResourcePattern::parse(&pattern) {
            let _ = resource.matches(&text);
        }
    }

    #[test]
    fn arbitrary_arn_like_patterns_never_panic(pattern in "(arn|\\*|[a-z:*?/0-9-]){0,40}", text in "[a-z:*?/0-9-]{0,40}") {
        if let Ok(resource) = ResourcePattern::parse(&pattern) {
            let _ = resource.matches(&text);
        }
        if let Ok(action) = ActionPattern::parse(&pattern) {
            let _ = action.matches(&text);
        }
    }

    #[test]
    fn matcher_agrees_with_the_reference(pattern in "[ab*?]{0,8}", text in "[ab]{0,10}") {
        let pattern_chars: Vec<char> = pattern.chars().collect();
        let text_chars: Vec<char> = text.chars().collect();
        prop_assert_eq!(wildcard_match(&pattern, &text, false), reference_match(&pattern_chars, &text_chars));
    }

    #[test]
    fn a_literal_matches_only_itself(literal in "[A-Za-z0-9:/-]{0,20}", other in "[A-Za-z0-9:/-]{0,20}") {
        prop_assert!(wildcard_match(&literal, &literal, false));
        prop_assert_eq!(wildcard_match(&literal, &other, false), literal == other);
        prop_assert!(wildcard_match("*", &other, false));
    }

    #[test]
    fn arbitrary_settings_text_never_panics(text in any::<String>()) {
        let _ = load(&text);
    }

    #[test]
    fn arbitrary_string_values_never_panic_expansion(value in any::<String>()) {
        let text = format!("version = 1\ndata_dir = {}", toml_string(&value));
        let _ = load(&text);
    }

    #[test]
    fn authorization_never_panics_and_never_allows_a_user_without_policies(
        action in any::<String>(),
        resource in any::<String>(),
        account in "[0-9]{12}",
        org_trail in any::<bool>(),
    ) {
        let settings = load(AUTHZ).unwrap();
        let nobody = Principal {
            principal_type: PrincipalType::IamUser,
            account_id: "111111111111".into(),
            arn: "arn:aws:iam::111111111111:user/nobody".into(),
            principal_id: "AIDAEXAMPLE".into(),
            user_name: Some("nobody".into()),
            policies: Vec::new(),
        };
        let request = AuthzRequest {
            principal: &nobody,
            action: &action,
            resource: &resource,
            resource_account: &account,
            resource_is_organization_trail: org_trail,
            organization: settings.organization(),
            operator_account: None,
        };
        prop_assert!(!authorize(&request).is_allowed());
        for principal in settings.principals() {
            let _ = authorize(&AuthzRequest { principal: &principal, ..request });
        }
    }
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}
