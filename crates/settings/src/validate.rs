//! From the file as written (`schema.rs`) to validated [`Settings`]: every bound, shape,
//! reference and uniqueness rule, with all problems collected rather than only the first.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use cloudtrail_model::arn::is_region;

use crate::Settings;
use crate::error::Problem;
use crate::identity::{AccessKey, Account, Organization, Role, Secret, User, derived_unique_id};
use crate::limits;
use crate::policy::{
    ActionPattern, BUILTIN_POLICY_NAMES, Effect, Policy, PolicyKind, ResourcePattern, Statement,
};
use crate::schema::{
    AccessKeyV1, EffectV1, FileV1, OrganizationV1, PolicyV1, RoleV1, StatementV1, UserV1,
};

/// `listen` when the file and the environment say nothing: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9471";
/// `region` when the file and the environment say nothing.
pub const DEFAULT_REGION: &str = "us-east-1";

pub(crate) fn validate(file: FileV1) -> Result<Settings, Vec<Problem>> {
    let mut problems = Vec::new();

    let listen_text = file.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen = listen_text.parse::<SocketAddr>().ok();
    if listen.is_none() {
        problems.push(Problem::rule(
            "listen",
            format!("= `{listen_text}` must be an `ip:port` address like `{DEFAULT_LISTEN}` or `[::1]:9471`"),
        ));
    }
    let region = file.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
    if !is_region(&region) {
        problems.push(Problem::rule(
            "region",
            format!("= `{region}` must be a region name like `us-east-1`"),
        ));
    }
    let mut interval = |key: &str,
                        text: Option<&str>,
                        range: std::ops::RangeInclusive<u64>,
                        bounds: &str,
                        whole_seconds: bool| {
        let text = text?;
        match crate::parse_duration(text) {
            Ok(interval) if whole_seconds && interval.subsec_millis() != 0 => {
                problems.push(Problem::rule(key, format!("= `{text}` must be whole seconds")));
                None
            }
            Ok(interval) if range.contains(&(interval.as_millis() as u64)) => Some(interval),
            Ok(_) => {
                problems.push(Problem::rule(key, format!("= `{text}` must be between {bounds}")));
                None
            }
            Err(message) => {
                problems.push(Problem::rule(key, message));
                None
            }
        }
    };
    let delivery_interval = interval(
        "delivery_interval",
        file.delivery_interval.as_deref(),
        limits::DELIVERY_INTERVAL_MS_MIN..=limits::DELIVERY_INTERVAL_MS_MAX,
        "100ms and 1h",
        false,
    );
    let digest_interval = interval(
        "digest_interval",
        file.digest_interval.as_deref(),
        limits::DIGEST_INTERVAL_MS_MIN..=limits::DIGEST_INTERVAL_MS_MAX,
        "1s and 24h",
        true,
    );
    let history_retention = interval(
        "history_retention",
        file.history_retention.as_deref(),
        limits::HISTORY_RETENTION_MS_MIN..=limits::HISTORY_RETENTION_MS_MAX,
        "10s and 3650d",
        false,
    );
    let notifications_backoff = interval(
        "notifications.backoff",
        file.notifications.as_ref().and_then(|n| n.backoff.as_deref()),
        100..=3_600_000,
        "100ms and 1h",
        false,
    );
    let notifications_timeout = interval(
        "notifications.timeout",
        file.notifications.as_ref().and_then(|n| n.timeout.as_deref()),
        1000..=300_000,
        "1s and 5m",
        false,
    );
    if let Some(data_dir) = &file.data_dir {
        let n_chars = data_dir.chars().count();
        if n_chars == 0 {
            problems.push(Problem::rule(
                "data_dir",
                "must not be empty (leave it out for the default)",
            ));
        } else if n_chars > limits::DATA_DIR_CHARS_MAX {
            problems.push(Problem::rule(
                "data_dir",
                format!("must be at most {} characters", limits::DATA_DIR_CHARS_MAX),
            ));
        }
    }

    let mut key_ids = BTreeMap::new();
    let mut accounts = Vec::new();
    let mut account_paths: BTreeMap<String, String> = BTreeMap::new();
    for (account_idx, account) in file.accounts.into_iter().enumerate() {
        let path = format!("accounts[{account_idx}]");
        if !is_account_id(&account.id) {
            problems.push(Problem::rule(
                format!("{path}.id"),
                format!("= `{}` must be exactly {} digits", account.id, limits::ACCOUNT_ID_DIGITS),
            ));
        } else if let Some(first) = account_paths.get(&account.id) {
            problems.push(Problem::rule(
                format!("{path}.id"),
                format!("= `{}` is already used by `{first}`", account.id),
            ));
        } else {
            account_paths.insert(account.id.clone(), path.clone());
        }
        let n_name_chars = account.name.chars().count();
        if n_name_chars == 0
            || n_name_chars > limits::ACCOUNT_NAME_CHARS_MAX
            || account.name.chars().any(char::is_control)
        {
            problems.push(Problem::rule(
                format!("{path}.name"),
                format!(
                    "= `{}` must be 1 to {} characters without control characters",
                    account.name.escape_debug(),
                    limits::ACCOUNT_NAME_CHARS_MAX
                ),
            ));
        }
        let root_access_keys = access_keys(
            account.root_access_keys,
            &format!("{path}.root_access_keys"),
            &mut key_ids,
            &mut problems,
        );
        accounts.push(Account { id: account.id, name: account.name, root_access_keys });
    }

    let mut custom_policies: BTreeMap<String, Policy> = BTreeMap::new();
    let mut policy_paths: BTreeMap<String, String> = BTreeMap::new();
    for (policy_idx, policy) in file.policies.into_iter().enumerate() {
        let path = format!("policies[{policy_idx}]");
        if let Some(policy) = custom_policy(policy, &path, &mut policy_paths, &mut problems) {
            custom_policies.insert(policy.name.clone(), policy);
        }
    }
    let mut users = Vec::new();
    let mut user_names: BTreeMap<(String, String), String> = BTreeMap::new();
    for (user_idx, user) in file.users.into_iter().enumerate() {
        let path = format!("users[{user_idx}]");
        let resolver = PolicyResolver { custom: &custom_policies, defined: &policy_paths };
        if let Some(user) = user_of(
            user,
            &path,
            &account_paths,
            &mut user_names,
            &resolver,
            &mut key_ids,
            &mut problems,
        ) {
            users.push(user);
        }
    }

    let mut roles = Vec::new();
    let mut role_names: BTreeMap<(String, String), String> = BTreeMap::new();
    for (role_idx, role) in file.roles.into_iter().enumerate() {
        let path = format!("roles[{role_idx}]");
        let resolver = PolicyResolver { custom: &custom_policies, defined: &policy_paths };
        if let Some(role) =
            role_of(role, &path, &account_paths, &mut role_names, &resolver, &mut problems)
        {
            roles.push(role);
        }
    }

    let organization = file.organization.map(|organization| {
        organization_of(organization, &accounts, &account_paths, &mut problems)
    });

    let s3_stores = crate::stores::s3_stores_of(file.s3_stores, &mut problems);

    let mut notifications = crate::NotificationPolicy::default();
    if let Some(n) = &file.notifications {
        if let Some(retries) = n.retries {
            if retries > 10 {
                problems.push(Problem::rule(
                    "notifications.retries",
                    format!("= {retries} must be between 0 and 10"),
                ));
            }
            notifications.retries = retries;
        }
        if let Some(backoff) = notifications_backoff {
            notifications.backoff = backoff;
        }
        if let Some(timeout) = notifications_timeout {
            notifications.timeout = timeout;
        }
    }
    let smtp = file.smtp.map(|smtp| {
        // With a password, STARTTLS is required by default: opportunistic STARTTLS lets anyone
        // on the path strip the relay's offer and read `AUTH PLAIN`.
        let authenticates = smtp.password.is_some();
        let tls = match smtp.tls.as_deref() {
            None if authenticates => crate::SmtpTls::StartTls,
            Some("opportunistic") if authenticates => {
                problems.push(Problem::rule(
                    "smtp.tls",
                    "= `opportunistic` would send the password in clear text to a relay (or an attacker on the way) that does not offer STARTTLS; use `starttls` or `tls`",
                ));
                crate::SmtpTls::StartTls
            }
            None | Some("opportunistic") => crate::SmtpTls::Opportunistic,
            Some("none") => crate::SmtpTls::None,
            Some("tls") => crate::SmtpTls::Tls,
            Some("starttls") => crate::SmtpTls::StartTls,
            Some(other) => {
                problems.push(Problem::rule(
                    "smtp.tls",
                    format!("= `{other}` must be `opportunistic`, `starttls`, `tls` or `none`"),
                ));
                crate::SmtpTls::StartTls
            }
        };
        let default_port = match tls {
            crate::SmtpTls::None | crate::SmtpTls::Opportunistic => 25,
            crate::SmtpTls::Tls => 465,
            crate::SmtpTls::StartTls => 587,
        };
        let n_host = smtp.host.chars().count();
        if n_host == 0 || n_host > 253 {
            problems.push(Problem::rule("smtp.host", "must have 1 to 253 characters"));
        }
        let from = smtp.from.unwrap_or_else(|| "opentrail@localhost".to_owned());
        if !from.contains('@') || from.contains(char::is_whitespace) {
            problems.push(Problem::rule(
                "smtp.from",
                format!("= `{from}` must be an email address like `opentrail@example.com`"),
            ));
        }
        if smtp.username.is_some() != smtp.password.is_some() {
            problems.push(Problem::rule("smtp", "`username` and `password` go together"));
        }
        crate::Smtp {
            host: smtp.host,
            port: smtp.port.unwrap_or(default_port),
            from,
            username: smtp.username,
            password: smtp.password,
            tls,
        }
    });
    let mut notification_targets: Vec<crate::NotificationTarget> = Vec::new();
    if file.notification_targets.len() > 100 {
        problems.push(Problem::rule("notification_targets", "at most 100 targets are allowed"));
    }
    for (idx, t) in file.notification_targets.into_iter().enumerate() {
        let path = format!("notification_targets[{idx}]");
        let n = t.name.chars().count();
        if n == 0
            || n > 256
            || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push(Problem::rule(
                format!("{path}.name"),
                format!("= `{}` must be 1 to 256 characters of `A-Za-z0-9_-`", t.name),
            ));
        }
        if notification_targets.iter().any(|other| other.name == t.name) {
            problems.push(Problem::rule(
                format!("{path}.name"),
                format!("= `{}` is used twice", t.name),
            ));
        }
        if t.webhooks.is_empty()
            && t.slack_webhooks.is_empty()
            && t.emails.is_empty()
            && t.email_json.is_empty()
        {
            problems.push(Problem::rule(
                path.clone(),
                "needs at least one of `webhooks`, `slack_webhooks`, `emails`, `email_json`",
            ));
        }
        for (key, urls) in [("webhooks", &t.webhooks), ("slack_webhooks", &t.slack_webhooks)] {
            for (url_idx, url) in urls.iter().enumerate() {
                let ok = (url.starts_with("http://") || url.starts_with("https://"))
                    && url.len() <= 2048
                    && !url.contains(char::is_whitespace);
                if !ok {
                    problems.push(Problem::rule(
                        format!("{path}.{key}[{url_idx}]"),
                        format!("= `{url}` must be an http:// or https:// URL of at most 2048 characters"),
                    ));
                }
            }
        }
        for (key, list) in [("emails", &t.emails), ("email_json", &t.email_json)] {
            for (email_idx, email) in list.iter().enumerate() {
                if !email.contains('@') || email.contains(char::is_whitespace) {
                    problems.push(Problem::rule(
                        format!("{path}.{key}[{email_idx}]"),
                        format!("= `{email}` must be an email address"),
                    ));
                }
            }
        }
        notification_targets.push(crate::NotificationTarget {
            name: t.name,
            webhooks: t.webhooks,
            slack_webhooks: t.slack_webhooks,
            emails: t.emails,
            email_json: t.email_json,
            raw_message_delivery: t.raw_message_delivery,
        });
    }
    let mut cis_pack = crate::CisPack::default();
    if let Some(pack) = file.cis_pack {
        cis_pack.enabled = pack.enabled.unwrap_or(true);
        if let Some(version) = pack.version {
            const VERSIONS: &[&str] =
                &["v1.2", "v1.4", "v1.5", "v2.0", "v3.0", "v4.0", "v5.0", "security-hub"];
            let normalized = version.to_ascii_lowercase();
            let normalized = if normalized.starts_with('v') || normalized == "security-hub" {
                normalized
            } else {
                format!("v{normalized}")
            };
            let normalized = normalized.trim_end_matches(".0.0").to_owned();
            let normalized = if normalized.matches('.').count() == 2 {
                normalized.rsplit_once('.').map_or(normalized.clone(), |(head, _)| head.to_owned())
            } else {
                normalized
            };
            if VERSIONS.contains(&normalized.as_str()) {
                cis_pack.version = normalized;
            } else {
                problems.push(Problem::rule(
                    "cis_pack.version",
                    format!("= `{version}` must be one of {}", VERSIONS.join(", ")),
                ));
            }
        }
        if let Some(target) = &pack.target
            && !notification_targets.iter().any(|t| &t.name == target)
        {
            problems.push(Problem::rule(
                "cis_pack.target",
                format!("= `{target}` names no `[[notification_targets]]` entry"),
            ));
        }
        cis_pack.target = pack.target;
        if let Some(threshold) = pack.threshold {
            if !(1.0..=1_000_000.0).contains(&threshold) {
                problems.push(Problem::rule(
                    "cis_pack.threshold",
                    format!("= {threshold} must be between 1 and 1000000"),
                ));
            }
            cis_pack.threshold = threshold;
        }
    }
    if cis_pack.target.is_none() && notification_targets.len() == 1 {
        cis_pack.target = notification_targets.first().map(|t| t.name.clone());
    }
    let to_json = |tables: Vec<toml::Table>| -> Vec<serde_json::Value> {
        tables
            .into_iter()
            .map(|t| serde_json::to_value(toml::Value::Table(t)).unwrap_or(serde_json::Value::Null))
            .collect()
    };
    let alarms = to_json(file.alarms);
    let metric_filters = to_json(file.metric_filters);

    match listen {
        Some(listen) if problems.is_empty() => Ok(Settings {
            listen,
            data_dir: file.data_dir.map(PathBuf::from),
            region,
            delivery_interval,
            digest_interval,
            history_retention,
            default_trail: file.default_trail.unwrap_or(true),
            accounts,
            organization,
            users,
            roles,
            s3_stores,
            smtp,
            notifications,
            notification_targets,
            cis_pack,
            alarms,
            metric_filters,
        }),
        _ => Err(problems),
    }
}

