//! Trail operations: CreateTrail, GetTrail, DescribeTrails, ListTrails, UpdateTrail,
//! DeleteTrail, GetTrailStatus, StartLogging, StopLogging, and the event and Insights
//! selectors of trails — with AWS's validation rules, error codes and response shapes.

use std::sync::Arc;

use awsjson::Input;
use catalog::TrailStore as _;
use serde_json::{Map, Value, json};

use super::{buckets, tags};
use crate::error::ApiError;
use crate::service::{BoxFuture, Call, OpResult};

/// Trails one account may have in one region.
const TRAILS_PER_REGION_MAX: usize = 5;
const S3_KEY_PREFIX_CHARS_MAX: usize = 200;
const SNS_TOPIC_NAME_CHARS_MAX: usize = 256;

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn input_error(err: awsjson::InputError) -> ApiError {
    bad(err.code, err.message)
}

/// AWS's trail-name rules.
fn check_trail_name(name: &str) -> Result<(), ApiError> {
    let err = |why: &str| {
        bad("InvalidTrailNameException", format!("Trail name `{name}` is not valid: {why}"))
    };
    if !(3..=128).contains(&name.len()) {
        return Err(err("it must be between 3 and 128 characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err(err(
            "it may contain only ASCII letters, numbers, periods, underscores and dashes",
        ));
    }
    let bytes = name.as_bytes();
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err(err("it must start and end with a letter or number"));
    }
    if bytes.windows(2).any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric()) {
        return Err(err("it must not have adjacent periods, underscores or dashes"));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(err("it must not be in IP address format"));
    }
    Ok(())
}

/// S3's bucket-naming rules.
fn check_bucket_name(name: &str) -> Result<(), ApiError> {
    let err = || bad("InvalidS3BucketNameException", format!("Bucket name `{name}` is not valid"));
    let bytes = name.as_bytes();
    let ok = (3..=63).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err();
    if ok { Ok(()) } else { Err(err()) }
}

fn trail_arn(region: &str, account: &str, name: &str) -> String {
    let partition = cloudtrail_model::regions::partition_of(region);
    format!("arn:{partition}:cloudtrail:{region}:{account}:trail/{name}")
}

/// The trail a `Name` member refers to: a name (in the caller's account and region) or a
/// trail ARN (any region of the caller's account).
pub(crate) fn find_trail(call: &Call, name_or_arn: &str) -> Result<catalog::Trail, ApiError> {
    let trail = locate_trail(call, name_or_arn)?;
    call.authorize_trail(&trail)?;
    Ok(trail)
}

/// A trail ARN must be `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`.
fn check_trail_arn(text: &str) -> Result<(), ApiError> {
    let well_formed = cloudtrail_model::Arn::parse(text).is_ok_and(|arn| {
        arn.service == "cloudtrail"
            && !arn.region.is_empty()
            && cloudtrail_model::arn::is_account_id(&arn.account_id)
            && arn.resource.starts_with("trail/")
    });
    if well_formed {
        Ok(())
    } else {
        Err(bad("CloudTrailARNInvalidException", format!("`{text}` is not a valid trail ARN")))
    }
}

/// The trail a name or ARN refers to, if the caller's account may see it.
fn locate_trail(call: &Call, name_or_arn: &str) -> Result<catalog::Trail, ApiError> {
    let arn = if name_or_arn.starts_with("arn:") {
        check_trail_arn(name_or_arn)?;
        name_or_arn.to_owned()
    } else {
        check_trail_name(name_or_arn)?;
        trail_arn(&call.caller.region, &call.caller.account_id, name_or_arn)
    };
    let not_found = || {
        bad(
            "TrailNotFoundException",
            format!("Unknown trail: {arn} for the user: {}", call.caller.account_id),
        )
    };
    let trail = call
        .state
        .catalog
        .trail(&arn)
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(not_found)?;
    if !call.can_see(&trail) {
        return Err(not_found());
    }
    Ok(trail)
}

