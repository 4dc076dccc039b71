//! Week 4 of the course: generative adversarial networks. A generator turns noise into
//! images, a discriminator tells them from real ones, and each learns from the other.

pub mod augment;
pub mod experiments;
pub mod figures;
pub mod losses;
pub mod realism;
pub mod sampling;
pub mod settings;
/// The Frechet distance (moved to nn-core, which the FID shares with diffusion).
pub use nn_core::metrics::frechet;
pub mod models;
pub mod monitor;
pub mod spectral_norm;
pub mod training;

use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "4",
    title: "Generative adversarial networks",
    text: "A generator and a discriminator trained against each other: noise becomes cat faces, measured with a Frechet distance; convolutions (DCGAN) do it faster and better.",
};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(experiment::<experiments::mlp_gan::MlpGanConfig>("gans/mlp-gan", "The assignment: a fully connected GAN on cat faces, samples through the epochs, Frechet distance", experiments::mlp_gan::run).guide(experiments::mlp_gan::GUIDE).headline(experiments::mlp_gan::HEADLINE))
        .with(experiment::<experiments::dcgan::DcganConfig>("gans/dcgan", "The same loop with a convolutional generator and discriminator (DCGAN)", experiments::dcgan::run).guide(experiments::dcgan::GUIDE).headline(experiments::dcgan::HEADLINE))
        .with(experiment::<experiments::what_mattered::WhatMatteredConfig>("gans/what-mattered", "What makes a DCGAN learn on small data: the field's tricks added one at a time, over seeds, by the fixed-feature Frechet distance", experiments::what_mattered::run).guide(experiments::what_mattered::GUIDE).headline(experiments::what_mattered::HEADLINE).quick_caveat(experiments::what_mattered::QUICK_CAVEAT))
}
