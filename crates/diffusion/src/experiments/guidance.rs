//! `diffusion/guidance`: classifier-free guidance studied on one trained class-conditional
//! U-Net. Each scale s (eps = eps_null + s (eps_class - eps_null); Ho & Salimans write
//! w = s - 1) is sampled four ways from the same noise: static clipping of x_0 (the DDPM
//! reference), Imagen's dynamic thresholding, CFG rescale (Lin et al. 2023, phi = 0.7),
//! and guidance only in the middle of the process (Kynkaanniemi et al. 2024). Per setting:
//! the share the judge recognises, and colour against real test images (mean saturation,
//! the share of samples clipped more than nine real images in ten).
//!
//! The model is the EMA U-Net of a finished `diffusion/class-samples-cifar10` (or
//! `diffusion/class-samples`) run with the same settings in the same `--out` folder, else
//! trained here; the judge is trained here with the class-samples run's seed and purpose,
//! so it is the same network.

use super::{load_data, sample_and_judge, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{save_images, save_plot};
use crate::recognizer::Recognizer;
use crate::sampling::{Clipping, Guidance, Sampler};
use crate::schedule::NoiseSchedule;
use crate::unet::UNet;
use burn::prelude::*;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, subset};
use nn_core::error::ConfigError;
use nn_core::metrics::ColourComparison;
use nn_core::train::FixedReference;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// CFG rescale's mixing share, as Lin et al. recommend.
pub const RESCALE_PHI: f64 = 0.7;
/// The noise levels (sigma = sqrt((1 - alpha_bar) / alpha_bar)) between which guidance
/// helps, Kynkaanniemi et al.'s interval for EDM2 on ImageNet-512 (data in [-1, 1] too).
pub const INTERVAL_SIGMAS: (f64, f64) = (0.28, 5.42);

/// `diffusion/class-samples-cifar10`'s settings (so its model can be reused), with the
/// scales and methods studied.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct GuidanceStudyConfig(pub DiffusionConfig);

impl ExperimentConfig for GuidanceStudyConfig {
    /// The quick CIFAR-10 model, two scales, two samples per class and setting.
    fn quick() -> Self {
        let base = super::class_samples_cifar10::CifarClassSamplesConfig::quick().0;
        Self(DiffusionConfig {
            guidance_scales: vec![1.0, 3.0],
            compare_per_class: 2,
            sample_steps: 10,
            ..base
        })
    }

    /// The full CIFAR-10 model of `diffusion/class-samples-cifar10`, scales 0 to 5, 20
    /// samples per class and setting with its sampler (DDIM, 50 steps).
    fn full() -> Self {
        Self(super::class_samples_cifar10::CifarClassSamplesConfig::full().0)
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.0.check()
    }
}

/// The model sampled: a finished class-samples run's EMA U-Net, or one trained here.
fn model(
    run: &mut Run,
    config: &DiffusionConfig,
    schedule: &NoiseSchedule,
    (train, test): (&nn_core::data::ImageDataset, &nn_core::data::ImageDataset),
) -> Result<UNet> {
    let spec = config.unet(train.shape.channels, train.num_classes());
    let siblings = ["diffusion/class-samples-cifar10", "diffusion/class-samples"];
    if let Some((model, _)) = super::reuse_trained_model(run, config, &siblings, &spec)? {
        return Ok(model);
    }
    let settings = config.train_settings(config.lr);
    let (trained, _) = train_in_stage(run, "diffusion", &spec, schedule, (train, test), &settings)?;
    Ok(trained.ema)
}

/// Guidance at `scale` the way `method` names, from the config's base guidance.
fn variant(
    base: Guidance,
    method: &str,
    scale: f64,
    schedule: &NoiseSchedule,
    dynamic_quantile: f64,
) -> Result<Guidance> {
    let plain = Guidance {
        scale,
        rescale: 0.0,
        interval: (0, usize::MAX),
        clipping: Clipping::Static,
        ..base
    };
    Ok(match method {
        "static" => plain,
        "dynamic" => Guidance {
            clipping: Clipping::Dynamic(dynamic_quantile),
            ..plain
        },
        "rescale" => Guidance {
            rescale: RESCALE_PHI,
            ..plain
        },
        "interval" => Guidance {
            interval: sigma_interval(schedule, INTERVAL_SIGMAS),
            ..plain
        },
        other => {
            return Err(ConfigError::Key {
                key: "guidance_methods".into(),
                message: format!(
                    "`{other}` is not a guidance method: use static, dynamic, rescale or interval"
                ),
            }
            .into());
        }
    })
}

