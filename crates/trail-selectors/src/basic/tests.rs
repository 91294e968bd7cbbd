use super::*;

fn check_value_case(resource_type: &str, value: &str, expected: Option<ValueScope>) {
    let got = check_value(resource_type, value).ok();
    assert_eq!(got, expected, "{resource_type} {value:?}");
}

#[test]
fn data_resource_values() {
    use ValueScope::{Resources, Service};
    for (resource_type, value, expected) in [
        (S3_OBJECT, "arn:aws:s3", Some(Service)),
        (S3_OBJECT, "arn:aws:s3:::", Some(Service)),
        (S3_OBJECT, "arn:aws-cn:s3", Some(Service)),
        (S3_OBJECT, "arn:aws-us-gov:s3:::my-bucket/", Some(Resources)),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket1/", Some(Resources)),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket1/example-images", Some(Resources)),
        (S3_OBJECT, "arn:aws:s3:::my.bucket-1/a/b/*", Some(Resources)),
        // Observed rejections.
        (S3_OBJECT, "arn:aws:s3:::*", None),
        (S3_OBJECT, "arn:aws:s3:::*/*", None),
        (S3_OBJECT, "arn:aws:s3:::/", None),
        (S3_OBJECT, "amzn-s3-demo-bucket1/", None),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket1", None),
        (S3_OBJECT, "arn:aws:s3:::aigo-", None),
        // Believed rejections.
        (S3_OBJECT, "arn:aws:s3:", None),
        (S3_OBJECT, "arn:aws:s3::", None),
        (S3_OBJECT, "arn:aws:s3:::Upper/", None),
        (S3_OBJECT, "arn:aws:s3:::ab/", None),
        (S3_OBJECT, "arn:aws:s3:::-bucket/", None),
        (S3_OBJECT, "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", None),
        (S3_OBJECT, "arn:aws:s3-outposts", None),
        (S3_OBJECT, "arn:azure:s3", None),
        (S3_OBJECT, "arn:aws-:s3", None),
        (S3_OBJECT, "arn:aws:lambda", None),
        (S3_OBJECT, "", None),
        (LAMBDA_FUNCTION, "arn:aws:lambda", Some(Service)),
        (
            LAMBDA_FUNCTION,
            "arn:aws:lambda:us-west-2:111111111111:function:helloworld",
            Some(Resources),
        ),
        (
            LAMBDA_FUNCTION,
            "arn:aws:lambda:us-west-2:111111111111:function:hello:PROD",
            Some(Resources),
        ),
        (
            LAMBDA_FUNCTION,
            "arn:aws:lambda:us-west-2:111111111111:function:hello:$LATEST",
            Some(Resources),
        ),
        (LAMBDA_FUNCTION, "arn:aws:lambda:*", None),
        (LAMBDA_FUNCTION, "arn:aws:lambda:us-west-2:111111111111:function:", None),
        (LAMBDA_FUNCTION, "arn:aws:lambda:us-west-2:1111:function:helloworld", None),
        (LAMBDA_FUNCTION, "arn:aws:lambda:us-west-2:111111111111:layer:l", None),
        (LAMBDA_FUNCTION, "arn:aws:lambda:us-west-2:111111111111:function:a b", None),
        (DYNAMODB_TABLE, "arn:aws:dynamodb", Some(Service)),
        (DYNAMODB_TABLE, "arn:aws:dynamodb:us-east-1:123456789012:table/Music", Some(Resources)),
        (DYNAMODB_TABLE, "arn:aws:dynamodb:us-east-1:123456789012:table/ab", None),
        (DYNAMODB_TABLE, "arn:aws:dynamodb:us-east-1:123456789012:Music", None),
        (DYNAMODB_TABLE, "arn:aws:dynamodb:*", None),
        ("AWS::S3::Bucket", "arn:aws:s3", None),
    ] {
        check_value_case(resource_type, value, expected);
    }
    let long =
        format!("arn:aws:s3:::my-bucket/{}", "k".repeat(limits::DATA_RESOURCE_VALUE_CHARS_MAX));
    check_value_case(S3_OBJECT, &long, None);
}

#[test]
fn value_selection() {
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/images/cat.jpg";
    let function = "arn:aws:lambda:us-west-2:111111111111:function:helloworld";
    let table = "arn:aws:dynamodb:us-east-1:123456789012:table/Music";
    for (resource_type, value, arn, expected) in [
        (S3_OBJECT, "arn:aws:s3", object, true),
        (S3_OBJECT, "arn:aws:s3:::", object, true),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket/", object, true),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket/images/", object, true),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket/images/cat", object, true),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket/docs/", object, false),
        (S3_OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket2/", object, false),
        (S3_OBJECT, "arn:aws-cn:s3", object, false),
        (LAMBDA_FUNCTION, "arn:aws:lambda", function, true),
        (LAMBDA_FUNCTION, function, function, true),
        (LAMBDA_FUNCTION, function, &format!("{function}2"), false),
        (LAMBDA_FUNCTION, "arn:aws-cn:lambda", function, false),
        (DYNAMODB_TABLE, "arn:aws:dynamodb", table, true),
        (DYNAMODB_TABLE, table, table, true),
        (DYNAMODB_TABLE, table, &format!("{table}/stream/2024"), false),
        ("AWS::S3::Bucket", "arn:aws:s3", object, false),
    ] {
        assert_eq!(value_selects(resource_type, value, arn), expected, "{value} {arn}");
    }
}

#[test]
fn read_write_type() {
    for &rwt in ReadWriteType::ALL {
        assert_eq!(ReadWriteType::parse(rwt.as_str()), Some(rwt));
    }
    assert_eq!(ReadWriteType::parse("read-only"), None);
    assert_eq!(ReadWriteType::parse("all"), None);
    assert!(ReadWriteType::All.admits(None));
    assert!(!ReadWriteType::ReadOnly.admits(None));
    assert!(!ReadWriteType::WriteOnly.admits(Some(true)));
    assert!(ReadWriteType::WriteOnly.admits(Some(false)));
}

#[test]
fn partitions() {
    for (partition, expected) in [
        ("aws", true),
        ("aws-cn", true),
        ("aws-us-gov", true),
        ("aws-iso-b", true),
        ("aws-", false),
        ("aws-cn-", false),
        ("AWS", false),
        ("", false),
    ] {
        assert_eq!(is_partition(partition), expected, "{partition}");
    }
}
