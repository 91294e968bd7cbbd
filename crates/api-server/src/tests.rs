use std::io::Write as _;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use catalog::ChannelStore as _;
use http_body_util::BodyExt;
use sha2::Digest as _;
use tower::ServiceExt;

use super::*;

const ACCOUNT: &str = "123456789012";
const CHANNEL_ID: &str = "01234567-89ab-cdef-0123-456789abcdef";
const CHANNEL_ARN: &str =
    "arn:aws:cloudtrail:eu-west-1:123456789012:channel/01234567-89ab-cdef-0123-456789abcdef";

struct Fixture {
    router: Router,
    ingestor: Arc<ingest::Ingestor>,
    _dir: tempfile::TempDir,
}

/// `(eventSource, eventName, errorCode)` of a self-audit record.
type AuditSummary = (String, String, Option<String>);

impl Fixture {
    /// The summary of every self-audit record stored so far, and the records.
    fn self_audit(&self) -> (Vec<AuditSummary>, Vec<serde_json::Value>) {
        let wal = self.ingestor.wal();
        let mut records = Vec::new();
        for entry in wal.read_from(wal.first_lsn()).unwrap() {
            let (_, payload) = entry.unwrap();
            let envelope = ingest::Envelope::decode(&payload).unwrap();
            if envelope.kind == ingest::Kind::SelfAudit {
                records.push(serde_json::from_slice::<serde_json::Value>(envelope.record).unwrap());
            }
        }
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let summary = records
            .iter()
            .map(|r| {
                (
                    text(&r["eventSource"]).unwrap(),
                    text(&r["eventName"]).unwrap(),
                    text(&r["errorCode"]),
                )
            })
            .collect();
        (summary, records)
    }
}

fn fixture(disk_free_bytes_min: u64) -> Fixture {
    let (state, ingestor, dir) = fixture_state(disk_free_bytes_min);
    Fixture { router: router(Arc::new(state)), ingestor, _dir: dir }
}

fn fixture_state(disk_free_bytes_min: u64) -> (AppState, Arc<ingest::Ingestor>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog::Catalog::open_in_memory().unwrap();
    catalog
        .create_account(&catalog::Account { account_id: ACCOUNT.into(), name: "test".into() }, 0)
        .unwrap();
    catalog
        .create_access_key(
            &catalog::AccessKey {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                account_id: ACCOUNT.into(),
                principal_type: "Root".into(),
                principal_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
                principal_id: ACCOUNT.into(),
                user_name: None,
                active: true,
            },
            0,
        )
        .unwrap();
    catalog
        .create_channel(
            &catalog::Channel {
                channel_id: CHANNEL_ID.into(),
                channel_arn: CHANNEL_ARN.into(),
                name: "default".into(),
                source: "Custom".into(),
                account_id: ACCOUNT.into(),
                region: "eu-west-1".into(),
                destinations: "[]".into(),
            },
            0,
        )
        .unwrap();
    let config =
        ingest::IngestConfig { disk_free_bytes_min, ..ingest::IngestConfig::recommended() };
    let (ingestor, _) =
        ingest::Ingestor::open(dir.path(), config, Arc::new(ingest::SystemClock)).unwrap();
    let clock: Arc<dyn ingest::Clock> = Arc::new(ingest::SystemClock);
    let history = event_history::History::open(
        &dir.path().join("history"),
        event_history::HistoryConfig::recommended(),
        clock,
    )
    .unwrap();
    let ingestor = Arc::new(ingestor);
    let state =
        AppState::new(Arc::clone(&ingestor), Arc::new(catalog), Arc::new(history), None).unwrap();
    (state, ingestor, dir)
}

fn signed(
    service: &str,
    path: &str,
    query: &str,
    body: Vec<u8>,
    secret: &str,
    extra: &[(&str, &str)],
) -> Request<Body> {
    let credentials = sigv4::Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: secret.into(),
        session_token: None,
    };
    let mut headers: Vec<(String, String)> = vec![("host".into(), "localhost".into())];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let params = sigv4::SigningParams {
        credentials: &credentials,
        region: "eu-west-1",
        service,
        now: SystemTime::now(),
        uri_encoding: sigv4::UriEncoding::Normal,
    };
    sigv4::sign(&mut headers, "POST", path, query, &body, &params);
    let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let mut request = Request::post(uri);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.body(Body::from(body)).unwrap()
}

