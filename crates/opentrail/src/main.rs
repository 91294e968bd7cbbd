//! The `opentrail` binary: the only place that reads argv, the environment and config files.
//! It parses the command line (`cli`), then hands validated settings to the library crates.

mod alarms_setup;
mod bench;
mod bench_alarms;
mod bench_delivery;
mod bench_history;
mod bench_ingest;
mod bench_validate;
mod bootstrap;
mod cli;
mod cloudtrail_client;
mod generate;
mod lookup;
mod serve;
mod validate_logs;
mod wal_dump;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the ingest path allocates many small strings per record; glibc malloc spent a
/// tenth of the server's CPU there under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 success, 1 the command failed (message on stderr), 2 bad command line.
fn main() -> ExitCode {
    let args = cli::Args::parse();
    cli::init_logging(args.verbose, args.quiet);
    let result = match args.command {
        cli::Command::Gen(gen_args) => generate::run(gen_args),
        cli::Command::Serve(serve_args) => serve::run(serve_args),
        cli::Command::Lookup(lookup_args) => lookup::run(lookup_args),
        cli::Command::Bench(bench_args) => bench::run(bench_args),
        cli::Command::Wal(wal_args) => match wal_args.command {
            cli::WalCommand::Dump(dump_args) => wal_dump::run(dump_args),
        },
        cli::Command::ValidateLogs(validate_args) => {
            match validate_logs::run(validate_args, args.verbose > 0) {
                // Something is invalid: the report says what; exit 1 as the AWS CLI does.
                Ok(false) => return ExitCode::from(1),
                Ok(true) => Ok(()),
                Err(err) => Err(err),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// `opentrail gen | head` closing the pipe early is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