/// A change must be made in the trail's home region.
fn require_home_region(call: &Call, trail: &catalog::Trail) -> Result<(), ApiError> {
    if trail.home_region != call.caller.region {
        return Err(bad(
            "InvalidHomeRegionException",
            format!(
                "This operation must be called from the trail's home region {}; the request was made in {}",
                trail.home_region, call.caller.region
            ),
        ));
    }
    Ok(())
}

/// The `Trail` structure (GetTrail, DescribeTrails), or CreateTrail/UpdateTrail's response
/// members (`full = false`: no HomeRegion, HasCustomEventSelectors, HasInsightSelectors).
fn trail_shape(trail: &catalog::Trail, full: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Name".into(), trail.name.clone().into());
    out.insert("S3BucketName".into(), trail.s3_bucket_name.clone().into());
    if let Some(prefix) = &trail.s3_key_prefix {
        out.insert("S3KeyPrefix".into(), prefix.clone().into());
    }
    if let Some(topic) = &trail.sns_topic_name {
        out.insert("SnsTopicName".into(), topic.clone().into());
        let arn = if topic.starts_with("arn:") {
            topic.clone()
        } else {
            format!("arn:aws:sns:{}:{}:{topic}", trail.home_region, trail.account_id)
        };
        out.insert("SnsTopicARN".into(), arn.into());
    }
    out.insert("IncludeGlobalServiceEvents".into(), trail.include_global_service_events.into());
    out.insert("IsMultiRegionTrail".into(), trail.is_multi_region_trail.into());
    if full {
        out.insert("HomeRegion".into(), trail.home_region.clone().into());
    }
    out.insert("TrailARN".into(), trail.trail_arn.clone().into());
    out.insert("LogFileValidationEnabled".into(), trail.log_file_validation_enabled.into());
    if let Some(group) = &trail.cloud_watch_logs_log_group_arn {
        out.insert("CloudWatchLogsLogGroupArn".into(), group.clone().into());
    }
    if let Some(role) = &trail.cloud_watch_logs_role_arn {
        out.insert("CloudWatchLogsRoleArn".into(), role.clone().into());
    }
    if let Some(key) = &trail.kms_key_id {
        out.insert("KmsKeyId".into(), key.clone().into());
    }
    if full {
        out.insert("HasCustomEventSelectors".into(), trail.has_custom_event_selectors.into());
        out.insert("HasInsightSelectors".into(), trail.insight_selectors.is_some().into());
    }
    out.insert("IsOrganizationTrail".into(), trail.is_organization_trail.into());
    out
}

/// Whether every key the trail could write under `prefix` is one a bucket holds: no `.` or
/// `..` segment, no control character, and the longest key (an organization trail's digest,
/// the longest organization id and region) within S3's 1,024 bytes. A prefix that fails here
/// would fail every delivery of the trail.
fn check_key_prefix(prefix: &str, trail_name: &str) -> Result<(), ApiError> {
    if prefix.chars().any(char::is_control) {
        return Err(bad(
            "InvalidS3PrefixException",
            "S3KeyPrefix must not contain control characters".to_owned(),
        ));
    }
    const LONGEST_ORGANIZATION_ID: &str = "o-abcdefghijklmnopqrstuvwxyz012345";
    const LONGEST_REGION: &str = "xx-xxxxxxxxxxxxxxxxxx-99";
    let folder = cloudtrail_model::s3_keys::AccountFolder {
        s3_key_prefix: Some(prefix),
        organization_id: Some(LONGEST_ORGANIZATION_ID),
        account_id: "000000000000",
    };
    let longest = folder.digest_key(LONGEST_REGION, trail_name, LONGEST_REGION, 0);
    blob_store::validate_key(&longest).map_err(|err| {
        let reason = match err {
            blob_store::Error::InvalidKey { reason, .. } => reason,
            _ => "is not a valid object key",
        };
        bad(
            "InvalidS3PrefixException",
            format!("S3KeyPrefix `{prefix}` cannot hold this trail's files: their keys {reason}"),
        )
    })
}

