//! `transfer/vgg19-cifar10`: the week's assignment. A VGG-19 trained on one data set is
//! moved to CIFAR-10 in stages, each measured on the CIFAR-10 test set:
//! 1. before training: the pre-trained body with a new, random 10-class head (chance level);
//! 2. feature extraction: the convolutional body frozen, only the classifier trained;
//! 3. fine-tuning: the last convolutional block unfrozen, then the whole network, with a
//!    lower learning rate;
//!
//! and the same network trained from scratch for as many epochs as stages 2 and 3 together.
//!
//! The pre-trained weights are torchvision's ImageNet VGG-19 when its file is in the data
//! dir (`cargo xtask download vgg19`); otherwise the experiment pre-trains its own VGG-19
//! (narrower, for a CPU) first (see [`crate::pretrained`]). The summary says which weights
//! it used.

use crate::figures;
use crate::fine_tuning::{StageBudget, transfer_stages};
use crate::models::vgg::{Vgg, VggConfig};
use crate::pretrained::{OwnPretraining, find_source, pretrained};
use burn::prelude::Device;
use nn_core::data::Normalization;
use nn_core::data::{DataRequest, ImageDataset, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_rate};
use nn_core::train::{ClassifierOptions, StageResult, evaluate, train_stage};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Settings of `transfer/vgg19-cifar10`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vgg19Cifar10Config {
    /// `auto` (ImageNet if its file is in the data dir, else `own`), `imagenet`, `own`, or
    /// the path of a torchvision VGG-19 checkpoint (`.pth` or `.safetensors`).
    pub weights: String,
    /// The own network (and a checkpoint given by path) with batch norm, like torchvision's
    /// `vgg19_bn`. A plain VGG-19 is slow to start learning from scratch on a CPU budget.
    pub batch_norm: bool,
    /// CIFAR-10 training images (a seeded subset; 0 for all) and test images (0 for all).
    pub train_size: usize,
    pub test_size: usize,
    pub batch_size: usize,
    /// Epochs and learning rates (Adam) of the stages.
    pub head_epochs: usize,
    pub head_lr: f64,
    pub last_block_epochs: usize,
    pub all_epochs: usize,
    pub fine_tune_lr: f64,
    pub scratch_lr: f64,
    /// The own network (unused with ImageNet weights, which fix the shape): channels divided
    /// by `width_divisor`, `hidden` units in the two dense layers, `pool` x `pool` cells
    /// before them.
    pub width_divisor: usize,
    pub hidden: usize,
    pub pool: usize,
    /// Own pre-training: a labelled data set (`fashion-mnist`, ...) or `cats` (unlabelled
    /// photos, turned into the rotation pretext task); images (0 for all), epochs, rate.
    pub pretrain_dataset: String,
    pub pretrain_size: usize,
    pub pretrain_epochs: usize,
    pub pretrain_lr: f64,
    /// With ImageNet weights, CIFAR's 32x32 images are enlarged (bilinearly) to this side
    /// first: at 32 pixels VGG-19's five poolings leave a 1x1 map, where ImageNet's filters
    /// (learned on 224-pixel photos) see almost nothing; 224 is what they expect but costs
    /// 49 times 32's compute, too much for a CPU; 64 (a 2x2 map) is the compromise.
    pub imagenet_side: usize,
}

impl ExperimentConfig for Vgg19Cifar10Config {
    fn quick() -> Self {
        Self {
            weights: "auto".into(),
            batch_norm: true,
            train_size: 1_000,
            test_size: 500,
            batch_size: 64,
            head_epochs: 1,
            head_lr: 1e-3,
            last_block_epochs: 1,
            all_epochs: 1,
            fine_tune_lr: 3e-4,
            scratch_lr: 1e-3,
            width_divisor: 8,
            hidden: 256,
            pool: 1,
            pretrain_dataset: "cats".into(),
            pretrain_size: 1_000,
            pretrain_epochs: 2,
            pretrain_lr: 1e-3,
            imagenet_side: 64,
        }
    }

