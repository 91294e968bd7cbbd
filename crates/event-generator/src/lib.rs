//! A deterministic generator of realistic CloudTrail records: many services and event names in
//! realistic proportions, every identity type, errors, console sign-ins, data events, several
//! accounts and regions, and a diurnal, weekly rhythm — plus an `attack` storyline that plants
//! the events each CIS AWS Foundations monitoring control looks for, at known times.
//!
//! Determinism: the output is a pure function of [`Config`]. Randomness comes from a seeded
//! ChaCha8 stream (portable across platforms), time advances in integer milliseconds, and no
//! floating point or hash-map iteration order is involved, so the same seed gives the same
//! bytes on every machine.
//!
//! This crate does no IO: it appends records to a caller's buffer.

mod catalog;
mod storyline;
mod writer;

use cloudtrail_model::EventId;
use cloudtrail_model::classify;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::catalog::{Agent, Kind, Op, PrincipalSpec, Profile, Session, Shape};
use crate::writer::Obj;

pub use crate::storyline::Planted;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Number of records, planted ones included.
    pub count: u64,
    /// Time of the first record.
    pub start_unix_seconds: i64,
    /// Average rate over a whole week; the hourly and weekday rhythm moves around it.
    pub events_per_second: u32,
    pub storyline: Storyline,
}

/// Extra events woven into the background traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storyline {
    None,
    /// An intrusion that touches every CIS monitoring control. The background then contains no
    /// event that a CIS filter matches, so the planted list is the complete ground truth.
    Attack,
    /// The attack storyline's background alone: realistic traffic in which no CIS filter
    /// matches any event (no root use, no policy or network changes, no denied calls, no
    /// console sign-ins without MFA). What "benign" means for alarm tests.
    Benign,
}

/// What one generated record was, for `--stats` and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub event_source: &'static str,
    pub event_name: &'static str,
    pub identity_type: &'static str,
    pub error_code: Option<&'static str>,
    pub event_category: &'static str,
    pub aws_region: &'static str,
    pub account_id: &'static str,
    pub planted: bool,
}

/// Relative traffic per hour of day (UTC): quiet nights, busy working hours.
const HOURLY_WEIGHT: [u64; 24] = [
    30, 25, 22, 20, 20, 25, 40, 70, 110, 140, 150, 150, 140, 150, 150, 145, 135, 115, 90, 70, 55,
    45, 38, 33,
];
/// Weekend traffic relative to weekdays, in percent.
const WEEKEND_PERCENT: u64 = 40;

/// The generator: call [`Generator::next_into`] until it returns `None`.
pub struct Generator {
    config: Config,
    rng: ChaCha8Rng,
    produced: u64,
    now_ms: i64,
    mean_gap_ms: u64,
    principals: Vec<Principal>,
    principal_weights: Vec<u64>,
    tables: Tables,
    story: storyline::Story,
    quiet: bool,
    regions: Weighted<&'static str>,
    /// `eventTime` text of the last second formatted, reused while the clock stays in it.
    time_cache: (i64, String),
    /// Text of the start of the current hour (session creation dates).
    hour_cache: (i64, String),
}

struct Tables {
    human: Weighted<&'static Op>,
    workload: Weighted<&'static Op>,
    ci: Weighted<&'static Op>,
    service: Weighted<&'static Op>,
    identity_center: Weighted<&'static Op>,
}

/// Items with cumulative weights, picked by binary search.
struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T: Copy> Weighted<T> {
    fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total += u64::from(weight);
            items.push(item);
            cumulative.push(total);
        }
        assert!(!items.is_empty(), "a weighted table needs at least one item");
        Weighted { items, cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> T {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = below(rng, total);
        let idx = self.cumulative.partition_point(|&c| c <= x);
        self.items[idx.min(self.items.len() - 1)]
    }
}

/// One principal in one account, with its stable identifiers.
pub(crate) struct Principal {
    pub(crate) spec: &'static PrincipalSpec,
    pub(crate) account_id: &'static str,
    pub(crate) unique_id: String,
    pub(crate) access_key_id: String,
    pub(crate) ip: String,
    /// `userIdentity.arn` (user, assumed-role session, root or federated user).
    arn: String,
    /// `userIdentity.principalId` of role sessions (`AROA…:session`).
    session_principal_id: String,
    /// `sessionContext.sessionIssuer.arn`.
    issuer_arn: String,
    session_name: String,
}

/// A uniform integer in `0..n` (n > 0), from the top bits of one draw.
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// `n` characters from `alphabet` (at most 64 symbols; ten characters per random draw, so
/// long tokens are cheap; the slight modulo bias does not matter for synthetic ids).
pub(crate) fn random_text(rng: &mut ChaCha8Rng, alphabet: &[u8], n: usize) -> String {
    debug_assert!(alphabet.len() <= 64);
    let mut out = String::with_capacity(n);
    let mut bits = 0u64;
    for idx in 0..n {
        if idx % 10 == 0 {
            bits = rng.next_u64();
        }
        out.push(alphabet[(bits & 63) as usize % alphabet.len()] as char);
        bits >>= 6;
    }
    out
}

