//! Unit tests of the wildcard matcher.

use super::*;

fn check(pattern: &str, text: &str, expected: bool) {
    assert_eq!(wildcard_match(pattern, text, false), expected, "`{pattern}` vs `{text}`");
}

#[test]
fn literals_match_only_themselves() {
    check("cloudtrail:StopLogging", "cloudtrail:StopLogging", true);
    check("cloudtrail:StopLogging", "cloudtrail:StopLoggingX", false);
    check("cloudtrail:StopLogging", "cloudtrail:StopLoggin", false);
    check("", "", true);
    check("", "a", false);
}

#[test]
fn star_matches_any_run() {
    check("*", "", true);
    check("*", "anything:at/all", true);
    check("cloudtrail:*Logging", "cloudtrail:StopLogging", true);
    check("cloudtrail:*Logging", "cloudtrail:StartLogging", true);
    check("cloudtrail:*Logging", "cloudtrail:LoggingStatus", false);
    check(
        "arn:aws:cloudtrail:*:111122223333:trail/prod-*",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/prod-web",
        true,
    );
    check(
        "arn:aws:cloudtrail:*:111122223333:trail/prod-*",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/dev-web",
        false,
    );
    check("a*b*c", "aXXbYYc", true);
    check("a*b*c", "aXXcYYb", false);
    check("**", "abc", true);
}

#[test]
fn question_mark_matches_one_char() {
    check("trail/?", "trail/a", true);
    check("trail/?", "trail/", false);
    check("trail/?", "trail/ab", false);
    check("tr?il/é", "tréil/é", true);
}

#[test]
fn case_folding_is_opt_in_and_ascii_only() {
    assert!(wildcard_match("CloudTrail:stoplogging", "cloudtrail:StopLogging", true));
    assert!(!wildcard_match("CloudTrail:stoplogging", "cloudtrail:StopLogging", false));
    assert!(!wildcard_match("É", "é", true));
}

#[test]
fn detects_wildcards() {
    assert!(has_wildcard("cloudtrail:Get*"));
    assert!(has_wildcard("trail/?"));
    assert!(!has_wildcard("cloudtrail:GetTrail"));
}
