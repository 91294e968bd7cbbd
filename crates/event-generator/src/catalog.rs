//! What the generator draws from: accounts, regions, principals, and the API operations each
//! kind of caller makes, with weights that give a realistic mix.
//!
//! The weights follow the shape of real management-plus-data trails: reads dominate, data
//! events (S3 objects, Lambda invokes, DynamoDB items) and credential traffic (STS, KMS) are
//! a large share, writes are a few percent, and security-sensitive changes are rare.

/// Accounts with their share of traffic (an organization: production, staging, security).
pub(crate) const ACCOUNTS: &[(&str, u32)] =
    &[("111122223333", 60), ("444455556666", 30), ("777788889999", 10)];

/// Regions with their share of regional traffic.
pub(crate) const REGIONS: &[(&str, u32)] = &[
    ("us-east-1", 40),
    ("eu-west-1", 25),
    ("eu-central-1", 15),
    ("us-west-2", 15),
    ("ap-southeast-2", 5),
];

/// Global services, recorded in us-east-1.
pub(crate) fn is_global_source(source: &str) -> bool {
    matches!(
        source,
        "iam.amazonaws.com"
            | "signin.amazonaws.com"
            | "organizations.amazonaws.com"
            | "cloudfront.amazonaws.com"
            | "route53.amazonaws.com"
    )
}

/// Who a principal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    IamUser,
    /// A role session; `session` says how the session was obtained.
    Role(Session),
    Root,
    Service,
    Federated,
    IdentityCenter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Session {
    /// EC2 instance profile (IMDSv2).
    Ec2,
    /// Lambda execution role.
    Lambda,
    /// OIDC web identity (CI).
    WebIdentity,
    /// IAM Identity Center (SSO) permission set, used by people.
    Sso,
    /// Plain AssumeRole from another principal.
    Assumed,
}

/// What a principal does; selects the operation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    Human,
    Workload,
    Ci,
    Service,
}

/// How a principal's calls look on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Agent {
    Cli,
    Console,
    SdkJava,
    SdkPython,
    SdkNode,
    Terraform,
    AwsService,
}

pub(crate) struct PrincipalSpec {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) profile: Profile,
    pub(crate) agent: Agent,
    pub(crate) weight: u32,
}

/// Principals present in every account. Role sessions dominate, as in real trails.
pub(crate) const PRINCIPALS: &[PrincipalSpec] = &[
    PrincipalSpec {
        name: "app-server",
        kind: Kind::Role(Session::Ec2),
        profile: Profile::Workload,
        agent: Agent::SdkJava,
        weight: 260,
    },
    PrincipalSpec {
        name: "orders-handler",
        kind: Kind::Role(Session::Lambda),
        profile: Profile::Workload,
        agent: Agent::SdkNode,
        weight: 200,
    },
    PrincipalSpec {
        name: "data-pipeline",
        kind: Kind::Role(Session::Assumed),
        profile: Profile::Workload,
        agent: Agent::SdkPython,
        weight: 120,
    },
    PrincipalSpec {
        name: "ci-deployer",
        kind: Kind::Role(Session::WebIdentity),
        profile: Profile::Ci,
        agent: Agent::Terraform,
        weight: 60,
    },
    PrincipalSpec {
        name: "AWSReservedSSO_AdministratorAccess_4f3c2a1b0e9d8c7b",
        kind: Kind::Role(Session::Sso),
        profile: Profile::Human,
        agent: Agent::Console,
        weight: 40,
    },
    PrincipalSpec {
        name: "AWSReservedSSO_ReadOnlyAccess_9a8b7c6d5e4f3a2b",
        kind: Kind::Role(Session::Sso),
        profile: Profile::Human,
        agent: Agent::Cli,
        weight: 30,
    },
    PrincipalSpec {
        name: "alice",
        kind: Kind::IamUser,
        profile: Profile::Human,
        agent: Agent::Cli,
        weight: 25,
    },
    PrincipalSpec {
        name: "bob",
        kind: Kind::IamUser,
        profile: Profile::Human,
        agent: Agent::Console,
        weight: 20,
    },
    PrincipalSpec {
        name: "carol",
        kind: Kind::IamUser,
        profile: Profile::Human,
        agent: Agent::Console,
        weight: 12,
    },
    PrincipalSpec {
        name: "ci-bot",
        kind: Kind::IamUser,
        profile: Profile::Ci,
        agent: Agent::Cli,
        weight: 40,
    },
    PrincipalSpec {
        name: "monitoring",
        kind: Kind::IamUser,
        profile: Profile::Workload,
        agent: Agent::SdkPython,
        weight: 45,
    },
    PrincipalSpec {
        name: "autoscaling.amazonaws.com",
        kind: Kind::Service,
        profile: Profile::Service,
        agent: Agent::AwsService,
        weight: 50,
    },
    PrincipalSpec {
        name: "lambda.amazonaws.com",
        kind: Kind::Service,
        profile: Profile::Service,
        agent: Agent::AwsService,
        weight: 40,
    },
    PrincipalSpec {
        name: "config.amazonaws.com",
        kind: Kind::Service,
        profile: Profile::Service,
        agent: Agent::AwsService,
        weight: 25,
    },
    PrincipalSpec {
        name: "jenkins",
        kind: Kind::Federated,
        profile: Profile::Ci,
        agent: Agent::SdkJava,
        weight: 6,
    },
    PrincipalSpec {
        name: "dana@example.com",
        kind: Kind::IdentityCenter,
        profile: Profile::Human,
        agent: Agent::Console,
        weight: 5,
    },
    PrincipalSpec {
        name: "root",
        kind: Kind::Root,
        profile: Profile::Human,
        agent: Agent::Console,
        weight: 1,
    },
];

