//! Unit tests of loading: syntax positions, serde error mapping, problem lists.

use super::*;

fn load(text: &str) -> Result<Settings> {
    Settings::from_toml(text, &BTreeMap::new())
}

#[test]
fn syntax_errors_name_the_position_but_not_the_line() {
    let err = load("version = 1\nsecret = \"wJalrXUtnFEMI/K7MDENG\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("the settings are not valid TOML: line 2, column "), "{text}");
    assert!(!text.contains("wJalr"), "{text}");
}

#[test]
fn schema_errors_become_problems_with_paths() {
    let err = load("version = 1\nlisten = 3").unwrap_err();
    assert_eq!(
        err.problems(),
        [Problem::new(
            "listen",
            ProblemKind::WrongType,
            "has the wrong type or value: invalid type: integer `3`, expected a string"
        )]
    );
    let err = load("version = 1\n[organization]\nid = \"o-abcdefghij\"").unwrap_err();
    assert_eq!(
        err.problems(),
        [Problem::new("organization.management_account", ProblemKind::MissingKey, "is required")]
    );
}

#[test]
fn several_problems_are_listed_in_one_message() {
    let err = load("version = 1\nregion = \"moon\"\nlisten = \"nowhere\"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 problems in the settings; `listen` = `nowhere` must be an `ip:port` address like `127.0.0.1:9471` or `[::1]:9471`; `region` = `moon` must be a region name like `us-east-1`"
    );
}
