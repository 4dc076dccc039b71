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
//! (narrower, for a CPU) first: by default on cat photos, predicting how each was rotated
//! (self-supervised; see [`nn_core::data::pretext`]), or on a labelled set such as Fashion-MNIST.
//! The summary says which weights it used.

use crate::models::vgg::{Vgg, VggConfig};
use crate::weights::{load_torchvision, vgg_key_rules};
use nn_core::data::pretext::rotation_pretext;
use nn_core::data::weights::find_weights;
use nn_core::data::{ImageDataset, Normalization};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{
    ClassifierOptions, OptimizerKind, StageResult, evaluate, load_train_test, read_curve, subset,
    train_stage,
};
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings of `transfer/vgg19-cifar10`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vgg19Cifar10Config {
    pub seed: u64,
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
}

impl ExperimentConfig for Vgg19Cifar10Config {
    fn quick() -> Self {
        Self {
            seed: 42,
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
            require(lr > 0.0 && lr.is_finite(), key, "must be a positive number")?;
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
        )
    }

    /// The target task is always CIFAR-10.
    fn fixed_datasets(&self) -> Vec<String> {
        vec!["cifar-10".into()]
    }
}

/// Where the pre-trained network came from.
enum Source {
    /// A torchvision checkpoint, with or without batch norm.
    File {
        path: PathBuf,
        batch_norm: bool,
    },
    Own,
}

impl Vgg19Cifar10Config {
    /// `auto` and `imagenet` take torchvision's `vgg19` file, else its `vgg19_bn`, from the
    /// data dir; `auto` falls back to the own pre-training when neither is there.
    fn source(&self, run: &Run) -> Result<Source> {
        let mut found = None;
        for (name, batch_norm) in [("vgg19", false), ("vgg19_bn", true)] {
            let spec = find_weights(name).expect("vgg19 weights are in the catalog");
            if found.is_none()
                && let Some(path) = spec.verified_path(&run.data_dir)?
            {
                found = Some(Source::File { path, batch_norm });
            }
        }
        Ok(match (self.weights.as_str(), found) {
            ("own", _) | ("auto", None) => Source::Own,
            ("auto" | "imagenet", Some(source)) => source,
            ("imagenet", None) => {
                return Err(nn_core::Error::Other(format!(
                    "weights = \"imagenet\" but torchvision's VGG-19 is not in {}; run `cargo xtask download vgg19` or set weights = \"own\"",
                    run.data_dir.join("weights").display()
                )));
            }
            (path, _) => Source::File {
                path: PathBuf::from(path),
                batch_norm: self.batch_norm,
            },
        })
    }

    /// The own (narrow) VGG-19 for `classes` classes.
    fn own_network(&self, classes: usize) -> VggConfig {
        VggConfig::new(19)
            .with_classes(classes)
            .with_batch_norm(self.batch_norm)
            .with_width_divisor(self.width_divisor)
            .with_hidden(self.hidden)
            .with_pool(self.pool)
    }

    fn options(
        &self,
        epochs: usize,
        lr: f64,
        normalization: &Normalization,
        title: &str,
    ) -> ClassifierOptions {
        ClassifierOptions {
            epochs,
            batch_size: self.batch_size,
            lr,
            optimizer: OptimizerKind::Adam.init(),
            normalization: normalization.clone(),
            augment: None,
            title: title.into(),
            class_weights: None,
            cosine_decay: false,
        }
    }
}

/// ImageNet's channel statistics, which torchvision's weights expect.
fn imagenet_normalization() -> Normalization {
    Normalization {
        mean: vec![0.485, 0.456, 0.406],
        std: vec![0.229, 0.224, 0.225],
    }
}

/// The pre-trained network (with its original head), its architecture, the input
/// normalisation it was trained with, and a sentence naming the weights.
struct Pretrained {
    model: Vgg,
    network: VggConfig,
    normalization: Option<Normalization>,
    note: String,
    figures: BTreeMap<String, f64>,
}