fn access_keys(
    keys: Vec<AccessKeyV1>,
    path: &str,
    key_ids: &mut BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Vec<AccessKey> {
    if keys.len() > limits::ACCESS_KEYS_PER_PRINCIPAL_MAX {
        problems.push(Problem::rule(
            path,
            format!(
                "has {} keys; at most {} are allowed (two, so a key can be rotated)",
                keys.len(),
                limits::ACCESS_KEYS_PER_PRINCIPAL_MAX
            ),
        ));
    }
    let mut out = Vec::new();
    for (key_idx, key) in keys.into_iter().enumerate() {
        let key_path = format!("{path}[{key_idx}]");
        if !is_access_key_id(&key.id) {
            problems.push(Problem::rule(
                format!("{key_path}.id"),
                format!(
                    "= `{}` must be `AKIA` followed by {} characters of `A`-`Z` and `2`-`7`",
                    key.id,
                    limits::ACCESS_KEY_ID_SUFFIX_CHARS
                ),
            ));
        } else if let Some(first) = key_ids.get(&key.id) {
            problems.push(Problem::rule(
                format!("{key_path}.id"),
                format!("= `{}` is already used by `{first}`", key.id),
            ));
        } else {
            key_ids.insert(key.id.clone(), key_path.clone());
        }
        // The secret itself is never put into a message.
        let n_secret_chars = key.secret.chars().count();
        if n_secret_chars < limits::SECRET_CHARS_MIN {
            problems.push(Problem::rule(
                format!("{key_path}.secret"),
                format!(
                    "must be at least {} characters (it has {n_secret_chars})",
                    limits::SECRET_CHARS_MIN
                ),
            ));
        } else if n_secret_chars > limits::SECRET_CHARS_MAX {
            problems.push(Problem::rule(
                format!("{key_path}.secret"),
                format!(
                    "must be at most {} characters (it has {n_secret_chars})",
                    limits::SECRET_CHARS_MAX
                ),
            ));
        } else if !key.secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/') {
            problems.push(Problem::rule(
                format!("{key_path}.secret"),
                "must consist of `A`-`Z`, `a`-`z`, `0`-`9`, `+` and `/` only",
            ));
        }
        out.push(AccessKey { id: key.id, secret: Secret::new(key.secret), active: key.active });
    }
    out
}

