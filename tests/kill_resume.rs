//! SIGKILL at random moments during training, 20 times: after every kill each checkpoint
//! file on disk reads back intact (writes are temp file + fsync + rename), the newest
//! epoch never goes backwards, and `--resume` always continues; the run then finishes with
//! every epoch logged exactly once.
//!
//! The moments are random fractions of durations the test measures on this machine (the
//! time a run takes to make progress, the epoch time it logs), never fixed delays, so
//! twenty kills land on a fast machine as on a slow one.

mod common;

use common::{scaled, wait_for};
use ngvm::nn_core::train::{Checkpoint, checkpoint};
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EPOCHS: usize = 100;
const KILLS: usize = 20;
const EXPERIMENT: &str = "mlp/burn";

/// Starts the run, or resumes it when its directory exists.
fn start(out: &Path, empty: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ngvm"));
    match common::run_dir(out, EXPERIMENT) {
        Some(dir) => cmd.args([EXPERIMENT, "--resume"]).arg(dir),
        None => cmd
            .args([EXPERIMENT, "--synthetic", "--epochs", &EPOCHS.to_string()])
            .args(["--limit", &scaled(2_000, 128).to_string()])
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

/// The newest finished epoch on disk (0 is the initial checkpoint), if any.
fn newest(out: &Path) -> Option<usize> {
    let run = common::run_dir(out, EXPERIMENT)?;
    checkpoint::list(&run.join("checkpoints"))
        .last()
        .map(|(epoch, _)| *epoch)
}

/// The median epoch time the run has logged so far, in seconds.
fn median_epoch_seconds(out: &Path) -> Option<f64> {
    let run = common::run_dir(out, EXPERIMENT)?;
    let text = std::fs::read_to_string(run.join("metrics.jsonl")).ok()?;
    let mut seconds: Vec<f64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["seconds"].as_f64())
        .collect();
    seconds.sort_by(f64::total_cmp);
    seconds.get(seconds.len() / 2).copied()
}

/// Sleeps up to `span`, returning early once `stop` holds.
fn sleep_unless(span: Duration, stop: impl Fn() -> bool) {
    let until = Instant::now() + span;
    while Instant::now() < until && !stop() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn twenty_random_kills_never_corrupt_the_latest_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (out, empty) = (dir.path().join("runs"), dir.path().join("no-data"));
    std::fs::create_dir_all(&empty).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut newest_seen = 0;
    let mut time_to_progress: Option<Duration> = None;
    let (mut early, mut kills) = (0, 0);
    while kills < KILLS {
        let before = newest(&out);
        let mut child = start(&out, &empty);
        let spawned = Instant::now();
        let fraction: f64 = rng.random_range(0.0..1.0);
        match time_to_progress {
            // About one kill in three lands before the process has made progress: while
            // it starts, reads its checkpoint, or writes the initial one.
            Some(span) if rng.random_bool(0.3) => {
                early += 1;
                sleep_unless(span.mul_f64(fraction), || newest(&out) > before);
            }
            // The others land at a random point of the epoch after the first new
            // checkpoint, up to the writing of the next one; at most two epochs further.
            _ => {
                let progressed = wait_for("a new checkpoint after (re)starting", || {
                    if let Some(status) = child.try_wait().unwrap() {
                        panic!("the run ended ({status}) after {kills} kills, before the next");
                    }
                    newest(&out).filter(|&e| e >= 1 && Some(e) > before)
                });
                time_to_progress = Some(spawned.elapsed());
                let epoch = median_epoch_seconds(&out).expect("an epoch time in metrics.jsonl");
                sleep_unless(Duration::from_secs_f64(1.5 * epoch * fraction), || {
                    newest(&out) >= Some(progressed + 2)
                });
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended after {kills} kills, before the next: the test sized it wrong"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let Some(run) = common::run_dir(&out, EXPERIMENT) else {
            continue;
        };
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
            latest >= newest_seen,
            "kill {kills}: epoch {latest} after {newest_seen}"
        );
        newest_seen = latest;
    }
    eprintln!(
        "{kills} kills landed ({early} before the run made progress); the newest checkpoint \
         before the last resume: epoch {newest_seen}"
    );

    let status = start(&out, &empty).wait().unwrap();
    assert!(status.success());
    let run = common::run_dir(&out, EXPERIMENT).unwrap();
    assert!(run.join("summary.json").exists());
    let mut epochs = common::logged_train_epochs(&run);
    let logged = epochs.len();
    epochs.dedup();
    assert_eq!(logged, epochs.len(), "an epoch was logged twice");
    assert_eq!(epochs, (1..=EPOCHS as u64).collect::<Vec<_>>());
}
