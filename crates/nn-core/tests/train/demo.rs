//! The demo experiment through its binary: the run directory, resume after a kill,
//! divergence, and bad flags / config files.

use nn_core::demo::TinyMlp;
use nn_core::train::{Checkpoint, parameter_values};

/// A demo model of the quick preset's shape (16x16 grey inputs, 64 hidden, 10 classes).
fn ca_model(device: &burn::prelude::Device) -> TinyMlp {
    TinyMlp::new(16 * 16, 64, 10, device)
}
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nn-core"));
    cmd.env_remove("NGVM_DATA_DIR");
    cmd
}

fn run_ok(args: &[&str]) -> Output {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The single run directory under `<out>/nn-core/demo/`.
fn run_dir(out: &Path) -> PathBuf {
    let parent = out.join("nn-core/demo");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn quick_demo_writes_a_complete_run_directory() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&[
        "demo",
        "--preset",
        "quick",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let dir = run_dir(out.path());

    // summary.json: the stable top level, with the right types.
    let s = json(&dir.join("summary.json"));
    for key in ["experiment", "preset", "backend"] {
        assert!(s[key].is_string(), "summary.{key} is a string: {s}");
    }
    assert_eq!(s["experiment"], "nn-core/demo");
    assert_eq!(s["preset"], "quick");
    assert_eq!(s["backend"], "flex");
    assert!(s["seed"].is_u64() && s["epochs"].as_u64() == Some(3));
    assert!(s["wall_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(s["data"]["name"], "synthetic-shapes");
    assert_eq!(s["data"]["synthetic"], true);
    assert_eq!(
        (s["data"]["train"].as_u64(), s["data"]["test"].as_u64()),
        (Some(600), Some(200))
    );
    let epoch_seconds = s["epoch_seconds"].as_array().unwrap();
    assert_eq!(epoch_seconds.len(), 3);
    assert!(epoch_seconds.iter().all(|t| t.as_f64().unwrap() > 0.0));
    let metrics = s["metrics"].as_object().unwrap();
    for key in [
        "test_accuracy",
        "test_loss",
        "test_macro_f1",
        "test_top5",
        "train_accuracy",
        "parameters",
    ] {
        assert!(metrics[key].is_number(), "metrics.{key}: {s}");
    }
    // Learning bar: ten shape classes, chance is 0.10.
    assert!(metrics["test_accuracy"].as_f64().unwrap() > 0.5, "{s}");

    // config.json reruns the same thing; metrics.jsonl has a train and a test line per epoch.
    let config = json(&dir.join("config.json"));
    assert_eq!(config["config"]["epochs"], 3);
    assert_eq!(config["seed"], 42);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    let train_loss: Vec<f64> = lines
        .iter()
        .filter(|l| l["split"] == "train")
        .map(|l| l["loss"].as_f64().unwrap())
        .collect();
    assert!(
        train_loss[2] < train_loss[0] * 0.7,
        "training loss falls by 30%: {train_loss:?}"
    );

    // Plots decode and are not blank.
    for name in ["loss.png", "accuracy.png", "confusion.png"] {
        let img = image::open(dir.join(name)).unwrap().into_rgb8();
        let colours: std::collections::HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 20,
            "{name} looks blank ({} colours)",
            colours.len()
        );
        assert!(
            s["files"].as_array().unwrap().iter().any(|f| f == name),
            "{name} listed in summary"
        );
    }
    let svg = std::fs::read_to_string(dir.join("loss.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("nn-core demo: loss"));
    // The sample grid: 32 images of 16x16 at scale 3 in 8 columns with captions.
    let grid = image::open(dir.join("predictions.png")).unwrap();
    let (pad, caption) = (
        nn_core::viz::grid::PAD as u32,
        nn_core::viz::grid::CAPTION_HEIGHT as u32,
    );
    assert_eq!(grid.width(), 8 * (48 + pad) + pad);
    assert_eq!(grid.height(), 4 * (48 + pad + caption) + pad);
    // Checkpoints: the last two epochs, readable.
    let checkpoint = Checkpoint::load(&dir.join("checkpoints/epoch-0003.ckpt")).unwrap();
    assert_eq!(checkpoint.epoch, 3);
    assert!(checkpoint.bytes("model").is_some() && checkpoint.bytes("optimizer").is_some());
}

#[test]
fn resume_after_kill_reaches_the_same_weights_bitwise() {
    let epochs = "40";
    let a = tempfile::tempdir().unwrap();
    run_ok(&[
        "demo",
        "--epochs",
        epochs,
        "--out",
        a.path().to_str().unwrap(),
    ]);
    let b = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "demo",
            "--epochs",
            epochs,
            "--out",
            b.path().to_str().unwrap(),
        ])
        // Paused before epoch 3 (NGVM_PAUSE_AT), so it cannot finish before the kill.
        .env("NGVM_PAUSE_AT", "nn-core/demo@3:0")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill (SIGKILL) the process once epoch 2 is checkpointed.
    let start = Instant::now();
    let dir_b = loop {
        let parent = b.path().join("nn-core/demo");
        if let Some(dir) = std::fs::read_dir(&parent)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path())
            && dir.join("checkpoints/epoch-0002.ckpt").exists()
        {
            break dir;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !dir_b.join("summary.json").exists(),
        "finished although paused before epoch 3"
    );
    run_ok(&["demo", "--resume", dir_b.to_str().unwrap()]);

    let dir_a = run_dir(a.path());
    let last = format!("checkpoints/epoch-00{epochs}.ckpt");
    let ca = Checkpoint::load(&dir_a.join(&last)).unwrap();
    let cb = Checkpoint::load(&dir_b.join(&last)).unwrap();
    // Records carry random parameter ids, so compare the values themselves.
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let weights = |c: &Checkpoint| {
        let model = ca_model(&device);
        parameter_values(&c.load_module("model", model).unwrap())
    };
    let (wa, wb) = (weights(&ca), weights(&cb));
    assert!(!wa.is_empty());
    assert!(
        wa.iter().zip(&wb).all(|(x, y)| x.to_bits() == y.to_bits()),
        "final weights differ after resume"
    );
    let (sa, sb) = (
        json(&dir_a.join("summary.json")),
        json(&dir_b.join("summary.json")),
    );
    assert_eq!(sa["metrics"], sb["metrics"]);
    // The resumed metrics.jsonl holds each epoch once, with the same figures.
    let strip = |dir: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let record = v.as_object_mut().unwrap();
                record.remove("seconds"); // timings differ between runs
                record.remove("images_per_second");
                v
            })
            .collect()
    };
    assert_eq!(strip(&dir_a), strip(&dir_b));
}

