//! The built-in CIS AWS Foundations Benchmark monitoring pack, as data (`cis-pack.md`).
//!
//! For each target version ([`CisVersion`]: CIS v1.2.0 to v5.0.0, or the Security Hub
//! CloudWatch.1–14 controls) the pack lists its monitoring controls ([`controls`]): the
//! recommendation id, the Security Hub control that evaluates it, the title, the pack's
//! metric name and the metric filter pattern, reproduced byte for byte as published (Security
//! Hub compares pattern texts, §0). Every control gets one metric filter, publishing `1` to
//! [`NAMESPACE`] / metric name with no default value, and one alarm ([`alarm_config`], §1).
//!
//! Where versions print a pattern differently the pack ships each version's own text (§3);
//! the choices where a recommendation has several texts:
//! - unauthorized API calls: v1.2 variant A; v1.4/v1.5 the console-step text A' (their CLI
//!   text, variant B, is defective and not shipped, see [`controls`]); v2.0–v5.0 variant C;
//!   Security Hub A';
//! - console sign-in without MFA: the two-clause variant A in every CIS version (v1.4/v1.5
//!   in their own print), variant B (IAM users, successful sign-ins) for Security Hub;
//! - security group changes: v5.0 adds `ModifySecurityGroupRules`;
//! - AWS Organizations changes (4.15) exists from v1.4 on and has no Security Hub control.
//!
//! Pure data: no IO. Not here: creating the filters, alarms and topic, and the pack-level
//! compliance check (trail, log group, confirmed subscription), which live with their
//! resources; the Security Hub-enabled item 4.16, which is not a metric filter.

use std::collections::BTreeMap;
use std::fmt;

use crate::{
    AlarmConfig, ComparisonOperator, MetricFilter, MetricId, MetricStatistic, Statistic,
    Transformation, TreatMissingData,
};

/// The metric namespace of every pack metric (the CIS CLI text's; Security Hub's remediation
/// uses `LogMetrics`, and no check looks at it).
pub const NAMESPACE: &str = "CISBenchmark";

/// The alarm period, in seconds (§1).
pub const PERIOD_SECONDS: u32 = 300;

/// The alarm's `EvaluationPeriods` (§1).
pub const EVALUATION_PERIODS: u32 = 1;

/// The CIS alarm threshold (§1); the pack exposes it as a parameter (the CloudTrail guide
/// uses 3 for console sign-in failures).
pub const CIS_THRESHOLD: f64 = 1.0;

/// A target of the pack: a CIS AWS Foundations Benchmark version, or the Security Hub
/// CloudWatch controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CisVersion {
    /// CIS AWS Foundations Benchmark v1.2.0 (monitoring items 3.1–3.14).
    V1_2,
    /// CIS AWS Foundations Benchmark v1.4.0 (4.1–4.15).
    V1_4,
    /// CIS AWS Foundations Benchmark v1.5.0 (4.1–4.15).
    V1_5,
    /// CIS AWS Foundations Benchmark v2.0.0 (4.1–4.15).
    V2_0,
    /// CIS AWS Foundations Benchmark v3.0.0 (4.1–4.15).
    V3_0,
    /// CIS AWS Foundations Benchmark v4.0.x (4.1–4.15).
    V4_0,
    /// CIS AWS Foundations Benchmark v5.0.0 (4.1–4.15).
    V5_0,
    /// AWS Security Hub controls CloudWatch.1–CloudWatch.14.
    SecurityHub,
}

impl CisVersion {
    /// Every target, oldest CIS version first, Security Hub last.
    pub const ALL: [CisVersion; 8] = [
        CisVersion::V1_2,
        CisVersion::V1_4,
        CisVersion::V1_5,
        CisVersion::V2_0,
        CisVersion::V3_0,
        CisVersion::V4_0,
        CisVersion::V5_0,
        CisVersion::SecurityHub,
    ];

    /// The target used when none is given.
    pub const DEFAULT: CisVersion = CisVersion::V3_0;

    /// Reads a target name, case-insensitively: `v1.2`, `1.2`, `v1.2.0` or `1.2.0` (likewise
    /// for every version), any patch level of v4 (`v4.0.1`), and `security-hub` or
    /// `securityhub`. Anything else is `None`.
    pub fn parse(text: &str) -> Option<CisVersion> {
        let lower = text.to_ascii_lowercase();
        if lower == "security-hub" || lower == "securityhub" {
            return Some(CisVersion::SecurityHub);
        }
        let number = lower.strip_prefix('v').unwrap_or(&lower);
        let (major_minor, patch) = match number.match_indices('.').nth(1) {
            Some((dot_idx, _)) => (&number[..dot_idx], Some(&number[dot_idx + 1..])),
            None => (number, None),
        };
        let version = match major_minor {
            "1.2" => CisVersion::V1_2,
            "1.4" => CisVersion::V1_4,
            "1.5" => CisVersion::V1_5,
            "2.0" => CisVersion::V2_0,
            "3.0" => CisVersion::V3_0,
            "4.0" => CisVersion::V4_0,
            "5.0" => CisVersion::V5_0,
            _ => return None,
        };
        match patch {
            None | Some("0") => Some(version),
            Some(patch)
                if version == CisVersion::V4_0
                    && !patch.is_empty()
                    && patch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(version)
            }
            Some(_) => None,
        }
    }

    /// The canonical name, which [`CisVersion::parse`] reads back: `v1.2`, `v1.4`, `v1.5`,
    /// `v2.0`, `v3.0`, `v4.0`, `v5.0` or `security-hub`.
    pub fn as_str(self) -> &'static str {
        match self {
            CisVersion::V1_2 => "v1.2",
            CisVersion::V1_4 => "v1.4",
            CisVersion::V1_5 => "v1.5",
            CisVersion::V2_0 => "v2.0",
            CisVersion::V3_0 => "v3.0",
            CisVersion::V4_0 => "v4.0",
            CisVersion::V5_0 => "v5.0",
            CisVersion::SecurityHub => "security-hub",
        }
    }
}

impl fmt::Display for CisVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One monitoring control of a version: what the pack creates a metric filter and an alarm
/// for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CisControl {
    /// The recommendation id in that version (`3.3` in v1.2, `4.3` from v1.4 on), or the
    /// Security Hub control id (`CloudWatch.1`) for [`CisVersion::SecurityHub`].
    pub control_id: &'static str,
    /// The Security Hub control that evaluates this recommendation, if any. Security Hub
    /// relates its CloudWatch controls to CIS v1.2.0 (3.1–3.14) and v1.4.0 (4.3–4.14) only
    /// (§2, "Security Hub facts"); later versions, v1.4 4.1/4.2 and 4.15 have none.
    pub security_hub: Option<&'static str>,
    /// The title in the version's wording: "Ensure a log metric filter and alarm exist for …"
    /// (v1.2–v1.5), "Ensure … is/are monitored" (v2.0+), or the Security Hub control title.
    pub title: String,
    /// The pack's metric name (`RootAccountUsage`, `UnauthorizedAPICalls`, …), the same in
    /// every version.
    pub metric_name: &'static str,
    /// The filter pattern, exactly as this version publishes it.
    pub pattern: &'static str,
}