fn put_audit_events(body: serde_json::Value) -> Request<Body> {
    let query = format!(
        "channelArn={}",
        form_urlencoded::byte_serialize(CHANNEL_ARN.as_bytes()).collect::<String>()
    );
    signed(
        "cloudtrail-data",
        "/PutAuditEvents",
        &query,
        body.to_string().into_bytes(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    )
}

async fn call(
    fixture: &Fixture,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = fixture.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

fn event_data(uid: &str) -> String {
    json!({
        "version": "1.0",
        "userIdentity": {"type": "AppUser", "principalId": "u-1"},
        "eventSource": "orders.example.internal",
        "eventName": "CancelOrder",
        "eventTime": "2026-11-20T21:40:03",
        "UID": uid,
        "recipientAccountId": ACCOUNT,
    })
    .to_string()
}

#[tokio::test]
async fn health_and_ready() {
    let fixture = fixture(0);
    let (status, headers, body) =
        call(&fixture, Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert!(headers.contains_key("x-amzn-requestid"));
    let (status, _, body) =
        call(&fixture, Request::get("/ready").body(Body::empty()).unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")));
}

#[tokio::test]
async fn put_audit_events_stores_once_and_reports_per_event() {
    let fixture = fixture(0);
    let data = event_data("req-1");
    let checksum =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data.as_bytes()));
    let body = json!({"auditEvents": [
        {"id": "ok", "eventData": data, "eventDataChecksum": checksum},
        {"id": "bad-sum", "eventData": data, "eventDataChecksum": "AAAA"},
        {"id": "not-json", "eventData": "{"},
        {"id": "missing", "eventData": "{\"version\":\"1\"}"},
    ]});
    let (status, _, answer) = call(&fixture, put_audit_events(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["successful"].as_array().unwrap().len(), 1);
    let event_id = answer["successful"][0]["eventID"].as_str().unwrap().to_owned();
    let codes: Vec<&str> = answer["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["errorCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["InvalidChecksum", "InvalidData", "FieldNotFound"]);
    // A retry returns the first event id.
    let (_, _, again) = call(&fixture, put_audit_events(body)).await;
    assert_eq!(again["successful"][0]["eventID"].as_str(), Some(event_id.as_str()));
}

#[tokio::test]
async fn put_audit_events_request_errors() {
    let fixture = fixture(0);
    let many: Vec<serde_json::Value> =
        (0..101).map(|i| json!({"id": format!("e{i}"), "eventData": "{}"})).collect();
    for (body, code) in [
        (json!({"auditEvents": many}), "ValidationException"),
        (json!({"auditEvents": []}), "ValidationException"),
        (
            json!({"auditEvents": [{"id": "a", "eventData": "{}"}, {"id": "a", "eventData": "{}"}]}),
            "DuplicatedAuditEventId",
        ),
        (json!({"auditEvents": [{"id": "bad id!", "eventData": "{}"}]}), "ValidationException"),
        (json!({"auditEvents": "nope"}), "SerializationException"),
    ] {
        let (status, headers, answer) = call(&fixture, put_audit_events(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["__type"], code, "{answer}");
        assert_eq!(headers["x-amzn-errortype"], code);
    }
    let unknown = "arn%3Aaws%3Acloudtrail%3Aeu-west-1%3A123456789012%3Achannel%2F00000000-0000-0000-0000-000000000000";
    let request = signed(
        "cloudtrail-data",
        "/PutAuditEvents",
        &format!("channelArn={unknown}"),
        b"{}".to_vec(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    );
    assert_eq!(call(&fixture, request).await.2["__type"], "ChannelNotFound");
    let request = signed(
        "cloudtrail-data",
        "/PutAuditEvents",
        "channelArn=not-a-channel",
        b"{}".to_vec(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    );
    assert_eq!(call(&fixture, request).await.2["__type"], "InvalidChannelARN");
    let request = signed(
        "cloudtrail-data",
        "/PutAuditEvents",
        &format!("channelArn={CHANNEL_ID}"),
        b"{not json".to_vec(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    );
    assert_eq!(call(&fixture, request).await.2["__type"], "SerializationException");
    let request = signed(
        "cloudtrail-data",
        "/PutAuditEvents",
        &format!("channelArn={CHANNEL_ID}"),
        b"{}".to_vec(),
        "wrong-secret",
        &[],
    );
    let (status, _, answer) = call(&fixture, request).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("InvalidSignatureException"))
    );
    let request = Request::post("/PutAuditEvents").body(Body::from("{}")).unwrap();
    let (status, _, answer) = call(&fixture, request).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (StatusCode::FORBIDDEN, Some("MissingAuthenticationTokenException"))
    );
}

#[tokio::test]
async fn native_ingest_fills_validates_and_deduplicates() {
    let fixture = fixture(0);
    let good = r#"{"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","eventType":"AwsApiCall","eventID":"fixed-id-1"}"#;
    let bad_arn =
        good.replace("arn:aws:iam::123456789012:root", "root").replace("fixed-id-1", "fixed-id-2");
    let body = format!("{good}\n{bad_arn}\nnot json\n");
    let request = signed(
        "opentrail",
        "/v1/events",
        "",
        body.clone().into_bytes(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    );
    let (status, _, answer) = call(&fixture, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["rejected"].as_u64()), (Some(1), Some(2)));
    assert_eq!(answer["results"][1]["errors"][0]["path"], "$.userIdentity.arn");
    assert_eq!(answer["results"][2]["errors"][0]["rule"], "invalid-json");
    // Gzip, and the same eventID again: a duplicate, not stored twice.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(good.as_bytes()).unwrap();
    let request = signed(
        "opentrail",
        "/v1/events",
        "",
        gz.finish().unwrap(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[("content-encoding", "gzip")],
    );
    let (_, _, answer) = call(&fixture, request).await;
    assert_eq!(answer["results"][0]["status"], "duplicate", "{answer}");
    assert_eq!(answer["results"][0]["eventID"], "fixed-id-1");
}

#[tokio::test]
async fn low_disk_answers_503_with_retry_after() {
    let fixture = fixture(u64::MAX);
    let body = json!({"auditEvents": [{"id": "a", "eventData": event_data("1")}]});
    let (status, headers, answer) = call(&fixture, put_audit_events(body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer["__type"], "ServiceUnavailable");
    assert!(headers.contains_key("retry-after"));
    let (status, _, answer) =
        call(&fixture, Request::get("/ready").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
}

#[test]
fn a_full_wal_queue_is_throttling_with_retry_after() {
    let response = ApiError::from_ingest(ingest::Error::Backpressure).into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["x-amzn-errortype"], "ThrottlingException");
    assert_eq!(response.headers()["retry-after"], "1");
}

/// One call of an AWS JSON 1.1 API: status, `content-type`, `x-amzn-errortype` and body text.
async fn aws_json(
    fixture: &Fixture,
    service: &str,
    target: &str,
    body: &str,
) -> (StatusCode, String, Option<String>, String) {
    let request = signed(
        service,
        "/",
        "",
        body.as_bytes().to_vec(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[("x-amz-target", target), ("content-type", "application/x-amz-json-1.1")],
    );
    let response = fixture.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (content_type, error_type) =
        (header("content-type").unwrap_or_default(), header("x-amzn-errortype"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, error_type, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn service_tables_answer_in_their_protocol() {
    let fixture = fixture(0);
    let ct = |op: &str| format!("{}{op}", awsjson::CLOUDTRAIL_TARGET_PREFIX);
    let json11 = "application/x-amz-json-1.1".to_owned();
    assert_eq!(
        aws_json(&fixture, "cloudtrail", &ct("ListTrails"), "{}").await,
        (StatusCode::OK, json11.clone(), None, r#"{"Trails":[]}"#.to_owned())
    );
    assert_eq!(
        aws_json(&fixture, "cloudtrail", "CloudTrail_20131101.CreateEventDataStore", "{}").await,
        (
            StatusCode::BAD_REQUEST,
            json11.clone(),
            Some("UnsupportedOperationException".to_owned()),
            r#"{"__type":"UnsupportedOperationException","message":"OpenTrail does not support `CreateEventDataStore` yet"}"#.to_owned()
        )
    );
    assert_eq!(
        aws_json(&fixture, "cloudtrail", &ct("Bogus"), "{}").await,
        (
            StatusCode::BAD_REQUEST,
            json11.clone(),
            Some("UnknownOperationException".to_owned()),
            r#"{"__type":"UnknownOperationException","message":"unknown operation `Bogus`"}"#
                .to_owned()
        )
    );
    assert_eq!(
        aws_json(&fixture, "logs", "Logs_20140328.PutLogEvents", "{}").await,
        (
            StatusCode::BAD_REQUEST,
            json11.clone(),
            Some("UnsupportedOperationException".to_owned()),
            r#"{"__type":"UnsupportedOperationException","message":"OpenTrail serves the metric-filter operations of CloudWatch Logs, not `PutLogEvents`"}"#.to_owned()
        )
    );
    // A body that is not a JSON object is refused before the operation runs.
    let (status, _, error_type, _) =
        aws_json(&fixture, "cloudtrail", &ct("ListTrails"), "[1]").await;
    assert_eq!(
        (status, error_type.as_deref()),
        (StatusCode::BAD_REQUEST, Some("SerializationException"))
    );
    // A request signed for another service is refused by SigV4.
    let (status, _, error_type, _) = aws_json(&fixture, "logs", &ct("ListTrails"), "{}").await;
    assert_eq!(
        (status, error_type.as_deref()),
        (StatusCode::BAD_REQUEST, Some("InvalidSignatureException"))
    );
    // Every call was recorded, except the one that failed authentication (as in AWS: its
    // members are not the key owner's word).
    let (summary, records) = fixture.self_audit();
    let row = |source: &str, name: &str, error: Option<&str>| {
        (source.to_owned(), name.to_owned(), error.map(str::to_owned))
    };
    let cloudtrail = "cloudtrail.amazonaws.com";
    assert_eq!(
        summary,
        [
            row(cloudtrail, "ListTrails", None),
            row(cloudtrail, "CreateEventDataStore", Some("UnsupportedOperationException")),
            row(cloudtrail, "Bogus", Some("UnknownOperationException")),
            row("logs.amazonaws.com", "PutLogEvents", Some("UnsupportedOperationException")),
            row(cloudtrail, "ListTrails", Some("SerializationException")),
        ]
    );
    assert_eq!(records[0]["readOnly"], true);
    assert_eq!(records[0]["requestParameters"], serde_json::Value::Null);
    assert_eq!(records[0]["userIdentity"]["accessKeyId"], "AKIDEXAMPLE");
    assert_eq!(records[0]["requestID"].as_str().map(str::len), Some(36));
}

#[tokio::test]
async fn create_and_update_trail_check_their_bucket_once() {
    let fixture = fixture(0);
    let ct = |op: &str| format!("{}{op}", awsjson::CLOUDTRAIL_TARGET_PREFIX);
    let body = r#"{"Name":"main","S3BucketName":"audit-logs"}"#;
    let (status, _, _, answer) = aws_json(&fixture, "cloudtrail", &ct("CreateTrail"), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["TrailARN"], "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main");
    let body = r#"{"Name":"main","S3BucketName":"Not_A_Bucket"}"#;
    let (status, _, error_type, _) =
        aws_json(&fixture, "cloudtrail", &ct("UpdateTrail"), body).await;
    assert_eq!(
        (status, error_type.as_deref()),
        (StatusCode::BAD_REQUEST, Some("InvalidS3BucketNameException"))
    );
    let body = r#"{"Name":"other","S3BucketName":"audit-logs","TagsList":[{"Key":"aws:x"}]}"#;
    let (_, _, error_type, _) = aws_json(&fixture, "cloudtrail", &ct("CreateTrail"), body).await;
    assert_eq!(error_type.as_deref(), Some("InvalidTagParameterException"));
    let (summary, records) = fixture.self_audit();
    let names: Vec<(&str, Option<&str>)> =
        summary.iter().map(|(_, name, error)| (name.as_str(), error.as_deref())).collect();
    assert_eq!(
        names,
        [
            ("CreateTrail", None),
            ("UpdateTrail", Some("InvalidS3BucketNameException")),
            ("CreateTrail", Some("InvalidTagParameterException")),
        ]
    );
    assert_eq!(records[0]["readOnly"], false);
    assert_eq!(
        records[0]["requestParameters"],
        json!({"name": "main", "s3BucketName": "audit-logs"})
    );
    assert_eq!(
        records[0]["responseElements"]["trailARN"],
        "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"
    );
}

#[tokio::test]
async fn the_alarms_api_answers_in_its_protocol() {
    let fixture = fixture(0);
    let request = signed(
        "opentrail",
        "/v1/alarms/high-error-rate/actions",
        "",
        br#"{"ActionsEnabled":false}"#.to_vec(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &[],
    );
    let (status, headers, answer) = call(&fixture, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer,
        json!({"__type": "ServiceUnavailable", "message": "alarms are not running on this server"})
    );
    assert_eq!(headers["x-amzn-errortype"], "ServiceUnavailable");
    let (summary, records) = fixture.self_audit();
    let monitoring = "monitoring.amazonaws.com".to_owned();
    assert_eq!(
        summary,
        [(monitoring, "DisableAlarmActions".to_owned(), Some("ServiceUnavailable".to_owned()))]
    );
    assert_eq!(
        records[0]["requestParameters"],
        json!({"actionsEnabled": false, "alarmName": "high-error-rate"})
    );
    // Unsigned: nobody to record.
    let request = Request::post("/v1/alarms").body(Body::from("{}")).unwrap();
    let (status, _, answer) = call(&fixture, request).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (StatusCode::FORBIDDEN, Some("MissingAuthenticationTokenException"))
    );
    assert_eq!(fixture.self_audit().0.len(), 1);
}

mod cloudtrail_fuzz {
    use proptest::prelude::*;

    use super::*;

    const OPERATIONS: &[&str] = &[
        "CreateTrail",
        "GetTrail",
        "DescribeTrails",
        "ListTrails",
        "UpdateTrail",
        "DeleteTrail",
        "GetTrailStatus",
        "StartLogging",
        "StopLogging",
        "PutEventSelectors",
        "GetEventSelectors",
        "PutInsightSelectors",
        "GetInsightSelectors",
        "AddTags",
        "RemoveTags",
        "ListTags",
        "ListPublicKeys",
        "CreateChannel",
        "GetChannel",
        "ListChannels",
        "UpdateChannel",
        "DeleteChannel",
        "LookupEvents",
        "CreateEventDataStore",
        "Bogus",
        "",
    ];
    const MEMBERS: &[&str] = &[
        "Name",
        "S3BucketName",
        "S3KeyPrefix",
        "SnsTopicName",
        "IncludeGlobalServiceEvents",
        "IsMultiRegionTrail",
        "EnableLogFileValidation",
        "CloudWatchLogsLogGroupArn",
        "CloudWatchLogsRoleArn",
        "KmsKeyId",
        "IsOrganizationTrail",
        "TagsList",
        "TrailName",
        "EventSelectors",
        "AdvancedEventSelectors",
        "InsightSelectors",
        "ResourceId",
        "ResourceIdList",
        "StartTime",
        "EndTime",
        "NextToken",
        "MaxResults",
        "Channel",
        "Destinations",
        "Source",
        "Tags",
        "trailNameList",
        "includeShadowTrails",
    ];

    fn arb_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            prop::sample::select(vec![
                "main",
                "prod-trail",
                "audit-logs",
                "a",
                "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main",
                "ReadOnly",
                "AWS::S3::Object",
                "arn:aws:s3:::bucket/",
                "eventCategory",
                "Management",
                "ApiCallRateInsight",
                ""
            ])
            .prop_map(|s| serde_json::Value::String(s.into())),
            ".{0,40}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec((prop::sample::select(MEMBERS.to_vec()), inner), 0..4)
                    .prop_map(|members| {
                        serde_json::Value::Object(
                            members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                        )
                    }),
            ]
        })
    }

    fn arb_body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec((prop::sample::select(MEMBERS.to_vec()), arb_value()), 0..6)
                .prop_map(|members| {
                    serde_json::Value::Object(
                        members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    )
                    .to_string()
                    .into_bytes()
                }),
            prop::collection::vec(any::<u8>(), 0..64),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any operation with any body gets an answer in AWS's shape, never a server error,
        /// and the catalog stays readable and consistent.
        #[test]
        fn random_requests_never_fail_the_server(calls in prop::collection::vec((prop::sample::select(OPERATIONS.to_vec()), arb_body()), 1..6)) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let fixture = fixture(0);
                for (operation, body) in calls {
                    let target = format!("{}{operation}", awsjson::CLOUDTRAIL_TARGET_PREFIX);
                    let request = signed("cloudtrail", "/", "", body, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &[("x-amz-target", &target), ("content-type", "application/x-amz-json-1.1")]);
                    let (status, headers, answer) = call(&fixture, request).await;
                    prop_assert!(status.is_success() || status.is_client_error(), "{operation}: {status} {answer}");
                    prop_assert!(headers.contains_key("x-amzn-requestid"));
                    if !status.is_success() {
                        prop_assert!(answer["__type"].is_string(), "{operation}: {answer}");
                    }
                }
                // Every trail ListTrails names can be fetched.
                let list = signed("cloudtrail", "/", "", b"{}".to_vec(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &[("x-amz-target", &format!("{}ListTrails", awsjson::CLOUDTRAIL_TARGET_PREFIX))]);
                let (status, _, answer) = call(&fixture, list).await;
                prop_assert_eq!(status, StatusCode::OK);
                for trail in answer["Trails"].as_array().unwrap() {
                    let body = json!({"Name": trail["TrailARN"]}).to_string().into_bytes();
                    let get = signed("cloudtrail", "/", "", body, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &[("x-amz-target", &format!("{}GetTrail", awsjson::CLOUDTRAIL_TARGET_PREFIX))]);
                    let (status, _, answer) = call(&fixture, get).await;
                    prop_assert_eq!(status, StatusCode::OK, "{}", answer);
                }
                Ok(())
            })?;
        }
    }
}

/// A request signed for S3 (its URI encoding, `x-amz-content-sha256`).
fn s3_request(method: &str, path: &str, secret: &str) -> Request<Body> {
    let credentials = sigv4::Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: secret.into(),
        session_token: None,
    };
    let mut headers: Vec<(String, String)> = vec![("host".into(), "localhost".into())];
    let params = sigv4::SigningParams {
        credentials: &credentials,
        region: "eu-west-1",
        service: "s3",
        now: SystemTime::now(),
        uri_encoding: sigv4::UriEncoding::S3,
    };
    sigv4::sign(&mut headers, method, path, "", b"", &params);
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.body(Body::empty()).unwrap()
}

/// Status, `content-type` and body text of an S3 call, with the request id replaced by `ID`.
async fn s3_call(fixture: &Fixture, request: Request<Body>) -> (StatusCode, String, String) {
    let response = fixture.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (content_type, request_id) = (header("content-type"), header("x-amzn-requestid"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, String::from_utf8(body.to_vec()).unwrap().replace(&request_id, "ID"))
}

#[tokio::test]
async fn the_s3_api_answers_in_s3_xml() {
    let fixture = fixture(0);
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let xml = "application/xml".to_owned();
    let error = |code: &str, message: &str, resource: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><Resource>{resource}</Resource><RequestId>ID</RequestId></Error>"
        )
    };
    // Writes are refused before authentication, whatever the signature.
    for method in ["PUT", "DELETE", "POST"] {
        assert_eq!(
            s3_call(&fixture, s3_request(method, "/audit-logs/AWSLogs/x.json.gz", "wrong")).await,
            (
                StatusCode::METHOD_NOT_ALLOWED,
                xml.clone(),
                error(
                    "MethodNotAllowed",
                    "OpenTrail&apos;s S3 API is read-only: delivered log files and digests are never changed",
                    "/audit-logs/AWSLogs/x.json.gz"
                )
            )
        );
    }
    assert_eq!(
        s3_call(&fixture, s3_request("GET", "/", secret)).await,
        (
            StatusCode::OK,
            xml.clone(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>{ACCOUNT}</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>"
            )
        )
    );
    // No trail delivers to the bucket: nobody may read it.
    assert_eq!(
        s3_call(&fixture, s3_request("GET", "/audit-logs/k", secret)).await,
        (StatusCode::FORBIDDEN, xml.clone(), error("AccessDenied", "Access Denied", "/audit-logs"))
    );
    // HEAD answers carry no body, errors neither.
    assert_eq!(
        s3_call(&fixture, s3_request("HEAD", "/audit-logs/k", secret)).await,
        (StatusCode::FORBIDDEN, xml.clone(), String::new())
    );
    let (status, content_type, body) =
        s3_call(&fixture, s3_request("GET", "/audit-logs", "wrong")).await;
    assert_eq!((status, content_type), (StatusCode::FORBIDDEN, xml));
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    // Authenticated calls are recorded, the refused reads too: object reads as data events
    // naming the object and its bucket. Failed authentication records nothing.
    let (summary, records) = fixture.self_audit();
    let s3 = |name: &str, error: Option<&str>| {
        ("s3.amazonaws.com".to_owned(), name.to_owned(), error.map(str::to_owned))
    };
    assert_eq!(
        summary,
        [
            s3("ListBuckets", None),
            s3("GetObject", Some("AccessDenied")),
            s3("HeadObject", Some("AccessDenied"))
        ]
    );
    assert_eq!(
        (&records[0]["eventCategory"], &records[1]["eventCategory"]),
        (&json!("Management"), &json!("Data"))
    );
    assert_eq!(
        records[1]["resources"],
        json!([
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::audit-logs/k"},
            {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::audit-logs"}
        ])
    );
}

mod unsubscribe {
    use metric_alarms::{AlarmService, EnvelopeSigner, TargetRules as _, UnsubscribeKey};

    use super::*;

    const REGION: &str = "eu-west-1";
    const SECRET_HOOK: &str = "https://hooks.test/T0SECRET";
    const KEPT_HOOK: &str = "https://hooks.test/keep";

    struct KeySigner(UnsubscribeKey);

    impl EnvelopeSigner for KeySigner {
        fn sign_base64(&self, _: &str) -> String {
            String::new()
        }
        fn signing_cert_url(&self) -> String {
            String::new()
        }
        fn unsubscribe_url(&self, subscription_arn: &str) -> String {
            self.0.token(subscription_arn)
        }
        fn unsubscribe_key(&self) -> &UnsubscribeKey {
            &self.0
        }
    }

    /// A server with alarms and target `ops` (two webhooks); the subscription ARN of the
    /// secret one and its token.
    fn fixture_with_target(
        disk_free_bytes_min: u64,
    ) -> (Fixture, Arc<AlarmService>, String, String) {
        let (state, ingestor, dir) = fixture_state(disk_free_bytes_min);
        let key = UnsubscribeKey::new([3; 32]);
        let config =
            metric_alarms::ServiceConfig { admin_account: ACCOUNT.into(), organization: None };
        let service = AlarmService::open(
            Arc::clone(&state.catalog),
            Arc::new(ingest::SystemClock),
            config,
            Box::new(KeySigner(key.clone())),
            Box::new(|| {}),
        )
        .unwrap();
        let target = metric_alarms::Target::from_json(
            &json!({"Name": "ops", "Webhooks": [SECRET_HOOK, KEPT_HOOK]}),
        )
        .unwrap();
        service.put_target(ACCOUNT, REGION, target, "api").unwrap();
        let service = Arc::new(service);
        let state = state.with_alarms(Arc::clone(&service));
        let fixture = Fixture { router: router(Arc::new(state)), ingestor, _dir: dir };
        let topic = metric_alarms::topic_arn(REGION, ACCOUNT, "ops");
        let arn = metric_alarms::subscription_arn(&topic, "https", SECRET_HOOK);
        let token = key.token(&arn);
        (fixture, service, arn, token)
    }

    /// `GET /sns/unsubscribe` with `params`: status and body text.
    async fn open_link(fixture: &Fixture, params: &[(&str, &str)]) -> (StatusCode, String) {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "Unsubscribe")
            .extend_pairs(params)
            .finish();
        let request =
            Request::get(format!("/sns/unsubscribe?{query}")).body(Body::empty()).unwrap();
        let response = fixture.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn webhooks(service: &AlarmService) -> Vec<String> {
        service.targets(ACCOUNT, REGION).into_iter().flat_map(|t| t.webhooks).collect()
    }

    #[tokio::test]
    async fn a_link_without_its_token_is_refused_and_writes_nothing() {
        let (fixture, service, arn, token) = fixture_with_target(0);
        let forged = "0".repeat(64);
        for params in [
            vec![("SubscriptionArn", arn.as_str())],
            vec![("SubscriptionArn", arn.as_str()), ("Token", forged.as_str())],
            vec![("SubscriptionArn", "arn:aws:sns:eu-west-1:1:ops:x"), ("Token", token.as_str())],
            vec![("Token", token.as_str())],
        ] {
            let (status, body) = open_link(&fixture, &params).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{params:?}: {body}");
            assert!(body.contains("<Code>AuthorizationError</Code>"), "{body}");
            assert!(body.starts_with("<ErrorResponse"), "{body}");
        }
        assert!(fixture.self_audit().0.is_empty(), "a refused link is never recorded");
        assert_eq!(webhooks(&service), [SECRET_HOOK, KEPT_HOOK]);
    }

    #[tokio::test]
    async fn a_link_with_its_token_is_recorded_then_unsubscribes_once() {
        let (fixture, service, arn, token) = fixture_with_target(0);
        let params = [("SubscriptionArn", arn.as_str()), ("Token", token.as_str())];
        let (status, body) = open_link(&fixture, &params).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.starts_with("<UnsubscribeResponse"), "{body}");
        assert_eq!(webhooks(&service), [KEPT_HOOK]);
        let (status, body) = open_link(&fixture, &params).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(body.contains("<Code>NotFound</Code>"), "{body}");
        let (summary, records) = fixture.self_audit();
        let sns = || ("sns.amazonaws.com".to_owned(), "Unsubscribe".to_owned());
        let (source, name) = sns();
        assert_eq!(
            summary,
            [(source.clone(), name.clone(), None), (source, name, Some("NotFound".to_owned()))]
        );
        let record = &records[0];
        assert_eq!(
            record["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"})
        );
        assert_eq!(record["recipientAccountId"], ACCOUNT);
        assert_eq!(record["awsRegion"], REGION);
        assert_eq!(record["requestParameters"], json!({"subscriptionArn": arn}));
        let text = serde_json::to_string(&records).unwrap();
        assert!(!text.contains("T0SECRET") && !text.contains(&token), "{text}");
    }

    #[tokio::test]
    async fn an_unsubscribe_that_cannot_be_recorded_changes_nothing() {
        let (fixture, service, arn, token) = fixture_with_target(u64::MAX);
        let params = [("SubscriptionArn", arn.as_str()), ("Token", token.as_str())];
        let (status, body) = open_link(&fixture, &params).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("<Code>ServiceUnavailable</Code>"), "{body}");
        assert_eq!(webhooks(&service), [SECRET_HOOK, KEPT_HOOK]);
        assert!(fixture.self_audit().0.is_empty());
    }
}

