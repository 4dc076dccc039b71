//! Week 4 of the course: generative adversarial networks. A generator turns noise into
//! images, a discriminator tells them from real ones, and each learns from the other.

pub mod experiments;
pub mod features;
pub mod frechet;
pub mod models;
pub mod training;

use nn_core::{Registry, experiment};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::new()
        .with(experiment::<experiments::MlpGanConfig>("gans/mlp-gan", "The assignment: a fully connected GAN on cat faces, samples through the epochs, Frechet distance", experiments::run_mlp))
        .with(experiment::<experiments::DcganConfig>("gans/dcgan", "The same loop with a convolutional generator and discriminator (DCGAN)", experiments::run_dcgan))
}
