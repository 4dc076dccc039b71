//! Week 4 of the course: generative adversarial networks. A generator turns noise into
//! images, a discriminator tells them from real ones, and each learns from the other.

pub mod augment;
pub mod experiments;
pub mod figures;
pub mod losses;
pub mod realism;
/// The Frechet distance (moved to nn-core, which the FID shares with diffusion).
pub use nn_core::metrics::frechet;
pub mod models;
pub mod monitor;
pub mod spectral_norm;
pub mod training;

use nn_core::{Registry, experiment};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::new()
        .with(experiment::<experiments::mlp_gan::MlpGanConfig>("gans/mlp-gan", "The assignment: a fully connected GAN on cat faces, samples through the epochs, Frechet distance", experiments::mlp_gan::run))
        .with(experiment::<experiments::dcgan::DcganConfig>("gans/dcgan", "The same loop with a convolutional generator and discriminator (DCGAN)", experiments::dcgan::run))
        .with(experiment::<experiments::what_mattered::WhatMatteredConfig>("gans/what-mattered", "What makes a DCGAN learn on small data: the field's tricks added one at a time, over seeds, by the fixed-feature Frechet distance", experiments::what_mattered::run))
}
