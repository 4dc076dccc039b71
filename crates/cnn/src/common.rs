//! Pieces the CNN experiments share: subsets, stage training, curve overlays.

use nn_core::data::ImageDataset;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Result, Run};
use std::path::Path;

/// The first `size` images of a seeded shuffle (all when `size` is 0 or too large).
pub fn subset(data: ImageDataset, size: usize, seed: u64) -> ImageDataset {
    if size == 0 || size >= data.len() {
        return data;
    }
    let order = nn_core::data::batch::shuffled_indices(
        data.len(),
        nn_core::backend::derive_seed(seed, "subset"),
    );
    data.select(&order[..size])
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
    for file in plot.save(&run.path(&format!("compare_{key}")))? {
        run.add_file(&file);
    }
    Ok(())
}
