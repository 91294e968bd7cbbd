//! Project automation (`cargo xtask <task>`): `test` runs everything CI runs, installing what
//! the tests need first; `tidy` checks the repository's own rules.

#![allow(clippy::print_stderr, clippy::print_stdout)] // a command-line tool

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Crates that must stay free of IO: no tokio, no filesystem (ARCHITECTURE.md, invariants).
const PURE_CRATES: &[&str] = &[
    "awsjson",
    "cloudtrail-model",
    "event-generator",
    "filter-pattern",
    "integrity",
    "settings",
    "sigv4",
    "trail-selectors",
];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "tidy" => tidy(),
        "install-test-deps" => install_test_deps().map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  test               install test dependencies, then fmt, clippy, tidy and every test\n  tidy               check module docs and crate purity\n  install-test-deps  install the AWS CLI and boto3 (PyPI) into the cache directory"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// Where installs and build products are kept between runs: outside the clone.
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENTRAIL_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache/opentrail")
}

fn run(step: &str, cmd: &mut Command) -> Result {
    eprintln!("xtask: {step}: {cmd:?}");
    let status =
        cmd.current_dir(root()).status().map_err(|e| format!("{step}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{step} failed ({status})")) }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cmd.env("CARGO_TARGET_DIR", cache_dir().join("target"));
    }
    cmd
}

