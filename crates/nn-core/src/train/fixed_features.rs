//! One feature network per data set, trained once with a fixed seed and a fixed recipe and
//! cached in the data directory, so that a Frechet distance in its features compares across
//! runs, presets, seeds and experiments (the diffusion samples and the GANs alike). Without
//! InceptionV3's weights (see [`super::fid`]) this is the course's realism distance.
//!
//! Labelled sets get the judge classifier (a [`SmallCnn`] trained on up to 20,000 real
//! training images); unlabelled ones (the cat faces) the rotation pretext
//! ([`rotation_pretext`]). The cache is `<data dir>/fixed-features/<key>.ngvm` (a checked
//! [`Checkpoint`] container) beside `<key>.json` with its sha256, its test accuracy and the
//! command that made it; the key names the data set, the image size, the recipe and the
//! fingerprint of the images it was trained on, so other images train another network.
//! Where the data directory is read-only (a shared mount), the cache is the user's cache
//! folder instead ([`cache_dirs`]), so the networks are still trained only once.

use crate::data::pretext::rotation_pretext;
use crate::data::{ImageDataset, ImageShape, Normalization, load_if_present, subset};
use crate::metrics::frechet::{Gaussian, frechet_distance};
use crate::models::{CnnSpec, SmallCnn};
use crate::train::checkpoint::write_atomic;
use crate::train::{Checkpoint, Judge, JudgeSettings};
use crate::{Error, Result, Run};
use burn::module::Module;
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped whenever the recipe below changes, so that an old cache is not read as this one.
pub const RECIPE: u32 = 1;
/// The seed of every fixed network (weights, order of batches, subsets), whatever `--seed`.
pub const SEED: u64 = 20_261_204;
/// Real training images a fixed network sees at most (a seeded subset of the split).
const MAX_TRAIN_IMAGES: usize = 20_000;
/// Training examples seen in all, spread over the epochs (3 to 15 epochs).
const EXAMPLES_SEEN: usize = 40_000;
/// Folder under the data directory.
pub const CACHE_DIR: &str = "fixed-features";

/// What the network was trained to tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// The data set's classes (a labelled set).
    Classes,
    /// Which way is up (an unlabelled set).
    Rotation,
}

/// The cache's description of a fixed network, written beside it as `<key>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedMeta {
    pub dataset: String,
    pub recipe: u32,
    pub seed: u64,
    pub task: Task,
    pub shape: ImageShape,
    pub classes: usize,
    pub class_names: Vec<String>,
    pub spec: CnnSpec,
    pub normalization: Normalization,
    pub epochs: usize,
    /// Fingerprint ([`ImageDataset::fingerprint`]) and count of the images it trained on.
    pub train_fingerprint: String,
    pub train_images: usize,
    /// Accuracy on its held-out images (the test split, or a tenth held out).
    pub test_accuracy: f64,
    /// sha256 of the `.ngvm` file (hex).
    pub sha256: String,
    /// The command line of the run that trained it.
    pub command: String,
}

/// A fixed feature network: a trained [`Judge`] and where it came from.
pub struct FixedFeatures {
    pub judge: Judge,
    pub meta: FixedMeta,
    /// The cache file it was read from or written to; `None` when trained on a stand-in
    /// or when no cache folder ([`cache_dirs`]) could be written.
    pub cached: Option<PathBuf>,
}

impl FixedFeatures {
    /// The fixed network of `dataset` at `shape`: read from the cache when present and
    /// intact, else trained in the stage `fixed-features` of `run` (seed [`SEED`]) and
    /// cached. Trained on the real images on disk; when the set is absent, on `stand_in`
    /// (this run's stand-in images, not cached, and the run says so in a note).
    pub fn for_dataset(
        run: &mut Run,
        dataset: &str,
        shape: ImageShape,
        stand_in: &ImageDataset,
    ) -> Result<FixedFeatures> {
        let found = Self::obtain(run, dataset, shape, Some(stand_in))?;
        found.ok_or_else(|| {
            Error::Other(format!(
                "no images to train the fixed network of `{dataset}` on"
            ))
        })
    }

