//! The CloudTrail record of one of OpenTrail's own API calls (self-audit): `AwsApiCall`,
//! management event (or a data event with its `resources`: reads of the log buckets), the
//! caller's identity, request parameters and (for calls that change
//! something) response elements with CloudTrail's lower-camel-case member names.
//!
//! Pure: the caller passes the time, ids and the request and response JSON as bytes. It is not
//! the storing of the record (the API server frames it with `ingest`).

use crate::json::{self, Object, Value};
use crate::limits;

/// The identity of the caller, as `userIdentity` names it.
#[derive(Clone, Copy, Debug)]
pub struct CallerIdentity<'a> {
    /// `Root`, `IAMUser`, or `AWSAccount` for an anonymous principal (whose `account_id` is
    /// `ANONYMOUS_PRINCIPAL`, with no ARN and no access key, as S3 records anonymous requests).
    pub principal_type: &'a str,
    pub principal_id: &'a str,
    pub arn: &'a str,
    pub account_id: &'a str,
    pub access_key_id: &'a str,
    pub user_name: Option<&'a str>,
}

impl CallerIdentity<'static> {
    /// A caller without credentials (who opens an unsubscribe link), as CloudTrail writes
    /// anonymous S3 requests: `AWSAccount`, account `ANONYMOUS_PRINCIPAL`, no ARN, no key.
    pub const ANONYMOUS: CallerIdentity<'static> = CallerIdentity {
        principal_type: "AWSAccount",
        principal_id: "",
        arn: "",
        account_id: "ANONYMOUS_PRINCIPAL",
        access_key_id: "",
        user_name: None,
    };
}

/// A resource a data event touched, as `resources` lists it.
#[derive(Clone, Copy, Debug)]
pub struct Resource<'a> {
    /// `AWS::S3::Object`, `AWS::S3::Bucket`, …
    pub resource_type: &'a str,
    pub arn: &'a str,
    /// The account that owns it, when CloudTrail names it (buckets).
    pub account_id: Option<&'a str>,
}

/// The error an API call answered.
#[derive(Clone, Copy, Debug)]
pub struct CallError<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

/// One API call, as its record tells it.
#[derive(Clone, Copy, Debug)]
pub struct ApiCall<'a> {
    pub identity: CallerIdentity<'a>,
    pub event_time_ms: i64,
    pub event_source: &'a str,
    pub event_name: &'a str,
    /// The region of the request's credential scope.
    pub aws_region: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    /// The request members as sent (JSON); anything but a non-empty object records `null`.
    pub request: &'a [u8],
    /// The answer: the response members (JSON text, recorded unless the call is read-only:
    /// callers may pass `None` for read-only calls, see [`ApiCall::read_only`]), or the error.
    pub outcome: Result<Option<&'a [u8]>, CallError<'a>>,
    pub request_id: &'a str,
    pub event_id: &'a str,
    /// For a data event (S3 object reads): the resources it touched. `None`: a management
    /// event.
    pub data_resources: Option<&'a [Resource<'a>]>,
}

impl ApiCall<'_> {
    /// Whether the call only reads (its response is then not recorded).
    pub fn read_only(&self) -> bool {
        crate::classify::is_read_only(self.event_source, self.event_name)
    }

    /// The record, as stored JSON, in the caller's own account.
    pub fn record(&self) -> Vec<u8> {
        self.record_in(self.identity.account_id)
    }

    /// The record, as stored JSON, in `recipient_account_id` (the account whose resource the
    /// call touched, when the caller has no account of its own: an anonymous principal). An
    /// identity without an ARN or an access key (anonymous) records neither member.
    pub fn record_in(&self, recipient_account_id: &str) -> Vec<u8> {
        let read_only = self.read_only();
        let caller = &self.identity;
        let mut identity = Object::with_capacity(6);
        identity.push("type", caller.principal_type.into());
        identity.push("principalId", caller.principal_id.into());
        if !caller.arn.is_empty() {
            identity.push("arn", caller.arn.into());
        }
        identity.push("accountId", caller.account_id.into());
        if !caller.access_key_id.is_empty() {
            identity.push("accessKeyId", caller.access_key_id.into());
        }
        if let Some(user_name) = caller.user_name {
            identity.push("userName", user_name.into());
        }
        let mut record = Object::with_capacity(20);
        record.push("eventVersion", "1.11".into());
        record.push("userIdentity", Value::Object(identity));
        record.push(
            "eventTime",
            crate::time::format_unix_seconds(self.event_time_ms.div_euclid(1000)).into(),
        );
        record.push("eventSource", self.event_source.into());
        record.push("eventName", self.event_name.into());
        record.push("awsRegion", self.aws_region.into());
        record.push("sourceIPAddress", self.source_ip.into());
        record.push("userAgent", truncate(self.user_agent, limits::SHORT_TEXT_BYTES_MAX).into());
        if let Err(err) = &self.outcome {
            record.push("errorCode", err.code.into());
            record.push("errorMessage", truncate(err.message, limits::SHORT_TEXT_BYTES_MAX).into());
        }
        record.push("requestParameters", bounded(camel_case_members(self.request)));
        let response_elements = match self.outcome {
            Ok(Some(response)) if !read_only => camel_case_members(response),
            _ => Value::Null,
        };
        record.push("responseElements", bounded(response_elements));
        record.push("requestID", self.request_id.into());
        record.push("eventID", self.event_id.into());
        record.push("readOnly", read_only.into());
        if let Some(resources) = self.data_resources {
            let listed = resources
                .iter()
                .map(|resource| {
                    let mut item = Object::with_capacity(3);
                    if let Some(account) = resource.account_id {
                        item.push("accountId", account.into());
                    }
                    item.push("type", resource.resource_type.into());
                    item.push("ARN", resource.arn.into());
                    Value::Object(item)
                })
                .collect();
            record.push("resources", Value::Array(listed));
        }
        record.push("eventType", "AwsApiCall".into());
        record.push("managementEvent", self.data_resources.is_none().into());
        record.push("recipientAccountId", recipient_account_id.into());
        let category = if self.data_resources.is_some() { "Data" } else { "Management" };
        record.push("eventCategory", category.into());
        let mut out = Vec::with_capacity(1024);
        json::write_object(&record, &mut out);
        out
    }
}

