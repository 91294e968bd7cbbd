use axum::http::StatusCode;

use super::*;
use crate::alarms::{MONITORING, SNS};
use crate::audit_events::CLOUDTRAIL_DATA;
use crate::cloudtrail::{API_OPERATIONS, CLOUDTRAIL};
use crate::logs::LOGS;
use crate::sts::STS;

const SERVICES: &[&Service] = &[&CLOUDTRAIL, &LOGS, &CLOUDTRAIL_DATA, &MONITORING, &SNS, &STS];

#[test]
fn every_operation_has_its_iam_action_and_one_entry() {
    for service in SERVICES {
        for (idx, op) in service.operations.iter().enumerate() {
            assert_eq!(op.action, format!("{}:{}", service.iam_prefix, op.name), "{}", op.name);
            assert!(op.name.bytes().all(|b| b.is_ascii_alphanumeric()), "{}", op.name);
            assert!(
                service.operations[..idx].iter().all(|other| other.name != op.name),
                "{} is listed twice",
                op.name
            );
        }
    }
}

#[test]
fn every_cloudtrail_operation_is_one_of_the_api() {
    for op in CLOUDTRAIL.operations {
        assert!(API_OPERATIONS.contains(&op.name), "{}", op.name);
    }
}

#[test]
fn only_operations_that_find_their_resource_authorize_in_the_handler() {
    let account: Vec<&str> = SERVICES
        .iter()
        .flat_map(|s| s.operations)
        .filter(|op| op.authz == Authz::Account)
        .map(|op| op.name)
        .collect();
    assert!(account.contains(&"LookupEvents") && account.contains(&"PutMetricFilter"));
    // No operation goes without an IAM decision: PutAuditEvents too is authorized on its
    // channel (finding 7 of issue 15: a read-only user could write events).
    let put = CLOUDTRAIL_DATA.operation("PutAuditEvents");
    assert_eq!(put.map(|op| op.authz), Some(Authz::Handler));
}

#[test]
fn unlisted_operations_are_unsupported_or_unknown() {
    let check = |service: &Service, name: &str, code: &str, message: &str| {
        assert!(service.operation(name).is_none());
        let err = service.unlisted_error(name);
        assert_eq!(
            (err.status, err.code, err.message.as_str()),
            (StatusCode::BAD_REQUEST, code, message)
        );
    };
    check(
        &CLOUDTRAIL,
        "CreateEventDataStore",
        "UnsupportedOperationException",
        "OpenTrail does not support `CreateEventDataStore` yet",
    );
    check(&CLOUDTRAIL, "Bogus", "UnknownOperationException", "unknown operation `Bogus`");
    check(
        &LOGS,
        "PutLogEvents",
        "UnsupportedOperationException",
        "OpenTrail serves the metric-filter operations of CloudWatch Logs, not `PutLogEvents`",
    );
    check(&LOGS, "Bogus", "UnknownOperationException", "unknown operation `Bogus`");
    check(&CLOUDTRAIL_DATA, "Bogus", "UnknownOperationException", "unknown operation `Bogus`");
    assert!(LOGS.unlisted.authorized && !CLOUDTRAIL.unlisted.authorized);
}

#[test]
fn requests_find_their_service_by_target() {
    let request = |target: &str| {
        Request::post("/").header("x-amz-target", target).body(axum::body::Body::empty()).unwrap()
    };
    let services = &[&CLOUDTRAIL, &LOGS, &CLOUDTRAIL_DATA];
    let found = |target: &str| addressed(services, &request(target)).map(|s| s.signing_name);
    assert_eq!(
        found("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListTrails"),
        Some("cloudtrail")
    );
    assert_eq!(found("CloudTrail_20131101.ListTrails"), Some("cloudtrail"));
    assert_eq!(found("Logs_20140328.PutMetricFilter"), Some("logs"));
    assert_eq!(found("DynamoDB_20120810.ListTables"), None);
    let get = Request::get("/")
        .header("x-amz-target", "CloudTrail_20131101.ListTrails")
        .body(axum::body::Body::empty())
        .unwrap();
    assert!(addressed(services, &get).is_none());
}

