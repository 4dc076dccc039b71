//! How real a generator's samples are, measured the same way in every run: the Frechet
//! distance in the data set's fixed feature network (`nn_core::train::fixed_features`,
//! trained once and cached in the data directory) to real images neither the GAN nor that
//! distance's floor trained on, beside the floor and uniform noise; and the share of
//! samples a fixed CIFAR-10 classifier calls "cat", beside real faces and noise.

use crate::models::Generator;
use crate::sampling::samples_of;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::catalog::CIFAR10_CAT;
use nn_core::data::{ImageDataset, ImageShape};
use nn_core::train::{FixedFeatures, FixedReference};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// The Frechet yardsticks: the fixed reference of held-out real images and uniform noise
/// measured against it.
pub struct FrechetReference {
    pub fixed: FixedReference,
    /// Uniform noise against the reference (the ceiling of uselessness).
    pub noise_baseline: f64,
}

impl FrechetReference {
    /// The fixed network of `dataset` at the images' shape (trained on `train` when the
    /// set is not on disk), the reference of `held_out`, the floor and the noise baseline
    /// with `samples` images each.
    pub fn measure(
        run: &mut Run,
        dataset: &str,
        (train, held_out): (&ImageDataset, &ImageDataset),
        samples: usize,
    ) -> Result<Self> {
        let cpu = run.device.clone();
        let features = FixedFeatures::for_dataset(run, dataset, train.shape, train)?;
        let fixed =
            FixedReference::measure(features, (train, held_out), samples, (run.seed, &cpu))?;
        let noise = uniform_noise(run, train.shape, samples);
        let noise_baseline = fixed.distance(&noise, &cpu)?;
        Ok(Self {
            fixed,
            noise_baseline,
        })
    }

    /// The Frechet distance of `images` from the reference.
    pub fn distance(&self, images: &ImageDataset, device: &Device) -> Result<f64> {
        self.fixed.distance(images, device)
    }

    /// The floor, the noise baseline and the network's accuracy, under their summary keys
    /// (`frechet_real_vs_real` is `frechet_fixed_floor` under its older name).
    pub fn add_to(&self, figures: &mut BTreeMap<String, f64>) {
        figures.insert("frechet_noise_baseline".into(), self.noise_baseline);
        figures.insert("frechet_real_vs_real".into(), self.fixed.floor);
        figures.insert("frechet_fixed_floor".into(), self.fixed.floor);
        figures.insert(
            "feature_net_accuracy".into(),
            self.fixed.features.meta.test_accuracy,
        );
    }
}

/// `count` images of uniform noise in [-1, 1] (seed purpose "noise baseline").
fn uniform_noise(run: &Run, shape: ImageShape, count: usize) -> ImageDataset {
    nn_core::backend::seed_device(&run.device, run.seed, "noise baseline");
    let dims = [count, shape.channels, shape.height, shape.width];
    let noise = Tensor::<4>::random(dims, Distribution::Uniform(-1.0, 1.0), &run.device);
    dataset_from_symmetric(noise)
}

/// The fixed CIFAR-10 classifier as a judge of cat-ness, and what it says of real faces
/// and of noise. Besides the share it calls "cat", the whole histogram of the classes it
/// gives: a blurry brown blob may be called "cat" as often as a face (the classifier knows
/// CIFAR's whole cats, not close-up faces), but the spread over the other classes tells
/// them apart.
pub struct CatJudge {
    classifier: FixedFeatures,
    /// The share of held-out real images given each CIFAR-10 class.
    real: Vec<f64>,
    /// Share of held-out real images it calls "cat".
    pub share_real: f64,
    /// Share of uniform noise images it calls "cat".
    pub share_noise: f64,
    /// Total variation between the class histograms of noise and of the real images.
    pub histogram_distance_noise: f64,
}

/// Total variation distance between two histograms: half the sum of absolute differences,
/// 0 for the same, 1 for disjoint.
fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    0.5 * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>()
}