/// `value`, or — when its JSON text is larger than CloudTrail's field limit (100 KB) — the
/// marker CloudTrail writes for a truncated field: `{"omitted":true,"originalSize":N}`. The
/// record then always fits the WAL, whatever a caller sent.
fn bounded(value: Value) -> Value {
    let size = value.encoded_len();
    if size <= limits::PAYLOAD_OBJECT_BYTES_MAX {
        return value;
    }
    let mut marker = Object::with_capacity(2);
    marker.push("omitted", true.into());
    marker.push("originalSize", Value::Number(json::Number::from_u64(size as u64)));
    Value::Object(marker)
}

/// A non-empty JSON object with CloudTrail's lower-camel-case member names (CloudTrail writes
/// its own parameters so); anything else is `null`.
fn camel_case_members(text: &[u8]) -> Value {
    match json::parse(text) {
        Ok(Value::Object(object)) if !object.is_empty() => Value::Object(camel_case(object)),
        _ => Value::Null,
    }
}

/// `S3BucketName` → `s3BucketName`, `TrailARN` → `trailARN`, recursively.
fn camel_case(object: Object) -> Object {
    let members = object
        .into_members()
        .into_iter()
        .map(|(name, value)| {
            let mut chars = name.chars();
            let name = match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => name,
            };
            let value = match value {
                Value::Object(inner) => Value::Object(camel_case(inner)),
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|v| {
                            if let Value::Object(o) = v { Value::Object(camel_case(o)) } else { v }
                        })
                        .collect(),
                ),
                other => other,
            };
            (name, value)
        })
        .collect();
    Object::from_members(members)
}