#[test]
fn every_s3_operation_has_an_s3_action_checked_by_its_handler() {
    use crate::s3::S3;
    let actions: Vec<(&str, &str)> = S3.operations.iter().map(|op| (op.name, op.action)).collect();
    assert_eq!(
        actions,
        [
            ("ListBuckets", "s3:ListAllMyBuckets"),
            ("HeadBucket", "s3:ListBucket"),
            ("GetBucketLocation", "s3:GetBucketLocation"),
            ("ListObjects", "s3:ListBucket"),
            ("ListObjectsV2", "s3:ListBucket"),
            ("GetObject", "s3:GetObject"),
            ("HeadObject", "s3:GetObject"),
        ]
    );
    for op in S3.operations {
        assert!(op.action.starts_with("s3:"), "{}", op.name);
        assert_eq!(op.authz, Authz::Handler, "{}", op.name);
        assert!(matches!(op.handler, Handler::Raw(_)), "{}", op.name);
    }
    assert_eq!(
        (S3.signing_name, S3.iam_prefix, S3.audit_source),
        ("s3", "s3", Some("s3.amazonaws.com"))
    );
    // Object reads and listings are data events; the bucket-level reads management events.
    let params = [("bucketName", "logs".to_owned()), ("key", "AWSLogs/k".to_owned())];
    let data = |operation: &str| {
        S3.audit_data.and_then(|data| data(operation, &params)).map(|resources| {
            resources.into_iter().map(|r| (r.resource_type, r.arn_rest)).collect::<Vec<_>>()
        })
    };
    assert_eq!(
        data("GetObject"),
        Some(vec![
            ("AWS::S3::Object", "s3:::logs/AWSLogs/k".to_owned()),
            ("AWS::S3::Bucket", "s3:::logs".to_owned())
        ])
    );
    assert_eq!(data("ListObjectsV2").map(|r| r[0].1.clone()), Some("s3:::logs/".to_owned()));
    assert_eq!((data("ListBuckets"), data("GetBucketLocation")), (None, None));
    assert!(matches!(S3.protocol, Protocol::RestXml { .. }) && !S3.protocol.reads_body());
}

#[test]
fn s3_requests_are_routed_by_method_path_and_query() {
    use crate::s3::S3;
    let route = |method: &str, uri: &str| {
        let (parts, ()) = Request::builder().method(method).uri(uri).body(()).unwrap().into_parts();
        S3.protocol
            .route(&parts, Route::default())
            .map(|route| (route.operation.unwrap_or(""), route.params))
            .map_err(|err| (err.status, err.code, err.resource))
    };
    let params = |bucket: &str, key: &str| {
        let mut params = vec![("bucketName", bucket.to_owned())];
        if !key.is_empty() {
            params.push(("key", key.to_owned()));
        }
        params
    };
    assert_eq!(route("GET", "/"), Ok(("ListBuckets", Vec::new())));
    assert_eq!(route("GET", "/b?location"), Ok(("GetBucketLocation", params("b", ""))));
    assert_eq!(route("GET", "/b?prefix=x"), Ok(("ListObjects", params("b", ""))));
    assert_eq!(route("GET", "/b/?list-type=2"), Ok(("ListObjectsV2", params("b", ""))));
    assert_eq!(route("GET", "/b/a%20b/c.gz"), Ok(("GetObject", params("b", "a b/c.gz"))));
    assert_eq!(route("HEAD", "/b/k"), Ok(("HeadObject", params("b", "k"))));
    assert_eq!(route("HEAD", "/b"), Ok(("HeadBucket", params("b", ""))));
    for method in ["PUT", "POST", "DELETE"] {
        assert_eq!(
            route(method, "/b/k%20x"),
            Err((StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", Some("/b/k%20x".to_owned())))
        );
    }
}

#[test]
fn aws_query_names_its_action_reads_its_members_and_answers_xml() {
    let protocol = STS.protocol;
    let parts = |uri: &str| axum::http::Request::get(uri).body(()).unwrap().into_parts().0;
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    assert_eq!(protocol.operation(&parts("/"), body, None).unwrap(), "GetCallerIdentity");
    // A presigned GET carries everything in its query string.
    let presigned = parts("/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60");
    assert_eq!(protocol.operation(&presigned, b"", None).unwrap(), "GetCallerIdentity");
    let missing = protocol.operation(&parts("/"), b"Version=2011-06-15", None).unwrap_err();
    assert_eq!((missing.status, missing.code), (StatusCode::BAD_REQUEST, "MissingAction"));
    let input = protocol
        .input(b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&X-Amz-Date=1", "")
        .unwrap();
    assert_eq!(input.string("RoleArn").unwrap(), Some("arn:aws:iam::1:role/r"));
    assert_eq!(input.string("Action").unwrap(), None);
    assert_eq!(input.string("X-Amz-Date").unwrap(), None);

    let exchange = Exchange { request_id: "r-1".into(), head: false, path: "/".into() };
    let ok = protocol.success(
        serde_json::json!({ "Account": "1", "Arn": "a<b", "Nested": { "List": ["x"] }, "Gone": null }),
        "GetCallerIdentity",
        &exchange,
    );
    assert_eq!(ok.status(), StatusCode::OK);
    let text = body_text(ok);
    assert!(text.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <GetCallerIdentityResult>\n"
    ), "{text}");
    assert!(
        text.contains("<Arn>a&lt;b</Arn>") && text.contains("<List>\n        <member>x</member>"),
        "{text}"
    );
    assert!(!text.contains("Gone") && text.contains("<RequestId>r-1</RequestId>"), "{text}");
    let err = protocol.error(ApiError::bad_request("InvalidAction", "no"), &exchange);
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    let text = body_text(err);
    assert!(text.contains("<Type>Sender</Type>\n    <Code>InvalidAction</Code>"), "{text}");
    assert_eq!(STS.unlisted_error("NoSuchThing").code, "InvalidAction");
    assert_eq!(STS.unlisted_error("AssumeRole").code, "UnsupportedOperationException");
}

fn body_text(response: Response) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let bytes = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}
