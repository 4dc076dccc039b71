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

/// The GAN loop (two optimisers, a per-step log) interrupted in the middle of its first
/// epoch: the resumed run logs every step exactly once, in order, and each epoch once.
#[test]
fn ctrl_c_mid_epoch_in_a_gan_keeps_every_step_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["gans/mlp-gan", "--synthetic", "--limit", "2048"])
        .args(["--set", "epochs=2", "--data-dir"])
        .arg(&empty)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runs = out.join("gans/mlp-gan");
    let steps_logged = |run: &Path| {
        std::fs::read_to_string(run.join("steps.jsonl")).map_or(0, |text| text.lines().count())
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    let run = loop {
        let run = std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(|e| e.ok())
            .map(|e| e.path());
        if let Some(run) = run.filter(|r| steps_logged(r) >= 3) {
            break run;
        }
        assert!(
            Instant::now() < deadline,
            "no steps logged after 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let pid = i32::try_from(child.id()).unwrap();
    assert!(pid > 1);
    // SAFETY: kill(2) with our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{log}");
    assert!(
        log.contains("interrupted (Ctrl-C) in epoch 1 after"),
        "{log}"
    );
    assert!(run.join("checkpoints/partial.ckpt").exists(), "{log}");

    let resumed = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["gans/mlp-gan", "--resume"])
        .arg(&run)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{log}");
    assert!(log.contains("resuming in epoch 1 after batch"), "{log}");
    let logged: Vec<(u64, u64)> = std::fs::read_to_string(run.join("steps.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| (v["epoch"].as_u64().unwrap(), v["step"].as_u64().unwrap()))
        .collect();
    let steps: Vec<u64> = logged.iter().map(|(_, step)| *step).collect();
    let in_epoch = |e: u64| logged.iter().filter(|(epoch, _)| *epoch == e).count();
    assert_eq!(
        steps,
        (1..=steps.len() as u64).collect::<Vec<u64>>(),
        "each step once, in order"
    );
    assert!(in_epoch(1) > 3, "{logged:?}");
    assert_eq!(in_epoch(1), in_epoch(2), "{logged:?}");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 2, "{metrics}");
}