pub(crate) const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub(crate) const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";

pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    EventId::from_random_bytes(bytes).into_string()
}

impl Generator {
    pub fn new(config: Config) -> Generator {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let quiet = matches!(config.storyline, Storyline::Attack | Storyline::Benign);
        let mut principals = Vec::new();
        let mut principal_weights = Vec::new();
        for (account_idx, (account_id, account_weight)) in catalog::ACCOUNTS.iter().enumerate() {
            for spec in catalog::PRINCIPALS {
                if quiet && spec.kind == Kind::Root {
                    continue;
                }
                let prefix = match spec.kind {
                    Kind::IamUser | Kind::Federated => "AIDA",
                    Kind::Role(_) => "AROA",
                    _ => "",
                };
                let unique_id = format!("{prefix}{}", random_text(&mut rng, KEY_CHARS, 17));
                let access_key_id = format!("AKIA{}", random_text(&mut rng, KEY_CHARS, 16));
                let ip = match (spec.kind, spec.agent) {
                    (Kind::Service, _) => spec.name.to_owned(),
                    (Kind::Role(Session::Ec2 | Session::Assumed), _) => {
                        format!(
                            "10.{}.{}.{}",
                            20 + account_idx,
                            below(&mut rng, 16),
                            4 + below(&mut rng, 250)
                        )
                    }
                    (_, Agent::Console | Agent::Cli) => {
                        format!("203.0.113.{}", 10 + below(&mut rng, 200))
                    }
                    _ => format!("198.51.100.{}", 10 + below(&mut rng, 200)),
                };
                let mut principal = Principal {
                    spec,
                    account_id,
                    unique_id,
                    access_key_id,
                    ip,
                    arn: String::new(),
                    session_principal_id: String::new(),
                    issuer_arn: String::new(),
                    session_name: String::new(),
                };
                principal.derive_names();
                principals.push(principal);
                principal_weights.push(u64::from(*account_weight) * u64::from(spec.weight));
            }
        }
        let table = |ops: &'static [Op]| {
            Weighted::new(
                ops.iter()
                    .filter(|op| !(quiet && catalog::is_cis_monitored_call(op.source, op.name)))
                    .map(|op| (op, op.weight)),
            )
        };
        let tables = Tables {
            human: table(catalog::HUMAN_OPS),
            workload: table(catalog::WORKLOAD_OPS),
            ci: table(catalog::CI_OPS),
            service: table(catalog::SERVICE_OPS),
            identity_center: table(catalog::IDENTITY_CENTER_OPS),
        };
        let mean_gap_ms = 1000 / u64::from(config.events_per_second.max(1)).min(1000);
        let story = storyline::Story::new(&config, &mut rng);
        Generator {
            now_ms: config.start_unix_seconds * 1000,
            config,
            rng,
            produced: 0,
            mean_gap_ms: mean_gap_ms.max(1),
            principals,
            principal_weights,
            tables,
            story,
            quiet,
            regions: Weighted::new(catalog::REGIONS.iter().map(|(r, w)| (*r, *w))),
            time_cache: (i64::MIN, String::new()),
            hour_cache: (i64::MIN, String::new()),
        }
    }

    /// Events planted so far (all of them once the generator is exhausted).
    pub fn planted(&self) -> &[Planted] {
        self.story.planted()
    }

    /// Appends the next record as compact JSON (no newline) and describes it; `None` when
    /// `count` records have been produced.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> Option<Summary> {
        if self.produced >= self.config.count {
            return None;
        }
        let index = self.produced;
        self.produced += 1;
        self.advance_clock();
        if let Some(step) = self.story.step_at(index) {
            return Some(self.story.write(step, index, self.now_ms / 1000, &mut self.rng, out));
        }
        Some(self.background(out))
    }

    /// Moves the clock by a random gap whose mean follows the hourly and weekday rhythm.
    fn advance_clock(&mut self) {
        let seconds = self.now_ms.div_euclid(1000);
        let (days, in_day) = cloudtrail_model::time::split_days(seconds);
        let hour = (in_day / 3600) as usize;
        // 1970-01-01 was a Thursday: day 2 and 3 of the week (Sat, Sun) are the weekend.
        let weekend = matches!((days + 3).rem_euclid(7), 5 | 6);
        let average: u64 = HOURLY_WEIGHT.iter().sum::<u64>() / 24;
        let mut weight = HOURLY_WEIGHT[hour] * 100;
        if weekend {
            weight = weight * WEEKEND_PERCENT / 100;
        }
        // Keep the weekly mean near `events_per_second`: weekdays run a little hotter.
        let week_average = average * (500 + 2 * WEEKEND_PERCENT) / 7;
        let mean_gap_us = self.mean_gap_ms * 1000 * week_average / weight.max(1);
        let gap_us = below(&mut self.rng, 2 * mean_gap_us + 1);
        self.now_ms += (gap_us / 1000) as i64;
    }

    fn background(&mut self, out: &mut Vec<u8>) -> Summary {
        let principal_idx = {
            let total: u64 = self.principal_weights.iter().sum();
            let mut x = below(&mut self.rng, total);
            let mut idx = 0;
            while x >= self.principal_weights[idx] {
                x -= self.principal_weights[idx];
                idx += 1;
            }
            idx
        };
        let spec = self.principals[principal_idx].spec;
        let op = match (spec.kind, spec.profile) {
            (Kind::IdentityCenter, _) => self.tables.identity_center.pick(&mut self.rng),
            (_, Profile::Human) => self.tables.human.pick(&mut self.rng),
            (_, Profile::Workload) => self.tables.workload.pick(&mut self.rng),
            (_, Profile::Ci) => self.tables.ci.pick(&mut self.rng),
            (_, Profile::Service) => self.tables.service.pick(&mut self.rng),
        };
        let region = if catalog::is_global_source(op.source) {
            "us-east-1"
        } else {
            self.regions.pick(&mut self.rng)
        };
        let error = if op.shape != Shape::ConsoleLogin
            && op.shape != Shape::ServiceEvent
            && below(&mut self.rng, 1000) < 25
        {
            let errors = catalog::errors_for(op.source);
            let n_allowed = errors
                .iter()
                .filter(|(code, _)| !(self.quiet && catalog::is_unauthorized_error(code)))
                .count();
            let pick = below(&mut self.rng, n_allowed as u64) as usize;
            errors
                .iter()
                .filter(|(code, _)| !(self.quiet && catalog::is_unauthorized_error(code)))
                .nth(pick)
                .copied()
        } else {
            None
        };
        let event =
            Event { principal: principal_idx, op, region, error, seconds: self.now_ms / 1000 };
        self.write_event(&event, out)
    }

    fn write_event(&mut self, event: &Event, out: &mut Vec<u8>) -> Summary {
        let principal = &self.principals[event.principal];
        let op = event.op;
        let rng = &mut self.rng;
        let data = classify::is_data_event(op.source, op.name) && op.shape != Shape::Bare;
        let console_login = op.shape == Shape::ConsoleLogin;
        let service_event = op.shape == Shape::ServiceEvent;
        let read_only = classify::is_read_only(op.source, op.name);
        let mut login_failed = false;
        let mut mfa_used = true;
        if console_login && !self.quiet {
            let roll = below(rng, 100);
            login_failed = roll < 7;
            mfa_used = !(7..15).contains(&roll);
        }
        let identity_type = identity_type_name(principal, op);
        if self.time_cache.0 != event.seconds {
            self.time_cache =
                (event.seconds, cloudtrail_model::time::format_unix_seconds(event.seconds));
        }
        let event_time = &self.time_cache.1;
        let hour_start = event.seconds - event.seconds.rem_euclid(3600);
        if self.hour_cache.0 != hour_start {
            self.hour_cache = (hour_start, cloudtrail_model::time::format_unix_seconds(hour_start));
        }
        let version = match op.source {
            "signin.amazonaws.com" => "1.09",
            "s3.amazonaws.com" => "1.10",
            _ => "1.11",
        };
        let category = if data { "Data" } else { "Management" };
        let subject = Subject::choose(op, principal.account_id, rng);
        let ctx = RecordContext {
            principal,
            op,
            region: event.region,
            seconds: event.seconds,
            subject,
            session_created: &self.hour_cache.1,
        };
        writer::object(out, |o| {
            o.str("eventVersion", version);
            o.obj("userIdentity", |u| write_identity(u, &ctx, rng, login_failed));
            o.str("eventTime", event_time);
            o.str("eventSource", op.source);
            o.str("eventName", op.name);
            o.str("awsRegion", event.region);
            o.str("sourceIPAddress", &principal.ip);
            o.str("userAgent", user_agent(principal.spec, op));
            if let Some((code, message)) = event.error {
                o.str("errorCode", code);
                o.str("errorMessage", message);
            }
            if login_failed {
                o.str("errorMessage", "Failed authentication");
            }
            write_payload(o, &ctx, rng, event.error.is_some(), login_failed, mfa_used);
            if !console_login {
                if op.source == "s3.amazonaws.com" {
                    o.str("requestID", &random_text(rng, UPPER_ALNUM, 16));
                } else {
                    o.str("requestID", &uuid(rng));
                }
            }
            o.str("eventID", &uuid(rng));
            o.bool("readOnly", read_only);
            write_resources(o, &ctx);
            o.str(
                "eventType",
                if console_login {
                    "AwsConsoleSignIn"
                } else if service_event {
                    "AwsServiceEvent"
                } else {
                    "AwsApiCall"
                },
            );
            o.bool("managementEvent", !data);
            o.str("recipientAccountId", principal.account_id);
            if data && principal.spec.name == "app-server" {
                o.str("vpcEndpointId", "vpce-0a1b2c3d4e5f6a7b8");
                o.str("vpcEndpointAccountId", principal.account_id);
            }
            o.str("eventCategory", category);
            if principal.spec.kind != Kind::Service && !service_event {
                o.obj("tlsDetails", |t| {
                    t.str("tlsVersion", "TLSv1.3");
                    t.str("cipherSuite", "TLS_AES_128_GCM_SHA256");
                    t.str("clientProvidedHostHeader", &host_header(op.source, event.region));
                });
            }
            if principal.spec.agent == Agent::Console
                && !console_login
                && principal.spec.kind != Kind::IdentityCenter
            {
                o.str("sessionCredentialFromConsole", "true");
            }
        });
        Summary {
            event_source: op.source,
            event_name: op.name,
            identity_type,
            error_code: event.error.map(|(code, _)| code),
            event_category: category,
            aws_region: event.region,
            account_id: principal.account_id,
            planted: false,
        }
    }
}