impl CisControl {
    /// The metric filter and alarm name: `CIS-{control_id}-{metric_name}` for CIS versions,
    /// `SecurityHub-{control_id}-{metric_name}` for Security Hub.
    pub fn name(&self, version: CisVersion) -> String {
        let prefix = match version {
            CisVersion::SecurityHub => "SecurityHub",
            _ => "CIS",
        };
        format!("{prefix}-{}-{}", self.control_id, self.metric_name)
    }
}

/// The pack's controls for a version, in control order (3.1–3.14 for v1.2, 4.1–4.15 from v1.4
/// on, CloudWatch.1–14 for Security Hub).
///
/// Unauthorized API calls in v1.4/v1.5 use the console-step text A'
/// `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`, not the CLI
/// text of the same documents (variant B,
/// `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") ||
/// ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`),
/// whose `!=` clauses joined by `||` match nearly every event (§3.1).
pub fn controls(version: CisVersion) -> Vec<CisControl> {
    let mut topics: Vec<&Topic> = TOPICS.iter().collect();
    if version == CisVersion::SecurityHub {
        topics.sort_by_key(|topic| topic.security_hub_number());
    }
    topics.into_iter().filter_map(|topic| topic.control(version)).collect()
}

/// The alarm for a control (§1): `Sum` over 300 s, one evaluation period,
/// `GreaterThanOrEqualToThreshold` `threshold` (CIS: [`CIS_THRESHOLD`]), `TreatMissingData`
/// `notBreaching` (so the alarm settles in `OK` between incidents), `AlarmActions` =
/// `topic_arns`, the title as description, on [`NAMESPACE`] / the metric name without
/// dimensions, named [`CisControl::name`].
pub fn alarm_config(
    version: CisVersion,
    control: &CisControl,
    topic_arns: &[String],
    threshold: f64,
) -> AlarmConfig {
    let mut config = AlarmConfig::new(
        control.name(version),
        MetricId::new(NAMESPACE, control.metric_name),
        MetricStatistic::Statistic(Statistic::Sum),
        PERIOD_SECONDS,
        EVALUATION_PERIODS,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        threshold,
    );
    config.alarm_description = Some(control.title.clone());
    config.alarm_actions = topic_arns.to_vec();
    config.treat_missing_data = TreatMissingData::NotBreaching;
    config
}

/// The metric filter for a control (§1): the version's pattern on `log_group_name`, named
/// [`CisControl::name`], adding `1` to [`NAMESPACE`] / the metric name for each match.
pub fn metric_filter(
    version: CisVersion,
    control: &CisControl,
    log_group_name: &str,
    creation_time_ms: i64,
) -> MetricFilter {
    MetricFilter {
        filter_name: control.name(version),
        log_group_name: log_group_name.to_owned(),
        filter_pattern: control.pattern.to_owned(),
        transformation: Transformation {
            metric_name: control.metric_name.to_owned(),
            metric_namespace: NAMESPACE.to_owned(),
            metric_value: "1".to_owned(),
            default_value: None,
            dimensions: BTreeMap::new(),
            unit: None,
        },
        creation_time_ms,
    }
}

/// One monitoring topic (a row of §2) with its ids, titles and texts in every version.
struct Topic {
    metric_name: &'static str,
    /// CIS v1.2.0, `None` when v1.2 lacks the topic.
    v1_2: Option<Text>,
    /// CIS v1.4.0 and v1.5.0; its id is also the id from v2.0 on.
    v1_4: Text,
    /// The title from v2.0 on.
    title_v2: &'static str,
    /// The pattern of v2.0.0, v3.0.0 and v4.0.
    pattern_v2: &'static str,
    /// The pattern of v5.0.0.
    pattern_v5: &'static str,
    /// The Security Hub control, `None` when Security Hub has none.
    security_hub: Option<SecurityHubControl>,
}

/// A recommendation's id, title and pattern in one version.
struct Text {
    id: &'static str,
    title: &'static str,
    pattern: &'static str,
}

/// A Security Hub CloudWatch control.
struct SecurityHubControl {
    /// `CloudWatch.n`.
    id: &'static str,
    /// n, for Security Hub's order.
    number: u8,
    title: &'static str,
    pattern: &'static str,
    /// Whether Security Hub relates the control to the CIS v1.4.0 recommendation too (it
    /// always does to v1.2.0's).
    checks_v1_4: bool,
}

impl Topic {
    /// The topic's control in `version`, or `None` if the version lacks it.
    fn control(&self, version: CisVersion) -> Option<CisControl> {
        let control = |id: &'static str, security_hub, title: &str, pattern| CisControl {
            control_id: id,
            security_hub,
            title: title.to_owned(),
            metric_name: self.metric_name,
            pattern,
        };
        let security_hub_id = self.security_hub.as_ref().map(|control| control.id);
        Some(match version {
            CisVersion::V1_2 => {
                let text = self.v1_2.as_ref()?;
                control(text.id, security_hub_id, text.title, text.pattern)
            }
            CisVersion::V1_4 | CisVersion::V1_5 => {
                let checked = self
                    .security_hub
                    .as_ref()
                    .filter(|security_hub| version == CisVersion::V1_4 && security_hub.checks_v1_4);
                let text = &self.v1_4;
                control(text.id, checked.map(|c| c.id), text.title, text.pattern)
            }
            CisVersion::V2_0 | CisVersion::V3_0 | CisVersion::V4_0 => {
                control(self.v1_4.id, None, self.title_v2, self.pattern_v2)
            }
            CisVersion::V5_0 => control(self.v1_4.id, None, self.title_v2, self.pattern_v5),
            CisVersion::SecurityHub => {
                let security_hub = self.security_hub.as_ref()?;
                control(
                    security_hub.id,
                    Some(security_hub.id),
                    security_hub.title,
                    security_hub.pattern,
                )
            }
        })
    }

    /// Where the topic's Security Hub control sorts among Security Hub's controls.
    fn security_hub_number(&self) -> u8 {
        self.security_hub.as_ref().map_or(u8::MAX, |control| control.number)
    }
}

