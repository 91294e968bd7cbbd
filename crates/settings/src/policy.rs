//! Identity-based policies: statements of `Allow`/`Deny` over action and resource patterns, the
//! three AWS managed policies OpenTrail knows by name, and the CloudTrail action names.
//!
//! A policy here is already validated: its patterns parsed, its name resolved. Conditions,
//! `NotAction`, `NotResource` and resource-based policies are not supported (see the crate docs).

use crate::limits;
use crate::pattern::{has_wildcard, wildcard_match};

/// Whether a statement grants or refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants the actions on the resources, unless some `Deny` also matches.
    Allow,
    /// Refuses the actions on the resources, whatever any `Allow` says.
    Deny,
}

/// Where a policy comes from; it decides nothing, but reports and logs name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// One of the AWS managed policies built into OpenTrail ([`BUILTIN_POLICY_NAMES`]).
    AwsManaged,
    /// A `[[policies]]` entry of the settings file.
    CustomerManaged,
    /// The `statements` written directly on a user or role.
    Inline,
}

/// A named list of statements attached to a user or role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `AdministratorAccess`, a `[[policies]]` name, or `inline`.
    pub name: String,
    /// Where the policy comes from.
    pub kind: PolicyKind,
    /// In file order; order does not affect decisions.
    pub statements: Vec<Statement>,
}

/// One `{ effect, actions, resources }` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Optional statement id, for people reading the file.
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// The statement applies when any of these matches the action.
    pub actions: Vec<ActionPattern>,
    /// ... and any of these matches the resource.
    pub resources: Vec<ResourcePattern>,
}

impl Statement {
    /// Whether this statement speaks about `action` on `resource`.
    pub fn applies_to(&self, action: &str, resource: &str) -> bool {
        self.actions.iter().any(|pattern| pattern.matches(action))
            && self.resources.iter().any(|pattern| pattern.matches(resource))
    }
}

/// An action pattern: `*`, or `service:Name` where `Name` may hold `*` and `?`.
/// Matching ignores ASCII case, as IAM does (`iam:ListAccessKeys` = `IAM:listaccesskeys`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPattern(String);

impl ActionPattern {
    /// Checks the shape of `text`. For the `cloudtrail` and `cloudtrail-data` services the
    /// pattern must also match at least one action in [`CLOUDTRAIL_ACTIONS`], so that a typo
    /// (`cloudtrail:StopLoging` in a `Deny`) fails loudly instead of silently denying nothing.
    /// The error completes a sentence that starts with the pattern's key path.
    pub fn parse(text: &str) -> Result<ActionPattern, String> {
        let n_chars = text.chars().count();
        if n_chars == 0 {
            return Err("must not be empty".to_owned());
        }
        if n_chars > limits::ACTION_PATTERN_CHARS_MAX {
            return Err(format!("must be at most {} characters", limits::ACTION_PATTERN_CHARS_MAX));
        }
        if text == "*" {
            return Ok(ActionPattern(text.to_owned()));
        }
        let shape =
            "must be `*` or `service:Action` (like `cloudtrail:StopLogging` or `cloudtrail:Get*`)";
        let Some((service, name)) = text.split_once(':') else {
            return Err(format!("= `{text}` {shape}"));
        };
        let service_ok =
            !service.is_empty() && service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let name_ok = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
        if !service_ok || !name_ok {
            return Err(format!("= `{text}` {shape}"));
        }
        let known: Vec<&str> = CLOUDTRAIL_ACTIONS
            .iter()
            .copied()
            .filter(|action| {
                action.split_once(':').is_some_and(|(s, _)| s.eq_ignore_ascii_case(service))
            })
            .collect();
        if !known.is_empty() && !known.iter().any(|action| wildcard_match(text, action, true)) {
            let what = if has_wildcard(text) { "matches" } else { "is" };
            return Err(format!(
                "= `{text}` {what} no action of `{}`; check the spelling against the CloudTrail API operation names",
                service.to_ascii_lowercase()
            ));
        }
        Ok(ActionPattern(text.to_owned()))
    }