/// The shared test corpus (`shared/data/cloudtrail`): `OPENTRAIL_SHARED_DIR`, else `shared`
/// beside the checkout, else beside the repository this one was cloned from (a fresh clone
/// elsewhere, as CI makes, still finds it).
fn shared_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("OPENTRAIL_SHARED_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let has_corpus = |dir: &Path| dir.join("data/cloudtrail").is_dir();
    let beside = root().join("../shared");
    if has_corpus(&beside) {
        return Ok(beside);
    }
    let origin = Command::new("git")
        .args(["config", "--get", "remote.origin.url"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    if let Some(origin) = origin {
        let origin = PathBuf::from(origin.strip_prefix("file://").unwrap_or(&origin));
        let beside_origin = origin.join("../shared");
        if has_corpus(&beside_origin) {
            return Ok(beside_origin);
        }
    }
    Err(format!(
        "the shared test corpus is not at `{}` nor beside the repository this was cloned from; set OPENTRAIL_SHARED_DIR to the directory holding `data/cloudtrail`",
        beside.display()
    ))
}

fn test() -> Result {
    let shared = shared_dir()?;
    eprintln!("xtask: shared corpus: {}", shared.display());
    let venv = install_test_deps()?;
    run("format", cargo().args(["fmt", "--all", "--check"]))?;
    tidy()?;
    run("lint", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    path =
        std::env::join_paths(std::iter::once(venv.join("bin")).chain(std::env::split_paths(&path)))
            .map_err(|e| format!("build PATH: {e}"))?;
    // blob-store's S3 conformance suite runs against moto's server from the venv.
    let (mut n_passed, mut n_failed) = run_tests(
        cargo()
            .args(["test", "--workspace"])
            .env("PATH", &path)
            .env("OPENTRAIL_SHARED_DIR", &shared)
            .env("MOTO_SERVER_BIN", venv.join("bin/moto_server")),
    )?;
    // End-to-end: the real binary driven by the real AWS CLI and boto3.
    run("build the binary for end-to-end tests", cargo().args(["build", "-p", "opentrail"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("target"));
    let (e2e_passed, e2e_failed) = run_tests(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pytest", "tests/e2e", "-q", "-p", "no:cacheprovider"])
            .env("PATH", &path)
            .env("OPENTRAIL_SHARED_DIR", &shared)
            .env("OPENTRAIL_BIN", target.join("debug/opentrail")),
    )?;
    n_passed += e2e_passed;
    n_failed += e2e_failed;
    // The closing line CI reads: the totals over every test binary.
    println!("tests: {n_passed} passed, {n_failed} failed");
    if n_failed > 0 || n_passed == 0 {
        return Err(format!("{n_failed} tests failed, {n_passed} passed"));
    }
    Ok(())
}

/// Runs `cargo test`, echoing its output, and adds up the `test result:` lines.
fn run_tests(cmd: &mut Command) -> Result<(u64, u64)> {
    use std::io::BufRead as _;
    eprintln!("xtask: test: {cmd:?}");
    let mut child = cmd
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("test: cannot start: {e}"))?;
    let (mut n_passed, mut n_failed) = (0, 0);
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines().map_while(std::result::Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                n_passed += count_before(rest, " passed");
                n_failed += count_before(rest, " failed");
            } else if is_pytest_summary(&line) {
                n_passed += count_before(&line, " passed");
                n_failed += count_before(&line, " failed") + count_before(&line, " error");
            }
        }
    }
    let status = child.wait().map_err(|e| format!("test: {e}"))?;
    if !status.success() && n_failed == 0 {
        return Err(format!("test failed ({status})"));
    }
    Ok((n_passed, n_failed))
}

/// pytest's closing line: `12 passed, 1 xfailed in 3.21s`, or `… in 144.19s (0:02:24)` past a
/// minute (with `-q`, maybe between `=` signs): it starts with a count.
fn is_pytest_summary(line: &str) -> bool {
    let line = line.trim_matches(|c| c == '=' || c == ' ');
    line.starts_with(|c: char| c.is_ascii_digit())
        && line.contains(" in ")
        && (line.contains(" passed") || line.contains(" failed"))
}

/// In `ok. 17 passed; 0 failed; ...`, the number before `label`.
fn count_before(text: &str, label: &str) -> u64 {
    let Some(end) = text.find(label) else { return 0 };
    let start = text[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    text[start..end].parse().unwrap_or(0)
}

/// Installs the AWS CLI and boto3 from PyPI into a virtualenv in the cache directory (once);
/// returns the virtualenv.
fn install_test_deps() -> Result<PathBuf> {
    let venv = cache_dir().join("venv");
    let marker = venv.join(".opentrail-deps-4");
    if marker.exists() {
        return Ok(venv);
    }
    std::fs::create_dir_all(cache_dir()).map_err(|e| format!("create cache dir: {e}"))?;
    if !venv.join("bin/python").exists() {
        run("create python venv", Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(
        "install awscli, boto3, pytest and moto's S3 server from PyPI",
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "awscli",
            "boto3",
            "pytest",
            "moto[server]",
        ]),
    )?;
    std::fs::write(&marker, "awscli boto3 pytest moto[server]\n")
        .map_err(|e| format!("write {}: {e}", marker.display()))?;
    Ok(venv)
}

fn tidy() -> Result {
    let mut problems = Vec::new();
    let crates = root().join("crates");
    let mut files = Vec::new();
    collect_rs(&crates, &mut files);
    collect_rs(&root().join("xtask"), &mut files);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let is_module = !file.components().any(|c| c.as_os_str() == "tests")
            && file.file_name().is_some_and(|n| n != "tests.rs");
        if is_module && !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{}: must start with a `//!` line saying what it is for",
                file.display()
            ));
        }
    }
    for name in PURE_CRATES {
        let dir = crates.join(name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let deps = manifest.split("[dev-dependencies]").next().unwrap_or_default();
        if deps.contains("tokio") {
            problems.push(format!("{name}: a pure crate must not depend on tokio"));
        }
        let mut sources = Vec::new();
        collect_rs(&dir.join("src"), &mut sources);
        for file in sources {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains("std::fs") || text.contains("File::open") {
                problems.push(format!(
                    "{}: a pure crate must not touch the filesystem",
                    file.display()
                ));
            }
        }
    }
    if problems.is_empty() {
        eprintln!("xtask: tidy: {} files checked", files.len());
        Ok(())
    } else {
        Err(format!("tidy:\n  {}", problems.join("\n  ")))
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if !path.ends_with("target") {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
