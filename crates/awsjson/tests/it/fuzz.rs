//! No request body or `X-Amz-Target` makes the framing panic: real CloudTrail, Logs and
//! CloudTrail Data requests, mutated byte by byte and with each other's pieces, parsed, and
//! every member read with every typed accessor, nested object lists included.
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 20000), seed: `OPENTRAIL_FUZZ_SEED`.

use awsjson::Input;
use mutation_fuzz::{Rng, mutate};

/// Requests as the AWS CLI sends them; the target is the first line.
const REQUESTS: &[&str] = &[
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail\n{\"Name\":\"t\",\"S3BucketName\":\"b\",\"IsMultiRegionTrail\":true,\"EnableLogFileValidation\":true,\"TagsList\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
    "CloudTrail_20131101.LookupEvents\n{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":\"StopLogging\"}],\"StartTime\":1795168800.5,\"EndTime\":1795172400,\"MaxResults\":50,\"NextToken\":\"abc\"}",
    "CloudTrail_20131101.PutEventSelectors\n{\"TrailName\":\"t\",\"AdvancedEventSelectors\":[{\"Name\":\"n\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"],\"NotStartsWith\":[\"arn:aws:s3:::b/\"]}]}]}",
    "Logs_20140328.PutMetricFilter\n{\"logGroupName\":\"g\",\"filterName\":\"f\",\"filterPattern\":\"{ $.eventName = \\\"StopLogging\\\" }\",\"metricTransformations\":[{\"metricName\":\"m\",\"metricNamespace\":\"ns\",\"metricValue\":\"1\",\"defaultValue\":0}]}",
    "CloudTrail_20131101.ListPublicKeys\n{\"StartTime\":0,\"EndTime\":9223372036854775807}",
];

/// Names the operations read, and a few that no request has.
const MEMBERS: &[&str] = &[
    "Name",
    "S3BucketName",
    "IsMultiRegionTrail",
    "EnableLogFileValidation",
    "TagsList",
    "Key",
    "Value",
    "LookupAttributes",
    "AttributeKey",
    "AttributeValue",
    "StartTime",
    "EndTime",
    "MaxResults",
    "NextToken",
    "TrailName",
    "AdvancedEventSelectors",
    "FieldSelectors",
    "Field",
    "Equals",
    "NotStartsWith",
    "logGroupName",
    "filterName",
    "filterPattern",
    "metricTransformations",
    "metricValue",
    "defaultValue",
    "",
    "é",
];

/// Reads every member every way, depth first, at most `depth` object lists down.
fn read_all(input: &Input, depth: usize) {
    let _ = input.members().len();
    for name in MEMBERS.iter().copied().chain(input.members().keys().map(String::as_str)) {
        let _ = input.get(name);
        let _ = input.string(name);
        let _ = input.required_string(name, "t");
        let _ = input.bool(name);
        let _ = input.integer(name);
        let _ = input.timestamp_ms(name);
        let _ = input.string_list(name);
        if depth > 0
            && let Ok(Some(list)) = input.object_list(name)
        {
            for item in &list {
                read_all(item, depth - 1);
            }
        }
    }
}

#[test]
fn no_request_panics_the_framing() {
    let pieces: Vec<Vec<u8>> = REQUESTS.iter().map(|r| r.as_bytes().to_vec()).collect();
    mutation_fuzz::run(
        "AWS JSON request",
        20_000,
        |rng: &mut Rng| {
            let base = rng.pick(&pieces).clone();
            mutate(rng, &base, &pieces)
        },
        |bytes| {
            let (target, body) = match bytes.iter().position(|b| *b == b'\n') {
                Some(at) => (String::from_utf8_lossy(&bytes[..at]).into_owned(), &bytes[at + 1..]),
                None => (String::new(), &bytes[..]),
            };
            let _ = awsjson::is_cloudtrail_target(&target);
            for prefix in ["CloudTrail_20131101", "Logs_20140328", ""] {
                let _ = awsjson::addresses(&target, prefix);
                let _ = awsjson::operation(Some(&target), prefix);
            }
            for body in [body, bytes] {
                if let Ok(input) = Input::parse(body) {
                    read_all(&input, 3);
                }
            }
        },
    );
}
