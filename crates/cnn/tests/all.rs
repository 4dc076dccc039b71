//! The cnn crate's tests, in one binary.

mod cli;
mod ops;
mod pneumonia;
