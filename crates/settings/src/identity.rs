//! Identities after validation: accounts, their root users, IAM users, roles, the
//! organization, and the [`Principal`] that authorization reasons about.
//!
//! Unique ids (`AIDA…` for users, `AROA…` for roles) are derived from the account and name, so
//! they are stable across restarts without being stored; recreating a user with the same name
//! gives it the same id again (AWS would issue a new one).

use std::fmt;

use crate::policy::Policy;

/// An AWS account hosted by OpenTrail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Twelve digits.
    pub id: String,
    /// A human name, 1 to 50 characters.
    pub name: String,
    /// Access keys of the account's root user (at most two).
    pub root_access_keys: Vec<AccessKey>,
}

impl Account {
    /// The principal of this account's root user.
    pub fn root(&self) -> Principal {
        Principal::root(&self.id)
    }
}

/// An access key: an id that is not secret and a secret that is.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `AKIA` + 16 characters of `[A-Z2-7]`.
    pub id: String,
    /// At least 40 characters of `[A-Za-z0-9+/]`.
    pub secret: Secret,
    /// Inactive keys are kept (so their id stays reserved) but never authenticate.
    pub active: bool,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .field("active", &self.active)
            .finish()
    }
}

/// A secret access key. `Debug` prints `***`, so a logged `Settings` never leaks it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(text: String) -> Secret {
        Secret(text)
    }

    /// The secret itself, for signature verification and the catalog.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An IAM user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account the user belongs to.
    pub account_id: String,
    /// Unique in its account, ignoring case.
    pub name: String,
    /// `/` unless configured; starts and ends with `/`.
    pub path: String,
    /// `arn:aws:iam::<account>:user<path><name>`.
    pub arn: String,
    /// `AIDA` + 17 characters, derived from account and name.
    pub user_id: String,
    /// At most two.
    pub access_keys: Vec<AccessKey>,
    /// Named policies first (in the order written), then the inline statements as `inline`.
    pub policies: Vec<Policy>,
}

impl User {
    /// The principal this user authenticates as.
    pub fn principal(&self) -> Principal {
        Principal {
            principal_type: PrincipalType::IamUser,
            account_id: self.account_id.clone(),
            arn: self.arn.clone(),
            principal_id: self.user_id.clone(),
            user_name: Some(self.name.clone()),
            policies: self.policies.clone(),
        }
    }
}

/// An IAM role. OpenTrail has no STS yet: roles are configured so that sessions can be built
/// ([`Role::session`]) once `AssumeRole` exists, and so tests can exercise role principals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// The account the role belongs to.
    pub account_id: String,
    /// Unique in its account, ignoring case.
    pub name: String,
    /// `/` unless configured.
    pub path: String,
    /// `arn:aws:iam::<account>:role<path><name>`.
    pub arn: String,
    /// `AROA` + 17 characters, derived from account and name.
    pub role_id: String,
    /// Named policies first, then the inline statements as `inline`.
    pub policies: Vec<Policy>,
}

impl Role {
    /// The principal of a session of this role: ARN
    /// `arn:aws:sts::<account>:assumed-role/<name>/<session>` (the path is not part of it, as
    /// in AWS), principal id `<role id>:<session>`. `session_name` is taken as given; STS
    /// restricts it to 2..=64 characters of `[\w+=,.@-]` and the caller must check that.
    pub fn session(&self, session_name: &str) -> Principal {
        Principal {
            principal_type: PrincipalType::AssumedRole,
            account_id: self.account_id.clone(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{session_name}",
                self.account_id, self.name
            ),
            principal_id: format!("{}:{session_name}", self.role_id),
            user_name: None,
            policies: self.policies.clone(),
        }
    }
}

/// An AWS Organization: one management account and its member accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// `o-` + 10 to 32 lowercase letters or digits.
    pub id: String,
    /// Owns organization trails; may change them.
    pub management_account: String,
    /// Every other account of the organization; may read organization trails, never change them.
    /// Never contains the management account.
    pub member_accounts: Vec<String>,
}

