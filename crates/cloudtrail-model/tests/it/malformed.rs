//! Malformed records are rejected with the JSON path of the problem and the rule broken.

use cloudtrail_model::json::{self, Object, Value};
use cloudtrail_model::{Rule, parse_and_validate};

/// log-files.md §6.2, compact: a valid record that each case breaks in one way.
const VALID: &str = r#"{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROATQ4EXAMPLE7RTQWZ2:ci-deploy-4471","arn":"arn:aws:sts::210987654321:assumed-role/ci-deployer/ci-deploy-4471","accountId":"210987654321","accessKeyId":"ASIATQ4EXAMPLEQ3XN7V","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROATQ4EXAMPLE7RTQWZ2","arn":"arn:aws:iam::210987654321:role/ci-deployer","accountId":"210987654321","userName":"ci-deployer"},"webIdFederationData":{},"attributes":{"creationDate":"2026-11-19T08:01:55Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-19T08:03:12Z","eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","awsRegion":"eu-central-1","sourceIPAddress":"198.51.100.14","userAgent":"aws-cli/2.17.20","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0a1b2c3d4e5f60718"}]}},"responseElements":null,"requestID":"6f0d3a5e-91c2-4b7a-b8e4-2c6d1f0e9a37","eventID":"e8b2f4c1-3a6d-4e0f-9b57-1c8a2d7e6f90","readOnly":false,"resources":[{"accountId":"210987654321","type":"AWS::EC2::Instance","ARN":"arn:aws:ec2:eu-central-1:210987654321:instance/i-0a1b2c3d4e5f60718"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"210987654321","eventCategory":"Management"}"#;

