//! Validation of records for ingest: every problem is reported with the JSON path of the
//! offending member and the rule it breaks.
//!
//! Parsing is lossless and accepts any JSON object; validation decides whether OpenTrail will
//! store it. The rules follow `../shared/spec/log-files.md` §3–§4: required members, JSON
//! types, `eventTime` format, account-id, ARN and region syntax, CloudTrail's size caps.

use std::fmt;

use crate::arn::{self, Arn};
use crate::ids;
use crate::json::{self, Object, Value, format_path};
use crate::limits;
use crate::record::{
    EventCategory, EventType, EventVersion, Record, Resource, SessionContext, SessionIssuer,
    UserIdentity,
};
use crate::time::EventTime;
use crate::typed::Field;

/// Which rule a record breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The bytes are not JSON (or not UTF-8).
    InvalidJson,
    /// The document is not a JSON object.
    NotAnObject,
    /// A required member is missing.
    Required,
    /// A member has the wrong JSON type.
    WrongType,
    /// A member name occurs twice in one object.
    DuplicateMember,
    /// A member's text does not have the required syntax.
    InvalidFormat,
    /// A member's value is not one of the allowed values.
    InvalidValue,
    /// The record or a member is larger than CloudTrail allows.
    TooLarge,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::InvalidJson => "invalid-json",
            Rule::NotAnObject => "not-an-object",
            Rule::Required => "required",
            Rule::WrongType => "wrong-type",
            Rule::DuplicateMember => "duplicate-member",
            Rule::InvalidFormat => "invalid-format",
            Rule::InvalidValue => "invalid-value",
            Rule::TooLarge => "too-large",
        }
    }
}

/// One broken rule: where, which rule, and a sentence saying what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON path such as `$.userIdentity.arn` or `$.resources[0].ARN`.
    pub path: String,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {} ({})", self.path, self.message, self.rule.as_str())
    }
}

impl std::error::Error for ValidationError {}

/// All problems found in one record (at most [`limits::VALIDATION_ERRORS_MAX`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub Vec<ValidationError>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, err) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// Parses and validates one record given as bytes: size first, then JSON, then the rules.
pub fn parse_and_validate(bytes: &[u8]) -> Result<Record, Invalid> {
    if bytes.len() > limits::RECORD_BYTES_MAX {
        return Err(Invalid(vec![ValidationError {
            path: "$".into(),
            rule: Rule::TooLarge,
            message: format!(
                "record is {} bytes, larger than the {} byte limit",
                bytes.len(),
                limits::RECORD_BYTES_MAX
            ),
        }]));
    }
    let value = json::parse(bytes).map_err(|err| {
        Invalid(vec![ValidationError {
            path: format_path(&err.path),
            rule: Rule::InvalidJson,
            message: format!("{} at byte {}", err.kind, err.offset),
        }])
    })?;
    let Value::Object(object) = value else {
        return Err(Invalid(vec![ValidationError {
            path: "$".into(),
            rule: Rule::NotAnObject,
            message: format!("a record must be a JSON object, found {}", value.type_name()),
        }]));
    };
    let record = Record::from_object(object);
    validate(&record)?;
    Ok(record)
}

/// Checks a parsed record against CloudTrail's rules.
pub fn validate(record: &Record) -> Result<(), Invalid> {
    validate_encoded(record, encoded_len(record))
}

/// [`validate`] for a caller that has already serialised the record: `encoded_len` is the
/// length of `record.to_json_bytes()` (saves serialising it a second time).
pub fn validate_encoded(record: &Record, encoded_len: usize) -> Result<(), Invalid> {
    let mut v = Validator { errors: Vec::new() };
    v.record(record, encoded_len);
    if v.errors.is_empty() { Ok(()) } else { Err(Invalid(v.errors)) }
}

struct Validator {
    errors: Vec<ValidationError>,
}

