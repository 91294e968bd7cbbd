//! The `attack` storyline: a root-credential compromise that escalates, blinds logging and
//! opens the network, touching every CIS AWS Foundations monitoring control
//! (`../shared/spec/cis-pack.md` §3) once or more, at known positions in the output.

use rand_chacha::ChaCha8Rng;

use crate::writer::{self, Obj};
use crate::{Config, KEY_CHARS, Storyline, Summary, random_text, uuid};

/// The account under attack (the production account of the background traffic).
const VICTIM_ACCOUNT: &str = "111122223333";
/// Documentation-range address of the intruder.
const ATTACKER_IP: &str = "203.0.113.66";
const ATTACKER_AGENT: &str =
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off command/";
const BROWSER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Who performs a step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// The root user signing in to the console.
    RootSignIn,
    /// The root user acting in a console session.
    RootConsole,
    /// IAM user `svc-backup`, whose long-term key leaked.
    LeakedKey,
    /// IAM user `support-admin`, created by the intruder, signing in.
    BackdoorSignIn,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Error(&'static str, &'static str),
    LoginFailed,
    LoginWithoutMfa,
}

/// One planted step: what happens, and which CIS filters match it.
pub(crate) struct Step {
    what: &'static str,
    actor: Actor,
    source: &'static str,
    name: &'static str,
    region: &'static str,
    outcome: Outcome,
    request_parameters: &'static str,
    /// Pack metric names (cis-pack.md) whose CIS filter (main form) matches the event.
    cis_metrics: &'static [&'static str],
    /// Security Hub controls whose exact pattern matches the event.
    security_hub: &'static [&'static str],
}

#[allow(clippy::too_many_arguments)]
const fn step(
    what: &'static str,
    actor: Actor,
    source: &'static str,
    name: &'static str,
    region: &'static str,
    outcome: Outcome,
    request_parameters: &'static str,
    cis_metrics: &'static [&'static str],
    security_hub: &'static [&'static str],
) -> Step {
    Step {
        what,
        actor,
        source,
        name,
        region,
        outcome,
        request_parameters,
        cis_metrics,
        security_hub,
    }
}

const SIGNIN: &str = "signin.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const US_EAST_1: &str = "us-east-1";
const EU_WEST_1: &str = "eu-west-1";

