//! Week 3 of the course: autoencoders. A network that rebuilds its input through a narrow
//! code learns a compressed representation: to reduce dimensions (vs PCA), to remove
//! noise, to describe an image with few active units, and (as a VAE) to generate.

pub mod autoencoder;
pub mod blocks;
pub mod data;
pub mod denoising;
pub mod figures;
pub mod noise;
pub mod pca;
pub mod sparse;
pub mod train;
pub mod vae;
pub mod vae_experiment;
pub mod vae_training;
pub mod vanilla;
pub mod variants;

use nn_core::{Registry, experiment};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::new()
        .with(experiment::<vanilla::VanillaConfig>("autoencoders/vanilla", "A convolutional autoencoder against PCA with the same code size", vanilla::run))
        .with(experiment::<denoising::DenoisingConfig>("autoencoders/denoising", "Rebuilding clean images from Gaussian and salt-and-pepper noise; PSNR before and after", denoising::run))
        .with(experiment::<sparse::SparseConfig>("autoencoders/sparse", "A sparse code: KL (or L1) penalty, measured mean activation against the target", sparse::run))
        .with(experiment::<vae_experiment::VaeExperimentConfig>("autoencoders/vae", "A convolutional VAE: reconstruction + KL, prior samples, interpolation, 2-D latent map", vae_experiment::run))
        .with(experiment::<variants::VariantsConfig>("autoencoders/vae-variants", "The assignment: four VAE architectures (encoder and/or decoder nested) compared on quality", variants::run))
}
