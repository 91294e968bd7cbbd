//! Integrity state: the per-region signing keys (created when a region first needs one,
//! rotated on a schedule or on demand, never deleted) and each digest chain — one per trail,
//! account and delivering region — with its head and the log files waiting for a digest.
//!
//! A digest is planned (its end time stored) before it is written, and committed (files marked,
//! head moved) after it is stored, so a crash in between re-writes the same digest: the files
//! it lists are those stored before its end, a set that cannot change once the end has passed.

use rusqlite::{Connection, Row, params};

use crate::sqlite::{self, FromRow, Migration};
use crate::{Catalog, Error, Result};

/// How long one signing key is current (AWS's sample keys: 30 days).
pub const SIGNING_KEY_VALIDITY_MS: i64 = 30 * 24 * 3600 * 1000;

/// Digested log-file rows are kept this long (a re-run of a delivery cycle after a crash must
/// find them, so a file is never listed twice), then pruned.
const DIGESTED_FILES_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

/// A digest-signing key of one region.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    pub fingerprint: String,
    pub region: String,
    pub public_pkcs1_der: Vec<u8>,
    pub private_pkcs8_der: Vec<u8>,
    pub valid_from_ms: i64,
    pub valid_to_ms: i64,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never reaches logs.
        f.debug_struct("SigningKeyRow")
            .field("fingerprint", &self.fingerprint)
            .field("region", &self.region)
            .field("valid_from_ms", &self.valid_from_ms)
            .field("valid_to_ms", &self.valid_to_ms)
            .finish_non_exhaustive()
    }
}

/// One digest chain: a trail's log files of one account and region.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DigestStreamId {
    pub trail_arn: String,
    pub account_id: String,
    pub region: String,
}

/// The newest digest of an open chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub bucket: String,
    pub key: String,
    pub sha256_hex: String,
    pub signature_hex: String,
    pub end_ms: i64,
}

/// Where a stream's digests go, remembered so a deleted trail still gets its final digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestTarget {
    pub trail_name: String,
    pub home_region: String,
    pub bucket: String,
    pub key_prefix: Option<String>,
    pub organization_id: Option<String>,
}

/// A chain's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestStream {
    pub id: DigestStreamId,
    /// `Some` while the chain is open; the next digest follows it.
    pub head: Option<ChainHead>,
    /// When the chain last closed (its final digest's end).
    pub closed_at_ms: Option<i64>,
    /// The end of a digest being written, if one is.
    pub planned_end_ms: Option<i64>,
    pub target: Option<DigestTarget>,
}

/// A stored log file, for its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestFileRow {
    pub bucket: String,
    pub key: String,
    /// Lower-case hex SHA-256 of the decompressed file.
    pub sha256_hex: String,
    pub oldest_event_time: Option<String>,
    pub newest_event_time: Option<String>,
    /// When the upload completed: the file belongs to the digest whose window holds this.
    pub stored_at_ms: i64,
}

/// Signing keys and digest chains.
pub trait DigestStore: Send + Sync {
    /// Stores a signing key made elsewhere.
    fn add_signing_key(&self, key: &SigningKeyRow) -> Result<()>;

    /// Every signing key of a region, oldest first.
    fn signing_keys(&self, region: &str) -> Result<Vec<SigningKeyRow>>;

    /// The region's key valid at `now_ms`, created (and stored) first if there is none. Two
    /// callers never both create one.
    fn current_signing_key(&self, region: &str, now_ms: i64) -> Result<SigningKeyRow>;

    /// Retires the region's current key at `now_ms` (it stays listed for the time it was
    /// valid) and makes a new one current. For a suspected key compromise, or a schedule.
    fn rotate_signing_key(&self, region: &str, now_ms: i64) -> Result<SigningKeyRow>;

    /// Regions that have signing keys.
    fn signing_key_regions(&self) -> Result<Vec<String>>;