/// The steps (low, high] whose noise level sigma_t lies in (`sigmas.0`, `sigmas.1`].
pub fn sigma_interval(schedule: &NoiseSchedule, (low, high): (f64, f64)) -> (usize, usize) {
    let sigma = |t: usize| schedule.snr(t).powf(-0.5);
    let last_at_most = |bound: f64| {
        (1..=schedule.steps())
            .take_while(|&t| sigma(t) <= bound)
            .last()
            .unwrap_or(0)
    };
    (last_at_most(low), last_at_most(high))
}

/// `3` for 3.0, `1p5` for 1.5: a scale as part of a figure's name.
fn scale_key(scale: f64) -> String {
    format!("{scale}").replace('.', "p")
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "One trained CIFAR-10 model sampled from the same noise at guidance scales 0 to 5, each four ways: x_0 clipped statically, dynamic thresholding, CFG rescale, guidance only in the middle of the process. Read recognition (up is better, against the judge's ceiling) beside the saturation and clipping figures (closer to the real images' is better): high guidance with static clipping buys recognition with burnt colour.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "at s=3 recognised: static {recognised_s3_static:%}, dynamic {recognised_s3_dynamic:%}, rescale {recognised_s3_rescale:%}, interval {recognised_s3_interval:%}; saturation static {mean_saturation_s3_static} (real {mean_saturation_real})";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str = "the quick CIFAR-10 model draws no objects yet, so every method is at chance (10%); the saturation still compares them";

pub fn run(config: &GuidanceStudyConfig, run: &mut Run) -> Result<Summary> {
    let config = &config.0;
    let setup = Setup::prepare(config, run)?;
    let mut figures =
        BTreeMap::from([("classifier_test_accuracy".into(), setup.judge.test_accuracy)]);
    let mut table = table_header(config, &setup);
    let sweep = sample_every_setting(run, config, &setup, &mut figures, &mut table)?;
    let real_saturation = sweep.real_saturation;
    figures.insert("mean_saturation_real".into(), real_saturation);
    figures.insert("frechet_fixed_floor".into(), setup.realism.floor);
    table.push_str(&format!(
        "\nReal test images: mean saturation {real_saturation:.3}; by definition about 10% of them are above their own 90th percentile of clipped share.\n"
    ));
    let table_path = run.path("guidance_table.md");
    std::fs::write(&table_path, &table).map_err(|e| nn_core::Error::io(&table_path, e))?;
    run.add_file(&table_path);

    draw_curves(run, config, &sweep)?;
    if !sweep.grid.is_empty() {
        save_images(
            run,
            "guidance_grid.png",
            Tensor::cat(sweep.grid, 0),
            &sweep.captions,
            setup.classes,
        )?;
    }
    run.note(format!(
        "guidance methods: static (x_0 clamped to [-1, 1]), dynamic (Imagen's thresholding at the {} quantile), rescale (CFG rescale, phi {RESCALE_PHI}), interval (guided only for sigma_t in ({}, {}], steps {:?}; plain conditioning elsewhere)",
        config.dynamic_quantile,
        INTERVAL_SIGMAS.0,
        INTERVAL_SIGMAS.1,
        sigma_interval(&setup.schedule, INTERVAL_SIGMAS)
    ));
    Ok(run.summary(config.epochs, figures))
}

/// What every setting is sampled and measured with: the model, its schedule and sampler,
/// the base guidance, the judge, and the real test images with their realism reference.
struct Setup {
    classes: usize,
    /// `[c, h, w]` of an image.
    shape: [usize; 3],
    schedule: NoiseSchedule,
    sampler: Sampler,
    base: Guidance,
    per_class: usize,
    /// `classes * per_class`: samples per setting, and real test images compared with.
    count: usize,
    real: ImageDataset,
    judge: Recognizer,
    realism: FixedReference,
    model: UNet,
    device: Device,
}

impl Setup {
    /// Loads the data, then trains the judge, measures the realism reference and finds or
    /// trains the model, in that order (the order the device's seeds are drawn in).
    fn prepare(config: &DiffusionConfig, run: &mut Run) -> Result<Setup> {
        let (train, test) = load_data(config, run)?;
        super::note_dataset_departure(config, run);
        let classes = train.num_classes();
        let shape = [train.shape.channels, train.shape.height, train.shape.width];
        let schedule = config.schedule()?;
        let sampler = config.sampler()?;
        let spec = config.unet(train.shape.channels, classes);
        let Some(base) = config.guidance(&spec) else {
            return Err(nn_core::Error::Other(
                "diffusion/guidance needs labelled data (a class-conditional model)".into(),
            ));
        };

        let per_class = config.compare_per_class.max(1);
        let count = classes * per_class;
        let real = subset(test.clone(), count, run.seed);
        let judge_data = subset(train.clone(), config.classifier_train_size, run.seed);
        let judge = Recognizer::train(run, &judge_data, &test, config.classifier_epochs)?;
        let realism = super::fixed_reference(run, config, (&train, &real))?;
        let model = model(run, config, &schedule, (&train, &test))?;
        let device = run.device.clone();
        Ok(Setup {
            classes,
            shape,
            schedule,
            sampler,
            base,
            per_class,
            count,
            real,
            judge,
            realism,
            model,
            device,
        })
    }
}

/// The head of `guidance_table.md`: what was sampled and judged, and the table's columns.
fn table_header(config: &DiffusionConfig, setup: &Setup) -> String {
    let (count, per_class) = (setup.count, setup.per_class);
    format!(
        "{count} samples per setting ({per_class} per class), {}, the same noise for every setting; the judge's accuracy on real test images {:.1}%; Frechet distance in the fixed features of `{}`, whose floor (as many real training images) is {:.2}.\n\n| scale s | method | recognised | mean saturation | clipped above the real p90 | Frechet (fixed) |\n|---:|---|---:|---:|---:|---:|\n",
        setup.sampler.describe(setup.schedule.steps()),
        100.0 * setup.judge.test_accuracy,
        config.dataset,
        setup.realism.floor
    )
}

/// What sampling every (scale, method) setting gave the curves and the grid.
struct Sweep<'a> {
    /// Per method, (scale, share recognised) points.
    recognition: BTreeMap<&'a str, Vec<(f64, f64)>>,
    /// Per method, (scale, mean saturation) points.
    saturation: BTreeMap<&'a str, Vec<(f64, f64)>>,
    /// `[1, c, h, w]` per cell: the first sample of each class of every shown setting.
    grid: Vec<Tensor<4>>,
    captions: Vec<Option<String>>,
    /// The real test images' mean saturation.
    real_saturation: f64,
}

