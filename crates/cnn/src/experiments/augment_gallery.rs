//! `cnn/augment-gallery`: one real image of each data set through every augmentation.

use nn_core::augment::{Image, gallery, gallery_transforms};
use nn_core::data::{load_if_present, synthetic};
use nn_core::viz::save_grid;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `cnn/augment-gallery`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GalleryConfig {
    /// Side of every cell, in pixels before the 2x enlargement.
    pub size: usize,
}

impl ExperimentConfig for GalleryConfig {
    fn quick() -> Self {
        Self { size: 64 }
    }

    fn full() -> Self {
        Self::quick()
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "One real image of each data set through every augmentation: each column should still be plainly the same object, which is what makes an augmentation safe to train with.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "{images} images x {transforms} transforms";

/// Puts the first image of every data set present (or a synthetic one) through each
/// augmentation, one row per image, in `gallery.png`.
pub fn run(config: &GalleryConfig, run: &mut Run) -> Result<Summary> {
    let mut rows = Vec::new();
    for (name, split) in [
        ("fashion-mnist", "test"),
        ("cifar-10", "test"),
        ("cifar-100", "test"),
        ("pneumoniamnist", "test"),
        ("cats", "all"),
    ] {
        if let Some(data) = load_if_present(run, name, split)? {
            rows.push((
                name.to_string(),
                Image::from_dataset(&data, 0).resized_rgb(config.size),
            ));
        }
    }
    if rows.is_empty() {
        if !run.allow_synthetic {
            return Err(nn_core::Error::DataMissing {
                name: "fashion-mnist".into(),
                dir: run.data_dir.clone(),
                missing: "no data set at all".into(),
            });
        }
        run.note("no data set found: the gallery shows a synthetic image");
        let data = synthetic::shapes(1, 32, false, run.seed);
        rows.push((
            "synthetic".into(),
            Image::from_dataset(&data, 0).resized_rgb(config.size),
        ));
        run.set_data(nn_core::run::DataInfo {
            name: "synthetic-shapes".into(),
            synthetic: true,
            stand_in: true,
            train: 1,
            test: 0,
            ..Default::default()
        });
    } else {
        run.set_data(nn_core::run::DataInfo {
            name: rows
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            synthetic: false,
            stand_in: false,
            train: rows.len(),
            test: 0,
            ..Default::default()
        });
    }
    let path = run.path("gallery.png");
    save_grid(
        &path,
        &gallery(&rows, run.seed),
        gallery_transforms().len() + 1,
        2,
    )?;
    run.add_file(&path);
    let mut metrics = BTreeMap::new();
    metrics.insert("images".into(), rows.len() as f64);
    metrics.insert("transforms".into(), gallery_transforms().len() as f64);
    Ok(run.summary(0, metrics))
}
