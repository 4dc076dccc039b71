//! Week 3 of the course: autoencoders. A network that rebuilds its input through a narrow
//! code learns a compressed representation: to reduce dimensions (vs PCA), to remove
//! noise, to describe an image with few active units, and (as a VAE) to generate.

pub mod autoencoder;
pub mod blocks;
pub mod experiments;
pub mod figures;
pub mod noise;
pub mod pca;
pub mod sparsity;
pub mod training;
pub mod vae;

use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "3",
    title: "Autoencoders and VAEs",
    text: "A network squeezed through a narrow code learns a compressed representation: better than PCA, able to remove noise, sparse on demand; as a VAE it also generates, and its architecture changes how well.",
};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(experiment::<experiments::vanilla::VanillaConfig>("autoencoders/vanilla", "A convolutional autoencoder against PCA with the same code size", experiments::vanilla::run).guide(experiments::vanilla::GUIDE))
        .with(experiment::<experiments::denoising::DenoisingConfig>("autoencoders/denoising", "Rebuilding clean images from Gaussian and salt-and-pepper noise; PSNR before and after", experiments::denoising::run).guide(experiments::denoising::GUIDE).headline(experiments::denoising::HEADLINE))
        .with(experiment::<experiments::sparse::SparseConfig>("autoencoders/sparse", "A sparse code: KL (or L1) penalty, measured mean activation against the target", experiments::sparse::run).guide(experiments::sparse::GUIDE))
        .with(experiment::<experiments::vae::VaeExperimentConfig>("autoencoders/vae", "A convolutional VAE: reconstruction + KL, prior samples, interpolation, 2-D latent map", experiments::vae::run).guide(experiments::vae::GUIDE))
        .with(experiment::<experiments::vae_variants::VariantsConfig>("autoencoders/vae-variants", "The assignment: four VAE architectures (encoder and/or decoder nested) compared on quality", experiments::vae_variants::run).guide(experiments::vae_variants::GUIDE).headline(experiments::vae_variants::HEADLINE))
}