    /// Remembers a stored log file for the next digest of its chain (creating the chain's row
    /// if needed). Registering the same object again changes nothing, so a delivery cycle
    /// re-run after a crash never lists a file in two digests.
    fn register_log_file(&self, id: &DigestStreamId, file: &DigestFileRow) -> Result<()>;

    /// Makes sure a chain has a row (a logging trail's home region always has one).
    fn ensure_digest_stream(&self, id: &DigestStreamId) -> Result<()>;

    /// Every chain, ordered by trail, account and region.
    fn digest_streams(&self) -> Result<Vec<DigestStream>>;

    /// One chain, if it has a row.
    fn digest_stream(&self, id: &DigestStreamId) -> Result<Option<DigestStream>>;

    /// Records that the digest ending at `end_ms` is about to be written to `target`.
    fn plan_digest(&self, id: &DigestStreamId, end_ms: i64, target: &DigestTarget) -> Result<()>;

    /// The chain's files stored before `before_ms` and not yet in a digest, in the order they
    /// were stored.
    fn undigested_files(&self, id: &DigestStreamId, before_ms: i64) -> Result<Vec<DigestFileRow>>;

    /// After the digest ending at `end_ms` is stored: its files are marked, and the chain
    /// continues from `head` (or, with `None`, closes at `end_ms`). Digested rows older than a
    /// week are pruned.
    fn commit_digest(
        &self,
        id: &DigestStreamId,
        end_ms: i64,
        head: Option<&ChainHead>,
    ) -> Result<()>;

    /// Forgets a closed chain whose trail is gone (and its digested files).
    fn drop_digest_stream(&self, id: &DigestStreamId) -> Result<()>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    // Per-region RSA keys that sign digests; retired keys are kept forever.
    Migration {
        number: 3,
        sql: "CREATE TABLE signing_keys (
        fingerprint TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        public_pkcs1_der BLOB NOT NULL,
        private_pkcs8_der BLOB NOT NULL,
        valid_from_ms INTEGER NOT NULL,
        valid_to_ms INTEGER NOT NULL
    );
    CREATE INDEX signing_keys_by_region ON signing_keys (region, valid_from_ms);",
    },
    // Digest chains (one per trail, account and delivering region) and the log files waiting
    // for their digest.
    Migration {
        number: 7,
        sql: "CREATE TABLE digest_streams (
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        head_bucket TEXT,
        head_key TEXT,
        head_sha256 TEXT,
        head_signature TEXT,
        head_end_ms INTEGER,
        closed_at_ms INTEGER,
        planned_end_ms INTEGER,
        trail_name TEXT,
        home_region TEXT,
        bucket TEXT,
        key_prefix TEXT,
        organization_id TEXT,
        PRIMARY KEY (trail_arn, account_id, region)
    );
    CREATE TABLE digest_files (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        trail_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        oldest_event_time TEXT,
        newest_event_time TEXT,
        stored_at_ms INTEGER NOT NULL,
        digest_end_ms INTEGER,
        PRIMARY KEY (bucket, key)
    );
    CREATE INDEX digest_files_by_stream
        ON digest_files (trail_arn, account_id, region, digest_end_ms, stored_at_ms);",
    },
];

sqlite::from_row_by_field_names!(SigningKeyRow {
    fingerprint,
    region,
    public_pkcs1_der,
    private_pkcs8_der,
    valid_from_ms,
    valid_to_ms,
});

/// A fresh key valid from `from_ms` for [`SIGNING_KEY_VALIDITY_MS`].
fn new_key(region: &str, from_ms: i64) -> Result<SigningKeyRow> {
    let err = |e: integrity::Error| Error::SigningKey(e.to_string());
    let key = integrity::SigningKey::generate(&mut integrity::OsRng).map_err(err)?;
    let public = key.public_pkcs1_der().map_err(err)?;
    Ok(SigningKeyRow {
        fingerprint: integrity::fingerprint(&public),
        region: region.to_owned(),
        public_pkcs1_der: public,
        private_pkcs8_der: key.private_pkcs8_der().map_err(err)?,
        valid_from_ms: from_ms,
        valid_to_ms: from_ms.saturating_add(SIGNING_KEY_VALIDITY_MS),
    })
}

