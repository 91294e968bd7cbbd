//! Routing table: event × trail configuration → delivered or not, over every rule routing
//! applies (account, organization, region, global service events, categories) and every
//! advanced-selector field and operator trails accept.

mod consumer;

use cloudtrail_model::Record;
use log_delivery::{Organization, TrailRoute};
use trail_selectors::Selectors;

const ACCT: &str = "111122223333";
const MEMBER: &str = "444455556666";
const OUTSIDER: &str = "777788889999";

/// A record: defaults overridden by `fields` (JSON members, already encoded).
fn record(fields: &[(&str, &str)]) -> Record {
    let mut members: Vec<(String, String)> = vec![
        ("eventVersion".into(), r#""1.11""#.into()),
        (
            "userIdentity".into(),
            format!(
                r#"{{"type":"IAMUser","arn":"arn:aws:iam::{ACCT}:user/alice","accountId":"{ACCT}"}}"#
            ),
        ),
        ("eventTime".into(), r#""2026-11-21T00:00:00Z""#.into()),
        ("eventSource".into(), r#""ec2.amazonaws.com""#.into()),
        ("eventName".into(), r#""RunInstances""#.into()),
        ("awsRegion".into(), r#""us-east-1""#.into()),
        ("sourceIPAddress".into(), r#""192.0.2.1""#.into()),
        ("eventID".into(), r#""e1""#.into()),
        ("readOnly".into(), "false".into()),
        ("eventType".into(), r#""AwsApiCall""#.into()),
        ("managementEvent".into(), "true".into()),
        ("recipientAccountId".into(), format!(r#""{ACCT}""#)),
        ("eventCategory".into(), r#""Management""#.into()),
    ];
    for (name, value) in fields {
        match members.iter_mut().find(|(n, _)| n == name) {
            Some(slot) if *value == "<absent>" => slot.1 = String::new(),
            Some(slot) => slot.1 = (*value).to_owned(),
            None => members.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    let body: Vec<String> = members
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| format!(r#""{n}":{v}"#))
        .collect();
    Record::parse(format!("{{{}}}", body.join(",")).as_bytes()).unwrap()
}

/// An S3 object data event on `key` in `bucket`.
fn s3(event_name: &str, bucket: &str, key: &str, read_only: bool) -> Record {
    record(&[
        ("eventSource", r#""s3.amazonaws.com""#),
        ("eventName", &format!(r#""{event_name}""#)),
        ("readOnly", if read_only { "true" } else { "false" }),
        ("managementEvent", "false"),
        ("eventCategory", r#""Data""#),
        (
            "resources",
            &format!(
                r#"[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/{key}"}},{{"accountId":"{ACCT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]"#
            ),
        ),
    ])
}

fn data(source: &str, name: &str, resource_type: &str, arn: &str) -> Record {
    record(&[
        ("eventSource", &format!(r#""{source}""#)),
        ("eventName", &format!(r#""{name}""#)),
        ("managementEvent", "false"),
        ("eventCategory", r#""Data""#),
        (
            "resources",
            &format!(r#"[{{"accountId":"{ACCT}","type":"{resource_type}","ARN":"{arn}"}}]"#),
        ),
    ])
}

fn network(error_code: &str, vpce: &str) -> Record {
    record(&[
        ("eventSource", r#""s3.amazonaws.com""#),
        ("eventName", r#""PutObject""#),
        ("eventType", r#""AwsVpceEvent""#),
        ("eventCategory", r#""NetworkActivity""#),
        ("errorCode", &format!(r#""{error_code}""#)),
        ("vpcEndpointId", &format!(r#""{vpce}""#)),
        ("managementEvent", "<absent>"),
    ])
}

fn trail(basic: Option<&str>, advanced: Option<&str>) -> TrailRoute {
    let parse = |text: &str| cloudtrail_model::json::parse(text.as_bytes()).unwrap();
    let selectors = match (basic, advanced) {
        (None, None) => Selectors::default_for_new_trail(),
        (b, a) => Selectors::from_request(b.map(parse).as_ref(), a.map(parse).as_ref())
            .unwrap_or_else(|e| panic!("selectors {basic:?} {advanced:?}: {}", e.message)),
    };
    TrailRoute {
        trail_arn: format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/main"),
        name: "main".into(),
        account_id: ACCT.into(),
        home_region: "us-east-1".into(),
        is_multi_region_trail: false,
        include_global_service_events: true,
        is_organization_trail: false,
        s3_bucket_name: "audit-logs".into(),
        s3_key_prefix: None,
        selectors,
    }
}

fn basic(text: &str) -> TrailRoute {
    trail(Some(text), None)
}

fn advanced(text: &str) -> TrailRoute {
    trail(None, Some(text))
}

fn organization() -> Organization {
    Organization {
        id: "o-a1b2c3d4e5".into(),
        management_account: ACCT.into(),
        member_accounts: vec![MEMBER.into()],
    }
}

/// One row: a description, the trail, the record, whether it is delivered.
type Row = (&'static str, TrailRoute, Record, bool);

fn rows() -> Vec<Row> {
    let default = || trail(None, None);
    let multi = TrailRoute { is_multi_region_trail: true, ..default() };
    let no_global = TrailRoute { include_global_service_events: false, ..default() };
    let org_trail = TrailRoute { is_organization_trail: true, ..default() };
    let iam =
        record(&[("eventSource", r#""iam.amazonaws.com""#), ("eventName", r#""CreateUser""#)]);
    let eu = |fields: &[(&str, &str)]| {
        let mut all = vec![("awsRegion", r#""eu-west-1""#)];
        all.extend_from_slice(fields);
        record(&all)
    };
    let read = record(&[("eventName", r#""DescribeInstances""#), ("readOnly", "true")]);
    let write = record(&[]);
    let kms = record(&[
        ("eventSource", r#""kms.amazonaws.com""#),
        ("eventName", r#""Decrypt""#),
        ("readOnly", "true"),
    ]);
    let rds_data = record(&[
        ("eventSource", r#""rdsdata.amazonaws.com""#),
        ("eventName", r#""ExecuteStatement""#),
    ]);
    let mgmt_adv = r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]"#;
    let s3_adv = |extra: &str| {
        format!(
            r#"[{{"FieldSelectors":[{{"Field":"eventCategory","Equals":["Data"]}},{{"Field":"resources.type","Equals":["AWS::S3::Object"]}}{extra}]}}]"#
        )
    };
    let console = s3("GetObject", "acme", "a.pdf", true);
    let mut console_fields = console.clone();
    console_fields.session_credential_from_console =
        cloudtrail_model::Field::Present("true".into());
    let role_s3 = {
        let mut r = s3("GetObject", "acme", "a.pdf", true);
        let text = String::from_utf8(r.to_json_bytes()).unwrap().replace(
            &format!("arn:aws:iam::{ACCT}:user/alice"),
            &format!("arn:aws:sts::{ACCT}:assumed-role/app-server/i-0abc"),
        );
        r = Record::parse(text.as_bytes()).unwrap();
        r
    };
    vec![
        // Account, organization, region, global service events, categories.
        ("home-region management event", default(), write.clone(), true),
        ("other region, single-region trail", default(), eu(&[]), false),
        ("other region, multi-region trail", multi.clone(), eu(&[]), true),
        (
            "another partition's region, multi-region trail",
            multi.clone(),
            record(&[("awsRegion", r#""cn-north-1""#)]),
            false,
        ),
        (
            "GovCloud region, multi-region trail",
            multi.clone(),
            record(&[("awsRegion", r#""us-gov-west-1""#)]),
            false,
        ),
        (
            "its own partition, multi-region trail homed in China",
            TrailRoute { home_region: "cn-northwest-1".into(), ..multi.clone() },
            record(&[("awsRegion", r#""cn-north-1""#)]),
            true,
        ),
        ("IAM event in us-east-1, global events on", default(), iam.clone(), true),
        ("IAM event, global events off", no_global.clone(), iam.clone(), false),
        (
            "IAM event, multi-region trail homed elsewhere",
            TrailRoute { home_region: "eu-west-1".into(), ..multi.clone() },
            iam.clone(),
            true,
        ),
        (
            "regional STS event is not global",
            TrailRoute { is_multi_region_trail: true, ..no_global.clone() },
            eu(&[("eventSource", r#""sts.amazonaws.com""#), ("eventName", r#""AssumeRole""#)]),
            true,
        ),
        (
            "another account's event",
            default(),
            record(&[("recipientAccountId", &format!(r#""{OUTSIDER}""#))]),
            false,
        ),
        (
            "organization trail, member account",
            org_trail.clone(),
            record(&[("recipientAccountId", &format!(r#""{MEMBER}""#))]),
            true,
        ),
        (
            "organization trail, account outside",
            org_trail.clone(),
            record(&[("recipientAccountId", &format!(r#""{OUTSIDER}""#))]),
            false,
        ),
        (
            "organization flag on a member's trail",
            TrailRoute { account_id: MEMBER.into(), ..org_trail.clone() },
            record(&[]),
            false,
        ),
        (
            "Insights event",
            default(),
            record(&[
                ("eventType", r#""AwsCloudTrailInsight""#),
                ("eventCategory", r#""Insight""#),
                ("insightDetails", r#"{"state":"Start"}"#),
            ]),
            false,
        ),
        (
            "Lake integration event",
            default(),
            record(&[
                ("eventType", r#""ActivityLog""#),
                ("eventCategory", r#""ActivityAuditLog""#),
            ]),
            false,
        ),
        ("no recipientAccountId", default(), record(&[("recipientAccountId", "<absent>")]), false),
        // Basic selectors: management events.
        (
            "ReadOnly trail, write event",
            basic(r#"[{"ReadWriteType":"ReadOnly"}]"#),
            write.clone(),
            false,
        ),
        (
            "ReadOnly trail, read event",
            basic(r#"[{"ReadWriteType":"ReadOnly"}]"#),
            read.clone(),
            true,
        ),
        (
            "WriteOnly trail, write event",
            basic(r#"[{"ReadWriteType":"WriteOnly"}]"#),
            write.clone(),
            true,
        ),
        (
            "WriteOnly trail, read event",
            basic(r#"[{"ReadWriteType":"WriteOnly"}]"#),
            read.clone(),
            false,
        ),
        (
            "KMS excluded",
            basic(r#"[{"ExcludeManagementEventSources":["kms.amazonaws.com"]}]"#),
            kms.clone(),
            false,
        ),
        ("KMS not excluded", default(), kms.clone(), true),
        (
            "RDS Data API excluded",
            basic(r#"[{"ExcludeManagementEventSources":["rdsdata.amazonaws.com"]}]"#),
            rds_data,
            false,
        ),
        (
            "management events off",
            basic(
                r#"[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#,
            ),
            write.clone(),
            false,
        ),
        // Basic selectors: data events.
        (
            "S3 bucket prefix, object in bucket",
            basic(
                r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::acme/"]}]}]"#,
            ),
            s3("GetObject", "acme", "x.pdf", true),
            true,
        ),
        (
            "S3 bucket prefix, other bucket",
            basic(
                r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::acme/"]}]}]"#,
            ),
            s3("GetObject", "other", "x.pdf", true),
            false,
        ),
        (
            "S3 all buckets",
            basic(r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#),
            s3("PutObject", "any", "k", false),
            true,
        ),
        (
            "S3 key prefix, inside",
            basic(
                r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::acme/logs/"]}]}]"#,
            ),
            s3("GetObject", "acme", "logs/a", true),
            true,
        ),
        (
            "S3 key prefix, outside",
            basic(
                r#"[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::acme/logs/"]}]}]"#,
            ),
            s3("GetObject", "acme", "other/a", true),
            false,
        ),
        (
            "S3 data resource, ReadOnly selector, write",
            basic(
                r#"[{"ReadWriteType":"ReadOnly","DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]"#,
            ),
            s3("PutObject", "acme", "k", false),
            false,
        ),
        ("data event, no data resources", default(), s3("GetObject", "acme", "k", true), false),
        (
            "Lambda all functions",
            basic(
                r#"[{"DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}]}]"#,
            ),
            data(
                "lambda.amazonaws.com",
                "Invoke",
                "AWS::Lambda::Function",
                &format!("arn:aws:lambda:us-east-1:{ACCT}:function:orders"),
            ),
            true,
        ),
        (
            "Lambda one function, another invoked",
            basic(&format!(
                r#"[{{"DataResources":[{{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda:us-east-1:{ACCT}:function:orders"]}}]}}]"#
            )),
            data(
                "lambda.amazonaws.com",
                "Invoke",
                "AWS::Lambda::Function",
                &format!("arn:aws:lambda:us-east-1:{ACCT}:function:orders2"),
            ),
            false,
        ),
        (
            "DynamoDB table",
            basic(&format!(
                r#"[{{"DataResources":[{{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"]}}]}}]"#
            )),
            data(
                "dynamodb.amazonaws.com",
                "GetItem",
                "AWS::DynamoDB::Table",
                &format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"),
            ),
            true,
        ),
        // Advanced selectors: every field and operator trails accept.
        (
            "advanced eventCategory Management, management event",
            advanced(mgmt_adv),
            write.clone(),
            true,
        ),
        (
            "advanced eventCategory Management, data event",
            advanced(mgmt_adv),
            s3("GetObject", "acme", "k", true),
            false,
        ),
        (
            "advanced readOnly Equals true, write event",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}]}]"#,
            ),
            write.clone(),
            false,
        ),
        (
            "advanced readOnly Equals true, read event",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}]}]"#,
            ),
            read.clone(),
            true,
        ),
        (
            "advanced eventSource NotEquals kms, KMS",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}]"#,
            ),
            kms.clone(),
            false,
        ),
        (
            "advanced eventSource NotEquals kms, EC2",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}]"#,
            ),
            write.clone(),
            true,
        ),
        (
            "advanced resources.type S3 object",
            advanced(&s3_adv("")),
            s3("GetObject", "acme", "k", true),
            true,
        ),
        (
            "advanced resources.type S3, Lambda event",
            advanced(&s3_adv("")),
            data(
                "lambda.amazonaws.com",
                "Invoke",
                "AWS::Lambda::Function",
                &format!("arn:aws:lambda:us-east-1:{ACCT}:function:f"),
            ),
            false,
        ),
        (
            "advanced resources.ARN StartsWith, inside",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::acme/"]}"#)),
            s3("GetObject", "acme", "k", true),
            true,
        ),
        (
            "advanced resources.ARN StartsWith, outside",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::acme/"]}"#)),
            s3("GetObject", "other", "k", true),
            false,
        ),
        (
            "advanced resources.ARN EndsWith .pdf",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","EndsWith":[".pdf"]}"#)),
            s3("GetObject", "acme", "a.pdf", true),
            true,
        ),
        (
            "advanced resources.ARN EndsWith .pdf, png",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","EndsWith":[".pdf"]}"#)),
            s3("GetObject", "acme", "a.png", true),
            false,
        ),
        (
            "advanced resources.ARN NotStartsWith private/",
            advanced(&s3_adv(
                r#",{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::acme/private/"]}"#,
            )),
            s3("GetObject", "acme", "private/a", true),
            false,
        ),
        (
            "advanced resources.ARN NotStartsWith private/, public",
            advanced(&s3_adv(
                r#",{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::acme/private/"]}"#,
            )),
            s3("GetObject", "acme", "public/a", true),
            true,
        ),
        (
            "advanced resources.ARN NotEndsWith .tmp",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","NotEndsWith":[".tmp"]}"#)),
            s3("PutObject", "acme", "a.tmp", false),
            false,
        ),
        (
            "advanced resources.ARN Equals exact",
            advanced(&s3_adv(r#",{"Field":"resources.ARN","Equals":["arn:aws:s3:::acme/a.pdf"]}"#)),
            s3("GetObject", "acme", "a.pdf", true),
            true,
        ),
        (
            "advanced resources.ARN NotEquals exact",
            advanced(&s3_adv(
                r#",{"Field":"resources.ARN","NotEquals":["arn:aws:s3:::acme/a.pdf"]}"#,
            )),
            s3("GetObject", "acme", "a.pdf", true),
            false,
        ),
        (
            "advanced eventName Equals GetObject, PutObject",
            advanced(&s3_adv(r#",{"Field":"eventName","Equals":["GetObject"]}"#)),
            s3("PutObject", "acme", "k", false),
            false,
        ),
        (
            "advanced eventName NotEquals DeleteObject",
            advanced(&s3_adv(r#",{"Field":"eventName","NotEquals":["DeleteObject"]}"#)),
            s3("DeleteObject", "acme", "k", false),
            false,
        ),
        (
            "advanced eventName StartsWith Get",
            advanced(&s3_adv(r#",{"Field":"eventName","StartsWith":["Get"]}"#)),
            s3("GetObjectAcl", "acme", "k", true),
            true,
        ),
        (
            "advanced eventSource Equals s3",
            advanced(&s3_adv(r#",{"Field":"eventSource","Equals":["s3.amazonaws.com"]}"#)),
            s3("GetObject", "acme", "k", true),
            true,
        ),
        (
            "advanced eventType Equals AwsApiCall",
            advanced(&s3_adv(r#",{"Field":"eventType","Equals":["AwsApiCall"]}"#)),
            s3("GetObject", "acme", "k", true),
            true,
        ),
        (
            "advanced readOnly Equals false, GetObject",
            advanced(&s3_adv(r#",{"Field":"readOnly","Equals":["false"]}"#)),
            s3("GetObject", "acme", "k", true),
            false,
        ),
        (
            "advanced sessionCredentialFromConsole true, console",
            advanced(&s3_adv(r#",{"Field":"sessionCredentialFromConsole","Equals":["true"]}"#)),
            console_fields,
            true,
        ),
        (
            "advanced sessionCredentialFromConsole true, SDK",
            advanced(&s3_adv(r#",{"Field":"sessionCredentialFromConsole","Equals":["true"]}"#)),
            console,
            false,
        ),
        (
            "advanced userIdentity.arn StartsWith role, role",
            advanced(&s3_adv(&format!(
                r#",{{"Field":"userIdentity.arn","StartsWith":["arn:aws:sts::{ACCT}:assumed-role/app-server/"]}}"#
            ))),
            role_s3.clone(),
            true,
        ),
        (
            "advanced userIdentity.arn StartsWith role, user",
            advanced(&s3_adv(&format!(
                r#",{{"Field":"userIdentity.arn","StartsWith":["arn:aws:sts::{ACCT}:assumed-role/app-server/"]}}"#
            ))),
            s3("GetObject", "acme", "a.pdf", true),
            false,
        ),
        (
            "advanced userIdentity.arn NotEndsWith /i-0abc",
            advanced(&s3_adv(r#",{"Field":"userIdentity.arn","NotEndsWith":["/i-0abc"]}"#)),
            role_s3.clone(),
            false,
        ),
        (
            "advanced network activity, VpceAccessDenied",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["s3.amazonaws.com"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]}]}]"#,
            ),
            network("VpceAccessDenied", "vpce-1"),
            true,
        ),
        (
            "advanced network activity, other error",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["s3.amazonaws.com"]},{"Field":"errorCode","Equals":["VpceAccessDenied"]}]}]"#,
            ),
            network("AccessDenied", "vpce-1"),
            false,
        ),
        (
            "advanced vpcEndpointId Equals",
            advanced(
                r#"[{"FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["s3.amazonaws.com"]},{"Field":"vpcEndpointId","Equals":["vpce-1"]}]}]"#,
            ),
            network("VpceAccessDenied", "vpce-2"),
            false,
        ),
        (
            "two advanced selectors are alternatives",
            advanced(&format!(
                r#"[{{"FieldSelectors":[{{"Field":"eventCategory","Equals":["Management"]}}]}},{}"#,
                &s3_adv("")[1..]
            )),
            s3("GetObject", "acme", "k", true),
            true,
        ),
        (
            "advanced, other region, multi-region trail",
            TrailRoute { is_multi_region_trail: true, ..advanced(mgmt_adv) },
            eu(&[]),
            true,
        ),
    ]
}

#[test]
fn routing_table() {
    let rows = rows();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let organization = organization();
    let mut failures = Vec::new();
    for (what, trail, record, expected) in &rows {
        if trail.takes(record, Some(&organization)) != *expected {
            failures.push(format!(
                "{what}: expected {}",
                if *expected { "delivered" } else { "not delivered" }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