/// Samples and judges every scale with every method from the same noise, measures colour
/// and Frechet distance, and adds each setting's figures and table row.
fn sample_every_setting<'a>(
    run: &Run,
    config: &'a DiffusionConfig,
    setup: &Setup,
    figures: &mut BTreeMap<String, f64>,
    table: &mut String,
) -> Result<Sweep<'a>> {
    let (classes, per_class) = (setup.classes, setup.per_class);
    let mut sweep = Sweep {
        recognition: BTreeMap::new(),
        saturation: BTreeMap::new(),
        grid: Vec::new(),
        captions: Vec::new(),
        real_saturation: 0.0,
    };
    for &scale in &config.guidance_scales {
        for method in &config.guidance_methods {
            let schedule = &setup.schedule;
            let guidance = variant(setup.base, method, scale, schedule, config.dynamic_quantile)?;
            let judged = sample_and_judge(
                run,
                (&setup.model, schedule, setup.shape),
                (&setup.judge, classes, per_class),
                (setup.sampler, Some(guidance), config.sample_batch),
                "guidance",
            );
            let images = dataset_from_symmetric(judged.samples.clone());
            let colour = ColourComparison::measure(&images, &setup.real);
            let frechet = setup.realism.distance(&images, &setup.device)?;
            sweep.real_saturation = colour.mean_saturation_real;
            let key = format!("s{}_{method}", scale_key(scale));
            figures.insert(format!("recognised_{key}"), judged.rate);
            figures.insert(format!("mean_saturation_{key}"), colour.mean_saturation);
            figures.insert(
                format!("clipped_above_real_p90_{key}"),
                colour.clipped_above_real_p90,
            );
            figures.insert(format!("frechet_fixed_{key}"), frechet);
            table.push_str(&format!(
                "| {scale} | {method} | {:.1}% | {:.3} | {:.1}% | {frechet:.2} |\n",
                100.0 * judged.rate,
                colour.mean_saturation,
                100.0 * colour.clipped_above_real_p90
            ));
            sweep
                .recognition
                .entry(method)
                .or_default()
                .push((scale, judged.rate));
            sweep
                .saturation
                .entry(method)
                .or_default()
                .push((scale, colour.mean_saturation));
            if scale >= 3.0 || config.guidance_scales.len() <= 2 {
                for k in 0..classes {
                    sweep
                        .grid
                        .push(judged.samples.clone().narrow(0, k * per_class, 1));
                    sweep
                        .captions
                        .push((k == 0).then(|| format!("{method} s={scale}")));
                }
            }
        }
    }
    Ok(sweep)
}