fn insert_key(conn: &Connection, key: &SigningKeyRow) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO signing_keys ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            SigningKeyRow::COLUMNS
        ),
        params![
            key.fingerprint,
            key.region,
            key.public_pkcs1_der,
            key.private_pkcs8_der,
            key.valid_from_ms,
            key.valid_to_ms
        ],
    )?;
    Ok(())
}

impl FromRow for DigestStream {
    const COLUMNS: &'static str = "trail_arn, account_id, region, head_bucket, head_key,
        head_sha256, head_signature, head_end_ms, closed_at_ms, planned_end_ms, trail_name,
        home_region, bucket, key_prefix, organization_id";

    fn from_row(row: &Row<'_>) -> rusqlite::Result<DigestStream> {
        let head = match (row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?) {
            (Some(bucket), Some(key), Some(sha256_hex), Some(signature_hex), Some(end_ms)) => {
                Some(ChainHead { bucket, key, sha256_hex, signature_hex, end_ms })
            }
            _ => None,
        };
        let target = match (row.get(10)?, row.get(11)?, row.get(12)?) {
            (Some(trail_name), Some(home_region), Some(bucket)) => Some(DigestTarget {
                trail_name,
                home_region,
                bucket,
                key_prefix: row.get(13)?,
                organization_id: row.get(14)?,
            }),
            _ => None,
        };
        Ok(DigestStream {
            id: DigestStreamId {
                trail_arn: row.get(0)?,
                account_id: row.get(1)?,
                region: row.get(2)?,
            },
            head,
            closed_at_ms: row.get(8)?,
            planned_end_ms: row.get(9)?,
            target,
        })
    }
}

impl FromRow for DigestFileRow {
    const COLUMNS: &'static str =
        "bucket, key, sha256, oldest_event_time, newest_event_time, stored_at_ms";

    fn from_row(row: &Row<'_>) -> rusqlite::Result<DigestFileRow> {
        Ok(DigestFileRow {
            bucket: row.get(0)?,
            key: row.get(1)?,
            sha256_hex: row.get(2)?,
            oldest_event_time: row.get(3)?,
            newest_event_time: row.get(4)?,
            stored_at_ms: row.get(5)?,
        })
    }
}

/// Gives a chain its row if it has none.
fn ensure_stream(conn: &Connection, id: &DigestStreamId) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO digest_streams (trail_arn, account_id, region) VALUES (?1, ?2, ?3)",
        params![id.trail_arn, id.account_id, id.region],
    )?;
    Ok(())
}

impl DigestStore for Catalog {
    fn add_signing_key(&self, key: &SigningKeyRow) -> Result<()> {
        insert_key(&self.conn(), key)
    }

    fn signing_keys(&self, region: &str) -> Result<Vec<SigningKeyRow>> {
        sqlite::select(
            &self.conn(),
            "FROM signing_keys WHERE region = ?1 ORDER BY valid_from_ms, fingerprint",
            params![region],
        )
    }

    fn current_signing_key(&self, region: &str, now_ms: i64) -> Result<SigningKeyRow> {
        // One immediate transaction: two callers never both create a key.
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = sqlite::select_one(
            &tx,
            "FROM signing_keys WHERE region = ?1 AND valid_from_ms <= ?2 AND ?2 < valid_to_ms
             ORDER BY valid_from_ms DESC, fingerprint LIMIT 1",
            params![region, now_ms],
        )?;
        let key = match current {
            Some(key) => key,
            None => {
                let key = new_key(region, now_ms)?;
                insert_key(&tx, &key)?;
                key
            }
        };
        tx.commit()?;
        Ok(key)
    }