/// Applies the configuration members shared by CreateTrail and UpdateTrail.
fn apply_configuration(
    call: &Call,
    trail: &mut catalog::Trail,
    input: &Input,
) -> Result<(), ApiError> {
    if let Some(bucket) = input.string("S3BucketName").map_err(input_error)? {
        check_bucket_name(bucket)?;
        trail.s3_bucket_name = bucket.to_owned();
    }
    if let Some(prefix) = input.string("S3KeyPrefix").map_err(input_error)? {
        if prefix.chars().count() > S3_KEY_PREFIX_CHARS_MAX {
            return Err(bad(
                "InvalidS3PrefixException",
                format!("S3KeyPrefix must be at most {S3_KEY_PREFIX_CHARS_MAX} characters"),
            ));
        }
        if prefix.ends_with('/') || prefix.starts_with('/') || prefix.contains("//") {
            return Err(bad(
                "InvalidS3PrefixException",
                format!(
                    "S3KeyPrefix `{prefix}` must not start or end with `/` or contain `//`; log files go under `<prefix>/AWSLogs/`"
                ),
            ));
        }
        if !prefix.is_empty() {
            check_key_prefix(prefix, &trail.name)?;
        }
        trail.s3_key_prefix = (!prefix.is_empty()).then(|| prefix.to_owned());
    }
    if let Some(topic) = input.string("SnsTopicName").map_err(input_error)? {
        let valid = !topic.is_empty() && topic.chars().count() <= SNS_TOPIC_NAME_CHARS_MAX;
        if !valid {
            return Err(bad(
                "InvalidSnsTopicNameException",
                format!("SnsTopicName must be 1 to {SNS_TOPIC_NAME_CHARS_MAX} characters"),
            ));
        }
        trail.sns_topic_name = Some(topic.to_owned());
    }
    if let Some(flag) = input.bool("IncludeGlobalServiceEvents").map_err(input_error)? {
        trail.include_global_service_events = flag;
    }
    if let Some(flag) = input.bool("IsMultiRegionTrail").map_err(input_error)? {
        trail.is_multi_region_trail = flag;
    }
    if let Some(flag) = input.bool("EnableLogFileValidation").map_err(input_error)? {
        trail.log_file_validation_enabled = flag;
    }
    if trail.is_multi_region_trail && !trail.include_global_service_events {
        return Err(bad(
            "InvalidParameterCombinationException",
            "A multi-region trail must include global service events",
        ));
    }
    let group = input.string("CloudWatchLogsLogGroupArn").map_err(input_error)?;
    let role = input.string("CloudWatchLogsRoleArn").map_err(input_error)?;
    match (group, role) {
        (None, None) => {}
        (Some(""), Some("")) => {
            trail.cloud_watch_logs_log_group_arn = None;
            trail.cloud_watch_logs_role_arn = None;
        }
        (Some(group), Some(role)) => {
            let group_ok = cloudtrail_model::Arn::parse(group)
                .is_ok_and(|a| a.service == "logs" && a.resource.starts_with("log-group:"));
            if !group_ok {
                return Err(bad(
                    "InvalidCloudWatchLogsLogGroupArnException",
                    format!("`{group}` is not a CloudWatch Logs log group ARN"),
                ));
            }
            let role_ok = cloudtrail_model::Arn::parse(role)
                .is_ok_and(|a| a.service == "iam" && a.resource.starts_with("role/"));
            if !role_ok {
                return Err(bad(
                    "InvalidCloudWatchLogsRoleArnException",
                    format!("`{role}` is not an IAM role ARN"),
                ));
            }
            trail.cloud_watch_logs_log_group_arn = Some(group.to_owned());
            trail.cloud_watch_logs_role_arn = Some(role.to_owned());
        }
        _ => {
            return Err(bad(
                "InvalidParameterCombinationException",
                "CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn must be given together",
            ));
        }
    }
    if let Some(key) = input.string("KmsKeyId").map_err(input_error)? {
        trail.kms_key_id = if key.is_empty() { None } else { Some(kms_key_arn(call, key)?) };
    }
    if let Some(flag) = input.bool("IsOrganizationTrail").map_err(input_error)?
        && flag != trail.is_organization_trail
    {
        match &call.state.organization {
            None => {
                return Err(bad(
                    "OrganizationsNotInUseException",
                    "This account is not part of an organization in OpenTrail's configuration; organization trails need one",
                ));
            }
            Some(org) if org.management_account != call.caller.account_id => {
                return Err(bad(
                    "NotOrganizationMasterAccountException",
                    format!(
                        "Only the management account {} of the organization can change organization trails",
                        org.management_account
                    ),
                ));
            }
            Some(_) => trail.is_organization_trail = flag,
        }
    }
    Ok(())
}

