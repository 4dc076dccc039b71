//! The one training recipe `transfer/resnet-depth` and `transfer/cifar-architectures` give
//! every network they compare, so that only the network differs: Adam with cosine decay,
//! CIFAR's crops and flips when asked, and one seed per training that sets the
//! initialisation, data order and augmentation.

use burn::prelude::Device;
use nn_core::augment::Pipeline;
use nn_core::data::Normalization;
use nn_core::train::ClassifierOptions;
use nn_core::{Result, Run};

/// Epochs, batch, learning rate and augmentation shared by every network of a comparison.
pub struct SameBudget {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub augment: bool,
}

impl SameBudget {
    /// The options of one training, titled `title` in its figures.
    pub fn options(&self, normalization: &Normalization, title: String) -> ClassifierOptions {
        ClassifierOptions {
            augment: self.augment.then(Pipeline::cifar_standard),
            ..ClassifierOptions::adam(
                self.epochs,
                self.batch_size,
                self.lr,
                normalization.clone(),
                title,
            )
            .with_cosine_decay()
        }
    }
}

/// Runs `train` with the run's seed set to `seed` (the stage it makes takes it) and the
/// device's generator seeded for initialisation, then gives the run its own seed back, also
/// when `train` fails.
pub fn with_seed<T>(
    run: &mut Run,
    seed: u64,
    train: impl FnOnce(&mut Run, &Device) -> Result<T>,
) -> Result<T> {
    let run_seed = run.seed;
    run.seed = seed;
    let device = run.train_device();
    nn_core::backend::seed_device(&device, seed, "init");
    let result = train(run, &device);
    run.seed = run_seed;
    result
}