pub(crate) const STEPS: &[Step] = &[
    step(
        "guess the root password",
        Actor::RootSignIn,
        SIGNIN,
        "ConsoleLogin",
        US_EAST_1,
        Outcome::LoginFailed,
        "null",
        &["ConsoleSigninFailures", "RootAccountUsage", "ConsoleSigninWithoutMFA"],
        &["CloudWatch.1", "CloudWatch.6"],
    ),
    step(
        "sign in as root without MFA",
        Actor::RootSignIn,
        SIGNIN,
        "ConsoleLogin",
        US_EAST_1,
        Outcome::LoginWithoutMfa,
        "null",
        &["RootAccountUsage", "ConsoleSigninWithoutMFA"],
        &["CloudWatch.1"],
    ),
    step(
        "create a root access key",
        Actor::RootConsole,
        IAM,
        "CreateAccessKey",
        US_EAST_1,
        Outcome::Ok,
        "null",
        &["RootAccountUsage"],
        &["CloudWatch.1"],
    ),
    step(
        "probe a bucket policy with the leaked key",
        Actor::LeakedKey,
        "s3.amazonaws.com",
        "GetBucketPolicy",
        US_EAST_1,
        Outcome::Error("AccessDenied", "Access Denied"),
        r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","policy":""}"#,
        &["UnauthorizedAPICalls"],
        &["CloudWatch.2"],
    ),
    step(
        "try to launch instances with the leaked key",
        Actor::LeakedKey,
        EC2,
        "RunInstances",
        EU_WEST_1,
        Outcome::Error(
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        r#"{"instancesSet":{"items":[{"imageId":"ami-0c2b8ca1dad447f8a","minCount":20,"maxCount":20}]},"instanceType":"p4d.24xlarge"}"#,
        &["UnauthorizedAPICalls"],
        &["CloudWatch.2"],
    ),
    step(
        "grant the leaked user administrator access",
        Actor::RootConsole,
        IAM,
        "AttachUserPolicy",
        US_EAST_1,
        Outcome::Ok,
        r#"{"userName":"svc-backup","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#,
        &["IAMPolicyChanges", "RootAccountUsage"],
        &["CloudWatch.1", "CloudWatch.4"],
    ),
    step(
        "create a backdoor user",
        Actor::LeakedKey,
        IAM,
        "CreateUser",
        US_EAST_1,
        Outcome::Ok,
        r#"{"userName":"support-admin"}"#,
        &[],
        &[],
    ),
    step(
        "give the backdoor user a console password",
        Actor::LeakedKey,
        IAM,
        "CreateLoginProfile",
        US_EAST_1,
        Outcome::Ok,
        r#"{"userName":"support-admin","passwordResetRequired":false}"#,
        &[],
        &[],
    ),
    step(
        "add an inline policy to the backdoor user",
        Actor::LeakedKey,
        IAM,
        "PutUserPolicy",
        US_EAST_1,
        Outcome::Ok,
        r#"{"userName":"support-admin","policyName":"maintenance","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}"#,
        &["IAMPolicyChanges"],
        &["CloudWatch.4"],
    ),
    step(
        "stop the trail",
        Actor::LeakedKey,
        "cloudtrail.amazonaws.com",
        "StopLogging",
        US_EAST_1,
        Outcome::Ok,
        r#"{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"}"#,
        &["CloudTrailConfigChanges"],
        &["CloudWatch.5"],
    ),
    step(
        "point the trail elsewhere",
        Actor::LeakedKey,
        "cloudtrail.amazonaws.com",
        "UpdateTrail",
        US_EAST_1,
        Outcome::Ok,
        r#"{"name":"management-events","s3BucketName":"attacker-sink-7f3a"}"#,
        &["CloudTrailConfigChanges"],
        &["CloudWatch.5"],
    ),
    step(
        "stop AWS Config",
        Actor::LeakedKey,
        "config.amazonaws.com",
        "StopConfigurationRecorder",
        US_EAST_1,
        Outcome::Ok,
        r#"{"configurationRecorderName":"default"}"#,
        &["AWSConfigChanges"],
        &["CloudWatch.9"],
    ),
    step(
        "delete the Config delivery channel",
        Actor::LeakedKey,
        "config.amazonaws.com",
        "DeleteDeliveryChannel",
        US_EAST_1,
        Outcome::Ok,
        r#"{"deliveryChannelName":"default"}"#,
        &["AWSConfigChanges"],
        &["CloudWatch.9"],
    ),
    step(
        "make the invoice bucket public",
        Actor::LeakedKey,
        "s3.amazonaws.com",
        "PutBucketPolicy",
        US_EAST_1,
        Outcome::Ok,
        r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","policy":""}"#,
        &["S3BucketPolicyChanges"],
        &["CloudWatch.8"],
    ),
    step(
        "open the bucket ACL",
        Actor::LeakedKey,
        "s3.amazonaws.com",
        "PutBucketAcl",
        US_EAST_1,
        Outcome::Ok,
        r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","acl":""}"#,
        &["S3BucketPolicyChanges"],
        &["CloudWatch.8"],
    ),
    step(
        "create a security group",
        Actor::LeakedKey,
        EC2,
        "CreateSecurityGroup",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"groupName":"maint","groupDescription":"maintenance","vpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        &["SecurityGroupChanges"],
        &["CloudWatch.10"],
    ),
    step(
        "open SSH to the world",
        Actor::LeakedKey,
        EC2,
        "AuthorizeSecurityGroupIngress",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"groupId":"sg-0a1b2c3d4e5f60789","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}"#,
        &["SecurityGroupChanges"],
        &["CloudWatch.10"],
    ),
    step(
        "allow everything in the network ACL",
        Actor::LeakedKey,
        EC2,
        "CreateNetworkAclEntry",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"networkAclId":"acl-0f1e2d3c4b5a69788","ruleNumber":1,"egress":false,"ruleAction":"allow","protocol":"-1","cidrBlock":"0.0.0.0/0"}"#,
        &["NACLChanges"],
        &["CloudWatch.11"],
    ),
    step(
        "create an internet gateway",
        Actor::LeakedKey,
        EC2,
        "CreateInternetGateway",
        EU_WEST_1,
        Outcome::Ok,
        r#"{}"#,
        &["NetworkGatewayChanges"],
        &["CloudWatch.12"],
    ),
    step(
        "attach the internet gateway",
        Actor::LeakedKey,
        EC2,
        "AttachInternetGateway",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"internetGatewayId":"igw-0123456789abcdef0","vpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        &["NetworkGatewayChanges"],
        &["CloudWatch.12"],
    ),
    step(
        "route the private subnet to the internet",
        Actor::LeakedKey,
        EC2,
        "CreateRoute",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"routeTableId":"rtb-0a9b8c7d6e5f40312","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-0123456789abcdef0"}"#,
        &["RouteTableChanges"],
        &["CloudWatch.13"],
    ),
    step(
        "create a staging VPC",
        Actor::LeakedKey,
        EC2,
        "CreateVpc",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"cidrBlock":"10.99.0.0/16"}"#,
        &["VPCChanges"],
        &["CloudWatch.14"],
    ),
    step(
        "peer the staging VPC with production",
        Actor::LeakedKey,
        EC2,
        "CreateVpcPeeringConnection",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"vpcId":"vpc-0aa11bb22cc33dd44","peerVpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        &["VPCChanges"],
        &["CloudWatch.14"],
    ),
    step(
        "disable the data key",
        Actor::LeakedKey,
        "kms.amazonaws.com",
        "DisableKey",
        US_EAST_1,
        Outcome::Ok,
        r#"{"keyId":"arn:aws:kms:us-east-1:111122223333:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00"}"#,
        &["CMKDisableOrDeletion"],
        &["CloudWatch.7"],
    ),
    step(
        "schedule the data key for deletion",
        Actor::LeakedKey,
        "kms.amazonaws.com",
        "ScheduleKeyDeletion",
        US_EAST_1,
        Outcome::Ok,
        r#"{"keyId":"arn:aws:kms:us-east-1:111122223333:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00","pendingWindowInDays":7}"#,
        &["CMKDisableOrDeletion"],
        &["CloudWatch.7"],
    ),
    step(
        "leave the organization",
        Actor::LeakedKey,
        "organizations.amazonaws.com",
        "LeaveOrganization",
        US_EAST_1,
        Outcome::Ok,
        "null",
        &["OrganizationsChanges"],
        &[],
    ),
    step(
        "sign in as the backdoor user without MFA",
        Actor::BackdoorSignIn,
        SIGNIN,
        "ConsoleLogin",
        US_EAST_1,
        Outcome::LoginWithoutMfa,
        "null",
        &["ConsoleSigninWithoutMFA"],
        &["CloudWatch.3"],
    ),
    step(
        "launch crypto-mining instances",
        Actor::LeakedKey,
        EC2,
        "RunInstances",
        EU_WEST_1,
        Outcome::Ok,
        r#"{"instancesSet":{"items":[{"imageId":"ami-0c2b8ca1dad447f8a","minCount":20,"maxCount":20}]},"instanceType":"p4d.24xlarge"}"#,
        &[],
        &[],
    ),
    step(
        "delete the trail",
        Actor::LeakedKey,
        "cloudtrail.amazonaws.com",
        "DeleteTrail",
        US_EAST_1,
        Outcome::Ok,
        r#"{"name":"management-events"}"#,
        &["CloudTrailConfigChanges"],
        &["CloudWatch.5"],
    ),
];

