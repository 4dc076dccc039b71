//! Week 2 of the course: the famous architectures (VGG, ResNet, Inception) and transfer
//! learning.

pub mod architectures;
pub mod models;
pub mod weights;

use nn_core::{Registry, experiment};

/// The week's experiments (the VGG-19 transfer assignment is still to come).
pub fn registry() -> Registry {
    Registry::new().with(experiment::<architectures::ArchitecturesConfig>(
        "transfer/architectures",
        "VGG, ResNet and Inception: parameters, multiply-accumulates and forward time at 32 and 224 pixels",
        architectures::run,
    ))
}