fn valid() -> Object {
    match json::parse(VALID.as_bytes()).unwrap() {
        Value::Object(o) => o,
        _ => unreachable!(),
    }
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn num(text: &str) -> Value {
    Value::Number(json::Number::from_text(text).unwrap())
}

fn obj(value: &mut Object, name: &str) -> Object {
    match value.remove(name) {
        Some(Value::Object(o)) => o,
        _ => panic!("{name} is not an object"),
    }
}

/// Applies `edit` to the valid record and checks the rejection names `path` and `rule`.
fn check(edit: impl FnOnce(&mut Object), path: &str, rule: Rule) {
    let mut record = valid();
    edit(&mut record);
    check_bytes(Value::Object(record).to_json().as_bytes(), path, rule);
}

fn check_bytes(bytes: &[u8], path: &str, rule: Rule) {
    let invalid = parse_and_validate(bytes).expect_err("record must be rejected");
    assert!(
        invalid.0.iter().any(|e| e.path == path && e.rule == rule),
        "expected {rule:?} at `{path}`, got: {invalid}"
    );
    for err in &invalid.0 {
        assert!(!err.message.is_empty());
        assert!(err.to_string().starts_with(&format!("`{}`", err.path)));
    }
}

fn set_identity(record: &mut Object, name: &str, value: Value) {
    let mut identity = obj(record, "userIdentity");
    identity.insert(name, value);
    record.insert("userIdentity", Value::Object(identity));
}

#[test]
fn the_base_record_is_valid() {
    let record = parse_and_validate(VALID.as_bytes()).unwrap();
    assert_eq!(record.to_json_bytes(), VALID.as_bytes());
}

#[test]
fn required_members() {
    for name in [
        "eventTime",
        "eventVersion",
        "awsRegion",
        "eventID",
        "eventSource",
        "eventName",
        "sourceIPAddress",
        "userIdentity",
        "eventType",
    ] {
        check(|r| drop(r.remove(name)), &format!("$.{name}"), Rule::Required);
    }
}

#[test]
fn event_time_format() {
    check(|r| r.insert("eventTime", s("2026-11-19 08:03:12")), "$.eventTime", Rule::InvalidFormat);
    check(|r| r.insert("eventTime", s("2026-02-30T08:03:12Z")), "$.eventTime", Rule::InvalidFormat);
    check(
        |r| r.insert("eventTime", s("2026-11-19T08:03:12+02:00")),
        "$.eventTime",
        Rule::InvalidFormat,
    );
    check(|r| r.insert("eventTime", num("1.666275403e+12")), "$.eventTime", Rule::WrongType);
}

#[test]
fn arns_accounts_regions_ids() {
    check(|r| set_identity(r, "arn", s("not-an-arn")), "$.userIdentity.arn", Rule::InvalidFormat);
    check(
        |r| set_identity(r, "accountId", s("2109876543210")),
        "$.userIdentity.accountId",
        Rule::InvalidFormat,
    );
    check(
        |r| r.insert("recipientAccountId", s("12345")),
        "$.recipientAccountId",
        Rule::InvalidFormat,
    );
    check(|r| r.insert("awsRegion", s("moon-1")), "$.awsRegion", Rule::InvalidFormat);
    check(|r| r.insert("eventID", s("has spaces in it")), "$.eventID", Rule::InvalidFormat);
    check(|r| r.insert("eventVersion", s("2.0")), "$.eventVersion", Rule::InvalidFormat);
    check(|r| r.insert("eventVersion", s("latest")), "$.eventVersion", Rule::InvalidFormat);
    check(
        |r| {
            r.insert(
                "resources",
                json::parse(br#"[{"ARN":"arn:aws:ec2:eu-central-1:21098765432:instance/i-1"}]"#)
                    .unwrap(),
            )
        },
        "$.resources[0].ARN",
        Rule::InvalidFormat,
    );
    check(
        |r| {
            r.insert(
                "resources",
                json::parse(br#"[{"ARN":"arn:aws:s3:::b"},{"accountId":"x"}]"#).unwrap(),
            )
        },
        "$.resources[1].accountId",
        Rule::InvalidFormat,
    );
    check(
        |r| {
            let mut identity = obj(r, "userIdentity");
            let mut context = obj(&mut identity, "sessionContext");
            let mut issuer = obj(&mut context, "sessionIssuer");
            issuer.insert("arn", s("arn:aws:iam::210987654321"));
            context.insert("sessionIssuer", Value::Object(issuer));
            identity.insert("sessionContext", Value::Object(context));
            r.insert("userIdentity", Value::Object(identity));
        },
        "$.userIdentity.sessionContext.sessionIssuer.arn",
        Rule::InvalidFormat,
    );
}

#[test]
fn wrong_types() {
    check(|r| r.insert("readOnly", s("true")), "$.readOnly", Rule::WrongType);
    check(|r| r.insert("managementEvent", s("True")), "$.managementEvent", Rule::WrongType);
    check(|r| r.insert("requestParameters", s("{}")), "$.requestParameters", Rule::WrongType);
    check(|r| r.insert("resources", Value::Object(Object::new())), "$.resources", Rule::WrongType);
    check(|r| r.insert("userIdentity", s("root")), "$.userIdentity", Rule::WrongType);
    check(|r| r.insert("sourceIPAddress", num("3232235777")), "$.sourceIPAddress", Rule::WrongType);
    check(
        |r| r.insert("sessionCredentialFromConsole", Value::Bool(true)),
        "$.sessionCredentialFromConsole",
        Rule::WrongType,
    );
    check(
        |r| r.insert("additionalEventData", Value::Array(vec![])),
        "$.additionalEventData",
        Rule::WrongType,
    );
}

#[test]
fn enumerated_values() {
    check(|r| r.insert("eventType", s("AwsMagic")), "$.eventType", Rule::InvalidValue);
    check(|r| r.insert("eventCategory", s("management")), "$.eventCategory", Rule::InvalidValue);
    check(
        |r| r.insert("sessionCredentialFromConsole", s("false")),
        "$.sessionCredentialFromConsole",
        Rule::InvalidValue,
    );
    check(
        |r| {
            let mut identity = obj(r, "userIdentity");
            let mut context = obj(&mut identity, "sessionContext");
            context.insert("attributes", json::parse(br#"{"mfaAuthenticated":"yes"}"#).unwrap());
            identity.insert("sessionContext", Value::Object(context));
            r.insert("userIdentity", Value::Object(identity));
        },
        "$.userIdentity.sessionContext.attributes.mfaAuthenticated",
        Rule::InvalidValue,
    );
}

#[test]
fn insights_need_details() {
    check(
        |r| {
            r.insert("eventType", s("AwsCloudTrailInsight"));
            r.remove("userIdentity");
        },
        "$.insightDetails",
        Rule::Required,
    );
}

#[test]
fn duplicate_members() {
    check(|r| r.push("eventName", s("StopLogging")), "$.eventName", Rule::DuplicateMember);
    let mut identity = valid();
    let mut ui = obj(&mut identity, "userIdentity");
    ui.push("arn", s("arn:aws:iam::210987654321:root"));
    identity.insert("userIdentity", Value::Object(ui));
    check_bytes(
        Value::Object(identity).to_json().as_bytes(),
        "$.userIdentity.arn",
        Rule::DuplicateMember,
    );
}

#[test]
fn sizes() {
    let big = "x".repeat(300 * 1024);
    check(
        |r| {
            r.insert(
                "requestParameters",
                json::parse(format!(r#"{{"blob":"{big}"}}"#).as_bytes()).unwrap(),
            )
        },
        "$",
        Rule::TooLarge,
    );
    let medium = "x".repeat(120 * 1024);
    check(
        |r| {
            r.insert(
                "requestParameters",
                json::parse(format!(r#"{{"blob":"{medium}"}}"#).as_bytes()).unwrap(),
            )
        },
        "$.requestParameters",
        Rule::TooLarge,
    );
    let small = "x".repeat(30 * 1024);
    check(
        |r| {
            r.insert(
                "additionalEventData",
                json::parse(format!(r#"{{"blob":"{small}"}}"#).as_bytes()).unwrap(),
            )
        },
        "$.additionalEventData",
        Rule::TooLarge,
    );
    check(|r| r.insert("userAgent", s(&"a".repeat(1025))), "$.userAgent", Rule::TooLarge);
    check(|r| r.insert("errorMessage", s(&"e".repeat(2000))), "$.errorMessage", Rule::TooLarge);
}

#[test]
fn broken_json() {
    let mut bad_utf8 = VALID.as_bytes().to_vec();
    let at = VALID.find("TerminateInstances").unwrap();
    bad_utf8[at] = 0xff;
    check_bytes(&bad_utf8, "$.eventName", Rule::InvalidJson);
    let cut = VALID.find("i-0a1b2c3d4e5f60718").unwrap();
    check_bytes(
        &VALID.as_bytes()[..cut],
        "$.requestParameters.instancesSet.items[0].instanceId",
        Rule::InvalidJson,
    );
    check_bytes(b"[1,2,3]", "$", Rule::NotAnObject);
    check_bytes(b"\"a record\"", "$", Rule::NotAnObject);
    check_bytes(b"", "$", Rule::InvalidJson);
    let deep = format!(r#"{{"requestParameters":{}1{}}}"#, "[".repeat(500), "]".repeat(500));
    let invalid = parse_and_validate(deep.as_bytes()).unwrap_err();
    assert_eq!(invalid.0[0].rule, Rule::InvalidJson);
    assert!(invalid.0[0].message.contains("nesting deeper than 128 levels"), "{invalid}");
    check_bytes(br#"{"eventName":"a\x"}"#, "$.eventName", Rule::InvalidJson);
    check_bytes(br#"{"eventName":"a" "eventSource":"b"}"#, "$", Rule::InvalidJson);
}
