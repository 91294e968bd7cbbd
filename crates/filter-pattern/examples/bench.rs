//! Throughput of the CIS v3.0 monitoring pack (`spec/cis-pack.md` §3, the 15 CIS v3.0 texts)
//! over the CloudTrail record corpus: each event is parsed once and evaluated against every
//! pattern, on one thread.
//!
//! `cargo run --release --example bench [-- <seconds per round>]` (best of 5 rounds); reads
//! `$OPENTRAIL_SHARED_DIR/data/cloudtrail/records/*.ndjson` (default: the shared directory
//! beside the workspace, else `/work/shared`).

#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use filter_pattern::{EventParser, Pattern, PatternSet};

/// CIS AWS Foundations Benchmark v3.0.0, 4.1–4.15, as reproduced in `cis-pack.md` §3.
const CIS_V3: [&str; 15] = [
    r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#,
    r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#,
    r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    r#"{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"#,
    r#"{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"#,
    r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
    r#"{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"#,
    r#"{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"#,
    r#"{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"#,
    r#"{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"#,
    r#"{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"#,
    r#"{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"#,
    r#"{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"#,
    r#"{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"#,
    r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
];

fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENTRAIL_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if beside.join("data").is_dir() { beside } else { PathBuf::from("/work/shared") }
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    // `parse` or `all` to run one phase only (for profiling).
    let only = std::env::args().nth(2);
    let rounds = if only.is_some() { 1 } else { 5 };
    let patterns: Vec<Pattern> =
        CIS_V3.iter().map(|text| Pattern::parse(text).expect("CIS pattern parses")).collect();
    let mut records = Vec::new();
    let dir = shared_dir().join("data/cloudtrail/records");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read `{}`: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ndjson"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read records");
        records.extend(text.lines().map(str::to_owned));
    }
    let n_bytes: usize = records.iter().map(String::len).sum();
    println!(
        "{} patterns, {} records, {:.0} bytes per record on average",
        patterns.len(),
        records.len(),
        n_bytes as f64 / records.len() as f64
    );

    // The machine may be shared: report the best of several runs of each phase.
    let mut parser = EventParser::new();
    let set = PatternSet::new(patterns.clone());
    let mut matched = Vec::new();
    let mut best = |evaluate: u8| -> (f64, f64) {
        let (mut best_rate, mut matches_per_event) = (0f64, 0f64);
        for _ in 0..rounds {
            let (mut n_events, mut n_matches) = (0u64, 0u64);
            let start = Instant::now();
            // A non-positive duration runs the corpus exactly once (for instruction counting).
            while n_events == 0 || start.elapsed().as_secs_f64() < seconds {
                for record in &records {
                    let event = parser.parse(black_box(record));
                    match evaluate {
                        0 => n_matches += u64::from(event.is_json_object()),
                        1 => {
                            for pattern in &patterns {
                                n_matches += u64::from(pattern.matches_event(&event));
                            }
                        }
                        _ => {
                            set.matching(&event, &mut matched);
                            n_matches += matched.len() as u64;
                        }
                    }
                    n_events += 1;
                }
            }
            let rate = n_events as f64 / start.elapsed().as_secs_f64();
            if rate > best_rate {
                best_rate = rate;
                matches_per_event = black_box(n_matches) as f64 / n_events as f64;
            }
        }
        (best_rate, matches_per_event)
    };
    if only.as_deref() != Some("all") {
        let (rate, _) = best(0);
        let mb = rate * n_bytes as f64 / records.len() as f64 / 1e6;
        println!("parse only:          {rate:>10.0} events/s ({mb:.0} MB/s)");
    }
    if only.as_deref() == Some("parse") {
        return;
    }
    for (mode, label) in [(1, "one by one"), (2, "as a PatternSet")] {
        if only.as_deref() == Some("set") && mode == 1 {
            continue;
        }
        let (rate, matches_per_event) = best(mode);
        println!(
            "parse + {} patterns {label}: {rate:>10.0} events/s ({:.1} matches per 1000 events)",
            patterns.len(),
            matches_per_event * 1000.0
        );
    }
}