impl Validator {
    fn push(&mut self, path: impl Into<String>, rule: Rule, message: impl Into<String>) {
        if self.errors.len() < limits::VALIDATION_ERRORS_MAX {
            self.errors.push(ValidationError { path: path.into(), rule, message: message.into() });
        }
    }

    fn record(&mut self, r: &Record, encoded_len: usize) {
        if encoded_len > limits::RECORD_BYTES_MAX {
            self.push(
                "$",
                Rule::TooLarge,
                format!(
                    "record is {encoded_len} bytes, larger than the {} byte limit",
                    limits::RECORD_BYTES_MAX
                ),
            );
        }
        self.duplicates("$", r.extra(), Record::FIELD_NAMES);

        let insight = r.event_type.as_deref() == Some(EventType::AwsCloudTrailInsight.as_str())
            || r.insight_details.is_present();
        let version = self.string(&r.event_version, "$.eventVersion", true);
        let version = version.and_then(|text| match EventVersion::parse(text) {
            Some(v) if v.major == 1 => Some(v),
            _ => {
                self.push(
                    "$.eventVersion",
                    Rule::InvalidFormat,
                    format!("`{}` is not a CloudTrail event version like `1.11`", clip(text)),
                );
                None
            }
        });
        if let Some(text) = self.string(&r.event_time, "$.eventTime", true)
            && let Err(err) = EventTime::parse(text)
        {
            self.push("$.eventTime", Rule::InvalidFormat, err.to_string());
        }
        if let Some(region) = self.string(&r.aws_region, "$.awsRegion", true)
            && !arn::is_region(region)
        {
            self.push(
                "$.awsRegion",
                Rule::InvalidFormat,
                format!("`{}` is not a region name like `us-east-1`", clip(region)),
            );
        }
        // `eventID` exists since eventVersion 1.01.
        let needs_event_id = version.is_none_or(|v| v >= EventVersion { major: 1, minor: 1 });
        if let Some(id) = self.string(&r.event_id, "$.eventID", needs_event_id)
            && !ids::is_valid_event_id(id)
        {
            self.push(
                "$.eventID",
                Rule::InvalidFormat,
                format!(
                    "`{}` must be 1 to {} characters of `[-_A-Za-z0-9]`",
                    clip(id),
                    limits::EVENT_ID_CHARS_MAX
                ),
            );
        }
        let needs_event_type = version.is_none_or(|v| v >= EventVersion { major: 1, minor: 2 });
        if let Some(event_type) = self.string(&r.event_type, "$.eventType", needs_event_type)
            && EventType::parse(event_type).is_none()
        {
            self.push(
                "$.eventType",
                Rule::InvalidValue,
                one_of(event_type, EventType::ALL.iter().map(|t| t.as_str())),
            );
        }
        if let Some(category) = self.string(&r.event_category, "$.eventCategory", false)
            && EventCategory::parse(category).is_none()
        {
            self.push(
                "$.eventCategory",
                Rule::InvalidValue,
                one_of(category, EventCategory::ALL.iter().map(|c| c.as_str())),
            );
        }
        if let Some(account) = self.string(&r.recipient_account_id, "$.recipientAccountId", false) {
            self.account_id("$.recipientAccountId", account);
        }

        if insight {
            if r.insight_details.is_absent() {
                self.push(
                    "$.insightDetails",
                    Rule::Required,
                    "Insights records must have `insightDetails`",
                );
            }
        } else {
            self.string(&r.event_source, "$.eventSource", true);
            self.string(&r.event_name, "$.eventName", true);
            self.string(&r.source_ip_address, "$.sourceIPAddress", true);
            match &r.user_identity {
                Field::Absent => {
                    self.push("$.userIdentity", Rule::Required, "required member is missing")
                }
                Field::Present(identity) => self.user_identity(identity),
                Field::Mistyped(raw) => self.wrong_type("$.userIdentity", "object", raw),
            }
        }
        if let Field::Present(details) = &r.insight_details {
            self.duplicates(
                "$.insightDetails",
                details.extra(),
                crate::record::InsightDetails::FIELD_NAMES,
            );
        }

        for (field, path) in [
            (&r.user_agent, "$.userAgent"),
            (&r.error_code, "$.errorCode"),
            (&r.error_message, "$.errorMessage"),
            (&r.request_id, "$.requestID"),
        ] {
            if let Some(text) = self.string(field, path, false)
                && text.len() > limits::SHORT_TEXT_BYTES_MAX
            {
                self.push(
                    path,
                    Rule::TooLarge,
                    format!(
                        "{} bytes, larger than the {} byte limit",
                        text.len(),
                        limits::SHORT_TEXT_BYTES_MAX
                    ),
                );
            }
        }
        for (field, path) in [
            (&r.api_version, "$.apiVersion"),
            (&r.shared_event_id, "$.sharedEventID"),
            (&r.vpc_endpoint_id, "$.vpcEndpointId"),
            (&r.vpc_endpoint_account_id, "$.vpcEndpointAccountId"),
        ] {
            self.string(field, path, false);
        }
        if let Some(text) =
            self.string(&r.session_credential_from_console, "$.sessionCredentialFromConsole", false)
            && text != "true"
        {
            self.push(
                "$.sessionCredentialFromConsole",
                Rule::InvalidValue,
                format!("must be the string `true`, found `{}`", clip(text)),
            );
        }
        self.boolean(&r.read_only, "$.readOnly");
        self.boolean(&r.management_event, "$.managementEvent");

        self.nullable_object(
            &r.request_parameters,
            "$.requestParameters",
            limits::PAYLOAD_OBJECT_BYTES_MAX,
        );
        self.nullable_object(
            &r.response_elements,
            "$.responseElements",
            limits::PAYLOAD_OBJECT_BYTES_MAX,
        );
        self.object(
            &r.service_event_details,
            "$.serviceEventDetails",
            limits::PAYLOAD_OBJECT_BYTES_MAX,
        );
        self.object(
            &r.additional_event_data,
            "$.additionalEventData",
            limits::ADDITIONAL_DATA_BYTES_MAX,
        );
        self.object(
            &r.edge_device_details,
            "$.edgeDeviceDetails",
            limits::ADDITIONAL_DATA_BYTES_MAX,
        );
        self.object(&r.event_context, "$.eventContext", limits::RECORD_BYTES_MAX);
        self.typed_object(&r.insight_details, "$.insightDetails");
        self.typed_object(&r.addendum, "$.addendum");
        self.typed_object(&r.tls_details, "$.tlsDetails");

        match &r.resources {
            Field::Absent => {}
            Field::Mistyped(raw) => self.wrong_type("$.resources", "array of objects", raw),
            Field::Present(resources) => {
                for (idx, resource) in resources.iter().enumerate() {
                    self.resource(idx, resource);
                }
            }
        }
    }