/// How an operation's request parameters, response and resources look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `requestParameters: null`.
    Bare,
    /// A paginated describe/list call.
    Paged,
    Ec2Instance,
    RunInstances,
    SecurityGroup,
    Vpc,
    S3Bucket,
    S3Object,
    LambdaFunction,
    LambdaInvoke,
    IamUser,
    IamRole,
    IamPolicy,
    AssumeRole,
    AssumeRoleWithWebIdentity,
    AssumeRoleWithSaml,
    KmsKey,
    DynamoTable,
    DynamoItem,
    Secret,
    Parameter,
    LogGroup,
    Trail,
    ConfigRecorder,
    Organization,
    ConsoleLogin,
    /// A service event (`AwsServiceEvent`).
    ServiceEvent,
}

pub(crate) struct Op {
    pub(crate) source: &'static str,
    pub(crate) name: &'static str,
    pub(crate) weight: u32,
    pub(crate) shape: Shape,
}

const fn op(source: &'static str, name: &'static str, weight: u32, shape: Shape) -> Op {
    Op { source, name, weight, shape }
}

const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const STS: &str = "sts.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const DDB: &str = "dynamodb.amazonaws.com";

/// Operations people make (console and CLI).
pub(crate) const HUMAN_OPS: &[Op] = &[
    op(EC2, "DescribeInstances", 120, Shape::Paged),
    op(EC2, "DescribeSecurityGroups", 40, Shape::Paged),
    op(EC2, "DescribeSubnets", 30, Shape::Paged),
    op(EC2, "DescribeVpcs", 25, Shape::Paged),
    op(EC2, "DescribeVolumes", 20, Shape::Paged),
    op(EC2, "DescribeImages", 15, Shape::Paged),
    op(EC2, "DescribeInstanceStatus", 20, Shape::Paged),
    op(EC2, "StartInstances", 4, Shape::Ec2Instance),
    op(EC2, "StopInstances", 4, Shape::Ec2Instance),
    op(EC2, "RebootInstances", 2, Shape::Ec2Instance),
    op(EC2, "RunInstances", 3, Shape::RunInstances),
    op(EC2, "TerminateInstances", 2, Shape::Ec2Instance),
    op(EC2, "CreateTags", 6, Shape::Ec2Instance),
    op(EC2, "AuthorizeSecurityGroupIngress", 1, Shape::SecurityGroup),
    op(EC2, "RevokeSecurityGroupIngress", 1, Shape::SecurityGroup),
    op(EC2, "CreateSecurityGroup", 1, Shape::SecurityGroup),
    op(S3, "ListBuckets", 40, Shape::Bare),
    op(S3, "GetBucketLocation", 20, Shape::S3Bucket),
    op(S3, "GetBucketPolicy", 8, Shape::S3Bucket),
    op(S3, "GetBucketAcl", 8, Shape::S3Bucket),
    op(S3, "GetBucketVersioning", 6, Shape::S3Bucket),
    op(S3, "CreateBucket", 1, Shape::S3Bucket),
    op(S3, "PutBucketTagging", 1, Shape::S3Bucket),
    op(S3, "PutBucketPolicy", 1, Shape::S3Bucket),
    op(S3, "GetObject", 30, Shape::S3Object),
    op(S3, "PutObject", 10, Shape::S3Object),
    op(IAM, "ListUsers", 15, Shape::Paged),
    op(IAM, "GetUser", 10, Shape::IamUser),
    op(IAM, "ListRoles", 15, Shape::Paged),
    op(IAM, "GetRole", 10, Shape::IamRole),
    op(IAM, "ListPolicies", 8, Shape::Paged),
    op(IAM, "GetPolicy", 6, Shape::IamPolicy),
    op(IAM, "ListAttachedRolePolicies", 8, Shape::IamRole),
    op(IAM, "GetAccountSummary", 4, Shape::Bare),
    op(IAM, "CreateUser", 1, Shape::IamUser),
    op(IAM, "TagRole", 1, Shape::IamRole),
    op(IAM, "AttachRolePolicy", 1, Shape::IamRole),
    op(IAM, "PutRolePolicy", 1, Shape::IamRole),
    op(STS, "GetCallerIdentity", 20, Shape::Bare),
    op(LAMBDA, "ListFunctions20150331", 10, Shape::Paged),
    op(LAMBDA, "GetFunction20150331v2", 8, Shape::LambdaFunction),
    op(KMS, "ListAliases", 6, Shape::Paged),
    op(KMS, "DescribeKey", 6, Shape::KmsKey),
    op(DDB, "DescribeTable", 8, Shape::DynamoTable),
    op(DDB, "ListTables", 6, Shape::Paged),
    op("cloudtrail.amazonaws.com", "LookupEvents", 6, Shape::Paged),
    op("cloudtrail.amazonaws.com", "DescribeTrails", 4, Shape::Bare),
    op("cloudtrail.amazonaws.com", "GetTrailStatus", 3, Shape::Trail),
    op("monitoring.amazonaws.com", "DescribeAlarms", 10, Shape::Paged),
    op("monitoring.amazonaws.com", "GetMetricData", 12, Shape::Paged),
    op("logs.amazonaws.com", "DescribeLogGroups", 10, Shape::Paged),
    op("logs.amazonaws.com", "FilterLogEvents", 6, Shape::LogGroup),
    op("rds.amazonaws.com", "DescribeDBInstances", 8, Shape::Paged),
    op("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers", 8, Shape::Paged),
    op("cloudformation.amazonaws.com", "DescribeStacks", 8, Shape::Paged),
    op("secretsmanager.amazonaws.com", "ListSecrets", 4, Shape::Paged),
    op("ssm.amazonaws.com", "DescribeInstanceInformation", 6, Shape::Paged),
    op("ssm.amazonaws.com", "StartSession", 2, Shape::Ec2Instance),
    op("organizations.amazonaws.com", "DescribeOrganization", 2, Shape::Organization),
    op("route53.amazonaws.com", "ListHostedZones", 3, Shape::Paged),
    op("cloudfront.amazonaws.com", "ListDistributions", 2, Shape::Paged),
    op("guardduty.amazonaws.com", "ListDetectors", 2, Shape::Paged),
    op("signin.amazonaws.com", "ConsoleLogin", 12, Shape::ConsoleLogin),
    op(STS, "AssumeRoleWithSAML", 3, Shape::AssumeRoleWithSaml),
];

