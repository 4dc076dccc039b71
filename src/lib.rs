//! Next Gen Visual Models: the whole course, from the perceptron to diffusion, on burn.
//! One dependency brings every topic crate; [`registry`] lists every experiment in course
//! order.

pub use autoencoders;
pub use cnn;
pub use diffusion;
pub use gans;
pub use mlp;
pub use nn_core;
pub use transfer;

pub mod bench;
pub mod curriculum;

/// Every experiment of the course, in course order (week 1 to week 5).
pub fn registry() -> nn_core::Registry {
    nn_core::Registry::new()
        .extend(mlp::registry())
        .extend(cnn::registry())
        .extend(transfer::registry())
        .extend(autoencoders::registry())
        .extend(gans::registry())
        .extend(diffusion::registry())
}
