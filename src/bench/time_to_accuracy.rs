//! `ngvm bench --workload time-to-accuracy`: seconds of training for the Fashion-MNIST CNN
//! (`cnn/fashion-mnist`'s `SmallCnn` 32-64-64 with batch norm) to reach a test accuracy,
//! ours beside `bench/pytorch/bench.py --time-to-accuracy`, which trains the same network
//! with the same batch (128), optimiser (Adam, lr 1e-3), per-epoch cosine decay over the
//! same number of epochs and the same data. Ours is the experiment itself
//! (`cnn/fashion-mnist --preset full --epochs E`), read from its per-epoch log. Training
//! time only: the per-epoch test evaluation is not counted on either side.
//!
//! Writes `time_to_accuracy.md`, `.json` and `.png` (test accuracy against training seconds,
//! both curves and the target) into `--out`.

use clap::Parser;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One epoch of one side: cumulative training seconds and the test accuracy after it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    pub train_seconds: f64,
    pub test_accuracy: f64,
}

/// What one bench run found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimeToAccuracy {
    pub target: f64,
    pub epochs: usize,
    pub ours: Vec<EpochPoint>,
    pub torch: Option<Vec<EpochPoint>>,
    /// Why PyTorch's side is missing, when it is.
    pub torch_note: Option<String>,
}

/// The first epoch that reaches `target`, if any.
pub fn first_reaching(points: &[EpochPoint], target: f64) -> Option<EpochPoint> {
    points.iter().copied().find(|p| p.test_accuracy >= target)
}

#[derive(Parser)]
struct ExperimentCli {
    #[command(flatten)]
    args: nn_core::experiment::CommonArgs,
}

/// Trains `cnn/fashion-mnist` for `epochs` (its full preset otherwise) into a folder under
/// `scratch` and reads the CNN stage's per-epoch log.
pub fn ours(
    data_dir: &Path,
    epochs: usize,
    limit: Option<usize>,
    scratch: &Path,
) -> Result<Vec<EpochPoint>> {
    let registry = crate::registry();
    let experiment = registry.find("cnn/fashion-mnist")?;
    let mut flags: Vec<String> = vec![
        "ngvm".into(),
        "--preset".into(),
        "full".into(),
        "--epochs".into(),
        epochs.to_string(),
        "--data-dir".into(),
        data_dir.display().to_string(),
        "--out".into(),
        scratch.display().to_string(),
    ];
    if let Some(limit) = limit {
        flags.extend(["--limit".into(), limit.to_string()]);
    }
    let args = ExperimentCli::try_parse_from(&flags)
        .map_err(|e| Error::Other(format!("time-to-accuracy: {e}")))?
        .args;
    let summary = nn_core::experiment::run_experiment(experiment, &args)?;
    let (dir, _) = nn_core::run::newest_summary(scratch, "cnn/fashion-mnist")
        .ok_or_else(|| Error::Other("time-to-accuracy: the run left no summary".into()))?;
    let log = dir.join("cnn").join("metrics.jsonl");
    let text = std::fs::read_to_string(&log).map_err(|e| Error::io(&log, e))?;
    Ok(points_from_log(&text, summary.data.train))
}

/// Per-epoch points from a classifier's `metrics.jsonl`: training seconds are the epoch's
/// images over its `images_per_second` (the loop's own clock, batches only).
pub fn points_from_log(text: &str, train_images: usize) -> Vec<EpochPoint> {
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut points = Vec::new();
    let mut seconds = 0.0;
    for epoch in 1.. {
        let of = |split: &str| {
            records
                .iter()
                .find(|r| r["epoch"].as_u64() == Some(epoch as u64) && r["split"] == split)
        };
        let (Some(train), Some(test)) = (of("train"), of("test")) else {
            break;
        };
        let rate = train["images_per_second"].as_f64().unwrap_or(f64::NAN);
        seconds += train_images as f64 / rate;
        points.push(EpochPoint {
            epoch,
            train_seconds: seconds,
            test_accuracy: test["accuracy"].as_f64().unwrap_or(f64::NAN),
        });
    }
    points
}

/// PyTorch's side: `script --time-to-accuracy ...`, one JSON line per epoch.
pub fn torch(
    python: &str,
    script: &Path,
    data_dir: &Path,
    epochs: usize,
    limit: Option<usize>,
    threads: usize,
) -> std::result::Result<Vec<EpochPoint>, String> {
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .arg("--time-to-accuracy")
        .args(["--epochs", &epochs.to_string()])
        .args(["--threads", &threads.to_string()])
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(limit) = limit {
        cmd.args(["--limit", &limit.to_string()]);
    }
    super::torch::json_lines(python, script, cmd)
}

