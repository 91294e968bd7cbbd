//! Replacement and removal: the order of steps, the file whole at every failure point, and
//! the errors naming the step and the file.

use std::cell::{Cell, RefCell};

use super::*;

/// The real disk, recording each step and failing the step numbered `fail_at`.
#[derive(Default)]
struct FailingDisk {
    steps: RefCell<Vec<String>>,
    fail_at: Option<usize>,
    n_steps: Cell<usize>,
}

impl FailingDisk {
    fn step(&self, name: String) -> io::Result<()> {
        let step_idx = self.n_steps.get();
        self.n_steps.set(step_idx + 1);
        self.steps.borrow_mut().push(name);
        match self.fail_at == Some(step_idx) {
            true => Err(io::Error::other("injected")),
            false => Ok(()),
        }
    }
}

fn name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.display().to_string())
}

impl Disk for FailingDisk {
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.step(format!("write {}", name(path)))?;
        StdDisk::new().write_synced(path, bytes)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.step(format!("rename {} {}", name(from), name(to)))?;
        StdDisk::new().rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.step(format!("remove {}", name(path)))?;
        StdDisk::new().remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.step(format!("sync_dir {}", name(dir)))?;
        StdDisk::new().sync_dir(dir)
    }
}

#[test]
fn replace_writes_the_temp_file_then_renames_then_syncs_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    let disk = FailingDisk::default();
    replace_on(&disk, &path, b"one").unwrap();
    let dir_name = name(dir.path());
    assert_eq!(
        *disk.steps.borrow(),
        [
            "write state.tmp".to_owned(),
            "rename state.tmp state".into(),
            format!("sync_dir {dir_name}")
        ]
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"one");
    assert!(!temp_path(&path).exists());
    replace(&path, b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
}

#[test]
fn a_failure_at_any_step_leaves_the_old_or_the_new_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    for (fail_at, step, keeps_old) in
        [(0, Step::Write, true), (1, Step::Rename, true), (2, Step::SyncDir, false)]
    {
        replace(&path, b"old").unwrap();
        let disk = FailingDisk { fail_at: Some(fail_at), ..FailingDisk::default() };
        let err = replace_on(&disk, &path, b"new").unwrap_err();
        assert_eq!(err.step, step);
        let expected: &[u8] = if keeps_old { b"old" } else { b"new" };
        assert_eq!(std::fs::read(&path).unwrap(), expected, "failing step `{step}`");
    }
}

#[test]
fn errors_name_the_step_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("plan");
    let err = replace(&path, b"x").unwrap_err();
    assert_eq!((err.step, err.error.kind()), (Step::Write, io::ErrorKind::NotFound));
    let message = err.to_string();
    let expected = format!("cannot write `{}`: ", temp_path(&path).display());
    assert!(message.starts_with(&expected), "{message}");
}

#[test]
fn remove_syncs_the_directory_and_ignores_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spooled");
    replace(&path, b"x").unwrap();
    let disk = FailingDisk::default();
    assert!(remove_on(&disk, &path).unwrap());
    assert_eq!(disk.steps.borrow().len(), 2, "{:?}", disk.steps.borrow());
    assert!(!path.exists());
    assert!(!remove(&path).unwrap(), "already gone");
}

#[test]
fn a_bare_file_name_syncs_the_current_directory() {
    assert_eq!(parent_dir(Path::new("plan")), Path::new("."));
    assert_eq!(parent_dir(Path::new("/a/plan")), Path::new("/a"));
}

#[cfg(unix)]
#[test]
fn owner_only_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("admin.env");
    replace_on(&StdDisk::owner_only(), &path, b"secret").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
