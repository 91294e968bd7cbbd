//! The `Resources` of an event in history: the record's own `resources` list when it has one,
//! otherwise what its request or response names, by a per-service table of parameter paths
//! and CloudFormation-style resource types.

use cloudtrail_model::Record;
use cloudtrail_model::json::{Object, Value};

/// A record has at most this many `Resources` in history (more are dropped from the index and
/// the answer, never from the stored record).
pub const RESOURCES_MAX: usize = 32;

/// Where a service's calls name resources: `(eventSource, path, ResourceType)`. A path starts
/// at `requestParameters` or `responseElements`; `[]` walks every item of an array.
const PARAMETER_RESOURCES: &[(&str, &str, &str)] = &[
    ("s3.amazonaws.com", "requestParameters.bucketName", "AWS::S3::Bucket"),
    ("iam.amazonaws.com", "requestParameters.userName", "AWS::IAM::User"),
    ("iam.amazonaws.com", "requestParameters.roleName", "AWS::IAM::Role"),
    ("iam.amazonaws.com", "requestParameters.groupName", "AWS::IAM::Group"),
    ("iam.amazonaws.com", "requestParameters.policyArn", "AWS::IAM::Policy"),
    ("iam.amazonaws.com", "requestParameters.instanceProfileName", "AWS::IAM::InstanceProfile"),
    ("iam.amazonaws.com", "requestParameters.accessKeyId", "AWS::IAM::AccessKey"),
    ("iam.amazonaws.com", "responseElements.accessKey.accessKeyId", "AWS::IAM::AccessKey"),
    (
        "ec2.amazonaws.com",
        "requestParameters.instancesSet.items[].instanceId",
        "AWS::EC2::Instance",
    ),
    ("ec2.amazonaws.com", "responseElements.instancesSet.items[].instanceId", "AWS::EC2::Instance"),
    ("ec2.amazonaws.com", "requestParameters.instanceId", "AWS::EC2::Instance"),
    ("ec2.amazonaws.com", "requestParameters.groupId", "AWS::EC2::SecurityGroup"),
    ("ec2.amazonaws.com", "responseElements.groupId", "AWS::EC2::SecurityGroup"),
    ("ec2.amazonaws.com", "requestParameters.vpcId", "AWS::EC2::VPC"),
    ("ec2.amazonaws.com", "requestParameters.subnetId", "AWS::EC2::Subnet"),
    ("ec2.amazonaws.com", "requestParameters.volumeId", "AWS::EC2::Volume"),
    ("ec2.amazonaws.com", "requestParameters.snapshotId", "AWS::EC2::Snapshot"),
    ("ec2.amazonaws.com", "requestParameters.imageId", "AWS::EC2::Ami"),
    ("ec2.amazonaws.com", "requestParameters.keyName", "AWS::EC2::KeyPair"),
    ("ec2.amazonaws.com", "requestParameters.networkAclId", "AWS::EC2::NetworkAcl"),
    ("ec2.amazonaws.com", "requestParameters.routeTableId", "AWS::EC2::RouteTable"),
    ("ec2.amazonaws.com", "requestParameters.internetGatewayId", "AWS::EC2::InternetGateway"),
    ("ec2.amazonaws.com", "requestParameters.customerGatewayId", "AWS::EC2::CustomerGateway"),
    ("ec2.amazonaws.com", "requestParameters.vpnGatewayId", "AWS::EC2::VPNGateway"),
    ("kms.amazonaws.com", "requestParameters.keyId", "AWS::KMS::Key"),
    ("cloudtrail.amazonaws.com", "requestParameters.name", "AWS::CloudTrail::Trail"),
    ("cloudtrail.amazonaws.com", "requestParameters.trailName", "AWS::CloudTrail::Trail"),
    ("lambda.amazonaws.com", "requestParameters.functionName", "AWS::Lambda::Function"),
    ("dynamodb.amazonaws.com", "requestParameters.tableName", "AWS::DynamoDB::Table"),
    ("logs.amazonaws.com", "requestParameters.logGroupName", "AWS::Logs::LogGroup"),
    ("rds.amazonaws.com", "requestParameters.dBInstanceIdentifier", "AWS::RDS::DBInstance"),
    ("rds.amazonaws.com", "requestParameters.dBClusterIdentifier", "AWS::RDS::DBCluster"),
    ("sns.amazonaws.com", "requestParameters.topicArn", "AWS::SNS::Topic"),
    ("sqs.amazonaws.com", "requestParameters.queueUrl", "AWS::SQS::Queue"),
    ("secretsmanager.amazonaws.com", "requestParameters.secretId", "AWS::SecretsManager::Secret"),
    ("secretsmanager.amazonaws.com", "requestParameters.name", "AWS::SecretsManager::Secret"),
    ("ssm.amazonaws.com", "requestParameters.name", "AWS::SSM::Parameter"),
    (
        "config.amazonaws.com",
        "requestParameters.configurationRecorder.name",
        "AWS::Config::ConfigurationRecorder",
    ),
    (
        "config.amazonaws.com",
        "requestParameters.configurationRecorderName",
        "AWS::Config::ConfigurationRecorder",
    ),
    ("cloudformation.amazonaws.com", "requestParameters.stackName", "AWS::CloudFormation::Stack"),
    ("ecr.amazonaws.com", "requestParameters.repositoryName", "AWS::ECR::Repository"),
    ("ecs.amazonaws.com", "requestParameters.cluster", "AWS::ECS::Cluster"),
    (
        "autoscaling.amazonaws.com",
        "requestParameters.autoScalingGroupName",
        "AWS::AutoScaling::AutoScalingGroup",
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "requestParameters.loadBalancerArn",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "requestParameters.loadBalancerName",
        "AWS::ElasticLoadBalancing::LoadBalancer",
    ),
    ("guardduty.amazonaws.com", "requestParameters.detectorId", "AWS::GuardDuty::Detector"),
    ("route53.amazonaws.com", "requestParameters.hostedZoneId", "AWS::Route53::HostedZone"),
    ("monitoring.amazonaws.com", "requestParameters.alarmName", "AWS::CloudWatch::Alarm"),
    ("monitoring.amazonaws.com", "requestParameters.alarmNames[]", "AWS::CloudWatch::Alarm"),
    ("organizations.amazonaws.com", "requestParameters.policyId", "AWS::Organizations::Policy"),
];