impl TimeToAccuracy {
    /// The table: seconds (and epoch) to the target on each side, and the ratio.
    pub fn table(&self) -> String {
        let cell = |points: Option<&Vec<EpochPoint>>| match points {
            None => "not run".to_string(),
            Some(p) => match first_reaching(p, self.target) {
                Some(hit) => format!("{:.1} s (epoch {})", hit.train_seconds, hit.epoch),
                None => format!(
                    "not reached in {} epochs (best {:.2}%)",
                    p.len(),
                    100.0 * p.iter().map(|e| e.test_accuracy).fold(0.0, f64::max)
                ),
            },
        };
        let ratio = match (
            first_reaching(&self.ours, self.target),
            self.torch
                .as_ref()
                .and_then(|t| first_reaching(t, self.target)),
        ) {
            (Some(a), Some(b)) => format!("{:.2}", b.train_seconds / a.train_seconds),
            _ => "-".to_string(),
        };
        let mut t = format!(
            "| Fashion-MNIST CNN to {:.1}% test accuracy ({} epochs, cosine) | ours | PyTorch | PyTorch seconds / ours |\n|---|---|---|---|\n",
            100.0 * self.target,
            self.epochs
        );
        t.push_str(&format!(
            "| training seconds | {} | {} | {ratio} |\n",
            cell(Some(&self.ours)),
            cell(self.torch.as_ref())
        ));
        if let Some(note) = &self.torch_note {
            t.push_str(&format!("\nPyTorch: {note}\n"));
        }
        t
    }

    /// `time_to_accuracy.md`, `.json` and `.png` in `out`.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let md = out.join("time_to_accuracy.md");
        std::fs::write(&md, format!("# Time to accuracy\n\n{}", self.table()))
            .map_err(|e| Error::io(&md, e))?;
        let json = out.join("time_to_accuracy.json");
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(&json, text).map_err(|e| Error::io(&json, e))?;
        let line = |label: &str, points: &[EpochPoint]| Curve {
            label: label.into(),
            points: points
                .iter()
                .map(|p| (p.train_seconds, p.test_accuracy))
                .filter(|(_, y)| y.is_finite())
                .collect(),
        };
        let mut curves = vec![line("ours (burn, flex)", &self.ours)];
        if let Some(torch) = &self.torch {
            curves.push(line("PyTorch", torch));
        }
        let end = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        // Points all along the target line, so that the legend is placed off it.
        curves.push(Curve {
            label: format!("target {:.1}%", 100.0 * self.target),
            points: (0..=20)
                .map(|i| (end * i as f64 / 20.0, self.target))
                .collect(),
        });
        let plot = CurvePlot {
            title: "Fashion-MNIST CNN: test accuracy against training time".into(),
            x_label: "training seconds (2 threads each)".into(),
            y_label: "test accuracy".into(),
            curves,
            log_y: false,
        };
        let mut files = vec![md, json];
        files.extend(plot.save(&out.join("time_to_accuracy"))?);
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_from_a_classifier_log_accumulate_training_time() {
        let log = r#"{"epoch":1,"split":"train","images_per_second":1000.0,"accuracy":0.8}
{"epoch":1,"split":"test","accuracy":0.85}
{"epoch":2,"split":"train","images_per_second":2000.0,"accuracy":0.9}
{"epoch":2,"split":"test","accuracy":0.916}
{"epoch":3,"split":"train","images_per_second":2000.0}"#;
        let points = points_from_log(log, 6000);
        assert_eq!(
            points.len(),
            2,
            "an epoch without its test line is not counted"
        );
        assert_eq!(points[0].train_seconds, 6.0);
        assert_eq!(points[1].train_seconds, 9.0);
        let hit = first_reaching(&points, 0.915).unwrap();
        assert_eq!(hit.epoch, 2);
        let report = TimeToAccuracy {
            target: 0.915,
            epochs: 2,
            ours: points.clone(),
            torch: Some(vec![EpochPoint {
                epoch: 1,
                train_seconds: 4.5,
                test_accuracy: 0.92,
            }]),
            torch_note: None,
        };
        let table = report.table();
        assert!(
            table.contains("9.0 s (epoch 2)") && table.contains("4.5 s (epoch 1)"),
            "{table}"
        );
        assert!(table.contains("| 0.50 |"), "{table}");
    }
}
