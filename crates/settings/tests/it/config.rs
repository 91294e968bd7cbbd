//! Parsing and validating `opentrail.toml`: the sample, defaults, version, syntax, unknown keys,
//! every validation rule with its message, `${VAR}` expansion and `OPENTRAIL_*` overrides.

use std::collections::BTreeMap;

use settings::{Addressing, Error, PolicyKind, PrincipalType, ProblemKind, Settings, limits};

use crate::support::{SAMPLE, env, load, sample_env};

/// Loads `text` with `env` and expects exactly `expected` problems, as displayed.
fn check_problems_with_env(text: &str, env: &BTreeMap<String, String>, expected: &[&str]) {
    let err = Settings::from_toml(text, env).expect_err("settings should be rejected");
    let actual: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(actual, expected, "\n{err}");
}

fn check_problems(text: &str, expected: &[&str]) {
    check_problems_with_env(text, &BTreeMap::new(), expected);
}

/// A file with one account `111122223333` and `extra` appended.
fn with_account(extra: &str) -> String {
    format!("version = 1\n[[accounts]]\nid = \"111122223333\"\nname = \"main\"\n{extra}")
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn the_sample_loads() {
    let settings = Settings::from_toml(SAMPLE, &sample_env()).unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:9471");
    assert_eq!(settings.data_dir.as_deref(), Some(std::path::Path::new("/var/lib/opentrail")));
    assert_eq!(settings.region, "eu-west-1");
    assert!(!settings.needs_bootstrap());

    let accounts: Vec<(&str, &str)> =
        settings.accounts().iter().map(|a| (a.id.as_str(), a.name.as_str())).collect();
    assert_eq!(
        accounts,
        [
            ("111122223333", "management"),
            ("444455556666", "production"),
            ("777788889999", "sandbox")
        ]
    );
    let organization = settings.organization().unwrap();
    assert_eq!(organization.id, "o-a1b2c3d4e5");
    assert_eq!(organization.management_account, "111122223333");
    assert_eq!(organization.member_accounts, ["444455556666", "777788889999"]);

    let principals: Vec<String> = settings
        .principals()
        .iter()
        .map(|p| {
            let policies: Vec<&str> =
                p.policies.iter().map(|policy| policy.name.as_str()).collect();
            format!(
                "{} {} {} [{}]",
                p.principal_type.as_str(),
                p.arn,
                p.principal_id,
                policies.join(",")
            )
        })
        .collect();
    assert_eq!(
        principals,
        [
            "Root arn:aws:iam::111122223333:root 111122223333 []",
            "Root arn:aws:iam::444455556666:root 444455556666 []",
            "Root arn:aws:iam::777788889999:root 777788889999 []",
            "IAMUser arn:aws:iam::111122223333:user/security/alice AIDA55JRSD3TBDHVEHISS [AdministratorAccess]",
            "IAMUser arn:aws:iam::111122223333:user/ci-deployer AIDADGD4JVGL6KGOKF52Z [AWSCloudTrail_FullAccess,ProtectOrganizationTrails]",
            "IAMUser arn:aws:iam::444455556666:user/auditor AIDA3DT7XBQ3DABBARQQS [AWSCloudTrail_ReadOnlyAccess]",
            "IAMUser arn:aws:iam::444455556666:user/prod-operator AIDAXF2ULDAYS2UWUWUV2 [inline]",
        ]
    );
    let operator = settings.user("444455556666", "prod-operator").unwrap();
    assert_eq!(operator.policies[0].kind, PolicyKind::Inline);
    assert_eq!(operator.policies[0].statements.len(), 2);

    let role = settings.role("111122223333", "securityaudit").unwrap();
    assert_eq!(role.arn, "arn:aws:iam::111122223333:role/audit/SecurityAudit");
    assert!(role.role_id.starts_with("AROA"));

    let keys: Vec<String> = settings
        .access_keys()
        .iter()
        .map(|k| {
            format!(
                "{} {} {} {} {:?} active={}",
                k.access_key_id,
                k.account_id,
                k.principal_type,
                k.principal_arn,
                k.user_name,
                k.active
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "AKIAIOSFODNN7EXAMPLE 111122223333 Root arn:aws:iam::111122223333:root None active=true",
            "AKIAALICE2222222EXAM 111122223333 IAMUser arn:aws:iam::111122223333:user/security/alice Some(\"alice\") active=true",
            "AKIACIDEPLOYER22KEY2 111122223333 IAMUser arn:aws:iam::111122223333:user/ci-deployer Some(\"ci-deployer\") active=true",
            "AKIAAUDITOR22222OLD2 444455556666 IAMUser arn:aws:iam::444455556666:user/auditor Some(\"auditor\") active=false",
            "AKIAAUDITOR22222NEW2 444455556666 IAMUser arn:aws:iam::444455556666:user/auditor Some(\"auditor\") active=true",
        ]
    );
    let alice_key = &settings.access_keys()[1];
    assert_eq!(alice_key.secret_access_key, "aliceAliceAliceAliceAliceAliceAlice+/123");
    assert_eq!(alice_key.principal_id, settings.user("111122223333", "alice").unwrap().user_id);
}

#[test]
fn the_sample_needs_its_secrets_from_the_environment() {
    let mut env = sample_env();
    env.remove("ALICE_SECRET");
    check_problems_with_env(
        SAMPLE,
        &env,
        &[
            "`users[0].access_keys[0].secret` uses `${ALICE_SECRET}`, but `ALICE_SECRET` is not set and no default is given (write `${ALICE_SECRET:-default}`)",
        ],
    );
}

#[test]
fn settings_debug_output_hides_secrets() {
    let settings = Settings::from_toml(SAMPLE, &sample_env()).unwrap();
    let text = format!("{settings:?} {:?}", settings.access_keys());
    for secret in sample_env().values() {
        assert!(!text.contains(secret.as_str()), "debug output leaks a secret");
    }
}

#[test]
fn lookups_by_key_and_arn() {
    let settings = Settings::from_toml(SAMPLE, &sample_env()).unwrap();
    let root = settings.principal_for_access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
    assert_eq!(root.principal_type, PrincipalType::Root);
    assert_eq!(root.account_id, "111122223333");
    let auditor = settings.principal_for_access_key("AKIAAUDITOR22222OLD2").unwrap();
    assert_eq!(auditor.user_name.as_deref(), Some("auditor"));
    assert_eq!(settings.principal_for_access_key("AKIAUNKNOWN222222222"), None);
    let alice = settings.principal_by_arn("arn:aws:iam::111122223333:user/security/alice").unwrap();
    assert_eq!(alice.policies[0].name, "AdministratorAccess");
    assert_eq!(settings.principal_by_arn("arn:aws:iam::111122223333:user/alice"), None);
}

#[test]
fn a_version_line_alone_gives_secure_defaults() {
    let settings = load("version = 1").unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:9471");
    assert!(settings.listen.ip().is_loopback());
    assert_eq!(settings.data_dir, None);
    assert_eq!(settings.region, "us-east-1");
    assert!(settings.needs_bootstrap());
    assert!(settings.organization().is_none());
    assert!(settings.principals().is_empty());
    assert!(settings.access_keys().is_empty());
}

#[test]
fn version_is_required_and_must_be_one() {
    let message = |text: &str| load(text).unwrap_err().to_string();
    assert_eq!(
        message(""),
        "`version` is missing; the settings file must start with `version = 1`"
    );
    assert_eq!(
        message("region = \"us-east-1\""),
        "`version` is missing; the settings file must start with `version = 1`"
    );
    assert_eq!(
        message("version = 2"),
        "`version` = `2` is not supported; this OpenTrail reads `version = 1`"
    );
    assert_eq!(
        message("version = \"1\""),
        "`version` = `\"1\"` is not supported; this OpenTrail reads `version = 1`"
    );
    // A newer file's new keys are not reported as unknown: the version is checked first.
    assert!(matches!(
        load("version = 2\n[shiny]\nnew = true"),
        Err(Error::VersionUnsupported { .. })
    ));
}

#[test]
fn syntax_errors_name_line_and_column() {
    let err = load("version = 1\nlisten = 127.0.0.1\n").unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }));
    let text = err.to_string();
    assert!(text.starts_with("the settings are not valid TOML: line 2, column "), "{text}");
}

