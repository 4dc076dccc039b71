//! One experiment of the course end to end on wgpu: `mlp/burn` (quick preset, a seeded
//! `--limit`), stopped as Ctrl-C would stop it once its first epoch's checkpoint is on
//! disk, then continued with `--resume`; it must finish every epoch once and reach what an
//! uninterrupted wgpu run reaches. (An MLP: lavapipe runs convolutions at a few images per
//! second, so a CNN experiment would take minutes here; the families test convolutions.)

use crate::{pair, turn};
use clap::Parser;
use ngvm::nn_core::experiment::{CommonArgs, run_experiment};
use ngvm::nn_core::train::interrupt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const EXPERIMENT: &str = "mlp/burn";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: CommonArgs,
}

/// The flags as `ngvm mlp/burn FLAGS` would parse them.
fn args(flags: &[String]) -> CommonArgs {
    Cli::try_parse_from(std::iter::once("ngvm".to_string()).chain(flags.iter().cloned()))
        .unwrap()
        .args
}

/// Real Fashion-MNIST when a data folder has it, else the synthetic stand-in (a test never
/// downloads; a failure where `NGVM_REQUIRE` names `data`).
fn data_flags(empty: &Path) -> Vec<String> {
    match test_support::find_data("fashion-mnist") {
        Some(dir) => vec!["--data-dir".into(), dir.display().to_string()],
        None => {
            test_support::skip(
                test_support::Need::Data,
                "real Fashion-MNIST not found; the wgpu run uses the synthetic stand-in",
            );
            vec![
                "--synthetic".into(),
                "--data-dir".into(),
                empty.display().to_string(),
            ]
        }
    }
}

fn fresh(out: &Path, empty: &Path) -> Vec<String> {
    let mut flags: Vec<String> = [
        "--preset",
        "quick",
        "--limit",
        "384",
        "--epochs",
        "3",
        "--backend",
        "wgpu",
    ]
    .map(String::from)
    .to_vec();
    flags.extend(data_flags(empty));
    flags.extend(["--out".into(), out.display().to_string()]);
    flags
}

/// The one run directory under `out` (`out/mlp/burn/<start time>`).
fn run_dir(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out.join(EXPERIMENT))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
}

/// `(epoch, split, loss)` of every line of a run's `metrics.jsonl`.
fn metrics(run: &Path) -> Vec<(u64, String, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|v| {
            Some((
                v["epoch"].as_u64()?,
                v["split"].as_str()?.to_string(),
                v["loss"].as_f64()?,
            ))
        })
        .collect()
}

fn summary(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn an_experiment_on_wgpu_stops_after_a_checkpoint_and_resumes_to_the_same_end() {
    if pair().is_none() {
        return;
    }
    let _turn = turn();
    let registry = ngvm::registry();
    let experiment = registry.find(EXPERIMENT).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();

    // Uninterrupted.
    let whole_out = dir.path().join("whole");
    run_experiment(experiment, &args(&fresh(&whole_out, &empty))).unwrap();
    let whole = run_dir(&whole_out).unwrap();

    // Stopped once epoch 1's checkpoint is written (an observed event, not a delay).
    let out = dir.path().join("stopped");
    let watched = out.clone();
    let finished = Arc::new(AtomicBool::new(false));
    let run_over = finished.clone();
    let watcher = std::thread::spawn(move || {
        while !run_over.load(Ordering::SeqCst) {
            if let Some(run) = run_dir(&watched)
                && run.join("checkpoints/epoch-0001.ckpt").exists()
            {
                interrupt::request();
                return true;
            }
            // A poll interval, not a wait for progress: the loop ends on the observed file
            // or when the run returns, however fast or slow the machine is.
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    });
    let stopped = run_experiment(experiment, &args(&fresh(&out, &empty)));
    finished.store(true, Ordering::SeqCst);
    assert!(
        watcher.join().unwrap(),
        "the run ended before its checkpoint of epoch 1 was seen"
    );
    interrupt::clear();
    let error = stopped.expect_err("the run should stop at the interrupt, before epoch 3 ends");
    assert!(
        matches!(error, ngvm::nn_core::Error::Interrupted { .. }),
        "{error}"
    );
    let run = run_dir(&out).unwrap();
    assert!(!run.join("summary.json").exists());

    let resume = [
        "--resume".to_string(),
        run.display().to_string(),
        "--backend".into(),
        "wgpu".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    run_experiment(experiment, &args(&resume)).unwrap();

    let (resumed, uninterrupted) = (metrics(&run), metrics(&whole));
    let epochs = |m: &[(u64, String, f64)]| -> Vec<u64> {
        m.iter()
            .filter(|(_, split, _)| split == "train")
            .map(|(e, _, _)| *e)
            .collect()
    };
    assert_eq!(epochs(&resumed), vec![1, 2, 3], "{resumed:?}");
    assert_eq!(epochs(&uninterrupted), vec![1, 2, 3]);
    for (a, b) in resumed.iter().zip(&uninterrupted) {
        assert_eq!((a.0, &a.1), (b.0, &b.1));
        assert!(
            (a.2 - b.2).abs() <= 1e-4 * b.2.abs().max(1e-3),
            "resumed {a:?} vs uninterrupted {b:?}"
        );
    }
    let (resumed, uninterrupted) = (summary(&run), summary(&whole));
    assert_eq!(resumed["backend"], "wgpu", "{resumed}");
    eprintln!(
        "mlp/burn on wgpu: {} (resumed) vs {} (uninterrupted)",
        resumed["metrics"], uninterrupted["metrics"]
    );
}
