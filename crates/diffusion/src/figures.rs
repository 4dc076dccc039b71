//! The week's pictures: the forward process under each schedule, alpha-bar curves, loss
//! curves per step and per band of t, labelled sample grids and the reverse-process strip.

use crate::schedule::NoiseSchedule;
use crate::training::bucket_range;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{read_steps, smoothed};
use nn_core::viz::{Curve, CurvePlot, save_grid, tensor_to_images};
use nn_core::{Result, Run};

/// Saves images (`[n, c, h, w]` in [-1, 1]) as a grid with the given captions.
pub fn save_images(
    run: &mut Run,
    name: &str,
    images: Tensor<4>,
    captions: &[Option<String>],
    columns: usize,
) -> Result<()> {
    let norm = Normalization::symmetric(images.dims()[1]);
    let mut cells = tensor_to_images(images, &norm);
    for (cell, caption) in cells.iter_mut().zip(captions) {
        cell.caption = caption.clone();
    }
    // Each pixel 2x2, or larger when a caption would not fit under its image (~7 px a
    // character), so no label is cut.
    let longest = captions
        .iter()
        .flatten()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let width = cells.first().map_or(1, |c| c.shape.width.max(1));
    let scale = (longest * 7).div_ceil(width).clamp(2, 4);
    let path = run.path(name);
    save_grid(&path, &cells, columns, scale)?;
    run.add_file(&path);
    Ok(())
}

/// Saves a curve plot as `stem`.png/.svg and records the files.
pub fn save_plot(run: &mut Run, stem: &str, plot: CurvePlot) -> Result<()> {
    for file in plot.save(&run.path(stem))? {
        run.add_file(&file);
    }
    Ok(())
}

/// The forward process, one row per schedule: the same images and the same noise at
/// t = 0 and each of `ts`.
pub fn forward_strip(
    run: &mut Run,
    real: &ImageDataset,
    schedules: &[(&str, &NoiseSchedule)],
    ts: &[usize],
) -> Result<()> {
    let device = run.device.clone();
    let norm = Normalization::symmetric(real.shape.channels);
    let x0 = batch_images(real, &[0], &norm, &device);
    nn_core::backend::seed_device(&device, run.seed, "forward strip");
    let noise = Tensor::<4>::random(x0.shape(), Distribution::Normal(0.0, 1.0), &device);
    let mut rows = Vec::new();
    let mut captions = Vec::new();
    for (name, schedule) in schedules {
        for (i, &t) in std::iter::once(&0).chain(ts).enumerate() {
            rows.push(schedule.q_sample(x0.clone(), noise.clone(), &[t]));
            captions.push(Some(if i == 0 {
                format!("{name} t=0")
            } else {
                format!("t={t}")
            }));
        }
    }
    save_images(
        run,
        "forward_process.png",
        Tensor::cat(rows, 0),
        &captions,
        ts.len() + 1,
    )?;
    let plot = CurvePlot {
        title: "How much signal is left: alpha-bar_t (x_t = sqrt(ab) x_0 + sqrt(1-ab) eps)".into(),
        x_label: "step t".into(),
        y_label: "alpha-bar_t".into(),
        curves: schedules
            .iter()
            .map(|(name, s)| Curve {
                label: name.to_string(),
                points: (0..=s.steps())
                    .map(|t| (t as f64, s.alpha_bar(t)))
                    .collect(),
            })
            .collect(),
        log_y: false,
    };
    save_plot(run, "alpha_bar", plot)
}

/// Training loss per step (smoothed) of one or more trained models (`(label, stage dir)`).
pub fn loss_curves(
    run: &mut Run,
    stem: &str,
    title: &str,
    stages: &[(String, std::path::PathBuf)],
) -> Result<()> {
    let curves = stages
        .iter()
        .map(|(label, dir)| Curve {
            label: label.clone(),
            points: smoothed(&read_steps(&dir.join("steps.jsonl")), "loss", 100),
        })
        .collect();
    let plot = CurvePlot {
        title: title.into(),
        x_label: "optimiser step".into(),
        y_label: "noise MSE (smoothed)".into(),
        curves,
        log_y: true,
    };
    save_plot(run, stem, plot)
}

/// The last epoch's loss in each band of t, one curve per model.
pub fn bucket_curves(run: &mut Run, steps: usize, models: &[(String, Vec<f64>)]) -> Result<()> {
    let curves = models
        .iter()
        .map(|(label, losses)| Curve {
            label: label.clone(),
            points: losses
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(b, v)| {
                    let (lo, hi) = bucket_range(b, losses.len(), steps);
                    ((lo + hi) as f64 / 2.0, *v)
                })
                .collect(),
        })
        .collect();
    let plot = CurvePlot {
        title: "Noise-prediction loss by step t (last epoch): small t is the hard part".into(),
        x_label: "step t (band centre)".into(),
        y_label: "noise MSE".into(),
        curves,
        log_y: false,
    };
    save_plot(run, "loss_by_t", plot)
}

/// A strip of one reverse process: `frames` (step, image) pairs, about `keep` of them
/// evenly picked, the last always.
pub fn reverse_strip(
    run: &mut Run,
    name: &str,
    frames: &[(usize, Tensor<4>)],
    keep: usize,
) -> Result<()> {
    if frames.is_empty() {
        return Ok(());
    }
    let every = frames.len().div_ceil(keep.max(1)).max(1);
    let mut picked: Vec<&(usize, Tensor<4>)> = frames.iter().step_by(every).collect();
    if picked.last().map(|f| f.0) != frames.last().map(|f| f.0) {
        picked.push(frames.last().expect("not empty"));
    }
    let images = Tensor::cat(picked.iter().map(|(_, x)| x.clone()).collect(), 0);
    let captions: Vec<Option<String>> =
        picked.iter().map(|(t, _)| Some(format!("t={t}"))).collect();
    save_images(run, name, images, &captions, picked.len())
}