    /// Whether `action` (`cloudtrail:StopLogging`) matches, ignoring ASCII case.
    pub fn matches(&self, action: &str) -> bool {
        wildcard_match(&self.0, action, true)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A resource pattern: `*`, or an ARN that may hold `*` and `?`. Matching is case-sensitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePattern(String);

impl ResourcePattern {
    /// Checks the shape of `text`: `*`, or `arn:partition:service:region:account:resource`
    /// with a non-empty partition, service and resource, and an account that is empty, twelve
    /// digits, or a wildcard pattern over digits. The error completes a sentence that starts
    /// with the pattern's key path.
    pub fn parse(text: &str) -> Result<ResourcePattern, String> {
        let n_chars = text.chars().count();
        if n_chars == 0 {
            return Err("must not be empty".to_owned());
        }
        if n_chars > limits::RESOURCE_PATTERN_CHARS_MAX {
            return Err(format!(
                "must be at most {} characters",
                limits::RESOURCE_PATTERN_CHARS_MAX
            ));
        }
        if text == "*" {
            return Ok(ResourcePattern(text.to_owned()));
        }
        let shape = "must be `*` or an ARN (like `arn:aws:cloudtrail:*:111122223333:trail/prod-*`)";
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "= `{}` {shape}; it contains a space or control character",
                text.escape_debug()
            ));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, _region, account, resource] = parts[..] else {
            return Err(format!("= `{text}` {shape}"));
        };
        let account_ok = account.is_empty()
            || (account.len() == limits::ACCOUNT_ID_DIGITS
                && account.bytes().all(|b| b.is_ascii_digit()))
            || (has_wildcard(account)
                && account.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '?'));
        if arn != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(format!("= `{text}` {shape}"));
        }
        if !account_ok {
            return Err(format!(
                "= `{text}` has account `{account}`; it must be empty, twelve digits, or a wildcard pattern over digits"
            ));
        }
        Ok(ResourcePattern(text.to_owned()))
    }

    /// Whether `resource` (an ARN, or `*` for calls that name no resource) matches.
    pub fn matches(&self, resource: &str) -> bool {
        wildcard_match(&self.0, resource, false)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `AdministratorAccess`: every action on every resource.
pub const ADMINISTRATOR_ACCESS: &str = "AdministratorAccess";
/// `AWSCloudTrail_FullAccess`: `cloudtrail:*` on every resource.
pub const CLOUDTRAIL_FULL_ACCESS: &str = "AWSCloudTrail_FullAccess";
/// `AWSCloudTrail_ReadOnlyAccess`: `cloudtrail:Get*`, `Describe*`, `List*` and `LookupEvents`.
pub const CLOUDTRAIL_READ_ONLY_ACCESS: &str = "AWSCloudTrail_ReadOnlyAccess";
/// The AWS managed policies a user or role may name in `policies`.
pub const BUILTIN_POLICY_NAMES: &[&str] =
    &[ADMINISTRATOR_ACCESS, CLOUDTRAIL_FULL_ACCESS, CLOUDTRAIL_READ_ONLY_ACCESS];

impl Policy {
    /// The AWS managed policy called `name` (exact case), if OpenTrail knows it.
    ///
    /// The documents are AWS's (AWS Managed Policy reference, checked for this crate):
    /// `AWSCloudTrail_ReadOnlyAccess` v1 is exactly the four read patterns on `*`.
    /// `AWSCloudTrail_FullAccess` v3 also grants SNS, S3, IAM, KMS, Lambda and CloudWatch Logs
    /// permissions for setting trails up; OpenTrail authorizes only CloudTrail, so only its
    /// `cloudtrail:*` statement is kept. Note that `cloudtrail:*` does not cover
    /// `cloudtrail-data:PutAuditEvents` (another service prefix), in AWS as here.
    pub fn builtin(name: &str) -> Option<Policy> {
        let statement = |actions: &[&str]| Statement {
            sid: None,
            effect: Effect::Allow,
            actions: actions.iter().map(|a| ActionPattern((*a).to_owned())).collect(),
            resources: vec![ResourcePattern("*".to_owned())],
        };
        let statements = match name {
            ADMINISTRATOR_ACCESS => vec![statement(&["*"])],
            CLOUDTRAIL_FULL_ACCESS => vec![statement(&["cloudtrail:*"])],
            CLOUDTRAIL_READ_ONLY_ACCESS => vec![statement(&[
                "cloudtrail:Get*",
                "cloudtrail:Describe*",
                "cloudtrail:List*",
                "cloudtrail:LookupEvents",
            ])],
            _ => return None,
        };
        Some(Policy { name: name.to_owned(), kind: PolicyKind::AwsManaged, statements })
    }
}

/// Every action OpenTrail authorizes: the CloudTrail API operations (IAM action = operation
/// name), CloudTrail Data's `PutAuditEvents`, and OpenTrail's own `opentrail:PutEvents`
/// (native ingest, on the recipient account's `arn:aws:opentrail:<region>:<account>:events`).
pub const CLOUDTRAIL_ACTIONS: &[&str] = &[
    "cloudtrail-data:PutAuditEvents",
    "cloudtrail:AddTags",
    "cloudtrail:CancelQuery",
    "cloudtrail:CreateChannel",
    "cloudtrail:CreateDashboard",
    "cloudtrail:CreateEventDataStore",
    "cloudtrail:CreateTrail",
    "cloudtrail:DeleteChannel",
    "cloudtrail:DeleteDashboard",
    "cloudtrail:DeleteEventDataStore",
    "cloudtrail:DeleteResourcePolicy",
    "cloudtrail:DeleteTrail",
    "cloudtrail:DeregisterOrganizationDelegatedAdmin",
    "cloudtrail:DescribeQuery",
    "cloudtrail:DescribeTrails",
    "cloudtrail:DisableFederation",
    "cloudtrail:EnableFederation",
    "cloudtrail:GenerateQuery",
    "cloudtrail:GetChannel",
    "cloudtrail:GetDashboard",
    "cloudtrail:GetEventConfiguration",
    "cloudtrail:GetEventDataStore",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetImport",
    "cloudtrail:GetInsightSelectors",
    "cloudtrail:GetQueryResults",
    "cloudtrail:GetResourcePolicy",
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListChannels",
    "cloudtrail:ListDashboards",
    "cloudtrail:ListEventDataStores",
    "cloudtrail:ListImportFailures",
    "cloudtrail:ListImports",
    "cloudtrail:ListInsightsData",
    "cloudtrail:ListInsightsMetricData",
    "cloudtrail:ListPublicKeys",
    "cloudtrail:ListQueries",
    "cloudtrail:ListTags",
    "cloudtrail:ListTrails",
    "cloudtrail:LookupEvents",
    "cloudtrail:PutEventConfiguration",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:PutResourcePolicy",
    "cloudtrail:RegisterOrganizationDelegatedAdmin",
    "cloudtrail:RemoveTags",
    "cloudtrail:RestoreEventDataStore",
    "cloudtrail:SearchSampleQueries",
    "cloudtrail:StartDashboardRefresh",
    "cloudtrail:StartEventDataStoreIngestion",
    "cloudtrail:StartImport",
    "cloudtrail:StartLogging",
    "cloudtrail:StartQuery",
    "cloudtrail:StopEventDataStoreIngestion",
    "cloudtrail:StopImport",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateChannel",
    "cloudtrail:UpdateDashboard",
    "cloudtrail:UpdateEventDataStore",
    "cloudtrail:UpdateTrail",
    "opentrail:PutEvents",
];

#[cfg(test)]
mod tests;