    fn user_identity(&mut self, identity: &UserIdentity) {
        self.duplicates("$.userIdentity", identity.extra(), UserIdentity::FIELD_NAMES);
        for (field, path) in [
            (&identity.identity_type, "$.userIdentity.type"),
            (&identity.principal_id, "$.userIdentity.principalId"),
            (&identity.access_key_id, "$.userIdentity.accessKeyId"),
            (&identity.user_name, "$.userIdentity.userName"),
            (&identity.invoked_by, "$.userIdentity.invokedBy"),
            (&identity.credential_id, "$.userIdentity.credentialId"),
            (&identity.identity_provider, "$.userIdentity.identityProvider"),
        ] {
            self.string(field, path, false);
        }
        if let Some(text) = self.string(&identity.arn, "$.userIdentity.arn", false) {
            self.arn("$.userIdentity.arn", text);
        }
        if let Some(account) = self.string(&identity.account_id, "$.userIdentity.accountId", false)
        {
            self.account_id("$.userIdentity.accountId", account);
        }
        match &identity.session_context {
            Field::Absent => {}
            Field::Mistyped(raw) => self.wrong_type("$.userIdentity.sessionContext", "object", raw),
            Field::Present(context) => self.session_context(context),
        }
        self.typed_object(&identity.on_behalf_of, "$.userIdentity.onBehalfOf");
        self.typed_object(&identity.in_scope_of, "$.userIdentity.inScopeOf");
    }

