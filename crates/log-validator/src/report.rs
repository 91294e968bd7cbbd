//! The validation report: one finding per digest and log file (and per object no digest
//! lists), chain gaps, and the two renderings — text in the AWS CLI's shape, and JSON.

use serde_json::{Value, json};

/// What was found about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Valid,
    /// Its bytes differ from what was signed (log file hash, or digest content).
    Modified,
    /// A digest names it, and it is not there.
    Deleted,
    /// It is elsewhere: a log file found at `to` by its hash, or a digest whose content says
    /// it belongs at another key.
    Moved {
        to: String,
    },
    /// The chain shows a digest belongs here, and it is not there (inferred from the interval).
    Missing,
    /// Not a gzip of the expected JSON.
    InvalidFormat(String),
    /// Signature metadata missing or not matching, or the key is unknown.
    BadSignature(String),
    /// The chain does not fit (the previous digest's signature or hash differs from what this
    /// one recorded, or the times do not join).
    ChainBroken(String),
    /// An object in the trail's log-file folders that no digest lists.
    NotInAnyDigest,
    /// An object in the digest folder that is not a digest of any trail.
    Unexpected,
    /// The trail delivered digests until `until`, and none after `after` (the newest one
    /// found, if any) is here: the newest digests were deleted, likely with their log files.
    Truncated {
        after: Option<String>,
        until: String,
    },
}

impl Status {
    pub fn is_valid(&self) -> bool {
        matches!(self, Status::Valid)
    }

    /// The machine name (`--output json`).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Modified => "modified",
            Status::Deleted => "deleted",
            Status::Moved { .. } => "moved",
            Status::Missing => "missing",
            Status::InvalidFormat(_) => "invalid-format",
            Status::BadSignature(_) => "bad-signature",
            Status::ChainBroken(_) => "chain-broken",
            Status::NotInAnyDigest => "not-in-any-digest",
            Status::Unexpected => "unexpected",
            Status::Truncated { .. } => "truncated",
        }
    }

    /// The human text after `INVALID: ` (AWS's wording where AWS has one).
    pub fn reason(&self, is_digest: bool) -> String {
        match self {
            Status::Valid => "valid".into(),
            Status::Modified if is_digest => {
                "signature verification failed (content changed)".into()
            }
            Status::Modified => "hash value doesn't match".into(),
            Status::Deleted => "not found".into(),
            Status::Moved { to } if is_digest => {
                format!("has been moved from its original location (found at {to})")
            }
            Status::Moved { to } => format!("not found; the same file is at {to}"),
            Status::Missing => "missing: the chain shows a digest here and none exists".into(),
            Status::InvalidFormat(why) => format!("invalid format ({why})"),
            Status::BadSignature(why) => format!("signature verification failed ({why})"),
            Status::ChainBroken(why) => format!("chain broken ({why})"),
            Status::NotInAnyDigest => "not listed in any digest".into(),
            Status::Unexpected => "not a digest of any trail".into(),
            Status::Truncated { after: Some(after), until } => format!(
                "missing: the trail delivered digests until {until}, and the newest here ends at {after}: every digest after {after} is gone"
            ),
            Status::Truncated { after: None, until } => format!(
                "missing: the trail delivered digests until {until}, and none of the range is here"
            ),
        }
    }
}

/// One object's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub bucket: String,
    pub key: String,
    pub status: Status,
}

/// A time the chain does not cover (logging or validation was off, or digests are gone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub from: String,
    pub to: String,
}

/// Everything a run found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub trail_arn: String,
    pub start: String,
    pub end: String,
    /// Digests, newest first.
    pub digests: Vec<Finding>,
    /// Log files, in the order of the digests that list them, then unlisted objects.
    pub log_files: Vec<Finding>,
    pub gaps: Vec<Gap>,
    /// Earliest start and latest end of the digests found, if any.
    pub found: Option<(String, String)>,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.digests.iter().chain(&self.log_files).all(|f| f.status.is_valid())
    }

    /// The AWS CLI's text: the banner, one line per object (valid ones only with `verbose`),
    /// gap notes, and the summary.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = format!(
            "Validating log files for trail {} between {} and {}\n\n",
            self.trail_arn, self.start, self.end
        );
        let mut line = |kind: &str, finding: &Finding, is_digest: bool| {
            if finding.status.is_valid() {
                if verbose {
                    out.push_str(&format!(
                        "{kind}\ts3://{}/{}\tvalid\n",
                        finding.bucket, finding.key
                    ));
                }
            } else {
                out.push_str(&format!(
                    "{kind}\ts3://{}/{}\tINVALID: {}\n",
                    finding.bucket,
                    finding.key,
                    finding.status.reason(is_digest)
                ));
            }
        };
        for finding in &self.digests {
            line("Digest file", finding, true);
        }
        for finding in &self.log_files {
            line("Log file", finding, false);
        }
        for gap in &self.gaps {
            out.push_str(&format!(
                "No log files were delivered by CloudTrail between {} and {}\n",
                gap.from, gap.to
            ));
        }
        out.push_str(&format!("\nResults requested for {} to {}\n", self.start, self.end));
        match &self.found {
            None if self.digests.is_empty() => out.push_str("No digests found\n"),
            None => out.push_str("No valid digests found in range\n"),
            Some((from, to)) => out.push_str(&format!("Results found for {from} to {to}:\n")),
        }
        out.push('\n');
        for (name, findings) in [("digest", &self.digests), ("log", &self.log_files)] {
            let total = findings.len();
            let valid = findings.iter().filter(|f| f.status.is_valid()).count();
            let mut text = format!("{valid}/{total} {name} files valid");
            if valid < total {
                text.push_str(&format!(", {}/{total} {name} files INVALID", total - valid));
            }
            out.push_str(&text);
            out.push('\n');
        }
        out
    }

    /// The JSON rendering (`--output json`).
    pub fn to_json(&self) -> Value {
        let findings = |findings: &[Finding], is_digest: bool| -> Vec<Value> {
            findings
                .iter()
                .map(|f| {
                    let mut entry = json!({
                        "s3Bucket": f.bucket,
                        "s3Object": f.key,
                        "status": f.status.name(),
                    });
                    if !f.status.is_valid() {
                        entry["reason"] = f.status.reason(is_digest).into();
                    }
                    if let Status::Moved { to } = &f.status {
                        entry["foundAt"] = to.clone().into();
                    }
                    entry
                })
                .collect()
        };
        let count = |findings: &[Finding]| {
            let valid = findings.iter().filter(|f| f.status.is_valid()).count();
            json!({ "valid": valid, "invalid": findings.len() - valid })
        };
        json!({
            "trailArn": self.trail_arn,
            "startTime": self.start,
            "endTime": self.end,
            "valid": self.is_valid(),
            "found": self.found.as_ref().map(|(from, to)| json!({ "from": from, "to": to })),
            "digestFiles": findings(&self.digests, true),
            "logFiles": findings(&self.log_files, false),
            "gaps": self.gaps.iter().map(|g| json!({ "from": g.from, "to": g.to })).collect::<Vec<_>>(),
            "summary": { "digestFiles": count(&self.digests), "logFiles": count(&self.log_files) },
        })
    }
}