struct Event {
    principal: usize,
    op: &'static Op,
    region: &'static str,
    error: Option<(&'static str, &'static str)>,
    seconds: i64,
}

pub(crate) struct RecordContext<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) op: &'a Op,
    pub(crate) region: &'static str,
    pub(crate) seconds: i64,
    subject: Subject,
    /// `creationDate` of the current sessions: the start of the hour.
    session_created: &'a str,
}

/// The resources one call touches, drawn once so parameters and `resources` agree.
#[derive(Default)]
struct Subject {
    bucket: String,
    key: String,
    function: &'static str,
    table: &'static str,
}

impl Subject {
    fn choose(op: &Op, account_id: &str, rng: &mut ChaCha8Rng) -> Subject {
        let mut subject = Subject::default();
        match op.shape {
            Shape::S3Object | Shape::S3Bucket => {
                let base = BUCKETS[below(rng, BUCKETS.len() as u64) as usize];
                subject.bucket = format!("{base}-{}", &account_id[8..]);
                if op.shape == Shape::S3Object {
                    subject.key = object_key(rng, &subject.bucket);
                }
            }
            Shape::LambdaInvoke | Shape::LambdaFunction => {
                subject.function = FUNCTIONS[below(rng, FUNCTIONS.len() as u64) as usize];
            }
            Shape::DynamoItem | Shape::DynamoTable => {
                subject.table = TABLES[below(rng, TABLES.len() as u64) as usize];
            }
            _ => {}
        }
        subject
    }
}

