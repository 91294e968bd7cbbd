//! The CloudWatch Logs API subset for metric filters (AWS JSON 1.1, target prefix
//! `Logs_20140328`, SigV4 service `logs`): PutMetricFilter, DescribeMetricFilters,
//! DeleteMetricFilter and TestMetricFilter, so `aws logs … --endpoint-url` works.
//!
//! A log group is the stream of CloudTrail events its account can see: its own, and its
//! members' for the organization's management account; in the administrator account,
//! `OpenTrail/AllAccounts` sees every account. Any valid log-group name is accepted by
//! PutMetricFilter; CreateLogGroup, DescribeLogGroups and DeleteLogGroup manage names too (a
//! group holds no log events: OpenTrail's events live in its WAL, history and trails).

use metric_alarms::{MetricFilter, ServiceError};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::service::{Authz, Call, OpResult, Operation, Protocol, Service, Unlisted};

/// The CloudWatch Logs subset: every call is authorized as `logs:<operation>` on `*` first.
pub(crate) static LOGS: Service = Service {
    signing_name: "logs",
    iam_prefix: "logs",
    access_denied_code: "AccessDeniedException",
    protocol: Protocol::AwsJson11 { target_prefix: "Logs_20140328." },
    audit_source: Some("logs.amazonaws.com"),
    audit_redact: None,
    audit_data: None,
    request_bytes_max: 1024 * 1024,
    operations: &[
        Operation::blocking(
            "PutMetricFilter",
            "logs:PutMetricFilter",
            Authz::Account,
            put_metric_filter,
        ),
        Operation::blocking(
            "DescribeMetricFilters",
            "logs:DescribeMetricFilters",
            Authz::Account,
            describe_metric_filters,
        ),
        Operation::blocking(
            "DeleteMetricFilter",
            "logs:DeleteMetricFilter",
            Authz::Account,
            delete_metric_filter,
        ),
        Operation::blocking(
            "TestMetricFilter",
            "logs:TestMetricFilter",
            Authz::Account,
            test_metric_filter,
        ),
        Operation::blocking(
            "CreateLogGroup",
            "logs:CreateLogGroup",
            Authz::Account,
            create_log_group,
        ),
        Operation::blocking(
            "DeleteLogGroup",
            "logs:DeleteLogGroup",
            Authz::Account,
            delete_log_group,
        ),
        Operation::blocking(
            "DescribeLogGroups",
            "logs:DescribeLogGroups",
            Authz::Account,
            describe_log_groups,
        ),
    ],
    unlisted: Unlisted {
        unsupported: OTHER_OPERATIONS,
        unsupported_message: not_served,
        authorized: true,
    },
};

/// Operations of the CloudWatch Logs API this subset does not serve.
const OTHER_OPERATIONS: &[&str] = &[
    "CreateLogStream",
    "DescribeLogStreams",
    "FilterLogEvents",
    "GetLogEvents",
    "PutLogEvents",
    "PutRetentionPolicy",
    "StartQuery",
    "GetQueryResults",
    "PutSubscriptionFilter",
    "DescribeSubscriptionFilters",
    "TagResource",
    "ListTagsForResource",
];

/// DescribeMetricFilters' page size bounds.
const DESCRIBE_LIMIT_MAX: i64 = 50;
/// TestMetricFilter's message count bounds.
const TEST_MESSAGES_MAX: usize = 50;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

fn service_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::InvalidParameter(m) => invalid(m),
        ServiceError::ResourceNotFound(m) => ApiError::bad_request("ResourceNotFoundException", m),
        ServiceError::LimitExceeded(m) => ApiError::bad_request("LimitExceededException", m),
        ServiceError::AlreadyExists(m) => {
            ApiError::bad_request("ResourceAlreadyExistsException", m)
        }
        ServiceError::NotAuthorized(m) => {
            ApiError::new(axum::http::StatusCode::FORBIDDEN, "AccessDeniedException", m)
        }
        ServiceError::Internal(m) => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            format!("{m}; try again"),
        ),
    }
}

fn input_error(err: awsjson::InputError) -> ApiError {
    ApiError::bad_request(err.code, err.message)
}

fn not_served(operation: &str) -> String {
    format!("OpenTrail serves the metric-filter operations of CloudWatch Logs, not `{operation}`")
}

fn service(call: &Call) -> Result<&metric_alarms::AlarmService, ApiError> {
    call.state.alarms.as_deref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "metric filters are not running on this server",
        )
    })
}

fn put_metric_filter(call: &Call) -> OpResult {
    let members = call.input.members();
    let filter = MetricFilter::from_json(members, call.now_ms).map_err(|e| invalid(e.message))?;
    service(call)?
        .put_metric_filter(&call.caller.account_id, &call.caller.region, filter)
        .map_err(service_error)?;
    Ok(json!({}))
}

fn delete_metric_filter(call: &Call) -> OpResult {
    let log_group = call
        .input
        .required_string("logGroupName", "InvalidParameterException")
        .map_err(input_error)?;
    let name = call
        .input
        .required_string("filterName", "InvalidParameterException")
        .map_err(input_error)?;
    metric_alarms::check_log_group_name(log_group).map_err(|e| invalid(e.message))?;
    metric_alarms::check_filter_name(name).map_err(|e| invalid(e.message))?;
    service(call)?
        .delete_metric_filter(&call.caller.account_id, &call.caller.region, log_group, name)
        .map_err(service_error)?;
    Ok(json!({}))
}

