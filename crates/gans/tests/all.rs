//! The gans crate's tests, in one binary.

mod cli;
mod frechet;
mod models;
