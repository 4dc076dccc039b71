//! Week 1 of the course: the perceptron, a multi-layer perceptron with backpropagation
//! written by hand, the same MLP in burn, and ReLU vs Leaky ReLU.

pub mod activations;
pub mod fashion;
pub mod model;
pub mod perceptron;
pub mod perceptron_experiment;
pub mod plots;
pub mod scratch;

use nn_core::{Registry, experiment};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::new()
        .with(experiment::<perceptron_experiment::PerceptronConfig>(
            "mlp/perceptron",
            "Rosenblatt's perceptron on separable data and on XOR; a 2-layer MLP solves XOR",
            perceptron_experiment::run,
        ))
        .with(experiment::<fashion::FashionMlpConfig>(
            "mlp/scratch",
            "An MLP with hand-written backprop and SGD (ndarray, no autodiff) on Fashion-MNIST",
            fashion::run_scratch,
        ))
        .with(experiment::<fashion::FashionMlpConfig>(
            "mlp/burn",
            "The same MLP, same start and hyper-parameters, trained by burn on Fashion-MNIST",
            fashion::run_burn,
        ))
        .with(experiment::<activations::ActivationsConfig>(
            "mlp/activations",
            "ReLU vs Leaky ReLU in a deep MLP: dead units per layer over training",
            activations::run,
        ))
}
