//! Classifications CloudTrail derives from an event's source and name: read-only or not, and
//! management, data or Insights category.

use crate::record::{EventCategory, EventType, Record};

/// Event names that read although their names do not start with a read verb. CloudTrail marks
/// these `readOnly: true` (KMS cryptographic operations, STS credential issuance, S3 Select,
/// DynamoDB reads, CloudTrail's own queries).
const READ_ONLY_EXCEPTIONS: &[(&str, &str)] = &[
    ("kms.amazonaws.com", "Decrypt"),
    ("kms.amazonaws.com", "Encrypt"),
    ("kms.amazonaws.com", "GenerateDataKey"),
    ("kms.amazonaws.com", "GenerateDataKeyPair"),
    ("kms.amazonaws.com", "GenerateDataKeyPairWithoutPlaintext"),
    ("kms.amazonaws.com", "GenerateDataKeyWithoutPlaintext"),
    ("kms.amazonaws.com", "GenerateMac"),
    ("kms.amazonaws.com", "GenerateRandom"),
    ("kms.amazonaws.com", "ReEncrypt"),
    ("kms.amazonaws.com", "Sign"),
    ("kms.amazonaws.com", "Verify"),
    ("kms.amazonaws.com", "VerifyMac"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("sts.amazonaws.com", "AssumeRoleWithSAML"),
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity"),
    ("sts.amazonaws.com", "DecodeAuthorizationMessage"),
    ("s3.amazonaws.com", "SelectObjectContent"),
    ("dynamodb.amazonaws.com", "Query"),
    ("dynamodb.amazonaws.com", "Scan"),
    ("cloudtrail.amazonaws.com", "StartQuery"),
];

/// Event names that start with a read verb but change state; CloudTrail marks these
/// `readOnly: false`.
const WRITE_EXCEPTIONS: &[(&str, &str)] = &[
    ("ec2.amazonaws.com", "GetConsoleScreenshot"),
    ("secretsmanager.amazonaws.com", "GetRandomPassword"),
    ("sts.amazonaws.com", "GetFederationToken"),
    ("sts.amazonaws.com", "GetSessionToken"),
];

const READ_VERBS: &[&str] = &["Get", "List", "Describe", "Head", "Lookup", "BatchGet", "Search"];

/// Whether CloudTrail would record this call with `readOnly: true`: AWS's convention (names
/// starting with Get, List, Describe, Head, Lookup, BatchGet or Search read) with the
/// exceptions above.
pub fn is_read_only(event_source: &str, event_name: &str) -> bool {
    let key = (event_source, event_name);
    if WRITE_EXCEPTIONS.contains(&key) {
        return false;
    }
    if READ_ONLY_EXCEPTIONS.contains(&key) {
        return true;
    }
    READ_VERBS.iter().any(|verb| {
        event_name.strip_prefix(verb).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
        })
    })
}

/// Data-plane operations CloudTrail records as data events (not management events) by
/// default for the sources OpenTrail models.
pub fn is_data_event(event_source: &str, event_name: &str) -> bool {
    match event_source {
        "s3.amazonaws.com" => matches!(
            event_name,
            "GetObject"
                | "PutObject"
                | "DeleteObject"
                | "DeleteObjects"
                | "HeadObject"
                | "CopyObject"
                | "GetObjectAcl"
                | "PutObjectAcl"
                | "GetObjectTagging"
                | "PutObjectTagging"
                | "DeleteObjectTagging"
                | "GetObjectAttributes"
                | "RestoreObject"
                | "SelectObjectContent"
                | "CreateMultipartUpload"
                | "UploadPart"
                | "UploadPartCopy"
                | "CompleteMultipartUpload"
                | "AbortMultipartUpload"
                | "ListParts"
                | "GetObjectRetention"
                | "PutObjectRetention"
                | "GetObjectLegalHold"
                | "PutObjectLegalHold"
        ),
        "lambda.amazonaws.com" => {
            event_name == "Invoke" || event_name == "InvokeWithResponseStream"
        }
        "dynamodb.amazonaws.com" => matches!(
            event_name,
            "GetItem"
                | "PutItem"
                | "UpdateItem"
                | "DeleteItem"
                | "Query"
                | "Scan"
                | "BatchGetItem"
                | "BatchWriteItem"
                | "TransactGetItems"
                | "TransactWriteItems"
        ),
        "sns.amazonaws.com" => event_name == "Publish" || event_name == "PublishBatch",
        "sqs.amazonaws.com" => matches!(
            event_name,
            "SendMessage"
                | "SendMessageBatch"
                | "ReceiveMessage"
                | "DeleteMessage"
                | "DeleteMessageBatch"
        ),
        _ => false,
    }
}

/// The record's category: its `eventCategory` when that is a known value, otherwise inferred
/// from `eventType`, `managementEvent` and the data-event table (older records lack the field).
pub fn category(record: &Record) -> EventCategory {
    if let Some(category) = record.event_category.as_deref().and_then(EventCategory::parse) {
        return category;
    }
    match record.event_type_known() {
        Some(EventType::AwsCloudTrailInsight) => return EventCategory::Insight,
        Some(EventType::AwsVpceEvent) => return EventCategory::NetworkActivity,
        Some(EventType::ActivityLog) => return EventCategory::ActivityAuditLog,
        _ => {}
    }
    if record.insight_details.is_present() {
        return EventCategory::Insight;
    }
    match record.management_event.get() {
        Some(true) => EventCategory::Management,
        Some(false) => EventCategory::Data,
        None => {
            let source = record.event_source().unwrap_or_default();
            let name = record.event_name().unwrap_or_default();
            if is_data_event(source, name) {
                EventCategory::Data
            } else {
                EventCategory::Management
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_convention() {
        for (source, name, expected) in [
            ("ec2.amazonaws.com", "DescribeInstances", true),
            ("s3.amazonaws.com", "ListBuckets", true),
            ("s3.amazonaws.com", "HeadObject", true),
            ("cloudtrail.amazonaws.com", "LookupEvents", true),
            ("dynamodb.amazonaws.com", "BatchGetItem", true),
            ("kms.amazonaws.com", "Decrypt", true),
            ("sts.amazonaws.com", "AssumeRole", true),
            ("sts.amazonaws.com", "GetSessionToken", false),
            ("ec2.amazonaws.com", "RunInstances", false),
            ("iam.amazonaws.com", "Listener", false),
            ("signin.amazonaws.com", "ConsoleLogin", false),
            ("cloudtrail.amazonaws.com", "StopLogging", false),
        ] {
            assert_eq!(is_read_only(source, name), expected, "{source} {name}");
        }
    }
}