impl Principal {
    fn derive_names(&mut self) {
        let account = self.account_id;
        let name = self.spec.name;
        match self.spec.kind {
            Kind::IamUser => self.arn = format!("arn:aws:iam::{account}:user/{name}"),
            Kind::Role(session) => {
                self.session_name = session_name(self, session);
                self.arn =
                    format!("arn:aws:sts::{account}:assumed-role/{name}/{}", self.session_name);
                self.session_principal_id = format!("{}:{}", self.unique_id, self.session_name);
                self.issuer_arn = role_arn(self, session);
            }
            Kind::Root => self.arn = format!("arn:aws:iam::{account}:root"),
            Kind::Federated => {
                self.arn = format!("arn:aws:sts::{account}:federated-user/{name}");
                self.issuer_arn = format!("arn:aws:iam::{account}:user/jenkins-broker");
            }
            Kind::Service | Kind::IdentityCenter => {}
        }
    }
}

fn identity_type_name(principal: &Principal, op: &Op) -> &'static str {
    match op.shape {
        Shape::AssumeRoleWithWebIdentity => return "WebIdentityUser",
        Shape::AssumeRoleWithSaml => return "SAMLUser",
        _ => {}
    }
    match principal.spec.kind {
        Kind::IamUser => "IAMUser",
        Kind::Role(_) => "AssumedRole",
        Kind::Root => "Root",
        Kind::Service => "AWSService",
        Kind::Federated => "FederatedUser",
        Kind::IdentityCenter => "IdentityCenterUser",
    }
}

fn session_name(principal: &Principal, session: Session) -> String {
    let tail = &principal.unique_id[principal.unique_id.len() - 6..];
    match session {
        Session::Ec2 => format!("i-0{}", tail.to_ascii_lowercase()),
        Session::Lambda => principal.spec.name.to_owned(),
        Session::WebIdentity => format!("gha-{}", tail.to_ascii_lowercase()),
        Session::Sso => "alice@example.com".to_owned(),
        Session::Assumed => format!("{}-{}", principal.spec.name, tail.to_ascii_lowercase()),
    }
}

fn role_arn(principal: &Principal, session: Session) -> String {
    match session {
        Session::Sso => format!(
            "arn:aws:iam::{}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{}",
            principal.account_id, principal.spec.name
        ),
        _ => format!("arn:aws:iam::{}:role/{}", principal.account_id, principal.spec.name),
    }
}

/// Temporary access key id, stable for an hour per principal (sessions last about that long).
fn session_key(principal: &Principal, seconds: i64) -> String {
    let mut x = (seconds / 3600) as u64
        ^ principal.unique_id.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b));
    let mut key = String::with_capacity(20);
    key.push_str("ASIA");
    for _ in 0..16 {
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x632B_E59B_D9B4_E019);
        key.push(KEY_CHARS[(x >> 59) as usize] as char);
    }
    key
}

