//! `transfer/cifar-architectures`: VGG, ResNet and Inception trained, not only counted. Their
//! CIFAR-scale versions (a VGG-16 with batch norm at half width, He et al.'s ResNet-20, a
//! GoogLeNet with a CIFAR stem at quarter width) train on the same CIFAR-10 images with the
//! same budget, optimiser, augmentation and seeds; the summary sets each one's test accuracy
//! (mean and spread over seeds) beside its parameters and multiply-accumulates per image.

use crate::models::cifar_resnet::CifarResNetConfig;
use crate::models::inception::GoogLeNetConfig;
use crate::models::vgg::{VggConfig, cifar_vgg16_bn};
use crate::same_budget::{SameBudget, with_seed};
use nn_core::data::{DataRequest, ImageDataset, Normalization, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::metrics::Spread;
use nn_core::train::{
    ClassifierOptions, ImageClassifier, learnable_parameter_count, read_curve, train_stage,
};
use nn_core::viz::{Curve, CurvePlot, SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// The networks this experiment knows.
pub const ARCHITECTURES: [&str; 4] = ["vgg16-bn", "resnet-20", "resnet-56", "googlenet"];

/// Settings of `transfer/cifar-architectures`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CifarArchitecturesConfig {
    pub dataset: String,
    /// Some of `vgg16-bn`, `resnet-20`, `resnet-56`, `googlenet`.
    pub architectures: Vec<String>,
    /// One training of every network per seed.
    pub seeds: Vec<u64>,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate, decayed along a half cosine (the same for every network).
    pub lr: f64,
    /// Random 4-pixel crops and horizontal flips for every network.
    pub augment: bool,
    /// Training images used (a seeded subset); 0 for all.
    pub train_size: usize,
}

impl ExperimentConfig for CifarArchitecturesConfig {
    fn quick() -> Self {
        Self {
            dataset: "cifar-10".into(),
            architectures: vec!["vgg16-bn".into(), "resnet-20".into(), "googlenet".into()],
            seeds: vec![42],
            epochs: 1,
            batch_size: 128,
            lr: 1e-3,
            augment: true,
            train_size: 1_000,
        }
    }

    fn full() -> Self {
        Self {
            seeds: vec![42, 1, 2],
            epochs: 10,
            train_size: 0,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            self.dataset.starts_with("cifar-10"),
            "dataset",
            "must be a CIFAR-10 set (32x32 colour): these are the networks' CIFAR versions",
        )?;
        require(
            !self.architectures.is_empty()
                && self
                    .architectures
                    .iter()
                    .all(|a| ARCHITECTURES.contains(&a.as_str())),
            "architectures",
            "each must be one of vgg16-bn, resnet-20, resnet-56, googlenet",
        )?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        require_training(self.epochs, self.batch_size, self.lr)
    }
}

/// The CIFAR-scale VGG-16-BN of [`cifar_vgg16_bn`] for CIFAR-10's ten classes.
fn vgg16_bn() -> VggConfig {
    cifar_vgg16_bn(10)
}

/// GoogLeNet's nine Inception modules at quarter width, after a 3x3 stem without pooling.
fn googlenet() -> GoogLeNetConfig {
    GoogLeNetConfig::new()
        .with_classes(10)
        .with_width_divisor(4)
        .with_cifar_stem(true)
}

/// Multiply-accumulates of one forward pass on a 32x32 image.
pub fn macs_32(architecture: &str) -> u64 {
    match (architecture, resnet_depth(architecture)) {
        ("vgg16-bn", _) => vgg16_bn().macs(32).unwrap_or(0),
        ("googlenet", _) => googlenet().macs(32),
        (_, Some(depth)) => CifarResNetConfig::new(depth).macs(32),
        _ => 0,
    }
}

/// The depth in `resnet-<depth>`.
fn resnet_depth(architecture: &str) -> Option<usize> {
    architecture.strip_prefix("resnet-")?.parse().ok()
}

/// One training's outcome.
struct Trained {
    test_accuracy: f64,
    /// Learnable parameters (batch norm's running statistics not counted, as in papers).
    params: usize,
    epoch_seconds: f64,
    /// `(epoch, test accuracy)`.
    curve: Vec<(f64, f64)>,
}

fn train_one<M: ImageClassifier>(
    run: &mut Run,
    stage: &str,
    model: M,
    (train, test): (&ImageDataset, &ImageDataset),
    options: &ClassifierOptions,
) -> Result<Trained> {
    let params = learnable_parameter_count(&model);
    let trained = train_stage(run, stage, model, train, test, options)?;
    Ok(Trained {
        test_accuracy: trained.test.accuracy(),
        params,
        epoch_seconds: trained.epoch_seconds,
        curve: read_curve(&trained.dir, "test", "accuracy"),
    })
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "VGG, ResNet and Inception in their CIFAR-scale versions, trained on the same CIFAR-10 images with the same budget, optimiser, augmentation and seeds: the first figure shows every seed's test accuracy beside each network's parameters and multiply-accumulates, the second the mean test accuracy per epoch. A difference counts only where the seeds' spreads do not overlap; read it against what each network costs.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "test accuracy: VGG-16-BN {vgg16-bn_test_accuracy:%}, ResNet-20 {resnet-20_test_accuracy:%}, GoogLeNet {googlenet_test_accuracy:%}";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str =
    "too short to train deep networks (one epoch on 1,000 images; chance is 10%)";

/// Trains every network once per seed; draws every seed's test accuracy
/// (`accuracy_by_architecture.png`) and the seeds' mean test accuracy per epoch
/// (`accuracy_curves.png`).
pub fn run(config: &CifarArchitecturesConfig, run: &mut Run) -> Result<Summary> {
    let request = DataRequest {
        dataset: &config.dataset,
        train_size: config.train_size,
        test_size: 0,
    };
    let (train, test) = load_train_test(run, request)?;
    let normalization = Normalization::fit(&train);
    let budget = SameBudget {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        augment: config.augment,
    };
    let mut metrics = BTreeMap::new();
    // How many seeds each spread is over: the report prints no spread for one.
    metrics.insert("seeds".to_string(), config.seeds.len() as f64);
    let (mut groups, mut values, mut curves) = (Vec::new(), Vec::new(), Vec::new());
    for name in &config.architectures {
        let mut per_seed: Vec<Trained> = Vec::new();
        for &seed in &config.seeds {
            let data = (&train, &test);
            let trained = train_seeded(config, run, &budget, &normalization, data, name, seed);
            per_seed.push(trained?);
        }
        let (group, accuracies, curve) =
            summarise_architecture(config, name, &per_seed, &mut metrics);
        curves.push(curve);
        groups.push(group);
        values.push(accuracies);
    }
    let seeds = config.seeds.len();
    draw_accuracy_figures(config, run, train.len(), (groups, values), curves)?;
    run.note_departure(
        "the networks at full width on all 50,000 CIFAR-10 images for hundreds of epochs",
        &format!(
            "CIFAR-scale versions (VGG-16-BN at half width, GoogLeNet at quarter width), {} epoch(s) of Adam with cosine decay on {} images, {seeds} seed(s) each",
            config.epochs,
            train.len()
        ),
        "a CPU budget",
    );
    Ok(run.summary(config.epochs, metrics))
}

/// One training of the network `name` with the shared budget, seeded with `seed` (see
/// [`with_seed`]) in the stage `<name>-seed<seed>`; an unknown name is a config error.
fn train_seeded(
    config: &CifarArchitecturesConfig,
    run: &mut Run,
    budget: &SameBudget,
    normalization: &Normalization,
    data: (&ImageDataset, &ImageDataset),
    name: &str,
    seed: u64,
) -> Result<Trained> {
    with_seed(run, seed, |run, device| {
        let title = format!("{name} on {} (seed {seed})", config.dataset);
        let options = budget.options(normalization, title);
        let stage = format!("{name}-seed{seed}");
        let unknown = || {
            nn_core::Error::from(ConfigError::Key {
                key: "architectures".into(),
                message: format!("`{name}` is not one of {ARCHITECTURES:?}"),
            })
        };
        match (name, resnet_depth(name)) {
            ("vgg16-bn", _) => vgg16_bn()
                .init(device)
                .ok_or_else(unknown)
                .and_then(|model| train_one(run, &stage, model, data, &options)),
            ("googlenet", _) => train_one(run, &stage, googlenet().init(device), data, &options),
            (_, Some(depth)) => CifarResNetConfig::new(depth)
                .init(device)
                .ok_or_else(unknown)
                .and_then(|model| train_one(run, &stage, model, data, &options)),
            _ => Err(unknown()),
        }
    })
}

/// Prints and records one network's test accuracy (mean and spread over seeds), parameters,
/// multiply-accumulates and epoch time; returns its group label for the scores figure, its
/// accuracy per seed, and its mean test-accuracy curve over the epochs every seed has.
fn summarise_architecture(
    config: &CifarArchitecturesConfig,
    name: &str,
    per_seed: &[Trained],
    metrics: &mut BTreeMap<String, f64>,
) -> (String, Vec<f64>, Curve) {
    let accuracies: Vec<f64> = per_seed.iter().map(|t| t.test_accuracy).collect();
    let accuracy = Spread::of(&accuracies);
    let seconds = Spread::of(&per_seed.iter().map(|t| t.epoch_seconds).collect::<Vec<_>>());
    eprintln!("{name}: test accuracy {}", accuracy.display(4));
    metrics.insert(format!("{name}_test_accuracy"), accuracy.mean);
    metrics.insert(format!("{name}_test_accuracy_std"), accuracy.std);
    metrics.insert(format!("{name}_params"), per_seed[0].params as f64);
    metrics.insert(format!("{name}_macs"), macs_32(name) as f64);
    metrics.insert(format!("{name}_seconds_per_epoch"), seconds.mean);
    let epochs = per_seed.iter().map(|t| t.curve.len()).min().unwrap_or(0);
    let curve = Curve {
        label: format!("{name} (mean of {} seeds)", config.seeds.len()),
        points: (0..epochs)
            .map(|e| {
                let at: Vec<f64> = per_seed.iter().map(|t| t.curve[e].1).collect();
                (per_seed[0].curve[e].0, Spread::of(&at).mean)
            })
            .collect(),
    };
    let group = format!(
        "{name} ({:.2} M params, {:.0} M MACs)",
        per_seed[0].params as f64 / 1e6,
        macs_32(name) as f64 / 1e6
    );
    (group, accuracies, curve)
}

/// Draws every seed's test accuracy per network (`accuracy_by_architecture.png`; `groups`
/// and `values` hold one label and one accuracy per seed for each network) and the mean
/// test-accuracy curves (`accuracy_curves.png`).
fn draw_accuracy_figures(
    config: &CifarArchitecturesConfig,
    run: &mut Run,
    train_images: usize,
    (groups, values): (Vec<String>, Vec<Vec<f64>>),
    curves: Vec<Curve>,
) -> Result<()> {
    let seeds = config.seeds.len();
    let scores = SpreadPlot {
        title: format!(
            "Test accuracy, same budget ({} epochs on {} images, {seeds} seed(s))",
            config.epochs, train_images
        ),
        x_label: "network".into(),
        y_label: "test accuracy (chance 0.1)".into(),
        groups,
        series: vec![SpreadSeries {
            label: "per seed".into(),
            values,
        }],
        zero_line: false,
    };
    let curves = CurvePlot {
        title: format!("Test accuracy per epoch ({})", config.dataset),
        x_label: "epoch".into(),
        y_label: "test accuracy".into(),
        curves,
        log_y: false,
    };
    for file in scores
        .save(&run.path("accuracy_by_architecture"))?
        .into_iter()
        .chain(curves.save(&run.path("accuracy_curves"))?)
    {
        run.add_file(&file);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::*;

    #[test]
    fn presets_check_and_an_unknown_network_is_named() {
        assert!(CifarArchitecturesConfig::quick().validate().is_ok());
        assert!(CifarArchitecturesConfig::full().validate().is_ok());
        let bad = CifarArchitecturesConfig {
            architectures: vec!["alexnet".into()],
            ..CifarArchitecturesConfig::quick()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("architectures"), "{err}");
    }

    #[test]
    fn every_network_maps_cifar_images_to_ten_scores() {
        let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
        let images = Tensor::<4>::zeros([2, 3, 32, 32], &device);
        let vgg = vgg16_bn().init(&device).unwrap();
        // 13 convolutions of 9 * in * out weights + out biases + 2 * out batch-norm
        // parameters (3-32-32-64-64-128x3-256x6 channels): 3,684,384; the head
        // 256-256-256-10: 134,154.
        assert_eq!(learnable_parameter_count(&vgg), 3_684_384 + 134_154);
        assert_eq!(vgg.forward(images.clone()).dims(), [2, 10]);
        let inception = googlenet().init(&device);
        // burn's count holds each batch norm's two running statistics; the stem (16, 16, 48
        // channels) and the nine modules' branches (1,740 channels at quarter width) have
        // 1,820 batch-norm channels.
        assert_eq!(
            burn::module::Module::num_params(&inception) - learnable_parameter_count(&inception),
            2 * 1_820
        );
        assert_eq!(inception.forward(images).dims(), [2, 10]);
        for name in ARCHITECTURES {
            assert!(macs_32(name) > 1_000_000, "{name}");
        }
    }
}
