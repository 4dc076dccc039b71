//! One model trained in its own stage of a run, and the pieces experiments with several
//! stages share: seeded subsets, train/test loading, curve overlays.

use super::{ClassifierOptions, Evaluation, ImageClassifier, train_classifier};
use crate::data::ImageDataset;
use crate::viz::{Curve, CurvePlot};
use crate::{Result, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What training one model in its own stage of a run gave.
pub struct StageResult<M> {
    /// The trained model, still on the training device (the next stage can go on from it).
    pub model: M,
    pub params: usize,
    pub test: Evaluation,
    pub train_accuracy: f64,
    pub train_images_per_second: f64,
    /// Mean wall time of an epoch (evaluation included).
    pub epoch_seconds: f64,
    pub dir: PathBuf,
}

impl<M> StageResult<M> {
    /// The stage's headline figures, each name prefixed (`cnn_test_accuracy`, ...).
    pub fn figures(&self, prefix: &str) -> BTreeMap<String, f64> {
        let accuracy = self.test.accuracy();
        BTreeMap::from([
            (format!("{prefix}params"), self.params as f64),
            (format!("{prefix}test_accuracy"), accuracy),
            (format!("{prefix}test_top5_accuracy"), self.test.top_k(5)),
            (format!("{prefix}train_accuracy"), self.train_accuracy),
            (format!("{prefix}gap"), self.train_accuracy - accuracy),
            (format!("{prefix}epoch_seconds"), self.epoch_seconds),
            (
                format!("{prefix}train_images_per_second"),
                self.train_images_per_second,
            ),
        ])
    }
}

/// Trains `model` in the stage `name` of `run` (its own metrics and checkpoints) and takes
/// the stage's files into the run.
pub fn train_stage<M: ImageClassifier>(
    run: &mut Run,
    name: &str,
    model: M,
    train: &ImageDataset,
    test: &ImageDataset,
    options: &ClassifierOptions,
) -> Result<StageResult<M>> {
    let mut stage = run.stage(name)?;
    let params = burn::module::Module::num_params(&model);
    let trained = train_classifier(&mut stage, model, train, test, options)?;
    let seconds = stage.summary(options.epochs, BTreeMap::new()).epoch_seconds;
    run.absorb(&stage);
    Ok(StageResult {
        model: trained.model,
        params,
        test: trained.test,
        train_accuracy: trained.train_accuracy,
        train_images_per_second: trained.train_images_per_second,
        epoch_seconds: seconds.iter().sum::<f64>() / seconds.len().max(1) as f64,
        dir: stage.dir,
    })
}

/// `[(epoch, value)]` of `key` for `split` in a stage's `metrics.jsonl`.
pub fn read_curve(dir: &Path, split: &str, key: &str) -> Vec<(f64, f64)> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["split"] == split)
        .filter_map(|v| Some((v["epoch"].as_f64()?, v[key].as_f64()?)))
        .collect()
}

/// One plot of `key` for several stages (e.g. CNN and MLP), train and test.
pub fn overlay(run: &mut Run, stages: &[(&str, &Path)], key: &str, title: &str) -> Result<()> {
    overlay_as(run, stages, key, title, "compare")
}

/// [`overlay`] saved as `{prefix}_{key}.png` (and `.svg`) rather than `compare_{key}`.
pub fn overlay_as(
    run: &mut Run,
    stages: &[(&str, &Path)],
    key: &str,
    title: &str,
    prefix: &str,
) -> Result<()> {
    let mut curves = Vec::new();
    for split in ["train", "test"] {
        for (label, dir) in stages {
            curves.push(Curve {
                label: format!("{label} {split}"),
                points: read_curve(dir, split, key),
            });
        }
    }
    let plot = CurvePlot {
        title: title.into(),
        x_label: "epoch".into(),
        y_label: key.into(),
        curves,
        log_y: false,
    };
    for file in plot.save(&run.path(&format!("{prefix}_{key}")))? {
        run.add_file(&file);
    }
    Ok(())
}