/// The full key ARN for a key id, alias or ARN (as AWS answers).
fn kms_key_arn(call: &Call, key: &str) -> Result<String, ApiError> {
    let invalid =
        || bad("InvalidKmsKeyIdException", format!("`{key}` is not a KMS key id, alias or ARN"));
    if key.starts_with("arn:") {
        let arn = cloudtrail_model::Arn::parse(key).map_err(|_| invalid())?;
        if arn.service != "kms"
            || !(arn.resource.starts_with("key/") || arn.resource.starts_with("alias/"))
        {
            return Err(invalid());
        }
        return Ok(key.to_owned());
    }
    let (region, account) = (&call.caller.region, &call.caller.account_id);
    if key.starts_with("alias/") && key.len() > "alias/".len() {
        return Ok(format!("arn:aws:kms:{region}:{account}:{key}"));
    }
    let is_key_id = key.len() == 36 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let is_mrk =
        key.starts_with("mrk-") && key.len() > 4 && key[4..].bytes().all(|b| b.is_ascii_hexdigit());
    if is_key_id || is_mrk {
        return Ok(format!("arn:aws:kms:{region}:{account}:key/{key}"));
    }
    Err(invalid())
}

/// CreateTrail's new trail: name, bucket, authorization and configuration checked.
fn trail_to_create(call: &Call) -> Result<catalog::Trail, ApiError> {
    let input = &call.input;
    let name = input.required_string("Name", "TrailNotProvidedException").map_err(input_error)?;
    check_trail_name(name)?;
    let bucket =
        input.required_string("S3BucketName", "InvalidParameterException").map_err(input_error)?;
    check_bucket_name(bucket)?;
    let caller = &call.caller;
    let mut trail = catalog::Trail::new(
        trail_arn(&caller.region, &caller.account_id, name),
        caller.account_id.clone(),
        name.to_owned(),
        caller.region.clone(),
        bucket.to_owned(),
        trail_selectors::Selectors::default_for_new_trail().to_storage(),
    );
    call.authorize(&trail.trail_arn, &caller.account_id, false)?;
    apply_configuration(call, &mut trail, input)?;
    Ok(trail)
}

/// CreateTrail: the trail is checked (members, authorization), then its bucket against the
/// store that holds it, then stored.
pub(crate) fn create_trail(call: Arc<Call>) -> BoxFuture<OpResult> {
    Box::pin(async move {
        let trail = call.blocking(trail_to_create).await?;
        buckets::check_bucket(&call, &trail, None).await?;
        call.blocking(move |call| store_new_trail(call, trail)).await
    })
}