/// What IAM Identity Center users do in the access portal.
pub(crate) const IDENTITY_CENTER_OPS: &[Op] = &[
    op("sso.amazonaws.com", "ListAccounts", 10, Shape::Bare),
    op("sso.amazonaws.com", "ListAccountRoles", 8, Shape::Bare),
    op("sso.amazonaws.com", "GetRoleCredentials", 8, Shape::Bare),
];

/// Operations applications and pipelines make (SDKs): data events and credential traffic.
pub(crate) const WORKLOAD_OPS: &[Op] = &[
    op(S3, "GetObject", 260, Shape::S3Object),
    op(S3, "PutObject", 90, Shape::S3Object),
    op(S3, "HeadObject", 60, Shape::S3Object),
    op(S3, "DeleteObject", 8, Shape::S3Object),
    op(S3, "ListBuckets", 4, Shape::Bare),
    op(LAMBDA, "Invoke", 80, Shape::LambdaInvoke),
    op(DDB, "GetItem", 70, Shape::DynamoItem),
    op(DDB, "PutItem", 35, Shape::DynamoItem),
    op(DDB, "Query", 45, Shape::DynamoItem),
    op(DDB, "UpdateItem", 20, Shape::DynamoItem),
    op(DDB, "DescribeTable", 10, Shape::DynamoTable),
    op(KMS, "Decrypt", 140, Shape::KmsKey),
    op(KMS, "GenerateDataKey", 60, Shape::KmsKey),
    op(KMS, "Encrypt", 15, Shape::KmsKey),
    op(STS, "AssumeRole", 70, Shape::AssumeRole),
    op(STS, "GetCallerIdentity", 25, Shape::Bare),
    op("secretsmanager.amazonaws.com", "GetSecretValue", 45, Shape::Secret),
    op("ssm.amazonaws.com", "GetParameter", 40, Shape::Parameter),
    op("ssm.amazonaws.com", "GetParameters", 15, Shape::Parameter),
    op("sqs.amazonaws.com", "GetQueueAttributes", 12, Shape::Paged),
    op("monitoring.amazonaws.com", "GetMetricStatistics", 10, Shape::Paged),
    op("logs.amazonaws.com", "CreateLogStream", 12, Shape::LogGroup),
    op("logs.amazonaws.com", "DescribeLogStreams", 8, Shape::LogGroup),
    op("ecr.amazonaws.com", "GetAuthorizationToken", 10, Shape::Bare),
    op(EC2, "DescribeInstances", 15, Shape::Paged),
    op(EC2, "DescribeTags", 10, Shape::Paged),
];

