//! A disk that fills up during training: the run stops with an error that says the disk is
//! full and what to do, every checkpoint already written still reads back, no temp file is
//! left, and `--resume` finishes the run once there is space. The full disk is a 5 MiB
//! tmpfs mounted for the test (needs root, as CI runs; elsewhere the test says it skipped).
//! A read-only output folder is refused before anything runs, naming `--out`.

mod common;

use ngvm::nn_core::train::{Checkpoint, checkpoint};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Unmounts the test's tmpfs even when an assertion fails.
struct Mount(PathBuf);

impl Mount {
    fn new(dir: &Path, options: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_cleanly_and_resume_finishes_later() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    // An mlp/burn checkpoint (model + Adam state) is about 1.9 MB: the third does not fit.
    let Some(mount) = Mount::new(&disk, "size=5m") else {
        test_support::skip(
            test_support::Need::Root,
            "cannot mount a tmpfs here (needs root); the full-disk case is untested",
        );
        return;
    };
    let empty = dir.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let out = disk.join("runs");
    let output = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["mlp/burn", "--synthetic", "--epochs", "4"])
        .args([
            "--limit",
            &common::scaled(2_000, 128).to_string(),
            "--data-dir",
        ])
        .arg(&empty)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the disk was big enough: {log}");
    assert!(log.contains("the disk is full"), "{log}");

    let run: PathBuf = std::fs::read_dir(out.join("mlp/burn"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .next()
        .unwrap();
    let checkpoints = run.join("checkpoints");
    let files = checkpoint::list(&checkpoints);
    assert!(!files.is_empty(), "no checkpoint fitted at all: {log}");
    for (_, path) in &files {
        assert!(Checkpoint::load(path).is_ok(), "{} damaged", path.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(&checkpoints)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    mount.resize("64m");
    let resumed = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["mlp/burn", "--resume"])
        .arg(&run)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{log}");
    assert!(log.contains("resuming after epoch"), "{log}");
    assert!(run.join("summary.json").exists());
}

#[test]
fn a_read_only_output_folder_is_named_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("ro");
    std::fs::create_dir_all(&disk).unwrap();
    let Some(_mount) = Mount::new(&disk, "ro,size=1m") else {
        test_support::skip(
            test_support::Need::Root,
            "cannot mount a tmpfs here (needs root); the read-only case is untested",
        );
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["mlp/perceptron", "--out"])
        .arg(&disk)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{log}");
    assert!(
        log.contains("Read-only file system")
            && log.contains("point --out at a folder you can write to"),
        "{log}"
    );
}