// Pattern texts of §3, byte for byte. Names say which texts share them.

/// §3.1 variant A: CIS v1.2 3.1, CloudTrail guide.
const UNAUTHORIZED_A: &str =
    r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#;
/// §3.1 variant A': Security Hub CloudWatch.2, CIS v1.4/v1.5 console steps.
const UNAUTHORIZED_A_PRIME: &str =
    r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#;
/// §3.1 variant C: CIS v2.0.0–v5.0.0 (`&&` binds tighter than `||`).
const UNAUTHORIZED_C: &str = r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#;

/// §3.2 variant A: CIS v1.2 3.2 and the v2.0+ main form.
const NO_MFA_A: &str =
    r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#;
/// §3.2 variant A as CIS v1.4/v1.5 print it.
const NO_MFA_A_V1_4: &str =
    r#"{($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#;
/// §3.2 variant B: Security Hub CloudWatch.3 (successful IAM-user sign-ins only).
const NO_MFA_B: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;

/// §3.3 CIS text (all versions).
const ROOT_CIS: &str = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;
/// §3.3 Security Hub CloudWatch.1.
const ROOT_SECURITY_HUB: &str = r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#;

/// §3.4 CIS CLI text (all versions): the terms without spaces around `||`.
const IAM_CIS: &str = r#"{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"#;
/// §3.4 Security Hub CloudWatch.4, CloudTrail guide.
const IAM_SECURITY_HUB: &str = r#"{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"#;

/// §3.5 CIS text.
const CLOUDTRAIL_CIS: &str = r#"{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"#;
/// §3.5 Security Hub CloudWatch.5, CloudTrail guide.
const CLOUDTRAIL_SECURITY_HUB: &str = r#"{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}"#;

/// §3.6 CIS text.
const SIGNIN_FAILURES_CIS: &str =
    r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#;
/// §3.6 Security Hub CloudWatch.6, CloudTrail guide.
const SIGNIN_FAILURES_SECURITY_HUB: &str =
    r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#;

/// §3.7 CIS text.
const CMK_CIS: &str = r#"{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"#;
/// §3.7 Security Hub CloudWatch.7, CloudTrail guide.
const CMK_SECURITY_HUB: &str = r#"{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"#;

/// §3.8 CIS text (all versions).
const S3_POLICY_CIS: &str = r#"{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"#;
/// §3.8 Security Hub CloudWatch.8, CloudTrail guide.
const S3_POLICY_SECURITY_HUB: &str = r#"{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}"#;

/// §3.9 CIS text.
const CONFIG_CIS: &str = r#"{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"#;
/// §3.9 Security Hub CloudWatch.9, CloudTrail guide.
const CONFIG_SECURITY_HUB: &str = r#"{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}"#;

/// §3.10 v1.2–v4.0 and Security Hub CloudWatch.10.
const SECURITY_GROUP: &str = r#"{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"#;
/// §3.10 CIS v5.0.0: adds `ModifySecurityGroupRules`.
const SECURITY_GROUP_V5: &str = r#"{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }"#;

/// §3.11 CIS text.
const NACL_CIS: &str = r#"{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"#;
/// §3.11 CIS text as v1.2 prints it: a double space after the second `=`.
const NACL_CIS_V1_2: &str = r#"{ ($.eventName = CreateNetworkAcl) || ($.eventName =  CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"#;
/// §3.11 Security Hub CloudWatch.11, CloudTrail guide.
const NACL_SECURITY_HUB: &str = r#"{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}"#;

/// §3.12, unchanged across versions.
const NETWORK_GATEWAY: &str = r#"{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"#;

/// §3.13, unchanged across versions.
const ROUTE_TABLE: &str = r#"{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"#;

/// §3.14, unchanged across versions.
const VPC: &str = r#"{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"#;

/// §3.15 CIS text (v2.0+).
const ORGANIZATIONS: &str = r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#;
/// §3.15 as CIS v1.4/v1.5 print it: `($.eventName ="InviteAccountToOrganization")`.
const ORGANIZATIONS_V1_4: &str = r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName ="InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#;

/// The title prefix of v1.2–v1.5.
macro_rules! legacy_title {
    ($what:literal) => {
        concat!("Ensure a log metric filter and alarm exist for ", $what)
    };
}