/// Operations deployment pipelines make.
pub(crate) const CI_OPS: &[Op] = &[
    op(STS, "AssumeRoleWithWebIdentity", 20, Shape::AssumeRoleWithWebIdentity),
    op(STS, "GetCallerIdentity", 25, Shape::Bare),
    op(S3, "PutObject", 25, Shape::S3Object),
    op(S3, "GetObject", 20, Shape::S3Object),
    op(S3, "ListBuckets", 6, Shape::Bare),
    op(S3, "GetBucketPolicy", 4, Shape::S3Bucket),
    op("ecr.amazonaws.com", "GetAuthorizationToken", 15, Shape::Bare),
    op("ecr.amazonaws.com", "BatchGetImage", 10, Shape::Paged),
    op("ecr.amazonaws.com", "InitiateLayerUpload", 6, Shape::Paged),
    op(LAMBDA, "UpdateFunctionCode20150331v2", 6, Shape::LambdaFunction),
    op(LAMBDA, "GetFunction20150331v2", 10, Shape::LambdaFunction),
    op("cloudformation.amazonaws.com", "DescribeStacks", 20, Shape::Paged),
    op("cloudformation.amazonaws.com", "CreateChangeSet", 3, Shape::Paged),
    op("cloudformation.amazonaws.com", "ExecuteChangeSet", 3, Shape::Paged),
    op("ecs.amazonaws.com", "DescribeServices", 10, Shape::Paged),
    op("ecs.amazonaws.com", "UpdateService", 3, Shape::Paged),
    op(IAM, "GetRole", 8, Shape::IamRole),
    op(IAM, "ListRolePolicies", 5, Shape::IamRole),
    op(IAM, "CreatePolicyVersion", 1, Shape::IamPolicy),
    op(EC2, "DescribeSecurityGroups", 8, Shape::Paged),
    op(EC2, "CreateTags", 4, Shape::Ec2Instance),
    op(EC2, "CreateRoute", 1, Shape::Vpc),
    op(EC2, "CreateVpc", 1, Shape::Vpc),
    op(KMS, "DescribeKey", 4, Shape::KmsKey),
    op("cloudtrail.amazonaws.com", "UpdateTrail", 1, Shape::Trail),
    op("config.amazonaws.com", "PutConfigurationRecorder", 1, Shape::ConfigRecorder),
];