/// One event the storyline planted, for the sidecar file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// Zero-based position of the record in the output.
    pub index: u64,
    pub step: &'static str,
    pub event_id: String,
    pub event_time: String,
    pub event_source: &'static str,
    pub event_name: &'static str,
    pub aws_region: &'static str,
    pub account_id: &'static str,
    pub identity_type: &'static str,
    pub cis_metrics: &'static [&'static str],
    pub security_hub: &'static [&'static str],
}

impl Planted {
    /// The sidecar line for this event (compact JSON).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        writer::object(&mut out, |o| {
            o.num("index", self.index);
            o.str("step", self.step);
            o.str("eventID", &self.event_id);
            o.str("eventTime", &self.event_time);
            o.str("eventSource", self.event_source);
            o.str("eventName", self.event_name);
            o.str("awsRegion", self.aws_region);
            o.str("recipientAccountId", self.account_id);
            o.str("userIdentityType", self.identity_type);
            o.arr("cisMetrics", |a| self.cis_metrics.iter().for_each(|m| a.str(m)));
            o.arr("securityHubControls", |a| self.security_hub.iter().for_each(|c| a.str(c)));
        });
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Where the steps go, and what has been planted.
pub(crate) struct Story {
    positions: Vec<u64>,
    next: usize,
    planted: Vec<Planted>,
    leaked_key: String,
    root_session_key: String,
}

