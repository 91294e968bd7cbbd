//! The command-line grammar (clap derive) and logging setup; nothing here does the work.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "opentrail",
    version,
    about = "A self-hosted audit trail that behaves like AWS CloudTrail"
)]
pub(crate) struct Args {
    /// More log output (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Only errors in the log output.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Generate realistic CloudTrail records (deterministic for a given seed).
    Gen(GenArgs),
    /// Run the OpenTrail service.
    Serve(ServeArgs),
    /// Measure throughput of OpenTrail's building blocks.
    Bench(BenchArgs),
    /// Inspect the write-ahead log.
    Wal(WalArgs),
    /// Event history (LookupEvents) of a running OpenTrail: who did what, newest first.
    Lookup(LookupArgs),
    /// Validate a trail's log files and digests (the options of `aws cloudtrail validate-logs`),
    /// through the CloudTrail and S3 APIs or straight from a data directory.
    ValidateLogs(ValidateLogsArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct ValidateLogsArgs {
    /// The trail's ARN.
    #[arg(long)]
    pub(crate) trail_arn: String,
    /// Start of the range (UTC): `2026-11-21T10:00:00Z`, `2026-11-21`, or Unix seconds.
    #[arg(long)]
    pub(crate) start_time: String,
    /// End of the range (UTC) [default: now].
    #[arg(long)]
    pub(crate) end_time: Option<String>,
    /// The bucket holding the digests (skips asking CloudTrail for the trail, as AWS does).
    #[arg(long)]
    pub(crate) s3_bucket: Option<String>,
    /// The trail's S3 key prefix (with `--s3-bucket`).
    #[arg(long)]
    pub(crate) s3_prefix: Option<String>,
    /// The account in the key path [default: the ARN's account]; the member account for an
    /// organization trail.
    #[arg(long)]
    pub(crate) account_id: Option<String>,
    /// Read the trail, keys and buckets of this data directory directly (no server needed).
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
    /// The region whose digests are checked [default: AWS_REGION, AWS_DEFAULT_REGION, else the
    /// trail's home region].
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The CloudTrail endpoint [default: AWS_ENDPOINT_URL_CLOUDTRAIL, else AWS_ENDPOINT_URL];
    /// S3 is AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
    #[arg(long)]
    pub(crate) endpoint_url: Option<String>,
    /// `text` (the AWS CLI's report) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub(crate) output: String,
    /// Reads in flight at once.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: usize,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("attribute").multiple(false)))]
pub(crate) struct LookupArgs {
    /// Events with this `eventID`.
    #[arg(long, group = "attribute")]
    pub(crate) event_id: Option<String>,
    /// Events of this API call (`eventName`), e.g. `ConsoleLogin`.
    #[arg(long, group = "attribute")]
    pub(crate) event_name: Option<String>,
    /// Only read-only (`true`) or only changing (`false`) calls.
    #[arg(long, group = "attribute", value_parser = ["true", "false"])]
    pub(crate) read_only: Option<String>,
    /// Events by this user: IAM user name, role session name, or `root`.
    #[arg(long, group = "attribute")]
    pub(crate) username: Option<String>,
    /// Events touching this resource type, e.g. `AWS::S3::Bucket`.
    #[arg(long, group = "attribute")]
    pub(crate) resource_type: Option<String>,
    /// Events touching this resource (name or ARN).
    #[arg(long, group = "attribute")]
    pub(crate) resource_name: Option<String>,
    /// Events of this service, e.g. `iam.amazonaws.com`.
    #[arg(long, group = "attribute")]
    pub(crate) event_source: Option<String>,
    /// Events signed with this access key.
    #[arg(long, group = "attribute")]
    pub(crate) access_key_id: Option<String>,
    /// Oldest event time (UTC): `2026-11-21T10:00:00Z`, `2026-11-21`, or Unix seconds.
    #[arg(long)]
    pub(crate) start_time: Option<String>,
    /// Newest event time (UTC), same forms.
    #[arg(long)]
    pub(crate) end_time: Option<String>,
    /// Insights events instead of management events.
    #[arg(long)]
    pub(crate) insight: bool,
    /// Stop after this many events (0: all of them).
    #[arg(long, default_value_t = 50)]
    pub(crate) max_items: usize,
    /// `table` (one line per event) or `json` (the API's `Events`, with `CloudTrailEvent` as
    /// JSON, one per line).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub(crate) output: String,
    /// The region whose history is read [default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1].
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// OpenTrail's address [default: AWS_ENDPOINT_URL_CLOUDTRAIL, else AWS_ENDPOINT_URL].
    #[arg(long)]
    pub(crate) endpoint_url: Option<String>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct WalArgs {
    #[command(subcommand)]
    pub(crate) command: WalCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum WalCommand {
    /// Print every stored record as NDJSON (safe while the server runs).
    Dump(WalDumpArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct WalDumpArgs {
    /// The data directory of `opentrail serve`.
    #[arg(long, env = "OPENTRAIL_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Wrap each record with its WAL position, kind, ingestion time and event id.
    #[arg(long)]
    pub(crate) with_envelope: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct GenArgs {
    /// Number of records to generate (planted storyline events included).
    #[arg(long, default_value_t = 1000)]
    pub(crate) count: u64,
    /// Seed of the random stream: the same seed gives the same bytes on every machine.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Time of the first event (`YYYY-MM-DDTHH:MM:SSZ`).
    #[arg(long, default_value = "2026-11-02T00:00:00Z")]
    pub(crate) start: String,
    /// Average events per second over a week (the hourly and weekday rhythm moves around it).
    #[arg(long, default_value_t = 10)]
    pub(crate) events_per_second: u32,
    /// Output shape: one record per line, or a CloudTrail log-file body `{"Records":[...]}`.
    #[arg(long, value_enum, default_value_t = GenFormat::Ndjson)]
    pub(crate) format: GenFormat,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Weave a storyline into the background traffic.
    #[arg(long, value_enum, default_value_t = StorylineArg::None)]
    pub(crate) storyline: StorylineArg,
    /// Where to list the planted storyline events (default: `<output>.planted.json`).
    #[arg(long)]
    pub(crate) planted: Option<PathBuf>,
    /// Print the mix (services, event names, identities, errors, categories) to stderr.
    #[arg(long)]
    pub(crate) stats: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GenFormat {
    Ndjson,
    Logfile,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StorylineArg {
    /// Realistic traffic (with its everyday root use, policy changes and denied calls).
    None,
    /// Benign background plus a planted intrusion touching every CIS control.
    Attack,
    /// The attack's background alone: nothing any CIS filter matches.
    Benign,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Configuration file (`opentrail.toml`: accounts, users, keys, policies, organization).
    #[arg(long, env = "OPENTRAIL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on [default: the config file's `listen`, else 127.0.0.1:9471].
    #[arg(long, env = "OPENTRAIL_LISTEN")]
    pub(crate) listen: Option<SocketAddr>,
    /// Directory for all state (default: `$XDG_DATA_HOME/opentrail` or `~/.local/share/opentrail`).
    #[arg(long, env = "OPENTRAIL_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Region of the account created on first start (requests carry their own region)
    /// [default: the config file's `region`, else us-east-1].
    #[arg(long, env = "OPENTRAIL_REGION")]
    pub(crate) region: Option<String>,
    /// How long a log file collects events before it is delivered (AWS: about 5 minutes):
    /// `60s`, `2s`, `500ms`, `5m` [default: the config file's `delivery_interval`, else 60s].
    #[arg(long, env = "OPENTRAIL_DELIVERY_INTERVAL", value_parser = parse_duration)]
    pub(crate) delivery_interval: Option<std::time::Duration>,
    /// How often each validating trail's signed digest closes (AWS: one hour): `1h`, `5s`;
    /// whole seconds, 1s to 24h [default: the config file's `digest_interval`, else 1h].
    #[arg(long, env = "OPENTRAIL_DIGEST_INTERVAL", value_parser = parse_digest_interval)]
    pub(crate) digest_interval: Option<std::time::Duration>,
    /// How long event history (LookupEvents) keeps events: `90d`, `12h`, `30s`; 10 s to 3650 days
    /// [default: the config file's `history_retention`, else 90d as AWS].
    #[arg(long, env = "OPENTRAIL_HISTORY_RETENTION", value_parser = parse_retention)]
    pub(crate) history_retention: Option<std::time::Duration>,
    /// Refuse new events (503) while the data directory's file system has less free space.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub(crate) disk_free_bytes_min: u64,
    /// Create no default trail at the first start (as `default_trail = false` in the
    /// configuration file).
    #[arg(long)]
    pub(crate) no_default_trail: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    #[command(subcommand)]
    pub(crate) target: BenchTarget,
}

#[derive(Subcommand, Debug)]
pub(crate) enum BenchTarget {
    /// Parse, serialise and validate records: the shared corpus and generated records.
    Model {
        /// Directory holding the corpus (`records/*.ndjson`); default: `../shared/data/cloudtrail`.
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// How many generated records to measure on.
        #[arg(long, default_value_t = 200_000)]
        records: u64,
    },
    /// Sustained ingest through a real server (fsync on): events/s and acknowledgement latency
    /// for each combination of concurrent clients and batch size.
    Ingest {
        /// Concurrent clients, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
        clients: Vec<usize>,
        /// Events per request, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,100")]
        batch: Vec<usize>,
        /// Seconds measured per combination (after one second of warm-up).
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Offered load in events/s, spread evenly over the clients (0: as fast as possible).
        /// Latency at a fixed rate below saturation is what producers see in practice.
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Data directory of the server (default: a fresh directory under the system temp dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Another `opentrail` executable (say, the previous commit's) whose server is measured
        /// in the same run, alternating with this one, each on a fresh data directory.
        #[arg(long)]
        compare_with: Option<PathBuf>,
        /// Measurements of each combination (per server, alternating when comparing).
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
    /// Log delivery: throughput of the consumer draining a pre-filled WAL into gzip files
    /// (in process), and acknowledgement-to-visible latency through a real server.
    Delivery {
        /// Events in the throughput run.
        #[arg(long, default_value_t = 200_000)]
        events: u64,
        /// The server's `--delivery-interval` in the latency run.
        #[arg(long, value_parser = parse_duration, default_value = "2s")]
        interval: std::time::Duration,
        /// Offered load in events/s in the latency run.
        #[arg(long, default_value_t = 2000)]
        rate: u64,
        /// Seconds of load in the latency run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Directory for both runs' data (default: a fresh directory under the system temp dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Wall time of `opentrail validate-logs` against `aws cloudtrail validate-logs` on the same
    /// trail of a real server (one region, `--delivery-interval 100ms`, `--digest-interval 1s`).
    ValidateLogs {
        /// Seconds of traffic: about 10 log files and 1 digest per second.
        #[arg(long, default_value_t = 28)]
        seconds: u64,
        /// The AWS CLI to compare with.
        #[arg(long, default_value = "aws")]
        aws: String,
        /// Directory for the server's data (default: a fresh directory under the system temp dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Event history at scale, in process: filing rate, index bytes per event, and LookupEvents
    /// first-page and deep-page latency for every lookup attribute.
    History {
        /// Management events to file (generated over the last 88 days).
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Directory for the index (default: a fresh directory under the system temp dir,
        /// removed afterwards).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Metric filters and alarms: filter throughput with the whole CIS pack (one thread), and
    /// acknowledgement-to-webhook latency through a real server.
    Alarms {
        /// Generated events through the filters.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Probe events in the latency run (each trips its own alarm).
        #[arg(long, default_value_t = 200)]
        probes: usize,
    },
    /// Generate records into memory on one thread.
    Gen {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
    },
}

/// Whole seconds from 1 s to 24 h: digest names carry second-precision times.
fn parse_digest_interval(text: &str) -> Result<std::time::Duration, String> {
    let duration = settings::parse_duration(text)?;
    if duration.subsec_millis() != 0 {
        return Err(format!("`{text}`: the digest interval must be whole seconds"));
    }
    if !(1..=86_400).contains(&duration.as_secs()) {
        return Err(format!("`{text}`: the digest interval must be between 1s and 24h"));
    }
    Ok(duration)
}

/// 10 s to 3650 days.
fn parse_retention(text: &str) -> Result<std::time::Duration, String> {
    let duration = settings::parse_duration(text)?;
    let millis = duration.as_millis() as u64;
    if !(settings::limits::HISTORY_RETENTION_MS_MIN..=settings::limits::HISTORY_RETENTION_MS_MAX)
        .contains(&millis)
    {
        return Err(format!("`{text}`: the history retention must be between 10s and 3650d"));
    }
    Ok(duration)
}

/// `500ms`, `2s`, `5m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = settings::parse_duration(text)?;
    if duration.is_zero() {
        return Err("the delivery interval must be longer than zero".into());
    }
    Ok(duration)
}

/// Logs go to stderr; `-v`/`-q` or `RUST_LOG` choose the level.
pub(crate) fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a terminal: a log file or journal gets plain `key=value` text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