/// What AWS services do on the customer's behalf.
pub(crate) const SERVICE_OPS: &[Op] = &[
    op(STS, "AssumeRole", 60, Shape::AssumeRole),
    op(EC2, "DescribeInstances", 15, Shape::Paged),
    op("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", 10, Shape::Paged),
    op("config.amazonaws.com", "DescribeConfigurationRecorders", 8, Shape::Paged),
    op(KMS, "RotateKey", 2, Shape::ServiceEvent),
    op("health.amazonaws.com", "AWSHealthEvent", 1, Shape::ServiceEvent),
];

/// Whether a call is one that a CIS AWS Foundations monitoring filter looks for by name
/// (`../shared/spec/cis-pack.md` §3.4–§3.15). The attack storyline keeps the background free
/// of these, so that every CIS match in its output is a planted event.
pub(crate) fn is_cis_monitored_call(source: &str, name: &str) -> bool {
    const IAM_POLICY: &[&str] = &[
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ];
    const TRAIL: &[&str] =
        &["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"];
    const S3_POLICY: &[&str] = &[
        "PutBucketAcl",
        "PutBucketPolicy",
        "PutBucketCors",
        "PutBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketPolicy",
        "DeleteBucketCors",
        "DeleteBucketLifecycle",
        "DeleteBucketReplication",
    ];
    const CONFIG: &[&str] = &[
        "StopConfigurationRecorder",
        "DeleteDeliveryChannel",
        "PutDeliveryChannel",
        "PutConfigurationRecorder",
    ];
    const NETWORK: &[&str] = &[
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
        "ModifySecurityGroupRules",
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
    ];
    const ORGANIZATIONS: &[&str] = &[
        "AcceptHandshake",
        "AttachPolicy",
        "CreateAccount",
        "CreateOrganizationalUnit",
        "CreatePolicy",
        "DeclineHandshake",
        "DeleteOrganization",
        "DeleteOrganizationalUnit",
        "DeletePolicy",
        "DetachPolicy",
        "DisablePolicyType",
        "EnablePolicyType",
        "InviteAccountToOrganization",
        "LeaveOrganization",
        "MoveAccount",
        "RemoveAccountFromOrganization",
        "UpdatePolicy",
        "UpdateOrganizationalUnit",
    ];
    IAM_POLICY.contains(&name)
        || TRAIL.contains(&name)
        || NETWORK.contains(&name)
        || (source == S3 && S3_POLICY.contains(&name))
        || (source == "config.amazonaws.com" && CONFIG.contains(&name))
        || (source == KMS && (name == "DisableKey" || name == "ScheduleKeyDeletion"))
        || (source == "organizations.amazonaws.com" && ORGANIZATIONS.contains(&name))
}

/// Error codes a CIS "unauthorized API calls" filter counts.
pub(crate) fn is_unauthorized_error(code: &str) -> bool {
    code.ends_with("UnauthorizedOperation") || code.starts_with("AccessDenied")
}

/// Plausible failures for a call to `source`: (errorCode, errorMessage).
pub(crate) fn errors_for(source: &str) -> &'static [(&'static str, &'static str)] {
    match source {
        EC2 => &[
            ("Client.UnauthorizedOperation", "You are not authorized to perform this operation."),
            ("Client.RequestLimitExceeded", "Request limit exceeded."),
            ("Client.InvalidInstanceID.NotFound", "The instance ID does not exist"),
        ],
        S3 => &[
            ("AccessDenied", "Access Denied"),
            ("NoSuchKey", "The specified key does not exist."),
            ("NoSuchBucketPolicy", "The bucket policy does not exist"),
        ],
        IAM => &[
            ("AccessDenied", "User is not authorized to perform this action"),
            ("NoSuchEntityException", "The role cannot be found."),
            ("ThrottlingException", "Rate exceeded"),
        ],
        KMS => &[
            (
                "AccessDeniedException",
                "User is not authorized to perform kms:Decrypt on this resource",
            ),
            ("ThrottlingException", "Rate exceeded"),
            ("NotFoundException", "Key does not exist"),
        ],
        DDB => &[
            ("AccessDenied", "User is not authorized to perform dynamodb:GetItem"),
            (
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
            ),
            ("ResourceNotFoundException", "Requested resource not found"),
        ],
        _ => &[
            ("AccessDenied", "User is not authorized to perform this operation"),
            ("ThrottlingException", "Rate exceeded"),
            ("ResourceNotFoundException", "The requested resource was not found."),
            ("ValidationException", "1 validation error detected"),
        ],
    }
}
