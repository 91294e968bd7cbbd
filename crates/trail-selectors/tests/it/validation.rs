//! PutEventSelectors validation: one table of requests, valid and invalid, with the AWS error
//! code and a fragment of the message (which names the offending member by path).

use trail_selectors::{INVALID_EVENT_SELECTORS, SERIALIZATION, Selectors};

use crate::put_event_selectors;

enum Expect {
    Valid,
    Invalid(&'static str, &'static str),
}

use Expect::{Invalid, Valid};

const IES: &str = INVALID_EVENT_SELECTORS;

fn check(label: &str, body: &str, expect: &Expect) {
    let got = put_event_selectors(body);
    match (expect, got) {
        (Valid, Ok(selectors)) => assert_eq!(selectors.validate(), Ok(()), "{label}"),
        (Valid, Err(err)) => panic!("{label}: expected valid, got {err:?}\n{body}"),
        (Invalid(code, fragment), Ok(selectors)) => {
            panic!("{label}: expected {code} `{fragment}`, got {selectors:?}")
        }
        (Invalid(code, fragment), Err(err)) => {
            assert_eq!(err.code, *code, "{label}: {}", err.message);
            assert!(
                err.message.contains(fragment),
                "{label}: message `{}` lacks `{fragment}`",
                err.message
            );
            assert_eq!(err.http_status(), 400);
            // Messages are lower-case sentences without a trailing period.
            assert!(!err.message.ends_with('.'), "{label}: {}", err.message);
            let first = err.message.chars().next().unwrap_or('x');
            assert!(!first.is_uppercase(), "{label}: {}", err.message);
        }
    }
}