    fn full() -> Self {
        Self {
            train_size: 0,
            test_size: 0,
            head_epochs: 2,
            last_block_epochs: 2,
            all_epochs: 8,
            pretrain_size: 0,
            pretrain_epochs: 8,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            ["auto", "imagenet", "own"].contains(&self.weights.as_str())
                || self.weights.ends_with(".pth")
                || self.weights.ends_with(".safetensors"),
            "weights",
            "must be auto, imagenet, own, or the path of a .pth or .safetensors file",
        )?;
        require(self.batch_size > 0, "batch_size", "must be positive")?;
        require(
            self.head_epochs + self.last_block_epochs + self.all_epochs > 0,
            "head_epochs",
            "the stages need at least one epoch between them",
        )?;
        for (key, lr) in [
            ("head_lr", self.head_lr),
            ("fine_tune_lr", self.fine_tune_lr),
            ("scratch_lr", self.scratch_lr),
            ("pretrain_lr", self.pretrain_lr),
        ] {
            require_rate(key, lr)?;
        }
        require(
            (1..=64).contains(&self.width_divisor),
            "width_divisor",
            "must be 1 to 64",
        )?;
        require(
            self.hidden > 0 && self.pool > 0,
            "hidden",
            "hidden and pool must be positive",
        )?;
        require(
            self.pretrain_epochs > 0,
            "pretrain_epochs",
            "must be positive",
        )?;
        require(
            (32..=512).contains(&self.imagenet_side),
            "imagenet_side",
            "must be 32 to 512 pixels (64 by default; torchvision's weights were trained at 224)",
        )
    }

    /// The target task is always CIFAR-10.
    fn fixed_datasets(&self) -> Vec<String> {
        vec!["cifar-10".into()]
    }
}

impl Vgg19Cifar10Config {
    /// The own pre-training these settings describe (used without a checkpoint).
    fn own_pretraining(&self) -> OwnPretraining {
        OwnPretraining {
            network: VggConfig::new(19)
                .with_batch_norm(self.batch_norm)
                .with_width_divisor(self.width_divisor)
                .with_hidden(self.hidden)
                .with_pool(self.pool),
            dataset: self.pretrain_dataset.clone(),
            images: self.pretrain_size,
            test_images: self.test_size,
            epochs: self.pretrain_epochs,
            lr: self.pretrain_lr,
            batch_size: self.batch_size,
        }
    }