fn store_new_trail(call: &Call, trail: catalog::Trail) -> OpResult {
    let input = &call.input;
    let caller = &call.caller;
    let tags = tags::parse_tags(input, "TagsList")?;
    if tags.len() > tags::TAGS_PER_RESOURCE_MAX {
        return Err(bad(
            "TagsLimitExceededException",
            format!("a resource can have at most {} tags", tags::TAGS_PER_RESOURCE_MAX),
        ));
    }
    let catalog = &call.state.catalog;
    if catalog
        .trail_name_exists(&caller.account_id, &trail.name)
        .map_err(|e| ApiError::internal(&e))?
    {
        return Err(bad(
            "TrailAlreadyExistsException",
            format!("Trail {} already exists for customer: {}", trail.name, caller.account_id),
        ));
    }
    let in_region = catalog
        .count_trails(&caller.account_id, &caller.region)
        .map_err(|e| ApiError::internal(&e))?;
    if in_region >= TRAILS_PER_REGION_MAX {
        return Err(bad(
            "MaximumNumberOfTrailsExceededException",
            format!(
                "User: {} already has {TRAILS_PER_REGION_MAX} trails in {}",
                caller.account_id, caller.region
            ),
        ));
    }
    match call.state.catalog.create_trail(&trail, call.now_ms / 1000) {
        Ok(()) => {}
        Err(catalog::Error::AlreadyExists { .. }) => {
            return Err(bad(
                "TrailAlreadyExistsException",
                format!("Trail {} already exists for customer: {}", trail.name, caller.account_id),
            ));
        }
        Err(err) => return Err(ApiError::internal(&err)),
    }
    tags::add_tags_checked(call, &trail.trail_arn, &tags)?;
    Ok(Value::Object(trail_shape(&trail, false)))
}

pub(crate) fn get_trail(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Name", "InvalidTrailNameException").map_err(input_error)?;
    let trail = find_trail(call, name)?;
    Ok(json!({ "Trail": Value::Object(trail_shape(&trail, true)) }))
}

pub(crate) fn describe_trails(call: &Call) -> OpResult {
    let names = call.input.string_list("trailNameList").map_err(input_error)?;
    let include_shadow =
        call.input.bool("includeShadowTrails").map_err(input_error)?.unwrap_or(true);
    let caller = &call.caller;
    call.authorize_account()?;
    let all = call.state.catalog.trails().map_err(|e| ApiError::internal(&e))?;
    let visible = |t: &&catalog::Trail| {
        call.can_see(t)
            && (t.home_region == caller.region || (include_shadow && t.is_multi_region_trail))
    };
    let trails: Vec<Value> = match names {
        None => all.iter().filter(visible).map(|t| Value::Object(trail_shape(t, true))).collect(),
        Some(names) if names.is_empty() => {
            all.iter().filter(visible).map(|t| Value::Object(trail_shape(t, true))).collect()
        }
        Some(names) => {
            let mut out = Vec::new();
            for name in names {
                let arn = if name.starts_with("arn:") {
                    check_trail_arn(name)?;
                    name.to_owned()
                } else {
                    check_trail_name(name)?;
                    trail_arn(&caller.region, &caller.account_id, name)
                };
                if let Some(trail) = all.iter().filter(visible).find(|t| t.trail_arn == arn) {
                    out.push(Value::Object(trail_shape(trail, true)));
                }
            }
            out
        }
    };
    Ok(json!({ "trailList": trails }))
}

pub(crate) fn list_trails(call: &Call) -> OpResult {
    if let Some(token) = call.input.string("NextToken").map_err(input_error)? {
        // Every answer fits one page, so no token is ever handed out.
        return Err(bad(
            "InvalidNextTokenException",
            format!("`{token}` is not a token this service issued"),
        ));
    }
    call.authorize_account()?;
    let all = call.state.catalog.trails().map_err(|e| ApiError::internal(&e))?;
    let trails: Vec<Value> = all
        .iter()
        .filter(|t| call.can_see(t))
        .map(|t| json!({ "TrailARN": t.trail_arn, "Name": t.name, "HomeRegion": t.home_region }))
        .collect();
    Ok(json!({ "Trails": trails }))
}

/// UpdateTrail: the changed trail is checked (members, authorization), then its bucket when
/// the bucket, prefix or organization flag changed, then stored.
pub(crate) fn update_trail(call: Arc<Call>) -> BoxFuture<OpResult> {
    Box::pin(async move {
        let (before, after) = call.blocking(updated_trail).await?;
        buckets::check_bucket(&call, &after, Some(&before)).await?;
        call.blocking(move |call| store_updated_trail(call, after)).await
    })
}

