//! The CloudTrail record (`../shared/spec/log-files.md` §3–§5) and the log-file wrapper, as
//! lossless typed structs: every documented member typed, everything else kept in order.

use std::fmt;

use crate::json::{self, Object, ParseError, Value};
use crate::typed::{Field, json_object};

json_object! {
    /// One audited event: the JSON object CloudTrail writes into log files.
    ///
    /// Members are declared in the order CloudTrail writes them, which is the order a record
    /// built from scratch is serialised in.
    pub struct Record (RecordKey) {
        "eventVersion" => event_version: String,
        "userIdentity" => user_identity: UserIdentity,
        "eventTime" => event_time: String,
        "eventSource" => event_source: String,
        "eventName" => event_name: String,
        "awsRegion" => aws_region: String,
        "sourceIPAddress" => source_ip_address: String,
        "userAgent" => user_agent: String,
        "errorCode" => error_code: String,
        "errorMessage" => error_message: String,
        /// `null` or an object.
        "requestParameters" => request_parameters: Option<Object>,
        /// `null` or an object.
        "responseElements" => response_elements: Option<Object>,
        "additionalEventData" => additional_event_data: Object,
        "requestID" => request_id: String,
        "eventID" => event_id: String,
        "readOnly" => read_only: bool,
        "resources" => resources: Vec<Resource>,
        "eventType" => event_type: String,
        "apiVersion" => api_version: String,
        "managementEvent" => management_event: bool,
        "recipientAccountId" => recipient_account_id: String,
        "sharedEventID" => shared_event_id: String,
        "vpcEndpointId" => vpc_endpoint_id: String,
        "vpcEndpointAccountId" => vpc_endpoint_account_id: String,
        "serviceEventDetails" => service_event_details: Object,
        "eventCategory" => event_category: String,
        "insightDetails" => insight_details: InsightDetails,
        "addendum" => addendum: Addendum,
        /// The string `"true"` (not a boolean) when credentials came from a console session.
        "sessionCredentialFromConsole" => session_credential_from_console: String,
        "edgeDeviceDetails" => edge_device_details: Object,
        "tlsDetails" => tls_details: TlsDetails,
        /// CloudTrail Lake enrichment; never written to trail log files.
        "eventContext" => event_context: Object,
    }
}

json_object! {
    /// Who made the call (log-files.md §4).
    pub struct UserIdentity (UserIdentityKey) {
        "type" => identity_type: String,
        "principalId" => principal_id: String,
        "arn" => arn: String,
        "accountId" => account_id: String,
        "accessKeyId" => access_key_id: String,
        "userName" => user_name: String,
        "sessionContext" => session_context: SessionContext,
        "invokedBy" => invoked_by: String,
        "onBehalfOf" => on_behalf_of: OnBehalfOf,
        "inScopeOf" => in_scope_of: InScopeOf,
        "credentialId" => credential_id: String,
        "identityProvider" => identity_provider: String,
    }
}

json_object! {
    /// Temporary-credential context of a `userIdentity`.
    pub struct SessionContext (SessionContextKey) {
        "sessionIssuer" => session_issuer: SessionIssuer,
        "webIdFederationData" => web_id_federation_data: WebIdFederationData,
        "attributes" => attributes: SessionAttributes,
        "sourceIdentity" => source_identity: String,
        "ec2RoleDelivery" => ec2_role_delivery: String,
        "assumedRoot" => assumed_root: String,
    }
}

json_object! {
    /// Who issued a session: the role, user or root that the credentials came from.
    pub struct SessionIssuer (SessionIssuerKey) {
        "type" => issuer_type: String,
        "principalId" => principal_id: String,
        "arn" => arn: String,
        "accountId" => account_id: String,
        "userName" => user_name: String,
    }
}

json_object! {
    /// Web identity federation details of a session.
    pub struct WebIdFederationData (WebIdFederationDataKey) {
        "federatedProvider" => federated_provider: String,
        "attributes" => attributes: Object,
    }
}

json_object! {
    /// Session attributes; both members are strings in CloudTrail (`"true"`, not `true`).
    pub struct SessionAttributes (SessionAttributesKey) {
        "creationDate" => creation_date: String,
        "mfaAuthenticated" => mfa_authenticated: String,
    }
}

json_object! {
    /// IAM Identity Center caller details.
    pub struct OnBehalfOf (OnBehalfOfKey) {
        "userId" => user_id: String,
        "identityStoreArn" => identity_store_arn: String,
    }
}

json_object! {
    /// Resource or environment the credentials were issued to.
    pub struct InScopeOf (InScopeOfKey) {
        "sourceArn" => source_arn: String,
        "sourceAccount" => source_account: String,
        "issuerType" => issuer_type: String,
        "credentialsIssuedTo" => credentials_issued_to: String,
    }
}

json_object! {
    /// One entry of `resources`; note the upper-case `ARN`.
    pub struct Resource (ResourceKey) {
        "ARN" => arn: String,
        "accountId" => account_id: String,
        "type" => resource_type: String,
    }
}

json_object! {
    /// Insights event details (log-files.md §5.3).
    pub struct InsightDetails (InsightDetailsKey) {
        "state" => state: String,
        "eventSource" => event_source: String,
        "eventName" => event_name: String,
        "insightType" => insight_type: String,
        "errorCode" => error_code: String,
        "insightContext" => insight_context: Object,
    }
}

