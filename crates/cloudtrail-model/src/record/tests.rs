use super::*;

fn check_roundtrip(input: &str) {
    let record = Record::parse(input.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(record.to_json_bytes()).unwrap(), input);
}

#[test]
fn roundtrip_keeps_order_unknown_members_and_wrong_types() {
    check_roundtrip(
        r#"{"zzz":1,"eventName":"X","p_any":{"a":[1.50,"b"]},"eventVersion":"1.08","managementEvent":"True","eventName":"dup"}"#,
    );
    check_roundtrip(
        r#"{"userIdentity":{"sessionContext":{"sessionIssuer":{},"attributes":{"mfaAuthenticated":"true","x":0}},"type":"IAMUser"},"resources":[{"ARN":"a","weird":null},7]}"#,
    );
}

#[test]
fn typed_access_and_mistyped_fields() {
    let record = Record::parse(br#"{"managementEvent":"True","readOnly":true,"userIdentity":{"type":"Root"},"eventVersion":"1.09"}"#).unwrap();
    assert!(matches!(record.management_event, Field::Mistyped(Value::String(_))));
    assert_eq!(record.read_only.get(), Some(&true));
    assert_eq!(record.identity_type(), Some(IdentityType::Root));
    assert_eq!(record.version(), Some(EventVersion { major: 1, minor: 9 }));
}

#[test]
fn fields_set_later_are_written_after_parsed_ones() {
    let mut record = Record::parse(br#"{"eventName":"X","other":1}"#).unwrap();
    record.event_id = Field::Present("id-1".into());
    record.event_name = Field::Present("Y".into());
    record.push_extra("added", Value::Bool(true));
    assert_eq!(
        String::from_utf8(record.to_json_bytes()).unwrap(),
        r#"{"eventName":"Y","other":1,"eventID":"id-1","added":true}"#
    );
    record.event_name = Field::Absent;
    assert_eq!(record.member_names(), ["other", "eventID", "added"]);
}

#[test]
fn event_versions_compare_numerically() {
    let v = |s| EventVersion::parse(s).unwrap();
    assert!(v("1.09") < v("1.10"));
    assert!(v("1.0") < v("1.01"));
    assert_eq!(v("1.05").to_string(), "1.05");
    assert_eq!(v("1.0").to_string(), "1.0");
    assert_eq!(EventVersion::parse("1.123"), None);
    assert_eq!(EventVersion::parse("one"), None);
}

#[test]
fn log_file_requires_records() {
    assert_eq!(LogFile::parse(br#"{"Records":[{"a":1}]}"#).unwrap().records().len(), 1);
    assert_eq!(LogFile::parse(br#"{"records":[]}"#).unwrap_err(), Error::NoRecords);
    assert!(matches!(LogFile::parse(b"[]").unwrap_err(), Error::NotAnObject { found: "array" }));
}
