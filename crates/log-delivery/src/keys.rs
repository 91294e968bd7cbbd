//! S3 object keys of delivered files, in the layout of `cloudtrail_model::s3_keys`
//! (`../shared/spec/log-files.md` §2).
//!
//! The 16-character `<unique>` part is derived from the trail and the WAL range the file holds,
//! so a re-delivery of the same range after a crash writes the same key.

use cloudtrail_model::s3_keys::AccountFolder;
use sha2::{Digest, Sha256};

const UNIQUE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Where a log file of one account and region of a trail goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFileKey<'a> {
    /// Prefix, organization and the account whose activity the file holds.
    pub folder: AccountFolder<'a>,
    /// The region where the events happened.
    pub region: &'a str,
    /// Delivery time (Unix seconds); only its minute shows.
    pub delivered_at_unix: i64,
    /// The trail and the WAL range `[start, end)` of the file, for the unique suffix.
    pub trail_arn: &'a str,
    pub wal_start: u64,
    pub wal_end: u64,
}

impl LogFileKey<'_> {
    /// The full object key.
    pub fn to_key(&self) -> String {
        self.folder.log_file_key(self.region, self.delivered_at_unix, &self.unique())
    }

    /// 16 characters of `[A-Za-z0-9]` from the trail, account, region and WAL range.
    pub fn unique(&self) -> String {
        let digest = Sha256::new()
            .chain_update(self.trail_arn.as_bytes())
            .chain_update([0])
            .chain_update(self.folder.account_id.as_bytes())
            .chain_update([0])
            .chain_update(self.region.as_bytes())
            .chain_update(self.wal_start.to_le_bytes())
            .chain_update(self.wal_end.to_le_bytes())
            .finalize();
        digest
            .iter()
            .take(16)
            .map(|b| UNIQUE_ALPHABET[usize::from(*b) % UNIQUE_ALPHABET.len()] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LogFileKey<'static> {
        LogFileKey {
            folder: AccountFolder {
                s3_key_prefix: None,
                organization_id: None,
                account_id: "111122223333",
            },
            region: "us-east-2",
            delivered_at_unix: 1_795_183_500, // 2026-11-20T14:05:00Z
            trail_arn: "arn:aws:cloudtrail:us-east-2:111122223333:trail/main",
            wal_start: 0,
            wal_end: 4096,
        }
    }

    fn shape(key: &str) -> String {
        // Replace the unique suffix so the layout can be compared with the spec's examples.
        let (head, _) = key.rsplit_once('_').unwrap();
        format!("{head}_<unique>.json.gz")
    }

    #[test]
    fn layout_matches_the_spec_examples() {
        assert_eq!(
            shape(&key().to_key()),
            "AWSLogs/111122223333/CloudTrail/us-east-2/2026/11/20/111122223333_CloudTrail_us-east-2_20261120T1405Z_<unique>.json.gz"
        );
        let prefixed = AccountFolder { s3_key_prefix: Some("audit/prod"), ..key().folder };
        let with_prefix = LogFileKey { folder: prefixed, ..key() };
        assert_eq!(
            shape(&with_prefix.to_key()),
            "audit/prod/AWSLogs/111122223333/CloudTrail/us-east-2/2026/11/20/111122223333_CloudTrail_us-east-2_20261120T1405Z_<unique>.json.gz"
        );
        let in_org = AccountFolder { organization_id: Some("o-a1b2c3d4e5"), ..prefixed };
        let org = LogFileKey { folder: in_org, ..with_prefix.clone() };
        assert_eq!(
            shape(&org.to_key()),
            "audit/prod/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2026/11/20/111122223333_CloudTrail_us-east-2_20261120T1405Z_<unique>.json.gz"
        );
    }

    #[test]
    fn unique_part_is_stable_and_depends_on_the_range() {
        let unique = key().unique();
        assert_eq!(unique.len(), 16);
        assert!(unique.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(unique, key().unique());
        assert_ne!(unique, LogFileKey { wal_end: 4097, ..key() }.unique());
        assert_ne!(unique, LogFileKey { region: "eu-west-1", ..key() }.unique());
    }
}