impl Story {
    pub(crate) fn new(config: &Config, rng: &mut ChaCha8Rng) -> Story {
        let n_steps = STEPS.len() as u64;
        let positions = match config.storyline {
            Storyline::None | Storyline::Benign => Vec::new(),
            // Spread evenly so the intrusion unfolds over the whole run.
            Storyline::Attack if config.count > n_steps => {
                (0..n_steps).map(|k| config.count * (k + 1) / (n_steps + 1)).collect()
            }
            Storyline::Attack => (0..config.count).collect(),
        };
        Story {
            positions,
            next: 0,
            planted: Vec::new(),
            leaked_key: format!("AKIA{}", random_text(rng, KEY_CHARS, 16)),
            root_session_key: format!("ASIA{}", random_text(rng, KEY_CHARS, 16)),
        }
    }

    pub(crate) fn planted(&self) -> &[Planted] {
        &self.planted
    }

    /// The step planted at output position `index`, if any.
    pub(crate) fn step_at(&mut self, index: u64) -> Option<&'static Step> {
        if self.positions.get(self.next) == Some(&index) {
            let step = &STEPS[self.next];
            self.next += 1;
            Some(step)
        } else {
            None
        }
    }

    pub(crate) fn write(
        &mut self,
        step: &'static Step,
        index: u64,
        seconds: i64,
        rng: &mut ChaCha8Rng,
        out: &mut Vec<u8>,
    ) -> Summary {
        let event_id = uuid(rng);
        let event_time = cloudtrail_model::time::format_unix_seconds(seconds);
        let sign_in = step.name == "ConsoleLogin";
        let identity_type = match step.actor {
            Actor::RootSignIn | Actor::RootConsole => "Root",
            Actor::LeakedKey | Actor::BackdoorSignIn => "IAMUser",
        };
        let error = match step.outcome {
            Outcome::Error(code, message) => Some((code, message)),
            _ => None,
        };
        writer::object(out, |o| {
            o.str("eventVersion", if sign_in { "1.09" } else { "1.11" });
            o.obj("userIdentity", |u| self.identity(u, step, seconds));
            o.str("eventTime", &event_time);
            o.str("eventSource", step.source);
            o.str("eventName", step.name);
            o.str("awsRegion", step.region);
            o.str("sourceIPAddress", ATTACKER_IP);
            let agent = match step.actor {
                Actor::LeakedKey => format!("{ATTACKER_AGENT}{}", kebab(step.source, step.name)),
                Actor::RootConsole => "AWS Internal".to_owned(),
                _ => BROWSER_AGENT.to_owned(),
            };
            o.str("userAgent", &agent);
            if let Some((code, message)) = error {
                o.str("errorCode", code);
                o.str("errorMessage", message);
            }
            if step.outcome == Outcome::LoginFailed {
                o.str("errorMessage", "Failed authentication");
            }
            o.raw("requestParameters", step.request_parameters);
            if sign_in {
                let result =
                    if step.outcome == Outcome::LoginFailed { "Failure" } else { "Success" };
                o.obj("responseElements", |r| r.str("ConsoleLogin", result));
                o.obj("additionalEventData", |a| {
                    a.str("LoginTo", "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true");
                    a.str("MobileVersion", "No");
                    a.str("MFAUsed", "No");
                });
            } else {
                o.null("responseElements");
                o.str("requestID", &uuid(rng));
            }
            o.str("eventID", &event_id);
            o.bool("readOnly", cloudtrail_model::classify::is_read_only(step.source, step.name));
            o.str("eventType", if sign_in { "AwsConsoleSignIn" } else { "AwsApiCall" });
            o.bool("managementEvent", true);
            o.str("recipientAccountId", VICTIM_ACCOUNT);
            o.str("eventCategory", "Management");
            if !sign_in {
                o.obj("tlsDetails", |t| {
                    t.str("tlsVersion", "TLSv1.3");
                    t.str("cipherSuite", "TLS_AES_128_GCM_SHA256");
                    let service = step.source.trim_end_matches(".amazonaws.com");
                    let host = if matches!(service, "iam" | "organizations") {
                        format!("{service}.amazonaws.com")
                    } else {
                        format!("{service}.{}.amazonaws.com", step.region)
                    };
                    t.str("clientProvidedHostHeader", &host);
                });
            }
            if step.actor == Actor::RootConsole {
                o.str("sessionCredentialFromConsole", "true");
            }
        });
        self.planted.push(Planted {
            index,
            step: step.what,
            event_id,
            event_time,
            event_source: step.source,
            event_name: step.name,
            aws_region: step.region,
            account_id: VICTIM_ACCOUNT,
            identity_type,
            cis_metrics: step.cis_metrics,
            security_hub: step.security_hub,
        });
        Summary {
            event_source: step.source,
            event_name: step.name,
            identity_type,
            error_code: error.map(|(code, _)| code),
            event_category: "Management",
            aws_region: step.region,
            account_id: VICTIM_ACCOUNT,
            planted: true,
        }
    }

    fn identity(&self, u: &mut Obj<'_>, step: &Step, seconds: i64) {
        match step.actor {
            Actor::RootSignIn | Actor::RootConsole => {
                u.str("type", "Root");
                u.str("principalId", VICTIM_ACCOUNT);
                u.str("arn", &format!("arn:aws:iam::{VICTIM_ACCOUNT}:root"));
                u.str("accountId", VICTIM_ACCOUNT);
                if step.actor == Actor::RootSignIn {
                    u.str("accessKeyId", "");
                } else {
                    u.str("accessKeyId", &self.root_session_key);
                    u.obj("sessionContext", |s| {
                        s.obj("sessionIssuer", |_| {});
                        s.obj("webIdFederationData", |_| {});
                        s.obj("attributes", |a| {
                            a.str(
                                "creationDate",
                                &cloudtrail_model::time::format_unix_seconds(seconds - 60),
                            );
                            a.str("mfaAuthenticated", "false");
                        });
                    });
                }
            }
            Actor::LeakedKey => {
                u.str("type", "IAMUser");
                u.str("principalId", "AIDAQ3EGSVN4EXAMPLE7Q");
                u.str("arn", &format!("arn:aws:iam::{VICTIM_ACCOUNT}:user/svc-backup"));
                u.str("accountId", VICTIM_ACCOUNT);
                u.str("accessKeyId", &self.leaked_key);
                u.str("userName", "svc-backup");
            }
            Actor::BackdoorSignIn => {
                u.str("type", "IAMUser");
                u.str("principalId", "AIDAQ3EGSVN4BACKDOOR1");
                u.str("arn", &format!("arn:aws:iam::{VICTIM_ACCOUNT}:user/support-admin"));
                u.str("accountId", VICTIM_ACCOUNT);
                u.str("accessKeyId", "");
                u.str("userName", "support-admin");
            }
        }
    }
}

/// `ec2.amazonaws.com` + `RunInstances` → `ec2.run-instances`, as the CLI's user agent says.
fn kebab(source: &str, name: &str) -> String {
    let mut out = String::from(source.trim_end_matches(".amazonaws.com"));
    out.push('.');
    for (idx, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && idx > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