fn truncate(text: &str, bytes_max: usize) -> &str {
    if text.len() <= bytes_max {
        return text;
    }
    let mut end = bytes_max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(name: &'a str, outcome: Result<Option<&'a [u8]>, CallError<'a>>) -> ApiCall<'a> {
        ApiCall {
            identity: CallerIdentity {
                principal_type: "IAMUser",
                principal_id: "AIDAEXAMPLE",
                arn: "arn:aws:iam::123456789012:user/alice",
                account_id: "123456789012",
                access_key_id: "AKIDEXAMPLE",
                user_name: Some("alice"),
            },
            event_time_ms: 1_795_183_500_999,
            event_source: "cloudtrail.amazonaws.com",
            event_name: name,
            aws_region: "eu-west-1",
            source_ip: "192.0.2.1",
            user_agent: "aws-cli/2.0",
            request: br#"{"Name":"main","S3BucketName":"logs","TagsList":[{"Key":"k"}]}"#,
            outcome,
            request_id: "r-1",
            event_id: "e-1",
            data_resources: None,
        }
    }

    fn check(call: ApiCall<'_>, expected: &str) {
        assert_eq!(String::from_utf8(call.record()).unwrap(), expected);
    }

    const IDENTITY: &str = r#""userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIDEXAMPLE","userName":"alice"}"#;

    #[test]
    fn a_change_records_its_parameters_and_response_in_camel_case() {
        let response =
            br#"{"Name":"main","TrailARN":"arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"}"#;
        check(
            call("CreateTrail", Ok(Some(response))),
            &format!(
                r#"{{"eventVersion":"1.11",{IDENTITY},"eventTime":"2026-11-20T14:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"CreateTrail","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.0","requestParameters":{{"name":"main","s3BucketName":"logs","tagsList":[{{"key":"k"}}]}},"responseElements":{{"name":"main","trailARN":"arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"}},"requestID":"r-1","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}}"#
            ),
        );
    }

    #[test]
    fn a_failure_records_its_error_and_no_response() {
        let error = CallError { code: "TrailNotFoundException", message: "Unknown trail" };
        check(
            call("GetTrail", Err(error)),
            &format!(
                r#"{{"eventVersion":"1.11",{IDENTITY},"eventTime":"2026-11-20T14:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"GetTrail","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.0","errorCode":"TrailNotFoundException","errorMessage":"Unknown trail","requestParameters":{{"name":"main","s3BucketName":"logs","tagsList":[{{"key":"k"}}]}},"responseElements":null,"requestID":"r-1","eventID":"e-1","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}}"#
            ),
        );
    }

    #[test]
    fn read_only_answers_and_empty_members_are_null() {
        let mut read = call("ListTrails", Ok(Some(br#"{"Trails":[]}"#)));
        read.request = b"{}";
        assert!(read.read_only());
        let text = String::from_utf8(read.record()).unwrap();
        assert!(text.contains(r#""requestParameters":null,"responseElements":null"#), "{text}");
        let mut empty = call("DeleteTrail", Ok(Some(b"{}")));
        empty.request = b"not json";
        let text = String::from_utf8(empty.record()).unwrap();
        assert!(text.contains(r#""requestParameters":null,"responseElements":null"#), "{text}");
    }

    #[test]
    fn an_anonymous_call_is_recorded_in_the_account_it_touched() {
        let mut anonymous = call("Unsubscribe", Ok(None));
        anonymous.identity = CallerIdentity::ANONYMOUS;
        anonymous.event_source = "sns.amazonaws.com";
        let text = String::from_utf8(anonymous.record_in("111122223333")).unwrap();
        assert!(
            text.contains(r#""userIdentity":{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"},"#),
            "{text}"
        );
        assert!(text.contains(r#""recipientAccountId":"111122223333""#), "{text}");
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let agent = "é".repeat(limits::SHORT_TEXT_BYTES_MAX);
        let mut long = call("GetTrail", Ok(None));
        long.user_agent = &agent;
        let text = String::from_utf8(long.record()).unwrap();
        let record = json::parse(text.as_bytes()).unwrap();
        let Value::Object(record) = record else { panic!("{text}") };
        let Some(Value::String(cut)) = record.get("userAgent") else { panic!("{text}") };
        assert_eq!(cut.len(), limits::SHORT_TEXT_BYTES_MAX);
    }

    #[test]
    fn an_oversized_field_is_replaced_by_the_omitted_marker_and_the_record_fits() {
        let values: Vec<String> =
            (0..480).map(|i| format!("\"{i:04}{}\"", "v".repeat(2044))).collect();
        let request = format!(r#"{{"TrailName":"t","Values":[{}]}}"#, values.join(","));
        let mut long = call("PutEventSelectors", Ok(Some(request.as_bytes())));
        long.request = request.as_bytes();
        let record = long.record();
        assert!(record.len() < limits::RECORD_BYTES_MAX, "{}", record.len());
        let text = String::from_utf8(record).unwrap();
        let size = request.len();
        assert!(
            text.contains(&format!(
                r#""requestParameters":{{"omitted":true,"originalSize":{size}}}"#
            )),
            "{}",
            &text[..600]
        );
        assert!(
            text.contains(&format!(
                r#""responseElements":{{"omitted":true,"originalSize":{size}}}"#
            ))
        );
        // Under the limit, nothing changes.
        let short = String::from_utf8(call("CreateTrail", Ok(None)).record()).unwrap();
        assert!(short.contains(r#""requestParameters":{"name":"main""#));
    }

    #[test]
    fn a_data_event_lists_its_resources_and_is_no_management_event() {
        let resources = [
            Resource {
                resource_type: "AWS::S3::Object",
                arn: "arn:aws:s3:::logs/k",
                account_id: None,
            },
            Resource {
                resource_type: "AWS::S3::Bucket",
                arn: "arn:aws:s3:::logs",
                account_id: Some("123456789012"),
            },
        ];
        let mut read = call("GetObject", Ok(None));
        read.event_source = "s3.amazonaws.com";
        read.data_resources = Some(&resources);
        let text = String::from_utf8(read.record()).unwrap();
        assert!(text.ends_with(
            r#""readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::logs/k"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}"#
        ), "{text}");
    }
}