/// The `(ResourceType, ResourceName)` pairs of a record, in order, without repeats, at most
/// [`RESOURCES_MAX`].
pub fn of(record: &Record) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = Vec::new();
    let mut push = |resource_type: Option<&str>, name: &str| {
        if name.is_empty() || out.len() >= RESOURCES_MAX {
            return;
        }
        let entry = (resource_type.filter(|t| !t.is_empty()).map(str::to_owned), name.to_owned());
        if !out.contains(&entry) {
            out.push(entry);
        }
    };
    if let Some(listed) = record.resources.get().filter(|r| !r.is_empty()) {
        for resource in listed {
            if let Some(arn) = resource.arn.as_deref() {
                push(resource.resource_type.as_deref(), arn);
            }
        }
        return out;
    }
    let Some(source) = record.event_source() else { return out };
    let request = record.request_parameters.get().and_then(Option::as_ref);
    let response = record.response_elements.get().and_then(Option::as_ref);
    for (table_source, path, resource_type) in PARAMETER_RESOURCES {
        if *table_source != source {
            continue;
        }
        let (root, rest) = path.split_once('.').unwrap_or((path, ""));
        let object = match root {
            "requestParameters" => request,
            _ => response,
        };
        if let Some(object) = object {
            walk(object, rest, &mut |name| push(Some(resource_type), name));
        }
    }
    out
}

/// Calls `found` with every string at `path` under `object`.
fn walk(object: &Object, path: &str, found: &mut dyn FnMut(&str)) {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let (name, each) = match head.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (head, false),
    };
    let Some(value) = object.get(name) else { return };
    let mut visit = |value: &Value| match (rest, value) {
        (None, Value::String(text)) => found(text),
        (Some(rest), Value::Object(inner)) => walk(inner, rest, found),
        _ => {}
    };
    if each {
        for item in value.as_array().unwrap_or_default() {
            visit(item);
        }
    } else {
        visit(value);
    }
}