    /// The fixed network of `dataset` at `shape` when the real set is in the data directory
    /// (read from the cache or trained and cached as [`FixedFeatures::for_dataset`] does),
    /// else `None`: for a yardstick that means nothing on a stand-in (e.g. the CIFAR-10
    /// classifier that tells whether a GAN's samples are cats).
    pub fn if_present(
        run: &mut Run,
        dataset: &str,
        shape: ImageShape,
    ) -> Result<Option<FixedFeatures>> {
        Self::obtain(run, dataset, shape, None)
    }

    fn obtain(
        run: &mut Run,
        dataset: &str,
        shape: ImageShape,
        stand_in: Option<&ImageDataset>,
    ) -> Result<Option<FixedFeatures>> {
        let (source, real) = match (on_disk(run, dataset, &["train", "all"])?, stand_in) {
            (Some(train), _) => (train, true),
            (None, Some(stand_in)) => (stand_in.clone(), false),
            (None, None) => return Ok(None),
        };
        let source = conform(&source, shape)?;
        let train = subset(source, MAX_TRAIN_IMAGES, SEED);
        let task = if train.labels.is_some() && train.num_classes() > 1 {
            Task::Classes
        } else {
            Task::Rotation
        };
        let key = format!(
            "{dataset}-{}x{}x{}-r{RECIPE}-{}",
            shape.channels,
            shape.height,
            shape.width,
            &train.fingerprint()[..12]
        );
        let dirs = cache_dirs(&run.data_dir);
        for dir in dirs.iter().filter(|_| real) {
            if let Some(found) = read_cache(dir, &key, shape, &run.device)? {
                run.note(format!(
                    "the fixed feature network of `{dataset}` was read from {} (trained once with seed {SEED}: {})",
                    dir.join(format!("{key}.ngvm")).display(),
                    found.meta.command
                ));
                return Ok(Some(found));
            }
        }
        let test_split = match (task, real) {
            (Task::Classes, true) => on_disk(run, dataset, &["test"])?,
            _ => None,
        };
        let (train, test) = match test_split {
            Some(test) => (train, conform(&test, shape)?),
            None => train.split_off(0.1, SEED),
        };
        let mut fixed = train_fixed(run, dataset, task, (&train, &test))?;
        if !real {
            run.note(format!(
                "the fixed feature network of `{dataset}` was trained on this run's stand-in images (the real set is not in the data directory): its Frechet distances compare only within this run"
            ));
            return Ok(Some(fixed));
        }
        match write_cache_somewhere(&dirs, &key, &fixed) {
            Ok((path, sha256)) => {
                fixed.meta.sha256 = sha256;
                run.note(format!(
                    "the fixed feature network of `{dataset}` was trained here (seed {SEED}, {:.1}% on its held-out images) and cached in {}",
                    100.0 * fixed.meta.test_accuracy,
                    path.display()
                ));
                fixed.cached = Some(path);
            }
            Err(e) => run.note(format!(
                "the fixed feature network of `{dataset}` could not be cached ({e}); the next run trains it again"
            )),
        }
        Ok(Some(fixed))
    }

    /// Length of a feature vector.
    pub fn dim(&self) -> usize {
        self.judge.dim
    }

    /// The Gaussian of `images`' features (resized to the network's input when needed).
    pub fn gaussian(&self, images: &ImageDataset, device: &Device) -> Result<Gaussian> {
        let images = conform(images, self.meta.shape)?;
        Ok(Gaussian::fit(
            &self.judge.features(&images, device),
            self.dim(),
        ))
    }

    /// The class the network gives each image (a [`Task::Classes`] network).
    pub fn classify(&self, images: &ImageDataset, device: &Device) -> Result<Vec<usize>> {
        let images = conform(images, self.meta.shape)?;
        Ok(self.judge.classify(&images, device))
    }
}

/// The first of `splits` that `dataset` has, as it is on disk; `None` when the set is not
/// in the data directory or not in the catalog (a folder of one's own).
fn on_disk(run: &Run, dataset: &str, splits: &[&str]) -> Result<Option<ImageDataset>> {
    let Ok(spec) = crate::data::find(dataset) else {
        return Ok(None);
    };
    let Some((split, _)) = spec.splits.iter().find(|(name, _)| splits.contains(name)) else {
        return Ok(None);
    };
    load_if_present(run, dataset, split)
}

