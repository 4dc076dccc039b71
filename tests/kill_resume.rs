//! SIGKILL at random moments during training, 20 times: after every kill each checkpoint
//! file on disk reads back intact (writes are temp file + fsync + rename), the newest
//! epoch never goes backwards, and `--resume` always continues; the run then finishes with
//! every epoch logged exactly once.

use ngvm::nn_core::train::{Checkpoint, checkpoint};
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const EPOCHS: usize = 100;

fn run_dir(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out.join("mlp/burn"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .next()
}

/// Starts the run, or resumes it when its directory exists.
fn start(out: &Path, empty: &Path) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ngvm"));
    match run_dir(out) {
        Some(dir) => cmd.args(["mlp/burn", "--resume"]).arg(dir),
        None => cmd
            .args(["mlp/burn", "--synthetic", "--epochs", &EPOCHS.to_string()])
            .arg("--data-dir")
            .arg(empty),
    };
    cmd.arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn twenty_random_kills_never_corrupt_the_latest_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (out, empty) = (dir.path().join("runs"), dir.path().join("no-data"));
    std::fs::create_dir_all(&empty).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut newest = 0;
    let mut kills = 0;
    while kills < 20 {
        let mut child = start(&out, &empty);
        std::thread::sleep(Duration::from_millis(rng.random_range(50..1200)));
        if child.try_wait().unwrap().is_some() {
            break; // finished before this kill: the rest of the run has nothing to kill
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let Some(run) = run_dir(&out) else { continue };
        let files = checkpoint::list(&run.join("checkpoints"));
        for (epoch, path) in &files {
            let loaded = Checkpoint::load(path);
            assert!(
                loaded.is_ok(),
                "kill {kills}: {} is damaged: {:?}",
                path.display(),
                loaded.err()
            );
            assert_eq!(loaded.unwrap().epoch, *epoch);
        }
        let latest = files.last().map_or(0, |(epoch, _)| *epoch);
        assert!(
            latest >= newest,
            "kill {kills}: epoch {latest} after {newest}"
        );
        newest = latest;
    }
    eprintln!("{kills} kills landed; the newest checkpoint before the last resume: epoch {newest}");
    assert!(
        kills >= 10,
        "only {kills} kills landed before the run finished"
    );

    let status = start(&out, &empty).wait().unwrap();
    assert!(status.success());
    let run = run_dir(&out).unwrap();
    assert!(run.join("summary.json").exists());
    let mut epochs: Vec<u64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"split\":\"train\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let logged = epochs.len();
    epochs.dedup();
    assert_eq!(logged, epochs.len(), "an epoch was logged twice");
    assert_eq!(epochs, (1..=EPOCHS as u64).collect::<Vec<_>>());
}
