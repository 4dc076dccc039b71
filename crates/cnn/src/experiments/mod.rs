//! The weeks' five experiments and what their classifiers share: the same checks of the
//! training settings, the same optimiser, and overlaid curves of several stages.

pub mod augment_gallery;
pub mod cifar100;
pub mod conv_ops;
pub mod fashion_mnist;
pub mod pneumonia;

use nn_core::data::Normalization;
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{ClassifierOptions, OptimizerKind, overlay};
use nn_core::{Result, Run};
use std::path::{Path, PathBuf};

/// Epochs and batch size positive, a positive learning rate: what every classifier here
/// needs of its settings.
pub fn require_training(
    epochs: usize,
    batch_size: usize,
    lr: f64,
) -> std::result::Result<(), ConfigError> {
    require(
        epochs > 0 && batch_size > 0,
        "epochs",
        "epochs and batch_size must be positive",
    )?;
    require(lr > 0.0, "lr", "must be positive")
}

/// Adam from a fresh state with the learning rate decaying along a half cosine, no
/// augmentation and equal class weights: the weeks' training recipe, which an experiment
/// adjusts field by field.
pub fn adam_cosine(
    epochs: usize,
    batch_size: usize,
    lr: f64,
    normalization: Normalization,
    title: String,
) -> ClassifierOptions {
    ClassifierOptions {
        epochs,
        batch_size,
        lr,
        optimizer: OptimizerKind::Adam.init(),
        normalization,
        augment: None,
        title,
        class_weights: None,
        cosine_decay: true,
    }
}

/// One plot `compare_<key>` of `key`, train and test, for the stages trained in `dirs`.
pub fn overlay_stages(
    run: &mut Run,
    dirs: &[(&str, PathBuf)],
    key: &str,
    title: &str,
) -> Result<()> {
    let stages: Vec<(&str, &Path)> = dirs.iter().map(|(n, d)| (*n, d.as_path())).collect();
    overlay(run, &stages, key, title)
}