#[tokio::test]
async fn bodies_in_flight_share_one_budget() {
    let budget = Arc::new(tokio::sync::Semaphore::new(4)); // 4 KiB
    let wait = Duration::from_millis(50);
    let sized = |n: usize| Body::from(vec![b'x'; n]);
    let (first, held) = read_body_within(&budget, wait, sized(3000), 8192, "b").await.ok().unwrap();
    assert_eq!(first.len(), 3000);
    // 3 KiB more does not fit while the first is held: refused, unread, after the wait.
    let refused = read_body_within(&budget, wait, sized(3000), 8192, "b").await;
    assert!(matches!(refused, Err(BodyError::Busy)));
    assert_eq!(ApiError::from(BodyError::Busy).status, StatusCode::SERVICE_UNAVAILABLE);
    // A body of unknown length counts its route's whole limit.
    let stream = Body::new(Unsized(Some(axum::body::Bytes::from_static(b"ab"))));
    assert!(matches!(
        read_body_within(&budget, wait, stream, 2048, "b").await,
        Err(BodyError::Busy)
    ));
    drop(held);
    let (again, _held) =
        read_body_within(&budget, wait, sized(3000), 8192, "b").await.ok().unwrap();
    assert_eq!(again.len(), 3000);
    assert_eq!(budget.available_permits(), 1);
}

/// A body without a declared length (as a chunked request's): one frame, no size hint.
struct Unsized(Option<axum::body::Bytes>);

impl axum::body::HttpBody for Unsized {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|data| Ok(hyper::body::Frame::data(data))))
    }
}
