//! Ctrl-C (SIGINT) during training: the experiment stops before its next batch, saves
//! the epoch as it stands (`partial.ckpt`), exits with status 130 and a message naming
//! the `--resume` command; that command then finishes the epoch from the next batch and
//! the run from there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Starts `experiment` on synthetic data under `out`, with `extra` flags.
fn start(out: &Path, experiment: &str, extra: &[&str]) -> Child {
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args([experiment, "--synthetic"])
        .args(extra)
        .arg("--data-dir")
        .arg(&empty)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The run directory of `experiment` under `out`, once `ready` holds for it.
fn wait_for_run(out: &Path, experiment: &str, ready: impl Fn(&Path) -> bool) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let run = std::fs::read_dir(out.join(experiment))
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(|entry| entry.ok())
            .map(|entry| entry.path());
        if let Some(run) = run.filter(|r| ready(r)) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "{experiment}: not ready after 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Presses Ctrl-C in `child` and checks that it stopped as interrupted, naming `--resume
/// run` and the epoch it stopped in; returns its error output.
fn interrupt(child: Child, run: &Path, epoch: usize) -> String {
    let pid = i32::try_from(child.id()).unwrap();
    assert!(pid > 1);
    // SAFETY: kill(2) with our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !run.join("summary.json").exists(),
        "finished before the interrupt: the test lost the race"
    );
    assert_eq!(output.status.code(), Some(130), "{log}");
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
    let child = start(out, experiment, &[]);
    let run = wait_for_run(out, experiment, |r| {
        r.join("cnn/checkpoints/epoch-0001.ckpt").exists()
    });
    // The checkpoint file appears at its rename, a moment before epoch 2 starts; a Ctrl-C
    // in that moment stops cleanly after epoch 1 instead. Wait into epoch 2 (7 s here).
    std::thread::sleep(Duration::from_millis(1000));
    let log = interrupt(child, &run, 2);
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
    let child = start(out, experiment, &["--limit", "2048", "--set", "epochs=2"]);
    let steps_logged = |run: &Path| {
        std::fs::read_to_string(run.join("steps.jsonl")).map_or(0, |text| text.lines().count())
    };
    let run = wait_for_run(out, experiment, |r| steps_logged(r) >= 3);
    let log = interrupt(child, &run, 1);
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