    fn session_context(&mut self, context: &SessionContext) {
        let base = "$.userIdentity.sessionContext";
        self.duplicates(base, context.extra(), SessionContext::FIELD_NAMES);
        match &context.session_issuer {
            Field::Absent => {}
            Field::Mistyped(raw) => {
                self.wrong_type(&format!("{base}.sessionIssuer"), "object", raw)
            }
            Field::Present(issuer) => self.session_issuer(issuer),
        }
        self.typed_object(&context.web_id_federation_data, &format!("{base}.webIdFederationData"));
        match &context.attributes {
            Field::Absent => {}
            Field::Mistyped(raw) => self.wrong_type(&format!("{base}.attributes"), "object", raw),
            Field::Present(attributes) => {
                let path = format!("{base}.attributes.mfaAuthenticated");
                if let Some(text) = self.string(&attributes.mfa_authenticated, &path, false)
                    && text != "true"
                    && text != "false"
                {
                    self.push(
                        path,
                        Rule::InvalidValue,
                        format!("must be the string `true` or `false`, found `{}`", clip(text)),
                    );
                }
                let path = format!("{base}.attributes.creationDate");
                if let Some(text) = self.string(&attributes.creation_date, &path, false)
                    && EventTime::parse(text).is_err()
                {
                    self.push(
                        path,
                        Rule::InvalidFormat,
                        format!(
                            "`{}` is not a UTC timestamp like `2026-11-19T07:42:18Z`",
                            clip(text)
                        ),
                    );
                }
            }
        }
        for (field, name) in [
            (&context.source_identity, "sourceIdentity"),
            (&context.ec2_role_delivery, "ec2RoleDelivery"),
            (&context.assumed_root, "assumedRoot"),
        ] {
            self.string(field, &format!("{base}.{name}"), false);
        }
    }

    fn session_issuer(&mut self, issuer: &SessionIssuer) {
        const BASE: &str = "$.userIdentity.sessionContext.sessionIssuer";
        self.duplicates(BASE, issuer.extra(), SessionIssuer::FIELD_NAMES);
        // Real records carry `"sessionIssuer": {}` for some sessions: every member is optional.
        self.string(&issuer.issuer_type, "$.userIdentity.sessionContext.sessionIssuer.type", false);
        self.string(
            &issuer.principal_id,
            "$.userIdentity.sessionContext.sessionIssuer.principalId",
            false,
        );
        self.string(
            &issuer.user_name,
            "$.userIdentity.sessionContext.sessionIssuer.userName",
            false,
        );
        const ARN: &str = "$.userIdentity.sessionContext.sessionIssuer.arn";
        if let Some(text) = self.string(&issuer.arn, ARN, false) {
            self.arn(ARN, text);
        }
        const ACCOUNT: &str = "$.userIdentity.sessionContext.sessionIssuer.accountId";
        if let Some(account) = self.string(&issuer.account_id, ACCOUNT, false) {
            self.account_id(ACCOUNT, account);
        }
    }

    fn resource(&mut self, idx: usize, resource: &Resource) {
        let base = || format!("$.resources[{idx}]");
        if !resource.extra().is_empty() {
            self.duplicates(&base(), resource.extra(), Resource::FIELD_NAMES);
        }
        match &resource.arn {
            Field::Present(text) => {
                if let Err(err) = Arn::validate(text) {
                    self.push(format!("{}.ARN", base()), Rule::InvalidFormat, err.to_string());
                }
            }
            Field::Mistyped(raw) => self.wrong_type(&format!("{}.ARN", base()), "string", raw),
            Field::Absent => {}
        }
        match &resource.account_id {
            Field::Present(account) => {
                if !arn::is_account_id(account) {
                    self.account_id(&format!("{}.accountId", base()), account);
                }
            }
            Field::Mistyped(raw) => {
                self.wrong_type(&format!("{}.accountId", base()), "string", raw)
            }
            Field::Absent => {}
        }
        if let Field::Mistyped(raw) = &resource.resource_type {
            self.wrong_type(&format!("{}.type", base()), "string", raw);
        }
    }

