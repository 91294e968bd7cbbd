//! Accounts and the access keys their principals sign requests with.
//!
//! An access key belongs to an existing account (a foreign key holds it). The key's shape is
//! settings' [`settings::AccessKeyEntry`]: keys declared in `opentrail.toml` and keys stored here
//! are one type, and its `Debug` never shows the secret.

use rusqlite::{Row, params};

use crate::sqlite::{self, FromRow, Migration};
use crate::{Catalog, Result};

/// An access key and the principal it belongs to (`principal_type` is `Root` or `IAMUser`).
pub use settings::AccessKeyEntry as AccessKey;

/// An account known to OpenTrail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub name: String,
}

/// Accounts and access keys.
pub trait AccountStore: Send + Sync {
    /// Adds an account; its id must be new.
    fn create_account(&self, account: &Account, now_unix: i64) -> Result<()>;

    /// Every account, ordered by id.
    fn accounts(&self) -> Result<Vec<Account>>;

    /// Adds an access key of an existing account; its id must be new.
    fn create_access_key(&self, key: &AccessKey, now_unix: i64) -> Result<()>;

    /// Every access key (active or not), ordered by id.
    fn access_keys(&self) -> Result<Vec<AccessKey>>;

    /// Attaches the AWS managed policy `policy_name` (settings' built-in names) to the IAM
    /// user `user_name` of an existing account; attaching it again changes nothing.
    fn attach_user_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
        now_unix: i64,
    ) -> Result<()>;

    /// The names of the policies attached to one IAM user, in the order they were attached.
    fn user_policies(&self, account_id: &str, user_name: &str) -> Result<Vec<String>>;
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        number: 1,
        sql: "CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        principal_type TEXT NOT NULL,
        principal_arn TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        user_name TEXT,
        status TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
        created_at INTEGER NOT NULL
    );",
    },
    Migration {
        number: 10,
        sql: "CREATE TABLE user_policies (
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        user_name TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        attached_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, user_name, policy_name)
    );",
    },
];

sqlite::from_row_by_field_names!(Account { account_id, name });

impl FromRow for AccessKey {
    const COLUMNS: &'static str = "access_key_id, secret_access_key, account_id, principal_type,
        principal_arn, principal_id, user_name, status";

    fn from_row(row: &Row<'_>) -> rusqlite::Result<AccessKey> {
        Ok(AccessKey {
            access_key_id: row.get(0)?,
            secret_access_key: row.get(1)?,
            account_id: row.get(2)?,
            principal_type: row.get(3)?,
            principal_arn: row.get(4)?,
            principal_id: row.get(5)?,
            user_name: row.get(6)?,
            active: row.get::<_, String>(7)? == "Active",
        })
    }
}

impl AccountStore for Catalog {
    fn create_account(&self, account: &Account, now_unix: i64) -> Result<()> {
        sqlite::insert_new(
            &self.conn(),
            "INSERT INTO accounts (account_id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![account.account_id, account.name, now_unix],
            "account",
            &account.account_id,
        )
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        sqlite::select(&self.conn(), "FROM accounts ORDER BY account_id", [])
    }

    fn create_access_key(&self, key: &AccessKey, now_unix: i64) -> Result<()> {
        sqlite::insert_new(
            &self.conn(),
            &format!(
                "INSERT INTO access_keys ({}, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
                AccessKey::COLUMNS
            ),
            params![
                key.access_key_id,
                key.secret_access_key,
                key.account_id,
                key.principal_type,
                key.principal_arn,
                key.principal_id,
                key.user_name,
                if key.active { "Active" } else { "Inactive" },
                now_unix
            ],
            "access key",
            &key.access_key_id,
        )
    }

    fn access_keys(&self) -> Result<Vec<AccessKey>> {
        sqlite::select(&self.conn(), "FROM access_keys ORDER BY access_key_id", [])
    }

    fn attach_user_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
        now_unix: i64,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO user_policies (account_id, user_name, policy_name, attached_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![account_id, user_name, policy_name, now_unix],
        )?;
        Ok(())
    }

    fn user_policies(&self, account_id: &str, user_name: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT policy_name FROM user_policies WHERE account_id = ?1 AND user_name = ?2
             ORDER BY attached_at, policy_name",
        )?;
        let names = statement.query_map(params![account_id, user_name], |row| row.get(0))?;
        Ok(names.collect::<rusqlite::Result<_>>()?)
    }
}