impl Organization {
    /// Whether `account_id` is a member account (the management account is not a member).
    pub fn is_member(&self, account_id: &str) -> bool {
        self.member_accounts.iter().any(|member| member == account_id)
    }

    /// Whether `account_id` belongs to the organization at all.
    pub fn contains(&self, account_id: &str) -> bool {
        self.management_account == account_id || self.is_member(account_id)
    }
}

/// What kind of identity a principal is; the names are CloudTrail's `userIdentity.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalType {
    /// The account's root user: may do anything to its own account's resources.
    Root,
    /// An IAM user: may do what its policies allow.
    IamUser,
    /// A session of an IAM role: may do what the role's policies allow.
    AssumedRole,
}

impl PrincipalType {
    /// `Root`, `IAMUser` or `AssumedRole`, as in CloudTrail records and the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Root => "Root",
            PrincipalType::IamUser => "IAMUser",
            PrincipalType::AssumedRole => "AssumedRole",
        }
    }
}

/// Who makes a request, with everything authorization needs to know about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Root, IAM user or role session.
    pub principal_type: PrincipalType,
    /// The account the principal belongs to.
    pub account_id: String,
    /// `arn:aws:iam::<account>:root`, `…:user/<name>` or
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// The account id for root, the user id, or `<role id>:<session>`.
    pub principal_id: String,
    /// The user name, for IAM users only.
    pub user_name: Option<String>,
    /// Identity-based policies (empty for root: root needs none and can have none).
    pub policies: Vec<Policy>,
}

impl Principal {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Principal {
        Principal {
            principal_type: PrincipalType::Root,
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            principal_id: account_id.to_owned(),
            user_name: None,
            policies: Vec::new(),
        }
    }
}

/// One access key with its principal; the catalog stores keys of this type (as
/// `catalog::AccessKey`). `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyEntry {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret; never logged.
    pub secret_access_key: String,
    /// The principal's account.
    pub account_id: String,
    /// `Root` or `IAMUser` ([`PrincipalType::as_str`]).
    pub principal_type: String,
    /// The principal's ARN.
    pub principal_arn: String,
    /// The principal's id.
    pub principal_id: String,
    /// The user name, for IAM users.
    pub user_name: Option<String>,
    /// Whether the key may authenticate.
    pub active: bool,
}

impl fmt::Debug for AccessKeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyEntry")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("account_id", &self.account_id)
            .field("principal_type", &self.principal_type)
            .field("principal_arn", &self.principal_arn)
            .field("principal_id", &self.principal_id)
            .field("user_name", &self.user_name)
            .field("active", &self.active)
            .finish()
    }
}

impl AccessKeyEntry {
    pub(crate) fn new(key: &AccessKey, principal: &Principal) -> AccessKeyEntry {
        AccessKeyEntry {
            access_key_id: key.id.clone(),
            secret_access_key: key.secret.expose().to_owned(),
            account_id: principal.account_id.clone(),
            principal_type: principal.principal_type.as_str().to_owned(),
            principal_arn: principal.arn.clone(),
            principal_id: principal.principal_id.clone(),
            user_name: principal.user_name.clone(),
            active: key.active,
        }
    }
}

/// A stable unique id: `prefix` + 17 characters of `[A-Z2-7]` (the shape of AWS's
/// `AIDA…`/`AROA…` ids), from two FNV-1a hashes of `kind`, account and name.
/// The output is pinned by a test: changing it changes every user's id in every log.
pub(crate) fn derived_unique_id(prefix: &str, kind: &str, account_id: &str, name: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let fnv1a = |seed: u64| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for byte in kind.bytes().chain([0]).chain(account_id.bytes()).chain([0]).chain(name.bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash
    };
    let high = fnv1a(0);
    let low = fnv1a(0x9e37_79b9_7f4a_7c15);
    // 17 characters × 5 bits = 85 bits: 64 from `high`, 21 from `low`.
    let bits: u128 = (u128::from(high) << 21) | u128::from(low >> 43);
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    for idx in (0..17).rev() {
        id.push(char::from(ALPHABET[((bits >> (idx * 5)) & 31) as usize]));
    }
    id
}

#[cfg(test)]
mod tests;