/// The `sessionContext` of a console sign-in session of an IAM user or the root user: no
/// issuer, MFA used.
fn console_session_context(u: &mut Obj<'_>, ctx: &RecordContext<'_>) {
    u.obj("sessionContext", |s| {
        s.obj("sessionIssuer", |_| {});
        s.obj("webIdFederationData", |_| {});
        session_attributes(s, ctx.session_created, true);
    });
}

/// `arn`, `accountId`, `accessKeyId` and `sessionContext` of a temporary session that
/// `issuer_type` `issuer_name` issued; `context` writes the rest of `sessionContext`, after its
/// `sessionIssuer`.
fn issued_session(
    u: &mut Obj<'_>,
    ctx: &RecordContext<'_>,
    issuer_type: &str,
    issuer_name: &str,
    context: impl FnOnce(&mut Obj<'_>),
) {
    let principal = ctx.principal;
    let account = principal.account_id;
    u.str("arn", &principal.arn);
    u.str("accountId", account);
    u.str("accessKeyId", &session_key(principal, ctx.seconds));
    u.obj("sessionContext", |s| {
        s.obj("sessionIssuer", |i| {
            i.str("type", issuer_type);
            i.str("principalId", &principal.unique_id);
            i.str("arn", &principal.issuer_arn);
            i.str("accountId", account);
            i.str("userName", issuer_name);
        });
        context(s);
    });
}

fn session_attributes(o: &mut Obj<'_>, created: &str, mfa: bool) {
    o.obj("attributes", |a| {
        a.str("creationDate", created);
        a.str("mfaAuthenticated", if mfa { "true" } else { "false" });
    });
}

fn write_identity(
    u: &mut Obj<'_>,
    ctx: &RecordContext<'_>,
    rng: &mut ChaCha8Rng,
    login_failed: bool,
) {
    let principal = ctx.principal;
    let account = principal.account_id;
    // Who calls AssumeRoleWithWebIdentity / AssumeRoleWithSAML: a user of the identity
    // provider, (type, principalId, userName, identityProvider).
    let provider_user = match ctx.op.shape {
        Shape::AssumeRoleWithWebIdentity => Some((
            "WebIdentityUser",
            "token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/orders-service:ref:refs/heads/main",
            "repo:acme/orders-service:ref:refs/heads/main",
            "token.actions.githubusercontent.com",
        )),
        Shape::AssumeRoleWithSaml => Some((
            "SAMLUser",
            "SAMLUser:https://idp.example.com/saml:alice@example.com",
            "alice@example.com",
            "https://idp.example.com/saml",
        )),
        _ => None,
    };
    if let Some((identity_type, principal_id, user_name, identity_provider)) = provider_user {
        u.str("type", identity_type);
        u.str("principalId", principal_id);
        u.str("userName", user_name);
        u.str("identityProvider", identity_provider);
        return;
    }
    let console = principal.spec.agent == Agent::Console;
    match principal.spec.kind {
        Kind::IamUser => {
            u.str("type", "IAMUser");
            u.str("principalId", &principal.unique_id);
            if !login_failed {
                u.str("arn", &principal.arn);
            }
            u.str("accountId", account);
            if ctx.op.shape == Shape::ConsoleLogin {
                u.str("accessKeyId", "");
            } else if console {
                u.str("accessKeyId", &session_key(principal, ctx.seconds));
            } else {
                u.str("accessKeyId", &principal.access_key_id);
            }
            u.str("userName", principal.spec.name);
            if console && ctx.op.shape != Shape::ConsoleLogin {
                console_session_context(u, ctx);
            }
        }
        Kind::Role(session) => {
            let name = &principal.session_name;
            u.str("type", "AssumedRole");
            u.str("principalId", &principal.session_principal_id);
            issued_session(u, ctx, "Role", principal.spec.name, |s| {
                s.obj("webIdFederationData", |w| {
                    if session == Session::WebIdentity {
                        w.str("federatedProvider", &format!("arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"));
                        w.obj("attributes", |_| {});
                    }
                });
                session_attributes(s, ctx.session_created, false);
                if session == Session::Ec2 {
                    s.str("ec2RoleDelivery", "2.0");
                }
            });
            let region = ctx.region;
            let in_scope_of = match session {
                Session::Ec2 => Some((
                    "AWS::EC2::Instance",
                    format!("arn:aws:ec2:{region}:{account}:instance/{name}"),
                )),
                Session::Lambda => Some((
                    "AWS::Lambda::Function",
                    format!("arn:aws:lambda:{region}:{account}:function:{name}"),
                )),
                _ => None,
            };
            if let Some((issuer_type, issued_to)) = in_scope_of {
                u.obj("inScopeOf", |i| {
                    i.str("issuerType", issuer_type);
                    i.str("credentialsIssuedTo", &issued_to);
                });
            }
        }
        Kind::Root => {
            u.str("type", "Root");
            u.str("principalId", account);
            u.str("arn", &principal.arn);
            u.str("accountId", account);
            if ctx.op.shape == Shape::ConsoleLogin {
                u.str("accessKeyId", "");
            } else {
                u.str("accessKeyId", &session_key(principal, ctx.seconds));
                console_session_context(u, ctx);
            }
        }
        Kind::Service => {
            u.str("type", "AWSService");
            u.str("invokedBy", principal.spec.name);
        }
        Kind::Federated => {
            u.str("type", "FederatedUser");
            u.str("principalId", &format!("{account}:{}", principal.spec.name));
            issued_session(u, ctx, "IAMUser", "jenkins-broker", |s| {
                s.obj("webIdFederationData", |_| {});
                session_attributes(s, ctx.session_created, false);
            });
        }
        Kind::IdentityCenter => {
            u.str("type", "IdentityCenterUser");
            u.str("accountId", account);
            u.obj("onBehalfOf", |b| {
                b.str("userId", "94482488-3041-7026-18f3-be45837cd0e4");
                b.str(
                    "identityStoreArn",
                    &format!("arn:aws:identitystore::{account}:identitystore/d-9067642ac7"),
                );
            });
            u.str("credentialId", &random_text(rng, UPPER_ALNUM, 20));
        }
    }
}

fn user_agent(spec: &PrincipalSpec, op: &Op) -> &'static str {
    if op.shape == Shape::ConsoleLogin {
        return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    }
    match spec.agent {
        Agent::Cli => {
            "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard"
        }
        Agent::Console => "AWS Internal",
        Agent::SdkJava => {
            "aws-sdk-java/2.29.15 Linux/6.1.115 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard"
        }
        Agent::SdkPython => {
            "Boto3/1.35.68 md/Botocore#1.35.68 ua/2.0 os/linux#6.1.115 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.68"
        }
        Agent::SdkNode => {
            "aws-sdk-js/3.699.0 ua/2.1 os/linux#5.10.228 lang/js md/nodejs#20.18.0 api/dynamodb#3.699.0 exec-env/AWS_Lambda_nodejs20.x"
        }
        Agent::Terraform => {
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.78.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.5 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64"
        }
        Agent::AwsService => spec.name,
    }
}

