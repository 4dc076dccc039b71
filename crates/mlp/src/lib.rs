//! Week 1 of the course: the perceptron, a multi-layer perceptron with backpropagation
//! written by hand, the same MLP in burn, and ReLU vs Leaky ReLU.

#![warn(missing_docs)]

pub mod experiments;
pub mod figures;
pub mod model;
pub mod perceptron;
pub mod scratch;

use experiments::FashionMlpConfig;
use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "1",
    title: "Perceptron, MLP and backpropagation",
    text: "A perceptron finds a separating line when one exists and cannot learn XOR; a hidden layer can. Backpropagation, written by hand, computes the same gradients as burn's autodiff, and ReLU's dead units are what Leaky ReLU avoids.",
};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(
            experiment::<experiments::perceptron::PerceptronConfig>(
                "mlp/perceptron",
                "Rosenblatt's perceptron on separable data and on XOR; a 2-layer MLP solves XOR",
                experiments::perceptron::run,
            )
            .guide(experiments::perceptron::GUIDE)
            .headline(experiments::perceptron::HEADLINE),
        )
        .with(
            experiment::<FashionMlpConfig>(
                "mlp/scratch",
                "An MLP with hand-written backprop and SGD (ndarray, no autodiff) on Fashion-MNIST",
                experiments::scratch::run,
            )
            .guide(experiments::scratch::GUIDE),
        )
        .with(
            experiment::<FashionMlpConfig>(
                "mlp/burn",
                "The same MLP, same start and hyper-parameters, trained by burn on Fashion-MNIST",
                experiments::burn::run,
            )
            .guide(experiments::burn::GUIDE),
        )
        .with(
            experiment::<experiments::activations::ActivationsConfig>(
                "mlp/activations",
                "ReLU vs Leaky ReLU in a deep MLP: dead units per layer over training",
                experiments::activations::run,
            )
            .guide(experiments::activations::GUIDE)
            .headline(experiments::activations::HEADLINE),
        )
}
