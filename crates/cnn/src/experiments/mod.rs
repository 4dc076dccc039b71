//! The weeks' six experiments and what their classifiers share: overlaid curves of
//! several stages.

pub mod augment_ablation;
pub mod augment_gallery;
pub mod cifar100;
pub mod conv_ops;
pub mod fashion_mnist;
pub mod pneumonia;

use nn_core::train::overlay;
use nn_core::{Result, Run};
use std::path::{Path, PathBuf};

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