    fn arn(&mut self, path: &str, text: &str) {
        if let Err(err) = Arn::validate(text) {
            self.push(path, Rule::InvalidFormat, err.to_string());
        }
    }

    fn account_id(&mut self, path: &str, text: &str) {
        if !arn::is_account_id(text) {
            self.push(
                path,
                Rule::InvalidFormat,
                format!("`{}` is not an account id: expected 12 digits", clip(text)),
            );
        }
    }

    /// Checks a string member; returns its text when present and well typed.
    fn string<'r>(
        &mut self,
        field: &'r Field<String>,
        path: &str,
        required: bool,
    ) -> Option<&'r str> {
        match field {
            Field::Absent => {
                if required {
                    self.push(path, Rule::Required, "required member is missing");
                }
                None
            }
            Field::Present(text) => Some(text),
            Field::Mistyped(raw) => {
                self.wrong_type(path, "string", raw);
                None
            }
        }
    }

    fn boolean(&mut self, field: &Field<bool>, path: &str) {
        if let Field::Mistyped(raw) = field {
            self.wrong_type(path, "boolean", raw);
        }
    }

    fn nullable_object(&mut self, field: &Field<Option<Object>>, path: &str, bytes_max: usize) {
        match field {
            Field::Mistyped(raw) => self.wrong_type(path, "object or null", raw),
            Field::Present(Some(object)) => self.object_size(path, object, bytes_max),
            _ => {}
        }
    }

    fn object(&mut self, field: &Field<Object>, path: &str, bytes_max: usize) {
        match field {
            Field::Mistyped(raw) => self.wrong_type(path, "object", raw),
            Field::Present(object) => self.object_size(path, object, bytes_max),
            Field::Absent => {}
        }
    }

    fn typed_object<T>(&mut self, field: &Field<T>, path: &str) {
        if let Field::Mistyped(raw) = field {
            self.wrong_type(path, "object", raw);
        }
    }

    fn object_size(&mut self, path: &str, object: &Object, bytes_max: usize) {
        let len = object.encoded_len();
        if len > bytes_max {
            self.push(
                path,
                Rule::TooLarge,
                format!("{len} bytes, larger than the {bytes_max} byte limit"),
            );
        }
    }

    fn wrong_type(&mut self, path: &str, expected: &str, raw: &Value) {
        self.push(path, Rule::WrongType, format!("expected {expected}, found {}", raw.type_name()));
    }

    fn duplicates(&mut self, base: &str, extra: &[(String, Value)], documented: &[&str]) {
        for (idx, (name, _)) in extra.iter().enumerate() {
            let repeated = documented.contains(&name.as_str())
                || extra[..idx].iter().any(|(earlier, _)| earlier == name);
            if repeated {
                let path = format_path(&[json::PathSegment::Member(name.clone())]);
                let path = format!("{base}{}", &path[1..]);
                self.push(
                    path,
                    Rule::DuplicateMember,
                    format!("member `{}` occurs more than once", clip(name)),
                );
            }
        }
    }
}

fn encoded_len(record: &Record) -> usize {
    let mut out = Vec::with_capacity(2048);
    record.write_json(&mut out);
    out.len()
}

fn one_of<'a>(found: &str, allowed: impl Iterator<Item = &'a str>) -> String {
    let allowed: Vec<String> = allowed.map(|a| format!("`{a}`")).collect();
    format!("`{}` is not one of {}", clip(found), allowed.join(", "))
}

/// Shortens user text quoted in messages.
fn clip(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 64;
    if text.chars().count() <= SHOWN_CHARS_MAX {
        text.to_owned()
    } else {
        text.chars().take(SHOWN_CHARS_MAX).collect::<String>() + "…"
    }
}
