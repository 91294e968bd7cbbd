//! The S3 key layout of CloudTrail's delivered files (`../shared/spec/log-files.md` §2,
//! `../shared/spec/integrity.md`), in one place for delivery, digests, validation and the
//! bucket check:
//!
//! ```text
//! [<prefix>/]AWSLogs/[<org-id>/]<acct>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/<acct>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz
//! [<prefix>/]AWSLogs/[<org-id>/]<acct>/CloudTrail-Digest/<region>/<YYYY>/<MM>/<DD>/<acct>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDD>T<HHmmss>Z.json.gz
//! ```
//!
//! An empty prefix is no prefix. It is not the choice of the `<unique>` part (delivery derives
//! it from the WAL range so a re-delivery writes the same key).

/// `[<prefix>/]AWSLogs/`: where the folders of every account (and of organizations, under
/// `o-…/`) begin.
pub fn awslogs_root(s3_key_prefix: Option<&str>) -> String {
    let mut key = String::with_capacity(160);
    if let Some(prefix) = s3_key_prefix.filter(|p| !p.is_empty()) {
        key.push_str(prefix);
        key.push('/');
    }
    key.push_str("AWSLogs/");
    key
}

/// The folder of one account's files in a trail's bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountFolder<'a> {
    pub s3_key_prefix: Option<&'a str>,
    /// The organization id, for organization trails only.
    pub organization_id: Option<&'a str>,
    /// The account whose activity the files hold.
    pub account_id: &'a str,
}

impl AccountFolder<'_> {
    /// `[<prefix>/]AWSLogs/[<org-id>/]<acct>` (no trailing slash).
    pub fn path(&self) -> String {
        let mut key = awslogs_root(self.s3_key_prefix);
        if let Some(org) = self.organization_id {
            key.push_str(org);
            key.push('/');
        }
        key.push_str(self.account_id);
        key
    }

    /// `…/<acct>/CloudTrail-Digest/<region>` (no trailing slash).
    pub fn digest_folder(&self, region: &str) -> String {
        format!("{}/CloudTrail-Digest/{region}", self.path())
    }

    /// A log file's key: events of `region`, delivered at `delivered_at_unix` (only its minute
    /// shows), told apart by `unique`.
    pub fn log_file_key(&self, region: &str, delivered_at_unix: i64, unique: &str) -> String {
        let time = Stamp::of(delivered_at_unix);
        let (account, (year, month, day)) = (self.account_id, time.date());
        let (hour, minute) = (time.part(11..13), time.part(14..16));
        format!(
            "{}/CloudTrail/{region}/{year}/{month}/{day}/{account}_CloudTrail_{region}_{year}{month}{day}T{hour}{minute}Z_{unique}.json.gz",
            self.path()
        )
    }

    /// A digest's key: the digest of `region` for trail `trail_name` (home region
    /// `home_region`) whose `digestEndTime` is `end_unix`.
    pub fn digest_key(
        &self,
        region: &str,
        trail_name: &str,
        home_region: &str,
        end_unix: i64,
    ) -> String {
        let time = Stamp::of(end_unix);
        let (account, (year, month, day)) = (self.account_id, time.date());
        let (hour, minute, second) = (time.part(11..13), time.part(14..16), time.part(17..19));
        format!(
            "{}/{year}/{month}/{day}/{account}_CloudTrail-Digest_{region}_{trail_name}_{home_region}_{year}{month}{day}T{hour}{minute}{second}Z.json.gz",
            self.digest_folder(region)
        )
    }
}

/// A time as `YYYY-MM-DDTHH:MM:SSZ`, cut into the parts keys name.
struct Stamp(String);

impl Stamp {
    fn of(unix_seconds: i64) -> Stamp {
        Stamp(crate::time::format_unix_seconds(unix_seconds))
    }

    fn part(&self, range: std::ops::Range<usize>) -> &str {
        &self.0[range]
    }

    fn date(&self) -> (&str, &str, &str) {
        (self.part(0..4), self.part(5..7), self.part(8..10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: AccountFolder<'static> =
        AccountFolder { s3_key_prefix: None, organization_id: None, account_id: "111122223333" };

    #[test]
    fn folders_with_and_without_prefix_and_organization() {
        assert_eq!(awslogs_root(None), "AWSLogs/");
        assert_eq!(awslogs_root(Some("")), "AWSLogs/");
        assert_eq!(awslogs_root(Some("audit/prod")), "audit/prod/AWSLogs/");
        assert_eq!(ACCOUNT.path(), "AWSLogs/111122223333");
        let org = AccountFolder {
            s3_key_prefix: Some("audit"),
            organization_id: Some("o-a1b2c3d4e5"),
            ..ACCOUNT
        };
        assert_eq!(org.path(), "audit/AWSLogs/o-a1b2c3d4e5/111122223333");
        assert_eq!(
            org.digest_folder("us-east-2"),
            "audit/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-2"
        );
    }

    #[test]
    fn log_file_and_digest_keys() {
        // 2026-11-20T14:05:09Z
        assert_eq!(
            ACCOUNT.log_file_key("us-east-2", 1_795_183_509, "u"),
            "AWSLogs/111122223333/CloudTrail/us-east-2/2026/11/20/111122223333_CloudTrail_us-east-2_20261120T1405Z_u.json.gz"
        );
        assert_eq!(
            ACCOUNT.digest_key("us-east-2", "main", "us-east-1", 1_795_183_509),
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2026/11/20/111122223333_CloudTrail-Digest_us-east-2_main_us-east-1_20261120T140509Z.json.gz"
        );
    }
}