json_object! {
    /// Why a record was delivered late or updated.
    pub struct Addendum (AddendumKey) {
        "reason" => reason: String,
        "updatedFields" => updated_fields: String,
        "originalRequestID" => original_request_id: String,
        "originalEventID" => original_event_id: String,
    }
}

json_object! {
    /// TLS details of the caller's connection.
    pub struct TlsDetails (TlsDetailsKey) {
        "tlsVersion" => tls_version: String,
        "cipherSuite" => cipher_suite: String,
        "clientProvidedHostHeader" => client_provided_host_header: String,
        "keyExchange" => key_exchange: String,
    }
}

json_object! {
    /// A log file body: `{"Records":[...]}`.
    pub struct LogFile (LogFileKey) {
        "Records" => records: Vec<Record>,
    }
}

/// Why bytes are not a record (or a log file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Json(#[from] ParseError),
    #[error("expected a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("`$.Records` is missing or not an array of objects")]
    NoRecords,
}

impl Record {
    /// Parses one record. Any JSON object is accepted (losslessly); use
    /// [`crate::validate::validate`] to check it against CloudTrail's rules.
    pub fn parse(bytes: &[u8]) -> Result<Record, Error> {
        match json::parse(bytes)? {
            Value::Object(object) => Ok(Record::from_object(object)),
            other => Err(Error::NotAnObject { found: other.type_name() }),
        }
    }

    /// Compact JSON bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write_json(&mut out);
        out
    }

    pub fn event_name(&self) -> Option<&str> {
        self.event_name.as_deref()
    }

    pub fn event_source(&self) -> Option<&str> {
        self.event_source.as_deref()
    }

    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    pub fn event_time(&self) -> Option<&str> {
        self.event_time.as_deref()
    }

    /// `eventType` as a known value, if it is one.
    pub fn event_type_known(&self) -> Option<EventType> {
        self.event_type.as_deref().and_then(EventType::parse)
    }

    /// `eventVersion`, parsed.
    pub fn version(&self) -> Option<EventVersion> {
        self.event_version.as_deref().and_then(EventVersion::parse)
    }

    /// `userIdentity.type` as a known value, if it is one.
    pub fn identity_type(&self) -> Option<IdentityType> {
        let identity = self.user_identity.get()?;
        identity.identity_type.as_deref().and_then(IdentityType::parse)
    }
}

impl LogFile {
    /// Parses a log file body; every record is kept losslessly.
    pub fn parse(bytes: &[u8]) -> Result<LogFile, Error> {
        let object = match json::parse(bytes)? {
            Value::Object(object) => object,
            other => return Err(Error::NotAnObject { found: other.type_name() }),
        };
        let log_file = LogFile::from_object(object);
        match log_file.records {
            Field::Present(_) => Ok(log_file),
            _ => Err(Error::NoRecords),
        }
    }

    pub fn records(&self) -> &[Record] {
        self.records.get().map(Vec::as_slice).unwrap_or_default()
    }
}

/// Generates a string-backed enum with its CloudTrail spellings: a variant's name, unless
/// `= "Text"` gives another.
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident $(= $text:literal)?, )* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant, )* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $( string_enum!(@text $variant $($text)?) => Some($name::$variant), )*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => string_enum!(@text $variant $($text)?), )*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    // A variant's text: the one given, else its name.
    (@text $variant:ident $text:literal) => { $text };
    (@text $variant:ident) => { stringify!($variant) };
}

string_enum! {
    /// `eventType` values.
    pub enum EventType {
        AwsApiCall,
        AwsServiceEvent,
        AwsConsoleAction,
        AwsConsoleSignIn,
        AwsVpceEvent,
        AwsCloudTrailInsight,
        /// CloudTrail Lake integration events (PutAuditEvents).
        ActivityLog,
    }
}

string_enum! {
    /// `eventCategory` values.
    pub enum EventCategory {
        Management,
        Data,
        NetworkActivity,
        Insight,
        /// Lake only: integration events.
        ActivityAuditLog,
        /// Lake only: AWS Config configuration items.
        ConfigurationItem,
    }
}

string_enum! {
    /// `userIdentity.type` values (log-files.md §4.2).
    pub enum IdentityType {
        Root,
        IamUser = "IAMUser",
        AssumedRole,
        Role,
        FederatedUser,
        Directory,
        AwsAccount = "AWSAccount",
        AwsService = "AWSService",
        IdentityCenterUser,
        SamlUser = "SAMLUser",
        WebIdentityUser,
        Unknown,
    }
}

/// `eventVersion`: `<major>.<minor>`, compared numerically (`1.09` < `1.10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventVersion {
    pub major: u16,
    pub minor: u16,
}

impl EventVersion {
    /// The version OpenTrail writes for records it creates.
    pub const CURRENT: EventVersion = EventVersion { major: 1, minor: 11 };

    /// Parses `1.0`, `1.05`, `1.11`; at most two minor digits.
    pub fn parse(text: &str) -> Option<EventVersion> {
        let (major, minor) = text.split_once('.')?;
        let digits = |s: &str, max_len: usize| {
            (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
        };
        Some(EventVersion { major: digits(major, 3)?, minor: digits(minor, 2)? })
    }
}

impl fmt::Display for EventVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor == 0 {
            write!(f, "{}.0", self.major)
        } else {
            write!(f, "{}.{:02}", self.major, self.minor)
        }
    }
}

#[cfg(test)]
mod tests;
