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

const SIGNIN: &str = "signin.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const US_EAST_1: &str = "us-east-1";
const EU_WEST_1: &str = "eu-west-1";

pub(crate) const STEPS: &[Step] = &[
    Step {
        what: "guess the root password",
        actor: Actor::RootSignIn,
        source: SIGNIN,
        name: "ConsoleLogin",
        region: US_EAST_1,
        outcome: Outcome::LoginFailed,
        request_parameters: "null",
        cis_metrics: &["ConsoleSigninFailures", "RootAccountUsage", "ConsoleSigninWithoutMFA"],
        security_hub: &["CloudWatch.1", "CloudWatch.6"],
    },
    Step {
        what: "sign in as root without MFA",
        actor: Actor::RootSignIn,
        source: SIGNIN,
        name: "ConsoleLogin",
        region: US_EAST_1,
        outcome: Outcome::LoginWithoutMfa,
        request_parameters: "null",
        cis_metrics: &["RootAccountUsage", "ConsoleSigninWithoutMFA"],
        security_hub: &["CloudWatch.1"],
    },
    Step {
        what: "create a root access key",
        actor: Actor::RootConsole,
        source: IAM,
        name: "CreateAccessKey",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: "null",
        cis_metrics: &["RootAccountUsage"],
        security_hub: &["CloudWatch.1"],
    },
    Step {
        what: "probe a bucket policy with the leaked key",
        actor: Actor::LeakedKey,
        source: "s3.amazonaws.com",
        name: "GetBucketPolicy",
        region: US_EAST_1,
        outcome: Outcome::Error("AccessDenied", "Access Denied"),
        request_parameters: r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","policy":""}"#,
        cis_metrics: &["UnauthorizedAPICalls"],
        security_hub: &["CloudWatch.2"],
    },
    Step {
        what: "try to launch instances with the leaked key",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "RunInstances",
        region: EU_WEST_1,
        outcome: Outcome::Error(
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        request_parameters: r#"{"instancesSet":{"items":[{"imageId":"ami-0c2b8ca1dad447f8a","minCount":20,"maxCount":20}]},"instanceType":"p4d.24xlarge"}"#,
        cis_metrics: &["UnauthorizedAPICalls"],
        security_hub: &["CloudWatch.2"],
    },
    Step {
        what: "grant the leaked user administrator access",
        actor: Actor::RootConsole,
        source: IAM,
        name: "AttachUserPolicy",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"userName":"svc-backup","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#,
        cis_metrics: &["IAMPolicyChanges", "RootAccountUsage"],
        security_hub: &["CloudWatch.1", "CloudWatch.4"],
    },
    Step {
        what: "create a backdoor user",
        actor: Actor::LeakedKey,
        source: IAM,
        name: "CreateUser",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"userName":"support-admin"}"#,
        cis_metrics: &[],
        security_hub: &[],
    },
    Step {
        what: "give the backdoor user a console password",
        actor: Actor::LeakedKey,
        source: IAM,
        name: "CreateLoginProfile",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"userName":"support-admin","passwordResetRequired":false}"#,
        cis_metrics: &[],
        security_hub: &[],
    },
    Step {
        what: "add an inline policy to the backdoor user",
        actor: Actor::LeakedKey,
        source: IAM,
        name: "PutUserPolicy",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"userName":"support-admin","policyName":"maintenance","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}"#,
        cis_metrics: &["IAMPolicyChanges"],
        security_hub: &["CloudWatch.4"],
    },
    Step {
        what: "stop the trail",
        actor: Actor::LeakedKey,
        source: "cloudtrail.amazonaws.com",
        name: "StopLogging",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"}"#,
        cis_metrics: &["CloudTrailConfigChanges"],
        security_hub: &["CloudWatch.5"],
    },
    Step {
        what: "point the trail elsewhere",
        actor: Actor::LeakedKey,
        source: "cloudtrail.amazonaws.com",
        name: "UpdateTrail",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"name":"management-events","s3BucketName":"attacker-sink-7f3a"}"#,
        cis_metrics: &["CloudTrailConfigChanges"],
        security_hub: &["CloudWatch.5"],
    },
    Step {
        what: "stop AWS Config",
        actor: Actor::LeakedKey,
        source: "config.amazonaws.com",
        name: "StopConfigurationRecorder",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"configurationRecorderName":"default"}"#,
        cis_metrics: &["AWSConfigChanges"],
        security_hub: &["CloudWatch.9"],
    },
    Step {
        what: "delete the Config delivery channel",
        actor: Actor::LeakedKey,
        source: "config.amazonaws.com",
        name: "DeleteDeliveryChannel",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"deliveryChannelName":"default"}"#,
        cis_metrics: &["AWSConfigChanges"],
        security_hub: &["CloudWatch.9"],
    },
    Step {
        what: "make the invoice bucket public",
        actor: Actor::LeakedKey,
        source: "s3.amazonaws.com",
        name: "PutBucketPolicy",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","policy":""}"#,
        cis_metrics: &["S3BucketPolicyChanges"],
        security_hub: &["CloudWatch.8"],
    },
    Step {
        what: "open the bucket ACL",
        actor: Actor::LeakedKey,
        source: "s3.amazonaws.com",
        name: "PutBucketAcl",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"bucketName":"acme-invoices-22223333","Host":"acme-invoices-22223333.s3.us-east-1.amazonaws.com","acl":""}"#,
        cis_metrics: &["S3BucketPolicyChanges"],
        security_hub: &["CloudWatch.8"],
    },
    Step {
        what: "create a security group",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateSecurityGroup",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"groupName":"maint","groupDescription":"maintenance","vpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        cis_metrics: &["SecurityGroupChanges"],
        security_hub: &["CloudWatch.10"],
    },
    Step {
        what: "open SSH to the world",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "AuthorizeSecurityGroupIngress",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"groupId":"sg-0a1b2c3d4e5f60789","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}"#,
        cis_metrics: &["SecurityGroupChanges"],
        security_hub: &["CloudWatch.10"],
    },
    Step {
        what: "allow everything in the network ACL",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateNetworkAclEntry",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"networkAclId":"acl-0f1e2d3c4b5a69788","ruleNumber":1,"egress":false,"ruleAction":"allow","protocol":"-1","cidrBlock":"0.0.0.0/0"}"#,
        cis_metrics: &["NACLChanges"],
        security_hub: &["CloudWatch.11"],
    },
    Step {
        what: "create an internet gateway",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateInternetGateway",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{}"#,
        cis_metrics: &["NetworkGatewayChanges"],
        security_hub: &["CloudWatch.12"],
    },
    Step {
        what: "attach the internet gateway",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "AttachInternetGateway",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"internetGatewayId":"igw-0123456789abcdef0","vpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        cis_metrics: &["NetworkGatewayChanges"],
        security_hub: &["CloudWatch.12"],
    },
    Step {
        what: "route the private subnet to the internet",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateRoute",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"routeTableId":"rtb-0a9b8c7d6e5f40312","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-0123456789abcdef0"}"#,
        cis_metrics: &["RouteTableChanges"],
        security_hub: &["CloudWatch.13"],
    },
    Step {
        what: "create a staging VPC",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateVpc",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"cidrBlock":"10.99.0.0/16"}"#,
        cis_metrics: &["VPCChanges"],
        security_hub: &["CloudWatch.14"],
    },
    Step {
        what: "peer the staging VPC with production",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "CreateVpcPeeringConnection",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"vpcId":"vpc-0aa11bb22cc33dd44","peerVpcId":"vpc-0d4e5f6a7b8c9d0e1"}"#,
        cis_metrics: &["VPCChanges"],
        security_hub: &["CloudWatch.14"],
    },
    Step {
        what: "disable the data key",
        actor: Actor::LeakedKey,
        source: "kms.amazonaws.com",
        name: "DisableKey",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"keyId":"arn:aws:kms:us-east-1:111122223333:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00"}"#,
        cis_metrics: &["CMKDisableOrDeletion"],
        security_hub: &["CloudWatch.7"],
    },
    Step {
        what: "schedule the data key for deletion",
        actor: Actor::LeakedKey,
        source: "kms.amazonaws.com",
        name: "ScheduleKeyDeletion",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"keyId":"arn:aws:kms:us-east-1:111122223333:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00","pendingWindowInDays":7}"#,
        cis_metrics: &["CMKDisableOrDeletion"],
        security_hub: &["CloudWatch.7"],
    },
    Step {
        what: "leave the organization",
        actor: Actor::LeakedKey,
        source: "organizations.amazonaws.com",
        name: "LeaveOrganization",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: "null",
        cis_metrics: &["OrganizationsChanges"],
        security_hub: &[],
    },
    Step {
        what: "sign in as the backdoor user without MFA",
        actor: Actor::BackdoorSignIn,
        source: SIGNIN,
        name: "ConsoleLogin",
        region: US_EAST_1,
        outcome: Outcome::LoginWithoutMfa,
        request_parameters: "null",
        cis_metrics: &["ConsoleSigninWithoutMFA"],
        security_hub: &["CloudWatch.3"],
    },
    Step {
        what: "launch crypto-mining instances",
        actor: Actor::LeakedKey,
        source: EC2,
        name: "RunInstances",
        region: EU_WEST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"instancesSet":{"items":[{"imageId":"ami-0c2b8ca1dad447f8a","minCount":20,"maxCount":20}]},"instanceType":"p4d.24xlarge"}"#,
        cis_metrics: &[],
        security_hub: &[],
    },
    Step {
        what: "delete the trail",
        actor: Actor::LeakedKey,
        source: "cloudtrail.amazonaws.com",
        name: "DeleteTrail",
        region: US_EAST_1,
        outcome: Outcome::Ok,
        request_parameters: r#"{"name":"management-events"}"#,
        cis_metrics: &["CloudTrailConfigChanges"],
        security_hub: &["CloudWatch.5"],
    },
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
            Actor::LeakedKey | Actor::BackdoorSignIn => {
                let (principal_id, user_name, access_key_id) = match step.actor {
                    Actor::LeakedKey => ("AIDAQ3EGSVN4EXAMPLE7Q", "svc-backup", &*self.leaked_key),
                    _ => ("AIDAQ3EGSVN4BACKDOOR1", "support-admin", ""),
                };
                u.str("type", "IAMUser");
                u.str("principalId", principal_id);
                u.str("arn", &format!("arn:aws:iam::{VICTIM_ACCOUNT}:user/{user_name}"));
                u.str("accountId", VICTIM_ACCOUNT);
                u.str("accessKeyId", access_key_id);
                u.str("userName", user_name);
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