fn describe_metric_filters(call: &Call) -> OpResult {
    let input = &call.input;
    let log_group = input.string("logGroupName").map_err(input_error)?;
    let prefix = input.string("filterNamePrefix").map_err(input_error)?;
    let metric_name = input.string("metricName").map_err(input_error)?;
    let namespace = input.string("metricNamespace").map_err(input_error)?;
    let limit = input.integer("limit").map_err(input_error)?.unwrap_or(DESCRIBE_LIMIT_MAX);
    let token = input.string("nextToken").map_err(input_error)?;
    if !(1..=DESCRIBE_LIMIT_MAX).contains(&limit) {
        return Err(invalid(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {DESCRIBE_LIMIT_MAX}"
        )));
    }
    if prefix.is_some() && log_group.is_none() {
        return Err(invalid("filterNamePrefix requires logGroupName"));
    }
    if metric_name.is_some() != namespace.is_some() {
        return Err(invalid("metricName and metricNamespace must be given together"));
    }
    if let Some(group) = log_group {
        metric_alarms::check_log_group_name(group).map_err(|e| invalid(e.message))?;
    }
    let start: usize = match token {
        None => 0,
        Some(token) => token
            .strip_prefix("mf1-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid(format!("The specified nextToken `{token}` is not valid")))?,
    };
    let filters = service(call)?
        .metric_filters(&call.caller.account_id, &call.caller.region)
        .map_err(service_error)?;
    let selected: Vec<&MetricFilter> = filters
        .iter()
        .filter(|f| log_group.is_none_or(|g| f.log_group_name == g))
        .filter(|f| prefix.is_none_or(|p| f.filter_name.starts_with(p)))
        .filter(|f| {
            metric_name.is_none_or(|m| f.transformation.metric_name == m)
                && namespace.is_none_or(|n| f.transformation.metric_namespace == n)
        })
        .collect();
    let limit = limit as usize;
    let page: Vec<Value> = selected.iter().skip(start).take(limit).map(|f| f.to_json()).collect();
    let mut out = json!({ "metricFilters": page });
    if start + limit < selected.len() {
        out["nextToken"] = json!(format!("mf1-{}", start + limit));
    }
    Ok(out)
}

fn test_metric_filter(call: &Call) -> OpResult {
    let input = &call.input;
    let pattern_text = input.string("filterPattern").map_err(input_error)?.ok_or_else(|| {
        invalid("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
    })?;
    let messages = input.string_list("logEventMessages").map_err(input_error)?.ok_or_else(|| {
        invalid("1 validation error detected: Value null at 'logEventMessages' failed to satisfy constraint: Member must not be null")
    })?;
    if messages.is_empty() || messages.len() > TEST_MESSAGES_MAX {
        return Err(invalid(format!(
            "1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length between 1 and {TEST_MESSAGES_MAX}"
        )));
    }
    let pattern = metric_alarms::parse_pattern(pattern_text).map_err(|e| invalid(e.message))?;
    let mut parser = filter_pattern::EventParser::new();
    let mut matches = Vec::new();
    for (idx, message) in messages.iter().enumerate() {
        let event = parser.parse(message);
        if let Some(found) = pattern.find(&event) {
            let extracted: serde_json::Map<String, Value> = found
                .extracted_values()
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect();
            matches.push(json!({
                "eventNumber": idx + 1,
                "eventMessage": message,
                "extractedValues": extracted,
            }));
        }
    }
    Ok(json!({ "matches": matches }))
}

fn create_log_group(call: &Call) -> OpResult {
    let name = call
        .input
        .required_string("logGroupName", "InvalidParameterException")
        .map_err(input_error)?;
    service(call)?
        .create_log_group(&call.caller.account_id, &call.caller.region, name)
        .map_err(service_error)?;
    Ok(json!({}))
}

fn delete_log_group(call: &Call) -> OpResult {
    let name = call
        .input
        .required_string("logGroupName", "InvalidParameterException")
        .map_err(input_error)?;
    service(call)?
        .delete_log_group(&call.caller.account_id, &call.caller.region, name)
        .map_err(service_error)?;
    Ok(json!({}))
}

fn describe_log_groups(call: &Call) -> OpResult {
    let input = &call.input;
    let prefix = input.string("logGroupNamePrefix").map_err(input_error)?;
    let limit = input.integer("limit").map_err(input_error)?.unwrap_or(DESCRIBE_LIMIT_MAX);
    if !(1..=DESCRIBE_LIMIT_MAX).contains(&limit) {
        return Err(invalid(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {DESCRIBE_LIMIT_MAX}"
        )));
    }
    let start: usize = match input.string("nextToken").map_err(input_error)? {
        None => 0,
        Some(token) => token
            .strip_prefix("lg1-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid(format!("The specified nextToken `{token}` is not valid")))?,
    };
    let (account, region) = (&call.caller.account_id, &call.caller.region);
    let groups: Vec<(String, i64, usize)> = service(call)?
        .log_groups(account, region)
        .map_err(service_error)?
        .into_iter()
        .filter(|(name, _, _)| prefix.is_none_or(|p| name.starts_with(p)))
        .collect();
    let limit = limit as usize;
    let page: Vec<Value> = groups
        .iter()
        .skip(start)
        .take(limit)
        .map(|(name, created, n_filters)| {
            let arn = format!("arn:aws:logs:{region}:{account}:log-group:{name}");
            json!({
                "logGroupName": name,
                "creationTime": created,
                "metricFilterCount": n_filters,
                "arn": format!("{arn}:*"),
                "logGroupArn": arn,
                "storedBytes": 0,
                "logGroupClass": "STANDARD",
            })
        })
        .collect();
    let mut out = json!({ "logGroups": page });
    if start + limit < groups.len() {
        out["nextToken"] = json!(format!("lg1-{}", start + limit));
    }
    Ok(out)
}
