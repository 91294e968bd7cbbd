//! Amazon Resource Names: parsing, validation and formatting, plus the account-id and region
//! syntax rules they share with the rest of the record.

use std::fmt;
use std::str::FromStr;

use crate::limits;

/// Partitions an ARN may name.
pub const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// `arn:partition:service:region:account-id:resource`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    /// Empty for global resources (`arn:aws:iam::...`, `arn:aws:s3:::...`).
    pub region: String,
    /// Empty, twelve digits, or `aws` for AWS-owned resources (managed policies).
    pub account_id: String,
    /// Everything after the fifth colon, colons included.
    pub resource: String,
}

/// Why a text is not a valid ARN.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ARN `{text}`: {reason}")]
pub struct ArnError {
    pub text: String,
    pub reason: String,
}

impl Arn {
    pub fn parse(text: &str) -> Result<Arn, ArnError> {
        let parts = check(text)
            .map_err(|reason| ArnError { text: text.chars().take(128).collect(), reason })?;
        Ok(Arn {
            partition: parts[0].to_owned(),
            service: parts[1].to_owned(),
            region: parts[2].to_owned(),
            account_id: parts[3].to_owned(),
            resource: parts[4].to_owned(),
        })
    }

    /// Checks `text` without building an [`Arn`] (no allocation unless it is invalid).
    pub fn validate(text: &str) -> Result<(), ArnError> {
        check(text)
            .map(|_| ())
            .map_err(|reason| ArnError { text: text.chars().take(128).collect(), reason })
    }
}

/// The five parts after `arn:` of a valid ARN, or why it is not one.
fn check(text: &str) -> Result<[&str; 5], String> {
    if text.len() > limits::ARN_CHARS_MAX {
        return Err(format!("longer than {} characters", limits::ARN_CHARS_MAX));
    }
    let mut parts = text.splitn(6, ':');
    let (
        Some(prefix),
        Some(partition),
        Some(service),
        Some(region),
        Some(account_id),
        Some(resource),
    ) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected `arn:partition:service:region:account-id:resource`".into());
    };
    if prefix != "arn" {
        return Err("must start with `arn:`".into());
    }
    if !PARTITIONS.contains(&partition) {
        return Err(format!("unknown partition `{partition}`"));
    }
    let service_ok = !service.is_empty()
        && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !service_ok {
        return Err(format!("invalid service `{service}`"));
    }
    if !region.is_empty() && !is_region(region) {
        return Err(format!("invalid region `{region}`"));
    }
    if !account_id.is_empty() && account_id != "aws" && !is_account_id(account_id) {
        return Err(format!("invalid account id `{account_id}`: expected 12 digits"));
    }
    if resource.is_empty() {
        return Err("resource part is empty".into());
    }
    if resource.chars().any(char::is_control) {
        return Err("resource contains control characters".into());
    }
    Ok([partition, service, region, account_id, resource])
}

impl FromStr for Arn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Arn, ArnError> {
        Arn::parse(s)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account_id, self.resource
        )
    }
}

/// Twelve ASCII digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A region name such as `us-east-1`, `us-gov-west-1`, `us-isob-east-1` or `eusc-de-east-1`:
/// three or four lower-case groups joined by `-`, the last one a number.
pub fn is_region(text: &str) -> bool {
    if text.len() > 32 {
        return false;
    }
    let Some((words, number)) = text.rsplit_once('-') else { return false };
    let number_ok =
        !number.is_empty() && number.len() <= 2 && number.bytes().all(|b| b.is_ascii_digit());
    let mut n_words = 0;
    for (idx, word) in words.split('-').enumerate() {
        let word_ok = !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase());
        if !word_ok || (idx == 0 && !(2..=4).contains(&word.len())) {
            return false;
        }
        n_words += 1;
    }
    number_ok && (2..=3).contains(&n_words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        for text in [
            "arn:aws:iam::111122223333:user/Alice",
            "arn:aws:sts::210987654321:assumed-role/ci-deployer/ci-deploy-4471",
            "arn:aws:s3:::acme-invoices-prod/2026/11/INV-88213.pdf",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:kms:eu-central-1:210987654321:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a94",
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-1",
            "arn:aws:lambda:us-east-1:123456789012:function:my-fn:PROD",
        ] {
            assert_eq!(Arn::parse(text).unwrap().to_string(), text);
        }
        let arn = Arn::parse("arn:aws:lambda:us-east-1:123456789012:function:my-fn").unwrap();
        assert_eq!(arn.resource, "function:my-fn");
    }

    #[test]
    fn rejects_bad_arns() {
        for (text, reason) in [
            ("arn:aws:iam::1234:user/x", "invalid account id `1234`: expected 12 digits"),
            (
                "arn:aws:iam::123456789012",
                "expected `arn:partition:service:region:account-id:resource`",
            ),
            ("urn:aws:iam::123456789012:user/x", "must start with `arn:`"),
            ("arn:amazon:iam::123456789012:user/x", "unknown partition `amazon`"),
            ("arn:aws:IAM::123456789012:user/x", "invalid service `IAM`"),
            ("arn:aws:ec2:mars:123456789012:instance/i-1", "invalid region `mars`"),
            ("arn:aws:iam::123456789012:", "resource part is empty"),
        ] {
            assert_eq!(Arn::parse(text).unwrap_err().reason, reason, "{text}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "eusc-de-east-1",
            "ap-southeast-5",
            "il-central-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["", "us", "us-east", "US-EAST-1", "us-east-1a", "useast1", "a-b-1", "us--1"] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
