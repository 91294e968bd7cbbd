//! End-to-end tests of the `opentrail` binary: run it as a user would.

mod bench;
mod client;
mod crash;
mod generate;
mod metrics;
mod serve;

use std::path::PathBuf;
use std::process::{Command, Output};

pub(crate) fn opentrail() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opentrail"))
}

pub(crate) fn run_ok(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("run opentrail");
    assert!(output.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// A fresh directory under the target dir, removed at the start of each use.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
