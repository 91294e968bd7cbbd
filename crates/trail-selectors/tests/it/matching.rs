//! Which records a trail's selectors take: one table of (selectors, record, expected).

use crate::put_event_selectors;
use crate::records::{self, *};

fn basic(selectors: &str) -> String {
    format!(r#"{{"TrailName":"t","EventSelectors":{selectors}}}"#)
}

fn advanced(selectors: &str) -> String {
    format!(r#"{{"TrailName":"t","AdvancedEventSelectors":{selectors}}}"#)
}

#[test]
fn matching_table() {
    let default = basic(r#"[{"ReadWriteType":"All","IncludeManagementEvents":true}]"#);
    let read_only = basic(r#"[{"ReadWriteType":"ReadOnly"}]"#);
    let write_only = basic(r#"[{"ReadWriteType":"WriteOnly"}]"#);
    let no_kms = basic(r#"[{"ExcludeManagementEventSources":["kms.amazonaws.com"]}]"#);
    let no_rdsdata = basic(r#"[{"ExcludeManagementEventSources":["rdsdata.amazonaws.com"]}]"#);
    let bucket = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]"#,
    );
    let images = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/images/"]}]}]"#,
    );
    let docs = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/docs/"]}]}]"#,
    );
    let all_s3 = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#,
    );
    let all_s3_reads = basic(
        r#"[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#,
    );
    let helloworld = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-west-2:111111111111:function:helloworld"]}]}]"#,
    );
    let all_lambda = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}]}]"#,
    );
    let music = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb:us-east-1:123456789012:table/Music"]}]}]"#,
    );
    let movies = basic(
        r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb:us-east-1:123456789012:table/Movies"]}]}]"#,
    );
    let everything_basic = basic(
        r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]},{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]},{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb"]}]}]"#,
    );
    let two_selectors = basic(
        r#"[{"ReadWriteType":"WriteOnly","ExcludeManagementEventSources":["kms.amazonaws.com"]},{"ReadWriteType":"ReadOnly","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]"#,
    );

    let adv_management =
        advanced(r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]"#);
    let adv_writes = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]"#,
    );
    let adv_no_kms = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}]"#,
    );
    let adv_s3 = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]"#,
    );
    let adv_bucket = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]"#,
    );
    let adv_not_bucket = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]"#,
    );
    let adv_not_get = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","NotEquals":["GetObject","HeadObject"]}]}]"#,
    );
    let adv_put_delete = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","Equals":["PutObject","DeleteObject"]}]}]"#,
    );
    let adv_get_object_and = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","StartsWith":["Get"],"EndsWith":["Object"]}]}]"#,
    );
    let adv_function = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]},{"Field":"resources.ARN","Equals":["arn:aws:lambda:us-west-2:111111111111:function:helloworld"]}]}]"#,
    );
    let adv_console = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"sessionCredentialFromConsole","Equals":["true"]}]}]"#,
    );
    let adv_humans = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"userIdentity.arn","StartsWith":["arn:aws:sts::123456789012:assumed-role/HumanRole/"]}]}]"#,
    );
    let adv_data_reads = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]},{"Field":"readOnly","Equals":["true"]}]}]"#,
    );
    let adv_vpce = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["ec2.amazonaws.com"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]}]}]"#,
    );
    let adv_vpce_other_endpoint = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["ec2.amazonaws.com"]},{"Field":"vpcEndpointId","NotEquals":["vpce-0123456789abcdef0"]}]}]"#,
    );
    let adv_mgmt_or_data = advanced(
        r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]"#,
    );

    let cases: Vec<(&str, &String, &str, bool)> = vec![
        // Basic: management events by ReadWriteType.
        ("default takes writes", &default, EC2_RUN_INSTANCES, true),
        ("default takes reads", &default, EC2_DESCRIBE_INSTANCES, true),
        ("default takes console sign-in", &default, CONSOLE_LOGIN, true),
        ("default takes no data events", &default, S3_GET_OBJECT, false),
        ("default takes no network activity", &default, VPCE_ACCESS_DENIED, false),
        ("ReadOnly takes reads", &read_only, EC2_DESCRIBE_INSTANCES, true),
        ("ReadOnly drops writes", &read_only, EC2_RUN_INSTANCES, false),
        ("WriteOnly takes writes", &write_only, EC2_RUN_INSTANCES, true),
        ("WriteOnly drops reads", &write_only, EC2_DESCRIBE_INSTANCES, false),
        (
            "WriteOnly classifies a record without readOnly",
            &write_only,
            KMS_DELETE_KEY_SERVICE_EVENT,
            true,
        ),
        // Basic: exclusions.
        ("kms excluded", &no_kms, KMS_DECRYPT, false),
        ("kms exclusion keeps others", &no_kms, EC2_RUN_INSTANCES, true),
        ("kms exclusion keeps rdsdata", &no_kms, RDSDATA_EXECUTE_STATEMENT, true),
        ("rdsdata excluded", &no_rdsdata, RDSDATA_EXECUTE_STATEMENT, false),
        ("rdsdata exclusion keeps kms", &no_rdsdata, KMS_DECRYPT, true),
        // Basic: S3 data resources.
        ("bucket prefix takes its objects", &bucket, S3_GET_OBJECT, true),
        ("bucket prefix drops a longer bucket name", &bucket, S3_PUT_OBJECT_OTHER_BUCKET, false),
        ("bucket prefix drops management", &bucket, EC2_RUN_INSTANCES, false),
        ("key prefix takes matching keys", &images, S3_GET_OBJECT, true),
        ("key prefix drops other keys", &docs, S3_GET_OBJECT, false),
        ("all S3 takes any bucket", &all_s3, S3_PUT_OBJECT_OTHER_BUCKET, true),
        ("all S3 drops lambda", &all_s3, LAMBDA_INVOKE_HELLOWORLD, false),
        ("all S3 reads drop writes", &all_s3_reads, S3_PUT_OBJECT_OTHER_BUCKET, false),
        ("all S3 reads take reads", &all_s3_reads, S3_GET_OBJECT, true),
        // Basic: Lambda and DynamoDB.
        ("function ARN takes its invocations", &helloworld, LAMBDA_INVOKE_HELLOWORLD, true),
        ("function ARN is exact, not a prefix", &helloworld, LAMBDA_INVOKE_HELLOWORLD2, false),
        ("all functions", &all_lambda, LAMBDA_INVOKE_HELLOWORLD2, true),
        ("table ARN takes its table", &music, DYNAMODB_GET_ITEM, true),
        ("table ARN drops other tables", &movies, DYNAMODB_GET_ITEM, false),
        ("any of two selectors: write management", &two_selectors, EC2_RUN_INSTANCES, true),
        ("any of two selectors: kms write excluded, read data", &two_selectors, KMS_DECRYPT, false),
        ("any of two selectors: bucket reads", &two_selectors, S3_GET_OBJECT, true),
        // Insights are never taken by event selectors.
        ("basic never takes insights", &everything_basic, INSIGHT_START, false),
        ("basic everything takes dynamodb", &everything_basic, DYNAMODB_GET_ITEM, true),
        // Advanced.
        ("adv management", &adv_management, EC2_DESCRIBE_INSTANCES, true),
        ("adv management drops data", &adv_management, S3_GET_OBJECT, false),
        ("adv management never takes insights", &adv_management, INSIGHT_START, false),
        ("adv readOnly=false takes writes", &adv_writes, EC2_RUN_INSTANCES, true),
        ("adv readOnly=false drops reads", &adv_writes, EC2_DESCRIBE_INSTANCES, false),
        ("adv eventSource NotEquals kms", &adv_no_kms, KMS_DECRYPT, false),
        ("adv eventSource NotEquals kms keeps ec2", &adv_no_kms, EC2_RUN_INSTANCES, true),
        ("adv S3 objects", &adv_s3, S3_PUT_OBJECT_OTHER_BUCKET, true),
        ("adv S3 objects drop lambda", &adv_s3, LAMBDA_INVOKE_HELLOWORLD, false),
        ("adv ARN StartsWith takes the bucket", &adv_bucket, S3_GET_OBJECT, true),
        ("adv ARN StartsWith drops other buckets", &adv_bucket, S3_PUT_OBJECT_OTHER_BUCKET, false),
        (
            "adv ARN NotStartsWith drops the bucket despite its bucket resource",
            &adv_not_bucket,
            S3_GET_OBJECT,
            false,
        ),
        (
            "adv ARN NotStartsWith takes other buckets",
            &adv_not_bucket,
            S3_PUT_OBJECT_OTHER_BUCKET,
            true,
        ),
        ("adv eventName NotEquals drops GetObject", &adv_not_get, S3_GET_OBJECT, false),
        ("adv eventName NotEquals takes PutObject", &adv_not_get, S3_PUT_OBJECT_OTHER_BUCKET, true),
        (
            "adv eventName Equals values are alternatives",
            &adv_put_delete,
            S3_PUT_OBJECT_OTHER_BUCKET,
            true,
        ),
        ("adv StartsWith and EndsWith both hold", &adv_get_object_and, S3_GET_OBJECT, true),
        (
            "adv StartsWith and EndsWith: one fails",
            &adv_get_object_and,
            S3_PUT_OBJECT_OTHER_BUCKET,
            false,
        ),
        ("adv function ARN Equals", &adv_function, LAMBDA_INVOKE_HELLOWORLD, true),
        (
            "adv function ARN Equals drops helloworld2",
            &adv_function,
            LAMBDA_INVOKE_HELLOWORLD2,
            false,
        ),
        ("adv console sessions", &adv_console, S3_GET_OBJECT_CONSOLE, true),
        ("adv console sessions drop sdk calls", &adv_console, S3_GET_OBJECT, false),
        ("adv userIdentity.arn", &adv_humans, S3_GET_OBJECT_CONSOLE, true),
        ("adv userIdentity.arn drops other roles", &adv_humans, S3_GET_OBJECT, false),
        ("adv data readOnly=true", &adv_data_reads, DYNAMODB_GET_ITEM, true),
        ("adv errorCode VpceAccessDenied", &adv_vpce, VPCE_ACCESS_DENIED, true),
        ("adv network activity drops management", &adv_vpce, EC2_DESCRIBE_INSTANCES, false),
        ("adv vpcEndpointId NotEquals", &adv_vpce_other_endpoint, VPCE_ACCESS_DENIED, false),
        ("adv any selector: management", &adv_mgmt_or_data, CONSOLE_LOGIN, true),
        ("adv any selector: data", &adv_mgmt_or_data, S3_GET_OBJECT, true),
        ("adv any selector: not network activity", &adv_mgmt_or_data, VPCE_ACCESS_DENIED, false),
        ("adv any selector: never insights", &adv_mgmt_or_data, INSIGHT_START, false),
    ];
    assert!(cases.len() >= 30);
    for (label, body, record, expected) in cases {
        let selectors = put_event_selectors(body)
            .unwrap_or_else(|err| panic!("{label}: selectors rejected: {err}\n{body}"));
        let record = records::parse(record);
        assert_eq!(selectors.matches(&record), expected, "{label}");
    }
}

/// The AWS CLI's advanced example: all management events, S3 writes outside one bucket, one
/// Lambda function and one SNS topic.
#[test]
fn cli_example_selectors() {
    let selectors = put_event_selectors(&advanced(
        r#"[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"Name":"Log PutObject and DeleteObject events for all but one bucket","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","Equals":["PutObject","DeleteObject"]},{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]},{"Name":"Log data events for a specific Lambda function","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]},{"Field":"resources.ARN","Equals":["arn:aws:lambda:us-west-2:111111111111:function:helloworld"]}]}]"#,
    ))
    .expect("valid");
    for (record, expected) in [
        (EC2_RUN_INSTANCES, true),
        (KMS_DECRYPT, true),
        (S3_GET_OBJECT, false),
        (S3_PUT_OBJECT_OTHER_BUCKET, true),
        (LAMBDA_INVOKE_HELLOWORLD, true),
        (LAMBDA_INVOKE_HELLOWORLD2, false),
        (DYNAMODB_GET_ITEM, false),
        (INSIGHT_START, false),
    ] {
        assert_eq!(selectors.matches(&records::parse(record)), expected, "{record}");
    }
}