/// The trail UpdateTrail names, as it is and as the request would change it.
fn updated_trail(call: &Call) -> Result<(catalog::Trail, catalog::Trail), ApiError> {
    let name =
        call.input.required_string("Name", "TrailNotProvidedException").map_err(input_error)?;
    let before = find_trail(call, name)?;
    require_home_region(call, &before)?;
    let mut after = before.clone();
    apply_configuration(call, &mut after, &call.input)?;
    Ok((before, after))
}

fn store_updated_trail(call: &Call, trail: catalog::Trail) -> OpResult {
    if !call.state.catalog.update_trail(&trail).map_err(|e| ApiError::internal(&e))? {
        return Err(bad(
            "TrailNotFoundException",
            format!("Unknown trail: {} for the user: {}", trail.trail_arn, call.caller.account_id),
        ));
    }
    Ok(Value::Object(trail_shape(&trail, false)))
}

pub(crate) fn delete_trail(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Name", "TrailNotProvidedException").map_err(input_error)?;
    let trail = find_trail(call, name)?;
    require_home_region(call, &trail)?;
    call.state.catalog.delete_trail(&trail.trail_arn).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({}))
}

pub(crate) fn get_trail_status(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Name", "InvalidTrailNameException").map_err(input_error)?;
    let trail = find_trail(call, name)?;
    let delivery =
        call.state.catalog.delivery_status(&trail.trail_arn).map_err(|e| ApiError::internal(&e))?;
    let mut out = Map::new();
    out.insert("IsLogging".into(), trail.is_logging.into());
    if let Some(ms) = delivery.latest_delivery_time_ms {
        out.insert("LatestDeliveryTime".into(), awsjson::epoch_seconds(ms));
        out.insert("LatestDeliveryAttemptSucceeded".into(), iso_time(ms).into());
    }
    if let Some(error) = delivery.latest_delivery_error {
        out.insert("LatestDeliveryError".into(), error.into());
    }
    if let Some(ms) = delivery.latest_delivery_attempt_ms {
        out.insert("LatestDeliveryAttemptTime".into(), iso_time(ms).into());
    }
    if let Some(ms) = delivery.latest_digest_delivery_time_ms {
        out.insert("LatestDigestDeliveryTime".into(), awsjson::epoch_seconds(ms));
    }
    if let Some(error) = delivery.latest_digest_delivery_error {
        out.insert("LatestDigestDeliveryError".into(), error.into());
    }
    if let Some(ms) = trail.start_logging_time_ms {
        out.insert("StartLoggingTime".into(), awsjson::epoch_seconds(ms));
        out.insert("TimeLoggingStarted".into(), iso_time(ms).into());
    }
    if let Some(ms) = trail.stop_logging_time_ms {
        out.insert("StopLoggingTime".into(), awsjson::epoch_seconds(ms));
        out.insert("TimeLoggingStopped".into(), iso_time(ms).into());
    }
    Ok(Value::Object(out))
}

pub(crate) fn start_logging(call: &Call) -> OpResult {
    set_logging(call, true)
}

pub(crate) fn stop_logging(call: &Call) -> OpResult {
    set_logging(call, false)
}

fn set_logging(call: &Call, logging: bool) -> OpResult {
    let name =
        call.input.required_string("Name", "TrailNotProvidedException").map_err(input_error)?;
    let mut trail = find_trail(call, name)?;
    require_home_region(call, &trail)?;
    if trail.is_logging != logging {
        trail.is_logging = logging;
        if logging {
            trail.start_logging_time_ms = Some(call.now_ms);
        } else {
            trail.stop_logging_time_ms = Some(call.now_ms);
        }
        call.state.catalog.update_trail(&trail).map_err(|e| ApiError::internal(&e))?;
    }
    Ok(json!({}))
}

