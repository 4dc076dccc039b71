//! How real a generator's samples are, measured the same way in every run: the Frechet
//! distance in the data set's fixed feature network (`nn_core::metrics::fixed_features`,
//! trained once and cached in the data directory) to real images neither the GAN nor that
//! distance's floor trained on, beside the floor and uniform noise; and the share of
//! samples a fixed CIFAR-10 classifier calls "cat", beside real faces and noise.

use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::catalog::CIFAR10_CAT;
use nn_core::data::{ImageDataset, ImageShape};
use nn_core::metrics::{FixedFeatures, FixedReference};
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
/// and of noise.
pub struct CatJudge {
    classifier: FixedFeatures,
    /// Share of held-out real images it calls "cat".
    pub share_real: f64,
    /// Share of uniform noise images it calls "cat".
    pub share_noise: f64,
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
        let mut judge = Self {
            classifier,
            share_real: 0.0,
            share_noise: 0.0,
        };
        let device = run.device.clone();
        judge.share_real = judge.share(held_out, &device)?;
        let noise = uniform_noise(run, held_out.shape, held_out.len());
        judge.share_noise = judge.share(&noise, &device)?;
        Ok(Some(judge))
    }

    /// The share of `images` the classifier calls "cat" (downscaled to 32x32 by block
    /// averages when the side is a multiple of 32, else resized).
    pub fn share(&self, images: &ImageDataset, device: &Device) -> Result<f64> {
        let small = images.box_downscaled(CIFAR_SHAPE.height);
        let predicted = self.classifier.classify(&small, device)?;
        let cats = predicted
            .iter()
            .filter(|&&p| p == CIFAR10_CAT as usize)
            .count();
        Ok(cats as f64 / predicted.len().max(1) as f64)
    }

    /// `cat_share` of `samples`, `cat_share_real` and `cat_share_noise`.
    pub fn add_to(
        &self,
        samples: &ImageDataset,
        device: &Device,
        figures: &mut BTreeMap<String, f64>,
    ) -> Result<()> {
        figures.insert("cat_share".into(), self.share(samples, device)?);
        figures.insert("cat_share_real".into(), self.share_real);
        figures.insert("cat_share_noise".into(), self.share_noise);
        figures.insert(
            "cat_classifier_accuracy".into(),
            self.classifier.meta.test_accuracy,
        );
        Ok(())
    }
}