fn pretrained(config: &Vgg19Cifar10Config, run: &mut Run) -> Result<Pretrained> {
    let device = run.train_device();
    match config.source(run)? {
        Source::File { path, batch_norm } => {
            let network = VggConfig::new(19).with_batch_norm(batch_norm);
            let mut model = network.init(&device).expect("depth 19 is known");
            let loaded = load_torchvision(&mut model, &path, &vgg_key_rules(&network))?;
            Ok(Pretrained {
                model,
                network,
                normalization: Some(imagenet_normalization()),
                note: format!(
                    "pre-trained weights: {} ({} tensors loaded), i.e. ImageNet",
                    path.display(),
                    loaded.applied
                ),
                figures: BTreeMap::new(),
            })
        }
        Source::Own => {
            let (train, test, task) = pretraining_data(config, run)?;
            let network = config.own_network(train.num_classes());
            nn_core::backend::seed_device(&device, run.seed, "pretrain");
            let model = network.init(&device).expect("depth 19 is known");
            let normalization = Normalization::fit(&train);
            let options = config.options(
                config.pretrain_epochs,
                config.pretrain_lr,
                &normalization,
                &format!("VGG-19 pre-training: {task}"),
            );
            let stage = train_stage(run, "pretrain", model, &train, &test, &options)?;
            let accuracy = stage.test.accuracy();
            Ok(Pretrained {
                model: stage.model,
                network,
                normalization: None,
                note: format!(
                    "pre-trained weights: our own, not ImageNet ({}): VGG-19 at 1/{} width pre-trained on {task} ({} training images, {} epochs, pre-training test accuracy {:.1}%)",
                    if config.weights == "own" {
                        "weights = own"
                    } else {
                        "no ImageNet file in the data dir"
                    },
                    config.width_divisor,
                    train.len(),
                    config.pretrain_epochs,
                    100.0 * accuracy
                ),
                figures: BTreeMap::from([
                    ("pretrain_test_accuracy".to_string(), accuracy),
                    ("pretrain_images".to_string(), train.len() as f64),
                ]),
            })
        }
    }
}

/// The own pre-training's train and test sets at 32x32 RGB, and what the task is. `cats`
/// (unlabelled photos) becomes the rotation pretext; a labelled set is used as it is.
fn pretraining_data(
    config: &Vgg19Cifar10Config,
    run: &mut Run,
) -> Result<(ImageDataset, ImageDataset, String)> {
    let name = config.pretrain_dataset.as_str();
    if name == "cats" {
        let photos = subset(run.load(name, "all")?, config.pretrain_size, run.seed);
        let photos = photos.box_downscaled(32).as_rgb_canvas(32);
        let (train, test) = photos.split_off(0.1, run.seed);
        return Ok((
            rotation_pretext(&train),
            rotation_pretext(&test),
            "cat photos, predicting their rotation (self-supervised, no labels)".into(),
        ));
    }
    let train = subset(run.load(name, "train")?, config.pretrain_size, run.seed).as_rgb_canvas(32);
    let test = subset(run.load(name, "test")?, config.test_size, run.seed).as_rgb_canvas(32);
    Ok((train, test, format!("{name} classification")))
}

/// Test accuracy per cumulative epoch over consecutive stages (epoch 0: before training).
fn joined_curve(label: &str, start: f64, stages: &[&std::path::Path]) -> Curve {
    let mut points = vec![(0.0, start)];
    let mut offset = 0.0;
    for dir in stages {
        let curve = read_curve(dir, "test", "accuracy");
        let last = curve.last().map_or(0.0, |p| p.0);
        points.extend(curve.into_iter().map(|(e, a)| (offset + e, a)));
        offset += last;
    }
    Curve {
        label: label.into(),
        points,
    }
}

