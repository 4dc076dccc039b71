//! Ctrl-C (SIGINT) during training: the experiment stops before its next batch, saves
//! the epoch as it stands (`partial.ckpt`), exits with status 130 and a message naming
//! the `--resume` command; that command then finishes the epoch from the next batch and
//! the run from there.

mod common;

use common::{ErrorLog, scaled};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Starts `experiment` on synthetic data under `out`, with `extra` flags, to pause at
/// `pause_at` (`RUN@EPOCH:BATCH`, see `NGVM_PAUSE_AT`): the test interrupts it there,
/// whatever the machine's speed, once the run has said so.
fn start(out: &Path, experiment: &str, pause_at: &str, extra: &[&str]) -> (Child, ErrorLog) {
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args([experiment, "--synthetic"])
        .args(extra)
        .arg("--data-dir")
        .arg(&empty)
        .arg("--out")
        .arg(out)
        .env("NGVM_PAUSE_AT", pause_at)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = ErrorLog::of(&mut child);
    (child, log)
}

/// Waits until the run says it paused before batch `batch` of `epoch`; returns its
/// directory.
fn wait_for_pause(
    out: &Path,
    experiment: &str,
    log: &mut ErrorLog,
    epoch: usize,
    batch: usize,
) -> PathBuf {
    log.wait_for_line(&format!("paused before batch {batch} of epoch {epoch}"));
    common::run_dir(out, experiment).expect("a run directory")
}

/// Presses Ctrl-C in `child` and checks that it stopped as interrupted, naming `--resume
/// run` and the epoch it stopped in; returns its error output.
fn interrupt(child: Child, log: ErrorLog, run: &Path, epoch: usize) -> String {
    let mut child = child;
    let pid = i32::try_from(child.id()).unwrap();
    assert!(pid > 1);
    // SAFETY: kill(2) with our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let log = log.finish();
    assert!(
        !run.join("summary.json").exists(),
        "finished before the interrupt: {log}"
    );
    assert_eq!(status.code(), Some(130), "{log}");
    let resume = format!("resume with --resume {}\n", run.display());
    assert!(log.contains(&resume), "{log}");
    let stopped = format!("interrupted (Ctrl-C) in epoch {epoch} after");
    assert!(log.contains(&stopped), "{log}");
    log
}

/// `ngvm EXPERIMENT --resume run`, which must succeed and say it resumes mid-epoch.
fn resume(out: &Path, experiment: &str, run: &Path, epoch: usize) -> Output {
    let resumed = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args([experiment, "--resume"])
        .arg(run)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{log}");
    let from = format!("resuming in epoch {epoch} after batch");
    assert!(log.contains(&from), "{log}");
    assert!(run.join("summary.json").exists());
    resumed
}

#[test]
fn ctrl_c_saves_the_epoch_so_far_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let experiment = "cnn/fashion-mnist";
    let limit = scaled(2_000, 256).to_string();
    let (child, mut log) = start(
        out,
        experiment,
        "cnn/fashion-mnist [cnn]@2:1",
        &["--limit", &limit],
    );
    let run = wait_for_pause(out, experiment, &mut log, 2, 1);
    assert!(run.join("cnn/checkpoints/epoch-0001.ckpt").exists());
    let log = interrupt(child, log, &run, 2);
    assert!(log.contains("in epoch 2 after 1 of"), "{log}");
    assert!(run.join("cnn/checkpoints/partial.ckpt").exists(), "{log}");

    resume(out, experiment, &run, 2);
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
    let experiment = "gans/mlp-gan";
    let limit = scaled(2_048, 5 * 64).to_string();
    let (child, mut log) = start(
        out,
        experiment,
        "gans/mlp-gan@1:3",
        &["--limit", &limit, "--set", "epochs=2"],
    );
    let run = wait_for_pause(out, experiment, &mut log, 1, 3);
    let log = interrupt(child, log, &run, 1);
    assert!(run.join("checkpoints/partial.ckpt").exists(), "{log}");

    resume(out, experiment, &run, 1);
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