fn host_header(source: &str, region: &str) -> String {
    let service = source.trim_end_matches(".amazonaws.com");
    match service {
        "iam" | "organizations" | "cloudfront" | "route53" => format!("{service}.amazonaws.com"),
        "signin" => "signin.aws.amazon.com".to_owned(),
        _ => format!("{service}.{region}.amazonaws.com"),
    }
}

const BUCKETS: &[&str] = &["acme-invoices", "acme-static-assets", "acme-data-lake", "acme-backups"];
const TABLES: &[&str] = &["orders", "customers", "sessions"];
const FUNCTIONS: &[&str] = &["orders-handler", "thumbnailer", "nightly-report"];

fn object_key(rng: &mut ChaCha8Rng, bucket: &str) -> String {
    let n = below(rng, 100_000);
    if bucket.starts_with("acme-invoices") {
        format!("2026/11/INV-{n:05}.pdf")
    } else if bucket.starts_with("acme-static-assets") {
        format!("assets/img/{n}.webp")
    } else if bucket.starts_with("acme-data-lake") {
        format!("raw/events/dt=2026-11-{:02}/part-{n:05}.parquet", 1 + n % 28)
    } else {
        format!("db/snapshots/{n:05}.tar.zst")
    }
}

fn write_payload(
    o: &mut Obj<'_>,
    ctx: &RecordContext<'_>,
    rng: &mut ChaCha8Rng,
    failed: bool,
    login_failed: bool,
    mfa_used: bool,
) {
    let account = ctx.principal.account_id;
    let region = ctx.region;
    let read_only = classify::is_read_only(ctx.op.source, ctx.op.name);
    match ctx.op.shape {
        Shape::ConsoleLogin => {
            o.null("requestParameters");
            o.obj("responseElements", |r| {
                r.str("ConsoleLogin", if login_failed { "Failure" } else { "Success" })
            });
            o.obj("additionalEventData", |a| {
                a.str(
                    "LoginTo",
                    "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                );
                a.str("MobileVersion", "No");
                if mfa_used {
                    a.str(
                        "MFAIdentifier",
                        &format!("arn:aws:iam::{account}:mfa/{}", ctx.principal.spec.name),
                    );
                }
                a.str("MFAUsed", if mfa_used { "Yes" } else { "No" });
            });
        }
        Shape::S3Object => {
            let (bucket, key) = (&ctx.subject.bucket, &ctx.subject.key);
            o.obj("requestParameters", |p| {
                p.str("bucketName", bucket);
                p.str("Host", &format!("{bucket}.s3.{region}.amazonaws.com"));
                p.str("key", key);
            });
            if ctx.op.name == "PutObject" && !failed {
                o.obj("responseElements", |r| r.str("x-amz-server-side-encryption", "aws:kms"));
            } else {
                o.null("responseElements");
            }
            let bytes = if failed { 0 } else { 512 + below(rng, 4_000_000) };
            o.obj("additionalEventData", |a| {
                a.str("SignatureVersion", "SigV4");
                a.str("CipherSuite", "TLS_AES_128_GCM_SHA256");
                a.num("bytesTransferredIn", if read_only { 0 } else { bytes });
                a.str("AuthenticationMethod", "AuthHeader");
                a.str(
                    "x-amz-id-2",
                    &random_text(
                        rng,
                        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                        56,
                    ),
                );
                a.num("bytesTransferredOut", if read_only { bytes } else { 0 });
            });
        }
        Shape::S3Bucket => {
            let bucket = &ctx.subject.bucket;
            let sub_resource = match ctx.op.name {
                "GetBucketPolicy" | "PutBucketPolicy" => Some("policy"),
                "GetBucketAcl" => Some("acl"),
                "GetBucketLocation" => Some("location"),
                "GetBucketVersioning" => Some("versioning"),
                "PutBucketTagging" => Some("tagging"),
                _ => None,
            };
            request_only(o, |p| {
                p.str("bucketName", bucket);
                p.str("Host", &format!("{bucket}.s3.{region}.amazonaws.com"));
                if let Some(sub_resource) = sub_resource {
                    p.str(sub_resource, "");
                }
            });
            o.obj("additionalEventData", |a| {
                a.str("SignatureVersion", "SigV4");
                a.str("CipherSuite", "TLS_AES_128_GCM_SHA256");
                a.num("bytesTransferredIn", 0);
                a.str("AuthenticationMethod", "AuthHeader");
                a.num("bytesTransferredOut", 0);
            });
        }
        Shape::LambdaInvoke => {
            let arn =
                format!("arn:aws:lambda:{region}:{account}:function:{}", ctx.subject.function);
            request_only(o, |p| p.str("functionName", &arn));
            o.obj("additionalEventData", |a| a.str("functionVersion", &format!("{arn}:$LATEST")));
        }
        Shape::DynamoItem => {
            let table = ctx.subject.table;
            let id = uuid(rng);
            request_only(o, |p| {
                p.str("tableName", table);
                if ctx.op.name == "Query" {
                    p.str("keyConditionExpression", "pk = :pk");
                } else {
                    p.obj("key", |k| k.str("pk", &id));
                }
            });
        }
        Shape::KmsKey => {
            let key_id = format!(
                "arn:aws:kms:{region}:{account}:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a{:02}",
                below(rng, 4)
            );
            request_only(o, |p| {
                p.str("keyId", &key_id);
                if ctx.op.name != "DescribeKey" {
                    p.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                }
            });
        }
        Shape::AssumeRole => {
            let target = if below(rng, 2) == 0 { "orders-handler" } else { "app-server" };
            let session = format!("{}-{}", target, random_text(rng, HEX, 8));
            write_assume_role(o, ctx, rng, failed, target, &session);
        }
        Shape::AssumeRoleWithWebIdentity | Shape::AssumeRoleWithSaml => {
            let target = if ctx.op.shape == Shape::AssumeRoleWithSaml {
                "AWSReservedSSO_ReadOnlyAccess_9a8b7c6d5e4f3a2b"
            } else {
                "ci-deployer"
            };
            let session = if ctx.op.shape == Shape::AssumeRoleWithSaml {
                "alice@example.com".to_owned()
            } else {
                format!("gha-{}", random_text(rng, HEX, 6))
            };
            write_assume_role(o, ctx, rng, failed, target, &session);
        }
        Shape::Ec2Instance | Shape::RunInstances => {
            let instance = format!("i-0{}", random_text(rng, HEX, 16));
            o.obj("requestParameters", |p| {
                p.obj("instancesSet", |s| {
                    s.arr("items", |items| items.obj(|i| i.str("instanceId", &instance)))
                });
            });
            if read_only || failed {
                o.null("responseElements");
            } else {
                o.obj("responseElements", |r| {
                    r.str("requestId", &uuid(rng));
                    r.obj("instancesSet", |s| {
                        s.arr("items", |items| items.obj(|i| i.str("instanceId", &instance)))
                    });
                });
            }
        }
        Shape::SecurityGroup | Shape::Vpc => {
            request_only(o, |p| {
                p.str("groupId", &format!("sg-0{}", random_text(rng, HEX, 16)));
            });
        }
        Shape::IamUser => {
            request_only(o, |p| {
                p.str("userName", ["alice", "bob", "carol", "ci-bot"][below(rng, 4) as usize])
            });
        }
        Shape::IamRole => {
            request_only(o, |p| {
                p.str(
                    "roleName",
                    ["app-server", "orders-handler", "ci-deployer"][below(rng, 3) as usize],
                )
            });
        }
        Shape::IamPolicy => {
            request_only(o, |p| {
                p.str("policyArn", &format!("arn:aws:iam::{account}:policy/orders-service-access"))
            });
        }
        Shape::DynamoTable => {
            request_only(o, |p| p.str("tableName", ctx.subject.table));
        }
        Shape::Secret => {
            request_only(o, |p| {
                p.str(
                    "secretId",
                    &format!(
                        "arn:aws:secretsmanager:{region}:{account}:secret:prod/orders/db-AbCdEf"
                    ),
                )
            });
        }
        Shape::Parameter => {
            request_only(o, |p| {
                p.str("name", "/prod/orders/feature-flags");
                p.bool("withDecryption", true);
            });
        }
        Shape::LogGroup => {
            request_only(o, |p| p.str("logGroupName", "/aws/lambda/orders-handler"));
        }
        Shape::Trail => {
            request_only(o, |p| {
                p.str(
                    "name",
                    &format!("arn:aws:cloudtrail:us-east-1:{account}:trail/management-events"),
                )
            });
        }
        Shape::ConfigRecorder => {
            request_only(o, |p| p.obj("configurationRecorder", |c| c.str("name", "default")));
        }
        Shape::LambdaFunction => {
            request_only(o, |p| p.str("functionName", ctx.subject.function));
        }
        Shape::Paged => {
            request_only(o, |p| p.num("maxResults", [50, 100, 1000][below(rng, 3) as usize]));
        }
        Shape::Organization | Shape::Bare => {
            o.null("requestParameters");
            o.null("responseElements");
        }
        Shape::ServiceEvent => {
            o.null("requestParameters");
            o.null("responseElements");
            o.obj("serviceEventDetails", |d| {
                d.str("keyId", "5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00")
            });
        }
    }
}

/// The `requestParameters` that `params` writes, and no `responseElements`.
fn request_only(o: &mut Obj<'_>, params: impl FnOnce(&mut Obj<'_>)) {
    o.obj("requestParameters", params);
    o.null("responseElements");
}

