//! `opentrail gen`: writes generated records as NDJSON or a log-file body, the planted
//! storyline events beside them, and optionally the mix on stderr.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use cloudtrail_model::EventTime;
use event_generator::{Config, Generator, Storyline, Summary};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{GenArgs, GenFormat, StorylineArg};

pub(crate) fn run(args: GenArgs) -> anyhow::Result<()> {
    let start = EventTime::parse(&args.start).context("read `--start`")?;
    if args.events_per_second == 0 || args.events_per_second > 1000 {
        bail!("`--events-per-second` must be between 1 and 1000, got {}", args.events_per_second);
    }
    let storyline = match args.storyline {
        StorylineArg::None => Storyline::None,
        StorylineArg::Attack => Storyline::Attack,
        StorylineArg::Benign => Storyline::Benign,
    };
    let planted_path: Option<PathBuf> = match (storyline, &args.planted, &args.output) {
        (Storyline::Attack, Some(path), _) => Some(path.clone()),
        (Storyline::Attack, None, Some(output)) => {
            let mut name = output.as_os_str().to_owned();
            name.push(".planted.json");
            Some(name.into())
        }
        (Storyline::Attack, None, None) => bail!(
            "`--storyline attack` lists the planted events in a file: pass `--planted FILE` or `--output FILE`"
        ),
        (Storyline::None | Storyline::Benign, Some(_), _) => {
            bail!("`--planted` needs `--storyline attack`")
        }
        (Storyline::None | Storyline::Benign, None, _) => None,
    };
    let config = Config {
        seed: args.seed,
        count: args.count,
        start_unix_seconds: start.unix_seconds,
        events_per_second: args.events_per_second,
        storyline,
    };

    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path)
                .with_context(|| format!("create output file `{}`", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let progress = ProgressBar::new(args.count);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} generating {pos}/{len} records [{elapsed_precise}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if args.output.is_none() {
        // Records go to stdout; keep the terminal clean unless stderr is separate.
        progress.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    }

    let mut generator = Generator::new(config);
    let mut stats = Stats::default();
    let mut record = Vec::with_capacity(4096);
    let mut n_written = 0u64;
    if args.format == GenFormat::Logfile {
        out.write_all(b"{\"Records\":[")?;
    }
    while let Some(summary) = generator.next_into(&mut record) {
        if args.format == GenFormat::Logfile && n_written > 0 {
            out.write_all(b",")?;
        }
        out.write_all(&record).context("write record")?;
        if args.format == GenFormat::Ndjson {
            out.write_all(b"\n")?;
        }
        record.clear();
        n_written += 1;
        if args.stats {
            stats.add(&summary);
        }
        if n_written.is_multiple_of(8192) {
            progress.set_position(n_written);
        }
    }
    if args.format == GenFormat::Logfile {
        out.write_all(b"]}\n")?;
    }
    out.flush().context("flush output")?;
    progress.finish_and_clear();

    if let Some(path) = planted_path {
        let mut text = format!(
            "{{\"seed\":{},\"count\":{},\"start\":\"{}\",\"storyline\":\"attack\",\"planted\":[\n",
            args.seed, args.count, args.start
        );
        for (idx, planted) in generator.planted().iter().enumerate() {
            text.push_str(&planted.to_json());
            text.push_str(if idx + 1 < generator.planted().len() { ",\n" } else { "\n" });
        }
        text.push_str("]}\n");
        std::fs::write(&path, text)
            .with_context(|| format!("write planted events to `{}`", path.display()))?;
        tracing::info!(path = %path.display(), n_planted = generator.planted().len(), "planted events listed");
    }
    if args.stats {
        let mut stderr = std::io::stderr().lock();
        stats.print(&mut stderr)?;
    }
    Ok(())
}

/// Counts of the generated mix.
#[derive(Default)]
struct Stats {
    total: u64,
    by: [BTreeMap<&'static str, u64>; 7],
}

const STAT_NAMES: [&str; 7] = [
    "eventSource",
    "eventName",
    "userIdentity.type",
    "errorCode",
    "eventCategory",
    "awsRegion",
    "recipientAccountId",
];

impl Stats {
    fn add(&mut self, s: &Summary) {
        self.total += 1;
        let keys = [
            s.event_source,
            s.event_name,
            s.identity_type,
            s.error_code.unwrap_or("(none)"),
            s.event_category,
            s.aws_region,
            s.account_id,
        ];
        for (map, key) in self.by.iter_mut().zip(keys) {
            *map.entry(key).or_default() += 1;
        }
    }

    fn print(&self, w: &mut impl Write) -> std::io::Result<()> {
        writeln!(w, "{} records", self.total)?;
        for (name, map) in STAT_NAMES.iter().zip(&self.by) {
            let mut rows: Vec<(&&str, &u64)> = map.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            writeln!(w, "\n{name} ({} distinct)", rows.len())?;
            for (key, n) in rows.iter().take(25) {
                let permille = **n * 1000 / self.total.max(1);
                writeln!(w, "  {:>9} {:>3}.{}%  {key}", n, permille / 10, permille % 10)?;
            }
            if rows.len() > 25 {
                writeln!(w, "  … {} more", rows.len() - 25)?;
            }
        }
        Ok(())
    }
}