/// The trail a selectors call names in `TrailName` (event data stores do not exist yet).
fn selectors_trail(call: &Call) -> Result<catalog::Trail, ApiError> {
    let trail_name = call.input.string("TrailName").map_err(input_error)?;
    let store = call.input.string("EventDataStore").map_err(input_error)?;
    match (trail_name, store) {
        (Some(_), Some(_)) => Err(bad(
            "InvalidParameterCombinationException",
            "give `TrailName` or `EventDataStore`, not both",
        )),
        (None, Some(store)) => Err(bad(
            "InvalidParameterException",
            format!(
                "event data store `{store}` does not exist: OpenTrail has no event data stores yet"
            ),
        )),
        (None, None) => Err(bad("InvalidParameterException", "`TrailName` is required")),
        (Some(name), None) => find_trail(call, name),
    }
}

pub(crate) fn put_insight_selectors(call: &Call) -> OpResult {
    let mut trail = selectors_trail(call)?;
    require_home_region(call, &trail)?;
    let selectors = call
        .input
        .object_list("InsightSelectors")
        .map_err(input_error)?
        .ok_or_else(|| bad("InvalidParameterException", "`InsightSelectors` is required"))?;
    let mut out = Vec::with_capacity(selectors.len());
    let mut seen = Vec::new();
    for (idx, selector) in selectors.iter().enumerate() {
        let kind = selector.string("InsightType").map_err(input_error)?.unwrap_or_default();
        if !matches!(kind, "ApiCallRateInsight" | "ApiErrorRateInsight") {
            return Err(bad(
                "InvalidInsightSelectorsException",
                format!(
                    "`InsightSelectors[{idx}].InsightType` `{kind}` is not `ApiCallRateInsight` or `ApiErrorRateInsight`"
                ),
            ));
        }
        if seen.contains(&kind) {
            return Err(bad(
                "InvalidInsightSelectorsException",
                format!("`{kind}` is given more than once"),
            ));
        }
        seen.push(kind);
        let mut item = Map::new();
        item.insert("InsightType".into(), kind.into());
        if let Some(categories) = selector.string_list("EventCategories").map_err(input_error)? {
            if categories.iter().any(|c| !matches!(*c, "Management" | "Data"))
                || categories.is_empty()
            {
                return Err(bad(
                    "InvalidInsightSelectorsException",
                    format!(
                        "`InsightSelectors[{idx}].EventCategories` must be `Management` and/or `Data`"
                    ),
                ));
            }
            item.insert("EventCategories".into(), categories.into());
        }
        out.push(Value::Object(item));
    }
    check_insights_have_events(&trail, &out)?;
    trail.insight_selectors =
        if out.is_empty() { None } else { Some(Value::Array(out.clone()).to_string()) };
    call.state.catalog.update_trail(&trail).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({ "TrailARN": trail.trail_arn, "InsightSelectors": out }))
}