/// `images` at `shape`: the same, made grey, resized (square images), or an error naming
/// both.
fn conform(images: &ImageDataset, shape: ImageShape) -> Result<ImageDataset> {
    let have = images.shape;
    if have == shape {
        return Ok(images.clone());
    }
    let images = if have.channels == 3 && shape.channels == 1 {
        images.to_grey()
    } else {
        images.clone()
    };
    let have = images.shape;
    if have == shape {
        return Ok(images);
    }
    let square = have.height == have.width && shape.height == shape.width;
    if have.channels != shape.channels || !square {
        return Err(Error::Other(format!(
            "the fixed feature network takes {shape} images, not {have} ({})",
            images.source
        )));
    }
    Ok(images.resized(shape.height))
}

/// The recipe: a [`SmallCnn`] with batch norm, Adam at 1e-3 with cosine decay, batch 128.
fn train_fixed(
    run: &mut Run,
    dataset: &str,
    task: Task,
    (train, test): (&ImageDataset, &ImageDataset),
) -> Result<FixedFeatures> {
    let (train, test) = match task {
        Task::Classes => (train.clone(), test.clone()),
        Task::Rotation => (rotation_pretext(train), rotation_pretext(test)),
    };
    let spec = CnnSpec {
        channels: vec![32, 64],
        batch_norm: true,
        hidden: 128,
        dropout: 0.3,
    };
    let epochs = (EXAMPLES_SEEN / train.len().max(1)).clamp(3, 15);
    let normalization = Normalization::fit(&train);
    // One stage per network: a run that trains two (the cats' and CIFAR-10's) must not
    // resume the second from the first's checkpoints.
    let mut stage = run.stage(&format!(
        "fixed-features-{dataset}-{}x{}",
        train.shape.height, train.shape.width
    ))?;
    stage.seed = SEED;
    let settings = JudgeSettings {
        stage: "network",
        seed_purpose: "fixed features",
        spec: spec.clone(),
        epochs,
        batch_size: 128,
        cosine_decay: true,
        title: format!("the fixed feature network of {dataset}"),
    };
    let judge = Judge::train(&mut stage, (&train, &test), normalization.clone(), settings)?;
    run.absorb(&stage);
    let meta = FixedMeta {
        dataset: dataset.to_string(),
        recipe: RECIPE,
        seed: SEED,
        task,
        shape: train.shape,
        classes: train.num_classes(),
        class_names: train.class_names.clone(),
        spec,
        normalization,
        epochs,
        train_fingerprint: train.fingerprint(),
        train_images: train.len(),
        test_accuracy: judge.test_accuracy,
        sha256: String::new(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    Ok(FixedFeatures {
        judge,
        meta,
        cached: None,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the fixed networks are cached, in order: `<data dir>/fixed-features`, then
/// `NGVM_CACHE_DIR`, else `$XDG_CACHE_HOME/ngvm/fixed-features`, else
/// `$HOME/.cache/ngvm/fixed-features` (for a data directory that cannot be written).
pub fn cache_dirs(data_dir: &Path) -> Vec<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let user = env("NGVM_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("ngvm").join(CACHE_DIR)))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("ngvm").join(CACHE_DIR)));
    std::iter::once(data_dir.join(CACHE_DIR))
        .chain(user)
        .collect()
}

/// Writes the cache into the first of `dirs` that can be written; the last error when none
/// can.
fn write_cache_somewhere(
    dirs: &[PathBuf],
    key: &str,
    fixed: &FixedFeatures,
) -> Result<(PathBuf, String)> {
    let mut last = Error::Other("no cache folder".into());
    for dir in dirs {
        match write_cache(dir, key, fixed) {
            Ok(written) => return Ok(written),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Writes `<key>.ngvm` and then `<key>.json` (atomically each); the file and its sha256.
fn write_cache(dir: &Path, key: &str, fixed: &FixedFeatures) -> Result<(PathBuf, String)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut container = Checkpoint::new(fixed.meta.epochs);
    container.put_module("model", &fixed.judge.model)?;
    let bytes = container.to_bytes();
    let sha256 = sha256_hex(&bytes);
    let path = dir.join(format!("{key}.ngvm"));
    write_atomic(&path, &bytes)?;
    let meta = FixedMeta {
        sha256: sha256.clone(),
        ..fixed.meta.clone()
    };
    let json = serde_json::to_vec_pretty(&meta).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&dir.join(format!("{key}.json")), &json)?;
    Ok((path, sha256))
}

/// The cached network of `key`, `None` when there is none; an error naming the file when it
/// is there but damaged (its sha256 or its container check fails), so a run never measures
/// with a network other than the one recorded.
fn read_cache(
    dir: &Path,
    key: &str,
    shape: ImageShape,
    device: &Device,
) -> Result<Option<FixedFeatures>> {
    let (meta_path, path) = (
        dir.join(format!("{key}.json")),
        dir.join(format!("{key}.ngvm")),
    );
    if !meta_path.exists() || !path.exists() {
        return Ok(None);
    }
    let damaged = |why: String| {
        Error::Other(format!(
            "the cached fixed feature network {} is damaged ({why}): delete {} and {} and run again to train it anew",
            path.display(),
            path.display(),
            meta_path.display()
        ))
    };
    let text = std::fs::read(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
    let meta: FixedMeta = serde_json::from_slice(&text)
        .map_err(|e| damaged(format!("{}: {e}", meta_path.display())))?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let actual = sha256_hex(&bytes);
    if actual != meta.sha256 {
        return Err(damaged(format!(
            "sha256 {actual}, its record says {}",
            meta.sha256
        )));
    }
    if meta.recipe != RECIPE || meta.shape.channels != shape.channels {
        return Err(damaged(format!(
            "recipe {} for {} images, expected recipe {RECIPE} for {shape}",
            meta.recipe, meta.shape
        )));
    }
    let container = Checkpoint::from_bytes(&bytes, &path)?;
    let model = SmallCnn::new(&meta.spec, meta.shape, meta.classes, device);
    let model = container.load_module("model", model)?;
    let judge = Judge {
        model: model.valid(),
        normalization: meta.normalization.clone(),
        test_accuracy: meta.test_accuracy,
        dim: meta.spec.hidden,
    };
    Ok(Some(FixedFeatures {
        judge,
        meta,
        cached: Some(path),
    }))
}

/// What generated images are measured against in the fixed features: held-out real images'
/// Gaussian, and the floor (as many real training images against it: what a perfect
/// generator still scores from sampling alone).
pub struct FixedReference {
    pub features: FixedFeatures,
    real: Gaussian,
    /// Frechet distance of `samples` real training images to the held-out ones.
    pub floor: f64,
}

impl FixedReference {
    /// The reference of `held_out` and the floor of `samples` images of `train` (a subset
    /// seeded by `seed`).
    pub fn measure(
        features: FixedFeatures,
        (train, held_out): (&ImageDataset, &ImageDataset),
        samples: usize,
        (seed, device): (u64, &Device),
    ) -> Result<FixedReference> {
        let real = features.gaussian(held_out, device)?;
        let copies = subset(train.clone(), samples, seed);
        let floor = frechet_distance(&real, &features.gaussian(&copies, device)?);
        Ok(FixedReference {
            features,
            real,
            floor,
        })
    }

    /// The Frechet distance of `samples` to the held-out real images.
    pub fn distance(&self, samples: &ImageDataset, device: &Device) -> Result<f64> {
        Ok(frechet_distance(
            &self.real,
            &self.features.gaussian(samples, device)?,
        ))
    }

    /// `frechet_fixed` of `samples` and its floor `frechet_fixed_floor`.
    pub fn add_to(
        &self,
        samples: &ImageDataset,
        device: &Device,
        figures: &mut BTreeMap<String, f64>,
    ) -> Result<()> {
        figures.insert("frechet_fixed".into(), self.distance(samples, device)?);
        figures.insert("frechet_fixed_floor".into(), self.floor);
        Ok(())
    }
}