/// The request and response of an AssumeRole call (any of its kinds) for session `session`
/// of role `role`: the temporary credentials, none when the call `failed`.
fn write_assume_role(
    o: &mut Obj<'_>,
    ctx: &RecordContext<'_>,
    rng: &mut ChaCha8Rng,
    failed: bool,
    role: &str,
    session: &str,
) {
    let account = ctx.principal.account_id;
    o.obj("requestParameters", |p| {
        p.str("roleArn", &format!("arn:aws:iam::{account}:role/{role}"));
        p.str("roleSessionName", session);
        p.num("durationSeconds", 3600);
    });
    if failed {
        o.null("responseElements");
        return;
    }
    o.obj("responseElements", |r| {
        r.obj("credentials", |c| {
            c.str("accessKeyId", &format!("ASIA{}", random_text(rng, KEY_CHARS, 16)));
            c.str(
                "sessionToken",
                &random_text(
                    rng,
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                    64,
                ),
            );
            c.str(
                "expiration",
                &cloudtrail_model::time::format_unix_seconds(ctx.seconds + 3600)
                    .replace('T', " ")
                    .replace('Z', ""),
            );
        });
        r.obj("assumedRoleUser", |a| {
            a.str("assumedRoleId", &format!("AROA{}:{session}", random_text(rng, KEY_CHARS, 17)));
            a.str("arn", &format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"));
        });
    });
}

fn write_resources(o: &mut Obj<'_>, ctx: &RecordContext<'_>) {
    let account = ctx.principal.account_id;
    let region = ctx.region;
    // (accountId, type, ARN) of each resource; the S3 object names no account.
    let owned = |resource_type, arn| vec![(Some(account), resource_type, arn)];
    let resources: Vec<(Option<&str>, &str, String)> = match ctx.op.shape {
        Shape::S3Object => {
            let (bucket, key) = (&ctx.subject.bucket, &ctx.subject.key);
            vec![
                (None, "AWS::S3::Object", format!("arn:aws:s3:::{bucket}/{key}")),
                (Some(account), "AWS::S3::Bucket", format!("arn:aws:s3:::{bucket}")),
            ]
        }
        Shape::LambdaInvoke => {
            let function = ctx.subject.function;
            let arn = format!("arn:aws:lambda:{region}:{account}:function:{function}");
            owned("AWS::Lambda::Function", arn)
        }
        Shape::DynamoItem | Shape::DynamoTable => {
            let table = ctx.subject.table;
            owned(
                "AWS::DynamoDB::Table",
                format!("arn:aws:dynamodb:{region}:{account}:table/{table}"),
            )
        }
        Shape::KmsKey | Shape::ServiceEvent if ctx.op.source == "kms.amazonaws.com" => owned(
            "AWS::KMS::Key",
            format!("arn:aws:kms:{region}:{account}:key/5c2a7e1f-9d4b-4e83-a6f0-3b8d2c1e7a00"),
        ),
        Shape::AssumeRole | Shape::AssumeRoleWithWebIdentity | Shape::AssumeRoleWithSaml => {
            owned("AWS::IAM::Role", format!("arn:aws:iam::{account}:role/app-server"))
        }
        _ => return,
    };
    o.arr("resources", |a| {
        for (account_id, resource_type, arn) in &resources {
            a.obj(|r| {
                if let Some(account_id) = account_id {
                    r.str("accountId", account_id);
                }
                r.str("type", resource_type);
                r.str("ARN", arn);
            });
        }
    });
}

#[cfg(test)]
mod tests;