/// Insights analyse the events a trail logs: call-rate insights need write management events,
/// error-rate insights management events, and `EventCategories: ["Data"]` data events
/// (cloudtrail-api.md, PutInsightSelectors).
fn check_insights_have_events(
    trail: &catalog::Trail,
    insight_selectors: &[Value],
) -> Result<(), ApiError> {
    let selectors = trail_selectors::Selectors::from_storage(&trail.event_selectors)
        .map_err(|e| ApiError::internal(&e))?;
    let management = |read_only: bool| {
        let text = format!(
            r#"{{"eventVersion":"1.11","eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"{}","awsRegion":"us-east-1","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"}}"#,
            if read_only { "GetUser" } else { "CreateUser" }
        );
        cloudtrail_model::Record::parse(text.as_bytes())
            .is_ok_and(|record| selectors.matches(&record))
    };
    let logs_data = match &selectors {
        trail_selectors::Selectors::Basic(basic) => {
            basic.iter().any(|s| !s.data_resources.is_empty())
        }
        trail_selectors::Selectors::Advanced(advanced) => advanced.iter().any(|s| {
            s.field_selectors
                .iter()
                .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Data"))
        }),
    };
    for selector in insight_selectors {
        let kind = selector["InsightType"].as_str().unwrap_or_default();
        let categories: Vec<&str> = match selector["EventCategories"].as_array() {
            Some(list) => list.iter().filter_map(Value::as_str).collect(),
            None => vec!["Management"],
        };
        for category in categories {
            let (logged, needed) = match (category, kind) {
                ("Data", _) => (logs_data, "data events"),
                (_, "ApiCallRateInsight") => (management(false), "write management events"),
                _ => (management(false) || management(true), "management events"),
            };
            if !logged {
                return Err(bad(
                    "InvalidInsightSelectorsException",
                    format!(
                        "{kind} on {category} events needs the trail to log {needed}; change its event selectors first"
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn get_insight_selectors(call: &Call) -> OpResult {
    let trail = selectors_trail(call)?;
    let Some(stored) = &trail.insight_selectors else {
        return Err(bad(
            "InsightNotEnabledException",
            format!("Trail {} does not have Insights enabled", trail.name),
        ));
    };
    let selectors: Value = serde_json::from_str(stored).unwrap_or(Value::Array(Vec::new()));
    Ok(json!({ "TrailARN": trail.trail_arn, "InsightSelectors": selectors }))
}

/// Converts a request member to the record model's lossless JSON (the selectors' input form).
fn model_json(value: &Value) -> Result<cloudtrail_model::json::Value, ApiError> {
    cloudtrail_model::json::parse(value.to_string().as_bytes()).map_err(|e| ApiError::internal(&e))
}

fn selectors_response(trail: &catalog::Trail, selectors: &trail_selectors::Selectors) -> OpResult {
    let mut out = Map::new();
    out.insert("TrailARN".into(), trail.trail_arn.clone().into());
    for (name, value) in selectors.to_response_members() {
        let value: Value =
            serde_json::from_str(&value.to_json()).map_err(|e| ApiError::internal(&e))?;
        out.insert(name.into(), value);
    }
    Ok(Value::Object(out))
}

pub(crate) fn put_event_selectors(call: &Call) -> OpResult {
    let name = call
        .input
        .required_string("TrailName", "TrailNotProvidedException")
        .map_err(input_error)?;
    let mut trail = find_trail(call, name)?;
    require_home_region(call, &trail)?;
    let basic = call.input.get("EventSelectors").map(model_json).transpose()?;
    let advanced = call.input.get("AdvancedEventSelectors").map(model_json).transpose()?;
    let selectors = trail_selectors::Selectors::from_request(basic.as_ref(), advanced.as_ref())
        .map_err(|err| bad(err.code, err.message))?;
    trail.event_selectors = selectors.to_storage();
    trail.has_custom_event_selectors = !selectors.is_default_for_new_trail();
    call.state.catalog.update_trail(&trail).map_err(|e| ApiError::internal(&e))?;
    selectors_response(&trail, &selectors)
}

pub(crate) fn get_event_selectors(call: &Call) -> OpResult {
    let name = call
        .input
        .required_string("TrailName", "TrailNotProvidedException")
        .map_err(input_error)?;
    let trail = find_trail(call, name)?;
    let selectors = trail_selectors::Selectors::from_storage(&trail.event_selectors)
        .map_err(|e| ApiError::internal(&e))?;
    selectors_response(&trail, &selectors)
}

fn iso_time(ms: i64) -> String {
    cloudtrail_model::time::format_unix_seconds(ms.div_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_names() {
        for ok in ["abc", "my-trail.prod_1", "A1b", &"a".repeat(128)] {
            assert!(check_trail_name(ok).is_ok(), "{ok}");
        }
        for bad_name in [
            "ab",
            "-abc",
            "abc-",
            "my--trail",
            "my-_trail",
            "has space",
            "10.0.0.1",
            &"a".repeat(129),
        ] {
            assert_eq!(
                check_trail_name(bad_name).unwrap_err().code,
                "InvalidTrailNameException",
                "{bad_name}"
            );
        }
    }

    #[test]
    fn bucket_names() {
        for ok in ["audit-logs", "a.b.c", "abc", "123"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad_name in ["ab", "Audit", "a..b", "-ab", "ab-", "192.168.1.1", "a_b"] {
            assert_eq!(
                check_bucket_name(bad_name).unwrap_err().code,
                "InvalidS3BucketNameException",
                "{bad_name}"
            );
        }
    }
}
