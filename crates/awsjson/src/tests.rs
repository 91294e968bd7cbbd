use super::*;

#[test]
fn operations_from_targets() {
    let op = operation(
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail"),
        CLOUDTRAIL_TARGET_PREFIX,
    );
    assert_eq!(op, Ok("CreateTrail"));
    // The Go, JavaScript, .NET and Java SDKs send the short form.
    assert_eq!(
        operation(Some("CloudTrail_20131101.CreateTrail"), CLOUDTRAIL_TARGET_PREFIX),
        Ok("CreateTrail")
    );
    assert!(is_cloudtrail_target("CloudTrail_20131101.ListTrails"));
    assert!(!is_cloudtrail_target("DynamoDB_20120810.ListTables"));
    for bad in [
        None,
        Some("CreateTrail"),
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."),
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.A.B"),
    ] {
        assert_eq!(
            operation(bad, CLOUDTRAIL_TARGET_PREFIX).unwrap_err().code,
            "UnknownOperationException",
            "{bad:?}"
        );
    }
}

#[test]
fn members_are_read_by_type() {
    let input = Input::parse(
        br#"{"Name":"t","Flag":true,"N":3,"T":1704164645.5,"L":["a"],"Bad":1,"Null":null}"#,
    )
    .unwrap();
    assert_eq!(input.string("Name"), Ok(Some("t")));
    assert_eq!(input.bool("Flag"), Ok(Some(true)));
    assert_eq!(input.integer("N"), Ok(Some(3)));
    assert_eq!(input.timestamp_ms("T"), Ok(Some(1_704_164_645_500)));
    assert_eq!(input.string_list("L"), Ok(Some(vec!["a"])));
    assert_eq!(input.string("Null"), Ok(None));
    let err = input.string("Bad").unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        ("SerializationException", "`Bad` must be a string, found a number")
    );
    assert_eq!(
        input.required_string("Missing", "TrailNotProvidedException").unwrap_err().code,
        "TrailNotProvidedException"
    );
    assert!(Input::parse(b"").unwrap().members().is_empty());
    assert_eq!(Input::parse(b"[1]").unwrap_err().code, "SerializationException");
    assert_eq!(Input::parse(b"{").unwrap_err().code, "SerializationException");
}

#[test]
fn timestamps_are_epoch_numbers() {
    assert_eq!(epoch_seconds(1_732_101_234_000).to_string(), "1732101234");
    assert_eq!(epoch_seconds(1_732_101_234_567).to_string(), "1732101234.567");
}
