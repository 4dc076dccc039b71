//! The weeks' five experiments and what their classifiers share: the same optimiser and
//! overlaid curves of several stages.

pub mod augment_gallery;
pub mod cifar100;
pub mod conv_ops;
pub mod fashion_mnist;
pub mod pneumonia;

use nn_core::data::Normalization;
use nn_core::train::{ClassifierOptions, OptimizerKind, overlay};
use nn_core::{Result, Run};
use std::path::{Path, PathBuf};

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
