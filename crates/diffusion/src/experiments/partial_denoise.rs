//! `diffusion/partial-denoise`: real test images noised to step t (5, 10, 50, and 250 and
//! 500 for contrast) in one jump, then denoised back to t = 0 by the trained model with
//! DDPM's reverse steps. At small t the model removes noise (the denoised image is closer
//! to the original than the noised one); at large t little of the original survives and
//! the model invents a plausible image instead.

use super::{load_data, reuse_trained_model, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{bucket_curves, loss_curves, save_images, save_plot};
use crate::sampling::{Sampler, denoise, estimate_x0};
use crate::schedule::NoiseSchedule;
use crate::training::stage_losses;
use crate::unet::UNet;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

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

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Real images noised to a given step and denoised back: the PSNR by step shows how far the model can undo noise; the pictures show where detail starts to be invented rather than restored.";

pub fn run(config: &DiffusionConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load_data(config, run)?;
    let schedule = config.schedule()?;
    let (model, dir) = find_or_train_model(run, config, &schedule, (&train, &test))?;
    let model = &model;
    let (final_loss, test_loss, bucket_losses) =
        stage_losses(&dir, config.t_buckets, schedule.steps());
    let device = run.device.clone();
    let originals = Originals::pick(run.seed, config, (&train, &test), &device);
    let (count, shown) = (originals.count, originals.shown);

    let mut figures = BTreeMap::from([
        ("final_loss".to_string(), final_loss),
        ("test_loss".to_string(), test_loss),
        (
            "params".to_string(),
            nn_core::train::learnable_parameter_count(model) as f64,
        ),
    ]);
    let mut table = table_header(config, count);
    let panels = denoise_every_level(
        (run.seed, &device),
        config,
        (model, &schedule),
        &originals,
        &mut figures,
        &mut table,
    );
    save_images(
        run,
        "partial_denoise.png",
        Tensor::cat(panels.grid, 0),
        &panels.captions,
        shown,
    )?;
    let path = run.path("partial_denoise.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    draw_psnr_curves(run, count, panels.curves)?;
    loss_curves(
        run,
        "loss_curve",
        "Training loss (noise MSE per step), unconditional",
        &[("training loss".into(), dir)],
    )?;
    bucket_curves(
        run,
        schedule.steps(),
        &[("last epoch".into(), bucket_losses)],
    )?;
    run.note(format!("{count} test images, each noised once per t with seeded noise and run back to t = 0 from the EMA weights: `denoised` is DDIM (deterministic, at most {} steps), also DDPM ancestral (t steps, fresh noise at each) and the one-step x_0 estimate; PSNR of the mean squared error over all images, values in [0, 1]", config.sample_steps));
    Ok(run.summary(config.epochs, figures))
}

/// The model run back: a class-samples model with the same settings, used with its null
/// class (i.e. unconditionally), or an unconditional one trained here; and its stage folder.
fn find_or_train_model(
    run: &mut Run,
    config: &DiffusionConfig,
    schedule: &NoiseSchedule,
    (train, test): (&ImageDataset, &ImageDataset),
) -> Result<(UNet, PathBuf)> {
    // A class-samples model with the same settings, used with its null class, i.e.
    // unconditionally.
    let conditional = config.unet(train.shape.channels, train.num_classes());
    Ok(
        match reuse_trained_model(run, config, &["diffusion/class-samples"], &conditional)? {
            Some(found) => {
                run.note(
                    "the reused class-samples model is used with its null class, i.e. unconditionally",
                );
                found
            }
            None => {
                let spec = config.unet(train.shape.channels, 0);
                let settings = config.train_settings(config.lr);
                let (trained, dir) =
                    train_in_stage(run, "diffusion", &spec, schedule, (train, test), &settings)?;
                (trained.ema, dir)
            }
        },
    )
}

/// The real test images noised and denoised: `denoise_images` of them in a seeded order.
struct Originals {
    /// `[count, c, h, w]` in [-1, 1].
    images: Tensor<4>,
    /// The images' values, to measure errors against.
    reference: Vec<f32>,
    count: usize,
    /// Images per row of the picture (at most 8).
    shown: usize,
}

impl Originals {
    /// The first `denoise_images` test images in the order seeded by (seed, "denoise images").
    fn pick(
        seed: u64,
        config: &DiffusionConfig,
        (train, test): (&ImageDataset, &ImageDataset),
        device: &Device,
    ) -> Originals {
        let norm = Normalization::symmetric(train.shape.channels);
        let count = config.denoise_images.min(test.len());
        let order = nn_core::data::batch::shuffled_indices(
            test.len(),
            nn_core::backend::derive_seed(seed, "denoise images"),
        );
        let originals = batch_images(test, &order[..count], &norm, device);
        let reference = values(originals.clone());
        let shown = count.min(8);
        Originals {
            images: originals,
            reference,
            count,
            shown,
        }
    }
}

/// The head of `partial_denoise.md`: what is compared, and the table's columns.
fn table_header(config: &DiffusionConfig, count: usize) -> String {
    let deepest = config.noise_levels.iter().copied().max().unwrap_or(0);
    let ddim_steps = if config.sample_steps >= deepest {
        "every step".to_string()
    } else {
        format!("at most {} steps", config.sample_steps)
    };
    format!(
        "PSNR (dB) against the originals, {count} test images.\n\n| t | alpha-bar_t | noised x_t | denoised: DDIM ({ddim_steps}) | DDPM (t steps, fresh noise) | one-step x_0 estimate |\n|---:|---:|---:|---:|---:|---:|\n"
    )
}

/// What the noise levels leave for the picture and the plot.
struct Panels {
    /// `[shown, c, h, w]` rows: the originals, then noised, DDIM and DDPM per level.
    grid: Vec<Tensor<4>>,
    captions: Vec<Option<String>>,
    /// PSNR by t of the noised images, DDIM, DDPM and the one-step estimate.
    curves: Vec<Vec<(f64, f64)>>,
}

/// Noises the originals to each configured t and runs them back; adds each level's
/// errors to `figures` and its PSNRs as a row of `table`.
fn denoise_every_level(
    (seed, device): (u64, &Device),
    config: &DiffusionConfig,
    (model, schedule): (&UNet, &NoiseSchedule),
    originals: &Originals,
    figures: &mut BTreeMap<String, f64>,
    table: &mut String,
) -> Panels {
    let (reference, shown) = (&originals.reference, originals.shown);
    let mut grid = vec![originals.images.clone().narrow(0, 0, shown)];
    let mut captions: Vec<Option<String>> = (0..shown)
        .map(|i| (i == 0).then(|| "original".to_string()))
        .collect();
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); 4];
    let ddim = Sampler::Ddim(config.sample_steps);
    for &t in &config.noise_levels {
        let back = noise_and_run_back((seed, device), (model, schedule), originals, t, ddim);
        let mut psnrs = Vec::new();
        for (name, images) in [
            ("noised", &back.noised),
            ("denoised", &back.by_ddim),
            ("ddpm", &back.by_ddpm),
            ("one_step", &back.one_step),
        ] {
            let (mse, psnr) = errors(reference, &values(images.clone()));
            figures.insert(format!("mse_{name}_t{t}"), mse);
            figures.insert(format!("psnr_{name}_t{t}"), psnr);
            psnrs.push(psnr);
        }
        table.push_str(&format!(
            "| {t} | {:.4} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            schedule.alpha_bar(t),
            psnrs[0],
            psnrs[1],
            psnrs[2],
            psnrs[3]
        ));
        for (points, psnr) in curves.iter_mut().zip(&psnrs) {
            points.push((t as f64, *psnr));
        }
        for (images, label) in [
            (back.noised, "noised"),
            (back.by_ddim, "DDIM"),
            (back.by_ddpm, "DDPM"),
        ] {
            grid.push(images.narrow(0, 0, shown));
            captions.extend((0..shown).map(|i| (i == 0).then(|| format!("t={t} {label}"))));
        }
    }
    Panels {
        grid,
        captions,
        curves,
    }
}