    /// Epochs and rates of the transfer stages.
    fn budget(&self) -> StageBudget {
        StageBudget {
            head_epochs: self.head_epochs,
            head_lr: self.head_lr,
            last_block_epochs: self.last_block_epochs,
            all_epochs: self.all_epochs,
            fine_tune_lr: self.fine_tune_lr,
        }
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Each stage's curves (a new head on the frozen body, the last block, everything fine-tuned) beside the same network from scratch: transfer helps when its curves start higher and end at least as high as scratch's; compare the final accuracies, and read the notes for where the pre-trained weights came from.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str =
    "fine-tuned {fine_tune_test_accuracy:%} vs from scratch {scratch_test_accuracy:%}";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str =
    "too short to show what transfer gains (one epoch per stage on 1,000 images; chance is 10%)";

/// Gets the pre-trained network, then runs the stages on CIFAR-10 (a new head before
/// training, feature extraction, fine-tuning) and the same network from scratch.
pub fn run(config: &Vgg19Cifar10Config, run: &mut Run) -> Result<Summary> {
    let request = DataRequest {
        dataset: "cifar-10",
        train_size: config.train_size,
        test_size: config.test_size,
    };
    let (train, test) = load_train_test(run, request)?;
    let source = find_source(&config.weights, config.batch_norm, &run.data_dir)?;
    let pretrained = pretrained(source, &config.own_pretraining(), run)?;
    run.note(pretrained.note.clone());
    // ImageNet weights come with ImageNet's statistics: enlarge the images for them.
    let imagenet = pretrained.normalization.is_some();
    let (train, test) = enlarge_for_imagenet(config, run, imagenet, (train, test));
    let device = run.train_device();
    let classes = train.num_classes();
    let normalization = pretrained
        .normalization
        .clone()
        .unwrap_or_else(|| Normalization::fit(&train));
    let mut metrics = pretrained.figures.clone();

    // 1. A new head on the pre-trained body, before any training: chance level.
    nn_core::backend::seed_device(&device, run.seed, "head");
    let model = pretrained.model.replace_head(classes, &device);
    let before = evaluate(
        &model,
        &test,
        &normalization,
        config.batch_size,
        &run.device,
    )
    .accuracy();
    metrics.insert("before_training_test_accuracy".into(), before);
    metrics.insert("chance_accuracy".into(), 1.0 / classes as f64);
    metrics.insert(
        "params".into(),
        nn_core::train::learnable_parameter_count(&model) as f64,
    );

    // 2. Feature extraction: the whole convolutional body frozen; 3. fine-tuning: the last
    // block unfrozen, then everything.
    let data = (&train, &test);
    let (last_accuracy, dirs) = train_transfer_stages(
        config,
        run,
        model,
        data,
        &normalization,
        before,
        &mut metrics,
    )?;
    // The score of the whole transfer path is its last stage's.
    metrics.insert("fine_tune_test_accuracy".into(), last_accuracy);

    // 4. The same network from scratch, for as many epochs as the transfer stages together.
    let epochs = config.head_epochs + config.last_block_epochs + config.all_epochs;
    let network = &pretrained.network;
    let (scratch_before, scratch) =
        train_from_scratch(config, run, &device, network, epochs, data, &normalization)?;
    metrics.insert("scratch_test_accuracy".into(), scratch.test.accuracy());
    metrics.insert("scratch_epoch_seconds".into(), scratch.epoch_seconds);
    metrics.insert(
        "transfer_gain".into(),
        last_accuracy - scratch.test.accuracy(),
    );

    let transfer_dirs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    figures::transfer_vs_scratch(
        run,
        (before, &transfer_dirs),
        (scratch_before, &scratch.dir),
    )?;
    Ok(run.summary(epochs, metrics))
}

/// With ImageNet weights (`imagenet`), both splits enlarged bilinearly to
/// `config.imagenet_side` pixels a side, with a note saying so; otherwise unchanged.
fn enlarge_for_imagenet(
    config: &Vgg19Cifar10Config,
    run: &mut Run,
    imagenet: bool,
    (train, test): (ImageDataset, ImageDataset),
) -> (ImageDataset, ImageDataset) {
    if imagenet {
        let side = config.imagenet_side;
        run.note(format!(
            "CIFAR-10's 32x32 images enlarged bilinearly to {side}x{side} for the ImageNet weights (trained at 224x224; imagenet_side)"
        ));
        (train.resized(side), test.resized(side))
    } else {
        (train, test)
    }
}

/// Stages 2 and 3: feature extraction (the whole convolutional body frozen), then
/// fine-tuning (the last block unfrozen, then everything), each going on from the one
/// before; records each stage's test accuracy and epoch time, and returns the last stage's
/// test accuracy (`before` if there is no stage) and the stages' directories.
fn train_transfer_stages(
    config: &Vgg19Cifar10Config,
    run: &mut Run,
    model: Vgg,
    (train, test): (&ImageDataset, &ImageDataset),
    normalization: &Normalization,
    before: f64,
    metrics: &mut BTreeMap<String, f64>,
) -> Result<(f64, Vec<PathBuf>)> {
    let units = model.features.len();
    let stages = transfer_stages(&model, config.budget());
    let mut model = model;
    let mut dirs = Vec::new();
    let mut last_accuracy = before;
    for planned in stages {
        let (name, key, frozen_units) = (planned.name, planned.key, planned.frozen_units);
        let frozen = model.freeze_features(frozen_units);
        let title =
            format!("VGG-19 on CIFAR-10: {name} ({frozen_units} of {units} conv layers frozen)");
        let options = ClassifierOptions::adam(
            planned.epochs,
            config.batch_size,
            planned.lr,
            normalization.clone(),
            title,
        );
        let stage: StageResult<Vgg> = train_stage(run, name, frozen, train, test, &options)?;
        last_accuracy = stage.test.accuracy();
        metrics.insert(format!("{key}_test_accuracy"), last_accuracy);
        metrics.insert(format!("{key}_epoch_seconds"), stage.epoch_seconds);
        dirs.push(stage.dir.clone());
        model = stage.model;
    }
    Ok((last_accuracy, dirs))
}

/// Stage 4: a fresh network of the pre-trained one's shape (seeded for `scratch`), trained
/// from scratch for `epochs`; returns its test accuracy before training and the stage.
fn train_from_scratch(
    config: &Vgg19Cifar10Config,
    run: &mut Run,
    device: &Device,
    network: &VggConfig,
    epochs: usize,
    (train, test): (&ImageDataset, &ImageDataset),
    normalization: &Normalization,
) -> Result<(f64, StageResult<Vgg>)> {
    let classes = train.num_classes();
    nn_core::backend::seed_device(device, run.seed, "scratch");
    let scratch_network = network.clone().with_classes(classes);
    let scratch_model = scratch_network.init(device).expect("depth 19 is known");
    let scratch_before = evaluate(
        &scratch_model,
        test,
        normalization,
        config.batch_size,
        &run.device,
    )
    .accuracy();
    let scratch = train_stage(
        run,
        "scratch",
        scratch_model,
        train,
        test,
        &ClassifierOptions::adam(
            epochs,
            config.batch_size,
            config.scratch_lr,
            normalization.clone(),
            "VGG-19 on CIFAR-10 from scratch",
        ),
    )?;
    Ok((scratch_before, scratch))
}