#[test]
fn absurd_learning_rate_stops_with_the_nan_message() {
    // SGD at lr 1e6 overflows to NaN; Adam's bounded steps explode the loss instead
    // (to ~1e14 here), which the explosion guard stops.
    for optimizer in ["sgd", "adam"] {
        let out = tempfile::tempdir().unwrap();
        let config = out.path().join("opt.toml");
        std::fs::write(&config, format!("optimizer = \"{optimizer}\"\n")).unwrap();
        let result = bin()
            .args([
                "demo",
                "--lr",
                "1e6",
                "--epochs",
                "5",
                "--config",
                config.to_str().unwrap(),
            ])
            .args(["--out", out.path().to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(3), "{optimizer}: {stderr}");
        assert!(
            stderr.contains("training diverged") && stderr.contains("Lower the learning rate"),
            "{stderr}"
        );
        let dir = run_dir(out.path());
        assert!(!dir.join("summary.json").exists());
        let (good, _) =
            Checkpoint::latest(&dir.join("checkpoints")).expect("last good checkpoint kept");
        assert!(good.epoch < 5);
        assert!(good.bytes("model").is_some());
    }
}

#[test]
fn bad_flags_and_config_files_give_clear_errors() {
    let help = run_ok(&["demo", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--preset",
        "--config",
        "--epochs",
        "--batch-size",
        "--lr",
        "--seed",
        "--limit",
        "--backend",
        "--data-dir",
        "--out",
        "--synthetic",
        "--resume",
    ] {
        assert!(text.contains(flag), "--help lists {flag}");
    }
    for args in [
        &["demo", "--epochs", "-1"][..],
        &["demo", "--backend", "tpu"],
        &["demo", "--preset", "huge"],
        &["nope"],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "clap rejects {args:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "hiden = 3\n").unwrap();
    let out = bin()
        .args([
            "demo",
            "--config",
            bad.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("hiden") && stderr.contains("bad.toml"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        !dir.path().join("nn-core").exists(),
        "no run directory for a bad config"
    );
}

/// The seed lives on the run: a `seed` key in `--config` or `--set` sets it (`--set` over
/// `--seed` over the file), it is never part of the experiment's settings, and a bad value
/// is an error naming the key.
#[test]
fn a_seed_key_in_config_or_set_is_the_runs_seed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seeded.toml");
    std::fs::write(&file, "seed = 9\nepochs = 1\n").unwrap();
    let file = file.to_str().unwrap();
    for (extra, expected) in [
        (&["--config", file][..], 9),
        (&["--config", file, "--seed", "5"], 5),
        (&["--config", file, "--seed", "5", "--set", "seed=7"], 7),
        (&["--epochs", "1"], 42),
    ] {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["demo", "--out", out.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        run_ok(&args);
        let saved = json(&run_dir(out.path()).join("config.json"));
        assert_eq!(saved["seed"], expected, "{extra:?}");
        assert!(saved["config"].get("seed").is_none(), "{saved}");
        let summary = json(&run_dir(out.path()).join("summary.json"));
        assert_eq!(summary["seed"], expected, "{extra:?}");
    }
    let out = bin()
        .args(["demo", "--set", "seed=-1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("seed") && stderr.contains("non-negative"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("nn-core").exists(),
        "no run for a bad seed"
    );
}