/// One noise level's images, each `[count, c, h, w]`.
struct RunBack {
    /// The originals noised to t in one jump.
    noised: Tensor<4>,
    /// Run back to t = 0 by DDIM and by DDPM's ancestral steps.
    by_ddim: Tensor<4>,
    by_ddpm: Tensor<4>,
    /// The model's one-step estimate of x_0 from the noised images.
    one_step: Tensor<4>,
}

/// Noises the originals to step `t` with noise seeded by (seed, "noise t{t}"), then runs
/// them back with `ddim`, with DDPM (fresh noise) and in one step, in that order.
fn noise_and_run_back(
    (seed, device): (u64, &Device),
    (model, schedule): (&UNet, &NoiseSchedule),
    originals: &Originals,
    t: usize,
    ddim: Sampler,
) -> RunBack {
    let (originals, count) = (&originals.images, originals.count);
    nn_core::backend::seed_device(device, seed, &format!("noise t{t}"));
    let noise = Tensor::<4>::random(originals.shape(), Distribution::Normal(0.0, 1.0), device);
    let noised = schedule.q_sample(originals.clone(), noise, &vec![t; count]);
    let run_back = |sampler| {
        denoise(
            model,
            schedule,
            noised.clone(),
            t,
            sampler,
            None,
            None,
            &mut |_, _| {},
        )
    };
    let (by_ddim, by_ddpm) = (run_back(ddim), run_back(Sampler::Ddpm));
    let one_step = estimate_x0(model, schedule, noised.clone(), t, None, None);
    RunBack {
        noised,
        by_ddim,
        by_ddpm,
        one_step,
    }
}

/// `psnr_by_t`: PSNR against the originals by t, one curve per way back (and the noised).
fn draw_psnr_curves(run: &mut Run, count: usize, curves: Vec<Vec<(f64, f64)>>) -> Result<()> {
    save_plot(
        run,
        "psnr_by_t",
        CurvePlot {
            title: format!(
                "Against the original, {count} test images: noised to t vs denoised back"
            ),
            x_label: "step t".into(),
            y_label: "PSNR (dB)".into(),
            curves: [
                "noised x_t",
                "denoised: DDIM (deterministic)",
                "DDPM (fresh noise each step)",
                "one-step x_0 estimate",
            ]
            .into_iter()
            .zip(curves)
            .map(|(label, points)| Curve {
                label: label.into(),
                points,
            })
            .collect(),
            log_y: false,
        },
    )
}
