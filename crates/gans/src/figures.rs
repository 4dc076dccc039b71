//! The week's pictures: losses and D's outputs per step, the progression strip of the fixed
//! noise's samples through the epochs, and the walk between two noise vectors.

use crate::models::Generator;
use crate::sampling::draw;
use burn::prelude::*;
use nn_core::data::{ImageDataset, Normalization};
use nn_core::train::smoothed;
use nn_core::viz::{Curve, CurvePlot, GridImage, save_grid, tensor_to_images};
use nn_core::{Result, Run};
use std::path::{Path, PathBuf};

/// Losses and D's mean outputs per step (`losses`, `discriminator_outputs`), averaged over
/// windows so the trend shows.
pub fn draw_step_curves(run: &mut Run, steps: &[serde_json::Value]) -> Result<()> {
    let curve = |key: &str, label: &str| Curve {
        label: label.into(),
        points: smoothed(steps, key, 150),
    };
    for (stem, title, y, curves) in [
        (
            "losses",
            "GAN losses per step",
            "binary cross-entropy",
            vec![
                curve("d_loss", "discriminator"),
                curve("g_loss", "generator (non-saturating)"),
            ],
        ),
        (
            "discriminator_outputs",
            "D's mean output: on real images D(x), on fakes D(G(z))",
            "probability of real",
            vec![curve("d_real", "D(x)"), curve("d_fake", "D(G(z))")],
        ),
    ] {
        let plot = CurvePlot {
            title: title.into(),
            x_label: "step".into(),
            y_label: y.into(),
            curves,
            log_y: false,
        };
        for file in plot.save(&run.path(stem))? {
            run.add_file(&file);
        }
    }
    Ok(())
}

/// `progression.png`: one row per snapshot epoch (the `epoch_NNNN.u8` files in `dir`) of
/// the fixed noise's samples.
pub fn draw_progression(run: &mut Run, real: &ImageDataset, dir: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| nn_core::Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "u8"))
        .collect();
    files.sort();
    let size = real.shape.len();
    let mut cells = Vec::new();
    for file in files {
        let pixels = std::fs::read(&file).map_err(|e| nn_core::Error::io(&file, e))?;
        let epoch = file
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("epoch_"))
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        for (i, image) in pixels.chunks_exact(size).enumerate() {
            cells.push(GridImage {
                shape: real.shape,
                pixels: image.to_vec(),
                caption: (i == 0).then(|| format!("epoch {epoch}")),
            });
        }
    }
    let path = run.path("progression.png");
    save_grid(&path, &cells, 10, 2)?;
    run.add_file(&path);
    Ok(())
}

/// `interpolation.png`: ten images decoded along the straight line in noise space from the
/// first to the second row of `fixed` (`[rows >= 2, latent]`), drawn as [`draw`] draws.
pub fn draw_interpolation<G: Generator>(
    run: &mut Run,
    generator: &G,
    (fixed, companions): (Tensor<2>, &Tensor<2>),
    norm: &Normalization,
) -> Result<()> {
    let [_, latent] = fixed.dims();
    let a = fixed.clone().slice([0..1, 0..latent]);
    let b = fixed.slice([1..2, 0..latent]);
    let line: Vec<Tensor<2>> = (0..10)
        .map(|i| {
            let t = i as f64 / 9.0;
            a.clone() * (1.0 - t) + b.clone() * t
        })
        .collect();
    let strip = tensor_to_images(draw(generator, Tensor::cat(line, 0), companions), norm);
    let path = run.path("interpolation.png");
    save_grid(&path, &strip, 10, 3)?;
    run.add_file(&path);
    Ok(())
}