/// CIFAR-10's side: samples are brought to it before the classifier sees them.
const CIFAR_SHAPE: ImageShape = ImageShape::new(3, 32, 32);

impl CatJudge {
    /// The judge, when CIFAR-10 is in the data directory and the images are in colour;
    /// otherwise `None` and a note saying why there is no cat share.
    pub fn measure(run: &mut Run, held_out: &ImageDataset) -> Result<Option<Self>> {
        if held_out.shape.channels != 3 {
            run.note("no cat_share: the fixed CIFAR-10 classifier judges colour images, and these are grey");
            return Ok(None);
        }
        let Some(classifier) = FixedFeatures::if_present(run, "cifar-10", CIFAR_SHAPE)? else {
            run.note("no cat_share: CIFAR-10, on which the cat classifier is trained, is not in the data directory (`cargo xtask download cifar-10`)");
            return Ok(None);
        };
        let device = run.device.clone();
        let mut judge = Self {
            classifier,
            real: Vec::new(),
            share_real: 0.0,
            share_noise: 0.0,
            histogram_distance_noise: 0.0,
        };
        judge.real = judge.histogram(held_out, &device)?;
        judge.share_real = judge.real[CIFAR10_CAT as usize];
        let noise =
            judge.histogram(&uniform_noise(run, held_out.shape, held_out.len()), &device)?;
        judge.share_noise = noise[CIFAR10_CAT as usize];
        judge.histogram_distance_noise = total_variation(&noise, &judge.real);
        Ok(Some(judge))
    }

    /// The share of `images` the classifier gives each of CIFAR-10's classes (downscaled
    /// to 32x32 by block averages when the side is a multiple of 32, else resized).
    pub fn histogram(&self, images: &ImageDataset, device: &Device) -> Result<Vec<f64>> {
        let small = images.box_downscaled(CIFAR_SHAPE.height);
        let predicted = self.classifier.classify(&small, device)?;
        let mut counts = vec![0.0; self.classifier.meta.classes.max(1)];
        for &p in &predicted {
            if let Some(count) = counts.get_mut(p) {
                *count += 1.0;
            }
        }
        let total = predicted.len().max(1) as f64;
        Ok(counts.into_iter().map(|c| c / total).collect())
    }

    /// `cat_share` of `samples`, `cat_share_real` and `cat_share_noise`; the total
    /// variation between the samples' class histogram and the real images'
    /// (`class_histogram_distance`, 0 = the same) and noise's (`..._noise`).
    pub fn add_to(
        &self,
        samples: &ImageDataset,
        device: &Device,
        figures: &mut BTreeMap<String, f64>,
    ) -> Result<()> {
        let histogram = self.histogram(samples, device)?;
        figures.insert("cat_share".into(), histogram[CIFAR10_CAT as usize]);
        figures.insert("cat_share_real".into(), self.share_real);
        figures.insert("cat_share_noise".into(), self.share_noise);
        figures.insert(
            "class_histogram_distance".into(),
            total_variation(&histogram, &self.real),
        );
        figures.insert(
            "class_histogram_distance_noise".into(),
            self.histogram_distance_noise,
        );
        figures.insert(
            "cat_classifier_accuracy".into(),
            self.classifier.meta.test_accuracy,
        );
        Ok(())
    }
}

/// Frechet distance of `count` samples of `g` to the held-out real images.
pub fn frechet_of<G: Generator>(
    g: &G,
    (count, latent): (usize, usize),
    reference: &FrechetReference,
    device: &Device,
    seed: u64,
) -> Result<f64> {
    let generated = samples_of(g, count, latent, device, seed);
    reference.distance(&generated, device)
}

/// How many images every Frechet distance of a run uses: `wanted`, but no more than the
/// `training` images. The floor copies training images, so it has at most that many; the
/// Frechet estimate is biased upwards the more, the fewer images it sees (Chong and
/// Forsyth 2020), so a generator measured with more images than the floor could score
/// below it without being closer to the real images.
pub(crate) fn frechet_sample_count(wanted: usize, training: usize) -> usize {
    wanted.min(training)
}
