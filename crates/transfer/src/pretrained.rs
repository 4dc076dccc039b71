//! Where the pre-trained VGG-19 comes from: torchvision's ImageNet weights when their file
//! is in the data dir (or a checkpoint given by path), else our own narrow VGG-19,
//! pre-trained here first: on cat photos, predicting how each was rotated (self-supervised;
//! see [`nn_core::data::pretext`]), or on a labelled set such as Fashion-MNIST.

use crate::models::vgg::{Vgg, VggConfig};
use crate::weights::{load_pytorch, vgg_key_rules};
use nn_core::data::load_auxiliary;
use nn_core::data::pretext::rotation_pretext;
use nn_core::data::weights::find_weights;
use nn_core::data::{ImageDataset, Normalization};
use nn_core::train::{ClassifierOptions, train_stage};
use nn_core::{Result, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the pre-trained network comes from.
pub enum Source {
    /// A torchvision checkpoint, with or without batch norm.
    File { path: PathBuf, batch_norm: bool },
    /// Our own pre-training, and why (for the run's notes).
    Own { reason: &'static str },
}

/// The source `weights` asks for: `auto` and `imagenet` take torchvision's `vgg19` file,
/// else its `vgg19_bn`, from `data_dir`; `auto` falls back to the own pre-training when
/// neither is there; `own` always pre-trains; anything else is the path of a checkpoint
/// (with batch norm if `batch_norm`).
pub fn find_source(weights: &str, batch_norm: bool, data_dir: &Path) -> Result<Source> {
    let mut found = None;
    for (name, batch_norm) in [("vgg19", false), ("vgg19_bn", true)] {
        let spec = find_weights(name).expect("vgg19 weights are in the catalog");
        if found.is_none()
            && let Some(path) = spec.verified_path(data_dir)?
        {
            found = Some(Source::File { path, batch_norm });
        }
    }
    Ok(match (weights, found) {
        ("own", _) => Source::Own {
            reason: "weights = own",
        },
        ("auto", None) => Source::Own {
            reason: "no ImageNet file in the data dir",
        },
        ("auto" | "imagenet", Some(source)) => source,
        ("imagenet", None) => {
            return Err(nn_core::Error::Other(format!(
                "weights = \"imagenet\" but torchvision's VGG-19 is not in {}; run `cargo xtask download vgg19` or set weights = \"own\"",
                data_dir.join("weights").display()
            )));
        }
        (path, _) => Source::File {
            path: PathBuf::from(path),
            batch_norm,
        },
    })
}

/// How to pre-train our own network when no checkpoint is used.
pub struct OwnPretraining {
    /// The narrow VGG-19; its classes are set from the pre-training data.
    pub network: VggConfig,
    /// A labelled data set (`fashion-mnist`, ...) or `cats` (unlabelled photos, turned into
    /// the rotation pretext).
    pub dataset: String,
    /// Training images (0 for all) and, for a labelled set, test images (0 for all).
    pub images: usize,
    pub test_images: usize,
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: usize,
}

/// ImageNet's channel statistics, which torchvision's weights expect.
pub fn imagenet_normalization() -> Normalization {
    Normalization {
        mean: vec![0.485, 0.456, 0.406],
        std: vec![0.229, 0.224, 0.225],
    }
}

/// The pre-trained network (with its original head), its architecture, the input
/// normalisation it was trained with, and a sentence naming the weights.
pub struct Pretrained {
    pub model: Vgg,
    pub network: VggConfig,
    /// ImageNet's statistics for torchvision weights; `None`: fit them on the new data.
    pub normalization: Option<Normalization>,
    /// Which weights these are, for the run's notes.
    pub note: String,
    /// The own pre-training's figures for the summary (none for a checkpoint).
    pub figures: BTreeMap<String, f64>,
}

/// Loads the checkpoint of `source`, or pre-trains `own` in the run's stage `pretrain`.
pub fn pretrained(source: Source, own: &OwnPretraining, run: &mut Run) -> Result<Pretrained> {
    let device = run.train_device();
    match source {
        Source::File { path, batch_norm } => {
            let network = VggConfig::new(19).with_batch_norm(batch_norm);
            let mut model = network.init(&device).expect("depth 19 is known");
            let loaded = load_pytorch(&mut model, &path, &vgg_key_rules(&network))?;
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
        Source::Own { reason } => {
            let (train, test, task) = pretraining_data(own, run)?;
            let network = own.network.clone().with_classes(train.num_classes());
            nn_core::backend::seed_device(&device, run.seed, "pretrain");
            let model = network.init(&device).expect("depth 19 is known");
            let normalization = Normalization::fit(&train);
            let options = ClassifierOptions::adam(
                own.epochs,
                own.batch_size,
                own.lr,
                normalization.clone(),
                format!("VGG-19 pre-training: {task}"),
            );
            let stage = train_stage(run, "pretrain", model, &train, &test, &options)?;
            let accuracy = stage.test.accuracy();
            Ok(Pretrained {
                model: stage.model,
                network,
                normalization: None,
                note: format!(
                    "departs from the course: the course used torchvision's ImageNet VGG-19; this run uses weights of our own, not ImageNet ({reason}): VGG-19 at 1/{} width pre-trained on {task} ({} training images, {} epochs, pre-training test accuracy {:.1}%)",
                    own.network.width_divisor,
                    train.len(),
                    own.epochs,
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
    own: &OwnPretraining,
    run: &mut Run,
) -> Result<(ImageDataset, ImageDataset, String)> {
    let name = own.dataset.as_str();
    if name == "cats" {
        let photos = load_auxiliary(run, name, "all", own.images)?;
        let photos = photos.box_downscaled(32).as_rgb_canvas(32);
        let (train, test) = photos.split_off(0.1, run.seed);
        return Ok((
            rotation_pretext(&train),
            rotation_pretext(&test),
            "cat photos, predicting their rotation (self-supervised, no labels)".into(),
        ));
    }
    let train = load_auxiliary(run, name, "train", own.images)?.as_rgb_canvas(32);
    let test = load_auxiliary(run, name, "test", own.test_images)?.as_rgb_canvas(32);
    Ok((train, test, format!("{name} classification")))
}