    fn rotate_signing_key(&self, region: &str, now_ms: i64) -> Result<SigningKeyRow> {
        let key = new_key(region, now_ms)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE signing_keys SET valid_to_ms = ?2
             WHERE region = ?1 AND valid_from_ms <= ?2 AND ?2 < valid_to_ms",
            params![region, now_ms],
        )?;
        insert_key(&tx, &key)?;
        tx.commit()?;
        Ok(key)
    }

    fn signing_key_regions(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT DISTINCT region FROM signing_keys ORDER BY region")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn register_log_file(&self, id: &DigestStreamId, file: &DigestFileRow) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_stream(&tx, id)?;
        tx.execute(
            "INSERT OR IGNORE INTO digest_files (bucket, key, trail_arn, account_id, region,
                sha256, oldest_event_time, newest_event_time, stored_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                file.bucket,
                file.key,
                id.trail_arn,
                id.account_id,
                id.region,
                file.sha256_hex,
                file.oldest_event_time,
                file.newest_event_time,
                file.stored_at_ms
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn ensure_digest_stream(&self, id: &DigestStreamId) -> Result<()> {
        ensure_stream(&self.conn(), id)
    }

    fn digest_streams(&self) -> Result<Vec<DigestStream>> {
        sqlite::select(
            &self.conn(),
            "FROM digest_streams ORDER BY trail_arn, account_id, region",
            [],
        )
    }

    fn digest_stream(&self, id: &DigestStreamId) -> Result<Option<DigestStream>> {
        sqlite::select_one(
            &self.conn(),
            "FROM digest_streams WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3",
            params![id.trail_arn, id.account_id, id.region],
        )
    }

    fn plan_digest(&self, id: &DigestStreamId, end_ms: i64, target: &DigestTarget) -> Result<()> {
        self.conn().execute(
            "UPDATE digest_streams SET planned_end_ms = ?4, trail_name = ?5, home_region = ?6,
                bucket = ?7, key_prefix = ?8, organization_id = ?9
             WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3",
            params![
                id.trail_arn,
                id.account_id,
                id.region,
                end_ms,
                target.trail_name,
                target.home_region,
                target.bucket,
                target.key_prefix,
                target.organization_id
            ],
        )?;
        Ok(())
    }

    fn undigested_files(&self, id: &DigestStreamId, before_ms: i64) -> Result<Vec<DigestFileRow>> {
        sqlite::select(
            &self.conn(),
            "FROM digest_files
             WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3
               AND digest_end_ms IS NULL AND stored_at_ms < ?4
             ORDER BY stored_at_ms, bucket, key",
            params![id.trail_arn, id.account_id, id.region, before_ms],
        )
    }

    fn commit_digest(
        &self,
        id: &DigestStreamId,
        end_ms: i64,
        head: Option<&ChainHead>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE digest_files SET digest_end_ms = ?4
             WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3
               AND digest_end_ms IS NULL AND stored_at_ms < ?4",
            params![id.trail_arn, id.account_id, id.region, end_ms],
        )?;
        tx.execute(
            "UPDATE digest_streams SET head_bucket = ?4, head_key = ?5, head_sha256 = ?6,
                head_signature = ?7, head_end_ms = ?8, closed_at_ms = ?9, planned_end_ms = NULL
             WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3",
            params![
                id.trail_arn,
                id.account_id,
                id.region,
                head.map(|h| &h.bucket),
                head.map(|h| &h.key),
                head.map(|h| &h.sha256_hex),
                head.map(|h| &h.signature_hex),
                head.map(|h| h.end_ms),
                if head.is_none() { Some(end_ms) } else { None },
            ],
        )?;
        tx.execute(
            "DELETE FROM digest_files WHERE digest_end_ms IS NOT NULL AND digest_end_ms < ?1",
            params![end_ms.saturating_sub(DIGESTED_FILES_KEPT_MS)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn drop_digest_stream(&self, id: &DigestStreamId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in ["digest_streams", "digest_files"] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE trail_arn = ?1 AND account_id = ?2 AND region = ?3"
                ),
                params![id.trail_arn, id.account_id, id.region],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