/// `guidance_recognition` and `guidance_saturation`: one curve per method over the
/// scales, the second with the real test images' saturation as a flat line.
fn draw_curves(run: &mut Run, config: &DiffusionConfig, sweep: &Sweep) -> Result<()> {
    let curves = |by_method: &BTreeMap<&str, Vec<(f64, f64)>>| {
        by_method
            .iter()
            .map(|(method, points)| Curve {
                label: method.to_string(),
                points: points.clone(),
            })
            .collect::<Vec<_>>()
    };
    save_plot(
        run,
        "guidance_recognition",
        CurvePlot {
            title: "Samples recognised as their class, by guidance scale".into(),
            x_label: "guidance scale s (1: plain conditioning)".into(),
            y_label: "share recognised".into(),
            curves: curves(&sweep.recognition),
            log_y: false,
        },
    )?;
    let mut saturation_curves = curves(&sweep.saturation);
    let scales = &config.guidance_scales;
    let real_saturation = sweep.real_saturation;
    if let (Some(first), Some(last)) = (scales.first(), scales.last()) {
        saturation_curves.push(Curve {
            label: "real test images".into(),
            points: vec![(*first, real_saturation), (*last, real_saturation)],
        });
    }
    save_plot(
        run,
        "guidance_saturation",
        CurvePlot {
            title: "Mean HSV saturation of the samples, by guidance scale".into(),
            x_label: "guidance scale s".into(),
            y_label: "mean saturation".into(),
            curves: saturation_curves,
            log_y: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_holds_the_steps_whose_noise_level_is_inside_the_bounds() {
        let schedule = NoiseSchedule::linear(1000, 1e-4, 0.02);
        let sigma = |t: usize| ((1.0 - schedule.alpha_bar(t)) / schedule.alpha_bar(t)).sqrt();
        let (low, high) = sigma_interval(&schedule, INTERVAL_SIGMAS);
        assert!(0 < low && low < high && high < 1000, "({low}, {high})");
        assert!(sigma(low) <= 0.28 && sigma(low + 1) > 0.28);
        assert!(sigma(high) <= 5.42 && sigma(high + 1) > 5.42);
    }

    #[test]
    fn presets_are_valid_and_an_unknown_method_names_the_key() {
        for config in [GuidanceStudyConfig::quick(), GuidanceStudyConfig::full()] {
            config.validate().unwrap();
            assert_eq!(config.0.dataset, "cifar-10");
        }
        let mut config = GuidanceStudyConfig::quick();
        config.0.guidance_methods = vec!["louder".into()];
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("guidance_methods"), "{err}");
    }
}