fn basic(selectors: &str) -> String {
    format!(r#"{{"TrailName":"management-trail","EventSelectors":{selectors}}}"#)
}

fn advanced(selectors: &str) -> String {
    format!(r#"{{"TrailName":"management-trail","AdvancedEventSelectors":{selectors}}}"#)
}

fn s3_values(n: usize) -> String {
    let values: Vec<String> =
        (0..n).map(|idx| format!(r#""arn:aws:s3:::amzn-s3-demo-bucket-{idx}/""#)).collect();
    values.join(",")
}

/// One data selector with `n` values in one `resources.ARN` `StartsWith` (3 more values are the
/// category, type and nothing else: total `n + 2`).
fn advanced_with_arn_values(n: usize) -> String {
    let values: Vec<String> =
        (0..n).map(|idx| format!(r#""arn:aws:s3:::amzn-s3-demo-bucket-{idx}/""#)).collect();
    advanced(&format!(
        r#"[{{"FieldSelectors":[{{"Field":"eventCategory","Equals":["Data"]}},{{"Field":"resources.type","Equals":["AWS::S3::Object"]}},{{"Field":"resources.ARN","StartsWith":[{}]}}]}}]"#,
        values.join(",")
    ))
}

#[test]
fn validation_table() {
    let six_selectors = basic(&format!("[{}]", ["{}"; 6].join(",")));
    let five_selectors = basic(&format!("[{}]", ["{}"; 5].join(",")));
    let values_250 = basic(&format!(
        r#"[{{"DataResources":[{{"Type":"AWS::S3::Object","Values":[{}]}}]}}]"#,
        s3_values(250)
    ));
    let values_251 = basic(&format!(
        r#"[{{"DataResources":[{{"Type":"AWS::S3::Object","Values":[{}]}}]}},{{"DataResources":[{{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:111111111111:function:helloworld"]}}]}}]"#,
        s3_values(250)
    ));
    let values_250_and_all = basic(&format!(
        r#"[{{"DataResources":[{{"Type":"AWS::S3::Object","Values":[{},"arn:aws:s3"]}},{{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}}]}}]"#,
        s3_values(250)
    ));
    let name_1000 = advanced(&format!(
        r#"[{{"Name":"{}","FieldSelectors":[{{"Field":"eventCategory","Equals":["Management"]}}]}}]"#,
        "n".repeat(1000)
    ));
    let name_1001 = advanced(&format!(
        r#"[{{"Name":"{}","FieldSelectors":[{{"Field":"eventCategory","Equals":["Management"]}}]}}]"#,
        "é".repeat(1001)
    ));
    let long_value = advanced(&format!(
        r#"[{{"FieldSelectors":[{{"Field":"eventCategory","Equals":["Data"]}},{{"Field":"resources.type","Equals":["AWS::S3::Object"]}},{{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::b/{}"]}}]}}]"#,
        "k".repeat(2048)
    ));

    let cases: Vec<(&str, String, Expect)> = vec![
        // --- which member ---
        ("both given", r#"{"TrailName":"t","EventSelectors":[{}],"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}"#.into(), Invalid(IES, "`EventSelectors` and `AdvancedEventSelectors` were both given")),
        ("neither given", r#"{"TrailName":"t"}"#.into(), Invalid(IES, "neither `EventSelectors` nor `AdvancedEventSelectors`")),
        ("null counts as absent", r#"{"TrailName":"t","EventSelectors":null,"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}"#.into(), Valid),
        ("both null", r#"{"TrailName":"t","EventSelectors":null,"AdvancedEventSelectors":null}"#.into(), Invalid(IES, "neither")),
        // --- basic: valid ---
        ("basic default", basic(r#"[{"ReadWriteType":"All","IncludeManagementEvents":true}]"#), Valid),
        ("basic all defaults", basic("[{}]"), Valid),
        ("basic cli example 2", basic(r#"[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/prefix","arn:aws:s3:::amzn-s3-demo-bucket2/prefix2"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function"]}]}]"#), Valid),
        ("basic cli example 3", basic(r#"[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}]}]"#), Valid),
        ("basic dynamodb", basic(r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb","arn:aws:dynamodb:us-east-1:123456789012:table/Music"]}]}]"#), Valid),
        ("basic exclusions", basic(r#"[{"ReadWriteType":"WriteOnly","ExcludeManagementEventSources":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]"#), Valid),
        ("basic legacy all buckets", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::"]}]}]"#), Valid),
        ("basic china partition", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws-cn:s3:::amzn-s3-demo-bucket/"]}]}]"#), Valid),
        ("basic unknown member ignored", basic(r#"[{"ReadWriteType":"ReadOnly","Future":1}]"#), Valid),
        ("basic 5 selectors", five_selectors, Valid),
        ("basic 250 values", values_250, Valid),
        ("basic whole-service values do not count", values_250_and_all, Valid),
        // --- basic: invalid ---
        ("basic empty list", basic("[]"), Invalid(IES, "`EventSelectors` has 0 selectors; a trail takes 1 to 5")),
        ("basic 6 selectors", six_selectors, Invalid(IES, "`EventSelectors` has 6 selectors")),
        ("basic 251 values", values_251, Invalid(IES, "251 data resource values; a trail takes at most 250")),
        ("unknown ReadWriteType", basic(r#"[{},{"ReadWriteType":"read-only"}]"#), Invalid(IES, "`EventSelectors[1].ReadWriteType` is `read-only`")),
        ("ReadWriteType wrong case", basic(r#"[{"ReadWriteType":"all"}]"#), Invalid(IES, "`EventSelectors[0].ReadWriteType` is `all`")),
        ("unknown data resource type", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Bucket","Values":["arn:aws:s3"]}]}]"#), Invalid(IES, "`EventSelectors[0].DataResources[0].Type` is `AWS::S3::Bucket`")),
        ("missing data resource type", basic(r#"[{"DataResources":[{"Values":["arn:aws:s3"]}]}]"#), Invalid(IES, "`EventSelectors[0].DataResources[0].Type` is missing")),
        ("s3 wildcard bucket", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::*"]}]}]"#), Invalid(IES, "value `arn:aws:s3:::*` for `EventSelectors[0].DataResources[0].Values[0]` is invalid")),
        ("s3 bucket without slash", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/","arn:aws:s3:::amzn-s3-demo-bucket"]}]}]"#), Invalid(IES, "value `arn:aws:s3:::amzn-s3-demo-bucket` for `EventSelectors[0].DataResources[0].Values[1]`")),
        ("s3 bucket name without arn", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["amzn-s3-demo-bucket/"]}]}]"#), Invalid(IES, "value `amzn-s3-demo-bucket/`")),
        ("lambda wildcard", basic(r#"[{"DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:*"]}]}]"#), Invalid(IES, "value `arn:aws:lambda:*` for `EventSelectors[0].DataResources[0].Values[0]`")),
        ("lambda value for s3 type", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:lambda"]}]}]"#), Invalid(IES, "value `arn:aws:lambda`")),
        ("management off and no data", basic(r#"[{"IncludeManagementEvents":false}]"#), Invalid(IES, "when `IncludeManagementEvents` is false, `DataResources` must not be empty")),
        ("exclusion of other source", basic(r#"[{"ExcludeManagementEventSources":["s3.amazonaws.com"]}]"#), Invalid(IES, "`EventSelectors[0].ExcludeManagementEventSources[0]` is `s3.amazonaws.com`")),
        ("exclusion without management", basic(r#"[{"IncludeManagementEvents":false,"ExcludeManagementEventSources":["kms.amazonaws.com"],"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#), Invalid(IES, "`ExcludeManagementEventSources` needs `IncludeManagementEvents` true")),
        ("boolean as string", basic(r#"[{"IncludeManagementEvents":"true"}]"#), Invalid(SERIALIZATION, "`EventSelectors[0].IncludeManagementEvents` must be a boolean, found string")),
        ("selectors not a list", basic(r#"{"ReadWriteType":"All"}"#), Invalid(SERIALIZATION, "`EventSelectors` must be an array, found object")),
        ("value not a string", basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3",7]}]}]"#), Invalid(SERIALIZATION, "`EventSelectors[0].DataResources[0].Values[1]` must be a string, found number")),
        // --- advanced: valid ---
        ("advanced cli example 1", advanced(r#"[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"Name":"Log PutObject and DeleteObject events for all but one bucket","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","Equals":["PutObject","DeleteObject"]},{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]},{"Name":"Log data events for a specific Lambda function","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]},{"Field":"resources.ARN","Equals":["arn:aws:lambda:us-east-1:123456789012:function:myFunction"]}]},{"Name":"Log all Publish API calls on a specific SNS topic","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::SNS::Topic"]},{"Field":"eventName","Equals":["Publish"]},{"Field":"resources.ARN","Equals":["arn:aws:sns:us-east-1:123456789012:myTopic.fifo"]}]}]"#), Valid),
        ("advanced write management without kms", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]}]"#), Valid),
        ("advanced network activity", advanced(r#"[{"Name":"VPCE denials","FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["ec2.amazonaws.com","kms.amazonaws.com"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]},{"Field":"vpcEndpointId","NotEquals":["vpce-0123456789abcdef0"]},{"Field":"userIdentity.arn","StartsWith":["arn:aws:sts::123456789012:assumed-role/"]}]}]"#), Valid),
        ("advanced data, all data fields", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]},{"Field":"readOnly","Equals":["true"]},{"Field":"eventName","NotEquals":["Scan"],"StartsWith":["Get","Batch"]},{"Field":"eventSource","Equals":["dynamodb.amazonaws.com"]},{"Field":"eventType","NotEquals":["AwsServiceEvent"]},{"Field":"sessionCredentialFromConsole","NotEquals":["true"]},{"Field":"userIdentity.arn","EndsWith":["HumanRole"]},{"Field":"resources.ARN","StartsWith":["arn:aws:dynamodb:us-east-1:123456789012:table/"]}]}]"#), Valid),
        ("advanced 500 values", advanced_with_arn_values(498), Valid),
        ("advanced name 1000 chars", name_1000, Valid),
        ("advanced empty name", advanced(r#"[{"Name":"","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]"#), Valid),
        // --- advanced: invalid ---
        ("advanced empty list", advanced("[]"), Invalid(IES, "`AdvancedEventSelectors` is empty")),
        ("advanced without eventCategory", advanced(r#"[{"FieldSelectors":[{"Field":"readOnly","Equals":["true"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0]` has no `eventCategory` field selector")),
        ("advanced two eventCategory", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventCategory","Equals":["Data"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[1]` repeats `eventCategory`")),
        ("advanced eventCategory two values", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management","Data"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[0].Equals` has 2 values")),
        ("advanced eventCategory NotEquals", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","NotEquals":["Data"]}]}]"#), Invalid(IES, "operator `NotEquals` is not allowed for field `eventCategory`")),
        ("advanced insight category", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Insight"]}]}]"#), Invalid(IES, "is `Insight`, an event data store category")),
        ("advanced unknown category", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["management"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[0].Equals[0]` is `management`")),
        ("advanced unsupported field", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventTime","StartsWith":["2024"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[1].Field` is `eventTime`, which is not a supported field")),
        ("advanced field wrong case", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.arn","StartsWith":["arn:aws:s3:::b/"]}]}]"#), Invalid(IES, "`resources.arn`, which is not a supported field")),
        ("advanced field bad pattern", advanced(r#"[{"FieldSelectors":[{"Field":"event Name","Equals":["x"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[0].Field` is `event Name`; a field is 1 to 1000 characters")),
        ("advanced field not for management", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventName","Equals":["CreateTrail"]}]}]"#), Invalid(IES, "field `eventName` in `AdvancedEventSelectors[0].FieldSelectors[1]` is not supported for `Management` events on trails")),
        ("advanced readOnly StartsWith", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","StartsWith":["t"]}]}]"#), Invalid(IES, "operator `StartsWith` is not allowed for field `readOnly` in `AdvancedEventSelectors[0].FieldSelectors[1]`")),
        ("advanced readOnly yes", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["yes"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[1].Equals[0]` is `yes`; `readOnly` takes `true` or `false`")),
        ("advanced resources.type NotEquals", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","NotEquals":["AWS::S3::Object"]}]}]"#), Invalid(IES, "operator `NotEquals` is not allowed for field `resources.type`")),
        ("advanced management eventSource Equals", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","Equals":["iam.amazonaws.com"]}]}]"#), Invalid(IES, "operator `Equals` is not allowed for field `eventSource` in `AdvancedEventSelectors[0].FieldSelectors[1]` for `Management` events on trails")),
        ("advanced management eventSource other", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com","s3.amazonaws.com"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[1].NotEquals[1]` is `s3.amazonaws.com`")),
        ("advanced data without resources.type", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"eventName","Equals":["GetObject"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0]` selects `Data` events but has no `resources.type`")),
        ("advanced two resources.type", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[2]` repeats `resources.type`")),
        ("advanced resources.type two values", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object","AWS::Lambda::Function"]}]}]"#), Invalid(IES, "`resources.type` takes exactly one")),
        ("advanced resources.type malformed", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["S3 objects"]}]}]"#), Invalid(IES, "is `S3 objects`; `resources.type` takes a resource type")),
        ("advanced resources.ARN Equals not an ARN", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","Equals":["amzn-s3-demo-bucket"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[2].Equals[0]` is `amzn-s3-demo-bucket`")),
        ("advanced network activity without eventSource", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]}]}]"#), Invalid(IES, "selects `NetworkActivity` events but has no `eventSource`")),
        ("advanced errorCode other value", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["ec2.amazonaws.com"]},{"Field":"errorCode","Equals":["AccessDenied"]}]}]"#), Invalid(IES, "`errorCode` takes `VpceAccessDenied`")),
        ("advanced errorCode on data", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]}]}]"#), Invalid(IES, "field `errorCode` in `AdvancedEventSelectors[0].FieldSelectors[2]` is not supported for `Data` events")),
        ("advanced empty operator list", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":[]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[0].Equals` is empty")),
        ("advanced no operator", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"eventName"}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[1]` (field `eventName`) has no operator")),
        ("advanced empty value", advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","StartsWith":[""]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[2].StartsWith[0]` has 0 characters")),
        ("advanced value too long", long_value, Invalid(IES, "has 2063 characters; a value has 1 to 2048")),
        ("advanced 501 values", advanced_with_arn_values(499), Invalid(IES, "have 501 values in total; a trail takes at most 500")),
        ("advanced name too long", name_1001, Invalid(IES, "`AdvancedEventSelectors[0].Name` has 1001 characters; at most 1000")),
        ("advanced no field selectors", advanced(r#"[{"Name":"x","FieldSelectors":[]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors` is empty")),
        ("advanced missing field selectors", advanced(r#"[{"Name":"x"}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors` is missing")),
        ("advanced missing field", advanced(r#"[{"FieldSelectors":[{"Equals":["Data"]}]}]"#), Invalid(IES, "`AdvancedEventSelectors[0].FieldSelectors[0].Field` is missing")),
        ("advanced not a list", advanced(r#""all""#), Invalid(SERIALIZATION, "`AdvancedEventSelectors` must be an array, found string")),
        ("advanced name not a string", advanced(r#"[{"Name":1,"FieldSelectors":[]}]"#), Invalid(SERIALIZATION, "`AdvancedEventSelectors[0].Name` must be a string, found number")),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for (label, body, expect) in &cases {
        check(label, body, expect);
    }
}

#[test]
fn messages_quote_long_values_cut() {
    let value = format!("arn:aws:s3:::{}", "x".repeat(5000));
    let body = basic(&format!(
        r#"[{{"DataResources":[{{"Type":"AWS::S3::Object","Values":["{value}"]}}]}}]"#
    ));
    let err = put_event_selectors(&body).expect_err("too long");
    assert!(err.message.len() < 1000, "{}", err.message.len());
    assert!(err.message.contains('…'));
}

#[test]
fn omitted_members_get_aws_defaults() {
    let selectors = put_event_selectors(&basic(
        r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#,
    ))
    .expect("valid");
    let Selectors::Basic(list) = selectors else { panic!("basic") };
    assert_eq!(list[0].read_write_type, trail_selectors::ReadWriteType::All);
    assert!(list[0].include_management_events);
    assert!(list[0].exclude_management_event_sources.is_empty());
}
