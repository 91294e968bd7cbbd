//! Request → validation → storage → response, against golden strings in AWS's shapes.

use cloudtrail_model::json::{Object, Value};
use trail_selectors::Selectors;

use crate::{parse_json, put_event_selectors};

const TRAIL_ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/TrailName";

/// The GetEventSelectors response body a server builds from these selectors.
fn response(selectors: &Selectors) -> String {
    let mut object = Object::new();
    object.push("TrailARN", Value::from(TRAIL_ARN));
    for (name, value) in selectors.to_response_members() {
        object.push(name, value);
    }
    Value::Object(object).to_json()
}

/// Runs the whole path and checks both golden strings; then feeds the response back as a
/// request (what `aws cloudtrail get-event-selectors | put-event-selectors` does) and checks
/// nothing changes.
fn check(request: &str, storage: &str, expected_response: &str) {
    let selectors = put_event_selectors(request).unwrap_or_else(|err| panic!("{err}"));
    let stored = selectors.to_storage();
    assert_eq!(stored, storage);
    let loaded = Selectors::from_storage(&stored).expect("loads");
    assert_eq!(loaded, selectors);
    let body = response(&loaded);
    assert_eq!(body, expected_response);

    let echoed = parse_json(&body);
    let echoed = echoed.as_object().expect("object");
    let again =
        Selectors::from_request(echoed.get("EventSelectors"), echoed.get("AdvancedEventSelectors"))
            .expect("a response is a valid request");
    assert_eq!(again, selectors);
}

#[test]
fn default_trail() {
    let selectors = Selectors::default_for_new_trail();
    assert_eq!(
        response(&selectors),
        r#"{"TrailARN":"arn:aws:cloudtrail:us-east-1:123456789012:trail/TrailName","EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]}"#
    );
    assert_eq!(
        selectors.to_storage(),
        r#"{"version":1,"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]}"#
    );
}

#[test]
fn basic_with_defaults_filled_in() {
    check(
        r#"{"TrailName":"TrailName","EventSelectors":[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/prefix","arn:aws:s3:::amzn-s3-demo-bucket2/prefix2"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function"]}]},{"IncludeManagementEvents":false,"ReadWriteType":"ReadOnly","DataResources":[{"Values":["arn:aws:dynamodb"],"Type":"AWS::DynamoDB::Table"}]},{"ExcludeManagementEventSources":["kms.amazonaws.com"],"ReadWriteType":"WriteOnly"}]}"#,
        r#"{"version":1,"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/prefix","arn:aws:s3:::amzn-s3-demo-bucket2/prefix2"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function"]}],"ExcludeManagementEventSources":[]},{"ReadWriteType":"ReadOnly","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb"]}],"ExcludeManagementEventSources":[]},{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":["kms.amazonaws.com"]}]}"#,
        r#"{"TrailARN":"arn:aws:cloudtrail:us-east-1:123456789012:trail/TrailName","EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/prefix","arn:aws:s3:::amzn-s3-demo-bucket2/prefix2"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function"]}],"ExcludeManagementEventSources":[]},{"ReadWriteType":"ReadOnly","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb"]}],"ExcludeManagementEventSources":[]},{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":["kms.amazonaws.com"]}]}"#,
    );
}

#[test]
fn advanced_operators_in_model_order_and_name_only_when_given() {
    check(
        r#"{"TrailName":"TrailName","AdvancedEventSelectors":[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"FieldSelectors":[{"NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"],"Field":"resources.ARN"},{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"NotEquals":["GetObjectAcl"],"Field":"eventName","StartsWith":["Get"],"EndsWith":["Object","ObjectAcl"]}]},{"Name":"","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]}]}"#,
        r#"{"version":1,"AdvancedEventSelectors":[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"FieldSelectors":[{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]},{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","StartsWith":["Get"],"EndsWith":["Object","ObjectAcl"],"NotEquals":["GetObjectAcl"]}]},{"Name":"","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]}]}"#,
        r#"{"TrailARN":"arn:aws:cloudtrail:us-east-1:123456789012:trail/TrailName","AdvancedEventSelectors":[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"FieldSelectors":[{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]},{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","StartsWith":["Get"],"EndsWith":["Object","ObjectAcl"],"NotEquals":["GetObjectAcl"]}]},{"Name":"","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]}]}"#,
    );
}

#[test]
fn strings_with_escapes_survive_storage() {
    check(
        r#"{"TrailName":"t","AdvancedEventSelectors":[{"Name":"quote \" slash \\ tab \t ünï 😀","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/ключ/\u0001"]}]}]}"#,
        "{\"version\":1,\"AdvancedEventSelectors\":[{\"Name\":\"quote \\\" slash \\\\ tab \\t ünï 😀\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},{\"Field\":\"resources.ARN\",\"StartsWith\":[\"arn:aws:s3:::amzn-s3-demo-bucket/ключ/\\u0001\"]}]}]}",
        "{\"TrailARN\":\"arn:aws:cloudtrail:us-east-1:123456789012:trail/TrailName\",\"AdvancedEventSelectors\":[{\"Name\":\"quote \\\" slash \\\\ tab \\t ünï 😀\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},{\"Field\":\"resources.ARN\",\"StartsWith\":[\"arn:aws:s3:::amzn-s3-demo-bucket/ключ/\\u0001\"]}]}]}",
    );
}

/// Putting one kind replaces the other: the response carries only the kind put.
#[test]
fn response_carries_only_the_kind_configured() {
    let basic = Selectors::default_for_new_trail();
    let names: Vec<&str> = basic.to_response_members().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["EventSelectors"]);
    let advanced = put_event_selectors(
        r#"{"TrailName":"t","AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}"#,
    )
    .expect("valid");
    let names: Vec<&str> = advanced.to_response_members().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["AdvancedEventSelectors"]);
    assert!(!advanced.is_default_for_new_trail());
}
