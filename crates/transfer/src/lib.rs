//! Week 2 of the course: the famous architectures (VGG, ResNet, Inception) and transfer
//! learning. This first part holds the models with their published parameter counts.

pub mod models;

use nn_core::Registry;

/// The week's experiments (the architectures and the VGG-19 assignment are still to come).
pub fn registry() -> Registry {
    Registry::new()
}
