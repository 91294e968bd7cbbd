//! The CloudTrail control plane over AWS JSON 1.1 (`../shared/spec/cloudtrail-api.md`): the
//! [`CLOUDTRAIL`] service table (`POST` with `X-Amz-Target`, SigV4 for service `cloudtrail`,
//! every call self-audited), its operations in `trails.rs`, `tagging.rs`, `channels.rs`,
//! `keys.rs` and `lookup.rs`.

mod buckets;
pub(crate) mod channels;
mod keys;
mod lookup;
mod tagging;
mod tags;
mod trails;

use crate::service::{Authz, Operation, Protocol, Service, Unlisted, not_supported_yet};

/// The CloudTrail API.
pub(crate) static CLOUDTRAIL: Service = Service {
    signing_name: "cloudtrail",
    iam_prefix: "cloudtrail",
    access_denied_code: "AccessDeniedException",
    protocol: Protocol::AwsJson11 { target_prefix: awsjson::CLOUDTRAIL_TARGET_PREFIX },
    audit_source: Some("cloudtrail.amazonaws.com"),
    request_bytes_max: 1024 * 1024,
    operations: &[
        Operation::awaiting(
            "CreateTrail",
            "cloudtrail:CreateTrail",
            Authz::Handler,
            trails::create_trail,
        ),
        Operation::blocking("GetTrail", "cloudtrail:GetTrail", Authz::Handler, trails::get_trail),
        Operation::blocking(
            "DescribeTrails",
            "cloudtrail:DescribeTrails",
            Authz::Handler,
            trails::describe_trails,
        ),
        Operation::blocking(
            "ListTrails",
            "cloudtrail:ListTrails",
            Authz::Handler,
            trails::list_trails,
        ),
        Operation::awaiting(
            "UpdateTrail",
            "cloudtrail:UpdateTrail",
            Authz::Handler,
            trails::update_trail,
        ),
        Operation::blocking(
            "DeleteTrail",
            "cloudtrail:DeleteTrail",
            Authz::Handler,
            trails::delete_trail,
        ),
        Operation::blocking(
            "GetTrailStatus",
            "cloudtrail:GetTrailStatus",
            Authz::Handler,
            trails::get_trail_status,
        ),
        Operation::blocking(
            "StartLogging",
            "cloudtrail:StartLogging",
            Authz::Handler,
            trails::start_logging,
        ),
        Operation::blocking(
            "StopLogging",
            "cloudtrail:StopLogging",
            Authz::Handler,
            trails::stop_logging,
        ),
        Operation::blocking("AddTags", "cloudtrail:AddTags", Authz::Handler, tagging::add_tags),
        Operation::blocking(
            "RemoveTags",
            "cloudtrail:RemoveTags",
            Authz::Handler,
            tagging::remove_tags,
        ),
        Operation::blocking("ListTags", "cloudtrail:ListTags", Authz::Handler, tagging::list_tags),
        Operation::blocking(
            "ListPublicKeys",
            "cloudtrail:ListPublicKeys",
            Authz::Account,
            keys::list_public_keys,
        ),
        Operation::blocking(
            "PutEventSelectors",
            "cloudtrail:PutEventSelectors",
            Authz::Handler,
            trails::put_event_selectors,
        ),
        Operation::blocking(
            "GetEventSelectors",
            "cloudtrail:GetEventSelectors",
            Authz::Handler,
            trails::get_event_selectors,
        ),
        Operation::blocking(
            "PutInsightSelectors",
            "cloudtrail:PutInsightSelectors",
            Authz::Handler,
            trails::put_insight_selectors,
        ),
        Operation::blocking(
            "GetInsightSelectors",
            "cloudtrail:GetInsightSelectors",
            Authz::Handler,
            trails::get_insight_selectors,
        ),
        Operation::blocking(
            "CreateChannel",
            "cloudtrail:CreateChannel",
            Authz::Handler,
            channels::create_channel,
        ),
        Operation::blocking(
            "GetChannel",
            "cloudtrail:GetChannel",
            Authz::Handler,
            channels::get_channel,
        ),
        Operation::blocking(
            "ListChannels",
            "cloudtrail:ListChannels",
            Authz::Handler,
            channels::list_channels,
        ),
        Operation::blocking(
            "UpdateChannel",
            "cloudtrail:UpdateChannel",
            Authz::Handler,
            channels::update_channel,
        ),
        Operation::blocking(
            "DeleteChannel",
            "cloudtrail:DeleteChannel",
            Authz::Handler,
            channels::delete_channel,
        ),
        Operation::blocking(
            "LookupEvents",
            "cloudtrail:LookupEvents",
            Authz::Account,
            lookup::lookup_events,
        ),
    ],
    unlisted: Unlisted {
        unsupported: API_OPERATIONS,
        unsupported_message: not_supported_yet,
        authorized: false,
    },
};

/// Every operation of the CloudTrail API (model 2013-11-01); the ones without an entry in
/// [`CLOUDTRAIL`] answer `UnsupportedOperationException`, as AWS lists for every operation.
pub(crate) const API_OPERATIONS: &[&str] = &[
    "AddTags",
    "CancelQuery",
    "CreateChannel",
    "CreateDashboard",
    "CreateEventDataStore",
    "CreateTrail",
    "DeleteChannel",
    "DeleteDashboard",
    "DeleteEventDataStore",
    "DeleteResourcePolicy",
    "DeleteTrail",
    "DeregisterOrganizationDelegatedAdmin",
    "DescribeQuery",
    "DescribeTrails",
    "DisableFederation",
    "EnableFederation",
    "GenerateQuery",
    "GetChannel",
    "GetDashboard",
    "GetEventConfiguration",
    "GetEventDataStore",
    "GetEventSelectors",
    "GetImport",
    "GetInsightSelectors",
    "GetQueryResults",
    "GetResourcePolicy",
    "GetTrail",
    "GetTrailStatus",
    "ListChannels",
    "ListDashboards",
    "ListEventDataStores",
    "ListImportFailures",
    "ListImports",
    "ListInsightsData",
    "ListInsightsMetricData",
    "ListPublicKeys",
    "ListQueries",
    "ListTags",
    "ListTrails",
    "LookupEvents",
    "PutEventConfiguration",
    "PutEventSelectors",
    "PutInsightSelectors",
    "PutResourcePolicy",
    "RegisterOrganizationDelegatedAdmin",
    "RemoveTags",
    "RestoreEventDataStore",
    "SearchSampleQueries",
    "StartDashboardRefresh",
    "StartEventDataStoreIngestion",
    "StartImport",
    "StartLogging",
    "StartQuery",
    "StopEventDataStoreIngestion",
    "StopImport",
    "StopLogging",
    "UpdateChannel",
    "UpdateDashboard",
    "UpdateEventDataStore",
    "UpdateTrail",
];