/// The topics in CIS order (§2, §3.1–§3.15).
const TOPICS: [Topic; 15] = [
    Topic {
        metric_name: "UnauthorizedAPICalls",
        v1_2: Some(Text {
            id: "3.1",
            title: legacy_title!("unauthorized API calls"),
            pattern: UNAUTHORIZED_A,
        }),
        v1_4: Text {
            id: "4.1",
            title: legacy_title!("unauthorized API calls"),
            pattern: UNAUTHORIZED_A_PRIME,
        },
        title_v2: "Ensure unauthorized API calls are monitored",
        pattern_v2: UNAUTHORIZED_C,
        pattern_v5: UNAUTHORIZED_C,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.2",
            number: 2,
            title: legacy_title!("unauthorized API calls"),
            pattern: UNAUTHORIZED_A_PRIME,
            checks_v1_4: false,
        }),
    },
    Topic {
        metric_name: "ConsoleSigninWithoutMFA",
        v1_2: Some(Text {
            id: "3.2",
            title: legacy_title!("Management Console sign-in without MFA"),
            pattern: NO_MFA_A,
        }),
        v1_4: Text {
            id: "4.2",
            title: legacy_title!("Management Console sign-in without MFA"),
            pattern: NO_MFA_A_V1_4,
        },
        title_v2: "Ensure management console sign-in without MFA is monitored",
        pattern_v2: NO_MFA_A,
        pattern_v5: NO_MFA_A,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.3",
            number: 3,
            title: legacy_title!("Management Console sign-in without MFA"),
            pattern: NO_MFA_B,
            checks_v1_4: false,
        }),
    },
    Topic {
        metric_name: "RootAccountUsage",
        v1_2: Some(Text {
            id: "3.3",
            title: legacy_title!("usage of \"root\" account"),
            pattern: ROOT_CIS,
        }),
        v1_4: Text {
            id: "4.3",
            title: legacy_title!("usage of 'root' account"),
            pattern: ROOT_CIS,
        },
        title_v2: "Ensure usage of 'root' account is monitored",
        pattern_v2: ROOT_CIS,
        pattern_v5: ROOT_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.1",
            number: 1,
            title: "A log metric filter and alarm should exist for usage of the \"root\" user",
            pattern: ROOT_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "IAMPolicyChanges",
        v1_2: Some(Text {
            id: "3.4",
            title: legacy_title!("IAM policy changes"),
            pattern: IAM_CIS,
        }),
        v1_4: Text { id: "4.4", title: legacy_title!("IAM policy changes"), pattern: IAM_CIS },
        title_v2: "Ensure IAM policy changes are monitored",
        pattern_v2: IAM_CIS,
        pattern_v5: IAM_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.4",
            number: 4,
            title: legacy_title!("IAM policy changes"),
            pattern: IAM_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "CloudTrailConfigChanges",
        v1_2: Some(Text {
            id: "3.5",
            title: legacy_title!("CloudTrail configuration changes"),
            pattern: CLOUDTRAIL_CIS,
        }),
        v1_4: Text {
            id: "4.5",
            title: legacy_title!("CloudTrail configuration changes"),
            pattern: CLOUDTRAIL_CIS,
        },
        title_v2: "Ensure CloudTrail configuration changes are monitored",
        pattern_v2: CLOUDTRAIL_CIS,
        pattern_v5: CLOUDTRAIL_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.5",
            number: 5,
            title: legacy_title!("CloudTrail AWS Configuration changes"),
            pattern: CLOUDTRAIL_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "ConsoleSigninFailures",
        v1_2: Some(Text {
            id: "3.6",
            title: legacy_title!("AWS Management Console authentication failures"),
            pattern: SIGNIN_FAILURES_CIS,
        }),
        v1_4: Text {
            id: "4.6",
            title: legacy_title!("AWS Management Console authentication failures"),
            pattern: SIGNIN_FAILURES_CIS,
        },
        title_v2: "Ensure AWS Management Console authentication failures are monitored",
        pattern_v2: SIGNIN_FAILURES_CIS,
        pattern_v5: SIGNIN_FAILURES_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.6",
            number: 6,
            title: legacy_title!("AWS Management Console authentication failures"),
            pattern: SIGNIN_FAILURES_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "CMKDisableOrDeletion",
        v1_2: Some(Text {
            id: "3.7",
            title: legacy_title!("disabling or scheduled deletion of customer created CMKs"),
            pattern: CMK_CIS,
        }),
        v1_4: Text {
            id: "4.7",
            title: legacy_title!("disabling or scheduled deletion of customer created CMKs"),
            pattern: CMK_CIS,
        },
        title_v2: "Ensure disabling or scheduled deletion of customer created CMKs is monitored",
        pattern_v2: CMK_CIS,
        pattern_v5: CMK_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.7",
            number: 7,
            title: legacy_title!("disabling or scheduled deletion of customer managed keys"),
            pattern: CMK_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "S3BucketPolicyChanges",
        v1_2: Some(Text {
            id: "3.8",
            title: legacy_title!("S3 bucket policy changes"),
            pattern: S3_POLICY_CIS,
        }),
        v1_4: Text {
            id: "4.8",
            title: legacy_title!("S3 bucket policy changes"),
            pattern: S3_POLICY_CIS,
        },
        title_v2: "Ensure S3 bucket policy changes are monitored",
        pattern_v2: S3_POLICY_CIS,
        pattern_v5: S3_POLICY_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.8",
            number: 8,
            title: legacy_title!("S3 bucket policy changes"),
            pattern: S3_POLICY_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "AWSConfigChanges",
        v1_2: Some(Text {
            id: "3.9",
            title: legacy_title!("AWS Config configuration changes"),
            pattern: CONFIG_CIS,
        }),
        v1_4: Text {
            id: "4.9",
            title: legacy_title!("AWS Config configuration changes"),
            pattern: CONFIG_CIS,
        },
        title_v2: "Ensure AWS Config configuration changes are monitored",
        pattern_v2: CONFIG_CIS,
        pattern_v5: CONFIG_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.9",
            number: 9,
            title: legacy_title!("AWS Config configuration changes"),
            pattern: CONFIG_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "SecurityGroupChanges",
        v1_2: Some(Text {
            id: "3.10",
            title: legacy_title!("security group changes"),
            pattern: SECURITY_GROUP,
        }),
        v1_4: Text {
            id: "4.10",
            title: legacy_title!("security group changes"),
            pattern: SECURITY_GROUP,
        },
        title_v2: "Ensure security group changes are monitored",
        pattern_v2: SECURITY_GROUP,
        pattern_v5: SECURITY_GROUP_V5,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.10",
            number: 10,
            title: legacy_title!("security group changes"),
            pattern: SECURITY_GROUP,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "NACLChanges",
        v1_2: Some(Text {
            id: "3.11",
            title: legacy_title!("changes to Network Access Control Lists (NACL)"),
            pattern: NACL_CIS_V1_2,
        }),
        v1_4: Text {
            id: "4.11",
            title: legacy_title!("changes to Network Access Control Lists (NACL)"),
            pattern: NACL_CIS,
        },
        title_v2: "Ensure Network Access Control Lists (NACL) changes are monitored",
        pattern_v2: NACL_CIS,
        pattern_v5: NACL_CIS,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.11",
            number: 11,
            title: legacy_title!("changes to Network Access Control Lists (NACL)"),
            pattern: NACL_SECURITY_HUB,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "NetworkGatewayChanges",
        v1_2: Some(Text {
            id: "3.12",
            title: legacy_title!("changes to network gateways"),
            pattern: NETWORK_GATEWAY,
        }),
        v1_4: Text {
            id: "4.12",
            title: legacy_title!("changes to network gateways"),
            pattern: NETWORK_GATEWAY,
        },
        title_v2: "Ensure changes to network gateways are monitored",
        pattern_v2: NETWORK_GATEWAY,
        pattern_v5: NETWORK_GATEWAY,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.12",
            number: 12,
            title: legacy_title!("changes to network gateways"),
            pattern: NETWORK_GATEWAY,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "RouteTableChanges",
        v1_2: Some(Text {
            id: "3.13",
            title: legacy_title!("route table changes"),
            pattern: ROUTE_TABLE,
        }),
        v1_4: Text {
            id: "4.13",
            title: legacy_title!("route table changes"),
            pattern: ROUTE_TABLE,
        },
        title_v2: "Ensure route table changes are monitored",
        pattern_v2: ROUTE_TABLE,
        pattern_v5: ROUTE_TABLE,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.13",
            number: 13,
            title: legacy_title!("route table changes"),
            pattern: ROUTE_TABLE,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "VPCChanges",
        v1_2: Some(Text { id: "3.14", title: legacy_title!("VPC changes"), pattern: VPC }),
        v1_4: Text { id: "4.14", title: legacy_title!("VPC changes"), pattern: VPC },
        title_v2: "Ensure VPC changes are monitored",
        pattern_v2: VPC,
        pattern_v5: VPC,
        security_hub: Some(SecurityHubControl {
            id: "CloudWatch.14",
            number: 14,
            title: legacy_title!("VPC changes"),
            pattern: VPC,
            checks_v1_4: true,
        }),
    },
    Topic {
        metric_name: "OrganizationsChanges",
        v1_2: None,
        v1_4: Text {
            id: "4.15",
            title: legacy_title!("AWS Organizations changes"),
            pattern: ORGANIZATIONS_V1_4,
        },
        title_v2: "Ensure AWS Organizations changes are monitored",
        pattern_v2: ORGANIZATIONS,
        pattern_v5: ORGANIZATIONS,
        security_hub: None,
    },
];

