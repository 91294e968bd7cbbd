//! Which trails take an event: account (or organization), region (home region or all for a
//! multi-region trail, never across partitions), global service events, then the trail's
//! event selectors.
//!
//! Global service events (IAM, STS's global endpoint, CloudFront, Route 53, Organizations) are
//! recorded in us-east-1 (AWS, since 2021-11-22) and go only to trails that include global
//! service events. Insights events never route through event selectors, and CloudTrail Lake
//! integration events (PutAuditEvents) never reach trails.

use cloudtrail_model::regions::partition_of;
use cloudtrail_model::{EventCategory, Record, classify};
use trail_selectors::Selectors;

/// Services whose events are global, recorded in us-east-1.
pub const GLOBAL_EVENT_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "cloudfront.amazonaws.com",
    "route53.amazonaws.com",
    "organizations.amazonaws.com",
];

/// The region global service events are recorded in.
pub const GLOBAL_EVENTS_REGION: &str = "us-east-1";

/// The AWS Organization of organization trails: its id is part of their keys.
pub use settings::Organization;

/// What routing and delivery need to know about one logging trail.
#[derive(Clone, Debug)]
pub struct TrailRoute {
    pub trail_arn: String,
    pub name: String,
    pub account_id: String,
    pub home_region: String,
    pub is_multi_region_trail: bool,
    pub include_global_service_events: bool,
    pub is_organization_trail: bool,
    pub s3_bucket_name: String,
    pub s3_key_prefix: Option<String>,
    pub selectors: Selectors,
}

/// Whether an event is a global service event.
pub fn is_global_service_event(record: &Record) -> bool {
    let source = record.event_source().unwrap_or_default();
    GLOBAL_EVENT_SOURCES.contains(&source)
        && record.aws_region.as_deref() == Some(GLOBAL_EVENTS_REGION)
}

impl TrailRoute {
    /// Whether this (logging) trail records `record`.
    pub fn takes(&self, record: &Record, organization: Option<&Organization>) -> bool {
        match classify::category(record) {
            EventCategory::Insight
            | EventCategory::ActivityAuditLog
            | EventCategory::ConfigurationItem => {
                return false;
            }
            _ => {}
        }
        let Some(account) = record.recipient_account_id.as_deref() else { return false };
        let account_ok = account == self.account_id
            || (self.is_organization_trail
                && organization.is_some_and(|org| {
                    org.management_account == self.account_id && org.contains(account)
                }));
        if !account_ok {
            return false;
        }
        let Some(region) = record.aws_region.as_deref() else { return false };
        if !self.is_multi_region_trail && region != self.home_region {
            return false;
        }
        // A multi-region trail records the regions of its own partition: AWS never mixes
        // `aws`, `aws-cn` and `aws-us-gov` events in one trail.
        if partition_of(region) != partition_of(&self.home_region) {
            return false;
        }
        if is_global_service_event(record) && !self.include_global_service_events {
            return false;
        }
        self.selectors.matches(record)
    }
}
