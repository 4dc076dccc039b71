//! The mlp crate's tests, in one binary.

mod cli;
mod gradients;
mod perceptron;