#[cfg(test)]
mod tests {
    use filter_pattern::{EventParser, Pattern};

    use super::*;

    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:cis-alarms";

    /// The unauthorized-API-calls CLI text of CIS v1.4/v1.5 (§3.1 variant B), which the pack
    /// does not ship.
    const UNAUTHORIZED_B: &str = r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }"#;

    fn parse(text: &str) -> Pattern {
        match Pattern::parse(text) {
            Ok(pattern) => pattern,
            Err(error) => panic!("`{text}` does not parse: {error}"),
        }
    }

    fn matches(pattern: &str, event: &str) -> bool {
        let mut parser = EventParser::new();
        let parsed = parser.parse(event);
        assert!(parsed.is_json_object(), "sketch is not a JSON object: {event}");
        parse(pattern).matches_event(&parsed)
    }

    fn control(version: CisVersion, metric_name: &str) -> Option<CisControl> {
        controls(version).into_iter().find(|control| control.metric_name == metric_name)
    }

    fn pattern(version: CisVersion, metric_name: &str) -> &'static str {
        control(version, metric_name).map_or_else(
            || panic!("{version} has no {metric_name} control"),
            |control| control.pattern,
        )
    }

    fn is_cis(version: CisVersion) -> bool {
        version != CisVersion::SecurityHub
    }

    #[test]
    fn control_counts_and_ids() {
        for version in CisVersion::ALL {
            // Every version but the first and Security Hub adds AWS Organizations changes.
            let expected = match version {
                CisVersion::V1_2 | CisVersion::SecurityHub => 14,
                _ => 15,
            };
            assert_eq!(controls(version).len(), expected, "{version}");
        }
        for version in CisVersion::ALL {
            let ids: Vec<&str> = controls(version).iter().map(|c| c.control_id).collect();
            let expected: Vec<String> = match version {
                CisVersion::V1_2 => (1..=14).map(|n| format!("3.{n}")).collect(),
                CisVersion::SecurityHub => (1..=14).map(|n| format!("CloudWatch.{n}")).collect(),
                _ => (1..=15).map(|n| format!("4.{n}")).collect(),
            };
            assert_eq!(ids, expected, "{version}");
        }
        let ids = |version| -> Vec<&str> {
            controls(version).iter().map(|c| c.metric_name).collect::<Vec<_>>()
        };
        assert!(!ids(CisVersion::V1_2).contains(&"OrganizationsChanges"));
        assert!(!ids(CisVersion::SecurityHub).contains(&"OrganizationsChanges"));
        assert_eq!(ids(CisVersion::V1_4).last(), Some(&"OrganizationsChanges"));
        // CIS and Security Hub numberings of the same topic.
        assert_eq!(ids(CisVersion::V1_2)[2], "RootAccountUsage");
        assert_eq!(ids(CisVersion::SecurityHub)[0], "RootAccountUsage");
        assert_eq!(ids(CisVersion::SecurityHub)[1], "UnauthorizedAPICalls");
        assert_eq!(ids(CisVersion::SecurityHub)[2], "ConsoleSigninWithoutMFA");
        assert_eq!(ids(CisVersion::SecurityHub)[3..], ids(CisVersion::V1_2)[3..]);
    }

    #[test]
    fn every_pattern_parses_and_round_trips() {
        for version in CisVersion::ALL {
            for control in controls(version) {
                let pattern = parse(control.pattern);
                let printed = pattern.to_string();
                assert_eq!(parse(&printed), pattern, "{version} {}: {printed}", control.control_id);
                assert!(!pattern.has_regex());
                assert!(control.pattern.starts_with('{') && control.pattern.ends_with('}'));
            }
        }
    }

    #[test]
    fn variant_choices_are_the_specified_texts() {
        use CisVersion::*;
        let unauthorized = "UnauthorizedAPICalls";
        assert_eq!(pattern(V1_2, unauthorized), UNAUTHORIZED_A);
        for version in [V1_4, V1_5, SecurityHub] {
            assert_eq!(pattern(version, unauthorized), UNAUTHORIZED_A_PRIME, "{version}");
        }
        for version in [V2_0, V3_0, V4_0, V5_0] {
            assert_eq!(pattern(version, unauthorized), UNAUTHORIZED_C, "{version}");
        }
        for version in CisVersion::ALL {
            for control in controls(version) {
                assert_ne!(control.pattern, UNAUTHORIZED_B, "{version}: variant B is shipped");
            }
        }

        let no_mfa = "ConsoleSigninWithoutMFA";
        for version in [V1_2, V2_0, V3_0, V4_0, V5_0] {
            assert_eq!(pattern(version, no_mfa), NO_MFA_A, "{version}");
        }
        for version in [V1_4, V1_5] {
            assert_eq!(
                pattern(version, no_mfa),
                r#"{($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#
            );
        }
        assert_eq!(pattern(SecurityHub, no_mfa), NO_MFA_B);

        assert_eq!(
            pattern(SecurityHub, "RootAccountUsage"),
            r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#
        );
        for version in CisVersion::ALL.into_iter().filter(|v| is_cis(*v)) {
            assert_eq!(pattern(version, "RootAccountUsage"), ROOT_CIS, "{version}");
            // CIS CLI text: no spaces around `||`; the Security Hub text has them.
            let iam = pattern(version, "IAMPolicyChanges");
            assert_eq!(iam, IAM_SECURITY_HUB.replace(" || ", "||"), "{version}");
            assert_eq!(pattern(version, "CloudTrailConfigChanges"), CLOUDTRAIL_CIS);
            assert_eq!(pattern(version, "ConsoleSigninFailures"), SIGNIN_FAILURES_CIS);
            assert_eq!(pattern(version, "CMKDisableOrDeletion"), CMK_CIS);
            assert_eq!(pattern(version, "S3BucketPolicyChanges"), S3_POLICY_CIS);
            assert_eq!(pattern(version, "AWSConfigChanges"), CONFIG_CIS);
        }

        // v1.2's double space after the second `=` of the NACL text.
        assert_eq!(
            pattern(V1_2, "NACLChanges"),
            NACL_CIS.replace(
                "($.eventName = CreateNetworkAclEntry)",
                "($.eventName =  CreateNetworkAclEntry)"
            )
        );
        for version in [V1_4, V1_5, V2_0, V3_0, V4_0, V5_0] {
            assert_eq!(pattern(version, "NACLChanges"), NACL_CIS, "{version}");
        }
        assert_eq!(pattern(SecurityHub, "NACLChanges"), NACL_SECURITY_HUB);

        // v1.4/v1.5 print `="InviteAccountToOrganization"` without the space.
        for version in [V1_4, V1_5] {
            assert_eq!(
                pattern(version, "OrganizationsChanges"),
                ORGANIZATIONS.replace(
                    r#"($.eventName = "InviteAccountToOrganization")"#,
                    r#"($.eventName ="InviteAccountToOrganization")"#
                )
            );
        }
        for version in [V2_0, V3_0, V4_0, V5_0] {
            assert_eq!(pattern(version, "OrganizationsChanges"), ORGANIZATIONS, "{version}");
        }

        for version in CisVersion::ALL {
            assert_eq!(pattern(version, "NetworkGatewayChanges"), NETWORK_GATEWAY);
            assert_eq!(pattern(version, "RouteTableChanges"), ROUTE_TABLE);
            assert_eq!(pattern(version, "VPCChanges"), VPC);
            let security_groups = pattern(version, "SecurityGroupChanges");
            let expected = if version == V5_0 { SECURITY_GROUP_V5 } else { SECURITY_GROUP };
            assert_eq!(security_groups, expected, "{version}");
        }
    }

    /// Texts of one topic differ only in whitespace across versions, except where §4 lists a
    /// change of meaning.
    #[test]
    fn versions_differ_in_meaning_only_where_section_4_says() {
        let changed: [(&str, &[CisVersion]); 3] = [
            (
                "UnauthorizedAPICalls",
                &[CisVersion::V2_0, CisVersion::V3_0, CisVersion::V4_0, CisVersion::V5_0],
            ),
            ("ConsoleSigninWithoutMFA", &[CisVersion::SecurityHub]),
            ("SecurityGroupChanges", &[CisVersion::V5_0]),
        ];
        for topic in controls(CisVersion::V3_0) {
            let reference = parse(pattern(CisVersion::V1_4, topic.metric_name));
            let differing = changed
                .iter()
                .find(|(name, _)| *name == topic.metric_name)
                .map_or(&[][..], |(_, versions)| *versions);
            for version in CisVersion::ALL {
                let Some(control) = control(version, topic.metric_name) else {
                    continue;
                };
                let same = parse(control.pattern) == reference;
                assert_eq!(same, !differing.contains(&version), "{version} {}", topic.metric_name);
            }
        }
    }

    /// In which versions a sketch matches.
    type Expectation = dyn Fn(CisVersion) -> bool;

    /// The match / no-match sketches of §3: (metric, event, versions it matches in).
    #[test]
    fn section_3_sketches() {
        let all = |_: CisVersion| true;
        let none = |_: CisVersion| false;
        let a_or_a_prime = |v: CisVersion| {
            matches!(v, CisVersion::V1_2 | CisVersion::V1_4 | CisVersion::V1_5)
                || v == CisVersion::SecurityHub
        };
        let sign_in = |response: &str, mfa: &str, extra: &str| {
            format!(
                r#"{{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn","userIdentity":{{"type":"IAMUser"}},"responseElements":{{"ConsoleLogin":"{response}"}},"additionalEventData":{{"MFAUsed":"{mfa}"}}{extra}}}"#
            )
        };
        let sketches: Vec<(&str, String, &Expectation)> = vec![
            // §3.1
            (
                "UnauthorizedAPICalls",
                r#"{"eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"203.0.113.10"}"#.into(),
                &all,
            ),
            (
                "UnauthorizedAPICalls",
                r#"{"eventName":"DescribeInstances","sourceIPAddress":"203.0.113.10"}"#.into(),
                &none,
            ),
            (
                "UnauthorizedAPICalls",
                r#"{"eventName":"PutObject","errorCode":"AccessDenied","sourceIPAddress":"delivery.logs.amazonaws.com"}"#.into(),
                &a_or_a_prime,
            ),
            // §3.2
            ("ConsoleSigninWithoutMFA", sign_in("Success", "No", ""), &all),
            (
                "ConsoleSigninWithoutMFA",
                sign_in("Failure", "No", r#","errorMessage":"Failed authentication""#),
                &is_cis,
            ),
            ("ConsoleSigninWithoutMFA", sign_in("Success", "Yes", ""), &none),
            // §3.3
            (
                "RootAccountUsage",
                r#"{"eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}"#.into(),
                &all,
            ),
            (
                "RootAccountUsage",
                r#"{"eventName":"ListBuckets","eventType":"AwsApiCall","userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"}}"#.into(),
                &none,
            ),
            (
                "RootAccountUsage",
                r#"{"eventType":"AwsServiceEvent","userIdentity":{"type":"Root"}}"#.into(),
                &none,
            ),
            // §3.4
            (
                "IAMPolicyChanges",
                r#"{"eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy"}"#.into(),
                &all,
            ),
            (
                "IAMPolicyChanges",
                r#"{"eventSource":"iam.amazonaws.com","eventName":"TagPolicy"}"#.into(),
                &none,
            ),
            // §3.5
            (
                "CloudTrailConfigChanges",
                r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#.into(),
                &all,
            ),
            (
                "CloudTrailConfigChanges",
                r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors"}"#.into(),
                &none,
            ),
            // §3.6
            (
                "ConsoleSigninFailures",
                r#"{"eventName":"ConsoleLogin","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}}"#.into(),
                &all,
            ),
            (
                "ConsoleSigninFailures",
                r#"{"eventName":"ConsoleLogin","errorMessage":"No username found in supplied account"}"#.into(),
                &none,
            ),
            // §3.7
            (
                "CMKDisableOrDeletion",
                r#"{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion"}"#.into(),
                &all,
            ),
            (
                "CMKDisableOrDeletion",
                r#"{"eventSource":"kms.amazonaws.com","eventName":"DisableKeyRotation"}"#.into(),
                &none,
            ),
            // §3.8
            (
                "S3BucketPolicyChanges",
                r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy"}"#.into(),
                &all,
            ),
            (
                "S3BucketPolicyChanges",
                r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPublicAccessBlock"}"#.into(),
                &none,
            ),
            // §3.9
            (
                "AWSConfigChanges",
                r#"{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder"}"#.into(),
                &all,
            ),
            (
                "AWSConfigChanges",
                r#"{"eventSource":"config.amazonaws.com","eventName":"DeleteConfigurationRecorder"}"#.into(),
                &none,
            ),
            // §3.10
            (
                "SecurityGroupChanges",
                r#"{"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress"}"#.into(),
                &all,
            ),
            (
                "SecurityGroupChanges",
                r#"{"eventName":"ModifySecurityGroupRules"}"#.into(),
                &|v| v == CisVersion::V5_0,
            ),
            // §3.11
            ("NACLChanges", r#"{"eventName":"ReplaceNetworkAclEntry"}"#.into(), &all),
            ("NACLChanges", r#"{"eventName":"DescribeNetworkAcls"}"#.into(), &none),
            // §3.12
            ("NetworkGatewayChanges", r#"{"eventName":"AttachInternetGateway"}"#.into(), &all),
            ("NetworkGatewayChanges", r#"{"eventName":"CreateNatGateway"}"#.into(), &none),
            // §3.13
            ("RouteTableChanges", r#"{"eventName":"ReplaceRoute"}"#.into(), &all),
            ("RouteTableChanges", r#"{"eventName":"AssociateRouteTable"}"#.into(), &none),
            // §3.14
            ("VPCChanges", r#"{"eventName":"CreateVpcPeeringConnection"}"#.into(), &all),
            ("VPCChanges", r#"{"eventName":"CreateSubnet"}"#.into(), &none),
            // §3.15
            (
                "OrganizationsChanges",
                r#"{"eventSource":"organizations.amazonaws.com","eventName":"CreateAccount"}"#.into(),
                &all,
            ),
            (
                "OrganizationsChanges",
                r#"{"eventSource":"organizations.amazonaws.com","eventName":"InviteAccountToOrganization"}"#.into(),
                &all,
            ),
            (
                "OrganizationsChanges",
                r#"{"eventSource":"iam.amazonaws.com","eventName":"CreatePolicy"}"#.into(),
                &none,
            ),
        ];
        let mut checked = 0;
        for (metric_name, event, expected) in &sketches {
            for version in CisVersion::ALL {
                let Some(control) = control(version, metric_name) else {
                    continue;
                };
                assert_eq!(
                    matches(control.pattern, event),
                    expected(version),
                    "{version} {} on {event}",
                    control.control_id
                );
                checked += 1;
            }
        }
        // Every topic has sketches in every version that has it.
        for version in CisVersion::ALL {
            for control in controls(version) {
                assert!(sketches.iter().any(|(name, _, _)| *name == control.metric_name));
            }
        }
        assert!(checked > 200, "{checked}");
    }

    /// §3.1: what A, B and C mean.
    #[test]
    fn unauthorized_api_call_variants() {
        let event = |error_code: &str, source: &str, name: &str| {
            format!(
                r#"{{"eventName":"{name}","errorCode":"{error_code}","sourceIPAddress":"{source}"}}"#
            )
        };
        let delivery = "delivery.logs.amazonaws.com";
        let user = "203.0.113.10";
        // A / A': any errorCode ending in UnauthorizedOperation or starting with AccessDenied.
        for pattern in [UNAUTHORIZED_A, UNAUTHORIZED_A_PRIME] {
            assert!(matches(pattern, &event("AccessDenied", delivery, "PutObject")));
            assert!(matches(pattern, &event("AccessDeniedException", user, "GetSecretValue")));
            assert!(matches(pattern, &event("Client.UnauthorizedOperation", user, "RunInstances")));
            assert!(!matches(pattern, &event("ThrottlingException", user, "RunInstances")));
        }
        // C: UnauthorizedOperation-suffix OR (AccessDenied-prefix AND not from the log-delivery
        // service AND not HeadBucket).
        assert!(!matches(UNAUTHORIZED_C, &event("AccessDenied", delivery, "PutObject")));
        assert!(!matches(UNAUTHORIZED_C, &event("AccessDenied", user, "HeadBucket")));
        assert!(matches(UNAUTHORIZED_C, &event("AccessDenied", user, "PutObject")));
        assert!(matches(UNAUTHORIZED_C, &event("AccessDeniedException", user, "GetSecretValue")));
        assert!(matches(
            UNAUTHORIZED_C,
            &event("Client.UnauthorizedOperation", delivery, "HeadBucket")
        ));
        // B (not shipped) matches nearly everything, even events without an error.
        let ordinary = r#"{"eventName":"DescribeInstances","sourceIPAddress":"203.0.113.10"}"#;
        assert!(matches(UNAUTHORIZED_B, ordinary));
        assert!(!matches(UNAUTHORIZED_A_PRIME, ordinary));
        assert!(!matches(UNAUTHORIZED_C, ordinary));
    }

    /// §3.2: B counts only successful IAM-user sign-ins; events without `MFAUsed` match
    /// neither form.
    #[test]
    fn console_sign_in_without_mfa_variants() {
        let event = |user_type: &str, outcome: &str, mfa: Option<&str>| {
            let additional = mfa.map_or(String::new(), |mfa| {
                format!(r#","additionalEventData":{{"MFAUsed":"{mfa}"}}"#)
            });
            format!(
                r#"{{"eventName":"ConsoleLogin","userIdentity":{{"type":"{user_type}"}},"responseElements":{{"ConsoleLogin":"{outcome}"}}{additional}}}"#
            )
        };
        for user_type in ["IAMUser", "Root", "AssumedRole", "FederatedUser"] {
            for outcome in ["Success", "Failure"] {
                let no_mfa = event(user_type, outcome, Some("No"));
                assert!(matches(NO_MFA_A, &no_mfa));
                assert!(matches(NO_MFA_A_V1_4, &no_mfa));
                let b = user_type == "IAMUser" && outcome == "Success";
                assert_eq!(matches(NO_MFA_B, &no_mfa), b, "{user_type} {outcome}");
                for pattern in [NO_MFA_A, NO_MFA_A_V1_4, NO_MFA_B] {
                    assert!(!matches(pattern, &event(user_type, outcome, Some("Yes"))));
                    assert!(!matches(pattern, &event(user_type, outcome, None)));
                }
            }
        }
    }

    /// §3.10: `ModifySecurityGroupRules` only in v5.0.
    #[test]
    fn modify_security_group_rules_only_in_v5() {
        for version in CisVersion::ALL {
            let text = pattern(version, "SecurityGroupChanges");
            assert_eq!(text.contains("ModifySecurityGroupRules"), version == CisVersion::V5_0);
            for control in controls(version) {
                let mentions = control.pattern.contains("ModifySecurityGroupRules");
                assert_eq!(mentions, version == CisVersion::V5_0 && control.control_id == "4.10");
            }
        }
    }

    #[test]
    fn alarm_configs_validate() {
        let topics = [TOPIC_ARN.to_owned()];
        for version in CisVersion::ALL {
            for control in controls(version) {
                for (arns, threshold) in [(&topics[..], CIS_THRESHOLD), (&[][..], 3.0)] {
                    let config = alarm_config(version, &control, arns, threshold);
                    if let Err(error) = config.validate() {
                        panic!("{version} {}: {error}", control.control_id);
                    }
                    assert_eq!(config.alarm_name, control.name(version));
                    assert_eq!(config.alarm_description.as_deref(), Some(control.title.as_str()));
                    assert_eq!(config.metric, MetricId::new(NAMESPACE, control.metric_name));
                    assert_eq!(config.statistic, MetricStatistic::Statistic(Statistic::Sum));
                    assert_eq!(config.period_seconds, 300);
                    assert_eq!(config.evaluation_periods, 1);
                    assert_eq!(config.datapoints_to_alarm_or_default(), 1);
                    assert_eq!(
                        config.comparison_operator,
                        ComparisonOperator::GreaterThanOrEqualToThreshold
                    );
                    assert_eq!(config.threshold, threshold);
                    assert_eq!(config.treat_missing_data, TreatMissingData::NotBreaching);
                    assert_eq!(config.alarm_actions, arns);
                    assert!(config.ok_actions.is_empty());
                    assert!(config.insufficient_data_actions.is_empty());
                    assert!(config.actions_enabled);
                    assert_eq!(config.unit, None);
                }
            }
        }
    }

    #[test]
    fn version_names_round_trip() {
        for version in CisVersion::ALL {
            let name = version.as_str();
            assert_eq!(CisVersion::parse(name), Some(version), "{name}");
            assert_eq!(version.to_string(), name);
            assert_eq!(CisVersion::parse(&name.to_ascii_uppercase()), Some(version), "{name}");
            if version != CisVersion::SecurityHub {
                let number = &name[1..];
                for spelling in [number.to_owned(), format!("{name}.0"), format!("{number}.0")] {
                    assert_eq!(CisVersion::parse(&spelling), Some(version), "{spelling}");
                }
            }
        }
        for (text, version) in [
            ("v4.0.1", CisVersion::V4_0),
            ("4.0.12", CisVersion::V4_0),
            ("security-hub", CisVersion::SecurityHub),
            ("SecurityHub", CisVersion::SecurityHub),
            ("SECURITY-HUB", CisVersion::SecurityHub),
            ("V3.0", CisVersion::V3_0),
        ] {
            assert_eq!(CisVersion::parse(text), Some(version), "{text}");
        }
        for junk in [
            "",
            "v",
            "1",
            "v1",
            "1.3",
            "v1.3.0",
            "v1.2.1",
            "v3.0.1",
            "v5.0.1",
            "v4.0.",
            "v4.0.x",
            "v4.0.1.0",
            "4.1",
            "1.20",
            "vv1.2",
            "v 1.2",
            " v1.2",
            "v1.2 ",
            "cis-v1.2",
            "security",
            "security hub",
            "security_hub",
            "hub",
            "v6.0",
            "latest",
        ] {
            assert_eq!(CisVersion::parse(junk), None, "{junk:?}");
        }
        assert_eq!(CisVersion::DEFAULT, CisVersion::V3_0);
        assert_eq!(CisVersion::parse(CisVersion::DEFAULT.as_str()), Some(CisVersion::DEFAULT));
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        for version in CisVersion::ALL {
            let names: Vec<String> = controls(version).iter().map(|c| c.name(version)).collect();
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{version}: {names:?}");
            let mut metrics: Vec<&str> = controls(version).iter().map(|c| c.metric_name).collect();
            metrics.sort_unstable();
            metrics.dedup();
            assert_eq!(metrics.len(), names.len(), "{version}");
        }
        let root = |version| control(version, "RootAccountUsage").map(|c| c.name(version));
        assert_eq!(root(CisVersion::V1_2).as_deref(), Some("CIS-3.3-RootAccountUsage"));
        assert_eq!(root(CisVersion::V3_0).as_deref(), Some("CIS-4.3-RootAccountUsage"));
        assert_eq!(
            root(CisVersion::SecurityHub).as_deref(),
            Some("SecurityHub-CloudWatch.1-RootAccountUsage")
        );
    }

    #[test]
    fn security_hub_mapping_follows_section_2() {
        for version in CisVersion::ALL {
            for control in controls(version) {
                let expected = match version {
                    CisVersion::V1_2 => Some(match control.control_id {
                        "3.1" => "CloudWatch.2".to_owned(),
                        "3.2" => "CloudWatch.3".to_owned(),
                        "3.3" => "CloudWatch.1".to_owned(),
                        id => format!("CloudWatch.{}", &id[2..]),
                    }),
                    CisVersion::V1_4 => match control.control_id {
                        "4.1" | "4.2" | "4.15" => None,
                        "4.3" => Some("CloudWatch.1".to_owned()),
                        id => Some(format!("CloudWatch.{}", &id[2..])),
                    },
                    CisVersion::SecurityHub => Some(control.control_id.to_owned()),
                    _ => None,
                };
                assert_eq!(control.security_hub.map(str::to_owned), expected, "{version}");
            }
        }
    }

    #[test]
    fn titles_follow_each_versions_wording() {
        for version in CisVersion::ALL {
            for control in controls(version) {
                let title = &control.title;
                match version {
                    CisVersion::V1_2 | CisVersion::V1_4 | CisVersion::V1_5 => assert!(
                        title.starts_with("Ensure a log metric filter and alarm exist for "),
                        "{title}"
                    ),
                    CisVersion::SecurityHub => assert!(
                        title.starts_with("Ensure a log metric filter and alarm exist for ")
                            || title.starts_with("A log metric filter and alarm should exist for "),
                        "{title}"
                    ),
                    _ => assert!(
                        title.starts_with("Ensure ")
                            && (title.ends_with(" is monitored")
                                || title.ends_with(" are monitored")),
                        "{title}"
                    ),
                }
            }
        }
        let title = |version, metric| control(version, metric).map(|c| c.title);
        assert_eq!(
            title(CisVersion::V3_0, "UnauthorizedAPICalls").as_deref(),
            Some("Ensure unauthorized API calls are monitored")
        );
        assert_eq!(
            title(CisVersion::V1_2, "RootAccountUsage").as_deref(),
            Some("Ensure a log metric filter and alarm exist for usage of \"root\" account")
        );
    }
}
