//! `diffusion/partial-denoise`: real test images noised to step t (5, 10, 50, and 250 and
//! 500 for contrast) in one jump, then denoised back to t = 0 by the trained model with
//! DDPM's reverse steps. At small t the model removes noise (the denoised image is closer
//! to the original than the noised one); at large t little of the original survives and
//! the model invents a plausible image instead.

use super::{load_data, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{bucket_curves, loss_curves, save_images, save_plot};
use crate::sampling::{Sampler, denoise};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::{Normalization, batch_images};
use nn_core::error::ConfigError;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PartialDenoiseConfig(pub DiffusionConfig);

impl ExperimentConfig for PartialDenoiseConfig {
    fn quick() -> Self {
        Self(DiffusionConfig::quick_base())
    }

    fn full() -> Self {
        Self(DiffusionConfig {
            train_size: 30_000,
            epochs: 3,
            ..DiffusionConfig::full_base()
        })
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.0.check()
    }
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

/// Mean squared error and PSNR (values in [0, 1], peak 1) of `other` against `reference`,
/// both in [-1, 1]; the PSNR is that of the mean squared error over all images.
fn errors(reference: &[f32], other: &[f32]) -> (f64, f64) {
    let to_unit = |v: &[f32]| {
        v.iter()
            .map(|x| (x.clamp(-1.0, 1.0) + 1.0) / 2.0)
            .collect::<Vec<f32>>()
    };
    let (a, b) = (to_unit(reference), to_unit(other));
    let mse = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64;
    (mse, nn_core::metrics::psnr(&a, &b, 1.0))
}

pub fn run(config: &PartialDenoiseConfig, run: &mut Run) -> Result<Summary> {
    let config = &config.0;
    let (train, test) = load_data(config, run)?;
    let spec = config.unet(train.shape.channels, 0);
    let schedule = config.schedule()?;
    let (trained, dir) = train_in_stage(
        run,
        "diffusion",
        &spec,
        &schedule,
        (&train, &test),
        &config.train_settings(config.lr),
    )?;
    let model = &trained.ema;
    let device = run.device.clone();
    let norm = Normalization::symmetric(train.shape.channels);
    let count = config.denoise_images.min(test.len());
    let order = nn_core::data::batch::shuffled_indices(
        test.len(),
        nn_core::backend::derive_seed(run.seed, "denoise images"),
    );
    let originals = batch_images(&test, &order[..count], &norm, &device);
    let reference = values(originals.clone());
    let shown = count.min(8);

    let mut figures = BTreeMap::from([
        ("final_loss".to_string(), trained.final_loss),
        ("test_loss".to_string(), trained.test_loss),
        ("params".to_string(), trained.params as f64),
    ]);
    let mut table = String::from(
        "| t | alpha-bar_t | MSE noised | MSE denoised | PSNR noised (dB) | PSNR denoised (dB) |\n|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut grid = vec![originals.clone().narrow(0, 0, shown)];
    let mut captions: Vec<Option<String>> = (0..shown)
        .map(|i| (i == 0).then(|| "original".to_string()))
        .collect();
    let (mut noised_points, mut denoised_points) = (Vec::new(), Vec::new());
    for &t in &config.noise_levels {
        nn_core::backend::seed_device(&device, run.seed, &format!("noise t{t}"));
        let noise = Tensor::<4>::random(originals.shape(), Distribution::Normal(0.0, 1.0), &device);
        let noised = schedule.q_sample(originals.clone(), noise, &vec![t; count]);
        let denoised = denoise(
            model,
            &schedule,
            noised.clone(),
            t,
            Sampler::Ddpm,
            None,
            None,
            &mut |_, _| {},
        );
        let (mse_noised, psnr_noised) = errors(&reference, &values(noised.clone()));
        let (mse_denoised, psnr_denoised) = errors(&reference, &values(denoised.clone()));
        figures.insert(format!("psnr_noised_t{t}"), psnr_noised);
        figures.insert(format!("psnr_denoised_t{t}"), psnr_denoised);
        figures.insert(format!("mse_noised_t{t}"), mse_noised);
        figures.insert(format!("mse_denoised_t{t}"), mse_denoised);
        table.push_str(&format!(
            "| {t} | {:.4} | {mse_noised:.5} | {mse_denoised:.5} | {psnr_noised:.2} | {psnr_denoised:.2} |\n",
            schedule.alpha_bar(t)
        ));
        noised_points.push((t as f64, psnr_noised));
        denoised_points.push((t as f64, psnr_denoised));
        grid.push(noised.narrow(0, 0, shown));
        grid.push(denoised.narrow(0, 0, shown));
        captions.extend((0..shown).map(|i| (i == 0).then(|| format!("noised t={t}"))));
        captions.extend((0..shown).map(|i| (i == 0).then(|| format!("denoised t={t}"))));
    }
    save_images(
        run,
        "partial_denoise.png",
        Tensor::cat(grid, 0),
        &captions,
        shown,
    )?;
    let path = run.path("partial_denoise.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    save_plot(
        run,
        "psnr_by_t",
        CurvePlot {
            title: format!(
                "Against the original, {count} test images: noised to t vs denoised back"
            ),
            x_label: "step t".into(),
            y_label: "PSNR (dB)".into(),
            curves: vec![
                Curve {
                    label: "noised x_t".into(),
                    points: noised_points,
                },
                Curve {
                    label: "denoised (DDPM, t steps)".into(),
                    points: denoised_points,
                },
            ],
            log_y: false,
        },
    )?;
    loss_curves(
        run,
        "loss_curve",
        "Training loss (noise MSE per step), unconditional",
        &[("training loss".into(), dir)],
    )?;
    bucket_curves(
        run,
        schedule.steps(),
        &[("last epoch".into(), trained.final_bucket_losses.clone())],
    )?;
    run.note(format!("{count} test images, each noised once per t with seeded noise and denoised with DDPM's t reverse steps from the EMA weights; PSNR of the mean squared error over all of them, values in [0, 1]"));
    Ok(run.summary(config.epochs, figures))
}