#[test]
fn oversized_text_is_refused_before_parsing() {
    let text = format!("version = 1\n#{}", "x".repeat(limits::SETTINGS_TEXT_BYTES_MAX));
    assert_eq!(
        load(&text).unwrap_err().to_string(),
        format!("the settings text is {} bytes; at most 1048576 are allowed", text.len())
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    check_problems(
        "version = 1\nlisen = \"127.0.0.1:1\"",
        &[
            "`lisen` is not a known key; expected one of `version`, `listen`, `data_dir`, `region`, `delivery_interval`, `digest_interval`, `history_retention`, `default_trail`, `accounts`, `organization`, `policies`, `users`, `roles`, `s3_stores`, `smtp`, `notifications`, `notification_targets`, `cis_pack`, `alarms`, `metric_filters`",
        ],
    );
    check_problems(
        &with_account(&format!(
            "[[users]]\naccount = \"111122223333\"\nname = \"a\"\n[[users]]\naccount = \"111122223333\"\nname = \"b\"\naccess_keys = [{{ id = \"AKIAIOSFODNN7EXAMPLE\", secret = \"{SECRET}\", actve = false }}]"
        )),
        &[
            "`users[1].access_keys[0].actve` is not a known key; expected one of `id`, `secret`, `active`",
        ],
    );
    check_problems(
        &with_account(
            "[organization]\nid = \"o-abcdefghij\"\nmanagement_account = \"111122223333\"\nmembers = []",
        ),
        &[
            "`organization.members` is not a known key; expected one of `id`, `management_account`, `member_accounts`",
        ],
    );
    check_problems(
        "version = 1\n[[policies]]\nname = \"p\"\nstatements = [{ effect = \"Allow\", action = [\"*\"], resources = [\"*\"] }]",
        &[
            "`policies[0].statements[0].action` is not a known key; expected one of `sid`, `effect`, `actions`, `resources`",
        ],
    );
    let err = load("version = 1\nlisen = 1").unwrap_err();
    assert_eq!(err.problems()[0].kind, ProblemKind::UnknownKey);
}

#[test]
fn missing_and_mistyped_keys_are_reported_with_their_path() {
    check_problems(
        "version = 1\n[[accounts]]\nid = \"111122223333\"",
        &["`accounts[0].name` is required"],
    );
    check_problems(
        &with_account(
            "[[users]]\naccount = \"111122223333\"\nname = \"a\"\naccess_keys = [{ id = \"AKIAIOSFODNN7EXAMPLE\" }]",
        ),
        &["`users[0].access_keys[0].secret` is required"],
    );
    check_problems(
        "version = 1\n[[policies]]\nname = \"p\"\nstatements = [{ effect = \"allow\", actions = [\"*\"], resources = [\"*\"] }]",
        &[
            "`policies[0].statements[0].effect` has the wrong type or value: unknown variant `allow`, expected `Allow` or `Deny`",
        ],
    );
    check_problems(
        "version = 1\n[[policies]]\nname = \"p\"\nstatements = [{ effect = \"Allow\", actions = \"*\", resources = [\"*\"] }]",
        &[
            "`policies[0].statements[0].actions` has the wrong type or value: invalid type: string \"*\", expected a sequence",
        ],
    );
    check_problems(
        "version = 1\naccounts = 3",
        &["`accounts` has the wrong type or value: invalid type: integer `3`, expected a sequence"],
    );
}

#[test]
fn server_scalars_are_validated() {
    check_problems(
        "version = 1\nlisten = \"localhost:9471\"",
        &[
            "`listen` = `localhost:9471` must be an `ip:port` address like `127.0.0.1:9471` or `[::1]:9471`",
        ],
    );
    check_problems(
        "version = 1\nregion = \"US-EAST-1\"",
        &["`region` = `US-EAST-1` must be a region name like `us-east-1`"],
    );
    check_problems(
        "version = 1\ndata_dir = \"\"",
        &["`data_dir` must not be empty (leave it out for the default)"],
    );
    check_problems(
        &format!("version = 1\ndata_dir = \"/{}\"", "d".repeat(limits::DATA_DIR_CHARS_MAX)),
        &["`data_dir` must be at most 4096 characters"],
    );
    let settings = load(
        "version = 1\nlisten = \"[::]:443\"\ndata_dir = \"./state\"\nregion = \"us-gov-west-1\"",
    )
    .unwrap();
    assert_eq!(settings.listen.to_string(), "[::]:443");
    assert_eq!(settings.region, "us-gov-west-1");
}

#[test]
fn account_rules() {
    check_problems(
        "version = 1\n[[accounts]]\nid = \"1234\"\nname = \"a\"\n[[accounts]]\nid = \"11112222333a\"\nname = \"b\"",
        &[
            "`accounts[0].id` = `1234` must be exactly 12 digits",
            "`accounts[1].id` = `11112222333a` must be exactly 12 digits",
        ],
    );
    check_problems(
        &with_account("[[accounts]]\nid = \"111122223333\"\nname = \"again\""),
        &["`accounts[1].id` = `111122223333` is already used by `accounts[0]`"],
    );
    check_problems(
        &format!(
            "version = 1\n[[accounts]]\nid = \"111122223333\"\nname = \"\"\n[[accounts]]\nid = \"444455556666\"\nname = \"{}\"\n[[accounts]]\nid = \"777788889999\"\nname = \"tab\\there\"",
            "n".repeat(51)
        ),
        &[
            "`accounts[0].name` = `` must be 1 to 50 characters without control characters",
            &format!(
                "`accounts[1].name` = `{}` must be 1 to 50 characters without control characters",
                "n".repeat(51)
            ),
            "`accounts[2].name` = `tab\\there` must be 1 to 50 characters without control characters",
        ],
    );
}

fn user_with_keys(keys: &str) -> String {
    with_account(&format!(
        "[[users]]\naccount = \"111122223333\"\nname = \"u\"\naccess_keys = [{keys}]"
    ))
}

#[test]
fn access_key_rules() {
    check_problems(
        &user_with_keys(&format!(
            "{{ id = \"AKIA2222222222222222\", secret = \"{SECRET}\" }}, {{ id = \"AKIA3333333333333333\", secret = \"{SECRET}\" }}, {{ id = \"AKIA4444444444444444\", secret = \"{SECRET}\" }}"
        )),
        &[
            "`users[0].access_keys` has 3 keys; at most 2 are allowed (two, so a key can be rotated)",
        ],
    );
    check_problems(
        &user_with_keys(&format!(
            "{{ id = \"AKIA123\", secret = \"{SECRET}\" }}, {{ id = \"ASIAIOSFODNN7EXAMPLE\", secret = \"{SECRET}\" }}"
        )),
        &[
            "`users[0].access_keys[0].id` = `AKIA123` must be `AKIA` followed by 16 characters of `A`-`Z` and `2`-`7`",
            "`users[0].access_keys[1].id` = `ASIAIOSFODNN7EXAMPLE` must be `AKIA` followed by 16 characters of `A`-`Z` and `2`-`7`",
        ],
    );
    check_problems(
        &format!(
            "version = 1\n[[accounts]]\nid = \"111122223333\"\nname = \"main\"\nroot_access_keys = [{{ id = \"AKIAIOSFODNN7EXAMPLE\", secret = \"{SECRET}\" }}]\n[[users]]\naccount = \"111122223333\"\nname = \"u\"\naccess_keys = [{{ id = \"AKIAIOSFODNN7EXAMPLE\", secret = \"{SECRET}\" }}]"
        ),
        &[
            "`users[0].access_keys[0].id` = `AKIAIOSFODNN7EXAMPLE` is already used by `accounts[0].root_access_keys[0]`",
        ],
    );
}

#[test]
fn secret_rules_never_echo_the_secret() {
    let text = with_account(&format!(
        "[[users]]\naccount = \"111122223333\"\nname = \"a\"\n[[users]]\naccount = \"111122223333\"\nname = \"b\"\n[[users]]\naccount = \"111122223333\"\nname = \"c\"\naccess_keys = [{{ id = \"AKIA2222222222222222\", secret = \"shortsecret1\" }}, {{ id = \"AKIA3333333333333333\", secret = \"{}\" }}]\n[[users]]\naccount = \"111122223333\"\nname = \"d\"\naccess_keys = [{{ id = \"AKIA4444444444444444\", secret = \"{}\" }}]",
        "s".repeat(129),
        "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    ));
    check_problems(
        &text,
        &[
            "`users[2].access_keys[0].secret` must be at least 40 characters (it has 12)",
            "`users[2].access_keys[1].secret` must be at most 128 characters (it has 129)",
            "`users[3].access_keys[0].secret` must consist of `A`-`Z`, `a`-`z`, `0`-`9`, `+` and `/` only",
        ],
    );
}

#[test]
fn policy_rules() {
    check_problems(
        "version = 1\n[[policies]]\nname = \"has space\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n[[policies]]\nname = \"administratoraccess\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n[[policies]]\nname = \"Mine\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n[[policies]]\nname = \"MINE\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n[[policies]]\nname = \"Empty\"\nstatements = []",
        &[
            "`policies[0].name` = `has space` must be 1 to 128 characters of letters, digits and `+=,.@_-`",
            "`policies[1].name` = `administratoraccess` is taken by the built-in AWS managed policy `AdministratorAccess`; choose another name",
            "`policies[3].name` = `MINE` is already used by `policies[2]` (policy names ignore case)",
            "`policies[4].statements` must have at least one statement",
        ],
    );
}

#[test]
fn statement_rules() {
    check_problems(
        "version = 1\n[[policies]]\nname = \"p\"\nstatements = [\n{ sid = \"not ok\", effect = \"Allow\", actions = [], resources = [] },\n{ effect = \"Deny\", actions = [\"cloudtrail:StopLoging\", \"StopLogging\", \"cloudtrail:Stop*\"], resources = [\"trail/main\", \"arn:aws:cloudtrail:us-east-1:1234:trail/x\", \"*\"] },\n]",
        &[
            "`policies[0].statements[0].sid` = `not ok` must be 1 to 128 letters or digits",
            "`policies[0].statements[0].actions` must list at least one pattern (use `[\"*\"]` for all)",
            "`policies[0].statements[0].resources` must list at least one pattern (use `[\"*\"]` for all)",
            "`policies[0].statements[1].actions[0]` = `cloudtrail:StopLoging` is no action of `cloudtrail`; check the spelling against the CloudTrail API operation names",
            "`policies[0].statements[1].actions[1]` = `StopLogging` must be `*` or `service:Action` (like `cloudtrail:StopLogging` or `cloudtrail:Get*`)",
            "`policies[0].statements[1].resources[0]` = `trail/main` must be `*` or an ARN (like `arn:aws:cloudtrail:*:111122223333:trail/prod-*`)",
            "`policies[0].statements[1].resources[1]` = `arn:aws:cloudtrail:us-east-1:1234:trail/x` has account `1234`; it must be empty, twelve digits, or a wildcard pattern over digits",
        ],
    );
    let many: Vec<String> =
        (0..=limits::ACTIONS_PER_STATEMENT_MAX).map(|_| "\"s3:GetObject\"".to_owned()).collect();
    check_problems(
        &format!(
            "version = 1\n[[policies]]\nname = \"p\"\nstatements = [{{ effect = \"Allow\", actions = [{}], resources = [\"*\"] }}]",
            many.join(",")
        ),
        &["`policies[0].statements[0].actions` has 101 patterns; at most 100 are allowed"],
    );
    let statement = "{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }";
    let statements = vec![statement; limits::STATEMENTS_PER_POLICY_MAX + 1].join(",");
    check_problems(
        &format!("version = 1\n[[policies]]\nname = \"p\"\nstatements = [{statements}]"),
        &["`policies[0].statements` has 101 statements; at most 100 are allowed"],
    );
}

#[test]
fn user_rules() {
    check_problems(
        &with_account(
            "[[users]]\naccount = \"999999999999\"\nname = \"ghost\"\n[[users]]\naccount = \"111122223333\"\nname = \"bad/name\"\n[[users]]\naccount = \"111122223333\"\nname = \"Alice\"\n[[users]]\naccount = \"111122223333\"\nname = \"alice\"\npath = \"ops\"",
        ),
        &[
            "`users[0].account` = `999999999999` is not a configured account (see `[[accounts]]`)",
            "`users[1].name` = `bad/name` must be 1 to 64 characters of letters, digits and `+=,.@_-`",
            "`users[3].name` = `alice` is already used in account `111122223333` by `users[2]` (user names ignore case)",
            "`users[3].path` = `ops` must start and end with `/` and be at most 512 printable ASCII characters without spaces",
        ],
    );
}

#[test]
fn policy_attachment_rules() {
    check_problems(
        &with_account(
            "[[policies]]\nname = \"Mine\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n[[users]]\naccount = \"111122223333\"\nname = \"u\"\npolicies = [\"ReadOnlyAccess\", \"Mine\", \"Mine\", \"mine\"]",
        ),
        &[
            "`users[0].policies[0]` = `ReadOnlyAccess` names no policy; the built-in ones are `AdministratorAccess`, `AWSCloudTrail_FullAccess`, `AWSCloudTrail_ReadOnlyAccess`, others must be defined in `[[policies]]` (names are case-sensitive)",
            "`users[0].policies[2]` = `Mine` is already attached",
            "`users[0].policies[3]` = `mine` names no policy; the built-in ones are `AdministratorAccess`, `AWSCloudTrail_FullAccess`, `AWSCloudTrail_ReadOnlyAccess`, others must be defined in `[[policies]]` (names are case-sensitive)",
        ],
    );
    let mut text = with_account("");
    for idx in 0..limits::POLICIES_PER_PRINCIPAL_MAX {
        text.push_str(&format!("[[policies]]\nname = \"P{idx}\"\nstatements = [{{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }}]\n"));
    }
    let names: Vec<String> =
        (0..limits::POLICIES_PER_PRINCIPAL_MAX).map(|idx| format!("\"P{idx}\"")).collect();
    text.push_str(&format!(
        "[[roles]]\naccount = \"111122223333\"\nname = \"r\"\npolicies = [{}]\nstatements = [{{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }}]\n",
        names.join(",")
    ));
    check_problems(
        &text,
        &[
            "`roles[0].policies` attaches 21 policies (inline statements count as one); at most 20 are allowed",
        ],
    );
}

#[test]
fn a_broken_policy_is_reported_once_not_again_where_it_is_attached() {
    check_problems(
        &with_account(
            "[[policies]]\nname = \"Broken\"\nstatements = [{ effect = \"Allow\", actions = [\"cloudtrail:Nope\"], resources = [\"*\"] }]\n[[users]]\naccount = \"111122223333\"\nname = \"u\"\npolicies = [\"Broken\"]",
        ),
        &[
            "`policies[0].statements[0].actions[0]` = `cloudtrail:Nope` is no action of `cloudtrail`; check the spelling against the CloudTrail API operation names",
        ],
    );
}

#[test]
fn role_rules() {
    check_problems(
        &with_account(
            "[[roles]]\naccount = \"111122223333\"\nname = \"Auditor\"\n[[roles]]\naccount = \"111122223333\"\nname = \"AUDITOR\"\n[[roles]]\naccount = \"123\"\nname = \"x\"\nstatements = [{ effect = \"Allow\", actions = [\"cloudtrail:Get*\"], resources = [\"arn:aws:cloudtrail\"] }]",
        ),
        &[
            "`roles[1].name` = `AUDITOR` is already used in account `111122223333` by `roles[0]` (role names ignore case)",
            "`roles[2].account` = `123` is not a configured account (see `[[accounts]]`)",
            "`roles[2].statements[0].resources[0]` = `arn:aws:cloudtrail` must be `*` or an ARN (like `arn:aws:cloudtrail:*:111122223333:trail/prod-*`)",
        ],
    );
}

#[test]
fn organization_rules() {
    check_problems(
        &with_account("[organization]\nid = \"o-ABC\"\nmanagement_account = \"999999999999\""),
        &[
            "`organization.id` = `o-ABC` must be `o-` followed by 10 to 32 lowercase letters or digits",
            "`organization.management_account` = `999999999999` is not a configured account (see `[[accounts]]`)",
        ],
    );
    check_problems(
        &with_account(
            "[[accounts]]\nid = \"444455556666\"\nname = \"m\"\n[organization]\nid = \"o-abcdefghij\"\nmanagement_account = \"111122223333\"\nmember_accounts = [\"111122223333\", \"999999999999\", \"444455556666\", \"444455556666\"]",
        ),
        &[
            "`organization.member_accounts[0]` = `111122223333` is the management account; it cannot also be a member",
            "`organization.member_accounts[1]` = `999999999999` is not a configured account (see `[[accounts]]`)",
            "`organization.member_accounts[3]` = `444455556666` is listed twice",
        ],
    );
}

#[test]
fn organization_members_default_to_every_other_account() {
    let settings = load(&with_account(
        "[[accounts]]\nid = \"777788889999\"\nname = \"b\"\n[[accounts]]\nid = \"444455556666\"\nname = \"a\"\n[organization]\nid = \"o-abcdefghij\"\nmanagement_account = \"444455556666\"",
    ))
    .unwrap();
    let organization = settings.organization().unwrap();
    assert_eq!(organization.member_accounts, ["111122223333", "777788889999"]);
    assert!(organization.contains("444455556666"));
    assert!(!organization.is_member("444455556666"));
}

#[test]
fn all_rule_problems_are_reported_together() {
    let err = load("version = 1\nregion = \"moon\"\n[[accounts]]\nid = \"1\"\nname = \"x\"\n[organization]\nid = \"o-x\"\nmanagement_account = \"1\"").unwrap_err();
    assert_eq!(err.problems().len(), 4, "{err}");
    assert!(err.problems().iter().all(|problem| problem.kind == ProblemKind::Rule));
}

#[test]
fn interpolation_in_string_values() {
    let text = r#"version = 1
listen = "${HOST:-127.0.0.1}:${PORT}"
region = "${REGION:-eu-central-1}"
data_dir = "$${not_a_var}/${EMPTY:-fallback}"
[[accounts]]
id = "${ACCOUNT}"
name = "main"
root_access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "${ROOT_SECRET}" }]
# ${IN_A_COMMENT} is never expanded
"#;
    let settings = Settings::from_toml(
        text,
        &env(&[
            ("PORT", "8443"),
            ("EMPTY", ""),
            ("ACCOUNT", "111122223333"),
            ("ROOT_SECRET", SECRET),
        ]),
    )
    .unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8443");
    assert_eq!(settings.region, "eu-central-1");
    assert_eq!(
        settings.data_dir.as_deref().and_then(|dir| dir.to_str()),
        Some("${not_a_var}/fallback")
    );
    assert_eq!(settings.accounts()[0].id, "111122223333");
    assert_eq!(settings.access_keys()[0].secret_access_key, SECRET);
}

#[test]
fn interpolation_problems_name_the_key_and_variable() {
    check_problems(
        "version = 1\nlisten = \"127.0.0.1:${PORT\"\n[[policies]]\nname = \"${NAME-x}\"\nstatements = []",
        &[
            "`listen` has a `${` without a closing `}`",
            "`policies[0].name` has `${NAME-x}`; write `${NAME}` or `${NAME:-default}` where NAME is letters, digits and `_`, not starting with a digit",
        ],
    );
    let err = load("version = 1\nregion = \"${REGION}\"").unwrap_err();
    assert_eq!(err.problems()[0].kind, ProblemKind::Interpolation);
}

#[test]
fn environment_values_cannot_inject_toml() {
    let settings = Settings::from_toml(
        "version = 1\ndata_dir = \"${DIR}\"",
        &env(&[("DIR", "/tmp\"\n[organization]\nid = \"o-abcdefghij")]),
    )
    .unwrap();
    assert!(settings.organization().is_none());
    assert_eq!(
        settings.data_dir.as_deref().and_then(|dir| dir.to_str()),
        Some("/tmp\"\n[organization]\nid = \"o-abcdefghij")
    );
}

#[test]
fn opentrail_overrides_win_over_the_file() {
    let text =
        "version = 1\nlisten = \"127.0.0.1:1\"\ndata_dir = \"/from/file\"\nregion = \"eu-west-1\"";
    let settings = Settings::from_toml(
        text,
        &env(&[
            ("OPENTRAIL_LISTEN", "0.0.0.0:9471"),
            ("OPENTRAIL_DATA_DIR", "/from/env"),
            ("OPENTRAIL_REGION", "ap-south-1"),
            ("OPENTRAIL_DEFAULT_CHANNEL_ARN", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.listen.to_string(), "0.0.0.0:9471");
    assert_eq!(settings.data_dir.as_deref().and_then(|dir| dir.to_str()), Some("/from/env"));
    assert_eq!(settings.region, "ap-south-1");

    // Overrides apply when the file omits the key, and empty values count as unset.
    let settings = Settings::from_toml(
        "version = 1\nregion = \"eu-west-1\"",
        &env(&[("OPENTRAIL_LISTEN", "127.0.0.1:7"), ("OPENTRAIL_REGION", "")]),
    )
    .unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:7");
    assert_eq!(settings.region, "eu-west-1");
}

#[test]
fn bad_overrides_name_their_variable() {
    check_problems_with_env(
        "version = 1",
        &env(&[("OPENTRAIL_REGION", "moon"), ("OPENTRAIL_LISTEN", "everywhere")]),
        &[
            "`listen` = `everywhere` must be an `ip:port` address like `127.0.0.1:9471` or `[::1]:9471` (set by `OPENTRAIL_LISTEN`)",
            "`region` = `moon` must be a region name like `us-east-1` (set by `OPENTRAIL_REGION`)",
        ],
    );
    // A file value that an override replaces is not expanded, so its variable need not exist.
    let settings = Settings::from_toml(
        "version = 1\nlisten = \"${LISTEN}\"",
        &env(&[("OPENTRAIL_LISTEN", "127.0.0.1:8")]),
    )
    .unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8");
    // Override values are taken literally, not expanded.
    let settings =
        Settings::from_toml("version = 1", &env(&[("OPENTRAIL_DATA_DIR", "${HOME}/x")])).unwrap();
    assert_eq!(settings.data_dir.as_deref().and_then(|dir| dir.to_str()), Some("${HOME}/x"));
}

#[test]
fn the_override_list_is_documented_in_one_place() {
    assert_eq!(
        settings::ENV_OVERRIDES,
        [
            ("OPENTRAIL_LISTEN", "listen"),
            ("OPENTRAIL_DATA_DIR", "data_dir"),
            ("OPENTRAIL_REGION", "region"),
            ("OPENTRAIL_DELIVERY_INTERVAL", "delivery_interval"),
            ("OPENTRAIL_DIGEST_INTERVAL", "digest_interval"),
            ("OPENTRAIL_HISTORY_RETENTION", "history_retention")
        ]
    );
}

#[test]
fn digest_interval() {
    let load = |text: &str, env_pairs: &[(&str, &str)]| {
        Settings::from_toml(text, &env(env_pairs)).map(|s| s.digest_interval)
    };
    let secs = std::time::Duration::from_secs;
    assert_eq!(load("version = 1", &[]).unwrap(), None);
    assert_eq!(load("version = 1\ndigest_interval = \"5s\"", &[]).unwrap(), Some(secs(5)));
    assert_eq!(
        load("version = 1", &[("OPENTRAIL_DIGEST_INTERVAL", "1h")]).unwrap(),
        Some(secs(3600))
    );
    check_problems(
        "version = 1\ndigest_interval = \"1500ms\"",
        &["`digest_interval` = `1500ms` must be whole seconds"],
    );
    check_problems(
        "version = 1\ndigest_interval = \"25h\"",
        &["`digest_interval` = `25h` must be between 1s and 24h"],
    );
    check_problems(
        "version = 1\ndigest_interval = \"0s\"",
        &["`digest_interval` = `0s` must be between 1s and 24h"],
    );
}

#[test]
fn history_retention() {
    let load = |text: &str, env_pairs: &[(&str, &str)]| {
        Settings::from_toml(text, &env(env_pairs)).map(|s| s.history_retention)
    };
    let secs = std::time::Duration::from_secs;
    assert_eq!(load("version = 1", &[]).unwrap(), None);
    assert_eq!(
        load("version = 1\nhistory_retention = \"90d\"", &[]).unwrap(),
        Some(secs(90 * 86_400))
    );
    assert_eq!(
        load("version = 1", &[("OPENTRAIL_HISTORY_RETENTION", "30s")]).unwrap(),
        Some(secs(30))
    );
    check_problems(
        "version = 1\nhistory_retention = \"5s\"",
        &["`history_retention` = `5s` must be between 10s and 3650d"],
    );
    check_problems(
        "version = 1\nhistory_retention = \"2w\"",
        &["`history_retention` `2w`: unknown unit `w`; use ms, s, m, h or d"],
    );
}

#[test]
fn delivery_interval() {
    let load_interval = |text: &str, env_pairs: &[(&str, &str)]| {
        Settings::from_toml(text, &env(env_pairs)).map(|s| s.delivery_interval)
    };
    assert_eq!(load_interval("version = 1", &[]).unwrap(), None);
    let ms = std::time::Duration::from_millis;
    assert_eq!(
        load_interval("version = 1\ndelivery_interval = \"2s\"", &[]).unwrap(),
        Some(ms(2000))
    );
    assert_eq!(
        load_interval("version = 1\ndelivery_interval = \"500ms\"", &[]).unwrap(),
        Some(ms(500))
    );
    assert_eq!(
        load_interval(
            "version = 1\ndelivery_interval = \"5m\"",
            &[("OPENTRAIL_DELIVERY_INTERVAL", "1h")]
        )
        .unwrap(),
        Some(ms(3_600_000))
    );
    check_problems(
        "version = 1\ndelivery_interval = \"50ms\"",
        &["`delivery_interval` = `50ms` must be between 100ms and 1h"],
    );
    check_problems(
        "version = 1\ndelivery_interval = \"2w\"",
        &["`delivery_interval` `2w`: unknown unit `w`; use ms, s, m, h or d"],
    );
    check_problems(
        "version = 1\ndelivery_interval = \"99999999999999999999h\"",
        &[
            "`delivery_interval` `99999999999999999999h` is not a duration like `60s`, `500ms` or `5m`",
        ],
    );
    check_problems_with_env(
        "version = 1",
        &env(&[("OPENTRAIL_DELIVERY_INTERVAL", "soon")]),
        &[
            "`delivery_interval` `soon` is not a duration like `60s`, `500ms` or `5m` (set by `OPENTRAIL_DELIVERY_INTERVAL`)",
        ],
    );
}

#[test]
fn the_fixture_is_the_documented_sample() {
    assert_eq!(SAMPLE, include_str!("../../../../docs/opentrail.example.toml"));
}

#[test]
fn s3_stores_in_the_sample() {
    let settings = Settings::from_toml(SAMPLE, &sample_env()).unwrap();
    let [store] = settings.s3_stores() else { panic!("{:?}", settings.s3_stores()) };
    assert_eq!(store.name, "minio");
    assert_eq!(store.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(store.region, "us-east-1");
    assert_eq!(store.access_key_id, "minioadmin");
    assert_eq!(store.secret_access_key.expose(), "minioadmin");
    assert_eq!(store.addressing, Addressing::Path);
    assert_eq!(store.buckets, ["acme-cloudtrail", "acme-archive-*"]);
    assert!(store.is_plain_http());
    let debug = format!("{store:?}");
    assert!(debug.contains("secret_access_key: ***"), "{debug}");
}

#[test]
fn s3_store_defaults() {
    let text = "version = 1\n[[s3_stores]]\nname = \"aws\"\nregion = \"eu-west-1\"\naccess_key_id = \"AKIAEXAMPLE\"\nsecret_access_key = \"s\"\nbuckets = [\"logs\"]\n";
    let settings = load(text).unwrap();
    let store = &settings.s3_stores()[0];
    assert_eq!(store.endpoint, None);
    assert_eq!(store.addressing, Addressing::Virtual, "AWS S3 defaults to virtual-host style");
    assert!(store.session_token.is_none());
    assert!(!store.is_plain_http());
    assert!(format!("{store:?}").contains("secret_access_key: ***"));
}

#[test]
fn s3_store_rules() {
    let store = |body: &str| format!("version = 1\n[[s3_stores]]\n{body}\n");
    let base = "region = \"us-east-1\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"";
    check_problems(
        &store(&format!("name = \"Bad Name\"\n{base}\nbuckets = [\"ok\"]")),
        &["`s3_stores[0].name` = `Bad Name` must be 1 to 64 characters of a-z, 0-9 and `-`"],
    );
    check_problems(
        &store(&format!("name = \"a\"\nendpoint = \"ftp://x\"\n{base}\nbuckets = [\"ok\"]")),
        &[
            "`s3_stores[0].endpoint` = `ftp://x` must be an `http://` or `https://` URL like `http://127.0.0.1:9000` (at most 2048 characters); leave it out for AWS S3",
        ],
    );
    check_problems(
        &store(
            "name = \"a\"\nregion = \"moon\"\naccess_key_id = \"\"\nsecret_access_key = \"\"\naddressing = \"dns\"\nbuckets = []",
        ),
        &[
            "`s3_stores[0].region` = `moon` must be a region name like `us-east-1`",
            "`s3_stores[0].access_key_id` = `` must be 1 to 128 characters without control characters",
            "`s3_stores[0].secret_access_key` must be 1 to 256 characters without control characters",
            "`s3_stores[0].addressing` = `dns` must be `path` or `virtual`",
            "`s3_stores[0].buckets` must list 1 to 100 bucket names or patterns",
        ],
    );
    check_problems(
        &store(&format!("name = \"a\"\n{base}\nbuckets = [\"Logs\", \"ok\", \"ok\"]")),
        &[
            "`s3_stores[0].buckets[0]` = `Logs` must be an S3 bucket name or a pattern with `*`: 1 to 63 characters of a-z, 0-9, `.`, `-` and `*`",
            "`s3_stores[0].buckets[2]` = `ok` is already routed by `s3_stores[0].buckets[1]`",
        ],
    );
    let two = format!(
        "version = 1\n[[s3_stores]]\nname = \"a\"\n{base}\nbuckets = [\"x-*\"]\n[[s3_stores]]\nname = \"a\"\n{base}\nbuckets = [\"x-*\"]\n"
    );
    check_problems(&two, &["`s3_stores[1].name` = `a` is already used by `s3_stores[0]`"]);
    check_problems(
        &store(&format!("name = \"a\"\n{base}\nbuckets = [\"ok\"]\npath_style = true")),
        &[
            "`s3_stores[0].path_style` is not a known key; expected one of `name`, `endpoint`, `region`, `access_key_id`, `secret_access_key`, `session_token`, `addressing`, `buckets`",
        ],
    );
}

#[test]
fn notification_settings_are_checked_with_their_paths() {
    check_problems(
        r#"
version = 1
[smtp]
host = "mail.example.com"
from = "not-an-address"
tls = "ssl"
[notifications]
retries = 11
backoff = "1ms"
[[notification_targets]]
name = "bad name"
webhooks = ["ftp://x"]
[cis_pack]
version = "v9.9"
target = "nobody"
threshold = 0
"#,
        &[
            "`notifications.backoff` = `1ms` must be between 100ms and 1h",
            "`notifications.retries` = 11 must be between 0 and 10",
            "`smtp.tls` = `ssl` must be `opportunistic`, `starttls`, `tls` or `none`",
            "`smtp.from` = `not-an-address` must be an email address like `opentrail@example.com`",
            "`notification_targets[0].name` = `bad name` must be 1 to 256 characters of `A-Za-z0-9_-`",
            "`notification_targets[0].webhooks[0]` = `ftp://x` must be an http:// or https:// URL of at most 2048 characters",
            "`cis_pack.version` = `v9.9` must be one of v1.2, v1.4, v1.5, v2.0, v3.0, v4.0, v5.0, security-hub",
            "`cis_pack.target` = `nobody` names no `[[notification_targets]]` entry",
            "`cis_pack.threshold` = 0 must be between 1 and 1000000",
        ],
    );
}

#[test]
fn notification_settings_have_defaults_and_accept_aws_shaped_alarms() {
    let settings = Settings::from_toml(
        r#"
version = 1
[smtp]
host = "127.0.0.1"
from = "opentrail@example.com"
tls = "none"
[[notification_targets]]
name = "security"
webhooks = ["https://hooks.example.com/opentrail"]
emails = ["soc@example.com"]
[[alarms]]
AlarmName = "many-denied"
MetricName = "Denied"
Namespace = "Custom"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
Threshold = 5.0
ComparisonOperator = "GreaterThanOrEqualToThreshold"
"#,
        &BTreeMap::new(),
    )
    .unwrap();
    let smtp = settings.smtp.as_ref().unwrap();
    assert_eq!((smtp.port, smtp.tls), (25, settings::SmtpTls::None));
    assert_eq!(settings.notifications.retries, 3);
    assert_eq!(settings.notifications.backoff, std::time::Duration::from_secs(20));
    // The only target is the CIS pack's target; the pack is on, v3.0, threshold 1.
    assert_eq!(settings.cis_pack.target.as_deref(), Some("security"));
    assert!(settings.cis_pack.enabled);
    assert_eq!(settings.cis_pack.version, "v3.0");
    assert_eq!(settings.alarms.len(), 1);
    assert_eq!(settings.alarms[0]["Period"], 60);
    assert_eq!(settings.alarms[0]["Threshold"], 5.0);
}

#[test]
fn an_smtp_password_is_never_offered_without_tls() {
    let with_password = |tls: &str| {
        format!(
            "version = 1\n[smtp]\nhost = \"mail.example.com\"\nusername = \"u\"\npassword = \"p\"\n{tls}"
        )
    };
    // By default a relay that takes a password must offer STARTTLS (port 587).
    let settings = Settings::from_toml(&with_password(""), &BTreeMap::new()).unwrap();
    let smtp = settings.smtp.as_ref().unwrap();
    assert_eq!((smtp.port, smtp.tls), (587, settings::SmtpTls::StartTls));
    // Opportunistic STARTTLS can be stripped on the way: refused with a password.
    check_problems(
        &with_password("tls = \"opportunistic\"\n"),
        &[
            "`smtp.tls` = `opportunistic` would send the password in clear text to a relay (or an attacker on the way) that does not offer STARTTLS; use `starttls` or `tls`",
        ],
    );
    // Without a password, opportunistic stays the default (a plain local relay works).
    let plain =
        Settings::from_toml("version = 1\n[smtp]\nhost = \"127.0.0.1\"\n", &BTreeMap::new())
            .unwrap();
    assert_eq!(plain.smtp.unwrap().tls, settings::SmtpTls::Opportunistic);
}
