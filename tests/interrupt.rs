//! Ctrl-C (SIGINT) during training: the experiment stops before its next batch, saves
//! the epoch as it stands (`partial.ckpt`), exits with status 130 and a message naming
//! the `--resume` command; that command then finishes the epoch from the next batch and
//! the run from there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ngvm(out: &Path) -> Command {
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ngvm"));
    cmd.args(["cnn/fashion-mnist", "--synthetic", "--data-dir"])
        .arg(&empty)
        .arg("--out")
        .arg(out);
    cmd
}

fn run_dir(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out.join("cnn/fashion-mnist"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .next()
}

#[test]
fn ctrl_c_saves_the_epoch_so_far_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let child = ngvm(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let run = loop {
        if let Some(run) =
            run_dir(out).filter(|r| r.join("cnn/checkpoints/epoch-0001.ckpt").exists())
        {
            break run;
        }
        assert!(Instant::now() < deadline, "no checkpoint after 10 minutes");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The checkpoint file appears at its rename, a moment before epoch 2 starts; a Ctrl-C
    // in that moment stops cleanly after epoch 1 instead. Wait into epoch 2 (7 s here).
    std::thread::sleep(Duration::from_millis(1000));
    let pid = i32::try_from(child.id()).unwrap();
    assert!(pid > 1);
    // SAFETY: kill(2) with our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        !run.join("summary.json").exists(),
        "finished before the interrupt: the test lost the race"
    );
    assert_eq!(output.status.code(), Some(130), "{log}");
    let resume = format!("resume with --resume {}\n", run.display());
    assert!(log.contains(&resume), "{log}");
    assert!(
        log.contains("interrupted (Ctrl-C) in epoch 2 after"),
        "{log}"
    );
    assert!(run.join("cnn/checkpoints/partial.ckpt").exists(), "{log}");

    let resumed = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["cnn/fashion-mnist", "--resume"])
        .arg(&run)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{log}");
    assert!(log.contains("resuming in epoch 2 after batch"), "{log}");
    assert!(run.join("summary.json").exists());
    assert!(!run.join("cnn/checkpoints/partial.ckpt").exists());
    let metrics = std::fs::read_to_string(run.join("cnn/metrics.jsonl")).unwrap();
    for epoch in 1..=2 {
        let lines = metrics
            .lines()
            .filter(|l| l.contains(&format!("\"epoch\":{epoch},")) && l.contains("\"train\""))
            .count();
        assert_eq!(lines, 1, "epoch {epoch} logged {lines} times:\n{metrics}");
    }
}