fn custom_policy(
    policy: PolicyV1,
    path: &str,
    policy_paths: &mut BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<Policy> {
    let n_problems = problems.len();
    if !is_iam_name(&policy.name, limits::POLICY_NAME_CHARS_MAX) {
        problems.push(Problem::rule(
            format!("{path}.name"),
            format!(
                "= `{}` must be 1 to {} characters of letters, digits and `+=,.@_-`",
                policy.name,
                limits::POLICY_NAME_CHARS_MAX
            ),
        ));
    } else if let Some(builtin) =
        BUILTIN_POLICY_NAMES.iter().find(|builtin| builtin.eq_ignore_ascii_case(&policy.name))
    {
        problems.push(Problem::rule(
            format!("{path}.name"),
            format!("= `{}` is taken by the built-in AWS managed policy `{builtin}`; choose another name", policy.name),
        ));
    } else if let Some(first) = policy_paths
        .iter()
        .find_map(|(name, first)| name.eq_ignore_ascii_case(&policy.name).then_some(first))
    {
        problems.push(Problem::rule(
            format!("{path}.name"),
            format!("= `{}` is already used by `{first}` (policy names ignore case)", policy.name),
        ));
    }
    // Remembered even when its statements are wrong, so users attaching it get no second,
    // misleading "names no policy" problem.
    policy_paths.entry(policy.name.clone()).or_insert_with(|| path.to_owned());
    let statements = statements(policy.statements, &format!("{path}.statements"), true, problems);
    let policy = Policy { name: policy.name, kind: PolicyKind::CustomerManaged, statements };
    (problems.len() == n_problems).then_some(policy)
}

fn statements(
    statements: Vec<StatementV1>,
    path: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Statement> {
    if required && statements.is_empty() {
        problems.push(Problem::rule(path, "must have at least one statement"));
    }
    if statements.len() > limits::STATEMENTS_PER_POLICY_MAX {
        problems.push(Problem::rule(
            path,
            format!(
                "has {} statements; at most {} are allowed",
                statements.len(),
                limits::STATEMENTS_PER_POLICY_MAX
            ),
        ));
    }
    let mut out = Vec::new();
    for (statement_idx, statement) in statements.into_iter().enumerate() {
        let statement_path = format!("{path}[{statement_idx}]");
        if let Some(sid) = &statement.sid {
            let sid_ok = !sid.is_empty()
                && sid.chars().count() <= limits::STATEMENT_SID_CHARS_MAX
                && sid.chars().all(|c| c.is_ascii_alphanumeric());
            if !sid_ok {
                problems.push(Problem::rule(
                    format!("{statement_path}.sid"),
                    format!(
                        "= `{sid}` must be 1 to {} letters or digits",
                        limits::STATEMENT_SID_CHARS_MAX
                    ),
                ));
            }
        }
        let actions = patterns(
            &statement.actions,
            &format!("{statement_path}.actions"),
            limits::ACTIONS_PER_STATEMENT_MAX,
            ActionPattern::parse,
            problems,
        );
        let resources = patterns(
            &statement.resources,
            &format!("{statement_path}.resources"),
            limits::RESOURCES_PER_STATEMENT_MAX,
            ResourcePattern::parse,
            problems,
        );
        let effect = match statement.effect {
            EffectV1::Allow => Effect::Allow,
            EffectV1::Deny => Effect::Deny,
        };
        out.push(Statement { sid: statement.sid, effect, actions, resources });
    }
    out
}

fn patterns<T>(
    texts: &[String],
    path: &str,
    max: usize,
    parse: fn(&str) -> Result<T, String>,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    if texts.is_empty() {
        problems
            .push(Problem::rule(path, "must list at least one pattern (use `[\"*\"]` for all)"));
    }
    if texts.len() > max {
        problems.push(Problem::rule(
            path,
            format!("has {} patterns; at most {max} are allowed", texts.len()),
        ));
    }
    let mut out = Vec::new();
    for (idx, text) in texts.iter().enumerate() {
        match parse(text) {
            Ok(pattern) => out.push(pattern),
            Err(message) => problems.push(Problem::rule(format!("{path}[{idx}]"), message)),
        }
    }
    out
}

struct PolicyResolver<'a> {
    custom: &'a BTreeMap<String, Policy>,
    /// Every `[[policies]]` name, valid or not.
    defined: &'a BTreeMap<String, String>,
}

impl PolicyResolver<'_> {
    /// The attached policies: named ones in order, then the inline statements as `inline`.
    fn attached(
        &self,
        names: Vec<String>,
        inline: Vec<StatementV1>,
        path: &str,
        problems: &mut Vec<Problem>,
    ) -> Vec<Policy> {
        let n_attached = names.len() + usize::from(!inline.is_empty());
        if n_attached > limits::POLICIES_PER_PRINCIPAL_MAX {
            problems.push(Problem::rule(
                format!("{path}.policies"),
                format!(
                    "attaches {n_attached} policies (inline statements count as one); at most {} are allowed",
                    limits::POLICIES_PER_PRINCIPAL_MAX
                ),
            ));
        }
        let mut policies: Vec<Policy> = Vec::new();
        let mut seen = BTreeSet::new();
        for (idx, name) in names.into_iter().enumerate() {
            let name_path = format!("{path}.policies[{idx}]");
            if !seen.insert(name.clone()) {
                problems.push(Problem::rule(name_path, format!("= `{name}` is already attached")));
                continue;
            }
            if let Some(policy) = Policy::builtin(&name).or_else(|| self.custom.get(&name).cloned())
            {
                policies.push(policy);
            } else if !self.defined.contains_key(&name) {
                problems.push(Problem::rule(
                    name_path,
                    format!(
                        "= `{name}` names no policy; the built-in ones are {}, others must be defined in `[[policies]]` (names are case-sensitive)",
                        BUILTIN_POLICY_NAMES.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        if !inline.is_empty() {
            let statements = statements(inline, &format!("{path}.statements"), false, problems);
            policies.push(Policy {
                name: "inline".to_owned(),
                kind: PolicyKind::Inline,
                statements,
            });
        }
        policies
    }
}

fn user_of(
    user: UserV1,
    path: &str,
    account_paths: &BTreeMap<String, String>,
    user_names: &mut BTreeMap<(String, String), String>,
    resolver: &PolicyResolver<'_>,
    key_ids: &mut BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<User> {
    let n_problems = problems.len();
    let UserV1 { account, name, path: iam_path, access_keys: keys, policies, statements } = user;
    principal_identity(&account, &name, "user", path, account_paths, user_names, problems);
    let iam_path = iam_path_of(iam_path, path, problems);
    let access_keys = access_keys(keys, &format!("{path}.access_keys"), key_ids, problems);
    let policies = resolver.attached(policies, statements, path, problems);
    (problems.len() == n_problems).then(|| User {
        arn: format!("arn:aws:iam::{account}:user{iam_path}{name}"),
        user_id: derived_unique_id("AIDA", "user", &account, &name),
        account_id: account,
        name,
        path: iam_path,
        access_keys,
        policies,
    })
}

fn role_of(
    role: RoleV1,
    path: &str,
    account_paths: &BTreeMap<String, String>,
    role_names: &mut BTreeMap<(String, String), String>,
    resolver: &PolicyResolver<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Role> {
    let n_problems = problems.len();
    let RoleV1 { account, name, path: iam_path, policies, statements } = role;
    principal_identity(&account, &name, "role", path, account_paths, role_names, problems);
    let iam_path = iam_path_of(iam_path, path, problems);
    let policies = resolver.attached(policies, statements, path, problems);
    (problems.len() == n_problems).then(|| Role {
        arn: format!("arn:aws:iam::{account}:role{iam_path}{name}"),
        role_id: derived_unique_id("AROA", "role", &account, &name),
        account_id: account,
        name,
        path: iam_path,
        policies,
    })
}

/// Checks `account` and `name` of a user or role, and that the name is new in its account.
fn principal_identity(
    account: &str,
    name: &str,
    what: &str,
    path: &str,
    account_paths: &BTreeMap<String, String>,
    names: &mut BTreeMap<(String, String), String>,
    problems: &mut Vec<Problem>,
) {
    if !account_paths.contains_key(account) {
        problems.push(Problem::rule(
            format!("{path}.account"),
            format!("= `{account}` is not a configured account (see `[[accounts]]`)"),
        ));
    }
    let max =
        if what == "user" { limits::USER_NAME_CHARS_MAX } else { limits::ROLE_NAME_CHARS_MAX };
    if !is_iam_name(name, max) {
        problems.push(Problem::rule(
            format!("{path}.name"),
            format!("= `{name}` must be 1 to {max} characters of letters, digits and `+=,.@_-`"),
        ));
        return;
    }
    // IAM names are unique per account regardless of case.
    let key = (account.to_owned(), name.to_ascii_lowercase());
    if let Some(first) = names.get(&key) {
        problems.push(Problem::rule(
            format!("{path}.name"),
            format!("= `{name}` is already used in account `{account}` by `{first}` ({what} names ignore case)"),
        ));
    } else {
        names.insert(key, path.to_owned());
    }
}

fn iam_path_of(iam_path: Option<String>, path: &str, problems: &mut Vec<Problem>) -> String {
    let Some(iam_path) = iam_path else { return "/".to_owned() };
    let ok = iam_path.starts_with('/')
        && iam_path.ends_with('/')
        && iam_path.len() <= limits::PATH_CHARS_MAX
        && iam_path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !ok {
        problems.push(Problem::rule(
            format!("{path}.path"),
            format!(
                "= `{iam_path}` must start and end with `/` and be at most {} printable ASCII characters without spaces",
                limits::PATH_CHARS_MAX
            ),
        ));
    }
    iam_path
}

fn organization_of(
    organization: OrganizationV1,
    accounts: &[Account],
    account_paths: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Organization {
    let OrganizationV1 { id, management_account, member_accounts } = organization;
    if !is_organization_id(&id) {
        problems.push(Problem::rule(
            "organization.id",
            format!(
                "= `{id}` must be `o-` followed by {} to {} lowercase letters or digits",
                limits::ORGANIZATION_ID_SUFFIX_CHARS_MIN,
                limits::ORGANIZATION_ID_SUFFIX_CHARS_MAX
            ),
        ));
    }
    if !account_paths.contains_key(&management_account) {
        problems.push(Problem::rule(
            "organization.management_account",
            format!("= `{management_account}` is not a configured account (see `[[accounts]]`)"),
        ));
    }
    let member_accounts = match member_accounts {
        None => accounts
            .iter()
            .map(|account| account.id.clone())
            .filter(|id| *id != management_account)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        Some(members) => {
            let mut seen = BTreeSet::new();
            for (idx, member) in members.iter().enumerate() {
                let member_path = format!("organization.member_accounts[{idx}]");
                if *member == management_account {
                    problems.push(Problem::rule(
                        member_path,
                        format!(
                            "= `{member}` is the management account; it cannot also be a member"
                        ),
                    ));
                } else if !account_paths.contains_key(member) {
                    problems.push(Problem::rule(
                        member_path,
                        format!("= `{member}` is not a configured account (see `[[accounts]]`)"),
                    ));
                } else if !seen.insert(member.clone()) {
                    problems
                        .push(Problem::rule(member_path, format!("= `{member}` is listed twice")));
                }
            }
            members
        }
    };
    Organization { id, management_account, member_accounts }
}

fn is_account_id(text: &str) -> bool {
    text.len() == limits::ACCOUNT_ID_DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_access_key_id(text: &str) -> bool {
    text.strip_prefix("AKIA").is_some_and(|suffix| {
        suffix.len() == limits::ACCESS_KEY_ID_SUFFIX_CHARS
            && suffix.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    })
}

fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|suffix| {
        (limits::ORGANIZATION_ID_SUFFIX_CHARS_MIN..=limits::ORGANIZATION_ID_SUFFIX_CHARS_MAX)
            .contains(&suffix.len())
            && suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// IAM's name rule for users, roles and policies: `[\w+=,.@-]+`, ASCII only.
fn is_iam_name(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

#[cfg(test)]
mod tests;