pub fn run(config: &Vgg19Cifar10Config, run: &mut Run) -> Result<Summary> {
    let (train, test) = load_train_test(run, "cifar-10", config.train_size)?;
    let test = subset(test, config.test_size, run.seed);
    let target_data = nn_core::run::DataInfo {
        test: test.len(),
        ..run.data().clone()
    };
    let pretrained = pretrained(config, run)?;
    run.set_data(target_data);
    run.note(pretrained.note.clone());
    let device = run.train_device();
    let classes = train.num_classes();
    let normalization = pretrained
        .normalization
        .clone()
        .unwrap_or_else(|| Normalization::fit(&train));
    let mut figures = pretrained.figures.clone();

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
    figures.insert("before_training_test_accuracy".into(), before);
    figures.insert("chance_accuracy".into(), 1.0 / classes as f64);
    figures.insert(
        "params".into(),
        nn_core::train::learnable_parameter_count(&model) as f64,
    );

    // 2. Feature extraction: the whole convolutional body frozen.
    let units = model.features.len();
    let mut stages: Vec<(&str, usize, usize, f64)> = vec![
        (
            "feature-extraction",
            units,
            config.head_epochs,
            config.head_lr,
        ),
        (
            "fine-tune-last-block",
            *model.stage_starts().last().unwrap_or(&0),
            config.last_block_epochs,
            config.fine_tune_lr,
        ),
        ("fine-tune-all", 0, config.all_epochs, config.fine_tune_lr),
    ];
    stages.retain(|s| s.2 > 0);
    let mut model = model;
    let mut dirs = Vec::new();
    let mut last_accuracy = before;
    for (name, frozen_units, epochs, lr) in stages {
        let frozen = model.freeze_features(frozen_units);
        let title =
            format!("VGG-19 on CIFAR-10: {name} ({frozen_units} of {units} conv layers frozen)");
        let stage: StageResult<Vgg> = train_stage(
            run,
            name,
            frozen,
            &train,
            &test,
            &config.options(epochs, lr, &normalization, &title),
        )?;
        last_accuracy = stage.test.accuracy();
        let key = match name {
            "feature-extraction" => "feature_extraction",
            "fine-tune-last-block" => "fine_tune_last_block",
            _ => "fine_tune",
        };
        figures.insert(format!("{key}_test_accuracy"), last_accuracy);
        figures.insert(format!("{key}_epoch_seconds"), stage.epoch_seconds);
        dirs.push(stage.dir.clone());
        model = stage.model;
    }
    // The score of the whole transfer path is its last stage's.
    figures.insert("fine_tune_test_accuracy".into(), last_accuracy);

    // The same network from scratch, for as many epochs as the transfer stages together.
    let epochs = config.head_epochs + config.last_block_epochs + config.all_epochs;
    nn_core::backend::seed_device(&device, run.seed, "scratch");
    let scratch_network = pretrained.network.clone().with_classes(classes);
    let scratch_model = scratch_network.init(&device).expect("depth 19 is known");
    let scratch_before = evaluate(
        &scratch_model,
        &test,
        &normalization,
        config.batch_size,
        &run.device,
    )
    .accuracy();
    let scratch = train_stage(
        run,
        "scratch",
        scratch_model,
        &train,
        &test,
        &config.options(
            epochs,
            config.scratch_lr,
            &normalization,
            "VGG-19 on CIFAR-10 from scratch",
        ),
    )?;
    figures.insert("scratch_test_accuracy".into(), scratch.test.accuracy());
    figures.insert("scratch_epoch_seconds".into(), scratch.epoch_seconds);
    figures.insert(
        "transfer_gain".into(),
        last_accuracy - scratch.test.accuracy(),
    );

    let dir_refs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
    let plot = CurvePlot {
        title: "CIFAR-10 test accuracy: transferred (frozen, then unfrozen) vs from scratch".into(),
        x_label: "epoch".into(),
        y_label: "test accuracy".into(),
        curves: vec![
            joined_curve("pre-trained, then fine-tuned", before, &dir_refs),
            joined_curve("from scratch", scratch_before, &[scratch.dir.as_path()]),
        ],
        log_y: false,
    };
    for file in plot.save(&run.path("transfer_vs_scratch"))? {
        run.add_file(&file);
    }
    Ok(run.summary(epochs, figures))
}
